/*
 * vmm: booting through a BIOS (SeaBIOS) for kernels that need their
 * real-mode setup code and BIOS services, such as iPXE's .lkrn.
 * SPDX-License-Identifier: MIT
 *
 * The BIOS image (config attribute `bios`, a ROM module) is mapped
 * read-only so that it ends at 4 GiB, and its last 128 KiB are copied into
 * guest RAM at 0xe0000 as the shadowed legacy BIOS area, writable as
 * SeaBIOS expects once it has "unlocked" it (we have no PAM registers to
 * do that with). The vCPU starts at the reset vector. SeaBIOS learns the
 * machine from fw_cfg (fw_cfg.c) and CMOS (cmos.c) and runs our option ROM
 * (linuxboot.S), which loads the kernel as QEMU's -kernel does: the
 * patched setup code at 0x10000, the command line at 0x20000, the kernel
 * at 1 MiB and the initrd high, then the 16-bit entry. "No graphics" in
 * fw_cfg makes SeaBIOS send its screen output (int 10h) to COM1.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bzimage.h"
#include "fw_cfg.h"
#include "vmm.h"

#define BIOS_ALIGN	(64u << 10)
#define ISA_BIOS_SIZE	(128u << 10)	/* copied below 1 MiB */
#define SETUP_GPA	0x10000u
#define BIOS_CMDLINE_GPA 0x20000u
#define SETUP_MAX	0x8000u		/* real-mode code, boot.rst's layout */
#define HIGH_TABLES	(1u << 20)	/* SeaBIOS's tables at the top of RAM */
#define DEBUGCON_READBACK 0xe9		/* "a debug console is here" */

extern const uint8_t linuxboot_rom[], linuxboot_rom_end[];

struct bios {
	struct cairn_rom image;		/* the BIOS */
	struct cairn_rom kernel, initrd;	/* served through fw_cfg */
	bool has_initrd;
	uint8_t *setup;			/* patched copy of the setup code */
	uint8_t e820[6 * 20];
	uint8_t rom[512];		/* linuxboot.S, checksummed */
	struct fw_cfg fw;
	char kind[96];
	char debug[LOG_LINE_MAX];	/* a line of the BIOS's debug output */
	unsigned debug_len;
};

static const uint8_t zero16[2];

static void *
guest_mem(void *ctx, uint64_t gpa, uint64_t len)
{
	return gpa_ptr(ctx, gpa, len);
}

int
bios_open(struct vm *vm, uint64_t *reserve)
{
	struct bios *b;
	int r;

	b = calloc(1, sizeof(*b));
	if (b == NULL)
		return -ENOMEM;
	r = cairn_rom_open(vm->env, vm->cfg.bios, &b->image);
	if (r < 0 || !b->image.valid) {
		cairn_error(vm->env, "config: attribute 'bios'=\"%s\": no such "
		    "ROM module", vm->cfg.bios);
		if (r == 0)
			cairn_rom_close(vm->env, &b->image);
		free(b);
		return r < 0 ? r : -ENOENT;
	}
	if (b->image.size == 0 || b->image.size % BIOS_ALIGN != 0 ||
	    b->image.size > ROM_MAX) {
		cairn_error(vm->env, "config: attribute 'bios'=\"%s\": %zu "
		    "bytes; a BIOS image is a multiple of 64 KiB up to 16 MiB",
		    vm->cfg.bios, b->image.size);
		cairn_rom_close(vm->env, &b->image);
		free(b);
		return -EINVAL;
	}
	vm->bios = b;
	*reserve = b->image.size;
	return 0;
}

/* The option ROM with its PnP header and whole-ROM checksums set. */
static void
option_rom(struct bios *b)
{
	size_t n = (size_t)(linuxboot_rom_end - linuxboot_rom), i;
	uint8_t *pnp, sum = 0;

	memcpy(b->rom, linuxboot_rom, n);
	pnp = b->rom + (b->rom[0x1a] | b->rom[0x1b] << 8);
	pnp[9] = 0;
	for (i = 0; i < 32; i++)
		sum = (uint8_t)(sum + pnp[i]);
	pnp[9] = (uint8_t)-sum;
	sum = 0;
	b->rom[n - 1] = 0;
	for (i = 0; i < n; i++)
		sum = (uint8_t)(sum + b->rom[i]);
	b->rom[n - 1] = (uint8_t)-sum;
}

static int
open_module(struct vm *vm, const char *attr, const char *name,
    struct cairn_rom *rom)
{
	int r = cairn_rom_open(vm->env, name, rom);

	if (r < 0 || !rom->valid || rom->size == 0) {
		cairn_error(vm->env, "config: attribute '%s'=\"%s\": no such "
		    "ROM module", attr, name);
		if (r == 0)
			cairn_rom_close(vm->env, rom);
		return r < 0 ? r : -ENOENT;
	}
	return 0;
}

/* What fw_cfg offers SeaBIOS and the option ROM. */
static int
fill_fw_cfg(struct vm *vm, struct bios *b, const struct bzimage *bz,
    uint64_t rd)
{
	struct fw_cfg *f = &b->fw;
	const uint8_t *img = b->kernel.ds.addr;
	uint32_t rd_size = b->has_initrd ? (uint32_t)b->initrd.size : 0;
	unsigned n;
	int r = 0;

	fw_cfg_init(f, guest_mem, vm);
	n = memory_e820(vm, b->e820, sizeof(b->e820) / 20);
	r |= fw_cfg_add_int(f, FW_CFG_RAM_SIZE, vm->ram_size, 8);
	r |= fw_cfg_add_int(f, FW_CFG_NOGRAPHIC, 1, 2);
	r |= fw_cfg_add_int(f, FW_CFG_NB_CPUS, vm->nvcpus, 2);
	r |= fw_cfg_add_int(f, FW_CFG_MAX_CPUS, vm->nvcpus, 2);
	r |= fw_cfg_add_int(f, FW_CFG_BOOT_MENU, 0, 2);
	r |= fw_cfg_add_int(f, FW_CFG_SETUP_ADDR, SETUP_GPA, 4);
	r |= fw_cfg_add_int(f, FW_CFG_SETUP_SIZE, bz->setup_size, 4);
	r |= fw_cfg_add(f, FW_CFG_SETUP_DATA, b->setup,
	    (uint32_t)bz->setup_size);
	r |= fw_cfg_add_int(f, FW_CFG_CMDLINE_ADDR, BIOS_CMDLINE_GPA, 4);
	r |= fw_cfg_add_int(f, FW_CFG_CMDLINE_SIZE, strlen(vm->cfg.cmdline) + 1,
	    4);
	r |= fw_cfg_add(f, FW_CFG_CMDLINE_DATA, vm->cfg.cmdline,
	    (uint32_t)strlen(vm->cfg.cmdline) + 1);
	r |= fw_cfg_add_int(f, FW_CFG_KERNEL_ADDR, BZ_LOW_LOAD, 4);
	r |= fw_cfg_add_int(f, FW_CFG_KERNEL_SIZE, bz->kernel_size, 4);
	r |= fw_cfg_add(f, FW_CFG_KERNEL_DATA, img + bz->setup_size,
	    (uint32_t)bz->kernel_size);
	r |= fw_cfg_add_int(f, FW_CFG_INITRD_ADDR, rd, 4);
	r |= fw_cfg_add_int(f, FW_CFG_INITRD_SIZE, rd_size, 4);
	if (b->has_initrd)
		r |= fw_cfg_add(f, FW_CFG_INITRD_DATA, b->initrd.ds.addr,
		    rd_size);
	r |= fw_cfg_add_file(f, "etc/e820", b->e820, n * 20);
	r |= fw_cfg_add_file(f, "etc/show-boot-menu", zero16, 2);
	r |= fw_cfg_add_file(f, "genroms/linuxboot.bin", b->rom,
	    sizeof(b->rom));
	return r != 0 ? -ENOSPC : 0;	/* only a full table can fail */
}

/* The BIOS ends at 4 GiB (read-only), its last 128 KiB end at 1 MiB (RAM). */
static int
map_bios(struct vm *vm, struct bios *b)
{
	size_t size = b->image.size;
	size_t isa = size < ISA_BIOS_SIZE ? size : ISA_BIOS_SIZE;
	int r;

	if ((r = cairn_ram_alloc(vm->env, size, &vm->rom_ds)) < 0)
		return r;
	memcpy(vm->rom_ds.addr, b->image.ds.addr, size);
	vm->rom_gpa = HIGH_RAM_GPA - size;
	vm->rom_size = size;
	if ((r = kvm_memory_region(vm, 2, vm->rom_gpa, size, vm->rom_ds.addr,
	    true)) < 0)
		return r;
	memcpy(gpa_ptr(vm, KERNEL_GPA - isa, isa),
	    (const uint8_t *)b->image.ds.addr + size - isa, isa);
	return 0;
}

int
bios_boot(struct vm *vm)
{
	struct bios *b = vm->bios;
	uint64_t low = vm->ram_size < LOW_RAM_END ? vm->ram_size : LOW_RAM_END;
	uint64_t top, rd = 0;
	struct bzimage bz;
	char why[160];
	int r;

	if ((r = open_module(vm, "kernel", vm->cfg.kernel, &b->kernel)) < 0)
		return r;
	if (bzimage_parse(b->kernel.ds.addr, b->kernel.size, &bz, why,
	    sizeof(why)) < 0) {
		cairn_error(vm->env, "config: attribute 'bios'=\"%s\" boots "
		    "a bzImage kernel; '%s' is not one: %s", vm->cfg.bios,
		    vm->cfg.kernel, why);
		return -EINVAL;
	}
	if (vm->cfg.initrd[0] != '\0') {
		if ((r = open_module(vm, "initrd", vm->cfg.initrd,
		    &b->initrd)) < 0)
			return r;
		b->has_initrd = true;
	}
	/* Decode: the kernel at 1 MiB, the initrd below SeaBIOS's tables. */
	if (bz.setup_size > SETUP_MAX) {
		cairn_error(vm->env, "kernel '%s': %zu bytes of real-mode "
		    "setup; the 16-bit boot protocol allows 32 KiB",
		    vm->cfg.kernel, bz.setup_size);
		return -EINVAL;
	}
	if (low < HIGH_TABLES + BZ_LOW_LOAD ||
	    bz.need > low - HIGH_TABLES - BZ_LOW_LOAD) {
		cairn_error(vm->env, "kernel '%s' needs %llu bytes at 1 MiB; "
		    "the guest has %llu MiB of RAM", vm->cfg.kernel,
		    (unsigned long long)bz.need,
		    (unsigned long long)(vm->ram_size >> 20));
		return -E2BIG;
	}
	top = bz.initrd_max < low - HIGH_TABLES - 1 ? bz.initrd_max + 1 :
	    low - HIGH_TABLES;
	if (b->has_initrd) {
		if (b->initrd.size < top)
			rd = (top - b->initrd.size) & ~0xfffull;
		if (rd < BZ_LOW_LOAD + bz.need) {
			cairn_error(vm->env, "initrd '%s' (%zu bytes) does not "
			    "fit between the kernel and 0x%llx", vm->cfg.initrd,
			    b->initrd.size, (unsigned long long)top);
			return -E2BIG;
		}
	}
	if (strlen(vm->cfg.cmdline) > bz.cmdline_max) {
		cairn_error(vm->env, "config: attribute 'cmdline' is %zu bytes "
		    "long; kernel '%s' takes at most %u", strlen(vm->cfg.cmdline),
		    vm->cfg.kernel, bz.cmdline_max);
		return -EINVAL;
	}

	/* Invoke. */
	b->setup = malloc(bz.setup_size);
	if (b->setup == NULL)
		return -ENOMEM;
	memcpy(b->setup, b->kernel.ds.addr, bz.setup_size);
	bzimage_setup_header(&bz, b->setup, SETUP_GPA, BIOS_CMDLINE_GPA,
	    (uint32_t)rd, b->has_initrd ? (uint32_t)b->initrd.size : 0);
	option_rom(b);
	if ((r = fill_fw_cfg(vm, b, &bz, rd)) < 0 || (r = map_bios(vm, b)) < 0)
		return r;
	snprintf(b->kind, sizeof(b->kind), "bzImage, 16-bit entry through "
	    "BIOS '%s'", vm->cfg.bios);
	vm->boot.mode = BOOT_RESET;
	vm->boot.entry = 0xfffffff0;
	vm->boot.kind = b->kind;
	return 0;
}

/*
 * QEMU's debug console at 0x402, where SeaBIOS writes its debug log. With
 * `verbose` it is there and its lines are logged; else it reads as absent,
 * which makes SeaBIOS stop writing (every write is a VM exit).
 */
static void
debugcon(struct vm *vm, struct bios *b, bool write, uint8_t *d)
{
	if (!write) {
		*d = vm->cfg.verbose ? DEBUGCON_READBACK : 0xff;
		return;
	}
	if (!vm->cfg.verbose || *d == '\r')
		return;
	if (*d != '\n')
		b->debug[b->debug_len++] = (char)(*d >= 0x20 && *d < 0x7f ?
		    *d : '?');
	if (*d == '\n' || b->debug_len == sizeof(b->debug) - 1) {
		vm_log(vm, "bios: %.*s", (int)b->debug_len, b->debug);
		b->debug_len = 0;
	}
}

void
bios_io(struct vm *vm, uint16_t port, unsigned size, bool write, uint8_t *d)
{
	if (port == PORT_DEBUGCON && size == 1)
		debugcon(vm, vm->bios, write, d);
	else if (port != PORT_DEBUGCON)
		fw_cfg_io(&vm->bios->fw, port, size, write, d);
	else if (!write)
		memset(d, 0xff, size);
}
