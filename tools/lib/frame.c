// SPDX-License-Identifier: BSD-2-Clause
/* Building and parsing UDP/IPv4 test frames. */
#include <arpa/inet.h>
#include <stdio.h>
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
