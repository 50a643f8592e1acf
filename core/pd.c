/*
 * core's PD service: RAM accounts, dataspaces, and starting processes.
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cairn/dataspace.h>
#include <cairn/session/pd.h>

#include "core.h"
#include "sandbox.h"

/* What a process needs beyond its dataspaces: image, stack, heap start. */
#define PROCESS_SLACK	(2u << 20)

static uint64_t
avail(const struct pd *pd)
{
	return pd->quota > pd->used ? pd->quota - pd->used : 0;
}

static int
quota_error(struct rpc_msg *m, const struct pd *pd, uint64_t needed,
    const char *what)
{
	struct pd_error_res *e = m->res;

	memset(e, 0, sizeof(*e));
	e->needed = needed;
	e->available = avail(pd);
	snprintf(e->detail, sizeof(e->detail), "%s: needs %llu bytes, has %llu",
	    what, (unsigned long long)needed,
	    (unsigned long long)e->available);
	m->res_size = sizeof(*e);
	return PD_QUOTA_EXCEEDED;
}

static int
h_ram_alloc(struct rpc_msg *m)
{
	struct pd *pd = rpc_obj_priv(m->obj);
	const struct pd_ram_alloc_args *a = m->args;
	struct dataspace_rec *rec;
	uint64_t size = (a->size + 4095) & ~4095ull;
	struct stat st;
	int fd;

	/* Decode: size sane and covered by the quota. */
	if (a->size == 0 || size < a->size || size > (1ull << 40))
		return PD_INVALID;
	if (size > avail(pd))
		return quota_error(m, pd, size, pd->label);
	rec = calloc(1, sizeof(*rec));
	if (rec == NULL)
		return RPC_E_NOMEM;
	fd = cairn_ds_create_memfd("ram", size, false);
	if (fd < 0 || fstat(fd, &st) < 0) {
		if (fd >= 0)
			close(fd);
		free(rec);
		return RPC_E_NOMEM;
	}
	rec->ino = st.st_ino;
	rec->size = size;
	rec->next = pd->ds;
	pd->ds = rec;
	pd->used += size;
	m->res_fds[0] = fd;
	m->res_nfds = 1;
	return PD_OK;
}

static int
h_ram_free(struct rpc_msg *m)
{
	struct pd *pd = rpc_obj_priv(m->obj);
	struct dataspace_rec **pp, *r;
	struct stat st;

	if (m->nfds != 1 || fstat(m->fds[0], &st) < 0)
		return PD_INVALID;
	for (pp = &pd->ds; (r = *pp) != NULL; pp = &r->next)
		if (r->ino == st.st_ino) {
			*pp = r->next;
			pd->used -= r->size;
			free(r);
			return PD_OK;
		}
	return PD_INVALID;
}

static int
h_quota(struct rpc_msg *m)
{
	struct pd *pd = rpc_obj_priv(m->obj);
	struct pd_quota_res *r = m->res;

	r->quota = pd->quota;
	r->used = pd->used;
	m->res_size = sizeof(*r);
	return PD_OK;
}

static const struct rpc_iface pd_iface;

static void
write_cg(const char *dir, const char *file, const char *val)
{
	char path[512];
	int fd;

	snprintf(path, sizeof(path), "/sys/fs/cgroup/memory%s/%s", dir, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	/* Lowering below the current usage fails: the old limit then stays,
	 * which errs on the generous side only. */
	if (write(fd, val, strlen(val)) < 0)
		errno = 0;
	close(fd);
}

/*
 * Keep a running process's memory cgroup at its quota: the cgroup is found
 * through /proc/PID/cgroup, so this works whatever the sandbox named it.
 */
static void
update_limit(struct pd *pd)
{
	char path[64], line[512], val[32];
	FILE *f;

	if (!pd->running)
		return;
	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pd->pid);
	f = fopen(path, "re");
	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *p = strstr(line, ":memory:");

		if (p == NULL)
			continue;
		p += strlen(":memory:");
		p[strcspn(p, "\n")] = '\0';
		snprintf(val, sizeof(val), "%llu",
		    (unsigned long long)(pd->quota + PROCESS_SLACK));
		/* memory.limit must stay <= memsw.limit: raising needs memsw
		 * first, lowering needs it last; writing it twice does both. */
		write_cg(p, "memory.memsw.limit_in_bytes", val);
		write_cg(p, "memory.limit_in_bytes", val);
		write_cg(p, "memory.memsw.limit_in_bytes", val);
	}
	fclose(f);
}

static int
h_transfer(struct rpc_msg *m)
{
	struct pd *pd = rpc_obj_priv(m->obj), *to;
	const struct pd_transfer_args *a = m->args;
	struct rpc_obj *o;

	if (m->nfds != 1)
		return PD_INVALID;
	o = rpc_obj_lookup(pd->core->ep, m->fds[0]);
	if (o == NULL || rpc_obj_iface(o) != &pd_iface)
		return PD_INVALID;
	to = rpc_obj_priv(o);
	if (a->amount > avail(pd))
		return quota_error(m, pd, a->amount, pd->label);
	pd->quota -= a->amount;
	to->quota += a->amount;
	update_limit(pd);
	update_limit(to);
	return PD_OK;
}

static int
h_grant_host(struct rpc_msg *m)
{
	struct pd *pd = rpc_obj_priv(m->obj);
	struct pd_host_args a;
	const struct host_res *h;
	struct pd_error_res *e = m->res;
	int fd;

	memcpy(&a, m->args, sizeof(a));
	a.name[sizeof(a.name) - 1] = '\0';
	a.resource[sizeof(a.resource) - 1] = '\0';
	memset(e, 0, sizeof(*e));
	m->res_size = sizeof(*e);
	if (pd->running || pd->nhost >= PD_HOST_MAX || a.name[0] == '\0' ||
	    strchr(a.name, ',') || strchr(a.name, '=')) {
		snprintf(e->detail, sizeof(e->detail), "bad host grant '%s'",
		    a.name);
		return PD_INVALID;
	}
	h = core_host(pd->core, a.resource);
	if (h == NULL || (a.writeable && !h->writeable)) {
		snprintf(e->detail, sizeof(e->detail),
		    "host resource '%s'%s is not granted to this scenario",
		    a.resource, a.writeable && h ? " (writeable)" : "");
		return PD_DENIED;
	}
	if (h->fuse) {
		/* fuse.c: core mounts, the component serves the mount. */
		struct pd *p;

		for (p = pd->core->pds; p != NULL; p = p->next)
			if (p->fuse == h || (p == pd && p->fuse)) {
				snprintf(e->detail, sizeof(e->detail), "FUSE "
				    "resource '%s' is in use", a.resource);
				return PD_DENIED;
			}
		fd = core_fuse_mount(pd->core, h, a.writeable, e->detail,
		    sizeof(e->detail));
		if (fd < 0)
			return PD_FAILED;
		pd->fuse = h;
	} else
		fd = open(h->path, (a.writeable ? O_RDWR : O_RDONLY) |
		    O_CLOEXEC);
	if (fd < 0) {
		snprintf(e->detail, sizeof(e->detail), "%s: %s", h->path,
		    strerror(errno));
		return PD_FAILED;
	}
	pd->host_fd[pd->nhost] = fd;
	snprintf(pd->host_name[pd->nhost], sizeof(pd->host_name[0]), "%s",
	    a.name);
	pd->nhost++;
	m->res_size = 0;
	return PD_OK;
}

static int
h_start(struct rpc_msg *m)
{
	struct pd *pd = rpc_obj_priv(m->obj);
	struct pd_start_args a;
	struct sandbox_spec spec;
	int fds[2 + PD_HOST_MAX];
	char hostenv[256] = "CAIRN_HOST=";
	char *argv[2], *envp[2];
	struct pd_error_res *e = m->res;
	unsigned i;
	int r;

	memcpy(&a, m->args, sizeof(a));
	a.name[sizeof(a.name) - 1] = '\0';
	memset(e, 0, sizeof(*e));
	m->res_size = sizeof(*e);
	if (pd->running || m->nfds != 2 || a.name[0] == '\0') {
		snprintf(e->detail, sizeof(e->detail), "already started or "
		    "missing binary/parent capability");
		return PD_INVALID;
	}
	fds[0] = m->fds[1];		/* parent capability */
	fds[1] = pd_cap(pd);		/* own PD for RAM */
	if (fds[1] < 0)
		return RPC_E_NOMEM;
	for (i = 0; i < pd->nhost; i++) {
		size_t l = strlen(hostenv);

		fds[2 + i] = pd->host_fd[i];
		snprintf(hostenv + l, sizeof(hostenv) - l, "%s%s=%u",
		    i ? "," : "", pd->host_name[i], 3 + 2 + i);
	}
	argv[0] = a.name;
	argv[1] = NULL;
	envp[0] = hostenv;
	envp[1] = NULL;
	memset(&spec, 0, sizeof(spec));
	spec.name = a.name;
	spec.binary_fd = m->fds[0];
	spec.fds = fds;
	spec.nfds = 2 + pd->nhost;
	spec.ram_limit = pd->quota + PROCESS_SLACK;
	spec.uid = pd->core->uid_base + pd->core->next_uid;
	spec.gid = spec.uid;
	/*
	 * Components without io_uring cannot create sockets (seccomp), so a
	 * network namespace of their own would add nothing but start-up time:
	 * they share one empty namespace. io_uring bypasses seccomp, so its
	 * users get a fresh one each.
	 */
	spec.flags = pd->nhost ? SANDBOX_IO_URING : SANDBOX_SHARED_NET;
	/* A VMM issues KVM ioctls on the VM descriptors core hands it. */
	if (a.flags & PD_START_FLAG_KVM)
		spec.flags |= SANDBOX_KVM;
	spec.errbuf = e->detail;
	spec.errbuf_size = sizeof(e->detail);
	spec.argv = argv;
	spec.envp = envp;
	pd->core->next_uid = (pd->core->next_uid + 1) % 60000;
	r = sandbox_spawn(&spec, &pd->pid);
	close(fds[1]);
	if (r < 0) {
		if (e->detail[0] == '\0')
			snprintf(e->detail, sizeof(e->detail), "cannot start "
			    "'%s': %s", a.name, strerror(-r));
		return PD_FAILED;
	}
	pd->running = true;
	pd->exit_kind = PD_RUNNING;
	if (spec.flags & SANDBOX_KVM)
		core_vm_prefetch(pd->core);
	/* The host descriptors now live in the child only. */
	for (i = 0; i < pd->nhost; i++)
		close(pd->host_fd[i]);
	pd->nhost = 0;
	m->res_size = 0;
	return PD_OK;
}

static int
h_exit_sigh(struct rpc_msg *m)
{
	struct pd *pd = rpc_obj_priv(m->obj);

	if (m->nfds != 1)
		return PD_INVALID;
	if (pd->exit_sig >= 0)
		close(pd->exit_sig);
	pd->exit_sig = cairn_sig_cap_take(&m->fds[0]);
	/* Already gone: tell at once. */
	if (pd->exit_kind != PD_RUNNING)
		cairn_sig_submit(pd->exit_sig);
	return PD_OK;
}

static int
h_exit_state(struct rpc_msg *m)
{
	struct pd *pd = rpc_obj_priv(m->obj);
	struct pd_exit_res *r = m->res;

	r->kind = pd->exit_kind;
	r->value = pd->exit_value;
	m->res_size = sizeof(*r);
	return PD_OK;
}

static int
h_kill(struct rpc_msg *m)
{
	struct pd *pd = rpc_obj_priv(m->obj);

	if (pd->running)
		kill(pd->pid, SIGKILL);
	return PD_OK;
}

static int
h_thread(struct rpc_msg *m)
{
	struct pd *pd = rpc_obj_priv(m->obj);
	const struct pd_thread_args *a = m->args;
	struct pd_thread_res *r = m->res;
	unsigned i = pd->nthreads;

	if (i >= PD_THREADS_MAX || a->name[0] == '\0' ||
	    memchr(a->name, '\0', sizeof(a->name)) == NULL)
		return PD_INVALID;
	pd->threads[i].id = ++pd->core->next_thread_id;
	memcpy(pd->threads[i].name, a->name, sizeof(a->name));
	pd->nthreads++;
	r->id = pd->threads[i].id;
	m->res_size = sizeof(*r);
	return PD_OK;
}

static const struct rpc_op pd_ops[PD_N_OPS] = {
	[PD_RAM_ALLOC] = { "ram_alloc", sizeof(struct pd_ram_alloc_args), 0,
	    h_ram_alloc },
	[PD_RAM_FREE] = { "ram_free", 0, 1, h_ram_free },
	[PD_QUOTA] = { "quota", 0, 0, h_quota },
	[PD_TRANSFER] = { "transfer", sizeof(struct pd_transfer_args), 1,
	    h_transfer },
	[PD_GRANT_HOST] = { "grant_host", sizeof(struct pd_host_args), 0,
	    h_grant_host },
	[PD_START] = { "start", sizeof(struct pd_start_args), 2, h_start },
	[PD_EXIT_SIGH] = { "exit_sigh", 0, 1, h_exit_sigh },
	[PD_EXIT_STATE] = { "exit_state", 0, 0, h_exit_state },
	[PD_KILL] = { "kill", 0, 0, h_kill },
	[PD_THREAD] = { "thread", sizeof(struct pd_thread_args), 0, h_thread },
};

static const struct rpc_iface pd_iface = { "PD", pd_ops, PD_N_OPS, NULL,
    false };

struct pd *
pd_create(struct core *c, const char *label, struct pd *owner)
{
	struct pd *pd = calloc(1, sizeof(*pd));

	if (pd == NULL)
		return NULL;
	pd->core = c;
	pd->owner = owner;
	pd->exit_sig = -1;
	snprintf(pd->label, sizeof(pd->label), "%s", label);
	pd->obj = rpc_obj_create(c->ep, &pd_iface, pd);
	if (pd->obj == NULL) {
		free(pd);
		return NULL;
	}
	pd->next = c->pds;
	c->pds = pd;
	return pd;
}

int
pd_cap(struct pd *pd)
{
	return rpc_obj_cap(pd->obj);
}

/*
 * Closing a PD session ends its process and returns its quota to the PD
 * that opened the session. Dataspaces still mapped elsewhere stay valid
 * memory (a memfd lives while referenced) but are no longer charged.
 */
void
pd_destroy(struct pd *pd)
{
	struct core *c = pd->core;
	struct pd **pp;
	unsigned i;

	if (pd->running)
		kill(pd->pid, SIGKILL);
	if (pd->owner) {
		pd->owner->quota += pd->quota;
		update_limit(pd->owner);
	}
	while (pd->ds) {
		struct dataspace_rec *r = pd->ds;

		pd->ds = r->next;
		free(r);
	}
	for (i = 0; i < pd->nhost; i++)
		close(pd->host_fd[i]);
	if (pd->fuse && !pd->running) {
		core_fuse_unmount(c, pd->fuse);
		pd->fuse = NULL;
	}
	if (pd->exit_sig >= 0)
		close(pd->exit_sig);
	rpc_obj_destroy(pd->obj);
	for (pp = &c->pds; *pp != NULL; pp = &(*pp)->next)
		if (*pp == pd) {
			*pp = pd->next;
			break;
		}
	/* A PD whose process is still being reaped stays findable by pid. */
	if (pd->running) {
		pd->obj = NULL;
		pd->owner = NULL;
		pd->exit_sig = -1;
		pd->next = c->pds;
		c->pds = pd;
		return;
	}
	free(pd);
}

void
pd_child_exited(struct core *c, pid_t pid, int status)
{
	struct pd *pd;
	bool oom = false;

	for (pd = c->pds; pd != NULL; pd = pd->next)
		if (pd->running && pd->pid == pid)
			break;
	sandbox_release(pid, &oom);
	if (pd == NULL)
		return;
	pd->running = false;
	if (oom) {
		pd->exit_kind = PD_OOM;
		pd->exit_value = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
	} else if (WIFSIGNALED(status)) {
		pd->exit_kind = PD_SIGNALED;
		pd->exit_value = WTERMSIG(status);
	} else {
		pd->exit_kind = PD_EXITED;
		pd->exit_value = WEXITSTATUS(status);
	}
	if (pd->fuse) {
		core_fuse_unmount(c, pd->fuse);
		pd->fuse = NULL;
	}
	if (pd->obj == NULL) {
		/* Its session was closed already: only the reaping was left. */
		struct pd **pp;

		for (pp = &c->pds; *pp != NULL; pp = &(*pp)->next)
			if (*pp == pd) {
				*pp = pd->next;
				break;
			}
		free(pd);
		return;
	}
	if (pd->exit_sig >= 0)
		cairn_sig_submit(pd->exit_sig);
}
