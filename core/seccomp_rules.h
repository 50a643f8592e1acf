/*
 * The sandbox's seccomp programs: built from the rules in seccomp_rules.c
 * by libseccomp at build time (gen_filters.c), one per combination of the
 * flags below, and linked into core as filters.c.
 * SPDX-License-Identifier: MIT
 */
#ifndef CAIRN_CORE_SECCOMP_RULES_H
#define CAIRN_CORE_SECCOMP_RULES_H

#include <linux/filter.h>

#include "sandbox.h"

/* Flags that select one of the precompiled filters. */
#define FILTER_FLAGS	(SANDBOX_IO_URING | SANDBOX_KVM)

/* One compiled program (filters.c). */
struct sandbox_filter {
	const struct sock_filter *insns;
	unsigned short len;
};

extern const struct sandbox_filter sandbox_filters[FILTER_FLAGS + 1];

/*
 * Build time only (gen_filters): compile the rules for `flags` into
 * *prog (prog->filter is malloc'ed). 0 or a negative errno.
 */
int seccomp_rules_build(unsigned flags, struct sock_fprog *prog);

#endif
