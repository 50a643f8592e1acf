/*
 * vmm: reading the <config> node; every refusal names the attribute, its
 * value and the position.
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "vmm.h"

static const char *const attrs[] = {
	"kernel", "initrd", "bios", "cmdline", "vcpus", "ram", "verbose", NULL,
};

static int
fail(struct cairn_env *env, const struct xml_node *n, const char *p,
    const char *fmt, const char *a, size_t alen, const char *b, size_t blen)
{
	struct xml_error err;

	xml_error_at(n, p, &err, fmt, (int)alen, a, (int)blen, b);
	return vmm_config_report(env, &err);
}

/* Log a config error with its position; -EINVAL for the caller. */
int
vmm_config_report(struct cairn_env *env, const struct xml_error *err)
{
	cairn_error(env, "config:%u:%u: %s", err->line, err->col, err->msg);
	return -EINVAL;
}

static bool
known(const char *name, size_t len)
{
	const char *const *a;

	for (a = attrs; *a != NULL; a++)
		if (strlen(*a) == len && memcmp(*a, name, len) == 0)
			return true;
	return false;
}

/* A ROM module name: an attribute that, when present, is not empty. */
static int
module_attr(struct cairn_env *env, const struct xml_node *n, const char *name,
    char *dst, size_t cap, bool required)
{
	struct xml_error err;
	struct xml_attr a;
	int r = xml_attr_get_str(n, name, dst, cap, &err);

	if (r == -ENOENT) {
		dst[0] = '\0';
		if (!required)
			return 0;
		return fail(env, n, n->name, "<%.*s>: missing attribute "
		    "'%.*s' (the ROM module to boot)", n->name, n->name_len,
		    name, strlen(name));
	}
	if (r < 0)
		return vmm_config_report(env, &err);
	if (dst[0] == '\0' || strchr(dst, '/') != NULL) {
		(void)xml_node_attr(n, name, &a);
		return fail(env, n, a.value, "attribute '%.*s'=\"%.*s\" is not "
		    "a ROM module name", name, strlen(name), dst, strlen(dst));
	}
	return 0;
}

int
vmm_config_read(struct cairn_env *env, struct vmm_config *cfg)
{
	struct cairn_rom rom;
	struct xml_node n, sub;
	struct xml_error err;
	struct xml_attr a;
	uint64_t v;
	unsigned i;
	long len;
	int r;

	memset(cfg, 0, sizeof(*cfg));
	cfg->vcpus = 1;
	r = cairn_rom_open(env, "config", &rom);
	if (r < 0) {
		cairn_error(env, "no config ROM: %s", strerror(-r));
		return r;
	}
	r = cairn_rom_xml(env, &rom, &n);
	if (r < 0)
		goto out;
	for (i = 0; xml_node_attr_at(&n, i, &a) == 0; i++)
		if (!known(a.name, a.name_len)) {
			r = fail(env, &n, a.name, "<%.*s>: unknown attribute "
			    "'%.*s'", n.name, n.name_len, a.name, a.name_len);
			goto out;
		}
	for (r = xml_node_first(&n, NULL, &sub); r == 0;
	    r = xml_node_next(&sub, NULL, &sub)) {
		if (!xml_node_is(&sub, "disk")) {
			r = fail(env, &sub, sub.name, "<%.*s> is not a node "
			    "of the vmm's config%.*s (<disk> is)", sub.name,
			    sub.name_len, "", 0);
			goto out;
		}
		if (cfg->ndisks == VMM_MAX_DISKS) {
			r = fail(env, &sub, sub.name, "<%.*s>: more than "
			    "%.*s disks", sub.name, sub.name_len, "8", 1);
			goto out;
		}
		if ((r = disk_config_read(env, &sub,
		    &cfg->disks[cfg->ndisks++])) < 0)
			goto out;
	}
	if ((r = module_attr(env, &n, "kernel", cfg->kernel,
	    sizeof(cfg->kernel), true)) < 0 ||
	    (r = module_attr(env, &n, "initrd", cfg->initrd,
	    sizeof(cfg->initrd), false)) < 0 ||
	    (r = module_attr(env, &n, "bios", cfg->bios,
	    sizeof(cfg->bios), false)) < 0)
		goto out;
	if (xml_node_attr(&n, "cmdline", &a) == 0) {
		len = xml_decode(a.value, a.value_len, cfg->cmdline,
		    sizeof(cfg->cmdline));
		if (len < 0) {
			r = fail(env, &n, a.value, "attribute '%.*s'=\"%.*s\" "
			    "is malformed or longer than 4095 bytes", "cmdline",
			    7, a.value, a.value_len > 40 ? 40 : a.value_len);
			goto out;
		}
	}
	r = xml_attr_get_u64(&n, "vcpus", &v, &err);
	if (r == 0) {
		if (v < 1 || v > VMM_MAX_VCPUS) {
			(void)xml_node_attr(&n, "vcpus", &a);
			r = fail(env, &n, a.value, "attribute '%.*s'=\"%.*s\" is "
			    "out of range (1 to 32)", "vcpus", 5, a.value,
			    a.value_len);
			goto out;
		}
		cfg->vcpus = (unsigned)v;
	} else if (r != -ENOENT) {
		r = vmm_config_report(env, &err);
		goto out;
	}
	r = xml_attr_get_size(&n, "ram", &cfg->ram, &err);
	if (r == 0 && cfg->ram < VMM_MIN_RAM) {
		(void)xml_node_attr(&n, "ram", &a);
		r = fail(env, &n, a.value, "attribute '%.*s'=\"%.*s\" is less "
		    "than the least guest RAM, 2M", "ram", 3, a.value,
		    a.value_len);
		goto out;
	}
	if (r < 0 && r != -ENOENT) {
		r = vmm_config_report(env, &err);
		goto out;
	}
	if (r == 0)
		xml_attr_str(&n, "ram", cfg->ram_attr, sizeof(cfg->ram_attr),
		    "");
	r = xml_attr_get_bool(&n, "verbose", &cfg->verbose, &err);
	if (r < 0 && r != -ENOENT) {
		r = vmm_config_report(env, &err);
		goto out;
	}
	r = 0;
out:
	cairn_rom_close(env, &rom);
	return r;
}
