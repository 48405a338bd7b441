"""scapy in and out, pcap files out."""
import subprocess

from scapy.all import IP, UDP, Ether, rdpcap

import pktmap
from conftest import frame, recv_exactly


def test_scapy_packets_in_ether_out(pipe):
    m, s = pipe
    pkts = [Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") /
            IP(src="198.18.0.1", dst="198.19.0.%d" % i) /
            UDP(sport=1000 + i, dport=2000) / (b"p" * i) for i in range(5)]
    assert m.send(pkts) == 5  # bytes(pkt) taken for packets
    got = s.recv_packets(max=5, timeout=5)
    assert [p[IP].dst for p in got] == ["198.19.0.%d" % i for i in range(5)]
    assert [p[UDP].sport for p in got] == [1000 + i for i in range(5)]
    assert [bytes(p) for p in got] == [bytes(p) for p in pkts]


def test_pcap_writer(pipe, tmp_path):
    m, s = pipe
    frames = [frame(i, 60 + 100 * i) for i in range(4)]
    m.send(frames)
    path = tmp_path / "out.pcap"
    with pktmap.PcapWriter(str(path)) as w:
        for k, f in enumerate(recv_exactly(s, 4)):
            w.write(f, ts=1700000000.5 + k)
    back = rdpcap(str(path))
    assert [bytes(p) for p in back] == frames
    assert [float(p.time) for p in back] == [1700000000.5 + k for k in range(4)]
    out = subprocess.run(["tcpdump", "-r", str(path), "-nn", "-e"],
                         capture_output=True, text=True)
    heads = [l for l in out.stdout.splitlines() if not l.startswith("\t")]
    assert out.returncode == 0
    assert [h.split("length ")[-1] for h in heads] == \
        ["%d: " % len(f) for f in frames]


def test_pcap_from_slot_views(pipe, tmp_path):
    """Straight from shared memory: the slot's view, no bytes object."""
    m, s = pipe
    m.send([frame(1, 3000)])
    s.sync_rx()
    ring = s.rx_rings[0]
    path = tmp_path / "snap.pcap"
    with pktmap.PcapWriter(str(path), snaplen=100) as w:
        slot = ring.slots[ring.head]
        with slot.buf as view:
            w.write(view[:slot.len], ts=1.0)
    back = rdpcap(str(path))
    assert bytes(back[0]) == frame(1, 3000)[:100]
    assert back[0].wirelen == 2048
