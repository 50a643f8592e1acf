#!/bin/sh
# Makes the seed corpus of the fat fuzz target: small volumes made by
# mkfs.fat and filled by mtools (FAT12, FAT16, FAT32), and damaged
# variants: chains that loop or leave the volume, a directory loop, an
# entry outside the volume, broken long names, absurd boot sectors.
# SPDX-License-Identifier: MIT
#
# Usage: test/vfs_fat/mkcorpus.sh [DIR]   (default: the corpus/ beside it)
# The files are committed; run this again only to refresh them. Trailing
# zeros are cut off: the target pads its input with zeros to 4 MiB.
set -eu
PATH="$PATH:/usr/sbin:/sbin"
export MTOOLS_SKIP_CHECK=1
out=${1:-$(dirname "$0")/corpus}
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# poke FILE OFFSET VALUE BYTES: a little-endian number into FILE.
poke() {
	python3 -c 'import sys
f = open(sys.argv[1], "r+b"); f.seek(int(sys.argv[2]))
f.write(int(sys.argv[3], 0).to_bytes(int(sys.argv[4]), "little"))' "$@"
}

# save NAME: the image without its trailing zeros.
save() {
	python3 -c 'import sys
d = open(sys.argv[1], "rb").read().rstrip(b"\0")
open(sys.argv[2], "wb").write(d)' "$tmp/img" "$out/$1"
}

# fill: a tree with short, lower-case and long names and a few clusters.
fill() {
	printf 'hello\n' > "$tmp/s"
	head -c 3000 /dev/zero | tr '\0' 'x' > "$tmp/b"
	mcopy -i "$tmp/img" "$tmp/s" ::/lower.txt
	mcopy -i "$tmp/img" "$tmp/s" ::/UPPER.TXT
	mcopy -i "$tmp/img" "$tmp/s" '::/A long file name.text'
	mmd -i "$tmp/img" ::/SubDir '::/SubDir/Deeper Dir'
	mcopy -i "$tmp/img" "$tmp/b" '::/SubDir/Deeper Dir/big.bin'
	mcopy -i "$tmp/img" "$tmp/s" '::/SubDir/x.TXT'
}

# geometry: print fat_offset root_offset data_offset cluster_size.
geometry() {
	python3 -c 'import sys, struct
b = open(sys.argv[1], "rb").read(512)
bps, spc, rsv, nf, re, t16, fs16 = struct.unpack_from("<HBHBHHxH", b, 11)
fs = fs16 or struct.unpack_from("<I", b, 36)[0]
root = (rsv + nf * fs) * bps
print(rsv * bps, root, root + (re * 32 + bps - 1) // bps * bps, spc * bps)' "$tmp/img"
}

rm -f "$tmp/img"; mkfs.fat -C -F 12 -n CORPUS "$tmp/img" 200 >/dev/null
fill; save fat12-tree.bin
set -- $(geometry); fat=$1 root=$2 data=$3 cs=$4
cp "$tmp/img" "$tmp/base12"
# big.bin starts at some cluster c: find it through the FAT (the first
# chain longer than one cluster); its second cluster then points back to
# c (a loop), or c points outside the volume.
c=$(python3 -c 'import sys
d = open(sys.argv[1], "rb").read(); fat = int(sys.argv[2])
def get(c):
    o = fat + c + c // 2; v = d[o] | d[o + 1] << 8
    return v >> 4 if c & 1 else v & 0xfff
for c in range(2, 400):
    n = get(c)
    if n == c + 1:
        print(c); break' "$tmp/img" "$fat")
python3 -c 'import sys
f = open(sys.argv[1], "r+b"); fat = int(sys.argv[2]); c = int(sys.argv[3]) + 1
o = fat + c + c // 2; f.seek(o); w = bytearray(f.read(2))
v = int(sys.argv[4])
if c & 1: w[0] = (w[0] & 0x0f) | ((v & 0xf) << 4); w[1] = v >> 4
else: w[0] = v & 0xff; w[1] = (w[1] & 0xf0) | (v >> 8)
f.seek(o); f.write(w)' "$tmp/img" "$fat" "$c" "$c"
save fat12-chain-loop.bin
cp "$tmp/base12" "$tmp/img"
python3 -c 'import sys
f = open(sys.argv[1], "r+b"); fat = int(sys.argv[2]); c = int(sys.argv[3])
o = fat + c + c // 2; f.seek(o); w = bytearray(f.read(2))
v = 0xef0
if c & 1: w[0] = (w[0] & 0x0f) | ((v & 0xf) << 4); w[1] = v >> 4
else: w[0] = v & 0xff; w[1] = (w[1] & 0xf0) | (v >> 8)
f.seek(o); f.write(w)' "$tmp/img" "$fat" "$c"
save fat12-chain-outside.bin
# The first root entry's cluster far outside; a broken long-name piece.
cp "$tmp/base12" "$tmp/img"; poke "$tmp/img" $((root + 32 + 26)) 4000 2
save fat12-entry-outside.bin
cp "$tmp/base12" "$tmp/img"; poke "$tmp/img" $((root + 32 * 3 + 13)) 0x55 1
save fat12-lfn-checksum.bin
cp "$tmp/base12" "$tmp/img"; poke "$tmp/img" $((root + 32 * 2)) 0x05 1
save fat12-lfn-order.bin
# Absurd boot sectors: zero FATs, 3 sectors per cluster, huge volume.
cp "$tmp/base12" "$tmp/img"; poke "$tmp/img" 16 0 1; save bpb-no-fats.bin
cp "$tmp/base12" "$tmp/img"; poke "$tmp/img" 13 3 1; save bpb-spc3.bin
cp "$tmp/base12" "$tmp/img"; poke "$tmp/img" 19 0 2; poke "$tmp/img" 32 0x7fffffff 4
save bpb-huge.bin

rm -f "$tmp/img"; mkfs.fat -C -F 16 -s 1 "$tmp/img" 2600 >/dev/null
fill; save fat16-tree.bin
set -- $(geometry); fat=$1 root=$2 data=$3 cs=$4
# SubDir (a directory at the first data clusters): its chain loops back.
cp "$tmp/img" "$tmp/base16"
for i in $(seq 1 40); do mcopy -i "$tmp/img" "$tmp/s" "::/SubDir/file number $i.txt"; done
save fat16-bigdir.bin
sub=$(python3 -c 'import sys, struct
d = open(sys.argv[1], "rb").read(); r = int(sys.argv[2])
for i in range(512):
    e = d[r + 32 * i: r + 32 * i + 32]
    if e[:6] == b"SUBDIR": print(struct.unpack_from("<H", e, 26)[0]); break' "$tmp/img" "$root")
nxt=$(python3 -c 'import sys, struct
d = open(sys.argv[1], "rb").read()
print(struct.unpack_from("<H", d, int(sys.argv[2]) + 2 * int(sys.argv[3]))[0])' "$tmp/img" "$fat" "$sub")
poke "$tmp/img" $((fat + 2 * nxt)) "$sub" 2
save fat16-dir-loop.bin

# FAT32 as Linux and dosfstools take it (too few clusters for Microsoft's
# rule, and for mtools, so it stays empty: the target writes to it).
rm -f "$tmp/img"; mkfs.fat -C -F 32 "$tmp/img" 2048 >/dev/null 2>&1
save fat32-empty.bin
cp "$tmp/img" "$tmp/base32"
# The root cluster pointing to itself; a wrong FSInfo count.
set -- $(geometry); fat=$1
poke "$tmp/img" $((fat + 4 * 2)) 2 4; save fat32-root-loop.bin
cp "$tmp/base32" "$tmp/img"; poke "$tmp/img" $((512 + 488)) 0x7fffffff 4
save fat32-fsinfo.bin
