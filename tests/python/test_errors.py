"""Errors: OSError with errno and libpktmap's reason."""
import errno

import pytest

import netmap
import pktmap
from conftest import unique


def test_unknown_interface():
    with pytest.raises(OSError) as e:
        pktmap.Port("netmap:nosuchif0")
    assert e.value.errno == errno.ENXIO
    assert "nosuchif0" in str(e.value) and "cannot register" in str(e.value)


@pytest.mark.parametrize("name", ["bogus", "netmap:", "netmap:lo-", "vale0:a/q",
                                  "netmap:lo@conf:nokey=1"])
def test_malformed_name(name):
    with pytest.raises(OSError) as e:
        pktmap.Port(name)
    assert e.value.errno == errno.EINVAL
    assert e.value.strerror.startswith("cannot open " + name + ": ")
    assert len(e.value.strerror) > len("cannot open " + name + ": ")


def test_exclusive_busy():
    name = "vale%s:x/x" % unique()
    with pktmap.Port(name):
        with pytest.raises(OSError) as e:
            pktmap.Port(name)
        assert e.value.errno == errno.EBUSY


def test_closed_port(pipe):
    m, _ = pipe
    m.close()
    m.close()  # twice is fine
    for call in (m.sync_tx, m.sync_rx, m.stats, lambda: m.send([b"x" * 60]),
                 lambda: m.recv(timeout=0), m.poll):
        with pytest.raises(ValueError):
            call()


def test_bad_arguments(pipe):
    m, s = pipe
    with pytest.raises(ValueError):
        s.recv(timeout=-1)
    with pytest.raises(TypeError):
        m.send([object()])
    with pytest.raises(TypeError):
        m.forward("not a port")


def test_direction_missing():
    n = unique()
    with pktmap.Port("vale%s:t/T" % n) as tx_only:
        assert tx_only.rx_rings == ()
        with pytest.raises(OSError) as e:
            tx_only.recv(timeout=0)
        assert e.value.errno == errno.EOPNOTSUPP


def test_netmap_error():
    with pytest.raises(netmap.error) as e:
        netmap.NetmapDesc("netmap:nosuchif0")
    assert e.value.errno == errno.ENXIO
    assert isinstance(e.value, OSError)


def test_sync_refuses_a_bad_slot(pipe):
    """A slot longer than its buffer: txsync fails with EINVAL, as netmap's
    does, and the ring is put back as the library left it."""
    m, s = pipe
    tx = m.tx_rings[0]
    tx.slots[0].len = tx.nr_buf_size + 1
    tx.head = tx.cur = 1
    with pytest.raises(OSError) as e:
        m.sync_tx()
    assert e.value.errno == errno.EINVAL
    assert (tx.head, tx.cur, tx.tail) == (0, 0, tx.num_slots - 1)
    assert s.recv(timeout=0) == []
