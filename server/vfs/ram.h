/*
 * The ram plugin: a file system in memory, every byte from an allocator.
 * SPDX-License-Identifier: MIT
 *
 * Pure logic without I/O, so test/fs/ram.c links it alone. All memory —
 * nodes, names, directory tables, file pages — comes from the allocator
 * given at creation; when it refuses, the operation fails with -ENOSPC
 * and nothing changes.
 */
#ifndef VFS_RAM_H
#define VFS_RAM_H

#include <stdint.h>

#include <cairn/alloc.h>
#include <cairn/fs_server.h>

#define RAM_PAGE	4096u
/* Three levels of 512-entry page tables: 512 GiB per file. */
#define RAM_MAX_FILE	(512ull * 512 * 512 * RAM_PAGE)

struct ram_fs;

extern const struct fs_ops ram_ops;

/*
 * A new, empty file system whose memory comes from a; its root directory
 * (mode 0755, owned by 0:0) is node *root. 0 or -ENOSPC.
 */
int ram_create(struct cairn_alloc *a, struct ram_fs **fs, uint64_t *root)
    __attribute__((warn_unused_result));
/* Free everything (handles no longer matter). */
void ram_destroy(struct ram_fs *fs);

/* Bytes of file content (pages) and nodes, for logs and tests. */
uint64_t ram_pages(const struct ram_fs *fs);
uint64_t ram_nodes(const struct ram_fs *fs);

#endif
