/*
 * part_blk: serves the partitions of one Block device as Block sessions.
 * SPDX-License-Identifier: MIT
 *
 * At start-up part_blk opens its backend Block session, reads the
 * partition table synchronously (MBR, or GPT behind a protective MBR; see
 * part_table.h), logs it, reports it when configured, and announces Block.
 * Each client gets the partition its <policy> names; the framework checks
 * every request against the partition's size, and part_blk moves it by the
 * partition's start.
 *
 * Zero copy: each partition has a backend session of its own, lent the
 * bulk buffer of the partition's client (session/block.h, bulk="client"),
 * so a request is forwarded as it is, offset unchanged, only its block
 * number shifted, and the device reads into and writes from the client's
 * buffer directly; part_blk never touches a payload. The backend sees only
 * that client's buffer and validates every descriptor again. The client's
 * geometry carries the backend's alignment and request limit, so whatever
 * passed our framework's checks passes the backend's. Requests complete in
 * any order; the backend session has as many job slots as the client's,
 * so it is never short of room. When the client's session is gone and its
 * last request completed, its backend session is closed. A client that
 * lends us its own buffer (bulk="client") gets its backend session at its
 * first request. One client may hold several sessions of its partition
 * (blk_cache's second one carries its bypassed requests), each with a
 * backend session of its own.
 *
 * A backend that refuses a second session (blk_cache serves one client)
 * or zero_copy="no" leaves the copying path: requests go through the
 * shared backend session, which also read the table, their payloads
 * copied between the client's buffer and that session's; when it has no
 * room the framework holds the request and offers it again on the next
 * completion. A table that cannot be read is logged as an error and every
 * session is refused with the reason, so no client waits forever.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cairn/session/root.h>

#include "part_blk.h"

/* --- requests --- */

static void
job_done(struct block_job *j)
{
	struct pjob *pj = j->ctx;
	struct psession *ps = pj->ps;
	struct block_request *r = pj->req;
	bool ok = j->success;

	pj->req = NULL;
	pj->next = ps->free_jobs;
	ps->free_jobs = pj;
	/*
	 * Last: completing the last request of a closed session releases
	 * it, which frees pj. Outside a server bracket, the framework
	 * acknowledges and retries congested sessions right here, while the
	 * backend client is still collecting its acks and re-arms for them.
	 */
	block_complete(r, ok);
}

/* The copying path: a request through the shared backend session. */
static void
copy_done(struct block_job *j)
{
	struct pjob *pj = j->ctx;
	struct main *m = pj->main;
	struct block_request *r = pj->req;
	bool ok = j->success;

	/* A closed session's buffer stays mapped until we complete. */
	if (ok && r->op == BLOCK_OP_READ)
		memcpy(r->payload, j->payload, r->bytes);
	block_job_release(m->backend, j);
	pj->req = NULL;
	pj->next = m->free_jobs;
	m->free_jobs = pj;
	block_complete(r, ok);
}

static int
copy_submit(struct main *m, struct psession *ps, struct block_request *r)
{
	struct pjob *pj = m->free_jobs;
	int err;

	if (pj == NULL)
		return -EAGAIN;
	block_job_init(&pj->job, r->op, r->op == BLOCK_OP_SYNC ? 0 :
	    r->block_number + ps->part->start, r->block_count, copy_done, pj);
	if ((err = block_job_alloc(m->backend, &pj->job)) < 0)
		return err == -EAGAIN ? -EAGAIN : -EIO;
	if (r->op == BLOCK_OP_WRITE)
		memcpy(pj->job.payload, r->payload, r->bytes);
	if ((err = block_job_submit(m->backend, &pj->job)) < 0) {
		block_job_release(m->backend, &pj->job);
		return err == -EAGAIN ? -EAGAIN : -EIO;
	}
	pj->req = r;
	m->free_jobs = pj->next;
	return 0;
}

/* The backend refused what zero copy needs: copy from now on. */
static void
zero_copy_off(struct main *m, const char *why)
{
	m->zero_copy = false;
	cairn_warn(m->env, "no backend session per partition (%s): copying "
	    "through the shared one from now on (zero_copy=\"no\" avoids "
	    "the attempt)", why);
}

/*
 * Lend ps's bulk buffer to a backend session of its own. Returns 0 or
 * -errno with detail.
 */
static int
backend_session(struct main *m, struct psession *ps, int bulk_fd,
    char *detail, size_t dcap)
{
	struct block_client *be = NULL;
	unsigned i, n;
	int r;

	if ((r = block_client_open_bulk(m->env, "", bulk_fd, &be, detail,
	    dcap)) < 0)
		return r;
	n = block_client_max_jobs(be);
	if ((ps->jobs = calloc(n, sizeof(*ps->jobs))) == NULL) {
		block_client_close(be);
		snprintf(detail, dcap, "out of memory for %u requests", n);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		ps->jobs[i].ps = ps;
		ps->jobs[i].next = ps->free_jobs;
		ps->free_jobs = &ps->jobs[i];
	}
	ps->be = be;
	return 0;
}

/*
 * A client that lent us its buffer (bulk="client") had none when its
 * session opened; at its first request it has: lend it on. A backend
 * that refuses turns zero copy off, as at open.
 */
static void
backend_late(struct main *m, struct psession *ps, struct block_request *r)
{
	char detail[128] = "";
	int fd = block_session_bulk_fd(r->session), err;

	ps->late = false;
	if (!m->zero_copy || fd < 0)
		return;
	if ((err = backend_session(m, ps, fd, detail, sizeof(detail))) < 0)
		zero_copy_off(m, detail[0] ? detail : strerror(-err));
}

static int
submit(void *ctx, struct block_request *r)
{
	struct main *m = ctx;
	struct psession *ps = r->session_ctx;
	struct pjob *pj;
	int err;

	if (ps->late)
		backend_late(m, ps, r);
	if (ps->be == NULL)
		return copy_submit(m, ps, r);
	if ((pj = ps->free_jobs) == NULL)
		return -EAGAIN;
	/* The framework checked the range against the partition's size. */
	block_job_init(&pj->job, r->op, r->op == BLOCK_OP_SYNC ? 0 :
	    r->block_number + ps->part->start, r->block_count, job_done, pj);
	if ((err = block_job_forward(ps->be, &pj->job, r->offset)) < 0)
		return err == -EAGAIN ? -EAGAIN : -EIO;
	pj->req = r;
	ps->free_jobs = pj->next;
	return 0;
}

/* --- sessions --- */

static int
open_session(void *ctx, const char *label, const char *args, uint64_t quota,
    struct block_session *s, struct block_geometry *geo, void **sctx,
    char *detail, size_t dcap)
{
	struct main *m = ctx;
	struct part_policy pol;
	const struct part *p;
	struct psession *ps;
	int r;

	if (m->table_err != 0) {
		snprintf(detail, dcap, "no usable partition table: %s",
		    m->table->error);
		return ROOT_UNAVAILABLE;
	}
	if ((r = part_policy_lookup(&m->config, label, &pol, detail,
	    dcap)) < 0) {
		cairn_warn(m->env, "session for \"%s\" refused: %s", label,
		    detail);
		return ROOT_DENIED;
	}
	if (pol.partition < 0 ||
	    (p = part_table_find(m->table, (unsigned)pol.partition)) == NULL) {
		if (pol.partition < 0)
			snprintf(detail, dcap, "the policy for \"%s\" names no "
			    "partition", label);
		else
			snprintf(detail, dcap, "partition %ld does not exist",
			    pol.partition);
		cairn_warn(m->env, "session for \"%s\" refused: %s", label,
		    detail);
		return ROOT_UNAVAILABLE;
	}
	/* More sessions of the same client: blk_cache opens two. */
	if (m->users[p->number] != NULL &&
	    strcmp(m->users[p->number]->label, label) != 0) {
		snprintf(detail, dcap, "partition %u is in use by \"%s\"",
		    p->number, m->users[p->number]->label);
		cairn_warn(m->env, "session for \"%s\" refused: %s", label,
		    detail);
		return ROOT_UNAVAILABLE;
	}
	if ((ps = calloc(1, sizeof(*ps))) == NULL) {
		snprintf(detail, dcap, "out of memory");
		return ROOT_QUOTA;
	}
	ps->main = m;
	ps->part = p;
	ps->writeable = pol.writeable && m->binfo->writeable;
	snprintf(ps->label, sizeof(ps->label), "%s", label);
	/*
	 * Our own quota pays the backend session's rings (128 KiB with its
	 * state): the client's donation covers only its own session. It is
	 * opened here, inside init's session request to us, because init
	 * then sends us no other root call (it would wait for our answer
	 * while we wait for it). A client that supplies its buffer itself
	 * (bulk="client") has none yet: its backend session is opened at its
	 * first request (backend_late()), when init is not waiting for us.
	 */
	if (m->zero_copy && block_session_bulk_fd(s) >= 0 &&
	    (r = backend_session(m, ps, block_session_bulk_fd(s), detail,
	    dcap)) < 0)
		zero_copy_off(m, detail[0] ? detail : strerror(-r));
	ps->late = m->zero_copy && block_session_bulk_fd(s) < 0;
	detail[0] = '\0';
	geo->block_count = p->count;
	geo->block_size = m->binfo->block_size;
	geo->ops = BLOCK_OPS_READ;
	if (ps->writeable)
		geo->ops |= BLOCK_OPS_WRITE;
	/* Without it the framework acknowledges SYNC at once, as the
	 * backend itself would. */
	geo->ops |= m->binfo->ops & BLOCK_OPS_SYNC;
	/*
	 * Forwarded requests go on unchanged: the backend's limits are the
	 * client's. Copied ones must fit the shared session's buffer, and so
	 * must those of a late one, in case it ends up copied.
	 */
	geo->align_log2 = m->binfo->align_log2;
	geo->max_blocks = ps->be != NULL ? m->binfo->max_blocks :
	    m->max_blocks;
	ps->next_user = m->users[p->number];
	m->users[p->number] = ps;
	*sctx = ps;
	cairn_log(m->env, "session \"%s\": partition %u, LBA %llu (%llu "
	    "blocks), %s%s", label, p->number, (unsigned long long)p->start,
	    (unsigned long long)p->count, ps->writeable ? "writeable" :
	    "read-only", ps->be != NULL || ps->late ? "" : ", copied");
	return ROOT_OK;
}

static void
close_session(void *ctx, void *sctx)
{
	struct main *m = ctx;
	struct psession *ps = sctx, **pp;

	/* Requests at the backend complete on their own (job_done). */
	for (pp = &m->users[ps->part->number]; *pp != NULL;
	    pp = &(*pp)->next_user)
		if (*pp == ps) {
			*pp = ps->next_user;
			break;
		}
}

/*
 * The last request completed: the backend session goes too (init closes
 * sessions without waiting for the server, so we may call it here).
 */
static void
release_session(void *ctx, void *sctx)
{
	struct psession *ps = sctx;

	block_client_close(ps->be);
	free(ps->jobs);
	free(ps);
}

static const struct block_driver_ops part_ops = {
	.open = open_session,
	.submit = submit,
	.close = close_session,
	.release = release_session,
};

/* --- start-up --- */

__attribute__((noreturn, format(printf, 2, 3))) static void
die(struct main *m, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cairn_vlog(m->env, "Error: ", fmt, ap);
	va_end(ap);
	cairn_exit(m->env, 1);
}

/* The parsers read the disk through this, before any client exists. */
static int
backend_read(void *ctx, uint64_t lba, uint64_t count, void *buf)
{
	struct main *m = ctx;

	return block_client_read(m->backend, lba, count, buf, NULL);
}

static void
table_log(struct main *m)
{
	const struct part_table *t = m->table;
	const struct part *p;

	if (t->scheme == PART_SCHEME_NONE) {
		cairn_log(m->env, "no partition table: partition 0 is the whole "
		    "disk (%llu blocks)", (unsigned long long)t->block_count);
		return;
	}
	if (t->scheme == PART_SCHEME_GPT)
		cairn_log(m->env, "GPT (%s header, disk %s): %u partitions",
		    t->gpt_backup ? "backup" : "primary", t->gpt_disk_guid,
		    t->count);
	else
		cairn_log(m->env, "MBR (disk signature 0x%08x): %u partitions",
		    t->mbr_signature, t->count);
	for (unsigned i = 0; i < t->count; i++) {
		p = &t->parts[i];
		if (t->scheme == PART_SCHEME_MBR)
			cairn_log(m->env, "Partition %u: LBA %llu (%llu blocks) "
			    "type 0x%02x%s", p->number,
			    (unsigned long long)p->start,
			    (unsigned long long)p->count, p->mbr_type,
			    p->logical ? " (logical)" : "");
		else
			cairn_log(m->env, "Partition %u: LBA %llu (%llu blocks) "
			    "type %s name '%s'", p->number,
			    (unsigned long long)p->start,
			    (unsigned long long)p->count, p->type_guid, p->name);
	}
}

static void
report(struct main *m)
{
	int r;

	if (!m->report) {
		reporter_disable(&m->reporter);
		return;
	}
	if ((r = reporter_enable(&m->reporter)) < 0) {
		cairn_warn(m->env, "no partitions report: %s%s%s", strerror(-r),
		    m->reporter.detail[0] ? ": " : "", m->reporter.detail);
		return;
	}
	if ((r = reporter_xml(&m->reporter, "partitions", part_report_xml,
	    m->table)) < 0)
		cairn_warn(m->env, "partitions report not sent: %s",
		    strerror(-r));
}

/* Read the config's global attributes; fatal at start-up only. */
static int
config_apply(struct main *m, uint64_t *tx_buf)
{
	struct xml_error err;
	struct xml_node rep;
	bool on = false;

	if (tx_buf != NULL) {
		*tx_buf = PART_BLK_TX_BUF;
		if (xml_attr_get_size(&m->config, "tx_buf_size", tx_buf,
		    &err) == -EINVAL)
			goto bad;
		if (*tx_buf < BLOCK_TX_BUF_MIN || *tx_buf > BLOCK_TX_BUF_MAX) {
			cairn_error(m->env, "config: tx_buf_size %llu is "
			    "outside %u..%llu", (unsigned long long)*tx_buf,
			    BLOCK_TX_BUF_MIN,
			    (unsigned long long)BLOCK_TX_BUF_MAX);
			return -EINVAL;
		}
	}
	if (tx_buf != NULL) {
		m->zero_copy = true;
		if (xml_attr_get_bool(&m->config, "zero_copy", &m->zero_copy,
		    &err) == -EINVAL)
			goto bad;
	}
	if (xml_node_first(&m->config, "report", &rep) == 0 &&
	    xml_attr_get_bool(&rep, "partitions", &on, &err) == -EINVAL)
		goto bad;
	m->report = on;
	return 0;
bad:
	cairn_error(m->env, "config:%u:%u: %s", err.line, err.col, err.msg);
	return -EINVAL;
}

static void
config_changed(void *ctx, uint64_t count)
{
	struct main *m = ctx;

	if (cairn_rom_update(m->env, &m->config_rom) < 0) {
		cairn_error(m->env, "cannot fetch the new config");
		return;
	}
	/* A malformed config reads as an empty one: no new sessions. */
	(void)cairn_rom_xml(m->env, &m->config_rom, &m->config);
	if (config_apply(m, NULL) == 0)
		report(m);
}

static void
backend_open(struct main *m, uint64_t tx_buf)
{
	char detail[128] = "";
	uint64_t bulk;
	unsigned n;
	int r;

	if ((r = block_client_open(m->env, "", tx_buf, &m->backend, detail,
	    sizeof(detail))) < 0)
		die(m, "cannot open the backend Block session: %s%s%s",
		    strerror(-r), detail[0] ? ": " : "", detail);
	m->binfo = block_client_info(m->backend);
	/*
	 * The copying path: a client request must fit the shared buffer,
	 * half of it, so that two of the largest fit side by side.
	 */
	bulk = block_client_bulk_size(m->backend);
	m->max_blocks = bulk / 2 / m->binfo->block_size;
	if (m->binfo->max_blocks != 0 && m->max_blocks > m->binfo->max_blocks)
		m->max_blocks = m->binfo->max_blocks;
	if (m->max_blocks == 0)
		die(m, "backend buffer of %llu bytes holds no block of %u bytes",
		    (unsigned long long)bulk, m->binfo->block_size);
	n = block_client_max_jobs(m->backend);
	if ((m->jobs = calloc(n, sizeof(*m->jobs))) == NULL)
		die(m, "out of memory for %u requests", n);
	for (unsigned i = 0; i < n; i++) {
		m->jobs[i].main = m;
		m->jobs[i].next = m->free_jobs;
		m->free_jobs = &m->jobs[i];
	}
}

void
construct(struct cairn_env *env)
{
	static struct main m;
	struct part_io io;
	uint64_t tx_buf;

	m.env = env;
	if (cairn_rom_open(env, "config", &m.config_rom) < 0)
		die(&m, "no config ROM");
	if (cairn_rom_xml(env, &m.config_rom, &m.config) < 0 ||
	    config_apply(&m, &tx_buf) < 0)
		cairn_exit(env, 1);
	if ((m.table = calloc(1, sizeof(*m.table))) == NULL)
		die(&m, "out of memory for the partition table");
	backend_open(&m, tx_buf);

	/* spec: the table is complete before the first client comes. */
	io.read = backend_read;
	io.ctx = &m;
	io.block_count = m.binfo->block_count;
	io.block_size = m.binfo->block_size;
	m.table_err = part_table_parse(&io, m.table);
	if (m.table->warning[0] != '\0')
		cairn_warn(env, "%s", m.table->warning);
	if (m.table_err != 0)
		cairn_error(env, "%s", m.table->error);
	else
		table_log(&m);
	if (reporter_init(&m.reporter, env, "partitions",
	    part_report_size(m.table)) < 0)
		die(&m, "cannot prepare the partitions report");
	report(&m);
	if (cairn_rom_sigh(env, &m.config_rom, config_changed, &m) < 0)
		cairn_warn(env, "config changes will not be followed");

	if (block_server_create(env, &part_ops, &m, &m.srv) < 0)
		die(&m, "out of memory for the Block server");
	if (block_server_announce(m.srv) < 0)
		die(&m, "cannot announce the Block service");
}
