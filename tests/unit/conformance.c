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

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	test_option_list_size();
	printf("conformance: all checks passed\n");
	return 0;
}
