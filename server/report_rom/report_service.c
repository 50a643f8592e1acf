/*
 * report_rom's Report service: one writer per module, reports become ROM.
 * SPDX-License-Identifier: MIT
 *
 * The session's buffer is a RAM dataspace of our PD, paid for by the
 * client's donation (REPORT_QUOTA_OVERHEAD + buffer_size, moved to us by
 * init). The client owns the buffer except during SUBMIT, where we copy the
 * report out of it into a new module version.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cairn/session/report.h>
#include <cairn/session/root.h>

#include "report_rom.h"

struct report_session {
	struct main *main;
	struct rpc_obj *obj;
	struct rom_module *module;	/* NULL once the writer is gone */
	struct cairn_ds buffer;
	size_t buffer_size;		/* as asked for; ds may be larger */
};

/*
 * The writer is gone, by close or by vanishing: spec/report_rom.md wants
 * the module emptied and its readers signalled. Called from `released`
 * (the connection closed) and from destroy (ROOT_CLOSE), whichever comes
 * first; the second call finds nothing to do.
 */
static void
detach_writer(struct report_session *s)
{
	struct main *mn = s->main;
	struct rom_module *m = s->module;

	if (m == NULL)
		return;
	s->module = NULL;
	m->writer = NULL;
	module_clear(&mn->registry, m);
	if (mn->verbose)
		cairn_log(mn->env, "report \"%s\" closed: module emptied "
		    "(version %llu)", m->name, (unsigned long long)m->version);
	module_signal(m);
	registry_release(&mn->registry, m);
}

static int
h_dataspace(struct rpc_msg *m)
{
	struct report_session *s = rpc_obj_priv(m->obj);
	struct report_ds_res *r = m->res;
	int fd = fcntl(s->buffer.fd, F_DUPFD_CLOEXEC, 0);

	if (fd < 0)
		return RPC_E_NOMEM;
	r->size = s->buffer_size;
	m->res_size = sizeof(*r);
	m->res_fds[0] = fd;
	m->res_nfds = 1;
	return REPORT_OK;
}

static int
h_submit(struct rpc_msg *m)
{
	struct report_session *s = rpc_obj_priv(m->obj);
	const struct report_submit_args *a = m->args;
	struct main *mn = s->main;
	int r;

	if (s->module == NULL)
		return RPC_E_DEAD;
	if (a->length > s->buffer_size) {
		cairn_warn(mn->env, "report \"%s\": submit of %llu bytes "
		    "exceeds the buffer of %zu bytes (refused)",
		    s->module->name, (unsigned long long)a->length,
		    s->buffer_size);
		return REPORT_TOO_LARGE;
	}
	r = module_update(&mn->registry, s->module, s->buffer.addr,
	    (size_t)a->length);
	if (r < 0) {
		cairn_error(mn->env, "report \"%s\": no RAM for %llu bytes "
		    "(raise 'quantum' of report_rom)", s->module->name,
		    (unsigned long long)a->length);
		return RPC_E_NOMEM;
	}
	if (mn->verbose)
		cairn_log(mn->env, "report \"%s\": %llu bytes (version %llu)",
		    s->module->name, (unsigned long long)a->length,
		    (unsigned long long)s->module->version);
	module_signal(s->module);
	return REPORT_OK;
}

static int
h_response_sigh(struct rpc_msg *m)
{
	return REPORT_OK;	/* report_rom never responds */
}

static int
h_obtain_response(struct rpc_msg *m)
{
	struct report_response_res *r = m->res;

	r->length = 0;
	m->res_size = sizeof(*r);
	return REPORT_OK;
}

static void
released(struct rpc_obj *obj)
{
	detach_writer(rpc_obj_priv(obj));
}

static const struct rpc_op report_ops[REPORT_N_OPS] = {
	[REPORT_DATASPACE] = { "dataspace", 0, 0, h_dataspace },
	[REPORT_SUBMIT] = { "submit", sizeof(struct report_submit_args), 0,
	    h_submit },
	[REPORT_RESPONSE_SIGH] = { "response_sigh", 0, 1, h_response_sigh },
	[REPORT_OBTAIN_RESPONSE] = { "obtain_response", 0, 0,
	    h_obtain_response },
};

static const struct rpc_iface report_iface = { "Report", report_ops,
    REPORT_N_OPS, released, false };

static int
create(void *ctx, const char *label, const char *args, uint64_t quota,
    struct rpc_obj **obj, char *detail, size_t dcap)
{
	struct main *mn = ctx;
	struct report_session *s;
	struct rom_module *m;
	uint64_t size;

	/* Decode: size, quota and the one-writer rule, before any change. */
	size = cairn_arg_u64(args, "buffer_size", REPORT_DEFAULT_BUFFER);
	if (size == 0) {
		snprintf(detail, dcap, "buffer_size of 0 bytes");
		return ROOT_DENIED;
	}
	if (size > quota || quota - size < REPORT_QUOTA_OVERHEAD) {
		snprintf(detail, dcap, "insufficient ram donation from \"%s\":"
		    " %llu, need %llu (%u + buffer_size %llu)", label,
		    (unsigned long long)quota,
		    (unsigned long long)(size + REPORT_QUOTA_OVERHEAD),
		    REPORT_QUOTA_OVERHEAD, (unsigned long long)size);
		return ROOT_QUOTA;
	}
	m = registry_lookup(&mn->registry, label, false);
	if (m != NULL && m->writer != NULL) {
		snprintf(detail, dcap, "report \"%s\" already has a writer",
		    label);
		return ROOT_UNAVAILABLE;
	}

	s = calloc(1, sizeof(*s));
	if (s == NULL)
		goto nomem;
	s->main = mn;
	s->buffer_size = (size_t)size;
	if (cairn_ram_alloc(mn->env, s->buffer_size, &s->buffer) < 0) {
		free(s);
		snprintf(detail, dcap, "no RAM for a buffer of %llu bytes",
		    (unsigned long long)size);
		return ROOT_QUOTA;
	}
	s->obj = rpc_obj_create(mn->env->ep, &report_iface, s);
	m = registry_lookup(&mn->registry, label, true);
	if (s->obj == NULL || m == NULL) {
		rpc_obj_destroy(s->obj);
		cairn_ram_free(mn->env, &s->buffer);
		free(s);
		if (m != NULL)
			registry_release(&mn->registry, m);
		goto nomem;
	}
	m->writer = s;
	s->module = m;
	if (mn->verbose)
		cairn_log(mn->env, "report \"%s\" opened (buffer %zu bytes)",
		    label, s->buffer_size);
	*obj = s->obj;
	return ROOT_OK;
nomem:
	snprintf(detail, dcap, "report_rom is out of memory");
	return ROOT_UNAVAILABLE;
}

static void
destroy(void *ctx, struct rpc_obj *obj)
{
	struct report_session *s = rpc_obj_priv(obj);
	struct main *mn = s->main;

	detach_writer(s);
	rpc_obj_destroy(obj);
	cairn_ram_free(mn->env, &s->buffer);
	free(s);
}

static const struct cairn_root_ops report_root_ops = {
	.create = create,
	.destroy = destroy,
	/* The least quota depends on buffer_size: create checks it. */
	.min_quota = 0,
};

struct cairn_root *
report_service_announce(struct main *mn)
{
	return cairn_root_announce(mn->env, "Report", &report_root_ops, mn);
}
