#!/bin/sh
# The host side of the fs_export scenario: ordinary shell commands on
# cairn's FUSE export, as a person would type them.
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
M=$W/mnt
OUT=$W/export.out
NOBODY="setpriv --reuid=65534 --regid=65534 --clear-groups"
export W M NOBODY CAIRN_SRC
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
check "a file for the component" 'echo "host wrote this" > "$M/host/copied.txt"'
finish
