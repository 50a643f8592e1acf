/*
 * libFuzzer target: parse, walk the whole tree and check every invariant.
 * SPDX-License-Identifier: MIT
 *
 * Besides "no crash", it checks that every pointer the parser hands out lies
 * inside the input, that getters agree with each other, that a depth-limited
 * parse never accepts what the full parse rejects, and that regenerating an
 * accepted document with lib/xml's generator parses back to the same tree.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cairn/xml.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x) do { \
	if (!(x)) { \
		fprintf(stderr, "invariant failed: %s:%d: %s\n", __FILE__, \
		    __LINE__, #x); \
		abort(); \
	} \
} while (0)

struct fz {
	const char *lo, *hi;	/* the document: input up to its first NUL */
	char *t, *nm;		/* two scratch buffers of hi - lo + 1 bytes */
	struct xml_gen *g;
	bool regen;		/* every value decoded: round trip is exact */
};

static bool
inside(const char *lo, const char *hi, const char *p, size_t n)
{
	return p >= lo && p <= hi && n <= (size_t)(hi - p);
}

/* The name rule, written independently of lib/xml's. */
static bool
is_name(const char *p, size_t n)
{
	static const char first[] = "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ_:";
	static const char more[] = "-.0123456789";

	if (n == 0 || p[0] == '\0' || strchr(first, p[0]) == NULL)
		return false;
	for (size_t i = 1; i < n; i++)
		if (p[i] == '\0' || (strchr(first, p[i]) == NULL &&
		    strchr(more, p[i]) == NULL))
			return false;
	return true;
}

static void
check_error(const struct fz *f, const struct xml_error *e)
{
	unsigned lines = 1;

	for (const char *p = f->lo; p < f->hi; p++)
		lines += *p == '\n';
	CHECK(memchr(e->msg, '\0', sizeof(e->msg)) != NULL);
	CHECK(e->msg[0] != '\0');
	CHECK(e->line >= 1 && e->line <= lines && e->col >= 1);
}

static void
attrs(struct fz *f, const struct xml_node *n)
{
	struct xml_error err;
	struct xml_attr a, b;
	uint64_t u, v;
	unsigned i;
	long len;
	char s[8];
	bool x;
	int r;

	for (i = 0; xml_node_attr_at(n, i, &a) == 0; i++) {
		CHECK(inside(n->attrs, n->attrs + n->attrs_len, a.name,
		    a.name_len) && is_name(a.name, a.name_len));
		CHECK(inside(a.name, n->attrs + n->attrs_len, a.value,
		    a.value_len));
		CHECK(a.value[-1] == '"' && a.value[a.value_len] == '"');
		/* Lookup by name finds this or an earlier duplicate. */
		memcpy(f->t, a.name, a.name_len);
		f->t[a.name_len] = '\0';
		CHECK(xml_node_attr(n, f->t, &b) == 0 && b.name <= a.name);
		CHECK(xml_node_has_attr(n, f->t));
		if (b.name == a.name) {
			r = xml_attr_get_u64(n, f->t, &u, &err);
			CHECK(r == 0 || r == -EINVAL);
			if (r == 0)
				CHECK(xml_attr_u64(n, f->t, ~u) == u);
			else
				check_error(f, &err);
			r = xml_attr_get_size(n, f->t, &v, &err);
			CHECK(r == 0 || r == -EINVAL);
			if (r == 0 && xml_attr_get_u64(n, f->t, &u, NULL) == 0)
				CHECK(u == v);
			r = xml_attr_get_bool(n, f->t, &x, &err);
			CHECK(r == 0 || r == -EINVAL);
			if (r == 0)
				CHECK(xml_attr_bool(n, f->t, !x) == x);
			r = xml_attr_get_str(n, f->t, s, sizeof(s), &err);
			CHECK(r == 0 ? strlen(s) == a.value_len :
			    r == -ENAMETOOLONG && a.value_len >= sizeof(s));
			xml_attr_str(n, f->t, s, sizeof(s), "d");
			CHECK(strlen(s) < sizeof(s));
		}
		len = xml_decode(a.value, a.value_len, f->t,
		    (size_t)(f->hi - f->lo) + 1);
		/* Decoding never expands, so the scratch always suffices. */
		CHECK(len == -EINVAL || (len >= 0 && (size_t)len <= a.value_len));
		if (len < 0) {
			f->regen = false;
			continue;
		}
		CHECK(f->t[len] == '\0');
		memcpy(f->nm, a.name, a.name_len);
		f->nm[a.name_len] = '\0';
		xml_gen_attr(f->g, f->nm, f->t);
	}
}

static int
one(const struct xml_node *child, void *ctx)
{
	(void)child;
	(*(unsigned *)ctx)++;
	return 0;
}

/*
 * Walk n and mirror it into the generator. Nesting is bounded by the
 * parser's default max_depth (64), so the recursion is too.
 */
static void
walk(struct fz *f, const struct xml_node *n, unsigned depth)
{
	struct xml_node c, prev = { 0 }, first = { 0 };
	unsigned count = 0, typed, seen = 0;
	int ok;

	CHECK(depth <= 64);
	CHECK(inside(f->lo, f->hi, n->addr, n->size) && n->addr[0] == '<');
	CHECK(inside(f->lo, f->hi, n->addr, (size_t)(n->end - n->addr)));
	CHECK(n->name == n->addr + 1 && is_name(n->name, n->name_len));
	CHECK(n->attrs == n->name + n->name_len);
	CHECK(inside(n->addr, n->addr + n->size, n->attrs, n->attrs_len));
	CHECK(inside(n->addr, n->addr + n->size, n->content, n->content_len));
	CHECK(n->addr[n->size - 1] == '>');
	CHECK(n->content_len > 0 || n->content == n->addr + n->size ||
	    n->addr[n->size - 2] != '/');
	memcpy(f->t, n->name, n->name_len);
	f->t[n->name_len] = '\0';
	CHECK(xml_node_is(n, f->t));
	xml_gen_open(f->g, f->t);
	attrs(f, n);
	for (ok = xml_node_first(n, NULL, &c) == 0; ok;
	    ok = xml_node_next(&c, NULL, &c) == 0) {
		CHECK(inside(n->content, n->content + n->content_len, c.addr,
		    c.size));
		CHECK(c.end == n->content + n->content_len);
		if (count == 0)
			first = c;
		else
			CHECK(c.addr >= prev.addr + prev.size);
		prev = c;
		count++;
		walk(f, &c, depth + 1);
	}
	CHECK(xml_node_count(n, NULL) == count);
	if (count > 0) {
		/* Typed iteration sees exactly the children of that type. */
		memcpy(f->t, first.name, first.name_len);
		f->t[first.name_len] = '\0';
		CHECK(xml_node_first(n, f->t, &c) == 0 && c.addr == first.addr);
		typed = 0;
		for (ok = xml_node_first(n, NULL, &c) == 0; ok;
		    ok = xml_node_next(&c, NULL, &c) == 0)
			typed += xml_node_is(&c, f->t);
		CHECK(xml_node_count(n, f->t) == typed);
		CHECK(xml_for_each_sub_node(n, f->t, one, &seen) == 0);
		CHECK(seen == typed);
	} else if (n->content_len > 0)
		xml_gen_append(f->g, n->content, n->content_len);
	xml_gen_close(f->g);
}

/* The regenerated tree b must equal a: names, decoded values, content. */
static void
same(struct fz *f, const struct xml_node *a, const struct xml_node *b)
{
	size_t cap = (size_t)(f->hi - f->lo) + 1;
	struct xml_node ca, cb;
	struct xml_attr x, y;
	unsigned i;
	int oa, ob;
	long la, lb;

	CHECK(a->name_len == b->name_len &&
	    memcmp(a->name, b->name, a->name_len) == 0);
	for (i = 0; xml_node_attr_at(a, i, &x) == 0; i++) {
		CHECK(xml_node_attr_at(b, i, &y) == 0);
		CHECK(x.name_len == y.name_len &&
		    memcmp(x.name, y.name, x.name_len) == 0);
		la = xml_decode(x.value, x.value_len, f->t, cap);
		lb = xml_decode(y.value, y.value_len, f->nm, cap);
		CHECK(la >= 0 && la == lb &&
		    memcmp(f->t, f->nm, (size_t)la) == 0);
	}
	CHECK(xml_node_attr_at(b, i, &y) == -ENOENT);
	if (xml_node_count(a, NULL) == 0)
		CHECK(a->content_len == b->content_len &&
		    memcmp(a->content, b->content, a->content_len) == 0);
	for (oa = xml_node_first(a, NULL, &ca) == 0,
	    ob = xml_node_first(b, NULL, &cb) == 0; oa && ob;
	    oa = xml_node_next(&ca, NULL, &ca) == 0,
	    ob = xml_node_next(&cb, NULL, &cb) == 0)
		same(f, &ca, &cb);
	CHECK(oa == ob);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *doc = (const char *)data;
	const char *nul = memchr(doc, '\0', size);
	struct xml_node root, root2, lim;
	struct xml_error err;
	struct xml_gen g;
	size_t cap, used, len = nul ? (size_t)(nul - doc) : size;
	struct fz f = { doc, doc + len, NULL, NULL, &g, true };
	char *out;
	int r, r2;
	long dl;

	f.t = malloc(2 * (len + 1));
	CHECK(f.t != NULL);
	f.nm = f.t + len + 1;
	dl = xml_decode(doc, len, f.t, len + 1);
	CHECK(dl == -EINVAL || (dl >= 0 && (size_t)dl <= len));
	r = xml_parse(doc, size, 0, &root, &err);
	r2 = xml_parse(doc, size, size > 0 ? data[0] % 8 + 1 : 1, &lim, NULL);
	CHECK(r == 0 || r == -EINVAL);
	CHECK(r2 == 0 || r2 == -EINVAL);
	if (r2 == 0)
		CHECK(r == 0 && lim.addr == root.addr && lim.size == root.size);
	if (r != 0) {
		check_error(&f, &err);
		free(f.t);
		return 0;
	}
	CHECK(root.end == f.hi);
	CHECK(xml_node_next(&root, NULL, &lim) == -ENOENT);

	/* The output is at most ~18 times the input (tabs per level). */
	cap = 32 * len + 256;
	out = malloc(cap);
	CHECK(out != NULL);
	xml_gen_init(&g, out, cap);
	walk(&f, &root, 1);
	CHECK(g.depth == 0);
	if (f.regen) {
		CHECK(xml_gen_finish(&g, &used) == 0 && out[used] == '\0');
		r = xml_parse(out, used, 0, &root2, &err);
		if (r != 0)
			fprintf(stderr, "regenerated: %u:%u: %s\n%s\n", err.line,
			    err.col, err.msg, out);
		CHECK(r == 0);
		same(&f, &root, &root2);
	}
	free(out);
	free(f.t);
	return 0;
}
