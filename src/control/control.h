/* SPDX-License-Identifier: BSD-2-Clause */
/* The control layer: what an ioctl on a netmap file does. */
#ifndef PKTMAP_CONTROL_H
#define PKTMAP_CONTROL_H

#include "core/core.h"

/* Returns 0 or a negative errno, as the kernel's netmap_ioctl. */
int pm_ioctl(struct pm_file *f, unsigned long req, void *arg);

/* Is @req one of netmap's ioctls (worth checking an unknown fd for)? */
bool pm_is_netmap_request(unsigned long req);

/* The shim's epoll: drops the watches of a descriptor being closed. */
void pm_epoll_forget(int fd);
/* ... of descriptors [lo, hi] (close_range, closefrom). */
void pm_epoll_forget_range(unsigned lo, unsigned hi);

#endif
