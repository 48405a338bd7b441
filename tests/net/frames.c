/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * frames -- the ground truth of the net tests: transmits frames whose every
 * byte follows from their index, and receives them back checking count,
 * order and content.
 *
 *   frames send PORT N LEN [PPS]        N test frames of exactly LEN bytes
 *   frames recv PORT N LEN TIMEOUT_S    exactly N test frames, in order
 *   frames udp PORT N FLOWS [PPS]       N IPv4/UDP frames over FLOWS flows
 *   frames hex PORT HEX                 one frame given as hex digits
 *
 * PORT is a netmap port name ("netmap:veth0").  Senders are paced at PPS
 * frames per second (default 50000, or 50 MB/s for large frames) so that a
 * receiver's kernel ring never overflows on a busy machine, and they wait
 * until the ring has drained before closing.
 *
 * A test frame is broadcast, of ethertype 0x88b5 (IEEE local experimental,
 * which nothing else on a test veth uses), followed by "PKTM", the index and
 * the length as 32-bit big-endian numbers; the rest is a byte stream seeded
 * by the index.  Frames longer than a buffer travel as NS_MOREFRAG chains.
 *
 * The receiver counts other frames as stray (not bad), reports
 * "received=N bad=B stray=S extra=E missing=M" and exits 0 only if it got
 * exactly N test frames, byte-exact and in order, and no further test frame
 * within a grace period after the N-th.  After a frame lost on the way the
 * rest are checked against their own index, so missing= is exactly what
 * was lost, for tests that match it against counted drops.  It exits 2 on
 * a port error (the interface went away) and 1 otherwise.
 *
 * forkrecv.c and nolink-frames.c include this file.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/ioctl.h>

#define NETMAP_WITH_LIBS
#include <net/netmap_user.h>
#include <pktmap.h>

/* Only when linked with libpktmap: nolink-frames runs without it. */
#pragma weak pktmap_stats_get

#define ETH_TEST_TYPE 0x88b5
#define TEST_HDR_LEN  26 /* ethernet 14 + magic 4 + index 4 + length 4 */
#define MAX_FRAME     (NETMAP_MAX_FRAGS * 2048)
#define GRACE_MS      500   /* after the N-th frame, for extras to show up */
#define STALL_MS      10000 /* a sender making no progress for this long fails */
#define DEFAULT_PPS   50000
#define DEFAULT_BPS   50000000 /* bytes/s: larger frames go slower */
#define BATCH	      32       /* frames per txsync */

static const uint8_t test_magic[4] = {'P', 'K', 'T', 'M'};
static const uint8_t src_mac[6] = {0x02, 0x70, 0x6d, 0x00, 0x00, 0x01};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static void put_be32(uint8_t *p, uint32_t v)
{
	put_be16(p, v >> 16);
	put_be16(p + 2, v);
}

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

static void put_eth_header(uint8_t *f, uint16_t type)
{
	memset(f, 0xff, 6); /* broadcast: every receiver takes it */
	memcpy(f + 6, src_mac, 6);
	put_be16(f + 12, type);
}

/* The test frame of index @idx, @len bytes long (len >= TEST_HDR_LEN). */
static void build_test_frame(uint8_t *f, uint32_t idx, uint32_t len)
{
	uint32_t x = idx * 2654435761u + 0x9e3779b9u;

	put_eth_header(f, ETH_TEST_TYPE);
	memcpy(f + 14, test_magic, 4);
	put_be32(f + 18, idx);
	put_be32(f + 22, len);
	for (uint32_t i = TEST_HDR_LEN; i < len; i++) {
		x ^= x << 13; /* xorshift32: every index its own stream */
		x ^= x >> 17;
		x ^= x << 5;
		f[i] = x >> 24;
	}
}

static uint16_t ip_checksum(const uint8_t *p, size_t n)
{
	uint32_t sum = 0;

	for (size_t i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return ~sum;
}

/*
 * A 60-byte IPv4/UDP frame of flow @idx % @flows: 198.18.0.1 to
 * 198.18.1.1 (assigned to no one), source port 10000 + flow, port 9.
 */
static uint32_t build_udp_frame(uint8_t *f, uint32_t idx, uint32_t flows)
{
	uint8_t *ip = f + 14, *udp = ip + 20;
	const uint32_t len = 60;

	memset(f, 0, len);
	put_eth_header(f, 0x0800);
	ip[0] = 0x45;
	put_be16(ip + 2, len - 14);
	put_be16(ip + 4, idx);
	ip[8] = 64;
	ip[9] = 17;
	put_be32(ip + 12, 0xc6120001);
	put_be32(ip + 16, 0xc6120101);
	put_be16(ip + 10, ip_checksum(ip, 20));
	put_be16(udp, 10000 + idx % flows);
	put_be16(udp + 2, 9);
	put_be16(udp + 4, len - 34);
	memcpy(udp + 8, test_magic, 4);
	put_be32(udp + 12, idx);
	return len;
}

static struct nm_desc *open_port(const char *name)
{
	struct nm_desc *d = nm_open(name, NULL, 0, NULL);

	if (d == NULL) {
		fprintf(stderr, "frames: cannot open %s: %s\n", name,
			strerror(errno));
		exit(1);
	}
	return d;
}

/* ---- transmit ------------------------------------------------------------ */

struct sender {
	struct nm_desc *d;
	struct netmap_ring *ring;
	uint64_t start_ns;
	uint32_t pps;
	uint32_t sent; /* frames put in the ring */
};

/* Waits until @slots slots are free; false if the ring stalled. */
static int wait_tx_space(struct sender *s, uint32_t slots)
{
	uint64_t deadline = now_ms() + STALL_MS;
	struct pollfd pfd = {.fd = s->d->fd, .events = POLLOUT};

	while (nm_ring_space(s->ring) < slots) {
		if (now_ms() > deadline) {
			fprintf(stderr, "frames: tx ring stalled\n");
			return 0;
		}
		if (poll(&pfd, 1, 100) < 0 && errno != EINTR)
			return 0;
		if (pfd.revents & POLLERR) {
			fprintf(stderr, "frames: POLLERR on transmit\n");
			return 0;
		}
	}
	return 1;
}

/* Copies frame @f into the ring at cur, one slot per buffer. */
static void put_frame(struct netmap_ring *ring, const uint8_t *f, uint32_t len)
{
	uint32_t cur = ring->cur, off = 0;

	while (off < len) {
		struct netmap_slot *slot = &ring->slot[cur];
		uint32_t n = len - off;

		if (n > ring->nr_buf_size)
			n = ring->nr_buf_size;
		memcpy(NETMAP_BUF(ring, slot->buf_idx), f + off, n);
		slot->len = n;
		off += n;
		slot->flags = off < len ? NS_MOREFRAG : 0;
		cur = nm_ring_next(ring, cur);
	}
	ring->head = ring->cur = cur;
}

/* Sleeps until frame number s->sent is due at the configured rate. */
static void pace(struct sender *s)
{
	uint64_t due = s->start_ns + (uint64_t)s->sent * 1000000000ull / s->pps;
	uint64_t now = now_ns();

	if (due > now) {
		struct timespec ts = {.tv_sec = (due - now) / 1000000000ull,
				      .tv_nsec = (due - now) % 1000000000ull};
		ioctl(s->d->fd, NIOCTXSYNC, NULL);
		nanosleep(&ts, NULL);
	}
}

/* Waits until the kernel took every pending slot. */
static int drain_tx(struct sender *s)
{
	uint64_t deadline = now_ms() + STALL_MS;

	for (;;) {
		if (ioctl(s->d->fd, NIOCTXSYNC, NULL) < 0) {
			perror("frames: NIOCTXSYNC");
			return 0;
		}
		if (!nm_tx_pending(s->ring))
			return 1;
		if (now_ms() > deadline) {
			fprintf(stderr, "frames: tx ring did not drain\n");
			return 0;
		}
		struct pollfd pfd = {.fd = s->d->fd, .events = POLLOUT};
		poll(&pfd, 1, 10);
	}
}

typedef uint32_t (*frame_builder)(uint8_t *f, uint32_t idx, uint32_t arg);

static uint32_t test_frame_builder(uint8_t *f, uint32_t idx, uint32_t len)
{
	build_test_frame(f, idx, len);
	return len;
}

static int send_frames(const char *port, uint32_t n, frame_builder build,
		       uint32_t arg, uint32_t pps)
{
	static uint8_t frame[MAX_FRAME];
	struct sender s = {.d = open_port(port), .pps = pps};
	int ok = 1;

	s.ring = NETMAP_TXRING(s.d->nifp, s.d->first_tx_ring);
	s.start_ns = now_ns();
	while (ok && s.sent < n) {
		uint32_t len = build(frame, s.sent, arg);
		uint32_t slots =
		    (len + s.ring->nr_buf_size - 1) / s.ring->nr_buf_size;

		if (s.sent % BATCH == 0)
			pace(&s);
		ok = wait_tx_space(&s, slots);
		if (ok) {
			put_frame(s.ring, frame, len);
			s.sent++;
		}
	}
	ok = ok && drain_tx(&s);
	printf("sent=%u%s\n", s.sent, ok ? "" : " (not all transmitted)");
	nm_close(s.d);
	return ok ? 0 : 1;
}

/* ---- receive ------------------------------------------------------------- */

struct receiver {
	uint32_t want, len;
	uint64_t next; /* the index the next test frame should carry */
	uint64_t received, bad, stray, extra;
	uint8_t frame[MAX_FRAME];  /* the frame being reassembled */
	uint8_t expect[MAX_FRAME]; /* what it should be */
};

static int is_test_frame(const uint8_t *f, uint32_t n)
{
	return n >= TEST_HDR_LEN && f[12] == ETH_TEST_TYPE >> 8 &&
	       f[13] == (ETH_TEST_TYPE & 0xff) &&
	       memcmp(f + 14, test_magic, 4) == 0;
}

/* First offset where @a and @b differ, or -1. */
static long first_difference(const uint8_t *a, const uint8_t *b, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		if (a[i] != b[i])
			return i;
	return -1;
}

static void check_frame(struct receiver *r, uint32_t n)
{
	uint32_t idx;
	long diff;

	if (!is_test_frame(r->frame, n)) {
		r->stray++;
		return;
	}
	if (r->received >= r->want) {
		r->extra++;
		return;
	}
	/* a frame lost on the way (counted by whoever dropped it) leaves a
	 * gap; one that comes back, or too early, is bad */
	idx = get_be32(r->frame + 18);
	if (idx > r->next && idx < r->want)
		r->next = idx;
	build_test_frame(r->expect, (uint32_t)r->next, r->len);
	diff = n == r->len ? first_difference(r->frame, r->expect, n) : 0;
	if (diff >= 0 && r->bad++ < 10)
		fprintf(stderr,
			"frames: frame #%llu (index %u): %u bytes, expected "
			"%u; first wrong byte at offset %ld\n",
			(unsigned long long)r->next, idx, n, r->len, diff);
	r->next++;
	r->received++;
}

/* Slots of the frame at @i, or 0 if it is not complete before tail. */
static uint32_t chain_length(struct netmap_ring *ring, uint32_t i)
{
	uint32_t n = 1;

	for (; ring->slot[i].flags & NS_MOREFRAG; n++) {
		i = nm_ring_next(ring, i);
		if (i == ring->tail)
			return 0;
	}
	return n;
}

static void consume_ring(struct receiver *r, struct netmap_ring *ring)
{
	uint32_t cur = ring->cur;

	while (cur != ring->tail) {
		uint32_t slots = chain_length(ring, cur), n = 0;

		if (slots == 0)
			break; /* wait for the rest of the chain */
		for (; slots > 0; slots--, cur = nm_ring_next(ring, cur)) {
			struct netmap_slot *slot = &ring->slot[cur];

			if (n + slot->len <= MAX_FRAME)
				memcpy(r->frame + n,
				       NETMAP_BUF(ring, slot->buf_idx),
				       slot->len);
			n += slot->len;
		}
		check_frame(r, n > MAX_FRAME ? MAX_FRAME : n);
	}
	ring->head = ring->cur = cur;
}

/* Why the port failed: a sync tells the errno (ENXIO: interface gone). */
static void report_port_error(const char *port, int fd)
{
	if (ioctl(fd, NIOCRXSYNC, NULL) < 0)
		fprintf(stderr, "frames: %s: port error: %s\n", port,
			strerror(errno));
	else
		fprintf(stderr, "frames: %s: port error (POLLERR)\n", port);
}

static void print_kernel_drops(int fd)
{
	struct pktmap_stats st;

	if (pktmap_stats_get && pktmap_stats_get(fd, &st) == 0)
		printf("kernel_drops=%llu truncated=%llu\n",
		       (unsigned long long)st.rx_drops,
		       (unsigned long long)st.rx_truncated);
}

/*
 * Receives on the open port @d until N test frames and the grace period
 * after them, or the timeout.  Returns the exit status.
 */
static int receive_frames(struct nm_desc *d, const char *port, uint32_t n,
			  uint32_t len, uint32_t timeout_s)
{
	static struct receiver r;
	uint64_t deadline = now_ms() + timeout_s * 1000ull, done_at = 0;
	struct pollfd pfd = {.fd = d->fd, .events = POLLIN};
	int status;

	r.want = n;
	r.len = len;
	while (now_ms() < deadline && (!done_at || now_ms() < done_at)) {
		if (poll(&pfd, 1, 50) < 0 && errno != EINTR) {
			perror("frames: poll");
			return 1;
		}
		if (pfd.revents & (POLLERR | POLLNVAL)) {
			report_port_error(port, d->fd);
			return 2;
		}
		for (int i = d->first_rx_ring; i <= d->last_rx_ring; i++)
			consume_ring(&r, NETMAP_RXRING(d->nifp, i));
		if (!done_at && r.received >= r.want)
			done_at = now_ms() + GRACE_MS;
	}
	status = r.received == r.want && r.bad == 0 && r.extra == 0 ? 0 : 1;
	printf("received=%llu bad=%llu stray=%llu extra=%llu missing=%llu\n",
	       (unsigned long long)r.received, (unsigned long long)r.bad,
	       (unsigned long long)r.stray, (unsigned long long)r.extra,
	       (unsigned long long)(r.want - r.received));
	print_kernel_drops(d->fd);
	return status;
}

/* ---- command line ----------------------------------------------------------
 */

static uint32_t number(const char *s, const char *what)
{
	char *end;
	unsigned long v = strtoul(s, &end, 0);

	if (*s == '\0' || *end != '\0' || v > UINT32_MAX) {
		fprintf(stderr, "frames: bad %s '%s'\n", what, s);
		exit(1);
	}
	return v;
}

/* @hex was validated: an even number of hex digits. */
static uint32_t hex_frame(uint8_t *f, const char *hex)
{
	uint32_t n = 0;

	for (; hex[0] && hex[1] && n < MAX_FRAME; hex += 2) {
		char byte[3] = {hex[0], hex[1], 0};

		f[n++] = strtoul(byte, NULL, 16);
	}
	return n;
}

static uint32_t udp_frame_builder(uint8_t *f, uint32_t idx, uint32_t flows)
{
	return build_udp_frame(f, idx, flows);
}

static const char *given_hex;

static uint32_t hex_frame_builder(uint8_t *f, uint32_t idx, uint32_t arg)
{
	(void)idx;
	(void)arg;
	return hex_frame(f, given_hex);
}

static int usage(void)
{
	fprintf(stderr, "usage: frames send PORT N LEN [PPS]\n"
			"       frames recv PORT N LEN TIMEOUT_S\n"
			"       frames udp PORT N FLOWS [PPS]\n"
			"       frames hex PORT HEX\n");
	return 1;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 4)
		return usage();
	const char *cmd = argv[1], *port = argv[2];
	uint32_t pps = argc > 5 ? number(argv[5], "rate") : 0;

	if (pps == 0)
		pps = DEFAULT_PPS;
	if (!strcmp(cmd, "send") && argc >= 5) {
		uint32_t len = number(argv[4], "length");

		if (len < TEST_HDR_LEN || len > MAX_FRAME)
			return usage();
		if (argc <= 5 && (uint64_t)pps * len > DEFAULT_BPS)
			pps = DEFAULT_BPS / len;
		return send_frames(port, number(argv[3], "count"),
				   test_frame_builder, len, pps);
	}
	if (!strcmp(cmd, "udp") && argc >= 5) {
		uint32_t flows = number(argv[4], "flows");
		return send_frames(port, number(argv[3], "count"),
				   udp_frame_builder, flows ? flows : 1, pps);
	}
	if (!strcmp(cmd, "hex")) {
		given_hex = argv[3];
		size_t digits = strlen(given_hex);

		if (digits < 28 || digits % 2 ||
		    strspn(given_hex, "0123456789abcdefABCDEF") != digits)
			return usage();
		return send_frames(port, 1, hex_frame_builder, 0, pps);
	}
	if (!strcmp(cmd, "recv") && argc >= 6) {
		uint32_t n = number(argv[3], "count");
		uint32_t len = number(argv[4], "length");
		uint32_t timeout = number(argv[5], "timeout");
		struct nm_desc *d = open_port(port);
		int status;

		printf("ready\n");
		status = receive_frames(d, port, n, len, timeout);
		nm_close(d);
		return status;
	}
	return usage();
}
