/*
 * fuse_export: no dynamic loading. libfuse can load file-system modules
 * with dlopen() (-o modules=...), which we never ask for, and a sandboxed
 * static component could not load one anyway. The link wraps dlopen
 * (-Wl,--wrap=dlopen) so libfuse calls this instead, which keeps the
 * static libc's warning about dlopen needing the host's shared libraries
 * out of the build.
 * SPDX-License-Identifier: MIT
 */
#include <stddef.h>

void *__wrap_dlopen(const char *file, int mode);

void *
__wrap_dlopen(const char *file, int mode)
{
	return NULL;
}
