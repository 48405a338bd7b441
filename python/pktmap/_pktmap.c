/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * pktmap._pktmap -- netmap ports for Python 3: Port, Ring and Slot.
 *
 * Written against the limited API of Python 3.11 (one binary for every
 * later version).  libpktmap is reached through dlsym() on its handle:
 * when it is not already interposed (LD_PRELOAD), it is dlopen()ed with
 * RTLD_DEEPBIND so that its own open/ioctl/mmap/poll reach its shim and
 * not the C library that Python bound first.
 *
 * Lifetimes: a Port, its Rings and their Slots share one C `struct core`
 * (refcounted under the GIL), so no Python reference cycle exists and a
 * port closes as soon as its last user goes.  The region stays mapped
 * while a memoryview of a slot buffer lives (close() raises BufferError).
 *
 * Trust boundary: ring fields (head, cur, tail), slots (buf_idx, len,
 * flags) and the netmap_if live in shared memory a peer may write.  They
 * are read once into locals and checked against the geometry read when
 * the port opened (ring placement, num_slots, buffer size, region size).
 */
#define Py_LIMITED_API 0x030b0000
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <dlfcn.h>
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>

/* nothing is linked: the default context is thread-safe already */
#define LIBNETMAP_NOTHREADSAFE
#include <libnetmap.h>
#include <pktmap.h>

#ifndef PKTMAP_LIBRARY
#define PKTMAP_LIBRARY "libpktmap.so.0"
#endif
#define MAX_RINGS 1024 /* per direction: more is a corrupt netmap_if */
#define ERRLEN	  512

/* ---- libpktmap, through its handle ----------------------------------- */

static struct {
	struct nmport_d *(*open)(const char *);
	void (*close)(struct nmport_d *);
	int (*stats_get)(int, struct pktmap_stats *);
	const char *(*version)(void);
	struct nmctx *(*ctx_get)(void);
	int (*ioctl)(int, unsigned long, ...);
	int (*poll)(struct pollfd *, nfds_t, int);
	int interposed; /* libpktmap answers the process's own libc calls */
	char path[256]; /* where it came from */
} pm;

static __thread char last_error[ERRLEN];

/* libnetmap's error callback: keep the reason for the OSError */
static void remember_error(struct nmctx *ctx, const char *msg)
{
	(void)ctx;
	snprintf(last_error, sizeof(last_error), "%s", msg);
}

/* RTLD_DEFAULT is NULL: success is told apart by @h, not by the value */
static int library_handle(void **hp)
{
	const char *env = getenv("PKTMAP_LIBRARY");
	const char *paths[] = {env, PKTMAP_LIBRARY, "libpktmap.so.0"};
	void *h;

	if (dlsym(RTLD_DEFAULT, "pktmap_version")) {
		pm.interposed = 1;
		snprintf(pm.path, sizeof(pm.path), "(interposed)");
		*hp = RTLD_DEFAULT;
		return 0;
	}
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		if (!paths[i] || !*paths[i])
			continue;
		h = dlopen(paths[i], RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND);
		if (h) {
			snprintf(pm.path, sizeof(pm.path), "%s", paths[i]);
			*hp = h;
			return 0;
		}
	}
	PyErr_Format(PyExc_ImportError, "cannot load libpktmap: %s", dlerror());
	return -1;
}

static int load_library(void)
{
	void *h;

	if (library_handle(&h))
		return -1;
	pm.open = dlsym(h, "nmport_open");
	pm.close = dlsym(h, "nmport_close");
	pm.stats_get = dlsym(h, "pktmap_stats_get");
	pm.version = dlsym(h, "pktmap_version");
	pm.ctx_get = dlsym(h, "nmctx_get");
	pm.ioctl = dlsym(h, "ioctl");
	pm.poll = dlsym(h, "poll");
	if (!pm.open || !pm.close || !pm.stats_get || !pm.version ||
	    !pm.ctx_get || !pm.ioctl || !pm.poll) {
		PyErr_SetString(PyExc_ImportError,
				"libpktmap lacks a symbol pktmap needs");
		return -1;
	}
	struct nmctx *ctx = pm.ctx_get();
	ctx->error = remember_error;
	ctx->verbose = 1;
	return 0;
}

/* ---- the shared state of a port --------------------------------------- */

struct core {
	struct nmport_d *d; /* NULL once closed */
	int fd;
	char *base; /* the region, as mapped */
	size_t size;
	long refs;    /* Port, Rings and Slots holding it */
	long exports; /* live buffer views into the region */
	long busy;    /* calls running without the GIL */
};

static void core_close(struct core *c)
{
	if (c->d) {
		pm.close(c->d);
		c->d = NULL;
	}
}

static void core_put(struct core *c)
{
	if (--c->refs == 0) {
		core_close(c);
		PyMem_Free(c);
	}
}

static int core_check(const struct core *c)
{
	if (c->d)
		return 0;
	PyErr_SetString(PyExc_ValueError, "I/O operation on closed port");
	return -1;
}

static PyObject *os_error(int err, const char *what, const char *name)
{
	PyObject *msg, *args;

	if (last_error[0])
		msg = PyUnicode_FromFormat("%s %s: %s", what, name, last_error);
	else
		msg = PyUnicode_FromFormat("%s %s: %s", what, name,
					   strerror(err));
	if (!msg)
		return NULL;
	args = Py_BuildValue("(iN)", err, msg);
	if (args) {
		PyErr_SetObject(PyExc_OSError, args);
		Py_DECREF(args);
	}
	return NULL;
}

/* ---- Slot ------------------------------------------------------------- */

typedef struct {
	PyObject_HEAD struct core *core;
	struct netmap_slot *slot;
	char *bufbase;	/* ring + buf_ofs */
	uint32_t nbufs; /* buffers between bufbase and the region's end */
	uint32_t buf_size;
} SlotObject;

static PyObject *Slot_type;

/* A buffer's address, or NULL when @idx is outside the region. */
static char *buf_ptr(char *bufbase, uint32_t nbufs, uint32_t buf_size,
		     uint32_t idx)
{
	return idx < nbufs ? bufbase + (size_t)idx * buf_size : NULL;
}

static void Slot_dealloc(SlotObject *self)
{
	PyTypeObject *tp = Py_TYPE((PyObject *)self);
	freefunc tp_free = PyType_GetSlot(tp, Py_tp_free);

	core_put(self->core);
	tp_free(self);
	Py_DECREF(tp);
}

static int Slot_getbuffer(SlotObject *self, Py_buffer *view, int flags)
{
	if (core_check(self->core))
		return -1;
	uint32_t idx = __atomic_load_n(&self->slot->buf_idx, __ATOMIC_RELAXED);
	char *p = buf_ptr(self->bufbase, self->nbufs, self->buf_size, idx);

	if (!p) {
		PyErr_Format(PyExc_ValueError,
			     "buf_idx %u is outside the region", idx);
		return -1;
	}
	if (PyBuffer_FillInfo(view, (PyObject *)self, p, self->buf_size, 0,
			      flags))
		return -1;
	self->core->exports++;
	return 0;
}

static void Slot_releasebuffer(SlotObject *self, Py_buffer *view)
{
	(void)view;
	self->core->exports--;
}

static PyObject *Slot_get_buf(SlotObject *self, void *closure)
{
	(void)closure;
	return PyMemoryView_FromObject((PyObject *)self);
}

#define SLOT_FIELD(field, max)                                                 \
	static PyObject *Slot_get_##field(SlotObject *self, void *closure)     \
	{                                                                      \
		(void)closure;                                                 \
		if (core_check(self->core))                                    \
			return NULL;                                           \
		return PyLong_FromUnsignedLongLong(self->slot->field);         \
	}                                                                      \
	static int Slot_set_##field(SlotObject *self, PyObject *v, void *cl)   \
	{                                                                      \
		(void)cl;                                                      \
		if (core_check(self->core))                                    \
			return -1;                                             \
		if (!v) {                                                      \
			PyErr_SetString(PyExc_TypeError, "cannot delete");     \
			return -1;                                             \
		}                                                              \
		unsigned long long x = PyLong_AsUnsignedLongLong(v);           \
		if (x == (unsigned long long)-1 && PyErr_Occurred())           \
			return -1;                                             \
		if (x > (max)) {                                               \
			PyErr_SetString(PyExc_ValueError,                      \
					#field " out of range");               \
			return -1;                                             \
		}                                                              \
		self->slot->field = x;                                         \
		return 0;                                                      \
	}

SLOT_FIELD(len, UINT16_MAX)
SLOT_FIELD(flags, UINT16_MAX)
SLOT_FIELD(ptr, UINT64_MAX)

static PyObject *Slot_get_buf_idx(SlotObject *self, void *closure)
{
	(void)closure;
	if (core_check(self->core))
		return NULL;
	return PyLong_FromUnsignedLong(self->slot->buf_idx);
}

/* Only indexes of buffers inside the region: a wrong one would crash. */
static int Slot_set_buf_idx(SlotObject *self, PyObject *v, void *closure)
{
	(void)closure;
	if (core_check(self->core))
		return -1;
	if (!v) {
		PyErr_SetString(PyExc_TypeError, "cannot delete");
		return -1;
	}
	unsigned long x = PyLong_AsUnsignedLong(v);

	if (x == (unsigned long)-1 && PyErr_Occurred())
		return -1;
	if (x >= self->nbufs) {
		PyErr_SetString(PyExc_ValueError, "buf_idx outside the region");
		return -1;
	}
	self->slot->buf_idx = (uint32_t)x;
	return 0;
}

/* Exchanges the buffers of two slots of one region, marking both changed. */
static PyObject *Slot_swap(SlotObject *self, PyObject *arg)
{
	if (!PyObject_TypeCheck(arg, (PyTypeObject *)Slot_type)) {
		PyErr_SetString(PyExc_TypeError, "swap() needs a Slot");
		return NULL;
	}
	SlotObject *o = (SlotObject *)arg;

	if (core_check(self->core) || core_check(o->core))
		return NULL;
	if (self->core->base != o->core->base) {
		PyErr_SetString(PyExc_ValueError,
				"slots of two memory regions cannot swap");
		return NULL;
	}
	uint32_t a = self->slot->buf_idx, b = o->slot->buf_idx;
	uint16_t alen = self->slot->len;

	self->slot->buf_idx = b;
	o->slot->buf_idx = a;
	self->slot->len = o->slot->len;
	o->slot->len = alen;
	self->slot->flags |= NS_BUF_CHANGED;
	o->slot->flags |= NS_BUF_CHANGED;
	Py_RETURN_NONE;
}

static PyObject *Slot_repr(SlotObject *self)
{
	if (!self->core->d)
		return PyUnicode_FromString("<pktmap.Slot of a closed port>");
	return PyUnicode_FromFormat("<pktmap.Slot buf_idx=%u len=%u flags=%#x>",
				    self->slot->buf_idx, self->slot->len,
				    self->slot->flags);
}

static PyGetSetDef Slot_getset[] = {
    {"buf_idx", (getter)Slot_get_buf_idx, (setter)Slot_set_buf_idx,
     "index of the slot's buffer in the region", NULL},
    {"len", (getter)Slot_get_len, (setter)Slot_set_len,
     "bytes of the frame in this slot", NULL},
    {"flags", (getter)Slot_get_flags, (setter)Slot_set_flags, "NS_* flags",
     NULL},
    {"ptr", (getter)Slot_get_ptr, (setter)Slot_set_ptr,
     "user pointer or offset", NULL},
    {"buf", (getter)Slot_get_buf, NULL,
     "writable memoryview of the whole buffer (nr_buf_size bytes), no copy",
     NULL},
    {NULL}};

static PyMethodDef Slot_methods[] = {
    {"swap", (PyCFunction)Slot_swap, METH_O,
     "swap(other): exchange buffers (and lengths) with a slot of the same "
     "memory region, setting NS_BUF_CHANGED on both"},
    {NULL}};

static PyType_Slot Slot_slots[] = {
    {Py_tp_dealloc, Slot_dealloc},
    {Py_tp_repr, Slot_repr},
    {Py_tp_getset, Slot_getset},
    {Py_tp_methods, Slot_methods},
    {Py_bf_getbuffer, Slot_getbuffer},
    {Py_bf_releasebuffer, Slot_releasebuffer},
    {Py_tp_doc, "A netmap slot; its buffer is shared memory (see buf)."},
    {0, NULL}};

static PyType_Spec Slot_spec = {"pktmap.Slot", sizeof(SlotObject), 0,
				Py_TPFLAGS_DEFAULT, Slot_slots};

/* ---- Ring ------------------------------------------------------------- */

typedef struct {
	PyObject_HEAD struct core *core;
	struct netmap_ring *ring;
	char *bufbase;
	uint32_t nbufs, num_slots, buf_size;
	uint16_t ringid, dir;
	PyObject *slots; /* tuple of Slot, made on first use */
} RingObject;

static PyObject *Ring_type;

static void Ring_dealloc(RingObject *self)
{
	PyTypeObject *tp = Py_TYPE((PyObject *)self);
	freefunc tp_free = PyType_GetSlot(tp, Py_tp_free);

	Py_XDECREF(self->slots);
	core_put(self->core);
	tp_free(self);
	Py_DECREF(tp);
}

/* A ring of the region, checked to lie inside it; NULL + error if not. */
static RingObject *ring_new(struct core *c, struct netmap_ring *r)
{
	char *end = c->base + c->size, *rp = (char *)r;

	if (rp < c->base || rp + sizeof(*r) > end)
		goto corrupt;
	uint32_t n = r->num_slots, bsz = r->nr_buf_size;
	int64_t ofs = r->buf_ofs;

	if (n < 2 || bsz == 0 ||
	    (size_t)(end - rp - sizeof(*r)) / sizeof(r->slot[0]) < n)
		goto corrupt;
	RingObject *self = PyObject_New(RingObject, (PyTypeObject *)Ring_type);

	if (!self)
		return NULL;
	self->core = c;
	c->refs++;
	self->ring = r;
	self->num_slots = n;
	self->buf_size = bsz;
	self->ringid = r->ringid;
	self->dir = r->dir;
	self->slots = NULL;
	/* buffers must start inside the region: compare offsets, no overflow */
	self->bufbase = NULL;
	self->nbufs = 0;
	if (ofs >= c->base - rp && ofs < end - rp) {
		size_t room = (size_t)(end - (rp + ofs)) / bsz;

		self->bufbase = rp + ofs;
		self->nbufs = room > UINT32_MAX ? UINT32_MAX : (uint32_t)room;
	}
	return self;
corrupt:
	PyErr_SetString(PyExc_OSError, "ring outside the port's region");
	return NULL;
}

static PyObject *ring_slots(RingObject *self)
{
	if (self->slots)
		return self->slots;
	PyObject *t = PyTuple_New(self->num_slots);

	if (!t)
		return NULL;
	for (uint32_t i = 0; i < self->num_slots; i++) {
		SlotObject *s =
		    PyObject_New(SlotObject, (PyTypeObject *)Slot_type);

		if (!s) {
			Py_DECREF(t);
			return NULL;
		}
		s->core = self->core;
		self->core->refs++;
		s->slot = &self->ring->slot[i];
		s->bufbase = self->bufbase;
		s->nbufs = self->nbufs;
		s->buf_size = self->buf_size;
		PyTuple_SetItem(t, i, (PyObject *)s);
	}
	self->slots = t;
	return t;
}

static PyObject *Ring_get_slots(RingObject *self, void *closure)
{
	(void)closure;
	PyObject *t = ring_slots(self);

	Py_XINCREF(t);
	return t;
}

/* head, cur and tail as the ring has them, each below num_slots */
static int ring_index(RingObject *self, const uint32_t *field, uint32_t *out)
{
	if (core_check(self->core))
		return -1;
	*out = __atomic_load_n(field, __ATOMIC_ACQUIRE);
	if (*out < self->num_slots)
		return 0;
	PyErr_Format(PyExc_OSError, "ring index %u beyond %u slots", *out,
		     self->num_slots);
	return -1;
}

#define RING_INDEX(field)                                                      \
	static PyObject *Ring_get_##field(RingObject *self, void *closure)     \
	{                                                                      \
		uint32_t v;                                                    \
		(void)closure;                                                 \
		if (ring_index(self, &self->ring->field, &v))                  \
			return NULL;                                           \
		return PyLong_FromUnsignedLong(v);                             \
	}

RING_INDEX(head)
RING_INDEX(cur)
RING_INDEX(tail)

static int ring_set_index(RingObject *self, uint32_t *field, PyObject *v)
{
	if (core_check(self->core))
		return -1;
	if (!v) {
		PyErr_SetString(PyExc_TypeError, "cannot delete");
		return -1;
	}
	unsigned long x = PyLong_AsUnsignedLong(v);

	if (x == (unsigned long)-1 && PyErr_Occurred())
		return -1;
	if (x >= self->num_slots) {
		PyErr_Format(PyExc_ValueError, "index %lu beyond %u slots", x,
			     self->num_slots);
		return -1;
	}
	__atomic_store_n(field, (uint32_t)x, __ATOMIC_RELEASE);
	return 0;
}

static int Ring_set_head(RingObject *self, PyObject *v, void *closure)
{
	(void)closure;
	return ring_set_index(self, &self->ring->head, v);
}

static int Ring_set_cur(RingObject *self, PyObject *v, void *closure)
{
	(void)closure;
	return ring_set_index(self, &self->ring->cur, v);
}

static PyObject *Ring_get_flags(RingObject *self, void *closure)
{
	(void)closure;
	if (core_check(self->core))
		return NULL;
	return PyLong_FromUnsignedLong(self->ring->flags);
}

static int Ring_set_flags(RingObject *self, PyObject *v, void *closure)
{
	(void)closure;
	if (core_check(self->core))
		return -1;
	unsigned long x = v ? PyLong_AsUnsignedLong(v) : (unsigned long)-1;

	if (x == (unsigned long)-1 && (PyErr_Occurred() || !v)) {
		if (!v)
			PyErr_SetString(PyExc_TypeError, "cannot delete");
		return -1;
	}
	self->ring->flags = (uint32_t)x;
	return 0;
}

static PyObject *Ring_get_ts(RingObject *self, void *closure)
{
	if (core_check(self->core))
		return NULL;
	struct timeval tv = self->ring->ts;

	return PyLong_FromLongLong(closure ? tv.tv_usec : tv.tv_sec);
}

static PyObject *Ring_get_const(RingObject *self, void *closure)
{
	uintptr_t which = (uintptr_t)closure;

	return PyLong_FromUnsignedLong(which == 0   ? self->num_slots
				       : which == 1 ? self->buf_size
				       : which == 2 ? self->ringid
						    : self->dir);
}

/* Slots the application owns: [head, tail) */
static PyObject *Ring_space(RingObject *self, PyObject *unused)
{
	uint32_t h, t;

	(void)unused;
	if (ring_index(self, &self->ring->head, &h) ||
	    ring_index(self, &self->ring->tail, &t))
		return NULL;
	return PyLong_FromUnsignedLong(t >= h ? t - h
					      : t + self->num_slots - h);
}

static PyObject *Ring_empty(RingObject *self, PyObject *unused)
{
	uint32_t h, t;

	(void)unused;
	if (ring_index(self, &self->ring->head, &h) ||
	    ring_index(self, &self->ring->tail, &t))
		return NULL;
	return PyBool_FromLong(h == t);
}

static PyObject *Ring_next(RingObject *self, PyObject *arg)
{
	unsigned long i = PyLong_AsUnsignedLong(arg);

	if (i == (unsigned long)-1 && PyErr_Occurred())
		return NULL;
	return PyLong_FromUnsignedLong(i + 1 >= self->num_slots ? 0 : i + 1);
}

static Py_ssize_t Ring_len(RingObject *self)
{
	return self->num_slots;
}

static PyObject *Ring_item(RingObject *self, Py_ssize_t i)
{
	PyObject *t = ring_slots(self);

	if (!t)
		return NULL;
	if (i < 0 || i >= (Py_ssize_t)self->num_slots) {
		PyErr_SetString(PyExc_IndexError, "slot index out of range");
		return NULL;
	}
	PyObject *s = PyTuple_GetItem(t, i);

	Py_XINCREF(s);
	return s;
}

static PyObject *Ring_repr(RingObject *self)
{
	if (!self->core->d)
		return PyUnicode_FromString("<pktmap.Ring of a closed port>");
	return PyUnicode_FromFormat(
	    "<pktmap.Ring %s %u head=%u cur=%u tail=%u slots=%u>",
	    self->dir ? "rx" : "tx", self->ringid, self->ring->head,
	    self->ring->cur, self->ring->tail, self->num_slots);
}

static PyGetSetDef Ring_getset[] = {
    {"head", (getter)Ring_get_head, (setter)Ring_set_head,
     "first slot owned by the application", NULL},
    {"cur", (getter)Ring_get_cur, (setter)Ring_set_cur, "wake-up point", NULL},
    {"tail", (getter)Ring_get_tail, NULL, "first slot owned by the library",
     NULL},
    {"flags", (getter)Ring_get_flags, (setter)Ring_set_flags,
     "NR_TIMESTAMP, NR_FORWARD", NULL},
    {"tv_sec", (getter)Ring_get_ts, NULL, "time of the last sync", NULL},
    {"tv_usec", (getter)Ring_get_ts, NULL, "time of the last sync", (void *)1},
    {"num_slots", (getter)Ring_get_const, NULL, "slots in the ring", (void *)0},
    {"nr_buf_size", (getter)Ring_get_const, NULL, "bytes per buffer",
     (void *)1},
    {"ringid", (getter)Ring_get_const, NULL, "index of the ring", (void *)2},
    {"dir", (getter)Ring_get_const, NULL, "0 tx, 1 rx", (void *)3},
    {"slots", (getter)Ring_get_slots, NULL, "tuple of the ring's Slots", NULL},
    {NULL}};

static PyMethodDef Ring_methods[] = {
    {"space", (PyCFunction)Ring_space, METH_NOARGS,
     "slots the application owns (tail - head)"},
    {"empty", (PyCFunction)Ring_empty, METH_NOARGS, "True if head == tail"},
    {"next", (PyCFunction)Ring_next, METH_O, "the index after i"},
    {NULL}};

static PyType_Slot Ring_slots_spec[] = {
    {Py_tp_dealloc, Ring_dealloc},
    {Py_tp_repr, Ring_repr},
    {Py_tp_getset, Ring_getset},
    {Py_tp_methods, Ring_methods},
    {Py_sq_length, Ring_len},
    {Py_sq_item, Ring_item},
    {Py_tp_doc, "A netmap ring in shared memory: head, cur, tail, slots."},
    {0, NULL}};

static PyType_Spec Ring_spec = {"pktmap.Ring", sizeof(RingObject), 0,
				Py_TPFLAGS_DEFAULT, Ring_slots_spec};

/* ---- Port ------------------------------------------------------------- */

typedef struct {
	PyObject_HEAD struct core *core;
	PyObject *name;
	PyObject *rings[2]; /* tuples of every Ring of the interface: tx, rx */
	uint16_t first[2], last[2]; /* bound rings, inclusive */
	uint16_t cur_ring[2];	    /* where send() and recv() start */
} PortObject;

enum { TX = 0, RX = 1 };

static PyObject *Port_type;

static void Port_dealloc(PortObject *self)
{
	PyTypeObject *tp = Py_TYPE((PyObject *)self);
	freefunc tp_free = PyType_GetSlot(tp, Py_tp_free);

	Py_XDECREF(self->rings[TX]);
	Py_XDECREF(self->rings[RX]);
	Py_XDECREF(self->name);
	if (self->core) {
		if (!self->core->exports && !self->core->busy)
			core_close(self->core);
		core_put(self->core);
	}
	tp_free(self);
	Py_DECREF(tp);
}

/*
 * Every ring of one direction, host rings included: a Ring for each bound
 * one, None for the others (their ring_ofs[] entries are not filled).  The
 * counts and ring_ofs[] are read once and checked to stay in the region.
 */
static PyObject *port_rings(struct core *c, int dir, uint32_t first,
			    uint32_t last)
{
	struct netmap_if *nifp = c->d->nifp;
	uint32_t ntx = nifp->ni_tx_rings + nifp->ni_host_tx_rings;
	uint32_t nrx = nifp->ni_rx_rings + nifp->ni_host_rx_rings;
	uint32_t n = dir == TX ? ntx : nrx, skip = dir == TX ? 0 : ntx;
	char *end = c->base + c->size;

	if (ntx > MAX_RINGS || nrx > MAX_RINGS || (char *)nifp < c->base ||
	    (size_t)(end - (char *)nifp) <
		sizeof(*nifp) + (ntx + nrx) * sizeof(nifp->ring_ofs[0]) ||
	    (first <= last && last >= n)) {
		PyErr_SetString(PyExc_OSError, "netmap_if outside the region");
		return NULL;
	}
	PyObject *t = PyTuple_New(n);

	for (uint32_t i = 0; t && i < n; i++) {
		int64_t ofs = nifp->ring_ofs[skip + i];
		RingObject *ro = NULL;

		if (i < first || i > last) {
			Py_INCREF(Py_None);
			PyTuple_SetItem(t, i, Py_None);
			continue;
		}
		if (ofs >= c->base - (char *)nifp && ofs < end - (char *)nifp)
			ro = ring_new(
			    c, (struct netmap_ring *)((char *)nifp + ofs));
		else
			PyErr_SetString(PyExc_OSError,
					"ring outside the port's region");
		if (!ro) {
			Py_CLEAR(t);
			break;
		}
		PyTuple_SetItem(t, i, (PyObject *)ro);
	}
	return t;
}

static int Port_init(PortObject *self, PyObject *args, PyObject *kw)
{
	static char *kwlist[] = {"name", NULL};
	const char *name;
	struct nmport_d *d;

	if (!PyArg_ParseTupleAndKeywords(args, kw, "s", kwlist, &name))
		return -1;
	if (self->core) {
		PyErr_SetString(PyExc_RuntimeError, "Port is already open");
		return -1;
	}
	PyThreadState *ts = PyEval_SaveThread();
	int err;

	last_error[0] = '\0';
	errno = 0;
	d = pm.open(name);
	err = errno ? errno : EINVAL;
	PyEval_RestoreThread(ts);
	if (!d) {
		os_error(err, "cannot open", name);
		return -1;
	}
	struct core *c = PyMem_Calloc(1, sizeof(*c));

	if (!c) {
		pm.close(d);
		PyErr_NoMemory();
		return -1;
	}
	*c = (struct core){.d = d,
			   .fd = d->fd,
			   .base = d->mem->mem,
			   .size = d->mem->size,
			   .refs = 1};
	self->core = c;
	self->name = PyUnicode_FromString(name);
	self->first[TX] = self->cur_ring[TX] = d->first_tx_ring;
	self->last[TX] = d->last_tx_ring;
	self->first[RX] = self->cur_ring[RX] = d->first_rx_ring;
	self->last[RX] = d->last_rx_ring;
	self->rings[TX] = port_rings(c, TX, self->first[TX], self->last[TX]);
	self->rings[RX] = port_rings(c, RX, self->first[RX], self->last[RX]);
	if (!self->name || !self->rings[TX] || !self->rings[RX])
		return -1;
	return 0;
}

static RingObject *port_ring(PortObject *self, int dir, uint16_t i)
{
	return (RingObject *)PyTuple_GetItem(self->rings[dir], i);
}

static PyObject *Port_bound(PortObject *self, void *closure)
{
	int dir = closure ? RX : TX;

	if (core_check(self->core))
		return NULL;
	if (self->first[dir] > self->last[dir])
		return PyTuple_New(0);
	return PyTuple_GetSlice(self->rings[dir], self->first[dir],
				self->last[dir] + 1);
}

static PyObject *Port_ring(PortObject *self, PyObject *args, PyObject *kw)
{
	static char *kwlist[] = {"index", "tx", NULL};
	Py_ssize_t i;
	int tx = 0;

	if (!PyArg_ParseTupleAndKeywords(args, kw, "n|p", kwlist, &i, &tx))
		return NULL;
	if (core_check(self->core))
		return NULL;
	PyObject *r = PyTuple_GetItem(self->rings[tx ? TX : RX], i);

	Py_XINCREF(r);
	return r;
}

static PyObject *Port_close(PortObject *self, PyObject *unused)
{
	(void)unused;
	if (!self->core || !self->core->d)
		Py_RETURN_NONE;
	if (self->core->exports) {
		PyErr_SetString(PyExc_BufferError,
				"cannot close a port while memoryviews of its "
				"buffers exist");
		return NULL;
	}
	if (self->core->busy) {
		errno = EBUSY;
		return PyErr_SetFromErrno(PyExc_OSError);
	}
	core_close(self->core);
	Py_RETURN_NONE;
}

static PyObject *Port_enter(PyObject *self, PyObject *unused)
{
	(void)unused;
	Py_INCREF(self);
	return self;
}

static PyObject *Port_exit(PortObject *self, PyObject *args)
{
	(void)args;
	return Port_close(self, NULL);
}

static PyObject *Port_fileno(PortObject *self, PyObject *unused)
{
	(void)unused;
	if (core_check(self->core))
		return NULL;
	if (!pm.interposed) {
		PyErr_SetString(
		    PyExc_OSError,
		    "select, selectors and asyncio reach a netmap descriptor "
		    "only through libpktmap: run python3 under "
		    "LD_PRELOAD=libpktmap.so (or pktmap-python); Port.poll() "
		    "and recv(timeout=) work without it");
		return NULL;
	}
	return PyLong_FromLong(self->core->fd);
}

/* The fd, for the calls that reach pktmap directly (getfd() in netmap) */
static PyObject *Port_get_fd(PortObject *self, void *closure)
{
	(void)closure;
	if (core_check(self->core))
		return NULL;
	return PyLong_FromLong(self->core->fd);
}

/* An ioctl without the GIL; 0 or -1 with the Python error set. */
static int port_ioctl(PortObject *self, unsigned long req)
{
	struct core *c = self->core;
	int ret;

	if (core_check(c))
		return -1;
	c->busy++;
	PyThreadState *ts = PyEval_SaveThread();

	ret = pm.ioctl(c->fd, req, NULL);
	int err = errno;

	PyEval_RestoreThread(ts);
	c->busy--;
	if (ret < 0) {
		errno = err;
		PyErr_SetFromErrno(PyExc_OSError);
		return -1;
	}
	return 0;
}

static PyObject *Port_sync_tx(PortObject *self, PyObject *unused)
{
	(void)unused;
	if (port_ioctl(self, NIOCTXSYNC))
		return NULL;
	Py_RETURN_NONE;
}

static PyObject *Port_sync_rx(PortObject *self, PyObject *unused)
{
	(void)unused;
	if (port_ioctl(self, NIOCRXSYNC))
		return NULL;
	Py_RETURN_NONE;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * pktmap's poll() on the port without the GIL; retries after signals
 * (which may raise) until @timeout seconds (< 0: forever).  Returns
 * revents, or -1 with the Python error set.
 */
static int port_poll(PortObject *self, short events, double timeout)
{
	struct core *c = self->core;
	double deadline = now() + timeout;

	if (core_check(c))
		return -1;
	for (;;) {
		struct pollfd pfd = {.fd = c->fd, .events = events};
		int ms = -1, ret;

		if (timeout >= 0) {
			double left = deadline - now();

			ms = left > 0 ? (int)(left * 1000 + 0.999) : 0;
		}
		c->busy++;
		PyThreadState *ts = PyEval_SaveThread();

		ret = pm.poll(&pfd, 1, ms);
		int err = errno;

		PyEval_RestoreThread(ts);
		c->busy--;
		if (ret >= 0)
			return ret ? pfd.revents : 0;
		errno = err;
		if (err != EINTR) {
			PyErr_SetFromErrno(PyExc_OSError);
			return -1;
		}
		if (PyErr_CheckSignals())
			return -1;
	}
}

static int parse_timeout(PyObject *o, double *t)
{
	if (o == Py_None) {
		*t = -1;
		return 0;
	}
	*t = PyFloat_AsDouble(o);
	if (*t == -1 && PyErr_Occurred())
		return -1;
	if (*t < 0) {
		PyErr_SetString(PyExc_ValueError,
				"timeout must be >= 0 or None");
		return -1;
	}
	return 0;
}

static PyObject *Port_poll(PortObject *self, PyObject *args, PyObject *kw)
{
	static char *kwlist[] = {"events", "timeout", NULL};
	int events = POLLIN;
	PyObject *to = Py_None;
	double timeout;

	if (!PyArg_ParseTupleAndKeywords(args, kw, "|iO", kwlist, &events,
					 &to) ||
	    parse_timeout(to, &timeout))
		return NULL;
	int rev = port_poll(self, (short)events, timeout);

	return rev < 0 ? NULL : PyLong_FromLong(rev);
}

/* ---- send: copy frames into tx slots ----------------------------------- */

/* Slots of @r the application owns, from trusted-range head and tail. */
static int ring_room(RingObject *r, uint32_t *head, uint32_t *room)
{
	uint32_t t;

	if (ring_index(r, &r->ring->head, head) ||
	    ring_index(r, &r->ring->tail, &t))
		return -1;
	*room = t >= *head ? t - *head : t + r->num_slots - *head;
	return 0;
}

/*
 * Copies one frame into @r at *head as a chain of slots (NS_MOREFRAG on
 * all but the last).  The caller checked there is room for @nslots.
 */
static int put_frame(RingObject *r, uint32_t *head, const char *p,
		     Py_ssize_t len, uint32_t nslots)
{
	uint32_t h = *head;

	for (uint32_t k = 0; k < nslots; k++) {
		struct netmap_slot *s = &r->ring->slot[h];
		uint32_t chunk =
		    len > r->buf_size ? r->buf_size : (uint32_t)len;
		char *dst =
		    buf_ptr(r->bufbase, r->nbufs, r->buf_size, s->buf_idx);

		if (!dst) {
			PyErr_SetString(PyExc_OSError,
					"tx slot buffer outside the region");
			return -1;
		}
		memcpy(dst, p, chunk);
		s->len = (uint16_t)chunk;
		s->flags = k + 1 < nslots ? NS_MOREFRAG : 0;
		p += chunk;
		len -= chunk;
		h = h + 1 == r->num_slots ? 0 : h + 1;
	}
	*head = h;
	return 0;
}

/* A frame's bytes: any buffer, else bytes(obj) (scapy packets). */
static int frame_bytes(PyObject *item, Py_buffer *view, PyObject **tmp)
{
	*tmp = NULL;
	if (!PyObject_CheckBuffer(item)) {
		*tmp = PyObject_Bytes(item);
		if (!*tmp)
			return -1;
		item = *tmp;
	}
	if (PyObject_GetBuffer(item, view, PyBUF_SIMPLE)) {
		Py_CLEAR(*tmp);
		return -1;
	}
	return 0;
}

static void publish(RingObject *r, uint32_t head)
{
	__atomic_store_n(&r->ring->cur, head, __ATOMIC_RELAXED);
	__atomic_store_n(&r->ring->head, head, __ATOMIC_RELEASE);
}

/*
 * Queues one frame on the first bound tx ring with room, from cur_ring;
 * 1 if queued, 0 if every ring is full, -1 on error.
 */
static int queue_frame(PortObject *self, const char *p, Py_ssize_t len)
{
	uint16_t first = self->first[TX], last = self->last[TX];
	uint16_t i = self->cur_ring[TX];

	for (int tries = 0; tries <= last - first; tries++) {
		RingObject *r = port_ring(self, TX, i);
		uint32_t head, room;
		uint32_t nslots =
		    len ? (uint32_t)((len + r->buf_size - 1) / r->buf_size) : 1;

		if (nslots > NETMAP_MAX_FRAGS || nslots >= r->num_slots) {
			PyErr_Format(PyExc_ValueError,
				     "frame of %zd bytes needs more than %d "
				     "slots",
				     len, NETMAP_MAX_FRAGS);
			return -1;
		}
		if (ring_room(r, &head, &room))
			return -1;
		if (room >= nslots) {
			if (put_frame(r, &head, p, len, nslots))
				return -1;
			publish(r, head);
			self->cur_ring[TX] = i;
			return 1;
		}
		i = i == last ? first : i + 1;
	}
	return 0;
}

static PyObject *Port_send(PortObject *self, PyObject *args, PyObject *kw)
{
	static char *kwlist[] = {"frames", "timeout", NULL};
	PyObject *frames, *to = Py_None, *it, *item;
	double timeout;
	Py_ssize_t sent = 0;

	if (!PyArg_ParseTupleAndKeywords(args, kw, "O|O", kwlist, &frames,
					 &to) ||
	    parse_timeout(to, &timeout) || core_check(self->core))
		return NULL;
	last_error[0] = '\0'; /* no stale reason from an earlier open */
	if (self->first[TX] > self->last[TX])
		return os_error(EOPNOTSUPP, "send on",
				"a port without tx rings");
	it = PyObject_GetIter(frames);
	if (!it)
		return NULL;
	while ((item = PyIter_Next(it))) {
		Py_buffer view;
		PyObject *tmp;
		int ret;

		if (frame_bytes(item, &view, &tmp)) {
			Py_DECREF(item);
			goto fail;
		}
		/* rings full: hand what is queued over, wait for room */
		while ((ret = queue_frame(self, view.buf, view.len)) == 0) {
			int rev = port_poll(self, POLLOUT, timeout);

			if (rev < 0 || !(rev & POLLOUT))
				break;
		}
		PyBuffer_Release(&view);
		Py_XDECREF(tmp);
		Py_DECREF(item);
		if (ret < 0 || PyErr_Occurred())
			goto fail;
		if (ret == 0)
			break; /* timeout: report how many went */
		sent++;
	}
	Py_DECREF(it);
	if (PyErr_Occurred() || port_ioctl(self, NIOCTXSYNC))
		return NULL;
	return PyLong_FromSsize_t(sent);
fail:
	Py_DECREF(it);
	return NULL;
}

/* ---- recv: copy frames out of rx slots ---------------------------------- */

/* Bytes of the frame starting at @h: its chain's length, 0 if incomplete. */
static uint32_t chain_at(RingObject *r, uint32_t h, uint32_t avail,
			 Py_ssize_t *bytes)
{
	uint32_t n = 0;

	*bytes = 0;
	while (n < avail) {
		struct netmap_slot *s = &r->ring->slot[h];
		uint16_t len = s->len, fl = s->flags;

		*bytes += len < r->buf_size ? len : r->buf_size;
		n++;
		if (!(fl & NS_MOREFRAG))
			return n;
		h = h + 1 == r->num_slots ? 0 : h + 1;
	}
	return 0;
}

static PyObject *take_frame(RingObject *r, uint32_t *head, uint32_t n,
			    Py_ssize_t bytes)
{
	PyObject *b = PyBytes_FromStringAndSize(NULL, bytes);

	if (!b)
		return NULL;
	char *dst = PyBytes_AsString(b);
	uint32_t h = *head;

	for (uint32_t k = 0; k < n; k++) {
		struct netmap_slot *s = &r->ring->slot[h];
		uint32_t len = s->len < r->buf_size ? s->len : r->buf_size;
		char *src =
		    buf_ptr(r->bufbase, r->nbufs, r->buf_size, s->buf_idx);

		if (!src) {
			Py_DECREF(b);
			PyErr_SetString(PyExc_OSError,
					"rx slot buffer outside the region");
			return NULL;
		}
		/* a peer may have changed len since chain_at(): stay inside */
		if (len > bytes)
			len = (uint32_t)bytes;
		memcpy(dst, src, len);
		dst += len;
		bytes -= len;
		h = h + 1 == r->num_slots ? 0 : h + 1;
	}
	*head = h;
	return b;
}

/* Moves up to @max frames from the bound rx rings into @list. */
static int drain_rx(PortObject *self, PyObject *list, Py_ssize_t max)
{
	uint16_t first = self->first[RX], last = self->last[RX];
	uint16_t i = self->cur_ring[RX];

	for (int tries = 0; tries <= last - first; tries++) {
		RingObject *r = port_ring(self, RX, i);
		uint32_t head, avail, n;
		Py_ssize_t bytes;

		if (ring_room(r, &head, &avail))
			return -1;
		while (PyList_Size(list) < max &&
		       (n = chain_at(r, head, avail, &bytes)) > 0) {
			PyObject *b = take_frame(r, &head, n, bytes);

			if (!b || PyList_Append(list, b)) {
				Py_XDECREF(b);
				return -1;
			}
			Py_DECREF(b);
			avail -= n;
		}
		publish(r, head);
		if (PyList_Size(list) >= max) {
			self->cur_ring[RX] = i;
			return 0;
		}
		i = i == last ? first : i + 1;
	}
	return 0;
}

static PyObject *Port_recv(PortObject *self, PyObject *args, PyObject *kw)
{
	static char *kwlist[] = {"max", "timeout", NULL};
	Py_ssize_t max = PY_SSIZE_T_MAX;
	PyObject *to = Py_None, *list;
	double timeout;

	if (!PyArg_ParseTupleAndKeywords(args, kw, "|nO", kwlist, &max, &to) ||
	    parse_timeout(to, &timeout) || core_check(self->core))
		return NULL;
	last_error[0] = '\0';
	if (self->first[RX] > self->last[RX])
		return os_error(EOPNOTSUPP, "recv on",
				"a port without rx rings");
	list = PyList_New(0);
	if (!list)
		return NULL;
	if (drain_rx(self, list, max))
		goto fail;
	if (PyList_Size(list) == 0 && max > 0) {
		int rev = port_poll(self, POLLIN, timeout);

		if (rev < 0 || ((rev & POLLIN) && drain_rx(self, list, max)))
			goto fail;
	}
	return list;
fail:
	Py_DECREF(list);
	return NULL;
}

/* ---- forward: zero copy between two ports of one region ---------------- */

/* Moves one chain of @n slots from @rx at *rh to @tx at *th by swapping. */
static void swap_chain(RingObject *rx, uint32_t *rh, RingObject *tx,
		       uint32_t *th, uint32_t n)
{
	for (uint32_t k = 0; k < n; k++) {
		struct netmap_slot *rs = &rx->ring->slot[*rh];
		struct netmap_slot *ts = &tx->ring->slot[*th];
		uint32_t idx = ts->buf_idx;
		uint16_t len = rs->len;

		ts->buf_idx = rs->buf_idx;
		ts->len = len > tx->buf_size ? tx->buf_size : len;
		ts->flags = (rs->flags & NS_MOREFRAG) | NS_BUF_CHANGED;
		rs->buf_idx = idx;
		rs->flags = NS_BUF_CHANGED;
		*rh = *rh + 1 == rx->num_slots ? 0 : *rh + 1;
		*th = *th + 1 == tx->num_slots ? 0 : *th + 1;
	}
}

/* Frames moved from rx ring @rx to the bound tx rings of @dst. */
static Py_ssize_t forward_ring(RingObject *rx, PortObject *dst, Py_ssize_t max)
{
	uint32_t rh, avail, n;
	Py_ssize_t moved = 0, bytes;

	if (ring_room(rx, &rh, &avail))
		return -1;
	while (moved < max && (n = chain_at(rx, rh, avail, &bytes)) > 0) {
		RingObject *tx = port_ring(dst, TX, dst->cur_ring[TX]);
		uint32_t th, room;
		int tries = 0;

		while (ring_room(tx, &th, &room) == 0 && room < n &&
		       tries++ < dst->last[TX] - dst->first[TX]) {
			uint16_t c = dst->cur_ring[TX];

			dst->cur_ring[TX] =
			    c == dst->last[TX] ? dst->first[TX] : c + 1;
			tx = port_ring(dst, TX, dst->cur_ring[TX]);
		}
		if (PyErr_Occurred())
			return -1;
		if (room < n)
			break; /* every tx ring is full */
		swap_chain(rx, &rh, tx, &th, n);
		publish(tx, th);
		avail -= n;
		moved++;
	}
	publish(rx, rh);
	return moved;
}

static PyObject *Port_forward(PortObject *self, PyObject *args, PyObject *kw)
{
	static char *kwlist[] = {"dst", "max", NULL};
	PyObject *o;
	Py_ssize_t max = PY_SSIZE_T_MAX, total = 0;

	if (!PyArg_ParseTupleAndKeywords(args, kw, "O|n", kwlist, &o, &max))
		return NULL;
	if (!PyObject_TypeCheck(o, (PyTypeObject *)Port_type)) {
		PyErr_SetString(PyExc_TypeError, "forward() needs a Port");
		return NULL;
	}
	PortObject *dst = (PortObject *)o;

	if (core_check(self->core) || core_check(dst->core))
		return NULL;
	if (self->core->base != dst->core->base) {
		PyErr_SetString(PyExc_ValueError,
				"zero-copy forwarding needs two ports of one "
				"memory region (same mem_id)");
		return NULL;
	}
	if (self->first[RX] > self->last[RX] ||
	    dst->first[TX] > dst->last[TX]) {
		PyErr_SetString(
		    PyExc_ValueError,
		    "forward() needs rx rings here, tx rings there");
		return NULL;
	}
	for (uint16_t i = self->first[RX]; i <= self->last[RX] && total < max;
	     i++) {
		Py_ssize_t n =
		    forward_ring(port_ring(self, RX, i), dst, max - total);

		if (n < 0)
			return NULL;
		total += n;
	}
	return PyLong_FromSsize_t(total);
}

/* ---- info -------------------------------------------------------------- */

static PyObject *Port_stats(PortObject *self, PyObject *unused)
{
	struct pktmap_stats st;

	(void)unused;
	if (core_check(self->core))
		return NULL;
	if (pm.stats_get(self->core->fd, &st) < 0)
		return PyErr_SetFromErrno(PyExc_OSError);
	return Py_BuildValue("{sKsKsKsKsKsKsKsK}", "rx_packets", st.rx_packets,
			     "rx_bytes", st.rx_bytes, "rx_drops", st.rx_drops,
			     "rx_truncated", st.rx_truncated, "tx_packets",
			     st.tx_packets, "tx_bytes", st.tx_bytes,
			     "tx_errors", st.tx_errors, "tx_busy", st.tx_busy);
}

/* What the port registered, as the library answered (trusted: private). */
static PyObject *Port_registration(PortObject *self, PyObject *unused)
{
	(void)unused;
	if (core_check(self->core))
		return NULL;
	struct nmreq_register *r = &self->core->d->reg;

	return Py_BuildValue(
	    "{sIsIsIsIsIsIsIsIsIsKsIsnsO}", "tx_slots", r->nr_tx_slots,
	    "rx_slots", r->nr_rx_slots, "tx_rings", r->nr_tx_rings, "rx_rings",
	    r->nr_rx_rings, "host_tx_rings", r->nr_host_tx_rings,
	    "host_rx_rings", r->nr_host_rx_rings, "mem_id",
	    (unsigned)r->nr_mem_id, "ringid", (unsigned)r->nr_ringid, "mode",
	    r->nr_mode, "flags", (unsigned long long)r->nr_flags, "offset",
	    (unsigned)r->nr_offset, "memsize", (Py_ssize_t)self->core->size,
	    "name", self->name);
}

/* A writable memoryview of the port's netmap_if (netmap.NetmapInterface) */
static PyObject *Port_nifp(PortObject *self, PyObject *unused)
{
	(void)unused;
	if (core_check(self->core))
		return NULL;
	char *p = (char *)self->core->d->nifp;

	if (p < self->core->base || p + sizeof(struct netmap_if) >
					self->core->base + self->core->size) {
		PyErr_SetString(PyExc_OSError, "netmap_if outside the region");
		return NULL;
	}
	return PyMemoryView_FromMemory(p, sizeof(struct netmap_if),
				       PyBUF_WRITE);
}

static PyObject *Port_get_closed(PortObject *self, void *closure)
{
	(void)closure;
	return PyBool_FromLong(!self->core || !self->core->d);
}

static PyObject *Port_get_name(PortObject *self, void *closure)
{
	(void)closure;
	Py_INCREF(self->name ? self->name : Py_None);
	return self->name ? self->name : Py_None;
}

static PyObject *Port_repr(PortObject *self)
{
	return PyUnicode_FromFormat("<pktmap.Port %R%s>", self->name,
				    self->core && self->core->d ? ""
								: " closed");
}

static PyGetSetDef Port_getset[] = {
    {"name", (getter)Port_get_name, NULL, "the port's name", NULL},
    {"fd", (getter)Port_get_fd, NULL, "the netmap file descriptor", NULL},
    {"closed", (getter)Port_get_closed, NULL, "True once closed", NULL},
    {"tx_rings", (getter)Port_bound, NULL, "the bound tx Rings", NULL},
    {"rx_rings", (getter)Port_bound, NULL, "the bound rx Rings", (void *)1},
    {NULL}};

static PyMethodDef Port_methods[] = {
    {"fileno", (PyCFunction)Port_fileno, METH_NOARGS,
     "the descriptor, for select/selectors/asyncio (libpktmap interposed)"},
    {"close", (PyCFunction)Port_close, METH_NOARGS, "close the port"},
    {"__enter__", (PyCFunction)Port_enter, METH_NOARGS, NULL},
    {"__exit__", (PyCFunction)Port_exit, METH_VARARGS, NULL},
    {"sync_tx", (PyCFunction)Port_sync_tx, METH_NOARGS,
     "NIOCTXSYNC: hand queued tx slots over (GIL released)"},
    {"sync_rx", (PyCFunction)Port_sync_rx, METH_NOARGS,
     "NIOCRXSYNC: take new rx slots (GIL released)"},
    {"poll", (PyCFunction)(void (*)(void))Port_poll,
     METH_VARARGS | METH_KEYWORDS,
     "poll(events=POLLIN, timeout=None) -> revents (GIL released)"},
    {"send", (PyCFunction)(void (*)(void))Port_send,
     METH_VARARGS | METH_KEYWORDS,
     "send(frames, timeout=None) -> count: copy each frame into tx slots, "
     "then txsync; waits for room until timeout"},
    {"recv", (PyCFunction)(void (*)(void))Port_recv,
     METH_VARARGS | METH_KEYWORDS,
     "recv(max=None, timeout=None) -> [bytes]: frames in the rx rings, "
     "waiting up to timeout when there are none"},
    {"forward", (PyCFunction)(void (*)(void))Port_forward,
     METH_VARARGS | METH_KEYWORDS,
     "forward(dst, max=None) -> count: move received frames to dst's tx "
     "rings by swapping buffers (same memory region), no copy"},
    {"ring", (PyCFunction)(void (*)(void))Port_ring,
     METH_VARARGS | METH_KEYWORDS,
     "ring(index, tx=False): ring @index of the interface (host rings "
     "last), None if this port did not bind it"},
    {"stats", (PyCFunction)Port_stats, METH_NOARGS,
     "pktmap_stats_get() as a dict"},
    {"registration", (PyCFunction)Port_registration, METH_NOARGS,
     "the registration the library answered, as a dict"},
    {"nifp", (PyCFunction)Port_nifp, METH_NOARGS,
     "writable memoryview of the port's struct netmap_if"},
    {NULL}};

static PyType_Slot Port_slots[] = {
    {Py_tp_dealloc, Port_dealloc},
    {Py_tp_init, Port_init},
    {Py_tp_new, PyType_GenericNew},
    {Py_tp_repr, Port_repr},
    {Py_tp_getset, Port_getset},
    {Py_tp_methods, Port_methods},
    {Py_tp_doc, "Port(name): an open netmap port (nmport_open)."},
    {0, NULL}};

static PyType_Spec Port_spec = {"pktmap.Port", sizeof(PortObject), 0,
				Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
				Port_slots};

/* ---- module ------------------------------------------------------------ */

static PyObject *mod_version(PyObject *m, PyObject *unused)
{
	(void)m;
	(void)unused;
	return PyUnicode_FromString(pm.version());
}

static PyMethodDef module_methods[] = {
    {"version", mod_version, METH_NOARGS, "pktmap_version()"}, {NULL}};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "pktmap._pktmap",
    .m_doc = "netmap ports through libpktmap (see the pktmap package)",
    .m_size = -1,
    .m_methods = module_methods,
};

static const struct {
	const char *name;
	long value;
} constants[] = {
    {"NS_BUF_CHANGED", NS_BUF_CHANGED},
    {"NS_REPORT", NS_REPORT},
    {"NS_FORWARD", NS_FORWARD},
    {"NS_NO_LEARN", NS_NO_LEARN},
    {"NS_INDIRECT", NS_INDIRECT},
    {"NS_MOREFRAG", NS_MOREFRAG},
    {"NR_TIMESTAMP", NR_TIMESTAMP},
    {"NR_FORWARD", NR_FORWARD},
    {"NR_REG_ALL_NIC", NR_REG_ALL_NIC},
    {"NR_REG_SW", NR_REG_SW},
    {"NR_REG_NIC_SW", NR_REG_NIC_SW},
    {"NR_REG_ONE_NIC", NR_REG_ONE_NIC},
    {"NR_REG_ONE_SW", NR_REG_ONE_SW},
    {"NR_MONITOR_TX", NR_MONITOR_TX},
    {"NR_MONITOR_RX", NR_MONITOR_RX},
    {"NR_ZCOPY_MON", NR_ZCOPY_MON},
    {"NR_EXCLUSIVE", NR_EXCLUSIVE},
    {"NR_RX_RINGS_ONLY", NR_RX_RINGS_ONLY},
    {"NR_TX_RINGS_ONLY", NR_TX_RINGS_ONLY},
    {"NETMAP_MAX_FRAGS", NETMAP_MAX_FRAGS},
    {"NETMAP_API", NETMAP_API},
    {"POLLIN", POLLIN},
    {"POLLOUT", POLLOUT},
    {"POLLERR", POLLERR},
};

PyMODINIT_FUNC PyInit__pktmap(void)
{
	PyObject *m;

	if (load_library())
		return NULL;
	m = PyModule_Create(&module_def);
	if (!m)
		return NULL;
	Slot_type = PyType_FromSpec(&Slot_spec);
	Ring_type = PyType_FromSpec(&Ring_spec);
	Port_type = PyType_FromSpec(&Port_spec);

	if (!Slot_type || !Ring_type || !Port_type ||
	    PyModule_AddObjectRef(m, "Slot", Slot_type) ||
	    PyModule_AddObjectRef(m, "Ring", Ring_type) ||
	    PyModule_AddObjectRef(m, "Port", Port_type) ||
	    PyModule_AddIntConstant(m, "interposed", pm.interposed) ||
	    PyModule_AddStringConstant(m, "library", pm.path))
		goto fail;
	for (size_t i = 0; i < sizeof(constants) / sizeof(constants[0]); i++)
		if (PyModule_AddIntConstant(m, constants[i].name,
					    constants[i].value))
			goto fail;
	return m;
fail:
	Py_DECREF(m);
	return NULL;
}
