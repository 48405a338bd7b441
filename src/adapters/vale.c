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
#include <fcntl.h>
#include <net/netmap_user.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
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

/* The port's owner: its wake-up socket, NETNS.memID.vale.I. */
static void owner_name(const struct pm_region *r, int index, char *buf,
		       size_t len)
{
	snprintf(buf, len, "%.40s.vale.%d", r->name, index);
}

static bool port_held(struct pm_port *p, int index);

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
	/* an existing port keeps its geometry (checked again at attach) */
	pm_region_lock(p->mem);
	for (int i = 0; i < PM_VALE_PORTS; i++) {
		struct pm_vale_port *m = port_meta(p, i);
		if (strncmp(m->name, req->name, sizeof(m->name)) == 0 &&
		    (m->persistent || port_held(p, i))) {
			p->nrings[PM_TX] = p->nrings[PM_RX] =
			    pm_count(m->nrings, 1, 1, PM_VALE_MAX_RINGS);
			p->nslots[PM_TX] = p->nslots[PM_RX] =
			    pm_count(m->nslots, 1, PM_MIN_SLOTS, PM_MAX_SLOTS);
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

static void set_active(struct pm_port *p, struct pm_vale_port *m, bool on)
{
	long i = m - port_meta(p, 0);
	_Atomic uint64_t *w = &p->mem->meta->vale.active[i / 64];

	if (on)
		atomic_fetch_or(w, 1ull << (i % 64));
	else
		atomic_fetch_and(w, ~(1ull << (i % 64)));
}

/*
 * Retired first (pm_shrx_retire), then its rings are freed, exactly once,
 * with its own buffers only; the rings' locks stay (see struct pm_shrx).
 */
static void free_port(struct pm_port *p, struct pm_vale_port *m)
{
	uint32_t nrings =
	    m->nrings < PM_VALE_MAX_RINGS ? m->nrings : PM_VALE_MAX_RINGS;
	uint32_t nslots = m->nslots, seq;
	char owner[64];

	set_active(p, m, false);
	pm_shrx_retire(&m->seq, m->rx, nrings);
	for (uint32_t k = 0; k < nrings; k++) {
		struct netmap_ring *tx =
		    pm_region_ring_at(p->mem, m->tx_ofs[k], nslots);
		struct netmap_ring *rx =
		    pm_region_ring_at(p->mem, m->rx[k].ring_ofs, nslots);
		if (tx)
			pm_ring_delete(p->mem, tx, nslots, m->owner);
		if (rx)
			pm_ring_delete(p->mem, rx, nslots, m->owner);
	}
	if (m->owner)
		pm_region_disown(p->mem, m->owner);
	seq = atomic_load(&m->seq);
	memset(m, 0, offsetof(struct pm_vale_port, rx));
	atomic_store(&m->seq, seq);
	owner_name(p->mem, (int)(m - port_meta(p, 0)), owner, sizeof(owner));
	pm_shrx_release(owner);
}

static int new_port(struct pm_port *p, struct pm_vale_port *m)
{
	uint32_t seq = atomic_load(&m->seq);
	char owner[64];

	memset(m, 0, offsetof(struct pm_vale_port, rx)); /* rx: see free_port */
	atomic_store(&m->seq, seq + (seq & 1)); /* free until it is whole */
	snprintf(m->name, sizeof(m->name), "%s", p->name);
	m->nrings = p->nrings[PM_TX];
	m->nslots = p->nslots[PM_TX];
	m->owner = pm_region_new_owner(p->mem);
	owner_name(p->mem, (int)(m - port_meta(p, 0)), owner, sizeof(owner));
	for (uint32_t k = 0; k < m->nrings; k++) {
		struct netmap_ring *tx =
		    pm_ring_new(p->mem, m->nslots, m->owner);
		struct netmap_ring *rx =
		    tx ? pm_ring_new(p->mem, m->nslots, m->owner) : NULL;
		if (!rx) {
			if (tx)
				pm_ring_delete(p->mem, tx, m->nslots, m->owner);
			m->nrings = k;
			free_port(p, m);
			return -ENOMEM;
		}
		m->tx_ofs[k] = pm_region_offset(p->mem, tx);
		pm_shrx_init(&m->rx[k], p->mem, rx, m->nslots, owner);
	}
	atomic_store_explicit(&m->seq, atomic_load(&m->seq) + 1,
			      memory_order_release);
	set_active(p, m, true);
	return 0;
}

/*
 * A persistent port nobody holds may come from a killed application that
 * scribbled on its rings: its slots get back buffers of its own, and a
 * buffer a slot lost comes back when the port goes.
 */
static int mend_port(struct pm_port *p, struct pm_vale_port *m)
{
	int mended = 0, err = 0;

	for (uint32_t k = 0; k < p->nrings[PM_TX] && err >= 0; k++) {
		err = pm_region_mend_ring(
		    p->mem,
		    pm_region_ring_at(p->mem, m->tx_ofs[k], p->nslots[PM_TX]),
		    p->nslots[PM_TX], m->owner);
		mended += err > 0 ? err : 0;
		if (err >= 0)
			err = pm_region_mend_ring(
			    p->mem,
			    pm_region_ring_at(p->mem, m->rx[k].ring_ofs,
					      p->nslots[PM_RX]),
			    p->nslots[PM_RX], m->owner);
		mended += err > 0 ? err : 0;
	}
	if (mended)
		pm_log("%s: %d slots held buffers not its own", p->name,
		       mended);
	return err < 0 ? err : 0;
}

/* Claims the port: its socket is free unless a live owner has it. */
static int claim(struct pm_port *p, struct vale_port *vp)
{
	char owner[64];

	owner_name(p->mem, vp->index, owner, sizeof(owner));
	vp->sock = pm_shrx_claim(owner);
	if (vp->sock == -EBUSY)
		pm_log("%s: open in another process", p->name);
	return vp->sock < 0 ? vp->sock : 0;
}

/* Its geometry, from shared memory, must be what we made krings for. */
static bool same_geometry(struct pm_port *p, const struct pm_vale_port *m)
{
	bool ok =
	    m->nrings == p->nrings[PM_TX] && m->nslots == p->nslots[PM_TX];

	for (uint32_t k = 0; ok && k < m->nrings; k++)
		ok = pm_region_ring_at(p->mem, m->tx_ofs[k], m->nslots) &&
		     pm_region_ring_at(p->mem, m->rx[k].ring_ofs, m->nslots) &&
		     m->rx[k].nslots == m->nslots;
	return ok;
}

static void wire_rings(struct pm_port *p, struct vale_port *vp)
{
	struct pm_vale_port *m = port_meta(p, vp->index);
	uint32_t n = p->nslots[PM_RX];

	for (uint32_t k = 0; k < p->nrings[PM_TX]; k++) {
		struct pm_kring *tx = &p->rings[PM_TX][k];
		struct pm_kring *rx = &p->rings[PM_RX][k];
		/* tx slots complete at the sender's sync: all free */
		pm_kring_init(
		    tx, p, PM_TX, k,
		    pm_region_ring_at(p->mem, m->tx_ofs[k], p->nslots[PM_TX]),
		    0, p->nslots[PM_TX] - 1);
		pm_kring_init(rx, p, PM_RX, k,
			      pm_region_ring_at(p->mem, m->rx[k].ring_ofs, n),
			      atomic_load(&m->rx[k].hwcur) % n,
			      atomic_load(&m->rx[k].hwtail) % n);
		rx->priv = &m->rx[k];
		rx->wait_fd = vp->sock;
		rx->wait_events = POLLIN;
	}
}

/* Is the port open in some process (a forked child, say)? */
static bool port_held(struct pm_port *p, int index)
{
	char owner[64];

	owner_name(p->mem, index, owner, sizeof(owner));
	return pm_shrx_held(owner);
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

/* A port whose owners all died goes: its slot, or its name, is free. */
static void reclaim_port(struct pm_port *p, struct vale_port *vp, int i)
{
	pm_log("%s: its owner died, freeing it", port_meta(p, i)->name);
	free_port(p, port_meta(p, i));
	pm_region_lock(vp->registry);
	vp->registry->meta->vale.switches[vp->sw].nports--;
	pm_region_unlock(vp->registry);
}

/*
 * The port's slot, or -1 if it has none, after reclaiming the ports whose
 * owners were killed: a reused name gets fresh rings.  Region lock held.
 */
static int find_port(struct pm_port *p, struct vale_port *vp, int *free_slot)
{
	int found = -1;

	*free_slot = -1;
	for (int i = 0; i < PM_VALE_PORTS; i++) {
		struct pm_vale_port *m = port_meta(p, i);
		if (m->name[0] && !m->persistent && !port_held(p, i) &&
		    p->adopt_fd < 0)
			reclaim_port(p, vp, i);
		if (strncmp(m->name, p->name, sizeof(m->name)) == 0)
			found = i;
		if (!m->name[0] && *free_slot < 0)
			*free_slot = i;
	}
	return found;
}

static int vale_attach(struct pm_port *p)
{
	struct vale_port *vp = p->priv;
	int free_slot, err = 0;

	pm_region_lock(p->mem);
	vp->index = find_port(p, vp, &free_slot);
	bool fresh = vp->index < 0;
	if (!fresh && !same_geometry(p, port_meta(p, vp->index))) {
		pm_region_unlock(p->mem);
		vp->index = -1;
		return -EBUSY; /* made again with another geometry meanwhile */
	}
	if (p->adopt_fd >= 0) { /* a received descriptor: its socket is ours */
		err = fresh ? -ENXIO : 0;
		fresh = false;
		vp->sock = err ? -1 : fcntl(p->adopt_fd, F_DUPFD_CLOEXEC, 0);
		if (!err && vp->sock < 0)
			err = -errno;
		if (!err) {
			p->owner = port_meta(p, vp->index)->owner;
			wire_rings(p, vp);
		}
		pm_region_unlock(p->mem);
		return err;
	}
	if (fresh) {
		vp->index = free_slot;
		err = free_slot < 0 ? -ENOSPC
				    : new_port(p, port_meta(p, free_slot));
	} else if (!port_held(p, vp->index)) {
		err = mend_port(p, port_meta(p, vp->index));
	}
	if (!err)
		err = claim(p, vp);
	if (!err) {
		p->owner = port_meta(p, vp->index)->owner;
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

/* ---- pipes of VALE ports ----------------------------------------------------
 */

/*
 * @delta more (or fewer) holders of switch @sw: the last one out frees
 * its slot.  Ports, pipes in its region and processes configuring one
 * hold it.
 */
static void switch_hold(struct pm_region *registry, int sw, int delta)
{
	struct pm_vale_switch *s = &registry->meta->vale.switches[sw];

	pm_region_lock(registry);
	int64_t n = (int64_t)s->nports + delta;
	s->nports = n > 0 ? (uint32_t)n : 0;
	if (s->nports == 0)
		memset(s, 0, sizeof(*s));
	pm_region_unlock(registry);
}

/* Which switch a region of a switch is: -1 for the others. */
static int switch_of(const struct pm_region *mem)
{
	int sw = (int)mem->mem_id - PM_GLOBAL_MEM_ID - 1;

	return sw >= 0 && sw < PM_VALE_SWITCHES ? sw : -1;
}

int pm_vale_switch_get(const char *port, struct pm_region **registry,
		       struct pm_region **mem)
{
	char sw[NETMAP_REQ_IFNAMSIZ];
	int err = switch_name(port, sw, sizeof(sw)), slot;

	if (err)
		return err;
	err = pm_region_get(PM_GLOBAL_MEM_ID, registry);
	if (err)
		return err;
	pm_region_lock(*registry);
	slot = switch_slot(*registry, sw, true);
	if (slot >= 0)
		(*registry)->meta->vale.switches[slot].nports++;
	pm_region_unlock(*registry);
	err = slot < 0
		  ? slot
		  : pm_region_get((uint16_t)(PM_GLOBAL_MEM_ID + 1 + slot), mem);
	if (err) {
		if (slot >= 0)
			switch_hold(*registry, slot, -1);
		pm_region_put(*registry);
	}
	return err;
}

void pm_vale_switch_hold(struct pm_region *registry,
			 const struct pm_region *mem, int delta)
{
	int sw = switch_of(mem);

	if (sw >= 0)
		switch_hold(registry, sw, delta);
}

/* ---- passing a port's descriptor ------------------------------------------
 */

static int vale_socket(struct pm_port *p)
{
	return ((struct vale_port *)p->priv)->sock;
}

static struct pm_shared_reg *vale_shared_reg(struct pm_port *p)
{
	return &port_meta(p, ((struct vale_port *)p->priv)->index)->reg;
}

/* "vale.N": port N of the switch whose region is @r. */
static int vale_adopt(struct pm_region *r, const char *what, char *name,
		      size_t len, struct pm_shared_reg *reg)
{
	int i, n = 0;

	if (sscanf(what, "vale.%d%n", &i, &n) != 1 || what[n] || i < 0 ||
	    i >= PM_VALE_PORTS)
		return -EINVAL;
	pm_region_lock(r);
	struct pm_vale_port *m = &r->meta->vale.ports[i];
	snprintf(name, len, "%.*s", (int)sizeof(m->name), m->name);
	*reg = m->reg;
	pm_region_unlock(r);
	return name[0] ? 0 : -ENXIO;
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

/* A port's seq, for a port index checked already. */
static uint32_t port_seq(struct pm_port *p, int port)
{
	return atomic_load_explicit(&port_meta(p, port)->seq,
				    memory_order_acquire);
}

/*
 * The port a MAC was learned on, -1 if none: an entry naming no port, or
 * a port that went away since (its seq changed), is not an answer.
 * *seq is the port's seq.
 */
static int fdb_lookup(struct pm_port *p, uint64_t mac, uint32_t *seq)
{
	uint64_t e = atomic_load_explicit(&fdb_slot(p, mac)->mac_port,
					  memory_order_relaxed);
	int port = (int)(e & 0xff) - 1;

	if (e >> 16 != mac || port < 0 || port >= PM_VALE_PORTS)
		return -1;
	*seq = port_seq(p, port);
	return *seq & 1 && (uint8_t)*seq == (uint8_t)(e >> 8) ? port : -1;
}

static void fdb_learn(struct pm_port *p, uint64_t mac, int port, uint32_t seq)
{
	struct pm_vale_fdb_entry *e = fdb_slot(p, mac);
	uint64_t v =
	    mac << 16 | (uint64_t)(uint8_t)seq << 8 | (uint64_t)(port + 1);

	if (atomic_load_explicit(&e->mac_port, memory_order_relaxed) != v)
		atomic_store_explicit(&e->mac_port, v, memory_order_relaxed);
}

/*
 * Takes the rx ring of @port for frames of our ring @ring, if the port is
 * still the one of @seq: its ring count is checked, and its seq again once
 * the ring is held, so frames never go to a port that took its place.
 */
static void rx_of(struct pm_port *p, int port, uint32_t seq, uint32_t ring,
		  struct pm_shrx_writer *w)
{
	struct pm_vale_port *m = port_meta(p, port);
	uint32_t n = *(volatile uint32_t *)&m->nrings;

	if (!(seq & 1) || n == 0 || n > PM_VALE_MAX_RINGS) {
		*w = (struct pm_shrx_writer){.x = NULL};
		return;
	}
	if (pm_shrx_begin(w, p->mem, &m->rx[ring < n ? ring : ring % n]) &&
	    port_seq(p, port) != seq)
		pm_shrx_forget(w);
}

/* Broadcast or unknown: every other port in use, one ring at a time. */
static void flood(struct pm_kring *k, int self, const struct pm_frame *f)
{
	struct pm_port *p = k->port;
	struct pm_shrx_writer w;

	for (int b = 0; b < (PM_VALE_PORTS + 63) / 64; b++) {
		uint64_t set = atomic_load_explicit(
		    &p->mem->meta->vale.active[b], memory_order_relaxed);
		for (; set; set &= set - 1) {
			int q = b * 64 + __builtin_ctzll(set);
			if (q == self || q >= PM_VALE_PORTS)
				continue;
			rx_of(p, q, port_seq(p, q), k->id, &w);
			pm_shrx_add(&w, f->pc, f->np, f->len, 0);
			pm_shrx_end(&w);
		}
	}
}

/*
 * Slots [hwcur, end) are whole, valid frames: switch each one, reading
 * each slot once.  The ring of a unicast destination stays taken while
 * frames go on to it, so a flow pays one lock and one wake-up per sync,
 * not per frame.  A sender holds one ring at a time, so two senders
 * cannot wait for each other.
 */
static int vale_txsync(struct pm_kring *k, uint32_t end)
{
	struct pm_port *p = k->port;
	int self = ((struct vale_port *)p->priv)->index, held_port = -1;
	uint32_t self_seq = port_seq(p, self), held_seq = 0, seq = 0;
	struct pm_shrx_writer held = {.x = NULL};
	struct pm_frame f;

	for (uint32_t i = k->hwcur; i != end;) {
		if (unlikely(!pm_read_frame(k, &i, end, &f)) || f.len < 14 ||
		    f.pc[0].len < 12) {
			k->errors++;
			continue;
		}
		const uint8_t *eth = f.pc[0].p;
		if (!(eth[6] & 1))
			fdb_learn(p, mac_of(eth + 6), self, self_seq);
		int to = eth[0] & 1 ? -1 : fdb_lookup(p, mac_of(eth), &seq);
		if (to >= 0) {
			if (to == self)
				continue; /* never back where it came from */
			if (to != held_port || seq != held_seq) {
				pm_shrx_end(&held);
				rx_of(p, to, seq, k->id, &held);
				held_port = to;
				held_seq = seq;
			}
			pm_shrx_add(&held, f.pc, f.np, f.len, 0);
		} else {
			pm_shrx_end(
			    &held); /* one ring at a time: no deadlock */
			held_port = -1;
			flood(k, self, &f);
		}
		k->packets++;
		k->bytes += f.len;
	}
	pm_shrx_end(&held);
	k->hwcur = end;
	k->hwtail = pm_prev(k, end);
	return 0;
}

static bool vale_arm(struct pm_kring *k)
{
	return k->dir == PM_TX || pm_shrx_arm(k); /* tx never waits */
}

static void vale_disarm(struct pm_kring *k, bool woke)
{
	if (k->dir == PM_RX)
		pm_shrx_disarm(k, woke);
}

const struct pm_adapter_ops pm_vale_ops = {
    .name = "vale",
    .configure = vale_configure,
    .release = vale_release,
    .own_rings = true,
    .attach = vale_attach,
    .detach = vale_detach,
    .txsync = vale_txsync,
    .rxsync = pm_shrx_rxsync,
    .drops = pm_shrx_drops,
    .arm = vale_arm,
    .disarm = vale_disarm,
    .socket = vale_socket,
    .shared_reg = vale_shared_reg,
    .adopt = vale_adopt,
};

/* ---- control: NEWIF, DELIF, ATTACH, DETACH, LIST --------------------------
 */

/*
 * Calls @fn with the registry (memory id 1) locked.  The registry holds
 * the switches and the NEWIF ports.
 */
static int with_registry(int (*fn)(struct pm_region *, void *), void *arg)
{
	struct pm_region *reg;
	int err = pm_region_get(PM_GLOBAL_MEM_ID, &reg);

	if (err)
		return err;
	pm_region_lock(reg);
	err = fn(reg, arg);
	pm_region_unlock(reg);
	pm_region_put(reg);
	return err;
}

static struct pm_vale_newif *newif_find(struct pm_region *reg, const char *name)
{
	for (int i = 0; i < PM_VALE_NEWIFS; i++)
		if (reg->meta->vale.newifs[i].name[0] &&
		    strncmp(reg->meta->vale.newifs[i].name, name,
			    NETMAP_REQ_IFNAMSIZ) == 0)
			return &reg->meta->vale.newifs[i];
	return NULL;
}

struct newif_args {
	const char *name;
	const struct nmreq_vale_newif *req;
	char *out;
	size_t len;
};

static int do_newif(struct pm_region *reg, void *arg)
{
	struct newif_args *a = arg;
	struct pm_vale_newif *n = NULL;

	if (newif_find(reg, a->name) || pm_valid_ifname(a->name))
		return -EEXIST;
	for (int i = 0; i < PM_VALE_NEWIFS && !n; i++)
		if (!reg->meta->vale.newifs[i].name[0])
			n = &reg->meta->vale.newifs[i];
	if (!n)
		return -ENOSPC;
	snprintf(n->name, sizeof(n->name), "%s", a->name);
	atomic_fetch_add(&reg->meta->keep, 1); /* the registry outlives us */
	n->nrings = pm_count(a->req->nr_tx_rings, 1, 1, PM_VALE_MAX_RINGS);
	n->nslots = pm_count(a->req->nr_tx_slots, pm_default_slots(),
			     PM_MIN_SLOTS, PM_MAX_SLOTS);
	n->sw = -1;
	n->also_sw = 0;
	return 0;
}

int pm_vale_newif(const char *name, const struct nmreq_vale_newif *req)
{
	struct newif_args a = {.name = name, .req = req};

	if (!name[0] || strpbrk(name, ":{}^*@/-"))
		return -EINVAL;
	return with_registry(do_newif, &a);
}

static int do_delif(struct pm_region *reg, void *arg)
{
	struct pm_vale_newif *n = newif_find(reg, arg);

	if (!n)
		return -ENXIO;
	if (n->sw >= 0 || n->also_sw)
		return -EBUSY; /* attached to a switch: detach it first */
	memset(n, 0, sizeof(*n));
	atomic_fetch_sub(&reg->meta->keep, 1);
	return 0;
}

int pm_vale_delif(const char *name)
{
	return with_registry(do_delif, (void *)name);
}

static int do_newif_port(struct pm_region *reg, void *arg)
{
	struct newif_args *a = arg;
	struct pm_vale_newif *n = newif_find(reg, a->name);
	int sw = n ? n->sw : -1;

	if (sw < 0 || sw >= PM_VALE_SWITCHES)
		return -ENOENT;
	snprintf(a->out, a->len, "%.*s:%.*s", NETMAP_REQ_IFNAMSIZ,
		 reg->meta->vale.switches[sw].name, NETMAP_REQ_IFNAMSIZ,
		 n->name);
	return 0;
}

bool pm_vale_newif_port(const char *name, char *out, size_t len)
{
	struct newif_args a = {.name = name, .out = out, .len = len};

	return with_registry(do_newif_port, &a) == 0;
}

/* A port configured for @name ("valeX:Y"): its switch region and slot. */
static int open_switch(const char *name, struct pm_port *p, bool create)
{
	struct pm_bind_req req = {.name = name};
	char sw[NETMAP_REQ_IFNAMSIZ];
	int err = switch_name(name, sw, sizeof(sw));

	if (err)
		return err;
	if (!create) { /* do not make a switch just to look into it */
		struct pm_region *reg;
		if (pm_region_get(PM_GLOBAL_MEM_ID, &reg))
			return -ENXIO;
		pm_region_lock(reg);
		err = switch_slot(reg, sw, false);
		pm_region_unlock(reg);
		pm_region_put(reg);
		if (err < 0)
			return -ENXIO;
	}
	snprintf(p->name, sizeof(p->name), "%s", name);
	return vale_configure(p, &req);
}

static int port_index(struct pm_port *p, const char *name)
{
	for (int i = 0; i < PM_VALE_PORTS; i++)
		if (strcmp(port_meta(p, i)->name, name) == 0)
			return i;
	return -1;
}

/* Forwards frames from @src's rx rings to @dst's tx rings, copying. */
/*
 * The agent is an application of this library, but its rings are in a
 * region other processes of the user can write: what it forwards with is
 * taken at open and checked against its mapping, and each ring pointer and
 * slot is read once and checked before use.
 */
struct agent_ring {
	struct netmap_ring *ring;
	uint32_t nslots;
};

struct agent_port {
	int fd;
	struct nmreq_register reg;
	char *bufs; /* the buffer pool, as the library set it at open */
	uint32_t nbufs, buf_size;
	struct agent_ring rx[PM_MAX_RINGS + 1], tx[PM_MAX_RINGS + 1];
};

static void *agent_buf(const struct agent_port *a, uint32_t idx)
{
	return idx < a->nbufs ? a->bufs + (size_t)idx * a->buf_size : NULL;
}

/*
 * Frames of @src's rx rings [first, last) go to @dst's tx rings
 * [tfirst, tlast), round robin; a slot naming no buffer is dropped.
 */
static void agent_forward(struct agent_port *src, uint32_t first, uint32_t last,
			  struct agent_port *dst, uint32_t tfirst,
			  uint32_t tlast)
{
	for (uint32_t r = first; r < last; r++) {
		struct agent_ring rx = src->rx[r];
		struct agent_ring tx = dst->tx[tfirst + r % (tlast - tfirst)];
		const volatile struct netmap_ring *vr = rx.ring, *vt = tx.ring;
		uint32_t i = vr->head, rtail = vr->tail;
		uint32_t j = vt->head, ttail = vt->tail;

		if (i >= rx.nslots || rtail >= rx.nslots || j >= tx.nslots ||
		    ttail >= tx.nslots)
			continue; /* the sync puts the ring right */
		for (; i != rtail && j != ttail; i = (i + 1) % rx.nslots) {
			struct pm_slot_copy rs =
			    pm_slot_read(&rx.ring->slot[i]);
			struct netmap_slot *ts = &tx.ring->slot[j];
			void *from = agent_buf(src, rs.idx);
			void *to = agent_buf(dst, pm_slot_read(ts).idx);
			if (!from || !to || rs.len > src->buf_size ||
			    rs.len > dst->buf_size)
				continue;
			memcpy(to, from, rs.len);
			ts->len = rs.len;
			ts->flags = rs.flags & NS_MOREFRAG;
			j = (j + 1) % tx.nslots;
		}
		rx.ring->head = rx.ring->cur = i;
		tx.ring->head = tx.ring->cur = j;
	}
}

/* @ring, if it lies with its slots inside @a's mapping. */
static bool agent_ring(struct agent_port *a, const char *mem,
		       struct netmap_ring *ring, struct agent_ring *out)
{
	const char *end = mem + a->reg.nr_memsize;
	const char *at = (const char *)ring;

	if (at < mem || at + sizeof(*ring) > end)
		return false;
	out->ring = ring;
	out->nslots = ring->num_slots;
	return out->nslots >= PM_MIN_SLOTS && out->nslots <= PM_MAX_SLOTS &&
	       at + sizeof(*ring) + out->nslots * sizeof(ring->slot[0]) <= end;
}

static int agent_open(struct agent_port *a, const char *name, uint32_t mode)
{
	struct nmreq_header h = {.nr_version = NETMAP_API,
				 .nr_reqtype = NETMAP_REQ_REGISTER};

	a->fd = open("/dev/netmap", O_RDWR | O_CLOEXEC);
	a->reg = (struct nmreq_register){.nr_mode = mode};
	snprintf(h.nr_name, sizeof(h.nr_name), "%s", name);
	h.nr_body = (uintptr_t)&a->reg;
	if (a->fd < 0 || ioctl(a->fd, NIOCCTRL, &h) < 0)
		return -1;
	char *mem = mmap(NULL, a->reg.nr_memsize, PROT_READ | PROT_WRITE,
			 MAP_SHARED, a->fd, 0);
	if (mem == MAP_FAILED)
		return -1;
	struct netmap_if *nifp = NETMAP_IF(mem, a->reg.nr_offset);
	/* with host rings: NIC rings, then the host ring */
	uint32_t ntx = a->reg.nr_tx_rings + (mode == NR_REG_NIC_SW);
	uint32_t nrx = a->reg.nr_rx_rings + (mode == NR_REG_NIC_SW);
	bool ok = ntx <= PM_MAX_RINGS + 1 && nrx <= PM_MAX_RINGS + 1;

	for (uint32_t k = 0; ok && k < ntx; k++)
		ok = agent_ring(a, mem, NETMAP_TXRING(nifp, k), &a->tx[k]);
	for (uint32_t k = 0; ok && k < nrx; k++)
		ok = agent_ring(a, mem, NETMAP_RXRING(nifp, k), &a->rx[k]);
	if (!ok)
		return -1;
	struct netmap_ring *ring = a->tx[0].ring;
	a->bufs = (char *)ring + ring->buf_ofs;
	a->buf_size = ring->nr_buf_size;
	if (a->bufs < mem || a->bufs > mem + a->reg.nr_memsize || !a->buf_size)
		return -1;
	a->nbufs = (uint32_t)((size_t)(mem + a->reg.nr_memsize - a->bufs) /
			      a->buf_size);
	return 0;
}

/*
 * The attach agent: in a process of its own, forwards between a Linux
 * interface and its switch port (and, with @host, the host rings and the
 * port valeX:IF^), as netmap's kernel does for an attached NIC.  Reports
 * on @ready, then runs until killed.
 */
static volatile sig_atomic_t agent_stop;

static void agent_on_term(int sig)
{
	(void)sig;
	agent_stop = 1;
}

/* The agent keeps no output and none of its parent's netmap files. */
static void agent_detach_from_parent(void)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);

	for (int fd = 0; fd < 3 && null >= 0; fd++)
		dup2(null, fd);
	for (int fd = 3; fd < 4096; fd++)
		if (pm_fd_lookup(fd))
			close(fd); /* the shim's close: drops our copy */
	signal(SIGTERM, agent_on_term);
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
}

static void agent_run(const char *vale, const char *ifname, bool host,
		      int ready)
{
	char vname[NETMAP_REQ_IFNAMSIZ], hname[NETMAP_REQ_IFNAMSIZ + 1];
	struct agent_port nic, port, hport = {.fd = -1};
	int ok;

	snprintf(vname, sizeof(vname), "%s", vale);
	snprintf(hname, sizeof(hname), "%s^", vale);
	ok = agent_open(&nic, ifname, host ? NR_REG_NIC_SW : NR_REG_ALL_NIC) ==
		 0 &&
	     agent_open(&port, vname, NR_REG_ALL_NIC) == 0 &&
	     (!host || agent_open(&hport, hname, NR_REG_ALL_NIC) == 0);
	if (write(ready, ok ? "1" : "0", 1) != 1 || !ok)
		_exit(1);
	pm_libc.close(ready);
	uint32_t nrx = nic.reg.nr_rx_rings, ntx = nic.reg.nr_tx_rings;
	while (!agent_stop) {
		struct pollfd pfd[3] = {{nic.fd, POLLIN, 0},
					{port.fd, POLLIN, 0},
					{hport.fd, POLLIN, 0}};
		if (poll(pfd, host ? 3 : 2, -1) < 0 && errno != EINTR)
			break;
		if (pfd[0].revents & POLLERR)
			break; /* the interface went away */
		agent_forward(&nic, 0, nrx, &port, 0, port.reg.nr_tx_rings);
		agent_forward(&port, 0, port.reg.nr_rx_rings, &nic, 0, ntx);
		if (host) {
			agent_forward(&nic, nrx, nrx + 1, &hport, 0, 1);
			agent_forward(&hport, 0, 1, &nic, ntx, ntx + 1);
		}
	}
	close(nic.fd); /* leaves the switch, re-attaches the NIC */
	close(port.fd);
	if (host)
		close(hport.fd);
	_exit(0);
}

static int attach_nic(struct pm_port *p, const char *name, const char *ifname,
		      bool host)
{
	int fds[2];
	char ok = 0;

	if (pipe2(fds, O_CLOEXEC) < 0)
		return -errno;
	pid_t pid = fork();
	if (pid < 0) {
		int err = -errno;
		pm_libc.close(fds[0]);
		pm_libc.close(fds[1]);
		return err;
	}
	if (pid == 0) {
		setsid();
		agent_detach_from_parent();
		agent_run(name, ifname, host, fds[1]);
	}
	pm_libc.close(fds[1]);
	if (read(fds[0], &ok, 1) != 1 || ok != '1') {
		pm_libc.close(fds[0]);
		waitpid(pid, NULL, 0);
		pm_log("%s: the attach agent could not open %s", name, ifname);
		return -ENXIO;
	}
	pm_libc.close(fds[0]);
	pm_region_lock(p->mem);
	int i = port_index(p, name);
	if (i >= 0)
		port_meta(p, i)->agent = pid;
	pm_region_unlock(p->mem);
	return i;
}

struct attach_args {
	struct pm_port *p;
	const char *port; /* Y of valeX:Y */
	int index;
	bool bridge; /* on a second switch: through an agent */
};

/*
 * A NEWIF port joins the switch as a persistent port.  One attached to
 * another switch already joins this one as netmap's bridge wrapper does:
 * an agent forwards between the port and a port of its name here (the
 * caller starts it).  EBUSY for the same switch twice, or a third one.
 */
static int do_attach_newif(struct pm_region *reg, void *arg)
{
	struct attach_args *a = arg;
	struct pm_vale_newif *n = newif_find(reg, a->port);
	struct vale_port *vp = a->p->priv;
	int free_slot = -1;

	if (!n)
		return -ENXIO;
	if (n->sw == vp->sw || n->also_sw == (uint32_t)vp->sw + 1 ||
	    (n->sw >= 0 && n->also_sw))
		return -EBUSY;
	if (n->sw >= 0) {
		n->also_sw = (uint32_t)vp->sw + 1; /* undone if it fails */
		a->bridge = true;
		return 0;
	}
	pm_region_lock(a->p->mem);
	for (int i = 0; i < PM_VALE_PORTS && free_slot < 0; i++)
		if (!port_meta(a->p, i)->name[0])
			free_slot = i;
	a->p->nrings[PM_TX] = n->nrings;
	a->p->nslots[PM_TX] = n->nslots;
	int err = free_slot < 0 ? -ENOSPC
				: new_port(a->p, port_meta(a->p, free_slot));
	if (!err) {
		port_meta(a->p, free_slot)->persistent = 1;
		atomic_fetch_add(&a->p->mem->meta->keep, 1);
		n->sw = vp->sw;
		reg->meta->vale.switches[vp->sw].nports++;
		a->index = free_slot;
	}
	pm_region_unlock(a->p->mem);
	return err;
}

/* The NEWIF port a->port is on switch a->p's no more through an agent. */
static int do_unbridge(struct pm_region *reg, void *arg)
{
	struct attach_args *a = arg;
	struct pm_vale_newif *n = newif_find(reg, a->port);
	struct vale_port *vp = a->p->priv;

	if (n && n->also_sw == (uint32_t)vp->sw + 1)
		n->also_sw = 0;
	return 0;
}

int pm_vale_attach(const char *name, struct nmreq_vale_attach *req)
{
	struct pm_port p = {0};
	int err = open_switch(name, &p, true);

	if (err)
		return err;
	const char *ifname = strchr(name, ':') + 1;
	pm_region_lock(p.mem);
	bool present = port_index(&p, name) >= 0;
	pm_region_unlock(p.mem);
	if (present) {
		err = -EBUSY;
	} else if (pm_valid_ifname(ifname)) {
		err = attach_nic(&p, name, ifname,
				 (req->reg.nr_mode & NR_REG_MASK) ==
				     NR_REG_NIC_SW);
	} else {
		struct attach_args a = {.p = &p, .port = ifname};
		err = with_registry(do_attach_newif, &a);
		if (!err && a.bridge) {
			err = attach_nic(&p, name, ifname, false);
			if (err < 0)
				with_registry(do_unbridge, &a);
		} else if (!err) {
			err = a.index;
		}
	}
	if (err >= 0) {
		req->port_index = (uint32_t)err;
		err = 0;
	}
	vale_release(&p);
	pm_region_put(p.mem);
	return err;
}

static int do_detach_newif(struct pm_region *reg, void *arg)
{
	struct pm_vale_newif *n = newif_find(reg, arg);

	if (n)
		n->sw = -1;
	return 0;
}

struct bridged_args {
	struct pm_port *p;
	const char *port; /* Y of valeX:Y */
	char *other;	  /* out: "valeZ:Y", its second switch's port */
};

/* Is NEWIF port Y on this switch also on another one, by an agent? */
static int do_bridged_from(struct pm_region *reg, void *arg)
{
	struct bridged_args *a = arg;
	struct pm_vale_newif *n = newif_find(reg, a->port);
	struct vale_port *vp = a->p->priv;
	uint32_t also = n ? n->also_sw : 0;

	if (!n || n->sw != vp->sw || also == 0 || also > PM_VALE_SWITCHES)
		return -ENOENT;
	snprintf(a->other, 2 * NETMAP_REQ_IFNAMSIZ + 2, "%.*s:%.*s",
		 NETMAP_REQ_IFNAMSIZ, reg->meta->vale.switches[also - 1].name,
		 NETMAP_REQ_IFNAMSIZ, n->name);
	return 0;
}

/*
 * netmap detaches a NEWIF port from its two switches in any order.  Here
 * its rings are in the first switch's region: leaving it, the port moves
 * to the second one, in place of the agent's port there.
 */
static int detach_bridged(const char *name, const char *other,
			  struct nmreq_vale_detach *req)
{
	struct nmreq_vale_attach again = {0};
	int err = pm_vale_detach(other, NULL);

	if (!err)
		err = pm_vale_detach(name, req);
	if (!err)
		err = pm_vale_attach(other, &again);
	return err;
}

/* Has the agent exited (reaped here if it is our child)? */
static bool agent_gone(pid_t agent)
{
	return waitpid(agent, NULL, WNOHANG) == agent ||
	       (kill(agent, 0) < 0 && errno == ESRCH);
}

int pm_vale_detach(const char *name, struct nmreq_vale_detach *req)
{
	struct pm_port p = {0};
	int err = open_switch(name, &p, false), i;
	pid_t agent = 0;

	if (err)
		return err;
	char other[2 * NETMAP_REQ_IFNAMSIZ + 2];
	struct bridged_args b = {
	    .p = &p, .port = strchr(name, ':') + 1, .other = other};
	if (with_registry(do_bridged_from, &b) == 0) {
		vale_release(&p);
		pm_region_put(p.mem);
		return detach_bridged(name, other, req);
	}
	pm_region_lock(p.mem);
	i = port_index(&p, name);
	struct pm_vale_port *m = i >= 0 ? port_meta(&p, i) : NULL;
	if (!m) {
		err = -ENXIO;
	} else if (m->agent > 0) {
		agent = m->agent;
	} else if (!m->persistent || port_held(&p, i)) {
		err = -EBUSY; /* a process has it open */
	} else {
		free_port(&p, m);
		atomic_fetch_sub(&p.mem->meta->keep, 1);
		struct vale_port *vp = p.priv;
		pm_region_lock(vp->registry);
		vp->registry->meta->vale.switches[vp->sw].nports--;
		do_detach_newif(vp->registry, (void *)(strchr(name, ':') + 1));
		pm_region_unlock(vp->registry);
	}
	pm_region_unlock(p.mem);
	if (agent > 0) { /* its exit closes the port and re-attaches the NIC */
		kill(agent, SIGTERM);
		for (int tries = 0; tries < 300; tries++) {
			pm_region_lock(p.mem);
			bool gone = port_index(&p, name) < 0;
			pm_region_unlock(p.mem);
			/*
			 * Gone with its port, and its process too: it
			 * leaves the switch last, and a switch it leaves
			 * empty is freed, under a port attached meanwhile.
			 */
			if (gone && agent_gone(agent))
				break;
			usleep(10 * 1000);
		}
		struct attach_args a = {.p = &p, .port = strchr(name, ':') + 1};
		with_registry(do_unbridge, &a);
	}
	if (!err && req)
		req->port_index = (uint32_t)i;
	vale_release(&p);
	pm_region_put(p.mem);
	return err;
}

/*
 * With a name: the switch and port indexes of that port.  Without one:
 * the first port at or after (nr_bridge_idx, nr_port_idx), its name in
 * @name; -ENOENT past the last.
 */
int pm_vale_list(char *name, struct nmreq_vale_list *req)
{
	struct pm_region *reg;
	char sw_names[PM_VALE_SWITCHES][NETMAP_REQ_IFNAMSIZ];
	int err = pm_region_get(PM_GLOBAL_MEM_ID, &reg);

	if (err)
		return err;
	pm_region_lock(reg);
	for (int s = 0; s < PM_VALE_SWITCHES; s++)
		memcpy(sw_names[s], reg->meta->vale.switches[s].name,
		       NETMAP_REQ_IFNAMSIZ);
	pm_region_unlock(reg);
	pm_region_put(reg);

	err = name[0] ? -ENXIO : -ENOENT;
	/* the indexes are the caller's: unsigned, and past the end is empty */
	for (uint32_t s = name[0] ? 0 : req->nr_bridge_idx;
	     s < PM_VALE_SWITCHES; s++) {
		struct pm_port p = {0};
		if (!sw_names[s][0])
			continue;
		char any[NETMAP_REQ_IFNAMSIZ + 2];
		snprintf(any, sizeof(any), "%s:x", sw_names[s]);
		if (open_switch(any, &p, false))
			continue;
		uint32_t first =
		    !name[0] && s == req->nr_bridge_idx ? req->nr_port_idx : 0;
		pm_region_lock(p.mem);
		for (uint32_t i = first; i < PM_VALE_PORTS && err; i++) {
			const char *pn = port_meta(&p, i)->name;
			if (!pn[0] || (name[0] && strcmp(pn, name) != 0))
				continue;
			if (!name[0])
				snprintf(name, NETMAP_REQ_IFNAMSIZ, "%s", pn);
			req->nr_bridge_idx = (uint16_t)s;
			req->nr_port_idx = i;
			err = 0;
		}
		pm_region_unlock(p.mem);
		vale_release(&p);
		pm_region_put(p.mem);
		if (!err)
			break;
	}
	return err;
}
