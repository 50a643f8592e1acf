/*
 * PD session (core): a protection domain's RAM account, its dataspaces,
 * and — for a parent — the process that runs in it.
 * SPDX-License-Identifier: MIT
 *
 * Every RAM dataspace is a sealed memfd allocated by core and charged to
 * the PD's quota; the PD's memory cgroup is kept at its quota, so memory
 * a component touches beyond what it was given fails for it alone.
 */
#ifndef CAIRN_SESSION_PD_H
#define CAIRN_SESSION_PD_H

#include <stdint.h>

enum pd_op {
	PD_RAM_ALLOC,		/* args: size; reply: fd (sealed memfd) */
	PD_RAM_FREE,		/* fd: a dataspace this PD allocated */
	PD_QUOTA,		/* reply: struct pd_quota_res */
	PD_TRANSFER,		/* args: amount; fd: target PD capability */
	PD_GRANT_HOST,		/* args: struct pd_host_args (before START) */
	PD_START,		/* args: struct pd_start_args; fds: binary, parent cap */
	PD_EXIT_SIGH,		/* fd: signal cap, submitted when the process ends */
	PD_EXIT_STATE,		/* reply: struct pd_exit_res */
	PD_KILL,		/* stop the process (parent destroys a child) */
	PD_THREAD,		/* args: struct pd_thread_args; reply: id */
	PD_N_OPS
};

enum pd_status {
	PD_OK = 0,
	PD_QUOTA_EXCEEDED = 1,	/* detail: needed and available bytes */
	PD_INVALID = 2,		/* bad argument: unknown target, bad name */
	PD_DENIED = 3,		/* host resource not granted to the scenario */
	PD_FAILED = 4,		/* process could not be started */
};

struct pd_ram_alloc_args {
	uint64_t size;
};

struct pd_quota_res {
	uint64_t quota;		/* bytes this PD may use */
	uint64_t used;		/* bytes allocated as dataspaces */
};

struct pd_transfer_args {
	uint64_t amount;
};

struct pd_error_res {
	uint64_t needed;
	uint64_t available;
	char detail[128];
};

#define PD_HOST_NAME_MAX 32
#define PD_HOST_MAX	4

struct pd_host_args {
	char name[PD_HOST_NAME_MAX];	/* as the component asks for it */
	char resource[64];		/* name of the scenario's resource */
	uint32_t writeable;
};

#define PD_START_FLAG_IO_URING	1u
#define PD_START_FLAG_KVM	2u

struct pd_start_args {
	char name[64];		/* process name (the child's start name) */
	char label[160];
	uint32_t flags;
};

/*
 * Thread registration (core's CPU service, folded into the PD): every
 * thread of a component announces its name so that tracing can find it.
 * libcairn registers the entrypoint thread "ep" at startup.
 */
#define PD_THREAD_NAME_MAX	64
#define PD_THREADS_MAX		32

struct pd_thread_args {
	char name[PD_THREAD_NAME_MAX];
};

struct pd_thread_res {
	uint32_t id;		/* unique within core, never reused */
};

enum pd_exit_kind {
	PD_RUNNING = 0,
	PD_EXITED = 1,		/* value = exit status */
	PD_SIGNALED = 2,	/* value = signal number */
	PD_OOM = 3,		/* killed for exceeding its RAM quota */
};

struct pd_exit_res {
	uint32_t kind;
	int32_t value;
};

#endif
