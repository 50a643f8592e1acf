/*
 * vmm: the Linux x86 boot protocol (Documentation/arch/x86/boot.rst) for
 * bzImage kernels and what boots like one, entered at the 32-bit entry.
 * SPDX-License-Identifier: MIT
 *
 * We are the boot loader: the protected-mode part of the bzImage goes to
 * 1 MiB, the setup header is copied into a zero page (boot_params) that
 * also carries the e820 map, the command line and initrd addresses and the
 * RSDP, and the BSP starts at code32_start in flat protected mode with ESI
 * pointing at the zero page. The real-mode setup code is never run, so no
 * BIOS is needed.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "vmm.h"

/* Offsets into the zero page (struct boot_params) and the setup header. */
#define BP_ACPI_RSDP	0x070
#define BP_E820_ENTRIES	0x1e8
#define BP_E820_TABLE	0x2d0
#define BP_E820_MAX	128
#define HDR_START	0x1f1
#define HDR_SETUP_SECTS	0x1f1
#define HDR_VID_MODE	0x1fa
#define HDR_BOOT_FLAG	0x1fe
#define HDR_JUMP	0x200
#define HDR_MAGIC	0x202
#define HDR_VERSION	0x206
#define HDR_LOADER	0x210
#define HDR_LOADFLAGS	0x211
#define HDR_RAMDISK	0x218
#define HDR_RAMDISK_SIZE 0x21c
#define HDR_CMDLINE	0x228
#define HDR_INITRD_MAX	0x22c
#define HDR_CMDLINE_SIZE 0x238
#define HDR_INIT_SIZE	0x260

#define LOADED_HIGH	0x01

static uint16_t
get16(const uint8_t *p, unsigned off)
{
	return (uint16_t)(p[off] | p[off + 1] << 8);
}

static uint32_t
get32(const uint8_t *p, unsigned off)
{
	return get16(p, off) | (uint32_t)get16(p, off + 2) << 16;
}

static void
put16(uint8_t *p, unsigned off, uint16_t v)
{
	p[off] = (uint8_t)v;
	p[off + 1] = (uint8_t)(v >> 8);
}

static void
put32(uint8_t *p, unsigned off, uint32_t v)
{
	put16(p, off, (uint16_t)v);
	put16(p, off + 2, (uint16_t)(v >> 16));
}

bool
boot_is_bzimage(const void *img, size_t size)
{
	const uint8_t *p = img;

	return size >= 0x1000 && get16(p, HDR_BOOT_FLAG) == 0xaa55 &&
	    memcmp(p + HDR_MAGIC, "HdrS", 4) == 0;
}

int
boot_linux(struct vm *vm, const void *image, size_t size, const void *initrd,
    size_t initrd_size)
{
	const uint8_t *img = image;
	uint16_t version = get16(img, HDR_VERSION);
	unsigned sects = img[HDR_SETUP_SECTS] ? img[HDR_SETUP_SECTS] : 4;
	size_t setup = (sects + 1) * 512ul, hdr_end, kernel, need;
	uint64_t low = vm->ram_size < LOW_RAM_END ? vm->ram_size : LOW_RAM_END;
	uint64_t rd_max, rd = 0;
	uint32_t cmdline_max;
	uint8_t *zp, *dst;

	/* Decode: everything the image claims is checked before loading. */
	hdr_end = HDR_MAGIC + img[HDR_JUMP + 1];
	if (version < 0x0204 || !(img[HDR_LOADFLAGS] & LOADED_HIGH)) {
		cairn_error(vm->env, "kernel '%s': boot protocol %u.%02u%s; "
		    "2.04 or later and a bzImage are needed", vm->cfg.kernel,
		    version >> 8, version & 0xff,
		    img[HDR_LOADFLAGS] & LOADED_HIGH ? "" : " (zImage)");
		return -EINVAL;
	}
	if (setup >= size || hdr_end > 0x1000) {
		cairn_error(vm->env, "kernel '%s': %u setup sectors do not "
		    "fit the %zu-byte file", vm->cfg.kernel, sects, size);
		return -EINVAL;
	}
	kernel = size - setup;
	need = kernel;
	if (version >= 0x020a && get32(img, HDR_INIT_SIZE) > need)
		need = get32(img, HDR_INIT_SIZE);
	dst = gpa_ptr(vm, KERNEL_GPA, need);
	if (dst == NULL) {
		cairn_error(vm->env, "kernel '%s' needs %zu bytes above 1 MiB; "
		    "the guest has %llu MiB of RAM", vm->cfg.kernel, need,
		    (unsigned long long)(vm->ram_size >> 20));
		return -EINVAL;
	}
	cmdline_max = version >= 0x0206 ? get32(img, HDR_CMDLINE_SIZE) : 255;
	if (strlen(vm->cfg.cmdline) > cmdline_max) {
		cairn_error(vm->env, "config: attribute 'cmdline' is %zu bytes "
		    "long; kernel '%s' takes at most %u", strlen(vm->cfg.cmdline),
		    vm->cfg.kernel, cmdline_max);
		return -EINVAL;
	}
	if (initrd_size > 0) {
		rd_max = version >= 0x0203 ? get32(img, HDR_INITRD_MAX) :
		    0x37ffffff;
		if (rd_max >= low)
			rd_max = low - 1;
		if (initrd_size <= rd_max + 1)
			rd = (rd_max + 1 - initrd_size) & ~0xfffull;
		if (rd < KERNEL_GPA + need) {
			cairn_error(vm->env, "initrd '%s' (%zu bytes) does not "
			    "fit below 0x%llx above the kernel", vm->cfg.initrd,
			    initrd_size, (unsigned long long)rd_max);
			return -EINVAL;
		}
	}

	/* Invoke. */
	memcpy(dst, img + setup, kernel);
	if (initrd_size > 0)
		memcpy(gpa_ptr(vm, rd, initrd_size), initrd, initrd_size);
	zp = gpa_ptr(vm, ZERO_PAGE_GPA, 4096);
	memset(zp, 0, 4096);
	memcpy(zp + HDR_START, img + HDR_START, hdr_end - HDR_START);
	zp[HDR_LOADER] = 0xff;		/* undefined boot loader */
	put16(zp, HDR_VID_MODE, 0xffff);	/* "normal" */
	put32(zp, HDR_CMDLINE, CMDLINE_GPA);
	put32(zp, HDR_RAMDISK, (uint32_t)rd);
	put32(zp, HDR_RAMDISK_SIZE, (uint32_t)initrd_size);
	put32(zp, BP_ACPI_RSDP, ACPI_GPA);
	zp[BP_E820_ENTRIES] = (uint8_t)memory_e820(vm, zp + BP_E820_TABLE,
	    BP_E820_MAX);
	snprintf(gpa_ptr(vm, CMDLINE_GPA, CMDLINE_MAX), CMDLINE_MAX, "%s",
	    vm->cfg.cmdline);
	vm->boot.mode = BOOT_PM32;
	vm->boot.entry = KERNEL_GPA;
	vm->boot.rsi = ZERO_PAGE_GPA;
	vm->boot.kind = "bzImage";
	return 0;
}
