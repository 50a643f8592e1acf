/*
 * File_system statuses: their errno equivalents and names.
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>

#include <cairn/fs_server.h>

static const struct {
	int status;
	int err;
	const char *name;
} map[] = {
	{ FS_OK, 0, "ok" },
	{ FS_INVALID_HANDLE, EBADF, "invalid handle" },
	{ FS_INVALID_NAME, EINVAL, "invalid name" },
	{ FS_LOOKUP_FAILED, ENOENT, "lookup failed" },
	{ FS_NODE_ALREADY_EXISTS, EEXIST, "node already exists" },
	{ FS_PERMISSION_DENIED, EACCES, "permission denied" },
	{ FS_NAME_TOO_LONG, ENAMETOOLONG, "name too long" },
	{ FS_NO_SPACE, ENOSPC, "no space" },
	{ FS_OUT_OF_NODE_HANDLES, EMFILE, "out of node handles" },
	{ FS_SIZE_LIMIT_REACHED, EFBIG, "size limit reached" },
	{ FS_NOT_EMPTY, ENOTEMPTY, "directory not empty" },
	{ FS_IS_DIRECTORY, EISDIR, "is a directory" },
	{ FS_NOT_DIRECTORY, ENOTDIR, "not a directory" },
	{ FS_CROSS_DEVICE, EXDEV, "cross-device move" },
	{ FS_INVALID_ARGUMENT, EINVAL, "invalid argument" },
	{ FS_IO_ERROR, EIO, "I/O error" },
	{ FS_UNSUPPORTED, EOPNOTSUPP, "unsupported" },
};

#define NMAP (sizeof(map) / sizeof(map[0]))

int
fs_error_from_errno(int err)
{
	unsigned i;

	if (err < 0)
		err = -err;
	switch (err) {
	case 0:		return FS_OK;
	case EPERM:
	case EROFS:	return FS_PERMISSION_DENIED;
	case EDQUOT:
	case ENOMEM:	return FS_NO_SPACE;
	case ENOSYS:	return FS_UNSUPPORTED;
	case EINVAL:	return FS_INVALID_ARGUMENT;
	default:	break;
	}
	for (i = 1; i < NMAP; i++)
		if (map[i].err == err)
			return map[i].status;
	return FS_IO_ERROR;
}

int
fs_error_to_errno(int status)
{
	if (status > 0 && (unsigned)status < NMAP)
		return -map[status].err;
	return status == 0 ? 0 : -EIO;
}

const char *
fs_error_str(int status)
{
	if (status >= 0 && (unsigned)status < NMAP)
		return map[status].name;
	return "unknown status";
}
