#!/bin/sh
# Makes the seed corpus of the iso9660 fuzz target: small images made by
# xorriso (Rock Ridge with Joliet, Joliet alone, plain ISO 9660) and
# damaged variants: Rock Ridge continuation loops and areas outside the
# image, directory extents outside the image, a path table outside it,
# records that overrun their sector.
# SPDX-License-Identifier: MIT
#
# Usage: test/vfs_iso/mkcorpus.sh [DIR]   (default: the corpus/ beside it)
# The files are committed; run this again only to refresh them. Each file
# is an image from sector 16 on, without its trailing zeros: the target
# puts the 32 KiB system area before it and pads it with zeros.
set -eu
out=${1:-$(dirname "$0")/corpus}
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

mkdir -p "$tmp/src/a/b/c/d/e/f/g/h/i" "$tmp/src/empty"
echo deep > "$tmp/src/a/b/c/d/e/f/g/h/i/leaf.txt"
echo hi > "$tmp/src/A name longer than sixty-four characters, as Rock Ridge allows it.txt"
ln -s ../x/./y "$tmp/src/a/link"
ln -s /abs "$tmp/src/abs"
head -c 3000 /dev/zero | tr '\0' 'y' > "$tmp/src/three.bin"
: > "$tmp/src/zero"

# save NAME: the image from sector 16 on, without trailing zeros.
save() {
	python3 -c 'import sys
d = open(sys.argv[1], "rb").read()[32768:].rstrip(b"\0")
open(sys.argv[2], "wb").write(d)' "$tmp/img" "$out/$1"
}

# damage KIND: patch the image, naming records by their ISO 9660 name.
damage() {
	python3 - "$tmp/img" "$1" <<'PY'
import struct, sys
path, kind = sys.argv[1], sys.argv[2]
d = bytearray(open(path, "rb").read())
root = struct.unpack_from("<I", d, 16 * 2048 + 158)[0]
size = struct.unpack_from("<I", d, 16 * 2048 + 166)[0]

def records():
    off = 0
    while off < size:
        p = root * 2048 + off
        n = d[p]
        if n == 0:
            off = (off // 2048 + 1) * 2048
            continue
        yield p
        off += n

def find(prefix):
    for p in records():
        nl = d[p + 32]
        if bytes(d[p + 33:p + 33 + nl]).startswith(prefix):
            return p
    raise SystemExit("no record " + str(prefix))

def su(p):
    nl = d[p + 32]
    return p + 33 + nl + (nl % 2 == 0), p + d[p]

def both(v):
    return struct.pack("<I", v) + struct.pack(">I", v)

def ce(block, off, n):
    return b"CE\x1c\x01" + both(block) + both(off) + both(n)

if kind == "ce-loop":
    d[2048:2048 + 28] = ce(1, 0, 28)      # block 1 points to itself
    a, b = su(find(b"ZERO"))
    d[a:b] = (ce(1, 0, 28) + b"ST\x04\x01").ljust(b - a, b"\0")
elif kind == "ce-outside":
    a, b = su(find(b"ZERO"))
    d[a:b] = (ce(0x7fffffff, 0, 28) + b"ST\x04\x01").ljust(b - a, b"\0")
elif kind == "dir-outside":
    p = find(b"EMPTY")
    d[p + 2:p + 10] = both(0xffffff)
elif kind == "file-outside":
    p = find(b"THREE")
    d[p + 2:p + 10] = both(0xfffff0)
elif kind == "path-table":
    d[16 * 2048 + 140:16 * 2048 + 144] = struct.pack("<I", 0xffffff)
elif kind == "overrun":
    p = find(b"THREE")
    d[p] = 250                            # past the sector's end
elif kind == "root-outside":
    d[16 * 2048 + 158:16 * 2048 + 166] = both(0xffff00)
elif kind == "size-huge":
    p = find(b"A")
    d[p + 10:p + 18] = both(0xfffffff0)
open(path, "wb").write(d)
PY
}

xorriso -as mkisofs -quiet -R -J -o "$tmp/rr.iso" "$tmp/src" 2>/dev/null
xorriso -as mkisofs -quiet --norock -J -o "$tmp/j.iso" "$tmp/src" 2>/dev/null
xorriso -as mkisofs -quiet --norock -o "$tmp/p.iso" "$tmp/src" 2>/dev/null
cp "$tmp/rr.iso" "$tmp/img"; save rr-joliet.bin
cp "$tmp/j.iso" "$tmp/img"; save joliet.bin
cp "$tmp/p.iso" "$tmp/img"; save plain.bin
for k in ce-loop ce-outside dir-outside file-outside path-table overrun \
    root-outside size-huge; do
	cp "$tmp/rr.iso" "$tmp/img"; damage "$k"; save "rr-$k.bin"
done
cp "$tmp/p.iso" "$tmp/img"; damage dir-outside; save plain-dir-outside.bin
