/*
 * vmm: virtio-blk disks on the virtio 1.x PCI transport, one PCI function
 * per <disk> of the config (00:01.0, 00:02.0, ...).
 * SPDX-License-Identifier: MIT
 *
 * Data path: the driver's write to the notify register hits KVM's
 * ioeventfd, which wakes the entrypoint; there the requests are taken
 * from the ring (every chain checked against guest RAM, see virtq.c),
 * decoded and handed to the backend; completions come back on the
 * entrypoint, go into the used ring and raise INTA through KVM's irqfd.
 * INTA is level-triggered: KVM lowers it when the guest acknowledges the
 * interrupt at the IOAPIC or PIC and then signals the resample eventfd,
 * upon which we raise it again if the ISR still holds something. vCPU
 * threads only see the registers.
 *
 * Errors in a request (type, length, range, alignment, a write to a
 * read-only disk) fail that request with VIRTIO_BLK_S_IOERR or
 * VIRTIO_BLK_S_UNSUPP. Errors in the rings themselves (a buffer outside
 * guest RAM, a loop, an index beyond the ring, a bad indirect table) set
 * NEEDS_RESET: the device takes nothing more from the ring until the
 * driver resets it. A request in 512-byte sectors that is not aligned to
 * the backend's block size fails with IOERR (the device announces the
 * block size with VIRTIO_BLK_F_BLK_SIZE, so drivers do not send them).
 * A FLUSH waits until every request taken before it has completed, then
 * asks the backend to make the writes durable; requests after it are
 * taken only once it completed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "virtio_blk.h"

#define VIRTIO_BLK_F_SEG_MAX	2
#define VIRTIO_BLK_F_RO		5
#define VIRTIO_BLK_F_BLK_SIZE	6
#define VIRTIO_BLK_F_FLUSH	9
#define DEVCFG_LEN		36	/* up to num_queues */
#define CLASS_STORAGE_OTHER	0x018000
#define CHAIN_LOG_MAX		8

static const uint8_t disk_irq[2] = { 10, 11 };

static void
kick(struct vdisk *d)
{
	uint64_t one = 1;

	if (write(d->kick_fd, &one, sizeof(one)) < 0) {
		/* The counter is full: a wake-up is pending anyway. */
	}
}

void
vblk_warn(struct vdisk *d, unsigned kind, const char *fmt, ...)
{
	char msg[160];
	va_list ap;

	if (kind == WARN_CHAIN) {
		if (d->logged >> 24 >= CHAIN_LOG_MAX)
			return;
		d->logged += 1u << 24;
	} else if (d->logged & (1u << kind)) {
		return;
	} else {
		d->logged |= 1u << kind;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (kind == WARN_IO || kind == WARN_IOEVENTFD)
		vm_log(d->vm, "Warning: disk %u: %s", d->index, msg);
	else
		io_unknown(d->vm, "disk %u: %s", d->index, msg);
}

static void
broken(struct vdisk *d, const char *why)
{
	vblk_warn(d, WARN_CHAIN, "%s; device needs a reset", why);
	d->broken = true;
	vpci_needs_reset(&d->pci);
}

/* Raise the interrupt for used entries, unless the driver said not to. */
static void
interrupt(struct vdisk *d)
{
	if (!d->irq_due || !d->q.ready)
		return;
	d->irq_due = false;
	if (!vq_no_interrupt(&d->q))
		vpci_interrupt(&d->pci, VPCI_ISR_QUEUE);
}

/* Complete a request that never reached the backend. */
static void
finish(struct vdisk *d, uint16_t head, uint8_t *status, uint8_t s,
    uint32_t len)
{
	*status = s;
	vq_push(&d->q, head, len);
	d->irq_due = true;
}

static void
start(struct vdisk *d, struct vreq *r)
{
	d->active++;
	if (r->type == VIRTIO_BLK_T_FLUSH)
		d->barrier = true;
	d->be->start(d, r);
}

void
vblk_complete(struct vdisk *d, struct vreq *r, uint8_t status)
{
	struct vreq *f;

	if (r->gen == d->gen) {
		if (d->q.ready) {
			*r->status = status;
			vq_push(&d->q, r->head, r->type == VIRTIO_BLK_T_IN &&
			    status == VIRTIO_BLK_S_OK ? (uint32_t)r->len + 1 :
			    1);
			d->irq_due = true;
		}
		d->active--;
		if (r->type == VIRTIO_BLK_T_FLUSH)
			d->barrier = false;
	}
	free(r);
	if (d->flush_wait != NULL && d->active == 0) {
		f = d->flush_wait;
		d->flush_wait = NULL;
		start(d, f);
	}
}

static struct vreq *
new_req(struct vdisk *d, uint16_t head, uint32_t type, uint8_t *status,
    unsigned nsegs)
{
	struct vreq *r = calloc(1, sizeof(*r) + nsegs * sizeof(r->segs[0]));

	if (r == NULL)
		return NULL;
	r->d = d;
	r->gen = d->gen;
	r->head = head;
	r->type = type;
	r->status = status;
	return r;
}

static void
get_id(struct vdisk *d, uint16_t head, struct vq_seg *w, unsigned nw,
    uint64_t wbytes, uint8_t *status)
{
	char id[VIRTIO_BLK_ID_BYTES];
	size_t len = wbytes - 1 < sizeof(id) ? (size_t)wbytes - 1 : sizeof(id);

	memset(id, 0, sizeof(id));
	memcpy(id, d->cfg->serial, strnlen(d->cfg->serial, sizeof(id)));
	sg_copy(w, nw, 0, id, len, true);
	finish(d, head, status, VIRTIO_BLK_S_OK, (uint32_t)len + 1);
}

/* Decode the chain in d->chain and start it, or fail it at once. */
static void
request(struct vdisk *d, uint16_t head, unsigned n)
{
	struct vq_seg *s = d->chain, *data;
	uint64_t rbytes = 0, wbytes = 0, sector, len, sectors = d->size / 512;
	uint8_t hdr[16], *status = NULL;
	unsigned nr = 0, i, ndata;
	uint32_t type;
	struct vreq *r;
	int k;

	for (i = 0; i < n; i++) {
		if (s[i].write)
			wbytes += s[i].len;
		else
			rbytes += s[i].len;
		nr += !s[i].write;
	}
	for (i = n; i-- > nr && status == NULL; )
		if (s[i].len > 0)
			status = s[i].hva + s[i].len - 1;
	if (status == NULL) {
		vblk_warn(d, WARN_HEADER, "request at head %u has no "
		    "writable status byte", head);
		vq_push(&d->q, head, 0);
		d->irq_due = true;
		return;
	}
	if (rbytes < sizeof(hdr)) {
		vblk_warn(d, WARN_HEADER, "request header of %llu bytes at "
		    "head %u (16 needed)", (unsigned long long)rbytes, head);
		finish(d, head, status, VIRTIO_BLK_S_IOERR, 1);
		return;
	}
	sg_copy(s, nr, 0, hdr, sizeof(hdr), false);
	memcpy(&type, hdr, 4);
	memcpy(&sector, hdr + 8, 8);
	switch (type) {
	case VIRTIO_BLK_T_GET_ID:
		get_id(d, head, s + nr, n - nr, wbytes, status);
		return;
	case VIRTIO_BLK_T_FLUSH:
		if ((r = new_req(d, head, type, status, 0)) == NULL)
			break;
		if (d->active > 0)
			d->flush_wait = r;
		else
			start(d, r);
		return;
	case VIRTIO_BLK_T_IN:
	case VIRTIO_BLK_T_OUT:
		len = type == VIRTIO_BLK_T_IN ? wbytes - 1 : rbytes - 16;
		if (type == VIRTIO_BLK_T_OUT && d->ro) {
			vblk_warn(d, WARN_RO, "write to the read-only disk at "
			    "sector %llu", (unsigned long long)sector);
		} else if (len % 512 != 0) {
			vblk_warn(d, WARN_LENGTH, "%s of %llu bytes, not whole "
			    "sectors", type ? "write" : "read",
			    (unsigned long long)len);
		} else if (sector > sectors || len / 512 > sectors - sector) {
			vblk_warn(d, WARN_RANGE, "%s of %llu sectors at "
			    "sector %llu, past the end (%llu sectors)",
			    type ? "write" : "read",
			    (unsigned long long)(len / 512),
			    (unsigned long long)sector,
			    (unsigned long long)sectors);
		} else if ((sector * 512 | len) % d->block_size != 0) {
			vblk_warn(d, WARN_ALIGN, "%s of %llu bytes at sector "
			    "%llu is not aligned to the block size %u",
			    type ? "write" : "read", (unsigned long long)len,
			    (unsigned long long)sector, d->block_size);
		} else if (len == 0) {
			finish(d, head, status, VIRTIO_BLK_S_OK, 1);
			return;
		} else {
			if ((r = new_req(d, head, type, status, n)) == NULL)
				break;
			data = type == VIRTIO_BLK_T_IN ? s + nr : s;
			ndata = type == VIRTIO_BLK_T_IN ? n - nr : nr;
			k = sg_slice(data, ndata, type == VIRTIO_BLK_T_IN ? 0 :
			    16, len, r->segs, n);
			if (k < 0) {	/* cannot be: len fits the chain */
				free(r);
				break;
			}
			r->nsegs = (unsigned)k;
			r->off = sector * 512;
			r->len = len;
			start(d, r);
			return;
		}
		finish(d, head, status, VIRTIO_BLK_S_IOERR, 1);
		return;
	default:
		vblk_warn(d, WARN_TYPE, "unsupported request type %u",
		    type);
		finish(d, head, status, VIRTIO_BLK_S_UNSUPP, 1);
		return;
	}
	vblk_warn(d, WARN_IO, "no memory for a request");
	finish(d, head, status, VIRTIO_BLK_S_IOERR, 1);
}

/* Take what the ring offers while the device may (vm->lock held). */
static void
process(struct vdisk *d)
{
	char why[160];
	uint16_t head;
	unsigned n;
	int r;

	while (d->q.ready && d->driver_ok && !d->broken &&
	    d->flush_wait == NULL && !d->barrier && d->active < d->q.size &&
	    !atomic_load(&d->vm->stopping)) {
		r = vq_pop(&d->q, &d->mem, &head, d->chain, VQ_MAX_CHAIN, &n,
		    why, sizeof(why));
		if (r == 0)
			break;
		if (r < 0) {
			broken(d, why);
			break;
		}
		request(d, head, n);
	}
}

void
vblk_run(struct vdisk *d)
{
	process(d);
	interrupt(d);
}

static void
on_kick(void *ctx, uint32_t events)
{
	struct vdisk *d = ctx;
	uint64_t v;

	(void)events;
	if (read(d->kick_fd, &v, sizeof(v)) < 0) {
		/* EAGAIN: woken for nothing */
	}
	pthread_mutex_lock(&d->vm->lock);
	vblk_run(d);
	pthread_mutex_unlock(&d->vm->lock);
}

/* KVM lowered INTA after the guest's EOI: raise it again if needed. */
static void
on_resample(void *ctx, uint32_t events)
{
	struct vdisk *d = ctx;
	uint64_t v = 1;

	(void)events;
	if (read(d->resample_fd, &v, sizeof(v)) < 0) {
		/* EAGAIN */
	}
	pthread_mutex_lock(&d->vm->lock);
	if (vpci_irq_pending(&d->pci)) {
		v = 1;
		if (write(d->irq_fd, &v, sizeof(v)) < 0) {
			/* counter full: the line is being raised */
		}
	}
	pthread_mutex_unlock(&d->vm->lock);
}

/* --- the transport's callbacks (vm->lock held) --- */

static void
op_reset(void *ctx)
{
	struct vdisk *d = ctx;

	/* Stale from here on; nothing may start while the backend drops
	 * its waiting requests (it runs no Block calls on this thread). */
	d->gen++;
	free(d->flush_wait);
	d->flush_wait = NULL;
	d->barrier = false;
	d->active = 0;
	d->be->reset(d);
	d->driver_ok = false;
	d->broken = false;
	d->irq_due = false;
	vq_reset(&d->q);
}

static void
op_driver_ok(void *ctx)
{
	struct vdisk *d = ctx;

	d->driver_ok = true;
	kick(d);
}

static int
op_queue_enable(void *ctx, unsigned qi)
{
	struct vdisk *d = ctx;
	const struct vpci_queue *pq = &d->pci.q[qi];
	char why[160];

	d->q.size = pq->size;
	d->q.desc_gpa = pq->desc;
	d->q.avail_gpa = pq->driver;
	d->q.used_gpa = pq->device;
	if (vq_enable(&d->q, &d->mem, vpci_has(&d->pci,
	    VIRTIO_F_INDIRECT_DESC), why, sizeof(why)) < 0) {
		vblk_warn(d, WARN_CHAIN, "queue %u: %s; device needs a reset",
		    qi, why);
		d->broken = true;
		return -EINVAL;
	}
	return 0;
}

static void
op_notify(void *ctx, unsigned qi)
{
	(void)qi;
	kick(ctx);
}

static void
put(uint8_t *p, uint64_t v, unsigned n)
{
	memcpy(p, &v, n);
}

static void
op_cfg_read(void *ctx, unsigned off, unsigned size, uint8_t *out)
{
	struct vdisk *d = ctx;
	uint8_t c[DEVCFG_LEN];

	memset(c, 0, sizeof(c));
	put(c + 0, d->size / 512, 8);		/* capacity */
	put(c + 12, VQ_MAX_CHAIN - 2, 4);	/* seg_max */
	put(c + 20, d->block_size, 4);		/* blk_size */
	put(c + 34, 1, 2);			/* num_queues */
	memcpy(out, c + off, size);
}

static void
op_interrupt(void *ctx)
{
	struct vdisk *d = ctx;
	uint64_t one = 1;

	if (write(d->irq_fd, &one, sizeof(one)) < 0) {
		/* counter full: the line is being raised */
	}
}

/* Keep KVM's ioeventfd on the notify register wherever BAR 0 is. */
static void
op_bar_changed(void *ctx)
{
	struct vdisk *d = ctx;
	struct kvm_ioeventfd e;
	uint64_t base;
	bool on = vpci_bar(&d->pci, &base);

	memset(&e, 0, sizeof(e));
	e.len = VPCI_NOTIFY_LEN;
	e.fd = d->kick_fd;
	if (d->ioeventfd && (!on || base + VPCI_NOTIFY_OFF !=
	    d->ioeventfd_gpa)) {
		e.addr = d->ioeventfd_gpa;
		e.flags = KVM_IOEVENTFD_FLAG_DEASSIGN;
		if (ioctl(d->vm->fd, KVM_IOEVENTFD, &e) < 0)
			vblk_warn(d, WARN_IOEVENTFD, "removing the ioeventfd "
			    "at 0x%llx: %s", (unsigned long long)e.addr,
			    strerror(errno));
		d->ioeventfd = false;
	}
	if (!on || d->ioeventfd)
		return;
	e.addr = base + VPCI_NOTIFY_OFF;
	e.flags = 0;
	if (ioctl(d->vm->fd, KVM_IOEVENTFD, &e) < 0) {
		/* Notifications then come the slow way, through the BAR. */
		vblk_warn(d, WARN_IOEVENTFD, "ioeventfd at 0x%llx: %s",
		    (unsigned long long)e.addr, strerror(errno));
		return;
	}
	d->ioeventfd = true;
	d->ioeventfd_gpa = e.addr;
}

static const struct vpci_ops vblk_ops = {
	.reset = op_reset,
	.driver_ok = op_driver_ok,
	.queue_enable = op_queue_enable,
	.notify = op_notify,
	.cfg_read = op_cfg_read,
	.interrupt = op_interrupt,
	.bar_changed = op_bar_changed,
};

/* --- set-up and the vmm's hooks --- */

int
disks_open(struct vm *vm)
{
	struct vdisk *d;
	unsigned i;
	int r;

	for (i = 0; i < vm->cfg.ndisks; i++) {
		d = calloc(1, sizeof(*d));
		if (d == NULL)
			return -ENOMEM;
		d->vm = vm;
		d->index = i;
		d->cfg = &vm->cfg.disks[i];
		d->be = d->cfg->type == DISK_VDI ? &disk_vdi_backend :
		    &disk_block_backend;
		d->kick_fd = d->irq_fd = d->resample_fd = -1;
		vm->disks[vm->ndisks++] = d;
		if ((r = d->be->open(d)) < 0)
			return r;
		if (!d->cfg->writeable)
			d->ro = true;
	}
	return 0;
}

uint64_t
disks_reserve(const struct vm *vm)
{
	uint64_t sum = 0;
	unsigned i;

	for (i = 0; i < vm->ndisks; i++)
		sum += sizeof(struct vdisk) + vm->disks[i]->be->reserve(
		    vm->disks[i]) + VQ_MAX_SIZE * (sizeof(struct vreq) +
		    VQ_MAX_CHAIN * sizeof(struct vq_seg));
	return sum;
}

static int
start_disk(struct vm *vm, struct vdisk *d)
{
	uint64_t low = vm->ram_size < LOW_RAM_END ? vm->ram_size : LOW_RAM_END;
	uint64_t features = 1ull << VIRTIO_BLK_F_SEG_MAX |
	    1ull << VIRTIO_BLK_F_BLK_SIZE | 1ull << VIRTIO_BLK_F_FLUSH |
	    1ull << VIRTIO_F_INDIRECT_DESC;
	uint8_t irq = disk_irq[d->index % 2];
	struct kvm_irqfd irqfd;

	d->mem.r[0].gpa = 0;
	d->mem.r[0].size = low;
	d->mem.r[0].hva = vm->ram_ds.addr;
	d->mem.r[1].gpa = HIGH_RAM_GPA;
	d->mem.r[1].size = vm->ram_size - low;
	d->mem.r[1].hva = (uint8_t *)vm->ram_ds.addr + low;
	d->mem.n = vm->ram_size > low ? 2 : 1;
	if (d->ro)
		features |= 1ull << VIRTIO_BLK_F_RO;
	d->kick_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	d->irq_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	d->resample_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (d->kick_fd < 0 || d->irq_fd < 0 || d->resample_fd < 0) {
		cairn_error(vm->env, "disk %u: eventfd: %s", d->index,
		    strerror(errno));
		return -errno;
	}
	memset(&irqfd, 0, sizeof(irqfd));
	irqfd.fd = (uint32_t)d->irq_fd;
	irqfd.gsi = irq;
	irqfd.flags = KVM_IRQFD_FLAG_RESAMPLE;
	irqfd.resamplefd = (uint32_t)d->resample_fd;
	if (ioctl(vm->fd, KVM_IRQFD, &irqfd) < 0) {
		cairn_error(vm->env, "disk %u: KVM_IRQFD on GSI %u: %s",
		    d->index, irq, strerror(errno));
		return -errno;
	}
	d->kick_watch = cairn_ep_watch(vm->env->ep, d->kick_fd, EPOLLIN,
	    on_kick, d);
	d->resample_watch = cairn_ep_watch(vm->env->ep, d->resample_fd,
	    EPOLLIN, on_resample, d);
	if (d->kick_watch == NULL || d->resample_watch == NULL) {
		cairn_error(vm->env, "disk %u: cannot watch its eventfds",
		    d->index);
		return -ENOMEM;
	}
	vpci_init(&d->pci, VIRTIO_BLK_ID, CLASS_STORAGE_OTHER, features, 1,
	    VQ_MAX_SIZE, DEVCFG_LEN, irq,
	    (uint32_t)(PCI_MMIO_GPA + d->index * VPCI_BAR_SIZE), &vblk_ops, d);
	cairn_log(vm->env, "disk %u: virtio-blk at PCI 00:%02x.0, IRQ %u: "
	    "%s, %llu sectors, block size %u%s", d->index, d->index + 1, irq,
	    d->cfg->type == DISK_VDI ? d->cfg->file : d->cfg->label,
	    (unsigned long long)(d->size / 512), d->block_size,
	    d->ro ? ", read-only" : "");
	return 0;
}

int
disks_start(struct vm *vm)
{
	unsigned i;
	int r;

	for (i = 0; i < vm->ndisks; i++)
		if ((r = start_disk(vm, vm->disks[i])) < 0)
			return r;
	return 0;
}

bool
disks_pci_config(struct vm *vm, unsigned slot, unsigned off, unsigned size,
    bool write, uint8_t *data)
{
	struct vdisk *d;

	if (slot == 0 || slot > vm->ndisks)
		return false;
	d = vm->disks[slot - 1];
	if (!vpci_cfg_access(&d->pci, off, size, write, data))
		vblk_warn(d, WARN_ACCESS, "%s %u bytes at PCI configuration "
		    "offset 0x%x refused", write ? "wrote" : "read", size,
		    off);
	return true;
}

bool
disks_mmio(struct vm *vm, uint64_t gpa, unsigned size, bool write,
    uint8_t *data)
{
	struct vdisk *d;
	uint64_t base;
	unsigned i;

	for (i = 0; i < vm->ndisks; i++) {
		d = vm->disks[i];
		if (!vpci_bar(&d->pci, &base) || gpa < base ||
		    gpa - base >= VPCI_BAR_SIZE)
			continue;
		if (!vpci_bar_access(&d->pci, (unsigned)(gpa - base), size,
		    write, data))
			vblk_warn(d, WARN_ACCESS, "%s %u bytes at BAR offset "
			    "0x%llx refused", write ? "wrote" : "read", size,
			    (unsigned long long)(gpa - base));
		return true;
	}
	return false;
}
