/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * GSO frames from the stack's side, for the host-ring tests: plain packet
 * socket, no netmap.
 *
 *   host-gso IFNAME DST_MAC SRC_IP DST_IP GSO_SIZE PAYLOAD COUNT
 *       sends COUNT TCP/IPv4 frames of PAYLOAD bytes out of IFNAME, each
 *       one a GSO frame cut at GSO_SIZE bytes (a virtio_net_hdr through
 *       PACKET_VNET_HDR, as a VM's tap would give it), through the qdisc
 *       and tc egress; prints "sent=COUNT".
 *
 * Exit 0 when all were sent, 1 otherwise, 2 for a bad command line.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <linux/virtio_net.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/ether.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define HLEN (14 + 20 + 20)

static void put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint32_t sum16(const uint8_t *p, size_t len, uint32_t sum)
{
	for (; len > 1; p += 2, len -= 2)
		sum += (uint32_t)(p[0] << 8 | p[1]);
	return len ? sum + ((uint32_t)p[0] << 8) : sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* Ethernet, IPv4, TCP: the TCP checksum holds the pseudo header's sum,
 * as a partial checksum (NEEDS_CSUM) wants. */
static size_t build(uint8_t *f, const struct ether_addr *dst, uint32_t src_ip,
		    uint32_t dst_ip, size_t payload, uint32_t seq)
{
	uint8_t *ip = f + 14, *tcp = ip + 20;

	memset(f, 0, HLEN);
	memcpy(f, dst, 6);
	memcpy(f + 6, "\x02\x00\x00\x00\x00\x09", 6);
	put16(f + 12, ETHERTYPE_IP);
	ip[0] = 0x45;
	put16(ip + 2, (uint32_t)(20 + 20 + payload));
	ip[8] = 64;
	ip[9] = IPPROTO_TCP;
	memcpy(ip + 12, &src_ip, 4);
	memcpy(ip + 16, &dst_ip, 4);
	put16(ip + 10, (uint16_t)~fold(sum16(ip, 20, 0)));
	put16(tcp, 7009);
	put16(tcp + 2, 7010);
	put16(tcp + 4, seq >> 16);
	put16(tcp + 6, seq);
	tcp[12] = 5 << 4;
	tcp[13] = 0x18; /* PSH, ACK */
	put16(tcp + 14, 65535);
	for (size_t i = 0; i < payload; i++)
		f[HLEN + i] = (uint8_t)('a' + i % 26);
	uint32_t pseudo = sum16(ip + 12, 8, IPPROTO_TCP + 20 + payload);
	put16(tcp + 16, fold(pseudo));
	return HLEN + payload;
}

int main(int argc, char **argv)
{
	struct ether_addr *mac = argc == 8 ? ether_aton(argv[2]) : NULL;
	struct in_addr src, dst;

	if (!mac || inet_pton(AF_INET, argv[3], &src) != 1 ||
	    inet_pton(AF_INET, argv[4], &dst) != 1) {
		fprintf(stderr, "usage: host-gso IFNAME DST_MAC SRC_IP DST_IP "
				"GSO_SIZE PAYLOAD COUNT\n");
		return 2;
	}
	struct ether_addr to = *mac;
	int gso = atoi(argv[5]), count = atoi(argv[7]), one = 1;
	size_t payload = strtoul(argv[6], NULL, 0);
	struct sockaddr_ll ll = {.sll_family = AF_PACKET,
				 .sll_ifindex = (int)if_nametoindex(argv[1])};
	int fd = socket(AF_PACKET, SOCK_RAW, 0);
	uint8_t *buf = calloc(1, sizeof(struct virtio_net_hdr) + HLEN + payload);

	if (fd < 0 || !buf || !ll.sll_ifindex ||
	    setsockopt(fd, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof(one)) ||
	    bind(fd, (void *)&ll, sizeof(ll))) {
		printf("error=%s\n", strerror(errno));
		return 1;
	}
	struct virtio_net_hdr vh = {
	    .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
	    .gso_type = VIRTIO_NET_HDR_GSO_TCPV4,
	    .hdr_len = HLEN,
	    .gso_size = (uint16_t)gso,
	    .csum_start = 14 + 20,
	    .csum_offset = 16,
	};
	memcpy(buf, &vh, sizeof(vh));
	int sent = 0;
	for (; sent < count; sent++) {
		size_t len = sizeof(vh) + build(buf + sizeof(vh), &to,
						src.s_addr, dst.s_addr,
						payload, 1000u * (uint32_t)sent);
		if (send(fd, buf, len, 0) != (ssize_t)len) {
			printf("sent=%d error=%s\n", sent, strerror(errno));
			return 1;
		}
	}
	printf("sent=%d\n", sent);
	return 0;
}
