/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * status: pktmap_status_get() against ports this test holds (a VALE port,
 * a pipe end, a monitor), then against a user's bookkeeping overwritten at
 * random, under ASan+UBSan: every answer is whole, every name ends inside
 * its field, every count within pktmap's limits, and nothing faults.
 */
#include "check.h"

#include <dirent.h>
#include <stdbool.h>
#include <pktmap.h>
#include <sys/stat.h>
#include <sys/wait.h>

#define ROUNDS 60

struct port {
	int fd;
	struct nmreq_register reg;
};

static int open_port(struct port *p, const char *name, uint64_t flags)
{
	p->fd = nmt_open();
	if (p->fd < 0)
		return -1;
	nmt_reg_init(&p->reg, NR_REG_ALL_NIC, 0);
	p->reg.nr_flags = flags;
	return nmt_register(p->fd, name, &p->reg);
}

static bool ends_in(const char *s, size_t len)
{
	return memchr(s, '\0', len) != NULL;
}

/* What any answer must satisfy, whatever the bookkeeping held. */
static void check_whole(const struct pktmap_status *st, int round)
{
	bool ok = true;

	for (size_t i = 0; i < st->nports; i++)
		ok &= ends_in(st->ports[i].name, PKTMAP_NAMSIZ) &&
		      ends_in(st->ports[i].swname, PKTMAP_NAMSIZ) &&
		      st->ports[i].nrings >= 1 && st->ports[i].nrings <= 16 &&
		      st->ports[i].nslots >= 8 && st->ports[i].nslots <= 2048;
	for (size_t i = 0; i < st->nswitches; i++)
		ok &= ends_in(st->switches[i].name, PKTMAP_NAMSIZ) &&
		      st->switches[i].nports <= 254;
	for (size_t i = 0; i < st->nnewifs; i++)
		ok &= ends_in(st->newifs[i].name, PKTMAP_NAMSIZ) &&
		      ends_in(st->newifs[i].swname, PKTMAP_NAMSIZ);
	for (size_t i = 0; i < st->npipes; i++)
		ok &= ends_in(st->pipes[i].name, PKTMAP_NAMSIZ) &&
		      st->pipes[i].ends <= 3;
	for (size_t i = 0; i < st->nmonitors; i++)
		ok &= ends_in(st->monitors[i].port, PKTMAP_NAMSIZ) &&
		      st->monitors[i].nrings >= 1 &&
		      st->monitors[i].nrings <= 8;
	for (size_t i = 0; i < st->nregions; i++)
		ok &= st->regions[i].buf_used <= st->regions[i].buf_total &&
		      st->regions[i].ring_used <= st->regions[i].ring_total;
	if (!ok)
		CHECK(ok, "round %d: an answer out of bounds", round);
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t next_random(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/* Overwrites 200 runs of bytes in the first 3 MiB of @path. */
static void scribble(const char *path)
{
	int fd = open(path, O_WRONLY);
	uint8_t buf[64];

	MUST_OK(fd, "open %s", path);
	for (int i = 0; i < 200; i++) {
		size_t n = (size_t[]){1, 4, 8, 64}[next_random() % 4];
		for (size_t k = 0; k < n; k++)
			buf[k] = (uint8_t)next_random();
		MUST_OK(pwrite(fd, buf, n, (off_t)(next_random() % (3 << 20))),
			"pwrite");
	}
	close(fd);
}

/*
 * A user of its own (uid @uid, nobody else uses it) makes a switch with a
 * persistent port, in a child that touched no pktmap state before.
 */
static void make_user_state(uid_t uid)
{
	pid_t pid = fork();

	MUST_OK(pid, "fork");
	if (pid == 0) {
		struct nmreq_vale_newif nw = {0};
		struct nmreq_vale_attach at = {0};

		if (setgid(uid) < 0 || setuid(uid) < 0 ||
		    nmt_ctrl(NETMAP_REQ_VALE_NEWIF, "px", &nw) < 0 ||
		    nmt_ctrl(NETMAP_REQ_VALE_ATTACH, "vale0:px", &at) < 0)
			_exit(1);
		_exit(0);
	}
	int wst;
	waitpid(pid, &wst, 0);
	MUST_OK(WIFEXITED(wst) && WEXITSTATUS(wst) == 0 ? 0 : -1,
		"uid %u makes vale0:px", (unsigned)uid);
}

static void remove_dir(const char *dir)
{
	char path[512];
	struct dirent *e;
	DIR *d = opendir(dir);

	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.') {
			snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
			unlink(path);
		}
	if (d)
		closedir(d);
	rmdir(dir);
}

static void test_garbage(void)
{
	uid_t uid = 3100000 + (uid_t)getpid() % 100000;
	struct pktmap_status *st;
	char dir[64], mem[2][128];
	struct stat ns;

	make_user_state(uid);
	MUST_OK(stat("/proc/self/ns/net", &ns), "our network namespace");
	snprintf(dir, sizeof(dir), "/dev/shm/pktmap-%u", (unsigned)uid);
	for (int m = 0; m < 2; m++)
		snprintf(mem[m], sizeof(mem[m]), "%s/%lu.mem%d", dir,
			 (unsigned long)ns.st_ino, m + 1);

	MUST_OK(pktmap_status_get(PKTMAP_STATUS_ALL_USERS, &st),
		"status of every user");
	size_t found = 0;
	for (size_t i = 0; i < st->nnewifs; i++)
		found += st->newifs[i].at.uid == uid &&
			 !strcmp(st->newifs[i].name, "px") &&
			 !strcmp(st->newifs[i].swname, "vale0");
	CHECK_EQ(found, 1, "uid %u's px on vale0, seen by root", (unsigned)uid);
	pktmap_status_free(st);

	for (int round = 0; round < ROUNDS; round++) {
		scribble(mem[0]);
		scribble(mem[1]);
		if (pktmap_status_get(PKTMAP_STATUS_ALL_USERS, &st) < 0)
			CHECK(0, "round %d: status: %s", round,
			      strerror(errno));
		check_whole(st, round);
		pktmap_status_free(st);
	}
	CHECK(1, "%d rounds of garbage: whole answers", ROUNDS);
	remove_dir(dir);
}

static void test_own_ports(void)
{
	struct port v, mon, pipe;
	struct pktmap_status *st;
	size_t users = 0;

	MUST_OK(open_port(&v, "vale0:s1", 0), "REGISTER vale0:s1");
	MUST_OK(open_port(&mon, "vale0:s1", NR_MONITOR_TX),
		"REGISTER vale0:s1/t");
	MUST_OK(open_port(&pipe, "lo{7", 0), "REGISTER lo{7");
	MUST_OK(pktmap_status_get(0, &st), "status");
	CHECK_EQ(st->invalid, 0, "nothing left out");
	CHECK_EQ(st->nswitches, 1, "one switch");
	CHECK(!strcmp(st->switches[0].name, "vale0") &&
		  st->switches[0].nports == 1 && st->switches[0].mem_id == 2,
	      "vale0, memory 2, 1 port");
	CHECK_EQ(st->nports, 1, "one port");
	CHECK(!strcmp(st->ports[0].name, "vale0:s1") &&
		  st->ports[0].holder.pid == getpid() &&
		  !st->ports[0].agent.pid && !st->ports[0].persistent,
	      "vale0:s1, held by this process");
	CHECK_EQ(st->nmonitors, 1, "one monitor");
	CHECK(!strcmp(st->monitors[0].port, "vale0:s1") && st->monitors[0].tx &&
		  !st->monitors[0].rx,
	      "a tx monitor of vale0:s1");
	CHECK_EQ(st->npipes, 1, "one pipe");
	CHECK(!strcmp(st->pipes[0].name, "lo{7") && st->pipes[0].ends == 1 &&
		  st->pipes[0].mem_id == 1,
	      "lo{7, its master end, memory 1");
	CHECK_EQ(st->ndetached, 0, "no interface detached");
	for (size_t i = 0; i < st->nregions; i++)
		for (uint32_t u = 0; u < st->regions[i].nusers; u++)
			users += st->regions[i].users[u].pid == getpid();
	CHECK_EQ(st->nregions, 2, "two regions");
	CHECK_EQ(users, 2, "this process uses both");
	check_whole(st, -1);
	pktmap_status_free(st);

	CHECK_ERR(pktmap_status_get(0x80, &st), EINVAL, "an unknown flag");
	CHECK_ERR(pktmap_status_get(0, NULL), EFAULT, "no result pointer");
	close(pipe.fd);
	close(mon.fd);
	close(v.fd);
	MUST_OK(pktmap_status_get(0, &st), "status after closing");
	CHECK(st->nregions == 0 && st->nports == 0 && st->npipes == 0,
	      "nothing left");
	pktmap_status_free(st);
}

int main(void)
{
	test_own_ports();
	test_garbage();
	printf("status: all checks passed\n");
	return 0;
}
