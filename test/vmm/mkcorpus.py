#!/usr/bin/env python3
# Makes the seed corpus of the virtqueue fuzz target (fuzz_virtq.c): rings
# with good chains, indirect tables and each kind of broken chain.
# SPDX-License-Identifier: MIT
#
# Usage: test/vmm/mkcorpus.py [DIR]   (default: the corpus/ beside it)
import os
import struct
import sys

DESC, AVAIL, USED = 0x100, 0x200, 0x300


def ram_with(descs, heads, avail_idx=None, tables=()):
    ram = bytearray(0x800)
    for i, (addr, ln, flags, nxt) in enumerate(descs):
        struct.pack_into('<QIHH', ram, DESC + 16 * i, addr, ln, flags, nxt)
    struct.pack_into('<HH', ram, AVAIL, 0,
                     len(heads) if avail_idx is None else avail_idx)
    for i, h in enumerate(heads):
        struct.pack_into('<H', ram, AVAIL + 4 + 2 * i, h)
    for at, entries in tables:
        for i, (addr, ln, flags, nxt) in enumerate(entries):
            struct.pack_into('<QIHH', ram, at + 16 * i, addr, ln, flags, nxt)
    return bytes(ram)


def case(log2size, indirect, room, ram, rings=(DESC, AVAIL, USED)):
    return struct.pack('<BBH3I', log2size, indirect, room, *rings) + ram


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else \
        os.path.join(os.path.dirname(__file__), 'corpus')
    os.makedirs(out, exist_ok=True)
    req = [(0x400, 16, 1, 1), (0x500, 512, 3, 2), (0x7ff, 1, 2, 0)]
    cases = {
        'good': case(3, 0, 256, ram_with(req, [0])),
        'two-chains': case(3, 0, 256, ram_with(req + [(0x400, 16, 1, 4),
                           (0x410, 1, 2, 0)], [0, 3])),
        'indirect': case(3, 1, 256, ram_with([(0x600, 48, 4, 0)], [0],
                         tables=[(0x600, req)])),
        'indirect-nested': case(3, 1, 256, ram_with(
            [(0x600, 16, 4, 0)], [0], tables=[(0x600, [(0x600, 16, 4,
                                                          0)])])),
        'loop': case(3, 0, 256, ram_with([(0x400, 16, 1, 1),
                     (0x400, 16, 1, 0)], [0])),
        'outside': case(3, 0, 256, ram_with([(0xfffff000, 0x2000, 2, 0)],
                        [0])),
        'wrap': case(3, 0, 256, ram_with([(0xfffffffffffff000, 0x2000, 2,
                                           0)], [0])),
        'absurd-length': case(3, 0, 256, ram_with([(0x400, 0xffffffff, 2,
                                                    0)], [0])),
        'index-ahead': case(3, 0, 256, ram_with(req, [0], avail_idx=1000)),
        'head-beyond': case(3, 0, 256, ram_with(req, [9])),
        'order': case(3, 0, 256, ram_with([(0x400, 16, 3, 1),
                      (0x500, 16, 0, 0)], [0])),
        'room': case(3, 0, 2, ram_with(req, [0])),
        'high-ram': case(3, 0, 256, ram_with([(0x100000000, 4096, 2, 0)],
                         [0])),
        'bad-size': case(9, 0, 256, ram_with(req, [0])),
        'rings-outside': case(3, 0, 256, ram_with(req, [0]),
                              rings=(0x20000, AVAIL, USED)),
    }
    for name, data in cases.items():
        with open(os.path.join(out, name + '.bin'), 'wb') as f:
            f.write(data)
    return 0


if __name__ == '__main__':
    sys.exit(main())
