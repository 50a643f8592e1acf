/*
 * vmm: QEMU's firmware configuration device (fw_cfg): items by selector,
 * the file directory, the port and the DMA interface.
 * SPDX-License-Identifier: MIT
 *
 * The device serves only what the vmm put in before the guest started:
 * items are never added or changed while vCPUs run, and the caller holds
 * vm->lock around fw_cfg_io(). Writes to items are not supported (a DMA
 * write sets the error bit), as QEMU's read-only items behave.
 */
#include <errno.h>
#include <string.h>

#include "fw_cfg.h"

static const uint8_t dma_signature[8] = {
	'Q', 'E', 'M', 'U', ' ', 'C', 'F', 'G',
};

static uint32_t
be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | p[3];
}

static void
put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static struct fw_cfg_item *
find(struct fw_cfg *f, uint16_t key)
{
	unsigned i;

	for (i = 0; i < f->nitems; i++)
		if (f->items[i].key == key)
			return &f->items[i];
	return NULL;
}

int
fw_cfg_add(struct fw_cfg *f, uint16_t key, const void *data, uint32_t size)
{
	struct fw_cfg_item *it;

	if (find(f, key) != NULL)
		return -EEXIST;
	if (f->nitems == FW_CFG_MAX_ITEMS)
		return -ENOSPC;
	it = &f->items[f->nitems++];
	memset(it, 0, sizeof(*it));
	it->key = key;
	it->data = data;
	it->size = size;
	return 0;
}

int
fw_cfg_add_int(struct fw_cfg *f, uint16_t key, uint64_t value, unsigned width)
{
	struct fw_cfg_item *it;
	unsigned i;
	int r;

	if (width != 2 && width != 4 && width != 8)
		return -EINVAL;
	if ((r = fw_cfg_add(f, key, NULL, width)) < 0)
		return r;
	it = &f->items[f->nitems - 1];
	for (i = 0; i < width; i++)
		it->small[i] = (uint8_t)(value >> (8 * i));
	it->data = it->small;
	return 0;
}

int
fw_cfg_add_file(struct fw_cfg *f, const char *name, const void *data,
    uint32_t size)
{
	size_t len = strlen(name);
	uint16_t key = (uint16_t)(FW_CFG_FILE_FIRST + f->nfiles);
	uint8_t *e;
	unsigned i;
	int r;

	if (len == 0 || len >= FW_CFG_NAME_MAX)
		return -ENAMETOOLONG;
	for (i = 0; i < f->nfiles; i++)
		if (strcmp((char *)f->dir + 4 + i * 64 + 8, name) == 0)
			return -EEXIST;
	if (f->nfiles == FW_CFG_MAX_FILES)
		return -ENOSPC;
	if ((r = fw_cfg_add(f, key, data, size)) < 0)
		return r;
	e = f->dir + 4 + f->nfiles * 64;
	memset(e, 0, 64);
	put_be32(e, size);
	e[4] = (uint8_t)(key >> 8);
	e[5] = (uint8_t)key;
	memcpy(e + 8, name, len);
	put_be32(f->dir, ++f->nfiles);
	find(f, FW_CFG_FILE_DIR)->size = 4 + f->nfiles * 64;
	return 0;
}

void
fw_cfg_init(struct fw_cfg *f, fw_cfg_mem_fn mem, void *mem_ctx)
{
	memset(f, 0, sizeof(*f));
	f->mem = mem;
	f->mem_ctx = mem_ctx;
	/* The first three items of an empty device. */
	f->items[0] = (struct fw_cfg_item){ .key = FW_CFG_SIGNATURE,
	    .size = 4, .data = (const uint8_t *)"QEMU" };
	f->items[1] = (struct fw_cfg_item){ .key = FW_CFG_ID, .size = 4,
	    .small = { FW_CFG_VERSION | FW_CFG_VERSION_DMA } };
	f->items[1].data = f->items[1].small;
	f->items[2] = (struct fw_cfg_item){ .key = FW_CFG_FILE_DIR,
	    .size = 4, .data = f->dir };
	f->nitems = 3;
}

static void
select_item(struct fw_cfg *f, uint16_t key)
{
	f->cur = find(f, key);
	f->off = 0;
}

/*
 * One DMA request: the access structure (control, length, address, all
 * big-endian) at `gpa`. Reading past an item's end yields zeros, as in
 * QEMU; the control word is cleared on success, set to the error bit on
 * failure.
 */
static void
dma(struct fw_cfg *f, uint64_t gpa)
{
	uint8_t *a = f->mem(f->mem_ctx, gpa, 16);
	uint32_t control, len, left, n;
	uint64_t addr;
	uint8_t *dst;

	if (a == NULL)
		return;		/* nowhere to report it */
	control = be32(a);
	len = be32(a + 4);
	addr = (uint64_t)be32(a + 8) << 32 | be32(a + 12);
	if (control & FW_CFG_DMA_SELECT)
		select_item(f, (uint16_t)(control >> 16));
	left = f->cur != NULL ? f->cur->size - f->off : 0;
	n = len < left ? len : left;
	if (control & FW_CFG_DMA_READ) {
		dst = len ? f->mem(f->mem_ctx, addr, len) : NULL;
		if (len && dst == NULL) {
			put_be32(a, FW_CFG_DMA_ERROR);
			return;
		}
		if (n > 0)
			memcpy(dst, f->cur->data + f->off, n);
		if (len > n)
			memset(dst + n, 0, len - n);
		f->off += n;
	} else if (control & FW_CFG_DMA_SKIP) {
		f->off += n;
	} else if (control & FW_CFG_DMA_WRITE) {
		put_be32(a, FW_CFG_DMA_ERROR);
		return;
	}
	put_be32(a, 0);
}

void
fw_cfg_io(struct fw_cfg *f, uint16_t port, unsigned size, bool write,
    uint8_t *d)
{
	unsigned off = port - FW_CFG_PORT, i;

	if (port == FW_CFG_PORT && size == 2) {
		if (write)
			select_item(f, (uint16_t)(d[0] | d[1] << 8));
		else
			memset(d, 0, size);
	} else if (port == FW_CFG_PORT_DATA) {
		for (i = 0; i < size && !write; i++)
			d[i] = f->cur != NULL && f->off < f->cur->size ?
			    f->cur->data[f->off++] : 0;
	} else if (port == FW_CFG_PORT_DMA && size == 4 && write) {
		f->dma_high = be32(d);
	} else if (port == FW_CFG_PORT_DMA + 4 && size == 4 && write) {
		dma(f, (uint64_t)f->dma_high << 32 | be32(d));
		f->dma_high = 0;
	} else if (!write) {
		for (i = 0; i < size; i++)
			d[i] = off + i >= 4 && off + i < 12 ?
			    dma_signature[off + i - 4] : 0xff;
	}
}
