/*
 * Tests of the vmm's virtqueue code (app/vmm/virtq.c, linked alone): guest
 * memory checks, ring set-up, and every way a chain can be wrong.
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../test.h"
#include "virtq.h"

T_STATE_DEFINE;

#define RAM0	(64u << 10)
#define RAM1	(64u << 10)
#define HIGH	0x100000000ull
#define DESC	0x1000u
#define AVAIL	0x2000u
#define USED	0x3000u
#define QS	8u

static uint8_t ram0[RAM0] __attribute__((aligned(4096)));
static uint8_t ram1[RAM1] __attribute__((aligned(4096)));
static struct gmem mem;
static struct virtq q;
static struct vq_seg segs[VQ_MAX_CHAIN];
static char why[160];

struct desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags, next;
};

static void
setup(bool indirect)
{
	memset(ram0, 0, sizeof(ram0));
	memset(ram1, 0, sizeof(ram1));
	mem.n = 2;
	mem.r[0].gpa = 0;
	mem.r[0].size = RAM0;
	mem.r[0].hva = ram0;
	mem.r[1].gpa = HIGH;
	mem.r[1].size = RAM1;
	mem.r[1].hva = ram1;
	vq_reset(&q);
	q.size = QS;
	q.desc_gpa = DESC;
	q.avail_gpa = AVAIL;
	q.used_gpa = USED;
	if (vq_enable(&q, &mem, indirect, why, sizeof(why)) != 0)
		abort();
}

static struct desc *
desc(unsigned i)
{
	return (struct desc *)(void *)(ram0 + DESC) + i;
}

static void
set(struct desc *d, uint64_t addr, uint32_t len, uint16_t flags,
    uint16_t next)
{
	d->addr = addr;
	d->len = len;
	d->flags = flags;
	d->next = next;
}

/* Offer `head` as the next avail entry. */
static void
offer(uint16_t head)
{
	uint16_t *avail = (uint16_t *)(void *)(ram0 + AVAIL);

	avail[2 + avail[1] % QS] = head;
	avail[1]++;
}

static int
pop(uint16_t *head, unsigned *n)
{
	why[0] = '\0';
	return vq_pop(&q, &mem, head, segs, VQ_MAX_CHAIN, n, why,
	    sizeof(why));
}

static void
t_gmem(void)
{
	setup(false);
	T_CHECK(gmem_ptr(&mem, 0, RAM0) == ram0);
	T_CHECK(gmem_ptr(&mem, RAM0, 0) == ram0 + RAM0);
	T_CHECK(gmem_ptr(&mem, RAM0 - 1, 2) == NULL);
	T_CHECK(gmem_ptr(&mem, RAM0, 1) == NULL);
	T_CHECK(gmem_ptr(&mem, HIGH + 16, 32) == ram1 + 16);
	T_CHECK(gmem_ptr(&mem, HIGH - 1, 2) == NULL);
	T_CHECK(gmem_ptr(&mem, HIGH + RAM1 - 8, 16) == NULL);
	T_CHECK(gmem_ptr(&mem, UINT64_MAX - 15, 32) == NULL);
	T_CHECK(gmem_ptr(&mem, 16, UINT64_MAX) == NULL);
	T_CHECK(gmem_ptr(&mem, HIGH + 8, UINT64_MAX - 4) == NULL);
}

static void
t_enable(void)
{
	setup(false);
	q.size = 6;
	T_CHECK(vq_enable(&q, &mem, false, why, sizeof(why)) == -EINVAL);
	T_CHECK(strstr(why, "queue size 6") != NULL);
	T_CHECK(!q.ready);
	q.size = 0;
	T_CHECK(vq_enable(&q, &mem, false, why, sizeof(why)) == -EINVAL);
	q.size = 512;
	T_CHECK(vq_enable(&q, &mem, false, why, sizeof(why)) == -EINVAL);
	q.size = QS;
	q.desc_gpa = DESC + 8;
	T_CHECK(vq_enable(&q, &mem, false, why, sizeof(why)) == -EINVAL);
	T_CHECK(strstr(why, "misaligned") != NULL);
	q.desc_gpa = DESC;
	q.used_gpa = RAM0 - 16;
	T_CHECK(vq_enable(&q, &mem, false, why, sizeof(why)) == -EINVAL);
	T_CHECK(strstr(why, "device area") != NULL);
	q.used_gpa = UINT64_MAX - 3;
	T_CHECK(vq_enable(&q, &mem, false, why, sizeof(why)) == -EINVAL);
	q.used_gpa = HIGH;
	T_CHECK(vq_enable(&q, &mem, false, why, sizeof(why)) == 0);
	T_CHECK(q.ready);
}

static void
t_simple(void)
{
	uint16_t head;
	unsigned n;

	setup(false);
	T_CHECK(pop(&head, &n) == 0);
	set(desc(3), 0x8000, 16, 1, 5);
	set(desc(5), HIGH, 4096, 1 | 2, 0);
	set(desc(0), 0x9000, 1, 2, 0);
	offer(3);
	T_CHECK(pop(&head, &n) == 1);
	T_CHECK(head == 3 && n == 3);
	T_CHECK(segs[0].hva == ram0 + 0x8000 && segs[0].len == 16 &&
	    !segs[0].write);
	T_CHECK(segs[1].hva == ram1 && segs[1].len == 4096 && segs[1].write);
	T_CHECK(segs[2].hva == ram0 + 0x9000 && segs[2].write);
	T_CHECK(pop(&head, &n) == 0);
	vq_push(&q, 3, 4097);
	T_CHECK(*(uint16_t *)(void *)(ram0 + USED + 2) == 1);
	T_CHECK(*(uint32_t *)(void *)(ram0 + USED + 4) == 3);
	T_CHECK(*(uint32_t *)(void *)(ram0 + USED + 8) == 4097);
}

static void
t_index(void)
{
	uint16_t head, *avail = (uint16_t *)(void *)(ram0 + AVAIL);
	unsigned n;

	setup(false);
	avail[1] = QS + 1;
	T_CHECK(pop(&head, &n) == -EINVAL);
	T_CHECK(strstr(why, "ahead") != NULL);
	setup(false);
	offer(QS);
	T_CHECK(pop(&head, &n) == -EINVAL);
	T_CHECK(strstr(why, "beyond the descriptor table") != NULL);
	setup(false);
	set(desc(0), 0x8000, 16, 1, QS);
	offer(0);
	T_CHECK(pop(&head, &n) == -EINVAL);
	T_CHECK(strstr(why, "next index 8") != NULL);
	/* nothing was taken: the same error again */
	T_CHECK(pop(&head, &n) == -EINVAL);
}

static void
t_loop(void)
{
	uint16_t head;
	unsigned n, i;

	setup(false);
	set(desc(0), 0x8000, 16, 1, 1);
	set(desc(1), 0x8000, 16, 1, 0);
	offer(0);
	T_CHECK(pop(&head, &n) == -EINVAL);
	T_CHECK(strstr(why, "loops") != NULL);
	/* a chain through every descriptor once is fine */
	setup(false);
	for (i = 0; i < QS; i++)
		set(desc(i), 0x8000, 16, i + 1 < QS ? 1 : 0,
		    (uint16_t)(i + 1));
	offer(0);
	T_CHECK(pop(&head, &n) == 1 && n == QS);
}

static void
t_outside(void)
{
	uint16_t head;
	unsigned n;

	setup(false);
	set(desc(0), RAM0 - 8, 16, 0, 0);
	offer(0);
	T_CHECK(pop(&head, &n) == -EINVAL);
	T_CHECK(strstr(why, "outside guest RAM") != NULL);
	setup(false);
	set(desc(0), UINT64_MAX - 7, 16, 0, 0);
	offer(0);
	T_CHECK(pop(&head, &n) == -EINVAL);
	setup(false);
	set(desc(0), 0, 0xffffffffu, 2, 0);	/* an absurd length */
	offer(0);
	T_CHECK(pop(&head, &n) == -EINVAL);
	T_CHECK(strstr(why, "4294967295 bytes") != NULL);
	setup(false);
	set(desc(0), 0x80000000ull, 1, 2, 0);	/* the hole */
	offer(0);
	T_CHECK(pop(&head, &n) == -EINVAL);
}

static void
t_order(void)
{
	uint16_t head;
	unsigned n;

	setup(false);
	set(desc(0), 0x8000, 16, 2 | 1, 1);
	set(desc(1), 0x9000, 16, 0, 0);
	offer(0);
	T_CHECK(pop(&head, &n) == -EINVAL);
	T_CHECK(strstr(why, "readable buffer 1 after a writable") != NULL);
}

static void
t_max(void)
{
	uint16_t head;
	unsigned n, i;

	setup(false);
	for (i = 0; i < 4; i++)
		set(desc(i), 0x8000, 16, 1, (uint16_t)(i + 1));
	set(desc(4), 0x8000, 16, 0, 0);
	offer(0);
	T_CHECK(vq_pop(&q, &mem, &head, segs, 4, &n, why, sizeof(why)) ==
	    -EINVAL);
	T_CHECK(strstr(why, "longer than 4 buffers") != NULL);
}

static void
t_indirect(void)
{
	struct desc *t = (struct desc *)(void *)(ram0 + 0x4000);
	uint16_t head;
	unsigned n;

	setup(true);
	set(&t[0], 0x8000, 16, 1, 1);
	set(&t[1], 0x9000, 512, 1 | 2, 2);
	set(&t[2], 0xa000, 1, 2, 0);
	set(desc(2), 0x4000, 3 * 16, 4, 0);
	offer(2);
	T_CHECK(pop(&head, &n) == 1 && head == 2 && n == 3);
	T_CHECK(segs[1].hva == ram0 + 0x9000 && segs[1].len == 512);
	/* without the feature */
	setup(false);
	set(desc(2), 0x4000, 3 * 16, 4, 0);
	offer(2);
	T_CHECK(pop(&head, &n) == -EINVAL);
	T_CHECK(strstr(why, "indirect descriptor 2 not allowed") != NULL);
	/* with NEXT */
	setup(true);
	set(desc(2), 0x4000, 3 * 16, 4 | 1, 3);
	offer(2);
	T_CHECK(pop(&head, &n) == -EINVAL);
	/* nested */
	setup(true);
	set(&t[0], 0x4000, 16, 4, 0);
	set(desc(2), 0x4000, 16, 4, 0);
	offer(2);
	T_CHECK(pop(&head, &n) == -EINVAL);
	/* a table that is no multiple of 16, empty, too long, outside */
	setup(true);
	set(desc(2), 0x4000, 20, 4, 0);
	offer(2);
	T_CHECK(pop(&head, &n) == -EINVAL);
	T_CHECK(strstr(why, "indirect table of 20 bytes") != NULL);
	setup(true);
	set(desc(2), 0x4000, 0, 4, 0);
	offer(2);
	T_CHECK(pop(&head, &n) == -EINVAL);
	setup(true);
	set(desc(2), 0x4000, 16 * (VQ_MAX_CHAIN + 1), 4, 0);
	offer(2);
	T_CHECK(pop(&head, &n) == -EINVAL);
	setup(true);
	set(desc(2), RAM0 - 32, 48, 4, 0);
	offer(2);
	T_CHECK(pop(&head, &n) == -EINVAL);
	/* a loop inside the table */
	setup(true);
	set(&t[0], 0x8000, 16, 1, 1);
	set(&t[1], 0x8000, 16, 1, 0);
	set(desc(2), 0x4000, 2 * 16, 4, 0);
	offer(2);
	T_CHECK(pop(&head, &n) == -EINVAL);
	T_CHECK(strstr(why, "loops") != NULL);
	/* next beyond the table */
	setup(true);
	set(&t[0], 0x8000, 16, 1, 2);
	set(desc(2), 0x4000, 2 * 16, 4, 0);
	offer(2);
	T_CHECK(pop(&head, &n) == -EINVAL);
	T_CHECK(strstr(why, "beyond the table of 2") != NULL);
}

static void
t_sg(void)
{
	uint8_t a[8], b[8], c[8], buf[24];
	struct vq_seg s[3] = {
		{ a, 8, false }, { b, 8, false }, { c, 8, true },
	}, out[3];
	unsigned i;

	for (i = 0; i < 8; i++) {
		a[i] = (uint8_t)i;
		b[i] = (uint8_t)(8 + i);
		c[i] = (uint8_t)(16 + i);
	}
	T_CHECK(sg_copy(s, 3, 6, buf, 12, false) == 12);
	for (i = 0; i < 12; i++)
		T_CHECK(buf[i] == 6 + i);
	T_CHECK(sg_copy(s, 3, 20, buf, 12, false) == 4);
	memset(buf, 0xee, sizeof(buf));
	T_CHECK(sg_copy(s, 3, 7, buf, 2, true) == 2);
	T_CHECK(a[7] == 0xee && b[0] == 0xee && b[1] == 9);
	T_CHECK(sg_slice(s, 3, 4, 12, out, 3) == 2);
	T_CHECK(out[0].hva == a + 4 && out[0].len == 4);
	T_CHECK(out[1].hva == b && out[1].len == 8);
	T_CHECK(sg_slice(s, 3, 4, 16, out, 3) == 3);
	T_CHECK(out[2].hva == c && out[2].len == 4 && out[2].write);
	T_CHECK(sg_slice(s, 3, 4, 21, out, 3) == -1);
	T_CHECK(sg_slice(s, 3, 0, 24, out, 2) == -1);
}

int
main(void)
{
	T_RUN("virtq-001", "guest addresses are checked overflow-safe",
	    t_gmem);
	T_RUN("virtq-002", "ring layouts are checked when enabled", t_enable);
	T_RUN("virtq-003", "a chain is taken and put back", t_simple);
	T_RUN("virtq-004", "indices beyond the ring are refused", t_index);
	T_RUN("virtq-005", "a loop is caught, a full-length chain is not",
	    t_loop);
	T_RUN("virtq-006", "buffers outside guest RAM are refused", t_outside);
	T_RUN("virtq-007", "readable after writable is refused", t_order);
	T_RUN("virtq-008", "a chain longer than the caller's room is refused",
	    t_max);
	T_RUN("virtq-009", "indirect tables and their errors", t_indirect);
	T_RUN("virtq-010", "scatter-gather copy and slice", t_sg);
	return t_done();
}
