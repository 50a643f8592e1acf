/*
 * RPC round trip: rpc_call to an entrypoint beside a raw SEQPACKET ping-pong.
 * SPDX-License-Identifier: MIT
 *
 * Usage: bench-rpc [COUNT [REPS]]
 * Both variants move the same bytes: a 24-byte request (8-byte header,
 * 16-byte arguments) and a 24-byte reply (8-byte header, 16-byte result).
 * The cairn server is an rpc_obj served by cairn_ep_run(); the raw server
 * is a blocking recv()/send() loop. Prints, per placement, one figure line
 * "figure: rpc_roundtrip[_2cpu] cairn=<us> peer=<us> ratio=<cairn/peer>",
 * each value the median of REPS alternating runs of COUNT calls.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cairn/entrypoint.h>
#include <cairn/rpc.h>

#include "bench_ipc.h"

#define MAX_REPS	15
#define WARMUP		1000

enum { OP_ECHO, OP_QUIT };

struct echo {
	uint64_t a, b;
};

/* The raw variant's messages: the same layout rpc.c puts on the wire. */
struct raw_req {
	struct rpc_req_hdr h;
	struct echo e;
};

struct raw_rep {
	struct rpc_rep_hdr h;
	struct echo e;
};

struct server {
	struct cairn_ep *ep;
	int fd;			/* client end; the server closes it */
};

static int
op_echo(struct rpc_msg *m)
{
	struct echo e;

	memcpy(&e, m->args, sizeof(e));
	e.a++;
	memcpy(m->res, &e, sizeof(e));
	m->res_size = sizeof(e);
	return RPC_OK;
}

static int
op_quit(struct rpc_msg *m)
{
	cairn_ep_stop(rpc_obj_priv(m->obj));
	return RPC_OK;
}

static const struct rpc_op bench_ops[] = {
	[OP_ECHO] = { "echo", sizeof(struct echo), 0, op_echo },
	[OP_QUIT] = { "quit", 0, 0, op_quit },
};

static const struct rpc_iface bench_iface = {
	.name = "bench",
	.ops = bench_ops,
	.n_ops = sizeof(bench_ops) / sizeof(bench_ops[0]),
};

static int
cairn_server(void *arg)
{
	struct server *s = arg;

	close(s->fd);
	return cairn_ep_run(s->ep) == 0 ? 0 : 1;
}

static int
cairn_calls(int cap, unsigned n)
{
	struct echo e = { 0, 7 }, r;
	unsigned i;

	for (i = 0; i < n; i++) {
		if (rpc_call_simple(cap, OP_ECHO, &e, sizeof(e), &r,
		    sizeof(r)) != RPC_OK || r.a != e.a + 1)
			return -1;
		e.a = r.a;
	}
	return 0;
}

/* Microseconds per round trip, or a negative value on failure. */
static double
cairn_run(const struct placement *pl, unsigned count)
{
	struct server s;
	struct rpc_obj *obj;
	double us = -1;
	uint64_t t0;
	pid_t pid;
	int err;

	s.fd = -1;
	s.ep = cairn_ep_create(&err);
	if (s.ep == NULL)
		return -1;
	/* Created before the fork: the child serves it, we hold the cap. */
	obj = rpc_obj_create(s.ep, &bench_iface, s.ep);
	if (obj == NULL || (s.fd = rpc_obj_cap(obj)) < 0)
		goto out;
	pid = spawn(pl, cairn_server, &s);
	if (pid < 0)
		goto out_cap;
	if (cairn_calls(s.fd, WARMUP) == 0) {
		t0 = now_ns();
		if (cairn_calls(s.fd, count) == 0)
			us = (double)(now_ns() - t0) / 1e3 / count;
	}
	if (rpc_call_simple(s.fd, OP_QUIT, NULL, 0, NULL, 0) != RPC_OK)
		us = -1;
	if (reap(pid, "cairn rpc server") < 0)
		us = -1;
out_cap:
	close(s.fd);
out:
	/* The child is gone: tearing down our copy of ep touches nothing of
	 * its. */
	cairn_ep_destroy(s.ep);
	return us;
}

static int
raw_server(void *arg)
{
	int fd = *(int *)arg;
	struct raw_req q;
	struct raw_rep p;
	ssize_t n;

	for (;;) {
		n = recv(fd, &q, sizeof(q), 0);
		if (n < (ssize_t)sizeof(q.h))
			return 1;
		memset(&p, 0, sizeof(p));
		if (q.h.op == OP_QUIT)
			return send(fd, &p.h, sizeof(p.h), MSG_NOSIGNAL) < 0;
		p.h.size = sizeof(p.e);
		p.e = q.e;
		p.e.a++;
		if (send(fd, &p, sizeof(p), MSG_NOSIGNAL) != sizeof(p))
			return 1;
	}
}

static int
raw_calls(int fd, unsigned n)
{
	struct raw_req q = { { OP_ECHO, sizeof(struct echo) }, { 0, 7 } };
	struct raw_rep p;
	unsigned i;

	for (i = 0; i < n; i++) {
		if (send(fd, &q, sizeof(q), MSG_NOSIGNAL) != sizeof(q) ||
		    recv(fd, &p, sizeof(p), 0) != sizeof(p) ||
		    p.e.a != q.e.a + 1)
			return -1;
		q.e.a = p.e.a;
	}
	return 0;
}

static double
raw_run(const struct placement *pl, unsigned count)
{
	struct rpc_req_hdr quit = { OP_QUIT, 0 };
	struct rpc_rep_hdr rep;
	double us = -1;
	uint64_t t0;
	pid_t pid;
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -1;
	pid = spawn(pl, raw_server, &sv[1]);
	if (pid < 0)
		goto out;
	close(sv[1]);
	sv[1] = -1;
	if (raw_calls(sv[0], WARMUP) == 0) {
		t0 = now_ns();
		if (raw_calls(sv[0], count) == 0)
			us = (double)(now_ns() - t0) / 1e3 / count;
	}
	if (send(sv[0], &quit, sizeof(quit), MSG_NOSIGNAL) != sizeof(quit) ||
	    recv(sv[0], &rep, sizeof(rep), 0) != sizeof(rep))
		us = -1;
	if (reap(pid, "raw server") < 0)
		us = -1;
out:
	close(sv[0]);
	if (sv[1] >= 0)
		close(sv[1]);
	return us;
}

int
main(int argc, char **argv)
{
	struct placement pl[2];
	double cairn[MAX_REPS], peer[MAX_REPS], c, p;
	unsigned long count, reps;
	unsigned k;
	int npl, i;

	if (argc > 3) {
		fprintf(stderr, "usage: bench-rpc [COUNT [REPS]]\n");
		return 2;
	}
	count = argc > 1 ? strtoul(argv[1], NULL, 0) : 20000;
	reps = argc > 2 ? strtoul(argv[2], NULL, 0) : 5;
	if (count == 0 || count > 100000000 || reps == 0 || reps > MAX_REPS) {
		fprintf(stderr, "bench-rpc: bad arguments\n");
		return 2;
	}
	npl = placements(pl);
	for (i = 0; i < npl; i++) {
		for (k = 0; k < reps; k++) {
			/* Alternate, so drift hits both variants alike. */
			cairn[k] = cairn_run(&pl[i], (unsigned)count);
			peer[k] = raw_run(&pl[i], (unsigned)count);
			if (cairn[k] <= 0 || peer[k] <= 0)
				return 1;
		}
		c = median(cairn, (unsigned)reps);
		p = median(peer, (unsigned)reps);
		printf("rpc_roundtrip%s: cpus %d,%d: cairn %.2f us, raw "
		    "SEQPACKET %.2f us per round trip (24-byte request and "
		    "reply, %lu calls, median of %lu)\n", pl[i].suffix,
		    pl[i].cpu[0], pl[i].cpu[1], c, p, count, reps);
		printf("figure: rpc_roundtrip%s cairn=%.2f peer=%.2f "
		    "ratio=%.3f\n", pl[i].suffix, c, p, c / p);
		fflush(stdout);
	}
	return 0;
}
