/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * example-firewall netmap:IF -f RULES [-t SECONDS] [-q]
 *
 * A firewall between an interface and its host stack.  One descriptor on
 * `netmap:IF*` holds the NIC rings and the host rings; frames from the wire
 * to the stack are "in", frames from the stack to the wire are "out".  Each
 * frame gets a verdict from the rules: a passed frame moves to the other
 * side by a buffer swap (no copy), a blocked one is hex-dumped with the
 * line of the rule that blocked it, and dropped.
 *
 * Rules, one a line, first match wins, `#` starts a comment:
 *
 *   pass|block in|out|any [tcp|udp|icmp|ip] [from ADDR[/BITS]|any [port N]]
 *                                           [to ADDR[/BITS]|any [port N]]
 *   pass|block in|out|any pcap EXPRESSION...
 *   default pass|block
 *
 * Address rules see IPv4 frames only; pcap rules (tcpdump expressions) see
 * every frame.  A frame no rule matches passes if it is ARP, and gets the
 * default otherwise (pass unless the file says `default block`).
 *
 * Stops on SIGINT, SIGTERM or after SECONDS and prints the counts:
 * "passed_in=N passed_out=N blocked_in=N blocked_out=N".
 * Exit status 2 for a bad command line or rules file (nothing is opened).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <pcap/pcap.h>

#define NETMAP_WITH_LIBS
#include <net/netmap_user.h>

#define PROG "example-firewall"

enum { DIR_IN = 1, DIR_OUT = 2, DIR_ANY = 3 };

struct endpoint {
	uint32_t addr, mask; /* host byte order; mask 0 for any */
	int port;	     /* -1 for any */
};

struct rule {
	int line;
	bool block;
	unsigned dir;
	bool is_pcap;
	struct bpf_program prog; /* pcap rules */
	int proto;		 /* address rules; -1 for any */
	struct endpoint from, to;
};

struct ruleset {
	struct rule *rule;
	size_t n, cap;
	bool default_block;
	int default_line; /* 0: not given, pass */
};

/* What the address rules look at; ipv4 false for anything else. */
struct frame_info {
	uint16_t ethertype;
	bool ipv4;
	uint8_t proto;
	uint32_t src, dst;
	int sport, dport; /* -1 without ports (other protocol, fragment) */
};

struct verdict {
	bool block;
	int line; /* the deciding rule's line, 0 for built-in */
};

struct counters {
	uint64_t passed[DIR_ANY + 1], blocked[DIR_ANY + 1];
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* ---- the rules file ---- */

struct parser {
	const char *file;
	int line;
	char **tok;
	int ntok, pos;
};

static int bad(const struct parser *ps, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Says what is wrong where: "FILE:LINE: message"; returns -1. */
static int bad(const struct parser *ps, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, PROG ": %s:%d: ", ps->file, ps->line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return -1;
}

static const char *peek(const struct parser *ps)
{
	return ps->pos < ps->ntok ? ps->tok[ps->pos] : NULL;
}

static bool take(struct parser *ps, const char *word)
{
	const char *t = peek(ps);

	if (t == NULL || strcmp(t, word) != 0)
		return false;
	ps->pos++;
	return true;
}

/* Plain decimal digits only: "+1", "0x10", "1e3" or "" are no numbers. */
static bool parse_number(const char *s, unsigned long max, unsigned long *out)
{
	unsigned long v = 0;

	if (*s == '\0' || strlen(s) > 10)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		v = v * 10 + (unsigned long)(*s - '0');
	}
	if (v > max)
		return false;
	*out = v;
	return true;
}

static int parse_address(struct parser *ps, const char *what,
			 struct endpoint *e)
{
	const char *t = peek(ps);
	char addr[INET_ADDRSTRLEN];
	unsigned long bits = 32;
	struct in_addr in;
	const char *slash;
	size_t alen;

	if (t == NULL)
		return bad(ps, "missing address after '%s'", what);
	ps->pos++;
	if (strcmp(t, "any") == 0)
		return 0;
	slash = strchr(t, '/');
	alen = slash ? (size_t)(slash - t) : strlen(t);
	if (alen >= sizeof(addr))
		return bad(ps, "bad address '%.*s'", (int)alen, t);
	memcpy(addr, t, alen);
	addr[alen] = '\0';
	if (inet_pton(AF_INET, addr, &in) != 1)
		return bad(ps,
			   "bad address '%s' (expected an IPv4 address "
			   "or any)",
			   addr);
	if (slash && !parse_number(slash + 1, 32, &bits))
		return bad(ps, "bad mask '%s' in '%s' (0 to 32 bits)", slash,
			   t);
	e->mask = bits ? ~0u << (32 - bits) : 0;
	e->addr = ntohl(in.s_addr) & e->mask;
	return 0;
}

static int parse_port(struct parser *ps, int proto, struct endpoint *e)
{
	const char *t;
	unsigned long port;

	if (!take(ps, "port"))
		return 0;
	if (proto != IPPROTO_TCP && proto != IPPROTO_UDP)
		return bad(ps, "'port' needs tcp or udp");
	t = peek(ps);
	if (t == NULL)
		return bad(ps, "missing number after 'port'");
	ps->pos++;
	if (!parse_number(t, 65535, &port))
		return bad(ps, "bad port '%s' (0 to 65535)", t);
	e->port = (int)port;
	return 0;
}

/* 1 if the line has @what (from, to), 0 if not, -1 if it is wrong. */
static int parse_endpoint(struct parser *ps, const char *what, int proto,
			  struct endpoint *e)
{
	if (!take(ps, what))
		return 0;
	if (parse_address(ps, what, e) < 0 || parse_port(ps, proto, e) < 0)
		return -1;
	return 1;
}

/* Sets @proto (-1 for any); false if the line names no protocol. */
static bool parse_proto(struct parser *ps, int *proto)
{
	static const struct {
		const char *name;
		int proto;
	} protos[] = {{"tcp", IPPROTO_TCP},
		      {"udp", IPPROTO_UDP},
		      {"icmp", IPPROTO_ICMP},
		      {"ip", -1}};

	*proto = -1;
	for (size_t i = 0; i < sizeof(protos) / sizeof(protos[0]); i++) {
		if (take(ps, protos[i].name)) {
			*proto = protos[i].proto;
			return true;
		}
	}
	return false;
}

/* The rest of the line is a tcpdump expression, compiled for Ethernet. */
static int parse_pcap(struct parser *ps, struct rule *r)
{
	pcap_t *dead = pcap_open_dead(DLT_EN10MB, 65535);
	size_t len = 1;
	char *expr;
	int ret = 0;

	if (ps->pos == ps->ntok)
		return bad(ps, "missing expression after 'pcap'");
	for (int i = ps->pos; i < ps->ntok; i++)
		len += strlen(ps->tok[i]) + 1;
	expr = calloc(1, len);
	if (dead == NULL || expr == NULL) {
		free(expr);
		return bad(ps, "out of memory");
	}
	for (; ps->pos < ps->ntok; ps->pos++) {
		if (expr[0])
			strcat(expr, " ");
		strcat(expr, ps->tok[ps->pos]);
	}
	if (pcap_compile(dead, &r->prog, expr, 1, PCAP_NETMASK_UNKNOWN) < 0)
		ret = bad(ps, "bad pcap expression '%s': %s", expr,
			  pcap_geterr(dead));
	else
		r->is_pcap = true;
	free(expr);
	pcap_close(dead);
	return ret;
}

/* [PROTO] [from ...] [to ...], each optional, in this order. */
static int parse_matches(struct parser *ps, struct rule *r)
{
	static const char *const expected[] = {
	    "a protocol, pcap, from, to or the end of the line",
	    "from, to or the end of the line", "to or the end of the line",
	    "the end of the line"};
	int got = 0, n; /* how far the line got: the hint of an error */

	if (parse_proto(ps, &r->proto))
		got = 1;
	n = parse_endpoint(ps, "from", r->proto, &r->from);
	if (n < 0)
		return -1;
	got = n ? 2 : got;
	n = parse_endpoint(ps, "to", r->proto, &r->to);
	if (n < 0)
		return -1;
	got = n ? 3 : got;
	if (peek(ps) != NULL)
		return bad(ps, "unexpected '%s' (expected %s)", peek(ps),
			   expected[got]);
	return 0;
}

static int parse_rule(struct parser *ps, bool block, struct rule *r)
{
	const char *t = peek(ps);

	r->line = ps->line;
	r->block = block;
	r->from.port = r->to.port = -1;
	if (take(ps, "in"))
		r->dir = DIR_IN;
	else if (take(ps, "out"))
		r->dir = DIR_OUT;
	else if (take(ps, "any"))
		r->dir = DIR_ANY;
	else if (t == NULL)
		return bad(ps, "missing direction (in, out or any)");
	else
		return bad(ps, "bad direction '%s' (expected in, out or any)",
			   t);
	if (take(ps, "pcap"))
		return parse_pcap(ps, r);
	return parse_matches(ps, r);
}

static int parse_default(struct parser *ps, struct ruleset *rs)
{
	const char *t = peek(ps);

	if (rs->default_line)
		return bad(ps, "a second 'default' (the first is on line %d)",
			   rs->default_line);
	if (take(ps, "pass"))
		rs->default_block = false;
	else if (take(ps, "block"))
		rs->default_block = true;
	else
		return bad(ps, "'default' needs pass or block%s%s%s",
			   t ? ", not '" : "", t ? t : "", t ? "'" : "");
	if (peek(ps) != NULL)
		return bad(ps, "unexpected '%s' after 'default %s'", peek(ps),
			   rs->default_block ? "block" : "pass");
	rs->default_line = ps->line;
	return 0;
}

static struct rule *new_rule(struct ruleset *rs)
{
	if (rs->n == rs->cap) {
		size_t cap = rs->cap ? 2 * rs->cap : 16;
		struct rule *r = realloc(rs->rule, cap * sizeof(*r));
		if (r == NULL)
			return NULL;
		rs->rule = r;
		rs->cap = cap;
	}
	memset(&rs->rule[rs->n], 0, sizeof(rs->rule[0]));
	return &rs->rule[rs->n];
}

/* Splits @text (comment removed) into @ps's words, in place. */
static int split_words(struct parser *ps, char *text)
{
	static char *words[256];
	char *save = NULL, *w;

	text[strcspn(text, "#")] = '\0';
	ps->tok = words;
	ps->ntok = ps->pos = 0;
	for (w = strtok_r(text, " \t\r\n", &save); w;
	     w = strtok_r(NULL, " \t\r\n", &save)) {
		if (ps->ntok == (int)(sizeof(words) / sizeof(words[0])))
			return bad(ps, "more than %zu words",
				   sizeof(words) / sizeof(words[0]));
		words[ps->ntok++] = w;
	}
	return 0;
}

static int parse_line(struct parser *ps, char *text, struct ruleset *rs)
{
	struct rule *r;
	const char *action;

	if (split_words(ps, text) < 0)
		return -1;
	action = peek(ps);
	if (action == NULL)
		return 0;
	ps->pos++;
	if (strcmp(action, "default") == 0)
		return parse_default(ps, rs);
	if (strcmp(action, "pass") != 0 && strcmp(action, "block") != 0)
		return bad(ps,
			   "unknown action '%s' (expected pass, block or "
			   "default)",
			   action);
	r = new_rule(rs);
	if (r == NULL)
		return bad(ps, "out of memory");
	if (parse_rule(ps, action[0] == 'b', r) < 0)
		return -1;
	rs->n++;
	return 0;
}

static void free_rules(struct ruleset *rs)
{
	for (size_t i = 0; i < rs->n; i++)
		if (rs->rule[i].is_pcap)
			pcap_freecode(&rs->rule[i].prog);
	free(rs->rule);
}

/* Reads every rule of @file into @rs; on any error says where, -1. */
static int load_rules(const char *file, struct ruleset *rs)
{
	struct parser ps = {.file = file};
	FILE *f = fopen(file, "r");
	char *text = NULL;
	size_t size = 0;
	int ret = 0;

	if (f == NULL) {
		fprintf(stderr, PROG ": %s: %s\n", file, strerror(errno));
		return -1;
	}
	while (ret == 0 && getline(&text, &size, f) >= 0) {
		ps.line++;
		ret = parse_line(&ps, text, rs);
	}
	if (ret == 0 && ferror(f)) {
		fprintf(stderr, PROG ": %s: %s\n", file, strerror(errno));
		ret = -1;
	}
	free(text);
	fclose(f);
	return ret;
}

/* ---- verdicts ---- */

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Reads the headers in the first @len bytes; one 802.1Q tag is skipped. */
static void inspect(const uint8_t *buf, unsigned len, struct frame_info *fi)
{
	unsigned off = 14, ihl;
	const uint8_t *ip;

	memset(fi, 0, sizeof(*fi));
	fi->sport = fi->dport = -1;
	if (len < 14)
		return;
	fi->ethertype = be16(buf + 12);
	if (fi->ethertype == 0x8100 && len >= 18) {
		fi->ethertype = be16(buf + 16);
		off = 18;
	}
	if (fi->ethertype != 0x0800 || len < off + 20)
		return;
	ip = buf + off;
	ihl = (ip[0] & 0x0fu) * 4;
	if (ip[0] >> 4 != 4 || ihl < 20 || len < off + ihl)
		return;
	fi->ipv4 = true;
	fi->proto = ip[9];
	fi->src = be32(ip + 12);
	fi->dst = be32(ip + 16);
	/* ports are in the first fragment only */
	if ((fi->proto == IPPROTO_TCP || fi->proto == IPPROTO_UDP) &&
	    (be16(ip + 6) & 0x1fff) == 0 && len >= off + ihl + 4) {
		fi->sport = be16(ip + ihl);
		fi->dport = be16(ip + ihl + 2);
	}
}

static bool endpoint_matches(const struct endpoint *e, uint32_t addr, int port)
{
	return (addr & e->mask) == e->addr && (e->port < 0 || e->port == port);
}

static bool rule_matches(const struct rule *r, const struct frame_info *fi,
			 const struct pcap_pkthdr *h, const uint8_t *buf)
{
	if (r->is_pcap)
		return pcap_offline_filter(&r->prog, h, buf) != 0;
	return fi->ipv4 && (r->proto < 0 || r->proto == fi->proto) &&
	       endpoint_matches(&r->from, fi->src, fi->sport) &&
	       endpoint_matches(&r->to, fi->dst, fi->dport);
}

/* @caplen bytes at @buf of a frame of @len bytes, going @dir. */
static struct verdict judge(const struct ruleset *rs, unsigned dir,
			    const uint8_t *buf, unsigned caplen, unsigned len)
{
	struct pcap_pkthdr h = {.caplen = caplen, .len = len};
	struct frame_info fi;

	inspect(buf, caplen, &fi);
	for (size_t i = 0; i < rs->n; i++) {
		const struct rule *r = &rs->rule[i];
		if ((r->dir & dir) && rule_matches(r, &fi, &h, buf))
			return (struct verdict){r->block, r->line};
	}
	if (!fi.ipv4 && fi.ethertype == 0x0806)
		return (struct verdict){false, 0};
	return (struct verdict){rs->default_block, rs->default_line};
}

/* ---- the data path ---- */

static void dump_line(unsigned off, const uint8_t *p, unsigned n)
{
	printf("  %04x ", off);
	for (unsigned i = 0; i < 16; i++) {
		if (i == 8)
			putchar(' ');
		if (i < n)
			printf(" %02x", p[i]);
		else
			printf("   ");
	}
	printf("  |");
	for (unsigned i = 0; i < n; i++)
		putchar(p[i] >= 0x20 && p[i] < 0x7f ? p[i] : '.');
	printf("|\n");
}

/* Dumps the @n slots from @rx's head, one frame, offsets running on. */
static void dump_blocked(struct netmap_ring *rx, unsigned n, unsigned len,
			 unsigned dir, int line)
{
	uint8_t row[16];
	unsigned off = 0, fill = 0;

	printf("blocked %s by line %d: %u bytes\n",
	       dir == DIR_IN ? "in" : "out", line, len);
	for (unsigned s = 0, i = rx->head; s < n; s++) {
		const struct netmap_slot *slot = &rx->slot[i];
		const uint8_t *buf =
		    (const uint8_t *)NETMAP_BUF(rx, slot->buf_idx);

		for (unsigned k = 0; k < slot->len; k++) {
			row[fill++] = buf[k];
			if (fill == 16) {
				dump_line(off, row, fill);
				off += fill;
				fill = 0;
			}
		}
		i = nm_ring_next(rx, i);
	}
	if (fill)
		dump_line(off, row, fill);
}

/*
 * Slots of the frame at @rx's head, its length in @len; 0 while the
 * frame's NS_MOREFRAG chain is not complete yet.
 */
static unsigned frame_slots(struct netmap_ring *rx, unsigned *len)
{
	unsigned i = rx->head, n = 1, space = nm_ring_space(rx);

	*len = rx->slot[i].len;
	while (rx->slot[i].flags & NS_MOREFRAG) {
		if (n == space)
			return 0;
		i = nm_ring_next(rx, i);
		*len += rx->slot[i].len;
		n++;
	}
	return n;
}

/* Moves @n slots from @rx to @tx by swapping their buffers. */
static void swap_slots(struct netmap_ring *rx, struct netmap_ring *tx,
		       unsigned n)
{
	for (; n > 0; n--) {
		struct netmap_slot *rs = &rx->slot[rx->head];
		struct netmap_slot *ts = &tx->slot[tx->head];
		uint32_t idx = ts->buf_idx;

		ts->buf_idx = rs->buf_idx;
		ts->len = rs->len;
		ts->flags = (rs->flags & NS_MOREFRAG) | NS_BUF_CHANGED;
		rs->buf_idx = idx;
		rs->flags = NS_BUF_CHANGED;
		rx->head = rx->cur = nm_ring_next(rx, rx->head);
		tx->head = tx->cur = nm_ring_next(tx, tx->head);
	}
}

static void drop_slots(struct netmap_ring *rx, unsigned n)
{
	rx->head = rx->cur = (rx->head + n) % rx->num_slots;
}

/*
 * Judges the frames of @rx going @dir: passes them to @tx while it has
 * room, drops the blocked ones.
 */
static void filter_ring(const struct ruleset *rs, struct netmap_ring *rx,
			struct netmap_ring *tx, unsigned dir, bool quiet,
			struct counters *c)
{
	while (!nm_ring_empty(rx)) {
		const struct netmap_slot *first = &rx->slot[rx->head];
		unsigned len, n = frame_slots(rx, &len);
		struct verdict v;

		if (n == 0)
			break;
		v = judge(rs, dir,
			  (const uint8_t *)NETMAP_BUF(rx, first->buf_idx),
			  first->len, len);
		if (v.block) {
			if (!quiet)
				dump_blocked(rx, n, len, dir, v.line);
			drop_slots(rx, n);
			c->blocked[dir]++;
			continue;
		}
		if (n > nm_ring_space(tx))
			break;
		swap_slots(rx, tx, n);
		c->passed[dir]++;
	}
}

static double seconds_since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t0->tv_sec) +
	       (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
}

static int run(struct nm_desc *d, const struct ruleset *rs, double seconds,
	       bool quiet, struct counters *c)
{
	/* the host rings are the last of each direction */
	unsigned host_rx = d->last_rx_ring, host_tx = d->last_tx_ring;
	struct netmap_ring *hrx = NETMAP_RXRING(d->nifp, host_rx);
	struct netmap_ring *htx = NETMAP_TXRING(d->nifp, host_tx);
	struct timespec start;

	clock_gettime(CLOCK_MONOTONIC, &start);
	while (!stop && (seconds <= 0 || seconds_since(&start) < seconds)) {
		struct pollfd pfd = {.fd = d->fd, .events = POLLIN};

		if (poll(&pfd, 1, 100) < 0 && errno != EINTR)
			return -1;
		if (pfd.revents & POLLERR) {
			errno = ENXIO; /* what netmap says of a dead port */
			return -1;
		}
		for (unsigned i = d->first_rx_ring; i < host_rx; i++) {
			filter_ring(rs, NETMAP_RXRING(d->nifp, i), htx, DIR_IN,
				    quiet, c);
			filter_ring(rs, hrx,
				    NETMAP_TXRING(d->nifp, i % host_tx),
				    DIR_OUT, quiet, c);
		}
	}
	return 0;
}

static int usage(void)
{
	fprintf(stderr,
		"usage: " PROG " netmap:IF -f RULES [-t SECONDS] [-q]\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct ruleset rs = {0};
	struct counters c = {{0}, {0}};
	const char *rules = NULL;
	double seconds = 0;
	bool quiet = false;
	struct nm_desc *d;
	char name[128];
	int opt, ret = 0;

	while ((opt = getopt(argc, argv, "f:t:q")) != -1) {
		if (opt == 'f')
			rules = optarg;
		else if (opt == 't')
			seconds = atof(optarg);
		else if (opt == 'q')
			quiet = true;
		else
			return usage();
	}
	if (optind != argc - 1 || rules == NULL ||
	    strncmp(argv[optind], "netmap:", 7) != 0)
		return usage();
	if (load_rules(rules, &rs) < 0) {
		free_rules(&rs);
		return 2;
	}
	/* IF* : every NIC ring and the host ring pair, one memory region */
	snprintf(name, sizeof(name), "%s*", argv[optind]);
	d = nm_open(name, NULL, 0, NULL);
	if (d == NULL) {
		fprintf(stderr, PROG ": cannot open %s: %s\n", name,
			strerror(errno));
		free_rules(&rs);
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (run(d, &rs, seconds, quiet, &c) < 0) {
		fprintf(stderr, PROG ": %s: %s\n", argv[optind],
			strerror(errno));
		ret = 1;
	}
	ioctl(d->fd, NIOCTXSYNC, NULL); /* what is still in the tx rings */
	printf("passed_in=%llu passed_out=%llu blocked_in=%llu "
	       "blocked_out=%llu\n",
	       (unsigned long long)c.passed[DIR_IN],
	       (unsigned long long)c.passed[DIR_OUT],
	       (unsigned long long)c.blocked[DIR_IN],
	       (unsigned long long)c.blocked[DIR_OUT]);
	nm_close(d);
	free_rules(&rs);
	return ret;
}
