/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Opening netmap ports for the tools, through libnetmap's nmport_* API, with
 * the tools' error contract: a malformed port name is bad usage (exit 2), a
 * port the device refuses is a runtime error (exit 1).
 */
#ifndef TOOLS_PORT_H
#define TOOLS_PORT_H

#include <libnetmap.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Opens @spec, a portspec ("netmap:veth0-1", "vale0:a"); a bare interface
 * name gets "netmap:" in front.  Exits on error, naming the port and why.
 */
struct nmport_d *port_open(const char *spec);

void port_close(struct nmport_d *d);

/* The spec as port_open() uses it: "netmap:" added to a bare name. */
void port_full_name(const char *spec, char *buf, size_t len);

/* The MAC address of the interface behind "netmap:NAME..."; 0 or -1. */
int port_iface_mac(const char *spec, uint8_t mac[6]);

/* Whether the two ports share a memory region (buffers can be swapped). */
int port_same_memory(const struct nmport_d *a, const struct nmport_d *b);

#endif /* TOOLS_PORT_H */
