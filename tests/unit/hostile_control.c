// SPDX-License-Identifier: BSD-2-Clause
/*
 * hostile_control -- the control path against a hostile caller:
 *   - a request's pointers (the nmreq_header, nr_body, each option and its
 *     body, the legacy struct nmreq) unmapped or read-only give -1 with
 *     EFAULT, as netmap does, and change nothing: the descriptor registers
 *     afterwards;
 *   - VALE_LIST indexes are unsigned: 2^31 and up walk past the end and
 *     give ENOENT;
 *   - counts at their largest (rings, slots, extra buffers) are bounded:
 *     the port registers with what it can have;
 *   - a monitor registered in every mode binds only rings it has: its
 *     syncs and polls work, and it sees the frames it should.
 *
 * Runs as root in a fresh network namespace whose only interface is lo.
 */
#include "check.h"

#include <poll.h>
#include <stdbool.h>

static long page;

/* A page of @prot holding @len bytes of @src at its end (or its start). */
static void *page_with(const void *src, size_t len, int prot, bool at_end)
{
	char *p = mmap(NULL, (size_t)page, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	CHECK(p != MAP_FAILED, "mmap a page");
	char *at = at_end ? p + page - len : p;
	memcpy(at, src, len);
	CHECK(mprotect(p, (size_t)page, prot) == 0, "mprotect");
	return at;
}

/* Two pages: the first holds @len bytes of @src at its end, the second is
 * PROT_NONE, so whatever follows them is unreadable. */
static void *before_hole(const void *src, size_t len)
{
	char *p = mmap(NULL, 2 * (size_t)page, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	CHECK(p != MAP_FAILED, "mmap two pages");
	CHECK(mprotect(p + page, (size_t)page, PROT_NONE) == 0, "mprotect");
	memcpy(p + page - len, src, len);
	return p + page - len;
}

static void *unmapped(void)
{
	void *p = mmap(NULL, (size_t)page, PROT_READ,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	CHECK(p != MAP_FAILED, "mmap a page");
	munmap(p, (size_t)page);
	return p;
}

/* The descriptor is not registered and registers @name now. */
static void still_works(int fd, const char *name)
{
	struct nmreq_register reg;

	nmt_reg_init(&reg, NR_REG_ALL_NIC, 0);
	CHECK_OK(nmt_register(fd, name, &reg), "%s: the descriptor registers",
		 name);
	CHECK_OK(ioctl(fd, NIOCTXSYNC), "%s: and syncs", name);
	CHECK_OK(ioctl(fd, NIOCRXSYNC), "%s: both ways", name);
}

static void bad_header(void)
{
	struct nmreq_register reg;
	struct nmreq_header hdr;
	int fd = nmt_open();

	nmt_reg_init(&reg, NR_REG_ALL_NIC, 0);
	nmt_hdr(&hdr, NETMAP_REQ_REGISTER, "lo{1", &reg);
	CHECK_ERR(ioctl(fd, NIOCCTRL, unmapped()), EFAULT, "unmapped header");
	CHECK_ERR(
	    ioctl(fd, NIOCCTRL, page_with(&hdr, sizeof(hdr), PROT_NONE, false)),
	    EFAULT, "PROT_NONE header");
	CHECK_ERR(ioctl(fd, NIOCCTRL, NULL), EFAULT, "NULL header");
	CHECK_ERR(ioctl(fd, NIOCCTRL,
			before_hole(&hdr, sizeof(hdr) - sizeof(hdr.nr_body))),
		  EFAULT, "header cut by an unmapped page");
	CHECK_ERR(
	    ioctl(fd, NIOCCTRL, page_with(&hdr, sizeof(hdr), PROT_READ, false)),
	    EFAULT, "read-only header of a good request");
	still_works(fd, "lo{1");
	close(fd);
}

static void bad_body(void)
{
	struct nmreq_register reg;
	struct nmreq_header hdr;
	int fd = nmt_open();

	nmt_reg_init(&reg, NR_REG_ALL_NIC, 0);
	nmt_hdr(&hdr, NETMAP_REQ_REGISTER, "lo{2", unmapped());
	CHECK_ERR(ioctl(fd, NIOCCTRL, &hdr), EFAULT, "unmapped body");
	hdr.nr_body = 8; /* the first page is never mapped */
	CHECK_ERR(ioctl(fd, NIOCCTRL, &hdr), EFAULT, "body at address 8");
	hdr.nr_body = (uintptr_t)before_hole(&reg, sizeof(reg) / 2);
	CHECK_ERR(ioctl(fd, NIOCCTRL, &hdr), EFAULT, "body cut by a hole");
	hdr.nr_body = (uintptr_t)page_with(&reg, sizeof(reg), PROT_READ, true);
	CHECK_ERR(ioctl(fd, NIOCCTRL, &hdr), EFAULT, "read-only body");

	struct nmreq_port_info_get info = {0};
	nmt_hdr(&hdr, NETMAP_REQ_PORT_INFO_GET, "lo{2",
		page_with(&info, sizeof(info), PROT_READ, false));
	CHECK_ERR(ioctl(fd, NIOCCTRL, &hdr), EFAULT,
		  "read-only PORT_INFO_GET body");
	struct nmreq_vale_list l = {0};
	nmt_hdr(&hdr, NETMAP_REQ_VALE_LIST, "",
		page_with(&l, sizeof(l), PROT_NONE, false));
	CHECK_ERR(ioctl(fd, NIOCCTRL, &hdr), EFAULT,
		  "PROT_NONE VALE_LIST body");
	still_works(fd, "lo{2");
	close(fd);
}

static void bad_options(void)
{
	struct nmreq_register reg;
	struct nmreq_header hdr;
	struct nmreq_option good = {.nro_reqtype = NETMAP_REQ_OPT_OFFSETS};
	struct nmreq_opt_extmem ext = {.nro_opt.nro_reqtype =
					   NETMAP_REQ_OPT_EXTMEM};
	int fd = nmt_open();

	nmt_reg_init(&reg, NR_REG_ALL_NIC, 0);
	nmt_hdr(&hdr, NETMAP_REQ_REGISTER, "lo{3", &reg);
	hdr.nr_options = (uintptr_t)unmapped();
	CHECK_ERR(ioctl(fd, NIOCCTRL, &hdr), EFAULT, "unmapped option");

	good.nro_next = (uintptr_t)unmapped();
	hdr.nr_options = (uintptr_t)&good;
	CHECK_ERR(ioctl(fd, NIOCCTRL, &hdr), EFAULT, "unmapped second option");
	CHECK_EQ(good.nro_status, 0, "the first option's status untouched");

	good.nro_next = 0;
	hdr.nr_options =
	    (uintptr_t)page_with(&good, sizeof(good), PROT_READ, false);
	CHECK_ERR(ioctl(fd, NIOCCTRL, &hdr), EFAULT, "read-only option");

	/* the header fits, the body of its type does not */
	hdr.nr_options = (uintptr_t)before_hole(&ext, sizeof(ext.nro_opt));
	CHECK_ERR(ioctl(fd, NIOCCTRL, &hdr), EFAULT,
		  "option body cut by an unmapped page");
	hdr.nr_options =
	    (uintptr_t)page_with(&ext, sizeof(ext), PROT_READ, false);
	CHECK_ERR(ioctl(fd, NIOCCTRL, &hdr), EFAULT, "read-only option body");

	/* good memory: the option's status says what netmap says */
	hdr.nr_options = (uintptr_t)&ext;
	CHECK_ERR(ioctl(fd, NIOCCTRL, &hdr), EOPNOTSUPP,
		  "an option in good memory");
	CHECK_EQ(ext.nro_opt.nro_status, EOPNOTSUPP, "its status");

	/* a loop: followed until netmap's size limit, never forever */
	good.nro_next = (uintptr_t)&good;
	hdr.nr_options = (uintptr_t)&good;
	CHECK_ERR(ioctl(fd, NIOCCTRL, &hdr), EMSGSIZE, "an option loop");
	still_works(fd, "lo{3");
	close(fd);
}

static void bad_legacy(void)
{
	struct nmreq nmr = {.nr_version = NETMAP_API};
	int fd = nmt_open();

	snprintf(nmr.nr_name, sizeof(nmr.nr_name), "lo{4");
	CHECK_ERR(ioctl(fd, NIOCREGIF, unmapped()), EFAULT,
		  "NIOCREGIF unmapped");
	CHECK_ERR(ioctl(fd, NIOCREGIF, NULL), EFAULT, "NIOCREGIF NULL");
	CHECK_ERR(ioctl(fd, NIOCREGIF, before_hole(&nmr, sizeof(nmr) - 4)),
		  EFAULT, "NIOCREGIF cut by a hole");
	CHECK_ERR(ioctl(fd, NIOCREGIF,
			page_with(&nmr, sizeof(nmr), PROT_READ, false)),
		  EFAULT, "NIOCREGIF read-only");
	CHECK_ERR(ioctl(fd, NIOCGINFO, unmapped()), EFAULT,
		  "NIOCGINFO unmapped");
	CHECK_ERR(ioctl(fd, NIOCGINFO,
			page_with(&nmr, sizeof(nmr), PROT_READ, false)),
		  EFAULT, "NIOCGINFO read-only");
	CHECK_OK(ioctl(fd, NIOCREGIF, &nmr), "NIOCREGIF in good memory");
	CHECK_EQ(nmr.nr_rx_rings, 1, "its reply");
	CHECK_OK(ioctl(fd, NIOCTXSYNC), "and it syncs");
	close(fd);
}

/* VALE_LIST from (@bridge, @port); the errno, or 0 with @name found. */
static int list_from(uint16_t bridge, uint32_t port, char *name)
{
	struct nmreq_vale_list l = {.nr_bridge_idx = bridge,
				    .nr_port_idx = port};
	struct nmreq_header hdr;
	int fd = nmt_open();

	nmt_hdr(&hdr, NETMAP_REQ_VALE_LIST, "", &l);
	int err = ioctl(fd, NIOCCTRL, &hdr) < 0 ? errno : 0;
	close(fd);
	snprintf(name, NETMAP_REQ_IFNAMSIZ, "%s", err ? "" : hdr.nr_name);
	return err;
}

static void vale_list_indexes(void)
{
	struct nmreq_register reg;
	char name[NETMAP_REQ_IFNAMSIZ];
	int fd = nmt_open();

	nmt_reg_init(&reg, NR_REG_ALL_NIC, 0);
	CHECK_OK(nmt_register(fd, "vale0:hc", &reg), "vale0:hc");
	CHECK_EQ(list_from(0, 0, name), 0, "VALE_LIST from (0, 0)");
	CHECK(strcmp(name, "vale0:hc") == 0, "finds vale0:hc (%s)", name);
	CHECK_EQ(list_from(0, 1, name), ENOENT, "from (0, 1): past it");
	CHECK_EQ(list_from(0, 1u << 31, name), ENOENT, "from (0, 2^31)");
	CHECK_EQ(list_from(0, 0xffffffffu, name), ENOENT, "from (0, 2^32-1)");
	CHECK_EQ(list_from(0, 0x80000001u, name), ENOENT, "from (0, 2^31+1)");
	CHECK_EQ(list_from(0xffff, 0, name), ENOENT, "from (65535, 0)");
	CHECK_EQ(list_from(0x8000, 0xfffffff0u, name), ENOENT,
		 "from (32768, 2^32-16)");
	close(fd);
}

/* Every count at its largest: bounded, the port registers as it can. */
static void huge_counts(void)
{
	struct nmreq_register reg;
	struct nmreq nmr = {.nr_version = NETMAP_API,
			    .nr_tx_rings = 0xffff,
			    .nr_rx_rings = 0xffff,
			    .nr_tx_slots = 0xffffffffu,
			    .nr_rx_slots = 0xffffffffu,
			    .nr_arg3 = 0xffffffffu};
	int fd = nmt_open();

	nmt_reg_init(&reg, NR_REG_ALL_NIC, 0);
	reg.nr_tx_rings = reg.nr_rx_rings = 0xffff;
	reg.nr_host_tx_rings = reg.nr_host_rx_rings = 0xffff;
	reg.nr_tx_slots = reg.nr_rx_slots = 0xffffffffu;
	reg.nr_extra_bufs = 0xffffffffu;
	CHECK_OK(nmt_register(fd, "lo{5", &reg), "lo{5 with every count 2^n-1");
	CHECK_EQ(reg.nr_extra_bufs, 0, "no extra buffers: more than the pool");
	CHECK(reg.nr_tx_slots <= 2048 && reg.nr_rx_slots <= 2048,
	      "slots bounded (%u/%u)", reg.nr_tx_slots, reg.nr_rx_slots);
	CHECK_OK(ioctl(fd, NIOCTXSYNC), "it syncs");
	close(fd);
	fd = nmt_open();
	snprintf(nmr.nr_name, sizeof(nmr.nr_name), "lo{6");
	CHECK_OK(ioctl(fd, NIOCREGIF, &nmr), "NIOCREGIF with nr_arg3 2^32-1");
	CHECK_EQ(nmr.nr_arg3, 0, "no extra buffers");
	close(fd);
}

struct mon {
	int fd;
	struct nmreq_register reg;
	void *mem;
};

/* Registers a monitor of @port in @mode; -1 with errno on failure. */
static int open_monitor(struct mon *m, const char *port, uint32_t mode,
			uint16_t ringid)
{
	m->fd = nmt_open();
	nmt_reg_init(&m->reg, mode, ringid);
	m->reg.nr_flags = NR_MONITOR_RX;
	if (nmt_register(m->fd, port, &m->reg) < 0) {
		int err = errno;
		close(m->fd);
		errno = err;
		return -1;
	}
	m->mem = nmt_mmap(m->fd, &m->reg);
	return 0;
}

/* One frame through the pipe: the monitor of its receiving end has it. */
static void monitor_sees_one(const struct mon *m, int tx_fd, void *tx_mem,
			     uint64_t tx_ofs, int rx_fd, const char *what)
{
	struct netmap_ring *tx = NETMAP_TXRING(NETMAP_IF(tx_mem, tx_ofs), 0);
	struct netmap_ring *rx =
	    NETMAP_RXRING(NETMAP_IF(m->mem, m->reg.nr_offset), 0);
	struct netmap_slot *s = &tx->slot[tx->head];

	memset(NETMAP_BUF(tx, s->buf_idx), 0x5a, 60);
	s->len = 60;
	tx->head = tx->cur = nm_ring_next(tx, tx->head);
	CHECK_OK(ioctl(tx_fd, NIOCTXSYNC), "%s: send one", what);
	CHECK_OK(ioctl(rx_fd, NIOCRXSYNC), "%s: receive it", what);
	CHECK_OK(ioctl(m->fd, NIOCRXSYNC), "%s: monitor rxsync", what);
	CHECK_EQ(nm_ring_space(rx), 1, "%s: the monitor has the frame", what);
	CHECK_EQ(rx->slot[rx->head].len, 60, "%s: its length", what);
	CHECK_EQ(*(uint8_t *)NETMAP_BUF(rx, rx->slot[rx->head].buf_idx), 0x5a,
		 "%s: its bytes", what);
	rx->head = rx->cur = rx->tail;
}

static void monitor_modes(void)
{
	struct nmreq_register reg;
	static const struct {
		uint32_t mode;
		uint16_t ringid;
		int err; /* 0: registers */
		bool sees;
	} cases[] = {
	    {NR_REG_ALL_NIC, 0, 0, true},
	    {NR_REG_ONE_NIC, 0, 0, true},
	    {NR_REG_ONE_NIC, 1, EINVAL, false},
	    {NR_REG_ONE_NIC, 999, EINVAL, false},
	    /* as netmap: a pipe's monitor binds its NIC rings only */
	    {NR_REG_NIC_SW, 0, EINVAL, false},
	    {NR_REG_SW, 0, EINVAL, false},
	    {NR_REG_ONE_SW, 0, EINVAL, false},
	    {NR_REG_NULL, 0, EOPNOTSUPP, false},
	};
	int master = nmt_open(), slave = nmt_open();

	nmt_reg_init(&reg, NR_REG_ALL_NIC, 0);
	CHECK_OK(nmt_register(master, "lo{9", &reg), "pipe lo{1");
	void *mem = nmt_mmap(master, &reg);
	struct nmreq_register sreg;
	nmt_reg_init(&sreg, NR_REG_ALL_NIC, 0);
	CHECK_OK(nmt_register(slave, "lo}9", &sreg), "pipe lo}1");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char what[64];
		struct mon m;
		snprintf(what, sizeof(what), "monitor mode %u ring %u",
			 cases[i].mode, cases[i].ringid);
		if (cases[i].err) {
			CHECK_ERR(open_monitor(&m, "lo}9", cases[i].mode,
					       cases[i].ringid),
				  cases[i].err, "%s", what);
			continue;
		}
		CHECK_OK(
		    open_monitor(&m, "lo}9", cases[i].mode, cases[i].ringid),
		    "%s", what);
		CHECK_EQ(m.reg.nr_tx_rings, 1, "%s: one tx ring", what);
		CHECK_OK(ioctl(m.fd, NIOCTXSYNC), "%s: NIOCTXSYNC", what);
		CHECK_OK(ioctl(m.fd, NIOCRXSYNC), "%s: NIOCRXSYNC", what);
		struct pollfd pfd = {m.fd, POLLIN | POLLOUT, 0};
		CHECK_EQ(poll(&pfd, 1, 0), 1, "%s: poll", what);
		CHECK_EQ(pfd.revents, POLLOUT,
			 "%s: room on the tx ring, nothing to read", what);
		if (cases[i].sees)
			monitor_sees_one(&m, master, mem, reg.nr_offset, slave,
					 what);
		munmap(m.mem, m.reg.nr_memsize);
		close(m.fd);
	}
	close(slave);
	munmap(mem, reg.nr_memsize);
	close(master);
}

/* With an argument, only the part of that name (to try one on old code). */
int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		void (*run)(void);
	} parts[] = {
	    {"header", bad_header},	      {"body", bad_body},
	    {"options", bad_options},	      {"legacy", bad_legacy},
	    {"vale_list", vale_list_indexes}, {"counts", huge_counts},
	    {"monitor", monitor_modes},
	};

	page = sysconf(_SC_PAGESIZE);
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		if (argc < 2 || strcmp(argv[1], parts[i].name) == 0)
			parts[i].run();
	printf("hostile_control: all passed\n");
	return 0;
}
