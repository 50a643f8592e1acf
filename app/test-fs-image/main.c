/*
 * test-fs-image: a File_system client for the scenarios of the vfs's
 * on-disk plugins, whose results the host's own tools then judge.
 * SPDX-License-Identifier: MIT
 *
 * <config test="write" root="/"/> writes, reads back, renames and removes
 * files and directories with short, long and case-mixed names under root,
 * logging each step ("WHAT: RESULT"); the scenario's oracle (fsck.fat,
 * mdir, mcopy) then checks the image. An unexpected answer is an Error
 * line, which fails the scenario.
 *
 * <config test="list" root="/iso" out="/out/listing.txt"/> lists every
 * node under root, sorted by path, one line each:
 *   d PATH MODE
 *   f PATH MODE CKSUM SIZE          (CKSUM: POSIX cksum's CRC)
 *   l PATH MODE -> TARGET
 * (MODE in octal, PATH relative to root), logs the count and writes the
 * lines to `out` (if given), so that the scenario can compare them with a
 * listing `find` and `cksum` made of the source tree.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cairn/env.h>
#include <cairn/fs_client.h>
#include <cairn/fs_server.h>
#include <cairn/xml.h>

#define MAX_LINES	4096
#define LINE_MAX_LEN	(FS_MAX_PATH_LEN + 64)
#define BIG		(300 * 1024)

struct main {
	struct cairn_env *env;
	struct fs_conn c;
	struct fs_client fc;
	unsigned failed;
	char root[FS_MAX_PATH_LEN];
	char out[FS_MAX_PATH_LEN];
	char *lines[MAX_LINES];
	unsigned nlines;
	uint32_t crc_table[256];
};

static void
check(struct main *mn, bool ok, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
check(struct main *mn, bool ok, const char *fmt, ...)
{
	char buf[LINE_MAX_LEN];
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

static const char *
err_str(long r)
{
	return r < 0 ? strerror((int)-r) : "ok";
}

/* root + rel, for the fs_client calls. */
static const char *
at(struct main *mn, const char *rel, char *buf)
{
	snprintf(buf, FS_MAX_PATH_LEN, "%s%s", strcmp(mn->root, "/") ?
	    mn->root : "", rel);
	return buf;
}

/* --- the write test --- */

static long
put(struct main *mn, const char *rel, const void *data, size_t len)
{
	char p[FS_MAX_PATH_LEN];
	struct fs_file f;
	long n;
	int r;

	r = fs_client_open(&mn->fc, at(mn, rel, p), O_CREAT | O_EXCL |
	    O_WRONLY, 0644, &f);
	if (r < 0)
		return r;
	n = len ? fs_client_write(&f, data, len) : 0;
	r = fs_client_close(&f);
	return n < 0 ? n : r < 0 ? r : n;
}

static long
get(struct main *mn, const char *rel, void *buf, size_t cap)
{
	char p[FS_MAX_PATH_LEN];
	struct fs_file f;
	long n;
	int r;

	if ((r = fs_client_open(&mn->fc, at(mn, rel, p), O_RDONLY, 0, &f)) < 0)
		return r;
	n = fs_client_read(&f, buf, cap);
	(void)fs_client_close(&f);
	return n;
}

struct names {
	char buf[1024];
};

static int
name_fn(void *ctx, const struct fs_dirent *e)
{
	struct names *n = ctx;

	snprintf(n->buf + strlen(n->buf), sizeof(n->buf) - strlen(n->buf),
	    "%s%s%s", n->buf[0] ? ", " : "", e->name,
	    e->type == FS_TYPE_DIRECTORY ? "/" : "");
	return 0;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The entries of directory rel, sorted, as "a, b/, c". */
static int
names_of(struct main *mn, const char *rel, char *out, size_t cap)
{
	char p[FS_MAX_PATH_LEN], *v[64], *s, *save = NULL;
	struct names n = { "" };
	unsigned k = 0, i;
	int r = fs_client_readdir(&mn->fc, at(mn, rel, p), name_fn, &n);

	if (r < 0)
		return r;
	for (s = strtok_r(n.buf, ",", &save); s && k < 64;
	    s = strtok_r(NULL, ",", &save))
		v[k++] = s + (*s == ' ');
	qsort(v, k, sizeof(v[0]), cmp_str);
	out[0] = '\0';
	for (i = 0; i < k; i++)
		snprintf(out + strlen(out), cap - strlen(out), "%s%s",
		    i ? ", " : "", v[i]);
	return 0;
}

static void
test_write(struct main *mn)
{
	static uint8_t big[BIG], back[BIG];
	char p[FS_MAX_PATH_LEN], q[FS_MAX_PATH_LEN], buf[1024];
	struct fs_status st;
	long n;
	int r;
	size_t i;

	for (i = 0; i < BIG; i++)
		big[i] = (uint8_t)(i * 13 + (i >> 10));
	n = get(mn, "/from_host/Hello World.txt", buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	if (n > 0 && buf[n - 1] == '\n')
		buf[n - 1] = '\0';
	check(mn, n > 0, "read /from_host/Hello World.txt: %s",
	    n > 0 ? buf : err_str(n));
	r = fs_client_mkdir(&mn->fc, at(mn, "/docs", p), 0755);
	check(mn, r == 0, "mkdir /docs: %s", err_str(r));
	r = fs_client_mkdir(&mn->fc, at(mn, "/docs/Long Directory Name", p),
	    0755);
	check(mn, r == 0, "mkdir /docs/Long Directory Name: %s", err_str(r));
	n = put(mn, "/docs/Read Me First.txt", "hello from cairn\n", 17);
	check(mn, n == 17, "write /docs/Read Me First.txt: %s", err_str(n));
	n = put(mn, "/docs/readme.txt", "short and lower\n", 16);
	check(mn, n == 16, "write /docs/readme.txt: %s", err_str(n));
	n = put(mn, "/UPPER.TXT", "upper\n", 6);
	check(mn, n == 6, "write /UPPER.TXT: %s", err_str(n));
	n = put(mn, "/big.bin", big, BIG);
	check(mn, n == BIG, "write /big.bin: %ld bytes", n);
	memset(back, 0, sizeof(back));
	n = get(mn, "/big.bin", back, sizeof(back));
	check(mn, n == BIG && memcmp(back, big, BIG) == 0,
	    "read /big.bin: %ld bytes verified", n);
	n = put(mn, "/docs/READ ME FIRST.TXT", "x", 1);
	check(mn, n == -EEXIST, "create /docs/READ ME FIRST.TXT: %s",
	    err_str(n));
	r = fs_client_symlink(&mn->fc, "big.bin", at(mn, "/link", p));
	check(mn, r == -EOPNOTSUPP, "symlink /link: %s", err_str(r));
	r = fs_client_rename(&mn->fc, at(mn, "/docs/readme.txt", p),
	    at(mn, "/docs/Long Directory Name/Renamed Notes.txt", q));
	check(mn, r == 0, "rename to /docs/Long Directory Name/Renamed "
	    "Notes.txt: %s", err_str(r));
	r = fs_client_rename(&mn->fc, at(mn, "/UPPER.TXT", p),
	    at(mn, "/upper.txt", q));
	check(mn, r == 0, "rename /UPPER.TXT to /upper.txt: %s", err_str(r));
	n = put(mn, "/A temporary file with a long name.tmp", big, 5000);
	check(mn, n == 5000, "write /A temporary file with a long name.tmp: "
	    "%s", err_str(n < 0 ? n : 0));
	r = fs_client_unlink(&mn->fc, at(mn,
	    "/A temporary file with a long name.tmp", p));
	check(mn, r == 0, "unlink /A temporary file with a long name.tmp: %s",
	    err_str(r));
	r = fs_client_mkdir(&mn->fc, at(mn, "/gone", p), 0755);
	if (r == 0)
		r = fs_client_unlink(&mn->fc, at(mn, "/gone", p));
	check(mn, r == 0, "mkdir and rmdir /gone: %s", err_str(r));
	r = fs_client_unlink(&mn->fc, at(mn, "/docs", p));
	check(mn, r == -ENOTEMPTY, "unlink /docs: %s", err_str(r));
	r = fs_client_truncate(&mn->fc, at(mn, "/big.bin", p), 100000);
	r = r < 0 ? r : fs_client_stat(&mn->fc, at(mn, "/big.bin", p), &st);
	check(mn, r == 0 && st.size == 100000, "truncate /big.bin: size %llu",
	    r == 0 ? (unsigned long long)st.size : 0ull);
	n = get(mn, "/docs/Long Directory Name/renamed notes.TXT", buf,
	    sizeof(buf) - 1);
	check(mn, n == 16 && memcmp(buf, "short and lower\n", 16) == 0,
	    "read without case: %ld bytes", n);
	r = names_of(mn, "/", buf, sizeof(buf));
	check(mn, r == 0, "readdir /: %s", r == 0 ? buf : err_str(r));
	r = names_of(mn, "/docs", buf, sizeof(buf));
	check(mn, r == 0, "readdir /docs: %s", r == 0 ? buf : err_str(r));
	r = fs_conn_sync(&mn->c);
	check(mn, r == 0, "sync: %s", err_str(r));
}

/* --- the list test --- */

static void
crc_init(struct main *mn)
{
	uint32_t i, c;
	int k;

	for (i = 0; i < 256; i++) {
		c = i << 24;
		for (k = 0; k < 8; k++)
			c = c & 0x80000000u ? (c << 1) ^ 0x04c11db7u : c << 1;
		mn->crc_table[i] = c;
	}
}

static uint32_t
crc_add(const struct main *mn, uint32_t crc, const uint8_t *p, size_t n)
{
	while (n--)
		crc = (crc << 8) ^ mn->crc_table[(crc >> 24) ^ *p++];
	return crc;
}

/* POSIX cksum of a file's content. */
static int
cksum(struct main *mn, const char *path, uint32_t *out, uint64_t *size)
{
	static uint8_t buf[64 * 1024];
	struct fs_file f;
	uint64_t len = 0, n;
	uint32_t crc = 0;
	uint8_t b;
	long k;
	int r;

	if ((r = fs_client_open(&mn->fc, path, O_RDONLY, 0, &f)) < 0)
		return r;
	while ((k = fs_client_read(&f, buf, sizeof(buf))) > 0) {
		crc = crc_add(mn, crc, buf, (size_t)k);
		len += (uint64_t)k;
	}
	(void)fs_client_close(&f);
	if (k < 0)
		return (int)k;
	for (n = len; n; n >>= 8) {
		b = (uint8_t)n;
		crc = crc_add(mn, crc, &b, 1);
	}
	*out = ~crc;
	*size = len;
	return 0;
}

/* Kept as "PATH\tLINE": sorting them sorts by path, as sort(1) in the C
 * locale sorts the host's paths (a tab sorts before every character of a
 * name and before '/'). */
static void
add_line(struct main *mn, const char *path, const char *line)
{
	char *s;

	if (mn->nlines >= MAX_LINES) {
		check(mn, false, "more than %u nodes", MAX_LINES);
		return;
	}
	if (asprintf(&s, "%s\t%s", path, line) < 0) {
		check(mn, false, "out of memory");
		return;
	}
	mn->lines[mn->nlines++] = s;
}

static const char *
line_of(const char *s)
{
	return strchr(s, '\t') + 1;
}

struct dlist {
	char (*names)[FS_MAX_NAME_LEN];
	unsigned n, cap;
};

static int
dlist_fn(void *ctx, const struct fs_dirent *e)
{
	struct dlist *d = ctx;

	if (d->n == d->cap) {
		unsigned cap = d->cap ? d->cap * 2 : 32;
		void *p = realloc(d->names, cap * sizeof(*d->names));

		if (p == NULL)
			return -ENOMEM;
		d->names = p;
		d->cap = cap;
	}
	snprintf(d->names[d->n++], FS_MAX_NAME_LEN, "%s", e->name);
	return 0;
}

static void
list_dir(struct main *mn, const char *rel, unsigned depth)
{
	char p[FS_MAX_PATH_LEN], sub[FS_MAX_PATH_LEN], line[LINE_MAX_LEN];
	char target[FS_MAX_PATH_LEN];
	struct dlist d = { NULL, 0, 0 };
	struct fs_status st;
	unsigned i;
	uint32_t crc = 0;
	uint64_t size = 0;
	long n;
	int r;

	if (depth > 64) {
		check(mn, false, "%s: deeper than 64 levels", rel);
		return;
	}
	r = fs_client_readdir(&mn->fc, at(mn, rel[0] ? rel : "/", p),
	    dlist_fn, &d);
	if (r < 0)
		check(mn, false, "readdir %s: %s", rel[0] ? rel : "/",
		    err_str(r));
	for (i = 0; i < d.n; i++) {
		snprintf(sub, sizeof(sub), "%s/%s", rel, d.names[i]);
		r = fs_client_stat(&mn->fc, at(mn, sub, p), &st);
		if (r < 0) {
			check(mn, false, "stat %s: %s", sub, err_str(r));
			continue;
		}
		switch (st.mode & FS_MODE_TYPE) {
		case FS_MODE_DIRECTORY:
			snprintf(line, sizeof(line), "d %s %o", sub,
			    st.mode & FS_MODE_PERM);
			add_line(mn, sub, line);
			list_dir(mn, sub, depth + 1);
			break;
		case FS_MODE_SYMLINK:
			n = fs_client_readlink(&mn->fc, p, target,
			    sizeof(target) - 1);
			if (n < 0) {
				check(mn, false, "readlink %s: %s", sub,
				    err_str(n));
				continue;
			}
			target[n] = '\0';
			snprintf(line, sizeof(line), "l %s %o -> %s", sub,
			    st.mode & FS_MODE_PERM, target);
			add_line(mn, sub, line);
			break;
		default:
			r = cksum(mn, p, &crc, &size);
			if (r < 0) {
				check(mn, false, "read %s: %s", sub,
				    err_str(r));
				continue;
			}
			snprintf(line, sizeof(line), "f %s %o %u %llu", sub,
			    st.mode & FS_MODE_PERM, crc,
			    (unsigned long long)size);
			add_line(mn, sub, line);
			if (size != st.size)
				check(mn, false, "%s: read %llu bytes of %llu",
				    sub, (unsigned long long)size,
				    (unsigned long long)st.size);
			break;
		}
	}
	free(d.names);
}

static void
test_list(struct main *mn)
{
	char p[FS_MAX_PATH_LEN];
	struct fs_file f;
	unsigned i;
	long n = 0;
	int r;

	crc_init(mn);
	list_dir(mn, "", 0);
	qsort(mn->lines, mn->nlines, sizeof(mn->lines[0]), cmp_str);
	for (i = 0; i < mn->nlines; i++)
		cairn_log(mn->env, "%s", line_of(mn->lines[i]));
	check(mn, mn->nlines > 0, "listing of %s: %u nodes", mn->root,
	    mn->nlines);
	if (mn->out[0] == '\0')
		return;
	snprintf(p, sizeof(p), "%s", mn->out);
	r = fs_client_open(&mn->fc, p, O_CREAT | O_TRUNC | O_WRONLY, 0644, &f);
	for (i = 0; r == 0 && n >= 0 && i < mn->nlines; i++) {
		n = fs_client_write(&f, line_of(mn->lines[i]),
		    strlen(line_of(mn->lines[i])));
		if (n >= 0)
			n = fs_client_write(&f, "\n", 1);
	}
	if (r == 0)
		r = fs_client_close(&f);
	if (r == 0 && n >= 0)
		r = fs_conn_sync(&mn->c);
	check(mn, r == 0 && n >= 0, "listing written to %s: %s", mn->out,
	    err_str(r < 0 ? r : n < 0 ? n : 0));
}

void
construct(struct cairn_env *env)
{
	static struct main mn;
	struct cairn_rom cfg;
	struct xml_node node;
	char test[16] = "write";
	int r;

	mn.env = env;
	snprintf(mn.root, sizeof(mn.root), "/");
	if (cairn_rom_open(env, "config", &cfg) == 0) {
		if (cairn_rom_xml(env, &cfg, &node) == 0) {
			xml_attr_str(&node, "test", test, sizeof(test), "write");
			xml_attr_str(&node, "root", mn.root, sizeof(mn.root),
			    "/");
			xml_attr_str(&node, "out", mn.out, sizeof(mn.out), "");
		}
		cairn_rom_close(env, &cfg);
	}
	r = fs_conn_open(env, &mn.c, "", 0, 0);
	if (r < 0) {
		cairn_error(env, "no File_system session: %s (%s)",
		    strerror(-r), mn.c.detail);
		cairn_exit(env, 1);
	}
	fs_client_init(&mn.fc);
	(void)fs_client_mount(&mn.fc, "/", &mn.c);
	if (strcmp(test, "write") == 0)
		test_write(&mn);
	else if (strcmp(test, "list") == 0)
		test_list(&mn);
	else
		check(&mn, false, "unknown test '%s'", test);
	fs_conn_close(&mn.c);
	if (mn.failed)
		cairn_error(env, "%u checks failed", mn.failed);
	cairn_log(env, "test-fs-image %s done", test);
	cairn_exit(env, mn.failed ? 1 : 0);
}
