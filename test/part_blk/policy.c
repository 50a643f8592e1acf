/*
 * Unit tests of part_blk's policy lookup and partitions report.
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "part_blk.h"
#include "../test.h"

T_STATE_DEFINE;

static struct xml_node cfg;
static char detail[256];

static int
load(const char *doc)
{
	return xml_parse(doc, strlen(doc), 0, &cfg, NULL);
}

static void
t_exact(void)
{
	struct part_policy p;

	T_CHECK(load("<config>\n"
	    "  <policy label=\"test\" partition=\"1\"/>\n"
	    "  <policy label=\"test-part1\" partition=\"6\"/>\n"
	    "  <policy label=\"test-part2\" partition=\"1\" writeable=\"no\"/>\n"
	    "</config>") == 0);
	/* "test" is a prefix of the label but not the label: no match. */
	T_CHECK(part_policy_lookup(&cfg, "test-part1", &p, detail,
	    sizeof(detail)) == 0);
	T_CHECK(p.partition == 6 && p.writeable);
	T_CHECK(part_policy_lookup(&cfg, "test-part2", &p, detail,
	    sizeof(detail)) == 0);
	T_CHECK(p.partition == 1 && !p.writeable);
	T_CHECK(part_policy_lookup(&cfg, "test", &p, detail,
	    sizeof(detail)) == 0 && p.partition == 1);
	T_CHECK(part_policy_lookup(&cfg, "test-part", &p, detail,
	    sizeof(detail)) == -ENOENT);
	T_CHECK(strcmp(detail, "no policy for \"test-part\"") == 0);
	T_CHECK(part_policy_lookup(&cfg, "test-part1 -> x", &p, detail,
	    sizeof(detail)) == -ENOENT);
}

static void
t_order(void)
{
	struct part_policy p;

	T_CHECK(load("<config>"
	    "<policy label_suffix=\"-> disk\" partition=\"7\"/>"
	    "<policy label=\"a -> disk\" partition=\"2\"/>"
	    "<policy label_prefix=\"b\" partition=\"3\"/>"
	    "<policy partition=\"9\"/>"
	    "</config>") == 0);
	/* Document order decides, not the kind of match. */
	T_CHECK(part_policy_lookup(&cfg, "a -> disk", &p, detail,
	    sizeof(detail)) == 0 && p.partition == 7);
	T_CHECK(part_policy_lookup(&cfg, "bob", &p, detail,
	    sizeof(detail)) == 0 && p.partition == 3);
	/* A policy without any label attribute matches nobody. */
	T_CHECK(part_policy_lookup(&cfg, "", &p, detail,
	    sizeof(detail)) == -ENOENT);
}

static void
t_attrs(void)
{
	struct part_policy p;

	T_CHECK(load("<config>\n<policy label=\"a\"/>\n"
	    "<policy label=\"b\" partition=\"x\"/>\n"
	    "<policy label=\"c\" partition=\"256\"/>\n"
	    "<policy label=\"d\" partition=\"0\" writeable=\"maybe\"/>\n"
	    "<policy label=\"e\" partition=\"0x10\"/>\n"
	    "</config>") == 0);
	T_CHECK(part_policy_lookup(&cfg, "a", &p, detail,
	    sizeof(detail)) == 0 && p.partition == -1);
	T_CHECK(part_policy_lookup(&cfg, "b", &p, detail,
	    sizeof(detail)) == -EINVAL);
	T_CHECKF(strstr(detail, "config:3:") == detail &&
	    strstr(detail, "'partition'=\"x\"") != NULL, "%s", detail);
	T_CHECK(part_policy_lookup(&cfg, "c", &p, detail,
	    sizeof(detail)) == -EINVAL);
	T_CHECKF(strcmp(detail, "config:4:1: <policy> for \"c\": partition "
	    "256 is beyond 255") == 0, "%s", detail);
	T_CHECK(part_policy_lookup(&cfg, "d", &p, detail,
	    sizeof(detail)) == -EINVAL);
	T_CHECKF(strstr(detail, "'writeable'=\"maybe\"") != NULL, "%s",
	    detail);
	T_CHECK(part_policy_lookup(&cfg, "e", &p, detail,
	    sizeof(detail)) == 0 && p.partition == 16);
}

static struct part_table tab;
static char out[65536];

static int
gen(void)
{
	size_t used;

	return xml_generate(out, sizeof(out), "partitions", part_report_xml,
	    &tab, &used);
}

static bool
attr_is(const struct xml_node *n, const char *name, const char *value)
{
	char v[256];

	xml_attr_str(n, name, v, sizeof(v), "<absent>");
	return strcmp(v, value) == 0;
}

static void
t_report_mbr(void)
{
	struct xml_node root, p;

	memset(&tab, 0, sizeof(tab));
	tab.scheme = PART_SCHEME_MBR;
	tab.block_size = 512;
	tab.block_count = 131072;
	tab.count = 2;
	tab.parts[0] = (struct part){ .number = 1, .mbr_type = 0x83,
	    .start = 2048, .count = 4096 };
	tab.parts[1] = (struct part){ .number = 5, .mbr_type = 0x0c,
	    .logical = true, .start = 8192, .count = 100 };
	T_CHECK(gen() == 0);
	T_CHECK(xml_parse(out, strlen(out), 0, &root, NULL) == 0);
	T_CHECK(xml_node_is(&root, "partitions") && attr_is(&root, "type",
	    "mbr") && attr_is(&root, "block_count", "131072"));
	T_CHECK(xml_node_count(&root, "partition") == 2);
	T_CHECK(xml_node_first(&root, "partition", &p) == 0);
	T_CHECK(attr_is(&p, "number", "1") && attr_is(&p, "type", "0x83") &&
	    attr_is(&p, "start", "2048") && attr_is(&p, "length", "4096") &&
	    attr_is(&p, "logical", "<absent>"));
	T_CHECK(xml_node_next(&p, "partition", &p) == 0);
	T_CHECK(attr_is(&p, "number", "5") && attr_is(&p, "type", "0x0c") &&
	    attr_is(&p, "logical", "yes"));
	T_CHECK(strlen(out) < part_report_size(&tab));
}

static void
t_report_gpt(void)
{
	struct xml_node root, p;
	struct xml_attr a;
	char name[256];

	memset(&tab, 0, sizeof(tab));
	tab.scheme = PART_SCHEME_GPT;
	tab.block_size = 4096;
	tab.block_count = 1024;
	tab.gpt_backup = true;
	strcpy(tab.gpt_disk_guid, "3b3a3938-3d3c-3f3e-4041-424344454647");
	tab.count = 128;
	for (unsigned i = 0; i < 128; i++) {
		tab.parts[i].number = i + 1;
		tab.parts[i].start = 10 + i;
		tab.parts[i].count = 1;
		strcpy(tab.parts[i].type_guid,
		    "0fc63daf-8483-4772-8e79-3d69d8477de4");
		strcpy(tab.parts[i].guid,
		    "13121110-1514-1716-1819-1a1b1c1d1e1f");
		/* Worst case for escaping: 36 quotes. */
		memset(tab.parts[i].name, '"', 36);
	}
	strcpy(tab.parts[0].name, "a&b <\"c\"> d\xc3\xa9");
	T_CHECK(gen() == 0);
	T_CHECK(strlen(out) < part_report_size(&tab));
	T_CHECK(xml_parse(out, strlen(out), 0, &root, NULL) == 0);
	T_CHECK(attr_is(&root, "type", "gpt") && attr_is(&root, "header",
	    "backup") && attr_is(&root, "guid", tab.gpt_disk_guid));
	T_CHECK(xml_node_count(&root, "partition") == 128);
	T_CHECK(xml_node_first(&root, "partition", &p) == 0);
	T_CHECK(attr_is(&p, "type", "0fc63daf-8483-4772-8e79-3d69d8477de4") &&
	    attr_is(&p, "block_size", "4096"));
	T_CHECK(xml_node_attr(&p, "name", &a) == 0);
	T_CHECK(xml_decode(a.value, a.value_len, name, sizeof(name)) >= 0);
	T_CHECKF(strcmp(name, tab.parts[0].name) == 0, "%s", name);
}

static void
t_report_error(void)
{
	struct xml_node root;

	memset(&tab, 0, sizeof(tab));
	tab.scheme = PART_SCHEME_GPT;
	tab.block_size = 512;
	tab.block_count = 100;
	strcpy(tab.error, "GPT entry 5: ends at LBA 9000 beyond the disk "
	    "(100 blocks)");
	T_CHECK(gen() == 0);
	T_CHECK(xml_parse(out, strlen(out), 0, &root, NULL) == 0);
	T_CHECK(attr_is(&root, "error", tab.error));
	T_CHECK(xml_node_count(&root, NULL) == 0);
}

int
main(void)
{
	T_RUN("part_blk-policy-001", "label matches exactly, not as a prefix",
	    t_exact);
	T_RUN("part_blk-policy-002", "first match in document order; "
	    "label_prefix and label_suffix", t_order);
	T_RUN("part_blk-policy-003", "partition and writeable attributes, "
	    "malformed ones named with line:column", t_attrs);
	T_RUN("part_blk-report-001", "MBR report: hex types, logical "
	    "partitions", t_report_mbr);
	T_RUN("part_blk-report-002", "GPT report: 128 partitions, escaped "
	    "names fit the computed buffer", t_report_gpt);
	T_RUN("part_blk-report-003", "a bad table is reported with its error",
	    t_report_error);
	return t_done();
}
