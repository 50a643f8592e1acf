/*
 * lib/fs internals: servers, sessions, handle tables and policies.
 * SPDX-License-Identifier: MIT
 *
 * Private to lib/fs and its unit tests (test/fs/), which build sessions
 * without RPC and call the invoke functions directly; never installed.
 */
#ifndef CAIRN_FS_IMPL_H
#define CAIRN_FS_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cairn/dataspace.h>
#include <cairn/fs_server.h>
#include <cairn/packet_stream.h>
#include <cairn/root.h>
#include <cairn/session/parent.h>

/* --- handle.c: the per-session handle table --- */

/*
 * A handle value is (generation << FS_HANDLE_INDEX_BITS) | slot index. A
 * slot's generation grows every time the slot is freed, so a closed
 * handle stays invalid when its slot is reused, and every generation is
 * >= 1, so small integers are never valid handles.
 */
#define FS_HANDLE_INDEX_BITS	7
#define FS_HANDLE_GEN_MAX	((1u << (31 - FS_HANDLE_INDEX_BITS)) - 1)

_Static_assert(FS_MAX_HANDLES == 1 << FS_HANDLE_INDEX_BITS,
    "index bits match the table");

enum fs_handle_kind {
	FS_H_FILE = 1,
	FS_H_DIR = 2,
	FS_H_SYMLINK = 4,
	FS_H_NODE = 8,
	FS_H_ANY = 15,
};

struct fs_handle {
	uint32_t gen;		/* >= 1 */
	bool used;
	bool modified;		/* changed through this handle: notify on close */
	uint8_t kind;		/* enum fs_handle_kind */
	uint8_t mode;		/* enum fs_mode (files) */
	uint64_t node;
	int sigh;		/* signal cap, -1 if none */
};

struct fs_handles {
	struct fs_handle slot[FS_MAX_HANDLES];
	unsigned used;
};

void fs_handles_init(struct fs_handles *t);
/* A free slot for node: returns the handle value, or -EMFILE. */
int32_t fs_handle_alloc(struct fs_handles *t, uint8_t kind, uint8_t mode,
    uint64_t node);
/* The slot of handle value h if it is open and of one of the kinds. */
struct fs_handle *fs_handle_get(struct fs_handles *t, int32_t h,
    unsigned kinds);
/* Free the slot (closes its signal cap); the value becomes stale. */
void fs_handle_free(struct fs_handles *t, struct fs_handle *hd);

/* --- policy.c --- */

struct fs_policy {
	char root[FS_MAX_PATH_LEN];
	bool writeable;
};

/*
 * The policy of `label` among config's <policy> nodes (longest label match,
 * see cairn_policy_match): 0 and *p, or -ENOENT (no policy) / -EINVAL
 * (no or a bad root attribute) with the reason in detail.
 */
int fs_policy_select(const struct xml_node *config, const char *label,
    struct fs_policy *p, char *detail, size_t dcap);

/* --- server.c, session.c, stream.c --- */

struct fs_session {
	struct fs_server *srv;
	struct rpc_obj *obj;		/* NULL for a local (test) session */
	char label[CAIRN_LABEL_MAX];
	uint64_t root;			/* node id of the session's "/" */
	char root_path[FS_MAX_PATH_LEN];	/* as the policy names it */
	bool writeable;
	uint64_t quota;			/* donated */
	uint64_t cost;			/* spent on the session itself */
	struct fs_handles handles;
	/* The packet stream, once FS_TX created it. */
	struct cairn_ds tx;		/* fd -1 until then */
	size_t tx_buf_size;		/* as asked for at session creation */
	int wake;			/* our wake pipe's read end: we sleep */
	int wake_wr;			/* its write end (the client's copies) */
	int peer;			/* the client's wake pipe, write end */
	struct pkt_sink *sink;
	void *sink_mem;
	struct cairn_watch *watch;
	bool broken;			/* the client corrupted the rings */
	int watch_sig;			/* FS_WATCH signal cap, -1 if none */
	struct fs_session *next;
};

struct fs_server {
	struct cairn_env *env;
	const struct fs_ops *ops;
	void *fs;
	uint64_t root_node;
	struct xml_node config;
	bool have_config;
	bool verbose;
	struct cairn_root *root;
	struct fs_session *sessions;
};

/*
 * Session cost: what a session of tx_buf_size bytes takes from its
 * donation before content: the stream buffer (page rounded) and the
 * session's own state.
 */
uint64_t fs_session_cost(uint64_t tx_buf_size);

/*
 * Make a session for label with args (tx_buf_size) and quota: decodes the
 * policy and the quota first. Returns 0 and *out, or a root status with
 * detail. The session has no RPC object yet (server.c adds one).
 */
int fs_session_new(struct fs_server *srv, const char *label,
    const char *args, uint64_t quota, struct fs_session **out, char *detail,
    size_t dcap);
/* Close every handle (notifying), release the stream, free. */
void fs_session_free(struct fs_session *s);

/* Invoke functions: decode and perform; return an enum fs_error. */
int fs_do_file(struct fs_session *s, const struct fs_file_args *a,
    int32_t *h);
int fs_do_symlink(struct fs_session *s, const struct fs_symlink_args *a,
    int32_t *h);
int fs_do_dir(struct fs_session *s, const struct fs_dir_args *a, int32_t *h);
int fs_do_node(struct fs_session *s, const struct fs_node_args *a,
    int32_t *h);
int fs_do_close(struct fs_session *s, int32_t h);
int fs_do_close_many(struct fs_session *s,
    const struct fs_close_many_args *a);
int fs_do_status(struct fs_session *s, int32_t h, struct fs_status *st);
int fs_do_control(struct fs_session *s, const struct fs_control_args *a);
int fs_do_unlink(struct fs_session *s, const struct fs_unlink_args *a);
/* FS_REMOVE: fs_do_unlink, then the directory's status into *st. */
int fs_do_remove(struct fs_session *s, const struct fs_unlink_args *a,
    struct fs_status *st);
int fs_do_truncate(struct fs_session *s, const struct fs_truncate_args *a);
int fs_do_move(struct fs_session *s, const struct fs_move_args *a);
int fs_do_link(struct fs_session *s, const struct fs_link_args *a);
int fs_do_allocate(struct fs_session *s, const struct fs_allocate_args *a);
int fs_do_lookup(struct fs_session *s, const struct fs_lookup_args *a,
    struct fs_status *st);
int fs_do_create(struct fs_session *s, const struct fs_create_args *a,
    struct fs_create_res *res);
/* Watch with signal cap sig (taken; -1: stop). */
int fs_do_watch(struct fs_session *s, int sig);
int fs_do_sigh(struct fs_session *s, int32_t h, int sig_cap);
int fs_do_sync(struct fs_session *s);

/*
 * Process one packet whose payload (d->size bytes) is at `payload`, or
 * NULL when the descriptor lies outside the bulk buffer: fills in success
 * and length in d. Never fails otherwise.
 */
void fs_packet_process(struct fs_session *s, struct pkt_desc *d,
    void *payload);

/*
 * stream.c: create the session's stream (FS_TX) and serve it. Takes
 * client_wake in any case; returns an enum fs_error and, on FS_OK, two
 * descriptors for the client.
 */
int fs_stream_create(struct fs_session *s, int client_wake, int *ds_fd,
    int *wake_fd, struct fs_tx_res *res);
void fs_stream_release(struct fs_session *s);

/* server.c: signal the listeners of node in every session. */
void fs_notify_node(struct fs_server *srv, uint64_t node);
/* server.c: s (NULL: the server) changed the tree; signal the watchers
 * of every other session (FS_WATCH). */
void fs_changed(struct fs_server *srv, struct fs_session *s);

#endif
