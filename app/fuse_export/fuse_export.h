/*
 * fuse_export: types shared by the files of the component.
 * SPDX-License-Identifier: MIT
 */
#ifndef FUSE_EXPORT_H
#define FUSE_EXPORT_H

#define FUSE_USE_VERSION 31

#include <stdbool.h>

#include <fuse.h>
#include <fuse_lowlevel.h>

#include <cairn/env.h>
#include <cairn/fs_client.h>

struct main {
	struct cairn_env *env;
	struct fs_conn conn;		/* the exported File_system session */
	struct fuse *fuse;
	struct fuse_session *se;
	struct fuse_buf buf;		/* libfuse's request buffer, reused */
	struct cairn_watch *watch;
	bool verbose;
};

/* ops.c: the FUSE operations, each mapped onto the session. */
extern const struct fuse_operations export_ops;

#endif
