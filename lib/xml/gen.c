/*
 * XML generator: writes indented XML into a caller-provided buffer.
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <cairn/xml.h>

#include "xml_impl.h"

#define MAX_DEPTH	(sizeof(((struct xml_gen *)0)->stack) / \
			 sizeof(((struct xml_gen *)0)->stack[0]))

/*
 * Invariant: used <= cap - 1 and buf[used] == '\0', so the document is
 * always terminated and the NUL the spec demands has its byte reserved.
 */
static bool
room(struct xml_gen *g, size_t n)
{
	if (g->error != 0)
		return false;
	if (g->cap == 0 || n > g->cap - 1 - g->used) {
		g->error = -ENOSPC;
		return false;
	}
	return true;
}

static void
put(struct xml_gen *g, const char *s, size_t n)
{
	if (!room(g, n))
		return;
	memcpy(g->buf + g->used, s, n);
	g->used += n;
	g->buf[g->used] = '\0';
}

static void
putstr(struct xml_gen *g, const char *s)
{
	put(g, s, strlen(s));
}

static void
tabs(struct xml_gen *g, unsigned n)
{
	if (!room(g, n))
		return;
	memset(g->buf + g->used, '\t', n);
	g->used += n;
	g->buf[g->used] = '\0';
}

static bool
valid_name(const char *s)
{
	if (s == NULL || !xml_name_start((unsigned char)*s))
		return false;
	while (*++s != '\0')
		if (!xml_name_char((unsigned char)*s))
			return false;
	return true;
}

static const char *
entity(char c)
{
	switch (c) {
	case '&': return "&amp;";
	case '<': return "&lt;";
	case '>': return "&gt;";
	case '"': return "&quot;";
	}
	return NULL;
}

/*
 * Escape s[0..n) into o (when non-NULL); returns the escaped length. In an
 * attribute value a trailing backslash becomes &#92;: the parser would
 * otherwise take the closing quote for an escaped one.
 */
static size_t
escape(char *o, const char *s, size_t n, bool attr)
{
	const char *ent;
	size_t len = 0, k;

	for (size_t i = 0; i < n; i++) {
		if ((ent = entity(s[i])) == NULL && attr && s[i] == '\\' &&
		    i + 1 == n)
			ent = "&#92;";
		k = ent != NULL ? strlen(ent) : 1;
		if (o != NULL)
			memcpy(o + len, ent != NULL ? ent : &s[i], k);
		len += k;
	}
	return len;
}

static void
bad(struct xml_gen *g)
{
	if (g->error == 0)
		g->error = -EINVAL;
}

/* Terminate the current node's start tag before it gets children/content. */
static void
body(struct xml_gen *g)
{
	if (g->depth == 0) {
		bad(g);
		return;
	}
	if (!g->stack[g->depth - 1].has_body) {
		put(g, ">", 1);
		g->stack[g->depth - 1].has_body = true;
	}
}

void
xml_gen_init(struct xml_gen *g, char *buf, size_t cap)
{
	memset(g, 0, sizeof(*g));
	g->buf = buf;
	g->cap = cap;
	if (cap > 0)
		buf[0] = '\0';
}

void
xml_gen_open(struct xml_gen *g, const char *name)
{
	if (g->error != 0)
		return;
	/* One root only, 64 levels, names as the parser accepts them. */
	if (!valid_name(name) || g->depth == MAX_DEPTH ||
	    (g->depth == 0 && g->used > 0)) {
		bad(g);
		return;
	}
	if (g->depth > 0) {
		body(g);
		g->stack[g->depth - 1].indented = true;
		put(g, "\n", 1);
		tabs(g, g->depth);
	}
	put(g, "<", 1);
	putstr(g, name);
	if (g->error != 0)
		return;
	g->stack[g->depth].attr_at = g->used;
	g->stack[g->depth].has_body = false;
	g->stack[g->depth].indented = false;
	g->depth++;
}

void
xml_gen_close(struct xml_gen *g)
{
	const char *tag;
	size_t len;

	if (g->error != 0)
		return;
	if (g->depth == 0) {
		bad(g);
		return;
	}
	g->depth--;
	if (!g->stack[g->depth].has_body) {
		put(g, "/>", 2);
		return;
	}
	/*
	 * The name is not kept: it follows the last '<' before attr_at, since
	 * attribute values never contain a raw '<'. It lies below `used`, so
	 * put() may copy it from the buffer into the buffer.
	 */
	tag = g->buf + g->stack[g->depth].attr_at;
	while (*--tag != '<')
		;
	tag++;
	for (len = 0; xml_name_char((unsigned char)tag[len]); len++)
		;
	if (g->stack[g->depth].indented) {
		put(g, "\n", 1);
		tabs(g, g->depth);
	}
	put(g, "</", 2);
	put(g, tag, len);
	put(g, ">", 1);
}

void
xml_gen_attr(struct xml_gen *g, const char *name, const char *value)
{
	size_t nlen, vlen, total, at;
	char *p;

	if (g->error != 0)
		return;
	if (g->depth == 0 || !valid_name(name) || value == NULL) {
		bad(g);
		return;
	}
	nlen = strlen(name);
	vlen = escape(NULL, value, strlen(value), true);
	total = 1 + nlen + 2 + vlen + 1;
	if (!room(g, total))
		return;
	/* After children were emitted, shift them to keep call order. */
	at = g->stack[g->depth - 1].attr_at;
	memmove(g->buf + at + total, g->buf + at, g->used - at + 1);
	p = g->buf + at;
	*p++ = ' ';
	memcpy(p, name, nlen);
	p += nlen;
	*p++ = '=';
	*p++ = '"';
	p += escape(p, value, strlen(value), true);
	*p = '"';
	g->used += total;
	g->stack[g->depth - 1].attr_at += total;
}

void
xml_gen_attr_u64(struct xml_gen *g, const char *name, uint64_t v)
{
	char s[24];

	snprintf(s, sizeof(s), "%" PRIu64, v);
	xml_gen_attr(g, name, s);
}

void
xml_gen_attr_i64(struct xml_gen *g, const char *name, int64_t v)
{
	char s[24];

	snprintf(s, sizeof(s), "%" PRId64, v);
	xml_gen_attr(g, name, s);
}

void
xml_gen_text(struct xml_gen *g, const char *text, size_t len)
{
	size_t n;

	body(g);
	n = escape(NULL, text, len, false);
	if (!room(g, n))
		return;
	escape(g->buf + g->used, text, len, false);
	g->used += n;
	g->buf[g->used] = '\0';
}

void
xml_gen_append(struct xml_gen *g, const char *raw, size_t len)
{
	body(g);
	put(g, raw, len);
}

int
xml_gen_finish(struct xml_gen *g, size_t *used)
{
	if (g->error == 0 && (g->depth != 0 || g->used == 0))
		g->error = -EINVAL;
	if (g->error == 0 && used != NULL)
		*used = g->used;
	return g->error;
}

int
xml_generate(char *buf, size_t cap, const char *root,
    void (*fn)(struct xml_gen *g, void *ctx), void *ctx, size_t *used)
{
	struct xml_gen g;

	xml_gen_init(&g, buf, cap);
	xml_gen_open(&g, root);
	if (fn != NULL && g.error == 0)
		fn(&g, ctx);
	xml_gen_close(&g);
	return xml_gen_finish(&g, used);
}
