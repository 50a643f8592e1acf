/*
 * init: starts children from its config, routes their sessions, and
 * follows config changes.
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "init.h"

/* Whether two children are configured identically (same <start> bytes). */
static bool
same_start(const struct child *a, const struct child *b)
{
	return a->start_len == b->start_len &&
	    memcmp(a->start_xml, b->start_xml, a->start_len) == 0;
}

/* Span of the RAM quantum's value inside a child's <start> copy. */
static bool
quantum_span(const struct child *ch, const char **v, size_t *len)
{
	struct xml_node start, res;
	struct xml_attr a;
	int ok;

	if (child_start_node(ch, &start) < 0)
		return false;
	for (ok = xml_node_first(&start, "resource", &res) == 0; ok;
	    ok = xml_node_next(&res, "resource", &res) == 0)
		if (xml_node_attr(&res, "name", &a) == 0 &&
		    xml_attr_is(&a, "RAM") &&
		    xml_node_attr(&res, "quantum", &a) == 0) {
			*v = a.value;
			*len = a.value_len;
			return true;
		}
	return false;
}

/*
 * Whether the two differ in the RAM quantum only: such a change is applied
 * to the running child (more RAM is transferred, less is asked back with a
 * yield request) instead of restarting it.
 */
static bool
same_but_quantum(const struct child *a, const struct child *b)
{
	const char *va, *vb;
	size_t la, lb, pa, pb;

	if (!quantum_span(a, &va, &la) || !quantum_span(b, &vb, &lb))
		return false;
	pa = (size_t)(va - a->start_xml);
	pb = (size_t)(vb - b->start_xml);
	return pa == pb && memcmp(a->start_xml, b->start_xml, pa) == 0 &&
	    a->start_len - pa - la == b->start_len - pb - lb &&
	    memcmp(va + la, vb + lb, a->start_len - pa - la) == 0;
}

/* Apply a changed quantum to a running child. */
static void
requantum(struct init *in, struct child *ch, uint64_t quantum)
{
	if (quantum > ch->quantum) {
		uint64_t more = quantum - ch->quantum;
		struct pd_transfer_args ta = { .amount = more };

		if (more + INIT_RESERVE > in->avail ||
		    rpc_call(in->env->pd, PD_TRANSFER, &ta, sizeof(ta), &ch->pd,
		    1, NULL, 0, NULL, NULL, NULL) != RPC_OK) {
			cairn_warn(in->env, "cannot raise the quantum of \"%s\" "
			    "by %llu bytes: init has %llu left", ch->name,
			    (unsigned long long)more,
			    (unsigned long long)in->avail);
			return;
		}
		in->avail -= more;
		ch->granted += more;
		state_changed(in);
		cairn_log(in->env, "quantum of \"%s\" raised to %llu",
		    ch->name, (unsigned long long)quantum);
	} else if (quantum < ch->quantum) {
		ch->yield_amount = ch->quantum - quantum;
		cairn_log(in->env, "yield request of %llu bytes to \"%s\"",
		    (unsigned long long)ch->yield_amount, ch->name);
		if (ch->yield_sig < 0 || cairn_sig_submit(ch->yield_sig) < 0)
			cairn_warn(in->env, "\"%s\" has no yield handler "
			    "(yet): it is asked once it registers one",
			    ch->name);
	}
	ch->quantum = quantum;
}

static void
log_config_error(struct init *in, const struct xml_error *err, bool startup)
{
	cairn_error(in->env, "config:%u:%u: %s%s", err->line, err->col,
	    err->msg, startup ? "" : " (keeping the previous config)");
}

/*
 * Apply a new config: children that vanished or changed are stopped,
 * new and changed ones started, unchanged ones left alone.
 */
static int
apply(struct init *in, const char *text, size_t len, bool startup)
{
	struct xml_error err;
	struct child *fresh, *ch, *old, **pp;
	struct xml_node root;
	char *copy;
	uint64_t avail_then = in->avail;

	/* For the quantum check, running children that stay count as free
	 * only if they change; compute what would be available. */
	for (old = in->children; old; old = old->next)
		if (old->state != CHILD_EXITED)
			in->avail += old->granted;
	if (config_load(in, text, len, &fresh, &err) < 0) {
		in->avail = avail_then;
		log_config_error(in, &err, startup);
		return -EINVAL;
	}
	in->avail = avail_then;
	copy = malloc(len);
	if (copy == NULL)
		return -ENOMEM;
	memcpy(copy, text, len);
	free(in->config_copy);
	in->config_copy = copy;
	in->config_len = len;
	if (config_root(in, &root) == 0)
		in->verbose = xml_attr_bool(&root, "verbose", false);

	/* Keep unchanged running children, drop the rest. */
	for (old = in->children; old; old = old->next) {
		old->marked = false;
		for (ch = fresh; ch; ch = ch->next)
			/* An unchanged child that exited stays exited: a
			 * new config is no reason to run it again. */
			if (strcmp(ch->name, old->name) == 0 &&
			    old->state != CHILD_NEW && (same_start(ch, old) ||
			    (old->state == CHILD_RUNNING &&
			    same_but_quantum(ch, old))))
				old->marked = true;
	}
	for (pp = &in->children; (old = *pp) != NULL; ) {
		if (old->marked) {
			pp = &old->next;
			continue;
		}
		*pp = old->next;
		if (!startup)
			cairn_log(in->env, "stop \"%s\"", old->name);
		child_free(old);
	}
	/* New list in config order: kept children replace their twins. */
	pp = &fresh;
	while ((ch = *pp) != NULL) {
		struct child *keep = child_find(in, ch->name);

		if (keep && keep->marked) {
			struct child **kp;

			for (kp = &in->children; *kp != keep; kp = &(*kp)->next)
				;
			*kp = keep->next;
			keep->next = ch->next;
			*pp = keep;
			if (ch->quantum != keep->quantum) {
				/* Adopt the new text, then the new quantum. */
				free(keep->start_xml);
				keep->start_xml = ch->start_xml;
				keep->start_len = ch->start_len;
				keep->limit = ch->limit;
				ch->start_xml = NULL;
				requantum(in, keep, ch->quantum);
			}
			free(ch->start_xml);
			free(ch);
			ch = keep;
		}
		pp = &ch->next;
	}
	in->children = fresh;
	/* Start the new ones only now that every <provides> is known. */
	for (ch = in->children; ch; ch = ch->next)
		if (ch->state == CHILD_NEW && child_start(ch) < 0) {
			if (startup)
				return -EIO;
			child_destroy(ch);
		}
	state_configure(in);
	return 0;
}

static void
on_config(void *ctx, uint64_t count)
{
	struct init *in = ctx;

	if (cairn_rom_update(in->env, &in->config) < 0 || !in->config.valid) {
		cairn_error(in->env, "config ROM vanished (keeping the previous"
		    " config)");
		return;
	}
	cairn_log(in->env, "config changed (version %llu)",
	    (unsigned long long)in->config.version);
	apply(in, in->config.ds.addr, in->config.size, false);
}

void
construct(struct cairn_env *env)
{
	static struct init init;
	struct init *in = &init;
	uint64_t quota, used;
	int r;

	in->env = env;
	in->state.cap = -1;
	if (cairn_ram_quota(env, &quota, &used) < 0) {
		cairn_error(env, "no PD session");
		cairn_exit(env, 1);
	}
	in->avail = quota > used + INIT_RESERVE ? quota - used - INIT_RESERVE :
	    0;
	r = cairn_rom_open(env, "config", &in->config);
	if (r < 0 || !in->config.valid) {
		cairn_error(env, "no config ROM");
		cairn_exit(env, 1);
	}
	if (apply(in, in->config.ds.addr, in->config.size, true) < 0) {
		cairn_error(env, "config refused, nothing started");
		cairn_exit(env, 1);
	}
	if (cairn_rom_sigh(env, &in->config, on_config, in) < 0)
		cairn_warn(env, "config updates will not be followed");
}
