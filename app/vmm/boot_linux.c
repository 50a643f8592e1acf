/*
 * vmm: the Linux x86 boot protocol (Documentation/arch/x86/boot.rst) for
 * bzImage kernels and what boots like one, entered at the 64-bit entry if
 * the kernel has one, else at the 32-bit entry.
 * SPDX-License-Identifier: MIT
 *
 * We are the boot loader: the protected-mode part of the bzImage goes where
 * bzimage_place() says (a relocatable kernel at its preferred address or
 * aligned as it asks, any other at 1 MiB), the setup header is copied into
 * a zero page (boot_params) that also carries the e820 map, the command
 * line and initrd addresses and the RSDP, and the BSP starts with RSI
 * pointing at the zero page, interrupts off: in long mode with the first
 * 4 GiB identity-mapped and a GDT whose 0x10 is 64-bit code and 0x18 data
 * (the 64-bit protocol), or in flat protected mode with 0x10 32-bit code.
 * The real-mode setup code is never run, so no BIOS is needed; a kernel
 * without a 32-bit entry (code32_start 0, as iPXE's .lkrn) needs bios.c.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bzimage.h"
#include "vmm.h"

/* The 64-bit protocol's GDT: __BOOT_CS 0x10 (64-bit), __BOOT_DS 0x18. */
#define LINUX64_GDT_GPA	(GDT_GPA + 0x100)

bool
boot_is_bzimage(const void *img, size_t size)
{
	const uint8_t *p = img;

	return size >= 0x1000 && p[HDR_BOOT_FLAG] == 0x55 &&
	    p[HDR_BOOT_FLAG + 1] == 0xaa && memcmp(p + HDR_MAGIC, "HdrS", 4) == 0;
}

int
boot_linux(struct vm *vm, const void *image, size_t size, const void *initrd,
    size_t initrd_size)
{
	static const uint64_t gdt64[] = {
		0,
		0,
		0x00af9b000000ffffull,	/* 0x10: code, 64-bit */
		0x00cf93000000ffffull,	/* 0x18: data, flat */
	};
	const uint8_t *img = image;
	uint64_t low = vm->ram_size < LOW_RAM_END ? vm->ram_size : LOW_RAM_END;
	uint64_t rsdp = ACPI_GPA;	/* little-endian, as the guest */
	struct bzimage bz;
	struct bzimage_plan plan;
	char why[160];
	uint8_t *zp, *dst;
	int r;

	/* Decode: everything the image claims is checked before loading. */
	if ((r = bzimage_parse(img, size, &bz, why, sizeof(why))) < 0 ||
	    (r = bzimage_place(&bz, low, initrd_size, true, &plan, why,
	    sizeof(why))) < 0) {
		cairn_error(vm->env, "kernel '%s'%s%s: %s", vm->cfg.kernel,
		    initrd_size ? " with initrd " : "",
		    initrd_size ? vm->cfg.initrd : "", why);
		return r;
	}
	dst = gpa_ptr(vm, plan.load, bz.need);
	if (dst == NULL || initrd_size > UINT32_MAX) {
		cairn_error(vm->env, "kernel '%s' does not fit guest RAM",
		    vm->cfg.kernel);
		return -E2BIG;
	}
	if (strlen(vm->cfg.cmdline) > bz.cmdline_max) {
		cairn_error(vm->env, "config: attribute 'cmdline' is %zu bytes "
		    "long; kernel '%s' takes at most %u", strlen(vm->cfg.cmdline),
		    vm->cfg.kernel, bz.cmdline_max);
		return -EINVAL;
	}

	/* Invoke. */
	memcpy(dst, img + bz.setup_size, bz.kernel_size);
	if (initrd_size > 0)
		memcpy(gpa_ptr(vm, plan.initrd, initrd_size), initrd,
		    initrd_size);
	zp = gpa_ptr(vm, ZERO_PAGE_GPA, 4096);
	bzimage_zero_page(&bz, img, &plan, zp, CMDLINE_GPA,
	    (uint32_t)initrd_size);
	memcpy(zp + BP_ACPI_RSDP, &rsdp, sizeof(rsdp));
	zp[BP_E820_ENTRIES] = (uint8_t)memory_e820(vm, zp + BP_E820_TABLE,
	    BP_E820_MAX);
	snprintf(gpa_ptr(vm, CMDLINE_GPA, CMDLINE_MAX), CMDLINE_MAX, "%s",
	    vm->cfg.cmdline);
	vm->boot.entry = plan.entry;
	vm->boot.rsi = ZERO_PAGE_GPA;
	if (plan.lm64) {
		memcpy(gpa_ptr(vm, LINUX64_GDT_GPA, sizeof(gdt64)), gdt64,
		    sizeof(gdt64));
		vm->boot.mode = BOOT_LM64;
		vm->boot.gdt = LINUX64_GDT_GPA;
		vm->boot.cs = 0x10;
		vm->boot.kind = "bzImage, 64-bit entry";
	} else {
		vm->boot.mode = BOOT_PM32;
		vm->boot.kind = "bzImage, 32-bit entry";
	}
	return 0;
}
