/*
 * block_tester: a Block client that runs the tests its config lists —
 * sequential, random and replayed requests, verification of checksummed
 * patterns, refused requests — and reports throughput.
 * SPDX-License-Identifier: MIT
 *
 * Each test logs one stable result line ("test NAME: done, ..." or an
 * "Error: test NAME: ..." line), and the component ends with
 * "block_tester done: N tests, N failed" and exit value 0 or 1.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "block_tester.h"
#include "pattern.h"

static double
mib_s(uint64_t bytes, uint64_t us)
{
	return us ? (double)bytes / (1024.0 * 1024.0) / ((double)us / 1e6) : 0;
}

static void
fail(struct main *mn, const char *test, const char *why)
{
	mn->failed++;
	cairn_error(mn->env, "test %s: %s", test, why);
}

/* Region and request size shared by sequential and random. */
static int
region(struct main *mn, const struct xml_node *n, struct load *l,
    uint64_t def_size, const char *test)
{
	uint64_t bs = mn->info->block_size, size, length;

	l->start = xml_attr_u64(n, "start", 0);
	size = xml_attr_size(n, "size", def_size);
	if (l->start >= mn->info->block_count || size == 0 || size % bs) {
		fail(mn, test, "start must lie on the device and size be a "
		    "multiple of the block size");
		return -EINVAL;
	}
	length = xml_attr_size(n, "length",
	    (mn->info->block_count - l->start) * bs);
	l->blocks = length / bs;
	if (l->blocks == 0 || l->blocks > mn->info->block_count - l->start) {
		fail(mn, test, "length exceeds the device");
		return -EINVAL;
	}
	l->req_blocks = size / bs;
	l->seed = xml_attr_u64(n, "seed", 1);
	l->depth = (unsigned)xml_attr_u64(n, "depth", 16);
	l->pattern = xml_attr_bool(n, "pattern", true);
	l->name = test;
	return 0;
}

static const char *
verdict(const struct load *l)
{
	return l->why[0] ? l->why : "failed";
}

static void
test_pattern(struct main *mn, const struct xml_node *n, bool random)
{
	const char *test = random ? "random" : "sequential";
	bool write = xml_attr_bool(n, "write", false);
	bool verify = xml_attr_bool(n, "verify", false);
	struct load l, v;
	uint64_t bytes, us;

	memset(&l, 0, sizeof(l));
	if (region(mn, n, &l, random ? 4096 : 64 * 1024, test) < 0)
		return;
	l.random = random;
	l.count = random ? xml_attr_u64(n, "count", 1000) :
	    (l.blocks + l.req_blocks - 1) / l.req_blocks;
	if (write && !mn->info->writeable) {
		fail(mn, test, "the device is read-only");
		return;
	}
	l.op = write ? BLOCK_OP_WRITE : BLOCK_OP_READ;
	l.verify = !write && verify;
	if (load_run(mn, &l) < 0) {
		fail(mn, test, verdict(&l));
		return;
	}
	bytes = l.bytes;
	us = l.us;
	if (write && verify) {
		/* Read the same positions back (same seed, same order). */
		v = l;
		v.op = BLOCK_OP_READ;
		v.verify = true;
		if (load_run(mn, &v) < 0) {
			fail(mn, test, verdict(&v));
			return;
		}
	}
	if (random)
		cairn_log(mn->env, "test random: done, %llu requests of %llu "
		    "bytes %s%s, %.0f IOPS, %.1f MiB/s",
		    (unsigned long long)l.count,
		    (unsigned long long)(l.req_blocks * mn->info->block_size),
		    write ? "written" : "read", verify ? " and verified" : "",
		    us ? (double)l.count * 1e6 / (double)us : 0,
		    mib_s(bytes, us));
	else
		cairn_log(mn->env, "test sequential: done, %llu bytes %s%s, "
		    "%.1f MiB/s", (unsigned long long)bytes,
		    write ? "written" : "read", verify ? " and verified" : "",
		    mib_s(bytes, us));
}

static void
sleep_ms(struct main *mn, uint64_t ms)
{
	uint64_t end = cairn_now_us() + ms * 1000, now;

	while ((now = cairn_now_us()) < end)
		cairn_ep_dispatch_once(mn->env->ep,
		    (int)((end - now + 999) / 1000));
}

static int
run_test(const struct xml_node *n, void *ctx)
{
	struct main *mn = ctx;
	unsigned refused, total;
	char why[192] = "";

	mn->tests++;
	if (xml_node_is(n, "sequential"))
		test_pattern(mn, n, false);
	else if (xml_node_is(n, "random"))
		test_pattern(mn, n, true);
	else if (xml_node_is(n, "replay")) {
		if (test_replay(mn, n, why, sizeof(why)) < 0)
			fail(mn, "replay", why);
		else
			cairn_log(mn->env, "test replay: done, %s", why);
	} else if (xml_node_is(n, "bad_requests")) {
		if (test_bad_requests(mn, n, &refused, &total, why,
		    sizeof(why)) < 0)
			fail(mn, "bad_requests", why);
		else
			cairn_log(mn->env, "test bad_requests: done, %u of %u "
			    "refused", refused, total);
	} else if (xml_node_is(n, "sync")) {
		if (block_client_sync(mn->blk) < 0)
			fail(mn, "sync", "the sync request failed");
		else
			cairn_log(mn->env, "synced");
	} else if (xml_node_is(n, "sleep")) {
		mn->tests--;
		sleep_ms(mn, xml_attr_u64(n, "ms", 100));
	} else if (xml_node_is(n, "abandon")) {
		test_abandon(mn, n);
	} else {
		char type[32];

		mn->tests--;
		xml_node_type(n, type, sizeof(type));
		cairn_warn(mn->env, "unknown test <%s> ignored", type);
	}
	return 0;
}

void
construct(struct cairn_env *env)
{
	static struct main mn;
	struct cairn_rom cfg;
	struct xml_node config;
	char label[64], detail[128] = "";
	uint64_t tx;
	int r;

	mn.env = env;
	if (cairn_rom_open(env, "config", &cfg) < 0) {
		cairn_error(env, "no config ROM");
		cairn_exit(env, 1);
	}
	if (cairn_rom_xml(env, &cfg, &config) < 0)
		cairn_exit(env, 1);
	mn.verbose = xml_attr_bool(&config, "verbose", false);
	xml_attr_str(&config, "label", label, sizeof(label), "");
	tx = xml_attr_size(&config, "tx_buf_size", BLOCK_TX_BUF_DEFAULT);
	r = block_client_open(env, label, tx, &mn.blk, detail, sizeof(detail));
	if (r < 0) {
		cairn_error(env, "no Block session: %s", detail);
		cairn_exit(env, 1);
	}
	mn.info = block_client_info(mn.blk);
	if (mn.info->block_size < PATTERN_MIN_BLOCK ||
	    mn.info->block_size % 8) {
		cairn_error(env, "block size %u is too small for the pattern",
		    mn.info->block_size);
		cairn_exit(env, 1);
	}
	cairn_log(env, "device: %llu blocks of %u bytes, %s",
	    (unsigned long long)mn.info->block_count, mn.info->block_size,
	    mn.info->writeable ? "writeable" : "read-only");
	xml_for_each_sub_node(&config, NULL, run_test, &mn);
	cairn_log(env, "block_tester done: %u tests, %u failed", mn.tests,
	    mn.failed);
	block_client_close(mn.blk);
	cairn_rom_close(env, &cfg);
	cairn_exit(env, mn.failed ? 1 : 0);
}
