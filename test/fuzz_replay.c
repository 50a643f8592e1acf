/*
 * Replays a fuzz corpus through a fuzz target: one result line per file
 * (shared by every fuzz target; argv[1] names it in the result lines).
 * SPDX-License-Identifier: MIT
 *
 * Built with any compiler, so corpus regressions run in `make test` even
 * where libFuzzer is unavailable. A violated invariant aborts the program,
 * which the test runner reports as a failure.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_FILES	4096

static int
cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Read path whole; NULL on error. */
static uint8_t *
slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long n;

	if (f == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0 &&
	    (buf = malloc((size_t)n + 1)) != NULL &&
	    fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	if (buf != NULL)
		*len = (size_t)n;
	fclose(f);
	return buf;
}

int
main(int argc, char **argv)
{
	char *names[MAX_FILES], path[4096];
	struct dirent *de;
	size_t n = 0, len;
	uint8_t *buf;
	int failed = 0;
	DIR *d;

	if (argc != 3 || (d = opendir(argv[2])) == NULL) {
		printf("FAIL - fuzz-replay: corpus directory (usage: %s NAME DIR)\n",
		    argv[0]);
		return 1;
	}
	while ((de = readdir(d)) != NULL && n < MAX_FILES)
		if (de->d_name[0] != '.')
			names[n++] = strdup(de->d_name);
	closedir(d);
	qsort(names, n, sizeof(names[0]), cmp);
	for (size_t i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", argv[2], names[i]);
		if ((buf = slurp(path, &len)) == NULL) {
			printf("FAIL - %s-%s: cannot read %s\n", argv[1],
			    names[i], path);
			failed = 1;
		} else {
			fflush(stdout);
			LLVMFuzzerTestOneInput(buf, len);
			printf("ok - %s-%s: %zu bytes keep every "
			    "invariant\n", argv[1], names[i], len);
			free(buf);
		}
		free(names[i]);
	}
	if (n == 0) {
		printf("FAIL - %s: no corpus files in %s\n", argv[1], argv[2]);
		failed = 1;
	}
	return failed;
}
