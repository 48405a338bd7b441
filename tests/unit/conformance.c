// SPDX-License-Identifier: BSD-2-Clause
/*
 * conformance -- control-API answers that must be netmap's to the letter:
 * requests with an empty port name (memory allocator information, as
 * tcpreplay uses to learn the version), the size limit of an option list,
 * the modes a pipe refuses, the legacy API's version check, and the errno
 * of every nm_open failure.  Both APIs where there are two.
 *
 * Runs as root in a fresh network namespace whose only interface is lo.
 */
#define NETMAP_WITH_LIBS
#include <libnetmap.h>

#include "check.h"

#define PORT	    "lo"
#define NO_SUCH_MEM 999 /* a memory id nobody has */

/* nr_memsize of memory id 1, as a NIC port's information says. */
static uint64_t global_memsize(void)
{
	struct nmreq_port_info_get info = {0};
	struct nmreq_header hdr;
	int fd = nmt_open();

	nmt_hdr(&hdr, NETMAP_REQ_PORT_INFO_GET, PORT, &info);
	MUST_OK(ioctl(fd, NIOCCTRL, &hdr), "PORT_INFO_GET " PORT);
	CHECK_EQ(info.nr_mem_id, 1, PORT " lives in memory id 1");
	close(fd);
	return info.nr_memsize;
}

/* ---- empty port names ---------------------------------------------------- */

/*
 * tcpreplay's get_netmap_version(), verbatim in what it does: a fresh
 * descriptor, a zeroed struct nmreq with only nr_version set, NIOCGINFO,
 * and the version read back.  Then the fallback it tries when that fails.
 */
static int tcpreplay_version(void)
{
	struct nmreq nmr;
	int fd = open("/dev/netmap", O_RDWR), version = -1;

	if (fd < 0)
		return -1;
	memset(&nmr, 0, sizeof(nmr));
	nmr.nr_version = NETMAP_API;
	if (ioctl(fd, NIOCGINFO, &nmr) == 0) {
		version = (int)nmr.nr_version;
	} else {
		for (int x = 0; x < 50; x++) {
			memset(&nmr, 0, sizeof(nmr));
			nmr.nr_version = (uint32_t)x;
			if (ioctl(fd, NIOCGINFO, &nmr) == 0) {
				version = (int)nmr.nr_version;
				break;
			}
		}
	}
	close(fd);
	return version;
}

static void test_tcpreplay_client(void)
{
	uint64_t memsize = global_memsize();
	struct nmreq nmr;
	int fd = nmt_open();

	CHECK_EQ(tcpreplay_version(), NETMAP_API,
		 "tcpreplay learns the running netmap version");

	memset(&nmr, 0, sizeof(nmr));
	nmr.nr_version = NETMAP_API;
	CHECK_OK(ioctl(fd, NIOCGINFO, &nmr), "NIOCGINFO, empty name");
	CHECK_EQ(nmr.nr_version, NETMAP_API, "nr_version as given");
	CHECK_EQ(nmr.nr_memsize, memsize, "nr_memsize: memory id 1's");
	CHECK_EQ(nmr.nr_arg2, 1, "nr_arg2: memory id 1");
	CHECK_EQ(nmr.nr_offset, 0, "nr_offset untouched");
	CHECK(nmr.nr_tx_rings == 0 && nmr.nr_rx_rings == 0 &&
		  nmr.nr_tx_slots == 0 && nmr.nr_rx_slots == 0,
	      "rings and slots untouched (a port's, not the allocator's)");
	close(fd);
}

/* Legacy NIOCGINFO with no name, on an unbound and on a bound fd. */
static void test_legacy_info_empty(void)
{
	uint64_t memsize = global_memsize();
	struct nmreq_register reg;
	struct nmreq nmr;
	int fd = nmt_open();

	memset(&nmr, 0, sizeof(nmr));
	nmr.nr_version = NETMAP_API;
	nmr.nr_arg2 = 1;
	nmr.nr_tx_rings = 7;
	nmr.nr_rx_slots = 9;
	nmr.nr_offset = 0x1234;
	CHECK_OK(ioctl(fd, NIOCGINFO, &nmr), "NIOCGINFO, empty name, mem 1");
	CHECK_EQ(nmr.nr_memsize, memsize, "nr_memsize");
	CHECK_EQ(nmr.nr_arg2, 1, "nr_arg2");
	CHECK_EQ(nmr.nr_tx_rings, 7, "nr_tx_rings as given");
	CHECK_EQ(nmr.nr_rx_slots, 9, "nr_rx_slots as given");
	CHECK_EQ(nmr.nr_offset, 0x1234, "nr_offset as given");

	nmr.nr_arg2 = NO_SUCH_MEM;
	CHECK_ERR(ioctl(fd, NIOCGINFO, &nmr), EINVAL,
		  "NIOCGINFO, empty name, a memory id nobody has");

	nmt_reg_init(&reg, NR_REG_ALL_NIC, 0);
	MUST_OK(nmt_register(fd, PORT, &reg), "REGISTER " PORT);
	memset(&nmr, 0, sizeof(nmr));
	nmr.nr_version = NETMAP_API;
	nmr.nr_tx_rings = 77;
	CHECK_OK(ioctl(fd, NIOCGINFO, &nmr), "NIOCGINFO, empty name, bound");
	CHECK_EQ(nmr.nr_tx_rings, 77,
		 "a bound fd changes nothing: still the allocator");
	CHECK_EQ(nmr.nr_memsize, memsize, "nr_memsize, bound fd");
	close(fd);
}

/* PORT_INFO_GET with no name: memory id as asked (0 is 1), the rest kept. */
static void test_port_info_empty(void)
{
	uint64_t memsize = global_memsize();
	struct nmreq_port_info_get info;
	struct nmreq_header hdr;
	int fd = nmt_open();

	for (uint16_t id = 0; id <= 1; id++) {
		memset(&info, 0, sizeof(info));
		info.nr_mem_id = id;
		info.nr_tx_rings = 3;
		info.nr_rx_slots = 5;
		info.nr_host_tx_rings = 2;
		nmt_hdr(&hdr, NETMAP_REQ_PORT_INFO_GET, "", &info);
		CHECK_OK(ioctl(fd, NIOCCTRL, &hdr),
			 "PORT_INFO_GET, empty name, nr_mem_id %u", id);
		CHECK_EQ(info.nr_mem_id, 1, "nr_mem_id (asked %u)", id);
		CHECK_EQ(info.nr_memsize, memsize, "nr_memsize (asked %u)", id);
		CHECK(info.nr_tx_rings == 3 && info.nr_rx_slots == 5 &&
			  info.nr_host_tx_rings == 2 && info.nr_rx_rings == 0,
		      "the port fields as given (asked %u)", id);
	}
	memset(&info, 0, sizeof(info));
	info.nr_mem_id = NO_SUCH_MEM;
	nmt_hdr(&hdr, NETMAP_REQ_PORT_INFO_GET, "", &info);
	CHECK_ERR(ioctl(fd, NIOCCTRL, &hdr), EINVAL,
		  "PORT_INFO_GET, empty name, a memory id nobody has");
	close(fd);
}

/* netmap's POOLS_INFO_GET needs a port: no name is no such interface. */
static void test_pools_info_empty(void)
{
	uint64_t memsize = global_memsize();
	struct nmreq_pools_info pi;
	struct nmreq_register reg;
	struct nmreq_header hdr;
	int fd = nmt_open();

	memset(&pi, 0, sizeof(pi));
	nmt_hdr(&hdr, NETMAP_REQ_POOLS_INFO_GET, "", &pi);
	CHECK_ERR(ioctl(fd, NIOCCTRL, &hdr), ENXIO,
		  "POOLS_INFO_GET, empty name, unbound fd");
	nmt_reg_init(&reg, NR_REG_ALL_NIC, 0);
	MUST_OK(nmt_register(fd, PORT, &reg), "REGISTER " PORT);
	CHECK_ERR(ioctl(fd, NIOCCTRL, &hdr), ENXIO,
		  "POOLS_INFO_GET, empty name, bound fd");
	close(fd);

	fd = nmt_open();
	nmt_hdr(&hdr, NETMAP_REQ_POOLS_INFO_GET, PORT, &pi);
	CHECK_OK(ioctl(fd, NIOCCTRL, &hdr), "POOLS_INFO_GET " PORT);
	CHECK_EQ(pi.nr_mem_id, 1, "POOLS_INFO_GET " PORT ": memory id");
	CHECK_EQ(pi.nr_memsize, memsize, "POOLS_INFO_GET " PORT ": memsize");
	close(fd);
}

/* ---- the option list's size ---------------------------------------------- */

#define OPT_HEAD sizeof(struct nmreq_option)
/* Unknown options a REGISTER can carry: 4096 bytes with its body. */
#define OPTS_FIT                                                               \
	((NETMAP_REQ_MAXSIZE - sizeof(struct nmreq_register)) / OPT_HEAD)

/* REGISTER of lo with @n unknown options chained in @opt. */
static int register_with_options(int fd, struct nmreq_option *opt, size_t n)
{
	struct nmreq_register reg;
	struct nmreq_header hdr;

	memset(opt, 0, n * sizeof(*opt));
	for (size_t i = 0; i < n; i++) {
		opt[i].nro_reqtype = NETMAP_REQ_OPT_MAX + 10;
		opt[i].nro_size = sizeof(*opt);
		opt[i].nro_next = i + 1 < n ? (uintptr_t)&opt[i + 1] : 0;
	}
	nmt_reg_init(&reg, NR_REG_ALL_NIC, 0);
	nmt_hdr(&hdr, NETMAP_REQ_REGISTER, PORT, &reg);
	hdr.nr_options = (uintptr_t)opt;
	return ioctl(fd, NIOCCTRL, &hdr);
}

static void test_option_list_size(void)
{
	static struct nmreq_option opt[OPTS_FIT + 1];
	struct nmreq_opt_sync_kloop_eventfds big;
	struct nmreq_register reg;
	struct nmreq_header hdr;
	int fd = nmt_open();
	size_t bad = 0;

	CHECK_EQ(OPTS_FIT, 168, "a REGISTER has room for 168 bare options");
	CHECK_ERR(register_with_options(fd, opt, OPTS_FIT), EOPNOTSUPP,
		  "%zu unknown options: each one unsupported", OPTS_FIT);
	for (size_t i = 0; i < OPTS_FIT; i++)
		bad += opt[i].nro_status != EOPNOTSUPP;
	CHECK_EQ(bad, 0, "every one of the %zu options marked EOPNOTSUPP",
		 OPTS_FIT);
	CHECK_ERR(register_with_options(fd, opt, OPTS_FIT + 1), EMSGSIZE,
		  "%zu options: beyond NETMAP_REQ_MAXSIZE", OPTS_FIT + 1);
	CHECK_EQ(opt[0].nro_status, 0, "EMSGSIZE: no status written");

	/* a list that loops is a list too long */
	memset(opt, 0, sizeof(opt[0]));
	opt[0].nro_reqtype = NETMAP_REQ_OPT_MAX + 10;
	opt[0].nro_next = (uintptr_t)&opt[0];
	nmt_reg_init(&reg, NR_REG_ALL_NIC, 0);
	nmt_hdr(&hdr, NETMAP_REQ_REGISTER, PORT, &reg);
	hdr.nr_options = (uintptr_t)&opt[0];
	CHECK_ERR(ioctl(fd, NIOCCTRL, &hdr), EMSGSIZE, "an option loop");

	/* the eventfd list counts the size it declares */
	memset(&big, 0, sizeof(big));
	big.nro_opt.nro_reqtype = NETMAP_REQ_OPT_SYNC_KLOOP_EVENTFDS;
	big.nro_opt.nro_size = NETMAP_REQ_MAXSIZE;
	hdr.nr_options = (uintptr_t)&big;
	CHECK_ERR(ioctl(fd, NIOCCTRL, &hdr), EMSGSIZE,
		  "an eventfd option declaring %d bytes", NETMAP_REQ_MAXSIZE);
	/* a size that would wrap the count, in a loop with a bare option */
	big.nro_opt.nro_size = UINT64_MAX - OPT_HEAD + 1;
	memset(opt, 0, sizeof(opt[0]));
	opt[0].nro_reqtype = NETMAP_REQ_OPT_MAX + 10;
	opt[0].nro_next = (uintptr_t)&big;
	big.nro_opt.nro_next = (uintptr_t)&opt[0];
	CHECK_ERR(ioctl(fd, NIOCCTRL, &hdr), EMSGSIZE,
		  "an eventfd option declaring 2^64 - %zu bytes, looping",
		  OPT_HEAD);

	nmt_reg_init(&reg, NR_REG_ALL_NIC, 0);
	CHECK_OK(nmt_register(fd, PORT, &reg),
		 "the refused REGISTERs left the fd unbound");
	close(fd);
}

/* ---- pipes bind NIC rings only ------------------------------------------- */

static const uint32_t host_modes[] = {NR_REG_SW, NR_REG_NIC_SW, NR_REG_ONE_SW};

static void test_pipe_modes(void)
{
	const char *ends[] = {"lo{5", "lo}5", "lo{pipeid1"};
	struct nmreq_register reg;
	struct nmport_d *d;

	for (size_t e = 0; e < 3; e++) {
		int fd = nmt_open();

		for (size_t m = 0; m < 3; m++) {
			nmt_reg_init(&reg, host_modes[m], 0);
			CHECK_ERR(nmt_register(fd, ends[e], &reg), EINVAL,
				  "%s in mode %u", ends[e], host_modes[m]);
		}
		nmt_reg_init(&reg, NR_REG_ONE_NIC, 0);
		CHECK_OK(nmt_register(fd, ends[e], &reg),
			 "%s in NR_REG_ONE_NIC, after the refusals", ends[e]);
		close(fd);
	}
	errno = 0;
	d = nmport_open("netmap:lo}8*");
	CHECK(d == NULL && errno == EINVAL,
	      "nmport_open netmap:lo}8*: NULL, EINVAL (errno %d)", errno);
	d = nmport_open("netmap:lo}8");
	CHECK(d != NULL, "nmport_open netmap:lo}8");
	nmport_close(d);
}

static void test_pipe_modes_legacy(void)
{
	struct nmreq nmr;
	int fd = nmt_open();

	for (size_t m = 0; m < 3; m++) {
		memset(&nmr, 0, sizeof(nmr));
		nmr.nr_version = NETMAP_API;
		snprintf(nmr.nr_name, sizeof(nmr.nr_name), "lo{6");
		nmr.nr_flags = host_modes[m];
		CHECK_ERR(ioctl(fd, NIOCREGIF, &nmr), EINVAL,
			  "NIOCREGIF lo{6 in mode %u", host_modes[m]);
	}
	memset(&nmr, 0, sizeof(nmr));
	nmr.nr_version = NETMAP_API;
	snprintf(nmr.nr_name, sizeof(nmr.nr_name), "lo}6");
	nmr.nr_ringid = NETMAP_SW_RING; /* NR_REG_DEFAULT: the host rings */
	CHECK_ERR(ioctl(fd, NIOCREGIF, &nmr), EINVAL,
		  "NIOCREGIF lo}6 with NETMAP_SW_RING");
	memset(&nmr, 0, sizeof(nmr));
	nmr.nr_version = NETMAP_API;
	snprintf(nmr.nr_name, sizeof(nmr.nr_name), "lo");
	nmr.nr_flags = NR_REG_PIPE_MASTER;
	nmr.nr_ringid = 6;
	CHECK_OK(ioctl(fd, NIOCREGIF, &nmr),
		 "NIOCREGIF lo with NR_REG_PIPE_MASTER 6");
	close(fd);
}

/* ---- the legacy API's version -------------------------------------------- */

/* NIOCREGIF of lo in @mode with API @version; nr_version read back. */
static int regif_version(uint32_t version, uint32_t mode, uint32_t *back)
{
	struct nmreq nmr;
	int fd = nmt_open(), ret, err;

	memset(&nmr, 0, sizeof(nmr));
	nmr.nr_version = version;
	snprintf(nmr.nr_name, sizeof(nmr.nr_name), PORT);
	nmr.nr_flags = mode;
	ret = ioctl(fd, NIOCREGIF, &nmr);
	err = errno;
	*back = nmr.nr_version;
	CHECK_EQ(nmr.nr_flags, mode, "nr_flags kept (API %u)", version);
	close(fd);
	errno = err;
	return ret;
}

static void test_legacy_versions(void)
{
	struct nmreq nmr;
	uint32_t back;
	int fd = nmt_open();

	CHECK_OK(regif_version(NETMAP_API + 1, NR_REG_ALL_NIC, &back),
		 "NIOCREGIF with API %d", NETMAP_API + 1);
	CHECK_EQ(back, NETMAP_API + 1, "nr_version as given");
	/* netmap's own suite: a newer application on an older kernel */
	CHECK_OK(regif_version(NETMAP_API + 2, NR_REG_NIC_SW, &back),
		 "NIOCREGIF NR_REG_NIC_SW with API %d", NETMAP_API + 2);
	CHECK_EQ(back, NETMAP_API + 2, "nr_version as given");
	CHECK_OK(regif_version(1000, NR_REG_ALL_NIC, &back),
		 "NIOCREGIF with API 1000");
	CHECK_ERR(regif_version(NETMAP_MIN_API - 1, NR_REG_ALL_NIC, &back),
		  EINVAL, "NIOCREGIF with API %d", NETMAP_MIN_API - 1);
	CHECK_EQ(back, NETMAP_MIN_API - 1, "refused: nr_version untouched");

	memset(&nmr, 0, sizeof(nmr));
	nmr.nr_version = 0;
	CHECK_ERR(ioctl(fd, NIOCGINFO, &nmr), EINVAL, "NIOCGINFO with API 0");
	CHECK_EQ(nmr.nr_version, 0, "refused: nr_version untouched");
	nmr.nr_version = NETMAP_API + 2;
	CHECK_OK(ioctl(fd, NIOCGINFO, &nmr), "NIOCGINFO with API %d",
		 NETMAP_API + 2);
	CHECK_EQ(nmr.nr_version, NETMAP_API + 2, "nr_version as given");
	close(fd);
}

/* ---- nm_open's errno ----------------------------------------------------- */

static void test_nm_open_errno(void)
{
	static const struct {
		const char *name;
		int err;
	} cases[] = {
	    {"eth0", 0}, /* not a netmap name: netmap's "not an error" */
	    {"netmap:", EINVAL},
	    {"netmap:lo@0", EINVAL},
	    {"netmap:lo@1x", EINVAL},
	    {"netmap:lo{99999", EINVAL},
	    {"netmap:lo}1*", EINVAL},
	    {"netmap:{1", EINVAL},
	    {"vale", EINVAL},
	    {"vale:", EINVAL},
	    {"valeX:a-1", EINVAL},
	    {"netmap:lo@conf:rings=x", EINVAL},
	    {"netmap:pktmapnosuch1", ENXIO},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct nm_desc *d;

		errno = 12345;
		d = nm_open(cases[i].name, NULL, 0, NULL);
		CHECK(d == NULL && errno == cases[i].err,
		      "nm_open %s: NULL, errno %d (got %d)", cases[i].name,
		      cases[i].err, errno);
	}
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	test_tcpreplay_client();
	test_legacy_info_empty();
	test_port_info_empty();
	test_pools_info_empty();
	test_option_list_size();
	test_pipe_modes();
	test_pipe_modes_legacy();
	test_legacy_versions();
	test_nm_open_errno();
	printf("conformance: all checks passed\n");
	return 0;
}
