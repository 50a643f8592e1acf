#!/bin/sh
# IPC benchmarks: packet stream (4 KiB, 64 KiB) and RPC round trip, each
# beside its peer in the same run. Usage: sh bench/ipc/run.sh BUILD_DIR
# SPDX-License-Identifier: MIT
set -eu
build=${1:?usage: run.sh BUILD_DIR}
bin=$build/bench/ipc
for b in bench-pstream bench-rpc; do
	if [ ! -x "$bin/$b" ]; then
		echo "bench/ipc: $bin/$b not built (ninja -C $build)" >&2
		exit 1
	fi
done
echo "bench/ipc: $(uname -r), $(nproc) CPUs, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
# SIZE COUNT REPS: about a second per variant and placement each.
"$bin/bench-pstream" 4096 1000000 5
"$bin/bench-pstream" 65536 100000 5
# COUNT REPS
"$bin/bench-rpc" 20000 5
