/*
 * init: shared types of the policy component (children, routes, sessions).
 * SPDX-License-Identifier: MIT
 */
#ifndef INIT_H
#define INIT_H

#include <stdbool.h>
#include <stdint.h>

#include <cairn/env.h>
#include <cairn/session/parent.h>
#include <cairn/session/pd.h>

#define INIT_MAX_PROVIDES	8
#define INIT_MAX_HOST		4
#define INIT_NAME_MAX		64

/* Kept back from the children so init itself can always allocate. */
#define INIT_RESERVE		(128u * 1024)

struct child;
struct init;

/* A session request waiting for its server (announce or root reply). */
struct request {
	struct child *client;		/* NULL when init's own */
	struct rpc_pending *pending;	/* the client's deferred reply */
	char service[CAIRN_SERVICE_NAME_MAX];
	char args[CAIRN_SESSION_ARGS_MAX];	/* label already composed */
	char label[CAIRN_LABEL_MAX];
	uint64_t quota;			/* donated, moved to the server */
	bool quota_moved;
	enum { REQ_SESSION, REQ_CLOSE, REQ_UPGRADE } kind;
	uint64_t server_id;		/* for close and upgrade */
	int client_pd;			/* close: where the quota goes back
					 * once the server closed, or -1 */
	struct request *next;
};

struct session {
	uint64_t id;			/* as the client knows it */
	struct child *client;
	struct child *server;		/* NULL when routed to the parent */
	uint64_t server_id;		/* id at the server (or the parent) */
	uint64_t quota;
	char service[CAIRN_SERVICE_NAME_MAX];
	char label[CAIRN_LABEL_MAX];
	struct session *next;
};

struct root_call;

struct provided {
	char name[CAIRN_SERVICE_NAME_MAX];
	int root;			/* root capability, -1 until announced */
	struct request *queue;		/* waiting, in order */
	bool busy;			/* a root call is underway */
	struct root_call *inflight;	/* that call, until its reply */
};

struct host_grant {
	char name[32];
	char resource[64];
	bool writeable;
};

enum child_state { CHILD_NEW, CHILD_RUNNING, CHILD_EXITED };

struct child {
	struct init *init;
	char name[INIT_NAME_MAX];
	char binary[INIT_NAME_MAX];
	char *start_xml;		/* private copy of the <start> node */
	size_t start_len;
	uint64_t quantum;
	uint64_t limit;			/* most RAM resource requests may reach */
	uint64_t granted;		/* quantum plus granted requests */
	struct provided provides[INIT_MAX_PROVIDES];
	unsigned nprovides;
	struct host_grant host[INIT_MAX_HOST];
	unsigned nhost;
	char configfile[INIT_NAME_MAX];
	uint32_t start_flags;		/* PD_START_FLAG_*, from <sandbox> */
	enum child_state state;
	int pd;				/* PD session at core */
	uint64_t pd_id;
	struct rpc_obj *parent_obj;	/* the child's parent capability */
	struct rpc_obj *config_rom;	/* local ROM "config" */
	struct cairn_ds config_ds;
	uint64_t config_size;
	struct cairn_sig *exit_sig;
	int yield_sig;			/* the child's yield signal cap */
	uint64_t yield_amount;
	bool marked;			/* reconfiguration bookkeeping */
	struct child *next;
};

struct state_report {
	int cap;			/* Report session, -1 when off */
	uint64_t id;
	struct cairn_ds ds;
	struct cairn_timer *timer;	/* folds changes within delay_ms */
	bool armed;
	uint64_t delay_ms;
	uint64_t version;
	bool init_ram, child_ram, requested, provided;
};

struct init {
	struct cairn_env *env;
	struct cairn_rom config;
	char *config_copy;		/* the accepted config text */
	size_t config_len;
	struct child *children;
	struct session *sessions;
	uint64_t next_session_id;
	bool verbose;
	uint64_t avail;			/* quota not given to children */
	struct state_report state;
};

/* config.c */
struct xml_node;
int config_load(struct init *in, const char *text, size_t len,
    struct child **out, struct xml_error *err);
int config_root(const struct init *in, struct xml_node *root);
int child_start_node(const struct child *ch, struct xml_node *start);

/* state.c */
void state_configure(struct init *in);
void state_changed(struct init *in);

/* route.c */
enum route_kind { ROUTE_DENY, ROUTE_PARENT, ROUTE_CHILD };
enum route_kind route_request(struct init *in, struct child *client,
    const char *service, const char *label, const char *args,
    struct child **server, char *why, size_t why_cap);

/* child.c */
int child_start(struct child *ch);
void child_destroy(struct child *ch);
void child_free(struct child *ch);
struct child *child_find(struct init *in, const char *name);
struct provided *child_provided(struct child *ch, const char *service);

/* parent.c */
struct rpc_obj *parent_obj_create(struct child *ch);
void server_kick(struct child *server, struct provided *p);
void sessions_close_client(struct init *in, struct child *ch);
void sessions_server_gone(struct init *in, struct child *ch);
void requests_fail_server(struct child *server, struct provided *p);

#endif
