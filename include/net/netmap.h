/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * <net/netmap.h> -- the binary interface of netmap, API version 14, as
 * implemented in user space by pktmap.
 *
 * Everything here is a fact of netmap's ABI: sizes, offsets, constants and
 * ioctl numbers match the kernel module's header exactly, so that programs
 * built against either header work with either implementation.
 *
 * Shared memory holds, for each memory region:
 *   netmap_if   one per open file: ring counts and offsets of its rings
 *   netmap_ring one per ring: head/cur/tail and an array of slots
 *   buffers     fixed size, addressed by index from any ring of the region
 *
 * Ring ownership: the application owns slots [head, tail); the library owns
 * the rest.  A sync (ioctl or poll) moves tail and, on transmit, consumes
 * [hwcur, head).
 */
#ifndef _NET_NETMAP_H_
#define _NET_NETMAP_H_

#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/time.h>
#include <sys/types.h>

#define NETMAP_API     14 /* the version this header describes */
#define NETMAP_MIN_API 14 /* oldest version the device accepts */
#define NETMAP_MAX_API 15 /* newest version the device accepts */

#define NM_CACHE_ALIGN 128

/* ---- slots ------------------------------------------------------------ */

struct netmap_slot {
	uint32_t buf_idx; /* buffer index */
	uint16_t len;	  /* length of the packet in the buffer */
	uint16_t flags;	  /* NS_* */
	uint64_t ptr;	  /* user pointer (NS_INDIRECT) or offset */
};

#define NS_BUF_CHANGED 0x0001 /* buf_idx was changed by the application */
#define NS_REPORT      0x0002 /* ask for a notification on completion */
#define NS_FORWARD     0x0004 /* pass to the other side (NR_FORWARD) */
#define NS_NO_LEARN    0x0008 /* VALE: do not learn the source address */
#define NS_INDIRECT    0x0010 /* data is at ptr, not in the buffer */
#define NS_MOREFRAG    0x0020 /* the frame continues in the next slot */
#define NS_TXMON       0x0040 /* monitor: the frame was transmitted */

#define NS_PORT_SHIFT	 8
#define NS_PORT_MASK	 (0xff << NS_PORT_SHIFT)
#define NS_RFRAGS(_slot) (((_slot)->flags >> 8) & 0xff)

#define NETMAP_MAX_FRAGS 64 /* most slots in one NS_MOREFRAG chain */

/* ---- rings ------------------------------------------------------------ */

struct netmap_ring {
	const int64_t buf_ofs; /* buffers start at ring + buf_ofs */
	const uint32_t num_slots;
	const uint32_t nr_buf_size;
	const uint16_t ringid;
	const uint16_t dir; /* 0: tx, 1: rx */

	uint32_t head;	     /* first slot owned by the application */
	uint32_t cur;	     /* wake-up point */
	const uint32_t tail; /* first slot owned by the library */

	uint32_t flags; /* NR_TIMESTAMP, NR_FORWARD */

	struct timeval ts; /* time of the last sync (NR_TIMESTAMP) */

	const uint64_t offset_mask; /* NETMAP_REQ_OPT_OFFSETS */
	const uint64_t buf_align;

	uint8_t __attribute__((__aligned__(NM_CACHE_ALIGN))) sem[128];

	struct netmap_slot slot[0]; /* num_slots entries */
};

/* No slot for the application: everything up to tail has been consumed. */
static inline int nm_ring_empty(struct netmap_ring *ring)
{
	return ring->head == ring->tail;
}

#define NR_TIMESTAMP 0x0002 /* fill ts on every sync */
#define NR_FORWARD   0x0004 /* honour NS_FORWARD on host rings */

/* ---- interfaces --------------------------------------------------------- */

struct netmap_if {
	char ni_name[16]; /* IFNAMSIZ */
	const uint32_t ni_version;
	const uint32_t ni_flags; /* NI_PRIV_MEM */
	const uint32_t ni_tx_rings;
	const uint32_t ni_rx_rings;
	uint32_t ni_bufs_head; /* list of extra buffers, 0-terminated */
	const uint32_t ni_host_tx_rings;
	const uint32_t ni_host_rx_rings;
	uint32_t ni_spare1[3];
	/*
	 * Offsets of the rings from this structure: tx rings, host tx rings,
	 * rx rings, host rx rings.  0 for a ring the file did not bind.
	 */
	const ssize_t ring_ofs[0];
};

#define NI_PRIV_MEM 0x1 /* the region is private to this interface */

/* ---- register modes and flags (nmreq_register.nr_mode/nr_flags) --------- */

enum {
	NR_REG_DEFAULT = 0, /* legacy only: derived from nr_ringid */
	NR_REG_ALL_NIC = 1,
	NR_REG_SW = 2,
	NR_REG_NIC_SW = 3,
	NR_REG_ONE_NIC = 4,
	NR_REG_PIPE_MASTER = 5, /* legacy only */
	NR_REG_PIPE_SLAVE = 6,	/* legacy only */
	NR_REG_NULL = 7,
	NR_REG_ONE_SW = 8,
};
#define NR_REG_MASK 0xf

#define NR_MONITOR_TX	   0x100
#define NR_MONITOR_RX	   0x200
#define NR_ZCOPY_MON	   0x400
#define NR_EXCLUSIVE	   0x800
#define NR_PTNETMAP_HOST   0x1000
#define NR_RX_RINGS_ONLY   0x2000
#define NR_TX_RINGS_ONLY   0x4000
#define NR_ACCEPT_VNET_HDR 0x8000
#define NR_DO_RX_POLL	   0x10000
#define NR_NO_TX_POLL	   0x20000

/* legacy nr_ringid bits */
#define NETMAP_HW_RING	  0x4000
#define NETMAP_SW_RING	  0x2000
#define NETMAP_RING_MASK  0x0fff
#define NETMAP_NO_TX_POLL 0x1000
#define NETMAP_DO_RX_POLL 0x8000

/* ---- control requests (NIOCCTRL) --------------------------------------- */

#define NETMAP_REQ_IFNAMSIZ 64
#define NETMAP_REQ_MAXSIZE  4096

struct nmreq_header {
	uint16_t nr_version;  /* NETMAP_API */
	uint16_t nr_reqtype;  /* NETMAP_REQ_* */
	uint32_t nr_reserved; /* must be 0 */
	char nr_name[NETMAP_REQ_IFNAMSIZ];
	uint64_t nr_options; /* struct nmreq_option *, a list */
	uint64_t nr_body;    /* the request's body */
};

enum {
	NETMAP_REQ_REGISTER = 1,
	NETMAP_REQ_PORT_INFO_GET,
	NETMAP_REQ_VALE_ATTACH,
	NETMAP_REQ_VALE_DETACH,
	NETMAP_REQ_VALE_LIST,
	NETMAP_REQ_PORT_HDR_SET,
	NETMAP_REQ_PORT_HDR_GET,
	NETMAP_REQ_VALE_NEWIF,
	NETMAP_REQ_VALE_DELIF,
	NETMAP_REQ_VALE_POLLING_ENABLE,
	NETMAP_REQ_VALE_POLLING_DISABLE,
	NETMAP_REQ_POOLS_INFO_GET,
	NETMAP_REQ_SYNC_KLOOP_START,
	NETMAP_REQ_SYNC_KLOOP_STOP,
	NETMAP_REQ_CSB_ENABLE,
};

struct nmreq_option {
	uint64_t nro_next; /* struct nmreq_option * */
	uint32_t nro_reqtype;
	uint32_t nro_status; /* set by the device: 0 or an errno */
	uint64_t nro_size;   /* size of the whole option */
};

enum {
	NETMAP_REQ_OPT_EXTMEM = 1,
	NETMAP_REQ_OPT_SYNC_KLOOP_EVENTFDS,
	NETMAP_REQ_OPT_CSB,
	NETMAP_REQ_OPT_SYNC_KLOOP_MODE,
	NETMAP_REQ_OPT_OFFSETS,
	NETMAP_REQ_OPT_MAX,
};

struct nmreq_register {
	uint64_t nr_offset;  /* out: offset of the netmap_if in the region */
	uint64_t nr_memsize; /* out: size of the region */
	uint32_t nr_tx_slots;
	uint32_t nr_rx_slots;
	uint16_t nr_tx_rings;
	uint16_t nr_rx_rings;
	uint16_t nr_host_tx_rings;
	uint16_t nr_host_rx_rings;
	uint16_t nr_mem_id;
	uint16_t nr_ringid; /* ring index for the ONE_* modes */
	uint32_t nr_mode;   /* NR_REG_* */
	uint32_t nr_extra_bufs;
	uint64_t nr_flags; /* NR_MONITOR_*, NR_EXCLUSIVE, ... */
};

struct nmreq_port_info_get {
	uint64_t nr_memsize;
	uint32_t nr_tx_slots;
	uint32_t nr_rx_slots;
	uint16_t nr_tx_rings;
	uint16_t nr_rx_rings;
	uint16_t nr_host_tx_rings;
	uint16_t nr_host_rx_rings;
	uint16_t nr_mem_id;
	uint16_t pad[3];
};

#define NM_BDG_NAME "vale"

struct nmreq_vale_attach {
	struct nmreq_register reg;
	uint32_t port_index;
	uint32_t pad1;
};

struct nmreq_vale_detach {
	uint32_t port_index;
	uint32_t pad1;
};

struct nmreq_vale_list {
	uint16_t nr_bridge_idx;
	uint16_t pad1;
	uint32_t nr_port_idx;
};

struct nmreq_port_hdr {
	uint32_t nr_hdr_len;
	uint32_t pad1;
};

struct nmreq_vale_newif {
	uint32_t nr_tx_slots;
	uint32_t nr_rx_slots;
	uint16_t nr_tx_rings;
	uint16_t nr_rx_rings;
	uint16_t nr_mem_id;
	uint16_t pad1;
};

#define NETMAP_POLLING_MODE_SINGLE_CPU 1
#define NETMAP_POLLING_MODE_MULTI_CPU  2

struct nmreq_vale_polling {
	uint32_t nr_mode;
	uint32_t nr_first_cpu_id;
	uint32_t nr_num_polling_cpus;
	uint32_t pad1;
};

struct nmreq_pools_info {
	uint64_t nr_memsize;
	uint16_t nr_mem_id;
	uint16_t pad1[3];
	uint64_t nr_if_pool_offset;
	uint32_t nr_if_pool_objtotal;
	uint32_t nr_if_pool_objsize;
	uint64_t nr_ring_pool_offset;
	uint32_t nr_ring_pool_objtotal;
	uint32_t nr_ring_pool_objsize;
	uint64_t nr_buf_pool_offset;
	uint32_t nr_buf_pool_objtotal;
	uint32_t nr_buf_pool_objsize;
};

struct nmreq_sync_kloop_start {
	uint32_t sleep_us;
	uint32_t pad1;
};

/* Shared status blocks of the CSB option, one pair per ring. */
struct nm_csb_atok {
	uint32_t head;
	uint32_t cur;
	uint32_t appl_need_kick;
	uint32_t sync_flags;
	uint32_t pad[12];
};

struct nm_csb_ktoa {
	uint32_t hwcur;
	uint32_t hwtail;
	uint32_t kern_need_kick;
	uint32_t pad[13];
};

struct nmreq_opt_extmem {
	struct nmreq_option nro_opt;
	uint64_t nro_usrptr; /* the application's memory */
	struct nmreq_pools_info nro_info;
};

struct nmreq_opt_csb {
	struct nmreq_option nro_opt;
	uint64_t csb_atok; /* struct nm_csb_atok *, one per ring */
	uint64_t csb_ktoa; /* struct nm_csb_ktoa *, one per ring */
};

struct nmreq_opt_offsets {
	struct nmreq_option nro_opt;
	uint64_t nro_max_offset;
	uint64_t nro_initial_offset;
	uint32_t nro_offset_bits;
	uint32_t nro_tx_align;
	uint64_t nro_min_gap;
};

struct nmreq_opt_sync_kloop_eventfds {
	struct nmreq_option nro_opt;
	struct {
		int32_t ioeventfd;
		int32_t irqfd;
	} eventfds[0];
};

#define NM_OPT_SYNC_KLOOP_DIRECT_TX (1 << 0)
#define NM_OPT_SYNC_KLOOP_DIRECT_RX (1 << 1)

struct nmreq_opt_sync_kloop_mode {
	struct nmreq_option nro_opt;
	uint32_t mode;
};

/* ---- the legacy request (NIOCREGIF, NIOCGINFO) -------------------------- */

struct nmreq {
	char nr_name[16]; /* IFNAMSIZ */
	uint32_t nr_version;
	uint32_t nr_offset;
	uint32_t nr_memsize;
	uint32_t nr_tx_slots;
	uint32_t nr_rx_slots;
	uint16_t nr_tx_rings;
	uint16_t nr_rx_rings;
	uint16_t nr_ringid;
	uint16_t nr_cmd; /* NETMAP_BDG_* */
	uint16_t nr_arg1;
	uint16_t nr_arg2;  /* memory id */
	uint32_t nr_arg3;  /* extra buffers */
	uint32_t nr_flags; /* NR_REG_* | NR_* flags */
	uint32_t spare2[1];
};

#define NETMAP_BDG_ATTACH      1
#define NETMAP_BDG_DETACH      2
#define NETMAP_BDG_REGOPS      3
#define NETMAP_BDG_LIST	       4
#define NETMAP_BDG_VNET_HDR    5
#define NETMAP_BDG_NEWIF       6
#define NETMAP_BDG_DELIF       7
#define NETMAP_PT_HOST_CREATE  8
#define NETMAP_PT_HOST_DELETE  9
#define NETMAP_BDG_POLLING_ON  10
#define NETMAP_BDG_POLLING_OFF 11
#define NETMAP_VNET_HDR_GET    12
#define NETMAP_BDG_HOST	       1 /* nr_arg1 of ATTACH: also the host rings */

#define NM_IFRDATA_LEN 256
struct nm_ifreq {
	char nifr_name[16];
	char data[NM_IFRDATA_LEN];
};

/* ---- ioctl numbers ------------------------------------------------------ */

#define NIOCGINFO  _IOWR('i', 145, struct nmreq)
#define NIOCREGIF  _IOWR('i', 146, struct nmreq)
#define NIOCTXSYNC _IO('i', 148)
#define NIOCRXSYNC _IO('i', 149)
#define NIOCCONFIG _IOWR('i', 150, struct nm_ifreq)
#define NIOCCTRL   _IOWR('i', 151, struct nmreq_header)

#endif /* _NET_NETMAP_H_ */
