/*
 * Differential test: random documents parsed by lib/xml and by expat agree.
 * SPDX-License-Identifier: MIT
 *
 * Both parsers' views are serialised into the same canonical form (element
 * names, attribute names and decoded values in order, the decoded text of
 * leaf elements, element ends) and compared byte for byte. Documents come
 * from a seeded PRNG, so a failure prints a seed that reproduces it.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>

#include <expat.h>

#include <cairn/xml.h>

#include "../test.h"

T_STATE_DEFINE;

#define DOC_CAP		(256 * 1024)
#define OUT_CAP		(1024 * 1024)
#define MAX_ELEMS	300
#define EX_DEPTH	256

/* A canonical serialisation: kind byte, decimal length, ':', bytes. */
struct out {
	char *buf;
	size_t len;
	bool overflow;
};

struct doc {
	char *buf;
	size_t len;
	uint64_t rng;
	unsigned elems;
	bool overflow;
};

struct ex {
	struct out *o;
	char *acc;		/* character data of the current element */
	size_t acc_len;
	unsigned depth;
	bool has_child[EX_DEPTH];
};

static void
emit(struct out *o, char kind, const char *s, size_t n)
{
	char hdr[32];
	int h = snprintf(hdr, sizeof(hdr), "%c%zu:", kind, n);

	if (o->len + (size_t)h + n > OUT_CAP) {
		o->overflow = true;
		return;
	}
	memcpy(o->buf + o->len, hdr, (size_t)h);
	memcpy(o->buf + o->len + (size_t)h, s, n);
	o->len += (size_t)h + n;
}

/* ---- Random documents. ---- */

static uint64_t
next64(struct doc *d)
{
	uint64_t z = (d->rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static unsigned
rnd(struct doc *d, unsigned n)
{
	return (unsigned)(next64(d) % n);
}

static void
add(struct doc *d, const char *s, size_t n)
{
	if (d->len + n >= DOC_CAP) {
		d->overflow = true;
		return;
	}
	memcpy(d->buf + d->len, s, n);
	d->len += n;
}

static void
adds(struct doc *d, const char *s)
{
	add(d, s, strlen(s));
}

static void
pick(struct doc *d, const char *set)
{
	add(d, &set[rnd(d, (unsigned)strlen(set))], 1);
}

static void
space(struct doc *d, bool required)
{
	static const char *ws[] = { " ", " ", "\n", "\t", "  \n\t" };

	if (required || rnd(d, 3) == 0)
		adds(d, ws[rnd(d, 5)]);
}

/* A name into d and into out (for the end tag). */
static void
name(struct doc *d, char *out)
{
	static const char first[] = "abcdefghijklmnopqrstuvwxyzABCXYZ_";
	static const char rest[] = "abcxyzABC0189-._:";
	size_t n = 1 + rnd(d, 8), start = d->len;

	pick(d, first);
	while (--n)
		pick(d, rest);
	if (d->overflow)
		return;
	memcpy(out, d->buf + start, d->len - start);
	out[d->len - start] = '\0';
}

/* A character reference to a code point XML allows. */
static void
charref(struct doc *d)
{
	static const uint32_t lo[] = { 0x20, 0xe000, 0x10000, 0x41, 0x9 };
	static const uint32_t hi[] = { 0xd7ff, 0xfffd, 0x10ffff, 0x7a, 0xa };
	unsigned r = rnd(d, 5);
	uint32_t cp = lo[r] + (uint32_t)(next64(d) % (hi[r] - lo[r] + 1));
	char s[24];

	snprintf(s, sizeof(s), rnd(d, 2) ? "&#%u;" : rnd(d, 2) ? "&#x%X;" :
	    "&#x%x;", cp);
	adds(d, s);
}

static void
entity(struct doc *d)
{
	static const char *e[] = {
		"&amp;", "&lt;", "&gt;", "&quot;", "&apos;", "&#65;", "&#x41;",
		"&#10;", "&#9;", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80",
	};

	if (rnd(d, 3) == 0)
		charref(d);
	else
		adds(d, e[rnd(d, 12)]);
}

/* Literal whitespace other than ' ' is avoided: expat normalises it. */
static void
value(struct doc *d)
{
	static const char lit[] = "abcXYZ019 _-.,;:!?/=>'()[]{}|~^*+%$#@`";
	unsigned n = rnd(d, 12);

	adds(d, "\"");
	while (n--) {
		switch (rnd(d, 6)) {
		case 0:
			entity(d);
			break;
		case 1:		/* never right before the closing quote */
			adds(d, "\\x");
			break;
		default:
			pick(d, lit);
		}
	}
	adds(d, "\"");
}

static void
text(struct doc *d)
{
	static const char lit[] = "abc XYZ 019\n\t>\"'=/;:#!?-_.,";
	unsigned n = 1 + rnd(d, 16);

	while (n--) {
		if (rnd(d, 5) == 0)
			entity(d);
		else
			pick(d, lit);
	}
}

static void
comment(struct doc *d)
{
	unsigned n = rnd(d, 10);

	adds(d, "<!--");
	while (n--)
		pick(d, "abc xyz<>&;\"'/\n");
	adds(d, "-->");
}

static void
element(struct doc *d, unsigned depth)
{
	char tag[16], attrs[6][24], sfx[4] = "_u?";
	unsigned na = 0, nitems, i, j;

	d->elems++;
	adds(d, "<");
	name(d, tag);
	for (i = rnd(d, 6); i > 0 && !d->overflow; i--) {
		space(d, true);
		name(d, attrs[na]);
		for (j = 0; j < na; j++)
			if (strcmp(attrs[j], attrs[na]) == 0)
				break;
		if (j < na) {
			/* Random names never hold a 'u' after the first char. */
			sfx[2] = (char)('0' + na);
			adds(d, sfx);
			strcat(attrs[na], sfx);
		}
		na++;
		space(d, false);
		adds(d, "=");
		space(d, false);
		value(d);
	}
	space(d, false);
	nitems = rnd(d, 7);
	if (nitems == 0 && rnd(d, 2)) {
		adds(d, "/>");
		return;
	}
	adds(d, ">");
	for (i = 0; i < nitems && !d->overflow; i++) {
		switch (rnd(d, 7)) {
		case 0: case 1: case 2:
			if (depth > 0 && d->elems < MAX_ELEMS) {
				element(d, depth - 1);
				break;
			}
			/* FALLTHROUGH */
		case 3: case 4:
			text(d);
			break;
		case 5:
			comment(d);
			break;
		default:
			space(d, true);
		}
	}
	adds(d, "</");
	adds(d, tag);
	space(d, false);
	adds(d, ">");
}

static void
document(struct doc *d, uint64_t seed)
{
	d->len = 0;
	d->rng = seed;
	d->elems = 0;
	d->overflow = false;
	for (unsigned i = rnd(d, 3); i > 0; i--) {
		space(d, false);
		comment(d);
	}
	space(d, false);
	element(d, rnd(d, 8));
	for (unsigned i = rnd(d, 3); i > 0; i--) {
		space(d, false);
		comment(d);
	}
	space(d, false);
}

/* ---- lib/xml's view. ---- */

/*
 * Expat applies XML's end-of-line and attribute-value normalisation to the
 * literal bytes (not to character references); mirror that before decoding.
 */
static size_t
normalise(const char *s, size_t n, char *o, bool attr)
{
	size_t len = 0;

	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (c == '\r') {
			if (i + 1 < n && s[i + 1] == '\n')
				i++;
			c = '\n';
		}
		if (attr && (c == '\n' || c == '\t'))
			c = ' ';
		o[len++] = c;
	}
	return len;
}

/* Leaf content without its comments. */
static size_t
strip(const char *s, size_t n, char *o)
{
	const char *e = s + n, *c;
	size_t len = 0;

	while (s < e) {
		if ((size_t)(e - s) >= 4 && memcmp(s, "<!--", 4) == 0 &&
		    (c = memmem(s + 4, (size_t)(e - s - 4), "-->", 3)) != NULL) {
			s = c + 3;
			continue;
		}
		o[len++] = *s++;
	}
	return len;
}

static int
walk(const struct xml_node *n, struct out *o, char *t1, char *t2)
{
	struct xml_node c;
	struct xml_attr a;
	size_t len;
	long dl;
	int ok;

	emit(o, 'S', n->name, n->name_len);
	for (unsigned i = 0; xml_node_attr_at(n, i, &a) == 0; i++) {
		len = normalise(a.value, a.value_len, t1, true);
		if ((dl = xml_decode(t1, len, t2, OUT_CAP)) < 0)
			return (int)dl;
		emit(o, 'A', a.name, a.name_len);
		emit(o, 'V', t2, (size_t)dl);
	}
	if (xml_node_count(n, NULL) == 0 && n->content_len > 0) {
		len = strip(n->content, n->content_len, t2);
		len = normalise(t2, len, t1, false);
		if ((dl = xml_decode(t1, len, t2, OUT_CAP)) < 0)
			return (int)dl;
		if (dl > 0)
			emit(o, 'T', t2, (size_t)dl);
	}
	for (ok = xml_node_first(n, NULL, &c) == 0; ok;
	    ok = xml_node_next(&c, NULL, &c) == 0)
		if (walk(&c, o, t1, t2) != 0)
			return -EINVAL;
	emit(o, 'E', "", 0);
	return 0;
}

/* 0 and the tree in o, or -EINVAL when lib/xml rejects the document. */
static int
ours(const char *s, size_t len, struct out *o, char *t1, char *t2,
    struct xml_error *err)
{
	struct xml_node root;
	int r;

	o->len = 0;
	o->overflow = false;
	if ((r = xml_parse(s, len, 0, &root, err)) != 0)
		return r;
	return walk(&root, o, t1, t2);
}

/* ---- expat's view. ---- */

static void XMLCALL
ex_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
	struct ex *x = ud;

	if (x->depth > 0 && x->depth <= EX_DEPTH)
		x->has_child[x->depth - 1] = true;
	if (x->depth < EX_DEPTH)
		x->has_child[x->depth] = false;
	x->depth++;
	x->acc_len = 0;
	emit(x->o, 'S', name, strlen(name));
	for (; atts[0] != NULL; atts += 2) {
		emit(x->o, 'A', atts[0], strlen(atts[0]));
		emit(x->o, 'V', atts[1], strlen(atts[1]));
	}
}

static void XMLCALL
ex_end(void *ud, const XML_Char *name)
{
	struct ex *x = ud;

	(void)name;
	x->depth--;
	if (x->depth < EX_DEPTH && !x->has_child[x->depth] && x->acc_len > 0)
		emit(x->o, 'T', x->acc, x->acc_len);
	emit(x->o, 'E', "", 0);
	x->acc_len = 0;
}

static void XMLCALL
ex_chars(void *ud, const XML_Char *s, int len)
{
	struct ex *x = ud;

	if (x->acc_len + (size_t)len <= OUT_CAP) {
		memcpy(x->acc + x->acc_len, s, (size_t)len);
		x->acc_len += (size_t)len;
	}
}

/* 0 and the tree in o, or -EINVAL when expat rejects the document. */
static int
theirs(const char *s, size_t len, struct out *o, char *acc, const char **why)
{
	struct ex x = { .o = o, .acc = acc };
	XML_Parser p = XML_ParserCreate(NULL);
	int r = 0;

	o->len = 0;
	o->overflow = false;
	XML_SetUserData(p, &x);
	XML_SetElementHandler(p, ex_start, ex_end);
	XML_SetCharacterDataHandler(p, ex_chars);
	if (XML_Parse(p, s, (int)len, 1) != XML_STATUS_OK) {
		*why = XML_ErrorString(XML_GetErrorCode(p));
		r = -EINVAL;
	}
	XML_ParserFree(p);
	return r;
}

/* ---- The cases. ---- */

struct ctx {
	struct doc d;
	struct out a, b;
	char *t1, *t2;
	char *mut;	/* a mutated copy of d.buf */
};

static struct ctx c;

static void
show(const char *what, uint64_t seed, const char *s, size_t len)
{
	printf("# %s (seed %" PRIu64 ", %zu bytes):\n# %.*s\n", what, seed,
	    len, (int)(len > 2000 ? 2000 : len), s);
}

static bool
same(void)
{
	return !c.a.overflow && !c.b.overflow && c.a.len == c.b.len &&
	    memcmp(c.a.buf, c.b.buf, c.a.len) == 0;
}

static void
t_random(void)
{
	struct xml_error err;
	const char *why = "";
	unsigned elems = 0;

	for (uint64_t seed = 1; seed <= 5000; seed++) {
		document(&c.d, seed);
		if (c.d.overflow)
			continue;
		elems += c.d.elems;
		if (theirs(c.d.buf, c.d.len, &c.b, c.t1, &why) != 0) {
			show(why, seed, c.d.buf, c.d.len);
			T_CHECKF(0, "expat rejects generated document %" PRIu64,
			    seed);
		}
		if (ours(c.d.buf, c.d.len, &c.a, c.t1, c.t2, &err) != 0) {
			show(err.msg, seed, c.d.buf, c.d.len);
			T_CHECKF(0, "seed %" PRIu64 ": %u:%u: %s", seed, err.line,
			    err.col, err.msg);
		}
		if (!same()) {
			show("trees differ", seed, c.d.buf, c.d.len);
			printf("# ours:  %.*s\n# expat: %.*s\n", (int)c.a.len,
			    c.a.buf, (int)c.b.len, c.b.buf);
			T_CHECKF(0, "trees differ for seed %" PRIu64, seed);
		}
	}
	printf("# %u elements compared\n", elems);
	T_CHECK(elems > 20000);
}

static void
t_truncated(void)
{
	struct xml_error err;
	const char *why = "";
	size_t cut;
	int r1, r2;

	for (uint64_t seed = 10001; seed <= 12000; seed++) {
		document(&c.d, seed);
		if (c.d.overflow)
			continue;
		cut = (size_t)(next64(&c.d) % (c.d.len + 1));
		r1 = ours(c.d.buf, cut, &c.a, c.t1, c.t2, &err);
		r2 = theirs(c.d.buf, cut, &c.b, c.t1, &why);
		if (r1 != r2) {
			show(r1 ? err.msg : why, seed, c.d.buf, cut);
			T_CHECKF(0, "seed %" PRIu64 " cut at %zu: ours %d, expat %d",
			    seed, cut, r1, r2);
		}
		T_CHECKF(r1 != 0 || same(), "trees differ, seed %" PRIu64, seed);
	}
}

static void
mutate(struct doc *d, char *m, size_t *len)
{
	static const char set[] = "<>/=\"'&;!-? \n\tax:#\r0";
	size_t n = d->len, at, k;

	memcpy(m, d->buf, n);
	for (unsigned i = 1 + rnd(d, 3); i > 0 && n > 0 && n < DOC_CAP - 1;
	    i--) {
		at = (size_t)(next64(d) % n);
		switch (rnd(d, 3)) {
		case 0:
			m[at] = set[rnd(d, sizeof(set) - 1)];
			break;
		case 1:
			memmove(m + at, m + at + 1, n - at - 1);
			n--;
			break;
		default:
			k = n - at;
			memmove(m + at + 1, m + at, k);
			m[at] = set[rnd(d, sizeof(set) - 1)];
			n++;
		}
	}
	*len = n;
}

static void
t_mutated(void)
{
	unsigned both = 0, only_ours = 0, only_expat = 0, neither = 0;
	struct xml_error err;
	const char *why = "";
	size_t len;
	int r1, r2;

	for (uint64_t seed = 20001; seed <= 25000; seed++) {
		document(&c.d, seed);
		if (c.d.overflow)
			continue;
		mutate(&c.d, c.mut, &len);
		/* The backslash rule is a deliberate difference (spec). */
		if (memmem(c.mut, len, "\\\"", 2) != NULL)
			continue;
		r1 = ours(c.mut, len, &c.a, c.t1, c.t2, &err);
		r2 = theirs(c.mut, len, &c.b, c.t1, &why);
		if (r1 == 0 && r2 == 0) {
			both++;
			if (!same()) {
				show("trees differ", seed, c.mut, len);
				T_CHECKF(0, "mutated seed %" PRIu64, seed);
			}
		} else if (r1 == 0)
			only_ours++;
		else if (r2 == 0)
			only_expat++;
		else
			neither++;
	}
	printf("# mutated: both accept %u, only lib/xml %u, only expat %u, "
	    "neither %u\n", both, only_ours, only_expat, neither);
	T_CHECK(both > 500 && neither > 500);
}

int
main(void)
{
	c.d.buf = malloc(DOC_CAP);
	c.mut = malloc(DOC_CAP);
	c.a.buf = malloc(OUT_CAP);
	c.b.buf = malloc(OUT_CAP);
	c.t1 = malloc(OUT_CAP);
	c.t2 = malloc(OUT_CAP);
	if (!c.d.buf || !c.mut || !c.a.buf || !c.b.buf || !c.t1 || !c.t2)
		return 1;
	T_RUN("xml-expat-001", "5000 random documents: same tree as expat",
	    t_random);
	T_RUN("xml-expat-002", "truncated documents: same verdict as expat",
	    t_truncated);
	T_RUN("xml-expat-003", "mutated documents both accept: same tree",
	    t_mutated);
	return t_done();
}
