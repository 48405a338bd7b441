/* SPDX-License-Identifier: BSD-2-Clause */
/* The host rings of an AF_PACKET port: the interface detached from the stack.
 */
#ifndef PKTMAP_HOST_H
#define PKTMAP_HOST_H

#include "core/core.h"

/* skb->mark of frames the host tx ring sends into the stack ("pkmp") */
#define PM_HOST_MARK 0x706b6d70
/* skb->mark of the stack's frames, captured, on their way to be dropped */
#define PM_STACK_MARK 0x706b6d71

struct pm_host;

/*
 * Detaches @ifname from the stack until pm_host_reattach() or the process
 * exits; frames the stack sends, up to @maxlen bytes kept of each, wait for
 * pm_host_rxsync().  -EBUSY if another process detached it.
 */
int pm_host_detach(const char *ifname, int ifindex, uint32_t maxlen,
		   struct pm_host **out);
void pm_host_reattach(struct pm_host *h);
/* Has some process detached the interface @ifindex? */
bool pm_host_detached(int ifindex);
int pm_host_rxsync(struct pm_kring *k, struct pm_host *h);
int pm_host_wait_fd(const struct pm_host *h);
/* Frames the stack sent while the host rx ring's buffer was full. */
uint64_t pm_host_drops(const struct pm_host *h);

#endif
