/*
 * Dataspaces: creating, checking and mapping sealed memfds.
 * SPDX-License-Identifier: MIT
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cairn/dataspace.h>

#define SIZE_SEALS (F_SEAL_SHRINK | F_SEAL_GROW)

int
cairn_ds_create_memfd(const char *name, size_t size, bool seal_write)
{
	int fd, seals = SIZE_SEALS;

	fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)size) < 0)
		goto fail;
	/* A writable dataspace stays open for F_SEAL_WRITE, so its owner can
	 * later turn it into a read-only one (e.g. a config ROM). */
	if (seal_write)
		seals |= F_SEAL_WRITE | F_SEAL_SEAL;
	if (fcntl(fd, F_ADD_SEALS, seals) < 0)
		goto fail;
	return fd;
fail:
	{
		int e = -errno;

		close(fd);
		return e;
	}
}

int
cairn_ds_from_fd(struct cairn_ds *ds, int fd)
{
	struct stat st;
	int seals;

	memset(ds, 0, sizeof(*ds));
	ds->fd = -1;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return -EBADF;
	seals = fcntl(fd, F_GET_SEALS);
	/* Without size seals a peer could truncate it under our mapping. */
	if (seals < 0 || (seals & SIZE_SEALS) != SIZE_SEALS)
		return -EPERM;
	ds->fd = fd;
	ds->size = (size_t)st.st_size;
	ds->writable = !(seals & F_SEAL_WRITE);
	return 0;
}

int
cairn_ds_attach(struct cairn_ds *ds, bool writable)
{
	void *p;

	if (ds->addr != NULL)
		return 0;
	if (writable && !ds->writable)
		return -EPERM;
	if (ds->size == 0)
		return -EINVAL;
	p = mmap(NULL, ds->size, PROT_READ | (writable ? PROT_WRITE : 0),
	    MAP_SHARED, ds->fd, 0);
	if (p == MAP_FAILED)
		return -errno;
	ds->addr = p;
	ds->writable = writable;
	return 0;
}

void
cairn_ds_detach(struct cairn_ds *ds)
{
	if (ds->addr != NULL) {
		munmap(ds->addr, ds->size);
		ds->addr = NULL;
	}
}

void
cairn_ds_release(struct cairn_ds *ds)
{
	cairn_ds_detach(ds);
	if (ds->fd >= 0)
		close(ds->fd);
	ds->fd = -1;
	ds->size = 0;
}
