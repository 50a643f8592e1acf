/*
 * vmm: the Linux x86 boot protocol's setup header: checking it, placing
 * kernel and initrd, filling the zero page (Documentation/arch/x86/boot.rst).
 * SPDX-License-Identifier: MIT
 *
 * Pure functions over buffers: boot_linux.c and bios.c do the loading, a
 * unit test (test/vmm/bzimage.c) holds these against real kernels' headers.
 * Every field is read only if the header's version has it and the header,
 * as long as its jump instruction says, covers it.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bzimage.h"

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

/* Does the header hold the field [off, off+len) of a version >= min? */
static bool
has(const struct bzimage *bz, uint16_t min, unsigned off, unsigned len)
{
	return bz->version >= min && off + len <= bz->hdr_end;
}

int
bzimage_parse(const void *image, size_t size, struct bzimage *bz, char *why,
    size_t whylen)
{
	const uint8_t *img = image;
	unsigned sects;

	memset(bz, 0, sizeof(*bz));
	if (size < 0x400 || get16(img, HDR_BOOT_FLAG) != 0xaa55 ||
	    memcmp(img + HDR_MAGIC, "HdrS", 4) != 0) {
		snprintf(why, whylen, "no Linux setup header (boot flag 0xaa55 "
		    "and \"HdrS\")");
		return -EINVAL;
	}
	bz->version = get16(img, HDR_VERSION);
	bz->loadflags = img[HDR_LOADFLAGS];
	if (bz->version < 0x0204 || !(bz->loadflags & LOADED_HIGH)) {
		snprintf(why, whylen, "boot protocol %u.%02u%s; 2.04 or later "
		    "and a bzImage are needed", bz->version >> 8,
		    bz->version & 0xff, bz->loadflags & LOADED_HIGH ? "" :
		    " (zImage)");
		return -EINVAL;
	}
	sects = img[HDR_SETUP_SECTS] ? img[HDR_SETUP_SECTS] : 4;
	bz->setup_size = (sects + 1) * 512ul;
	bz->hdr_end = HDR_MAGIC + img[HDR_JUMP + 1];
	if (bz->setup_size >= size || bz->hdr_end > bz->setup_size) {
		snprintf(why, whylen, "%u setup sectors do not fit the "
		    "%zu-byte file", sects, size);
		return -EINVAL;
	}
	bz->kernel_size = size - bz->setup_size;
	bz->need = bz->kernel_size;
	if (has(bz, 0x020a, HDR_INIT_SIZE, 4) &&
	    get32(img, HDR_INIT_SIZE) > bz->need)
		bz->need = get32(img, HDR_INIT_SIZE);
	bz->code32 = get32(img, HDR_CODE32_START);
	bz->relocatable = has(bz, 0x0205, HDR_RELOCATABLE, 1) &&
	    img[HDR_RELOCATABLE] != 0;
	bz->align = has(bz, 0x0205, HDR_KERNEL_ALIGN, 4) ?
	    get32(img, HDR_KERNEL_ALIGN) : 0;
	if (bz->relocatable && (bz->align == 0 ||
	    (bz->align & (bz->align - 1)) != 0 || bz->align > (1u << 30))) {
		snprintf(why, whylen, "relocatable, but kernel_alignment "
		    "0x%x is not a power of two up to 1 GiB", bz->align);
		return -EINVAL;
	}
	bz->pref = has(bz, 0x020a, HDR_PREF_ADDRESS, 8) ?
	    get32(img, HDR_PREF_ADDRESS) |
	    (uint64_t)get32(img, HDR_PREF_ADDRESS + 4) << 32 : BZ_LOW_LOAD;
	bz->initrd_max = has(bz, 0x0203, HDR_INITRD_MAX, 4) ?
	    get32(img, HDR_INITRD_MAX) : 0x37ffffff;
	bz->cmdline_max = has(bz, 0x0206, HDR_CMDLINE_SIZE, 4) ?
	    get32(img, HDR_CMDLINE_SIZE) : 255;
	bz->xloadflags = has(bz, 0x020c, HDR_XLOADFLAGS, 2) ?
	    get16(img, HDR_XLOADFLAGS) : 0;
	return 0;
}

int
bzimage_place(const struct bzimage *bz, uint64_t ram_end,
    uint64_t initrd_size, bool want_lm64, struct bzimage_plan *plan,
    char *why, size_t whylen)
{
	uint64_t load = BZ_LOW_LOAD, top;

	memset(plan, 0, sizeof(*plan));
	if (bz->relocatable) {
		if (bz->pref >= BZ_LOW_LOAD && bz->pref % bz->align == 0 &&
		    bz->pref < ram_end && bz->need <= ram_end - bz->pref)
			load = bz->pref;
		else
			load = (BZ_LOW_LOAD + bz->align - 1) &
			    ~(uint64_t)(bz->align - 1);
	}
	if (load >= ram_end || bz->need > ram_end - load) {
		snprintf(why, whylen, "needs %llu bytes (init_size) from "
		    "0x%llx; the guest has %llu MiB of RAM there",
		    (unsigned long long)bz->need, (unsigned long long)load,
		    (unsigned long long)(ram_end >> 20));
		return -E2BIG;
	}
	plan->load = load;
	plan->lm64 = want_lm64 && bz->version >= 0x020c &&
	    (bz->xloadflags & XLF_KERNEL_64);
	if (plan->lm64) {
		plan->entry = load + 0x200;
	} else if (bz->code32 >= BZ_LOW_LOAD &&
	    bz->code32 - BZ_LOW_LOAD < bz->kernel_size) {
		plan->entry = load + (bz->code32 - BZ_LOW_LOAD);
	} else {
		snprintf(why, whylen, "no 32-bit entry (code32_start 0x%x): "
		    "it needs its real-mode setup, i.e. a BIOS (attribute "
		    "'bios')", bz->code32);
		return -EINVAL;
	}
	if (initrd_size == 0)
		return 0;
	top = bz->initrd_max < ram_end - 1 ? bz->initrd_max + 1 : ram_end;
	if (initrd_size < top)
		plan->initrd = (top - initrd_size) & ~0xfffull;
	if (plan->initrd < load + bz->need) {
		snprintf(why, whylen, "initrd of %llu bytes does not fit "
		    "between the kernel's end 0x%llx and 0x%llx",
		    (unsigned long long)initrd_size,
		    (unsigned long long)(load + bz->need),
		    (unsigned long long)top);
		plan->initrd = 0;
		return -E2BIG;
	}
	return 0;
}

void
bzimage_zero_page(const struct bzimage *bz, const void *img,
    const struct bzimage_plan *plan, uint8_t *zp, uint32_t cmdline,
    uint32_t initrd_size)
{
	memset(zp, 0, 4096);
	memcpy(zp + HDR_START, (const uint8_t *)img + HDR_START,
	    bz->hdr_end - HDR_START);
	zp[HDR_LOADER] = 0xff;			/* undefined boot loader */
	put16(zp, HDR_VID_MODE, 0xffff);	/* "normal" */
	if (!plan->lm64)
		put32(zp, HDR_CODE32_START, (uint32_t)plan->entry);
	put32(zp, HDR_CMDLINE, cmdline);
	put32(zp, HDR_RAMDISK, (uint32_t)plan->initrd);
	put32(zp, HDR_RAMDISK_SIZE, initrd_size);
}

void
bzimage_setup_header(const struct bzimage *bz, uint8_t *setup,
    uint32_t setup_addr, uint32_t cmdline, uint32_t initrd,
    uint32_t initrd_size)
{
	(void)bz;
	setup[HDR_LOADER] = 0xff;
	setup[HDR_LOADFLAGS] |= CAN_USE_HEAP;
	/* The heap ends where the command line starts (offset from setup). */
	put16(setup, HDR_HEAP_END, (uint16_t)(cmdline - setup_addr - 0x200));
	put32(setup, HDR_CMDLINE, cmdline);
	put32(setup, HDR_RAMDISK, initrd);
	put32(setup, HDR_RAMDISK_SIZE, initrd_size);
}
