/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * netmap pipes: `x{N` (master) and `x}N` (slave), two ends whose rings are
 * wired crosswise: a tx slot moves whole (buf_idx, len, flags, ptr) to the
 * peer's rx slot of the same index, by swapping slots, so nothing is
 * copied.  The sender's tail advances only once the peer released slots.
 *
 * Pipes live in their parent's memory region, with their state in the
 * region's bookkeeping, so the two ends may be in two processes.  The
 * parent may be an interface (memory id 1), a VALE port valeX:Y (switch
 * X's region, which the pipe holds while it exists) or any other name:
 * then the pipe is all there is, in memory id 1, and goes with its last
 * user, as netmap's anonymous parents do.
 *
 * Each direction of each ring pair is single-producer single-consumer:
 * two counters and no lock.  An end that is about to sleep sets a flag; the
 * peer that sees it sends one datagram to the end's socket (a file in the
 * user's directory), which is also what poll sleeps on.  Without sleepers
 * there is no system call.  A pipe neither of whose ends is open anywhere
 * (its processes were killed) is reclaimed when its name or its slot is
 * wanted again.
 */
#include "core/core.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define MASTER 0
#define SLAVE  1

struct pipe_port {
	struct pm_region *registry; /* a VALE parent's: its switch's holds */
	bool configuring;	    /* holds the switch until attached */
	struct pm_pipe_meta *meta;
	int index; /* in the region's pipe table */
	int end;   /* MASTER or SLAVE */
	int sock;  /* our wake-up socket; bound: we own the end */
	struct sockaddr_un peer;
	socklen_t peer_len;
	/* per ring and direction, connected to the peer's socket so that a
	 * kick looks up no path; used only by that ring's sync, -1 until
	 * the first kick */
	int kick_sock[PM_PIPE_MAX_RINGS][2];
};

/* ---- names ----------------------------------------------------------------
 */

/* "x{N" or "x}N": the parent x, the end, and the canonical "x{N". */
static int parse_name(const char *name, char *parent, size_t plen, int *end,
		      char *canon, size_t clen)
{
	const char *brace = strpbrk(name, "{}");
	size_t n = (size_t)(brace - name);

	if (n == 0 || n >= plen || brace[1] == '\0' ||
	    strpbrk(brace + 1, "{}")) {
		pm_log("%s: a pipe is PARENT{ID or PARENT}ID", name);
		return -EINVAL;
	}
	memcpy(parent, name, n);
	parent[n] = '\0';
	*end = *brace == '{' ? MASTER : SLAVE;
	snprintf(canon, clen, "%s{%s", parent, brace + 1);
	return 0;
}

/*
 * An end's socket, NETNS.memID.pipe.I.M (or .S) in the user's directory:
 * bound while the end is open in some process.
 */
static void end_name(const struct pm_region *r, int index, int end, char *buf,
		     size_t len)
{
	snprintf(buf, len, "%.40s.pipe.%d.%c", r->name, index,
		 end == MASTER ? 'M' : 'S');
}

static socklen_t end_address(const struct pm_region *r, int index, int end,
			     struct sockaddr_un *sun)
{
	char name[64];

	end_name(r, index, end, name, sizeof(name));
	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	pm_user_path(sun->sun_path, sizeof(sun->sun_path), name);
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
			   strlen(sun->sun_path) + 1);
}

/* Is an end open in some process? */
static bool end_open(const struct pm_region *r, int index, int end)
{
	char name[64];

	end_name(r, index, end, name, sizeof(name));
	return pm_shrx_held(name);
}

static void end_release(const struct pm_region *r, int index, int end)
{
	char name[64];

	end_name(r, index, end, name, sizeof(name));
	pm_shrx_release(name);
}

/* ---- the shared pipe table (region lock held) -----------------------------
 */

static int pipe_find(struct pm_region *r, const char *canon)
{
	for (int i = 0; i < PM_MAX_PIPES; i++)
		if (r->meta->pipes[i].ends &&
		    strncmp(r->meta->pipes[i].name, canon,
			    sizeof(r->meta->pipes[i].name)) == 0)
			return i;
	return -1;
}

/* Its rings and their buffers go, exactly once: its own buffers only. */
static void pipe_free_rings(struct pm_region *r, struct pm_pipe_meta *m)
{
	uint32_t nrings = m->nrings, nslots = m->nslots;

	for (uint32_t k = 0; k < nrings && k < PM_PIPE_MAX_RINGS; k++) {
		for (int d = 0; d < 2; d++) {
			struct netmap_ring *tx =
			    pm_region_ring_at(r, m->dir[k][d].tx_ofs, nslots);
			struct netmap_ring *rx =
			    pm_region_ring_at(r, m->dir[k][d].rx_ofs, nslots);
			if (tx)
				pm_ring_delete(r, tx, nslots, m->owner);
			if (rx)
				pm_ring_delete(r, rx, nslots, m->owner);
		}
	}
	if (m->owner)
		pm_region_disown(r, m->owner);
	memset(m, 0, sizeof(*m));
}

/* A pipe neither of whose ends is open anywhere: its processes died. */
static bool pipe_dead(struct pm_region *r, int i)
{
	return r->meta->pipes[i].ends && !end_open(r, i, MASTER) &&
	       !end_open(r, i, SLAVE);
}

/* Counts it in *@freed: the caller lets go of their switch holds. */
static void pipe_reclaim(struct pm_region *r, int i, int *freed)
{
	pm_log("pipe %.*s: its processes died, freeing it",
	       (int)sizeof(r->meta->pipes[i].name), r->meta->pipes[i].name);
	pipe_free_rings(r, &r->meta->pipes[i]);
	end_release(r, i, MASTER);
	end_release(r, i, SLAVE);
	(*freed)++;
}

/* A free slot of the table, after reclaiming the dead pipes. */
static int pipe_slot(struct pm_region *r, int *freed)
{
	int free_slot = -ENOSPC;

	for (int i = PM_MAX_PIPES - 1; i >= 0; i--) {
		if (pipe_dead(r, i))
			pipe_reclaim(r, i, freed);
		if (!r->meta->pipes[i].ends)
			free_slot = i;
	}
	return free_slot;
}

/* @n pipes of a VALE parent's region came (or went, @n < 0). */
static void switch_holds(struct pipe_port *pp, struct pm_region *r, int n)
{
	if (pp->registry && n)
		pm_vale_switch_hold(pp->registry, r, n);
}

/* A new pipe: the tx and rx rings of both directions of each ring pair. */
static int pipe_create(struct pm_region *r, struct pm_pipe_meta *m,
		       const char *canon, uint32_t nrings, uint32_t nslots)
{
	snprintf(m->name, sizeof(m->name), "%s", canon);
	m->nrings = nrings;
	m->nslots = nslots;
	m->owner = pm_region_new_owner(r);
	for (uint32_t k = 0; k < nrings; k++) {
		for (int d = 0; d < 2; d++) {
			struct netmap_ring *tx =
			    pm_ring_new(r, nslots, m->owner);
			struct netmap_ring *rx =
			    tx ? pm_ring_new(r, nslots, m->owner) : NULL;
			struct pm_pipe_dir *pd = &m->dir[k][d];
			if (tx)
				pd->tx_ofs = pm_region_offset(r, tx);
			if (!rx) {
				pipe_free_rings(r, m);
				return -ENOMEM;
			}
			pd->rx_ofs = pm_region_offset(r, rx);
		}
	}
	return 0;
}

/* ---- adapter ----------------------------------------------------------------
 */

/* Undoes pipe_configure. */
static void pipe_release(struct pm_port *p)
{
	struct pipe_port *pp = p->priv;

	if (!pp)
		return;
	if (pp->registry) {
		switch_holds(pp, p->mem, -pp->configuring);
		pm_region_put(pp->registry);
	}
	free(pp);
	p->priv = NULL;
}

/* The parent's region: a VALE port's switch (held), or memory id 1. */
static int parent_region(struct pm_port *p, struct pipe_port *pp,
			 const char *parent)
{
	if (strncmp(parent, NM_BDG_NAME, strlen(NM_BDG_NAME)) == 0) {
		pp->configuring = true; /* as pm_vale_switch_get leaves it */
		return pm_vale_switch_get(parent, &pp->registry, &p->mem);
	}
	if (!pm_valid_ifname(parent))
		pm_log("%s: %s is no interface: an anonymous parent", p->name,
		       parent);
	return pm_region_get(PM_GLOBAL_MEM_ID, &p->mem);
}

static int pipe_configure(struct pm_port *p, const struct pm_bind_req *req)
{
	char parent[NETMAP_REQ_IFNAMSIZ], canon[NETMAP_REQ_IFNAMSIZ];
	struct pipe_port *pp;
	int end, err;

	err = parse_name(req->name, parent, sizeof(parent), &end, canon,
			 sizeof(canon));
	if (err)
		return err;
	pp = calloc(1, sizeof(*pp));
	if (!pp)
		return -ENOMEM;
	pp->sock = -1;
	memset(pp->kick_sock, -1, sizeof(pp->kick_sock));
	err = parent_region(p, pp, parent);
	if (err) {
		free(pp);
		return err;
	}
	p->priv = pp;
	/* a live pipe has its geometry; a new one takes the request's */
	pm_region_lock(p->mem);
	int i = pipe_find(p->mem, canon);
	struct pm_pipe_meta *m =
	    i >= 0 && !pipe_dead(p->mem, i) ? &p->mem->meta->pipes[i] : NULL;
	for (int d = 0; d < 2; d++) {
		p->nrings[d] = pm_count(m ? m->nrings : req->nrings[d], 1, 1,
					PM_PIPE_MAX_RINGS);
		p->nslots[d] =
		    pm_count(m ? m->nslots : req->nslots[d], pm_default_slots(),
			     PM_MIN_SLOTS, PM_MAX_SLOTS);
		p->nhost[d] = 0;
	}
	pm_region_unlock(p->mem);
	/* both directions of a ring pair are one ring each way */
	p->nrings[PM_RX] = p->nrings[PM_TX] =
	    p->nrings[PM_TX] > p->nrings[PM_RX] ? p->nrings[PM_TX]
						: p->nrings[PM_RX];
	p->nslots[PM_RX] = p->nslots[PM_TX];
	return 0;
}

/*
 * Our socket goes first; the end is released only if that left it unheld
 * (a forked child may still hold the same socket and use the end), and
 * the pipe with it once neither end is open anywhere.
 */
static void pipe_detach(struct pm_port *p)
{
	struct pipe_port *pp = p->priv;
	struct pm_pipe_meta *m;

	if (!pp)
		return;
	if (pp->sock >= 0)
		pm_libc.close(pp->sock);
	for (int k = 0; k < PM_PIPE_MAX_RINGS; k++)
		for (int d = 0; d < 2; d++)
			if (pp->kick_sock[k][d] >= 0)
				pm_libc.close(pp->kick_sock[k][d]);
	m = pp->meta;
	if (m) {
		pm_region_lock(p->mem);
		for (int e = 0; e < 2; e++) {
			int end = e ? !pp->end : pp->end; /* ours, then peer */
			if ((m->ends & (1u << end)) &&
			    !end_open(p->mem, pp->index, end)) {
				m->ends &= ~(1u << end); /* its process died */
				end_release(p->mem, pp->index, end);
			}
		}
		bool gone = !m->ends;
		if (gone)
			pipe_free_rings(p->mem, m);
		pm_region_unlock(p->mem);
		switch_holds(pp, p->mem, -gone);
	}
	pipe_release(p);
}

/* Claims our end: its socket is free unless a live process has it. */
static int claim_end(struct pm_port *p, struct pipe_port *pp)
{
	char name[64];

	pp->peer_len = end_address(p->mem, pp->index, !pp->end, &pp->peer);
	if (p->adopt_fd >= 0) { /* a received descriptor: the end's socket */
		pp->sock = fcntl(p->adopt_fd, F_DUPFD_CLOEXEC, 0);
		return pp->sock < 0 ? -errno : 0;
	}
	end_name(p->mem, pp->index, pp->end, name, sizeof(name));
	pp->sock = pm_shrx_claim(name);
	if (pp->sock == -EBUSY)
		pm_log("%s: this end is open in another process", p->name);
	return pp->sock < 0 ? pp->sock : 0;
}

static void wire_rings(struct pm_port *p, struct pipe_port *pp)
{
	struct pm_pipe_meta *m = pp->meta;

	for (uint32_t k = 0; k < p->nrings[PM_TX]; k++) {
		/* our tx ring feeds direction [end]; our rx ring is the
		 * other direction's receiving side */
		struct pm_pipe_dir *out = &m->dir[k][pp->end];
		struct pm_pipe_dir *in = &m->dir[k][!pp->end];
		struct pm_kring *tx = &p->rings[PM_TX][k];
		struct pm_kring *rx = &p->rings[PM_RX][k];
		uint32_t cons_out = atomic_load(&out->cons) % p->nslots[PM_TX];

		/* tx owns up to the slot before what the peer released */
		pm_kring_init(
		    tx, p, PM_TX, k,
		    pm_region_ring_at(p->mem, out->tx_ofs, p->nslots[PM_TX]),
		    atomic_load(&out->prod) % p->nslots[PM_TX],
		    (cons_out ? cons_out : p->nslots[PM_TX]) - 1);
		pm_kring_init(
		    rx, p, PM_RX, k,
		    pm_region_ring_at(p->mem, in->rx_ofs, p->nslots[PM_RX]),
		    atomic_load(&in->cons) % p->nslots[PM_RX],
		    atomic_load(&in->prod) % p->nslots[PM_RX]);
		tx->priv = out;
		rx->priv = in;
		tx->wait_fd = rx->wait_fd = pp->sock;
		tx->wait_events = rx->wait_events = POLLIN;
	}
}

/*
 * The pipe's slot: found (a dead pipe of that name is reclaimed: a new
 * opener gets fresh rings), or made.  Region lock held.
 */
static int pipe_open_slot(struct pm_port *p, const char *canon, bool *made,
			  int *freed)
{
	struct pm_region *r = p->mem;
	int i = pipe_find(r, canon);

	*made = false;
	if (i >= 0 && p->adopt_fd < 0 && pipe_dead(r, i)) {
		pipe_reclaim(r, i, freed);
		i = -1;
	}
	if (i >= 0 || p->adopt_fd >= 0)
		return i >= 0 ? i : -ENXIO;
	i = pipe_slot(r, freed);
	if (i < 0)
		return i;
	int err = pipe_create(r, &r->meta->pipes[i], canon, p->nrings[PM_TX],
			      p->nslots[PM_TX]);
	*made = !err;
	return err ? err : i;
}

/* Its geometry, from shared memory, must be what we made krings for. */
static bool same_geometry(const struct pm_port *p, const struct pm_pipe_meta *m)
{
	bool ok =
	    m->nrings == p->nrings[PM_TX] && m->nslots == p->nslots[PM_TX];

	for (uint32_t k = 0; ok && k < m->nrings; k++)
		for (int d = 0; d < 2; d++)
			ok = ok &&
			     pm_region_ring_at(p->mem, m->dir[k][d].tx_ofs,
					       m->nslots) &&
			     pm_region_ring_at(p->mem, m->dir[k][d].rx_ofs,
					       m->nslots);
	return ok;
}

static int pipe_attach(struct pm_port *p)
{
	char parent[NETMAP_REQ_IFNAMSIZ], canon[NETMAP_REQ_IFNAMSIZ];
	struct pipe_port *pp = p->priv;
	bool made;
	int err, freed = 0;

	parse_name(p->name, parent, sizeof(parent), &pp->end, canon,
		   sizeof(canon));
	pm_region_lock(p->mem);
	pp->index = err = pipe_open_slot(p, canon, &made, &freed);
	if (err >= 0) {
		struct pm_pipe_meta *m = &p->mem->meta->pipes[pp->index];
		err = same_geometry(p, m) ? claim_end(p, pp) : -EBUSY;
		if (!err) {
			m->ends |= 1u << pp->end;
			pp->meta = m;
			p->owner = m->owner;
			wire_rings(p, pp);
		} else if (made) {
			pipe_free_rings(p->mem, m);
			made = false;
		}
	}
	pm_region_unlock(p->mem);
	/* this process holds the switch meanwhile (pipe_configure) */
	/*
	 * The pipe we made holds the switch now, not this process (a forked
	 * child would let go of it a second time).
	 */
	switch_holds(pp, p->mem, made - freed - (!err && pp->configuring));
	pp->configuring = pp->configuring && err;
	if (err)
		pipe_detach(p);
	return err;
}

/* ---- datapath -------------------------------------------------------------
 */

/* The ring's kick socket, connected to the peer's now; -1 if it has none. */
static int kick_connect(struct pipe_port *pp, int *ks)
{
	if (*ks >= 0)
		pm_libc.close(*ks);
	*ks = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (*ks >= 0 &&
	    connect(*ks, (struct sockaddr *)&pp->peer, pp->peer_len) < 0) {
		pm_libc.close(*ks);
		*ks = -1;
	}
	return *ks;
}

static void kick(struct pm_kring *k, _Atomic uint32_t *wants)
{
	struct pipe_port *pp = k->port->priv;
	int *ks = &pp->kick_sock[k->id][k->dir];

	if (!atomic_load_explicit(wants, memory_order_relaxed) ||
	    !atomic_exchange(wants, 0))
		return;
	/* a peer that reopened has a new socket: connect again, once */
	if ((*ks < 0 || send(*ks, "", 1, MSG_DONTWAIT) < 0) &&
	    (*ks < 0 || errno != EAGAIN) && kick_connect(pp, ks) >= 0)
		send(*ks, "", 1, MSG_DONTWAIT);
}

/*
 * The peer's counters, read once and believed only where the peer may have
 * moved them: what it released (cons) from the slot after our tail up to
 * what we sent; what it sent (prod) from our tail up to the slot before
 * what we released.  Otherwise nothing moved.
 */
static uint32_t peer_cons(const struct pm_kring *k, struct pm_pipe_dir *pd)
{
	uint32_t c = atomic_load_explicit(&pd->cons, memory_order_acquire);

	return c < k->nslots && pm_in_window(c, pm_next(k, k->hwtail), k->hwcur)
		   ? c
		   : pm_next(k, k->hwtail);
}

static uint32_t peer_prod(const struct pm_kring *k, struct pm_pipe_dir *pd)
{
	uint32_t c = atomic_load_explicit(&pd->prod, memory_order_acquire);

	return c < k->nslots && pm_in_window(c, k->hwtail, pm_prev(k, k->hwcur))
		   ? c
		   : k->hwtail;
}

/*
 * Our slot @t and the peer's @r change places.  Both buffer indexes are
 * read once and must be in the pool: a bad one is not passed on, the
 * peer's slot then arrives empty.
 */
static bool swap_slot(const struct pm_kring *k, struct netmap_slot *t,
		      struct netmap_slot *r)
{
	struct pm_slot_copy tc = pm_slot_read(t), rc = pm_slot_read(r);
	uint64_t tptr = t->ptr;

	if (unlikely(!pm_slot_ok(k, tc) || !pm_buf_ok(k, rc.idx))) {
		r->len = 0;
		r->flags = NS_BUF_CHANGED;
		return false;
	}
	t->buf_idx = rc.idx;
	t->len = rc.len;
	t->ptr = r->ptr;
	t->flags = NS_BUF_CHANGED;
	r->buf_idx = tc.idx;
	r->len = tc.len;
	r->ptr = tptr;
	r->flags = tc.flags | NS_BUF_CHANGED;
	return true;
}

/*
 * Slots [hwcur, end) change places with the peer's rx slots.  The peer's
 * ring is found from the shared table: checked to be a ring of the region
 * with our size, or nothing moves.
 */
static int pipe_txsync(struct pm_kring *k, uint32_t end)
{
	struct pm_pipe_dir *pd = k->priv;
	struct netmap_ring *peer = pm_region_ring_at(
	    k->port->mem, *(volatile uint64_t *)&pd->rx_ofs, k->nslots);

	if (unlikely(!peer || peer == k->ring)) {
		pm_log("%s: the pipe's table is broken", k->port->name);
		return -EIO;
	}
	for (uint32_t i = k->hwcur; i != end; i = pm_next(k, i))
		if (unlikely(!swap_slot(k, &k->ring->slot[i], &peer->slot[i])))
			k->errors++;
	if (k->hwcur != end) {
		k->hwcur = end;
		atomic_store_explicit(&pd->prod, end, memory_order_release);
		kick(k, &pd->rx_wants_kick);
	}
	k->hwtail = pm_prev(k, peer_cons(k, pd));
	return 0;
}

/* The released slots go back to the sender; what it sent becomes ours. */
static int pipe_rxsync(struct pm_kring *k)
{
	struct pm_pipe_dir *pd = k->priv;

	if (atomic_load_explicit(&pd->cons, memory_order_relaxed) != k->hwcur) {
		atomic_store_explicit(&pd->cons, k->hwcur,
				      memory_order_release);
		kick(k, &pd->tx_wants_kick);
	}
	k->hwtail = peer_prod(k, pd);
	return 0;
}

static bool pipe_arm(struct pm_kring *k)
{
	struct pm_pipe_dir *pd = k->priv;

	if (k->dir == PM_RX) {
		atomic_store(&pd->rx_wants_kick, 1);
		return peer_prod(k, pd) != k->hwtail;
	}
	atomic_store(&pd->tx_wants_kick, 1);
	return pm_prev(k, peer_cons(k, pd)) != k->hwtail;
}

static void pipe_disarm(struct pm_kring *k, bool woke)
{
	struct pm_pipe_dir *pd = k->priv;
	struct pipe_port *pp = k->port->priv;
	char buf[64];

	atomic_store(k->dir == PM_RX ? &pd->rx_wants_kick : &pd->tx_wants_kick,
		     0);
	while (woke && recv(pp->sock, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
}

/* ---- passing an end's descriptor --------------------------------------- */

static int pipe_socket(struct pm_port *p)
{
	return ((struct pipe_port *)p->priv)->sock;
}

static struct pm_shared_reg *pipe_shared_reg(struct pm_port *p)
{
	struct pipe_port *pp = p->priv;

	return &pp->meta->reg[pp->end];
}

/* "pipe.I.M" or ".S": that end of pipe I of region @r. */
static int pipe_adopt(struct pm_region *r, const char *what, char *name,
		      size_t len, struct pm_shared_reg *reg)
{
	int i, n = 0, err = -ENXIO;
	char e;

	if (sscanf(what, "pipe.%d.%c%n", &i, &e, &n) != 2 || what[n] || i < 0 ||
	    i >= PM_MAX_PIPES || (e != 'M' && e != 'S'))
		return -EINVAL;
	int end = e == 'M' ? MASTER : SLAVE;
	pm_region_lock(r);
	struct pm_pipe_meta *m = &r->meta->pipes[i];
	if (m->ends) {
		*reg = m->reg[end];
		snprintf(name, len, "%.*s", (int)sizeof(m->name), m->name);
		name[strcspn(name, "{")] = end == MASTER ? '{' : '}';
		err = strpbrk(name, "{}") ? 0 : -ENXIO;
	}
	pm_region_unlock(r);
	return err;
}

const struct pm_adapter_ops pm_pipe_ops = {
    .name = "pipe",
    .configure = pipe_configure,
    .release = pipe_release,
    .own_rings = true,
    .attach = pipe_attach,
    .detach = pipe_detach,
    .txsync = pipe_txsync,
    .rxsync = pipe_rxsync,
    .arm = pipe_arm,
    .disarm = pipe_disarm,
    .socket = pipe_socket,
    .shared_reg = pipe_shared_reg,
    .adopt = pipe_adopt,
};
