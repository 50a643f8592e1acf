/*
 * vfs: appending a code point as UTF-8, for the on-disk name decoders (FAT's
 * long names, Joliet's UCS-2) that must stay linkable alone.
 * SPDX-License-Identifier: MIT
 */
#ifndef CAIRN_VFS_UTF8_H
#define CAIRN_VFS_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Append code point cp as UTF-8; false when it does not fit. */
static inline bool
put_utf8(char *out, size_t cap, size_t *n, uint32_t cp)
{
	uint8_t b[4];
	size_t k;

	if (cp < 0x80) {
		b[0] = (uint8_t)cp;
		k = 1;
	} else if (cp < 0x800) {
		b[0] = (uint8_t)(0xc0 | cp >> 6);
		b[1] = (uint8_t)(0x80 | (cp & 0x3f));
		k = 2;
	} else if (cp < 0x10000) {
		b[0] = (uint8_t)(0xe0 | cp >> 12);
		b[1] = (uint8_t)(0x80 | (cp >> 6 & 0x3f));
		b[2] = (uint8_t)(0x80 | (cp & 0x3f));
		k = 3;
	} else {
		b[0] = (uint8_t)(0xf0 | cp >> 18);
		b[1] = (uint8_t)(0x80 | (cp >> 12 & 0x3f));
		b[2] = (uint8_t)(0x80 | (cp >> 6 & 0x3f));
		b[3] = (uint8_t)(0x80 | (cp & 0x3f));
		k = 4;
	}
	if (*n + k + 1 > cap)
		return false;
	memcpy(out + *n, b, k);
	*n += k;
	out[*n] = '\0';
	return true;
}

#endif
