/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * holdrecv -- a receiver that does not receive for a while: it opens PORT,
 * says "ready", and syncs nothing until a line arrives on its standard
 * input; then it takes what the port kept, without waiting for more, and
 * reports "received=N kernel_drops=D" (D from pktmap_stats_get).  The
 * frames the port can keep for an idle application, and the count of the
 * others, are what the tests check.
 *
 *   holdrecv PORT
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#define NETMAP_WITH_LIBS
#include <net/netmap_user.h>
#include <pktmap.h>

/* Releases every frame the rx rings show; the count. */
static unsigned long long drain(struct nm_desc *d)
{
	unsigned long long n = 0;

	for (int i = d->first_rx_ring; i <= d->last_rx_ring; i++) {
		struct netmap_ring *ring = NETMAP_RXRING(d->nifp, i);
		n += nm_ring_space(ring);
		ring->head = ring->cur = ring->tail;
	}
	return n;
}

int main(int argc, char **argv)
{
	struct pktmap_stats st;
	unsigned long long got = 0, n;
	struct nm_desc *d;
	char line[16];

	if (argc != 2) {
		fprintf(stderr, "usage: holdrecv PORT\n");
		return 2;
	}
	d = nm_open(argv[1], NULL, 0, NULL);
	if (!d) {
		fprintf(stderr, "holdrecv: cannot open %s: %s\n", argv[1],
			strerror(errno));
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	if (!fgets(line, sizeof(line), stdin))
		return 1;
	/* what the port kept comes out in a few syncs: until one gives none */
	do {
		if (ioctl(d->fd, NIOCRXSYNC, NULL) < 0) {
			perror("holdrecv: NIOCRXSYNC");
			return 1;
		}
		n = drain(d);
		got += n;
	} while (n > 0);
	if (pktmap_stats_get(d->fd, &st) < 0) {
		perror("holdrecv: pktmap_stats_get");
		return 1;
	}
	printf("received=%llu kernel_drops=%llu\n", got,
	       (unsigned long long)st.rx_drops);
	nm_close(d);
	return 0;
}
