// SPDX-License-Identifier: BSD-2-Clause
/*
 * The flow hash of pktmap-lb.  Each end of a conversation (address and
 * port) is hashed on its own; the two end hashes are ordered before they
 * are combined, which is what makes the result the same both ways.
 */
#include <stdbool.h>

#include "flowhash.h"

#define ETH_HDR_LEN	 14
#define ETHERTYPE_IPV4	 0x0800
#define ETHERTYPE_IPV6	 0x86dd
#define ETHERTYPE_VLAN	 0x8100
#define ETHERTYPE_QINQ	 0x88a8
#define MAX_VLAN_TAGS	 2
#define MAX_IPV6_HEADERS 8

#define IPPROTO_HOPOPTS_ 0
#define IPPROTO_TCP_	 6
#define IPPROTO_UDP_	 17
#define IPPROTO_ROUTING_ 43
#define IPPROTO_FRAG_	 44
#define IPPROTO_AH_	 51
#define IPPROTO_DSTOPTS_ 60
#define IPPROTO_SCTP_	 132
#define IPPROTO_UDPLITE_ 136

/* Any constant: the hash only has to be the same in every run. */
#define SEED 0x706b6c62u

/* Tags in the combined word, so that the three kinds never mix. */
#define KIND_L3 0x100u
#define KIND_L2 0x20000u

/* The network layer of a frame, as far as the hash needs it. */
struct l3 {
	const uint8_t *src, *dst; /* addresses, @alen bytes each */
	unsigned int alen;
	uint8_t proto;	   /* transport protocol */
	const uint8_t *l4; /* transport header, @l4len bytes in the frame */
	size_t l4len;
	bool fragment; /* a piece of a fragmented datagram: no ports */
};

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/* Folds @v into @h: the multiply carries low bits up, the shift back. */
static uint32_t mix(uint32_t h, uint32_t v)
{
	h ^= v;
	h *= 0x9e3779b1u;
	return h ^ (h >> 15);
}

/* Lets every input bit reach every output bit (murmur3's finaliser). */
static uint32_t avalanche(uint32_t h)
{
	h ^= h >> 16;
	h *= 0x85ebca6bu;
	h ^= h >> 13;
	h *= 0xc2b2ae35u;
	return h ^ (h >> 16);
}

/* One end of a conversation: an IP address and a port (0 when none). */
static uint32_t ip_end(const uint8_t *addr, unsigned int alen, uint16_t port)
{
	uint32_t h = SEED;
	unsigned int i;

	for (i = 0; i < alen; i += 4)
		h = mix(h, get32(addr + i));
	return avalanche(mix(h, port));
}

static uint32_t mac_end(const uint8_t *mac)
{
	return avalanche(mix(mix(SEED, get32(mac)), get16(mac + 4)));
}

/* Both ends, in an order that does not depend on the direction. */
static uint32_t conversation(uint32_t a, uint32_t b, uint32_t what)
{
	uint32_t lo = a < b ? a : b, hi = a < b ? b : a;

	return avalanche(mix(mix(mix(SEED, lo), hi), what));
}

static bool has_ports(uint8_t proto)
{
	return proto == IPPROTO_TCP_ || proto == IPPROTO_UDP_ ||
	       proto == IPPROTO_SCTP_ || proto == IPPROTO_UDPLITE_;
}

static int parse_ipv4(const uint8_t *p, size_t len, struct l3 *l)
{
	size_t ihl;

	if (len < 20 || p[0] >> 4 != 4)
		return -1;
	ihl = (p[0] & 0xfu) * 4u;
	if (ihl < 20 || ihl > len)
		return -1;
	l->src = p + 12;
	l->dst = p + 16;
	l->alen = 4;
	l->proto = p[9];
	l->fragment = (get16(p + 6) & 0x3fff) != 0; /* MF, or an offset */
	l->l4 = p + ihl;
	l->l4len = len - ihl;
	return 0;
}

/* Length of the IPv6 extension header @nh at @h, or 0 if @nh is none. */
static size_t ipv6_ext_len(uint8_t nh, const uint8_t *h)
{
	switch (nh) {
	case IPPROTO_HOPOPTS_:
	case IPPROTO_ROUTING_:
	case IPPROTO_DSTOPTS_:
		return (h[1] + 1u) * 8u;
	case IPPROTO_AH_:
		return (h[1] + 2u) * 4u;
	case IPPROTO_FRAG_:
		return 8;
	default:
		return 0;
	}
}

static int parse_ipv6(const uint8_t *p, size_t len, struct l3 *l)
{
	size_t off = 40, ext;
	uint8_t nh;
	int i;

	if (len < 40 || p[0] >> 4 != 6)
		return -1;
	l->src = p + 8;
	l->dst = p + 24;
	l->alen = 16;
	l->fragment = false;
	nh = p[6];
	for (i = 0; i < MAX_IPV6_HEADERS && off + 8 <= len; i++) {
		ext = ipv6_ext_len(nh, p + off);
		if (!ext)
			break;
		/* offset or M set; an atomic fragment is whole */
		if (nh == IPPROTO_FRAG_ && (get16(p + off + 2) & 0xfff9))
			l->fragment = true;
		nh = p[off];
		off += ext;
	}
	l->proto = nh;
	l->l4 = p + (off < len ? off : len);
	l->l4len = off < len ? len - off : 0;
	return 0;
}

static uint32_t l2_hash(const uint8_t *f, size_t len, uint16_t type)
{
	if (len < 12)
		return conversation(0, 0, KIND_L2);
	return conversation(mac_end(f), mac_end(f + 6), KIND_L2 | type);
}

uint32_t flow_hash(const uint8_t *f, size_t len, enum flow_kind *kind)
{
	size_t off = ETH_HDR_LEN;
	struct l3 l;
	uint16_t type;
	int i, err = -1;

	*kind = FLOW_L2;
	if (len < ETH_HDR_LEN)
		return l2_hash(f, len, 0);
	type = get16(f + 12);
	for (i = 0; i < MAX_VLAN_TAGS && off + 4 <= len &&
		    (type == ETHERTYPE_VLAN || type == ETHERTYPE_QINQ);
	     i++) {
		type = get16(f + off + 2);
		off += 4;
	}
	if (type == ETHERTYPE_IPV4)
		err = parse_ipv4(f + off, len - off, &l);
	else if (type == ETHERTYPE_IPV6)
		err = parse_ipv6(f + off, len - off, &l);
	if (err)
		return l2_hash(f, len, type);
	if (!l.fragment && has_ports(l.proto) && l.l4len >= 4) {
		*kind = FLOW_L4;
		return conversation(ip_end(l.src, l.alen, get16(l.l4)),
				    ip_end(l.dst, l.alen, get16(l.l4 + 2)),
				    l.proto);
	}
	*kind = FLOW_L3;
	return conversation(ip_end(l.src, l.alen, 0), ip_end(l.dst, l.alen, 0),
			    KIND_L3 | l.proto);
}
