// SPDX-License-Identifier: BSD-2-Clause
/*
 * hostile_rings -- the datapath's trust boundary.  A receiver that
 * scribbles its own rx ring (buf_ofs, buffer indexes past the pool, random
 * bytes) must not crash or corrupt its senders: VALE ports and monitors.
 * An application that scribbles its own rings gets EINVAL, never a crash
 * (VALE, pipe, lo).  A second thread flipping NS_MOREFRAG while a txsync
 * runs cannot overflow anything.  A VALE port closed in a loop while
 * another process sends to it, and a sender stopped (SIGSTOP) while it may
 * hold a ring, cost the other senders nothing but counted drops.
 *
 * Runs as root in a fresh network namespace whose only interface is lo.
 */
#include "check.h"

#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <pktmap.h>

struct port {
	int fd;
	struct nmreq_register reg;
	void *mem;
	struct netmap_ring *tx, *rx;
	int64_t tx_ofs, rx_ofs; /* buf_ofs as the library set it */
};

static const uint8_t MAC_S[6] = {2, 0, 0, 0, 0, 0x51};
static const uint8_t MAC_G[6] = {2, 0, 0, 0, 0, 0x61};
static const uint8_t MAC_R[6] = {2, 0, 0, 0, 0, 0x71};
static const uint8_t MAC_X[6] = {2, 0, 0, 0, 0, 0x81};
static const uint8_t BCAST[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

#define FRAME_LEN 60

static int open_port(struct port *p, const char *name, uint64_t flags)
{
	memset(p, 0, sizeof(*p));
	p->fd = nmt_open();
	nmt_reg_init(&p->reg, NR_REG_ALL_NIC, 0);
	p->reg.nr_flags = flags;
	if (nmt_register(p->fd, name, &p->reg) < 0) {
		int err = errno;
		close(p->fd);
		errno = err;
		return -1;
	}
	p->mem = nmt_mmap(p->fd, &p->reg);
	struct netmap_if *nifp = NETMAP_IF(p->mem, p->reg.nr_offset);
	p->tx = p->reg.nr_tx_rings ? NETMAP_TXRING(nifp, 0) : NULL;
	p->rx = NETMAP_RXRING(nifp, 0);
	p->tx_ofs = p->tx ? p->tx->buf_ofs : 0;
	p->rx_ofs = p->rx->buf_ofs;
	return 0;
}

static void close_port(struct port *p)
{
	munmap(p->mem, p->reg.nr_memsize);
	close(p->fd);
}

/* A buffer as the library placed it, whatever buf_ofs says now. */
static uint8_t *buf(struct netmap_ring *r, int64_t ofs, uint32_t idx)
{
	return (uint8_t *)r + ofs + (size_t)idx * r->nr_buf_size;
}

/* Byte i of frame @tag: dst, src, then a pattern. */
static uint8_t frame_byte(uint8_t tag, uint32_t i)
{
	return (uint8_t)(tag * 7 + i);
}

/* Puts one frame on @p's tx ring without syncing. */
static void queue_frame(struct port *p, const uint8_t *dst, const uint8_t *src,
			uint8_t tag)
{
	struct netmap_slot *s = &p->tx->slot[p->tx->head];
	uint8_t *b = buf(p->tx, p->tx_ofs, s->buf_idx);

	memcpy(b, dst, 6);
	memcpy(b + 6, src, 6);
	b[12] = 0x88; /* local experimental ethertype */
	b[13] = 0xb5;
	for (uint32_t i = 14; i < FRAME_LEN; i++)
		b[i] = frame_byte(tag, i);
	s->len = FRAME_LEN;
	s->flags = 0;
	p->tx->head = p->tx->cur = nm_ring_next(p->tx, p->tx->head);
}

static void send_n(struct port *p, const uint8_t *dst, const uint8_t *src,
		   int n, uint8_t tag)
{
	for (int i = 0; i < n; i++)
		queue_frame(p, dst, src, tag);
	CHECK_OK(ioctl(p->fd, NIOCTXSYNC, NULL), "txsync of %d frames", n);
}

/*
 * Takes every frame waiting on @p; counts in *good those from @src whose
 * bytes are exactly what queue_frame put for @tag; returns how many frames
 * there were, of any kind.
 */
static int drain(struct port *p, const uint8_t *src, uint8_t tag, int *good)
{
	int frames = 0;

	ioctl(p->fd, NIOCRXSYNC, NULL);
	while (!nm_ring_empty(p->rx)) {
		struct netmap_slot *s = &p->rx->slot[p->rx->head];
		const uint8_t *b = buf(p->rx, p->rx_ofs, s->buf_idx);
		bool ok = s->len == FRAME_LEN && !(s->flags & NS_MOREFRAG) &&
			  memcmp(b + 6, src, 6) == 0 && b[12] == 0x88 &&
			  b[13] == 0xb5;
		for (uint32_t i = 14; ok && i < FRAME_LEN; i++)
			ok = b[i] == frame_byte(tag, i);
		*good += ok;
		frames++;
		p->rx->head = p->rx->cur = nm_ring_next(p->rx, p->rx->head);
	}
	ioctl(p->fd, NIOCRXSYNC, NULL);
	return frames;
}

static uint64_t rx_drops(struct port *p)
{
	struct pktmap_stats st;

	MUST_OK(pktmap_stats_get(p->fd, &st), "pktmap_stats_get");
	return st.rx_drops;
}

static uint64_t tx_errors(struct port *p)
{
	struct pktmap_stats st;

	MUST_OK(pktmap_stats_get(p->fd, &st), "pktmap_stats_get");
	return st.tx_errors;
}

/* ---- scribbling --------------------------------------------------------- */

enum scribble {
	BAD_BUF_OFS,
	IDX_POOL,     /* the pool's size: the first index past it */
	IDX_POOL_1,   /* one more */
	IDX_MAX,      /* 0xffffffff */
	RANDOM_BYTES, /* over the slot array and the ring's header */
	NSCRIBBLES
};

static const char *const scribble_name[] = {
    "buf_ofs", "buf_idx = pool size", "buf_idx = pool size + 1",
    "buf_idx = 0xffffffff", "random bytes"};

/* What a hostile owner does to its own rx ring's free slots (all of them). */
static void scribble(struct netmap_ring *r, enum scribble how, uint32_t pool)
{
	uint32_t n = r->num_slots;

	switch (how) {
	case BAD_BUF_OFS:
		*(int64_t *)&r->buf_ofs = 0x7ff000000000ll;
		break;
	case IDX_POOL:
	case IDX_POOL_1:
	case IDX_MAX:
		for (uint32_t i = 0; i < n; i++)
			r->slot[i].buf_idx = how == IDX_POOL	 ? pool
					     : how == IDX_POOL_1 ? pool + 1
								 : 0xffffffffu;
		break;
	default:
		srandom(8);
		for (size_t i = 0; i < n * sizeof(struct netmap_slot); i++)
			((uint8_t *)r->slot)[i] = (uint8_t)random();
		*(uint32_t *)&r->num_slots = (uint32_t)random();
		*(int64_t *)&r->buf_ofs = (int64_t)random() << 20;
		break;
	}
}

/* Buffers in the pool of port @name's memory. */
static uint32_t pool_size(const char *name)
{
	struct nmreq_pools_info pi = {0};
	struct nmreq_header hdr;
	int fd = nmt_open();

	nmt_hdr(&hdr, NETMAP_REQ_POOLS_INFO_GET, name, &pi);
	MUST_OK(ioctl(fd, NIOCCTRL, &hdr), "POOLS_INFO_GET %s", name);
	close(fd);
	return pi.nr_buf_pool_objtotal;
}

/* ---- a peer in a process of its own -------------------------------------- */

struct peer {
	pid_t pid;
	int cmd; /* our end of a socketpair */
};

static void peer_start(struct peer *pr, void (*body)(int sock, void *arg),
		       void *arg)
{
	int sv[2];

	MUST_OK(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), "socketpair");
	pr->pid = fork();
	MUST_OK(pr->pid, "fork");
	if (pr->pid == 0) {
		close(sv[0]);
		body(sv[1], arg);
		_exit(0);
	}
	close(sv[1]);
	pr->cmd = sv[0];
}

static char peer_answer(struct peer *pr)
{
	char a = 0;

	CHECK(read(pr->cmd, &a, 1) == 1, "the peer answered");
	return a;
}

/* Sends @c and waits for the peer's answer, which is returned. */
static char peer_ask(struct peer *pr, char c)
{
	CHECK(write(pr->cmd, &c, 1) == 1, "command to the peer");
	return peer_answer(pr);
}

static int peer_wait(struct peer *pr)
{
	int st = 0;

	close(pr->cmd);
	waitpid(pr->pid, &st, 0);
	return st;
}

struct hostile {
	const char *name;
	uint64_t flags; /* a monitor's, or 0 for a VALE port */
	uint32_t pool;
};

/*
 * The hostile receiver: opens its port (a VALE port learned as MAC_R, or
 * a monitor), then scribbles its rx ring as each command says.
 */
static void hostile_body(int sock, void *arg)
{
	struct hostile *h = arg;
	struct port p;
	char c;

	if (open_port(&p, h->name, h->flags) < 0)
		_exit(2);
	if (!h->flags)
		send_n(&p, BCAST, MAC_R, 1, 0);
	c = 'r';
	if (write(sock, &c, 1) != 1)
		_exit(3);
	while (read(sock, &c, 1) == 1 && c != 'q') {
		scribble(p.rx, (enum scribble)c, h->pool);
		if (write(sock, &c, 1) != 1)
			_exit(3);
	}
	_exit(0);
}

/* Every buffer index of the rings of @ps: in the pool, none twice. */
static void check_no_buffer_twice(struct port **ps, int n, uint32_t pool)
{
	uint8_t *seen = calloc(pool, 1);
	int bad = 0, twice = 0;

	for (int i = 0; i < n; i++) {
		struct netmap_ring *rings[2] = {ps[i]->tx, ps[i]->rx};
		for (int r = 0; r < 2; r++) {
			for (uint32_t s = 0;
			     rings[r] && s < rings[r]->num_slots; s++) {
				uint32_t idx = rings[r]->slot[s].buf_idx;
				if (idx < 2 || idx >= pool)
					bad++;
				else if (seen[idx]++)
					twice++;
			}
		}
	}
	free(seen);
	CHECK_EQ(bad, 0, "every slot of the ports names a buffer of the pool");
	CHECK_EQ(twice, 0, "no buffer is in two slots");
}

/*
 * Sender s and healthy port g on switch @sw, and a hostile receiver (a
 * port r, or a monitor of s or g): whatever the receiver does to its own
 * ring, s's frames reach g exactly, and no buffer ends up twice.
 */
static void hostile_receiver(const char *sw, const char *what, uint64_t flags)
{
	char ns[32], ng[32], nh[32], nn[32];
	struct port s, g, n;
	struct peer pr;
	int good = 0;

	snprintf(ns, sizeof(ns), "%s:s", sw);
	snprintf(ng, sizeof(ng), "%s:g", sw);
	snprintf(nn, sizeof(nn), "%s:n", sw);
	snprintf(nh, sizeof(nh), "%s:%s", sw, what);
	MUST_OK(open_port(&s, ns, 0), "open %s", ns);
	MUST_OK(open_port(&g, ng, 0), "open %s", ng);
	send_n(&g, BCAST, MAC_G, 1, 0); /* learned */
	struct hostile h = {nh, flags, pool_size(ns)};
	peer_start(&pr, hostile_body, &h);
	CHECK_EQ(peer_answer(&pr), 'r', "%s opened by another process", nh);
	drain(&g, MAC_S, 0, &good);
	for (int v = 0; v < NSCRIBBLES; v++) {
		uint8_t tag = (uint8_t)(10 + v);
		CHECK_EQ(peer_ask(&pr, (char)v), v, "%s scribbles: %s", nh,
			 scribble_name[v]);
		for (int round = 0; round < 3; round++) {
			good = 0;
			send_n(&s, BCAST, MAC_S, 4, tag);
			if (!flags)
				send_n(&s, MAC_R, MAC_S, 4, tag);
			send_n(&s, MAC_G, MAC_S, 4, tag);
			CHECK_EQ(drain(&g, MAC_S, tag, &good), 8,
				 "%s: g got 8 frames", scribble_name[v]);
			CHECK_EQ(good, 8, "... byte for byte");
		}
	}
	CHECK(write(pr.cmd, "q", 1) == 1, "quit");
	CHECK_EQ(peer_wait(&pr), 0, "the hostile receiver exited normally");
	MUST_OK(open_port(&n, nn, 0), "open %s after the attack", nn);
	struct port *ps[] = {&s, &g, &n};
	check_no_buffer_twice(ps, 3, h.pool);
	close_port(&n);
	close_port(&g);
	close_port(&s);
}

/* ---- an application against its own rings -------------------------------- */

/* VALE: the library ignores buf_ofs; free rx slots broken cost drops. */
static void own_rings_vale(void)
{
	struct port s, g;
	int good = 0;

	MUST_OK(open_port(&s, "valeh2:s", 0), "open valeh2:s");
	MUST_OK(open_port(&g, "valeh2:g", 0), "open valeh2:g");
	send_n(&g, BCAST, MAC_G, 1, 0);
	send_n(&s, BCAST, MAC_S, 1, 0);
	drain(&g, MAC_S, 0, &good);
	drain(&s, MAC_G, 0, &good);

	*(int64_t *)&s.tx->buf_ofs = 0x7ff000000000ll;
	send_n(&s, MAC_G, MAC_S, 5, 1);
	good = 0;
	CHECK_EQ(drain(&g, MAC_S, 1, &good), 5,
		 "vale: tx buf_ofs scribbled, the frames go all the same");
	CHECK_EQ(good, 5, "... byte for byte");
	*(int64_t *)&s.tx->buf_ofs = s.tx_ofs;

	uint64_t drops = rx_drops(&s);
	for (uint32_t i = 0; i < s.rx->num_slots; i++)
		s.rx->slot[i].buf_idx = 0xffffffffu;
	send_n(&g, MAC_S, MAC_G, 3, 2);
	CHECK_EQ(rx_drops(&s) - drops, 3,
		 "vale: rx slots scribbled, the 3 frames sent to them dropped");
	close_port(&g);
	close_port(&s);
}

/* A pipe: bad buffers never cross; the receiver's release of them fails. */
static void own_rings_pipe(void)
{
	struct port m, sl;

	MUST_OK(open_port(&m, "lo{71", 0), "open lo{71");
	MUST_OK(open_port(&sl, "lo}71", 0), "open lo}71");
	uint32_t pool = pool_size("lo{71");
	*(int64_t *)&sl.rx->buf_ofs = 0x7ff000000000ll;
	for (uint32_t i = 0; i < sl.rx->num_slots; i++)
		sl.rx->slot[i].buf_idx = 0xffffffffu;
	send_n(&m, MAC_G, MAC_S, 4, 3);
	CHECK_EQ(tx_errors(&m), 4, "pipe: 4 frames met bad peer slots");
	bool ok = true;
	for (uint32_t i = 0; i < m.tx->num_slots; i++)
		ok &=
		    m.tx->slot[i].buf_idx >= 2 && m.tx->slot[i].buf_idx < pool;
	CHECK(ok, "pipe: no bad index came back to the sender");
	CHECK_OK(ioctl(sl.fd, NIOCRXSYNC, NULL), "pipe: rxsync");
	CHECK_EQ(nm_ring_space(sl.rx), 4, "pipe: 4 slots arrived");
	CHECK_EQ(sl.rx->slot[sl.rx->head].len, 0, "... empty");
	uint32_t head = sl.rx->head, tail = sl.rx->tail;
	sl.rx->head = sl.rx->cur = sl.rx->tail;
	CHECK_ERR(ioctl(sl.fd, NIOCRXSYNC, NULL), EINVAL,
		  "pipe: releasing slots of bad indexes: EINVAL");
	CHECK(sl.rx->head == head && sl.rx->cur == head && sl.rx->tail == tail,
	      "... the ring reinit: head %u cur %u tail %u", sl.rx->head,
	      sl.rx->cur, sl.rx->tail);
	CHECK_EQ(sl.rx->slot[head].buf_idx, 0, "... the bad index cleared");
	close_port(&sl);
	close_port(&m);
}

/* lo through AF_PACKET: tx buf_ofs ignored; free rx slots broken: EINVAL. */
static void own_rings_nic(void)
{
	struct port p;
	int err = 0;

	MUST_OK(open_port(&p, "lo", 0), "open lo");
	*(int64_t *)&p.tx->buf_ofs = 0x7ff000000000ll;
	send_n(&p, BCAST, MAC_S, 1, 4);
	CHECK_EQ(tx_errors(&p), 0, "lo: tx buf_ofs scribbled, frame sent");
	for (uint32_t i = 0; i < p.rx->num_slots; i++)
		p.rx->slot[i].buf_idx = 0xffffffffu;
	for (int tries = 0; tries < 400 && !err; tries++) {
		if (ioctl(p.fd, NIOCRXSYNC, NULL) < 0)
			err = errno;
		else
			usleep(5000); /* the kernel's block retires in 1 ms */
	}
	CHECK_EQ(err, EINVAL, "lo: a frame for rx slots scribbled: EINVAL");
	uint32_t cleared = 0;
	for (uint32_t i = 0; i < p.rx->num_slots; i++)
		cleared += p.rx->slot[i].buf_idx == 0;
	CHECK_EQ(cleared, p.rx->num_slots, "... the ring reinit: indexes 0");
	close_port(&p);
}

/* ---- NS_MOREFRAG flipped while a txsync reads the slots ------------------ */

struct flipper {
	struct netmap_ring *ring;
	atomic_bool stop;
};

/* Sets NS_MOREFRAG on every slot, then clears it, as fast as it can. */
static void *flip(void *arg)
{
	struct flipper *f = arg;
	uint32_t n = f->ring->num_slots;

	while (!atomic_load_explicit(&f->stop, memory_order_relaxed))
		for (int on = 0; on < 2; on++)
			for (uint32_t i = 0; i < n; i++)
				((volatile uint16_t *)&f->ring->slot[i]
				     .flags)[0] = on ? NS_MOREFRAG : 0;
	return NULL;
}

/*
 * @p sends 200 frames a sync while a thread flips NS_MOREFRAG under it;
 * each sync succeeds or fails with EINVAL (the prologue saw a chain too
 * long), nothing overflows.  @g then receives a clean batch exactly.
 */
static void morefrag_race(struct port *p, struct port *g, const char *what)
{
	struct flipper f = {.ring = p->tx};
	pthread_t t;
	int other = 0, good = 0;

	pthread_create(&t, NULL, flip, &f);
	for (int it = 0; it < 3000; it++) {
		for (int i = 0; i < 200; i++) {
			struct netmap_slot *s = &p->tx->slot[p->tx->head];
			uint8_t *b = buf(p->tx, p->tx_ofs, s->buf_idx);
			memcpy(b, MAC_G, 6);
			memcpy(b + 6, MAC_S, 6);
			s->len = FRAME_LEN;
			p->tx->head = p->tx->cur =
			    nm_ring_next(p->tx, p->tx->head);
		}
		if (ioctl(p->fd, NIOCTXSYNC, NULL) < 0 && errno != EINVAL)
			other++;
		if (g && it % 4 == 0)
			drain(g, MAC_S, 0, &good);
	}
	atomic_store(&f.stop, true);
	pthread_join(t, NULL);
	CHECK_EQ(other, 0,
		 "%s: 3000 syncs under a MOREFRAG flipper: 0 or "
		 "EINVAL",
		 what);
	if (!g)
		return;
	/* a chain the flipper left pending completes and goes first */
	for (uint32_t i = 0; i < p->tx->num_slots; i++)
		p->tx->slot[i].flags &= (uint16_t)~NS_MOREFRAG;
	ioctl(p->fd, NIOCTXSYNC, NULL);
	while (drain(g, MAC_S, 0, &good) > 0)
		;
	good = 0;
	send_n(p, MAC_G, MAC_S, 6, 5);
	CHECK_EQ(drain(g, MAC_S, 5, &good), 6, "%s: then 6 frames arrive",
		 what);
	CHECK_EQ(good, 6, "... byte for byte");
}

static void morefrag_races(void)
{
	struct port s, g, lo;

	MUST_OK(open_port(&s, "valeh3:s", 0), "open valeh3:s");
	MUST_OK(open_port(&g, "valeh3:g", 0), "open valeh3:g");
	send_n(&g, BCAST, MAC_G, 1, 0);
	morefrag_race(&s, &g, "vale");
	close_port(&g);
	close_port(&s);
	MUST_OK(open_port(&lo, "lo", 0), "open lo");
	morefrag_race(&lo, NULL, "lo");
	close_port(&lo);
}

/* ---- a VALE port closed while another process sends to it -----------------
 */

/* Opens valeh4:x, makes itself known, closes it; 1000 times. */
static void flapping_body(int sock, void *arg)
{
	struct port x;

	(void)arg;
	for (int i = 0; i < 1000; i++) {
		if (open_port(&x, "valeh4:x", 0) < 0)
			_exit(2);
		send_n(&x, BCAST, MAC_X, 1, 0);
		close_port(&x);
	}
	char c = 'd';
	if (write(sock, &c, 1) != 1)
		_exit(3);
	_exit(0);
}

#define IDLE_PORTS 60

/*
 * x comes and goes while s sends to it, to g, and to everyone: a flood
 * passes IDLE_PORTS ports before x's, so x often goes while s is on its
 * way to it.  s's frames to g arrive exactly.
 */
static void close_while_sending(void)
{
	struct port s, g, idle[IDLE_PORTS];
	struct peer pr;
	int sent = 0, good = 0;

	MUST_OK(open_port(&s, "valeh4:s", 0), "open valeh4:s");
	MUST_OK(open_port(&g, "valeh4:g", 0), "open valeh4:g");
	for (int i = 0; i < IDLE_PORTS; i++) {
		char name[32];
		snprintf(name, sizeof(name), "valeh4:i%d", i);
		idle[i].fd = nmt_open();
		nmt_reg_init(&idle[i].reg, NR_REG_ALL_NIC, 0);
		idle[i].reg.nr_tx_slots = idle[i].reg.nr_rx_slots = 64;
		MUST_OK(nmt_register(idle[i].fd, name, &idle[i].reg), "open %s",
			name);
	}
	send_n(&g, BCAST, MAC_G, 1, 0);
	peer_start(&pr, flapping_body, NULL);
	struct pollfd pfd = {pr.cmd, POLLIN, 0};
	while (poll(&pfd, 1, 0) == 0) {
		send_n(&s, MAC_X, MAC_S, 8,
		       7); /* flooded to g when x is gone */
		send_n(&s, BCAST, MAC_S, 4, 6);
		send_n(&s, MAC_G, MAC_S, 8, 6);
		sent += 12;
		drain(&g, MAC_S, 6, &good);
	}
	CHECK_EQ(peer_answer(&pr), 'd',
		 "valeh4:x opened and closed 1000 times");
	CHECK_EQ(peer_wait(&pr), 0, "... normally");
	drain(&g, MAC_S, 6, &good);
	CHECK(sent > 0, "s sent %d frames to g meanwhile", sent);
	CHECK_EQ(rx_drops(&g), 0, "g dropped nothing");
	CHECK_EQ(good, sent, "g got its frames byte for byte");
	for (int i = 0; i < IDLE_PORTS; i++)
		close(idle[i].fd);
	close_port(&g);
	close_port(&s);
}

/* ---- a sender stopped while it may hold the ring ------------------------- */

#define STOPS	    30
#define A_PER_SYNC  32
#define B_PER_ROUND 16

/* Sends frames to g as fast as it can until told; reports the count. */
static void busy_sender_body(int sock, void *arg)
{
	struct port a;
	struct pktmap_stats st;
	struct pollfd pfd = {sock, POLLIN, 0};

	(void)arg;
	if (open_port(&a, "valeh5:a", 0) < 0)
		_exit(2);
	char c = 'r';
	if (write(sock, &c, 1) != 1)
		_exit(3);
	while (poll(&pfd, 1, 0) == 0)
		for (int i = 0; i < 16; i++)
			send_n(&a, MAC_G, MAC_R, A_PER_SYNC, 8);
	/* the 'q' is read: an unread byte at exit would reset the stream
	 * before the parent reads the count */
	if (read(sock, &c, 1) != 1 || pktmap_stats_get(a.fd, &st) < 0 ||
	    write(sock, &st.tx_packets, sizeof(st.tx_packets)) !=
		(ssize_t)sizeof(st.tx_packets))
		_exit(3);
	_exit(0);
}

/*
 * Sender a runs flat out to g and is stopped STOPS times; while it is
 * stopped (maybe holding g's ring) sender b sends to g too.  b's syncs
 * return (bounded: the test ends) and every frame is either received by
 * g or counted in g's drops.
 */
static void stopped_sender(void)
{
	struct port b, g;
	struct peer pr;
	uint64_t a_sent = 0;
	int b_sent = 0, got = 0, good_a = 0;

	MUST_OK(open_port(&b, "valeh5:b", 0), "open valeh5:b");
	MUST_OK(open_port(&g, "valeh5:g", 0), "open valeh5:g");
	send_n(&g, BCAST, MAC_G, 1, 0);
	peer_start(&pr, busy_sender_body, NULL);
	CHECK_EQ(peer_answer(&pr), 'r', "sender a up");
	alarm(100); /* a hang is a failure, not a timeout of the runner */
	for (int i = 0; i < STOPS; i++) {
		int st;
		usleep(2000);
		kill(pr.pid, SIGSTOP);
		waitpid(pr.pid, &st, WUNTRACED);
		send_n(&b, MAC_G, MAC_S, B_PER_ROUND, 9);
		b_sent += B_PER_ROUND;
		got += drain(&g, MAC_R, 8, &good_a);
		CHECK(WIFSTOPPED(st), "a stopped (%d)", i);
		kill(pr.pid, SIGCONT);
		got += drain(&g, MAC_R, 8, &good_a);
	}
	CHECK(write(pr.cmd, "q", 1) == 1, "a: stop sending");
	ssize_t n = read(pr.cmd, &a_sent, sizeof(a_sent));
	int err = errno, status = peer_wait(&pr);
	CHECK(n == sizeof(a_sent), "a's count (read %zd, %s; a's status %#x)",
	      n, strerror(err), status);
	CHECK_EQ(status, 0, "a exited normally");
	alarm(0);
	CHECK(a_sent > 0 && a_sent % A_PER_SYNC == 0, "a sent %llu frames",
	      (unsigned long long)a_sent);
	got += drain(&g, MAC_R, 8, &good_a);
	CHECK_EQ((uint64_t)got + rx_drops(&g), a_sent + (uint64_t)b_sent,
		 "g: received %d + dropped %llu = sent by a and b", got,
		 (unsigned long long)rx_drops(&g));
	close_port(&g);
	close_port(&b);
}

static void hostile_vale(void)
{
	hostile_receiver("valeh1", "r", 0);
}

static void hostile_monitor_tx(void)
{
	hostile_receiver("valeh6", "s", NR_MONITOR_TX);
}

static void hostile_monitor_zcopy(void)
{
	hostile_receiver("valeh7", "g", NR_ZCOPY_MON);
}

static const struct {
	const char *name;
	void (*fn)(void);
} tests[] = {
    {"hostile_vale", hostile_vale},
    {"hostile_monitor_tx", hostile_monitor_tx},
    {"hostile_monitor_zcopy", hostile_monitor_zcopy},
    {"own_rings_vale", own_rings_vale},
    {"own_rings_pipe", own_rings_pipe},
    {"own_rings_nic", own_rings_nic},
    {"morefrag_races", morefrag_races},
    {"close_while_sending", close_while_sending},
    {"stopped_sender", stopped_sender},
};

/* All tests, or those named on the command line. */
int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
		bool run = argc < 2;
		for (int a = 1; a < argc; a++)
			run |= strcmp(argv[a], tests[i].name) == 0;
		if (run)
			tests[i].fn();
	}
	return 0;
}
