"""pytest fixtures for pktmap's Python bindings.

The session runs in a network namespace of its own, which conftest makes
(unshare) before any test: veths and IPv6 settings never touch the host.  The
package comes from build/python (make all), libpktmap from build/lib.
select/selectors/asyncio tests need libpktmap interposed (tests/run sets
LD_PRELOAD); without it they skip.
"""
import ctypes
import itertools
import os
import subprocess
import sys

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.path.join(ROOT, "build", "python")
sys.path.insert(0, BUILD)

CLONE_NEWNS, CLONE_NEWNET = 0x00020000, 0x40000000
MS_REC, MS_PRIVATE, MNT_DETACH = 0x4000, 0x40000, 2


def _private_netns():
    """A new network namespace for the session (nested if already private),
    with a /sys of its own, as `ip netns exec` does: pktmap reads
    /sys/class/net/IF."""
    libc = ctypes.CDLL(None, use_errno=True)

    def check(ret, what):
        if ret != 0:
            raise OSError(ctypes.get_errno(), what)
    check(libc.unshare(CLONE_NEWNET | CLONE_NEWNS), "unshare")
    check(libc.mount(None, b"/", None, MS_REC | MS_PRIVATE, None), "mount /")
    check(libc.umount2(b"/sys", MNT_DETACH), "umount /sys")
    check(libc.mount(b"sysfs", b"/sys", b"sysfs", 0, None), "mount /sys")
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    for key in ("all", "default"):
        with open("/proc/sys/net/ipv6/conf/%s/disable_ipv6" % key, "w") as f:
            f.write("1")


_private_netns()

import pktmap  # noqa: E402  (after sys.path and the namespace)

_ids = itertools.count(1)


def unique():
    return "%d%d" % (os.getpid() % 10000, next(_ids))


def frame(i, size=60, proto=0x88B5):
    """A broadcast Ethernet frame of @size bytes whose payload tells i."""
    head = b"\xff" * 6 + b"\x02\x00\x00\x00\x00\x01" + proto.to_bytes(2, "big")
    body = i.to_bytes(4, "big") + bytes((i + k) & 0xFF for k in range(size))
    return (head + body)[:size]


@pytest.fixture
def pipe():
    """(master, slave): the two ends of a new pipe of lo."""
    n = unique()
    with pktmap.Port("netmap:lo{" + n) as m, pktmap.Port("netmap:lo}" + n) as s:
        yield m, s


@pytest.fixture
def vale():
    """(a, b): two ports of a new VALE switch."""
    sw = "vale" + unique()
    with pktmap.Port(sw + ":a") as a, pktmap.Port(sw + ":b") as b:
        yield a, b


@pytest.fixture
def veth_names():
    """A veth pair (both ends here, MTU 9000, no IPv6); removed after."""
    n = unique()
    a, b = "pya" + n, "pyb" + n
    subprocess.run(["ip", "link", "add", a, "mtu", "9000", "type", "veth",
                    "peer", "name", b, "mtu", "9000"], check=True)
    try:
        for ifname in (a, b):
            subprocess.run(["ip", "link", "set", ifname, "up"], check=True)
        yield a, b
    finally:
        subprocess.run(["ip", "link", "del", a], check=False)


@pytest.fixture
def veth(veth_names):
    a, b = veth_names
    with pktmap.Port("netmap:" + a) as pa, pktmap.Port("netmap:" + b) as pb:
        yield pa, pb


def recv_exactly(port, n, rounds=2000):
    """Frames until @n arrived; bounded by rounds of 10 ms, never a
    timing assertion: a loaded machine only makes it take longer."""
    got = []
    for _ in range(rounds):
        got += port.recv(max=n - len(got), timeout=0.01)
        if len(got) >= n:
            break
    return got


needs_interposition = pytest.mark.skipif(
    not pktmap.interposed,
    reason="libpktmap not interposed (run under LD_PRELOAD, as tests/run)")
