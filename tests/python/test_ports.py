"""Frames through every port type: exact counts, contents, ring pointers."""
import pytest

import pktmap
from conftest import frame, recv_exactly


def roundtrip(tx, rx, frames):
    assert tx.send(frames) == len(frames)
    got = recv_exactly(rx, len(frames))
    assert got == frames
    assert rx.recv(timeout=0) == []  # nothing more than was sent


def test_pipe_batch(pipe):
    m, s = pipe
    roundtrip(m, s, [frame(i, 60 + i) for i in range(100)])
    roundtrip(s, m, [frame(i, 1514) for i in range(100)])


def test_vale_batch(vale):
    a, b = vale
    roundtrip(a, b, [frame(i, 60 + i % 1400) for i in range(300)])
    roundtrip(b, a, [frame(i) for i in range(3)])


def test_veth_batch(veth):
    a, b = veth
    roundtrip(a, b, [frame(i, 60 + i) for i in range(200)])
    assert a.stats()["tx_packets"] == 200
    assert b.stats()["rx_packets"] == 200
    assert b.stats()["rx_bytes"] == sum(60 + i for i in range(200))


def test_more_frames_than_slots(pipe):
    """send() waits for room: 3000 frames through 1024-slot rings."""
    m, s = pipe
    frames = [frame(i) for i in range(3000)]
    got = []
    for k in range(0, 3000, 500):
        assert m.send(frames[k:k + 500]) == 500
        got += recv_exactly(s, 500)
    assert got == frames


@pytest.mark.parametrize("size", [2048, 2049, 5000, 9000])
def test_multislot_pipe(pipe, size):
    """Frames longer than a buffer go as NS_MOREFRAG chains."""
    m, s = pipe
    buf = m.tx_rings[0].nr_buf_size
    assert buf == 2048
    ring = s.rx_rings[0]
    head = ring.head
    frames = [frame(7, size), frame(8, 60)]
    assert m.send(frames) == 2
    s.sync_rx()
    slots = -(-size // buf)
    assert ring.space() == slots + 1
    chain = [ring.slots[(head + k) % ring.num_slots] for k in range(slots)]
    assert [c.flags & pktmap.NS_MOREFRAG for c in chain] == \
        [pktmap.NS_MOREFRAG] * (slots - 1) + [0]
    assert [c.len for c in chain] == \
        [buf] * (slots - 1) + [size - buf * (slots - 1)]
    assert s.recv() == frames


def test_multislot_veth(veth):
    a, b = veth
    frames = [frame(1, 5000), frame(2, 60), frame(3, 9000)]
    roundtrip(a, b, frames)


def test_frame_too_long(pipe):
    m, _ = pipe
    with pytest.raises(ValueError):
        m.send([bytes(2048 * pktmap.NETMAP_MAX_FRAGS + 1)])


def test_raw_ring_access(pipe):
    """Fill tx slots through memoryviews, move head/cur, sync; read back
    from the peer's rx ring without a copy."""
    m, s = pipe
    tx, rx = m.tx_rings[0], s.rx_rings[0]
    assert (tx.head, tx.cur, tx.tail) == (0, 0, tx.num_slots - 1)
    assert tx.dir == 0 and rx.dir == 1
    for i in range(10):
        slot = tx.slots[tx.head]
        f = frame(i, 100)
        slot.buf[:100] = f
        slot.len = 100
        tx.head = tx.cur = tx.next(tx.head)
    m.sync_tx()
    s.sync_rx()
    assert (rx.head, rx.tail) == (0, 10)
    assert rx.space() == 10 and not rx.empty()
    for i in range(10):
        slot = rx[rx.head]
        with slot.buf as view:
            assert bytes(view[:slot.len]) == frame(i, 100)
        rx.head = rx.cur = rx.next(rx.head)
    s.sync_rx()
    assert rx.empty()


def test_slot_buffer_is_shared_memory(pipe):
    """A write through one memoryview is seen through another: no copy."""
    m, _ = pipe
    slot = m.tx_rings[0].slots[5]
    with slot.buf as a, slot.buf as b:
        a[0:4] = b"abcd"
        assert bytes(b[0:4]) == b"abcd"
        assert len(a) == m.tx_rings[0].nr_buf_size
        assert not a.readonly


def test_close_with_live_view(pipe):
    m, _ = pipe
    view = m.tx_rings[0].slots[0].buf
    with pytest.raises(BufferError):
        m.close()
    view.release()
    m.close()
    assert m.closed
    with pytest.raises(ValueError):
        m.tx_rings


def test_ring_outlives_port():
    with pktmap.Port("netmap:lo{77") as p:
        ring = p.tx_rings[0]
        slot = ring.slots[0]
    with pytest.raises(ValueError):
        ring.head
    with pytest.raises(ValueError):
        slot.len


def test_ring_index_checked(pipe):
    m, _ = pipe
    tx = m.tx_rings[0]
    with pytest.raises(ValueError):
        tx.head = tx.num_slots
    with pytest.raises(ValueError):
        tx.slots[0].buf_idx = 1 << 31
    with pytest.raises(ValueError):
        tx.slots[0].len = 1 << 16
    assert tx.head == 0


def test_info(pipe, veth):
    m, _ = pipe
    a, _ = veth
    info = m.info
    assert (info.tx_rings, info.rx_rings) == (1, 1)
    assert (info.tx_slots, info.rx_slots) == (1024, 1024)
    assert info.buf_size == 2048 and info.drops == 0
    # pipes of lo and every NIC port live in the one region of NIC ports
    assert info.mem_id == a.info.mem_id
    assert a.registration()["host_tx_rings"] == 1
    assert a.ring(1, tx=True) is None  # the host ring, not bound here
    assert a.ring(0, tx=True) is a.tx_rings[0]


def test_host_rings(veth_names):
    """netmap:IF^ sees what the stack sends on IF."""
    import socket
    a, b = veth_names
    with pktmap.Port("netmap:%s^" % a) as host:
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
        s.bind((a, 0))
        frames = [frame(i, 80) for i in range(5)]
        for f in frames:
            s.send(f)
        s.close()
        assert recv_exactly(host, 5) == frames


def test_monitor_vale(vale):
    """A /t monitor copies what its port transmits, /r what it receives."""
    a, b = vale
    with pktmap.Port(a.name + "/t") as tmon, pktmap.Port(b.name + "/r") as rmon:
        frames = [frame(i) for i in range(4)]
        assert a.send(frames) == 4
        assert recv_exactly(b, 4) == frames
        assert recv_exactly(tmon, 4) == frames
        assert recv_exactly(rmon, 4) == frames


def test_monitor_pipe(pipe):
    m, s = pipe
    with pktmap.Port(m.name + "/t") as mon:
        frames = [frame(i) for i in range(4)]
        m.send(frames)
        assert recv_exactly(s, 4) == frames
        assert recv_exactly(mon, 4, rounds=50) == frames
