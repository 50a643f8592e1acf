/*
 * dynamic_rom: ROM modules that change along a timeline given in the config.
 * SPDX-License-Identifier: MIT
 *
 * Every ROM session runs its own copy of its module's timeline
 * (spec/dynamic_rom.md): the first steps run at session creation, up to
 * the first <sleep>; each expiry of the session's component-local timer
 * runs the steps up to the next <sleep>. Content pointers refer into the
 * config ROM, which stays mapped for our lifetime.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cairn/root.h>
#include <cairn/session/rom.h>
#include <cairn/session/root.h>

#include "dynamic_rom.h"

struct main {
	struct cairn_env *env;
	struct cairn_rom config;
	struct xml_node cfg;
	bool verbose;
	struct cairn_root *root;
};

struct rom_session {
	struct main *main;
	struct rpc_obj *obj;
	char module[DYNAMIC_ROM_NAME_MAX];
	struct timeline timeline;
	struct cairn_timer *timer;
	int sig;			/* client's signal cap, -1 if none */
	bool valid;			/* the module has content */
	const char *content;
	size_t content_len;
	uint64_t version;		/* increases with every step that
					 * changes or removes the content */
	struct cairn_ds ds;		/* the copy handed out last */
	uint64_t ds_version;		/* its version, 0: none */
};

static void
changed(struct rom_session *s)
{
	s->version++;
	if (s->sig >= 0)
		cairn_sig_submit(s->sig);
}

/* Run steps up to and including the next <sleep>. */
static void
run(struct rom_session *s)
{
	struct cairn_env *env = s->main->env;
	bool verbose = s->main->verbose;
	struct step st;

	for (;;) {
		timeline_next(&s->timeline, &st);
		switch (st.kind) {
		case STEP_CHANGE:
			if (verbose && st.description)
				cairn_log(env, "%s: change (%.*s)", s->module,
				    (int)st.description_len, st.description);
			else if (verbose)
				cairn_log(env, "%s: change", s->module);
			s->valid = true;
			s->content = st.content;
			s->content_len = st.content_len;
			changed(s);
			break;
		case STEP_REMOVE:
			if (verbose)
				cairn_log(env, "%s: remove", s->module);
			s->valid = false;
			changed(s);
			break;
		case STEP_SLEEP:
			if (verbose)
				cairn_log(env, "%s: sleep %llu milliseconds",
				    s->module, (unsigned long long)st.ms);
			if (cairn_timer_set(s->timer, st.ms * 1000, 0) < 0)
				cairn_error(env, "%s: cannot arm the timer",
				    s->module);
			return;
		}
	}
}

static void
expired(void *ctx)
{
	run(ctx);
}

/* A write-sealed copy of the current content, made once per version. */
static int
make_copy(struct rom_session *s)
{
	struct cairn_env *env = s->main->env;
	struct cairn_ds ds;
	int r;

	if (s->ds_version == s->version)
		return 0;
	/* An empty <inline> still has content: zero bytes in one page. */
	r = cairn_ram_alloc(env, s->content_len ? s->content_len : 1, &ds);
	if (r < 0)
		return r;
	memcpy(ds.addr, s->content, s->content_len);
	cairn_ds_detach(&ds);
	if (fcntl(ds.fd, F_ADD_SEALS, F_SEAL_WRITE) < 0) {
		r = -errno;
		cairn_ram_free(env, &ds);
		return r;
	}
	/* The client drops its mapping of the old copy when it asks again. */
	cairn_ram_free(env, &s->ds);
	s->ds = ds;
	s->ds_version = s->version;
	return 0;
}

static int
h_dataspace(struct rpc_msg *m)
{
	struct rom_session *s = rpc_obj_priv(m->obj);
	struct rom_ds_res *r = m->res;
	int fd;

	memset(r, 0, sizeof(*r));
	r->version = s->version;
	m->res_size = sizeof(*r);
	if (!s->valid)
		return ROM_INVALID;
	if (make_copy(s) < 0) {
		cairn_error(s->main->env, "%s: no RAM for %zu bytes (raise "
		    "'quantum' of dynamic_rom)", s->module, s->content_len);
		return RPC_E_NOMEM;
	}
	fd = fcntl(s->ds.fd, F_DUPFD_CLOEXEC, 0);
	if (fd < 0)
		return RPC_E_NOMEM;
	r->size = s->content_len;
	m->res_fds[0] = fd;
	m->res_nfds = 1;
	return ROM_OK;
}

static int
h_sigh(struct rpc_msg *m)
{
	struct rom_session *s = rpc_obj_priv(m->obj);

	if (s->sig >= 0)
		close(s->sig);
	s->sig = -1;
	if (m->nfds == 0)
		return ROM_OK;
	s->sig = cairn_sig_cap_take(&m->fds[0]);
	return s->sig < 0 ? RPC_E_INVAL : ROM_OK;
}

static const struct rpc_op rom_ops[ROM_N_OPS] = {
	[ROM_DATASPACE] = { "dataspace", 0, 0, h_dataspace },
	[ROM_SIGH] = { "sigh", 0, 1, h_sigh },
};

static const struct rpc_iface rom_iface = { "ROM", rom_ops, ROM_N_OPS, NULL,
    false };

/* As core does: the module is the last element of the label. */
static const char *
last_element(const char *label)
{
	const char *p, *last = label;

	while ((p = strstr(last, " -> ")) != NULL)
		last = p + 4;
	return last;
}

static int
create(void *ctx, const char *label, const char *args, uint64_t quota,
    struct rpc_obj **obj, char *detail, size_t dcap)
{
	struct main *mn = ctx;
	const char *name = last_element(label);
	struct rom_session *s;
	struct xml_node rom;

	if (timeline_find(&mn->cfg, name, &rom) < 0) {
		snprintf(detail, dcap, "no <rom name=\"%s\"> in the config "
		    "(label \"%s\")", name, label);
		return ROOT_DENIED;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		goto nomem;
	s->main = mn;
	s->sig = -1;
	s->ds.fd = -1;
	snprintf(s->module, sizeof(s->module), "%s", name);
	timeline_init(&s->timeline, &rom);
	s->timer = cairn_timer_create(mn->env->ep, expired, s);
	s->obj = rpc_obj_create(mn->env->ep, &rom_iface, s);
	if (s->timer == NULL || s->obj == NULL) {
		cairn_timer_destroy(s->timer);
		rpc_obj_destroy(s->obj);
		free(s);
		goto nomem;
	}
	if (mn->verbose)
		cairn_log(mn->env, "%s: new session for \"%s\"", name, label);
	run(s);
	*obj = s->obj;
	return ROOT_OK;
nomem:
	snprintf(detail, dcap, "dynamic_rom is out of memory");
	return ROOT_UNAVAILABLE;
}

static void
destroy(void *ctx, struct rpc_obj *obj)
{
	struct rom_session *s = rpc_obj_priv(obj);

	cairn_timer_destroy(s->timer);
	if (s->sig >= 0)
		close(s->sig);
	cairn_ram_free(s->main->env, &s->ds);
	rpc_obj_destroy(obj);
	free(s);
}

static const struct cairn_root_ops root_ops = {
	.create = create,
	.destroy = destroy,
	.min_quota = 0,
};

void
construct(struct cairn_env *env)
{
	static struct main mn;
	struct xml_error err;

	mn.env = env;
	if (cairn_rom_open(env, "config", &mn.config) < 0) {
		cairn_error(env, "no config ROM");
		cairn_exit(env, 1);
	}
	if (!mn.config.valid) {
		cairn_error(env, "missing <config>: no ROM modules to serve");
		cairn_exit(env, 1);
	}
	if (cairn_rom_xml(env, &mn.config, &mn.cfg) < 0)
		cairn_exit(env, 1);	/* logged with line:column */
	if (timeline_check_config(&mn.cfg, &err) < 0) {
		cairn_error(env, "config:%u:%u: %s", err.line, err.col,
		    err.msg);
		cairn_exit(env, 1);
	}
	mn.verbose = xml_attr_bool(&mn.cfg, "verbose", false);
	mn.root = cairn_root_announce(env, "ROM", &root_ops, &mn);
	if (mn.root == NULL) {
		cairn_error(env, "cannot announce the ROM service");
		cairn_exit(env, 1);
	}
}
