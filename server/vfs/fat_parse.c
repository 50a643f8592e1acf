/*
 * FAT on-disk structures: decoding, checking and encoding without I/O.
 * SPDX-License-Identifier: MIT
 *
 * The FAT type: Microsoft's rule is the cluster count alone; Linux and
 * dosfstools take a boot sector whose 16-bit FAT size is 0 as FAT32 even
 * when it has fewer clusters (mkfs.fat -F 32 makes such volumes), and so
 * do we. FAT12 and FAT16 follow from the count.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "fat_parse.h"
#include "utf8.h"

#define FAT12_MAX_CLUSTERS	4084
#define FAT16_MAX_CLUSTERS	65524
#define FAT32_MAX_CLUSTERS	0x0ffffff5u

static uint16_t
le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t
le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static bool
pow2(uint32_t v)
{
	return v != 0 && (v & (v - 1)) == 0;
}

static int
bad(char *err, size_t ecap, const char *fmt, unsigned long long v)
{
	snprintf(err, ecap, fmt, v);
	return -EINVAL;
}

static void
trim_label(const uint8_t *src, char *dst)
{
	int n = 11;

	memcpy(dst, src, 11);
	while (n > 0 && (dst[n - 1] == ' ' || dst[n - 1] == '\0'))
		n--;
	dst[n] = '\0';
	if (strcmp(dst, "NO NAME") == 0)
		dst[0] = '\0';
}

int
fat_bpb_parse(const uint8_t *s, size_t len, uint64_t dev_bytes,
    struct fat_bpb *b, char *err, size_t ecap)
{
	uint32_t spc, fat16, rootsec;
	uint64_t tot, meta, clusters, need;

	memset(b, 0, sizeof(*b));
	if (len < 512)
		return bad(err, ecap, "boot sector: %llu bytes, need 512", len);
	if (s[510] != 0x55 || s[511] != 0xaa)
		return bad(err, ecap, "boot sector: no 0x55aa signature "
		    "(found 0x%04llx): not a FAT volume",
		    (unsigned long long)(s[510] << 8 | s[511]));
	if (s[0] != 0xeb && s[0] != 0xe9)
		return bad(err, ecap, "boot sector: jump byte 0x%02llx is "
		    "neither 0xeb nor 0xe9: not a FAT volume", s[0]);
	b->sector_size = le16(s + 11);
	if (!pow2(b->sector_size) || b->sector_size < 512 ||
	    b->sector_size > 4096)
		return bad(err, ecap, "boot sector: bytes per sector %llu is "
		    "not 512, 1024, 2048 or 4096", b->sector_size);
	spc = s[13];
	if (!pow2(spc))
		return bad(err, ecap, "boot sector: sectors per cluster %llu "
		    "is not a power of two", spc);
	b->cluster_size = spc * b->sector_size;
	b->reserved = le16(s + 14);
	if (b->reserved == 0)
		return bad(err, ecap, "boot sector: %llu reserved sectors",
		    0);
	b->nfats = s[16];
	if (b->nfats == 0 || b->nfats > 4)
		return bad(err, ecap, "boot sector: %llu FATs (1 to 4 "
		    "allowed)", b->nfats);
	b->root_entries = le16(s + 17);
	tot = le16(s + 19);
	if (tot == 0)
		tot = le32(s + 32);
	b->total_sectors = tot;
	b->media = s[21];
	fat16 = le16(s + 22);
	b->fat_sectors = fat16 ? fat16 : le32(s + 36);
	if (b->fat_sectors == 0)
		return bad(err, ecap, "boot sector: FAT size %llu sectors", 0);
	if (fat16 == 0) {
		uint16_t ext = le16(s + 40);

		b->type = FAT32;
		if (b->root_entries != 0)
			return bad(err, ecap, "boot sector: FAT32 with %llu "
			    "fixed root entries", b->root_entries);
		if (le16(s + 42) != 0)
			return bad(err, ecap, "boot sector: FAT32 version "
			    "0x%04llx is not 0", le16(s + 42));
		b->root_cluster = le32(s + 44) & 0x0fffffff;
		b->fsinfo_sector = le16(s + 48);
		if (b->fsinfo_sector == 0xffff ||
		    b->fsinfo_sector >= b->reserved)
			b->fsinfo_sector = 0;
		b->mirror = !(ext & 0x80);
		b->active_fat = b->mirror ? 0 : ext & 0x0f;
		if (b->active_fat >= b->nfats)
			return bad(err, ecap, "boot sector: active FAT %llu of "
			    "a volume with fewer FATs", b->active_fat);
		if (s[66] == 0x29) {
			b->serial = le32(s + 67);
			trim_label(s + 71, b->label);
		}
	} else {
		b->mirror = true;
		if (b->root_entries == 0)
			return bad(err, ecap, "boot sector: FAT12/16 without "
			    "root directory entries (%llu)", 0);
		if (s[38] == 0x29) {
			b->serial = le32(s + 39);
			trim_label(s + 43, b->label);
		}
	}
	if (tot == 0)
		return bad(err, ecap, "boot sector: total sectors %llu", 0);
	rootsec = (uint32_t)(((uint64_t)b->root_entries * FAT_DIRENT_SIZE +
	    b->sector_size - 1) / b->sector_size);
	meta = b->reserved + (uint64_t)b->nfats * b->fat_sectors + rootsec;
	if (meta >= tot)
		return bad(err, ecap, "boot sector: reserved sectors, FATs and "
		    "root directory (%llu sectors) fill the whole volume",
		    meta);
	clusters = (tot - meta) / spc;
	if (clusters == 0)
		return bad(err, ecap, "boot sector: %llu data clusters", 0);
	if (b->type != FAT32)
		b->type = clusters <= FAT12_MAX_CLUSTERS ? FAT12 : FAT16;
	if (b->type == FAT16 && clusters > FAT16_MAX_CLUSTERS)
		return bad(err, ecap, "boot sector: %llu clusters are too many "
		    "for FAT16 and the FAT32 fields are not set", clusters);
	if (clusters > FAT32_MAX_CLUSTERS - 2)
		return bad(err, ecap, "boot sector: %llu clusters", clusters);
	b->clusters = (uint32_t)clusters;
	/* The FAT must hold an entry for every cluster, 0 and 1 included. */
	need = b->type == FAT12 ? ((clusters + 2) * 3 + 1) / 2 :
	    (clusters + 2) * (b->type / 8);
	b->fat_bytes = b->fat_sectors * b->sector_size;
	if (b->fat_bytes < need)
		return bad(err, ecap, "boot sector: a FAT of %llu bytes cannot "
		    "hold the volume's clusters", b->fat_bytes);
	b->fat_offset = (uint64_t)b->reserved * b->sector_size;
	b->root_offset = b->fat_offset + b->nfats * b->fat_bytes;
	b->root_bytes = (uint64_t)b->root_entries * FAT_DIRENT_SIZE;
	b->data_offset = b->root_offset + (uint64_t)rootsec * b->sector_size;
	b->volume_bytes = tot * b->sector_size;
	if (b->data_offset + clusters * b->cluster_size > dev_bytes)
		return bad(err, ecap, "boot sector: the volume (%llu bytes) is "
		    "larger than the device", b->volume_bytes);
	if (b->type == FAT32 && !fat_cluster_valid(b, b->root_cluster))
		return bad(err, ecap, "boot sector: root directory cluster "
		    "%llu lies outside the volume", b->root_cluster);
	return 0;
}

uint64_t
fat_cluster_offset(const struct fat_bpb *b, uint32_t c)
{
	return b->data_offset + (uint64_t)(c - 2) * b->cluster_size;
}

bool
fat_cluster_valid(const struct fat_bpb *b, uint32_t c)
{
	return c >= 2 && c - 2 < b->clusters;
}

/* --- FAT entries --- */

uint64_t
fat_entry_offset(const struct fat_bpb *b, uint32_t c)
{
	if (b->type == FAT12)
		return c + c / 2;
	return (uint64_t)c * (b->type / 8);
}

unsigned
fat_entry_bytes(const struct fat_bpb *b)
{
	return b->type == FAT32 ? 4 : 2;
}

uint32_t
fat_entry_decode(const struct fat_bpb *b, uint32_t c, const uint8_t *raw)
{
	switch (b->type) {
	case FAT12:
		return c & 1 ? le16(raw) >> 4 : le16(raw) & 0xfff;
	case FAT16:
		return le16(raw);
	default:
		return le32(raw) & 0x0fffffff;
	}
}

void
fat_entry_encode(const struct fat_bpb *b, uint32_t c, uint32_t v,
    uint8_t *raw)
{
	uint16_t w;

	switch (b->type) {
	case FAT12:
		w = le16(raw);
		if (c & 1)
			w = (uint16_t)((w & 0x000f) | (v & 0xfff) << 4);
		else
			w = (uint16_t)((w & 0xf000) | (v & 0xfff));
		put16(raw, w);
		break;
	case FAT16:
		put16(raw, (uint16_t)v);
		break;
	default:
		/* The top four bits are reserved: keep them. */
		put32(raw, (le32(raw) & 0xf0000000) | (v & 0x0fffffff));
		break;
	}
}

uint32_t
fat_eoc(const struct fat_bpb *b)
{
	return b->type == FAT12 ? 0xfff : b->type == FAT16 ? 0xffff :
	    0x0fffffff;
}

int
fat_next(const struct fat_bpb *b, uint32_t c, uint32_t v, uint32_t step,
    uint32_t limit, uint32_t *next, char *err, size_t ecap)
{
	uint32_t bad_v = b->type == FAT12 ? 0xff7 : b->type == FAT16 ?
	    0xfff7 : 0x0ffffff7;

	if (v >= bad_v + 1)
		return FAT_NEXT_END;
	if (v == bad_v) {
		snprintf(err, ecap, "cluster chain: cluster %u is marked bad",
		    c);
		return -EIO;
	}
	if (v == 0) {
		snprintf(err, ecap, "cluster chain: cluster %u is free but "
		    "belongs to a chain", c);
		return -EIO;
	}
	if (!fat_cluster_valid(b, v)) {
		snprintf(err, ecap, "cluster chain: cluster %u points to %u, "
		    "outside the volume (2 .. %u)", c, v, b->clusters + 1);
		return -EIO;
	}
	if (step + 1 >= limit) {
		snprintf(err, ecap, "cluster chain: longer than %u clusters "
		    "at cluster %u (a loop, or more than the size needs)",
		    limit, c);
		return -EIO;
	}
	*next = v;
	return FAT_NEXT_CLUSTER;
}

/* --- directory entries --- */

void
fat_dirent_decode(const struct fat_bpb *b, const uint8_t *raw,
    struct fat_dirent *e)
{
	memcpy(e->name, raw, 11);
	e->attr = raw[11];
	e->ntres = raw[12];
	e->ctime_tenth = raw[13];
	e->ctime = le16(raw + 14);
	e->cdate = le16(raw + 16);
	e->adate = le16(raw + 18);
	e->mtime = le16(raw + 22);
	e->mdate = le16(raw + 24);
	e->cluster = le16(raw + 26);
	if (b->type == FAT32)
		e->cluster |= (uint32_t)le16(raw + 20) << 16;
	e->size = le32(raw + 28);
}

void
fat_dirent_encode(const struct fat_bpb *b, const struct fat_dirent *e,
    uint8_t *raw)
{
	memcpy(raw, e->name, 11);
	raw[11] = e->attr;
	raw[12] = e->ntres;
	raw[13] = e->ctime_tenth;
	put16(raw + 14, e->ctime);
	put16(raw + 16, e->cdate);
	put16(raw + 18, e->adate);
	put16(raw + 20, b->type == FAT32 ? (uint16_t)(e->cluster >> 16) : 0);
	put16(raw + 22, e->mtime);
	put16(raw + 24, e->mdate);
	put16(raw + 26, (uint16_t)e->cluster);
	put32(raw + 28, e->size);
}

enum fat_slot
fat_slot_kind(const uint8_t *raw)
{
	if (raw[0] == FAT_SLOT_END)
		return FAT_SLOT_KIND_END;
	if (raw[0] == FAT_SLOT_FREE)
		return FAT_SLOT_KIND_FREE;
	if ((raw[11] & 0x3f) == FAT_ATTR_LFN)
		return FAT_SLOT_KIND_LFN;
	if (raw[11] & FAT_ATTR_VOLUME)
		return FAT_SLOT_KIND_VOLUME;
	if (raw[0] == '.' && (memcmp(raw, ".          ", 11) == 0 ||
	    memcmp(raw, "..         ", 11) == 0))
		return FAT_SLOT_KIND_DOT;
	return FAT_SLOT_KIND_ENTRY;
}

uint8_t
fat_lfn_checksum(const uint8_t name[11])
{
	uint8_t sum = 0;
	int i;

	for (i = 0; i < 11; i++)
		sum = (uint8_t)(((sum & 1) << 7) + (sum >> 1) + name[i]);
	return sum;
}

/* Where the 13 UTF-16 units of a long-name entry sit. */
static const uint8_t lfn_at[FAT_LFN_CHARS] = {
	1, 3, 5, 7, 9, 14, 16, 18, 20, 22, 24, 28, 30
};

void
fat_lfn_reset(struct fat_lfn *l)
{
	l->next = 0;
	l->count = 0;
}

void
fat_lfn_feed(struct fat_lfn *l, const uint8_t *raw)
{
	unsigned ord = raw[0] & 0x3f, i;

	if (ord == 0 || ord > FAT_LFN_MAX_ENTRIES || raw[12] != 0 ||
	    le16(raw + 26) != 0) {
		fat_lfn_reset(l);
		return;
	}
	if (raw[0] & 0x40) {
		/* The last piece comes first and starts a new name. */
		l->count = ord;
		l->csum = raw[13];
		memset(l->u, 0xff, sizeof(l->u));
	} else if (l->next != ord || raw[13] != l->csum) {
		fat_lfn_reset(l);
		return;
	}
	for (i = 0; i < FAT_LFN_CHARS; i++)
		l->u[(ord - 1) * FAT_LFN_CHARS + i] = le16(raw + lfn_at[i]);
	l->next = ord - 1;
}

size_t
fat_lfn_take(struct fat_lfn *l, const uint8_t name[11], char *out,
    size_t cap)
{
	unsigned i, len, count = l->count;
	size_t n = 0;
	bool ok = l->next == 0 && count > 0 &&
	    l->csum == fat_lfn_checksum(name);

	fat_lfn_reset(l);
	if (!ok || cap == 0)
		return 0;
	out[0] = '\0';
	len = count * FAT_LFN_CHARS;
	for (i = 0; i < len && l->u[i] != 0; i++)
		;
	len = i;
	if (len == 0 || len > FAT_LFN_MAX)
		return 0;
	for (i = 0; i < len; i++) {
		uint32_t cp = l->u[i];

		if (cp >= 0xd800 && cp < 0xdc00 && i + 1 < len &&
		    l->u[i + 1] >= 0xdc00 && l->u[i + 1] < 0xe000) {
			cp = 0x10000 + ((cp - 0xd800) << 10) +
			    (l->u[i + 1] - 0xdc00);
			i++;
		} else if (cp >= 0xd800 && cp < 0xe000)
			cp = 0xfffd;	/* a lone surrogate */
		if (cp == '/' || cp == 0)
			return 0;
		if (!put_utf8(out, cap, &n, cp))
			return 0;
	}
	if (strcmp(out, ".") == 0 || strcmp(out, "..") == 0)
		return 0;
	return n;
}

/* Code page 437, bytes 0x80 .. 0xff. */
static const uint16_t cp437[128] = {
	0x00c7, 0x00fc, 0x00e9, 0x00e2, 0x00e4, 0x00e0, 0x00e5, 0x00e7,
	0x00ea, 0x00eb, 0x00e8, 0x00ef, 0x00ee, 0x00ec, 0x00c4, 0x00c5,
	0x00c9, 0x00e6, 0x00c6, 0x00f4, 0x00f6, 0x00f2, 0x00fb, 0x00f9,
	0x00ff, 0x00d6, 0x00dc, 0x00a2, 0x00a3, 0x00a5, 0x20a7, 0x0192,
	0x00e1, 0x00ed, 0x00f3, 0x00fa, 0x00f1, 0x00d1, 0x00aa, 0x00ba,
	0x00bf, 0x2310, 0x00ac, 0x00bd, 0x00bc, 0x00a1, 0x00ab, 0x00bb,
	0x2591, 0x2592, 0x2593, 0x2502, 0x2524, 0x2561, 0x2562, 0x2556,
	0x2555, 0x2563, 0x2551, 0x2557, 0x255d, 0x255c, 0x255b, 0x2510,
	0x2514, 0x2534, 0x252c, 0x251c, 0x2500, 0x253c, 0x255e, 0x255f,
	0x255a, 0x2554, 0x2569, 0x2566, 0x2560, 0x2550, 0x256c, 0x2567,
	0x2568, 0x2564, 0x2565, 0x2559, 0x2558, 0x2552, 0x2553, 0x256b,
	0x256a, 0x2518, 0x250c, 0x2588, 0x2584, 0x258c, 0x2590, 0x2580,
	0x03b1, 0x00df, 0x0393, 0x03c0, 0x03a3, 0x03c3, 0x00b5, 0x03c4,
	0x03a6, 0x0398, 0x03a9, 0x03b4, 0x221e, 0x03c6, 0x03b5, 0x2229,
	0x2261, 0x00b1, 0x2265, 0x2264, 0x2320, 0x2321, 0x00f7, 0x2248,
	0x00b0, 0x2219, 0x00b7, 0x221a, 0x207f, 0x00b2, 0x25a0, 0x00a0,
};

static void
short_part(const uint8_t *p, int n, bool lower, char *out, size_t cap,
    size_t *len)
{
	int i;

	while (n > 0 && p[n - 1] == ' ')
		n--;
	for (i = 0; i < n; i++) {
		uint32_t c = p[i];

		if (i == 0 && c == 0x05)
			c = 0xe5;	/* a name that really starts with 0xe5 */
		if (c >= 0x80)
			c = cp437[c - 0x80];
		else if (lower && c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		else if (c < 0x20 || c == '/')
			c = '_';
		(void)put_utf8(out, cap, len, c);
	}
}

size_t
fat_short_name(const uint8_t name[11], uint8_t ntres, char *out, size_t cap)
{
	size_t n = 0;

	if (cap == 0)
		return 0;
	out[0] = '\0';
	short_part(name, 8, ntres & FAT_NT_LOWER_BASE, out, cap, &n);
	if (memcmp(name + 8, "   ", 3) != 0) {
		(void)put_utf8(out, cap, &n, '.');
		short_part(name + 8, 3, ntres & FAT_NT_LOWER_EXT, out, cap, &n);
	}
	return n;
}

/* --- names for new entries --- */

/* Next code point of UTF-8 s at *i: the value, or -1 when malformed. */
static long
next_cp(const char *s, size_t *i)
{
	const uint8_t *p = (const uint8_t *)s + *i;
	uint32_t cp;
	int k, j;

	if (p[0] < 0x80) {
		(*i)++;
		return p[0];
	}
	if ((p[0] & 0xe0) == 0xc0) {
		cp = p[0] & 0x1f;
		k = 1;
	} else if ((p[0] & 0xf0) == 0xe0) {
		cp = p[0] & 0x0f;
		k = 2;
	} else if ((p[0] & 0xf8) == 0xf0) {
		cp = p[0] & 0x07;
		k = 3;
	} else
		return -1;
	for (j = 1; j <= k; j++) {
		if ((p[j] & 0xc0) != 0x80)
			return -1;
		cp = cp << 6 | (p[j] & 0x3f);
	}
	if ((k == 1 && cp < 0x80) || (k == 2 && cp < 0x800) ||
	    (k == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp < 0xe000))
		return -1;
	*i += (size_t)k + 1;
	return cp;
}

static uint32_t
fold(uint32_t c)
{
	if (c >= 'a' && c <= 'z')
		return c - 32;
	if ((c >= 0xe0 && c <= 0xfe && c != 0xf7) ||
	    (c >= 0x3b1 && c <= 0x3c9 && c != 0x3c2) ||
	    (c >= 0x430 && c <= 0x44f))
		return c - 32;
	if (c == 0xff)
		return 0x178;
	if (c >= 0x450 && c <= 0x45f)
		return c - 80;
	if (c >= 0x100 && c <= 0x17f && c != 0x130 && c != 0x131 &&
	    c != 0x138 && c != 0x149 && c != 0x17f &&
	    !(c >= 0x139 && c <= 0x148) && !(c >= 0x179 && c <= 0x17e))
		return c & ~1u;
	if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17e))
		return (c & 1) ? c : c - 1;
	return c;
}

bool
fat_name_equal(const char *a, const char *b)
{
	size_t i = 0, j = 0;

	for (;;) {
		long x, y;

		if (a[i] == '\0' || b[j] == '\0')
			return a[i] == '\0' && b[j] == '\0';
		x = next_cp(a, &i);
		y = next_cp(b, &j);
		if (x < 0 || y < 0)
			return false;
		if (fold((uint32_t)x) != fold((uint32_t)y))
			return false;
	}
}

/* Characters a short name may hold besides letters and digits. */
static bool
short_ok(uint32_t c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || (c != 0 && c < 0x80 &&
	    strchr("$%'-_@~`!(){}^#&", (int)c) != NULL);
}

int
fat_name_make(const char *name, struct fat_name *n)
{
	uint32_t cps[FAT_LFN_MAX + 1];
	unsigned ncp = 0, i, k, dot, base_len, ext_len;
	bool base_lo = false, base_up = false, ext_lo = false, ext_up = false;
	bool exact = true;
	size_t at = 0;

	memset(n, 0, sizeof(*n));
	while (name[at] != '\0') {
		long cp = next_cp(name, &at);

		if (cp < 0)
			return -EINVAL;
		if (cp < 0x20 || cp == 0x7f ||
		    (cp < 0x80 && strchr("\"*/:<>?\\|", (int)cp) != NULL))
			return -EINVAL;
		if (ncp >= FAT_LFN_MAX)
			return -ENAMETOOLONG;
		cps[ncp++] = (uint32_t)cp;
		if (cp >= 0x10000) {
			if (n->len + 2 > FAT_LFN_MAX)
				return -ENAMETOOLONG;
			n->u[n->len++] = (uint16_t)(0xd800 + ((cp - 0x10000) >> 10));
			n->u[n->len++] = (uint16_t)(0xdc00 + ((cp - 0x10000) & 0x3ff));
		} else {
			if (n->len + 1 > FAT_LFN_MAX)
				return -ENAMETOOLONG;
			n->u[n->len++] = (uint16_t)cp;
		}
	}
	if (ncp == 0 || cps[ncp - 1] == '.' || cps[ncp - 1] == ' ')
		return -EINVAL;

	/* The last dot that is not the first character splits the name. */
	dot = ncp;
	for (i = ncp; i-- > 1; )
		if (cps[i] == '.') {
			dot = i;
			break;
		}
	/* Exact 8.3 in one case per part: stored without a long name. */
	base_len = dot;
	ext_len = dot < ncp ? ncp - dot - 1 : 0;
	if (base_len == 0 || base_len > 8 || ext_len > 3 ||
	    (dot < ncp && ext_len == 0))
		exact = false;
	for (i = 0; i < ncp && exact; i++) {
		uint32_t c = cps[i];
		bool in_ext = i > dot;

		if (i == dot)
			continue;
		if (!short_ok(c)) {
			exact = false;
			break;
		}
		if (c >= 'a' && c <= 'z')
			*(in_ext ? &ext_lo : &base_lo) = true;
		if (c >= 'A' && c <= 'Z')
			*(in_ext ? &ext_up : &base_up) = true;
	}
	if ((base_lo && base_up) || (ext_lo && ext_up))
		exact = false;

	/* The basis: upper case, invalid characters as '_', no spaces and
	 * no leading dots (fatgen103, "Basis-Name Generation"). */
	memset(n->basis, ' ', 11);
	n->lossy = false;
	for (i = 0, k = 0; i < dot && k < 8; i++) {
		uint32_t c = cps[i];

		if (c == ' ' || (c == '.' && k == 0)) {
			n->lossy = true;
			continue;
		}
		if (c == '.')
			break;		/* the basis ends at its first period */
		if (c >= 'a' && c <= 'z')
			c -= 32;
		if (!short_ok(c)) {
			c = '_';
			n->lossy = true;
		}
		n->basis[k++] = (uint8_t)c;
	}
	if (i < dot)
		n->lossy = true;		/* base truncated */
	if (k == 0) {
		n->basis[k++] = '_';
		n->lossy = true;
	}
	for (i = dot + 1, k = 8; i < ncp && k < 11; i++) {
		uint32_t c = cps[i];

		if (c == ' ') {
			n->lossy = true;
			continue;
		}
		if (c >= 'a' && c <= 'z')
			c -= 32;
		if (!short_ok(c)) {
			c = '_';
			n->lossy = true;
		}
		n->basis[k++] = (uint8_t)c;
	}
	if (i < ncp)
		n->lossy = true;		/* extension truncated */
	if (exact) {
		n->need_lfn = false;
		n->lossy = false;
		n->ntres = (base_lo ? FAT_NT_LOWER_BASE : 0) |
		    (ext_lo ? FAT_NT_LOWER_EXT : 0);
	} else {
		n->need_lfn = true;
		/* A name that differs from its basis in case only keeps the
		 * basis (Windows does the same); anything lost needs a tail. */
	}
	if (n->basis[0] == FAT_SLOT_FREE)
		n->basis[0] = 0x05;
	return 0;
}

void
fat_short_tail(const uint8_t basis[11], unsigned k, uint8_t out[11])
{
	char tail[8];
	int tl = snprintf(tail, sizeof(tail), "~%u", k), bl = 8;

	memcpy(out, basis, 11);
	while (bl > 0 && out[bl - 1] == ' ')
		bl--;
	if (bl > 8 - tl)
		bl = 8 - tl;
	memcpy(out + bl, tail, (size_t)tl);
	memset(out + bl + tl, ' ', (size_t)(8 - bl - tl));
}

unsigned
fat_lfn_entries(const struct fat_name *n)
{
	return n->need_lfn ? (n->len + FAT_LFN_CHARS - 1) / FAT_LFN_CHARS : 0;
}

void
fat_lfn_encode(const struct fat_name *n, unsigned ord, bool last,
    uint8_t csum, uint8_t *raw)
{
	unsigned i, at = (ord - 1) * FAT_LFN_CHARS;

	memset(raw, 0, FAT_DIRENT_SIZE);
	raw[0] = (uint8_t)(ord | (last ? 0x40 : 0));
	raw[11] = FAT_ATTR_LFN;
	raw[13] = csum;
	for (i = 0; i < FAT_LFN_CHARS; i++) {
		uint16_t u = at + i < n->len ? n->u[at + i] :
		    at + i == n->len ? 0 : 0xffff;

		put16(raw + lfn_at[i], u);
	}
}

/* --- times --- */

static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

int64_t
fat_time_decode(uint16_t date, uint16_t time, unsigned tenth)
{
	unsigned y = 1980 + (date >> 9), m = date >> 5 & 15, d = date & 31;
	unsigned hh = time >> 11, mm = time >> 5 & 63, ss = (time & 31) * 2;

	if (date == 0)
		return 0;
	if (m < 1 || m > 12)
		m = 1;
	if (d < 1)
		d = 1;
	if (hh > 23)
		hh = 23;
	if (mm > 59)
		mm = 59;
	return days_from_civil(y, m, d) * 86400 + hh * 3600 + mm * 60 + ss +
	    (tenth < 200 ? tenth / 100 : 0);
}

void
fat_time_encode(int64_t t, uint32_t nsec, uint16_t *date, uint16_t *time,
    uint8_t *tenth)
{
	int64_t lo = 315532800, hi = 4354819199ll;	/* 1980 .. 2107 */
	int64_t days, z, era, secs;
	unsigned doe, yoe, doy, mp, d, m, y;

	if (t < lo) {
		t = lo;
		nsec = 0;
	}
	if (t > hi)
		t = hi;
	days = t / 86400;
	secs = t % 86400;
	z = days + 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp < 10 ? mp + 3 : mp - 9;
	y = (unsigned)(yoe + era * 400) + (m <= 2);
	*date = (uint16_t)((y - 1980) << 9 | m << 5 | d);
	*time = (uint16_t)((secs / 3600) << 11 | (secs / 60 % 60) << 5 |
	    (secs % 60) / 2);
	if (tenth)
		*tenth = (uint8_t)((secs % 2) * 100 + nsec / 10000000);
}

/* --- FSInfo --- */

int
fat_fsinfo_parse(const uint8_t *sec, uint32_t *free_count,
    uint32_t *next_free)
{
	if (le32(sec) != 0x41615252 || le32(sec + 484) != 0x61417272 ||
	    le32(sec + 508) != 0xaa550000)
		return -EINVAL;
	*free_count = le32(sec + 488);
	*next_free = le32(sec + 492);
	return 0;
}

void
fat_fsinfo_encode(uint8_t *sec, uint32_t free_count, uint32_t next_free)
{
	put32(sec + 488, free_count);
	put32(sec + 492, next_free);
}
