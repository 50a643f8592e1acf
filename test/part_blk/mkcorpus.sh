#!/bin/sh
# Makes the seed corpus of the part_blk fuzz target: small disk images
# partitioned by sfdisk and sgdisk, and corrupt variants of them.
# SPDX-License-Identifier: MIT
#
# Usage: test/part_blk/mkcorpus.sh [DIR]   (default: the corpus/ beside it)
# The images are committed; run this again only to refresh them. The
# fuzz-*.bin files beside them are small inputs libFuzzer found (kept from
# `fuzz_part_blk -merge=1`), not made here.
set -eu
PATH="$PATH:/usr/sbin:/sbin"
out=${1:-$(dirname "$0")/corpus}
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# patch FILE OFFSET HEXBYTES: overwrite bytes in place (POSIX printf
# knows octal escapes only).
patch() {
	oct=$(echo "$3" | sed 's/\(..\)/\1 /g' | while read -r line; do
		for h in $line; do printf '\\%03o' "0x$h"; done
	done)
	printf "$oct" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

# MBR: four primaries.
truncate -s 16K "$tmp/a"
printf 'label: dos\nstart=1, size=4, type=83\nstart=5, size=4, type=c\nstart=9, size=8, type=7\nstart=17, size=8, type=82\n' |
	sfdisk -q "$tmp/a"
cp "$tmp/a" "$out/mbr-primaries.bin"

# MBR: a primary, an extended partition with five logicals.
truncate -s 32K "$tmp/b"
printf 'label: dos\nstart=2, size=4, type=83\nstart=8, size=56, type=5\nstart=10, size=4, type=83\nstart=16, size=4, type=82\nstart=22, size=4, type=7\nstart=28, size=4, type=c\nstart=34, size=4, type=83\n' |
	sfdisk -q "$tmp/b"
cp "$tmp/b" "$out/mbr-logicals.bin"

# The same with the third EBR (LBA 21) linking back to the first (LBA 8).
cp "$tmp/b" "$out/mbr-ebr-loop.bin"
patch "$out/mbr-ebr-loop.bin" $((21 * 512 + 446 + 16 + 8)) 00000000

# The same with the first logical partition past the disk's end.
cp "$tmp/b" "$out/mbr-past-end.bin"
patch "$out/mbr-past-end.bin" $((8 * 512 + 446 + 12)) 00001000

# No MBR at all.
head -c 4096 /dev/zero > "$out/none.bin"

# GPT: three named partitions, 128 entries, on 96 blocks.
truncate -s 48K "$tmp/g"
sgdisk -a 1 -U 01234567-89ab-cdef-0123-456789abcdef \
	-n 1:34:+4 -c 1:root -n 2:0:+4 -t 2:8200 -c 2:swap \
	-n 3:0:+4 -t 3:0700 "$tmp/g" > /dev/null
cp "$tmp/g" "$out/gpt-3.bin"

# The primary header's CRC broken: the backup is used.
cp "$tmp/g" "$out/gpt-primary-crc.bin"
patch "$out/gpt-primary-crc.bin" $((512 + 16)) 00000000

# The primary entry array broken.
cp "$tmp/g" "$out/gpt-primary-array.bin"
patch "$out/gpt-primary-array.bin" $((2 * 512 + 56)) 41

# The backup header broken: primary used, warning.
cp "$tmp/g" "$out/gpt-backup-crc.bin"
patch "$out/gpt-backup-crc.bin" $((95 * 512 + 16)) 00000000

# A hybrid MBR beside the GPT.
cp "$tmp/g" "$tmp/h"
sgdisk -h 1:2 "$tmp/h" > /dev/null
cp "$tmp/h" "$out/gpt-hybrid.bin"
ls -l "$out"
