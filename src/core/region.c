/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Memory regions: netmap's three pools, interfaces, rings and buffers, at
 * the offsets netmap reports (nmreq_pools_info), in a shared memory object
 * that every process using the memory id maps: a NIC port, the pipes built
 * on it and their users in other processes see the same buffers, so buffer
 * swaps between them are zero-copy, as in netmap.
 *
 * Everything a user's processes share lives in that user's directory,
 * /dev/shm/pktmap-EUID, made 0700 and refused unless it is ours with that
 * mode: another user can neither pre-create, read nor squat what is in it.
 * The region object is NETNS.memID there, created O_EXCL, 0600, and checked
 * by owner, mode and size when it exists; the ports' wake-up sockets are
 * NETNS.memID.WHAT beside it (src/core/shrx.c).
 *
 * The object's first bytes (struct pm_region_meta, not mapped by
 * applications) hold the allocators under a robust process-shared mutex,
 * so a process that dies while allocating cannot wedge the others.  Each
 * user holds a shared flock on it; the last one out unlinks it, and objects
 * nobody holds (their users were all killed) are collected whenever a
 * region is opened or closed.
 * Pages are only backed when touched, so the pools have netmap's sizes.
 */
#include "core.h"

#include <pktmap.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define OWNER_ORPHAN UINT32_MAX /* a buffer whose owner is gone */

static pthread_mutex_t regions_lock = PTHREAD_MUTEX_INITIALIZER;
static struct pm_region *regions;

static size_t page_align(size_t n)
{
	return (n + 4095) & ~(size_t)4095;
}

int pm_user_path(char *buf, size_t len, const char *leaf)
{
	int n =
	    snprintf(buf, len, "/dev/shm/pktmap-%u%s%s", (unsigned)geteuid(),
		     leaf ? "/" : "", leaf ? leaf : "");

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/*
 * This user's directory, opened: made if missing, refused (-EACCES) unless
 * it is a real directory owned by us.  A mode we did not ask for is ours
 * to fix; what another user put in it is refused object by object.
 */
static int user_dir(void)
{
	char path[64];
	struct stat st;
	int fd;

	pm_user_path(path, sizeof(path), NULL);
	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		return -errno;
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		int err = errno == ELOOP || errno == ENOTDIR ? -EACCES : -errno;
		pm_log("%s: %s", path, strerror(-err));
		return err;
	}
	if (fstat(fd, &st) < 0 || st.st_uid != geteuid()) {
		pm_log("%s belongs to another user: refusing it", path);
		pm_libc.close(fd);
		return -EACCES;
	}
	if ((st.st_mode & 07777) != 0700 && fchmod(fd, 0700) < 0) {
		int err = -errno;
		pm_libc.close(fd);
		return err;
	}
	return fd;
}

/* Names are per network namespace, like the ports in them. */
static void region_name(uint16_t mem_id, char *buf, size_t len)
{
	struct stat st = {0};

	stat("/proc/self/ns/net", &st);
	snprintf(buf, len, "%lu.mem%u", (unsigned long)st.st_ino, mem_id);
}

/* Is @name a region object's, NETNS.memID, rather than a socket's? */
static bool is_region_name(const char *name)
{
	unsigned long ns;
	unsigned id;
	int n = 0;

	return sscanf(name, "%lu.mem%u%n", &ns, &id, &n) == 2 && !name[n];
}

int pm_region_of_socket(const char *path, uint16_t *mem_id, const char **what)
{
	char dir[64], ours[32];
	unsigned long ns;
	unsigned id;
	int n = 0;

	pm_user_path(dir, sizeof(dir), "");
	if (strncmp(path, dir, strlen(dir)) != 0)
		return -EINVAL;
	path += strlen(dir);
	if (sscanf(path, "%lu.mem%u%n", &ns, &id, &n) != 2 || !n ||
	    id > UINT16_MAX || path[n] != '.')
		return -EINVAL;
	region_name((uint16_t)id, ours, sizeof(ours));
	if (strncmp(path, ours, (size_t)n) != 0)
		return -EINVAL; /* another network namespace's */
	*mem_id = (uint16_t)id;
	*what = path + n + 1;
	return 0;
}

/*
 * Serialises creating, collecting and the last close of regions between
 * this user's processes: a flock on a file in the user's directory, which
 * nobody else can open.  The last close removes the directory with its
 * lock: a process that got the lock of a file unlinked meanwhile starts
 * again.  Returns the lock, and the directory in *@dir.
 */
static int lock_user_dir(int *dir)
{
	for (int tries = 0; tries < 16; tries++) {
		struct stat st;
		int lock = -1, err;

		*dir = err = user_dir();
		if (*dir >= 0) {
			lock = openat(*dir, "lock",
				      O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC,
				      0600);
			err = lock < 0 || flock(lock, LOCK_EX) < 0 ? -errno : 0;
		}
		if (!err && fstat(lock, &st) == 0 && st.st_nlink > 0)
			return lock;
		if (lock >= 0)
			pm_libc.close(lock);
		if (*dir >= 0)
			pm_libc.close(*dir);
		/* ENOENT, or a lock no longer linked: the directory went */
		if (err && err != -ENOENT)
			return err;
	}
	return -EAGAIN;
}

/*
 * This network namespace's cookie (0 before Linux 5.14): unlike its inode
 * number, which names regions, it is never given to another namespace.
 */
static uint64_t netns_cookie(void)
{
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	uint64_t cookie = 0;
	socklen_t len = sizeof(cookie);

	if (fd >= 0) {
		if (getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, &cookie, &len))
			cookie = 0;
		pm_libc.close(fd);
	}
	return cookie;
}

/*
 * Does the object hold persistent state (NEWIF ports)?  With @netns, only
 * if that namespace made it: a dead namespace's state does not pass to a
 * new one that got its inode number.
 */
static bool keeps(int fd, const uint64_t *netns)
{
	struct pm_region_meta m;

	return pread(fd, &m, offsetof(struct pm_region_meta, mem_id), 0) ==
		   (ssize_t)offsetof(struct pm_region_meta, mem_id) &&
	       m.magic == PM_REGION_MAGIC && m.keep > 0 &&
	       (!netns || m.netns == *netns);
}

/* The directory for reading, at its start (a dup would share offsets). */
static DIR *open_dir(int dir)
{
	int fd = openat(dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;

	if (fd >= 0 && !d)
		pm_libc.close(fd);
	return d;
}

/* With the lock held: the directory goes once only its lock is left. */
static void remove_user_dir_if_empty(int dir)
{
	char path[64];
	struct dirent *e;
	bool empty = true;
	DIR *d = open_dir(dir);

	if (!d)
		return;
	while (empty && (e = readdir(d)))
		empty = strcmp(e->d_name, ".") == 0 ||
			strcmp(e->d_name, "..") == 0 ||
			strcmp(e->d_name, "lock") == 0;
	closedir(d);
	if (!empty || pm_user_path(path, sizeof(path), NULL) < 0)
		return;
	unlinkat(dir, "lock", 0);
	rmdir(path);
}

/* A region object nobody holds goes, and the sockets of its ports too. */
static void remove_region(int dir, const char *name)
{
	size_t n = strlen(name);
	struct dirent *e;
	DIR *d;

	pm_log("removing %s", name);
	unlinkat(dir, name, 0);
	d = open_dir(dir);
	if (!d)
		return;
	while ((e = readdir(d)))
		if (strncmp(e->d_name, name, n) == 0 && e->d_name[n] == '.')
			unlinkat(dir, e->d_name, 0);
	closedir(d);
}

/* Takes the object's exclusive lock if nobody holds it; false if held. */
static bool unheld(int dir, const char *name)
{
	int fd = openat(dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	bool free_ =
	    fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0 && !keeps(fd, NULL);

	if (fd >= 0)
		pm_libc.close(fd);
	return free_;
}

/*
 * Removes this user's region objects that nobody holds: left behind when
 * every process using one was killed.  Called with the init lock held.
 */
static void collect_stale(int dir)
{
	struct dirent *e;
	DIR *d = open_dir(dir);

	if (!d)
		return;
	while ((e = readdir(d)))
		if (is_region_name(e->d_name) && unheld(dir, e->d_name))
			remove_region(dir, e->d_name);
	closedir(d);
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

size_t pm_region_object_size(void)
{
	struct pm_region r;

	geometry(&r);
	return PM_REGION_META + r.size;
}

/* A fresh object: zeroed pools, buffers 0 and 1 reserved as in netmap. */
static int meta_init(struct pm_region_meta *m, uint16_t mem_id, uint64_t netns)
{
	pthread_mutexattr_t a;

	/* the object was just truncated: all zeros, no page touched */
	m->mem_id = mem_id;
	m->netns = netns;
	m->buf_used[0] = 3;
	m->buf_hint = 2;
	pthread_mutexattr_init(&a);
	pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
	pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
	/* pipes find-or-create under it, and creating allocates under it */
	pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&m->lock, &a);
	pthread_mutexattr_destroy(&a);
	__atomic_store_n(&m->magic, PM_REGION_MAGIC, __ATOMIC_RELEASE);
	return 0;
}

static int region_map(struct pm_region *r, bool fresh, uint64_t netns)
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
		return meta_init(r->meta, r->mem_id, netns);
	return r->meta->magic == PM_REGION_MAGIC ? 0 : -EIO;
}

/*
 * Ours alone: created here (O_EXCL), or found owned by us, mode 0600,
 * and, unless it is to be made afresh, of the size we map.
 */
static int check_object(const struct pm_region *r, bool created, bool fresh)
{
	struct stat st;

	if (created && fchmod(r->fd, 0600) < 0) /* whatever the umask */
		return -errno;
	if (fstat(r->fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & 07777) != 0600) {
		pm_log("%s: not a file of ours with mode 0600: refusing it",
		       r->name);
		return -EACCES;
	}
	if (!fresh && (size_t)st.st_size != PM_REGION_META + r->size) {
		pm_log("%s: %jd bytes, not %zu", r->name, (intmax_t)st.st_size,
		       PM_REGION_META + r->size);
		return -EIO;
	}
	return 0;
}

static int region_open_object(struct pm_region *r, int dir)
{
	int flags = O_RDWR | O_NOFOLLOW | O_CLOEXEC, err;
	bool created, fresh;

	r->fd = openat(dir, r->name, flags | O_CREAT | O_EXCL, 0600);
	created = r->fd >= 0;
	if (!created && errno == EEXIST)
		r->fd = openat(dir, r->name, flags);
	if (r->fd < 0)
		return errno == ELOOP ? -EACCES : -errno;
	/*
	 * nobody holds it: new, or left by processes that were all killed,
	 * unless it keeps persistent state of this namespace
	 */
	uint64_t netns = netns_cookie();
	fresh = created ||
		(flock(r->fd, LOCK_EX | LOCK_NB) == 0 && !keeps(r->fd, &netns));
	err = check_object(r, created, fresh);
	if (!err && flock(r->fd, LOCK_SH) < 0)
		err = -errno;
	if (!err)
		err = region_map(r, fresh, netns);
	if (err) {
		pm_libc.close(r->fd);
		return err;
	}
	pm_log("mem_id %u: %s, %zu bytes%s", r->mem_id, r->name, r->size,
	       fresh ? " (new)" : "");
	return 0;
}

static int region_open(uint16_t mem_id, struct pm_region **out)
{
	struct pm_region *r = calloc(1, sizeof(*r));
	int dir, lock, err;

	if (!r)
		return -ENOMEM;
	r->mem_id = mem_id;
	geometry(r);
	region_name(mem_id, r->name, sizeof(r->name));
	lock = err = lock_user_dir(&dir);
	if (lock >= 0) {
		collect_stale(dir);
		err = region_open_object(r, dir);
		pm_libc.close(lock);
		pm_libc.close(dir);
	}
	if (err) {
		pm_log("mem_id %u: %s", mem_id, strerror(-err));
		free(r);
		return err;
	}
	*out = r;
	return 0;
}

/*
 * Our descriptor goes first: a forked child may share it, and its lock
 * with it.  Then a fresh descriptor gets the exclusive lock only if no
 * process anywhere still holds the region: then the name goes too.
 */
static void region_close(struct pm_region *r)
{
	int dir, lock = lock_user_dir(&dir);

	munmap(r->meta, PM_REGION_META + r->size);
	pm_libc.close(r->fd);
	if (lock >= 0) { /* one that keeps state stays: see keeps() */
		if (unheld(dir, r->name))
			remove_region(dir, r->name);
		collect_stale(dir);
		remove_user_dir_if_empty(dir);
		pm_libc.close(lock);
		pm_libc.close(dir);
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

/* The pool index of @p, an object of the pool at @ofs; -1 if it is not. */
static long pool_index(const struct pm_region *r, size_t ofs, uint32_t size,
		       uint32_t total, const void *p)
{
	size_t at = pm_region_offset(r, p);

	if (at < ofs || at >= ofs + (size_t)size * total || (at - ofs) % size)
		return -1;
	return (long)((at - ofs) / size);
}

void pm_region_free_if(struct pm_region *r, void *nifp)
{
	long i = pool_index(r, r->if_ofs, r->if_objsize, r->if_total, nifp);

	pm_region_lock(r);
	if (i >= 0 && r->meta->if_used[i] > 0)
		r->meta->if_used[i]--; /* files of other processes share it */
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
	long i =
	    pool_index(r, r->ring_ofs, r->ring_objsize, r->ring_total, ring);

	pm_region_lock(r);
	if (i >= 0)
		r->meta->ring_used[i] = 0;
	pm_region_unlock(r);
}

uint32_t pm_region_new_owner(struct pm_region *r)
{
	uint32_t o;

	pm_region_lock(r);
	do
		o = ++r->meta->owner_seq;
	while (o == 0 || o == OWNER_ORPHAN);
	pm_region_unlock(r);
	return o;
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

/* Gives each of @n slots a free buffer, @owner's; all or nothing. */
int pm_region_alloc_bufs(struct pm_region *r, struct netmap_slot *slots,
			 uint32_t n, uint32_t owner)
{
	struct pm_region_meta *m = r->meta;
	uint32_t got = 0, scanned = 0, i;

	pm_region_lock(r);
	i = m->buf_hint;
	for (; got < n && scanned < r->buf_total; scanned++) {
		if (i >= r->buf_total || i < 2)
			i = 2;
		if (!buf_is_used(m, i)) {
			buf_set(m, i, true);
			m->buf_owner[i] = owner;
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

/*
 * @n free buffers in a row for @owner, the first at an even index (so at a
 * page's start): an AF_XDP port's UMEM.  *first gets the first.
 */
int pm_region_alloc_range(struct pm_region *r, uint32_t n, uint32_t owner,
			  uint32_t *first)
{
	struct pm_region_meta *m = r->meta;
	uint32_t run = 0, start = 0;

	pm_region_lock(r);
	for (uint32_t i = 2; i < r->buf_total && run < n; i++) {
		if (buf_is_used(m, i) || (run == 0 && i % 2)) {
			run = 0;
			continue;
		}
		if (run++ == 0)
			start = i;
	}
	if (run < n) {
		pm_region_unlock(r);
		return -ENOMEM;
	}
	for (uint32_t i = start; i < start + n; i++) {
		buf_set(m, i, true);
		m->buf_owner[i] = owner;
	}
	pm_region_unlock(r);
	*first = start;
	return 0;
}

/*
 * Returns the buffers of @n slots that are @owner's: a slot the application
 * pointed at another port's buffer (or at a free one, or twice at one)
 * frees nothing.  Buffers whose owner is gone (see pm_region_disown) go
 * with whoever holds them.
 */
void pm_region_free_bufs(struct pm_region *r, const struct netmap_slot *slots,
			 uint32_t n, uint32_t owner)
{
	struct pm_region_meta *m = r->meta;

	pm_region_lock(r);
	for (uint32_t k = 0; k < n; k++) {
		uint32_t i = *(volatile const uint32_t *)&slots[k].buf_idx;
		if (i < 2 || i >= r->buf_total || !buf_is_used(m, i) ||
		    (m->buf_owner[i] != owner &&
		     m->buf_owner[i] != OWNER_ORPHAN))
			continue;
		buf_set(m, i, false);
		m->buf_owner[i] = 0;
	}
	pm_region_unlock(r);
}

/*
 * A ring its dead owner's application may have scribbled on, kept for the
 * next one (a persistent port): every slot gets back a buffer of @owner's,
 * used and in no other slot of @ring; one that is not gets a fresh one.
 * Returns the slots mended, or -ENOMEM.
 */
int pm_region_mend_ring(struct pm_region *r, struct netmap_ring *ring,
			uint32_t nslots, uint32_t owner)
{
	struct pm_region_meta *m = r->meta;
	uint64_t *seen = calloc(r->buf_total / 64, sizeof(*seen));
	int mended = 0;

	if (!seen)
		return -ENOMEM;
	pm_region_lock(r);
	for (uint32_t k = 0; k < nslots && mended >= 0; k++) {
		uint32_t i = *(volatile uint32_t *)&ring->slot[k].buf_idx;
		if (i >= 2 && i < r->buf_total && buf_is_used(m, i) &&
		    m->buf_owner[i] == owner &&
		    !(seen[i / 64] & (1ull << (i % 64)))) {
			seen[i / 64] |= 1ull << (i % 64);
			continue;
		}
		struct netmap_slot fresh;
		if (pm_region_alloc_bufs(r, &fresh, 1, owner) < 0) {
			mended = -ENOMEM;
			break;
		}
		ring->slot[k] = fresh;
		seen[fresh.buf_idx / 64] |= 1ull << (fresh.buf_idx % 64);
		mended++;
	}
	pm_region_unlock(r);
	free(seen);
	return mended;
}

/* Marks in @present every buffer index a used ring's slots hold. */
static void mark_in_rings(struct pm_region *r, uint64_t *present)
{
	const uint32_t room = (r->ring_objsize - sizeof(struct netmap_ring)) /
			      sizeof(struct netmap_slot);

	for (uint32_t k = 0; k < r->ring_total; k++) {
		if (!r->meta->ring_used[k])
			continue;
		struct netmap_ring *ring =
		    (void *)((char *)r->base + r->ring_ofs +
			     (size_t)k * r->ring_objsize);
		uint32_t n = *(volatile const uint32_t *)&ring->num_slots;
		for (uint32_t i = 0; i < n && i < room; i++) {
			uint32_t idx =
			    *(volatile const uint32_t *)&ring->slot[i].buf_idx;
			if (idx < r->buf_total)
				present[idx / 64] |= 1ull << (idx % 64);
		}
	}
}

/*
 * @owner is gone, its rings deleted.  What it allocated and is still in
 * use was lost by its application (a forged slot or list) or swapped into
 * another ring: the first is freed, the second left to whoever holds it.
 * Only what @owner allocated is looked at.
 */
void pm_region_disown(struct pm_region *r, uint32_t owner)
{
	struct pm_region_meta *m = r->meta;
	uint64_t *present = NULL;

	pm_region_lock(r);
	for (uint32_t w = 0; w < r->buf_total / 64; w++) {
		for (uint64_t set = m->buf_used[w]; set; set &= set - 1) {
			uint32_t i = w * 64 + (uint32_t)__builtin_ctzll(set);
			if (m->buf_owner[i] != owner)
				continue;
			if (!present) { /* once, and only if needed */
				present =
				    calloc(r->buf_total / 64, sizeof(*present));
				if (!present)
					goto out;
				mark_in_rings(r, present);
			}
			if (present[w] & (1ull << (i % 64))) {
				m->buf_owner[i] = OWNER_ORPHAN;
			} else {
				buf_set(m, i, false);
				m->buf_owner[i] = 0;
			}
		}
	}
out:
	pm_region_unlock(r);
	free(present);
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

PM_PUBLIC int pktmap_pool_usage_get(int fd, struct pktmap_pool_usage *u)
{
	struct pm_file *f = pm_fd_get(fd);
	struct pm_region *r = f && f->port ? f->port->mem : NULL;

	if (!r || !u) {
		if (f)
			pm_file_put(f);
		errno = !u ? EFAULT : ENXIO;
		return -1;
	}
	*u = (struct pktmap_pool_usage){.if_total = r->if_total,
					.ring_total = r->ring_total,
					.buf_total = r->buf_total};
	pm_region_lock(r);
	for (uint32_t i = 0; i < r->if_total; i++)
		u->if_used += r->meta->if_used[i] != 0;
	for (uint32_t i = 0; i < r->ring_total; i++)
		u->ring_used += r->meta->ring_used[i] != 0;
	for (uint32_t w = 0; w < r->buf_total / 64; w++)
		u->buf_used +=
		    (uint32_t)__builtin_popcountll(r->meta->buf_used[w]);
	pm_region_unlock(r);
	pm_file_put(f);
	return 0;
}
