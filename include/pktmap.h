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

#include <stddef.h>
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

/*
 * What pktmap is doing on this machine, read from the bookkeeping that
 * processes using it share (the command `pktmap` prints it).  Reading
 * needs no other process and takes no lock: what is found is a snapshot,
 * each field checked; entries that do not make sense are left out and
 * counted in `invalid`.
 *
 * Flags: PKTMAP_STATUS_ALL_USERS, every user's state (root only, else
 * EPERM); without it, the caller's (its effective uid).
 * PKTMAP_STATUS_ALL_NETNS, every network namespace's; without it, the
 * caller's.  Processes are found through /proc: a holder in another
 * network namespace may not be named (pid 0).
 */
#define PKTMAP_STATUS_ALL_USERS 0x1u
#define PKTMAP_STATUS_ALL_NETNS 0x2u

#define PKTMAP_NAMSIZ	   64 /* names of ports, pipes, switches */
#define PKTMAP_STATUS_PIDS 8  /* processes listed per entry, at most */

struct pktmap_proc {
	int32_t pid; /* 0: unknown */
	uint32_t uid;
	char comm[16]; /* its command, as /proc/PID/comm; "" if gone */
};

/* Where an entry lives: a user's state in one network namespace. */
struct pktmap_place {
	uint32_t uid;
	uint64_t netns; /* inode of the namespace (/proc/self/ns/net) */
};

/* A memory region (a shared memory id) and what it has in use. */
struct pktmap_status_region {
	struct pktmap_place at;
	uint16_t mem_id;
	uint64_t size; /* bytes of the netmap area (nr_memsize) */
	uint32_t if_used, if_total, ring_used, ring_total;
	uint32_t buf_used, buf_total, buf_size;
	uint32_t persistent; /* persistent ports keeping it */
	uint32_t nusers;     /* processes mapping it (all, even past users[]) */
	struct pktmap_proc users[PKTMAP_STATUS_PIDS];
};

/* An interface detached from the Linux stack, and who detached it. */
struct pktmap_status_detached {
	struct pktmap_place at; /* uid: the holder's */
	int32_t ifindex;
	char ifname[16]; /* "" if it is not in the caller's namespace */
	struct pktmap_proc holder;
};

struct pktmap_status_switch {
	struct pktmap_place at;
	char name[PKTMAP_NAMSIZ]; /* "valeX" */
	uint16_t mem_id;
	uint32_t nports;
};

/* A port of a switch. */
struct pktmap_status_port {
	struct pktmap_place at;
	char name[PKTMAP_NAMSIZ];   /* "valeX:Y" */
	char swname[PKTMAP_NAMSIZ]; /* "valeX" */
	uint32_t nrings, nslots;
	uint32_t persistent;	   /* made by NEWIF (vale-ctl -n) */
	struct pktmap_proc agent;  /* attached interface: its forwarder */
	struct pktmap_proc holder; /* the process that owns its rx rings */
	uint64_t rx_drops;	   /* frames its rx rings had no room for */
	uint32_t stalled;	   /* rx rings marked stalled */
};

/* A persistent port (NEWIF), on a switch or not. */
struct pktmap_status_newif {
	struct pktmap_place at;
	char name[PKTMAP_NAMSIZ];
	uint32_t nrings, nslots;
	char swname[PKTMAP_NAMSIZ]; /* "" when not attached */
};

struct pktmap_status_pipe {
	struct pktmap_place at;
	uint16_t mem_id;
	char name[PKTMAP_NAMSIZ]; /* "parent{id" */
	uint32_t ends;		  /* registered: 1 master, 2 slave */
	uint32_t nrings, nslots;
};

struct pktmap_status_monitor {
	struct pktmap_place at;
	uint16_t mem_id;
	char port[PKTMAP_NAMSIZ]; /* the port monitored */
	uint32_t rx, tx, zcopy;	  /* what it sees: 1 or 0 */
	uint32_t nrings;
	uint64_t drops;
};

struct pktmap_status {
	size_t nregions, ndetached, nswitches, nports, nnewifs, npipes,
	    nmonitors;
	struct pktmap_status_region *regions;
	struct pktmap_status_detached *detached;
	struct pktmap_status_switch *switches;
	struct pktmap_status_port *ports;
	struct pktmap_status_newif *newifs;
	struct pktmap_status_pipe *pipes;
	struct pktmap_status_monitor *monitors;
	uint32_t invalid; /* entries left out: not what pktmap writes */
};

/* Reads the state into *st (free it with pktmap_status_free). */
int pktmap_status_get(unsigned int flags, struct pktmap_status **st);
void pktmap_status_free(struct pktmap_status *st);

/* "pktmap X.Y.Z" */
const char *pktmap_version(void);

#ifdef __cplusplus
}
#endif
#endif /* PKTMAP_H */
