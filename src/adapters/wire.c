/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Frames as they go on a wire.  Linux leaves some work for the last steps
 * of transmit, after where pktmap sees a frame: checksums of TCP (always)
 * and UDP (on devices that offload them), and the cutting of GSO frames.
 * A virtual wire (veth) even delivers frames in that state.  These helpers
 * finish the job on a copy of the headers.
 */
#include "wire.h"

#include <linux/if_ether.h>
#include <netinet/in.h>
#include <string.h>

uint16_t pm_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

void pm_put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint64_t csum_add(uint64_t sum, const uint8_t *p, uint32_t len)
{
	for (; len > 1; p += 2, len -= 2)
		sum += pm_get16(p);
	return len ? sum + ((uint32_t)p[0] << 8) : sum;
}

static uint16_t csum_fold(uint64_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

bool pm_l4_parse(const uint8_t *p, uint32_t len, struct pm_l4 *f)
{
	uint32_t l3 = ETH_HLEN, l4;
	uint16_t type = len >= ETH_HLEN ? pm_get16(p + 12) : 0;

	if ((type == ETH_P_8021Q || type == ETH_P_8021AD) && len >= l3 + 4) {
		type = pm_get16(p + 16);
		l3 += 4;
	}
	if (type == ETH_P_IP && len >= l3 + 20) {
		f->v6 = false;
		f->proto = p[l3 + 9];
		l4 = l3 + (uint32_t)(p[l3] & 0xf) * 4;
	} else if (type == ETH_P_IPV6 && len >= l3 + 40) {
		f->v6 = true;
		f->proto = p[l3 + 6]; /* extension headers: left as they are */
		l4 = l3 + 40;
	} else {
		return false;
	}
	if (f->proto == IPPROTO_TCP && len >= l4 + 20)
		f->hlen = l4 + (uint32_t)(p[l4 + 12] >> 4) * 4;
	else if (f->proto == IPPROTO_UDP)
		f->hlen = l4 + 8;
	else
		return false;
	if (f->hlen > len || f->hlen > sizeof(f->hdr) || l4 <= l3)
		return false;
	f->l3 = l3;
	f->l4 = l4;
	memcpy(f->hdr, p, f->hlen);
	return true;
}

void pm_l4_finish(struct pm_l4 *f, const uint8_t *payload, uint32_t plen)
{
	uint8_t *h = f->hdr;
	uint32_t l4len = f->hlen - f->l4 + plen;
	uint64_t sum;

	if (f->v6) {
		pm_put16(h + f->l3 + 4, l4len);
		sum = csum_add(0, h + f->l3 + 8, 32);
	} else {
		pm_put16(h + f->l3 + 2, f->l4 - f->l3 + l4len);
		pm_put16(h + f->l3 + 10, 0);
		pm_put16(h + f->l3 + 10,
			 csum_fold(csum_add(0, h + f->l3, f->l4 - f->l3)));
		sum = csum_add(0, h + f->l3 + 12, 8);
	}
	sum += f->proto + l4len;
	uint8_t *check = h + f->l4 + (f->proto == IPPROTO_TCP ? 16 : 6);
	if (f->proto == IPPROTO_UDP)
		pm_put16(h + f->l4 + 4, l4len);
	pm_put16(check, 0);
	sum = csum_add(sum, h + f->l4, f->hlen - f->l4); /* even length */
	uint16_t c = csum_fold(csum_add(sum, payload, plen));
	pm_put16(check, f->proto == IPPROTO_UDP && c == 0 ? 0xffff : c);
}

bool pm_wire_finish_csum(uint8_t *frame, uint32_t len)
{
	struct pm_l4 f;

	if (!pm_l4_parse(frame, len, &f))
		return false;
	pm_l4_finish(&f, frame + f.hlen, len - f.hlen);
	memcpy(frame, f.hdr, f.hlen);
	return true;
}
