/*
 * Replays the ext2 mount-path corpus through the fuzz target: one result
 * line per image, so corrupt-image regressions run with any compiler.
 * SPDX-License-Identifier: MIT
 *
 * A violated invariant aborts (the runner reports the program); a hang
 * runs into the test's timeout.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
main(int argc, char **argv)
{
	char *names[256], path[4096];
	struct dirent *de;
	size_t n = 0, i, len;
	uint8_t *buf;
	FILE *f;
	DIR *d;
	long sz;

	if (argc != 2 || (d = opendir(argv[1])) == NULL) {
		printf("FAIL - ext2-fuzz-replay: corpus directory (usage: %s "
		    "DIR)\n", argv[0]);
		return 1;
	}
	while ((de = readdir(d)) != NULL && n < 256)
		if (de->d_name[0] != '.')
			names[n++] = strdup(de->d_name);
	closedir(d);
	qsort(names, n, sizeof(names[0]), cmp);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", argv[1], names[i]);
		buf = NULL;
		f = fopen(path, "rb");
		if (f && fseek(f, 0, SEEK_END) == 0 && (sz = ftell(f)) >= 0 &&
		    fseek(f, 0, SEEK_SET) == 0 &&
		    (buf = malloc((size_t)sz + 1)) != NULL &&
		    fread(buf, 1, (size_t)sz, f) == (size_t)sz) {
			len = (size_t)sz;
			LLVMFuzzerTestOneInput(buf, len);
			printf("ok - ext2-fuzz-replay: %s\n", names[i]);
		} else {
			printf("FAIL - ext2-fuzz-replay: %s: unreadable\n",
			    names[i]);
		}
		if (f)
			fclose(f);
		free(buf);
		free(names[i]);
	}
	return 0;
}
