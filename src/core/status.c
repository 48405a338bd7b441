/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pktmap_status_get: what pktmap is doing on this machine, for `pktmap`.
 *
 * Everything is read from outside, as a bystander: each region object in
 * the users' directories (/dev/shm/pktmap-UID) is read with pread into
 * private memory, never mapped (a peer shrinking the file cannot fault
 * us) and never locked (a holder stopped under a debugger cannot block
 * us); the detach locks in /run/pktmap, the lock table (/proc/locks) and
 * the sockets of this namespace (/proc/net/unix) name the processes.  The
 * bookkeeping may be anything a process of its user wrote, so every field
 * is checked against the limits the library itself uses before it is
 * reported; what does not fit is left out and counted in `invalid`.
 */
#include "core.h"

#include <pktmap.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/* Bytes of the bookkeeping read: what is reported, not the buffers' owners */
#define META_READ offsetof(struct pm_region_meta, owner_seq)

/* A flock of /proc/locks. */
struct lock_rec {
	uint64_t ino;
	unsigned maj, min;
	int32_t pid;
	bool write;
};

/* A named socket of this network namespace, from /proc/net/unix. */
struct unix_rec {
	uint64_t ino;
	char path[108];
};

/*
 * Processes to find by what their descriptors name: a socket (its inode),
 * or a region's object (its path).
 */
enum want_kind { WANT_DETACHED, WANT_PORT, WANT_REGION };
struct want {
	enum want_kind kind;
	size_t index;	/* in the status' array of that kind */
	uint64_t ino;	/* WANT_DETACHED, WANT_PORT */
	char path[300]; /* WANT_REGION */
};

struct scan {
	unsigned flags;
	uint64_t netns; /* the caller's */
	struct pktmap_status *st;
	struct lock_rec *locks;
	size_t nlocks;
	struct unix_rec *socks;
	size_t nsocks;
	struct want *wants;
	size_t nwants;
	struct pm_region_meta *meta; /* the region being read */
};

/* A zeroed new element at the end of *@arr; NULL if out of memory. */
static void *push(void *arr, size_t *n, size_t size)
{
	void **a = arr;
	char *grown = realloc(*a, (*n + 1) * size);

	if (!grown)
		return NULL;
	*a = grown;
	memset(grown + *n * size, 0, size);
	return grown + (*n)++ * size;
}

/* A name pktmap writes: printable, no blank, NUL-terminated in @len. */
static bool name_ok(const char *s, size_t len)
{
	const char *end = memchr(s, '\0', len);

	if (!end || end == s)
		return false;
	for (; s < end; s++)
		if (!isgraph((unsigned char)*s))
			return false;
	return true;
}

static void fill_proc(struct pktmap_proc *p, int32_t pid)
{
	char path[64];
	struct stat st;
	ssize_t n;
	int fd;

	memset(p, 0, sizeof(*p));
	if (pid <= 0)
		return;
	p->pid = pid;
	snprintf(path, sizeof(path), "/proc/%d", pid);
	if (stat(path, &st) < 0)
		return; /* gone: the pid stays, the command is "" */
	p->uid = st.st_uid;
	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, p->comm, sizeof(p->comm) - 1);
	pm_libc.close(fd);
	for (ssize_t i = 0; i < n; i++)
		if (p->comm[i] == '\n')
			p->comm[i] = '\0';
		else if (!isprint((unsigned char)p->comm[i]))
			p->comm[i] = '?';
}

static bool wanted_place(const struct scan *s, uint32_t uid, uint64_t netns)
{
	return ((s->flags & PKTMAP_STATUS_ALL_USERS) || uid == geteuid()) &&
	       ((s->flags & PKTMAP_STATUS_ALL_NETNS) || netns == s->netns);
}

/* ---- the kernel's tables ------------------------------------------------ */

static int read_locks(struct scan *s)
{
	FILE *f = fopen("/proc/locks", "re");
	char line[256];

	if (!f)
		return 0; /* no /proc: no processes named */
	while (fgets(line, sizeof(line), f)) {
		char type[16], rw[16];
		unsigned long ino;
		unsigned maj, min;
		int pid;
		struct lock_rec *l;

		if (strstr(line, "->") || /* a waiter, not a holder */
		    sscanf(line, "%*d: %15s %*s %15s %d %x:%x:%lu", type, rw,
			   &pid, &maj, &min, &ino) != 6 ||
		    strcmp(type, "FLOCK") != 0 || pid <= 0)
			continue;
		l = push(&s->locks, &s->nlocks, sizeof(*l));
		if (!l) {
			fclose(f);
			return -ENOMEM;
		}
		*l =
		    (struct lock_rec){ino, maj, min, pid, !strcmp(rw, "WRITE")};
	}
	fclose(f);
	return 0;
}

static int read_unix_sockets(struct scan *s)
{
	FILE *f = fopen("/proc/net/unix", "re");
	char line[512];

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		unsigned long ino;
		int at = 0;
		struct unix_rec *u;

		if (sscanf(line, "%*s %*s %*s %*s %*s %*s %lu %n", &ino, &at) !=
			1 ||
		    !at || !line[at])
			continue;
		line[strcspn(line, "\n")] = '\0';
		if (strncmp(line + at, "@pktmap/", 8) != 0 &&
		    strncmp(line + at, "/dev/shm/pktmap-", 16) != 0)
			continue;
		u = push(&s->socks, &s->nsocks, sizeof(*u));
		if (!u) {
			fclose(f);
			return -ENOMEM;
		}
		u->ino = ino;
		snprintf(u->path, sizeof(u->path), "%s", line + at);
	}
	fclose(f);
	return 0;
}

/* Asks for the process holding the socket at @path, if it exists. */
static int want_socket(struct scan *s, const char *path, bool detached,
		       size_t index)
{
	for (size_t i = 0; i < s->nsocks; i++) {
		if (strcmp(s->socks[i].path, path) != 0)
			continue;
		struct want *w = push(&s->wants, &s->nwants, sizeof(*w));
		if (!w)
			return -ENOMEM;
		*w = (struct want){detached ? WANT_DETACHED : WANT_PORT, index,
				   s->socks[i].ino, ""};
		return 0;
	}
	return 0;
}

/* A region's users: each process with a descriptor of its object. */
static void add_user(struct pktmap_status_region *r, int pid)
{
	uint32_t n =
	    r->nusers < PKTMAP_STATUS_PIDS ? r->nusers : PKTMAP_STATUS_PIDS;

	for (uint32_t i = 0; i < n; i++)
		if (r->users[i].pid == pid)
			return;
	if (n < PKTMAP_STATUS_PIDS)
		fill_proc(&r->users[n], pid);
	r->nusers++;
}

/* One descriptor of process @pid, its link read as @link. */
static void match_fd(struct scan *s, int pid, const char *link,
		     bool *seen_region)
{
	unsigned long ino = 0;
	bool sock = sscanf(link, "socket:[%lu]", &ino) == 1;
	struct pktmap_status *st = s->st;

	for (size_t i = 0; i < s->nwants; i++) {
		const struct want *w = &s->wants[i];
		struct pktmap_proc *p;

		if (w->kind == WANT_REGION) {
			if (!sock && !seen_region[i] &&
			    strcmp(w->path, link) == 0) {
				seen_region[i] = true;
				add_user(&st->regions[w->index], pid);
			}
			continue;
		}
		p = w->kind == WANT_DETACHED ? &st->detached[w->index].holder
					     : &st->ports[w->index].holder;
		if (sock && w->ino == ino && !p->pid)
			fill_proc(p, pid);
	}
}

/*
 * Walks every process's descriptors we may read (our own user's, or all
 * for root): the holders of wanted sockets, the users of regions.
 */
static void find_holders(struct scan *s)
{
	bool *seen = calloc(s->nwants ? s->nwants : 1, sizeof(*seen));
	DIR *proc = seen ? opendir("/proc") : NULL;
	struct dirent *e;

	while (proc && (e = readdir(proc))) {
		char path[300], link[300];
		int pid = atoi(e->d_name);
		DIR *fds;
		struct dirent *fe;

		if (pid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/fd", pid);
		if (!(fds = opendir(path)))
			continue; /* another user's, or gone */
		memset(seen, 0, s->nwants * sizeof(*seen));
		while ((fe = readdir(fds))) {
			ssize_t n = readlinkat(dirfd(fds), fe->d_name, link,
					       sizeof(link) - 1);
			if (n <= 0)
				continue;
			link[n] = '\0';
			match_fd(s, pid, link, seen);
		}
		closedir(fds);
	}
	if (proc)
		closedir(proc);
	free(seen);
}

/* ---- detached interfaces ------------------------------------------------ */

static int add_detached(struct scan *s, uint64_t netns, int ifindex,
			int32_t pid, const char *sock)
{
	struct pktmap_status_detached *d;

	d = push(&s->st->detached, &s->st->ndetached, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->at.netns = netns;
	d->ifindex = ifindex;
	if (netns == s->netns && !if_indextoname((unsigned)ifindex, d->ifname))
		d->ifname[0] = '\0';
	fill_proc(&d->holder, pid);
	d->at.uid = d->holder.uid;
	return sock ? want_socket(s, sock, true, s->st->ndetached - 1) : 0;
}

/* Root's detach locks: /run/pktmap/detach.NETNS.IFINDEX, flocked. */
static int read_root_detached(struct scan *s)
{
	DIR *d = opendir("/run/pktmap");
	struct dirent *e;
	int err = 0;

	if (!d)
		return 0;
	while (!err && (e = readdir(d))) {
		unsigned long ns;
		int ifindex, n = 0;
		struct stat st;

		if (sscanf(e->d_name, "detach.%lu.%d%n", &ns, &ifindex, &n) !=
			2 ||
		    e->d_name[n] || ifindex <= 0 ||
		    fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) <
			0 ||
		    !S_ISREG(st.st_mode) || st.st_uid != 0)
			continue;
		for (size_t i = 0; i < s->nlocks; i++) {
			const struct lock_rec *l = &s->locks[i];
			if (l->write && l->ino == st.st_ino &&
			    l->maj == major(st.st_dev) &&
			    l->min == minor(st.st_dev)) {
				err =
				    add_detached(s, ns, ifindex, l->pid, NULL);
				break;
			}
		}
	}
	closedir(d);
	return err;
}

/* Other users' detach locks: abstract sockets of this namespace. */
static int read_user_detached(struct scan *s)
{
	int err = 0;

	for (size_t i = 0; !err && i < s->nsocks; i++) {
		int ifindex, n = 0;

		if (sscanf(s->socks[i].path, "@pktmap/detach/%d%n", &ifindex,
			   &n) == 1 &&
		    !s->socks[i].path[n] && ifindex > 0)
			err = add_detached(s, s->netns, ifindex, 0,
					   s->socks[i].path);
	}
	return err;
}

/* ---- one region's bookkeeping ------------------------------------------ */

static int read_switches(struct scan *s, const struct pktmap_place *at)
{
	const struct pm_vale_meta *v = &s->meta->vale;

	for (int i = 0; i < PM_VALE_SWITCHES; i++) {
		const struct pm_vale_switch *sw = &v->switches[i];
		struct pktmap_status_switch *o;

		if (!sw->name[0])
			continue;
		if (!name_ok(sw->name, sizeof(sw->name)) ||
		    sw->nports > PM_VALE_PORTS) {
			s->st->invalid++;
			continue;
		}
		o = push(&s->st->switches, &s->st->nswitches, sizeof(*o));
		if (!o)
			return -ENOMEM;
		o->at = *at;
		memcpy(o->name, sw->name, sizeof(o->name));
		o->mem_id = (uint16_t)(PM_GLOBAL_MEM_ID + 1 + i);
		o->nports = sw->nports;
	}
	for (int i = 0; i < PM_VALE_NEWIFS; i++) {
		const struct pm_vale_newif *n = &v->newifs[i];
		struct pktmap_status_newif *o;

		if (!n->name[0])
			continue;
		if (!name_ok(n->name, sizeof(n->name)) || n->sw < -1 ||
		    n->sw >= PM_VALE_SWITCHES ||
		    (n->sw >= 0 &&
		     !name_ok(v->switches[n->sw].name, NETMAP_REQ_IFNAMSIZ)) ||
		    n->nrings < 1 || n->nrings > PM_VALE_MAX_RINGS ||
		    n->nslots < PM_MIN_SLOTS || n->nslots > PM_MAX_SLOTS) {
			s->st->invalid++;
			continue;
		}
		o = push(&s->st->newifs, &s->st->nnewifs, sizeof(*o));
		if (!o)
			return -ENOMEM;
		o->at = *at;
		memcpy(o->name, n->name, sizeof(o->name));
		o->nrings = n->nrings;
		o->nslots = n->nslots;
		if (n->sw >= 0)
			memcpy(o->swname, v->switches[n->sw].name,
			       sizeof(o->swname));
	}
	return 0;
}

static uint64_t shrx_drops(const struct pm_shrx *x, uint32_t n,
			   uint32_t *stalled)
{
	uint64_t drops = 0;

	for (uint32_t k = 0; k < n; k++) {
		drops += x[k].drops;
		if (stalled && x[k].stalled)
			++*stalled;
	}
	return drops;
}

static int read_ports(struct scan *s, const struct pktmap_place *at,
		      const char *region)
{
	for (int i = 0; i < PM_VALE_PORTS; i++) {
		const struct pm_vale_port *m = &s->meta->vale.ports[i];
		struct pktmap_status_port *o;
		const char *colon;
		char sock[320];

		if (!(m->seq & 1) || !m->name[0])
			continue; /* free, or being made or removed */
		colon = memchr(m->name, ':', sizeof(m->name));
		if (!name_ok(m->name, sizeof(m->name)) || !colon ||
		    strncmp(m->name, NM_BDG_NAME, strlen(NM_BDG_NAME)) != 0 ||
		    m->nrings < 1 || m->nrings > PM_VALE_MAX_RINGS ||
		    m->nslots < PM_MIN_SLOTS || m->nslots > PM_MAX_SLOTS ||
		    m->agent < 0) {
			s->st->invalid++;
			continue;
		}
		o = push(&s->st->ports, &s->st->nports, sizeof(*o));
		if (!o)
			return -ENOMEM;
		o->at = *at;
		memcpy(o->name, m->name, sizeof(o->name));
		memcpy(o->swname, m->name, (size_t)(colon - m->name));
		o->nrings = m->nrings;
		o->nslots = m->nslots;
		o->persistent = m->persistent != 0;
		fill_proc(&o->agent, m->agent);
		o->rx_drops = shrx_drops(m->rx, m->nrings, &o->stalled);
		snprintf(sock, sizeof(sock), "/dev/shm/pktmap-%u/%s.vale.%d",
			 at->uid, region, i);
		if (want_socket(s, sock, false, s->st->nports - 1) < 0)
			return -ENOMEM;
	}
	return 0;
}

static int read_pipes(struct scan *s, const struct pktmap_place *at,
		      uint16_t mem_id)
{
	for (int i = 0; i < PM_MAX_PIPES; i++) {
		const struct pm_pipe_meta *m = &s->meta->pipes[i];
		struct pktmap_status_pipe *o;

		if (!m->name[0])
			continue;
		if (!name_ok(m->name, sizeof(m->name)) ||
		    !strpbrk(m->name, "{}") || m->ends > 3 || m->nrings < 1 ||
		    m->nrings > PM_PIPE_MAX_RINGS || m->nslots < PM_MIN_SLOTS ||
		    m->nslots > PM_MAX_SLOTS) {
			s->st->invalid++;
			continue;
		}
		o = push(&s->st->pipes, &s->st->npipes, sizeof(*o));
		if (!o)
			return -ENOMEM;
		o->at = *at;
		o->mem_id = mem_id;
		memcpy(o->name, m->name, sizeof(o->name));
		o->ends = m->ends;
		o->nrings = m->nrings;
		o->nslots = m->nslots;
	}
	return 0;
}

static int read_monitors(struct scan *s, const struct pktmap_place *at,
			 uint16_t mem_id)
{
	for (int i = 0; i < PM_MONITORS; i++) {
		const struct pm_monitor *m = &s->meta->monitors[i];
		struct pktmap_status_monitor *o;

		if (!(m->seq & 1) || !m->port[0])
			continue;
		if (!name_ok(m->port, sizeof(m->port)) || m->nrings < 1 ||
		    m->nrings > PM_MON_MAX_RINGS ||
		    !(m->flags & (NR_MONITOR_RX | NR_MONITOR_TX))) {
			s->st->invalid++;
			continue;
		}
		o = push(&s->st->monitors, &s->st->nmonitors, sizeof(*o));
		if (!o)
			return -ENOMEM;
		o->at = *at;
		o->mem_id = mem_id;
		memcpy(o->port, m->port, sizeof(o->port));
		o->rx = !!(m->flags & NR_MONITOR_RX);
		o->tx = !!(m->flags & NR_MONITOR_TX);
		o->zcopy = !!(m->flags & NR_ZCOPY_MON);
		o->nrings = m->nrings;
		o->drops = shrx_drops(m->rx, m->nrings, NULL);
	}
	return 0;
}

static int add_region(struct scan *s, const struct pktmap_place *at,
		      uint16_t mem_id, const char *name)
{
	const struct pm_region_meta *m = s->meta;
	struct pktmap_status_region *o;
	struct want *w;

	o = push(&s->st->regions, &s->st->nregions, sizeof(*o));
	if (!o)
		return -ENOMEM;
	o->at = *at;
	o->mem_id = mem_id;
	o->size = pm_region_object_size() - PM_REGION_META;
	o->if_total = PM_IF_TOTAL;
	o->ring_total = PM_RING_TOTAL;
	o->buf_total = PM_BUF_TOTAL;
	o->buf_size = PM_BUF_SIZE;
	for (uint32_t i = 0; i < PM_IF_TOTAL; i++)
		o->if_used += m->if_used[i] != 0;
	for (uint32_t i = 0; i < PM_RING_TOTAL; i++)
		o->ring_used += m->ring_used[i] != 0;
	for (uint32_t w = 0; w < PM_BUF_TOTAL / 64; w++)
		o->buf_used += (uint32_t)__builtin_popcountll(m->buf_used[w]);
	o->persistent = m->keep;
	w = push(&s->wants, &s->nwants, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->kind = WANT_REGION;
	w->index = s->st->nregions - 1;
	snprintf(w->path, sizeof(w->path), "/dev/shm/pktmap-%u/%s", at->uid,
		 name);
	return 0;
}

/* The region object @name of user @uid's directory @dir. */
static int read_region(struct scan *s, int dir, uint32_t uid, const char *name)
{
	unsigned long ns;
	unsigned id;
	int n = 0, fd, err = 0;
	struct stat st;
	struct pktmap_place at;

	if (sscanf(name, "%lu.mem%u%n", &ns, &id, &n) != 2 || name[n] ||
	    id < 1 || id > UINT16_MAX)
		return 0; /* a socket, the lock, or not ours */
	if (!wanted_place(s, uid, ns))
		return 0;
	/* O_NONBLOCK: a FIFO put here must not stop us */
	fd = openat(dir, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return 0; /* removed meanwhile */
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != uid ||
	    (size_t)st.st_size != pm_region_object_size() ||
	    pread(fd, s->meta, META_READ, 0) != (ssize_t)META_READ) {
		s->st->invalid++;
		goto out;
	}
	if (s->meta->magic == 0)
		goto out; /* being made: nothing in it yet */
	if (s->meta->magic != PM_REGION_MAGIC || s->meta->mem_id != id) {
		s->st->invalid++;
		goto out;
	}
	at = (struct pktmap_place){uid, ns};
	err = add_region(s, &at, (uint16_t)id, name);
	if (!err)
		err = read_pipes(s, &at, (uint16_t)id);
	if (!err)
		err = read_monitors(s, &at, (uint16_t)id);
	if (!err && id == PM_GLOBAL_MEM_ID)
		err = read_switches(s, &at);
	if (!err && id > PM_GLOBAL_MEM_ID &&
	    id <= PM_GLOBAL_MEM_ID + PM_VALE_SWITCHES)
		err = read_ports(s, &at, name);
out:
	pm_libc.close(fd);
	return err;
}

/* /dev/shm/pktmap-UID, if it is that user's directory. */
static int read_user(struct scan *s, int shm, const char *name)
{
	unsigned uid;
	int n = 0, fd, err = 0;
	struct stat st;
	struct dirent *e;
	DIR *d;

	if (sscanf(name, "pktmap-%u%n", &uid, &n) != 1 || name[n] ||
	    !((s->flags & PKTMAP_STATUS_ALL_USERS) || uid == geteuid()))
		return 0;
	fd = openat(shm, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return 0;
	if (fstat(fd, &st) < 0 || st.st_uid != uid || !(d = fdopendir(fd))) {
		pm_libc.close(fd);
		return 0; /* not that user's: not pktmap's */
	}
	while (!err && (e = readdir(d)))
		err = read_region(s, dirfd(d), uid, e->d_name);
	closedir(d);
	return err;
}

static int read_users(struct scan *s)
{
	DIR *d = opendir("/dev/shm");
	struct dirent *e;
	int err = 0;

	if (!d)
		return 0;
	while (!err && (e = readdir(d)))
		err = read_user(s, dirfd(d), e->d_name);
	closedir(d);
	return err;
}

/* ---- the result, in a stable order -------------------------------------- */

static int cmp_place(const struct pktmap_place *a, const struct pktmap_place *b)
{
	if (a->uid != b->uid)
		return a->uid < b->uid ? -1 : 1;
	if (a->netns != b->netns)
		return a->netns < b->netns ? -1 : 1;
	return 0;
}

#define CMP_BY(type, key_expr)                                                 \
	static int cmp_##type(const void *pa, const void *pb)                  \
	{                                                                      \
		const struct pktmap_status_##type *a = pa, *b = pb;            \
		int c = cmp_place(&a->at, &b->at);                             \
		return c ? c : (key_expr);                                     \
	}
CMP_BY(region, (int)a->mem_id - (int)b->mem_id)
CMP_BY(detached, a->ifindex<b->ifindex ? -1 : a->ifindex> b->ifindex)
CMP_BY(switch, strcmp(a->name, b->name))
CMP_BY(port, strcmp(a->name, b->name))
CMP_BY(newif, strcmp(a->name, b->name))
CMP_BY(pipe, a->mem_id != b->mem_id ? (int)a->mem_id - (int)b->mem_id
				    : strcmp(a->name, b->name))
CMP_BY(monitor, a->mem_id != b->mem_id ? (int)a->mem_id - (int)b->mem_id
				       : strcmp(a->port, b->port))

/* qsort, but an empty array may be NULL */
static void sort(void *a, size_t n, size_t size,
		 int (*cmp)(const void *, const void *))
{
	if (n)
		qsort(a, n, size, cmp);
}

static void sort_status(struct pktmap_status *st)
{
	sort(st->regions, st->nregions, sizeof(*st->regions), cmp_region);
	sort(st->detached, st->ndetached, sizeof(*st->detached), cmp_detached);
	sort(st->switches, st->nswitches, sizeof(*st->switches), cmp_switch);
	sort(st->ports, st->nports, sizeof(*st->ports), cmp_port);
	sort(st->newifs, st->nnewifs, sizeof(*st->newifs), cmp_newif);
	sort(st->pipes, st->npipes, sizeof(*st->pipes), cmp_pipe);
	sort(st->monitors, st->nmonitors, sizeof(*st->monitors), cmp_monitor);
}

/* Detached interfaces of other users, unless asked for: after the holders
 * of abstract sockets are known. */
static void filter_detached(struct scan *s)
{
	struct pktmap_status *st = s->st;
	size_t kept = 0;

	for (size_t i = 0; i < st->ndetached; i++) {
		st->detached[i].at.uid = st->detached[i].holder.uid;
		if (st->detached[i].holder.pid &&
		    wanted_place(s, st->detached[i].at.uid,
				 st->detached[i].at.netns))
			st->detached[kept++] = st->detached[i];
	}
	st->ndetached = kept;
}

static uint64_t own_netns(void)
{
	struct stat st = {0};

	stat("/proc/self/ns/net", &st);
	return st.st_ino;
}

PM_PUBLIC void pktmap_status_free(struct pktmap_status *st)
{
	if (!st)
		return;
	free(st->regions);
	free(st->detached);
	free(st->switches);
	free(st->ports);
	free(st->newifs);
	free(st->pipes);
	free(st->monitors);
	free(st);
}

PM_PUBLIC int pktmap_status_get(unsigned int flags, struct pktmap_status **out)
{
	struct scan s = {.flags = flags, .netns = own_netns()};
	int err;

	if (!out ||
	    (flags & ~(PKTMAP_STATUS_ALL_USERS | PKTMAP_STATUS_ALL_NETNS))) {
		errno = out ? EINVAL : EFAULT;
		return -1;
	}
	if ((flags & PKTMAP_STATUS_ALL_USERS) && geteuid() != 0) {
		errno = EPERM;
		return -1;
	}
	s.st = calloc(1, sizeof(*s.st));
	s.meta = malloc(META_READ);
	err = !s.st || !s.meta ? -ENOMEM : 0;
	if (!err)
		err = read_locks(&s);
	if (!err)
		err = read_unix_sockets(&s);
	if (!err)
		err = read_root_detached(&s);
	if (!err)
		err = read_user_detached(&s);
	if (!err)
		err = read_users(&s);
	if (!err) {
		find_holders(&s);
		filter_detached(&s);
		sort_status(s.st);
	}
	free(s.meta);
	free(s.locks);
	free(s.socks);
	free(s.wants);
	if (err) {
		pktmap_status_free(s.st);
		errno = -err;
		return -1;
	}
	*out = s.st;
	return 0;
}
