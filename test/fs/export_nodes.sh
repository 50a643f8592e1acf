#!/bin/sh
# The host side of the fs_export_nodes scenario: create empty files through
# the export until fuse_export's node table is full, and record what the
# commands saw. Each "ok -"/"FAIL -" line goes to $CAIRN_WORK/nodes.out.
# SPDX-License-Identifier: MIT
set -u
W=${CAIRN_WORK:-.}
M=$W/mnt
OUT=$W/nodes.out
: > "$OUT"
i=0
until grep -q " $M fuse" /proc/mounts; do
	i=$((i + 1))
	if [ $i -gt 300 ]; then
		echo "FAIL - the export was never mounted" >> "$OUT"
		exit 1
	fi
	sleep 0.1
done
mkdir "$M/files" && echo "still here" > "$M/hello" ||
    echo "FAIL - mkdir or the first file" >> "$OUT"
made=0
err=""
n=0
while [ $n -lt 20000 ]; do
	if ! err=$(touch "$M/files/f$n" 2>&1); then
		break
	fi
	made=$((made + 1))
	n=$((n + 1))
done
echo "made $made files, then: $err" >> "$OUT"
case "$err" in
*"Cannot allocate memory"*) echo "ok - creation refused with ENOMEM" >> "$OUT" ;;
*) echo "FAIL - creation ended without ENOMEM" >> "$OUT" ;;
esac
listed=$(ls "$M/files" | wc -l)
[ "$listed" -eq "$made" ] && echo "ok - ls lists all $made" >> "$OUT" ||
    echo "FAIL - ls lists $listed of $made" >> "$OUT"
[ "$(cat "$M/hello")" = "still here" ] &&
    echo "ok - an old file still reads" >> "$OUT" ||
    echo "FAIL - an old file does not read" >> "$OUT"
echo "done" >> "$OUT"
# The kernel forgets unused inodes: fuse_export says it has room again.
sync
echo 2 > /proc/sys/vm/drop_caches
