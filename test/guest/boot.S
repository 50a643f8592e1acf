/*
 * Test guests: the way from the reset vector, from a 64-bit ELF entry, or
 * from an INIT/SIPI to C in long mode.
 * SPDX-License-Identifier: MIT
 *
 * A flat image is firmware: its last 64 KiB end at 4 GiB, the BSP starts
 * in real mode at 0xfffffff0 with CS based at 0xffff0000 (as on a PC and
 * under QEMU's -bios). rom16 enters protected mode, rom32 copies the image
 * to 1 MiB (it is linked there), clears .bss, builds page tables that map
 * the first 4 GiB with 2 MiB pages and enters long mode (string moves go
 * by 4 and 8 bytes: software KVM backends emulate each step). A 64-bit ELF
 * image is started by the vmm in long mode at _start. Application
 * processors start in real mode at the trampoline that the smp guest
 * copies to AP_TRAMPOLINE (ap16), and follow the same path.
 */
#define SEL_CODE32	0x08
#define SEL_DATA	0x10
#define SEL_CODE64	0x18
#define STACK_SIZE	8192
#define MAX_CPUS	32

/* 32-bit code: page tables (filled by rom32 or guest_paging) and long mode. */
.macro enter_long target
	movl %cr4, %eax
	orl $0x20, %eax			/* PAE */
	movl %eax, %cr4
	movl $0xc0000080, %ecx		/* EFER */
	rdmsr
	orl $0x100, %eax		/* LME */
	wrmsr
	movl %cr0, %eax
	orl $0x80000001, %eax		/* PG, PE */
	movl %eax, %cr0
	ljmpl $SEL_CODE64, $\target
.endm

	.section .rom32, "ax"
	.code16
rom16:
	cli
	cld
	lgdtl %cs:(rom_gdt_desc - 0xffff0000)
	movl %cr0, %eax
	orl $1, %eax
	movl %eax, %cr0
	ljmpl $SEL_CODE32, $rom32

	.code32
rom32:
	movw $SEL_DATA, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	movw %ax, %fs
	movw %ax, %gs
	movl $_image_lma, %esi
	movl $_image_start, %edi
	movl $_image_end, %ecx
	subl %edi, %ecx
	shrl $2, %ecx			/* both ends 16-byte aligned */
	rep movsl
	/*
	 * Software KVM backends emulate guest code at microseconds per
	 * instruction, so map only what every guest needs: the first 2 MiB
	 * (the image, stacks, the AP trampoline) and the top 32 MiB (IOAPIC,
	 * LAPIC, ROM). A guest that needs all 4 GiB calls guest_paging().
	 */
	movl $early_pml4, %edi
	movl $(4 * 4096) / 4, %ecx
	xorl %eax, %eax
	rep stosl
	movl $early_pdpt + 3, early_pml4
	movl $early_pd0 + 3, early_pdpt
	movl $early_pd3 + 3, early_pdpt + 24
	movl $0x83, early_pd0
	movl $0xfe000083, %eax
	movl $early_pd3 + 8 * 496, %edi
	movl $16, %ecx
1:	movl %eax, (%edi)
	addl $0x200000, %eax
	addl $8, %edi
	loop 1b
	movl $early_pml4, %eax
	movl %eax, %cr3
	enter_long bsp64

	.p2align 3
rom_gdt:
	.quad 0
	.quad 0x00cf9b000000ffff	/* 0x08: code, 32-bit */
	.quad 0x00cf93000000ffff	/* 0x10: data */
	.quad 0x00af9b000000ffff	/* 0x18: code, 64-bit */
rom_gdt_end:
rom_gdt_desc:
	.word rom_gdt_end - rom_gdt - 1
	.long rom_gdt

	.section .reset, "ax"
	.code16
	jmp rom16

/* The same GDT in RAM, for the APs and after an ELF start. */
	.section .rodata
	.p2align 3
gdt:
	.quad 0
	.quad 0x00cf9b000000ffff
	.quad 0x00cf93000000ffff
	.quad 0x00af9b000000ffff
gdt_end:
gdt_desc64:
	.word gdt_end - gdt - 1
	.quad gdt

	.section .text.start64, "ax"
	.code64
	.globl _start
_start:					/* 64-bit ELF entry, from the vmm */
	leaq bsp_stack + STACK_SIZE(%rip), %rsp
	lgdt gdt_desc64(%rip)
	pushq $SEL_CODE64
	leaq 1f(%rip), %rax
	pushq %rax
	lretq
1:	leaq _bss_start(%rip), %rdi
	leaq _bss_end(%rip), %rcx
	subq %rdi, %rcx
	shrq $3, %rcx			/* both ends 16-byte aligned */
	xorl %eax, %eax
	rep stosq
	movl $1, %edi
	jmp 2f
bsp64:
	leaq _bss_start(%rip), %rdi
	leaq _bss_end(%rip), %rcx
	subq %rdi, %rcx
	shrq $3, %rcx			/* both ends 16-byte aligned */
	xorl %eax, %eax
	rep stosq
	xorl %edi, %edi
2:	movw $SEL_DATA, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	movw %ax, %fs
	movw %ax, %gs
	leaq bsp_stack + STACK_SIZE(%rip), %rsp
	call guest_entry
3:	cli
	hlt
	jmp 3b

ap64:
	movw $SEL_DATA, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	movw %ax, %fs
	movw %ax, %gs
	movl $1, %eax
	lock xaddl %eax, ap_next(%rip)
	movl %eax, %edi			/* index of this AP: 0, 1, ... */
	incl %eax
	shll $13, %eax			/* STACK_SIZE */
	leaq ap_stacks(%rip), %rsp
	addq %rax, %rsp
	call ap_entry
	jmp 3b

	.code32
ap32:
	movw $SEL_DATA, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	movl ap_cr3, %eax
	movl %eax, %cr3
	enter_long ap64

/*
 * The AP trampoline, copied below 1 MiB by the guest: it runs with CS =
 * its address / 16 and IP = 0, so it addresses itself relative to CS.
 */
	.section .rodata
	.code16
	.globl ap16_start, ap16_end
ap16_start:
	cli
	cld
	movw %cs, %ax
	movw %ax, %ds
	lgdtl (ap_gdt_desc - ap16_start)
	movl %cr0, %eax
	orl $1, %eax
	movl %eax, %cr0
	ljmpl $SEL_CODE32, $ap32
	.p2align 3
ap_gdt_desc:
	.word gdt_end - gdt - 1
	.long gdt
ap16_end:

	.section .data
	.p2align 3
	.globl ap_cr3
ap_next:
	.long 0
ap_cr3:					/* the BSP's, set by guest_entry */
	.quad 0

	.section .boot_tables, "aw", @nobits
	.p2align 12
	.globl boot_pml4, boot_pdpt, boot_pd
boot_pml4:
	.skip 4096
boot_pdpt:
	.skip 4096
boot_pd:
	.skip 4 * 4096
early_pml4:
	.skip 4096
early_pdpt:
	.skip 4096
early_pd0:
	.skip 4096
early_pd3:
	.skip 4096
	.p2align 4
bsp_stack:
	.skip STACK_SIZE
ap_stacks:
	.skip STACK_SIZE * (MAX_CPUS + 1)
