/*
 * Block library internals shared by server.c, client.c and their tests.
 * SPDX-License-Identifier: MIT
 *
 * Private to lib/block and test/block; never installed.
 */
#ifndef CAIRN_BLOCK_IMPL_H
#define CAIRN_BLOCK_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cairn/block.h>
#include <cairn/block_client.h>
#include <cairn/dataspace.h>

/*
 * The decode step of the server: check descriptor d of a session with
 * geometry g and a bulk buffer of bulk_size bytes. Returns BLOCK_PKT_OK and
 * fills *b, or the status to acknowledge d with. Pure: no I/O, no state.
 */
unsigned block_validate(const struct block_geometry *g, uint64_t bulk_size,
    const struct pkt_desc *d, struct block_packet *b);

/* Whether a driver's geometry is acceptable (see struct block_geometry). */
bool block_geometry_ok(const struct block_geometry *g);

/*
 * Where a server gets session buffers from: cairn_ram_alloc() normally;
 * unit tests, which run without core, substitute sealed memfds.
 */
typedef int (*block_ram_alloc_fn)(struct cairn_env *env, size_t size,
    struct cairn_ds *ds);
typedef void (*block_ram_free_fn)(struct cairn_env *env, struct cairn_ds *ds);
void block_server_set_ram(struct block_server *srv, block_ram_alloc_fn alloc,
    block_ram_free_fn free_fn);

/* The root operations, callable directly (tests have no parent). */
int block_server_session_create(struct block_server *srv, const char *label,
    const char *args, uint64_t ram_quota, struct rpc_obj **obj, char *detail,
    size_t detail_cap);
void block_server_session_destroy(struct block_server *srv,
    struct rpc_obj *obj);

/*
 * Attach a client to an already opened session capability cap (owned by
 * the client from now on). id is the parent's session id, 0 when the
 * session did not come from the parent (tests): closing then just closes
 * cap. Returns 0 and *c, or -errno.
 */
int block_client_attach(struct cairn_env *env, int cap, uint64_t id,
    struct block_client **c) __attribute__((warn_unused_result));

/*
 * The same for a session opened with bulk="client": hand over bulk_fd
 * (BLOCK_RPC_BULK), then attach as above (block_client_open_bulk).
 */
int block_client_attach_bulk(struct cairn_env *env, int cap, uint64_t id,
    int bulk_fd, struct block_client **c) __attribute__((warn_unused_result));

#endif
