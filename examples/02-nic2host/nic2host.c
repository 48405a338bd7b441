/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * example-nic2host netmap:IF [-t SECONDS]
 *
 * Puts the application between an interface and the host stack: opens
 * `netmap:IF*`, the NIC rings and the host rings in one descriptor, and
 * passes every frame from the wire to the stack and from the stack to the
 * wire by swapping buffers (NS_BUF_CHANGED): no byte is copied.  While it
 * runs IF is detached from the stack, so all of IF's traffic crosses it.
 *
 * Stops on SIGINT, SIGTERM or after SECONDS, and prints the counts:
 * "wire_to_host=N host_to_wire=N".
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

#define NETMAP_WITH_LIBS
#include <net/netmap_user.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/*
 * Moves whole frames from @rx to @tx while both have room, swapping
 * buffers; a NS_MOREFRAG chain moves only when all of it fits.
 */
static uint64_t pass(struct netmap_ring *rx, struct netmap_ring *tx)
{
	uint64_t frames = 0;

	while (!nm_ring_empty(rx)) {
		uint32_t n = 1, i = rx->head;

		while ((rx->slot[i].flags & NS_MOREFRAG) &&
		       n < nm_ring_space(rx)) {
			i = nm_ring_next(rx, i);
			n++;
		}
		if (n > nm_ring_space(tx))
			break;
		for (; n > 0; n--) {
			struct netmap_slot *rs = &rx->slot[rx->head];
			struct netmap_slot *ts = &tx->slot[tx->head];
			uint32_t idx = ts->buf_idx;

			ts->buf_idx = rs->buf_idx;
			ts->len = rs->len;
			ts->flags = (rs->flags & NS_MOREFRAG) | NS_BUF_CHANGED;
			rs->buf_idx = idx;
			rs->flags = NS_BUF_CHANGED;
			rx->head = rx->cur = nm_ring_next(rx, rx->head);
			tx->head = tx->cur = nm_ring_next(tx, tx->head);
		}
		frames++;
	}
	return frames;
}

int main(int argc, char **argv)
{
	uint64_t to_host = 0, to_wire = 0;
	char name[128];
	double seconds = 0;
	struct nm_desc *d;
	struct timespec start, now;
	int opt;

	while ((opt = getopt(argc, argv, "t:")) != -1) {
		if (opt != 't')
			goto usage;
		seconds = atof(optarg);
	}
	if (optind != argc - 1 || strncmp(argv[optind], "netmap:", 7) != 0)
		goto usage;
	/* IF* : every NIC ring and the host ring pair, one memory region */
	snprintf(name, sizeof(name), "%s*", argv[optind]);
	d = nm_open(name, NULL, 0, NULL);
	if (d == NULL) {
		fprintf(stderr, "example-nic2host: cannot open %s: %s\n", name,
			strerror(errno));
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	clock_gettime(CLOCK_MONOTONIC, &start);

	/* the host ring is the last of each direction */
	unsigned host_rx = d->last_rx_ring, host_tx = d->last_tx_ring;
	struct netmap_ring *hrx = NETMAP_RXRING(d->nifp, host_rx);
	struct netmap_ring *htx = NETMAP_TXRING(d->nifp, host_tx);

	while (!stop) {
		struct pollfd pfd = {.fd = d->fd, .events = POLLIN};

		if (poll(&pfd, 1, 100) < 0 && errno != EINTR)
			break;
		if (pfd.revents & POLLERR) {
			fprintf(stderr, "example-nic2host: %s went away\n",
				argv[optind]);
			break;
		}
		/* NIC rx ring i pairs with NIC tx ring i for the way back */
		for (unsigned i = d->first_rx_ring; i < host_rx; i++) {
			to_host += pass(NETMAP_RXRING(d->nifp, i), htx);
			to_wire +=
			    pass(hrx, NETMAP_TXRING(d->nifp, i % host_tx));
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (seconds > 0 &&
		    now.tv_sec - start.tv_sec +
			    (now.tv_nsec - start.tv_nsec) / 1e9 >=
			seconds)
			break;
	}
	ioctl(d->fd, NIOCTXSYNC, NULL); /* what is still in the tx rings */
	printf("wire_to_host=%llu host_to_wire=%llu\n",
	       (unsigned long long)to_host, (unsigned long long)to_wire);
	nm_close(d);
	return 0;
usage:
	fprintf(stderr, "usage: example-nic2host netmap:IF [-t SECONDS]\n");
	return 2;
}
