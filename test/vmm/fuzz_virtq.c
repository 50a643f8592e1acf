/*
 * libFuzzer target: the input is a virtqueue's parameters and the guest
 * RAM holding its rings; take every chain the device would take and check
 * what comes out.
 * SPDX-License-Identifier: MIT
 *
 * Input: byte 0 the queue size (1 << (b % 10), so sizes that are not
 * allowed come up as well), byte 1 bit 0 VIRTIO_F_INDIRECT_DESC, bytes
 * 2..3 the room for buffers per chain, bytes 4..15 the three ring
 * addresses (32-bit), then up to 64 KiB of guest RAM at 0; a second RAM
 * range of 4 KiB of zeros sits at 4 GiB. Besides "no crash and no hang"
 * (at most 64 chains are taken) it checks that every buffer lies inside
 * guest RAM, that a chain holds at least one and at most the allowed
 * number of buffers with the readable ones first, that its head is inside
 * the table, and that a refusal says why.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "virtq.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(x) do { \
	if (!(x)) { \
		fprintf(stderr, "invariant failed: %s:%d: %s\n", __FILE__, \
		    __LINE__, #x); \
		abort(); \
	} \
} while (0)

#define RAM0	(64u << 10)
#define RAM1	(4u << 10)

static uint8_t ram0[RAM0] __attribute__((aligned(4096)));
static uint8_t ram1[RAM1] __attribute__((aligned(4096)));

static uint32_t
le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

/* Whether [p, p+len) lies in one of the RAM buffers (which may be
 * adjacent in our memory, so each is tried). */
static bool
inside(const uint8_t *p, uint32_t len)
{
	uintptr_t a = (uintptr_t)p;

	return (a >= (uintptr_t)ram0 && a - (uintptr_t)ram0 <= RAM0 &&
	    len <= RAM0 - (a - (uintptr_t)ram0)) ||
	    (a >= (uintptr_t)ram1 && a - (uintptr_t)ram1 <= RAM1 &&
	    len <= RAM1 - (a - (uintptr_t)ram1));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vq_seg segs[VQ_MAX_CHAIN];
	struct gmem m;
	struct virtq q;
	char why[160];
	unsigned max, n, i, k;
	uint16_t head;
	int r;

	if (size < 16)
		return 0;
	memset(ram0, 0, sizeof(ram0));
	memset(ram1, 0, sizeof(ram1));
	memcpy(ram0, data + 16, size - 16 < RAM0 ? size - 16 : RAM0);
	m.n = 2;
	m.r[0].gpa = 0;
	m.r[0].size = RAM0;
	m.r[0].hva = ram0;
	m.r[1].gpa = 0x100000000ull;
	m.r[1].size = RAM1;
	m.r[1].hva = ram1;
	vq_reset(&q);
	q.size = (uint16_t)(1u << (data[0] % 10));
	q.desc_gpa = le32(data + 4);
	q.avail_gpa = le32(data + 8);
	q.used_gpa = le32(data + 12);
	max = (data[2] | data[3] << 8) % (VQ_MAX_CHAIN + 1);
	why[0] = '\0';
	if (vq_enable(&q, &m, data[1] & 1, why, sizeof(why)) < 0) {
		CHECK(!q.ready && why[0] != '\0');
		return 0;
	}
	CHECK(q.ready && q.size <= VQ_MAX_SIZE);
	for (i = 0; i < 64; i++) {
		why[0] = '\0';
		n = 0;
		r = vq_pop(&q, &m, &head, segs, max, &n, why, sizeof(why));
		if (r <= 0) {
			CHECK(r == 0 || why[0] != '\0');
			break;
		}
		CHECK(r == 1 && head < q.size && n >= 1 && n <= max);
		for (k = 0; k < n; k++) {
			CHECK(inside(segs[k].hva, segs[k].len));
			CHECK(k == 0 || !segs[k - 1].write || segs[k].write);
		}
		vq_push(&q, head, segs[n - 1].len);
	}
	return 0;
}
