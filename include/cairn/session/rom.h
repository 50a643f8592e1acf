/*
 * ROM session: a read-only module (a boot file, a config, a report).
 * SPDX-License-Identifier: MIT
 *
 * ROM_DATASPACE returns the current content as a write-sealed dataspace
 * (or status ROM_INVALID when the module is currently absent). The content
 * of an obtained dataspace never changes; ROM_SIGH registers a signal that
 * is submitted whenever a new version exists, which the client fetches by
 * calling ROM_DATASPACE again. Content ends at the first NUL or at `size`.
 */
#ifndef CAIRN_SESSION_ROM_H
#define CAIRN_SESSION_ROM_H

#include <stdint.h>

enum rom_op {
	ROM_DATASPACE,	/* reply: struct rom_ds_res + fd */
	ROM_SIGH,	/* fd: signal cap (none: deregister) */
	ROM_N_OPS
};

enum rom_status {
	ROM_OK = 0,
	ROM_INVALID = 1,	/* module currently has no content */
};

struct rom_ds_res {
	uint64_t size;		/* content bytes (dataspace may be larger) */
	uint64_t version;	/* increases with every new content */
};

#endif
