/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * hostile_users: other users and dead processes against a user's ports.
 *
 * Another user (uid 65534, same network namespace) can neither squat the
 * names of our regions and sockets, nor block our opens, nor reach our
 * frames; processes killed while holding pipes, monitors or VALE ports
 * leave nothing behind that a new opener cannot get back; a reused name
 * gets fresh rings; and a forged buffer index (in a dead port's slots, in
 * ni_bufs_head) frees nobody else's buffer.  Buffers in use are counted
 * with pktmap_pool_usage_get().
 */
#include "check.h"

#include <dirent.h>
#include <grp.h>
#include <pktmap.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#define NOBODY	65534
#define VICTIM	65533 /* a user whose directory nobody made yet */
#define NKILLED 40

struct port {
	int fd;
	struct nmreq_register reg;
	void *mem;
	struct netmap_if *nifp;
};

static int open_mode(struct port *p, const char *name, uint32_t mode,
		     uint32_t extra)
{
	p->fd = open("/dev/netmap", O_RDWR);
	if (p->fd < 0)
		return -1;
	nmt_reg_init(&p->reg, mode, 0);
	p->reg.nr_extra_bufs = extra;
	if (nmt_register(p->fd, name, &p->reg) < 0) {
		int err = errno;
		close(p->fd);
		errno = err;
		return -1;
	}
	p->mem = mmap(NULL, p->reg.nr_memsize, PROT_READ | PROT_WRITE,
		      MAP_SHARED, p->fd, 0);
	if (p->mem == MAP_FAILED)
		return -1;
	p->nifp = NETMAP_IF(p->mem, p->reg.nr_offset);
	return 0;
}

static int open_port(struct port *p, const char *name, uint32_t extra)
{
	return open_mode(p, name, NR_REG_ALL_NIC, extra);
}

static void close_port(struct port *p)
{
	munmap(p->mem, p->reg.nr_memsize);
	close(p->fd);
}

/* Buffers in use in @p's region, every process counted. */
static uint32_t bufs_used(const struct port *p)
{
	struct pktmap_pool_usage u;

	MUST_OK(pktmap_pool_usage_get(p->fd, &u), "pool usage");
	return u.buf_used;
}

/*
 * This program again, as @uid, doing @role: a new process, which shares
 * nothing with ours but what it is given.
 */
static pid_t spawn_as(uid_t uid, const char *role, const char *a, const char *b)
{
	pid_t pid = fork();

	if (pid == 0) {
		if (setgroups(0, NULL) < 0 || setgid(uid) < 0 ||
		    setuid(uid) < 0)
			_exit(100);
		execl("/proc/self/exe", "hostile_users", role, a, b, NULL);
		_exit(101);
	}
	MUST_OK(pid, "fork");
	return pid;
}

static int finish(pid_t pid)
{
	int st;

	MUST_OK(waitpid(pid, &st, 0), "wait for %d", (int)pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Runs @role as @uid; its exit status. */
static int as_user(uid_t uid, const char *role)
{
	return finish(spawn_as(uid, role, NULL, NULL));
}

static void remove_dir(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;

	while (d && (e = readdir(d)))
		unlinkat(dirfd(d), e->d_name, 0);
	if (d)
		closedir(d);
	if (rmdir(path) < 0)
		unlink(path);
}

static unsigned long netns(void)
{
	struct stat st;

	CHECK_OK(stat("/proc/self/ns/net", &st), "our network namespace");
	return (unsigned long)st.st_ino;
}

/* ---- another user's names -------------------------------------------------
 */

static int squat_victim_dir(bool link)
{
	const char *dir = "/dev/shm/pktmap-65533";

	if (link)
		return symlink("/tmp", dir) < 0 ? 1 : 0;
	return mkdir(dir, 0777) < 0 || chmod(dir, 0777) < 0 ? 1 : 0;
}

static int unsquat_victim_dir(void)
{
	return rmdir("/dev/shm/pktmap-65533") == 0 ||
		       unlink("/dev/shm/pktmap-65533") == 0
		   ? 0
		   : 1;
}

/* The victim's open: 0 if it worked, else its errno. */
/* An open as uid 65533: its errno, 200 if its directory is not its own. */
static int victim_open(void)
{
	struct stat st;
	struct port p;

	if (open_port(&p, "lo{1", 0) < 0)
		return errno;
	bool own = lstat("/dev/shm/pktmap-65533", &st) == 0 &&
		   S_ISDIR(st.st_mode) && st.st_uid == getuid() &&
		   (st.st_mode & 07777) == 0700;
	close_port(&p);
	return own ? 0 : 200;
}

/* Opens a pipe end and closes it: 0 if the user's directory came and went. */
static int open_close(void)
{
	char dir[64];
	struct stat st;
	struct port p;

	snprintf(dir, sizeof(dir), "/dev/shm/pktmap-%u", (unsigned)getuid());
	if (open_port(&p, "lo{1", 0) < 0)
		return 1;
	if (stat(dir, &st) < 0)
		return 2;
	close_port(&p);
	return stat(dir, &st) == 0 ? 3 : 0;
}

/* 100 opens and closes of a pipe end of its own: 0 if every one worked. */
static int churn(const char *id)
{
	char name[32];
	struct port p;

	snprintf(name, sizeof(name), "lo{%s", id);
	for (int i = 0; i < 100; i++) {
		if (open_port(&p, name, 0) < 0)
			return 1;
		close_port(&p);
	}
	return 0;
}

/*
 * The last of a user's processes to close leaves nothing in /dev/shm;
 * processes opening while another removes the directory start again.
 */
static void test_last_close(void)
{
	struct stat st;
	pid_t pid[4];

	remove_dir("/dev/shm/pktmap-65531");
	CHECK_EQ(as_user(65531, "open-close"), 0,
		 "uid 65531's directory exists while a port is open, and goes "
		 "with its last close");
	for (int i = 0; i < 4; i++)
		pid[i] =
		    spawn_as(65531, "churn",
			     (const char *[]){"61", "62", "63", "64"}[i], NULL);
	for (int i = 0; i < 4; i++)
		CHECK_EQ(finish(pid[i]), 0,
			 "process %d of 4: 100 opens and closes, every one "
			 "worked",
			 i);
	CHECK(stat("/dev/shm/pktmap-65531", &st) < 0 && errno == ENOENT,
	      "nothing of uid 65531 is left in /dev/shm");
}

/* A directory, or a symlink, made by another user first is refused. */
static void test_foreign_dir(void)
{
	remove_dir("/dev/shm/pktmap-65533");
	CHECK_EQ(as_user(NOBODY, "squat-dir"), 0,
		 "uid 65534 makes /dev/shm/pktmap-65533, mode 0777");
	CHECK_EQ(as_user(VICTIM, "victim-open"), EACCES,
		 "uid 65533's open refuses the directory: EACCES");
	CHECK_EQ(as_user(NOBODY, "unsquat"), 0, "uid 65534 removes it");
	CHECK_EQ(as_user(NOBODY, "squat-link"), 0,
		 "uid 65534 makes it a symlink to /tmp");
	CHECK_EQ(as_user(VICTIM, "victim-open"), EACCES,
		 "uid 65533's open refuses the symlink: EACCES");
	CHECK_EQ(as_user(NOBODY, "unsquat"), 0, "uid 65534 removes it");
	CHECK_EQ(as_user(VICTIM, "victim-open"), 0,
		 "uid 65533's open works in a directory of its own, mode 0700");
	remove_dir("/dev/shm/pktmap-65533");
}

struct intruder {
	const char *region; /* root's region object */
	const char *sock;   /* root's port's wake-up socket */
	int ready, go;	    /* the intruder's side of two pipes */
};

/*
 * As uid 65534: root's region and sockets are out of reach, and the
 * abstract names and the /dev/shm flock that used to be root's are taken,
 * until root says it is done.
 */
static int intrude(const struct intruder *in)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	char names[4][96];
	int fd, n = 0;
	char c = 0;

	if (open(in->region, O_RDWR) >= 0 || errno != EACCES)
		return 10; /* root's frames readable */
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", in->sock);
	fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	if (sendto(fd, "", 1, 0, (struct sockaddr *)&sun, sizeof(sun)) >= 0 ||
	    errno != EACCES)
		return 11; /* root's wake-up socket floodable */
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) >= 0)
		return 12;
	close(fd);
	/* the names root's ports had (abstract: no permissions) */
	snprintf(names[n++], sizeof(names[0]),
		 "pktmap/pktmap.0.%lu.mem1/pipe/lo{8/M", netns());
	snprintf(names[n++], sizeof(names[0]),
		 "pktmap/pktmap.0.%lu.mem2/vale/0", netns());
	snprintf(names[n++], sizeof(names[0]), "pktmap/detach/1");
	for (int i = 0; i < n; i++) {
		socklen_t len =
		    (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
				strlen(names[i]));
		memset(sun.sun_path, 0, sizeof(sun.sun_path));
		memcpy(sun.sun_path + 1, names[i], strlen(names[i]));
		fd = socket(AF_UNIX, SOCK_DGRAM, 0);
		if (bind(fd, (struct sockaddr *)&sun, len) < 0)
			return 20 + i;
	}
	int shm = open("/dev/shm", O_RDONLY | O_DIRECTORY);
	if (shm < 0 || flock(shm, LOCK_EX) < 0)
		return 30;
	if (write(in->ready, "1", 1) != 1 || read(in->go, &c, 1) != 1)
		return 31;
	return 0;
}

/* A frame root sends on its pipe, for the other user's end to miss. */
static void send_one(struct port *p)
{
	struct netmap_ring *tx = NETMAP_TXRING(p->nifp, 0);

	memset(NETMAP_BUF(tx, tx->slot[tx->head].buf_idx), 0xab, 60);
	tx->slot[tx->head].len = 60;
	tx->head = tx->cur = nm_ring_next(tx, tx->head);
	MUST_OK(ioctl(p->fd, NIOCTXSYNC, NULL), "TXSYNC");
}

static int other_end_sees_nothing(void)
{
	struct port p;

	if (open_port(&p, "lo}7", 0) < 0)
		return 1;
	if (ioctl(p.fd, NIOCRXSYNC, NULL) < 0)
		return 2;
	struct netmap_ring *rx = NETMAP_RXRING(p.nifp, 0);
	return rx->head == rx->tail ? 0 : 3;
}

static void test_other_user(void)
{
	struct sockaddr_un sun = {0};
	socklen_t len = sizeof(sun) - 1;
	struct port mine, a, b, c;
	char region[128], ok = 0;
	int ready[2], go[2];

	MUST_OK(open_port(&mine, "lo{7", 0), "root opens lo{7");
	CHECK_OK(getsockname(mine.fd, (struct sockaddr *)&sun, &len),
		 "lo{7's descriptor is its wake-up socket");
	snprintf(region, sizeof(region), "/dev/shm/pktmap-0/%lu.mem1", netns());
	CHECK(strncmp(sun.sun_path, "/dev/shm/pktmap-0/", 18) == 0,
	      "in root's directory: %s", sun.sun_path);
	send_one(&mine);
	CHECK_EQ(
	    as_user(NOBODY, "other-end"), 0,
	    "uid 65534's lo}7 is a pipe of its own: root's frame not there");

	MUST_OK(pipe(ready), "pipe");
	MUST_OK(pipe(go), "pipe");
	/* the intruder gets only its ends */
	MUST_OK(fcntl(ready[0], F_SETFD, FD_CLOEXEC), "cloexec");
	MUST_OK(fcntl(go[1], F_SETFD, FD_CLOEXEC), "cloexec");
	char fds[32];
	snprintf(fds, sizeof(fds), "%d,%d", ready[1], go[0]);
	setenv("INTRUDER_FDS", fds, 1);
	pid_t pid = spawn_as(NOBODY, "intrude", region, sun.sun_path);
	close(ready[1]);
	close(go[0]);
	if (read(ready[0], &ok, 1) != 1)
		CHECK_EQ(finish(pid), 0,
			 "uid 65534 reaches none of root's "
			 "objects (its status)");
	printf("ok   uid 65534: root's region and socket refused (EACCES), "
	       "root's old names and the /dev/shm flock taken\n");
	alarm(60); /* a blocked open ends the test, failed */
	CHECK_OK(open_port(&a, "lo{8", 0),
		 "root opens lo{8 whose old socket name uid 65534 holds");
	CHECK_OK(open_port(&b, "vale0:x", 0),
		 "root opens a new switch: its region made under our own lock");
	CHECK_OK(open_mode(&c, "lo", NR_REG_NIC_SW, 0),
		 "root detaches lo, whose old lock name uid 65534 holds");
	alarm(0);
	close_port(&a);
	close_port(&b);
	close_port(&c);
	close_port(&mine);
	MUST_OK(write(go[1], "1", 1), "release uid 65534");
	CHECK_EQ(finish(pid), 0, "uid 65534's checks");
	close(ready[0]);
	close(go[1]);
	remove_dir("/dev/shm/pktmap-65534");
}

/* ---- dead owners ----------------------------------------------------------
 */

/* A child holds @name, then is killed: 0 if it could open it. */
static int hold_and_die(const char *name)
{
	int fds[2], st;
	char ok = 0;

	MUST_OK(pipe(fds), "pipe");
	pid_t pid = fork();
	if (pid == 0) {
		struct port p;
		char c = open_port(&p, name, 0) == 0 ? '1' : '0';
		if (write(fds[1], &c, 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	if (read(fds[0], &ok, 1) != 1)
		ok = 0;
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	close(fds[0]);
	close(fds[1]);
	return ok == '1' ? 0 : -1;
}

static void test_dead_pipes(void)
{
	struct port probe, p[31];
	char name[32];

	MUST_OK(open_port(&probe, "lo{probe", 0), "open lo{probe");
	uint32_t base = bufs_used(&probe);
	for (int i = 0; i < NKILLED; i++) {
		snprintf(name, sizeof(name), "lo{dead%d", i);
		CHECK_OK(hold_and_die(name),
			 "process %d opens %s and is killed", i, name);
	}
	for (int i = 0; i < 31; i++) {
		snprintf(name, sizeof(name), "lo{new%d", i);
		MUST_OK(open_port(&p[i], name, 0), "open %s", name);
	}
	printf("ok   after %d killed holders, 31 new pipes open\n", NKILLED);
	for (int i = 0; i < 31; i++)
		close_port(&p[i]);
	CHECK_EQ(bufs_used(&probe), base,
		 "buffers in use: back to what they were");
	close_port(&probe);
}

static void test_dead_monitors(void)
{
	struct port port, m[8];

	MUST_OK(open_port(&port, "lo{mon", 0), "open lo{mon");
	uint32_t base = bufs_used(&port);
	for (int i = 0; i < 10; i++)
		CHECK_OK(hold_and_die("lo{mon/r"),
			 "monitor %d opens and is killed", i);
	for (int i = 0; i < 8; i++)
		MUST_OK(open_port(&m[i], "lo{mon/r", 0), "monitor %d", i);
	printf("ok   after 10 killed monitors, 8 new ones open\n");
	for (int i = 0; i < 8; i++)
		close_port(&m[i]);
	CHECK_EQ(bufs_used(&port), base, "buffers in use: back to before");
	close_port(&port);
}

/* Every buffer index in @p's rings, in @out; their count. */
static uint32_t ring_bufs(const struct port *p, uint32_t *out)
{
	uint32_t n = 0;

	for (uint32_t r = 0; r < p->reg.nr_tx_rings; r++) {
		struct netmap_ring *tx = NETMAP_TXRING(p->nifp, r);
		struct netmap_ring *rx = NETMAP_RXRING(p->nifp, r);
		for (uint32_t i = 0; i < tx->num_slots; i++)
			out[n++] = tx->slot[i].buf_idx;
		for (uint32_t i = 0; i < rx->num_slots; i++)
			out[n++] = rx->slot[i].buf_idx;
	}
	return n;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * A VALE port whose owner filled its slots with another port's buffers is
 * killed: its name, opened again, gets fresh rings of its own, and closing
 * it frees exactly its own buffers.
 */
static void test_vale_name_reused(void)
{
	static uint32_t bbufs[2 * 2048], abufs[2 * 2048];
	struct port b, a;
	int fds[2], st;
	char ok = 0;

	MUST_OK(open_port(&b, "vale1:b", 0), "open vale1:b");
	uint32_t nb = ring_bufs(&b, bbufs);
	uint32_t base = bufs_used(&b);
	MUST_OK(pipe(fds), "pipe");
	pid_t pid = fork();
	if (pid == 0) {
		struct port k;
		if (open_port(&k, "vale1:a", 0) < 0)
			_exit(1);
		for (uint32_t r = 0; r < k.reg.nr_tx_rings; r++) {
			struct netmap_ring *rx = NETMAP_RXRING(k.nifp, r);
			struct netmap_ring *tx = NETMAP_TXRING(k.nifp, r);
			for (uint32_t i = 0; i < rx->num_slots; i++)
				rx->slot[i].buf_idx = bbufs[i % nb];
			for (uint32_t i = 0; i < tx->num_slots; i++)
				tx->slot[i].buf_idx = bbufs[(i + 7) % nb];
		}
		if (write(fds[1], "1", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	CHECK_EQ(read(fds[0], &ok, 1), 1,
		 "vale1:a's owner put vale1:b's buffers in its slots");
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	MUST_OK(open_port(&a, "vale1:a", 0), "open vale1:a again");
	uint32_t na = ring_bufs(&a, abufs);
	qsort(abufs, na, sizeof(*abufs), cmp_u32);
	qsort(bbufs, nb, sizeof(*bbufs), cmp_u32);
	for (uint32_t i = 0; i < na; i++) {
		if (abufs[i] < 2 || abufs[i] >= a.reg.nr_memsize / 2048)
			CHECK(0, "vale1:a buffer %u is not the region's",
			      abufs[i]);
		if (i > 0 && abufs[i] == abufs[i - 1])
			CHECK(0, "vale1:a has buffer %u in two slots",
			      abufs[i]);
		if (bsearch(&abufs[i], bbufs, nb, sizeof(*bbufs), cmp_u32))
			CHECK(0, "vale1:a has vale1:b's buffer %u", abufs[i]);
	}
	printf("ok   vale1:a reopened: %u fresh buffers, none of vale1:b's\n",
	       na);
	CHECK_EQ(bufs_used(&a), base + na,
		 "the dead vale1:a's buffers were freed, the new ones counted");
	close_port(&a);
	CHECK_EQ(bufs_used(&b), base,
		 "closing vale1:a frees exactly its own buffers");
	close_port(&b);
	close(fds[0]);
	close(fds[1]);
}

/*
 * A persistent port keeps its rings for the next opener: what a killed
 * owner wrote in its slots (another port's buffers, one buffer twice) is
 * mended first, and its buffers are all back once it is deleted.
 */
static void test_persistent_mended(void)
{
	static uint32_t bbufs[2 * 2048], hbufs[2 * 2048];
	struct nmreq_vale_newif nw = {0};
	struct nmreq_vale_attach at = {0};
	struct nmreq_vale_detach dt = {0};
	struct port b, h;
	int fds[2], st;
	char ok = 0;

	MUST_OK(open_port(&b, "vale1:b", 0), "open vale1:b");
	uint32_t nb = ring_bufs(&b, bbufs), base = bufs_used(&b);
	CHECK_OK(nmt_ctrl(NETMAP_REQ_VALE_NEWIF, "hp", &nw), "NEWIF hp");
	CHECK_OK(nmt_ctrl(NETMAP_REQ_VALE_ATTACH, "vale1:hp", &at),
		 "ATTACH vale1:hp");
	MUST_OK(pipe(fds), "pipe");
	pid_t pid = fork();
	if (pid == 0) {
		struct port k;
		if (open_port(&k, "hp", 0) < 0)
			_exit(1);
		struct netmap_ring *rx = NETMAP_RXRING(k.nifp, 0);
		struct netmap_ring *tx = NETMAP_TXRING(k.nifp, 0);
		for (uint32_t i = 0; i < rx->num_slots; i++)
			rx->slot[i].buf_idx = bbufs[i % nb];
		tx->slot[1].buf_idx = tx->slot[0].buf_idx;
		if (write(fds[1], "1", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	CHECK_EQ(read(fds[0], &ok, 1), 1,
		 "hp's owner put vale1:b's buffers in its slots");
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	MUST_OK(open_port(&h, "hp", 0), "open hp again");
	uint32_t nh = ring_bufs(&h, hbufs);
	qsort(hbufs, nh, sizeof(*hbufs), cmp_u32);
	qsort(bbufs, nb, sizeof(*bbufs), cmp_u32);
	for (uint32_t i = 0; i < nh; i++) {
		if (i > 0 && hbufs[i] == hbufs[i - 1])
			CHECK(0, "hp has buffer %u in two slots", hbufs[i]);
		if (bsearch(&hbufs[i], bbufs, nb, sizeof(*bbufs), cmp_u32))
			CHECK(0, "hp has vale1:b's buffer %u", hbufs[i]);
	}
	printf("ok   hp reopened: its %u slots hold buffers of its own\n", nh);
	close_port(&h);
	CHECK_OK(nmt_ctrl(NETMAP_REQ_VALE_DETACH, "vale1:hp", &dt),
		 "DETACH vale1:hp");
	CHECK_OK(nmt_ctrl(NETMAP_REQ_VALE_DELIF, "hp", NULL), "DELIF hp");
	CHECK_EQ(bufs_used(&b), base,
		 "buffers in use: vale1:b's, all of hp's back");
	close_port(&b);
	close(fds[0]);
	close(fds[1]);
}

/*
 * Regions are named by the network namespace's inode number, which a new
 * namespace may get once the old one is gone: the new one must not
 * inherit the dead one's persistent ports.  Here the dead namespace's
 * region is moved to our name, as if our namespace had got its number.
 */
static void test_dead_namespace(void)
{
	struct nmreq_vale_newif nw = {0};
	unsigned long dead = 0;
	char from[64], to[64];
	int fds[2], st;

	MUST_OK(pipe(fds), "pipe");
	pid_t pid = fork();
	if (pid == 0) {
		if (unshare(CLONE_NEWNET) < 0)
			_exit(1);
		dead = netns();
		if (write(fds[1], &dead, sizeof(dead)) != sizeof(dead))
			_exit(1);
		_exit(nmt_ctrl(NETMAP_REQ_VALE_NEWIF, "gone0", &nw) < 0);
	}
	CHECK_EQ(read(fds[0], &dead, sizeof(dead)), sizeof(dead),
		 "a namespace of its own");
	waitpid(pid, &st, 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	      "NEWIF gone0 there, then the namespace goes");
	snprintf(from, sizeof(from), "/dev/shm/pktmap-%u/%lu.mem1",
		 (unsigned)geteuid(), dead);
	snprintf(to, sizeof(to), "/dev/shm/pktmap-%u/%lu.mem1",
		 (unsigned)geteuid(), netns());
	CHECK_OK(rename(from, to), "its region takes our name");
	CHECK_OK(nmt_ctrl(NETMAP_REQ_VALE_NEWIF, "gone0", &nw),
		 "NEWIF gone0 here: the dead namespace's port is not ours");
	CHECK_OK(nmt_ctrl(NETMAP_REQ_VALE_DELIF, "gone0", NULL), "DELIF gone0");
	close(fds[0]);
	close(fds[1]);
}

/* ni_bufs_head naming another port's buffer: that buffer stays used. */
static void test_forged_bufs_head(void)
{
	struct port b, c;

	MUST_OK(open_port(&b, "vale1:b", 0), "open vale1:b");
	uint32_t base = bufs_used(&b);
	MUST_OK(open_port(&c, "vale1:c", 16), "open vale1:c, 16 extra buffers");
	CHECK_EQ(c.reg.nr_extra_bufs, 16, "16 extra buffers granted");
	close_port(&c);
	CHECK_EQ(bufs_used(&b), base, "an intact list: all 16 freed");

	MUST_OK(open_port(&c, "vale1:c", 16), "open vale1:c, 16 extra buffers");
	struct netmap_ring *brx = NETMAP_RXRING(b.nifp, 0);
	uint32_t victim = brx->slot[0].buf_idx;
	*(uint32_t *)NETMAP_BUF(brx, victim) = 0; /* the list ends there */
	c.nifp->ni_bufs_head = victim;
	close_port(&c);
	CHECK_EQ(bufs_used(&b), base,
		 "ni_bufs_head = vale1:b's buffer %u: it stays used, and the "
		 "16 the list lost are vale1:c's, freed with it",
		 victim);
	close_port(&b);
}

/* The other users' side, in a process of their own. */
static int role(int argc, char **argv)
{
	if (strcmp(argv[1], "squat-dir") == 0)
		return squat_victim_dir(false);
	if (strcmp(argv[1], "squat-link") == 0)
		return squat_victim_dir(true);
	if (strcmp(argv[1], "unsquat") == 0)
		return unsquat_victim_dir();
	if (strcmp(argv[1], "victim-open") == 0)
		return victim_open();
	if (strcmp(argv[1], "open-close") == 0)
		return open_close();
	if (strcmp(argv[1], "churn") == 0 && argc >= 3)
		return churn(argv[2]);
	if (strcmp(argv[1], "other-end") == 0)
		return other_end_sees_nothing();
	if (strcmp(argv[1], "intrude") == 0 && argc == 4) {
		struct intruder in = {.region = argv[2], .sock = argv[3]};
		if (sscanf(getenv("INTRUDER_FDS"), "%d,%d", &in.ready,
			   &in.go) != 2)
			return 99;
		return intrude(&in);
	}
	return 99;
}

int main(int argc, char **argv)
{
	if (argc > 1)
		return role(argc, argv);
	setvbuf(stdout, NULL, _IOLBF, 0);
	test_foreign_dir();
	test_other_user();
	test_dead_pipes();
	test_dead_monitors();
	test_vale_name_reused();
	test_persistent_mended();
	test_forged_bufs_head();
	test_dead_namespace();
	test_last_close();
	printf("hostile_users: all checks passed\n");
	return 0;
}
