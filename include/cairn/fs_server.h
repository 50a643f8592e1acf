/*
 * File-system server framework: a server fills in a table of node
 * operations; the framework serves the File_system session.
 * SPDX-License-Identifier: MIT
 *
 * Like lib9p's Srv: the framework owns the protocol — sessions, per-client
 * policies (<policy label="..." root="/sub" writeable="yes"/>), handles and
 * their validation, path and name checks, the packet stream with a check
 * of every descriptor, change notification (FS_SIGH, FS_WATCH) and quota
 * accounting, and the operations that combine others (FS_LOOKUP,
 * FS_CREATE, FS_REMOVE, FS_CLOSE_MANY, readdir-plus packets) — and the
 * server implements operations on nodes, named by 64-bit ids it chooses.
 * A client's bad request (stale or forged handle, packet outside its
 * buffer, ".." in a path) gets an error reply; the server carries on.
 *
 * Node ids are the server's: the framework only passes them back. Every
 * operation returns 0 (or a byte count) or a negative errno, which the
 * framework turns into the session's status (ENOENT -> FS_LOOKUP_FAILED,
 * EEXIST -> FS_NODE_ALREADY_EXISTS, ENOSPC -> FS_NO_SPACE, ...).
 *
 * Confinement: a session's root is the node its policy's `root` names;
 * paths are walked from there one element at a time with lookup(), and
 * the framework rejects "." and ".." elements, so no path leaves the root.
 * The server never follows symlinks; only clients do.
 */
#ifndef CAIRN_FS_SERVER_H
#define CAIRN_FS_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cairn/env.h>
#include <cairn/session/file_system.h>
#include <cairn/xml.h>

struct fs_ops {
	/* Node `name` in directory dir: 0 and *node, -ENOENT, -ENOTDIR. */
	int (*lookup)(void *fs, uint64_t dir, const char *name,
	    uint64_t *node);
	/*
	 * Make node `name` in dir with mode (FS_MODE_FILE, _DIRECTORY or
	 * _SYMLINK | permissions): 0 and *node, -EEXIST, -ENOSPC, -EACCES.
	 * A new symlink is empty until symlink() sets its target.
	 */
	int (*create)(void *fs, uint64_t dir, const char *name, uint32_t mode,
	    uint64_t *node);
	int (*stat)(void *fs, uint64_t node, struct fs_status *st);
	/* Bytes read (0 at or past the end; holes read as zeros), -errno. */
	long (*read)(void *fs, uint64_t node, void *buf, size_t len,
	    uint64_t pos);
	/* Bytes written (all of them, or -errno: -ENOSPC, -EFBIG). */
	long (*write)(void *fs, uint64_t node, const void *buf, size_t len,
	    uint64_t pos);
	/* Entry `index` of directory dir (in a stable order while the
	 * directory is unchanged): 0, or -ENOENT past the last. */
	int (*readdir)(void *fs, uint64_t dir, uint64_t index,
	    struct fs_dirent *e);
	/* Remove `name` from dir (a file, a symlink or a directory). */
	int (*unlink)(void *fs, uint64_t dir, const char *name);
	/* POSIX rename(2) rules: -ENOTEMPTY, -EISDIR, -ENOTDIR, -EINVAL
	 * (a directory into itself), -EXDEV. */
	int (*rename)(void *fs, uint64_t from_dir, const char *from,
	    uint64_t to_dir, const char *to);
	int (*truncate)(void *fs, uint64_t node, uint64_t size);
	/* Set the target of a symlink / copy it into buf (its length). */
	int (*symlink)(void *fs, uint64_t node, const char *target,
	    size_t len);
	long (*readlink)(void *fs, uint64_t node, char *buf, size_t cap);
	/* Optional (NULL: FS_UNSUPPORTED). */
	int (*link)(void *fs, uint64_t node, uint64_t dir, const char *name);
	int (*setattr)(void *fs, uint64_t node,
	    const struct fs_control_args *c);
	int (*sync)(void *fs);
	/*
	 * FS_ALLOCATE on file node (session/file_system.h). The framework
	 * has checked the handle, the write right and the arguments: flags
	 * is a valid FS_ALLOC_* combination (PUNCH_HOLE always comes with
	 * KEEP_SIZE and never with ZERO_RANGE), len > 0 and off + len <=
	 * INT64_MAX. 0 or -errno: -EOPNOTSUPP (this file system cannot do
	 * it), -EROFS, -EFBIG (past its largest file), -ENOSPC, -EISDIR.
	 */
	int (*allocate)(void *fs, uint64_t node, uint32_t flags, uint64_t off,
	    uint64_t len);
	/*
	 * Optional: a handle now refers to node / no longer does. A server
	 * keeps an unlinked node while handles refer to it (POSIX: an open
	 * file outlives its last name).
	 */
	void (*open)(void *fs, uint64_t node);
	void (*close)(void *fs, uint64_t node);
};

struct fs_server;

/*
 * A server for the tree of ops/fs whose root is root_node. config is the
 * component's <config> (its <policy> nodes); it must stay mapped while the
 * server lives (fs_server_config replaces it). env may be NULL for unit
 * tests (no sessions through RPC then). Returns NULL when out of memory.
 */
struct fs_server *fs_server_create(struct cairn_env *env,
    const struct fs_ops *ops, void *fs, uint64_t root_node,
    const struct xml_node *config);

/* Announce the File_system service to our parent. 0 or -errno. */
int fs_server_announce(struct fs_server *srv)
    __attribute__((warn_unused_result));

/* New policies: they apply to sessions created from now on. */
void fs_server_config(struct fs_server *srv, const struct xml_node *config);

/* Log every session and refusal ("verbose" of most servers). */
void fs_server_verbose(struct fs_server *srv, bool verbose);

/*
 * Quota the open sessions donated beyond their own cost (stream buffer,
 * handles): what a server may spend on content on the clients' behalf.
 */
uint64_t fs_server_spare_quota(const struct fs_server *srv);

/* Signal every handle on node (e.g. a change made by the server itself). */
void fs_server_notify(struct fs_server *srv, uint64_t node);

/* --- helpers for servers and their tests --- */

/*
 * Check a name: 0, -EINVAL (empty, contains '/', "." or ".."), or
 * -ENAMETOOLONG (more than FS_MAX_NAME_LEN - 1 bytes).
 */
int fs_name_check(const char *name) __attribute__((warn_unused_result));

/*
 * Walk `path` (absolute, "/" = start) from node start with ops->lookup.
 * Elements "." and ".." and empty elements other than a trailing "/" are
 * refused (-ENOENT), as is a path without a leading '/'. Returns 0 and
 * *node, or -ENOENT, -ENOTDIR, -ENAMETOOLONG.
 */
int fs_path_walk(const struct fs_ops *ops, void *fs, uint64_t start,
    const char *path, uint64_t *node) __attribute__((warn_unused_result));

/*
 * Split an absolute path into its parent part and last element, in place
 * of the caller's copies: "/a/b/c" -> "/a/b" and "c"; "/c" -> "/" and "c".
 * Returns 0, or -ENOENT for "/" or a path without '/'.
 */
int fs_path_split(const char *path, char *parent, size_t pcap, char *name,
    size_t ncap) __attribute__((warn_unused_result));

/* Map a negative errno to an enum fs_error, and back. */
int fs_error_from_errno(int err);
int fs_error_to_errno(int status);
const char *fs_error_str(int status);

#endif
