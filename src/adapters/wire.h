/* SPDX-License-Identifier: BSD-2-Clause */
/* Frames as they go on a wire: checksums finished, GSO frames cut. */
#ifndef PKTMAP_WIRE_H
#define PKTMAP_WIRE_H

#include <stdbool.h>
#include <stdint.h>

/* An IPv4 or IPv6 frame carrying TCP or UDP: its headers, copied. */
struct pm_l4 {
	uint8_t hdr[192]; /* Ethernet to the end of the TCP/UDP header */
	uint32_t hlen, l3, l4;
	bool v6;
	uint8_t proto;
};

uint16_t pm_get16(const uint8_t *p);
void pm_put16(uint8_t *p, uint32_t v);

/* Copies the headers of @p (@len bytes) into @f; false if not TCP/UDP. */
bool pm_l4_parse(const uint8_t *p, uint32_t len, struct pm_l4 *f);
/* Sets lengths and checksums in @f->hdr for @plen bytes of @payload. */
void pm_l4_finish(struct pm_l4 *f, const uint8_t *payload, uint32_t plen);
/* Finishes the checksums of a whole frame in place; false if not TCP/UDP. */
bool pm_wire_finish_csum(uint8_t *frame, uint32_t len);

#endif
