/*
 * Tests of the vmm's fw_cfg device (app/vmm/fw_cfg.c) through its ports,
 * as SeaBIOS and the option ROM use it, with a buffer as guest memory; and
 * the option ROM's header (app/vmm/linuxboot.S).
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "fw_cfg.h"
#include "../test.h"

T_STATE_DEFINE;

#define MEM_SIZE	0x10000

extern const uint8_t linuxboot_rom[], linuxboot_rom_end[];

static uint8_t mem[MEM_SIZE];
static struct fw_cfg f;
static const uint8_t blob[] = "0123456789abcdef";

static void *
mem_fn(void *ctx, uint64_t gpa, uint64_t len)
{
	(void)ctx;
	if (gpa > MEM_SIZE || len > MEM_SIZE - gpa)
		return NULL;
	return mem + gpa;
}

static void
reset(void)
{
	memset(mem, 0xaa, sizeof(mem));
	fw_cfg_init(&f, mem_fn, NULL);
}

static void
out16(uint16_t port, uint16_t v)
{
	uint8_t d[2] = { (uint8_t)v, (uint8_t)(v >> 8) };

	fw_cfg_io(&f, port, 2, true, d);
}

/* A 32-bit port write of a value the guest byte-swapped (bswap; outl). */
static void
out32_be(uint16_t port, uint32_t v)
{
	uint8_t d[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16),
	    (uint8_t)(v >> 8), (uint8_t)v };

	fw_cfg_io(&f, port, 4, true, d);
}

static void
read_data(uint8_t *buf, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++)
		fw_cfg_io(&f, FW_CFG_PORT_DATA, 1, false, buf + i);
}

static void
put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t
be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

/* A DMA access structure at `at`, started by the low address write. */
static void
dma(uint32_t at, uint32_t control, uint32_t len, uint32_t addr)
{
	put_be32(mem + at, control);
	put_be32(mem + at + 4, len);
	put_be32(mem + at + 8, 0);
	put_be32(mem + at + 12, addr);
	out32_be(FW_CFG_PORT_DMA, 0);
	out32_be(FW_CFG_PORT_DMA + 4, at);
}

static void
t_signature(void)
{
	uint8_t b[8];

	reset();
	out16(FW_CFG_PORT, FW_CFG_SIGNATURE);
	read_data(b, 5);
	T_CHECK(memcmp(b, "QEMU", 4) == 0 && b[4] == 0);
	out16(FW_CFG_PORT, FW_CFG_ID);
	read_data(b, 4);
	T_CHECK(b[0] == (FW_CFG_VERSION | FW_CFG_VERSION_DMA) && b[1] == 0 &&
	    b[2] == 0 && b[3] == 0);
	/* Reselecting starts over. */
	out16(FW_CFG_PORT, FW_CFG_SIGNATURE);
	read_data(b, 1);
	T_CHECK(b[0] == 'Q');
	/* The DMA registers read as "QEMU CFG". */
	fw_cfg_io(&f, FW_CFG_PORT_DMA, 4, false, b);
	fw_cfg_io(&f, FW_CFG_PORT_DMA + 4, 4, false, b + 4);
	T_CHECK(memcmp(b, "QEMU CFG", 8) == 0);
}

static void
t_items(void)
{
	uint8_t b[20];

	reset();
	T_CHECK(fw_cfg_add_int(&f, FW_CFG_NB_CPUS, 3, 2) == 0);
	T_CHECK(fw_cfg_add_int(&f, FW_CFG_RAM_SIZE, 0x123456789ull, 8) == 0);
	T_CHECK(fw_cfg_add(&f, FW_CFG_KERNEL_DATA, blob, 16) == 0);
	out16(FW_CFG_PORT, FW_CFG_NB_CPUS);
	read_data(b, 3);
	T_CHECK(b[0] == 3 && b[1] == 0 && b[2] == 0);
	out16(FW_CFG_PORT, FW_CFG_RAM_SIZE);
	read_data(b, 8);
	T_CHECK(b[0] == 0x89 && b[1] == 0x67 && b[4] == 0x01 && b[7] == 0);
	out16(FW_CFG_PORT, FW_CFG_KERNEL_DATA);
	read_data(b, 20);	/* past the end: zeros */
	T_CHECK(memcmp(b, blob, 16) == 0 && b[16] == 0 && b[19] == 0);
	out16(FW_CFG_PORT, 0x1234);	/* no such item */
	read_data(b, 2);
	T_CHECK(b[0] == 0 && b[1] == 0);
}

static void
t_refusals(void)
{
	char name[FW_CFG_NAME_MAX + 1];
	unsigned i;

	reset();
	T_CHECK(fw_cfg_add(&f, FW_CFG_SIGNATURE, blob, 4) == -EEXIST);
	T_CHECK(fw_cfg_add_int(&f, FW_CFG_NB_CPUS, 1, 3) == -EINVAL);
	T_CHECK(fw_cfg_add_file(&f, "etc/a", blob, 1) == 0);
	T_CHECK(fw_cfg_add_file(&f, "etc/a", blob, 1) == -EEXIST);
	T_CHECK(fw_cfg_add_file(&f, "", blob, 1) == -ENAMETOOLONG);
	memset(name, 'n', FW_CFG_NAME_MAX - 1);
	name[FW_CFG_NAME_MAX - 1] = '\0';	/* 55 characters: fits */
	T_CHECK(fw_cfg_add_file(&f, name, blob, 1) == 0);
	name[FW_CFG_NAME_MAX - 1] = 'n';
	name[FW_CFG_NAME_MAX] = '\0';		/* 56: no room for the NUL */
	T_CHECK(fw_cfg_add_file(&f, name, blob, 1) == -ENAMETOOLONG);
	for (i = 2; i < FW_CFG_MAX_FILES; i++) {
		snprintf(name, sizeof(name), "f%u", i);
		T_CHECK(fw_cfg_add_file(&f, name, blob, 1) == 0);
	}
	T_CHECK(fw_cfg_add_file(&f, "one/too/many", blob, 1) == -ENOSPC);
	for (i = 0; f.nitems < FW_CFG_MAX_ITEMS; i++)
		T_CHECK(fw_cfg_add_int(&f, (uint16_t)(0x100 + i), i, 4) == 0);
	T_CHECK(fw_cfg_add_int(&f, 0x200, 0, 4) == -ENOSPC);
}

static void
t_directory(void)
{
	uint8_t d[4 + 2 * 64];

	reset();
	T_CHECK(fw_cfg_add_file(&f, "etc/e820", blob, 10) == 0);
	T_CHECK(fw_cfg_add_file(&f, "genroms/linuxboot.bin", blob, 16) == 0);
	out16(FW_CFG_PORT, FW_CFG_FILE_DIR);
	read_data(d, sizeof(d));
	T_CHECK(be32(d) == 2);
	T_CHECK(be32(d + 4) == 10 && d[8] == 0 && d[9] == FW_CFG_FILE_FIRST);
	T_CHECK(strcmp((char *)d + 12, "etc/e820") == 0);
	T_CHECK(be32(d + 68) == 16 && d[73] == FW_CFG_FILE_FIRST + 1);
	T_CHECK(strcmp((char *)d + 76, "genroms/linuxboot.bin") == 0);
	/* The file reads through its key. */
	out16(FW_CFG_PORT, FW_CFG_FILE_FIRST + 1);
	read_data(d, 16);
	T_CHECK(memcmp(d, blob, 16) == 0);
}

static void
t_dma(void)
{
	reset();
	T_CHECK(fw_cfg_add(&f, FW_CFG_KERNEL_DATA, blob, 16) == 0);
	/* Select and read 10 bytes. */
	dma(0x100, FW_CFG_KERNEL_DATA << 16 | FW_CFG_DMA_SELECT |
	    FW_CFG_DMA_READ, 10, 0x1000);
	T_CHECK(be32(mem + 0x100) == 0);
	T_CHECK(memcmp(mem + 0x1000, blob, 10) == 0 && mem[0x100a] == 0xaa);
	/* Skip 2, then read on past the end: zeros after the data. */
	dma(0x100, FW_CFG_DMA_SKIP, 2, 0);
	T_CHECK(be32(mem + 0x100) == 0);
	dma(0x100, FW_CFG_DMA_READ, 8, 0x2000);
	T_CHECK(be32(mem + 0x100) == 0);
	T_CHECK(memcmp(mem + 0x2000, blob + 12, 4) == 0);
	T_CHECK(mem[0x2004] == 0 && mem[0x2007] == 0 && mem[0x2008] == 0xaa);
	/* The port interface shares the offset: at the end now. */
	read_data(mem + 0x3000, 1);
	T_CHECK(mem[0x3000] == 0);
}

static void
t_dma_errors(void)
{
	reset();
	T_CHECK(fw_cfg_add(&f, FW_CFG_KERNEL_DATA, blob, 16) == 0);
	/* A destination outside guest memory. */
	dma(0x100, FW_CFG_KERNEL_DATA << 16 | FW_CFG_DMA_SELECT |
	    FW_CFG_DMA_READ, 16, MEM_SIZE - 8);
	T_CHECK(be32(mem + 0x100) == FW_CFG_DMA_ERROR);
	/* Writes are not supported. */
	dma(0x100, FW_CFG_DMA_WRITE, 4, 0x1000);
	T_CHECK(be32(mem + 0x100) == FW_CFG_DMA_ERROR);
	T_CHECK(mem[0x1000] == 0xaa);
	/* A structure outside guest memory is ignored; the high half of
	 * the address is cleared after each request. */
	out32_be(FW_CFG_PORT_DMA, 1);
	out32_be(FW_CFG_PORT_DMA + 4, 0x100);
	T_CHECK(f.dma_high == 0);
	dma(0x100, FW_CFG_KERNEL_DATA << 16 | FW_CFG_DMA_SELECT |
	    FW_CFG_DMA_READ, 4, 0x1000);
	T_CHECK(be32(mem + 0x100) == 0 && memcmp(mem + 0x1000, blob, 4) == 0);
}

static void
t_option_rom(void)
{
	const uint8_t *r = linuxboot_rom;
	size_t n = (size_t)(linuxboot_rom_end - linuxboot_rom);
	unsigned pnp = r[0x1a] | r[0x1b] << 8, bev;

	T_CHECK(n == 512 && r[0] == 0x55 && r[1] == 0xaa && r[2] == n / 512);
	T_CHECK(r[3] == 0xcb);			/* init: lret */
	T_CHECK(pnp + 32 <= n && memcmp(r + pnp, "$PnP", 4) == 0);
	T_CHECK(r[pnp + 4] == 1 && r[pnp + 5] == 2);
	bev = r[pnp + 0x1a] | r[pnp + 0x1b] << 8;
	T_CHECK(bev > pnp + 32 && bev < n - 1);
	T_CHECK(r[bev] == 0xfc);		/* cld */
	T_CHECK(strcmp((const char *)r + (r[pnp + 0x10] |
	    r[pnp + 0x11] << 8), "Linux boot protocol") == 0);
}

int
main(void)
{
	T_RUN("fw_cfg-001", "signature, ID and DMA signature", t_signature);
	T_RUN("fw_cfg-002", "items by selector, past the end, unknown key",
	    t_items);
	T_RUN("fw_cfg-003", "refusals: duplicates, names, full tables",
	    t_refusals);
	T_RUN("fw_cfg-004", "the file directory", t_directory);
	T_RUN("fw_cfg-005", "DMA select, read, skip, zeros past the end",
	    t_dma);
	T_RUN("fw_cfg-006", "DMA errors: bad address, write", t_dma_errors);
	T_RUN("fw_cfg-007", "option ROM header and PnP BEV", t_option_rom);
	return t_done();
}
