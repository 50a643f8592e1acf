/*
 * The program the start benchmark's peers launch: says "ready" on fd 3.
 * SPDX-License-Identifier: MIT
 *
 * Without arguments it then exits. With one ("stay") it waits until it is
 * killed, as the cairn component app/ready does, so that a batch of them
 * is measured without the teardown of earlier ones running alongside.
 */
#include <unistd.h>

int main(int argc, char **argv)
{
	(void)argv;
	if (write(3, "ready\n", 6) != 6)
		return 1;
	if (argc > 1)
		for (;;)
			pause();
	return 0;
}
