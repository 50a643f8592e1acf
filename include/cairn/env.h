/*
 * Component environment: startup, parent, sessions, RAM, LOG, ROM, config.
 * SPDX-License-Identifier: MIT
 *
 * A component provides construct(env) and nothing else of a program's
 * skeleton. libcairn's startup installs the component's own seccomp layer
 * (no execve from here on), connects the environment (parent capability,
 * PD session, LOG session), calls construct(env) and then dispatches RPCs
 * and signals on env->ep forever. A component ends with cairn_exit().
 */
#ifndef CAIRN_ENV_H
#define CAIRN_ENV_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>

#include <cairn/dataspace.h>
#include <cairn/entrypoint.h>
#include <cairn/rpc.h>
#include <cairn/xml.h>

/* Descriptor numbers at process start (installed by core). */
#define CAIRN_FD_PARENT	3
#define CAIRN_FD_PD	4
#define CAIRN_FD_HOST0	5	/* host resources follow, see cairn_host_fd */

struct cairn_env {
	struct cairn_ep *ep;
	int parent;		/* capability to the parent */
	int pd;			/* own PD session: RAM dataspaces */
	int log;		/* LOG session, -1 when unavailable */
	const char *name;	/* the component's start name (argv[0]) */
	int argc;
	char **argv;
};

/* Implemented by every component. */
void construct(struct cairn_env *env);

/* --- logging: one line per call, prefixed by core with our label --- */

void cairn_log(struct cairn_env *env, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* "Warning: ..." and "Error: ..." prefixes, as scenarios match them. */
void cairn_warn(struct cairn_env *env, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void cairn_error(struct cairn_env *env, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void cairn_vlog(struct cairn_env *env, const char *prefix, const char *fmt,
    va_list ap);

/* Tell the parent we are done, then end the process. */
__attribute__((noreturn)) void cairn_exit(struct cairn_env *env, int value);

/* --- sessions --- */

/*
 * Open a session at service `service` with session arguments `args`
 * (e.g. "label=\"disk\", ram_quota=16K"). Blocks until the parent answers.
 * Returns the session capability (>= 0) and *id, or a negative value:
 * -EACCES (denied: no route or no policy), -EDQUOT (quota), -EAGAIN
 * (unavailable), -EPIPE (parent gone), -EINVAL. When detail is non-NULL it
 * receives the parent's explanation (also logged by the parent).
 */
int cairn_session(struct cairn_env *env, const char *service,
    const char *args, uint64_t *id, char *detail, size_t detail_cap)
    __attribute__((warn_unused_result));

/* Donate more RAM quota to an open session. 0 or -errno. */
int cairn_session_upgrade(struct cairn_env *env, uint64_t id, uint64_t amount);

/* Close a session through the parent (the quota flows back). */
void cairn_session_close(struct cairn_env *env, uint64_t id, int cap);

/* Announce a service whose sessions root `root` creates. 0 or -errno. */
int cairn_announce(struct cairn_env *env, const char *service,
    struct rpc_obj *root) __attribute__((warn_unused_result));

/* --- RAM --- */

/*
 * Allocate a RAM dataspace of `size` bytes from our PD (charged to our
 * quota) and map it writable. Returns 0, or -EDQUOT when the quota does not
 * cover it (the parent's log says who had how much), -errno otherwise.
 */
int cairn_ram_alloc(struct cairn_env *env, size_t size, struct cairn_ds *ds)
    __attribute__((warn_unused_result));
void cairn_ram_free(struct cairn_env *env, struct cairn_ds *ds);

/* Our quota and what is used of it. 0 or -errno. */
int cairn_ram_quota(struct cairn_env *env, uint64_t *quota, uint64_t *used);

/*
 * Ask the parent for more RAM: returns 0 when the parent granted it
 * (waiting up to timeout_ms while dispatching other events), -EDQUOT when
 * the parent refused or did not answer in time.
 */
int cairn_resource_request(struct cairn_env *env, uint64_t amount,
    int timeout_ms);

/*
 * Register a yield handler: called when the parent wants RAM back, with the
 * amount; the handler frees what it can and returns, after which libcairn
 * answers the parent.
 */
int cairn_yield_handler(struct cairn_env *env,
    void (*fn)(void *ctx, uint64_t amount), void *ctx);

/* --- host resources granted in init's config (<host name=.../>) --- */

/* The descriptor of host resource `name`, or -ENOENT. */
int cairn_host_fd(struct cairn_env *env, const char *name);

/* --- ROM --- */

struct cairn_rom {
	char name[64];		/* module name, for messages */
	int cap;
	uint64_t id;
	struct cairn_ds ds;	/* current version, mapped read-only */
	uint64_t size;		/* content bytes */
	uint64_t version;
	bool valid;
	struct cairn_sig *sig;
};

/* Open ROM module `name` and fetch its content. 0 or -errno (as
 * cairn_session). */
int cairn_rom_open(struct cairn_env *env, const char *name,
    struct cairn_rom *rom) __attribute__((warn_unused_result));
/* Fetch the current version (after a change signal). 0 or -errno. */
int cairn_rom_update(struct cairn_env *env, struct cairn_rom *rom);
/* Call fn whenever the module changes. 0 or -errno. */
int cairn_rom_sigh(struct cairn_env *env, struct cairn_rom *rom,
    cairn_sig_fn fn, void *ctx);
void cairn_rom_close(struct cairn_env *env, struct cairn_rom *rom);

/*
 * Parse the ROM as XML. Returns 0 and *node, or -EINVAL after logging
 * "Error: NAME:LINE:COL: MSG" (NAME: the ROM module) — and *node then is
 * an empty <config/> so callers may carry on with defaults.
 */
int cairn_rom_xml(struct cairn_env *env, struct cairn_rom *rom,
    struct xml_node *node);

/* --- session arguments ("key=value, key2=\"str\"") --- */

/* Copy the value of key (quotes removed) into dst. 0, -ENOENT, -ENOSPC. */
int cairn_arg_str(const char *args, const char *key, char *dst, size_t cap);
/* Numeric value with optional K/M/G suffix; def when absent or malformed. */
uint64_t cairn_arg_u64(const char *args, const char *key, uint64_t def);

/*
 * Compose the label a parent forwards: "" -> prefix; else
 * "prefix -> label". Returns 0 or -ENOSPC.
 */
int cairn_label_compose(const char *prefix, const char *label, char *dst,
    size_t cap);

/*
 * Replace (or add) key's value in an argument string, e.g. to rewrite the
 * label or ram_quota before forwarding. quote: put the value in quotes.
 * Returns 0 or -ENOSPC.
 */
int cairn_arg_set(char *args, size_t cap, const char *key, const char *value,
    bool quote);

/*
 * Server-side policy selection: among the <policy> children of config, the
 * one whose `label` is the longest prefix of `label` (later wins on equal
 * length), or whose `label_suffix` is a suffix, or `label_prefix` a prefix.
 * Returns 0 and *policy, or -ENOENT.
 */
int cairn_policy_match(const struct xml_node *config, const char *label,
    struct xml_node *policy);

#endif
