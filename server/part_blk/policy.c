/*
 * part_blk: which partition a client gets, from its <policy>.
 * SPDX-License-Identifier: MIT
 *
 * Pure logic over the config, so test/part_blk links this file alone.
 * spec/part_blk.md: the first <policy> whose `label` equals the session
 * label exactly wins (no prefix matching, unlike the longest-prefix rule
 * of cairn_policy_match()). As in report_rom, `label_prefix` and
 * `label_suffix` may stand in for `label`; they too are tried in document
 * order.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "part_blk.h"

static bool
matches(const struct xml_node *p, const char *label)
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
part_policy_lookup(const struct xml_node *config, const char *label,
    struct part_policy *pol, char *detail, size_t dcap)
{
	struct xml_error err;
	struct xml_node p;
	uint64_t n;
	int ok, r;

	for (ok = xml_node_first(config, "policy", &p) == 0; ok;
	    ok = xml_node_next(&p, "policy", &p) == 0) {
		if (!matches(&p, label))
			continue;
		pol->partition = -1;
		pol->writeable = true;
		r = xml_attr_get_u64(&p, "partition", &n, &err);
		if (r == 0 && n > PART_MAX) {
			xml_error_at(&p, p.addr, &err, "<policy> for \"%s\": "
			    "partition %llu is beyond %u", label,
			    (unsigned long long)n, PART_MAX);
			r = -EINVAL;
		}
		if (r == -EINVAL ||
		    xml_attr_get_bool(&p, "writeable", &pol->writeable,
		    &err) == -EINVAL) {
			snprintf(detail, dcap, "config:%u:%u: %s", err.line,
			    err.col, err.msg);
			return -EINVAL;
		}
		if (r == 0)
			pol->partition = (long)n;
		return 0;
	}
	snprintf(detail, dcap, "no policy for \"%s\"", label);
	return -ENOENT;
}
