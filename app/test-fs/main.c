/*
 * test-fs: a File_system client that exercises every operation of the
 * session, its error statuses, bad handles and packets, notification,
 * quota, and per-client policies.
 * SPDX-License-Identifier: MIT
 *
 * <config test="ops"/> runs the operations test (needs a writeable policy
 * for "test-fs -> ops", "-> other" and "-> small"); test="policy" the
 * policy test (policies for "-> rw" root "/", "-> ro" root "/" read-only,
 * "-> jail" root "/pub", "-> lost" with a missing root, none for
 * "-> nobody"); test="export" the counterpart of test/fs/export_driver.sh
 * ("-> export-test", root "/"); test="tree" a tree of several ram file
 * systems ("-> tree"). Every check is made here: a step logs "WHAT: RESULT" when
 * the server answered as expected and an Error line otherwise, so the
 * scenario matches the log in order and fails on any Error.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cairn/env.h>
#include <cairn/fs_client.h>
#include <cairn/fs_server.h>
#include <cairn/packet_stream.h>

struct main {
	struct cairn_env *env;
	struct fs_conn c;
	unsigned failed;
	uint64_t signals;
	bool changed_once;		/* export: the first change request */
};

/* The status of the last call on c must be want. */
static void
step(struct main *mn, struct fs_conn *c, const char *what, int want)
{
	if (c->status == want)
		cairn_log(mn->env, "%s: %s", what, fs_error_str(want));
	else {
		cairn_error(mn->env, "%s: %s, expected %s", what,
		    fs_error_str(c->status), fs_error_str(want));
		mn->failed++;
	}
}

static void
check(struct main *mn, bool ok, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
check(struct main *mn, bool ok, const char *fmt, ...)
{
	char buf[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (ok)
		cairn_log(mn->env, "%s", buf);
	else {
		cairn_error(mn->env, "check failed: %s", buf);
		mn->failed++;
	}
}

static void
must_open(struct main *mn, struct fs_conn *c, const char *label,
    uint64_t extra)
{
	int r = fs_conn_open(mn->env, c, label, 0, extra);

	if (r < 0) {
		cairn_error(mn->env, "session \"%s\": %s (%s)", label,
		    strerror(-r), c->detail);
		cairn_exit(mn->env, 1);
	}
}

static int32_t
dir(struct fs_conn *c, const char *path)
{
	int32_t h;

	(void)fs_conn_dir(c, path, false, 0, &h);
	return h;
}

static long
write_str(struct fs_conn *c, int32_t h, const char *s, uint64_t pos)
{
	return fs_conn_write(c, h, s, strlen(s), pos);
}

/* --- operations --- */

static void
test_names(struct main *mn, int32_t a)
{
	struct fs_conn *c = &mn->c;
	char name[FS_MAX_NAME_LEN + 8];
	int32_t h;

	(void)fs_conn_file(c, a, "", FS_READ_ONLY, true, 0, &h);
	step(mn, c, "empty name", FS_INVALID_NAME);
	(void)fs_conn_file(c, a, "x/y", FS_READ_ONLY, true, 0, &h);
	step(mn, c, "name with a slash", FS_INVALID_NAME);
	(void)fs_conn_file(c, a, "..", FS_READ_ONLY, false, 0, &h);
	step(mn, c, "name '..'", FS_INVALID_NAME);
	memset(name, 'n', 255);
	name[255] = '\0';
	(void)fs_conn_file(c, a, name, FS_READ_WRITE, true, 0, &h);
	step(mn, c, "name of 255 bytes", FS_OK);
	fs_conn_release(c, h);
	(void)fs_conn_unlink(c, a, name);
	step(mn, c, "unlink it", FS_OK);
	name[255] = 'n';
	name[256] = '\0';
	(void)fs_conn_file(c, a, name, FS_READ_WRITE, true, 0, &h);
	step(mn, c, "name of 256 bytes", FS_NAME_TOO_LONG);
}

static void
test_file(struct main *mn, int32_t a)
{
	struct fs_conn *c = &mn->c;
	struct fs_status st;
	char buf[64];
	int32_t h, h2;
	long n;

	(void)fs_conn_file(c, a, "f.txt", FS_READ_WRITE, true, 0, &h);
	step(mn, c, "file create", FS_OK);
	(void)fs_conn_file(c, a, "f.txt", FS_READ_WRITE, true, 0, &h2);
	step(mn, c, "file create again", FS_NODE_ALREADY_EXISTS);
	(void)fs_conn_file(c, a, "missing", FS_READ_ONLY, false, 0, &h2);
	step(mn, c, "file missing", FS_LOOKUP_FAILED);
	n = write_str(c, h, "hello, world\n", 0);
	check(mn, n == 13, "write: %ld bytes", n);
	n = write_str(c, h, "more\n", FS_SEEK_TAIL);
	check(mn, n == 5, "append: %ld bytes", n);
	memset(buf, 0, sizeof(buf));
	n = fs_conn_read(c, h, buf, sizeof(buf) - 1, 0);
	check(mn, n == 18 && strcmp(buf, "hello, world\nmore\n") == 0,
	    "read back: %ld bytes", n);
	n = fs_conn_read(c, h, buf, 10, 100);
	check(mn, n == 0 && c->status == FS_OK, "read past the end: %ld bytes",
	    n);
	(void)fs_conn_status(c, h, &st);
	check(mn, st.size == 18 && (st.mode & FS_MODE_TYPE) == FS_MODE_FILE &&
	    (st.mode & 0777) == 0644 && st.nlink == 1,
	    "status: size %llu, mode %o, nlink %u",
	    (unsigned long long)st.size, st.mode, st.nlink);

	/* Sparse: a write far out allocates one page, the hole reads 0. */
	n = write_str(c, h, "tail", 1 << 20);
	(void)fs_conn_status(c, h, &st);
	check(mn, n == 4 && st.size == (1 << 20) + 4 && st.blocks <= 16,
	    "sparse write at 1 MiB: size %llu, %llu blocks",
	    (unsigned long long)st.size, (unsigned long long)st.blocks);
	memset(buf, 'x', sizeof(buf));
	n = fs_conn_read(c, h, buf, 8, 4096);
	check(mn, n == 8 && memcmp(buf, "\0\0\0\0\0\0\0\0", 8) == 0,
	    "hole reads as zeros");
	(void)fs_conn_truncate(c, h, 5);
	step(mn, c, "truncate to 5", FS_OK);
	(void)fs_conn_truncate(c, h, 10);
	memset(buf, 'x', sizeof(buf));
	n = fs_conn_read(c, h, buf, sizeof(buf), 0);
	check(mn, n == 10 && memcmp(buf, "hello\0\0\0\0\0", 10) == 0,
	    "grown again: %ld bytes, zeros after the cut", n);
	(void)fs_conn_truncate(c, h, (uint64_t)1 << 62);
	step(mn, c, "truncate to 2^62", FS_SIZE_LIMIT_REACHED);
	fs_conn_release(c, h);

	/* A read-only handle refuses writes and truncation. */
	(void)fs_conn_file(c, a, "f.txt", FS_READ_ONLY, false, 0, &h);
	n = write_str(c, h, "x", 0);
	check(mn, n < 0 && c->status == FS_INVALID_HANDLE,
	    "write through a read-only handle: refused (%s)",
	    fs_error_str(c->status));
	(void)fs_conn_truncate(c, h, 0);
	step(mn, c, "truncate through a read-only handle",
	    FS_PERMISSION_DENIED);
	fs_conn_release(c, h);
}

static void
test_symlink(struct main *mn, int32_t a)
{
	struct fs_conn *c = &mn->c;
	struct fs_status st;
	char buf[64];
	int32_t h;
	long n;

	(void)fs_conn_symlink(c, a, "link", true, &h);
	step(mn, c, "symlink create", FS_OK);
	n = write_str(c, h, "f.txt", 0);
	check(mn, n == 5, "symlink target set");
	fs_conn_release(c, h);
	(void)fs_conn_symlink(c, a, "link", false, &h);
	memset(buf, 0, sizeof(buf));
	n = fs_conn_read(c, h, buf, sizeof(buf) - 1, 0);
	(void)fs_conn_status(c, h, &st);
	check(mn, n == 5 && strcmp(buf, "f.txt") == 0 && st.size == 5 &&
	    (st.mode & FS_MODE_TYPE) == FS_MODE_SYMLINK,
	    "symlink reads back: %s", buf);
	fs_conn_release(c, h);
	(void)fs_conn_symlink(c, a, "f.txt", false, &h);
	step(mn, c, "symlink() on a file", FS_LOOKUP_FAILED);
	(void)fs_conn_file(c, a, "link", FS_READ_ONLY, false, 0, &h);
	step(mn, c, "file() on a symlink", FS_LOOKUP_FAILED);
}

static void
test_dirs(struct main *mn, int32_t root, int32_t a)
{
	struct fs_conn *c = &mn->c;
	struct fs_dirent e;
	struct fs_status st;
	char names[128] = "";
	int32_t h, b;
	uint64_t i;

	(void)fs_conn_dir(c, "/a", true, 0, &h);
	step(mn, c, "dir create again", FS_NODE_ALREADY_EXISTS);
	(void)fs_conn_dir(c, "/x/y", true, 0, &h);
	step(mn, c, "dir create below a missing one", FS_LOOKUP_FAILED);
	(void)fs_conn_dir(c, "/a/f.txt", false, 0, &h);
	step(mn, c, "dir() on a file", FS_LOOKUP_FAILED);
	(void)fs_conn_dir(c, "a", false, 0, &h);
	step(mn, c, "relative path", FS_LOOKUP_FAILED);
	(void)fs_conn_dir(c, "/a/../a", false, 0, &h);
	step(mn, c, "path with '..'", FS_LOOKUP_FAILED);
	for (i = 0; fs_conn_readdir(c, a, i, &e) == 1; i++) {
		strncat(names, e.name, sizeof(names) - strlen(names) - 4);
		strcat(names, e.type == FS_TYPE_SYMLINK ? "@ " :
		    e.type == FS_TYPE_DIRECTORY ? "/ " : " ");
	}
	(void)fs_conn_status(c, a, &st);
	check(mn, i == 2 && st.size == 2 * sizeof(e),
	    "readdir /a: %s(%llu entries)", names, (unsigned long long)i);

	(void)fs_conn_dir(c, "/a/b", true, 0700, &b);
	step(mn, c, "dir /a/b", FS_OK);
	(void)fs_conn_status(c, b, &st);
	check(mn, (st.mode & 07777) == 0700 && st.nlink == 2,
	    "new dir: mode %o, nlink %u", st.mode & 07777, st.nlink);
	(void)fs_conn_status(c, a, &st);
	check(mn, st.nlink == 3, "parent nlink %u", st.nlink);
	(void)fs_conn_move(c, root, "a", b, "a");
	step(mn, c, "move a directory into itself", FS_INVALID_ARGUMENT);
	(void)fs_conn_unlink(c, root, "a");
	step(mn, c, "unlink a non-empty directory", FS_NOT_EMPTY);
	fs_conn_release(c, b);
}

static void
test_move_link(struct main *mn, int32_t root, int32_t a)
{
	struct fs_conn *c = &mn->c;
	struct fs_control_args ca;
	struct fs_status st;
	int32_t h, n;

	(void)fs_conn_move(c, a, "f.txt", root, "g.txt");
	step(mn, c, "move /a/f.txt to /g.txt", FS_OK);
	(void)fs_conn_move(c, a, "f.txt", root, "g.txt");
	step(mn, c, "move it again", FS_LOOKUP_FAILED);
	(void)fs_conn_file(c, root, "h.txt", FS_WRITE_ONLY, true, 0, &h);
	write_str(c, h, "to be replaced", 0);
	fs_conn_release(c, h);
	(void)fs_conn_move(c, root, "g.txt", root, "h.txt");
	step(mn, c, "move over an existing file", FS_OK);
	(void)fs_conn_move(c, root, "h.txt", root, "a");
	step(mn, c, "move a file over a directory", FS_IS_DIRECTORY);

	(void)fs_conn_node(c, "/h.txt", &n);
	(void)fs_conn_link(c, n, a, "hard");
	step(mn, c, "hard link /a/hard", FS_OK);
	(void)fs_conn_status(c, n, &st);
	check(mn, st.nlink == 2 && st.size == 10, "nlink %u, size %llu",
	    st.nlink, (unsigned long long)st.size);

	memset(&ca, 0, sizeof(ca));
	ca.handle = n;
	ca.valid = FS_CONTROL_MODE | FS_CONTROL_UID | FS_CONTROL_MTIME;
	ca.mode = 0600;
	ca.uid = 1000;
	ca.mtime.sec = 1577836800;
	ca.mtime.nsec = 123456789;
	(void)fs_conn_control(c, &ca);
	step(mn, c, "control", FS_OK);
	(void)fs_conn_status(c, n, &st);
	check(mn, (st.mode & 07777) == 0600 && st.uid == 1000 &&
	    st.mtime.sec == 1577836800 && st.mtime.nsec == 123456789,
	    "status: mode %o, uid %u, mtime %lld.%09u", st.mode & 07777,
	    st.uid, (long long)st.mtime.sec, st.mtime.nsec);
	ca.mtime.nsec = 1000000000;
	(void)fs_conn_control(c, &ca);
	step(mn, c, "control with nsec 10^9", FS_INVALID_ARGUMENT);

	(void)fs_conn_unlink(c, root, "h.txt");
	step(mn, c, "unlink /h.txt", FS_OK);
	(void)fs_conn_status(c, n, &st);
	check(mn, st.nlink == 1, "the node lives on as /a/hard: nlink %u",
	    st.nlink);
	fs_conn_release(c, n);
	(void)fs_conn_unlink(c, root, "h.txt");
	step(mn, c, "unlink it again", FS_LOOKUP_FAILED);
}

static void
test_handles(struct main *mn, int32_t a)
{
	struct fs_conn *c = &mn->c;
	static int32_t hs[FS_MAX_HANDLES];
	struct fs_status st;
	char buf[8];
	unsigned i, n = 0;
	int32_t h;
	long r;

	(void)fs_conn_file(c, a, "hard", FS_READ_ONLY, false, 0, &h);
	fs_conn_release(c, h);
	(void)fs_conn_status(c, h, &st);
	step(mn, c, "status of a closed handle", FS_INVALID_HANDLE);
	r = fs_conn_read(c, h, buf, sizeof(buf), 0);
	check(mn, r < 0 && c->status == FS_INVALID_HANDLE,
	    "read through a closed handle: refused");
	(void)fs_conn_status(c, 12345, &st);
	step(mn, c, "status of a forged handle", FS_INVALID_HANDLE);
	(void)fs_conn_release(c, FS_HANDLE_INVALID);
	step(mn, c, "close of handle -1", FS_INVALID_HANDLE);
	(void)fs_conn_unlink(c, h, "x");
	step(mn, c, "unlink with a file handle as dir", FS_INVALID_HANDLE);
	(void)fs_conn_node(c, "/a/hard", &h);
	r = fs_conn_read(c, h, buf, sizeof(buf), 0);
	check(mn, r < 0, "read through a node handle: refused");
	fs_conn_release(c, h);

	/* Exhaustion: the table holds FS_MAX_HANDLES (a and root are open). */
	for (i = 0; i < FS_MAX_HANDLES; i++) {
		if (fs_conn_node(c, "/a", &hs[i]) < 0)
			break;
		n++;
	}
	step(mn, c, "handles exhausted", FS_OUT_OF_NODE_HANDLES);
	check(mn, n == FS_MAX_HANDLES - 2, "%u more handles fit", n);
	for (i = 0; i < n; i++)
		fs_conn_release(c, hs[i]);
	(void)fs_conn_node(c, "/a", &h);
	step(mn, c, "after closing them", FS_OK);
	fs_conn_release(c, h);
}

/* Descriptors a well-behaved client never sends. */
static void
test_packets(struct main *mn, int32_t a)
{
	struct fs_conn *c = &mn->c;
	struct fs_packet p;
	struct pkt_desc d;
	int32_t h;
	char buf[8];
	long n;
	static const struct {
		const char *what;
		int64_t offset;
		uint64_t size, length;
	} bad[] = {
		{ "packet beyond the buffer", 1 << 30, 4096, 16 },
		{ "packet at a negative offset", -4096, 4096, 16 },
		{ "packet of size 0", 0, 0, 0 },
		{ "packet longer than its size", 0, 16, 4096 },
	};
	unsigned i;

	(void)fs_conn_file(c, a, "hard", FS_READ_ONLY, false, 0, &h);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&d, 0, sizeof(d));
		d.offset = bad[i].offset;
		d.size = bad[i].size;
		if (d.size == 0)
			d.offset = 0;
		memset(&p, 0, sizeof(p));
		p.handle = h;
		p.op = FS_PACKET_READ;
		p.length = bad[i].length;
		p.ref = 77;
		fs_packet_set(&d, &p);
		/* payload_size 0: the descriptor goes out as it is. */
		if (fs_conn_packet(c, &d, 0) < 0) {
			check(mn, false, "%s: no acknowledgement",
			    bad[i].what);
			continue;
		}
		fs_packet_get(&d, &p);
		check(mn, !p.success && p.ref == 77, "%s: refused",
		    bad[i].what);
	}
	n = fs_conn_read(c, h, buf, 4, 0);
	check(mn, n == 4 && memcmp(buf, "hell", 4) == 0,
	    "the stream still serves");
	fs_conn_release(c, h);
}

static void
on_signal(void *ctx, uint64_t count)
{
	struct main *mn = ctx;

	mn->signals += count;
}

static void
test_notify(struct main *mn, int32_t a)
{
	struct fs_conn *c = &mn->c, other;
	struct cairn_sig *sig;
	uint64_t t0;
	int32_t h, od, of;
	int cap;

	sig = cairn_sig_create(mn->env->ep, on_signal, mn);
	cap = sig ? cairn_sig_cap(sig) : -1;
	(void)fs_conn_dir(c, "/a", false, 0, &h);
	(void)fs_conn_sigh(c, h, cap);
	step(mn, c, "sigh on /a", FS_OK);
	if (cap >= 0)
		close(cap);
	must_open(mn, &other, "other", 0);
	(void)fs_conn_dir(&other, "/a", false, 0, &od);
	(void)fs_conn_file(&other, od, "new", FS_WRITE_ONLY, true, 0, &of);
	fs_conn_release(&other, of);
	t0 = cairn_now_us();
	while (mn->signals == 0 && cairn_now_us() - t0 < 200000)
		cairn_ep_dispatch_once(mn->env->ep, 10);
	check(mn, mn->signals == 0, "no signal before the dir handle closes");
	fs_conn_release(&other, od);
	t0 = cairn_now_us();
	while (mn->signals == 0 && cairn_now_us() - t0 < 2000000)
		cairn_ep_dispatch_once(mn->env->ep, 100);
	check(mn, mn->signals > 0, "another session's change to /a: signalled");
	fs_conn_close(&other);
	fs_conn_release(c, h);
	cairn_sig_destroy(sig);
}

/* A session donating 64 KiB beyond its cost fills up; space returns. */
static void
test_quota(struct main *mn)
{
	static char block[16384];
	struct fs_conn s;
	int32_t root, h;
	uint64_t total = 0;
	long n;

	must_open(mn, &s, "small", 0);
	root = dir(&s, "/");
	(void)fs_conn_file(&s, root, "big", FS_WRITE_ONLY, true, 0, &h);
	memset(block, 'q', sizeof(block));
	while ((n = fs_conn_write(&s, h, block, sizeof(block), total)) > 0 &&
	    total < (64 << 20))
		total += (uint64_t)n;
	check(mn, n < 0 && s.status == FS_NO_SPACE && total > 0,
	    "filled up: %s", fs_error_str(s.status));
	fs_conn_release(&s, h);
	(void)fs_conn_unlink(&s, root, "big");
	step(mn, &s, "unlink the big file", FS_OK);
	(void)fs_conn_file(&s, root, "small", FS_WRITE_ONLY, true, 0, &h);
	n = fs_conn_write(&s, h, block, sizeof(block), 0);
	check(mn, n == sizeof(block), "space is back: wrote %ld bytes", n);
	fs_conn_release(&s, h);
	(void)fs_conn_unlink(&s, root, "small");
	fs_conn_release(&s, root);
	fs_conn_close(&s);
}

static int
count_entry(void *ctx, const struct fs_dirent *e)
{
	(*(unsigned *)ctx)++;
	return 0;
}

/* The mount-table library on top of the session. */
static void
test_client(struct main *mn)
{
	struct fs_client fc;
	struct fs_file f;
	struct fs_status st;
	char buf[64];
	unsigned count = 0;
	long n;
	int r;

	fs_client_init(&fc);
	(void)fs_client_mount(&fc, "/", &mn->c);
	r = fs_client_mkdir(&fc, "/c", 0755);
	check(mn, r == 0, "client: mkdir /c");
	r = fs_client_open(&fc, "/c/missing/file", O_CREAT | O_RDWR, 0600, &f);
	check(mn, r == -ENOENT, "client: open through a missing dir: %s",
	    strerror(-r));
	r = fs_client_open(&fc, "/c/x/.././file", O_CREAT | O_RDWR, 0600, &f);
	n = r == 0 ? fs_client_write(&f, "client data", 11) : r;
	fs_client_close(&f);
	check(mn, n == 11, "client: create and write /c/file");
	r = fs_client_symlink(&fc, "../c/file", "/c/ln");
	check(mn, r == 0, "client: symlink /c/ln -> ../c/file");
	memset(buf, 0, sizeof(buf));
	r = fs_client_open(&fc, "/c/ln", O_RDONLY, 0, &f);
	n = r == 0 ? fs_client_read(&f, buf, sizeof(buf) - 1) : r;
	fs_client_close(&f);
	check(mn, n == 11 && strcmp(buf, "client data") == 0,
	    "client: read through the symlink: %s", buf);
	r = fs_client_rename(&fc, "/c/file", "/c/renamed");
	check(mn, r == 0, "client: rename");
	r = fs_client_stat(&fc, "/c/renamed", &st);
	check(mn, r == 0 && st.size == 11, "client: stat");
	r = fs_client_readdir(&fc, "/c", count_entry, &count);
	check(mn, r == 0 && count == 2, "client: readdir /c: %u entries",
	    count);
	r = fs_client_unlink(&fc, "/c/renamed");
	check(mn, r == 0, "client: unlink");
	n = fs_client_readlink(&fc, "/c/ln", buf, sizeof(buf));
	check(mn, n == 9, "client: readlink: %s", buf);
	r = fs_client_open(&fc, "/c/ln", O_RDONLY, 0, &f);
	check(mn, r == -ENOENT, "client: dangling symlink: %s", strerror(-r));
}

static void
test_ops(struct main *mn)
{
	struct fs_conn *c = &mn->c;
	struct fs_status st;
	int32_t root, a;

	must_open(mn, c, "ops", 1 << 20);
	cairn_log(mn->env, "session open");
	root = dir(c, "/");
	(void)fs_conn_status(c, root, &st);
	check(mn, (st.mode & FS_MODE_TYPE) == FS_MODE_DIRECTORY,
	    "root is a directory");
	(void)fs_conn_dir(c, "/a", true, 0, &a);
	step(mn, c, "dir create /a", FS_OK);
	test_names(mn, a);
	test_file(mn, a);
	test_symlink(mn, a);
	test_dirs(mn, root, a);
	test_move_link(mn, root, a);
	test_handles(mn, a);
	test_packets(mn, a);
	test_notify(mn, a);
	(void)fs_conn_sync(c);
	step(mn, c, "sync", FS_OK);
	test_quota(mn);
	test_client(mn);
	fs_conn_release(c, a);
	fs_conn_release(c, root);
	fs_conn_close(c);
}

/* --- policies --- */

static void
refused(struct main *mn, const char *label, const char *what)
{
	struct fs_conn s;
	int r = fs_conn_open(mn->env, &s, label, 0, 0);

	if (r == 0) {
		fs_conn_close(&s);
		check(mn, false, "session \"%s\" was granted", label);
		return;
	}
	check(mn, true, "%s: refused (%s)", what, s.detail);
}

static void
test_policy(struct main *mn)
{
	struct fs_conn rw, ro, jail;
	struct fs_control_args ca;
	struct fs_client fc;
	struct fs_file f;
	struct fs_status st, st2;
	int32_t r_root, r_pub, r_sec, h, j_root;
	char buf[32];
	long n;
	int r;

	must_open(mn, &rw, "rw", 64 * 1024);
	r_root = dir(&rw, "/");
	(void)fs_conn_dir(&rw, "/pub", true, 0, &r_pub);
	(void)fs_conn_dir(&rw, "/secret", true, 0, &r_sec);
	(void)fs_conn_file(&rw, r_sec, "data", FS_WRITE_ONLY, true, 0, &h);
	write_str(&rw, h, "top secret", 0);
	fs_conn_release(&rw, h);
	(void)fs_conn_file(&rw, r_pub, "file", FS_WRITE_ONLY, true, 0, &h);
	write_str(&rw, h, "public", 0);
	fs_conn_release(&rw, h);
	(void)fs_conn_symlink(&rw, r_pub, "esc", true, &h);
	write_str(&rw, h, "../secret/data", 0);
	fs_conn_release(&rw, h);
	(void)fs_conn_symlink(&rw, r_pub, "abs", true, &h);
	write_str(&rw, h, "/secret/data", 0);
	fs_conn_release(&rw, h);
	step(mn, &rw, "writer: /pub and /secret made", FS_OK);

	/* Read-only: reading works, every change is refused. */
	must_open(mn, &ro, "ro", 0);
	(void)fs_conn_dir(&ro, "/pub", false, 0, &h);
	{
		int32_t d = h, fh;

		(void)fs_conn_file(&ro, d, "file", FS_READ_ONLY, false, 0, &fh);
		memset(buf, 0, sizeof(buf));
		n = fs_conn_read(&ro, fh, buf, sizeof(buf) - 1, 0);
		check(mn, n == 6 && strcmp(buf, "public") == 0,
		    "read-only: reads /pub/file");
		n = write_str(&ro, fh, "x", 0);
		check(mn, n < 0, "read-only: write packet refused (%s)",
		    fs_error_str(ro.status));
		(void)fs_conn_truncate(&ro, fh, 0);
		step(mn, &ro, "read-only: truncate", FS_PERMISSION_DENIED);
		memset(&ca, 0, sizeof(ca));
		ca.handle = fh;
		ca.valid = FS_CONTROL_MODE;
		ca.mode = 0777;
		(void)fs_conn_control(&ro, &ca);
		step(mn, &ro, "read-only: control", FS_PERMISSION_DENIED);
		fs_conn_release(&ro, fh);
		(void)fs_conn_file(&ro, d, "file", FS_READ_WRITE, false, 0,
		    &fh);
		step(mn, &ro, "read-only: open for writing",
		    FS_PERMISSION_DENIED);
		(void)fs_conn_file(&ro, d, "new", FS_READ_ONLY, true, 0, &fh);
		step(mn, &ro, "read-only: create a file",
		    FS_PERMISSION_DENIED);
		(void)fs_conn_symlink(&ro, d, "sl", true, &fh);
		step(mn, &ro, "read-only: create a symlink",
		    FS_PERMISSION_DENIED);
		(void)fs_conn_dir(&ro, "/pub/new", true, 0, &fh);
		step(mn, &ro, "read-only: create a directory",
		    FS_PERMISSION_DENIED);
		(void)fs_conn_unlink(&ro, d, "file");
		step(mn, &ro, "read-only: unlink", FS_PERMISSION_DENIED);
		(void)fs_conn_move(&ro, d, "file", d, "moved");
		step(mn, &ro, "read-only: move", FS_PERMISSION_DENIED);
		fs_conn_release(&ro, d);
	}
	fs_conn_close(&ro);

	/* Rooted at /pub: no way out with "..", nor through symlinks. */
	must_open(mn, &jail, "jail", 64 * 1024);
	j_root = dir(&jail, "/");
	(void)fs_conn_status(&jail, j_root, &st);
	(void)fs_conn_status(&rw, r_pub, &st2);
	check(mn, st.inode == st2.inode, "jail: its / is the writer's /pub");
	(void)fs_conn_dir(&jail, "/..", false, 0, &h);
	step(mn, &jail, "jail: dir /..", FS_LOOKUP_FAILED);
	(void)fs_conn_dir(&jail, "/../secret", false, 0, &h);
	step(mn, &jail, "jail: dir /../secret", FS_LOOKUP_FAILED);
	(void)fs_conn_node(&jail, "/./file", &h);
	step(mn, &jail, "jail: node /./file", FS_LOOKUP_FAILED);
	(void)fs_conn_file(&jail, j_root, "..", FS_READ_ONLY, false, 0, &h);
	step(mn, &jail, "jail: file '..'", FS_INVALID_NAME);
	(void)fs_conn_dir(&jail, "/esc", false, 0, &h);
	step(mn, &jail, "jail: dir through the symlink", FS_LOOKUP_FAILED);
	(void)fs_conn_node(&jail, "/esc/data", &h);
	step(mn, &jail, "jail: node below the symlink", FS_LOOKUP_FAILED);
	fs_client_init(&fc);
	(void)fs_client_mount(&fc, "/", &jail);
	r = fs_client_open(&fc, "/esc", O_RDONLY, 0, &f);
	check(mn, r == -ENOENT, "jail: open /esc (-> ../secret/data): %s",
	    strerror(-r));
	r = fs_client_open(&fc, "/abs", O_RDONLY, 0, &f);
	check(mn, r == -ENOENT, "jail: open /abs (-> /secret/data): %s",
	    strerror(-r));
	r = fs_client_open(&fc, "/../secret/data", O_RDONLY, 0, &f);
	check(mn, r == -ENOENT, "jail: open /../secret/data: %s",
	    strerror(-r));
	(void)fs_conn_file(&jail, j_root, "mine", FS_WRITE_ONLY, true, 0, &h);
	write_str(&jail, h, "jailed", 0);
	fs_conn_release(&jail, h);
	step(mn, &jail, "jail: creates /mine", FS_OK);
	(void)fs_conn_file(&rw, r_pub, "mine", FS_READ_ONLY, false, 0, &h);
	step(mn, &rw, "writer: sees it as /pub/mine", FS_OK);
	fs_conn_release(&rw, h);
	fs_conn_close(&jail);

	refused(mn, "lost", "policy with a missing root");
	refused(mn, "nobody", "no policy");
	fs_conn_release(&rw, r_sec);
	fs_conn_release(&rw, r_pub);
	fs_conn_release(&rw, r_root);
	fs_conn_close(&rw);
}

/* --- a tree of several file systems (the vfs's <dir> nodes) --- */

static int
list_entry(void *ctx, const struct fs_dirent *e)
{
	char *names = ctx;

	strncat(names, e->name, 120 - strlen(names));
	strncat(names, " ", 120 - strlen(names));
	return 0;
}

/* Expects <vfs> <dir name="tmp"> <ram/> </dir> <dir name="data">
 * <dir name="a"> <ram/> </dir> <dir name="b"> <ram/> </dir> </dir> </vfs>. */
static void
test_tree(struct main *mn)
{
	struct fs_conn *c = &mn->c;
	struct fs_client fc;
	struct fs_status st;
	char names[128] = "";
	int32_t root, a, b, h;
	int r;

	must_open(mn, c, "tree", 64 * 1024);
	fs_client_init(&fc);
	(void)fs_client_mount(&fc, "/", c);
	r = fs_client_readdir(&fc, "/", list_entry, names);
	check(mn, r == 0 && strcmp(names, "tmp data ") == 0,
	    "tree: / lists %s", names);
	names[0] = '\0';
	r = fs_client_readdir(&fc, "/data", list_entry, names);
	check(mn, r == 0 && strcmp(names, "a b ") == 0,
	    "tree: /data lists %s", names);
	(void)fs_client_stat(&fc, "/data", &st);
	check(mn, (st.mode & 07777) == 0555, "tree: /data has mode %o",
	    st.mode & 07777);
	root = dir(c, "/");
	(void)fs_conn_file(c, root, "x", FS_WRITE_ONLY, true, 0, &h);
	step(mn, c, "tree: create in the vfs's own /", FS_PERMISSION_DENIED);
	(void)fs_conn_dir(c, "/data/c", true, 0, &h);
	step(mn, c, "tree: mkdir in /data", FS_PERMISSION_DENIED);
	(void)fs_conn_unlink(c, root, "tmp");
	step(mn, c, "tree: unlink /tmp", FS_PERMISSION_DENIED);
	a = dir(c, "/data/a");
	b = dir(c, "/data/b");
	(void)fs_conn_file(c, a, "f", FS_WRITE_ONLY, true, 0, &h);
	step(mn, c, "tree: create /data/a/f", FS_OK);
	fs_conn_release(c, h);
	(void)fs_conn_move(c, a, "f", b, "f");
	step(mn, c, "tree: move /data/a/f to /data/b", FS_CROSS_DEVICE);
	(void)fs_conn_move(c, a, "f", a, "g");
	step(mn, c, "tree: move within /data/a", FS_OK);
	(void)fs_conn_node(c, "/data/b/f", &h);
	step(mn, c, "tree: /data/b is another file system", FS_LOOKUP_FAILED);
	fs_conn_release(c, a);
	fs_conn_release(c, b);
	fs_conn_release(c, root);
	fs_conn_close(c);
}

/* --- the host export --- */

/*
 * Asked by the driver (it made /host/please-change): change what the host
 * has seen, from this session, so that the export's caches must go.
 */
static void
change_for_host(struct main *mn, struct fs_client *fc)
{
	struct fs_file f;
	long n = -1;
	int r;

	/* The second request: only the directory the host made. */
	if (mn->changed_once) {
		r = fs_client_open(fc, "/host/own/theirs.txt",
		    O_CREAT | O_WRONLY, 0644, &f);
		if (r == 0)
			fs_client_close(&f);
		if (r == 0)
			r = fs_client_unlink(fc, "/host/please-change");
		check(mn, r == 0, "export: a name added where the host "
		    "knows every name");
		return;
	}
	mn->changed_once = true;
	r = fs_client_open(fc, "/from-cairn/hello.txt", O_WRONLY | O_TRUNC, 0,
	    &f);
	if (r == 0) {
		n = fs_client_write(&f, "changed by cairn\n", 17);
		fs_client_close(&f);
	}
	if (r == 0 && n == 17)
		r = fs_client_rename(fc, "/from-cairn/hello.txt",
		    "/from-cairn/renamed.txt");
	if (r == 0)
		r = fs_client_open(fc, "/from-cairn/new.txt",
		    O_CREAT | O_WRONLY, 0644, &f);
	if (r == 0)
		fs_client_close(&f);
	if (r == 0)
		r = fs_client_unlink(fc, "/host/please-change");
	check(mn, r == 0, "export: changed /from-cairn behind the host's "
	    "back");
}

/*
 * Files for the host to find, then wait for test/fs/export_driver.sh to
 * write /done through the FUSE export, and check what it left behind.
 */
static void
test_export(struct main *mn)
{
	struct fs_client fc;
	struct fs_status st;
	struct fs_file f;
	char buf[256];
	uint64_t t0;
	long n;
	int r;

	must_open(mn, &mn->c, "export-test", 1 << 20);
	fs_client_init(&fc);
	(void)fs_client_mount(&fc, "/", &mn->c);
	r = fs_client_mkdir(&fc, "/from-cairn", 0755);
	if (r == 0)
		r = fs_client_open(&fc, "/from-cairn/hello.txt",
		    O_CREAT | O_WRONLY, 0644, &f);
	if (r == 0) {
		n = fs_client_write(&f, "hello from cairn\n", 17);
		fs_client_close(&f);
		r = n == 17 ? 0 : -EIO;
	}
	check(mn, r == 0, "export: /from-cairn/hello.txt written");
	/* The driver has 60 s for its commands. */
	t0 = cairn_now_us();
	while ((r = fs_client_open(&fc, "/done", O_RDONLY, 0, &f)) == -ENOENT &&
	    cairn_now_us() - t0 < 60000000) {
		if (fs_client_stat(&fc, "/host/please-change", &st) == 0)
			change_for_host(mn, &fc);
		cairn_ep_dispatch_once(mn->env->ep, 100);
	}
	if (r < 0) {
		check(mn, false, "export: the host driver never finished");
		return;
	}
	memset(buf, 0, sizeof(buf));
	n = fs_client_read(&f, buf, sizeof(buf) - 1);
	fs_client_close(&f);
	buf[strcspn(buf, "\n")] = '\0';
	check(mn, n > 0 && strstr(buf, " 0 failed") != NULL,
	    "export: the host says: %s", buf);
	memset(buf, 0, sizeof(buf));
	r = fs_client_open(&fc, "/host/copied.txt", O_RDONLY, 0, &f);
	n = r == 0 ? fs_client_read(&f, buf, sizeof(buf) - 1) : r;
	fs_client_close(&f);
	buf[strcspn(buf, "\n")] = '\0';
	check(mn, n > 0 && strcmp(buf, "host wrote this") == 0,
	    "export: the host's file reads here: %s", buf);
	fs_conn_close(&mn->c);
}

void
construct(struct cairn_env *env)
{
	static struct main mn;
	struct cairn_rom cfg;
	struct xml_node node;
	char test[16] = "ops";

	mn.env = env;
	if (cairn_rom_open(env, "config", &cfg) == 0) {
		if (cairn_rom_xml(env, &cfg, &node) == 0)
			xml_attr_str(&node, "test", test, sizeof(test), "ops");
		cairn_rom_close(env, &cfg);
	}
	if (strcmp(test, "ops") == 0)
		test_ops(&mn);
	else if (strcmp(test, "policy") == 0)
		test_policy(&mn);
	else if (strcmp(test, "export") == 0)
		test_export(&mn);
	else if (strcmp(test, "tree") == 0)
		test_tree(&mn);
	else
		cairn_error(env, "unknown test '%s'", test);
	if (mn.failed)
		cairn_error(env, "%u checks failed", mn.failed);
	cairn_log(env, "test-fs %s done", test);
	cairn_exit(env, mn.failed ? 1 : 0);
}
