/*
 * part_blk: the MBR parser (primary, extended and logical partitions).
 * SPDX-License-Identifier: MIT
 */
#ifndef PART_BLK_MBR_H
#define PART_BLK_MBR_H

#include "part_table.h"

/* mbr_parse() result: block 0 is a protective MBR; read the GPT. */
#define MBR_PROTECTIVE	1

/* MBR layout (all multi-byte fields little endian). */
#define MBR_SIGNATURE_OFF	440
#define MBR_RECORDS_OFF		446
#define MBR_RECORD_SIZE		16
#define MBR_MAGIC_OFF		510

/* Record types that matter to the parser. */
#define MBR_TYPE_EMPTY		0x00
#define MBR_TYPE_EXTENDED	0x05
#define MBR_TYPE_EXTENDED_LBA	0x0f
#define MBR_TYPE_EXTENDED_LINUX	0x85
#define MBR_TYPE_GPT		0xee

/*
 * Read block 0 of io and fill t (whose geometry part_table_parse() set).
 * Without the 0x55 0xAA magic the table is partition 0, the whole disk.
 * With a record of type 0xEE the result is MBR_PROTECTIVE and t is left
 * for gpt_parse(). Otherwise primaries become partitions 1-4 by slot and
 * each extended partition (types 0x05, 0x0F, 0x85) is walked along its
 * EBR chain, its logical partitions numbered from 5 on. Checks: every
 * partition inside the disk and clear of LBA 0, logical ones inside their
 * extended partition and clear of every EBR, no two overlapping; the
 * chain must stay inside the extended partition, never revisit an EBR
 * and end within PART_EBR_MAX links. An EBR without magic ends its chain.
 * Returns 0, MBR_PROTECTIVE, or a negative errno with t->error set.
 */
int mbr_parse(const struct part_io *io, struct part_table *t)
    __attribute__((warn_unused_result));

#endif
