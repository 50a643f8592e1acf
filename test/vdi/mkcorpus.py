#!/usr/bin/env python3
# Makes the seed corpus of the VDI fuzz target: small hand-built images
# (512-byte blocks keep them a few KiB) and corrupt variants of them.
# SPDX-License-Identifier: MIT
#
# Usage: test/vdi/mkcorpus.py [DIR]   (default: the corpus/ beside it)
# The seeds are committed; run this again only to refresh them. The
# fuzz-*.bin files beside them are small inputs libFuzzer found (kept from
# `fuzz_vdi -merge=1`), not made here.
import os
import struct
import sys

FREE, ZERO = 0xFFFFFFFF, 0xFFFFFFFE


def image(disk, bs, entries, allocated=None, fixed=False, hsize=384,
          off_map=512, off_data=None, version=0x00010001,
          sig=0xBEDA107F, extra=0):
    """A VDI image; data block i is filled with byte 0x41 + i."""
    blocks = len(entries)
    if allocated is None:
        allocated = len([e for e in entries if e < ZERO])
    if off_data is None:
        off_data = off_map + ((4 * blocks + 511) // 512) * 512
    h = bytearray(512)
    h[0:34] = b"<<< QEMU VM Virtual Disk Image >>>\n"[:34]
    struct.pack_into("<IIIII", h, 0x40, sig, version, hsize,
                     2 if fixed else 1, 0)
    struct.pack_into("<II", h, 0x154, off_map, off_data)
    struct.pack_into("<I", h, 0x168, 512)
    struct.pack_into("<QIIII", h, 0x170, disk, bs, extra, blocks, allocated)
    out = bytearray(max(off_data + allocated * bs, off_map + 4 * blocks))
    out[0:512] = h
    for i, e in enumerate(entries):
        struct.pack_into("<I", out, off_map + 4 * i, e)
    for i in range(allocated):
        start = off_data + i * bs
        out[start:start + bs] = bytes([0x41 + i % 26]) * bs
    return bytes(out)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "corpus")
    os.makedirs(out, exist_ok=True)
    seeds = {
        # Dynamic, an odd disk size, free, zero and shuffled entries.
        "dynamic.bin": image(3900, 512, [2, FREE, 0, ZERO, FREE, 1, FREE,
                                         FREE]),
        # Fixed, blocks in reverse order, 1 KiB blocks.
        "fixed.bin": image(4096, 1024, [3, 2, 1, 0], fixed=True),
        # Nothing allocated yet; a 400-byte header, data aligned far away.
        "empty.bin": image(1 << 20, 512, [FREE] * 2048, hsize=400,
                           off_data=16384),
        # A data block no entry names (an interrupted allocation).
        "orphan.bin": image(2048, 512, [1, FREE, FREE, FREE], allocated=2),
        # Corrupt: two entries naming one data block.
        "dup.bin": image(2048, 512, [0, 0, FREE, FREE], allocated=1),
        # Corrupt: an entry past the allocated count.
        "past.bin": image(2048, 512, [0, 5, FREE, FREE], allocated=1),
        # Corrupt: block size 3, version 1.0, data over the map.
        "bs3.bin": image(2048, 3, [FREE] * 4),
        "v10.bin": image(2048, 512, [FREE] * 4, version=0x00010000),
        "overlap.bin": image(2048, 512, [FREE] * 4, off_data=520),
    }
    for name, data in seeds.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
