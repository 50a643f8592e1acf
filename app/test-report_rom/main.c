/*
 * test-report_rom: the brightness sequence of spec/report_rom.md, the
 * Report session's response, and report_rom's answers to bad input.
 * SPDX-License-Identifier: MIT
 *
 * One component plays reporter and ROM client of the module "brightness";
 * each step waits for the ROM signal the previous report caused. At the
 * end it exits without closing its reporter, so report_rom sees the
 * reporter vanish. Needs policies for "test-report_rom -> brightness" and
 * "test-report_rom -> broken", and none for "test-report_rom -> secret".
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cairn/env.h>
#include <cairn/reporter.h>
#include <cairn/session/report.h>

enum step { WAIT_77, WAIT_CLOSE, WAIT_99, FINISHING };

struct main {
	struct cairn_env *env;
	struct reporter reporter;
	struct cairn_rom rom;
	enum step step;
	unsigned brightness;
	uint64_t seen_version;
	struct cairn_timer *timer;
};

static void
fail(struct main *mn, const char *what)
{
	cairn_error(mn->env, "%s", what);
	cairn_exit(mn->env, 1);
}

static void
gen_brightness(struct xml_gen *g, void *ctx)
{
	struct main *mn = ctx;

	xml_gen_attr_u64(g, "brightness", mn->brightness);
}

static void
report(struct main *mn, unsigned value)
{
	int r;

	cairn_log(mn->env, "Reporting brightness %u", value);
	mn->brightness = value;
	r = reporter_xml(&mn->reporter, NULL, gen_brightness, mn);
	if (r < 0) {
		cairn_error(mn->env, "report failed: %s", strerror(-r));
		cairn_exit(mn->env, 1);
	}
}

/* Log what the client sees in the version it fetched last. */
static void
show_rom(struct main *mn)
{
	mn->seen_version = mn->rom.version;
	if (!mn->rom.valid)
		cairn_log(mn->env, "ROM client: -> invalid");
	else
		cairn_log(mn->env, "ROM client: -> %.*s", (int)mn->rom.size,
		    (const char *)mn->rom.ds.addr);
}

static bool
rom_is(struct main *mn, unsigned value)
{
	char want[64];
	int n = snprintf(want, sizeof(want), "<brightness brightness=\"%u\"/>",
	    value);

	return mn->rom.valid && mn->rom.size == (uint64_t)n &&
	    memcmp(mn->rom.ds.addr, want, (size_t)n) == 0;
}

/* A session that must be refused: log the parent's explanation. */
static void
expect_refusal(struct main *mn, const char *what, const char *service,
    const char *args)
{
	char detail[128];
	uint64_t id;
	int cap = cairn_session(mn->env, service, args, &id, detail,
	    sizeof(detail));

	if (cap >= 0) {
		cairn_session_close(mn->env, id, cap);
		fail(mn, "a session that should be refused was granted");
	}
	cairn_log(mn->env, "%s: refused (%s)", what, detail);
}

/* A Report session used raw, to submit what the reporter helper never
 * would: a length beyond the buffer. */
static void
oversized_submit(struct main *mn)
{
	struct report_submit_args a = { .length = 1 << 20 };
	char detail[128];
	uint64_t id;
	int cap, st;

	cap = cairn_session(mn->env, "Report", "label=\"raw\", "
	    "buffer_size=4096, ram_quota=12288", &id, detail, sizeof(detail));
	if (cap < 0)
		fail(mn, "raw Report session refused");
	st = rpc_call_simple(cap, REPORT_SUBMIT, &a, sizeof(a), NULL, 0);
	cairn_log(mn->env, "submit of %llu bytes into a 4096-byte buffer: %s",
	    (unsigned long long)a.length, st == REPORT_TOO_LARGE ?
	    "refused (too large)" : "NOT refused");
	a.length = 16;
	st = rpc_call_simple(cap, REPORT_SUBMIT, &a, sizeof(a), NULL, 0);
	cairn_log(mn->env, "the same session afterwards: %s",
	    st == REPORT_OK ? "served" : "NOT served");
	cairn_session_close(mn->env, id, cap);
}

/* A report that is not XML: stored as bytes, a parsing reader is told. */
static void
malformed_report(struct main *mn)
{
	static const char text[] = "<brightness brightness=\"12\"";
	struct reporter broken;
	struct cairn_rom rom;
	struct xml_node node;
	struct xml_error err;
	char big[REPORT_DEFAULT_BUFFER + 1];
	int r;

	if (reporter_init(&broken, mn->env, "broken", 0) < 0 ||
	    reporter_enable(&broken) < 0)
		fail(mn, "reporter 'broken' refused");
	memset(big, 'x', sizeof(big));
	r = reporter_submit(&broken, big, sizeof(big));
	cairn_log(mn->env, "reporter_submit of %zu bytes into %zu: %s",
	    sizeof(big), broken.buffer_size, r == -EMSGSIZE ?
	    "refused, nothing submitted" : "NOT refused");
	if (reporter_submit(&broken, text, sizeof(text) - 1) < 0)
		fail(mn, "submit of the malformed report failed");
	if (cairn_rom_open(mn->env, "broken", &rom) < 0)
		fail(mn, "ROM 'broken' refused");
	cairn_log(mn->env, "ROM 'broken': %llu bytes, %s",
	    (unsigned long long)rom.size, rom.valid && rom.size ==
	    sizeof(text) - 1 && memcmp(rom.ds.addr, text, rom.size) == 0 ?
	    "stored as submitted" : "NOT as submitted");
	if (xml_parse(rom.ds.addr, rom.size, 0, &node, &err) == 0)
		fail(mn, "the malformed report parsed");
	cairn_log(mn->env, "ROM 'broken' is not XML: %u:%u: %s", err.line,
	    err.col, err.msg);
	cairn_rom_close(mn->env, &rom);
	reporter_fini(&broken);
}

/* Between the 77 and the close: everything that must not disturb it. */
static void
bad_input(struct main *mn)
{
	struct reporter second;
	long n;
	char buf[64];

	n = reporter_obtain_response(&mn->reporter, buf, sizeof(buf));
	cairn_log(mn->env, "Reporter: response of %ld bytes", n);
	if (reporter_init(&second, mn->env, "brightness", 0) < 0)
		fail(mn, "reporter_init");
	if (reporter_enable(&second) == 0)
		fail(mn, "a second writer of 'brightness' was accepted");
	cairn_log(mn->env, "second reporter of 'brightness': refused (%s)",
	    second.detail);
	expect_refusal(mn, "Report 'huge' with too small a donation",
	    "Report", "label=\"huge\", buffer_size=64K, ram_quota=16K");
	expect_refusal(mn, "ROM 'secret' without a policy", "ROM",
	    "label=\"secret\", ram_quota=4K");
	oversized_submit(mn);
	malformed_report(mn);
}

static void
finish(void *ctx)
{
	struct main *mn = ctx;

	cairn_log(mn->env, "--- test-report_rom finished ---");
	/* Exit with the reporter still open: report_rom sees it vanish. */
	cairn_exit(mn->env, 0);
}

static void
on_rom(void *ctx, uint64_t count)
{
	struct main *mn = ctx;
	uint64_t before = mn->seen_version;

	if (cairn_rom_update(mn->env, &mn->rom) < 0)
		fail(mn, "ROM client: update failed");
	if (mn->rom.version == before)
		return;		/* nothing new */
	cairn_log(mn->env, "ROM client: got signal");
	show_rom(mn);
	switch (mn->step) {
	case WAIT_77:
		if (!rom_is(mn, 77))
			fail(mn, "ROM client: expected brightness 77");
		bad_input(mn);
		cairn_log(mn->env, "Reporter: close report session");
		reporter_disable(&mn->reporter);
		mn->step = WAIT_CLOSE;
		cairn_log(mn->env, "ROM client: wait for update notification");
		break;
	case WAIT_CLOSE:
		if (mn->rom.valid)
			fail(mn, "ROM client: expected the report to vanish");
		cairn_log(mn->env, "ROM client: detected vanished report");
		cairn_log(mn->env, "Reporter: start reporting (while the ROM "
		    "client still listens)");
		if (reporter_enable(&mn->reporter) < 0)
			fail(mn, "Reporter: cannot reopen");
		mn->step = WAIT_99;
		report(mn, 99);
		break;
	case WAIT_99:
		if (!rom_is(mn, 99))
			fail(mn, "ROM client: expected brightness 99");
		/* Give other readers of the module time to log it. */
		mn->step = FINISHING;
		mn->timer = cairn_timer_create(mn->env->ep, finish, mn);
		if (mn->timer == NULL ||
		    cairn_timer_set(mn->timer, 500000, 0) < 0)
			finish(mn);
		break;
	case FINISHING:
		fail(mn, "ROM client: unexpected change");
	}
}

static void
on_response(void *ctx, uint64_t count)
{
	struct main *mn = ctx;

	cairn_error(mn->env, "Reporter: report_rom never responds, yet it "
	    "signalled");
}

void
construct(struct cairn_env *env)
{
	static struct main mn;

	mn.env = env;
	if (reporter_init(&mn.reporter, env, "brightness", 0) < 0 ||
	    reporter_enable(&mn.reporter) < 0) {
		cairn_error(env, "Reporter: session refused: %s",
		    mn.reporter.detail);
		cairn_exit(env, 1);
	}
	if (reporter_response_sigh(&mn.reporter, on_response, &mn) < 0)
		fail(&mn, "Reporter: cannot register for responses");
	report(&mn, 10);
	cairn_log(env, "ROM client: request brightness report");
	if (cairn_rom_open(env, "brightness", &mn.rom) < 0)
		fail(&mn, "ROM client: session refused");
	if (cairn_rom_sigh(env, &mn.rom, on_rom, &mn) < 0)
		fail(&mn, "ROM client: cannot register for changes");
	show_rom(&mn);	/* nothing reported since: no signal missed */
	if (!rom_is(&mn, 10))
		fail(&mn, "ROM client: expected brightness 10");
	mn.step = WAIT_77;
	report(&mn, 77);
	cairn_log(env, "ROM client: wait for update notification");
}
