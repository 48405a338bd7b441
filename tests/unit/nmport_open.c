// SPDX-License-Identifier: BSD-2-Clause
/*
 * nmport_open -- libnetmap against the device: open, the step functions
 * and their undo twins, shared mappings, clone, inject and receive back
 * on lo, and the errors of what the device does not have.
 *
 * Runs as root in a fresh network namespace whose only interface is lo.
 */
#include <dirent.h>
#include <poll.h>
#include <libnetmap.h>

#include "check.h"

static char last_msg[1024];
static int nmsgs;

static void record_error(struct nmctx *ctx, const char *msg)
{
	(void)ctx;
	snprintf(last_msg, sizeof(last_msg), "%s", msg);
	nmsgs++;
}

static struct nmctx test_ctx;

static void install_ctx(void)
{
	test_ctx = *nmctx_get();
	test_ctx.error = record_error;
	test_ctx.mem_descs = NULL;
	nmctx_set_default(&test_ctx);
}

static int count_fds(void)
{
	DIR *dir = opendir("/proc/self/fd");
	int n = 0;

	while (dir && readdir(dir))
		n++;
	if (dir)
		closedir(dir);
	return n;
}

static struct nmport_d *must_open(const char *spec)
{
	struct nmport_d *d;

	nmsgs = 0;
	d = nmport_open(spec);
	CHECK(d != NULL, "nmport_open '%s' (%s)", spec,
	      d ? "" : (nmsgs ? last_msg : strerror(errno)));
	return d;
}

/* What every open port must show, whatever its spec. */
static void check_open_port(const char *spec, const struct nmport_d *d)
{
	const struct nmreq_register *r = &d->reg;

	CHECK(d->fd >= 0 && d->register_done && d->mmap_done,
	      "%s: registered and mapped", spec);
	CHECK(d->mem && d->mem->mem && d->mem->size == r->nr_memsize &&
		  d->mem->mem_id == r->nr_mem_id,
	      "%s: mapping of %llu bytes, memory id %u", spec,
	      (unsigned long long)r->nr_memsize, r->nr_mem_id);
	CHECK(d->nifp == NETMAP_IF(d->mem->mem, r->nr_offset),
	      "%s: nifp at nr_offset", spec);
	CHECK(d->nifp->ni_tx_rings == r->nr_tx_rings &&
		  d->nifp->ni_rx_rings == r->nr_rx_rings,
	      "%s: netmap_if agrees with the reply: %u tx, %u rx rings", spec,
	      r->nr_tx_rings, r->nr_rx_rings);
	CHECK(strcmp(d->nifp->ni_name, d->hdr.nr_name) == 0, "%s: ni_name '%s'",
	      spec, d->nifp->ni_name);
	CHECK(d->cur_tx_ring == d->first_tx_ring &&
		  d->cur_rx_ring == d->first_rx_ring,
	      "%s: cur rings start at the first", spec);
}

static void check_rings(const char *spec, const struct nmport_d *d,
			int tx_first, int tx_last, int rx_first, int rx_last)
{
	CHECK(d->first_tx_ring == tx_first && d->last_tx_ring == tx_last,
	      "%s: tx rings [%d, %d] (got [%u, %u])", spec, tx_first, tx_last,
	      d->first_tx_ring, d->last_tx_ring);
	CHECK(d->first_rx_ring == rx_first && d->last_rx_ring == rx_last,
	      "%s: rx rings [%d, %d] (got [%u, %u])", spec, rx_first, rx_last,
	      d->first_rx_ring, d->last_rx_ring);
}

static void test_open_modes(void)
{
	struct nmport_d *d;
	int n;

	d = must_open("netmap:lo");
	check_open_port("netmap:lo", d);
	CHECK_EQ(d->reg.nr_mode, NR_REG_ALL_NIC, "netmap:lo: ALL_NIC");
	n = d->reg.nr_tx_rings;
	CHECK(n >= 1 && d->reg.nr_rx_rings >= 1, "netmap:lo: has rings");
	check_rings("netmap:lo", d, 0, n - 1, 0, d->reg.nr_rx_rings - 1);
	nmport_close(d);

	d = must_open("netmap:lo-0");
	check_open_port("netmap:lo-0", d);
	check_rings("netmap:lo-0", d, 0, 0, 0, 0);
	nmport_close(d);

	d = must_open("netmap:lo/R");
	check_open_port("netmap:lo/R", d);
	CHECK(d->first_tx_ring > d->last_tx_ring,
	      "netmap:lo/R: no tx ring (first %u > last %u)", d->first_tx_ring,
	      d->last_tx_ring);
	check_rings("netmap:lo/R", d, d->first_tx_ring, d->last_tx_ring, 0,
		    d->reg.nr_rx_rings - 1);
	CHECK(nmport_inject(d, "x", 1) == 0 && errno == EINVAL,
	      "netmap:lo/R: nothing to inject into");
	nmport_close(d);

	d = must_open("netmap:lo/T");
	check_rings("netmap:lo/T", d, 0, d->reg.nr_tx_rings - 1,
		    d->first_rx_ring, d->last_rx_ring);
	CHECK(d->first_rx_ring > d->last_rx_ring, "netmap:lo/T: no rx ring");
	nmport_close(d);

	/* no other lo port is open: the open creates it with 2 rings */
	d = must_open("netmap:lo@conf:rings=2");
	check_open_port("netmap:lo@conf:rings=2", d);
	printf("info netmap:lo@conf:rings=2 got %u tx / %u rx rings, %u/%u "
	       "slots\n",
	       d->reg.nr_tx_rings, d->reg.nr_rx_rings, d->reg.nr_tx_slots,
	       d->reg.nr_rx_slots);
	CHECK_EQ(d->reg.nr_tx_rings, 2, "@conf:rings=2: 2 tx rings");
	CHECK_EQ(d->reg.nr_rx_rings, 2, "@conf:rings=2: 2 rx rings");
	check_rings("@conf:rings=2", d, 0, 1, 0, 1);
	nmport_close(d);

	d = must_open("netmap:lo@conf:slots=256");
	CHECK(d->reg.nr_tx_slots == 256 && d->reg.nr_rx_slots == 256 &&
		  NETMAP_TXRING(d->nifp, 0)->num_slots == 256,
	      "@conf:slots=256: rings of 256 slots (got %u/%u)",
	      d->reg.nr_tx_slots, d->reg.nr_rx_slots);
	nmport_close(d);
}

/* The steps one by one, their order enforced, their undo complete. */
static void test_steps(void)
{
	struct nmport_d *d = nmport_prepare("netmap:lo-0");

	CHECK(d != NULL, "nmport_prepare");
	CHECK_ERR(nmport_mmap(d), EINVAL, "mmap before register: EINVAL");
	CHECK_OK(nmport_register(d), "nmport_register");
	CHECK(d->fd >= 0 && d->reg.nr_memsize > 0 && d->reg.nr_mem_id > 0,
	      "the device filled the reply (memory id %u)", d->reg.nr_mem_id);
	CHECK_ERR(nmport_register(d), EINVAL, "register twice: EINVAL");
	CHECK_ERR(nmport_parse(d, "netmap:lo"), EINVAL,
		  "parse of a registered port: EINVAL");
	CHECK_OK(nmport_mmap(d), "nmport_mmap");
	CHECK_ERR(nmport_mmap(d), EINVAL, "mmap twice: EINVAL");
	check_open_port("steps", d);
	nmport_undo_mmap(d);
	CHECK(!d->mmap_done && d->mem == NULL && d->nifp == NULL &&
		  test_ctx.mem_descs == NULL,
	      "undo_mmap drops the mapping");
	CHECK_OK(nmport_mmap(d), "mmap again");
	nmport_undo_open_desc(d);
	CHECK(d->fd == -1 && !d->register_done && !d->mmap_done,
	      "undo_open_desc closes the fd");
	CHECK_OK(nmport_open_desc(d), "open_desc again");
	nmport_close(d);
	nmport_close(NULL);
	nmport_undo_prepare(NULL);
}

/* Ports of one memory id share one mapping, refcounted. */
static void test_shared_mapping(void)
{
	struct nmport_d *a = must_open("netmap:lo"), *b, *c, *e;
	struct nmem_d *m = a->mem;

	b = must_open("netmap:lo-0");
	CHECK(b->reg.nr_mem_id == a->reg.nr_mem_id, "same memory id %u",
	      a->reg.nr_mem_id);
	CHECK(b->mem == m && m->refcount == 2, "same nmem_d, refcount 2");
	CHECK(test_ctx.mem_descs == m && m->next == NULL,
	      "one mapping in the context");
	CHECK((char *)b->nifp >= (char *)m->mem &&
		  (char *)b->nifp < (char *)m->mem + m->size,
	      "b's interface lies in the shared mapping");

	c = must_open("netmap:lo-0@share=netmap:lo");
	CHECK(c->reg.nr_mem_id == a->reg.nr_mem_id && c->mem == m &&
		  m->refcount == 3,
	      "@share=netmap:lo: the same mapping");
	e = nmport_prepare("netmap:lo@share=netmap:nosuch0");
	CHECK(e == NULL && errno == ENXIO,
	      "@share of an unknown interface: ENXIO (%s)", last_msg);

	nmport_close(a);
	CHECK(m->refcount == 2 && test_ctx.mem_descs == m,
	      "closing one keeps the mapping");
	CHECK(NETMAP_RXRING(b->nifp, 0)->num_slots > 0,
	      "the other port's rings are still readable");
	nmport_close(b);
	nmport_close(c);
	CHECK(test_ctx.mem_descs == NULL, "the last close unmaps");

	a = must_open("netmap:lo@1");
	CHECK_EQ(a->reg.nr_mem_id, 1, "netmap:lo@1 is in memory id 1");
	nmport_close(a);
}

/* ---- frames through lo -------------------------------------------------- */

static size_t make_frame(char *buf, size_t len, unsigned tag)
{
	static const unsigned char hdr[14] = {
	    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, /* broadcast */
	    0x02, 0x00, 0x00, 0x00, 0x00, 0x01, /* local source */
	    0x88, 0xb5,				/* local experimental */
	};

	memcpy(buf, hdr, sizeof(hdr));
	for (size_t i = sizeof(hdr); i < len; i++)
		buf[i] = (char)(i * 7 + tag);
	snprintf(buf + 14, 32, "nmport-%u-%u", (unsigned)getpid(), tag);
	return len;
}

/* Collects whole frames from the rx rings into @out; counts matches. */
static int receive_matches(struct nmport_d *d, const char *want, size_t len,
			   int timeout_ms)
{
	static char frame[8192];
	struct pollfd pfd = {.fd = d->fd, .events = POLLIN};
	int matches = 0, waited = 0;
	size_t have = 0;

	while (waited < timeout_ms) {
		poll(&pfd, 1, 50);
		waited += 50;
		for (unsigned r = d->first_rx_ring; r <= d->last_rx_ring; r++) {
			struct netmap_ring *ring = NETMAP_RXRING(d->nifp, r);

			while (!nm_ring_empty(ring)) {
				struct netmap_slot *s = &ring->slot[ring->head];

				if (have + s->len <= sizeof(frame))
					memcpy(frame + have,
					       NETMAP_BUF(ring, s->buf_idx),
					       s->len);
				have += s->len;
				if (!(s->flags & NS_MOREFRAG)) {
					matches += have == len &&
						   !memcmp(frame, want, len);
					have = 0;
				}
				ring->head = ring->cur =
				    nm_ring_next(ring, ring->head);
			}
		}
		if (matches && waited >= 300)
			break;
	}
	return matches;
}

static void inject_and_receive(struct nmport_d *d, size_t len, unsigned tag)
{
	static char frame[8192];
	int got;

	make_frame(frame, len, tag);
	CHECK_EQ(nmport_inject(d, frame, len), (long long)len,
		 "inject a %zu-byte frame", len);
	CHECK_OK(ioctl(d->fd, NIOCTXSYNC, NULL), "txsync");
	got = receive_matches(d, frame, len, 2000);
	printf("info %zu-byte frame seen %d time(s) on lo's rx rings\n", len,
	       got);
	CHECK(got >= 1, "the %zu-byte frame comes back on lo", len);
	CHECK_EQ(got, 1, "the %zu-byte frame comes back once", len);
}

static void test_inject(void)
{
	struct nmport_d *d = must_open("netmap:lo");
	struct netmap_ring *tx = NETMAP_TXRING(d->nifp, d->first_tx_ring);
	uint32_t cur = tx->cur;

	inject_and_receive(d, 60, 1);
	CHECK(nm_ring_next(tx, cur) == tx->head || tx->num_slots == 1,
	      "one slot used for a short frame");
	cur = tx->cur;
	inject_and_receive(d, 3000, 2); /* two buffers: NS_MOREFRAG */
	CHECK(tx->head == (cur + 2) % tx->num_slots,
	      "two slots for a 3000-byte frame");
	CHECK(nmport_inject(d, "x", 0) == 0, "a 0-byte frame is refused");

	/* fill the ring without syncing: inject must stop, not overrun */
	{
		char frame[64];
		unsigned sent = 0;

		make_frame(frame, sizeof(frame), 3);
		while (nmport_inject(d, frame, sizeof(frame)) > 0 &&
		       sent < 100000)
			sent++;
		CHECK(sent > 0 && sent < tx->num_slots * (d->last_tx_ring + 1u),
		      "inject stops when the rings are full (%u frames)", sent);
		CHECK_EQ(errno, ENOBUFS, "... with ENOBUFS");
	}
	nmport_close(d);
}

static void test_clone(void)
{
	struct nmport_d *d = must_open("netmap:lo-0"), *c;

	c = nmport_clone(d);
	CHECK(c != NULL, "nmport_clone");
	CHECK(c->fd == -1 && !c->register_done && c->mem == NULL,
	      "the clone is only prepared");
	CHECK(strcmp(c->hdr.nr_name, "lo") == 0 &&
		  c->reg.nr_mode == NR_REG_ONE_NIC &&
		  c->reg.nr_mem_id == d->reg.nr_mem_id,
	      "the clone asks for the same port and memory");
	CHECK_OK(nmport_open_desc(c), "open the clone");
	CHECK(c->fd != d->fd && c->mem == d->mem && d->mem->refcount == 2,
	      "own fd, shared mapping");
	check_rings("clone", c, 0, 0, 0, 0);
	nmport_close(d);
	inject_and_receive(c, 100, 4);
	nmport_close(c);
}

/* ---- what fails --------------------------------------------------------- */

struct open_err {
	const char *spec;
	int err1, err2; /* acceptable errnos */
	const char *why;
};

static const struct open_err open_errs[] = {
    {"netmap:nosuch0", ENXIO, ENXIO, "unknown interface"},
    {"netmap:lo-7", EINVAL, EINVAL, "no ring 7"},
    {"netmap:lo@2", EINVAL, ENOMEM, "no memory id 2 for lo"},
    {"netmap:lo/z", EOPNOTSUPP, EINVAL, "zero-copy monitor"},
    {"netmap:lo/r", EOPNOTSUPP, EINVAL, "rx monitor"},
    {"netmap:lo@offset=64", EOPNOTSUPP, EINVAL, "offsets"},
};

static void check_open_fails(const struct open_err *e)
{
	struct nmport_d *d;
	int err;

	nmsgs = 0;
	last_msg[0] = '\0';
	d = nmport_open(e->spec);
	err = errno;
	CHECK(d == NULL && (err == e->err1 || err == e->err2),
	      "%s (%s): fails with %s (got %s)", e->spec, e->why,
	      strerror(e->err1), d ? "success" : strerror(err));
	CHECK(nmsgs >= 1, "%s: message '%s'", e->spec, last_msg);
}

static void test_errors(void)
{
	char path[] = "/tmp/nmport_open.XXXXXX", spec[128];
	struct nmport_d *d, *x;
	int fd;

	nmport_enable_option("offset");
	for (size_t i = 0; i < sizeof(open_errs) / sizeof(open_errs[0]); i++)
		check_open_fails(&open_errs[i]);
	nmport_disable_option("offset");

	fd = mkstemp(path);
	CHECK(fd >= 0 && ftruncate(fd, 4 << 20) == 0, "a 4 MiB extmem file");
	close(fd);
	snprintf(spec, sizeof(spec), "netmap:lo@extmem:file=%s", path);
	nmsgs = 0;
	d = nmport_open(spec);
	if (d) {
		printf("info the device accepts extmem\n");
		CHECK(d->mem->is_extmem &&
			  d->mem->mem ==
			      (void *)(uintptr_t)d->extmem->nro_usrptr,
		      "extmem: the region is the file's mapping");
		nmport_close(d);
	} else {
		CHECK(errno == EOPNOTSUPP, "extmem: EOPNOTSUPP (got %s)",
		      strerror(errno));
		CHECK(strstr(last_msg, "option extmem") != NULL,
		      "extmem: the message names the option: %s", last_msg);
	}
	unlink(path);

	/* register failure leaves the prepared descriptor as it was */
	d = nmport_prepare("netmap:nosuch0");
	CHECK_ERR(nmport_open_desc(d), ENXIO, "open_desc of nosuch0");
	CHECK(d->fd == -1 && !d->register_done && !d->mmap_done &&
		  d->mem == NULL,
	      "... leaves nothing open");
	nmport_undo_prepare(d);

	x = must_open("netmap:lo/x");
	nmsgs = 0;
	CHECK(nmport_open("netmap:lo") == NULL && errno == EBUSY,
	      "an exclusive port refuses a second open: EBUSY");
	CHECK(nmsgs == 1, "... with a message: %s", last_msg);
	nmport_close(x);
}

/*
 * Host rings come after the NIC rings in each direction.  A device
 * without them (PKTMAP_DETACH=0) must refuse with a message instead.
 */
static void check_host_open(const char *spec, int nic_too, int one)
{
	struct nmport_d *d;
	unsigned ntx, nrx, htx, hrx;

	nmsgs = 0;
	d = nmport_open(spec);
	if (d == NULL) {
		CHECK(errno == EOPNOTSUPP || errno == EINVAL,
		      "%s: no host rings: EOPNOTSUPP (got %s)", spec,
		      strerror(errno));
		CHECK(nmsgs >= 1, "%s: message '%s'", spec, last_msg);
		return;
	}
	check_open_port(spec, d);
	ntx = d->nifp->ni_tx_rings;
	nrx = d->nifp->ni_rx_rings;
	htx = one ? 1 : d->nifp->ni_host_tx_rings;
	hrx = one ? 1 : d->nifp->ni_host_rx_rings;
	CHECK(d->reg.nr_host_tx_rings == d->nifp->ni_host_tx_rings &&
		  d->nifp->ni_host_tx_rings >= 1,
	      "%s: %u host tx rings", spec, d->nifp->ni_host_tx_rings);
	check_rings(spec, d, nic_too ? 0 : ntx, ntx + htx - 1,
		    nic_too ? 0 : nrx, nrx + hrx - 1);
	nmport_close(d);
}

static void test_host_rings(void)
{
	check_host_open("netmap:lo^", 0, 0);
	check_host_open("netmap:lo^0", 0, 1);
	check_host_open("netmap:lo*", 1, 0);
}

int main(void)
{
	int fds;

	install_ctx();
	fds = count_fds();
	test_open_modes();
	test_steps();
	test_shared_mapping();
	test_clone();
	test_inject();
	test_errors();
	test_host_rings();
	CHECK(test_ctx.mem_descs == NULL, "no mapping left in the context");
	CHECK_EQ(count_fds(), fds, "no descriptor left open");
	printf("nmport_open: all checks passed\n");
	return 0;
}
