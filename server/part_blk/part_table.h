/*
 * part_blk: the partition table as the MBR and GPT parsers produce it.
 * SPDX-License-Identifier: MIT
 *
 * The parsers are pure: they read the disk only through the callback of a
 * struct part_io, allocate nothing, and never read outside the disk's
 * block_count, so unit tests and fuzzers run them on memory images
 * (test/part_blk). Every error leaves a message in the table's `error`
 * that names the table and the entry, e.g.
 * "GPT entry 5: ends at LBA 9000 beyond the disk (8192 blocks)".
 *
 * Numbering (shared/spec/part_blk.md): 0 is the whole disk, only when
 * block 0 carries no MBR magic; MBR primaries are 1-4 by slot; logical
 * partitions follow from 5 in the order of the EBR chain; GPT partitions
 * are numbered by their slot in the entry array (entry i is partition
 * i + 1, empty entries leave gaps), as Linux, sgdisk and Genode's
 * part_block do, so a number stays put when another partition is deleted.
 */
#ifndef PART_TABLE_H
#define PART_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Highest partition number kept (Linux's DISK_MAX_PARTS - 1). */
#define PART_MAX		255
/* Largest block size the parsers accept (a power of two from 512). */
#define PART_BLOCK_MAX		16384
/* Bytes the parsers read at once; a multiple of every block size. */
#define PART_CHUNK		16384
/* Longest EBR chain followed, counting EBRs without a partition. */
#define PART_EBR_MAX		512
/* Most GPT entries and largest entry array accepted. */
#define PART_GPT_ENTRIES_MAX	4096
#define PART_GPT_ARRAY_MAX	(1024u * 1024)

#define PART_GUID_LEN		37	/* "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx" */
#define PART_NAME_LEN		109	/* 36 UTF-16 units as UTF-8, with NUL */

enum part_scheme {
	PART_SCHEME_NONE,	/* no MBR magic: partition 0 is the disk */
	PART_SCHEME_MBR,
	PART_SCHEME_GPT,
};

/* One partition: blocks [start, start + count) of the disk. */
struct part {
	unsigned number;
	uint8_t mbr_type;		/* MBR: the record's type byte */
	bool logical;			/* MBR: inside an extended partition */
	uint64_t start;
	uint64_t count;
	uint64_t gpt_attrs;		/* GPT: attribute bits */
	char type_guid[PART_GUID_LEN];	/* GPT: lower case, else "" */
	char guid[PART_GUID_LEN];	/* GPT: unique partition GUID */
	char name[PART_NAME_LEN];	/* GPT: UTF-8, control chars as '?' */
};

struct part_table {
	enum part_scheme scheme;
	uint64_t block_count;		/* of the disk */
	uint32_t block_size;
	uint32_t mbr_signature;		/* MBR: disk signature (offset 440) */
	/* GPT: the header in use and what it says. */
	uint64_t gpt_header_lba;	/* 1, or the backup's LBA */
	bool gpt_backup;		/* the primary was bad */
	uint64_t gpt_first_usable, gpt_last_usable;
	uint32_t gpt_entries;		/* slots in the entry array */
	char gpt_disk_guid[PART_GUID_LEN];
	unsigned count;			/* parts[0..count) in number order */
	struct part parts[PART_MAX + 1];
	char warning[320];		/* "" or a note to log (backup in use) */
	char error[320];		/* why parsing failed */
};

/*
 * The disk: read `count` blocks from `lba` into buf (count * block_size
 * bytes). The parsers only ask for blocks inside [0, block_count) and for
 * at most PART_CHUNK bytes at once. read returns 0 or a negative errno.
 */
struct part_io {
	int (*read)(void *ctx, uint64_t lba, uint64_t count, void *buf);
	void *ctx;
	uint64_t block_count;
	uint32_t block_size;
};

/*
 * Read the partition table of the disk: the MBR in block 0, and the GPT
 * when the MBR is protective (a record of type 0xEE). Fills *t.
 * Returns 0; -EINVAL for a corrupt table or unsupported geometry, -E2BIG
 * for more partitions than PART_MAX, -EIO (or read's error) when the disk
 * failed; on error t->error says why and t->count is 0.
 */
int part_table_parse(const struct part_io *io, struct part_table *t)
    __attribute__((warn_unused_result));

/* The partition numbered `number`, or NULL. */
const struct part *part_table_find(const struct part_table *t,
    unsigned number);

/* "MBR", "GPT" or "none", for logs and reports. */
const char *part_scheme_name(enum part_scheme s);

/* --- for the parsers (part_table.c) --- */

/* Fail: store the message in t->error, empty the table, return err. */
int part_fail(struct part_table *t, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Append a partition; -E2BIG (with t->error) when the table is full. */
int part_add(struct part_table *t, const struct part *p)
    __attribute__((warn_unused_result));

/*
 * Check that no two of parts[from..count) overlap; `what` names the
 * entries in the message ("MBR partition", "GPT entry"). 0 or -EINVAL.
 */
int part_check_overlap(struct part_table *t, unsigned from, const char *what)
    __attribute__((warn_unused_result));

/* Read with the bounds the parsers promise checked once more. */
int part_read(const struct part_io *io, uint64_t lba, uint64_t count,
    void *buf) __attribute__((warn_unused_result));

/* Little-endian loads. */
static inline uint16_t
part_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t
part_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static inline uint64_t
part_le64(const uint8_t *p)
{
	return (uint64_t)part_le32(p) | (uint64_t)part_le32(p + 4) << 32;
}

#endif
