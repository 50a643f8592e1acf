/*
 * vmm: reading a <disk> node of the config; every refusal names the
 * attribute, its value and the position.
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <cairn/session/block.h>

#include "vmm.h"

#define TX_MIN	(64ull << 10)
#define TX_MAX	(64ull << 20)

static const char *const disk_attrs[] = {
	"type", "label", "file", "writeable", "serial", "tx_buf_size", NULL,
};

static int
refuse(struct cairn_env *env, const struct xml_node *n, const char *name,
    const char *why)
{
	struct xml_error err;
	struct xml_attr a;

	if (xml_node_attr(n, name, &a) < 0) {
		xml_error_at(n, n->name, &err, "<disk>: attribute '%s' %s",
		    name, why);
	} else {
		xml_error_at(n, a.value, &err, "<disk>: attribute "
		    "'%s'=\"%.*s\" %s", name,
		    (int)(a.value_len > 60 ? 60 : a.value_len), a.value, why);
	}
	return vmm_config_report(env, &err);
}

static int
check_names(struct cairn_env *env, const struct xml_node *n)
{
	const char *const *k;
	struct xml_error err;
	struct xml_attr a;
	unsigned i;

	for (i = 0; xml_node_attr_at(n, i, &a) == 0; i++) {
		for (k = disk_attrs; *k != NULL; k++)
			if (strlen(*k) == a.name_len &&
			    memcmp(*k, a.name, a.name_len) == 0)
				break;
		if (*k == NULL) {
			xml_error_at(n, a.name, &err, "<disk>: unknown "
			    "attribute '%.*s'", (int)a.name_len, a.name);
			return vmm_config_report(env, &err);
		}
	}
	return 0;
}

/* A string attribute that must fit dst; absent leaves dst as it is. */
static int
str_attr(struct cairn_env *env, const struct xml_node *n, const char *name,
    char *dst, size_t cap)
{
	struct xml_error err;
	int r = xml_attr_get_str(n, name, dst, cap, &err);

	if (r == -ENAMETOOLONG) {
		char msg[48];

		snprintf(msg, sizeof(msg), "is longer than %zu bytes",
		    cap - 1);
		return refuse(env, n, name, msg);
	}
	if (r < 0 && r != -ENOENT)
		return vmm_config_report(env, &err);
	return 0;
}

int
disk_config_read(struct cairn_env *env, const struct xml_node *n,
    struct disk_config *d)
{
	struct xml_error err;
	char type[16] = "block";
	const char *base;
	int r;

	memset(d, 0, sizeof(*d));
	d->writeable = true;
	d->tx_buf_size = BLOCK_TX_BUF_DEFAULT;
	if ((r = check_names(env, n)) < 0 ||
	    (r = str_attr(env, n, "type", type, sizeof(type))) < 0 ||
	    (r = str_attr(env, n, "label", d->label, sizeof(d->label))) < 0 ||
	    (r = str_attr(env, n, "file", d->file, sizeof(d->file))) < 0 ||
	    (r = str_attr(env, n, "serial", d->serial,
	    sizeof(d->serial))) < 0)
		return r;
	if (strcmp(type, "block") == 0)
		d->type = DISK_BLOCK;
	else if (strcmp(type, "vdi") == 0)
		d->type = DISK_VDI;
	else
		return refuse(env, n, "type", "is not a disk type (block, "
		    "vdi)");
	r = xml_attr_get_bool(n, "writeable", &d->writeable, &err);
	if (r < 0 && r != -ENOENT)
		return vmm_config_report(env, &err);
	r = xml_attr_get_size(n, "tx_buf_size", &d->tx_buf_size, &err);
	if (r < 0 && r != -ENOENT)
		return vmm_config_report(env, &err);
	if (r == 0 && d->type != DISK_BLOCK)
		return refuse(env, n, "tx_buf_size", "applies to type "
		    "\"block\" only");
	if (d->tx_buf_size < TX_MIN || d->tx_buf_size > TX_MAX)
		return refuse(env, n, "tx_buf_size", "is out of range (64K "
		    "to 64M)");
	if (d->type == DISK_VDI && d->file[0] != '/')
		return refuse(env, n, "file", d->file[0] == '\0' ?
		    "is missing (type \"vdi\" needs the image's path)" :
		    "is not an absolute path");
	if (d->type == DISK_BLOCK && xml_node_has_attr(n, "file"))
		return refuse(env, n, "file", "applies to type \"vdi\" "
		    "only");
	if (d->serial[0] == '\0') {
		base = d->type == DISK_VDI ? strrchr(d->file, '/') + 1 :
		    d->label;
		snprintf(d->serial, sizeof(d->serial), "%s", base);
	}
	return 0;
}
