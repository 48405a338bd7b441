// SPDX-License-Identifier: BSD-2-Clause
/*
 * nmextmem -- options a port's request can carry besides the portspec:
 * external memory (the application's, or a mapped file) and offsets.
 * Each adds an option to d->hdr and an undo action that removes it.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nmlib.h"

struct extmem_cleanup {
	struct nmport_cleanup_d up;
};

static void extmem_undo(struct nmport_cleanup_d *c, struct nmport_d *d)
{
	(void)c;
	if (d->extmem == NULL)
		return;
	nmreq_remove_option(&d->hdr, &d->extmem->nro_opt);
	nmctx_free(d->ctx, d->extmem);
	d->extmem = NULL;
}

NM_PUBLIC int nmport_extmem(struct nmport_d *d, void *base, size_t size)
{
	struct nmctx *ctx = d->ctx;
	struct extmem_cleanup *c;
	struct nmreq_opt_extmem *e;

	if (d->register_done || d->extmem != NULL) {
		nmctx_ferror(ctx, "%s: %s", d->hdr.nr_name,
			     d->register_done ? "extmem after registration"
					      : "extmem given twice");
		errno = EINVAL;
		return -1;
	}
	c = nmctx_malloc(ctx, sizeof(*c));
	e = nmctx_malloc(ctx, sizeof(*e));
	if (c == NULL || e == NULL) {
		if (c)
			nmctx_free(ctx, c);
		if (e)
			nmctx_free(ctx, e);
		nmctx_ferror(ctx, "%s: out of memory for extmem",
			     d->hdr.nr_name);
		errno = ENOMEM;
		return -1;
	}
	memset(e, 0, sizeof(*e));
	e->nro_opt.nro_reqtype = NETMAP_REQ_OPT_EXTMEM;
	e->nro_usrptr = (uintptr_t)base;
	e->nro_info.nr_memsize = size;
	nmreq_push_option(&d->hdr, &e->nro_opt);
	d->extmem = e;
	c->up.cleanup = extmem_undo;
	nmport_push_cleanup(d, &c->up);
	return 0;
}

struct file_cleanup {
	struct nmport_cleanup_d up;
	void *base;
	size_t size;
};

static void file_undo(struct nmport_cleanup_d *c, struct nmport_d *d)
{
	struct file_cleanup *f = (struct file_cleanup *)c;

	(void)d;
	munmap(f->base, f->size);
}

/* Maps the whole of @fname shared, read-write. */
static void *map_file(struct nmctx *ctx, const char *fname, size_t *size)
{
	struct stat st;
	void *p = MAP_FAILED;
	int fd, err;

	fd = open(fname, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		err = errno;
		nmctx_ferror(ctx, "extmem: cannot open '%s': %s", fname,
			     strerror(err));
		errno = err;
		return NULL;
	}
	if (fstat(fd, &st) < 0) {
		err = errno;
		nmctx_ferror(ctx, "extmem: cannot stat '%s': %s", fname,
			     strerror(err));
		goto out;
	}
	if (st.st_size <= 0) {
		err = EINVAL;
		nmctx_ferror(ctx, "extmem: '%s' is empty", fname);
		goto out;
	}
	*size = (size_t)st.st_size;
	p = mmap(NULL, *size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	err = errno;
	if (p == MAP_FAILED)
		nmctx_ferror(ctx, "extmem: cannot mmap '%s': %s", fname,
			     strerror(err));
out:
	close(fd);
	errno = err;
	return p == MAP_FAILED ? NULL : p;
}

NM_PUBLIC int nmport_extmem_from_file(struct nmport_d *d, const char *fname)
{
	struct nmctx *ctx = d->ctx;
	struct nmport_cleanup_d *mark = d->clist;
	struct file_cleanup *c;
	size_t size = 0;
	void *base;

	c = nmctx_malloc(ctx, sizeof(*c));
	if (c == NULL) {
		nmctx_ferror(ctx, "%s: out of memory for extmem",
			     d->hdr.nr_name);
		errno = ENOMEM;
		return -1;
	}
	base = map_file(ctx, fname, &size);
	if (base == NULL) {
		int err = errno;

		nmctx_free(ctx, c);
		errno = err;
		return -1;
	}
	c->base = base;
	c->size = size;
	c->up.cleanup = file_undo;
	nmport_push_cleanup(d, &c->up);
	if (nmport_extmem(d, base, size) < 0) {
		int err = errno;

		nmport_cleanup_to(d, mark);
		errno = err;
		return -1;
	}
	return 0;
}

NM_PUBLIC struct nmreq_pools_info *nmport_extmem_getinfo(struct nmport_d *d)
{
	return d->extmem ? &d->extmem->nro_info : NULL;
}

struct offset_cleanup {
	struct nmport_cleanup_d up;
	struct nmreq_opt_offsets *opt;
};

static void offset_undo(struct nmport_cleanup_d *c, struct nmport_d *d)
{
	struct offset_cleanup *o = (struct offset_cleanup *)c;

	nmreq_remove_option(&d->hdr, &o->opt->nro_opt);
	nmctx_free(d->ctx, o->opt);
}

NM_PUBLIC int nmport_offset(struct nmport_d *d, uint64_t initial,
			    uint64_t maxoff, uint64_t bits, uint64_t mingap)
{
	struct nmctx *ctx = d->ctx;
	struct offset_cleanup *c;
	struct nmreq_opt_offsets *o;

	if (d->register_done) {
		nmctx_ferror(ctx, "%s: offsets after registration",
			     d->hdr.nr_name);
		errno = EINVAL;
		return -1;
	}
	c = nmctx_malloc(ctx, sizeof(*c));
	o = nmctx_malloc(ctx, sizeof(*o));
	if (c == NULL || o == NULL) {
		if (c)
			nmctx_free(ctx, c);
		if (o)
			nmctx_free(ctx, o);
		nmctx_ferror(ctx, "%s: out of memory for offsets",
			     d->hdr.nr_name);
		errno = ENOMEM;
		return -1;
	}
	memset(o, 0, sizeof(*o));
	o->nro_opt.nro_reqtype = NETMAP_REQ_OPT_OFFSETS;
	o->nro_initial_offset = initial;
	o->nro_max_offset = maxoff;
	o->nro_offset_bits = (uint32_t)bits;
	o->nro_min_gap = mingap;
	nmreq_push_option(&d->hdr, &o->nro_opt);
	c->opt = o;
	c->up.cleanup = offset_undo;
	nmport_push_cleanup(d, &c->up);
	return 0;
}
