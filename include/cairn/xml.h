/*
 * XML parser (zero-copy, allocation-free) and XML generator.
 * SPDX-License-Identifier: MIT
 *
 * The parser is a view over a caller-owned byte range. xml_parse() checks the
 * whole document once; afterwards every node, attribute and content pointer
 * refers into the original buffer and navigation cannot fail with a syntax
 * error. Semantics follow shared/spec/xml.md: attribute values are
 * double-quoted, no entity decoding happens implicitly (xml_decode() does it
 * on request), comments are skipped, PIs/CDATA/DOCTYPE are rejected.
 *
 * The generator writes into a caller-provided buffer and never truncates
 * silently: once the buffer is too small, every further call is a no-op and
 * xml_gen_finish() returns -ENOSPC.
 */
#ifndef CAIRN_XML_H
#define CAIRN_XML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Where and why parsing or a typed attribute read failed. */
struct xml_error {
	unsigned line;		/* 1-based; 0 when unknown */
	unsigned col;		/* 1-based, in bytes */
	char msg[160];		/* e.g. "expected '>' after attribute 'name'" */
};

/* A node: a view of one element. Copy it freely; it owns nothing. */
struct xml_node {
	const char *doc;	/* start of the document (for line:column) */
	const char *end;	/* end of the enclosing range (parent content) */
	const char *addr;	/* '<' of the start tag */
	size_t size;		/* bytes from '<' to the end of the closing tag */
	const char *name;	/* type name */
	size_t name_len;
	const char *attrs;	/* first byte after the name in the start tag */
	size_t attrs_len;	/* up to (excluding) '>' or '/>' */
	const char *content;	/* bytes between start and end tag */
	size_t content_len;	/* 0 for an empty-element tag */
};

struct xml_attr {
	const char *name;
	size_t name_len;
	const char *value;	/* between the quotes, raw (not decoded) */
	size_t value_len;
};

/*
 * Parse the document in buf[0..len). Leading whitespace and comments are
 * skipped; exactly one root element must follow (then only whitespace and
 * comments). A NUL byte ends the document early (ROM dataspaces are
 * zero-padded). max_depth bounds nesting, the root being level 1 (0 = default
 * of 64; values above 256 are treated as 256).
 * Returns 0 and fills *root, or -EINVAL and fills *err (may be NULL).
 */
int xml_parse(const char *buf, size_t len, unsigned max_depth,
    struct xml_node *root, struct xml_error *err)
    __attribute__((warn_unused_result));

/* Exact, case-sensitive comparison of the node's type name. */
bool xml_node_is(const struct xml_node *n, const char *type);

/* Copy the type name as a NUL-terminated string (truncated to cap-1). */
void xml_node_type(const struct xml_node *n, char *dst, size_t cap);

/*
 * First child element of n whose type is `type` (any type when NULL).
 * Returns 0 and fills *out, -ENOENT when there is none.
 */
int xml_node_first(const struct xml_node *n, const char *type,
    struct xml_node *out);

/*
 * Next sibling after n (of `type`, or any when NULL), within the same parent.
 * `out` may alias `n`. Returns 0 or -ENOENT.
 */
int xml_node_next(const struct xml_node *n, const char *type,
    struct xml_node *out);

/* Number of direct child elements (comments not counted). */
unsigned xml_node_count(const struct xml_node *n, const char *type);

/*
 * Call fn for each direct child of `type` (all when NULL), in document order.
 * Stops early and returns fn's value when fn returns non-zero; else 0.
 */
int xml_for_each_sub_node(const struct xml_node *n, const char *type,
    int (*fn)(const struct xml_node *child, void *ctx), void *ctx);

/* Iterate with a plain loop:
 *   struct xml_node c;
 *   for (int ok = xml_node_first(n, "start", &c) == 0; ok;
 *        ok = xml_node_next(&c, "start", &c) == 0) ...
 */

/* Attribute `name`: 0 and *out, or -ENOENT. */
int xml_node_attr(const struct xml_node *n, const char *name,
    struct xml_attr *out);

/* The idx-th attribute (0-based): 0 or -ENOENT. */
int xml_node_attr_at(const struct xml_node *n, unsigned idx,
    struct xml_attr *out);

bool xml_node_has_attr(const struct xml_node *n, const char *name);

/* Whether the attribute's raw value equals s exactly. */
bool xml_attr_is(const struct xml_attr *a, const char *s);

/*
 * Typed reads with defaults: the default is returned when the attribute is
 * absent or its value does not parse as a whole.
 *   bool:  yes/true/on, no/false/off
 *   u64:   decimal or 0x-hex
 *   size:  like u64 with an optional K, M or G suffix (x1024 each)
 *   str:   raw value copied NUL-terminated; returns the default (copied) when
 *          absent; truncates to cap-1 (use xml_attr_get_str to detect).
 */
bool xml_attr_bool(const struct xml_node *n, const char *name, bool def);
uint64_t xml_attr_u64(const struct xml_node *n, const char *name, uint64_t def);
uint64_t xml_attr_size(const struct xml_node *n, const char *name, uint64_t def);
void xml_attr_str(const struct xml_node *n, const char *name, char *dst,
    size_t cap, const char *def);

/*
 * Strict typed reads for configs: 0 on success, -ENOENT when absent (err
 * untouched, *out untouched), -EINVAL when the value does not parse, or
 * -ENAMETOOLONG when a string does not fit; then err names the position,
 * attribute and value, e.g. "attribute 'quantum'="12Q" is not a size".
 */
int xml_attr_get_bool(const struct xml_node *n, const char *name, bool *out,
    struct xml_error *err) __attribute__((warn_unused_result));
int xml_attr_get_u64(const struct xml_node *n, const char *name, uint64_t *out,
    struct xml_error *err) __attribute__((warn_unused_result));
int xml_attr_get_size(const struct xml_node *n, const char *name,
    uint64_t *out, struct xml_error *err) __attribute__((warn_unused_result));
int xml_attr_get_str(const struct xml_node *n, const char *name, char *dst,
    size_t cap, struct xml_error *err) __attribute__((warn_unused_result));

/* Line and column (1-based) of position p inside the node's document. */
void xml_position(const struct xml_node *n, const char *p, unsigned *line,
    unsigned *col);

/* Fill err with the position of p and a printf-style message. */
void xml_error_at(const struct xml_node *n, const char *p,
    struct xml_error *err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/*
 * Decode the five predefined entities and numeric character references
 * (&#N; &#xN;, encoded as UTF-8) of src[0..len) into dst (NUL-terminated).
 * Returns the decoded length, -EINVAL on a malformed or unknown entity,
 * -ENOSPC when dst is too small.
 */
long xml_decode(const char *src, size_t len, char *dst, size_t cap);

/*
 * Generator. Output rules (shared/spec/xml.md): one TAB per nesting level,
 * a newline before each child start tag, `<name attrs/>` for nodes without
 * children or content, attributes added after children still land in the
 * start tag in call order, no trailing newline, a NUL written after the root
 * (not counted in `used`, needs one byte of capacity). Attribute values and
 * content are escaped (`&` `<` `>` `"`, and a value's trailing backslash as
 * `&#92;` since the parser reads `\"` as an escaped quote); xml_gen_append
 * inserts raw XML. After text or raw content alone the end tag follows
 * directly (`<a>text</a>`); after a child it goes on its own line.
 */
struct xml_gen {
	char *buf;
	size_t cap;
	size_t used;
	unsigned depth;
	int error;		/* sticky: 0 or -ENOSPC/-EINVAL */
	/* Per open node: where its attributes are inserted, whether it has
	 * children/content yet, and whether a child was emitted (then the end
	 * tag goes on its own line; after text only it follows directly). */
	struct {
		size_t attr_at;
		bool has_body;
		bool indented;
	} stack[64];
};

void xml_gen_init(struct xml_gen *g, char *buf, size_t cap);
void xml_gen_open(struct xml_gen *g, const char *name);
void xml_gen_close(struct xml_gen *g);
void xml_gen_attr(struct xml_gen *g, const char *name, const char *value);
void xml_gen_attr_u64(struct xml_gen *g, const char *name, uint64_t v);
void xml_gen_attr_i64(struct xml_gen *g, const char *name, int64_t v);
/* Escaped text content inside the current node. */
void xml_gen_text(struct xml_gen *g, const char *text, size_t len);
/* Raw XML appended inside the current node (caller vouches for it). */
void xml_gen_append(struct xml_gen *g, const char *raw, size_t len);
/* 0 and *used, or the sticky error (-ENOSPC when the buffer was too small,
 * -EINVAL for unbalanced open/close or a bad name). */
int xml_gen_finish(struct xml_gen *g, size_t *used)
    __attribute__((warn_unused_result));

/*
 * Callback form: generate a document with root `root` into buf by calling
 * fn(g, ctx) inside the open root node. Returns like xml_gen_finish.
 */
int xml_generate(char *buf, size_t cap, const char *root,
    void (*fn)(struct xml_gen *g, void *ctx), void *ctx, size_t *used)
    __attribute__((warn_unused_result));

#endif
