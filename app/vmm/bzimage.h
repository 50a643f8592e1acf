/*
 * vmm: the Linux x86 boot protocol's setup header, read and placed
 * without touching a VM (Documentation/arch/x86/boot.rst), so that a unit
 * test can hold it against real kernels.
 * SPDX-License-Identifier: MIT
 */
#ifndef BZIMAGE_H
#define BZIMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Offsets into the zero page (struct boot_params) and the setup header. */
#define BP_ACPI_RSDP		0x070
#define BP_E820_ENTRIES		0x1e8
#define BP_E820_TABLE		0x2d0
#define BP_E820_MAX		128
#define HDR_START		0x1f1
#define HDR_SETUP_SECTS		0x1f1
#define HDR_VID_MODE		0x1fa
#define HDR_BOOT_FLAG		0x1fe
#define HDR_JUMP		0x200
#define HDR_MAGIC		0x202
#define HDR_VERSION		0x206
#define HDR_LOADER		0x210
#define HDR_LOADFLAGS		0x211
#define HDR_CODE32_START	0x214
#define HDR_RAMDISK		0x218
#define HDR_RAMDISK_SIZE	0x21c
#define HDR_HEAP_END		0x224
#define HDR_CMDLINE		0x228
#define HDR_INITRD_MAX		0x22c
#define HDR_KERNEL_ALIGN	0x230
#define HDR_RELOCATABLE		0x234
#define HDR_XLOADFLAGS		0x236
#define HDR_CMDLINE_SIZE	0x238
#define HDR_PREF_ADDRESS	0x258
#define HDR_INIT_SIZE		0x260

#define LOADED_HIGH		0x01	/* loadflags: a bzImage */
#define CAN_USE_HEAP		0x80
#define XLF_KERNEL_64		0x01	/* xloadflags: 64-bit entry at +0x200 */

#define BZ_LOW_LOAD		0x100000ull	/* the classic load address */

/* What the header says, checked (bzimage_parse). */
struct bzimage {
	uint16_t version;	/* 0x0204 is 2.04 */
	uint8_t loadflags;
	uint16_t xloadflags;	/* 0 before 2.12 */
	size_t hdr_end;		/* end of the setup header in the file */
	size_t setup_size;	/* boot sector and real-mode setup */
	size_t kernel_size;	/* the protected-mode part, after the setup */
	uint64_t need;		/* memory from the load address: init_size */
	uint32_t code32;	/* code32_start, 0 if there is no 32-bit entry */
	bool relocatable;
	uint32_t align;		/* kernel_alignment of a relocatable kernel */
	uint64_t pref;		/* pref_address (2.10+), else 1 MiB */
	uint64_t initrd_max;	/* highest byte an initrd may occupy */
	uint32_t cmdline_max;	/* longest command line, without the NUL */
};

/* Where the boot loader puts things (bzimage_place). */
struct bzimage_plan {
	uint64_t load;		/* the protected-mode part */
	uint64_t entry;		/* where the BSP starts */
	bool lm64;		/* entry is the 64-bit one, in long mode */
	uint64_t initrd;	/* 0 without an initrd */
};

/*
 * Check a bzImage's setup header: boot protocol 2.04 or later, loaded
 * high, setup and header inside the file. Returns 0, or -EINVAL with a
 * reason in `why` (without the kernel's name).
 */
int bzimage_parse(const void *img, size_t size, struct bzimage *bz,
    char *why, size_t whylen) __attribute__((warn_unused_result));

/*
 * Place the kernel in guest RAM [1 MiB, ram_end) as the protocol asks: a
 * relocatable kernel at its preferred address if it fits there, else at
 * the lowest address from 1 MiB on that kernel_alignment allows; any other
 * at 1 MiB. Entry: the 64-bit one if want_lm64 and the kernel has one
 * (2.12+, XLF_KERNEL_64), else code32_start moved with the kernel. The
 * initrd goes as high as initrd_addr_max and ram_end allow, page-aligned,
 * above the kernel's init_size. Returns 0, or -EINVAL/-E2BIG with `why`.
 */
int bzimage_place(const struct bzimage *bz, uint64_t ram_end,
    uint64_t initrd_size, bool want_lm64, struct bzimage_plan *plan,
    char *why, size_t whylen) __attribute__((warn_unused_result));

/*
 * Fill the zero page `zp` (4096 bytes, cleared here) from the image's
 * setup header as a 32- or 64-bit boot loader must: loader type 0xff,
 * normal video mode, the command line and initrd addresses. The caller
 * adds the e820 map and the RSDP.
 */
void bzimage_zero_page(const struct bzimage *bz, const void *img,
    const struct bzimage_plan *plan, uint8_t *zp, uint32_t cmdline,
    uint32_t initrd_size);

/*
 * Patch a copy of the real-mode setup (the first setup_size bytes of the
 * image) for the 16-bit boot protocol, run from a BIOS: the setup at
 * `setup_addr`, the command line at `cmdline`, the heap up to the command
 * line, the initrd, and the kernel at 1 MiB.
 */
void bzimage_setup_header(const struct bzimage *bz, uint8_t *setup,
    uint32_t setup_addr, uint32_t cmdline, uint32_t initrd,
    uint32_t initrd_size);

#endif
