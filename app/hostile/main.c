/*
 * hostile: a component that tries everything its sandbox must prevent and
 * logs the outcome of each attempt ("denied" is the expected outcome).
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cairn/env.h>
#include <cairn/session/rom.h>
#include <cairn/session/timer.h>

static void
report(struct cairn_env *env, const char *what, int r)
{
	if (r < 0)
		cairn_log(env, "%s: denied (%s)", what, strerror(errno));
	else
		cairn_error(env, "%s: ALLOWED", what);
}

/* Send requests without ever reading a reply. */
static void
flood(struct cairn_env *env)
{
	char detail[128];
	struct { struct rpc_req_hdr h; } msg = { { TIMER_ELAPSED, 0 } };
	int cap = cairn_session(env, "Timer", "label=\"flood\", ram_quota=4K",
	    NULL, detail, sizeof(detail));
	int i, sent = 0;
	bool dead = false;

	if (cap < 0) {
		cairn_error(env, "no Timer session to flood: %s", detail);
		return;
	}
	/* Keep sending until the server gives up on us (our send then fails
	 * with EPIPE) or two seconds passed. */
	for (i = 0; i < 200 && !dead; i++) {
		for (;;) {
			if (send(cap, &msg, sizeof(msg), MSG_DONTWAIT |
			    MSG_NOSIGNAL) >= 0) {
				sent++;
				continue;
			}
			dead = errno == EPIPE || errno == ECONNRESET;
			break;
		}
		usleep(10000);
	}
	cairn_log(env, "flooding the timer: %s after %d requests", dead ?
	    "disconnected" : "still served", sent);
	close(cap);
	/* The server itself is fine: a new session is served at once. */
	cap = cairn_session(env, "Timer", "label=\"after\", ram_quota=4K",
	    NULL, detail, sizeof(detail));
	{
		struct timer_elapsed_res r;

		cairn_log(env, "a new timer session after the flood: %s",
		    cap >= 0 && rpc_call_simple(cap, TIMER_ELAPSED, NULL, 0, &r,
		    sizeof(r)) == 0 ? "served" : "NOT served");
	}
	if (cap >= 0)
		close(cap);
}

/*
 * A thread may lower its own scheduling class and return to SCHED_OTHER;
 * a real-time class, another thread (pid 1 is our main thread in our PID
 * namespace, so the kernel alone would allow it) and sched_setattr are
 * refused.
 */
static void
sched(struct cairn_env *env)
{
	struct sched_param sp = { .sched_priority = 1 };
	struct sched_param zero = { .sched_priority = 0 };
	struct {	/* struct sched_attr, version 0 (48 bytes) */
		uint32_t size, policy;
		uint64_t flags;
		int32_t nice;
		uint32_t priority;
		uint64_t runtime, deadline, period;
	} attr = { sizeof(attr), SCHED_FIFO, 0, 0, 1, 0, 0, 0 };

	report(env, "sched_setscheduler(0, SCHED_FIFO)",
	    sched_setscheduler(0, SCHED_FIFO, &sp));
	report(env, "sched_setscheduler(0, SCHED_RR)",
	    sched_setscheduler(0, SCHED_RR, &sp));
	report(env, "sched_setscheduler(1, SCHED_BATCH)",
	    sched_setscheduler(1, SCHED_BATCH, &zero));
	report(env, "sched_setattr(0, SCHED_FIFO)",
	    (int)syscall(SYS_sched_setattr, 0, &attr, 0));
	cairn_log(env, "sched_setscheduler(0, SCHED_BATCH), then SCHED_OTHER: "
	    "%s", sched_setscheduler(0, SCHED_BATCH, &zero) == 0 &&
	    sched_setscheduler(0, SCHED_OTHER, &zero) == 0 ? "allowed" :
	    strerror(errno));
}

void
construct(struct cairn_env *env)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
	    .sin_port = htons(80), .sin_addr = { htonl(0x7f000001) } };
	struct cairn_rom rom;
	int fd, i, foreign = 0;
	char *argv[] = { "sh", NULL };
	pid_t pid;

	report(env, "open /etc/passwd", open("/etc/passwd", O_RDONLY));
	report(env, "open /proc/self/mem", open("/proc/self/mem", O_RDWR));
	report(env, "create /evil", open("/evil", O_CREAT | O_WRONLY, 0600));
	fd = socket(AF_INET, SOCK_STREAM, 0);
	report(env, "socket(AF_INET)", fd);
	report(env, "socket(AF_UNIX)", socket(AF_UNIX, SOCK_STREAM, 0));
	report(env, "connect to 127.0.0.1:80",
	    connect(fd < 0 ? 3 : fd, (struct sockaddr *)&sin, sizeof(sin)));
	report(env, "execve /bin/sh", execve("/bin/sh", argv, NULL));
	/*
	 * Core's filter lets execveat of a descriptor through (that is how
	 * it starts us); our own, installed at startup, refuses it. Standard
	 * input is /dev/null: without that filter this would say
	 * "Permission denied" (not a regular file).
	 */
	report(env, "execveat of a descriptor", (int)syscall(SYS_execveat, 0,
	    "", argv, NULL, AT_EMPTY_PATH));
	report(env, "ptrace(TRACEME)", (int)ptrace(PTRACE_TRACEME, 0, 0, 0));
	report(env, "kill(-1, SIGKILL)", kill(-1, SIGKILL));
	pid = fork();
	if (pid == 0)
		_exit(0);
	report(env, "fork", pid);
	report(env, "memfd_create", memfd_create("x", 0));
	sched(env);

	/* The only capabilities (sockets) we hold are parent, PD and LOG:
	 * no descriptor number leads to anybody else's. */
	for (i = 0; i < 1024; i++) {
		struct stat st;

		if (i != env->parent && i != env->pd && i != env->log &&
		    fstat(i, &st) == 0 && S_ISSOCK(st.st_mode))
			foreign++;
	}
	cairn_log(env, "guessing descriptors 0..1023: %d foreign "
	    "capabilities found", foreign);

	/* A ROM mapping cannot be made writable. */
	if (cairn_rom_open(env, "config", &rom) == 0 && rom.valid) {
		report(env, "make the config ROM writable",
		    mprotect(rom.ds.addr, rom.ds.size, PROT_READ | PROT_WRITE));
		cairn_rom_close(env, &rom);
	}
	flood(env);
	cairn_log(env, "hostile done");
	cairn_exit(env, 0);
}
