/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * VALE software switches in shared memory: `valeX:Y` is port Y of switch
 * X, created on first registration and removed at last close.
 *
 * A switch has a region of its own (memory id 2 + its slot in the list
 * kept in memory id 1), holding every port's rings, the ports' table and
 * the forwarding table, so any process attached to the switch can reach
 * any port.  A sender's txsync does the switching: it learns the source
 * MAC, looks the destination up, and copies the frame into the rx ring of
 * the learned port, or of every other port for broadcast and unknown
 * destinations; its tx slots are free again at once.  An rx ring is
 * filled under a robust process-shared lock (a sender that dies holding it
 * cannot stop the others) and drained by its owner without one.  Owners
 * sleep as pipe ends do: a flag in shared memory, one datagram to wake.
 */
#include "core/core.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

struct vale_port {
	struct pm_region *registry; /* memory id 1: the list of switches */
	int sw;			    /* slot of the switch in the list */
	int index;		    /* of the port in the switch */
	int sock;		    /* wake-up socket; bound: we own the port */
};

static struct pm_vale_port *port_meta(struct pm_port *p, int i)
{
	return &p->mem->meta->vale.ports[i];
}

/* "valeX:Y" -> "valeX"; -EINVAL if it is not a VALE port name. */
static int switch_name(const char *name, char *sw, size_t len)
{
	const char *colon = strchr(name, ':');
	size_t n = colon ? (size_t)(colon - name) : 0;

	if (!colon || n >= len || colon[1] == '\0' ||
	    strncmp(name, NM_BDG_NAME, strlen(NM_BDG_NAME)) != 0) {
		pm_log("%s: a VALE port is valeX:Y", name);
		return -EINVAL;
	}
	memcpy(sw, name, n);
	sw[n] = '\0';
	return 0;
}

/* The switch's slot in the registry, taken if new; -ENOSPC if full. */
static int switch_slot(struct pm_region *reg, const char *sw, bool create)
{
	struct pm_vale_switch *s = reg->meta->vale.switches;
	int free_slot = -1;

	for (int i = 0; i < PM_VALE_SWITCHES; i++) {
		if (strcmp(s[i].name, sw) == 0)
			return i;
		if (!s[i].name[0] && free_slot < 0)
			free_slot = i;
	}
	if (!create)
		return -ENOENT;
	if (free_slot < 0) {
		pm_log("%s: already %d switches", sw, PM_VALE_SWITCHES);
		return -ENOSPC;
	}
	snprintf(s[free_slot].name, sizeof(s[free_slot].name), "%s", sw);
	s[free_slot].nports = 0;
	return free_slot;
}

static socklen_t port_address(const struct pm_region *r, int index,
			      struct sockaddr_un *sun)
{
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
			   (size_t)snprintf(
			       sun->sun_path + 1, sizeof(sun->sun_path) - 1,
			       "pktmap%s/vale/%d", r->name, index));
}

/* ---- configure, attach, detach ---------------------------------------- */

static int vale_configure(struct pm_port *p, const struct pm_bind_req *req)
{
	char sw[NETMAP_REQ_IFNAMSIZ];
	struct vale_port *vp;
	int err = switch_name(req->name, sw, sizeof(sw));

	if (err)
		return err;
	vp = calloc(1, sizeof(*vp));
	if (!vp)
		return -ENOMEM;
	vp->sock = -1;
	vp->index = -1;
	err = pm_region_get(PM_GLOBAL_MEM_ID, &vp->registry);
	if (err)
		goto fail;
	pm_region_lock(vp->registry);
	vp->sw = err = switch_slot(vp->registry, sw, true);
	pm_region_unlock(vp->registry);
	if (err < 0)
		goto put_registry;
	err = pm_region_get((uint16_t)(PM_GLOBAL_MEM_ID + 1 + vp->sw), &p->mem);
	if (err)
		goto put_registry;
	p->priv = vp;
	for (int d = 0; d < 2; d++) {
		p->nrings[d] =
		    pm_count(req->nrings[d], 1, 1, PM_VALE_MAX_RINGS);
		p->nslots[d] = pm_count(req->nslots[d], pm_default_slots(),
					PM_MIN_SLOTS, PM_MAX_SLOTS);
		p->nhost[d] = 0;
	}
	/* an existing port keeps its geometry */
	pm_region_lock(p->mem);
	for (int i = 0; i < PM_VALE_PORTS; i++) {
		struct pm_vale_port *m = port_meta(p, i);
		if (strcmp(m->name, req->name) == 0) {
			p->nrings[PM_TX] = p->nrings[PM_RX] = m->nrings;
			p->nslots[PM_TX] = p->nslots[PM_RX] = m->nslots;
		}
	}
	pm_region_unlock(p->mem);
	p->nrings[PM_RX] = p->nrings[PM_TX];
	p->nslots[PM_RX] = p->nslots[PM_TX];
	return 0;
put_registry:
	pm_region_put(vp->registry);
fail:
	free(vp);
	return err;
}

/* Leaves the switch; the last port out frees its slot in the registry. */
static void leave_switch(struct vale_port *vp, bool was_in)
{
	struct pm_vale_switch *s = &vp->registry->meta->vale.switches[vp->sw];

	pm_region_lock(vp->registry);
	if (was_in)
		s->nports--;
	if (s->nports == 0)
		memset(s, 0, sizeof(*s));
	pm_region_unlock(vp->registry);
	pm_region_put(vp->registry);
	free(vp);
}

static void vale_release(struct pm_port *p)
{
	leave_switch(p->priv, false);
	p->priv = NULL;
}

static void free_port(struct pm_port *p, struct pm_vale_port *m)
{
	for (uint32_t k = 0; k < m->nrings; k++) {
		pm_ring_delete(p->mem,
			       (void *)((char *)p->mem->base + m->tx_ofs[k]),
			       m->nslots);
		pm_ring_delete(p->mem,
			       (void *)((char *)p->mem->base + m->rx_ofs[k]),
			       m->nslots);
	}
	memset(m, 0, sizeof(*m));
}

static int new_port(struct pm_port *p, struct pm_vale_port *m)
{
	pthread_mutexattr_t a;

	memset(m, 0, sizeof(*m));
	snprintf(m->name, sizeof(m->name), "%s", p->name);
	m->nrings = p->nrings[PM_TX];
	m->nslots = p->nslots[PM_TX];
	pthread_mutexattr_init(&a);
	pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
	pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
	for (uint32_t k = 0; k < m->nrings; k++) {
		struct netmap_ring *tx = pm_ring_new(p->mem, m->nslots);
		struct netmap_ring *rx =
		    tx ? pm_ring_new(p->mem, m->nslots) : NULL;
		if (!rx) {
			if (tx)
				pm_ring_delete(p->mem, tx, m->nslots);
			m->nrings = k;
			free_port(p, m);
			pthread_mutexattr_destroy(&a);
			return -ENOMEM;
		}
		m->tx_ofs[k] = pm_region_offset(p->mem, tx);
		m->rx_ofs[k] = pm_region_offset(p->mem, rx);
		pthread_mutex_init(&m->rx[k].lock, &a);
	}
	pthread_mutexattr_destroy(&a);
	return 0;
}

/* Claims the port: its socket's name is free unless a live owner has it. */
static int claim(struct pm_port *p, struct vale_port *vp)
{
	struct sockaddr_un sun;
	socklen_t len = port_address(p->mem, vp->index, &sun);

	vp->sock =
	    socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (vp->sock < 0)
		return -errno;
	if (bind(vp->sock, (struct sockaddr *)&sun, len) < 0) {
		pm_log("%s: open in another process", p->name);
		return errno == EADDRINUSE ? -EBUSY : -errno;
	}
	return 0;
}

static void wire_rings(struct pm_port *p, struct vale_port *vp)
{
	struct pm_vale_port *m = port_meta(p, vp->index);

	for (uint32_t k = 0; k < m->nrings; k++) {
		struct pm_kring *tx = &p->rings[PM_TX][k];
		struct pm_kring *rx = &p->rings[PM_RX][k];
		/* tx slots complete at the sender's sync: all free */
		pm_kring_init(tx, p, PM_TX, k,
			      (void *)((char *)p->mem->base + m->tx_ofs[k]), 0,
			      m->nslots - 1);
		pm_kring_init(rx, p, PM_RX, k,
			      (void *)((char *)p->mem->base + m->rx_ofs[k]),
			      atomic_load(&m->rx[k].hwcur),
			      atomic_load(&m->rx[k].hwtail));
		rx->priv = &m->rx[k];
		rx->wait_fd = vp->sock;
		rx->wait_events = POLLIN;
	}
}

/* Is the port's socket name bound: is it open in some process (fork)? */
static bool port_held(struct pm_port *p, int index)
{
	struct sockaddr_un sun;
	socklen_t len = port_address(p->mem, index, &sun);
	int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	bool held = fd >= 0 && bind(fd, (struct sockaddr *)&sun, len) < 0 &&
		    errno == EADDRINUSE;

	if (fd >= 0)
		pm_libc.close(fd);
	return held;
}

/* Our socket goes first; the port goes with it unless kept (NEWIF). */
static void vale_detach(struct pm_port *p)
{
	struct vale_port *vp = p->priv;
	bool gone = false;

	if (!vp)
		return;
	pm_libc.close(vp->sock);
	pm_region_lock(p->mem);
	struct pm_vale_port *m = port_meta(p, vp->index);
	if (!m->persistent && !port_held(p, vp->index)) {
		free_port(p, m);
		gone = true;
	}
	pm_region_unlock(p->mem);
	leave_switch(vp, gone);
	p->priv = NULL;
}

static int vale_attach(struct pm_port *p)
{
	struct vale_port *vp = p->priv;
	int free_slot = -1, err = 0;

	pm_region_lock(p->mem);
	for (int i = 0; i < PM_VALE_PORTS && vp->index < 0; i++) {
		if (strcmp(port_meta(p, i)->name, p->name) == 0)
			vp->index = i;
		else if (!port_meta(p, i)->name[0] && free_slot < 0)
			free_slot = i;
	}
	bool fresh = vp->index < 0;
	if (fresh) {
		vp->index = free_slot;
		err = free_slot < 0 ? -ENOSPC
				    : new_port(p, port_meta(p, free_slot));
	}
	if (!err)
		err = claim(p, vp);
	if (!err) {
		wire_rings(p, vp);
		if (fresh) {
			pm_region_lock(vp->registry);
			vp->registry->meta->vale.switches[vp->sw].nports++;
			pm_region_unlock(vp->registry);
		}
	} else {
		if (vp->sock >= 0)
			pm_libc.close(vp->sock);
		vp->sock = -1;
		if (fresh && free_slot >= 0 && err != -ENOMEM)
			free_port(p, port_meta(p, free_slot));
		vp->index = -1;
	}
	pm_region_unlock(p->mem);
	if (err == -ENOSPC)
		pm_log("%s: the switch has %d ports already", p->name,
		       PM_VALE_PORTS);
	return err;
}

/* ---- switching --------------------------------------------------------------
 */

static uint64_t mac_of(const uint8_t *m)
{
	return (uint64_t)m[0] << 40 | (uint64_t)m[1] << 32 |
	       (uint64_t)m[2] << 24 | (uint64_t)m[3] << 16 |
	       (uint64_t)m[4] << 8 | m[5];
}

static struct pm_vale_fdb_entry *fdb_slot(struct pm_port *p, uint64_t mac)
{
	uint64_t h = mac * 0x9e3779b97f4a7c15ull;

	return &p->mem->meta->vale.fdb[(h >> 32) % PM_VALE_FDB];
}

/* The port a MAC was learned on, or -1. */
static int fdb_lookup(struct pm_port *p, uint64_t mac)
{
	uint64_t e = atomic_load_explicit(&fdb_slot(p, mac)->mac_port,
					  memory_order_relaxed);

	return e && e >> 16 == mac ? (int)(e & 0xffff) - 1 : -1;
}

static void fdb_learn(struct pm_port *p, uint64_t mac, int port)
{
	struct pm_vale_fdb_entry *e = fdb_slot(p, mac);
	uint64_t v = mac << 16 | (uint64_t)(port + 1);

	if (atomic_load_explicit(&e->mac_port, memory_order_relaxed) != v)
		atomic_store_explicit(&e->mac_port, v, memory_order_relaxed);
}

static void kick(struct pm_port *p, int port, struct pm_vale_rx *rx)
{
	struct vale_port *vp = p->priv;
	struct sockaddr_un sun;
	socklen_t len;

	if (!atomic_load_explicit(&rx->wants_kick, memory_order_relaxed) ||
	    !atomic_exchange(&rx->wants_kick, 0))
		return;
	len = port_address(p->mem, port, &sun);
	sendto(vp->sock, "", 1, MSG_DONTWAIT, (struct sockaddr *)&sun, len);
}

/* Copies the frame in @pc into port @port's rx ring @ring, or drops it. */
static void deliver(struct pm_port *p, int port, uint32_t ring,
		    const struct pm_piece *pc, int np, uint32_t len)
{
	struct pm_vale_port *m = port_meta(p, port);
	struct pm_vale_rx *rx = &m->rx[ring % m->nrings];
	struct pm_kring dst = {
	    .ring =
		(void *)((char *)p->mem->base + m->rx_ofs[ring % m->nrings]),
	    .nslots = m->nslots,
	    .buf_size = p->mem->buf_size,
	};
	uint32_t need = len ? (len + dst.buf_size - 1) / dst.buf_size : 1;

	if (pthread_mutex_lock(&rx->lock) == EOWNERDEAD)
		pthread_mutex_consistent(&rx->lock); /* a sender died here */
	uint32_t tail = atomic_load_explicit(&rx->hwtail, memory_order_relaxed);
	uint32_t cur = atomic_load_explicit(&rx->hwcur, memory_order_acquire);
	uint32_t room = (cur + dst.nslots - 1 - tail) % dst.nslots;
	if (need <= room) {
		pm_scatter(&dst, tail, pc, np, need);
		atomic_store_explicit(&rx->hwtail, (tail + need) % dst.nslots,
				      memory_order_release);
	} else {
		atomic_fetch_add(&rx->drops, 1);
	}
	pthread_mutex_unlock(&rx->lock);
	if (need <= room)
		kick(p, port, rx);
}

/* Slots [hwcur, end) are whole, valid frames: switch each one. */
static int vale_txsync(struct pm_kring *k, uint32_t end)
{
	struct pm_port *p = k->port;
	struct vale_port *vp = p->priv;
	struct pm_piece pc[NETMAP_MAX_FRAGS];

	for (uint32_t i = k->hwcur; i != end;) {
		uint32_t len = 0;
		int np = 0;
		struct netmap_slot *s;
		do {
			s = &k->ring->slot[i];
			pc[np++] = (struct pm_piece){
			    (const uint8_t *)pm_slot_buf(k, s), s->len};
			len += s->len;
			i = pm_next(k, i);
		} while (s->flags & NS_MOREFRAG);
		if (len < 14 || pc[0].len < 12) {
			k->errors++;
			continue;
		}
		uint64_t dmac = mac_of(pc[0].p), smac = mac_of(pc[0].p + 6);
		if (!(pc[0].p[6] & 1))
			fdb_learn(p, smac, vp->index);
		int to = pc[0].p[0] & 1 ? -1 : fdb_lookup(p, dmac);
		if (to >= 0 && port_meta(p, to)->name[0]) {
			if (to != vp->index)
				deliver(p, to, k->id, pc, np, len);
		} else { /* broadcast or unknown: every other port */
			for (int q = 0; q < PM_VALE_PORTS; q++)
				if (q != vp->index && port_meta(p, q)->name[0])
					deliver(p, q, k->id, pc, np, len);
		}
		k->packets++;
		k->bytes += len;
	}
	k->hwcur = end;
	k->hwtail = pm_prev(k, end);
	return 0;
}

static int vale_rxsync(struct pm_kring *k)
{
	struct pm_vale_rx *rx = k->priv;

	atomic_store_explicit(&rx->hwcur, k->hwcur, memory_order_release);
	k->hwtail = atomic_load_explicit(&rx->hwtail, memory_order_acquire);
	return 0;
}

static bool vale_arm(struct pm_kring *k)
{
	struct pm_vale_rx *rx = k->priv;

	if (k->dir == PM_TX)
		return true; /* tx slots are never waited for */
	atomic_store(&rx->wants_kick, 1);
	return atomic_load(&rx->hwtail) != k->hwtail;
}

static void vale_disarm(struct pm_kring *k, bool woke)
{
	struct vale_port *vp = k->port->priv;
	char buf[64];

	if (k->dir == PM_RX)
		atomic_store(&((struct pm_vale_rx *)k->priv)->wants_kick, 0);
	while (woke && recv(vp->sock, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
}

static uint64_t vale_drops(struct pm_kring *k)
{
	return k->dir == PM_RX
		   ? atomic_load(&((struct pm_vale_rx *)k->priv)->drops)
		   : 0;
}

static int vale_check(struct pm_port *p)
{
	(void)p;
	return 0;
}

const struct pm_adapter_ops pm_vale_ops = {
    .name = "vale",
    .configure = vale_configure,
    .release = vale_release,
    .own_rings = true,
    .attach = vale_attach,
    .detach = vale_detach,
    .txsync = vale_txsync,
    .rxsync = vale_rxsync,
    .drops = vale_drops,
    .check = vale_check,
    .arm = vale_arm,
    .disarm = vale_disarm,
};
