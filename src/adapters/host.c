/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The host rings: an interface detached from the Linux stack, as netmap
 * does it in the kernel, done with two tcx programs.
 *
 *   wire -> stack    AF_PACKET sees a frame before tc ingress, so the NIC rx
 *                    rings still get it; the ingress program drops it.
 *   stack -> wire    the egress program copies the frame into a BPF ring
 *                    buffer, the host rx ring's source, and swallows it.
 *   host tx ring     frames sent by a packet socket carrying PM_HOST_MARK
 *                    (through the qdisc, so through tc egress) are
 *                    redirected to the interface's ingress: the stack
 *                    receives them as if from the wire, and the ingress
 *                    program lets marked frames pass.
 *   NIC tx rings     their sockets bypass the qdisc, so tc egress never
 *                    sees them: they go to the wire.
 *
 * The programs are attached as tcx links whose only reference is a
 * descriptor of this process: when it exits, SIGKILL included, the kernel
 * detaches them and the stack is whole again.  One process at a time may
 * detach an interface: an abstract unix socket named after the ifindex is
 * the lock, and dies with its owner too.
 */
#include "host.h"
#include "wire.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <linux/bpf.h>
#include <linux/capability.h>
#include <linux/if_ether.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

/* tcx appeared in Linux 6.6; older uapi headers do not name it */
#define ATTACH_TCX_INGRESS     46
#define ATTACH_TCX_EGRESS      47
#define TCX_PASS	       0
#define TCX_DROP	       2
#define HELPER_MAP_LOOKUP      1
#define HELPER_REDIRECT	       23
#define HELPER_SKB_LOAD_BYTES  26
#define HELPER_RINGBUF_RESERVE 131
#define HELPER_RINGBUF_SUBMIT  132
#define RINGBUF_BYTES	       (16u << 20)
#define REC_HDR		       16    /* wire length, copied length, gso size */
#define GSO_MAX		       65536 /* the largest frame a record keeps */

struct pm_host {
	int lock_fd;
	int ringbuf_fd, lost_fd;
	int prog_fd[2], link_fd[2]; /* [0] ingress, [1] egress */
	uint32_t maxlen;
	size_t page;
	uint8_t *cons_page;	  /* consumer position, ours to write */
	uint8_t *prod_area;	  /* producer position, then the data twice */
	_Atomic uint64_t too_big; /* frames that would not fit the ring */
};

/* ---- a small BPF assembler ------------------------------------------------
 */

#define INSN(c, d, s, o, i)                                                    \
	((struct bpf_insn){.code = (c),                                        \
			   .dst_reg = (d),                                     \
			   .src_reg = (s),                                     \
			   .off = (o),                                         \
			   .imm = (i)})
#define MOV64_REG(d, s) INSN(BPF_ALU64 | BPF_MOV | BPF_X, d, s, 0, 0)
#define MOV64_IMM(d, i) INSN(BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0, i)
#define ADD64_IMM(d, i) INSN(BPF_ALU64 | BPF_ADD | BPF_K, d, 0, 0, i)
#define LDX_W(d, s, o)	INSN(BPF_LDX | BPF_MEM | BPF_W, d, s, o, 0)
#define STX_W(d, s, o)	INSN(BPF_STX | BPF_MEM | BPF_W, d, s, o, 0)
#define ST_W(d, o, i)	INSN(BPF_ST | BPF_MEM | BPF_W, d, 0, o, i)
#define ATOMIC_ADD_DW(d, s, o)                                                 \
	INSN(BPF_STX | BPF_ATOMIC | BPF_DW, d, s, o, BPF_ADD)
#define JMP_IMM(op, d, i, o) INSN(BPF_JMP | (op) | BPF_K, d, 0, o, i)
#define JMP_REG(op, d, s, o) INSN(BPF_JMP | (op) | BPF_X, d, s, o, 0)
#define CALL(h)		     INSN(BPF_JMP | BPF_CALL, 0, 0, 0, h)
#define EXIT()		     INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)
#define LD_MAP_FD(d, fd)                                                       \
	INSN(BPF_LD | BPF_DW | BPF_IMM, d, BPF_PSEUDO_MAP_FD, 0, fd),          \
	    INSN(0, 0, 0, 0, 0)
#define SKB(field) (int16_t) offsetof(struct __sk_buff, field)

/* Ingress: the stack gets only what the host tx ring injected. */
static int load_ingress(void)
{
	const struct bpf_insn prog[] = {
	    LDX_W(BPF_REG_0, BPF_REG_1, SKB(mark)),
	    JMP_IMM(BPF_JEQ, BPF_REG_0, PM_HOST_MARK, 2),
	    MOV64_IMM(BPF_REG_0, TCX_DROP),
	    EXIT(),
	    MOV64_IMM(BPF_REG_0, TCX_PASS),
	    EXIT(),
	};
	LIBBPF_OPTS(bpf_prog_load_opts, opts,
		    .expected_attach_type = ATTACH_TCX_INGRESS);

	return bpf_prog_load(BPF_PROG_TYPE_SCHED_CLS, "pktmap_in",
			     "Dual BSD/GPL", prog,
			     sizeof(prog) / sizeof(prog[0]), &opts);
}

/*
 * Egress: marked frames are turned around into the stack; everything else
 * is copied to the ring buffer and swallowed.  The stack hands frames over
 * here before the kernel's last transmit steps, so a record also keeps the
 * segment size of a GSO frame (user space segments it) and a frame larger
 * than the MTU gets a large record.  A full ring buffer is counted in the
 * lost map.
 */
static int load_egress(int ifindex, int ringbuf_fd, int lost_fd,
		       uint32_t maxlen)
{
	const struct bpf_insn prog[] = {
	    MOV64_REG(BPF_REG_6, BPF_REG_1),
	    LDX_W(BPF_REG_2, BPF_REG_6, SKB(mark)),
	    JMP_IMM(BPF_JNE, BPF_REG_2, PM_HOST_MARK, 4),
	    MOV64_IMM(BPF_REG_1, ifindex),
	    MOV64_IMM(BPF_REG_2, BPF_F_INGRESS),
	    CALL(HELPER_REDIRECT),
	    EXIT(),
	    /* capture: r9 = what the record keeps, r2 = the record's size */
	    LDX_W(BPF_REG_7, BPF_REG_6, SKB(len)),
	    MOV64_IMM(BPF_REG_9, (int32_t)maxlen),
	    MOV64_IMM(BPF_REG_2, (int32_t)(REC_HDR + maxlen)),
	    JMP_IMM(BPF_JLE, BPF_REG_7, (int32_t)maxlen, 2),
	    MOV64_IMM(BPF_REG_9, GSO_MAX),
	    MOV64_IMM(BPF_REG_2, REC_HDR + GSO_MAX),
	    LD_MAP_FD(BPF_REG_1, ringbuf_fd),
	    MOV64_IMM(BPF_REG_3, 0),
	    CALL(HELPER_RINGBUF_RESERVE),
	    JMP_IMM(BPF_JEQ, BPF_REG_0, 0, 19), /* to "full" */
	    MOV64_REG(BPF_REG_8, BPF_REG_0),
	    STX_W(BPF_REG_8, BPF_REG_7, 0),
	    LDX_W(BPF_REG_1, BPF_REG_6, SKB(gso_size)),
	    STX_W(BPF_REG_8, BPF_REG_1, 8),
	    JMP_REG(BPF_JLE, BPF_REG_7, BPF_REG_9, 1),
	    MOV64_REG(BPF_REG_7, BPF_REG_9),
	    JMP_IMM(BPF_JGE, BPF_REG_7, 1, 1),
	    MOV64_IMM(BPF_REG_7, 1),
	    STX_W(BPF_REG_8, BPF_REG_7, 4),
	    MOV64_REG(BPF_REG_1, BPF_REG_6),
	    MOV64_IMM(BPF_REG_2, 0),
	    MOV64_REG(BPF_REG_3, BPF_REG_8),
	    ADD64_IMM(BPF_REG_3, REC_HDR),
	    MOV64_REG(BPF_REG_4, BPF_REG_7),
	    CALL(HELPER_SKB_LOAD_BYTES),
	    MOV64_REG(BPF_REG_1, BPF_REG_8),
	    MOV64_IMM(BPF_REG_2, 0),
	    CALL(HELPER_RINGBUF_SUBMIT),
	    JMP_IMM(BPF_JA, 0, 0, 9), /* to "swallow" */
	    /* full: count */
	    ST_W(BPF_REG_10, -4, 0),
	    LD_MAP_FD(BPF_REG_1, lost_fd),
	    MOV64_REG(BPF_REG_2, BPF_REG_10),
	    ADD64_IMM(BPF_REG_2, -4),
	    CALL(HELPER_MAP_LOOKUP),
	    JMP_IMM(BPF_JEQ, BPF_REG_0, 0, 2),
	    MOV64_IMM(BPF_REG_1, 1),
	    ATOMIC_ADD_DW(BPF_REG_0, BPF_REG_1, 0),
	    /*
	     * swallow: a drop here would tell the sender (TCP) that the frame
	     * was not sent, and it would send it again; turned around to our
	     * ingress, marked, it is dropped there quietly.
	     */
	    MOV64_IMM(BPF_REG_1, PM_STACK_MARK),
	    STX_W(BPF_REG_6, BPF_REG_1, SKB(mark)),
	    MOV64_IMM(BPF_REG_1, ifindex),
	    MOV64_IMM(BPF_REG_2, BPF_F_INGRESS),
	    CALL(HELPER_REDIRECT),
	    EXIT(),
	};
	char log[4096] = "";
	LIBBPF_OPTS(bpf_prog_load_opts, opts,
		    .expected_attach_type = ATTACH_TCX_EGRESS);
	int fd;

	if (pm_debug) {
		opts.log_buf = log;
		opts.log_size = sizeof(log);
		opts.log_level = 1;
	}
	fd =
	    bpf_prog_load(BPF_PROG_TYPE_SCHED_CLS, "pktmap_out", "Dual BSD/GPL",
			  prog, sizeof(prog) / sizeof(prog[0]), &opts);
	if (fd < 0 && log[0])
		pm_log("verifier: %s", log);
	return fd;
}

/* ---- capabilities, lock ----------------------------------------------------
 */

/* Names the capabilities a detach needs that this process lacks. */
static void explain_eperm(const char *ifname)
{
	struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct data[2] = {{0, 0, 0}, {0, 0, 0}};
	static const struct {
		int cap;
		const char *name;
	} need[] = {{CAP_NET_ADMIN, "CAP_NET_ADMIN"}, {39, "CAP_BPF"}};

	if (syscall(SYS_capget, &hdr, data) < 0)
		return;
	for (size_t i = 0; i < sizeof(need) / sizeof(need[0]); i++) {
		int c = need[i].cap;
		if (!(data[c / 32].effective & (1u << (c % 32))))
			pm_log("%s: detaching from the stack needs %s "
			       "(or set PKTMAP_DETACH=0)",
			       ifname, need[i].name);
	}
}

/*
 * The detach lock, per interface of a network namespace, is shared by all
 * users: root's is a flock on a 0600 file in root's /run/pktmap, which no
 * other user can open, so none can take or block it.  Other users (with
 * CAP_NET_ADMIN) keep an abstract socket name, which anyone could squat;
 * root does not see those, nor they root's.
 */
static int root_lock_file(int ifindex, int flags)
{
	struct stat st = {0};
	char path[96];
	int fd;

	if (mkdir("/run/pktmap", 0755) < 0 && errno != EEXIST)
		return -errno;
	if (lstat("/run/pktmap", &st) < 0 || !S_ISDIR(st.st_mode) ||
	    st.st_uid != 0 || (st.st_mode & 022)) {
		pm_log("/run/pktmap is not root's own directory: refusing it");
		return -EACCES;
	}
	stat("/proc/self/ns/net", &st);
	snprintf(path, sizeof(path), "/run/pktmap/detach.%lu.%d",
		 (unsigned long)st.st_ino, ifindex);
	fd = open(path, flags | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != 0) {
		pm_libc.close(fd);
		return -EACCES;
	}
	return fd;
}

static socklen_t user_lock_address(int ifindex, struct sockaddr_un *sun)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	/* abstract: per network namespace, like the ifindex */
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
			   (size_t)snprintf(sun->sun_path + 1,
					    sizeof(sun->sun_path) - 1,
					    "pktmap/detach/%d", ifindex));
}

static int take_lock(const char *ifname, int ifindex)
{
	struct sockaddr_un sun;
	socklen_t len = user_lock_address(ifindex, &sun);
	int fd, err = 0;

	if (geteuid() == 0) {
		fd = err = root_lock_file(ifindex, O_RDWR | O_CREAT);
		if (fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) < 0)
			err = errno == EWOULDBLOCK ? -EBUSY : -errno;
	} else {
		fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		err = fd < 0 ? -errno : 0;
		if (fd >= 0 && bind(fd, (struct sockaddr *)&sun, len) < 0)
			err = errno == EADDRINUSE ? -EBUSY : -errno;
	}
	if (err < 0) {
		if (err == -EBUSY)
			pm_log("%s: already detached by another process",
			       ifname);
		if (fd >= 0)
			pm_libc.close(fd);
		return err;
	}
	return fd;
}

bool pm_host_detached(int ifindex)
{
	struct sockaddr_un sun;
	socklen_t len = user_lock_address(ifindex, &sun);
	int fd = root_lock_file(ifindex, O_RDONLY);
	bool held = fd >= 0 && flock(fd, LOCK_SH | LOCK_NB) < 0;

	if (fd >= 0)
		pm_libc.close(fd);
	fd = held ? -1 : socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd >= 0) {
		held = bind(fd, (struct sockaddr *)&sun, len) < 0 &&
		       errno == EADDRINUSE;
		pm_libc.close(fd);
	}
	return held;
}

/* ---- detach, reattach -----------------------------------------------------
 */

static int map_ringbuf(struct pm_host *h)
{
	h->page = (size_t)sysconf(_SC_PAGESIZE);
	h->cons_page = mmap(NULL, h->page, PROT_READ | PROT_WRITE, MAP_SHARED,
			    h->ringbuf_fd, 0);
	if (h->cons_page == MAP_FAILED) {
		h->cons_page = NULL;
		return -errno;
	}
	/* the kernel maps the data twice in a row: records never wrap */
	h->prod_area =
	    mmap(NULL, h->page + 2 * (size_t)RINGBUF_BYTES, PROT_READ,
		 MAP_SHARED, h->ringbuf_fd, (off_t)h->page);
	if (h->prod_area == MAP_FAILED) {
		h->prod_area = NULL;
		return -errno;
	}
	return 0;
}

void pm_host_reattach(struct pm_host *h)
{
	if (!h)
		return;
	for (int i = 0; i < 2; i++) {
		if (h->link_fd[i] >= 0)
			pm_libc.close(h->link_fd[i]);
		if (h->prog_fd[i] >= 0)
			pm_libc.close(h->prog_fd[i]);
	}
	if (h->prod_area)
		munmap(h->prod_area, h->page + 2 * (size_t)RINGBUF_BYTES);
	if (h->cons_page)
		munmap(h->cons_page, h->page);
	if (h->ringbuf_fd >= 0)
		pm_libc.close(h->ringbuf_fd);
	if (h->lost_fd >= 0)
		pm_libc.close(h->lost_fd);
	if (h->lock_fd >= 0)
		pm_libc.close(h->lock_fd);
	free(h);
}

static int attach_programs(struct pm_host *h, const char *ifname, int ifindex)
{
	h->prog_fd[0] = load_ingress();
	h->prog_fd[1] =
	    load_egress(ifindex, h->ringbuf_fd, h->lost_fd, h->maxlen);
	if (h->prog_fd[0] < 0 || h->prog_fd[1] < 0)
		return h->prog_fd[0] < 0 ? h->prog_fd[0] : h->prog_fd[1];
	h->link_fd[0] =
	    bpf_link_create(h->prog_fd[0], ifindex, ATTACH_TCX_INGRESS, NULL);
	if (h->link_fd[0] >= 0)
		h->link_fd[1] = bpf_link_create(h->prog_fd[1], ifindex,
						ATTACH_TCX_EGRESS, NULL);
	if (h->link_fd[0] < 0 || h->link_fd[1] < 0) {
		int err = h->link_fd[0] < 0 ? h->link_fd[0] : h->link_fd[1];
		if (err == -EINVAL)
			pm_log("%s: tcx links need Linux 6.6 or later", ifname);
		return err;
	}
	return 0;
}

int pm_host_detach(const char *ifname, int ifindex, uint32_t maxlen,
		   struct pm_host **out)
{
	struct pm_host *h = calloc(1, sizeof(*h));
	int err;

	if (!h)
		return -ENOMEM;
	h->ringbuf_fd = h->lost_fd = -1;
	h->prog_fd[0] = h->prog_fd[1] = h->link_fd[0] = h->link_fd[1] = -1;
	h->maxlen = maxlen;
	h->lock_fd = err = take_lock(ifname, ifindex);
	if (err < 0)
		goto fail;
	h->ringbuf_fd = err = bpf_map_create(
	    BPF_MAP_TYPE_RINGBUF, "pktmap_host", 0, 0, RINGBUF_BYTES, NULL);
	if (err >= 0)
		h->lost_fd = err = bpf_map_create(BPF_MAP_TYPE_ARRAY,
						  "pktmap_lost", 4, 8, 1, NULL);
	if (err < 0)
		goto fail;
	err = map_ringbuf(h);
	if (!err)
		err = attach_programs(h, ifname, ifindex);
	if (err)
		goto fail;
	pm_log("%s: detached from the stack", ifname);
	*out = h;
	return 0;
fail:
	if (err == -EPERM || err == -EACCES)
		explain_eperm(ifname);
	if (err != -EBUSY)
		pm_log("%s: detach: %s", ifname, strerror(-err));
	pm_host_reattach(h);
	return err;
}

int pm_host_wait_fd(const struct pm_host *h)
{
	return h->ringbuf_fd;
}

uint64_t pm_host_drops(const struct pm_host *h)
{
	uint32_t key = 0;
	uint64_t lost = 0;

	bpf_map_lookup_elem(h->lost_fd, &key, &lost);
	return lost + atomic_load(&h->too_big);
}

/* ---- the host rx ring -------------------------------------------------------
 */

/*
 * What the stack hands to tc egress is not yet what goes on the wire: TCP
 * leaves its checksum to the transmit path, and sends GSO frames that the
 * kernel cuts into segments after tc.  The host rx ring gets wire frames,
 * so both are done here.
 */

#define NEVER_FITS UINT32_MAX

static uint32_t slots_for(const struct pm_kring *k, uint32_t len)
{
	return len ? (len + k->buf_size - 1) / k->buf_size : 1;
}

/*
 * Slots the frame takes in @room: 0 if not now, NEVER_FITS if not even in
 * an empty ring (a GSO frame cut small): waiting would stall the ring.
 */
static uint32_t fits(const struct pm_kring *k, uint64_t need, uint32_t room)
{
	if (need > k->nslots - 1)
		return NEVER_FITS;
	return need <= room ? (uint32_t)need : 0;
}

/* Slots of @plen payload bytes cut in segments of @mss after @hlen. */
static uint64_t segments_slots(const struct pm_kring *k, uint32_t hlen,
			       uint32_t plen, uint32_t mss)
{
	uint32_t rest = plen % mss;

	return (uint64_t)(plen / mss) * slots_for(k, hlen + mss) +
	       (rest || !plen ? slots_for(k, hlen + rest) : 0);
}

/* Puts the frame as it is into slots from *i: 1, or 0 or NEVER_FITS. */
static uint32_t put_frame(struct pm_kring *k, uint32_t *i, uint32_t room,
			  const uint8_t *p, uint32_t len)
{
	struct pm_piece pc = {p, len};
	uint32_t need = fits(k, slots_for(k, len), room);

	if (need == 0 || need == NEVER_FITS)
		return need;
	*i = (*i + pm_scatter(k, *i, &pc, 1, need)) % k->nslots;
	return 1;
}

/*
 * Puts the frame of @len bytes into slots from *i as wire frames: cut at
 * @gso bytes of TCP payload if it is a GSO frame, checksums finished.
 * Returns the frames put, 0 or NEVER_FITS as fits() says.
 */
static uint32_t put_wire_frames(struct pm_kring *k, uint32_t *i, uint32_t room,
				const uint8_t *p, uint32_t len, uint32_t gso)
{
	struct pm_l4 f;

	if (!pm_l4_parse(p, len, &f))
		return put_frame(k, i, room, p, len);
	const uint8_t *payload = p + f.hlen;
	uint32_t plen = len - f.hlen;
	uint32_t mss = f.proto == IPPROTO_TCP && gso && plen > gso ? gso : plen;
	uint32_t nseg = plen ? (plen + mss - 1) / mss : 1;
	uint32_t need =
	    fits(k, segments_slots(k, f.hlen, plen, mss ? mss : 1), room);

	if (need == 0 || need == NEVER_FITS)
		return need;
	uint32_t seq = f.proto == IPPROTO_TCP
			   ? (uint32_t)pm_get16(f.hdr + f.l4 + 4) << 16 |
				 pm_get16(f.hdr + f.l4 + 6)
			   : 0;
	uint16_t id = f.v6 ? 0 : pm_get16(f.hdr + f.l3 + 4);
	uint8_t flags = f.proto == IPPROTO_TCP ? f.hdr[f.l4 + 13] : 0;
	for (uint32_t s = 0, off = 0; s < nseg; s++, off += mss) {
		uint32_t n = plen - off < mss ? plen - off : mss;
		if (nseg > 1) { /* as the kernel's TCP segmentation does */
			uint32_t sq = seq + off;
			pm_put16(f.hdr + f.l4 + 4, sq >> 16);
			pm_put16(f.hdr + f.l4 + 6, sq);
			f.hdr[f.l4 + 13] = flags;
			if (s + 1 < nseg) /* FIN and PSH: last segment only */
				f.hdr[f.l4 + 13] &= (uint8_t)~0x09;
			if (s > 0) /* CWR: first segment only */
				f.hdr[f.l4 + 13] &= (uint8_t)~0x80;
			if (!f.v6)
				pm_put16(f.hdr + f.l3 + 4, (uint16_t)(id + s));
		}
		pm_l4_finish(&f, payload + off, n);
		struct pm_piece pc[2] = {{f.hdr, f.hlen}, {payload + off, n}};
		*i = (*i + pm_scatter(k, *i, pc, 2, slots_for(k, f.hlen + n))) %
		     k->nslots;
	}
	return nseg;
}

/* Drains the ring buffer into the host rx ring's free slots. */
int pm_host_rxsync(struct pm_kring *k, struct pm_host *h)
{
	uint64_t *cons_pos = (uint64_t *)h->cons_page;
	uint64_t *prod_pos = (uint64_t *)h->prod_area;
	const uint8_t *data = h->prod_area + h->page;
	uint64_t cons = *cons_pos;
	uint64_t prod = __atomic_load_n(prod_pos, __ATOMIC_ACQUIRE);
	uint32_t i = k->hwtail, stop = pm_prev(k, k->hwcur);
	uint32_t room = (stop + k->nslots - i) % k->nslots;

	while (cons < prod) {
		const uint32_t *hdr =
		    (const uint32_t *)(data + (cons & (RINGBUF_BYTES - 1)));
		uint32_t len = __atomic_load_n(hdr, __ATOMIC_ACQUIRE);
		if (len & BPF_RINGBUF_BUSY_BIT)
			break;
		if (!(len & BPF_RINGBUF_DISCARD_BIT)) {
			/* wire length, copied length, gso size, bytes */
			const uint32_t *rec = hdr + 2;
			const uint8_t *frame = (const uint8_t *)rec + REC_HDR;
			uint32_t start = i, n;
			if (rec[1] < rec[0]) { /* cut: left as it is */
				n = put_frame(k, &i, room, frame, rec[1]);
				k->truncated += n == 1;
			} else {
				n = put_wire_frames(k, &i, room, frame, rec[1],
						    rec[2]);
			}
			if (!n)
				break; /* waits for room */
			if (n == NEVER_FITS) {
				atomic_fetch_add(&h->too_big, 1);
			} else {
				room -= (i + k->nslots - start) % k->nslots;
				k->packets += n;
				k->bytes += rec[0];
			}
		}
		len &= ~(BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT);
		cons += (BPF_RINGBUF_HDR_SZ + len + 7) & ~7ull;
		__atomic_store_n(cons_pos, cons, __ATOMIC_RELEASE);
	}
	k->hwtail = i;
	return 0;
}
