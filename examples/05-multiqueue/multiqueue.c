/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * example-multiqueue netmap:IF [-p NRINGS] [-t SECONDS]
 *
 * One thread per hardware ring: thread i opens "netmap:IF-i", which binds
 * ring pair i alone, and counts the frames and the distinct flows (IPv4 or
 * IPv6 5-tuples) its ring receives.  A multi-queue port spreads frames over
 * its rings by flow, so every flow should be seen on exactly one ring.
 *
 * NRINGS defaults to the port's number of receive rings.  Stops on SIGINT,
 * SIGTERM or after SECONDS and prints, one line each:
 *   ring I packets=N flows=M
 *   total packets=N flows=M
 *   flows_on_several_rings=K
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NETMAP_WITH_LIBS
#include <net/netmap_user.h>

#define MAX_RINGS  64
#define TABLE_SIZE (1u << 16) /* flows tracked per ring; a power of 2 */

struct flow {
	uint8_t src[16], dst[16]; /* IPv4 addresses use the first 4 bytes */
	uint16_t sport, dport;
	uint8_t proto, family;
};

struct flow_table {
	struct flow *keys;
	uint64_t *rings; /* bit i: seen on ring i (merged table only) */
	uint8_t *used;
	uint64_t count, overflow;
};

struct worker {
	pthread_t thread;
	int ring;
	const char *ifname;
	struct nm_desc *d;
	uint64_t packets;
	struct flow_table flows;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* ---- flow table: open addressing, FNV-1a hash --------------------------- */

static int table_init(struct flow_table *t)
{
	t->keys = calloc(TABLE_SIZE, sizeof(*t->keys));
	t->rings = calloc(TABLE_SIZE, sizeof(*t->rings));
	t->used = calloc(TABLE_SIZE, 1);
	return t->keys && t->rings && t->used ? 0 : -1;
}

static void table_free(struct flow_table *t)
{
	free(t->keys);
	free(t->rings);
	free(t->used);
}

static uint32_t flow_hash(const struct flow *f)
{
	const uint8_t *p = (const uint8_t *)f;
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < sizeof(*f); i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

/* Adds @f seen on the rings @rings; returns 1 if the flow is new. */
static int table_add(struct flow_table *t, const struct flow *f, uint64_t rings)
{
	uint32_t i = flow_hash(f) & (TABLE_SIZE - 1);

	for (uint32_t probes = 0; probes < TABLE_SIZE; probes++) {
		if (!t->used[i]) {
			t->used[i] = 1;
			t->keys[i] = *f;
			t->rings[i] = rings;
			t->count++;
			return 1;
		}
		if (!memcmp(&t->keys[i], f, sizeof(*f))) {
			t->rings[i] |= rings;
			return 0;
		}
		i = (i + 1) & (TABLE_SIZE - 1);
	}
	t->overflow++;
	return 0;
}

/* ---- parsing ---------------------------------------------------------------
 */

static uint16_t be16(const uint8_t *p)
{
	return p[0] << 8 | p[1];
}

static void parse_ports(struct flow *f, const uint8_t *l4, const uint8_t *end)
{
	if ((f->proto == 6 || f->proto == 17 || f->proto == 132) &&
	    l4 + 4 <= end) {
		f->sport = be16(l4);
		f->dport = be16(l4 + 2);
	}
}

/* Fills @f from an Ethernet frame; 0 if it carries no IP packet. */
static int parse_flow(const uint8_t *p, unsigned len, struct flow *f)
{
	const uint8_t *end = p + len, *l3 = p + 14;
	uint16_t type;

	memset(f, 0, sizeof(*f));
	if (len < 14)
		return 0;
	type = be16(p + 12);
	if (type == 0x8100 && len >= 18) { /* one VLAN tag */
		type = be16(p + 16);
		l3 += 4;
	}
	if (type == 0x0800 && l3 + 20 <= end && l3[0] >> 4 == 4) {
		f->family = 4;
		f->proto = l3[9];
		memcpy(f->src, l3 + 12, 4);
		memcpy(f->dst, l3 + 16, 4);
		if ((be16(l3 + 6) & 0x1fff) == 0) /* not a later fragment */
			parse_ports(f, l3 + (l3[0] & 0xf) * 4, end);
		return 1;
	}
	if (type == 0x86dd && l3 + 40 <= end) {
		f->family = 6;
		f->proto = l3[6];
		memcpy(f->src, l3 + 8, 16);
		memcpy(f->dst, l3 + 24, 16);
		parse_ports(f, l3 + 40, end);
		return 1;
	}
	return 0;
}

/* ---- the per-ring threads
 * ---------------------------------------------------- */

static void count_ring(struct worker *w, struct netmap_ring *ring)
{
	uint32_t i = ring->cur;
	int first = 1; /* the first slot of a frame holds its headers */

	for (; i != ring->tail; i = nm_ring_next(ring, i)) {
		struct netmap_slot *slot = &ring->slot[i];
		struct flow f;

		if (first &&
		    parse_flow((uint8_t *)NETMAP_BUF(ring, slot->buf_idx),
			       slot->len, &f))
			table_add(&w->flows, &f, 1ull << w->ring);
		first = !(slot->flags & NS_MOREFRAG);
		w->packets += first;
	}
	ring->head = ring->cur = i;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct pollfd pfd = {.fd = w->d->fd, .events = POLLIN};

	while (!stop) {
		if (poll(&pfd, 1, 100) < 0 && errno != EINTR)
			break;
		if (pfd.revents & POLLERR) {
			fprintf(stderr,
				"example-multiqueue: ring %d: port "
				"error\n",
				w->ring);
			stop = 1;
			break;
		}
		count_ring(w, NETMAP_RXRING(w->d->nifp, w->d->first_rx_ring));
	}
	return NULL;
}

/* ---- main
 * --------------------------------------------------------------------- */

/* The number of receive rings of @ifname, or -1. */
static int port_rings(const char *ifname)
{
	struct nm_desc *d = nm_open(ifname, NULL, 0, NULL);
	int n;

	if (d == NULL)
		return -1;
	n = d->req.nr_rx_rings;
	nm_close(d);
	return n;
}

static int open_ring(struct worker *w)
{
	char name[128];

	snprintf(name, sizeof(name), "%s-%d", w->ifname, w->ring);
	w->d = nm_open(name, NULL, 0, NULL);
	if (w->d == NULL) {
		fprintf(stderr, "example-multiqueue: cannot open %s: %s\n",
			name, strerror(errno));
		return -1;
	}
	return table_init(&w->flows);
}

static void wait_until_done(double seconds)
{
	struct timespec tick = {.tv_nsec = 100 * 1000 * 1000};
	double left = seconds;

	while (!stop && (seconds <= 0 || left > 0)) {
		nanosleep(&tick, NULL);
		left -= 0.1;
	}
	stop = 1;
}

static void report(struct worker *w, int nrings)
{
	struct flow_table all;
	uint64_t packets = 0, several = 0;

	if (table_init(&all) < 0)
		return;
	for (int r = 0; r < nrings; r++) {
		struct flow_table *t = &w[r].flows;

		printf("ring %d packets=%llu flows=%llu\n", r,
		       (unsigned long long)w[r].packets,
		       (unsigned long long)t->count);
		packets += w[r].packets;
		for (uint32_t i = 0; i < TABLE_SIZE; i++)
			if (t->used[i])
				table_add(&all, &t->keys[i], t->rings[i]);
	}
	for (uint32_t i = 0; i < TABLE_SIZE; i++)
		several += all.used[i] && (all.rings[i] & (all.rings[i] - 1));
	printf("total packets=%llu flows=%llu\n", (unsigned long long)packets,
	       (unsigned long long)all.count);
	printf("flows_on_several_rings=%llu\n", (unsigned long long)several);
	table_free(&all);
}

int main(int argc, char **argv)
{
	static struct worker workers[MAX_RINGS];
	int opt, nrings = 0, started = 0, status = 0;
	double seconds = 0;

	while ((opt = getopt(argc, argv, "p:t:")) != -1) {
		if (opt == 'p')
			nrings = atoi(optarg);
		else if (opt == 't')
			seconds = atof(optarg);
		else
			goto usage;
	}
	if (optind != argc - 1)
		goto usage;
	if (nrings == 0)
		nrings = port_rings(argv[optind]);
	if (nrings <= 0 || nrings > MAX_RINGS) {
		fprintf(stderr, "example-multiqueue: %s: bad ring count %d\n",
			argv[optind], nrings);
		return 1;
	}

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	for (; started < nrings; started++) {
		struct worker *w = &workers[started];

		w->ring = started;
		w->ifname = argv[optind];
		if (open_ring(w) < 0 ||
		    pthread_create(&w->thread, NULL, worker_main, w) != 0) {
			if (w->d)
				nm_close(w->d);
			table_free(&w->flows);
			status = 1;
			stop = 1;
			break;
		}
	}
	if (!status) {
		/* Every ring is bound: senders may start. */
		printf("ready rings=%d\n", nrings);
		fflush(stdout);
		wait_until_done(seconds);
	}
	for (int r = 0; r < started; r++) {
		pthread_join(workers[r].thread, NULL);
		nm_close(workers[r].d);
	}
	if (!status)
		report(workers, nrings);
	for (int r = 0; r < started; r++)
		table_free(&workers[r].flows);
	return status;

usage:
	fprintf(stderr, "usage: example-multiqueue netmap:IF [-p NRINGS] "
			"[-t SECONDS]\n");
	return 1;
}
