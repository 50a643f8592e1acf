/*
 * The component the start benchmark launches: says "ready" on fd 3, exits.
 * SPDX-License-Identifier: MIT
 */
#include <unistd.h>

int main(void)
{
	return write(3, "ready\n", 6) == 6 ? 0 : 1;
}
