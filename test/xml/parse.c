/*
 * Unit tests of the XML parser, attribute getters and entity decoding.
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include <cairn/xml.h>

#include "../test.h"

T_STATE_DEFINE;

static int
parse(const char *s, struct xml_node *n, struct xml_error *e)
{
	return xml_parse(s, strlen(s), 0, n, e);
}

/* Parse s expecting failure with a message containing want at line:col. */
static int
rejects(const char *s, const char *want, unsigned line, unsigned col)
{
	struct xml_error e;
	struct xml_node n;

	memset(&e, 0, sizeof(e));
	if (parse(s, &n, &e) != -EINVAL) {
		fprintf(stderr, "accepted: %s\n", s);
		return 0;
	}
	if (strstr(e.msg, want) == NULL || (line && e.line != line) ||
	    (col && e.col != col)) {
		fprintf(stderr, "%s: got %u:%u %s\n", s, e.line, e.col, e.msg);
		return 0;
	}
	return 1;
}

static void
t_minimal(void)
{
	struct xml_node n;

	T_CHECK(parse("<a/>", &n, NULL) == 0);
	T_CHECK(xml_node_is(&n, "a") && !xml_node_is(&n, "A"));
	T_CHECK(!xml_node_is(&n, "ab") && !xml_node_is(&n, ""));
	T_CHECK(n.size == 4 && n.content_len == 0 && n.name_len == 1);
	T_CHECK(parse("<a></a>", &n, NULL) == 0);
	T_CHECK(n.size == 7 && n.content_len == 0);
	T_CHECK(xml_node_count(&n, NULL) == 0);
	T_CHECK(parse("<a />", &n, NULL) == 0 && n.size == 5);
	T_CHECK(parse("<a></a >", &n, NULL) == 0 && n.size == 8);
}

static void
t_misc(void)
{
	const char *s = " \n<!-- head -->\r\n\t<cfg/> <!-- tail --> \n";
	struct xml_node n;

	T_CHECK(parse(s, &n, NULL) == 0);
	T_CHECK(xml_node_is(&n, "cfg") && n.addr == s + 18 && n.size == 6);
	T_CHECK(parse("<!----><a/><!---->", &n, NULL) == 0);
}

static void
t_navigate(void)
{
	const char *s = "<config>\n"
	    "  text <!-- <start name=\"hidden\"/> -->\n"
	    "  <parent-provides/>\n"
	    "  <start name=\"a\"><x/></start> more text\n"
	    "  <default-route></default-route>\n"
	    "  <start name=\"b\"/>\n"
	    "</config>";
	struct xml_node r, c, d;
	char name[8];

	T_CHECK(parse(s, &r, NULL) == 0);
	T_CHECK(xml_node_count(&r, NULL) == 4);
	T_CHECK(xml_node_count(&r, "start") == 2);
	T_CHECK(xml_node_count(&r, "none") == 0);
	T_CHECK(xml_node_first(&r, NULL, &c) == 0);
	T_CHECK(xml_node_is(&c, "parent-provides"));
	T_CHECK(xml_node_first(&r, "start", &c) == 0);
	xml_attr_str(&c, "name", name, sizeof(name), NULL);
	T_CHECK(strcmp(name, "a") == 0);
	T_CHECK(xml_node_count(&c, NULL) == 1);
	T_CHECK(xml_node_next(&c, "start", &d) == 0);
	xml_attr_str(&d, "name", name, sizeof(name), NULL);
	T_CHECK(strcmp(name, "b") == 0);
	T_CHECK(xml_node_next(&d, NULL, &d) == -ENOENT);
	T_CHECK(xml_node_next(&c, NULL, &c) == 0);	/* aliasing */
	T_CHECK(xml_node_is(&c, "default-route"));
	T_CHECK(xml_node_first(&c, NULL, &d) == -ENOENT);
	T_CHECK(xml_node_next(&c, "parent-provides", &d) == -ENOENT);
	T_CHECK(xml_node_next(&r, NULL, &d) == -ENOENT);
	T_CHECK(xml_node_first(&r, "x", &d) == -ENOENT);	/* not a child */
}

static int
collect(const struct xml_node *n, void *ctx)
{
	char *out = ctx;
	char t[16];

	xml_node_type(n, t, sizeof(t));
	strcat(out, t);
	strcat(out, ",");
	return xml_node_is(n, "stop") ? 42 : 0;
}

static void
t_for_each(void)
{
	struct xml_node r;
	char out[64] = "";

	T_CHECK(parse("<r><a/><!--c--><b></b><a/></r>", &r, NULL) == 0);
	T_CHECK(xml_for_each_sub_node(&r, NULL, collect, out) == 0);
	T_CHECK(strcmp(out, "a,b,a,") == 0);
	out[0] = '\0';
	T_CHECK(xml_for_each_sub_node(&r, "a", collect, out) == 0);
	T_CHECK(strcmp(out, "a,a,") == 0);
	T_CHECK(parse("<r><a/><stop/><b/></r>", &r, NULL) == 0);
	out[0] = '\0';
	T_CHECK(xml_for_each_sub_node(&r, NULL, collect, out) == 42);
	T_CHECK(strcmp(out, "a,stop,") == 0);
}

static void
t_attrs(void)
{
	const char *s = "<a x=\"1\"\n\ty = \"&lt;two&gt;\"   _:z.-9=\"\" x=\"dup\" />";
	struct xml_attr a;
	struct xml_node n;

	T_CHECK(parse(s, &n, NULL) == 0);
	T_CHECK(xml_node_attr(&n, "x", &a) == 0 && xml_attr_is(&a, "1"));
	T_CHECK(a.name == s + 3 && a.name_len == 1 && a.value == s + 6);
	T_CHECK(xml_node_attr(&n, "y", &a) == 0);
	T_CHECK(xml_attr_is(&a, "&lt;two&gt;"));	/* raw, not decoded */
	T_CHECK(!xml_attr_is(&a, "&lt;two&gt") && !xml_attr_is(&a, "<two>"));
	T_CHECK(xml_node_attr(&n, "_:z.-9", &a) == 0 && a.value_len == 0);
	T_CHECK(xml_node_attr(&n, "X", &a) == -ENOENT);
	T_CHECK(xml_node_attr(&n, "", &a) == -ENOENT);
	T_CHECK(xml_node_has_attr(&n, "y") && !xml_node_has_attr(&n, "w"));
	T_CHECK(xml_node_attr_at(&n, 0, &a) == 0 && xml_attr_is(&a, "1"));
	T_CHECK(xml_node_attr_at(&n, 3, &a) == 0 && xml_attr_is(&a, "dup"));
	T_CHECK(xml_node_attr_at(&n, 4, &a) == -ENOENT);
	T_CHECK(parse("<a><b x=\"1\"/></a>", &n, NULL) == 0);
	T_CHECK(xml_node_attr_at(&n, 0, &a) == -ENOENT);
	T_CHECK(parse("<a x=\"&gt; /> <b>\"></a>", &n, NULL) == 0);
	T_CHECK(xml_node_count(&n, NULL) == 0);
	T_CHECK(xml_node_attr(&n, "x", &a) == 0 && a.value_len == 11);
}

static void
t_backslash(void)
{
	struct xml_node n;
	struct xml_attr a;

	T_CHECK(parse("<a v=\"say \\\"hi\\\"\" w=\"2\"/>", &n, NULL) == 0);
	T_CHECK(xml_node_attr(&n, "v", &a) == 0);
	T_CHECK(xml_attr_is(&a, "say \\\"hi\\\""));
	T_CHECK(xml_node_attr(&n, "w", &a) == 0 && xml_attr_is(&a, "2"));
	/* Even a doubled backslash escapes the quote (spec, Genode 14.02). */
	T_CHECK(rejects("<a v=\"x\\\\\"/>", "unterminated value of attribute "
	    "'v' in <a>", 1, 6));
}

static void
t_extent(void)
{
	const char *s = "<r>\n <a k=\"v\">hi<b/>there</a>\n</r>";
	struct xml_node r, a, b;

	T_CHECK(parse(s, &r, NULL) == 0);
	T_CHECK(r.addr == s && r.size == strlen(s));
	T_CHECK(r.content == s + 3 && r.content_len == strlen(s) - 7);
	T_CHECK(xml_node_first(&r, NULL, &a) == 0);
	T_CHECK(a.addr == s + 5 && a.size == 24);
	T_CHECK(a.content_len == 11 && memcmp(a.content, "hi<b/>there", 11) == 0);
	T_CHECK(a.attrs_len == 6 && memcmp(a.attrs, " k=\"v\"", 6) == 0);
	T_CHECK(xml_node_first(&a, NULL, &b) == 0);
	T_CHECK(b.addr == s + 16 && b.size == 4 && b.content_len == 0);
	T_CHECK(b.end == a.content + a.content_len);
}

static void
t_type(void)
{
	struct xml_node n;
	char t[4];

	T_CHECK(parse("<start-node/>", &n, NULL) == 0);
	xml_node_type(&n, t, sizeof(t));
	T_CHECK(strcmp(t, "sta") == 0);
	xml_node_type(&n, t, 0);
	T_CHECK(strcmp(t, "sta") == 0);
}

static void
t_nul(void)
{
	static const char s[] = "<rom version=\"1\"/>\0\0garbage<<<";
	static const char t[] = "<a>\0</a>";
	struct xml_error e;
	struct xml_node n;

	T_CHECK(xml_parse(s, sizeof(s), 0, &n, &e) == 0);
	T_CHECK(n.end == s + 18);
	T_CHECK(xml_parse(t, sizeof(t), 0, &n, &e) == -EINVAL);
	T_CHECK(strstr(e.msg, "missing end tag </a>") != NULL);
	T_CHECK(xml_parse("\0<a/>", 5, 0, &n, &e) == -EINVAL);
	T_CHECK(strstr(e.msg, "empty document") != NULL);
	/* Without a NUL the parser stays inside [buf, buf+len). */
	T_CHECK(xml_parse("<a/>junk", 4, 0, &n, NULL) == 0);
	T_CHECK(xml_parse("<a></a>", 6, 0, &n, NULL) == -EINVAL);
}

static void
t_empty(void)
{
	struct xml_node n;

	T_CHECK(rejects("", "empty document", 1, 1));
	T_CHECK(rejects(" \n\t ", "empty document", 2, 3));
	T_CHECK(rejects("<!-- nothing -->", "empty document", 1, 17));
	T_CHECK(xml_parse(NULL, 0, 0, &n, NULL) == -EINVAL);
}

static void
t_unterminated_tag(void)
{
	T_CHECK(rejects("<config>\n  <start name=\"x\"",
	    "expected '>' to close <start> opened at 2:3", 2, 18));
	T_CHECK(rejects("<a", "expected '>' to close <a> opened at 1:1", 1, 3));
	T_CHECK(rejects("<a/", "expected '>' after '/' in <a>", 1, 3));
	T_CHECK(rejects("<a/ >", "expected '>' after '/' in <a>", 1, 3));
	T_CHECK(rejects("<a x=\"1\" /", "expected '>' after '/'", 1, 10));
	T_CHECK(rejects("<", "unexpected end of document after '<'", 1, 1));
}

static void
t_mismatch(void)
{
	T_CHECK(rejects("<a>\n <b></c>\n</a>",
	    "end tag </c> does not match <b> opened at 2:2", 2, 5));
	T_CHECK(rejects("<a></b>", "end tag </b> does not match <a> opened "
	    "at 1:1", 1, 4));
	T_CHECK(rejects("<a></ab>", "end tag </ab> does not match <a>", 1, 4));
	T_CHECK(rejects("<ab></a>", "end tag </a> does not match <ab>", 1, 5));
	T_CHECK(rejects("<a></A>", "does not match", 1, 4));
	T_CHECK(rejects("<a></>", "end tag </> does not match <a>", 1, 4));
	T_CHECK(rejects("<a></a x>", "expected '>' to close end tag </a>",
	    1, 8));
	T_CHECK(rejects("<a></a", "expected '>' to close end tag </a>", 1, 7));
	T_CHECK(rejects("<a><b/>", "missing end tag </a>", 1, 1));
	T_CHECK(rejects("<a>\n<b>text", "missing end tag </b>", 2, 1));
}

static void
t_attr_value(void)
{
	T_CHECK(rejects("<a x=\"1/>", "unterminated value of attribute 'x' "
	    "in <a>", 1, 6));
	T_CHECK(rejects("<a x=\"1></a>\n", "unterminated value", 1, 6));
	T_CHECK(rejects("<a x=1/>", "value of attribute 'x' in <a> must be "
	    "enclosed in double quotes", 1, 6));
	T_CHECK(rejects("<a x='1'/>", "must be enclosed in double quotes",
	    1, 6));
	T_CHECK(rejects("<a x/>", "expected '=' after attribute 'x' in <a>",
	    1, 5));
	T_CHECK(rejects("<a x =/>", "must be enclosed in double quotes", 1, 7));
	T_CHECK(rejects("<a x", "expected '=' after attribute 'x'", 1, 5));
	T_CHECK(rejects("<a x=\"1\"y=\"2\"/>", "missing whitespace before "
	    "attribute 'y' in <a>", 1, 9));
	T_CHECK(rejects("<a 1x=\"1\"/>", "unexpected '1' in <a>", 1, 4));
	T_CHECK(rejects("<a x!=\"1\"/>", "expected '=' after attribute 'x'",
	    1, 5));
	T_CHECK(rejects("<a \x01/>", "unexpected 0x01 in <a>", 1, 4));
}

static void
t_junk(void)
{
	T_CHECK(rejects("<a/>x", "junk after the root element <a>: 'x'", 1, 5));
	T_CHECK(rejects("<a/>\n<b/>", "junk after the root element <a>", 2, 1));
	T_CHECK(rejects("<a/></a>", "junk after the root element", 1, 5));
	T_CHECK(rejects("x<a/>", "expected '<' of the root element, found 'x'",
	    1, 1));
	T_CHECK(rejects("</a>", "unexpected end tag </a>", 1, 1));
	T_CHECK(rejects("< a/>", "'<' must be followed by a tag name, not ' '",
	    1, 1));
	T_CHECK(rejects("<a>x < y</a>", "'<' must be followed by a tag name",
	    1, 6));
	T_CHECK(rejects("<1/>", "tag name", 1, 1));
}

static void
t_unsupported(void)
{
	T_CHECK(rejects("<?xml version=\"1.0\"?><a/>", "processing "
	    "instructions are not supported", 1, 1));
	T_CHECK(rejects("<a><?pi x?></a>", "processing instructions", 1, 4));
	T_CHECK(rejects("<a>\n<![CDATA[x]]></a>", "CDATA sections are not "
	    "supported", 2, 1));
	T_CHECK(rejects("<!DOCTYPE a><a/>", "DOCTYPE declarations are not "
	    "supported", 1, 1));
	T_CHECK(rejects("<a><!DOCTYPE a></a>", "DOCTYPE", 1, 4));
	T_CHECK(rejects("<a/><!ELEMENT a>", "unsupported markup '<!'", 1, 5));
	T_CHECK(rejects("<a/><?pi?>", "processing instructions", 1, 5));
}

static void
t_comments(void)
{
	struct xml_node n;

	T_CHECK(parse("<a><!-- <b/> --><!-- x -- y --></a>", &n, NULL) == 0);
	T_CHECK(xml_node_count(&n, NULL) == 0);
	T_CHECK(rejects("<a/><!-- x", "unterminated comment", 1, 5));
	T_CHECK(rejects("<!-- x <a/>", "unterminated comment", 1, 1));
	T_CHECK(rejects("<a><!-- </a>", "unterminated comment", 1, 4));
	T_CHECK(rejects("<a><!--></a>", "unterminated comment", 1, 4));
	/* Comments are allowed between nodes only, not inside a tag. */
	T_CHECK(rejects("<a <!-- c --> x=\"1\"/>", "unexpected '<' in <a>",
	    1, 4));
	T_CHECK(rejects("<a x=\"1\" <!--c-->/>", "unexpected '<' in <a>",
	    1, 10));
}

static void
t_text(void)
{
	struct xml_node n;

	T_CHECK(parse("<a>x > y & z \"q\"</a>", &n, NULL) == 0);
	T_CHECK(n.content_len == 13);
}

/* Document of depth levels: <n><n>...</n></n>. */
static char *
nest(unsigned depth)
{
	char *s = malloc((size_t)depth * 7 + 1), *p = s;

	for (unsigned i = 0; i < depth; i++, p += 3)
		memcpy(p, "<n>", 3);
	for (unsigned i = 0; i < depth; i++, p += 4)
		memcpy(p, "</n>", 4);
	*p = '\0';
	return s;
}

static void
t_depth(void)
{
	struct xml_error e;
	struct xml_node n;
	char *s;
	int r1, r2, r3, r4;

	s = nest(64);
	r1 = xml_parse(s, strlen(s), 0, &n, &e);
	r2 = xml_parse(s, strlen(s), 63, &n, &e);
	free(s);
	T_CHECK(r1 == 0);
	T_CHECK(r2 == -EINVAL && strcmp(e.msg, "elements nested deeper than "
	    "63 levels") == 0 && e.line == 1 && e.col == 63 * 3 + 1);
	s = nest(65);
	r1 = xml_parse(s, strlen(s), 0, &n, &e);
	r2 = xml_parse(s, strlen(s), 65, &n, NULL);
	free(s);
	T_CHECK(r1 == -EINVAL && strstr(e.msg, "deeper than 64") != NULL);
	T_CHECK(r2 == 0);
	s = nest(256);
	r3 = xml_parse(s, strlen(s), 100000, &n, NULL);
	free(s);
	s = nest(257);
	r4 = xml_parse(s, strlen(s), 100000, &n, &e);
	free(s);
	T_CHECK(r3 == 0);
	T_CHECK(r4 == -EINVAL && strstr(e.msg, "deeper than 256") != NULL);
}

static void
t_huge_value(void)
{
	const size_t big = 1 << 20;
	char *s = malloc(big + 64), *dst = malloc(big + 1);
	struct xml_error e;
	struct xml_attr a;
	struct xml_node n;
	int r, r2, r3, ok;

	if (s == NULL || dst == NULL) {
		free(s);
		free(dst);
		T_SKIP("out of memory");
	}
	memcpy(s, "<a v=\"", 6);
	memset(s + 6, 'x', big);
	s[6 + big / 2] = '>';
	strcpy(s + 6 + big, "\" w=\"1\"/>");
	r = xml_parse(s, strlen(s), 0, &n, &e);
	ok = r == 0 && xml_node_attr(&n, "v", &a) == 0 && a.value_len == big &&
	    xml_attr_u64(&n, "w", 0) == 1;
	r2 = r == 0 ? xml_attr_get_str(&n, "v", dst, big, &e) : 0;
	r3 = r == 0 ? xml_attr_get_str(&n, "v", dst, big + 1, &e) : 0;
	ok = ok && strlen(dst) == big;
	s[6 + big] = '\0';	/* now unterminated */
	r = xml_parse(s, big + 64, 0, &n, &e);
	free(s);
	free(dst);
	T_CHECK(ok);
	T_CHECK(r2 == -ENAMETOOLONG && r3 == 0);
	T_CHECK(r == -EINVAL && strstr(e.msg, "unterminated value") != NULL);
}

static void
t_decode(void)
{
	char d[32];
	const char *s = "&lt;&gt;&amp;&quot;&apos;&#65;&#x42;&#xe9;&#8364;"
	    "&#x1F600;!";

	T_CHECK(xml_decode(s, strlen(s), d, sizeof(d)) == 17);
	T_CHECK(strcmp(d, "<>&\"'AB\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80!") == 0);
	T_CHECK(xml_decode("plain", 5, d, sizeof(d)) == 5 && !strcmp(d, "plain"));
	T_CHECK(xml_decode("", 0, d, sizeof(d)) == 0 && d[0] == '\0');
	T_CHECK(xml_decode("&#x7f;&#128;&#xFFFF;&#x10FFFF;", 30, d, 32) == 10);
	/* Only len bytes are read: "&amp;" cut after "&am" is malformed. */
	T_CHECK(xml_decode("&amp;", 3, d, sizeof(d)) == -EINVAL);
}

static void
t_decode_bad(void)
{
	static const char *bad[] = {
		"&", "a & b", "&amp", "&foo;", "&;", "&#;", "&#x;", "&#0;",
		"&#x0;", "&#xD800;", "&#xdfff;", "&#x110000;", "&#1114112;",
		"&#99999999999999999999;", "&#12a;", "&#X41;", "&#-1;",
		"&AMP;", "&lt ;", "&#x 41;", "&#xg;",
	};
	char d[32];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		T_CHECKF(xml_decode(bad[i], strlen(bad[i]), d, sizeof(d)) ==
		    -EINVAL, "%s", bad[i]);
}

static void
t_decode_space(void)
{
	char d[8];

	T_CHECK(xml_decode("abc", 3, d, 3) == -ENOSPC);
	T_CHECK(xml_decode("abc", 3, d, 4) == 3 && strcmp(d, "abc") == 0);
	T_CHECK(xml_decode("", 0, d, 0) == -ENOSPC);
	T_CHECK(xml_decode("&#x1F600;", 9, d, 4) == -ENOSPC);
	T_CHECK(xml_decode("&#x1F600;", 9, d, 5) == 4);
}

static void
t_bool(void)
{
	struct xml_node n;

	T_CHECK(parse("<a a=\"yes\" b=\"true\" c=\"on\" d=\"no\" e=\"false\" "
	    "f=\"off\" g=\"Yes\" h=\"1\" i=\"\" j=\"yes \"/>", &n, NULL) == 0);
	T_CHECK(xml_attr_bool(&n, "a", false) && xml_attr_bool(&n, "b", false));
	T_CHECK(xml_attr_bool(&n, "c", false));
	T_CHECK(!xml_attr_bool(&n, "d", true) && !xml_attr_bool(&n, "e", true));
	T_CHECK(!xml_attr_bool(&n, "f", true));
	T_CHECK(xml_attr_bool(&n, "g", true) && !xml_attr_bool(&n, "g", false));
	T_CHECK(xml_attr_bool(&n, "h", true) && !xml_attr_bool(&n, "h", false));
	T_CHECK(xml_attr_bool(&n, "i", true) && xml_attr_bool(&n, "j", true));
	T_CHECK(xml_attr_bool(&n, "absent", true));
	T_CHECK(!xml_attr_bool(&n, "absent", false));
}

static void
t_u64(void)
{
	struct xml_node n;
	static const char *s = "<a d=\"1234\" h=\"0x1f\" H=\"0XABCdef\" z=\"0\" "
	    "max=\"18446744073709551615\" over=\"18446744073709551616\" "
	    "hmax=\"0xffffffffffffffff\" hover=\"0x10000000000000000\" "
	    "x=\"0x\" e=\"\" neg=\"-1\" plus=\"+1\" sp=\" 1\" g=\"12g\" "
	    "lead=\"007\" hexd=\"1f\"/>";

	T_CHECK(parse(s, &n, NULL) == 0);
	T_CHECK(xml_attr_u64(&n, "d", 0) == 1234);
	T_CHECK(xml_attr_u64(&n, "h", 0) == 0x1f);
	T_CHECK(xml_attr_u64(&n, "H", 0) == 0xabcdef);
	T_CHECK(xml_attr_u64(&n, "z", 9) == 0);
	T_CHECK(xml_attr_u64(&n, "max", 0) == UINT64_MAX);
	T_CHECK(xml_attr_u64(&n, "over", 7) == 7);
	T_CHECK(xml_attr_u64(&n, "hmax", 0) == UINT64_MAX);
	T_CHECK(xml_attr_u64(&n, "hover", 7) == 7);
	T_CHECK(xml_attr_u64(&n, "x", 7) == 7 && xml_attr_u64(&n, "e", 7) == 7);
	T_CHECK(xml_attr_u64(&n, "neg", 7) == 7);
	T_CHECK(xml_attr_u64(&n, "plus", 7) == 7);
	T_CHECK(xml_attr_u64(&n, "sp", 7) == 7 && xml_attr_u64(&n, "g", 7) == 7);
	T_CHECK(xml_attr_u64(&n, "lead", 0) == 7);
	T_CHECK(xml_attr_u64(&n, "hexd", 7) == 7);
	T_CHECK(xml_attr_u64(&n, "absent", 5) == 5);
}

static void
t_size(void)
{
	struct xml_node n;

	T_CHECK(parse("<a b=\"512\" k=\"4K\" m=\"16M\" g=\"1G\" hk=\"0x10K\" "
	    "K=\"K\" lk=\"1k\" kb=\"1KB\" gmax=\"17179869183G\" "
	    "gover=\"17179869184G\" over=\"18446744073709551616\" "
	    "T=\"1T\"/>", &n, NULL) == 0);
	T_CHECK(xml_attr_size(&n, "b", 0) == 512);
	T_CHECK(xml_attr_size(&n, "k", 0) == 4096);
	T_CHECK(xml_attr_size(&n, "m", 0) == 16 << 20);
	T_CHECK(xml_attr_size(&n, "g", 0) == 1 << 30);
	T_CHECK(xml_attr_size(&n, "hk", 0) == 16 << 10);
	T_CHECK(xml_attr_size(&n, "K", 3) == 3);
	T_CHECK(xml_attr_size(&n, "lk", 3) == 3);
	T_CHECK(xml_attr_size(&n, "kb", 3) == 3);
	T_CHECK(xml_attr_size(&n, "gmax", 3) == 17179869183ULL << 30);
	T_CHECK(xml_attr_size(&n, "gover", 3) == 3);
	T_CHECK(xml_attr_size(&n, "over", 3) == 3);
	T_CHECK(xml_attr_size(&n, "T", 3) == 3);
	T_CHECK(xml_attr_u64(&n, "k", 3) == 3);	/* suffix only for sizes */
}

static void
t_str(void)
{
	struct xml_node n;
	char d[6];

	T_CHECK(parse("<a label=\"a &amp; b\" long=\"123456789\"/>", &n,
	    NULL) == 0);
	xml_attr_str(&n, "label", d, sizeof(d), "def");
	T_CHECK(strcmp(d, "a &am") == 0);	/* raw and truncated */
	xml_attr_str(&n, "none", d, sizeof(d), "def");
	T_CHECK(strcmp(d, "def") == 0);
	xml_attr_str(&n, "none", d, sizeof(d), NULL);
	T_CHECK(strcmp(d, "") == 0);
	xml_attr_str(&n, "none", d, 3, "default");
	T_CHECK(strcmp(d, "de") == 0);
}

static void
t_strict(void)
{
	const char *s = "<config>\n\t<start name=\"fs\" ram=\"12Q\" q=\"4M\"\n"
	    "\t verbose=\"maybe\" n=\"0x\" label=\"abcdef\"/>\n</config>";
	struct xml_node r, n;
	struct xml_error e;
	uint64_t v = 77;
	bool b = true;
	char d[8] = "keep";

	T_CHECK(parse(s, &r, NULL) == 0);
	T_CHECK(xml_node_first(&r, "start", &n) == 0);
	T_CHECK(xml_attr_get_size(&n, "q", &v, &e) == 0 && v == 4 << 20);
	v = 77;
	memset(&e, 0x55, sizeof(e));
	T_CHECK(xml_attr_get_size(&n, "none", &v, &e) == -ENOENT && v == 77);
	T_CHECK(e.line == 0x55555555 && e.msg[0] == 0x55);
	T_CHECK(xml_attr_get_size(&n, "ram", &v, &e) == -EINVAL && v == 77);
	T_CHECK(strcmp(e.msg, "<start>: attribute 'ram'=\"12Q\" is not a size")
	    == 0 && e.line == 2 && e.col == 19);
	T_CHECK(xml_attr_get_u64(&n, "n", &v, &e) == -EINVAL);
	T_CHECK(strstr(e.msg, "attribute 'n'=\"0x\" is not a number") &&
	    e.line == 3 && e.col == 19);
	T_CHECK(xml_attr_get_bool(&n, "verbose", &b, &e) == -EINVAL && b);
	T_CHECK(strstr(e.msg, "attribute 'verbose'=\"maybe\" is not a boolean")
	    && e.line == 3 && e.col == 3);
	T_CHECK(xml_attr_get_bool(&n, "absent", &b, NULL) == -ENOENT);
	T_CHECK(xml_attr_get_str(&n, "label", d, 6, &e) == -ENAMETOOLONG);
	T_CHECK(strstr(e.msg, "value of attribute 'label' is too long "
	    "(6 bytes, at most 5)") && e.line == 3 && e.col == 26);
	T_CHECK(xml_attr_get_str(&n, "label", d, 7, &e) == 0);
	T_CHECK(strcmp(d, "abcdef") == 0);
	T_CHECK(xml_attr_get_str(&n, "label", d, 0, NULL) == -ENAMETOOLONG);
	T_CHECK(xml_attr_get_u64(&n, "ram", &v, NULL) == -EINVAL);
}

static void
t_strict_long(void)
{
	struct xml_error e;
	struct xml_node n;
	uint64_t v;

	T_CHECK(parse("<a v=\"0123456789012345678901234567890123456789\"/>",
	    &n, NULL) == 0);
	T_CHECK(xml_attr_get_u64(&n, "v", &v, &e) == -EINVAL);
	T_CHECK(strstr(e.msg, "=\"01234567890123456789012345678901...\" is not"));
}

static void
t_position(void)
{
	const char *s = "<a>\n\n  <b/>\n</a>";
	struct xml_node r, b;
	struct xml_error e;
	unsigned l, c;

	T_CHECK(parse(s, &r, NULL) == 0);
	T_CHECK(xml_node_first(&r, "b", &b) == 0);
	xml_position(&b, b.addr, &l, &c);
	T_CHECK(l == 3 && c == 3);
	xml_position(&r, s, &l, &c);
	T_CHECK(l == 1 && c == 1);
	xml_position(&r, s + strlen(s), &l, &c);
	T_CHECK(l == 4 && c == 5);
	xml_position(&r, NULL, &l, &c);
	T_CHECK(l == 0 && c == 0);
	xml_error_at(&b, b.name, &e, "<%s> is %d", "b", 42);
	T_CHECK(e.line == 3 && e.col == 4 && strcmp(e.msg, "<b> is 42") == 0);
	xml_error_at(&b, b.name, NULL, "ignored");
}

int
main(void)
{
	T_RUN("xml-parse-001", "<a/>, <a></a>, <a /> and </a > parse", t_minimal);
	T_RUN("xml-parse-002", "whitespace and comments around the root",
	    t_misc);
	T_RUN("xml-parse-003", "first/next/count by type skip text and comments",
	    t_navigate);
	T_RUN("xml-parse-004", "for_each visits in order and stops early",
	    t_for_each);
	T_RUN("xml-parse-005", "attributes by name and index, raw values",
	    t_attrs);
	T_RUN("xml-parse-006", "backslash-quote does not end a value",
	    t_backslash);
	T_RUN("xml-parse-007", "addr/size/content/attrs extents are exact",
	    t_extent);
	T_RUN("xml-parse-008", "xml_node_type truncates to cap-1", t_type);
	T_RUN("xml-parse-009", "a NUL byte ends the document", t_nul);
	T_RUN("xml-parse-010", "empty document is rejected", t_empty);
	T_RUN("xml-parse-011", "unterminated start tag names tag and position",
	    t_unterminated_tag);
	T_RUN("xml-parse-012", "mismatched or missing end tag with line:col",
	    t_mismatch);
	T_RUN("xml-parse-013", "bad attribute syntax: quotes, '=', spacing",
	    t_attr_value);
	T_RUN("xml-parse-014", "junk before/after the root, stray '<'", t_junk);
	T_RUN("xml-parse-015", "PI, CDATA and DOCTYPE are rejected",
	    t_unsupported);
	T_RUN("xml-parse-016", "comments between nodes only, must terminate",
	    t_comments);
	T_RUN("xml-parse-017", "text may hold '>', '&' and quotes", t_text);
	T_RUN("xml-parse-018", "nesting beyond max_depth is rejected", t_depth);
	T_RUN("xml-parse-019", "1 MiB attribute value", t_huge_value);
	T_RUN("xml-parse-020", "xml_decode: entities and char refs to UTF-8",
	    t_decode);
	T_RUN("xml-parse-021", "xml_decode: malformed entities are -EINVAL",
	    t_decode_bad);
	T_RUN("xml-parse-022", "xml_decode: -ENOSPC counts the NUL",
	    t_decode_space);
	T_RUN("xml-parse-023", "bool words, default on absent or unparsable",
	    t_bool);
	T_RUN("xml-parse-024", "u64 decimal and hex, overflow rejected", t_u64);
	T_RUN("xml-parse-025", "sizes with K/M/G, overflow rejected", t_size);
	T_RUN("xml-parse-026", "string getter copies raw, truncates, defaults",
	    t_str);
	T_RUN("xml-parse-027", "strict getters name attribute, value, line:col",
	    t_strict);
	T_RUN("xml-parse-028", "strict getter messages cut long values",
	    t_strict_long);
	T_RUN("xml-parse-029", "xml_position and xml_error_at", t_position);
	return t_done();
}
