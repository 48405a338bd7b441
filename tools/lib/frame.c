// SPDX-License-Identifier: BSD-2-Clause
/* Building and parsing UDP/IPv4 test frames. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frame.h"

#define IP_PROTO_UDP 17

uint16_t frame_csum(const uint8_t *p, size_t len)
{
	uint32_t sum = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += frame_get16(p + i);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void build_eth(uint8_t *p, const struct frame_addr *a)
{
	memcpy(p, a->dst_mac, 6);
	memcpy(p + 6, a->src_mac, 6);
	frame_put16(p + 12, FRAME_IPV4_TYPE);
}

static void build_ipv4(uint8_t *p, size_t ip_len, const struct frame_addr *a)
{
	memset(p, 0, FRAME_IP_LEN);
	p[0] = 0x45; /* version 4, 5 words */
	frame_put16(p + 2, (uint16_t)ip_len);
	p[6] = 0x40; /* don't fragment */
	p[8] = 64;   /* TTL */
	p[9] = IP_PROTO_UDP;
	memcpy(p + 12, &a->src_ip, 4);
	memcpy(p + 16, &a->dst_ip, 4);
	frame_put16(p + 10, frame_csum(p, FRAME_IP_LEN));
}

static void build_udp(uint8_t *p, size_t udp_len, const struct frame_addr *a)
{
	frame_put16(p, a->sport);
	frame_put16(p + 2, a->dport);
	frame_put16(p + 4, (uint16_t)udp_len);
	frame_put16(p + 6, 0); /* no checksum: allowed over IPv4 */
}

void frame_build_udp(uint8_t *buf, size_t len, const struct frame_addr *a)
{
	size_t ip_len = len - FRAME_ETH_LEN;

	build_eth(buf, a);
	build_ipv4(buf + FRAME_ETH_LEN, ip_len, a);
	build_udp(buf + FRAME_ETH_LEN + FRAME_IP_LEN, ip_len - FRAME_IP_LEN, a);
}

enum frame_verdict frame_parse_udp(const uint8_t *buf, size_t len,
				   struct frame_udp *u)
{
	const uint8_t *ip = buf + FRAME_ETH_LEN;
	const uint8_t *udp = ip + FRAME_IP_LEN;
	size_t ihl;

	if (len < FRAME_HDR_LEN || frame_get16(buf + 12) != FRAME_IPV4_TYPE ||
	    (ip[0] >> 4) != 4 || ip[9] != IP_PROTO_UDP)
		return FRAME_NOT_UDP;
	memcpy(&u->src_ip, ip + 12, 4);
	memcpy(&u->dst_ip, ip + 16, 4);
	u->sport = frame_get16(udp);
	u->dport = frame_get16(udp + 2);
	u->ip_len = frame_get16(ip + 2);
	u->payload_off = FRAME_HDR_LEN;
	u->payload_len = frame_get16(udp + 4) - FRAME_UDP_LEN;
	ihl = (size_t)(ip[0] & 0xf) * 4;
	if (ihl != FRAME_IP_LEN || frame_csum(ip, FRAME_IP_LEN) != 0 ||
	    u->ip_len + FRAME_ETH_LEN > len ||
	    frame_get16(udp + 4) != u->ip_len - FRAME_IP_LEN)
		return FRAME_UDP_BAD;
	return FRAME_UDP_OK;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Exactly six two-digit hex bytes: "aa:bb:cc:dd:ee:ff" or with '-'. */
int frame_parse_mac(const char *s, uint8_t mac[6])
{
	int i, hi, lo;

	if (strlen(s) != 17)
		return -1;
	for (i = 0; i < 6; i++, s += 3) {
		hi = hex_digit(s[0]);
		lo = hex_digit(s[1]);
		if (hi < 0 || lo < 0 || (i < 5 && s[2] != ':' && s[2] != '-'))
			return -1;
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

int frame_parse_ipv4(const char *s, struct in_addr *ip)
{
	return inet_pton(AF_INET, s, ip) == 1 ? 0 : -1;
}

void frame_format_mac(const uint8_t mac[6], char *buf, size_t len)
{
	snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1],
		 mac[2], mac[3], mac[4], mac[5]);
}

/* "PORT[-PORT]" */
static int parse_port_range(const char *s, uint16_t *lo, uint16_t *hi)
{
	unsigned long a, b;
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	a = strtoul(s, &end, 10);
	b = a;
	if (*end == '-') {
		if (end[1] < '0' || end[1] > '9')
			return -1;
		b = strtoul(end + 1, &end, 10);
	}
	if (*end || a > 65535 || b > 65535 || b < a)
		return -1;
	*lo = (uint16_t)a;
	*hi = (uint16_t)b;
	return 0;
}

/* A dotted quad of at most @n characters of @s, into host order. */
static int parse_ip_n(const char *s, size_t n, uint32_t *ip)
{
	char buf[INET_ADDRSTRLEN];
	struct in_addr a;

	if (n == 0 || n >= sizeof(buf))
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (frame_parse_ipv4(buf, &a))
		return -1;
	*ip = ntohl(a.s_addr);
	return 0;
}

/* pkt-gen's form "IP:PORT-IP:PORT" */
static int parse_pktgen_range(const char *s, const char *dash,
			      struct frame_range *r)
{
	const char *c1 = strchr(s, ':'), *c2 = strchr(dash, ':');
	char ports[16];

	if (!c1 || c1 > dash || !c2)
		return -1;
	if (parse_ip_n(s, c1 - s, &r->ip_lo) ||
	    parse_ip_n(dash + 1, c2 - dash - 1, &r->ip_hi))
		return -1;
	if ((size_t)(dash - c1) > 6 || strlen(c2 + 1) > 5)
		return -1;
	snprintf(ports, sizeof(ports), "%.*s-%s", (int)(dash - c1 - 1), c1 + 1,
		 c2 + 1);
	r->has_port = 1;
	return parse_port_range(ports, &r->port_lo, &r->port_hi);
}

int frame_parse_range(const char *s, struct frame_range *r)
{
	const char *colon = strchr(s, ':');
	size_t ip_part = colon ? (size_t)(colon - s) : strlen(s);
	const char *dash = memchr(s, '-', ip_part);

	memset(r, 0, sizeof(*r));
	if (colon && strchr(colon, '-') && strchr(colon + 1, ':')) {
		if (parse_pktgen_range(s, strchr(colon, '-'), r))
			return -1;
		return r->ip_hi < r->ip_lo ? -1 : 0;
	}
	if (dash) {
		if (parse_ip_n(s, dash - s, &r->ip_lo) ||
		    parse_ip_n(dash + 1, ip_part - (dash - s) - 1, &r->ip_hi))
			return -1;
	} else {
		if (parse_ip_n(s, ip_part, &r->ip_lo))
			return -1;
		r->ip_hi = r->ip_lo;
	}
	if (r->ip_hi < r->ip_lo)
		return -1;
	if (!colon)
		return 0;
	r->has_port = 1;
	return parse_port_range(colon + 1, &r->port_lo, &r->port_hi);
}

uint64_t frame_range_size(const struct frame_range *r)
{
	uint64_t n = (uint64_t)r->ip_hi - r->ip_lo + 1;

	if (r->has_port)
		n *= (uint64_t)r->port_hi - r->port_lo + 1;
	return n;
}
