/*
 * part_blk: types shared by the files of the server (never installed).
 * SPDX-License-Identifier: MIT
 */
#ifndef PART_BLK_H
#define PART_BLK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cairn/block.h>
#include <cairn/block_client.h>
#include <cairn/env.h>
#include <cairn/reporter.h>
#include <cairn/session/parent.h>
#include <cairn/xml.h>

#include "part_table.h"

/*
 * The tx buffer of the shared backend session (the partition table, and
 * the copying path when the backend refuses a session per partition),
 * unless the config says otherwise. 14.02 used 4 MiB for all requests;
 * here zero copy carries them, and the copying path is the exception.
 */
#define PART_BLK_TX_BUF		(1u << 20)

struct psession;

/* A request of a client on its way through the backend. */
struct pjob {
	struct block_job job;		/* the backend's side */
	struct block_request *req;	/* the client's side */
	struct psession *ps;		/* forwarded: its session */
	struct main *main;		/* copied: the shared session's */
	struct pjob *next;		/* free list */
};

/*
 * A client's session: one partition, and a backend session for the
 * partition, lent the client's bulk buffer (or none: copied requests).
 */
struct psession {
	struct main *main;
	const struct part *part;
	char label[CAIRN_LABEL_MAX];
	bool writeable;
	struct block_client *be;	/* NULL until lent the buffer, and
					 * when requests are copied */
	bool late;			/* bulk="client": open be at the
					 * first request */
	struct psession *next_user;	/* of the same partition */
	struct pjob *jobs;		/* one per backend job slot */
	struct pjob *free_jobs;
};

struct main {
	struct cairn_env *env;
	struct cairn_rom config_rom;
	struct xml_node config;
	struct block_client *backend;	/* shared: table, copying path */
	const struct block_info *binfo;
	uint64_t max_blocks;		/* per request on the copying path */
	struct pjob *jobs;		/* the shared session's job slots */
	struct pjob *free_jobs;
	bool zero_copy;			/* try a session per partition */
	struct block_server *srv;
	struct part_table *table;	/* NULL until parsed */
	int table_err;			/* 0, or why no session can be had */
	/*
	 * Sessions by partition number: one client's (blk_cache opens two
	 * sessions), linked through next_user.
	 */
	struct psession *users[PART_MAX + 1];
	struct reporter reporter;
	bool report;			/* <report partitions="yes"/> */
};

/* A client's rights, from its <policy>. */
struct part_policy {
	long partition;		/* -1: no `partition` attribute */
	bool writeable;		/* `writeable`, default yes */
};

/* policy.c */

/*
 * The policy for session label `label` among config's <policy> children:
 * the first in document order whose `label` equals it exactly
 * (spec/part_blk.md), or, as an extension, whose `label_prefix` is a
 * prefix or `label_suffix` a suffix of it. Returns 0 and *p; -ENOENT when
 * none matches; -EINVAL when the policy's `partition` or `writeable` is
 * malformed. detail says why in both failure cases.
 */
int part_policy_lookup(const struct xml_node *config, const char *label,
    struct part_policy *p, char *detail, size_t dcap)
    __attribute__((warn_unused_result));

/* report.c */

/*
 * Write the table as the content of a <partitions> node (attributes and
 * one <partition> child each); ctx is the struct part_table. Used through
 * reporter_xml() or xml_generate().
 */
void part_report_xml(struct xml_gen *g, void *ctx);

/* Buffer a report of table t needs (bytes, a multiple of 4 KiB). */
size_t part_report_size(const struct part_table *t);

#endif
