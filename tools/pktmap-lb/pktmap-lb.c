// SPDX-License-Identifier: BSD-2-Clause
/*
 * pktmap-lb: netmap's lb on pktmap.  Spreads the frames that arrive on a
 * netmap port over N netmap pipes by a symmetric flow hash, so that each
 * consumer, a process on a pipe's slave end NAME}i, sees whole
 * conversations.  The port and its pipes share one memory region: a frame
 * moves by swapping buffer indexes (NS_BUF_CHANGED), never by copying.
 *
 * A pipe whose ring is full drops the frame, counted for that pipe.  With
 * -B, extra buffers hold such frames in a per-pipe backlog until the pipe
 * has room; when they run out, the longest backlog gives up its oldest
 * frames (counted as its drops), so that newer frames win and one stalled
 * consumer cannot keep them all.
 */
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <syslog.h>
#include <time.h>

#include <pktmap.h>

#include "flowhash.h"
#include "tool.h"

#define POLL_MS	  100
#define MAX_PIPES 64
#define NAME_LEN  64

struct cfg {
	const char *port, *pipes;
	uint64_t batch, extra, syslog_s, report_ms;
	double wait, idle, timeout;
	const char *cpu;
	bool json, verbose;
};

static const struct opt options[] = {
    OPT_ARG('i', "port", OPT_STR, struct cfg, port, "PORT",
	    "the netmap port frames come from", OPT_REQUIRED),
    OPT_ARG('p', "pipes", OPT_STR, struct cfg, pipes, "[NAME:]N",
	    "N pipes NAME{0..N-1; NAME defaults to the port's interface"),
    OPT_ARG('B', "extra-buffers", OPT_UINT, struct cfg, extra, "N",
	    "extra buffers that hold frames for full pipes", .max = 131072),
    OPT_ARG('b', "batch", OPT_UINT, struct cfg, batch, "N",
	    "frames moved between two reads of the port", .min = 1,
	    .max = 65536),
    OPT_ARG('s', "syslog", OPT_UINT, struct cfg, syslog_s, "SECONDS",
	    "interval of the counters sent to syslog, 0 = never",
	    .max = 31536000),
    OPT_ARG('w', "wait-link", OPT_DOUBLE, struct cfg, wait, "SECONDS",
	    "wait this long after opening the ports before forwarding"),
    OPT_RUN_OPTIONS(struct cfg),
    OPT_END,
};

static const struct opt_prog prog = {
    .name = "pktmap-lb",
    .synopsis = "[options] -i PORT [-p [NAME:]N]",
    .doc = "Spreads the frames of a netmap port over N netmap pipes by a "
	   "symmetric flow\n hash, zero copy; consumers open NAME}0 .. "
	   "NAME}N-1.",
    .opts = options,
};

/* A FIFO of slots: frames waiting for a pipe, or free extra buffers. */
struct slotq {
	struct netmap_slot *s;
	uint32_t size, head, n;
};

struct pipe {
	struct nmport_d *d;
	struct netmap_ring *ring; /* the master end's transmit ring */
	uint64_t forwarded, dropped;
	uint64_t last_forwarded, last_dropped; /* at the last live line */
	struct slotq backlog; /* frames in extra buffers, oldest first */
	bool queued;	      /* frames on the ring since the last txsync */
	bool synced;	      /* txsync'd in this round: tail is fresh */
};

struct lb {
	struct nmport_d *in;
	struct netmap_ring *any_ring; /* to reach buffers by index */
	struct pipe *pipes;
	unsigned int npipes;
	char name[NAME_LEN]; /* the pipes' parent */
	uint64_t batch;
	uint64_t received, bytes, forwarded, dropped, non_ip;
	struct slotq spare; /* free extra buffers */
	uint32_t extra;	    /* extra buffers granted */
	struct stats_meter meter;
	uint64_t last_dropped;
};

/* ---- slot queues ---------------------------------------------------- */

static void q_init(struct slotq *q, uint32_t size)
{
	q->s = calloc(size ? size : 1, sizeof(*q->s));
	if (!q->s)
		log_die(1, "out of memory");
	q->size = size;
	q->head = q->n = 0;
}

static void q_push(struct slotq *q, struct netmap_slot s)
{
	q->s[(q->head + q->n) % q->size] = s;
	q->n++;
}

static struct netmap_slot q_pop(struct slotq *q)
{
	struct netmap_slot s = q->s[q->head];

	q->head = (q->head + 1) % q->size;
	q->n--;
	return s;
}

/* Slots of the frame at the head; frames are queued whole. */
static uint32_t q_frame_slots(const struct slotq *q)
{
	uint32_t n = 1, i = q->head;

	while (n < q->n && (q->s[i].flags & NS_MOREFRAG)) {
		i = (i + 1) % q->size;
		n++;
	}
	return n;
}

/* ---- setup ---------------------------------------------------------- */

/* The interface behind "netmap:IF-1/R" and the like. */
static void base_name(const char *spec, char *buf, size_t len)
{
	size_t n;

	if (!strncmp(spec, "netmap:", 7))
		spec += 7;
	n = strcspn(spec, "-*^{}/@");
	snprintf(buf, len, "%.*s", (int)n, spec);
}

/* "-p [NAME:]N", as lb's: NAME defaults to @iface, N to 2. */
static void parse_pipes(const char *spec, const char *iface, struct lb *lb)
{
	const char *colon = spec ? strchr(spec, ':') : NULL;
	const char *num = colon ? colon + 1 : spec;
	size_t nlen = colon ? (size_t)(colon - spec) : 0;
	unsigned long n = 2;
	char *end;

	if (nlen >= NAME_LEN)
		opts_die(&prog, "-p %s: the name is too long", spec);
	snprintf(lb->name, sizeof(lb->name), "%.*s",
		 (int)(nlen ? nlen : strlen(iface)), nlen ? spec : iface);
	if (num && *num) {
		errno = 0;
		n = strtoul(num, &end, 10);
		if (errno || *end || n < 1 || n > MAX_PIPES)
			opts_die(&prog, "-p %s: the number of pipes is 1..%d",
				 spec, MAX_PIPES);
	}
	lb->npipes = (unsigned int)n;
}

/*
 * The input port, with @extra buffers on its ni_bufs_head list.  Like
 * port_open(), but the buffer request has to go in before registering.
 */
static struct nmport_d *open_input(const char *spec, uint32_t extra)
{
	char name[256];
	struct nmport_d *d;
	int err;

	if (!extra)
		return port_open(spec);
	port_full_name(spec, name, sizeof(name));
	d = nmport_prepare(name);
	if (!d)
		log_die(2, "%s: not a valid port name", name);
	d->reg.nr_extra_bufs = extra;
	if (nmport_open_desc(d) < 0) {
		err = errno;
		nmport_undo_prepare(d);
		log_die(1, "cannot open %s: %s", name, strerror(err));
	}
	return d;
}

/* Moves the ni_bufs_head list into the spare queue. */
static void take_extra_bufs(struct lb *lb, uint32_t asked)
{
	struct netmap_if *nifp = lb->in->nifp;
	uint32_t idx;

	lb->extra = lb->in->reg.nr_extra_bufs;
	if (asked && lb->extra < asked)
		log_warn("%u extra buffers asked, %u granted: frames for a "
			 "full pipe are dropped",
			 asked, lb->extra);
	q_init(&lb->spare, lb->extra);
	for (idx = nifp->ni_bufs_head; idx && lb->spare.n < lb->extra;
	     idx = *(uint32_t *)NETMAP_BUF(lb->any_ring, idx))
		q_push(&lb->spare, (struct netmap_slot){.buf_idx = idx});
	nifp->ni_bufs_head = 0;
}

/* Puts every extra buffer back on the list, for the port's close. */
static void return_extra_bufs(struct lb *lb)
{
	struct netmap_if *nifp = lb->in->nifp;
	struct netmap_slot s;
	unsigned int i;

	for (i = 0; i < lb->npipes; i++)
		while (lb->pipes[i].backlog.n)
			q_push(&lb->spare, q_pop(&lb->pipes[i].backlog));
	while (lb->spare.n) {
		s = q_pop(&lb->spare);
		*(uint32_t *)NETMAP_BUF(lb->any_ring, s.buf_idx) =
		    nifp->ni_bufs_head;
		nifp->ni_bufs_head = s.buf_idx;
	}
}

/* Master ends NAME{i, transmit rings only, exclusive, as lb opens them. */
static void open_pipes(struct lb *lb)
{
	char spec[NAME_LEN + 32];
	struct pipe *p;
	unsigned int i;

	lb->pipes = calloc(lb->npipes, sizeof(*lb->pipes));
	if (!lb->pipes)
		log_die(1, "out of memory");
	for (i = 0; i < lb->npipes; i++) {
		p = &lb->pipes[i];
		snprintf(spec, sizeof(spec), "netmap:%s{%u/xT", lb->name, i);
		p->d = port_open(spec);
		if (!port_same_memory(lb->in, p->d))
			log_die(1, "%s: not in the memory region of the port",
				spec);
		p->ring = NETMAP_TXRING(p->d->nifp, p->d->first_tx_ring);
		q_init(&p->backlog, lb->extra);
		log_debug("%s: %u slots", spec, p->ring->num_slots);
	}
}

/* ---- moving frames -------------------------------------------------- */

static void sync_pipe(struct lb *lb, struct pipe *p)
{
	if (ioctl(p->d->fd, NIOCTXSYNC, NULL) < 0)
		log_die(1, "%s{%u: txsync: %s", lb->name,
			(unsigned int)(p - lb->pipes), strerror(errno));
	p->queued = false;
	p->synced = true;
}

/* Free slots on the pipe's ring, asking the pipe once a round if short. */
static uint32_t pipe_room(struct lb *lb, struct pipe *p, uint32_t need)
{
	if (nm_ring_space(p->ring) < need && !p->synced)
		sync_pipe(lb, p);
	return nm_ring_space(p->ring);
}

/* Puts slot @s on the pipe's ring; returns the buffer it replaced. */
static uint32_t pipe_put(struct pipe *p, const struct netmap_slot *s)
{
	struct netmap_ring *ring = p->ring;
	struct netmap_slot *ts = &ring->slot[ring->cur];
	uint32_t old = ts->buf_idx;

	ts->buf_idx = s->buf_idx;
	ts->len = s->len;
	ts->flags = NS_BUF_CHANGED | (s->flags & NS_MOREFRAG);
	ring->head = ring->cur = nm_ring_next(ring, ring->cur);
	p->queued = true;
	return old;
}

/* Swaps the @n slots of a frame from @rx at @i onto the pipe's ring. */
static void forward_frame(struct lb *lb, struct pipe *p, struct netmap_ring *rx,
			  uint32_t i, uint32_t n)
{
	struct netmap_slot *rs;

	for (; n; n--, i = nm_ring_next(rx, i)) {
		rs = &rx->slot[i];
		rs->buf_idx = pipe_put(p, rs);
		rs->flags |= NS_BUF_CHANGED;
	}
	p->forwarded++;
	lb->forwarded++;
}

static void drop_frames(struct lb *lb, struct pipe *p, uint64_t n)
{
	p->dropped += n;
	lb->dropped += n;
}

/* Frees spare buffers from the oldest frames of the longest backlog. */
static void reclaim_spare(struct lb *lb, uint32_t need)
{
	struct pipe *longest = &lb->pipes[0];
	unsigned int i;
	uint32_t n;

	for (i = 1; i < lb->npipes; i++)
		if (lb->pipes[i].backlog.n > longest->backlog.n)
			longest = &lb->pipes[i];
	while (lb->spare.n < need && longest->backlog.n) {
		for (n = q_frame_slots(&longest->backlog); n; n--)
			q_push(&lb->spare, q_pop(&longest->backlog));
		drop_frames(lb, longest, 1);
	}
}

/* Keeps a frame for a full pipe in extra buffers; false if none. */
static bool park_frame(struct lb *lb, struct pipe *p, struct netmap_ring *rx,
		       uint32_t i, uint32_t n)
{
	struct netmap_slot *rs;

	if (lb->spare.n < n)
		reclaim_spare(lb, n);
	if (lb->spare.n < n)
		return false;
	for (; n; n--, i = nm_ring_next(rx, i)) {
		rs = &rx->slot[i];
		q_push(&p->backlog, *rs);
		rs->buf_idx = q_pop(&lb->spare).buf_idx;
		rs->flags |= NS_BUF_CHANGED;
	}
	return true;
}

/* Moves what fits of the pipe's backlog onto its ring, oldest first. */
static uint64_t flush_backlog(struct lb *lb, struct pipe *p)
{
	struct netmap_slot s;
	uint64_t frames = 0;
	uint32_t n;

	while (p->backlog.n) {
		n = q_frame_slots(&p->backlog);
		if (pipe_room(lb, p, n) < n)
			break;
		for (; n; n--) {
			s = q_pop(&p->backlog);
			s.buf_idx = pipe_put(p, &s);
			q_push(&lb->spare, s);
		}
		frames++;
	}
	p->forwarded += frames;
	lb->forwarded += frames;
	return frames;
}

/* The pipe of the frame whose first slot is @rs. */
static struct pipe *pick_pipe(struct lb *lb, struct netmap_ring *rx,
			      const struct netmap_slot *rs)
{
	const uint8_t *buf = (const uint8_t *)NETMAP_BUF(rx, rs->buf_idx);
	enum flow_kind kind;
	uint32_t h = flow_hash(buf, rs->len, &kind);

	if (kind == FLOW_L2)
		lb->non_ip++;
	return &lb->pipes[h % lb->npipes];
}

/* One frame: onto its pipe, else into its backlog, else dropped. */
static void balance_frame(struct lb *lb, struct netmap_ring *rx, uint32_t i,
			  uint32_t n)
{
	struct pipe *p = pick_pipe(lb, rx, &rx->slot[i]);

	lb->received++;
	lb->bytes += ring_frame_len(rx, i, n);
	/* behind a backlog a frame waits its turn: flows stay in order */
	if (!p->backlog.n && pipe_room(lb, p, n) >= n)
		forward_frame(lb, p, rx, i, n);
	else if (!lb->extra || !park_frame(lb, p, rx, i, n))
		drop_frames(lb, p, 1);
}

/* Whole frames of one receive ring, at most @limit; returns how many. */
static uint64_t balance_ring(struct lb *lb, struct netmap_ring *rx,
			     uint64_t limit)
{
	uint32_t i = rx->cur, n;
	uint64_t frames = 0;

	while (i != rx->tail && frames < limit) {
		n = ring_frame_slots(rx, i);
		if (!n)
			break; /* the chain's end is not in yet */
		balance_frame(lb, rx, i, n);
		while (n--)
			i = nm_ring_next(rx, i);
		frames++;
	}
	rx->head = rx->cur = i;
	return frames;
}

/*
 * One round: backlogs first, then up to a batch of new frames.  Returns
 * the frames that moved, both kinds.
 */
static uint64_t balance(struct lb *lb)
{
	struct nmport_d *in = lb->in;
	uint64_t moved = 0, fresh = 0;
	unsigned int r;

	for (r = 0; r < lb->npipes; r++) {
		lb->pipes[r].synced = false;
		moved += flush_backlog(lb, &lb->pipes[r]);
	}
	for (r = in->first_rx_ring; r <= in->last_rx_ring && fresh < lb->batch;
	     r++)
		fresh += balance_ring(lb, NETMAP_RXRING(in->nifp, r),
				      lb->batch - fresh);
	/* hand the round's frames to the consumers now */
	for (r = 0; r < lb->npipes; r++)
		if (lb->pipes[r].queued)
			sync_pipe(lb, &lb->pipes[r]);
	return moved + fresh;
}

/* ---- reports -------------------------------------------------------- */

static uint64_t rx_drops(const struct lb *lb)
{
	struct pktmap_stats st;

	return pktmap_stats_get(lb->in->fd, &st) == 0 ? st.rx_drops : 0;
}

/*
 * "<time> received <pps> pps <bps> bps total <N> pkts <B>B | pipe0 <pps>
 * pps, <dps> dropped/s | ... | dropped <N> rx_drops <N>": the rates are
 * since the last line, the counts since the start.
 */
static void live_line(struct lb *lb)
{
	double dt = (stats_now_ns() - lb->meter.t_ns) / 1e9;
	char rate[64], total[64], stamp[16], a[16], b[16];
	struct pipe *p;
	unsigned int i;

	dt = dt > 0 ? dt : 1e-9;
	lb->last_dropped = lb->dropped;
	stats_stamp(stamp, sizeof(stamp));
	stats_interval(&lb->meter, lb->received, lb->bytes, rate, sizeof(rate));
	stats_totals(total, sizeof(total), lb->received, lb->bytes);
	fprintf(stderr, "%s received %s %s", stamp, rate, total);
	for (i = 0; i < lb->npipes; i++) {
		p = &lb->pipes[i];
		stats_fmt_si(a, sizeof(a),
			     (p->forwarded - p->last_forwarded) / dt);
		stats_fmt_si(b, sizeof(b), (p->dropped - p->last_dropped) / dt);
		fprintf(stderr, " | pipe%u %s pps, %s dropped/s", i, a, b);
		p->last_forwarded = p->forwarded;
		p->last_dropped = p->dropped;
	}
	fprintf(stderr, " | dropped %llu rx_drops %llu\n",
		(unsigned long long)lb->dropped,
		(unsigned long long)rx_drops(lb));
	fflush(stderr);
}

/* lb's syslog records: one per pipe, then the totals. */
static void syslog_report(const struct lb *lb, const char *port)
{
	const struct pipe *p;
	unsigned int i;

	for (i = 0; i < lb->npipes; i++) {
		p = &lb->pipes[i];
		syslog(LOG_INFO,
		       "{\"interface\":\"%s\",\"output_ring\":%u,"
		       "\"packets_forwarded\":%llu,\"packets_dropped\":%llu}",
		       port, i, (unsigned long long)p->forwarded,
		       (unsigned long long)p->dropped);
	}
	syslog(LOG_INFO,
	       "{\"interface\":\"%s\",\"output_ring\":null,"
	       "\"packets_forwarded\":%llu,\"packets_dropped\":%llu,"
	       "\"non_ip_packets\":%llu}",
	       port, (unsigned long long)lb->forwarded,
	       (unsigned long long)lb->dropped, (unsigned long long)lb->non_ip);
}

static void print_summary(const struct lb *lb, const struct cfg *c, double secs)
{
	const struct pipe *p;
	char key[32];
	unsigned int i;

	stats_summary(stderr, "received", lb->received, lb->bytes, secs);
	summary_begin(c->json);
	summary_u64("received", lb->received);
	summary_u64("forwarded", lb->forwarded);
	summary_u64("dropped", lb->dropped);
	summary_u64("non_ip", lb->non_ip);
	summary_u64("rx_drops", rx_drops(lb));
	for (i = 0; i < lb->npipes; i++) {
		p = &lb->pipes[i];
		snprintf(key, sizeof(key), "pipe%u", i);
		summary_u64(key, p->forwarded);
		snprintf(key, sizeof(key), "pipe%u_dropped", i);
		summary_u64(key, p->dropped);
	}
	summary_num("seconds", "%.3f", secs);
	summary_end();
}

/* ---- main loop ------------------------------------------------------ */

/* Sleeps @secs for links to settle, unless stopped. */
static void wait_link(double secs)
{
	uint64_t end = stats_now_ns() + (uint64_t)(secs * 1e9);
	struct timespec ts = {0, 10000000};

	while (!tool_stop && stats_now_ns() < end)
		nanosleep(&ts, NULL);
}

/* The port for new frames; pipes with a backlog for room. */
static unsigned int set_fds(struct lb *lb, struct pollfd *pfd,
			    struct pipe **who)
{
	unsigned int i, n = 1;

	pfd[0] = (struct pollfd){.fd = lb->in->fd, .events = POLLIN};
	who[0] = NULL;
	for (i = 0; i < lb->npipes; i++) {
		if (!lb->pipes[i].backlog.n)
			continue;
		pfd[n] = (struct pollfd){.fd = lb->pipes[i].d->fd,
					 .events = POLLOUT};
		who[n++] = &lb->pipes[i];
	}
	return n;
}

/* The run ends on an error of the port or of a pipe: which, and why. */
struct failure {
	char what[NAME_LEN + 16];
	int err;
};

static bool check_revents(const struct lb *lb, const struct pollfd *pfd,
			  struct pipe *const *who, unsigned int n,
			  const char *port, struct failure *f)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (!(pfd[i].revents & (POLLERR | POLLNVAL)))
			continue;
		/* a sync says why: EINVAL ring reset, ENXIO port gone */
		errno = EIO;
		ioctl(pfd[i].fd, who[i] ? NIOCTXSYNC : NIOCRXSYNC, NULL);
		f->err = errno;
		if (who[i])
			snprintf(f->what, sizeof(f->what), "%s{%u", lb->name,
				 (unsigned int)(who[i] - lb->pipes));
		else
			snprintf(f->what, sizeof(f->what), "%s", port);
		return false;
	}
	return true;
}

/*
 * Balances until a signal, the timeout, idleness or an error (in *@f);
 * returns seconds.
 */
static double run(struct lb *lb, const struct cfg *c, struct failure *f)
{
	struct pollfd pfd[MAX_PIPES + 1];
	struct pipe *who[MAX_PIPES + 1];
	uint64_t start = stats_now_ns(), now, first = 0, last = start;
	uint64_t report_ns = c->report_ms * 1000000ULL;
	uint64_t syslog_ns = c->syslog_s * 1000000000ULL;
	uint64_t next_report = start + report_ns;
	uint64_t next_syslog = start + syslog_ns;
	unsigned int n;
	int ret;

	stats_meter_start(&lb->meter, 0, 0);
	while (!tool_stop) {
		n = set_fds(lb, pfd, who);
		ret = poll(pfd, n, POLL_MS);
		if (ret < 0 && errno != EINTR)
			log_die(1, "poll: %s", strerror(errno));
		if (ret > 0 && !check_revents(lb, pfd, who, n, c->port, f))
			break;
		now = stats_now_ns();
		if (balance(lb)) {
			last = now;
			first = first ? first : now;
		}
		if (report_ns && now >= next_report) {
			live_line(lb);
			next_report += report_ns;
		}
		if (syslog_ns && now >= next_syslog) {
			syslog_report(lb, c->port);
			next_syslog += syslog_ns;
		}
		if (c->timeout > 0 && now - start >= c->timeout * 1e9)
			break;
		if (c->idle > 0 && first && now - last >= c->idle * 1e9)
			break;
	}
	return first && last > first ? (last - first) / 1e9 : 0;
}

/* Frames still in backlogs at exit never reach a consumer: drops. */
static void finish(struct lb *lb)
{
	struct pipe *p;
	unsigned int i;
	uint64_t frames;
	uint32_t k;

	for (i = 0; i < lb->npipes; i++) {
		p = &lb->pipes[i];
		p->synced = false;
		flush_backlog(lb, p);
		if (p->queued)
			sync_pipe(lb, p);
		for (frames = 0; p->backlog.n; frames++)
			for (k = q_frame_slots(&p->backlog); k; k--)
				q_push(&lb->spare, q_pop(&p->backlog));
		drop_frames(lb, p, frames);
	}
	return_extra_bufs(lb);
}

int main(int argc, char **argv)
{
	struct cfg c = {
	    .batch = 2048, .syslog_s = 600, .wait = 2, .report_ms = 1000};
	struct lb lb = {0};
	struct failure f = {"", 0};
	char iface[NAME_LEN];
	unsigned int i;
	double secs;

	log_init(argv[0]);
	if (opts_parse(&prog, argc, argv, &c) != argc)
		opts_die(&prog, "unexpected argument '%s'", argv[optind]);
	log_set_verbose(c.verbose);
	tool_pin(pthread_self(), tool_cpu_parse(c.cpu), 0);
	base_name(c.port, iface, sizeof(iface));
	parse_pipes(c.pipes, iface, &lb);
	tool_stop_on_signals();
	lb.batch = c.batch;
	lb.in = open_input(c.port, (uint32_t)c.extra);
	if (lb.in->first_rx_ring > lb.in->last_rx_ring)
		log_die(1, "%s: no receive rings", c.port);
	lb.any_ring = NETMAP_RXRING(lb.in->nifp, lb.in->first_rx_ring);
	take_extra_bufs(&lb, (uint32_t)c.extra);
	open_pipes(&lb);
	if (c.syslog_s)
		openlog("pktmap-lb", LOG_PID | LOG_NDELAY, LOG_LOCAL1);
	wait_link(c.wait);
	log_info("%s -> %s{0..%u: ready (%u extra buffers)", c.port, lb.name,
		 lb.npipes - 1, lb.extra);
	secs = run(&lb, &c, &f);
	finish(&lb);
	print_summary(&lb, &c, secs);
	if (f.err)
		log_err("%s: %s", f.what, tool_port_error(f.err));
	for (i = 0; i < lb.npipes; i++) {
		port_close(lb.pipes[i].d);
		free(lb.pipes[i].backlog.s);
	}
	port_close(lb.in);
	free(lb.spare.s);
	free(lb.pipes);
	return f.err != 0;
}
