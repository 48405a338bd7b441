/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Shared rx rings: an rx ring that other processes fill (a VALE port's, a
 * monitor's).  Writers copy frames in under a robust process-shared lock,
 * so one that dies holding it stops no one, and one that is stopped holding
 * it costs the others one bounded wait, then drops (counted) until it lets
 * go; the owner drains it without a lock.  Writers trust nothing of the
 * ring: not its place, its size, its pointers nor its slots.  The owner sleeps
 * as netmap's need-kick protocol has it: it sets a flag before sleeping, and
 * the writer that sees the flag sends one datagram to the owner's socket,
 * which poll waits on.  With no sleeper there is no system call.  The
 * sockets are files in the user's 0700 directory: no other user can bind,
 * squat or flood them.
 */
#include "core.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define PM_SHRX_LOCK_MADE 0x6c6f636bu /* "lock" */

/*
 * @name's socket in the user's directory; 0 if @name is no plain name
 * (it may come from shared memory: a kick never leaves the directory).
 */
static socklen_t kick_address(const char *name, struct sockaddr_un *sun)
{
	char plain[sizeof(((struct pm_shrx *)0)->owner)];

	snprintf(plain, sizeof(plain), "%s", name);
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	if (!plain[0] || plain[0] == '.' || strchr(plain, '/') ||
	    pm_user_path(sun->sun_path, sizeof(sun->sun_path), plain) < 0)
		return 0;
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
			   strlen(sun->sun_path) + 1);
}

void pm_shrx_init(struct pm_shrx *x, struct pm_region *r,
		  struct netmap_ring *ring, uint32_t nslots, const char *owner)
{
	const size_t keep = offsetof(struct pm_shrx, hwtail);
	pthread_mutexattr_t a;

	memset((char *)x + keep, 0, sizeof(*x) - keep);
	x->ring_ofs = pm_region_offset(r, ring);
	x->nslots = nslots;
	snprintf(x->owner, sizeof(x->owner), "%s", owner);
	if (*(volatile uint32_t *)&x->lock_made == PM_SHRX_LOCK_MADE)
		return;
	pthread_mutexattr_init(&a);
	pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
	pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
	pthread_mutex_init(&x->lock, &a);
	pthread_mutexattr_destroy(&a);
	x->lock_made = PM_SHRX_LOCK_MADE;
}

/* Does a live socket have that address?  A dead one's refuses. */
static bool address_held(const struct sockaddr_un *sun, socklen_t len)
{
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	bool held =
	    fd >= 0 && connect(fd, (const struct sockaddr *)sun, len) == 0;

	if (fd >= 0)
		pm_libc.close(fd);
	return held;
}

int pm_shrx_claim(const char *owner)
{
	struct sockaddr_un sun;
	socklen_t len = kick_address(owner, &sun);
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	int err = 0;

	if (!len)
		err = -EINVAL;
	else if (fd < 0)
		err = -errno;
	else if (bind(fd, (struct sockaddr *)&sun, len) < 0) {
		err = errno == EADDRINUSE ? -EBUSY : -errno;
		/* a socket file its dead owner left: ours now */
		if (err == -EBUSY && !address_held(&sun, len) &&
		    unlink(sun.sun_path) == 0)
			err = bind(fd, (struct sockaddr *)&sun, len) < 0
				  ? (errno == EADDRINUSE ? -EBUSY : -errno)
				  : 0;
	}
	if (err && fd >= 0)
		pm_libc.close(fd);
	return err ? err : fd;
}

bool pm_shrx_held(const char *owner)
{
	struct sockaddr_un sun;
	socklen_t len = kick_address(owner, &sun);

	return len && address_held(&sun, len);
}

void pm_shrx_release(const char *owner)
{
	struct sockaddr_un sun;
	socklen_t len = kick_address(owner, &sun);

	if (len && !address_held(&sun, len))
		unlink(sun.sun_path);
}

static void kick(struct pm_shrx *x)
{
	static int sender = -1;
	char owner[sizeof(x->owner)];
	struct sockaddr_un sun;
	socklen_t len;

	if (!atomic_load_explicit(&x->wants_kick, memory_order_relaxed) ||
	    !atomic_exchange(&x->wants_kick, 0))
		return;
	if (sender < 0)
		sender = socket(AF_UNIX,
				SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	memcpy(owner, x->owner, sizeof(owner)); /* shared: maybe unterminated */
	owner[sizeof(owner) - 1] = '\0';
	len = kick_address(owner, &sun);
	if (len)
		sendto(sender, "", 1, MSG_DONTWAIT, (struct sockaddr *)&sun,
		       len);
}

/*
 * The writers' lock, without waiting on a writer that does not run: a
 * free lock is taken at once; a held one is waited for at most
 * PM_SHRX_WAIT_MS, and not at all while the ring is marked stalled.
 */
static bool lock_writers(struct pm_shrx *x)
{
	int err = pthread_mutex_trylock(&x->lock);

	if (unlikely(err == EBUSY)) {
		struct timespec t;
		if (atomic_load_explicit(&x->stalled, memory_order_relaxed))
			return false;
		clock_gettime(CLOCK_MONOTONIC, &t);
		t.tv_nsec += PM_SHRX_WAIT_MS % 1000 * 1000000L;
		t.tv_sec += PM_SHRX_WAIT_MS / 1000 + t.tv_nsec / 1000000000L;
		t.tv_nsec %= 1000000000L;
		err = pthread_mutex_clocklock(&x->lock, CLOCK_MONOTONIC, &t);
		if (err == ETIMEDOUT) {
			pm_log("a writer holds a ring for %d ms: stalled",
			       PM_SHRX_WAIT_MS);
			atomic_store(&x->stalled, 1);
		}
	}
	if (unlikely(err == EOWNERDEAD)) {
		pthread_mutex_consistent(&x->lock); /* a writer died here */
		err = 0;
	}
	if (unlikely(err))
		return false;
	if (unlikely(atomic_load_explicit(&x->stalled, memory_order_relaxed)))
		atomic_store(&x->stalled, 0);
	return true;
}

/* The ring's geometry from its bookkeeping, each field read once, checked. */
static bool dst_geometry(struct pm_shrx_writer *w, struct pm_region *r)
{
	uint64_t ofs = *(volatile uint64_t *)&w->x->ring_ofs;
	uint32_t n = *(volatile uint32_t *)&w->x->nslots;
	struct netmap_ring *ring = pm_region_ring_at(r, ofs, n);

	w->tail = atomic_load_explicit(&w->x->hwtail, memory_order_relaxed);
	if (unlikely(!ring || w->tail >= n))
		return false;
	/* only what pm_scatter uses: zeroing a whole kring costs per run */
	w->dst.ring = ring;
	w->dst.nslots = n;
	w->dst.buf_total = r->buf_total;
	w->dst.buf_size = r->buf_size;
	w->dst.bufs = (char *)r->base + r->buf_ofs;
	w->dst.scatter_bad = false;
	return true;
}

/*
 * A writer takes the ring for a run of frames: one lock, and the frames
 * published (hwtail) and the owner woken once, at the end.
 */
bool pm_shrx_begin(struct pm_shrx_writer *w, struct pm_region *r,
		   struct pm_shrx *x)
{
	w->x = x;
	w->room = 0;
	w->added = false;
	w->taken = lock_writers(x);
	if (likely(w->taken) && unlikely(!dst_geometry(w, r))) {
		pm_log("a shared ring's bookkeeping is broken: frames dropped");
		pthread_mutex_unlock(&x->lock);
		w->taken = false;
	}
	return w->taken;
}

/* The ring's port went away: nothing goes in, nothing is counted. */
void pm_shrx_forget(struct pm_shrx_writer *w)
{
	pm_shrx_end(w);
	w->x = NULL;
}

static bool dropped(struct pm_shrx_writer *w)
{
	if (w->x)
		atomic_fetch_add_explicit(&w->x->drops, 1,
					  memory_order_relaxed);
	return false;
}

/* Room for @need slots, looking again at what the owner released. */
static bool room_for(struct pm_shrx_writer *w, uint32_t need)
{
	if (need > w->room) {
		uint32_t n = w->dst.nslots,
			 cur = atomic_load_explicit(&w->x->hwcur,
						    memory_order_acquire);
		w->room = cur >= n	  ? 0 /* the owner wrote nonsense */
			  : cur > w->tail ? cur - 1 - w->tail
					  : cur + n - 1 - w->tail;
	}
	if (need > w->room)
		return false;
	w->room -= need;
	return true;
}

bool pm_shrx_add(struct pm_shrx_writer *w, const struct pm_piece *pc, int np,
		 uint32_t len, uint16_t flags)
{
	if (unlikely(!w->taken))
		return dropped(w);
	uint32_t need = len ? (len + w->dst.buf_size - 1) / w->dst.buf_size : 1;
	if (!room_for(w, need))
		return dropped(w);
	uint32_t used = pm_scatter(&w->dst, w->tail, pc, np, need);
	for (uint32_t i = 0; i < used; i++) {
		w->dst.ring->slot[w->tail].flags |= flags;
		w->tail = pm_next(&w->dst, w->tail);
	}
	w->added = true;
	if (unlikely(w->dst.scatter_bad)) { /* the owner broke its own slots */
		w->dst.scatter_bad = false;
		return dropped(w);
	}
	return true;
}

/*
 * Buffers change places: each index is read once and both must be in the
 * pool, else the slot is not swapped and the frame counts as dropped.
 */
bool pm_shrx_swap(struct pm_shrx_writer *w, struct pm_kring *k, uint32_t i,
		  uint32_t n)
{
	bool ok = true;

	if (unlikely(!w->taken) || !room_for(w, n))
		return dropped(w);
	for (uint32_t j = 0; j < n; j++, i = pm_next(k, i)) {
		struct netmap_slot *s = &k->ring->slot[i];
		struct netmap_slot *d = &w->dst.ring->slot[w->tail];
		struct pm_slot_copy sc = pm_slot_read(s), dc = pm_slot_read(d);
		w->tail = pm_next(&w->dst, w->tail);
		if (unlikely(!pm_slot_ok(k, sc) ||
			     !pm_buf_ok(&w->dst, dc.idx))) {
			d->len = 0;
			d->flags = sc.flags & NS_MOREFRAG;
			ok = false;
			continue;
		}
		d->buf_idx = sc.idx;
		d->len = sc.len;
		d->flags = (sc.flags & NS_MOREFRAG) | NS_BUF_CHANGED;
		s->buf_idx = dc.idx;
		s->flags |= NS_BUF_CHANGED;
	}
	w->added = true;
	return ok || dropped(w);
}

void pm_shrx_end(struct pm_shrx_writer *w)
{
	if (!w->taken)
		return;
	w->taken = false;
	if (w->added)
		atomic_store_explicit(&w->x->hwtail, w->tail,
				      memory_order_release);
	pthread_mutex_unlock(&w->x->lock);
	if (w->added)
		kick(w->x);
}

void pm_shrx_retire(_Atomic uint32_t *seq, struct pm_shrx *rx, uint32_t n)
{
	uint32_t s = atomic_load(seq);

	atomic_store(seq, s + (s & 1));
	for (uint32_t k = 0; k < n; k++)
		if (lock_writers(&rx[k]))
			pthread_mutex_unlock(&rx[k].lock);
}

/*
 * What the writers filled, if it lies where they may write: from our
 * hwtail up to the slot before hwcur.  Anything else is ignored.
 */
static uint32_t filled_to(const struct pm_kring *k, const struct pm_shrx *x)
{
	uint32_t t = atomic_load_explicit(&x->hwtail, memory_order_acquire);

	return t < k->nslots && pm_in_window(t, k->hwtail, pm_prev(k, k->hwcur))
		   ? t
		   : k->hwtail;
}

int pm_shrx_rxsync(struct pm_kring *k)
{
	struct pm_shrx *x = k->priv;

	atomic_store_explicit(&x->hwcur, k->hwcur, memory_order_release);
	k->hwtail = filled_to(k, x);
	return 0;
}

bool pm_shrx_arm(struct pm_kring *k)
{
	struct pm_shrx *x = k->priv;

	atomic_store(&x->wants_kick, 1);
	return filled_to(k, x) != k->hwtail;
}

void pm_shrx_disarm(struct pm_kring *k, bool woke)
{
	struct pm_shrx *x = k->priv;
	char buf[64];

	atomic_store(&x->wants_kick, 0);
	while (woke && recv(k->wait_fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
}

/* Frames that found the ring full; for a port's tx rings, none. */
uint64_t pm_shrx_drops(struct pm_kring *k)
{
	return k->dir == PM_RX
		   ? atomic_load(&((struct pm_shrx *)k->priv)->drops)
		   : 0;
}
