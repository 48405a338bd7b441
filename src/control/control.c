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
#include <string.h>

#define MAX_OPTIONS 32 /* a longer list is a loop */

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

/*
 * No option is implemented yet: each one is marked EOPNOTSUPP and the
 * request fails before it does anything, so nothing is left half done.
 */
static int check_options(struct nmreq_header *hdr)
{
	struct nmreq_option *opt =
	    (struct nmreq_option *)(uintptr_t)hdr->nr_options;
	int n = 0, err = 0;

	for (; opt; opt = (struct nmreq_option *)(uintptr_t)opt->nro_next) {
		if (++n > MAX_OPTIONS)
			return -EINVAL;
		opt->nro_status = EOPNOTSUPP;
		pm_log("option %u not supported", opt->nro_reqtype);
		err = -EOPNOTSUPP;
	}
	return err;
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

static int check_mem_id(const char *name, uint16_t mem_id)
{
	if (mem_id == 0 || mem_id == PM_GLOBAL_MEM_ID)
		return 0;
	pm_log("%s: interfaces live in memory id %d, not %u", name,
	       PM_GLOBAL_MEM_ID, mem_id);
	return -EINVAL;
}

static int ctrl_register(struct pm_file *f, struct nmreq_header *hdr)
{
	struct nmreq_register *r = (void *)(uintptr_t)hdr->nr_body;
	struct pm_bind_req req = {
	    .name = hdr->nr_name,
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
	err = check_mem_id(req.name, r->nr_mem_id);
	if (!err)
		err = pm_file_register(f, &req);
	if (!err)
		reply_register(f, r);
	return err;
}

static int ctrl_port_info(struct pm_file *f, struct nmreq_header *hdr)
{
	struct nmreq_port_info_get *info = (void *)(uintptr_t)hdr->nr_body;
	const char *name = hdr->nr_name;

	if (!*name && f->port)
		name = f->port->name;
	return pm_port_info(name, info);
}

/* The pools of the file's port, of the named port, or of memory id 1. */
static int ctrl_pools_info(struct pm_file *f, struct nmreq_header *hdr)
{
	struct nmreq_pools_info *pi = (void *)(uintptr_t)hdr->nr_body;
	struct nmreq_port_info_get info;
	uint16_t mem_id = pi->nr_mem_id;
	struct pm_region *mem;
	int err;

	if (f->port) {
		pm_region_info(f->port->mem, pi);
		return 0;
	}
	if (hdr->nr_name[0]) {
		err = pm_port_info(hdr->nr_name, &info);
		if (err)
			return err;
		mem_id = info.nr_mem_id;
	} else if (mem_id != 0 && mem_id != PM_GLOBAL_MEM_ID) {
		pm_log("memory id %u: name a port of it", mem_id);
		return -EINVAL;
	}
	err = pm_region_get(mem_id ? mem_id : PM_GLOBAL_MEM_ID, &mem);
	if (err)
		return err;
	pm_region_info(mem, pi);
	pm_region_put(mem);
	return 0;
}

static int ctrl(struct pm_file *f, struct nmreq_header *hdr)
{
	int err = check_header(hdr);

	if (!err)
		err = check_options(hdr);
	if (err)
		return err;
	switch (hdr->nr_reqtype) {
	case NETMAP_REQ_REGISTER:
		return ctrl_register(f, hdr);
	case NETMAP_REQ_PORT_INFO_GET:
		return ctrl_port_info(f, hdr);
	case NETMAP_REQ_POOLS_INFO_GET:
		return ctrl_pools_info(f, hdr);
	case NETMAP_REQ_VALE_NEWIF:
		return pm_vale_newif(hdr->nr_name,
				     (void *)(uintptr_t)hdr->nr_body);
	case NETMAP_REQ_VALE_DELIF:
		return pm_vale_delif(hdr->nr_name);
	case NETMAP_REQ_VALE_ATTACH:
		return pm_vale_attach(hdr->nr_name,
				      (void *)(uintptr_t)hdr->nr_body);
	case NETMAP_REQ_VALE_DETACH:
		return pm_vale_detach(hdr->nr_name,
				      (void *)(uintptr_t)hdr->nr_body);
	case NETMAP_REQ_VALE_LIST:
		return pm_vale_list(hdr->nr_name,
				    (void *)(uintptr_t)hdr->nr_body);
	default:
		pm_log("request %u not supported yet", hdr->nr_reqtype);
		return -EOPNOTSUPP;
	}
}

/* ---- the legacy struct nmreq ------------------------------------------- */

static int legacy_check(struct nmreq *nmr)
{
	if (nmr->nr_version < NETMAP_MIN_API ||
	    nmr->nr_version > NETMAP_MAX_API) {
		nmr->nr_version =
		    NETMAP_API; /* tells the caller what we speak */
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
	err = check_mem_id(name, nmr->nr_arg2);
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

static int legacy_info(struct pm_file *f, struct nmreq *nmr)
{
	struct nmreq_port_info_get info;
	const char *name = nmr->nr_name;
	int err = legacy_check(nmr);

	if (err)
		return err;
	if (!*name && f->port)
		name = f->port->name;
	err = pm_port_info(name, &info);
	if (err)
		return err;
	nmr->nr_offset =
	    f->port ? (uint32_t)pm_region_offset(f->port->mem, f->nifp) : 0;
	nmr->nr_memsize = (uint32_t)info.nr_memsize;
	nmr->nr_tx_rings = info.nr_tx_rings;
	nmr->nr_rx_rings = info.nr_rx_rings;
	nmr->nr_tx_slots = info.nr_tx_slots;
	nmr->nr_rx_slots = info.nr_rx_slots;
	nmr->nr_arg2 = info.nr_mem_id;
	return 0;
}

/* ---- entry points ----------------------------------------------------------
 */

int pm_ioctl(struct pm_file *f, unsigned long req, void *arg)
{
	switch (req) {
	case NIOCTXSYNC:
		return pm_file_sync(f, PM_TX);
	case NIOCRXSYNC:
		return pm_file_sync(f, PM_RX);
	case NIOCCTRL:
		return arg ? ctrl(f, arg) : -EFAULT;
	case NIOCREGIF:
		return arg ? legacy_regif(f, arg) : -EFAULT;
	case NIOCGINFO:
		return arg ? legacy_info(f, arg) : -EFAULT;
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
