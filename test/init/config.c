/*
 * Unit tests of init's config checking: every refusal names line:column
 * and the offending node, attribute or value.
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "init.h"

#include "../test.h"

T_STATE_DEFINE;

static struct init in;
static struct xml_error err;
static struct child *kids;
static char got[256];

#define HEAD "<config>\n" \
    "<parent-provides> <service name=\"LOG\"/> </parent-provides>\n" \
    "<default-route> <any-service> <parent/> </any-service> </default-route>\n"

static int
load(const char *text)
{
	int r;

	in.avail = 64 << 20;
	kids = NULL;
	memset(&err, 0, sizeof(err));
	r = config_load(&in, text, strlen(text), &kids, &err);
	snprintf(got, sizeof(got), "%u:%u: %s", err.line, err.col, err.msg);
	return r;
}

static void
release(void)
{
	while (kids) {
		struct child *c = kids;

		kids = c->next;
		free(c->start_xml);
		free(c);
	}
}

static void
t_ok(void)
{
	T_CHECKF(load(HEAD
	    "<start name=\"a\"> <resource name=\"RAM\" quantum=\"1M\" limit=\"2M\"/>\n"
	    "  <provides> <service name=\"X\"/> </provides> </start>\n"
	    "<start name=\"b\"> <binary name=\"a\"/>\n"
	    "  <resource name=\"RAM\" quantum=\"512K\"/>\n"
	    "  <host name=\"disk\" resource=\"img\" writeable=\"yes\"/>\n"
	    "  <route> <service name=\"X\" label_prefix=\"p\"> <child name=\"a\"/> "
	    "</service> <any-service> <parent/> </any-service> </route>\n"
	    "  <config> <anything goes=\"here\"/> </config> </start>\n"
	    "</config>") == 0, "%s", got);
	T_CHECK(kids && kids->next && !kids->next->next);
	T_CHECK(strcmp(kids->name, "a") == 0 && kids->quantum == 1 << 20);
	T_CHECK(kids->limit == 2 << 20 && kids->nprovides == 1);
	T_CHECK(strcmp(kids->next->binary, "a") == 0);
	T_CHECK(kids->next->nhost == 1 && kids->next->host[0].writeable);
	T_CHECK(strcmp(kids->next->host[0].resource, "img") == 0);
	T_CHECK(kids->next->limit == kids->next->quantum);
	release();
}

struct bad {
	const char *id, *text, *want;
};

static const struct bad bads[] = {
	{ "malformed XML", "<config>\n<start name=\"a\">\n</config>",
	  "3:1: end tag </config> does not match <start> opened at 2:1" },
	{ "wrong root", "<konfig/>", "1:2: root node must be <config>, not <konfig>" },
	{ "unknown node", HEAD "<strat name=\"a\"/>\n</config>",
	  "4:2: <config>: unknown node <strat>" },
	{ "unknown attribute", HEAD "<start name=\"a\" prio=\"1\">"
	  "<resource name=\"RAM\" quantum=\"1M\"/></start>\n</config>",
	  "4:17: <start>: unknown attribute 'prio'" },
	{ "missing name", HEAD "<start><resource name=\"RAM\" quantum=\"1M\"/>"
	  "</start>\n</config>", "4:2: <start>: missing 'name' attribute" },
	{ "duplicate child", HEAD
	  "<start name=\"a\"><resource name=\"RAM\" quantum=\"1M\"/></start>\n"
	  "<start name=\"a\"><resource name=\"RAM\" quantum=\"1M\"/></start>\n"
	  "</config>", "5:2: <start>: duplicate child name \"a\"" },
	{ "bad quantum", HEAD "<start name=\"a\">\n"
	  "  <resource name=\"RAM\" quantum=\"12Q\"/></start>\n</config>",
	  "5:24: <resource>: attribute 'quantum'=\"12Q\" is not a size" },
	{ "no quantum", HEAD "<start name=\"a\"/>\n</config>",
	  "4:2: <start name=\"a\">: no RAM quantum (add <resource name=\"RAM\" "
	  "quantum=\"1M\"/>)" },
	{ "quantum too large", HEAD
	  "<start name=\"a\"><resource name=\"RAM\" quantum=\"40M\"/></start>\n"
	  "<start name=\"b\"><resource name=\"RAM\" quantum=\"40M\"/></start>\n"
	  "</config>", "5:2: <start name=\"b\">: RAM quantum 41943040 exceeds "
	  "what is left (25165824 of 67108864 bytes); lower 'quantum'" },
	{ "route to missing child", HEAD
	  "<start name=\"a\"><resource name=\"RAM\" quantum=\"1M\"/>\n"
	  "<route><any-service><child name=\"ghost\"/></any-service></route>"
	  "</start>\n</config>",
	  "5:22: route to child \"ghost\", which is not in the config" },
	{ "bad route rule", HEAD
	  "<start name=\"a\"><resource name=\"RAM\" quantum=\"1M\"/>\n"
	  "<route><servic name=\"X\"/></route></start>\n</config>",
	  "5:9: <route>: unknown node <servic>" },
	{ "bad name", HEAD
	  "<start name=\"a -> b\"><resource name=\"RAM\" quantum=\"1M\"/>"
	  "</start>\n</config>",
	  "4:2: <start>: name \"a -> b\" may not contain '/' or '->'" },
};

static void
t_bad(void)
{
	unsigned i;

	for (i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		T_CHECKF(load(bads[i].text) < 0, "%s accepted", bads[i].id);
		T_CHECKF(kids == NULL, "%s left children", bads[i].id);
		T_CHECKF(strcmp(got, bads[i].want) == 0, "%s: got \"%s\"",
		    bads[i].id, got);
	}
}

int
main(void)
{
	T_RUN("init-config-001", "a full config is accepted", t_ok);
	T_RUN("init-config-002", "bad configs are refused with line:column",
	    t_bad);
	return t_done();
}
