// SPDX-License-Identifier: BSD-2-Clause
/* # LIBS: -lpcap (filter expressions are compiled by libpcap) */
/*
 * pktmap-capture: receives frames on a netmap port and prints them as hex
 * dumps, or writes them to pcap / pcapng files, optionally through a tcpdump
 * filter expression.  libpcap only compiles the expression; the filter runs
 * here, on each frame in the ring, with pcap_offline_filter().
 *
 * Timestamps are the rings' (NR_TIMESTAMP): the time of the receive sync
 * that delivered the frame, as netmap gives it.
 */
#include <errno.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>

#include <pktmap.h>

#include "pcapw.h"
#include "tool.h"

#define POLL_MS		100
#define SNAPLEN_DEFAULT 262144 /* tcpdump's: every frame whole */
#define MB		1000000ULL

struct cfg {
	const char *port, *file;
	uint64_t snaplen, count, file_mb, file_secs, report_ms;
	double idle, timeout;
	const char *cpu;
	bool pcapng, json, verbose;
};

static const struct opt options[] = {
    OPT_ARG('i', "port", OPT_STR, struct cfg, port, "PORT",
	    "netmap port, e.g. netmap:veth0", OPT_REQUIRED),
    OPT_ARG('w', "write", OPT_STR, struct cfg, file, "FILE",
	    "write the frames to FILE instead of dumping them"),
    OPT_ARG(0, "pcapng", OPT_FLAG, struct cfg, pcapng, NULL,
	    "write pcapng instead of pcap"),
    OPT_ARG('s', "snaplen", OPT_UINT, struct cfg, snaplen, "BYTES",
	    "bytes kept of each frame, 0 = 262144", .min = 0, .max = 262144),
    OPT_ARG('c', "count", OPT_UINT, struct cfg, count, "COUNT",
	    "stop after COUNT frames passed the filter, 0 = never"),
    OPT_ARG('C', "file-size", OPT_UINT, struct cfg, file_mb, "MB",
	    "start a new file FILE.1, FILE.2, ... past MB million bytes"),
    OPT_ARG('G', "rotate", OPT_UINT, struct cfg, file_secs, "SECONDS",
	    "start a new file every SECONDS"),
    OPT_RUN_OPTIONS(struct cfg),
    OPT_END,
};

static const struct opt_prog prog = {
    .name = "pktmap-capture",
    .synopsis = "[options] -i PORT [EXPRESSION]",
    .doc = "Dumps or records the frames that arrive on a netmap port; "
	   "EXPRESSION is a\n tcpdump filter (pcap-filter(7)).",
    .opts = options,
};

struct capture {
	const struct cfg *cfg;
	struct nmport_d *d;
	struct bpf_program filter;
	bool filtering;
	uint8_t *gather;
	/* the output file, when -w */
	struct pcapw *w;
	unsigned int file_index;
	uint64_t file_start_ns, file_records;
	/* counters */
	uint64_t seen, packets, bytes, filtered, first_ns, last_ns;
};

/* ---- filter ---- */

/* Joins the operands into one expression, as tcpdump does. */
static char *join_operands(int argc, char **argv)
{
	size_t len = 1;
	char *s;
	int i;

	for (i = 0; i < argc; i++)
		len += strlen(argv[i]) + 1;
	s = calloc(1, len);
	if (!s)
		log_die(1, "out of memory");
	for (i = 0; i < argc; i++) {
		if (i)
			strcat(s, " ");
		strcat(s, argv[i]);
	}
	return s;
}

static void compile_filter(struct capture *cap, const char *expr)
{
	pcap_t *p = pcap_open_dead_with_tstamp_precision(
	    DLT_EN10MB, (int)cap->cfg->snaplen, PCAP_TSTAMP_PRECISION_NANO);

	if (!p)
		log_die(1, "out of memory");
	if (pcap_compile(p, &cap->filter, expr, 1, PCAP_NETMASK_UNKNOWN))
		opts_die(&prog, "bad filter expression '%s': %s", expr,
			 pcap_geterr(p));
	pcap_close(p);
	cap->filtering = true;
	log_debug("filter '%s': %u instructions", expr, cap->filter.bf_len);
}

static bool filter_pass(const struct capture *cap, const uint8_t *p, size_t len,
			uint64_t ts_ns)
{
	struct pcap_pkthdr h = {
	    .ts = {.tv_sec = (time_t)(ts_ns / 1000000000ULL),
		   .tv_usec = (suseconds_t)(ts_ns % 1000000000ULL)},
	    .caplen = (bpf_u_int32)len,
	    .len = (bpf_u_int32)len,
	};

	return !cap->filtering || pcap_offline_filter(&cap->filter, &h, p);
}

/* ---- output ---- */

static void file_name(const struct capture *cap, unsigned int k, char *buf,
		      size_t len)
{
	if (k)
		snprintf(buf, len, "%s.%u", cap->cfg->file, k);
	else
		snprintf(buf, len, "%s", cap->cfg->file);
}

static void file_open(struct capture *cap)
{
	char name[4096];

	file_name(cap, cap->file_index, name, sizeof(name));
	cap->w = pcapw_open(name, cap->cfg->pcapng ? PCAPW_PCAPNG : PCAPW_PCAP,
			    (uint32_t)cap->cfg->snaplen, cap->cfg->port);
	if (!cap->w)
		log_die(1, "cannot create %s: %s", name, strerror(errno));
	cap->file_start_ns = stats_now_ns();
	log_debug("writing %s", name);
}

static void file_close(struct capture *cap)
{
	char name[4096];

	if (!cap->w)
		return;
	file_name(cap, cap->file_index, name, sizeof(name));
	if (pcapw_close(cap->w))
		log_die(1, "%s: %s", name, strerror(errno));
	cap->w = NULL;
}

/* -C and -G: a new file before this record, if it is time for one. */
static void maybe_rotate(struct capture *cap, uint32_t caplen)
{
	const struct cfg *c = cap->cfg;
	enum pcapw_format fmt = c->pcapng ? PCAPW_PCAPNG : PCAPW_PCAP;
	bool full =
	    c->file_mb && pcapw_size(cap->w) + pcapw_record_size(fmt, caplen) >
			      c->file_mb * MB;
	bool old = c->file_secs &&
		   stats_now_ns() - cap->file_start_ns >= c->file_secs * 1e9;

	if ((full && cap->file_records) || old) {
		file_close(cap);
		cap->file_index++;
		file_open(cap);
		cap->file_records = 0;
	}
	cap->file_records++;
}

static void write_frame(struct capture *cap, const uint8_t *p, size_t len,
			uint64_t ts_ns)
{
	uint32_t caplen = len < cap->cfg->snaplen ? (uint32_t)len
						  : (uint32_t)cap->cfg->snaplen;

	maybe_rotate(cap, caplen);
	if (pcapw_write(cap->w, ts_ns, p, caplen, (uint32_t)len))
		log_die(1, "%s: %s", cap->cfg->file, strerror(errno));
}

/* One line of 16 bytes, as BSD's hexdump(3) prints them. */
static void hexdump_line(const uint8_t *p, size_t off, size_t n)
{
	char line[96];
	size_t k, pos;

	pos = (size_t)snprintf(line, sizeof(line), "%04zx  ", off);
	for (k = 0; k < 16; k++)
		pos +=
		    (size_t)snprintf(line + pos, sizeof(line) - pos,
				     k < n ? " %02x" : "   ", p[k < n ? k : 0]);
	pos += (size_t)snprintf(line + pos, sizeof(line) - pos, "  |");
	for (k = 0; k < n; k++)
		line[pos++] = p[k] >= 0x20 && p[k] < 0x7f ? (char)p[k] : '.';
	line[pos++] = '|';
	line[pos] = '\0';
	puts(line);
}

static void dump_frame(const struct capture *cap, const uint8_t *p, size_t len,
		       uint64_t ts_ns, unsigned int ring)
{
	size_t shown = len < cap->cfg->snaplen ? len : cap->cfg->snaplen, off;

	printf("%llu.%09llu ring %u len %zu\n",
	       (unsigned long long)(ts_ns / 1000000000ULL),
	       (unsigned long long)(ts_ns % 1000000000ULL), ring, len);
	for (off = 0; off < shown; off += 16)
		hexdump_line(p + off, off, shown - off < 16 ? shown - off : 16);
}

/* ---- receive ---- */

static uint64_t realtime_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* The ring's timestamp, or now if the ring has none. */
static uint64_t ring_ts_ns(const struct netmap_ring *ring)
{
	if (!ring->ts.tv_sec && !ring->ts.tv_usec)
		return realtime_ns();
	return (uint64_t)ring->ts.tv_sec * 1000000000ULL +
	       (uint64_t)ring->ts.tv_usec * 1000ULL;
}

static bool count_reached(const struct capture *cap)
{
	return cap->cfg->count && cap->packets >= cap->cfg->count;
}

static void take_frame(struct capture *cap, const uint8_t *p, size_t len,
		       uint64_t ts_ns, unsigned int ring)
{
	cap->seen++;
	if (!filter_pass(cap, p, len, ts_ns)) {
		cap->filtered++;
		return;
	}
	if (cap->w)
		write_frame(cap, p, len, ts_ns);
	else
		dump_frame(cap, p, len, ts_ns, ring);
	cap->packets++;
	cap->bytes += len;
}

static void capture_ring(struct capture *cap, struct netmap_ring *ring,
			 unsigned int r)
{
	uint64_t ts = ring_ts_ns(ring);
	const uint8_t *p;
	uint32_t i, n;
	size_t len;

	for (i = ring->cur; i != ring->tail && !count_reached(cap);) {
		n = ring_frame_slots(ring, i);
		if (!n)
			break; /* the rest of the chain is not here yet */
		p = ring_frame_bytes(ring, i, n, cap->gather, &len);
		take_frame(cap, p, len, ts, r);
		while (n--)
			i = nm_ring_next(ring, i);
	}
	ring->head = ring->cur = i;
}

static uint64_t kernel_drops(const struct capture *cap)
{
	struct pktmap_stats st;

	return pktmap_stats_get(cap->d->fd, &st) == 0 ? st.rx_drops : 0;
}

/* 0, or why the port failed: the run ends with its summary. */
static int wait_frames(const struct capture *cap)
{
	struct pollfd pfd = {.fd = cap->d->fd, .events = POLLIN};
	int ret = poll(&pfd, 1, POLL_MS);

	if (ret < 0 && errno != EINTR)
		return errno;
	if (ret > 0 && (pfd.revents & (POLLERR | POLLNVAL))) {
		/* a sync says why: EINVAL ring reset, ENXIO port gone */
		errno = EIO;
		ioctl(cap->d->fd, NIOCRXSYNC, NULL);
		return errno;
	}
	return 0;
}

/* Captures until a signal, -c, the timeout, idleness or an error. */
static int run(struct capture *cap)
{
	const struct cfg *c = cap->cfg;
	struct nmport_d *d = cap->d;
	uint64_t start = stats_now_ns(), now, before, last = start;
	uint64_t next_report = start + c->report_ms * 1000000ULL;
	struct stats_meter m;
	unsigned int r;
	int err = 0;

	stats_meter_start(&m, 0, 0);
	while (!tool_stop && !count_reached(cap)) {
		err = wait_frames(cap);
		if (err)
			break;
		before = cap->seen;
		for (r = d->first_rx_ring; r <= d->last_rx_ring; r++)
			capture_ring(cap, NETMAP_RXRING(d->nifp, r), r);
		now = stats_now_ns();
		if (cap->seen != before) {
			cap->first_ns = cap->first_ns ? cap->first_ns : now;
			cap->last_ns = last = now;
		}
		if (c->report_ms && now >= next_report) {
			stats_live(stderr, "capture", &m, cap->packets,
				   cap->bytes, kernel_drops(cap));
			next_report += c->report_ms * 1000000ULL;
		}
		if (c->timeout > 0 && now - start >= c->timeout * 1e9)
			break;
		if (c->idle > 0 && cap->seen && now - last >= c->idle * 1e9)
			break;
	}
	return err;
}

static void print_summary(const struct capture *cap)
{
	double secs = 0;

	if (cap->packets > 1 && cap->last_ns > cap->first_ns)
		secs = (cap->last_ns - cap->first_ns) / 1e9;
	fflush(stdout);
	stats_summary(stderr, "capture", cap->packets, cap->bytes, secs);
	summary_begin(cap->cfg->json);
	summary_u64("packets", cap->packets);
	summary_u64("bytes", cap->bytes);
	summary_u64("seen", cap->seen);
	summary_u64("filtered", cap->filtered);
	summary_u64("drops", kernel_drops(cap));
	summary_u64("files", cap->cfg->file ? cap->file_index + 1 : 0);
	summary_num("seconds", "%.3f", secs);
	summary_end();
}

static void check_usage(struct cfg *c)
{
	if (!c->snaplen)
		c->snaplen = SNAPLEN_DEFAULT;
	if (!c->file && (c->pcapng || c->file_mb || c->file_secs))
		opts_die(&prog, "--pcapng, -C and -G go with -w FILE");
}

/* Asks every bound RX ring for timestamps. */
static void enable_timestamps(struct nmport_d *d)
{
	unsigned int r;

	for (r = d->first_rx_ring; r <= d->last_rx_ring; r++)
		NETMAP_RXRING(d->nifp, r)->flags |= NR_TIMESTAMP;
}

int main(int argc, char **argv)
{
	struct cfg c = {.report_ms = 1000};
	struct capture cap = {.cfg = &c};
	char *expr;
	int first, err;

	log_init(argv[0]);
	first = opts_parse(&prog, argc, argv, &c);
	log_set_verbose(c.verbose);
	check_usage(&c);
	tool_pin(pthread_self(), tool_cpu_parse(c.cpu), 0);
	expr = join_operands(argc - first, argv + first);
	if (expr[0])
		compile_filter(&cap, expr);
	tool_stop_on_signals();
	cap.gather = malloc(RING_GATHER_MAX);
	if (!cap.gather)
		log_die(1, "out of memory");
	cap.d = port_open(c.port);
	enable_timestamps(cap.d);
	if (c.file)
		file_open(&cap);
	log_info("%s: ready (%s%s%s%s)", c.port,
		 c.file ? (c.pcapng ? "pcapng to " : "pcap to ") : "hex dump",
		 c.file ? c.file : "", expr[0] ? ", filter " : "", expr);
	err = run(&cap);
	file_close(&cap);
	print_summary(&cap);
	if (err)
		log_err("%s: %s", c.port, tool_port_error(err));
	port_close(cap.d);
	if (cap.filtering)
		pcap_freecode(&cap.filter);
	free(cap.gather);
	free(expr);
	return err != 0;
}
