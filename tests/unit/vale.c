// SPDX-License-Identifier: BSD-2-Clause
/*
 * vale -- VALE switches through the public API: ports made on first
 * registration in the switch's memory, the learning behaviour (flood, then
 * unicast to the learned port only, never back to the sender), broadcast,
 * multi-slot frames, an owner per port, and a peer killed by SIGKILL in
 * the middle of its traffic while the other ports carry on.
 *
 * Runs as root in a fresh network namespace whose only interface is lo.
 */
#include "check.h"

#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <sys/wait.h>

struct port {
	int fd;
	struct nmreq_register reg;
	void *mem;
	struct netmap_ring *tx, *rx;
};

static const uint8_t MAC_A[6] = {2, 0, 0, 0, 0, 0xa};
static const uint8_t MAC_B[6] = {2, 0, 0, 0, 0, 0xb};
static const uint8_t MAC_C[6] = {2, 0, 0, 0, 0, 0xc};
static const uint8_t BCAST[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

static int open_port(struct port *p, const char *name)
{
	memset(p, 0, sizeof(*p));
	p->fd = nmt_open();
	nmt_reg_init(&p->reg, NR_REG_ALL_NIC, 0);
	if (nmt_register(p->fd, name, &p->reg) < 0) {
		int err = errno;
		close(p->fd);
		errno = err;
		return -1;
	}
	p->mem = nmt_mmap(p->fd, &p->reg);
	struct netmap_if *nifp = NETMAP_IF(p->mem, p->reg.nr_offset);
	p->tx = NETMAP_TXRING(nifp, 0);
	p->rx = NETMAP_RXRING(nifp, 0);
	return 0;
}

static void close_port(struct port *p)
{
	munmap(p->mem, p->reg.nr_memsize);
	close(p->fd);
}

/* Sends one frame dst <- src of @len bytes, its bytes derived from @tag. */
/* Puts one frame on @p's tx ring without syncing. */
static void queue_frame(struct port *p, const uint8_t *dst, const uint8_t *src,
			uint32_t len, uint8_t tag)
{
	uint32_t off = 0;

	do {
		struct netmap_slot *s = &p->tx->slot[p->tx->head];
		uint8_t *b = (uint8_t *)NETMAP_BUF(p->tx, s->buf_idx);
		uint32_t c = len - off < 2048 ? len - off : 2048;
		for (uint32_t i = 0; i < c; i++)
			b[i] = (uint8_t)(tag + off + i);
		if (off == 0) {
			memcpy(b, dst, 6);
			memcpy(b + 6, src, 6);
		}
		s->len = (uint16_t)c;
		off += c;
		s->flags = off < len ? NS_MOREFRAG : 0;
		p->tx->head = p->tx->cur = nm_ring_next(p->tx, p->tx->head);
	} while (off < len);
}

static void send_frame(struct port *p, const uint8_t *dst, const uint8_t *src,
		       uint32_t len, uint8_t tag)
{
	queue_frame(p, dst, src, len, tag);
	CHECK_OK(ioctl(p->fd, NIOCTXSYNC, NULL), "txsync");
}

/* Frames waiting on @p (after a sync); consumes them; checks @len/@tag. */
static int take(struct port *p, uint32_t len, uint8_t tag)
{
	int frames = 0;
	uint32_t off = 0;
	bool ok = true;

	ioctl(p->fd, NIOCRXSYNC, NULL);
	while (!nm_ring_empty(p->rx)) {
		struct netmap_slot *s = &p->rx->slot[p->rx->head];
		uint8_t *b = (uint8_t *)NETMAP_BUF(p->rx, s->buf_idx);
		for (uint32_t i = off ? 0 : 12; i < s->len && len; i++)
			ok &= b[i] == (uint8_t)(tag + off + i);
		off += s->len;
		if (!(s->flags & NS_MOREFRAG)) {
			frames += !len || (ok && off == len);
			off = 0;
			ok = true;
		}
		p->rx->head = p->rx->cur = nm_ring_next(p->rx, p->rx->head);
	}
	ioctl(p->fd, NIOCRXSYNC, NULL);
	return frames;
}

/* Takes exactly one frame from @p; 1 if it is @len bytes of @tag. */
static int take_one(struct port *p, uint32_t len, uint8_t tag)
{
	uint32_t off = 0;
	bool ok = true;
	struct netmap_slot *s;

	ioctl(p->fd, NIOCRXSYNC, NULL);
	do {
		if (nm_ring_empty(p->rx))
			return 0;
		s = &p->rx->slot[p->rx->head];
		uint8_t *b = (uint8_t *)NETMAP_BUF(p->rx, s->buf_idx);
		for (uint32_t i = off ? 0 : 12; i < s->len; i++)
			ok &= b[i] == (uint8_t)(tag + off + i);
		off += s->len;
		p->rx->head = p->rx->cur = nm_ring_next(p->rx, p->rx->head);
	} while (s->flags & NS_MOREFRAG);
	return ok && off == len;
}

static void test_learning(struct port *a, struct port *b, struct port *c)
{
	send_frame(a, MAC_B, MAC_A, 60, 1);
	CHECK_EQ(take(b, 60, 1), 1, "unknown destination: b gets it");
	CHECK_EQ(take(c, 60, 1), 1, "unknown destination: c gets it too");
	CHECK_EQ(take(a, 0, 0), 0, "never back to the sender");

	send_frame(b, MAC_A, MAC_B, 60, 2);
	CHECK_EQ(take(a, 60, 2), 1, "a was learned: a gets it");
	CHECK_EQ(take(c, 0, 0), 0, "... and c does not");

	send_frame(a, MAC_B, MAC_A, 60, 3);
	CHECK_EQ(take(b, 60, 3), 1, "b was learned: b gets it");
	CHECK_EQ(take(c, 0, 0), 0, "... and c does not");

	send_frame(c, BCAST, MAC_C, 60, 4);
	CHECK_EQ(take(a, 60, 4), 1, "broadcast reaches a");
	CHECK_EQ(take(b, 60, 4), 1, "broadcast reaches b");
	CHECK_EQ(take(c, 0, 0), 0, "broadcast does not come back");

	for (uint8_t i = 0; i < 10; i++)
		send_frame(a, MAC_B, MAC_A, 60 + i * 997, (uint8_t)(5 + i));
	for (uint8_t i = 0; i < 10; i++) {
		CHECK_EQ(take_one(b, 60 + i * 997, (uint8_t)(5 + i)), 1,
			 "frame of %u bytes whole, byte-exact, in order",
			 60 + i * 997);
	}
}

/*
 * One sync of unicast, broadcast and unicast frames again: the sender lets
 * go of a destination it holds to flood, and takes it again, in order.
 */
static void test_mixed_batch(struct port *a, struct port *b, struct port *c)
{
	queue_frame(a, MAC_B, MAC_A, 60, 40);
	queue_frame(a, MAC_B, MAC_A, 60, 41);
	queue_frame(a, BCAST, MAC_A, 60, 42);
	queue_frame(a, MAC_B, MAC_A, 60, 43);
	CHECK_OK(ioctl(a->fd, NIOCTXSYNC, NULL), "one sync of four frames");
	for (uint8_t t = 40; t < 44; t++)
		CHECK_EQ(take_one(b, 60, t), 1, "b gets frame %u in order", t);
	CHECK_EQ(take(c, 60, 42), 1, "c gets the broadcast only");
}

/* A child process floods through vale0:d until it is killed. */
static pid_t start_flooder(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		struct port d;
		if (open_port(&d, "vale0:d") < 0)
			_exit(2);
		for (uint32_t n = 0;; n++) {
			while (nm_ring_space(d.tx) > 0) {
				struct netmap_slot *s = &d.tx->slot[d.tx->head];
				uint8_t *f =
				    (uint8_t *)NETMAP_BUF(d.tx, s->buf_idx);
				memcpy(f, BCAST, 6);
				memset(f + 6, 0xd, 6);
				s->len = 60;
				d.tx->head = d.tx->cur =
				    nm_ring_next(d.tx, d.tx->head);
			}
			ioctl(d.fd, NIOCTXSYNC, NULL);
		}
	}
	return pid;
}

static void test_peer_killed(struct port *a, struct port *b)
{
	pid_t pid = start_flooder();
	int got = 0, status;

	for (int i = 0; i < 200 && got == 0; i++) {
		usleep(5000);
		got = take(a, 0, 0);
	}
	CHECK(got > 0, "a hears the flooding process (%d frames)", got);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	CHECK(WIFSIGNALED(status), "the flooder was killed mid-stream");
	take(a, 0, 0);
	take(b, 0, 0);
	for (uint8_t i = 0; i < 50; i++)
		send_frame(a, MAC_B, MAC_A, 100, i);
	int n = 0;
	for (uint8_t i = 0; i < 50; i++)
		n += take_one(b, 100, i);
	CHECK_EQ(n, 50, "a and b carry on after the kill");
	struct port d;
	CHECK_OK(open_port(&d, "vale0:d"), "the dead process's port reopens");
	close_port(&d);
}

/* Names of the ports VALE_LIST walks through, joined by spaces. */
static void list_ports(char *out, size_t len)
{
	struct nmreq_vale_list l = {0};
	struct nmreq_header hdr;
	int fd = nmt_open();

	out[0] = '\0';
	for (;;) {
		nmt_hdr(&hdr, NETMAP_REQ_VALE_LIST, "", &l);
		if (ioctl(fd, NIOCCTRL, &hdr) < 0)
			break;
		snprintf(out + strlen(out), len - strlen(out), "%s%s",
			 out[0] ? " " : "", hdr.nr_name);
		l.nr_port_idx++;
	}
	CHECK_EQ(errno, ENOENT, "VALE_LIST ends with ENOENT");
	close(fd);
}

/*
 * NEWIF makes a port that outlives its users, reached as netmap:NAME once
 * attached to a switch; LIST walks the ports; errors as netmap's.
 */
static void test_persistent(struct port *a)
{
	struct nmreq_vale_newif nw = {0};
	struct nmreq_vale_attach at = {0};
	struct nmreq_vale_detach dt = {0};
	struct nmreq_vale_list l = {0};
	char names[512];
	struct port p;

	CHECK_OK(nmt_ctrl(NETMAP_REQ_VALE_NEWIF, "pers0", &nw), "NEWIF pers0");
	CHECK_ERR(nmt_ctrl(NETMAP_REQ_VALE_NEWIF, "pers0", &nw), EEXIST,
		  "NEWIF pers0 again: EEXIST");
	CHECK_ERR(nmt_ctrl(NETMAP_REQ_VALE_NEWIF, "lo", &nw), EEXIST,
		  "NEWIF of an interface's name: EEXIST");
	CHECK_OK(nmt_ctrl(NETMAP_REQ_VALE_ATTACH, "vale0:pers0", &at),
		 "ATTACH vale0:pers0");
	CHECK_ERR(nmt_ctrl(NETMAP_REQ_VALE_ATTACH, "vale0:pers0", &at), EBUSY,
		  "ATTACH it again: EBUSY");
	CHECK_ERR(nmt_ctrl(NETMAP_REQ_VALE_ATTACH, "vale0:nosuch", &at), ENXIO,
		  "ATTACH of nothing: ENXIO");
	CHECK_ERR(nmt_ctrl(NETMAP_REQ_VALE_DELIF, "pers0", NULL), EBUSY,
		  "DELIF while attached: EBUSY");

	list_ports(names, sizeof(names));
	CHECK(strstr(names, "vale0:a") && strstr(names, "vale0:pers0"),
	      "LIST shows the ports: %s", names);
	CHECK_OK(nmt_ctrl(NETMAP_REQ_VALE_LIST, "vale0:pers0", &l),
		 "LIST by name");
	CHECK_ERR(nmt_ctrl(NETMAP_REQ_VALE_LIST, "vale0:nosuch", &l), ENXIO,
		  "LIST of an unknown port: ENXIO");

	/* reached by its own name, and it forwards like any port */
	MUST_OK(open_port(&p, "pers0"), "REGISTER netmap:pers0");
	CHECK_EQ(p.reg.nr_mem_id, a->reg.nr_mem_id, "in vale0's memory");
	send_frame(a, BCAST, MAC_A, 60, 9);
	CHECK_EQ(take(&p, 60, 9), 1, "pers0 hears vale0:a's broadcast");
	CHECK_ERR(nmt_ctrl(NETMAP_REQ_VALE_DETACH, "vale0:pers0", &dt), EBUSY,
		  "DETACH while open: EBUSY");
	close_port(&p);
	list_ports(names, sizeof(names));
	CHECK(strstr(names, "vale0:pers0") != NULL, "closed, pers0 stays: %s",
	      names);

	CHECK_OK(nmt_ctrl(NETMAP_REQ_VALE_DETACH, "vale0:pers0", &dt),
		 "DETACH");
	CHECK_OK(nmt_ctrl(NETMAP_REQ_VALE_DELIF, "pers0", NULL), "DELIF");
	CHECK_ERR(nmt_ctrl(NETMAP_REQ_VALE_DELIF, "pers0", NULL), ENXIO,
		  "DELIF again: ENXIO");
	list_ports(names, sizeof(names));
	CHECK(strstr(names, "pers0") == NULL, "gone from LIST: %s", names);
}

/* netmap's limit: a switch of 254 ports; the next one is refused. */
static void test_full_switch(void)
{
	static struct port many[254];
	struct port extra;
	char name[32];
	int opened = 0;

	for (int i = 0; i < 254; i++) {
		snprintf(name, sizeof(name), "vale7:p%d", i);
		opened += open_port(&many[i], name) == 0;
	}
	CHECK_EQ(opened, 254, "a switch takes 254 ports");
	CHECK_ERR(open_port(&extra, "vale7:one_more"), ENOSPC,
		  "the 255th gets ENOSPC");
	for (int i = 0; i < opened; i++)
		close_port(&many[i]);
}

/* netmap's bound: 1 to 16 ring pairs; more asked, 16 given. */
static void test_ring_bounds(void)
{
	struct nmreq_register reg;
	int fd = nmt_open();

	nmt_reg_init(&reg, NR_REG_ALL_NIC, 0);
	reg.nr_tx_rings = reg.nr_rx_rings = 17;
	CHECK_OK(nmt_register(fd, "vale6:wide", &reg), "vale6:wide, 17 rings");
	CHECK(reg.nr_tx_rings == 16 && reg.nr_rx_rings == 16,
	      "16 ring pairs granted (%u/%u)", reg.nr_tx_rings,
	      reg.nr_rx_rings);
	close(fd);
}

static void test_owner(void)
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		execl("/proc/self/exe", "vale", "--expect-busy", "vale0:a",
		      NULL);
		_exit(2);
	}
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "another process opening vale0:a gets EBUSY");
}

int main(int argc, char **argv)
{
	struct port a, b, c;
	struct stat ns;
	char path[96];

	if (argc == 3 && strcmp(argv[1], "--expect-busy") == 0)
		return open_port(&a, argv[2]) < 0 && errno == EBUSY ? 0 : 1;
	MUST_OK(open_port(&a, "vale0:a"), "REGISTER vale0:a");
	MUST_OK(open_port(&b, "vale0:b"), "REGISTER vale0:b");
	MUST_OK(open_port(&c, "vale0:c"), "REGISTER vale0:c");
	CHECK(a.reg.nr_mem_id > 1 && a.reg.nr_mem_id == c.reg.nr_mem_id,
	      "the switch's ports share its memory id %u", a.reg.nr_mem_id);
	CHECK_EQ(a.reg.nr_tx_slots, 1024, "1024 slots by default");
	CHECK_EQ(a.reg.nr_rx_rings, 1, "one ring pair by default");
	test_learning(&a, &b, &c);
	test_mixed_batch(&a, &b, &c);
	test_owner();
	test_persistent(&a);
	test_full_switch();
	test_ring_bounds();
	test_peer_killed(&a, &b);
	close_port(&a);
	close_port(&b);
	close_port(&c);

	CHECK_OK(stat("/proc/self/ns/net", &ns), "our network namespace");
	snprintf(path, sizeof(path), "/dev/shm/pktmap-%u/%lu.mem2",
		 (unsigned)geteuid(), (unsigned long)ns.st_ino);
	CHECK(access(path, F_OK) != 0, "the switch's memory is gone");
	printf("vale: all checks passed\n");
	return 0;
}
