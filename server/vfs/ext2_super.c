/*
 * The ext2 superblock, checked from a buffer before libext2fs sees it.
 * SPDX-License-Identifier: MIT
 *
 * libext2fs trusts a good part of the superblock: counts that exceed the
 * device make it allocate and read for groups that do not exist, and a
 * block size or group geometry out of range makes its arithmetic wrap.
 * Everything it derives sizes from is checked here against the device,
 * and each refusal names the field and its value. Pure logic without I/O,
 * so the unit tests and the fuzzer link this file alone.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ext2.h"

#define SB_SIZE		1024

static int
bad(char *err, size_t ecap, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int
bad(char *err, size_t ecap, int code, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(err, ecap, "superblock: ");
	if (n < 0 || (size_t)n >= ecap)
		return code;
	va_start(ap, fmt);
	vsnprintf(err + n, ecap - (size_t)n, fmt, ap);
	va_end(ap);
	return code;
}

static int
is_pow2(uint64_t x)
{
	return x != 0 && (x & (x - 1)) == 0;
}

int
ext2_super_check(const uint8_t *buf, uint64_t dev_bytes, bool *ro,
    char *err, size_t ecap)
{
	struct ext2_super_block sb;
	uint64_t blocks, groups, bs, desc, gdt_blocks, bpg, cpg;
	uint32_t incompat, ro_compat, isize;

	memcpy(&sb, buf, sizeof(sb));
	*ro = false;
	if (err && ecap)
		err[0] = '\0';
	if (ext2fs_le16_to_cpu(sb.s_magic) != EXT2_SUPER_MAGIC)
		return bad(err, ecap, -EINVAL, "magic 0x%04x is not ext2's "
		    "0x%04x (not an ext2/3/4 file system)",
		    ext2fs_le16_to_cpu(sb.s_magic), EXT2_SUPER_MAGIC);
	if (ext2fs_le32_to_cpu(sb.s_rev_level) > EXT2_DYNAMIC_REV)
		return bad(err, ecap, -EOPNOTSUPP, "s_rev_level %" PRIu32
		    " is newer than any known (%d)",
		    ext2fs_le32_to_cpu(sb.s_rev_level), EXT2_DYNAMIC_REV);
	if (ext2fs_le32_to_cpu(sb.s_log_block_size) > 6)
		return bad(err, ecap, -EINVAL, "s_log_block_size %" PRIu32
		    " is out of range (block sizes are 1 KiB to 64 KiB)",
		    ext2fs_le32_to_cpu(sb.s_log_block_size));
	bs = 1024u << ext2fs_le32_to_cpu(sb.s_log_block_size);
	incompat = ext2fs_le32_to_cpu(sb.s_feature_incompat);
	ro_compat = ext2fs_le32_to_cpu(sb.s_feature_ro_compat);
	if (ext2fs_le32_to_cpu(sb.s_rev_level) == EXT2_GOOD_OLD_REV &&
	    (incompat || ro_compat))
		return bad(err, ecap, -EINVAL, "revision 0 with features "
		    "(incompat 0x%" PRIx32 ", ro_compat 0x%" PRIx32 ")",
		    incompat, ro_compat);
	if (incompat & ~(uint32_t)EXT2_LIB_FEATURE_INCOMPAT_SUPP)
		return bad(err, ecap, -EOPNOTSUPP, "incompatible features "
		    "0x%" PRIx32 " are unknown",
		    incompat & ~(uint32_t)EXT2_LIB_FEATURE_INCOMPAT_SUPP);
	if (incompat & EXT3_FEATURE_INCOMPAT_JOURNAL_DEV)
		return bad(err, ecap, -EOPNOTSUPP, "this is an external "
		    "journal, not a file system");
	if (incompat & EXT4_FEATURE_INCOMPAT_MMP)
		return bad(err, ecap, -EOPNOTSUPP, "feature mmp (multiple "
		    "mount protection) is not supported");

	blocks = ext2fs_le32_to_cpu(sb.s_blocks_count);
	if (incompat & EXT4_FEATURE_INCOMPAT_64BIT)
		blocks |= (uint64_t)ext2fs_le32_to_cpu(sb.s_blocks_count_hi)
		    << 32;
	if (blocks == 0 || blocks > dev_bytes / bs)
		return bad(err, ecap, -EINVAL, "s_blocks_count %" PRIu64
		    " does not fit the device (%" PRIu64 " blocks of %"
		    PRIu64 " bytes)", blocks, dev_bytes / bs, bs);
	if (ext2fs_le32_to_cpu(sb.s_first_data_block) > 1 ||
	    ext2fs_le32_to_cpu(sb.s_first_data_block) >= blocks)
		return bad(err, ecap, -EINVAL, "s_first_data_block %" PRIu32
		    " is neither 0 nor 1",
		    ext2fs_le32_to_cpu(sb.s_first_data_block));

	bpg = ext2fs_le32_to_cpu(sb.s_blocks_per_group);
	cpg = ext2fs_le32_to_cpu(sb.s_clusters_per_group);
	if (ro_compat & EXT4_FEATURE_RO_COMPAT_BIGALLOC) {
		if (ext2fs_le32_to_cpu(sb.s_log_cluster_size) <
		    ext2fs_le32_to_cpu(sb.s_log_block_size) ||
		    ext2fs_le32_to_cpu(sb.s_log_cluster_size) -
		    ext2fs_le32_to_cpu(sb.s_log_block_size) > 16)
			return bad(err, ecap, -EINVAL, "s_log_cluster_size %"
			    PRIu32 " does not suit the block size",
			    ext2fs_le32_to_cpu(sb.s_log_cluster_size));
		if (cpg == 0 || cpg > 8 * bs)
			return bad(err, ecap, -EINVAL, "s_clusters_per_group "
			    "%" PRIu64 " is out of range (1 to %" PRIu64 ")",
			    cpg, 8 * bs);
	} else if (bpg < 8 || bpg > 8 * bs) {
		return bad(err, ecap, -EINVAL, "s_blocks_per_group %" PRIu64
		    " is out of range (8 to %" PRIu64 ")", bpg, 8 * bs);
	}
	if (bpg == 0)
		return bad(err, ecap, -EINVAL, "s_blocks_per_group is 0");
	groups = (blocks - ext2fs_le32_to_cpu(sb.s_first_data_block) +
	    bpg - 1) / bpg;
	if (groups == 0 || groups > (1ull << 32))
		return bad(err, ecap, -EINVAL, "%" PRIu64 " block groups",
		    groups);
	if (ext2fs_le32_to_cpu(sb.s_inodes_per_group) == 0 ||
	    ext2fs_le32_to_cpu(sb.s_inodes_per_group) > 8 * bs)
		return bad(err, ecap, -EINVAL, "s_inodes_per_group %" PRIu32
		    " is out of range (1 to %" PRIu64 ")",
		    ext2fs_le32_to_cpu(sb.s_inodes_per_group), 8 * bs);
	if ((uint64_t)ext2fs_le32_to_cpu(sb.s_inodes_per_group) * groups !=
	    ext2fs_le32_to_cpu(sb.s_inodes_count))
		return bad(err, ecap, -EINVAL, "s_inodes_count %" PRIu32
		    " is not %" PRIu64 " groups of %" PRIu32 " inodes",
		    ext2fs_le32_to_cpu(sb.s_inodes_count), groups,
		    ext2fs_le32_to_cpu(sb.s_inodes_per_group));
	if (ext2fs_le32_to_cpu(sb.s_free_blocks_count) > blocks &&
	    !(incompat & EXT4_FEATURE_INCOMPAT_64BIT))
		return bad(err, ecap, -EINVAL, "s_free_blocks_count %" PRIu32
		    " exceeds s_blocks_count %" PRIu64,
		    ext2fs_le32_to_cpu(sb.s_free_blocks_count), blocks);
	if (ext2fs_le32_to_cpu(sb.s_free_inodes_count) >
	    ext2fs_le32_to_cpu(sb.s_inodes_count))
		return bad(err, ecap, -EINVAL, "s_free_inodes_count %" PRIu32
		    " exceeds s_inodes_count %" PRIu32,
		    ext2fs_le32_to_cpu(sb.s_free_inodes_count),
		    ext2fs_le32_to_cpu(sb.s_inodes_count));

	if (ext2fs_le32_to_cpu(sb.s_rev_level) == EXT2_GOOD_OLD_REV) {
		isize = EXT2_GOOD_OLD_INODE_SIZE;
	} else {
		isize = ext2fs_le16_to_cpu(sb.s_inode_size);
		if (!is_pow2(isize) || isize < EXT2_GOOD_OLD_INODE_SIZE ||
		    isize > bs)
			return bad(err, ecap, -EINVAL, "s_inode_size %" PRIu32
			    " is not a power of two from 128 to the block "
			    "size", isize);
		if (ext2fs_le32_to_cpu(sb.s_first_ino) <
		    EXT2_GOOD_OLD_FIRST_INO ||
		    ext2fs_le32_to_cpu(sb.s_first_ino) >
		    ext2fs_le32_to_cpu(sb.s_inodes_count))
			return bad(err, ecap, -EINVAL, "s_first_ino %" PRIu32
			    " is out of range",
			    ext2fs_le32_to_cpu(sb.s_first_ino));
	}
	if (ext2fs_le32_to_cpu(sb.s_inodes_count) < EXT2_ROOT_INO)
		return bad(err, ecap, -EINVAL, "s_inodes_count %" PRIu32
		    " leaves no room for the root directory",
		    ext2fs_le32_to_cpu(sb.s_inodes_count));

	desc = EXT2_MIN_DESC_SIZE;
	if (incompat & EXT4_FEATURE_INCOMPAT_64BIT) {
		desc = ext2fs_le16_to_cpu(sb.s_desc_size);
		if (!is_pow2(desc) || desc < EXT2_MIN_DESC_SIZE_64BIT ||
		    desc > EXT2_MAX_DESC_SIZE)
			return bad(err, ecap, -EINVAL, "s_desc_size %" PRIu64
			    " is not a power of two from %d to %d", desc,
			    EXT2_MIN_DESC_SIZE_64BIT, EXT2_MAX_DESC_SIZE);
	}
	gdt_blocks = (groups * desc + bs - 1) / bs;
	if (!(incompat & EXT2_FEATURE_INCOMPAT_META_BG) &&
	    ext2fs_le32_to_cpu(sb.s_first_data_block) + 1 + gdt_blocks >
	    blocks)
		return bad(err, ecap, -EINVAL, "the group descriptors of %"
		    PRIu64 " groups (%" PRIu64 " blocks) do not fit the "
		    "file system", groups, gdt_blocks);
	if ((incompat & EXT2_FEATURE_INCOMPAT_META_BG) &&
	    ext2fs_le32_to_cpu(sb.s_first_meta_bg) > gdt_blocks)
		return bad(err, ecap, -EINVAL, "s_first_meta_bg %" PRIu32
		    " exceeds the %" PRIu64 " descriptor blocks",
		    ext2fs_le32_to_cpu(sb.s_first_meta_bg), gdt_blocks);
	if (ext2fs_le16_to_cpu(sb.s_reserved_gdt_blocks) > bs / 4)
		return bad(err, ecap, -EINVAL, "s_reserved_gdt_blocks %u "
		    "exceeds %" PRIu64,
		    ext2fs_le16_to_cpu(sb.s_reserved_gdt_blocks), bs / 4);
	if ((incompat & EXT4_FEATURE_INCOMPAT_FLEX_BG) &&
	    sb.s_log_groups_per_flex > 31)
		return bad(err, ecap, -EINVAL, "s_log_groups_per_flex %u is "
		    "out of range (0 to 31)", sb.s_log_groups_per_flex);

	/* Reasons to serve the file system read-only, not refusals. */
	if (ro_compat & ~(uint32_t)EXT2_LIB_FEATURE_RO_COMPAT_SUPP) {
		*ro = true;
		bad(err, ecap, 0, "read-only compatible features 0x%" PRIx32
		    " are unknown: mounted read-only",
		    ro_compat & ~(uint32_t)EXT2_LIB_FEATURE_RO_COMPAT_SUPP);
	} else if (incompat & EXT3_FEATURE_INCOMPAT_RECOVER) {
		*ro = true;
		bad(err, ecap, 0, "the journal needs recovery (run e2fsck): "
		    "mounted read-only");
	} else if (ext2fs_le16_to_cpu(sb.s_state) & EXT2_ERROR_FS) {
		*ro = true;
		bad(err, ecap, 0, "the file system has errors (run e2fsck): "
		    "mounted read-only");
	}
	return 0;
}
