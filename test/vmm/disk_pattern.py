#!/usr/bin/env python3
# The disk test guest's pattern (test/guest/disk.c): write the host's
# pattern into an image, or check an image after the guest ran.
# SPDX-License-Identifier: MIT
#
#   disk_pattern.py make IMAGE OFFSET SECTORS    pattern of seed 1 in the
#                                                 first 16384 sectors
#   disk_pattern.py check IMAGE OFFSET SECTORS   the guest's writes (seed 2)
#                                                 at its places, seed 1 and
#                                                 zeros everywhere else
#   disk_pattern.py untouched IMAGE OFFSET SECTORS  seed 1 and zeros only
# OFFSET is where the disk starts in IMAGE, in bytes; SECTORS its size.
import struct
import sys

M = (1 << 64) - 1
PATTERN_SECTORS = 16384
SEED_HOST, SEED_GUEST = 1, 2


def mix(x):
    x = (x + 0x9e3779b97f4a7c15) & M
    x = ((x ^ (x >> 30)) * 0xbf58476d1ce4e5b9) & M
    x = ((x ^ (x >> 27)) * 0x94d049bb133111eb) & M
    return x ^ (x >> 31)


STEP = 0x9e3779b97f4a7c15


def sector(seed, s):
    if seed == 0:
        return bytes(512)
    v = mix((seed << 56) ^ s)
    return struct.pack('<64Q', *((v + w * STEP) & M for w in range(64)))


def plan(sectors):
    """The guest's writes as (first sector, count), as in disk.c."""
    p = [(0, 1), (100, 8), (2048, 2048), (4097, 3)]
    p += [(8192 + 16 * i, 8) for i in range(64)]
    p.append((sectors - 1, 1))
    if sectors >= PATTERN_SECTORS + 8192:
        p.append((20000, 16))
    return p


def expected(s, guest):
    if s in guest:
        return SEED_GUEST
    return SEED_HOST if s < PATTERN_SECTORS else 0


def main():
    mode, image, offset, sectors = sys.argv[1], sys.argv[2], \
        int(sys.argv[3]), int(sys.argv[4])
    if mode == 'make':
        with open(image, 'r+b') as f:
            f.seek(offset)
            for s in range(min(sectors, PATTERN_SECTORS)):
                f.write(sector(SEED_HOST, s))
        return 0
    guest = set()
    for first, count in plan(sectors) if mode == 'check' else []:
        guest.update(range(first, first + count))
    bad = []
    with open(image, 'rb') as f:
        f.seek(offset)
        for s in range(sectors):
            data = f.read(512)
            seed = expected(s, guest)
            if data != sector(seed, s):
                bad.append((s, seed))
    for s, seed in bad[:10]:
        print('sector %d does not hold pattern %d' % (s, seed))
    if bad:
        print('%d of %d sectors wrong' % (len(bad), sectors))
        return 1
    print('all %d sectors as expected (%d written by the guest)'
          % (sectors, len(guest)))
    return 0


if __name__ == '__main__':
    sys.exit(main())
