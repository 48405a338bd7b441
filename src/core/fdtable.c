/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Which descriptors are netmap files.  Every interposed call on any
 * descriptor asks, so the lookup is two loads and no lock: a directory of
 * chunks that are allocated on first use and never freed.
 */
#include "core.h"

#include <errno.h>
#include <stdlib.h>

#define CHUNK_BITS 10
#define CHUNK_SIZE (1u << CHUNK_BITS)
#define DIR_SIZE   4096 /* descriptors below 4M */

typedef struct pm_file *_Atomic chunk_t[CHUNK_SIZE];
static chunk_t *_Atomic fd_dir[DIR_SIZE];

struct pm_file *pm_fd_lookup(int fd)
{
	if (unlikely((unsigned)fd >= DIR_SIZE * CHUNK_SIZE))
		return NULL;
	chunk_t *c = atomic_load_explicit(&fd_dir[fd >> CHUNK_BITS],
					  memory_order_acquire);
	if (likely(!c))
		return NULL;
	return atomic_load_explicit(&(*c)[fd & (CHUNK_SIZE - 1)],
				    memory_order_acquire);
}

/*
 * A close in another thread may drop the table's reference at any time:
 * take one only while the file is alive, and only if @fd still names it
 * (a file put meanwhile may already be a new one).
 */
struct pm_file *pm_fd_get(int fd)
{
	struct pm_file *f;

	while ((f = pm_fd_lookup(fd)) != NULL) {
		if (pm_file_tryget(f)) {
			if (likely(pm_fd_lookup(fd) == f))
				return f;
			pm_file_put(f);
		} else if (pm_fd_lookup(fd) == f) {
			return NULL; /* being closed: as if already gone */
		}
	}
	return NULL;
}

int pm_fd_install(int fd, struct pm_file *f)
{
	if ((unsigned)fd >= DIR_SIZE * CHUNK_SIZE)
		return -EMFILE;
	chunk_t *_Atomic *slot = &fd_dir[fd >> CHUNK_BITS];
	chunk_t *c = atomic_load(slot);
	if (!c) {
		chunk_t *fresh = calloc(1, sizeof(chunk_t));
		if (!fresh)
			return -ENOMEM;
		if (atomic_compare_exchange_strong(slot, &c, fresh))
			c = fresh;
		else
			free(fresh); /* another thread won; c is its chunk */
	}
	/* a file still there was closed behind our back: it goes now */
	struct pm_file *stale = atomic_exchange_explicit(
	    &(*c)[fd & (CHUNK_SIZE - 1)], f, memory_order_acq_rel);
	if (stale)
		pm_file_put(stale);
	return 0;
}

struct pm_file *pm_fd_remove(int fd)
{
	if ((unsigned)fd >= DIR_SIZE * CHUNK_SIZE)
		return NULL;
	chunk_t *c = atomic_load(&fd_dir[fd >> CHUNK_BITS]);
	if (!c)
		return NULL;
	return atomic_exchange(&(*c)[fd & (CHUNK_SIZE - 1)], NULL);
}

bool pm_fd_remove_if(int fd, struct pm_file *f)
{
	if ((unsigned)fd >= DIR_SIZE * CHUNK_SIZE)
		return false;
	chunk_t *c = atomic_load(&fd_dir[fd >> CHUNK_BITS]);
	return c && atomic_compare_exchange_strong(&(*c)[fd & (CHUNK_SIZE - 1)],
						   &f, NULL);
}

void pm_fd_each(unsigned lo, unsigned hi,
		void (*fn)(int fd, struct pm_file *f, void *arg), void *arg)
{
	if (hi >= DIR_SIZE * CHUNK_SIZE)
		hi = DIR_SIZE * CHUNK_SIZE - 1;
	for (unsigned fd = lo; fd <= hi; fd++) {
		chunk_t *c = atomic_load(&fd_dir[fd >> CHUNK_BITS]);
		if (!c) { /* nothing below the next chunk */
			fd |= CHUNK_SIZE - 1;
			continue;
		}
		struct pm_file *f = atomic_load(&(*c)[fd & (CHUNK_SIZE - 1)]);
		if (f)
			fn((int)fd, f, arg);
	}
}
