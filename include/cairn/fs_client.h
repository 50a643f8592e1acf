/*
 * File_system client: one session (struct fs_conn) and a small mount table
 * of sessions by path prefix (struct fs_client) with POSIX-like calls.
 * SPDX-License-Identifier: MIT
 *
 * Every call is synchronous: it sends its RPC or submits its packets and
 * waits for the answer (on the stream's wake pipe, not on the entrypoint, so
 * no other handler of the component runs meanwhile). Results are 0, a
 * byte count, or a negative errno (fs_error_to_errno of the session's
 * status); the last status itself stays in fs_conn.status for callers that
 * need the exact one. -EPIPE means the server is gone.
 *
 * Paths at the fs_client level are normalized on the client: "." and ".."
 * are resolved lexically and ".." stops at "/", and symlinks met on the
 * way are followed the same way (at most FS_CLIENT_MAX_LINKS), so no path
 * and no symlink target leads out of the client's view.
 */
#ifndef CAIRN_FS_CLIENT_H
#define CAIRN_FS_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cairn/dataspace.h>
#include <cairn/session/file_system.h>

struct cairn_env;
struct pkt_source;

/* One File_system session. Public so it can live in a struct main; the
 * fields are read-only for users. */
struct fs_conn {
	struct cairn_env *env;
	int cap;		/* session capability, -1 when closed */
	uint64_t id;
	struct cairn_ds tx;	/* the stream's dataspace */
	int wake;		/* our wake pipe, read end (acks arrive) */
	int peer;		/* the server's wake pipe, write end */
	struct pkt_source *src;
	void *src_mem;
	uint64_t next_ref;
	int status;		/* enum fs_error of the last call */
	char detail[128];	/* the parent's reason for a refused session */
};

/*
 * Open a session labelled `label` with a stream of tx_buf_size bytes
 * (0: FS_TX_BUF_DEFAULT), donating FS_QUOTA_OVERHEAD + tx_buf_size + extra
 * (content a server such as the vfs's ram file systems may store for us).
 * Returns 0, or the errno of cairn_session() with c->detail set, or the
 * error of setting up the stream.
 */
int fs_conn_open(struct cairn_env *env, struct fs_conn *c, const char *label,
    size_t tx_buf_size, uint64_t extra_quota)
    __attribute__((warn_unused_result));
void fs_conn_close(struct fs_conn *c);

/* The RPCs of session/file_system.h; handles come back in *h. */
int fs_conn_file(struct fs_conn *c, int32_t dir, const char *name,
    enum fs_mode mode, bool create, uint32_t perm, int32_t *h);
int fs_conn_symlink(struct fs_conn *c, int32_t dir, const char *name,
    bool create, int32_t *h);
int fs_conn_dir(struct fs_conn *c, const char *path, bool create,
    uint32_t perm, int32_t *h);
int fs_conn_node(struct fs_conn *c, const char *path, int32_t *h);
int fs_conn_release(struct fs_conn *c, int32_t h);	/* FS_CLOSE */
/* FS_CLOSE_MANY: n (1 .. FS_CLOSE_MANY_MAX) handles in one RPC. */
int fs_conn_release_many(struct fs_conn *c, const int32_t *h, size_t n);
int fs_conn_status(struct fs_conn *c, int32_t h, struct fs_status *st);
int fs_conn_control(struct fs_conn *c, const struct fs_control_args *a);
int fs_conn_unlink(struct fs_conn *c, int32_t dir, const char *name);
int fs_conn_truncate(struct fs_conn *c, int32_t file, uint64_t size);
int fs_conn_move(struct fs_conn *c, int32_t from_dir, const char *from,
    int32_t to_dir, const char *to);
int fs_conn_link(struct fs_conn *c, int32_t node, int32_t dir,
    const char *name);
/*
 * FS_ALLOCATE: fallocate(2) with FS_ALLOC_* flags on [off, off + len) of
 * file handle h. 0 or -errno (-EOPNOTSUPP, -EACCES, -EFBIG, -ENOSPC,
 * -EINVAL, -EBADF).
 */
int fs_conn_allocate(struct fs_conn *c, int32_t h, uint32_t flags,
    uint64_t off, uint64_t len);
/* FS_LOOKUP: the status of `name` in directory handle dir (lstat). */
int fs_conn_lookup(struct fs_conn *c, int32_t dir, const char *name,
    struct fs_status *st);
/*
 * FS_CREATE (a's fields as session/file_system.h has them; a->name must
 * fit): the new node's handle in *h, its status in *st and the
 * directory's in *dir (may be NULL).
 */
int fs_conn_create(struct fs_conn *c, const struct fs_create_args *a,
    int32_t *h, struct fs_status *st, struct fs_status *dir);
/* FS_REMOVE: unlink `name` from dir; the directory's status in *st. */
int fs_conn_remove(struct fs_conn *c, int32_t dir, const char *name,
    struct fs_status *st);
/* FS_WATCH with signal capability sig_cap (kept by the caller; -1 stops). */
int fs_conn_watch(struct fs_conn *c, int sig_cap);
/* Register signal capability sig_cap (kept by the caller; -1 removes). */
int fs_conn_sigh(struct fs_conn *c, int32_t h, int sig_cap);
int fs_conn_sync(struct fs_conn *c);

/*
 * Read or write len bytes at pos through the stream, in as many packets
 * as it takes (several in flight). Returns the bytes transferred (a read
 * stops short at the end of the file) or -errno when nothing was.
 * fs_conn_write with pos FS_SEEK_TAIL appends.
 */
long fs_conn_read(struct fs_conn *c, int32_t h, void *buf, size_t len,
    uint64_t pos);
long fs_conn_write(struct fs_conn *c, int32_t h, const void *buf, size_t len,
    uint64_t pos);

/* Entry `index` of directory handle dir: 1 and *e, 0 past the end, -errno. */
int fs_conn_readdir(struct fs_conn *c, int32_t dir, uint64_t index,
    struct fs_dirent *e);
/*
 * Entries index .. index + n - 1 of directory handle dir into e[], one
 * packet each with several in flight: the number read (fewer at the end
 * of the directory), or -errno when none was.
 */
long fs_conn_readdir_many(struct fs_conn *c, int32_t dir, uint64_t index,
    struct fs_dirent *e, size_t n);
/*
 * Entries from index on with their statuses (FS_PACKET_READDIR_PLUS), at
 * most n (as many as half the stream's buffer holds) in one packet: the
 * number read, 0 past the end, or -errno.
 */
long fs_conn_readdir_plus(struct fs_conn *c, int32_t dir, uint64_t index,
    struct fs_dirent_plus *e, size_t n);

/*
 * Submit one raw descriptor (offset/size and packet fields as given, for
 * tests of a server's checks) and wait for its acknowledgement, returned
 * in *d. payload_size bytes of bulk space are allocated unless d->size is
 * set already (then the caller's offset is used as is). 0 or -errno.
 */
int fs_conn_packet(struct fs_conn *c, struct pkt_desc *d,
    size_t payload_size);

/* --- a mount table with POSIX-like calls --- */

#define FS_CLIENT_MOUNTS	8
#define FS_CLIENT_MAX_LINKS	8

struct fs_client {
	struct {
		char prefix[FS_MAX_PATH_LEN];	/* normalized, "/" = all */
		struct fs_conn *conn;
	} mount[FS_CLIENT_MOUNTS];
	unsigned nmounts;
};

/* An open file. */
struct fs_file {
	struct fs_conn *conn;
	int32_t handle;
	uint64_t pos;
	bool append;
};

void fs_client_init(struct fs_client *fc);

/* Paths under prefix go to conn (the longest prefix wins). 0, -ENOSPC. */
int fs_client_mount(struct fs_client *fc, const char *prefix,
    struct fs_conn *conn);

/*
 * Normalize path: absolute (a relative one is taken from "/"), "." and
 * ".." resolved lexically with ".." stopping at "/", no double or
 * trailing slashes. 0 or -ENAMETOOLONG.
 */
int fs_client_normalize(const char *path, char *out, size_t cap)
    __attribute__((warn_unused_result));

/*
 * Open path with open(2) flags O_RDONLY, O_WRONLY, O_RDWR, O_CREAT,
 * O_EXCL, O_TRUNC, O_APPEND; perm for a new file. Symlinks are followed.
 */
int fs_client_open(struct fs_client *fc, const char *path, int flags,
    uint32_t perm, struct fs_file *f) __attribute__((warn_unused_result));
long fs_client_read(struct fs_file *f, void *buf, size_t len);
long fs_client_write(struct fs_file *f, const void *buf, size_t len);
int fs_client_close(struct fs_file *f);
/* fallocate(2) on an open file: FS_ALLOC_* flags (see fs_conn_allocate). */
int fs_client_fallocate(struct fs_file *f, uint32_t flags, uint64_t off,
    uint64_t len);

/* lstat(2): the last element is not followed. */
int fs_client_stat(struct fs_client *fc, const char *path,
    struct fs_status *st);
/* Call fn for each entry of directory path until it returns non-zero
 * (which is then returned). */
int fs_client_readdir(struct fs_client *fc, const char *path,
    int (*fn)(void *ctx, const struct fs_dirent *e), void *ctx);
int fs_client_mkdir(struct fs_client *fc, const char *path, uint32_t perm);
int fs_client_unlink(struct fs_client *fc, const char *path);
/* -EXDEV when the paths lie in different sessions. */
int fs_client_rename(struct fs_client *fc, const char *from, const char *to);
int fs_client_symlink(struct fs_client *fc, const char *target,
    const char *path);
long fs_client_readlink(struct fs_client *fc, const char *path, char *buf,
    size_t cap);
int fs_client_truncate(struct fs_client *fc, const char *path,
    uint64_t size);

#endif
