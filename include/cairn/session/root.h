/*
 * Root interface: how a parent opens and closes sessions at a server.
 * SPDX-License-Identifier: MIT
 *
 * A server announces one root capability per service. Its parent calls
 * ROOT_SESSION with the composed session arguments (the label already
 * prefixed, ram_quota = the donation the server may spend on the session).
 * The server answers with a session id and the session capability, or a
 * status. ROOT_CLOSE destroys the session; its quota then flows back.
 */
#ifndef CAIRN_SESSION_ROOT_H
#define CAIRN_SESSION_ROOT_H

#include <stdint.h>

#include <cairn/session/parent.h>

enum root_op {
	ROOT_SESSION,
	ROOT_UPGRADE,
	ROOT_CLOSE,
	ROOT_N_OPS
};

enum root_status {
	ROOT_OK = 0,
	ROOT_DENIED = 1,	/* no policy for this label, bad args */
	ROOT_QUOTA = 2,		/* ram_quota does not cover the session */
	ROOT_UNAVAILABLE = 3,	/* e.g. single-client server already busy */
};

struct root_session_args {
	char args[CAIRN_SESSION_ARGS_MAX];
};

struct root_session_res {
	uint64_t id;
	char detail[128];	/* on failure: why, for the client's log */
};

struct root_upgrade_args {
	uint64_t id;
	uint64_t ram_quota;
};

struct root_close_args {
	uint64_t id;
};

#endif
