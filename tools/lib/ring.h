/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Frames on netmap rings: a frame is one slot, or a chain of slots with
 * NS_MOREFRAG on all but the last.
 */
#ifndef TOOLS_RING_H
#define TOOLS_RING_H

#include <stddef.h>
#include <stdint.h>
#include <net/netmap_user.h>

/* Room for any frame the tools gather: beyond the largest IPv4 frame. */
#define RING_GATHER_MAX (65536 + 4096)

/* Slots of the frame starting at slot @i, or 0 if it runs past tail. */
uint32_t ring_frame_slots(const struct netmap_ring *ring, uint32_t i);

/* Bytes of the @nslots-slot frame at slot @i. */
size_t ring_frame_len(const struct netmap_ring *ring, uint32_t i,
		      uint32_t nslots);

/*
 * The frame's bytes: in place when it is one slot, else gathered into @buf
 * (RING_GATHER_MAX bytes; longer chains are cut).  Sets *@len.
 */
const uint8_t *ring_frame_bytes(struct netmap_ring *ring, uint32_t i,
				uint32_t nslots, uint8_t *buf, size_t *len);

/* Slots a frame of @len bytes takes. */
uint32_t ring_slots_for(const struct netmap_ring *ring, size_t len);

/*
 * Copies @len bytes into the TX slots from @cur on, chaining with
 * NS_MOREFRAG when needed; returns the slot after the frame.  The caller
 * checked the room (ring_slots_for()).
 */
uint32_t ring_put_frame(struct netmap_ring *ring, uint32_t cur,
			const uint8_t *frame, size_t len);

#endif /* TOOLS_RING_H */
