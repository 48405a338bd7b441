// SPDX-License-Identifier: BSD-2-Clause
/* # LIBS: -lpcap */
/*
 * --replay FILE: sends the frames of a pcap or pcapng file (read with
 * libpcap, nanosecond timestamps) at the pace they were recorded, or at -R
 * frames per second.  -n N sends N frames, going round the file as often as
 * needed; without it the file is sent once.  The whole file is loaded
 * first, so reading it never slows the sending.
 */
#include <errno.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "gen.h"

struct replay_frame {
	uint64_t ts_ns;
	uint32_t len;
	uint8_t *data;
};

struct replay_file {
	struct replay_frame *frames;
	size_t n, cap;
	uint64_t truncated; /* frames the file holds only partly */
};

static struct replay_file *the_file;

void replay_set_file(struct replay_file *f)
{
	the_file = f;
}

static void replay_add(struct replay_file *f, const struct pcap_pkthdr *h,
		       const uint8_t *data)
{
	struct replay_frame *fr;
	size_t cap;

	if (f->n == f->cap) {
		cap = f->cap ? f->cap * 2 : 1024;
		fr = realloc(f->frames, cap * sizeof(*fr));
		if (!fr)
			log_die(1, "out of memory");
		f->frames = fr;
		f->cap = cap;
	}
	fr = &f->frames[f->n++];
	fr->ts_ns = (uint64_t)h->ts.tv_sec * 1000000000ULL +
		    (uint64_t)h->ts.tv_usec; /* tv_usec holds ns here */
	fr->len = h->caplen;
	fr->data = malloc(h->caplen ? h->caplen : 1);
	if (!fr->data)
		log_die(1, "out of memory");
	memcpy(fr->data, data, h->caplen);
	if (h->caplen < h->len)
		f->truncated++;
}

struct replay_file *replay_load(const char *path)
{
	char err[PCAP_ERRBUF_SIZE];
	struct replay_file *f = calloc(1, sizeof(*f));
	struct pcap_pkthdr *h;
	const u_char *data;
	pcap_t *p;
	int ret;

	if (!f)
		log_die(1, "out of memory");
	p = pcap_open_offline_with_tstamp_precision(
	    path, PCAP_TSTAMP_PRECISION_NANO, err);
	if (!p)
		log_die(1, "%s", err);
	if (pcap_datalink(p) != DLT_EN10MB)
		log_die(1, "%s: link type %s, only Ethernet can be sent", path,
			pcap_datalink_val_to_name(pcap_datalink(p)));
	while ((ret = pcap_next_ex(p, &h, &data)) == 1)
		replay_add(f, h, data);
	if (ret == PCAP_ERROR)
		log_die(1, "%s: %s", path, pcap_geterr(p));
	pcap_close(p);
	if (!f->n)
		log_die(1, "%s: no frames to send", path);
	if (f->truncated)
		log_warn("%s: %llu frames were captured short; the captured "
			 "part is sent",
			 path, (unsigned long long)f->truncated);
	log_debug("%s: %zu frames", path, f->n);
	return f;
}

void replay_free(struct replay_file *f)
{
	size_t i;

	if (!f)
		return;
	for (i = 0; i < f->n; i++)
		free(f->frames[i].data);
	free(f->frames);
	free(f);
}

/* When frame number @k (counting rounds of the file) is due. */
static uint64_t replay_due(const struct worker *w, uint64_t start, uint64_t k)
{
	const struct replay_file *f = the_file;
	uint64_t round = k / f->n, span;
	const struct replay_frame *fr = &f->frames[k % f->n];

	if (w->cfg->rate)
		return start + (uint64_t)(k * 1e9 / w->cfg->rate);
	/* a round lasts the file's span plus the gap of an average frame */
	span = f->frames[f->n - 1].ts_ns - f->frames[0].ts_ns;
	span += f->n > 1 ? span / (f->n - 1) : 0;
	return start + round * span + (fr->ts_ns - f->frames[0].ts_ns);
}

/* Queues the due frames into @ring; returns how many. */
static uint64_t replay_fill(struct worker *w, struct netmap_ring *ring,
			    uint64_t start, uint64_t now)
{
	const struct replay_file *f = the_file;
	const struct replay_frame *fr;
	uint32_t cur = ring->cur, room = nm_ring_space(ring), need;
	uint64_t n = 0, k;

	for (k = w->packets; k < w->quota && n < w->cfg->burst; k++, n++) {
		fr = &f->frames[k % f->n];
		need = ring_slots_for(ring, fr->len);
		if (replay_due(w, start, k) > now || need > room)
			break;
		room -= need;
		cur = ring_put_frame(ring, cur, fr->data, fr->len);
		store(&w->bytes, w->bytes + fr->len);
	}
	ring->head = ring->cur = cur;
	return n;
}

void *replay_worker(void *arg)
{
	struct worker *w = arg;
	struct nmport_d *d = w->d;
	uint64_t start = stats_now_ns(), n;
	unsigned int i;

	w->quota = w->cfg->count ? w->cfg->count : the_file->n;
	store(&w->first_ns, start);
	while (!stopping() && w->packets < w->quota) {
		sleep_until(replay_due(w, start, w->packets));
		if (!wait_ring(w, POLLOUT))
			break;
		for (i = d->first_tx_ring; i <= d->last_tx_ring; i++) {
			n = replay_fill(w, NETMAP_TXRING(d->nifp, i), start,
					stats_now_ns());
			store(&w->packets, w->packets + n);
		}
		if (ioctl(d->fd, NIOCTXSYNC, NULL) < 0) {
			worker_fail(w, "txsync", errno);
			break;
		}
	}
	if (!w->err)
		tx_drain(w);
	store(&w->last_ns, stats_now_ns());
	store(&w->finished, 1);
	return NULL;
}
