/*
 * Unit tests of report_rom's policy lookup: which report a ROM label reads.
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <string.h>

#include "report_rom.h"

#include "../test.h"

T_STATE_DEFINE;

static const char config[] =
    "<config>\n"
    "\t<rom>\n"
    "\t\t<policy label=\"test -> brightness\" report=\"test -> brightness\"/>\n"
    "\t\t<policy label=\"decorator -> pointer\"\n"
    "\t\t        report=\"nitpicker -> pointer\"/>\n"
    "\t\t<policy label=\"no-report\"/>\n"
    "\t\t<policy label=\"twice\" report=\"first\"/>\n"
    "\t\t<policy label=\"twice\" report=\"second\"/>\n"
    "\t\t<policy label_prefix=\"logger\" report=\"by prefix\"/>\n"
    "\t\t<policy label_suffix=\"-> status\" report=\"by suffix\"/>\n"
    "\t\t<policy label=\"long\" report=\"0123456789abcdef0123456789\"/>\n"
    "\t</rom>\n"
    "</config>";

static struct xml_node cfg;
static char report[CAIRN_LABEL_MAX], detail[128];

static int
lookup(const char *label)
{
	report[0] = detail[0] = '\0';
	return policy_lookup(&cfg, label, report, sizeof(report), detail,
	    sizeof(detail));
}

static void
t_exact(void)
{
	T_CHECK(lookup("test -> brightness") == 0);
	T_CHECK(strcmp(report, "test -> brightness") == 0);
	T_CHECK(lookup("decorator -> pointer") == 0);
	T_CHECK(strcmp(report, "nitpicker -> pointer") == 0);
}

static void
t_not_a_prefix(void)
{
	/* `label` compares the whole label, unlike init's server policies. */
	T_CHECK(lookup("test -> bright") == -ENOENT);
	T_CHECK(lookup("test -> brightness2") == -ENOENT);
	T_CHECK(lookup("test") == -ENOENT);
	T_CHECK(lookup("") == -ENOENT);
}

static void
t_missing(void)
{
	T_CHECK(lookup("intruder -> brightness") == -ENOENT);
	T_CHECKF(strcmp(detail, "no <policy label=\"intruder -> brightness\"> "
	    "under <rom>") == 0, "%s", detail);
}

static void
t_needs_report(void)
{
	T_CHECK(lookup("no-report") == -ENOENT);
}

static void
t_first_wins(void)
{
	T_CHECK(lookup("twice") == 0);
	T_CHECK(strcmp(report, "first") == 0);
}

static void
t_prefix_suffix(void)
{
	T_CHECK(lookup("logger -> x") == 0);
	T_CHECK(strcmp(report, "by prefix") == 0);
	T_CHECK(lookup("panel -> status") == 0);
	T_CHECK(strcmp(report, "by suffix") == 0);
	T_CHECK(lookup("panel -> status2") == -ENOENT);
}

static void
t_no_rom(void)
{
	static const char bare[] = "<config verbose=\"yes\"/>";
	struct xml_node n;

	T_CHECK(xml_parse(bare, sizeof(bare) - 1, 0, &n, NULL) == 0);
	T_CHECK(policy_lookup(&n, "test -> brightness", report,
	    sizeof(report), detail, sizeof(detail)) == -ENOENT);
	T_CHECK(strcmp(detail, "no <rom> configuration") == 0);
}

static void
t_too_long(void)
{
	char small[8];

	T_CHECK(policy_lookup(&cfg, "long", small, sizeof(small), detail,
	    sizeof(detail)) == -ENAMETOOLONG);
	T_CHECK(policy_lookup(&cfg, "twice", small, sizeof(small), detail,
	    sizeof(detail)) == 0 && strcmp(small, "first") == 0);
}

int
main(void)
{
	if (xml_parse(config, sizeof(config) - 1, 0, &cfg, NULL) != 0) {
		printf("FAIL - report_rom-000: the test config parses\n");
		return 1;
	}
	T_RUN("report_rom-001", "exact label selects the report", t_exact);
	T_RUN("report_rom-002", "label is not a prefix match", t_not_a_prefix);
	T_RUN("report_rom-003", "no policy: detail names label and <rom>",
	    t_missing);
	T_RUN("report_rom-004", "a policy without 'report' does not count",
	    t_needs_report);
	T_RUN("report_rom-005", "the first matching policy wins", t_first_wins);
	T_RUN("report_rom-006", "label_prefix and label_suffix",
	    t_prefix_suffix);
	T_RUN("report_rom-007", "config without <rom>", t_no_rom);
	T_RUN("report_rom-008", "a report name that does not fit",
	    t_too_long);
	return t_done();
}
