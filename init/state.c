/*
 * init's state report: children, their RAM and sessions as XML, sent to a
 * Report session labelled "state" whenever something changed.
 * SPDX-License-Identifier: MIT
 *
 * Config: <report [init_ram="yes"] [child_ram="yes"] [requested="yes"]
 * [provided="yes"] [delay_ms="100"] [buffer="16K"]/>. Changes within
 * delay_ms are folded into one report.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cairn/session/report.h>

#include "init.h"

static const char *const state_name[] = {
	[CHILD_NEW] = "new",
	[CHILD_RUNNING] = "running",
	[CHILD_EXITED] = "exited",
};

struct gen_ctx {
	struct init *in;
	struct state_report *st;
};

static void
gen_sessions(struct xml_gen *g, struct init *in, struct child *ch,
    bool as_client)
{
	struct session *s;

	xml_gen_open(g, as_client ? "requested" : "provided");
	for (s = in->sessions; s != NULL; s = s->next) {
		if ((as_client ? s->client : s->server) != ch)
			continue;
		xml_gen_open(g, "session");
		xml_gen_attr(g, "service", s->service);
		xml_gen_attr(g, "label", s->label);
		if (as_client)
			xml_gen_attr(g, "server", s->server ? s->server->name :
			    "parent");
		else
			xml_gen_attr(g, "client", s->client ? s->client->name :
			    "?");
		xml_gen_attr_u64(g, "ram_quota", s->quota);
		xml_gen_close(g);
	}
	xml_gen_close(g);
}

static void
gen_state(struct xml_gen *g, void *ctx)
{
	struct gen_ctx *c = ctx;
	struct init *in = c->in;
	struct state_report *st = c->st;
	struct child *ch;

	xml_gen_attr_u64(g, "version", ++st->version);
	if (st->init_ram) {
		xml_gen_open(g, "ram");
		xml_gen_attr_u64(g, "avail", in->avail);
		xml_gen_close(g);
	}
	for (ch = in->children; ch != NULL; ch = ch->next) {
		xml_gen_open(g, "child");
		xml_gen_attr(g, "name", ch->name);
		xml_gen_attr(g, "binary", ch->binary);
		xml_gen_attr(g, "state", state_name[ch->state]);
		if (st->child_ram) {
			xml_gen_open(g, "ram");
			xml_gen_attr_u64(g, "quantum", ch->quantum);
			xml_gen_attr_u64(g, "granted", ch->granted);
			xml_gen_attr_u64(g, "limit", ch->limit);
			xml_gen_close(g);
		}
		if (st->requested)
			gen_sessions(g, in, ch, true);
		if (st->provided)
			gen_sessions(g, in, ch, false);
		xml_gen_close(g);
	}
}

static void
send_report(void *ctx)
{
	struct init *in = ctx;
	struct state_report *st = &in->state;
	struct gen_ctx c = { in, st };
	struct report_submit_args a;
	size_t used = 0;
	int r;

	st->armed = false;
	if (st->cap < 0)
		return;
	r = xml_generate(st->ds.addr, st->ds.size, "state", gen_state, &c,
	    &used);
	if (r < 0) {
		cairn_error(in->env, "state report does not fit into %zu bytes "
		    "(raise 'buffer' of <report>)", st->ds.size);
		return;
	}
	a.length = used;
	if (rpc_call_simple(st->cap, REPORT_SUBMIT, &a, sizeof(a), NULL,
	    0) != RPC_OK)
		cairn_warn(in->env, "state report not accepted");
}

void
state_changed(struct init *in)
{
	struct state_report *st = &in->state;

	if (st->cap < 0 || st->armed || st->timer == NULL)
		return;
	st->armed = true;
	cairn_timer_set(st->timer, st->delay_ms * 1000, 0);
}

static void
state_close(struct init *in)
{
	struct state_report *st = &in->state;

	if (st->cap < 0)
		return;
	cairn_ds_release(&st->ds);
	cairn_session_close(in->env, st->id, st->cap);
	st->cap = -1;
}

/* (Re)configure from the <report> node of the current config. */
void
state_configure(struct init *in)
{
	struct state_report *st = &in->state;
	struct xml_node root, rep;
	struct report_ds_res res;
	char args[160], detail[160];
	uint64_t buffer;
	unsigned nfds = 1;
	int fd = -1;

	if (st->timer == NULL)
		st->timer = cairn_timer_create(in->env->ep, send_report, in);
	if (config_root(in, &root) < 0 ||
	    xml_node_first(&root, "report", &rep) < 0) {
		state_close(in);
		return;
	}
	st->init_ram = xml_attr_bool(&rep, "init_ram", false);
	st->child_ram = xml_attr_bool(&rep, "child_ram", false);
	st->requested = xml_attr_bool(&rep, "requested", false);
	st->provided = xml_attr_bool(&rep, "provided", false);
	st->delay_ms = xml_attr_u64(&rep, "delay_ms", 100);
	buffer = xml_attr_size(&rep, "buffer", 16 * 1024);
	if (st->cap >= 0 && buffer == st->ds.size) {
		state_changed(in);
		return;
	}
	state_close(in);
	snprintf(args, sizeof(args), "label=\"state\", buffer_size=%llu, "
	    "ram_quota=%llu", (unsigned long long)buffer,
	    (unsigned long long)(buffer + REPORT_QUOTA_OVERHEAD));
	st->cap = cairn_session(in->env, "Report", args, &st->id, detail,
	    sizeof(detail));
	if (st->cap < 0) {
		cairn_warn(in->env, "no state report: %s", detail);
		return;
	}
	if (rpc_call(st->cap, REPORT_DATASPACE, NULL, 0, NULL, 0, &res,
	    sizeof(res), NULL, &fd, &nfds) != RPC_OK || nfds != 1 ||
	    cairn_ds_from_fd(&st->ds, fd) < 0 ||
	    cairn_ds_attach(&st->ds, true) < 0) {
		if (nfds == 1 && st->ds.fd != fd)
			close(fd);
		cairn_warn(in->env, "no state report: bad Report dataspace");
		state_close(in);
		return;
	}
	state_changed(in);
}
