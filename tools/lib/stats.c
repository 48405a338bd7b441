// SPDX-License-Identifier: BSD-2-Clause
/* Live rate lines and summaries with SI units. */
#include <time.h>

#include "stats.h"

uint64_t stats_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

void stats_fmt_si(char *buf, size_t len, double v)
{
	static const char units[] = " KMGTP";
	int u = 0;

	while (v >= 999.95 && units[u + 1]) {
		v /= 1000;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%.0f", v);
	else if (v >= 99.995)
		snprintf(buf, len, "%.1f%c", v, units[u]);
	else if (v >= 9.9995)
		snprintf(buf, len, "%.2f%c", v, units[u]);
	else
		snprintf(buf, len, "%.3f%c", v, units[u]);
}

void stats_stamp(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	snprintf(buf, len, "%02d:%02d:%02d.%03ld", tm.tm_hour, tm.tm_min,
		 tm.tm_sec, ts.tv_nsec / 1000000);
}

void stats_totals(char *buf, size_t len, uint64_t packets, uint64_t bytes)
{
	char b[16];

	stats_fmt_si(b, sizeof(b), (double)bytes);
	snprintf(buf, len, "total %llu pkts %sB", (unsigned long long)packets,
		 b);
}

void stats_meter_start(struct stats_meter *m, uint64_t packets, uint64_t bytes)
{
	m->packets = packets;
	m->bytes = bytes;
	m->t_ns = stats_now_ns();
}

void stats_live(FILE *f, const char *label, struct stats_meter *m,
		uint64_t packets, uint64_t bytes, uint64_t drops)
{
	uint64_t now = stats_now_ns();
	double dt = (now - m->t_ns) / 1e9;
	char pps[16], bps[16], stamp[16], total[64];

	if (dt <= 0)
		dt = 1e-9;
	stats_fmt_si(pps, sizeof(pps), (packets - m->packets) / dt);
	stats_fmt_si(bps, sizeof(bps), (bytes - m->bytes) * 8.0 / dt);
	stats_stamp(stamp, sizeof(stamp));
	stats_totals(total, sizeof(total), packets, bytes);
	fprintf(f, "%s %s %s pps %s bps %s drops %llu\n", stamp, label, pps,
		bps, total, (unsigned long long)drops);
	fflush(f);
	m->packets = packets;
	m->bytes = bytes;
	m->t_ns = now;
}

void stats_interval(struct stats_meter *m, uint64_t packets, uint64_t bytes,
		    char *buf, size_t len)
{
	uint64_t now = stats_now_ns();
	double dt = (now - m->t_ns) / 1e9;
	char pps[16], bps[16];

	if (dt <= 0)
		dt = 1e-9;
	stats_fmt_si(pps, sizeof(pps), (packets - m->packets) / dt);
	stats_fmt_si(bps, sizeof(bps), (bytes - m->bytes) * 8.0 / dt);
	snprintf(buf, len, "%s pps %s bps", pps, bps);
	m->packets = packets;
	m->bytes = bytes;
	m->t_ns = now;
}

void stats_summary(FILE *f, const char *label, uint64_t packets, uint64_t bytes,
		   double seconds)
{
	char pps[16], bps[16], b[16];
	double p = seconds > 0 ? packets / seconds : 0;

	stats_fmt_si(pps, sizeof(pps), p);
	stats_fmt_si(bps, sizeof(bps), seconds > 0 ? bytes * 8.0 / seconds : 0);
	stats_fmt_si(b, sizeof(b), (double)bytes);
	fprintf(f, "%s: %llu packets %sB in %.3f s, %s pps %s bps\n", label,
		(unsigned long long)packets, b, seconds, pps, bps);
	fflush(f);
}
