/*
 * vmm: booting ELF and flat images (the project's test guests).
 * SPDX-License-Identifier: MIT
 *
 * An ELF image is loaded by its program headers at their physical
 * addresses, at or above 1 MiB. A 64-bit one starts in long mode with the
 * first 4 GiB identity-mapped, a 32-bit one in flat protected mode without
 * paging. Anything else is a flat image: firmware that ends at 4 GiB and
 * starts in real mode at the reset vector, exactly as QEMU's -bios.
 */
#include <elf.h>
#include <errno.h>
#include <string.h>

#include "vmm.h"

static int
load_elf64(struct vm *vm, const uint8_t *img, size_t size)
{
	const Elf64_Ehdr *eh = (const void *)img;
	unsigned i;

	if (size < sizeof(*eh) || eh->e_machine != EM_X86_64 ||
	    eh->e_type != ET_EXEC || eh->e_phentsize != sizeof(Elf64_Phdr) ||
	    eh->e_phoff > size ||
	    eh->e_phnum > (size - eh->e_phoff) / sizeof(Elf64_Phdr)) {
		cairn_error(vm->env, "kernel '%s': not an x86-64 executable "
		    "ELF with valid program headers", vm->cfg.kernel);
		return -EINVAL;
	}
	for (i = 0; i < eh->e_phnum; i++) {
		const Elf64_Phdr *ph = (const void *)(img + eh->e_phoff +
		    i * sizeof(*ph));
		uint8_t *dst;

		if (ph->p_type != PT_LOAD || ph->p_memsz == 0)
			continue;
		dst = gpa_ptr(vm, ph->p_paddr, ph->p_memsz);
		if (ph->p_filesz > ph->p_memsz || ph->p_offset > size ||
		    ph->p_filesz > size - ph->p_offset) {
			cairn_error(vm->env, "kernel '%s': segment %u lies "
			    "outside the file", vm->cfg.kernel, i);
			return -EINVAL;
		}
		if (dst == NULL || ph->p_paddr < KERNEL_GPA) {
			cairn_error(vm->env, "kernel '%s': segment %u at "
			    "0x%llx (%llu bytes) is not in guest RAM above "
			    "1 MiB", vm->cfg.kernel, i,
			    (unsigned long long)ph->p_paddr,
			    (unsigned long long)ph->p_memsz);
			return -EINVAL;
		}
		memcpy(dst, img + ph->p_offset, ph->p_filesz);
		memset(dst + ph->p_filesz, 0, ph->p_memsz - ph->p_filesz);
	}
	vm->boot.mode = BOOT_LM64;
	vm->boot.entry = eh->e_entry;
	vm->boot.kind = "ELF64";
	return 0;
}

static int
load_elf32(struct vm *vm, const uint8_t *img, size_t size)
{
	const Elf32_Ehdr *eh = (const void *)img;
	unsigned i;

	if (size < sizeof(*eh) || eh->e_machine != EM_386 ||
	    eh->e_type != ET_EXEC || eh->e_phentsize != sizeof(Elf32_Phdr) ||
	    eh->e_phoff > size ||
	    eh->e_phnum > (size - eh->e_phoff) / sizeof(Elf32_Phdr)) {
		cairn_error(vm->env, "kernel '%s': not an i386 executable ELF "
		    "with valid program headers", vm->cfg.kernel);
		return -EINVAL;
	}
	for (i = 0; i < eh->e_phnum; i++) {
		const Elf32_Phdr *ph = (const void *)(img + eh->e_phoff +
		    i * sizeof(*ph));
		uint8_t *dst;

		if (ph->p_type != PT_LOAD || ph->p_memsz == 0)
			continue;
		dst = gpa_ptr(vm, ph->p_paddr, ph->p_memsz);
		if (ph->p_filesz > ph->p_memsz || ph->p_offset > size ||
		    ph->p_filesz > size - ph->p_offset) {
			cairn_error(vm->env, "kernel '%s': segment %u lies "
			    "outside the file", vm->cfg.kernel, i);
			return -EINVAL;
		}
		if (dst == NULL || ph->p_paddr < KERNEL_GPA) {
			cairn_error(vm->env, "kernel '%s': segment %u at 0x%x "
			    "(%u bytes) is not in guest RAM above 1 MiB",
			    vm->cfg.kernel, i, ph->p_paddr, ph->p_memsz);
			return -EINVAL;
		}
		memcpy(dst, img + ph->p_offset, ph->p_filesz);
		memset(dst + ph->p_filesz, 0, ph->p_memsz - ph->p_filesz);
	}
	vm->boot.mode = BOOT_PM32;
	vm->boot.entry = eh->e_entry;
	vm->boot.kind = "ELF32";
	return 0;
}

/* A flat image becomes read-only memory that ends at 4 GiB. */
static int
load_flat(struct vm *vm, const uint8_t *img, size_t size)
{
	uint64_t rom = (size + 4095) & ~4095ull;
	int r;

	if (size == 0 || size > ROM_MAX) {
		cairn_error(vm->env, "kernel '%s': a flat image of %zu bytes "
		    "(1 byte to 16 MiB)", vm->cfg.kernel, size);
		return -EINVAL;
	}
	r = cairn_ram_alloc(vm->env, rom, &vm->rom_ds);
	if (r < 0)
		return r;
	memcpy((uint8_t *)vm->rom_ds.addr + rom - size, img, size);
	vm->rom_gpa = HIGH_RAM_GPA - rom;
	vm->rom_size = rom;
	r = kvm_memory_region(vm, 2, vm->rom_gpa, rom, vm->rom_ds.addr, true);
	if (r < 0)
		return r;
	vm->boot.mode = BOOT_RESET;
	vm->boot.entry = 0xfffffff0;
	vm->boot.kind = "flat image";
	return 0;
}

int
boot_image(struct vm *vm, const void *img, size_t size)
{
	const unsigned char *id = img;

	if (size >= EI_NIDENT && memcmp(id, ELFMAG, SELFMAG) == 0) {
		if (id[EI_CLASS] == ELFCLASS64 && id[EI_DATA] == ELFDATA2LSB)
			return load_elf64(vm, img, size);
		if (id[EI_CLASS] == ELFCLASS32 && id[EI_DATA] == ELFDATA2LSB)
			return load_elf32(vm, img, size);
		cairn_error(vm->env, "kernel '%s': ELF, but neither 32- nor "
		    "64-bit little-endian", vm->cfg.kernel);
		return -EINVAL;
	}
	return load_flat(vm, img, size);
}
