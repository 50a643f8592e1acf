/*
 * core: shared types of the root process (boot modules, PDs, services).
 * SPDX-License-Identifier: MIT
 */
#ifndef CORE_H
#define CORE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <cairn/entrypoint.h>
#include <cairn/rpc.h>
#include <cairn/session/parent.h>
#include <cairn/session/pd.h>

#define CORE_MAX_HOST	32

struct module {
	char name[64];
	int fd;			/* write-sealed memfd */
	uint64_t size;
	uint64_t version;	/* bumped when the boot file is replaced */
	struct module *next;
};

/* A ROM session at core: its module and the client's change signal. */
struct rom_session {
	struct core *core;
	struct module *mod;
	int sigh;		/* -1 until registered */
	struct rom_session *next;
};

/* A host resource the scenario allows components to be given. */
struct host_res {
	char name[64];
	char path[4096];
	bool writeable;
	bool fuse;		/* a directory to mount a FUSE export on */
};

struct dataspace_rec {
	ino_t ino;
	uint64_t size;
	struct dataspace_rec *next;
};

struct pd {
	struct core *core;
	struct rpc_obj *obj;
	char label[CAIRN_LABEL_MAX];
	uint64_t quota;
	uint64_t used;
	struct dataspace_rec *ds;
	struct pd *owner;		/* PD whose session this is (quota returns) */
	/* The process, once started. */
	pid_t pid;
	bool running;
	uint32_t exit_kind;
	int32_t exit_value;
	int exit_sig;			/* signal cap, -1 if none */
	struct {
		uint32_t id;
		char name[64];
	} threads[PD_THREADS_MAX];
	unsigned nthreads;
	int host_fd[4];
	char host_name[4][32];
	unsigned nhost;
	const struct host_res *fuse;	/* mounted for this PD, or NULL */
	struct pd *next;
};

/* A session core handed to its only client, init. */
struct core_session {
	uint64_t id;
	struct rpc_obj *obj;
	void (*close)(struct core_session *s);
	void *priv;
	struct core_session *next;
};

struct core {
	struct cairn_ep *ep;
	struct module *modules;
	struct host_res host[CORE_MAX_HOST];
	unsigned nhost;
	uint64_t ram;			/* quota given to init */
	struct pd *pds;
	struct pd *init_pd;
	struct rpc_obj *parent_obj;	/* init's parent capability */
	struct core_session *sessions;
	struct rom_session *roms;
	uint64_t next_session_id;
	uint32_t next_thread_id;
	uid_t uid_base;
	unsigned next_uid;
	int exit_value;
	bool verbose;
};

/* main.c */
void core_log(struct core *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
struct module *core_module(struct core *c, const char *name);
const struct host_res *core_host(struct core *c, const char *name);

/* pd.c */
struct pd *pd_create(struct core *c, const char *label, struct pd *owner);
void pd_destroy(struct pd *pd);
int pd_cap(struct pd *pd);
void pd_child_exited(struct core *c, pid_t pid, int status);

int core_load_module(struct core *c, int dirfd, const char *name);

/* fuse.c: mount /dev/fuse at h->path: the descriptor, or -errno with
 * detail; unmount (detached) again. */
int core_fuse_mount(struct core *c, const struct host_res *h, bool writeable,
    char *detail, size_t dcap);
void core_fuse_unmount(struct core *c, const struct host_res *h);

/* services.c */
void core_rom_changed(struct core *c, struct module *m);
int core_start_init(struct core *c);
int core_open_session(struct core *c, const char *service, const char *args,
    const char *label, int *cap, uint64_t *id, char *detail, size_t cap_len);

/* vm.c: the VM service (fills in s: obj, priv, close) */
/*
 * A component with KVM access is starting: fetch what its VM session will
 * ask for (the supported CPUID) on the entrypoint's next turn.
 */
void core_vm_prefetch(struct core *c);
int core_vm_open(struct core *c, const char *label, struct core_session *s,
    char *detail, size_t dcap);

#endif
