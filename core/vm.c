/*
 * core's VM service: KVM for a VMM, without handing it the host's /dev/kvm
 * path or anything else of the host.
 * SPDX-License-Identifier: MIT
 *
 * Interface and the reason why the client issues KVM_CREATE_VM itself:
 * include/cairn/session/vm.h.
 */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/kvm.h>

#include <cairn/dataspace.h>
#include <cairn/entrypoint.h>
#include <cairn/session/parent.h>
#include <cairn/session/vm.h>

#include "core.h"

/* KVM_GET_SUPPORTED_CPUID says E2BIG until the array is large enough. */
#define CPUID_MAX_ENTRIES	1024

struct vm_session {
	struct core *core;
	int kvm;		/* /dev/kvm, opened for this session */
	bool created;		/* VM_CREATE was answered */
	struct vm_info_res info;
	char label[CAIRN_LABEL_MAX];
};

static int
vm_error(struct rpc_msg *m, int status, const char *fmt, const char *arg)
{
	struct vm_error_res *e = m->res;

	memset(e, 0, sizeof(*e));
	snprintf(e->detail, sizeof(e->detail), fmt, arg);
	m->res_size = sizeof(*e);
	return status;
}

static int
h_info(struct rpc_msg *m)
{
	struct vm_session *s = rpc_obj_priv(m->obj);

	memcpy(m->res, &s->info, sizeof(s->info));
	m->res_size = sizeof(s->info);
	return VM_OK;
}

/*
 * The supported CPUID entries go out as a sealed read-only dataspace: with
 * about a hundred entries of 40 bytes they do not fit an RPC reply. They
 * do not change while core runs, and asking KVM costs ~0.5 ms (kvm_pvm),
 * so core asks once, ideally while the first VMM is still starting (see
 * core_vm_prefetch()), and hands every session a duplicate.
 */
static struct {
	int fd;			/* sealed memfd of a struct kvm_cpuid2 */
	uint32_t nent, size;
	struct cairn_timer *timer;
} cpuid_cache = { .fd = -1 };

/* Fill the cache from `kvm`: 0, or -errno with *what set. */
static int
cpuid_fetch(int kvm, const char **what)
{
	struct kvm_cpuid2 *cpuid = NULL;
	unsigned nent;
	size_t size;
	int fd, err;

	*what = "KVM_GET_SUPPORTED_CPUID";
	for (nent = 128; nent <= CPUID_MAX_ENTRIES; nent *= 2) {
		size = sizeof(*cpuid) + nent * sizeof(cpuid->entries[0]);
		free(cpuid);
		cpuid = calloc(1, size);
		if (cpuid == NULL)
			return -ENOMEM;
		cpuid->nent = nent;
		if (ioctl(kvm, KVM_GET_SUPPORTED_CPUID, cpuid) == 0)
			break;
		if (errno != E2BIG) {
			err = -errno;
			free(cpuid);
			return err;
		}
	}
	if (nent > CPUID_MAX_ENTRIES) {
		free(cpuid);
		*what = "KVM_GET_SUPPORTED_CPUID (more entries than core "
		    "accepts)";
		return -E2BIG;
	}
	size = sizeof(*cpuid) + cpuid->nent * sizeof(cpuid->entries[0]);
	fd = cairn_ds_create_memfd("cpuid", size, false);
	if (fd < 0 || pwrite(fd, cpuid, size, 0) != (ssize_t)size ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_SEAL) < 0) {
		if (fd >= 0)
			close(fd);
		free(cpuid);
		*what = "CPUID dataspace";
		return -ENOMEM;
	}
	cpuid_cache.fd = fd;
	cpuid_cache.nent = cpuid->nent;
	cpuid_cache.size = (uint32_t)size;
	free(cpuid);
	return 0;
}

static void
prefetch(void *ctx)
{
	const char *what;
	int kvm;

	if (cpuid_cache.fd >= 0)
		return;
	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		return;		/* the VM session will say why */
	(void)cpuid_fetch(kvm, &what);
	close(kvm);
}

void
core_vm_prefetch(struct core *c)
{
	if (cpuid_cache.fd >= 0)
		return;
	if (cpuid_cache.timer == NULL)
		cpuid_cache.timer = cairn_timer_create(c->ep, prefetch, c);
	/* After the reply that is being made now has gone out. */
	if (cpuid_cache.timer != NULL)
		(void)cairn_timer_set(cpuid_cache.timer, 1, 0);
}

static int
h_cpuid(struct rpc_msg *m)
{
	struct vm_session *s = rpc_obj_priv(m->obj);
	struct vm_cpuid_res *r = m->res;
	const char *what;
	char why[160];
	int fd, err;

	if (cpuid_cache.fd < 0 && (err = cpuid_fetch(s->kvm, &what)) < 0) {
		if (err == -ENOMEM)
			return RPC_E_NOMEM;
		snprintf(why, sizeof(why), "%s: %s", what, strerror(-err));
		return vm_error(m, VM_FAILED, "%s", why);
	}
	/* The framework closes the duplicate after sending it. */
	fd = fcntl(cpuid_cache.fd, F_DUPFD_CLOEXEC, 0);
	if (fd < 0)
		return RPC_E_NOMEM;
	r->nent = cpuid_cache.nent;
	r->size = cpuid_cache.size;
	m->res_size = sizeof(*r);
	m->res_fds[0] = fd;
	m->res_nfds = 1;
	return VM_OK;
}

static int
h_create(struct rpc_msg *m)
{
	struct vm_session *s = rpc_obj_priv(m->obj);

	int fd;

	if (s->created)
		return vm_error(m, VM_DENIED, "%s", "this session made its VM "
		    "already (one VM per session)");
	/* The framework closes the duplicate after sending it. */
	fd = fcntl(s->kvm, F_DUPFD_CLOEXEC, 0);
	if (fd < 0)
		return RPC_E_NOMEM;
	s->created = true;
	m->res_fds[0] = fd;
	m->res_nfds = 1;
	return VM_OK;
}

static const struct rpc_op vm_ops[VM_N_OPS] = {
	[VM_INFO] = { "info", 0, 0, h_info },
	[VM_CPUID] = { "cpuid", 0, 0, h_cpuid },
	[VM_CREATE] = { "create", 0, 0, h_create },
};

static const struct rpc_iface vm_iface = { "VM", vm_ops, VM_N_OPS, NULL,
    false };

static void
close_vm(struct core_session *cs)
{
	struct vm_session *s = cs->priv;

	close(s->kvm);
	rpc_obj_destroy(cs->obj);
	free(s);
}

static int
cap(int kvm, int which)
{
	int r = ioctl(kvm, KVM_CHECK_EXTENSION, which);

	return r < 0 ? 0 : r;
}

int
core_vm_open(struct core *c, const char *label, struct core_session *cs,
    char *detail, size_t dcap)
{
	struct vm_session *s;
	int kvm, api;

	/* Decode: is there a KVM we can use? */
	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0) {
		snprintf(detail, dcap, "no VM service: /dev/kvm: %s",
		    strerror(errno));
		return PARENT_UNAVAILABLE;
	}
	api = ioctl(kvm, KVM_GET_API_VERSION, 0);
	if (api != KVM_API_VERSION) {
		snprintf(detail, dcap, "no VM service: /dev/kvm speaks API "
		    "version %d, not %d", api, KVM_API_VERSION);
		close(kvm);
		return PARENT_UNAVAILABLE;
	}
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		close(kvm);
		snprintf(detail, dcap, "core is out of memory");
		return PARENT_UNAVAILABLE;
	}
	s->core = c;
	s->kvm = kvm;
	snprintf(s->label, sizeof(s->label), "%s", label);
	s->info.api_version = api;
	api = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	s->info.vcpu_mmap_size = api > 0 ? (uint32_t)api : 0;
	s->info.nr_vcpus = (uint32_t)cap(kvm, KVM_CAP_NR_VCPUS);
	s->info.max_vcpus = (uint32_t)cap(kvm, KVM_CAP_MAX_VCPUS);
	/* Without KVM_CAP_NR_VCPUS the API document promises 4. */
	if (s->info.nr_vcpus == 0)
		s->info.nr_vcpus = 4;
	if (s->info.max_vcpus == 0)
		s->info.max_vcpus = s->info.nr_vcpus;
	cs->obj = rpc_obj_create(c->ep, &vm_iface, s);
	if (cs->obj == NULL) {
		close(kvm);
		free(s);
		snprintf(detail, dcap, "core is out of memory");
		return PARENT_UNAVAILABLE;
	}
	cs->priv = s;
	cs->close = close_vm;
	if (c->verbose)
		core_log(c, "VM session for \"%s\"", label);
	return PARENT_OK;
}
