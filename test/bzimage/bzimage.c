/*
 * Tests of the vmm's boot-protocol header code (app/vmm/bzimage.c, linked
 * alone): the setup headers of the kernels the vmm's scenarios boot, every
 * refusal, and, given files as arguments, real kernels.
 * SPDX-License-Identifier: MIT
 *
 * The headers are the field values of Debian 12's images as the protocol
 * names them (linux-image-6.1.0-56-cloud-amd64's vmlinuz, memtest86+ 6.10's
 * memtest86+x64.bin, ipxe 1.0.0+git-20190125's ipxe.lkrn), written into
 * an otherwise empty image. Usage: test_bzimage [KERNEL...]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bzimage.h"
#include "../test.h"

T_STATE_DEFINE;

#define MiB (1ull << 20)

static uint8_t *img;		/* the image under test */
static size_t img_size;
static const char *file;	/* for t_file */
static char why[200];

static void
put(unsigned off, uint64_t v, unsigned len)
{
	unsigned i;

	for (i = 0; i < len; i++)
		img[off + i] = (uint8_t)(v >> (8 * i));
}

static uint64_t
get(const uint8_t *p, unsigned off, unsigned len)
{
	uint64_t v = 0;

	while (len-- > 0)
		v = v << 8 | p[off + len];
	return v;
}

/* A header as every modern one starts: boot flag, jump, "HdrS". */
static void
header(size_t size, unsigned sects, uint16_t version, unsigned jump)
{
	free(img);
	img = calloc(1, size);
	img_size = size;
	img[HDR_SETUP_SECTS] = (uint8_t)sects;
	put(HDR_BOOT_FLAG, 0xaa55, 2);
	img[HDR_JUMP] = 0xeb;
	img[HDR_JUMP + 1] = (uint8_t)jump;
	memcpy(img + HDR_MAGIC, "HdrS", 4);
	put(HDR_VERSION, version, 2);
	img[HDR_LOADFLAGS] = LOADED_HIGH;
	put(HDR_CODE32_START, BZ_LOW_LOAD, 4);
}

/* Debian 12's cloud kernel, 6.1.0-56-cloud-amd64: protocol 2.15. */
static void
debian_vmlinuz(void)
{
	header(14186432, 39, 0x020f, 0x6a);
	put(HDR_INITRD_MAX, 0x7fffffff, 4);
	put(HDR_KERNEL_ALIGN, 0x200000, 4);
	img[HDR_RELOCATABLE] = 1;
	img[HDR_RELOCATABLE + 1] = 21;		/* min_alignment */
	put(HDR_XLOADFLAGS, 0x7f, 2);
	put(HDR_CMDLINE_SIZE, 0x7ff, 4);
	put(HDR_PREF_ADDRESS, 0x1000000, 8);
	put(HDR_INIT_SIZE, 0x3378000, 4);
}

/* memtest86+ 6.10, memtest86+x64.bin: protocol 2.12, not relocatable. */
static void
memtest(void)
{
	header(144312, 2, 0x020c, 0x6a);
	put(HDR_INITRD_MAX, 0xffffffff, 4);
	put(HDR_KERNEL_ALIGN, 0x1000, 4);
	put(HDR_XLOADFLAGS, 0x09, 2);
	put(HDR_CMDLINE_SIZE, 0xff, 4);
	put(HDR_PREF_ADDRESS, 0x100000, 8);
	put(HDR_INIT_SIZE, 0x6acf8, 4);
}

/* iPXE's ipxe.lkrn: protocol 2.07 with no 32-bit entry. */
static void
ipxe(void)
{
	header(306521, 5, 0x0207, 0x32);
	put(HDR_CODE32_START, 0, 4);
	put(HDR_INITRD_MAX, 0xffffffff, 4);
	put(HDR_CMDLINE_SIZE, 0x7ff, 4);
}

static void
t_debian_parse(void)
{
	struct bzimage bz;

	debian_vmlinuz();
	T_CHECK(bzimage_parse(img, img_size, &bz, why, sizeof(why)) == 0);
	T_CHECK(bz.version == 0x020f);
	T_CHECK(bz.setup_size == 40 * 512);
	T_CHECK(bz.kernel_size == img_size - 40 * 512);
	T_CHECK(bz.hdr_end == 0x26c);
	T_CHECK(bz.relocatable && bz.align == 0x200000);
	T_CHECK(bz.need == 0x3378000);
	T_CHECK(bz.initrd_max == 0x7fffffff);
	T_CHECK(bz.cmdline_max == 2047);
	T_CHECK(bz.pref == 0x1000000);
	T_CHECK(bz.xloadflags & XLF_KERNEL_64);
}

static void
t_debian_place(void)
{
	struct bzimage bz;
	struct bzimage_plan p;

	debian_vmlinuz();
	T_CHECK(bzimage_parse(img, img_size, &bz, why, sizeof(why)) == 0);
	/* Room at pref_address: load there, enter at the 64-bit entry. */
	T_CHECK(bzimage_place(&bz, 256 * MiB, 3 * MiB + 5, true, &p, why,
	    sizeof(why)) == 0);
	T_CHECK(p.load == 16 * MiB && p.lm64 && p.entry == 16 * MiB + 0x200);
	T_CHECK(p.initrd == ((256 * MiB - 3 * MiB - 5) & ~0xfffull));
	/* No room there: the lowest 2 MiB-aligned address. */
	T_CHECK(bzimage_place(&bz, 64 * MiB, 0, true, &p, why,
	    sizeof(why)) == 0);
	T_CHECK(p.load == 2 * MiB && p.entry == 2 * MiB + 0x200);
	/* The 32-bit entry moves with the kernel. */
	T_CHECK(bzimage_place(&bz, 64 * MiB, 0, false, &p, why,
	    sizeof(why)) == 0);
	T_CHECK(!p.lm64 && p.entry == 2 * MiB);
	/* The initrd stays below initrd_addr_max, 2 GiB. */
	T_CHECK(bzimage_place(&bz, 3072 * MiB, 4096, true, &p, why,
	    sizeof(why)) == 0);
	T_CHECK(p.initrd == 0x80000000ull - 4096);
}

static void
t_debian_too_small(void)
{
	struct bzimage bz;
	struct bzimage_plan p;

	debian_vmlinuz();
	T_CHECK(bzimage_parse(img, img_size, &bz, why, sizeof(why)) == 0);
	T_CHECK(bzimage_place(&bz, 48 * MiB, 0, true, &p, why,
	    sizeof(why)) == -E2BIG);
	T_CHECKF(strcmp(why, "needs 53968896 bytes (init_size) from 0x200000; "
	    "the guest has 48 MiB of RAM there") == 0, "%s", why);
	/* The kernel fits, but not a 16 MiB initrd above it. */
	T_CHECK(bzimage_place(&bz, 64 * MiB, 16 * MiB, true, &p, why,
	    sizeof(why)) == -E2BIG);
	T_CHECKF(strcmp(why, "initrd of 16777216 bytes does not fit between "
	    "the kernel's end 0x3578000 and 0x4000000") == 0, "%s", why);
}

static void
t_zero_page(void)
{
	struct bzimage bz;
	struct bzimage_plan p;
	uint8_t zp[4096];

	debian_vmlinuz();
	T_CHECK(bzimage_parse(img, img_size, &bz, why, sizeof(why)) == 0);
	T_CHECK(bzimage_place(&bz, 256 * MiB, 8192, true, &p, why,
	    sizeof(why)) == 0);
	memset(zp, 0xcc, sizeof(zp));
	bzimage_zero_page(&bz, img, &p, zp, 0x20000, 8192);
	T_CHECK(zp[0] == 0 && zp[HDR_START - 1] == 0 && zp[0x26c] == 0 &&
	    zp[4095] == 0);
	T_CHECK(get(zp, HDR_VERSION, 2) == 0x020f);
	T_CHECK(memcmp(zp + HDR_MAGIC, "HdrS", 4) == 0);
	T_CHECK(get(zp, HDR_INIT_SIZE, 4) == 0x3378000);
	T_CHECK(zp[HDR_LOADER] == 0xff);
	T_CHECK(get(zp, HDR_VID_MODE, 2) == 0xffff);
	T_CHECK(get(zp, HDR_CMDLINE, 4) == 0x20000);
	T_CHECK(get(zp, HDR_RAMDISK, 4) == p.initrd);
	T_CHECK(get(zp, HDR_RAMDISK_SIZE, 4) == 8192);
	/* 64-bit entry: code32_start is left as the kernel has it. */
	T_CHECK(get(zp, HDR_CODE32_START, 4) == BZ_LOW_LOAD);
}

static void
t_memtest(void)
{
	struct bzimage bz;
	struct bzimage_plan p;

	memtest();
	T_CHECK(bzimage_parse(img, img_size, &bz, why, sizeof(why)) == 0);
	T_CHECK(!bz.relocatable && bz.need == 0x6acf8 && bz.cmdline_max == 255);
	T_CHECK(bzimage_place(&bz, 64 * MiB, 0, true, &p, why,
	    sizeof(why)) == 0);
	T_CHECK(p.load == BZ_LOW_LOAD && p.lm64 && p.entry == 0x100200);
	T_CHECK(bzimage_place(&bz, 64 * MiB, 0, false, &p, why,
	    sizeof(why)) == 0);
	T_CHECK(!p.lm64 && p.entry == BZ_LOW_LOAD);
}

static void
t_ipxe(void)
{
	struct bzimage bz;
	struct bzimage_plan p;

	ipxe();
	T_CHECK(bzimage_parse(img, img_size, &bz, why, sizeof(why)) == 0);
	T_CHECK(bz.version == 0x0207 && bz.code32 == 0 && bz.xloadflags == 0);
	T_CHECK(bz.setup_size == 6 * 512 && bz.need == img_size - 6 * 512);
	T_CHECK(bzimage_place(&bz, 64 * MiB, 0, true, &p, why,
	    sizeof(why)) == -EINVAL);
	T_CHECKF(strcmp(why, "no 32-bit entry (code32_start 0x0): it needs "
	    "its real-mode setup, i.e. a BIOS (attribute 'bios')") == 0, "%s",
	    why);
}

static void
t_setup_header(void)
{
	struct bzimage bz;
	uint8_t setup[6 * 512];

	ipxe();
	T_CHECK(bzimage_parse(img, img_size, &bz, why, sizeof(why)) == 0);
	memcpy(setup, img, sizeof(setup));
	bzimage_setup_header(&bz, setup, 0x10000, 0x20000, 0x7f00000, 12345);
	T_CHECK(setup[HDR_LOADER] == 0xff);
	T_CHECK(setup[HDR_LOADFLAGS] == (LOADED_HIGH | CAN_USE_HEAP));
	T_CHECK(get(setup, HDR_HEAP_END, 2) == 0xfe00);
	T_CHECK(get(setup, HDR_CMDLINE, 4) == 0x20000);
	T_CHECK(get(setup, HDR_RAMDISK, 4) == 0x7f00000);
	T_CHECK(get(setup, HDR_RAMDISK_SIZE, 4) == 12345);
	T_CHECK(get(setup, HDR_VERSION, 2) == 0x0207);
}

static void
t_refusals(void)
{
	struct bzimage bz;

	debian_vmlinuz();
	img[HDR_MAGIC] = 'X';
	T_CHECK(bzimage_parse(img, img_size, &bz, why, sizeof(why)) ==
	    -EINVAL);
	T_CHECKF(strcmp(why, "no Linux setup header (boot flag 0xaa55 and "
	    "\"HdrS\")") == 0, "%s", why);
	debian_vmlinuz();
	put(HDR_VERSION, 0x0203, 2);
	T_CHECK(bzimage_parse(img, img_size, &bz, why, sizeof(why)) ==
	    -EINVAL);
	T_CHECKF(strcmp(why, "boot protocol 2.03; 2.04 or later and a bzImage "
	    "are needed") == 0, "%s", why);
	debian_vmlinuz();
	img[HDR_LOADFLAGS] = 0;
	T_CHECK(bzimage_parse(img, img_size, &bz, why, sizeof(why)) ==
	    -EINVAL);
	T_CHECKF(strcmp(why, "boot protocol 2.15 (zImage); 2.04 or later and "
	    "a bzImage are needed") == 0, "%s", why);
	debian_vmlinuz();
	img_size = 40 * 512;
	T_CHECK(bzimage_parse(img, img_size, &bz, why, sizeof(why)) ==
	    -EINVAL);
	T_CHECKF(strcmp(why, "39 setup sectors do not fit the 20480-byte "
	    "file") == 0, "%s", why);
	debian_vmlinuz();
	put(HDR_KERNEL_ALIGN, 0x300000, 4);
	T_CHECK(bzimage_parse(img, img_size, &bz, why, sizeof(why)) ==
	    -EINVAL);
	T_CHECKF(strcmp(why, "relocatable, but kernel_alignment 0x300000 is "
	    "not a power of two up to 1 GiB") == 0, "%s", why);
	T_CHECK(bzimage_parse(img, 0x3ff, &bz, why, sizeof(why)) == -EINVAL);
}

/* Fields beyond the header's own length are not read. */
static void
t_short_header(void)
{
	struct bzimage bz;

	debian_vmlinuz();
	img[HDR_JUMP + 1] = 0x5c;	/* header ends at 0x25e */
	T_CHECK(bzimage_parse(img, img_size, &bz, why, sizeof(why)) == 0);
	T_CHECK(bz.need == bz.kernel_size);	/* no init_size */
	T_CHECK(bz.pref == BZ_LOW_LOAD);	/* no pref_address */
	T_CHECK(bz.xloadflags == 0x7f && bz.cmdline_max == 2047);
	/* setup_sects 0 means 4; the longest header still fits. */
	debian_vmlinuz();
	img[HDR_SETUP_SECTS] = 0;
	img[HDR_JUMP + 1] = 0xff;
	T_CHECK(bzimage_parse(img, img_size, &bz, why, sizeof(why)) == 0);
	T_CHECK(bz.setup_size == 5 * 512 && bz.hdr_end == 0x301);
}

/* A real kernel: it parses and places in 1 GiB the way its header says. */
static void
t_file(void)
{
	struct bzimage bz;
	struct bzimage_plan p;
	FILE *f = fopen(file, "rb");
	long n;

	T_CHECKF(f != NULL, "%s: %s", file, strerror(errno));
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	free(img);
	img = malloc((size_t)n);
	img_size = (size_t)n;
	T_CHECK(img != NULL && fread(img, 1, img_size, f) == img_size);
	fclose(f);
	T_CHECKF(bzimage_parse(img, img_size, &bz, why, sizeof(why)) == 0,
	    "%s", why);
	printf("# %s: protocol %u.%02u, loadflags 0x%02x, xloadflags 0x%x, "
	    "relocatable %d, alignment 0x%x, init_size 0x%llx, "
	    "initrd_addr_max 0x%llx, cmdline_size %u\n", file,
	    bz.version >> 8, bz.version & 0xff, bz.loadflags, bz.xloadflags,
	    bz.relocatable, bz.align, (unsigned long long)bz.need,
	    (unsigned long long)bz.initrd_max, bz.cmdline_max);
	if (bz.code32 == 0 && !(bz.xloadflags & XLF_KERNEL_64)) {
		T_CHECK(bzimage_place(&bz, 1024 * MiB, 0, true, &p, why,
		    sizeof(why)) == -EINVAL);
		return;
	}
	T_CHECKF(bzimage_place(&bz, 1024 * MiB, MiB, true, &p, why,
	    sizeof(why)) == 0, "%s", why);
	T_CHECK(p.lm64 == (bz.version >= 0x020c &&
	    (bz.xloadflags & XLF_KERNEL_64)));
	T_CHECK(!bz.relocatable || p.load % bz.align == 0);
	T_CHECK(p.initrd >= p.load + bz.need && p.initrd % 4096 == 0 &&
	    p.initrd + MiB - 1 <= bz.initrd_max);
	printf("# %s: loaded at 0x%llx, %s entry 0x%llx, initrd at 0x%llx\n",
	    file, (unsigned long long)p.load, p.lm64 ? "64-bit" : "32-bit",
	    (unsigned long long)p.entry, (unsigned long long)p.initrd);
}

int
main(int argc, char **argv)
{
	int i;

	T_RUN("bzimage-001", "Debian's cloud kernel header parses", t_debian_parse);
	T_RUN("bzimage-002", "it is placed at pref_address or aligned, "
	    "64-bit entry", t_debian_place);
	T_RUN("bzimage-003", "too little RAM for init_size or the initrd",
	    t_debian_too_small);
	T_RUN("bzimage-004", "the zero page", t_zero_page);
	T_RUN("bzimage-005", "memtest86+: 1 MiB, 64-bit entry at +0x200",
	    t_memtest);
	T_RUN("bzimage-006", "ipxe.lkrn has no 32-bit entry", t_ipxe);
	T_RUN("bzimage-007", "setup header for the 16-bit protocol",
	    t_setup_header);
	T_RUN("bzimage-008", "refusals", t_refusals);
	T_RUN("bzimage-009", "fields past the header's end are not read",
	    t_short_header);
	for (i = 1; i < argc; i++) {
		file = argv[i];
		T_RUN("bzimage-file", file, t_file);
	}
	free(img);
	return t_done();
}
