/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The sync prologue and epilogue: netmap's ring contract, in one place.
 *
 * The application owns [head, tail).  Before a sync trusts anything it
 * checks that head and cur lie in their legal window and that every slot it
 * is about to consume names a real buffer with a length that fits.  A bad
 * value reinitialises the ring as netmap does and fails the sync with
 * EINVAL; it never reaches another ring or another process.
 */
#include "core.h"

#include <errno.h>
#include <string.h>
#include <sys/time.h>

/*
 * head may move from where it was (rhead) up to tail, never back; cur lies
 * between the new head and tail.
 */
static bool pointers_ok(const struct pm_kring *k, uint32_t head, uint32_t cur)
{
	return head < k->nslots && cur < k->nslots &&
	       pm_in_window(head, k->rhead, k->hwtail) &&
	       pm_in_window(cur, head, k->hwtail);
}

/* netmap_ring_reinit: back to the library's view; bad slots neutralised. */
static void ring_reinit(struct pm_kring *k)
{
	struct netmap_ring *ring = k->ring;

	pm_log("%s %s ring %u: reinit (head %u cur %u hwcur %u hwtail %u)",
	       k->port->name, k->dir == PM_TX ? "tx" : "rx", k->id, ring->head,
	       ring->cur, k->hwcur, k->hwtail);
	ring->head = ring->cur = k->rhead = k->rcur = k->mon_sent = k->hwcur;
	*(volatile uint32_t *)&ring->tail = k->rtail = k->hwtail;
	for (uint32_t i = 0; i < k->nslots; i++) {
		struct netmap_slot *s = &ring->slot[i];
		struct pm_slot_copy c = pm_slot_read(s);
		if (!pm_buf_ok(k, c.idx)) {
			s->buf_idx = 0;
			s->len = 0;
		} else if (c.len > k->buf_size) {
			s->len = 0;
		}
	}
}

static void publish_tail(struct pm_kring *k)
{
	k->rtail = k->hwtail;
	__atomic_store_n((uint32_t *)&k->ring->tail, k->hwtail,
			 __ATOMIC_RELEASE);
}

/*
 * How far a tx sync may send: up to head, stopping before a frame whose
 * NS_MOREFRAG chain is not complete yet (it waits for the next sync) and at
 * the first bad slot (*bad is set).  The adapters read the slots again, as
 * pm_read_frame does: what another thread changes meanwhile costs at worst
 * its own frame.
 */
static uint32_t tx_sendable_end(const struct pm_kring *k, uint32_t head,
				bool *bad)
{
	uint32_t i = k->hwcur, frame_start = i, frags = 0;

	*bad = false;
	while (i != head) {
		struct pm_slot_copy s = pm_slot_read(&k->ring->slot[i]);
		if (!pm_slot_ok(k, s) || ++frags > NETMAP_MAX_FRAGS) {
			*bad = true;
			return frame_start;
		}
		i = pm_next(k, i);
		if (!(s.flags & NS_MOREFRAG)) {
			frame_start = i;
			frags = 0;
		}
	}
	return frame_start;
}

int pm_txsync(struct pm_kring *k)
{
	struct netmap_ring *ring = k->ring;
	uint32_t head = __atomic_load_n(&ring->head, __ATOMIC_ACQUIRE);
	uint32_t cur = ring->cur, end;
	bool bad;
	int err;

	if (unlikely(!pointers_ok(k, head, cur))) {
		ring_reinit(k);
		return -EINVAL;
	}
	k->rhead = head;
	k->rcur = cur;
	end = tx_sendable_end(k, head, &bad);
	/*
	 * Monitors see frames as they are handed to the port, before it
	 * sends them: a pipe's send swaps its buffers away.  Frames an
	 * adapter keeps for a later sync are not seen twice.
	 */
	if (unlikely(pm_monitored(k))) {
		uint32_t from = pm_in_window(k->mon_sent, k->hwcur, end)
				    ? k->mon_sent
				    : k->hwcur;
		if (from != end)
			pm_monitor_frames(k, from, end, PM_MON_SENT);
	}
	k->mon_sent = end;
	err = k->port->ops->txsync(k, end);
	publish_tail(k);
	if (ring->flags & NR_TIMESTAMP)
		gettimeofday(&ring->ts, NULL);
	if (unlikely(bad && k->hwcur == end)) {
		ring_reinit(k);
		return -EINVAL;
	}
	return err;
}

int pm_rxsync(struct pm_kring *k)
{
	struct netmap_ring *ring = k->ring;
	uint32_t head = __atomic_load_n(&ring->head, __ATOMIC_ACQUIRE);
	uint32_t cur = ring->cur;
	int err;

	if (unlikely(!pointers_ok(k, head, cur))) {
		ring_reinit(k);
		return -EINVAL;
	}
	/* slots [hwcur, head) come back: they will be filled again */
	for (uint32_t i = k->hwcur; i != head; i = pm_next(k, i)) {
		struct netmap_slot *s = &ring->slot[i];
		struct pm_slot_copy c = pm_slot_read(s);
		if (unlikely(!pm_buf_ok(k, c.idx))) {
			k->hwcur = k->rhead = i;
			ring_reinit(k);
			return -EINVAL;
		}
		s->flags = c.flags & (uint16_t)~NS_BUF_CHANGED;
	}
	if (unlikely(pm_monitored(k)) && k->hwcur != head)
		pm_monitor_frames(k, k->hwcur, head, PM_MON_RELEASED);
	k->hwcur = k->rhead = head;
	k->rcur = cur;
	uint32_t arrived_from = k->hwtail;
	err = k->port->ops->rxsync(k);
	if (unlikely(pm_monitored(k)) && k->hwtail != arrived_from)
		pm_monitor_frames(k, arrived_from, k->hwtail, PM_MON_ARRIVED);
	if (unlikely(k->scatter_bad)) { /* the application wrote free slots */
		k->scatter_bad = false;
		ring_reinit(k);
		return -EINVAL;
	}
	publish_tail(k);
	return err;
}

static int sync_one(struct pm_kring *k)
{
	int err;

	if (atomic_flag_test_and_set_explicit(&k->busy, memory_order_acquire))
		return 0; /* another thread syncs it now, as netmap skips */
	err = k->dir == PM_TX ? pm_txsync(k) : pm_rxsync(k);
	atomic_flag_clear_explicit(&k->busy, memory_order_release);
	return err;
}

/* Syncs every ring the file bound in one direction; the first error wins. */
int pm_file_sync(struct pm_file *f, enum pm_dir dir)
{
	struct pm_port *p = f->port;
	int err = 0;

	if (unlikely(!p))
		return -ENXIO;
	if (unlikely(atomic_load(&p->dead)))
		return -ENXIO;
	for (uint32_t i = f->first[dir]; i < f->last[dir]; i++) {
		int e = sync_one(&p->rings[dir][i]);
		if (e && !err)
			err = e;
	}
	if (err == -ENXIO)
		atomic_store(&p->dead, true);
	return err;
}

/* Slot @i, emptied, and its buffer if it names one of the pool. */
static uint8_t *scatter_slot(struct pm_kring *k, uint32_t i)
{
	struct netmap_slot *slot = &k->ring->slot[i];
	uint32_t idx = *(volatile uint32_t *)&slot->buf_idx;

	slot->len = 0;
	slot->flags = 0;
	if (likely(pm_buf_ok(k, idx)))
		return (uint8_t *)pm_buf(k, idx);
	k->scatter_bad = true;
	return NULL;
}

/*
 * Copies a frame made of @np pieces into slots from @i on, NS_MOREFRAG on
 * all but the last; at most @max slots.  Returns the slots used.  Each
 * slot's buffer index is read once; a bad one is skipped (scatter_bad).
 */
uint32_t pm_scatter(struct pm_kring *k, uint32_t i, const struct pm_piece *pc,
		    int np, uint32_t max)
{
	struct netmap_slot *slot = &k->ring->slot[i];
	uint8_t *dst = scatter_slot(k, i);
	uint32_t used = 1, room = k->buf_size, filled = 0;

	for (int n = 0; n < np; n++) {
		const uint8_t *src = pc[n].p;
		uint32_t len = pc[n].len;
		while (len > 0) {
			if (room == 0) {
				slot->len = (uint16_t)filled;
				if (used == max)
					return used;
				slot->flags = NS_MOREFRAG;
				i = pm_next(k, i);
				slot = &k->ring->slot[i];
				dst = scatter_slot(k, i);
				room = k->buf_size;
				filled = 0;
				used++;
			}
			uint32_t c = len < room ? len : room;
			if (likely(dst != NULL)) {
				memcpy(dst, src, c);
				dst += c;
				filled += c;
			}
			src += c;
			len -= c;
			room -= c;
		}
	}
	slot->len = (uint16_t)filled;
	return used;
}
