/*
 * Unit tests of server/vfs/fat_parse.c: boot sectors, FAT entries and
 * chains, long names, short names and times, without any I/O.
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <string.h>

#include "fat_parse.h"
#include "test.h"

T_STATE_DEFINE;

static char err[200];

/* A FAT16 boot sector as mkfs.fat makes it for a 4 MiB volume. */
static void
bpb16(uint8_t *s)
{
	memset(s, 0, 512);
	s[0] = 0xeb; s[1] = 0x3c; s[2] = 0x90;
	s[11] = 0x00; s[12] = 0x02;	/* 512 bytes per sector */
	s[13] = 1;			/* sectors per cluster */
	s[14] = 4;			/* reserved */
	s[16] = 2;			/* FATs */
	s[17] = 0x00; s[18] = 0x02;	/* 512 root entries */
	s[19] = 0x00; s[20] = 0x20;	/* 8192 sectors */
	s[21] = 0xf8;
	s[22] = 32;			/* sectors per FAT */
	s[38] = 0x29;
	memcpy(s + 43, "MYDISK     ", 11);
	s[510] = 0x55; s[511] = 0xaa;
}

static void
t_bpb16(void)
{
	uint8_t s[512];
	struct fat_bpb b;

	bpb16(s);
	T_CHECKF(fat_bpb_parse(s, 512, 4 << 20, &b, err, sizeof(err)) == 0,
	    "%s", err);
	T_CHECK(b.type == FAT16);
	T_CHECK(b.cluster_size == 512);
	T_CHECK(b.fat_offset == 4 * 512);
	T_CHECK(b.root_offset == (4 + 64) * 512);
	T_CHECK(b.data_offset == (4 + 64 + 32) * 512);
	T_CHECK(b.clusters == 8192 - 100);
	T_CHECK(strcmp(b.label, "MYDISK") == 0);
	T_CHECK(fat_cluster_offset(&b, 2) == b.data_offset);
	T_CHECK(fat_cluster_valid(&b, b.clusters + 1));
	T_CHECK(!fat_cluster_valid(&b, b.clusters + 2));
	T_CHECK(!fat_cluster_valid(&b, 1));
}

static void
t_bpb_bad(void)
{
	uint8_t s[512];
	struct fat_bpb b;

	bpb16(s);
	s[510] = 0;
	T_CHECK(fat_bpb_parse(s, 512, 4 << 20, &b, err, sizeof(err)) ==
	    -EINVAL);
	T_CHECKF(strstr(err, "0x55aa signature") != NULL, "%s", err);
	bpb16(s);
	s[11] = 44; s[12] = 1;		/* 300 */
	T_CHECK(fat_bpb_parse(s, 512, 4 << 20, &b, err, sizeof(err)) < 0);
	T_CHECKF(strstr(err, "bytes per sector 300") != NULL, "%s", err);
	bpb16(s);
	s[16] = 0;
	T_CHECK(fat_bpb_parse(s, 512, 4 << 20, &b, err, sizeof(err)) < 0);
	T_CHECKF(strstr(err, "0 FATs") != NULL, "%s", err);
	bpb16(s);
	T_CHECK(fat_bpb_parse(s, 512, 2 << 20, &b, err, sizeof(err)) < 0);
	T_CHECKF(strstr(err, "larger than the device") != NULL, "%s", err);
	bpb16(s);
	s[13] = 3;
	T_CHECK(fat_bpb_parse(s, 512, 4 << 20, &b, err, sizeof(err)) < 0);
	T_CHECKF(strstr(err, "sectors per cluster 3") != NULL, "%s", err);
	bpb16(s);
	s[22] = 8;			/* a FAT too small for the clusters */
	T_CHECK(fat_bpb_parse(s, 512, 4 << 20, &b, err, sizeof(err)) < 0);
	T_CHECKF(strstr(err, "cannot hold") != NULL, "%s", err);
	bpb16(s);
	s[19] = 0x10; s[20] = 0;	/* metadata fills the volume */
	T_CHECK(fat_bpb_parse(s, 512, 4 << 20, &b, err, sizeof(err)) < 0);
	T_CHECKF(strstr(err, "fill the whole volume") != NULL, "%s", err);
}

static void
t_bpb32(void)
{
	uint8_t s[512];
	struct fat_bpb b;

	bpb16(s);
	s[13] = 1;
	s[17] = s[18] = 0;		/* no fixed root */
	s[19] = s[20] = 0;
	s[32] = 0x00; s[33] = 0x40; s[34] = 0x01;	/* 81920 sectors */
	s[22] = s[23] = 0;
	s[36] = 0x80; s[37] = 0x02;	/* 640 sectors per FAT */
	memset(s + 36, 0, 90 - 36);	/* FAT32 fields, no extended BPB */
	s[36] = 0x80; s[37] = 0x02;	/* 640 sectors per FAT */
	s[44] = 2;			/* root cluster */
	s[48] = 1;			/* FSInfo */
	s[14] = 32;
	T_CHECKF(fat_bpb_parse(s, 512, 40 << 20, &b, err, sizeof(err)) == 0,
	    "%s", err);
	T_CHECK(b.type == FAT32);
	T_CHECK(b.root_cluster == 2);
	T_CHECK(b.fsinfo_sector == 1);
	T_CHECK(b.mirror);
	s[44] = 0xff; s[45] = 0xff; s[46] = 0xff;
	T_CHECK(fat_bpb_parse(s, 512, 40 << 20, &b, err, sizeof(err)) < 0);
	T_CHECKF(strstr(err, "root directory cluster") != NULL, "%s", err);
}

static void
t_entries(void)
{
	struct fat_bpb b;
	uint8_t raw[4] = { 0, 0, 0, 0 }, fat[6];

	memset(&b, 0, sizeof(b));
	b.type = FAT12;
	b.clusters = 100;
	/* Clusters 2 and 3 share the byte at offset 4. */
	memset(fat, 0, sizeof(fat));
	T_CHECK(fat_entry_offset(&b, 2) == 3 && fat_entry_offset(&b, 3) == 4);
	fat_entry_encode(&b, 2, 0xabc, fat + 3);
	fat_entry_encode(&b, 3, 0x123, fat + 4);
	T_CHECK(fat_entry_decode(&b, 2, fat + 3) == 0xabc);
	T_CHECK(fat_entry_decode(&b, 3, fat + 4) == 0x123);
	fat_entry_encode(&b, 2, 0xfff, fat + 3);
	T_CHECK(fat_entry_decode(&b, 3, fat + 4) == 0x123);
	b.type = FAT32;
	raw[3] = 0xf0;
	fat_entry_encode(&b, 5, 0x0fffffff, raw);
	T_CHECK(raw[3] == 0xff);
	fat_entry_encode(&b, 5, 7, raw);
	T_CHECK(raw[3] == 0xf0 && fat_entry_decode(&b, 5, raw) == 7);
}

static void
t_chain(void)
{
	struct fat_bpb b;
	uint32_t next = 0;

	memset(&b, 0, sizeof(b));
	b.type = FAT16;
	b.clusters = 100;
	T_CHECK(fat_next(&b, 5, 6, 0, 10, &next, err, sizeof(err)) ==
	    FAT_NEXT_CLUSTER && next == 6);
	T_CHECK(fat_next(&b, 5, 0xffff, 0, 10, &next, err, sizeof(err)) ==
	    FAT_NEXT_END);
	T_CHECK(fat_next(&b, 5, 0xfff8, 0, 10, &next, err, sizeof(err)) ==
	    FAT_NEXT_END);
	T_CHECK(fat_next(&b, 5, 0, 0, 10, &next, err, sizeof(err)) == -EIO);
	T_CHECKF(strstr(err, "cluster 5 is free") != NULL, "%s", err);
	T_CHECK(fat_next(&b, 5, 0xfff7, 0, 10, &next, err, sizeof(err)) ==
	    -EIO);
	T_CHECKF(strstr(err, "marked bad") != NULL, "%s", err);
	T_CHECK(fat_next(&b, 5, 102, 0, 10, &next, err, sizeof(err)) == -EIO);
	T_CHECKF(strstr(err, "points to 102, outside the volume (2 .. 101)")
	    != NULL, "%s", err);
	T_CHECK(fat_next(&b, 5, 1, 0, 10, &next, err, sizeof(err)) == -EIO);
	/* A loop: the chain may have 3 clusters, the third links on. */
	T_CHECK(fat_next(&b, 5, 5, 2, 3, &next, err, sizeof(err)) == -EIO);
	T_CHECKF(strstr(err, "longer than 3 clusters") != NULL, "%s", err);
}

static void
put_lfn(uint8_t *raw, const struct fat_name *n, unsigned ord, bool last,
    uint8_t csum)
{
	fat_lfn_encode(n, ord, last, csum, raw);
}

static void
t_lfn(void)
{
	struct fat_name n;
	struct fat_lfn l;
	uint8_t raw[3][32], csum;
	char out[256];

	T_CHECK(fat_name_make("A long file name.text", &n) == 0);
	T_CHECK(n.need_lfn && n.len == 21);
	T_CHECK(fat_lfn_entries(&n) == 2);
	T_CHECK(memcmp(n.basis, "ALONGF~1TEX", 11) != 0);
	T_CHECK(memcmp(n.basis, "ALONGFILTEX", 11) == 0);
	T_CHECK(n.lossy);
	csum = fat_lfn_checksum((const uint8_t *)"ALONGF~1TEX");
	put_lfn(raw[0], &n, 2, true, csum);
	put_lfn(raw[1], &n, 1, false, csum);
	T_CHECK(raw[0][0] == 0x42 && raw[1][0] == 0x01);
	T_CHECK(raw[0][11] == 0x0f);
	fat_lfn_reset(&l);
	fat_lfn_feed(&l, raw[0]);
	fat_lfn_feed(&l, raw[1]);
	T_CHECK(fat_lfn_take(&l, (const uint8_t *)"ALONGF~1TEX", out,
	    sizeof(out)) == 21);
	T_CHECK(strcmp(out, "A long file name.text") == 0);
	/* A wrong checksum (the short entry was replaced): no long name. */
	fat_lfn_feed(&l, raw[0]);
	fat_lfn_feed(&l, raw[1]);
	T_CHECK(fat_lfn_take(&l, (const uint8_t *)"OTHER   TXT", out,
	    sizeof(out)) == 0);
	/* Pieces out of order or missing the first one. */
	fat_lfn_feed(&l, raw[1]);
	T_CHECK(fat_lfn_take(&l, (const uint8_t *)"ALONGF~1TEX", out,
	    sizeof(out)) == 0);
	fat_lfn_feed(&l, raw[0]);
	T_CHECK(fat_lfn_take(&l, (const uint8_t *)"ALONGF~1TEX", out,
	    sizeof(out)) == 0);
	/* Too small a buffer: no long name rather than a cut one. */
	fat_lfn_feed(&l, raw[0]);
	fat_lfn_feed(&l, raw[1]);
	T_CHECK(fat_lfn_take(&l, (const uint8_t *)"ALONGF~1TEX", out, 10)
	    == 0);
}

static void
t_lfn_unicode(void)
{
	struct fat_name n;
	struct fat_lfn l;
	uint8_t raw[32];
	char out[256];
	const char *name = "gr\xc3\xbc\xc3\x9f \xf0\x9f\x98\x80.txt";

	T_CHECK(fat_name_make(name, &n) == 0);
	T_CHECK(n.need_lfn && n.len == 11);	/* a surrogate pair */
	T_CHECK(n.u[5] == 0xd83d && n.u[6] == 0xde00);
	T_CHECK(memcmp(n.basis, "GR___   TXT", 11) == 0);
	fat_lfn_encode(&n, 1, true, 0x55, raw);
	fat_lfn_reset(&l);
	fat_lfn_feed(&l, raw);
	l.csum = fat_lfn_checksum(n.basis);
	T_CHECK(fat_lfn_take(&l, n.basis, out, sizeof(out)) == strlen(name));
	T_CHECK(strcmp(out, name) == 0);
}

static void
t_short_names(void)
{
	struct fat_name n;
	uint8_t out[11];
	char s[32];

	T_CHECK(fat_name_make("readme.txt", &n) == 0);
	T_CHECK(!n.need_lfn && memcmp(n.basis, "README  TXT", 11) == 0);
	T_CHECK(n.ntres == (FAT_NT_LOWER_BASE | FAT_NT_LOWER_EXT));
	T_CHECK(fat_short_name(n.basis, n.ntres, s, sizeof(s)) == 10);
	T_CHECK(strcmp(s, "readme.txt") == 0);
	T_CHECK(fat_name_make("README.TXT", &n) == 0);
	T_CHECK(!n.need_lfn && n.ntres == 0);
	T_CHECK(fat_name_make("x.TXT", &n) == 0);
	T_CHECK(!n.need_lfn && n.ntres == FAT_NT_LOWER_BASE);
	T_CHECK(fat_short_name(n.basis, n.ntres, s, sizeof(s)) == 5);
	T_CHECK(strcmp(s, "x.TXT") == 0);
	T_CHECK(fat_name_make("Makefile", &n) == 0);
	T_CHECK(n.need_lfn && !n.lossy);
	T_CHECK(memcmp(n.basis, "MAKEFILE   ", 11) == 0);
	T_CHECK(fat_name_make("a b.txt", &n) == 0);
	T_CHECK(n.need_lfn && n.lossy && memcmp(n.basis, "AB      TXT", 11)
	    == 0);
	T_CHECK(fat_name_make("x.tar.gz", &n) == 0);
	T_CHECK(n.lossy && memcmp(n.basis, "X       GZ ", 11) == 0);
	T_CHECK(fat_name_make(".profile", &n) == 0);
	T_CHECK(n.lossy && memcmp(n.basis, "PROFILE    ", 11) == 0);
	T_CHECK(fat_name_make("a+b", &n) == 0);
	T_CHECK(n.lossy && memcmp(n.basis, "A_B        ", 11) == 0);
	T_CHECK(fat_name_make("a:b", &n) == -EINVAL);
	T_CHECK(fat_name_make("a?", &n) == -EINVAL);
	T_CHECK(fat_name_make("trailing.", &n) == -EINVAL);
	T_CHECK(fat_name_make("trailing ", &n) == -EINVAL);
	T_CHECK(fat_name_make("bad\xff", &n) == -EINVAL);
	T_CHECK(fat_name_make("tab\there", &n) == -EINVAL);
	fat_short_tail((const uint8_t *)"LONGFILETXT", 1, out);
	T_CHECK(memcmp(out, "LONGFI~1TXT", 11) == 0);
	fat_short_tail((const uint8_t *)"AB      TXT", 1, out);
	T_CHECK(memcmp(out, "AB~1    TXT", 11) == 0);
	fat_short_tail((const uint8_t *)"LONGFILETXT", 123456, out);
	T_CHECK(memcmp(out, "L~123456TXT", 11) == 0);
	/* 0xe5 as the first byte is stored as 0x05, and shown again. */
	T_CHECK(fat_short_name((const uint8_t *)"\x05" "ABC    TXT", 0, s,
	    sizeof(s)) > 0);
	T_CHECK(strcmp(s, "\xcf\x83" "ABC.TXT") == 0);
}

static void
t_lengths(void)
{
	char name[300];
	struct fat_name n;

	memset(name, 'a', 255);
	name[255] = '\0';
	T_CHECK(fat_name_make(name, &n) == 0 && n.len == 255);
	T_CHECK(fat_lfn_entries(&n) == 20);
	name[255] = 'a';
	name[256] = '\0';
	T_CHECK(fat_name_make(name, &n) == -ENAMETOOLONG);
	T_CHECK(fat_name_make("", &n) == -EINVAL);
}

static void
t_equal(void)
{
	T_CHECK(fat_name_equal("Readme.TXT", "README.txt"));
	T_CHECK(fat_name_equal("\xc3\xa4rger", "\xc3\x84RGER"));
	T_CHECK(fat_name_equal("\xd0\xb4\xd0\xb0", "\xd0\x94\xd0\x90"));
	T_CHECK(!fat_name_equal("abc", "abd"));
	T_CHECK(!fat_name_equal("abc", "abcd"));
	T_CHECK(!fat_name_equal("a\xff", "a\xff"));
}

static void
t_times(void)
{
	uint16_t d, t;
	uint8_t tenth;

	/* 2020-01-01 00:00:01.5 */
	fat_time_encode(1577836801, 500000000, &d, &t, &tenth);
	T_CHECK(d == ((40 << 9) | (1 << 5) | 1));
	T_CHECK(t == 0 && tenth == 150);
	T_CHECK(fat_time_decode(d, t, 0) == 1577836800);
	T_CHECK(fat_time_decode(d, t, tenth) == 1577836801);
	fat_time_encode(0, 0, &d, &t, NULL);
	T_CHECK(d == ((0 << 9) | (1 << 5) | 1) && t == 0);
	fat_time_encode(1700000000, 0, &d, &t, NULL);
	T_CHECK(fat_time_decode(d, t, 0) == 1700000000);
	T_CHECK(fat_time_decode(0, 0, 0) == 0);
}

static void
t_slots(void)
{
	uint8_t raw[32];

	memset(raw, 0, sizeof(raw));
	T_CHECK(fat_slot_kind(raw) == FAT_SLOT_KIND_END);
	memcpy(raw, "FILE    TXT", 11);
	T_CHECK(fat_slot_kind(raw) == FAT_SLOT_KIND_ENTRY);
	raw[11] = FAT_ATTR_VOLUME;
	T_CHECK(fat_slot_kind(raw) == FAT_SLOT_KIND_VOLUME);
	raw[11] = FAT_ATTR_LFN;
	T_CHECK(fat_slot_kind(raw) == FAT_SLOT_KIND_LFN);
	raw[11] = FAT_ATTR_DIR;
	memcpy(raw, "..         ", 11);
	T_CHECK(fat_slot_kind(raw) == FAT_SLOT_KIND_DOT);
	raw[0] = 0xe5;
	T_CHECK(fat_slot_kind(raw) == FAT_SLOT_KIND_FREE);
}

int
main(void)
{
	T_RUN("vfs-fat-001", "a FAT16 boot sector decodes to its geometry",
	    t_bpb16);
	T_RUN("vfs-fat-002", "bad boot sectors are refused naming the field",
	    t_bpb_bad);
	T_RUN("vfs-fat-003", "a FAT32 boot sector; a root cluster outside "
	    "the volume is refused", t_bpb32);
	T_RUN("vfs-fat-004", "FAT12 entries share a nibble, FAT32 keeps its "
	    "reserved bits", t_entries);
	T_RUN("vfs-fat-005", "chain steps: end, free, bad, outside the "
	    "volume, too long", t_chain);
	T_RUN("vfs-fat-006", "long names: encoding, assembly, checksum, "
	    "orphaned pieces", t_lfn);
	T_RUN("vfs-fat-007", "long names carry UTF-16 with surrogate pairs",
	    t_lfn_unicode);
	T_RUN("vfs-fat-008", "8.3 names: NT case bits, basis names, ~N "
	    "tails, forbidden characters", t_short_names);
	T_RUN("vfs-fat-009", "255 UTF-16 units is the longest name",
	    t_lengths);
	T_RUN("vfs-fat-010", "names compare without case", t_equal);
	T_RUN("vfs-fat-011", "times round-trip in 2 s steps with tenths",
	    t_times);
	T_RUN("vfs-fat-012", "slot kinds", t_slots);
	return t_done();
}
