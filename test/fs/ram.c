/*
 * Unit tests of the vfs's ram plugin (server/vfs/ram.c) on a counting
 * allocator: files, sparse pages, directories, POSIX rename and link
 * rules, open-but-unlinked nodes, and -ENOSPC that changes nothing.
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ram.h"
#include "talloc.h"
#include "test.h"

T_STATE_DEFINE;

static struct talloc ta;
static struct ram_fs *fs;
static uint64_t root;

static int
setup(size_t limit)
{
	talloc_init(&ta, limit);
	return ram_create(&ta.alloc, &fs, &root);
}

static void
teardown(void)
{
	ram_destroy(fs);
	fs = NULL;
}

static uint64_t
mk(uint64_t dir, const char *name, uint32_t mode)
{
	uint64_t n = 0;

	if (ram_ops.create(fs, dir, name, mode, &n) < 0)
		return 0;
	return n;
}

static struct fs_status
st_of(uint64_t n)
{
	struct fs_status st;

	memset(&st, 0, sizeof(st));
	ram_ops.stat(fs, n, &st);
	return st;
}

static void
t_create_lookup(void)
{
	uint64_t f, d, n;
	struct fs_status st;

	T_CHECK(setup(0) == 0);
	f = mk(root, "f", FS_MODE_FILE | 0644);
	d = mk(root, "d", FS_MODE_DIRECTORY | 0755);
	T_CHECK(f && d && f != d);
	T_CHECK(ram_ops.lookup(fs, root, "f", &n) == 0 && n == f);
	T_CHECK(ram_ops.lookup(fs, root, "x", &n) == -ENOENT);
	T_CHECK(ram_ops.lookup(fs, f, "x", &n) == -ENOTDIR);
	T_CHECK(ram_ops.create(fs, root, "f", FS_MODE_FILE, &n) == -EEXIST);
	T_CHECK(ram_ops.create(fs, f, "x", FS_MODE_FILE, &n) == -ENOTDIR);
	T_CHECK(ram_ops.create(fs, root, "bad", 0060000, &n) == -EINVAL);
	st = st_of(root);
	T_CHECK(st.nlink == 3 && st.size == 2 * sizeof(struct fs_dirent));
	st = st_of(d);
	T_CHECK(st.nlink == 2 && (st.mode & 07777) == 0755);
	teardown();
	T_CHECK(ta.used == 0 && ta.count == 0);
}

static void
t_read_write(void)
{
	char buf[64];
	uint64_t f;

	T_CHECK(setup(0) == 0);
	f = mk(root, "f", FS_MODE_FILE | 0644);
	T_CHECK(ram_ops.write(fs, f, "hello", 5, 0) == 5);
	T_CHECK(ram_ops.write(fs, f, "!", 1, 5) == 1);
	T_CHECK(ram_ops.read(fs, f, buf, sizeof(buf), 0) == 6);
	T_CHECK(memcmp(buf, "hello!", 6) == 0);
	T_CHECK(ram_ops.read(fs, f, buf, sizeof(buf), 6) == 0);
	T_CHECK(ram_ops.read(fs, f, buf, 3, 2) == 3 &&
	    memcmp(buf, "llo", 3) == 0);
	T_CHECK(ram_ops.read(fs, root, buf, 1, 0) == -EISDIR);
	T_CHECK(ram_ops.write(fs, f, "x", 1, RAM_MAX_FILE) == -EFBIG);
	T_CHECK(ram_ops.truncate(fs, f, RAM_MAX_FILE + 1) == -EFBIG);
	teardown();
}

static void
t_sparse(void)
{
	static char big[3 * RAM_PAGE];
	char buf[16];
	uint64_t f;
	struct fs_status st;

	T_CHECK(setup(0) == 0);
	f = mk(root, "s", FS_MODE_FILE | 0644);
	/* One byte at 100 GiB: one data page and three table pages. */
	T_CHECK(ram_ops.write(fs, f, "z", 1, 100ull << 30) == 1);
	st = st_of(f);
	T_CHECK(st.size == (100ull << 30) + 1);
	T_CHECK(st.blocks == RAM_PAGE / 512);
	T_CHECK(ram_pages(fs) == 4);
	memset(buf, 'x', sizeof(buf));
	T_CHECK(ram_ops.read(fs, f, buf, sizeof(buf), 50ull << 30) == 16);
	T_CHECK(memcmp(buf, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 16) == 0);
	/* Writing across page borders, then shrinking mid-page. */
	memset(big, 'b', sizeof(big));
	T_CHECK(ram_ops.write(fs, f, big, sizeof(big), 100) == sizeof(big));
	T_CHECK(ram_ops.truncate(fs, f, 200) == 0);
	T_CHECK(st_of(f).blocks == RAM_PAGE / 512);
	T_CHECK(ram_ops.truncate(fs, f, 2 * RAM_PAGE) == 0);
	T_CHECK(ram_ops.read(fs, f, buf, 4, 198) == 4);
	T_CHECK(memcmp(buf, "bb\0\0", 4) == 0);
	T_CHECK(ram_ops.truncate(fs, f, 0) == 0);
	T_CHECK(ram_pages(fs) == 0 && st_of(f).blocks == 0);
	teardown();
	T_CHECK(ta.used == 0);
}

static void
t_symlink(void)
{
	char buf[32];
	uint64_t l, f;

	T_CHECK(setup(0) == 0);
	l = mk(root, "l", FS_MODE_SYMLINK | 0777);
	f = mk(root, "f", FS_MODE_FILE | 0644);
	T_CHECK(ram_ops.readlink(fs, l, buf, sizeof(buf)) == 0);
	T_CHECK(ram_ops.symlink(fs, l, "target", 6) == 0);
	T_CHECK(ram_ops.readlink(fs, l, buf, sizeof(buf)) == 6);
	T_CHECK(memcmp(buf, "target", 6) == 0 && st_of(l).size == 6);
	T_CHECK(ram_ops.symlink(fs, f, "x", 1) == -EINVAL);
	T_CHECK(ram_ops.readlink(fs, f, buf, sizeof(buf)) == -EINVAL);
	T_CHECK(ram_ops.symlink(fs, l, "a\0b", 3) == -EINVAL);
	T_CHECK(ram_ops.read(fs, l, buf, 1, 0) == -EINVAL);
	teardown();
	T_CHECK(ta.used == 0);
}

static void
t_readdir(void)
{
	struct fs_dirent e;
	uint64_t d;
	unsigned seen = 0, i;

	T_CHECK(setup(0) == 0);
	d = mk(root, "d", FS_MODE_DIRECTORY | 0755);
	for (i = 0; i < 300; i++) {
		char name[16];

		snprintf(name, sizeof(name), "n%u", i);
		T_CHECK(mk(d, name, FS_MODE_FILE | 0644) != 0);
	}
	T_CHECK(ram_ops.unlink(fs, d, "n7") == 0);
	for (i = 0; ram_ops.readdir(fs, d, i, &e) == 0; i++) {
		T_CHECK(e.type == FS_TYPE_FILE);
		T_CHECK(strcmp(e.name, "n7") != 0);
		seen++;
	}
	T_CHECK(seen == 299);
	T_CHECK(st_of(d).size == 299 * sizeof(struct fs_dirent));
	T_CHECK(ram_ops.readdir(fs, root, 0, &e) == 0 &&
	    e.type == FS_TYPE_DIRECTORY && strcmp(e.name, "d") == 0);
	T_CHECK(ram_ops.readdir(fs, root, 1, &e) == -ENOENT);
	teardown();
	T_CHECK(ta.used == 0);
}

static void
t_rename(void)
{
	uint64_t a, b, f, g, sub, n;

	T_CHECK(setup(0) == 0);
	a = mk(root, "a", FS_MODE_DIRECTORY | 0755);
	b = mk(root, "b", FS_MODE_DIRECTORY | 0755);
	f = mk(a, "f", FS_MODE_FILE | 0644);
	g = mk(a, "g", FS_MODE_FILE | 0644);
	sub = mk(a, "sub", FS_MODE_DIRECTORY | 0755);
	T_CHECK(a && b && f && g && sub);
	T_CHECK(ram_ops.rename(fs, a, "nope", b, "x") == -ENOENT);
	/* Over an existing file: g is gone. */
	T_CHECK(ram_ops.rename(fs, a, "f", a, "g") == 0);
	T_CHECK(ram_ops.lookup(fs, a, "g", &n) == 0 && n == f);
	T_CHECK(ram_ops.lookup(fs, a, "f", &n) == -ENOENT);
	T_CHECK(ram_ops.stat(fs, g, &(struct fs_status){ 0 }) == -ENOENT);
	/* Same node under both names: nothing happens. */
	T_CHECK(ram_ops.link(fs, f, a, "h") == 0);
	T_CHECK(ram_ops.rename(fs, a, "g", a, "h") == 0);
	T_CHECK(ram_ops.lookup(fs, a, "g", &n) == 0 && st_of(f).nlink == 2);
	/* File over a dir, dir over a file, dir over a non-empty dir. */
	T_CHECK(ram_ops.rename(fs, a, "g", a, "sub") == -EISDIR);
	T_CHECK(ram_ops.rename(fs, a, "sub", a, "g") == -ENOTDIR);
	T_CHECK(mk(b, "inner", FS_MODE_FILE | 0644) != 0);
	T_CHECK(ram_ops.rename(fs, a, "sub", root, "b") == -ENOTEMPTY);
	T_CHECK(ram_ops.unlink(fs, b, "inner") == 0);
	/* Dir over an empty dir; link counts follow. */
	T_CHECK(ram_ops.rename(fs, a, "sub", root, "b") == 0);
	T_CHECK(ram_ops.lookup(fs, root, "b", &n) == 0 && n == sub);
	T_CHECK(st_of(root).nlink == 4 && st_of(a).nlink == 2);
	T_CHECK(st_of(sub).nlink == 2);
	/* A directory into itself or below. */
	T_CHECK(ram_ops.rename(fs, root, "a", a, "x") == -EINVAL);
	T_CHECK(mk(sub, "deep", FS_MODE_DIRECTORY | 0755) != 0);
	T_CHECK(ram_ops.lookup(fs, sub, "deep", &n) == 0);
	T_CHECK(ram_ops.rename(fs, root, "b", n, "x") == -EINVAL);
	T_CHECK(ram_ops.rename(fs, sub, "deep", root, "up") == 0);
	T_CHECK(st_of(sub).nlink == 2 && st_of(root).nlink == 5);
	teardown();
	T_CHECK(ta.used == 0);
}

static void
t_links(void)
{
	uint64_t f, d, n;

	T_CHECK(setup(0) == 0);
	f = mk(root, "f", FS_MODE_FILE | 0644);
	d = mk(root, "d", FS_MODE_DIRECTORY | 0755);
	T_CHECK(ram_ops.link(fs, f, d, "f2") == 0);
	T_CHECK(st_of(f).nlink == 2);
	T_CHECK(ram_ops.link(fs, f, d, "f2") == -EEXIST);
	T_CHECK(ram_ops.link(fs, d, root, "d2") == -EPERM);
	T_CHECK(ram_ops.unlink(fs, root, "f") == 0);
	T_CHECK(st_of(f).nlink == 1);
	T_CHECK(ram_ops.lookup(fs, d, "f2", &n) == 0 && n == f);
	T_CHECK(ram_ops.unlink(fs, root, "d") == -ENOTEMPTY);
	T_CHECK(ram_ops.unlink(fs, d, "f2") == 0);
	T_CHECK(ram_ops.stat(fs, f, &(struct fs_status){ 0 }) == -ENOENT);
	T_CHECK(ram_ops.unlink(fs, root, "d") == 0);
	T_CHECK(ram_nodes(fs) == 1);
	teardown();
}

/* POSIX: an open file outlives its last name; ids are never reused. */
static void
t_open_unlinked(void)
{
	char buf[8];
	uint64_t f, d, g, n;

	T_CHECK(setup(0) == 0);
	f = mk(root, "f", FS_MODE_FILE | 0644);
	d = mk(root, "d", FS_MODE_DIRECTORY | 0755);
	T_CHECK(ram_ops.write(fs, f, "data", 4, 0) == 4);
	ram_ops.open(fs, f);
	ram_ops.open(fs, d);
	T_CHECK(ram_ops.unlink(fs, root, "f") == 0);
	T_CHECK(ram_ops.unlink(fs, root, "d") == 0);
	T_CHECK(ram_ops.read(fs, f, buf, sizeof(buf), 0) == 4);
	T_CHECK(st_of(f).nlink == 0);
	/* Nothing new in a removed directory, nor a link to a lost file. */
	T_CHECK(ram_ops.create(fs, d, "x", FS_MODE_FILE, &n) == -ENOENT);
	T_CHECK(ram_ops.link(fs, f, root, "back") == -ENOENT);
	T_CHECK(ram_ops.rename(fs, root, "x", d, "y") == -ENOENT);
	g = mk(root, "f", FS_MODE_FILE | 0644);
	T_CHECK(g != f);
	ram_ops.close(fs, f);
	ram_ops.close(fs, d);
	T_CHECK(ram_ops.read(fs, f, buf, sizeof(buf), 0) == -ENOENT);
	T_CHECK(ram_nodes(fs) == 2);
	teardown();
	T_CHECK(ta.used == 0);
}

static void
t_setattr(void)
{
	struct fs_control_args c;
	struct fs_status st;
	uint64_t f;

	T_CHECK(setup(0) == 0);
	f = mk(root, "f", FS_MODE_FILE | 0644);
	memset(&c, 0, sizeof(c));
	c.valid = FS_CONTROL_MODE | FS_CONTROL_UID | FS_CONTROL_GID |
	    FS_CONTROL_ATIME | FS_CONTROL_MTIME;
	c.mode = FS_MODE_DIRECTORY | 04755;	/* type bits are ignored */
	c.uid = 1000;
	c.gid = 100;
	c.atime.sec = 1;
	c.atime.nsec = 2;
	c.mtime.sec = 3;
	c.mtime.nsec = 999999999;
	T_CHECK(ram_ops.setattr(fs, f, &c) == 0);
	st = st_of(f);
	T_CHECK(st.mode == (FS_MODE_FILE | 04755));
	T_CHECK(st.uid == 1000 && st.gid == 100);
	T_CHECK(st.atime.sec == 1 && st.atime.nsec == 2);
	T_CHECK(st.mtime.sec == 3 && st.mtime.nsec == 999999999);
	T_CHECK(st.ctime.sec > 3);
	teardown();
}

/* Running out of memory changes nothing and loses nothing. */
static void
t_nospace(void)
{
	static char page[RAM_PAGE * 4];
	uint64_t f, n;
	size_t before;
	unsigned i;
	long w;

	T_CHECK(setup(64 * 1024) == 0);
	f = mk(root, "f", FS_MODE_FILE | 0644);
	memset(page, 'p', sizeof(page));
	for (i = 0; i < 64; i++) {
		w = ram_ops.write(fs, f, page, sizeof(page),
		    (uint64_t)i * sizeof(page));
		if (w != (long)sizeof(page))
			break;
	}
	T_CHECK(i < 64);
	T_CHECK(w == -ENOSPC || (w > 0 && w < (long)sizeof(page)));
	T_CHECK(st_of(f).size % RAM_PAGE == 0);
	before = ta.used;
	/* Creating a node or a link when full: refused, nothing changed. */
	ta.limit = ta.used;
	T_CHECK(ram_ops.create(fs, root, "g", FS_MODE_FILE, &n) == -ENOSPC);
	T_CHECK(ram_ops.lookup(fs, root, "g", &n) == -ENOENT);
	T_CHECK(ram_ops.link(fs, f, root, "f2") == -ENOSPC);
	T_CHECK(ram_ops.rename(fs, root, "f", root, "renamed") == -ENOSPC);
	T_CHECK(ram_ops.lookup(fs, root, "f", &n) == 0 && n == f);
	T_CHECK(st_of(f).nlink == 1 && st_of(root).nlink == 2);
	T_CHECK(ta.used == before);
	/* Freeing makes room again. */
	T_CHECK(ram_ops.truncate(fs, f, 0) == 0);
	T_CHECK(mk(root, "g", FS_MODE_FILE | 0644) != 0);
	teardown();
	T_CHECK(ta.used == 0);
}

static void
t_stale_ids(void)
{
	uint64_t n;
	char buf[4];

	T_CHECK(setup(0) == 0);
	T_CHECK(ram_ops.stat(fs, 9999, &(struct fs_status){ 0 }) == -ENOENT);
	T_CHECK(ram_ops.read(fs, 0, buf, 1, 0) == -ENOENT);
	T_CHECK(ram_ops.lookup(fs, 12345, "x", &n) == -ENOENT);
	ram_ops.close(fs, 777);		/* unknown: ignored */
	teardown();
}

/* fallocate(2): allocation, keep-size, punch and zero range. */
static void
t_allocate(void)
{
	static char data[3 * RAM_PAGE], back[8 * RAM_PAGE];
	struct fs_status st;
	uint64_t f, d;
	size_t before;
	unsigned i;

	T_CHECK(setup(0) == 0);
	f = mk(root, "f", FS_MODE_FILE | 0644);
	d = mk(root, "d", FS_MODE_DIRECTORY | 0755);
	T_CHECK(ram_ops.allocate(fs, d, 0, 0, 1) == -EISDIR);
	T_CHECK(ram_ops.allocate(fs, f, 0, RAM_MAX_FILE, 1) == -EFBIG);
	/* Allocate grows the size; the pages exist and read as zeros. */
	T_CHECK(ram_ops.allocate(fs, f, 0, 100, 2 * RAM_PAGE) == 0);
	st = st_of(f);
	T_CHECK(st.size == 100 + 2 * RAM_PAGE);
	T_CHECK(st.blocks == 3 * (RAM_PAGE / 512));
	T_CHECK(ram_ops.read(fs, f, back, sizeof(back), 0) ==
	    100 + 2 * RAM_PAGE);
	for (i = 0; i < 100 + 2 * RAM_PAGE; i++)
		T_CHECKF(back[i] == 0, "byte %u", i);
	/* Keep-size past the end: pages, no size; a later growth reads 0. */
	T_CHECK(ram_ops.allocate(fs, f, FS_ALLOC_KEEP_SIZE, 0,
	    6 * RAM_PAGE) == 0);
	st = st_of(f);
	T_CHECK(st.size == 100 + 2 * RAM_PAGE);
	T_CHECK(st.blocks == 6 * (RAM_PAGE / 512));
	T_CHECK(ram_ops.truncate(fs, f, 6 * RAM_PAGE) == 0);
	T_CHECK(st_of(f).blocks == 6 * (RAM_PAGE / 512));
	T_CHECK(ram_ops.read(fs, f, back, sizeof(back), 0) == 6 * RAM_PAGE);
	T_CHECK(back[6 * RAM_PAGE - 1] == 0);
	/* Punch: the partial pages zeroed, the whole one freed. */
	memset(data, 'x', sizeof(data));
	T_CHECK(ram_ops.write(fs, f, data, sizeof(data), 0) ==
	    sizeof(data));
	T_CHECK(ram_ops.allocate(fs, f, FS_ALLOC_PUNCH_HOLE |
	    FS_ALLOC_KEEP_SIZE, 1000, 2 * RAM_PAGE) == 0);
	st = st_of(f);
	T_CHECK(st.size == 6 * RAM_PAGE);
	T_CHECK(st.blocks == 5 * (RAM_PAGE / 512));
	T_CHECK(ram_ops.read(fs, f, back, 3 * RAM_PAGE, 0) == 3 * RAM_PAGE);
	T_CHECK(back[999] == 'x' && back[1000] == 0);
	T_CHECK(back[1000 + 2 * RAM_PAGE - 1] == 0);
	T_CHECK(back[1000 + 2 * RAM_PAGE] == 'x');
	/* Within one page: zeros, nothing freed. */
	T_CHECK(ram_ops.allocate(fs, f, FS_ALLOC_PUNCH_HOLE |
	    FS_ALLOC_KEEP_SIZE, 2 * RAM_PAGE + 2010, 10) == 0);
	T_CHECK(st_of(f).blocks == 5 * (RAM_PAGE / 512));
	T_CHECK(ram_ops.read(fs, f, back, 3 * RAM_PAGE, 0) == 3 * RAM_PAGE);
	T_CHECK(back[2 * RAM_PAGE + 2009] == 'x' &&
	    back[2 * RAM_PAGE + 2010] == 0 && back[2 * RAM_PAGE + 2019] == 0 &&
	    back[2 * RAM_PAGE + 2020] == 'x');
	/* Zero range: zeros, allocated again, the size grows. */
	T_CHECK(ram_ops.allocate(fs, f, FS_ALLOC_ZERO_RANGE, 500,
	    7 * RAM_PAGE) == 0);
	st = st_of(f);
	T_CHECK(st.size == 500 + 7 * RAM_PAGE);
	T_CHECK(st.blocks == 8 * (RAM_PAGE / 512));
	T_CHECK(ram_ops.read(fs, f, back, sizeof(back), 0) ==
	    500 + 7 * RAM_PAGE);
	T_CHECK(back[499] == 'x' && back[500] == 0 &&
	    back[3 * RAM_PAGE - 1] == 0);
	/* Out of quota: -ENOSPC, and the pages it took are given back. */
	teardown();
	T_CHECK(setup(16 * RAM_PAGE) == 0);
	f = mk(root, "f", FS_MODE_FILE | 0644);
	T_CHECK(ram_ops.write(fs, f, "a", 1, 2 * RAM_PAGE) == 1);
	before = ta.used;
	st = st_of(f);
	T_CHECK(ram_ops.allocate(fs, f, 0, 0, 64 * RAM_PAGE) == -ENOSPC);
	T_CHECK(ta.used == before);
	T_CHECK(st_of(f).size == st.size && st_of(f).blocks == st.blocks);
	T_CHECK(ram_ops.read(fs, f, back, 1, 2 * RAM_PAGE) == 1 &&
	    back[0] == 'a');
	/* Deep in the file: new tables as well, all given back. */
	T_CHECK(ram_ops.allocate(fs, f, FS_ALLOC_KEEP_SIZE,
	    (uint64_t)1 << 35, 64 * RAM_PAGE) == -ENOSPC);
	T_CHECK(ta.used == before);
	teardown();
	T_CHECK(ta.used == 0);
}

int
main(void)
{
	T_RUN("fs-ram-001", "create, lookup, and their errors",
	    t_create_lookup);
	T_RUN("fs-ram-002", "read and write, EOF, EISDIR, EFBIG", t_read_write);
	T_RUN("fs-ram-003", "sparse files cost what was written; shrink "
	    "zeroes the tail", t_sparse);
	T_RUN("fs-ram-004", "symlink targets", t_symlink);
	T_RUN("fs-ram-005", "readdir of 300 entries after a removal",
	    t_readdir);
	T_RUN("fs-ram-006", "rename follows the POSIX rules", t_rename);
	T_RUN("fs-ram-007", "hard links and link counts", t_links);
	T_RUN("fs-ram-008", "an open node outlives its last name",
	    t_open_unlinked);
	T_RUN("fs-ram-009", "setattr keeps nanoseconds, never the type",
	    t_setattr);
	T_RUN("fs-ram-010", "-ENOSPC changes nothing; freeing makes room",
	    t_nospace);
	T_RUN("fs-ram-011", "unknown node ids are refused", t_stale_ids);
	T_RUN("fs-ram-012", "fallocate: allocate, keep-size, punch, zero "
	    "range; -ENOSPC gives back what it took", t_allocate);
	return t_done();
}
