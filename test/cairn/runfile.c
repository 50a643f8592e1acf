/*
 * Unit tests of the cairn command's run-file parser, tool/cairn/runfile.c.
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../test.h"
#include "runfile.h"

T_STATE_DEFINE;

/* The case functions share one parsed file; parse() releases the last. */
static struct runfile rf;
static char err[RF_ERR_MAX];

static int
parse(const char *text)
{
	runfile_free(&rf);
	return runfile_parse(&rf, "dir/t.run", text, strlen(text), err,
	    sizeof(err));
}

/* Parses `text` and tells whether it failed with exactly `msg`. */
static int
rejects(const char *text, const char *msg)
{
	return parse(text) == -EINVAL && strcmp(err, msg) == 0;
}

#define T_REJECTS(text, msg) \
	T_CHECKF(rejects(text, msg), "got '%.200s'", err)

static void
t_empty(void)
{
	T_CHECKF(parse("") == 0, "%.200s", err);
	T_CHECK(strcmp(rf.name, "t") == 0);
	T_CHECK(strcmp(rf.file, "dir/t.run") == 0);
	T_CHECK(rf.timeout == RF_TIMEOUT_DEFAULT);
	T_CHECK(rf.slow == 0 && rf.nreqs == 0 && rf.nmods == 0);
	T_CHECK(rf.nhosts == 0 && rf.nsetups == 0 && rf.nafters == 0);
	T_CHECK(rf.nexpects == 0 && rf.nfails == 0);
}

static void
t_comments(void)
{
	T_CHECKF(parse("# comment\n\n   \n\t# indented comment\n"
	    "timeout 20   # seconds\nmodules a b#c # d e\n") == 0, "%.200s",
	    err);
	T_CHECK(rf.timeout == 20);
	T_CHECK(rf.nmods == 2);
	T_CHECK(strcmp(rf.mods[1].name, "b#c") == 0);
}

static void
t_timeout(void)
{
	T_CHECKF(parse("timeout 86400\n") == 0, "%.200s", err);
	T_CHECK(rf.timeout == 86400);
	T_REJECTS("\ntimeout 0\n", "dir/t.run:2: timeout '0' is not a whole "
	    "number of seconds from 1 to 86400");
	T_REJECTS("timeout 86401", "dir/t.run:1: timeout '86401' is not a "
	    "whole number of seconds from 1 to 86400");
	T_REJECTS("timeout 5s", "dir/t.run:1: timeout '5s' is not a whole "
	    "number of seconds from 1 to 86400");
	T_REJECTS("timeout +5", "dir/t.run:1: timeout '+5' is not a whole "
	    "number of seconds from 1 to 86400");
	T_REJECTS("timeout 99999999999999999999", "dir/t.run:1: timeout "
	    "'99999999999999999999' is not a whole number of seconds from 1 "
	    "to 86400");
	T_REJECTS("timeout", "dir/t.run:1: wrong number of arguments to "
	    "'timeout' (usage: timeout SECONDS)");
	T_REJECTS("timeout 1 2", "dir/t.run:1: wrong number of arguments to "
	    "'timeout' (usage: timeout SECONDS)");
}

static void
t_requires(void)
{
	T_CHECKF(parse("requires kvm fuse\nrequires root cmd:mke2fs\n") == 0,
	    "%.200s", err);
	T_CHECK(rf.nreqs == 4);
	T_CHECK(rf.reqs[0].kind == RF_REQ_KVM && rf.reqs[0].line == 1);
	T_CHECK(rf.reqs[1].kind == RF_REQ_FUSE);
	T_CHECK(rf.reqs[2].kind == RF_REQ_ROOT && rf.reqs[2].line == 2);
	T_CHECK(rf.reqs[3].kind == RF_REQ_CMD);
	T_CHECK(strcmp(rf.reqs[3].cmd, "mke2fs") == 0);
	T_CHECKF(parse("requires hwvirt\n") == 0, "%s", err);
	T_CHECK(rf.nreqs == 1 && rf.reqs[0].kind == RF_REQ_HWVIRT);
	T_REJECTS("requires kmv", "dir/t.run:1: unknown requirement 'kmv' "
	    "(expected kvm, hwvirt, fuse, root or cmd:NAME)");
	T_REJECTS("requires cmd:", "dir/t.run:1: unknown requirement 'cmd:' "
	    "(expected kvm, hwvirt, fuse, root or cmd:NAME)");
	T_REJECTS("requires # nothing", "dir/t.run:1: wrong number of "
	    "arguments to 'requires' (usage: requires "
	    "kvm|hwvirt|fuse|root|cmd:NAME...)");
}

static void
t_slow(void)
{
	T_CHECKF(parse("slow\n") == 0, "%.200s", err);
	T_CHECK(rf.slow == 1);
	T_CHECKF(parse("slow # takes minutes\n") == 0, "%.200s", err);
	T_CHECK(rf.slow == 1);
	T_REJECTS("slow yes", "dir/t.run:1: wrong number of arguments to "
	    "'slow' (usage: slow)");
}

static void
t_modules(void)
{
	T_CHECKF(parse("modules init timer\nmodules app/hello/hello\n") == 0,
	    "%.200s", err);
	T_CHECK(rf.nmods == 3);
	T_CHECK(rf.mods[0].kind == RF_MOD_BUILD && rf.mods[0].line == 1);
	T_CHECK(strcmp(rf.mods[0].name, "init") == 0);
	T_CHECK(strcmp(rf.mods[0].path, "init") == 0);
	T_CHECK(strcmp(rf.mods[1].name, "timer") == 0);
	T_CHECK(strcmp(rf.mods[2].name, "hello") == 0);
	T_CHECK(strcmp(rf.mods[2].path, "app/hello/hello") == 0);
	T_CHECK(rf.mods[2].line == 2);
	T_REJECTS("modules", "dir/t.run:1: wrong number of arguments to "
	    "'modules' (usage: modules NAME...)");
	T_REJECTS("modules app/", "dir/t.run:1: invalid module name ''");
	T_REJECTS("modules ..", "dir/t.run:1: invalid module name '..'");
	T_REJECTS("modules init\n\nmodules timer x/init",
	    "dir/t.run:3: duplicate boot module 'init' (first at line 1)");
}

static void
t_module(void)
{
	T_CHECKF(parse("module disk.img images/disk.img\n") == 0, "%.200s",
	    err);
	T_CHECK(rf.nmods == 1 && rf.mods[0].kind == RF_MOD_FILE);
	T_CHECK(strcmp(rf.mods[0].name, "disk.img") == 0);
	T_CHECK(strcmp(rf.mods[0].path, "images/disk.img") == 0);
	T_REJECTS("module a", "dir/t.run:1: wrong number of arguments to "
	    "'module' (usage: module NAME PATH)");
	T_REJECTS("module a b c", "dir/t.run:1: wrong number of arguments to "
	    "'module' (usage: module NAME PATH)");
	T_REJECTS("module a/b c", "dir/t.run:1: invalid module name 'a/b'");
	T_REJECTS("module . c", "dir/t.run:1: invalid module name '.'");
	T_REJECTS("modules a\nmodule a x", "dir/t.run:2: duplicate boot "
	    "module 'a' (first at line 1)");
}

static void
t_update(void)
{
	T_CHECKF(parse("expect a\nexpect b\nupdate config\n<config/>\nend\n"
	    "expect c\n") == 0, "%.200s", err);
	T_CHECK(rf.nupdates == 1 && rf.nexpects == 3);
	T_CHECK(strcmp(rf.updates[0].name, "config") == 0);
	T_CHECK(rf.updates[0].after == 2 && rf.updates[0].line == 3);
	T_CHECK(rf.updates[0].len == strlen("<config/>\n"));
	T_REJECTS("update config\nend\n", "dir/t.run:1: update 'config' needs "
	    "an expect line before it (it is applied once that line was seen)");
	T_REJECTS("expect a\nupdate x\n", "dir/t.run:2: 'update' block has no "
	    "'end'");
}

static void
t_rom(void)
{
	static const char body[] = "  <x a=\"1\"/>   \n# not a comment\n\n"
	    "endless\n";

	T_CHECKF(parse("rom data.xml\n  <x a=\"1\"/>   \n# not a comment\n\n"
	    "endless\n  end  \nrom empty\nend") == 0, "%.200s", err);
	T_CHECK(rf.nmods == 2);
	T_CHECK(rf.mods[0].kind == RF_MOD_INLINE && rf.mods[0].line == 1);
	T_CHECK(strcmp(rf.mods[0].name, "data.xml") == 0);
	T_CHECK(rf.mods[0].len == strlen(body));
	T_CHECK(memcmp(rf.mods[0].data, body, strlen(body)) == 0);
	T_CHECK(rf.mods[1].len == 0 && rf.mods[1].line == 7);
	T_REJECTS("\nrom x\nline\n", "dir/t.run:2: 'rom' block has no 'end'");
	T_REJECTS("rom x\nend\nrom x\nend\n", "dir/t.run:3: duplicate boot "
	    "module 'x' (first at line 1)");
	T_REJECTS("rom", "dir/t.run:1: wrong number of arguments to 'rom' "
	    "(usage: rom NAME, then lines up to 'end')");
	T_REJECTS("rom a b", "dir/t.run:1: wrong number of arguments to 'rom' "
	    "(usage: rom NAME, then lines up to 'end')");
	T_REJECTS("rom a/b\nend\n", "dir/t.run:1: invalid module name 'a/b'");
}

static void
t_config(void)
{
	static const char body[] = "<config>\n\t<start name=\"hello\"/>\n"
	    "</config>\n";

	T_CHECKF(parse("timeout 5\nconfig  # init's\n<config>\n"
	    "\t<start name=\"hello\"/>\n</config>\nend\nexpect x\n") == 0,
	    "%.200s", err);
	T_CHECK(rf.nmods == 1 && rf.mods[0].kind == RF_MOD_INLINE);
	T_CHECK(strcmp(rf.mods[0].name, "config") == 0);
	T_CHECK(rf.mods[0].line == 2);
	T_CHECK(rf.mods[0].len == strlen(body));
	T_CHECK(memcmp(rf.mods[0].data, body, strlen(body)) == 0);
	T_CHECK(rf.nexpects == 1 && rf.expects[0].line == 7);
	T_REJECTS("\n\nconfig\n<config/>\n", "dir/t.run:3: 'config' block has "
	    "no 'end'");
	T_REJECTS("config\nend\nconfig\nend\n", "dir/t.run:3: duplicate boot "
	    "module 'config' (first at line 1)");
	T_REJECTS("rom config\nend\nconfig\nend\n", "dir/t.run:3: duplicate "
	    "boot module 'config' (first at line 1)");
	T_REJECTS("config x\nend\n", "dir/t.run:1: wrong number of arguments "
	    "to 'config' (usage: config, then lines up to 'end')");
	T_REJECTS("config\nend\nend\n", "dir/t.run:3: 'end' outside a 'rom', 'config' or 'update' block");
}

static void
t_host(void)
{
	T_CHECKF(parse("host disk disk.img rw\nhost kvm /dev/kvm\n") == 0,
	    "%.200s", err);
	T_CHECK(rf.nhosts == 2);
	T_CHECK(strcmp(rf.hosts[0].name, "disk") == 0);
	T_CHECK(strcmp(rf.hosts[0].path, "disk.img") == 0);
	T_CHECK(rf.hosts[0].rw == 1 && rf.hosts[0].line == 1);
	T_CHECK(strcmp(rf.hosts[1].path, "/dev/kvm") == 0);
	T_CHECK(rf.hosts[1].rw == 0 && rf.hosts[1].line == 2);
	T_CHECK(rf.hosts[0].fuse == 0 && rf.hosts[1].fuse == 0);
	T_CHECKF(parse("host mnt export fuse\n") == 0, "%.200s", err);
	T_CHECK(rf.nhosts == 1 && rf.hosts[0].fuse == 1 &&
	    rf.hosts[0].rw == 0);
	T_REJECTS("host disk", "dir/t.run:1: wrong number of arguments to "
	    "'host' (usage: host NAME PATH [rw|fuse])");
	T_REJECTS("host a b rw x", "dir/t.run:1: wrong number of arguments to "
	    "'host' (usage: host NAME PATH [rw|fuse])");
	T_REJECTS("host disk disk.img ro", "dir/t.run:1: expected 'rw' or "
	    "'fuse' after the path of host 'disk', got 'ro'");
	T_REJECTS("host a=b disk.img", "dir/t.run:1: invalid host resource "
	    "name 'a=b'");
	T_REJECTS("host a x:rw", "dir/t.run:1: host path 'x:rw' must not end "
	    "in ':rw' or ':fuse'");
	T_REJECTS("host a x:fuse", "dir/t.run:1: host path 'x:fuse' must not "
	    "end in ':rw' or ':fuse'");
	T_REJECTS("host a x\nhost a y", "dir/t.run:2: duplicate host resource "
	    "'a' (first at line 1)");
}

static void
t_commands(void)
{
	T_CHECKF(parse("setup  mke2fs -q -F disk.img 8M  # 8 MiB  \n"
	    "after e2fsck -fn disk.img\nsetup echo '#' >x\n") == 0, "%.200s",
	    err);
	T_CHECK(rf.nsetups == 2 && rf.nafters == 1);
	T_CHECK(strcmp(rf.setups[0].cmd,
	    "mke2fs -q -F disk.img 8M  # 8 MiB") == 0);
	T_CHECK(rf.setups[0].line == 1);
	T_CHECK(strcmp(rf.setups[1].cmd, "echo '#' >x") == 0);
	T_CHECK(rf.setups[1].line == 3);
	T_CHECK(strcmp(rf.afters[0].cmd, "e2fsck -fn disk.img") == 0);
	T_CHECK(rf.afters[0].line == 2);
	T_REJECTS("setup   ", "dir/t.run:1: wrong number of arguments to "
	    "'setup' (usage: setup COMMAND...)");
	T_REJECTS("after", "dir/t.run:1: wrong number of arguments to "
	    "'after' (usage: after COMMAND...)");
}

static void
t_expect(void)
{
	T_CHECKF(parse("expect [init -> hello] Hello  world # 1 \t\n") == 0,
	    "%.200s", err);
	T_CHECK(rf.nexpects == 1 && rf.expects[0].is_re == 0);
	T_CHECK(strcmp(rf.expects[0].text,
	    "[init -> hello] Hello  world # 1") == 0);
	T_CHECK(runfile_expect_matches(&rf.expects[0],
	    "[init -> hello] Hello  world # 1"));
	T_CHECK(!runfile_expect_matches(&rf.expects[0],
	    "[init -> hello] Hello world # 1"));
	T_CHECK(!runfile_expect_matches(&rf.expects[0],
	    " [init -> hello] Hello  world # 1"));
	T_CHECK(!runfile_expect_matches(&rf.expects[0],
	    "[init -> hello] Hello  world # 12"));
	T_REJECTS("expect", "dir/t.run:1: wrong number of arguments to "
	    "'expect' (usage: expect TEXT)");
}

static void
t_expect_re(void)
{
	T_CHECKF(parse("expect a\nexpect-re \\[init -> (a|b)\\] [0-9]+ ms\n")
	    == 0, "%.200s", err);
	T_CHECK(rf.nexpects == 2 && rf.expects[1].is_re == 1);
	T_CHECK(rf.expects[1].line == 2);
	T_CHECK(runfile_expect_matches(&rf.expects[1], "[init -> b] 12 ms"));
	/* The regex must match the whole line, not a part of it. */
	T_CHECK(!runfile_expect_matches(&rf.expects[1], "[init -> b] 12 ms!"));
	T_CHECK(!runfile_expect_matches(&rf.expects[1], "x[init -> a] 1 ms"));
	T_CHECK(!runfile_expect_matches(&rf.expects[1], "[init -> c] 1 ms"));
	T_CHECKF(parse("expect-re a|b\n") == 0, "%.200s", err);
	T_CHECK(!runfile_expect_matches(&rf.expects[0], "ab"));
	T_CHECK(runfile_expect_matches(&rf.expects[0], "b"));
	T_CHECK(parse("expect x\nexpect-re ok\nexpect-re (a\n") == -EINVAL);
	T_CHECKF(strncmp(err, "dir/t.run:3: bad regular expression '(a': ",
	    42) == 0, "%.200s", err);
	T_REJECTS("expect-re", "dir/t.run:1: wrong number of arguments to "
	    "'expect-re' (usage: expect-re REGEX)");
}

static void
t_fail(void)
{
	char why[256];

	T_CHECKF(parse("expect x\nfail Oops  \n") == 0, "%.200s", err);
	T_CHECK(rf.nfails == 1 && strcmp(rf.fails[0].text, "Oops") == 0);
	T_CHECK(rf.fails[0].line == 2);
	T_CHECK(runfile_line_fails(&rf, "[init -> a] Oops!", why,
	    sizeof(why)));
	T_CHECKF(strcmp(why, "output matches 'fail Oops' of line 2") == 0,
	    "%.200s", why);
	T_CHECK(!runfile_line_fails(&rf, "[init -> a] oops", why,
	    sizeof(why)));
	T_REJECTS("fail", "dir/t.run:1: wrong number of arguments to 'fail' "
	    "(usage: fail TEXT)");
}

static void
t_builtin_fail(void)
{
	char why[256];

	T_CHECKF(parse("expect [init] Error: expected\n"
	    "expect-re \\[init -> x\\] Error: [a-z]+\nfail Error: expected\n")
	    == 0, "%.200s", err);
	T_CHECK(runfile_line_fails(&rf, "[init -> y] Error: boom", why,
	    sizeof(why)));
	T_CHECKF(strcmp(why, "error line not matched by any expect") == 0,
	    "%.200s", why);
	T_CHECK(runfile_line_fails(&rf, "[core] fatal: no init", why,
	    sizeof(why)));
	T_CHECK(!runfile_line_fails(&rf, "[init -> x] Error: denied", why,
	    sizeof(why)));
	T_CHECK(!runfile_line_fails(&rf, "[init -> x] fatal: denied", why,
	    sizeof(why)));
	T_CHECK(!runfile_line_fails(&rf, "[init] all fine", why,
	    sizeof(why)));
	/* A `fail` pattern wins over an expect of the same line. */
	T_CHECK(runfile_line_fails(&rf, "[init] Error: expected", why,
	    sizeof(why)));
	T_CHECKF(strcmp(why, "output matches 'fail Error: expected' of "
	    "line 3") == 0, "%.200s", why);
}

static void
t_unknown(void)
{
	T_REJECTS("timeout 5\n\n  expcet [init] x\n", "dir/t.run:3: unknown "
	    "directive 'expcet'");
	T_REJECTS("Expect x", "dir/t.run:1: unknown directive 'Expect'");
}

static void
t_nul(void)
{
	static const char text[] = "timeout 5\nexpect a\0b\n";

	runfile_free(&rf);
	T_CHECK(runfile_parse(&rf, "n.run", text, sizeof(text) - 1, err,
	    sizeof(err)) == -EINVAL);
	T_CHECKF(strcmp(err, "n.run:2: NUL byte in line") == 0, "%.200s", err);
}

static void
t_too_many_words(void)
{
	char text[512] = "modules";
	int i;

	for (i = 0; i < 63; i++)
		snprintf(text + strlen(text), sizeof(text) - strlen(text),
		    " m%d", i);
	T_CHECKF(parse(text) == 0, "%.200s", err);
	T_CHECK(rf.nmods == 63);
	strcat(text, " m63");
	T_REJECTS(text, "dir/t.run:1: too many words (at most 64)");
}

static void
t_names(void)
{
	runfile_free(&rf);
	T_CHECK(runfile_parse(&rf, "/a/b/c.d.run", "", 0, err,
	    sizeof(err)) == 0);
	T_CHECK(strcmp(rf.name, "c.d") == 0);
	runfile_free(&rf);
	T_CHECK(runfile_parse(&rf, "plain", "", 0, err, sizeof(err)) == 0);
	T_CHECK(strcmp(rf.name, "plain") == 0);
	runfile_free(&rf);
	T_CHECK(runfile_parse(&rf, "x/.run", "", 0, err, sizeof(err)) ==
	    -EINVAL);
	T_CHECKF(strcmp(err, "x/.run: cannot derive a scenario name from "
	    "the file name") == 0, "%.200s", err);
	T_CHECK(runfile_parse(&rf, "x/.hidden.run", "", 0, err,
	    sizeof(err)) == -EINVAL);
}

static void
t_line_endings(void)
{
	T_CHECKF(parse("timeout 7\r\nrom r\r\na\r\nend\r\nexpect x \r\n"
	    "expect y") == 0, "%.200s", err);
	T_CHECK(rf.timeout == 7);
	T_CHECK(rf.mods[0].len == 3 && memcmp(rf.mods[0].data, "a\r\n", 3)
	    == 0);
	T_CHECK(rf.nexpects == 2);
	T_CHECK(strcmp(rf.expects[0].text, "x") == 0);
	T_CHECK(strcmp(rf.expects[1].text, "y") == 0);
	T_CHECK(rf.expects[1].line == 6);
}

static void
t_load(void)
{
	char path[] = "/tmp/cairn-runfile-XXXXXX";
	FILE *f;
	int fd;

	runfile_free(&rf);
	T_CHECK(runfile_load(&rf, "/nonexistent/x.run", err, sizeof(err)) ==
	    -ENOENT);
	T_CHECKF(strcmp(err, "cannot read /nonexistent/x.run: No such file "
	    "or directory") == 0, "%.200s", err);
	T_CHECK(runfile_load(&rf, "/", err, sizeof(err)) == -EINVAL);
	T_CHECKF(strcmp(err, "/: not a regular file") == 0, "%.200s", err);

	fd = mkstemp(path);
	T_CHECK(fd >= 0);
	f = fdopen(fd, "w");
	T_CHECK(f != NULL);
	fputs("timeout 3\nexpect done\n", f);
	fclose(f);
	T_CHECKF(runfile_load(&rf, path, err, sizeof(err)) == 0, "%.200s", err);
	T_CHECK(rf.timeout == 3 && rf.nexpects == 1);
	T_CHECK(strcmp(rf.file, path) == 0);
	runfile_free(&rf);
	T_CHECK(truncate(path, RF_FILE_MAX + 1) == 0);
	T_CHECK(runfile_load(&rf, path, err, sizeof(err)) == -EFBIG);
	unlink(path);
}

static void
t_complete(void)
{
	static const char text[] =
	    "# A complete example.\n"
	    "timeout 20\n"
	    "requires cmd:sh\n"
	    "modules init hello\n"
	    "setup printf 'x' > data\n"
	    "module data data\n"
	    "host disk disk.img rw\n"
	    "config\n"
	    "<config><start name=\"hello\"/></config>\n"
	    "end\n"
	    "expect [init -> hello] Hello\n"
	    "expect-re \\[init -> hello\\] took [0-9]+ ms\n"
	    "fail Panic\n"
	    "after test -s data\n";

	T_CHECKF(parse(text) == 0, "%.200s", err);
	T_CHECK(rf.timeout == 20 && rf.nreqs == 1 && rf.nmods == 4);
	T_CHECK(rf.nsetups == 1 && rf.nhosts == 1 && rf.nexpects == 2);
	T_CHECK(rf.nfails == 1 && rf.nafters == 1);
	T_CHECK(rf.mods[2].kind == RF_MOD_FILE);
	T_CHECK(rf.mods[3].kind == RF_MOD_INLINE && rf.mods[3].line == 8);
	T_CHECK(rf.expects[1].line == 12);
}

int
main(void)
{
	T_RUN("runfile-001", "empty file: defaults and name", t_empty);
	T_RUN("runfile-002", "comments, blank lines, trailing comments",
	    t_comments);
	T_RUN("runfile-003", "timeout and its errors", t_timeout);
	T_RUN("runfile-004", "requires kvm/hwvirt/fuse/root/cmd and its errors",
	    t_requires);
	T_RUN("runfile-005", "slow", t_slow);
	T_RUN("runfile-006", "modules, paths, names, duplicates", t_modules);
	T_RUN("runfile-007", "module NAME PATH", t_module);
	T_RUN("runfile-008", "rom blocks verbatim, missing end", t_rom);
	T_RUN("runfile-009", "config block, duplicates, stray end",
	    t_config);
	T_RUN("runfile-010", "host resources and their errors", t_host);
	T_RUN("runfile-011", "setup and after take the line verbatim",
	    t_commands);
	T_RUN("runfile-012", "expect matches the exact line", t_expect);
	T_RUN("runfile-013", "expect-re matches the whole line", t_expect_re);
	T_RUN("runfile-014", "fail patterns", t_fail);
	T_RUN("runfile-015", "Error: and fatal lines unless expected",
	    t_builtin_fail);
	T_RUN("runfile-016", "unknown directive names file:line and word",
	    t_unknown);
	T_RUN("runfile-017", "NUL byte in a line", t_nul);
	T_RUN("runfile-018", "too many words on a line", t_too_many_words);
	T_RUN("runfile-019", "scenario names from file names", t_names);
	T_RUN("runfile-020", "CRLF line ends, last line without newline",
	    t_line_endings);
	T_RUN("runfile-021", "runfile_load: missing, dir, file, too large",
	    t_load);
	T_RUN("runfile-022", "a complete run file", t_complete);
	T_RUN("runfile-023", "update blocks follow an expect line", t_update);
	runfile_free(&rf);
	return t_done();
}
