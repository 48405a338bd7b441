/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * <pktmap.h> -- what only pktmap has, beside netmap's API.
 *
 * Error contract, as everywhere in pktmap's public API: -1 with errno set.
 *
 * Environment variables read by the library:
 *   PKTMAP_DEBUG=1         debug log on stderr (never printed otherwise)
 *   PKTMAP_FANOUT=MODE     fanout of multi-ring AF_PACKET ports:
 *                          hash (default), lb, cpu, qm, rollover, rnd
 *   PKTMAP_SLOTS=N         default slots per ring (1024)
 *   PKTMAP_DETACH=0        do not detach interfaces from the stack (no host
 *                          rings; NIC rings need only CAP_NET_RAW)
 */
#ifndef PKTMAP_H
#define PKTMAP_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Counters of one netmap file descriptor's bound rings, since it registered. */
struct pktmap_stats {
	uint64_t rx_packets; /* frames delivered to rx rings */
	uint64_t rx_bytes;
	uint64_t rx_drops; /* dropped by the kernel: rings were full */
	uint64_t
	    rx_truncated; /* frames cut: longer than NETMAP_MAX_FRAGS slots */
	uint64_t tx_packets; /* frames handed to the kernel */
	uint64_t tx_bytes;
	uint64_t tx_errors; /* frames the kernel refused (oversized, ...) */
	uint64_t tx_busy;   /* syncs that left frames pending: back-pressure */
};

/* Fills *st for the netmap fd @fd.  ENXIO if @fd is not registered. */
int pktmap_stats_get(int fd, struct pktmap_stats *st);

/*
 * What the memory region of a registered netmap fd has in use, counted
 * over every process sharing it: netmap_if objects, rings and buffers
 * (buf_used includes netmap's two reserved buffers).
 */
struct pktmap_pool_usage {
	uint32_t if_used, if_total;
	uint32_t ring_used, ring_total;
	uint32_t buf_used, buf_total;
};

/* Fills *u for the netmap fd @fd.  ENXIO if @fd is not registered. */
int pktmap_pool_usage_get(int fd, struct pktmap_pool_usage *u);

/* "pktmap X.Y.Z" */
const char *pktmap_version(void);

#ifdef __cplusplus
}
#endif
#endif /* PKTMAP_H */
