/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tpacket3-rx -- the bare TPACKET_V3 receive loop, as a benchmark baseline.
 *
 * One AF_PACKET socket with an RX_RING of blocks: poll, walk every retired
 * block, count its frames and bytes, hand the block back.  It touches no
 * payload, so it is the ceiling that a library which copies frames out of
 * the kernel's ring can approach.  The ring is sized as pktmap's afpacket
 * adapter sizes its rings (16 blocks of 256 KiB, 1 ms retire timeout).
 *
 *   tpacket3-rx -i IF [-n COUNT] [--idle SEC] [--timeout SEC]
 *               [--block-kib K] [--blocks N] [--retire-ms MS]
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

struct opts {
	const char *ifname;
	uint64_t count;
	double idle, timeout;
	unsigned block_kib, blocks, retire_ms;
};

struct rx {
	int fd;
	uint8_t *map;
	size_t block_size;
	unsigned blocks, next;
	uint64_t packets, bytes;
	double first, last;
};

static void usage(void)
{
	fprintf(stderr, "usage: tpacket3-rx -i IF [-n COUNT] [--idle SEC] "
			"[--timeout SEC]\n"
			"                   [--block-kib K] [--blocks N] "
			"[--retire-ms MS]\n");
	exit(2);
}

static void parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
	    {"idle", required_argument, NULL, 'I'},
	    {"timeout", required_argument, NULL, 't'},
	    {"block-kib", required_argument, NULL, 'k'},
	    {"blocks", required_argument, NULL, 'N'},
	    {"retire-ms", required_argument, NULL, 'r'},
	    {NULL, 0, NULL, 0},
	};
	int c;

	*o = (struct opts){.block_kib = 256, .blocks = 16, .retire_ms = 1};
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
		case 'k':
			o->block_kib = atoi(optarg);
			break;
		case 'N':
			o->blocks = atoi(optarg);
			break;
		case 'r':
			o->retire_ms = atoi(optarg);
			break;
		default:
			usage();
		}
	}
	if (!o->ifname || o->block_kib < 4 || !o->blocks)
		usage();
}

static int rx_open(struct rx *r, const struct opts *o)
{
	int version = TPACKET_V3;
	struct tpacket_req3 req = {
	    .tp_block_size = o->block_kib * 1024,
	    .tp_block_nr = o->blocks,
	    .tp_frame_size = 2048,
	    .tp_frame_nr = o->block_kib * 1024 / 2048 * o->blocks,
	    .tp_retire_blk_tov = o->retire_ms,
	};
	struct sockaddr_ll sll = {
	    .sll_family = AF_PACKET,
	    .sll_protocol = htons(ETH_P_ALL),
	    .sll_ifindex = if_nametoindex(o->ifname),
	};

	if (!sll.sll_ifindex) {
		fprintf(stderr, "tpacket3-rx: %s: %s\n", o->ifname,
			strerror(errno));
		return -1;
	}
	r->block_size = req.tp_block_size;
	r->blocks = req.tp_block_nr;
	r->fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
	if (r->fd < 0 ||
	    setsockopt(r->fd, SOL_PACKET, PACKET_VERSION, &version,
		       sizeof(version)) < 0 ||
	    setsockopt(r->fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof(req)) <
		0)
		goto fail;
	r->map = mmap(NULL, r->block_size * r->blocks, PROT_READ | PROT_WRITE,
		      MAP_SHARED, r->fd, 0);
	if (r->map == MAP_FAILED)
		goto fail;
	if (bind(r->fd, (struct sockaddr *)&sll, sizeof(sll)) < 0)
		goto fail;
	return 0;
fail:
	fprintf(stderr, "tpacket3-rx: %s: %s\n", o->ifname, strerror(errno));
	return -1;
}

static struct tpacket_block_desc *block(const struct rx *r, unsigned i)
{
	return (struct tpacket_block_desc *)(r->map + i * r->block_size);
}

/* Counts the frames of one retired block, at most `want` of them. */
static void walk_block(struct rx *r, struct tpacket_block_desc *b,
		       uint64_t want)
{
	struct tpacket3_hdr *h =
	    (struct tpacket3_hdr *)((uint8_t *)b +
				    b->hdr.bh1.offset_to_first_pkt);
	uint32_t n = b->hdr.bh1.num_pkts, i;

	for (i = 0; i < n && r->packets < want; i++) {
		r->packets++;
		r->bytes += h->tp_snaplen;
		h = (struct tpacket3_hdr *)((uint8_t *)h + h->tp_next_offset);
	}
}

/* Drains every retired block; returns true if any frame arrived. */
static bool drain(struct rx *r, uint64_t want)
{
	bool got = false;

	for (;;) {
		struct tpacket_block_desc *b = block(r, r->next);

		if (!(__atomic_load_n(&b->hdr.bh1.block_status,
				      __ATOMIC_ACQUIRE) &
		      TP_STATUS_USER))
			return got;
		if (b->hdr.bh1.num_pkts)
			got = true;
		walk_block(r, b, want);
		__atomic_store_n(&b->hdr.bh1.block_status, TP_STATUS_KERNEL,
				 __ATOMIC_RELEASE);
		r->next = (r->next + 1) % r->blocks;
		if (r->packets >= want)
			return got;
	}
}

static uint64_t kernel_drops(int fd)
{
	struct tpacket_stats_v3 st;
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

static void receive(struct rx *r, const struct opts *o)
{
	struct drain_arg d = {r, o->count ? o->count : UINT64_MAX};

	receive_until(r->fd, &r->packets, d.want, o->timeout, o->idle,
		      drain_some, &d, &r->first, &r->last);
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
	receive(&r, &o);
	secs = r.last - r.first;
	printf("packets=%llu bytes=%llu drops=%llu seconds=%.3f pps=%.0f\n",
	       (unsigned long long)r.packets, (unsigned long long)r.bytes,
	       (unsigned long long)kernel_drops(r.fd), secs,
	       secs > 0 ? r.packets / secs : 0);
	return 0;
}
