// SPDX-License-Identifier: BSD-2-Clause
/*
 * nmport -- a port's life: new, parse, register, mmap and their undo
 * twins; open and close compose them.  Every failing step unwinds what it
 * did, so the descriptor is left as it was before the call.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "nmlib.h"

/* ---- undo actions ------------------------------------------------------- */

void nmport_push_cleanup(struct nmport_d *d, struct nmport_cleanup_d *c)
{
	c->next = d->clist;
	d->clist = c;
}

void nmport_pop_cleanup(struct nmport_d *d)
{
	struct nmport_cleanup_d *top = d->clist;

	d->clist = top->next;
	top->cleanup(top, d);
	nmctx_free(d->ctx, top);
}

void nmport_cleanup_to(struct nmport_d *d, struct nmport_cleanup_d *mark)
{
	while (d->clist != NULL && d->clist != mark)
		nmport_pop_cleanup(d);
}

/* ---- descriptors ----------------------------------------------------------
 */

static void init_request(struct nmport_d *d)
{
	nmreq_header_init(&d->hdr, NETMAP_REQ_REGISTER, &d->reg);
	memset(&d->reg, 0, sizeof(d->reg));
}

static struct nmport_d *new_with_ctx(struct nmctx *ctx)
{
	struct nmport_d *d = nmctx_malloc(ctx, sizeof(*d));

	if (d == NULL) {
		nmctx_ferror(ctx, "cannot allocate a port descriptor");
		errno = ENOMEM;
		return NULL;
	}
	memset(d, 0, sizeof(*d));
	init_request(d);
	d->ctx = ctx;
	d->fd = -1;
	return d;
}

NM_PUBLIC struct nmport_d *nmport_new(void)
{
	return new_with_ctx(nmctx_get());
}

NM_PUBLIC void nmport_delete(struct nmport_d *d)
{
	if (d != NULL)
		nmctx_free(d->ctx, d);
}

/* ---- parse ------------------------------------------------------------- */

NM_PUBLIC int nmport_parse(struct nmport_d *d, const char *portspec)
{
	struct nmreq_header hdr = d->hdr;
	struct nmreq_register reg = d->reg;
	struct nmport_cleanup_d *mark = d->clist;
	const char *scan = portspec;
	int err;

	if (portspec == NULL) {
		nmctx_ferror(d->ctx, "no port name");
		errno = EINVAL;
		return -1;
	}
	if (d->register_done) {
		nmctx_ferror(d->ctx, "%s: parse of a registered port",
			     d->hdr.nr_name);
		errno = EINVAL;
		return -1;
	}
	if (nmreq_header_decode(&scan, &d->hdr, d->ctx) == 0 &&
	    nmreq_register_decode(&scan, &d->reg, d->ctx) == 0 &&
	    nmreq_options_decode(scan, nmport_opt_parsers, d, d->ctx) == 0)
		return 0;
	/* back to the state before the call, options and all */
	err = errno;
	nmport_cleanup_to(d, mark);
	d->hdr = hdr;
	d->reg = reg;
	errno = err;
	return -1;
}

NM_PUBLIC void nmport_undo_parse(struct nmport_d *d)
{
	nmport_cleanup_to(d, NULL);
	init_request(d);
}

NM_PUBLIC struct nmport_d *nmport_prepare(const char *portspec)
{
	struct nmport_d *d = nmport_new();
	int err;

	if (d == NULL)
		return NULL;
	if (nmport_parse(d, portspec) < 0) {
		err = errno;
		nmport_undo_prepare(d);
		errno = err;
		return NULL;
	}
	return d;
}

NM_PUBLIC void nmport_undo_prepare(struct nmport_d *d)
{
	if (d == NULL)
		return;
	nmport_undo_parse(d);
	nmport_delete(d);
}

/* ---- register ------------------------------------------------------------ */

/* The device refused the request: name the options it marked, if any. */
static void report_register_error(struct nmport_d *d, int err)
{
	struct nmreq_option *o;
	int named = 0;

	nmreq_foreach_option(&d->hdr, o)
	{
		if (o->nro_status == 0)
			continue;
		nmctx_ferror(d->ctx, "%s: option %s: %s", d->hdr.nr_name,
			     nmreq_option_name(o->nro_reqtype),
			     strerror((int)o->nro_status));
		named++;
	}
	if (!named)
		nmctx_ferror(d->ctx, "%s: cannot register: %s", d->hdr.nr_name,
			     strerror(err));
}

NM_PUBLIC int nmport_register(struct nmport_d *d)
{
	struct nmreq_option *o;
	int err;

	if (d->register_done) {
		nmctx_ferror(d->ctx, "%s: already registered", d->hdr.nr_name);
		errno = EINVAL;
		return -1;
	}
	d->hdr.nr_body = (uintptr_t)&d->reg; /* in case the user copied d */
	nmreq_foreach_option(&d->hdr, o) o->nro_status = 0;
	d->fd = open("/dev/netmap", O_RDWR | O_CLOEXEC);
	if (d->fd < 0) {
		err = errno;
		nmctx_ferror(d->ctx, "/dev/netmap: %s", strerror(err));
		errno = err;
		return -1;
	}
	if (ioctl(d->fd, NIOCCTRL, &d->hdr) < 0) {
		err = errno;
		report_register_error(d, err);
		close(d->fd);
		d->fd = -1;
		errno = err;
		return -1;
	}
	d->register_done = 1;
	return 0;
}

NM_PUBLIC void nmport_undo_register(struct nmport_d *d)
{
	int err = errno;

	if (d->fd >= 0)
		close(d->fd);
	d->fd = -1;
	d->register_done = 0;
	errno = err;
}

/* ---- mmap ------------------------------------------------------------- */

static struct nmem_d *find_mem(struct nmctx *ctx, uint16_t mem_id)
{
	struct nmem_d *m;

	for (m = ctx->mem_descs; m != NULL; m = m->next) {
		if (m->mem_id == mem_id)
			return m;
	}
	return NULL;
}

/* A new mapping of @d's region (or its extmem), not yet on the list. */
static struct nmem_d *map_region(struct nmport_d *d)
{
	struct nmctx *ctx = d->ctx;
	struct nmem_d *m = nmctx_malloc(ctx, sizeof(*m));
	int err;

	if (m == NULL) {
		nmctx_ferror(ctx, "cannot allocate a memory descriptor");
		errno = ENOMEM;
		return NULL;
	}
	memset(m, 0, sizeof(*m));
	m->mem_id = d->reg.nr_mem_id;
	if (d->extmem != NULL) {
		m->mem = (void *)(uintptr_t)d->extmem->nro_usrptr;
		m->size = d->extmem->nro_info.nr_memsize;
		m->is_extmem = 1;
		return m;
	}
	m->size = d->reg.nr_memsize;
	m->mem =
	    mmap(NULL, m->size, PROT_READ | PROT_WRITE, MAP_SHARED, d->fd, 0);
	if (m->mem == MAP_FAILED) {
		err = errno;
		nmctx_ferror(ctx, "%s: mmap of %zu bytes: %s", d->hdr.nr_name,
			     m->size, strerror(err));
		nmctx_free(ctx, m);
		errno = err;
		return NULL;
	}
	return m;
}

/* The mapping of @d's memory id: shared if mapped already, else new. */
static struct nmem_d *get_region(struct nmport_d *d)
{
	struct nmctx *ctx = d->ctx;
	struct nmem_d *m = find_mem(ctx, d->reg.nr_mem_id);

	if (m != NULL) {
		if (m->size < d->reg.nr_offset + sizeof(struct netmap_if)) {
			nmctx_ferror(ctx,
				     "%s: interface at %llu beyond the %zu "
				     "bytes of memory id %u",
				     d->hdr.nr_name,
				     (unsigned long long)d->reg.nr_offset,
				     m->size, m->mem_id);
			errno = EINVAL;
			return NULL;
		}
		m->refcount++;
		return m;
	}
	m = map_region(d);
	if (m == NULL)
		return NULL;
	m->refcount = 1;
	m->prev = NULL;
	m->next = ctx->mem_descs;
	if (m->next)
		m->next->prev = m;
	ctx->mem_descs = m;
	return m;
}

static void put_region(struct nmctx *ctx, struct nmem_d *m)
{
	if (--m->refcount > 0)
		return;
	if (!m->is_extmem)
		munmap(m->mem, m->size);
	if (m->next)
		m->next->prev = m->prev;
	if (m->prev)
		m->prev->next = m->next;
	else
		ctx->mem_descs = m->next;
	nmctx_free(ctx, m);
}

/*
 * The bound rings of one direction are the run of non-zero ring_ofs[]
 * among its @n entries starting at @base; an empty run gives first > last.
 */
static void find_bound_rings(const struct netmap_if *nifp, unsigned base,
			     unsigned n, uint16_t *first, uint16_t *last)
{
	unsigned i = 0;

	while (i < n && nifp->ring_ofs[base + i] == 0)
		i++;
	*first = (uint16_t)i;
	while (i < n && nifp->ring_ofs[base + i] != 0)
		i++;
	*last = (uint16_t)(i - 1);
	if (i == 0) { /* no ring at all: keep first > last */
		*first = 1;
		*last = 0;
	}
}

static void set_rings(struct nmport_d *d)
{
	struct netmap_if *nifp = d->nifp;
	unsigned ntx = nifp->ni_tx_rings + nifp->ni_host_tx_rings;
	unsigned nrx = nifp->ni_rx_rings + nifp->ni_host_rx_rings;

	find_bound_rings(nifp, 0, ntx, &d->first_tx_ring, &d->last_tx_ring);
	find_bound_rings(nifp, ntx, nrx, &d->first_rx_ring, &d->last_rx_ring);
	d->cur_tx_ring = d->first_tx_ring;
	d->cur_rx_ring = d->first_rx_ring;
}

NM_PUBLIC int nmport_mmap(struct nmport_d *d)
{
	struct nmctx *ctx = d->ctx;
	struct nmem_d *m;

	if (d->mmap_done || !d->register_done) {
		nmctx_ferror(ctx, "%s: %s", d->hdr.nr_name,
			     d->mmap_done ? "already mapped"
					  : "mmap of an unregistered port");
		errno = EINVAL;
		return -1;
	}
	nmctx_lock(ctx);
	m = get_region(d);
	nmctx_unlock(ctx);
	if (m == NULL)
		return -1;
	d->mem = m;
	d->nifp = NETMAP_IF(m->mem, d->reg.nr_offset);
	set_rings(d);
	d->mmap_done = 1;
	return 0;
}

NM_PUBLIC void nmport_undo_mmap(struct nmport_d *d)
{
	int err = errno;

	if (d->mem != NULL) {
		nmctx_lock(d->ctx);
		put_region(d->ctx, d->mem);
		nmctx_unlock(d->ctx);
	}
	d->mem = NULL;
	d->nifp = NULL;
	d->mmap_done = 0;
	d->first_tx_ring = d->last_tx_ring = d->cur_tx_ring = 0;
	d->first_rx_ring = d->last_rx_ring = d->cur_rx_ring = 0;
	errno = err;
}

/* ---- compositions ------------------------------------------------------- */

NM_PUBLIC int nmport_open_desc(struct nmport_d *d)
{
	int err;

	if (nmport_register(d) < 0)
		return -1;
	if (nmport_mmap(d) < 0) {
		err = errno;
		nmport_undo_register(d);
		errno = err;
		return -1;
	}
	return 0;
}

NM_PUBLIC void nmport_undo_open_desc(struct nmport_d *d)
{
	nmport_undo_mmap(d);
	nmport_undo_register(d);
}

NM_PUBLIC struct nmport_d *nmport_open(const char *portspec)
{
	struct nmport_d *d = nmport_prepare(portspec);
	int err;

	if (d == NULL)
		return NULL;
	if (nmport_open_desc(d) < 0) {
		err = errno;
		nmport_undo_prepare(d);
		errno = err;
		return NULL;
	}
	return d;
}

NM_PUBLIC void nmport_close(struct nmport_d *d)
{
	if (d == NULL)
		return;
	nmport_undo_open_desc(d);
	nmport_undo_prepare(d);
}

NM_PUBLIC struct nmport_d *nmport_clone(struct nmport_d *d)
{
	struct nmport_d *c;

	if (d->extmem != NULL && !d->register_done) {
		nmctx_ferror(d->ctx,
			     "%s: clone of an unregistered port "
			     "with extmem",
			     d->hdr.nr_name);
		errno = EINVAL;
		return NULL;
	}
	c = new_with_ctx(d->ctx);
	if (c == NULL)
		return NULL;
	c->hdr = d->hdr;
	c->hdr.nr_body = (uintptr_t)&c->reg;
	c->hdr.nr_options = 0; /* options belong to @d */
	c->reg = d->reg;       /* with the memory id @d got */
	return c;
}

/* ---- inject ----------------------------------------------------------- */

/* Slots a frame of @size bytes needs in @ring. */
static uint32_t slots_for(const struct netmap_ring *ring, size_t size)
{
	return (uint32_t)((size + ring->nr_buf_size - 1) / ring->nr_buf_size);
}

/* Copies the frame into @ring from cur on, if it has room. */
static int inject_ring(struct netmap_ring *ring, const char *buf, size_t size)
{
	uint32_t need = slots_for(ring, size), i = ring->cur;
	uint32_t room =
	    ring->tail >= i ? ring->tail - i : ring->tail + ring->num_slots - i;

	if (ring->nr_buf_size == 0 || need > room)
		return 0;
	while (size > 0) {
		struct netmap_slot *slot = &ring->slot[i];
		size_t len =
		    size < ring->nr_buf_size ? size : ring->nr_buf_size;

		nm_pkt_copy(buf, NETMAP_BUF(ring, slot->buf_idx), (int)len);
		slot->len = (uint16_t)len;
		size -= len;
		buf += len;
		slot->flags = size ? NS_MOREFRAG : 0;
		i = nm_ring_next(ring, i);
	}
	ring->head = ring->cur = i;
	return 1;
}

NM_PUBLIC int nmport_inject(struct nmport_d *d, const void *buf, size_t size)
{
	unsigned first = d->first_tx_ring, last = d->last_tx_ring;
	unsigned n, ri = d->cur_tx_ring;

	if (!d->mmap_done || size == 0 || first > last) {
		errno = EINVAL;
		return 0;
	}
	n = last - first + 1;
	for (unsigned k = 0; k < n; k++, ri++) {
		if (ri > last || ri < first)
			ri = first;
		if (inject_ring(NETMAP_TXRING(d->nifp, ri), buf, size)) {
			d->cur_tx_ring = (uint16_t)ri;
			return (int)size;
		}
	}
	errno = ENOBUFS;
	return 0;
}
