/*
 * dynamic_rom: the timeline of a ROM module (never installed).
 * SPDX-License-Identifier: MIT
 *
 * A timeline walks the children of one <rom> node in document order and
 * wraps around after the last. timeline.c is pure logic over the config
 * text, so test/dynamic_rom links it alone.
 */
#ifndef DYNAMIC_ROM_H
#define DYNAMIC_ROM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cairn/xml.h>

/* Module names are compared with the last element of a session label. */
#define DYNAMIC_ROM_NAME_MAX	64

enum step_kind {
	STEP_CHANGE,	/* <inline>: new content */
	STEP_REMOVE,	/* <empty/>: no content */
	STEP_SLEEP,	/* <sleep milliseconds="N"/>: wait, then go on */
};

struct step {
	enum step_kind kind;
	const char *content;		/* CHANGE: raw bytes of <inline> */
	size_t content_len;
	const char *description;	/* CHANGE: raw value, NULL if none */
	size_t description_len;
	uint64_t ms;			/* SLEEP */
};

struct timeline {
	struct xml_node rom;
	struct xml_node next;		/* the node to execute next */
};

/*
 * Check the whole config: every <rom> has a unique `name` of at most
 * DYNAMIC_ROM_NAME_MAX - 1 bytes, every `milliseconds` attribute is a
 * number, and every timeline holds a <sleep> of at least 1 ms (else it
 * would loop forever without pausing). Returns 0, or -EINVAL with *err
 * naming line, column and the offender.
 */
int timeline_check_config(const struct xml_node *config,
    struct xml_error *err) __attribute__((warn_unused_result));

/* Find the <rom> named name: 0 and *rom, or -ENOENT. */
int timeline_find(const struct xml_node *config, const char *name,
    struct xml_node *rom);

/* Start at the first node of a checked <rom>. */
void timeline_init(struct timeline *t, const struct xml_node *rom);

/*
 * Execute nodes up to the next one that does something and describe it in
 * *out; nodes that do nothing (other types, a <sleep> without
 * `milliseconds`) are passed over, and the end wraps to the first node.
 * The <rom> must have passed timeline_check_config().
 */
void timeline_next(struct timeline *t, struct step *out);

#endif
