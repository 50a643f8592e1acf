/*
 * Unit tests of RPC: calls with fds, malformed requests, dead servers,
 * delegation, deferred replies, signals.
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cairn/entrypoint.h>
#include <cairn/rpc.h>

#include "../test.h"

T_STATE_DEFINE;

enum { OP_ADD, OP_ECHO_FD, OP_DIE, OP_DEFER, OP_SLOW, N_OPS };

struct add_args { int32_t a, b; };
struct add_res { int32_t sum; };

static struct rpc_pending *deferred;

static int
h_add(struct rpc_msg *m)
{
	const struct add_args *a = m->args;
	struct add_res r = { a->a + a->b };

	memcpy(m->res, &r, sizeof(r));
	m->res_size = sizeof(r);
	return 0;
}

/* Reads the byte behind the received fd, returns it and the fd back. */
static int
h_echo_fd(struct rpc_msg *m)
{
	char c = 0;

	if (m->nfds != 1 || read(m->fds[0], &c, 1) != 1)
		return 7;
	((char *)m->res)[0] = c;
	m->res_size = 1;
	m->res_fds[0] = m->fds[0];
	m->res_nfds = 1;
	m->fds[0] = -1;		/* ownership moved to the reply */
	return 0;
}

static int
h_die(struct rpc_msg *m)
{
	_exit(0);
}

static int
h_defer(struct rpc_msg *m)
{
	deferred = rpc_defer(m);
	return RPC_DEFER;
}

/* A second call answers the deferred one first. */
static int
h_slow(struct rpc_msg *m)
{
	if (deferred) {
		int32_t v = 42;

		rpc_reply(deferred, 0, &v, sizeof(v), NULL, 0);
		deferred = NULL;
	}
	return 0;
}

static const struct rpc_op ops[N_OPS] = {
	[OP_ADD] = { "add", sizeof(struct add_args), 0, h_add },
	[OP_ECHO_FD] = { "echo_fd", 0, 1, h_echo_fd },
	[OP_DIE] = { "die", 0, 0, h_die },
	[OP_DEFER] = { "defer", 0, 0, h_defer },
	[OP_SLOW] = { "slow", 0, 0, h_slow },
};

static const struct rpc_iface iface = { "test", ops, N_OPS, NULL, false };

/* Fork a server process serving one object; returns a capability. */
static int
spawn_server(pid_t *pid, int ncaps, int *extra)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return -1;
	*pid = fork();
	if (*pid == 0) {
		int err, cap, i;
		struct cairn_ep *ep = cairn_ep_create(&err);
		struct rpc_obj *o = rpc_obj_create(ep, &iface, NULL);

		close(sv[0]);
		for (i = 0; i < ncaps; i++) {
			char b = 0;
			struct msghdr mh;
			union { struct cmsghdr a; char buf[CMSG_SPACE(4)]; } u;
			struct iovec io = { &b, 1 };
			struct cmsghdr *c;

			cap = rpc_obj_cap(o);
			memset(&mh, 0, sizeof(mh));
			mh.msg_iov = &io;
			mh.msg_iovlen = 1;
			mh.msg_control = u.buf;
			mh.msg_controllen = sizeof(u.buf);
			c = CMSG_FIRSTHDR(&mh);
			c->cmsg_level = SOL_SOCKET;
			c->cmsg_type = SCM_RIGHTS;
			c->cmsg_len = CMSG_LEN(4);
			memcpy(CMSG_DATA(c), &cap, 4);
			sendmsg(sv[1], &mh, 0);
			close(cap);
		}
		close(sv[1]);
		cairn_ep_run(ep);
		_exit(0);
	}
	close(sv[1]);
	for (int i = 0; i < ncaps; i++) {
		char b;
		struct msghdr mh;
		union { struct cmsghdr a; char buf[CMSG_SPACE(4)]; } u;
		struct iovec io = { &b, 1 };

		memset(&mh, 0, sizeof(mh));
		mh.msg_iov = &io;
		mh.msg_iovlen = 1;
		mh.msg_control = u.buf;
		mh.msg_controllen = sizeof(u.buf);
		if (recvmsg(sv[0], &mh, 0) != 1)
			return -1;
		memcpy(&extra[i], CMSG_DATA(CMSG_FIRSTHDR(&mh)), 4);
	}
	close(sv[0]);
	return extra[0];
}

static void
stop(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static void
t_call(void)
{
	pid_t pid;
	int caps[1], cap = spawn_server(&pid, 1, caps);
	struct add_args a = { 40, 2 };
	struct add_res r = { 0 };

	T_CHECK(cap >= 0);
	T_CHECK(rpc_call_simple(cap, OP_ADD, &a, sizeof(a), &r, sizeof(r)) == 0);
	T_CHECK(r.sum == 42);
	stop(pid);
}

static void
t_fds(void)
{
	pid_t pid;
	int caps[1], cap = spawn_server(&pid, 1, caps);
	int p[2], back = -1;
	unsigned nback = 1;
	char c = 0;

	T_CHECK(cap >= 0 && pipe(p) == 0);
	T_CHECK(write(p[1], "x", 1) == 1 && write(p[1], "y", 1) == 1);
	T_CHECK(rpc_call(cap, OP_ECHO_FD, NULL, 0, &p[0], 1, &c, 1, NULL, &back,
	    &nback) == 0);
	T_CHECK(c == 'x' && nback == 1 && back >= 0);
	/* The returned fd is the same pipe: the next byte is there. */
	T_CHECK(read(back, &c, 1) == 1 && c == 'y');
	stop(pid);
}

static void
t_malformed(void)
{
	pid_t pid;
	int caps[1], cap = spawn_server(&pid, 1, caps);
	struct add_args a = { 1, 2 };
	struct add_res r;
	char big[64] = { 0 };
	int p[2], fds[2];
	struct rpc_req_hdr h = { OP_ADD, 99 };

	T_CHECK(cap >= 0 && pipe(p) == 0);
	T_CHECK(rpc_call_simple(cap, 77, NULL, 0, NULL, 0) == RPC_E_OPCODE);
	T_CHECK(rpc_call_simple(cap, OP_ADD, big, sizeof(big), &r,
	    sizeof(r)) == RPC_E_SIZE);
	fds[0] = p[0];
	fds[1] = p[1];
	T_CHECK(rpc_call(cap, OP_ADD, &a, sizeof(a), fds, 2, &r, sizeof(r),
	    NULL, NULL, NULL) == RPC_E_FDS);
	/* A header that lies about the payload size. */
	T_CHECK(send(cap, &h, sizeof(h), 0) == sizeof(h));
	{
		struct rpc_rep_hdr rh;

		T_CHECK(recv(cap, &rh, sizeof(rh), 0) == sizeof(rh));
		T_CHECK(rh.status == RPC_E_PROTO);
	}
	/* A runt message. */
	T_CHECK(send(cap, "ab", 2, 0) == 2);
	{
		struct rpc_rep_hdr rh;

		T_CHECK(recv(cap, &rh, sizeof(rh), 0) == sizeof(rh));
		T_CHECK(rh.status == RPC_E_PROTO);
	}
	/* The server carries on. */
	T_CHECK(rpc_call_simple(cap, OP_ADD, &a, sizeof(a), &r, sizeof(r)) == 0);
	T_CHECK(r.sum == 3);
	stop(pid);
}

static void
t_dead(void)
{
	pid_t pid;
	int caps[1], cap = spawn_server(&pid, 1, caps);
	struct add_args a = { 1, 2 };
	struct add_res r;

	T_CHECK(cap >= 0);
	/* The server exits inside the handler: the caller gets an error. */
	T_CHECK(rpc_call_simple(cap, OP_DIE, NULL, 0, NULL, 0) == RPC_E_DEAD);
	waitpid(pid, NULL, 0);
	T_CHECK(rpc_call_simple(cap, OP_ADD, &a, sizeof(a), &r, sizeof(r)) ==
	    RPC_E_DEAD);
}

static void
t_mint(void)
{
	pid_t pid;
	int caps[1], cap = spawn_server(&pid, 1, caps), fresh;
	struct add_args a = { 5, 6 };
	struct add_res r;

	T_CHECK(cap >= 0);
	fresh = rpc_mint(cap);
	T_CHECK(fresh >= 0 && fresh != cap);
	close(cap);
	/* The minted connection works on its own. */
	T_CHECK(rpc_call_simple(fresh, OP_ADD, &a, sizeof(a), &r, sizeof(r)) ==
	    0 && r.sum == 11);
	stop(pid);
}

static void
t_defer(void)
{
	pid_t pid;
	int caps[2], cap = spawn_server(&pid, 2, caps);
	int32_t v = 0;
	pid_t c;
	int st;

	T_CHECK(cap >= 0);
	/* A child process waits on the deferred call; the second
	 * connection triggers the reply. */
	c = fork();
	if (c == 0) {
		int r = rpc_call_simple(caps[0], OP_DEFER, NULL, 0, &v,
		    sizeof(v));

		_exit(r == 0 && v == 42 ? 0 : 1);
	}
	usleep(50000);
	T_CHECK(rpc_call_simple(caps[1], OP_SLOW, NULL, 0, NULL, 0) == 0);
	T_CHECK(waitpid(c, &st, 0) == c);
	T_CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	stop(pid);
}

struct lookup_ctx { int hits; };

static void
t_lookup(void)
{
	int err;
	struct cairn_ep *ep = cairn_ep_create(&err);
	struct rpc_obj *o1 = rpc_obj_create(ep, &iface, NULL);
	struct rpc_obj *o2 = rpc_obj_create(ep, &iface, NULL);
	int c1 = rpc_obj_cap(o1), c2 = rpc_obj_cap(o2), p[2];

	T_CHECK(c1 >= 0 && c2 >= 0 && pipe(p) == 0);
	T_CHECK(rpc_obj_lookup(ep, c1) == o1);
	T_CHECK(rpc_obj_lookup(ep, c2) == o2);
	T_CHECK(rpc_obj_lookup(ep, p[0]) == NULL);
	rpc_obj_destroy(o1);
	T_CHECK(rpc_obj_lookup(ep, c1) == NULL);
	cairn_ep_destroy(ep);
}

static uint64_t sig_total;

static void
on_sig(void *ctx, uint64_t count)
{
	sig_total += count;
}

static void
t_signal(void)
{
	int err;
	struct cairn_ep *ep = cairn_ep_create(&err);
	struct cairn_sig *s = cairn_sig_create(ep, on_sig, NULL);
	int cap = cairn_sig_cap(s);

	T_CHECK(cap >= 0);
	/* Three submits before dispatch arrive as one delivery of 3. */
	T_CHECK(cairn_sig_submit(cap) == 0 && cairn_sig_submit(cap) == 0 &&
	    cairn_sig_submit(cap) == 0);
	T_CHECK(cairn_ep_dispatch_once(ep, 100) == 1);
	T_CHECK(sig_total == 3);
	T_CHECK(cairn_ep_dispatch_once(ep, 10) == 0);
	cairn_ep_destroy(ep);
}

/*
 * The receiver also holds the capability it handed out (the same open
 * file as the source's): it clears O_NONBLOCK and fills the pipe. The
 * source's submits must neither block nor fail (an alarm turns a hang
 * into a failure), and the receiver still sees them pending. A
 * "capability" that is not a pipe (an eventfd, whose writes cannot be
 * made non-blocking) is refused, not written.
 */
static void
t_signal_hostile(void)
{
	uint64_t full = 0xfffffffffffffffeull, v = 0;
	uint8_t junk[4096] = { 0 };
	int err, cap, mine, fl, e, i;
	struct cairn_ep *ep = cairn_ep_create(&err);
	struct cairn_sig *s = cairn_sig_create(ep, on_sig, NULL);

	T_CHECK(s != NULL && (cap = cairn_sig_cap(s)) >= 0 &&
	    (mine = cairn_sig_cap(s)) >= 0);
	while (write(mine, junk, sizeof(junk)) > 0)
		;
	T_CHECK(errno == EAGAIN);
	fl = fcntl(mine, F_GETFL);
	T_CHECK(fl >= 0 && fcntl(mine, F_SETFL, fl & ~O_NONBLOCK) == 0);
	alarm(5);
	for (i = 0; i < 1000; i++)
		T_CHECK(cairn_sig_submit(cap) == 0);
	alarm(0);
	sig_total = 0;
	T_CHECK(cairn_ep_dispatch_once(ep, 100) == 1);
	T_CHECK(sig_total >= 65536);
	/* Emptied: a new submit is one again. */
	T_CHECK(cairn_sig_submit(cap) == 0);
	sig_total = 0;
	T_CHECK(cairn_ep_dispatch_once(ep, 100) == 1 && sig_total == 1);
	T_CHECK((e = eventfd(0, EFD_CLOEXEC)) >= 0);
	T_CHECK(write(e, &full, sizeof(full)) == sizeof(full));
	alarm(5);
	T_CHECK(cairn_sig_submit(e) == -EOPNOTSUPP);
	alarm(0);
	T_CHECK(read(e, &v, sizeof(v)) == sizeof(v) && v == full);
	close(e);
	close(cap);
	close(mine);
	/* The receiver is gone: EPIPE (SIGPIPE is the component's to
	 * ignore; the test ignores it too). */
	cap = cairn_sig_cap(s);
	cairn_sig_destroy(s);
	signal(SIGPIPE, SIG_IGN);
	T_CHECK(cairn_sig_submit(cap) == -EPIPE);
	close(cap);
	cairn_ep_destroy(ep);
}

static int timer_hits;

static void
on_timer(void *ctx)
{
	timer_hits++;
}

static void
t_timer(void)
{
	int err;
	struct cairn_ep *ep = cairn_ep_create(&err);
	struct cairn_timer *t = cairn_timer_create(ep, on_timer, NULL);
	uint64_t t0 = cairn_now_us();

	T_CHECK(t != NULL && cairn_timer_set(t, 20000, 0) == 0);
	while (timer_hits == 0 && cairn_now_us() - t0 < 2000000)
		cairn_ep_dispatch_once(ep, 100);
	T_CHECK(timer_hits == 1);
	T_CHECK(cairn_now_us() - t0 >= 20000);
	cairn_ep_destroy(ep);
}

/* A client that floods without reading replies is cut off; others go on. */
static void
t_flood(void)
{
	pid_t pid;
	int caps[2], cap = spawn_server(&pid, 2, caps);
	struct add_args a = { 1, 1 };
	struct rpc_req_hdr h = { OP_ADD, sizeof(a) };
	char msg[sizeof(h) + sizeof(a)];
	struct add_res r;
	int i, sent = 0;

	T_CHECK(cap >= 0);
	memcpy(msg, &h, sizeof(h));
	memcpy(msg + sizeof(h), &a, sizeof(a));
	for (i = 0; i < 100000; i++) {
		if (send(caps[0], msg, sizeof(msg), MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
			break;
		sent++;
	}
	T_CHECK(sent > 0);
	usleep(100000);
	T_CHECK(rpc_call_simple(caps[1], OP_ADD, &a, sizeof(a), &r,
	    sizeof(r)) == 0 && r.sum == 2);
	stop(pid);
}

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);
	T_RUN("rpc-001", "call with arguments and results", t_call);
	T_RUN("rpc-002", "descriptors travel both ways", t_fds);
	T_RUN("rpc-003", "malformed requests get error replies, server goes on",
	    t_malformed);
	T_RUN("rpc-004", "server dying mid-call gives RPC_E_DEAD, no hang",
	    t_dead);
	T_RUN("rpc-005", "mint hands out a fresh working connection", t_mint);
	T_RUN("rpc-006", "deferred reply answered from another request",
	    t_defer);
	T_RUN("rpc-007", "capabilities passed back are recognised", t_lookup);
	T_RUN("rpc-008", "signals have counter semantics", t_signal);
	T_RUN("rpc-009", "entrypoint timers fire", t_timer);
	T_RUN("rpc-010", "a flooding client does not stop others", t_flood);
	T_RUN("rpc-011", "a submit never blocks on a signal a peer made "
	    "blocking and full, nor writes to a non-pipe", t_signal_hostile);
	return t_done();
}
