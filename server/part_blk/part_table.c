/*
 * part_blk: scheme detection and the helpers the MBR and GPT parsers share.
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "gpt.h"
#include "mbr.h"
#include "part_table.h"

int
part_fail(struct part_table *t, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(t->error, sizeof(t->error), fmt, ap);
	va_end(ap);
	t->count = 0;
	return err;
}

int
part_add(struct part_table *t, const struct part *p)
{
	if (t->count > PART_MAX || p->number > PART_MAX)
		return part_fail(t, -E2BIG, "%s partition %u: at most %u "
		    "partitions are supported", part_scheme_name(t->scheme),
		    p->number, PART_MAX);
	t->parts[t->count++] = *p;
	return 0;
}

int
part_check_overlap(struct part_table *t, unsigned from, const char *what)
{
	const struct part *a, *b;

	/* At most PART_MAX + 1 entries, so the quadratic walk stays small. */
	for (unsigned i = from; i < t->count; i++)
		for (unsigned j = i + 1; j < t->count; j++) {
			a = &t->parts[i];
			b = &t->parts[j];
			if (a->start < b->start + b->count &&
			    b->start < a->start + a->count)
				return part_fail(t, -EINVAL, "%s %u (LBA "
				    "%llu..%llu) overlaps %u (LBA %llu..%llu)",
				    what, a->number,
				    (unsigned long long)a->start,
				    (unsigned long long)(a->start + a->count - 1),
				    b->number, (unsigned long long)b->start,
				    (unsigned long long)(b->start + b->count - 1));
		}
	return 0;
}

int
part_read(const struct part_io *io, uint64_t lba, uint64_t count, void *buf)
{
	int r;

	if (count == 0 || count > PART_CHUNK / io->block_size ||
	    lba >= io->block_count || count > io->block_count - lba)
		return -EINVAL;
	r = io->read(io->ctx, lba, count, buf);
	return r > 0 ? -EIO : r;
}

const char *
part_scheme_name(enum part_scheme s)
{
	switch (s) {
	case PART_SCHEME_MBR:
		return "MBR";
	case PART_SCHEME_GPT:
		return "GPT";
	default:
		return "none";
	}
}

const struct part *
part_table_find(const struct part_table *t, unsigned number)
{
	for (unsigned i = 0; i < t->count; i++)
		if (t->parts[i].number == number)
			return &t->parts[i];
	return NULL;
}

int
part_table_parse(const struct part_io *io, struct part_table *t)
{
	uint32_t bs = io->block_size;
	int r;

	memset(t, 0, sizeof(*t));
	t->block_count = io->block_count;
	t->block_size = bs;
	if (bs < 512 || bs > PART_BLOCK_MAX || (bs & (bs - 1)) != 0)
		return part_fail(t, -EINVAL, "block size %u not supported "
		    "(a power of two from 512 to %u)", bs, PART_BLOCK_MAX);
	if (io->block_count == 0)
		return part_fail(t, -EINVAL, "the disk is empty");
	r = mbr_parse(io, t);
	if (r == MBR_PROTECTIVE)
		r = gpt_parse(io, t);
	return r;
}
