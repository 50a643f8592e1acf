/*
 * test-routing: an "Echo" server with per-client policies, or a client
 * that opens Echo sessions under given labels and logs who served it.
 * SPDX-License-Identifier: MIT
 *
 * Server: <config mode="server"> <policy label="..." rights="rw"/> ...
 *         (a policy with die="yes" makes the server exit in the middle of
 *         creating the session, as a crashing server would)
 * Client: <config mode="client"> <session label="a" service="Echo"/> ...
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cairn/root.h>
#include <cairn/session/root.h>

enum { ECHO_WHO, ECHO_N_OPS };

struct echo_who_res {
	char server[32];
	char rights[8];
	char label[128];
};

struct echo_session {
	char rights[8];
	char label[128];
	const char *server;
};

struct main {
	struct cairn_env *env;
	struct cairn_rom config;
	struct xml_node cfg;
};

static int
h_who(struct rpc_msg *m)
{
	struct echo_session *s = rpc_obj_priv(m->obj);
	struct echo_who_res *r = m->res;

	memset(r, 0, sizeof(*r));
	snprintf(r->server, sizeof(r->server), "%s", s->server);
	snprintf(r->rights, sizeof(r->rights), "%s", s->rights);
	snprintf(r->label, sizeof(r->label), "%s", s->label);
	m->res_size = sizeof(*r);
	return 0;
}

static const struct rpc_op echo_ops[ECHO_N_OPS] = {
	[ECHO_WHO] = { "who", 0, 0, h_who },
};

static const struct rpc_iface echo_iface = { "Echo", echo_ops, ECHO_N_OPS,
    NULL, false };

static int
create(void *ctx, const char *label, const char *args, uint64_t quota,
    struct rpc_obj **obj, char *detail, size_t dcap)
{
	struct main *mn = ctx;
	struct xml_node policy;
	static struct echo_session sessions[16];
	static unsigned n;
	struct echo_session *s;

	if (cairn_policy_match(&mn->cfg, label, &policy) < 0) {
		snprintf(detail, dcap, "no policy matches label \"%s\"", label);
		return ROOT_DENIED;
	}
	if (n == 16)
		return ROOT_UNAVAILABLE;
	s = &sessions[n++];
	if (xml_attr_bool(&policy, "die", false)) {
		cairn_log(mn->env, "dying while creating the session for "
		    "\"%s\"", label);
		_exit(3);
	}
	xml_attr_str(&policy, "rights", s->rights, sizeof(s->rights), "ro");
	snprintf(s->label, sizeof(s->label), "%s", label);
	s->server = mn->env->name;
	*obj = rpc_obj_create(mn->env->ep, &echo_iface, s);
	return *obj ? ROOT_OK : ROOT_UNAVAILABLE;
}

static void
destroy(void *ctx, struct rpc_obj *obj)
{
	rpc_obj_destroy(obj);
}

static const struct cairn_root_ops ops = { create, destroy, NULL, 0 };

static void
run_client(struct main *mn)
{
	struct xml_node s;
	int ok;

	for (ok = xml_node_first(&mn->cfg, "session", &s) == 0; ok;
	    ok = xml_node_next(&s, "session", &s) == 0) {
		char label[64], args[128], detail[128], service[32];
		struct echo_who_res r;
		uint64_t id;
		int cap;

		xml_attr_str(&s, "label", label, sizeof(label), "");
		xml_attr_str(&s, "service", service, sizeof(service), "Echo");
		snprintf(args, sizeof(args), "label=\"%s\", ram_quota=4K",
		    label);
		cap = cairn_session(mn->env, service, args, &id, detail,
		    sizeof(detail));
		if (cap < 0) {
			cairn_log(mn->env, "session \"%s\": refused (%s)", label,
			    detail);
			continue;
		}
		if (rpc_call_simple(cap, ECHO_WHO, NULL, 0, &r, sizeof(r)) != 0) {
			cairn_error(mn->env, "session \"%s\": call failed",
			    label);
			continue;
		}
		cairn_log(mn->env, "session \"%s\": served by %s as \"%s\" with "
		    "rights %s", label, r.server, r.label, r.rights);
		cairn_session_close(mn->env, id, cap);
	}
	cairn_log(mn->env, "client done");
	cairn_exit(mn->env, 0);
}

void
construct(struct cairn_env *env)
{
	static struct main mn;
	char mode[16];

	mn.env = env;
	if (cairn_rom_open(env, "config", &mn.config) < 0)
		cairn_exit(env, 1);
	cairn_rom_xml(env, &mn.config, &mn.cfg);
	xml_attr_str(&mn.cfg, "mode", mode, sizeof(mode), "client");
	if (strcmp(mode, "server") == 0) {
		if (cairn_root_announce(env, "Echo", &ops, &mn) == NULL)
			cairn_exit(env, 1);
		return;
	}
	run_client(&mn);
}
