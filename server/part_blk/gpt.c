/*
 * part_blk: the GPT parser (UEFI 2.x GUID partition table).
 * SPDX-License-Identifier: MIT
 *
 * Nothing read from the disk is trusted: the header is checked field by
 * field before its entry array is read, the array is read in chunks of
 * PART_CHUNK bytes (so its size costs no memory), and an entry counts only
 * once the whole array's CRC matched. Entry errors are not a reason to use
 * the backup: a CRC-correct table that says nonsense says it in both
 * copies.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "gpt.h"

struct hdr {
	uint64_t lba;		/* where we read it */
	uint64_t alt_lba;	/* where it says the other copy is */
	uint64_t first, last;	/* usable range, inclusive */
	uint64_t array_lba;
	uint64_t array_blocks;
	uint32_t entries, entry_size, array_crc;
	uint8_t disk_guid[16];
};

static unsigned long long
ull(uint64_t v)
{
	return v;
}

uint32_t
gpt_crc32(uint32_t crc, const void *buf, size_t len)
{
	/* Nibble table of the reflected polynomial 0xEDB88320. */
	static const uint32_t tab[16] = {
		0x00000000, 0x1db71064, 0x3b6e20c8, 0x26d930ac,
		0x76dc4190, 0x6b6b51f4, 0x4db26158, 0x5005713c,
		0xedb88320, 0xf00f9344, 0xd6d6a3e8, 0xcb61b38c,
		0x9b64c2b0, 0x86d3d2d4, 0xa00ae278, 0xbdbdf21c,
	};
	const uint8_t *p = buf;

	crc = ~crc;
	while (len-- > 0) {
		crc ^= *p++;
		crc = (crc >> 4) ^ tab[crc & 15];
		crc = (crc >> 4) ^ tab[crc & 15];
	}
	return ~crc;
}

void
gpt_guid_str(const uint8_t *g, char dst[PART_GUID_LEN])
{
	snprintf(dst, PART_GUID_LEN, "%08x-%04x-%04x-%02x%02x-"
	    "%02x%02x%02x%02x%02x%02x", (unsigned)part_le32(g),
	    (unsigned)part_le16(g + 4), (unsigned)part_le16(g + 6), g[8], g[9],
	    g[10], g[11], g[12], g[13], g[14], g[15]);
}

size_t
gpt_name_utf8(const uint8_t *src, unsigned units, char *dst)
{
	uint32_t c, c2;
	size_t n = 0;

	for (unsigned i = 0; i < units; i++) {
		c = part_le16(src + 2 * i);
		if (c == 0)
			break;
		if (c >= 0xd800 && c <= 0xdbff && i + 1 < units &&
		    (c2 = part_le16(src + 2 * i + 2)) >= 0xdc00 && c2 <= 0xdfff) {
			c = 0x10000 + ((c - 0xd800) << 10) + (c2 - 0xdc00);
			i++;
		} else if (c >= 0xd800 && c <= 0xdfff)
			c = 0xfffd;
		/* Names end up in logs and XML reports: no control chars. */
		if (c < 0x20 || (c >= 0x7f && c < 0xa0))
			c = '?';
		if (c < 0x80)
			dst[n++] = (char)c;
		else if (c < 0x800) {
			dst[n++] = (char)(0xc0 | c >> 6);
			dst[n++] = (char)(0x80 | (c & 0x3f));
		} else if (c < 0x10000) {
			dst[n++] = (char)(0xe0 | c >> 12);
			dst[n++] = (char)(0x80 | (c >> 6 & 0x3f));
			dst[n++] = (char)(0x80 | (c & 0x3f));
		} else {
			dst[n++] = (char)(0xf0 | c >> 18);
			dst[n++] = (char)(0x80 | (c >> 12 & 0x3f));
			dst[n++] = (char)(0x80 | (c >> 6 & 0x3f));
			dst[n++] = (char)(0x80 | (c & 0x3f));
		}
	}
	dst[n] = '\0';
	return n;
}

/*
 * Read and check the header at lba into *h, using blk (PART_CHUNK bytes).
 * Returns 0, or a negative errno with the reason in why.
 */
static int
header(const struct part_io *io, uint64_t lba, uint8_t *blk, struct hdr *h,
    char *why, size_t cap)
{
	uint64_t bc = io->block_count, bytes;
	uint32_t bs = io->block_size, size, crc, sum;
	int err;

	if (lba >= bc) {
		snprintf(why, cap, "beyond the disk (%llu blocks)", ull(bc));
		return -EINVAL;
	}
	if ((err = part_read(io, lba, 1, blk)) < 0) {
		snprintf(why, cap, "cannot read it (%s)", strerror(-err));
		return err;
	}
	if (memcmp(blk, GPT_SIGNATURE, 8) != 0) {
		snprintf(why, cap, "no '" GPT_SIGNATURE "' signature");
		return -EINVAL;
	}
	size = part_le32(blk + 12);
	if (size < GPT_HEADER_MIN || size > bs) {
		snprintf(why, cap, "header size %u out of range (%u..%u)", size,
		    GPT_HEADER_MIN, bs);
		return -EINVAL;
	}
	crc = part_le32(blk + 16);
	memset(blk + 16, 0, 4);	/* the CRC is computed with itself zeroed */
	if ((sum = gpt_crc32(0, blk, size)) != crc) {
		snprintf(why, cap, "header CRC mismatch (stored 0x%08x, "
		    "computed 0x%08x)", crc, sum);
		return -EINVAL;
	}
	h->lba = lba;
	h->alt_lba = part_le64(blk + 32);
	h->first = part_le64(blk + 40);
	h->last = part_le64(blk + 48);
	memcpy(h->disk_guid, blk + 56, 16);
	h->array_lba = part_le64(blk + 72);
	h->entries = part_le32(blk + 80);
	h->entry_size = part_le32(blk + 84);
	h->array_crc = part_le32(blk + 88);
	if (part_le64(blk + 24) != lba) {
		snprintf(why, cap, "claims to be at LBA %llu",
		    ull(part_le64(blk + 24)));
		return -EINVAL;
	}
	if (h->first > h->last || h->last >= bc) {
		snprintf(why, cap, "usable range LBA %llu..%llu does not fit "
		    "the disk (%llu blocks)", ull(h->first), ull(h->last),
		    ull(bc));
		return -EINVAL;
	}
	if ((lba >= h->first && lba <= h->last) ||
	    (h->alt_lba >= h->first && h->alt_lba <= h->last)) {
		snprintf(why, cap, "usable range LBA %llu..%llu covers a "
		    "header (LBA %llu or %llu)", ull(h->first), ull(h->last),
		    ull(lba), ull(h->alt_lba));
		return -EINVAL;
	}
	/* UEFI: 128 times a power of two; a chunk then holds whole entries. */
	if (h->entry_size < GPT_ENTRY_MIN || h->entry_size > PART_CHUNK ||
	    (h->entry_size & (h->entry_size - 1)) != 0) {
		snprintf(why, cap, "entry size %u is not 128 times a power of "
		    "two up to %u", h->entry_size, PART_CHUNK);
		return -EINVAL;
	}
	bytes = (uint64_t)h->entries * h->entry_size;
	if (h->entries > PART_GPT_ENTRIES_MAX || bytes > PART_GPT_ARRAY_MAX) {
		snprintf(why, cap, "%u entries of %u bytes (at most %u entries "
		    "and %u bytes)", h->entries, h->entry_size,
		    PART_GPT_ENTRIES_MAX, PART_GPT_ARRAY_MAX);
		return -EINVAL;
	}
	h->array_blocks = (bytes + bs - 1) / bs;
	if (h->array_blocks == 0)
		return 0;
	if (h->array_lba == 0 || h->array_lba >= bc ||
	    h->array_blocks > bc - h->array_lba) {
		snprintf(why, cap, "entry array at LBA %llu (%llu blocks) "
		    "outside the disk (%llu blocks)", ull(h->array_lba),
		    ull(h->array_blocks), ull(bc));
		return -EINVAL;
	}
	if ((h->array_lba <= h->last &&
	    h->array_lba + h->array_blocks > h->first) ||
	    (lba >= h->array_lba && lba < h->array_lba + h->array_blocks)) {
		snprintf(why, cap, "entry array LBA %llu..%llu overlaps the "
		    "header or the usable range LBA %llu..%llu",
		    ull(h->array_lba), ull(h->array_lba + h->array_blocks - 1),
		    ull(h->first), ull(h->last));
		return -EINVAL;
	}
	return 0;
}

/* Entry idx of the array, valid CRC assumed: into t, or an error. */
static int
entry(struct part_table *t, const struct hdr *h, const uint8_t *e,
    uint32_t idx)
{
	static const uint8_t unused[16];
	unsigned number = idx + 1;
	struct part p;

	if (memcmp(e, unused, 16) == 0)
		return 0;
	memset(&p, 0, sizeof(p));
	p.number = number;
	p.start = part_le64(e + 32);
	if (part_le64(e + 40) >= t->block_count)
		return part_fail(t, -EINVAL, "GPT entry %u: ends at LBA %llu "
		    "beyond the disk (%llu blocks)", number,
		    ull(part_le64(e + 40)), ull(t->block_count));
	if (p.start > part_le64(e + 40))
		return part_fail(t, -EINVAL, "GPT entry %u: starts at LBA %llu "
		    "after its end at LBA %llu", number, ull(p.start),
		    ull(part_le64(e + 40)));
	p.count = part_le64(e + 40) - p.start + 1;
	if (p.start < h->first || p.start + p.count - 1 > h->last)
		return part_fail(t, -EINVAL, "GPT entry %u: LBA %llu..%llu "
		    "outside the usable range LBA %llu..%llu", number,
		    ull(p.start), ull(p.start + p.count - 1), ull(h->first),
		    ull(h->last));
	p.gpt_attrs = part_le64(e + 48);
	gpt_guid_str(e, p.type_guid);
	gpt_guid_str(e + 16, p.guid);
	gpt_name_utf8(e + 56, GPT_NAME_UNITS, p.name);
	return part_add(t, &p);
}

/*
 * Read h's entry array in chunks and check its CRC. With t, also parse
 * the entries into t; the first entry error goes to *eerr (and t->error)
 * and is for the caller to report once the CRC has matched.
 */
static int
entries(const struct part_io *io, const struct hdr *h, uint8_t *buf,
    struct part_table *t, int *eerr, char *why, size_t cap)
{
	uint64_t total = (uint64_t)h->entries * h->entry_size, off, n, blocks;
	uint64_t lba = h->array_lba;
	uint32_t crc = 0, idx = 0;
	int err;

	for (off = 0; off < total; off += n, lba += blocks) {
		n = total - off < PART_CHUNK ? total - off : PART_CHUNK;
		blocks = (n + io->block_size - 1) / io->block_size;
		if ((err = part_read(io, lba, blocks, buf)) < 0) {
			snprintf(why, cap, "cannot read the entry array at "
			    "LBA %llu (%s)", ull(lba), strerror(-err));
			return err;
		}
		crc = gpt_crc32(crc, buf, (size_t)n);
		for (uint64_t j = 0; t != NULL && *eerr == 0 && j < n;
		    j += h->entry_size)
			*eerr = entry(t, h, buf + j, idx++);
	}
	if (crc != h->array_crc) {
		snprintf(why, cap, "entry array CRC mismatch (stored 0x%08x, "
		    "computed 0x%08x)", h->array_crc, crc);
		return -EINVAL;
	}
	return 0;
}

/* Header and entries at lba into t. 0, entry error, or header error. */
static int
load(const struct part_io *io, uint64_t lba, uint8_t *buf, struct hdr *h,
    struct part_table *t, char *why, size_t cap)
{
	int err, eerr = 0;

	t->count = 0;
	if ((err = header(io, lba, buf, h, why, cap)) < 0 ||
	    (err = entries(io, h, buf, t, &eerr, why, cap)) < 0) {
		/* Entries of a table whose CRC failed mean nothing. */
		t->count = 0;
		t->error[0] = '\0';
		return err;
	}
	if (eerr < 0)
		return eerr;
	t->gpt_header_lba = lba;
	t->gpt_first_usable = h->first;
	t->gpt_last_usable = h->last;
	t->gpt_entries = h->entries;
	gpt_guid_str(h->disk_guid, t->gpt_disk_guid);
	return part_check_overlap(t, 0, "GPT entry");
}

/* The primary is in use: say so if its backup is missing or differs. */
static void
check_backup(const struct part_io *io, const struct hdr *p, uint8_t *buf,
    struct part_table *t)
{
	char why[160];
	struct hdr b;

	if (p->alt_lba == p->lba)
		snprintf(t->warning, sizeof(t->warning), "GPT primary header "
		    "names itself as its backup");
	else if (header(io, p->alt_lba, buf, &b, why, sizeof(why)) < 0 ||
	    entries(io, &b, buf, NULL, NULL, why, sizeof(why)) < 0)
		snprintf(t->warning, sizeof(t->warning), "GPT backup header "
		    "at LBA %llu: %s", ull(p->alt_lba), why);
	else if (b.array_crc != p->array_crc || b.entries != p->entries ||
	    b.first != p->first || b.last != p->last)
		snprintf(t->warning, sizeof(t->warning), "GPT backup header "
		    "at LBA %llu differs from the primary", ull(p->alt_lba));
}

int
gpt_parse(const struct part_io *io, struct part_table *t)
{
	uint8_t buf[PART_CHUNK];
	char why1[160], why2[160];
	uint64_t backup = t->block_count - 1;
	struct hdr h;
	int r1, r2;

	t->scheme = PART_SCHEME_GPT;
	r1 = load(io, 1, buf, &h, t, why1, sizeof(why1));
	if (r1 == 0) {
		check_backup(io, &h, buf, t);
		return 0;
	}
	/* An error in the entries themselves: t->error has it. */
	if (t->error[0] != '\0')
		return r1;
	if (backup <= 1)
		return part_fail(t, r1, "GPT primary header at LBA 1: %s; no "
		    "room for a backup header", why1);
	r2 = load(io, backup, buf, &h, t, why2, sizeof(why2));
	if (r2 == 0) {
		t->gpt_backup = true;
		snprintf(t->warning, sizeof(t->warning), "GPT primary header "
		    "at LBA 1: %s; using the backup header at LBA %llu", why1,
		    ull(backup));
		return 0;
	}
	if (t->error[0] != '\0')
		return r2;
	return part_fail(t, r1 == -EINVAL ? r1 : r2, "GPT primary header at "
	    "LBA 1: %s; backup header at LBA %llu: %s", why1, ull(backup),
	    why2);
}
