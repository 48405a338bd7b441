// SPDX-License-Identifier: BSD-2-Clause
/*
 * Fuzz target: the control path of a live /dev/netmap descriptor.  Each
 * input is one request -- NIOCCTRL with a header, a body and a list of
 * options, or a legacy NIOCREGIF/NIOCGINFO -- whose every piece the input
 * places in good memory, read-only memory, across the end of a mapping,
 * in unmapped memory or at NULL; option lists may loop.  A descriptor a
 * request registered is synced both ways and polled, then closed.
 *
 * Ports are pipes of lo and VALE ports, never a network: run it in a
 * private network namespace (fuzz/run does).  A pipe master and a VALE
 * port stay registered all along, for monitors and VALE_LIST to find.
 *
 * Input: a byte stream read by take(); past its end every byte is 0.
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <net/netmap.h>
#include <net/netmap_user.h>

#define MAX_OPTS   6
#define BODY_BYTES 128
#define PIECES	   (2 + MAX_OPTS) /* header, body, options */

struct input {
	const uint8_t *p;
	size_t left;
};

static uint8_t take(struct input *in)
{
	if (!in->left)
		return 0;
	in->left--;
	return *in->p++;
}

static void take_bytes(struct input *in, void *dst, size_t n)
{
	for (size_t i = 0; i < n; i++)
		((uint8_t *)dst)[i] = take(in);
}

/* Memory of every kind a caller can pass, a page of each per piece. */
static long page;
static uint8_t *rw_area;   /* good memory */
static uint8_t *ro_area;   /* PROT_READ */
static uint8_t *edge_area; /* pairs of pages, the second PROT_NONE */
static uint8_t *none_page; /* PROT_NONE */

enum where { GOOD, READ_ONLY, AT_EDGE, UNMAPPED, AT_NULL, NWHERE };

/*
 * Puts @n bytes of @src where the input says; @piece numbers the piece,
 * which has pages of its own.  Returns the address the request names.
 */
static uint64_t place(struct input *in, const void *src, size_t n, int piece)
{
	uint8_t sel = take(in);
	enum where w = sel < 200 ? GOOD : (enum where)(sel % NWHERE);
	uint8_t *at;

	switch (w) {
	case GOOD:
		at = rw_area + piece * page;
		memcpy(at, src, n);
		return (uintptr_t)at;
	case READ_ONLY:
		at = ro_area + piece * page;
		mprotect(at, (size_t)page, PROT_READ | PROT_WRITE);
		memcpy(at, src, n);
		mprotect(at, (size_t)page, PROT_READ);
		return (uintptr_t)at;
	case AT_EDGE: /* its first bytes fit, the rest is unmapped */
		n = n ? take(in) % n : 0;
		at = edge_area + (2 * piece + 1) * page - n;
		memcpy(at, src, n);
		return (uintptr_t)at;
	case UNMAPPED:
		return (uintptr_t)none_page + take(in);
	default:
		return 0;
	}
}

static const char *const names[] = {
    "lo{1",    "lo}1",	    "lo{2",	  "lo}9",	"vale0:a", "vale0:k",
    "vale1:b", "vale0:k/r", "lo{9/t",	  "lo{9/rt",	"lo}9/z",  "vale0:k/r",
    "lo{3/r",  "nif0",	    "vale0:nif0", "vale2:x",	"",	   "vale0:",
    "lo{",     "vale0:a{1", "nif1",	  "vale3:nif1",
};

/* A name from the table, maybe followed by bytes of the input. */
static void take_name(struct input *in, char *name, size_t size)
{
	uint8_t sel = take(in);
	size_t len = (size_t)snprintf(
	    name, size, "%s", names[sel % (sizeof(names) / sizeof(names[0]))]);
	size_t extra = sel >= 224 ? take(in) % 12 : 0;

	for (size_t i = 0; i < extra && len + 1 < size; i++) {
		char c = (char)take(in);
		name[len++] = c ? c : 'x';
	}
	name[len] = '\0';
}

/* VALE_ATTACH of a real interface starts an agent process: not here. */
static bool names_interface(const char *name)
{
	const char *colon = strchr(name, ':');

	return colon && if_nametoindex(colon + 1) != 0;
}

/* The option list: linked in order, or into a loop, or to bad memory. */
static uint64_t take_options(struct input *in)
{
	int n = take(in) % (MAX_OPTS + 1);
	uint64_t at[MAX_OPTS];
	uint8_t buf[sizeof(struct nmreq_option) + 64];

	for (int i = n - 1; i >= 0; i--) {
		struct nmreq_option *o = (void *)buf;
		take_bytes(in, buf, sizeof(buf));
		uint8_t link = take(in);
		if (link < 200)
			o->nro_next = i + 1 < n ? at[i + 1] : 0;
		else if (link < 230 && i + 1 < n)
			o->nro_next = at[i + 1 + link % (n - i - 1)];
		o->nro_reqtype %= NETMAP_REQ_OPT_MAX + 2;
		at[i] = place(in, buf, sizeof(buf), 2 + i);
	}
	for (int i = n - 1; i > 0; i--) /* loops back from the last one */
		if (take(in) == 255)
			((struct nmreq_option *)(rw_area + (2 + i) * page))
			    ->nro_next = at[0];
	return n ? at[0] : 0;
}

static void exercise(int fd)
{
	struct pollfd pfd = {fd, POLLIN | POLLOUT, 0};

	ioctl(fd, NIOCTXSYNC, NULL);
	ioctl(fd, NIOCRXSYNC, NULL);
	poll(&pfd, 1, 0);
}

static int ctrl_request(struct input *in, int fd)
{
	struct nmreq_header hdr = {0};
	uint8_t body[BODY_BYTES];

	hdr.nr_version = take(in) < 250 ? NETMAP_API : take(in);
	hdr.nr_reqtype = take(in) % (NETMAP_REQ_CSB_ENABLE + 2);
	take_name(in, hdr.nr_name, sizeof(hdr.nr_name));
	if (hdr.nr_reqtype == NETMAP_REQ_VALE_ATTACH &&
	    names_interface(hdr.nr_name))
		return -1;
	take_bytes(in, body, sizeof(body));
	if (hdr.nr_reqtype == NETMAP_REQ_REGISTER) {
		struct nmreq_register *r = (void *)body;
		r->nr_mode %= NR_REG_NULL + 2;
		if (take(in) < 250) /* else any count: bounded */
			r->nr_extra_bufs %= 64;
	}
	hdr.nr_body = take(in) < 240 ? place(in, body, sizeof(body), 1) : 0;
	hdr.nr_options = take_options(in);
	return ioctl(fd, NIOCCTRL,
		     (void *)(uintptr_t)place(in, &hdr, sizeof(hdr), 0));
}

static int legacy_request(struct input *in, int fd, unsigned long req)
{
	struct nmreq nmr;
	char name[NETMAP_REQ_IFNAMSIZ];

	take_bytes(in, &nmr, sizeof(nmr));
	nmr.nr_version = take(in) < 250 ? NETMAP_API : nmr.nr_version;
	nmr.nr_cmd = take(in) < 250 ? 0 : nmr.nr_cmd;
	if (take(in) < 250)
		nmr.nr_arg3 %= 64;
	take_name(in, name, sizeof(name));
	snprintf(nmr.nr_name, sizeof(nmr.nr_name), "%s", name);
	return ioctl(fd, req,
		     (void *)(uintptr_t)place(in, &nmr, sizeof(nmr), 0));
}

static void keep_registered(const char *name)
{
	struct nmreq_register reg = {.nr_mode = NR_REG_ALL_NIC};
	struct nmreq_header hdr = {.nr_version = NETMAP_API,
				   .nr_reqtype = NETMAP_REQ_REGISTER,
				   .nr_body = (uintptr_t)&reg};
	int fd = open("/dev/netmap", O_RDWR);

	snprintf(hdr.nr_name, sizeof(hdr.nr_name), "%s", name);
	/* EBUSY: held by the process that started this one (-merge) */
	if (fd < 0 || (ioctl(fd, NIOCCTRL, &hdr) < 0 && errno != EBUSY)) {
		fprintf(stderr, "ctrl: cannot register %s: %s\n", name,
			strerror(errno));
		exit(1);
	}
}

static void *map(size_t len, int prot)
{
	void *p = mmap(NULL, len, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		perror("ctrl: mmap");
		exit(1);
	}
	return p;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	page = sysconf(_SC_PAGESIZE);
	rw_area = map((size_t)page * PIECES, PROT_READ | PROT_WRITE);
	ro_area = map((size_t)page * PIECES, PROT_READ);
	edge_area = map((size_t)page * 2 * PIECES, PROT_READ | PROT_WRITE);
	for (int i = 0; i < PIECES; i++)
		mprotect(edge_area + (2 * i + 1) * page, (size_t)page,
			 PROT_NONE);
	none_page = map((size_t)page, PROT_NONE);
	keep_registered("lo{9");
	keep_registered("vale0:k");
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = {data, size};
	int fd = open("/dev/netmap", O_RDWR);
	uint8_t kind = take(&in);
	int ret;

	if (fd < 0)
		abort();
	if (kind < 200)
		ret = ctrl_request(&in, fd);
	else
		ret = legacy_request(&in, fd, kind & 1 ? NIOCREGIF : NIOCGINFO);
	if (ret == 0)
		exercise(fd);
	close(fd);
	return 0;
}
