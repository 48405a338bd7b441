/* SPDX-License-Identifier: BSD-2-Clause */
/* What the bench helpers share: a stop flag for signals, a clock. */
#ifndef PKTMAP_BENCH_COMMON_H
#define PKTMAP_BENCH_COMMON_H

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

static volatile sig_atomic_t stop __attribute__((unused));

static inline void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* Seconds on the monotonic clock. */
static inline double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/*
 * The receivers' loop: polls @fd and drains it (true if frames came) until
 * *packets reaches @want, a signal, @timeout seconds, or @idle seconds of
 * silence after the first frame (0: no such bound).  *first and *last
 * record when frames came.
 */
static inline void receive_until(int fd, const uint64_t *packets, uint64_t want,
				 double timeout, double idle,
				 bool (*drain)(void *), void *arg,
				 double *first, double *last)
{
	struct pollfd pfd = {.fd = fd, .events = POLLIN};
	double start = now(), t;

	while (!stop && *packets < want) {
		if (poll(&pfd, 1, 50) < 0 && errno != EINTR)
			break;
		t = now();
		if (drain(arg)) {
			if (!*first)
				*first = t;
			*last = t;
		}
		if (timeout > 0 && t - start >= timeout)
			break;
		if (idle > 0 && *first && t - *last >= idle)
			break;
	}
}

#endif
