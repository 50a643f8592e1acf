/*
 * Unit tests of the XML generator, including the 14.02 acceptance sample.
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <stdint.h>

#include <cairn/xml.h>

#include "../test.h"

T_STATE_DEFINE;

/* From os/run/xml_generator.run: 199 bytes, `verbose` added last. */
static const char sample[] =
    "<config xpos=\"27\" ypos=\"34\" verbose=\"true\">\n"
    "\t<box width=\"320\" height=\"240\"/>\n"
    "\t<label name=\"a test\">\n"
    "\t\t<sub_label/>\n"
    "\t\t<another_sub_label>\n"
    "\t\t\t<sub_sub_label/>\n"
    "\t\t</another_sub_label>\n"
    "\t</label>\n"
    "</config>";

static void
gen_sample(struct xml_gen *g, void *ctx)
{
	(void)ctx;
	xml_gen_attr_i64(g, "xpos", 27);
	xml_gen_attr_u64(g, "ypos", 34);
	xml_gen_open(g, "box");
	xml_gen_attr(g, "width", "320");
	xml_gen_attr(g, "height", "240");
	xml_gen_close(g);
	xml_gen_open(g, "label");
	xml_gen_attr(g, "name", "a test");
	xml_gen_open(g, "sub_label");
	xml_gen_close(g);
	xml_gen_open(g, "another_sub_label");
	xml_gen_open(g, "sub_sub_label");
	xml_gen_close(g);
	xml_gen_close(g);
	xml_gen_close(g);
	xml_gen_attr(g, "verbose", "true");
}

static void
t_sample(void)
{
	char buf[1000];
	size_t used = 0;

	memset(buf, 'X', sizeof(buf));
	T_CHECK(xml_generate(buf, sizeof(buf), "config", gen_sample, NULL,
	    &used) == 0);
	T_CHECK(used == 199 && sizeof(sample) - 1 == 199);
	T_CHECK(memcmp(buf, sample, sizeof(sample)) == 0);	/* incl. NUL */
	T_CHECK(buf[200] == 'X');
}

static void
t_exceeded(void)
{
	char buf[1024];
	size_t used = 1234;

	memset(buf, 'X', sizeof(buf));
	T_CHECK(xml_generate(buf, 20, "config", gen_sample, NULL, &used) ==
	    -ENOSPC);
	T_CHECK(used == 1234);
	for (size_t i = 20; i < sizeof(buf); i++)
		T_CHECK(buf[i] == 'X');
	/* The NUL needs its own byte: 200 is enough, 199 is not. */
	T_CHECK(xml_generate(buf, 200, "config", gen_sample, NULL, &used) == 0);
	T_CHECK(used == 199 && buf[199] == '\0');
	memset(buf, 'X', sizeof(buf));
	T_CHECK(xml_generate(buf, 199, "config", gen_sample, NULL, &used) ==
	    -ENOSPC);
	T_CHECK(buf[199] == 'X');
	buf[0] = 'X';
	T_CHECK(xml_generate(buf, 0, "a", NULL, NULL, &used) == -ENOSPC);
	T_CHECK(buf[0] == 'X');
}

static void
t_late_attr(void)
{
	struct xml_gen g;
	char buf[256];
	size_t used;

	xml_gen_init(&g, buf, sizeof(buf));
	xml_gen_open(&g, "a");
	xml_gen_attr(&g, "first", "1");
	xml_gen_open(&g, "b");
	xml_gen_open(&g, "c");
	xml_gen_close(&g);
	xml_gen_attr(&g, "late", "x");
	xml_gen_attr(&g, "later", "y");
	xml_gen_close(&g);
	xml_gen_attr(&g, "last", "2");
	xml_gen_close(&g);
	T_CHECK(xml_gen_finish(&g, &used) == 0);
	T_CHECK(strcmp(buf, "<a first=\"1\" last=\"2\">\n"
	    "\t<b late=\"x\" later=\"y\">\n\t\t<c/>\n\t</b>\n</a>") == 0);
	T_CHECK(used == strlen(buf));
}

static void
t_escape(void)
{
	struct xml_gen g;
	char buf[256];
	size_t used;

	xml_gen_init(&g, buf, sizeof(buf));
	xml_gen_open(&g, "a");
	xml_gen_attr(&g, "v", "\"x\" & <y> 'z'");
	xml_gen_attr(&g, "w", "dir\\");
	xml_gen_attr(&g, "u", "a\\b");
	xml_gen_text(&g, "1 < 2 & \"3\" > 0", 15);
	xml_gen_close(&g);
	T_CHECK(xml_gen_finish(&g, &used) == 0);
	T_CHECK(strcmp(buf, "<a v=\"&quot;x&quot; &amp; &lt;y&gt; 'z'\" "
	    "w=\"dir&#92;\" u=\"a\\b\">1 &lt; 2 &amp; &quot;3&quot; &gt; 0</a>")
	    == 0);
}

static void
t_append(void)
{
	struct xml_gen g;
	char buf[256];
	size_t used;

	xml_gen_init(&g, buf, sizeof(buf));
	xml_gen_open(&g, "a");
	xml_gen_append(&g, "<raw x=\"&amp;\"/>", 16);
	xml_gen_attr(&g, "k", "v");
	xml_gen_close(&g);
	T_CHECK(xml_gen_finish(&g, &used) == 0);
	T_CHECK(strcmp(buf, "<a k=\"v\"><raw x=\"&amp;\"/></a>") == 0);

	/* Raw text followed by a child: the end tag goes on its own line. */
	xml_gen_init(&g, buf, sizeof(buf));
	xml_gen_open(&g, "a");
	xml_gen_append(&g, "pre", 3);
	xml_gen_open(&g, "b");
	xml_gen_close(&g);
	xml_gen_close(&g);
	T_CHECK(xml_gen_finish(&g, &used) == 0);
	T_CHECK(strcmp(buf, "<a>pre\n\t<b/>\n</a>") == 0);
}

static void
t_text(void)
{
	struct xml_gen g;
	char buf[256];
	size_t used;

	xml_gen_init(&g, buf, sizeof(buf));
	xml_gen_open(&g, "log");
	xml_gen_open(&g, "line");
	xml_gen_text(&g, "hello", 5);
	xml_gen_text(&g, " world!", 6);
	xml_gen_close(&g);
	xml_gen_open(&g, "empty");
	xml_gen_text(&g, "", 0);
	xml_gen_close(&g);
	xml_gen_close(&g);
	T_CHECK(xml_gen_finish(&g, &used) == 0);
	T_CHECK(strcmp(buf, "<log>\n\t<line>hello world</line>\n"
	    "\t<empty></empty>\n</log>") == 0);
	T_CHECK(used == strlen(buf));
}

static void
t_unbalanced(void)
{
	struct xml_gen g;
	char buf[64];
	size_t used = 99;

	xml_gen_init(&g, buf, sizeof(buf));
	xml_gen_close(&g);
	T_CHECK(xml_gen_finish(&g, &used) == -EINVAL && used == 99);

	xml_gen_init(&g, buf, sizeof(buf));
	xml_gen_open(&g, "a");
	xml_gen_close(&g);
	xml_gen_close(&g);
	T_CHECK(xml_gen_finish(&g, &used) == -EINVAL);

	xml_gen_init(&g, buf, sizeof(buf));
	xml_gen_open(&g, "a");
	xml_gen_open(&g, "b");
	xml_gen_close(&g);
	T_CHECK(xml_gen_finish(&g, &used) == -EINVAL);

	xml_gen_init(&g, buf, sizeof(buf));
	T_CHECK(xml_gen_finish(&g, &used) == -EINVAL);	/* no root */

	xml_gen_init(&g, buf, sizeof(buf));
	xml_gen_open(&g, "a");
	xml_gen_close(&g);
	xml_gen_open(&g, "b");	/* second root */
	xml_gen_close(&g);
	T_CHECK(xml_gen_finish(&g, &used) == -EINVAL);
	T_CHECK(used == 99);
}

static void
t_bad_args(void)
{
	static const char *names[] = { "", "1a", "a b", "a>", "-a", "a\"" };
	struct xml_gen g;
	char buf[64];
	size_t used;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		xml_gen_init(&g, buf, sizeof(buf));
		xml_gen_open(&g, names[i]);
		xml_gen_close(&g);
		T_CHECKF(xml_gen_finish(&g, &used) == -EINVAL, "'%s'", names[i]);
		xml_gen_init(&g, buf, sizeof(buf));
		xml_gen_open(&g, "a");
		xml_gen_attr(&g, names[i], "v");
		xml_gen_close(&g);
		T_CHECKF(xml_gen_finish(&g, &used) == -EINVAL, "'%s'", names[i]);
	}
	xml_gen_init(&g, buf, sizeof(buf));
	xml_gen_open(&g, NULL);
	T_CHECK(xml_gen_finish(&g, &used) == -EINVAL);
	xml_gen_init(&g, buf, sizeof(buf));
	xml_gen_attr(&g, "x", "1");	/* outside any node */
	T_CHECK(xml_gen_finish(&g, &used) == -EINVAL);
	xml_gen_init(&g, buf, sizeof(buf));
	xml_gen_text(&g, "t", 1);
	T_CHECK(xml_gen_finish(&g, &used) == -EINVAL);
	xml_gen_init(&g, buf, sizeof(buf));
	xml_gen_open(&g, "a");
	xml_gen_attr(&g, "x", NULL);
	xml_gen_close(&g);
	T_CHECK(xml_gen_finish(&g, &used) == -EINVAL);
	xml_gen_init(&g, buf, sizeof(buf));
	xml_gen_open(&g, "_a:b-c.9");
	xml_gen_close(&g);
	T_CHECK(xml_gen_finish(&g, &used) == 0);
	T_CHECK(strcmp(buf, "<_a:b-c.9/>") == 0);
}

static void
t_depth(void)
{
	struct xml_gen g;
	char buf[8192];
	size_t used;
	struct xml_node n;
	unsigned i;

	xml_gen_init(&g, buf, sizeof(buf));
	for (i = 0; i < 64; i++)
		xml_gen_open(&g, "n");
	for (i = 0; i < 64; i++)
		xml_gen_close(&g);
	T_CHECK(xml_gen_finish(&g, &used) == 0);
	T_CHECK(xml_parse(buf, used, 0, &n, NULL) == 0);

	xml_gen_init(&g, buf, sizeof(buf));
	for (i = 0; i < 65; i++)
		xml_gen_open(&g, "n");
	for (i = 0; i < 65; i++)
		xml_gen_close(&g);
	T_CHECK(xml_gen_finish(&g, &used) == -EINVAL);
}

static void
t_numbers(void)
{
	struct xml_gen g;
	char buf[128];
	size_t used;

	xml_gen_init(&g, buf, sizeof(buf));
	xml_gen_open(&g, "n");
	xml_gen_attr_u64(&g, "max", UINT64_MAX);
	xml_gen_attr_i64(&g, "min", INT64_MIN);
	xml_gen_attr_i64(&g, "neg", -1);
	xml_gen_close(&g);
	T_CHECK(xml_gen_finish(&g, &used) == 0);
	T_CHECK(strcmp(buf, "<n max=\"18446744073709551615\" "
	    "min=\"-9223372036854775808\" neg=\"-1\"/>") == 0);
}

static void
t_sticky(void)
{
	struct xml_gen g;
	char buf[16];
	size_t used = 5;

	memset(buf, 'X', sizeof(buf));
	xml_gen_init(&g, buf, 8);
	xml_gen_open(&g, "abc");
	xml_gen_attr(&g, "long", "value");	/* does not fit */
	T_CHECK(g.error == -ENOSPC);
	xml_gen_close(&g);
	xml_gen_close(&g);	/* unbalanced now, but ENOSPC came first */
	T_CHECK(xml_gen_finish(&g, &used) == -ENOSPC && used == 5);
	for (size_t i = 8; i < sizeof(buf); i++)
		T_CHECK(buf[i] == 'X');
	T_CHECK(xml_generate(buf, 6, "abc", NULL, NULL, &used) == -ENOSPC);
	T_CHECK(xml_generate(buf, 7, "abc", NULL, NULL, &used) == 0);
	T_CHECK(used == 6 && strcmp(buf, "<abc/>") == 0);
}

/* Attribute values for the round trip: everything that needs care. */
static const char *vals[] = {
	"plain", "", "\"quoted\"", "a & b", "<tag/>", "x > y", "back\\",
	"mix\\\"ed", "tab\there", "caf\xc3\xa9", "&amp; literal",
};

static void
gen_round(struct xml_gen *g, void *ctx)
{
	for (unsigned i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		xml_gen_open(g, i % 2 ? "odd" : "even");
		xml_gen_attr(g, "v", vals[i]);
		xml_gen_attr_u64(g, "i", i);
		if (i % 3 == 0) {
			xml_gen_open(g, "leaf");
			xml_gen_close(g);
		}
		xml_gen_close(g);
	}
	*(unsigned *)ctx = sizeof(vals) / sizeof(vals[0]);
}

static void
t_round_trip(void)
{
	struct xml_node r, c;
	struct xml_attr a;
	unsigned count = 0, i = 0;
	char buf[2048], d[64];
	size_t used;
	long len;
	int ok;

	T_CHECK(xml_generate(buf, sizeof(buf), "root", gen_round, &count,
	    &used) == 0);
	T_CHECK(xml_parse(buf, used, 0, &r, NULL) == 0);
	T_CHECK(xml_node_count(&r, NULL) == count);
	T_CHECK(xml_node_count(&r, "odd") == count / 2);
	for (ok = xml_node_first(&r, NULL, &c) == 0; ok;
	    ok = xml_node_next(&c, NULL, &c) == 0, i++) {
		T_CHECK(xml_node_is(&c, i % 2 ? "odd" : "even"));
		T_CHECK(xml_attr_u64(&c, "i", 99) == i);
		T_CHECK(xml_node_attr(&c, "v", &a) == 0);
		len = xml_decode(a.value, a.value_len, d, sizeof(d));
		T_CHECKF(len >= 0 && strcmp(d, vals[i]) == 0, "%u: %s", i, d);
		T_CHECK(xml_node_count(&c, "leaf") == (i % 3 == 0));
	}
	T_CHECK(i == count);
}

int
main(void)
{
	T_RUN("xml-gen-001", "acceptance sample is 199 bytes, byte exact",
	    t_sample);
	T_RUN("xml-gen-002", "20-byte buffer gives -ENOSPC, no overrun",
	    t_exceeded);
	T_RUN("xml-gen-003", "attributes after children land in the start tag",
	    t_late_attr);
	T_RUN("xml-gen-004", "escaping of \" & < > and a trailing backslash",
	    t_escape);
	T_RUN("xml-gen-005", "append inserts raw XML as content", t_append);
	T_RUN("xml-gen-006", "text content: end tag on the same line", t_text);
	T_RUN("xml-gen-007", "unbalanced open/close, no root, two roots",
	    t_unbalanced);
	T_RUN("xml-gen-008", "bad names, attribute or text outside a node",
	    t_bad_args);
	T_RUN("xml-gen-009", "64 levels work, 65 are -EINVAL", t_depth);
	T_RUN("xml-gen-010", "u64/i64 attributes at their limits", t_numbers);
	T_RUN("xml-gen-011", "errors are sticky and never overrun cap",
	    t_sticky);
	T_RUN("xml-gen-012", "generator output parses back to the same tree",
	    t_round_trip);
	return t_done();
}
