// SPDX-License-Identifier: BSD-2-Clause
/*
 * vale-ctl: manages VALE switches with netmap's vale-ctl options: persistent
 * ports (NEWIF, DELIF), interfaces attached to a switch and detached from
 * it (ATTACH, DETACH), the list of ports (LIST) and a port's rings and
 * memory (PORT_INFO_GET, POOLS_INFO_GET).  Every request is one NIOCCTRL on
 * a /dev/netmap descriptor: the public API only.
 *
 * Commands run in the order given and the first failure stops the rest, so
 * `vale-ctl -n p0 -a vale0:p0` creates a port and attaches it.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <libnetmap.h>
#include <net/netmap_user.h>

#include "log.h"
#include "opts.h"

#define MAX_CMDS 64

enum cmd_kind {
	CMD_LIST,
	CMD_INFO,
	CMD_NEWIF,
	CMD_DELETE, /* -r, or -d with a bare name: a persistent port */
	CMD_ATTACH,
	CMD_ATTACH_HOST,
	CMD_DETACH, /* -d, or -r with valeX:Y */
	CMD_POLL_ON,
	CMD_POLL_OFF,
};

struct cmd {
	enum cmd_kind kind;
	const char *name; /* NULL: -l without a port */
};

struct cfg {
	struct cmd cmds[MAX_CMDS];
	int ncmds;
	uint32_t conf[4]; /* -C: up to four numbers */
	int nconf;
	uint16_t mem_id; /* -m */
};

static int netmap_fd = -1;

static void usage(int status)
{
	fprintf(
	    status ? stderr : stdout,
	    "usage: vale-ctl [-l [valeX:Y]] [-n NAME [-C SPEC] [-m MEMID]]\n"
	    "                [-r NAME] [-a valeX:IF] [-h valeX:IF] "
	    "[-d valeX:IF]\n"
	    "                [-g PORT] [-p valeX:IF [-C x,y,z]] "
	    "[-P valeX:IF]\n"
	    "  (no option)    list every port of every switch\n"
	    "  -l [valeX:Y]   list every port, or the indexes of one\n"
	    "  -n NAME        create persistent port NAME (netmap:NAME)\n"
	    "  -C SPEC        with -n: tx_slots[,rx_slots[,tx_rings"
	    "[,rx_rings]]]\n"
	    "                 with -p: mode,first_cpu[,cpus]\n"
	    "  -m MEMID       with -n: the memory region to ask for\n"
	    "  -r NAME        delete persistent port NAME (-d NAME too)\n"
	    "  -a valeX:IF    attach interface or persistent port IF\n"
	    "  -h valeX:IF    attach IF with its host rings "
	    "(port valeX:IF^)\n"
	    "  -d valeX:IF    detach IF from the switch\n"
	    "  -g PORT        rings, slots and memory of PORT\n"
	    "  -p/-P valeX:IF start/stop polling (not supported)\n"
	    "  --help         show this help\n"
	    "  --version      show the version\n");
	exit(status);
}

/* A VALE port name: "vale" and a ':' with something after it. */
static bool is_vale_port(const char *name)
{
	const char *colon = strchr(name, ':');

	return strncmp(name, NM_BDG_NAME, strlen(NM_BDG_NAME)) == 0 && colon &&
	       colon[1] != '\0';
}

static uint32_t parse_number(const char *s)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || end == s || *end || v > UINT32_MAX || *s == '-')
		log_die(2, "bad number '%s'", s);
	return (uint32_t)v;
}

/* -C x[,y[,z[,w]]] */
static void parse_conf(struct cfg *c, const char *spec)
{
	char *copy = strdup(spec), *save = NULL, *tok;

	if (!copy)
		log_die(1, "out of memory");
	c->nconf = 0;
	for (tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (c->nconf == 4)
			log_die(2, "-C %s: at most four numbers", spec);
		c->conf[c->nconf++] = parse_number(tok);
	}
	free(copy);
}

static void add_cmd(struct cfg *c, enum cmd_kind kind, const char *name)
{
	if (c->ncmds == MAX_CMDS)
		log_die(2, "at most %d commands", MAX_CMDS);
	if (name && strlen(name) >= NETMAP_REQ_IFNAMSIZ)
		log_die(2, "%s: name longer than %d characters", name,
			NETMAP_REQ_IFNAMSIZ - 1);
	c->cmds[c->ncmds++] = (struct cmd){kind, name};
}

/* -d and -r: a valeX:Y name is detached, a bare name deleted. */
static enum cmd_kind detach_or_delete(const char *name)
{
	return is_vale_port(name) ? CMD_DETACH : CMD_DELETE;
}

/* Long options only: -h is netmap's attach with host rings. */
#define HELP_CODE 1
#define VERSION_CODE 2

static void parse_args(struct cfg *c, int argc, char **argv)
{
	static const struct option lo[] = {
	    {"help", no_argument, NULL, HELP_CODE},
	    {"version", no_argument, NULL, VERSION_CODE},
	    {NULL, 0, NULL, 0},
	};
	int ch;

	while ((ch = getopt_long(argc, argv, "la:h:d:n:r:g:p:P:C:m:", lo,
				 NULL)) != -1) {
		switch (ch) {
		case HELP_CODE:
			usage(0);
			break;
		case VERSION_CODE:
			opts_version("vale-ctl");
		case 'l': /* the port is optional: netmap's takes one */
			if (optind < argc && argv[optind][0] != '-')
				add_cmd(c, CMD_LIST, argv[optind++]);
			else
				add_cmd(c, CMD_LIST, NULL);
			break;
		case 'a':
			add_cmd(c, CMD_ATTACH, optarg);
			break;
		case 'h':
			add_cmd(c, CMD_ATTACH_HOST, optarg);
			break;
		case 'd':
		case 'r':
			add_cmd(c, detach_or_delete(optarg), optarg);
			break;
		case 'n':
			add_cmd(c, CMD_NEWIF, optarg);
			break;
		case 'g':
			add_cmd(c, CMD_INFO, optarg);
			break;
		case 'p':
			add_cmd(c, CMD_POLL_ON, optarg);
			break;
		case 'P':
			add_cmd(c, CMD_POLL_OFF, optarg);
			break;
		case 'C':
			parse_conf(c, optarg);
			break;
		case 'm':
			c->mem_id = (uint16_t)parse_number(optarg);
			break;
		default:
			usage(2);
		}
	}
	if (optind != argc)
		usage(2);
	if (c->ncmds == 0)
		add_cmd(c, CMD_LIST, NULL);
}

/* ---- requests ------------------------------------------------------------ */

/* One NIOCCTRL request on @name; 0 or an errno value. */
static int request(uint16_t type, const char *name, void *body)
{
	struct nmreq_header hdr;

	nmreq_header_init(&hdr, type, body);
	snprintf(hdr.nr_name, sizeof(hdr.nr_name), "%s", name ? name : "");
	if (ioctl(netmap_fd, NIOCCTRL, &hdr) == 0)
		return 0;
	return errno;
}

/* The request failed: a netmap-like message, and the command fails. */
static int failed(const char *what, const char *name, int err)
{
	log_err("unable to %s %s: %s", what, name, strerror(err));
	return 1;
}

static int list_one(const char *name)
{
	struct nmreq_vale_list req = {0};
	int err = request(NETMAP_REQ_VALE_LIST, name, &req);

	if (err)
		return failed("obtain info for", name, err);
	printf("%s at bridge:%u port:%u\n", name, req.nr_bridge_idx,
	       req.nr_port_idx);
	return 0;
}

/* Every port: an empty name and the next index until ENOENT. */
static int list_all(void)
{
	struct nmreq_vale_list req = {0};
	struct nmreq_header hdr;

	for (;; req.nr_port_idx++) {
		nmreq_header_init(&hdr, NETMAP_REQ_VALE_LIST, &req);
		if (ioctl(netmap_fd, NIOCCTRL, &hdr) < 0)
			break;
		printf("bridge:%u port:%u %s\n", req.nr_bridge_idx,
		       req.nr_port_idx, hdr.nr_name);
	}
	if (errno != ENOENT)
		return failed("list", "the VALE ports", errno);
	return 0;
}

static int new_port(const struct cfg *c, const char *name)
{
	struct nmreq_vale_newif req = {.nr_mem_id = c->mem_id};

	/* netmap's order: tx slots, rx slots, tx rings, rx rings */
	if (c->nconf > 0)
		req.nr_tx_slots = req.nr_rx_slots = c->conf[0];
	if (c->nconf > 1)
		req.nr_rx_slots = c->conf[1];
	if (c->nconf > 2)
		req.nr_tx_rings = req.nr_rx_rings = (uint16_t)c->conf[2];
	if (c->nconf > 3)
		req.nr_rx_rings = (uint16_t)c->conf[3];
	int err = request(NETMAP_REQ_VALE_NEWIF, name, &req);
	return err ? failed("create", name, err) : 0;
}

static int delete_port(const char *name)
{
	int err = request(NETMAP_REQ_VALE_DELIF, name, NULL);

	return err ? failed("delete", name, err) : 0;
}

static int attach(const char *name, bool host)
{
	struct nmreq_vale_attach req = {
	    .reg = {.nr_mode = host ? NR_REG_NIC_SW : NR_REG_ALL_NIC}};
	int err;

	if (!is_vale_port(name))
		return failed("attach", name, EINVAL);
	err = request(NETMAP_REQ_VALE_ATTACH, name, &req);
	return err ? failed("attach", name, err) : 0;
}

static int detach(const char *name)
{
	struct nmreq_vale_detach req = {0};
	int err = request(NETMAP_REQ_VALE_DETACH, name, &req);

	return err ? failed("detach", name, err) : 0;
}

/* netmap's -C x,y,z for polling: mode (0 one cpu, 1 a cpu per ring). */
static int polling(const struct cfg *c, const char *name, bool on)
{
	struct nmreq_vale_polling req = {
	    .nr_mode = c->nconf > 0 && c->conf[0]
			   ? NETMAP_POLLING_MODE_MULTI_CPU
			   : NETMAP_POLLING_MODE_SINGLE_CPU,
	    .nr_first_cpu_id = c->nconf > 1 ? c->conf[1] : 0,
	    .nr_num_polling_cpus = c->nconf > 2 ? c->conf[2] : 1,
	};
	int err = request(on ? NETMAP_REQ_VALE_POLLING_ENABLE
			     : NETMAP_REQ_VALE_POLLING_DISABLE,
			  name, &req);

	if (err == EOPNOTSUPP)
		log_err("polling mode needs netmap's kernel threads; pktmap "
			"has none (ports are driven by their own processes)");
	return err ? failed(on ? "start polling on" : "stop polling on", name,
			    err)
		   : 0;
}

static void print_pools(const char *name, uint16_t mem_id)
{
	struct nmreq_pools_info pi = {0};
	int err = request(NETMAP_REQ_POOLS_INFO_GET, name, &pi);

	if (err) {
		log_warn("%s: no pool information: %s", name, strerror(err));
		return;
	}
	if (pi.nr_mem_id != mem_id) {
		log_warn("%s: pool information is for memory id %u, not %u",
			 name, pi.nr_mem_id, mem_id);
		return;
	}
	printf("if_objtotal=%u if_objsize=%u ring_objtotal=%u "
	       "ring_objsize=%u buf_objtotal=%u buf_objsize=%u\n",
	       pi.nr_if_pool_objtotal, pi.nr_if_pool_objsize,
	       pi.nr_ring_pool_objtotal, pi.nr_ring_pool_objsize,
	       pi.nr_buf_pool_objtotal, pi.nr_buf_pool_objsize);
}

/* netmap's "-g" line, then the port's geometry and memory. */
static int port_info(const char *name)
{
	struct nmreq_port_info_get info = {0};
	int err;

	/* the request wants the bare name, as nmport_open sends it */
	if (strncmp(name, "netmap:", 7) == 0)
		name += 7;
	err = request(NETMAP_REQ_PORT_INFO_GET, name, &info);

	if (err)
		return failed("get info for", name, err);
	printf("%s: %u queues.\n", name, info.nr_rx_rings);
	printf("memsize=%llu mem_id=%u tx_rings=%u rx_rings=%u tx_slots=%u "
	       "rx_slots=%u host_tx_rings=%u host_rx_rings=%u\n",
	       (unsigned long long)info.nr_memsize, info.nr_mem_id,
	       info.nr_tx_rings, info.nr_rx_rings, info.nr_tx_slots,
	       info.nr_rx_slots, info.nr_host_tx_rings, info.nr_host_rx_rings);
	print_pools(name, info.nr_mem_id);
	return 0;
}

static int run(const struct cfg *c, const struct cmd *cmd)
{
	switch (cmd->kind) {
	case CMD_LIST:
		return cmd->name ? list_one(cmd->name) : list_all();
	case CMD_INFO:
		return port_info(cmd->name);
	case CMD_NEWIF:
		return new_port(c, cmd->name);
	case CMD_DELETE:
		return delete_port(cmd->name);
	case CMD_ATTACH:
		return attach(cmd->name, false);
	case CMD_ATTACH_HOST:
		return attach(cmd->name, true);
	case CMD_DETACH:
		return detach(cmd->name);
	case CMD_POLL_ON:
		return polling(c, cmd->name, true);
	case CMD_POLL_OFF:
		return polling(c, cmd->name, false);
	}
	return 1;
}

int main(int argc, char **argv)
{
	static struct cfg c;

	log_init(argv[0]);
	if (argc == 2 && strcmp(argv[1], "--help") == 0)
		usage(0);
	parse_args(&c, argc, argv);
	netmap_fd = open("/dev/netmap", O_RDWR | O_CLOEXEC);
	if (netmap_fd < 0)
		log_die(1, "unable to open /dev/netmap: %s", strerror(errno));
	for (int i = 0; i < c.ncmds; i++)
		if (run(&c, &c.cmds[i]))
			return 1;
	fflush(stdout);
	return 0;
}
