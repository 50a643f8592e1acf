/*
 * Tests of the iso9660 plugin on images made by xorriso: a source tree
 * reads back identical through Rock Ridge (names, modes, owners, times,
 * symlinks, deep directories), through Joliet and through plain ISO 9660
 * names; damaged images give errors that name the structure.
 * SPDX-License-Identifier: MIT
 *
 * xorriso comes from the Debian package of that name; without it the
 * cases that need it are skipped with a message saying so.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "iso9660.h"
#include "test.h"

T_STATE_DEFINE;

static char tmp[64];
static char err[200];

struct img {
	int fd;
	struct blkdev dev;
	struct iso_fs *fs;
	uint64_t root;
};

static int
f_read(void *ctx, uint64_t block, uint64_t count, void *buf)
{
	struct img *m = ctx;
	size_t n = count * 512;

	return pread(m->fd, buf, n, (off_t)(block * 512)) == (ssize_t)n ? 0 :
	    -EIO;
}

static const struct blkdev_ops file_ops = { f_read, NULL, NULL };

static int
img_open(struct img *m, const char *name)
{
	char path[128];
	struct stat st;
	int r;

	memset(m, 0, sizeof(*m));
	snprintf(path, sizeof(path), "%s/%s", tmp, name);
	if ((m->fd = open(path, O_RDONLY)) < 0 || fstat(m->fd, &st) < 0)
		return -errno;
	r = blkdev_init(&m->dev, &file_ops, m, 512, (uint64_t)st.st_size / 512,
	    false, 64 * 1024);
	if (r == 0)
		r = iso_mount(&m->dev, NULL, NULL, &m->fs, &m->root, err,
		    sizeof(err));
	if (r < 0) {
		blkdev_fini(&m->dev);
		close(m->fd);
	}
	return r;
}

static void
img_close(struct img *m)
{
	iso_unmount(m->fs);
	blkdev_fini(&m->dev);
	close(m->fd);
}

static int
sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int
sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	int r;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	r = system(cmd);
	return r == -1 ? -1 : WEXITSTATUS(r);
}

#define NEED_XORRISO() do { \
	if (sh("command -v xorriso >/dev/null 2>&1") != 0) \
		T_SKIP("needs xorriso (Debian package xorriso)"); \
} while (0)

static int
walk(struct img *m, const char *path, uint64_t *node)
{
	return fs_path_walk(&iso_ops, m->fs, m->root, path, node);
}

/* --- the source tree --- */

static void
make_tree(void)
{
	static uint8_t buf[1 << 20];
	char path[128];
	size_t i;
	int fd;

	sh("cd %s && rm -rf src && mkdir -p src/a/b/c/d/e/f/g/h/i/j/k "
	    "src/empty 'src/Dir with spaces' && "
	    "echo deep > src/a/b/c/d/e/f/g/h/i/j/k/leaf.txt && "
	    "echo hi > 'src/A long name with spaces and more than sixty-four "
	    "characters in it, to be sure.txt' && "
	    "printf 'gr\\303\\274\\303\\237e\\n' > "
	    "\"$(printf 'src/Gr\\303\\274\\303\\237e.txt')\" && "
	    "ln -s ../target src/a/link && ln -s /abs/path/x src/abs && "
	    "ln -s ./a/../a/b src/rel && "
	    ": > src/zero && printf x > src/one && "
	    "chmod 600 src/a/b/c/d/e/f/g/h/i/j/k/leaf.txt && "
	    "printf '#!/bin/sh\\n' > src/run.sh && chmod 755 src/run.sh && "
	    "echo same > src/hard1 && ln src/hard1 'src/Dir with spaces/hard2' "
	    "&& touch -d '2020-02-03 04:05:06 UTC' src/one", tmp);
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 7 + (i >> 11));
	snprintf(path, sizeof(path), "%s/src/big.bin", tmp);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644)) >= 0) {
		if (write(fd, buf, sizeof(buf)) < 0)
			perror("write");
		close(fd);
	}
	snprintf(path, sizeof(path), "%s/src/2048.bin", tmp);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644)) >= 0) {
		if (write(fd, buf + 5, 2048) < 0)
			perror("write");
		close(fd);
	}
}

/*
 * Compare host directory `host` with the image's `path`: the same names,
 * types, sizes, content, permissions, owners, mtimes and symlink targets
 * (what `rr` says the image can hold). Returns the entries compared, or
 * -1 with err set.
 */
static long
compare(struct img *m, const char *host, const char *path, bool rr)
{
	static uint8_t a[1 << 20], b[1 << 20];
	char hp[1024], ip[FS_MAX_PATH_LEN], link[1024];
	struct fs_status st;
	struct fs_dirent e;
	struct stat hs;
	uint64_t dir, n, i;
	long total = 0, sub;
	DIR *d;
	struct dirent *de;
	unsigned host_n = 0;
	int r;

	if (walk(m, path, &dir) < 0) {
		snprintf(err, sizeof(err), "%s: not found", path);
		return -1;
	}
	for (i = 0; (r = iso_ops.readdir(m->fs, dir, i, &e)) == 0; i++) {
		snprintf(hp, sizeof(hp), "%s/%s", host, e.name);
		snprintf(ip, sizeof(ip), "%s%s%s", path,
		    strcmp(path, "/") ? "/" : "", e.name);
		if (lstat(hp, &hs) < 0) {
			snprintf(err, sizeof(err), "%s: not in the source", ip);
			return -1;
		}
		if (walk(m, ip, &n) < 0 || iso_ops.stat(m->fs, n, &st) < 0) {
			snprintf(err, sizeof(err), "%s: no status", ip);
			return -1;
		}
		if (rr && ((st.mode & 07777) != (hs.st_mode & 07777) ||
		    st.uid != hs.st_uid || st.gid != hs.st_gid)) {
			snprintf(err, sizeof(err), "%s: mode %o uid %u, host %o "
			    "%u", ip, st.mode, st.uid, hs.st_mode, hs.st_uid);
			return -1;
		}
		if (rr && !S_ISDIR(hs.st_mode) &&
		    st.mtime.sec != hs.st_mtim.tv_sec) {
			snprintf(err, sizeof(err), "%s: mtime %lld, host %lld",
			    ip, (long long)st.mtime.sec,
			    (long long)hs.st_mtim.tv_sec);
			return -1;
		}
		if (S_ISDIR(hs.st_mode)) {
			if (e.type != FS_TYPE_DIRECTORY) {
				snprintf(err, sizeof(err), "%s: not a "
				    "directory", ip);
				return -1;
			}
			if ((sub = compare(m, hp, ip, rr)) < 0)
				return -1;
			total += sub;
		} else if (S_ISLNK(hs.st_mode)) {
			ssize_t hl = readlink(hp, link, sizeof(link));
			long il = iso_ops.readlink(m->fs, n, (char *)a,
			    sizeof(a));

			if (e.type != FS_TYPE_SYMLINK || hl != il ||
			    memcmp(link, a, (size_t)hl) != 0 ||
			    st.size != (uint64_t)hl) {
				snprintf(err, sizeof(err), "%s: symlink differs "
				    "(%ld bytes)", ip, il);
				return -1;
			}
		} else {
			int fd = open(hp, O_RDONLY);
			ssize_t hn = fd >= 0 ? read(fd, a, sizeof(a)) : -1;
			long in = iso_ops.read(m->fs, n, b, sizeof(b), 0);

			if (fd >= 0)
				close(fd);
			if (e.type != FS_TYPE_FILE || hn != in ||
			    st.size != (uint64_t)hn ||
			    memcmp(a, b, (size_t)hn) != 0) {
				snprintf(err, sizeof(err), "%s: content "
				    "differs (%ld vs %zd bytes)", ip, in, hn);
				return -1;
			}
		}
		total++;
	}
	if (r != -ENOENT) {
		snprintf(err, sizeof(err), "%s: readdir: %d", path, r);
		return -1;
	}
	if ((d = opendir(host)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			host_n++;
	closedir(d);
	if (host_n != i) {
		snprintf(err, sizeof(err), "%s: %llu entries, the source has "
		    "%u", path, (unsigned long long)i, host_n);
		return -1;
	}
	return total;
}

/* --- cases --- */

static void
t_rock_ridge(void)
{
	struct img m;
	struct fs_status st;
	uint64_t n, n2;
	char buf[64];
	long total;

	NEED_XORRISO();
	make_tree();
	T_CHECK(sh("cd %s && xorriso -as mkisofs -quiet -R -J -V CAIRN_TEST "
	    "-o rr.iso src 2>/dev/null", tmp) == 0);
	T_CHECKF(img_open(&m, "rr.iso") == 0, "%s", err);
	T_CHECK(strcmp(iso_format(m.fs), "Rock Ridge") == 0);
	T_CHECK(strcmp(iso_volume_id(m.fs), "CAIRN_TEST") == 0);
	snprintf(buf, sizeof(buf), "%s/src", tmp);
	T_CHECKF((total = compare(&m, buf, "/", true)) > 20, "%s", err);
	T_CHECK(walk(&m, "/one", &n) == 0 && iso_ops.stat(m.fs, n, &st) == 0);
	T_CHECK(st.mtime.sec == 1580702706);
	/* Hard links keep their count; lookups are exact. */
	T_CHECK(walk(&m, "/hard1", &n) == 0 && iso_ops.stat(m.fs, n, &st) == 0);
	T_CHECK(st.nlink == 2);
	T_CHECK(walk(&m, "/HARD1", &n2) == -ENOENT);
	T_CHECK(iso_ops.read(m.fs, n, buf, sizeof(buf), 100) == 0);
	T_CHECK(iso_ops.read(m.fs, n, buf, 2, 3) == 2 &&
	    memcmp(buf, "e\n", 2) == 0);
	T_CHECK(walk(&m, "/a/link", &n) == 0);
	T_CHECK(iso_ops.read(m.fs, n, buf, sizeof(buf), 0) == -EINVAL);
	T_CHECK(walk(&m, "/a", &n) == 0);
	T_CHECK(iso_ops.read(m.fs, n, buf, sizeof(buf), 0) == -EISDIR);
	/* Nothing may change. */
	T_CHECK(iso_ops.create(m.fs, m.root, "new", FS_MODE_FILE | 0644, &n2)
	    == -EROFS);
	T_CHECK(iso_ops.unlink(m.fs, m.root, "one") == -EROFS);
	T_CHECK(iso_ops.write(m.fs, n, "x", 1, 0) == -EROFS);
	T_CHECK(iso_ops.rename(m.fs, m.root, "one", m.root, "two") == -EROFS);
	img_close(&m);
}

static void
t_joliet(void)
{
	struct img m;
	struct fs_status st;
	uint64_t n;
	char buf[64];

	NEED_XORRISO();
	make_tree();
	/* Joliet names end at 64 characters: leave the long one out. */
	T_CHECK(sh("cd %s && rm -f src/A\\ long* src/a/link src/abs src/rel && "
	    "rm -rf src/a/b/c/d/e/f/g/h && xorriso -as mkisofs -quiet "
	    "--norock -J -o j.iso src 2>/dev/null", tmp) == 0);
	T_CHECKF(img_open(&m, "j.iso") == 0, "%s", err);
	T_CHECK(strcmp(iso_format(m.fs), "Joliet level 3") == 0 ||
	    strcmp(iso_format(m.fs), "Joliet level 1") == 0);
	snprintf(buf, sizeof(buf), "%s/src", tmp);
	T_CHECKF(compare(&m, buf, "/", false) > 10, "%s", err);
	T_CHECK(walk(&m, "/Dir with spaces/hard2", &n) == 0);
	T_CHECK(iso_ops.stat(m.fs, n, &st) == 0);
	T_CHECK((st.mode & FS_MODE_TYPE) == FS_MODE_FILE && st.size == 5);
	T_CHECK((st.mode & 0777) == 0444);
	img_close(&m);
}

static void
t_plain(void)
{
	struct fs_dirent e;
	struct img m;
	uint64_t n, i;
	char buf[64];
	bool big = false;

	NEED_XORRISO();
	make_tree();
	T_CHECK(sh("cd %s && xorriso -as mkisofs -quiet --norock -o p.iso src "
	    "2>/dev/null", tmp) == 0);
	T_CHECKF(img_open(&m, "p.iso") == 0, "%s", err);
	T_CHECK(strcmp(iso_format(m.fs), "ISO 9660") == 0);
	for (i = 0; iso_ops.readdir(m.fs, m.root, i, &e) == 0; i++)
		if (strcmp(e.name, "big.bin") == 0)
			big = true;
	T_CHECK(big);
	/* Plain names ignore case, as their upper case on disk is not the
	 * name anyone gave them. */
	T_CHECK(walk(&m, "/BIG.BIN", &n) == 0);
	T_CHECK(iso_ops.read(m.fs, n, buf, 4, 2048) == 4);
	T_CHECK((uint8_t)buf[0] == (uint8_t)(2048 * 7 + 1));
	img_close(&m);
}

/* Patch len bytes of image name at off. */
static int
patch(const char *name, uint64_t off, const void *data, size_t len)
{
	char path[128];
	int fd, ok;

	snprintf(path, sizeof(path), "%s/%s", tmp, name);
	if ((fd = open(path, O_RDWR)) < 0)
		return -1;
	ok = pwrite(fd, data, len, (off_t)off) == (ssize_t)len;
	close(fd);
	return ok ? 0 : -1;
}

static int
peek(const char *name, uint64_t off, void *data, size_t len)
{
	char path[128];
	int fd, ok;

	snprintf(path, sizeof(path), "%s/%s", tmp, name);
	if ((fd = open(path, O_RDONLY)) < 0)
		return -1;
	ok = pread(fd, data, len, (off_t)off) == (ssize_t)len;
	close(fd);
	return ok ? 0 : -1;
}

static void
both32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
	p[4] = p[3]; p[5] = p[2]; p[6] = p[1]; p[7] = p[0];
}

/* A CE entry (28 bytes) to block b, offset o, length n. */
static void
ce(uint8_t *p, uint32_t b, uint32_t o, uint32_t n)
{
	p[0] = 'C'; p[1] = 'E'; p[2] = 28; p[3] = 1;
	both32(p + 4, b);
	both32(p + 12, o);
	both32(p + 20, n);
}

/* Replace the System Use area of the record of path with area. */
static int
set_su(struct img *m, const char *img, const char *path, const uint8_t *area,
    size_t n, uint64_t *pos)
{
	uint8_t raw[256];
	struct iso_rec r;

	if (walk(m, path, pos) < 0 || peek(img, *pos, raw, 255) < 0 ||
	    iso_rec_parse(raw, 255, &r, err, sizeof(err)) < 0 || r.su_len < n)
		return -1;
	memset(raw + (r.su - raw), 0, r.su_len);
	memcpy(raw + (r.su - raw), area, n);
	return patch(img, *pos, raw, r.len);
}

static void
t_damage(void)
{
	uint8_t raw[256], area[64];
	struct fs_dirent e;
	struct img m;
	uint64_t n, pos, i;
	uint32_t pt;
	char buf[64];
	int rc = 0;

	NEED_XORRISO();
	make_tree();
	T_CHECK(sh("cd %s && xorriso -as mkisofs -quiet -R -J -o d.iso src "
	    "2>/dev/null", tmp) == 0);
	T_CHECKF(img_open(&m, "d.iso") == 0, "%s", err);
	/* A directory whose extent lies far beyond the image. */
	T_CHECK(walk(&m, "/empty", &pos) == 0);
	T_CHECK(peek("d.iso", pos, raw, 255) == 0);
	both32(raw + 2, 0x00ffffff);
	T_CHECK(patch("d.iso", pos, raw, raw[0]) == 0);
	/* A continuation loop: one's CE -> block 1, whose CE -> block 1. */
	memset(area, 0, sizeof(area));
	ce(area, 1, 0, 28);
	T_CHECK(patch("d.iso", 2048, area, 28) == 0);
	T_CHECK(set_su(&m, "d.iso", "/one", area, 32, &pos) == 0);
	/* A continuation area outside the image. */
	ce(area, 0x7fffffff, 0, 28);
	T_CHECK(set_su(&m, "d.iso", "/zero", area, 32, &pos) == 0);
	/* big.bin's data beyond the image. */
	T_CHECK(walk(&m, "/big.bin", &pos) == 0);
	T_CHECK(peek("d.iso", pos, raw, 255) == 0);
	both32(raw + 2, 0x00fffff0);
	T_CHECK(patch("d.iso", pos, raw, raw[0]) == 0);
	/* The primary path table moves beyond the image. */
	pt = 0x00ffffff;
	T_CHECK(patch("d.iso", 16 * 2048 + 140, &pt, 4) == 0);
	img_close(&m);

	T_CHECKF(img_open(&m, "d.iso") == 0, "%s", err);
	T_CHECKF(strstr(iso_last_error(m.fs), "path table at block 16777215")
	    != NULL, "%s", iso_last_error(m.fs));
	T_CHECK(walk(&m, "/empty", &n) == -EIO);
	T_CHECKF(strstr(iso_last_error(m.fs), "directory record \"empty\": "
	    "extent at block 16777215") != NULL, "%s", iso_last_error(m.fs));
	T_CHECK(walk(&m, "/one", &n) == -EIO);
	T_CHECKF(strstr(iso_last_error(m.fs), "more than 32 continuation "
	    "areas for the record at byte") != NULL, "%s",
	    iso_last_error(m.fs));
	T_CHECK(walk(&m, "/zero", &n) == -EIO);
	T_CHECKF(strstr(iso_last_error(m.fs), "continuation area of 28 bytes "
	    "at block 2147483647 + 0 lies outside the image") != NULL, "%s",
	    iso_last_error(m.fs));
	/* The damage stays with its entries: the others still work. */
	T_CHECK(walk(&m, "/run.sh", &n) == 0);
	T_CHECK(walk(&m, "/a/b/c/d/e/f/g/h/i/j/k/leaf.txt", &n) == 0);
	T_CHECK(walk(&m, "/big.bin", &n) == 0);
	T_CHECK(iso_ops.read(m.fs, n, buf, sizeof(buf), 0) == -EIO);
	T_CHECKF(strstr(iso_last_error(m.fs), "directory record \"big.bin\": "
	    "extent at block 16777200") != NULL, "%s", iso_last_error(m.fs));
	/* A listing shows the sound entries, then reports the damage. */
	for (i = 0; i < 1000 && (rc = iso_ops.readdir(m.fs, m.root, i, &e))
	    == 0; i++)
		;
	T_CHECKF(rc == -EIO && i == 13 - 3, "%d after %llu", rc,
	    (unsigned long long)i);
	img_close(&m);

	/* The root beyond a truncated image, and no image at all. */
	T_CHECK(sh("cd %s && head -c 38912 d.iso > t.iso", tmp) == 0);
	T_CHECK(img_open(&m, "t.iso") == -EINVAL);
	T_CHECKF(strstr(err, "root directory record") != NULL, "%s", err);
	T_CHECK(sh("cd %s && head -c 45056 /dev/zero > z.iso", tmp) == 0);
	T_CHECK(img_open(&m, "z.iso") == -EINVAL);
	T_CHECKF(strstr(err, "CD001") != NULL, "%s", err);
}

/* Two records made into one file of two extents (ISO_F_MULTI), as
 * mkisofs writes files of 4 GiB and more. */
static void
t_multi(void)
{
	uint8_t raw[256];
	struct fs_status st;
	struct fs_dirent e;
	struct img m;
	uint64_t p1, p2, i, n;
	char buf[64];
	unsigned count = 0;

	NEED_XORRISO();
	T_CHECK(sh("cd %s && rm -rf msrc && mkdir msrc && printf 'hello ' > "
	    "msrc/p1 && printf 'world' > msrc/p2 && xorriso -as mkisofs -quiet "
	    "--norock -o m.iso msrc 2>/dev/null", tmp) == 0);
	T_CHECKF(img_open(&m, "m.iso") == 0, "%s", err);
	T_CHECK(walk(&m, "/p1", &p1) == 0 && walk(&m, "/p2", &p2) == 0);
	img_close(&m);
	T_CHECK(p2 > p1);
	T_CHECK(peek("m.iso", p1, raw, 255) == 0);
	raw[25] |= ISO_F_MULTI;
	T_CHECK(patch("m.iso", p1, raw, raw[0]) == 0);
	T_CHECK(peek("m.iso", p2, raw, 255) == 0);
	T_CHECK(raw[32] == 5 && memcmp(raw + 33, "P2.;1", 5) == 0);
	raw[34] = '1';
	T_CHECK(patch("m.iso", p2, raw, raw[0]) == 0);
	T_CHECKF(img_open(&m, "m.iso") == 0, "%s", err);
	for (i = 0; iso_ops.readdir(m.fs, m.root, i, &e) == 0; i++)
		count++;
	T_CHECK(count == 1 && strcmp(e.name, "p1") == 0);
	T_CHECK(walk(&m, "/p1", &n) == 0 && n == p1);
	T_CHECK(iso_ops.stat(m.fs, n, &st) == 0 && st.size == 11);
	T_CHECK(iso_ops.read(m.fs, n, buf, sizeof(buf), 0) == 11);
	T_CHECK(memcmp(buf, "hello world", 11) == 0);
	T_CHECK(iso_ops.read(m.fs, n, buf, 4, 4) == 4);
	T_CHECK(memcmp(buf, "o wo", 4) == 0);
	T_CHECK(iso_ops.read(m.fs, n, buf, 10, 8) == 3);
	T_CHECK(memcmp(buf, "rld", 3) == 0);
	img_close(&m);
	/* The second part renamed away: the file's next part is missing. */
	raw[34] = '3';
	T_CHECK(patch("m.iso", p2, raw, raw[0]) == 0);
	T_CHECKF(img_open(&m, "m.iso") == 0, "%s", err);
	T_CHECK(walk(&m, "/p1", &n) == 0);
	T_CHECK(iso_ops.read(m.fs, n, buf, sizeof(buf), 0) == -EIO);
	T_CHECKF(strstr(iso_last_error(m.fs), "multi-extent file \"p1\": the "
	    "record of its next part is missing") != NULL, "%s",
	    iso_last_error(m.fs));
	img_close(&m);
}

int
main(void)
{
	setenv("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:"
	    "/sbin:/bin", 1);
	snprintf(tmp, sizeof(tmp), "/tmp/vfs_iso.XXXXXX");
	if (mkdtemp(tmp) == NULL) {
		printf("FAIL - vfs-iso-img: cannot make a temporary directory\n");
		return 1;
	}
	T_RUN("vfs-iso-101", "an image made with -R -J reads back identical to "
	    "its source: names, modes, owners, times, symlinks, deep "
	    "directories", t_rock_ridge);
	T_RUN("vfs-iso-102", "Joliet names without Rock Ridge", t_joliet);
	T_RUN("vfs-iso-103", "plain ISO 9660 names", t_plain);
	T_RUN("vfs-iso-104", "extents and continuation areas outside the "
	    "image, continuation loops, a lost path table, a truncated image: "
	    "errors naming them", t_damage);
	T_RUN("vfs-iso-105", "a file of two extents reads as one; a missing "
	    "part is an error", t_multi);
	sh("rm -rf %s", tmp);
	return t_done();
}
