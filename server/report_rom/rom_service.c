/*
 * report_rom's ROM service: reports handed out to the clients a policy names.
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cairn/session/rom.h>
#include <cairn/session/root.h>

#include "report_rom.h"

static int
h_dataspace(struct rpc_msg *m)
{
	struct rom_session *s = rpc_obj_priv(m->obj);
	struct rom_registry *reg = &s->main->registry;
	struct rom_version *v = s->module->current;
	struct rom_ds_res *r = m->res;
	int fd;

	memset(r, 0, sizeof(*r));
	r->version = s->module->version;
	m->res_size = sizeof(*r);
	if (v == NULL) {
		/* No report yet, or the reporter is gone. */
		version_put(reg, s->held);
		s->held = NULL;
		return ROM_INVALID;
	}
	fd = fcntl(v->ds.fd, F_DUPFD_CLOEXEC, 0);
	if (fd < 0)
		return RPC_E_NOMEM;
	/* The client drops its previous mapping when it asks again. */
	version_put(reg, s->held);
	s->held = version_get(v);
	r->size = v->size;
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
	if (s->sig < 0)
		return RPC_E_INVAL;
	return ROM_OK;
}

static const struct rpc_op rom_ops[ROM_N_OPS] = {
	[ROM_DATASPACE] = { "dataspace", 0, 0, h_dataspace },
	[ROM_SIGH] = { "sigh", 0, 1, h_sigh },
};

static const struct rpc_iface rom_iface = { "ROM", rom_ops, ROM_N_OPS, NULL,
    false };

static int
create(void *ctx, const char *label, const char *args, uint64_t quota,
    struct rpc_obj **obj, char *detail, size_t dcap)
{
	struct main *mn = ctx;
	struct rom_session *s;
	struct rom_module *m;
	char report[CAIRN_LABEL_MAX];

	if (policy_lookup(&mn->cfg, label, report, sizeof(report), detail,
	    dcap) < 0)
		return ROOT_DENIED;
	s = calloc(1, sizeof(*s));
	if (s == NULL)
		goto nomem;
	s->main = mn;
	s->sig = -1;
	s->obj = rpc_obj_create(mn->env->ep, &rom_iface, s);
	/* The report need not exist yet: the module appears empty. */
	m = registry_lookup(&mn->registry, report, true);
	if (s->obj == NULL || m == NULL) {
		rpc_obj_destroy(s->obj);
		free(s);
		if (m != NULL)
			registry_release(&mn->registry, m);
		goto nomem;
	}
	s->module = m;
	module_add_reader(m, s);
	if (mn->verbose)
		cairn_log(mn->env, "ROM \"%s\" reads report \"%s\"", label,
		    report);
	*obj = s->obj;
	return ROOT_OK;
nomem:
	snprintf(detail, dcap, "report_rom is out of memory");
	return ROOT_UNAVAILABLE;
}

static void
destroy(void *ctx, struct rpc_obj *obj)
{
	struct rom_session *s = rpc_obj_priv(obj);
	struct main *mn = s->main;

	module_remove_reader(s->module, s);
	version_put(&mn->registry, s->held);
	registry_release(&mn->registry, s->module);
	if (s->sig >= 0)
		close(s->sig);
	rpc_obj_destroy(obj);
	free(s);
}

static const struct cairn_root_ops rom_root_ops = {
	.create = create,
	.destroy = destroy,
	.min_quota = 0,
};

struct cairn_root *
rom_service_announce(struct main *mn)
{
	return cairn_root_announce(mn->env, "ROM", &rom_root_ops, mn);
}
