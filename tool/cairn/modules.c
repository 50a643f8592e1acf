/*
 * Filling a scenario's boot dir: executables of the build dir, files, text.
 * SPDX-License-Identifier: MIT
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runfile.h"

struct inst {
	const char *build, *work, *boot;
	int verbose;
	char *why;		/* the first failure */
	size_t whylen;
	int failed;
};

static void fail(struct inst *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
fail(struct inst *b, const char *fmt, ...)
{
	va_list ap;

	if (b->failed)
		return;
	b->failed = 1;
	va_start(ap, fmt);
	vsnprintf(b->why, b->whylen, fmt, ap);
	va_end(ap);
}

static int
is_exe(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
	    access(path, X_OK) == 0;
}

/*
 * Does a directory of the build dir deserve a look for executables? Not
 * meson's object and bookkeeping dirs, nor our work dirs, which hold
 * copies of the executables we look for.
 */
static int
searchable(const char *name, int top)
{
	size_t n = strlen(name);

	return name[0] != '.' && !(n > 2 && strcmp(name + n - 2, ".p") == 0) &&
	    strncmp(name, "meson-", 6) != 0 &&
	    !(top && strcmp(name, "scenario-runs") == 0);
}

/*
 * Finds the executable of a `modules` word: breadth-first through the
 * build dir, so build/init/init wins over a deeper namesake, and two
 * namesakes at the same depth are an error rather than a coin toss.
 */
static int
find_exe(struct inst *b, const struct rf_module *m, char **found)
{
	char **level = NULL, **next = NULL, *hit[2] = { NULL, NULL };
	size_t nlevel = 0, nnext = 0, i, nhit = 0, blen = strlen(b->build);
	int depth, rc = 0;

	*found = NULL;
	if (strchr(m->path, '/') != NULL) {
		if (asprintf(found, "%s/%s", b->build, m->path) < 0)
			return -ENOMEM;
		if (is_exe(*found))
			return 0;
		fail(b, "boot module '%s' (line %d): %s is not an executable "
		    "file", m->name, m->line, *found);
		return -ENOENT;
	}
	level = malloc(sizeof(*level));
	if (level == NULL || (level[0] = strdup(b->build)) == NULL)
		goto nomem;
	nlevel = 1;
	for (depth = 0; nlevel > 0 && nhit == 0; depth++) {
		nnext = 0;
		for (i = 0; i < nlevel; i++) {
			DIR *d = opendir(level[i]);
			struct dirent *de;
			struct stat st;
			char *path;

			while (d != NULL && (de = readdir(d)) != NULL) {
				if (asprintf(&path, "%s/%s", level[i],
				    de->d_name) < 0) {
					closedir(d);
					goto nomem;
				}
				if (lstat(path, &st) == 0 &&
				    S_ISDIR(st.st_mode) &&
				    searchable(de->d_name, depth == 0)) {
					char **v = realloc(next, (nnext + 1) *
					    sizeof(*next));

					if (v == NULL) {
						free(path);
						closedir(d);
						goto nomem;
					}
					next = v;
					next[nnext++] = path;
				} else if (strcmp(de->d_name, m->name) == 0 &&
				    is_exe(path) && nhit < 2)
					hit[nhit++] = path;
				else
					free(path);
			}
			if (d != NULL)
				closedir(d);
		}
		for (i = 0; i < nlevel; i++)
			free(level[i]);
		free(level);
		level = next;
		nlevel = nnext;
		next = NULL;
		nnext = 0;
	}
	if (nhit == 1) {
		*found = hit[0];
		hit[0] = NULL;
	} else if (nhit == 0) {
		fail(b, "boot module '%s' (line %d): no executable named '%s' "
		    "in the build dir %s", m->name, m->line, m->name,
		    b->build);
		rc = -ENOENT;
	} else {
		fail(b, "boot module '%s' (line %d): several executables named "
		    "'%s' in %s, e.g. %s and %s; name one by its path in the "
		    "build dir, as in 'modules %s'", m->name, m->line, m->name,
		    b->build, hit[0] + blen + 1, hit[1] + blen + 1,
		    hit[0] + blen + 1);
		rc = -EEXIST;
	}
	goto out;
nomem:
	rc = -ENOMEM;
	fail(b, "out of memory");
out:
	for (i = 0; i < nlevel; i++)
		free(level[i]);
	free(level);
	for (i = 0; i < nnext; i++)
		free(next[i]);
	free(next);
	free(hit[0]);
	free(hit[1]);
	return rc;
}

static int
write_all(int fd, const char *p, size_t len)
{
	ssize_t w;

	while (len > 0) {
		w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

/*
 * Creates the file `dst` with the contents of `src`, or with `len` bytes
 * at `data` if `src` is NULL, and gives it `mode`.
 */
static int
put_file(const char *dst, const char *src, const char *data, size_t len,
    mode_t mode)
{
	char buf[65536];
	int in = -1, out, rc = 0;
	ssize_t r;

	out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (out < 0)
		return -errno;
	if (src != NULL && (in = open(src, O_RDONLY | O_CLOEXEC)) < 0)
		rc = -errno;
	else if (src == NULL)
		rc = write_all(out, data, len);
	while (in >= 0 && rc == 0 && (r = read(in, buf, sizeof(buf))) != 0) {
		if (r < 0)
			rc = errno == EINTR ? 0 : -errno;
		else
			rc = write_all(out, buf, (size_t)r);
	}
	if (rc == 0 && fchmod(out, mode) < 0)
		rc = -errno;
	if (close(out) < 0 && rc == 0)
		rc = -errno;
	if (in >= 0)
		close(in);
	return rc;
}

int
modules_install(const struct runfile *rf, const char *build, const char *work,
    const char *boot, int verbose, char *why, size_t whylen)
{
	struct inst inst = { build, work, boot, verbose, why, whylen, 0 };
	struct inst *b = &inst;
	size_t i;
	int rc = 0;

	for (i = 0; i < rf->nmods && rc == 0; i++) {
		const struct rf_module *m = &rf->mods[i];
		char *src = NULL, *dst = NULL;
		struct stat st;

		if (asprintf(&dst, "%s/%s", b->boot, m->name) < 0) {
			fail(b, "out of memory");
			return -ENOMEM;
		}
		if (m->kind == RF_MOD_INLINE)
			rc = put_file(dst, NULL, m->data, m->len, 0444);
		else if (m->kind == RF_MOD_BUILD) {
			rc = find_exe(b, m, &src);
			if (rc == 0)
				rc = put_file(dst, src, NULL, 0, 0555);
		} else if (asprintf(&src, "%s%s%s", m->path[0] == '/' ? "" :
		    b->work, m->path[0] == '/' ? "" : "/", m->path) < 0) {
			src = NULL;
			rc = -ENOMEM;
		} else if (stat(src, &st) < 0)
			rc = -errno;
		else if (!S_ISREG(st.st_mode)) {
			fail(b, "boot module '%s' (line %d): %s is not a "
			    "regular file", m->name, m->line, src);
			rc = -EINVAL;
		} else
			rc = put_file(dst, src, NULL, 0,
			    (st.st_mode & 0111) != 0 ? 0555 : 0444);
		if (rc < 0)
			fail(b, "boot module '%s' (line %d): %s: %s", m->name,
			    m->line, src != NULL ? src : dst, strerror(-rc));
		else if (b->verbose)
			printf("cairn: boot module %s from %s\n", m->name,
			    src != NULL ? src : "the run file");
		free(src);
		free(dst);
	}
	return rc;
}

