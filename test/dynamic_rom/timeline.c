/*
 * Unit tests of dynamic_rom's timelines: config checks and stepping.
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "dynamic_rom.h"

#include "../test.h"

T_STATE_DEFINE;

static struct xml_node cfg;
static struct xml_error err;
static char got[256];

static int
check(const char *text)
{
	int r;

	memset(&err, 0, sizeof(err));
	got[0] = '\0';
	if (xml_parse(text, strlen(text), 0, &cfg, &err) != 0)
		return -EBADMSG;
	r = timeline_check_config(&cfg, &err);
	snprintf(got, sizeof(got), "%u:%u: %s", err.line, err.col, err.msg);
	return r;
}

static bool
content_is(const struct step *s, const char *want)
{
	return s->kind == STEP_CHANGE && s->content_len == strlen(want) &&
	    memcmp(s->content, want, s->content_len) == 0;
}

static const char good[] =
    "<config>\n"
    "<rom name=\"a\">\n"
    "\t<inline description=\"first\"><x v=\"1\"/></inline>\n"
    "\t<sleep milliseconds=\"100\"/>\n"
    "\t<!-- a comment -->\n"
    "\t<empty/>\n"
    "\t<unknown/>\n"
    "\t<sleep/>\n"
    "\t<sleep milliseconds=\"200\"/>\n"
    "\t<inline>\n\t\t<y>\n\t\t\t<z/>\n\t\t</y>\n\t</inline>\n"
    "\t<inline></inline>\n"
    "\t<sleep milliseconds=\"0\"/>\n"
    "</rom>\n"
    "<rom name=\"b\"><sleep milliseconds=\"5\"/></rom>\n"
    "</config>";

static void
t_good(void)
{
	T_CHECKF(check(good) == 0, "%s", got);
}

static void
t_steps(void)
{
	struct timeline t;
	struct xml_node rom;
	struct step s;

	T_CHECK(check(good) == 0);
	T_CHECK(timeline_find(&cfg, "a", &rom) == 0);
	timeline_init(&t, &rom);
	timeline_next(&t, &s);
	T_CHECK(content_is(&s, "<x v=\"1\"/>"));
	T_CHECK(s.description_len == 5 &&
	    memcmp(s.description, "first", 5) == 0);
	timeline_next(&t, &s);
	T_CHECK(s.kind == STEP_SLEEP && s.ms == 100);
	timeline_next(&t, &s);		/* the comment is no node */
	T_CHECK(s.kind == STEP_REMOVE);
	timeline_next(&t, &s);		/* <unknown/>, <sleep/>: no-ops */
	T_CHECK(s.kind == STEP_SLEEP && s.ms == 200);
	timeline_next(&t, &s);		/* verbatim, whitespace kept */
	T_CHECK(content_is(&s, "\n\t\t<y>\n\t\t\t<z/>\n\t\t</y>\n\t"));
	T_CHECK(s.description == NULL);
	timeline_next(&t, &s);
	T_CHECK(content_is(&s, ""));
	timeline_next(&t, &s);
	T_CHECK(s.kind == STEP_SLEEP && s.ms == 0);
}

static void
t_wrap(void)
{
	struct timeline t;
	struct xml_node rom;
	struct step s;
	unsigned i;

	T_CHECK(check(good) == 0);
	T_CHECK(timeline_find(&cfg, "a", &rom) == 0);
	timeline_init(&t, &rom);
	for (i = 0; i < 7; i++)
		timeline_next(&t, &s);
	T_CHECK(s.kind == STEP_SLEEP && s.ms == 0);
	timeline_next(&t, &s);		/* around to the first node */
	T_CHECK(content_is(&s, "<x v=\"1\"/>"));
	T_CHECK(timeline_find(&cfg, "b", &rom) == 0);
	timeline_init(&t, &rom);
	for (i = 0; i < 3; i++) {
		timeline_next(&t, &s);
		T_CHECK(s.kind == STEP_SLEEP && s.ms == 5);
	}
}

static void
t_sessions_independent(void)
{
	struct timeline t1, t2;
	struct xml_node rom;
	struct step s;

	T_CHECK(check(good) == 0);
	T_CHECK(timeline_find(&cfg, "a", &rom) == 0);
	timeline_init(&t1, &rom);
	timeline_init(&t2, &rom);
	timeline_next(&t1, &s);
	timeline_next(&t1, &s);
	timeline_next(&t2, &s);
	T_CHECK(s.kind == STEP_CHANGE);
	timeline_next(&t1, &s);
	T_CHECK(s.kind == STEP_REMOVE);
}

static void
t_find(void)
{
	struct xml_node rom;

	T_CHECK(check(good) == 0);
	T_CHECK(timeline_find(&cfg, "b", &rom) == 0);
	T_CHECK(timeline_find(&cfg, "c", &rom) == -ENOENT);
	T_CHECK(timeline_find(&cfg, "", &rom) == -ENOENT);
}

static void
t_no_sleep(void)
{
	T_CHECK(check("<config>\n <rom name=\"x\"><inline>a</inline>"
	    "<inline>b</inline></rom>\n</config>") == -EINVAL);
	T_CHECKF(strcmp(got, "2:2: <rom name=\"x\"> has no <sleep "
	    "milliseconds=\"...\"/> of at least 1 ms: its timeline would "
	    "never pause") == 0, "%s", got);
	/* A <sleep> without milliseconds, or of 0 ms, does not pause. */
	T_CHECK(check("<config><rom name=\"x\"><sleep/><inline>a</inline>"
	    "</rom></config>") == -EINVAL);
	T_CHECK(check("<config><rom name=\"x\"><sleep milliseconds=\"0\"/>"
	    "</rom></config>") == -EINVAL);
	T_CHECK(check("<config><rom name=\"x\"/></config>") == -EINVAL);
}

static void
t_bad_ms(void)
{
	T_CHECK(check("<config>\n<rom name=\"x\">\n<sleep milliseconds="
	    "\"1s\"/>\n</rom>\n</config>") == -EINVAL);
	T_CHECKF(strstr(got, "3:8: ") == got && strstr(got, "milliseconds")
	    && strstr(got, "\"1s\""), "%s", got);
}

static void
t_name(void)
{
	T_CHECK(check("<config>\n<rom><sleep milliseconds=\"1\"/></rom>\n"
	    "</config>") == -EINVAL);
	T_CHECKF(strcmp(got, "2:1: <rom> lacks the attribute 'name'") == 0,
	    "%s", got);
	T_CHECK(check("<config>\n<rom name=\"x\"><sleep milliseconds=\"1\"/>"
	    "</rom>\n<rom name=\"x\"><sleep milliseconds=\"1\"/></rom>\n"
	    "</config>") == -EINVAL);
	T_CHECKF(strcmp(got, "3:1: <rom name=\"x\"> defined twice") == 0,
	    "%s", got);
	T_CHECK(check("<config><rom name=\"0123456789012345678901234567890123"
	    "456789012345678901234567890123456789\"><sleep milliseconds=\"1\"/>"
	    "</rom></config>") == -EINVAL);
	T_CHECKF(strstr(got, "too long") != NULL, "%s", got);
}

static void
t_empty_config(void)
{
	T_CHECK(check("<config/>") == 0);
}

int
main(void)
{
	T_RUN("dynamic_rom-001", "a good config passes the check", t_good);
	T_RUN("dynamic_rom-002", "steps in document order, no-ops skipped",
	    t_steps);
	T_RUN("dynamic_rom-003", "the timeline wraps around", t_wrap);
	T_RUN("dynamic_rom-004", "timelines of sessions are independent",
	    t_sessions_independent);
	T_RUN("dynamic_rom-005", "modules found by exact name", t_find);
	T_RUN("dynamic_rom-006", "a timeline that never pauses is refused",
	    t_no_sleep);
	T_RUN("dynamic_rom-007", "milliseconds that is no number", t_bad_ms);
	T_RUN("dynamic_rom-008", "rom names: missing, twice, too long",
	    t_name);
	T_RUN("dynamic_rom-009", "a config without modules is fine",
	    t_empty_config);
	return t_done();
}
