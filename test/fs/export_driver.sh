#!/bin/sh
# The host side of the fs_export scenario: ordinary shell commands on
# cairn's FUSE export, as a person would type them (fallocate among them,
# on the ram file system and on a block-mapped ext2).
# SPDX-License-Identifier: MIT
#
# A setup command starts this in the background before core boots. It
# waits for the export to show the file test-fs writes inside cairn, runs
# each check with a time limit, writes "ok - NAME" or "FAIL - NAME" per
# check to $CAIRN_WORK/export.out (command output in driver.detail), and
# last writes the summary into the export as /done, which test-fs waits
# for and logs. The scenario's `after` commands read export.out once core
# has stopped. Checks that act as another user run through setpriv.
set -u
W=${CAIRN_WORK:-.}
M=$W/mnt/ram		# the ram file system
E=$W/mnt/ext2		# the ext2 image (1 KiB blocks, block-mapped)
OUT=$W/export.out
NOBODY="setpriv --reuid=65534 --regid=65534 --clear-groups"
export W M E NOBODY CAIRN_SRC
pass=0
fail=0
: > "$OUT"

check() {
	name=$1
	shift
	echo "== $name" >> "$W/driver.detail"
	if timeout 20 sh -c "$*" >> "$W/driver.detail" 2>&1; then
		pass=$((pass + 1))
		echo "ok - $name" >> "$OUT"
	else
		fail=$((fail + 1))
		echo "FAIL - $name" >> "$OUT"
	fi
}

finish() {
	echo "export: $pass passed, $fail failed" >> "$OUT"
	echo "export: $pass passed, $fail failed" > "$M/done"
	exit 0
}

# Up to 30 s for the mount and the component's first file.
i=0
until timeout 2 test -f "$M/from-cairn/hello.txt"; do
	i=$((i + 1))
	if [ $i -gt 300 ]; then
		echo "FAIL - the export never showed /from-cairn/hello.txt" >> "$OUT"
		exit 1
	fi
	sleep 0.1
done

check "ls lists the component's directory" 'ls "$M" | grep -qx from-cairn'
check "cat reads the component's file" \
    '[ "$(cat "$M/from-cairn/hello.txt")" = "hello from cairn" ]'
check "mkdir" 'mkdir "$M/host" && [ -d "$M/host" ]'
check "cp copies a file in" 'cp "$CAIRN_SRC/README.md" "$M/host/readme"'
check "cmp finds the copy identical" 'cmp "$CAIRN_SRC/README.md" "$M/host/readme"'
check "cp -r copies a tree in" 'cp -r "$CAIRN_SRC/lib/fs" "$M/host/fs"'
check "diff -r finds the tree identical" 'diff -r "$CAIRN_SRC/lib/fs" "$M/host/fs"'
check "find sees every file" \
    '[ "$(find "$M/host/fs" -type f | wc -l)" = "$(find "$CAIRN_SRC/lib/fs" -type f | wc -l)" ]'
check "mv renames" \
    'mv "$M/host/readme" "$M/host/README" && [ -f "$M/host/README" ] && [ ! -e "$M/host/readme" ]'
check "mv replaces an existing file" \
    'echo a > "$M/host/a" && echo b > "$M/host/b" && mv "$M/host/a" "$M/host/b" && [ "$(cat "$M/host/b")" = a ]'
check "a directory does not replace a non-empty one" \
    'mkdir -p "$M/host/d1" "$M/host/d2/x" && ! mv -T "$M/host/d1" "$M/host/d2" && [ -d "$M/host/d1" ]'
check "a directory replaces an empty one" \
    'mkdir "$M/host/d3" && mv -T "$M/host/d1" "$M/host/d3" && [ ! -e "$M/host/d1" ]'
check "a directory does not move into itself" \
    '! mv "$M/host/d2" "$M/host/d2/x/" && [ -d "$M/host/d2/x" ]'
check "ln -s and readlink" \
    'ln -s README "$M/host/link" && [ "$(readlink "$M/host/link")" = README ] && cmp "$M/host/link" "$CAIRN_SRC/README.md"'
check "ln makes a hard link with the same inode" \
    'ln "$M/host/README" "$M/host/hard" && [ "$(stat -c %h "$M/host/README")" = 2 ] && [ "$(stat -c %i "$M/host/README")" = "$(stat -c %i "$M/host/hard")" ]'
# Dropped dentries make the kernel look each name up on its own: two
# node ids for one inode, whose cached link counts must both follow.
check "rm of one name: the other name's link count drops" \
    'ln "$M/host/README" "$M/host/hard2" && sync && echo 2 > /proc/sys/vm/drop_caches && [ "$(stat -c %h "$M/host/hard2")" = 3 ] && [ "$(stat -c %h "$M/host/README")" = 3 ] && rm "$M/host/hard2" && i=0; until [ "$(stat -c %h "$M/host/README")" = 2 ]; do i=$((i + 1)); [ $i -lt 50 ] || exit 1; sleep 0.1; done'
check "a name of 255 bytes" 'touch "$M/host/$(printf %0255d 0)"'
check "a name of 256 bytes: ENAMETOOLONG" \
    'touch "$M/host/$(printf %0256d 0)" 2>&1 | grep -q "File name too long"'
check "truncate -s 1G makes a sparse file" \
    'truncate -s 1G "$M/host/sparse" && [ "$(stat -c %s "$M/host/sparse")" = 1073741824 ] && [ "$(stat -c %b "$M/host/sparse")" = 0 ] && cmp -n 65536 "$M/host/sparse" /dev/zero'
check "a byte in the middle of the hole" \
    'printf x | dd of="$M/host/sparse" bs=1 seek=536870912 conv=notrunc && [ "$(stat -c %b "$M/host/sparse")" -le 16 ] && [ "$(dd if="$M/host/sparse" bs=1 skip=536870912 count=1)" = x ]'
check "touch keeps nanoseconds" \
    'touch -d "2020-01-02 03:04:05.123456789" "$M/host/README" && stat -c %y "$M/host/README" | grep -q "2020-01-02 03:04:05.123456789"'
check "chmod" 'chmod 640 "$M/host/README" && [ "$(stat -c %a "$M/host/README")" = 640 ]'
check "another user cannot create in a 0755 directory" \
    '! $NOBODY touch "$M/host/intruder" && [ ! -e "$M/host/intruder" ]'
check "another user cannot remove or rename there" \
    '! $NOBODY rm -f "$M/host/b" && ! $NOBODY mv "$M/host/b" "$M/host/c" && [ -e "$M/host/b" ]'
check "another user cannot read a 0600 file" \
    'chmod 600 "$M/host/b" && ! $NOBODY cat "$M/host/b"'
check "another user creates in a 1777 directory and owns it" \
    'mkdir -m 1777 "$M/host/tmp" && $NOBODY touch "$M/host/tmp/mine" && [ "$(stat -c %u:%g "$M/host/tmp/mine")" = 65534:65534 ]'
check "the sticky bit keeps root's file from other users" \
    'touch "$M/host/tmp/roots" && ! $NOBODY rm -f "$M/host/tmp/roots" && [ -e "$M/host/tmp/roots" ]'
check "a write by another user clears SUID" \
    'touch "$M/host/tmp/suid" && chmod 4777 "$M/host/tmp/suid" && $NOBODY sh -c "echo x >> \"$M/host/tmp/suid\"" && [ "$(stat -c %a "$M/host/tmp/suid")" = 777 ]'
check "rmdir refuses a non-empty directory" '! rmdir "$M/host/d2" && [ -d "$M/host/d2" ]'
check "rm -r removes a tree" 'rm -r "$M/host/fs" && [ ! -e "$M/host/fs" ]'
check "an open file outlives its name" \
    'exec 3< "$M/host/b" && rm "$M/host/b" && [ ! -e "$M/host/b" ] && [ "$(cat <&3)" = a ]'
check "df" 'df "$M"'
# The export caches entries and attributes; a change by another client
# (test-fs, asked through /host/please-change) must show all the same.
check "changes by another client show (cached entries dropped)" \
    'stat "$M/from-cairn/hello.txt" >/dev/null && ls -l "$M/from-cairn" >/dev/null && touch "$M/host/please-change" && i=0; until [ ! -e "$M/host/please-change" ] && [ ! -e "$M/from-cairn/hello.txt" ] && [ "$(cat "$M/from-cairn/renamed.txt" 2>/dev/null)" = "changed by cairn" ] && ls "$M/from-cairn" | grep -qx new.txt; do i=$((i + 1)); [ $i -lt 100 ] || exit 1; sleep 0.1; done'
# A directory the export made itself, whose every name it knows: a name
# another client added there must be found all the same. The shell's
# working directory keeps the directory's node alive (else the kernel
# forgets it when its entry is invalidated); the pause lets the export
# take the change signal on its own first (either order is right; this
# one checks that it forgot what it knew).
check "a name another client adds to a directory the host made" \
    'mkdir "$M/host/own" && cd "$M/host/own" && touch mine && [ ! -e theirs.txt ] && touch ../please-change && i=0; until [ ! -e ../please-change ]; do i=$((i + 1)); [ $i -lt 100 ] || exit 1; sleep 0.1; done; sleep 0.5; [ -e theirs.txt ]'
# fallocate(1): FS_ALLOCATE through the export (od -v prints every byte;
# nothing but zeros leaves nothing after tr). ram pages are 4 KiB.
check "fallocate -l allocates zeros and grows the size" \
    'fallocate -l 256K "$M/host/fa" && [ "$(stat -c %s "$M/host/fa")" = 262144 ] && [ "$(stat -c %b "$M/host/fa")" = 512 ] && cmp -n 262144 "$M/host/fa" /dev/zero'
check "fallocate -n (keep size) reserves past the end, the size stays" \
    'fallocate -n -o 256K -l 256K "$M/host/fa" && [ "$(stat -c %s "$M/host/fa")" = 262144 ] && [ "$(stat -c %b "$M/host/fa")" = 1024 ]'
check "fallocate -p: zeros, whole pages freed, the size stays" \
    'head -c 262144 /dev/urandom > "$W/pat" && cp "$W/pat" "$M/host/fp" && fallocate -p -o 10000 -l 100000 "$M/host/fp" && [ "$(stat -c %s "$M/host/fp")" = 262144 ] && [ "$(stat -c %b "$M/host/fp")" = $((512 - 8 * 23)) ] && cmp -n 10000 "$W/pat" "$M/host/fp" && cmp -i 110000 "$W/pat" "$M/host/fp" && [ -z "$(od -v -An -tx1 -j 10000 -N 100000 "$M/host/fp" | tr -d " 0\n")" ]'
check "fallocate -z: zeros, allocated again" \
    'fallocate -z -o 5000 -l 200000 "$M/host/fp" && [ "$(stat -c %b "$M/host/fp")" = 512 ] && cmp -n 5000 "$W/pat" "$M/host/fp" && cmp -i 205000 "$W/pat" "$M/host/fp" && [ -z "$(od -v -An -tx1 -j 5000 -N 200000 "$M/host/fp" | tr -d " 0\n")" ]'
check "fallocate past 512 GiB: EFBIG (and room again)" \
    '! fallocate -o 600G -l 1 "$M/host/fa" 2> "$W/big.err" && grep -q "too large" "$W/big.err" && rm "$M/host/fa" "$M/host/fp"'
# ext2: a block-mapped file's blocks 0-11 are direct, 12-267 behind the
# indirect block, 268 on behind the double indirect one.
check "ext2: fallocate -l allocates zeros and grows the size" \
    'fallocate -l 300K "$E/fa" && [ "$(stat -c %s "$E/fa")" = 307200 ] && [ "$(stat -c %b "$E/fa")" -ge 600 ] && cmp -n 307200 "$E/fa" /dev/zero'
check "ext2: fallocate -n (keep size) inside a sparse file" \
    'truncate -s 64K "$E/fk" && [ "$(stat -c %b "$E/fk")" = 0 ] && fallocate -n -l 32K "$E/fk" && [ "$(stat -c %s "$E/fk")" = 65536 ] && [ "$(stat -c %b "$E/fk")" -ge 64 ] && cmp -n 65536 "$E/fk" /dev/zero'
check "ext2: fallocate -n (keep size) past the end of a block map: not supported" \
    '! fallocate -n -o 64K -l 64K "$E/fk" 2> "$W/fk.err" && grep -q "unsupported" "$W/fk.err" && [ "$(stat -c %s "$E/fk")" = 65536 ]'
check "ext2: fallocate -p across the direct/indirect boundary" \
    'head -c 65536 /dev/urandom > "$W/pat2" && cp "$W/pat2" "$E/fp" && b=$(stat -c %b "$E/fp") && fallocate -p -o 10K -l 4K "$E/fp" && [ "$(stat -c %s "$E/fp")" = 65536 ] && [ "$(stat -c %b "$E/fp")" = $((b - 8)) ] && cmp -n 10240 "$W/pat2" "$E/fp" && cmp -i 14336 "$W/pat2" "$E/fp" && [ -z "$(od -v -An -tx1 -j 10240 -N 4096 "$E/fp" | tr -d " 0\n")" ]'
check "ext2: fallocate -p over both indirect boundaries, partial blocks" \
    'head -c 614400 /dev/urandom > "$W/pat3" && cp "$W/pat3" "$E/fq" && b=$(stat -c %b "$E/fq") && fallocate -p -o 6000 -l 300000 "$E/fq" && [ "$(stat -c %b "$E/fq")" -lt $((b - 560)) ] && cmp -n 6000 "$W/pat3" "$E/fq" && cmp -i 306000 "$W/pat3" "$E/fq" && [ -z "$(od -v -An -tx1 -j 6000 -N 300000 "$E/fq" | tr -d " 0\n")" ]'
check "ext2: fallocate -z" \
    'fallocate -z -o 1000 -l 20000 "$E/fq" && cmp -n 1000 "$W/pat3" "$E/fq" && [ -z "$(od -v -An -tx1 -j 1000 -N 20000 "$E/fq" | tr -d " 0\n")" ] && [ "$(stat -c %s "$E/fq")" = 614400 ]'
check "ext2: fsync writes the image back" 'sync "$E/fq"'
check "a file for the component" 'echo "host wrote this" > "$M/host/copied.txt"'
finish
