/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What the files of libnetmap share and do not export.  The library
 * speaks to the device through open/ioctl/mmap/close only, so it works on
 * pktmap and on netmap alike.
 */
#ifndef PKTMAP_LIBNETMAP_NMLIB_H
#define PKTMAP_LIBNETMAP_NMLIB_H

#include <libnetmap.h>

#define NM_PUBLIC __attribute__((visibility("default")))

/*
 * An undo action of a port: parse and the extmem/offset calls push them,
 * undo_parse pops them newest first.  Each is one allocation that holds
 * what its undo needs.
 */
struct nmport_cleanup_d {
	struct nmport_cleanup_d *next;
	void (*cleanup)(struct nmport_cleanup_d *c, struct nmport_d *d);
};

void nmport_push_cleanup(struct nmport_d *d, struct nmport_cleanup_d *c);
void nmport_pop_cleanup(struct nmport_d *d);
/* Pops every action pushed after @mark (NULL: all of them). */
void nmport_cleanup_to(struct nmport_d *d, struct nmport_cleanup_d *mark);

/* The list of the options a portspec may carry. */
extern struct nmreq_opt_parser *nmport_opt_parsers;

/* Parses a decimal in [min, max] for @what; -1 with EINVAL and a message. */
int nm_parse_number(struct nmctx *ctx, const char *what, const char *s,
		    unsigned long long min, unsigned long long max,
		    unsigned long long *out);

#endif /* PKTMAP_LIBNETMAP_NMLIB_H */
