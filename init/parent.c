/*
 * init as parent: session requests, announcements, quota, exit, yield.
 * SPDX-License-Identifier: MIT
 *
 * init never blocks on a child: a request for a service that is declared
 * but not yet announced waits in the server's queue; root calls to a
 * server are asynchronous, one at a time per service, and the client's
 * reply is deferred until the server answered.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cairn/session/root.h>

#include "init.h"

static const char *const why_status[] = {
	[PARENT_OK] = "ok",
	[PARENT_DENIED] = "denied",
	[PARENT_QUOTA] = "quota",
	[PARENT_UNAVAILABLE] = "unavailable",
	[PARENT_INVALID] = "invalid",
};

static void
reply_session(struct rpc_pending *p, int status, uint64_t id, int cap,
    const char *detail)
{
	struct parent_session_res r;

	memset(&r, 0, sizeof(r));
	r.id = id;
	snprintf(r.detail, sizeof(r.detail), "%s", detail ? detail : "");
	rpc_reply(p, status, &r, sizeof(r), &cap, cap >= 0 ? 1 : 0);
}

/*
 * Move quota between two PDs (caps at core). 0, -EDQUOT (the source has
 * not that much free) or -ESRCH (the target PD is gone), with detail.
 */
static int
move_quota(int from_pd, int to_pd, uint64_t amount, char *detail,
    size_t cap)
{
	struct pd_transfer_args a = { .amount = amount };
	struct pd_error_res e;
	size_t got = 0;
	int r;

	if (amount == 0)
		return 0;
	memset(&e, 0, sizeof(e));
	r = rpc_call(from_pd, PD_TRANSFER, &a, sizeof(a), &to_pd, 1, &e,
	    sizeof(e), &got, NULL, NULL);
	if (r == RPC_OK)
		return 0;
	if (r != PD_QUOTA_EXCEEDED) {
		snprintf(detail, cap, "the PD to receive it is gone");
		return -ESRCH;
	}
	e.detail[sizeof(e.detail) - 1] = '\0';
	snprintf(detail, cap, "needs %llu bytes, has %llu",
	    (unsigned long long)amount, (unsigned long long)e.available);
	return -EDQUOT;
}

/*
 * A closed session's quota goes back from its server to its client, or,
 * when the client has exited meanwhile (its PD closed, what was left of
 * its quota back with us), to us: child_exited() counted the whole of
 * the client's quota as ours again, so core's books then agree.
 */
static void
return_quota(struct init *in, struct child *server, int client_pd,
    uint64_t quota, const char *service)
{
	char d[160];
	int r = -ESRCH, own;

	if (quota == 0 || server->pd < 0)
		return;
	if (client_pd >= 0)
		r = move_quota(server->pd, client_pd, quota, d, sizeof(d));
	if (r == -ESRCH && (own = rpc_mint(in->env->pd)) >= 0) {
		r = move_quota(server->pd, own, quota, d, sizeof(d));
		close(own);
	}
	if (r < 0)
		cairn_warn(in->env, "server \"%s\" kept the quota of a closed "
		    "%s session (%s)", server->name, service, d);
}

static struct session *
session_add(struct init *in, struct child *client, struct child *server,
    uint64_t server_id, const struct request *rq)
{
	struct session *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->id = ++in->next_session_id;
	s->client = client;
	s->server = server;
	s->server_id = server_id;
	s->quota = rq->quota;
	snprintf(s->service, sizeof(s->service), "%s", rq->service);
	snprintf(s->label, sizeof(s->label), "%s", rq->label);
	s->next = in->sessions;
	in->sessions = s;
	state_changed(in);
	return s;
}

static void
session_unlink(struct init *in, struct session *s)
{
	struct session **pp;

	for (pp = &in->sessions; *pp != NULL; pp = &(*pp)->next)
		if (*pp == s) {
			*pp = s->next;
			state_changed(in);
			return;
		}
}

/* --- the server side: root calls, one at a time per service --- */

struct root_call {
	struct child *server;
	struct provided *p;
	struct request *rq;
};

/*
 * The server answered a ROOT_CLOSE (or is gone): only now does the
 * session's quota go back (return_quota()), the server having freed what
 * the session held.
 */
static void
close_done(struct child *server, struct request *rq, int status)
{
	struct init *in = server->init;

	if (status == RPC_E_DEAD)
		cairn_warn(in->env, "server \"%s\" is gone", server->name);
	return_quota(in, server, rq->client_pd, rq->quota, rq->service);
	if (rq->client_pd >= 0)
		close(rq->client_pd);
	rq->client_pd = -1;
}

static void
root_done(void *ctx, int status, const void *res, size_t size, int *fds,
    unsigned nfds)
{
	struct root_call *rc = ctx;
	struct child *server = rc->server;
	struct provided *p = rc->p;
	struct request *rq = rc->rq;
	struct init *in = server->init;
	struct root_session_res r;
	unsigned i;

	free(rc);
	p->busy = false;
	p->inflight = NULL;
	if (rq->kind == REQ_CLOSE)
		close_done(server, rq, status);
	memset(&r, 0, sizeof(r));
	if (size == sizeof(r))
		memcpy(&r, res, sizeof(r));
	r.detail[sizeof(r.detail) - 1] = '\0';
	if (rq->kind == REQ_SESSION) {
		struct child *client = rq->client;
		int st = status == ROOT_OK && nfds == 1 ? PARENT_OK :
		    status == ROOT_QUOTA ? PARENT_QUOTA :
		    status == ROOT_DENIED ? PARENT_DENIED : PARENT_UNAVAILABLE;

		if (st == PARENT_OK) {
			struct session *s = session_add(in, client, server,
			    r.id, rq);

			reply_session(rq->pending, PARENT_OK, s ? s->id : 0,
			    fds[0], NULL);
			fds[0] = -1;
		} else {
			char d[160];

			if (rq->quota_moved && client && client->pd >= 0 &&
			    server->pd >= 0)
				move_quota(server->pd, client->pd, rq->quota,
				    d, sizeof(d));
			const char *why = r.detail[0] ? r.detail :
			    status == RPC_E_DEAD ? "server is gone" :
			    rpc_status_str(status);

			cairn_error(in->env, "session request of \"%s\" for "
			    "%s denied by \"%s\" (%s): %s", rq->label,
			    rq->service, server->name, why_status[st], why);
			reply_session(rq->pending, st, 0, -1, why);
		}
	}
	for (i = 0; i < nfds; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(rq);
	server_kick(server, p);
}

/*
 * Send rq's root call (op with args) to server's service p; its reply
 * comes to root_done(). Returns 0, or -ENOMEM / the send's error, in which
 * case rq is still the caller's.
 */
static int
root_call(struct child *server, struct provided *p, struct request *rq,
    uint32_t op, const void *args, size_t size)
{
	struct root_call *rc = calloc(1, sizeof(*rc));
	int r;

	if (rc == NULL)
		return -ENOMEM;
	rc->server = server;
	rc->p = p;
	rc->rq = rq;
	p->busy = true;
	p->inflight = rc;
	r = rpc_call_async(server->init->env->ep, p->root, op, args, size,
	    NULL, 0, root_done, rc);
	if (r < 0) {
		p->busy = false;
		p->inflight = NULL;
		free(rc);
	}
	return r;
}

/* Issue the next queued root call of service p at server, if any. */
void
server_kick(struct child *server, struct provided *p)
{
	struct request *rq;
	int r;

	while (!p->busy && p->root >= 0 && (rq = p->queue) != NULL) {
		p->queue = rq->next;
		if (rq->kind == REQ_SESSION) {
			struct root_session_args a;

			memset(&a, 0, sizeof(a));
			snprintf(a.args, sizeof(a.args), "%s", rq->args);
			r = root_call(server, p, rq, ROOT_SESSION, &a, sizeof(a));
			if (r < 0) {
				reply_session(rq->pending, PARENT_UNAVAILABLE,
				    0, -1, r == -ENOMEM ? "init is out of "
				    "memory" : "server busy");
				free(rq);
			}
		} else {
			struct root_close_args ca = { .id = rq->server_id };

			/*
			 * Closing never waits: a slow server only delays
			 * its own sessions, and a server that asks its parent
			 * for something while closing cannot deadlock init.
			 */
			r = root_call(server, p, rq, ROOT_CLOSE, &ca, sizeof(ca));
			if (r < 0) {
				close_done(server, rq, r == -ENOMEM ?
				    RPC_E_NOMEM : r);
				free(rq);
			}
		}
	}
}

void
requests_fail_server(struct child *server, struct provided *p)
{
	struct root_call *rc = p->inflight;

	/* The call underway is cancelled by the caller: answer it here. */
	if (rc != NULL) {
		struct request *rq = rc->rq;

		p->inflight = NULL;
		p->busy = false;
		free(rc);
		rq->next = p->queue;
		p->queue = rq;
	}
	while (p->queue) {
		struct request *rq = p->queue;

		p->queue = rq->next;
		if (rq->kind == REQ_SESSION) {
			cairn_error(server->init->env, "session request of "
			    "\"%s\" for %s failed: server \"%s\" is gone",
			    rq->label, rq->service, server->name);
			reply_session(rq->pending, PARENT_UNAVAILABLE, 0, -1,
			    "server is gone");
		} else if (rq->client_pd >= 0) {
			close(rq->client_pd);
		}
		free(rq);
	}
}

/* --- handlers of the parent interface --- */

static int
h_announce(struct rpc_msg *m)
{
	struct child *ch = rpc_obj_priv(m->obj);
	const struct parent_announce_args *a = m->args;
	char name[CAIRN_SERVICE_NAME_MAX];
	struct provided *p;

	memcpy(name, a->service, sizeof(name));
	name[sizeof(name) - 1] = '\0';
	p = child_provided(ch, name);
	if (m->nfds != 1 || p == NULL) {
		cairn_error(ch->init->env, "child \"%s\": illegal announcement "
		    "of service %s (not in its <provides>)", ch->name, name);
		return PARENT_DENIED;
	}
	if (p->root >= 0)
		close(p->root);
	p->root = m->fds[0];
	m->fds[0] = -1;
	if (ch->init->verbose)
		cairn_log(ch->init->env, "child \"%s\" announces service %s",
		    ch->name, name);
	server_kick(ch, p);
	return PARENT_OK;
}

static int
session_fail(struct rpc_msg *m, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
session_fail(struct rpc_msg *m, int status, const char *fmt, ...)
{
	struct parent_session_res *r = m->res;
	va_list ap;

	memset(r, 0, sizeof(*r));
	va_start(ap, fmt);
	vsnprintf(r->detail, sizeof(r->detail), fmt, ap);
	va_end(ap);
	m->res_size = sizeof(*r);
	return status;
}

static int
h_session(struct rpc_msg *m)
{
	struct child *ch = rpc_obj_priv(m->obj);
	struct init *in = ch->init;
	struct parent_session_args a;
	struct request *rq;
	struct child *server = NULL;
	struct provided *p;
	char label[CAIRN_LABEL_MAX], why[160] = "", detail[160];
	enum route_kind k;

	memcpy(&a, m->args, sizeof(a));
	a.service[sizeof(a.service) - 1] = '\0';
	a.args[sizeof(a.args) - 1] = '\0';
	if (cairn_arg_str(a.args, "label", label, sizeof(label)) < 0)
		label[0] = '\0';

	/* The child's own config is answered here, never routed. */
	if (strcmp(a.service, "ROM") == 0 && strcmp(label, "config") == 0 &&
	    !ch->configfile[0]) {
		int cap = rpc_obj_cap(ch->config_rom);

		if (cap < 0)
			return session_fail(m, PARENT_UNAVAILABLE, "no memory");
		((struct parent_session_res *)m->res)->id = 0;
		m->res_size = sizeof(struct parent_session_res);
		m->res_fds[0] = cap;
		m->res_nfds = 1;
		return PARENT_OK;
	}
	if (strcmp(a.service, "ROM") == 0 && strcmp(label, "config") == 0)
		snprintf(label, sizeof(label), "%s", ch->configfile);

	rq = calloc(1, sizeof(*rq));
	if (rq == NULL)
		return session_fail(m, PARENT_UNAVAILABLE, "init: no memory");
	rq->kind = REQ_SESSION;
	rq->client_pd = -1;
	rq->client = ch;
	snprintf(rq->service, sizeof(rq->service), "%s", a.service);
	snprintf(rq->args, sizeof(rq->args), "%s", a.args);
	if (cairn_label_compose(ch->name, label, rq->label,
	    sizeof(rq->label)) < 0 ||
	    cairn_arg_set(rq->args, sizeof(rq->args), "label", rq->label,
	    true) < 0) {
		free(rq);
		return session_fail(m, PARENT_INVALID, "label too long");
	}
	rq->quota = cairn_arg_u64(a.args, "ram_quota", 0);

	k = route_request(in, ch, a.service, label, a.args, &server, why,
	    sizeof(why));
	if (k == ROUTE_DENY) {
		cairn_error(in->env, "%s: session request for service %s with "
		    "label \"%s\" denied: %s", ch->name, a.service, rq->label,
		    why);
		free(rq);
		return session_fail(m, PARENT_DENIED, "%s", why);
	}
	if (k == ROUTE_PARENT) {
		uint64_t pid;
		int cap = cairn_session(in->env, a.service, rq->args, &pid,
		    detail, sizeof(detail));
		struct session *s;

		if (cap < 0) {
			cairn_error(in->env, "%s: session request for %s with "
			    "label \"%s\" failed at the parent: %s", ch->name,
			    a.service, rq->label, detail);
			free(rq);
			return session_fail(m, cap == -EDQUOT ? PARENT_QUOTA :
			    cap == -EACCES ? PARENT_DENIED : PARENT_UNAVAILABLE,
			    "%s", detail);
		}
		s = session_add(in, ch, NULL, pid, rq);
		free(rq);
		((struct parent_session_res *)m->res)->id = s ? s->id : 0;
		m->res_size = sizeof(struct parent_session_res);
		m->res_fds[0] = cap;
		m->res_nfds = 1;
		return PARENT_OK;
	}

	/* A sibling: the donation moves from client to server first. */
	p = child_provided(server, a.service);
	if (rq->quota && move_quota(ch->pd, server->pd, rq->quota, detail,
	    sizeof(detail)) < 0) {
		cairn_error(in->env, "%s: session for %s at \"%s\": quota "
		    "exceeded: \"%s\" %s for the donation (ram_quota=%llu); "
		    "raise 'quantum' of <start name=\"%s\">", ch->name,
		    a.service, server->name, ch->name, detail,
		    (unsigned long long)rq->quota, ch->name);
		free(rq);
		return session_fail(m, PARENT_QUOTA, "client %s", detail);
	}
	rq->quota_moved = true;
	rq->pending = rpc_defer(m);
	if (rq->pending == NULL) {
		free(rq);
		return session_fail(m, PARENT_UNAVAILABLE, "init: no memory");
	}
	{
		struct request **tail = &p->queue;

		while (*tail)
			tail = &(*tail)->next;
		*tail = rq;
	}
	server_kick(server, p);
	return RPC_DEFER;
}

/* Close one session: at its server (queued) or at our parent. */
static void
session_close(struct init *in, struct session *s)
{
	session_unlink(in, s);
	if (s->server == NULL) {
		cairn_session_close(in->env, s->server_id, -1);
	} else if (s->server->state == CHILD_RUNNING) {
		struct provided *p = child_provided(s->server, s->service);
		struct request *rq = calloc(1, sizeof(*rq));

		if (p && rq) {
			struct request **tail = &p->queue;

			/* The quota goes back once the server closed. */
			rq->kind = REQ_CLOSE;
			rq->server_id = s->server_id;
			rq->quota = s->quota;
			snprintf(rq->service, sizeof(rq->service), "%s",
			    s->service);
			rq->client_pd = s->client && s->client->pd >= 0 ?
			    fcntl(s->client->pd, F_DUPFD_CLOEXEC, 0) : -1;
			while (*tail)
				tail = &(*tail)->next;
			*tail = rq;
			server_kick(s->server, p);
		} else {
			free(rq);
			return_quota(in, s->server, s->client ?
			    s->client->pd : -1, s->quota, s->service);
		}
	}
	free(s);
}

static int
h_close(struct rpc_msg *m)
{
	struct child *ch = rpc_obj_priv(m->obj);
	const struct parent_close_args *a = m->args;
	struct session *s;

	for (s = ch->init->sessions; s != NULL; s = s->next)
		if (s->id == a->id && s->client == ch) {
			session_close(ch->init, s);
			return PARENT_OK;
		}
	return a->id == 0 ? PARENT_OK : PARENT_INVALID;
}

void
sessions_close_client(struct init *in, struct child *ch)
{
	struct session *s, *next;

	for (s = in->sessions; s != NULL; s = next) {
		next = s->next;
		if (s->client == ch)
			session_close(in, s);
	}
}

void
sessions_server_gone(struct init *in, struct child *ch)
{
	struct session *s;

	/* The clients' capabilities are dead now; their close is a no-op. */
	for (s = in->sessions; s != NULL; s = s->next)
		if (s->server == ch)
			s->server = NULL, s->server_id = 0;
}

static int
h_upgrade(struct rpc_msg *m)
{
	struct child *ch = rpc_obj_priv(m->obj);
	const struct parent_upgrade_args *a = m->args;
	struct session *s;
	char d[160];

	for (s = ch->init->sessions; s != NULL; s = s->next)
		if (s->id == a->id && s->client == ch)
			break;
	if (s == NULL || s->server == NULL)
		return PARENT_INVALID;
	if (move_quota(ch->pd, s->server->pd, a->ram_quota, d, sizeof(d)) < 0) {
		cairn_error(ch->init->env, "%s: upgrade of %s session: %s",
		    ch->name, s->service, d);
		return PARENT_QUOTA;
	}
	s->quota += a->ram_quota;
	{
		struct provided *p = child_provided(s->server, s->service);
		struct root_upgrade_args ua = { s->server_id, a->ram_quota };

		if (p && p->root >= 0)
			(void)rpc_call_simple(p->root, ROOT_UPGRADE, &ua,
			    sizeof(ua), NULL, 0);
	}
	return PARENT_OK;
}

static int
h_exit(struct rpc_msg *m)
{
	struct child *ch = rpc_obj_priv(m->obj);
	const struct parent_exit_args *a = m->args;

	cairn_log(ch->init->env, "child \"%s\" exited with exit value %d",
	    ch->name, a->value);
	child_destroy(ch);
	return PARENT_OK;
}

static int
h_resource_avail_sigh(struct rpc_msg *m)
{
	return PARENT_OK;	/* requests are answered synchronously */
}

static int
h_resource_request(struct rpc_msg *m)
{
	struct child *ch = rpc_obj_priv(m->obj);
	struct init *in = ch->init;
	const struct parent_resource_args *a = m->args;
	char d[160];
	int own;

	cairn_log(in->env, "child \"%s\" requests %llu bytes of RAM",
	    ch->name, (unsigned long long)a->ram_quota);
	if (ch->granted + a->ram_quota > ch->limit) {
		cairn_warn(in->env, "denied: \"%s\" would exceed its limit of "
		    "%llu bytes (raise 'limit' of its <resource>)", ch->name,
		    (unsigned long long)ch->limit);
		return PARENT_DENIED;
	}
	if (in->avail < a->ram_quota + INIT_RESERVE) {
		cairn_warn(in->env, "denied: init has %llu bytes left",
		    (unsigned long long)in->avail);
		return PARENT_DENIED;
	}
	own = in->env->pd;
	if (move_quota(own, ch->pd, a->ram_quota, d, sizeof(d)) < 0) {
		cairn_warn(in->env, "denied: %s", d);
		return PARENT_DENIED;
	}
	in->avail -= a->ram_quota;
	ch->granted += a->ram_quota;
	state_changed(in);
	cairn_log(in->env, "granted %llu bytes to \"%s\"",
	    (unsigned long long)a->ram_quota, ch->name);
	return PARENT_OK;
}

static int
h_yield_sigh(struct rpc_msg *m)
{
	struct child *ch = rpc_obj_priv(m->obj);

	if (ch->yield_sig >= 0)
		close(ch->yield_sig);
	ch->yield_sig = cairn_sig_cap_take(&m->fds[0]);
	/* A yield asked for before the child could hear it goes out now. */
	if (ch->yield_sig >= 0 && ch->yield_amount > 0)
		cairn_sig_submit(ch->yield_sig);
	return PARENT_OK;
}

static int
h_yield_request(struct rpc_msg *m)
{
	struct child *ch = rpc_obj_priv(m->obj);
	struct parent_yield_res *r = m->res;

	r->ram_quota = ch->yield_amount;
	m->res_size = sizeof(*r);
	return PARENT_OK;
}

/* The child freed memory: take back what it can spare, up to the amount. */
static int
h_yield_response(struct rpc_msg *m)
{
	struct child *ch = rpc_obj_priv(m->obj);
	struct init *in = ch->init;
	struct pd_quota_res q;
	uint64_t spare, take;
	char d[160];
	int own;

	if (ch->yield_amount == 0 ||
	    rpc_call_simple(ch->pd, PD_QUOTA, NULL, 0, &q, sizeof(q)) != RPC_OK)
		return PARENT_OK;
	spare = q.quota > q.used ? q.quota - q.used : 0;
	take = spare < ch->yield_amount ? spare : ch->yield_amount;
	own = rpc_mint(in->env->pd);
	if (own >= 0 && move_quota(ch->pd, own, take, d, sizeof(d)) == 0) {
		in->avail += take;
		ch->granted -= take;
		state_changed(in);
		cairn_log(in->env, "child \"%s\" yielded %llu bytes", ch->name,
		    (unsigned long long)take);
	}
	if (own >= 0)
		close(own);
	ch->yield_amount = 0;
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
	    h_resource_avail_sigh },
	[PARENT_RESOURCE_REQUEST] = { "resource_request",
	    sizeof(struct parent_resource_args), 0, h_resource_request },
	[PARENT_YIELD_SIGH] = { "yield_sigh", 0, 1, h_yield_sigh },
	[PARENT_YIELD_REQUEST] = { "yield_request", 0, 0, h_yield_request },
	[PARENT_YIELD_RESPONSE] = { "yield_response", 0, 0,
	    h_yield_response },
};

static const struct rpc_iface parent_iface = { "Parent", parent_ops,
    PARENT_N_OPS, NULL, true };

struct rpc_obj *
parent_obj_create(struct child *ch)
{
	return rpc_obj_create(ch->init->env->ep, &parent_iface, ch);
}
