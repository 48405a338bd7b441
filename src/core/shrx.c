/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Shared rx rings: an rx ring that other processes fill (a VALE port's, a
 * monitor's).  Writers copy frames in under a robust process-shared lock,
 * so one that dies holding it stops no one; the owner drains it without a
 * lock.  The owner sleeps as netmap's need-kick protocol has it: it sets a
 * flag before sleeping, and the writer that sees the flag sends one
 * datagram to the owner's socket, which poll waits on.  With no sleeper
 * there is no system call.  The sockets are files in the user's 0700
 * directory: no other user can bind, squat or flood them.
 */
#include "core.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

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
	pthread_mutexattr_t a;

	memset(x, 0, sizeof(*x));
	x->ring_ofs = pm_region_offset(r, ring);
	x->nslots = nslots;
	snprintf(x->owner, sizeof(x->owner), "%s", owner);
	pthread_mutexattr_init(&a);
	pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
	pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
	pthread_mutex_init(&x->lock, &a);
	pthread_mutexattr_destroy(&a);
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
	struct sockaddr_un sun;
	socklen_t len;

	if (!atomic_load_explicit(&x->wants_kick, memory_order_relaxed) ||
	    !atomic_exchange(&x->wants_kick, 0))
		return;
	if (sender < 0)
		sender = socket(AF_UNIX,
				SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	len = kick_address(x->owner, &sun);
	if (len)
		sendto(sender, "", 1, MSG_DONTWAIT, (struct sockaddr *)&sun,
		       len);
}

/*
 * A writer takes the ring for a run of frames: one lock, and the frames
 * published (hwtail) and the owner woken once, at the end.
 */
void pm_shrx_begin(struct pm_shrx_writer *w, struct pm_region *r,
		   struct pm_shrx *x)
{
	if (pthread_mutex_lock(&x->lock) == EOWNERDEAD)
		pthread_mutex_consistent(&x->lock); /* a writer died here */
	*w = (struct pm_shrx_writer){
	    .x = x,
	    .dst = {.ring = (void *)((char *)r->base + x->ring_ofs),
		    .nslots = x->nslots,
		    .buf_size = r->buf_size},
	    .tail = atomic_load_explicit(&x->hwtail, memory_order_relaxed),
	};
}

/* Room for @need slots, looking again at what the owner released. */
static bool room_for(struct pm_shrx_writer *w, uint32_t need)
{
	if (need > w->room) {
		uint32_t cur =
		    atomic_load_explicit(&w->x->hwcur, memory_order_acquire);
		w->room = (cur + w->dst.nslots - 1 - w->tail) % w->dst.nslots;
	}
	if (need > w->room) {
		atomic_fetch_add(&w->x->drops, 1);
		return false;
	}
	w->room -= need;
	return true;
}

bool pm_shrx_add(struct pm_shrx_writer *w, const struct pm_piece *pc, int np,
		 uint32_t len, uint16_t flags)
{
	uint32_t need = len ? (len + w->dst.buf_size - 1) / w->dst.buf_size : 1;

	if (!room_for(w, need))
		return false;
	uint32_t used = pm_scatter(&w->dst, w->tail, pc, np, need);
	for (uint32_t i = 0; i < used; i++) {
		w->dst.ring->slot[w->tail].flags |= flags;
		w->tail = pm_next(&w->dst, w->tail);
	}
	w->added = true;
	return true;
}

bool pm_shrx_swap(struct pm_shrx_writer *w, struct pm_kring *k, uint32_t i,
		  uint32_t n)
{
	if (!room_for(w, n))
		return false;
	for (uint32_t j = 0; j < n; j++, i = pm_next(k, i)) {
		struct netmap_slot *s = &k->ring->slot[i];
		struct netmap_slot *d = &w->dst.ring->slot[w->tail];
		uint32_t idx = d->buf_idx;
		d->buf_idx = s->buf_idx;
		d->len = s->len;
		d->flags = (s->flags & NS_MOREFRAG) | NS_BUF_CHANGED;
		s->buf_idx = idx;
		s->flags |= NS_BUF_CHANGED;
		w->tail = pm_next(&w->dst, w->tail);
	}
	w->added = true;
	return true;
}

void pm_shrx_end(struct pm_shrx_writer *w)
{
	if (w->added)
		atomic_store_explicit(&w->x->hwtail, w->tail,
				      memory_order_release);
	pthread_mutex_unlock(&w->x->lock);
	if (w->added)
		kick(w->x);
}

int pm_shrx_rxsync(struct pm_kring *k)
{
	struct pm_shrx *x = k->priv;

	atomic_store_explicit(&x->hwcur, k->hwcur, memory_order_release);
	k->hwtail = atomic_load_explicit(&x->hwtail, memory_order_acquire);
	return 0;
}

bool pm_shrx_arm(struct pm_kring *k)
{
	struct pm_shrx *x = k->priv;

	atomic_store(&x->wants_kick, 1);
	return atomic_load(&x->hwtail) != k->hwtail;
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
