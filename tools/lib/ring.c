// SPDX-License-Identifier: BSD-2-Clause
/* Whole frames in and out of netmap rings. */
#include <string.h>

#include "ring.h"

uint32_t ring_frame_slots(const struct netmap_ring *ring, uint32_t i)
{
	uint32_t n = 1;

	while (ring->slot[i].flags & NS_MOREFRAG) {
		i = i + 1 == ring->num_slots ? 0 : i + 1;
		if (i == ring->tail)
			return 0;
		n++;
	}
	return n;
}

size_t ring_frame_len(const struct netmap_ring *ring, uint32_t i,
		      uint32_t nslots)
{
	size_t len = 0;

	for (; nslots; nslots--) {
		len += ring->slot[i].len;
		i = i + 1 == ring->num_slots ? 0 : i + 1;
	}
	return len;
}

const uint8_t *ring_frame_bytes(struct netmap_ring *ring, uint32_t i,
				uint32_t nslots, uint8_t *buf, size_t *len)
{
	struct netmap_slot *s = &ring->slot[i];
	size_t total = 0, chunk;

	if (nslots == 1) {
		*len = s->len;
		return (const uint8_t *)NETMAP_BUF(ring, s->buf_idx);
	}
	for (; nslots; nslots--, i = nm_ring_next(ring, i)) {
		s = &ring->slot[i];
		chunk = s->len;
		if (total + chunk > RING_GATHER_MAX)
			chunk = RING_GATHER_MAX - total;
		memcpy(buf + total, NETMAP_BUF(ring, s->buf_idx), chunk);
		total += chunk;
	}
	*len = total;
	return buf;
}

uint32_t ring_slots_for(const struct netmap_ring *ring, size_t len)
{
	return len ? (len + ring->nr_buf_size - 1) / ring->nr_buf_size : 1;
}

uint32_t ring_put_frame(struct netmap_ring *ring, uint32_t cur,
			const uint8_t *frame, size_t len)
{
	size_t off = 0, chunk;
	struct netmap_slot *slot;

	for (;;) {
		slot = &ring->slot[cur];
		chunk = len - off;
		if (chunk > ring->nr_buf_size)
			chunk = ring->nr_buf_size;
		memcpy(NETMAP_BUF(ring, slot->buf_idx), frame + off, chunk);
		slot->len = (uint16_t)chunk;
		off += chunk;
		cur = nm_ring_next(ring, cur);
		if (off == len) {
			slot->flags &= ~NS_MOREFRAG;
			return cur;
		}
		slot->flags |= NS_MOREFRAG;
	}
}
