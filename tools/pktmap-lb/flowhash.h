/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A symmetric flow hash of Ethernet frames: both directions of a
 * connection hash alike, so a load balancer keeps a whole conversation on
 * one consumer.
 *
 *   IPv4/IPv6 TCP, UDP, UDP-Lite, SCTP   addresses, ports and protocol
 *   other IP, and IP fragments           addresses and protocol
 *   anything else                        MAC addresses and ethertype
 *
 * Up to two VLAN tags (802.1Q, 802.1ad) are skipped; IPv6 extension
 * headers are walked to the transport header.
 */
#ifndef LB_FLOWHASH_H
#define LB_FLOWHASH_H

#include <stddef.h>
#include <stdint.h>

/* Which headers the hash was taken from. */
enum flow_kind { FLOW_L4, FLOW_L3, FLOW_L2 };

/* The hash of the @len bytes of a frame at @frame; sets *@kind. */
uint32_t flow_hash(const uint8_t *frame, size_t len, enum flow_kind *kind);

#endif /* LB_FLOWHASH_H */
