/*
 * XML parser: validates a document once, then navigates it without copying.
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <cairn/xml.h>

#include "xml_impl.h"

/*
 * Scanning context. xml_parse() sets err and every failure is described;
 * navigation re-scans a validated document with err NULL, where a failure
 * only means "no such node" and no message is formatted.
 */
struct scan {
	const char *doc;
	struct xml_error *err;
	unsigned max_depth;
};

/* A start tag as lexed by stag(). */
struct tag {
	const char *name;
	size_t name_len;
	const char *attrs;
	size_t attrs_len;
	const char *next;	/* first byte after '>' */
	bool empty;		/* closed by "/>" */
};

struct pos {
	unsigned line, col;
};

/* Names and values quoted in messages are cut so that msg[160] holds them. */
#define W(len)	((int)((len) > 32 ? 32 : (len)))

static void
locate(const char *doc, const char *p, unsigned *line, unsigned *col)
{
	unsigned l = 1, c = 1;

	for (; doc < p; doc++) {
		if (*doc == '\n') {
			l++;
			c = 1;
		} else
			c++;
	}
	*line = l;
	*col = c;
}

/* Position for "opened at L:C" parts of messages; free when unused. */
static struct pos
at(const struct scan *s, const char *p)
{
	struct pos r = { 0, 0 };

	if (s->err != NULL)
		locate(s->doc, p, &r.line, &r.col);
	return r;
}

static int fail(const struct scan *, const char *, const char *, ...)
    __attribute__((format(printf, 3, 4)));

static int
fail(const struct scan *s, const char *p, const char *fmt, ...)
{
	va_list ap;

	if (s->err == NULL)
		return -EINVAL;
	locate(s->doc, p, &s->err->line, &s->err->col);
	va_start(ap, fmt);
	vsnprintf(s->err->msg, sizeof(s->err->msg), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* Printable form of an offending byte. */
static const char *
show(unsigned char c, char buf[8])
{
	if (c >= 0x20 && c < 0x7f)
		snprintf(buf, 8, "'%c'", c);
	else
		snprintf(buf, 8, "0x%02x", c);
	return buf;
}

static size_t
name(const char *p, const char *e)
{
	const char *q = p;

	if (q >= e || !xml_name_start(*q))
		return 0;
	for (q++; q < e && xml_name_char(*q); q++)
		;
	return (size_t)(q - p);
}

static const char *
ws(const char *p, const char *e)
{
	while (p < e && xml_space(*p))
		p++;
	return p;
}

static bool
starts(const char *p, const char *e, const char *lit)
{
	size_t n = strlen(lit);

	return (size_t)(e - p) >= n && memcmp(p, lit, n) == 0;
}

static bool
eq(const char *p, size_t len, const char *s)
{
	return s != NULL && strlen(s) == len && memcmp(p, s, len) == 0;
}

/* p at "<!--": first byte after "-->", or NULL when unterminated. */
static const char *
comment_end(const char *p, const char *e)
{
	const char *q = memmem(p + 4, (size_t)(e - p - 4), "-->", 3);

	return q != NULL ? q + 3 : NULL;
}

/*
 * p at the opening '"': the closing one, or NULL. Per spec a '"' right
 * after a backslash does not terminate the value (even if that backslash is
 * itself preceded by one).
 */
static const char *
closing_quote(const char *p, const char *e)
{
	const char *q = p + 1;

	while (q < e && (q = memchr(q, '"', (size_t)(e - q))) != NULL) {
		if (q[-1] != '\\')
			return q;
		q++;
	}
	return NULL;
}

/* One attribute at p (a name start) in the tag named tn. */
static int
attr(const struct scan *s, const char *p, const char *e, const char *tn,
    size_t tl, struct xml_attr *a, const char **next)
{
	const char *q, *v;

	a->name = p;
	a->name_len = name(p, e);
	q = ws(p + a->name_len, e);
	if (q >= e || *q != '=')
		return fail(s, q, "expected '=' after attribute '%.*s' in <%.*s>",
		    W(a->name_len), a->name, W(tl), tn);
	q = ws(q + 1, e);
	if (q >= e || *q != '"')
		return fail(s, q, "value of attribute '%.*s' in <%.*s> must be "
		    "enclosed in double quotes", W(a->name_len), a->name,
		    W(tl), tn);
	if ((v = closing_quote(q, e)) == NULL)
		return fail(s, q, "unterminated value of attribute '%.*s' "
		    "in <%.*s>", W(a->name_len), a->name, W(tl), tn);
	a->value = q + 1;
	a->value_len = (size_t)(v - q - 1);
	*next = v + 1;
	return 0;
}

/* Start tag whose '<' is at p. */
static int
stag(const struct scan *s, const char *p, const char *e, struct tag *t)
{
	const char *q, *w;
	struct xml_attr a;
	struct pos o;
	char c[8];
	int r;

	t->name = p + 1;
	if ((t->name_len = name(p + 1, e)) == 0)
		return fail(s, p, "expected a tag name after '<'");
	q = t->attrs = t->name + t->name_len;
	for (;;) {
		w = q;
		q = ws(q, e);
		if (q >= e) {
			o = at(s, p);
			return fail(s, q, "expected '>' to close <%.*s> opened "
			    "at %u:%u", W(t->name_len), t->name, o.line, o.col);
		}
		if (*q == '>' || *q == '/') {
			t->attrs_len = (size_t)(q - t->attrs);
			t->empty = *q == '/';
			if (t->empty && (q + 1 >= e || q[1] != '>'))
				return fail(s, q, "expected '>' after '/' in "
				    "<%.*s>", W(t->name_len), t->name);
			t->next = q + 1 + t->empty;
			return 0;
		}
		if (!xml_name_start(*q))
			return fail(s, q, "unexpected %s in <%.*s>", show(*q, c),
			    W(t->name_len), t->name);
		if (q == w)
			return fail(s, q, "missing whitespace before attribute "
			    "'%.*s' in <%.*s>", W(name(q, e)), q,
			    W(t->name_len), t->name);
		if ((r = attr(s, q, e, t->name, t->name_len, &a, &q)) != 0)
			return r;
	}
}

/* Describe markup at p ('<') that may not appear where it does. */
static int
bad_markup(const struct scan *s, const char *p, const char *e)
{
	char c[8];

	if (p + 1 >= e)
		return fail(s, p, "unexpected end of document after '<'");
	if (p[1] == '?')
		return fail(s, p, "processing instructions are not supported");
	if (starts(p, e, "<![CDATA["))
		return fail(s, p, "CDATA sections are not supported");
	if (starts(p, e, "<!DOCTYPE"))
		return fail(s, p, "DOCTYPE declarations are not supported");
	if (p[1] == '!')
		return fail(s, p, "unsupported markup '<!'");
	if (p[1] == '/')
		return fail(s, p, "unexpected end tag </%.*s>",
		    W(name(p + 2, e)), p + 2);
	return fail(s, p, "'<' must be followed by a tag name, not %s",
	    show(p[1], c));
}

static void
fill(const struct scan *s, const char *p, const char *e, const struct tag *t,
    struct xml_node *n)
{
	n->doc = s->doc;
	n->end = e;
	n->addr = p;
	n->name = t->name;
	n->name_len = t->name_len;
	n->attrs = t->attrs;
	n->attrs_len = t->attrs_len;
	n->content = t->next;
	n->content_len = 0;
	n->size = (size_t)(t->next - p);
}

/*
 * Validate the element at p (a '<' followed by a name start) and everything
 * inside it. Recursion is bounded by max_depth <= XML_DEPTH_LIMIT.
 */
static int
element(const struct scan *s, const char *p, const char *e, unsigned depth,
    struct xml_node *n)
{
	struct xml_node child;
	struct tag t;
	const char *q, *c;
	struct pos o;
	size_t len;
	int r;

	if (depth > s->max_depth)
		return fail(s, p, "elements nested deeper than %u levels",
		    s->max_depth);
	if ((r = stag(s, p, e, &t)) != 0)
		return r;
	fill(s, p, e, &t, n);
	if (t.empty)
		return 0;
	for (q = t.next;; ) {
		if ((q = memchr(q, '<', (size_t)(e - q))) == NULL)
			return fail(s, p, "missing end tag </%.*s>",
			    W(t.name_len), t.name);
		if (starts(q, e, "<!--")) {
			if ((c = comment_end(q, e)) == NULL)
				return fail(s, q, "unterminated comment");
			q = c;
		} else if (q + 1 < e && xml_name_start(q[1])) {
			if ((r = element(s, q, e, depth + 1, &child)) != 0)
				return r;
			q = child.addr + child.size;
		} else if (starts(q, e, "</")) {
			len = name(q + 2, e);
			if (len != t.name_len || memcmp(q + 2, t.name, len) != 0) {
				o = at(s, p);
				return fail(s, q, "end tag </%.*s> does not match "
				    "<%.*s> opened at %u:%u", W(len), q + 2,
				    W(t.name_len), t.name, o.line, o.col);
			}
			c = ws(q + 2 + len, e);
			if (c >= e || *c != '>')
				return fail(s, c, "expected '>' to close end tag "
				    "</%.*s>", W(len), q + 2);
			n->content_len = (size_t)(q - n->content);
			n->size = (size_t)(c + 1 - p);
			return 0;
		} else
			return bad_markup(s, q, e);
	}
}

/* Skip whitespace and comments outside the root element. */
static int
misc(const struct scan *s, const char **pp, const char *e)
{
	const char *p = *pp, *c;

	for (p = ws(p, e); starts(p, e, "<!--"); p = ws(c, e))
		if ((c = comment_end(p, e)) == NULL)
			return fail(s, p, "unterminated comment");
	*pp = p;
	return 0;
}

int
xml_parse(const char *buf, size_t len, unsigned max_depth,
    struct xml_node *root, struct xml_error *err)
{
	struct scan s = { buf, err, max_depth };
	const char *e, *p = buf, *nul;
	struct xml_node n;
	char c[8];
	int r;

	/* ROM dataspaces are zero-padded: the document ends at the first NUL. */
	if (buf == NULL) {
		s.doc = p = buf = "";
		len = 0;
	}
	nul = len ? memchr(buf, '\0', len) : NULL;
	e = nul != NULL ? nul : buf + len;
	if (s.max_depth == 0)
		s.max_depth = XML_DEFAULT_DEPTH;
	if (s.max_depth > XML_DEPTH_LIMIT)
		s.max_depth = XML_DEPTH_LIMIT;

	if ((r = misc(&s, &p, e)) != 0)
		return r;
	if (p >= e)
		return fail(&s, p, "empty document: no root element");
	if (*p != '<')
		return fail(&s, p, "expected '<' of the root element, found %s",
		    show(*p, c));
	if (p + 1 >= e || !xml_name_start(p[1]))
		return bad_markup(&s, p, e);
	if ((r = element(&s, p, e, 1, &n)) != 0)
		return r;
	p = n.addr + n.size;
	if ((r = misc(&s, &p, e)) != 0)
		return r;
	if (p + 1 < e && *p == '<' && (p[1] == '?' || p[1] == '!'))
		return bad_markup(&s, p, e);
	if (p < e)
		return fail(&s, p, "junk after the root element <%.*s>: %s",
		    W(n.name_len), n.name, show(*p, c));
	*root = n;
	return 0;
}

/*
 * Extent of the validated element at p: only a nesting counter is needed,
 * xml_parse() already matched the names. Bounded by e all the same.
 */
static int
extent(const struct scan *s, const char *p, const char *e, struct xml_node *n)
{
	unsigned long depth = 1;
	const char *q;
	struct tag t;

	if (stag(s, p, e, &t) != 0)
		return -EINVAL;
	fill(s, p, e, &t, n);
	if (t.empty)
		return 0;
	for (q = t.next;; ) {
		if ((q = memchr(q, '<', (size_t)(e - q))) == NULL)
			return -EINVAL;
		if (starts(q, e, "<!--")) {
			if ((q = comment_end(q, e)) == NULL)
				return -EINVAL;
		} else if (q + 1 < e && xml_name_start(q[1])) {
			if (stag(s, q, e, &t) != 0)
				return -EINVAL;
			depth += !t.empty;
			q = t.next;
		} else if (starts(q, e, "</")) {
			if (--depth == 0)
				break;
			q += 2;
		} else
			return -EINVAL;
	}
	n->content_len = (size_t)(q - n->content);
	if ((q = memchr(q, '>', (size_t)(e - q))) == NULL)
		return -EINVAL;
	n->size = (size_t)(q + 1 - p);
	return 0;
}

/* First element of `type` (any if NULL) in [p, e), past text and comments. */
static int
seek(const char *doc, const char *p, const char *e, const char *type,
    struct xml_node *out)
{
	struct scan s = { doc, NULL, 0 };
	struct xml_node n;

	while (p < e && (p = memchr(p, '<', (size_t)(e - p))) != NULL) {
		if (starts(p, e, "<!--")) {
			if ((p = comment_end(p, e)) == NULL)
				break;
			continue;
		}
		if (p + 1 >= e || !xml_name_start(p[1]) ||
		    extent(&s, p, e, &n) != 0)
			break;
		if (type == NULL || eq(n.name, n.name_len, type)) {
			*out = n;
			return 0;
		}
		p = n.addr + n.size;
	}
	return -ENOENT;
}

bool
xml_node_is(const struct xml_node *n, const char *type)
{
	return eq(n->name, n->name_len, type);
}

void
xml_node_type(const struct xml_node *n, char *dst, size_t cap)
{
	size_t len = n->name_len;

	if (cap == 0)
		return;
	if (len > cap - 1)
		len = cap - 1;
	memcpy(dst, n->name, len);
	dst[len] = '\0';
}

int
xml_node_first(const struct xml_node *n, const char *type,
    struct xml_node *out)
{
	return seek(n->doc, n->content, n->content + n->content_len, type, out);
}

int
xml_node_next(const struct xml_node *n, const char *type,
    struct xml_node *out)
{
	return seek(n->doc, n->addr + n->size, n->end, type, out);
}

unsigned
xml_node_count(const struct xml_node *n, const char *type)
{
	struct xml_node c;
	unsigned count = 0;
	int r;

	for (r = xml_node_first(n, type, &c); r == 0;
	    r = xml_node_next(&c, type, &c))
		count++;
	return count;
}

int
xml_for_each_sub_node(const struct xml_node *n, const char *type,
    int (*fn)(const struct xml_node *child, void *ctx), void *ctx)
{
	struct xml_node c;
	int r;

	for (r = xml_node_first(n, type, &c); r == 0;
	    r = xml_node_next(&c, type, &c))
		if ((r = fn(&c, ctx)) != 0)
			return r;
	return 0;
}

/* Attribute at *pp within the validated start tag of n; advances *pp. */
static int
attr_next(const struct xml_node *n, const char **pp, struct xml_attr *a)
{
	struct scan s = { n->doc, NULL, 0 };
	const char *e = n->attrs + n->attrs_len, *p = ws(*pp, e);

	if (p >= e || !xml_name_start(*p) ||
	    attr(&s, p, e, n->name, n->name_len, a, pp) != 0)
		return -ENOENT;
	return 0;
}

int
xml_node_attr(const struct xml_node *n, const char *name,
    struct xml_attr *out)
{
	const char *p = n->attrs;
	struct xml_attr a;

	while (attr_next(n, &p, &a) == 0)
		if (eq(a.name, a.name_len, name)) {
			*out = a;
			return 0;
		}
	return -ENOENT;
}

int
xml_node_attr_at(const struct xml_node *n, unsigned idx,
    struct xml_attr *out)
{
	const char *p = n->attrs;
	struct xml_attr a;

	while (attr_next(n, &p, &a) == 0)
		if (idx-- == 0) {
			*out = a;
			return 0;
		}
	return -ENOENT;
}

bool
xml_node_has_attr(const struct xml_node *n, const char *name)
{
	struct xml_attr a;

	return xml_node_attr(n, name, &a) == 0;
}

bool
xml_attr_is(const struct xml_attr *a, const char *s)
{
	return eq(a->value, a->value_len, s);
}

/* Value of the hex digit c, or 16 when it is none. */
static unsigned
digit(char c)
{
	if (c >= '0' && c <= '9')
		return (unsigned)(c - '0');
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? (unsigned)(c - 'a' + 10) : 16;
}

/* Converters fill *out only on success, so a failed read leaves it alone. */
typedef int conv(const char *, size_t, void *);

static int
to_bool(const char *p, size_t len, void *out)
{
	if (eq(p, len, "yes") || eq(p, len, "true") || eq(p, len, "on"))
		*(bool *)out = true;
	else if (eq(p, len, "no") || eq(p, len, "false") || eq(p, len, "off"))
		*(bool *)out = false;
	else
		return -EINVAL;
	return 0;
}

/* Decimal or 0x-hex; the whole string must be consumed, no overflow. */
static int
to_u64(const char *p, size_t len, void *out)
{
	unsigned base = 10, d;
	uint64_t v = 0;
	size_t i = 0;

	if (len > 2 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		i = 2;
	}
	if (i == len)
		return -EINVAL;
	for (; i < len; i++) {
		if ((d = digit(p[i])) >= base || v > (UINT64_MAX - d) / base)
			return -EINVAL;
		v = v * base + d;
	}
	*(uint64_t *)out = v;
	return 0;
}

/* A u64 with an optional K, M or G suffix (binary multiples). */
static int
to_size(const char *p, size_t len, void *out)
{
	unsigned shift = 0;
	uint64_t v;

	if (len > 0 && p[len - 1] == 'K')
		shift = 10;
	else if (len > 0 && p[len - 1] == 'M')
		shift = 20;
	else if (len > 0 && p[len - 1] == 'G')
		shift = 30;
	if (to_u64(p, len - (shift != 0), &v) != 0 || v > UINT64_MAX >> shift)
		return -EINVAL;
	*(uint64_t *)out = v << shift;
	return 0;
}

/* Attribute `name` of n converted by fn: 0, -ENOENT or -EINVAL. */
static int
typed(const struct xml_node *n, const char *name, conv *fn, void *out,
    struct xml_attr *a)
{
	if (xml_node_attr(n, name, a) != 0)
		return -ENOENT;
	return fn(a->value, a->value_len, out);
}

bool
xml_attr_bool(const struct xml_node *n, const char *name, bool def)
{
	struct xml_attr a;

	typed(n, name, to_bool, &def, &a);
	return def;
}

uint64_t
xml_attr_u64(const struct xml_node *n, const char *name, uint64_t def)
{
	struct xml_attr a;

	typed(n, name, to_u64, &def, &a);
	return def;
}

uint64_t
xml_attr_size(const struct xml_node *n, const char *name, uint64_t def)
{
	struct xml_attr a;

	typed(n, name, to_size, &def, &a);
	return def;
}

static void
copy(char *dst, size_t cap, const char *src, size_t len)
{
	if (cap == 0)
		return;
	if (len > cap - 1)
		len = cap - 1;
	memcpy(dst, src, len);
	dst[len] = '\0';
}

void
xml_attr_str(const struct xml_node *n, const char *name, char *dst,
    size_t cap, const char *def)
{
	struct xml_attr a;

	if (xml_node_attr(n, name, &a) == 0)
		copy(dst, cap, a.value, a.value_len);
	else
		copy(dst, cap, def ? def : "", def ? strlen(def) : 0);
}

/* Like typed(); a bad value is described as "<start>: attribute 'ram'=..." */
static int
strict(const struct xml_node *n, const char *name, conv *fn, void *out,
    struct xml_error *err, const char *what)
{
	struct xml_attr a;
	int r;

	if ((r = typed(n, name, fn, out, &a)) == -EINVAL)
		xml_error_at(n, a.name, err, "<%.*s>: attribute '%.*s'=\"%.*s%s\" "
		    "is not %s", W(n->name_len), n->name, W(a.name_len),
		    a.name, W(a.value_len), a.value,
		    a.value_len > 32 ? "..." : "", what);
	return r;
}

int
xml_attr_get_bool(const struct xml_node *n, const char *name, bool *out,
    struct xml_error *err)
{
	return strict(n, name, to_bool, out, err, "a boolean (yes/no)");
}

int
xml_attr_get_u64(const struct xml_node *n, const char *name, uint64_t *out,
    struct xml_error *err)
{
	return strict(n, name, to_u64, out, err, "a number");
}

int
xml_attr_get_size(const struct xml_node *n, const char *name,
    uint64_t *out, struct xml_error *err)
{
	return strict(n, name, to_size, out, err, "a size");
}

int
xml_attr_get_str(const struct xml_node *n, const char *name, char *dst,
    size_t cap, struct xml_error *err)
{
	struct xml_attr a;

	if (xml_node_attr(n, name, &a) != 0)
		return -ENOENT;
	if (a.value_len >= cap) {
		xml_error_at(n, a.name, err, "<%.*s>: value of attribute '%.*s' "
		    "is too long (%zu bytes, at most %zu)", W(n->name_len),
		    n->name, W(a.name_len), a.name, a.value_len,
		    cap ? cap - 1 : 0);
		return -ENAMETOOLONG;
	}
	copy(dst, cap, a.value, a.value_len);
	return 0;
}

void
xml_position(const struct xml_node *n, const char *p, unsigned *line,
    unsigned *col)
{
	if (p == NULL || p < n->doc) {
		*line = *col = 0;
		return;
	}
	locate(n->doc, p, line, col);
}

void
xml_error_at(const struct xml_node *n, const char *p,
    struct xml_error *err, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return;
	xml_position(n, p, &err->line, &err->col);
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
}

/* &#N; or &#xN; body (after '#'): a Unicode scalar value other than 0. */
static int
charref(const char *p, size_t len, uint32_t *cp)
{
	unsigned base = 10, d;
	uint32_t v = 0;
	size_t i = 0;

	if (len > 0 && p[0] == 'x') {
		base = 16;
		i = 1;
	}
	if (i == len)
		return -EINVAL;
	for (; i < len; i++) {
		if ((d = digit(p[i])) >= base)
			return -EINVAL;
		v = v * base + d;
		if (v > 0x10ffff)	/* also keeps v from overflowing */
			return -EINVAL;
	}
	if (v == 0 || (v >= 0xd800 && v <= 0xdfff))
		return -EINVAL;
	*cp = v;
	return 0;
}

static size_t
utf8(uint32_t v, char *o)
{
	size_t n = v < 0x80 ? 1 : v < 0x800 ? 2 : v < 0x10000 ? 3 : 4;
	static const unsigned char lead[] = { 0, 0, 0xc0, 0xe0, 0xf0 };

	for (size_t i = n - 1; i > 0; i--, v >>= 6)
		o[i] = (char)(0x80 | (v & 0x3f));
	o[0] = (char)(lead[n] | v);
	return n;
}

long
xml_decode(const char *src, size_t len, char *dst, size_t cap)
{
	static const struct {
		const char *name;
		char c;
	} ent[] = {
		{ "lt", '<' }, { "gt", '>' }, { "amp", '&' },
		{ "quot", '"' }, { "apos", '\'' },
	};
	const char *p = src, *e = src + len, *semi;
	size_t o = 0, n, i, elen;
	uint32_t cp;
	char u[4];

	while (p < e) {
		if (*p != '&') {
			u[0] = *p++;
			n = 1;
		} else {
			semi = memchr(p + 1, ';', (size_t)(e - p - 1));
			if (semi == NULL)
				return -EINVAL;
			elen = (size_t)(semi - p - 1);
			if (elen > 0 && p[1] == '#') {
				if (charref(p + 2, elen - 1, &cp) != 0)
					return -EINVAL;
				n = utf8(cp, u);
			} else {
				for (i = 0; i < sizeof(ent) / sizeof(ent[0]); i++)
					if (eq(p + 1, elen, ent[i].name))
						break;
				if (i == sizeof(ent) / sizeof(ent[0]))
					return -EINVAL;
				u[0] = ent[i].c;
				n = 1;
			}
			p = semi + 1;
		}
		if (cap == 0 || n > cap - 1 - o)
			return -ENOSPC;
		memcpy(dst + o, u, n);
		o += n;
	}
	if (cap == 0)
		return -ENOSPC;
	dst[o] = '\0';
	return (long)o;
}
