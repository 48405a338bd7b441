/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * epoll over netmap files.  A netmap descriptor never enters the kernel's
 * epoll set (a memfd is always ready and never syncs); the shim keeps it
 * aside, and epoll_wait on a set that has any runs the poll engine over
 * the set's own descriptor and those netmap files, so they sync and sleep
 * exactly as with poll.  Netmap files are level-triggered here: EPOLLET
 * and EPOLLONESHOT are not honoured for them.
 */
#include "control/control.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>

struct watch {
	int epfd, fd;
	struct epoll_event ev;
	struct watch *next;
};

static pthread_mutex_t watches_lock = PTHREAD_MUTEX_INITIALIZER;
static struct watch *watches;
static atomic_int nwatches; /* fast path: no netmap file watched at all */

static int (*real_ctl)(int, int, int, struct epoll_event *);
static int (*real_pwait)(int, struct epoll_event *, int, int, const sigset_t *);

static void resolve(void)
{
	if (!real_pwait) {
		real_ctl = dlsym(RTLD_NEXT, "epoll_ctl");
		real_pwait = dlsym(RTLD_NEXT, "epoll_pwait");
	}
}

static struct watch **find(int epfd, int fd)
{
	struct watch **w = &watches;

	while (*w && ((*w)->epfd != epfd || (*w)->fd != fd))
		w = &(*w)->next;
	return w;
}

PM_PUBLIC int epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev)
{
	resolve();
	if (likely(!pm_fd_lookup(fd)))
		return real_ctl(epfd, op, fd, ev);

	int err = 0;
	pthread_mutex_lock(&watches_lock);
	struct watch **w = find(epfd, fd);
	if (op == EPOLL_CTL_ADD && !*w) {
		struct watch *n = calloc(1, sizeof(*n));
		if (!n || !ev) {
			free(n);
			err = n ? EFAULT : ENOMEM;
		} else {
			*n = (struct watch){epfd, fd, *ev, watches};
			watches = n;
			atomic_fetch_add(&nwatches, 1);
		}
	} else if (op == EPOLL_CTL_ADD) {
		err = EEXIST;
	} else if (!*w) {
		err = ENOENT;
	} else if (op == EPOLL_CTL_MOD && ev) {
		(*w)->ev = *ev;
	} else if (op == EPOLL_CTL_DEL) {
		struct watch *gone = *w;
		*w = gone->next;
		free(gone);
		atomic_fetch_sub(&nwatches, 1);
	} else {
		err = EINVAL;
	}
	pthread_mutex_unlock(&watches_lock);
	errno = err;
	return err ? -1 : 0;
}

/* Forgets the watches of a descriptor being closed, as the kernel does. */
void pm_epoll_forget(int fd)
{
	pm_epoll_forget_range((unsigned)fd, (unsigned)fd);
}

static bool in_range(int fd, unsigned lo, unsigned hi)
{
	return fd >= 0 && (unsigned)fd >= lo && (unsigned)fd <= hi;
}

void pm_epoll_forget_range(unsigned lo, unsigned hi)
{
	if (likely(!atomic_load(&nwatches)))
		return;
	pthread_mutex_lock(&watches_lock);
	for (struct watch **w = &watches; *w;) {
		if (in_range((*w)->fd, lo, hi) ||
		    in_range((*w)->epfd, lo, hi)) {
			struct watch *gone = *w;
			*w = gone->next;
			free(gone);
			atomic_fetch_sub(&nwatches, 1);
		} else {
			w = &(*w)->next;
		}
	}
	pthread_mutex_unlock(&watches_lock);
}

/* The set's own descriptor, then its netmap files; NULL if it has none. */
static struct pollfd *watched(int epfd, nfds_t *n, struct epoll_event **ev)
{
	struct pollfd *fds = NULL;
	nfds_t k = 1;

	pthread_mutex_lock(&watches_lock);
	for (struct watch *w = watches; w; w = w->next)
		k += w->epfd == epfd;
	if (k > 1 && (fds = calloc(k, sizeof(*fds))) &&
	    (*ev = calloc(k, sizeof(**ev)))) {
		fds[0] = (struct pollfd){epfd, POLLIN, 0};
		k = 1;
		for (struct watch *w = watches; w; w = w->next) {
			if (w->epfd != epfd)
				continue;
			fds[k] = (struct pollfd){
			    w->fd, (short)(w->ev.events & (EPOLLIN | EPOLLOUT)),
			    0};
			(*ev)[k++] = w->ev;
		}
	} else if (k > 1) {
		free(fds);
		fds = NULL;
	}
	pthread_mutex_unlock(&watches_lock);
	*n = k;
	return fds;
}

PM_PUBLIC int epoll_pwait(int epfd, struct epoll_event *out, int max,
			  int timeout_ms, const sigset_t *sigmask)
{
	struct epoll_event *ev = NULL;
	struct pollfd *fds;
	nfds_t n;
	int got = 0, r;

	resolve();
	if (likely(!atomic_load(&nwatches)) || !(fds = watched(epfd, &n, &ev)))
		return real_pwait(epfd, out, max, timeout_ms, sigmask);
	struct timespec t = {timeout_ms / 1000, (timeout_ms % 1000) * 1000000L};
	r = pm_poll(fds, n, timeout_ms < 0 ? NULL : &t, sigmask);
	for (nfds_t i = 1; r > 0 && i < n && got < max; i++) {
		if (fds[i].revents) {
			out[got] = ev[i];
			out[got++].events = (uint32_t)fds[i].revents;
		}
	}
	if (r > 0 && (fds[0].revents & POLLIN) && got < max) {
		int k = real_pwait(epfd, out + got, max - got, 0, NULL);
		got += k > 0 ? k : 0;
	}
	free(fds);
	free(ev);
	return r < 0 ? -1 : got;
}

PM_PUBLIC int epoll_wait(int epfd, struct epoll_event *out, int max,
			 int timeout_ms)
{
	return epoll_pwait(epfd, out, max, timeout_ms, NULL);
}
