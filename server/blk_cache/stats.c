/*
 * blk_cache's statistics report: hit, miss, eviction and write-back counts
 * sent to a Report session labelled "stats".
 * SPDX-License-Identifier: MIT
 *
 * Config: <report stats="yes" interval_ms="1000"/>. A report goes out at
 * most every interval_ms, and only when a figure changed since the last
 * one: an idle cache sends nothing, a busy one one report per interval.
 * Every place that counts calls stats_changed(), which arms a one-shot
 * timer; the timer compares the figures with the last report's.
 */
#include <string.h>

#include "blk_cache.h"

static void
figures(struct main *m, struct stats_figures *f)
{
	memset(f, 0, sizeof(*f));
	f->cnt = m->cnt;
	lru_stats(m->lru, &f->lru);
	f->held = m->mem.held;
	f->granted = m->mem.granted;
	f->denied = m->mem.denied;
}

static void
gen(struct xml_gen *g, void *ctx)
{
	const struct stats_figures *f = ctx;

	xml_gen_attr_u64(g, "reads", f->cnt.reads);
	xml_gen_attr_u64(g, "hits", f->cnt.hits);
	xml_gen_attr_u64(g, "misses", f->cnt.misses);
	xml_gen_attr_u64(g, "writes", f->cnt.writes);
	xml_gen_attr_u64(g, "syncs", f->cnt.syncs);
	xml_gen_attr_u64(g, "evictions", f->lru.evictions);
	xml_gen_attr_u64(g, "writebacks", f->lru.writebacks);
	xml_gen_attr_u64(g, "written_blocks", f->lru.written);
	xml_gen_attr_u64(g, "fills", f->cnt.fills);
	xml_gen_attr_u64(g, "fill_errors", f->cnt.fill_errors);
	xml_gen_attr_u64(g, "writeback_errors", f->cnt.wb_errors);
	xml_gen_attr_u64(g, "bypassed", f->cnt.bypassed);
	xml_gen_open(g, "memory");
	xml_gen_attr_u64(g, "chunks", f->lru.chunks);
	xml_gen_attr_u64(g, "dirty", f->lru.dirty);
	xml_gen_attr_u64(g, "bytes", f->held);
	xml_gen_attr_u64(g, "granted", f->granted);
	xml_gen_attr(g, "denied", f->denied ? "yes" : "no");
	xml_gen_close(g);
}

static void
report_now(void *ctx)
{
	struct main *m = ctx;
	struct stats_figures f;
	int r;

	m->report_armed = false;
	if (!m->report || m->lru == NULL)
		return;
	figures(m, &f);
	if (m->reported != 0 && memcmp(&f, &m->last, sizeof(f)) == 0)
		return;
	r = reporter_xml(&m->reporter, "blk_cache", gen, &f);
	if (r < 0) {
		cairn_warn(m->env, "stats report not sent (%d)", r);
		return;
	}
	m->last = f;
	m->reported++;
}

void
stats_changed(struct main *m)
{
	if (!m->report || m->report_armed || m->report_timer == NULL)
		return;
	m->report_armed = true;
	(void)cairn_timer_set(m->report_timer, m->report_ms * 1000, 0);
}

void
stats_configure(struct main *m, const struct xml_node *config)
{
	struct xml_node rep;
	bool want;

	want = xml_node_first(config, "report", &rep) == 0 &&
	    xml_attr_bool(&rep, "stats", false);
	m->report_ms = want ? xml_attr_u64(&rep, "interval_ms", 1000) : 1000;
	if (m->report_ms == 0)
		m->report_ms = 1;
	if (!want) {
		if (m->report)
			reporter_disable(&m->reporter);
		m->report = false;
		return;
	}
	if (m->report_timer == NULL &&
	    (m->report_timer = cairn_timer_create(m->env->ep, report_now,
	    m)) == NULL) {
		cairn_warn(m->env, "no stats report: no timer");
		return;
	}
	if (!m->report && (reporter_init(&m->reporter, m->env, "stats", 0) < 0 ||
	    reporter_enable(&m->reporter) < 0)) {
		cairn_warn(m->env, "no stats report: %s", m->reporter.detail);
		return;
	}
	m->report = true;
	m->reported = 0;
	stats_changed(m);
}
