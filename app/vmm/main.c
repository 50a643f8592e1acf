/*
 * vmm: a virtual machine monitor for x86-64 guests on KVM, as an ordinary
 * sandboxed component: KVM from core's VM service, guest RAM from its own
 * RAM quota, guest images as ROM modules, the serial console on LOG.
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <cairn/session/pd.h>

#include "vmm.h"

void
vm_log(struct vm *vm, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cairn_vlog(vm->env, NULL, fmt, ap);
	va_end(ap);
}

/*
 * Stop the guest: the first caller's reason and exit value win. Safe on
 * any thread; the entrypoint then joins the vCPUs and exits.
 */
void
vm_stop(struct vm *vm, int exit_value, const char *fmt, ...)
{
	bool expected = false;
	va_list ap;

	if (!atomic_compare_exchange_strong(&vm->stopping, &expected, true))
		return;
	vm->exit_value = exit_value;
	va_start(ap, fmt);
	vsnprintf(vm->reason, sizeof(vm->reason), fmt, ap);
	va_end(ap);
	vcpu_kick_all(vm);
	cairn_sig_submit(vm->stop_cap);
}

static void
on_stop(void *ctx, uint64_t count)
{
	struct vm *vm = ctx;
	unsigned i;

	(void)count;
	for (i = 0; i < vm->nvcpus; i++)
		if (vm->vcpus[i].started)
			pthread_join(vm->vcpus[i].thread, NULL);
	serial_flush(vm);
	io_unknown_flush(vm);
	cairn_log(vm->env, "%s", vm->reason);
	cairn_exit(vm->env, vm->exit_value);
}

/*
 * Guest RAM: what our quota leaves after our own needs and the ROM copy of
 * a flat image, in whole MiB, or exactly the configured `ram`.
 */
static int
guest_ram(struct vm *vm, uint64_t rom, uint64_t *ram)
{
	uint64_t quota, used, avail, keep;
	int r;

	if ((r = cairn_ram_quota(vm->env, &quota, &used)) < 0) {
		cairn_error(vm->env, "cannot read our RAM quota: %s",
		    strerror(-r));
		return r;
	}
	keep = VMM_RESERVE + vm->cfg.vcpus * VMM_RESERVE_PER_VCPU + rom +
	    disks_reserve(vm);
	avail = quota > used + keep ? (quota - used - keep) & ~0xfffffull : 0;
	if (vm->cfg.ram == 0 && avail < VMM_MIN_RAM) {
		cairn_error(vm->env, "RAM quota of %llu KiB leaves less than "
		    "the least guest RAM, 2 MiB (the vmm keeps %llu KiB; "
		    "raise 'quantum')", (unsigned long long)(quota >> 10),
		    (unsigned long long)(keep >> 10));
		return -EDQUOT;
	}
	if (vm->cfg.ram > avail) {
		cairn_error(vm->env, "config: attribute 'ram'=\"%s\" does not "
		    "fit the RAM quota: at most %llu MiB for the guest (quota "
		    "%llu KiB, the vmm keeps %llu KiB)", vm->cfg.ram_attr,
		    (unsigned long long)(avail >> 20),
		    (unsigned long long)(quota >> 10),
		    (unsigned long long)(keep >> 10));
		return -EDQUOT;
	}
	*ram = vm->cfg.ram ? (vm->cfg.ram + 4095) & ~4095ull : avail;
	return 0;
}

static int
load(struct vm *vm, struct cairn_rom *kernel)
{
	struct cairn_rom initrd;
	bool bz = boot_is_bzimage(kernel->ds.addr, kernel->size);
	int r;

	if (vm->cfg.bios[0] != '\0')
		return bios_boot(vm);
	if (vm->cfg.initrd[0] && !bz) {
		cairn_error(vm->env, "config: attribute 'initrd'=\"%s\" needs "
		    "a bzImage kernel; '%s' is not one", vm->cfg.initrd,
		    vm->cfg.kernel);
		return -EINVAL;
	}
	if (!bz)
		return boot_image(vm, kernel->ds.addr, kernel->size);
	if (vm->cfg.initrd[0] == '\0')
		return boot_linux(vm, kernel->ds.addr, kernel->size, NULL, 0);
	r = cairn_rom_open(vm->env, vm->cfg.initrd, &initrd);
	if (r < 0 || !initrd.valid) {
		cairn_error(vm->env, "config: attribute 'initrd'=\"%s\": no "
		    "such ROM module", vm->cfg.initrd);
		if (r == 0)
			cairn_rom_close(vm->env, &initrd);
		return r < 0 ? r : -ENOENT;
	}
	r = boot_linux(vm, kernel->ds.addr, kernel->size, initrd.ds.addr,
	    initrd.size);
	cairn_rom_close(vm->env, &initrd);
	return r;
}

static int
setup(struct vm *vm)
{
	struct cairn_rom kernel;
	uint64_t ram, rom = 0;
	unsigned i;
	int r;

	if ((r = vmm_config_read(vm->env, &vm->cfg)) < 0)
		return r;
	vm->nvcpus = vm->cfg.vcpus;
	r = cairn_rom_open(vm->env, vm->cfg.kernel, &kernel);
	if (r < 0 || !kernel.valid || kernel.size == 0) {
		cairn_error(vm->env, "config: attribute 'kernel'=\"%s\": no "
		    "such ROM module", vm->cfg.kernel);
		if (r == 0)
			cairn_rom_close(vm->env, &kernel);
		return r < 0 ? r : -ENOENT;
	}
	if (!boot_is_bzimage(kernel.ds.addr, kernel.size) &&
	    (kernel.size < 4 || memcmp(kernel.ds.addr, "\177ELF", 4) != 0))
		rom = (kernel.size + 4095) & ~4095ull;
	if (vm->cfg.bios[0] != '\0' && (r = bios_open(vm, &rom)) < 0)
		goto out;
	if ((r = disks_open(vm)) < 0 || (r = kvm_vm_create(vm)) < 0 ||
	    (r = guest_ram(vm, rom, &ram)) < 0 ||
	    (r = memory_setup(vm, ram)) < 0)
		goto out;
	memory_boot_tables(vm);
	/* Every memory slot (load() adds the ROM's) before the irqchip. */
	if ((r = acpi_setup(vm)) < 0 || (r = load(vm, &kernel)) < 0 ||
	    (r = kvm_vm_devices(vm)) < 0 || (r = disks_start(vm)) < 0)
		goto out;
	for (i = 0; i < vm->nvcpus; i++)
		if ((r = vcpu_create(vm, i)) < 0)
			goto out;
	cairn_log(vm->env, "start '%s' (%s) with %llu MiB guest memory, %u "
	    "vCPU%s", vm->cfg.kernel, vm->boot.kind,
	    (unsigned long long)(ram >> 20), vm->nvcpus,
	    vm->nvcpus == 1 ? "" : "s");
	if (vm->cfg.verbose)
		cairn_log(vm->env, "boot at 0x%llx, vCPU mapping %zu bytes, %u "
		    "CPUID entries, ACPI at 0x%llx, ROM 0x%llx+0x%llx",
		    (unsigned long long)vm->boot.entry, vm->run_size,
		    vm->cpuid->nent, (unsigned long long)ACPI_GPA,
		    (unsigned long long)vm->rom_gpa,
		    (unsigned long long)vm->rom_size);
out:
	cairn_rom_close(vm->env, &kernel);
	return r;
}

/* Name the vCPU threads at core, so that tracing can find them. */
static void
register_thread(struct vm *vm, unsigned id)
{
	struct pd_thread_args a;
	struct pd_thread_res res;

	memset(&a, 0, sizeof(a));
	snprintf(a.name, sizeof(a.name), "vcpu%u", id);
	if (rpc_call_simple(vm->env->pd, PD_THREAD, &a, sizeof(a), &res,
	    sizeof(res)) != RPC_OK)
		cairn_warn(vm->env, "registering thread '%s' failed", a.name);
}

void
construct(struct cairn_env *env)
{
	static struct vm vm;
	unsigned i;

	vm.env = env;
	vm.fd = -1;
	vm.stop_cap = -1;
	pthread_mutex_init(&vm.lock, NULL);
	vm.stop_sig = cairn_sig_create(env->ep, on_stop, &vm);
	if (vm.stop_sig == NULL || (vm.stop_cap = cairn_sig_cap(vm.stop_sig)) < 0) {
		cairn_error(env, "no stop signal");
		cairn_exit(env, VMM_EXIT_SETUP);
	}
	if (setup(&vm) < 0)
		cairn_exit(env, VMM_EXIT_SETUP);
	for (i = 0; i < vm.nvcpus; i++)
		register_thread(&vm, i);
	/*
	 * From here on vCPU threads use the LOG session: the entrypoint logs
	 * again only after joining them.
	 */
	for (i = 0; i < vm.nvcpus; i++)
		if (vcpu_start(&vm, &vm.vcpus[i]) < 0) {
			vm_stop(&vm, VMM_EXIT_SETUP, "Error: vcpu %u could not "
			    "start", i);
			return;
		}
}
