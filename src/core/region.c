/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Memory regions: netmap's three pools, interfaces, rings and buffers, at
 * the offsets netmap reports (nmreq_pools_info), in a shared memory object
 * that every process using the memory id maps: a NIC port, the pipes built
 * on it and their users in other processes see the same buffers, so buffer
 * swaps between them are zero-copy, as in netmap.
 *
 * The object is /dev/shm/pktmap.UID.NETNS.memID, owner-only.  Its first
 * bytes (struct pm_region_meta, not mapped by applications) hold the
 * allocators under a robust process-shared mutex, so a process that dies
 * while allocating cannot wedge the others.  Each user holds a shared
 * flock on it; the last one out unlinks it, and objects nobody holds
 * (their users were all killed) are collected whenever a region is opened
 * or closed.
 * Pages are only backed when touched, so the pools have netmap's sizes.
 */
#include "core.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#define REGION_MAGIC 0x706b6d7072656731ull /* "pkmpreg1" */

static pthread_mutex_t regions_lock = PTHREAD_MUTEX_INITIALIZER;
static struct pm_region *regions;

static size_t page_align(size_t n)
{
	return (n + 4095) & ~(size_t)4095;
}

/* Names are per user and per network namespace, like the ports in them. */
static void region_name(uint16_t mem_id, char *buf, size_t len)
{
	struct stat st = {0};

	stat("/proc/self/ns/net", &st);
	snprintf(buf, len, "/pktmap.%u.%lu.mem%u", (unsigned)getuid(),
		 (unsigned long)st.st_ino, mem_id);
}

/*
 * Serialises creating, collecting and the last close of regions between
 * all processes: a flock on the /dev/shm directory itself, released by the
 * kernel if its holder dies, and leaving no file behind.
 */
static int init_lock(void)
{
	int fd = open("/dev/shm", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX) < 0) {
		int err = -errno;
		pm_libc.close(fd);
		return err;
	}
	return fd;
}

static void init_unlock(int fd)
{
	pm_libc.close(fd);
}

/*
 * Removes this user's region objects that nobody holds: left behind when
 * every process using one was killed.  Called with the init lock held.
 */
/* Does the object hold persistent state (NEWIF ports)? */
static bool keeps(int fd)
{
	struct pm_region_meta m;

	return pread(fd, &m, offsetof(struct pm_region_meta, mem_id), 0) ==
		   (ssize_t)offsetof(struct pm_region_meta, mem_id) &&
	       m.magic == REGION_MAGIC && m.keep > 0;
}

static void collect_stale(void)
{
	char prefix[32];
	struct dirent *e;
	DIR *dir = opendir("/dev/shm");

	if (!dir)
		return;
	int n =
	    snprintf(prefix, sizeof(prefix), "pktmap.%u.", (unsigned)getuid());
	while ((e = readdir(dir))) {
		if (strncmp(e->d_name, prefix, (size_t)n) != 0)
			continue;
		int fd = openat(dirfd(dir), e->d_name,
				O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0)
			continue;
		if (flock(fd, LOCK_EX | LOCK_NB) == 0 && !keeps(fd)) {
			pm_log("removing stale %s", e->d_name);
			unlinkat(dirfd(dir), e->d_name, 0);
		}
		pm_libc.close(fd);
	}
	closedir(dir);
}

static void geometry(struct pm_region *r)
{
	r->if_objsize = PM_IF_OBJSIZE;
	r->if_total = PM_IF_TOTAL;
	r->ring_objsize = PM_RING_OBJSIZE;
	r->ring_total = PM_RING_TOTAL;
	r->buf_size = PM_BUF_SIZE;
	r->buf_total = PM_BUF_TOTAL;
	r->if_ofs = 0;
	r->ring_ofs = page_align((size_t)r->if_objsize * r->if_total);
	r->buf_ofs =
	    page_align(r->ring_ofs + (size_t)r->ring_objsize * r->ring_total);
	r->size = r->buf_ofs + (size_t)r->buf_size * r->buf_total;
}

/* A fresh object: zeroed pools, buffers 0 and 1 reserved as in netmap. */
static int meta_init(struct pm_region_meta *m, uint16_t mem_id)
{
	pthread_mutexattr_t a;

	memset(m, 0, sizeof(*m));
	m->mem_id = mem_id;
	m->buf_used[0] = 3;
	m->buf_hint = 2;
	pthread_mutexattr_init(&a);
	pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
	pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
	/* pipes find-or-create under it, and creating allocates under it */
	pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&m->lock, &a);
	pthread_mutexattr_destroy(&a);
	__atomic_store_n(&m->magic, REGION_MAGIC, __ATOMIC_RELEASE);
	return 0;
}

static int region_map(struct pm_region *r, bool fresh)
{
	size_t total = PM_REGION_META + r->size;

	if (fresh && ftruncate(r->fd, 0) < 0) /* drop a dead run's pages */
		return -errno;
	if (fresh && ftruncate(r->fd, (off_t)total) < 0)
		return -errno;
	r->meta =
	    mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_SHARED, r->fd, 0);
	if (r->meta == MAP_FAILED) {
		r->meta = NULL;
		return -errno;
	}
	r->base = (char *)r->meta + PM_REGION_META;
	if (fresh)
		return meta_init(r->meta, r->mem_id);
	return r->meta->magic == REGION_MAGIC ? 0 : -EIO;
}

static int region_open(uint16_t mem_id, struct pm_region **out)
{
	struct pm_region *r = calloc(1, sizeof(*r));
	int lock, err;
	bool fresh;

	if (!r)
		return -ENOMEM;
	r->mem_id = mem_id;
	geometry(r);
	region_name(mem_id, r->name, sizeof(r->name));
	lock = init_lock();
	if (lock < 0) {
		free(r);
		return lock;
	}
	collect_stale();
	r->fd = shm_open(r->name, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (r->fd < 0) {
		err = -errno;
		goto unlock;
	}
	/*
	 * nobody holds it: new, or left by processes that were all killed,
	 * unless it keeps persistent state
	 */
	fresh = flock(r->fd, LOCK_EX | LOCK_NB) == 0 && !keeps(r->fd);
	if (flock(r->fd, LOCK_SH) < 0) {
		err = -errno;
		goto close_fd;
	}
	err = region_map(r, fresh);
	if (err)
		goto close_fd;
	init_unlock(lock);
	pm_log("mem_id %u: %s, %zu bytes%s", mem_id, r->name, r->size,
	       fresh ? " (new)" : "");
	*out = r;
	return 0;

close_fd:
	pm_libc.close(r->fd);
unlock:
	init_unlock(lock);
	pm_log("mem_id %u: %s", mem_id, strerror(-err));
	free(r);
	return err;
}

/*
 * Our descriptor goes first: a forked child may share it, and its lock
 * with it.  Then a fresh descriptor gets the exclusive lock only if no
 * process anywhere still holds the region: then the name goes too.
 */
static void region_close(struct pm_region *r)
{
	int lock = init_lock();

	munmap(r->meta, PM_REGION_META + r->size);
	pm_libc.close(r->fd);
	if (lock >= 0) { /* one that keeps state stays: see keeps() */
		int fd = shm_open(r->name, O_RDWR | O_CLOEXEC, 0);
		if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0 && !keeps(fd))
			shm_unlink(r->name);
		if (fd >= 0)
			pm_libc.close(fd);
		collect_stale();
		init_unlock(lock);
	}
	free(r);
}

/*
 * The region of @mem_id, mapped once per process and shared by its ports.
 * Memory id 1 holds every NIC port.
 */
int pm_region_get(uint16_t mem_id, struct pm_region **out)
{
	struct pm_region *r;
	int err = 0;

	pthread_mutex_lock(&regions_lock);
	for (r = regions; r && r->mem_id != mem_id; r = r->next)
		;
	if (!r) {
		err = region_open(mem_id, &r);
		if (!err) {
			r->next = regions;
			regions = r;
		}
	}
	if (!err) {
		r->refs++;
		*out = r;
	}
	pthread_mutex_unlock(&regions_lock);
	return err;
}

void pm_region_put(struct pm_region *r)
{
	pthread_mutex_lock(&regions_lock);
	if (--r->refs == 0) {
		for (struct pm_region **pp = &regions; *pp; pp = &(*pp)->next) {
			if (*pp == r) {
				*pp = r->next;
				break;
			}
		}
		region_close(r);
	}
	pthread_mutex_unlock(&regions_lock);
}

/* The allocators' lock; a holder that died leaves at worst a lost buffer. */
void pm_region_lock(struct pm_region *r)
{
	if (pthread_mutex_lock(&r->meta->lock) == EOWNERDEAD) {
		pm_log("mem_id %u: a process died holding the lock", r->mem_id);
		pthread_mutex_consistent(&r->meta->lock);
	}
}

void pm_region_unlock(struct pm_region *r)
{
	pthread_mutex_unlock(&r->meta->lock);
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
	pm_region_lock(r);
	long i = pool_take(r->meta->if_used, r->if_total);
	pm_region_unlock(r);
	if (i < 0)
		return NULL;
	char *p = (char *)r->base + r->if_ofs + (size_t)i * r->if_objsize;
	memset(p, 0, r->if_objsize);
	return p;
}

void pm_region_free_if(struct pm_region *r, void *nifp)
{
	size_t i = (pm_region_offset(r, nifp) - r->if_ofs) / r->if_objsize;

	pm_region_lock(r);
	r->meta->if_used[i]--; /* files of other processes may share it */
	pm_region_unlock(r);
}

/* One more file uses @nifp: a descriptor received from another process. */
void pm_region_ref_if(struct pm_region *r, void *nifp)
{
	size_t i = (pm_region_offset(r, nifp) - r->if_ofs) / r->if_objsize;

	pm_region_lock(r);
	r->meta->if_used[i]++;
	pm_region_unlock(r);
}

struct netmap_ring *pm_region_alloc_ring(struct pm_region *r)
{
	pm_region_lock(r);
	long i = pool_take(r->meta->ring_used, r->ring_total);
	pm_region_unlock(r);
	if (i < 0)
		return NULL;
	char *p = (char *)r->base + r->ring_ofs + (size_t)i * r->ring_objsize;
	memset(p, 0, r->ring_objsize);
	return (struct netmap_ring *)p;
}

void pm_region_free_ring(struct pm_region *r, struct netmap_ring *ring)
{
	size_t i = (pm_region_offset(r, ring) - r->ring_ofs) / r->ring_objsize;

	pm_region_lock(r);
	r->meta->ring_used[i] = 0;
	pm_region_unlock(r);
}

static bool buf_is_used(const struct pm_region_meta *m, uint32_t i)
{
	return m->buf_used[i / 64] & (1ull << (i % 64));
}

static void buf_set(struct pm_region_meta *m, uint32_t i, bool used)
{
	if (used)
		m->buf_used[i / 64] |= 1ull << (i % 64);
	else
		m->buf_used[i / 64] &= ~(1ull << (i % 64));
}

/* Gives each of @n slots a free buffer; all or nothing. */
int pm_region_alloc_bufs(struct pm_region *r, struct netmap_slot *slots,
			 uint32_t n)
{
	struct pm_region_meta *m = r->meta;
	uint32_t got = 0, scanned = 0, i;

	pm_region_lock(r);
	for (i = m->buf_hint; got < n && scanned < r->buf_total; scanned++) {
		if (i >= r->buf_total)
			i = 2;
		if (!buf_is_used(m, i)) {
			buf_set(m, i, true);
			slots[got++] = (struct netmap_slot){.buf_idx = i};
		}
		i++;
	}
	m->buf_hint = i;
	if (got < n) {
		while (got > 0)
			buf_set(m, slots[--got].buf_idx, false);
		pm_region_unlock(r);
		return -ENOMEM;
	}
	pm_region_unlock(r);
	return 0;
}

/* Returns the buffers of @n slots; reserved or bogus indexes are skipped. */
void pm_region_free_bufs(struct pm_region *r, const struct netmap_slot *slots,
			 uint32_t n)
{
	pm_region_lock(r);
	for (uint32_t k = 0; k < n; k++) {
		uint32_t i = slots[k].buf_idx;
		if (i >= 2 && i < r->buf_total)
			buf_set(r->meta, i, false);
	}
	pm_region_unlock(r);
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
