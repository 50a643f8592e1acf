/*
 * core: the root process — boot modules, host resources, init's parent.
 * SPDX-License-Identifier: MIT
 *
 * core is the only process with host privileges: it reads the boot
 * directory into sealed memfds (ROM modules), opens host resources the
 * scenario allows, creates every process (through the sandbox), and serves
 * LOG, ROM and PD to init, its only child.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cairn/dataspace.h>

#include "core.h"
#include "sandbox.h"

void
core_log(struct core *c, const char *fmt, ...)
{
	va_list ap;

	(void)c;
	fputs("[core] ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fputc('\n', stdout);
	fflush(stdout);
}

struct module *
core_module(struct core *c, const char *name)
{
	struct module *m;

	for (m = c->modules; m != NULL; m = m->next)
		if (strcmp(m->name, name) == 0)
			return m;
	return NULL;
}

const struct host_res *
core_host(struct core *c, const char *name)
{
	unsigned i;

	for (i = 0; i < c->nhost; i++)
		if (strcmp(c->host[i].name, name) == 0)
			return &c->host[i];
	return NULL;
}

/*
 * Copy `size` bytes of file `fd` into the fresh memfd `mfd`: in the kernel
 * (sendfile, no bounce buffer to fault in), or through a buffer (*buf, the
 * caller frees it) where sendfile does not apply. Returns the bytes copied
 * (size) or -errno; a file that changes size meanwhile is -EIO.
 */
static ssize_t
copy_into(int mfd, int fd, off_t size, char **buf)
{
	off_t off = 0;
	ssize_t n;

	while (off < size) {
		n = sendfile(mfd, fd, &off, (size_t)(size - off));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && off == 0 && (errno == EINVAL || errno == ENOSYS))
			break;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
	}
	if (off == size)
		return (ssize_t)size;
	*buf = malloc((size_t)size + 1);
	if (*buf == NULL)
		return -ENOMEM;
	n = pread(fd, *buf, (size_t)size, 0);
	if (n != size)
		return n < 0 ? -errno : -EIO;
	return write(mfd, *buf, (size_t)n) == n ? n : -EIO;
}

/*
 * Copy one boot file into a write-sealed memfd. A module that exists
 * already gets the new content as a new version; its readers are told.
 */
int
core_load_module(struct core *c, int dirfd, const char *name)
{
	struct module *m, *old = core_module(c, name);
	struct stat st;
	int fd, mfd = -1, r = -ENOMEM;
	char *buf = NULL;
	ssize_t n;

	fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		r = -errno;
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		r = 0;
		goto out;
	}
	m = calloc(1, sizeof(*m));
	if (m == NULL)
		goto out;
	mfd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (mfd < 0 || (n = copy_into(mfd, fd, st.st_size, &buf)) < 0 ||
	    fcntl(mfd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW |
	    F_SEAL_WRITE | F_SEAL_SEAL) < 0) {
		r = mfd < 0 || n >= 0 ? -errno : (int)n;
		free(m);
		if (mfd >= 0)
			close(mfd);
		goto out;
	}
	if (old != NULL) {
		/* Readers hold duplicates of the old memfd: it stays valid. */
		close(old->fd);
		old->fd = mfd;
		old->size = (uint64_t)n;
		old->version++;
		free(m);
		core_rom_changed(c, old);
	} else {
		snprintf(m->name, sizeof(m->name), "%s", name);
		m->fd = mfd;
		m->size = (uint64_t)n;
		m->version = 1;
		m->next = c->modules;
		c->modules = m;
	}
	r = 0;
out:
	free(buf);
	if (fd >= 0)
		close(fd);
	return r;
}

static int
load_boot(struct core *c, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int r = 0;

	if (d == NULL) {
		core_log(c, "fatal: boot directory '%s': %s", dir,
		    strerror(errno));
		return -errno;
	}
	while ((e = readdir(d)) != NULL && r == 0) {
		if (e->d_name[0] == '.')
			continue;
		if (strlen(e->d_name) >= sizeof(c->modules->name)) {
			core_log(c, "fatal: boot module name '%s' too long",
			    e->d_name);
			r = -ENAMETOOLONG;
			break;
		}
		r = core_load_module(c, dirfd(d), e->d_name);
		if (r < 0)
			core_log(c, "fatal: boot module '%s': %s", e->d_name,
			    strerror(-r));
	}
	closedir(d);
	return r;
}

static int
add_host(struct core *c, const char *spec)
{
	struct host_res *h;
	const char *eq = strchr(spec, '=');
	size_t len;

	if (eq == NULL || eq == spec || c->nhost >= CORE_MAX_HOST ||
	    (size_t)(eq - spec) >= sizeof(h->name))
		return -EINVAL;
	h = &c->host[c->nhost++];
	memcpy(h->name, spec, (size_t)(eq - spec));
	snprintf(h->path, sizeof(h->path), "%s", eq + 1);
	len = strlen(h->path);
	if (len > 3 && strcmp(h->path + len - 3, ":rw") == 0) {
		h->path[len - 3] = '\0';
		h->writeable = true;
	} else if (len > 5 && strcmp(h->path + len - 5, ":fuse") == 0) {
		/* A directory for a FUSE export (fuse.c), writeable. */
		h->path[len - 5] = '\0';
		h->writeable = true;
		h->fuse = true;
	}
	return 0;
}

/*
 * The boot directory is watched: a file written anew (or renamed into
 * place, as `cairn run` does) becomes a new version of its ROM module.
 * This is how a scenario changes init's config at run time.
 */
struct bootwatch {
	struct core *c;
	int ifd;
	int dirfd;
};

static void
on_boot_change(void *ctx, uint32_t events)
{
	struct bootwatch *w = ctx;
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n;

	while ((n = read(w->ifd, buf, sizeof(buf))) > 0) {
		char *p;

		for (p = buf; p < buf + n; ) {
			struct inotify_event *ev = (struct inotify_event *)p;

			p += sizeof(*ev) + ev->len;
			if (ev->len == 0 || ev->name[0] == '.')
				continue;
			if (core_load_module(w->c, w->dirfd, ev->name) < 0)
				core_log(w->c, "Warning: boot module '%s' "
				    "changed but cannot be read", ev->name);
			else if (w->c->verbose)
				core_log(w->c, "boot module '%s' changed",
				    ev->name);
		}
	}
}

static int
watch_boot(struct core *c, const char *dir, struct bootwatch *w)
{
	w->c = c;
	w->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	w->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (w->dirfd < 0 || w->ifd < 0 ||
	    inotify_add_watch(w->ifd, dir, IN_CLOSE_WRITE | IN_MOVED_TO) < 0 ||
	    cairn_ep_watch(c->ep, w->ifd, EPOLLIN, on_boot_change, w) == NULL)
		return -errno;
	return 0;
}

static void
reap(struct core *c)
{
	int status;
	pid_t pid;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
		pd_child_exited(c, pid, status);
}

struct sigctx {
	struct core *c;
	int fd;
};

static void
on_signal(void *ctx, uint32_t events)
{
	struct sigctx *s = ctx;
	struct signalfd_siginfo si;

	while (read(s->fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGCHLD) {
			reap(s->c);
		} else {
			core_log(s->c, "stopping on signal %u", si.ssi_signo);
			s->c->exit_value = 128 + (int)si.ssi_signo;
			cairn_ep_stop(s->c->ep);
		}
	}
}

static void
usage(void)
{
	fprintf(stderr, "usage: core --boot DIR "
	    "[--host NAME=PATH[:rw|:fuse]]... [--ram SIZE]\n");
	exit(2);
}

static uint64_t
parse_size(const char *s)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 0);

	switch (*end) {
	case 'G': v <<= 10; /* fall through */
	case 'M': v <<= 10; /* fall through */
	case 'K': v <<= 10; end++; break;
	default: break;
	}
	return *end ? 0 : v;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "boot", required_argument, NULL, 'b' },
		{ "host", required_argument, NULL, 'h' },
		{ "ram", required_argument, NULL, 'r' },
		{ "verbose", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	static struct core core;
	struct core *c = &core;
	struct sigctx sctx;
	struct bootwatch bw;
	const char *boot = NULL;
	sigset_t set;
	int o, err = 0;
	struct pd *pd;

	c->ram = 1ull << 30;
	c->uid_base = 200000;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'b': boot = optarg; break;
		case 'h':
			if (add_host(c, optarg) < 0) {
				fprintf(stderr, "core: bad --host '%s'\n",
				    optarg);
				return 2;
			}
			break;
		case 'r':
			c->ram = parse_size(optarg);
			if (c->ram == 0)
				usage();
			break;
		case 'v': c->verbose = true; break;
		default: usage();
		}
	}
	if (boot == NULL)
		usage();
	if (geteuid() != 0) {
		core_log(c, "fatal: core must run as root (it creates "
		    "namespaces, cgroups and unprivileged users)");
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	c->ep = cairn_ep_create(&err);
	/* The sandbox's slow set-up runs beside the copying of the modules. */
	if (sandbox_prepare() < 0)
		core_log(c, "Warning: sandbox set-up not started early");
	if (c->ep == NULL || load_boot(c, boot) < 0)
		return 1;
	if (watch_boot(c, boot, &bw) < 0)
		core_log(c, "Warning: boot modules will not follow changes of "
		    "'%s'", boot);
	/* sandbox_init() warns itself when memory cgroups are missing; a
	 * failure means no component could be sandboxed at all. */
	if ((err = sandbox_init()) < 0) {
		core_log(c, "fatal: cannot set up the sandbox: %s",
		    strerror(-err));
		return 1;
	}
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	sctx.c = c;
	sctx.fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (sctx.fd < 0 ||
	    cairn_ep_watch(c->ep, sctx.fd, EPOLLIN, on_signal, &sctx) == NULL)
		return 1;
	if (core_start_init(c) < 0)
		return 1;
	cairn_ep_run(c->ep);

	/* Stop everything that still runs, then reap it. */
	for (pd = c->pds; pd != NULL; pd = pd->next)
		if (pd->running)
			kill(pd->pid, SIGKILL);
	for (pd = c->pds; pd != NULL; pd = pd->next)
		if (pd->running) {
			int status;

			if (waitpid(pd->pid, &status, 0) == pd->pid) {
				bool oom;

				sandbox_release(pd->pid, &oom);
				pd->running = false;
			}
		}
	for (pd = c->pds; pd != NULL; pd = pd->next)
		if (pd->fuse)
			core_fuse_unmount(c, pd->fuse);
	sandbox_fini();
	return c->exit_value;
}
