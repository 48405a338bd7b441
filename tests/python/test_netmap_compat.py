"""The netmap module (netmap's extra/python classes) and its examples."""
import os
import subprocess
import sys

import pytest

import netmap
import pktmap
from conftest import BUILD, ROOT, frame, needs_interposition, recv_exactly, unique

EXAMPLES = os.path.join(ROOT, "python", "examples", "netmap")


def test_classes_are_netmaps():
    assert netmap.NetmapRing is pktmap.Ring
    assert netmap.NetmapSlot is pktmap.Slot
    for name in ("Netmap", "NetmapDesc", "NetmapInterface", "NetmapRing",
                 "NetmapSlot", "error"):
        assert hasattr(netmap, name)
    assert netmap.NsMorefrag == 0x20 and netmap.RegOneNic == 4


@pytest.mark.parametrize("args,spec", [
    (("eth0", 0, netmap.RegAllNic), "netmap:eth0"),
    (("eth0", 2, netmap.RegOneNic), "netmap:eth0-2"),
    (("eth0", netmap.HwRing | 3, 0), "netmap:eth0-3"),
    (("eth0", netmap.SwRing, 0), "netmap:eth0^"),
    (("eth0", 0, netmap.RegNicSw | netmap.RegExclusive), "netmap:eth0*/x"),
    (("x", 4, netmap.RegPipeMaster), "netmap:x{4"),
    (("vale1:a", 0, netmap.RegAllNic | netmap.RegMonitorTx), "vale1:a/t"),
])
def test_legacy_request_names(args, spec):
    assert netmap._portspec(*args) == spec


def test_netmap_manager():
    ringid = 4000 + int(unique()) % 90  # legacy ringids have 12 bits
    s = pktmap.Port("netmap:lo}%d" % ringid)
    n = netmap.Netmap()
    n.open()
    n.if_name = "lo"
    n.flags = netmap.RegPipeMaster
    n.ringid = ringid
    n.register()
    assert (n.tx_rings, n.rx_rings, n.tx_slots) == (1, 1, 1024)
    assert n.interface.name == "lo{%d" % n.ringid
    assert n.interface.version == 14
    txr = n.transmit_rings[0]
    pkt = frame(1, 70)
    txr.slots[txr.cur].buf[0:70] = pkt
    txr.slots[txr.cur].len = 70
    txr.cur = txr.head = txr.next(txr.cur)
    n.txsync()
    assert recv_exactly(s, 1) == [pkt]
    n.close()
    s.close()
    with pytest.raises(netmap.error):
        n.txsync()


def test_netmap_desc_flags(veth_names):
    a, _ = veth_names
    d = netmap.NetmapDesc("netmap:%s*" % a)
    assert d.getflags() == netmap.RegNicSw
    assert len(d.transmit_rings) == 2  # NIC ring, then the host ring
    assert d.transmit_rings[1].ringid == 1
    d.close()
    d = netmap.NetmapDesc("netmap:%s-0" % a)
    assert (d.getflags(), d.getringid()) == (netmap.RegOneNic, 0)
    d.close()


def run(script, *args, timeout=120):
    env = dict(os.environ, PYTHONPATH=BUILD)
    return subprocess.run([sys.executable, os.path.join(EXAMPLES, script)] +
                          list(args), env=env, capture_output=True, text=True,
                          timeout=timeout)


@needs_interposition
def test_tx_py():
    """tx.py's frames reach another port of its VALE switch."""
    sw = "vale%s" % unique()
    with pktmap.Port(sw + ":rx") as rx:
        out = run("tx.py", "-c", "500", sw + ":1")
        assert out.returncode == 0, out.stderr
        assert "Packets sent: 500," in out.stdout
        got = recv_exactly(rx, 500)
        assert len(got) == 500
        assert got[0] == b"\xff" * 6 + b"\0" * 6 + b"\x08\x00" + b"\0" * 46
        assert rx.recv(timeout=0) == []


@needs_interposition
def test_rx_py(vale):
    """rx.py prints the UDP frames for port 9956 only."""
    from scapy.all import IP, UDP, Ether
    a, b = vale
    good = bytes(Ether(dst="ff:ff:ff:ff:ff:ff") / IP(src="198.18.0.1",
                 dst="198.18.0.2") / UDP(sport=1, dport=9956) / (b"z" * 30))
    other = bytes(Ether(dst="ff:ff:ff:ff:ff:ff") / IP(src="198.18.0.1",
                  dst="198.18.0.2") / UDP(sport=1, dport=53) / (b"z" * 30))
    name = a.name.split(":")[0] + ":c"
    proc = subprocess.Popen(
        [sys.executable, os.path.join(EXAMPLES, "rx.py"), "-c", "2", "-t",
         "60", name], env=dict(os.environ, PYTHONPATH=BUILD),
        stdout=subprocess.PIPE, text=True)
    # the port exists once rx.py registered it: until then frames flood
    # to a and b only, so resend until rx.py has counted two
    try:
        for _ in range(600):
            a.send([other, good])
            if proc.poll() is not None:
                break
            try:
                proc.wait(timeout=0.1)
            except subprocess.TimeoutExpired:
                pass
        out, _ = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 0
    assert out.count("udp/ip pkt on my port") == 2
    assert "netmap len=%d" % len(good) in out
    assert out.strip().endswith("matched=2")


@needs_interposition
def test_pktman_tx_rx():
    """pktman.py -f tx to a VALE port, pktman.py -f rx on another.  The
    receiver outlives the sender: a VALE sender whose receiver exits
    meanwhile may die of SIGFPE in libpktmap (src/core/shrx.c room_for()
    divides by a ring size read from shared memory)."""
    sw = "vale%s" % unique()
    rx = subprocess.Popen(
        [sys.executable, os.path.join(EXAMPLES, "pktman.py"), "-i",
         sw + ":r", "-f", "rx", "-T", "3", "-w", "0"],
        env=dict(os.environ, PYTHONPATH=BUILD), stdout=subprocess.PIPE,
        text=True)
    tx = run("pktman.py", "-i", sw + ":t", "-f", "tx", "-T", "1", "-w",
             "0.5", "-l", "128")
    out, _ = rx.communicate(timeout=120)
    assert tx.returncode == 0 and rx.returncode == 0, tx.stderr
    sent = int(tx.stdout.split("Packets processed: ")[1].split(",")[0])
    got = int(out.split("Packets processed: ")[1].split(",")[0])
    assert sent > 0 and 0 < got <= sent
