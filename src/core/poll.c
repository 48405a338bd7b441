/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * poll() on netmap files, with netmap's semantics:
 *   - every poll txsyncs the bound tx rings (unless NR_NO_TX_POLL), so a
 *     program that only ever polls for POLLIN still transmits;
 *   - POLLIN: rxsync, ready when an rx ring has cur != tail;
 *   - POLLOUT: ready when a tx ring has cur != tail;
 *   - POLLERR: not registered, interface gone, or this poll found a bad
 *     head, cur or slot and reinitialised the ring.
 * While nothing is ready the caller sleeps in the real ppoll(), on its own
 * descriptors and on the descriptors of the rings that can make progress.
 */
#include "core.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define STACK_FDS 64

static bool ring_has_work(const struct pm_kring *k)
{
	return __atomic_load_n(&k->ring->cur, __ATOMIC_RELAXED) !=
	       __atomic_load_n(&k->ring->tail, __ATOMIC_RELAXED);
}

static bool any_ring_ready(struct pm_file *f, enum pm_dir dir)
{
	for (uint32_t i = f->first[dir]; i < f->last[dir]; i++)
		if (ring_has_work(&f->port->rings[dir][i]))
			return true;
	return false;
}

/* Syncs as netmap's poll does and returns the file's revents. */
static short file_revents(struct pm_file *f, short events)
{
	short rev = 0;

	if (!f->port || atomic_load(&f->port->dead))
		return POLLERR;
	int tx_err = 0, rx_err = 0;

	if ((events & POLLOUT) || !(f->flags & NR_NO_TX_POLL))
		tx_err = pm_file_sync(f, PM_TX);
	if (events & POLLIN)
		rx_err = pm_file_sync(f, PM_RX);
	if ((events & POLLOUT) && any_ring_ready(f, PM_TX))
		rev |= POLLOUT;
	if ((events & POLLIN) && any_ring_ready(f, PM_RX))
		rev |= POLLIN;
	/* a ring this poll reinitialised, or the interface went away */
	if (tx_err == -EINVAL || rx_err == -EINVAL ||
	    atomic_load(&f->port->dead))
		rev |= POLLERR;
	return rev;
}

/*
 * The ring descriptors worth sleeping on: those that can make progress.
 * Rings fed by another process ask it for a wake-up first (arm); one that
 * got work meanwhile sets *ready instead.
 */
static nfds_t add_wait_fds(struct pm_file *f, short events, struct pollfd *out,
			   struct pm_kring **armed, nfds_t room, bool *ready)
{
	struct pm_port *p = f->port;
	nfds_t n = 0;

	if (!p)
		return 0;
	for (int d = 0; d < 2; d++) {
		for (uint32_t i = f->first[d]; i < f->last[d] && n < room;
		     i++) {
			struct pm_kring *k = &p->rings[d][i];
			bool wanted =
			    d == PM_RX
				? (events & POLLIN) &&
				      pm_next(k, k->hwtail) != k->hwcur
				: k->hwcur != k->rhead ||
				      ((events & POLLOUT) && !ring_has_work(k));
			if (!wanted || k->wait_fd < 0)
				continue;
			armed[n] = p->ops->arm ? k : NULL;
			if (armed[n] && p->ops->arm(k))
				*ready = true;
			out[n++] =
			    (struct pollfd){k->wait_fd, k->wait_events, 0};
		}
	}
	return n;
}

static nfds_t wait_fd_count(struct pm_file *f)
{
	if (!f->port)
		return 0;
	return (f->last[PM_RX] - f->first[PM_RX]) +
	       (f->last[PM_TX] - f->first[PM_TX]);
}

static int64_t now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1000000000ll + t.tv_nsec;
}

/* After a ring's descriptor reported an error: is the port still there? */
static void check_port(struct pm_file *f)
{
	struct pm_port *p = f->port;

	if (p && !atomic_load(&p->dead) && p->ops->check &&
	    p->ops->check(p) < 0)
		atomic_store(&p->dead, true);
}

/*
 * The netmap files among @fds, referenced for the whole call: a descriptor
 * closed by another thread meanwhile leaves its file (and rings) to this
 * poll, which completes on it as Linux's poll does on the file it found.
 */
static struct pm_file **get_files(const struct pollfd *fds, nfds_t n,
				  struct pm_file **files)
{
	if (n > STACK_FDS && !(files = malloc(n * sizeof(*files))))
		return NULL;
	for (nfds_t i = 0; i < n; i++)
		files[i] = pm_fd_get(fds[i].fd);
	return files;
}

static void put_files(struct pm_file **files, nfds_t n)
{
	for (nfds_t i = 0; i < n; i++)
		if (files[i])
			pm_file_put(files[i]);
}

/*
 * @timeout NULL waits forever.  Returns what ppoll() returns; the revents
 * of netmap descriptors come from their rings.
 */
int pm_poll(struct pollfd *fds, nfds_t n, const struct timespec *timeout,
	    const sigset_t *sigmask)
{
	struct pollfd stack_w[STACK_FDS], *w = stack_w;
	nfds_t stack_owner[STACK_FDS], *owner = stack_owner;
	struct pm_kring *stack_armed[STACK_FDS], **armed = stack_armed;
	struct pm_file *stack_files[STACK_FDS], **files;
	int64_t deadline = 0;
	nfds_t cap = n;
	int ret = -1;

	if (timeout)
		deadline = now_ns() + timeout->tv_sec * 1000000000ll +
			   timeout->tv_nsec;
	files = get_files(fds, n, stack_files);
	if (!files) {
		errno = ENOMEM;
		return -1;
	}
	for (nfds_t i = 0; i < n; i++)
		if (files[i])
			cap += wait_fd_count(files[i]);
	if (cap > STACK_FDS) {
		w = malloc(cap * sizeof(*w));
		owner = malloc(cap * sizeof(*owner));
		armed = malloc(cap * sizeof(*armed));
		if (!w || !owner || !armed) {
			errno = ENOMEM;
			goto out;
		}
	}

	/*
	 * Past the deadline, a ring that woke gets one more round to show
	 * its work, not more: a descriptor that stays ready with nothing a
	 * sync can take must not keep poll past its timeout.
	 */
	for (bool late = false;;) {
		int nm_ready = 0, other_ready = 0;
		bool ring_woke = false, progress = false;
		nfds_t m = 0;

		for (nfds_t i = 0; i < n; i++) {
			struct pm_file *f = files[i];
			nfds_t added = 1;
			armed[m] = NULL;
			if (!f) {
				w[m] = (struct pollfd){fds[i].fd, fds[i].events,
						       0};
			} else {
				fds[i].revents = file_revents(f, fds[i].events);
				nm_ready += fds[i].revents != 0;
				added = nm_ready
					    ? 0
					    : add_wait_fds(f, fds[i].events,
							   w + m, armed + m,
							   cap - m, &progress);
			}
			for (nfds_t j = 0; j < added; j++)
				owner[m++] = i;
		}

		int64_t left = timeout ? deadline - now_ns() : 0;
		bool expired = timeout && left <= 0;
		struct timespec t = {0, 0};
		if (timeout && !nm_ready && !progress && !expired) {
			t.tv_sec = left / 1000000000ll;
			t.tv_nsec = left % 1000000000ll;
		}
		bool forever = !timeout && !nm_ready && !progress;
		int r = pm_libc.ppoll(w, m, forever ? NULL : &t, sigmask);
		if (r < 0) {
			if (!nm_ready)
				goto out; /* EINTR and friends, as ppoll */
			r = 0;
		}

		for (nfds_t j = 0; j < m; j++) {
			struct pollfd *u = &fds[owner[j]];
			struct pm_file *f = files[owner[j]];
			if (armed[j])
				armed[j]->port->ops->disarm(
				    armed[j], r > 0 && (w[j].revents & POLLIN));
			if (!f) {
				u->revents = w[j].revents;
				other_ready += u->revents != 0;
			} else if (w[j].revents) {
				ring_woke = true;
				if (w[j].revents &
				    (POLLERR | POLLHUP | POLLNVAL))
					check_port(f);
			}
		}
		ret = nm_ready + other_ready;
		if (ret || (expired && (late || (!ring_woke && !progress))))
			goto out;
		late = expired;
	}
out:
	if (w != stack_w) {
		free(w);
		free(owner);
		free(armed);
	}
	put_files(files, n);
	if (files != stack_files)
		free(files);
	return ret;
}
