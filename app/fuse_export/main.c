/*
 * fuse_export: a File_system session mounted on a host directory through
 * FUSE, so that ls, cp, cat, find and editors work on it from Linux.
 * SPDX-License-Identifier: MIT
 *
 * core mounts /dev/fuse at the granted directory (a host resource of kind
 * fuse) and hands us the descriptor; libfuse serves it as "/dev/fd/N"
 * without mounting anything itself. Requests are read on the entrypoint
 * whenever the descriptor is readable, one at a time.
 *
 * A second thread only writes invalidations to the descriptor (the
 * component says so: it is not single-threaded). The kernel may need a
 * directory's lock to apply one while a request that holds the lock
 * waits for our answer, so the thread that answers requests must never
 * wait for an invalidation (libfuse's fuse_lowlevel_notify_inval_entry
 * documents the deadlock). The node table is the main thread's alone:
 * the queue carries copies of ids and names.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <cairn/packet_stream.h>

#include "fuse_export.h"

static void
stop(struct main *mn, int value)
{
	pthread_mutex_lock(&mn->lock);
	mn->stopping = true;
	pthread_cond_signal(&mn->cond);
	pthread_mutex_unlock(&mn->lock);
	if (mn->notifier_up)
		pthread_join(mn->notifier, NULL);
	export_flush_closes(mn);
	cairn_ep_unwatch(mn->env->ep, mn->watch);
	fuse_session_destroy(mn->se);
	fs_conn_close(&mn->conn);
	cairn_exit(mn->env, value);
}

/*
 * Requests come in runs: answering one lets the process that waited for
 * it send its next before we look again (a FORGET and the next request
 * often wait together). So read on until the descriptor, which does not
 * block, has none left, instead of asking epoll before each; at most
 * EXPORT_RUN in a row, so that timers and the watch are served between.
 */
static void
on_request(void *ctx, uint32_t events)
{
	struct main *mn = ctx;
	unsigned i;
	int r;

	for (i = 0; i < EXPORT_RUN; i++) {
		r = fuse_session_receive_buf(mn->se, &mn->buf);
		if (r == -EINTR || r == -EAGAIN)
			return;
		if (r <= 0) {
			/* ENODEV: the host unmounted us. */
			cairn_log(mn->env, "FUSE connection ended (%s)",
			    r ? strerror(-r) : "end of file");
			stop(mn, 0);
		}
		fuse_session_process_buf(mn->se, &mn->buf);
		if (fuse_session_exited(mn->se))
			stop(mn, 0);
	}
}

static void
on_close_timer(void *ctx)
{
	export_flush_closes(ctx);
}

/* --- invalidation --- */

static void
push(struct main *mn, uint64_t parent, uint64_t id, const char *name)
{
	struct inval *q;

	if (mn->nqueue == mn->capqueue) {
		size_t cap = mn->capqueue ? mn->capqueue * 2 : 256;

		q = realloc(mn->queue, cap * sizeof(*q));
		if (q == NULL)
			return;		/* the timeout ends it later */
		mn->queue = q;
		mn->capqueue = cap;
	}
	q = &mn->queue[mn->nqueue];
	q->parent = parent;
	q->id = id;
	q->name = name ? strdup(name) : NULL;
	if (name == NULL || q->name != NULL)
		mn->nqueue++;
}

void
export_names_drop(struct main *mn, struct node *n)
{
	nameset_free(&mn->nodes, n->names);
	n->names = NULL;
}

static void
queue_node(void *ctx, struct node *n)
{
	struct main *mn = ctx;

	n->fresh = false;
	export_names_drop(mn, n);
	push(mn, 0, n->id, NULL);
	if (n->name != NULL && n->parent != NULL)
		push(mn, n->parent->id, n->id, n->name);
}

void
export_invalidate_all(struct main *mn)
{
	size_t i;

	pthread_mutex_lock(&mn->lock);
	/*
	 * A batch the notifier has not taken yet is replaced, not added to:
	 * a new snapshot covers all of it, and a busy writer elsewhere
	 * cannot make the queue grow without bound.
	 */
	for (i = 0; i < mn->nqueue; i++)
		free(mn->queue[i].name);
	mn->nqueue = 0;
	nodes_each(&mn->nodes, queue_node, mn);
	pthread_cond_signal(&mn->cond);
	pthread_mutex_unlock(&mn->lock);
}

struct links {
	struct main *mn;
	const struct node *n;
};

static void
queue_link(void *ctx, struct node *m)
{
	struct links *l = ctx;

	if (m != l->n && m->ino == l->n->ino && m->type == l->n->type)
		push(l->mn, 0, m->id, NULL);
}

void
export_invalidate_links(struct main *mn, const struct node *n)
{
	struct links l = { mn, n };

	/* A scan of the table: only for nodes with more than one name. */
	pthread_mutex_lock(&mn->lock);
	nodes_each(&mn->nodes, queue_link, &l);
	pthread_cond_signal(&mn->cond);
	pthread_mutex_unlock(&mn->lock);
}

bool
export_changed(struct main *mn)
{
	if (mn->changes < 0 || pkt_wake_drain(mn->changes) == 0)
		return false;
	export_invalidate_all(mn);
	return true;
}

/* Another session changed the tree: whatever the kernel has may be old. */
static void
on_changes(void *ctx, uint32_t events)
{
	(void)export_changed(ctx);
}

static void *
notifier(void *arg)
{
	struct main *mn = arg;
	struct inval *q;
	size_t n, i;

	pthread_mutex_lock(&mn->lock);
	for (;;) {
		while (mn->nqueue == 0 && !mn->stopping)
			pthread_cond_wait(&mn->cond, &mn->lock);
		if (mn->stopping)
			break;
		q = mn->queue;
		n = mn->nqueue;
		mn->queue = NULL;
		mn->nqueue = mn->capqueue = 0;
		pthread_mutex_unlock(&mn->lock);
		/* Errors mean the kernel no longer has it: nothing to do. */
		for (i = 0; i < n; i++) {
			if (q[i].name != NULL)
				(void)fuse_lowlevel_notify_inval_entry(mn->se,
				    q[i].parent, q[i].name, strlen(q[i].name));
			else
				(void)fuse_lowlevel_notify_inval_inode(mn->se,
				    q[i].id, 0, 0);
			free(q[i].name);
		}
		free(q);
		pthread_mutex_lock(&mn->lock);
	}
	pthread_mutex_unlock(&mn->lock);
	return NULL;
}

/* Watch the tree: FS_WATCH, and the thread that tells the kernel. */
static int
watch(struct main *mn)
{
	int p[2], cap, r;

	/*
	 * A pipe of our own rather than a cairn_sig: export_changed() empties
	 * it without waiting before we answer from what we know. The vfs
	 * gets the write end, we keep the read end.
	 */
	if ((r = pkt_wake_pipe(p)) < 0)
		return r;
	mn->changes = p[0];
	cap = p[1];
	mn->changes_watch = cairn_ep_watch(mn->env->ep, mn->changes, EPOLLIN,
	    on_changes, mn);
	if (mn->changes_watch == NULL) {
		close(cap);
		return -ENOMEM;
	}
	r = fs_conn_watch(&mn->conn, cap);
	close(cap);
	if (r < 0)
		return r;
	if ((r = pthread_create(&mn->notifier, NULL, notifier, mn)) != 0)
		return -r;
	mn->notifier_up = true;
	return 0;
}

/*
 * <config sched="batch|normal">: the scheduling class of every thread
 * (the notifier inherits it from the main thread). "batch" (the default)
 * keeps the kernel's requests from preempting the process that made them:
 * a FORGET or a RELEASE, which needs no answer, waits until that process
 * blocks, instead of costing it two switches each (bench/fs/README.md).
 * cfg may be NULL (no config: the default). 0, or -EINVAL after an
 * error naming the attribute and the value.
 */
static int
set_sched(struct cairn_env *env, const struct xml_node *cfg)
{
	struct sched_param zero = { .sched_priority = 0 };
	struct xml_error xe;
	struct xml_attr a;
	char v[16] = "batch";
	int policy;

	if (cfg != NULL && xml_node_attr(cfg, "sched", &a) == 0 &&
	    (xml_attr_get_str(cfg, "sched", v, sizeof(v), &xe) < 0 ||
	    (strcmp(v, "batch") != 0 && strcmp(v, "normal") != 0))) {
		xml_error_at(cfg, a.name, &xe, "<config>: attribute 'sched'="
		    "\"%.*s\" is not one of batch, normal", (int)a.value_len,
		    a.value);
		cairn_error(env, "config:%u:%u: %s", xe.line, xe.col, xe.msg);
		return -EINVAL;
	}
	policy = strcmp(v, "batch") == 0 ? SCHED_BATCH : SCHED_OTHER;
	if (sched_setscheduler(0, policy, &zero) < 0)
		cairn_warn(env, "sched=\"%s\": %s; staying in the current "
		    "class", v, strerror(errno));
	return 0;
}

void
construct(struct cairn_env *env)
{
	static struct main mn;
	static char *argv[] = { "fuse_export", NULL };
	struct fuse_args args = FUSE_ARGS_INIT(1, argv);
	struct cairn_rom rom;
	struct xml_node cfg;
	struct fs_status st;
	char host[32] = "fuse", label[64] = "export", mnt[32];
	uint64_t quota = 1 << 20, tx = 0, timeout = 60;
	bool have_rom, have_cfg = false;
	int32_t root;
	int fd, r;

	mn.env = env;
	mn.changes = -1;
	pthread_mutex_init(&mn.lock, NULL);
	pthread_cond_init(&mn.cond, NULL);
	have_rom = cairn_rom_open(env, "config", &rom) == 0;
	if (have_rom && cairn_rom_xml(env, &rom, &cfg) == 0) {
		xml_attr_str(&cfg, "host", host, sizeof(host), "fuse");
		xml_attr_str(&cfg, "label", label, sizeof(label), "export");
		quota = xml_attr_size(&cfg, "ram_quota", quota);
		tx = xml_attr_size(&cfg, "tx_buf_size", tx);
		timeout = xml_attr_u64(&cfg, "cache_timeout", timeout);
		mn.verbose = xml_attr_bool(&cfg, "verbose", false);
		have_cfg = true;
	}
	/* Before the notifier starts: it inherits the class. */
	r = set_sched(env, have_cfg ? &cfg : NULL);
	if (have_rom)
		cairn_rom_close(env, &rom);
	if (r < 0)
		cairn_exit(env, 1);
	mn.timeout = (double)timeout;
	fd = cairn_host_fd(env, host);
	if (fd < 0) {
		cairn_error(env, "no host resource '%s' (grant a FUSE mount "
		    "point with <host name=\"%s\" .../>)", host, host);
		cairn_exit(env, 1);
	}
	r = fs_conn_open(env, &mn.conn, label, (size_t)tx, quota);
	if (r < 0) {
		cairn_error(env, "File_system session \"%s\": %s (%s)", label,
		    strerror(-r), mn.conn.detail);
		cairn_exit(env, 1);
	}
	r = fs_conn_dir(&mn.conn, "/", false, 0, &root);
	if (r == 0)
		r = fs_conn_status(&mn.conn, root, &st);
	if (r < 0 || (r = nodes_init(&mn.nodes, st.inode)) < 0) {
		cairn_error(env, "File_system session \"%s\": its root: %s",
		    label, strerror(-r));
		cairn_exit(env, 1);
	}
	{
		uint64_t q, used;

		/* Room for nodes: what the quota leaves after start-up, less
		 * a reserve for requests in flight. */
		if (cairn_ram_quota(env, &q, &used) < 0)
			q = used = 0;
		mn.nodes.max = q > used + EXPORT_RESERVE ?
		    (q - used - EXPORT_RESERVE) / NODE_COST : 0;
		if (mn.nodes.max < 256) {
			cairn_warn(env, "RAM quota %llu KiB leaves room for "
			    "only %llu nodes; serving 256 (raise 'quantum')",
			    (unsigned long long)(q >> 10),
			    (unsigned long long)mn.nodes.max);
			mn.nodes.max = 256;
		}
	}
	mn.nodes.root->dh = root;
	node_dh_touch(&mn.nodes, mn.nodes.root);
	mn.io = malloc(EXPORT_MAX_IO);
	/* Without the timer, released handles are closed at once. */
	mn.close_timer = cairn_timer_create(env->ep, on_close_timer, &mn);
	if (mn.io == NULL) {
		cairn_error(env, "out of memory");
		cairn_exit(env, 1);
	}
	if (timeout > 0 && (r = watch(&mn)) < 0) {
		cairn_error(env, "cannot watch the File_system session: %s "
		    "(set cache_timeout=\"0\" to serve without caching)",
		    strerror(-r));
		cairn_exit(env, 1);
	}
	mn.se = fuse_session_new(&args, &export_ops, sizeof(export_ops), &mn);
	snprintf(mnt, sizeof(mnt), "/dev/fd/%d", fd);
	if (mn.se == NULL || fuse_session_mount(mn.se, mnt) != 0) {
		cairn_error(env, "cannot serve FUSE on descriptor %d", fd);
		cairn_exit(env, 1);
	}
	fd = fuse_session_fd(mn.se);
	mn.watch = cairn_ep_watch(env->ep, fd, EPOLLIN, on_request, &mn);
	if (mn.watch == NULL ||
	    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0) {
		cairn_error(env, "cannot watch the FUSE descriptor");
		cairn_exit(env, 1);
	}
	cairn_log(env, "exporting File_system session \"%s\"", label);
}
