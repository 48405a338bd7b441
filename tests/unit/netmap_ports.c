// SPDX-License-Identifier: BSD-2-Clause
/*
 * netmap_ports -- port semantics that must be netmap's: pipes of any
 * parent (an interface, a VALE port, or a name that is neither, whose pipe
 * lives while it has users), through NIOCCTRL, the legacy NIOCREGIF and
 * nm_open; a monitor's single tx ring; a persistent VALE port attached to
 * two switches.
 *
 * Runs as root in a fresh network namespace whose only interface is lo.
 */
#define NETMAP_WITH_LIBS
#include <libnetmap.h>

#include "check.h"

#include <poll.h>
#include <stdbool.h>
#include <sys/wait.h>

struct end {
	int fd;
	struct nmreq_register reg;
	void *mem;
	struct netmap_if *nifp;
	struct netmap_ring *tx, *rx;
};

static int open_end(struct end *e, const char *name, uint64_t flags)
{
	memset(e, 0, sizeof(*e));
	e->fd = nmt_open();
	nmt_reg_init(&e->reg, NR_REG_ALL_NIC, 0);
	e->reg.nr_flags = flags;
	if (nmt_register(e->fd, name, &e->reg) < 0) {
		int err = errno;
		close(e->fd);
		errno = err;
		return -1;
	}
	e->mem = nmt_mmap(e->fd, &e->reg);
	e->nifp = NETMAP_IF(e->mem, e->reg.nr_offset);
	e->tx = e->reg.nr_tx_rings ? NETMAP_TXRING(e->nifp, 0) : NULL;
	e->rx = NETMAP_RXRING(e->nifp, 0);
	return 0;
}

static void close_end(struct end *e)
{
	munmap(e->mem, e->reg.nr_memsize);
	close(e->fd);
}

static uint8_t pattern(uint32_t frame, uint32_t byte)
{
	return (uint8_t)(frame * 31 + byte * 7 + 1);
}

/* Frame @n of @len bytes on @tx, a chain of slots if longer than a buffer. */
static void put_frame(struct netmap_ring *tx, uint32_t n, uint32_t len)
{
	uint32_t off = 0;

	do {
		struct netmap_slot *s = &tx->slot[tx->head];
		uint8_t *b = (uint8_t *)NETMAP_BUF(tx, s->buf_idx);
		uint32_t c =
		    len - off < tx->nr_buf_size ? len - off : tx->nr_buf_size;
		for (uint32_t i = 0; i < c; i++)
			b[i] = pattern(n, off + i);
		s->len = (uint16_t)c;
		off += c;
		s->flags = off < len ? NS_MOREFRAG : 0;
		tx->head = tx->cur = nm_ring_next(tx, tx->head);
	} while (off < len);
}

/* Takes one frame from @rx: its slot count if it is frame @n of @len
 * bytes, byte for byte; 0 otherwise. */
static uint32_t take_frame(struct netmap_ring *rx, uint32_t n, uint32_t len)
{
	uint32_t off = 0, slots = 0;
	bool ok = true;
	struct netmap_slot *s;

	do {
		if (nm_ring_empty(rx))
			return 0;
		s = &rx->slot[rx->head];
		const uint8_t *b = (const uint8_t *)NETMAP_BUF(rx, s->buf_idx);
		for (uint32_t i = 0; i < s->len && ok; i++)
			ok = b[i] == pattern(n, off + i);
		off += s->len;
		slots++;
		rx->head = rx->cur = nm_ring_next(rx, rx->head);
	} while (s->flags & NS_MOREFRAG);
	return ok && off == len ? slots : 0;
}

static const uint32_t lens[] = {60, 1514, 10000, 2048, 61};
#define NLENS (sizeof(lens) / sizeof(lens[0]))

static uint32_t slots_of(uint32_t len)
{
	return (len + 2047) / 2048;
}

/* Frames of every length from @a to @b, received whole and byte-exact. */
static void frames_cross(struct end *a, struct end *b, const char *what)
{
	uint32_t want = 0;

	for (uint32_t i = 0; i < NLENS; i++) {
		put_frame(a->tx, i, lens[i]);
		want += slots_of(lens[i]);
	}
	CHECK_OK(ioctl(a->fd, NIOCTXSYNC, NULL), "%s: txsync", what);
	CHECK_OK(ioctl(b->fd, NIOCRXSYNC, NULL), "%s: rxsync", what);
	CHECK_EQ(nm_ring_space(b->rx), want, "%s: %u slots arrive", what, want);
	for (uint32_t i = 0; i < NLENS; i++)
		CHECK_EQ(take_frame(b->rx, i, lens[i]), slots_of(lens[i]),
			 "%s: frame %u, %u bytes in %u slots, byte-exact", what,
			 i, lens[i], slots_of(lens[i]));
	CHECK_OK(ioctl(b->fd, NIOCRXSYNC, NULL), "%s: release", what);
}

/* The memory id of VALE port @name, registered for a moment. */
static uint16_t vale_mem_id(const char *name)
{
	struct end e;
	uint16_t id;

	MUST_OK(open_end(&e, name, 0), "REGISTER %s", name);
	id = e.reg.nr_mem_id;
	close_end(&e);
	return id;
}

/* ---- pipes of a name that is no port ------------------------------------ */

static void test_pipe_anonymous_parent(void)
{
	struct nmreq_port_info_get info = {0};
	struct nmreq_pools_info pools = {0};
	struct end m, s;

	CHECK_OK(nmt_ctrl(NETMAP_REQ_PORT_INFO_GET, "pmanon}pipeid3", &info),
		 "PORT_INFO_GET pmanon}pipeid3 (no port pmanon)");
	CHECK(info.nr_tx_rings == 1 && info.nr_rx_rings == 1 &&
		  info.nr_tx_slots == 1024 && info.nr_rx_slots == 1024 &&
		  info.nr_mem_id == 1 && info.nr_memsize > 0,
	      "1 ring pair of 1024 slots in memory id 1");
	CHECK_OK(nmt_ctrl(NETMAP_REQ_POOLS_INFO_GET, "pmanon{xid", &pools),
		 "POOLS_INFO_GET pmanon{xid");
	CHECK_EQ(pools.nr_mem_id, 1, "its pools: memory id 1's");

	CHECK_OK(open_end(&m, "pmanon{1", 0), "REGISTER pmanon{1");
	CHECK_OK(open_end(&s, "pmanon}1", 0), "REGISTER pmanon}1");
	CHECK_EQ(m.reg.nr_mem_id, 1, "the pipe lives in memory id 1");
	CHECK(m.reg.nr_tx_rings == 1 && m.reg.nr_rx_rings == 1 &&
		  m.reg.nr_host_tx_rings == 0,
	      "one ring pair, no host rings");
	CHECK_EQ(m.tx->tail, m.tx->num_slots - 1, "new tx: tail = slots - 1");
	CHECK_EQ(s.rx->tail, 0, "new rx: empty");
	uint32_t idx = m.tx->slot[0].buf_idx;
	frames_cross(&m, &s, "master to slave");
	CHECK_EQ(s.rx->slot[0].buf_idx, idx,
		 "the slave got the master's buffer (zero copy)");
	frames_cross(&s, &m, "slave to master");
	close_end(&m);
	close_end(&s);
}

/*
 * The pipe is there while it has users: frames sent by an end that then
 * closed are received, and the end reopened finds its ring as it left it;
 * after the last close the name gives a new pipe.
 */
static void test_pipe_lives_with_users(void)
{
	struct end m, s;

	MUST_OK(open_end(&m, "pmlive{2", 0), "REGISTER pmlive{2");
	MUST_OK(open_end(&s, "pmlive}2", 0), "REGISTER pmlive}2");
	for (uint32_t i = 0; i < 3; i++)
		put_frame(m.tx, i, 100 + i);
	CHECK_OK(ioctl(m.fd, NIOCTXSYNC, NULL), "master sends 3 frames");
	close_end(&m);
	CHECK_OK(ioctl(s.fd, NIOCRXSYNC, NULL), "slave rxsync, master gone");
	CHECK_EQ(nm_ring_space(s.rx), 3, "the 3 frames wait for the slave");
	for (uint32_t i = 0; i < 3; i++)
		CHECK_EQ(take_frame(s.rx, i, 100 + i), 1, "frame %u", i);
	CHECK_OK(ioctl(s.fd, NIOCRXSYNC, NULL), "slave releases them");

	MUST_OK(open_end(&m, "pmlive{2", 0), "REGISTER pmlive{2 again");
	CHECK_EQ(m.tx->head, 3, "the master's tx ring is where it was");
	CHECK_EQ(m.tx->tail, 2, "all slots but one free: the 3 came back");
	close_end(&m);
	close_end(&s);

	MUST_OK(open_end(&s, "pmlive}2", 0), "REGISTER pmlive}2, all closed");
	CHECK(s.rx->head == 0 && s.rx->tail == 0 && s.tx->head == 0 &&
		  s.tx->tail == s.tx->num_slots - 1,
	      "a new pipe: the old one went with its last user");
	close_end(&s);
}

/* The legacy API: nm_open's names and NR_REG_PIPE_MASTER/SLAVE. */
static void test_pipe_anonymous_legacy(void)
{
	struct nm_desc *m = nm_open("netmap:pmleg{3", NULL, 0, NULL);
	struct nm_desc *s = nm_open("netmap:pmleg}3", NULL, 0, NULL);
	uint8_t frame[300];
	struct nm_pkthdr h;
	struct nmreq nmr;

	CHECK(m && s, "nm_open netmap:pmleg{3 and }3 (errno %d)", errno);
	CHECK_EQ(m->req.nr_arg2, 1, "memory id 1");
	for (uint32_t i = 0; i < sizeof(frame); i++)
		frame[i] = pattern(7, i);
	CHECK_EQ(nm_inject(m, frame, sizeof(frame)), sizeof(frame),
		 "nm_inject 300 bytes on the master");
	CHECK_OK(ioctl(m->fd, NIOCTXSYNC, NULL), "txsync");
	CHECK_OK(ioctl(s->fd, NIOCRXSYNC, NULL), "rxsync");
	const u_char *got = nm_nextpkt(s, &h);
	CHECK(got && h.len == sizeof(frame) &&
		  memcmp(got, frame, sizeof(frame)) == 0,
	      "nm_nextpkt on the slave: the 300 bytes");
	nm_close(m);
	nm_close(s);

	/* the old names: a parent and a pipe role with its id */
	int fd = nmt_open(), fd2 = nmt_open();
	memset(&nmr, 0, sizeof(nmr));
	nmr.nr_version = NETMAP_API;
	snprintf(nmr.nr_name, sizeof(nmr.nr_name), "pmleg2");
	nmr.nr_flags = NR_REG_PIPE_MASTER;
	nmr.nr_ringid = 5;
	CHECK_OK(ioctl(fd, NIOCREGIF, &nmr),
		 "NIOCREGIF pmleg2, NR_REG_PIPE_MASTER 5");
	CHECK(nmr.nr_tx_rings == 1 && nmr.nr_arg2 == 1,
	      "one ring pair, memory id 1");
	memset(&nmr, 0, sizeof(nmr));
	nmr.nr_version = NETMAP_API;
	snprintf(nmr.nr_name, sizeof(nmr.nr_name), "pmleg2");
	nmr.nr_flags = NR_REG_PIPE_SLAVE;
	nmr.nr_ringid = 5;
	CHECK_OK(ioctl(fd2, NIOCREGIF, &nmr),
		 "NIOCREGIF pmleg2, NR_REG_PIPE_SLAVE 5");
	struct end m2;
	CHECK_ERR(open_end(&m2, "pmleg2{5", NR_EXCLUSIVE), EBUSY,
		  "pmleg2{5 is the end NIOCREGIF bound");
	close(fd);
	close(fd2);
}

/* ---- pipes of VALE ports ------------------------------------------------- */

static void test_pipe_vale_parent(void)
{
	uint16_t id = vale_mem_id("vale1pp:a");
	struct end port, m, s;

	CHECK(id >= 2, "a VALE switch has a region of its own (%u)", id);
	MUST_OK(open_end(&port, "vale1pp:a", 0), "REGISTER vale1pp:a");
	CHECK_OK(open_end(&m, "vale1pp:a{1", 0), "REGISTER vale1pp:a{1");
	CHECK_OK(open_end(&s, "vale1pp:a}1", 0), "REGISTER vale1pp:a}1");
	CHECK_EQ(m.reg.nr_mem_id, port.reg.nr_mem_id,
		 "the pipe lives in its parent's switch region");
	CHECK_EQ(m.reg.nr_memsize, port.reg.nr_memsize, "same size");
	frames_cross(&m, &s, "VALE pipe, master to slave");
	frames_cross(&s, &m, "VALE pipe, slave to master");

	/* zero copy with the port: a pipe buffer goes out of the port */
	uint32_t idx = s.rx->slot[s.rx->head].buf_idx;
	put_frame(m.tx, 1, 60);
	ioctl(m.fd, NIOCTXSYNC, NULL);
	ioctl(s.fd, NIOCRXSYNC, NULL);
	idx = s.rx->slot[s.rx->head].buf_idx;
	CHECK(idx >= 2 &&
		  (uint64_t)idx * s.rx->nr_buf_size < port.reg.nr_memsize,
	      "a pipe buffer is a buffer of the port's region");
	close_end(&m);
	close_end(&s);

	/* asking for the switch's memory id, as NM_OPEN_NO_MMAP does */
	int fd = nmt_open();
	struct nmreq_register reg;
	nmt_reg_init(&reg, NR_REG_ALL_NIC, 0);
	reg.nr_mem_id = 999;
	CHECK_ERR(nmt_register(fd, "vale1pp:a{2", &reg), EINVAL,
		  "a memory id the pipe does not have: EINVAL");
	reg.nr_mem_id = port.reg.nr_mem_id;
	CHECK_OK(nmt_register(fd, "vale1pp:a{2", &reg),
		 "its switch's memory id %u", port.reg.nr_mem_id);
	close(fd);
	struct nm_desc *pd = nm_open("vale1pp:a", NULL, 0, NULL);
	CHECK(pd != NULL, "nm_open vale1pp:a");
	struct nm_desc *cd = nm_open("vale1pp:a{3", NULL, NM_OPEN_NO_MMAP, pd);
	CHECK(cd != NULL && cd->mem == pd->mem,
	      "nm_open vale1pp:a{3 with NM_OPEN_NO_MMAP: its parent's mapping");
	nm_close(cd);
	nm_close(pd);
	close_end(&port);

	/* no port needed: a pipe of a port nobody opened, on a new switch */
	CHECK_OK(open_end(&m, "vale1pq:none{1", 0), "REGISTER vale1pq:none{1");
	CHECK(m.reg.nr_mem_id >= 2, "in a switch region (%u)", m.reg.nr_mem_id);
	CHECK_EQ(vale_mem_id("vale1pq:b"), m.reg.nr_mem_id,
		 "a port of the switch opened meanwhile shares it");
	struct nmreq_vale_list list = {0};
	CHECK_ERR(nmt_ctrl(NETMAP_REQ_VALE_LIST, "vale1pq:none", &list), ENXIO,
		  "the parent port itself is not made");
	close_end(&m);
}

/* A pipe keeps its switch: the switch is free again once it is gone. */
static void test_pipe_vale_switches(void)
{
	char name[32];
	struct end m;

	for (int i = 0; i < 12; i++) { /* more than the 8 switches */
		snprintf(name, sizeof(name), "vale2s%d:p{1", i);
		CHECK_OK(open_end(&m, name, 0), "REGISTER %s", name);
		close_end(&m);
	}
	struct end e[8];
	for (int i = 0; i < 8; i++) {
		snprintf(name, sizeof(name), "vale2t%d:p}4", i);
		CHECK_OK(open_end(&e[i], name, 0), "REGISTER %s", name);
	}
	CHECK_ERR(open_end(&m, "vale2u:p{1", 0), ENOSPC,
		  "a ninth switch while 8 pipes hold theirs");
	for (int i = 0; i < 8; i++)
		close_end(&e[i]);
	CHECK_OK(open_end(&m, "vale2u:p{1", 0), "and once they are gone");
	close_end(&m);
}

/* netmap's own suite: extra buffers on a pipe of a VALE port, legacy API. */
static void test_pipe_vale_extra_bufs_legacy(void)
{
	struct nmreq nmr;
	int fd = nmt_open();

	memset(&nmr, 0, sizeof(nmr));
	nmr.nr_version = NETMAP_API;
	/* netmap's suite cuts valeX1:Y4{pipeexbuf to the legacy 15 bytes and a
	 * NUL */
	snprintf(nmr.nr_name, sizeof(nmr.nr_name), "valeX1:Y4{pipee");
	nmr.nr_flags = NR_REG_ALL_NIC;
	nmr.nr_arg3 = 58;
	CHECK_OK(ioctl(fd, NIOCREGIF, &nmr), "NIOCREGIF valeX1:Y4{pipee");
	CHECK_EQ(nmr.nr_arg3, 58, "58 extra buffers granted");
	CHECK(nmr.nr_arg2 >= 2, "the switch's memory id (%u)", nmr.nr_arg2);
	char *mem = mmap(NULL, nmr.nr_memsize, PROT_READ | PROT_WRITE,
			 MAP_SHARED, fd, 0);
	CHECK(mem != MAP_FAILED, "mmap");
	struct netmap_if *nifp = NETMAP_IF(mem, nmr.nr_offset);
	struct netmap_ring *tx = NETMAP_TXRING(nifp, 0);
	uint32_t n = 0;
	for (uint32_t i = nifp->ni_bufs_head; i && n < 60; n++)
		i = *(uint32_t *)NETMAP_BUF(tx, i);
	CHECK_EQ(n, 58, "the list holds 58 buffers");
	munmap(mem, nmr.nr_memsize);
	close(fd);

	struct nm_desc *d = nm_open("vale1pr:x{2", NULL, 0, NULL);
	CHECK(d != NULL, "nm_open vale1pr:x{2 (errno %d)", errno);
	CHECK(d->req.nr_arg2 >= 2, "in its switch's region");
	nm_close(d);
}

/* ---- a monitor's tx ring --------------------------------------------------
 */

/*
 * As netmap's, a monitor has one tx ring (programs compute last_tx_ring
 * from ni_tx_rings - 1), with a buffer in each slot.  It sends nothing: a
 * txsync returns 0 and leaves the ring as the application left it (tail
 * never moves), as netmap's ioctl does; its rx rings go on working.
 */
static void check_monitor_tx(const char *what, uint64_t flags)
{
	struct end lo, mon;

	MUST_OK(open_end(&lo, "lo", 0), "REGISTER lo");
	CHECK_OK(open_end(&mon, "lo", flags), "REGISTER %s", what);
	CHECK_EQ(mon.reg.nr_tx_rings, 1, "%s: 1 tx ring", what);
	CHECK_EQ(mon.nifp->ni_tx_rings, 1, "%s: ni_tx_rings 1", what);
	struct netmap_ring *tx = mon.tx;
	uint32_t n = tx->num_slots, distinct = 1;
	CHECK(n == mon.rx->num_slots && tx->head == 0 && tx->cur == 0 &&
		  tx->tail == n - 1,
	      "%s: a new tx ring of %u slots, tail %u", what, n, n - 1);
	for (uint32_t i = 0; i < n; i++)
		CHECK(tx->slot[i].buf_idx >= 2 &&
			  (uint64_t)tx->slot[i].buf_idx * tx->nr_buf_size <
			      mon.reg.nr_memsize,
		      "%s: tx slot %u has a buffer", what, i);
	for (uint32_t i = 1; i < n; i++)
		distinct += tx->slot[i].buf_idx != tx->slot[i - 1].buf_idx;
	CHECK_EQ(distinct, n, "%s: one buffer per slot", what);

	CHECK_OK(ioctl(mon.fd, NIOCTXSYNC, NULL), "%s: txsync, empty", what);
	CHECK(tx->head == 0 && tx->tail == n - 1, "%s: nothing moved", what);
	for (uint32_t i = 0; i < 3; i++)
		put_frame(tx, i, 60);
	CHECK_OK(ioctl(mon.fd, NIOCTXSYNC, NULL), "%s: txsync of 3 frames",
		 what);
	CHECK(tx->head == 3 && tx->cur == 3 && tx->tail == n - 1,
	      "%s: nothing sent: head 3 as left, tail still %u", what, n - 1);
	CHECK_OK(ioctl(mon.fd, NIOCTXSYNC, NULL), "%s: txsync again", what);
	CHECK_EQ(tx->tail, n - 1, "%s: tail still %u", what, n - 1);
	struct pollfd pfd = {.fd = mon.fd, .events = POLLOUT};
	CHECK_EQ(poll(&pfd, 1, 0), 1, "%s: poll POLLOUT: room", what);
	CHECK_EQ(pfd.revents, POLLOUT, "%s: POLLOUT only", what);
	tx->head = tx->cur = n + 5;
	CHECK_ERR(ioctl(mon.fd, NIOCTXSYNC, NULL), EINVAL,
		  "%s: a head past the ring, as on any ring", what);
	CHECK(tx->head == 0 && tx->cur == 0 && tx->tail == n - 1,
	      "%s: reinit: head back to hwcur 0, which never moved", what);

	close_end(&mon);
	close_end(&lo);
}

static void test_monitor_tx_ring(void)
{
	check_monitor_tx("lo/r", NR_MONITOR_RX);
	check_monitor_tx("lo/t", NR_MONITOR_TX);
	check_monitor_tx("lo/z", NR_ZCOPY_MON);

	/* both APIs compute the last tx ring from it: ring 0 */
	struct nmport_d *lo = nmport_open("netmap:lo");
	CHECK(lo != NULL, "nmport_open netmap:lo");
	struct nmport_d *d = nmport_open("netmap:lo/r");
	CHECK(d != NULL, "nmport_open netmap:lo/r");
	CHECK(d->first_tx_ring == 0 && d->last_tx_ring == 0,
	      "nmport: tx rings 0 to 0 (got %u to %u)", d->first_tx_ring,
	      d->last_tx_ring);
	nmport_close(d);
	struct nm_desc *nd = nm_open("netmap:lo/r", NULL, 0, NULL);
	CHECK(nd != NULL, "nm_open netmap:lo/r");
	CHECK(nd->first_tx_ring == 0 && nd->last_tx_ring == 0,
	      "nm_open: tx rings 0 to 0 (got %u to %u)", nd->first_tx_ring,
	      nd->last_tx_ring);
	nm_close(nd);
	nmport_close(lo);
}

/* ---- a persistent VALE port on two switches ------------------------------
 */

static int vale_req(uint16_t type, const char *name)
{
	struct nmreq_vale_attach at = {0};
	struct nmreq_vale_detach dt = {0};
	struct nmreq_vale_newif nw = {0};
	struct nmreq_vale_list l = {0};
	void *body = type == NETMAP_REQ_VALE_ATTACH   ? (void *)&at
		     : type == NETMAP_REQ_VALE_DETACH ? (void *)&dt
		     : type == NETMAP_REQ_VALE_NEWIF  ? (void *)&nw
		     : type == NETMAP_REQ_VALE_LIST   ? (void *)&l
						      : NULL;

	if (type == NETMAP_REQ_VALE_ATTACH)
		at.reg.nr_mode = NR_REG_ALL_NIC;
	return nmt_ctrl(type, name, body);
}

/* A broadcast frame @n of @len bytes from @a arrives whole at @b. */
static void crosses(struct end *a, struct end *b, uint32_t n, uint32_t len,
		    const char *what)
{
	put_frame(a->tx, n, len); /* to a MAC nobody has: flooded */
	CHECK_OK(ioctl(a->fd, NIOCTXSYNC, NULL), "%s: send", what);
	for (int i = 0; i < 500 && nm_ring_space(b->rx) < slots_of(len); i++) {
		struct pollfd p = {.fd = b->fd, .events = POLLIN};
		poll(&p, 1, 10);
	}
	CHECK_EQ(take_frame(b->rx, n, len), slots_of(len),
		 "%s: frame %u, %u bytes, arrives whole", what, n, len);
	CHECK_EQ(nm_ring_space(b->rx), 0, "%s: once", what);
	ioctl(b->fd, NIOCRXSYNC, NULL);
}

static void test_newif_two_switches(void)
{
	CHECK_OK(vale_req(NETMAP_REQ_VALE_NEWIF, "pv0"), "NEWIF pv0");
	CHECK_ERR(vale_req(NETMAP_REQ_VALE_NEWIF, "pv0"), EEXIST,
		  "NEWIF pv0 again: EEXIST");
	CHECK_OK(vale_req(NETMAP_REQ_VALE_ATTACH, "vale4a:pv0"),
		 "ATTACH vale4a:pv0");
	CHECK_ERR(vale_req(NETMAP_REQ_VALE_NEWIF, "pv0"), EEXIST,
		  "NEWIF pv0 while attached: EEXIST");
	CHECK_ERR(vale_req(NETMAP_REQ_VALE_ATTACH, "vale4a:pv0"), EBUSY,
		  "ATTACH to the same switch twice: EBUSY");
	CHECK_OK(vale_req(NETMAP_REQ_VALE_ATTACH, "vale4b:pv0"),
		 "ATTACH vale4b:pv0: a second switch");
	CHECK_ERR(vale_req(NETMAP_REQ_VALE_ATTACH, "vale4b:pv0"), EBUSY,
		  "ATTACH vale4b:pv0 again: EBUSY");
	CHECK_ERR(vale_req(NETMAP_REQ_VALE_ATTACH, "vale4a:pv0"), EBUSY,
		  "ATTACH vale4a:pv0 again: EBUSY");
	CHECK_ERR(vale_req(NETMAP_REQ_VALE_ATTACH, "vale4c:pv0"), EBUSY,
		  "a third switch: EBUSY");
	CHECK_OK(vale_req(NETMAP_REQ_VALE_LIST, "vale4a:pv0"),
		 "LIST finds vale4a:pv0");
	CHECK_OK(vale_req(NETMAP_REQ_VALE_LIST, "vale4b:pv0"),
		 "LIST finds vale4b:pv0");
	CHECK_ERR(vale_req(NETMAP_REQ_VALE_DELIF, "pv0"), EBUSY,
		  "DELIF while attached: EBUSY");

	/* the port links the two switches, both ways */
	struct end a, b;
	MUST_OK(open_end(&a, "vale4a:x", 0), "REGISTER vale4a:x");
	MUST_OK(open_end(&b, "vale4b:y", 0), "REGISTER vale4b:y");
	crosses(&a, &b, 1, 60, "vale4a:x to vale4b:y");
	crosses(&b, &a, 2, 1514, "vale4b:y to vale4a:x");
	crosses(&a, &b, 3, 10000, "a chain of 5 slots");
	close_end(&a);
	close_end(&b);

	/* detached in any order: the first switch first */
	CHECK_OK(vale_req(NETMAP_REQ_VALE_DETACH, "vale4a:pv0"),
		 "DETACH vale4a:pv0 first");
	CHECK_ERR(vale_req(NETMAP_REQ_VALE_LIST, "vale4a:pv0"), ENXIO,
		  "vale4a:pv0 is gone");
	CHECK_OK(vale_req(NETMAP_REQ_VALE_LIST, "vale4b:pv0"),
		 "vale4b:pv0 is still there");
	CHECK_ERR(vale_req(NETMAP_REQ_VALE_DELIF, "pv0"), EBUSY,
		  "DELIF while still attached to vale4b: EBUSY");
	CHECK_OK(vale_req(NETMAP_REQ_VALE_ATTACH, "vale4a:pv0"),
		 "ATTACH vale4a:pv0 again, now the second switch");
	CHECK_OK(vale_req(NETMAP_REQ_VALE_DETACH, "vale4a:pv0"),
		 "DETACH vale4a:pv0, the second switch first");
	CHECK_OK(vale_req(NETMAP_REQ_VALE_LIST, "vale4b:pv0"),
		 "vale4b:pv0 is still there");
	CHECK_OK(vale_req(NETMAP_REQ_VALE_DETACH, "vale4b:pv0"),
		 "DETACH vale4b:pv0");
	CHECK_ERR(vale_req(NETMAP_REQ_VALE_LIST, "vale4b:pv0"), ENXIO,
		  "vale4b:pv0 is gone");
	CHECK_ERR(vale_req(NETMAP_REQ_VALE_DETACH, "vale4b:pv0"), ENXIO,
		  "DETACH it again: ENXIO");
	CHECK_OK(vale_req(NETMAP_REQ_VALE_DELIF, "pv0"), "DELIF pv0");
	CHECK_ERR(vale_req(NETMAP_REQ_VALE_DELIF, "pv0"), ENXIO,
		  "DELIF pv0 again: ENXIO");
}

/*
 * Port information on a monitor's name configures a monitor for a moment:
 * that must neither take the port's region away (the fuzzer found it did)
 * nor stop the port.
 */
static void test_monitor_name_info(void)
{
	struct nmreq_port_info_get info;
	struct end a, b;

	MUST_OK(open_end(&a, "vale9mi:a", 0), "REGISTER vale9mi:a");
	MUST_OK(open_end(&b, "vale9mi:b", 0), "REGISTER vale9mi:b");
	for (int i = 0; i < 4; i++) {
		memset(&info, 0, sizeof(info));
		nmt_ctrl(NETMAP_REQ_PORT_INFO_GET, "vale9mi:a/r", &info);
		struct nmreq nmr = {.nr_version = NETMAP_API};
		snprintf(nmr.nr_name, sizeof(nmr.nr_name), "vale9mi:a/t");
		int fd = nmt_open();
		ioctl(fd, NIOCGINFO, &nmr);
		close(fd);
	}
	crosses(&a, &b, 4, 1000, "after information on its monitors");
	memset(&info, 0, sizeof(info));
	CHECK_OK(nmt_ctrl(NETMAP_REQ_PORT_INFO_GET, "vale9mi:a", &info),
		 "PORT_INFO_GET vale9mi:a");
	CHECK_EQ(info.nr_mem_id, a.reg.nr_mem_id, "its region is still there");
	close_end(&a);
	close_end(&b);
}

/* Forked children that let go of a VALE port's pipe leave its switch. */
static void test_pipe_vale_fork(void)
{
	char name[32];
	struct end m, x, e[7];
	int status;

	MUST_OK(open_end(&m, "vale5f:p{1", 0), "REGISTER vale5f:p{1");
	for (int c = 0; c < 2; c++) {
		pid_t pid = fork();
		if (pid == 0)
			_exit(0); /* closes its copy */
		waitpid(pid, &status, 0);
	}
	for (int i = 0; i < 7; i++) {
		snprintf(name, sizeof(name), "vale5g%d:p}1", i);
		MUST_OK(open_end(&e[i], name, 0), "REGISTER %s", name);
	}
	CHECK_ERR(open_end(&x, "vale5h:p{1", 0), ENOSPC,
		  "a ninth switch: vale5f is still held by its pipe");
	for (int i = 0; i < 7; i++)
		close_end(&e[i]);
	close_end(&m);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	test_pipe_anonymous_parent();
	test_pipe_lives_with_users();
	test_pipe_anonymous_legacy();
	test_pipe_vale_parent();
	test_pipe_vale_switches();
	test_pipe_vale_fork();
	test_pipe_vale_extra_bufs_legacy();
	test_monitor_tx_ring();
	test_newif_two_switches();
	test_monitor_name_info();
	printf("netmap_ports: all checks passed\n");
	return 0;
}
