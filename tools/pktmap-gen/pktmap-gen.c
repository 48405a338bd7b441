// SPDX-License-Identifier: BSD-2-Clause
/* # LIBS: -lpcap (replay.c reads pcap files with libpcap) */
/*
 * pktmap-gen: sends and receives UDP/IPv4 test traffic on a netmap port, the
 * role netmap's pkt-gen plays.  One thread per ring; every thread loops on
 * poll() and moves whole batches of slots per system call.
 *
 * The txseq/rxseq modes carry a sequence number and a payload derived from it,
 * so the receiver can check order and content byte for byte, per flow.
 * ping/pong (ping.c) measure latency; --replay (replay.c) sends a pcap file.
 */
#include <endian.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <pktmap.h>

#include "gen.h"

#define POLL_MS	     100 /* how often a waiting thread looks at stop */
#define MAIN_TICK_NS 20000000ULL
#define DRAIN_NS     3000000000ULL /* bound on waiting for tx to finish */
#define SEQ_MAGIC    0x706b6d31u   /* "pkm1" */
#define SEQ_HDR_LEN  12		   /* magic + 64-bit sequence number */
#define SEQ_WINDOW   65536	   /* sequence numbers remembered per flow */
#define FLOW_SLOTS   1024	   /* flows tracked per receive thread */

static const char *const mode_names[] = {"tx",	 "rx",	 "txseq", "rxseq",
					 "ping", "pong", NULL};

static const struct opt options[] = {
    OPT_ARG('i', "port", OPT_STR, struct cfg, port, "PORT",
	    "netmap port, e.g. netmap:veth0", OPT_REQUIRED),
    OPT_ARG('f', "mode", OPT_ENUM, struct cfg, mode, "MODE",
	    "tx, rx, txseq, rxseq, ping or pong", .choices = mode_names),
    OPT_ARG('l', "length", OPT_UINT, struct cfg, len, "LEN",
	    "frame length in bytes, 60..9000", .min = FRAME_MIN_LEN,
	    .max = FRAME_MAX_LEN),
    OPT_ARG('n', "count", OPT_UINT, struct cfg, count, "COUNT",
	    "frames to send or receive, 0 = forever"),
    OPT_ARG('R', "rate", OPT_UINT, struct cfg, rate, "PPS",
	    "transmit rate limit, 0 = as fast as possible"),
    OPT_ARG('b', "burst", OPT_UINT, struct cfg, burst, "N", "frames per sync",
	    .min = 1, .max = 65536),
    OPT_ARG('S', "src-mac", OPT_MAC, struct cfg, src_mac, "MAC",
	    "source MAC (default: the interface's)"),
    OPT_ARG('D', "dst-mac", OPT_MAC, struct cfg, dst_mac, "MAC",
	    "destination MAC"),
    OPT_ARG('s', "src", OPT_STR, struct cfg, src_spec, "IP[-IP][:P[-P]]",
	    "source address range and UDP port range"),
    OPT_ARG('d', "dst", OPT_STR, struct cfg, dst_spec, "IP[-IP][:P[-P]]",
	    "destination address range and UDP port range"),
    OPT_ARG(0, "sport", OPT_UINT, struct cfg, sport, "PORT",
	    "UDP source port when -s has none; thread i uses PORT+i", .min = 0,
	    .max = 65535),
    OPT_ARG(0, "dport", OPT_UINT, struct cfg, dport, "PORT",
	    "UDP destination port when -d has none", .min = 0, .max = 65535),
    OPT_ARG(0, "random", OPT_FLAG, struct cfg, random, NULL,
	    "random addresses and ports within the ranges"),
    OPT_ARG(0, "replay", OPT_STR, struct cfg, replay, "FILE",
	    "send the frames of a pcap file, at its pace or at -R"),
    OPT_ARG(0, "ping-wait", OPT_DOUBLE, struct cfg, ping_wait, "SECONDS",
	    "ping: how long to wait for a reply"),
    OPT_ARG('p', "threads", OPT_UINT, struct cfg, threads, "N",
	    "threads, one ring each: thread i opens PORT-i", .min = 1,
	    .max = MAX_THREADS),
    OPT_ARG('w', "wait", OPT_DOUBLE, struct cfg, wait, "SECONDS",
	    "wait before sending, for links to settle"),
    OPT_RUN_OPTIONS(struct cfg),
    OPT_END,
};

static const struct opt_prog prog = {
    .name = "pktmap-gen",
    .synopsis = "[options] -i PORT",
    .doc = "Sends or receives UDP/IPv4 test traffic on a netmap port; "
	   "txseq/rxseq\n check order and content of every frame, ping/pong "
	   "measure latency,\n --replay sends a pcap file.",
    .opts = options,
};

/* What rxseq remembers of one flow (source address and UDP port). */
struct flow {
	uint64_t key;	/* ip << 16 | port, + 1 so that 0 means free */
	uint64_t next;	/* highest sequence number seen + 1 */
	uint64_t *seen; /* bitmap of [next - SEQ_WINDOW, next) */
};

struct worker workers[MAX_THREADS];
unsigned int nworkers;
static int all_done;	      /* set when the run must end */
static uint64_t rx_remaining; /* rx -n: frames left to claim */

bool stopping(void)
{
	return tool_stop || __atomic_load_n(&all_done, __ATOMIC_RELAXED);
}

void stop_all(void)
{
	__atomic_store_n(&all_done, 1, __ATOMIC_RELAXED);
}

static bool is_tx(const struct cfg *c)
{
	return c->mode == MODE_TX || c->mode == MODE_TXSEQ;
}

static bool is_ping(const struct cfg *c)
{
	return c->mode == MODE_PING || c->mode == MODE_PONG;
}

static bool is_seq(const struct cfg *c)
{
	return c->mode == MODE_TXSEQ || c->mode == MODE_RXSEQ;
}

void worker_fail(struct worker *w, const char *what, int err)
{
	w->err = err;
	w->err_what = what;
	stop_all();
}

/* ---- sequence payload ---- */

static uint64_t seq_mix(uint64_t seq)
{
	return (seq + 1) * 0x9e3779b97f4a7c15ULL;
}

/* Word @j of the pattern of a frame whose sequence hash is @h. */
static inline uint64_t seq_word(uint64_t h, size_t j)
{
	return htole64(h ^ (j * 0x0101010101010101ULL));
}

/* Payload of frame @seq: magic, seq, then 8-byte words derived from both. */
static void seq_payload_write(uint8_t *p, size_t len, uint64_t seq)
{
	uint64_t h = seq_mix(seq), v;
	size_t off = SEQ_HDR_LEN, j = 0;

	frame_put16(p, SEQ_MAGIC >> 16);
	frame_put16(p + 2, SEQ_MAGIC & 0xffff);
	frame_put64(p + 4, seq);
	for (; off + 8 <= len; off += 8, j++) {
		v = seq_word(h, j);
		memcpy(p + off, &v, 8);
	}
	v = seq_word(h, j);
	memcpy(p + off, &v, len - off);
}

static bool seq_payload_ok(const uint8_t *p, size_t len, uint64_t seq)
{
	uint64_t h = seq_mix(seq), v, bad = 0;
	size_t off = SEQ_HDR_LEN, j = 0;

	for (; off + 8 <= len; off += 8, j++) {
		memcpy(&v, p + off, 8);
		bad |= v ^ seq_word(h, j);
	}
	v = seq_word(h, j);
	return !bad && !memcmp(p + off, &v, len - off);
}

/* ---- transmit ---- */

/* ---- addresses ---- */

static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static uint32_t rng_between(uint64_t *s, uint32_t lo, uint32_t hi)
{
	return lo + (uint32_t)(rng_next(s) % ((uint64_t)hi - lo + 1));
}

static void addr_random(struct worker *w)
{
	const struct cfg *c = w->cfg;
	struct frame_addr *a = &w->addr;

	a->src_ip.s_addr =
	    htonl(rng_between(&w->rng, c->src.ip_lo, c->src.ip_hi));
	a->dst_ip.s_addr =
	    htonl(rng_between(&w->rng, c->dst.ip_lo, c->dst.ip_hi));
	if (c->src.has_port)
		a->sport = (uint16_t)rng_between(&w->rng, c->src.port_lo,
						 c->src.port_hi);
	if (c->dst.has_port)
		a->dport = (uint16_t)rng_between(&w->rng, c->dst.port_lo,
						 c->dst.port_hi);
}

/* Next port of @r after *@p; false when it wrapped to the first. */
static bool step_port(uint16_t *p, const struct frame_range *r)
{
	if (!r->has_port)
		return false;
	if (*p < r->port_hi) {
		(*p)++;
		return true;
	}
	*p = r->port_lo;
	return false;
}

static bool step_ip(struct in_addr *ip, const struct frame_range *r)
{
	uint32_t v = ntohl(ip->s_addr);
	bool more = v < r->ip_hi;

	ip->s_addr = htonl(more ? v + 1 : r->ip_lo);
	return more;
}

/*
 * The next combination, counting like an odometer: source port fastest,
 * then source address, destination port, destination address.
 */
static void addr_next(struct worker *w)
{
	const struct cfg *c = w->cfg;
	struct frame_addr *a = &w->addr;

	if (c->random) {
		addr_random(w);
		return;
	}
	if (step_port(&a->sport, &c->src) || step_ip(&a->src_ip, &c->src) ||
	    step_port(&a->dport, &c->dst))
		return;
	step_ip(&a->dst_ip, &c->dst);
}

/* Fills up to @budget frames into @ring; returns how many. */
static uint64_t tx_fill_ring(struct worker *w, struct netmap_ring *ring,
			     uint64_t budget)
{
	size_t len = w->cfg->len;
	uint64_t n = nm_ring_space(ring) / ring_slots_for(ring, len), i;
	uint32_t cur = ring->cur;
	bool seq = is_seq(w->cfg);

	if (n > budget)
		n = budget;
	for (i = 0; i < n; i++) {
		if (w->vary) {
			frame_build_udp(w->frame, len, &w->addr);
			addr_next(w);
		}
		if (seq)
			seq_payload_write(w->frame + FRAME_HDR_LEN,
					  len - FRAME_HDR_LEN, w->packets + i);
		cur = ring_put_frame(ring, cur, w->frame, len);
	}
	ring->head = ring->cur = cur;
	return n;
}

/* Frames this thread may send now, under the rate and the count. */
static uint64_t tx_budget(struct worker *w, uint64_t start_ns, double pps)
{
	uint64_t b = w->cfg->burst, allowed;

	if (w->quota - w->packets < b)
		b = w->quota - w->packets;
	if (pps > 0) {
		allowed = (uint64_t)((stats_now_ns() - start_ns) / 1e9 * pps);
		allowed = allowed > w->packets ? allowed - w->packets : 0;
		if (allowed < b)
			b = allowed;
	}
	return b;
}

void sleep_until(uint64_t due)
{
	uint64_t now = stats_now_ns();
	struct timespec ts;

	if (due <= now)
		return;
	if (due - now > 100000000ULL)
		due = now + 100000000ULL;
	ts.tv_sec = (due - now) / 1000000000ULL;
	ts.tv_nsec = (due - now) % 1000000000ULL;
	nanosleep(&ts, NULL);
}

/* Sleeps until the next frame is due under the rate limit. */
static void tx_pace(struct worker *w, uint64_t start_ns, double pps)
{
	if (pps > 0)
		sleep_until(start_ns +
			    (uint64_t)((w->packets + 1) / pps * 1e9));
}

static bool tx_pending(struct nmport_d *d)
{
	unsigned int i;

	for (i = d->first_tx_ring; i <= d->last_tx_ring; i++)
		if (nm_tx_pending(NETMAP_TXRING(d->nifp, i)))
			return true;
	return false;
}

void tx_drain(struct worker *w)
{
	uint64_t end = stats_now_ns() + DRAIN_NS;
	struct timespec ts = {0, 50000};

	while (tx_pending(w->d) && stats_now_ns() < end) {
		if (ioctl(w->d->fd, NIOCTXSYNC, NULL) < 0) {
			worker_fail(w, "txsync", errno);
			return;
		}
		nanosleep(&ts, NULL);
	}
}

bool wait_ring(struct worker *w, short events)
{
	struct pollfd pfd = {.fd = w->d->fd, .events = events};
	int ret = poll(&pfd, 1, POLL_MS);

	if (ret < 0 && errno != EINTR) {
		worker_fail(w, "poll", errno);
		return false;
	}
	if (ret > 0 && (pfd.revents & (POLLERR | POLLNVAL))) {
		/* a sync tells why: EINVAL ring reset, ENXIO port gone */
		errno = EIO;
		ioctl(w->d->fd, events == POLLOUT ? NIOCTXSYNC : NIOCRXSYNC,
		      NULL);
		worker_fail(w, "poll", errno);
		return false;
	}
	return true;
}

void publish_drops(struct worker *w)
{
	struct pktmap_stats st;

	if (pktmap_stats_get(w->d->fd, &st) == 0)
		store(&w->drops, is_tx(w->cfg) || w->cfg->replay ? st.tx_errors
								 : st.rx_drops);
}

static void *tx_worker(void *arg)
{
	struct worker *w = arg;
	struct nmport_d *d = w->d;
	double pps = w->cfg->rate ? (double)w->cfg->rate / nworkers : 0;
	uint64_t start = stats_now_ns(), budget, n, next_stats = start;
	unsigned int i;

	store(&w->first_ns, start);
	while (!stopping() && w->packets < w->quota) {
		if (!wait_ring(w, POLLOUT))
			break;
		budget = tx_budget(w, start, pps);
		if (!budget) {
			tx_pace(w, start, pps);
			continue;
		}
		for (i = d->first_tx_ring; i <= d->last_tx_ring && budget;
		     i++) {
			n = tx_fill_ring(w, NETMAP_TXRING(d->nifp, i), budget);
			budget -= n;
			store(&w->packets, w->packets + n);
			store(&w->bytes, w->bytes + n * w->cfg->len);
		}
		if (stats_now_ns() >= next_stats) {
			publish_drops(w);
			next_stats = stats_now_ns() + 200000000ULL;
		}
	}
	if (!w->err)
		tx_drain(w);
	store(&w->last_ns, stats_now_ns());
	store(&w->finished, 1);
	return NULL;
}

/* ---- receive ---- */

static struct flow *flow_find(struct worker *w, struct in_addr ip,
			      uint16_t port)
{
	uint64_t key = ((uint64_t)ntohl(ip.s_addr) << 16 | port) + 1;
	size_t i = (key * 0x9e3779b97f4a7c15ULL) >> 54; /* 10 bits */
	size_t probes;
	struct flow *f;

	for (probes = 0; probes < FLOW_SLOTS; probes++) {
		f = &w->flows[(i + probes) % FLOW_SLOTS];
		if (f->key == key)
			return f;
		if (f->key)
			continue;
		f->seen = calloc(SEQ_WINDOW / 64, sizeof(uint64_t));
		if (!f->seen)
			return NULL;
		f->key = key;
		return f;
	}
	return NULL;
}

static bool seen_test(const struct flow *f, uint64_t s)
{
	return f->seen[(s % SEQ_WINDOW) / 64] >> (s % 64) & 1;
}

static void seen_set(struct flow *f, uint64_t s, bool on)
{
	uint64_t bit = 1ULL << (s % 64);

	if (on)
		f->seen[(s % SEQ_WINDOW) / 64] |= bit;
	else
		f->seen[(s % SEQ_WINDOW) / 64] &= ~bit;
}

/* Accounts sequence number @s of flow @f: in order, gap, late or repeat. */
static void flow_account(struct worker *w, struct flow *f, uint64_t s)
{
	uint64_t k;

	if (s >= f->next) {
		w->seq_own.missing += s - f->next;
		if (s - f->next >= SEQ_WINDOW)
			memset(f->seen, 0, SEQ_WINDOW / 8);
		else
			for (k = f->next; k < s; k++)
				seen_set(f, k, false);
		seen_set(f, s, true);
		f->next = s + 1;
	} else if (f->next - s <= SEQ_WINDOW && seen_test(f, s)) {
		w->seq_own.duplicates++;
	} else {
		/* late: it was counted missing when the gap opened */
		w->seq_own.reordered++;
		if (w->seq_own.missing)
			w->seq_own.missing--;
		if (f->next - s <= SEQ_WINDOW)
			seen_set(f, s, true);
	}
}

/* rxseq: checks one whole frame; false if it is not a test frame. */
static bool rx_check_seq(struct worker *w, const uint8_t *p, size_t len)
{
	struct frame_udp u;
	enum frame_verdict v = frame_parse_udp(p, len, &u);
	const uint8_t *pl = p + FRAME_HDR_LEN;
	struct flow *f;

	if (v == FRAME_NOT_UDP || u.dport != w->cfg->dport)
		return false;
	if (v != FRAME_UDP_OK || u.ip_len + FRAME_ETH_LEN != len ||
	    u.payload_len < SEQ_HDR_LEN || frame_get16(pl) != SEQ_MAGIC >> 16 ||
	    frame_get16(pl + 2) != (SEQ_MAGIC & 0xffff) ||
	    !seq_payload_ok(pl, u.payload_len, frame_get64(pl + 4))) {
		w->seq_own.corrupt++;
		return true;
	}
	f = flow_find(w, u.src_ip, u.sport);
	if (!f) {
		w->flows_full = true;
		w->seq_own.corrupt++;
		return true;
	}
	flow_account(w, f, frame_get64(pl + 4));
	return true;
}

/* Complete frames in the ring. */
static uint64_t rx_count_frames(struct netmap_ring *ring)
{
	uint32_t i = ring->cur, n;
	uint64_t frames = 0;

	while (i != ring->tail) {
		n = ring_frame_slots(ring, i);
		if (!n)
			break;
		frames++;
		while (n--)
			i = nm_ring_next(ring, i);
	}
	return frames;
}

/* rx -n: takes up to @want of the frames left; the rest stay queued. */
static uint64_t rx_claim(uint64_t want)
{
	uint64_t left = __atomic_load_n(&rx_remaining, __ATOMIC_RELAXED), got;

	do {
		got = want < left ? want : left;
	} while (got && !__atomic_compare_exchange_n(
			    &rx_remaining, &left, left - got, false,
			    __ATOMIC_RELAXED, __ATOMIC_RELAXED));
	return got;
}

/* Counts one frame; false if rxseq found it is not a test frame. */
static bool rx_frame(struct worker *w, struct netmap_ring *ring, uint32_t i,
		     uint32_t nslots, size_t *len)
{
	const uint8_t *p;

	if (w->cfg->mode != MODE_RXSEQ) {
		*len = ring_frame_len(ring, i, nslots);
		return true;
	}
	p = ring_frame_bytes(ring, i, nslots, w->frame, len);
	if (rx_check_seq(w, p, *len))
		return true;
	w->other_own++;
	return false;
}

static void rx_ring(struct worker *w, struct netmap_ring *ring)
{
	uint64_t limit = UINT64_MAX, pk = 0, by = 0;
	uint32_t i = ring->cur, n;
	size_t len;

	if (w->cfg->mode == MODE_RX && w->cfg->count)
		limit = rx_claim(rx_count_frames(ring));
	while (i != ring->tail && limit) {
		n = ring_frame_slots(ring, i);
		if (!n)
			break; /* the rest of the chain is not here yet */
		if (rx_frame(w, ring, i, n, &len)) {
			pk++;
			by += len;
		}
		limit--;
		while (n--)
			i = nm_ring_next(ring, i);
	}
	ring->head = ring->cur = i;
	if (!pk)
		return;
	if (!w->packets)
		store(&w->first_ns, stats_now_ns());
	store(&w->last_ns, stats_now_ns());
	store(&w->packets, w->packets + pk);
	store(&w->bytes, w->bytes + by);
}

/* Sequence-checked frames that were neither repeats nor damaged. */
static uint64_t good_frames(const struct worker *w)
{
	return load(&w->packets) - load(&w->seq_own.duplicates) -
	       load(&w->seq_own.corrupt);
}

static uint64_t total_good(void)
{
	uint64_t n = 0;
	unsigned int i;

	for (i = 0; i < nworkers; i++)
		n += good_frames(&workers[i]);
	return n;
}

static bool rx_count_reached(const struct worker *w)
{
	const struct cfg *c = w->cfg;

	if (!c->count)
		return false;
	if (c->mode == MODE_RX)
		return !__atomic_load_n(&rx_remaining, __ATOMIC_RELAXED);
	return total_good() >= c->count;
}

static void publish_seq(struct worker *w, const struct seq_counts *s)
{
	store(&w->seq_own.missing, s->missing);
	store(&w->seq_own.reordered, s->reordered);
	store(&w->seq_own.corrupt, s->corrupt);
	store(&w->seq_own.duplicates, s->duplicates);
}

static void *rx_worker(void *arg)
{
	struct worker *w = arg;
	struct nmport_d *d = w->d;
	uint64_t next_stats = 0;
	unsigned int i;

	while (!stopping()) {
		if (!wait_ring(w, POLLIN))
			break;
		for (i = d->first_rx_ring; i <= d->last_rx_ring; i++)
			rx_ring(w, NETMAP_RXRING(d->nifp, i));
		publish_seq(w, &w->seq_own);
		store(&w->other, w->other_own);
		if (stats_now_ns() >= next_stats) {
			publish_drops(w);
			next_stats = stats_now_ns() + 200000000ULL;
		}
		if (rx_count_reached(w))
			stop_all();
	}
	store(&w->finished, 1);
	return NULL;
}

/* ---- setup ---- */

/* Port name of thread @i: the port itself, or PORT-i with several threads. */
static void port_name(const struct cfg *c, unsigned int i, char *buf,
		      size_t len)
{
	char full[200];

	port_full_name(c->port, full, sizeof(full));
	if (c->threads > 1)
		snprintf(buf, len, "%s-%u", full, i);
	else
		snprintf(buf, len, "%s", full);
}

static void parse_ranges(struct cfg *c)
{
	if (frame_parse_range(c->src_spec, &c->src))
		opts_die(&prog,
			 "invalid value '%s' for --src: not "
			 "IP[-IP][:PORT[-PORT]]",
			 c->src_spec);
	if (frame_parse_range(c->dst_spec, &c->dst))
		opts_die(&prog,
			 "invalid value '%s' for --dst: not "
			 "IP[-IP][:PORT[-PORT]]",
			 c->dst_spec);
}

static void check_usage(struct cfg *c)
{
	unsigned long long n = c->threads;

	parse_ranges(c);
	if (n > 1 && strpbrk(c->port, "-*^{}"))
		opts_die(&prog,
			 "-p %llu needs a port without ring selection: "
			 "'%s'",
			 n, c->port);
	if (!c->src.has_port && c->sport + n - 1 > 65535)
		opts_die(&prog,
			 "--sport %llu + %llu threads is past port 65535",
			 (unsigned long long)c->sport, n);
	if (n > 1 && (is_ping(c) || c->replay))
		opts_die(&prog, "%s uses one thread, not -p %llu",
			 c->replay ? "--replay" : mode_names[c->mode], n);
	if (c->replay && c->mode != MODE_TX)
		opts_die(&prog, "--replay sends: it goes with -f tx, not -f %s",
			 mode_names[c->mode]);
	if (c->mode == MODE_TXSEQ && frame_range_size(&c->src) > 1)
		opts_die(&prog,
			 "txseq numbers the frames of one source; '%s' "
			 "is %llu sources",
			 c->src_spec,
			 (unsigned long long)frame_range_size(&c->src));
}

static void rings_check(const struct cfg *c, struct nmport_d *d)
{
	unsigned int have =
	    is_tx(c) ? d->nifp->ni_tx_rings : d->nifp->ni_rx_rings;

	if (have < c->threads)
		log_die(1, "%s: has %u %s rings, -p %llu needs one per thread",
			c->port, have, is_tx(c) ? "tx" : "rx",
			(unsigned long long)c->threads);
}

static void open_ports(const struct cfg *c)
{
	struct worker *w;
	unsigned int i;

	for (i = 0; i < c->threads; i++) {
		w = &workers[i];
		w->index = i;
		w->cfg = c;
		port_name(c, i, w->name, sizeof(w->name));
		w->d = port_open(w->name);
		nworkers = i + 1;
		if (i == 0)
			rings_check(c, w->d);
		log_debug("%s: fd %d tx rings %u..%u rx rings %u..%u mem %u",
			  w->name, w->d->fd, w->d->first_tx_ring,
			  w->d->last_tx_ring, w->d->first_rx_ring,
			  w->d->last_rx_ring, w->d->reg.nr_mem_id);
	}
}

/* The first address combination of thread @w. */
static void addr_first(const struct cfg *c, struct worker *w)
{
	memcpy(w->addr.src_mac, c->src_mac, 6);
	memcpy(w->addr.dst_mac, c->dst_mac, 6);
	w->addr.src_ip.s_addr = htonl(c->src.ip_lo);
	w->addr.dst_ip.s_addr = htonl(c->dst.ip_lo);
	w->addr.sport =
	    c->src.has_port ? c->src.port_lo : (uint16_t)(c->sport + w->index);
	w->addr.dport = c->dst.has_port ? c->dst.port_lo : (uint16_t)c->dport;
	w->vary = c->random ||
		  frame_range_size(&c->src) * frame_range_size(&c->dst) > 1;
	w->rng = 0x9e3779b97f4a7c15ULL * (w->index + 1) ^ stats_now_ns();
	if (c->random)
		addr_random(w);
}

static void prepare_tx(struct cfg *c, struct worker *w)
{
	w->quota = c->count / c->threads + (w->index < c->count % c->threads);
	if (!c->count)
		w->quota = UINT64_MAX;
	frame_build_udp(w->frame, c->len, &w->addr);
	for (size_t k = FRAME_HDR_LEN; k < c->len; k++)
		w->frame[k] = (uint8_t)k;
}

static void prepare_workers(struct cfg *c)
{
	static const uint8_t zero[6];
	struct worker *w;
	unsigned int i;

	if (!memcmp(c->src_mac, zero, 6) &&
	    port_iface_mac(workers[0].name, c->src_mac))
		frame_parse_mac("02:00:00:00:00:01", c->src_mac);
	for (i = 0; i < nworkers; i++) {
		w = &workers[i];
		w->frame = calloc(1, RING_GATHER_MAX);
		if (!w->frame)
			log_die(1, "out of memory");
		if (c->mode == MODE_RXSEQ) {
			w->flows = calloc(FLOW_SLOTS, sizeof(*w->flows));
			if (!w->flows)
				log_die(1, "out of memory");
		}
		addr_first(c, w);
		if (is_tx(c))
			prepare_tx(c, w);
		if (is_ping(c) && ping_prepare(w))
			log_die(1, "out of memory");
	}
	rx_remaining = c->count;
}

/* Sleeps @seconds, cut short by a stop. */
static void wait_seconds(double seconds)
{
	uint64_t end = stats_now_ns() + (uint64_t)(seconds * 1e9);
	struct timespec ts = {0, MAIN_TICK_NS};

	while (!stopping() && stats_now_ns() < end)
		nanosleep(&ts, NULL);
}

/* ---- the run ---- */

struct totals {
	uint64_t packets, bytes, drops, other, first_ns, last_ns;
	struct seq_counts seq;
};

static void sum_workers(struct totals *t)
{
	const struct worker *w;
	unsigned int i;

	memset(t, 0, sizeof(*t));
	for (i = 0; i < nworkers; i++) {
		w = &workers[i];
		t->packets += load(&w->packets);
		t->bytes += load(&w->bytes);
		t->drops += load(&w->drops);
		t->other += load(&w->other);
		t->seq.missing += load(&w->seq_own.missing);
		t->seq.reordered += load(&w->seq_own.reordered);
		t->seq.corrupt += load(&w->seq_own.corrupt);
		t->seq.duplicates += load(&w->seq_own.duplicates);
		if (load(&w->first_ns) &&
		    (!t->first_ns || load(&w->first_ns) < t->first_ns))
			t->first_ns = load(&w->first_ns);
		if (load(&w->last_ns) > t->last_ns)
			t->last_ns = load(&w->last_ns);
	}
}

static void *(*worker_fn(const struct cfg *c))(void *)
{
	if (c->replay)
		return replay_worker;
	switch (c->mode) {
	case MODE_PING:
		return ping_worker;
	case MODE_PONG:
		return pong_worker;
	case MODE_RX:
	case MODE_RXSEQ:
		return rx_worker;
	}
	return tx_worker;
}

/* The label of the live line and the human summary. */
static const char *run_label(const struct cfg *c)
{
	return c->replay ? "replay" : mode_names[c->mode];
}

static void start_workers(void)
{
	void *(*fn)(void *) = worker_fn(workers[0].cfg);
	unsigned int i;
	int err;

	for (i = 0; i < nworkers; i++) {
		err = pthread_create(&workers[i].tid, NULL, fn, &workers[i]);
		if (err)
			log_die(1, "cannot start thread %u: %s", i,
				strerror(err));
		tool_pin(workers[i].tid, workers[i].cfg->first_cpu, i);
	}
}

static bool workers_running(void)
{
	unsigned int i;

	for (i = 0; i < nworkers; i++)
		if (!load(&workers[i].finished))
			return true;
	return false;
}

/* Reports every interval and ends the run on timeout or idleness. */
static void supervise(const struct cfg *c)
{
	uint64_t start = stats_now_ns(), now, next_report, last_change = start;
	uint64_t last_packets = 0;
	struct stats_meter m;
	struct timespec tick = {0, MAIN_TICK_NS};
	struct totals t;

	stats_meter_start(&m, 0, 0);
	next_report = start + c->report_ms * 1000000ULL;
	while (!stopping() && workers_running()) {
		nanosleep(&tick, NULL);
		now = stats_now_ns();
		sum_workers(&t);
		if (t.packets != last_packets) {
			last_packets = t.packets;
			last_change = now;
		}
		if (c->report_ms && now >= next_report) {
			stats_live(stderr, run_label(c), &m, t.packets, t.bytes,
				   t.drops);
			next_report += c->report_ms * 1000000ULL;
		}
		if (c->timeout > 0 && now - start >= c->timeout * 1e9)
			stop_all();
		if (!is_tx(c) && c->mode != MODE_PING && c->idle > 0 &&
		    t.packets && now - last_change >= c->idle * 1e9)
			stop_all();
	}
}

static void join_workers(void)
{
	unsigned int i;

	stop_all();
	for (i = 0; i < nworkers; i++) {
		pthread_join(workers[i].tid, NULL);
		publish_drops(&workers[i]);
	}
}

/* rxseq -n: frames that never came count as missing, gap or not. */
static void add_unseen(const struct cfg *c, struct totals *t)
{
	uint64_t good = t->packets - t->seq.corrupt - t->seq.duplicates;

	if (c->mode == MODE_RXSEQ && c->count > good &&
	    c->count - good > t->seq.missing)
		t->seq.missing = c->count - good;
}

static void print_summary(const struct cfg *c, const struct totals *t)
{
	double secs = 0;

	/* one frame has no duration, and so no rate */
	if (t->packets > 1 && t->first_ns && t->last_ns > t->first_ns)
		secs = (t->last_ns - t->first_ns) / 1e9;
	stats_summary(stderr, run_label(c), t->packets, t->bytes, secs);
	summary_begin(c->json);
	summary_u64("packets", t->packets);
	summary_u64("bytes", t->bytes);
	summary_u64("drops", t->drops);
	summary_u64("missing", t->seq.missing);
	summary_u64("reordered", t->seq.reordered);
	summary_u64("corrupt", t->seq.corrupt);
	summary_u64("duplicates", t->seq.duplicates);
	summary_u64("other", t->other);
	summary_num("seconds", "%.3f", secs);
	summary_num("pps", "%.0f", secs > 0 ? t->packets / secs : 0);
	summary_num("bps", "%.0f", secs > 0 ? t->bytes * 8.0 / secs : 0);
	if (c->mode == MODE_PING)
		ping_summary(c, &workers[0]);
	summary_end();
}

/* Exit status: 1 on a worker's error or a failed sequence check. */
static int verdict(const struct cfg *c, const struct totals *t)
{
	int status = 0;
	unsigned int i;

	for (i = 0; i < nworkers; i++) {
		if (workers[i].err) {
			if (workers[i].err == ENXIO)
				log_err("%s: %s", workers[i].name,
					tool_port_error(ENXIO));
			else
				log_err("%s: %s: %s", workers[i].name,
					workers[i].err_what,
					strerror(workers[i].err));
			status = 1;
		}
		if (workers[i].flows_full)
			log_warn("%s: more than %d flows; extra ones counted "
				 "corrupt",
				 workers[i].name, FLOW_SLOTS);
	}
	if (c->mode != MODE_RXSEQ)
		return status;
	if (!t->packets) {
		log_err("%s: no test frames received", c->port);
		return 1;
	}
	if (t->seq.missing || t->seq.reordered || t->seq.corrupt ||
	    t->seq.duplicates) {
		log_err("%s: sequence check failed: %llu missing, %llu "
			"reordered, %llu corrupt, %llu duplicates",
			c->port, (unsigned long long)t->seq.missing,
			(unsigned long long)t->seq.reordered,
			(unsigned long long)t->seq.corrupt,
			(unsigned long long)t->seq.duplicates);
		return 1;
	}
	return status;
}

static void close_ports(void)
{
	unsigned int i, k;

	for (i = 0; i < nworkers; i++) {
		port_close(workers[i].d);
		ping_free(&workers[i]);
		for (k = 0; workers[i].flows && k < FLOW_SLOTS; k++)
			free(workers[i].flows[k].seen);
		free(workers[i].flows);
		free(workers[i].frame);
	}
}

static void set_defaults(struct cfg *c)
{
	memset(c, 0, sizeof(*c));
	c->mode = MODE_TX;
	c->len = FRAME_MIN_LEN;
	c->burst = 512;
	c->threads = 1;
	c->report_ms = 1000;
	c->sport = 1234;
	c->dport = 4321;
	memset(c->dst_mac, 0xff, 6);
	c->src_spec = "198.18.0.1";
	c->dst_spec = "198.18.0.2";
	c->ping_wait = 1;
}

int main(int argc, char **argv)
{
	struct replay_file *rf = NULL;
	struct cfg c;
	struct totals t;
	int status;

	log_init(argv[0]);
	set_defaults(&c);
	if (opts_parse(&prog, argc, argv, &c) != argc)
		opts_die(&prog, "unexpected argument '%s'", argv[optind]);
	log_set_verbose(c.verbose);
	check_usage(&c);
	c.first_cpu = tool_cpu_parse(c.cpu);
	tool_stop_on_signals();
	if (c.replay) {
		rf = replay_load(c.replay);
		replay_set_file(rf);
	}
	open_ports(&c);
	prepare_workers(&c);
	if ((is_tx(&c) || c.mode == MODE_PING) && c.wait > 0)
		wait_seconds(c.wait);
	log_info("%s: ready (%s, %u thread%s)", workers[0].name, run_label(&c),
		 nworkers, nworkers > 1 ? "s" : "");
	start_workers();
	supervise(&c);
	join_workers();
	sum_workers(&t);
	add_unseen(&c, &t);
	print_summary(&c, &t);
	status = verdict(&c, &t);
	close_ports();
	replay_free(rf);
	return status;
}
