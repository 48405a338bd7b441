// SPDX-License-Identifier: BSD-2-Clause
/* nmport_open() with the tools' messages and exit statuses. */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "port.h"

/* libnetmap's last message, to be part of ours instead of a second line. */
static char nm_msg[256];
static struct nmctx port_ctx;

static void keep_message(struct nmctx *ctx, const char *msg)
{
	(void)ctx;
	snprintf(nm_msg, sizeof(nm_msg), "%s", msg);
	log_debug("libnetmap: %s", msg);
}

static void use_quiet_context(void)
{
	if (port_ctx.error)
		return;
	port_ctx = *nmctx_get();
	port_ctx.error = keep_message;
	port_ctx.verbose = 1;
	nmctx_set_default(&port_ctx);
}

void port_full_name(const char *spec, char *buf, size_t len)
{
	/* "netmap:x", "valeA:b" and "x{y" forms already say what they are */
	const char *prefix = strchr(spec, ':') ? "" : "netmap:";

	snprintf(buf, len, "%s%s", prefix, spec);
}

struct nmport_d *port_open(const char *spec)
{
	char name[256];
	struct nmport_d *d;
	int err;

	use_quiet_context();
	port_full_name(spec, name, sizeof(name));
	nm_msg[0] = '\0';
	d = nmport_prepare(name);
	if (!d)
		log_die(2, "%s: not a valid port name%s%s", name,
			nm_msg[0] ? ": " : "", nm_msg);
	if (nmport_open_desc(d) < 0) {
		err = errno;
		nmport_undo_prepare(d);
		log_die(1, "cannot open %s: %s", name, strerror(err));
	}
	return d;
}

void port_close(struct nmport_d *d)
{
	nmport_close(d);
}

int port_iface_mac(const char *spec, uint8_t mac[6])
{
	struct ifreq ifr;
	const char *name = spec;
	size_t n;
	int fd, ret;

	if (!strncmp(spec, "netmap:", 7))
		name = spec + 7;
	else if (strchr(spec, ':'))
		return -1;
	n = strcspn(name, "-*^/@{}");
	if (n == 0 || n >= IFNAMSIZ)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, name, n);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	ret = ioctl(fd, SIOCGIFHWADDR, &ifr);
	close(fd);
	if (ret < 0)
		return -1;
	memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	return 0;
}

int port_same_memory(const struct nmport_d *a, const struct nmport_d *b)
{
	return a->reg.nr_mem_id == b->reg.nr_mem_id && a->mem == b->mem;
}
