/*
 * part_blk: the MBR parser (primary, extended and logical partitions).
 * SPDX-License-Identifier: MIT
 *
 * Addressing follows the standard every partitioning tool writes: a
 * logical partition starts at its EBR plus the first record's LBA, the
 * next EBR at the start of the extended partition plus the second
 * record's LBA (14.02 added it to the current EBR, which breaks chains of
 * three and more; spec/part_blk.md).
 */
#include <errno.h>
#include <string.h>

#include "mbr.h"

struct rec {
	uint8_t type;
	uint64_t lba;
	uint64_t count;
};

/* An extended partition: the container of one EBR chain. */
struct ext {
	unsigned number;	/* its primary slot + 1 */
	uint64_t start, count;
};

static void
rec_at(const uint8_t *blk, unsigned i, struct rec *r)
{
	const uint8_t *p = blk + MBR_RECORDS_OFF + i * MBR_RECORD_SIZE;

	r->type = p[4];
	r->lba = part_le32(p + 8);
	r->count = part_le32(p + 12);
}

static bool
has_magic(const uint8_t *blk)
{
	return blk[MBR_MAGIC_OFF] == 0x55 && blk[MBR_MAGIC_OFF + 1] == 0xaa;
}

static bool
is_extended(uint8_t type)
{
	return type == MBR_TYPE_EXTENDED || type == MBR_TYPE_EXTENDED_LBA ||
	    type == MBR_TYPE_EXTENDED_LINUX;
}

static unsigned long long
ull(uint64_t v)
{
	return v;
}

static int
beyond_disk(struct part_table *t, unsigned number, uint64_t start,
    uint64_t count)
{
	return part_fail(t, -EINVAL, "MBR partition %u: ends at LBA %llu "
	    "beyond the disk (%llu blocks)", number, ull(start + count - 1),
	    ull(t->block_count));
}

/* Primaries, extended partitions included, into t and ext[]. */
static int
primaries(const uint8_t *blk, struct part_table *t, struct ext *ext,
    unsigned *n_ext)
{
	struct part p;
	struct rec r;
	unsigned i, j;
	int err;

	for (i = 0; i < 4; i++) {
		rec_at(blk, i, &r);
		/* A record without sectors is unused, whatever its type. */
		if (r.type == MBR_TYPE_EMPTY || r.count == 0)
			continue;
		if (r.lba == 0)
			return part_fail(t, -EINVAL, "MBR partition %u: starts "
			    "at LBA 0, the MBR itself", i + 1);
		if (r.lba + r.count > t->block_count)
			return beyond_disk(t, i + 1, r.lba, r.count);
		memset(&p, 0, sizeof(p));
		p.number = i + 1;
		p.mbr_type = r.type;
		p.start = r.lba;
		p.count = r.count;
		if ((err = part_add(t, &p)) < 0)
			return err;
	}
	if ((err = part_check_overlap(t, 0, "MBR partition")) < 0)
		return err;
	/* Extended partitions are containers, not partitions: move them. */
	for (i = j = 0; i < t->count; i++) {
		if (is_extended(t->parts[i].mbr_type)) {
			ext[*n_ext].number = t->parts[i].number;
			ext[*n_ext].start = t->parts[i].start;
			ext[*n_ext].count = t->parts[i].count;
			(*n_ext)++;
		} else
			t->parts[j++] = t->parts[i];
	}
	t->count = j;
	return 0;
}

/*
 * Walk the EBR chain of e. ebrs[] collects every EBR seen (across chains)
 * for the loop check here and the coverage check in mbr_parse().
 */
static int
chain(const struct part_io *io, struct part_table *t, const struct ext *e,
    uint8_t *blk, uint64_t *ebrs, unsigned *n_ebrs, unsigned *next)
{
	uint64_t ebr = e->start, end = e->start + e->count, link;
	struct rec r0, r1;
	struct part p;
	unsigned i;
	int err;

	for (;;) {
		if (*n_ebrs == PART_EBR_MAX)
			return part_fail(t, -EINVAL, "MBR: the EBR chain of "
			    "extended partition %u is longer than %u EBRs",
			    e->number, PART_EBR_MAX);
		if ((err = part_read(io, ebr, 1, blk)) < 0)
			return part_fail(t, err, "MBR: cannot read the EBR at "
			    "LBA %llu (%s)", ull(ebr), strerror(-err));
		/* An EBR without magic ends the chain (also: none at all). */
		if (!has_magic(blk))
			return 0;
		ebrs[(*n_ebrs)++] = ebr;
		rec_at(blk, 0, &r0);
		rec_at(blk, 1, &r1);
		if (r0.type != MBR_TYPE_EMPTY && r0.count != 0) {
			memset(&p, 0, sizeof(p));
			p.number = (*next)++;
			p.mbr_type = r0.type;
			p.logical = true;
			p.start = ebr + r0.lba;
			p.count = r0.count;
			if (p.start + p.count > t->block_count)
				return beyond_disk(t, p.number, p.start,
				    p.count);
			if (p.start + p.count > end)
				return part_fail(t, -EINVAL, "MBR partition "
				    "%u: LBA %llu..%llu outside the extended "
				    "partition %u (LBA %llu..%llu)", p.number,
				    ull(p.start), ull(p.start + p.count - 1),
				    e->number, ull(e->start), ull(end - 1));
			if ((err = part_add(t, &p)) < 0)
				return err;
		}
		if (r1.type == MBR_TYPE_EMPTY)
			return 0;
		link = e->start + r1.lba;
		if (link >= end)
			return part_fail(t, -EINVAL, "MBR: the EBR at LBA %llu "
			    "links to LBA %llu outside the extended partition "
			    "%u (LBA %llu..%llu)", ull(ebr), ull(link),
			    e->number, ull(e->start), ull(end - 1));
		for (i = 0; i < *n_ebrs; i++)
			if (ebrs[i] == link)
				return part_fail(t, -EINVAL, "MBR: the EBR "
				    "chain of extended partition %u loops: the "
				    "EBR at LBA %llu links back to LBA %llu",
				    e->number, ull(ebr), ull(link));
		ebr = link;
	}
}

int
mbr_parse(const struct part_io *io, struct part_table *t)
{
	uint8_t blk[PART_BLOCK_MAX];
	uint64_t ebrs[PART_EBR_MAX];
	unsigned n_ext = 0, n_ebrs = 0, next = 5, i, k;
	struct ext ext[4];
	struct rec r;
	struct part *p;
	int err;

	if ((err = part_read(io, 0, 1, blk)) < 0)
		return part_fail(t, err, "MBR: cannot read block 0 (%s)",
		    strerror(-err));
	if (!has_magic(blk)) {
		/* 14.02 exported blk_count - 1 blocks here; the spec fixes it. */
		t->scheme = PART_SCHEME_NONE;
		t->parts[0].number = 0;
		t->parts[0].start = 0;
		t->parts[0].count = t->block_count;
		t->count = 1;
		return 0;
	}
	for (i = 0; i < 4; i++) {
		rec_at(blk, i, &r);
		if (r.type == MBR_TYPE_GPT)
			return MBR_PROTECTIVE;
	}
	t->scheme = PART_SCHEME_MBR;
	t->mbr_signature = part_le32(blk + MBR_SIGNATURE_OFF);
	if ((err = primaries(blk, t, ext, &n_ext)) < 0)
		return err;
	for (i = 0; i < n_ext; i++)
		if ((err = chain(io, t, &ext[i], blk, ebrs, &n_ebrs,
		    &next)) < 0)
			return err;
	/* A logical partition must not cover an EBR: writes would cut the
	 * chain. Primaries cannot, being clear of the extended ones. */
	for (i = 0; i < t->count; i++) {
		p = &t->parts[i];
		for (k = 0; p->logical && k < n_ebrs; k++)
			if (ebrs[k] >= p->start && ebrs[k] < p->start + p->count)
				return part_fail(t, -EINVAL, "MBR partition %u "
				    "(LBA %llu..%llu) covers the EBR at LBA "
				    "%llu", p->number, ull(p->start),
				    ull(p->start + p->count - 1), ull(ebrs[k]));
	}
	return part_check_overlap(t, 0, "MBR partition");
}
