// SPDX-License-Identifier: BSD-2-Clause
/*
 * scm -- netmap descriptors passed to an unrelated process by SCM_RIGHTS:
 * a VALE port, pipe ends (of an interface, a VALE port and a name that
 * is neither) and monitors.  The receiver (this program run again by
 * exec, so it inherits nothing) only mmaps and syncs, as netmap's
 * receivers do, and sleeps in poll until the frames come; the sender has
 * closed its copy by then.  An interface's descriptor fails clearly.
 *
 * Runs as root in a fresh network namespace whose only interface is lo.
 */
#include "check.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>

#define FRAMES 100

struct reg_info { /* what the receiver needs besides the descriptor */
	uint64_t offset, memsize;
};

static int open_port(const char *name, uint64_t flags,
		     struct nmreq_register *reg)
{
	int fd = nmt_open();

	nmt_reg_init(reg, NR_REG_ALL_NIC, 0);
	reg->nr_flags = flags;
	return nmt_register(fd, name, reg) == 0 ? fd : -1;
}

static void send_fd(int sock, int fd, const struct reg_info *info)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = {0};
	struct iovec iov = {(void *)info, sizeof(*info)};
	struct msghdr msg = {.msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = cbuf,
			     .msg_controllen = sizeof(cbuf)};
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);

	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	CHECK(sendmsg(sock, &msg, 0) == sizeof(*info), "send the descriptor");
}

static int recv_fd(int sock, struct reg_info *info)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {info, sizeof(*info)};
	struct msghdr msg = {.msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = cbuf,
			     .msg_controllen = sizeof(cbuf)};
	int fd = -1;

	if (recvmsg(sock, &msg, 0) != sizeof(*info))
		return -1;
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	if (c && c->cmsg_type == SCM_RIGHTS)
		memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
}

/* The receiver of @fd: mmap, then poll and sync until FRAMES arrived. */
static int receive_on(int fd, struct reg_info info, int sock)
{
	int got = 0;

	if (fd < 0)
		return 2;
	char *mem =
	    mmap(NULL, info.memsize, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (mem == MAP_FAILED)
		return 3;
	struct netmap_ring *rx = NETMAP_RXRING(NETMAP_IF(mem, info.offset), 0);
	if (write(sock, "r", 1) != 1) /* ready: the sender may send */
		return 4;
	while (got < FRAMES) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		if (poll(&p, 1, 5000) <= 0)
			return 5;
		for (; !nm_ring_empty(rx); got++) {
			struct netmap_slot *s = &rx->slot[rx->head];
			unsigned char *b =
			    (unsigned char *)NETMAP_BUF(rx, s->buf_idx);
			if (s->len != 60 || b[14] != (unsigned char)got)
				return 6;
			rx->head = rx->cur = nm_ring_next(rx, rx->head);
		}
	}
	return 0;
}

static int receiver(int sock)
{
	struct reg_info info;
	int fd = recv_fd(sock, &info);

	return receive_on(fd, info, sock);
}

static void send_frames(int fd, const struct nmreq_register *reg)
{
	char *mem = nmt_mmap(fd, reg);
	struct netmap_ring *tx =
	    NETMAP_TXRING(NETMAP_IF(mem, reg->nr_offset), 0);

	for (int i = 0; i < FRAMES; i++) {
		struct netmap_slot *s = &tx->slot[tx->head];
		unsigned char *b = (unsigned char *)NETMAP_BUF(tx, s->buf_idx);
		memset(b, 0xff, 6);
		memset(b + 6, 2, 6);
		b[12] = 0x88;
		b[13] = 0xb5;
		b[14] = (unsigned char)i;
		s->len = 60;
		tx->head = tx->cur = nm_ring_next(tx, tx->head);
	}
	CHECK_OK(ioctl(fd, NIOCTXSYNC, NULL), "send %d frames", FRAMES);
	munmap(mem, reg->nr_memsize);
}

/* This program again, in @mode, in a process that inherits only @sock. */
static pid_t spawn(const char *mode, int sock)
{
	pid_t pid = fork();

	if (pid == 0) {
		char arg[16];
		snprintf(arg, sizeof(arg), "%d", sock);
		execl("/proc/self/exe", "scm", mode, arg, NULL);
		_exit(9);
	}
	return pid;
}

/*
 * Passes @rx_name's descriptor (registered with @rx_flags: a monitor of
 * @tx_name, say) to a new process and sends it FRAMES frames through
 * @tx_name.
 */
static void pass_and_send_flags(const char *tx_name, const char *rx_name,
				uint64_t rx_flags)
{
	struct nmreq_register treg, rreg;
	int sv[2], status;
	char ready;

	int tx = open_port(tx_name, 0, &treg);
	int rx = open_port(rx_name, rx_flags, &rreg);
	CHECK(tx >= 0 && rx >= 0, "open %s and %s", tx_name, rx_name);
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), "a socketpair");
	pid_t pid = spawn("--receiver", sv[1]);
	close(sv[1]);
	struct reg_info info = {rreg.nr_offset, rreg.nr_memsize};
	send_fd(sv[0], rx, &info);
	close(rx); /* the hand-off: the receiver holds the port alone */
	CHECK(read(sv[0], &ready, 1) == 1, "the receiver mapped the port");
	usleep(100 * 1000); /* it sleeps in poll by now */
	send_frames(tx, &treg);
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "%s: the other process received %d frames in order (status %d)",
	      rx_name, FRAMES, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	close(tx);
	close(sv[0]);
}

static void pass_and_send(const char *tx_name, const char *rx_name)
{
	pass_and_send_flags(tx_name, rx_name, 0);
}

/*
 * A monitor's descriptor inherited across exec (not close-on-exec): the
 * new program finds it by its number alone.
 */
static void inherited_monitor(void)
{
	struct nmreq_register treg, rreg;
	int sv[2], status;
	char ready;

	int tx = open_port("vale0:it", 0, &treg);
	int rx = open_port("vale0:it", NR_MONITOR_TX, &rreg);
	CHECK(tx >= 0 && rx >= 0, "open vale0:it and its /t monitor");
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), "a socketpair");
	pid_t pid = fork();
	if (pid == 0) {
		char a[4][24];
		snprintf(a[0], sizeof(a[0]), "%d", rx);
		snprintf(a[1], sizeof(a[1]), "%llu",
			 (unsigned long long)rreg.nr_offset);
		snprintf(a[2], sizeof(a[2]), "%llu",
			 (unsigned long long)rreg.nr_memsize);
		snprintf(a[3], sizeof(a[3]), "%d", sv[1]);
		execl("/proc/self/exe", "scm", "--inherited", a[0], a[1], a[2],
		      a[3], NULL);
		_exit(9);
	}
	close(sv[1]);
	close(rx);
	CHECK(read(sv[0], &ready, 1) == 1, "the new program mapped it");
	usleep(100 * 1000);
	send_frames(tx, &treg);
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "a monitor inherited across exec saw %d frames (status %d)",
	      FRAMES, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	close(tx);
	close(sv[0]);
}

/* An interface's descriptor cannot be used elsewhere: EOPNOTSUPP. */
static void interface_refused(void)
{
	struct nmreq_register reg;
	int sv[2], status;

	int fd = open_port("lo", 0, &reg);
	CHECK(fd >= 0, "open lo");
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), "a socketpair");
	pid_t pid = spawn("--interface", sv[1]);
	close(sv[1]);
	struct reg_info info = {reg.nr_offset, reg.nr_memsize};
	send_fd(sv[0], fd, &info);
	waitpid(pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "an interface's descriptor elsewhere: EOPNOTSUPP");
	close(fd);
	close(sv[0]);
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--receiver") == 0)
		return receiver(atoi(argv[2]));
	if (argc == 6 && strcmp(argv[1], "--inherited") == 0) {
		struct reg_info info = {strtoull(argv[3], NULL, 0),
					strtoull(argv[4], NULL, 0)};
		return receive_on(atoi(argv[2]), info, atoi(argv[5]));
	}
	if (argc == 3 && strcmp(argv[1], "--interface") == 0) {
		struct reg_info info;
		int fd = recv_fd(atoi(argv[2]), &info);
		return ioctl(fd, NIOCRXSYNC, NULL) < 0 && errno == EOPNOTSUPP
			   ? 0
			   : 1;
	}
	pass_and_send("vale0:tx", "vale0:rx");
	pass_and_send("lo{4", "lo}4");
	pass_and_send("vale0:tx{4", "vale0:tx}4"); /* a VALE port's pipe */
	pass_and_send("pmscm{4", "pmscm}4");	   /* an anonymous parent's */
	/* monitors, of what the sender sends: a VALE port's, a pipe end's */
	pass_and_send_flags("vale0:mt", "vale0:mt", NR_MONITOR_TX);
	pass_and_send_flags("pmscm{5", "pmscm{5", NR_MONITOR_TX);
	pass_and_send_flags("vale0:mz", "vale0:mz", NR_ZCOPY_MON);
	inherited_monitor();
	interface_refused();
	printf("scm: all checks passed\n");
	return 0;
}
