/*
 * Unit tests of lib/fs/handle.c and lib/fs/path.c: handle tables (stale
 * and forged values), names, paths, and the client's normalization.
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <string.h>

#include <cairn/fs_client.h>

#include "fs_impl.h"
#include "test.h"

T_STATE_DEFINE;

static struct fs_handles t;

static void
t_alloc(void)
{
	int32_t a, b;

	fs_handles_init(&t);
	a = fs_handle_alloc(&t, FS_H_FILE, FS_READ_WRITE, 42);
	b = fs_handle_alloc(&t, FS_H_DIR, FS_READ_ONLY, 7);
	T_CHECK(a >= 0 && b >= 0 && a != b);
	T_CHECK(fs_handle_get(&t, a, FS_H_FILE)->node == 42);
	T_CHECK(fs_handle_get(&t, b, FS_H_DIR)->node == 7);
	T_CHECK(fs_handle_get(&t, b, FS_H_ANY) != NULL);
	T_CHECK(t.used == 2);
}

static void
t_kind(void)
{
	int32_t a;

	fs_handles_init(&t);
	a = fs_handle_alloc(&t, FS_H_FILE, FS_READ_ONLY, 1);
	T_CHECK(fs_handle_get(&t, a, FS_H_DIR) == NULL);
	T_CHECK(fs_handle_get(&t, a, FS_H_SYMLINK | FS_H_NODE) == NULL);
	T_CHECK(fs_handle_get(&t, a, FS_H_FILE | FS_H_DIR) != NULL);
}

static void
t_stale(void)
{
	int32_t a, b;

	fs_handles_init(&t);
	a = fs_handle_alloc(&t, FS_H_FILE, FS_READ_ONLY, 1);
	fs_handle_free(&t, fs_handle_get(&t, a, FS_H_ANY));
	T_CHECK(fs_handle_get(&t, a, FS_H_ANY) == NULL);
	/* The slot is reused, the old value stays invalid. */
	b = fs_handle_alloc(&t, FS_H_FILE, FS_READ_ONLY, 2);
	T_CHECK((b & (FS_MAX_HANDLES - 1)) == (a & (FS_MAX_HANDLES - 1)));
	T_CHECK(b != a);
	T_CHECK(fs_handle_get(&t, a, FS_H_ANY) == NULL);
	T_CHECK(fs_handle_get(&t, b, FS_H_ANY)->node == 2);
	T_CHECK(t.used == 1);
}

static void
t_forged(void)
{
	int32_t a, v;

	fs_handles_init(&t);
	a = fs_handle_alloc(&t, FS_H_FILE, FS_READ_ONLY, 1);
	T_CHECK(fs_handle_get(&t, FS_HANDLE_INVALID, FS_H_ANY) == NULL);
	T_CHECK(fs_handle_get(&t, INT32_MIN, FS_H_ANY) == NULL);
	/* Generation 0 is never issued: small integers are not handles. */
	for (v = 0; v < FS_MAX_HANDLES; v++)
		T_CHECK(fs_handle_get(&t, v, FS_H_ANY) == NULL);
	T_CHECK(fs_handle_get(&t, a + FS_MAX_HANDLES, FS_H_ANY) == NULL);
	T_CHECK(fs_handle_get(&t, a + 1, FS_H_ANY) == NULL);
	T_CHECK(fs_handle_get(&t, a, FS_H_ANY) != NULL);
}

static void
t_exhaust(void)
{
	unsigned i;

	fs_handles_init(&t);
	for (i = 0; i < FS_MAX_HANDLES; i++)
		T_CHECK(fs_handle_alloc(&t, FS_H_NODE, 0, i) >= 0);
	T_CHECK(fs_handle_alloc(&t, FS_H_NODE, 0, 0) == -EMFILE);
	fs_handle_free(&t, &t.slot[5]);
	T_CHECK(fs_handle_alloc(&t, FS_H_NODE, 0, 99) >= 0);
	T_CHECK(t.slot[5].node == 99);
}

static void
t_gen_wrap(void)
{
	int32_t a;

	fs_handles_init(&t);
	t.slot[0].gen = FS_HANDLE_GEN_MAX;
	a = fs_handle_alloc(&t, FS_H_FILE, 0, 1);
	T_CHECK(a > 0);
	fs_handle_free(&t, fs_handle_get(&t, a, FS_H_ANY));
	T_CHECK(t.slot[0].gen == 1);
	a = fs_handle_alloc(&t, FS_H_FILE, 0, 1);
	T_CHECK(a == (1 << FS_HANDLE_INDEX_BITS));
}

static void
t_names(void)
{
	char n[300];

	T_CHECK(fs_name_check("a") == 0);
	T_CHECK(fs_name_check("...") == 0);
	T_CHECK(fs_name_check(".hidden") == 0);
	T_CHECK(fs_name_check("") == -EINVAL);
	T_CHECK(fs_name_check(".") == -EINVAL);
	T_CHECK(fs_name_check("..") == -EINVAL);
	T_CHECK(fs_name_check("a/b") == -EINVAL);
	memset(n, 'x', sizeof(n));
	n[255] = '\0';
	T_CHECK(fs_name_check(n) == 0);
	n[255] = 'x';
	n[256] = '\0';
	T_CHECK(fs_name_check(n) == -ENAMETOOLONG);
}

/* A fake tree for walks: /a/b, and /a/f is a file. */
static int
fake_lookup(void *fs, uint64_t dir, const char *name, uint64_t *node)
{
	if (dir == 1 && strcmp(name, "a") == 0)
		*node = 2;
	else if (dir == 2 && strcmp(name, "b") == 0)
		*node = 3;
	else if (dir == 2 && strcmp(name, "f") == 0)
		*node = 4;
	else if (dir == 4)
		return -ENOTDIR;
	else
		return -ENOENT;
	return 0;
}

static const struct fs_ops fake = { .lookup = fake_lookup };

static void
t_walk(void)
{
	uint64_t n = 0;

	T_CHECK(fs_path_walk(&fake, NULL, 1, "/", &n) == 0 && n == 1);
	T_CHECK(fs_path_walk(&fake, NULL, 1, "/a/b", &n) == 0 && n == 3);
	T_CHECK(fs_path_walk(&fake, NULL, 1, "/a/b/", &n) == 0 && n == 3);
	/* A walk started elsewhere (a session root) stays below it. */
	T_CHECK(fs_path_walk(&fake, NULL, 2, "/b", &n) == 0 && n == 3);
	T_CHECK(fs_path_walk(&fake, NULL, 2, "/a", &n) == -ENOENT);
	T_CHECK(fs_path_walk(&fake, NULL, 2, "/..", &n) == -ENOENT);
	T_CHECK(fs_path_walk(&fake, NULL, 2, "/../a", &n) == -ENOENT);
	T_CHECK(fs_path_walk(&fake, NULL, 1, "/a/./b", &n) == -ENOENT);
	T_CHECK(fs_path_walk(&fake, NULL, 1, "/a//b", &n) == -ENOENT);
	T_CHECK(fs_path_walk(&fake, NULL, 1, "a/b", &n) == -ENOENT);
	T_CHECK(fs_path_walk(&fake, NULL, 1, "", &n) == -ENOENT);
	T_CHECK(fs_path_walk(&fake, NULL, 1, "/a/f/x", &n) == -ENOTDIR);
	T_CHECK(fs_path_walk(&fake, NULL, 1, "/nope/b", &n) == -ENOENT);
}

static void
t_walk_long(void)
{
	char p[FS_MAX_PATH_LEN];
	uint64_t n;

	p[0] = '/';
	memset(p + 1, 'x', 300);
	p[301] = '\0';
	T_CHECK(fs_path_walk(&fake, NULL, 1, p, &n) == -ENAMETOOLONG);
}

static void
t_split(void)
{
	char parent[16], name[16];

	T_CHECK(fs_path_split("/a/b/c", parent, sizeof(parent), name,
	    sizeof(name)) == 0);
	T_CHECK(strcmp(parent, "/a/b") == 0 && strcmp(name, "c") == 0);
	T_CHECK(fs_path_split("/c", parent, sizeof(parent), name,
	    sizeof(name)) == 0);
	T_CHECK(strcmp(parent, "/") == 0 && strcmp(name, "c") == 0);
	T_CHECK(fs_path_split("/", parent, sizeof(parent), name,
	    sizeof(name)) == -ENOENT);
	T_CHECK(fs_path_split("c", parent, sizeof(parent), name,
	    sizeof(name)) == -ENOENT);
	T_CHECK(fs_path_split("/a/", parent, sizeof(parent), name,
	    sizeof(name)) == -ENOENT);
	T_CHECK(fs_path_split("/a/0123456789abcdef", parent, sizeof(parent),
	    name, sizeof(name)) == -ENAMETOOLONG);
}

static void
t_normalize(void)
{
	static const char *const cases[][2] = {
		{ "/", "/" }, { "", "/" }, { "a", "/a" }, { "/a/b/", "/a/b" },
		{ "//a//b", "/a/b" }, { "/a/./b", "/a/b" }, { "/a/../b", "/b" },
		{ "/..", "/" }, { "/../../x", "/x" }, { "/a/b/../../..", "/" },
		{ "a/../../etc", "/etc" }, { "/.../x", "/.../x" },
		{ "/a/..b", "/a/..b" },
	};
	char out[64];
	unsigned i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		T_CHECKF(fs_client_normalize(cases[i][0], out,
		    sizeof(out)) == 0 && strcmp(out, cases[i][1]) == 0,
		    "'%s' -> '%s'", cases[i][0], out);
	}
	T_CHECK(fs_client_normalize("/0123456789", out, 8) == -ENAMETOOLONG);
}

static void
t_errors(void)
{
	T_CHECK(fs_error_from_errno(-ENOENT) == FS_LOOKUP_FAILED);
	T_CHECK(fs_error_from_errno(-EEXIST) == FS_NODE_ALREADY_EXISTS);
	T_CHECK(fs_error_from_errno(-EROFS) == FS_PERMISSION_DENIED);
	T_CHECK(fs_error_from_errno(-EDQUOT) == FS_NO_SPACE);
	T_CHECK(fs_error_from_errno(-EINVAL) == FS_INVALID_ARGUMENT);
	T_CHECK(fs_error_from_errno(-ELOOP) == FS_IO_ERROR);
	T_CHECK(fs_error_to_errno(FS_NAME_TOO_LONG) == -ENAMETOOLONG);
	T_CHECK(fs_error_to_errno(FS_NOT_EMPTY) == -ENOTEMPTY);
	T_CHECK(fs_error_to_errno(FS_OK) == 0);
	T_CHECK(fs_error_to_errno(999) == -EIO);
	T_CHECK(strcmp(fs_error_str(FS_INVALID_HANDLE), "invalid handle") == 0);
}

int
main(void)
{
	T_RUN("fs-handle-001", "handles are issued and found by kind", t_alloc);
	T_RUN("fs-handle-002", "a handle of the wrong kind is refused", t_kind);
	T_RUN("fs-handle-003", "a closed handle stays invalid when its slot is "
	    "reused", t_stale);
	T_RUN("fs-handle-004", "forged values are refused", t_forged);
	T_RUN("fs-handle-005", "the table fills up with -EMFILE", t_exhaust);
	T_RUN("fs-handle-006", "generations wrap to 1, never 0", t_gen_wrap);
	T_RUN("fs-path-001", "name checks: empty, '.', '..', '/', 255/256 "
	    "bytes", t_names);
	T_RUN("fs-path-002", "walks refuse '.', '..', '//' and stay below "
	    "their start", t_walk);
	T_RUN("fs-path-003", "an element longer than 255 bytes", t_walk_long);
	T_RUN("fs-path-004", "split into parent and name", t_split);
	T_RUN("fs-path-005", "client normalization clamps '..' at '/'",
	    t_normalize);
	T_RUN("fs-path-006", "statuses and errnos map both ways", t_errors);
	return t_done();
}
