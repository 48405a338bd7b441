// SPDX-License-Identifier: BSD-2-Clause
/*
 * ping and pong: latency.  ping sends UDP frames that carry a sequence
 * number and the time they left; pong sends each one back with addresses
 * and ports swapped; ping takes the round trip time from its own timestamp
 * in the reply, so it keeps no table of frames in flight.
 *
 * Without -R, ping has one frame in flight: it sends the next when the
 * reply came or --ping-wait passed.  With -R it sends at that rate whatever
 * comes back.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "gen.h"

#define PING_MAGIC   0x706b6d70u /* "pkmp" */
#define PING_LEN     16		 /* magic, 32-bit seq, 64-bit time */
#define PING_WINDOW  65536	 /* replies told apart from repeats */
#define RTT_MAX_KEEP (1u << 24)	 /* samples kept for the percentiles */

struct ping_state {
	uint64_t sent, replies, repeats, last_send_ns;
	uint64_t rtt_min, rtt_max, rtt_sum;
	uint64_t *rtt; /* samples for the percentiles */
	size_t n_rtt, cap;
	uint64_t answered[PING_WINDOW / 64];
};

int ping_prepare(struct worker *w)
{
	w->ping = calloc(1, sizeof(*w->ping));
	if (!w->ping)
		return -1;
	w->ping->rtt_min = UINT64_MAX;
	frame_build_udp(w->frame, w->cfg->len, &w->addr);
	memset(w->frame + FRAME_HDR_LEN, 0, w->cfg->len - FRAME_HDR_LEN);
	return 0;
}

void ping_free(struct worker *w)
{
	if (!w->ping)
		return;
	free(w->ping->rtt);
	free(w->ping);
	w->ping = NULL;
}

static void put32(uint8_t *p, uint32_t v)
{
	frame_put16(p, v >> 16);
	frame_put16(p + 2, v & 0xffff);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)frame_get16(p) << 16 | frame_get16(p + 2);
}

/* The ping payload of a UDP frame, or NULL if it is something else. */
static const uint8_t *ping_payload(const uint8_t *p, size_t len,
				   struct frame_udp *u)
{
	if (frame_parse_udp(p, len, u) != FRAME_UDP_OK ||
	    u->payload_len < PING_LEN)
		return NULL;
	p += u->payload_off;
	return get32(p) == PING_MAGIC ? p : NULL;
}

/* ---- ping ---- */

/* Queues request number ps->sent on the first TX ring with room. */
static bool ping_send(struct worker *w)
{
	struct nmport_d *d = w->d;
	struct ping_state *ps = w->ping;
	size_t len = w->cfg->len;
	uint8_t *pl = w->frame + FRAME_HDR_LEN;
	struct netmap_ring *ring;
	unsigned int i;

	for (i = d->first_tx_ring; i <= d->last_tx_ring; i++) {
		ring = NETMAP_TXRING(d->nifp, i);
		if (nm_ring_space(ring) < ring_slots_for(ring, len))
			continue;
		put32(pl, PING_MAGIC);
		put32(pl + 4, (uint32_t)ps->sent);
		/* the bit may hold the answer of ps->sent - PING_WINDOW */
		ps->answered[(ps->sent % PING_WINDOW) / 64] &=
		    ~(1ULL << (ps->sent % 64));
		ps->last_send_ns = stats_now_ns();
		frame_put64(pl + 8, ps->last_send_ns);
		ring->head = ring->cur =
		    ring_put_frame(ring, ring->cur, w->frame, len);
		if (ioctl(d->fd, NIOCTXSYNC, NULL) < 0) {
			worker_fail(w, "txsync", errno);
			return false;
		}
		ps->sent++;
		return true;
	}
	return false;
}

static void rtt_keep(struct ping_state *ps, uint64_t rtt)
{
	size_t cap;
	uint64_t *p;

	if (rtt < ps->rtt_min)
		ps->rtt_min = rtt;
	if (rtt > ps->rtt_max)
		ps->rtt_max = rtt;
	ps->rtt_sum += rtt;
	if (ps->n_rtt == ps->cap) {
		if (ps->cap >= RTT_MAX_KEEP)
			return;
		cap = ps->cap ? ps->cap * 2 : 4096;
		p = realloc(ps->rtt, cap * sizeof(*p));
		if (!p)
			return;
		ps->rtt = p;
		ps->cap = cap;
	}
	ps->rtt[ps->n_rtt++] = rtt;
}

/* The full sequence number of a reply's low 32 bits, near ps->sent. */
static uint64_t reply_seq(const struct ping_state *ps, uint32_t low)
{
	uint64_t s = (ps->sent & ~0xffffffffULL) | low;

	return s >= ps->sent && s >= (1ULL << 32) ? s - (1ULL << 32) : s;
}

/* Takes one reply: counted once per request, its rtt kept. */
static void ping_take(struct worker *w, const uint8_t *pl, size_t len,
		      uint64_t now)
{
	struct ping_state *ps = w->ping;
	uint64_t seq = reply_seq(ps, get32(pl + 4)), bit;
	uint64_t *word = &ps->answered[(seq % PING_WINDOW) / 64];

	bit = 1ULL << (seq % 64);
	if (seq >= ps->sent || ps->sent - seq > PING_WINDOW || (*word & bit)) {
		ps->repeats++;
		return;
	}
	*word |= bit;
	rtt_keep(ps, now - frame_get64(pl + 8));
	ps->replies++;
	if (!w->packets)
		store(&w->first_ns, now);
	store(&w->last_ns, now);
	store(&w->packets, w->packets + 1);
	store(&w->bytes, w->bytes + len);
}

/* Whether the reply to the latest request is in. */
static bool last_answered(const struct ping_state *ps)
{
	uint64_t s = ps->sent - 1;

	return ps->answered[(s % PING_WINDOW) / 64] >> (s % 64) & 1;
}

static void ping_receive(struct worker *w)
{
	struct nmport_d *d = w->d;
	uint64_t now = stats_now_ns();
	struct netmap_ring *ring;
	struct frame_udp u;
	const uint8_t *p, *pl;
	uint32_t i, n;
	unsigned int r;
	size_t len;

	for (r = d->first_rx_ring; r <= d->last_rx_ring; r++) {
		ring = NETMAP_RXRING(d->nifp, r);
		for (i = ring->cur; i != ring->tail;
		     i = nm_ring_next(ring, i)) {
			n = ring_frame_slots(ring, i);
			if (!n)
				break;
			p = ring_frame_bytes(ring, i, n, w->frame + 4096, &len);
			pl = ping_payload(p, len, &u);
			if (pl && u.dst_ip.s_addr == w->addr.src_ip.s_addr &&
			    u.dport == w->addr.sport)
				ping_take(w, pl, len, now);
			else
				store(&w->other, w->other + 1);
			i = (i + n - 1) % ring->num_slots;
		}
		ring->head = ring->cur = i;
	}
}

/* When the next request may leave; UINT64_MAX when none will. */
static uint64_t ping_next_due(struct worker *w, uint64_t start)
{
	const struct cfg *c = w->cfg;
	struct ping_state *ps = w->ping;
	uint64_t wait_ns = (uint64_t)(c->ping_wait * 1e9);

	if (c->count && ps->sent >= c->count)
		return UINT64_MAX;
	if (c->rate)
		return start + (uint64_t)(ps->sent * 1e9 / c->rate);
	if (!ps->sent || last_answered(ps))
		return 0;
	return ps->last_send_ns + wait_ns;
}

static bool ping_finished(struct worker *w, uint64_t now)
{
	const struct cfg *c = w->cfg;
	struct ping_state *ps = w->ping;

	if (!c->count || ps->sent < c->count)
		return false;
	return ps->replies == c->count ||
	       now - ps->last_send_ns >= c->ping_wait * 1e9;
}

/* Waits for replies until @due (CLOCK_MONOTONIC ns), at most 100 ms. */
static bool ping_wait(struct worker *w, uint64_t due)
{
	struct pollfd pfd = {.fd = w->d->fd, .events = POLLIN};
	uint64_t now = stats_now_ns();
	int ms = 100;

	if (due <= now)
		ms = 0;
	else if (due - now < 100000000ULL)
		ms = (int)((due - now + 999999) / 1000000);
	if (poll(&pfd, 1, ms) < 0 && errno != EINTR) {
		worker_fail(w, "poll", errno);
		return false;
	}
	if (pfd.revents & (POLLERR | POLLNVAL)) {
		errno = EIO;
		ioctl(w->d->fd, NIOCRXSYNC, NULL);
		worker_fail(w, "poll", errno);
		return false;
	}
	return true;
}

void *ping_worker(void *arg)
{
	struct worker *w = arg;
	uint64_t start = stats_now_ns(), due;

	while (!stopping() && !ping_finished(w, stats_now_ns())) {
		due = ping_next_due(w, start);
		if (due <= stats_now_ns()) {
			if (!ping_send(w) && w->err)
				break;
			due = ping_next_due(w, start);
		}
		if (due == UINT64_MAX)
			due = w->ping->last_send_ns +
			      (uint64_t)(w->cfg->ping_wait * 1e9);
		if (!ping_wait(w, due))
			break;
		ping_receive(w);
	}
	store(&w->finished, 1);
	return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The @pct-th percentile (nearest rank) of the sorted samples, in us. */
static double percentile_us(const struct ping_state *ps, unsigned int pct)
{
	size_t rank;

	if (!ps->n_rtt)
		return 0;
	rank = (ps->n_rtt * pct + 99) / 100;
	return ps->rtt[rank ? rank - 1 : 0] / 1e3;
}

void ping_summary(const struct cfg *c, const struct worker *w)
{
	struct ping_state *ps = w->ping;
	double avg = ps->replies ? (double)ps->rtt_sum / ps->replies / 1e3 : 0;

	(void)c;
	qsort(ps->rtt, ps->n_rtt, sizeof(*ps->rtt), cmp_u64);
	log_info("%llu sent, %llu replies, rtt min/avg/max %.3f/%.3f/%.3f us,"
		 " p50 %.3f p90 %.3f p99 %.3f us",
		 (unsigned long long)ps->sent, (unsigned long long)ps->replies,
		 ps->replies ? ps->rtt_min / 1e3 : 0, avg, ps->rtt_max / 1e3,
		 percentile_us(ps, 50), percentile_us(ps, 90),
		 percentile_us(ps, 99));
	summary_u64("sent", ps->sent);
	summary_u64("replies", ps->replies);
	summary_u64("lost", ps->sent - ps->replies);
	summary_u64("repeats", ps->repeats);
	summary_num("rtt_min_us", "%.3f", ps->replies ? ps->rtt_min / 1e3 : 0);
	summary_num("rtt_avg_us", "%.3f", avg);
	summary_num("rtt_max_us", "%.3f", ps->rtt_max / 1e3);
	summary_num("rtt_p50_us", "%.3f", percentile_us(ps, 50));
	summary_num("rtt_p90_us", "%.3f", percentile_us(ps, 90));
	summary_num("rtt_p99_us", "%.3f", percentile_us(ps, 99));
}

/* ---- pong ---- */

static void swap_bytes(uint8_t *a, uint8_t *b, size_t n)
{
	uint8_t t[6];

	memcpy(t, a, n);
	memcpy(a, b, n);
	memcpy(b, t, n);
}

/* Turns a request into its reply in place; checksums stay valid. */
static void reflect(uint8_t *p)
{
	uint8_t *ip = p + FRAME_ETH_LEN, *udp = ip + FRAME_IP_LEN;

	swap_bytes(p, p + 6, 6);
	swap_bytes(ip + 12, ip + 16, 4);
	swap_bytes(udp, udp + 2, 2);
}

/* A TX ring with room for @len bytes, or NULL. */
static struct netmap_ring *tx_room(struct nmport_d *d, size_t len)
{
	struct netmap_ring *ring;
	unsigned int i;

	for (i = d->first_tx_ring; i <= d->last_tx_ring; i++) {
		ring = NETMAP_TXRING(d->nifp, i);
		if (nm_ring_space(ring) >= ring_slots_for(ring, len))
			return ring;
	}
	return NULL;
}

/* Reflects the requests of @ring; false when TX is full or -n reached. */
static bool pong_ring(struct worker *w, struct netmap_ring *ring)
{
	uint64_t limit = w->cfg->count;
	struct netmap_ring *tx;
	struct frame_udp u;
	const uint8_t *p;
	uint32_t i, n;
	size_t len;
	bool more = true;

	for (i = ring->cur; i != ring->tail && more;) {
		n = ring_frame_slots(ring, i);
		if (!n)
			break;
		p = ring_frame_bytes(ring, i, n, w->frame, &len);
		if (!ping_payload(p, len, &u)) {
			store(&w->other, w->other + 1);
		} else {
			tx = tx_room(w->d, len);
			if (!tx)
				break; /* keep it for when TX has room */
			if (p != w->frame)
				memcpy(w->frame, p, len);
			reflect(w->frame);
			tx->head = tx->cur =
			    ring_put_frame(tx, tx->cur, w->frame, len);
			if (!w->packets)
				store(&w->first_ns, stats_now_ns());
			store(&w->packets, w->packets + 1);
			store(&w->bytes, w->bytes + len);
			more = !limit || w->packets < limit;
		}
		while (n--)
			i = nm_ring_next(ring, i);
	}
	ring->head = ring->cur = i;
	return more;
}

void *pong_worker(void *arg)
{
	struct worker *w = arg;
	struct nmport_d *d = w->d;
	bool more = true;
	unsigned int r;

	while (!stopping() && more) {
		if (!wait_ring(w, POLLIN))
			break;
		for (r = d->first_rx_ring; r <= d->last_rx_ring && more; r++)
			more = pong_ring(w, NETMAP_RXRING(d->nifp, r));
		if (ioctl(d->fd, NIOCTXSYNC, NULL) < 0) {
			worker_fail(w, "txsync", errno);
			break;
		}
		store(&w->last_ns, stats_now_ns());
	}
	if (!w->err)
		tx_drain(w);
	store(&w->finished, 1);
	return NULL;
}
