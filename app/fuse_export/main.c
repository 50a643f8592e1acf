/*
 * fuse_export: a File_system session mounted on a host directory through
 * FUSE, so that ls, cp, cat, find and editors work on it from Linux.
 * SPDX-License-Identifier: MIT
 *
 * core mounts /dev/fuse at the granted directory (a host resource of kind
 * fuse) and hands us the descriptor; libfuse serves it as "/dev/fd/N"
 * without mounting anything itself. Requests are read on the entrypoint
 * whenever the descriptor is readable, one at a time.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "fuse_export.h"

static void
stop(struct main *mn, int value)
{
	cairn_ep_unwatch(mn->env->ep, mn->watch);
	fuse_destroy(mn->fuse);
	fs_conn_close(&mn->conn);
	cairn_exit(mn->env, value);
}

static void
on_request(void *ctx, uint32_t events)
{
	struct main *mn = ctx;
	int r = fuse_session_receive_buf(mn->se, &mn->buf);

	if (r == -EINTR || r == -EAGAIN)
		return;
	if (r <= 0) {
		/* ENODEV: the host unmounted us. */
		cairn_log(mn->env, "FUSE connection ended (%s)",
		    r ? strerror(-r) : "end of file");
		stop(mn, 0);
	}
	fuse_session_process_buf(mn->se, &mn->buf);
	if (fuse_session_exited(mn->se))
		stop(mn, 0);
}

void
construct(struct cairn_env *env)
{
	static struct main mn;
	static char *argv[] = { "fuse_export", NULL };
	struct fuse_args args = FUSE_ARGS_INIT(1, argv);
	struct cairn_rom rom;
	struct xml_node cfg;
	char host[32] = "fuse", label[64] = "export", mnt[32];
	uint64_t quota = 1 << 20, tx = 0;
	int fd, r;

	mn.env = env;
	if (cairn_rom_open(env, "config", &rom) == 0) {
		if (cairn_rom_xml(env, &rom, &cfg) == 0) {
			xml_attr_str(&cfg, "host", host, sizeof(host), "fuse");
			xml_attr_str(&cfg, "label", label, sizeof(label),
			    "export");
			quota = xml_attr_size(&cfg, "ram_quota", quota);
			tx = xml_attr_size(&cfg, "tx_buf_size", tx);
			mn.verbose = xml_attr_bool(&cfg, "verbose", false);
		}
		cairn_rom_close(env, &rom);
	}
	fd = cairn_host_fd(env, host);
	if (fd < 0) {
		cairn_error(env, "no host resource '%s' (grant a FUSE mount "
		    "point with <host name=\"%s\" .../>)", host, host);
		cairn_exit(env, 1);
	}
	r = fs_conn_open(env, &mn.conn, label, (size_t)tx, quota);
	if (r < 0) {
		cairn_error(env, "File_system session \"%s\": %s (%s)", label,
		    strerror(-r), mn.conn.detail);
		cairn_exit(env, 1);
	}
	mn.fuse = fuse_new(&args, &export_ops, sizeof(export_ops), &mn);
	snprintf(mnt, sizeof(mnt), "/dev/fd/%d", fd);
	if (mn.fuse == NULL || fuse_mount(mn.fuse, mnt) != 0) {
		cairn_error(env, "cannot serve FUSE on descriptor %d", fd);
		cairn_exit(env, 1);
	}
	mn.se = fuse_get_session(mn.fuse);
	mn.watch = cairn_ep_watch(env->ep, fuse_session_fd(mn.se), EPOLLIN,
	    on_request, &mn);
	if (mn.watch == NULL) {
		cairn_error(env, "cannot watch the FUSE descriptor");
		cairn_exit(env, 1);
	}
	cairn_log(env, "exporting File_system session \"%s\"", label);
}
