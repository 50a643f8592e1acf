#!/bin/sh
# A stand-in for core in the tests of cairn: runs the boot module fake.sh.
# SPDX-License-Identifier: MIT
#
# Called as cairn calls core: fake_core.sh --boot DIR [--host NAME=PATH[:rw]]
# It prints "[core] host NAME=PATH[:rw]" per --host, then becomes
# `sh DIR/fake.sh` (a `rom fake.sh` of the scenario) with BOOT=DIR, so the
# script's $$ is core's pid and its output is core's output.
BOOT=
while [ $# -gt 0 ]; do
	case $1 in
	--boot) BOOT=$2; shift 2 ;;
	--host) echo "[core] host $2"; shift 2 ;;
	*) echo "[core] fatal: unknown argument '$1'"; exit 2 ;;
	esac
done
if [ -z "$BOOT" ] || [ ! -f "$BOOT/fake.sh" ]; then
	echo "[core] fatal: no boot module fake.sh in '$BOOT'"
	exit 2
fi
export BOOT
exec sh "$BOOT/fake.sh"
