/*
 * Unit tests of server/vfs/iso9660_parse.c: volume descriptors, records,
 * names, dates, SUSP/Rock Ridge entries and path tables, without I/O.
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <string.h>

#include "iso9660_parse.h"
#include "test.h"

T_STATE_DEFINE;

static char err[200];

static void
both32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
	p[4] = p[3]; p[5] = p[2]; p[6] = p[1]; p[7] = p[0];
}

static void
vd(uint8_t *s, int type)
{
	memset(s, 0, ISO_SECTOR);
	s[0] = (uint8_t)type;
	memcpy(s + 1, "CD001", 5);
	s[6] = 1;
	memcpy(s + 40, "MY_VOLUME                       ", 32);
	both32(s + 80, 1000);
	s[128] = 0x00; s[129] = 0x08;	/* 2048 */
	both32(s + 132, 10);
	s[140] = 19;
	s[156] = 34;			/* root record */
	both32(s + 158, 20);
	both32(s + 166, 2048);
	s[181] = ISO_F_DIR;
	s[188] = 1;
}

static void
t_vd(void)
{
	uint8_t s[ISO_SECTOR];
	struct iso_vd v;

	vd(s, 1);
	T_CHECKF(iso_vd_parse(s, &v, err, sizeof(err)) == 0, "%s", err);
	T_CHECK(v.type == ISO_VD_PRIMARY && v.block_size == 2048);
	T_CHECK(v.volume_blocks == 1000 && v.path_table == 19);
	T_CHECK(v.path_table_size == 10 && v.joliet == 0);
	T_CHECK(strcmp(v.volume_id, "MY_VOLUME") == 0);
	vd(s, 2);
	memcpy(s + 88, "%/E", 3);
	T_CHECK(iso_vd_parse(s, &v, err, sizeof(err)) == 0 && v.joliet == 3);
	vd(s, 255);
	T_CHECK(iso_vd_parse(s, &v, err, sizeof(err)) == 0 &&
	    v.type == ISO_VD_END);
	vd(s, 1);
	s[3] = 'X';
	T_CHECK(iso_vd_parse(s, &v, err, sizeof(err)) == -EINVAL);
	T_CHECKF(strstr(err, "CD001") != NULL, "%s", err);
	vd(s, 1);
	s[128] = 0x00; s[129] = 0x03;
	T_CHECK(iso_vd_parse(s, &v, err, sizeof(err)) == -EINVAL);
	T_CHECKF(strstr(err, "logical block size 768") != NULL, "%s", err);
}

static size_t
rec(uint8_t *p, const char *name, uint8_t flags, const uint8_t *su,
    size_t su_len)
{
	size_t nl = strlen(name), at = 33 + nl + (nl % 2 == 0);

	memset(p, 0, 256);
	p[0] = (uint8_t)(at + su_len);
	both32(p + 2, 30);
	both32(p + 10, 4096);
	p[18] = 120; p[19] = 1; p[20] = 2;	/* 2020-01-02 */
	p[25] = flags;
	p[32] = (uint8_t)nl;
	memcpy(p + 33, name, nl);
	if (su_len)
		memcpy(p + at, su, su_len);
	return p[0];
}

static void
t_rec(void)
{
	uint8_t p[256];
	struct iso_rec r;
	uint8_t su[8] = { 'R', 'E', 4, 1, 'S', 'T', 4, 1 };

	rec(p, "FILE.TXT;1", 0, su, sizeof(su));
	T_CHECKF(iso_rec_parse(p, 200, &r, err, sizeof(err)) == 0, "%s", err);
	T_CHECK(r.extent == 30 && r.size == 4096 && r.name_len == 10);
	T_CHECK(r.su_len == 8 && r.su[0] == 'R');
	T_CHECK(!iso_rec_is_dot(&r));
	T_CHECK(iso_date7(r.date) == 1577923200);
	/* A record that runs past its sector, and a name that overruns. */
	T_CHECK(iso_rec_parse(p, 40, &r, err, sizeof(err)) == -EINVAL);
	T_CHECKF(strstr(err, "where 40 are left") != NULL, "%s", err);
	p[32] = 200;
	T_CHECK(iso_rec_parse(p, 200, &r, err, sizeof(err)) == -EINVAL);
	T_CHECKF(strstr(err, "does not fit") != NULL, "%s", err);
	rec(p, "\001", ISO_F_DIR, NULL, 0);
	T_CHECK(iso_rec_parse(p, 200, &r, err, sizeof(err)) == 0);
	T_CHECK(iso_rec_is_dot(&r));
}

static void
t_names(void)
{
	char out[256];
	const uint8_t jol[] = { 0, 'H', 0, 'i', 0xd8, 0x3d, 0xde, 0x00, 0, ';',
	    0, '1' };

	T_CHECK(iso_name_plain((const uint8_t *)"FILE.TXT;1", 10, out, 256) ==
	    8 && strcmp(out, "file.txt") == 0);
	T_CHECK(iso_name_plain((const uint8_t *)"NOEXT.;1", 8, out, 256) == 5 &&
	    strcmp(out, "noext") == 0);
	T_CHECK(iso_name_plain((const uint8_t *)"DIR_1", 5, out, 256) == 5 &&
	    strcmp(out, "dir_1") == 0);
	T_CHECK(iso_name_plain((const uint8_t *)"A/B", 3, out, 256) == 0);
	T_CHECK(iso_name_plain((const uint8_t *)"\0", 1, out, 256) == 0);
	T_CHECK(iso_name_plain((const uint8_t *)"LONGNAME", 8, out, 4) == 0);
	T_CHECK(iso_name_joliet(jol, sizeof(jol), out, 256) == 6);
	T_CHECK(strcmp(out, "Hi\xf0\x9f\x98\x80") == 0);
	T_CHECK(iso_name_joliet((const uint8_t *)"\0/", 2, out, 256) == 0);
}

static void
t_rr(void)
{
	/* SP, PX, two NM pieces, an SL with root, "..", "." and a
	 * continued component, a TF with modify and access, a CE, then ST
	 * and entries after it that must not count. */
	uint8_t a[] = {
		'S', 'P', 7, 1, 0xbe, 0xef, 0,
		'P', 'X', 36, 1,
		0xa4, 0x81, 0, 0, 0, 0, 0x81, 0xa4,	/* 0100644 */
		2, 0, 0, 0, 0, 0, 0, 2,
		0xe8, 3, 0, 0, 0, 0, 3, 0xe8,
		0xe9, 3, 0, 0, 0, 0, 3, 0xe9,
		'N', 'M', 8, 1, 1, 'a', 'b', 'c',
		'N', 'M', 7, 1, 0, 'd', 'e',
		'S', 'L', 21, 1, 0,
		8, 0,
		4, 0,
		2, 0,
		1, 3, 'f', 'o', 'o',
		0, 3, 'b', 'a', 'r',
		'T', 'F', 19, 1, 6,
		120, 1, 2, 0, 0, 0, 0,
		121, 1, 2, 0, 0, 0, 0,
		'C', 'E', 28, 1,
		7, 0, 0, 0, 0, 0, 0, 7,
		100, 0, 0, 0, 0, 0, 0, 100,
		50, 0, 0, 0, 0, 0, 0, 50,
		'S', 'T', 4, 1,
		'R', 'E', 4, 1,
	};
	struct iso_rr rr;

	iso_rr_init(&rr);
	T_CHECKF(iso_susp_parse(a, sizeof(a), &rr, err, sizeof(err)) == 0,
	    "%s", err);
	T_CHECK(rr.sp && rr.skip == 0);
	T_CHECK(rr.px && rr.mode == 0100644 && rr.nlink == 2);
	T_CHECK(rr.uid == 1000 && rr.gid == 1001);
	T_CHECK(rr.nm && !rr.nm_more && !rr.name_bad);
	T_CHECK(strcmp(rr.name, "abcde") == 0);
	T_CHECKF(strcmp(rr.link, "/.././foobar") == 0, "%s", rr.link);
	T_CHECK(rr.tf && rr.mtime == 1577923200 && rr.atime == 1609545600);
	T_CHECK(rr.ce && rr.ce_block == 7 && rr.ce_offset == 100 &&
	    rr.ce_len == 50);
	T_CHECK(!rr.relocated);
	/* A PX too short to hold the mode. */
	a[9] = 20;
	iso_rr_init(&rr);
	T_CHECK(iso_susp_parse(a, sizeof(a), &rr, err, sizeof(err)) ==
	    -EINVAL);
	T_CHECKF(strstr(err, "PX entry of 20 bytes, needs 36") != NULL, "%s",
	    err);
	/* An entry longer than the area ends it quietly. */
	a[9] = 36;
	a[45] = 200;
	iso_rr_init(&rr);
	T_CHECK(iso_susp_parse(a, sizeof(a), &rr, err, sizeof(err)) == 0);
	T_CHECK(rr.px && !rr.nm && !rr.ce);
}

static void
t_rr_names(void)
{
	uint8_t dot[] = { 'N', 'M', 5, 1, 2 };
	uint8_t slash[] = { 'N', 'M', 8, 1, 0, 'a', '/', 'b' };
	uint8_t tf17[5 + 17] = { 'T', 'F', 22, 1, 0x82 };
	struct iso_rr rr;

	iso_rr_init(&rr);
	T_CHECK(iso_susp_parse(dot, sizeof(dot), &rr, err, sizeof(err)) == 0);
	T_CHECK(rr.nm && rr.name_bad);
	iso_rr_init(&rr);
	T_CHECK(iso_susp_parse(slash, sizeof(slash), &rr, err, sizeof(err)) ==
	    0);
	T_CHECK(rr.name_bad);
	memcpy(tf17 + 5, "2021010112000000", 16);
	tf17[21] = 4;			/* UTC+1 */
	iso_rr_init(&rr);
	T_CHECK(iso_susp_parse(tf17, sizeof(tf17), &rr, err, sizeof(err)) ==
	    0);
	T_CHECK(rr.mtime == 1609502400 - 3600);
}

static void
t_path_table(void)
{
	uint8_t pt[] = {
		1, 0, 20, 0, 0, 0, 1, 0, 0, 0,
		3, 0, 21, 0, 0, 0, 1, 0, 'D', 'I', 'R', 0,
		1, 0, 22, 0, 0, 0, 2, 0, 'X', 0,
	};

	T_CHECKF(iso_path_table_check(pt, sizeof(pt), 100, err, sizeof(err))
	    == 3, "%s", err);
	pt[24] = 200;
	T_CHECK(iso_path_table_check(pt, sizeof(pt), 100, err, sizeof(err)) ==
	    -EINVAL);
	T_CHECKF(strstr(err, "entry 3: directory at block 200 lies outside")
	    != NULL, "%s", err);
	pt[24] = 22;
	pt[28] = 9;
	T_CHECK(iso_path_table_check(pt, sizeof(pt), 100, err, sizeof(err)) ==
	    -EINVAL);
	T_CHECKF(strstr(err, "entry 3: parent 9") != NULL, "%s", err);
	pt[28] = 2;
	pt[22] = 9;
	T_CHECK(iso_path_table_check(pt, sizeof(pt), 100, err, sizeof(err)) ==
	    -EINVAL);
	T_CHECKF(strstr(err, "runs past") != NULL, "%s", err);
	T_CHECK(iso_path_table_check(pt, 0, 100, err, sizeof(err)) == -EINVAL);
}

int
main(void)
{
	T_RUN("vfs-iso-001", "volume descriptors: primary, Joliet, end, bad "
	    "identifier and block size", t_vd);
	T_RUN("vfs-iso-002", "directory records: fields, dates, records and "
	    "names that overrun", t_rec);
	T_RUN("vfs-iso-003", "plain and Joliet names", t_names);
	T_RUN("vfs-iso-004", "SUSP/Rock Ridge: SP, PX, NM, SL, TF, CE, ST; a "
	    "short PX is refused", t_rr);
	T_RUN("vfs-iso-005", "Rock Ridge names with '.' or '/' are refused; "
	    "long-form times", t_rr_names);
	T_RUN("vfs-iso-006", "path tables: extents outside the image, bad "
	    "parents, overruns", t_path_table);
	return t_done();
}
