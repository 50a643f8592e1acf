#!/bin/sh
# Block benchmark: block_tester through a chain of block servers booted by
# core and init, beside raw io_uring on the same image file (bench-block-peer),
# in the same run. Prints one "figure:" line per figure.
# Usage: sh bench/block/run.sh BUILD_DIR   (as root: core needs it)
# SPDX-License-Identifier: MIT
#
# A chain is a set of components between block_tester and the image. Each
# chain has a case in chain_modules and chain_config below, and one in
# chain_server when block_tester's session goes to another component than
# file_blk; `chains` lists "CHAIN:FIGURE_PREFIX" pairs to run. To add one,
# add its cases and its pair; the four figures and the peer come free,
# chain_figures adds figures of that chain only (chain: the cache hits).
#
# Modes: "cached" runs file_blk with direct="no" and the peer through the
# page cache, on a warm image (software paths at memory speed); "direct"
# runs file_blk with O_DIRECT (its default) and the peer with O_DIRECT
# (what a disk sees). Figures of the direct mode end in _direct.
set -eu
build=${1:?usage: run.sh BUILD_DIR}
size_mb=${CAIRN_BENCH_BLOCK_MB:-1024}
reps=${CAIRN_BENCH_BLOCK_REPS:-5}
chains=${CAIRN_BENCH_BLOCK_CHAINS:-file_blk:file_blk part_blk:part chain:chain}
modes=${CAIRN_BENCH_BLOCK_MODES:-cached direct}
placements=${CAIRN_BENCH_BLOCK_PLACEMENTS:-1cpu}
# A space-separated list of figure names (e.g. "rand4k_qd1 rand4k_qd32")
# runs only those; empty runs all.
only=${CAIRN_BENCH_BLOCK_FIGURES:-}
peer=$build/bench/block/bench-block-peer
for f in "$peer" "$build/cairn" "$build/core/core" "$build/init/init" \
    "$build/server/file_blk/file_blk" "$build/app/block_tester/block_tester"; do
	if [ ! -x "$f" ]; then
		echo "bench/block: $f not built (ninja -C $build)" >&2
		exit 1
	fi
done
if ! command -v taskset >/dev/null; then
	echo "bench/block: taskset not found (apt-get install util-linux)" >&2
	exit 1
fi
if [ "$(id -u)" != 0 ]; then
	echo "bench/block: needs root (core creates namespaces)" >&2
	exit 1
fi

work=$(mktemp -d "${TMPDIR:-/var/tmp}/cairn-bench-block.XXXXXX")
trap 'rm -rf "$work"' EXIT
img=$work/disk.img
# A fully allocated image, then read once: both sides run on a warm page
# cache charged to no component, so the figures compare software paths.
dd if=/dev/zero of="$img" bs=1M count="$size_mb" conv=fsync 2>/dev/null
cat "$img" > /dev/null

# The figures: name, block_tester's test, the peer's arguments.
# Sequential: 1 MiB requests, 8 in flight, over the whole image.
# Random: 4 KiB reads at queue depth 1 and 32.
figures='seq_read|<sequential size="1M" depth="8" pattern="no"/>|seqread 1M 8 0
seq_write|<sequential size="1M" depth="8" write="yes" pattern="no"/>|seqwrite 1M 8 0
rand4k_qd1|<random size="4K" depth="1" count="20000"/>|randread 4K 1 20000
rand4k_qd32|<random size="4K" depth="32" count="200000"/>|randread 4K 32 200000'

# chain_modules CHAIN: boot modules besides init and block_tester.
chain_modules() {
	case $1 in
	file_blk) echo file_blk ;;
	blk_cache) echo file_blk blk_cache ;;
	part_blk) echo file_blk part_blk ;;
	chain) echo file_blk part_blk blk_cache ;;
	*) echo "bench/block: unknown chain '$1'" >&2; exit 1 ;;
	esac
}

# chain_prepare CHAIN: chains through part_blk need a partition table;
# it is written before each run, since write tests overwrite the image.
chain_prepare() {
	case $1 in
	part_blk|chain)
		echo 'start=2048, type=83' | sfdisk -q "$img" >/dev/null ;;
	esac
}

# chain_server CHAIN: the component whose Block session block_tester uses.
chain_server() {
	case $1 in
	blk_cache|chain) echo blk_cache ;;
	part_blk) echo part_blk ;;
	*) echo file_blk ;;
	esac
}

# chain_figures CHAIN: figures of this chain only, in the form of $figures
# (a name starting with "=" is used as it is, without the chain's prefix).
# blk_cache: random reads that all hit, after a sequential read brought
# the region into the cache; the figure is the last test's. That read uses
# 128 KiB requests: from 256 KiB on (blk_cache's default bypass) requests
# over uncached blocks pass the cache by and would leave it empty.
chain_figures() {
	case $1 in
	blk_cache|chain)
		echo '=cache_hit_rand4k_qd32|<sequential length="64M" size="128K" depth="8" pattern="no"/> <random length="64M" size="4K" depth="32" count="200000"/>|randread 4K 32 200000'
		;;
	esac
}

# chain_config CHAIN: <start> nodes of the chain; chain_server names the
# one block_tester's Block session is routed to. blk_cache's quantum holds
# its backend donation and reserve (16M each, for tx_buf_size) beside the
# 64 MiB the hit figure reads.
file_blk_start() {
	cat <<-EOF
		<start name="file_blk">
			<resource name="RAM" quantum="64M"/>
			<provides> <service name="Block"/> </provides>
			<host name="disk" resource="disk" writeable="yes"/>
			<config host="disk" block_size="512" writeable="yes" direct="$direct"/>
		</start>
		EOF
}

chain_config() {
	case $1 in
	file_blk)
		file_blk_start
		;;
	blk_cache)
		file_blk_start
		cat <<-EOF
		<start name="blk_cache">
			<resource name="RAM" quantum="128M"/>
			<provides> <service name="Block"/> </provides>
			<route>
				<service name="Block"> <child name="file_blk"/> </service>
				<any-service> <parent/> </any-service>
			</route>
			<config tx_buf_size="16M" slab="4M" bypass="${CAIRN_BENCH_BLOCK_BYPASS:-256K}"/>
		</start>
		EOF
		;;
	part_blk)
		file_blk_start
		cat <<-EOF
		<start name="part_blk">
			<resource name="RAM" quantum="48M"/>
			<provides> <service name="Block"/> </provides>
			<route>
				<service name="Block"> <child name="file_blk"/> </service>
				<any-service> <parent/> </any-service>
			</route>
			<config tx_buf_size="16M">
				<policy label="block_tester" partition="1" writeable="yes"/>
				<policy label="blk_cache" partition="1" writeable="yes"/>
			</config>
		</start>
		EOF
		;;
	chain)
		file_blk_start
		cat <<-EOF
		<start name="part_blk">
			<resource name="RAM" quantum="48M"/>
			<provides> <service name="Block"/> </provides>
			<route>
				<service name="Block"> <child name="file_blk"/> </service>
				<any-service> <parent/> </any-service>
			</route>
			<config tx_buf_size="16M">
				<policy label="block_tester" partition="1" writeable="yes"/>
				<policy label="blk_cache" partition="1" writeable="yes"/>
			</config>
		</start>
		<start name="blk_cache">
			<resource name="RAM" quantum="128M"/>
			<provides> <service name="Block"/> </provides>
			<route>
				<service name="Block"> <child name="part_blk"/> </service>
				<any-service> <parent/> </any-service>
			</route>
			<config tx_buf_size="16M" slab="4M" bypass="${CAIRN_BENCH_BLOCK_BYPASS:-256K}"/>
		</start>
		EOF
		;;
	*) echo "bench/block: unknown chain '$1'" >&2; exit 1 ;;
	esac
}

# cairn_run CHAIN NAME TEST: boot the chain with block_tester running TEST;
# prints block_tester's result line.
cairn_run() {
	run=$work/bench_block_$2.run
	{
		echo "timeout 120"
		echo "modules init block_tester $(chain_modules "$1")"
		echo "host disk $img rw"
		echo "config"
		echo "<config>"
		echo "<parent-provides> <service name=\"LOG\"/> <service name=\"ROM\"/>"
		echo " <service name=\"PD\"/> </parent-provides>"
		echo "<default-route> <any-service> <parent/> <any-child/>"
		echo " </any-service> </default-route>"
		chain_config "$1"
		echo "<start name=\"block_tester\">"
		echo " <resource name=\"RAM\" quantum=\"24M\"/>"
		echo " <route> <service name=\"Block\">"
		echo "  <child name=\"$(chain_server "$1")\"/> </service>"
		echo "  <any-service> <parent/> </any-service> </route>"
		echo " <config tx_buf_size=\"16M\"> $3 </config>"
		echo "</start>"
		echo "</config>"
		echo "end"
		echo "expect-re .*block_tester\\] test [a-z]+: done, .*"
		echo "expect-re .*block_tester\\] block_tester done: [0-9]+ tests, 0 failed"
	} > "$run"
	# One retry: a page-cached write may fail now and then when the
	# image's dirty pages press on file_blk's memory cgroup.
	# shellcheck disable=SC2086
	out=$($pin "$build/cairn" run --check "$run" 2>&1) || {
		echo "bench/block: $2 failed, once more:" >&2
		printf '%s\n' "$out" | grep -E 'Error|FAILED' | tail -n 3 >&2
		out=$($pin "$build/cairn" run --check "$run" 2>&1)
	} || {
		echo "bench/block: $2 failed:" >&2
		printf '%s\n' "$out" | tail -n 20 >&2
		exit 1
	}
	printf '%s\n' "$out" | grep 'block_tester\] test [a-z]*: done' | tail -n 1
}

# The figure of a result line: IOPS for random tests, else MiB/s.
cairn_value() {
	case $1 in
	*IOPS*) printf '%s\n' "$1" | sed 's/.* \([0-9.]*\) IOPS.*/\1/' ;;
	*) printf '%s\n' "$1" | sed 's/.* \([0-9.]*\) MiB\/s.*/\1/' ;;
	esac
}

peer_value() {
	case $1 in
	*randread*) printf '%s\n' "$1" | sed 's/.*iops=\([0-9.]*\).*/\1/' ;;
	*) printf '%s\n' "$1" | sed 's/.*mib_s=\([0-9.]*\).*/\1/' ;;
	esac
}

median() {
	sort -n "$1" | sed -n "$((($(wc -l < "$1") + 1) / 2))p"
}

echo "bench/block: $(uname -r), $(nproc) CPUs, $(date -u +%Y-%m-%dT%H:%M:%SZ), load:$(uptime | sed 's/.*load average://')"
echo "bench/block: ${size_mb} MiB image on $(df -T "$work" | awk 'NR==2 {print $2}'); modes: $modes; median of $reps alternating runs"
echo "bench/block: sequential figures in MiB/s, random ones in IOPS"
# Placements, as in bench/ipc: "1cpu" runs everything on CPU 0 (core,
# init, the components and their io_uring workers inherit the affinity,
# and so does the peer); "2cpu" runs unpinned, with the suffix _2cpu. On an
# idle VM the second pays a vCPU wake-up per hand-over, which dominates
# small requests.
for placement in $placements; do
if [ "$placement" = 1cpu ]; then
	pin="taskset -c 0"
	psuffix=
else
	pin=
	psuffix=_2cpu
fi
for mode in $modes; do
case $mode in
cached) direct=no; peer_direct=; suffix=$psuffix ;;
direct) direct=yes; peer_direct=direct; suffix=_direct$psuffix ;;
*) echo "bench/block: unknown mode '$mode'" >&2; exit 1 ;;
esac
for pair in $chains; do
	chain=${pair%%:*}
	prefix=${pair#*:}
	{ printf '%s\n' "$figures"; chain_figures "$chain"; } |
	    while IFS='|' read -r name test args; do
		case $name in
		=*) fig=${name#=} ;;
		*) fig=${prefix}_$name ;;
		esac
		case " ${only:-${name#=}} " in
		*" ${name#=} "*) ;;
		*) continue ;;
		esac
		rm -f "$work/c" "$work/p"
		r=1
		while [ "$r" -le "$reps" ]; do
			# Re-warm (cached mode): proactive reclaim (DAMON) may
			# have taken pages back, and pages read inside a
			# component would be charged to its small memory
			# cgroup. Write back what the previous run dirtied
			# first, so that neither side's writes are throttled
			# by the other's write-back.
			chain_prepare "$chain"
			[ "$mode" = cached ] && sync "$img" && cat "$img" > /dev/null
			line=$(cairn_run "$chain" "$fig$suffix" "$test")
			cairn_value "$line" >> "$work/c"
			[ "$mode" = cached ] && sync "$img" && cat "$img" > /dev/null
			# shellcheck disable=SC2086
			line=$($pin "$peer" "$img" $args $peer_direct)
			peer_value "$line" >> "$work/p"
			r=$((r + 1))
		done
		c=$(median "$work/c")
		p=$(median "$work/p")
		echo "$fig$suffix $c $p" | awk '{
			printf "figure: %s cairn=%s peer=%s ratio=%.3f\n",
			    $1, $2, $3, ($3 > 0 ? $2 / $3 : 0)
		}'
		# Kept for the hit figure's comparison with the uncached chain.
		echo "$c" > "$work/fig_$fig$suffix"
	done
	# The target for the cache: hits at >= 3 x the uncached chain's IOPS.
	if [ -f "$work/fig_cache_hit_rand4k_qd32$suffix" ] &&
	    [ -f "$work/fig_${prefix}_rand4k_qd32$suffix" ]; then
		echo "cache_hit_vs_${prefix}_rand4k_qd32$suffix $(cat \
		    "$work/fig_cache_hit_rand4k_qd32$suffix") $(cat \
		    "$work/fig_${prefix}_rand4k_qd32$suffix")" | awk '{
			printf "figure: %s cairn=%s peer=%s ratio=%.3f\n",
			    $1, $2, $3, ($3 > 0 ? $2 / $3 : 0)
		}'
		rm -f "$work/fig_cache_hit_rand4k_qd32$suffix"
	fi
done
done
done
