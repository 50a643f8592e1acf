#!/bin/sh
# VMM benchmark: the hello test guest under cairn (core + init + vmm, from a
# cold start) beside QEMU with KVM (-M microvm, the guest as -bios), same
# run: time to the guest's serial line, time until the guest is done, and
# peak RSS. Usage: sh bench/vmm/run.sh BUILD_DIR   (as root, with /dev/kvm)
# SPDX-License-Identifier: MIT
set -eu
build=${1:?usage: run.sh BUILD_DIR}
build=$(cd "$build" && pwd)
reps=${CAIRN_BENCH_VMM_REPS:-11}
run=$build/bench/vmm/bench-vmm-run
guest=$build/test/guest/hello.bin
for f in "$run" "$guest" "$build/core/core" "$build/init/init" \
    "$build/app/vmm/vmm"; do
	if [ ! -e "$f" ]; then
		echo "bench/vmm: $f not built (ninja -C $build)" >&2
		exit 1
	fi
done
if [ "$(id -u)" != 0 ]; then
	echo "bench/vmm: needs root (core creates namespaces)" >&2
	exit 1
fi
if ! [ -r /dev/kvm ] || ! [ -w /dev/kvm ]; then
	echo "bench/vmm: skipped: no usable /dev/kvm" >&2
	exit 0
fi
qemu=$(command -v qemu-system-x86_64 || true)
if [ -z "$qemu" ]; then
	echo "bench/vmm: qemu-system-x86_64 not found" \
	    "(apt-get install qemu-system-x86)" >&2
	exit 1
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/cairn-bench-vmm.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir "$work/boot"
cp "$build/init/init" "$build/app/vmm/vmm" "$guest" "$work/boot/"
cat > "$work/boot/config" <<'END'
<config>
	<parent-provides>
		<service name="LOG"/> <service name="ROM"/>
		<service name="PD"/> <service name="VM"/>
	</parent-provides>
	<default-route> <any-service> <parent/> </any-service> </default-route>
	<start name="vm">
		<binary name="vmm"/>
		<resource name="RAM" quantum="20M"/>
		<sandbox kvm="yes"/>
		<config kernel="hello.bin"/>
	</start>
</config>
END

# value KEY LINE: the value of KEY=... in a key=value line.
value() {
	printf '%s\n' "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"
}
# median FILE: the middle of the numbers in FILE.
median() {
	sort -n "$1" | sed -n "$((($(wc -l < "$1") + 1) / 2))p"
}
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'
}

marker='hello: Hello from a guest'
backend=kvm
[ -d /sys/module/kvm_pvm ] && backend=kvm_pvm
echo "bench/vmm: $(uname -r), $(nproc) CPUs, $backend," \
    "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "bench/vmm: hello guest (16 MiB for QEMU, 15 MiB for cairn's), median" \
    "of $reps alternating runs"
: > "$work/c_marker"; : > "$work/c_done"; : > "$work/c_rss"
: > "$work/q_marker"; : > "$work/q_done"; : > "$work/q_rss"
i=0
while [ "$i" -lt "$reps" ]; do
	line=$(cd "$work" && "$run" "$marker" 'child "vm" exited' -- \
	    "$build/core/core" --boot "$work/boot")
	value marker_ms "$line" >> "$work/c_marker"
	value done_ms "$line" >> "$work/c_done"
	value maxrss_kib "$line" >> "$work/c_rss"
	line=$("$run" "$marker" - -- "$qemu" -M microvm -accel kvm \
	    -m 16M -nodefaults -no-reboot -display none \
	    -monitor none -serial stdio -bios "$guest" \
	    -device isa-debug-exit,iobase=0xf4,iosize=4) || true
	value marker_ms "$line" >> "$work/q_marker"
	value done_ms "$line" >> "$work/q_done"
	value maxrss_kib "$line" >> "$work/q_rss"
	i=$((i + 1))
done
cm=$(median "$work/c_marker"); qm=$(median "$work/q_marker")
cd=$(median "$work/c_done"); qd=$(median "$work/q_done")
cr=$(median "$work/c_rss"); qr=$(median "$work/q_rss")
echo "figure: boot_vs_qemu_microvm cairn=$cm peer=$qm ratio=$(ratio "$cm" "$qm")"
echo "figure: vmm_done_vs_qemu_microvm cairn=$cd peer=$qd ratio=$(ratio "$cd" "$qd")"
echo "figure: vmm_rss_vs_qemu cairn=$cr peer=$qr ratio=$(ratio "$cr" "$qr")"
