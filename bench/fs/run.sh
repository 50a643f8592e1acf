#!/bin/sh
# File-system benchmark: an ext2 image served by cairn's vfs (on file_blk,
# exported to the host by fuse_export) beside fuse2fs on an identical image,
# same run, the same host commands on both mounts. Prints one "figure:" line
# per figure; ratios are cairn / peer (rates as rates, durations as
# durations, RSS in KiB).
# Usage: sh bench/fs/run.sh BUILD_DIR   (as root: core and fuse2fs mount)
# SPDX-License-Identifier: MIT
#
# Figures: ext2_seq_write (MiB/s, dd of 128 MiB with conv=fsync),
# ext2_seq_read (MiB/s, the same file after the host's caches were dropped
# and the file system remounted), ext2_create_10k (files/s, 10,000 files of
# 4 KiB), ext2_ls_10k (µs per entry of a cold `ls -l`), ext2_rm_10k
# (files/s, rm -r), fs_rss (KiB, peak RSS of the vfs / of fuse2fs).
#
# Each figure comes twice: unsuffixed with everything (cairn's components,
# fuse2fs and the host commands) pinned to CPU 0 with taskset, and with
# the suffix _2cpu unpinned. CAIRN_BENCH_FS_MODES="1cpu 2cpu" (the
# default) chooses; both sides of a figure always get the same treatment,
# on fresh identical images. file_blk reads and writes the image through
# the host's page cache (CAIRN_BENCH_FS_DIRECT, default "no"), as fuse2fs
# does; see bench/fs/README.md.
set -eu
build=${1:?usage: run.sh BUILD_DIR}
size=${CAIRN_BENCH_FS_MB:-1024}
vfs_ram=${CAIRN_BENCH_FS_VFS_RAM:-6M}
modes=${CAIRN_BENCH_FS_MODES:-1cpu 2cpu}
direct=${CAIRN_BENCH_FS_DIRECT:-no}
for f in "$build/cairn" "$build/core/core" "$build/init/init" \
    "$build/server/file_blk/file_blk" "$build/server/vfs/vfs" \
    "$build/app/fuse_export/fuse_export"; do
	if [ ! -x "$f" ]; then
		echo "bench/fs: $f not built (ninja -C $build)" >&2
		exit 1
	fi
done
PATH=$PATH:/usr/sbin:/sbin
for c in mke2fs fuse2fs python3 taskset; do
	command -v $c >/dev/null || {
		echo "bench/fs: $c not found (apt-get install e2fsprogs fuse2fs util-linux)" >&2
		exit 1
	}
done
if [ "$(id -u)" != 0 ] || [ ! -w /dev/fuse ]; then
	echo "bench/fs: needs root and /dev/fuse" >&2
	exit 1
fi

work=$(mktemp -d "${TMPDIR:-/var/tmp}/cairn-bench-fs.XXXXXX")
cairn_pid=
step=setup
cleanup() {
	rc=$?
	set +e	# else the kill's and wait's statuses end the clean-up early
	if [ $rc -ne 0 ]; then
		# set -e stops at the first failing command: say which step.
		echo "bench/fs: failed (status $rc) during: $step" >&2
		if [ -s "$work/cairn.log" ]; then
			echo "bench/fs: the end of cairn's log:" >&2
			tail -n 20 "$work/cairn.log" >&2
		fi
	fi
	[ -n "$cairn_pid" ] && kill "$cairn_pid" 2>/dev/null && wait "$cairn_pid" 2>/dev/null
	umount "$work/peer_mnt" 2>/dev/null || true
	umount -l "$work/mnt" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
mkdir "$work/mnt" "$work/peer_mnt"

cat > "$work/bench.run" <<RUN
timeout 3600
modules init file_blk vfs fuse_export
host disk $work/cairn.img rw
host mnt $work/mnt fuse
config
<config>
	<parent-provides>
		<service name="LOG"/> <service name="ROM"/> <service name="PD"/>
	</parent-provides>
	<default-route> <any-service> <parent/> <any-child/> </any-service> </default-route>
	<start name="file_blk">
		<resource name="RAM" quantum="64M"/>
		<provides> <service name="Block"/> </provides>
		<host name="disk" resource="disk" writeable="yes"/>
		<config host="disk" block_size="512" writeable="yes" direct="$direct"/>
	</start>
	<start name="vfs">
		<resource name="RAM" quantum="$vfs_ram"/>
		<provides> <service name="File_system"/> </provides>
		<config>
			<vfs> <ext2/> </vfs>
			<policy label="" root="/" writeable="yes"/>
		</config>
	</start>
	<start name="fuse_export">
		<resource name="RAM" quantum="8M"/>
		<host name="fuse" resource="mnt" writeable="yes"/>
		<config label="export" ram_quota="2M" tx_buf_size="256K"/>
	</start>
</config>
end
expect never printed: the benchmark stops the run
RUN

# date(1), not a python3 one-liner: starting python3 on the pinned CPU took
# ~60 ms, twice per timed step, which is a quarter of cairn's rm time.
now() { date +%s.%N; }
mounted() { grep -q " $1 fuse" /proc/mounts; }
wait_mount() {
	i=0
	while ! mounted "$1"; do
		i=$((i + 1))
		[ $i -lt 300 ] || { echo "bench/fs: $1 never mounted" >&2; exit 1; }
		sleep 0.05
	done
	ls "$1" >/dev/null
}
cairn_up() {
	$pin "$build/cairn" run "$work/bench.run" >"$work/cairn.log" 2>&1 &
	cairn_pid=$!
	wait_mount "$work/mnt"
}
cairn_down() {
	sleep 1.5	# the vfs syncs a second after the last change
	kill "$cairn_pid"
	wait "$cairn_pid" 2>/dev/null || true
	cairn_pid=
	while mounted "$work/mnt"; do sleep 0.05; done
}
peer_up() {
	$pin fuse2fs "$work/peer.img" "$work/peer_mnt" >/dev/null 2>&1
	wait_mount "$work/peer_mnt"
}
peer_down() { $pin sync; umount "$work/peer_mnt"; }
drop() { $pin sync; echo 3 > /proc/sys/vm/drop_caches; }
hwm() {	# peak RSS in KiB of the process whose argv[0] is $1
	for p in /proc/[0-9]*; do
		if [ "$(tr '\0' '\n' < "$p/cmdline" 2>/dev/null | head -1)" = "$1" ]; then
			awk '/VmHWM/ {print $2}' "$p/status"
			return
		fi
	done
	echo 0
}
rate() { python3 -c "import sys; print('%.1f' % (float(sys.argv[1]) / (float(sys.argv[3]) - float(sys.argv[2]))))" "$@"; }

create='import os, sys
d = sys.argv[1]; os.mkdir(d); buf = b"x" * 4096
for i in range(10000):
    fd = os.open("%s/f%05d" % (d, i), os.O_CREAT | os.O_WRONLY, 0o644)
    os.write(fd, buf); os.close(fd)'

# One side: $1 cairn|peer, $2 mount point. Sets W R C L M (rates, µs).
run_side() {
	up=${1}_up down=${1}_down mnt=$2
	step="$1: mount"; $up
	step="$1: sequential write"
	t0=$(now); $pin dd if=/dev/zero of="$mnt/big" bs=1M count=128 conv=fsync status=none; t1=$(now)
	W=$(rate 128 "$t0" "$t1")
	step="$1: remount"; $down; drop; $up
	step="$1: cold read"
	t0=$(now); $pin dd if="$mnt/big" of=/dev/null bs=1M status=none; t1=$(now)
	R=$(rate 128 "$t0" "$t1")
	step="$1: create 10,000 files"
	t0=$(now); $pin python3 -c "$create" "$mnt/many"; $pin sync; t1=$(now)
	C=$(rate 10000 "$t0" "$t1")
	step="$1: remount"; $down; drop; $up
	step="$1: ls -l"
	t0=$(now); $pin ls -l "$mnt/many" >/dev/null; t1=$(now)
	L=$(python3 -c "import sys; print('%.1f' % ((float(sys.argv[2]) - float(sys.argv[1])) * 1e6 / 10000))" "$t0" "$t1")
	step="$1: rm -r"
	t0=$(now); $pin rm -r "$mnt/many"; $pin sync; t1=$(now)
	M=$(rate 10000 "$t0" "$t1")
}

fig() { python3 -c "import sys; print('figure: %s cairn=%s peer=%s ratio=%.3f' % (sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[2]) / float(sys.argv[3])))" "$@"; }

for mode in $modes; do
	case $mode in
	1cpu)	pin="taskset -c 0" sfx= ;;
	2cpu)	pin= sfx=_2cpu ;;
	*)	echo "bench/fs: unknown mode '$mode' (1cpu, 2cpu)" >&2; exit 1 ;;
	esac
	step="$mode: images"
	rm -f "$work/cairn.img" "$work/peer.img"
	mke2fs -q -F -t ext2 -b 4096 -I 256 "$work/cairn.img" "${size}M"
	cp "$work/cairn.img" "$work/peer.img"
	run_side cairn "$work/mnt"
	cW=$W cR=$R cC=$C cL=$L cM=$M
	cRSS=$(hwm vfs)
	step="cairn: unmount"; cairn_down
	run_side peer "$work/peer_mnt"
	pRSS=$(hwm fuse2fs)
	step="peer: unmount"; peer_down
	fig ext2_seq_write$sfx "$cW" "$W"
	fig ext2_seq_read$sfx "$cR" "$R"
	fig ext2_create_10k$sfx "$cC" "$C"
	fig ext2_ls_10k$sfx "$cL" "$L"
	fig ext2_rm_10k$sfx "$cM" "$M"
	fig fs_rss$sfx "$cRSS" "$pRSS"
done
