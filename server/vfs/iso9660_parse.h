/*
 * ISO 9660 on-disk structures, decoded without I/O: volume descriptors,
 * directory records, path tables, Joliet names and the System Use
 * Sharing Protocol with the Rock Ridge entries (names, modes, symlinks,
 * times, relocated directories).
 * SPDX-License-Identifier: MIT
 *
 * After ECMA-119 (volume descriptors from sector 16, directory records
 * that never cross a 2048-byte sector, both-endian numbers of which the
 * little-endian half is used), SUSP 1.12 and RRIP 1.12 (IEEE P1281 and
 * P1282), and the Joliet specification (a supplementary descriptor with
 * escape sequence %/@, %/C or %/E and UCS-2 big-endian names).
 *
 * Functions that judge input return 0 or -EINVAL with a message in err
 * naming the structure and the offending value.
 */
#ifndef VFS_ISO9660_PARSE_H
#define VFS_ISO9660_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ISO_SECTOR		2048
#define ISO_VD_FIRST		16	/* sector of the first descriptor */
#define ISO_VD_MAX		64	/* descriptors we look at, at most */
#define ISO_REC_MIN		34	/* a record with a 1-byte name */

enum iso_vd_type {
	ISO_VD_BOOT = 0,
	ISO_VD_PRIMARY = 1,
	ISO_VD_SUPPLEMENTARY = 2,
	ISO_VD_PARTITION = 3,
	ISO_VD_END = 255,
};

/* Directory record flags. */
#define ISO_F_HIDDEN		0x01
#define ISO_F_DIR		0x02
#define ISO_F_ASSOCIATED	0x04
#define ISO_F_MULTI		0x80	/* more extents follow */

struct iso_vd {
	enum iso_vd_type type;
	unsigned joliet;		/* SVD: Joliet level 1..3, 0: none */
	uint32_t block_size;		/* logical block: 512, 1024 or 2048 */
	uint32_t volume_blocks;
	uint32_t path_table_size;	/* bytes */
	uint32_t path_table;		/* block of the L path table */
	uint8_t root[ISO_REC_MIN];	/* the root's directory record */
	char volume_id[33];		/* trimmed */
};

/*
 * Decode the descriptor in sec (ISO_SECTOR bytes). Returns 0 with vd
 * filled for every type (only the type for others than primary and
 * supplementary), or -EINVAL (no "CD001", bad block size).
 */
int iso_vd_parse(const uint8_t *sec, struct iso_vd *vd, char *err,
    size_t ecap) __attribute__((warn_unused_result));

struct iso_rec {
	uint32_t len;			/* bytes of the record */
	uint32_t ext_attr;		/* blocks of extended attributes */
	uint32_t extent;		/* first block */
	uint32_t size;			/* bytes */
	uint8_t date[7];
	uint8_t flags;
	uint8_t unit, gap;		/* interleaving */
	const uint8_t *name;		/* inside the record */
	uint32_t name_len;
	const uint8_t *su;		/* the System Use area */
	uint32_t su_len;
};

/*
 * Decode the directory record at p with `avail` bytes up to the end of
 * its sector. -EINVAL when it does not fit or its name overruns it.
 */
int iso_rec_parse(const uint8_t *p, size_t avail, struct iso_rec *r,
    char *err, size_t ecap) __attribute__((warn_unused_result));

/* "." and ".." are recorded as the names 0x00 and 0x01. */
bool iso_rec_is_dot(const struct iso_rec *r);

/* Seconds since 1970 of a 7-byte recording date (with its UTC offset). */
int64_t iso_date7(const uint8_t *d);
/* Of a 17-byte "YYYYMMDDHHMMSShh" + offset date; 0 when unset. */
int64_t iso_date17(const uint8_t *d);

/*
 * The name of a record as shown: plain ISO names lose ";version" and a
 * trailing '.', and are shown in lower case (as Linux does); Joliet
 * names are converted from UCS-2 (UTF-16) big endian. Returns the length,
 * or 0 when the name is empty, "." or "..", contains '/' or NUL, or does
 * not fit cap.
 */
size_t iso_name_plain(const uint8_t *name, size_t len, char *out, size_t cap);
size_t iso_name_joliet(const uint8_t *name, size_t len, char *out,
    size_t cap);

/* --- SUSP and Rock Ridge --- */

#define ISO_RR_NAME_MAX		255
#define ISO_RR_LINK_MAX		1023

struct iso_rr {
	/* Found in the area of the root's "." record. */
	bool sp;			/* SP: SUSP is in use */
	uint8_t skip;			/* SP: bytes to skip in each area */
	bool er_rrip;			/* ER naming RRIP */
	/* PX */
	bool px;
	uint32_t mode, nlink, uid, gid;
	/* NM */
	bool nm;
	bool nm_more;			/* the name continues */
	char name[ISO_RR_NAME_MAX + 1];
	size_t name_len;
	bool name_bad;			/* too long, '/', NUL, "." or ".." */
	/* SL */
	bool sl;
	bool sl_slash;			/* the next component needs a '/' */
	char link[ISO_RR_LINK_MAX + 1];
	size_t link_len;
	bool link_bad;			/* too long */
	/* TF */
	bool tf;
	int64_t mtime, atime, ctime;
	/* Relocation (RRIP 4.1.5): CL, PL, RE. */
	uint32_t child;			/* CL: the directory's real extent */
	bool relocated;			/* RE: shown where CL points from */
	/* CE: a continuation area to read and parse next. */
	bool ce;
	uint32_t ce_block, ce_offset, ce_len;
	unsigned entries;		/* entries seen, for tests */
};

void iso_rr_init(struct iso_rr *rr);

/*
 * Parse the SUSP entries of one area (a record's System Use area after
 * the SP skip bytes, or a continuation area). A CE entry is remembered in
 * rr->ce (a later one replaces it); the caller reads that area and calls
 * again after clearing rr->ce, at most ISO_RR_MAX_CE times. An ST entry
 * or the end of the area ends the area; so does an entry whose length
 * does not fit (as Linux does). Returns 0, or -EINVAL for an entry that
 * is malformed beyond that (with err).
 */
#define ISO_RR_MAX_CE		32
int iso_susp_parse(const uint8_t *area, size_t len, struct iso_rr *rr,
    char *err, size_t ecap) __attribute__((warn_unused_result));

/*
 * Check the L path table buf (len bytes, as the descriptor sizes it) of
 * a volume of volume_blocks blocks: every entry's extent inside the
 * volume, every parent an earlier entry, the first entry the root.
 * Returns the number of entries, or -EINVAL with err naming the entry.
 */
long iso_path_table_check(const uint8_t *buf, size_t len,
    uint32_t volume_blocks, char *err, size_t ecap);

#endif
