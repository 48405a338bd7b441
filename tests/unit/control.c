// SPDX-License-Identifier: BSD-2-Clause
/*
 * control -- the control path of /dev/netmap, through the public API only:
 * NIOCCTRL validation and errors, registration, the legacy requests, and
 * the memory layout a registration exposes.
 *
 * Runs as root in a fresh network namespace whose only interface is lo.
 */
#include "check.h"

#define PORT "lo"

/* NIOCCTRL with @hdr on a new fd; returns the ioctl result, errno kept. */
static int ctrl_once(struct nmreq_header *hdr)
{
	int fd = nmt_open(), ret, err;

	ret = ioctl(fd, NIOCCTRL, hdr);
	err = errno;
	close(fd);
	errno = err;
	return ret;
}

static void test_header_checks(void)
{
	struct nmreq_port_info_get info;
	struct nmreq_register reg;
	struct nmreq_header hdr;

	nmt_hdr(&hdr, NETMAP_REQ_PORT_INFO_GET, PORT, &info);
	hdr.nr_version = 13;
	CHECK_ERR(ctrl_once(&hdr), EINVAL, "nr_version 13 gives EINVAL");
	hdr.nr_version = 16;
	CHECK_ERR(ctrl_once(&hdr), EINVAL, "nr_version 16 gives EINVAL");
	hdr.nr_version = 15;
	CHECK_OK(ctrl_once(&hdr), "nr_version 15 is accepted");

	nmt_hdr(&hdr, NETMAP_REQ_PORT_INFO_GET, PORT, &info);
	hdr.nr_reserved = 1;
	CHECK_ERR(ctrl_once(&hdr), EINVAL, "nr_reserved 1 gives EINVAL");

	nmt_hdr(&hdr, NETMAP_REQ_REGISTER, PORT, NULL);
	CHECK_ERR(ctrl_once(&hdr), EINVAL, "REGISTER without body: EINVAL");
	nmt_hdr(&hdr, NETMAP_REQ_PORT_INFO_GET, PORT, NULL);
	CHECK_ERR(ctrl_once(&hdr), EINVAL,
		  "PORT_INFO_GET without body: EINVAL");

	nmt_reg_init(&reg, NR_REG_DEFAULT, 0);
	nmt_hdr(&hdr, NETMAP_REQ_REGISTER, PORT, &reg);
	CHECK_ERR(ctrl_once(&hdr), EINVAL, "REGISTER NR_REG_DEFAULT: EINVAL");
}

static void test_unsupported(void)
{
	struct nmreq_port_hdr ph;
	struct nmreq_header hdr;

	/* PORT_HDR_SET stands for any request type not implemented yet. */
	memset(&ph, 0, sizeof(ph));
	nmt_hdr(&hdr, NETMAP_REQ_PORT_HDR_SET, PORT, &ph);
	CHECK_ERR(ctrl_once(&hdr), EOPNOTSUPP, "PORT_HDR_SET gives EOPNOTSUPP");
}

/* An unknown option fails the request and leaves the fd unbound. */
static void test_unknown_option(void)
{
	struct nmreq_register reg;
	struct nmreq_option opt;
	struct nmreq_header hdr;
	int fd = nmt_open();

	memset(&opt, 0, sizeof(opt));
	opt.nro_reqtype = NETMAP_REQ_OPT_MAX + 10;
	opt.nro_size = sizeof(opt);
	nmt_reg_init(&reg, NR_REG_ALL_NIC, 0);
	nmt_hdr(&hdr, NETMAP_REQ_REGISTER, PORT, &reg);
	hdr.nr_options = (uintptr_t)&opt;
	CHECK_ERR(ioctl(fd, NIOCCTRL, &hdr), EOPNOTSUPP,
		  "REGISTER with an unknown option gives EOPNOTSUPP");
	CHECK_EQ(opt.nro_status, EOPNOTSUPP, "unknown option's nro_status");
	CHECK_EQ(hdr.nr_options, (uintptr_t)&opt, "nr_options kept");
	nmt_reg_init(&reg, NR_REG_ALL_NIC, 0);
	CHECK_OK(nmt_register(fd, PORT, &reg),
		 "the failed REGISTER left the fd unbound");
	close(fd);
}

static void test_port_info(void)
{
	struct nmreq_port_info_get info;
	struct nmreq_header hdr;
	const char *slots = getenv("PKTMAP_SLOTS");
	int fd = nmt_open();

	memset(&info, 0, sizeof(info));
	nmt_hdr(&hdr, NETMAP_REQ_PORT_INFO_GET, PORT, &info);
	CHECK_OK(ioctl(fd, NIOCCTRL, &hdr), "PORT_INFO_GET lo, unbound fd");
	CHECK_EQ(info.nr_mem_id, 1, "PORT_INFO_GET nr_mem_id");
	CHECK(info.nr_memsize > 0, "PORT_INFO_GET nr_memsize %llu",
	      (unsigned long long)info.nr_memsize);
	CHECK(info.nr_tx_rings >= 1 && info.nr_rx_rings >= 1,
	      "PORT_INFO_GET rings tx %u rx %u", info.nr_tx_rings,
	      info.nr_rx_rings);
	if (slots == NULL) {
		CHECK_EQ(info.nr_tx_slots, 1024, "PORT_INFO_GET nr_tx_slots");
		CHECK_EQ(info.nr_rx_slots, 1024, "PORT_INFO_GET nr_rx_slots");
	}
	close(fd);
}

static void test_register_errors(void)
{
	struct nmreq_register reg;
	int fd = nmt_open(), fd2 = nmt_open();

	nmt_reg_init(&reg, NR_REG_ALL_NIC, 0);
	CHECK_ERR(nmt_register(fd, "pktmapnosuch0", &reg), ENXIO,
		  "REGISTER of a nonexistent interface gives ENXIO");
	CHECK_OK(nmt_register(fd, PORT, &reg), "REGISTER lo after a failure");
	nmt_reg_init(&reg, NR_REG_ALL_NIC, 0);
	CHECK_ERR(nmt_register(fd, PORT, &reg), EBUSY,
		  "second REGISTER on one fd gives EBUSY");
	nmt_reg_init(&reg, NR_REG_ALL_NIC, 0);
	CHECK_OK(nmt_register(fd2, PORT, &reg),
		 "second non-exclusive REGISTER from another fd");
	nmt_reg_init(&reg, NR_REG_ALL_NIC, 0);
	reg.nr_flags = NR_EXCLUSIVE;
	close(fd2);
	fd2 = nmt_open();
	CHECK_ERR(nmt_register(fd2, PORT, &reg), EBUSY,
		  "NR_EXCLUSIVE on rings already in use gives EBUSY");
	close(fd2);
	close(fd);
}

static void test_exclusive(void)
{
	struct nmreq_register reg;
	int fd = nmt_open(), fd2 = nmt_open();

	nmt_reg_init(&reg, NR_REG_ALL_NIC, 0);
	reg.nr_flags = NR_EXCLUSIVE;
	CHECK_OK(nmt_register(fd, PORT, &reg), "REGISTER lo NR_EXCLUSIVE");
	nmt_reg_init(&reg, NR_REG_ALL_NIC, 0);
	CHECK_ERR(nmt_register(fd2, PORT, &reg), EBUSY,
		  "REGISTER after an NR_EXCLUSIVE one gives EBUSY");
	close(fd);
	nmt_reg_init(&reg, NR_REG_ALL_NIC, 0);
	CHECK_OK(nmt_register(fd2, PORT, &reg),
		 "REGISTER once the exclusive fd is closed");
	close(fd2);
}

static void test_unbound_fd(void)
{
	int fd = nmt_open();

	CHECK_ERR(ioctl(fd, NIOCTXSYNC, NULL), ENXIO,
		  "NIOCTXSYNC on an unregistered fd gives ENXIO");
	CHECK_ERR(ioctl(fd, NIOCRXSYNC, NULL), ENXIO,
		  "NIOCRXSYNC on an unregistered fd gives ENXIO");
	CHECK_ERR(ioctl(fd, _IO('i', 200), NULL), EOPNOTSUPP,
		  "an unknown ioctl on a netmap fd gives EOPNOTSUPP");
	close(fd);
}

static void test_legacy(void)
{
	struct nmreq info, req;
	int fd = nmt_open();

	memset(&info, 0, sizeof(info));
	snprintf(info.nr_name, sizeof(info.nr_name), PORT);
	info.nr_version = NETMAP_API;
	CHECK_OK(ioctl(fd, NIOCGINFO, &info), "NIOCGINFO lo");
	CHECK(info.nr_memsize > 0 && info.nr_tx_rings >= 1 &&
		  info.nr_rx_rings >= 1 && info.nr_tx_slots >= 1 &&
		  info.nr_rx_slots >= 1,
	      "NIOCGINFO counts: memsize %u rings %u/%u slots %u/%u",
	      info.nr_memsize, info.nr_tx_rings, info.nr_rx_rings,
	      info.nr_tx_slots, info.nr_rx_slots);
	CHECK_EQ(info.nr_arg2, 1, "NIOCGINFO memory id (nr_arg2)");

	memset(&req, 0, sizeof(req));
	snprintf(req.nr_name, sizeof(req.nr_name), PORT);
	req.nr_version = NETMAP_API;
	req.nr_flags = NR_REG_ALL_NIC;
	CHECK_OK(ioctl(fd, NIOCREGIF, &req), "NIOCREGIF lo");
	CHECK_EQ(req.nr_memsize, info.nr_memsize, "NIOCREGIF nr_memsize");
	CHECK_EQ(req.nr_tx_rings, info.nr_tx_rings, "NIOCREGIF nr_tx_rings");
	CHECK_EQ(req.nr_rx_rings, info.nr_rx_rings, "NIOCREGIF nr_rx_rings");
	CHECK_EQ(req.nr_tx_slots, info.nr_tx_slots, "NIOCREGIF nr_tx_slots");
	CHECK_EQ(req.nr_arg2, 1, "NIOCREGIF memory id (nr_arg2)");
	CHECK_OK(ioctl(fd, NIOCTXSYNC, NULL), "NIOCTXSYNC after NIOCREGIF");
	close(fd);
}

static void check_new_tx_ring(struct netmap_ring *r, unsigned int i,
			      uint32_t slots)
{
	CHECK_EQ(r->num_slots, slots, "tx ring %u num_slots", i);
	CHECK_EQ(r->nr_buf_size, 2048, "tx ring %u nr_buf_size", i);
	CHECK_EQ(r->dir, 0, "tx ring %u dir", i);
	CHECK_EQ(r->ringid, i, "tx ring %u ringid", i);
	CHECK_EQ(r->head, 0, "new tx ring %u head", i);
	CHECK_EQ(r->cur, 0, "new tx ring %u cur", i);
	CHECK_EQ(r->tail, slots - 1, "new tx ring %u tail", i);
}

static void check_new_rx_ring(struct netmap_ring *r, unsigned int i,
			      uint32_t slots)
{
	CHECK_EQ(r->num_slots, slots, "rx ring %u num_slots", i);
	CHECK_EQ(r->nr_buf_size, 2048, "rx ring %u nr_buf_size", i);
	CHECK_EQ(r->dir, 1, "rx ring %u dir", i);
	CHECK_EQ(r->ringid, i, "rx ring %u ringid", i);
	CHECK_EQ(r->cur, r->head, "new rx ring %u cur == head", i);
	CHECK_EQ(r->tail, r->head, "new rx ring %u tail == head", i);
}

/* Every slot of @r names a buffer inside the region [mem, mem + size). */
static void check_slot_buffers(struct netmap_ring *r, const char *what,
			       void *mem, uint64_t size)
{
	char *lo = (char *)mem, *hi = lo + size;
	uint32_t i;

	for (i = 0; i < r->num_slots; i++) {
		char *buf = NETMAP_BUF(r, r->slot[i].buf_idx);

		if (r->slot[i].buf_idx < 2 || buf < lo ||
		    buf + r->nr_buf_size > hi)
			break;
	}
	CHECK_EQ(i, r->num_slots, "%s: every slot has a buffer in the region",
		 what);
}

static void test_mmap_layout(void)
{
	struct nmreq_register reg;
	struct netmap_if *nifp;
	unsigned int i;
	void *mem;
	int fd = nmt_open();

	nmt_reg_init(&reg, NR_REG_ALL_NIC, 0);
	CHECK_OK(nmt_register(fd, PORT, &reg), "REGISTER lo for mmap");
	CHECK_EQ(reg.nr_mem_id, 1, "REGISTER nr_mem_id");
	CHECK(reg.nr_offset < reg.nr_memsize, "nr_offset inside the region");
	mem = nmt_mmap(fd, &reg);
	nifp = NETMAP_IF(mem, reg.nr_offset);
	CHECK(strcmp(nifp->ni_name, PORT) == 0, "ni_name is \"%s\" (got %.16s)",
	      PORT, nifp->ni_name);
	CHECK_EQ(nifp->ni_tx_rings, reg.nr_tx_rings, "ni_tx_rings");
	CHECK_EQ(nifp->ni_rx_rings, reg.nr_rx_rings, "ni_rx_rings");
	CHECK(nifp->ni_host_tx_rings >= 1 && nifp->ni_host_rx_rings >= 1,
	      "ni_host_tx_rings %u, ni_host_rx_rings %u at least 1",
	      nifp->ni_host_tx_rings, nifp->ni_host_rx_rings);
	for (i = 0; i < reg.nr_tx_rings; i++) {
		struct netmap_ring *r = NETMAP_TXRING(nifp, i);

		check_new_tx_ring(r, i, reg.nr_tx_slots);
		check_slot_buffers(r, "tx ring", mem, reg.nr_memsize);
	}
	for (i = 0; i < reg.nr_rx_rings; i++) {
		struct netmap_ring *r = NETMAP_RXRING(nifp, i);

		check_new_rx_ring(r, i, reg.nr_rx_slots);
		check_slot_buffers(r, "rx ring", mem, reg.nr_memsize);
	}
	munmap(mem, reg.nr_memsize);
	close(fd);
}

/* One ring pair of a two-ring port: the other rings have offset 0. */
static void test_unbound_ring_ofs(void)
{
	struct nmreq_register reg;
	struct netmap_if *nifp;
	unsigned int ntx, htx, nrx;
	void *mem;
	int fd = nmt_open();

	nmt_reg_init(&reg, NR_REG_ONE_NIC, 1);
	reg.nr_tx_rings = 2;
	reg.nr_rx_rings = 2;
	CHECK_OK(nmt_register(fd, PORT, &reg), "REGISTER lo-1 of 2 rings");
	CHECK_EQ(reg.nr_tx_rings, 2, "two tx rings granted");
	CHECK_EQ(reg.nr_rx_rings, 2, "two rx rings granted");
	mem = nmt_mmap(fd, &reg);
	nifp = NETMAP_IF(mem, reg.nr_offset);
	ntx = nifp->ni_tx_rings;
	htx = nifp->ni_host_tx_rings;
	nrx = nifp->ni_rx_rings;
	CHECK_EQ(nifp->ring_ofs[0], 0, "unbound tx ring 0 has offset 0");
	CHECK(nifp->ring_ofs[1] != 0, "bound tx ring 1 has an offset");
	CHECK_EQ(nifp->ring_ofs[ntx], 0, "unbound host tx ring has offset 0");
	CHECK_EQ(nifp->ring_ofs[ntx + htx], 0, "unbound rx ring 0: offset 0");
	CHECK(nifp->ring_ofs[ntx + htx + 1] != 0, "bound rx ring 1: offset");
	CHECK_EQ(nifp->ring_ofs[ntx + htx + nrx], 0,
		 "unbound host rx ring has offset 0");
	check_new_tx_ring(NETMAP_TXRING(nifp, 1), 1, reg.nr_tx_slots);
	check_new_rx_ring(NETMAP_RXRING(nifp, 1), 1, reg.nr_rx_slots);
	munmap(mem, reg.nr_memsize);
	close(fd);
}

/*
 * Host rings: NR_REG_SW binds only the host ring pair (listed after the NIC
 * rings in ring_ofs), NR_REG_ONE_SW past the host rings is EINVAL, and
 * NR_REG_NIC_SW binds both.
 */
static void test_host_mode(void)
{
	struct nmreq_register reg;
	struct netmap_if *nifp;
	unsigned int ntx, htx, nrx;
	void *mem;
	int fd = nmt_open();

	nmt_reg_init(&reg, NR_REG_SW, 0);
	CHECK_OK(nmt_register(fd, PORT, &reg), "REGISTER NR_REG_SW");
	CHECK_EQ(reg.nr_host_tx_rings, 1, "one host tx ring");
	CHECK_EQ(reg.nr_host_rx_rings, 1, "one host rx ring");
	mem = nmt_mmap(fd, &reg);
	nifp = NETMAP_IF(mem, reg.nr_offset);
	ntx = nifp->ni_tx_rings;
	htx = nifp->ni_host_tx_rings;
	nrx = nifp->ni_rx_rings;
	CHECK_EQ(nifp->ring_ofs[0], 0, "NIC tx ring 0 unbound in SW mode");
	CHECK(nifp->ring_ofs[ntx] != 0, "host tx ring bound");
	CHECK_EQ(nifp->ring_ofs[ntx + htx], 0, "NIC rx ring 0 unbound");
	CHECK(nifp->ring_ofs[ntx + htx + nrx] != 0, "host rx ring bound");
	check_new_tx_ring(NETMAP_TXRING(nifp, ntx), ntx, reg.nr_tx_slots);
	check_new_rx_ring(NETMAP_RXRING(nifp, nrx), nrx, reg.nr_rx_slots);
	munmap(mem, reg.nr_memsize);
	close(fd);

	fd = nmt_open();
	nmt_reg_init(&reg, NR_REG_ONE_SW, 1);
	CHECK_ERR(nmt_register(fd, PORT, &reg), EINVAL,
		  "REGISTER NR_REG_ONE_SW 1 of one host ring gives EINVAL");
	close(fd);

	fd = nmt_open();
	nmt_reg_init(&reg, NR_REG_NIC_SW, 0);
	CHECK_OK(nmt_register(fd, PORT, &reg), "REGISTER NR_REG_NIC_SW");
	mem = nmt_mmap(fd, &reg);
	nifp = NETMAP_IF(mem, reg.nr_offset);
	for (unsigned int i = 0; i < 2 * (ntx + htx); i++)
		CHECK(nifp->ring_ofs[i] != 0, "NIC+host: ring_ofs[%u] bound",
		      i);
	munmap(mem, reg.nr_memsize);
	close(fd);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	test_header_checks();
	test_unsupported();
	test_unknown_option();
	test_port_info();
	test_register_errors();
	test_exclusive();
	test_unbound_fd();
	test_host_mode();
	test_legacy();
	test_mmap_layout();
	test_unbound_ring_ofs();
	printf("control: all checks passed\n");
	return 0;
}
