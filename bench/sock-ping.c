/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * sock-ping -- the bare ping-pong on a plain packet socket, as the latency
 * baseline of pktmap-gen's ping and pong.
 *
 * One AF_PACKET socket (no ring): ping sends a UDP/IPv4 frame carrying a
 * magic number, a sequence number and the time it left, waits in poll()
 * for the reply and takes the round trip from its own time; pong sends
 * every such frame back with addresses and ports swapped.  The frames are
 * pktmap-gen's, so either end can face pktmap-gen's other mode.
 *
 *   sock-ping -i IF -f ping|pong [-n COUNT] [-l LEN] [-R PPS]
 *             [--ping-wait SEC] [--timeout SEC]
 *
 * ping sends COUNT requests (default 1000), one every 1/PPS seconds (-R,
 * default 1000) or, with -R 0, the next as soon as the reply came; a
 * request with no reply after --ping-wait seconds (default 1) is lost.
 * It prints `sent= replies= lost= rtt_min_us= rtt_avg_us= rtt_p50_us=
 * rtt_p99_us= rtt_max_us=`.  pong answers COUNT requests (0: until the
 * timeout or a signal) and prints `replies=`.
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
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

#define PING_MAGIC 0x706b6d70u /* "pkmp", as pktmap-gen's */
#define HDR_LEN	   42	       /* Ethernet 14, IPv4 20, UDP 8 */
#define PING_LEN   16	       /* magic, sequence, time */
#define MAX_LEN	   1514

struct opts {
	const char *ifname;
	bool pong;
	uint64_t count;
	unsigned len;
	double rate, wait, timeout;
};

static void usage(void)
{
	fprintf(stderr, "usage: sock-ping -i IF -f ping|pong [-n COUNT] "
			"[-l LEN] [-R PPS]\n"
			"                 [--ping-wait SEC] [--timeout SEC]\n");
	exit(2);
}

static void parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
	    {"ping-wait", required_argument, NULL, 'W'},
	    {"timeout", required_argument, NULL, 't'},
	    {NULL, 0, NULL, 0},
	};
	int c;

	*o = (struct opts){
	    .count = UINT64_MAX, .len = 60, .rate = 1000, .wait = 1};
	while ((c = getopt_long(argc, argv, "i:f:n:l:R:", lo, NULL)) != -1) {
		switch (c) {
		case 'i':
			o->ifname = optarg;
			break;
		case 'f':
			if (strcmp(optarg, "ping") && strcmp(optarg, "pong"))
				usage();
			o->pong = !strcmp(optarg, "pong");
			break;
		case 'n':
			o->count = strtoull(optarg, NULL, 0);
			break;
		case 'l':
			o->len = atoi(optarg);
			break;
		case 'R':
			o->rate = atof(optarg);
			break;
		case 'W':
			o->wait = atof(optarg);
			break;
		case 't':
			o->timeout = atof(optarg);
			break;
		default:
			usage();
		}
	}
	if (o->count == UINT64_MAX)
		o->count = o->pong ? 0 : 1000;
	if (!o->ifname || o->len < HDR_LEN + PING_LEN || o->len > MAX_LEN ||
	    o->rate < 0 || o->wait <= 0)
		usage();
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

static void put64(uint8_t *p, uint64_t v)
{
	put32(p, v >> 32);
	put32(p + 4, (uint32_t)v);
}

static uint64_t get64(const uint8_t *p)
{
	return (uint64_t)get32(p) << 32 | get32(p + 4);
}

static uint16_t csum(const uint8_t *p, size_t n)
{
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* pktmap-gen's request: broadcast, 198.18.0.1:1234 -> 198.18.0.2:4321. */
static void build_request(uint8_t *f, unsigned len, const uint8_t *src)
{
	uint8_t *ip = f + 14, *udp = ip + 20;

	memset(f, 0, len);
	memset(f, 0xff, 6);
	memcpy(f + 6, src, 6);
	put16(f + 12, ETH_P_IP);
	ip[0] = 0x45;
	put16(ip + 2, len - 14);
	ip[6] = 0x40;
	ip[8] = 64;
	ip[9] = 17;
	put32(ip + 12, 0xc6120001);
	put32(ip + 16, 0xc6120002);
	put16(ip + 10, csum(ip, 20));
	put16(udp, 1234);
	put16(udp + 2, 4321);
	put16(udp + 4, len - 34);
	put32(udp + 8, PING_MAGIC);
}

static bool is_ping(const uint8_t *f, ssize_t n)
{
	return n >= HDR_LEN + PING_LEN && f[12] == 0x08 && f[13] == 0 &&
	       f[23] == 17 && get32(f + HDR_LEN) == PING_MAGIC;
}

static void swap(uint8_t *a, uint8_t *b, size_t n)
{
	uint8_t t[6];

	memcpy(t, a, n);
	memcpy(a, b, n);
	memcpy(b, t, n);
}

static int open_socket(const char *ifname, uint8_t mac[6])
{
	struct sockaddr_ll sll = {
	    .sll_family = AF_PACKET,
	    .sll_protocol = htons(ETH_P_ALL),
	    .sll_ifindex = (int)if_nametoindex(ifname),
	};
	struct ifreq ifr = {0};
	int fd, one = 1;

	fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	if (fd < 0 || !sll.sll_ifindex ||
	    setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one,
		       sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0 ||
	    ioctl(fd, SIOCGIFHWADDR, &ifr) < 0) {
		fprintf(stderr, "sock-ping: %s: %s\n", ifname, strerror(errno));
		exit(1);
	}
	memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	return fd;
}

/* Waits until @deadline (ns) for the socket to be readable. */
static bool wait_readable(int fd, uint64_t deadline)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	uint64_t t = now_ns();

	if (t >= deadline)
		return false;
	struct timespec ts = {(deadline - t) / 1000000000ull,
			      (deadline - t) % 1000000000ull};
	return ppoll(&pfd, 1, &ts, NULL) > 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static double pct_us(const uint64_t *v, uint64_t n, unsigned pct)
{
	uint64_t rank = (n * pct + 99) / 100;

	return n ? v[rank ? rank - 1 : 0] / 1e3 : 0;
}

static int ping(int fd, const struct opts *o, const uint8_t *mac)
{
	uint64_t *rtt = calloc(o->count ? o->count : 1, sizeof(*rtt));
	uint64_t sent = 0, got = 0, sum = 0, start = now_ns();
	uint8_t f[MAX_LEN], r[MAX_LEN + 64];

	if (!rtt)
		return 1;
	build_request(f, o->len, mac);
	while (!stop && sent < o->count) {
		uint64_t due =
		    o->rate > 0 ? start + (uint64_t)(sent * 1e9 / o->rate) : 0;
		while (!stop && now_ns() < due)
			wait_readable(fd, due); /* late replies: dropped */
		put32(f + HDR_LEN + 4, (uint32_t)sent);
		uint64_t t0 = now_ns();
		put64(f + HDR_LEN + 8, t0);
		if (send(fd, f, o->len, 0) < 0) {
			perror("sock-ping: send");
			return 1;
		}
		sent++;
		uint64_t deadline = t0 + (uint64_t)(o->wait * 1e9);
		while (!stop && wait_readable(fd, deadline)) {
			ssize_t n = recv(fd, r, sizeof(r), MSG_DONTWAIT);
			if (n < 0 || !is_ping(r, n) ||
			    get32(r + HDR_LEN + 4) != (uint32_t)(sent - 1) ||
			    get64(r + HDR_LEN + 8) != t0)
				continue; /* not our reply */
			rtt[got++] = now_ns() - t0;
			sum += rtt[got - 1];
			break;
		}
	}
	qsort(rtt, got, sizeof(*rtt), cmp_u64);
	printf("sent=%llu replies=%llu lost=%llu rtt_min_us=%.3f "
	       "rtt_avg_us=%.3f rtt_p50_us=%.3f rtt_p99_us=%.3f "
	       "rtt_max_us=%.3f\n",
	       (unsigned long long)sent, (unsigned long long)got,
	       (unsigned long long)(sent - got), got ? rtt[0] / 1e3 : 0,
	       got ? sum / 1e3 / got : 0, pct_us(rtt, got, 50),
	       pct_us(rtt, got, 99), got ? rtt[got - 1] / 1e3 : 0);
	free(rtt);
	return got ? 0 : 1;
}

static int pong(int fd, const struct opts *o)
{
	uint64_t replies = 0,
		 end = o->timeout > 0 ? now_ns() + (uint64_t)(o->timeout * 1e9)
				      : UINT64_MAX;
	uint8_t f[MAX_LEN + 64];

	while (!stop && (!o->count || replies < o->count) &&
	       wait_readable(fd, end)) {
		ssize_t n;
		while ((n = recv(fd, f, sizeof(f), MSG_DONTWAIT)) > 0) {
			if (!is_ping(f, n))
				continue;
			swap(f, f + 6, 6);
			swap(f + 26, f + 30, 4);
			swap(f + 34, f + 36, 2);
			if (send(fd, f, n, 0) == n)
				replies++;
		}
	}
	printf("replies=%llu\n", (unsigned long long)replies);
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o;
	uint8_t mac[6];
	struct sigaction sa = {.sa_handler = on_signal};

	parse_opts(argc, argv, &o);
	sigaction(SIGINT, &sa, NULL); /* no SA_RESTART: poll returns */
	sigaction(SIGTERM, &sa, NULL);
	int fd = open_socket(o.ifname, mac);
	setvbuf(stdout, NULL, _IOLBF, 0);
	return o.pong ? pong(fd, &o) : ping(fd, &o, mac);
}
