/*
 * part_blk: the GPT parser (UEFI 2.x GUID partition table).
 * SPDX-License-Identifier: MIT
 */
#ifndef PART_BLK_GPT_H
#define PART_BLK_GPT_H

#include <stddef.h>
#include <stdint.h>

#include "part_table.h"

/* Header layout (little endian). */
#define GPT_SIGNATURE		"EFI PART"
#define GPT_HEADER_MIN		92	/* bytes covered by the header CRC, least */
#define GPT_ENTRY_MIN		128
#define GPT_NAME_UNITS		36	/* UTF-16 code units of a name */

/*
 * Read the GPT of io into t (block 0 was a protective MBR). The primary
 * header at LBA 1 is used when it is sound: signature, header size, header
 * CRC32, its own LBA, a usable range inside the disk, an entry size of 128
 * times a power of two (at most PART_CHUNK), an entry count of at most
 * PART_GPT_ENTRIES_MAX and PART_GPT_ARRAY_MAX bytes of entries, an entry
 * array inside the disk and clear of the headers and the usable range, and
 * the entry array's CRC32. Otherwise the backup header in the last block
 * is tried the same way, and t->warning says why the primary was passed
 * over; when the primary is used and the backup is bad, the warning says
 * that instead. Every non-empty entry i becomes partition i + 1; it must
 * lie inside the disk and the usable range, and no two may overlap.
 * Returns 0 or a negative errno with t->error set.
 */
int gpt_parse(const struct part_io *io, struct part_table *t)
    __attribute__((warn_unused_result));

/* CRC-32 (IEEE 802.3, reflected, as UEFI uses): start with crc = 0. */
uint32_t gpt_crc32(uint32_t crc, const void *buf, size_t len);

/* Format the 16-byte mixed-endian GUID at g as lower-case text. */
void gpt_guid_str(const uint8_t *g, char dst[PART_GUID_LEN]);

/*
 * Convert up to `units` UTF-16LE code units at src (ending early at a NUL)
 * to NUL-terminated UTF-8 in dst, which holds at least 3 * units + 1
 * bytes. Unpaired surrogates become U+FFFD, control characters '?'.
 * Returns the length written.
 */
size_t gpt_name_utf8(const uint8_t *src, unsigned units, char *dst);

#endif
