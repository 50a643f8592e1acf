/*
 * bench-vmm-run: start a command, and time how long until a line of its
 * output contains a marker and until it is done; report its peak RSS.
 * SPDX-License-Identifier: MIT
 *
 * Usage: bench-vmm-run MARKER DONE -- COMMAND [ARG...]
 *   MARKER  text of the guest's serial line (e.g. "hello: Hello")
 *   DONE    text of a line that means the guest is done, or "-" for the
 *           command's exit (QEMU exits with the guest; cairn's core keeps
 *           running, so for cairn DONE is init's "child ... exited" line,
 *           after which the command gets SIGTERM)
 * Prints one line: "marker_ms=M done_ms=D maxrss_kib=R status=S".
 * maxrss is wait4's ru_maxrss of the command: the largest resident set of
 * the command and of every descendant it reaped — for cairn's core that
 * includes init and the vmm.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int
main(int argc, char **argv)
{
	const char *marker, *done;
	double t0, t_marker = -1, t_done = -1;
	char buf[65536], line[4096];
	size_t len = 0;
	struct rusage ru;
	int p[2], status = 0;
	pid_t pid;
	FILE *in;

	if (argc < 5 || strcmp(argv[3], "--") != 0) {
		fprintf(stderr, "usage: bench-vmm-run MARKER DONE -- COMMAND "
		    "[ARG...]\n");
		return 2;
	}
	marker = argv[1];
	done = strcmp(argv[2], "-") == 0 ? NULL : argv[2];
	if (pipe(p) < 0) {
		perror("pipe");
		return 1;
	}
	t0 = now_ms();
	pid = fork();
	if (pid < 0) {
		perror("fork");
		return 1;
	}
	if (pid == 0) {
		setpgid(0, 0);
		dup2(p[1], 1);
		dup2(p[1], 2);
		close(p[0]);
		close(p[1]);
		execvp(argv[4], argv + 4);
		perror(argv[4]);
		_exit(127);
	}
	setpgid(pid, pid);
	close(p[1]);
	in = fdopen(p[0], "r");
	setvbuf(in, buf, _IOFBF, sizeof(buf));
	while (fgets(line, sizeof(line), in) != NULL) {
		len = strlen(line);
		if (t_marker < 0 && strstr(line, marker) != NULL)
			t_marker = now_ms() - t0;
		if (done != NULL && t_done < 0 && strstr(line, done) != NULL) {
			t_done = now_ms() - t0;
			kill(-pid, SIGTERM);
		}
		if (getenv("BENCH_VMM_VERBOSE") != NULL)
			fprintf(stderr, "%8.2f %s", now_ms() - t0, line);
	}
	(void)len;
	if (wait4(pid, &status, 0, &ru) < 0) {
		perror("wait4");
		return 1;
	}
	if (done == NULL)
		t_done = now_ms() - t0;
	fclose(in);
	printf("marker_ms=%.2f done_ms=%.2f maxrss_kib=%ld status=%d\n",
	    t_marker, t_done, ru.ru_maxrss,
	    WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	return t_marker < 0 || t_done < 0;
}
