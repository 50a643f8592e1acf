/*
 * Parser of scenario run files, and the test of output lines against one.
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runfile.h"

#define MAXWORDS	64	/* per line, directive included */

static const char Eunknown[] = "unknown directive '%s'";
static const char Eusage[] = "wrong number of arguments to '%s' (usage: %s)";
static const char Etoomany[] = "too many words (at most %d)";
static const char Enul[] = "NUL byte in line";
static const char Eupdate[] =
    "update '%s' needs an expect line before it (it is applied once that "
    "line was seen)";
static const char Eend[] =
    "'end' outside a 'rom', 'config' or 'update' block";
static const char Enoend[] = "'%s' block has no 'end'";
static const char Etimeout[] =
    "timeout '%s' is not a whole number of seconds from 1 to %d";
static const char Ereq[] =
    "unknown requirement '%s' (expected kvm, hwvirt, fuse, root or cmd:NAME)";
static const char Emodname[] = "invalid module name '%s'";
static const char Edupmod[] = "duplicate boot module '%s' (first at line %d)";
static const char Ehostname[] = "invalid host resource name '%s'";
static const char Ehostpath[] =
    "host path '%s' must not end in ':rw' or ':fuse'";
static const char Ehostrw[] =
    "expected 'rw' or 'fuse' after the path of host '%s', got '%s'";
static const char Eduphost[] =
    "duplicate host resource '%s' (first at line %d)";
static const char Eregex[] = "bad regular expression '%s': %s";

struct directive;

struct parse {
	struct runfile *rf;
	char *p;		/* start of the next line */
	char *end;		/* end of the text; *end is a NUL */
	int line;		/* number of the line being parsed */
	const struct directive *d;	/* the current directive */
	char *w[MAXWORDS];	/* its arguments */
	int n;
	char *err;
	size_t errlen;
};

/*
 * A directive either takes words (a `#` at the start of a word begins a
 * comment) or, if `text`, the rest of the line verbatim: expected output
 * may well contain " #", and sh strips its own comments.
 */
struct directive {
	const char *name;
	int (*fn)(struct parse *);
	int text;
	int min, max;		/* words after the directive; max -1: any */
	const char *usage;
};

static int perr(struct parse *ps, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
perr(struct parse *ps, int line, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (ps->errlen == 0)
		return -EINVAL;
	n = snprintf(ps->err, ps->errlen, "%s:%d: ", ps->rf->file, line);
	if (n < 0 || (size_t)n >= ps->errlen)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(ps->err + n, ps->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static char *
skip_space(char *s)
{
	while (is_space(*s))
		s++;
	return s;
}

static void
trim_right(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && is_space(s[n - 1]))
		s[--n] = '\0';
}

/*
 * Appends a zeroed element to the array at `arrp` (a pointer to the
 * array pointer) holding `*n` elements of `size` bytes. Run files are
 * small, so growing by one is fine.
 */
static void *
push(void *arrp, size_t *n, size_t size)
{
	void *old, *a;

	memcpy(&old, arrp, sizeof(old));
	a = realloc(old, (*n + 1) * size);
	if (a == NULL)
		return NULL;
	memcpy(arrp, &a, sizeof(a));
	memset((char *)a + *n * size, 0, size);
	return (char *)a + (*n)++ * size;
}

/* Reads the lines after the current one up to a line `end`. */
static int
read_block(struct parse *ps, const char *what, const char **data,
    size_t *len)
{
	int start = ps->line;
	char *begin = ps->p;

	while (ps->p < ps->end) {
		char *line = ps->p;
		char *nl = memchr(line, '\n', (size_t)(ps->end - line));
		char *eol = nl != NULL ? nl : ps->end;
		char *s = line;

		ps->line++;
		ps->p = nl != NULL ? nl + 1 : ps->end;
		while (s < eol && is_space(*s))
			s++;
		if (eol - s >= 3 && memcmp(s, "end", 3) == 0) {
			for (s += 3; s < eol && is_space(*s); s++)
				;
			if (s == eol) {
				*data = begin;
				*len = (size_t)(line - begin);
				return 0;
			}
		}
	}
	return perr(ps, start, Enoend, what);
}

static int
valid_module_name(const char *s)
{
	return s[0] != '\0' && strchr(s, '/') == NULL && strcmp(s, ".") != 0 &&
	    strcmp(s, "..") != 0;
}

static int
add_module(struct parse *ps, enum rf_mod_kind kind, const char *name,
    const char *path, struct rf_module **out)
{
	struct runfile *rf = ps->rf;
	struct rf_module *m;
	size_t i;

	if (!valid_module_name(name))
		return perr(ps, ps->line, Emodname, name);
	for (i = 0; i < rf->nmods; i++)
		if (strcmp(rf->mods[i].name, name) == 0)
			return perr(ps, ps->line, Edupmod, name,
			    rf->mods[i].line);
	m = push(&rf->mods, &rf->nmods, sizeof(*m));
	if (m == NULL)
		return -ENOMEM;
	m->kind = kind;
	m->name = name;
	m->path = path;
	m->line = ps->line;
	if (out != NULL)
		*out = m;
	return 0;
}

static int
d_timeout(struct parse *ps)
{
	unsigned long v = 0;
	const char *s;

	/* Only digits: strtoul would take " 5", "+5" and "-1", which wraps. */
	for (s = ps->w[0]; *s >= '0' && *s <= '9' && v <= RF_TIMEOUT_MAX; s++)
		v = v * 10 + (unsigned long)(*s - '0');
	if (s == ps->w[0] || *s != '\0' || v < 1 || v > RF_TIMEOUT_MAX)
		return perr(ps, ps->line, Etimeout, ps->w[0], RF_TIMEOUT_MAX);
	ps->rf->timeout = (unsigned)v;
	return 0;
}

static int
d_requires(struct parse *ps)
{
	struct rf_require *r;
	int i;

	for (i = 0; i < ps->n; i++) {
		enum rf_req_kind kind;
		const char *cmd = NULL;

		if (strcmp(ps->w[i], "kvm") == 0)
			kind = RF_REQ_KVM;
		else if (strcmp(ps->w[i], "hwvirt") == 0)
			kind = RF_REQ_HWVIRT;
		else if (strcmp(ps->w[i], "fuse") == 0)
			kind = RF_REQ_FUSE;
		else if (strcmp(ps->w[i], "root") == 0)
			kind = RF_REQ_ROOT;
		else if (strncmp(ps->w[i], "cmd:", 4) == 0 &&
		    ps->w[i][4] != '\0') {
			kind = RF_REQ_CMD;
			cmd = ps->w[i] + 4;
		} else
			return perr(ps, ps->line, Ereq, ps->w[i]);
		r = push(&ps->rf->reqs, &ps->rf->nreqs, sizeof(*r));
		if (r == NULL)
			return -ENOMEM;
		r->kind = kind;
		r->cmd = cmd;
		r->line = ps->line;
	}
	return 0;
}

static int
d_slow(struct parse *ps)
{
	ps->rf->slow = 1;
	return 0;
}

static int
d_modules(struct parse *ps)
{
	int i, rc;

	for (i = 0; i < ps->n; i++) {
		const char *slash = strrchr(ps->w[i], '/');

		rc = add_module(ps, RF_MOD_BUILD,
		    slash != NULL ? slash + 1 : ps->w[i], ps->w[i], NULL);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int
d_module(struct parse *ps)
{
	return add_module(ps, RF_MOD_FILE, ps->w[0], ps->w[1], NULL);
}

/* `rom NAME` or `config`, both followed by lines up to `end`. */
static int
d_block(struct parse *ps)
{
	const char *what = ps->n == 1 ? "rom" : "config";
	struct rf_module *m;
	int rc;

	rc = add_module(ps, RF_MOD_INLINE, ps->n == 1 ? ps->w[0] : "config",
	    NULL, &m);
	if (rc < 0)
		return rc;
	return read_block(ps, what, &m->data, &m->len);
}

/* `update NAME`, then lines up to `end`: applied after the expect
 * lines above it have been met. */
static int
d_update(struct parse *ps)
{
	struct runfile *rf = ps->rf;
	struct rf_update *u;

	if (rf->nexpects == 0)
		return perr(ps, ps->line, Eupdate, ps->w[0]);
	u = push(&rf->updates, &rf->nupdates, sizeof(*u));
	if (u == NULL)
		return -ENOMEM;
	u->name = ps->w[0];
	u->after = rf->nexpects;
	u->line = ps->line;
	return read_block(ps, "update", &u->data, &u->len);
}

static int
d_host(struct parse *ps)
{
	struct runfile *rf = ps->rf;
	struct rf_host *h;
	size_t i, plen = strlen(ps->w[1]);

	/*
	 * core takes NAME=PATH[:rw|:fuse]: NAME has no '=', PATH no ":rw"
	 * or ":fuse" end.
	 */
	if (ps->w[0][0] == '\0' || strchr(ps->w[0], '=') != NULL)
		return perr(ps, ps->line, Ehostname, ps->w[0]);
	if ((plen >= 3 && strcmp(ps->w[1] + plen - 3, ":rw") == 0) ||
	    (plen >= 5 && strcmp(ps->w[1] + plen - 5, ":fuse") == 0))
		return perr(ps, ps->line, Ehostpath, ps->w[1]);
	if (ps->n == 3 && strcmp(ps->w[2], "rw") != 0 &&
	    strcmp(ps->w[2], "fuse") != 0)
		return perr(ps, ps->line, Ehostrw, ps->w[0], ps->w[2]);
	for (i = 0; i < rf->nhosts; i++)
		if (strcmp(rf->hosts[i].name, ps->w[0]) == 0)
			return perr(ps, ps->line, Eduphost, ps->w[0],
			    rf->hosts[i].line);
	h = push(&rf->hosts, &rf->nhosts, sizeof(*h));
	if (h == NULL)
		return -ENOMEM;
	h->name = ps->w[0];
	h->path = ps->w[1];
	h->rw = ps->n == 3 && strcmp(ps->w[2], "rw") == 0;
	h->fuse = ps->n == 3 && strcmp(ps->w[2], "fuse") == 0;
	h->line = ps->line;
	return 0;
}

/* `setup` or `after`. */
static int
d_cmd(struct parse *ps)
{
	struct runfile *rf = ps->rf;
	struct rf_cmd *c;

	if (strcmp(ps->d->name, "setup") == 0)
		c = push(&rf->setups, &rf->nsetups, sizeof(*c));
	else
		c = push(&rf->afters, &rf->nafters, sizeof(*c));
	if (c == NULL)
		return -ENOMEM;
	c->cmd = ps->w[0];
	c->line = ps->line;
	return 0;
}

/* `expect` or `expect-re`. */
static int
d_expect(struct parse *ps)
{
	struct rf_expect *e;

	/* Regexes are compiled once the array stops moving. */
	e = push(&ps->rf->expects, &ps->rf->nexpects, sizeof(*e));
	if (e == NULL)
		return -ENOMEM;
	e->text = ps->w[0];
	e->is_re = strcmp(ps->d->name, "expect-re") == 0;
	e->line = ps->line;
	return 0;
}

static int
d_fail(struct parse *ps)
{
	struct rf_fail *f = push(&ps->rf->fails, &ps->rf->nfails, sizeof(*f));

	if (f == NULL)
		return -ENOMEM;
	f->text = ps->w[0];
	f->line = ps->line;
	return 0;
}

/* Sorted by name for bsearch. */
static const struct directive directives[] = {
	{ "after", d_cmd, 1, 1, 1, "after COMMAND..." },
	{ "config", d_block, 0, 0, 0, "config, then lines up to 'end'" },
	{ "expect", d_expect, 1, 1, 1, "expect TEXT" },
	{ "expect-re", d_expect, 1, 1, 1, "expect-re REGEX" },
	{ "fail", d_fail, 1, 1, 1, "fail TEXT" },
	{ "host", d_host, 0, 2, 3, "host NAME PATH [rw|fuse]" },
	{ "module", d_module, 0, 2, 2, "module NAME PATH" },
	{ "modules", d_modules, 0, 1, -1, "modules NAME..." },
	{ "requires", d_requires, 0, 1, -1,
	    "requires kvm|hwvirt|fuse|root|cmd:NAME..." },
	{ "rom", d_block, 0, 1, 1, "rom NAME, then lines up to 'end'" },
	{ "setup", d_cmd, 1, 1, 1, "setup COMMAND..." },
	{ "slow", d_slow, 0, 0, 0, "slow" },
	{ "timeout", d_timeout, 0, 1, 1, "timeout SECONDS" },
	{ "update", d_update, 0, 1, 1, "update NAME, then lines up to 'end'" },
};

static int
cmp_directive(const void *key, const void *elem)
{
	return strcmp(key, ((const struct directive *)elem)->name);
}

/* Parses the NUL-terminated line `s` (the current one). */
static int
parse_line(struct parse *ps, char *s)
{
	const struct directive *d;
	char *name;

	s = skip_space(s);
	if (*s == '\0' || *s == '#')
		return 0;
	name = s;
	while (*s != '\0' && !is_space(*s))
		s++;
	if (*s != '\0')
		*s++ = '\0';
	d = bsearch(name, directives, sizeof(directives) /
	    sizeof(directives[0]), sizeof(directives[0]), cmp_directive);
	if (d == NULL && strcmp(name, "end") == 0)
		return perr(ps, ps->line, Eend);
	if (d == NULL)
		return perr(ps, ps->line, Eunknown, name);

	ps->d = d;
	ps->n = 0;
	if (d->text) {
		s = skip_space(s);
		trim_right(s);
		if (*s != '\0')
			ps->w[ps->n++] = s;
	} else {
		for (;;) {
			s = skip_space(s);
			if (*s == '\0' || *s == '#')
				break;
			if (ps->n == MAXWORDS - 1)
				return perr(ps, ps->line, Etoomany, MAXWORDS);
			ps->w[ps->n++] = s;
			while (*s != '\0' && !is_space(*s))
				s++;
			if (*s != '\0')
				*s++ = '\0';
		}
	}
	if (ps->n < d->min || (d->max >= 0 && ps->n > d->max))
		return perr(ps, ps->line, Eusage, d->name, d->usage);
	return d->fn(ps);
}

static int
compile_regexes(struct parse *ps)
{
	struct runfile *rf = ps->rf;
	size_t i, j;

	for (i = 0; i < rf->nexpects; i++) {
		struct rf_expect *e = &rf->expects[i];
		char *pat, msg[128];
		int rc;

		if (!e->is_re)
			continue;
		/* The regex must match the whole line. */
		if (asprintf(&pat, "^(%s)$", e->text) < 0)
			rc = -ENOMEM;
		else {
			rc = regcomp(&e->re, pat, REG_EXTENDED | REG_NOSUB);
			free(pat);
			if (rc != 0)
				regerror(rc, &e->re, msg, sizeof(msg));
		}
		if (rc != 0) {
			/* runfile_free() must not regfree the rest. */
			for (j = i; j < rf->nexpects; j++)
				rf->expects[j].is_re = 0;
			if (rc < 0)
				return rc;
			return perr(ps, e->line, Eregex, e->text, msg);
		}
	}
	return 0;
}

static int
set_name(struct runfile *rf)
{
	const char *base = strrchr(rf->file, '/');
	size_t n;

	base = base != NULL ? base + 1 : rf->file;
	n = strlen(base);
	if (n > 4 && strcmp(base + n - 4, ".run") == 0)
		n -= 4;
	rf->name = strndup(base, n);
	return rf->name != NULL ? 0 : -ENOMEM;
}

int
runfile_parse(struct runfile *rf, const char *file, const char *text,
    size_t len, char *err, size_t errlen)
{
	struct parse ps = { .rf = rf, .err = err, .errlen = errlen };
	int rc = -ENOMEM;

	memset(rf, 0, sizeof(*rf));
	if (errlen > 0)
		err[0] = '\0';
	rf->timeout = RF_TIMEOUT_DEFAULT;
	rf->file = strdup(file);
	rf->buf = malloc(len + 1);
	if (rf->file == NULL || rf->buf == NULL || set_name(rf) < 0)
		goto fail;
	memcpy(rf->buf, text, len);
	rf->buf[len] = '\0';
	if (rf->name[0] == '\0' || rf->name[0] == '.') {
		rc = -EINVAL;
		snprintf(err, errlen, "%s: cannot derive a scenario name from "
		    "the file name", file);
		goto fail;
	}

	ps.p = rf->buf;
	ps.end = rf->buf + len;
	while (ps.p < ps.end) {
		char *line = ps.p;
		char *nl = memchr(line, '\n', (size_t)(ps.end - line));
		char *eol = nl != NULL ? nl : ps.end;

		ps.line++;
		ps.p = nl != NULL ? nl + 1 : ps.end;
		if (memchr(line, '\0', (size_t)(eol - line)) != NULL) {
			rc = perr(&ps, ps.line, Enul);
			goto fail;
		}
		*eol = '\0';
		rc = parse_line(&ps, line);
		if (rc < 0)
			goto fail;
	}
	rc = compile_regexes(&ps);
	if (rc < 0)
		goto fail;
	return 0;

fail:
	if (rc == -ENOMEM && errlen > 0 && err[0] == '\0')
		snprintf(err, errlen, "%s: out of memory", file);
	runfile_free(rf);
	return rc;
}

int
runfile_load(struct runfile *rf, const char *path, char *err, size_t errlen)
{
	struct stat st;
	char *text = NULL;
	size_t got = 0;
	ssize_t r = 0;
	int fd, rc;

	memset(rf, 0, sizeof(*rf));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0)
		goto syserr;
	if (!S_ISREG(st.st_mode) || st.st_size > RF_FILE_MAX) {
		rc = S_ISREG(st.st_mode) ? -EFBIG : -EINVAL;
		snprintf(err, errlen, "%s: %s", path, rc == -EFBIG ?
		    "file too large" : "not a regular file");
		goto out;
	}
	text = malloc((size_t)st.st_size + 1);
	if (text == NULL)
		goto syserr;
	while (got < (size_t)st.st_size &&
	    (r = read(fd, text + got, (size_t)st.st_size - got)) > 0)
		got += (size_t)r;
	if (r < 0)
		goto syserr;
	rc = runfile_parse(rf, path, text, got, err, errlen);
	goto out;

syserr:
	rc = -errno;
	snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
out:
	free(text);
	if (fd >= 0)
		close(fd);
	return rc;
}

void
runfile_free(struct runfile *rf)
{
	size_t i;

	for (i = 0; i < rf->nexpects; i++)
		if (rf->expects[i].is_re)
			regfree(&rf->expects[i].re);
	free(rf->reqs);
	free(rf->mods);
	free(rf->hosts);
	free(rf->setups);
	free(rf->afters);
	free(rf->expects);
	free(rf->fails);
	free(rf->updates);
	free(rf->buf);
	free(rf->name);
	free(rf->file);
	memset(rf, 0, sizeof(*rf));
}

int
runfile_expect_matches(const struct rf_expect *e, const char *line)
{
	if (e->is_re)
		return regexec(&e->re, line, 0, NULL, 0) == 0;
	return strcmp(e->text, line) == 0;
}

int
runfile_line_fails(const struct runfile *rf, const char *line, char *why,
    size_t whylen)
{
	size_t i;

	for (i = 0; i < rf->nfails; i++) {
		if (strstr(line, rf->fails[i].text) != NULL) {
			snprintf(why, whylen, "output matches 'fail %s' of "
			    "line %d", rf->fails[i].text, rf->fails[i].line);
			return 1;
		}
	}
	if (strstr(line, "Error:") == NULL &&
	    strncmp(line, "[core] fatal:", 13) != 0)
		return 0;
	/* A scenario that provokes an error says so with an expect line. */
	for (i = 0; i < rf->nexpects; i++)
		if (runfile_expect_matches(&rf->expects[i], line))
			return 0;
	snprintf(why, whylen, "error line not matched by any expect");
	return 1;
}
