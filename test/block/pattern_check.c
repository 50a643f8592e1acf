/*
 * block-pattern-check: verify on the host that an image holds
 * block_tester's pattern, e.g. after a scenario's components are gone.
 * SPDX-License-Identifier: MIT
 *
 * Usage: block-pattern-check [-w] IMAGE BLOCK_SIZE FIRST COUNT SEED
 * Checks blocks FIRST .. FIRST+COUNT-1 (of BLOCK_SIZE bytes) against the
 * pattern of SEED. Prints "N blocks ok" and exits 0, or names the first
 * bad block and what is wrong with it and exits 1 (2 on usage errors).
 * With -w it writes the pattern there instead (to prepare an image).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pattern.h"

static int
num(const char *s, unsigned long long *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 0);
	return errno == 0 && *s != '\0' && *end == '\0' ? 0 : -1;
}

int
main(int argc, char **argv)
{
	unsigned long long bs, first, count, seed, i;
	unsigned char *buf;
	bool write = argc > 1 && strcmp(argv[1], "-w") == 0;
	ssize_t n;
	int fd, r;

	if (write) {
		argc--;
		argv++;
	}
	if (argc != 6 || num(argv[2], &bs) < 0 || num(argv[3], &first) < 0 ||
	    num(argv[4], &count) < 0 || num(argv[5], &seed) < 0 ||
	    bs < PATTERN_MIN_BLOCK || bs % 8 || bs > (1u << 20)) {
		fprintf(stderr, "usage: block-pattern-check [-w] IMAGE "
		    "BLOCK_SIZE FIRST COUNT SEED\n");
		return 2;
	}
	fd = open(argv[1], write ? O_RDWR | O_CREAT | O_CLOEXEC :
	    O_RDONLY | O_CLOEXEC, 0644);
	buf = malloc(bs);
	if (fd < 0 || buf == NULL) {
		fprintf(stderr, "block-pattern-check: %s: %s\n", argv[1],
		    strerror(errno));
		return 2;
	}
	for (i = 0; write && i < count; i++) {
		pattern_fill(buf, (uint32_t)bs, first + i, seed);
		if (pwrite(fd, buf, bs, (off_t)((first + i) * bs)) !=
		    (ssize_t)bs) {
			printf("block %llu: cannot write it\n", first + i);
			return 1;
		}
	}
	for (i = 0; i < count; i++) {
		n = pread(fd, buf, bs, (off_t)((first + i) * bs));
		if (n != (ssize_t)bs) {
			printf("block %llu: cannot read it\n", first + i);
			return 1;
		}
		r = pattern_check(buf, (uint32_t)bs, first + i, seed);
		if (r != PATTERN_OK) {
			printf("block %llu: %s\n", first + i,
			    pattern_result_str(r));
			return 1;
		}
	}
	printf("%llu blocks ok\n", count);
	free(buf);
	close(fd);
	return 0;
}
