/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * tpacket-tx -- the bare TX_RING sender, as a benchmark baseline and as a
 * steady source of load for the receive benchmarks.
 *
 * One TPACKET_V2 socket with a TX_RING, PACKET_QDISC_BYPASS, one send() per
 * batch.  Every ring frame is written once at start; sending a frame then
 * costs only its header, so this is the ceiling of a copy-based sender.
 * Frames are UDP/IPv4 as pktmap-gen's `tx` mode makes them.
 *
 *   tpacket-tx -i IF [-n COUNT] [-l LEN] [-R PPS] [-b BATCH] [-F FLOWS]
 *              [-S MAC] [-D MAC] [-w SEC]
 *
 * -R paces the frames at PPS per second (0: as fast as the ring drains);
 * -F cycles the UDP source port over FLOWS values, so that a receiver's
 * fanout hash spreads them.  Prints `packets=N bytes=B errors=E seconds=S
 * pps=P` on stdout.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

#define FRAME_SIZE 2048u
#define FRAME_NR   2048u /* 4 MiB, as pktmap's tx rings */
#define DATA_OFS   (TPACKET2_HDRLEN - sizeof(struct sockaddr_ll))
#define MAX_LEN	   (FRAME_SIZE - DATA_OFS)

struct opts {
	const char *ifname;
	uint64_t count;
	unsigned len, batch, flows;
	double rate, wait;
	uint8_t src[6], dst[6];
	bool have_src;
};

struct tx {
	int fd;
	uint8_t *map;
	unsigned pos;	 /* next ring frame to fill */
	uint64_t queued; /* frames handed to the ring */
	uint64_t errors; /* kicks the kernel refused */
};

static void usage(void)
{
	fprintf(stderr, "usage: tpacket-tx -i IF [-n COUNT] [-l LEN] [-R PPS] "
			"[-b BATCH] [-F FLOWS]\n"
			"                  [-S MAC] [-D MAC] [-w SEC]\n");
	exit(2);
}

static double number(const char *s)
{
	char *end;
	double v = strtod(s, &end);

	switch (*end) {
	case 'k':
		return v * 1e3;
	case 'm':
		return v * 1e6;
	case 'g':
		return v * 1e9;
	}
	return v;
}

static void parse_mac(const char *s, uint8_t *mac)
{
	if (sscanf(s, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &mac[0], &mac[1],
		   &mac[2], &mac[3], &mac[4], &mac[5]) != 6)
		usage();
}

static void parse_opts(int argc, char **argv, struct opts *o)
{
	int c;

	*o = (struct opts){.len = 60, .batch = 512, .flows = 1};
	memset(o->dst, 0xff, 6);
	while ((c = getopt(argc, argv, "i:n:l:R:b:F:S:D:w:")) != -1) {
		switch (c) {
		case 'i':
			o->ifname = optarg;
			break;
		case 'n':
			o->count = number(optarg);
			break;
		case 'l':
			o->len = atoi(optarg);
			break;
		case 'R':
			o->rate = number(optarg);
			break;
		case 'b':
			o->batch = atoi(optarg);
			break;
		case 'F':
			o->flows = atoi(optarg);
			break;
		case 'S':
			parse_mac(optarg, o->src);
			o->have_src = true;
			break;
		case 'D':
			parse_mac(optarg, o->dst);
			break;
		case 'w':
			o->wait = atof(optarg);
			break;
		default:
			usage();
		}
	}
	if (!o->ifname || o->len < 60 || o->len > MAX_LEN || !o->batch ||
	    o->batch > FRAME_NR || !o->flows)
		usage();
}

static uint16_t ip_checksum(const void *p, size_t n)
{
	const uint16_t *w = p;
	uint32_t sum = 0;

	for (; n > 1; n -= 2)
		sum += *w++;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum;
}

/* Ethernet, IPv4 198.18.0.1 -> 198.18.0.2, UDP 1234+flow -> 4321. */
static void build_frame(uint8_t *f, const struct opts *o, unsigned flow)
{
	struct ethhdr *eth = (struct ethhdr *)f;
	struct iphdr *ip = (struct iphdr *)(eth + 1);
	struct udphdr *udp = (struct udphdr *)(ip + 1);
	uint8_t *payload = (uint8_t *)(udp + 1);
	unsigned plen = o->len - (payload - f), k;

	memcpy(eth->h_dest, o->dst, 6);
	memcpy(eth->h_source, o->src, 6);
	eth->h_proto = htons(ETH_P_IP);
	*ip = (struct iphdr){
	    .version = 4,
	    .ihl = 5,
	    .tot_len = htons(o->len - ETH_HLEN),
	    .frag_off = htons(IP_DF),
	    .ttl = 64,
	    .protocol = IPPROTO_UDP,
	    .saddr = htonl(0xc6120001),
	    .daddr = htonl(0xc6120002),
	};
	ip->check = ip_checksum(ip, sizeof(*ip));
	*udp = (struct udphdr){
	    .source = htons(1234 + flow),
	    .dest = htons(4321),
	    .len = htons(o->len - ETH_HLEN - sizeof(*ip)),
	};
	for (k = 0; k < plen; k++)
		payload[k] = k;
}

static struct tpacket2_hdr *frame(const struct tx *t, unsigned i)
{
	return (struct tpacket2_hdr *)(t->map + (size_t)i * FRAME_SIZE);
}

static int own_mac(int fd, const char *ifname, uint8_t *mac)
{
	struct ifreq ifr = {0};

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0)
		return -1;
	memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	return 0;
}

static int tx_open(struct tx *t, struct opts *o)
{
	int version = TPACKET_V2, one = 1;
	struct tpacket_req req = {
	    .tp_block_size = 4096,
	    .tp_block_nr = FRAME_NR / 2,
	    .tp_frame_size = FRAME_SIZE,
	    .tp_frame_nr = FRAME_NR,
	};
	struct sockaddr_ll sll = {
	    .sll_family = AF_PACKET,
	    .sll_ifindex = if_nametoindex(o->ifname),
	};
	unsigned i;

	t->fd = socket(AF_PACKET, SOCK_RAW, 0); /* protocol 0: no receive */
	if (!sll.sll_ifindex || t->fd < 0 ||
	    setsockopt(t->fd, SOL_PACKET, PACKET_VERSION, &version,
		       sizeof(version)) < 0 ||
	    setsockopt(t->fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one,
		       sizeof(one)) < 0 ||
	    setsockopt(t->fd, SOL_PACKET, PACKET_LOSS, &one, sizeof(one)) < 0 ||
	    setsockopt(t->fd, SOL_PACKET, PACKET_TX_RING, &req, sizeof(req)) <
		0)
		goto fail;
	t->map = mmap(NULL, (size_t)FRAME_SIZE * FRAME_NR,
		      PROT_READ | PROT_WRITE, MAP_SHARED, t->fd, 0);
	if (t->map == MAP_FAILED ||
	    bind(t->fd, (struct sockaddr *)&sll, sizeof(sll)) < 0)
		goto fail;
	if (!o->have_src && own_mac(t->fd, o->ifname, o->src) < 0)
		goto fail;
	for (i = 0; i < FRAME_NR; i++)
		build_frame((uint8_t *)frame(t, i) + DATA_OFS, o, i % o->flows);
	return 0;
fail:
	fprintf(stderr, "tpacket-tx: %s: %s\n", o->ifname, strerror(errno));
	return -1;
}

static bool frame_free(const struct tpacket2_hdr *h)
{
	return __atomic_load_n(&h->tp_status, __ATOMIC_ACQUIRE) ==
	       TP_STATUS_AVAILABLE;
}

/* Hands up to n frames to the ring; returns how many it could. */
static unsigned fill(struct tx *t, const struct opts *o, uint64_t n)
{
	unsigned done = 0;

	while (done < n) {
		struct tpacket2_hdr *h = frame(t, t->pos);

		if (!frame_free(h))
			break;
		h->tp_len = o->len;
		__atomic_store_n(&h->tp_status, TP_STATUS_SEND_REQUEST,
				 __ATOMIC_RELEASE);
		t->pos = (t->pos + 1) % FRAME_NR;
		done++;
	}
	t->queued += done;
	return done;
}

/* One kick per batch; EAGAIN/ENOBUFS is back-pressure, frames stay. */
static void kick(struct tx *t, int flags)
{
	if (send(t->fd, NULL, 0, flags) < 0 && errno != EAGAIN &&
	    errno != ENOBUFS && errno != EINTR)
		t->errors++;
}

static void sleep_until(double t)
{
	double d = t - now();
	struct timespec ts;

	if (d <= 0)
		return;
	ts.tv_sec = (time_t)d;
	ts.tv_nsec = (long)((d - ts.tv_sec) * 1e9);
	nanosleep(&ts, NULL);
}

/* How many frames may go now: all of them, or those the pace allows. */
static uint64_t allowed(const struct tx *t, const struct opts *o, double t0)
{
	uint64_t left = o->count ? o->count - t->queued : UINT64_MAX;
	uint64_t due;

	if (o->rate > 0) {
		due = (uint64_t)((now() - t0) * o->rate) + 1;
		due = due > t->queued ? due - t->queued : 0;
		if (due < left)
			left = due;
	}
	return left < o->batch ? left : o->batch;
}

static void send_all(struct tx *t, const struct opts *o, double t0)
{
	while (!stop && (!o->count || t->queued < o->count)) {
		uint64_t n = allowed(t, o, t0);

		if (!n) {
			sleep_until(t0 + (t->queued + 1) / o->rate);
			continue;
		}
		if (fill(t, o, n))
			kick(t, MSG_DONTWAIT);
		else
			kick(t, 0); /* ring full: wait for it to drain */
	}
}

/* Waits until the kernel has taken every frame off the ring. */
static void drain(struct tx *t)
{
	unsigned i, busy;

	do {
		kick(t, 0);
		for (busy = 0, i = 0; i < FRAME_NR; i++)
			busy += !frame_free(frame(t, i));
	} while (busy && !stop);
}

int main(int argc, char **argv)
{
	struct opts o;
	struct tx t = {.fd = -1};
	double t0, secs;

	parse_opts(argc, argv, &o);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (tx_open(&t, &o) < 0)
		return 1;
	if (o.wait > 0)
		sleep_until(now() + o.wait);
	t0 = now();
	send_all(&t, &o, t0);
	drain(&t);
	secs = now() - t0;
	printf(
	    "packets=%llu bytes=%llu errors=%llu seconds=%.3f pps=%.0f\n",
	    (unsigned long long)t.queued, (unsigned long long)t.queued * o.len,
	    (unsigned long long)t.errors, secs, secs > 0 ? t.queued / secs : 0);
	return 0;
}
