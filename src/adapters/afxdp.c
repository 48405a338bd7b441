/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The AF_XDP adapter: a Linux interface's queues through XDP sockets, with
 * the port's buffers in its memory region as the UMEM: no copy here.
 *
 * Ring pair i of a port is one XDP socket bound to the interface's queue i.
 * The UMEM is the part of the region's buffer pool that holds the port's
 * buffers: a run of buffers allocated together (its rings' and spare ones),
 * registered by the first socket and shared by the others (XDP_SHARED_UMEM)
 * with fill and completion rings of their own.  An rx slot is given the
 * buffer the kernel wrote; a tx slot's buffer is what the kernel sends, and
 * the slot goes back to the application only when the kernel says it is
 * done with it.
 *
 * Registering the whole pool (1 GiB) instead would back and pin all of it
 * and took about 2 s.  The price of the window: a buffer from outside it,
 * which an application swapped in with NS_BUF_CHANGED (a pipe's, another
 * port's), is copied once: into a spare of the window when sent, and from
 * the frame that lands in its slot when received.
 *
 * Frames reach the sockets through a small XDP program (redirect by rx
 * queue to an XSKMAP, XDP_PASS for queues without a socket) attached as
 * an XDP link whose only reference is a descriptor of this process: when
 * the process exits, SIGKILL included, the kernel detaches it.  Not
 * libxdp's dispatcher, which would let other programs share the hook:
 * libxdp (1.3) attaches it through netlink, pins it in bpffs and counts its
 * users in a map, so a killed process leaves it attached, as the host
 * rings never do.  An XDP link holds the hook alone: afxdp needs it free.
 * The program is five instructions, assembled here as host.c's are, so
 * the build needs no BPF compiler.
 *
 * Copy mode unless PKTMAP_XDP_ZEROCOPY=1: with netmap's buffers at fixed
 * 2048-byte steps, every other rx chunk (a buffer and the headroom before
 * it) spans two pages, which a zero-copy driver takes only if their DMA
 * addresses are contiguous; the kernel silently drops fill addresses that
 * are not, and their buffers would be lost.
 *
 * PKTMAP_BACKEND picks the adapter of interface ports: afpacket (the
 * default), afxdp (no fallback: a port that cannot have it fails) or auto
 * (afxdp, else afpacket, said in the debug log).
 */
#include "host.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/if_xdp.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef AF_XDP
#define AF_XDP 44
#endif
#ifndef SOL_XDP
#define SOL_XDP 283
#endif

/*
 * netmap puts a frame at the start of its buffer; the kernel puts an rx
 * frame XDP_PACKET_HEADROOM bytes after the address it took from the fill
 * ring (plus the UMEM's headroom, 0 here).  In aligned mode it rounds fill
 * addresses down to a chunk, so data could never start at a netmap buffer.
 * With unaligned chunks it takes addresses as they are: a fill address
 * XDP_PACKET_HEADROOM before a buffer puts the frame at the buffer's start.
 * The chunk is then that headroom (the previous buffer's last bytes, which
 * the kernel does not write unless an XDP program grows the frame's head
 * or adds metadata; ours does neither) and the buffer, so the largest
 * frame is exactly a buffer.  The window's first buffer is never filled, so
 * the first address is inside the UMEM.  Copy mode takes any such chunk;
 * zero-copy needs the pages DMA-contiguous (an IOMMU may refuse them).
 */
#define HEADROOM 256 /* XDP_PACKET_HEADROOM */

/*
 * Frames the kernel can hold for an rx ring: a netmap ring's free slots
 * are too few to ride out a busy machine's scheduling delays (1023 frames
 * last 20 ms at 50,000 frames/s), so each ring also has spare buffers of
 * the port in the kernel, up to this many in all (or twice its slots).
 */
#define RX_KERNEL_FRAMES 4096

/* One of the socket's four rings, as this process maps it. */
struct xq {
	_Atomic uint32_t *prod, *cons, *flags;
	void *desc;
	uint32_t size, mask;
	uint32_t pos; /* ours: the producer's or the consumer's index */
	void *map;
	size_t maplen;
};

/* Buffers of the window not in a ring: a stack. */
struct spares {
	uint32_t *idx;
	uint32_t n;
};

struct xsk {
	int fd;
	int ep_fd;   /* rx: what poll waits on, the socket and the link news */
	int nl_fd;   /* the port's link news (not ours to close) */
	int ifindex; /* the port's interface */
	int64_t next_check; /* ns: link news are read at most every 10 ms */
	struct xq rx, tx, fill, comp;
	uint32_t win_first, win_end; /* the UMEM: buffers (first, end) */
	/* rx: the buffers of released slots [given, hwcur) are ours */
	uint32_t given;
	uint32_t *foreign; /* per rx slot: its buffer from outside, or 0 */
	struct spares rx_spare, tx_spare;
	/* tx: slots [done, hwcur) are the kernel's until completed */
	uint32_t done;
	uint32_t *tx_slots; /* per tx descriptor: the slots it completes */
	uint32_t *tx_copy;  /* per tx descriptor: the spare it used, or 0 */
	uint32_t comp_seq;  /* descriptors completed */
	uint32_t max_len;   /* the largest frame the interface takes */
	bool kick_pending;
	_Atomic uint64_t drops; /* XDP_STATISTICS, as the kernel counts */
};

struct xdp_port {
	int ifindex;
	int map_fd, prog_fd, link_fd;
	int nl_fd; /* rtnetlink, link changes: how poll hears of a removal */
	uint32_t nsocks;
	bool zerocopy;
	struct xsk *s;
	uint32_t win_first, win_n, win_next; /* next: the next to hand out */
};

/* The next buffer of the port's window, for a ring or a spare. */
static uint32_t win_take(struct xdp_port *xp)
{
	return xp->win_next++;
}

static bool in_window(const struct xsk *s, uint32_t idx)
{
	return idx > s->win_first && idx < s->win_end;
}

/* A buffer's offset in the UMEM. */
static uint64_t umem_addr(const struct pm_kring *k, const struct xsk *s,
			  uint32_t idx)
{
	return (uint64_t)(idx - s->win_first) * k->buf_size;
}

/* ---- selection -----------------------------------------------------------
 */

enum backend { BACKEND_AFPACKET, BACKEND_AFXDP, BACKEND_AUTO };

static enum backend backend(void)
{
	const char *s = getenv("PKTMAP_BACKEND");

	if (!s || !*s || strcmp(s, "afpacket") == 0)
		return BACKEND_AFPACKET;
	if (strcmp(s, "afxdp") == 0)
		return BACKEND_AFXDP;
	if (strcmp(s, "auto") == 0)
		return BACKEND_AUTO;
	pm_log("PKTMAP_BACKEND=%s unknown, using afpacket", s);
	return BACKEND_AFPACKET;
}

const struct pm_adapter_ops *pm_iface_ops(void)
{
	return backend() == BACKEND_AFPACKET ? &pm_afpacket_ops : &pm_afxdp_ops;
}

/* ---- rings ---------------------------------------------------------------
 */

static uint32_t pow2_at_least(uint32_t n)
{
	uint32_t p = 1;

	while (p < n)
		p <<= 1;
	return p;
}

static int xq_map(struct xq *q, int fd, const struct xdp_ring_offset *o,
		  uint64_t pgoff, uint32_t size, size_t desc_size)
{
	q->maplen = o->desc + size * desc_size;
	q->map = mmap(NULL, q->maplen, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_POPULATE, fd, (off_t)pgoff);
	if (q->map == MAP_FAILED) {
		q->map = NULL;
		return -errno;
	}
	q->prod = (_Atomic uint32_t *)((char *)q->map + o->producer);
	q->cons = (_Atomic uint32_t *)((char *)q->map + o->consumer);
	q->flags = (_Atomic uint32_t *)((char *)q->map + o->flags);
	q->desc = (char *)q->map + o->desc;
	q->size = size;
	q->mask = size - 1;
	q->pos = 0;
	return 0;
}

static void xq_unmap(struct xq *q)
{
	if (q->map)
		munmap(q->map, q->maplen);
	q->map = NULL;
}

/* Entries a producer may still write. */
static uint32_t xq_room(const struct xq *q)
{
	return q->size -
	       (q->pos - atomic_load_explicit(q->cons, memory_order_acquire));
}

static void xq_publish(struct xq *q)
{
	atomic_store_explicit(q->prod, q->pos, memory_order_release);
}

/* Entries a consumer may read. */
static uint32_t xq_ready(const struct xq *q)
{
	return atomic_load_explicit(q->prod, memory_order_acquire) - q->pos;
}

static void xq_release(struct xq *q)
{
	atomic_store_explicit(q->cons, q->pos, memory_order_release);
}

static bool xq_needs_wakeup(const struct xq *q)
{
	return atomic_load_explicit(q->flags, memory_order_relaxed) &
	       XDP_RING_NEED_WAKEUP;
}

/* ---- the XDP program -------------------------------------------------------
 */

#define INSN(c, d, s, o, i)                                                    \
	((struct bpf_insn){.code = (c),                                        \
			   .dst_reg = (d),                                     \
			   .src_reg = (s),                                     \
			   .off = (o),                                         \
			   .imm = (i)})

/*
 * Each frame to the socket of its rx queue; a queue without one (or a
 * frame the socket cannot take) passes to the stack: redirect_map's flags
 * give the action when the lookup fails.
 */
static int load_program(int map_fd)
{
	const struct bpf_insn prog[] = {
	    INSN(BPF_LDX | BPF_MEM | BPF_W, BPF_REG_2, BPF_REG_1, 0,
		 0), /* the offset is patched below */
	    INSN(BPF_LD | BPF_DW | BPF_IMM, BPF_REG_1, BPF_PSEUDO_MAP_FD, 0,
		 map_fd),
	    INSN(0, 0, 0, 0, 0),
	    INSN(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_3, 0, 0, XDP_PASS),
	    INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_redirect_map),
	    INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
	};
	struct bpf_insn code[sizeof(prog) / sizeof(prog[0])];

	memcpy(code, prog, sizeof(prog));
	code[0].off = (int16_t)offsetof(struct xdp_md, rx_queue_index);
	return bpf_prog_load(BPF_PROG_TYPE_XDP, "pktmap_xsk", "Dual BSD/GPL",
			     code, sizeof(code) / sizeof(code[0]), NULL);
}

/* Is program @id one of ours (another process's AF_XDP port)? */
static bool is_ours(uint32_t id)
{
	struct bpf_prog_info info = {0};
	uint32_t len = sizeof(info);
	int fd = bpf_prog_get_fd_by_id(id);
	bool ours;

	if (fd < 0)
		return false;
	ours = bpf_obj_get_info_by_fd(fd, &info, &len) == 0 &&
	       strcmp(info.name, "pktmap_xsk") == 0;
	pm_libc.close(fd);
	return ours;
}

/* The program on the interface's XDP hook, if any, said before we start. */
static int hook_free(struct pm_port *p, int ifindex)
{
	uint32_t id = 0;

	if (bpf_xdp_query_id(ifindex, 0, &id) < 0 || id == 0)
		return 0;
	if (is_ours(id))
		pm_log("%s: another process has an AF_XDP port on it "
		       "(program %u)",
		       p->name, id);
	else
		pm_log("%s: an XDP program (id %u) is already attached: "
		       "afxdp needs the interface's XDP hook",
		       p->name, id);
	return -EBUSY;
}

/*
 * Native XDP first, the generic hook where the driver has none.  A link
 * fails with EBUSY while another program is attached: netmap's NIC mode
 * takes the whole interface, and so does this.
 */
static int attach_program(struct pm_port *p, struct xdp_port *xp)
{
	static const struct {
		uint32_t flags;
		const char *name;
	} modes[] = {{XDP_FLAGS_DRV_MODE, "native"},
		     {XDP_FLAGS_SKB_MODE, "generic"}};
	int err = -EOPNOTSUPP;

	for (size_t m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
		LIBBPF_OPTS(bpf_link_create_opts, opts,
			    .flags = modes[m].flags);
		xp->link_fd =
		    bpf_link_create(xp->prog_fd, xp->ifindex, BPF_XDP, &opts);
		if (xp->link_fd >= 0) {
			pm_log("%s: XDP program attached (%s)", p->name,
			       modes[m].name);
			return 0;
		}
		err = -errno;
		if (err == -EBUSY || err == -EEXIST)
			return hook_free(p, xp->ifindex) ? -EBUSY : err;
		if (err == -EPERM || err == -EACCES) {
			pm_log("%s: attaching XDP needs CAP_NET_ADMIN",
			       p->name);
			return err;
		}
		pm_log("%s: %s XDP: %s", p->name, modes[m].name,
		       strerror(-err));
	}
	if (err == -EINVAL)
		pm_log("%s: XDP links need Linux 5.9 or later", p->name);
	return err;
}

static int setup_program(struct pm_port *p, struct xdp_port *xp)
{
	xp->map_fd =
	    bpf_map_create(BPF_MAP_TYPE_XSKMAP, "pktmap_xsks", sizeof(uint32_t),
			   sizeof(uint32_t), xp->nsocks, NULL);
	if (xp->map_fd < 0) {
		int err = -errno;
		pm_log("%s: XSKMAP: %s%s", p->name, strerror(-err),
		       err == -EPERM ? " (BPF needs CAP_BPF or CAP_SYS_ADMIN)"
		       : err == -EINVAL
			   ? " (kernel without AF_XDP: CONFIG_XDP_SOCKETS)"
			   : "");
		return err;
	}
	xp->prog_fd = load_program(xp->map_fd);
	if (xp->prog_fd < 0) {
		int err = -errno;
		pm_log("%s: XDP program: %s", p->name, strerror(-err));
		return err;
	}
	for (uint32_t i = 0; i < xp->nsocks; i++) {
		if (bpf_map_update_elem(xp->map_fd, &i, &xp->s[i].fd, 0) < 0) {
			int err = -errno;
			pm_log("%s: XSKMAP entry %u: %s", p->name, i,
			       strerror(-err));
			return err;
		}
	}
	return attach_program(p, xp);
}

/* ---- sockets ---------------------------------------------------------------
 */

static bool want_zerocopy(void)
{
	const char *s = getenv("PKTMAP_XDP_ZEROCOPY");

	return s && strcmp(s, "1") == 0;
}

/* The kernel's rx and fill rings; its tx and completion rings. */
static uint32_t rx_kernel_size(const struct pm_port *p)
{
	uint32_t n = pow2_at_least(2 * p->nslots[PM_RX]);

	return n < RX_KERNEL_FRAMES ? RX_KERNEL_FRAMES : n;
}

static uint32_t tx_kernel_size(const struct pm_port *p)
{
	return pow2_at_least(p->nslots[PM_TX]);
}

/*
 * The port's window: the first buffer (the first chunk's headroom), then
 * per rx ring its slots, the kernel's spares and the stand-ins for buffers
 * from outside; per tx ring its slots and a spare per descriptor.  The
 * rings' buffers move into it.
 */
static int alloc_window(struct pm_port *p, struct xdp_port *xp)
{
	uint32_t nrx = p->nrings[PM_RX], ntx = p->nrings[PM_TX];
	uint32_t rs = p->nslots[PM_RX], ts = p->nslots[PM_TX];
	uint64_t n = 1 +
		     (uint64_t)nrx * (rs + rx_kernel_size(p) - (rs - 1) + rs) +
		     (uint64_t)ntx * (ts + tx_kernel_size(p));
	int err;

	n += n % 2; /* whole pages */
	if (n > p->mem->buf_total)
		return -ENOMEM;
	xp->win_n = (uint32_t)n;
	err =
	    pm_region_alloc_range(p->mem, xp->win_n, p->owner, &xp->win_first);
	if (err) {
		pm_log("%s: no %u free buffers in a row for the UMEM", p->name,
		       xp->win_n);
		return err;
	}
	xp->win_next = xp->win_first + 1;
	for (int d = 0; d < 2; d++) {
		for (uint32_t i = 0; i < p->nrings[d]; i++) {
			struct netmap_ring *ring = p->rings[d][i].ring;
			pm_region_free_bufs(p->mem, ring->slot, p->nslots[d],
					    p->owner);
			for (uint32_t j = 0; j < p->nslots[d]; j++)
				ring->slot[j].buf_idx = win_take(xp);
		}
	}
	for (uint32_t i = 0; i < xp->nsocks; i++) {
		xp->s[i].win_first = xp->win_first;
		xp->s[i].win_end = xp->win_first + xp->win_n;
	}
	return 0;
}

static int setopt(int fd, int name, const void *v, socklen_t len)
{
	return setsockopt(fd, SOL_XDP, name, v, len) < 0 ? -errno : 0;
}

/* The port's window of the buffer pool as the UMEM, on the first socket. */
static int register_umem(struct pm_port *p, struct xdp_port *xp, int fd)
{
	struct pm_region *r = p->mem;
	struct xdp_umem_reg reg = {
	    .addr = (uint64_t)(uintptr_t)((char *)r->base + r->buf_ofs +
					  (size_t)xp->win_first * r->buf_size),
	    .len = (uint64_t)r->buf_size * xp->win_n,
	    .chunk_size = r->buf_size + HEADROOM,
	    .headroom = 0,
	    .flags = XDP_UMEM_UNALIGNED_CHUNK_FLAG,
	};
	int err = setopt(fd, XDP_UMEM_REG, &reg, sizeof(reg));

	if (err)
		pm_log("%s: UMEM of %llu bytes: %s%s", p->name,
		       (unsigned long long)reg.len, strerror(-err),
		       err == -EINVAL ? " (unaligned chunks need Linux 5.4)"
		       : err == -ENOMEM || err == -ENOBUFS
			   ? " (RLIMIT_MEMLOCK, or CAP_IPC_LOCK)"
			   : "");
	return err;
}

static int open_socket(struct pm_port *p, struct xdp_port *xp, uint32_t i)
{
	struct xsk *s = &xp->s[i];
	bool rx = i < p->nrings[PM_RX], tx = i < p->nrings[PM_TX];
	uint32_t rsz = rx_kernel_size(p), tsz = tx_kernel_size(p);
	struct xdp_mmap_offsets off;
	socklen_t olen = sizeof(off);
	int err;

	s->fd = socket(AF_XDP, SOCK_RAW | SOCK_CLOEXEC, 0);
	if (s->fd < 0) {
		err = -errno;
		pm_log("%s: AF_XDP socket: %s%s", p->name, strerror(-err),
		       err == -EPERM || err == -EACCES ? " (needs CAP_NET_RAW)"
		       : err == -EAFNOSUPPORT
			   ? " (kernel without CONFIG_XDP_SOCKETS)"
			   : "");
		return err;
	}
	if (i == 0 && (err = register_umem(p, xp, s->fd)))
		return err;
	/* every socket its own fill and completion rings: queues differ */
	err = setopt(s->fd, XDP_UMEM_FILL_RING, &rsz, sizeof(rsz));
	if (!err)
		err =
		    setopt(s->fd, XDP_UMEM_COMPLETION_RING, &tsz, sizeof(tsz));
	if (!err && rx)
		err = setopt(s->fd, XDP_RX_RING, &rsz, sizeof(rsz));
	if (!err && tx)
		err = setopt(s->fd, XDP_TX_RING, &tsz, sizeof(tsz));
	if (!err && getsockopt(s->fd, SOL_XDP, XDP_MMAP_OFFSETS, &off, &olen))
		err = -errno;
	if (!err)
		err = xq_map(&s->fill, s->fd, &off.fr, XDP_UMEM_PGOFF_FILL_RING,
			     rsz, sizeof(uint64_t));
	if (!err)
		err = xq_map(&s->comp, s->fd, &off.cr,
			     XDP_UMEM_PGOFF_COMPLETION_RING, tsz,
			     sizeof(uint64_t));
	if (!err && rx)
		err = xq_map(&s->rx, s->fd, &off.rx, XDP_PGOFF_RX_RING, rsz,
			     sizeof(struct xdp_desc));
	if (!err && tx)
		err = xq_map(&s->tx, s->fd, &off.tx, XDP_PGOFF_TX_RING, tsz,
			     sizeof(struct xdp_desc));
	if (!err && tx &&
	    (!(s->tx_slots = calloc(tsz, sizeof(uint32_t))) ||
	     !(s->tx_copy = calloc(tsz, sizeof(uint32_t)))))
		err = -ENOMEM;
	if (err) {
		pm_log("%s: XDP socket %u: %s", p->name, i, strerror(-err));
		return err;
	}

	struct sockaddr_xdp sxdp = {
	    .sxdp_family = AF_XDP,
	    .sxdp_ifindex = (uint32_t)xp->ifindex,
	    .sxdp_queue_id = i,
	};
	if (i == 0) {
		/* zero-copy asked: where the driver has it, else copy */
		sxdp.sxdp_flags =
		    XDP_USE_NEED_WAKEUP | (want_zerocopy() ? 0 : XDP_COPY);
	} else {
		sxdp.sxdp_flags = XDP_SHARED_UMEM;
		sxdp.sxdp_shared_umem_fd = (uint32_t)xp->s[0].fd;
	}
	if (bind(s->fd, (struct sockaddr *)&sxdp, sizeof(sxdp)) < 0) {
		err = -errno;
		pm_log("%s: binding an XDP socket to queue %u: %s%s", p->name,
		       i, strerror(-err),
		       err == -EINVAL  ? " (no such queue, or an XDP socket "
					 "has it already)"
		       : err == -EBUSY ? " (the queue has an XDP socket)"
		       : err == -EOPNOTSUPP ? " (the driver supports no AF_XDP)"
					    : "");
		return err;
	}
	return 0;
}

/* The kernel's mode for the port: zero-copy or copy. */
static bool is_zerocopy(int fd)
{
	struct xdp_options o = {0};
	socklen_t len = sizeof(o);

	return getsockopt(fd, SOL_XDP, XDP_OPTIONS, &o, &len) == 0 &&
	       (o.flags & XDP_OPTIONS_ZEROCOPY);
}

/* ---- receive ---------------------------------------------------------------
 */

static uint64_t fill_addr(const struct pm_kring *k, const struct xsk *s,
			  uint32_t idx)
{
	return umem_addr(k, s, idx) - HEADROOM;
}

/*
 * Hands the kernel the buffers of the slots the application released,
 * [given, hwcur).  The core checked their indexes; each is read once more
 * and checked again, since the application may write them meanwhile.
 */
static void rx_fill(struct pm_kring *k, struct xsk *s)
{
	uint64_t *ring = s->fill.desc;
	uint32_t n = 0;

	for (; s->given != k->hwcur; s->given = pm_next(k, s->given), n++) {
		uint32_t idx =
		    *(volatile uint32_t *)&k->ring->slot[s->given].buf_idx;
		if (unlikely(!pm_buf_ok(k, idx))) {
			k->scatter_bad = true; /* the core reinitialises */
			break;
		}
		s->foreign[s->given] = 0;
		if (unlikely(!in_window(s, idx))) {
			/* the kernel gets a spare; the frame is copied here */
			if (s->rx_spare.n == 0) {
				k->scatter_bad = true; /* cannot happen */
				break;
			}
			s->foreign[s->given] = idx;
			idx = s->rx_spare.idx[--s->rx_spare.n];
		}
		/* never full: the kernel holds at most fill.size buffers */
		ring[s->fill.pos++ & s->fill.mask] = fill_addr(k, s, idx);
	}
	if (n)
		xq_publish(&s->fill);
	if (xq_needs_wakeup(&s->fill))
		recvfrom(s->fd, NULL, 0, MSG_DONTWAIT, NULL, NULL);
}

/*
 * A socket whose interface goes away is unbound and polls as never ready,
 * with no error; so poll also waits on link news (ep_fd), and a sync that
 * finds no frame reads them: -ENXIO if the interface is gone.  At most
 * every 10 ms, so that an idle ring's syncs cost no system call: unread
 * news keep ep_fd ready, and the next sync after that reads them.
 */
#define LINK_CHECK_NS 10000000

static int link_check(struct pm_kring *k, struct xsk *s)
{
	struct timespec t;
	char buf[4096];
	bool news = false;
	int64_t now;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &t);
	now = t.tv_sec * 1000000000ll + t.tv_nsec;
	if (now < s->next_check)
		return 0;
	s->next_check = now + LINK_CHECK_NS;

	for (;;) {
		ssize_t r = recv(s->nl_fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (r > 0 || (r < 0 && errno == ENOBUFS)) /* or overflowed */
			news = true;
		else
			break;
	}
	if (news && (int)if_nametoindex(k->port->name) != s->ifindex) {
		pm_log("%s: interface gone", k->port->name);
		return -ENXIO;
	}
	return 0;
}

/* @n buffers of the window, not in a ring. */
static int spares_init(struct spares *sp, struct xdp_port *xp, uint32_t n)
{
	sp->idx = calloc(n ? n : 1, sizeof(uint32_t));
	if (!sp->idx)
		return -ENOMEM;
	for (sp->n = 0; sp->n < n; sp->n++)
		sp->idx[sp->n] = win_take(xp);
	return 0;
}

/*
 * The kernel's first buffers: those of the free slots, [hwtail, hwcur - 1),
 * and spares of the window, enough to fill the fill ring; and the spares
 * that stand in for buffers from outside the window.
 */
static int rx_prime(struct xdp_port *xp, struct pm_kring *k, struct xsk *s)
{
	uint32_t free_slots =
	    (pm_prev(k, k->hwcur) + k->nslots - k->hwtail) % k->nslots;
	uint32_t spare = s->fill.size - free_slots;
	uint64_t *ring = s->fill.desc;

	s->foreign = calloc(k->nslots, sizeof(uint32_t));
	if (!s->foreign || spares_init(&s->rx_spare, xp, k->nslots))
		return -ENOMEM;
	for (uint32_t i = k->hwtail; i != pm_prev(k, k->hwcur);
	     i = pm_next(k, i))
		ring[s->fill.pos++ & s->fill.mask] =
		    fill_addr(k, s, k->ring->slot[i].buf_idx);
	for (uint32_t i = 0; i < spare; i++)
		ring[s->fill.pos++ & s->fill.mask] =
		    fill_addr(k, s, win_take(xp));
	xq_publish(&s->fill);
	s->given = k->hwcur;
	return 0;
}

/*
 * Slot @j gets buffer @idx of the window with @len bytes.  A free slot's
 * own index is stale (its buffer went to the kernel when the application
 * released it), so the kernel may return buffers in any order; but a slot
 * whose buffer came from outside the window kept it, and gets the bytes.
 */
static void rx_land(struct pm_kring *k, struct xsk *s, uint32_t j, uint32_t idx,
		    uint32_t len)
{
	struct netmap_slot *slot = &k->ring->slot[j];
	uint32_t x = s->foreign[j];

	if (unlikely(x != 0)) {
		memcpy(pm_buf(k, x), pm_buf(k, idx), len);
		if (s->rx_spare.n < k->nslots)
			s->rx_spare.idx[s->rx_spare.n++] = idx;
		s->foreign[j] = 0;
		idx = x;
	}
	slot->buf_idx = idx;
	slot->len = (uint16_t)len;
	slot->flags = 0;
}

static int xdp_rxsync(struct pm_kring *k)
{
	struct xsk *s = k->priv;
	const struct xdp_desc *ring = s->rx.desc;
	uint32_t n = xq_ready(&s->rx), got = 0, j = k->hwtail;
	uint32_t room = (pm_prev(k, k->hwcur) + k->nslots - j) % k->nslots;

	/* more frames than room wait in the kernel's rx ring */
	for (; got < n && room > 0; got++) {
		const struct xdp_desc *d = &ring[s->rx.pos++ & s->rx.mask];
		uint64_t a = d->addr, len = d->len;
		uint64_t data = (a & XSK_UNALIGNED_BUF_ADDR_MASK) +
				(a >> XSK_UNALIGNED_BUF_OFFSET_SHIFT);
		uint32_t idx = s->win_first + (uint32_t)(data / k->buf_size);

		/*
		 * The kernel writes where we said; a frame elsewhere (an XDP
		 * program before ours moved its head) is dropped, its buffer
		 * kept.
		 */
		if (unlikely(data % k->buf_size || !in_window(s, idx) ||
			     len > k->buf_size)) {
			uint64_t fill =
			    (a & XSK_UNALIGNED_BUF_ADDR_MASK) + HEADROOM;
			pm_log("%s rx %u: frame at %#llx, %llu bytes, dropped",
			       k->port->name, k->id, (unsigned long long)data,
			       (unsigned long long)len);
			k->errors++;
			idx = s->win_first + (uint32_t)(fill / k->buf_size);
			if (fill % k->buf_size || !in_window(s, idx))
				continue; /* never one of ours */
			len = 0;
		} else {
			k->packets++;
			k->bytes += len;
		}
		rx_land(k, s, j, idx, (uint32_t)len);
		j = pm_next(k, j);
		room--;
	}
	if (got)
		xq_release(&s->rx);
	k->hwtail = j;
	rx_fill(k, s);
	return got == 0 ? link_check(k, s) : 0;
}

/* ---- transmit --------------------------------------------------------------
 */

/* Completed descriptors give their slots back, in order. */
static void tx_reap(struct pm_kring *k, struct xsk *s)
{
	uint32_t n = xq_ready(&s->comp);

	for (uint32_t c = 0; c < n; c++) {
		uint32_t d = s->comp_seq++ & s->tx.mask;
		uint32_t slots = s->tx_slots[d];
		while (slots--)
			s->done = pm_next(k, s->done);
		if (s->tx_copy[d]) {
			s->tx_spare.idx[s->tx_spare.n++] = s->tx_copy[d];
			s->tx_copy[d] = 0;
		}
	}
	if (n) {
		s->comp.pos += n;
		xq_release(&s->comp);
	}
}

static int tx_kick(struct pm_kring *k, struct xsk *s)
{
	/* copy mode sends a batch per call and says EAGAIN for the rest */
	for (uint32_t tries = 0; tries <= k->nslots / 16 + 1; tries++) {
		uint32_t before =
		    atomic_load_explicit(s->tx.cons, memory_order_acquire);
		if (sendto(s->fd, NULL, 0, MSG_DONTWAIT, NULL, 0) >= 0) {
			s->kick_pending = false;
			return 0;
		}
		switch (errno) {
		case EAGAIN:
		case EBUSY:
		case ENOBUFS:
			if (atomic_load_explicit(
				s->tx.cons, memory_order_acquire) != before &&
			    xq_room(&s->tx) < s->tx.size)
				continue; /* progress: more to send */
			s->kick_pending = xq_room(&s->tx) < s->tx.size;
			k->busy_syncs++;
			return 0;
		case ENETDOWN: /* the frames wait for the link */
			s->kick_pending = true;
			k->busy_syncs++;
			return 0;
		case ENXIO:
		case ENODEV:
			pm_log("%s: interface gone", k->port->name);
			return -ENXIO;
		default:
			s->kick_pending = true;
			return -errno;
		}
	}
	s->kick_pending = true;
	return 0;
}

/*
 * A frame the socket cannot take is dropped; its slots complete with the
 * last descriptor still in flight, or at once if there is none.
 */
static void tx_drop(struct pm_kring *k, struct xsk *s, uint32_t nslots)
{
	if (s->tx.pos != s->comp_seq)
		s->tx_slots[(s->tx.pos - 1) & s->tx.mask] += nslots;
	else
		while (nslots--)
			s->done = pm_next(k, s->done);
	k->errors++;
}

static int xdp_txsync(struct pm_kring *k, uint32_t end)
{
	struct xsk *s = k->priv;
	struct xdp_desc *ring = s->tx.desc;
	uint32_t i = k->hwcur, room, queued = 0, done_before = s->done;

	tx_reap(k, s);
	room = xq_room(&s->tx);
	while (i != end && room > 0) {
		struct pm_slot_copy c = pm_slot_read(&k->ring->slot[i]);
		uint32_t nslots = 1;

		i = pm_next(k, i);
		if (unlikely(c.flags & NS_MOREFRAG)) {
			/* multi-buffer frames need XDP_USE_SG: not yet */
			while ((c.flags & NS_MOREFRAG) && i != end) {
				c = pm_slot_read(&k->ring->slot[i]);
				i = pm_next(k, i);
				nslots++;
			}
			pm_log("%s: a frame of %u slots dropped", k->port->name,
			       nslots);
			tx_drop(k, s, nslots);
			continue;
		}
		if (unlikely(!pm_slot_ok(k, c) || c.len < ETH_HLEN ||
			     c.len > s->max_len)) {
			pm_log("%s: tx frame of %u bytes dropped",
			       k->port->name, c.len);
			tx_drop(k, s, 1);
			continue;
		}
		uint32_t buf = c.idx, copy = 0;
		if (unlikely(!in_window(s, buf))) {
			/* a spare per descriptor: never short while room */
			buf = copy = s->tx_spare.idx[--s->tx_spare.n];
			memcpy(pm_buf(k, copy), pm_buf(k, c.idx), c.len);
		}
		ring[s->tx.pos & s->tx.mask] = (struct xdp_desc){
		    .addr = umem_addr(k, s, buf), .len = c.len};
		s->tx_slots[s->tx.pos & s->tx.mask] = 1;
		s->tx_copy[s->tx.pos & s->tx.mask] = copy;
		s->tx.pos++;
		room--;
		queued++;
		k->packets++;
		k->bytes += c.len;
	}
	if (queued)
		xq_publish(&s->tx);
	k->hwcur = i;
	int err = 0;
	if ((queued || s->kick_pending) && xq_needs_wakeup(&s->tx))
		err = tx_kick(k, s);
	tx_reap(k, s);
	k->hwtail = pm_prev(k, s->done);
	/* frames out that make no progress: has the interface gone? */
	if (!err && !queued && s->done == done_before &&
	    s->tx.pos != s->comp_seq)
		err = link_check(k, s);
	return err;
}

static uint64_t xdp_drops(struct pm_kring *k)
{
	struct xsk *s = k->priv;
	struct xdp_statistics st;
	socklen_t len = sizeof(st);

	if (k->dir != PM_RX || !s)
		return 0;
	/* the kernel's counters only grow: what it says is the total */
	if (getsockopt(s->fd, SOL_XDP, XDP_STATISTICS, &st, &len) == 0)
		atomic_store(&s->drops, st.rx_dropped + st.rx_ring_full);
	return atomic_load(&s->drops);
}

/* ---- port ------------------------------------------------------------------
 */

static int xdp_configure(struct pm_port *p, const struct pm_bind_req *req)
{
	/* an interface's geometry is the same whatever moves its frames */
	return pm_afpacket_ops.configure(p, req);
}

static void xdp_detach(struct pm_port *p)
{
	struct xdp_port *xp = p->priv;

	if (!xp)
		return;
	/* the program first: no frame is redirected to a closing socket */
	if (xp->link_fd >= 0)
		pm_libc.close(xp->link_fd);
	if (xp->prog_fd >= 0)
		pm_libc.close(xp->prog_fd);
	if (xp->map_fd >= 0)
		pm_libc.close(xp->map_fd);
	if (xp->nl_fd >= 0)
		pm_libc.close(xp->nl_fd);
	/* sockets sharing the UMEM before the one that registered it */
	for (uint32_t i = xp->nsocks; i-- > 0;) {
		struct xsk *s = &xp->s[i];
		xq_unmap(&s->rx);
		xq_unmap(&s->tx);
		xq_unmap(&s->fill);
		xq_unmap(&s->comp);
		free(s->tx_slots);
		free(s->tx_copy);
		free(s->foreign);
		free(s->rx_spare.idx);
		free(s->tx_spare.idx);
		if (s->ep_fd >= 0)
			pm_libc.close(s->ep_fd);
		if (s->fd >= 0)
			pm_libc.close(s->fd);
	}
	free(xp->s);
	free(xp);
	p->priv = NULL;
}

static int read_mtu(const char *ifname, unsigned *mtu)
{
	char path[128];
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "/sys/class/net/%s/mtu", ifname);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	ok = fscanf(f, "%u", mtu) == 1;
	fclose(f);
	return ok ? 0 : -EIO;
}

/* Link news of the namespace: the interface's removal among them. */
static int link_news(struct xdp_port *xp)
{
	struct sockaddr_nl sa = {.nl_family = AF_NETLINK,
				 .nl_groups = RTMGRP_LINK};

	xp->nl_fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK,
			   NETLINK_ROUTE);
	if (xp->nl_fd < 0)
		return -errno;
	if (bind(xp->nl_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return -errno;
	return 0;
}

/* What an rx ring's poll waits on: its socket and the link news. */
static int rx_wait_fd(struct xdp_port *xp, struct xsk *s)
{
	struct epoll_event ev = {.events = EPOLLIN};

	s->ep_fd = epoll_create1(EPOLL_CLOEXEC);
	if (s->ep_fd < 0 || epoll_ctl(s->ep_fd, EPOLL_CTL_ADD, s->fd, &ev) ||
	    epoll_ctl(s->ep_fd, EPOLL_CTL_ADD, xp->nl_fd, &ev))
		return -errno;
	return 0;
}

static int attach_xdp(struct pm_port *p)
{
	struct xdp_port *xp = calloc(1, sizeof(*xp));
	unsigned mtu;
	int err;

	if (!xp)
		return -ENOMEM;
	p->priv = xp;
	xp->map_fd = xp->prog_fd = xp->link_fd = xp->nl_fd = -1;
	xp->ifindex = (int)if_nametoindex(p->name);
	xp->nsocks = p->nrings[PM_RX] > p->nrings[PM_TX] ? p->nrings[PM_RX]
							 : p->nrings[PM_TX];
	xp->s = calloc(xp->nsocks, sizeof(*xp->s));
	if (!xp->s)
		return -ENOMEM;
	for (uint32_t i = 0; i < xp->nsocks; i++)
		xp->s[i].fd = xp->s[i].ep_fd = -1;
	if (xp->ifindex == 0)
		return -ENXIO;
	err = read_mtu(p->name, &mtu);
	if (err)
		return err;
	/* the host rings are AF_PACKET's for now */
	p->host_err = -EOPNOTSUPP;
	err = hook_free(p, xp->ifindex);
	if (!err)
		err = link_news(xp);
	if (!err)
		err = alloc_window(p, xp);
	if (err)
		return err;
	for (uint32_t i = 0; i < xp->nsocks; i++) {
		err = open_socket(p, xp, i);
		if (err)
			return err;
		xp->s[i].max_len = mtu + ETH_HLEN + 4;
		xp->s[i].nl_fd = xp->nl_fd;
		xp->s[i].ifindex = xp->ifindex;
	}
	xp->zerocopy = is_zerocopy(xp->s[0].fd);
	err = setup_program(p, xp);
	if (err)
		return err;
	for (uint32_t i = 0; i < p->nrings[PM_RX]; i++) {
		struct pm_kring *k = &p->rings[PM_RX][i];
		struct xsk *s = &xp->s[i];
		k->priv = s;
		err = rx_wait_fd(xp, s);
		if (err)
			return err;
		k->wait_fd = s->ep_fd;
		k->wait_events = POLLIN;
		err = rx_prime(xp, k, s);
		if (err)
			return err;
	}
	for (uint32_t i = 0; i < p->nrings[PM_TX]; i++) {
		struct pm_kring *k = &p->rings[PM_TX][i];
		k->priv = &xp->s[i];
		k->wait_fd = xp->s[i].fd;
		k->wait_events = POLLOUT;
		xp->s[i].done = k->hwcur;
		err = spares_init(&xp->s[i].tx_spare, xp, tx_kernel_size(p));
		if (err)
			return err;
	}
	pm_log("%s: %u XDP sockets, %s mode, UMEM of buffers %u to %u", p->name,
	       xp->nsocks, xp->zerocopy ? "zero-copy" : "copy", xp->win_first,
	       xp->win_first + xp->win_n - 1);
	return 0;
}

static int xdp_attach(struct pm_port *p)
{
	int err = attach_xdp(p);

	if (!err)
		return 0;
	pm_log("%s: afxdp: %s", p->name, strerror(-err));
	xdp_detach(p);
	if (backend() != BACKEND_AUTO)
		return err;
	pm_log("%s: PKTMAP_BACKEND=auto: afxdp unavailable, using afpacket",
	       p->name);
	p->host_err = 0;
	p->ops = &pm_afpacket_ops;
	return p->ops->attach(p);
}

/*
 * After poll saw an error on a socket: the interface gone (the kernel
 * unbinds the sockets of an interface that goes away), or down and maybe
 * up again (the error is cleared).
 */
static int xdp_check(struct pm_port *p)
{
	struct xdp_port *xp = p->priv;
	int soerr;
	socklen_t len = sizeof(soerr);

	if ((int)if_nametoindex(p->name) != xp->ifindex) {
		pm_log("%s: interface gone", p->name);
		return -ENXIO;
	}
	for (uint32_t i = 0; i < xp->nsocks; i++)
		getsockopt(xp->s[i].fd, SOL_SOCKET, SO_ERROR, &soerr, &len);
	return 0;
}

/* The host rings are not ours: no sync reaches them (host_err). */
const struct pm_adapter_ops pm_afxdp_ops = {
    .name = "afxdp",
    .configure = xdp_configure,
    .attach = xdp_attach,
    .detach = xdp_detach,
    .txsync = xdp_txsync,
    .rxsync = xdp_rxsync,
    .drops = xdp_drops,
    .check = xdp_check,
};
