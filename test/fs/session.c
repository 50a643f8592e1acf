/*
 * Unit tests of the lib/fs framework without RPC: policies, session
 * creation, confinement, write rights, packet checks and notification,
 * on the vfs's ram plugin.
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include <cairn/session/root.h>

#include "fs_impl.h"
#include "ram.h"
#include "talloc.h"
#include "test.h"

T_STATE_DEFINE;

static const char config_text[] =
    "<config>\n"
    "  <policy label=\"\" root=\"/\" writeable=\"no\"/>\n"
    "  <policy label=\"rw\" root=\"/\" writeable=\"yes\"/>\n"
    "  <policy label=\"rw -> jail\" root=\"/pub\" writeable=\"yes\"/>\n"
    "  <policy label=\"true\" root=\"/\" writeable=\"true\"/>\n"
    "  <policy label=\"noroot\" writeable=\"yes\"/>\n"
    "  <policy label=\"relative\" root=\"pub\"/>\n"
    "  <policy label=\"lost\" root=\"/nowhere\"/>\n"
    "  <policy label=\"file\" root=\"/pub/f\"/>\n"
    "</config>";

static struct xml_node config;
static struct talloc ta;
static struct ram_fs *ram;
static struct fs_server *srv;
static uint64_t root;

#define QUOTA	(1 << 20)

static int
setup(void)
{
	struct fs_session *s;
	int32_t h, d;
	int st;

	if (xml_parse(config_text, sizeof(config_text) - 1, 0, &config,
	    NULL) != 0)
		return -1;
	talloc_init(&ta, 0);
	if (ram_create(&ta.alloc, &ram, &root) < 0)
		return -1;
	srv = fs_server_create(NULL, &ram_ops, ram, root, &config);
	if (srv == NULL)
		return -1;
	/* The tree: /pub/f (a file), /pub/esc -> "../secret", /secret. */
	if (fs_session_new(srv, "rw", "", QUOTA, &s, (char[64]){ 0 }, 64) != 0)
		return -1;
	st = fs_do_dir(s, &(struct fs_dir_args){ 1, 0, "/pub" }, &d);
	st |= fs_do_dir(s, &(struct fs_dir_args){ 1, 0, "/secret" }, &h);
	st |= fs_do_file(s, &(struct fs_file_args){ d, FS_READ_WRITE, 1, 0,
	    "f" }, &h);
	st |= fs_do_symlink(s, &(struct fs_symlink_args){ d, 1, "esc" }, &h);
	fs_session_free(s);
	return st == FS_OK ? 0 : -1;
}

static void
teardown(void)
{
	free(srv);
	ram_destroy(ram);
}

static struct fs_session *
session(const char *label, const char *args, uint64_t quota)
{
	struct fs_session *s = NULL;
	char detail[160];

	if (fs_session_new(srv, label, args, quota, &s, detail,
	    sizeof(detail)) != ROOT_OK)
		return NULL;
	/* As server.c does: listed for notification and accounting. */
	s->next = srv->sessions;
	srv->sessions = s;
	return s;
}

static void
drop(struct fs_session *s)
{
	struct fs_session **pp;

	for (pp = &srv->sessions; *pp; pp = &(*pp)->next)
		if (*pp == s) {
			*pp = s->next;
			break;
		}
	fs_session_free(s);
}

static void
t_policy(void)
{
	struct fs_policy p;
	char detail[160];

	T_CHECK(fs_policy_select(&config, "rw -> jail", &p, detail,
	    sizeof(detail)) == 0);
	T_CHECK(strcmp(p.root, "/pub") == 0 && p.writeable);
	T_CHECK(fs_policy_select(&config, "rw -> other", &p, detail,
	    sizeof(detail)) == 0);
	T_CHECK(strcmp(p.root, "/") == 0 && p.writeable);
	T_CHECK(fs_policy_select(&config, "someone", &p, detail,
	    sizeof(detail)) == 0 && !p.writeable);
	/* Only the exact "yes" makes a session writeable. */
	T_CHECK(fs_policy_select(&config, "true", &p, detail,
	    sizeof(detail)) == 0 && !p.writeable);
	T_CHECK(fs_policy_select(&config, "noroot", &p, detail,
	    sizeof(detail)) == -EINVAL);
	T_CHECK(strstr(detail, "no 'root' attribute") != NULL);
	T_CHECK(fs_policy_select(&config, "relative", &p, detail,
	    sizeof(detail)) == -EINVAL);
	T_CHECK(fs_policy_select(NULL, "x", &p, detail, sizeof(detail)) ==
	    -ENOENT);
}

static void
t_create(void)
{
	struct fs_session *s;
	char d[160];

	T_CHECK(fs_session_new(srv, "rw", "", 4095, &s, d, sizeof(d)) ==
	    ROOT_QUOTA);
	T_CHECK(strstr(d, "insufficient ram donation from \"rw\"") != NULL);
	T_CHECK(fs_session_new(srv, "rw", "tx_buf_size=1K", QUOTA, &s, d,
	    sizeof(d)) == ROOT_DENIED);
	T_CHECK(fs_session_new(srv, "rw", "tx_buf_size=1G", QUOTA, &s, d,
	    sizeof(d)) == ROOT_DENIED);
	T_CHECK(fs_session_new(srv, "lost", "", QUOTA, &s, d, sizeof(d)) ==
	    ROOT_UNAVAILABLE);
	T_CHECK(fs_session_new(srv, "file", "", QUOTA, &s, d, sizeof(d)) ==
	    ROOT_UNAVAILABLE);
	T_CHECK(fs_session_new(srv, "noroot", "", QUOTA, &s, d, sizeof(d)) ==
	    ROOT_UNAVAILABLE);
	s = session("rw", "tx_buf_size=64K", QUOTA);
	T_CHECK(s != NULL);
	T_CHECK(s->cost == fs_session_cost(64 * 1024));
	T_CHECK(fs_server_spare_quota(srv) == QUOTA - s->cost);
	drop(s);
	T_CHECK(fs_server_spare_quota(srv) == 0);
}

static void
t_confined(void)
{
	struct fs_session *s = session("rw -> jail", "", QUOTA);
	struct fs_session *w = session("rw", "", QUOTA);
	struct fs_status a, b;
	int32_t h, r;

	T_CHECK(s && w);
	T_CHECK(fs_do_dir(s, &(struct fs_dir_args){ 0, 0, "/" }, &r) == FS_OK);
	T_CHECK(fs_do_dir(w, &(struct fs_dir_args){ 0, 0, "/pub" }, &h) ==
	    FS_OK);
	T_CHECK(fs_do_status(s, r, &a) == FS_OK);
	T_CHECK(fs_do_status(w, h, &b) == FS_OK && a.inode == b.inode);
	T_CHECK(fs_do_dir(s, &(struct fs_dir_args){ 0, 0, "/.." }, &h) ==
	    FS_LOOKUP_FAILED);
	T_CHECK(fs_do_dir(s, &(struct fs_dir_args){ 0, 0, "/../secret" },
	    &h) == FS_LOOKUP_FAILED);
	T_CHECK(fs_do_node(s, &(struct fs_node_args){ "/secret" }, &h) ==
	    FS_LOOKUP_FAILED);
	T_CHECK(fs_do_node(s, &(struct fs_node_args){ "/f" }, &h) == FS_OK);
	T_CHECK(fs_do_dir(s, &(struct fs_dir_args){ 0, 0, "/esc" }, &h) ==
	    FS_LOOKUP_FAILED);
	T_CHECK(fs_do_file(s, &(struct fs_file_args){ r, FS_READ_ONLY, 0, 0,
	    ".." }, &h) == FS_INVALID_NAME);
	T_CHECK(fs_do_move(s, &(struct fs_move_args){ r, r, "f", ".." }) ==
	    FS_INVALID_NAME);
	T_CHECK(fs_do_dir(s, &(struct fs_dir_args){ 1, 0, "/" }, &h) ==
	    FS_NODE_ALREADY_EXISTS);
	drop(s);
	drop(w);
}

static void
t_readonly(void)
{
	struct fs_session *s = session("someone", "", QUOTA);
	struct fs_control_args c;
	int32_t d, f, h;

	T_CHECK(s != NULL && !s->writeable);
	T_CHECK(fs_do_dir(s, &(struct fs_dir_args){ 0, 0, "/pub" }, &d) ==
	    FS_OK);
	T_CHECK(fs_do_file(s, &(struct fs_file_args){ d, FS_READ_ONLY, 0, 0,
	    "f" }, &f) == FS_OK);
	T_CHECK(fs_do_file(s, &(struct fs_file_args){ d, FS_WRITE_ONLY, 0, 0,
	    "f" }, &h) == FS_PERMISSION_DENIED);
	T_CHECK(fs_do_file(s, &(struct fs_file_args){ d, FS_READ_ONLY, 1, 0,
	    "g" }, &h) == FS_PERMISSION_DENIED);
	T_CHECK(fs_do_dir(s, &(struct fs_dir_args){ 1, 0, "/pub/x" }, &h) ==
	    FS_PERMISSION_DENIED);
	T_CHECK(fs_do_symlink(s, &(struct fs_symlink_args){ d, 1, "l" }, &h)
	    == FS_PERMISSION_DENIED);
	T_CHECK(fs_do_unlink(s, &(struct fs_unlink_args){ d, "f" }) ==
	    FS_PERMISSION_DENIED);
	T_CHECK(fs_do_move(s, &(struct fs_move_args){ d, d, "f", "g" }) ==
	    FS_PERMISSION_DENIED);
	T_CHECK(fs_do_truncate(s, &(struct fs_truncate_args){ f, 0, 0 }) ==
	    FS_PERMISSION_DENIED);
	T_CHECK(fs_do_link(s, &(struct fs_link_args){ f, d, "h" }) ==
	    FS_PERMISSION_DENIED);
	memset(&c, 0, sizeof(c));
	c.handle = f;
	c.valid = FS_CONTROL_MODE;
	T_CHECK(fs_do_control(s, &c) == FS_PERMISSION_DENIED);
	T_CHECK(fs_do_sync(s) == FS_OK);
	drop(s);
}

static void
t_handles(void)
{
	struct fs_session *a = session("rw", "", QUOTA);
	struct fs_session *b = session("rw", "", QUOTA);
	struct fs_status st;
	int32_t h, f;

	T_CHECK(a && b);
	T_CHECK(fs_do_dir(a, &(struct fs_dir_args){ 0, 0, "/pub" }, &h) ==
	    FS_OK);
	/* b holds no handle: a's value means nothing there. */
	T_CHECK(fs_do_status(b, h, &st) == FS_INVALID_HANDLE);
	T_CHECK(fs_do_file(a, &(struct fs_file_args){ h, FS_READ_ONLY, 0, 0,
	    "f" }, &f) == FS_OK);
	T_CHECK(fs_do_unlink(a, &(struct fs_unlink_args){ f, "x" }) ==
	    FS_INVALID_HANDLE);
	T_CHECK(fs_do_truncate(a, &(struct fs_truncate_args){ h, 0, 0 }) ==
	    FS_INVALID_HANDLE);
	T_CHECK(fs_do_close(a, h) == FS_OK);
	T_CHECK(fs_do_close(a, h) == FS_INVALID_HANDLE);
	T_CHECK(fs_do_file(a, &(struct fs_file_args){ h, FS_READ_ONLY, 0, 0,
	    "f" }, &f) == FS_INVALID_HANDLE);
	T_CHECK(fs_do_sigh(a, 999, -1) == FS_INVALID_HANDLE);
	T_CHECK(fs_do_file(a, &(struct fs_file_args){ 0, 7, 0, 0, "f" }, &f)
	    == FS_INVALID_HANDLE);
	drop(a);
	drop(b);
}

static void
t_args(void)
{
	struct fs_session *s = session("rw", "", QUOTA);
	struct fs_file_args fa;
	struct fs_dir_args da;
	int32_t d, h;

	T_CHECK(s != NULL);
	T_CHECK(fs_do_dir(s, &(struct fs_dir_args){ 0, 0, "/pub" }, &d) ==
	    FS_OK);
	/* Names and paths without a terminating NUL. */
	memset(&fa, 'x', sizeof(fa));
	fa.dir = d;
	fa.mode = FS_READ_ONLY;
	fa.create = 0;
	T_CHECK(fs_do_file(s, &fa, &h) == FS_NAME_TOO_LONG);
	memset(&da, 'x', sizeof(da));
	da.create = 0;
	T_CHECK(fs_do_dir(s, &da, &h) == FS_NAME_TOO_LONG);
	T_CHECK(fs_do_file(s, &(struct fs_file_args){ d, 4, 0, 0, "f" }, &h)
	    == FS_INVALID_ARGUMENT);
	T_CHECK(fs_do_control(s, &(struct fs_control_args){ .handle = d,
	    .valid = 0x80 }) == FS_INVALID_ARGUMENT);
	drop(s);
}

/* One packet through fs_packet_process with a local buffer. */
static struct fs_packet
packet(struct fs_session *s, int32_t h, uint32_t op, uint64_t pos,
    uint64_t len, uint64_t size, void *payload)
{
	struct fs_packet p;
	struct pkt_desc d;

	memset(&d, 0, sizeof(d));
	memset(&p, 0, sizeof(p));
	d.size = size;
	p.handle = h;
	p.op = op;
	p.position = pos;
	p.length = len;
	p.ref = 0xabc;
	p.success = 1;		/* the server decides */
	fs_packet_set(&d, &p);
	fs_packet_process(s, &d, payload);
	fs_packet_get(&d, &p);
	return p;
}

static void
t_packets(void)
{
	struct fs_session *s = session("rw", "", QUOTA);
	struct fs_session *ro = session("someone", "", QUOTA);
	struct fs_dirent e;
	struct fs_packet p;
	char buf[512];
	int32_t d, f, rf, l;

	T_CHECK(s && ro);
	T_CHECK(fs_do_dir(s, &(struct fs_dir_args){ 0, 0, "/pub" }, &d) ==
	    FS_OK);
	T_CHECK(fs_do_file(s, &(struct fs_file_args){ d, FS_READ_WRITE, 0, 0,
	    "f" }, &f) == FS_OK);
	memcpy(buf, "0123456789", 10);
	p = packet(s, f, FS_PACKET_WRITE, 0, 10, 16, buf);
	T_CHECK(p.success && p.length == 10 && p.ref == 0xabc);
	p = packet(s, f, FS_PACKET_WRITE, FS_SEEK_TAIL, 2, 16, "ab");
	T_CHECK(p.success && p.length == 2);
	p = packet(s, f, FS_PACKET_READ, 8, 100, sizeof(buf), buf);
	T_CHECK(p.success && p.length == 4 && memcmp(buf, "89ab", 4) == 0);
	p = packet(s, f, FS_PACKET_READ, 12, 100, sizeof(buf), buf);
	T_CHECK(p.success && p.length == 0);
	/* Refused: outside the buffer, longer than its size, bad handle or
	 * op; the failure names the status in length. */
	p = packet(s, f, FS_PACKET_READ, 0, 4, 16, NULL);
	T_CHECK(!p.success && p.length == FS_INVALID_ARGUMENT);
	p = packet(s, f, FS_PACKET_READ, 0, 17, 16, buf);
	T_CHECK(!p.success);
	p = packet(s, 4242, FS_PACKET_READ, 0, 4, 16, buf);
	T_CHECK(!p.success && p.length == FS_INVALID_HANDLE);
	p = packet(s, f, 7, 0, 4, 16, buf);
	T_CHECK(!p.success);
	p = packet(s, f, FS_PACKET_READ, FS_SEEK_TAIL, 4, 16, buf);
	T_CHECK(!p.success);
	/* Directories: aligned positions, one entry, 0 at the end. */
	p = packet(s, d, FS_PACKET_READ, 0, sizeof(e), sizeof(e), &e);
	T_CHECK(p.success && p.length == sizeof(e) && strcmp(e.name, "f") == 0);
	p = packet(s, d, FS_PACKET_READ, 1, sizeof(e), sizeof(e), &e);
	T_CHECK(!p.success);
	p = packet(s, d, FS_PACKET_READ, 0, sizeof(e) - 1, sizeof(e), &e);
	T_CHECK(!p.success);
	p = packet(s, d, FS_PACKET_READ, 9 * sizeof(e), sizeof(e), sizeof(e),
	    &e);
	T_CHECK(p.success && p.length == 0);
	p = packet(s, d, FS_PACKET_WRITE, 0, 4, 16, buf);
	T_CHECK(!p.success);
	/* Symlinks: the whole target, read back from any position. */
	T_CHECK(fs_do_symlink(s, &(struct fs_symlink_args){ d, 0, "esc" },
	    &l) == FS_OK);
	p = packet(s, l, FS_PACKET_WRITE, 0, 9, 16, "../secret");
	T_CHECK(p.success && p.length == 9);
	p = packet(s, l, FS_PACKET_WRITE, 3, 2, 16, "xx");
	T_CHECK(!p.success);
	p = packet(s, l, FS_PACKET_READ, 3, 100, sizeof(buf), buf);
	T_CHECK(p.success && p.length == 6 && memcmp(buf, "secret", 6) == 0);
	/* A read-only session may read but not write. */
	T_CHECK(fs_do_dir(ro, &(struct fs_dir_args){ 0, 0, "/pub" }, &d) ==
	    FS_OK);
	T_CHECK(fs_do_file(ro, &(struct fs_file_args){ d, FS_READ_ONLY, 0, 0,
	    "f" }, &rf) == FS_OK);
	p = packet(ro, rf, FS_PACKET_READ, 0, 4, 16, buf);
	T_CHECK(p.success && p.length == 4);
	p = packet(ro, rf, FS_PACKET_WRITE, 0, 4, 16, buf);
	T_CHECK(!p.success && p.length == FS_PERMISSION_DENIED);
	drop(s);
	drop(ro);
}

static uint64_t
pending(int rd)
{
	struct pollfd pfd = { rd, POLLIN, 0 };
	uint8_t buf[64];
	ssize_t r;

	if (poll(&pfd, 1, 0) != 1 || (r = read(rd, buf, sizeof(buf))) < 0)
		return 0;
	return (uint64_t)r;
}

/* A signal to watch: its read end, and the write end in *wr. */
static int
sig_pipe(int *wr)
{
	int p[2];

	if (pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0)
		return -1;
	*wr = p[1];
	return p[0];
}

static void
t_notify(void)
{
	struct fs_session *a = session("rw", "", QUOTA);
	struct fs_session *b = session("rw", "", QUOTA);
	int32_t da, fa, db, fb, pb;
	int w1 = -1, w2 = -1, e1 = sig_pipe(&w1), e2 = sig_pipe(&w2);

	T_CHECK(a && b && e1 >= 0 && e2 >= 0);
	T_CHECK(fs_do_dir(a, &(struct fs_dir_args){ 0, 0, "/pub" }, &da) ==
	    FS_OK);
	T_CHECK(fs_do_file(a, &(struct fs_file_args){ da, FS_READ_ONLY, 0, 0,
	    "f" }, &fa) == FS_OK);
	T_CHECK(fs_do_sigh(a, da, dup(w1)) == FS_OK);
	T_CHECK(fs_do_sigh(a, fa, dup(w2)) == FS_OK);
	/* b creates a file in /pub: a hears of it when b's handle closes. */
	T_CHECK(fs_do_dir(b, &(struct fs_dir_args){ 0, 0, "/pub" }, &db) ==
	    FS_OK);
	T_CHECK(fs_do_file(b, &(struct fs_file_args){ db, FS_WRITE_ONLY, 1, 0,
	    "new" }, &fb) == FS_OK);
	T_CHECK(pending(e1) == 0);
	T_CHECK(fs_do_close(b, db) == FS_OK);
	T_CHECK(pending(e1) == 1 && pending(e2) == 0);
	/* Writing f through b, then closing: f's listener. */
	T_CHECK(fs_do_dir(b, &(struct fs_dir_args){ 0, 0, "/pub" }, &db) ==
	    FS_OK);
	T_CHECK(fs_do_file(b, &(struct fs_file_args){ db, FS_WRITE_ONLY, 0, 0,
	    "f" }, &fb) == FS_OK);
	(void)packet(b, fb, FS_PACKET_WRITE, 0, 1, 1, "x");
	T_CHECK(pending(e2) == 0);
	T_CHECK(fs_do_close(b, fb) == FS_OK);
	T_CHECK(pending(e2) == 1 && pending(e1) == 0);
	/* Closing an unmodified handle says nothing. */
	T_CHECK(fs_do_close(b, db) == FS_OK);
	T_CHECK(pending(e1) == 0);
	/* A move signals both directories and the node at once. */
	T_CHECK(fs_do_dir(b, &(struct fs_dir_args){ 0, 0, "/pub" }, &db) ==
	    FS_OK);
	T_CHECK(fs_do_dir(b, &(struct fs_dir_args){ 0, 0, "/" }, &pb) ==
	    FS_OK);
	T_CHECK(fs_do_move(b, &(struct fs_move_args){ db, pb, "f", "g" }) ==
	    FS_OK);
	T_CHECK(pending(e1) == 1 && pending(e2) == 1);
	/* Signals per session are limited: each is a descriptor. */
	{
		int32_t hs[FS_MAX_SIGNALS];
		unsigned i;
		int st = FS_OK, extra;

		for (i = 0; i < FS_MAX_SIGNALS - 2 && st == FS_OK; i++) {
			st = fs_do_node(a, &(struct fs_node_args){ "/" },
			    &hs[i]);
			if (st == FS_OK)
				st = fs_do_sigh(a, hs[i], dup(w1));
		}
		T_CHECK(st == FS_OK);
		T_CHECK(fs_do_node(a, &(struct fs_node_args){ "/" }, &hs[i]) ==
		    FS_OK);
		extra = dup(w1);
		T_CHECK(fs_do_sigh(a, hs[i], extra) == FS_NO_SPACE);
		close(extra);
		T_CHECK(fs_do_sigh(a, da, dup(w1)) == FS_OK);	/* replaces */
	}
	/* A dropped session's handles close with it (and notify). */
	drop(b);
	T_CHECK(fs_do_sigh(a, da, -1) == FS_OK);
	drop(a);
	close(e1);
	close(e2);
	close(w1);
	close(w2);
}

static int
alloc(struct fs_session *s, int32_t f, uint32_t flags, uint64_t off,
    uint64_t len)
{
	return fs_do_allocate(s, &(struct fs_allocate_args){ f, flags, off,
	    len });
}

/* FS_ALLOCATE: everything is checked before the file system sees it. */
static void
t_allocate(void)
{
	struct fs_session *s = session("rw", "", QUOTA);
	struct fs_session *ro = session("someone", "", QUOTA);
	struct fs_session *na;
	struct fs_server *plain;
	struct fs_ops ops = ram_ops;
	struct fs_status st;
	int32_t d, f, rf, h;

	T_CHECK(s && ro);
	T_CHECK(fs_do_dir(s, &(struct fs_dir_args){ 0, 0, "/pub" }, &d) ==
	    FS_OK);
	T_CHECK(fs_do_file(s, &(struct fs_file_args){ d, FS_READ_WRITE, 1, 0,
	    "alloc" }, &f) == FS_OK);
	T_CHECK(fs_do_file(s, &(struct fs_file_args){ d, FS_READ_ONLY, 0, 0,
	    "alloc" }, &rf) == FS_OK);
	/* Handles: none, a directory, read-only, stale. */
	T_CHECK(alloc(s, FS_HANDLE_INVALID, 0, 0, 1) == FS_INVALID_HANDLE);
	T_CHECK(alloc(s, d, 0, 0, 1) == FS_INVALID_HANDLE);
	T_CHECK(alloc(s, rf, 0, 0, 1) == FS_PERMISSION_DENIED);
	T_CHECK(alloc(s, f ^ (1 << 7), 0, 0, 1) == FS_INVALID_HANDLE);
	/* Arguments. */
	T_CHECK(alloc(s, f, 0, 0, 0) == FS_INVALID_ARGUMENT);
	T_CHECK(alloc(s, f, 0x4, 0, 1) == FS_INVALID_ARGUMENT);
	T_CHECK(alloc(s, f, FS_ALLOC_PUNCH_HOLE | FS_ALLOC_ZERO_RANGE |
	    FS_ALLOC_KEEP_SIZE, 0, 1) == FS_INVALID_ARGUMENT);
	T_CHECK(alloc(s, f, FS_ALLOC_PUNCH_HOLE, 0, 1) == FS_UNSUPPORTED);
	T_CHECK(alloc(s, f, 0, INT64_MAX, 2) == FS_SIZE_LIMIT_REACHED);
	T_CHECK(alloc(s, f, 0, UINT64_MAX, 1) == FS_SIZE_LIMIT_REACHED);
	T_CHECK(alloc(s, f, 0, 1, INT64_MAX) == FS_SIZE_LIMIT_REACHED);
	/* The file system's own limit (ram: 512 GiB). */
	T_CHECK(alloc(s, f, 0, RAM_MAX_FILE, 1) == FS_SIZE_LIMIT_REACHED);
	T_CHECK(fs_do_status(s, f, &st) == FS_OK && st.size == 0);
	/* Done: allocated, punched. */
	T_CHECK(alloc(s, f, 0, 0, 8192) == FS_OK);
	T_CHECK(fs_do_status(s, f, &st) == FS_OK && st.size == 8192 &&
	    st.blocks == 16);
	T_CHECK(alloc(s, f, FS_ALLOC_PUNCH_HOLE | FS_ALLOC_KEEP_SIZE, 0,
	    4096) == FS_OK);
	T_CHECK(fs_do_status(s, f, &st) == FS_OK && st.size == 8192 &&
	    st.blocks == 8);
	/* A read-only session: denied, even for a handle it could open. */
	T_CHECK(fs_do_dir(ro, &(struct fs_dir_args){ 0, 0, "/pub" }, &h) ==
	    FS_OK);
	T_CHECK(fs_do_file(ro, &(struct fs_file_args){ h, FS_READ_ONLY, 0, 0,
	    "alloc" }, &h) == FS_OK);
	T_CHECK(alloc(ro, h, 0, 0, 1) == FS_PERMISSION_DENIED);
	/* A server without the operation: unsupported. */
	ops.allocate = NULL;
	plain = fs_server_create(NULL, &ops, ram, root, &config);
	T_CHECK(plain != NULL);
	na = NULL;
	T_CHECK(fs_session_new(plain, "rw", "", QUOTA, &na, (char[64]){ 0 },
	    64) == ROOT_OK);
	T_CHECK(fs_do_dir(na, &(struct fs_dir_args){ 0, 0, "/pub" }, &d) ==
	    FS_OK);
	T_CHECK(fs_do_file(na, &(struct fs_file_args){ d, FS_READ_WRITE, 0, 0,
	    "alloc" }, &h) == FS_OK);
	T_CHECK(alloc(na, h, 0, 0, 1) == FS_UNSUPPORTED);
	T_CHECK(fs_do_unlink(na, &(struct fs_unlink_args){ d, "alloc" }) ==
	    FS_OK);
	fs_session_free(na);
	free(plain);
	drop(ro);
	drop(s);
}

/* FS_LOOKUP, FS_CREATE and FS_PACKET_READDIR_PLUS: checked, one call. */
static void
t_by_handle(void)
{
	struct fs_session *s = session("rw", "", QUOTA);
	struct fs_session *ro = session("someone", "", QUOTA);
	struct fs_create_args ca;
	struct fs_create_res res;
	struct fs_dirent_plus dp[4];
	struct fs_status st, st2;
	struct fs_packet p;
	int32_t d, f, h, rd;
	unsigned i;

	T_CHECK(s && ro);
	T_CHECK(fs_do_dir(s, &(struct fs_dir_args){ 1, 0, "/byh" }, &d) ==
	    FS_OK);
	T_CHECK(fs_do_file(s, &(struct fs_file_args){ d, FS_READ_ONLY, 1, 0,
	    "x" }, &f) == FS_OK);
	/* Lookup: lstat by handle and name, or the specific error. */
	T_CHECK(fs_do_lookup(s, &(struct fs_lookup_args){ d, "x" }, &st) ==
	    FS_OK && (st.mode & FS_MODE_TYPE) == FS_MODE_FILE);
	T_CHECK(fs_do_status(s, f, &st2) == FS_OK && st2.inode == st.inode);
	T_CHECK(fs_do_lookup(s, &(struct fs_lookup_args){ d, "nope" }, &st) ==
	    FS_LOOKUP_FAILED && st.inode == 0);
	T_CHECK(fs_do_lookup(s, &(struct fs_lookup_args){ d, ".." }, &st) ==
	    FS_INVALID_NAME);
	T_CHECK(fs_do_lookup(s, &(struct fs_lookup_args){ f, "x" }, &st) ==
	    FS_INVALID_HANDLE);
	T_CHECK(fs_do_lookup(s, &(struct fs_lookup_args){ d ^ (1 << 7), "x" },
	    &st) == FS_INVALID_HANDLE);
	/* Create: made, owned, opened, both statuses in the reply. */
	memset(&ca, 0, sizeof(ca));
	ca.dir = d;
	ca.type = FS_TYPE_FILE;
	ca.mode = FS_READ_WRITE;
	ca.perm = 0600;
	ca.valid = FS_CONTROL_UID | FS_CONTROL_GID;
	ca.uid = 1000;
	ca.gid = 100;
	strcpy(ca.name, "made");
	T_CHECK(fs_do_create(s, &ca, &res) == FS_OK);
	T_CHECK(res.st.uid == 1000 && res.st.gid == 100 &&
	    res.st.mode == (FS_MODE_FILE | 0600));
	T_CHECK(fs_do_status(s, d, &st) == FS_OK && st.inode ==
	    res.dir.inode && st.size == res.dir.size && st.size ==
	    2 * sizeof(struct fs_dirent));
	p = packet(s, res.handle, FS_PACKET_WRITE, 0, 2, 2, "hi");
	T_CHECK(p.success && p.length == 2);
	T_CHECK(fs_do_create(s, &ca, &res) == FS_NODE_ALREADY_EXISTS &&
	    res.handle == FS_HANDLE_INVALID);
	ca.type = FS_TYPE_DIRECTORY;
	strcpy(ca.name, "sub");
	T_CHECK(fs_do_create(s, &ca, &res) == FS_OK &&
	    (res.st.mode & FS_MODE_TYPE) == FS_MODE_DIRECTORY);
	T_CHECK(fs_do_file(s, &(struct fs_file_args){ res.handle,
	    FS_READ_WRITE, 1, 0, "in-sub" }, &h) == FS_OK);
	ca.type = 3;
	T_CHECK(fs_do_create(s, &ca, &res) == FS_INVALID_ARGUMENT);
	ca.type = FS_TYPE_SYMLINK;
	ca.valid = 0x8;
	T_CHECK(fs_do_create(s, &ca, &res) == FS_INVALID_ARGUMENT);
	ca.valid = 0;
	ca.mode = 9;
	T_CHECK(fs_do_create(s, &ca, &res) == FS_INVALID_ARGUMENT);
	ca.mode = 0;
	strcpy(ca.name, "a/b");
	T_CHECK(fs_do_create(s, &ca, &res) == FS_INVALID_NAME);
	strcpy(ca.name, "ln");
	T_CHECK(fs_do_create(s, &ca, &res) == FS_OK &&
	    (res.st.mode & FS_MODE_TYPE) == FS_MODE_SYMLINK);
	/* Read-only: refused before anything is made. */
	T_CHECK(fs_do_dir(ro, &(struct fs_dir_args){ 0, 0, "/byh" }, &rd) ==
	    FS_OK);
	ca.dir = rd;
	strcpy(ca.name, "ro");
	T_CHECK(fs_do_create(ro, &ca, &res) == FS_PERMISSION_DENIED);
	T_CHECK(fs_do_lookup(s, &(struct fs_lookup_args){ d, "ro" }, &st) ==
	    FS_LOOKUP_FAILED);
	/* Readdir plus: entries with statuses, as many as fit, 0 at the end. */
	p = packet(s, d, FS_PACKET_READDIR_PLUS, 0, sizeof(dp), sizeof(dp),
	    dp);
	T_CHECK(p.success && p.length == 4 * sizeof(dp[0]));
	for (i = 0; i < 4; i++) {
		struct fs_lookup_args la = { d, "" };

		memcpy(la.name, dp[i].e.name, sizeof(la.name));
		T_CHECK(fs_do_lookup(s, &la, &st) == FS_OK &&
		    st.inode == dp[i].st.inode && st.mode == dp[i].st.mode);
	}
	T_CHECK(strcmp(dp[0].e.name, "x") == 0 && dp[0].st.inode ==
	    st2.inode);
	T_CHECK(strcmp(dp[2].e.name, "sub") == 0 &&
	    (dp[2].st.mode & FS_MODE_TYPE) == FS_MODE_DIRECTORY);
	p = packet(s, d, FS_PACKET_READDIR_PLUS, 3, sizeof(dp), sizeof(dp),
	    dp);
	T_CHECK(p.success && p.length == sizeof(dp[0]) &&
	    strcmp(dp[0].e.name, "ln") == 0);
	p = packet(s, d, FS_PACKET_READDIR_PLUS, 4, sizeof(dp), sizeof(dp),
	    dp);
	T_CHECK(p.success && p.length == 0);
	p = packet(s, d, FS_PACKET_READDIR_PLUS, 0, sizeof(dp[0]) - 1,
	    sizeof(dp), dp);
	T_CHECK(!p.success && p.length == FS_INVALID_ARGUMENT);
	p = packet(s, f, FS_PACKET_READDIR_PLUS, 0, sizeof(dp), sizeof(dp),
	    dp);
	T_CHECK(!p.success && p.length == FS_INVALID_ARGUMENT);
	p = packet(s, d, FS_PACKET_READDIR_PLUS, 0, sizeof(dp), sizeof(dp),
	    NULL);
	T_CHECK(!p.success);
	/* Remove: unlink and the directory's status in one call. */
	T_CHECK(fs_do_remove(s, &(struct fs_unlink_args){ d, "ln" }, &st) ==
	    FS_OK && st.size == 3 * sizeof(struct fs_dirent));
	T_CHECK(fs_do_status(s, d, &st2) == FS_OK && st2.size == st.size &&
	    st2.mtime.sec == st.mtime.sec && st2.mtime.nsec == st.mtime.nsec);
	T_CHECK(fs_do_remove(s, &(struct fs_unlink_args){ d, "ln" }, &st) ==
	    FS_LOOKUP_FAILED && st.inode == 0);
	T_CHECK(fs_do_remove(ro, &(struct fs_unlink_args){ rd, "x" }, &st) ==
	    FS_PERMISSION_DENIED);
	T_CHECK(fs_do_remove(s, &(struct fs_unlink_args){ f, "x" }, &st) ==
	    FS_INVALID_HANDLE);
	drop(ro);
	drop(s);
}

/* FS_CLOSE_MANY: all or nothing, each handle once. */
static void
t_close_many(void)
{
	struct fs_session *s = session("rw", "", QUOTA);
	struct fs_close_many_args a;
	struct fs_status st;
	int32_t d, f, g;

	T_CHECK(s != NULL);
	T_CHECK(fs_do_dir(s, &(struct fs_dir_args){ 0, 0, "/pub" }, &d) ==
	    FS_OK);
	T_CHECK(fs_do_file(s, &(struct fs_file_args){ d, FS_READ_ONLY, 1, 0,
	    "cm" }, &f) == FS_OK);
	T_CHECK(fs_do_file(s, &(struct fs_file_args){ d, FS_READ_ONLY, 0, 0,
	    "cm" }, &g) == FS_OK);
	memset(&a, 0, sizeof(a));
	T_CHECK(fs_do_close_many(s, &a) == FS_INVALID_ARGUMENT);
	a.count = FS_CLOSE_MANY_MAX + 1;
	T_CHECK(fs_do_close_many(s, &a) == FS_INVALID_ARGUMENT);
	a.count = 3;
	a.handle[0] = f;
	a.handle[1] = g;
	a.handle[2] = f;
	T_CHECK(fs_do_close_many(s, &a) == FS_INVALID_ARGUMENT);
	a.handle[2] = g ^ (1 << 7);
	T_CHECK(fs_do_close_many(s, &a) == FS_INVALID_HANDLE);
	/* Nothing was closed by the refusals. */
	T_CHECK(fs_do_status(s, f, &st) == FS_OK &&
	    fs_do_status(s, g, &st) == FS_OK);
	a.handle[2] = d;
	T_CHECK(fs_do_close_many(s, &a) == FS_OK);
	T_CHECK(fs_do_status(s, f, &st) == FS_INVALID_HANDLE &&
	    fs_do_status(s, g, &st) == FS_INVALID_HANDLE &&
	    fs_do_status(s, d, &st) == FS_INVALID_HANDLE);
	T_CHECK(s->handles.used == 0);
	drop(s);
}

/* FS_WATCH: every other session's change signals; one's own never. */
static void
t_watch(void)
{
	struct fs_session *a = session("rw", "", QUOTA);
	struct fs_session *b = session("rw", "", QUOTA);
	struct fs_control_args c;
	int32_t da, db, fb, fa;
	int w = -1, e = sig_pipe(&w);

	T_CHECK(a && b && e >= 0);
	T_CHECK(fs_do_watch(a, dup(w)) == FS_OK);
	T_CHECK(fs_do_dir(a, &(struct fs_dir_args){ 1, 0, "/w" }, &da) ==
	    FS_OK);
	T_CHECK(fs_do_file(a, &(struct fs_file_args){ da, FS_READ_WRITE, 1, 0,
	    "mine" }, &fa) == FS_OK);
	(void)packet(a, fa, FS_PACKET_WRITE, 0, 1, 1, "a");
	T_CHECK(pending(e) == 0);
	/* b's changes, each on its own. */
	T_CHECK(fs_do_dir(b, &(struct fs_dir_args){ 0, 0, "/w" }, &db) ==
	    FS_OK);
	T_CHECK(pending(e) == 0);
	T_CHECK(fs_do_file(b, &(struct fs_file_args){ db, FS_READ_WRITE, 1, 0,
	    "theirs" }, &fb) == FS_OK);
	T_CHECK(pending(e) == 1);
	(void)packet(b, fb, FS_PACKET_WRITE, 0, 1, 1, "b");
	T_CHECK(pending(e) == 1);
	T_CHECK(fs_do_truncate(b, &(struct fs_truncate_args){ fb, 0, 0 }) ==
	    FS_OK && pending(e) == 1);
	memset(&c, 0, sizeof(c));
	c.handle = fb;
	c.valid = FS_CONTROL_MODE;
	c.mode = 0600;
	T_CHECK(fs_do_control(b, &c) == FS_OK && pending(e) == 1);
	T_CHECK(fs_do_move(b, &(struct fs_move_args){ db, db, "theirs",
	    "moved" }) == FS_OK && pending(e) == 1);
	T_CHECK(fs_do_unlink(b, &(struct fs_unlink_args){ db, "moved" }) ==
	    FS_OK && pending(e) == 1);
	/* Reading changes nothing; a stopped watch hears nothing. */
	(void)packet(b, fb, FS_PACKET_READ, 0, 1, 1, (char[1]){ 0 });
	T_CHECK(pending(e) == 0);
	T_CHECK(fs_do_watch(a, -1) == FS_OK);
	T_CHECK(fs_do_unlink(b, &(struct fs_unlink_args){ db, "mine" }) ==
	    FS_OK && pending(e) == 0);
	drop(a);
	drop(b);
	close(e);
	close(w);
}

int
main(void)
{
	if (setup() < 0) {
		printf("FAIL - fs-session-000: setup\n");
		return 1;
	}
	T_RUN("fs-session-001", "policy selection: longest label, root "
	    "required and absolute, exact 'yes'", t_policy);
	T_RUN("fs-session-002", "session creation checks quota, tx_buf_size "
	    "and root", t_create);
	T_RUN("fs-session-003", "a rooted session cannot leave its root",
	    t_confined);
	T_RUN("fs-session-004", "a read-only session changes nothing",
	    t_readonly);
	T_RUN("fs-session-005", "stale, foreign and mistyped handles",
	    t_handles);
	T_RUN("fs-session-006", "arguments without NUL, bad mode and control "
	    "bits", t_args);
	T_RUN("fs-session-007", "every packet is checked; failures name the "
	    "status", t_packets);
	T_RUN("fs-session-008", "change notification on close and move",
	    t_notify);
	T_RUN("fs-session-009", "FS_ALLOCATE: handle, write right, flags and "
	    "sizes checked before the file system", t_allocate);
	T_RUN("fs-session-010", "FS_LOOKUP, FS_CREATE, FS_REMOVE, READDIR_PLUS: "
	    "checked, one call each", t_by_handle);
	T_RUN("fs-session-011", "FS_WATCH: other sessions' changes signal, "
	    "one's own do not", t_watch);
	T_RUN("fs-session-012", "FS_CLOSE_MANY: all or nothing, each handle "
	    "once", t_close_many);
	teardown();
	return t_done();
}
