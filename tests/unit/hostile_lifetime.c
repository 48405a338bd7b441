// SPDX-License-Identifier: BSD-2-Clause
/*
 * hostile_lifetime -- files, ports and descriptors live as long as someone
 * uses them, and not longer:
 *   - a thread closes a descriptor while another polls or syncs on it
 *     (pipe, VALE, NIC): no use after free; the poll completes on the file
 *     it found, a later sync gets EBADF;
 *   - a forked child that closes inherited descriptors leaves the parent's
 *     rings, buffers and netmap_if alone (NIC and pipe; VALE_ATTACH's
 *     agent is such a child), and a parent that closes first leaves them
 *     to the child; a port opened afterwards gets rings and buffers of
 *     its own; the same for a monitor, whose copies go on exactly;
 *   - a monitor opened and closed again and again while another process
 *     sends through the port it watches: no failed sync, no bad copy;
 *   - close_range, closefrom, dup2, dup3 and a raw close(2) over a netmap
 *     descriptor: a socket given the same number is a plain socket
 *     (FIONREAD works, mmap fails with ENODEV, an epoll set that watched
 *     the old one does not report it).
 *
 * Runs as root in a fresh network namespace whose only interface is lo.
 */
#include "check.h"

#include <pktmap.h>

#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#define ITERATIONS 200
#define FRAMES	   8
#define FRAME_LEN  60
#define ETHERTYPE  0x88b5
#define WAIT_MS	   5000 /* longest wait for a frame that must arrive */

struct port {
	int fd;
	struct nmreq_register reg;
	void *mem;
	struct netmap_if *nifp;
	struct netmap_ring *tx, *rx;
};

/* @flags: 0, or a monitor's (NR_MONITOR_RX, ...) */
static void port_open_flags(struct port *p, const char *name, uint64_t flags)
{
	memset(p, 0, sizeof(*p));
	p->fd = nmt_open();
	nmt_reg_init(&p->reg, NR_REG_ALL_NIC, 0);
	p->reg.nr_flags = flags;
	MUST_OK(nmt_register(p->fd, name, &p->reg), "REGISTER %s", name);
	p->mem = mmap(NULL, p->reg.nr_memsize, PROT_READ | PROT_WRITE,
		      MAP_SHARED, p->fd, 0);
	if (p->mem == MAP_FAILED)
		CHECK(0, "mmap of %s", name);
	p->nifp = NETMAP_IF(p->mem, p->reg.nr_offset);
	p->tx = NETMAP_TXRING(p->nifp, 0);
	p->rx = NETMAP_RXRING(p->nifp, 0);
}

static void port_open(struct port *p, const char *name)
{
	port_open_flags(p, name, 0);
}

static void port_unmap(struct port *p)
{
	munmap(p->mem, p->reg.nr_memsize);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- close while another thread uses the descriptor ---------------------- */

struct user {
	int fd;
	struct netmap_ring *tx;
	atomic_bool started;
	int ret, err;
	short revents;
};

static void *poller(void *arg)
{
	struct user *u = arg;
	struct pollfd pfd = {.fd = u->fd, .events = POLLIN};

	atomic_store(&u->started, true);
	u->ret = poll(&pfd, 1, 5);
	u->revents = pfd.revents;
	return NULL;
}

/* Sends a frame and syncs both directions until the descriptor is gone. */
static void *syncer(void *arg)
{
	struct user *u = arg;
	struct netmap_ring *tx = u->tx;

	for (;;) {
		if (!nm_ring_empty(tx)) {
			struct netmap_slot *s = &tx->slot[tx->head];
			memset(NETMAP_BUF(tx, s->buf_idx), 0xff, FRAME_LEN);
			s->len = FRAME_LEN;
			s->flags = 0;
			tx->head = tx->cur = nm_ring_next(tx, tx->head);
		}
		u->ret = ioctl(u->fd, NIOCTXSYNC, NULL);
		if (u->ret == 0)
			u->ret = ioctl(u->fd, NIOCRXSYNC, NULL);
		atomic_store(&u->started, true);
		if (u->ret < 0) {
			u->err = errno;
			return NULL;
		}
	}
}

static void close_while(const char *name, void *(*fn)(void *))
{
	struct port keep; /* keeps the region: each loop opens only a port */

	port_open(&keep,
		  strncmp(name, "vale", 4) == 0 ? "vale7:keep" : "lo{39");
	for (int i = 0; i < ITERATIONS; i++) {
		struct port p;
		struct user u = {0};
		pthread_t t;

		port_open(&p, name);
		u.fd = p.fd;
		u.tx = p.tx;
		MUST_OK(-pthread_create(&t, NULL, fn, &u), "pthread_create");
		while (!atomic_load(&u.started))
			sched_yield();
		usleep(1000); /* likely asleep in poll, or in a sync */
		MUST_OK(close(p.fd), "close");
		pthread_join(t, NULL);
		if (fn == poller &&
		    !(u.ret == 0 || (u.ret == 1 && u.revents == POLLNVAL)))
			CHECK(0,
			      "%s: poll across close times out on its file "
			      "(ret %d, revents %#x)",
			      name, u.ret, u.revents);
		/* the number is free, or names for a moment a socket the
		 * closing port opened: not a netmap descriptor either way */
		if (fn == syncer &&
		    !(u.ret == -1 && (u.err == EBADF || u.err == EOPNOTSUPP)))
			CHECK(0,
			      "%s: sync after close: EBADF or EOPNOTSUPP "
			      "(ret %d, %s)",
			      name, u.ret, strerror(u.err));
		port_unmap(&p);
	}
	close(keep.fd);
	port_unmap(&keep);
	CHECK(1, "%s: %d closes while another thread %s", name, ITERATIONS,
	      fn == poller ? "polls" : "syncs");
}

/* ---- what a port's rings hold ---------------------------------------------
 */

#define MAX_BUFS 524288

static uint8_t seen[MAX_BUFS / 8];

static void mark_ring(const struct netmap_ring *r, bool *dup)
{
	for (uint32_t i = 0; i < r->num_slots; i++) {
		uint32_t b = r->slot[i].buf_idx;
		if (b >= MAX_BUFS)
			continue;
		*dup |= (seen[b / 8] >> (b % 8)) & 1;
		seen[b / 8] |= (uint8_t)(1u << (b % 8));
	}
}

/* Marks the buffers of @p's bound rings; true if one was marked before. */
static bool mark_port(const struct port *p)
{
	bool dup = false;

	for (uint32_t i = 0; i < p->nifp->ni_tx_rings; i++)
		mark_ring(NETMAP_TXRING(p->nifp, i), &dup);
	for (uint32_t i = 0; i < p->nifp->ni_rx_rings; i++)
		mark_ring(NETMAP_RXRING(p->nifp, i), &dup);
	return dup;
}

/* Does @b have a ring object of @a's (a tx or rx ring, either way)? */
static bool share_a_ring(const struct port *a, const struct port *b)
{
	const struct netmap_if *na = a->nifp, *nb = b->nifp;
	uint32_t ra = na->ni_tx_rings + na->ni_rx_rings;
	uint32_t rb = nb->ni_tx_rings + nb->ni_rx_rings;

	/* the NIC rings, tx then rx: numbered 0 .. ra - 1 here */
	for (uint32_t i = 0; i < ra; i++) {
		const void *x =
		    i < na->ni_tx_rings
			? (void *)NETMAP_TXRING(na, i)
			: (void *)NETMAP_RXRING(na, i - na->ni_tx_rings);
		for (uint32_t j = 0; j < rb; j++) {
			const void *y = j < nb->ni_tx_rings
					    ? (void *)NETMAP_TXRING(nb, j)
					    : (void *)NETMAP_RXRING(
						  nb, j - nb->ni_tx_rings);
			if ((const char *)x - (const char *)a->mem ==
			    (const char *)y - (const char *)b->mem)
				return true;
		}
	}
	return false;
}

/* @b shares no ring, buffer or netmap_if with the ports in @a. */
static void check_apart(const char *what, const struct port *a, int na,
			const struct port *b)
{
	memset(seen, 0, sizeof(seen));
	for (int k = 0; k < na; k++)
		mark_port(&a[k]);
	CHECK(!mark_port(b), "%s: a new port shares no buffer with the old",
	      what);
	for (int k = 0; k < na; k++) {
		CHECK(a[k].reg.nr_offset != b->reg.nr_offset,
		      "%s: a new port has a netmap_if of its own", what);
		CHECK(!share_a_ring(&a[k], b),
		      "%s: a new port has rings of its own", what);
	}
}

/* ---- frames ----------------------------------------------------------------
 */

static uint8_t pattern(uint32_t seq, uint32_t i)
{
	return (uint8_t)(seq * 31 + i * 7);
}

static void put_frame(struct netmap_ring *tx, uint32_t seq)
{
	struct netmap_slot *s = &tx->slot[tx->head];
	uint8_t *f = (uint8_t *)NETMAP_BUF(tx, s->buf_idx);

	memset(f, 0, 12); /* lo's address, both ways */
	f[12] = ETHERTYPE >> 8;
	f[13] = ETHERTYPE & 0xff;
	f[14] = (uint8_t)seq;
	for (uint32_t i = 15; i < FRAME_LEN; i++)
		f[i] = pattern(seq, i);
	s->len = FRAME_LEN;
	s->flags = 0;
	tx->head = tx->cur = nm_ring_next(tx, tx->head);
}

/* Takes the next frame; true if it is ours (the test's ethertype). */
static bool take_frame(struct netmap_ring *rx, uint32_t *seq, bool *intact)
{
	struct netmap_slot *s = &rx->slot[rx->head];
	const uint8_t *f = (const uint8_t *)NETMAP_BUF(rx, s->buf_idx);
	bool ours = s->len == FRAME_LEN && f[12] == (ETHERTYPE >> 8) &&
		    f[13] == (ETHERTYPE & 0xff);

	if (ours) {
		*seq = f[14];
		*intact = true;
		for (uint32_t i = 15; i < FRAME_LEN; i++)
			*intact &= f[i] == pattern(*seq, i);
	}
	rx->head = rx->cur = nm_ring_next(rx, rx->head);
	return ours;
}

/* @from sends FRAMES frames, @to receives exactly those, in order. */
static void send_receive(const char *what, struct port *from, struct port *to)
{
	uint32_t got = 0;
	uint64_t end = now_ms() + WAIT_MS;

	MUST_OK(ioctl(from->fd, NIOCTXSYNC, NULL), "%s: txsync", what);
	CHECK(nm_ring_space(from->tx) >= FRAMES, "%s: tx ring has room", what);
	for (uint32_t n = 0; n < FRAMES; n++)
		put_frame(from->tx, n);
	MUST_OK(ioctl(from->fd, NIOCTXSYNC, NULL), "%s: txsync", what);
	while (got < FRAMES && now_ms() < end) {
		struct pollfd pfd = {.fd = to->fd, .events = POLLIN};
		MUST_OK(poll(&pfd, 1, 100), "%s: poll", what);
		while (!nm_ring_empty(to->rx)) {
			uint32_t seq = 0;
			bool intact = false;
			if (!take_frame(to->rx, &seq, &intact))
				continue;
			if (seq != got || !intact)
				CHECK(0, "%s: frame %u arrives intact", what,
				      got);
			got++;
		}
	}
	CHECK_EQ(got, FRAMES, "%s: frames sent and received exactly", what);
	MUST_OK(ioctl(to->fd, NIOCRXSYNC, NULL), "%s: rxsync", what);
}

/* ---- fork ------------------------------------------------------------------
 */

static void wait_child(pid_t pid, const char *what)
{
	int st;

	MUST_OK(waitpid(pid, &st, 0), "waitpid");
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s: the child is done",
	      what);
}

/* The child closes what it inherited: the parent's ports go on as before. */
static void test_fork_child_closes_nic(void)
{
	struct port nic, fresh;
	char name[16];
	struct netmap_if before;

	port_open(&nic, "lo");
	memcpy(&before, nic.nifp, sizeof(before));
	pid_t pid = fork();
	if (pid == 0) {
		close(nic.fd);
		_exit(0);
	}
	wait_child(pid, "lo");
	CHECK(memcmp(&before, nic.nifp, sizeof(before)) == 0,
	      "lo: the parent's netmap_if is intact after the child's close");
	snprintf(name, sizeof(name), "lo{38");
	port_open(&fresh, name);
	check_apart("lo, after the child's close", &nic, 1, &fresh);
	send_receive("lo, after the child's close", &nic, &nic);
	close(fresh.fd);
	port_unmap(&fresh);
	close(nic.fd);
	port_unmap(&nic);
}

static void test_fork_child_closes_pipe(void)
{
	struct port ends[2], fresh;

	port_open(&ends[0], "lo{34");
	port_open(&ends[1], "lo}34");
	pid_t pid = fork();
	if (pid == 0) {
		close(ends[0].fd);
		close(ends[1].fd);
		_exit(0);
	}
	wait_child(pid, "pipe");
	port_open(&fresh, "lo{35");
	check_apart("pipe, after the child's close", ends, 2, &fresh);
	send_receive("pipe, after the child's close", &ends[0], &ends[1]);
	close(fresh.fd);
	port_unmap(&fresh);
	for (int i = 0; i < 2; i++) {
		close(ends[i].fd);
		port_unmap(&ends[i]);
	}
}

/* The parent closes first: the child keeps the port, and sends on it. */
static void test_fork_parent_closes_first(void)
{
	struct port nic, fresh;
	int go[2];
	char c = 0;

	MUST_OK(pipe(go), "pipe");
	port_open(&nic, "lo");
	pid_t pid = fork();
	if (pid == 0) {
		close(go[1]);
		if (read(go[0], &c, 1) != 1)
			_exit(2);
		send_receive("lo, in the child after the parent's close", &nic,
			     &nic);
		_exit(0);
	}
	close(go[0]);
	close(nic.fd);
	port_open(&fresh, "lo{36");
	check_apart("lo, the child's after the parent's close", &nic, 1,
		    &fresh);
	MUST_OK(write(go[1], "g", 1), "write");
	wait_child(pid, "lo, parent closed first");
	close(go[1]);
	close(fresh.fd);
	port_unmap(&fresh);
	port_unmap(&nic);
}

/* ---- monitors -------------------------------------------------------------
 */

/* @mon holds exactly @n frames, 0 .. @n - 1, intact copies of received ones. */
static void monitor_got(const char *what, struct port *mon, uint32_t n)
{
	uint32_t got = 0;

	MUST_OK(ioctl(mon->fd, NIOCRXSYNC, NULL), "%s: rxsync", what);
	while (!nm_ring_empty(mon->rx)) {
		uint16_t flags = mon->rx->slot[mon->rx->head].flags;
		uint32_t seq = 0;
		bool intact = false;
		if (!take_frame(mon->rx, &seq, &intact) || seq != got ||
		    !intact || (flags & NS_TXMON))
			CHECK(0, "%s: copy %u intact, received", what, got);
		got++;
	}
	CHECK_EQ(got, n, "%s: exactly the frames received, copied", what);
	MUST_OK(ioctl(mon->fd, NIOCRXSYNC, NULL), "%s: rxsync", what);
}

/*
 * The child closes its copy of a monitor: the parent's keeps its rings
 * and copies, and a monitor opened afterwards gets rings of its own.
 */
static void test_fork_child_closes_monitor(void)
{
	struct port ends[2], mon, fresh;

	port_open(&ends[0], "lo{44");
	port_open(&ends[1], "lo}44");
	port_open_flags(&mon, "lo}44", NR_MONITOR_RX);
	pid_t pid = fork();
	if (pid == 0) {
		close(mon.fd);
		_exit(0);
	}
	wait_child(pid, "monitor");
	port_open_flags(&fresh, "lo{44", NR_MONITOR_RX);
	check_apart("monitor, after the child's close", &mon, 1, &fresh);
	send_receive("monitor: lo{44 sends", &ends[0], &ends[1]);
	monitor_got("lo}44/r, after the child's close", &mon, FRAMES);
	monitor_got("lo{44/r, opened afterwards", &fresh, 0);
	send_receive("monitor: lo}44 sends", &ends[1], &ends[0]);
	monitor_got("lo}44/r, after the child's close", &mon, 0);
	monitor_got("lo{44/r, opened afterwards", &fresh, FRAMES);
	close(fresh.fd);
	port_unmap(&fresh);
	close(mon.fd);
	port_unmap(&mon);
	for (int i = 0; i < 2; i++) {
		close(ends[i].fd);
		port_unmap(&ends[i]);
	}
}

/* The parent closes its monitor first: the child's goes on. */
static void test_fork_parent_closes_monitor(void)
{
	struct port ends[2], mon, fresh;
	int go[2];
	char c = 0;

	MUST_OK(pipe(go), "pipe");
	port_open(&ends[0], "lo{45");
	port_open(&ends[1], "lo}45");
	port_open_flags(&mon, "lo}45", NR_MONITOR_RX);
	pid_t pid = fork();
	if (pid == 0) {
		close(go[1]);
		if (read(go[0], &c, 1) != 1)
			_exit(2);
		send_receive("monitor, in the child", &ends[0], &ends[1]);
		monitor_got("lo}45/r, in the child after the parent's close",
			    &mon, FRAMES);
		_exit(0);
	}
	close(go[0]);
	close(mon.fd);
	port_open_flags(&fresh, "lo}45", NR_MONITOR_RX);
	check_apart("monitor, the child's after the parent's close", &mon, 1,
		    &fresh);
	MUST_OK(write(go[1], "g", 1), "write");
	wait_child(pid, "monitor, parent closed first");
	monitor_got("lo}45/r, opened afterwards: what the child received",
		    &fresh, FRAMES);
	close(go[1]);
	close(fresh.fd);
	port_unmap(&fresh);
	port_unmap(&mon);
	for (int i = 0; i < 2; i++) {
		close(ends[i].fd);
		port_unmap(&ends[i]);
	}
}

/*
 * A child opens and closes a monitor of lo}46 again and again while we
 * send through lo{46 to lo}46, whose rxsyncs feed the monitors: our syncs
 * never fail, and every copy a monitor gets is one of our frames, intact.
 */
static void test_monitor_churn(void)
{
	struct port ends[2];
	uint32_t rounds = 0;
	int st;

	port_open(&ends[0], "lo{46");
	port_open(&ends[1], "lo}46");
	pid_t pid = fork();
	if (pid == 0) {
		for (int i = 0; i < ITERATIONS; i++) {
			struct port mon;
			port_open_flags(&mon, "lo}46", NR_MONITOR_RX);
			MUST_OK(ioctl(mon.fd, NIOCRXSYNC, NULL), "rxsync");
			while (!nm_ring_empty(mon.rx)) {
				uint32_t seq = 0;
				bool intact = false;
				if (!take_frame(mon.rx, &seq, &intact) ||
				    !intact || seq >= FRAMES)
					CHECK(0, "monitor %d: copies intact",
					      i);
			}
			close(mon.fd);
			port_unmap(&mon);
		}
		_exit(0);
	}
	while (waitpid(pid, &st, WNOHANG) == 0) {
		struct port *from = &ends[0], *to = &ends[1];
		for (uint32_t n = 0; n < FRAMES && !nm_ring_empty(from->tx);
		     n++)
			put_frame(from->tx, n);
		MUST_OK(ioctl(from->fd, NIOCTXSYNC, NULL), "churn: txsync");
		MUST_OK(ioctl(to->fd, NIOCRXSYNC, NULL), "churn: rxsync");
		to->rx->head = to->rx->cur = to->rx->tail;
		rounds++;
	}
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	      "monitor churn: %d monitors opened and closed, the child is done",
	      ITERATIONS);
	CHECK(1, "monitor churn: %u rounds, every sync succeeded", rounds);
	for (int i = 0; i < 2; i++) {
		close(ends[i].fd);
		port_unmap(&ends[i]);
	}
}

/*
 * VALE_ATTACH of an interface forks an agent, which closes the
 * descriptors it inherits: ours stay as they were.
 */
static void test_vale_attach_agent(void)
{
	struct nmreq_vale_attach at = {0};
	struct nmreq_vale_detach dt = {0};
	static uint32_t bufs[2][2048];
	struct netmap_if before;
	struct port nic, fresh;

	port_open(&nic, "lo");
	memcpy(&before, nic.nifp, sizeof(before));
	for (uint32_t i = 0; i < nic.tx->num_slots && i < 2048; i++)
		bufs[0][i] = nic.tx->slot[i].buf_idx;
	for (uint32_t i = 0; i < nic.rx->num_slots && i < 2048; i++)
		bufs[1][i] = nic.rx->slot[i].buf_idx;
	at.reg.nr_mode = NR_REG_ALL_NIC;
	CHECK_OK(nmt_ctrl(NETMAP_REQ_VALE_ATTACH, "vale6:lo", &at),
		 "ATTACH vale6:lo");
	CHECK(memcmp(&before, nic.nifp, sizeof(before)) == 0,
	      "lo: our netmap_if is intact after the agent started");
	bool same = true;
	for (uint32_t i = 0; i < nic.tx->num_slots && i < 2048; i++)
		same &= bufs[0][i] == nic.tx->slot[i].buf_idx;
	for (uint32_t i = 0; i < nic.rx->num_slots && i < 2048; i++)
		same &= bufs[1][i] == nic.rx->slot[i].buf_idx;
	CHECK(same, "lo: our rings keep their buffers after the agent started");
	port_open(&fresh, "lo{40");
	check_apart("lo, after ATTACH", &nic, 1, &fresh);
	send_receive("lo, after ATTACH", &nic, &nic);
	CHECK_OK(nmt_ctrl(NETMAP_REQ_VALE_DETACH, "vale6:lo", &dt),
		 "DETACH vale6:lo");
	send_receive("lo, after DETACH", &nic, &nic);
	close(fresh.fd);
	port_unmap(&fresh);
	close(nic.fd);
	port_unmap(&nic);
}

/*
 * exec: a pipe end's descriptor without FD_CLOEXEC reaches the new
 * program as the end's socket, which its pktmap adopts at the first mmap
 * (with the sender's registration and netmap_if); the exec'd process
 * (the child here) sends on it.
 */
static int exec_child(int fd, uint64_t memsize, uint64_t offset)
{
	void *mem =
	    mmap(NULL, memsize, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	if (mem == MAP_FAILED)
		return 2;
	struct netmap_ring *tx = NETMAP_TXRING(NETMAP_IF(mem, offset), 0);
	for (uint32_t n = 0; n < FRAMES; n++)
		put_frame(tx, n);
	return ioctl(fd, NIOCTXSYNC, NULL) == 0 ? 0 : 3;
}

static void test_exec_keeps_pipe_end(void)
{
	struct port ends[2];
	char fdarg[16], sizearg[32], ofsarg[32];

	port_open(&ends[0], "lo{43");
	port_open(&ends[1], "lo}43");
	MUST_OK(fcntl(ends[0].fd, F_SETFD, 0), "clear FD_CLOEXEC");
	snprintf(fdarg, sizeof(fdarg), "%d", ends[0].fd);
	snprintf(sizearg, sizeof(sizearg), "%llu",
		 (unsigned long long)ends[0].reg.nr_memsize);
	snprintf(ofsarg, sizeof(ofsarg), "%llu",
		 (unsigned long long)ends[0].reg.nr_offset);
	pid_t pid = fork();
	if (pid == 0) {
		execl("/proc/self/exe", "hostile_lifetime", "--exec-child",
		      fdarg, sizearg, ofsarg, (char *)NULL);
		_exit(127);
	}
	wait_child(pid, "exec: the new program adopts the pipe end and syncs");
	uint32_t got = 0;
	MUST_OK(ioctl(ends[1].fd, NIOCRXSYNC, NULL), "rxsync");
	while (!nm_ring_empty(ends[1].rx)) {
		uint32_t seq = 0;
		bool intact = false;
		if (take_frame(ends[1].rx, &seq, &intact) && seq == got &&
		    intact)
			got++;
	}
	CHECK_EQ(got, FRAMES, "exec: the frames it sent arrive exactly");
	for (int i = 0; i < 2; i++) {
		close(ends[i].fd);
		port_unmap(&ends[i]);
	}
}

/* ---- numbers reused --------------------------------------------------------
 */

enum how {
	BY_CLOSE_RANGE,
	BY_CLOSE_RANGE_ALL,
	BY_CLOSEFROM,
	BY_RAW_CLOSE,
	BY_DUP2,
	BY_DUP3,
};

static const char *const how_name[] = {
    "close_range(fd, fd)", "close_range(fd, ~0)", "closefrom",
    "raw close(2)",	   "dup2 over it",	  "dup3 over it",
};

/* A socket at @fd behaves as a plain socket. */
static void check_plain_socket(int fd, const char *how)
{
	int n = -1;

	CHECK_OK(ioctl(fd, FIONREAD, &n), "%s: FIONREAD on the new socket",
		 how);
	CHECK_EQ(n, 0, "%s: FIONREAD reads 0 bytes", how);
	void *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(m == MAP_FAILED && errno == ENODEV,
	      "%s: mmap of the new socket fails with ENODEV", how);
}

static void test_number_reused(enum how how)
{
	const char *what = how_name[how];
	struct port p;
	int s;

	port_open(&p, "lo{31");
	int other = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	MUST_OK(other, "socket");
	switch (how) {
	case BY_CLOSE_RANGE:
		MUST_OK(close_range((unsigned)p.fd, (unsigned)p.fd, 0), "%s",
			what);
		break;
	case BY_CLOSE_RANGE_ALL:
		close(other); /* above p.fd: it goes too */
		MUST_OK(close_range((unsigned)p.fd, ~0u, 0), "%s", what);
		break;
	case BY_CLOSEFROM:
		close(other);
		closefrom(p.fd);
		break;
	case BY_RAW_CLOSE:
		MUST_OK(syscall(SYS_close, p.fd), "%s", what);
		break;
	case BY_DUP2:
		MUST_OK(dup2(other, p.fd), "%s", what);
		break;
	case BY_DUP3:
		MUST_OK(dup3(other, p.fd, O_CLOEXEC), "%s", what);
		break;
	}
	if (how == BY_DUP2 || how == BY_DUP3) {
		s = p.fd;
	} else {
		s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		CHECK_EQ(s, p.fd, "%s: a new socket gets the number", what);
	}
	check_plain_socket(s, what);
	close(s);
	if (how != BY_CLOSE_RANGE_ALL && how != BY_CLOSEFROM)
		close(other);
	port_unmap(&p);
	/* the end is free again: its file went with the number */
	port_open(&p, "lo}31");
	close(p.fd);
	port_unmap(&p);
}

/* CLOSE_RANGE_CLOEXEC closes nothing: the descriptor still syncs. */
static void test_close_range_cloexec(void)
{
	struct port p;

	port_open(&p, "lo{32");
	MUST_OK(
	    close_range((unsigned)p.fd, (unsigned)p.fd, CLOSE_RANGE_CLOEXEC),
	    "close_range CLOEXEC");
	CHECK(fcntl(p.fd, F_GETFD) & FD_CLOEXEC,
	      "close_range CLOEXEC: the descriptor is close-on-exec");
	CHECK_OK(ioctl(p.fd, NIOCTXSYNC, NULL),
		 "close_range CLOEXEC: the descriptor still syncs");
	close(p.fd);
	port_unmap(&p);
}

/* F_DUPFD: the copy names the file; the original's number is free. */
static void test_fdupfd(void)
{
	struct port p;

	port_open(&p, "lo{33");
	int d = fcntl(p.fd, F_DUPFD_CLOEXEC, 100);
	CHECK(d >= 100, "F_DUPFD_CLOEXEC: a copy at 100 or above");
	MUST_OK(close(p.fd), "close");
	CHECK_OK(ioctl(d, NIOCTXSYNC, NULL), "F_DUPFD_CLOEXEC: the copy syncs");
	int s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	CHECK_EQ(s, p.fd, "F_DUPFD_CLOEXEC: a new socket gets the number");
	check_plain_socket(s, "F_DUPFD_CLOEXEC");
	close(s);
	close(d);
	port_unmap(&p);
}

/*
 * A vfork() child (as Python's subprocess makes) shares our memory but not
 * our descriptors: what it closes and dups before exec is its own, and the
 * parent's descriptor keeps its port.
 */
static void test_vfork_child_closes(void)
{
	struct pktmap_stats st;
	struct port p;
	int status;

	port_open(&p, "lo{34");
	pid_t pid = vfork();
	if (pid == 0) {
		dup2(p.fd, 100);
		close(p.fd);
		close_range(3, ~0u, 0);
		_exit(0);
	}
	MUST_OK(pid, "vfork");
	MUST_OK(waitpid(pid, &status, 0) == pid ? 0 : -1, "waitpid");
	CHECK_OK(pktmap_stats_get(p.fd, &st),
		 "vfork: the parent's descriptor still has its port");
	CHECK_OK(ioctl(p.fd, NIOCTXSYNC, NULL),
		 "vfork: the parent's descriptor still syncs");
	CHECK_ERR(pktmap_stats_get(100, &st), ENXIO,
		  "vfork: the child's dup2 made no netmap descriptor here");
	close(p.fd);
	port_unmap(&p);
}

/*
 * epoll sets forget what close_range closed: a netmap descriptor (whose
 * tx ring, ready for EPOLLOUT, would be reported), and a set itself.
 */
static void test_close_range_epoll(void)
{
	struct epoll_event ev = {.events = EPOLLOUT, .data.u64 = 77}, out;
	struct port p, q;

	port_open(&p, "lo{41");
	int ep = epoll_create1(EPOLL_CLOEXEC);
	MUST_OK(ep, "epoll_create1");
	MUST_OK(epoll_ctl(ep, EPOLL_CTL_ADD, p.fd, &ev), "EPOLL_CTL_ADD");
	CHECK_EQ(epoll_wait(ep, &out, 1, 0), 1, "epoll: the tx ring is ready");
	MUST_OK(close_range((unsigned)p.fd, (unsigned)p.fd, 0), "close_range");
	int s = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	CHECK_EQ(s, p.fd, "epoll: a new socket gets the number");
	CHECK_EQ(epoll_wait(ep, &out, 1, 0), 0,
		 "epoll: the set forgot the closed descriptor");
	close(s);
	port_unmap(&p);

	port_open(&q, "lo{42");
	MUST_OK(epoll_ctl(ep, EPOLL_CTL_ADD, q.fd, &ev), "EPOLL_CTL_ADD");
	MUST_OK(close_range((unsigned)ep, (unsigned)ep, 0), "close_range");
	int ep2 = epoll_create1(EPOLL_CLOEXEC);
	CHECK_EQ(ep2, ep, "epoll: a new set gets the number");
	CHECK_EQ(epoll_wait(ep2, &out, 1, 0), 0,
		 "epoll: the new set watches nothing");
	close(ep2);
	close(q.fd);
	port_unmap(&q);
}

static void test_numbers(void)
{
	for (enum how h = BY_CLOSE_RANGE; h <= BY_DUP3; h++)
		test_number_reused(h);
	test_close_range_cloexec();
	test_close_range_epoll();
	test_fdupfd();
	test_vfork_child_closes();
}

static void test_close_while_polled(void)
{
	/* no host rings from here: a NIC port opens five times faster */
	setenv("PKTMAP_DETACH", "0", 1);
	close_while("lo{37", poller);
	close_while("vale7:cw", poller);
	close_while("lo", poller);
}

static void test_close_while_synced(void)
{
	setenv("PKTMAP_DETACH", "0", 1);
	close_while("lo{37", syncer);
	close_while("vale7:cw", syncer);
	close_while("lo", syncer);
}

/* With an argument, only the test of that name. */
int main(int argc, char **argv)
{
	const struct {
		const char *name;
		void (*run)(void);
	} groups[] = {
	    {"numbers", test_numbers},
	    {"fork-pipe", test_fork_child_closes_pipe},
	    {"fork-nic", test_fork_child_closes_nic},
	    {"fork-parent", test_fork_parent_closes_first},
	    {"fork-monitor", test_fork_child_closes_monitor},
	    {"fork-monitor-parent", test_fork_parent_closes_monitor},
	    {"monitor-churn", test_monitor_churn},
	    {"vale-attach", test_vale_attach_agent},
	    {"exec", test_exec_keeps_pipe_end},
	    {"close-poll", test_close_while_polled},
	    {"close-sync", test_close_while_synced},
	};

	if (argc == 5 && strcmp(argv[1], "--exec-child") == 0)
		return exec_child(atoi(argv[2]), strtoull(argv[3], NULL, 10),
				  strtoull(argv[4], NULL, 10));
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++)
		if (argc < 2 || strcmp(argv[1], groups[i].name) == 0)
			groups[i].run();
	printf("all passed\n");
	return 0;
}
