/*
 * Unit tests of session arguments, label composition and policy matching.
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <string.h>

#include <cairn/env.h>

#include "../test.h"

T_STATE_DEFINE;

static void
t_str(void)
{
	char v[32];
	const char *a = "ram_quota=16K, label=\"a -> b, c\", tx_buf_size=0x100";

	T_CHECK(cairn_arg_str(a, "label", v, sizeof(v)) == 0);
	T_CHECK(strcmp(v, "a -> b, c") == 0);
	T_CHECK(cairn_arg_str(a, "quota", v, sizeof(v)) == -ENOENT);
	T_CHECK(cairn_arg_str(a, "label", v, 4) == -ENOSPC);
	T_CHECK(cairn_arg_u64(a, "ram_quota", 0) == 16384);
	T_CHECK(cairn_arg_u64(a, "tx_buf_size", 0) == 256);
	T_CHECK(cairn_arg_u64("x=12Q", "x", 7) == 7);
	T_CHECK(cairn_arg_u64("x=2G", "x", 7) == 2ull << 30);
}

static void
t_set(void)
{
	char a[128] = "label=\"x\", ram_quota=8K";
	char v[32];

	T_CHECK(cairn_arg_set(a, sizeof(a), "label", "init -> x", true) == 0);
	T_CHECK(cairn_arg_str(a, "label", v, sizeof(v)) == 0);
	T_CHECK(strcmp(v, "init -> x") == 0);
	T_CHECK(cairn_arg_u64(a, "ram_quota", 0) == 8192);
	T_CHECK(cairn_arg_set(a, sizeof(a), "ram_quota", "4096", false) == 0);
	T_CHECK(cairn_arg_u64(a, "ram_quota", 0) == 4096);
	T_CHECK(cairn_arg_set(a, 10, "ram_quota", "4096", false) == -ENOSPC);
}

static void
t_label(void)
{
	char l[32];

	T_CHECK(cairn_label_compose("init", "", l, sizeof(l)) == 0);
	T_CHECK(strcmp(l, "init") == 0);
	T_CHECK(cairn_label_compose("init", "fs", l, sizeof(l)) == 0);
	T_CHECK(strcmp(l, "init -> fs") == 0);
	T_CHECK(cairn_label_compose("init", "fs", l, 5) == -ENOSPC);
}

static void
t_policy(void)
{
	static const char cfg[] =
	    "<config>\n"
	    "  <policy label=\"\" root=\"/all\"/>\n"
	    "  <policy label=\"noux\" root=\"/noux\"/>\n"
	    "  <policy label=\"noux -> home\" root=\"/home\"/>\n"
	    "  <policy label_suffix=\"-> tmp\" root=\"/tmp\"/>\n"
	    "</config>";
	struct xml_node root, p;
	char v[16];

	T_CHECK(xml_parse(cfg, sizeof(cfg) - 1, 0, &root, NULL) == 0);
	T_CHECK(cairn_policy_match(&root, "noux -> home", &p) == 0);
	xml_attr_str(&p, "root", v, sizeof(v), "");
	T_CHECK(strcmp(v, "/home") == 0);
	T_CHECK(cairn_policy_match(&root, "nouxfoo", &p) == 0);
	xml_attr_str(&p, "root", v, sizeof(v), "");
	T_CHECK(strcmp(v, "/noux") == 0);
	T_CHECK(cairn_policy_match(&root, "other", &p) == 0);
	xml_attr_str(&p, "root", v, sizeof(v), "");
	T_CHECK(strcmp(v, "/all") == 0);
	T_CHECK(cairn_policy_match(&root, "x -> tmp", &p) == 0);
	xml_attr_str(&p, "root", v, sizeof(v), "");
	T_CHECK(strcmp(v, "/tmp") == 0);
}

static void
t_policy_none(void)
{
	static const char cfg[] = "<config><policy label=\"a\"/></config>";
	struct xml_node root, p;

	T_CHECK(xml_parse(cfg, sizeof(cfg) - 1, 0, &root, NULL) == 0);
	T_CHECK(cairn_policy_match(&root, "b", &p) == -ENOENT);
}

int
main(void)
{
	T_RUN("args-001", "string and numeric session arguments", t_str);
	T_RUN("args-002", "rewriting an argument", t_set);
	T_RUN("args-003", "label composition", t_label);
	T_RUN("args-004", "longest-prefix policy match, suffix policies",
	    t_policy);
	T_RUN("args-005", "no matching policy", t_policy_none);
	return t_done();
}
