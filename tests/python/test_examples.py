"""The seed deck's five samples in Python (python/examples, shown in
docs/python.md) run on veths, and the page shows them as they are."""
import os
import re
import signal
import socket
import subprocess
import sys
import time

import pktmap
from conftest import BUILD, ROOT, frame, recv_exactly, unique

EXAMPLES = os.path.join(ROOT, "python", "examples")
SAMPLES = ["01_hexdump.py", "02_nic2host.py", "03_bridge.py",
           "04_firewall.py", "05_multiqueue.py"]


def start(script, *args):
    return subprocess.Popen(
        [sys.executable, os.path.join(EXAMPLES, script)] + list(args),
        env=dict(os.environ, PYTHONPATH=BUILD), stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)


def wait_line(proc, text):
    """Reads proc's stdout until a line has @text (bounded by the sample's
    own -t); the lines read are returned."""
    lines = []
    for line in proc.stdout:
        lines.append(line)
        if text in line:
            return lines
    raise AssertionError("no %r from %s: %s" % (text, proc.args,
                                                proc.stderr.read()))


def finish(proc, lines=()):
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    return "".join(lines) + out


def veth_pair(queues=1):
    n = unique()
    a, b = "pea" + n, "peb" + n
    q = ["mtu", "9000", "numtxqueues", str(queues), "numrxqueues",
         str(queues)]
    subprocess.run(["ip", "link", "add", a] + q + ["type", "veth", "peer",
                    "name", b] + q, check=True)
    for i in (a, b):
        subprocess.run(["ip", "link", "set", i, "up", "promisc", "on"],
                       check=True)
    return a, b


def del_link(name):
    subprocess.run(["ip", "link", "del", name], check=False)


def udp(i, sport=1000):
    from scapy.all import IP, UDP, Ether
    return bytes(Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") /
                 IP(src="198.18.0.1", dst="198.18.0.2") /
                 UDP(sport=sport, dport=2000) / (bytes([i]) * 20))


def test_docs_show_the_samples():
    page = open(os.path.join(ROOT, "docs", "python.md")).read()
    blocks = re.findall(r"```python\n(.*?)```", page, re.S)
    for name in SAMPLES:
        src = open(os.path.join(EXAMPLES, name)).read()
        assert src in blocks, name + " differs from docs/python.md"


def test_01_hexdump(veth_names):
    a, b = veth_names
    proc = start("01_hexdump.py", "netmap:" + a, "-c", "3", "-t", "60")
    with pktmap.Port("netmap:" + b) as pb:
        # frames sent before the sample registered are not its: resend
        while proc.poll() is None:
            pb.send([frame(1, 64)])
            time.sleep(0.05)
    out = finish(proc)
    assert out.count("frame ") == 3 and "frames=3" in out
    assert "64 bytes" in out
    assert "0000  ff ff ff ff ff ff 02 00 00 00 00 01 88 b5 00 00" in out


def test_02_nic2host(veth_names):
    a, b = veth_names
    proc = start("02_nic2host.py", "netmap:" + a, "-c", "8", "-t", "60")
    lines = wait_line(proc, "passing")
    with pktmap.Port("netmap:" + b) as pb:
        pb.send([udp(i) for i in range(5)])  # wire -> host
        s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
        s.bind((a, 0))
        for i in range(3):  # the stack -> the wire
            s.send(udp(100 + i))
        s.close()
        got = recv_exactly(pb, 3)
    out = finish(proc, lines)
    assert got == [udp(100 + i) for i in range(3)]
    assert "wire_to_host=5 host_to_wire=3" in out


def test_03_bridge():
    (a1, b1), (a2, b2) = veth_pair(), veth_pair()
    try:
        proc = start("03_bridge.py", "netmap:" + b1, "netmap:" + b2, "-t",
                     "120")
        lines = wait_line(proc, "bridging")
        with pktmap.Port("netmap:" + a1) as p1, \
                pktmap.Port("netmap:" + a2) as p2:
            frames = [udp(i) for i in range(10)] + [frame(3, 5000)]
            p1.send(frames)
            assert recv_exactly(p2, 11) == frames
            p2.send([udp(50)])
            assert recv_exactly(p1, 1) == [udp(50)]
        proc.send_signal(signal.SIGINT)
        out = finish(proc, lines)
        assert "%s_to_%s=11 %s_to_%s=1" % (b1, b2, b2, b1) in out
    finally:
        del_link(a1)
        del_link(a2)


def test_04_firewall(veth_names):
    a, b = veth_names
    proc = start("04_firewall.py", "netmap:" + a, "-c", "4", "-t", "60")
    lines = wait_line(proc, "filtering")
    from scapy.all import IP, UDP, Ether
    blocked = bytes(Ether(dst="02:00:00:00:00:02") / IP(src="198.18.1.1",
                    dst="198.18.0.2") / UDP(sport=5, dport=7001) / b"no")
    with pktmap.Port("netmap:" + b) as pb:
        pb.send([udp(1), blocked, udp(2), udp(3)])
    out = finish(proc, lines)
    assert "passed_in=3 passed_out=0 blocked_in=1 blocked_out=0" in out
    assert out.count("BLOCK:") == 1 and blocked.hex(" ") in out


def test_05_multiqueue():
    a, b = veth_pair(queues=2)
    try:
        proc = start("05_multiqueue.py", "netmap:" + a, "-c", "40", "-t",
                     "60")
        lines = wait_line(proc, "counting on 2 rings")
        with pktmap.Port("netmap:" + b) as pb:
            pb.send([udp(i, sport=1000 + i % 8) for i in range(40)])
        out = finish(proc, lines)
    finally:
        del_link(a)
    rings = re.findall(r"ring (\d) packets=(\d+) flows=(\d+)", out)
    assert [r[0] for r in rings] == ["0", "1"]
    assert sum(int(r[2]) for r in rings) == 8
    assert "total packets=40 flows_on_several_rings=0" in out
