/*
 * VM session (core): hardware virtualization through KVM, for a VMM.
 * SPDX-License-Identifier: MIT
 *
 * core alone opens /dev/kvm. A VM session lets its client create exactly
 * one virtual machine and answers the questions only /dev/kvm can answer
 * (vCPU mapping size, vCPU limits, the supported CPUID entries).
 *
 * Linux binds a VM to the address space of the process that issues
 * KVM_CREATE_VM: a VM descriptor made by core would fail every ioctl in the
 * VMM with EIO. VM_CREATE therefore hands the client a KVM system
 * descriptor that core opened for this session; the client issues one
 * KVM_CREATE_VM on it and closes it at once (vm_session_create() in the
 * VMM does both). A session answers VM_CREATE once. Everything after that
 * happens on the VM descriptor and the vCPU descriptors the client creates
 * in it with KVM_CREATE_VCPU; the client's sandbox must allow ioctls
 * (init: <sandbox kvm="yes"/>). The VM's kernel memory and guest RAM are
 * charged to the client's memory cgroup; guest RAM comes from the client's
 * own PD (cairn_ram_alloc), so the guest lives within its RAM quota.
 *
 * Session arguments: label only; the session costs the client no quota.
 * Where the host has no usable /dev/kvm, the session is refused with
 * PARENT_UNAVAILABLE and a detail naming the reason.
 */
#ifndef CAIRN_SESSION_VM_H
#define CAIRN_SESSION_VM_H

#include <stdint.h>

enum vm_op {
	VM_INFO,		/* reply: struct vm_info_res */
	VM_CPUID,		/* reply: struct vm_cpuid_res; fd: dataspace */
	VM_CREATE,		/* reply: fd, a KVM system descriptor */
	VM_N_OPS
};

enum vm_status {
	VM_OK = 0,
	VM_DENIED = 1,		/* VM_CREATE was answered before */
	VM_FAILED = 2,		/* the host refused; detail says why */
};

struct vm_info_res {
	int32_t api_version;	/* KVM_GET_API_VERSION, 12 */
	uint32_t vcpu_mmap_size;	/* KVM_GET_VCPU_MMAP_SIZE */
	uint32_t nr_vcpus;	/* KVM_CAP_NR_VCPUS: recommended maximum */
	uint32_t max_vcpus;	/* KVM_CAP_MAX_VCPUS: hard maximum */
};

/*
 * VM_CPUID: the dataspace holds a struct kvm_cpuid2 with `nent` entries
 * (KVM_GET_SUPPORTED_CPUID), ready for KVM_SET_CPUID2 after the client
 * adjusted the per-vCPU fields (APIC IDs).
 */
struct vm_cpuid_res {
	uint32_t nent;
	uint32_t size;		/* bytes of the dataspace in use */
};

/* On failure, VM_CPUID and VM_CREATE reply with this. */
struct vm_error_res {
	char detail[128];
};

#endif
