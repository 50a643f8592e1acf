/*
 * Parent interface: what a component asks of its parent (init or core).
 * SPDX-License-Identifier: MIT
 *
 * Every component holds one capability to its parent (fd CAIRN_FD_PARENT).
 * Through it the component opens sessions (the parent routes them and
 * moves the donated RAM quota), announces the services it provides, asks
 * for more RAM, answers yield requests and reports its exit.
 */
#ifndef CAIRN_SESSION_PARENT_H
#define CAIRN_SESSION_PARENT_H

#include <stdint.h>

#define CAIRN_SERVICE_NAME_MAX	32
#define CAIRN_SESSION_ARGS_MAX	256
#define CAIRN_LABEL_MAX		160

enum parent_op {
	PARENT_ANNOUNCE,	/* args: service name; fd: root capability */
	PARENT_SESSION,		/* args: service, session args; reply: id + cap */
	PARENT_UPGRADE,		/* args: id, ram_quota */
	PARENT_CLOSE,		/* args: id */
	PARENT_EXIT,		/* args: exit value */
	PARENT_RESOURCE_AVAIL_SIGH,	/* fd: signal cap */
	PARENT_RESOURCE_REQUEST,	/* args: ram_quota; answered by signal */
	PARENT_YIELD_SIGH,	/* fd: signal cap */
	PARENT_YIELD_REQUEST,	/* reply: ram_quota the parent wants back */
	PARENT_YIELD_RESPONSE,	/* the child freed what it could */
	PARENT_N_OPS
};

/* Reply statuses of the parent interface. */
enum parent_status {
	PARENT_OK = 0,
	PARENT_DENIED = 1,	/* no route / no policy / refused by server */
	PARENT_QUOTA = 2,	/* donation too small, or client cannot pay */
	PARENT_UNAVAILABLE = 3,	/* server gone or failed */
	PARENT_INVALID = 4,	/* malformed arguments */
};

struct parent_announce_args {
	char service[CAIRN_SERVICE_NAME_MAX];
};

struct parent_session_args {
	char service[CAIRN_SERVICE_NAME_MAX];
	/* Comma-separated key=value pairs: label="...", ram_quota=N, ... */
	char args[CAIRN_SESSION_ARGS_MAX];
};

struct parent_session_res {
	uint64_t id;		/* for upgrade and close */
	char detail[128];	/* on failure: what was missing */
};

struct parent_upgrade_args {
	uint64_t id;
	uint64_t ram_quota;
};

struct parent_close_args {
	uint64_t id;
};

struct parent_exit_args {
	int32_t value;
};

struct parent_resource_args {
	uint64_t ram_quota;
};

struct parent_yield_res {
	uint64_t ram_quota;
};

#endif
