/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pktmap-gen's parts: the configuration, the workers (one thread, one port
 * each) and what the mode files (pktmap-gen.c, ping.c, replay.c) share.
 */
#ifndef PKTMAP_GEN_H
#define PKTMAP_GEN_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "tool.h"

#define MAX_THREADS 64

enum mode { MODE_TX, MODE_RX, MODE_TXSEQ, MODE_RXSEQ, MODE_PING, MODE_PONG };

struct cfg {
	const char *port;
	unsigned int mode;
	uint64_t len, count, rate, burst, threads, report_ms, sport, dport;
	double wait, idle, timeout, ping_wait;
	uint8_t src_mac[6], dst_mac[6];
	const char *src_spec, *dst_spec, *replay, *cpu;
	struct frame_range src, dst; /* parsed from the two specs */
	int first_cpu;		     /* -a: threads from it on; -1 none */
	bool random, json, verbose;
};

struct seq_counts {
	uint64_t missing, reordered, corrupt, duplicates;
};

struct flow;
struct ping_state;
struct replay_file;

/* One thread, one netmap descriptor. Counters are read by the main thread. */
struct worker {
	pthread_t tid;
	unsigned int index;
	char name[256];
	struct nmport_d *d;
	const struct cfg *cfg;
	uint64_t quota; /* tx: frames this thread sends */
	struct frame_addr addr;
	bool vary;	/* addresses change from frame to frame */
	uint64_t rng;	/* --random's xorshift state */
	uint8_t *frame; /* tx template, rx gather buffer for chains */
	struct flow *flows;
	bool flows_full;
	struct seq_counts seq_own; /* rxseq's working counters */
	uint64_t other_own;
	struct ping_state *ping;
	int err;
	const char *err_what;
	/* written by the worker only, read by main: relaxed atomics */
	uint64_t packets, bytes, other, drops, first_ns, last_ns, finished;
} __attribute__((aligned(64)));

extern struct worker workers[MAX_THREADS];
extern unsigned int nworkers;

static inline void store(uint64_t *p, uint64_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELAXED);
}

static inline uint64_t load(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

bool stopping(void);
void stop_all(void);

/* A fatal error of a worker: recorded, reported by main, ends the run. */
void worker_fail(struct worker *w, const char *what, int err);

/* Waits up to 100 ms for @events (poll also pushes what is queued). */
bool wait_ring(struct worker *w, short events);

/* Waits, bounded, until the kernel has taken every queued frame. */
void tx_drain(struct worker *w);

/* Sleeps until @due_ns (CLOCK_MONOTONIC), at most 100 ms. */
void sleep_until(uint64_t due_ns);

void publish_drops(struct worker *w);

/* ping.c */
void *ping_worker(void *arg);
void *pong_worker(void *arg);
int ping_prepare(struct worker *w);
void ping_summary(const struct cfg *c, const struct worker *w);
void ping_free(struct worker *w);

/* replay.c */
struct replay_file *replay_load(const char *path);
void replay_free(struct replay_file *f);
void *replay_worker(void *arg);
void replay_set_file(struct replay_file *f);

#endif /* PKTMAP_GEN_H */
