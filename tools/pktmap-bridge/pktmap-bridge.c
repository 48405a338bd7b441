// SPDX-License-Identifier: BSD-2-Clause
/*
 * pktmap-bridge: forwards every frame between two netmap ports, both ways.
 * When the ports share a memory region (equal nr_mem_id, as all NIC ports
 * do) a frame moves by swapping buffer indexes between the RX slot and the
 * TX slot (NS_BUF_CHANGED): no byte is copied.  Otherwise it is copied.
 *
 * One thread; poll() waits for whichever side can make progress: POLLIN on
 * a port with nothing left to forward, POLLOUT on the port that has to take
 * frames.  Frames move whole: a NS_MOREFRAG chain never straddles two TX
 * rings.
 */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>

#include <pktmap.h>

#include "tool.h"

#define POLL_MS	 100
#define DRAIN_NS 2000000000ULL /* bound on pushing what is queued at exit */

struct cfg {
	struct opt_list ports;
	uint64_t batch, report_ms;
	double idle, timeout;
	const char *cpu;
	bool copy, json, verbose;
};

static const struct opt options[] = {
    OPT_ARG('i', "port", OPT_STR_LIST, struct cfg, ports, "PORT",
	    "a netmap port; give it twice, A then B", OPT_REQUIRED, .max = 2),
    OPT_ARG('b', "batch", OPT_UINT, struct cfg, batch, "N",
	    "frames moved per ring and round", .min = 1, .max = 65536),
    OPT_ARG(0, "copy", OPT_FLAG, struct cfg, copy, NULL,
	    "copy frames even when buffers could be swapped"),
    OPT_RUN_OPTIONS(struct cfg),
    OPT_END,
};

static const struct opt_prog prog = {
    .name = "pktmap-bridge",
    .synopsis = "[options] -i PORT_A -i PORT_B",
    .doc = "Forwards frames between two netmap ports in both directions, "
	   "swapping\n buffers when the ports share memory, copying otherwise.",
    .opts = options,
};

/* One direction: from src's RX rings to dst's TX rings. */
struct direction {
	struct nmport_d *src, *dst;
	uint64_t packets, bytes;
	struct stats_meter meter;
};

static bool zerocopy;
static uint64_t batch;

/* Moves one slot's frame part: swap the buffers, or copy the bytes. */
static void move_slot(struct netmap_ring *rx, struct netmap_slot *rs,
		      struct netmap_ring *tx, struct netmap_slot *ts)
{
	uint32_t idx;

	if (zerocopy) {
		idx = ts->buf_idx;
		ts->buf_idx = rs->buf_idx;
		rs->buf_idx = idx;
		ts->flags |= NS_BUF_CHANGED;
		rs->flags |= NS_BUF_CHANGED;
	} else {
		memcpy(NETMAP_BUF(tx, ts->buf_idx), NETMAP_BUF(rx, rs->buf_idx),
		       rs->len);
	}
	ts->len = rs->len;
	ts->flags = (ts->flags & ~NS_MOREFRAG) | (rs->flags & NS_MOREFRAG);
}

/* Moves whole frames from @rx to @tx, at most @limit; returns how many. */
static uint64_t move_ring(struct direction *dir, struct netmap_ring *rx,
			  struct netmap_ring *tx, uint64_t limit)
{
	uint32_t ri = rx->cur, ti = tx->cur, room = nm_ring_space(tx), n;
	uint64_t frames = 0;

	while (ri != rx->tail && frames < limit) {
		n = ring_frame_slots(rx, ri);
		if (!n || n > room)
			break;
		room -= n;
		for (; n; n--) {
			dir->bytes += rx->slot[ri].len;
			move_slot(rx, &rx->slot[ri], tx, &tx->slot[ti]);
			ri = nm_ring_next(rx, ri);
			ti = nm_ring_next(tx, ti);
		}
		frames++;
	}
	rx->head = rx->cur = ri;
	tx->head = tx->cur = ti;
	dir->packets += frames;
	return frames;
}

/* Pairs RX rings of src with TX rings of dst that have room; -b per round. */
static uint64_t forward(struct direction *dir)
{
	struct nmport_d *s = dir->src, *d = dir->dst;
	unsigned int ri = s->first_rx_ring, ti = d->first_tx_ring;
	struct netmap_ring *rx, *tx;
	uint64_t moved = 0, n;

	while (ri <= s->last_rx_ring && ti <= d->last_tx_ring &&
	       moved < batch) {
		rx = NETMAP_RXRING(s->nifp, ri);
		tx = NETMAP_TXRING(d->nifp, ti);
		if (nm_ring_empty(rx)) {
			ri++;
			continue;
		}
		n = move_ring(dir, rx, tx, batch - moved);
		moved += n;
		if (!n)
			ti++; /* full, or the next frame does not fit */
	}
	return moved;
}

/* Whether src has frames waiting in its RX rings. */
static bool rx_waiting(const struct nmport_d *d)
{
	unsigned int i;

	for (i = d->first_rx_ring; i <= d->last_rx_ring; i++)
		if (!nm_ring_empty(NETMAP_RXRING(d->nifp, i)))
			return true;
	return false;
}

/* What to wait for: room on the side that must take, else new frames. */
static void set_events(struct pollfd *pfd, struct nmport_d *a,
		       struct nmport_d *b)
{
	pfd[0].events = pfd[1].events = 0;
	if (rx_waiting(a))
		pfd[1].events |= POLLOUT;
	else
		pfd[0].events |= POLLIN;
	if (rx_waiting(b))
		pfd[0].events |= POLLOUT;
	else
		pfd[1].events |= POLLIN;
}

/* The run ends on a port's error: which port (0 or 1) and why. */
struct failure {
	int port, err;
};

static bool check_revents(const struct pollfd *pfd, struct failure *f)
{
	int i;

	for (i = 0; i < 2; i++) {
		if (!(pfd[i].revents & (POLLERR | POLLNVAL)))
			continue;
		/* a sync says why: EINVAL ring reset, ENXIO port gone */
		errno = EIO;
		ioctl(pfd[i].fd, NIOCRXSYNC, NULL);
		*f = (struct failure){i, errno};
		return false;
	}
	return true;
}

static uint64_t rx_drops(const struct nmport_d *d)
{
	struct pktmap_stats st;

	return pktmap_stats_get(d->fd, &st) == 0 ? st.rx_drops : 0;
}

static void live_line(struct direction *dir, struct nmport_d *a,
		      struct nmport_d *b)
{
	char ab[64], ba[64], tab[64], tba[64], stamp[16];

	stats_interval(&dir[0].meter, dir[0].packets, dir[0].bytes, ab,
		       sizeof(ab));
	stats_interval(&dir[1].meter, dir[1].packets, dir[1].bytes, ba,
		       sizeof(ba));
	stats_totals(tab, sizeof(tab), dir[0].packets, dir[0].bytes);
	stats_totals(tba, sizeof(tba), dir[1].packets, dir[1].bytes);
	stats_stamp(stamp, sizeof(stamp));
	fprintf(stderr, "%s a->b %s %s | b->a %s %s | drops %llu\n", stamp, ab,
		tab, ba, tba, (unsigned long long)(rx_drops(a) + rx_drops(b)));
	fflush(stderr);
}

/* Pushes what is still queued on @d's TX rings, for a bounded time. */
static void drain(struct nmport_d *d)
{
	uint64_t end = stats_now_ns() + DRAIN_NS;
	struct timespec ts = {0, 100000};
	unsigned int i;
	bool pending = true;

	while (pending && stats_now_ns() < end) {
		if (ioctl(d->fd, NIOCTXSYNC, NULL) < 0)
			return;
		pending = false;
		for (i = d->first_tx_ring; i <= d->last_tx_ring; i++)
			pending |= nm_tx_pending(NETMAP_TXRING(d->nifp, i));
		if (pending)
			nanosleep(&ts, NULL);
	}
}

/*
 * Forwards until a signal, the timeout, idleness or a port's error (in
 * *@f); returns seconds.
 */
static double bridge(const struct cfg *c, struct direction *dir,
		     struct failure *f)
{
	struct nmport_d *a = dir[0].src, *b = dir[1].src;
	struct pollfd pfd[2] = {{.fd = a->fd}, {.fd = b->fd}};
	uint64_t start = stats_now_ns(), now, last = start, first = 0;
	uint64_t next_report = start + c->report_ms * 1000000ULL;
	int ret;

	stats_meter_start(&dir[0].meter, 0, 0);
	stats_meter_start(&dir[1].meter, 0, 0);
	while (!tool_stop) {
		set_events(pfd, a, b);
		ret = poll(pfd, 2, POLL_MS);
		if (ret < 0 && errno != EINTR)
			log_die(1, "poll: %s", strerror(errno));
		if (ret > 0 && !check_revents(pfd, f))
			break;
		now = stats_now_ns();
		if (forward(&dir[0]) + forward(&dir[1])) {
			last = now;
			first = first ? first : now;
		}
		if (c->report_ms && now >= next_report) {
			live_line(dir, a, b);
			next_report += c->report_ms * 1000000ULL;
		}
		if (c->timeout > 0 && now - start >= c->timeout * 1e9)
			break;
		if (c->idle > 0 && first && now - last >= c->idle * 1e9)
			break;
	}
	drain(a);
	drain(b);
	return first && last > first ? (last - first) / 1e9 : 0;
}

static void print_summary(const struct cfg *c, const struct direction *dir,
			  struct nmport_d *a, struct nmport_d *b, double secs)
{
	stats_summary(stderr, "a->b", dir[0].packets, dir[0].bytes, secs);
	stats_summary(stderr, "b->a", dir[1].packets, dir[1].bytes, secs);
	summary_begin(c->json);
	summary_u64("a_to_b_packets", dir[0].packets);
	summary_u64("a_to_b_bytes", dir[0].bytes);
	summary_u64("b_to_a_packets", dir[1].packets);
	summary_u64("b_to_a_bytes", dir[1].bytes);
	summary_u64("a_drops", rx_drops(a));
	summary_u64("b_drops", rx_drops(b));
	summary_bool("zerocopy", zerocopy);
	summary_num("seconds", "%.3f", secs);
	summary_end();
}

int main(int argc, char **argv)
{
	struct cfg c = {.batch = 512, .report_ms = 1000};
	struct direction dir[2];
	struct nmport_d *a, *b;
	struct failure f = {-1, 0};
	double secs;

	log_init(argv[0]);
	if (opts_parse(&prog, argc, argv, &c) != argc)
		opts_die(&prog, "unexpected argument '%s'", argv[optind]);
	if (c.ports.n != 2)
		opts_die(&prog, "-i must be given twice: -i PORT_A -i PORT_B");
	log_set_verbose(c.verbose);
	tool_pin(pthread_self(), tool_cpu_parse(c.cpu), 0);
	tool_stop_on_signals();
	batch = c.batch;
	a = port_open(c.ports.v[0]);
	b = port_open(c.ports.v[1]);
	zerocopy = !c.copy && port_same_memory(a, b);
	log_debug("mem ids %u and %u: %s", a->reg.nr_mem_id, b->reg.nr_mem_id,
		  zerocopy ? "zero copy" : "copy");
	log_info("%s <-> %s: ready (%s)", c.ports.v[0], c.ports.v[1],
		 zerocopy ? "zero copy" : "copy");
	dir[0] = (struct direction){.src = a, .dst = b};
	dir[1] = (struct direction){.src = b, .dst = a};
	secs = bridge(&c, dir, &f);
	print_summary(&c, dir, a, b, secs);
	if (f.port >= 0)
		log_err("%s: %s", c.ports.v[f.port], tool_port_error(f.err));
	port_close(b);
	port_close(a);
	return f.port >= 0;
}
