/*
 * init's children: creating their PD, starting and stopping them.
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cairn/session/rom.h>

#include "init.h"

struct child *
child_find(struct init *in, const char *name)
{
	struct child *ch;

	for (ch = in->children; ch != NULL; ch = ch->next)
		if (strcmp(ch->name, name) == 0)
			return ch;
	return NULL;
}

struct provided *
child_provided(struct child *ch, const char *service)
{
	unsigned i;

	if (ch->state == CHILD_EXITED)
		return NULL;
	for (i = 0; i < ch->nprovides; i++)
		if (strcmp(ch->provides[i].name, service) == 0)
			return &ch->provides[i];
	return NULL;
}

/* --- the child's "config" ROM, served by init itself --- */

static int
h_config_ds(struct rpc_msg *m)
{
	struct child *ch = rpc_obj_priv(m->obj);
	struct rom_ds_res *r = m->res;
	int fd;

	if (ch->config_ds.fd < 0)
		return ROM_INVALID;
	fd = fcntl(ch->config_ds.fd, F_DUPFD_CLOEXEC, 0);
	if (fd < 0)
		return RPC_E_NOMEM;
	r->size = ch->config_size;
	r->version = 1;
	m->res_size = sizeof(*r);
	m->res_fds[0] = fd;
	m->res_nfds = 1;
	return ROM_OK;
}

static int
h_config_sigh(struct rpc_msg *m)
{
	return ROM_OK;	/* a <config> changes only with a restart */
}

static const struct rpc_op config_ops[ROM_N_OPS] = {
	[ROM_DATASPACE] = { "dataspace", 0, 0, h_config_ds },
	[ROM_SIGH] = { "sigh", 0, 1, h_config_sigh },
};

static const struct rpc_iface config_iface = { "ROM", config_ops, ROM_N_OPS,
    NULL, false };

/* Copy the <config> node verbatim into a write-sealed dataspace. */
static int
make_config(struct child *ch)
{
	struct xml_node start, cfg;
	int r;

	if (child_start_node(ch, &start) < 0 ||
	    xml_node_first(&start, "config", &cfg) < 0)
		return 0;
	r = cairn_ram_alloc(ch->init->env, cfg.size + 1, &ch->config_ds);
	if (r < 0)
		return r;
	memcpy(ch->config_ds.addr, cfg.addr, cfg.size);
	cairn_ds_detach(&ch->config_ds);
	/* Read-only from here on, for the child and for us. */
	if (fcntl(ch->config_ds.fd, F_ADD_SEALS, F_SEAL_WRITE) < 0) {
		cairn_ram_free(ch->init->env, &ch->config_ds);
		return -EIO;
	}
	ch->config_size = cfg.size;
	return 0;
}

static void
on_exit_signal(void *ctx, uint64_t count)
{
	struct child *ch = ctx;
	struct init *in = ch->init;
	struct pd_exit_res st;

	if (ch->state != CHILD_RUNNING ||
	    rpc_call_simple(ch->pd, PD_EXIT_STATE, NULL, 0, &st,
	    sizeof(st)) != RPC_OK || st.kind == PD_RUNNING)
		return;
	switch (st.kind) {
	case PD_EXITED:
		cairn_log(in->env, "child \"%s\" exited with exit value %d",
		    ch->name, st.value);
		break;
	case PD_OOM:
		cairn_error(in->env, "child \"%s\" exceeded its RAM quota of "
		    "%llu bytes and was stopped (raise 'quantum' of <start "
		    "name=\"%s\">)", ch->name,
		    (unsigned long long)ch->granted, ch->name);
		break;
	default:
		cairn_error(in->env, "child \"%s\" was killed by signal %d",
		    ch->name, st.value);
		break;
	}
	child_destroy(ch);
}

static int
pd_call_detail(int cap, uint32_t op, const void *args, size_t size,
    const int *fds, unsigned nfds, char *detail, size_t cap_len)
{
	struct pd_error_res e;
	size_t got = 0;
	int r;

	memset(&e, 0, sizeof(e));
	r = rpc_call(cap, op, args, size, fds, nfds, &e, sizeof(e), &got, NULL,
	    NULL);
	e.detail[sizeof(e.detail) - 1] = '\0';
	if (r != RPC_OK)
		snprintf(detail, cap_len, "%s", got ? e.detail :
		    rpc_status_str(r));
	return r;
}

/*
 * Start a child: PD at core, quota transfer, binary ROM, host grants,
 * parent capability, then the process. Logs and returns -errno on failure.
 */
int
child_start(struct child *ch)
{
	struct init *in = ch->init;
	struct cairn_env *env = in->env;
	struct pd_transfer_args ta = { .amount = ch->quantum };
	struct pd_start_args sa;
	struct cairn_rom bin;
	char detail[160], args[128];
	int fds[2], cap, r, mine;
	unsigned i;

	snprintf(args, sizeof(args), "label=\"%s\", ram_quota=0", ch->name);
	ch->pd = cairn_session(env, "PD", args, &ch->pd_id, detail,
	    sizeof(detail));
	if (ch->pd < 0) {
		cairn_error(env, "child \"%s\": no PD: %s", ch->name, detail);
		return ch->pd;
	}
	r = pd_call_detail(env->pd, PD_TRANSFER, &ta, sizeof(ta), &ch->pd, 1,
	    detail, sizeof(detail));
	if (r != RPC_OK) {
		cairn_error(env, "child \"%s\": cannot transfer quantum %llu: "
		    "%s", ch->name, (unsigned long long)ch->quantum, detail);
		return -EDQUOT;
	}
	in->avail -= ch->quantum;
	ch->granted = ch->quantum;
	for (i = 0; i < ch->nhost; i++) {
		struct pd_host_args ha;

		memset(&ha, 0, sizeof(ha));
		snprintf(ha.name, sizeof(ha.name), "%s", ch->host[i].name);
		snprintf(ha.resource, sizeof(ha.resource), "%s",
		    ch->host[i].resource);
		ha.writeable = ch->host[i].writeable;
		if (pd_call_detail(ch->pd, PD_GRANT_HOST, &ha, sizeof(ha),
		    NULL, 0, detail, sizeof(detail)) != RPC_OK) {
			cairn_error(env, "child \"%s\": <host name=\"%s\">: %s",
			    ch->name, ha.name, detail);
			return -EACCES;
		}
	}
	if ((r = make_config(ch)) < 0) {
		cairn_error(env, "child \"%s\": cannot build its config ROM",
		    ch->name);
		return r;
	}
	ch->config_rom = rpc_obj_create(env->ep, &config_iface, ch);
	ch->parent_obj = parent_obj_create(ch);
	ch->exit_sig = cairn_sig_create(env->ep, on_exit_signal, ch);
	if (!ch->config_rom || !ch->parent_obj || !ch->exit_sig)
		return -ENOMEM;
	cap = cairn_sig_cap(ch->exit_sig);
	if (cap < 0 || rpc_call(ch->pd, PD_EXIT_SIGH, NULL, 0, &cap, 1, NULL, 0,
	    NULL, NULL, NULL) != RPC_OK) {
		if (cap >= 0)
			close(cap);
		return -EIO;
	}
	close(cap);
	r = cairn_rom_open(env, ch->binary, &bin);
	if (r < 0) {
		cairn_error(env, "child \"%s\": binary \"%s\" is not a ROM "
		    "module", ch->name, ch->binary);
		return r;
	}
	memset(&sa, 0, sizeof(sa));
	snprintf(sa.name, sizeof(sa.name), "%s", ch->name);
	snprintf(sa.label, sizeof(sa.label), "%s", ch->name);
	sa.flags = ch->start_flags;
	mine = rpc_obj_cap(ch->parent_obj);
	fds[0] = bin.ds.fd;
	fds[1] = mine;
	r = mine < 0 ? RPC_E_NOMEM : pd_call_detail(ch->pd, PD_START, &sa,
	    sizeof(sa), fds, 2, detail, sizeof(detail));
	if (mine >= 0)
		close(mine);
	cairn_rom_close(env, &bin);
	if (r != RPC_OK) {
		cairn_error(env, "child \"%s\": %s", ch->name, detail);
		return -EIO;
	}
	ch->state = CHILD_RUNNING;
	state_changed(in);
	{
		char prov[160] = "";

		for (i = 0; i < ch->nprovides; i++) {
			size_t l = strlen(prov);

			snprintf(prov + l, sizeof(prov) - l, "%s%s", i ? " " :
			    "", ch->provides[i].name);
		}
		cairn_log(env, "start \"%s\" (binary %s, RAM %llu%s%s)",
		    ch->name, ch->binary, (unsigned long long)ch->quantum,
		    ch->nprovides ? ", provides " : "", prov);
	}
	return 0;
}

/*
 * Stop a child and release what it had: its sessions as a client are
 * closed, requests waiting for it fail, its PD (and with it all its quota)
 * returns to init. The struct stays (state EXITED) until the config drops
 * it, so a child that exited is not restarted behind the user's back.
 */
void
child_destroy(struct child *ch)
{
	struct init *in = ch->init;
	struct cairn_env *env = in->env;
	unsigned i;

	if (ch->state == CHILD_EXITED)
		return;
	ch->state = CHILD_EXITED;
	state_changed(in);
	sessions_close_client(in, ch);
	for (i = 0; i < ch->nprovides; i++) {
		requests_fail_server(ch, &ch->provides[i]);
		if (ch->provides[i].root >= 0) {
			rpc_call_cancel(env->ep, ch->provides[i].root);
			close(ch->provides[i].root);
			ch->provides[i].root = -1;
		}
	}
	sessions_server_gone(in, ch);
	if (ch->pd >= 0) {
		(void)rpc_call_simple(ch->pd, PD_KILL, NULL, 0, NULL, 0);
		cairn_session_close(env, ch->pd_id, ch->pd);
		ch->pd = -1;
		in->avail += ch->granted;
	}
	if (ch->yield_sig >= 0)
		close(ch->yield_sig);
	ch->yield_sig = -1;
	cairn_sig_destroy(ch->exit_sig);
	ch->exit_sig = NULL;
	rpc_obj_destroy(ch->parent_obj);
	ch->parent_obj = NULL;
	rpc_obj_destroy(ch->config_rom);
	ch->config_rom = NULL;
	cairn_ram_free(env, &ch->config_ds);
}

void
child_free(struct child *ch)
{
	child_destroy(ch);
	free(ch->start_xml);
	free(ch);
}
