/*
 * The cairn host command: boots a scenario under core and checks its log.
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runfile.h"

#define EXIT_FAIL	1
#define EXIT_USAGE	2
#define EXIT_SKIP	77	/* a skipped test, to meson and automake */
#define PVM_MODULE	"/sys/module/kvm_pvm"

static const char usage_text[] =
    "usage: cairn run [--check] [--verbose] [--keep] SCENARIO.run\n"
    "\n"
    "Boots a scenario (format: doc/scenarios.md) and watches core's log.\n"
    "  --check    fail on a `fail` pattern or an unexpected Error: line\n"
    "  --verbose  narrate each step\n"
    "  --keep     print the work dir at the end (it is always kept)\n"
    "Exit status: 0 passed, 1 failed, 2 usage or run-file error, 77 skipped.\n"
    "Environment: CAIRN_BUILD (build dir; default: the dir of this program),\n"
    "CAIRN_CORE (core executable; default: $CAIRN_BUILD/core/core).\n";

static void
usage(const char *why, const char *what)
{
	if (why != NULL)
		fprintf(stderr, "cairn: %s '%s'\n", why, what);
	fputs(usage_text, stderr);
	exit(EXIT_USAGE);
}

/* The build dir: $CAIRN_BUILD, else where this program lives. */
static char *
build_dir(void)
{
	const char *env = getenv("CAIRN_BUILD");
	char *dir;

	if (env != NULL && env[0] != '\0') {
		dir = realpath(env, NULL);
		if (dir == NULL) {
			fprintf(stderr, "cairn: CAIRN_BUILD=%s: %s\n", env,
			    strerror(errno));
			exit(EXIT_USAGE);
		}
		return dir;
	}
	dir = realpath("/proc/self/exe", NULL);
	if (dir == NULL) {
		fprintf(stderr, "cairn: /proc/self/exe: %s\n", strerror(errno));
		exit(EXIT_FAIL);
	}
	*strrchr(dir, '/') = '\0';
	return dir;
}

/* The source dir: the parent of the dir holding the run file. */
static char *
src_dir(const char *file)
{
	char *path = realpath(file, NULL), *dir;

	if (path == NULL) {
		fprintf(stderr, "cairn: %s: %s\n", file, strerror(errno));
		exit(EXIT_USAGE);
	}
	dir = strdup(dirname(dirname(path)));
	free(path);
	if (dir == NULL) {
		fprintf(stderr, "cairn: out of memory\n");
		exit(EXIT_FAIL);
	}
	return dir;
}

/*
 * Debian keeps mke2fs, e2fsck and friends in /usr/sbin, which a user's
 * PATH often lacks; scenarios that build images need them all the same.
 */
static void
extend_path(void)
{
	const char *add[] = { "/usr/sbin", "/sbin" };
	const char *path = getenv("PATH");
	char *p = strdup(path != NULL ? path : "/usr/bin:/bin"), *q;
	size_t i, n;

	for (i = 0; p != NULL && i < 2; i++) {
		n = strlen(add[i]);
		for (q = p; (q = strstr(q, add[i])) != NULL; q += n)
			if ((q == p || q[-1] == ':') &&
			    (q[n] == ':' || q[n] == '\0'))
				break;
		if (q == NULL && asprintf(&q, "%s:%s", p, add[i]) >= 0) {
			free(p);
			p = q;
		}
	}
	if (p != NULL)
		setenv("PATH", p, 1);
	free(p);
}

static int
on_path(const char *cmd)
{
	const char *path = getenv("PATH"), *s, *e;
	char buf[PATH_MAX];
	struct stat st;

	if (strchr(cmd, '/') != NULL)
		return access(cmd, X_OK) == 0;
	for (s = path != NULL ? path : ""; ; s = e + 1) {
		e = strchrnul(s, ':');
		snprintf(buf, sizeof(buf), "%.*s%s%s", (int)(e - s), s,
		    e == s ? "" : "/", cmd);
		if (stat(buf, &st) == 0 && S_ISREG(st.st_mode) &&
		    access(buf, X_OK) == 0)
			return 1;
		if (*e == '\0')
			return 0;
	}
}

/* Returns 1 and says why in `why` if the host lacks something `rf` needs. */
static int
missing(const struct runfile *rf, char *why, size_t len)
{
	const char *dev;
	size_t i;
	int fd;

	for (i = 0; i < rf->nreqs; i++) {
		const struct rf_require *r = &rf->reqs[i];

		switch (r->kind) {
		case RF_REQ_KVM:
		case RF_REQ_HWVIRT:
		case RF_REQ_FUSE:
			dev = r->kind == RF_REQ_FUSE ? "/dev/fuse" : "/dev/kvm";
			fd = open(dev, O_RDWR | O_CLOEXEC);
			if (fd < 0) {
				snprintf(why, len, "needs %s (%s)", dev,
				    strerror(errno));
				return 1;
			}
			close(fd);
			/*
			 * kvm_pvm runs guests without VMX or SVM: real mode
			 * and much else is emulated, slowly or not at all.
			 */
			if (r->kind == RF_REQ_HWVIRT &&
			    access(PVM_MODULE, F_OK) == 0) {
				snprintf(why, len, "needs KVM on hardware "
				    "virtualization; this one is kvm_pvm (%s)",
				    PVM_MODULE);
				return 1;
			}
			break;
		case RF_REQ_ROOT:
			if (geteuid() == 0)
				break;
			snprintf(why, len, "needs root");
			return 1;
		case RF_REQ_CMD:
			if (on_path(r->cmd))
				break;
			snprintf(why, len, "needs the program '%s' on PATH",
			    r->cmd);
			return 1;
		}
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct boot_opts o = { 0 };
	struct runfile rf;
	const char *file = NULL, *core;
	char err[RF_ERR_MAX], why[256], *build, *src, *core_path = NULL;
	int i, rc;

	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0)) {
		fputs(usage_text, stdout);
		return 0;
	}
	if (argc < 2)
		usage(NULL, NULL);
	if (strcmp(argv[1], "run") != 0)
		usage("unknown command", argv[1]);
	for (i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--check") == 0)
			o.check = 1;
		else if (strcmp(argv[i], "--verbose") == 0)
			o.verbose = 1;
		else if (strcmp(argv[i], "--keep") == 0)
			o.keep = 1;
		else if (argv[i][0] == '-')
			usage("unknown option", argv[i]);
		else if (file != NULL)
			usage("more than one scenario given:", argv[i]);
		else
			file = argv[i];
	}
	if (file == NULL)
		usage(NULL, NULL);

	if (runfile_load(&rf, file, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return EXIT_USAGE;
	}
	extend_path();
	if (missing(&rf, why, sizeof(why))) {
		printf("skip: %s\n", why);
		runfile_free(&rf);
		return EXIT_SKIP;
	}

	o.build = build = build_dir();
	o.src = src = src_dir(file);
	core = getenv("CAIRN_CORE");
	if (core != NULL && core[0] != '\0')
		core_path = strdup(core);
	else if (asprintf(&core_path, "%s/core/core", build) < 0)
		core_path = NULL;
	if (core_path == NULL) {
		fprintf(stderr, "cairn: out of memory\n");
		return EXIT_FAIL;
	}
	o.core = core_path;
	rc = boot_run(&rf, &o);
	runfile_free(&rf);
	free(core_path);
	free(src);
	free(build);
	return rc;
}
