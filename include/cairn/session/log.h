/*
 * LOG session: one line per call, printed by core with the session label.
 * SPDX-License-Identifier: MIT
 */
#ifndef CAIRN_SESSION_LOG_H
#define CAIRN_SESSION_LOG_H

#include <stdint.h>

#define LOG_LINE_MAX	240

enum log_op {
	LOG_WRITE,	/* args: struct log_write_args */
	LOG_N_OPS
};

struct log_write_args {
	uint32_t len;			/* bytes used in text */
	char text[LOG_LINE_MAX];
};

#endif
