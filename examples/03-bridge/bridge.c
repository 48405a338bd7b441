/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * example-bridge netmap:IF1 netmap:IF2 [-t SECONDS]
 *
 * Forwards every frame between two ports, both ways, without copying a
 * byte: the second port is opened with NM_OPEN_NO_MMAP and the first as
 * parent, so both use one memory region and a received buffer can be moved
 * to a transmit slot by swapping buffer indexes (NS_BUF_CHANGED).
 *
 * Stops on SIGINT, SIGTERM or after SECONDS, and prints the counts of
 * forwarded frames and of the frames the kernel dropped on each input
 * because the bridge did not keep up: "a_to_b=N b_to_a=N drops_a=N drops_b=N".
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>

#define NETMAP_WITH_LIBS
#include <net/netmap_user.h>
#include <pktmap.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Slots of the frame at @i if all of them fit in @avail, else 0. */
static uint32_t frame_slots(struct netmap_ring *ring, uint32_t i,
			    uint32_t avail)
{
	uint32_t n = 1;

	for (; ring->slot[i].flags & NS_MOREFRAG; n++) {
		if (n >= avail)
			return 0;
		i = nm_ring_next(ring, i);
	}
	return n <= avail ? n : 0;
}

/*
 * Moves the buffer of rx slot @rs to tx slot @ts and the empty tx buffer
 * back to the rx ring: NS_BUF_CHANGED tells the library to reload both.
 */
static void swap_slot(struct netmap_slot *rs, struct netmap_slot *ts)
{
	uint32_t idx = ts->buf_idx;

	ts->buf_idx = rs->buf_idx;
	ts->len = rs->len;
	ts->flags = (rs->flags & NS_MOREFRAG) | NS_BUF_CHANGED;
	rs->buf_idx = idx;
	rs->flags = NS_BUF_CHANGED;
}

/* Moves whole frames from @rx to @tx while both have room; returns them. */
static uint64_t move_frames(struct netmap_ring *rx, struct netmap_ring *tx)
{
	uint32_t avail = nm_ring_space(rx), room = nm_ring_space(tx);
	uint32_t ri = rx->cur, ti = tx->cur;
	uint64_t frames = 0;

	if (room < avail)
		avail = room;
	for (;;) {
		/* A chain never straddles a sync: move it whole or not at all.
		 */
		uint32_t n = frame_slots(rx, ri, avail);

		if (n == 0)
			break;
		avail -= n;
		for (; n > 0; n--) {
			swap_slot(&rx->slot[ri], &tx->slot[ti]);
			ri = nm_ring_next(rx, ri);
			ti = nm_ring_next(tx, ti);
		}
		frames++;
	}
	rx->head = rx->cur = ri;
	tx->head = tx->cur = ti;
	return frames;
}

/* Forwards what @src received to @dst, pairing rings in order. */
static uint64_t forward(struct nm_desc *src, struct nm_desc *dst)
{
	unsigned ri = src->first_rx_ring, ti = dst->first_tx_ring;
	uint64_t frames = 0;

	while (ri <= src->last_rx_ring && ti <= dst->last_tx_ring) {
		struct netmap_ring *rx = NETMAP_RXRING(src->nifp, ri);
		struct netmap_ring *tx = NETMAP_TXRING(dst->nifp, ti);

		if (nm_ring_empty(rx)) {
			ri++;
			continue;
		}
		if (nm_ring_empty(tx)) {
			ti++;
			continue;
		}
		uint64_t moved = move_frames(rx, tx);
		if (moved == 0)
			break; /* a chain waits for its rest, or for room */
		frames += moved;
	}
	return frames;
}

static int has_rx_frames(struct nm_desc *d)
{
	for (unsigned i = d->first_rx_ring; i <= d->last_rx_ring; i++)
		if (!nm_ring_empty(NETMAP_RXRING(d->nifp, i)))
			return 1;
	return 0;
}

/*
 * Frames waiting on one side: wait for room on the other side's transmit
 * rings (POLLOUT) instead of for more frames.  poll() also pushes out
 * what the transmit rings hold.
 */
static void set_events(struct pollfd *pfd, struct nm_desc *a, struct nm_desc *b)
{
	pfd[0].events = pfd[1].events = 0;
	if (has_rx_frames(a))
		pfd[1].events |= POLLOUT;
	else
		pfd[0].events |= POLLIN;
	if (has_rx_frames(b))
		pfd[0].events |= POLLOUT;
	else
		pfd[1].events |= POLLIN;
}

static int tx_pending(struct nm_desc *d)
{
	for (unsigned i = d->first_tx_ring; i <= d->last_tx_ring; i++)
		if (nm_tx_pending(NETMAP_TXRING(d->nifp, i)))
			return 1;
	return 0;
}

/* Pushes out what the transmit rings still hold, for a second at most. */
static void drain(struct nm_desc *a, struct nm_desc *b)
{
	double end = now_s() + 1;

	do {
		ioctl(a->fd, NIOCTXSYNC, NULL);
		ioctl(b->fd, NIOCTXSYNC, NULL);
		if (!tx_pending(a) && !tx_pending(b))
			return;
		usleep(1000);
	} while (now_s() < end);
}

static struct nm_desc *open_port(const char *name, uint64_t flags,
				 struct nm_desc *parent)
{
	struct nm_desc *d = nm_open(name, NULL, flags, parent);

	if (d == NULL)
		fprintf(stderr, "example-bridge: cannot open %s: %s\n", name,
			strerror(errno));
	return d;
}

int main(int argc, char **argv)
{
	uint64_t a_to_b = 0, b_to_a = 0;
	double seconds = 0, end;
	struct nm_desc *a, *b;
	struct pollfd pfd[2];
	int opt, status = 0;

	while ((opt = getopt(argc, argv, "t:")) != -1) {
		if (opt != 't')
			goto usage;
		seconds = atof(optarg);
	}
	if (optind != argc - 2)
		goto usage;

	a = open_port(argv[optind], 0, NULL);
	if (a == NULL)
		return 1;
	b = open_port(argv[optind + 1], NM_OPEN_NO_MMAP, a);
	if (b == NULL) {
		nm_close(a);
		return 1;
	}
	if (b->mem != a->mem) {
		fprintf(stderr, "example-bridge: the ports do not share "
				"memory: zero-copy is impossible\n");
		status = 1;
		goto out;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	fprintf(stderr, "example-bridge: %s <-> %s\n", argv[optind],
		argv[optind + 1]);

	end = seconds > 0 ? now_s() + seconds : 0;
	pfd[0].fd = a->fd;
	pfd[1].fd = b->fd;
	while (!stop && (end == 0 || now_s() < end)) {
		set_events(pfd, a, b);
		if (poll(pfd, 2, 100) < 0 && errno != EINTR)
			break;
		if ((pfd[0].revents | pfd[1].revents) & POLLERR) {
			fprintf(stderr, "example-bridge: port error\n");
			status = 1;
			break;
		}
		a_to_b += forward(a, b);
		b_to_a += forward(b, a);
	}
	drain(a, b);
	struct pktmap_stats sa = {0}, sb = {0};
	pktmap_stats_get(a->fd, &sa);
	pktmap_stats_get(b->fd, &sb);
	printf("a_to_b=%llu b_to_a=%llu drops_a=%llu drops_b=%llu\n",
	       (unsigned long long)a_to_b, (unsigned long long)b_to_a,
	       (unsigned long long)sa.rx_drops,
	       (unsigned long long)sb.rx_drops);
out:
	nm_close(b);
	nm_close(a);
	return status;

usage:
	fprintf(stderr,
		"usage: example-bridge netmap:IF1 netmap:IF2 [-t SECONDS]\n");
	return 1;
}
