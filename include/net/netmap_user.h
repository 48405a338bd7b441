/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * <net/netmap_user.h> -- netmap's user-space helpers, API version 14.
 *
 * From a registration (nr_offset) and the mapped region (mem):
 *   nifp = NETMAP_IF(mem, nr_offset);
 *   ring = NETMAP_TXRING(nifp, i) or NETMAP_RXRING(nifp, i);
 *   buf  = NETMAP_BUF(ring, ring->slot[j].buf_idx);
 * Ring indexes only move forward: j = nm_ring_next(ring, j).
 *
 * With NETMAP_WITH_LIBS defined before inclusion, the classic pcap-like
 * library follows: nm_open, nm_close, nm_mmap, nm_inject, nm_dispatch,
 * nm_nextpkt.  Everything is static inline: a program using this header
 * needs only open/ioctl/mmap/munmap/poll/close from the system, so it
 * runs on pktmap and on netmap alike.
 *
 * nm_open port names (the legacy grammar):
 *   netmap:NAME[SEL][/FLAGS][@MEMID]    vale[ID]:PORT[SEL][/FLAGS][@MEMID]
 *   SEL:   (none) all NIC rings   -N one NIC ring pair   ^ host rings
 *          ^N one host ring pair  * NIC and host rings
 *          {N pipe N, master end  }N pipe N, slave end
 *   FLAGS: x exclusive, z zero-copy monitor, t TX monitor, r RX monitor,
 *          R RX rings only, T TX rings only
 *   NAME ends at the first of - * ^ { } / @ and has at most 15 characters;
 *   "netmap:" is stripped, "valeX:PORT" is kept whole.
 * nm_open registers with NIOCCTRL/NETMAP_REQ_REGISTER and mirrors the
 * result into d->req (struct nmreq), as the legacy NIOCREGIF would.
 * On failure it returns NULL with errno set (errno 0: the name is neither
 * netmap: nor vale, so not a netmap port at all).
 */
#ifndef _NET_NETMAP_USER_H_
#define _NET_NETMAP_USER_H_

#define NETMAP_DEVICE_NAME "/dev/netmap"

#include <stdint.h>
#include <string.h>
#include <stdio.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <net/if.h>

#include <net/netmap.h>

#ifndef likely
#define likely(x)   __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#endif

#define _NETMAP_OFFSET(type, ptr, offset)                                      \
	((type)(void *)((char *)(ptr) + (offset)))

#define NETMAP_IF(_base, _ofs) _NETMAP_OFFSET(struct netmap_if *, _base, _ofs)

#define NETMAP_TXRING(nifp, index)                                             \
	_NETMAP_OFFSET(struct netmap_ring *, nifp, (nifp)->ring_ofs[index])

/* rx rings follow the tx rings and the host tx rings in ring_ofs[] */
#define NETMAP_RXRING(nifp, index)                                             \
	_NETMAP_OFFSET(struct netmap_ring *, nifp,                             \
		       (nifp)->ring_ofs[(index) + (nifp)->ni_tx_rings +        \
					(nifp)->ni_host_tx_rings])

#define NETMAP_BUF(ring, index)                                                \
	((char *)(ring) + (ring)->buf_ofs + ((index) * (ring)->nr_buf_size))

#define NETMAP_BUF_IDX(ring, buf)                                              \
	(((char *)(buf) - ((char *)(ring) + (ring)->buf_ofs)) /                \
	 (ring)->nr_buf_size)

/* Offsets (NETMAP_REQ_OPT_OFFSETS) live in the low bits of slot->ptr. */
#define NETMAP_ROFFSET(ring, slot) ((slot)->ptr & (ring)->offset_mask)

#define NETMAP_WOFFSET(ring, slot, offset)                                     \
	do {                                                                   \
		(slot)->ptr = ((slot)->ptr & ~(ring)->offset_mask) |           \
			      ((offset) & (ring)->offset_mask);                \
	} while (0)

#define NETMAP_BUF_OFFSET(ring, slot)                                          \
	(NETMAP_BUF(ring, (slot)->buf_idx) + NETMAP_ROFFSET(ring, slot))

static inline uint32_t nm_ring_next(struct netmap_ring *r, uint32_t i)
{
	return unlikely(i + 1 == r->num_slots) ? 0 : i + 1;
}

/* 1 while a tx ring still has slots the kernel side has not completed. */
static inline int nm_tx_pending(struct netmap_ring *r)
{
	return nm_ring_next(r, r->tail) != r->head;
}

/* Slots the application owns: [head, tail). */
static inline uint32_t nm_ring_space(struct netmap_ring *ring)
{
	int ret = (int)(ring->tail - ring->head);

	if (ret < 0)
		ret += ring->num_slots;
	return ret;
}

/*
 * Copies @l bytes.  Multiples of 64 below 1 KiB go by eight words at a
 * time, which beats memcpy's dispatch for short frames.
 */
static inline void nm_pkt_copy(const void *_src, void *_dst, int l)
{
	const uint64_t *src = (const uint64_t *)_src;
	uint64_t *dst = (uint64_t *)_dst;

	if (unlikely(l >= 1024 || l % 64)) {
		memcpy(dst, src, l);
		return;
	}
	for (; likely(l > 0); l -= 64, src += 8, dst += 8) {
		dst[0] = src[0];
		dst[1] = src[1];
		dst[2] = src[2];
		dst[3] = src[3];
		dst[4] = src[4];
		dst[5] = src[5];
		dst[6] = src[6];
		dst[7] = src[7];
	}
}

#ifndef ND /* netmap's debug macros, used by many applications */
#define ND(_fmt, ...)                                                          \
	do {                                                                   \
	} while (0)
#define D(_fmt, ...)                                                           \
	do {                                                                   \
		struct timeval _t0;                                            \
		gettimeofday(&_t0, NULL);                                      \
		fprintf(stderr, "%03d.%06d %s [%d] " _fmt "\n",                \
			(int)(_t0.tv_sec % 1000), (int)_t0.tv_usec, __func__,  \
			__LINE__, ##__VA_ARGS__);                              \
	} while (0)
/* D at most @lps times per second */
#define RD(lps, _fmt, ...)                                                     \
	do {                                                                   \
		static int __t0, __cnt;                                        \
		struct timeval __xxts;                                         \
		gettimeofday(&__xxts, NULL);                                   \
		if (__t0 != __xxts.tv_sec) {                                   \
			__t0 = __xxts.tv_sec;                                  \
			__cnt = 0;                                             \
		}                                                              \
		if (__cnt++ < (lps))                                           \
			D(_fmt, ##__VA_ARGS__);                                \
	} while (0)
#endif

#ifdef NETMAP_WITH_LIBS
#ifndef HAVE_NETMAP_WITH_LIBS
#define HAVE_NETMAP_WITH_LIBS

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

struct nm_pkthdr { /* starts as pcap_pkthdr */
	struct timeval ts;
	uint32_t caplen; /* bytes readable at buf */
	uint32_t len;	 /* bytes of the whole frame */

	uint64_t flags; /* NM_MORE_PKTS: nm_dispatch has more to deliver */
#define NM_MORE_PKTS 1
	struct nm_desc *d;
	struct netmap_slot *slot; /* first slot of the frame */
	uint8_t *buf;
};

struct nm_stat { /* as pcap_stat */
	unsigned int ps_recv;
	unsigned int ps_drop;
	unsigned int ps_ifdrop;
};

#define NM_ERRBUF_SIZE 512

struct nm_desc {
	struct nm_desc *self; /* == this descriptor when it is valid */
	int fd;
	void *mem;
	uint32_t memsize;
	int done_mmap; /* mem was mapped by this descriptor */
	struct netmap_if *const nifp;
	uint16_t first_tx_ring, last_tx_ring, cur_tx_ring;
	uint16_t first_rx_ring, last_rx_ring, cur_rx_ring;
	struct nmreq req; /* nr_name is the port name */
	struct nm_pkthdr hdr;

	/* Where buffers are, to tell a buffer from other region memory. */
	struct netmap_ring *const some_ring;
	void *const buf_start;
	void *const buf_end;
	/* as pcap_open_live's parameters */
	int snaplen;
	int promisc;
	int to_ms;
	char *errbuf;

	uint32_t if_flags;
	uint32_t if_reqcap;
	uint32_t if_curcap;

	struct nm_stat st;
	char msg[NM_ERRBUF_SIZE];
};

#define P2NMD(p)	  ((struct nm_desc *)(p))
#define IS_NETMAP_DESC(d) ((d) && P2NMD(d)->self == P2NMD(d))
#define NETMAP_FD(d)	  (P2NMD(d)->fd)

typedef void (*nm_cb_t)(unsigned char *, const struct nm_pkthdr *,
			const unsigned char *d);

/*
 * Flags of nm_open's new_flags: which fields come from the parent
 * descriptor @arg.  NETMAP_NO_TX_POLL and NETMAP_DO_RX_POLL may be or-ed
 * in as well; the low 16 bits are reserved for them.
 */
enum {
	NM_OPEN_NO_MMAP = 0x040000,  /* share the parent's mapping */
	NM_OPEN_IFNAME = 0x080000,   /* nr_name, nr_ringid, nr_flags */
	NM_OPEN_ARG1 = 0x100000,     /* nr_arg1 */
	NM_OPEN_ARG2 = 0x200000,     /* nr_arg2: memory id */
	NM_OPEN_ARG3 = 0x400000,     /* nr_arg3: extra buffers */
	NM_OPEN_RING_CFG = 0x800000, /* ring and slot counts */
};

static inline struct nm_desc *nm_open(const char *ifname,
				      const struct nmreq *req,
				      uint64_t new_flags,
				      const struct nm_desc *arg);
static inline int nm_close(struct nm_desc *d);
static inline int nm_mmap(struct nm_desc *d, const struct nm_desc *parent);
static inline int nm_inject(struct nm_desc *d, const void *buf, size_t size);
static inline int nm_dispatch(struct nm_desc *d, int cnt, nm_cb_t cb,
			      unsigned char *arg);
static inline unsigned char *nm_nextpkt(struct nm_desc *d,
					struct nm_pkthdr *hdr);

/* ---- nm_open's name parser ---------------------------------------------- */

#define NM_PARSE_ERRLEN 80

static inline int nm_parse_fail_(char *err, const char *msg)
{
	snprintf(err, NM_PARSE_ERRLEN, "%s", msg);
	errno = EINVAL;
	return -1;
}

static inline int nm_is_identifier_(const char *s, const char *e)
{
	if (s == e)
		return 0;
	for (; s != e; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return 0;
	return 1;
}

/* Reads a ring or pipe number after a selector; EINVAL outside [0, 4095). */
static inline int nm_parse_num_(const char **p, long *num, char *err)
{
	char *end;

	if (!isdigit((unsigned char)**p))
		return nm_parse_fail_(err, "missing number");
	*num = strtol(*p, &end, 10);
	if (*num < 0 || *num >= NETMAP_RING_MASK)
		return nm_parse_fail_(err, "ring number out of range");
	*p = end;
	return 0;
}

/* The ring selector at *p, if any: sets the NR_REG_* mode and the ringid. */
static inline int nm_parse_ringsel_(const char **p, uint32_t *mode,
				    long *ringid, char *err)
{
	char c = **p;

	*mode = NR_REG_ALL_NIC;
	*ringid = 0;
	if (c == '\0' || c == '/' || c == '@')
		return 0;
	(*p)++;
	switch (c) {
	case '*':
		*mode = NR_REG_NIC_SW;
		return 0;
	case '^':
		*mode = NR_REG_SW;
		if (!isdigit((unsigned char)**p))
			return 0;
		*mode = NR_REG_ONE_SW;
		return nm_parse_num_(p, ringid, err);
	case '-':
		*mode = NR_REG_ONE_NIC;
		return nm_parse_num_(p, ringid, err);
	case '{':
		*mode = NR_REG_PIPE_MASTER;
		return nm_parse_num_(p, ringid, err);
	case '}':
		*mode = NR_REG_PIPE_SLAVE;
		return nm_parse_num_(p, ringid, err);
	}
	return nm_parse_fail_(err, "unknown ring selector");
}

/* "/FLAGS" at *p: at least one of x z t r R T. */
static inline int nm_parse_flags_(const char **p, uint32_t *flags, char *err)
{
	const char *start = ++(*p);

	for (; **p && **p != '@' && **p != '/'; (*p)++) {
		switch (**p) {
		case 'x':
			*flags |= NR_EXCLUSIVE;
			break;
		case 'z':
			*flags |= NR_ZCOPY_MON;
			break;
		case 't':
			*flags |= NR_MONITOR_TX;
			break;
		case 'r':
			*flags |= NR_MONITOR_RX;
			break;
		case 'R':
			*flags |= NR_RX_RINGS_ONLY;
			break;
		case 'T':
			*flags |= NR_TX_RINGS_ONLY;
			break;
		default:
			return nm_parse_fail_(err, "unknown flag");
		}
	}
	if (*p == start)
		return nm_parse_fail_(err, "missing flags after '/'");
	return 0;
}

/* "@N" at *p: a memory id, positive and given once. */
static inline int nm_parse_memid_(const char **p, uint16_t *memid, char *err)
{
	char *end;
	long num;

	if (*memid)
		return nm_parse_fail_(err, "memory id given twice");
	num = strtol(*p + 1, &end, 10);
	if (end == *p + 1 || num <= 0 || num > 0xffff)
		return nm_parse_fail_(err, "invalid memory id");
	*memid = (uint16_t)num;
	*p = end;
	return 0;
}

/* The suffixes after the ring selector: "/FLAGS" and "@N", in any order. */
static inline int nm_parse_suffixes_(const char *p, uint32_t *flags,
				     uint16_t *memid, char *err)
{
	while (*p) {
		if (*p == '/' && nm_parse_flags_(&p, flags, err))
			return -1;
		else if (*p == '@' && nm_parse_memid_(&p, memid, err))
			return -1;
		else if (*p && *p != '/' && *p != '@')
			return nm_parse_fail_(err, "unexpected character");
	}
	return 0;
}

/* Where the port name of @ifname ends; NULL if a vale name is malformed. */
static inline const char *nm_parse_name_end_(const char *ifname, char *err)
{
	const char *colon = NULL, *p = ifname;

	if (strncmp(ifname, NM_BDG_NAME, strlen(NM_BDG_NAME)) == 0) {
		colon = strchr(ifname, ':');
		if (colon == NULL || (colon != ifname + strlen(NM_BDG_NAME) &&
				      !nm_is_identifier_(ifname + 4, colon))) {
			nm_parse_fail_(err, "invalid switch name");
			return NULL;
		}
		p = colon + 1;
	}
	while (*p && !strchr("-*^{}/@", *p))
		p++;
	if (colon && !nm_is_identifier_(colon + 1, p)) {
		nm_parse_fail_(err, "invalid switch port name");
		return NULL;
	}
	return p;
}

/*
 * Parses the port name @ifname into d->req: nr_name, the mode in the low
 * bits of nr_flags plus the flag bits, nr_ringid, nr_arg2.  @err (at
 * least NM_PARSE_ERRLEN bytes) gets a message on failure.
 */
static inline int nm_parse(const char *ifname, struct nm_desc *d, char *err)
{
	const char *end, *p;
	uint32_t mode, flags = 0;
	uint16_t memid = 0;
	long ringid;

	if (strncmp(ifname, "netmap:", 7) == 0)
		ifname += 7;
	end = p = nm_parse_name_end_(ifname, err);
	if (end == NULL)
		return -1;
	if (end == ifname || (size_t)(end - ifname) >= sizeof(d->req.nr_name))
		return nm_parse_fail_(err, "bad name length");
	if (nm_parse_ringsel_(&p, &mode, &ringid, err) ||
	    nm_parse_suffixes_(p, &flags, &memid, err))
		return -1;
	memset(d->req.nr_name, 0, sizeof(d->req.nr_name));
	memcpy(d->req.nr_name, ifname, end - ifname);
	d->req.nr_flags = (d->req.nr_flags & ~NR_REG_MASK) | flags | mode;
	d->req.nr_ringid = (uint16_t)ringid;
	d->req.nr_arg2 = memid;
	return 0;
}

/* ---- registration -------------------------------------------------------- */

/* The NIOCCTRL name of a legacy request: pipes carry "{N"/"}N" in it. */
static inline void nm_reg_name_(const struct nmreq *req, char *name)
{
	uint32_t mode = req->nr_flags & NR_REG_MASK;
	int ringid = req->nr_ringid & NETMAP_RING_MASK;

	snprintf(name, NETMAP_REQ_IFNAMSIZ, "%.*s", (int)sizeof(req->nr_name),
		 req->nr_name);
	if (mode == NR_REG_PIPE_MASTER || mode == NR_REG_PIPE_SLAVE)
		snprintf(name + strlen(name), 8, "%c%d",
			 mode == NR_REG_PIPE_MASTER ? '{' : '}', ringid);
}

/* The NR_REG_* mode of a legacy request, translating NR_REG_DEFAULT. */
static inline uint32_t nm_reg_mode_(const struct nmreq *req)
{
	uint32_t mode = req->nr_flags & NR_REG_MASK;

	if (mode == NR_REG_PIPE_MASTER || mode == NR_REG_PIPE_SLAVE)
		return NR_REG_ALL_NIC;
	if (mode != NR_REG_DEFAULT)
		return mode;
	if (req->nr_ringid & NETMAP_SW_RING)
		return NR_REG_SW;
	if (req->nr_ringid & NETMAP_HW_RING)
		return NR_REG_ONE_NIC;
	return NR_REG_ALL_NIC;
}

static inline void nm_reg_from_legacy_(const struct nmreq *req,
				       struct nmreq_register *reg)
{
	memset(reg, 0, sizeof(*reg));
	reg->nr_tx_slots = req->nr_tx_slots;
	reg->nr_rx_slots = req->nr_rx_slots;
	reg->nr_tx_rings = req->nr_tx_rings;
	reg->nr_rx_rings = req->nr_rx_rings;
	reg->nr_mem_id = req->nr_arg2;
	reg->nr_mode = nm_reg_mode_(req);
	if (reg->nr_mode != NR_REG_ALL_NIC)
		reg->nr_ringid = req->nr_ringid & NETMAP_RING_MASK;
	reg->nr_extra_bufs = req->nr_arg3;
	reg->nr_flags = req->nr_flags & ~(uint64_t)NR_REG_MASK;
	if (req->nr_ringid & NETMAP_NO_TX_POLL)
		reg->nr_flags |= NR_NO_TX_POLL;
	if (req->nr_ringid & NETMAP_DO_RX_POLL)
		reg->nr_flags |= NR_DO_RX_POLL;
}

static inline void nm_reg_to_legacy_(const struct nmreq_register *reg,
				     struct nmreq *req)
{
	req->nr_offset = (uint32_t)reg->nr_offset;
	req->nr_memsize = (uint32_t)reg->nr_memsize;
	req->nr_tx_slots = reg->nr_tx_slots;
	req->nr_rx_slots = reg->nr_rx_slots;
	req->nr_tx_rings = reg->nr_tx_rings;
	req->nr_rx_rings = reg->nr_rx_rings;
	req->nr_arg2 = reg->nr_mem_id;
	req->nr_arg3 = reg->nr_extra_bufs;
}

static inline void nm_set_range_(uint16_t *first, uint16_t *last, uint16_t *cur,
				 unsigned int f, unsigned int l)
{
	*first = *cur = (uint16_t)f;
	*last = (uint16_t)(l < f ? f : l);
}

/* first/last ring indexes of each direction for the registered mode */
static inline void nm_set_ring_ranges_(struct nm_desc *d,
				       const struct nmreq_register *reg)
{
	unsigned int ntx = reg->nr_tx_rings, nrx = reg->nr_rx_rings;
	unsigned int htx = reg->nr_host_tx_rings ? reg->nr_host_tx_rings : 1;
	unsigned int hrx = reg->nr_host_rx_rings ? reg->nr_host_rx_rings : 1;
	unsigned int id = reg->nr_ringid;
	uint16_t *ftx = &d->first_tx_ring, *ltx = &d->last_tx_ring;
	uint16_t *frx = &d->first_rx_ring, *lrx = &d->last_rx_ring;

	switch (reg->nr_mode) {
	case NR_REG_SW:
		nm_set_range_(ftx, ltx, &d->cur_tx_ring, ntx, ntx + htx - 1);
		nm_set_range_(frx, lrx, &d->cur_rx_ring, nrx, nrx + hrx - 1);
		break;
	case NR_REG_ONE_SW:
		nm_set_range_(ftx, ltx, &d->cur_tx_ring, ntx + id, ntx + id);
		nm_set_range_(frx, lrx, &d->cur_rx_ring, nrx + id, nrx + id);
		break;
	case NR_REG_NIC_SW:
		nm_set_range_(ftx, ltx, &d->cur_tx_ring, 0, ntx + htx - 1);
		nm_set_range_(frx, lrx, &d->cur_rx_ring, 0, nrx + hrx - 1);
		break;
	case NR_REG_ONE_NIC:
		nm_set_range_(ftx, ltx, &d->cur_tx_ring, id, id);
		nm_set_range_(frx, lrx, &d->cur_rx_ring, id, id);
		break;
	default: /* all NIC rings; a pipe end is a port of its own */
		nm_set_range_(ftx, ltx, &d->cur_tx_ring, 0, ntx - 1);
		nm_set_range_(frx, lrx, &d->cur_rx_ring, 0, nrx - 1);
		break;
	}
}

/* Registers d->fd as d->req asks; fills d->req and the ring ranges. */
static inline int nm_register_(struct nm_desc *d)
{
	struct nmreq_register reg;
	struct nmreq_header hdr;

	memset(&hdr, 0, sizeof(hdr));
	hdr.nr_version = NETMAP_API;
	hdr.nr_reqtype = NETMAP_REQ_REGISTER;
	nm_reg_name_(&d->req, hdr.nr_name);
	hdr.nr_body = (uintptr_t)&reg;
	nm_reg_from_legacy_(&d->req, &reg);
	if (ioctl(d->fd, NIOCCTRL, &hdr) < 0)
		return -1;
	nm_reg_to_legacy_(&reg, &d->req);
	nm_set_ring_ranges_(d, &reg);
	return 0;
}

/* Applies what new_flags takes from @parent to d->req. */
static inline void nm_inherit_(struct nm_desc *d, const struct nm_desc *parent,
			       uint64_t new_flags)
{
	d->req.nr_arg1 = new_flags & NM_OPEN_ARG1 ? parent->req.nr_arg1 : 4;
	if (new_flags & NM_OPEN_ARG2)
		d->req.nr_arg2 = parent->req.nr_arg2;
	d->req.nr_arg3 = new_flags & NM_OPEN_ARG3 ? parent->req.nr_arg3 : 0;
	if (new_flags & NM_OPEN_RING_CFG) {
		d->req.nr_tx_slots = parent->req.nr_tx_slots;
		d->req.nr_rx_slots = parent->req.nr_rx_slots;
		d->req.nr_tx_rings = parent->req.nr_tx_rings;
		d->req.nr_rx_rings = parent->req.nr_rx_rings;
	}
	if (new_flags & NM_OPEN_IFNAME) {
		memcpy(d->req.nr_name, parent->req.nr_name,
		       sizeof(d->req.nr_name));
		d->req.nr_ringid = parent->req.nr_ringid;
		d->req.nr_flags = parent->req.nr_flags;
	}
}

/*
 * Opens and registers a port and maps its memory (see the grammar at the
 * top).  @req, if given, seeds d->req before the name is parsed.  With
 * NM_OPEN_NO_MMAP and a parent, the parent's mapping is shared and the
 * two memory ids must match (EINVAL otherwise); without a parent nothing
 * is mapped and the caller calls nm_mmap later.
 */
static inline struct nm_desc *nm_open(const char *ifname,
				      const struct nmreq *req,
				      uint64_t new_flags,
				      const struct nm_desc *arg)
{
	const struct nm_desc *parent = IS_NETMAP_DESC(arg) ? arg : NULL;
	char err[NM_PARSE_ERRLEN] = "";
	struct nm_desc *d;
	int saved;

	if (strncmp(ifname, "netmap:", 7) &&
	    strncmp(ifname, NM_BDG_NAME, strlen(NM_BDG_NAME))) {
		errno = 0; /* not a netmap name: not an error either */
		return NULL;
	}
	d = (struct nm_desc *)calloc(1, sizeof(*d));
	if (d == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	d->self = d; /* early, so that nm_close works on failure */
	d->fd = -1;
	if (req)
		d->req = *req;
	if (!(new_flags & NM_OPEN_IFNAME) && nm_parse(ifname, d, err) < 0)
		goto fail;
	d->req.nr_version = NETMAP_API;
	d->req.nr_ringid &= NETMAP_RING_MASK;
	if (parent && new_flags)
		nm_inherit_(d, parent, new_flags);
	d->req.nr_ringid |= new_flags & (NETMAP_NO_TX_POLL | NETMAP_DO_RX_POLL);

	d->fd = open(NETMAP_DEVICE_NAME, O_RDWR);
	if (d->fd < 0) {
		snprintf(err, sizeof(err), "cannot open %s",
			 NETMAP_DEVICE_NAME);
		goto fail;
	}
	if (nm_register_(d) < 0) {
		snprintf(err, sizeof(err), "register failed");
		goto fail;
	}
	if ((new_flags & NM_OPEN_NO_MMAP) && parent &&
	    parent->req.nr_arg2 != d->req.nr_arg2) {
		snprintf(err, sizeof(err), "memory id differs from parent's");
		errno = EINVAL;
		goto fail;
	}
	if ((!(new_flags & NM_OPEN_NO_MMAP) || parent) && nm_mmap(d, parent)) {
		snprintf(err, sizeof(err), "mmap failed");
		goto fail;
	}
	return d;

fail:
	saved = errno ? errno : EINVAL;
	nm_close(d);
	fprintf(stderr, "nm_open: %s: %s: %s\n", ifname, err, strerror(saved));
	errno = saved;
	return NULL;
}

static inline int nm_close(struct nm_desc *d)
{
	if (d == NULL || d->self != d)
		return EINVAL;
	if (d->done_mmap && d->mem)
		munmap(d->mem, d->memsize);
	if (d->fd >= 0)
		close(d->fd);
	memset((void *)d, 0, sizeof(*d));
	free(d);
	return 0;
}

/*
 * Maps d's memory, or shares @parent's mapping when both use the same
 * memory id.  Returns 0, or EINVAL with errno set.
 */
static inline int nm_mmap(struct nm_desc *d, const struct nm_desc *parent)
{
	struct netmap_ring *r;
	struct netmap_if *nifp;

	if (IS_NETMAP_DESC(parent) && parent->mem &&
	    parent->req.nr_arg2 == d->req.nr_arg2) {
		d->memsize = parent->memsize;
		d->mem = parent->mem;
	} else {
		d->memsize = d->req.nr_memsize;
		d->mem = mmap(NULL, d->memsize, PROT_READ | PROT_WRITE,
			      MAP_SHARED, d->fd, 0);
		if (d->mem == MAP_FAILED) {
			d->mem = NULL;
			return EINVAL;
		}
		d->done_mmap = 1;
	}
	nifp = NETMAP_IF(d->mem, d->req.nr_offset);
	r = NETMAP_RXRING(nifp, d->first_rx_ring);
	if ((void *)r == (void *)nifp) /* bound for tx only */
		r = NETMAP_TXRING(nifp, d->first_tx_ring);
	*(struct netmap_if **)(uintptr_t)&d->nifp = nifp;
	*(struct netmap_ring **)(uintptr_t)&d->some_ring = r;
	*(void **)(uintptr_t)&d->buf_start = NETMAP_BUF(r, 0);
	*(void **)(uintptr_t)&d->buf_end = (char *)d->mem + d->memsize;
	return 0;
}

/* ---- packets ------------------------------------------------------------- */

/*
 * Copies @size bytes into the next free slots of a tx ring with room,
 * as an NS_MOREFRAG chain if it does not fit one buffer, and advances
 * head and cur.  Nothing is sent until the caller polls or NIOCTXSYNCs.
 * Returns @size, or 0 if no ring has room.
 */
static inline int nm_inject(struct nm_desc *d, const void *buf, size_t size)
{
	unsigned int c, n = d->last_tx_ring - d->first_tx_ring + 1;
	unsigned int ri = d->cur_tx_ring;

	for (c = 0; c < n; c++, ri++) {
		struct netmap_ring *ring;
		const char *src = (const char *)buf;
		uint32_t i, last;
		size_t rem = size;

		if (ri > d->last_tx_ring)
			ri = d->first_tx_ring;
		ring = NETMAP_TXRING(d->nifp, ri);
		for (last = ring->cur; rem > ring->nr_buf_size;
		     last = nm_ring_next(ring, last)) {
			if (last == ring->tail)
				break;
			rem -= ring->nr_buf_size;
		}
		if (last == ring->tail)
			continue; /* no room for the whole frame */
		for (i = ring->cur; i != last; i = nm_ring_next(ring, i)) {
			struct netmap_slot *s = &ring->slot[i];

			nm_pkt_copy(src, NETMAP_BUF(ring, s->buf_idx),
				    ring->nr_buf_size);
			s->len = ring->nr_buf_size;
			s->flags = NS_MOREFRAG;
			src += ring->nr_buf_size;
		}
		nm_pkt_copy(src, NETMAP_BUF(ring, ring->slot[i].buf_idx),
			    (int)rem);
		ring->slot[i].len = (uint16_t)rem;
		ring->slot[i].flags = 0;
		ring->head = ring->cur = nm_ring_next(ring, i);
		d->cur_tx_ring = ri;
		return (int)size;
	}
	return 0;
}

/*
 * Describes in @hdr the frame starting at ring->cur and releases its slots
 * (head = cur = past the frame).  caplen counts the bytes contiguous at
 * hdr->buf: a chain's later slots count only while their buffers follow.
 */
static inline void nm_take_frame_(struct nm_desc *d, struct netmap_ring *ring,
				  struct nm_pkthdr *hdr)
{
	uint32_t i = ring->cur;
	struct netmap_slot *slot = &ring->slot[i];
	char *prev = NETMAP_BUF(ring, slot->buf_idx);
	int contiguous = 1;

	hdr->d = d;
	hdr->slot = slot;
	hdr->buf = (uint8_t *)prev;
	hdr->ts = ring->ts;
	hdr->len = hdr->caplen = slot->len;
	while ((slot->flags & NS_MOREFRAG) &&
	       nm_ring_next(ring, i) != ring->tail) {
		uint16_t prev_len = slot->len;
		char *next;

		i = nm_ring_next(ring, i);
		slot = &ring->slot[i];
		next = NETMAP_BUF(ring, slot->buf_idx);
		hdr->len += slot->len;
		contiguous = contiguous && prev_len == ring->nr_buf_size &&
			     next - prev == ring->nr_buf_size;
		if (contiguous)
			hdr->caplen += slot->len;
		prev = next;
	}
	ring->head = ring->cur = nm_ring_next(ring, i);
}

/*
 * Calls @cb for up to @cnt received frames (all of them if @cnt is 0 or
 * negative), visiting rx rings round robin from the current one.  Every
 * call but the last has NM_MORE_PKTS in hdr->flags.  Returns the count.
 */
static inline int nm_dispatch(struct nm_desc *d, int cnt, nm_cb_t cb,
			      unsigned char *arg)
{
	int n = d->last_rx_ring - d->first_rx_ring + 1;
	int c, got = 0, ri = d->cur_rx_ring;

	d->hdr.buf = NULL;
	d->hdr.flags = NM_MORE_PKTS;
	d->hdr.d = d;
	if (cnt <= 0)
		cnt = -1;
	for (c = 0; c < n && cnt != got; c++, ri++) {
		struct netmap_ring *ring;

		if (ri > d->last_rx_ring)
			ri = d->first_rx_ring;
		ring = NETMAP_RXRING(d->nifp, ri);
		for (; !nm_ring_empty(ring) && cnt != got; got++) {
			if (d->hdr.buf) /* one behind, to know if more follow */
				cb(arg, &d->hdr, d->hdr.buf);
			d->cur_rx_ring = ri;
			nm_take_frame_(d, ring, &d->hdr);
		}
	}
	if (d->hdr.buf) {
		d->hdr.flags = 0;
		cb(arg, &d->hdr, d->hdr.buf);
	}
	return got;
}

/* The next received frame, or NULL if every bound rx ring is empty. */
static inline unsigned char *nm_nextpkt(struct nm_desc *d,
					struct nm_pkthdr *hdr)
{
	int ri = d->cur_rx_ring;

	do {
		struct netmap_ring *ring = NETMAP_RXRING(d->nifp, ri);

		if (!nm_ring_empty(ring)) {
			nm_take_frame_(d, ring, hdr);
			hdr->flags = 0;
			d->cur_rx_ring = ri;
			return hdr->buf;
		}
		if (++ri > d->last_rx_ring)
			ri = d->first_rx_ring;
	} while (ri != d->cur_rx_ring);
	return NULL;
}

#endif /* !HAVE_NETMAP_WITH_LIBS */
#endif /* NETMAP_WITH_LIBS */
#endif /* _NET_NETMAP_USER_H_ */
