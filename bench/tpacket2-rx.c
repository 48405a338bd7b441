/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tpacket2-rx -- the bare TPACKET_V2 receive loop, as a benchmark baseline.
 *
 * One AF_PACKET socket with an RX_RING of frames, each handed over on its
 * own (a status word per frame, a wake-up per frame while the reader
 * sleeps): poll, take every frame the kernel gave, count it, give it back.
 * It touches no payload.  The ring is sized as pktmap's afpacket adapter
 * sizes its rings for an MTU of 1500 (frames of 1584 bytes in blocks of
 * 64 KiB, 32768 of them).
 *
 *   tpacket2-rx -i IF [-n COUNT] [--idle SEC] [--timeout SEC] [--frames N]
 *
 * Prints `packets=N bytes=B drops=D seconds=S pps=P` on stdout, where
 * seconds runs from the first frame to the last one.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

#define FRAME_SIZE 1584u
#define BLOCK_SIZE (64u << 10)
#define PER_BLOCK  (BLOCK_SIZE / FRAME_SIZE)

struct opts {
	const char *ifname;
	uint64_t count;
	double idle, timeout;
	unsigned frames;
};

struct rx {
	int fd;
	uint8_t *map;
	unsigned nframes, next;
	uint64_t packets, bytes;
	double first, last;
};

static void usage(void)
{
	fprintf(stderr, "usage: tpacket2-rx -i IF [-n COUNT] [--idle SEC] "
			"[--timeout SEC] [--frames N]\n");
	exit(2);
}

static void parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
	    {"idle", required_argument, NULL, 'I'},
	    {"timeout", required_argument, NULL, 't'},
	    {"frames", required_argument, NULL, 'F'},
	    {NULL, 0, NULL, 0},
	};
	int c;

	*o = (struct opts){.frames = 32768};
	while ((c = getopt_long(argc, argv, "i:n:", lo, NULL)) != -1) {
		switch (c) {
		case 'i':
			o->ifname = optarg;
			break;
		case 'n':
			o->count = strtoull(optarg, NULL, 0);
			break;
		case 'I':
			o->idle = atof(optarg);
			break;
		case 't':
			o->timeout = atof(optarg);
			break;
		case 'F':
			o->frames = atoi(optarg);
			break;
		default:
			usage();
		}
	}
	if (!o->ifname || o->frames < PER_BLOCK)
		usage();
}

static int rx_open(struct rx *r, const struct opts *o)
{
	int version = TPACKET_V2;
	struct tpacket_req req = {
	    .tp_block_size = BLOCK_SIZE,
	    .tp_block_nr = (o->frames + PER_BLOCK - 1) / PER_BLOCK,
	    .tp_frame_size = FRAME_SIZE,
	};
	struct sockaddr_ll sll = {
	    .sll_family = AF_PACKET,
	    .sll_protocol = htons(ETH_P_ALL),
	    .sll_ifindex = if_nametoindex(o->ifname),
	};

	if (!sll.sll_ifindex) {
		fprintf(stderr, "tpacket2-rx: %s: %s\n", o->ifname,
			strerror(errno));
		return -1;
	}
	req.tp_frame_nr = req.tp_block_nr * PER_BLOCK;
	r->nframes = req.tp_frame_nr;
	r->fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
	if (r->fd < 0 ||
	    setsockopt(r->fd, SOL_PACKET, PACKET_VERSION, &version,
		       sizeof(version)) < 0 ||
	    setsockopt(r->fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof(req)) <
		0)
		goto fail;
	r->map = mmap(NULL, (size_t)BLOCK_SIZE * req.tp_block_nr,
		      PROT_READ | PROT_WRITE, MAP_SHARED, r->fd, 0);
	if (r->map == MAP_FAILED)
		goto fail;
	if (bind(r->fd, (struct sockaddr *)&sll, sizeof(sll)) < 0)
		goto fail;
	return 0;
fail:
	fprintf(stderr, "tpacket2-rx: %s: %s\n", o->ifname, strerror(errno));
	return -1;
}

static struct tpacket2_hdr *frame(const struct rx *r, unsigned i)
{
	return (struct tpacket2_hdr *)(r->map +
				       (size_t)(i / PER_BLOCK) * BLOCK_SIZE +
				       (i % PER_BLOCK) * FRAME_SIZE);
}

/* Takes every frame the kernel gave; returns true if any. */
static bool drain(struct rx *r, uint64_t want)
{
	bool got = false;

	while (r->packets < want) {
		struct tpacket2_hdr *h = frame(r, r->next);

		if (!(__atomic_load_n(&h->tp_status, __ATOMIC_ACQUIRE) &
		      TP_STATUS_USER))
			break;
		r->packets++;
		r->bytes += h->tp_snaplen;
		__atomic_store_n(&h->tp_status, TP_STATUS_KERNEL,
				 __ATOMIC_RELEASE);
		r->next = r->next + 1 == r->nframes ? 0 : r->next + 1;
		got = true;
	}
	return got;
}

static uint64_t kernel_drops(int fd)
{
	struct tpacket_stats st;
	socklen_t len = sizeof(st);

	if (getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, &st, &len) < 0)
		return 0;
	return st.tp_drops;
}

struct drain_arg {
	struct rx *r;
	uint64_t want;
};

static bool drain_some(void *arg)
{
	struct drain_arg *d = arg;

	return drain(d->r, d->want);
}

int main(int argc, char **argv)
{
	struct opts o;
	struct rx r = {.fd = -1};
	double secs;

	parse_opts(argc, argv, &o);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (rx_open(&r, &o) < 0)
		return 1;
	kernel_drops(r.fd); /* reading resets the counters */
	struct drain_arg d = {&r, o.count ? o.count : UINT64_MAX};
	receive_until(r.fd, &r.packets, d.want, o.timeout, o.idle, drain_some,
		      &d, &r.first, &r.last);
	secs = r.last - r.first;
	printf("packets=%llu bytes=%llu drops=%llu seconds=%.3f pps=%.0f\n",
	       (unsigned long long)r.packets, (unsigned long long)r.bytes,
	       (unsigned long long)kernel_drops(r.fd), secs,
	       secs > 0 ? r.packets / secs : 0);
	return 0;
}
