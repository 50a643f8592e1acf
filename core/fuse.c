/*
 * core: FUSE mounts for components that export a file system to the host.
 * SPDX-License-Identifier: MIT
 *
 * A sandboxed component cannot mount, so core does it on its behalf: for
 * a host resource of kind "fuse" (`host NAME DIR fuse` in a scenario, core
 * option --host NAME=DIR:fuse) core opens /dev/fuse, mounts it at DIR with
 * the descriptor as the connection, and hands the descriptor to the
 * component like any host resource; the component serves the FUSE
 * protocol on it (libfuse accepts "/dev/fd/N" as its mount point for
 * exactly this). The mount is detached when the component ends, or when
 * core does.
 *
 * Options: allow_other, so that every host user reaches the export (not
 * only root, who mounted it), and default_permissions, so that the kernel
 * checks each access against the modes and owners the component reports.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "core.h"

int
core_fuse_mount(struct core *c, const struct host_res *h, bool writeable,
    char *detail, size_t dcap)
{
	char opts[128];
	unsigned long flags = MS_NOSUID | MS_NODEV;
	int fd, e;

	fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		e = errno;
		snprintf(detail, dcap, "/dev/fuse: %s", strerror(e));
		return -e;
	}
	snprintf(opts, sizeof(opts), "fd=%d,rootmode=40000,user_id=0,"
	    "group_id=0,allow_other,default_permissions", fd);
	if (!writeable)
		flags |= MS_RDONLY;
	if (mount("cairn", h->path, "fuse.cairn", flags, opts) < 0) {
		e = errno;
		snprintf(detail, dcap, "mount of FUSE at %s: %s", h->path,
		    strerror(e));
		close(fd);
		return -e;
	}
	if (c->verbose)
		core_log(c, "FUSE mounted at %s", h->path);
	return fd;
}

void
core_fuse_unmount(struct core *c, const struct host_res *h)
{
	/* Lazily: a host process may still have the directory open. */
	if (umount2(h->path, MNT_DETACH) < 0)
		core_log(c, "Warning: unmount of FUSE at %s: %s", h->path,
		    strerror(errno));
	else if (c->verbose)
		core_log(c, "FUSE unmounted from %s", h->path);
}
