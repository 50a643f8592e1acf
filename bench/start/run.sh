#!/bin/sh
# Start benchmark: core + init booting 100 components until each said
# "ready", beside bwrap and fork+exec launching as many, in the same run.
# Usage: sh bench/start/run.sh BUILD_DIR   (as root)
# SPDX-License-Identifier: MIT
set -eu
build=${1:?usage: run.sh BUILD_DIR}
n=${CAIRN_BENCH_START_N:-100}
reps=${CAIRN_BENCH_START_REPS:-5}
bin=$build/bench/start
for f in "$bin/bench-start-boot" "$bin/bench-start-peer" \
    "$bin/bench-start-ready" "$build/core/core" "$build/init/init" \
    "$build/app/ready/ready"; do
	if [ ! -x "$f" ]; then
		echo "bench/start: $f not built (ninja -C $build)" >&2
		exit 1
	fi
done
if [ "$(id -u)" != 0 ]; then
	echo "bench/start: needs root (core and the peers create namespaces)" >&2
	exit 1
fi
if ! command -v bwrap >/dev/null; then
	echo "bench/start: bwrap not found (apt-get install bubblewrap)" >&2
	exit 1
fi

# The boot dir: init, the ready component and a config with n children.
work=$(mktemp -d "${TMPDIR:-/tmp}/cairn-bench-start.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir "$work/boot"
cp "$build/init/init" "$build/app/ready/ready" "$work/boot/"
{
	printf '<config>\n\t<parent-provides>\n'
	printf '\t\t<service name="LOG"/> <service name="ROM"/>'
	printf ' <service name="PD"/>\n\t</parent-provides>\n'
	printf '\t<default-route> <any-service> <parent/> </any-service>'
	printf ' </default-route>\n'
	i=1
	while [ "$i" -le "$n" ]; do
		printf '\t<start name="r%d"> <binary name="ready"/>' "$i"
		printf ' <resource name="RAM" quantum="512K"/> </start>\n'
		i=$((i + 1))
	done
	printf '</config>\n'
} > "$work/boot/config"

# value KEY LINE: the value of KEY=... in a key=value line.
value() {
	printf '%s\n' "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"
}
# median FILE: the middle of the numbers in FILE (the lower one of two).
median() {
	sort -n "$1" | sed -n "$((($(wc -l < "$1") + 1) / 2))p"
}

echo "bench/start: $(uname -r), $(nproc) CPUs, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "bench/start: $n components, median of $reps alternating runs"
# Alternate so that drift hits all alike; the pause lets the kernel finish
# tearing down the namespaces of the run before, which it does later.
r=1
while [ "$r" -le "$reps" ]; do
	line=$("$bin/bench-start-boot" "$build/core/core" "$work/boot" "$n")
	value total_ms "$line" >> "$work/cairn"
	echo "$line" >> "$work/cairn.lines"
	for m in bwrap fork+exec "sandbox_spawn (shared net)"; do
		sleep 1
		line=$("$bin/bench-start-peer" --batch "$m" \
		    "$bin/bench-start-ready" "$n")
		value total_ms "$line" >> "$work/$m"
	done
	sleep 1
	r=$((r + 1))
done

cairn=$(median "$work/cairn")
bwrap=$(median "$work/bwrap")
fork=$(median "$work/fork+exec")
spawn=$(median "$work/sandbox_spawn (shared net)")
line=$(grep -F "total_ms=$cairn " "$work/cairn.lines" | head -n 1)
echo "start: cairn: $n components ready in $cairn ms" \
    "(first started $(value first_start_ms "$line") ms," \
    "all $n started $(value last_start_ms "$line") ms," \
    "first ready $(value first_ready_ms "$line") ms;" \
    "core stopped them in $(value stop_ms "$line") ms)"
echo "start: cairn: CPU time used by then: core $(value cpu_core_ms "$line")" \
    "ms, init $(value cpu_init_ms "$line") ms, the $n components" \
    "$(value cpu_components_ms "$line") ms (with their set-up before exec)"
echo "start: peers, $n launches each until all ready: bwrap $bwrap ms," \
    "fork+exec $fork ms, core's sandbox_spawn alone $spawn ms"
echo "$cairn $bwrap $fork $n" | awk '{
	c = $1 / $4; b = $2 / $4; f = $3 / $4
	printf "figure: component_start cairn=%.3f peer=%.3f ratio=%.3f\n",
	    c, b, c / b
	printf "figure: component_start_vs_fork cairn=%.3f peer=%.3f " \
	    "ratio=%.2f\n", c, f, c / f
}'
