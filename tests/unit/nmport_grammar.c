// SPDX-License-Identifier: BSD-2-Clause
/*
 * nmport_grammar -- libnetmap's portspec grammar, without the device:
 * nmport_parse() and the nmreq_* decoders fill exactly the fields netmap's
 * libnetmap fills, and every malformed name fails with its errno, a
 * message through the context, and the descriptor left as it was.
 */
#include <libnetmap.h>

#include "check.h"

/* ---- a context that records messages ----------------------------------- */

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
	struct nmctx *def = nmctx_get();

	test_ctx = *def;
	test_ctx.error = record_error;
	test_ctx.mem_descs = NULL;
	CHECK(nmctx_set_default(&test_ctx) == def,
	      "nmctx_set_default returns the previous context");
	CHECK(nmctx_get() == &test_ctx, "nmctx_get returns the new default");
}

/* ---- portspecs that parse ------------------------------------------------ */

/* The tables below leave the fields a case does not set at zero. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

struct good {
	const char *spec;
	const char *name;
	uint32_t mode;
	uint16_t ringid;
	uint64_t flags;
	uint16_t mem_id;
	uint16_t tx_rings, rx_rings, host_tx, host_rx;
	uint32_t tx_slots, rx_slots;
};

#define ALLF                                                                   \
	(NR_EXCLUSIVE | NR_ZCOPY_MON | NR_MONITOR_TX | NR_MONITOR_RX |         \
	 NR_RX_RINGS_ONLY | NR_TX_RINGS_ONLY)

static const struct good goods[] = {
    {"netmap:lo", "lo", NR_REG_ALL_NIC},
    {"netmap:eth0-3", "eth0", NR_REG_ONE_NIC, 3},
    {"netmap:eth0-0", "eth0", NR_REG_ONE_NIC, 0},
    {"netmap:eth0-4094", "eth0", NR_REG_ONE_NIC, 4094},
    {"netmap:eth0*", "eth0", NR_REG_NIC_SW},
    {"netmap:eth0^", "eth0", NR_REG_SW},
    {"netmap:eth0^2", "eth0", NR_REG_ONE_SW, 2},
    {"netmap:eth0/x", "eth0", NR_REG_ALL_NIC, 0, NR_EXCLUSIVE},
    {"netmap:eth0/xztrRT", "eth0", NR_REG_ALL_NIC, 0, ALLF},
    {"netmap:eth0/TRrtzx", "eth0", NR_REG_ALL_NIC, 0, ALLF},
    {"netmap:eth0-1/R", "eth0", NR_REG_ONE_NIC, 1, NR_RX_RINGS_ONLY},
    {"netmap:eth0^/T", "eth0", NR_REG_SW, 0, NR_TX_RINGS_ONLY},
    {"netmap:eth0*/z", "eth0", NR_REG_NIC_SW, 0, NR_ZCOPY_MON},
    {"netmap:eth0/r", "eth0", NR_REG_ALL_NIC, 0, NR_MONITOR_RX},
    {"netmap:eth0/t", "eth0", NR_REG_ALL_NIC, 0, NR_MONITOR_TX},
    {"netmap:eth0@2", "eth0", NR_REG_ALL_NIC, 0, 0, 2},
    {"netmap:eth0@65535", "eth0", NR_REG_ALL_NIC, 0, 0, 65535},
    {"netmap:eth0-1/T@3", "eth0", NR_REG_ONE_NIC, 1, NR_TX_RINGS_ONLY, 3},
    {"netmap:eth0@2/x", "eth0", NR_REG_ALL_NIC, 0, NR_EXCLUSIVE, 2},
    {"netmap:eth0/x@2/R", "eth0", NR_REG_ALL_NIC, 0,
     NR_EXCLUSIVE | NR_RX_RINGS_ONLY, 2},
    {"netmap:eth0@2@2", "eth0", NR_REG_ALL_NIC, 0, 0, 2},
    {"netmap:eth0/@4", "eth0", NR_REG_ALL_NIC, 0, 0, 4},
    {"netmap:a_B_9", "a_B_9", NR_REG_ALL_NIC},
    {"vale:p", "vale:p", NR_REG_ALL_NIC},
    {"vale0:p1", "vale0:p1", NR_REG_ALL_NIC},
    {"valeA_b:port_9^", "valeA_b:port_9", NR_REG_SW},
    {"vale1:v-2/x", "vale1:v", NR_REG_ONE_NIC, 2, NR_EXCLUSIVE},
    {"netmap:x{y", "x{y", NR_REG_ALL_NIC},
    {"netmap:x}y-0", "x}y", NR_REG_ONE_NIC, 0},
    {"netmap:x{1", "x{1", NR_REG_ALL_NIC},
    {"vale1:a{b/T", "vale1:a{b", NR_REG_ALL_NIC, 0, NR_TX_RINGS_ONLY},
    {"netmap:lo@conf:rings=2", "lo", NR_REG_ALL_NIC, .tx_rings = 2,
     .rx_rings = 2},
    {"netmap:lo@conf=3", "lo", NR_REG_ALL_NIC, .tx_rings = 3, .rx_rings = 3},
    {"netmap:lo@conf:rings=2,tx-rings=4", "lo", NR_REG_ALL_NIC, .tx_rings = 4,
     .rx_rings = 2},
    {"netmap:lo@conf:tx_rings=4,rings=2", "lo", NR_REG_ALL_NIC, .tx_rings = 4,
     .rx_rings = 2},
    {"netmap:lo@conf:rx-rings=5", "lo", NR_REG_ALL_NIC, .rx_rings = 5},
    {"netmap:lo@conf:slots=512,rx-slots=256", "lo", NR_REG_ALL_NIC,
     .tx_slots = 512, .rx_slots = 256},
    {"netmap:lo@conf:tx_slots=64", "lo", NR_REG_ALL_NIC, .tx_slots = 64},
    {"netmap:lo@conf:host-rings=2,host-tx-rings=1", "lo", NR_REG_ALL_NIC,
     .host_tx = 1, .host_rx = 2},
    {"netmap:lo@conf:host_rx_rings=3", "lo", NR_REG_ALL_NIC, .host_rx = 3},
    {"netmap:lo@conf:rings=0,slots=4294967295", "lo", NR_REG_ALL_NIC,
     .tx_slots = 4294967295u, .rx_slots = 4294967295u},
    {"netmap:lo@conf:rings=65535", "lo", NR_REG_ALL_NIC, .tx_rings = 65535,
     .rx_rings = 65535},
    {"netmap:lo-0/R@1@conf:rings=1", "lo", NR_REG_ONE_NIC, 0, NR_RX_RINGS_ONLY,
     1, 1, 1},
    {"netmap:lo@conf:rings=1@conf:slots=8", "lo", NR_REG_ALL_NIC, .tx_rings = 1,
     .rx_rings = 1, .tx_slots = 8, .rx_slots = 8},
    {"netmap:lo^1@7@conf:tx-slots=32", "lo", NR_REG_ONE_SW, 1, 0, 7,
     .tx_slots = 32},
};

static void check_good(const struct good *g)
{
	struct nmport_d *d = nmport_prepare(g->spec);
	const struct nmreq_register *r;

	CHECK(d != NULL, "parse '%s' (%s)", g->spec, d ? "" : last_msg);
	r = &d->reg;
	CHECK(strcmp(d->hdr.nr_name, g->name) == 0,
	      "'%s': nr_name '%s' (got '%s')", g->spec, g->name,
	      d->hdr.nr_name);
	CHECK_EQ(d->hdr.nr_version, NETMAP_API, "'%s': nr_version", g->spec);
	CHECK_EQ(d->hdr.nr_reqtype, NETMAP_REQ_REGISTER, "'%s': nr_reqtype",
		 g->spec);
	CHECK(d->hdr.nr_body == (uintptr_t)&d->reg, "'%s': nr_body is &reg",
	      g->spec);
	CHECK_EQ(d->hdr.nr_options, 0, "'%s': no option", g->spec);
	CHECK_EQ(r->nr_mode, g->mode, "'%s': nr_mode", g->spec);
	CHECK_EQ(r->nr_ringid, g->ringid, "'%s': nr_ringid", g->spec);
	CHECK_EQ(r->nr_flags, g->flags, "'%s': nr_flags", g->spec);
	CHECK_EQ(r->nr_mem_id, g->mem_id, "'%s': nr_mem_id", g->spec);
	CHECK_EQ(r->nr_tx_rings, g->tx_rings, "'%s': nr_tx_rings", g->spec);
	CHECK_EQ(r->nr_rx_rings, g->rx_rings, "'%s': nr_rx_rings", g->spec);
	CHECK_EQ(r->nr_host_tx_rings, g->host_tx, "'%s': nr_host_tx_rings",
		 g->spec);
	CHECK_EQ(r->nr_host_rx_rings, g->host_rx, "'%s': nr_host_rx_rings",
		 g->spec);
	CHECK_EQ(r->nr_tx_slots, g->tx_slots, "'%s': nr_tx_slots", g->spec);
	CHECK_EQ(r->nr_rx_slots, g->rx_slots, "'%s': nr_rx_slots", g->spec);
	CHECK(d->fd == -1 && !d->register_done && !d->mmap_done &&
		  d->mem == NULL && d->nifp == NULL && d->extmem == NULL,
	      "'%s': prepared, neither registered nor mapped", g->spec);
	CHECK(d->ctx == &test_ctx, "'%s': uses the default context", g->spec);
	nmport_undo_prepare(d);
}

/* The longest name nr_name holds: 63 characters. */
static void test_name_length(void)
{
	char spec[128], name[80];
	struct nmport_d *d;

	memset(name, 'a', 63);
	name[63] = '\0';
	snprintf(spec, sizeof(spec), "netmap:%s-1", name);
	d = nmport_prepare(spec);
	CHECK(d != NULL && strcmp(d->hdr.nr_name, name) == 0,
	      "a 63-character name fits");
	nmport_undo_prepare(d);
	snprintf(spec, sizeof(spec), "vale1:%s", name + 6);
	d = nmport_prepare(spec);
	CHECK(d != NULL && strlen(d->hdr.nr_name) == 63,
	      "'vale1:' counts in the 63 characters");
	nmport_undo_prepare(d);
	snprintf(spec, sizeof(spec), "netmap:%sa", name);
	nmsgs = 0;
	CHECK_ERR(nmport_prepare(spec) ? 0 : -1, EINVAL,
		  "a 64-character name: EINVAL");
	CHECK(nmsgs == 1, "... with a message: %s", last_msg);
	snprintf(spec, sizeof(spec), "vale1:%sa", name + 6);
	CHECK_ERR(nmport_prepare(spec) ? 0 : -1, EINVAL,
		  "a 64-character VALE name: EINVAL");
}

/* ---- portspecs that do not --------------------------------------------- */

struct bad {
	const char *spec;
	int err;
};

static const struct bad bads[] = {
    /* the prefix */
    {"", EINVAL},
    {"lo", EINVAL},
    {"eth0:lo", EINVAL},
    {"netmap", EINVAL},
    {"netmapx:lo", EINVAL},
    {"netmap;lo", EINVAL},
    {"NETMAP:lo", EINVAL},
    {"vale", EINVAL},
    {"vale0", EINVAL},
    {"vale-1:p", EINVAL},
    {"vale a:p", EINVAL},
    {"vale.1:p", EINVAL},
    /* the name */
    {"netmap:", EINVAL},
    {"vale0:", EINVAL},
    {"netmap:-1", EINVAL},
    {"netmap:@2", EINVAL},
    {"netmap:/x", EINVAL},
    {"netmap:eth0.1", EINVAL},
    {"netmap:eth 0", EINVAL},
    {"netmap:lo:1", EINVAL},
    {"netmap:x{", EINVAL},
    {"netmap:x}", EINVAL},
    {"netmap:x{/R", EINVAL},
    {"netmap:{y", EINVAL},
    {"netmap:x{y{z", EINVAL},
    {"netmap:x{y}z", EINVAL},
    {"netmap:x{y.z", EINVAL},
    /* the ring selector */
    {"netmap:lo-", EINVAL},
    {"netmap:lo-x", EINVAL},
    {"netmap:lo--1", EINVAL},
    {"netmap:lo-+1", EINVAL},
    {"netmap:lo-4095", EINVAL},
    {"netmap:lo-99999999999999999999999", EINVAL},
    {"netmap:lo-1-2", EINVAL},
    {"netmap:lo-1*", EINVAL},
    {"netmap:lo*1", EINVAL},
    {"netmap:lo**", EINVAL},
    {"netmap:lo*^", EINVAL},
    {"netmap:lo^x", EINVAL},
    {"netmap:lo^4095", EINVAL},
    {"netmap:lo^1^", EINVAL},
    /* the flags */
    {"netmap:lo/", EINVAL},
    {"netmap:lo/q", EINVAL},
    {"netmap:lo/X", EINVAL},
    {"netmap:lo/x/R", EINVAL},
    {"netmap:lo/x-1", EINVAL},
    {"netmap:lo/x*", EINVAL},
    /* the memory id */
    {"netmap:lo@", EINVAL},
    {"netmap:lo@0", EINVAL},
    {"netmap:lo@65536", EINVAL},
    {"netmap:lo@99999999999999999999999", EINVAL},
    {"netmap:lo@2@3", EINVAL},
    {"netmap:lo@2-1", EINVAL},
    {"netmap:lo@2x", EINVAL},
    {"netmap:lo@2@", EINVAL},
    /* the options */
    {"netmap:lo@@conf:rings=1", EINVAL},
    {"netmap:lo@conf:rings=1@", EINVAL},
    {"netmap:lo@conf:rings=1@@conf:slots=2", EINVAL},
    {"netmap:lo@foo", EINVAL},
    {"netmap:lo@foo=1", EINVAL},
    {"netmap:lo@Conf:rings=1", EINVAL},
    {"netmap:lo@conf", EINVAL},
    {"netmap:lo@conf=", EINVAL},
    {"netmap:lo@conf:", EINVAL},
    {"netmap:lo@conf:rings", EINVAL},
    {"netmap:lo@conf:rings=", EINVAL},
    {"netmap:lo@conf:rings=x", EINVAL},
    {"netmap:lo@conf:rings=2x", EINVAL},
    {"netmap:lo@conf:rings= 2", EINVAL},
    {"netmap:lo@conf:rings=-1", EINVAL},
    {"netmap:lo@conf:rings=+1", EINVAL},
    {"netmap:lo@conf:rings=65536", EINVAL},
    {"netmap:lo@conf:slots=4294967296", EINVAL},
    {"netmap:lo@conf:tx-slots=99999999999999999999999", EINVAL},
    {"netmap:lo@conf:bogus=1", EINVAL},
    {"netmap:lo@conf:rings=1,rings=2", EINVAL},
    {"netmap:lo@conf:tx-rings=1,tx_rings=2", EINVAL},
    {"netmap:lo@conf:rings=1,,slots=2", EINVAL},
    {"netmap:lo@conf:rings=1,", EINVAL},
    {"netmap:lo@conf:=3", EINVAL},
    {"netmap:lo@conf:rings=2/x", EINVAL},
    {"netmap:lo@conf=1@2", EINVAL},
    {"netmap:lo@share", EINVAL},
    {"netmap:lo@share=", EINVAL},
    {"netmap:lo@share=lo", EINVAL},
    {"netmap:lo@share=netmap:", EINVAL},
    {"netmap:lo@share:port", EINVAL},
    {"netmap:lo@share:bogus=1", EINVAL},
    {"netmap:lo@extmem", EINVAL},
    {"netmap:lo@extmem:if-num=2", EINVAL},
    {"netmap:lo@extmem:file=/nonexistent/pktmap", ENOENT},
    {"netmap:lo@extmem=/nonexistent/pktmap", ENOENT},
    {"netmap:lo@extmem:file=/dev/null,buf-num=x", EINVAL},
    {"netmap:lo@offset=0", EOPNOTSUPP},
    {"netmap:lo@offset:initial=0", EOPNOTSUPP},
    {"netmap:lo@conf=1@offset=0", EOPNOTSUPP},
};

/*
 * Each bad spec fails on a descriptor that already holds a parsed port,
 * sends one message, and leaves the descriptor byte for byte as it was.
 */
static void check_bad(struct nmport_d *d, const struct bad *b)
{
	struct nmport_d before = *d;
	int ret, err;

	nmsgs = 0;
	last_msg[0] = '\0';
	errno = 0;
	ret = nmport_parse(d, b->spec);
	err = errno;
	errno = err;
	CHECK_ERR(ret, b->err, "'%s' fails with %s", b->spec, strerror(b->err));
	CHECK(nmsgs >= 1 && last_msg[0], "'%s': message '%s'", b->spec,
	      last_msg);
	CHECK(memcmp(&before, d, sizeof(before)) == 0,
	      "'%s': the descriptor is unchanged", b->spec);
	CHECK(nmport_prepare(b->spec) == NULL && errno == b->err,
	      "'%s': nmport_prepare gives NULL", b->spec);
}

static void test_bad_specs(void)
{
	struct nmport_d *d = nmport_prepare("netmap:lo-1/R@conf:rings=3");

	CHECK(d != NULL, "prepare a port to parse over");
	for (size_t i = 0; i < sizeof(bads) / sizeof(bads[0]); i++)
		check_bad(d, &bads[i]);
	CHECK(strcmp(d->hdr.nr_name, "lo") == 0 && d->reg.nr_ringid == 1 &&
		  d->reg.nr_tx_rings == 3,
	      "the port parsed first survived every failure");
	nmport_undo_parse(d);
	CHECK(d->hdr.nr_name[0] == '\0' && d->reg.nr_mode == 0 &&
		  d->hdr.nr_body == (uintptr_t)&d->reg &&
		  d->hdr.nr_version == NETMAP_API,
	      "nmport_undo_parse resets the request");
	CHECK_OK(nmport_parse(d, "netmap:eth1-2"), "parse again after undo");
	CHECK(strcmp(d->hdr.nr_name, "eth1") == 0 && d->reg.nr_ringid == 2,
	      "the second parse took effect");
	nmport_undo_prepare(d);

	nmsgs = 0;
	CHECK(nmport_prepare(NULL) == NULL && errno == EINVAL,
	      "a NULL portspec: EINVAL");
	CHECK(nmsgs == 1, "... with a message");
}

/* A silent context still fails the same way, without messages. */
static void test_quiet_context(void)
{
	test_ctx.verbose = 0;
	nmsgs = 0;
	CHECK(nmport_prepare("netmap:lo/q") == NULL && errno == EINVAL,
	      "verbose 0: still EINVAL");
	CHECK_EQ(nmsgs, 0, "verbose 0: no message");
	test_ctx.verbose = 1;
}

/* ---- the decoders one by one -------------------------------------------- */

static void test_decoders(void)
{
	const char *spec = "vale3:p}q-7/T@5@conf:rings=1", *scan = spec;
	struct nmreq_register reg;
	struct nmreq_header hdr;

	nmreq_header_init(&hdr, NETMAP_REQ_PORT_INFO_GET, &reg);
	CHECK(hdr.nr_version == NETMAP_API &&
		  hdr.nr_reqtype == NETMAP_REQ_PORT_INFO_GET &&
		  hdr.nr_body == (uintptr_t)&reg && hdr.nr_options == 0,
	      "nmreq_header_init sets version, type and body");
	CHECK_OK(nmreq_header_decode(&scan, &hdr, &test_ctx),
		 "nmreq_header_decode");
	CHECK(strcmp(hdr.nr_name, "vale3:p}q") == 0 && scan == spec + 9,
	      "... takes the name and stops at '-'");
	CHECK(hdr.nr_reqtype == NETMAP_REQ_PORT_INFO_GET,
	      "... and leaves the rest of the header alone");

	memset(&reg, 0, sizeof(reg));
	reg.nr_tx_slots = 77;
	CHECK_OK(nmreq_register_decode(&scan, &reg, &test_ctx),
		 "nmreq_register_decode");
	CHECK(reg.nr_mode == NR_REG_ONE_NIC && reg.nr_ringid == 7 &&
		  reg.nr_flags == NR_TX_RINGS_ONLY && reg.nr_mem_id == 5,
	      "... fills mode, ringid, flags and mem_id");
	CHECK(strcmp(scan, "@conf:rings=1") == 0,
	      "... and stops at the first option");
	CHECK_EQ(reg.nr_tx_slots, 77, "... leaving the other fields alone");

	scan = "@6";
	CHECK_ERR(nmreq_register_decode(&scan, &reg, &test_ctx), EINVAL,
		  "a memory id cannot change one set before");
	CHECK(strcmp(scan, "@6") == 0 && reg.nr_mem_id == 5,
	      "... the input and the request stay as they were");
	scan = "@5";
	CHECK_OK(nmreq_register_decode(&scan, &reg, &test_ctx),
		 "the same memory id again is fine");
}

/* A user option list: a flag option and keys that may go without value. */
static int seen_flag, seen_keys, seen_a, seen_b;

static int parse_flag(struct nmreq_parse_ctx *p)
{
	seen_flag += p->token == &seen_flag;
	return 0;
}

static int parse_keys(struct nmreq_parse_ctx *p)
{
	seen_keys++;
	seen_a = p->keys[0] && strcmp(p->keys[0], "a") == 0;
	seen_b = p->keys[1] && strcmp(p->keys[1], "9") == 0;
	return 0;
}

static void test_user_options(void)
{
	struct nmreq_opt_parser keys = {
	    .prefix = "kv",
	    .parse = parse_keys,
	    .default_key = -1,
	    .nr_keys = 2,
	    .keys = {{"a", 0, NMREQ_OPTK_ALLOWEMPTY}, {"b_c", 1, 0}},
	};
	struct nmreq_opt_parser flag = {
	    .prefix = "flag",
	    .parse = parse_flag,
	    .default_key = -1,
	    .flags = NMREQ_OPTF_ALLOWEMPTY,
	    .next = &keys,
	};

	CHECK_OK(nmreq_options_decode("", &flag, &seen_flag, &test_ctx),
		 "an empty option list");
	CHECK_OK(nmreq_options_decode("@flag@kv:a,b-c=9", &flag, &seen_flag,
				      &test_ctx),
		 "a flag option and a key without value");
	CHECK(seen_flag == 1 && seen_keys == 1,
	      "each parser was called once, with the token");
	CHECK(seen_a && seen_b,
	      "a key without value is set to its name; b-c is b_c");
	CHECK_ERR(nmreq_options_decode("@kv:b_c", &flag, NULL, &test_ctx),
		  EINVAL, "a key that needs a value");
	CHECK_ERR(nmreq_options_decode("@flag=1", &flag, NULL, &test_ctx),
		  EINVAL, "'=' on an option without a default key");
	CHECK_ERR(nmreq_options_decode("flag", &flag, NULL, &test_ctx), EINVAL,
		  "an option list must start with '@'");
	flag.flags |= NMREQ_OPTF_DISABLED;
	CHECK_ERR(nmreq_options_decode("@flag", &flag, NULL, &test_ctx),
		  EOPNOTSUPP, "a disabled option");
}

/* ---- options the library adds to the request --------------------------- */

static void test_option_lists(void)
{
	struct nmreq_option *a = calloc(1, sizeof(*a));
	struct nmreq_option *b = calloc(1, sizeof(*b));
	struct nmreq_header hdr;

	nmreq_header_init(&hdr, NETMAP_REQ_REGISTER, NULL);
	a->nro_reqtype = NETMAP_REQ_OPT_EXTMEM;
	b->nro_reqtype = NETMAP_REQ_OPT_OFFSETS;
	nmreq_push_option(&hdr, a);
	nmreq_push_option(&hdr, b);
	CHECK(hdr.nr_options == (uintptr_t)b && b->nro_next == (uintptr_t)a,
	      "nmreq_push_option pushes on the front");
	CHECK(nmreq_find_option(&hdr, NETMAP_REQ_OPT_EXTMEM) == a &&
		  nmreq_find_option(&hdr, NETMAP_REQ_OPT_CSB) == NULL,
	      "nmreq_find_option finds by type");
	nmreq_remove_option(&hdr, a);
	CHECK(hdr.nr_options == (uintptr_t)b && b->nro_next == 0 &&
		  a->nro_next == 0,
	      "nmreq_remove_option unlinks");
	nmreq_push_option(&hdr, a);
	nmreq_free_options(&hdr); /* ASan reports any leak */
	CHECK_EQ(hdr.nr_options, 0, "nmreq_free_options empties the list");
	CHECK(strcmp(nmreq_option_name(NETMAP_REQ_OPT_EXTMEM), "extmem") == 0 &&
		  strcmp(nmreq_option_name(NETMAP_REQ_OPT_OFFSETS),
			 "offsets") == 0 &&
		  strcmp(nmreq_option_name(NETMAP_REQ_OPT_CSB), "csb") == 0 &&
		  strcmp(nmreq_option_name(999), "unknown") == 0,
	      "nmreq_option_name");
}

static void test_extmem(void)
{
	char path[] = "/tmp/nmport_grammar.XXXXXX", spec[256];
	struct nmreq_opt_extmem *e;
	struct nmreq_pools_info *pi;
	struct nmport_d *d;
	int fd = mkstemp(path);

	CHECK(fd >= 0 && ftruncate(fd, 1 << 20) == 0, "a 1 MiB extmem file");
	close(fd);
	snprintf(spec, sizeof(spec),
		 "netmap:lo@extmem:file=%s,if-num=4,if-size=1024,ring-num=8,"
		 "ring-size=33024,buf-num=160,buf-size=2048",
		 path);
	d = nmport_prepare(spec);
	CHECK(d != NULL, "@extmem:file=...,keys (%s)", d ? "" : last_msg);
	e = d->extmem;
	pi = nmport_extmem_getinfo(d);
	CHECK(e != NULL && pi == &e->nro_info, "extmem option and its info");
	CHECK(d->hdr.nr_options == (uintptr_t)&e->nro_opt &&
		  e->nro_opt.nro_reqtype == NETMAP_REQ_OPT_EXTMEM,
	      "the option is on the request");
	CHECK(e->nro_usrptr != 0 && pi->nr_memsize == 1 << 20,
	      "the file is mapped, whole");
	CHECK(pi->nr_if_pool_objtotal == 4 && pi->nr_if_pool_objsize == 1024 &&
		  pi->nr_ring_pool_objtotal == 8 &&
		  pi->nr_ring_pool_objsize == 33024 &&
		  pi->nr_buf_pool_objtotal == 160 &&
		  pi->nr_buf_pool_objsize == 2048,
	      "the keys fill nmreq_pools_info");
	memset((void *)(uintptr_t)e->nro_usrptr, 0xab, 4096);
	CHECK_ERR(nmport_extmem(d, path, 10), EINVAL, "extmem given twice");
	CHECK(nmport_clone(d) == NULL && errno == EINVAL,
	      "no clone of an unregistered extmem port");
	nmport_undo_parse(d);
	CHECK(d->extmem == NULL && d->hdr.nr_options == 0 &&
		  nmport_extmem_getinfo(d) == NULL,
	      "undo_parse removes the extmem option");

	snprintf(spec, sizeof(spec), "netmap:lo@extmem=%s@bogus", path);
	CHECK_ERR(nmport_parse(d, spec), EINVAL,
		  "extmem, then an unknown option: EINVAL");
	CHECK(d->extmem == NULL && d->hdr.nr_options == 0 && d->clist == NULL,
	      "... the extmem option and its mapping are undone");
	snprintf(spec, sizeof(spec), "netmap:lo@extmem=%s", path);
	CHECK_OK(nmport_parse(d, spec), "@extmem=FILE, the default key");
	CHECK(d->extmem && nmport_extmem_getinfo(d)->nr_buf_pool_objtotal == 0,
	      "unset keys stay 0");
	nmport_undo_prepare(d);
	unlink(path);
}

static void test_offset_option(void)
{
	struct nmreq_opt_offsets *o;
	struct nmport_d *d;

	CHECK_ERR(nmport_enable_option("nosuch"), EOPNOTSUPP,
		  "enable an unknown option");
	nmport_disable_option("nosuch"); /* a no-op */
	CHECK_OK(nmport_enable_option("offset"), "enable 'offset'");
	d = nmport_prepare("netmap:lo@offset:initial=64,bits=12");
	CHECK(d != NULL, "@offset:initial=64,bits=12");
	o = (void *)nmreq_find_option(&d->hdr, NETMAP_REQ_OPT_OFFSETS);
	CHECK(o && o->nro_initial_offset == 64 && o->nro_max_offset == 64 &&
		  o->nro_offset_bits == 12 && o->nro_min_gap == 0,
	      "offsets option: initial = max = 64, bits 12");
	nmport_undo_prepare(d);
	d = nmport_prepare("netmap:lo@offset=128");
	o = d ? (void *)nmreq_find_option(&d->hdr, NETMAP_REQ_OPT_OFFSETS)
	      : NULL;
	CHECK(o && o->nro_initial_offset == 128 && o->nro_offset_bits == 0,
	      "@offset=128, the default key");
	nmport_undo_prepare(d);
	CHECK(nmport_prepare("netmap:lo@offset:bits=3") == NULL &&
		  errno == EINVAL,
	      "offset needs 'initial'");
	nmport_disable_option("offset");
	CHECK(nmport_prepare("netmap:lo@offset=1") == NULL &&
		  errno == EOPNOTSUPP,
	      "disabled again");

	nmport_disable_option("conf");
	CHECK(nmport_prepare("netmap:lo@conf:rings=1") == NULL &&
		  errno == EOPNOTSUPP,
	      "a disabled 'conf': EOPNOTSUPP");
	CHECK_OK(nmport_enable_option("conf"), "enable 'conf' again");
}

static void test_clone_unregistered(void)
{
	struct nmport_d *d = nmport_prepare("netmap:lo-2/T@3@conf:slots=64");
	struct nmport_d *c = d ? nmport_clone(d) : NULL;

	CHECK(c != NULL, "clone a prepared port");
	CHECK(strcmp(c->hdr.nr_name, "lo") == 0 &&
		  c->hdr.nr_body == (uintptr_t)&c->reg &&
		  c->hdr.nr_options == 0,
	      "the clone has its own body, no options");
	CHECK(memcmp(&c->reg, &d->reg, sizeof(c->reg)) == 0,
	      "the clone's register request equals the original's");
	CHECK(c->fd == -1 && c->ctx == d->ctx && !c->register_done,
	      "the clone is prepared only");
	nmport_undo_prepare(c);
	nmport_undo_prepare(d);
}

int main(void)
{
	install_ctx();
	for (size_t i = 0; i < sizeof(goods) / sizeof(goods[0]); i++)
		check_good(&goods[i]);
	test_name_length();
	test_bad_specs();
	test_quiet_context();
	test_decoders();
	test_user_options();
	test_option_lists();
	test_extmem();
	test_offset_option();
	test_clone_unregistered();
	printf("nmport_grammar: all checks passed\n");
	return 0;
}
