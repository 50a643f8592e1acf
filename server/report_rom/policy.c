/*
 * report_rom's ROM policy: which report a ROM client may read.
 * SPDX-License-Identifier: MIT
 *
 * Pure logic over the config, so test/report_rom links this file alone.
 * Following spec/report_rom.md, the first <policy> under <rom> that has a
 * `report` attribute and whose `label` equals the session label exactly
 * wins. As in today's Genode, `label_prefix` and `label_suffix` may stand
 * in for `label`; they too are tried in document order.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <cairn/xml.h>

#include "report_rom.h"

static bool
attr_matches(const struct xml_node *p, const char *label)
{
	struct xml_attr a;
	size_t ll = strlen(label);

	if (xml_node_attr(p, "label", &a) == 0)
		return a.value_len == ll && memcmp(a.value, label, ll) == 0;
	if (xml_node_attr(p, "label_prefix", &a) == 0)
		return a.value_len <= ll && memcmp(a.value, label,
		    a.value_len) == 0;
	if (xml_node_attr(p, "label_suffix", &a) == 0)
		return a.value_len <= ll && memcmp(a.value,
		    label + ll - a.value_len, a.value_len) == 0;
	return false;
}

int
policy_lookup(const struct xml_node *config, const char *label, char *report,
    size_t cap, char *detail, size_t dcap)
{
	struct xml_node rom, p;
	struct xml_attr a;
	int ok;

	if (xml_node_first(config, "rom", &rom) < 0) {
		snprintf(detail, dcap, "no <rom> configuration");
		return -ENOENT;
	}
	for (ok = xml_node_first(&rom, "policy", &p) == 0; ok;
	    ok = xml_node_next(&p, "policy", &p) == 0) {
		if (xml_node_attr(&p, "report", &a) < 0 ||
		    !attr_matches(&p, label))
			continue;
		if (a.value_len >= cap) {
			snprintf(detail, dcap, "report name of <policy "
			    "label=\"%s\"> is too long", label);
			return -ENAMETOOLONG;
		}
		memcpy(report, a.value, a.value_len);
		report[a.value_len] = '\0';
		return 0;
	}
	snprintf(detail, dcap, "no <policy label=\"%s\"> under <rom>", label);
	return -ENOENT;
}
