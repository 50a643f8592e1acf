/*
 * Per-client policies: <policy label="..." root="/sub" writeable="yes"/>.
 * SPDX-License-Identifier: MIT
 *
 * As spec/file_system.md has it: the longest label match wins, `root` is
 * required and absolute, and only the exact value "yes" of `writeable`
 * allows changes.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "fs_impl.h"

int
fs_policy_select(const struct xml_node *config, const char *label,
    struct fs_policy *p, char *detail, size_t dcap)
{
	struct xml_node policy;
	struct xml_attr a;
	struct xml_error err;
	int r;

	memset(p, 0, sizeof(*p));
	if (config == NULL ||
	    cairn_policy_match(config, label, &policy) < 0) {
		snprintf(detail, dcap, "no policy for \"%s\"", label);
		return -ENOENT;
	}
	r = xml_attr_get_str(&policy, "root", p->root, sizeof(p->root), &err);
	if (r == -ENOENT) {
		snprintf(detail, dcap, "policy for \"%s\" has no 'root' "
		    "attribute", label);
		return -EINVAL;
	}
	if (r < 0 || p->root[0] != '/') {
		snprintf(detail, dcap, "policy for \"%s\": root \"%s\" is not "
		    "an absolute path", label, r < 0 ? "?" : p->root);
		return -EINVAL;
	}
	p->writeable = xml_node_attr(&policy, "writeable", &a) == 0 &&
	    xml_attr_is(&a, "yes");
	return 0;
}
