/*
 * File_system session: files, directories and symlinks by handle; data
 * through a packet stream.
 * SPDX-License-Identifier: MIT
 *
 * Service "File_system"; session args label, ram_quota and tx_buf_size
 * (bytes of the shared packet-stream buffer, default FS_TX_BUF_DEFAULT).
 * A client donates FS_QUOTA_OVERHEAD + tx_buf_size; the server refuses a
 * session whose ram_quota is below max(FS_SESSION_MIN_QUOTA, its own
 * session cost + tx_buf_size). What a client donates beyond that may fund
 * content (the vfs's ram file systems do: see server/vfs/README).
 *
 * Nodes are named by a path (absolute, relative to the session's root,
 * which the server's <policy root="..."> chose) or by a directory handle
 * and a name. Paths never contain "." or ".." elements and are never
 * resolved through symlinks by the server: a symlink is a small file whose
 * content is its target, read and written through the packet stream.
 *
 * Handles are per session. A handle is closed explicitly (FS_CLOSE) or with
 * the session; closing never deletes the node. The server checks every
 * handle: one that was never issued, was closed, or is of the wrong kind
 * for the operation gets FS_INVALID_HANDLE.
 *
 * Data: FS_TX returns the packet stream (packet_stream.h). The client
 * allocates payload space, fills a struct fs_packet into the descriptor's
 * data and submits it; the server acknowledges it with `success` and
 * `length` (bytes actually transferred) set. Acks may come out of order;
 * `ref` is returned unchanged for matching.
 *
 * Beyond 14.02 (all optional for servers, documented in
 * spec/file_system.md's spirit): the status carries permissions, owner,
 * link count, allocated blocks and nanosecond times; FS_CONTROL sets them;
 * FS_LINK makes a hard link; the statuses from FS_NOT_EMPTY on tell POSIX
 * errors apart; a READ at the end of a file succeeds with length 0 (14.02
 * reported it as a failure, so EOF and errors looked alike); a failed
 * packet carries its enum fs_error in `length` (14.02: 0); FS_ALLOCATE
 * allocates, punches or zeroes ranges of a file (fallocate(2)); FS_LOOKUP,
 * FS_CREATE, FS_REMOVE, FS_CLOSE_MANY, FS_PACKET_READDIR_PLUS and FS_WATCH
 * let a client such as the FUSE export work by directory handle with one
 * RPC per operation and cache what it learnt.
 */
#ifndef CAIRN_SESSION_FILE_SYSTEM_H
#define CAIRN_SESSION_FILE_SYSTEM_H

#include <stdint.h>
#include <string.h>

#include <cairn/packet_stream.h>

#define FS_SERVICE		"File_system"

#define FS_MAX_NAME_LEN		256	/* bytes of a name buffer, with NUL */
#define FS_MAX_PATH_LEN		1024	/* bytes of a path buffer, with NUL */
#define FS_MAX_HANDLES		128	/* open handles per session */
#define FS_MAX_SIGNALS		16	/* handles with a signal (FS_SIGH) */
#define FS_HANDLE_INVALID	(-1)

#define FS_TX_BUF_DEFAULT	(128 * 1024)
#define FS_QUOTA_OVERHEAD	(4 * 1024 * sizeof(long))
#define FS_SESSION_MIN_QUOTA	4096
#define FS_PACKET_SLOTS		16	/* ring slots: 15 packets in flight */

/* struct fs_packet.position: a WRITE here appends at the current end. */
#define FS_SEEK_TAIL		UINT64_MAX

/* Access mode of a file handle. */
enum fs_mode {
	FS_STAT_ONLY = 0,
	FS_READ_ONLY = 1,
	FS_WRITE_ONLY = 2,
	FS_READ_WRITE = 3,
};

/*
 * struct fs_status.mode: the type bits (one set) and the permissions. The
 * type values are Genode's, not Linux's: FS_MODE_SYMLINK equals S_IFCHR,
 * so map them rather than copy them into a struct stat.
 */
#define FS_MODE_TYPE		0170000
#define FS_MODE_FILE		0100000
#define FS_MODE_DIRECTORY	0040000
#define FS_MODE_SYMLINK		0020000
#define FS_MODE_PERM		07777

/* struct fs_dirent.type */
enum fs_node_type {
	FS_TYPE_FILE = 0,
	FS_TYPE_DIRECTORY = 1,
	FS_TYPE_SYMLINK = 2,
};

enum fs_op {
	FS_TX,		/* fd: client's wake pipe (write end); reply:
			 * fs_tx_res + fds dataspace and server's wake pipe
			 * (write end) */
	FS_FILE,	/* args: fs_file_args; reply: fs_handle_res */
	FS_SYMLINK,	/* args: fs_symlink_args; reply: fs_handle_res */
	FS_DIR,		/* args: fs_dir_args; reply: fs_handle_res */
	FS_NODE,	/* args: fs_node_args; reply: fs_handle_res */
	FS_CLOSE,	/* args: fs_handle_args */
	FS_STATUS,	/* args: fs_handle_args; reply: fs_status */
	FS_CONTROL,	/* args: fs_control_args */
	FS_UNLINK,	/* args: fs_unlink_args */
	FS_TRUNCATE,	/* args: fs_truncate_args */
	FS_MOVE,	/* args: fs_move_args */
	FS_SIGH,	/* args: fs_handle_args; fd: signal cap (none: remove);
			 * FS_NO_SPACE beyond FS_MAX_SIGNALS per session */
	FS_SYNC,	/* write back the server's caches */
	FS_LINK,	/* args: fs_link_args (hard link; beyond 14.02) */
	FS_ALLOCATE,	/* args: fs_allocate_args (fallocate(2); beyond
			 * 14.02) */
	FS_LOOKUP,	/* args: fs_lookup_args; reply: fs_status (beyond
			 * 14.02) */
	FS_CREATE,	/* args: fs_create_args; reply: fs_create_res
			 * (beyond 14.02) */
	FS_WATCH,	/* fd: signal cap (none: stop watching; beyond
			 * 14.02) */
	FS_REMOVE,	/* args: fs_unlink_args; reply: fs_status (beyond
			 * 14.02) */
	FS_CLOSE_MANY,	/* args: fs_close_many_args (beyond 14.02) */
	FS_N_OPS
};

/* Reply statuses (errno equivalents as the FUSE export maps them). */
enum fs_error {
	FS_OK = 0,
	FS_INVALID_HANDLE = 1,		/* EBADF */
	FS_INVALID_NAME = 2,		/* EINVAL: empty, '/', ".", ".." */
	FS_LOOKUP_FAILED = 3,		/* ENOENT */
	FS_NODE_ALREADY_EXISTS = 4,	/* EEXIST */
	FS_PERMISSION_DENIED = 5,	/* EACCES: read-only session */
	FS_NAME_TOO_LONG = 6,		/* ENAMETOOLONG: name > 255 bytes */
	FS_NO_SPACE = 7,		/* ENOSPC: quota or device full */
	FS_OUT_OF_NODE_HANDLES = 8,	/* EMFILE */
	FS_SIZE_LIMIT_REACHED = 9,	/* EFBIG */
	FS_NOT_EMPTY = 10,		/* ENOTEMPTY */
	FS_IS_DIRECTORY = 11,		/* EISDIR */
	FS_NOT_DIRECTORY = 12,		/* ENOTDIR */
	FS_CROSS_DEVICE = 13,		/* EXDEV: move between file systems */
	FS_INVALID_ARGUMENT = 14,	/* EINVAL */
	FS_IO_ERROR = 15,		/* EIO */
	FS_UNSUPPORTED = 16,		/* EOPNOTSUPP */
	FS_N_ERRORS
};

struct fs_time {
	int64_t sec;
	uint32_t nsec;
	uint32_t pad;
};

struct fs_status {
	uint64_t size;		/* file: bytes; directory: entries *
				 * sizeof(struct fs_dirent); symlink: target */
	uint32_t mode;		/* FS_MODE_* type bits | permissions */
	uint32_t nlink;
	uint64_t inode;		/* unique per node within the server */
	uint32_t uid;
	uint32_t gid;
	uint64_t blocks;	/* 512-byte units allocated (sparse files) */
	struct fs_time atime;
	struct fs_time mtime;
	struct fs_time ctime;
};

/* A directory entry, read from a directory handle one at a time: the
 * position must be a multiple of sizeof(struct fs_dirent), index =
 * position / sizeof; no "." or ".." entries. */
struct fs_dirent {
	int32_t type;		/* enum fs_node_type */
	char name[FS_MAX_NAME_LEN];
};

struct fs_tx_res {
	uint64_t size;		/* bytes of the dataspace */
	uint32_t slots;		/* ring geometry (FS_PACKET_SLOTS) */
	uint32_t pad;
};

struct fs_handle_res {
	int32_t handle;
};

struct fs_handle_args {
	int32_t handle;
};

/* Open (create: make it; it must not exist) file `name` in directory
 * handle `dir`. perm: permissions of a new file (0: 0644). */
struct fs_file_args {
	int32_t dir;
	uint32_t mode;		/* enum fs_mode */
	uint32_t create;
	uint32_t perm;
	char name[FS_MAX_NAME_LEN];
};

struct fs_symlink_args {
	int32_t dir;
	uint32_t create;
	char name[FS_MAX_NAME_LEN];
};

/* Open a directory by path; create makes only the last element
 * (perm: its permissions, 0: 0755). */
struct fs_dir_args {
	uint32_t create;
	uint32_t perm;
	char path[FS_MAX_PATH_LEN];
};

struct fs_node_args {
	char path[FS_MAX_PATH_LEN];
};

/* FS_CONTROL: set what `valid` names (FS_CONTROL_*). */
#define FS_CONTROL_MODE		0x01u	/* permission bits of mode */
#define FS_CONTROL_UID		0x02u
#define FS_CONTROL_GID		0x04u
#define FS_CONTROL_ATIME	0x08u
#define FS_CONTROL_MTIME	0x10u
#define FS_CONTROL_ATIME_NOW	0x20u
#define FS_CONTROL_MTIME_NOW	0x40u
#define FS_CONTROL_ALL		0x7fu

struct fs_control_args {
	int32_t handle;
	uint32_t valid;
	uint32_t mode;
	uint32_t uid;
	uint32_t gid;
	uint32_t pad;
	struct fs_time atime;
	struct fs_time mtime;
};

struct fs_unlink_args {
	int32_t dir;
	char name[FS_MAX_NAME_LEN];
};

struct fs_truncate_args {
	int32_t file;
	uint32_t pad;
	uint64_t size;
};

struct fs_move_args {
	int32_t from_dir;
	int32_t to_dir;
	char from_name[FS_MAX_NAME_LEN];
	char to_name[FS_MAX_NAME_LEN];
};

/* Hard link: node (a file or symlink handle of any kind) as `name` in
 * directory handle `dir`. */
struct fs_link_args {
	int32_t node;
	int32_t dir;
	char name[FS_MAX_NAME_LEN];
};

/*
 * FS_ALLOCATE: fallocate(2) on [offset, offset + length) of the file
 * behind handle `file`, which must be open for writing (FS_WRITE_ONLY or
 * FS_READ_WRITE) in a writeable session. flags:
 *
 *   0                  allocate: afterwards writes into the range find
 *                      room (no FS_NO_SPACE); the bytes read as before
 *                      (holes and the part past the end as zeros); the
 *                      file grows to offset + length if it was shorter
 *   FS_ALLOC_KEEP_SIZE allocate without changing the size (room past the
 *                      end is reserved for later writes; a file system
 *                      may give it back when the last handle on the file
 *                      closes, as Linux's vfat does)
 *   FS_ALLOC_PUNCH_HOLE | FS_ALLOC_KEEP_SIZE
 *                      punch a hole: the range reads as zeros and whole
 *                      blocks in it are freed; the size never changes
 *                      (punch without KEEP_SIZE: FS_UNSUPPORTED, as Linux)
 *   FS_ALLOC_ZERO_RANGE [| FS_ALLOC_KEEP_SIZE]
 *                      the range reads as zeros and stays allocated; the
 *                      file grows as with 0 unless KEEP_SIZE (optional)
 *
 * Statuses, checked by the framework before the file system sees the
 * request: FS_INVALID_HANDLE (not an open file handle of this session),
 * FS_PERMISSION_DENIED (read-only session, or a handle not open for
 * writing; also a read-only file system, Linux's EROFS/EPERM),
 * FS_INVALID_ARGUMENT (length 0, unknown flags, PUNCH_HOLE with
 * ZERO_RANGE), FS_UNSUPPORTED (PUNCH_HOLE without KEEP_SIZE; a server or a
 * file system that cannot do what was asked: Linux's EOPNOTSUPP),
 * FS_SIZE_LIMIT_REACHED (offset + length past 2^63 - 1 or the file
 * system's largest file), FS_NO_SPACE (the device or the quota is full;
 * nothing was allocated then where the file system can undo it).
 */
#define FS_ALLOC_KEEP_SIZE	0x01u
#define FS_ALLOC_PUNCH_HOLE	0x02u
#define FS_ALLOC_ZERO_RANGE	0x10u
#define FS_ALLOC_ALL		0x13u

struct fs_allocate_args {
	int32_t file;
	uint32_t flags;		/* FS_ALLOC_* */
	uint64_t offset;
	uint64_t length;
};

/*
 * FS_LOOKUP: the status of node `name` in directory handle `dir` (a
 * symlink's own, never its target's): lstat(2) in one RPC, where FS_NODE,
 * FS_STATUS and FS_CLOSE take three. FS_INVALID_HANDLE (not a directory
 * handle of this session), FS_INVALID_NAME, FS_NAME_TOO_LONG,
 * FS_LOOKUP_FAILED (no such entry).
 */
struct fs_lookup_args {
	int32_t dir;
	char name[FS_MAX_NAME_LEN];
};

/*
 * FS_CREATE: make node `name` (which must not exist) of `type` (enum
 * fs_node_type) in directory handle `dir` with permissions perm (0: 0644
 * for files, 0755 for directories, 0777 for symlinks), give it the owner
 * `valid` names (FS_CONTROL_UID, FS_CONTROL_GID; the server needs
 * FS_CONTROL for that, else FS_UNSUPPORTED before anything is made), and
 * open it: a file with `mode` (enum fs_mode), a directory read-only, an
 * empty symlink for its target (a WRITE sets it). The reply has the
 * handle, the new node's status and its directory's: FS_FILE, FS_CONTROL
 * and two FS_STATUS in one RPC. Statuses as FS_FILE's with create set; a
 * read-only session gets FS_PERMISSION_DENIED; FS_INVALID_ARGUMENT for an
 * unknown type, mode or valid bit.
 */
struct fs_create_args {
	int32_t dir;
	uint32_t type;		/* enum fs_node_type */
	uint32_t mode;		/* enum fs_mode (files) */
	uint32_t perm;
	uint32_t valid;		/* FS_CONTROL_UID | FS_CONTROL_GID */
	uint32_t uid;
	uint32_t gid;
	char name[FS_MAX_NAME_LEN];
};

struct fs_create_res {
	int32_t handle;
	uint32_t pad;
	struct fs_status st;	/* the new node's */
	struct fs_status dir;	/* the directory's, after the creation */
};

/*
 * FS_REMOVE: FS_UNLINK, answered with the directory's status after the
 * removal (what a client that caches it needs next), same statuses.
 */

/*
 * FS_CLOSE_MANY: FS_CLOSE for `count` handles (1 .. FS_CLOSE_MANY_MAX) in
 * one RPC. All of them must be open handles of the session, each named
 * once, else nothing is closed: FS_INVALID_ARGUMENT (count, or a handle
 * twice) or FS_INVALID_HANDLE.
 */
#define FS_CLOSE_MANY_MAX	64

struct fs_close_many_args {
	uint32_t count;
	int32_t handle[FS_CLOSE_MANY_MAX];
};

/*
 * FS_WATCH: the signal (a capability, as for FS_SIGH) is submitted whenever
 * another session of the server changes anything in the tree: a node made,
 * removed, moved, linked, written, truncated, allocated or given new
 * attributes. It says that, not what: a client that caches names and
 * statuses (the FUSE export) drops them all. The session's own changes do
 * not signal it. One watch per session; a new one replaces the old, no
 * descriptor stops it.
 */

/* --- the packet stream --- */

enum fs_packet_op {
	FS_PACKET_READ = 0,
	FS_PACKET_WRITE = 1,
	FS_PACKET_READDIR_PLUS = 2,	/* beyond 14.02, see below */
};

/*
 * FS_PACKET_READDIR_PLUS on a directory handle: `position` is the index
 * of the first entry (not a byte offset); the server fills the payload
 * with as many whole struct fs_dirent_plus as `length` holds (at least
 * one must fit, else the packet fails with FS_INVALID_ARGUMENT), each an
 * entry with the status of its node (lstat), and acknowledges the bytes
 * filled: 0 past the last entry. One packet does what a READ per entry
 * and an FS_LOOKUP per entry would (the FUSE export's readdirplus).
 */
struct fs_dirent_plus {
	struct fs_status st;
	struct fs_dirent e;
};

/* Lives in struct pkt_desc.data: use fs_packet_get/fs_packet_set. */
struct fs_packet {
	int32_t handle;
	uint32_t op;		/* enum fs_packet_op */
	uint64_t position;	/* byte offset, FS_SEEK_TAIL: append */
	uint64_t length;	/* in: bytes asked (<= size); out: done, or
				 * the enum fs_error when !success */
	uint64_t ref;		/* the client's cookie, returned unchanged */
	uint8_t success;	/* set by the server */
};

_Static_assert(sizeof(struct fs_packet) <= sizeof(((struct pkt_desc *)0)->data),
    "struct fs_packet fits a descriptor");

static inline void
fs_packet_get(const struct pkt_desc *d, struct fs_packet *p)
{
	memcpy(p, d->data, sizeof(*p));
}

static inline void
fs_packet_set(struct pkt_desc *d, const struct fs_packet *p)
{
	memcpy(d->data, p, sizeof(*p));
}

#endif
