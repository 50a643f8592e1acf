/*
 * fuse_export: types shared by the files of the component.
 * SPDX-License-Identifier: MIT
 */
#ifndef FUSE_EXPORT_H
#define FUSE_EXPORT_H

#define FUSE_USE_VERSION 34

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>

#include <fuse_lowlevel.h>

#include <cairn/env.h>
#include <cairn/fs_client.h>

/* Directory handles kept open for directory nodes (of FS_MAX_HANDLES). */
#define EXPORT_DIR_HANDLES	64
/* File handles released by the kernel are closed in batches: at most
 * this many wait, for at most EXPORT_CLOSE_DELAY_US. */
#define EXPORT_CLOSE_BATCH	32
#define EXPORT_CLOSE_DELAY_US	10000
/* Bytes of the biggest read and write the kernel sends. */
#define EXPORT_MAX_IO		(1u << 20)
/* Requests read in a row before the entrypoint serves anything else. */
#define EXPORT_RUN		64

/*
 * A node the kernel knows by its node id (a lookup, create or
 * readdirplus reply handed it out; FORGET takes it back). It is the
 * entry `name` in directory `parent` as the server answered for it, and
 * its ino is the server's inode number. A node whose entry went (unlink,
 * or a rename over it) keeps its id, loses its name, and is reachable
 * only through handles open on it.
 */
struct node {
	uint64_t id;			/* the kernel's node id */
	uint64_t ino;			/* fs_status.inode */
	uint32_t type;			/* FS_MODE_* type bits */
	uint32_t nlink;			/* as last seen */
	uint64_t nlookup;		/* the kernel's references */
	unsigned children;		/* nodes whose parent this is */
	unsigned opens;			/* file handles open on it */
	int32_t fh;			/* one of them, for getattr */
	struct node *parent;		/* NULL: the root, or nameless */
	char *name;			/* NULL: the root, or nameless */
	int32_t dh;			/* cached directory handle or -1 */
	/* Directories: the status as the server last told it, good while
	 * `fresh` (none of our changes since, no FS_WATCH signal). */
	struct fs_status st;
	bool fresh;
	/* Directories we made: every name in it while complete (non-NULL),
	 * so that a lookup of a new name needs no RPC. */
	struct nameset *names;
	struct node *id_next;		/* hash by id */
	struct node *name_next;		/* hash by (parent, name) */
	struct node *lru_prev, *lru_next;	/* dirs with a handle */
};

/*
 * A set of names (nodes.c): a directory's complete listing. All sets
 * together hold at most NAMES_BYTES_MAX bytes (names and their
 * bookkeeping); beyond that a set cannot grow and is given up.
 */
struct nameset;
struct nodes;

#define NAMES_BYTES_MAX		(1u << 20)

/* A new, empty set, or NULL (out of memory or budget). */
struct nameset *nameset_new(struct nodes *t);
void nameset_free(struct nodes *t, struct nameset *s);
bool nameset_has(const struct nameset *s, const char *name);
/* 0, or -ENOMEM / -ENOSPC (the budget): the set is useless then. */
int nameset_add(struct nodes *t, struct nameset *s, const char *name);
void nameset_del(struct nodes *t, struct nameset *s, const char *name);

struct nodes {
	struct node **by_id, **by_name;
	uint32_t cap;			/* buckets of each, a power of two */
	uint64_t count;
	uint64_t next_id;
	struct node *root;
	struct node *lru_head, *lru_tail;
	unsigned ndh;
	size_t names_bytes;		/* held by all name sets */
	uint64_t max;			/* nodes the RAM quota pays for, 0: any */
	bool full_said;			/* the log knows the table is full */
};

/*
 * What one node costs in RAM, name and hash buckets included (measured:
 * ~280 bytes with short names); the budget (struct nodes' max) is the RAM
 * quota left after start-up divided by this.
 */
#define NODE_COST	320u
/* RAM kept back from the node budget: the I/O buffer and libfuse's request
 * buffer (1 MiB each); the binary and the rest of the heap live in the
 * slack core adds to every quantum. */
#define EXPORT_RESERVE	(2u << 20)

/* An invalidation for the notifier thread: an entry, or a node's all. */
struct inval {
	uint64_t parent;		/* 0: node `id` only */
	uint64_t id;
	char *name;
};

struct main {
	struct cairn_env *env;
	struct fs_conn conn;		/* the exported File_system session */
	struct fuse_session *se;
	struct fuse_buf buf;		/* libfuse's request buffer, reused */
	struct cairn_watch *watch;
	int changes;			/* FS_WATCH's pipe: others changed
					 * the tree; -1 when not watching */
	struct cairn_watch *changes_watch;
	struct nodes nodes;
	char *io;			/* EXPORT_MAX_IO bytes for reads */
	int32_t closing[EXPORT_CLOSE_BATCH];	/* released, to close */
	unsigned nclosing;
	struct cairn_timer *close_timer;
	double timeout;			/* entry and attribute cache, s */
	bool verbose;
	/* The notifier thread and its queue (mutex-protected). */
	pthread_t notifier;
	bool notifier_up;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct inval *queue;
	size_t nqueue, capqueue;
	bool stopping;
};

/* nodes.c */
int nodes_init(struct nodes *t, uint64_t root_ino);
struct node *node_by_id(struct nodes *t, uint64_t id);
struct node *node_by_name(struct nodes *t, const struct node *parent,
    const char *name);
/*
 * The node for entry parent/name with inode ino and type: the known one
 * (if its inode is still ino) or a new one; the old one loses the name.
 * Its lookup count grows by one. NULL when out of memory.
 */
struct node *node_enter(struct nodes *t, struct node *parent,
    const char *name, uint64_t ino, uint32_t type);
/* The entry of n goes (unlink, moved over); n stays while referenced. */
void node_unname(struct nodes *t, struct node *n);
/* n is now entry parent/name (a rename). 0 or -ENOMEM. */
int node_rename(struct nodes *t, struct node *n, struct node *parent,
    const char *name);
/* The kernel forgot nlookup references; may free n (and parents). A
 * freed directory's handle goes to close_dh. */
void node_forget(struct nodes *t, struct node *n, uint64_t nlookup,
    void (*close_dh)(void *ctx, int32_t dh), void *ctx);
/* n's path from the session root into buf: 0, -ENAMETOOLONG, -ESTALE
 * (nameless). */
int node_path(const struct node *n, char *buf, size_t cap);
/* Directory handle LRU: use (most recent first), evict the oldest. */
void node_dh_touch(struct nodes *t, struct node *n);
void node_dh_drop(struct nodes *t, struct node *n);
struct node *node_dh_oldest(struct nodes *t);
/* Call fn for every node. */
void nodes_each(struct nodes *t, void (*fn)(void *ctx, struct node *n),
    void *ctx);

/* ops.c: the low-level FUSE operations, each mapped onto the session. */
extern const struct fuse_lowlevel_ops export_ops;
struct main *export_main(fuse_req_t req);
void export_to_stat(const struct fs_status *s, struct stat *st);
/* FS_MODE_FILE, _DIRECTORY or _SYMLINK of a status. */
uint32_t export_type_of(const struct fs_status *s);
/* The session's handle on directory node n (cached, or opened by path
 * and checked to be n still): 0, -ENOTDIR, -ESTALE, -errno. */
int export_dir_handle(struct main *mn, struct node *n, int32_t *dh);
/* The reply to the kernel for node n with status st. */
void export_node_table_full(struct main *mn);
void export_fill_entry(struct main *mn, struct node *n,
    const struct fs_status *st, struct fuse_entry_param *e);

/* Close the released handles now (FS_CLOSE_MANY). */
void export_flush_closes(struct main *mn);

/* readdir.c */
void x_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);
void x_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
    struct fuse_file_info *fi);
void x_readdirplus(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
    struct fuse_file_info *fi);
void x_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi);

/* main.c: queue invalidations for the notifier thread. */
void export_invalidate_all(struct main *mn);
/*
 * Whether another client changed the tree since we last looked (the
 * FS_WATCH signal, read without waiting); everything is invalidated
 * then. Called before answering from what we know.
 */
bool export_changed(struct main *mn);
/* Forget directory n's listing (our knowledge is incomplete now). */
void export_names_drop(struct main *mn, struct node *n);
/*
 * The attributes of the other nodes of inode ino (hard links known under
 * other names) are old: their link count changed.
 */
void export_invalidate_links(struct main *mn, const struct node *n);

#endif
