/*
 * dynamic_rom's timelines: checking the config and stepping through a <rom>.
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <string.h>

#include "dynamic_rom.h"

/* A `milliseconds` attribute: 0 and *ms, -ENOENT (no-op), or -EINVAL. */
static int
sleep_ms(const struct xml_node *n, uint64_t *ms, struct xml_error *err)
{
	return xml_attr_get_u64(n, "milliseconds", ms, err);
}

static int
check_rom(const struct xml_node *rom, const char *name,
    struct xml_error *err)
{
	struct xml_node n;
	bool pauses = false;
	uint64_t ms;
	int ok, r;

	for (ok = xml_node_first(rom, "sleep", &n) == 0; ok;
	    ok = xml_node_next(&n, "sleep", &n) == 0) {
		r = sleep_ms(&n, &ms, err);
		if (r == -EINVAL)
			return r;
		if (r == 0 && ms > 0)
			pauses = true;
	}
	if (pauses)
		return 0;
	/* Spec improvement: 14.02 would spin in the server forever. */
	xml_error_at(rom, rom->addr, err, "<rom name=\"%s\"> has no <sleep "
	    "milliseconds=\"...\"/> of at least 1 ms: its timeline would "
	    "never pause", name);
	return -EINVAL;
}

int
timeline_check_config(const struct xml_node *config, struct xml_error *err)
{
	struct xml_node rom, other;
	char name[DYNAMIC_ROM_NAME_MAX];
	int ok, r;

	for (ok = xml_node_first(config, "rom", &rom) == 0; ok;
	    ok = xml_node_next(&rom, "rom", &rom) == 0) {
		r = xml_attr_get_str(&rom, "name", name, sizeof(name), err);
		if (r == -ENOENT) {
			xml_error_at(&rom, rom.addr, err, "<rom> lacks the "
			    "attribute 'name'");
			return -EINVAL;
		}
		if (r < 0)
			return -EINVAL;
		if (timeline_find(config, name, &other) == 0 &&
		    other.addr != rom.addr) {
			xml_error_at(&rom, rom.addr, err, "<rom name=\"%s\"> "
			    "defined twice", name);
			return -EINVAL;
		}
		if ((r = check_rom(&rom, name, err)) < 0)
			return r;
	}
	return 0;
}

int
timeline_find(const struct xml_node *config, const char *name,
    struct xml_node *rom)
{
	struct xml_attr a;
	int ok;

	for (ok = xml_node_first(config, "rom", rom) == 0; ok;
	    ok = xml_node_next(rom, "rom", rom) == 0)
		if (xml_node_attr(rom, "name", &a) == 0 &&
		    xml_attr_is(&a, name))
			return 0;
	return -ENOENT;
}

void
timeline_init(struct timeline *t, const struct xml_node *rom)
{
	t->rom = *rom;
	(void)xml_node_first(rom, NULL, &t->next);
}

void
timeline_next(struct timeline *t, struct step *out)
{
	struct xml_node n;
	struct xml_attr a;

	memset(out, 0, sizeof(*out));
	for (;;) {
		n = t->next;
		if (xml_node_next(&n, NULL, &t->next) < 0)
			(void)xml_node_first(&t->rom, NULL, &t->next);
		if (xml_node_is(&n, "inline")) {
			out->kind = STEP_CHANGE;
			out->content = n.content;
			out->content_len = n.content_len;
			if (xml_node_attr(&n, "description", &a) == 0) {
				out->description = a.value;
				out->description_len = a.value_len;
			}
			return;
		}
		if (xml_node_is(&n, "empty")) {
			out->kind = STEP_REMOVE;
			return;
		}
		if (xml_node_is(&n, "sleep") &&
		    sleep_ms(&n, &out->ms, NULL) == 0) {
			out->kind = STEP_SLEEP;
			return;
		}
	}
}
