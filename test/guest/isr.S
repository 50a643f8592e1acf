/*
 * Test guests: interrupt entry stubs; each saves the caller-saved
 * registers and calls irq_handler(vector).
 * SPDX-License-Identifier: MIT
 */
.macro stub name, vector
	.globl \name
\name:
	pushq %rax
	pushq %rcx
	pushq %rdx
	pushq %rsi
	pushq %rdi
	pushq %r8
	pushq %r9
	pushq %r10
	pushq %r11
	movl $\vector, %edi
	call irq_handler
	popq %r11
	popq %r10
	popq %r9
	popq %r8
	popq %rdi
	popq %rsi
	popq %rdx
	popq %rcx
	popq %rax
	iretq
.endm

	.text
	.code64
	stub isr_default, 255
	stub isr_32, 32
	stub isr_48, 48
