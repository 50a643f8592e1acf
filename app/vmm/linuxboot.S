/*
 * vmm: an option ROM for SeaBIOS that boots a bzImage through its
 * real-mode setup code, the Linux boot protocol's 16-bit entry
 * (Documentation/arch/x86/boot.rst), as QEMU's -kernel does.
 * SPDX-License-Identifier: MIT
 *
 * bios.c hands it to SeaBIOS as fw_cfg file "genroms/linuxboot.bin".
 * SeaBIOS runs its init entry (nothing to do) during POST and lists its
 * bootstrap entry vector (BEV, in the PnP header) as a boot device. At
 * boot, the BEV fetches the setup code (its header already patched by the
 * vmm), the command line, the kernel and the initrd from fw_cfg by DMA,
 * straight to the physical addresses fw_cfg names (the kernel's is above
 * 1 MiB, out of reach of real-mode stores), and jumps to the setup code
 * with every segment register on it and the stack just below the command
 * line, as the protocol asks.
 *
 * The code lives in the vmm's read-only data and runs at whatever segment
 * SeaBIOS copies it to, so every address in it is an offset from
 * linuxboot_rom. The vmm sets both checksums (PnP header, ROM).
 */
#define FW_CFG_PORT		0x510
#define FW_CFG_DMA_HIGH		0x514
#define FW_CFG_DMA_LOW		0x518
#define DMA_SELECT_READ		0x0a	/* select and read */
#define KERNEL_ADDR		0x07
#define KERNEL_SIZE		0x08
#define INITRD_ADDR		0x0a
#define INITRD_SIZE		0x0b
#define KERNEL_DATA		0x11
#define INITRD_DATA		0x12
#define CMDLINE_ADDR		0x13
#define CMDLINE_SIZE		0x14
#define CMDLINE_DATA		0x15
#define SETUP_ADDR		0x16
#define SETUP_SIZE		0x17
#define SETUP_DATA		0x18
#define ROM_SIZE		512

#define OFF(x)	((x) - linuxboot_rom)

	.section .rodata.linuxboot, "a"
	.code16
	.globl	linuxboot_rom
	.globl	linuxboot_rom_end
linuxboot_rom:
	.byte	0x55, 0xaa
	.byte	ROM_SIZE / 512
	lret				/* init entry: nothing to set up */

	.org	0x18
	.short	0			/* no PCI data structure */
	.short	OFF(pnp)

pnp:
	.ascii	"$PnP"
	.byte	1			/* structure revision */
	.byte	2			/* length in 16-byte units */
	.short	0			/* next header */
	.byte	0			/* reserved */
	.byte	0			/* checksum */
	.long	0			/* device identifier */
	.short	OFF(manufacturer)
	.short	OFF(product)
	.byte	0, 0, 0			/* device type code */
	.byte	0			/* device indicators */
	.short	0			/* boot connection vector */
	.short	0			/* disconnect vector */
	.short	OFF(bev)		/* bootstrap entry vector */
	.short	0			/* reserved */
	.short	0			/* static resource information */

manufacturer:
	.asciz	"cairn"
product:
	.asciz	"Linux boot protocol"
failure:
	.asciz	"linuxboot: fw_cfg DMA failed\r\n"

/* %ax: fw_cfg key. Returns its first four bytes in %eax (little-endian).
 * Clobbers %cx, %dx. */
get32:
	movw	$FW_CFG_PORT, %dx
	outw	%ax, %dx
	incw	%dx
	movw	$4, %cx
1:	inb	%dx, %al
	rorl	$8, %eax
	loop	1b
	ret

/*
 * %ax: fw_cfg key, %ecx: bytes, %edi: physical destination. Builds the
 * DMA access structure (big-endian) on the stack and starts it; fw_cfg
 * has finished when the write returns. ZF set on success. Clobbers %eax,
 * %ebx, %edx.
 */
dma_read:
	movl	%edi, %edx
	bswapl	%edx
	pushl	%edx			/* address, low half */
	pushl	$0			/* address, high half */
	movl	%ecx, %edx
	bswapl	%edx
	pushl	%edx			/* length */
	movzwl	%ax, %eax
	shll	$16, %eax
	orl	$DMA_SELECT_READ, %eax
	bswapl	%eax
	pushl	%eax			/* control */
	movzwl	%sp, %ebx
	xorl	%edx, %edx
	movw	%ss, %dx
	shll	$4, %edx
	addl	%edx, %ebx
	bswapl	%ebx
	xorl	%eax, %eax
	movw	$FW_CFG_DMA_HIGH, %dx
	outl	%eax, %dx
	movl	%ebx, %eax
	movw	$FW_CFG_DMA_LOW, %dx
	outl	%eax, %dx
	popl	%eax			/* control: 0 when done */
	addw	$12, %sp
	testl	%eax, %eax
	ret

/* Load one item (address, size, data keys); an empty one is skipped. */
.macro	load addr, size, data
	movw	$\addr, %ax
	call	get32
	movl	%eax, %edi
	movw	$\size, %ax
	call	get32
	movl	%eax, %ecx
	testl	%ecx, %ecx
	jz	2f
	movw	$\data, %ax
	call	dma_read
	jnz	fail
2:
.endm

bev:
	cld
	load	SETUP_ADDR, SETUP_SIZE, SETUP_DATA
	load	CMDLINE_ADDR, CMDLINE_SIZE, CMDLINE_DATA
	load	KERNEL_ADDR, KERNEL_SIZE, KERNEL_DATA
	load	INITRD_ADDR, INITRD_SIZE, INITRD_DATA

	/* The stack ends 16 bytes below the command line. */
	movw	$SETUP_ADDR, %ax
	call	get32
	movl	%eax, %ebx
	movw	$CMDLINE_ADDR, %ax
	call	get32
	subl	%ebx, %eax
	subl	$16, %eax
	movl	%eax, %esi
	shrl	$4, %ebx

	cli
	movw	%bx, %ds
	movw	%bx, %es
	movw	%bx, %fs
	movw	%bx, %gs
	movw	%bx, %ss
	movl	%esi, %esp
	addw	$0x20, %bx		/* the setup code starts 512 bytes in */
	pushw	%bx
	pushw	$0
	xorl	%eax, %eax
	xorl	%ebx, %ebx
	xorl	%ecx, %ecx
	xorl	%edx, %edx
	xorl	%esi, %esi
	xorl	%edi, %edi
	xorl	%ebp, %ebp
	lret

fail:
	movw	$OFF(failure), %si
3:	lodsb	%cs:(%si), %al
	testb	%al, %al
	jz	4f
	movb	$0x0e, %ah		/* teletype output */
	movw	$0x0007, %bx
	int	$0x10
	jmp	3b
4:	int	$0x18			/* boot failure: try the next device */

	.org	ROM_SIZE - 1
	.byte	0			/* checksum */
linuxboot_rom_end:

	.section .note.GNU-stack, "", @progbits
