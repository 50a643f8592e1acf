/*
 * Tests of the fat plugin on real images: volumes made by mkfs.fat and
 * filled by mtools are read back; volumes written through the plugin are
 * checked with fsck.fat -n and listed and read with mdir and mcopy;
 * damaged volumes give errors that name the structure, never a hang.
 * SPDX-License-Identifier: MIT
 *
 * The tools come from the Debian packages dosfstools and mtools; without
 * them the cases that need them are skipped with a message saying so.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fat.h"
#include "fat_impl.h"
#include "test.h"

T_STATE_DEFINE;

static char tmp[64];
static char err[200];

/* --- an image file as a block device --- */

struct img {
	int fd;
	struct blkdev dev;
	struct fat_fs *fs;
	uint64_t root;
	char path[128];
};

static int
f_read(void *ctx, uint64_t block, uint64_t count, void *buf)
{
	struct img *m = ctx;
	size_t n = count * 512;

	return pread(m->fd, buf, n, (off_t)(block * 512)) == (ssize_t)n ? 0 :
	    -EIO;
}

static int
f_write(void *ctx, uint64_t block, uint64_t count, const void *buf)
{
	struct img *m = ctx;
	size_t n = count * 512;

	return pwrite(m->fd, buf, n, (off_t)(block * 512)) == (ssize_t)n ? 0 :
	    -EIO;
}

static const struct blkdev_ops file_ops = { f_read, f_write, NULL };

static int
img_open(struct img *m, const char *name, bool rw)
{
	struct stat st;
	int r;

	memset(m, 0, sizeof(*m));
	snprintf(m->path, sizeof(m->path), "%s/%s", tmp, name);
	m->fd = open(m->path, rw ? O_RDWR : O_RDONLY);
	if (m->fd < 0 || fstat(m->fd, &st) < 0)
		return -errno;
	r = blkdev_init(&m->dev, &file_ops, m, 512, (uint64_t)st.st_size / 512,
	    rw, 64 * 1024);
	if (r == 0)
		r = fat_mount(&m->dev, rw, NULL, NULL, &m->fs, &m->root, err,
		    sizeof(err));
	if (r < 0) {
		blkdev_fini(&m->dev);
		close(m->fd);
	}
	return r;
}

static int
img_close(struct img *m)
{
	int r = fat_unmount(m->fs);

	blkdev_fini(&m->dev);
	close(m->fd);
	return r;
}

/* --- shell --- */

static int
sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int
sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	int r;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	r = system(cmd);
	return r == -1 ? -1 : WEXITSTATUS(r);
}

static bool
have(const char *tool)
{
	return sh("command -v %s >/dev/null 2>&1", tool) == 0;
}

#define NEED_TOOLS() do { \
	if (!have("mkfs.fat") || !have("fsck.fat")) \
		T_SKIP("needs mkfs.fat and fsck.fat (Debian package " \
		    "dosfstools)"); \
	if (!have("mcopy") || !have("mdir")) \
		T_SKIP("needs mcopy and mdir (Debian package mtools)"); \
} while (0)

static void
pattern(uint8_t *p, size_t n, unsigned seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 31 + seed + (i >> 9));
}

static int
write_host(const char *name, const void *data, size_t len)
{
	char path[128];
	int fd, ok;

	snprintf(path, sizeof(path), "%s/%s", tmp, name);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644)) < 0)
		return -1;
	ok = write(fd, data, len) == (ssize_t)len;
	close(fd);
	return ok ? 0 : -1;
}

/* The whole of host file name in buf: its length, or -1. */
static long
read_host(const char *name, void *buf, size_t cap)
{
	char path[128];
	long n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", tmp, name);
	if ((fd = open(path, O_RDONLY)) < 0)
		return -1;
	n = read(fd, buf, cap);
	close(fd);
	return n;
}

/* --- the file system through its ops --- */

static int
walk(struct img *m, const char *path, uint64_t *node)
{
	return fs_path_walk(&fat_ops, m->fs, m->root, path, node);
}

static int
parent_of(struct img *m, const char *path, uint64_t *dir, char *name)
{
	char parent[FS_MAX_PATH_LEN];
	int r = fs_path_split(path, parent, sizeof(parent), name,
	    FS_MAX_NAME_LEN);

	return r < 0 ? r : walk(m, parent, dir);
}

static int
mk(struct img *m, const char *path, uint32_t mode, uint64_t *node)
{
	char name[FS_MAX_NAME_LEN];
	uint64_t dir, n;
	int r = parent_of(m, path, &dir, name);

	if (r < 0)
		return r;
	r = fat_ops.create(m->fs, dir, name, mode, &n);
	if (r == 0 && node)
		*node = n;
	return r;
}

static int
put(struct img *m, const char *path, const void *data, size_t len)
{
	uint64_t n;
	long w;
	int r = mk(m, path, FS_MODE_FILE | 0644, &n);

	if (r < 0)
		return r;
	if (len == 0)
		return 0;
	w = fat_ops.write(m->fs, n, data, len, 0);
	return w == (long)len ? 0 : w < 0 ? (int)w : -EIO;
}

static long
get(struct img *m, const char *path, void *buf, size_t cap)
{
	uint64_t n;
	int r = walk(m, path, &n);

	return r < 0 ? r : fat_ops.read(m->fs, n, buf, cap, 0);
}

static int
mv(struct img *m, const char *from, const char *to)
{
	char fn[FS_MAX_NAME_LEN], tn[FS_MAX_NAME_LEN];
	uint64_t fd, td;
	int r;

	if ((r = parent_of(m, from, &fd, fn)) < 0 ||
	    (r = parent_of(m, to, &td, tn)) < 0)
		return r;
	return fat_ops.rename(m->fs, fd, fn, td, tn);
}

static int
rm(struct img *m, const char *path)
{
	char name[FS_MAX_NAME_LEN];
	uint64_t dir;
	int r = parent_of(m, path, &dir, name);

	return r < 0 ? r : fat_ops.unlink(m->fs, dir, name);
}

/* Append the tree under path as "::PATH" lines, as mdir -/ -b does. */
static int
list(struct img *m, const char *path, char *out, size_t cap)
{
	struct fs_dirent e;
	char sub[FS_MAX_PATH_LEN];
	uint64_t dir, i;
	int r;

	if ((r = walk(m, path, &dir)) < 0)
		return r;
	for (i = 0; (r = fat_ops.readdir(m->fs, dir, i, &e)) == 0; i++) {
		snprintf(sub, sizeof(sub), "%s%s%s", path,
		    strcmp(path, "/") ? "/" : "", e.name);
		snprintf(out + strlen(out), cap - strlen(out), "::%s%s\n", sub,
		    e.type == FS_TYPE_DIRECTORY ? "/" : "");
		if (e.type == FS_TYPE_DIRECTORY &&
		    (r = list(m, sub, out, cap)) < 0)
			return r;
	}
	return r == -ENOENT ? 0 : r;
}

static int
cmp_line(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sort the lines of s in place. */
static void
sort_lines(char *s)
{
	char *lines[1024], *copy = strdup(s), *p, *save = NULL;
	size_t n = 0, i;

	for (p = strtok_r(copy, "\n", &save); p && n < 1024;
	    p = strtok_r(NULL, "\n", &save))
		lines[n++] = p;
	qsort(lines, n, sizeof(lines[0]), cmp_line);
	s[0] = '\0';
	for (i = 0; i < n; i++) {
		strcat(s, lines[i]);
		strcat(s, "\n");
	}
	free(copy);
}

/* mdir's recursive listing of an image, sorted. */
static int
mdir_list(const char *img, char *out, size_t cap)
{
	char cmd[256];
	FILE *f;
	size_t n;

	snprintf(cmd, sizeof(cmd), "MTOOLS_SKIP_CHECK=1 mdir -i %s/%s -/ -b "
	    "::/ 2>&1", tmp, img);
	if ((f = popen(cmd, "r")) == NULL)
		return -1;
	n = fread(out, 1, cap - 1, f);
	out[n] = '\0';
	sort_lines(out);
	return pclose(f) == 0 ? 0 : -1;
}

/* fsck.fat -n finds nothing: its exit status is 0 and it lists no
 * problem (it prints the summary line only). */
static int
fsck(const char *img, char *out, size_t cap)
{
	char cmd[256];
	FILE *f;
	size_t n;

	snprintf(cmd, sizeof(cmd), "fsck.fat -n %s/%s 2>&1", tmp, img);
	if ((f = popen(cmd, "r")) == NULL)
		return -1;
	n = fread(out, 1, cap - 1, f);
	out[n] = '\0';
	return pclose(f) == 0 ? 0 : -1;
}

/* --- cases --- */

static uint8_t big[300000], back[300000];

/* A volume filled by mtools reads back through the plugin. */
static void
t_read_mtools(void)
{
	char out[4096] = "", want[4096];
	struct fs_status st;
	struct img m;
	uint64_t n, a, b;
	long got;

	NEED_TOOLS();
	pattern(big, 50000, 7);
	T_CHECK(write_host("big.src", big, 50000) == 0);
	T_CHECK(write_host("small.src", "hi\n", 3) == 0);
	T_CHECK(sh("cd %s && rm -f r.img && mkfs.fat -C -F 12 -n MYLABEL "
	    "r.img 1440 >/dev/null && export MTOOLS_SKIP_CHECK=1 && "
	    "mcopy -i r.img small.src ::/lower.txt && "
	    "mcopy -i r.img small.src '::/Long File Name.txt' && "
	    "mcopy -i r.img small.src ::/x.TXT && "
	    "mmd -i r.img ::/SubDir '::/SubDir/Deeper Dir' && "
	    "mcopy -i r.img big.src '::/SubDir/Deeper Dir/big.bin'", tmp)
	    == 0);
	T_CHECKF(img_open(&m, "r.img", false) == 0, "%s", err);
	T_CHECK(fat_bpb(m.fs)->type == FAT12);
	T_CHECK(strcmp(fat_bpb(m.fs)->label, "MYLABEL") == 0);
	T_CHECK(list(&m, "/", out, sizeof(out)) == 0);
	sort_lines(out);
	T_CHECK(mdir_list("r.img", want, sizeof(want)) == 0);
	T_CHECKF(strcmp(out, want) == 0, "ours:\n%s\nmdir:\n%s", out, want);
	T_CHECK(strstr(out, "MYLABEL") == NULL);
	T_CHECK(strstr(out, "::/lower.txt\n") != NULL);
	T_CHECK(strstr(out, "::/x.TXT\n") != NULL);
	/* Lookups ignore case and find short aliases too. */
	T_CHECK(walk(&m, "/LOWER.TXT", &a) == 0 && walk(&m, "/lower.txt", &b)
	    == 0 && a == b);
	T_CHECK(walk(&m, "/LONGFI~1.TXT", &a) == 0);
	T_CHECK(walk(&m, "/long file name.TXT", &b) == 0 && a == b);
	T_CHECK(walk(&m, "/subdir/deeper dir/BIG.BIN", &n) == 0);
	T_CHECK(fat_ops.stat(m.fs, n, &st) == 0);
	T_CHECK(st.size == 50000 && (st.mode & FS_MODE_TYPE) == FS_MODE_FILE);
	got = fat_ops.read(m.fs, n, back, sizeof(back), 0);
	T_CHECK(got == 50000 && memcmp(back, big, 50000) == 0);
	got = fat_ops.read(m.fs, n, back, 100, 49950);
	T_CHECK(got == 50 && memcmp(back, big + 49950, 50) == 0);
	T_CHECK(fat_ops.read(m.fs, n, back, 100, 50000) == 0);
	T_CHECK(walk(&m, "/SubDir", &n) == 0);
	T_CHECK(fat_ops.stat(m.fs, n, &st) == 0);
	T_CHECK((st.mode & FS_MODE_TYPE) == FS_MODE_DIRECTORY);
	T_CHECK(st.size == sizeof(struct fs_dirent));
	T_CHECK(walk(&m, "/nothere", &n) == -ENOENT);
	T_CHECK(walk(&m, "/lower.txt/x", &n) == -ENOTDIR);
	/* A read-only mount refuses every change. */
	T_CHECK(put(&m, "/new.txt", "x", 1) == -EROFS);
	T_CHECK(rm(&m, "/lower.txt") == -EROFS);
	T_CHECK(img_close(&m) == 0);
}

/*
 * The same work on each FAT type: files of many sizes, long and short
 * names, holes, truncation, renames of every kind, removal and the
 * errors POSIX asks for; then fsck.fat, mdir and mcopy judge the image.
 */
static void
workload(const char *img, const char *mkfs)
{
	static const char *want =
	    "::/big.bin\n::/deep/\n::/deep/a/\n::/deep/a/Notes Moved.txt\n"
	    "::/docs/\n::/docs/Mixed.Case.Name.md\n::/docs/Read Me First.txt\n"
	    "::/docs/sub/\n::/docs/upper.txt\n::/e2/\n::/moved_b/\n"
	    "::/moved_b/c/\n::/moved_b/c/d/\n::/moved_b/c/d/leaf.txt\n"
	    "::/sizes/\n::/sizes/s3cl\n::/sizes/s511\n::/sizes/s512\n"
	    "::/sizes/scl\n::/sparse.dat\n::/trunc.dat\n";
	char out[8192] = "", mdir[8192], fsck_out[2048];
	struct fs_status st;
	struct img m;
	uint64_t n;
	uint32_t cl;
	long got;
	size_t i;

	char cmd[256];

	snprintf(cmd, sizeof(cmd), mkfs, img);
	T_CHECK(sh("cd %s && rm -f %s && %s >/dev/null", tmp, img, cmd) == 0);
	T_CHECKF(img_open(&m, img, true) == 0, "%s", err);
	cl = fat_bpb(m.fs)->cluster_size;
	pattern(big, sizeof(big), 3);

	T_CHECK(mk(&m, "/docs", FS_MODE_DIRECTORY | 0755, NULL) == 0);
	T_CHECK(mk(&m, "/docs", FS_MODE_DIRECTORY | 0755, NULL) == -EEXIST);
	T_CHECK(put(&m, "/docs/Read Me First.txt", "hello world\n", 12) == 0);
	T_CHECK(put(&m, "/docs/notes.txt", "notes\n", 6) == 0);
	T_CHECK(put(&m, "/docs/UPPER.TXT", "UP\n", 3) == 0);
	T_CHECK(put(&m, "/docs/Mixed.Case.Name.md", "# md\n", 5) == 0);
	T_CHECK(put(&m, "/docs/NOTES.TXT", "x", 1) == -EEXIST);
	T_CHECK(put(&m, "/docs/bad:name", "x", 1) == -EINVAL);
	T_CHECK(put(&m, "/big.bin", big, 200000) == 0);
	T_CHECK(mk(&m, "/sizes", FS_MODE_DIRECTORY | 0755, NULL) == 0);
	T_CHECK(put(&m, "/sizes/s0", "", 0) == 0);
	T_CHECK(put(&m, "/sizes/s1", big, 1) == 0);
	T_CHECK(put(&m, "/sizes/s511", big, 511) == 0);
	T_CHECK(put(&m, "/sizes/s512", big, 512) == 0);
	T_CHECK(put(&m, "/sizes/scl", big, cl) == 0);
	T_CHECK(put(&m, "/sizes/s3cl", big, 3 * cl + 7) == 0);
	/* A write far past the end: the gap reads as zeros. */
	T_CHECK(mk(&m, "/sparse.dat", FS_MODE_FILE | 0644, &n) == 0);
	T_CHECK(fat_ops.write(m.fs, n, "end", 3, 100000) == 3);
	T_CHECK(fat_ops.stat(m.fs, n, &st) == 0 && st.size == 100003);
	/* Shrink, then grow: the regrown part is zeros. */
	T_CHECK(put(&m, "/trunc.dat", big, 50000) == 0);
	T_CHECK(walk(&m, "/trunc.dat", &n) == 0);
	T_CHECK(fat_ops.truncate(m.fs, n, 10000) == 0);
	T_CHECK(fat_ops.truncate(m.fs, n, 30000) == 0);
	T_CHECK(fat_ops.truncate(m.fs, n, 1ull << 32) == -EFBIG);
	T_CHECK(fat_ops.write(m.fs, n, "x", 1, 0xffffffffull) == -EFBIG);
	T_CHECK(mk(&m, "/deep", FS_MODE_DIRECTORY | 0755, NULL) == 0);
	T_CHECK(mk(&m, "/deep/a", FS_MODE_DIRECTORY | 0755, NULL) == 0);
	T_CHECK(mk(&m, "/deep/a/b", FS_MODE_DIRECTORY | 0755, NULL) == 0);
	T_CHECK(mk(&m, "/deep/a/b/c", FS_MODE_DIRECTORY | 0755, NULL) == 0);
	T_CHECK(mk(&m, "/deep/a/b/c/d", FS_MODE_DIRECTORY | 0755, NULL) ==
	    0);
	T_CHECK(put(&m, "/deep/a/b/c/d/leaf.txt", "leaf\n", 5) == 0);
	T_CHECK(mk(&m, "/link", FS_MODE_SYMLINK | 0777, NULL) == -EOPNOTSUPP);

	/* Renames: across directories with a long name, case only, over a
	 * file, a directory with its subtree, a directory over an empty one,
	 * and the refusals. */
	T_CHECK(mv(&m, "/docs/notes.txt", "/deep/a/Notes Moved.txt") == 0);
	T_CHECK(mv(&m, "/docs/UPPER.TXT", "/docs/upper.txt") == 0);
	T_CHECK(mv(&m, "/sizes/s1", "/sizes/s511") == 0);
	T_CHECK(mv(&m, "/deep/a/b", "/moved_b") == 0);
	T_CHECK(mk(&m, "/e1", FS_MODE_DIRECTORY | 0755, NULL) == 0);
	T_CHECK(mk(&m, "/e2", FS_MODE_DIRECTORY | 0755, NULL) == 0);
	T_CHECK(mv(&m, "/e1", "/e2") == 0);
	T_CHECK(mk(&m, "/docs/sub", FS_MODE_DIRECTORY | 0755, NULL) == 0);
	T_CHECK(mv(&m, "/docs", "/docs/sub/x") == -EINVAL);
	T_CHECK(mv(&m, "/docs", "/docs") == 0);
	T_CHECK(mv(&m, "/big.bin", "/docs") == -EISDIR);
	T_CHECK(mv(&m, "/docs", "/big.bin") == -ENOTDIR);
	T_CHECK(mv(&m, "/moved_b", "/deep") == -ENOTEMPTY);
	T_CHECK(mv(&m, "/nothere", "/x") == -ENOENT);
	T_CHECK(rm(&m, "/deep") == -ENOTEMPTY);
	T_CHECK(rm(&m, "/sizes/s0") == 0);
	T_CHECK(rm(&m, "/sizes/s0") == -ENOENT);

	/* Read back through the plugin before and after a remount. */
	for (i = 0; i < 2; i++) {
		got = get(&m, "/big.bin", back, sizeof(back));
		T_CHECK(got == 200000 && memcmp(back, big, 200000) == 0);
		got = get(&m, "/sizes/s511", back, sizeof(back));
		T_CHECK(got == 1 && back[0] == big[0]);
		got = get(&m, "/moved_b/c/d/leaf.txt", back, sizeof(back));
		T_CHECK(got == 5 && memcmp(back, "leaf\n", 5) == 0);
		got = get(&m, "/docs/UPPER.txt", back, sizeof(back));
		T_CHECK(got == 3 && memcmp(back, "UP\n", 3) == 0);
		got = get(&m, "/trunc.dat", back, sizeof(back));
		T_CHECK(got == 30000 && memcmp(back, big, 10000) == 0);
		T_CHECK(back[10000] == 0 && back[29999] == 0);
		out[0] = '\0';
		T_CHECK(list(&m, "/", out, sizeof(out)) == 0);
		sort_lines(out);
		T_CHECKF(strcmp(out, want) == 0, "listing:\n%s", out);
		T_CHECK(img_close(&m) == 0);
		if (i == 0)
			T_CHECKF(img_open(&m, img, true) == 0, "%s", err);
	}

	/* The real tools agree. */
	T_CHECKF(fsck(img, fsck_out, sizeof(fsck_out)) == 0, "%s",
	    fsck_out);
	T_CHECK(mdir_list(img, mdir, sizeof(mdir)) == 0);
	T_CHECKF(strcmp(mdir, want) == 0, "mdir:\n%s", mdir);
	T_CHECK(sh("cd %s && export MTOOLS_SKIP_CHECK=1 && "
	    "mcopy -n -i %s ::/big.bin big.out && "
	    "mcopy -n -i %s ::/sparse.dat sparse.out && "
	    "mcopy -n -i %s ::/trunc.dat trunc.out && "
	    "mcopy -n -i %s '::/deep/a/Notes Moved.txt' notes.out", tmp, img,
	    img, img, img) == 0);
	T_CHECK(read_host("big.out", back, sizeof(back)) == 200000);
	T_CHECK(memcmp(back, big, 200000) == 0);
	T_CHECK(read_host("sparse.out", back, sizeof(back)) == 100003);
	for (i = 0; i < 100000; i++)
		T_CHECK(back[i] == 0);
	T_CHECK(memcmp(back + 100000, "end", 3) == 0);
	T_CHECK(read_host("trunc.out", back, sizeof(back)) == 30000);
	T_CHECK(memcmp(back, big, 10000) == 0 && back[20000] == 0);
	T_CHECK(read_host("notes.out", back, sizeof(back)) == 6);
	T_CHECK(memcmp(back, "notes\n", 6) == 0);
}

static void
t_fat12(void)
{
	NEED_TOOLS();
	workload("w12.img", "mkfs.fat -C -F 12 %s 1440");
}

static void
t_fat16(void)
{
	NEED_TOOLS();
	workload("w16.img", "mkfs.fat -C -F 16 -s 1 %s 8192");
}

static void
t_fat32(void)
{
	NEED_TOOLS();
	workload("w32.img", "mkfs.fat -C -F 32 -s 1 %s 40960");
}

/* Hundreds of long names: the directory grows, tails stay unique. */
static void
t_many(void)
{
	char name[64], out[65536] = "", fsck_out[2048];
	struct img m;
	struct fs_dirent e;
	uint64_t dir;
	unsigned i, n;
	int r;

	NEED_TOOLS();
	T_CHECK(sh("cd %s && rm -f many.img && mkfs.fat -C -F 16 -s 1 "
	    "many.img 8192 >/dev/null", tmp) == 0);
	T_CHECKF(img_open(&m, "many.img", true) == 0, "%s", err);
	T_CHECK(mk(&m, "/d", FS_MODE_DIRECTORY | 0755, NULL) == 0);
	for (i = 0; i < 300; i++) {
		snprintf(name, sizeof(name), "/d/Long file name %03u.text", i);
		T_CHECKF((r = put(&m, name, name, strlen(name))) == 0,
		    "%s: %d", name, r);
	}
	/* Remove every third, so that new entries reuse the holes. */
	for (i = 0; i < 300; i += 3) {
		snprintf(name, sizeof(name), "/d/long FILE name %03u.text", i);
		T_CHECK(rm(&m, name) == 0);
	}
	for (i = 0; i < 50; i++) {
		snprintf(name, sizeof(name), "/d/again %u", i);
		T_CHECK(put(&m, name, "x", 1) == 0);
	}
	T_CHECK(walk(&m, "/d", &dir) == 0);
	for (n = 0; fat_ops.readdir(m.fs, dir, n, &e) == 0; n++)
		;
	T_CHECK(n == 300 - 100 + 50);
	/* Reading backwards works too (no cursor). */
	T_CHECK(fat_ops.readdir(m.fs, dir, 5, &e) == 0);
	T_CHECK(fat_ops.readdir(m.fs, dir, 2, &e) == 0);
	T_CHECK(get(&m, "/d/LONGFI~1.TEX", back, sizeof(back)) > 0 ||
	    get(&m, "/d/LONGFI~2.TEX", back, sizeof(back)) > 0);
	T_CHECK(img_close(&m) == 0);
	T_CHECKF(fsck("many.img", fsck_out, sizeof(fsck_out)) == 0, "%s",
	    fsck_out);
	T_CHECK(mdir_list("many.img", out, sizeof(out)) == 0);
	T_CHECK(strstr(out, "::/d/Long file name 299.text\n") != NULL);
	T_CHECK(strstr(out, "::/d/Long file name 000.text\n") == NULL);
	T_CHECK(strstr(out, "::/d/again 49\n") != NULL);
}

/* A full volume and a full fixed root: ENOSPC, and a sound volume. */
static void
t_full(void)
{
	char name[32], fsck_out[2048];
	struct img m;
	uint64_t n;
	long long before;
	unsigned i;
	int r = 0;

	NEED_TOOLS();
	T_CHECK(sh("cd %s && rm -f full.img && mkfs.fat -C -F 12 -r 16 "
	    "full.img 200 >/dev/null", tmp) == 0);
	T_CHECKF(img_open(&m, "full.img", true) == 0, "%s", err);
	before = fat_free_clusters(m.fs);
	T_CHECK(before > 0);
	T_CHECK(mk(&m, "/big", FS_MODE_FILE | 0644, &n) == 0);
	T_CHECK(fat_ops.write(m.fs, n, big, sizeof(big), 0) == -ENOSPC);
	T_CHECK(fat_free_clusters(m.fs) == before);
	T_CHECK(fat_ops.write(m.fs, n, big, 100000, 0) == 100000);
	T_CHECK(rm(&m, "/big") == 0);
	T_CHECK(fat_free_clusters(m.fs) == before);
	for (i = 0; i < 32 && r == 0; i++) {
		snprintf(name, sizeof(name), "/F%u", i);
		r = put(&m, name, "", 0);
	}
	T_CHECK(r == -ENOSPC && i == 16 + 1);
	T_CHECK(img_close(&m) == 0);
	T_CHECKF(fsck("full.img", fsck_out, sizeof(fsck_out)) == 0, "%s",
	    fsck_out);
}

/* An open file outlives its name; its clusters go with the last close. */
static void
t_orphan(void)
{
	char fsck_out[2048];
	struct fs_status st;
	struct img m;
	uint64_t a, b;
	long long before;

	NEED_TOOLS();
	T_CHECK(sh("cd %s && rm -f o.img && mkfs.fat -C -F 16 -s 1 o.img 4096 "
	    ">/dev/null", tmp) == 0);
	T_CHECKF(img_open(&m, "o.img", true) == 0, "%s", err);
	before = fat_free_clusters(m.fs);
	T_CHECK(put(&m, "/victim.txt", big, 20000) == 0);
	T_CHECK(walk(&m, "/victim.txt", &a) == 0);
	fat_ops.open(m.fs, a);
	/* A rename keeps the id working, and a new file does not take it. */
	T_CHECK(mv(&m, "/victim.txt", "/renamed victim.txt") == 0);
	T_CHECK(put(&m, "/other.txt", "o", 1) == 0);
	T_CHECK(walk(&m, "/other.txt", &b) == 0 && b != a);
	T_CHECK(fat_ops.stat(m.fs, a, &st) == 0 && st.size == 20000);
	T_CHECK(walk(&m, "/renamed victim.txt", &b) == 0 && b == a);
	T_CHECK(rm(&m, "/renamed victim.txt") == 0);
	T_CHECK(walk(&m, "/renamed victim.txt", &b) == -ENOENT);
	T_CHECK(fat_ops.read(m.fs, a, back, sizeof(back), 0) == 20000);
	T_CHECK(memcmp(back, big, 20000) == 0);
	T_CHECK(fat_ops.write(m.fs, a, "more", 4, 20000) == 4);
	T_CHECK(fat_ops.stat(m.fs, a, &st) == 0 && st.size == 20004 &&
	    st.nlink == 0);
	fat_ops.close(m.fs, a);
	T_CHECK(fat_ops.stat(m.fs, a, &st) == -ENOENT);
	T_CHECK(rm(&m, "/other.txt") == 0);
	T_CHECK(fat_free_clusters(m.fs) == before);
	T_CHECK(img_close(&m) == 0);
	T_CHECKF(fsck("o.img", fsck_out, sizeof(fsck_out)) == 0, "%s",
	    fsck_out);
}

/*
 * fallocate as vfat has it: growing fills zeros, keep-size preallocates
 * clusters that writes then use and the last close gives back; no holes.
 */
static void
t_allocate(void)
{
	char fsck_out[2048];
	struct fs_status st;
	struct img m;
	uint64_t a, e;
	long long before;
	uint32_t cs;

	NEED_TOOLS();
	T_CHECK(sh("cd %s && rm -f a.img && mkfs.fat -C -F 16 -s 1 a.img 4096 "
	    ">/dev/null", tmp) == 0);
	T_CHECKF(img_open(&m, "a.img", true) == 0, "%s", err);
	cs = fat_bpb(m.fs)->cluster_size;
	before = fat_free_clusters(m.fs);
	T_CHECK(put(&m, "/a.txt", big, 1000) == 0);
	T_CHECK(put(&m, "/empty.txt", "", 0) == 0);
	T_CHECK(walk(&m, "/a.txt", &a) == 0 && walk(&m, "/empty.txt", &e) == 0);
	fat_ops.open(m.fs, a);
	fat_ops.open(m.fs, e);
	/* No holes, no unwritten zeros; nothing to do within the size. */
	T_CHECK(fat_ops.allocate(m.fs, a, FS_ALLOC_PUNCH_HOLE |
	    FS_ALLOC_KEEP_SIZE, 0, 10) == -EOPNOTSUPP);
	T_CHECK(fat_ops.allocate(m.fs, a, FS_ALLOC_ZERO_RANGE, 0, 10) ==
	    -EOPNOTSUPP);
	T_CHECK(fat_ops.allocate(m.fs, a, 0, 0, 1000) == 0);
	T_CHECK(fat_ops.allocate(m.fs, a, 0, 0, 5000000000ull) == -EFBIG);
	/* Keep-size: clusters counted, the size stays. */
	T_CHECK(fat_ops.allocate(m.fs, a, FS_ALLOC_KEEP_SIZE, 0,
	    20 * cs) == 0);
	T_CHECK(fat_ops.stat(m.fs, a, &st) == 0 && st.size == 1000 &&
	    st.blocks == 20 * (cs / 512));
	T_CHECK(fat_free_clusters(m.fs) == before - 20);
	T_CHECK(fat_ops.allocate(m.fs, e, FS_ALLOC_KEEP_SIZE, 100, 5) == 0);
	T_CHECK(fat_ops.stat(m.fs, e, &st) == 0 && st.size == 0 &&
	    st.blocks == cs / 512);
	/* Writes use the preallocation; the gap reads as zeros. */
	T_CHECK(fat_ops.write(m.fs, a, big, 100, 5 * cs) == 100);
	T_CHECK(fat_free_clusters(m.fs) == before - 21);
	T_CHECK(fat_ops.read(m.fs, a, back, sizeof(back), 0) == 5 * cs + 100);
	T_CHECK(memcmp(back, big, 1000) == 0 && back[1000] == 0 &&
	    back[5 * cs - 1] == 0 && memcmp(back + 5 * cs, big, 100) == 0);
	T_CHECK(fat_ops.stat(m.fs, a, &st) == 0 &&
	    st.blocks == 20 * (cs / 512));
	/* Growing: like a truncate, zeros. */
	T_CHECK(fat_ops.allocate(m.fs, a, 0, 10 * cs, 10) == 0);
	T_CHECK(fat_ops.stat(m.fs, a, &st) == 0 && st.size == 10 * cs + 10);
	T_CHECK(fat_ops.read(m.fs, a, back, 10, 10 * cs) == 10 &&
	    back[0] == 0 && back[9] == 0);
	/* The last close gives the rest back; fsck.fat finds nothing. */
	fat_ops.close(m.fs, a);
	fat_ops.close(m.fs, e);
	T_CHECK(fat_ops.stat(m.fs, a, &st) == 0 &&
	    st.blocks == 11 * (cs / 512));
	T_CHECK(fat_ops.stat(m.fs, e, &st) == 0 && st.blocks == 0);
	T_CHECK(fat_free_clusters(m.fs) == before - 11);
	/* A preallocation on a file removed while open goes with it. */
	fat_ops.open(m.fs, a);
	T_CHECK(fat_ops.allocate(m.fs, a, FS_ALLOC_KEEP_SIZE, 0, 30 * cs) == 0);
	T_CHECK(rm(&m, "/a.txt") == 0);
	fat_ops.close(m.fs, a);
	T_CHECK(rm(&m, "/empty.txt") == 0);
	T_CHECK(fat_free_clusters(m.fs) == before);
	T_CHECK(img_close(&m) == 0);
	T_CHECKF(fsck("a.img", fsck_out, sizeof(fsck_out)) == 0, "%s",
	    fsck_out);
}

/* Poke 4 bytes (little endian v, n bytes) into an image at off. */
static int
poke(const char *img, uint64_t off, uint32_t v, unsigned n)
{
	char path[128];
	uint8_t b[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16),
	    (uint8_t)(v >> 24) };
	int fd, ok;

	snprintf(path, sizeof(path), "%s/%s", tmp, img);
	if ((fd = open(path, O_RDWR)) < 0)
		return -1;
	ok = pwrite(fd, b, n, (off_t)off) == (ssize_t)n;
	close(fd);
	return ok ? 0 : -1;
}

/* The first cluster and FAT entry offset of the file at path. */
static int
file_cluster(struct img *m, const char *path, uint32_t *cl)
{
	uint8_t raw[32];
	uint64_t n;
	struct fat_dirent de;

	if (walk(m, path, &n) < 0 || !(n & FAT_FILE_BIT))
		return -1;
	if (pread(m->fd, raw, 32, (off_t)((n & FAT_ID_MASK) * 32)) != 32)
		return -1;
	fat_dirent_decode(fat_bpb(m->fs), raw, &de);
	*cl = de.cluster;
	return 0;
}

/* Damaged chains and directories: -EIO naming the damage, no hang. */
static void
t_damage(void)
{
	struct fat_bpb b;
	struct fs_dirent e;
	struct img m;
	uint64_t n, i;
	uint32_t c1, c2, cd, cd2;
	long got;
	int r = 0;

	NEED_TOOLS();
	T_CHECK(sh("cd %s && rm -f d.img && mkfs.fat -C -F 16 -s 1 d.img 4096 "
	    ">/dev/null", tmp) == 0);
	T_CHECKF(img_open(&m, "d.img", true) == 0, "%s", err);
	T_CHECK(put(&m, "/loop.bin", big, 5000) == 0);
	T_CHECK(put(&m, "/out.bin", big, 5000) == 0);
	T_CHECK(mk(&m, "/dir", FS_MODE_DIRECTORY | 0755, NULL) == 0);
	for (i = 0; i < 40; i++) {
		char name[32];

		snprintf(name, sizeof(name), "/dir/f%llu", (unsigned long long)i);
		T_CHECK(put(&m, name, "", 0) == 0);
	}
	T_CHECK(file_cluster(&m, "/loop.bin", &c1) == 0);
	T_CHECK(file_cluster(&m, "/out.bin", &c2) == 0);
	T_CHECK(walk(&m, "/dir", &n) == 0);
	cd = (uint32_t)(n & FAT_ID_MASK);
	b = *fat_bpb(m.fs);
	T_CHECK(fat_get(m.fs, cd, &cd2) == 0 && fat_cluster_valid(&b, cd2));
	T_CHECK(img_close(&m) == 0);
	/* loop.bin's second cluster points back to its first; out.bin's
	 * first points far beyond the volume; the directory's chain loops. */
	T_CHECK(poke("d.img", b.fat_offset + (c1 + 1) * 2, c1, 2) == 0);
	T_CHECK(poke("d.img", b.fat_offset + c2 * 2, 0xfff0, 2) == 0);
	T_CHECK(poke("d.img", b.fat_offset + cd2 * 2, cd, 2) == 0);
	T_CHECKF(img_open(&m, "d.img", false) == 0, "%s", err);
	T_CHECKF((got = get(&m, "/loop.bin", back, sizeof(back))) == -EIO, "%ld c1 %u", got, c1);
	T_CHECKF(strstr(fat_last_error(m.fs), "longer than 10 clusters") !=
	    NULL, "%s", fat_last_error(m.fs));
	T_CHECK(get(&m, "/out.bin", back, sizeof(back)) == -EIO);
	T_CHECKF(strstr(fat_last_error(m.fs), "outside the volume") != NULL,
	    "%s", fat_last_error(m.fs));
	T_CHECK(walk(&m, "/dir", &n) == 0);
	for (i = 0; i < 100000 && (r = fat_ops.readdir(m.fs, n, i, &e)) == 0;
	    i++)
		;
	T_CHECKF(r == -EIO && i < 100000, "%d after %llu", r,
	    (unsigned long long)i);
	T_CHECK(walk(&m, "/dir/nothere", &n) == -EIO);
	T_CHECK(img_close(&m) == 0);
	/* A directory entry whose cluster lies outside the volume. */
	T_CHECK(sh("cd %s && rm -f e.img && mkfs.fat -C -F 12 e.img 720 "
	    ">/dev/null && MTOOLS_SKIP_CHECK=1 mmd -i e.img ::/sub", tmp) == 0);
	T_CHECKF(img_open(&m, "e.img", false) == 0, "%s", err);
	b = *fat_bpb(m.fs);
	T_CHECK(img_close(&m) == 0);
	T_CHECK(poke("e.img", b.root_offset + 26, 0xf00, 2) == 0);
	T_CHECKF(img_open(&m, "e.img", false) == 0, "%s", err);
	T_CHECK(walk(&m, "/sub", &n) == -EIO);
	T_CHECKF(strstr(fat_last_error(m.fs), "directory entry \"sub\": "
	    "cluster 3840 lies outside the volume") != NULL, "%s",
	    fat_last_error(m.fs));
	T_CHECK(img_close(&m) == 0);
	/* A device smaller than the volume it holds. */
	T_CHECK(sh("cd %s && truncate -s 100K e.img", tmp) == 0);
	T_CHECK(img_open(&m, "e.img", false) == -EINVAL);
	T_CHECKF(strstr(err, "larger than the device") != NULL, "%s", err);
}

int
main(void)
{
	char *t;

	setenv("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:"
	    "/sbin:/bin", 1);
	snprintf(tmp, sizeof(tmp), "/tmp/vfs_fat.XXXXXX");
	if ((t = mkdtemp(tmp)) == NULL) {
		printf("FAIL - vfs-fat-img: cannot make a temporary directory\n");
		return 1;
	}
	T_RUN("vfs-fat-101", "a FAT12 volume filled by mtools reads back: "
	    "long names, case bits, no label, lookups without case",
	    t_read_mtools);
	T_RUN("vfs-fat-102", "FAT12: files, renames and removals; fsck.fat, "
	    "mdir and mcopy agree", t_fat12);
	T_RUN("vfs-fat-103", "FAT16: the same", t_fat16);
	T_RUN("vfs-fat-104", "FAT32: the same", t_fat32);
	T_RUN("vfs-fat-105", "hundreds of long names in one directory; holes "
	    "reused", t_many);
	T_RUN("vfs-fat-106", "a full volume and a full root directory give "
	    "ENOSPC and stay sound", t_full);
	T_RUN("vfs-fat-107", "an open file survives rename and unlink; its "
	    "clusters go on the last close", t_orphan);
	T_RUN("vfs-fat-108", "chains that loop or leave the volume, a "
	    "directory loop, an entry outside the volume: -EIO naming it",
	    t_damage);
	T_RUN("vfs-fat-109", "fallocate: keep-size preallocates until the "
	    "last close, growing zero-fills, no holes", t_allocate);
	sh("rm -rf %s", tmp);
	return t_done();
}
