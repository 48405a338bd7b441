/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The ioctl interface of a netmap file: NIOCCTRL (nmreq_header, a body and
 * a list of options), the legacy NIOCREGIF/NIOCGINFO (struct nmreq), and the
 * syncs.  Requests are validated here as netmap's kernel does, translated to
 * a pm_bind_req and dispatched to the core.
 */
#include "control.h"

#include <errno.h>
#include <pktmap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

/* Each option takes at least its header out of netmap's request budget. */
#define MAX_OPTIONS (NETMAP_REQ_MAXSIZE / sizeof(struct nmreq_option))

/* ---- the caller's memory ------------------------------------------------ */

/*
 * Every pointer in a request is the caller's and may be unmapped or
 * read-only.  As netmap's kernel does, a request is copied in once, worked
 * on as a copy and its results copied back.  The copies go through the
 * kernel's checked copy on this very process, which fails with EFAULT
 * where a plain access would crash.  In a sandbox that forbids it the
 * copies are plain ones.
 */
static int user_copy(void *dst, const void *src, size_t len, bool to_user)
{
	static bool plain;
	struct iovec here = {to_user ? (void *)src : dst, len};
	struct iovec there = {to_user ? dst : (void *)src, len};
	ssize_t n;

	if (len == 0)
		return 0;
	if (!plain) {
		n = to_user
			? process_vm_writev(getpid(), &here, 1, &there, 1, 0)
			: process_vm_readv(getpid(), &here, 1, &there, 1, 0);
		if (n == (ssize_t)len)
			return 0;
		if (n >= 0 || (errno != ENOSYS && errno != EPERM))
			return -EFAULT;
		pm_log("checked copies not allowed here: plain ones");
		plain = true;
	}
	memcpy(dst, src, len);
	return 0;
}

static int copy_in(void *dst, uint64_t uaddr, size_t len)
{
	return user_copy(dst, (const void *)(uintptr_t)uaddr, len, false);
}

static int copy_out(uint64_t uaddr, const void *src, size_t len)
{
	return user_copy((void *)(uintptr_t)uaddr, src, len, true);
}

/* ---- NIOCCTRL ------------------------------------------------------------ */

union ctrl_body {
	struct nmreq_register reg;
	struct nmreq_port_info_get info;
	struct nmreq_vale_attach attach;
	struct nmreq_vale_detach detach;
	struct nmreq_vale_list list;
	struct nmreq_port_hdr port_hdr;
	struct nmreq_vale_newif newif;
	struct nmreq_vale_polling polling;
	struct nmreq_pools_info pools;
	struct nmreq_sync_kloop_start kloop;
};

/* An option with the fixed body its type has (none for unknown types). */
union ctrl_opt {
	struct nmreq_option o;
	struct nmreq_opt_extmem extmem;
	struct nmreq_opt_csb csb;
	struct nmreq_opt_offsets offsets;
	struct nmreq_opt_sync_kloop_mode mode;
};

/* A NIOCCTRL request copied in: header, body and each option once. */
struct ctrl_req {
	struct nmreq_header hdr;
	union ctrl_body body;
	size_t body_size;
	int nopts;
	union ctrl_opt opt[MAX_OPTIONS];
	size_t opt_size[MAX_OPTIONS];
	uint64_t opt_at[MAX_OPTIONS]; /* where the caller has it */
};

/* Size of each request type's body; -1 for an unknown type. */
static long body_size(uint16_t type)
{
	switch (type) {
	case NETMAP_REQ_REGISTER:
		return sizeof(struct nmreq_register);
	case NETMAP_REQ_PORT_INFO_GET:
		return sizeof(struct nmreq_port_info_get);
	case NETMAP_REQ_VALE_ATTACH:
		return sizeof(struct nmreq_vale_attach);
	case NETMAP_REQ_VALE_DETACH:
		return sizeof(struct nmreq_vale_detach);
	case NETMAP_REQ_VALE_LIST:
		return sizeof(struct nmreq_vale_list);
	case NETMAP_REQ_PORT_HDR_SET:
	case NETMAP_REQ_PORT_HDR_GET:
		return sizeof(struct nmreq_port_hdr);
	case NETMAP_REQ_VALE_NEWIF:
		return sizeof(struct nmreq_vale_newif);
	case NETMAP_REQ_VALE_POLLING_ENABLE:
	case NETMAP_REQ_VALE_POLLING_DISABLE:
		return sizeof(struct nmreq_vale_polling);
	case NETMAP_REQ_POOLS_INFO_GET:
		return sizeof(struct nmreq_pools_info);
	case NETMAP_REQ_SYNC_KLOOP_START:
		return sizeof(struct nmreq_sync_kloop_start);
	case NETMAP_REQ_VALE_DELIF:
	case NETMAP_REQ_SYNC_KLOOP_STOP:
	case NETMAP_REQ_CSB_ENABLE:
		return 0;
	default:
		return -1;
	}
}

/* Size of an option of @type with its fixed body. */
static size_t opt_size(uint32_t type)
{
	switch (type) {
	case NETMAP_REQ_OPT_EXTMEM:
		return sizeof(struct nmreq_opt_extmem);
	case NETMAP_REQ_OPT_CSB:
		return sizeof(struct nmreq_opt_csb);
	case NETMAP_REQ_OPT_OFFSETS:
		return sizeof(struct nmreq_opt_offsets);
	case NETMAP_REQ_OPT_SYNC_KLOOP_MODE:
		return sizeof(struct nmreq_opt_sync_kloop_mode);
	default:
		return sizeof(struct nmreq_option);
	}
}

static int check_header(const struct nmreq_header *hdr)
{
	long size = body_size(hdr->nr_reqtype);

	if (hdr->nr_version < NETMAP_MIN_API ||
	    hdr->nr_version > NETMAP_MAX_API) {
		pm_log("API version %u, want %d", hdr->nr_version, NETMAP_API);
		return -EINVAL;
	}
	if (hdr->nr_reserved || size < 0 ||
	    strnlen(hdr->nr_name, sizeof(hdr->nr_name)) == sizeof(hdr->nr_name))
		return -EINVAL;
	if ((size > 0) != (hdr->nr_body != 0)) {
		pm_log("request %u: body %s", hdr->nr_reqtype,
		       size ? "missing" : "not expected");
		return -EINVAL;
	}
	return 0;
}

/*
 * What an option takes of the request's budget, as netmap counts it: its
 * fixed size, or the size it declares for the eventfd list.
 */
static uint64_t opt_cost(const struct nmreq_option *o)
{
	if (o->nro_reqtype == NETMAP_REQ_OPT_SYNC_KLOOP_EVENTFDS &&
	    o->nro_size > sizeof(*o))
		return o->nro_size;
	return opt_size(o->nro_reqtype);
}

/*
 * Follows the caller's option list once, copying each option.  Body and
 * options together fit in NETMAP_REQ_MAXSIZE bytes, else EMSGSIZE as
 * netmap: that is also how a list that loops ends.
 */
static int copy_in_options(struct ctrl_req *r)
{
	const size_t head = sizeof(struct nmreq_option);
	uint64_t used = r->body_size;

	r->nopts = 0;
	for (uint64_t at = r->hdr.nr_options; at; r->nopts++) {
		struct nmreq_option next;
		if (copy_in(&next, at, head))
			return -EFAULT;
		/*
		 * Within the budget one more option still fits in opt[].
		 * The caller's size is compared, never added: no wrap.
		 */
		uint64_t cost = opt_cost(&next);
		if (cost > NETMAP_REQ_MAXSIZE - used) {
			pm_log("options beyond %d bytes", NETMAP_REQ_MAXSIZE);
			return -EMSGSIZE;
		}
		used += cost;
		union ctrl_opt *o = &r->opt[r->nopts];
		o->o = next;
		r->opt_at[r->nopts] = at;
		r->opt_size[r->nopts] = opt_size(o->o.nro_reqtype);
		if (copy_in((char *)o + head, at + head,
			    r->opt_size[r->nopts] - head))
			return -EFAULT;
		at = o->o.nro_next;
	}
	return 0;
}

static int copy_in_ctrl(struct ctrl_req *r, void *arg)
{
	int err = copy_in(&r->hdr, (uintptr_t)arg, sizeof(r->hdr));

	if (!err)
		err = check_header(&r->hdr);
	if (err)
		return err;
	memset(&r->body, 0, sizeof(r->body));
	r->body_size = (size_t)body_size(r->hdr.nr_reqtype);
	err = copy_in(&r->body, r->hdr.nr_body, r->body_size);
	return err ? err : copy_in_options(r);
}

/* Header, body and options back to where the caller has them. */
static int copy_out_ctrl(const struct ctrl_req *r, void *arg)
{
	int err = copy_out((uintptr_t)arg, &r->hdr, sizeof(r->hdr));

	if (!err)
		err = copy_out(r->hdr.nr_body, &r->body, r->body_size);
	for (int i = 0; i < r->nopts && !err; i++)
		err = copy_out(r->opt_at[i], &r->opt[i], r->opt_size[i]);
	return err;
}

/*
 * No option is implemented yet: each one is marked EOPNOTSUPP and the
 * request fails before it does anything, so nothing is left half done.
 */
static int check_options(struct ctrl_req *r)
{
	for (int i = 0; i < r->nopts; i++) {
		r->opt[i].o.nro_status = EOPNOTSUPP;
		pm_log("option %u not supported", r->opt[i].o.nro_reqtype);
	}
	return r->nopts ? -EOPNOTSUPP : 0;
}

static void reply_register(const struct pm_file *f, struct nmreq_register *r)
{
	const struct pm_port *p = f->port;

	r->nr_offset = pm_region_offset(p->mem, f->nifp);
	r->nr_memsize = p->mem->size;
	r->nr_tx_rings = (uint16_t)p->nrings[PM_TX];
	r->nr_rx_rings = (uint16_t)p->nrings[PM_RX];
	r->nr_tx_slots = p->nslots[PM_TX];
	r->nr_rx_slots = p->nslots[PM_RX];
	r->nr_host_tx_rings = (uint16_t)p->nhost[PM_TX];
	r->nr_host_rx_rings = (uint16_t)p->nhost[PM_RX];
	r->nr_mem_id = p->mem->mem_id;
	r->nr_extra_bufs = f->extra_bufs;
}

/*
 * A memory id asked for must be the one the port has: 1 for interfaces
 * and their pipes, a switch's for its ports and their pipes (nm_open with
 * NM_OPEN_NO_MMAP asks for its parent's).
 */
static int check_mem_id(const char *name, uint16_t mem_id)
{
	struct nmreq_port_info_get info;

	if (mem_id == 0 || mem_id == PM_GLOBAL_MEM_ID ||
	    (pm_port_info(name, &info) == 0 && info.nr_mem_id == mem_id))
		return 0;
	pm_log("%s: not in memory id %u", name, mem_id);
	return -EINVAL;
}

/*
 * A pipe has no host rings: as netmap, it binds in the modes of NIC rings
 * only (a null port is not a pipe: netmap looks for one first).
 */
static int check_pipe_mode(const char *name, uint32_t mode)
{
	if (!strpbrk(name, "{}") || mode == NR_REG_ALL_NIC ||
	    mode == NR_REG_ONE_NIC || mode == NR_REG_NULL)
		return 0;
	pm_log("%s: a pipe binds NIC rings only, not mode %u", name, mode);
	return -EINVAL;
}

/* What a registration asks, checked before anything is bound. */
static int check_register(const char *name, uint32_t mode, uint16_t mem_id)
{
	int err = check_mem_id(name, mem_id);

	return err ? err : check_pipe_mode(name, mode);
}

static int ctrl_register(struct pm_file *f, const char *name,
			 struct nmreq_register *r)
{
	struct pm_bind_req req = {
	    .name = name,
	    .mode = r->nr_mode,
	    .ringid = r->nr_ringid,
	    .flags = r->nr_flags,
	    .nrings = {r->nr_tx_rings, r->nr_rx_rings},
	    .nhost = {r->nr_host_tx_rings, r->nr_host_rx_rings},
	    .extra_bufs = r->nr_extra_bufs,
	    .nslots = {r->nr_tx_slots, r->nr_rx_slots},
	};
	int err;

	if (req.mode == NR_REG_DEFAULT || req.mode == NR_REG_PIPE_MASTER ||
	    req.mode == NR_REG_PIPE_SLAVE) {
		pm_log("%s: mode %u is for the legacy NIOCREGIF only", req.name,
		       req.mode);
		return -EINVAL;
	}
	err = check_register(req.name, req.mode, r->nr_mem_id);
	if (!err)
		err = pm_file_register(f, &req);
	if (!err)
		reply_register(f, r);
	return err;
}

/*
 * With no port name netmap describes a memory allocator: nr_mem_id's, or
 * 1's.  Only memory id 1 is known without a port of it here.
 */
static int mem_info(struct nmreq_port_info_get *info)
{
	uint16_t mem_id = info->nr_mem_id ? info->nr_mem_id : PM_GLOBAL_MEM_ID;
	struct pm_region *mem;
	int err;

	if (mem_id != PM_GLOBAL_MEM_ID) {
		pm_log("memory id %u: name a port of it", mem_id);
		return -EINVAL;
	}
	err = pm_region_get(mem_id, &mem);
	if (err)
		return err;
	info->nr_memsize = mem->size;
	info->nr_mem_id = mem_id;
	pm_region_put(mem);
	return 0;
}

/* As netmap: the named port, whatever the file has bound. */
static int ctrl_port_info(const char *name, struct nmreq_port_info_get *info)
{
	return *name ? pm_port_info(name, info) : mem_info(info);
}

/* The pools of the named port's memory; netmap has no default port. */
static int ctrl_pools_info(const char *name, struct nmreq_pools_info *pi)
{
	struct nmreq_port_info_get info;
	struct pm_region *mem;
	int err;

	if (!*name) {
		pm_log("pools of which port?");
		return -ENXIO;
	}
	err = pm_port_info(name, &info);
	if (!err)
		err = pm_region_get(info.nr_mem_id, &mem);
	if (err)
		return err;
	pm_region_info(mem, pi);
	pm_region_put(mem);
	return 0;
}

/* Does what the request, copied in and checked, asks. */
static int ctrl_dispatch(struct pm_file *f, struct ctrl_req *r)
{
	char *name = r->hdr.nr_name;
	union ctrl_body *b = &r->body;

	switch (r->hdr.nr_reqtype) {
	case NETMAP_REQ_REGISTER:
		return ctrl_register(f, name, &b->reg);
	case NETMAP_REQ_PORT_INFO_GET:
		return ctrl_port_info(name, &b->info);
	case NETMAP_REQ_POOLS_INFO_GET:
		return ctrl_pools_info(name, &b->pools);
	case NETMAP_REQ_VALE_NEWIF:
		return pm_vale_newif(name, &b->newif);
	case NETMAP_REQ_VALE_DELIF:
		return pm_vale_delif(name);
	case NETMAP_REQ_VALE_ATTACH:
		return pm_vale_attach(name, &b->attach);
	case NETMAP_REQ_VALE_DETACH:
		return pm_vale_detach(name, &b->detach);
	case NETMAP_REQ_VALE_LIST:
		return pm_vale_list(name, &b->list);
	default:
		pm_log("request %u not supported yet", r->hdr.nr_reqtype);
		return -EOPNOTSUPP;
	}
}

/*
 * Copied in, and written back unchanged first: a read-only request fails
 * with EFAULT before it does anything.  Results go back even on failure
 * (option statuses).
 */
static int ctrl_copied(struct pm_file *f, struct ctrl_req *r, void *arg)
{
	int err = copy_in_ctrl(r, arg);

	if (!err)
		err = copy_out_ctrl(r, arg);
	if (err)
		return err;
	err = check_options(r);
	if (!err)
		err = ctrl_dispatch(f, r);
	int out = copy_out_ctrl(r, arg);
	return err ? err : out;
}

/* The copy is on the heap: a full option list is too big for a stack. */
static int ctrl(struct pm_file *f, void *arg)
{
	struct ctrl_req *r = malloc(sizeof(*r));
	int err = r ? ctrl_copied(f, r, arg) : -ENOMEM;

	free(r);
	return err;
}

/* ---- the legacy struct nmreq ------------------------------------------- */

/* As netmap's: any version from the oldest on, left as the caller set it. */
static int legacy_check(const struct nmreq *nmr)
{
	if (nmr->nr_version < NETMAP_MIN_API) {
		pm_log("API version %u, want %d or later", nmr->nr_version,
		       NETMAP_MIN_API);
		return -EINVAL;
	}
	if (strnlen(nmr->nr_name, sizeof(nmr->nr_name)) == sizeof(nmr->nr_name))
		return -EINVAL;
	if (nmr->nr_cmd) {
		pm_log("legacy command %u not supported yet", nmr->nr_cmd);
		return -EOPNOTSUPP;
	}
	return 0;
}

/* nr_ringid/nr_flags of the old API to a register mode. */
static void legacy_mode(const struct nmreq *nmr, struct pm_bind_req *req,
			char *name, size_t len)
{
	uint32_t mode = nmr->nr_flags & NR_REG_MASK;
	uint16_t ringid = nmr->nr_ringid;

	snprintf(name, len, "%s", nmr->nr_name);
	req->ringid = ringid & NETMAP_RING_MASK;
	if (mode == NR_REG_DEFAULT) {
		if (ringid & NETMAP_SW_RING)
			mode = NR_REG_SW;
		else if (ringid & NETMAP_HW_RING)
			mode = NR_REG_ONE_NIC;
		else
			mode = NR_REG_ALL_NIC;
	} else if (mode == NR_REG_PIPE_MASTER || mode == NR_REG_PIPE_SLAVE) {
		snprintf(name, len, "%s%c%u", nmr->nr_name,
			 mode == NR_REG_PIPE_MASTER ? '{' : '}', req->ringid);
		mode = NR_REG_ALL_NIC;
	}
	req->mode = mode;
	req->flags = nmr->nr_flags & ~(uint32_t)NR_REG_MASK;
	if (ringid & NETMAP_NO_TX_POLL)
		req->flags |= NR_NO_TX_POLL;
	if (ringid & NETMAP_DO_RX_POLL)
		req->flags |= NR_DO_RX_POLL;
}

static int legacy_regif(struct pm_file *f, struct nmreq *nmr)
{
	char name[NETMAP_REQ_IFNAMSIZ];
	struct pm_bind_req req = {
	    .name = name,
	    .nrings = {nmr->nr_tx_rings, nmr->nr_rx_rings},
	    .nslots = {nmr->nr_tx_slots, nmr->nr_rx_slots},
	    .extra_bufs = nmr->nr_arg3,
	};
	int err = legacy_check(nmr);

	if (err)
		return err;
	legacy_mode(nmr, &req, name, sizeof(name));
	err = check_register(name, req.mode, nmr->nr_arg2);
	if (!err)
		err = pm_file_register(f, &req);
	if (err)
		return err;
	struct nmreq_register r;
	reply_register(f, &r);
	nmr->nr_offset = (uint32_t)r.nr_offset;
	nmr->nr_memsize = (uint32_t)r.nr_memsize;
	nmr->nr_tx_rings = r.nr_tx_rings;
	nmr->nr_rx_rings = r.nr_rx_rings;
	nmr->nr_tx_slots = r.nr_tx_slots;
	nmr->nr_rx_slots = r.nr_rx_slots;
	nmr->nr_arg2 = r.nr_mem_id;
	nmr->nr_arg3 = r.nr_extra_bufs;
	return 0;
}

/* PORT_INFO_GET in the old clothes; what it leaves alone stays as given. */
static int legacy_info(struct nmreq *nmr)
{
	struct nmreq_port_info_get info = {
	    .nr_memsize = nmr->nr_memsize,
	    .nr_tx_slots = nmr->nr_tx_slots,
	    .nr_rx_slots = nmr->nr_rx_slots,
	    .nr_tx_rings = nmr->nr_tx_rings,
	    .nr_rx_rings = nmr->nr_rx_rings,
	    .nr_mem_id = nmr->nr_arg2,
	};
	int err = legacy_check(nmr);

	if (!err)
		err = ctrl_port_info(nmr->nr_name, &info);
	if (err)
		return err;
	nmr->nr_memsize = (uint32_t)info.nr_memsize;
	nmr->nr_tx_rings = info.nr_tx_rings;
	nmr->nr_rx_rings = info.nr_rx_rings;
	nmr->nr_tx_slots = info.nr_tx_slots;
	nmr->nr_rx_slots = info.nr_rx_slots;
	nmr->nr_arg2 = info.nr_mem_id;
	return 0;
}

/* The struct nmreq copied in, written back first as NIOCCTRL's header. */
static int legacy(struct pm_file *f, unsigned long req, void *arg)
{
	struct nmreq nmr;
	int err = copy_in(&nmr, (uintptr_t)arg, sizeof(nmr));

	if (!err)
		err = copy_out((uintptr_t)arg, &nmr, sizeof(nmr));
	if (err)
		return err;
	err = req == NIOCREGIF ? legacy_regif(f, &nmr) : legacy_info(&nmr);
	int out = copy_out((uintptr_t)arg, &nmr, sizeof(nmr));
	return err ? err : out;
}

/* ---- entry points -------------------------------------------------------- */

int pm_ioctl(struct pm_file *f, unsigned long req, void *arg)
{
	switch (req) {
	case NIOCTXSYNC:
		return pm_file_sync(f, PM_TX);
	case NIOCRXSYNC:
		return pm_file_sync(f, PM_RX);
	case NIOCCTRL:
		return ctrl(f, arg);
	case NIOCREGIF:
	case NIOCGINFO:
		return legacy(f, req, arg);
	default:
		return -EOPNOTSUPP;
	}
}

bool pm_is_netmap_request(unsigned long req)
{
	return req == NIOCTXSYNC || req == NIOCRXSYNC || req == NIOCCTRL ||
	       req == NIOCREGIF || req == NIOCGINFO;
}

PM_PUBLIC int pktmap_stats_get(int fd, struct pktmap_stats *st)
{
	struct pm_file *f = pm_fd_get(fd);
	struct pm_port *p = f ? f->port : NULL;

	if (!p || !st) {
		if (f)
			pm_file_put(f);
		errno = !st ? EFAULT : ENXIO;
		return -1;
	}
	memset(st, 0, sizeof(*st));
	for (uint32_t i = f->first[PM_RX]; i < f->last[PM_RX]; i++) {
		struct pm_kring *k = &p->rings[PM_RX][i];
		st->rx_packets += k->packets;
		st->rx_bytes += k->bytes;
		st->rx_truncated += k->truncated;
		st->rx_drops += p->ops->drops ? p->ops->drops(k) : 0;
	}
	for (uint32_t i = f->first[PM_TX]; i < f->last[PM_TX]; i++) {
		struct pm_kring *k = &p->rings[PM_TX][i];
		st->tx_packets += k->packets;
		st->tx_bytes += k->bytes;
		st->tx_errors += k->errors;
		st->tx_busy += k->busy_syncs;
	}
	pm_file_put(f);
	return 0;
}

PM_PUBLIC const char *pktmap_version(void)
{
	return "pktmap " PKTMAP_VERSION;
}
