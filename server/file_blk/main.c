/*
 * file_blk: a Block service backed by a host image file (io_uring) or, read
 * only, by a ROM module (the release notes' rom_loopdev).
 * SPDX-License-Identifier: MIT
 *
 * Every session sees the whole device. Without <policy> nodes any client
 * may open one; with them a client needs a matching policy, which may make
 * its session read-only.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cairn/session/pd.h>
#include <cairn/session/root.h>

#include "file_blk.h"

static int
rom_submit(void *ctx, struct block_request *r)
{
	struct main *mn = ctx;

	/* Validated by the framework: the range lies inside the module. */
	memcpy(r->payload, mn->rom_data + r->block_number * mn->block_size,
	    r->bytes);
	block_complete(r, true);
	return 0;
}

static int
open_session(void *ctx, const char *label, const char *args, uint64_t quota,
    struct block_session *s, struct block_geometry *geo, void **sctx,
    char *detail, size_t dcap)
{
	struct main *mn = ctx;
	struct xml_node policy;
	bool writeable = mn->writeable;
	struct client *c;

	if (mn->has_policy) {
		if (cairn_policy_match(&mn->config, label, &policy) < 0) {
			snprintf(detail, dcap, "no policy for \"%s\"", label);
			return ROOT_DENIED;
		}
		writeable = writeable && xml_attr_bool(&policy, "writeable",
		    true);
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		snprintf(detail, dcap, "out of memory");
		return ROOT_UNAVAILABLE;
	}
	c->main = mn;
	c->label = block_session_label(s);
	geo->block_count = mn->block_count;
	geo->block_size = mn->block_size;
	geo->ops = BLOCK_OPS_READ;
	if (writeable)
		geo->ops |= BLOCK_OPS_WRITE;
	if (mn->rom_data == NULL)
		geo->ops |= BLOCK_OPS_SYNC;
	/* Sector alignment is free for clients; O_DIRECT wants pages. */
	geo->align_log2 = mn->direct ? 12 : 9;
	geo->max_blocks = mn->max_blocks;
	*sctx = c;
	mn->sessions++;
	if (mn->verbose)
		cairn_log(mn->env, "session for \"%s\": %llu blocks of %u "
		    "bytes, %s", label, (unsigned long long)mn->block_count,
		    mn->block_size, writeable ? "writeable" : "read-only");
	return ROOT_OK;
}

static void
close_session(void *ctx, void *sctx)
{
	struct main *mn = ctx;
	struct client *c = sctx;

	/* Requests at the device finish on their own (see uring.c). */
	c->closed = true;
	mn->sessions--;
	if (mn->verbose)
		cairn_log(mn->env, "session for \"%s\" closed with %u "
		    "requests in flight", c->label, c->in_flight);
}

static void
release_session(void *ctx, void *sctx)
{
	struct main *mn = ctx;
	struct client *c = sctx;

	if (mn->verbose)
		cairn_log(mn->env, "session for \"%s\" released", c->label);
	free(c);
}

static const struct block_driver_ops image_ops = {
	.open = open_session,
	.submit = uring_submit,
	.batch_end = uring_flush,
	.close = close_session,
	.release = release_session,
};

static const struct block_driver_ops rom_ops = {
	.open = open_session,
	.submit = rom_submit,
	.close = close_session,
	.release = release_session,
};

__attribute__((noreturn, format(printf, 2, 3))) static void
die(struct main *mn, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cairn_vlog(mn->env, "Error: ", fmt, ap);
	va_end(ap);
	cairn_exit(mn->env, 1);
}

/* Strict config reading: a bad attribute is fatal, with line:column. */
static void
config_read(struct main *mn, char *host, size_t hcap, char *rom, size_t rcap)
{
	struct xml_error err;
	struct xml_node policy;
	uint64_t v;
	int r;

	host[0] = rom[0] = '\0';
	v = 512;
	if ((r = xml_attr_get_size(&mn->config, "block_size", &v, &err)) ==
	    -EINVAL)
		goto bad;
	if (v == 0 || v > (1u << 20) || (v & (v - 1)) != 0)
		die(mn, "config: block_size %llu is not a power of two up to "
		    "1M", (unsigned long long)v);
	mn->block_size = (uint32_t)v;
	mn->writeable = false;
	if (xml_attr_get_bool(&mn->config, "writeable", &mn->writeable,
	    &err) == -EINVAL)
		goto bad;
	mn->direct = true;
	if (xml_attr_get_bool(&mn->config, "direct", &mn->direct, &err) ==
	    -EINVAL)
		goto bad;
	mn->wb.after = UINT64_MAX;	/* the default, set once we know */
	if (xml_attr_get_size(&mn->config, "write_behind", &mn->wb.after,
	    &err) == -EINVAL)
		goto bad;
	v = FILE_BLK_QUEUE_DEPTH;
	if (xml_attr_get_u64(&mn->config, "queue_depth", &v, &err) == -EINVAL)
		goto bad;
	if (v < 1 || v > 4096)
		die(mn, "config: queue_depth %llu is outside 1..4096",
		    (unsigned long long)v);
	mn->queue_depth = (unsigned)v;
	mn->max_blocks = 0;
	if (xml_attr_get_u64(&mn->config, "max_blocks", &mn->max_blocks,
	    &err) == -EINVAL)
		goto bad;
	if (xml_attr_get_bool(&mn->config, "verbose", &mn->verbose, &err) ==
	    -EINVAL)
		goto bad;
	if ((r = xml_attr_get_str(&mn->config, "host", host, hcap, &err)) ==
	    -EINVAL || r == -ENAMETOOLONG)
		goto bad;
	if ((r = xml_attr_get_str(&mn->config, "rom", rom, rcap, &err)) ==
	    -EINVAL || r == -ENAMETOOLONG)
		goto bad;
	/* 14.02's rom_blk called the attribute `file`. */
	if (rom[0] == '\0' && ((r = xml_attr_get_str(&mn->config, "file", rom,
	    rcap, &err)) == -EINVAL || r == -ENAMETOOLONG))
		goto bad;
	if ((host[0] != '\0') == (rom[0] != '\0'))
		die(mn, "config: name exactly one of host=\"RESOURCE\" and "
		    "rom=\"MODULE\"");
	mn->has_policy = xml_node_first(&mn->config, "policy", &policy) == 0;
	return;
bad:
	cairn_error(mn->env, "config:%u:%u: %s", err.line, err.col, err.msg);
	cairn_exit(mn->env, 1);
}

/* Write-behind (see uring.c) matters only for writes to the page cache. */
static void
write_behind_default(struct main *mn)
{
	if (mn->direct || !mn->writeable)
		mn->wb.after = 0;
	else if (mn->wb.after == UINT64_MAX)
		mn->wb.after = FILE_BLK_WRITE_BEHIND;
}

static void
image_open(struct main *mn, const char *host)
{
	struct stat st;
	off_t end;
	int fl, r;

	mn->fd = cairn_host_fd(mn->env, host);
	if (mn->fd < 0)
		die(mn, "host resource \"%s\" not granted (add <host name=\"%s\""
		    " .../> to my <start>)", host, host);
	if (fstat(mn->fd, &st) < 0)
		die(mn, "host resource \"%s\": cannot stat it", host);
	end = st.st_size;
	if (S_ISBLK(st.st_mode))
		end = lseek(mn->fd, 0, SEEK_END);
	if (end < (off_t)mn->block_size)
		die(mn, "host resource \"%s\" is smaller than one block",
		    host);
	fl = fcntl(mn->fd, F_GETFL);
	if (mn->writeable && (fl & O_ACCMODE) == O_RDONLY) {
		cairn_warn(mn->env, "host resource \"%s\" is read-only: "
		    "serving it read-only despite writeable=\"yes\"", host);
		mn->writeable = false;
	}
	/*
	 * Without O_DIRECT the image's page cache is charged to our memory
	 * cgroup, which is kept at our RAM quota: pages under I/O or dirty
	 * cannot be reclaimed at once, and a small quota then ends in the
	 * cgroup's OOM killer (write-behind, uring.c, keeps the dirty ones
	 * few). So the page cache is opt-in (direct="no").
	 */
	if (mn->direct && (mn->block_size < 512 ||
	    fcntl(mn->fd, F_SETFL, fl | O_DIRECT) < 0)) {
		cairn_warn(mn->env, "host resource \"%s\": no direct I/O%s, "
		    "using the page cache (mind the RAM quota)", host,
		    mn->block_size < 512 ? " below 512-byte blocks" : "");
		mn->direct = false;
	}
	write_behind_default(mn);
	mn->block_count = (uint64_t)end / mn->block_size;
	if ((uint64_t)end % mn->block_size)
		cairn_warn(mn->env, "host resource \"%s\": ignoring the last "
		    "%llu bytes (not a whole block)", host,
		    (unsigned long long)((uint64_t)end % mn->block_size));
	if ((r = uring_init(mn)) < 0) {
		cairn_error(mn->env, "io_uring set-up failed: %s",
		    strerror(-r));
		cairn_exit(mn->env, 1);
	}
}

static void
rom_open(struct main *mn, const char *name)
{
	if (cairn_rom_open(mn->env, name, &mn->rom) < 0 || !mn->rom.valid)
		die(mn, "cannot open ROM module \"%s\"", name);
	if (mn->rom.size < mn->block_size)
		die(mn, "ROM module \"%s\" is smaller than one block", name);
	mn->rom_data = mn->rom.ds.addr;
	mn->block_count = mn->rom.size / mn->block_size;
	mn->writeable = false;
	mn->direct = false;
}

void
construct(struct cairn_env *env)
{
	static struct main mn;
	char host[PD_HOST_NAME_MAX], rom[128];

	mn.env = env;
	mn.fd = mn.cq_fd = -1;
	if (cairn_rom_open(env, "config", &mn.cfg_rom) < 0)
		die(&mn, "no config ROM");
	if (cairn_rom_xml(env, &mn.cfg_rom, &mn.config) < 0)
		cairn_exit(env, 1);
	config_read(&mn, host, sizeof(host), rom, sizeof(rom));
	if (host[0] != '\0')
		image_open(&mn, host);
	else
		rom_open(&mn, rom);
	if (block_server_create(env, mn.rom_data ? &rom_ops : &image_ops, &mn,
	    &mn.srv) < 0 || block_server_announce(mn.srv) < 0)
		die(&mn, "cannot announce the Block service");
	cairn_log(env, "%s \"%s\": %llu blocks of %u bytes, %s",
	    host[0] ? "image" : "ROM", host[0] ? host : rom,
	    (unsigned long long)mn.block_count, mn.block_size,
	    mn.writeable ? "writeable" : "read-only");
	if (mn.verbose && host[0]) {
		if (mn.direct)
			cairn_log(env, "direct I/O");
		else if (mn.wb.after == 0)
			cairn_log(env, "I/O through the page cache, no "
			    "write-behind");
		else
			cairn_log(env, "I/O through the page cache, "
			    "write-behind after %llu bytes",
			    (unsigned long long)mn.wb.after);
	}
}
