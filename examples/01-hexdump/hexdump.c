/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * example-hexdump netmap:IF [-n COUNT]
 *
 * "Hello, packet": opens a netmap port, waits for frames with poll() and
 * prints each one as a hex and ASCII dump with its length, until COUNT
 * frames were printed (default: until interrupted).
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NETMAP_WITH_LIBS
#include <net/netmap_user.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* One line: offset, 16 bytes in hex, the same bytes as ASCII. */
static void dump_line(unsigned long off, const unsigned char *p, unsigned n)
{
	printf("%04lx ", off);
	for (unsigned i = 0; i < 16; i++) {
		if (i == 8)
			putchar(' ');
		if (i < n)
			printf(" %02x", p[i]);
		else
			printf("   ");
	}
	printf("  |");
	for (unsigned i = 0; i < n; i++)
		putchar(p[i] >= 0x20 && p[i] < 0x7f ? p[i] : '.');
	printf("|\n");
}

/*
 * Frames longer than a buffer span several slots, NS_MOREFRAG on all but
 * the last: dump them as one frame, offsets running on.
 */
static unsigned frame_length(struct netmap_ring *ring, unsigned i)
{
	unsigned len = ring->slot[i].len;

	while (ring->slot[i].flags & NS_MOREFRAG) {
		i = nm_ring_next(ring, i);
		len += ring->slot[i].len;
	}
	return len;
}

/* Dumps the frame starting at slot @i; returns the slot after it. */
static unsigned dump_frame(struct netmap_ring *ring, unsigned i,
			   unsigned long nr)
{
	unsigned char line[16];
	unsigned long off = 0;
	unsigned fill = 0, more;

	printf("frame %lu: %u bytes (ring %u)\n", nr, frame_length(ring, i),
	       ring->ringid);
	do {
		struct netmap_slot *slot = &ring->slot[i];
		unsigned char *buf =
		    (unsigned char *)NETMAP_BUF(ring, slot->buf_idx);

		for (unsigned k = 0; k < slot->len; k++) {
			line[fill++] = buf[k];
			if (fill == 16) {
				dump_line(off, line, fill);
				off += fill;
				fill = 0;
			}
		}
		more = slot->flags & NS_MOREFRAG;
		i = nm_ring_next(ring, i);
	} while (more && i != ring->tail);
	if (fill)
		dump_line(off, line, fill);
	return i;
}

int main(int argc, char **argv)
{
	unsigned long count = 0, printed = 0;
	struct nm_desc *d;
	int opt;

	while ((opt = getopt(argc, argv, "n:")) != -1) {
		if (opt != 'n')
			goto usage;
		count = strtoul(optarg, NULL, 0);
	}
	if (optind != argc - 1)
		goto usage;

	d = nm_open(argv[optind], NULL, 0, NULL);
	if (d == NULL) {
		fprintf(stderr, "example-hexdump: cannot open %s: %s\n",
			argv[optind], strerror(errno));
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	setvbuf(stdout, NULL, _IOLBF, 0);

	while (!stop && (count == 0 || printed < count)) {
		struct pollfd pfd = {.fd = d->fd, .events = POLLIN};

		/* poll() also syncs the rx rings: new frames up to tail. */
		if (poll(&pfd, 1, 1000) < 0 && errno != EINTR)
			break;
		if (pfd.revents & POLLERR) {
			fprintf(stderr, "example-hexdump: port error\n");
			break;
		}
		for (int r = d->first_rx_ring; r <= d->last_rx_ring; r++) {
			struct netmap_ring *ring = NETMAP_RXRING(d->nifp, r);
			unsigned i = ring->cur;

			while (i != ring->tail && (!count || printed < count))
				i = dump_frame(ring, i, ++printed);
			/* Give the slots back: the next sync refills them. */
			ring->head = ring->cur = i;
		}
	}
	nm_close(d);
	return 0;

usage:
	fprintf(stderr, "usage: example-hexdump netmap:IF [-n COUNT]\n");
	return 1;
}
