// SPDX-License-Identifier: BSD-2-Clause
/*
 * monitor -- monitors of netmap:lo through the public API, with netmap's
 * timing: /r copies a frame when it arrives on the monitored rx ring, /t
 * when the monitored txsync sends it (NS_TXMON), /rt both, /z gets the
 * buffer itself once the owner releases it; a monitor of a port nobody
 * registered is refused with EINVAL.
 *
 * Runs as root in a fresh network namespace whose only interface is lo.
 */
#include "check.h"

#include <stdbool.h>

struct port {
	int fd;
	struct nmreq_register reg;
	void *mem;
	struct netmap_ring *tx, *rx;
};

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
	return 0;
}

static void close_port(struct port *p)
{
	munmap(p->mem, p->reg.nr_memsize);
	close(p->fd);
}

static void send_frames(struct port *p, int n, uint8_t tag)
{
	for (int i = 0; i < n; i++) {
		struct netmap_slot *s = &p->tx->slot[p->tx->head];
		uint8_t *b = (uint8_t *)NETMAP_BUF(p->tx, s->buf_idx);
		memset(b, 0xff, 6);
		memset(b + 6, 2, 6);
		b[12] = 0x88;
		b[13] = 0xb5;
		b[14] = tag;
		b[15] = (uint8_t)i;
		s->len = 60;
		p->tx->head = p->tx->cur = nm_ring_next(p->tx, p->tx->head);
	}
	CHECK_OK(ioctl(p->fd, NIOCTXSYNC, NULL), "txsync %d frames", n);
}

/* Waits for @p's rx ring to hold @n frames (it syncs); false on timeout. */
static bool wait_frames(struct port *p, uint32_t n)
{
	for (int i = 0; i < 200; i++) {
		ioctl(p->fd, NIOCRXSYNC, NULL);
		if (nm_ring_space(p->rx) >= n)
			return true;
		usleep(5000);
	}
	return false;
}

/*
 * Frames on @m's ring with @tag, in the order sent, checked and consumed;
 * NS_TXMON counted.
 */
static int take(struct port *m, uint8_t tag, int *txmon)
{
	int n = 0;

	ioctl(m->fd, NIOCRXSYNC, NULL);
	while (!nm_ring_empty(m->rx)) {
		struct netmap_slot *s = &m->rx->slot[m->rx->head];
		uint8_t *b = (uint8_t *)NETMAP_BUF(m->rx, s->buf_idx);
		if (s->len == 60 && b[12] == 0x88 && b[14] == tag &&
		    b[15] == (uint8_t)n) {
			n++;
			*txmon += !!(s->flags & NS_TXMON);
		}
		m->rx->head = m->rx->cur = nm_ring_next(m->rx, m->rx->head);
	}
	ioctl(m->fd, NIOCRXSYNC, NULL);
	return n;
}

static void release_all(struct port *p)
{
	p->rx->head = p->rx->cur = p->rx->tail;
	ioctl(p->fd, NIOCRXSYNC, NULL);
}

int main(void)
{
	struct port p, r, t, z;
	int txmon = 0;

	CHECK_ERR(open_port(&r, "lo", NR_MONITOR_RX), EINVAL,
		  "a monitor of an unregistered port: EINVAL");
	MUST_OK(open_port(&p, "lo", 0), "REGISTER lo");
	MUST_OK(open_port(&r, "lo", NR_MONITOR_RX), "monitor lo/r");
	MUST_OK(open_port(&t, "lo", NR_MONITOR_TX), "monitor lo/t");
	MUST_OK(open_port(&z, "lo", NR_ZCOPY_MON), "monitor lo/z");
	CHECK_EQ(r.reg.nr_mem_id, p.reg.nr_mem_id,
		 "monitors share lo's memory");
	CHECK_EQ(r.reg.nr_tx_rings, 1, "a monitor has 1 tx ring, as netmap's");

	send_frames(&p, 10, 1);
	CHECK_EQ(take(&t, 1, &txmon), 10, "/t copied the 10 frames at txsync");
	CHECK_EQ(txmon, 10, "... each marked NS_TXMON");
	CHECK_EQ(take(&r, 1, &txmon), 0, "/r: nothing before lo receives");
	CHECK(wait_frames(&p, 10), "lo receives its 10 frames");
	txmon = 0;
	CHECK_EQ(take(&r, 1, &txmon), 10, "/r copied them at arrival");
	CHECK_EQ(txmon, 0, "... without NS_TXMON");
	CHECK_EQ(take(&z, 1, &txmon), 10, "/z saw the 10 sent (copied)");
	CHECK_EQ(take(&z, 1, &txmon), 0, "/z: received ones wait for release");

	uint32_t idx = p.rx->slot[p.rx->head].buf_idx;
	release_all(&p);
	ioctl(z.fd, NIOCRXSYNC, NULL);
	CHECK_EQ(nm_ring_space(z.rx), 10, "/z got them at release");
	CHECK_EQ(z.rx->slot[z.rx->head].buf_idx, idx,
		 "/z got the buffer itself (zero copy)");
	take(&z, 1, &txmon);

	close_port(&r);
	close_port(&t);
	close_port(&z);
	send_frames(&p, 5, 2);
	CHECK(wait_frames(&p, 5), "with the monitors gone lo still works");
	close_port(&p);

	/* a pipe's send swaps the buffers away: /t copies them first */
	struct port m, sl;
	MUST_OK(open_port(&m, "lo{9", 0), "REGISTER lo{9");
	MUST_OK(open_port(&sl, "lo}9", 0), "REGISTER lo}9");
	MUST_OK(open_port(&t, "lo{9", NR_MONITOR_TX), "monitor lo{9/t");
	txmon = 0;
	send_frames(&m, 6, 3);
	CHECK_EQ(take(&t, 3, &txmon), 6,
		 "pipe /t: the 6 frames sent, in order");
	CHECK_EQ(txmon, 6, "... each marked NS_TXMON");
	CHECK(wait_frames(&sl, 6), "the other end got them too");
	CHECK_EQ(take(&sl, 3, &txmon), 6, "... intact");
	close_port(&t);
	close_port(&sl);
	close_port(&m);
	printf("monitor: all checks passed\n");
	return 0;
}
