/*
 * disk: drives a virtio-blk disk the way a small driver does. It finds the
 * device by scanning PCI configuration space, moves its BAR, walks the
 * virtio capabilities, negotiates features (and checks that a driver
 * without VIRTIO_F_VERSION_1 is refused), sets up one queue with a
 * level-triggered interrupt through the IOAPIC, reads the whole disk and
 * checks the host's pattern, writes a new pattern at several places
 * (multi-buffer, large, not 4K-aligned, many requests in flight, indirect
 * tables, the last sector), checks the refusals of bad requests, flushes,
 * reads everything back; on a second disk, which must be read-only, it
 * reads and has a write refused. It exits with 0 when every check passed.
 * SPDX-License-Identifier: MIT
 *
 * The pattern (test/vmm/disk_pattern.py makes and checks the same): the
 * 64-bit word w of sector s holds mix(seed << 56 ^ s) + w * STEP; the
 * host writes seed 1 to the first PATTERN_SECTORS sectors (zeros beyond),
 * the guest writes seed 2 at the places of writes() below. The first read
 * of the whole disk checks the first and last word of every sector; what
 * the guest wrote it checks word by word.
 */
#include "guest.h"

#define VENDOR_DEVICE	0x10421af4u	/* virtio 1.x block device */
#define NEW_BAR		0xd0000000u
#define QSIZE		256u
#define VEC_TIMER	32
#define VEC_DISK	48
#define PATTERN_SECTORS	16384ull
#define SEED_HOST	1
#define SEED_GUEST	2
#define STEP		0x9e3779b97f4a7c15ull

#define S_ACK		1
#define S_DRIVER	2
#define S_DRIVER_OK	4
#define S_FEATURES_OK	8
#define S_NEEDS_RESET	64
#define F_SEG_MAX	2
#define F_RO		5
#define F_BLK_SIZE	6
#define F_FLUSH		9
#define F_INDIRECT	28
#define F_VERSION_1	32
#define D_NEXT		1
#define D_WRITE		2
#define D_INDIRECT	4
#define T_IN		0
#define T_OUT		1
#define T_FLUSH		4
#define T_GET_ID	8
#define ST_OK		0
#define ST_IOERR	1
#define ST_UNSUPP	2
#define MAX_BUFS	8
#define MAX_REQS	64

struct desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct rq {
	uint32_t type;
	uint32_t reserved;
	uint64_t sector;
	/* not part of the header: */
	uint8_t *buf[MAX_BUFS];
	uint32_t len[MAX_BUFS];
	unsigned n;
	bool indirect;
	uint8_t expect;
	volatile uint8_t status;
	uint32_t used_len;
};

static struct desc ring_desc[QSIZE] __attribute__((aligned(4096)));
static volatile uint16_t ring_avail[3 + QSIZE] __attribute__((aligned(4096)));
static volatile struct {
	uint16_t flags, idx;
	struct { uint32_t id, len; } e[QSIZE];
} ring_used __attribute__((aligned(4096)));
static struct desc itable[MAX_REQS][MAX_BUFS + 2] __attribute__((aligned(16)));
static struct rq rqs[MAX_REQS];
static struct rq *by_head[QSIZE];
/* Data buffers beyond the image's first 2 MiB, which is all that is
 * mapped before guest_paging(), so that .bss stays small. */
#define big	((uint8_t *)0x400000)
#define big2	((uint8_t *)0x500000)

static uintptr_t common, notify, isr, devcfg;
static uint16_t avail_idx, used_seen;
static volatile unsigned disk_irqs;
static unsigned checks, failed;

static void
check(bool ok, const char *what, uint64_t a)
{
	checks++;
	if (!ok) {
		failed++;
		print("disk: FAIL %s (%lu)\n", what, (unsigned long)a);
	}
}

void
irq_handler(unsigned vector)
{
	if (vector == VEC_DISK) {
		(void)*(volatile uint8_t *)isr;	/* acknowledges */
		disk_irqs++;
	}
	lapic_write(LAPIC_EOI, 0);
}

/* --- PCI configuration mechanism #1, bus 0 --- */

static uint32_t
cfg_read(unsigned dev, unsigned reg)
{
	outl(0xcf8, 0x80000000u | dev << 11 | (reg & 0xfc));
	return inl(0xcfc);
}

static void
cfg_write(unsigned dev, unsigned reg, uint32_t v)
{
	outl(0xcf8, 0x80000000u | dev << 11 | (reg & 0xfc));
	outl(0xcfc, v);
}

/* --- registers --- */

static inline uint8_t
rd8(uintptr_t a)
{
	return *(volatile uint8_t *)a;
}

static inline uint16_t
rd16(uintptr_t a)
{
	return *(volatile uint16_t *)a;
}

static inline void
wr8(uintptr_t a, uint8_t v)
{
	*(volatile uint8_t *)a = v;
}

static inline void
wr16(uintptr_t a, uint16_t v)
{
	*(volatile uint16_t *)a = v;
}

static inline void
wr32(uintptr_t a, uint32_t v)
{
	*(volatile uint32_t *)a = v;
}

static inline uint32_t
rd32(uintptr_t a)
{
	return *(volatile uint32_t *)a;
}

/* --- the pattern --- */

static uint64_t
mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* Word w of sector s: one mix per sector, then a cheap step per word
 * (guest code may run emulated, at microseconds per instruction). */
static uint64_t
word0(uint64_t sector, uint64_t seed)
{
	return seed ? mix(seed << 56 ^ sector) : 0;
}

static void
fill(void *buf, uint64_t sector, unsigned count, uint64_t seed)
{
	uint64_t *w = buf, v;
	unsigned s, i;

	for (s = 0; s < count; s++)
		for (i = 0, v = word0(sector + s, seed); i < 64; i++,
		    v += seed ? STEP : 0)
			*w++ = v;
}

/*
 * Sectors of buf that do not hold `seed`'s pattern (seed 0: zeros):
 * every word when `full`, else the first and the last of each sector,
 * which is what tells one sector from another.
 */
static unsigned
verify(const void *buf, uint64_t sector, unsigned count, uint64_t seed,
    bool full)
{
	const uint64_t *w = buf;
	uint64_t v, step = seed ? STEP : 0;
	unsigned s, i, bad = 0;

	for (s = 0; s < count; s++, w += 64) {
		bool ok;

		v = word0(sector + s, seed);
		ok = w[0] == v && w[63] == v + 63 * step;
		for (i = 1; full && ok && i < 63; i++)
			ok = w[i] == v + i * step;
		bad += !ok;
	}
	return bad;
}

/* --- the queue --- */

static unsigned next_desc;

static uint16_t
add_desc(struct desc *t, unsigned i, const void *addr, uint32_t len,
    uint16_t flags)
{
	t[i].addr = (uint64_t)(uintptr_t)addr;
	t[i].len = len;
	t[i].flags = flags;
	t[i].next = (uint16_t)(i + 1);
	return (uint16_t)i;
}

/* Chain request r (header, buffers, status) directly or indirectly. */
static void
post(struct rq *r, unsigned slot)
{
	bool in = r->type == T_IN || r->type == T_GET_ID;
	struct desc *t = r->indirect ? itable[slot] : ring_desc;
	unsigned base = r->indirect ? 0 : next_desc, i, k = base;
	uint16_t head;

	add_desc(t, k++, r, 16, D_NEXT);
	for (i = 0; i < r->n; i++)
		add_desc(t, k++, r->buf[i], r->len[i],
		    (uint16_t)(D_NEXT | (in ? D_WRITE : 0)));
	add_desc(t, k++, (const void *)&r->status, 1, D_WRITE);
	if (r->indirect) {
		head = (uint16_t)next_desc;
		add_desc(ring_desc, next_desc++, t, k * 16, D_INDIRECT);
	} else {
		head = (uint16_t)base;
		next_desc = k;
	}
	r->status = 0xff;
	by_head[head] = r;
	ring_avail[2 + (avail_idx % QSIZE)] = head;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	avail_idx++;
	ring_avail[1] = avail_idx;
}

/* Post n requests, notify once, wait for all of them. */
static void
run(struct rq *r, unsigned n)
{
	unsigned i, target;

	next_desc = 0;
	for (i = 0; i < n; i++)
		post(&r[i], i);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	wr16(notify, 0);
	target = (uint16_t)(used_seen + n);
	__asm__ volatile("cli");
	while (ring_used.idx != (uint16_t)target)
		__asm__ volatile("sti; hlt; cli");
	__asm__ volatile("sti");
	for (; used_seen != (uint16_t)target; used_seen++) {
		unsigned id = ring_used.e[used_seen % QSIZE].id;

		if (id < QSIZE && by_head[id] != NULL) {
			by_head[id]->used_len =
			    ring_used.e[used_seen % QSIZE].len;
			by_head[id] = NULL;
		} else {
			check(false, "used entry names a head not in flight",
			    id);
		}
	}
	for (i = 0; i < n; i++)
		check(r[i].status == r[i].expect, "request status",
		    (uint64_t)r[i].type << 32 | r[i].status);
}

static void
one(uint32_t type, uint64_t sector, void *buf, uint32_t len, uint8_t expect)
{
	struct rq *r = &rqs[0];

	memset(r, 0, sizeof(*r));
	r->type = type;
	r->sector = sector;
	r->buf[0] = buf;
	r->len[0] = len;
	r->n = buf != NULL;
	r->expect = expect;
	run(r, 1);
}

/* --- set-up --- */

/* The first virtio-blk device after `after` (0 when there is none). */
static unsigned
find(unsigned after)
{
	unsigned dev;

	for (dev = after + 1; dev < 32; dev++)
		if (cfg_read(dev, 0) == VENDOR_DEVICE)
			return dev;
	return 0;
}

static bool
caps(unsigned dev, uintptr_t bar)
{
	unsigned p = cfg_read(dev, 0x34) & 0xff, n = 0;

	common = notify = isr = devcfg = 0;
	while (p != 0 && n++ < 48) {
		uint32_t h = cfg_read(dev, p);
		uintptr_t at = bar + cfg_read(dev, p + 8);

		if ((h & 0xff) == 0x09 && (cfg_read(dev, p + 4) & 0xff) == 0) {
			switch ((h >> 24) & 0xff) {
			case 1: common = at; break;
			case 2: notify = at; break;
			case 3: isr = at; break;
			case 4: devcfg = at; break;
			}
		}
		p = (h >> 8) & 0xfc;
	}
	return common && notify && isr && devcfg;
}

static void
ioapic_level(unsigned pin, unsigned vector)
{
	mmio_write32(IOAPIC_BASE, 0x10 + 2 * pin + 1);
	mmio_write32(IOAPIC_BASE + 0x10, lapic_id() << 24);
	mmio_write32(IOAPIC_BASE, 0x10 + 2 * pin);
	mmio_write32(IOAPIC_BASE + 0x10, vector | 1u << 15);	/* level */
}

static uint64_t
features(void)
{
	uint64_t f;

	wr32(common + 0x00, 0);
	f = rd32(common + 0x04);
	wr32(common + 0x00, 1);
	return f | (uint64_t)rd32(common + 0x04) << 32;
}

static void
set_features(uint64_t f)
{
	wr32(common + 0x08, 0);
	wr32(common + 0x0c, (uint32_t)f);
	wr32(common + 0x08, 1);
	wr32(common + 0x0c, (uint32_t)(f >> 32));
}

/*
 * Set device `dev` up with its BAR at `bar` and the (emptied) rings: sizes
 * the BAR, finds the capabilities, checks that legacy features are
 * refused, negotiates and enables the queue. *f gets the features taken.
 */
static int
setup(unsigned dev, uint32_t bar, unsigned *irq, uint64_t *sectors,
    uint32_t *bs, uint64_t *taken)
{
	uint64_t f, want;
	uint32_t size;

	memset(ring_desc, 0, sizeof(ring_desc));
	memset((void *)ring_avail, 0, sizeof(ring_avail));
	memset((void *)&ring_used, 0, sizeof(ring_used));
	avail_idx = used_seen = 0;
	/* Size BAR 0 and move it, as firmware would. */
	cfg_write(dev, 0x04, 0);
	cfg_write(dev, 0x10, 0xffffffffu);
	size = ~(cfg_read(dev, 0x10) & ~0xfu) + 1;
	cfg_write(dev, 0x10, bar);
	cfg_write(dev, 0x04, 0x0006);	/* memory, bus master */
	*irq = cfg_read(dev, 0x3c) & 0xff;
	print("disk: virtio-blk at 00:%02x.0, BAR 0 of %u KiB moved to 0x%x, "
	    "IRQ %u\n", dev, size >> 10, cfg_read(dev, 0x10), *irq);
	if (!caps(dev, bar)) {
		print("disk: virtio capabilities missing\n");
		return -1;
	}
	wr8(common + 0x14, 0);
	check(rd8(common + 0x14) == 0, "status after reset", 0);
	wr8(common + 0x14, S_ACK | S_DRIVER);
	f = features();
	check(f >> F_VERSION_1 & 1, "VIRTIO_F_VERSION_1 offered", f);
	/* A legacy driver's features are refused. */
	set_features(f & ~(1ull << F_VERSION_1) & 0xffffffffull);
	wr8(common + 0x14, S_ACK | S_DRIVER | S_FEATURES_OK);
	check(!(rd8(common + 0x14) & S_FEATURES_OK), "legacy features "
	    "refused", rd8(common + 0x14));
	wr8(common + 0x14, 0);
	wr8(common + 0x14, S_ACK | S_DRIVER);
	want = f & (1ull << F_VERSION_1 | 1ull << F_FLUSH | 1ull << F_BLK_SIZE |
	    1ull << F_INDIRECT | 1ull << F_SEG_MAX | 1ull << F_RO);
	*taken = want;
	set_features(want);
	wr8(common + 0x14, S_ACK | S_DRIVER | S_FEATURES_OK);
	if (!(rd8(common + 0x14) & S_FEATURES_OK)) {
		print("disk: features 0x%lx refused\n", (unsigned long)want);
		return -1;
	}
	wr16(common + 0x16, 0);
	check(rd16(common + 0x18) >= QSIZE, "queue size", rd16(common + 0x18));
	wr16(common + 0x18, QSIZE);
	wr32(common + 0x20, (uint32_t)(uintptr_t)ring_desc);
	wr32(common + 0x24, 0);
	wr32(common + 0x28, (uint32_t)(uintptr_t)ring_avail);
	wr32(common + 0x2c, 0);
	wr32(common + 0x30, (uint32_t)(uintptr_t)&ring_used);
	wr32(common + 0x34, 0);
	wr16(common + 0x1c, 1);
	wr8(common + 0x14, S_ACK | S_DRIVER | S_FEATURES_OK | S_DRIVER_OK);
	*sectors = rd32(devcfg) | (uint64_t)rd32(devcfg + 4) << 32;
	*bs = f >> F_BLK_SIZE & 1 ? rd32(devcfg + 20) : 512;
	print("disk: features 0x%lx, %lu sectors, block size %u, status 0x%x\n",
	    (unsigned long)want, (unsigned long)*sectors, *bs,
	    rd8(common + 0x14));
	return rd8(common + 0x14) & S_NEEDS_RESET ? -1 : 0;
}

/* --- the tests --- */

/* Read [sector, +count) in batches of 16 requests of 64 KiB (two buffers
 * each) and check it against the pattern of `seed` (zeros past the host's
 * pattern when seed is the host's), every word or the sectors' ends. */
static void
read_check(uint64_t sector, uint64_t count, uint64_t seed, bool full,
    const char *what)
{
	unsigned bad = 0, i, n;
	uint64_t s, k;

	while (count > 0) {
		for (n = 0; n < 16 && count > 0; n++) {
			struct rq *r = &rqs[n];

			k = count < 128 ? count : 128;
			memset(r, 0, sizeof(*r));
			r->type = T_IN;
			r->sector = sector;
			r->buf[0] = big + n * 65536;
			r->len[0] = (uint32_t)(k * 512 / 2 & ~511u);
			r->buf[1] = r->buf[0] + r->len[0];
			r->len[1] = (uint32_t)(k * 512 - r->len[0]);
			r->n = r->len[0] ? 2 : 1;
			if (r->len[0] == 0) {
				r->buf[0] = r->buf[1];
				r->len[0] = r->len[1];
			}
			r->indirect = n & 1;
			sector += k;
			count -= k;
		}
		run(rqs, n);
		for (i = 0; i < n; i++) {
			k = (rqs[i].len[0] + (rqs[i].n > 1 ? rqs[i].len[1] :
			    0)) / 512;
			for (s = 0; s < k; s++) {
				uint64_t at = rqs[i].sector + s;

				bad += verify(big + i * 65536 + s * 512, at, 1,
				    seed != SEED_HOST || at < PATTERN_SECTORS ?
				    seed : 0, full);
			}
		}
	}
	check(bad == 0, what, bad);
}

static void
read_one(uint64_t sector, unsigned count, uint64_t seed, const char *what)
{
	one(T_IN, sector, big2, count * 512, ST_OK);
	check(verify(big2, sector, count, seed, true) == 0, what, sector);
}

/* The places the guest writes (disk_pattern.py knows them too). */
static void
writes(uint64_t sectors)
{
	uint8_t *u = big2 + 512;	/* not 4K-aligned */
	struct rq *r;
	unsigned i;

	fill(big2, 0, 1, SEED_GUEST);
	one(T_OUT, 0, big2, 512, ST_OK);
	/* 8 sectors in four buffers of 1 KiB, not 4K-aligned */
	fill(u, 100, 8, SEED_GUEST);
	r = &rqs[0];
	memset(r, 0, sizeof(*r));
	r->type = T_OUT;
	r->sector = 100;
	for (i = 0; i < 4; i++) {
		r->buf[i] = u + i * 1024;
		r->len[i] = 1024;
	}
	r->n = 4;
	r->expect = ST_OK;
	run(r, 1);
	/* 1 MiB in one buffer */
	fill(big, 2048, 2048, SEED_GUEST);
	one(T_OUT, 2048, big, 1u << 20, ST_OK);
	/* 3 sectors at an odd place from an odd buffer */
	fill(big2 + 1536, 4097, 3, SEED_GUEST);
	one(T_OUT, 4097, big2 + 1536, 3 * 512, ST_OK);
	/* 64 requests of 4 KiB in flight at once, half of them indirect */
	for (i = 0; i < MAX_REQS; i++) {
		r = &rqs[i];
		memset(r, 0, sizeof(*r));
		r->type = T_OUT;
		r->sector = 8192 + 16 * i;
		r->buf[0] = big + i * 4096;
		r->len[0] = 4096;
		r->n = 1;
		r->indirect = i & 1;
		fill(r->buf[0], r->sector, 8, SEED_GUEST);
	}
	run(rqs, MAX_REQS);
	/* the last sector, and a block in the zero area when there is one */
	fill(big2, sectors - 1, 1, SEED_GUEST);
	one(T_OUT, sectors - 1, big2, 512, ST_OK);
	if (sectors >= PATTERN_SECTORS + 8192) {
		fill(big2, 20000, 16, SEED_GUEST);
		one(T_OUT, 20000, big2, 16 * 512, ST_OK);
	}
}

static void
refusals(uint64_t sectors)
{
	char id[21];

	one(T_IN, sectors, big2, 512, ST_IOERR);
	one(T_OUT, sectors - 1, big2, 1024, ST_IOERR);
	one(T_IN, 0, big2, 100, ST_IOERR);
	one(99, 0, big2, 512, ST_UNSUPP);
	memset(id, 0, sizeof(id));
	one(T_GET_ID, 0, id, 20, ST_OK);
	print("disk: GET_ID says '%s'\n", id);
}

static void
read_back(uint64_t sectors)
{
	unsigned i, bad = 0;

	read_one(0, 1, SEED_GUEST, "sector 0 written");
	read_one(1, 1, SEED_HOST, "sector 1 untouched");
	read_one(99, 1, SEED_HOST, "sector 99 untouched");
	read_one(100, 8, SEED_GUEST, "sectors 100..107 written");
	read_one(108, 1, SEED_HOST, "sector 108 untouched");
	read_check(2048, 2048, SEED_GUEST, true, "1 MiB at sector 2048 "
	    "written");
	read_one(4096, 1, SEED_HOST, "sector 4096 untouched");
	read_one(4097, 3, SEED_GUEST, "sectors 4097..4099 written");
	read_one(4100, 1, SEED_HOST, "sector 4100 untouched");
	for (i = 0; i < MAX_REQS; i++) {
		one(T_IN, 8192 + 16 * i, big2, 8192, ST_OK);
		bad += verify(big2, 8192 + 16 * i, 8, SEED_GUEST, true);
		bad += verify(big2 + 4096, 8192 + 16 * i + 8, 8, SEED_HOST,
		    true);
	}
	check(bad == 0, "64 places at sector 8192.. written, gaps untouched",
	    bad);
	read_one(sectors - 1, 1, SEED_GUEST, "last sector written");
	if (sectors >= PATTERN_SECTORS + 8192) {
		read_one(20000, 16, SEED_GUEST, "sectors 20000.. written");
		read_one(20016, 1, 0, "sector 20016 still zero");
	}
}

/* A second disk, read-only: reads work, a write fails. */
static void
read_only(unsigned dev)
{
	uint64_t sectors, f;
	unsigned irq;
	uint32_t bs;

	wr8(common + 0x14, 0);		/* the first disk is done */
	if (setup(dev, NEW_BAR + 0x10000, &irq, &sectors, &bs, &f) < 0) {
		check(false, "second disk set up", dev);
		return;
	}
	ioapic_level(irq, VEC_DISK);
	check(f >> F_RO & 1, "VIRTIO_BLK_F_RO offered", f);
	read_one(0, 8, SEED_HOST, "read-only disk holds the host's pattern");
	fill(big2, 0, 1, SEED_GUEST);
	one(T_OUT, 0, big2, 512, ST_IOERR);
	print("disk: read-only disk of %lu sectors read, write refused\n",
	    (unsigned long)sectors);
}

int
main(void)
{
	unsigned irq, dev = find(0), dev2;
	uint64_t sectors, f;
	uint32_t bs;

	guest_paging();
	idt_init();
	idt_set(VEC_TIMER, isr_32);
	idt_set(VEC_DISK, isr_48);
	outb(0x21, 0xff);		/* PICs masked: the IOAPIC it is */
	outb(0xa1, 0xff);
	lapic_write(LAPIC_SVR, 0x1ff);
	if (dev == 0) {
		print("disk: no virtio-blk device on bus 0\n");
		return 1;
	}
	if (setup(dev, NEW_BAR, &irq, &sectors, &bs, &f) < 0)
		return 1;
	if (sectors < PATTERN_SECTORS || bs != 512 || (f >> F_RO & 1)) {
		print("disk: need a writeable disk of at least %lu sectors of "
		    "512 bytes\n", (unsigned long)PATTERN_SECTORS);
		return 1;
	}
	ioapic_level(irq, VEC_DISK);
	/* A slow periodic tick so that a lost interrupt shows as a count
	 * of zero rather than a hang. */
	lapic_write(LAPIC_TIMER_DIV, 0xb);		/* divide by 1 */
	lapic_write(LAPIC_LVT_TIMER, VEC_TIMER | 1u << 17);
	lapic_write(LAPIC_TIMER_INIT, 50000000);
	__asm__ volatile("sti");

	read_check(0, sectors, SEED_HOST, false, "whole disk holds the host's "
	    "pattern");
	print("disk: read %lu sectors\n", (unsigned long)sectors);
	writes(sectors);
	refusals(sectors);
	one(T_FLUSH, 0, NULL, 0, ST_OK);
	print("disk: written and flushed\n");
	read_back(sectors);
	if ((dev2 = find(dev)) != 0)
		read_only(dev2);
	lapic_write(LAPIC_LVT_TIMER, 1u << 16);
	check(disk_irqs > 0, "completion interrupts arrived", disk_irqs);
	if (failed) {
		print("disk: %u of %u checks failed\n", failed, checks);
		return 1;
	}
	print("disk: all %u checks passed, %u interrupts\n", checks, disk_irqs);
	return 0;
}
