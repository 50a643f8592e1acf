/*
 * FAT on-disk structures, decoded and encoded without I/O: the boot sector
 * (BPB), FAT entries and cluster chains, directory entries, VFAT long names
 * and the 8.3 short names made for them.
 * SPDX-License-Identifier: MIT
 *
 * After Microsoft's "FAT: General Overview of On-Disk Format" (fatgen103):
 * the FAT type follows from the count of data clusters alone (fewer than
 * 4085: FAT12, fewer than 65525: FAT16, else FAT32); cluster numbers run
 * from 2 to clusters + 1. Names in and out are UTF-8; long names are
 * UTF-16 on disk, short names code page 437 (what Linux and mtools
 * assume). Times are taken as UTC.
 *
 * Functions that judge input return 0 or a negative errno and, where a
 * caller may want to tell the user, a message naming the structure and
 * the offending value in err (at most ecap bytes).
 */
#ifndef VFS_FAT_PARSE_H
#define VFS_FAT_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FAT_DIRENT_SIZE		32
#define FAT_LFN_CHARS		13	/* UTF-16 units per long-name entry */
#define FAT_LFN_MAX		255	/* UTF-16 units of a long name */
#define FAT_LFN_MAX_ENTRIES	20
#define FAT_MAX_FILE_SIZE	0xffffffffull
/* fatgen103: a directory holds at most 65536 entries (2 MiB). */
#define FAT_MAX_DIR_SLOTS	65536u

#define FAT_ATTR_RO		0x01
#define FAT_ATTR_HIDDEN		0x02
#define FAT_ATTR_SYSTEM		0x04
#define FAT_ATTR_VOLUME		0x08
#define FAT_ATTR_DIR		0x10
#define FAT_ATTR_ARCHIVE	0x20
#define FAT_ATTR_LFN		0x0f

/* The NT reserved byte: base name / extension shown in lower case. */
#define FAT_NT_LOWER_BASE	0x08
#define FAT_NT_LOWER_EXT	0x10

#define FAT_SLOT_FREE		0xe5	/* first name byte of a deleted entry */
#define FAT_SLOT_END		0x00	/* this and all later slots are free */

enum fat_type {
	FAT12 = 12,
	FAT16 = 16,
	FAT32 = 32,
};

/* A volume, as its boot sector describes it; offsets are in bytes. */
struct fat_bpb {
	enum fat_type type;
	uint32_t sector_size;		/* 512 .. 4096 */
	uint32_t cluster_size;		/* bytes, sector_size .. 2 MiB */
	uint32_t reserved;		/* sectors before the first FAT */
	uint32_t nfats;
	uint32_t root_entries;		/* FAT12/16: slots of the root */
	uint64_t total_sectors;
	uint64_t fat_sectors;		/* per FAT */
	uint32_t clusters;		/* data clusters: 2 .. clusters + 1 */
	uint32_t root_cluster;		/* FAT32 */
	uint32_t fsinfo_sector;		/* FAT32, 0: none */
	uint32_t active_fat;		/* FAT32 without mirroring */
	bool mirror;			/* write every FAT */
	uint8_t media;
	uint32_t serial;
	char label[12];			/* from the boot sector, trimmed */
	uint64_t fat_offset;		/* first FAT */
	uint64_t fat_bytes;		/* size of one FAT */
	uint64_t root_offset;		/* FAT12/16: the fixed root directory */
	uint64_t root_bytes;
	uint64_t data_offset;		/* cluster 2 */
	uint64_t volume_bytes;
};

/*
 * Decode the boot sector sec (at least 512 bytes) of a volume on a device
 * of dev_bytes. -EINVAL with err naming the field when it is no FAT or its
 * geometry does not fit together or on the device.
 */
int fat_bpb_parse(const uint8_t *sec, size_t len, uint64_t dev_bytes,
    struct fat_bpb *b, char *err, size_t ecap)
    __attribute__((warn_unused_result));

/* Byte offset of cluster c (2 .. clusters + 1) on the volume. */
uint64_t fat_cluster_offset(const struct fat_bpb *b, uint32_t c);

/* Is c a data cluster of the volume? */
bool fat_cluster_valid(const struct fat_bpb *b, uint32_t c);

/* --- FAT entries --- */

/*
 * Entry c lives at fat_entry_offset() bytes into a FAT and takes
 * fat_entry_bytes() bytes (FAT12: two bytes that share a nibble with a
 * neighbour; decode and encode handle that).
 */
uint64_t fat_entry_offset(const struct fat_bpb *b, uint32_t c);
unsigned fat_entry_bytes(const struct fat_bpb *b);
uint32_t fat_entry_decode(const struct fat_bpb *b, uint32_t c,
    const uint8_t *raw);
/* Put value v for cluster c into raw, keeping the bits it does not own. */
void fat_entry_encode(const struct fat_bpb *b, uint32_t c, uint32_t v,
    uint8_t *raw);
/* The end-of-chain value written for the last cluster of a chain. */
uint32_t fat_eoc(const struct fat_bpb *b);

enum fat_next {
	FAT_NEXT_CLUSTER,	/* *next holds the following cluster */
	FAT_NEXT_END,		/* end of chain */
};

/*
 * Judge entry value v found for cluster c, the `step`th cluster (0 for the
 * first) of a chain that may have at most `limit` clusters. Returns
 * FAT_NEXT_CLUSTER with *next, FAT_NEXT_END, or -EIO with err saying why:
 * a free or bad cluster inside the chain, a successor outside the volume,
 * or a chain longer than limit (a loop, or more than the file needs).
 */
int fat_next(const struct fat_bpb *b, uint32_t c, uint32_t v, uint32_t step,
    uint32_t limit, uint32_t *next, char *err, size_t ecap);

/* --- directory entries --- */

struct fat_dirent {
	uint8_t name[11];	/* space padded, name[0] 0x05 for 0xe5 */
	uint8_t attr;
	uint8_t ntres;		/* FAT_NT_LOWER_* */
	uint8_t ctime_tenth;
	uint16_t ctime, cdate;
	uint16_t adate;
	uint16_t mtime, mdate;
	uint32_t cluster;	/* high half only on FAT32 */
	uint32_t size;
};

void fat_dirent_decode(const struct fat_bpb *b, const uint8_t *raw,
    struct fat_dirent *e);
void fat_dirent_encode(const struct fat_bpb *b, const struct fat_dirent *e,
    uint8_t *raw);

/* Slot kinds, from the raw 32 bytes. */
enum fat_slot {
	FAT_SLOT_KIND_END,	/* 0x00: no entry here or after */
	FAT_SLOT_KIND_FREE,	/* deleted */
	FAT_SLOT_KIND_LFN,	/* a piece of a long name */
	FAT_SLOT_KIND_VOLUME,	/* the volume label */
	FAT_SLOT_KIND_DOT,	/* "." or ".." */
	FAT_SLOT_KIND_ENTRY,	/* a file or directory */
};

enum fat_slot fat_slot_kind(const uint8_t *raw);

/* The checksum of a short name that its long-name entries carry. */
uint8_t fat_lfn_checksum(const uint8_t name[11]);

/*
 * Assembly of a long name from the slots before a short entry, in disk
 * order (the last piece first, flagged 0x40). Feed every LFN slot; when
 * the short entry comes, fat_lfn_take() yields the name if the pieces were
 * complete, in order and carry the short name's checksum. Anything else
 * (an orphaned or interleaved piece) is dropped, as Windows does.
 */
struct fat_lfn {
	uint16_t u[FAT_LFN_MAX_ENTRIES * FAT_LFN_CHARS];
	unsigned next;		/* the ordinal expected next, 0: none */
	unsigned count;		/* pieces of the name */
	uint8_t csum;
};

void fat_lfn_reset(struct fat_lfn *l);
void fat_lfn_feed(struct fat_lfn *l, const uint8_t *raw);
/*
 * The assembled name as UTF-8 in out (cap bytes) for the short entry
 * `name`: its length, or 0 when there is no valid long name (the state is
 * reset either way).
 */
size_t fat_lfn_take(struct fat_lfn *l, const uint8_t name[11], char *out,
    size_t cap);

/* The short name as shown: "NAME.EXT", lower case as ntres says. */
size_t fat_short_name(const uint8_t name[11], uint8_t ntres, char *out,
    size_t cap);

/* --- names for new entries --- */

/* How a name is stored. */
struct fat_name {
	uint16_t u[FAT_LFN_MAX + 1];	/* the name in UTF-16 */
	unsigned len;			/* units */
	uint8_t basis[11];		/* short name, or the basis for tails */
	uint8_t ntres;			/* case bits when no long name */
	bool need_lfn;			/* the short name alone loses data */
	bool lossy;			/* basis differs: a tail is required */
};

/*
 * Classify UTF-8 name for a new entry: -EINVAL (bad UTF-8, characters FAT
 * forbids, trailing dot or space), -ENAMETOOLONG (over 255 UTF-16 units),
 * else 0. A name that is a valid 8.3 name whose base and extension are
 * each in one case needs no long name (the NT case bits keep the case).
 */
int fat_name_make(const char *name, struct fat_name *n)
    __attribute__((warn_unused_result));

/*
 * The short name basis with the numeric tail "~k" (1 <= k <= 999999),
 * which replaces the end of the base as far as needed.
 */
void fat_short_tail(const uint8_t basis[11], unsigned k, uint8_t out[11]);

/*
 * Long-name entry `ord` (1-based; the entry holding UTF-16 units
 * (ord - 1) * 13 on) of name n with checksum csum; `last` flags the final
 * piece (written first on disk).
 */
void fat_lfn_encode(const struct fat_name *n, unsigned ord, bool last,
    uint8_t csum, uint8_t *raw);

/* Long-name entries name n takes (0 without a long name). */
unsigned fat_lfn_entries(const struct fat_name *n);

/*
 * Do UTF-8 names a and b name the same entry? FAT compares without case
 * (ASCII, Latin-1, Greek and Cyrillic letters are folded).
 */
bool fat_name_equal(const char *a, const char *b);

/* --- times (UTC) --- */

/* Seconds since 1970 of a FAT date and time (2 s steps) plus tenths. */
int64_t fat_time_decode(uint16_t date, uint16_t time, unsigned tenth);
/* Encode t (clamped to 1980 .. 2107). tenth may be NULL. */
void fat_time_encode(int64_t t, uint32_t nsec, uint16_t *date,
    uint16_t *time, uint8_t *tenth);

/* --- FSInfo (FAT32) --- */

/* 0 and the free count / next free hint, or -EINVAL (no valid FSInfo). */
int fat_fsinfo_parse(const uint8_t *sec, uint32_t *free_count,
    uint32_t *next_free);
/* Put the counts into a valid FSInfo sector. */
void fat_fsinfo_encode(uint8_t *sec, uint32_t free_count, uint32_t next_free);

#endif
