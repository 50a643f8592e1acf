/*
 * test-ext2: a File_system client for the vfs's ext2 plugin: a large
 * directory (hash-indexed by then), slow symlinks, rename rules, the size
 * limit, sync; and the client half of the crash test.
 * SPDX-License-Identifier: MIT
 *
 * <config test="ops" files="3000"/> runs the checks; each logs "WHAT:
 * RESULT" when the server answered as expected and an Error line otherwise.
 * <config test="crash"/> writes /synced/data-N, syncs, logs "synced",
 * then changes more without syncing, logs "unsynced changes made" and
 * stays until it is killed with everything else (scenarios/fs_crash.run
 * then checks the image on the host).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <cairn/env.h>
#include <cairn/fs_client.h>
#include <cairn/fs_server.h>

struct main {
	struct cairn_env *env;
	struct fs_conn c;
	unsigned failed;
};

static void
check(struct main *mn, bool ok, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
check(struct main *mn, bool ok, const char *fmt, ...)
{
	char buf[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (ok)
		cairn_log(mn->env, "%s", buf);
	else {
		cairn_error(mn->env, "check failed: %s", buf);
		mn->failed++;
	}
}

static int32_t
dir(struct main *mn, const char *path, bool create)
{
	int32_t h = FS_HANDLE_INVALID;

	(void)fs_conn_dir(&mn->c, path, create, 0, &h);
	return h;
}

/* Create dir/name with len bytes of fill. */
static bool
put(struct main *mn, int32_t d, const char *name, char fill, size_t len)
{
	static char buf[65536];
	int32_t h;
	long n;

	if (fs_conn_file(&mn->c, d, name, FS_WRITE_ONLY, true, 0, &h) < 0)
		return false;
	memset(buf, fill, len);
	n = len ? fs_conn_write(&mn->c, h, buf, len, 0) : 0;
	fs_conn_release(&mn->c, h);
	return n == (long)len;
}

static void
test_bigdir(struct main *mn, unsigned files)
{
	struct fs_conn *c = &mn->c;
	struct fs_status st;
	struct fs_dirent e;
	char name[32];
	unsigned i, bad = 0, found = 0;
	uint64_t t0, idx;
	int32_t d, h;

	d = dir(mn, "/many", true);
	t0 = cairn_now_us();
	for (i = 0; i < files; i++) {
		snprintf(name, sizeof(name), "file-%05u", i);
		if (!put(mn, d, name, 'x', 0))
			bad++;
	}
	check(mn, bad == 0, "created %u files in /many", files);
	cairn_log(mn->env, "created them in %llu ms",
	    (unsigned long long)(cairn_now_us() - t0) / 1000);
	for (i = 0, bad = 0; i < files; i++) {
		snprintf(name, sizeof(name), "file-%05u", i);
		if (fs_conn_file(c, d, name, FS_READ_ONLY, false, 0, &h) < 0)
			bad++;
		else
			fs_conn_release(c, h);
	}
	check(mn, bad == 0, "every one looked up");
	(void)fs_conn_file(c, d, "file-99999", FS_READ_ONLY, false, 0, &h);
	check(mn, c->status == FS_LOOKUP_FAILED, "a missing name: %s",
	    fs_error_str(c->status));
	(void)fs_conn_status(c, d, &st);
	for (idx = 0; fs_conn_readdir(c, d, idx, &e) == 1; idx++)
		if (strncmp(e.name, "file-", 5) == 0)
			found++;
	check(mn, found == files && idx == files &&
	    st.size == files * sizeof(e), "readdir /many: %u entries", found);
	for (i = 0, bad = 0; i < files; i += 2) {
		snprintf(name, sizeof(name), "file-%05u", i);
		if (fs_conn_unlink(c, d, name) < 0)
			bad++;
	}
	for (i = 0; i < files; i++) {
		snprintf(name, sizeof(name), "file-%05u", i);
		if ((fs_conn_file(c, d, name, FS_READ_ONLY, false, 0, &h) == 0)
		    != (i % 2 == 1))
			bad++;
		else if (i % 2)
			fs_conn_release(c, h);
	}
	(void)fs_conn_status(c, d, &st);
	check(mn, bad == 0 && st.size == (files / 2) * sizeof(e),
	    "every other one removed: %llu left",
	    (unsigned long long)(st.size / sizeof(e)));
	fs_conn_release(c, d);
}

static void
test_misc(struct main *mn)
{
	struct fs_conn *c = &mn->c;
	char target[201], buf[256];
	int32_t root, h, d;
	long n;

	root = dir(mn, "/", false);
	memset(target, 't', 200);
	target[200] = '\0';
	(void)fs_conn_symlink(c, root, "long-link", true, &h);
	n = fs_conn_write(c, h, target, 200, 0);
	fs_conn_release(c, h);
	(void)fs_conn_symlink(c, root, "long-link", false, &h);
	memset(buf, 0, sizeof(buf));
	n = fs_conn_read(c, h, buf, sizeof(buf), 0);
	fs_conn_release(c, h);
	check(mn, n == 200 && memcmp(buf, target, 200) == 0,
	    "a 200-byte symlink reads back");

	fs_conn_release(c, dir(mn, "/d1", true));
	fs_conn_release(c, dir(mn, "/d2", true));
	d = dir(mn, "/d3", true);
	put(mn, d, "inside", 'i', 3);
	fs_conn_release(c, d);
	(void)fs_conn_move(c, root, "d1", root, "d2");
	check(mn, c->status == FS_OK, "rename a directory over an empty one: "
	    "%s", fs_error_str(c->status));
	(void)fs_conn_move(c, root, "d2", root, "d3");
	check(mn, c->status == FS_NOT_EMPTY, "rename over a non-empty one: "
	    "%s", fs_error_str(c->status));
	(void)fs_conn_move(c, root, "d2", root, "long-link");
	check(mn, c->status == FS_NOT_DIRECTORY, "rename a directory over a "
	    "symlink: %s", fs_error_str(c->status));

	put(mn, root, "sizes", 's', 10);
	(void)fs_conn_file(c, root, "sizes", FS_READ_WRITE, false, 0, &h);
	n = fs_conn_write(c, h, "x", 1, 1ull << 40);
	check(mn, n < 0 && c->status == FS_SIZE_LIMIT_REACHED,
	    "write at 1 TiB: %s", fs_error_str(c->status));
	fs_conn_release(c, h);
	(void)fs_conn_sync(c);
	check(mn, c->status == FS_OK, "sync: %s", fs_error_str(c->status));
	fs_conn_release(c, root);
}

static void
test_crash(struct main *mn)
{
	char name[32];
	int32_t d;
	unsigned i;
	bool ok = true;

	d = dir(mn, "/synced", true);
	for (i = 0; i < 8; i++) {
		snprintf(name, sizeof(name), "data-%u", i);
		ok &= put(mn, d, name, (char)('a' + i), 65536);
	}
	fs_conn_release(&mn->c, d);
	(void)fs_conn_sync(&mn->c);
	check(mn, ok && mn->c.status == FS_OK, "synced");
	d = dir(mn, "/unsynced", true);
	ok = put(mn, d, "data", 'u', 65536);
	fs_conn_release(&mn->c, d);
	check(mn, ok, "unsynced changes made");
}

void
construct(struct cairn_env *env)
{
	static struct main mn;
	struct cairn_rom cfg;
	struct xml_node node;
	char test[16] = "ops";
	unsigned files = 3000;

	mn.env = env;
	if (cairn_rom_open(env, "config", &cfg) == 0) {
		if (cairn_rom_xml(env, &cfg, &node) == 0) {
			xml_attr_str(&node, "test", test, sizeof(test), "ops");
			files = (unsigned)xml_attr_u64(&node, "files", files);
		}
		cairn_rom_close(env, &cfg);
	}
	if (fs_conn_open(env, &mn.c, "", 0, 0) < 0) {
		cairn_error(env, "no File_system session: %s", mn.c.detail);
		cairn_exit(env, 1);
	}
	if (strcmp(test, "crash") == 0) {
		test_crash(&mn);
		return;		/* stay until killed */
	}
	test_bigdir(&mn, files);
	test_misc(&mn);
	if (mn.failed)
		cairn_error(env, "%u checks failed", mn.failed);
	cairn_log(env, "test-ext2 done");
	cairn_exit(env, mn.failed ? 1 : 0);
}
