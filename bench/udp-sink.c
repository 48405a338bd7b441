/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * udp-sink -- receives UDP datagrams on a port and counts them, so that the
 * stack has somewhere to deliver the frames of the host-path benchmark.
 *
 *   udp-sink -p PORT [-n COUNT] [--idle SEC] [--timeout SEC] [--rcvbuf KIB]
 *
 * One socket bound to 0.0.0.0:PORT, drained with recvmmsg() in batches of
 * 64 after each poll().  Stops after COUNT datagrams, an idle time after
 * the last one, a timeout, or SIGINT/SIGTERM.  Prints `packets=N bytes=B
 * drops=D seconds=S pps=P` on stdout: drops are datagrams the socket's
 * receive buffer refused (SO_RXQ_OVFL), seconds runs from the first
 * datagram to the last one.
 */
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

#define BATCH	 64
#define DGRAM_SZ 2048

struct opts {
	unsigned port, rcvbuf_kib;
	uint64_t count;
	double idle, timeout;
};

struct sink {
	int fd;
	uint64_t packets, bytes;
	uint32_t drops; /* the socket's overflow counter, last seen */
	double first, last;
};

static void usage(void)
{
	fprintf(stderr, "usage: udp-sink -p PORT [-n COUNT] [--idle SEC] "
			"[--timeout SEC] [--rcvbuf KIB]\n");
	exit(2);
}

static void parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
	    {"idle", required_argument, NULL, 'I'},
	    {"timeout", required_argument, NULL, 't'},
	    {"rcvbuf", required_argument, NULL, 'r'},
	    {NULL, 0, NULL, 0},
	};
	int c;

	*o = (struct opts){.rcvbuf_kib = 4096};
	while ((c = getopt_long(argc, argv, "p:n:", lo, NULL)) != -1) {
		switch (c) {
		case 'p':
			o->port = atoi(optarg);
			break;
		case 'n':
			o->count = strtoull(optarg, NULL, 0);
			break;
		case 'I':
			o->idle = atof(optarg);
			break;
		case 't':
			o->timeout = atof(optarg);
			break;
		case 'r':
			o->rcvbuf_kib = atoi(optarg);
			break;
		default:
			usage();
		}
	}
	if (!o->port || o->port > 65535)
		usage();
}

/* SO_RCVBUFFORCE passes net.core.rmem_max (we are root); else SO_RCVBUF. */
static int sink_open(struct sink *s, const struct opts *o)
{
	struct sockaddr_in sin = {
	    .sin_family = AF_INET,
	    .sin_port = htons(o->port),
	    .sin_addr.s_addr = htonl(INADDR_ANY),
	};
	int buf = o->rcvbuf_kib * 1024, one = 1;

	s->fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (s->fd < 0)
		goto fail;
	if (setsockopt(s->fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof(buf)) <
	    0)
		setsockopt(s->fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	if (setsockopt(s->fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof(one)) < 0 ||
	    bind(s->fd, (struct sockaddr *)&sin, sizeof(sin)) < 0)
		goto fail;
	return 0;
fail:
	fprintf(stderr, "udp-sink: port %u: %s\n", o->port, strerror(errno));
	return -1;
}

/* The overflow counter rides on every datagram; keep the newest. */
static void note_drops(struct sink *s, struct msghdr *m)
{
	struct cmsghdr *c;

	for (c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c))
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL)
			memcpy(&s->drops, CMSG_DATA(c), sizeof(s->drops));
}

/* Reads what is queued, in batches; returns how many datagrams. */
static int drain(struct sink *s)
{
	static char data[BATCH][DGRAM_SZ];
	static char ctl[BATCH][CMSG_SPACE(sizeof(uint32_t))];
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	int n, i, total = 0;

	do {
		for (i = 0; i < BATCH; i++) {
			iov[i] = (struct iovec){data[i], DGRAM_SZ};
			msgs[i] = (struct mmsghdr){
			    .msg_hdr = {.msg_iov = &iov[i],
					.msg_iovlen = 1,
					.msg_control = ctl[i],
					.msg_controllen = sizeof(ctl[i])},
			};
		}
		n = recvmmsg(s->fd, msgs, BATCH, MSG_DONTWAIT, NULL);
		for (i = 0; i < n; i++) {
			s->bytes += msgs[i].msg_len;
			note_drops(s, &msgs[i].msg_hdr);
		}
		if (n > 0) {
			s->packets += n;
			total += n;
		}
	} while (n == BATCH);
	return total;
}

static bool drain_some(void *arg)
{
	return drain(arg) > 0;
}

static void receive(struct sink *s, const struct opts *o)
{
	receive_until(s->fd, &s->packets, o->count ? o->count : UINT64_MAX,
		      o->timeout, o->idle, drain_some, s, &s->first, &s->last);
}

int main(int argc, char **argv)
{
	struct opts o;
	struct sink s = {.fd = -1};
	double secs;

	parse_opts(argc, argv, &o);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (sink_open(&s, &o) < 0)
		return 1;
	receive(&s, &o);
	secs = s.last - s.first;
	printf("packets=%llu bytes=%llu drops=%u seconds=%.3f pps=%.0f\n",
	       (unsigned long long)s.packets, (unsigned long long)s.bytes,
	       s.drops, secs, secs > 0 ? s.packets / secs : 0);
	return 0;
}
