/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Ports and files.  A port is one interface in this process: its rings in
 * the global region and its adapter.  A file (one open of /dev/netmap) binds
 * some of a port's rings at register; several files share the live rings of
 * one port, as netmap's do.
 */
#include "core.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static pthread_mutex_t ports_lock = PTHREAD_MUTEX_INITIALIZER;
static struct pm_port *ports;

uint32_t pm_default_slots(void)
{
	const char *s = getenv("PKTMAP_SLOTS");
	long n = s ? strtol(s, NULL, 0) : 0;

	return n >= PM_MIN_SLOTS && n <= PM_MAX_SLOTS ? (uint32_t)n : 1024;
}

bool pm_valid_ifname(const char *name)
{
	size_t len = strnlen(name, IF_NAMESIZE);

	return len > 0 && len < IF_NAMESIZE && if_nametoindex(name) != 0;
}

/* Which adapter serves a port name (a monitor's is PORT/mon). */
static const struct pm_adapter_ops *adapter_for(const char *name)
{
	if (strchr(name, '/'))
		return &pm_monitor_ops;
	if (strpbrk(name, "{}"))
		return &pm_pipe_ops;
	if (strncmp(name, NM_BDG_NAME, strlen(NM_BDG_NAME)) == 0)
		return &pm_vale_ops;
	return pm_iface_ops();
}

void pm_kring_init(struct pm_kring *k, struct pm_port *p, enum pm_dir dir,
		   uint32_t id, struct netmap_ring *ring, uint32_t hwcur,
		   uint32_t hwtail)
{
	struct pm_region *r = p->mem;

	k->ring = ring;
	k->port = p;
	k->dir = dir;
	k->id = id;
	k->host = id >= p->nrings[dir];
	k->nslots = p->nslots[dir];
	k->buf_total = r->buf_total;
	k->buf_size = r->buf_size;
	k->bufs = (char *)r->base + r->buf_ofs;
	k->wait_fd = -1;
	atomic_flag_clear(&k->busy);
	*(int64_t *)&ring->buf_ofs =
	    (int64_t)r->buf_ofs - (int64_t)pm_region_offset(r, ring);
	*(uint32_t *)&ring->num_slots = k->nslots;
	*(uint32_t *)&ring->nr_buf_size = r->buf_size;
	*(uint16_t *)&ring->ringid = (uint16_t)id;
	*(uint16_t *)&ring->dir = (uint16_t)dir;
	k->hwcur = k->rhead = k->rcur = k->mon_sent = hwcur;
	k->hwtail = k->rtail = hwtail;
	ring->head = ring->cur = hwcur;
	*(uint32_t *)&ring->tail = hwtail;
}

/* A new ring with buffers in every slot: NULL when the region is full. */
struct netmap_ring *pm_ring_new(struct pm_region *r, uint32_t nslots,
				uint32_t owner)
{
	struct netmap_ring *ring = pm_region_alloc_ring(r);

	if (ring && pm_region_alloc_bufs(r, ring->slot, nslots, owner) < 0) {
		pm_region_free_ring(r, ring);
		ring = NULL;
	}
	return ring;
}

void pm_ring_delete(struct pm_region *r, struct netmap_ring *ring,
		    uint32_t nslots, uint32_t owner)
{
	pm_region_free_bufs(r, ring->slot, nslots, owner);
	pm_region_free_ring(r, ring);
}

/* The krings, and the rings unless the adapter keeps its own. */
static void port_free_rings(struct pm_port *p)
{
	for (int d = 0; d < 2; d++) {
		for (uint32_t i = 0; !p->ops->own_rings && p->rings[d] &&
				     i < pm_port_krings(p, d);
		     i++) {
			struct pm_kring *k = &p->rings[d][i];
			if (k->ring)
				pm_ring_delete(p->mem, k->ring, k->nslots,
					       p->owner);
		}
		free(p->rings[d]);
		p->rings[d] = NULL;
	}
	if (!p->ops->own_rings && p->owner)
		pm_region_disown(p->mem, p->owner);
}

static int port_alloc_rings(struct pm_port *p)
{
	if (!p->ops->own_rings)
		p->owner = pm_region_new_owner(p->mem);
	for (int d = 0; d < 2; d++) {
		uint32_t n = pm_port_krings(p, d);
		p->rings[d] =
		    aligned_alloc(64, (n ? n : 1) * sizeof(struct pm_kring));
		if (!p->rings[d])
			return -ENOMEM;
		memset(p->rings[d], 0, n * sizeof(struct pm_kring));
		for (uint32_t i = 0; !p->ops->own_rings && i < n; i++) {
			struct netmap_ring *ring =
			    pm_ring_new(p->mem, p->nslots[d], p->owner);
			if (!ring)
				return -ENOMEM;
			/* netmap's initial state: tx owns all but one slot */
			pm_kring_init(&p->rings[d][i], p, (enum pm_dir)d, i,
				      ring, 0,
				      d == PM_TX ? p->nslots[d] - 1 : 0);
		}
	}
	return 0;
}

uint32_t pm_count(uint32_t asked, uint32_t dflt, uint32_t lo, uint32_t hi)
{
	uint32_t n = asked ? asked : dflt;

	return n < lo ? lo : n > hi ? hi : n;
}

/* The port's own name: a NEWIF port Y is the port valeX:Y of its switch. */
static const char *canonical_name(const char *name, char *buf, size_t len)
{
	if (!strpbrk(name, "{}:") && !pm_valid_ifname(name) &&
	    pm_vale_newif_port(name, buf, len))
		return buf;
	return name;
}

/* A monitor is a port of its own: PORT/mon, not PORT. */
static const char *port_name(const struct pm_bind_req *req, char *buf,
			     size_t len)
{
	const char *name = canonical_name(req->name, buf, len);

	if (!(req->flags & (NR_MONITOR_TX | NR_MONITOR_RX | NR_ZCOPY_MON)))
		return name;
	char monitored[NETMAP_REQ_IFNAMSIZ];
	snprintf(monitored, sizeof(monitored), "%s", name);
	snprintf(buf, len, "%.59s/mon", monitored);
	return buf;
}

/* Geometry and memory of a port named @req->name, not yet created. */
static int port_configure(struct pm_port *p, const struct pm_bind_req *req)
{
	snprintf(p->name, sizeof(p->name), "%s", req->name);
	p->ops = adapter_for(req->name);
	return p->ops->configure(p, req);
}

/* Undoes port_configure. */
static void port_unconfigure(struct pm_port *p)
{
	if (p->ops->release)
		p->ops->release(p);
	pm_region_put(p->mem);
}

static int port_create(const struct pm_bind_req *req, struct pm_port **out)
{
	struct pm_port *p = calloc(1, sizeof(*p));
	int err;

	if (!p)
		return -ENOMEM;
	p->adopt_fd = req->adopt ? req->adopt_fd : -1;
	err = port_configure(p, req);
	if (err)
		goto free_port;
	err = port_alloc_rings(p);
	if (err)
		goto free_rings;
	err = p->ops->attach(p);
	if (err)
		goto free_rings;
	pm_log("%s: %u tx and %u rx rings of %u/%u slots (%s, mem_id %u)",
	       p->name, p->nrings[PM_TX], p->nrings[PM_RX], p->nslots[PM_TX],
	       p->nslots[PM_RX], p->ops->name, p->mem->mem_id);
	*out = p;
	return 0;

free_rings:
	port_free_rings(p);
	port_unconfigure(p);
free_port:
	free(p);
	return err;
}

static void port_destroy(struct pm_port *p)
{
	p->ops->detach(p);
	port_free_rings(p);
	pm_region_put(p->mem);
	free(p);
}

static struct pm_port *port_find(const char *name)
{
	for (struct pm_port *p = ports; p; p = p->next)
		if (strcmp(p->name, name) == 0 && !atomic_load(&p->dead))
			return p;
	return NULL;
}

bool pm_port_here(const char *name)
{
	return port_find(name) != NULL;
}

/*
 * Drops this process's view of a port that another process still holds (a
 * forked child's copy, or the parent's): the adapter's state here, which
 * is only descriptors and memory of this process, and the krings; the
 * rings in the region stay with the other holders.
 */
static void port_forget(struct pm_port *p)
{
	p->ops->detach(p);
	for (int d = 0; d < 2; d++)
		free(p->rings[d]);
	pm_region_put(p->mem);
	free(p);
}

/* The port's rings are its own (not an adapter's): hold them. */
static int port_hold(struct pm_port *p)
{
	struct pm_kring *k = p->rings[PM_TX] && p->nrings[PM_TX]
				 ? &p->rings[PM_TX][0]
				 : &p->rings[PM_RX][0];
	size_t ofs = PM_REGION_META + pm_region_offset(p->mem, k->ring);
	int err;

	if (p->ops->own_rings || !k->ring)
		return 0;
	err = pm_holders_join(p->mem, ofs);
	if (!err)
		p->held = ofs;
	return err;
}

/* Called with ports_lock held. */
static void port_put(struct pm_port *p)
{
	if (--p->users > 0)
		return;
	for (struct pm_port **pp = &ports; *pp; pp = &(*pp)->next) {
		if (*pp == p) {
			*pp = p->next;
			break;
		}
	}
	if (p->held && !pm_holders_leave(p->mem, p->held))
		port_forget(p);
	else
		port_destroy(p);
}

/* ---- binding rings to a file ------------------------------------------- */

static int no_host_rings(const struct pm_port *p)
{
	pm_log("%s: no host rings here: %s", p->name,
	       p->host_err == -EBUSY ? "another process has them"
				     : "the stack is not detached");
	return p->host_err;
}

/* Which rings the request binds: [first, last) in each direction. */
static int bind_range(const struct pm_port *p, const struct pm_bind_req *req,
		      uint32_t first[2], uint32_t last[2])
{
	switch (req->mode) {
	case NR_REG_ALL_NIC:
		for (int d = 0; d < 2; d++) {
			first[d] = 0;
			last[d] = p->nrings[d];
		}
		break;
	case NR_REG_ONE_NIC:
		if (req->ringid >= p->nrings[PM_TX] &&
		    req->ringid >= p->nrings[PM_RX]) {
			pm_log("%s: no ring %u", p->name, req->ringid);
			return -EINVAL;
		}
		/* as netmap: a direction with fewer rings binds its first,
		 * one with none binds none */
		for (int d = 0; d < 2; d++) {
			first[d] = req->ringid < p->nrings[d] ? req->ringid : 0;
			last[d] = p->nrings[d] ? first[d] + 1 : 0;
		}
		break;
	case NR_REG_SW:
	case NR_REG_NIC_SW:
		if (p->host_err)
			return no_host_rings(p);
		for (int d = 0; d < 2; d++) {
			first[d] = req->mode == NR_REG_SW ? p->nrings[d] : 0;
			last[d] = pm_port_krings(p, d);
		}
		break;
	case NR_REG_ONE_SW:
		if (p->host_err)
			return no_host_rings(p);
		if (req->ringid >= p->nhost[PM_TX] &&
		    req->ringid >= p->nhost[PM_RX]) {
			pm_log("%s: no host ring %u", p->name, req->ringid);
			return -EINVAL;
		}
		for (int d = 0; d < 2; d++) {
			first[d] =
			    p->nrings[d] +
			    (req->ringid < p->nhost[d] ? req->ringid : 0);
			last[d] = first[d] + 1;
		}
		break;
	default:
		pm_log("%s: register mode %u not supported", p->name,
		       req->mode);
		return -EINVAL;
	}
	if (req->flags & NR_TX_RINGS_ONLY)
		first[PM_RX] = last[PM_RX] = 0;
	if (req->flags & NR_RX_RINGS_ONLY)
		first[PM_TX] = last[PM_TX] = 0;
	return 0;
}

static int bind_rings(struct pm_port *p, const uint32_t first[2],
		      const uint32_t last[2], bool exclusive)
{
	for (int d = 0; d < 2; d++) {
		for (uint32_t i = first[d]; i < last[d]; i++) {
			struct pm_kring *k = &p->rings[d][i];
			if (k->exclusive || (exclusive && k->users)) {
				pm_log("%s: ring %u busy", p->name, i);
				return -EBUSY;
			}
		}
	}
	for (int d = 0; d < 2; d++) {
		for (uint32_t i = first[d]; i < last[d]; i++) {
			p->rings[d][i].users++;
			p->rings[d][i].exclusive = exclusive;
		}
	}
	return 0;
}

static void unbind_rings(struct pm_file *f)
{
	for (int d = 0; d < 2; d++) {
		for (uint32_t i = f->first[d]; i < f->last[d]; i++) {
			struct pm_kring *k = &f->port->rings[d][i];
			k->users--;
			k->exclusive = false;
		}
	}
}

/*
 * The file's netmap_if: offsets of tx, host tx, rx and host rx rings, in
 * that order, which is the order of each direction's krings; unbound ones
 * are 0.
 */
static int make_nifp(struct pm_file *f)
{
	struct pm_port *p = f->port;
	struct netmap_if *nifp = pm_region_alloc_if(p->mem);
	ssize_t *ofs, base;

	if (!nifp)
		return -ENOMEM;
	/* ni_name holds 15 characters; interface names are never longer */
	memcpy(nifp->ni_name, p->name,
	       strnlen(p->name, sizeof(nifp->ni_name) - 1));
	*(uint32_t *)&nifp->ni_version = NETMAP_API;
	*(uint32_t *)&nifp->ni_tx_rings = p->nrings[PM_TX];
	*(uint32_t *)&nifp->ni_rx_rings = p->nrings[PM_RX];
	*(uint32_t *)&nifp->ni_host_tx_rings = p->nhost[PM_TX];
	*(uint32_t *)&nifp->ni_host_rx_rings = p->nhost[PM_RX];
	ofs = (ssize_t *)nifp->ring_ofs;
	base = (ssize_t)pm_region_offset(p->mem, nifp);
	for (int d = 0; d < 2; d++) {
		ssize_t *o = d == PM_TX ? ofs : ofs + pm_port_krings(p, PM_TX);
		for (uint32_t i = f->first[d]; i < f->last[d]; i++)
			o[i] = (ssize_t)pm_region_offset(p->mem,
							 p->rings[d][i].ring) -
			       base;
	}
	f->nifp = nifp;
	return 0;
}

static int cmp_index(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static uint32_t *buf_link(struct pm_region *r, uint32_t idx)
{
	return (uint32_t *)((char *)r->base + r->buf_ofs +
			    (size_t)idx * r->buf_size);
}

/*
 * Extra buffers: a list through each buffer's first 32-bit word, starting
 * at ni_bufs_head, 0-terminated.  All of them or none.  Which ones were
 * granted is kept here, out of the application's reach.
 */
static void alloc_extra_bufs(struct pm_file *f, uint32_t n)
{
	struct pm_region *r = f->port->mem;
	/* the count is the caller's: no more than the pool could give */
	bool fits = n && n < r->buf_total;
	struct netmap_slot *s = fits ? calloc(n, sizeof(*s)) : NULL;
	uint32_t *granted = fits ? malloc(n * sizeof(*granted)) : NULL;

	if (!s || !granted ||
	    pm_region_alloc_bufs(r, s, n, f->port->owner) < 0) {
		if (n)
			pm_log("%s: no %u extra buffers", f->port->name, n);
		free(s);
		free(granted);
		return;
	}
	for (uint32_t i = 0; i < n; i++) {
		*buf_link(r, s[i].buf_idx) = i + 1 < n ? s[i + 1].buf_idx : 0;
		granted[i] = s[i].buf_idx;
	}
	qsort(granted, n, sizeof(*granted), cmp_index);
	f->nifp->ni_bufs_head = s[0].buf_idx;
	f->extra_bufs = n;
	f->extra = granted;
	free(s);
}

/*
 * Frees the granted buffers still in the list as the application left it.
 * The list is only read, at most as many links as were granted: a link
 * naming a buffer not granted to this file (another port's, one swapped in
 * from a ring) frees nothing here.  Granted buffers the list lost are the
 * port's, recovered when the port goes (pm_region_disown).
 */
static void free_extra_bufs(struct pm_file *f)
{
	struct pm_region *r = f->port->mem;
	uint32_t n = f->extra_bufs, got = 0;
	struct netmap_slot *s = n ? calloc(n, sizeof(*s)) : NULL;
	uint32_t idx = s ? f->nifp->ni_bufs_head : 0;

	for (uint32_t k = 0; k < n && idx >= 2 && idx < r->buf_total; k++) {
		if (bsearch(&idx, f->extra, n, sizeof(idx), cmp_index))
			s[got++].buf_idx = idx;
		idx = *(volatile uint32_t *)buf_link(r, idx);
	}
	pm_region_free_bufs(r, s, got, f->port->owner);
	free(s);
	free(f->extra);
	f->extra = NULL;
	f->extra_bufs = 0;
}

/* A received descriptor's file shares the sender's netmap_if. */
static int adopt_nifp(struct pm_file *f)
{
	struct pm_shared_reg *reg = f->port->ops->shared_reg(f->port);
	struct pm_region *r = f->port->mem;

	if (reg->nifp_ofs < r->if_ofs ||
	    reg->nifp_ofs >= r->if_ofs + (size_t)r->if_total * r->if_objsize)
		return -EINVAL;
	f->nifp = (struct netmap_if *)((char *)r->base + reg->nifp_ofs);
	return 0;
}

/* The file's netmap_if is the object its holders hold. */
static size_t nifp_key(const struct pm_file *f)
{
	return PM_REGION_META + pm_region_offset(f->port->mem, f->nifp);
}

/* A new netmap_if, or the sender's; held by this process either way. */
static int bind_nifp(struct pm_file *f, bool adopt)
{
	int err = adopt ? adopt_nifp(f) : make_nifp(f);

	if (!err)
		err = pm_holders_join(f->port->mem, nifp_key(f));
	if (err && f->nifp && !adopt)
		pm_region_free_if(f->port->mem, f->nifp);
	return err;
}

/*
 * Unbinds the file here; its netmap_if and extra buffers go with the last
 * process holding it (the file may have been inherited, or passed).
 */
static void file_release(struct pm_file *f)
{
	struct pm_region *r = f->port->mem;
	size_t key = nifp_key(f);

	unbind_rings(f);
	if (pm_holders_leave(r, key)) {
		free_extra_bufs(f);
		pm_region_free_if(r, f->nifp);
	}
	port_put(f->port);
}

/* What a process that receives this descriptor will bind. */
static void record_registration(struct pm_file *f,
				const struct pm_bind_req *req)
{
	struct pm_shared_reg *reg =
	    f->port->ops->shared_reg ? f->port->ops->shared_reg(f->port) : NULL;

	if (!reg)
		return;
	pm_region_lock(f->port->mem);
	*reg = (struct pm_shared_reg){
	    .mode = req->mode,
	    .ringid = req->ringid,
	    .flags = req->flags,
	    .nifp_ofs = pm_region_offset(f->port->mem, f->nifp),
	};
	pm_region_unlock(f->port->mem);
}

int pm_file_socket(struct pm_file *f)
{
	struct pm_port *p = f->port;

	return p && p->ops->socket ? p->ops->socket(p) : -1;
}

/*
 * A descriptor registered by another process and passed by SCM_RIGHTS:
 * for a port in shared memory it is the port's wake-up socket, whose
 * name, DIR/NETNS.memID.WHAT in our user's directory, says which port.
 * The file made here binds what the sender bound and shares its netmap_if.
 */
struct pm_file *pm_file_adopt(int fd)
{
	const struct pm_adapter_ops *kinds[] = {&pm_vale_ops, &pm_pipe_ops,
						&pm_monitor_ops};
	struct sockaddr_un sun = {0};
	socklen_t len = sizeof(sun) - 1;
	char name[NETMAP_REQ_IFNAMSIZ];
	const char *what;
	uint16_t mem_id;

	if (getsockname(fd, (struct sockaddr *)&sun, &len) < 0 ||
	    sun.sun_family != AF_UNIX ||
	    len <= offsetof(struct sockaddr_un, sun_path) + 1 ||
	    pm_region_of_socket(sun.sun_path, &mem_id, &what) < 0)
		return NULL;
	struct pm_region *r;
	if (pm_region_get(mem_id, &r))
		return NULL;
	struct pm_file *f = NULL;
	struct pm_shared_reg reg;
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		if (kinds[i]->adopt(r, what, name, sizeof(name), &reg) < 0)
			continue;
		struct pm_bind_req req = {
		    .name = name,
		    .mode = reg.mode,
		    .ringid = reg.ringid,
		    .flags = reg.flags & ~(uint64_t)NR_EXCLUSIVE,
		    .adopt = true,
		    .adopt_fd = fd,
		};
		f = pm_file_new();
		if (f && pm_file_register(f, &req) < 0) {
			pm_file_put(f);
			f = NULL;
		}
		break;
	}
	pm_region_put(r);
	if (f)
		pm_log("fd %d: %s, received from another process", fd, name);
	return f;
}

static int validate_request(const struct pm_bind_req *req)
{
	if (req->mode == NR_REG_NULL) {
		pm_log("%s: null ports are not supported", req->name);
		return -EOPNOTSUPP;
	}
	return 0;
}

int pm_file_register(struct pm_file *f, const struct pm_bind_req *req)
{
	struct pm_port *p;
	int err;

	pthread_mutex_lock(&f->lock);
	if (f->port) {
		err = -EBUSY;
		goto out;
	}
	err = validate_request(req);
	if (err)
		goto out;
	char name[NETMAP_REQ_IFNAMSIZ];
	struct pm_bind_req r = *req;
	r.name = port_name(req, name, sizeof(name));
	req = &r;
	pthread_mutex_lock(&ports_lock);
	/* every monitor registration is a monitor of its own */
	p = req->flags & (NR_MONITOR_TX | NR_MONITOR_RX | NR_ZCOPY_MON)
		? NULL
		: port_find(req->name);
	if (!p) {
		err = port_create(req, &p);
		if (err)
			goto unlock;
		err = port_hold(p);
		if (err) {
			port_destroy(p);
			goto unlock;
		}
		p->next = ports;
		ports = p;
	}
	p->users++;
	f->port = p;
	f->flags = req->flags;
	err = bind_range(p, req, f->first, f->last);
	if (!err)
		err =
		    bind_rings(p, f->first, f->last, req->flags & NR_EXCLUSIVE);
	if (err)
		goto put_port;
	err = bind_nifp(f, req->adopt);
	if (err)
		goto unbind;
	if (!req->adopt) {
		alloc_extra_bufs(f, req->extra_bufs);
		record_registration(f, req);
	}
	pthread_mutex_unlock(&ports_lock);
	pthread_mutex_unlock(&f->lock);
	return 0;

unbind:
	unbind_rings(f);
put_port:
	port_put(p);
	f->port = NULL;
unlock:
	pthread_mutex_unlock(&ports_lock);
out:
	pthread_mutex_unlock(&f->lock);
	return err;
}

int pm_port_info(const char *name, struct nmreq_port_info_get *info)
{
	char buf[NETMAP_REQ_IFNAMSIZ];
	struct pm_bind_req req = {.name =
				      canonical_name(name, buf, sizeof(buf))};

	name = req.name;
	struct pm_port tmp = {.adopt_fd = -1}, *p;
	int err = 0;

	pthread_mutex_lock(&ports_lock);
	p = port_find(name);
	if (!p) {
		p = &tmp;
		err = port_configure(p, &req);
	}
	if (!err) {
		*info = (struct nmreq_port_info_get){
		    .nr_memsize = p->mem->size,
		    .nr_tx_slots = p->nslots[PM_TX],
		    .nr_rx_slots = p->nslots[PM_RX],
		    .nr_tx_rings = (uint16_t)p->nrings[PM_TX],
		    .nr_rx_rings = (uint16_t)p->nrings[PM_RX],
		    .nr_host_tx_rings = (uint16_t)p->nhost[PM_TX],
		    .nr_host_rx_rings = (uint16_t)p->nhost[PM_RX],
		    .nr_mem_id = p->mem->mem_id,
		};
	}
	if (p == &tmp && tmp.mem)
		port_unconfigure(&tmp);
	pthread_mutex_unlock(&ports_lock);
	return err;
}

/*
 * Files are never returned to malloc: pm_fd_get may find one in the table
 * just as its last reference goes, and must still read its count (0: it
 * leaves it alone).  A freed file waits here for the next open.
 */
static pthread_mutex_t files_lock = PTHREAD_MUTEX_INITIALIZER;
static struct pm_file *free_files;

static struct pm_file *file_alloc(void)
{
	struct pm_file *f;

	pthread_mutex_lock(&files_lock);
	f = free_files;
	if (f)
		free_files = f->next_free;
	pthread_mutex_unlock(&files_lock);
	return f ? f : calloc(1, sizeof(*f));
}

struct pm_file *pm_file_new(void)
{
	struct pm_file *f = file_alloc();

	if (!f)
		return NULL;
	/* all but refs, which a racing pm_file_tryget may be reading */
	memset((char *)f + sizeof(f->refs), 0, sizeof(*f) - sizeof(f->refs));
	pthread_mutex_init(&f->lock, NULL);
	__atomic_store_n(&f->refs, 1, __ATOMIC_RELEASE);
	return f;
}

bool pm_file_tryget(struct pm_file *f)
{
	int n = __atomic_load_n(&f->refs, __ATOMIC_RELAXED);

	do {
		if (n == 0)
			return false;
	} while (!__atomic_compare_exchange_n(
	    &f->refs, &n, n + 1, true, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED));
	return true;
}

void pm_file_put(struct pm_file *f)
{
	if (__atomic_sub_fetch(&f->refs, 1, __ATOMIC_ACQ_REL) > 0)
		return;
	if (f->port) {
		pthread_mutex_lock(&ports_lock);
		file_release(f);
		pthread_mutex_unlock(&ports_lock);
	}
	pthread_mutex_destroy(&f->lock);
	pthread_mutex_lock(&files_lock);
	f->next_free = free_files;
	free_files = f;
	pthread_mutex_unlock(&files_lock);
}

/* A descriptor's file, as device and inode: 0 if it is not open. */
static struct pm_file_id id_of(int fd)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return (struct pm_file_id){0, 0};
	return (struct pm_file_id){(uint64_t)st.st_dev, (uint64_t)st.st_ino};
}

static bool same_id(struct pm_file_id a, struct pm_file_id b)
{
	return a.dev == b.dev && a.ino == b.ino;
}

void pm_file_identify(struct pm_file *f, int fd)
{
	struct pm_file_id id = id_of(fd);

	if (!same_id(f->id[0], id))
		f->id[f->id[0].ino != 0] = id;
}

/*
 * Memfds and sockets get inode numbers from a counter that does not come
 * back for 2^32 files: a number now naming another file has another
 * inode, or another device.
 */
bool pm_file_named_by(const struct pm_file *f, int fd)
{
	struct pm_file_id id = id_of(fd);

	return id.ino != 0 && (same_id(id, f->id[0]) || same_id(id, f->id[1]));
}

/* ---- holders across processes -------------------------------------------
 */

static int lock_byte(int fd, size_t ofs, short type, bool wait)
{
	struct flock l = {.l_type = type,
			  .l_whence = SEEK_SET,
			  .l_start = (off_t)ofs,
			  .l_len = 1};

	while (pm_libc.fcntl(fd, wait ? F_OFD_SETLKW : F_OFD_SETLK, &l) < 0)
		if (errno != EINTR)
			return -errno;
	return 0;
}

int pm_holders_join(struct pm_region *r, size_t ofs)
{
	int err = lock_byte(r->fd, ofs, F_RDLCK, true);

	if (err)
		pm_log("mem_id %u: hold %zu: %s", r->mem_id, ofs,
		       strerror(-err));
	return err;
}

/* Nobody holds the byte: its write lock is free.  Taken, then let go. */
static bool unheld(struct pm_region *r, size_t ofs)
{
	if (lock_byte(r->fd, ofs, F_WRLCK, false) < 0)
		return false;
	lock_byte(r->fd, ofs, F_UNLCK, false);
	return true;
}

/*
 * Under the region's lock, so that of two processes leaving at once the
 * first sees the second's hold and the second sees none: exactly one is
 * the last.
 */
bool pm_holders_leave(struct pm_region *r, size_t ofs)
{
	pm_region_lock(r);
	lock_byte(r->fd, ofs, F_UNLCK, false);
	bool last = unheld(r, ofs);
	pm_region_unlock(r);
	return last;
}

bool pm_holders_orphaned(struct pm_region *r, size_t ofs)
{
	return unheld(r, ofs);
}

/*
 * fork: a child holds what it inherits.  Before the fork this process
 * opens each region of its ports once more and takes there the holds of
 * its ports and files; the child keeps that open file as the region's
 * (the inherited one is the parent's, and so are its locks), the parent
 * closes its copy.  ports_lock stays held across the fork: no port or
 * registration comes or goes meanwhile.
 */
#define FORK_REGIONS 32

static struct {
	struct pm_region *r;
	int fd;
} forked[FORK_REGIONS];
static int nforked;

/* The region's open file for the child, made on first use. */
static int fork_fd(struct pm_region *r)
{
	char path[32];
	int i, fd;

	for (i = 0; i < nforked; i++)
		if (forked[i].r == r)
			return forked[i].fd;
	if (nforked == FORK_REGIONS)
		return -1;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", r->fd);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0 || flock(fd, LOCK_SH) < 0) {
		pm_log("mem_id %u: %s: the child shares our holds", r->mem_id,
		       strerror(errno));
		if (fd >= 0)
			pm_libc.close(fd);
		return -1;
	}
	forked[nforked].r = r;
	forked[nforked++].fd = fd;
	return fd;
}

static void fork_hold(struct pm_region *r, size_t ofs)
{
	int fd = fork_fd(r);

	if (fd >= 0 && ofs)
		lock_byte(fd, ofs, F_RDLCK, true);
}

static void fork_hold_file(int fd, struct pm_file *f, void *arg)
{
	(void)fd;
	(void)arg;
	if (f->port && f->nifp)
		fork_hold(f->port->mem, nifp_key(f));
}

void pm_fork_prepare(void)
{
	pthread_mutex_lock(&ports_lock);
	nforked = 0;
	if (!ports)
		return; /* no port: no registered file either */
	for (struct pm_port *p = ports; p; p = p->next)
		fork_hold(p->mem, p->held);
	pm_fd_each(0, UINT_MAX, fork_hold_file, NULL);
}

void pm_fork_parent(void)
{
	for (int i = 0; i < nforked; i++)
		pm_libc.close(forked[i].fd);
	pthread_mutex_unlock(&ports_lock);
}

static void zero_refs(int fd, struct pm_file *f, void *arg)
{
	(void)fd;
	(void)arg;
	f->refs = 0;
}

static void count_refs(int fd, struct pm_file *f, void *arg)
{
	(void)fd;
	(void)arg;
	f->refs++;
}

void pm_fork_child(void)
{
	for (int i = 0; i < nforked; i++) {
		struct pm_region *r = forked[i].r;
		if (dup3(forked[i].fd, r->fd, O_CLOEXEC) < 0)
			pm_log("mem_id %u: %s", r->mem_id, strerror(errno));
		pm_libc.close(forked[i].fd);
	}
	/* the parent's other threads and their calls did not come along */
	pm_fd_each(0, UINT_MAX, zero_refs, NULL);
	pm_fd_each(0, UINT_MAX, count_refs, NULL);
	pthread_mutex_unlock(&ports_lock);
}
