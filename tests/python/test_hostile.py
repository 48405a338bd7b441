"""A peer scribbles on the shared rings (here: the test itself, through
ctypes): the bindings raise or clamp, they never read or write outside
the region.  Without the checks these would crash the interpreter."""
import ctypes
import struct

import pytest

from conftest import frame

NIFP_SIZE = 56  # struct netmap_if; ring_ofs[] follows
TAIL, SLOTS = 28, 256  # in struct netmap_ring (tests/unit/abi-layout.txt)
SLOT_SIZE = 16  # buf_idx u32, len u16, flags u16, ptr u64


def rx_ring_address(port):
    """Address of the port's first rx ring, from its netmap_if."""
    view = port.nifp()
    base = ctypes.addressof(ctypes.c_char.from_buffer(view))
    ntx = struct.unpack_from("=I", view, 24)[0] + \
        struct.unpack_from("=I", view, 36)[0]
    ofs = ctypes.c_ssize_t.from_address(base + NIFP_SIZE + 8 * ntx).value
    del view  # the memoryview would keep the port from closing
    return base + ofs


def u32(addr):
    return ctypes.c_uint32.from_address(addr)


def test_layout_assumption(pipe):
    _, s = pipe
    ring = rx_ring_address(s)
    assert u32(ring + 8).value == s.rx_rings[0].num_slots
    assert u32(ring + TAIL).value == s.rx_rings[0].tail


def test_tail_beyond_the_ring(pipe):
    m, s = pipe
    m.send([frame(1)])
    s.sync_rx()
    rx = s.rx_rings[0]
    tail = u32(rx_ring_address(s) + TAIL)
    good = tail.value
    tail.value = rx.num_slots + 5
    try:
        with pytest.raises(OSError):
            rx.tail
        with pytest.raises(OSError):
            rx.space()
        with pytest.raises(OSError):
            s.recv(timeout=0)
    finally:
        tail.value = good
    assert s.recv(timeout=0) == [frame(1)]


def test_buf_idx_outside_the_region(pipe):
    m, s = pipe
    m.send([frame(2)])
    s.sync_rx()
    rx = s.rx_rings[0]
    slot = rx_ring_address(s) + SLOTS + SLOT_SIZE * rx.head
    idx = u32(slot)
    good = idx.value
    idx.value = 0xFFFFFFF0
    try:
        with pytest.raises(ValueError):
            rx.slots[rx.head].buf
        with pytest.raises(OSError):
            s.recv(timeout=0)
    finally:
        idx.value = good
    assert s.recv(timeout=0) == [frame(2)]


def test_len_beyond_the_buffer(pipe):
    m, s = pipe
    m.send([frame(3, 100)])
    s.sync_rx()
    rx = s.rx_rings[0]
    ctypes.c_uint16.from_address(
        rx_ring_address(s) + SLOTS + SLOT_SIZE * rx.head + 4).value = 60000
    got = s.recv(timeout=0)
    assert [len(f) for f in got] == [rx.nr_buf_size]  # clamped
    assert got[0][:100] == frame(3, 100)
