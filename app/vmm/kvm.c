/*
 * vmm: the VM through core's VM session, and the in-kernel interrupt
 * controllers and PIT.
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cairn/session/vm.h>

#include "vmm.h"

/* Fetch the supported CPUID entries (core reads them from /dev/kvm). */
static int
fetch_cpuid(struct vm *vm)
{
	struct vm_cpuid_res res;
	struct cairn_ds ds;
	unsigned nfds = 1;
	int fd = -1, r;

	r = rpc_call(vm->vm_session, VM_CPUID, NULL, 0, NULL, 0, &res,
	    sizeof(res), NULL, &fd, &nfds);
	if (r != VM_OK || nfds != 1) {
		if (nfds == 1)
			close(fd);
		cairn_error(vm->env, "VM session: no CPUID entries (%d)", r);
		return -EIO;
	}
	r = cairn_ds_from_fd(&ds, fd);
	if (r < 0) {
		close(fd);
		return r;
	}
	if ((r = cairn_ds_attach(&ds, false)) < 0)
		goto out;
	r = -EPROTO;
	if (res.size > ds.size || res.size < sizeof(*vm->cpuid) ||
	    res.nent > (res.size - sizeof(*vm->cpuid)) /
	    sizeof(vm->cpuid->entries[0]))
		goto out;
	vm->cpuid = malloc(res.size);
	if (vm->cpuid == NULL) {
		r = -ENOMEM;
		goto out;
	}
	memcpy(vm->cpuid, ds.addr, res.size);
	vm->cpuid->nent = res.nent;
	r = 0;
out:
	cairn_ds_release(&ds);
	return r;
}

/*
 * GSI routing as on a PC: the PIT's ISA IRQ 0 reaches IOAPIC pin 2 (the
 * MADT says so with an interrupt source override); the other ISA IRQs keep
 * their pin on both the PICs and the IOAPIC; GSIs 16..23 are IOAPIC only.
 */
static int
set_routing(struct vm *vm)
{
	struct kvm_irq_routing *t;
	unsigned n = 0, gsi;
	int r;

	t = calloc(1, sizeof(*t) + 40 * sizeof(t->entries[0]));
	if (t == NULL)
		return -ENOMEM;
	for (gsi = 0; gsi < 24; gsi++) {
		struct kvm_irq_routing_entry *e;

		if (gsi < 16) {
			e = &t->entries[n++];
			e->gsi = gsi;
			e->type = KVM_IRQ_ROUTING_IRQCHIP;
			e->u.irqchip.irqchip = gsi < 8 ? KVM_IRQCHIP_PIC_MASTER :
			    KVM_IRQCHIP_PIC_SLAVE;
			e->u.irqchip.pin = gsi % 8;
		}
		if (gsi == 2)
			continue;	/* the cascade: PIC only */
		e = &t->entries[n++];
		e->gsi = gsi;
		e->type = KVM_IRQ_ROUTING_IRQCHIP;
		e->u.irqchip.irqchip = KVM_IRQCHIP_IOAPIC;
		e->u.irqchip.pin = gsi == 0 ? 2 : gsi;
	}
	t->nr = n;
	r = ioctl(vm->fd, KVM_SET_GSI_ROUTING, t) < 0 ? -errno : 0;
	free(t);
	return r;
}

/* r is an ioctl's result (errno set when negative) or a negative errno. */
static int
step(struct vm *vm, int r, const char *what)
{
	int e = r == -1 ? errno : -r;

	if (r >= 0)
		return 0;
	cairn_error(vm->env, "%s: %s", what, strerror(e));
	return -e;
}

int
kvm_vm_create(struct vm *vm)
{
	struct vm_info_res info;
	char detail[128];
	uint64_t idmap = IDMAP_GPA;
	unsigned nfds = 1;
	int kvm = -1, r;

	vm->vm_session = cairn_session(vm->env, "VM", "label=\"\", "
	    "ram_quota=0", &vm->vm_session_id, detail, sizeof(detail));
	if (vm->vm_session < 0) {
		cairn_error(vm->env, "no VM session: %s", detail);
		return vm->vm_session;
	}
	r = rpc_call_simple(vm->vm_session, VM_INFO, NULL, 0, &info,
	    sizeof(info));
	if (r != VM_OK || info.vcpu_mmap_size < sizeof(struct kvm_run)) {
		cairn_error(vm->env, "VM session: no KVM information (%d)", r);
		return -EIO;
	}
	vm->run_size = info.vcpu_mmap_size;
	if (vm->cfg.vcpus > info.max_vcpus) {
		cairn_error(vm->env, "config: attribute 'vcpus'=\"%u\" is more "
		    "than KVM allows here (%u)", vm->cfg.vcpus, info.max_vcpus);
		return -EINVAL;
	}
	if ((r = fetch_cpuid(vm)) < 0)
		return r;
	r = rpc_call(vm->vm_session, VM_CREATE, NULL, 0, NULL, 0, detail,
	    sizeof(detail), NULL, &kvm, &nfds);
	if (r != VM_OK || nfds != 1) {
		detail[sizeof(detail) - 1] = '\0';
		cairn_error(vm->env, "VM session: VM_CREATE refused: %s",
		    r > 0 ? detail : rpc_status_str(r));
		return -EIO;
	}
	/* The VM belongs to our address space; the KVM descriptor has done
	 * its one job. */
	vm->fd = ioctl(kvm, KVM_CREATE_VM, 0);
	r = errno;
	close(kvm);
	if (vm->fd < 0 && r == EPERM) {
		cairn_error(vm->env, "KVM_CREATE_VM: %s (the sandbox forbids "
		    "KVM ioctls: is <sandbox kvm=\"yes\"/> missing in our "
		    "<start>?)", strerror(r));
		return -r;
	}
	errno = r;
	if ((r = step(vm, vm->fd, "KVM_CREATE_VM")) < 0)
		return r;
	if ((r = step(vm, ioctl(vm->fd, KVM_SET_TSS_ADDR, TSS_GPA),
	    "KVM_SET_TSS_ADDR")) < 0)
		return r;
	return step(vm, ioctl(vm->fd, KVM_SET_IDENTITY_MAP_ADDR, &idmap),
	    "KVM_SET_IDENTITY_MAP_ADDR");
}

/*
 * The interrupt controllers and the PIT, once every memory slot is in
 * place: a slot added after KVM_CREATE_IRQCHIP costs the kernel a grace
 * period (4-9 ms under kvm_pvm, measured), added before it almost nothing.
 */
int
kvm_vm_devices(struct vm *vm)
{
	struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };
	int r;

	if ((r = step(vm, ioctl(vm->fd, KVM_CREATE_IRQCHIP, 0),
	    "KVM_CREATE_IRQCHIP")) < 0 ||
	    (r = step(vm, ioctl(vm->fd, KVM_CREATE_PIT2, &pit),
	    "KVM_CREATE_PIT2")) < 0)
		return r;
	return step(vm, set_routing(vm), "KVM_SET_GSI_ROUTING");
}

int
kvm_memory_region(struct vm *vm, unsigned slot, uint64_t gpa, uint64_t size,
    void *hva, bool readonly)
{
	struct kvm_userspace_memory_region mr = {
		.slot = slot,
		.flags = readonly ? KVM_MEM_READONLY : 0,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uint64_t)(uintptr_t)hva,
	};

	return step(vm, ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &mr),
	    "KVM_SET_USER_MEMORY_REGION");
}

/* An ISA interrupt line: the devices call this with the new level. */
int
kvm_irq_line(struct vm *vm, unsigned irq, bool level)
{
	struct kvm_irq_level l = { .irq = irq, .level = level };

	return ioctl(vm->fd, KVM_IRQ_LINE, &l) < 0 ? -errno : 0;
}
