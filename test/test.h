/*
 * Minimal unit-test harness: each case prints one stable result line.
 * SPDX-License-Identifier: MIT
 *
 * Output format, read by scripts/run_tests.py:
 *   "ok - ID: DESCRIPTION"
 *   "FAIL - ID: DESCRIPTION (FILE:LINE: EXPR)"
 *   "SKIP - ID: DESCRIPTION (REASON)"
 *
 * Usage:
 *   static void t_parse_empty(void) { T_CHECK(x == 1); }
 *   int main(void) {
 *       T_RUN("xml-001", "empty document is rejected", t_parse_empty);
 *       return t_done();
 *   }
 * A case fails on its first failed T_CHECK (the case function returns).
 */
#ifndef CAIRN_TEST_H
#define CAIRN_TEST_H

#include <stdio.h>
#include <string.h>

struct t_state {
	int failed_case;	/* current case failed */
	int skipped_case;	/* current case skipped */
	int passed, failed, skipped;
	char why[256];
};

extern struct t_state t_state;

/* Define the harness state once per test program (in exactly one file). */
#define T_STATE_DEFINE struct t_state t_state

#define T_CHECK(expr) do { \
	if (!(expr)) { \
		snprintf(t_state.why, sizeof(t_state.why), "%s:%d: %s", \
		    __FILE__, __LINE__, #expr); \
		t_state.failed_case = 1; \
		return; \
	} \
} while (0)

/* Like T_CHECK, with a printf-style explanation. */
#define T_CHECKF(expr, ...) do { \
	if (!(expr)) { \
		int n_ = snprintf(t_state.why, sizeof(t_state.why), "%s:%d: %s: ", \
		    __FILE__, __LINE__, #expr); \
		if (n_ > 0 && (size_t)n_ < sizeof(t_state.why)) \
			snprintf(t_state.why + n_, sizeof(t_state.why) - (size_t)n_, \
			    __VA_ARGS__); \
		t_state.failed_case = 1; \
		return; \
	} \
} while (0)

#define T_SKIP(...) do { \
	snprintf(t_state.why, sizeof(t_state.why), __VA_ARGS__); \
	t_state.skipped_case = 1; \
	return; \
} while (0)

static inline void t_run(const char *id, const char *desc, void (*fn)(void))
{
	t_state.failed_case = 0;
	t_state.skipped_case = 0;
	t_state.why[0] = '\0';
	fn();
	if (t_state.failed_case) {
		t_state.failed++;
		printf("FAIL - %s: %s (%s)\n", id, desc, t_state.why);
	} else if (t_state.skipped_case) {
		t_state.skipped++;
		printf("SKIP - %s: %s (%s)\n", id, desc, t_state.why);
	} else {
		t_state.passed++;
		printf("ok - %s: %s\n", id, desc);
	}
	fflush(stdout);
}

#define T_RUN(id, desc, fn) t_run(id, desc, fn)

/* Returns the process exit status: 0 when no case failed. */
static inline int t_done(void)
{
	return t_state.failed ? 1 : 0;
}

#endif
