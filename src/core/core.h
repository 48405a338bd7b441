/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pktmap's core: memory regions, ports and their rings, files, the sync
 * prologue/epilogue and the poll engine.  Everything generic about netmap's
 * ring contract lives here once; adapters only move frames.
 *
 * Internal functions return 0 or a negative errno.
 *
 * The datapath's trust boundary: pktmap trusts its own per-process state
 * (struct pm_region's geometry, a kring's nslots, buf_total, buf_size and
 * bufs, the library's pointers hwcur/hwtail) and nothing else.  A ring's
 * fields and slots, a peer's ring and the bookkeeping shared in a region
 * (offsets, counts, a peer's counters) may be written by any application
 * using them: each is read once into a local, checked against the trusted
 * geometry, and only then used.  No buffer address is ever taken from
 * shared memory: buffers are found from the kring's own base.
 */
#ifndef PKTMAP_CORE_H
#define PKTMAP_CORE_H

#include <net/netmap.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define PM_PUBLIC   __attribute__((visibility("default")))
#define likely(x)   __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

/* ---- debug log (PKTMAP_DEBUG=1) ---------------------------------------- */

extern int pm_debug;
void pm_log_print(const char *func, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
#define pm_log(...)                                                            \
	do {                                                                   \
		if (unlikely(pm_debug))                                        \
			pm_log_print(__func__, __VA_ARGS__);                   \
	} while (0)

/* ---- memory regions ------------------------------------------------------ */

/*
 * Pool geometry: netmap's object and buffer sizes; enough interfaces and
 * rings for a VALE switch of 254 ports (pages are backed only when used).
 */
#define PM_IF_OBJSIZE	 1024
#define PM_IF_TOTAL	 300
#define PM_RING_OBJSIZE	 36864 /* a ring of up to 2288 slots */
#define PM_RING_TOTAL	 600
#define PM_BUF_SIZE	 2048
#define PM_BUF_TOTAL	 524288
#define PM_REGION_META	 (4 * 1024 * 1024) /* bookkeeping, then netmap's */
#define PM_GLOBAL_MEM_ID 1
#define PM_REGION_MAGIC	 0x706b6d7072656734ull /* "pkmpreg4" */

/*
 * One direction of one ring pair of a pipe: a tx ring whose slots move to
 * an rx ring.  One producer, one consumer, maybe in two processes.
 */
struct pm_pipe_dir {
	uint64_t tx_ofs, rx_ofs; /* the two rings, in the netmap area */
	_Atomic uint32_t prod;	 /* sent: the tx hwcur, the rx hwtail */
	_Atomic uint32_t cons;	 /* released by the receiver: its hwcur */
	_Atomic uint32_t rx_wants_kick, tx_wants_kick; /* about to sleep */
} __attribute__((aligned(64)));

#define PM_MAX_PIPES	  32
#define PM_PIPE_MAX_RINGS 4

/*
 * A port's last registration, in shared memory: what a process that gets
 * the descriptor by SCM_RIGHTS binds.
 */
struct pm_shared_reg {
	uint32_t mode, ringid;
	uint64_t flags;
	uint64_t nifp_ofs; /* the sender's netmap_if, shared with it */
};

struct pm_pipe_meta {
	char name[NETMAP_REQ_IFNAMSIZ]; /* "parent{id" */
	uint32_t ends;			/* ends registered: 1 master, 2 slave */
	struct pm_shared_reg reg[2];	/* per end, for a descriptor passed */
	uint32_t nrings, nslots;
	uint32_t owner; /* of its buffers (pm_region_new_owner) */
	struct pm_pipe_dir dir[PM_PIPE_MAX_RINGS][2]; /* [ring][from end] */
};

/*
 * VALE: each switch has a region of its own whose bookkeeping holds its
 * ports and its forwarding table; the switches themselves are listed in
 * memory id 1's bookkeeping.
 */
#define PM_VALE_SWITCHES  8
#define PM_VALE_PORTS	  254
#define PM_VALE_MAX_RINGS 16
#define PM_VALE_FDB	  1024

/* An rx ring that other processes fill (src/core/shrx.c). */
struct pm_shrx {
	/*
	 * robust, process-shared: writers.  Made once and never zeroed: a
	 * writer that gave up waiting for a removal may still hold it.
	 */
	pthread_mutex_t lock;
	uint32_t lock_made;	     /* PM_SHRX_LOCK_MADE once it is */
	_Atomic uint32_t hwtail;     /* filled up to here (by writers) */
	_Atomic uint32_t hwcur;	     /* released up to here (by the owner) */
	_Atomic uint32_t wants_kick; /* the owner is about to sleep */
	_Atomic uint32_t stalled;    /* a writer timed out on the lock */
	uint32_t nslots;
	_Atomic uint64_t drops; /* frames that found the ring full */
	uint64_t ring_ofs;	/* the netmap ring, in the netmap area */
	char owner[64];		/* the owner's socket, in the user's dir */
} __attribute__((aligned(64)));

struct pm_vale_port {
	/* odd while the port is in use; each removal makes it even */
	_Atomic uint32_t seq;
	char name[NETMAP_REQ_IFNAMSIZ]; /* "valeX:Y"; empty: free */
	struct pm_shared_reg reg;	/* for a descriptor passed along */
	uint32_t persistent;		/* made by NEWIF: outlives its users */
	int32_t agent;			/* pid forwarding an attached NIC */
	uint32_t nrings, nslots;
	uint32_t owner; /* of its buffers */
	uint64_t tx_ofs[PM_VALE_MAX_RINGS];
	struct pm_shrx rx[PM_VALE_MAX_RINGS];
};

struct pm_vale_fdb_entry {
	/* MAC << 16 | the port's seq, low byte << 8 | port + 1; 0: empty */
	_Atomic uint64_t mac_port;
};

struct pm_vale_switch {
	char name[NETMAP_REQ_IFNAMSIZ]; /* "valeX"; empty: free */
	uint32_t nports;
};

/* A port made by NEWIF: lives until DELIF, attached to a switch or not. */
struct pm_vale_newif {
	char name[NETMAP_REQ_IFNAMSIZ]; /* empty: free */
	uint32_t nrings, nslots;
	int32_t sw; /* the switch it is attached to, or -1 */
	/*
	 * A second switch, as netmap's bridge wrapper: its port of that name
	 * is an agent's, forwarding between it and this one.  Its slot + 1;
	 * 0: none.
	 */
	uint32_t also_sw;
};
#define PM_VALE_NEWIFS 16

struct pm_vale_meta {
	/* the ports in use, as bits: a flood reads this, not every port */
	_Atomic uint64_t active[(PM_VALE_PORTS + 63) / 64];
	struct pm_vale_switch switches[PM_VALE_SWITCHES]; /* in mem id 1 */
	struct pm_vale_newif newifs[PM_VALE_NEWIFS];	  /* in mem id 1 */
	struct pm_vale_port ports[PM_VALE_PORTS];	  /* in a switch's */
	struct pm_vale_fdb_entry fdb[PM_VALE_FDB];
};

/* A monitor of a port of this region: its rx rings, fed by the port's syncs. */
#define PM_MONITORS	 8
#define PM_MON_MAX_RINGS 8

struct pm_monitor {
	/* odd while the monitor is in use; each removal makes it even */
	_Atomic uint32_t seq;
	char port[NETMAP_REQ_IFNAMSIZ]; /* the monitored port; empty: free */
	uint32_t flags;			/* NR_MONITOR_RX, _TX, NR_ZCOPY_MON */
	uint32_t nrings;
	uint32_t owner;	 /* of its buffers */
	uint64_t tx_ofs; /* its tx ring, which sends nothing; 0: none */
	uint32_t tx_nslots;
	struct pm_shared_reg reg;	     /* for a descriptor passed along */
	struct pm_shrx rx[PM_MON_MAX_RINGS]; /* ring i watches rings i */
};

/* The shared bookkeeping at the start of a region's object. */
struct pm_region_meta {
	uint64_t magic;
	_Atomic uint32_t keep; /* persistent things in it: outlives its users */
	uint64_t netns;	       /* the namespace's cookie: names are reused */
	uint16_t mem_id;
	pthread_mutex_t lock; /* robust, process-shared: the allocators */
	uint32_t buf_hint;    /* where the next buffer search starts */
	uint8_t if_used[PM_IF_TOTAL]; /* files using each interface */
	uint8_t ring_used[PM_RING_TOTAL];
	uint64_t buf_used[PM_BUF_TOTAL / 64]; /* bitmap */
	struct pm_pipe_meta pipes[PM_MAX_PIPES];
	struct pm_vale_meta vale;
	_Atomic uint32_t nmonitors; /* the syncs' fast path: 0, no monitor */
	struct pm_monitor monitors[PM_MONITORS];
	uint32_t owner_seq;		  /* the last owner given */
	uint32_t buf_owner[PM_BUF_TOTAL]; /* who allocated each used buffer */
};
_Static_assert(sizeof(struct pm_region_meta) <= PM_REGION_META,
	       "region bookkeeping outgrew its pages");

/*
 * A region as this process sees it: its shared object mapped once, the
 * netmap area (what applications map) after the bookkeeping.
 */
struct pm_region {
	uint16_t mem_id;
	char name[64]; /* of its object in the user's directory */
	int fd;
	struct pm_region_meta *meta;
	void *base;  /* the netmap area */
	size_t size; /* nr_memsize */
	int refs;    /* ports of this process using it */

	uint32_t if_objsize, if_total;
	uint32_t ring_objsize, ring_total;
	uint32_t buf_size, buf_total;
	size_t if_ofs, ring_ofs, buf_ofs; /* pool offsets from base */
	struct pm_region *next;
};

/* "/dev/shm/pktmap-EUID[/LEAF]": this user's directory, 0700, or in it. */
int pm_user_path(char *buf, size_t len, const char *leaf);
/* The region and the WHAT of a socket path DIR/NETNS.memID.WHAT of ours. */
int pm_region_of_socket(const char *path, uint16_t *mem_id, const char **what);
int pm_region_get(uint16_t mem_id, struct pm_region **out);
/* Bytes of a region's object: its bookkeeping, then the netmap area. */
size_t pm_region_object_size(void);
void pm_region_put(struct pm_region *r);
void pm_region_lock(struct pm_region *r);
void pm_region_unlock(struct pm_region *r);
void *pm_region_alloc_if(struct pm_region *r);
void pm_region_free_if(struct pm_region *r, void *nifp);
struct netmap_ring *pm_region_alloc_ring(struct pm_region *r);
void pm_region_free_ring(struct pm_region *r, struct netmap_ring *ring);
/*
 * Buffers belong to an owner (a port or a shared entry), which frees only
 * its own: a forged buf_idx frees nothing.  A new owner's number, unique
 * in the region.
 */
uint32_t pm_region_new_owner(struct pm_region *r);
int pm_region_alloc_bufs(struct pm_region *r, struct netmap_slot *slots,
			 uint32_t n, uint32_t owner);
void pm_region_free_bufs(struct pm_region *r, const struct netmap_slot *slots,
			 uint32_t n, uint32_t owner);
/* @n buffers in a row, the first page-aligned (an AF_XDP UMEM). */
int pm_region_alloc_range(struct pm_region *r, uint32_t n, uint32_t owner,
			  uint32_t *first);
void pm_region_disown(struct pm_region *r, uint32_t owner);
int pm_region_mend_ring(struct pm_region *r, struct netmap_ring *ring,
			uint32_t nslots, uint32_t owner);
void pm_region_info(const struct pm_region *r, struct nmreq_pools_info *pi);

static inline size_t pm_region_offset(const struct pm_region *r, const void *p)
{
	return (size_t)((const char *)p - (const char *)r->base);
}

/* ---- ports and rings ------------------------------------------------------
 */

enum pm_dir { PM_TX = 0, PM_RX = 1 };

struct pm_port;

/*
 * A kring is the library's side of one ring: the pointers the application
 * cannot touch (hwcur, hwtail; rhead, rcur, rtail: the values seen at the
 * last sync), its readiness descriptor and its counters.
 */
struct pm_kring {
	struct netmap_ring *ring; /* in shared memory, written by the app */
	struct pm_port *port;
	enum pm_dir dir;
	uint32_t id; /* index in the port's rings[dir] */
	bool host;   /* a host ring: the stack's side of the interface */
	uint32_t nslots;
	uint32_t buf_total; /* buf_idx must be below this */
	uint32_t buf_size;
	char *bufs; /* the region's buffer pool, as this process maps it */
	bool scatter_bad; /* pm_scatter met a slot naming no buffer */

	uint32_t hwcur;	 /* tx: first slot not yet sent; rx: first owned */
	uint32_t hwtail; /* first slot the library owns (what tail shows) */
	uint32_t rhead, rcur, rtail;
	uint32_t mon_sent; /* tx: tx monitors have seen up to here */

	atomic_flag busy; /* one sync at a time on this ring */
	int users;	  /* files bound to this ring */
	bool exclusive;

	int wait_fd; /* what poll waits on for this ring */
	short wait_events;

	/* counters, written only by the ring's sync */
	uint64_t packets, bytes, truncated, errors, busy_syncs;
	void *priv; /* the adapter's */
} __attribute__((aligned(64)));

struct pm_bind_req;

struct pm_adapter_ops {
	const char *name;
	/*
	 * The port's ring counts and slots (what the request asks, within
	 * the adapter's limits) and its memory region (p->mem, referenced).
	 */
	int (*configure)(struct pm_port *p, const struct pm_bind_req *req);
	/* The adapter provides the netmap rings itself, in attach. */
	bool own_rings;
	/* Undoes configure for a port that is not attached (optional). */
	void (*release)(struct pm_port *p);
	/*
	 * Creates the adapter state and fills each kring's wait_fd; on
	 * failure undoes only its own work.  detach undoes attach and
	 * configure.
	 */
	int (*attach)(struct pm_port *p);
	void (*detach)(struct pm_port *p);
	/*
	 * Sends slots [hwcur, end) of a tx ring (all validated, whole frames),
	 * moves hwcur past what was taken and hwtail to the last slot the
	 * application may fill.  Returns 0, or -ENXIO if the port is gone.
	 */
	int (*txsync)(struct pm_kring *k, uint32_t end);
	/* Fills free slots [hwtail, hwcur - 1) of an rx ring, moves hwtail. */
	int (*rxsync)(struct pm_kring *k);
	/* Frames a ring dropped since it was created (optional: none). */
	uint64_t (*drops)(struct pm_kring *k);
	/* After poll saw an error on a ring's fd: 0 if the port still works
	 * (optional: it always does). */
	int (*check)(struct pm_port *p);
	/*
	 * For rings fed by other processes: before poll sleeps on wait_fd,
	 * ask the peer for a wake-up; true if work arrived meanwhile.  After
	 * the sleep, withdraw the request (and drain wait_fd if @woke).
	 */
	bool (*arm)(struct pm_kring *k);
	void (*disarm)(struct pm_kring *k, bool woke);
	/*
	 * Ports in shared memory can be passed to other processes: their
	 * netmap descriptor is their wake-up socket (socket), whose name
	 * tells a receiving process the port (adopt: @what is the name's
	 * part after the region's) and its registration.
	 */
	int (*socket)(struct pm_port *p);
	struct pm_shared_reg *(*shared_reg)(struct pm_port *p);
	int (*adopt)(struct pm_region *r, const char *what, char *name,
		     size_t len, struct pm_shared_reg *reg);
};

extern const struct pm_adapter_ops pm_afpacket_ops;
extern const struct pm_adapter_ops pm_pipe_ops;
extern const struct pm_adapter_ops pm_vale_ops;
extern const struct pm_adapter_ops pm_monitor_ops;
extern const struct pm_adapter_ops pm_afxdp_ops;
/* The adapter of interface ports, as PKTMAP_BACKEND asks (afxdp.c). */
const struct pm_adapter_ops *pm_iface_ops(void);

#define PM_MAX_RINGS 64
#define PM_MIN_SLOTS 8
#define PM_MAX_SLOTS 2048

/*
 * The ring object at @ofs (read from shared memory) of @r's ring pool, if
 * it is one and holds @nslots slots within netmap's limits; else NULL.
 * The pool's object size is a constant: no division at run time.
 */
static inline struct netmap_ring *
pm_region_ring_at(const struct pm_region *r, uint64_t ofs, uint32_t nslots)
{
	uint64_t rel = ofs - r->ring_ofs; /* wraps below the pool: too big */

	if (rel >= (uint64_t)PM_RING_OBJSIZE * r->ring_total ||
	    rel % PM_RING_OBJSIZE || nslots < PM_MIN_SLOTS ||
	    nslots > PM_MAX_SLOTS ||
	    sizeof(struct netmap_ring) + nslots * sizeof(struct netmap_slot) >
		PM_RING_OBJSIZE)
		return NULL;
	return (struct netmap_ring *)((char *)r->base + ofs);
}

uint32_t pm_default_slots(void);
/* @asked, or @dflt when 0, within [lo, hi]. */
uint32_t pm_count(uint32_t asked, uint32_t dflt, uint32_t lo, uint32_t hi);
bool pm_valid_ifname(const char *name);

struct pm_port {
	char name[NETMAP_REQ_IFNAMSIZ];
	const struct pm_adapter_ops *ops;
	struct pm_region *mem;
	uint32_t nrings[2]; /* [PM_TX], [PM_RX]: NIC rings */
	uint32_t nhost[2];  /* host rings, after the NIC rings in rings[] */
	uint32_t nslots[2];
	struct pm_kring *rings[2];
	int host_err;	  /* 0: host rings work; else why they do not */
	int users;	  /* files registered */
	atomic_bool dead; /* the interface went away */
	void *priv;	  /* the adapter's */
	int adopt_fd;	  /* at attach: the received socket, else -1 */
	size_t held;	  /* our hold on its rings (pm_holders_*), or 0 */
	uint32_t owner;	  /* of its buffers: its own, or its shared entry's */
	struct pm_port *next;
};

/* What a register request asks for, after parsing. */
struct pm_bind_req {
	const char *name;
	uint32_t mode; /* NR_REG_* */
	uint32_t ringid;
	uint64_t flags; /* NR_* */
	uint32_t nrings[2];
	uint32_t nhost[2];
	uint32_t nslots[2];
	uint32_t extra_bufs;
	bool adopt; /* a received descriptor: adopt_fd, the port's socket */
	int adopt_fd;
};

/* VALE's control requests (src/adapters/vale.c); 0 or -errno. */
int pm_vale_newif(const char *name, const struct nmreq_vale_newif *req);
int pm_vale_delif(const char *name);
int pm_vale_attach(const char *name, struct nmreq_vale_attach *req);
int pm_vale_detach(const char *name, struct nmreq_vale_detach *req);
int pm_vale_list(char *name, struct nmreq_vale_list *req);
/*
 * Pipes of a VALE port valeX:Y live in switch X's region.  get gives that
 * region (the switch made if new) and the registry, both referenced, and
 * counts the caller as one holder of the switch; hold adds @delta holders
 * (a pipe that lives in @mem is one, so that the switch outlives the
 * process that made it); the last one out frees the switch's slot.
 */
int pm_vale_switch_get(const char *port, struct pm_region **registry,
		       struct pm_region **mem);
void pm_vale_switch_hold(struct pm_region *registry,
			 const struct pm_region *mem, int delta);
/* "valeX:Y" for a NEWIF port Y attached to switch X; false otherwise. */
bool pm_vale_newif_port(const char *name, char *out, size_t len);

/* Sets up a kring on @ring with the library's pointers at hwcur/hwtail. */
void pm_kring_init(struct pm_kring *k, struct pm_port *p, enum pm_dir dir,
		   uint32_t id, struct netmap_ring *ring, uint32_t hwcur,
		   uint32_t hwtail);
/* A ring of the region with a buffer in each slot; NULL if full. */
struct netmap_ring *pm_ring_new(struct pm_region *r, uint32_t nslots,
				uint32_t owner);
void pm_ring_delete(struct pm_region *r, struct netmap_ring *ring,
		    uint32_t nslots, uint32_t owner);

/* ---- files --------------------------------------------------------------- */

/*
 * One open("/dev/netmap"): shared by the descriptors dup()ed from it and
 * inherited across fork.  refs counts the descriptors naming it in this
 * process and the calls using it (pm_fd_get): a close while another thread
 * syncs or polls leaves the file to that call, which puts it last.  Files
 * are never returned to malloc (see pm_file_tryget).
 */
struct pm_file {
	int refs; /* first: pm_file_new leaves it to the last store */
	struct pm_port *port;
	struct netmap_if *nifp;
	uint32_t first[2], last[2]; /* bound rings: [first, last) */
	uint64_t flags;		    /* nr_flags at register */
	uint32_t extra_bufs;	    /* granted: the ni_bufs_head list */
	uint32_t *extra;	    /* their indexes, sorted: what we free */
	atomic_bool error;	    /* a ring was reinitialised: POLLERR */
	pthread_mutex_t lock;	    /* one register at a time */
	struct pm_file_id {
		uint64_t dev, ino;
	} id[2]; /* a descriptor naming it: its memfd, or the port's socket */
	struct pm_file *next_free;
};

struct pm_file *pm_file_new(void);
/* One more reference, unless @f is already on its way out (refs 0). */
bool pm_file_tryget(struct pm_file *f);
void pm_file_put(struct pm_file *f);
/* Records that @fd names @f (its inode), as a memfd or the port's socket. */
void pm_file_identify(struct pm_file *f, int fd);
/* Does @fd still name @f?  A number closed behind the C library's back and
 * reused by another file does not. */
bool pm_file_named_by(const struct pm_file *f, int fd);
int pm_file_register(struct pm_file *f, const struct pm_bind_req *req);
/* The socket to put in the file's descriptor, or -1 (see ops->socket). */
int pm_file_socket(struct pm_file *f);
/* A file for a descriptor another process registered, or NULL. */
struct pm_file *pm_file_adopt(int fd);
int pm_port_info(const char *name, struct nmreq_port_info_get *info);

/*
 * Holders of a shared object of a region, across processes: each process
 * holding it has a read lock on the object's byte (@ofs, in the region's
 * file) through an open file of its own, so the kernel forgets a holder
 * that exits or execs, and a forked child holds what it inherited (see
 * pm_fork_*).  leave says whether this process was the last: then it
 * frees the object.  orphaned says whether no process holds it (its
 * holders died, or exec'd, without closing): with the region locked, and
 * if holders join under the region's lock when they allocate, the caller
 * may then reclaim it.
 */
int pm_holders_join(struct pm_region *r, size_t ofs);
bool pm_holders_leave(struct pm_region *r, size_t ofs);
bool pm_holders_orphaned(struct pm_region *r, size_t ofs);

/* fork: the shim's pthread_atfork handlers. */
void pm_fork_prepare(void);
void pm_fork_parent(void);
void pm_fork_child(void);

/* ---- the descriptor table ------------------------------------------------ */

struct pm_file *pm_fd_lookup(int fd);
/* The file @fd names, referenced (put it when done); NULL if none. */
struct pm_file *pm_fd_get(int fd);
int pm_fd_install(int fd, struct pm_file *f);
struct pm_file *pm_fd_remove(int fd);
/* Removes @fd's entry if it is still @f; true if it did. */
bool pm_fd_remove_if(int fd, struct pm_file *f);
/* Calls @fn for each entry in [lo, hi]; @fn may remove it. */
void pm_fd_each(unsigned lo, unsigned hi,
		void (*fn)(int fd, struct pm_file *f, void *arg), void *arg);

/* ---- syncs and poll ------------------------------------------------------ */

/* ---- shared rx rings ------------------------------------------------------
 */

struct pm_piece;
/* Sets up @x for @ring; its lock is kept if it was made before. */
void pm_shrx_init(struct pm_shrx *x, struct pm_region *r,
		  struct netmap_ring *ring, uint32_t nslots, const char *owner);
/*
 * Wake-up sockets: @owner names one in the user's directory.  claim binds
 * it (-EBUSY if a live process has it; a dead one's is replaced), held
 * tells if a live process has it, release removes it unless one does.
 * Callers serialise them per region (the region's lock).
 */
int pm_shrx_claim(const char *owner);
bool pm_shrx_held(const char *owner);
void pm_shrx_release(const char *owner);
/*
 * A writer holds the ring for a run of frames: begin takes it, add copies
 * a frame in (@flags added to its slots) and swap moves in the buffers of
 * @n slots of @k from @i, both false when the frame was dropped; end
 * publishes the run and wakes the owner once.
 *
 * The ring is the owner's: its slots and everything in struct pm_shrx are
 * checked against this process's geometry before use.  begin waits at
 * most PM_SHRX_WAIT_MS for a writer holding the lock (one stopped by
 * SIGSTOP, say), then marks the ring stalled, so later runs only try it,
 * until one takes it again.  A run that did not get the ring, or found it
 * broken, counts each frame in the ring's drops; after pm_shrx_forget
 * (the ring's port went away) frames are dropped without a count.
 */
#define PM_SHRX_WAIT_MS 100
struct pm_shrx_writer {
	struct pm_shrx *x;   /* NULL: forgotten */
	struct pm_kring dst; /* the ring's geometry, checked */
	uint32_t tail, room;
	bool taken; /* the lock is held and the geometry is good */
	bool added;
};
bool pm_shrx_begin(struct pm_shrx_writer *w, struct pm_region *r,
		   struct pm_shrx *x);
void pm_shrx_forget(struct pm_shrx_writer *w);
bool pm_shrx_add(struct pm_shrx_writer *w, const struct pm_piece *pc, int np,
		 uint32_t len, uint16_t flags);
bool pm_shrx_swap(struct pm_shrx_writer *w, struct pm_kring *k, uint32_t i,
		  uint32_t n);
void pm_shrx_end(struct pm_shrx_writer *w);
/*
 * Retires an entry (a VALE port, a monitor) whose @n rx rings writers may
 * hold: its @seq turns even, so a writer that takes a ring later goes
 * away, and each ring's lock is taken and dropped, so one in the middle
 * of a run is done.  Then its rings may be freed.
 */
void pm_shrx_retire(_Atomic uint32_t *seq, struct pm_shrx *rx, uint32_t n);
/* The owner's side, for a kring whose priv is the pm_shrx. */
int pm_shrx_rxsync(struct pm_kring *k);
bool pm_shrx_arm(struct pm_kring *k);
void pm_shrx_disarm(struct pm_kring *k, bool woke);
uint64_t pm_shrx_drops(struct pm_kring *k);

/* A frame in pieces (a VLAN tag put back, a header before data...). */
struct pm_piece {
	const uint8_t *p;
	uint32_t len;
};

/*
 * Copies a frame into rx slots from @i on, NS_MOREFRAG on all but the last,
 * at most @max slots.  Returns the slots used.  A slot naming no buffer of
 * the pool gets nothing (len 0) and sets k->scatter_bad.
 */
uint32_t pm_scatter(struct pm_kring *k, uint32_t i, const struct pm_piece *pc,
		    int np, uint32_t max);

/*
 * Monitors (src/adapters/monitor.c): frames [from, to) of @k were received
 * (rx), released (rx, for zero-copy monitors) or sent (tx).
 */
enum pm_mon_event { PM_MON_ARRIVED, PM_MON_RELEASED, PM_MON_SENT };
void pm_monitor_frames(struct pm_kring *k, uint32_t from, uint32_t to,
		       enum pm_mon_event ev);
static inline bool pm_monitored(const struct pm_kring *k)
{
	return atomic_load_explicit(&k->port->mem->meta->nmonitors,
				    memory_order_relaxed) != 0;
}
/* Is @name a port registered by this process? (ports lock held) */
bool pm_port_here(const char *name);

int pm_txsync(struct pm_kring *k);
int pm_rxsync(struct pm_kring *k);
int pm_file_sync(struct pm_file *f, enum pm_dir dir);
int pm_poll(struct pollfd *fds, nfds_t n, const struct timespec *timeout,
	    const sigset_t *sigmask);

/* NIC and host rings of one direction. */
static inline uint32_t pm_port_krings(const struct pm_port *p, enum pm_dir d)
{
	return p->nrings[d] + p->nhost[d];
}

static inline uint32_t pm_next(const struct pm_kring *k, uint32_t i)
{
	return i + 1 == k->nslots ? 0 : i + 1;
}

static inline uint32_t pm_prev(const struct pm_kring *k, uint32_t i)
{
	return i == 0 ? k->nslots - 1 : i - 1;
}

static inline bool pm_in_window(uint32_t x, uint32_t lo, uint32_t hi)
{
	return lo <= hi ? x >= lo && x <= hi : x >= lo || x <= hi;
}

/* A buffer index an application may hand the library: 0 and 1 are not. */
static inline bool pm_buf_ok(const struct pm_kring *k, uint32_t idx)
{
	return idx >= 2 && idx < k->buf_total;
}

/* Buffer @idx, already checked: from the pool's base, never the ring's. */
static inline char *pm_buf(const struct pm_kring *k, uint32_t idx)
{
	return k->bufs + (size_t)idx * k->buf_size;
}

/* A slot's buffer; an index past the pool gives buffer 0, as netmap's. */
static inline char *pm_slot_buf(const struct pm_kring *k,
				const struct netmap_slot *s)
{
	uint32_t idx = *(const volatile uint32_t *)&s->buf_idx;

	return pm_buf(k, idx < k->buf_total ? idx : 0);
}

/* A slot as read once from shared memory: what is checked is what is used. */
struct pm_slot_copy {
	uint32_t idx;
	uint16_t len, flags;
};

static inline struct pm_slot_copy pm_slot_read(const struct netmap_slot *s)
{
	const volatile struct netmap_slot *v = s;

	return (struct pm_slot_copy){v->buf_idx, v->len, v->flags};
}

static inline bool pm_slot_ok(const struct pm_kring *k, struct pm_slot_copy s)
{
	return pm_buf_ok(k, s.idx) && s.len <= k->buf_size;
}

/* A frame of slots as the datapath sends it. */
struct pm_frame {
	struct pm_piece pc[NETMAP_MAX_FRAGS];
	int np;
	uint32_t len;
};

/*
 * Reads the frame at slot *i, each slot once, into @f and moves *i past
 * it.  The frame ends at a slot without NS_MOREFRAG, at @end, or after
 * NETMAP_MAX_FRAGS slots, whatever another thread writes meanwhile.  False
 * if one of its slots is bad: the frame is skipped.
 */
static inline bool pm_read_frame(const struct pm_kring *k, uint32_t *i,
				 uint32_t end, struct pm_frame *f)
{
	struct pm_slot_copy s;
	bool ok = true;
	int n = 0;

	f->np = 0;
	f->len = 0;
	do {
		s = pm_slot_read(&k->ring->slot[*i]);
		*i = pm_next(k, *i);
		if (likely(pm_slot_ok(k, s))) {
			f->pc[f->np++] = (struct pm_piece){
			    (const uint8_t *)pm_buf(k, s.idx), s.len};
			f->len += s.len;
		} else {
			ok = false;
		}
	} while ((s.flags & NS_MOREFRAG) && *i != end &&
		 ++n < NETMAP_MAX_FRAGS);
	return ok;
}

/* ---- the real libc entry points (the shim's) ---------------------------- */

struct pm_libc {
	int (*close)(int);
	int (*fcntl)(int, int, ...);
	int (*ioctl)(int, unsigned long, ...);
	int (*ppoll)(struct pollfd *, nfds_t, const struct timespec *,
		     const sigset_t *);
};
extern struct pm_libc pm_libc;

#endif /* PKTMAP_CORE_H */
