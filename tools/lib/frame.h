/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Test frames: Ethernet + IPv4 + UDP headers (42 bytes) built into a buffer,
 * parsed back, and the address syntax of the command line.
 */
#ifndef TOOLS_FRAME_H
#define TOOLS_FRAME_H

#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#define FRAME_ETH_LEN	14
#define FRAME_IP_LEN	20
#define FRAME_UDP_LEN	8
#define FRAME_HDR_LEN	(FRAME_ETH_LEN + FRAME_IP_LEN + FRAME_UDP_LEN)
#define FRAME_MIN_LEN	60 /* Ethernet's minimum without FCS */
#define FRAME_MAX_LEN	9000
#define FRAME_IPV4_TYPE 0x0800

struct frame_addr {
	uint8_t src_mac[6], dst_mac[6];
	struct in_addr src_ip, dst_ip; /* network order */
	uint16_t sport, dport;	       /* host order */
};

/* What frame_parse_udp() found in a frame. */
struct frame_udp {
	struct in_addr src_ip, dst_ip;
	uint16_t sport, dport; /* host order */
	size_t ip_len;	       /* IPv4 total length */
	size_t payload_off;    /* from the frame's start */
	size_t payload_len;    /* from the UDP length */
};

enum frame_verdict {
	FRAME_UDP_OK,  /* IPv4/UDP with consistent lengths, good checksum */
	FRAME_NOT_UDP, /* not IPv4 or not UDP: someone else's frame */
	FRAME_UDP_BAD, /* IPv4/UDP, but lengths or checksum are wrong */
};

/*
 * Writes the 42 header bytes of a UDP/IPv4 frame of @len bytes in total
 * (payload included) into @buf: IPv4 checksum set, UDP checksum 0 (none).
 * The payload, after FRAME_HDR_LEN, is left to the caller.
 */
void frame_build_udp(uint8_t *buf, size_t len, const struct frame_addr *a);

/* The Internet checksum of @len bytes, ready to store big-endian. */
uint16_t frame_csum(const uint8_t *p, size_t len);

/* Parses the headers of the @len bytes at @buf. */
enum frame_verdict frame_parse_udp(const uint8_t *buf, size_t len,
				   struct frame_udp *u);

/* "aa:bb:cc:dd:ee:ff" (or '-' separators); 0 or -1. */
int frame_parse_mac(const char *s, uint8_t mac[6]);

/* Dotted quad into network order; 0 or -1. */
int frame_parse_ipv4(const char *s, struct in_addr *ip);

void frame_format_mac(const uint8_t mac[6], char *buf, size_t len);

/* An address range and, optionally, a UDP port range; bounds included. */
struct frame_range {
	uint32_t ip_lo, ip_hi;	   /* host order */
	uint16_t port_lo, port_hi; /* valid when has_port */
	int has_port;
};

/*
 * Parses "IP[-IP][:PORT[-PORT]]" (or pkt-gen's "IP:PORT-IP:PORT") into @r;
 * 0, or -1 if malformed or a range runs backwards.
 */
int frame_parse_range(const char *s, struct frame_range *r);

/* Addresses times ports in @r (ports count 1 when it has none). */
uint64_t frame_range_size(const struct frame_range *r);

/* Big-endian loads and stores at any alignment. */
static inline uint16_t frame_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline void frame_put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static inline uint64_t frame_get64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static inline void frame_put64(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 7; i >= 0; i--, v >>= 8)
		p[i] = v & 0xff;
}

#endif /* TOOLS_FRAME_H */
