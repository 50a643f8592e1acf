/*
 * part_blk: the partition table as an XML report.
 * SPDX-License-Identifier: MIT
 *
 * Pure XML generation, so test/part_blk checks it without a Report
 * session. The format follows today's Genode part_block:
 *
 *   <partitions type="gpt" block_size="512" block_count="131072"
 *               guid="..." header="primary">
 *     <partition number="1" start="2048" length="4096" block_size="512"
 *                type="0fc63daf-..." guid="..." name="root"/>
 *   </partitions>
 *
 * MBR partitions carry their type byte as "0x83" and logical="yes" where
 * they sit in an extended partition; a table that could not be read is
 * reported as <partitions type="..." error="..."/> without partitions.
 */
#include <stdio.h>

#include "part_blk.h"

static const char *
scheme_attr(enum part_scheme s)
{
	switch (s) {
	case PART_SCHEME_MBR:
		return "mbr";
	case PART_SCHEME_GPT:
		return "gpt";
	default:
		return "none";
	}
}

void
part_report_xml(struct xml_gen *g, void *ctx)
{
	const struct part_table *t = ctx;
	const struct part *p;
	char hex[8];

	xml_gen_attr(g, "type", scheme_attr(t->scheme));
	xml_gen_attr_u64(g, "block_size", t->block_size);
	xml_gen_attr_u64(g, "block_count", t->block_count);
	if (t->error[0] != '\0') {
		xml_gen_attr(g, "error", t->error);
		return;
	}
	if (t->scheme == PART_SCHEME_GPT) {
		xml_gen_attr(g, "guid", t->gpt_disk_guid);
		xml_gen_attr(g, "header", t->gpt_backup ? "backup" : "primary");
	}
	for (unsigned i = 0; i < t->count; i++) {
		p = &t->parts[i];
		xml_gen_open(g, "partition");
		xml_gen_attr_u64(g, "number", p->number);
		xml_gen_attr_u64(g, "start", p->start);
		xml_gen_attr_u64(g, "length", p->count);
		xml_gen_attr_u64(g, "block_size", t->block_size);
		if (t->scheme == PART_SCHEME_MBR) {
			snprintf(hex, sizeof(hex), "0x%02x", p->mbr_type);
			xml_gen_attr(g, "type", hex);
			if (p->logical)
				xml_gen_attr(g, "logical", "yes");
		} else if (t->scheme == PART_SCHEME_GPT) {
			xml_gen_attr(g, "type", p->type_guid);
			xml_gen_attr(g, "guid", p->guid);
			xml_gen_attr(g, "name", p->name);
		}
		xml_gen_close(g);
	}
}

size_t
part_report_size(const struct part_table *t)
{
	size_t n = 1024 + sizeof(t->error);
	const char *c;

	/* A node takes under 256 bytes beside its name, escaped. */
	for (unsigned i = 0; i < t->count; i++) {
		n += 256;
		for (c = t->parts[i].name; *c != '\0'; c++)
			n += *c == '"' ? 6 : *c == '&' ? 5 :
			    *c == '<' || *c == '>' ? 4 : 1;
	}
	return (n + 4095) & ~(size_t)4095;
}
