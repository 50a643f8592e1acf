/*
 * Scenario run files: the parsed form, the parser, and what runs a scenario.
 * SPDX-License-Identifier: MIT
 *
 * The format is documented in doc/scenarios.md. The parser does no I/O
 * beyond reading the file into memory, so test/cairn/runfile.c links it
 * alone. All strings of a parsed run file point into its private copy of
 * the text and live as long as the struct runfile.
 */
#ifndef CAIRN_TOOL_RUNFILE_H
#define CAIRN_TOOL_RUNFILE_H

#include <regex.h>
#include <stddef.h>

#define RF_TIMEOUT_DEFAULT	30	/* seconds */
#define RF_TIMEOUT_MAX		86400
#define RF_FILE_MAX		(1024 * 1024)	/* bytes of run file */
#define RF_ERR_MAX		512	/* enough for any parser message */

/* What a `requires` word asks of the host. */
enum rf_req_kind {
	RF_REQ_KVM,		/* /dev/kvm can be opened read-write */
	RF_REQ_HWVIRT,		/* that, and KVM runs on hardware
				 * virtualization (not kvm_pvm) */
	RF_REQ_FUSE,		/* /dev/fuse can be opened read-write */
	RF_REQ_ROOT,		/* effective uid 0 */
	RF_REQ_CMD,		/* program `cmd` found on PATH */
};

struct rf_require {
	enum rf_req_kind kind;
	const char *cmd;	/* RF_REQ_CMD only */
	int line;
};

/* Where a boot module comes from. */
enum rf_mod_kind {
	RF_MOD_BUILD,		/* `modules`: an executable of the build dir */
	RF_MOD_FILE,		/* `module NAME PATH`: a file */
	RF_MOD_INLINE,		/* `rom NAME`, `config`: text of the run file */
};

struct rf_module {
	enum rf_mod_kind kind;
	const char *name;	/* file name in the boot dir */
	const char *path;	/* BUILD: the word as written (a name, or a path
				 * relative to the build dir if it has a '/');
				 * FILE: PATH as written */
	const char *data;	/* INLINE: the lines of the block, verbatim, */
	size_t len;		/* each ending in a newline; no final NUL */
	int line;
};

struct rf_host {
	const char *name;
	const char *path;	/* relative to the work dir unless absolute */
	int rw;
	int fuse;		/* a directory core mounts a FUSE export on */
	int line;
};

/* A `setup` or `after` shell command. */
struct rf_cmd {
	const char *cmd;
	int line;
};

struct rf_expect {
	const char *text;	/* as written, trailing whitespace trimmed */
	int is_re;		/* expect-re: `re` holds ^(text)$ compiled */
	regex_t re;
	int line;
};

/*
 * `update NAME` block: once `after` expectations have been met, boot
 * module NAME is replaced by data (core notices and tells its readers).
 */
struct rf_update {
	const char *name;
	const char *data;
	size_t len;
	size_t after;		/* number of expect lines before it */
	int line;
};

struct rf_fail {
	const char *text;
	int line;
};

struct runfile {
	char *file;		/* path as given, for messages */
	char *name;		/* scenario name: file name without ".run" */
	char *buf;		/* the text; strings below point into it */
	unsigned timeout;	/* seconds */
	int slow;
	struct rf_require *reqs;
	size_t nreqs;
	struct rf_module *mods;
	size_t nmods;
	struct rf_host *hosts;
	size_t nhosts;
	struct rf_cmd *setups;
	size_t nsetups;
	struct rf_cmd *afters;
	size_t nafters;
	struct rf_expect *expects;
	size_t nexpects;
	struct rf_fail *fails;
	size_t nfails;
	struct rf_update *updates;
	size_t nupdates;
};

/* runfile.c */

/*
 * Parses `len` bytes of `text` as the run file named `file` (used for the
 * scenario name and in messages) into `rf`, which the caller provides
 * uninitialised. Returns 0, -EINVAL for a malformed file or -ENOMEM; on
 * error `err` holds one line such as "x.run:12: unknown directive 'expcet'"
 * and `rf` holds nothing that needs freeing. On success the caller owns
 * `rf` and releases it with runfile_free().
 */
int runfile_parse(struct runfile *rf, const char *file, const char *text,
    size_t len, char *err, size_t errlen) __attribute__((warn_unused_result));

/* Reads the file at `path` and parses it like runfile_parse(). */
int runfile_load(struct runfile *rf, const char *path, char *err,
    size_t errlen) __attribute__((warn_unused_result));

/* Releases everything `rf` holds; `rf` may be zeroed or already freed. */
void runfile_free(struct runfile *rf);

/*
 * Returns 1 if the output line `line` satisfies `e`, else 0. The caller
 * has removed the newline and any trailing whitespace from `line`.
 */
int runfile_expect_matches(const struct rf_expect *e, const char *line);

/*
 * Checks an output line (trimmed as for runfile_expect_matches()) against
 * the scenario's failure conditions: every `fail` pattern, then the
 * built-in ones (a line containing "Error:" or starting with "[core]
 * fatal:"), which do not apply to a line that some `expect` or `expect-re`
 * of the scenario matches. Returns 1 and describes
 * the reason in `why` if the line fails the scenario, else 0.
 */
int runfile_line_fails(const struct runfile *rf, const char *line,
    char *why, size_t whylen);

/* modules.c */

/*
 * Fills the empty directory `boot` with the boot modules of `rf`:
 * executables found in the build dir `build` (copies of mode 0555), files
 * named relative to the work dir `work`, and the inline roms and config
 * (mode 0444). Returns 0, or -errno with `why` saying which module failed
 * and why.
 */
int modules_install(const struct runfile *rf, const char *build,
    const char *work, const char *boot, int verbose, char *why,
    size_t whylen) __attribute__((warn_unused_result));

/* boot.c */

struct boot_opts {
	int check;		/* --check: apply fail patterns, Error: lines */
	int verbose;		/* --verbose: narrate each step */
	int keep;		/* --keep: print the work dir at the end */
	const char *build;	/* absolute build dir */
	const char *src;	/* absolute source dir (repo root) */
	const char *core;	/* core executable */
};

/*
 * Runs the scenario `rf`: prepares its work dir, runs its setup commands,
 * installs its boot modules, boots core and watches its output, then runs
 * the after commands. Prints the outcome. Returns the exit status for
 * cairn: 0 passed, 1 failed, 130 interrupted.
 */
int boot_run(const struct runfile *rf, const struct boot_opts *o);

#endif
