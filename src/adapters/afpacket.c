/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The AF_PACKET adapter: a Linux interface's traffic through PACKET_MMAP.
 *
 * Each netmap rx ring has a TPACKET_V2 socket (several rings of one port are
 * one fanout group); each tx ring has a TPACKET_V2 TX_RING socket bound to
 * protocol 0, so it never receives, with PACKET_QDISC_BYPASS.  Frames are
 * copied between the kernel's rings and netmap buffers: an rxsync takes
 * the frames the kernel handed over into free slots, a txsync fills
 * TX_RING frames and kicks the kernel once per batch.
 */
#include "host.h"
#include "wire.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

/*
 * Receive: a TPACKET_V2 ring per rx ring, so that each frame is handed over
 * (and poll wakes) as it arrives.  Ring frames are sized for the MTU, up
 * to RX_FRAME_MAX; longer frames (GRO/GSO merges, jumbo frames) wait whole
 * in the socket's queue, up to RX_QUEUE_BYTES (doubled by the kernel).
 */
#define RX_FRAMES      32768  /* per ring: 200 ms at 100 kpps, with room */
#define RX_PORT_FRAMES 262144 /* a port of many rings shares these */
#define RX_MIN_FRAMES  64
#define RX_MAX_FRAMES  (1u << 21)
#define RX_MAC_OFS     66 /* where the kernel puts an Ethernet header */
#define RX_FRAME_MAX   2048
#define RX_BLOCK_SIZE  (1u << 16)
#define RX_QUEUE_BYTES (32 << 20)
#define RX_BIG_MAX     (NETMAP_MAX_FRAGS * 2048) /* what a chain carries */
#define TX_RING_BYTES  (4u << 20)
#define TX_DATA_OFS    (TPACKET2_HDRLEN - sizeof(struct sockaddr_ll))
#define ETH_HLEN_VLAN  (ETH_HLEN + 4)

struct afp_rx {
	int fd;
	uint8_t *map;
	size_t map_size;
	uint32_t frame_size, per_block, nframes;
	uint32_t pos;		       /* the next frame to take */
	struct tpacket2_hdr *frame;    /* its header */
	uint8_t *big;		       /* a frame from the socket's queue */
	_Atomic uint64_t kernel_drops; /* PACKET_STATISTICS, accumulated */
};

struct afp_tx {
	int fd;
	uint8_t *map;
	uint32_t frame_size, frame_nr;
	uint32_t pos;	   /* next TX_RING frame to fill */
	uint32_t max_len;  /* the largest frame the interface takes */
	bool kick_pending; /* a kick failed: frames wait in TX_RING */
};

struct afp_port {
	int ifindex;
	struct afp_rx *rx;    /* one per NIC rx ring */
	struct afp_tx *tx;    /* one per NIC and host tx ring */
	struct pm_host *host; /* NULL: the stack is not detached */
};

/* ---- helpers ------------------------------------------------------------ */

static int sysfs_uint(const char *ifname, const char *attr, unsigned *out)
{
	char path[128];
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "/sys/class/net/%s/%s", ifname, attr);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	ok = fscanf(f, "%u", out) == 1;
	fclose(f);
	return ok ? 0 : -EIO;
}

static int packet_socket(const char *ifname)
{
	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);

	if (fd < 0 && (errno == EPERM || errno == EACCES))
		pm_log("%s: an AF_PACKET socket needs CAP_NET_RAW", ifname);
	return fd < 0 ? -errno : fd;
}

static int setopt(int fd, int level, int name, const void *v, socklen_t len)
{
	return setsockopt(fd, level, name, v, len) < 0 ? -errno : 0;
}

static int bind_to(int fd, int ifindex, uint16_t proto)
{
	struct sockaddr_ll sll = {
	    .sll_family = AF_PACKET,
	    .sll_protocol = htons(proto),
	    .sll_ifindex = ifindex,
	};

	return bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0 ? -errno : 0;
}

static int fanout_mode(void)
{
	static const struct {
		const char *name;
		int mode;
	} modes[] = {
	    {"hash", PACKET_FANOUT_HASH}, {"lb", PACKET_FANOUT_LB},
	    {"cpu", PACKET_FANOUT_CPU},	  {"rollover", PACKET_FANOUT_ROLLOVER},
	    {"rnd", PACKET_FANOUT_RND},	  {"qm", PACKET_FANOUT_QM},
	};
	const char *s = getenv("PKTMAP_FANOUT");

	for (size_t i = 0; s && i < sizeof(modes) / sizeof(modes[0]); i++)
		if (strcmp(s, modes[i].name) == 0)
			return modes[i].mode;
	if (s)
		pm_log("PKTMAP_FANOUT=%s unknown, using hash", s);
	return PACKET_FANOUT_HASH;
}

/*
 * Joins @fd to the port's fanout group; the first socket asks the kernel
 * for a group id no one else uses.
 */
static int join_fanout(int fd, int *group)
{
	int mode = fanout_mode(), arg, err;
	socklen_t len = sizeof(arg);

	if (*group < 0) {
		arg = (mode | PACKET_FANOUT_FLAG_UNIQUEID) << 16;
		err = setopt(fd, SOL_PACKET, PACKET_FANOUT, &arg, sizeof(arg));
		if (err)
			return err;
		if (getsockopt(fd, SOL_PACKET, PACKET_FANOUT, &arg, &len) < 0)
			return -errno;
		*group = arg & 0xffff;
		return 0;
	}
	arg = *group | mode << 16;
	return setopt(fd, SOL_PACKET, PACKET_FANOUT, &arg, sizeof(arg));
}

static int set_filter(int fd, struct sock_filter *code, unsigned short len)
{
	struct sock_fprog prog = {.len = len, .filter = code};

	return setopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog));
}

/*
 * Accepts nothing: a socket bound before it joined its fanout group would
 * otherwise see frames the group sees too.
 */
static int filter_nothing(int fd)
{
	struct sock_filter code[] = {BPF_STMT(BPF_RET | BPF_K, 0)};

	return set_filter(fd, code, 1);
}

/*
 * Accepts what came from the wire: not the frames the host rings turn
 * around into the interface's ingress (into the stack, or to be dropped),
 * which pass the packet taps on their way in.
 */
static int filter_wire(int fd)
{
	struct sock_filter code[] = {
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, SKF_AD_OFF + SKF_AD_MARK),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PM_HOST_MARK, 2, 0),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PM_STACK_MARK, 1, 0),
	    BPF_STMT(BPF_RET | BPF_K, 0x7fffffff),
	    BPF_STMT(BPF_RET | BPF_K, 0),
	};

	return set_filter(fd, code, sizeof(code) / sizeof(code[0]));
}

/* ---- receive ------------------------------------------------------------ */

/*
 * Frames of the kernel's ring for one rx ring: PKTMAP_RX_FRAMES, or a
 * default that holds 200 ms at 100 kpps on each ring of a port of up to 8
 * rings and shares RX_PORT_FRAMES among the rings of a larger one.
 */
static uint32_t rx_frames(uint32_t nrings)
{
	const char *s = getenv("PKTMAP_RX_FRAMES");
	char *end;
	unsigned long n;

	if (s) {
		n = strtoul(s, &end, 0);
		if (*s && !*end && n >= RX_MIN_FRAMES && n <= RX_MAX_FRAMES)
			return (uint32_t)n;
		pm_log("PKTMAP_RX_FRAMES=%s: not %u to %u, using the default",
		       s, RX_MIN_FRAMES, RX_MAX_FRAMES);
	}
	n = RX_PORT_FRAMES / nrings;
	return n > RX_FRAMES ? RX_FRAMES : n < 4096 ? 4096 : (uint32_t)n;
}

/* A ring frame holds an MTU-sized frame and its VLAN tag, within 2 KiB. */
static uint32_t rx_frame_size(unsigned mtu)
{
	uint32_t size = (RX_MAC_OFS + mtu + ETH_HLEN_VLAN + 15) & ~15u;

	return mtu >= RX_FRAME_MAX || size > RX_FRAME_MAX ? RX_FRAME_MAX : size;
}

static int rx_open(struct afp_rx *a, const char *ifname, int ifindex,
		   unsigned mtu, uint32_t frames, int *group, bool fanout)
{
	int version = TPACKET_V2, one = 1, qbytes = RX_QUEUE_BYTES, err;
	struct tpacket_req req;

	a->frame_size = rx_frame_size(mtu);
	a->per_block = RX_BLOCK_SIZE / a->frame_size;
	req = (struct tpacket_req){
	    .tp_block_size = RX_BLOCK_SIZE,
	    .tp_block_nr = (frames + a->per_block - 1) / a->per_block,
	    .tp_frame_size = a->frame_size,
	};
	req.tp_frame_nr = req.tp_block_nr * a->per_block;
	a->nframes = req.tp_frame_nr;
	a->map_size = (size_t)RX_BLOCK_SIZE * req.tp_block_nr;

	a->fd = packet_socket(ifname);
	if (a->fd < 0)
		return a->fd;
	err = setopt(a->fd, SOL_PACKET, PACKET_VERSION, &version,
		     sizeof(version));
	if (!err) /* netmap's rx rings carry what arrives, not what leaves */
		err = setopt(a->fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one,
			     sizeof(one));
	if (!err) /* a frame longer than a ring frame waits in the queue */
		err = setopt(a->fd, SOL_PACKET, PACKET_COPY_THRESH, &one,
			     sizeof(one));
	/* as much queue as allowed: RCVBUFFORCE needs CAP_NET_ADMIN */
	if (!err && setopt(a->fd, SOL_SOCKET, SO_RCVBUFFORCE, &qbytes,
			   sizeof(qbytes)) < 0)
		setopt(a->fd, SOL_SOCKET, SO_RCVBUF, &qbytes, sizeof(qbytes));
	if (!err)
		err = setopt(a->fd, SOL_PACKET, PACKET_RX_RING, &req,
			     sizeof(req));
	if (err)
		return err;
	a->map = mmap(NULL, a->map_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		      a->fd, 0);
	if (a->map == MAP_FAILED) {
		a->map = NULL;
		return -errno;
	}
	a->big = malloc(RX_BIG_MAX);
	if (!a->big)
		return -ENOMEM;
	a->frame = (struct tpacket2_hdr *)a->map;
	err = filter_nothing(a->fd);
	if (!err)
		err = bind_to(a->fd, ifindex, ETH_P_ALL);
	if (!err && fanout)
		err = join_fanout(a->fd, group);
	return err ? err : filter_wire(a->fd);
}

/* Hands the current frame back to the kernel and moves to the next. */
static void rx_release(struct afp_rx *a)
{
	__atomic_store_n(&a->frame->tp_status, TP_STATUS_KERNEL,
			 __ATOMIC_RELEASE);
	if (++a->pos == a->nframes) {
		a->pos = 0;
		a->frame = (struct tpacket2_hdr *)a->map;
	} else if (a->pos % a->per_block ==
		   0) { /* frames skip a block's tail */
		a->frame = (struct tpacket2_hdr *)(a->map + (size_t)a->pos /
								a->per_block *
								RX_BLOCK_SIZE);
	} else {
		a->frame = (struct tpacket2_hdr *)((uint8_t *)a->frame +
						   a->frame_size);
	}
}

/* The frame as pieces, with the VLAN tag the kernel stripped put back. */
static int frame_pieces(const uint8_t *data, uint32_t len,
			const struct tpacket2_hdr *h, uint32_t st,
			struct pm_piece pc[3], uint8_t tag[4])
{
	if (!(st & TP_STATUS_VLAN_VALID) || len < 12) {
		pc[0] = (struct pm_piece){data, len};
		return 1;
	}
	uint16_t tpid =
	    (st & TP_STATUS_VLAN_TPID_VALID) ? h->tp_vlan_tpid : ETH_P_8021Q;
	tag[0] = (uint8_t)(tpid >> 8);
	tag[1] = (uint8_t)tpid;
	tag[2] = (uint8_t)(h->tp_vlan_tci >> 8);
	tag[3] = (uint8_t)h->tp_vlan_tci;
	pc[0] = (struct pm_piece){data, 12};
	pc[1] = (struct pm_piece){tag, 4};
	pc[2] = (struct pm_piece){data + 12, len - 12};
	return 3;
}

/*
 * The bytes of the current frame, *len of them, and whether it was cut.
 * The ring holds the first bytes of a frame longer than a ring frame; with
 * TP_STATUS_COPY the whole frame is also in the socket's queue, in ring
 * order (without it the queue was full: the frame stays cut).
 */
static const uint8_t *rx_bytes(struct afp_rx *a, const struct tpacket2_hdr *h,
			       uint32_t st, uint32_t *len, bool *cut)
{
	uint32_t mac = h->tp_mac, snap = h->tp_snaplen;

	if (unlikely(mac > a->frame_size || snap > a->frame_size - mac))
		mac = snap = 0; /* not a frame the kernel writes */
	*len = snap;
	*cut = snap < h->tp_len;
	if (likely(!(st & TP_STATUS_COPY)))
		return (const uint8_t *)h + mac;
	ssize_t n = recv(a->fd, a->big, RX_BIG_MAX, MSG_DONTWAIT | MSG_TRUNC);
	if (n <= 0)
		return (const uint8_t *)h + mac; /* the queue lost it */
	*len = n > RX_BIG_MAX ? RX_BIG_MAX : (uint32_t)n;
	*cut = n > RX_BIG_MAX;
	return a->big;
}

static int afp_rxsync(struct pm_kring *k)
{
	if (unlikely(k->host))
		return pm_host_rxsync(k, k->priv);

	struct afp_rx *a = k->priv;
	uint32_t i = k->hwtail, stop = pm_prev(k, k->hwcur);
	uint32_t room = (stop + k->nslots - i) % k->nslots;
	uint32_t max_frags =
	    k->nslots - 1 < NETMAP_MAX_FRAGS ? k->nslots - 1 : NETMAP_MAX_FRAGS;
	uint32_t sec = 0, nsec = 0;
	bool got = false;

	while (room > 0) {
		struct tpacket2_hdr *h = a->frame;
		uint32_t st = __atomic_load_n(&h->tp_status, __ATOMIC_ACQUIRE);
		if (!(st & TP_STATUS_USER))
			break;
		/* slots from the length the kernel saw, before taking it */
		uint32_t want = h->tp_len + (st & TP_STATUS_VLAN_VALID ? 4 : 0);
		uint32_t need =
		    want ? (want + k->buf_size - 1) / k->buf_size : 1;
		if (need > max_frags)
			need = max_frags;
		if (need > room)
			break; /* the frame waits for the application */
		struct pm_piece pc[3];
		uint8_t tag[4];
		uint32_t len;
		bool cut;
		const uint8_t *data = rx_bytes(a, h, st, &len, &cut);
		int np = frame_pieces(data, len, h, st, pc, tag);
		len += np == 3 ? 4 : 0;
		uint32_t used = len ? (len + k->buf_size - 1) / k->buf_size : 1;
		if (used > need || cut) {
			used = used > need ? need : used;
			k->truncated++;
		}
		pm_scatter(k, i, pc, np, used);
		/* a virtual wire (veth) hands over what the peer left undone */
		if ((st & TP_STATUS_CSUMNOTREADY) && used == 1)
			pm_wire_finish_csum(
			    (uint8_t *)pm_slot_buf(k, &k->ring->slot[i]), len);
		i = (i + used) % k->nslots;
		room -= used;
		k->packets++;
		k->bytes += len;
		sec = h->tp_sec;
		nsec = h->tp_nsec;
		got = true;
		rx_release(a);
	}
	if (got && (k->ring->flags & NR_TIMESTAMP)) {
		k->ring->ts.tv_sec = sec;
		k->ring->ts.tv_usec = nsec / 1000;
	}
	k->hwtail = i;
	return 0;
}

static uint64_t afp_drops(struct pm_kring *k)
{
	struct afp_rx *a = k->priv;
	struct tpacket_stats st;
	socklen_t len = sizeof(st);

	if (k->dir != PM_RX)
		return 0;
	if (k->host)
		return pm_host_drops(k->priv);
	/* the kernel resets its counters at every read */
	if (getsockopt(a->fd, SOL_PACKET, PACKET_STATISTICS, &st, &len) == 0)
		return atomic_fetch_add(&a->kernel_drops, st.tp_drops) +
		       st.tp_drops;
	return atomic_load(&a->kernel_drops);
}

/* ---- transmit ------------------------------------------------------------ */

static uint32_t pow2_at_least(uint32_t n)
{
	uint32_t p = 1;

	while (p < n)
		p <<= 1;
	return p;
}

/*
 * A NIC tx ring's socket bypasses the qdisc, and so tc: its frames go to
 * the wire.  A host tx ring's socket marks its frames and goes through tc
 * egress, which turns them around into the stack.
 */
static int tx_open(struct afp_tx *a, const char *ifname, int ifindex,
		   unsigned mtu, bool host)
{
	int version = TPACKET_V2, one = 1, mark = PM_HOST_MARK, err;
	struct tpacket_req req;

	a->max_len = mtu + ETH_HLEN_VLAN;
	a->frame_size = pow2_at_least(a->max_len + TX_DATA_OFS);
	if (a->frame_size < 2048)
		a->frame_size = 2048;
	a->frame_nr = TX_RING_BYTES / a->frame_size;
	if (a->frame_nr < 16)
		a->frame_nr = 16;
	req = (struct tpacket_req){
	    .tp_block_size = a->frame_size < 4096 ? 4096 : a->frame_size,
	    .tp_frame_size = a->frame_size,
	    .tp_frame_nr = a->frame_nr,
	};
	req.tp_block_nr = a->frame_nr / (req.tp_block_size / a->frame_size);

	a->fd = packet_socket(ifname);
	if (a->fd < 0)
		return a->fd;
	err = setopt(a->fd, SOL_PACKET, PACKET_VERSION, &version,
		     sizeof(version));
	if (!err && !host)
		err = setopt(a->fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one,
			     sizeof(one));
	if (!err && host)
		err = setopt(a->fd, SOL_SOCKET, SO_MARK, &mark, sizeof(mark));
	if (!err) /* a frame the kernel refuses must not stall the ring */
		err = setopt(a->fd, SOL_PACKET, PACKET_LOSS, &one, sizeof(one));
	if (!err)
		err = setopt(a->fd, SOL_PACKET, PACKET_TX_RING, &req,
			     sizeof(req));
	if (err)
		return err;
	a->map = mmap(NULL, (size_t)a->frame_size * a->frame_nr,
		      PROT_READ | PROT_WRITE, MAP_SHARED, a->fd, 0);
	if (a->map == MAP_FAILED) {
		a->map = NULL;
		return -errno;
	}
	return bind_to(a->fd, ifindex, 0); /* protocol 0: never receives */
}

static struct tpacket2_hdr *tx_frame(const struct afp_tx *a, uint32_t i)
{
	return (struct tpacket2_hdr *)(a->map + (size_t)i * a->frame_size);
}

/*
 * Copies the frame at slot *i (not past @end) into @dst, each slot read
 * once; returns its length, or 0 if a slot was bad (changed by another
 * thread after the prologue checked it).
 */
static uint32_t gather(const struct pm_kring *k, uint32_t *i, uint32_t end,
		       uint8_t *dst, uint32_t cap)
{
	struct pm_frame f;
	uint32_t len = 0;

	if (unlikely(!pm_read_frame(k, i, end, &f)))
		return 0;
	for (int n = 0; n < f.np; n++) {
		if (len + f.pc[n].len <= cap)
			memcpy(dst + len, f.pc[n].p, f.pc[n].len);
		len += f.pc[n].len;
	}
	return len;
}

static bool tx_frame_fits(const struct afp_tx *a, const uint8_t *frame,
			  uint32_t len)
{
	bool tagged = len >= ETH_HLEN && frame[12] == 0x81 && frame[13] == 0;

	return len >= ETH_HLEN && len <= a->max_len - (tagged ? 0 : 4);
}

static int tx_kick(struct pm_kring *k, struct afp_tx *a)
{
	if (send(a->fd, NULL, 0, MSG_DONTWAIT) >= 0) {
		a->kick_pending = false;
		return 0;
	}
	switch (errno) {
	case EAGAIN:
	case ENOBUFS: /* back-pressure: the frames stay queued */
		a->kick_pending = true;
		k->busy_syncs++;
		return 0;
	case ENXIO:
	case ENODEV:
		pm_log("%s: interface gone", k->port->name);
		return -ENXIO;
	default:
		a->kick_pending = true;
		return -errno;
	}
}

static int afp_txsync(struct pm_kring *k, uint32_t end)
{
	struct afp_tx *a = k->priv;
	uint32_t i = k->hwcur;
	bool queued = false;

	while (i != end) {
		struct tpacket2_hdr *h = tx_frame(a, a->pos);
		uint32_t st = __atomic_load_n(&h->tp_status, __ATOMIC_ACQUIRE);
		if (st != TP_STATUS_AVAILABLE) {
			k->busy_syncs++;
			break; /* TX_RING full: the rest waits in our ring */
		}
		uint8_t *data = (uint8_t *)h + TX_DATA_OFS;
		uint32_t len = gather(k, &i, end, data, a->max_len);
		if (unlikely(!tx_frame_fits(a, data, len))) {
			pm_log("%s: tx frame of %u bytes dropped",
			       k->port->name, len);
			k->errors++;
			continue;
		}
		h->tp_len = len;
		__atomic_store_n(&h->tp_status, TP_STATUS_SEND_REQUEST,
				 __ATOMIC_RELEASE);
		a->pos = a->pos + 1 == a->frame_nr ? 0 : a->pos + 1;
		k->packets++;
		k->bytes += len;
		queued = true;
	}
	k->hwcur = i;
	k->hwtail = pm_prev(k, i); /* copied out: the slots are free again */
	return queued || a->kick_pending ? tx_kick(k, a) : 0;
}

/* ---- port -----------------------------------------------------------------
 */

#define MAX_HOST_RINGS 16

/* Queues the interface has in one direction: the default ring count. */
static uint32_t if_queues(const char *ifname, enum pm_dir dir)
{
	char path[128];
	uint32_t n = 0;

	for (;; n++) {
		snprintf(path, sizeof(path), "/sys/class/net/%s/queues/%s-%u",
			 ifname, dir == PM_TX ? "tx" : "rx", n);
		if (access(path, F_OK) != 0)
			break;
	}
	return n ? n : 1;
}

static int afp_configure(struct pm_port *p, const struct pm_bind_req *req)
{
	if (!pm_valid_ifname(req->name)) {
		pm_log("%s: no such interface", req->name);
		return -ENXIO;
	}
	for (int d = 0; d < 2; d++) {
		p->nrings[d] = pm_count(req->nrings[d], if_queues(req->name, d),
					1, PM_MAX_RINGS);
		p->nslots[d] = pm_count(req->nslots[d], pm_default_slots(),
					PM_MIN_SLOTS, PM_MAX_SLOTS);
		p->nhost[d] = pm_count(req->nhost[d], 1, 1, MAX_HOST_RINGS);
	}
	return pm_region_get(PM_GLOBAL_MEM_ID, &p->mem);
}

static void afp_detach(struct pm_port *p)
{
	struct afp_port *ap = p->priv;

	if (!ap)
		return;
	pm_host_reattach(ap->host);
	for (uint32_t i = 0; ap->rx && i < p->nrings[PM_RX]; i++) {
		if (ap->rx[i].map)
			munmap(ap->rx[i].map, ap->rx[i].map_size);
		free(ap->rx[i].big);
		if (ap->rx[i].fd >= 0)
			pm_libc.close(ap->rx[i].fd);
	}
	for (uint32_t i = 0; ap->tx && i < pm_port_krings(p, PM_TX); i++) {
		struct afp_tx *a = &ap->tx[i];
		if (a->map)
			munmap(a->map, (size_t)a->frame_size * a->frame_nr);
		if (a->fd >= 0)
			pm_libc.close(a->fd);
	}
	free(ap->rx);
	free(ap->tx);
	free(ap);
	p->priv = NULL;
}

static void set_wait(struct pm_kring *k, void *priv, int fd, short events)
{
	k->priv = priv;
	k->wait_fd = fd;
	k->wait_events = events;
}

/* PKTMAP_DETACH=0 leaves the stack attached: no host rings then. */
static bool want_detach(void)
{
	const char *s = getenv("PKTMAP_DETACH");

	return !s || strcmp(s, "0") != 0;
}

static int open_sockets(struct pm_port *p, struct afp_port *ap, unsigned mtu)
{
	uint32_t frames = rx_frames(p->nrings[PM_RX]);
	int group = -1, err;

	for (uint32_t i = 0; i < p->nrings[PM_RX]; i++) {
		err = rx_open(&ap->rx[i], p->name, ap->ifindex, mtu, frames,
			      &group, p->nrings[PM_RX] > 1);
		if (err)
			return err;
		set_wait(&p->rings[PM_RX][i], &ap->rx[i], ap->rx[i].fd, POLLIN);
	}
	for (uint32_t i = 0; i < pm_port_krings(p, PM_TX); i++) {
		bool host = i >= p->nrings[PM_TX];
		if (host && !ap->host)
			continue;
		err = tx_open(&ap->tx[i], p->name, ap->ifindex, mtu, host);
		if (err)
			return err;
		set_wait(&p->rings[PM_TX][i], &ap->tx[i], ap->tx[i].fd,
			 POLLOUT);
	}
	/* the ring buffer feeds the first host rx ring */
	for (uint32_t i = p->nrings[PM_RX];
	     ap->host && i < pm_port_krings(p, PM_RX); i++)
		set_wait(&p->rings[PM_RX][i], ap->host,
			 i == p->nrings[PM_RX] ? pm_host_wait_fd(ap->host) : -1,
			 POLLIN);
	return 0;
}

static int afp_attach(struct pm_port *p)
{
	struct afp_port *ap = calloc(1, sizeof(*ap));
	int err = -ENOMEM;
	unsigned mtu;

	if (!ap)
		return -ENOMEM;
	p->priv = ap;
	ap->ifindex = (int)if_nametoindex(p->name);
	ap->rx = calloc(p->nrings[PM_RX], sizeof(*ap->rx));
	ap->tx = calloc(pm_port_krings(p, PM_TX), sizeof(*ap->tx));
	if (!ap->rx || !ap->tx)
		goto fail;
	for (uint32_t i = 0; i < p->nrings[PM_RX]; i++)
		ap->rx[i].fd = -1;
	for (uint32_t i = 0; i < pm_port_krings(p, PM_TX); i++)
		ap->tx[i].fd = -1;
	err = sysfs_uint(p->name, "mtu", &mtu);
	if (err)
		goto fail;
	p->host_err = -EOPNOTSUPP;
	if (want_detach()) {
		p->host_err = pm_host_detach(p->name, ap->ifindex,
					     mtu + ETH_HLEN_VLAN, &ap->host);
		/* another process detached it: NIC rings of our own still */
		if (p->host_err && p->host_err != -EBUSY) {
			err = p->host_err;
			goto fail;
		}
	}
	err = open_sockets(p, ap, mtu);
	if (err)
		goto fail;
	return 0;
fail:
	pm_log("%s: %s", p->name, strerror(-err));
	afp_detach(p);
	return err;
}

static int afp_check(struct pm_port *p)
{
	struct afp_port *ap = p->priv;
	int soerr;
	socklen_t len = sizeof(soerr);

	if ((int)if_nametoindex(p->name) != ap->ifindex) {
		pm_log("%s: interface gone", p->name);
		return -ENXIO;
	}
	/* the interface went down and maybe up again: clear the error */
	for (uint32_t i = 0; i < p->nrings[PM_RX]; i++)
		getsockopt(ap->rx[i].fd, SOL_SOCKET, SO_ERROR, &soerr, &len);
	return 0;
}

const struct pm_adapter_ops pm_afpacket_ops = {
    .name = "afpacket",
    .configure = afp_configure,
    .attach = afp_attach,
    .detach = afp_detach,
    .txsync = afp_txsync,
    .rxsync = afp_rxsync,
    .drops = afp_drops,
    .check = afp_check,
};
