/*
 * libFuzzer target: the input is a disk image; parse its partition table
 * and check every invariant of the result.
 * SPDX-License-Identifier: MIT
 *
 * The image is parsed with 512-byte blocks, again with 4096-byte blocks,
 * and once more with one read failing (which read follows from the input
 * size), so error paths run too. Besides "no crash and no hang", it checks
 * that the parser reads only inside the disk, that a result is the same
 * when parsed twice, and that an accepted table is sane: partitions
 * inside the disk, none overlapping, numbers ascending and in range,
 * names valid UTF-8 without control characters; and that a refusal
 * empties the table and says why.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gpt.h"
#include "part_table.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x) do { \
	if (!(x)) { \
		fprintf(stderr, "invariant failed: %s:%d: %s\n", __FILE__, \
		    __LINE__, #x); \
		abort(); \
	} \
} while (0)

struct img {
	const uint8_t *data;
	size_t size;
	uint32_t bs;
	uint64_t blocks;
	unsigned reads;
	unsigned fail_at;
};

static int
img_read(void *ctx, uint64_t lba, uint64_t count, void *buf)
{
	struct img *m = ctx;
	uint64_t off = lba * m->bs, n = count * m->bs;

	CHECK(count >= 1 && lba < m->blocks && count <= m->blocks - lba);
	CHECK(n <= PART_CHUNK);
	if (++m->reads == m->fail_at)
		return -EIO;
	memset(buf, 0, (size_t)n);
	if (off < m->size)
		memcpy(buf, m->data + off, (size_t)(m->size - off < n ?
		    m->size - off : n));
	return 0;
}

/* Whether s is valid UTF-8 without C0/C1 controls, shorter than cap. */
static bool
clean_utf8(const char *s, size_t cap)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len = strnlen(s, cap);
	uint32_t c;
	int more;

	if (len == cap)
		return false;
	while (*p != 0) {
		if (*p < 0x80) {
			if (*p < 0x20 || *p == 0x7f)
				return false;
			p++;
			continue;
		}
		if ((*p & 0xe0) == 0xc0)
			c = *p & 0x1f, more = 1;
		else if ((*p & 0xf0) == 0xe0)
			c = *p & 0x0f, more = 2;
		else if ((*p & 0xf8) == 0xf0)
			c = *p & 0x07, more = 3;
		else
			return false;
		for (p++; more > 0; more--, p++) {
			if ((*p & 0xc0) != 0x80)
				return false;
			c = c << 6 | (*p & 0x3f);
		}
		if (c < 0xa0 || (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
			return false;
	}
	return true;
}

static bool
is_guid(const char *s)
{
	if (strlen(s) != 36)
		return false;
	for (int i = 0; i < 36; i++)
		if (i == 8 || i == 13 || i == 18 || i == 23 ? s[i] != '-' :
		    strchr("0123456789abcdef", s[i]) == NULL)
			return false;
	return true;
}

static void
check_table(const struct part_table *t, int r, const struct img *m)
{
	const struct part *p, *q;

	CHECK(memchr(t->error, '\0', sizeof(t->error)) != NULL);
	CHECK(memchr(t->warning, '\0', sizeof(t->warning)) != NULL);
	CHECK(t->block_count == m->blocks && t->block_size == m->bs);
	if (r != 0) {
		CHECK(r == -EINVAL || r == -E2BIG || r == -EIO);
		CHECK(t->error[0] != '\0' && t->count == 0);
		return;
	}
	CHECK(t->error[0] == '\0');
	CHECK(t->count <= PART_MAX + 1);
	if (t->scheme == PART_SCHEME_NONE) {
		CHECK(t->count == 1 && t->parts[0].number == 0 &&
		    t->parts[0].start == 0 && t->parts[0].count == m->blocks);
		return;
	}
	CHECK(t->scheme == PART_SCHEME_MBR || t->scheme == PART_SCHEME_GPT);
	if (t->scheme == PART_SCHEME_GPT) {
		CHECK(is_guid(t->gpt_disk_guid));
		CHECK(t->gpt_header_lba == 1 ||
		    t->gpt_header_lba == m->blocks - 1);
		CHECK(t->gpt_backup == (t->gpt_header_lba != 1));
		CHECK(!t->gpt_backup || t->warning[0] != '\0');
		CHECK(t->gpt_first_usable <= t->gpt_last_usable &&
		    t->gpt_last_usable < m->blocks);
	}
	for (unsigned i = 0; i < t->count; i++) {
		p = &t->parts[i];
		CHECK(p->number >= 1 && p->number <= PART_MAX);
		CHECK(i == 0 || p->number > t->parts[i - 1].number);
		CHECK(p->count >= 1 && p->start < m->blocks &&
		    p->count <= m->blocks - p->start);
		CHECK(part_table_find(t, p->number) == p);
		if (t->scheme == PART_SCHEME_MBR) {
			CHECK(p->start >= 1);
			CHECK(p->logical == (p->number >= 5));
			CHECK(p->mbr_type != 0);
			CHECK(p->name[0] == '\0' && p->guid[0] == '\0');
		} else {
			CHECK(p->start >= t->gpt_first_usable &&
			    p->start + p->count - 1 <= t->gpt_last_usable);
			CHECK(p->number <= t->gpt_entries);
			CHECK(is_guid(p->type_guid) && is_guid(p->guid));
			CHECK(strcmp(p->type_guid,
			    "00000000-0000-0000-0000-000000000000") != 0);
			CHECK(clean_utf8(p->name, sizeof(p->name)));
		}
		for (unsigned j = 0; j < i; j++) {
			q = &t->parts[j];
			CHECK(p->start >= q->start + q->count ||
			    q->start >= p->start + p->count);
		}
	}
}

static struct part_table t1, t2;

static unsigned
run(const uint8_t *data, size_t size, uint32_t bs, unsigned fail_at)
{
	struct img m = { data, size, bs, (size + bs - 1) / bs, 0, fail_at };
	struct part_io io = { img_read, &m, m.blocks, bs };
	unsigned reads;
	int r1, r2;

	r1 = part_table_parse(&io, &t1);
	check_table(&t1, r1, &m);
	reads = m.reads;
	m.reads = 0;
	r2 = part_table_parse(&io, &t2);
	CHECK(r1 == r2 && m.reads == reads);
	CHECK(memcmp(&t1, &t2, sizeof(t1)) == 0);
	return reads;
}

/*
 * Make the CRCs of the GPT header at block lba (512-byte blocks) and of
 * its entry array right, as far as the image holds them: random mutation
 * almost never keeps a CRC intact, and the checks behind it would go
 * untested.
 */
static void
put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> 8 * i);
}

static void
sign(uint8_t *img, size_t size, uint64_t lba)
{
	uint8_t *h = img + lba * 512;
	uint64_t alba;
	uint32_t hsz, n, esz;

	if (size < 512 || lba > size / 512 - 1 || memcmp(h, "EFI PART", 8))
		return;
	alba = part_le64(h + 72);
	n = part_le32(h + 80);
	esz = part_le32(h + 84);
	if (alba < size / 512 && (uint64_t)n * esz <= size - alba * 512)
		put32(h + 88, gpt_crc32(0, img + alba * 512, (size_t)n * esz));
	hsz = part_le32(h + 12);
	if (hsz >= 92 && hsz <= 512) {
		memset(h + 16, 0, 4);
		put32(h + 16, gpt_crc32(0, h, hsz));
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned reads;
	uint8_t *copy;

	reads = run(data, size, 512, 0);
	if (reads > 0)
		run(data, size, 512, 1 + (unsigned)(size % reads));
	run(data, size, 4096, 0);
	/* Again with both GPT headers re-signed. */
	if (size >= 1024 && (copy = malloc(size)) != NULL) {
		memcpy(copy, data, size);
		sign(copy, size, 1);
		sign(copy, size, size / 512 - 1);
		run(copy, size, 512, 0);
		free(copy);
	}
	return 0;
}
