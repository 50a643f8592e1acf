/*
 * ISO 9660, Joliet and Rock Ridge structures: decoding without I/O.
 * SPDX-License-Identifier: MIT
 *
 * Everything here reads inside the buffer it is given and nowhere else;
 * whether a block number lies inside the image is for the caller to check
 * against the device (iso9660.c), since only it knows the device's size.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "iso9660_parse.h"
#include "utf8.h"

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

int
iso_vd_parse(const uint8_t *s, struct iso_vd *vd, char *err, size_t ecap)
{
	const uint8_t *esc = s + 88;
	int n;

	memset(vd, 0, sizeof(*vd));
	if (memcmp(s + 1, "CD001", 5) != 0) {
		snprintf(err, ecap, "volume descriptor: no \"CD001\" "
		    "identifier: not an ISO 9660 image");
		return -EINVAL;
	}
	vd->type = s[0];
	if (vd->type != ISO_VD_PRIMARY && vd->type != ISO_VD_SUPPLEMENTARY)
		return 0;
	vd->block_size = le16(s + 128);
	if (vd->block_size != 512 && vd->block_size != 1024 &&
	    vd->block_size != 2048) {
		snprintf(err, ecap, "volume descriptor: logical block size %u "
		    "is not 512, 1024 or 2048", vd->block_size);
		return -EINVAL;
	}
	vd->volume_blocks = le32(s + 80);
	vd->path_table_size = le32(s + 132);
	vd->path_table = le32(s + 140);
	memcpy(vd->root, s + 156, ISO_REC_MIN);
	memcpy(vd->volume_id, s + 40, 32);
	for (n = 32; n > 0 && (vd->volume_id[n - 1] == ' ' ||
	    vd->volume_id[n - 1] == '\0'); n--)
		;
	vd->volume_id[n] = '\0';
	if (vd->type == ISO_VD_SUPPLEMENTARY && esc[0] == '%' &&
	    esc[1] == '/') {
		if (esc[2] == '@')
			vd->joliet = 1;
		else if (esc[2] == 'C')
			vd->joliet = 2;
		else if (esc[2] == 'E')
			vd->joliet = 3;
	}
	return 0;
}

int
iso_rec_parse(const uint8_t *p, size_t avail, struct iso_rec *r, char *err,
    size_t ecap)
{
	uint32_t su_at;

	memset(r, 0, sizeof(*r));
	if (avail < 1 || p[0] < ISO_REC_MIN - 1 || p[0] > avail) {
		snprintf(err, ecap, "directory record of %u bytes where %zu "
		    "are left in its sector", avail ? p[0] : 0, avail);
		return -EINVAL;
	}
	r->len = p[0];
	r->name_len = p[32];
	if (33 + r->name_len > r->len || r->name_len == 0) {
		snprintf(err, ecap, "directory record of %u bytes: its name "
		    "of %u bytes does not fit", r->len, r->name_len);
		return -EINVAL;
	}
	r->ext_attr = p[1];
	r->extent = le32(p + 2);
	r->size = le32(p + 10);
	memcpy(r->date, p + 18, 7);
	r->flags = p[25];
	r->unit = p[26];
	r->gap = p[27];
	r->name = p + 33;
	su_at = 33 + r->name_len + (r->name_len % 2 == 0);
	if (su_at < r->len) {
		r->su = p + su_at;
		r->su_len = r->len - su_at;
	}
	return 0;
}

bool
iso_rec_is_dot(const struct iso_rec *r)
{
	return r->name_len == 1 && (r->name[0] == 0 || r->name[0] == 1);
}

static int64_t
days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	if (m < 1 || m > 12)
		m = 1;
	if (d < 1 || d > 31)
		d = 1;
	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

int64_t
iso_date7(const uint8_t *d)
{
	int8_t off = (int8_t)d[6];

	if (d[0] == 0 && d[1] == 0 && d[2] == 0)
		return 0;
	return days_from_civil(1900 + d[0], d[1], d[2]) * 86400 +
	    (d[3] % 24) * 3600 + (d[4] % 60) * 60 + d[5] % 60 -
	    (int64_t)off * 15 * 60;
}

static unsigned
digits(const uint8_t *p, int n)
{
	unsigned v = 0;
	int i;

	for (i = 0; i < n; i++)
		v = v * 10 + (p[i] >= '0' && p[i] <= '9' ? p[i] - '0' : 0);
	return v;
}

int64_t
iso_date17(const uint8_t *d)
{
	unsigned y = digits(d, 4);
	int8_t off = (int8_t)d[16];

	if (y == 0)
		return 0;
	return days_from_civil(y, digits(d + 4, 2), digits(d + 6, 2)) * 86400 +
	    digits(d + 8, 2) % 24 * 3600 + digits(d + 10, 2) % 60 * 60 +
	    digits(d + 12, 2) % 60 - (int64_t)off * 15 * 60;
}

static size_t
name_ok(char *out, size_t n)
{
	if (n == 0 || strcmp(out, ".") == 0 || strcmp(out, "..") == 0)
		return 0;
	return n;
}

size_t
iso_name_plain(const uint8_t *name, size_t len, char *out, size_t cap)
{
	size_t i, n = 0;

	if (cap == 0)
		return 0;
	out[0] = '\0';
	/* "NAME.EXT;1": the version goes, and a dot that ends the name. */
	for (i = 0; i < len && name[i] != ';'; i++)
		;
	len = i;
	if (len > 0 && name[len - 1] == '.')
		len--;
	for (i = 0; i < len; i++) {
		uint32_t c = name[i];

		if (c == 0 || c == '/')
			return 0;
		if (c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		if (!put_utf8(out, cap, &n, c))
			return 0;
	}
	return name_ok(out, n);
}

size_t
iso_name_joliet(const uint8_t *name, size_t len, char *out, size_t cap)
{
	size_t i, n = 0, units = len / 2;
	char *semi;

	if (cap == 0)
		return 0;
	out[0] = '\0';
	for (i = 0; i < units; i++) {
		uint32_t c = (uint32_t)name[2 * i] << 8 | name[2 * i + 1];

		if (c >= 0xd800 && c < 0xdc00 && i + 1 < units) {
			uint32_t lo = (uint32_t)name[2 * i + 2] << 8 |
			    name[2 * i + 3];

			if (lo >= 0xdc00 && lo < 0xe000) {
				c = 0x10000 + ((c - 0xd800) << 10) +
				    (lo - 0xdc00);
				i++;
			}
		}
		if (c >= 0xd800 && c < 0xe000)
			c = 0xfffd;
		if (c == 0 || c == '/')
			return 0;
		if (!put_utf8(out, cap, &n, c))
			return 0;
	}
	/* Joliet keeps ";1" on files. */
	semi = strrchr(out, ';');
	if (semi != NULL && semi[1] != '\0' &&
	    strspn(semi + 1, "0123456789") == strlen(semi + 1)) {
		*semi = '\0';
		n = (size_t)(semi - out);
	}
	return name_ok(out, n);
}

/* --- SUSP and Rock Ridge --- */

void
iso_rr_init(struct iso_rr *rr)
{
	memset(rr, 0, sizeof(*rr));
}

static void
nm_add(struct iso_rr *rr, const uint8_t *p, size_t n, uint8_t flags)
{
	rr->nm = true;
	rr->nm_more = flags & 1;
	if (flags & 0x06) {		/* CURRENT or PARENT: not a name */
		rr->name_bad = true;
		return;
	}
	if (rr->name_len + n > ISO_RR_NAME_MAX || memchr(p, '/', n) ||
	    memchr(p, '\0', n)) {
		rr->name_bad = true;
		return;
	}
	memcpy(rr->name + rr->name_len, p, n);
	rr->name_len += n;
	rr->name[rr->name_len] = '\0';
}

static void
sl_put(struct iso_rr *rr, const char *s, size_t n)
{
	if (rr->link_len + n > ISO_RR_LINK_MAX) {
		rr->link_bad = true;
		return;
	}
	memcpy(rr->link + rr->link_len, s, n);
	rr->link_len += n;
	rr->link[rr->link_len] = '\0';
}

static void
sl_add(struct iso_rr *rr, const uint8_t *p, size_t n)
{
	size_t i = 0;

	rr->sl = true;
	while (n - i >= 2) {
		uint8_t cf = p[i], cl = p[i + 1];

		if (cl > n - i - 2)
			break;		/* a component that does not fit */
		if (rr->sl_slash)
			sl_put(rr, "/", 1);
		if (cf & 0x02)
			sl_put(rr, ".", 1);
		else if (cf & 0x04)
			sl_put(rr, "..", 2);
		else if (cf & 0x08)
			sl_put(rr, "/", 1);
		else
			sl_put(rr, (const char *)p + i + 2, cl);
		/* A continued component or the root takes no '/' after. */
		rr->sl_slash = !(cf & 0x01) && !(cf & 0x08);
		i += 2u + cl;
	}
}

static void
tf_add(struct iso_rr *rr, const uint8_t *p, size_t n)
{
	uint8_t flags = p[0];
	size_t step = flags & 0x80 ? 17 : 7, at = 1;
	int bit;

	rr->tf = true;
	for (bit = 0; bit < 7; bit++) {
		int64_t t;

		if (!(flags & (1 << bit)))
			continue;
		if (at + step > n)
			break;
		t = step == 17 ? iso_date17(p + at) : iso_date7(p + at);
		if (bit == 1)
			rr->mtime = t;
		else if (bit == 2)
			rr->atime = t;
		else if (bit == 3)
			rr->ctime = t;
		at += step;
	}
}

static int
too_short(char *err, size_t ecap, const uint8_t *e, unsigned need)
{
	snprintf(err, ecap, "Rock Ridge: %c%c entry of %u bytes, needs %u",
	    e[0], e[1], e[2], need);
	return -EINVAL;
}

int
iso_susp_parse(const uint8_t *a, size_t len, struct iso_rr *rr, char *err,
    size_t ecap)
{
	size_t i = 0;

	while (len - i >= 4) {
		const uint8_t *e = a + i;
		unsigned el = e[2];

		if (el < 4 || el > len - i)
			break;
		rr->entries++;
#define SIG(x, y)	(e[0] == (x) && e[1] == (y))
		if (SIG('S', 'T'))
			return 0;
		if (SIG('S', 'P')) {
			if (el >= 7 && e[4] == 0xbe && e[5] == 0xef) {
				rr->sp = true;
				rr->skip = e[6];
			}
		} else if (SIG('C', 'E')) {
			if (el < 28)
				return too_short(err, ecap, e, 28);
			rr->ce = true;
			rr->ce_block = le32(e + 4);
			rr->ce_offset = le32(e + 12);
			rr->ce_len = le32(e + 20);
		} else if (SIG('E', 'R')) {
			unsigned idl = el >= 8 ? e[4] : 0;

			if (idl > 0 && 8 + idl <= el &&
			    ((idl == 10 && (memcmp(e + 8, "RRIP_1991A", 10) == 0
			    || memcmp(e + 8, "IEEE_P1282", 10) == 0)) ||
			    (idl == 9 && memcmp(e + 8, "IEEE_1282", 9) == 0)))
				rr->er_rrip = true;
		} else if (SIG('P', 'X')) {
			if (el < 36)
				return too_short(err, ecap, e, 36);
			rr->px = true;
			rr->mode = le32(e + 4);
			rr->nlink = le32(e + 12);
			rr->uid = le32(e + 20);
			rr->gid = le32(e + 28);
		} else if (SIG('N', 'M')) {
			if (el < 5)
				return too_short(err, ecap, e, 5);
			nm_add(rr, e + 5, el - 5, e[4]);
		} else if (SIG('S', 'L')) {
			if (el < 5)
				return too_short(err, ecap, e, 5);
			sl_add(rr, e + 5, el - 5);
		} else if (SIG('T', 'F')) {
			if (el < 5)
				return too_short(err, ecap, e, 5);
			tf_add(rr, e + 4, el - 4);
		} else if (SIG('C', 'L')) {
			if (el < 12)
				return too_short(err, ecap, e, 12);
			rr->child = le32(e + 4);
		} else if (SIG('R', 'E')) {
			rr->relocated = true;
		}
#undef SIG
		i += el;
	}
	return 0;
}

long
iso_path_table_check(const uint8_t *b, size_t len, uint32_t volume_blocks,
    char *err, size_t ecap)
{
	size_t i = 0;
	long n = 0;

	while (i + 8 <= len) {
		unsigned nl = b[i], parent = le16(b + i + 6);
		uint32_t extent = le32(b + i + 2);

		if (nl == 0)
			break;		/* padding after the last entry */
		n++;
		if (i + 8 + nl > len) {
			snprintf(err, ecap, "path table entry %ld: its name of "
			    "%u bytes runs past the table's end", n, nl);
			return -EINVAL;
		}
		if (extent >= volume_blocks) {
			snprintf(err, ecap, "path table entry %ld: directory "
			    "at block %u lies outside the image (%u blocks)",
			    n, extent, volume_blocks);
			return -EINVAL;
		}
		if (parent == 0 || parent > n || (n == 1 && parent != 1)) {
			snprintf(err, ecap, "path table entry %ld: parent %u "
			    "is not an earlier entry", n, parent);
			return -EINVAL;
		}
		if (n > 65535) {
			snprintf(err, ecap, "path table: more than 65535 "
			    "entries");
			return -EINVAL;
		}
		i += 8u + nl + (nl & 1);
	}
	if (n == 0) {
		snprintf(err, ecap, "path table: no root entry");
		return -EINVAL;
	}
	return n;
}
