// SPDX-License-Identifier: BSD-2-Clause
/*
 * epoll -- a netmap descriptor in an epoll set: it times out while idle,
 * reports EPOLLIN with the caller's data once a frame arrived (the wait
 * itself syncs, as poll does), lives beside ordinary descriptors, and
 * follows EPOLL_CTL_MOD/DEL and close.
 *
 * Runs as root in a fresh network namespace whose only interface is lo.
 */
#define NETMAP_WITH_LIBS /* before check.h includes netmap_user.h */
#include "check.h"

#include <sys/epoll.h>

static void send_frame(struct nm_desc *d)
{
	char f[60] = {
	    [0 ... 5] = (char)0xff, [12] = (char)0x88, [13] = (char)0xb5};

	CHECK(nm_inject(d, f, sizeof(f)) == sizeof(f), "inject a frame");
	CHECK_OK(ioctl(d->fd, NIOCTXSYNC, NULL), "txsync");
}

int main(void)
{
	struct nm_desc *d = nm_open("netmap:lo", NULL, 0, NULL);
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 0xfeed}, out[4];
	int ep = epoll_create1(0), pfd[2];

	CHECK(d != NULL, "nm_open netmap:lo");
	CHECK(ep >= 0 && pipe(pfd) == 0, "an epoll set and a pipe(2)");
	CHECK_OK(epoll_ctl(ep, EPOLL_CTL_ADD, d->fd, &ev), "add the netmap fd");
	CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_ADD, d->fd, &ev), EEXIST,
		  "adding it twice gives EEXIST");
	struct epoll_event pev = {.events = EPOLLIN, .data.u64 = 0xbeef};
	CHECK_OK(epoll_ctl(ep, EPOLL_CTL_ADD, pfd[0], &pev), "add the pipe");

	CHECK_EQ(epoll_wait(ep, out, 4, 50), 0, "idle: the wait times out");

	send_frame(d);
	int n = epoll_wait(ep, out, 4, 2000);
	CHECK_EQ(n, 1, "a frame arrived: one event");
	CHECK(out[0].data.u64 == 0xfeed && (out[0].events & EPOLLIN),
	      "EPOLLIN with the caller's data");
	struct netmap_ring *rx = NETMAP_RXRING(d->nifp, d->first_rx_ring);
	CHECK_EQ(nm_ring_space(rx), 1, "the wait synced the frame in");
	rx->head = rx->cur = rx->tail;

	CHECK(write(pfd[1], "x", 1) == 1, "make the pipe readable");
	n = epoll_wait(ep, out, 4, 2000);
	CHECK(n == 1 && out[0].data.u64 == 0xbeef,
	      "the ordinary descriptor is reported (n %d)", n);
	char c;
	CHECK(read(pfd[0], &c, 1) == 1, "drain the pipe");

	ev.events = EPOLLOUT;
	CHECK_OK(epoll_ctl(ep, EPOLL_CTL_MOD, d->fd, &ev), "MOD to EPOLLOUT");
	n = epoll_wait(ep, out, 4, 2000);
	CHECK(n == 1 && (out[0].events & EPOLLOUT),
	      "tx rings have room: EPOLLOUT");
	CHECK_OK(epoll_ctl(ep, EPOLL_CTL_DEL, d->fd, NULL), "DEL");
	CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_DEL, d->fd, NULL), ENOENT,
		  "DEL again gives ENOENT");
	send_frame(d);
	CHECK_EQ(epoll_wait(ep, out, 4, 100), 0, "removed: no event");

	CHECK_OK(epoll_ctl(ep, EPOLL_CTL_ADD, d->fd, &ev), "add it again");
	nm_close(d); /* closing a descriptor removes it from its sets */
	CHECK_EQ(epoll_wait(ep, out, 4, 50), 0, "closed: no event");
	close(ep);
	printf("epoll: all checks passed\n");
	return 0;
}
