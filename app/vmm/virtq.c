/*
 * vmm: split virtqueues and the checks on every chain the guest offers.
 * SPDX-License-Identifier: MIT
 *
 * Layout (virtio 1.x, 2.7): the descriptor table of `size` 16-byte entries
 * (addr, len, flags, next), the driver area (flags, idx, ring[size]) and
 * the device area (flags, idx, ring[size] of {id, len}). The indices are
 * free-running 16-bit counters. A chain is walked through local copies of
 * its descriptors; a chain visits at most as many descriptors as its table
 * holds, which is what catches a loop.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "virtq.h"

struct desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

void *
gmem_ptr(const struct gmem *m, uint64_t gpa, uint64_t len)
{
	unsigned i;

	for (i = 0; i < m->n; i++) {
		uint64_t off;

		if (gpa < m->r[i].gpa)
			continue;
		off = gpa - m->r[i].gpa;
		if (off <= m->r[i].size && len <= m->r[i].size - off)
			return m->r[i].hva + off;
	}
	return NULL;
}

static uint16_t
load16(const uint8_t *p)
{
	return __atomic_load_n((const uint16_t *)(const void *)p,
	    __ATOMIC_ACQUIRE);
}

int
vq_enable(struct virtq *q, const struct gmem *m, bool indirect, char *why,
    size_t cap)
{
	uint64_t n = q->size;

	q->ready = false;
	if (n == 0 || n > VQ_MAX_SIZE || (n & (n - 1)) != 0) {
		snprintf(why, cap, "queue size %u is not a power of two up to "
		    "%u", q->size, VQ_MAX_SIZE);
		return -EINVAL;
	}
	if ((q->desc_gpa & 15) || (q->avail_gpa & 1) || (q->used_gpa & 3)) {
		snprintf(why, cap, "misaligned rings (descriptors 0x%llx, "
		    "driver area 0x%llx, device area 0x%llx)",
		    (unsigned long long)q->desc_gpa,
		    (unsigned long long)q->avail_gpa,
		    (unsigned long long)q->used_gpa);
		return -EINVAL;
	}
	q->desc = gmem_ptr(m, q->desc_gpa, 16 * n);
	q->avail = gmem_ptr(m, q->avail_gpa, 6 + 2 * n);
	q->used = gmem_ptr(m, q->used_gpa, 6 + 8 * n);
	if (q->desc == NULL || q->avail == NULL || q->used == NULL) {
		snprintf(why, cap, "%s 0x%llx of queue size %u lies outside "
		    "guest RAM", q->desc == NULL ? "descriptor table" :
		    q->avail == NULL ? "driver area" : "device area",
		    (unsigned long long)(q->desc == NULL ? q->desc_gpa :
		    q->avail == NULL ? q->avail_gpa : q->used_gpa), q->size);
		return -EINVAL;
	}
	q->indirect = indirect;
	q->last_avail = 0;
	q->used_idx = 0;
	q->ready = true;
	return 0;
}

void
vq_reset(struct virtq *q)
{
	memset(q, 0, sizeof(*q));
}

/* Say what the driver did wrong and refuse the chain. */
#define BAD(...)	(snprintf(why, cap, __VA_ARGS__), -EINVAL)

int
vq_pop(struct virtq *q, const struct gmem *m, uint16_t *head,
    struct vq_seg *segs, unsigned max, unsigned *nsegs, char *why,
    size_t cap)
{
	const uint8_t *table = q->desc;
	unsigned tsize = q->size, count = 0, n = 0;
	uint16_t avail_idx, idx;
	bool in_indirect = false, seen_write = false;
	struct desc d;
	void *p;

	if (!q->ready)
		return 0;
	avail_idx = load16(q->avail + 2);
	if (avail_idx == q->last_avail)
		return 0;
	if ((uint16_t)(avail_idx - q->last_avail) > q->size)
		return BAD("driver area index %u is more than the queue size "
		    "%u ahead of %u", avail_idx, q->size, q->last_avail);
	idx = load16(q->avail + 4 + 2 * (q->last_avail & (q->size - 1)));
	if (idx >= q->size)
		return BAD("chain head %u is beyond the descriptor table of "
		    "%u", idx, q->size);
	*head = idx;
	for (;;) {
		if (++count > tsize)
			return BAD("chain at head %u loops: more than %u "
			    "descriptors", *head, tsize);
		memcpy(&d, table + 16 * (size_t)idx, sizeof(d));
		if (d.flags & VQ_DESC_F_INDIRECT) {
			if (!q->indirect || in_indirect ||
			    (d.flags & VQ_DESC_F_NEXT))
				return BAD("chain at head %u: indirect "
				    "descriptor %u not allowed here (flags "
				    "0x%x)", *head, idx, d.flags);
			if (d.len == 0 || d.len % 16 != 0 ||
			    d.len / 16 > VQ_MAX_CHAIN)
				return BAD("chain at head %u: indirect table "
				    "of %u bytes (not a multiple of 16 up to "
				    "%u)", *head, d.len, 16 * VQ_MAX_CHAIN);
			table = gmem_ptr(m, d.addr, d.len);
			if (table == NULL)
				return BAD("chain at head %u: indirect table "
				    "of %u bytes at 0x%llx outside guest RAM",
				    *head, d.len, (unsigned long long)d.addr);
			tsize = d.len / 16;
			in_indirect = true;
			idx = 0;
			count = 0;
			continue;
		}
		p = gmem_ptr(m, d.addr, d.len);
		if (p == NULL)
			return BAD("chain at head %u: buffer of %u bytes at "
			    "0x%llx outside guest RAM", *head, d.len,
			    (unsigned long long)d.addr);
		if (!(d.flags & VQ_DESC_F_WRITE) && seen_write)
			return BAD("chain at head %u: readable buffer %u "
			    "after a writable one", *head, idx);
		if (n == max)
			return BAD("chain at head %u is longer than %u "
			    "buffers", *head, max);
		seen_write = seen_write || (d.flags & VQ_DESC_F_WRITE);
		segs[n].hva = p;
		segs[n].len = d.len;
		segs[n].write = (d.flags & VQ_DESC_F_WRITE) != 0;
		n++;
		if (!(d.flags & VQ_DESC_F_NEXT))
			break;
		if (d.next >= tsize)
			return BAD("chain at head %u: next index %u beyond "
			    "the table of %u", *head, d.next, tsize);
		idx = d.next;
	}
	q->last_avail++;
	*nsegs = n;
	return 1;
}

void
vq_push(struct virtq *q, uint16_t head, uint32_t len)
{
	uint8_t *e = q->used + 4 + 8 * (size_t)(q->used_idx & (q->size - 1));
	uint32_t id = head;

	memcpy(e, &id, 4);
	memcpy(e + 4, &len, 4);
	q->used_idx++;
	/* The entry before the index: the driver reads them in that order. */
	__atomic_store_n((uint16_t *)(void *)(q->used + 2), q->used_idx,
	    __ATOMIC_RELEASE);
}

bool
vq_no_interrupt(const struct virtq *q)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return (load16(q->avail) & VQ_AVAIL_F_NO_INTERRUPT) != 0;
}

size_t
sg_copy(const struct vq_seg *s, unsigned n, uint64_t skip, void *buf,
    size_t len, bool to_sg)
{
	uint8_t *b = buf;
	size_t done = 0, k;
	unsigned i;

	for (i = 0; i < n && done < len; i++) {
		if (skip >= s[i].len) {
			skip -= s[i].len;
			continue;
		}
		k = s[i].len - (size_t)skip;
		if (k > len - done)
			k = len - done;
		if (to_sg)
			memcpy(s[i].hva + skip, b + done, k);
		else
			memcpy(b + done, s[i].hva + skip, k);
		done += k;
		skip = 0;
	}
	return done;
}

int
sg_slice(const struct vq_seg *s, unsigned n, uint64_t skip, uint64_t len,
    struct vq_seg *out, unsigned max)
{
	unsigned i, k = 0;
	uint64_t take;

	for (i = 0; i < n && len > 0; i++) {
		if (skip >= s[i].len) {
			skip -= s[i].len;
			continue;
		}
		if (k == max)
			return -1;
		take = s[i].len - skip;
		if (take > len)
			take = len;
		out[k].hva = s[i].hva + skip;
		out[k].len = (uint32_t)take;
		out[k].write = s[i].write;
		k++;
		len -= take;
		skip = 0;
	}
	return len == 0 ? (int)k : -1;
}
