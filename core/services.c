/*
 * core's services for init: LOG, ROM, PD, and the parent interface.
 * SPDX-License-Identifier: MIT
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cairn/env.h>
#include <cairn/session/log.h>
#include <cairn/session/pd.h>
#include <cairn/session/rom.h>

#include "core.h"
#include "sandbox.h"

/* --- LOG --- */

struct log_session {
	char label[CAIRN_LABEL_MAX];
};

static int
h_log_write(struct rpc_msg *m)
{
	struct log_session *s = rpc_obj_priv(m->obj);
	const struct log_write_args *a = m->args;
	char line[LOG_LINE_MAX + 1];
	uint32_t i, len = a->len > LOG_LINE_MAX ? LOG_LINE_MAX : a->len;

	/* A component cannot forge other lines: control characters are
	 * replaced, so one call is exactly one output line. */
	for (i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)a->text[i];

		line[i] = ch == '\t' || (ch >= 0x20 && ch != 0x7f) ? (char)ch :
		    '?';
	}
	line[len] = '\0';
	printf("[%s] %s\n", s->label, line);
	fflush(stdout);
	return 0;
}

static const struct rpc_op log_ops[LOG_N_OPS] = {
	[LOG_WRITE] = { "write", sizeof(struct log_write_args), 0,
	    h_log_write },
};

static const struct rpc_iface log_iface = { "LOG", log_ops, LOG_N_OPS, NULL,
    false };

/* --- ROM (boot modules; they never change) --- */

static int
h_rom_dataspace(struct rpc_msg *m)
{
	struct rom_session *rs = rpc_obj_priv(m->obj);
	struct module *mod = rs->mod;
	struct rom_ds_res *r = m->res;
	int fd = fcntl(mod->fd, F_DUPFD_CLOEXEC, 0);

	if (fd < 0)
		return RPC_E_NOMEM;
	r->size = mod->size;
	r->version = mod->version;
	m->res_size = sizeof(*r);
	m->res_fds[0] = fd;
	m->res_nfds = 1;
	return ROM_OK;
}

static int
h_rom_sigh(struct rpc_msg *m)
{
	struct rom_session *rs = rpc_obj_priv(m->obj);

	if (rs->sigh >= 0)
		close(rs->sigh);
	rs->sigh = -1;
	if (m->nfds == 1) {
		rs->sigh = cairn_sig_cap_take(&m->fds[0]);
	}
	return ROM_OK;
}

/* A boot file was replaced: tell every reader of the module. */
void
core_rom_changed(struct core *c, struct module *mod)
{
	struct rom_session *rs;

	for (rs = c->roms; rs != NULL; rs = rs->next)
		if (rs->mod == mod && rs->sigh >= 0)
			cairn_sig_submit(rs->sigh);
}

static const struct rpc_op rom_ops[ROM_N_OPS] = {
	[ROM_DATASPACE] = { "dataspace", 0, 0, h_rom_dataspace },
	[ROM_SIGH] = { "sigh", 0, 1, h_rom_sigh },
};

static const struct rpc_iface rom_iface = { "ROM", rom_ops, ROM_N_OPS, NULL,
    false };

/* --- sessions --- */

static void
close_plain(struct core_session *s)
{
	free(rpc_obj_priv(s->obj));
	rpc_obj_destroy(s->obj);
}

static void
close_rom(struct core_session *s)
{
	struct rom_session *rs = rpc_obj_priv(s->obj), **pp;

	for (pp = &rs->core->roms; *pp != NULL; pp = &(*pp)->next)
		if (*pp == rs) {
			*pp = rs->next;
			break;
		}
	if (rs->sigh >= 0)
		close(rs->sigh);
	rpc_obj_destroy(s->obj);
	free(rs);
}

static void
close_pd(struct core_session *s)
{
	pd_destroy(s->priv);
}

static const char *
last_element(const char *label)
{
	const char *p, *last = label;

	while ((p = strstr(last, " -> ")) != NULL)
		last = p + 4;
	return last;
}

int
core_open_session(struct core *c, const char *service, const char *args,
    const char *label, int *cap, uint64_t *id, char *detail, size_t dcap)
{
	struct core_session *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return PARENT_UNAVAILABLE;
	if (strcmp(service, "LOG") == 0) {
		struct log_session *l = calloc(1, sizeof(*l));

		if (l == NULL)
			goto nomem;
		snprintf(l->label, sizeof(l->label), "%s", label);
		s->obj = rpc_obj_create(c->ep, &log_iface, l);
		if (s->obj == NULL) {
			free(l);
			goto nomem;
		}
		s->close = close_plain;
	} else if (strcmp(service, "ROM") == 0) {
		const char *name = last_element(label);
		struct module *mod = core_module(c, name);

		if (mod == NULL) {
			snprintf(detail, dcap, "no ROM module '%s' (label "
			    "\"%s\")", name, label);
			free(s);
			return PARENT_DENIED;
		}
		struct rom_session *rs = calloc(1, sizeof(*rs));

		if (rs == NULL)
			goto nomem;
		rs->core = c;
		rs->mod = mod;
		rs->sigh = -1;
		s->obj = rpc_obj_create(c->ep, &rom_iface, rs);
		if (s->obj == NULL) {
			free(rs);
			goto nomem;
		}
		rs->next = c->roms;
		c->roms = rs;
		s->close = close_rom;
	} else if (strcmp(service, "PD") == 0) {
		struct pd *pd = pd_create(c, label, c->init_pd);

		if (pd == NULL)
			goto nomem;
		s->obj = pd->obj;
		s->priv = pd;
		s->close = close_pd;
	} else if (strcmp(service, "VM") == 0) {
		int st = core_vm_open(c, label, s, detail, dcap);

		if (st != PARENT_OK) {
			free(s);
			return st;
		}
	} else {
		snprintf(detail, dcap, "core provides no service '%s'",
		    service);
		free(s);
		return PARENT_DENIED;
	}
	*cap = rpc_obj_cap(s->obj);
	if (*cap < 0) {
		s->close(s);
		free(s);
		return PARENT_UNAVAILABLE;
	}
	s->id = ++c->next_session_id;
	*id = s->id;
	s->next = c->sessions;
	c->sessions = s;
	(void)args;
	return PARENT_OK;
nomem:
	free(s);
	snprintf(detail, dcap, "core is out of memory");
	return PARENT_UNAVAILABLE;
}

/* --- the parent interface of init --- */

static int
h_announce(struct rpc_msg *m)
{
	/* core is nobody's client: announcements to it are accepted and
	 * dropped (the root capability is closed). */
	return PARENT_OK;
}

static int
h_session(struct rpc_msg *m)
{
	struct core *c = rpc_obj_priv(m->obj);
	struct parent_session_args a;
	struct parent_session_res *r = m->res;
	char label[CAIRN_LABEL_MAX], composed[CAIRN_LABEL_MAX];
	int cap = -1, st;

	memcpy(&a, m->args, sizeof(a));
	a.service[sizeof(a.service) - 1] = '\0';
	a.args[sizeof(a.args) - 1] = '\0';
	memset(r, 0, sizeof(*r));
	m->res_size = sizeof(*r);
	if (cairn_arg_str(a.args, "label", label, sizeof(label)) < 0)
		label[0] = '\0';
	if (cairn_label_compose("init", label, composed, sizeof(composed)) < 0) {
		snprintf(r->detail, sizeof(r->detail), "label too long");
		return PARENT_INVALID;
	}
	st = core_open_session(c, a.service, a.args, composed, &cap, &r->id,
	    r->detail, sizeof(r->detail));
	if (st != PARENT_OK) {
		core_log(c, "Error: session request of '%s' for service %s "
		    "denied: %s", composed, a.service, r->detail);
		return st;
	}
	m->res_fds[0] = cap;
	m->res_nfds = 1;
	return PARENT_OK;
}

static int
h_close(struct rpc_msg *m)
{
	struct core *c = rpc_obj_priv(m->obj);
	const struct parent_close_args *a = m->args;
	struct core_session **pp, *s;

	for (pp = &c->sessions; (s = *pp) != NULL; pp = &s->next)
		if (s->id == a->id) {
			*pp = s->next;
			s->close(s);
			free(s);
			return PARENT_OK;
		}
	return PARENT_INVALID;
}

static int
h_upgrade(struct rpc_msg *m)
{
	return PARENT_OK;	/* core's sessions are not quota-funded */
}

static int
h_exit(struct rpc_msg *m)
{
	struct core *c = rpc_obj_priv(m->obj);
	const struct parent_exit_args *a = m->args;

	core_log(c, "init exited with exit value %d", a->value);
	c->exit_value = a->value;
	cairn_ep_stop(c->ep);
	return PARENT_OK;
}

static int
h_resource_request(struct rpc_msg *m)
{
	struct core *c = rpc_obj_priv(m->obj);
	const struct parent_resource_args *a = m->args;

	core_log(c, "Warning: init requests %llu more bytes of RAM; core has "
	    "none left (raise 'ram' of the scenario)",
	    (unsigned long long)a->ram_quota);
	return PARENT_DENIED;
}

static int
h_noop(struct rpc_msg *m)
{
	return PARENT_OK;
}

static int
h_yield_request(struct rpc_msg *m)
{
	struct parent_yield_res *r = m->res;

	r->ram_quota = 0;
	m->res_size = sizeof(*r);
	return PARENT_OK;
}

static const struct rpc_op parent_ops[PARENT_N_OPS] = {
	[PARENT_ANNOUNCE] = { "announce", sizeof(struct parent_announce_args),
	    1, h_announce },
	[PARENT_SESSION] = { "session", sizeof(struct parent_session_args), 0,
	    h_session },
	[PARENT_UPGRADE] = { "upgrade", sizeof(struct parent_upgrade_args), 0,
	    h_upgrade },
	[PARENT_CLOSE] = { "close", sizeof(struct parent_close_args), 0,
	    h_close },
	[PARENT_EXIT] = { "exit", sizeof(struct parent_exit_args), 0, h_exit },
	[PARENT_RESOURCE_AVAIL_SIGH] = { "resource_avail_sigh", 0, 1,
	    h_noop },
	[PARENT_RESOURCE_REQUEST] = { "resource_request",
	    sizeof(struct parent_resource_args), 0, h_resource_request },
	[PARENT_YIELD_SIGH] = { "yield_sigh", 0, 1, h_noop },
	[PARENT_YIELD_REQUEST] = { "yield_request", 0, 0, h_yield_request },
	[PARENT_YIELD_RESPONSE] = { "yield_response", 0, 0, h_noop },
};

static const struct rpc_iface parent_iface = { "Parent", parent_ops,
    PARENT_N_OPS, NULL, false };

/* Start init: its PD gets all of core's RAM, its parent is core. */
int
core_start_init(struct core *c)
{
	struct module *bin = core_module(c, "init");
	struct pd *pd;
	int parent_cap, fds[2], r;
	struct rpc_msg m;
	char res[RPC_MAX_PAYLOAD];
	struct pd_start_args a;

	if (bin == NULL) {
		core_log(c, "fatal: no boot module 'init'");
		return -ENOENT;
	}
	if (core_module(c, "config") == NULL) {
		core_log(c, "fatal: no boot module 'config' (init's config)");
		return -ENOENT;
	}
	c->parent_obj = rpc_obj_create(c->ep, &parent_iface, c);
	pd = pd_create(c, "init", NULL);
	if (c->parent_obj == NULL || pd == NULL)
		return -ENOMEM;
	pd->quota = c->ram;
	c->init_pd = pd;
	parent_cap = rpc_obj_cap(c->parent_obj);
	if (parent_cap < 0)
		return parent_cap;
	/* Start through the same path init uses for its children. */
	memset(&a, 0, sizeof(a));
	snprintf(a.name, sizeof(a.name), "init");
	snprintf(a.label, sizeof(a.label), "init");
	memset(&m, 0, sizeof(m));
	m.obj = pd->obj;
	m.args = &a;
	fds[0] = bin->fd;
	fds[1] = parent_cap;
	memcpy(m.fds, fds, sizeof(fds));
	m.nfds = 2;
	m.res = res;
	r = rpc_obj_iface(pd->obj)->ops[PD_START].handler(&m);
	close(parent_cap);
	if (r != PD_OK) {
		core_log(c, "fatal: cannot start init: %s",
		    ((struct pd_error_res *)res)->detail);
		return -EIO;
	}
	return 0;
}
