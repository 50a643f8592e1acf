/*
 * vmm: vCPUs, their boot state, and the loop that runs each on its own
 * thread and hands its exits to the devices.
 * SPDX-License-Identifier: MIT
 *
 * vCPU 0 is the bootstrap processor and starts in the boot path's mode.
 * The others wait in the in-kernel LAPIC for INIT and SIPI from the guest,
 * as application processors do. A stopping VM sets immediate_exit in every
 * vCPU's run structure and sends its thread SIGUSR1, so that a thread
 * about to enter KVM_RUN, or inside it, returns at once (the KVM API
 * document's recommended way of kicking a vCPU).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "vmm.h"

#define CR0_PE	(1ull << 0)
#define CR0_MP	(1ull << 1)
#define CR0_ET	(1ull << 4)
#define CR0_NE	(1ull << 5)
#define CR0_WP	(1ull << 16)
#define CR0_PG	(1ull << 31)
#define CR4_PAE	(1ull << 5)
#define EFER_LME (1ull << 8)
#define EFER_LMA (1ull << 10)

/* Each vCPU sees its own APIC ID in CPUID leaves 1 and 0xb. */
static int
set_cpuid(struct vm *vm, struct vcpu *v)
{
	size_t size = sizeof(*vm->cpuid) +
	    vm->cpuid->nent * sizeof(vm->cpuid->entries[0]);
	struct kvm_cpuid2 *c = malloc(size);
	unsigned i;
	int r;

	if (c == NULL)
		return -ENOMEM;
	memcpy(c, vm->cpuid, size);
	for (i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];

		if (e->function == 1)
			e->ebx = (e->ebx & 0x00ffffff) | v->id << 24;
		else if (e->function == 0xb || e->function == 0x1f)
			e->edx = v->id;
	}
	r = ioctl(v->fd, KVM_SET_CPUID2, c) < 0 ? -errno : 0;
	free(c);
	return r;
}

static void
segment(struct kvm_segment *s, uint16_t sel, uint8_t type, bool l)
{
	memset(s, 0, sizeof(*s));
	s->base = 0;
	s->limit = 0xffffffff;
	s->selector = sel;
	s->type = type;
	s->present = 1;
	s->s = 1;
	s->db = !l;
	s->l = l;
	s->g = 1;
}

/* The BSP's registers for the protected- and long-mode boot paths. */
static int
boot_state(struct vm *vm, struct vcpu *v)
{
	struct kvm_sregs sr;
	struct kvm_regs regs;
	bool lm = vm->boot.mode == BOOT_LM64;

	if (vm->boot.mode == BOOT_RESET)
		return 0;	/* KVM's reset state is the reset vector */
	if (ioctl(v->fd, KVM_GET_SREGS, &sr) < 0)
		return -errno;
	segment(&sr.cs, vm->boot.cs ? vm->boot.cs : lm ? SEL_CODE64 :
	    SEL_CODE32, 11, lm);
	segment(&sr.ds, SEL_DATA, 3, false);
	sr.es = sr.fs = sr.gs = sr.ss = sr.ds;
	sr.gdt.base = vm->boot.gdt ? vm->boot.gdt : GDT_GPA;
	sr.gdt.limit = 5 * 8 - 1;
	sr.cr0 = CR0_PE | CR0_ET;
	if (lm) {
		sr.cr0 |= CR0_MP | CR0_NE | CR0_WP | CR0_PG;
		sr.cr3 = PML4_GPA;
		sr.cr4 = CR4_PAE;
		sr.efer = EFER_LME | EFER_LMA;
	}
	if (ioctl(v->fd, KVM_SET_SREGS, &sr) < 0)
		return -errno;
	memset(&regs, 0, sizeof(regs));
	regs.rflags = 2;
	regs.rip = vm->boot.entry;
	regs.rsi = vm->boot.rsi;
	return ioctl(v->fd, KVM_SET_REGS, &regs) < 0 ? -errno : 0;
}

int
vcpu_create(struct vm *vm, unsigned id)
{
	struct vcpu *v = &vm->vcpus[id];
	void *run;
	int r;

	v->vm = vm;
	v->id = id;
	v->fd = ioctl(vm->fd, KVM_CREATE_VCPU, id);
	if (v->fd < 0) {
		r = -errno;
		cairn_error(vm->env, "vcpu %u: KVM_CREATE_VCPU: %s", id,
		    strerror(-r));
		return r;
	}
	run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
	    v->fd, 0);
	if (run == MAP_FAILED) {
		r = -errno;
		cairn_error(vm->env, "vcpu %u: mapping kvm_run: %s", id,
		    strerror(-r));
		return r;
	}
	v->run = run;
	if ((r = set_cpuid(vm, v)) < 0) {
		cairn_error(vm->env, "vcpu %u: KVM_SET_CPUID2: %s", id,
		    strerror(-r));
		return r;
	}
	if (id == 0 && (r = boot_state(vm, v)) < 0) {
		cairn_error(vm->env, "vcpu 0: boot state: %s", strerror(-r));
		return r;
	}
	return 0;
}

static uint64_t
rip(struct vcpu *v)
{
	struct kvm_regs regs;

	return ioctl(v->fd, KVM_GET_REGS, &regs) < 0 ? 0 : regs.rip;
}

/* Port I/O: `count` accesses of `size` bytes (a string instruction). */
static void
exit_io(struct vm *vm, struct vcpu *v)
{
	struct kvm_run *run = v->run;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	unsigned size = run->io.size, i;

	/* The kernel fills these; still, stay inside the mapping. */
	if (size == 0 || size > 4 || run->io.data_offset > vm->run_size ||
	    (uint64_t)size * run->io.count > vm->run_size -
	    run->io.data_offset) {
		vm_stop(vm, VMM_EXIT_KVM, "vcpu %u: malformed I/O exit", v->id);
		return;
	}
	pthread_mutex_lock(&vm->lock);
	for (i = 0; i < run->io.count && !atomic_load(&vm->stopping); i++)
		io_port(vm, v, run->io.port, size,
		    run->io.direction == KVM_EXIT_IO_OUT, data + i * size);
	pthread_mutex_unlock(&vm->lock);
}

/*
 * The first bytes of the instruction KVM could not emulate, as
 * ": 9b db e3 ...", if KVM gives them (Linux 5.14 and later), else "".
 * On kvm_pvm this names what stopped a guest.
 */
static void
insn_bytes(const struct kvm_run *run, char *buf, size_t cap)
{
	unsigned i, n, len = 0;

	buf[0] = '\0';
	if (run->internal.suberror != KVM_INTERNAL_ERROR_EMULATION ||
	    run->emulation_failure.ndata < 3 ||
	    !(run->emulation_failure.flags &
	    KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES))
		return;
	n = run->emulation_failure.insn_size;
	n = n < 8 ? n : 8;
	for (i = 0; i < n && len + 4 < cap; i++)
		len += (unsigned)snprintf(buf + len, cap - len, "%s%02x",
		    i == 0 ? ": " : " ", run->emulation_failure.insn_bytes[i]);
}

static void
exit_other(struct vm *vm, struct vcpu *v)
{
	struct kvm_run *run = v->run;
	char insn[32];

	switch (run->exit_reason) {
	case KVM_EXIT_SHUTDOWN:
		vm_stop(vm, VMM_EXIT_TRIPLE_FAULT, "guest stopped: triple "
		    "fault on vcpu %u (rip 0x%llx)", v->id,
		    (unsigned long long)rip(v));
		break;
	case KVM_EXIT_INTERNAL_ERROR:
		insn_bytes(run, insn, sizeof(insn));
		vm_stop(vm, VMM_EXIT_KVM, "guest stopped: KVM internal error "
		    "%u%s on vcpu %u (rip 0x%llx%s)", run->internal.suberror,
		    run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION ?
		    " (emulation failure)" : "", v->id,
		    (unsigned long long)rip(v), insn);
		break;
	case KVM_EXIT_FAIL_ENTRY:
		vm_stop(vm, VMM_EXIT_KVM, "guest stopped: VM entry failed "
		    "(reason 0x%llx) on vcpu %u", (unsigned long long)
		    run->fail_entry.hardware_entry_failure_reason, v->id);
		break;
	case KVM_EXIT_SYSTEM_EVENT:
		if (run->system_event.type == KVM_SYSTEM_EVENT_RESET)
			vm_stop(vm, VMM_EXIT_OFF, "guest reset");
		else if (run->system_event.type == KVM_SYSTEM_EVENT_SHUTDOWN)
			vm_stop(vm, VMM_EXIT_OFF, "guest powered off");
		else
			vm_stop(vm, VMM_EXIT_KVM, "guest stopped: system "
			    "event %u on vcpu %u", run->system_event.type,
			    v->id);
		break;
	case KVM_EXIT_HLT:
	case KVM_EXIT_INTR:
	case KVM_EXIT_IRQ_WINDOW_OPEN:
		break;
	default:
		vm_stop(vm, VMM_EXIT_KVM, "guest stopped: unexpected KVM exit "
		    "%u on vcpu %u", run->exit_reason, v->id);
		break;
	}
}

static void *
vcpu_main(void *arg)
{
	struct vcpu *v = arg;
	struct vm *vm = v->vm;
	struct kvm_run *run = v->run;
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	while (!atomic_load(&vm->stopping)) {
		if (ioctl(v->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			vm_stop(vm, VMM_EXIT_KVM, "vcpu %u: KVM_RUN: %s", v->id,
			    strerror(errno));
			break;
		}
		switch (run->exit_reason) {
		case KVM_EXIT_IO:
			exit_io(vm, v);
			break;
		case KVM_EXIT_MMIO:
			if (run->mmio.len == 0 || run->mmio.len > 8)
				break;
			pthread_mutex_lock(&vm->lock);
			io_mmio(vm, v, run->mmio.phys_addr, run->mmio.len,
			    run->mmio.is_write, run->mmio.data);
			pthread_mutex_unlock(&vm->lock);
			break;
		default:
			exit_other(vm, v);
			break;
		}
	}
	return NULL;
}

static void
on_kick(int sig)
{
	(void)sig;
}

int
vcpu_start(struct vm *vm, struct vcpu *v)
{
	struct sigaction sa;
	pthread_attr_t attr;
	int r;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_kick;
	if (sigaction(SIGUSR1, &sa, NULL) < 0)
		return -errno;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 128 << 10);
	r = pthread_create(&v->thread, &attr, vcpu_main, v);
	pthread_attr_destroy(&attr);
	if (r != 0)
		return -r;	/* the caller stops the VM with a reason */
	v->started = true;
	return 0;
}

void
vcpu_kick_all(struct vm *vm)
{
	unsigned i;

	for (i = 0; i < vm->nvcpus; i++) {
		struct vcpu *v = &vm->vcpus[i];

		if (v->run != NULL)
			v->run->immediate_exit = 1;
		if (v->started && !pthread_equal(v->thread, pthread_self()))
			pthread_kill(v->thread, SIGUSR1);
	}
}
