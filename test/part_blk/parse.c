/*
 * Unit tests of part_blk's MBR and GPT parsers, on disk images in a
 * temporary directory: hand-built ones, and ones made by sfdisk and sgdisk
 * whose own view (`sfdisk --json`, `sgdisk -p`) is the oracle.
 * SPDX-License-Identifier: MIT
 *
 * The parsers run over a read callback that fails the case when they ask
 * for a block outside the disk. Corrupt variants are made by patching the
 * images (and re-signing GPT CRCs where the corruption is to be semantic).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gpt.h"
#include "mbr.h"
#include "part_table.h"
#include "../test.h"

T_STATE_DEFINE;

static char dir[256];
static bool have_sfdisk, have_sgdisk;
static struct part_table tab, tab2;

/* --- the disk behind the parser's read callback --- */

struct disk {
	int fd;
	uint64_t blocks;
	uint32_t bs;
	unsigned reads;
	unsigned fail_at;	/* this read (1-based) fails with -EIO */
	bool outside;		/* the parser asked for blocks beyond the disk */
};

static struct disk dk;

static int
disk_read(void *ctx, uint64_t lba, uint64_t count, void *buf)
{
	struct disk *d = ctx;
	size_t n = (size_t)count * d->bs;

	if (lba >= d->blocks || count > d->blocks - lba || count == 0 ||
	    n > PART_CHUNK) {
		d->outside = true;
		return -EINVAL;
	}
	if (++d->reads == d->fail_at)
		return -EIO;
	if (pread(d->fd, buf, n, (off_t)(lba * d->bs)) != (ssize_t)n)
		return -EIO;
	return 0;
}

static const char *
path(const char *name)
{
	static char p[2][512];
	static int i;

	i ^= 1;
	snprintf(p[i], sizeof(p[i]), "%s/%s", dir, name);
	return p[i];
}

/* Parse image `name` with block size bs; blocks = 0: the file's size. */
static int
parse_bs(const char *name, uint32_t bs, uint64_t blocks, unsigned fail_at,
    struct part_table *t)
{
	struct part_io io;
	struct stat st;
	int r;

	memset(&dk, 0, sizeof(dk));
	dk.fd = open(path(name), O_RDONLY);
	if (dk.fd < 0 || fstat(dk.fd, &st) < 0)
		return -999;
	dk.bs = bs;
	dk.blocks = blocks ? blocks : (uint64_t)st.st_size / bs;
	dk.fail_at = fail_at;
	io.read = disk_read;
	io.ctx = &dk;
	io.block_count = dk.blocks;
	io.block_size = bs;
	r = part_table_parse(&io, t);
	close(dk.fd);
	return r;
}

static int
parse(const char *name, struct part_table *t)
{
	return parse_bs(name, 512, 0, 0, t);
}

/* --- building and patching images --- */

static void
mkimg(const char *name, uint64_t bytes)
{
	int fd = open(path(name), O_RDWR | O_CREAT | O_TRUNC, 0644);

	if (fd < 0 || ftruncate(fd, (off_t)bytes) < 0) {
		perror(path(name));
		exit(2);
	}
	close(fd);
}

static void
put(const char *name, uint64_t off, const void *p, size_t n)
{
	int fd = open(path(name), O_RDWR);

	if (fd < 0 || pwrite(fd, p, n, (off_t)off) != (ssize_t)n) {
		perror(path(name));
		exit(2);
	}
	close(fd);
}

static void
get(const char *name, uint64_t off, void *p, size_t n)
{
	int fd = open(path(name), O_RDONLY);

	if (fd < 0 || pread(fd, p, n, (off_t)off) != (ssize_t)n) {
		perror(path(name));
		exit(2);
	}
	close(fd);
}

static void
le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> 8 * i);
}

static void
le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> 8 * i);
}

/* Record `slot` of the MBR/EBR in block `lba` (512-byte blocks), + magic. */
static void
rec(const char *name, uint64_t lba, unsigned slot, uint8_t type,
    uint32_t start, uint32_t count)
{
	uint8_t r[16] = { 0 }, magic[2] = { 0x55, 0xaa };

	r[4] = type;
	le32(r + 8, start);
	le32(r + 12, count);
	put(name, lba * 512 + MBR_RECORDS_OFF + slot * 16, r, 16);
	put(name, lba * 512 + MBR_MAGIC_OFF, magic, 2);
}

static void
flip(const char *name, uint64_t off)
{
	uint8_t b;

	get(name, off, &b, 1);
	b ^= 0x5a;
	put(name, off, &b, 1);
}

/* Recompute the entry-array CRC and then the header CRC at lba. */
static void
resign(const char *name, uint64_t lba, uint32_t bs)
{
	static uint8_t arr[PART_GPT_ARRAY_MAX];
	uint8_t h[PART_BLOCK_MAX];
	uint64_t alba;
	uint32_t n, esz, hsz;
	int fd;

	get(name, lba * bs, h, bs);
	alba = part_le64(h + 72);
	n = part_le32(h + 80);
	esz = part_le32(h + 84);
	hsz = part_le32(h + 12);
	/* An array outside the file keeps its old CRC. */
	if ((uint64_t)n * esz <= sizeof(arr) && (fd = open(path(name),
	    O_RDONLY)) >= 0) {
		if (pread(fd, arr, (size_t)n * esz, (off_t)(alba * bs)) ==
		    (ssize_t)((size_t)n * esz))
			le32(h + 88, gpt_crc32(0, arr, (size_t)n * esz));
		close(fd);
	}
	memset(h + 16, 0, 4);
	le32(h + 16, gpt_crc32(0, h, hsz));
	put(name, lba * bs, h, bs);
}

struct gent {
	uint32_t slot;
	uint8_t type0;		/* first byte of the type GUID (0: unused) */
	uint64_t first, last;
	const uint16_t *name;	/* UTF-16 units, NUL-terminated */
};

/*
 * A GPT by hand: protective MBR, headers at 1 and blocks-1, arrays right
 * after the primary and right before the backup.
 */
static void
build_gpt(const char *name, uint64_t blocks, uint32_t bs, uint32_t nent,
    uint32_t esz, const struct gent *e, unsigned ne)
{
	static uint8_t arr[PART_GPT_ARRAY_MAX];
	uint64_t ablocks = ((uint64_t)nent * esz + bs - 1) / bs;
	uint64_t lbas[2] = { 1, blocks - 1 };
	uint64_t alba[2] = { 2, blocks - 1 - ablocks };
	uint8_t h[PART_BLOCK_MAX], pm[16] = { 0 }, magic[2] = { 0x55, 0xaa };

	mkimg(name, blocks * bs);
	pm[4] = MBR_TYPE_GPT;
	le32(pm + 8, 1);
	le32(pm + 12, blocks - 1 > 0xffffffff ? 0xffffffff :
	    (uint32_t)(blocks - 1));
	put(name, MBR_RECORDS_OFF, pm, 16);
	put(name, MBR_MAGIC_OFF, magic, 2);
	memset(arr, 0, (size_t)nent * esz);
	for (unsigned i = 0; i < ne; i++) {
		uint8_t *p = arr + (size_t)e[i].slot * esz;

		p[0] = e[i].type0;
		p[1] = 0x11;
		for (int k = 16; k < 32; k++)
			p[k] = (uint8_t)(i * 16 + k);
		le64(p + 32, e[i].first);
		le64(p + 40, e[i].last);
		for (int k = 0; e[i].name != NULL && e[i].name[k] != 0 &&
		    k < GPT_NAME_UNITS; k++) {
			p[56 + 2 * k] = (uint8_t)e[i].name[k];
			p[57 + 2 * k] = (uint8_t)(e[i].name[k] >> 8);
		}
	}
	for (int c = 0; c < 2; c++) {
		memset(h, 0, sizeof(h));
		memcpy(h, GPT_SIGNATURE, 8);
		le32(h + 8, 0x10000);
		le32(h + 12, 92);
		le64(h + 24, lbas[c]);
		le64(h + 32, lbas[!c]);
		le64(h + 40, 2 + ablocks);
		le64(h + 48, blocks - 2 - ablocks);
		for (int k = 56; k < 72; k++)
			h[k] = (uint8_t)k;
		le64(h + 72, alba[c]);
		le32(h + 80, nent);
		le32(h + 84, esz);
		le32(h + 88, gpt_crc32(0, arr, (size_t)nent * esz));
		le32(h + 16, gpt_crc32(0, h, 92));
		put(name, lbas[c] * bs, h, bs);
		if (nent > 0)
			put(name, alba[c] * bs, arr, (size_t)nent * esz);
	}
}

/* --- running the tools --- */

static bool
on_path(const char *prog)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", prog);
	return system(cmd) == 0;
}

static int
sh(const char *fmt, ...)
{
	static char cmd[65536];
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (r < 0 || (size_t)r >= sizeof(cmd))
		return -1;
	r = system(cmd);
	if (r != 0)
		fprintf(stderr, "command failed (%d): %.300s\n", r, cmd);
	return r;
}

/* One partition as sfdisk --json or sgdisk -p sees it. */
struct opart {
	unsigned number;
	uint64_t start, size;
	char type[40], uuid[40], name[160];
};

struct oracle {
	unsigned n;
	struct opart p[300];
};

static struct oracle ora, ora2;

/* The string value of "key": in s[0..end) into dst; false if absent. */
static bool
json_str(const char *s, const char *end, const char *key, char *dst,
    size_t cap)
{
	char k[32];
	const char *p;
	size_t n = 0;

	snprintf(k, sizeof(k), "\"%s\": \"", key);
	if ((p = strstr(s, k)) == NULL || p >= end)
		return false;
	for (p += strlen(k); p < end && *p != '"' && n + 1 < cap; p++) {
		if (*p == '\\' && p + 1 < end)
			p++;
		dst[n++] = *p;
	}
	dst[n] = '\0';
	return true;
}

static uint64_t
json_u64(const char *s, const char *end, const char *key)
{
	char k[32];
	const char *p;

	snprintf(k, sizeof(k), "\"%s\": ", key);
	if ((p = strstr(s, k)) == NULL || p >= end)
		return UINT64_MAX;
	return strtoull(p + strlen(k), NULL, 10);
}

static char *
slurp(const char *file)
{
	static char buf[1 << 20];
	int fd = open(file, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return NULL;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return NULL;
	buf[n] = '\0';
	return buf;
}

/* `sfdisk --json IMAGE`: every partition, extended ones included. */
static int
sfdisk_json(const char *name, struct oracle *o)
{
	char *s, *p, *end, node[300];
	const char *digits;

	memset(o, 0, sizeof(*o));
	if (sh("sfdisk --json %s > %s 2>&1", path(name), path("out.json")) != 0 ||
	    (s = slurp(path("out.json"))) == NULL)
		return -1;
	for (p = strstr(s, "\"node\": "); p != NULL && o->n < 300;
	    p = strstr(end, "\"node\": ")) {
		struct opart *q = &o->p[o->n++];

		if ((end = strchr(p, '}')) == NULL)
			return -1;
		json_str(p, end, "node", node, sizeof(node));
		for (digits = node + strlen(node); digits > node &&
		    digits[-1] >= '0' && digits[-1] <= '9'; digits--)
			;
		q->number = (unsigned)atoi(digits);
		q->start = json_u64(p, end, "start");
		q->size = json_u64(p, end, "size");
		json_str(p, end, "type", q->type, sizeof(q->type));
		json_str(p, end, "uuid", q->uuid, sizeof(q->uuid));
		json_str(p, end, "name", q->name, sizeof(q->name));
	}
	return 0;
}

/* `sgdisk -p IMAGE`: number, start, end, code and (ASCII) name. */
static int
sgdisk_p(const char *name, struct oracle *o)
{
	char *s, *line, *save = NULL;
	unsigned long long num, start, end;
	char size[16], unit[8], code[8];
	int off;

	memset(o, 0, sizeof(*o));
	if (sh("sgdisk -p %s > %s 2>&1", path(name), path("out.txt")) != 0 ||
	    (s = slurp(path("out.txt"))) == NULL)
		return -1;
	for (line = strtok_r(s, "\n", &save); line != NULL && o->n < 300;
	    line = strtok_r(NULL, "\n", &save)) {
		struct opart *q = &o->p[o->n];

		if (sscanf(line, " %llu %llu %llu %15s %7s %7s %n", &num,
		    &start, &end, size, unit, code, &off) < 6)
			continue;
		q->number = (unsigned)num;
		q->start = start;
		q->size = end - start + 1;
		snprintf(q->type, sizeof(q->type), "%s", code);
		snprintf(q->name, sizeof(q->name), "%s", line + off);
		o->n++;
	}
	return 0;
}

static bool
contains(const char *s, const char *part)
{
	return strstr(s, part) != NULL;
}

/* --- pure helpers --- */

static void
t_crc32(void)
{
	T_CHECK(gpt_crc32(0, "123456789", 9) == 0xcbf43926);
	T_CHECK(gpt_crc32(0, "", 0) == 0);
	/* Incremental use gives the same result. */
	T_CHECK(gpt_crc32(gpt_crc32(0, "1234", 4), "56789", 5) == 0xcbf43926);
}

static void
t_guid(void)
{
	static const uint8_t g[16] = {
		0xaf, 0x3d, 0xc6, 0x0f, 0x83, 0x84, 0x72, 0x47,
		0x8e, 0x79, 0x3d, 0x69, 0xd8, 0x47, 0x7d, 0xe4,
	};
	char s[PART_GUID_LEN];

	gpt_guid_str(g, s);
	T_CHECKF(strcmp(s, "0fc63daf-8483-4772-8e79-3d69d8477de4") == 0,
	    "%s", s);
}

static void
t_names(void)
{
	uint8_t u[2 * GPT_NAME_UNITS];
	char s[PART_NAME_LEN];
	static const uint16_t w[] = { 'r', 0xe9, 0x20ac, 0xd83d, 0xde00, 0xdc00,
	    0x01, 'x', 0 };

	memset(u, 0, sizeof(u));
	for (int i = 0; w[i] != 0; i++) {
		u[2 * i] = (uint8_t)w[i];
		u[2 * i + 1] = (uint8_t)(w[i] >> 8);
	}
	T_CHECK(gpt_name_utf8(u, GPT_NAME_UNITS, s) == strlen(s));
	T_CHECKF(strcmp(s, "r\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"
	    "\xef\xbf\xbd?x") == 0, "%s", s);
	/* 36 units without a NUL, a high surrogate last: all converted. */
	for (int i = 0; i < GPT_NAME_UNITS; i++) {
		u[2 * i] = 0xac;
		u[2 * i + 1] = 0x20;
	}
	u[70] = 0x3d;
	u[71] = 0xd8;
	T_CHECK(gpt_name_utf8(u, GPT_NAME_UNITS, s) == 36 * 3);
	T_CHECK(strcmp(s + 35 * 3, "\xef\xbf\xbd") == 0);
}

/* --- hand-built MBRs --- */

static void
t_no_magic(void)
{
	mkimg("a.img", 2048 * 512);
	T_CHECK(parse("a.img", &tab) == 0 && !dk.outside);
	T_CHECK(tab.scheme == PART_SCHEME_NONE && tab.count == 1);
	/* The whole disk: 14.02 exported one block less. */
	T_CHECK(tab.parts[0].number == 0 && tab.parts[0].start == 0 &&
	    tab.parts[0].count == 2048);
	T_CHECK(part_table_find(&tab, 0) == &tab.parts[0]);
	T_CHECK(part_table_find(&tab, 1) == NULL);
}

static void
t_primaries(void)
{
	uint8_t sig[4] = { 0x78, 0x56, 0x34, 0x12 };
	const struct part *p;

	mkimg("a.img", 2048 * 512);
	put("a.img", MBR_SIGNATURE_OFF, sig, 4);
	rec("a.img", 0, 0, 0x83, 64, 100);
	rec("a.img", 0, 2, 0x0c, 200, 50);
	rec("a.img", 0, 3, 0x07, 1000, 0);	/* no sectors: unused */
	T_CHECK(parse("a.img", &tab) == 0 && !dk.outside);
	T_CHECK(tab.scheme == PART_SCHEME_MBR && tab.count == 2);
	T_CHECK(tab.mbr_signature == 0x12345678);
	T_CHECK((p = part_table_find(&tab, 1)) != NULL && p->start == 64 &&
	    p->count == 100 && p->mbr_type == 0x83 && !p->logical);
	T_CHECK((p = part_table_find(&tab, 3)) != NULL && p->start == 200 &&
	    p->count == 50 && p->mbr_type == 0x0c);
	T_CHECK(part_table_find(&tab, 2) == NULL);
	T_CHECK(part_table_find(&tab, 4) == NULL);
	T_CHECK(tab.error[0] == '\0' && tab.warning[0] == '\0');
}

static void
t_logicals(void)
{
	const struct part *p;

	/* Extended 100..1099 in slot 2; EBRs at 100, 200, 400. */
	mkimg("a.img", 2048 * 512);
	rec("a.img", 0, 0, 0x83, 1, 99);
	rec("a.img", 0, 1, MBR_TYPE_EXTENDED_LBA, 100, 1000);
	rec("a.img", 100, 0, 0x83, 1, 99);
	rec("a.img", 100, 1, MBR_TYPE_EXTENDED, 100, 200);
	rec("a.img", 200, 0, 0x82, 10, 50);
	rec("a.img", 200, 1, MBR_TYPE_EXTENDED, 300, 200);
	rec("a.img", 400, 0, 0x07, 5, 100);
	T_CHECKF(parse("a.img", &tab) == 0, "%s", tab.error);
	T_CHECK(!dk.outside && tab.count == 4);
	T_CHECK(part_table_find(&tab, 2) == NULL);	/* the container */
	T_CHECK((p = part_table_find(&tab, 5)) != NULL && p->start == 101 &&
	    p->count == 99 && p->logical);
	T_CHECK((p = part_table_find(&tab, 6)) != NULL && p->start == 210 &&
	    p->count == 50 && p->mbr_type == 0x82);
	/* Relative to the extended partition, not to the EBR before. */
	T_CHECK((p = part_table_find(&tab, 7)) != NULL && p->start == 405 &&
	    p->count == 100 && p->mbr_type == 0x07);
}

static void
t_empty_extended(void)
{
	mkimg("a.img", 2048 * 512);
	rec("a.img", 0, 0, MBR_TYPE_EXTENDED_LINUX, 100, 1000);
	rec("a.img", 0, 1, 0x83, 1100, 100);
	T_CHECK(parse("a.img", &tab) == 0 && tab.count == 1);
	T_CHECK(tab.parts[0].number == 2);
}

static void
t_skipped_ebr(void)
{
	const struct part *p;

	/* An EBR without a partition still links on; numbers stay dense. */
	mkimg("a.img", 2048 * 512);
	rec("a.img", 0, 0, MBR_TYPE_EXTENDED, 100, 1000);
	rec("a.img", 100, 1, MBR_TYPE_EXTENDED, 100, 100);
	rec("a.img", 200, 0, 0x83, 1, 10);
	T_CHECK(parse("a.img", &tab) == 0 && tab.count == 1);
	T_CHECK((p = part_table_find(&tab, 5)) != NULL && p->start == 201);
}

static void
t_ebr_loop(void)
{
	mkimg("a.img", 2048 * 512);
	rec("a.img", 0, 0, MBR_TYPE_EXTENDED, 100, 1000);
	rec("a.img", 100, 0, 0x83, 1, 50);
	rec("a.img", 100, 1, MBR_TYPE_EXTENDED, 200, 100);
	rec("a.img", 300, 0, 0x83, 1, 50);
	rec("a.img", 300, 1, MBR_TYPE_EXTENDED, 0, 100);	/* back to 100 */
	T_CHECK(parse("a.img", &tab) == -EINVAL && tab.count == 0);
	T_CHECKF(strcmp(tab.error, "MBR: the EBR chain of extended partition "
	    "1 loops: the EBR at LBA 300 links back to LBA 100") == 0, "%s",
	    tab.error);
}

static void
t_ebr_self(void)
{
	mkimg("a.img", 2048 * 512);
	rec("a.img", 0, 3, MBR_TYPE_EXTENDED, 100, 1000);
	rec("a.img", 100, 1, MBR_TYPE_EXTENDED, 0, 1);
	T_CHECK(parse("a.img", &tab) == -EINVAL);
	T_CHECKF(contains(tab.error, "extended partition 4 loops: the EBR at "
	    "LBA 100 links back to LBA 100"), "%s", tab.error);
}

static void
t_ebr_outside(void)
{
	mkimg("a.img", 2048 * 512);
	rec("a.img", 0, 1, MBR_TYPE_EXTENDED, 100, 1000);
	rec("a.img", 100, 1, MBR_TYPE_EXTENDED, 1000, 10);
	T_CHECK(parse("a.img", &tab) == -EINVAL && !dk.outside);
	T_CHECKF(strcmp(tab.error, "MBR: the EBR at LBA 100 links to LBA 1100 "
	    "outside the extended partition 2 (LBA 100..1099)") == 0, "%s",
	    tab.error);
	/* A link far past the disk's end is refused before any read. */
	rec("a.img", 100, 1, MBR_TYPE_EXTENDED, 0xfffffff0u, 10);
	T_CHECK(parse("a.img", &tab) == -EINVAL && !dk.outside);
}

static void
t_ebr_long(void)
{
	/* 600 EBRs, none with a partition: bounded, not walked forever. */
	mkimg("a.img", 2048 * 512);
	rec("a.img", 0, 0, MBR_TYPE_EXTENDED, 1, 2000);
	for (uint32_t i = 0; i < 600; i++)
		rec("a.img", 1 + i, 1, MBR_TYPE_EXTENDED, i + 1, 1);
	T_CHECK(parse("a.img", &tab) == -EINVAL);
	T_CHECKF(strcmp(tab.error, "MBR: the EBR chain of extended partition "
	    "1 is longer than 512 EBRs") == 0, "%s", tab.error);
	T_CHECK(dk.reads == PART_EBR_MAX + 1);
}

static void
t_too_many(void)
{
	/* 300 logicals: numbers past 255 are refused. */
	mkimg("a.img", 2048 * 512);
	rec("a.img", 0, 0, MBR_TYPE_EXTENDED, 10, 2000);
	for (uint32_t i = 0; i < 300; i++) {
		rec("a.img", 10 + 2 * i, 0, 0x83, 1, 1);
		rec("a.img", 10 + 2 * i, 1, MBR_TYPE_EXTENDED, 2 * i + 2, 2);
	}
	T_CHECK(parse("a.img", &tab) == -E2BIG && tab.count == 0);
	T_CHECKF(strcmp(tab.error, "MBR partition 256: at most 255 partitions "
	    "are supported") == 0, "%s", tab.error);
	/* 251 logicals (5..255) are fine. */
	rec("a.img", 10 + 2 * 250, 1, 0, 0, 0);
	T_CHECKF(parse("a.img", &tab) == 0, "%s", tab.error);
	T_CHECK(tab.count == 251 && tab.parts[250].number == 255);
}

static void
t_primary_past_end(void)
{
	mkimg("a.img", 2048 * 512);
	rec("a.img", 0, 0, 0x83, 1, 100);
	rec("a.img", 0, 1, 0x83, 2000, 100);
	T_CHECK(parse("a.img", &tab) == -EINVAL);
	T_CHECKF(strcmp(tab.error, "MBR partition 2: ends at LBA 2099 beyond "
	    "the disk (2048 blocks)") == 0, "%s", tab.error);
}

static void
t_primary_overlap(void)
{
	mkimg("a.img", 2048 * 512);
	rec("a.img", 0, 0, 0x83, 100, 100);
	rec("a.img", 0, 2, 0x83, 150, 100);
	T_CHECK(parse("a.img", &tab) == -EINVAL);
	T_CHECKF(strcmp(tab.error, "MBR partition 1 (LBA 100..199) overlaps "
	    "3 (LBA 150..249)") == 0, "%s", tab.error);
	/* A primary inside the extended partition overlaps it too. */
	rec("a.img", 0, 2, MBR_TYPE_EXTENDED, 300, 500);
	rec("a.img", 0, 3, 0x83, 700, 10);
	T_CHECK(parse("a.img", &tab) == -EINVAL);
	T_CHECKF(contains(tab.error, "MBR partition 3 (LBA 300..799) overlaps "
	    "4 (LBA 700..709)"), "%s", tab.error);
}

static void
t_logical_outside(void)
{
	mkimg("a.img", 2048 * 512);
	rec("a.img", 0, 0, MBR_TYPE_EXTENDED, 100, 200);
	rec("a.img", 100, 0, 0x83, 1, 500);
	T_CHECK(parse("a.img", &tab) == -EINVAL);
	T_CHECKF(strcmp(tab.error, "MBR partition 5: LBA 101..600 outside the "
	    "extended partition 1 (LBA 100..299)") == 0, "%s", tab.error);
	rec("a.img", 100, 0, 0x83, 1, 5000);
	T_CHECK(parse("a.img", &tab) == -EINVAL);
	T_CHECKF(strcmp(tab.error, "MBR partition 5: ends at LBA 5100 beyond "
	    "the disk (2048 blocks)") == 0, "%s", tab.error);
}

static void
t_logical_covers_ebr(void)
{
	mkimg("a.img", 2048 * 512);
	rec("a.img", 0, 0, MBR_TYPE_EXTENDED, 100, 1000);
	rec("a.img", 100, 0, 0x83, 1, 150);
	rec("a.img", 100, 1, MBR_TYPE_EXTENDED, 100, 100);
	rec("a.img", 200, 0, 0x83, 60, 10);
	T_CHECK(parse("a.img", &tab) == -EINVAL);
	T_CHECKF(strcmp(tab.error, "MBR partition 5 (LBA 101..250) covers the "
	    "EBR at LBA 200") == 0, "%s", tab.error);
	/* Starting at its own EBR is the same mistake. */
	rec("a.img", 100, 0, 0x83, 0, 50);
	T_CHECK(parse("a.img", &tab) == -EINVAL);
	T_CHECKF(contains(tab.error, "covers the EBR at LBA 100"), "%s",
	    tab.error);
}

static void
t_lba0(void)
{
	mkimg("a.img", 2048 * 512);
	rec("a.img", 0, 1, 0x83, 0, 100);
	T_CHECK(parse("a.img", &tab) == -EINVAL);
	T_CHECKF(strcmp(tab.error, "MBR partition 2: starts at LBA 0, the MBR "
	    "itself") == 0, "%s", tab.error);
}

static void
t_read_errors(void)
{
	mkimg("a.img", 2048 * 512);
	rec("a.img", 0, 0, MBR_TYPE_EXTENDED, 100, 1000);
	rec("a.img", 100, 0, 0x83, 1, 50);
	T_CHECK(parse_bs("a.img", 512, 0, 1, &tab) == -EIO);
	T_CHECKF(strcmp(tab.error, "MBR: cannot read block 0 (Input/output "
	    "error)") == 0, "%s", tab.error);
	T_CHECK(parse_bs("a.img", 512, 0, 2, &tab) == -EIO && tab.count == 0);
	T_CHECKF(contains(tab.error, "cannot read the EBR at LBA 100"), "%s",
	    tab.error);
}

static void
t_geometry(void)
{
	mkimg("a.img", 2048 * 512);
	T_CHECK(parse_bs("a.img", 520, 0, 0, &tab) == -EINVAL);
	T_CHECKF(strcmp(tab.error, "block size 520 not supported (a power of "
	    "two from 512 to 16384)") == 0, "%s", tab.error);
	T_CHECK(parse_bs("a.img", 32768, 0, 0, &tab) == -EINVAL);
	T_CHECK(parse_bs("a.img", 256, 0, 0, &tab) == -EINVAL);
	T_CHECK(parse_bs("a.img", 512, 0, 0, &tab) == 0);
	/* A 1-block disk with a protective MBR: no room for a GPT. */
	mkimg("b.img", 512);
	rec("b.img", 0, 0, MBR_TYPE_GPT, 1, 1);
	T_CHECK(parse("b.img", &tab) == -EINVAL && !dk.outside);
	T_CHECKF(contains(tab.error, "GPT primary header at LBA 1: beyond the "
	    "disk (1 blocks)"), "%s", tab.error);
	mkimg("c.img", 0);
	T_CHECK(parse("c.img", &tab) == -EINVAL);
	T_CHECK(strcmp(tab.error, "the disk is empty") == 0);
}

/* --- hand-built GPTs --- */

static const uint16_t n_root[] = { 'r', 'o', 'o', 't', 0 };
static const uint16_t n_data[] = { 'd', 0xe9, 'j', 0xe0, 0xd83d, 0xde00, 0 };

static void
t_gpt_4k(void)
{
	const struct gent e[] = {
		{ 0, 0xaf, 10, 99, n_root },
		{ 1, 0x6d, 100, 199, n_data },
		{ 3, 0xa2, 500, 1000, NULL },
	};
	const struct part *p;

	/* 4 KiB blocks: 128 entries fill 4 blocks. */
	build_gpt("g.img", 1024, 4096, 128, 128, e, 3);
	T_CHECKF(parse_bs("g.img", 4096, 0, 0, &tab) == 0, "%s", tab.error);
	T_CHECK(!dk.outside && tab.scheme == PART_SCHEME_GPT);
	T_CHECKF(tab.warning[0] == '\0', "%s", tab.warning);
	T_CHECK(tab.count == 3 && tab.gpt_entries == 128);
	T_CHECK(tab.gpt_header_lba == 1 && !tab.gpt_backup);
	T_CHECK(tab.gpt_first_usable == 6 && tab.gpt_last_usable == 1018);
	T_CHECK(strcmp(tab.gpt_disk_guid,
	    "3b3a3938-3d3c-3f3e-4041-424344454647") == 0);
	T_CHECK((p = part_table_find(&tab, 1)) != NULL && p->start == 10 &&
	    p->count == 90 && strcmp(p->name, "root") == 0);
	T_CHECK(strcmp(p->type_guid, "000011af-0000-0000-0000-000000000000")
	    == 0);
	T_CHECK(strcmp(p->guid, "13121110-1514-1716-1819-1a1b1c1d1e1f") == 0);
	T_CHECK((p = part_table_find(&tab, 2)) != NULL && strcmp(p->name,
	    "d\xc3\xa9j\xc3\xa0\xf0\x9f\x98\x80") == 0);
	/* Entry slots number the partitions: slot 3 is partition 4. */
	T_CHECK(part_table_find(&tab, 3) == NULL);
	T_CHECK((p = part_table_find(&tab, 4)) != NULL && p->start == 500 &&
	    p->count == 501 && p->name[0] == '\0');
}

static void
t_gpt_sizes(void)
{
	const struct gent e[] = { { 63, 0x01, 100, 100, NULL } };

	/* 64 entries of 256 bytes. */
	build_gpt("g.img", 2048, 512, 64, 256, e, 1);
	T_CHECKF(parse("g.img", &tab) == 0, "%s", tab.error);
	T_CHECK(tab.count == 1 && tab.parts[0].number == 64 &&
	    tab.parts[0].count == 1);
	/* No entries at all is a valid, empty table. */
	build_gpt("g.img", 2048, 512, 0, 128, NULL, 0);
	T_CHECKF(parse("g.img", &tab) == 0, "%s", tab.error);
	T_CHECK(tab.count == 0 && tab.scheme == PART_SCHEME_GPT);
	/* 136-byte entries are not 128 times a power of two. */
	build_gpt("g.img", 2048, 512, 64, 136, e, 1);
	T_CHECK(parse("g.img", &tab) == -EINVAL);
	T_CHECKF(contains(tab.error, "GPT primary header at LBA 1: entry size "
	    "136 is not 128 times a power of two up to 16384; backup header "
	    "at LBA 2047: entry size 136"), "%s", tab.error);
}

static void
t_gpt_number_limit(void)
{
	const struct gent e[] = { { 300, 0x01, 200, 200, NULL } };

	build_gpt("g.img", 2048, 512, 512, 128, e, 1);
	T_CHECK(parse("g.img", &tab) == -E2BIG);
	T_CHECKF(strcmp(tab.error, "GPT partition 301: at most 255 partitions "
	    "are supported") == 0, "%s", tab.error);
}

static void
t_gpt_not_gpt(void)
{
	mkimg("g.img", 2048 * 512);
	rec("g.img", 0, 0, MBR_TYPE_GPT, 1, 2047);
	T_CHECK(parse("g.img", &tab) == -EINVAL && tab.count == 0);
	T_CHECKF(strcmp(tab.error, "GPT primary header at LBA 1: no 'EFI PART' "
	    "signature; backup header at LBA 2047: no 'EFI PART' signature")
	    == 0, "%s", tab.error);
	/* Read errors on both headers. */
	T_CHECK(parse_bs("g.img", 512, 0, 2, &tab) == -EINVAL);
	T_CHECK(parse_bs("g.img", 512, 0, 3, &tab) == -EINVAL);
	T_CHECKF(contains(tab.error, "backup header at LBA 2047: cannot read "
	    "it (Input/output error)"), "%s", tab.error);
}

static void
t_gpt_hostile_header(void)
{
	const struct gent e[] = { { 0, 0x01, 100, 200, NULL } };
	uint8_t v[8];

	/* An entry array placed over the usable range. */
	build_gpt("g.img", 2048, 512, 128, 128, e, 1);
	le64(v, 50);
	put("g.img", 512 + 72, v, 8);
	resign("g.img", 1, 512);
	T_CHECK(parse("g.img", &tab) == 0 && tab.gpt_backup && !dk.outside);
	T_CHECKF(contains(tab.warning, "entry array LBA 50..81 overlaps the "
	    "header or the usable range LBA 34..2014"), "%s", tab.warning);
	/* An entry array past the disk's end. */
	le64(v, 2040);
	put("g.img", 512 + 72, v, 8);
	resign("g.img", 1, 512);
	T_CHECK(parse("g.img", &tab) == 0 && tab.gpt_backup && !dk.outside);
	T_CHECKF(contains(tab.warning, "entry array at LBA 2040 (32 blocks) "
	    "outside the disk"), "%s", tab.warning);
	/* A header that claims another LBA. */
	build_gpt("g.img", 2048, 512, 128, 128, e, 1);
	le64(v, 7);
	put("g.img", 512 + 24, v, 8);
	resign("g.img", 1, 512);
	T_CHECK(parse("g.img", &tab) == 0 && tab.gpt_backup);
	T_CHECKF(contains(tab.warning, "claims to be at LBA 7"), "%s",
	    tab.warning);
	/* A usable range that covers the primary header. */
	build_gpt("g.img", 2048, 512, 128, 128, e, 1);
	le64(v, 1);
	put("g.img", 512 + 40, v, 8);
	resign("g.img", 1, 512);
	T_CHECK(parse("g.img", &tab) == 0 && tab.gpt_backup);
	T_CHECKF(contains(tab.warning, "covers a header"), "%s", tab.warning);
	/* A primary that names itself as its backup: used, with a warning. */
	build_gpt("g.img", 2048, 512, 128, 128, e, 1);
	le64(v, 1);
	put("g.img", 512 + 32, v, 8);
	resign("g.img", 1, 512);
	T_CHECK(parse("g.img", &tab) == 0 && !tab.gpt_backup);
	T_CHECKF(strcmp(tab.warning, "GPT primary header names itself as its "
	    "backup") == 0, "%s", tab.warning);
	/* A header size beyond the block. */
	build_gpt("g.img", 2048, 512, 128, 128, e, 1);
	le32(v, 513);
	put("g.img", 512 + 12, v, 4);
	T_CHECK(parse("g.img", &tab) == 0 && tab.gpt_backup);
	T_CHECKF(contains(tab.warning, "header size 513 out of range "
	    "(92..512)"), "%s", tab.warning);
}

/* --- images made by sfdisk and sgdisk --- */

#define NEED(cond, tool) do { \
	if (!(cond)) \
		T_SKIP("%s not installed (Debian package %s)", tool, \
		    strcmp(tool, "sgdisk") == 0 ? "gdisk" : "fdisk"); \
} while (0)

/* Compare our table with the oracle (partitions, extended excluded). */
static void
check_oracle(const struct part_table *t, const struct oracle *o, bool gpt)
{
	const struct opart *q;
	const struct part *p;
	unsigned expected = 0;
	char type[8];

	for (unsigned i = 0; i < o->n; i++) {
		q = &o->p[i];
		if (!gpt && (strcmp(q->type, "5") == 0 ||
		    strcmp(q->type, "f") == 0 || strcmp(q->type, "85") == 0))
			continue;
		expected++;
		p = part_table_find(t, q->number);
		T_CHECKF(p != NULL, "partition %u missing", q->number);
		T_CHECKF(p->start == q->start && p->count == q->size,
		    "partition %u: %llu+%llu, oracle %llu+%llu", q->number,
		    (unsigned long long)p->start, (unsigned long long)p->count,
		    (unsigned long long)q->start, (unsigned long long)q->size);
		if (gpt) {
			T_CHECKF(strcasecmp(p->type_guid, q->type) == 0 &&
			    strcasecmp(p->guid, q->uuid) == 0 &&
			    strcmp(p->name, q->name) == 0,
			    "partition %u: %s %s '%s', oracle %s %s '%s'",
			    q->number, p->type_guid, p->guid, p->name, q->type,
			    q->uuid, q->name);
		} else {
			snprintf(type, sizeof(type), "%x", p->mbr_type);
			T_CHECKF(strcmp(type, q->type) == 0, "partition %u: "
			    "type %s, oracle %s", q->number, type, q->type);
		}
	}
	T_CHECKF(t->count == expected, "%u partitions, oracle %u", t->count,
	    expected);
}

/* 3 primaries, an extended one with 24 logicals, made by sfdisk. */
static int
make_mbr(const char *name)
{
	FILE *f = fopen(path("mbr.sfdisk"), "w");
	static const char *const types[] = { "83", "82", "7", "c", "b", "fd" };

	if (f == NULL)
		return -1;
	fprintf(f, "label: dos\nlabel-id: 0x1234abcd\n");
	fprintf(f, "size=4096, type=83\nsize=2048, type=c\n");
	fprintf(f, "size=60MiB, type=5\n");
	for (int i = 0; i < 24; i++)
		fprintf(f, "size=%d, type=%s\n", 1000 + 24 * i, types[i % 6]);
	fclose(f);
	mkimg(name, 64 << 20);
	return sh("sfdisk -q %s < %s > /dev/null", path(name),
	    path("mbr.sfdisk"));
}

static void
t_sfdisk_mbr(void)
{
	NEED(have_sfdisk, "sfdisk");
	T_CHECK(make_mbr("mbr.img") == 0);
	T_CHECK(sfdisk_json("mbr.img", &ora) == 0 && ora.n == 27);
	T_CHECKF(parse("mbr.img", &tab) == 0, "%s", tab.error);
	T_CHECK(!dk.outside && tab.scheme == PART_SCHEME_MBR);
	T_CHECK(tab.mbr_signature == 0x1234abcd);
	T_CHECK(tab.count == 26 && tab.parts[25].number == 28);
	check_oracle(&tab, &ora, false);
}

static void
t_sfdisk_ebr_loop(void)
{
	uint8_t r[16];
	uint64_t ext = 0, ebr, next;
	unsigned n = 0;

	NEED(have_sfdisk, "sfdisk");
	T_CHECK(make_mbr("mbr.img") == 0);
	/* Find the extended partition, walk to the 10th EBR... */
	for (unsigned i = 0; i < 4 && ext == 0; i++) {
		get("mbr.img", MBR_RECORDS_OFF + 16 * i, r, 16);
		if (r[4] == MBR_TYPE_EXTENDED)
			ext = part_le32(r + 8);
	}
	T_CHECK(ext != 0);
	for (ebr = ext; n < 9; n++) {
		get("mbr.img", ebr * 512 + MBR_RECORDS_OFF + 16, r, 16);
		T_CHECK(r[4] != 0);
		ebr = ext + part_le32(r + 8);
	}
	/* ... and make it link back to the 3rd. */
	get("mbr.img", ext * 512 + MBR_RECORDS_OFF + 16, r, 16);
	next = ext + part_le32(r + 8);
	get("mbr.img", next * 512 + MBR_RECORDS_OFF + 16, r, 16);
	put("mbr.img", ebr * 512 + MBR_RECORDS_OFF + 16, r, 16);
	T_CHECK(parse("mbr.img", &tab) == -EINVAL && tab.count == 0);
	T_CHECKF(contains(tab.error, "MBR: the EBR chain of extended partition "
	    "3 loops: the EBR at LBA"), "%s", tab.error);
}

static int
make_gpt(const char *name, unsigned n)
{
	static const char *const codes[] = { "8300", "8200", "0700", "ef00",
	    "fd00", "8e00" };
	static char cmd[32768];
	size_t len;

	mkimg(name, 64 << 20);
	len = (size_t)snprintf(cmd, sizeof(cmd), "sgdisk -a 8 -U "
	    "11111111-2222-3333-4444-555555555555");
	for (unsigned i = 1; i <= n && len < sizeof(cmd) - 200; i++)
		len += (size_t)snprintf(cmd + len, sizeof(cmd) - len,
		    " -n %u:0:+%u -t %u:%s -c '%u:%s%u'", i, 64 + i, i,
		    codes[i % 6], i, i % 2 ? "part-" : "data ", i);
	snprintf(cmd + len, sizeof(cmd) - len, " %s > /dev/null", path(name));
	return sh("%s", cmd);
}

static void
t_sgdisk_gpt128(void)
{
	NEED(have_sgdisk, "sgdisk");
	NEED(have_sfdisk, "sfdisk");
	T_CHECK(make_gpt("gpt.img", 128) == 0);
	/* A name with non-ASCII characters, checked through sfdisk. */
	T_CHECK(sh("sgdisk -c 7:'donn\xc3\xa9""es \xe2\x82\xac\xf0\x9f\x98\x80' "
	    "%s > /dev/null", path("gpt.img")) == 0);
	T_CHECK(sfdisk_json("gpt.img", &ora) == 0 && ora.n == 128);
	T_CHECK(sgdisk_p("gpt.img", &ora2) == 0 && ora2.n == 128);
	T_CHECKF(parse("gpt.img", &tab) == 0, "%s", tab.error);
	T_CHECKF(!dk.outside && tab.warning[0] == '\0', "%s", tab.warning);
	T_CHECK(tab.scheme == PART_SCHEME_GPT && tab.count == 128);
	T_CHECK(strcmp(tab.gpt_disk_guid,
	    "11111111-2222-3333-4444-555555555555") == 0);
	T_CHECK(tab.gpt_first_usable == 34 &&
	    tab.gpt_last_usable == (64 << 11) - 34);
	check_oracle(&tab, &ora, true);
	T_CHECK(strcmp(part_table_find(&tab, 7)->name,
	    "donn\xc3\xa9""es \xe2\x82\xac\xf0\x9f\x98\x80") == 0);
	/* sgdisk -p agrees on the ranges and the ASCII names. */
	for (unsigned i = 0; i < ora2.n; i++) {
		const struct opart *q = &ora2.p[i];
		const struct part *p = part_table_find(&tab, q->number);

		T_CHECK(p != NULL && p->start == q->start &&
		    p->count == q->size);
		T_CHECKF(q->number == 7 || strcmp(p->name, q->name) == 0,
		    "'%s' vs '%s'", p->name, q->name);
	}
}

/* A fresh 8-partition GPT by sgdisk (made once, copied); table in tab2. */
static bool
gpt_base(void)
{
	static bool made;

	if (!made && make_gpt("base.img", 8) != 0)
		return false;
	made = true;
	if (sh("cp --sparse=always %s %s", path("base.img"),
	    path("gpt.img")) != 0 || parse("gpt.img", &tab2) != 0 ||
	    tab2.count != 8 || tab2.warning[0] != '\0')
		return false;
	return true;
}

static bool
same_parts(const struct part_table *a, const struct part_table *b)
{
	if (a->count != b->count)
		return false;
	for (unsigned i = 0; i < a->count; i++)
		if (a->parts[i].number != b->parts[i].number ||
		    a->parts[i].start != b->parts[i].start ||
		    a->parts[i].count != b->parts[i].count ||
		    strcmp(a->parts[i].guid, b->parts[i].guid) != 0 ||
		    strcmp(a->parts[i].name, b->parts[i].name) != 0)
			return false;
	return true;
}

#define LAST	((uint64_t)(64 << 11) - 1)

static void
t_gpt_primary_crc(void)
{
	NEED(have_sgdisk, "sgdisk");
	T_CHECK(gpt_base());
	flip("gpt.img", 512 + 17);	/* a byte of the stored header CRC */
	T_CHECKF(parse("gpt.img", &tab) == 0, "%s", tab.error);
	T_CHECK(tab.gpt_backup && tab.gpt_header_lba == LAST);
	T_CHECKF(contains(tab.warning, "GPT primary header at LBA 1: header "
	    "CRC mismatch (stored 0x") && contains(tab.warning, "using the "
	    "backup header at LBA 131071"), "%s", tab.warning);
	T_CHECK(same_parts(&tab, &tab2));
}

static void
t_gpt_primary_array(void)
{
	NEED(have_sgdisk, "sgdisk");
	T_CHECK(gpt_base());
	flip("gpt.img", 2 * 512 + 130);	/* entry 2's type GUID */
	T_CHECKF(parse("gpt.img", &tab) == 0, "%s", tab.error);
	T_CHECK(tab.gpt_backup);
	T_CHECKF(contains(tab.warning, "entry array CRC mismatch"), "%s",
	    tab.warning);
	T_CHECK(same_parts(&tab, &tab2));
}

static void
t_gpt_backup_bad(void)
{
	NEED(have_sgdisk, "sgdisk");
	T_CHECK(gpt_base());
	flip("gpt.img", LAST * 512 + 16);
	T_CHECKF(parse("gpt.img", &tab) == 0, "%s", tab.error);
	T_CHECK(!tab.gpt_backup && tab.gpt_header_lba == 1);
	T_CHECKF(contains(tab.warning, "GPT backup header at LBA 131071: "
	    "header CRC mismatch"), "%s", tab.warning);
	T_CHECK(same_parts(&tab, &tab2));
	/* A backup that is sound but differs from the primary. */
	T_CHECK(gpt_base());
	flip("gpt.img", (LAST - 32) * 512 + 200);
	resign("gpt.img", LAST, 512);
	T_CHECKF(parse("gpt.img", &tab) == 0, "%s", tab.error);
	T_CHECKF(contains(tab.warning, "differs from the primary"), "%s",
	    tab.warning);
}

static void
t_gpt_both_bad(void)
{
	NEED(have_sgdisk, "sgdisk");
	T_CHECK(gpt_base());
	flip("gpt.img", 512 + 16);
	flip("gpt.img", (LAST - 32) * 512 + 3);
	T_CHECK(parse("gpt.img", &tab) == -EINVAL && tab.count == 0);
	T_CHECKF(contains(tab.error, "GPT primary header at LBA 1: header CRC "
	    "mismatch") && contains(tab.error, "; backup header at LBA "
	    "131071: entry array CRC mismatch"), "%s", tab.error);
}

/* Patch entry `slot` at byte `off` in both arrays and re-sign. */
static void
patch_entry(unsigned slot, unsigned off, uint64_t v)
{
	uint8_t b[8];

	le64(b, v);
	put("gpt.img", 2 * 512 + slot * 128 + off, b, 8);
	put("gpt.img", (LAST - 32) * 512 + slot * 128 + off, b, 8);
	resign("gpt.img", 1, 512);
	resign("gpt.img", LAST, 512);
}

static void
t_gpt_past_end(void)
{
	NEED(have_sgdisk, "sgdisk");
	T_CHECK(gpt_base());
	patch_entry(4, 40, 9000000);
	T_CHECK(parse("gpt.img", &tab) == -EINVAL && tab.count == 0);
	T_CHECKF(strcmp(tab.error, "GPT entry 5: ends at LBA 9000000 beyond "
	    "the disk (131072 blocks)") == 0, "%s", tab.error);
	/* Inside the disk, but on the backup's entry array. */
	patch_entry(4, 40, LAST - 10);
	T_CHECK(parse("gpt.img", &tab) == -EINVAL);
	T_CHECKF(contains(tab.error, "GPT entry 5: LBA ") &&
	    contains(tab.error, "outside the usable range LBA 34..131038"),
	    "%s", tab.error);
	patch_entry(4, 32, LAST);
	T_CHECK(parse("gpt.img", &tab) == -EINVAL);
	T_CHECKF(contains(tab.error, "GPT entry 5: starts at LBA 131071 after "
	    "its end at LBA 131061"), "%s", tab.error);
}

static void
t_gpt_overlap(void)
{
	NEED(have_sgdisk, "sgdisk");
	T_CHECK(gpt_base());
	patch_entry(2, 32, tab2.parts[1].start + 3);
	T_CHECK(parse("gpt.img", &tab) == -EINVAL);
	T_CHECKF(contains(tab.error, "GPT entry 2 (LBA ") &&
	    contains(tab.error, ") overlaps 3 (LBA "), "%s", tab.error);
}

static void
t_gpt_absurd_count(void)
{
	uint8_t b[4];

	NEED(have_sgdisk, "sgdisk");
	T_CHECK(gpt_base());
	le32(b, 0x7fffffff);
	put("gpt.img", 512 + 80, b, 4);
	put("gpt.img", LAST * 512 + 80, b, 4);
	resign("gpt.img", 1, 512);
	resign("gpt.img", LAST, 512);
	T_CHECK(parse("gpt.img", &tab) == -EINVAL);
	T_CHECKF(contains(tab.error, "GPT primary header at LBA 1: 2147483647 "
	    "entries of 128 bytes (at most 4096 entries and 1048576 bytes)"),
	    "%s", tab.error);
	/* Fewer than the array holds still counts as an array CRC. */
	le32(b, 4);
	put("gpt.img", 512 + 80, b, 4);
	put("gpt.img", LAST * 512 + 80, b, 4);
	resign("gpt.img", 1, 512);
	resign("gpt.img", LAST, 512);
	T_CHECKF(parse("gpt.img", &tab) == 0, "%s", tab.error);
	T_CHECK(tab.count == 4 && tab.gpt_entries == 4);
}

static void
t_gpt_resized(void)
{
	NEED(have_sgdisk, "sgdisk");
	/* Grown: the primary still names the old backup, which is fine. */
	T_CHECK(gpt_base());
	T_CHECK(truncate(path("gpt.img"), 65 << 20) == 0);
	T_CHECKF(parse("gpt.img", &tab) == 0, "%s", tab.error);
	T_CHECK(tab.warning[0] == '\0' && same_parts(&tab, &tab2));
	/* Shrunk: the usable range no longer fits, no backup at the end. */
	T_CHECK(truncate(path("gpt.img"), 63 << 20) == 0);
	T_CHECK(parse("gpt.img", &tab) == -EINVAL && !dk.outside);
	T_CHECKF(contains(tab.error, "GPT primary header at LBA 1: usable "
	    "range LBA 34..131038 does not fit the disk (129024 blocks); "
	    "backup header at LBA 129023: no 'EFI PART' signature"), "%s",
	    tab.error);
}

static void
t_sgdisk_hybrid(void)
{
	NEED(have_sgdisk, "sgdisk");
	/* A hybrid MBR still holds a 0xEE record: the GPT wins. */
	T_CHECK(gpt_base());
	T_CHECK(sh("sgdisk -h 1:2 %s > /dev/null", path("gpt.img")) == 0);
	T_CHECKF(parse("gpt.img", &tab) == 0, "%s", tab.error);
	T_CHECK(tab.scheme == PART_SCHEME_GPT && same_parts(&tab, &tab2));
}

static void
cleanup(void)
{
	if (dir[0] != '\0')
		sh("rm -rf '%s'", dir);
}

int
main(void)
{
	const char *tmp = getenv("TMPDIR");
	const char *p = getenv("PATH");
	char newpath[4096];

	/* Debian keeps sfdisk and sgdisk in /usr/sbin. */
	snprintf(newpath, sizeof(newpath), "%s:/usr/sbin:/sbin",
	    p ? p : "/usr/bin:/bin");
	setenv("PATH", newpath, 1);
	snprintf(dir, sizeof(dir), "%s/part_blk.XXXXXX", tmp ? tmp : "/tmp");
	if (mkdtemp(dir) == NULL) {
		perror(dir);
		return 2;
	}
	atexit(cleanup);
	have_sfdisk = on_path("sfdisk");
	have_sgdisk = on_path("sgdisk");

	T_RUN("part-001", "CRC-32 of '123456789' is 0xCBF43926", t_crc32);
	T_RUN("part-002", "GUIDs are printed mixed-endian, lower case", t_guid);
	T_RUN("part-003", "UTF-16LE names to UTF-8: pairs, lone surrogates, "
	    "control chars", t_names);
	T_RUN("part-010", "no MBR magic: partition 0 is the whole disk",
	    t_no_magic);
	T_RUN("part-011", "MBR primaries keep their slot numbers", t_primaries);
	T_RUN("part-012", "logical partitions: EBR-relative starts, links "
	    "relative to the extended partition", t_logicals);
	T_RUN("part-013", "an extended partition without EBR has no logicals",
	    t_empty_extended);
	T_RUN("part-014", "an EBR without a partition links on", t_skipped_ebr);
	T_RUN("part-015", "EBR loop is an error naming both EBRs", t_ebr_loop);
	T_RUN("part-016", "EBR linking to itself is a loop", t_ebr_self);
	T_RUN("part-017", "EBR link outside the extended partition",
	    t_ebr_outside);
	T_RUN("part-018", "EBR chain length is bounded", t_ebr_long);
	T_RUN("part-019", "more than 255 partitions: -E2BIG", t_too_many);
	T_RUN("part-020", "primary past the disk's end", t_primary_past_end);
	T_RUN("part-021", "overlapping primaries and extended", t_primary_overlap);
	T_RUN("part-022", "logical outside its extended partition or the disk",
	    t_logical_outside);
	T_RUN("part-023", "logical covering an EBR", t_logical_covers_ebr);
	T_RUN("part-024", "partition at LBA 0", t_lba0);
	T_RUN("part-025", "read errors are reported with the block",
	    t_read_errors);
	T_RUN("part-026", "block sizes, tiny and empty disks", t_geometry);
	T_RUN("part-030", "GPT with 4 KiB blocks, names, GUIDs, slot numbers",
	    t_gpt_4k);
	T_RUN("part-031", "GPT entry sizes and counts", t_gpt_sizes);
	T_RUN("part-032", "GPT entry beyond number 255", t_gpt_number_limit);
	T_RUN("part-033", "protective MBR without a GPT", t_gpt_not_gpt);
	T_RUN("part-034", "hostile GPT header fields fall back to the backup",
	    t_gpt_hostile_header);
	T_RUN("part-040", "sfdisk MBR: 2 primaries, extended, 24 logicals = "
	    "sfdisk --json", t_sfdisk_mbr);
	T_RUN("part-041", "sfdisk MBR with an EBR loop patched in",
	    t_sfdisk_ebr_loop);
	T_RUN("part-042", "sgdisk GPT with 128 partitions = sfdisk --json and "
	    "sgdisk -p", t_sgdisk_gpt128);
	T_RUN("part-043", "GPT primary header CRC flipped: backup used",
	    t_gpt_primary_crc);
	T_RUN("part-044", "GPT primary entry array corrupt: backup used",
	    t_gpt_primary_array);
	T_RUN("part-045", "GPT backup bad or different: primary used, warning",
	    t_gpt_backup_bad);
	T_RUN("part-046", "GPT both copies bad: error naming both",
	    t_gpt_both_bad);
	T_RUN("part-047", "GPT entry past the end or outside the usable range",
	    t_gpt_past_end);
	T_RUN("part-048", "GPT overlapping entries", t_gpt_overlap);
	T_RUN("part-049", "GPT absurd entry count", t_gpt_absurd_count);
	T_RUN("part-050", "GPT on a grown and on a shrunk disk", t_gpt_resized);
	T_RUN("part-051", "hybrid MBR (sgdisk -h): the GPT is used",
	    t_sgdisk_hybrid);
	return t_done();
}
