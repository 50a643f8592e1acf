/*
 * Report session: a component publishes status (usually XML) to a server.
 * SPDX-License-Identifier: MIT
 *
 * Session args: label (the report's name), buffer_size (bytes, default
 * 4096), ram_quota (the client donates REPORT_QUOTA_OVERHEAD + buffer_size).
 * The server allocates a shared buffer of buffer_size bytes; the client
 * writes a report into it and calls REPORT_SUBMIT with the length. The
 * buffer belongs to the server only during SUBMIT and OBTAIN_RESPONSE.
 */
#ifndef CAIRN_SESSION_REPORT_H
#define CAIRN_SESSION_REPORT_H

#include <stdint.h>

#define REPORT_QUOTA_OVERHEAD	(2 * 4096)
#define REPORT_DEFAULT_BUFFER	4096

enum report_op {
	REPORT_DATASPACE,	/* reply: struct report_ds_res + fd */
	REPORT_SUBMIT,		/* args: struct report_submit_args */
	REPORT_RESPONSE_SIGH,	/* fd: signal cap for responses */
	REPORT_OBTAIN_RESPONSE,	/* reply: struct report_response_res */
	REPORT_N_OPS
};

enum report_status {
	REPORT_OK = 0,
	REPORT_TOO_LARGE = 1,	/* length exceeds the buffer */
};

struct report_ds_res {
	uint64_t size;
};

struct report_submit_args {
	uint64_t length;
};

struct report_response_res {
	uint64_t length;	/* response bytes now in the buffer */
};

#endif
