/*
 * block_tester's data pattern (see pattern.h).
 * SPDX-License-Identifier: MIT
 *
 * The stream is xorshift64* seeded by splitmix64 of (seed, block), the
 * checksum a word-wise FNV-style hash: both cost about a nanosecond per
 * word, so writing patterns does not limit throughput tests much.
 */
#include <stdbool.h>
#include <string.h>

#include "pattern.h"

static uint64_t
splitmix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static uint64_t
next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dull;
}

static uint64_t
mix(uint64_t h, uint64_t w)
{
	return (h ^ w) * 0x100000001b3ull;
}

/* Little-endian word access without alignment assumptions. */
static void
put(uint8_t *p, uint64_t v)
{
	unsigned i;

	for (i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t
get(const uint8_t *p)
{
	uint64_t v = 0;
	unsigned i;

	for (i = 0; i < 8; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static uint64_t
stream_seed(uint64_t lba, uint64_t seed)
{
	uint64_t s = splitmix(seed ^ splitmix(lba));

	return s != 0 ? s : 1;
}

void
pattern_fill(void *buf, uint32_t block_size, uint64_t lba, uint64_t seed)
{
	uint8_t *p = buf;
	uint64_t s = stream_seed(lba, seed), h = 0xcbf29ce484222325ull, w;
	uint32_t i, words = block_size / 8;

	put(p, lba);
	put(p + 8, seed);
	h = mix(mix(h, lba), seed);
	for (i = 2; i + 1 < words; i++) {
		w = next(&s);
		put(p + 8 * i, w);
		h = mix(h, w);
	}
	put(p + 8 * (words - 1), h);
}

int
pattern_check(const void *buf, uint32_t block_size, uint64_t lba,
    uint64_t seed)
{
	const uint8_t *p = buf;
	uint64_t h = 0xcbf29ce484222325ull, s, w;
	uint32_t i, words = block_size / 8;
	bool same = true;

	for (i = 0; i + 1 < words; i++)
		h = mix(h, get(p + 8 * i));
	if (h != get(p + 8 * (words - 1)))
		return PATTERN_CORRUPT;
	if (get(p) != lba || get(p + 8) != seed)
		return PATTERN_MISPLACED;
	s = stream_seed(lba, seed);
	for (i = 2; i + 1 < words && same; i++) {
		w = next(&s);
		same = get(p + 8 * i) == w;
	}
	return same ? PATTERN_OK : PATTERN_DIFFERENT;
}

const char *
pattern_result_str(int r)
{
	switch (r) {
	case PATTERN_OK:
		return "ok";
	case PATTERN_CORRUPT:
		return "corrupt (checksum mismatch)";
	case PATTERN_MISPLACED:
		return "another block's or seed's data";
	default:
		return "unexpected content";
	}
}
