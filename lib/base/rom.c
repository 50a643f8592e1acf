/*
 * ROM client: open a module, follow its versions, parse it as XML.
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cairn/env.h>
#include <cairn/session/rom.h>

static const char empty_config[] = "<config/>";

int
cairn_rom_open(struct cairn_env *env, const char *name, struct cairn_rom *rom)
{
	char args[256];
	int cap, r;

	memset(rom, 0, sizeof(*rom));
	rom->ds.fd = -1;
	rom->cap = -1;
	snprintf(rom->name, sizeof(rom->name), "%s", name);
	/* filename too, so routes may test it with <if-arg key="filename">. */
	r = snprintf(args, sizeof(args), "label=\"%s\", filename=\"%s\", "
	    "ram_quota=4K", name, name);
	if (r < 0 || (size_t)r >= sizeof(args))
		return -ENAMETOOLONG;
	cap = cairn_session(env, "ROM", args, &rom->id, NULL, 0);
	if (cap < 0)
		return cap;
	rom->cap = cap;
	return cairn_rom_update(env, rom);
}

int
cairn_rom_update(struct cairn_env *env, struct cairn_rom *rom)
{
	struct rom_ds_res res;
	struct cairn_ds ds;
	unsigned nfds = 1;
	int fd = -1, r;

	(void)env;
	memset(&res, 0, sizeof(res));
	r = rpc_call(rom->cap, ROM_DATASPACE, NULL, 0, NULL, 0, &res,
	    sizeof(res), NULL, &fd, &nfds);
	if (r == ROM_INVALID) {
		cairn_ds_release(&rom->ds);
		rom->valid = false;
		rom->size = 0;
		rom->version = res.version;
		return 0;
	}
	if (r != RPC_OK || nfds != 1) {
		if (nfds == 1)
			close(fd);
		return r == RPC_E_DEAD ? -EPIPE : -EPROTO;
	}
	r = cairn_ds_from_fd(&ds, fd);
	if (r == 0 && res.size > ds.size)
		r = -EPROTO;
	if (r == 0 && ds.size > 0)
		r = cairn_ds_attach(&ds, false);
	if (r < 0) {
		close(fd);
		return r;
	}
	/* Only now drop the old version: a client always sees a whole one. */
	cairn_ds_release(&rom->ds);
	rom->ds = ds;
	rom->size = res.size;
	rom->version = res.version;
	rom->valid = true;
	return 0;
}

int
cairn_rom_sigh(struct cairn_env *env, struct cairn_rom *rom, cairn_sig_fn fn,
    void *ctx)
{
	int cap, r;

	if (rom->sig == NULL)
		rom->sig = cairn_sig_create(env->ep, fn, ctx);
	if (rom->sig == NULL)
		return -ENOMEM;
	cap = cairn_sig_cap(rom->sig);
	if (cap < 0)
		return cap;
	r = rpc_call(rom->cap, ROM_SIGH, NULL, 0, &cap, 1, NULL, 0, NULL, NULL,
	    NULL);
	close(cap);
	return r == RPC_OK ? 0 : -EPROTO;
}

void
cairn_rom_close(struct cairn_env *env, struct cairn_rom *rom)
{
	cairn_sig_destroy(rom->sig);
	rom->sig = NULL;
	cairn_ds_release(&rom->ds);
	if (rom->cap >= 0)
		cairn_session_close(env, rom->id, rom->cap);
	rom->cap = -1;
	rom->valid = false;
}

int
cairn_rom_xml(struct cairn_env *env, struct cairn_rom *rom,
    struct xml_node *node)
{
	struct xml_error err;

	if (rom->valid && rom->size > 0 &&
	    xml_parse(rom->ds.addr, rom->size, 0, node, &err) == 0)
		return 0;
	if (rom->valid && rom->size > 0)
		cairn_error(env, "%s:%u:%u: %s", rom->name, err.line, err.col,
		    err.msg);
	if (xml_parse(empty_config, sizeof(empty_config) - 1, 0, node,
	    NULL) != 0)
		return -EINVAL;
	return -EINVAL;
}
