/*
 * Names and paths: validation and walking from a session's root.
 * SPDX-License-Identifier: MIT
 *
 * Confinement rests here: a path is walked element by element from the
 * session's root node with the server's lookup(), and "." and ".." are
 * refused rather than interpreted, so no path names a node outside the
 * root. Symlinks are never followed (a lookup through one fails with
 * -ENOTDIR in the server).
 */
#include <errno.h>
#include <string.h>

#include <cairn/fs_server.h>

int
fs_name_check(const char *name)
{
	size_t len = strnlen(name, FS_MAX_NAME_LEN);

	if (len == 0 || strchr(name, '/') != NULL ||
	    strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return -EINVAL;
	if (len >= FS_MAX_NAME_LEN)
		return -ENAMETOOLONG;
	return 0;
}

int
fs_path_walk(const struct fs_ops *ops, void *fs, uint64_t start,
    const char *path, uint64_t *node)
{
	char name[FS_MAX_NAME_LEN];
	const char *p = path, *e;
	uint64_t cur = start;
	size_t len;
	int r;

	if (path[0] != '/')
		return -ENOENT;
	while (*p == '/') {
		p++;
		if (*p == '\0')
			break;	/* "/" itself or a trailing slash */
		e = strchr(p, '/');
		len = e ? (size_t)(e - p) : strlen(p);
		if (len == 0)
			return -ENOENT;	/* "//" */
		if (len >= sizeof(name))
			return -ENAMETOOLONG;
		memcpy(name, p, len);
		name[len] = '\0';
		if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
			return -ENOENT;
		r = ops->lookup(fs, cur, name, &cur);
		if (r < 0)
			return r;
		p += len;
	}
	*node = cur;
	return 0;
}

int
fs_path_split(const char *path, char *parent, size_t pcap, char *name,
    size_t ncap)
{
	const char *slash = strrchr(path, '/');
	size_t plen, nlen;

	if (slash == NULL || path[0] != '/' || slash[1] == '\0')
		return -ENOENT;
	plen = slash == path ? 1 : (size_t)(slash - path);
	nlen = strlen(slash + 1);
	if (plen >= pcap)
		return -ENAMETOOLONG;
	if (nlen >= ncap)
		return -ENAMETOOLONG;
	memcpy(parent, path, plen);
	parent[plen] = '\0';
	memcpy(name, slash + 1, nlen + 1);
	return 0;
}
