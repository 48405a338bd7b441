// SPDX-License-Identifier: BSD-2-Clause
/*
 * pipe -- netmap pipes through the public API: `lo{N` and `lo}N` in lo's
 * memory, zero-copy slot moves, the sender's tail held until the peer
 * releases, both directions, multi-slot frames, one owner per end, and
 * two processes (a forked child on one end) with blocking polls.
 *
 * Runs as root in a fresh network namespace whose only interface is lo.
 */
#include "check.h"

#include <poll.h>
#include <stdbool.h>

#include <sys/stat.h>
#include <sys/wait.h>

struct end {
	int fd;
	struct nmreq_register reg;
	void *mem;
	struct netmap_ring *tx, *rx;
	struct netmap_if *nifp;
};

static int open_end_extra(struct end *e, const char *name, uint32_t extra)
{
	memset(e, 0, sizeof(*e));
	e->fd = nmt_open();
	nmt_reg_init(&e->reg, NR_REG_ALL_NIC, 0);
	e->reg.nr_extra_bufs = extra;
	if (nmt_register(e->fd, name, &e->reg) < 0) {
		int err = errno;
		close(e->fd);
		errno = err;
		return -1;
	}
	e->mem = nmt_mmap(e->fd, &e->reg);
	struct netmap_if *nifp = NETMAP_IF(e->mem, e->reg.nr_offset);
	e->tx = NETMAP_TXRING(nifp, 0);
	e->rx = NETMAP_RXRING(nifp, 0);
	e->nifp = nifp;
	return 0;
}

static int open_end(struct end *e, const char *name)
{
	return open_end_extra(e, name, 0);
}

static void close_end(struct end *e)
{
	munmap(e->mem, e->reg.nr_memsize);
	close(e->fd);
}

static char pattern(uint32_t frame, uint32_t byte)
{
	return (char)(frame * 31 + byte * 7);
}

/* Puts one frame of @len bytes on @tx, as a chain if longer than a buffer. */
static void put_frame(struct netmap_ring *tx, uint32_t n, uint32_t len)
{
	uint32_t off = 0;

	do {
		struct netmap_slot *s = &tx->slot[tx->head];
		char *b = NETMAP_BUF(tx, s->buf_idx);
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

/* Takes one frame from @rx; true if it is frame @n of @len bytes. */
static bool take_frame(struct netmap_ring *rx, uint32_t n, uint32_t len)
{
	uint32_t off = 0;
	bool ok = true;
	struct netmap_slot *s;

	do {
		if (nm_ring_empty(rx))
			return false;
		s = &rx->slot[rx->head];
		char *b = NETMAP_BUF(rx, s->buf_idx);
		for (uint32_t i = 0; i < s->len && ok; i++)
			ok = b[i] == pattern(n, off + i);
		off += s->len;
		rx->head = rx->cur = nm_ring_next(rx, rx->head);
	} while (s->flags & NS_MOREFRAG);
	return ok && off == len;
}

static void test_geometry(void)
{
	struct end m, s;

	MUST_OK(open_end(&m, "lo{1"), "REGISTER lo{1 (master)");
	MUST_OK(open_end(&s, "lo}1"), "REGISTER lo}1 (slave)");
	CHECK_EQ(m.reg.nr_mem_id, 1, "the pipe lives in lo's memory id");
	CHECK_EQ(m.reg.nr_tx_rings, 1, "one ring pair by default");
	CHECK_EQ(m.reg.nr_host_tx_rings, 0, "no host rings");
	CHECK_EQ(m.tx->tail, m.tx->num_slots - 1, "new tx: tail = slots - 1");
	CHECK_EQ(s.rx->tail, 0, "new rx: empty");
	close_end(&m);
	close_end(&s);
}

/* Slots move whole: the buffer sent is the buffer received. */
static void test_zero_copy_and_order(void)
{
	struct end m, s;
	const uint32_t lens[] = {60, 1514, 5000, 60};

	MUST_OK(open_end(&m, "lo{2"), "REGISTER lo{2");
	MUST_OK(open_end(&s, "lo}2"), "REGISTER lo}2");
	uint32_t first_idx = m.tx->slot[m.tx->head].buf_idx;
	for (uint32_t i = 0; i < 4; i++)
		put_frame(m.tx, i, lens[i]);
	CHECK_OK(ioctl(m.fd, NIOCTXSYNC, NULL), "master txsync");
	CHECK_OK(ioctl(s.fd, NIOCRXSYNC, NULL), "slave rxsync");
	CHECK_EQ(s.rx->slot[s.rx->head].buf_idx, first_idx,
		 "the slave receives the master's buffer (zero copy)");
	CHECK_EQ(nm_ring_space(s.rx), 1 + 1 + 3 + 1,
		 "six slots arrive for the four frames");
	for (uint32_t i = 0; i < 4; i++)
		CHECK(take_frame(s.rx, i, lens[i]),
		      "frame %u (%u bytes) byte-exact and in order", i,
		      lens[i]);

	/* and back, slave to master */
	put_frame(s.tx, 9, 100);
	CHECK_OK(ioctl(s.fd, NIOCTXSYNC, NULL), "slave txsync");
	CHECK_OK(ioctl(m.fd, NIOCRXSYNC, NULL), "master rxsync");
	CHECK(take_frame(m.rx, 9, 100), "slave to master, byte-exact");
	close_end(&m);
	close_end(&s);
}

/* The sender's tail moves only after the receiver released slots. */
static void test_tail_waits_for_release(void)
{
	struct end m, s;

	MUST_OK(open_end(&m, "lo{3"), "REGISTER lo{3");
	MUST_OK(open_end(&s, "lo}3"), "REGISTER lo}3");
	uint32_t n = m.tx->num_slots - 1;
	for (uint32_t i = 0; i < n; i++)
		put_frame(m.tx, i, 60);
	CHECK_OK(ioctl(m.fd, NIOCTXSYNC, NULL), "send a full ring");
	CHECK_EQ(nm_ring_space(m.tx), 0, "the sender has no slot left");
	CHECK_OK(ioctl(m.fd, NIOCTXSYNC, NULL), "sync again");
	CHECK_EQ(nm_ring_space(m.tx), 0, "still none: nothing was released");
	CHECK_OK(ioctl(s.fd, NIOCRXSYNC, NULL), "receive");
	for (uint32_t i = 0; i < 10; i++)
		CHECK(take_frame(s.rx, i, 60), "frame %u", i);
	CHECK_OK(ioctl(s.fd, NIOCRXSYNC, NULL), "release 10 slots");
	CHECK_OK(ioctl(m.fd, NIOCTXSYNC, NULL), "sender syncs");
	CHECK_EQ(nm_ring_space(m.tx), 10, "ten slots came back");
	close_end(&m);
	close_end(&s);
}

/* An end is owned by one process: another one gets EBUSY. */
static void test_one_owner(void)
{
	struct end m;
	int status;

	MUST_OK(open_end(&m, "lo{4"), "REGISTER lo{4");
	pid_t pid = fork();
	if (pid == 0) { /* a process of its own, not a copy of this one */
		execl("/proc/self/exe", "pipe", "--expect-busy", "lo{4", NULL);
		_exit(2);
	}
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "another process opening the same end gets EBUSY");
	close_end(&m);
}

/* A child sends through the slave end; the parent sleeps in poll. */
static void test_two_processes(void)
{
	const uint32_t frames = 20000;
	struct end m;
	uint32_t got = 0, bad = 0;
	int status;

	MUST_OK(open_end(&m, "lo{5"), "REGISTER lo{5 in the parent");
	struct pollfd idle = {.fd = m.fd, .events = POLLIN};
	CHECK_EQ(poll(&idle, 1, 50), 0, "an idle pipe: poll times out");
	pid_t pid = fork();
	if (pid == 0) {
		struct end s;
		close_end(&m);
		if (open_end(&s, "lo}5") < 0)
			_exit(2);
		usleep(100 * 1000); /* the parent is asleep in poll by now */
		for (uint32_t i = 0; i < frames;) {
			struct pollfd p = {.fd = s.fd, .events = POLLOUT};
			if (poll(&p, 1, 5000) <= 0)
				_exit(3);
			for (; i < frames && nm_ring_space(s.tx) > 0; i++)
				put_frame(s.tx, i, 60 + i % 64);
		}
		/* the pipe keeps what we sent after we are gone */
		_exit(ioctl(s.fd, NIOCTXSYNC, NULL) == 0 ? 0 : 4);
	}
	while (got < frames) {
		struct pollfd p = {.fd = m.fd, .events = POLLIN};
		if (poll(&p, 1, 5000) <= 0)
			break;
		while (!nm_ring_empty(m.rx) && got < frames) {
			bad += !take_frame(m.rx, got, 60 + got % 64);
			got++;
		}
	}
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "the child sent everything (status %d)", status);
	CHECK_EQ(got, frames, "every frame crossed the process boundary");
	CHECK_EQ(bad, 0, "byte-exact and in order");
	close_end(&m);
}

/*
 * Extra buffers: a 0-terminated list through each buffer's first word;
 * one of them swapped into a tx slot arrives at the peer as that buffer.
 */
static void test_extra_buffers(void)
{
	struct end m, s;
	uint32_t seen[16], n = 0;

	MUST_OK(open_end_extra(&m, "lo{6", 16), "REGISTER lo{6 with 16 extra");
	MUST_OK(open_end(&s, "lo}6"), "REGISTER lo}6");
	CHECK_EQ(m.reg.nr_extra_bufs, 16, "16 extra buffers granted");
	for (uint32_t i = m.nifp->ni_bufs_head; i && n < 17; n++) {
		CHECK(i >= 2 && i < m.reg.nr_memsize / m.tx->nr_buf_size,
		      "extra buffer %u is a buffer of the region", i);
		for (uint32_t j = 0; j < n; j++)
			CHECK(seen[j] != i, "extra buffer %u listed once", i);
		seen[n < 16 ? n : 15] = i;
		i = *(uint32_t *)NETMAP_BUF(m.tx, i);
	}
	CHECK_EQ(n, 16, "the list holds 16 buffers and ends with 0");

	/* take the head of the list, give the tx slot's buffer to it */
	struct netmap_slot *slot = &m.tx->slot[m.tx->head];
	uint32_t extra = m.nifp->ni_bufs_head;
	m.nifp->ni_bufs_head = *(uint32_t *)NETMAP_BUF(m.tx, extra);
	*(uint32_t *)NETMAP_BUF(m.tx, slot->buf_idx) = m.nifp->ni_bufs_head;
	m.nifp->ni_bufs_head = slot->buf_idx;
	slot->buf_idx = extra;
	slot->flags = NS_BUF_CHANGED;
	memset(NETMAP_BUF(m.tx, extra), 0x5a, 60);
	slot->len = 60;
	m.tx->head = m.tx->cur = nm_ring_next(m.tx, m.tx->head);
	CHECK_OK(ioctl(m.fd, NIOCTXSYNC, NULL), "send the extra buffer");
	CHECK_OK(ioctl(s.fd, NIOCRXSYNC, NULL), "receive");
	CHECK_EQ(s.rx->slot[s.rx->head].buf_idx, extra,
		 "the peer receives the extra buffer itself");
	CHECK_EQ((unsigned char)NETMAP_BUF(s.rx, extra)[59], 0x5a,
		 "with its contents");
	close_end(&m);
	close_end(&s);
}

/* The last close anywhere removes the region's shared object. */
static void test_nothing_left(void)
{
	struct stat ns;
	char path[96];

	CHECK_OK(stat("/proc/self/ns/net", &ns), "our network namespace");
	snprintf(path, sizeof(path), "/dev/shm/pktmap-%u/%lu.mem1",
		 (unsigned)geteuid(), (unsigned long)ns.st_ino);
	CHECK(access(path, F_OK) != 0, "%s is gone after the last close", path);
}

int main(int argc, char **argv)
{
	struct end e;

	if (argc == 3 && strcmp(argv[1], "--expect-busy") == 0)
		return open_end(&e, argv[2]) < 0 && errno == EBUSY ? 0 : 1;
	test_geometry();
	test_zero_copy_and_order();
	test_tail_waits_for_release();
	test_one_owner();
	test_two_processes();
	test_extra_buffers();
	test_nothing_left();
	printf("pipe: all checks passed\n");
	return 0;
}
