/* SPDX-License-Identifier: BSD-2-Clause */
/* What the bench helpers share: a stop flag for signals, a clock. */
#ifndef PKTMAP_BENCH_COMMON_H
#define PKTMAP_BENCH_COMMON_H

#include <signal.h>
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

#endif
