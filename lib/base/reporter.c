/*
 * Reporter: open a Report session, fill its buffer, submit reports.
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cairn/env.h>
#include <cairn/reporter.h>
#include <cairn/session/report.h>

int
reporter_init(struct reporter *r, struct cairn_env *env, const char *name,
    size_t buffer_size)
{
	memset(r, 0, sizeof(*r));
	r->env = env;
	r->cap = -1;
	r->ds.fd = -1;
	r->buffer_size = buffer_size ? buffer_size : REPORT_DEFAULT_BUFFER;
	/* The name travels quoted in the session arguments. */
	if (strlen(name) >= sizeof(r->name) || strchr(name, '"') != NULL)
		return -ENAMETOOLONG;
	strcpy(r->name, name);
	return 0;
}

bool
reporter_enabled(const struct reporter *r)
{
	return r->cap >= 0;
}

static int
register_response_sig(struct reporter *r)
{
	int cap, st;

	cap = cairn_sig_cap(r->response_sig);
	if (cap < 0)
		return cap;
	st = rpc_call(r->cap, REPORT_RESPONSE_SIGH, NULL, 0, &cap, 1, NULL, 0,
	    NULL, NULL, NULL);
	close(cap);
	return st == RPC_OK ? 0 : st == RPC_E_DEAD ? -EPIPE : -EPROTO;
}

static int
open_session(struct reporter *r)
{
	struct report_ds_res res;
	char args[256];
	unsigned nfds = 1;
	int n, st, fd = -1;

	n = snprintf(args, sizeof(args), "label=\"%s\", buffer_size=%zu, "
	    "ram_quota=%zu", r->name, r->buffer_size,
	    (size_t)REPORT_QUOTA_OVERHEAD + r->buffer_size);
	if (n < 0 || (size_t)n >= sizeof(args))
		return -ENAMETOOLONG;
	r->detail[0] = '\0';
	r->cap = cairn_session(r->env, "Report", args, &r->id, r->detail,
	    sizeof(r->detail));
	if (r->cap < 0) {
		st = r->cap;
		r->cap = -1;
		return st;
	}
	memset(&res, 0, sizeof(res));
	st = rpc_call(r->cap, REPORT_DATASPACE, NULL, 0, NULL, 0, &res,
	    sizeof(res), NULL, &fd, &nfds);
	if (st != RPC_OK || nfds != 1) {
		if (nfds == 1)
			close(fd);
		st = st == RPC_E_DEAD ? -EPIPE : -EPROTO;
		goto fail;
	}
	st = cairn_ds_from_fd(&r->ds, fd);
	if (st < 0) {
		close(fd);
		goto fail;
	}
	/* The server names the usable size; the dataspace may be larger
	 * (page rounding) but never smaller. */
	if (res.size > r->ds.size || res.size == 0) {
		st = -EPROTO;
		goto fail_ds;
	}
	r->buffer_size = res.size;
	st = cairn_ds_attach(&r->ds, true);
	if (st < 0)
		goto fail_ds;
	if (r->response_sig != NULL && (st = register_response_sig(r)) < 0)
		goto fail_ds;
	return 0;
fail_ds:
	cairn_ds_release(&r->ds);
fail:
	cairn_session_close(r->env, r->id, r->cap);
	r->cap = -1;
	return st;
}

int
reporter_enable(struct reporter *r)
{
	return reporter_enabled(r) ? 0 : open_session(r);
}

void
reporter_disable(struct reporter *r)
{
	if (!reporter_enabled(r))
		return;
	cairn_ds_release(&r->ds);
	cairn_session_close(r->env, r->id, r->cap);
	r->cap = -1;
}

/* Submit the first len bytes of the buffer. */
static int
submit(struct reporter *r, size_t len)
{
	struct report_submit_args a = { .length = len };
	int st;

	st = rpc_call_simple(r->cap, REPORT_SUBMIT, &a, sizeof(a), NULL, 0);
	if (st == RPC_OK)
		return 0;
	return st == RPC_E_DEAD ? -EPIPE : -EIO;
}

int
reporter_submit(struct reporter *r, const void *data, size_t len)
{
	if (!reporter_enabled(r))
		return -ENOTCONN;
	if (len > r->buffer_size)
		return -EMSGSIZE;
	memcpy(r->ds.addr, data, len);
	return submit(r, len);
}

int
reporter_xml(struct reporter *r, const char *root,
    void (*fn)(struct xml_gen *g, void *ctx), void *ctx)
{
	size_t used;
	int st;

	if (!reporter_enabled(r))
		return -ENOTCONN;
	/* Generated in place: the buffer is ours outside of submit. */
	st = xml_generate(r->ds.addr, r->buffer_size, root ? root : r->name,
	    fn, ctx, &used);
	if (st < 0)
		return st;
	return submit(r, used);
}

int
reporter_response_sigh(struct reporter *r, cairn_sig_fn fn, void *ctx)
{
	if (!reporter_enabled(r))
		return -ENOTCONN;
	cairn_sig_destroy(r->response_sig);
	r->response_sig = cairn_sig_create(r->env->ep, fn, ctx);
	if (r->response_sig == NULL)
		return -ENOMEM;
	return register_response_sig(r);
}

long
reporter_obtain_response(struct reporter *r, void *dst, size_t cap)
{
	struct report_response_res res;
	int st;

	if (!reporter_enabled(r))
		return -ENOTCONN;
	st = rpc_call_simple(r->cap, REPORT_OBTAIN_RESPONSE, NULL, 0, &res,
	    sizeof(res));
	if (st != RPC_OK)
		return st == RPC_E_DEAD ? -EPIPE : -EPROTO;
	if (res.length > r->buffer_size)
		return -EPROTO;
	if (res.length > cap)
		return -EMSGSIZE;
	memcpy(dst, r->ds.addr, res.length);
	return (long)res.length;
}

void
reporter_fini(struct reporter *r)
{
	reporter_disable(r);
	cairn_sig_destroy(r->response_sig);
	r->response_sig = NULL;
}
