/*
 * Dataspaces: shared memory as sealed memfds.
 * SPDX-License-Identifier: MIT
 *
 * A dataspace capability is a memfd whose size is sealed (F_SEAL_SHRINK,
 * F_SEAL_GROW, F_SEAL_SEAL) before any peer maps it, so no holder can make
 * another process fault by truncating it. Read-only dataspaces (ROM modules)
 * are sealed against writing as well. Components obtain RAM dataspaces from
 * core's PD service (charged to their RAM quota): see cairn_ram_alloc() in
 * env.h. This header covers what every holder does with one.
 */
#ifndef CAIRN_DATASPACE_H
#define CAIRN_DATASPACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cairn_ds {
	int fd;			/* the capability (owned) */
	size_t size;		/* sealed size */
	void *addr;		/* local mapping, NULL when detached */
	bool writable;		/* mapping is writable */
};

/*
 * Create a sealed memfd of `size` bytes locally (core does this for every
 * RAM allocation; components use cairn_ram_alloc()). Returns fd or -errno.
 */
int cairn_ds_create_memfd(const char *name, size_t size, bool seal_write)
    __attribute__((warn_unused_result));

/*
 * Take a received dataspace capability: checks that it is a memfd whose
 * size is sealed and fills ds (not yet mapped). Returns 0, or -EPERM when
 * the size is not sealed (a peer could truncate it), -EBADF otherwise.
 * On success ds owns fd; on failure the caller still does.
 */
int cairn_ds_from_fd(struct cairn_ds *ds, int fd)
    __attribute__((warn_unused_result));

/* Map ds (shared). writable requires the dataspace not to be write-sealed.
 * Returns 0 or -errno. */
int cairn_ds_attach(struct cairn_ds *ds, bool writable)
    __attribute__((warn_unused_result));
void cairn_ds_detach(struct cairn_ds *ds);

/* Detach and close. */
void cairn_ds_release(struct cairn_ds *ds);

#endif
