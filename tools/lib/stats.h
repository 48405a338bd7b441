/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Rates for humans: the live line a tool prints every report interval and
 * the closing summary line, with SI units (K, M, G: powers of 1000).
 */
#ifndef TOOLS_STATS_H
#define TOOLS_STATS_H

#include <stdint.h>
#include <stdio.h>

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t stats_now_ns(void);

/* @v with an SI suffix and 4 significant digits: "950", "14.88M". */
void stats_fmt_si(char *buf, size_t len, double v);

/* Counters at the previous report, to turn totals into rates. */
struct stats_meter {
	uint64_t packets, bytes, t_ns;
};

void stats_meter_start(struct stats_meter *m, uint64_t packets, uint64_t bytes);

/* The wall clock as live lines start with it: "HH:MM:SS.mmm". */
void stats_stamp(char *buf, size_t len);

/* Running totals for live lines: "total <N> pkts <B>B". */
void stats_totals(char *buf, size_t len, uint64_t packets, uint64_t bytes);

/*
 * Prints "<time> <label> <pps> pps <bps> bps total <N> pkts <B>B drops <n>"
 * for the interval since the last call (or the start; the totals since the
 * start) and moves the meter on.
 */
void stats_live(FILE *f, const char *label, struct stats_meter *m,
		uint64_t packets, uint64_t bytes, uint64_t drops);

/*
 * Writes "<pps> pps <bps> bps" for the interval since the last call (or the
 * start) into @buf and moves the meter on: for lines with several meters.
 */
void stats_interval(struct stats_meter *m, uint64_t packets, uint64_t bytes,
		    char *buf, size_t len);

/*
 * Prints "<label>: <N> packets <B> bytes in <S> s, <pps> pps <bps> bps".
 * Rates are 0 when @seconds is 0.
 */
void stats_summary(FILE *f, const char *label, uint64_t packets, uint64_t bytes,
		   double seconds);

#endif /* TOOLS_STATS_H */
