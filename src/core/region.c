/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Memory regions: a memfd holding netmap's three pools, interfaces, rings
 * and buffers, at the offsets netmap reports (nmreq_pools_info).  Pages are
 * only backed when touched, so the pools are sized like netmap's defaults.
 */
#include "core.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* netmap's default pool geometry */
#define IF_OBJSIZE   1024
#define IF_TOTAL     100
#define RING_OBJSIZE 36864 /* a ring of up to 2288 slots */
#define RING_TOTAL   200
#define BUF_SIZE     2048
#define BUF_TOTAL    163840

static struct pm_region *global_region;
static pthread_mutex_t global_lock = PTHREAD_MUTEX_INITIALIZER;

static size_t page_align(size_t n)
{
	return (n + 4095) & ~(size_t)4095;
}

static int region_create(uint16_t mem_id, struct pm_region **out)
{
	struct pm_region *r = calloc(1, sizeof(*r));
	int err = -ENOMEM;

	if (!r)
		return -ENOMEM;
	r->mem_id = mem_id;
	r->if_objsize = IF_OBJSIZE;
	r->if_total = IF_TOTAL;
	r->ring_objsize = RING_OBJSIZE;
	r->ring_total = RING_TOTAL;
	r->buf_size = BUF_SIZE;
	r->buf_total = BUF_TOTAL;
	r->if_ofs = 0;
	r->ring_ofs = page_align((size_t)r->if_objsize * r->if_total);
	r->buf_ofs =
	    page_align(r->ring_ofs + (size_t)r->ring_objsize * r->ring_total);
	r->size = r->buf_ofs + (size_t)r->buf_size * r->buf_total;

	r->if_used = calloc(r->if_total, 1);
	r->ring_used = calloc(r->ring_total, 1);
	r->buf_used = calloc((r->buf_total + 63) / 64, sizeof(uint64_t));
	if (!r->if_used || !r->ring_used || !r->buf_used)
		goto free_tables;
	r->buf_used[0] |= 3; /* buffers 0 and 1 are reserved, as in netmap */
	r->buf_hint = 2;

	r->memfd = memfd_create("pktmap-region", MFD_CLOEXEC);
	if (r->memfd < 0) {
		err = -errno;
		goto free_tables;
	}
	if (ftruncate(r->memfd, (off_t)(PM_REGION_META + r->size)) < 0) {
		err = -errno;
		goto close_memfd;
	}
	r->base = mmap(NULL, r->size, PROT_READ | PROT_WRITE, MAP_SHARED,
		       r->memfd, PM_REGION_META);
	if (r->base == MAP_FAILED) {
		err = -errno;
		goto close_memfd;
	}
	pthread_mutex_init(&r->lock, NULL);
	pm_log("mem_id %u: %zu bytes, %u buffers", mem_id, r->size,
	       r->buf_total);
	*out = r;
	return 0;

close_memfd:
	pm_libc.close(r->memfd);
free_tables:
	free(r->if_used);
	free(r->ring_used);
	free(r->buf_used);
	free(r);
	return err;
}

static void region_destroy(struct pm_region *r)
{
	munmap(r->base, r->size);
	pm_libc.close(r->memfd);
	free(r->if_used);
	free(r->ring_used);
	free(r->buf_used);
	free(r);
}

/*
 * The global region, memory id 1, shared by every NIC port of the process.
 * It lives while a port uses it.
 */
int pm_region_get_global(struct pm_region **out)
{
	int err = 0;

	pthread_mutex_lock(&global_lock);
	if (!global_region)
		err = region_create(PM_GLOBAL_MEM_ID, &global_region);
	if (!err) {
		global_region->refs++;
		*out = global_region;
	}
	pthread_mutex_unlock(&global_lock);
	return err;
}

void pm_region_put(struct pm_region *r)
{
	pthread_mutex_lock(&global_lock);
	if (--r->refs == 0) {
		if (r == global_region)
			global_region = NULL;
		region_destroy(r);
	}
	pthread_mutex_unlock(&global_lock);
}

static long pool_take(uint8_t *used, uint32_t total)
{
	for (uint32_t i = 0; i < total; i++) {
		if (!used[i]) {
			used[i] = 1;
			return i;
		}
	}
	return -1;
}

void *pm_region_alloc_if(struct pm_region *r)
{
	pthread_mutex_lock(&r->lock);
	long i = pool_take(r->if_used, r->if_total);
	pthread_mutex_unlock(&r->lock);
	if (i < 0)
		return NULL;
	char *p = (char *)r->base + r->if_ofs + (size_t)i * r->if_objsize;
	memset(p, 0, r->if_objsize);
	return p;
}

void pm_region_free_if(struct pm_region *r, void *nifp)
{
	size_t i = (pm_region_offset(r, nifp) - r->if_ofs) / r->if_objsize;

	pthread_mutex_lock(&r->lock);
	r->if_used[i] = 0;
	pthread_mutex_unlock(&r->lock);
}

struct netmap_ring *pm_region_alloc_ring(struct pm_region *r)
{
	pthread_mutex_lock(&r->lock);
	long i = pool_take(r->ring_used, r->ring_total);
	pthread_mutex_unlock(&r->lock);
	if (i < 0)
		return NULL;
	char *p = (char *)r->base + r->ring_ofs + (size_t)i * r->ring_objsize;
	memset(p, 0, r->ring_objsize);
	return (struct netmap_ring *)p;
}

void pm_region_free_ring(struct pm_region *r, struct netmap_ring *ring)
{
	size_t i = (pm_region_offset(r, ring) - r->ring_ofs) / r->ring_objsize;

	pthread_mutex_lock(&r->lock);
	r->ring_used[i] = 0;
	pthread_mutex_unlock(&r->lock);
}

static bool buf_is_used(const struct pm_region *r, uint32_t i)
{
	return r->buf_used[i / 64] & (1ull << (i % 64));
}

static void buf_set(struct pm_region *r, uint32_t i, bool used)
{
	if (used)
		r->buf_used[i / 64] |= 1ull << (i % 64);
	else
		r->buf_used[i / 64] &= ~(1ull << (i % 64));
}

/* Gives each of @n slots a free buffer; all or nothing. */
int pm_region_alloc_bufs(struct pm_region *r, struct netmap_slot *slots,
			 uint32_t n)
{
	uint32_t got = 0, i = r->buf_hint, scanned = 0;

	pthread_mutex_lock(&r->lock);
	while (got < n && scanned < r->buf_total) {
		if (i >= r->buf_total)
			i = 2;
		if (!buf_is_used(r, i)) {
			buf_set(r, i, true);
			slots[got].buf_idx = i;
			slots[got].len = 0;
			slots[got].flags = 0;
			slots[got].ptr = 0;
			got++;
		}
		i++;
		scanned++;
	}
	r->buf_hint = i;
	if (got < n) {
		while (got > 0)
			buf_set(r, slots[--got].buf_idx, false);
		pthread_mutex_unlock(&r->lock);
		return -ENOMEM;
	}
	pthread_mutex_unlock(&r->lock);
	return 0;
}

/* Returns the buffers of @n slots; reserved or bogus indexes are skipped. */
void pm_region_free_bufs(struct pm_region *r, const struct netmap_slot *slots,
			 uint32_t n)
{
	pthread_mutex_lock(&r->lock);
	for (uint32_t k = 0; k < n; k++) {
		uint32_t i = slots[k].buf_idx;
		if (i >= 2 && i < r->buf_total)
			buf_set(r, i, false);
	}
	pthread_mutex_unlock(&r->lock);
}

void pm_region_info(const struct pm_region *r, struct nmreq_pools_info *pi)
{
	memset(pi, 0, sizeof(*pi));
	pi->nr_memsize = r->size;
	pi->nr_mem_id = r->mem_id;
	pi->nr_if_pool_offset = r->if_ofs;
	pi->nr_if_pool_objtotal = r->if_total;
	pi->nr_if_pool_objsize = r->if_objsize;
	pi->nr_ring_pool_offset = r->ring_ofs;
	pi->nr_ring_pool_objtotal = r->ring_total;
	pi->nr_ring_pool_objsize = r->ring_objsize;
	pi->nr_buf_pool_offset = r->buf_ofs;
	pi->nr_buf_pool_objtotal = r->buf_total;
	pi->nr_buf_pool_objsize = r->buf_size;
}
