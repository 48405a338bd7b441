/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Monitors: `PORT/r`, `/t`, `/rt` see copies of what PORT receives and
 * sends; `/z` gets PORT's received buffers themselves, swapped in when
 * PORT's owner releases them.  PORT must be registered, by this process or
 * another one.
 *
 * A monitor's rings are shared rx rings in PORT's own memory region,
 * listed in the region's bookkeeping.  PORT's syncs, in whatever process
 * they run, feed them: a frame is copied at its arrival on PORT's rx ring
 * (/r), at PORT's txsync with NS_TXMON (/t), or its buffer swapped at its
 * release (/z; transmitted frames are copied, as a sender's slot may hold
 * a peer's buffer after the sync).  Monitor ring i watches PORT's rings i.
 *
 * As netmap's, a monitor also has one tx ring, so that programs that count
 * rings from ni_tx_rings find one: it sends nothing.  A txsync on it
 * succeeds and leaves it as it is (netmap's ioctl ignores its monitor's
 * EIO the same way): its tail never moves.
 *
 * A monitor's descriptor may be passed to another process (SCM_RIGHTS, or
 * inherited across exec): it is then the monitor's wake-up socket, whose
 * name NETNS.memID.mon.I says which monitor, and the receiver binds its
 * rings as they are.
 */
#include "core/core.h"
#include "host.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

struct monitor_port {
	int index;	/* in the region's monitor table */
	int sock;	/* wake-up socket of all its rings */
	uint32_t flags; /* NR_MONITOR_RX, _TX, NR_ZCOPY_MON */
};

static struct pm_monitor *monitor_meta(struct pm_port *p, int i)
{
	return &p->mem->meta->monitors[i];
}

/* A monitor's owner: its wake-up socket, NETNS.memID.mon.I. */
static void owner_name(const struct pm_region *r, int index, char *buf,
		       size_t len)
{
	snprintf(buf, len, "%.40s.mon.%d", r->name, index);
}

/* "PORT/mon" -> "PORT" */
static void monitored_name(const char *name, char *buf, size_t len)
{
	snprintf(buf, len, "%.*s", (int)strcspn(name, "/"), name);
}

/* Is PORT open somewhere: here, or in a process that detached it, or a
 * VALE port of some switch? */
static bool registered(const char *port)
{
	struct nmreq_vale_list l = {0};
	char name[NETMAP_REQ_IFNAMSIZ];

	if (pm_port_here(port))
		return true;
	if (pm_valid_ifname(port))
		return pm_host_detached((int)if_nametoindex(port));
	snprintf(name, sizeof(name), "%s", port);
	return strchr(port, ':') && pm_vale_list(name, &l) == 0;
}

/* A received descriptor's monitor, from its socket's name; -1 if none. */
static int adopted_index(const struct pm_port *p)
{
	struct sockaddr_un sun = {0};
	socklen_t len = sizeof(sun) - 1;
	const char *what;
	uint16_t mem_id;
	int i, n = 0;

	if (p->adopt_fd < 0 ||
	    getsockname(p->adopt_fd, (struct sockaddr *)&sun, &len) < 0 ||
	    sun.sun_family != AF_UNIX ||
	    pm_region_of_socket(sun.sun_path, &mem_id, &what) < 0 ||
	    mem_id != p->mem->mem_id || sscanf(what, "mon.%d%n", &i, &n) != 1 ||
	    what[n] || i < 0 || i >= PM_MONITORS)
		return -1;
	return i;
}

/* A received monitor's geometry is the one it has: read once, checked. */
static int adopted_geometry(struct pm_port *p)
{
	int i = adopted_index(p), err = -ENXIO;

	if (i < 0)
		return err;
	pm_region_lock(p->mem);
	struct pm_monitor *m = monitor_meta(p, i);
	uint32_t nrings = m->nrings, nslots = m->rx[0].nslots;
	if (m->port[0] && nrings >= 1 && nrings <= PM_MON_MAX_RINGS &&
	    nslots >= PM_MIN_SLOTS && nslots <= PM_MAX_SLOTS) {
		p->nrings[PM_RX] = nrings;
		p->nslots[PM_TX] = p->nslots[PM_RX] = nslots;
		err = 0;
	}
	pm_region_unlock(p->mem);
	return err;
}

static int mon_configure(struct pm_port *p, const struct pm_bind_req *req)
{
	char port[NETMAP_REQ_IFNAMSIZ];
	struct pm_bind_req preq = {.name = port};
	struct pm_port tmp = {.adopt_fd = -1};
	struct monitor_port *mp;
	int err;

	monitored_name(req->name, port, sizeof(port));
	if (p->adopt_fd < 0 && !registered(port)) {
		pm_log("%s: a monitor needs %s registered", req->name, port);
		return -EINVAL;
	}
	/* the monitored port's memory and rings, as its adapter has them */
	tmp.ops = strpbrk(port, "{}")		       ? &pm_pipe_ops
		  : strncmp(port, NM_BDG_NAME, 4) == 0 ? &pm_vale_ops
						       : &pm_afpacket_ops;
	err = tmp.ops->configure(&tmp, &preq);
	if (!err)
		err = pm_region_get(tmp.mem->mem_id, &p->mem);
	if (tmp.mem) {
		if (tmp.ops->release)
			tmp.ops->release(&tmp);
		pm_region_put(tmp.mem);
	}
	if (err)
		return err;
	mp = calloc(1, sizeof(*mp));
	if (!mp) {
		pm_region_put(p->mem);
		p->mem = NULL;
		return -ENOMEM;
	}
	mp->index = mp->sock = -1;
	mp->flags = (uint32_t)req->flags &
		    (NR_MONITOR_RX | NR_MONITOR_TX | NR_ZCOPY_MON);
	if (mp->flags == NR_ZCOPY_MON) /* /z alone watches both ways */
		mp->flags |= NR_MONITOR_RX | NR_MONITOR_TX;
	p->priv = mp;
	uint32_t n = tmp.nrings[PM_RX] > tmp.nrings[PM_TX] ? tmp.nrings[PM_RX]
							   : tmp.nrings[PM_TX];
	p->nrings[PM_TX] = 1; /* netmap's: see mon_txsync */
	p->nrings[PM_RX] = pm_count(n, 1, 1, PM_MON_MAX_RINGS);
	p->nslots[PM_TX] = p->nslots[PM_RX] = pm_count(
	    req->nslots[PM_RX], pm_default_slots(), PM_MIN_SLOTS, PM_MAX_SLOTS);
	p->nhost[PM_TX] = p->nhost[PM_RX] = 0;
	err = p->adopt_fd >= 0 ? adopted_geometry(p) : 0;
	if (err) { /* undone: nothing for the caller to unconfigure */
		free(mp);
		p->priv = NULL;
		pm_region_put(p->mem);
		p->mem = NULL;
	}
	return err;
}

static void mon_release(struct pm_port *p)
{
	free(p->priv);
	p->priv = NULL;
}

/*
 * Retired first (pm_shrx_retire), then its rings are freed, exactly once,
 * with its own buffers only; the rings' locks stay (see struct pm_shrx).
 */
static void free_monitor(struct pm_port *p, struct pm_monitor *m)
{
	uint32_t nrings =
	    m->nrings < PM_MON_MAX_RINGS ? m->nrings : PM_MON_MAX_RINGS;
	uint32_t seq;
	char owner[64];

	pm_shrx_retire(&m->seq, m->rx, nrings);
	for (uint32_t k = 0; k < nrings; k++) {
		uint32_t nslots = m->rx[k].nslots;
		struct netmap_ring *ring =
		    pm_region_ring_at(p->mem, m->rx[k].ring_ofs, nslots);
		if (ring)
			pm_ring_delete(p->mem, ring, nslots, m->owner);
	}
	struct netmap_ring *tx =
	    m->tx_ofs ? pm_region_ring_at(p->mem, m->tx_ofs, m->tx_nslots)
		      : NULL;
	if (tx)
		pm_ring_delete(p->mem, tx, m->tx_nslots, m->owner);
	if (m->owner)
		pm_region_disown(p->mem, m->owner);
	seq = atomic_load(&m->seq);
	memset(m, 0, offsetof(struct pm_monitor, rx));
	atomic_store(&m->seq, seq);
	owner_name(p->mem, (int)(m - monitor_meta(p, 0)), owner, sizeof(owner));
	pm_shrx_release(owner);
}

/*
 * Our socket goes first; the monitor goes with it unless another process
 * holds it (a forked child, or the parent), and if it is still ours.
 */
static void mon_detach(struct pm_port *p)
{
	struct monitor_port *mp = p->priv;
	char owner[64];

	if (!mp)
		return;
	if (mp->sock >= 0)
		pm_libc.close(mp->sock);
	if (mp->index >= 0) {
		struct pm_monitor *m = monitor_meta(p, mp->index);
		owner_name(p->mem, mp->index, owner, sizeof(owner));
		pm_region_lock(p->mem);
		if (m->port[0] && m->owner == p->owner &&
		    !pm_shrx_held(owner)) {
			free_monitor(p, m);
			atomic_fetch_sub(&p->mem->meta->nmonitors, 1);
		}
		pm_region_unlock(p->mem);
	}
	mon_release(p);
}

/* A free slot, after reclaiming the monitors whose owners died. */
static int monitor_slot(struct pm_port *p)
{
	int free_slot = -ENOSPC;
	char owner[64];

	for (int i = PM_MONITORS - 1; i >= 0; i--) {
		struct pm_monitor *m = monitor_meta(p, i);
		owner_name(p->mem, i, owner, sizeof(owner));
		if (m->port[0] && !pm_shrx_held(owner)) {
			pm_log("monitor %d: its owner died, freeing it", i);
			free_monitor(p, m);
			atomic_fetch_sub(&p->mem->meta->nmonitors, 1);
		}
		if (!m->port[0])
			free_slot = i;
	}
	return free_slot;
}

/* The tx ring: buffers in its slots as any, owned by the application. */
static int mon_tx_ring(struct pm_port *p, struct pm_monitor *m)
{
	struct netmap_ring *ring =
	    pm_ring_new(p->mem, p->nslots[PM_TX], m->owner);

	if (!ring)
		return -ENOMEM;
	m->tx_ofs = pm_region_offset(p->mem, ring);
	m->tx_nslots = p->nslots[PM_TX];
	pm_kring_init(&p->rings[PM_TX][0], p, PM_TX, 0, ring, 0,
		      p->nslots[PM_TX] - 1);
	return 0;
}

/*
 * Nothing is sent and the ring stays as the application left it: hwcur
 * and hwtail do not move, so the sync returns 0 and tail keeps its place.
 */
static int mon_txsync(struct pm_kring *k, uint32_t end)
{
	(void)k;
	(void)end;
	return 0;
}

/* Rx ring @k of monitor @m, at the place its owner left it. */
static void wire_rx(struct pm_port *p, struct pm_monitor *m, uint32_t k,
		    struct netmap_ring *ring, int sock)
{
	struct pm_kring *kr = &p->rings[PM_RX][k];
	uint32_t n = p->nslots[PM_RX];

	pm_kring_init(kr, p, PM_RX, k, ring, atomic_load(&m->rx[k].hwcur) % n,
		      atomic_load(&m->rx[k].hwtail) % n);
	kr->priv = &m->rx[k];
	kr->wait_fd = sock;
	kr->wait_events = POLLIN;
}

/*
 * A received descriptor: the monitor its socket names, if it is still the
 * monitor of that port with the geometry we made krings for.  Its socket
 * is ours too.  Region lock held.
 */
static int adopt_monitor(struct pm_port *p, struct monitor_port *mp)
{
	char port[NETMAP_REQ_IFNAMSIZ];
	int i = adopted_index(p);

	if (i < 0)
		return -ENXIO;
	struct pm_monitor *m = monitor_meta(p, i);
	uint32_t nslots = p->nslots[PM_RX], tx_nslots = m->tx_nslots;
	struct netmap_ring *tx =
	    tx_nslots == p->nslots[PM_TX]
		? pm_region_ring_at(p->mem, m->tx_ofs, tx_nslots)
		: NULL;
	bool ok =
	    (atomic_load(&m->seq) & 1) && tx && m->nrings == p->nrings[PM_RX];

	monitored_name(p->name, port, sizeof(port));
	ok = ok && strncmp(m->port, port, sizeof(m->port)) == 0;
	for (uint32_t k = 0; ok && k < p->nrings[PM_RX]; k++)
		ok = m->rx[k].nslots == nslots &&
		     pm_region_ring_at(p->mem, m->rx[k].ring_ofs, nslots);
	if (!ok)
		return -ENXIO;
	mp->sock = fcntl(p->adopt_fd, F_DUPFD_CLOEXEC, 0);
	if (mp->sock < 0)
		return -errno;
	mp->index = i;
	mp->flags = m->flags;
	p->owner = m->owner;
	pm_kring_init(&p->rings[PM_TX][0], p, PM_TX, 0, tx, 0, tx_nslots - 1);
	for (uint32_t k = 0; k < p->nrings[PM_RX]; k++)
		wire_rx(p, m, k,
			pm_region_ring_at(p->mem, m->rx[k].ring_ofs, nslots),
			mp->sock);
	return 0;
}

static int mon_attach(struct pm_port *p)
{
	struct monitor_port *mp = p->priv;
	char owner[64];
	int err;

	pm_region_lock(p->mem);
	if (p->adopt_fd >= 0) {
		err = adopt_monitor(p, mp);
		pm_region_unlock(p->mem);
		return err;
	}
	mp->index = err = monitor_slot(p);
	if (mp->index >= 0) {
		struct pm_monitor *m = monitor_meta(p, mp->index);
		owner_name(p->mem, mp->index, owner, sizeof(owner));
		m->owner = p->owner = pm_region_new_owner(p->mem);
		mp->sock = err = pm_shrx_claim(owner);
		if (err >= 0)
			err = mon_tx_ring(p, m);
		for (uint32_t k = 0; err >= 0 && k < p->nrings[PM_RX]; k++) {
			struct netmap_ring *ring =
			    pm_ring_new(p->mem, p->nslots[PM_RX], m->owner);
			if (!ring) {
				err = -ENOMEM;
				break;
			}
			pm_shrx_init(&m->rx[k], p->mem, ring, p->nslots[PM_RX],
				     owner);
			m->nrings = k + 1;
			wire_rx(p, m, k, ring, mp->sock);
		}
		if (err >= 0) {
			monitored_name(p->name, m->port, sizeof(m->port));
			m->flags = mp->flags;
			/* whole: writers may take its rings */
			atomic_store_explicit(&m->seq, atomic_load(&m->seq) + 1,
					      memory_order_release);
			atomic_fetch_add(&p->mem->meta->nmonitors, 1);
			err = 0;
		} else {
			if (mp->sock >= 0)
				pm_libc.close(mp->sock);
			mp->sock = -1;
			free_monitor(p, m);
			mp->index = -1;
		}
	}
	pm_region_unlock(p->mem);
	return err;
}

/* ---- passing a monitor's descriptor -------------------------------------- */

static int mon_socket(struct pm_port *p)
{
	return ((struct monitor_port *)p->priv)->sock;
}

static struct pm_shared_reg *mon_shared_reg(struct pm_port *p)
{
	return &monitor_meta(p, ((struct monitor_port *)p->priv)->index)->reg;
}

/* "mon.I": monitor I of the region @r, registered as a monitor. */
static int mon_adopt(struct pm_region *r, const char *what, char *name,
		     size_t len, struct pm_shared_reg *reg)
{
	const uint64_t mon = NR_MONITOR_RX | NR_MONITOR_TX | NR_ZCOPY_MON;
	int i, n = 0, err = -ENXIO;

	if (sscanf(what, "mon.%d%n", &i, &n) != 1 || what[n] || i < 0 ||
	    i >= PM_MONITORS)
		return -EINVAL;
	pm_region_lock(r);
	struct pm_monitor *m = &r->meta->monitors[i];
	if ((atomic_load(&m->seq) & 1) && m->port[0] && (m->reg.flags & mon)) {
		*reg = m->reg;
		snprintf(name, len, "%.*s", (int)sizeof(m->port), m->port);
		err = 0;
	}
	pm_region_unlock(r);
	return err;
}

/* ---- the monitored side ------------------------------------------------- */

/*
 * Does monitor @m want event @ev of @port?  Its entry is shared memory:
 * its name is compared within its bounds, its ring count checked.
 */
static uint32_t monitor_rings(const struct pm_monitor *m, const char *port,
			      enum pm_mon_event ev)
{
	uint32_t flags = *(const volatile uint32_t *)&m->flags;
	uint32_t n = *(const volatile uint32_t *)&m->nrings;
	uint32_t want = ev == PM_MON_SENT ? NR_MONITOR_TX : NR_MONITOR_RX;
	bool zcopy = flags & NR_ZCOPY_MON;

	if (!(flags & want) ||
	    (ev == PM_MON_RELEASED) != (zcopy && ev != PM_MON_SENT) || n == 0 ||
	    n > PM_MON_MAX_RINGS ||
	    strncmp(m->port, port, sizeof(m->port)) != 0)
		return 0;
	return n;
}

/* Frames [from, to) of @k into the monitor ring @w holds, read once each. */
static void monitor_copy(struct pm_kring *k, uint32_t from, uint32_t to,
			 enum pm_mon_event ev, struct pm_shrx_writer *w)
{
	struct pm_frame f;

	for (uint32_t s = from; s != to;) {
		uint32_t first = s;
		if (!pm_read_frame(k, &s, to, &f))
			continue; /* changed by another thread: not a frame */
		if (ev == PM_MON_RELEASED)
			pm_shrx_swap(w, k, first,
				     (s + k->nslots - first) % k->nslots);
		else
			pm_shrx_add(w, f.pc, f.np, f.len,
				    ev == PM_MON_SENT ? NS_TXMON : 0);
	}
}

/*
 * Takes monitor @m's ring for frames of @k, if it wants event @ev and is
 * still the monitor of the seq read first once the ring is held: frames
 * never go to rings being freed, nor to a monitor that took its place.
 */
static bool take_ring(struct pm_kring *k, struct pm_monitor *m,
		      enum pm_mon_event ev, struct pm_shrx_writer *w)
{
	uint32_t seq = atomic_load_explicit(&m->seq, memory_order_acquire);
	uint32_t n = seq & 1 ? monitor_rings(m, k->port->name, ev) : 0;

	if (!n)
		return false;
	if (pm_shrx_begin(w, k->port->mem, &m->rx[k->id % n]) &&
	    atomic_load_explicit(&m->seq, memory_order_acquire) != seq) {
		pm_shrx_forget(w);
		return false;
	}
	return true; /* not taken (a stalled writer): the frames are drops */
}

void pm_monitor_frames(struct pm_kring *k, uint32_t from, uint32_t to,
		       enum pm_mon_event ev)
{
	struct pm_region_meta *meta = k->port->mem->meta;

	for (int i = 0; i < PM_MONITORS; i++) {
		struct pm_shrx_writer w;
		if (!take_ring(k, &meta->monitors[i], ev, &w))
			continue;
		monitor_copy(k, from, to, ev, &w);
		pm_shrx_end(&w);
	}
}

const struct pm_adapter_ops pm_monitor_ops = {
    .name = "monitor",
    .configure = mon_configure,
    .release = mon_release,
    .own_rings = true,
    .attach = mon_attach,
    .detach = mon_detach,
    .txsync = mon_txsync,
    .rxsync = pm_shrx_rxsync,
    .drops = pm_shrx_drops,
    .arm = pm_shrx_arm,
    .disarm = pm_shrx_disarm,
    .socket = mon_socket,
    .shared_reg = mon_shared_reg,
    .adopt = mon_adopt,
};
