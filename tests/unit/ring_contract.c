// SPDX-License-Identifier: BSD-2-Clause
/*
 * ring_contract -- netmap's ring contract on netmap:lo, through the public
 * API only.  A frame put on lo's tx ring comes back on its rx ring, so one
 * port is both sender and receiver.
 *
 * Checks: frames arrive exactly, in order and byte-exact (60, 1514 and
 * 5000 bytes, the last as NS_MOREFRAG chains; enough frames to wrap the
 * rings); bad head/cur/slots give EINVAL and a reinitialised ring; poll
 * timeouts and POLLERR; NS_BUF_CHANGED swaps; NR_TIMESTAMP; the pktmap
 * counters; and the classic nm_open/nm_inject/nm_dispatch library.
 *
 * Runs as root in a fresh network namespace whose only interface is lo.
 */
#define NETMAP_WITH_LIBS
#include <poll.h>
#include <time.h>

#include <pktmap.h>

#include "check.h"

#define PORT	  "lo"
#define ETHERTYPE 0x88b5
#define HDR_LEN	  14
#define MAX_FRAME 65536
#define WAIT_MS	  2000 /* longest wait for a frame that must arrive */

struct port {
	int fd;
	void *mem;
	struct nmreq_register reg;
	struct netmap_if *nifp;
	struct netmap_ring *tx, *rx;
	uint32_t idx_end; /* first buffer index past the region */
};

/* What this test sent and received, to compare with pktmap's counters. */
static struct {
	uint64_t tx_frames, tx_bytes, rx_frames, rx_bytes;
} tally;

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- frames -------------------------------------------------------------- */

/* Frame @seq of @len bytes: Ethernet header, seq, len, then a pattern. */
static void build_frame(uint8_t *f, uint32_t seq, uint32_t len)
{
	static const uint8_t src[6] = {0x02, 0, 0, 0, 0, 0x01};
	uint32_t i;

	memset(f, 0, 6); /* lo's own address */
	memcpy(f + 6, src, 6);
	f[12] = ETHERTYPE >> 8;
	f[13] = ETHERTYPE & 0xff;
	for (i = HDR_LEN; i < len; i++)
		f[i] = (uint8_t)(seq * 31 + i * 7);
	f[14] = seq >> 24;
	f[15] = seq >> 16;
	f[16] = seq >> 8;
	f[17] = seq;
	f[18] = len >> 8;
	f[19] = len;
}

static uint32_t frame_seq(const uint8_t *f)
{
	return (uint32_t)f[14] << 24 | f[15] << 16 | f[16] << 8 | f[17];
}

static int is_ours(const uint8_t *f, uint32_t len)
{
	return len >= 20 && f[12] == (ETHERTYPE >> 8) &&
	       f[13] == (ETHERTYPE & 0xff);
}

static uint32_t slots_for(const struct netmap_ring *r, uint32_t len)
{
	return (len + r->nr_buf_size - 1) / r->nr_buf_size;
}

/* ---- the port ------------------------------------------------------------ */

static void port_open(struct port *p, uint32_t mode, uint16_t ringid)
{
	memset(p, 0, sizeof(*p));
	p->fd = nmt_open();
	nmt_reg_init(&p->reg, mode, ringid);
	CHECK_OK(nmt_register(p->fd, PORT, &p->reg), "REGISTER netmap:%s",
		 PORT);
	p->mem = nmt_mmap(p->fd, &p->reg);
	p->nifp = NETMAP_IF(p->mem, p->reg.nr_offset);
	p->tx = NETMAP_TXRING(p->nifp, 0);
	p->rx = NETMAP_RXRING(p->nifp, 0);
	p->idx_end = (p->reg.nr_memsize -
		      ((char *)p->tx + p->tx->buf_ofs - (char *)p->mem)) /
		     p->tx->nr_buf_size;
}

static void port_close(struct port *p)
{
	munmap(p->mem, p->reg.nr_memsize);
	close(p->fd);
}

/* Syncs tx until @n slots are free; fails the test after WAIT_MS. */
static void tx_wait_space(struct port *p, uint32_t n)
{
	uint64_t end = now_ms() + WAIT_MS;

	for (;;) {
		MUST_OK(ioctl(p->fd, NIOCTXSYNC, NULL),
			"NIOCTXSYNC while waiting for tx space");
		if (nm_ring_space(p->tx) >= n)
			return;
		if (now_ms() > end)
			CHECK(0, "tx ring frees %u slots (has %u)", n,
			      nm_ring_space(p->tx));
		usleep(1000);
	}
}

/* Puts frame @seq of @len bytes at tx->head and advances head and cur. */
static void tx_put(struct port *p, uint32_t seq, uint32_t len)
{
	static uint8_t frame[MAX_FRAME];
	struct netmap_ring *r = p->tx;
	uint32_t i = r->head, off = 0;

	build_frame(frame, seq, len);
	while (off < len) {
		struct netmap_slot *s = &r->slot[i];
		uint32_t n =
		    len - off < r->nr_buf_size ? len - off : r->nr_buf_size;

		memcpy(NETMAP_BUF(r, s->buf_idx), frame + off, n);
		s->len = n;
		off += n;
		s->flags = off < len ? NS_MOREFRAG : 0;
		i = nm_ring_next(r, i);
	}
	r->head = r->cur = i;
	tally.tx_frames++;
	tally.tx_bytes += len;
}

/* Waits up to @ms for the rx ring to hold a frame; 1 if it does. */
static int rx_wait(struct port *p, int ms)
{
	uint64_t end = now_ms() + ms;
	struct pollfd pfd = {.fd = p->fd, .events = POLLIN};

	while (nm_ring_empty(p->rx)) {
		int left = (int)(end - now_ms());

		if (left <= 0 || now_ms() > end)
			return 0;
		MUST_OK(poll(&pfd, 1, left), "poll POLLIN");
		if (pfd.revents & POLLERR)
			CHECK(0, "poll POLLIN without POLLERR");
	}
	return 1;
}

/*
 * Copies the frame at rx->head into @f and releases its slots.  Returns its
 * length; *nslots gets the number of slots it used.
 */
static uint32_t rx_take(struct port *p, uint8_t *f, uint32_t *nslots)
{
	struct netmap_ring *r = p->rx;
	uint32_t i = r->head, len = 0, n = 0;

	for (;;) {
		struct netmap_slot *s = &r->slot[i];

		if (s->buf_idx < 2 || s->buf_idx >= p->idx_end ||
		    s->len > r->nr_buf_size || len + s->len > MAX_FRAME)
			CHECK(0, "rx slot %u is sane (buf_idx %u len %u)", i,
			      s->buf_idx, s->len);
		memcpy(f + len, NETMAP_BUF(r, s->buf_idx), s->len);
		len += s->len;
		n++;
		i = nm_ring_next(r, i);
		if (!(s->flags & NS_MOREFRAG))
			break;
		if (i == r->tail)
			CHECK(0, "rx publishes whole NS_MOREFRAG chains only");
	}
	r->head = r->cur = i;
	*nslots = n;
	tally.rx_frames++;
	tally.rx_bytes += len;
	return len;
}

/* Receives the next frame of ours (skipping foreign ones) and checks it. */
static void rx_expect(struct port *p, uint32_t seq, uint32_t len)
{
	static uint8_t got[MAX_FRAME], want[MAX_FRAME];
	uint32_t n, nslots;

	do {
		if (!rx_wait(p, WAIT_MS))
			CHECK(0, "frame seq %u (%u bytes) arrives", seq, len);
		n = rx_take(p, got, &nslots);
		if (!is_ours(got, n))
			printf("note: skipped a foreign frame of %u bytes\n",
			       n);
	} while (!is_ours(got, n));
	if (frame_seq(got) != seq)
		CHECK(0, "frame seq %u arrives in order (got seq %u, %u bytes)",
		      seq, frame_seq(got), n);
	if (n != len)
		CHECK(0, "frame seq %u has %u bytes (got %u)", seq, len, n);
	build_frame(want, seq, len);
	if (memcmp(got, want, len) != 0)
		CHECK(0, "frame seq %u arrives byte-exact", seq);
	if (nslots != slots_for(p->rx, len))
		CHECK(0, "frame seq %u uses %u rx slots (got %u)", seq,
		      slots_for(p->rx, len), nslots);
}

/* Nothing of ours arrives within @ms. */
static void rx_expect_none(struct port *p, int ms, const char *what)
{
	static uint8_t got[MAX_FRAME];
	uint32_t n, nslots;

	while (rx_wait(p, ms)) {
		n = rx_take(p, got, &nslots);
		if (is_ours(got, n))
			CHECK(0, "%s (got seq %u, %u bytes)", what,
			      frame_seq(got), n);
	}
	CHECK(1, "%s", what);
}

/* Sends @count frames of @len bytes, @batch at a time, and receives them. */
static uint32_t send_and_check(struct port *p, uint32_t seq, uint32_t count,
			       uint32_t len, uint32_t batch)
{
	uint32_t done, k, i, per = slots_for(p->tx, len);

	for (done = 0; done < count; done += k) {
		k = count - done < batch ? count - done : batch;
		tx_wait_space(p, k * per);
		for (i = 0; i < k; i++)
			tx_put(p, seq + done + i, len);
		MUST_OK(ioctl(p->fd, NIOCTXSYNC, NULL),
			"NIOCTXSYNC of a batch");
		for (i = 0; i < k; i++)
			rx_expect(p, seq + done + i, len);
	}
	CHECK(1,
	      "%u frames of %u bytes (batches of %u) arrive in order, "
	      "byte-exact",
	      count, len, batch);
	return seq + count;
}

/*
 * After a sync that already reported EINVAL, a poll must not report
 * POLLERR again: netmap's poll reports only a reinit it did itself.
 */
static void check_no_stale_pollerr(struct port *p, const char *what)
{
	struct pollfd pfd = {.fd = p->fd, .events = POLLIN};

	poll(&pfd, 1, 0);
	CHECK(!(pfd.revents & POLLERR),
	      "%s: the next poll reports no stale POLLERR (revents 0x%x)", what,
	      pfd.revents);
}

/* ---- tests ----------------------------------------------------------------
 */

struct ring_ptrs {
	uint32_t head, cur, tail;
};

static struct ring_ptrs ptrs_of(const struct netmap_ring *r)
{
	struct ring_ptrs x = {r->head, r->cur, r->tail};

	return x;
}

static void check_ptrs(const struct netmap_ring *r, struct ring_ptrs want,
		       const char *what)
{
	CHECK(r->head == want.head && r->cur == want.cur &&
		  r->tail == want.tail,
	      "%s: head/cur/tail %u/%u/%u (got %u/%u/%u)", what, want.head,
	      want.cur, want.tail, r->head, r->cur, r->tail);
}

static void test_new_rings(struct port *p)
{
	CHECK_EQ(p->tx->head, 0, "new tx ring head");
	CHECK_EQ(p->tx->cur, 0, "new tx ring cur");
	CHECK_EQ(p->tx->tail, p->tx->num_slots - 1, "new tx ring tail");
	CHECK(p->rx->head == p->rx->cur && p->rx->cur == p->rx->tail,
	      "new rx ring head == cur == tail");
}

static void test_idle_poll(struct port *p)
{
	struct pollfd pfd = {.fd = p->fd, .events = POLLIN};
	uint64_t t0 = now_ms();
	int ret = poll(&pfd, 1, 50);
	uint64_t dt = now_ms() - t0;

	CHECK_EQ(ret, 0, "poll POLLIN 50 ms on an idle ring returns 0");
	CHECK(dt >= 40 && dt < 1000, "idle poll waited %llu ms (~50)",
	      (unsigned long long)dt);
}

/* A bad tx head or cur: EINVAL, ring back to its previous head. */
static void test_bad_tx_pointers(struct port *p)
{
	struct netmap_ring *tx = p->tx;
	struct ring_ptrs before, rx_before;

	tx_wait_space(p, tx->num_slots - 1);
	before = ptrs_of(tx);
	rx_before = ptrs_of(p->rx);
	tx->head = tx->num_slots;
	CHECK_ERR(ioctl(p->fd, NIOCTXSYNC, NULL), EINVAL,
		  "NIOCTXSYNC with head = num_slots gives EINVAL");
	check_ptrs(tx, before, "tx ring reinitialised after a bad head");
	check_ptrs(p->rx, rx_before, "rx ring untouched by a bad tx head");

	tx->cur = tx->num_slots + 7;
	CHECK_ERR(ioctl(p->fd, NIOCTXSYNC, NULL), EINVAL,
		  "NIOCTXSYNC with cur beyond the ring gives EINVAL");
	check_ptrs(tx, before, "tx ring reinitialised after a bad cur");
	check_no_stale_pollerr(p, "bad tx head and cur");
	CHECK_OK(ioctl(p->fd, NIOCTXSYNC, NULL), "NIOCTXSYNC after a reinit");
}

/* A bad rx head or cur (beyond tail on an empty ring): EINVAL, reinit. */
static void test_bad_rx_pointers(struct port *p)
{
	struct netmap_ring *rx = p->rx;
	struct ring_ptrs before, tx_before;

	/* the library learns the last head at a sync: reinit goes back there */
	MUST_OK(ioctl(p->fd, NIOCRXSYNC, NULL), "NIOCRXSYNC");
	before = ptrs_of(rx);
	tx_before = ptrs_of(p->tx);
	CHECK(nm_ring_empty(rx), "rx ring empty before the bad-pointer test");
	rx->head = rx->cur = nm_ring_next(rx, rx->tail);
	CHECK_ERR(ioctl(p->fd, NIOCRXSYNC, NULL), EINVAL,
		  "NIOCRXSYNC with head beyond tail gives EINVAL");
	check_ptrs(rx, before, "rx ring reinitialised after a bad head");
	check_ptrs(p->tx, tx_before, "tx ring untouched by a bad rx head");

	rx->cur = nm_ring_next(rx, rx->tail);
	CHECK_ERR(ioctl(p->fd, NIOCRXSYNC, NULL), EINVAL,
		  "NIOCRXSYNC with cur beyond tail gives EINVAL");
	check_ptrs(rx, before, "rx ring reinitialised after a bad cur");
	check_no_stale_pollerr(p, "bad rx head and cur");
	CHECK_OK(ioctl(p->fd, NIOCRXSYNC, NULL), "NIOCRXSYNC after a reinit");
}

static void test_poll_err(struct port *p)
{
	struct pollfd pfd = {.fd = p->fd, .events = POLLIN};
	struct ring_ptrs before;

	MUST_OK(ioctl(p->fd, NIOCRXSYNC, NULL), "NIOCRXSYNC");
	before = ptrs_of(p->rx);
	p->rx->head = p->rx->cur = nm_ring_next(p->rx, p->rx->tail);
	CHECK_EQ(poll(&pfd, 1, 100), 1, "poll after a bad rx head returns 1");
	CHECK(pfd.revents & POLLERR,
	      "poll after a bad rx head: POLLERR "
	      "(revents 0x%x)",
	      pfd.revents);
	check_ptrs(p->rx, before, "rx ring reinitialised by poll");

	before = ptrs_of(p->tx);
	p->tx->head = p->tx->num_slots + 3;
	pfd.events = POLLOUT;
	CHECK_EQ(poll(&pfd, 1, 100), 1, "poll after a bad tx head returns 1");
	CHECK(pfd.revents & POLLERR,
	      "poll after a bad tx head: POLLERR "
	      "(revents 0x%x)",
	      pfd.revents);
	check_ptrs(p->tx, before, "tx ring reinitialised by poll");
}

/*
 * Frame A, a slot spoilt by @spoil, frame B: the sync fails with EINVAL
 * after sending A; head stops at the bad slot; B stays unsent.
 */
static uint32_t tx_bad_slot(struct port *p, uint32_t seq, const char *what,
			    int spoil_idx, uint32_t bad_idx, uint16_t bad_len)
{
	struct netmap_ring *tx = p->tx;
	struct netmap_slot *s;
	uint32_t at, saved_idx;

	tx_wait_space(p, 3);
	tx_put(p, seq, 60);
	at = tx->head;
	s = &tx->slot[at];
	saved_idx = s->buf_idx;
	s->buf_idx = spoil_idx ? bad_idx : saved_idx;
	s->len = bad_len;
	s->flags = 0;
	tx->head = tx->cur = nm_ring_next(tx, at);
	tx_put(p, seq + 1, 60);
	tally.tx_frames--; /* B is not sent */
	tally.tx_bytes -= 60;
	CHECK_ERR(ioctl(p->fd, NIOCTXSYNC, NULL), EINVAL,
		  "NIOCTXSYNC with %s gives EINVAL", what);
	CHECK(tx->head == at && tx->cur == at,
	      "%s: head and cur stop at the bad slot %u (got %u/%u)", what, at,
	      tx->head, tx->cur);
	CHECK(s->len == 0 && s->buf_idx == (spoil_idx ? 0 : saved_idx),
	      "%s: the bad slot is reset (buf_idx %u len %u)", what, s->buf_idx,
	      s->len);
	s->buf_idx = saved_idx;
	check_no_stale_pollerr(p, what);
	rx_expect(p, seq, 60);
	CHECK(1, "%s: the frame before the bad slot was sent", what);
	rx_expect_none(p, 200, "nothing sent from or after the bad slot");
	return seq + 1;
}

static uint32_t test_bad_tx_slots(struct port *p, uint32_t seq)
{
	seq = tx_bad_slot(p, seq, "a tx slot with buf_idx 0", 1, 0, 60);
	seq = tx_bad_slot(p, seq, "a tx slot with buf_idx 1", 1, 1, 60);
	seq = tx_bad_slot(p, seq, "a tx slot with buf_idx past the region", 1,
			  p->idx_end, 60);
	seq = tx_bad_slot(p, seq, "a tx slot with buf_idx 0xffffffff", 1,
			  0xffffffff, 60);
	seq = tx_bad_slot(p, seq, "a tx slot with len nr_buf_size + 1", 0, 0,
			  (uint16_t)(p->tx->nr_buf_size + 1));
	return seq;
}

/* A received slot released with a bad buf_idx: EINVAL, slot kept. */
static uint32_t rx_bad_release(struct port *p, uint32_t seq, uint32_t bad_idx)
{
	struct netmap_ring *rx = p->rx;
	struct netmap_slot *s;
	uint32_t at, saved_idx;

	tx_wait_space(p, 1);
	tx_put(p, seq, 60);
	MUST_OK(ioctl(p->fd, NIOCTXSYNC, NULL), "NIOCTXSYNC");
	CHECK(rx_wait(p, WAIT_MS), "frame seq %u arrives", seq);
	at = rx->head;
	s = &rx->slot[at];
	CHECK(!(s->flags & NS_MOREFRAG) && s->len == 60, "a one-slot frame");
	saved_idx = s->buf_idx;
	s->buf_idx = bad_idx;
	rx->head = rx->cur = nm_ring_next(rx, at);
	CHECK_ERR(ioctl(p->fd, NIOCRXSYNC, NULL), EINVAL,
		  "NIOCRXSYNC releasing a slot with buf_idx %u gives EINVAL",
		  bad_idx);
	CHECK(rx->head == at && rx->cur == at,
	      "rx head/cur back at the released slot %u (got %u/%u)", at,
	      rx->head, rx->cur);
	CHECK_EQ(s->buf_idx, 0, "the bad rx slot gets buf_idx 0");
	s->buf_idx = saved_idx;
	s->len = 60;
	check_no_stale_pollerr(p, "a bad rx release");
	rx_expect(p, seq, 60);
	return seq + 1;
}

/* Zero copy: a received buffer is swapped into the tx ring and resent. */
static uint32_t test_swap(struct port *p, uint32_t seq)
{
	struct netmap_ring *tx = p->tx, *rx = p->rx;
	struct netmap_slot *ts, *rs;
	uint32_t rx_idx, tx_idx;

	tx_wait_space(p, 1);
	tx_put(p, seq, 200);
	MUST_OK(ioctl(p->fd, NIOCTXSYNC, NULL), "NIOCTXSYNC");
	CHECK(rx_wait(p, WAIT_MS), "frame seq %u arrives for the swap", seq);
	tx_wait_space(p, 1);
	rs = &rx->slot[rx->head];
	ts = &tx->slot[tx->head];
	rx_idx = rs->buf_idx;
	tx_idx = ts->buf_idx;
	memset(NETMAP_BUF(tx, tx_idx), 0xee, tx->nr_buf_size);
	ts->buf_idx = rx_idx;
	ts->len = rs->len;
	ts->flags = NS_BUF_CHANGED;
	rs->buf_idx = tx_idx;
	rs->flags |= NS_BUF_CHANGED;
	rx->head = rx->cur = nm_ring_next(rx, rx->head);
	tx->head = tx->cur = nm_ring_next(tx, tx->head);
	tally.rx_frames++;
	tally.rx_bytes += 200;
	tally.tx_frames++;
	tally.tx_bytes += 200;
	CHECK_OK(ioctl(p->fd, NIOCTXSYNC, NULL), "NIOCTXSYNC of a swap");
	CHECK_OK(ioctl(p->fd, NIOCRXSYNC, NULL), "NIOCRXSYNC of a swap");
	rx_expect(p, seq, 200);
	CHECK(1, "NS_BUF_CHANGED: the swapped rx buffer %u was sent intact",
	      rx_idx);
	return seq + 1;
}

static uint32_t test_timestamp(struct port *p, uint32_t seq)
{
	struct netmap_ring *rx = p->rx;
	struct timeval now;

	rx->flags |= NR_TIMESTAMP;
	memset(&rx->ts, 0, sizeof(rx->ts));
	tx_wait_space(p, 1);
	tx_put(p, seq, 60);
	MUST_OK(ioctl(p->fd, NIOCTXSYNC, NULL), "NIOCTXSYNC");
	rx_expect(p, seq, 60);
	gettimeofday(&now, NULL);
	CHECK(rx->ts.tv_sec != 0 || rx->ts.tv_usec != 0,
	      "NR_TIMESTAMP: ring->ts set by the sync that received");
	CHECK(rx->ts.tv_sec > now.tv_sec - 60 && rx->ts.tv_sec <= now.tv_sec,
	      "NR_TIMESTAMP: ring->ts is wall-clock time (%ld vs %ld)",
	      (long)rx->ts.tv_sec, (long)now.tv_sec);
	rx->flags &= ~NR_TIMESTAMP;
	return seq + 1;
}

static void test_stats(struct port *p)
{
	struct pktmap_stats st;

	CHECK_OK(pktmap_stats_get(p->fd, &st), "pktmap_stats_get");
	printf(
	    "stats: tx %llu/%llu rx %llu/%llu drops %llu trunc %llu "
	    "tx_errors %llu tx_busy %llu\n",
	    (unsigned long long)st.tx_packets, (unsigned long long)st.tx_bytes,
	    (unsigned long long)st.rx_packets, (unsigned long long)st.rx_bytes,
	    (unsigned long long)st.rx_drops,
	    (unsigned long long)st.rx_truncated,
	    (unsigned long long)st.tx_errors, (unsigned long long)st.tx_busy);
	CHECK_EQ(st.tx_packets, tally.tx_frames, "stats tx_packets");
	CHECK_EQ(st.tx_bytes, tally.tx_bytes, "stats tx_bytes");
	CHECK_EQ(st.rx_packets, tally.rx_frames, "stats rx_packets");
	CHECK_EQ(st.rx_bytes, tally.rx_bytes, "stats rx_bytes");
	CHECK_EQ(st.rx_drops, 0, "stats rx_drops");
	CHECK_EQ(st.rx_truncated, 0, "stats rx_truncated");
}

/* ---- the classic library (nm_open and friends) --------------------------- */

static void test_nm_open_names(void)
{
	errno = 1234;
	CHECK(nm_open("eth0", NULL, 0, NULL) == NULL && errno == 0,
	      "nm_open of a non-netmap name: NULL, errno 0");
	CHECK(nm_open("netmap:lo/q", NULL, 0, NULL) == NULL && errno == EINVAL,
	      "nm_open with an unknown flag: EINVAL");
	CHECK(nm_open("netmap:abcdefghijklmnop", NULL, 0, NULL) == NULL &&
		  errno == EINVAL,
	      "nm_open of a 16-character name: EINVAL");
	CHECK(nm_open("netmap:lo-", NULL, 0, NULL) == NULL && errno == EINVAL,
	      "nm_open with '-' and no ring: EINVAL");
	CHECK(nm_open("netmap:pktmapnosuch0", NULL, 0, NULL) == NULL &&
		  errno == ENXIO,
	      "nm_open of a nonexistent interface: ENXIO");
}

static uint32_t dispatched;

static void count_frame(unsigned char *arg, const struct nm_pkthdr *h,
			const unsigned char *buf)
{
	uint32_t *next = (uint32_t *)(void *)arg;
	uint8_t want[1514];

	build_frame(want, *next, 1514);
	if (!is_ours(buf, h->caplen))
		return;
	if (h->len != 1514 || h->caplen != 1514 || frame_seq(buf) != *next ||
	    memcmp(buf, want, 1514) != 0)
		CHECK(0, "nm_dispatch frame seq %u intact (len %u caplen %u)",
		      *next, h->len, h->caplen);
	(*next)++;
	dispatched++;
}

/* nm_inject @count frames, push them, and nm_dispatch them back. */
static uint32_t nm_roundtrip(struct nm_desc *d, uint32_t seq, uint32_t count)
{
	struct pollfd pfd = {.fd = NETMAP_FD(d), .events = POLLIN};
	static uint8_t frame[1514];
	uint32_t next = seq, i;
	uint64_t end = now_ms() + WAIT_MS;

	for (i = 0; i < count; i++) {
		build_frame(frame, seq + i, sizeof(frame));
		if (nm_inject(d, frame, sizeof(frame)) != sizeof(frame))
			CHECK(0, "nm_inject frame %u of %u", i, count);
	}
	CHECK(1, "nm_inject %u frames of %zu bytes", count, sizeof(frame));
	dispatched = 0;
	while (dispatched < count && now_ms() < end) {
		poll(&pfd, 1, 100); /* also pushes the injected frames */
		nm_dispatch(d, 0, count_frame, (unsigned char *)&next);
	}
	CHECK_EQ(dispatched, count,
		 "nm_dispatch got every injected frame, in order, intact");
	return seq + count;
}

/* nm_nextpkt, polling up to WAIT_MS for a frame of ours. */
static unsigned char *wait_nextpkt(struct nm_desc *d, struct nm_pkthdr *h)
{
	struct pollfd pfd = {.fd = NETMAP_FD(d), .events = POLLIN};
	uint64_t end = now_ms() + WAIT_MS;
	unsigned char *buf;

	while (now_ms() < end) {
		buf = nm_nextpkt(d, h);
		if (buf && is_ours(buf, h->caplen))
			return buf;
		if (buf == NULL)
			poll(&pfd, 1, 100);
	}
	return NULL;
}

static uint32_t test_nm_lib(uint32_t seq)
{
	struct nm_desc *d = nm_open("netmap:" PORT, NULL, 0, NULL), *d2;
	struct nm_pkthdr h;
	uint8_t frame[60];

	CHECK(d != NULL, "nm_open netmap:%s", PORT);
	CHECK(d->self == d && d->done_mmap && d->mem && d->memsize,
	      "nm_desc is mapped");
	CHECK(strcmp(d->req.nr_name, PORT) == 0, "nr_name is \"%s\"", PORT);
	CHECK_EQ(d->req.nr_arg2, 1, "nm_desc memory id");
	CHECK(d->first_rx_ring == 0 &&
		  d->last_rx_ring == d->req.nr_rx_rings - 1,
	      "nm_desc rx rings 0..%u", d->req.nr_rx_rings - 1);
	CHECK(nm_nextpkt(d, &h) == NULL, "nm_nextpkt on an empty ring: NULL");
	seq = nm_roundtrip(d, seq, 50);

	d2 = nm_open("netmap:" PORT, NULL, NM_OPEN_NO_MMAP, d);
	CHECK(d2 != NULL && d2->mem == d->mem && !d2->done_mmap,
	      "nm_open NM_OPEN_NO_MMAP shares the parent's mapping");
	nm_close(d2);

	build_frame(frame, seq, sizeof(frame));
	CHECK_EQ(nm_inject(d, frame, sizeof(frame)), sizeof(frame),
		 "nm_inject a 60-byte frame");
	CHECK_OK(ioctl(d->fd, NIOCTXSYNC, NULL), "NIOCTXSYNC");
	CHECK(wait_nextpkt(d, &h) != NULL && h.len == 60 &&
		  frame_seq(h.buf) == seq,
	      "nm_nextpkt returns the frame");
	CHECK_EQ(nm_close(d), 0, "nm_close");
	return seq + 1;
}

int main(void)
{
	struct port p;
	uint32_t seq = 1;

	setvbuf(stdout, NULL, _IOLBF, 0);
	test_nm_open_names();
	port_open(&p, NR_REG_ALL_NIC, 0);
	test_new_rings(&p);
	test_idle_poll(&p);
	seq = send_and_check(&p, seq, 100, 60, 100);
	seq = test_swap(&p, seq);
	seq = send_and_check(&p, seq, 3 * p.tx->num_slots, 60, 256);
	seq = send_and_check(&p, seq, 200, 1514, 100);
	seq = send_and_check(&p, seq, 50, 5000, 10);
	seq = test_timestamp(&p, seq);
	test_bad_tx_pointers(&p);
	test_bad_rx_pointers(&p);
	test_poll_err(&p);
	seq = test_bad_tx_slots(&p, seq);
	seq = rx_bad_release(&p, seq, 1);
	seq = rx_bad_release(&p, seq, p.idx_end);
	seq = send_and_check(&p, seq, 100, 60, 100);
	test_stats(&p);
	port_close(&p);
	seq = test_nm_lib(seq);
	printf("ring_contract: all checks passed\n");
	return 0;
}
