/*
 * hello: the smallest guest — one line on the serial port, then the debug
 * exit port. bench/vmm times it under the vmm and under QEMU.
 * SPDX-License-Identifier: MIT
 */
#include "guest.h"

int
main(void)
{
	print("hello: Hello from a guest on vCPU %u\n", lapic_id());
	return 0;
}
