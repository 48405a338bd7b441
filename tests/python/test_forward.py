"""Zero-copy forwarding: buffers change places, bytes are not copied."""
import pytest

import pktmap
from conftest import frame, recv_exactly, unique


@pytest.fixture
def two_pipes():
    a, b = unique(), unique()
    ports = [pktmap.Port("netmap:lo%s%s" % (e, n))
             for n in (a, b) for e in "{}"]
    yield ports  # m1, s1, m2, s2
    for p in ports:
        p.close()


def test_forward_swaps_buffers(two_pipes):
    m1, s1, m2, s2 = two_pipes
    frames = [frame(i, 60 + i) for i in range(50)] + [frame(99, 5000)]
    assert m1.send(frames) == 51
    s1.sync_rx()
    rx = s1.rx_rings[0]
    head = rx.head
    idx_in = [rx.slots[(head + k) % rx.num_slots].buf_idx for k in range(53)]
    assert s1.forward(m2) == 51
    assert rx.head == (head + 53) % rx.num_slots  # 50 + a 3-slot chain
    # the rx slots got the tx ring's spare buffers, marked changed
    assert all(rx.slots[(head + k) % rx.num_slots].flags &
               pktmap.NS_BUF_CHANGED for k in range(53))
    m2.sync_tx()
    s2.sync_rx()
    out = s2.rx_rings[0]
    h2 = out.head
    idx_out = [out.slots[(h2 + k) % out.num_slots].buf_idx for k in range(53)]
    assert idx_out == idx_in  # the very buffers the frames arrived in
    assert s2.recv() == frames


def test_forward_respects_room(two_pipes):
    """Only as many frames move as the tx ring has room for."""
    m1, s1, m2, s2 = two_pipes
    tx = m2.tx_rings[0]
    junk = [frame(1000 + i) for i in range(tx.space() - 10)]
    assert m2.send(junk) == len(junk)  # s2 does not read: room stays 10
    assert tx.space() == 10
    frames = [frame(i) for i in range(15)]
    assert m1.send(frames) == 15
    s1.sync_rx()
    assert s1.forward(m2) == 10
    assert tx.space() == 0
    assert s1.rx_rings[0].space() == 5
    m2.sync_tx()
    assert recv_exactly(s2, len(junk) + 10) == junk + frames[:10]


def test_forward_max(two_pipes):
    m1, s1, m2, s2 = two_pipes
    frames = [frame(i) for i in range(10)]
    m1.send(frames)
    s1.sync_rx()
    assert s1.forward(m2, max=4) == 4
    assert s1.forward(m2) == 6
    m2.sync_tx()
    assert recv_exactly(s2, 10) == frames


def test_forward_veth_to_pipe(veth):
    """A NIC port and a pipe share a region: wire frames go zero-copy."""
    a, b = veth
    n = unique()
    with pktmap.Port("netmap:lo{" + n) as pm, pktmap.Port("netmap:lo}" + n) as ps:
        frames = [frame(i, 100) for i in range(20)]
        a.send(frames)
        moved = 0
        for _ in range(2000):
            b.poll(timeout=0.01)
            moved += b.forward(pm)
            if moved == 20:
                break
        assert moved == 20
        pm.sync_tx()
        assert recv_exactly(ps, 20) == frames


def test_forward_needs_one_region(pipe, vale):
    m, s = pipe
    a, _ = vale
    assert s.info.mem_id != a.info.mem_id
    with pytest.raises(ValueError):
        s.forward(a)


def test_slot_swap(pipe):
    m, _ = pipe
    tx = m.tx_rings[0]
    x, y = tx.slots[0], tx.slots[1]
    x.len, y.len = 10, 20
    bx, by = x.buf_idx, y.buf_idx
    x.flags = y.flags = 0
    x.swap(y)
    assert (x.buf_idx, y.buf_idx, x.len, y.len) == (by, bx, 20, 10)
    assert x.flags == y.flags == pktmap.NS_BUF_CHANGED
