#!/usr/bin/env python3
"""Frames per second from Python: pktmap's batch helpers and raw ring
access over a pipe and a veth, next to scapy's sendp/sniff and a plain
socket.AF_PACKET loop on the same veth, in the same run.

    bench/python.sh [--seconds S] [--reps N] [--len BYTES] [--out FILE]

Each row moves 60-byte frames (or --len) from a sender to a receiver in
ONE Python thread (send up to 256, take what arrived, at most 768 in
flight), so a figure is the cost of both sides on one core: frames
received per second of wall time, and per second
of the process's CPU time (what a shared, loaded machine distorts least).
The median of --reps runs is shown.  Runs in a network namespace of its own (veth pair with no
addresses, IPv6 off), removed on exit.
"""
import argparse
import ctypes
import os
import socket
import statistics
import subprocess
import sys
import time

CLONE_NEWNS, CLONE_NEWNET = 0x00020000, 0x40000000
MS_REC, MS_PRIVATE, MNT_DETACH = 0x4000, 0x40000, 2
BATCH = 256
WINDOW = 768  # frames in flight, below the 1024 slots of a ring


def private_netns():
    libc = ctypes.CDLL(None, use_errno=True)
    for ret, what in (
            (libc.unshare(CLONE_NEWNET | CLONE_NEWNS), "unshare"),
            (libc.mount(None, b"/", None, MS_REC | MS_PRIVATE, None), "/"),
            (libc.umount2(b"/sys", MNT_DETACH), "umount /sys"),
            (libc.mount(b"sysfs", b"/sys", b"sysfs", 0, None), "/sys")):
        if ret != 0:
            raise OSError(ctypes.get_errno(), what)
    for cmd in ("ip link set lo up",
                "sysctl -qw net.ipv6.conf.all.disable_ipv6=1",
                "sysctl -qw net.ipv6.conf.default.disable_ipv6=1",
                "ip link add pyba type veth peer name pybb",
                "ip link set pyba up", "ip link set pybb up"):
        subprocess.run(cmd.split(), check=True)


def udp_frame(length):
    from scapy.all import IP, UDP, Ether
    pkt = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02") / \
        IP(src="198.18.0.1", dst="198.18.0.2") / UDP(sport=9, dport=9)
    return bytes(pkt) + bytes(max(0, length - len(pkt)))


def timed(seconds, step):
    """Calls step() (frames it received) for @seconds; frames per second of
    wall time and per second of the process's CPU time (user + system)."""
    got, start, cpu = 0, time.perf_counter(), time.process_time()
    deadline = start + seconds
    while True:
        got += step()
        now = time.perf_counter()
        if now >= deadline:
            return got / (now - start), got / (time.process_time() - cpu)


class Window:
    """Frames in flight between the two sides, at most WINDOW: the sender
    goes on while the receiver catches up (a veth delivers a lone batch
    only when its receive block retires, after 1 ms)."""

    def __init__(self):
        self.flight = 0

    def room(self):
        return max(0, min(BATCH, WINDOW - self.flight))

    def sent(self, n):
        self.flight += n

    def got(self, n, waited):
        self.flight -= n
        if n == 0 and waited:
            self.flight = 0  # lost on the way: do not wait for them
        return n


def pktmap_batch(tx, rx, frame, seconds):
    frames = [frame] * BATCH
    w = Window()

    def step():
        n = w.room()
        if n:
            w.sent(tx.send(frames[:n]))
        wait = w.flight >= WINDOW - BATCH
        return w.got(len(rx.recv(timeout=1.0 if wait else 0)), wait)
    return timed(seconds, step)


def pktmap_raw(tx, rx, frame, seconds):
    """Per-slot Python: the sender sets each slot's len (payload written
    once beforehand, as netmap's tx.py does) and moves head; the receiver
    reads each slot's len and moves head.  No bytes are copied."""
    txr, rxr = tx.tx_rings[0], rx.rx_rings[0]
    size = len(frame)
    for slot in txr.slots:
        slot.buf[:size] = frame
    tslots, rslots = txr.slots, rxr.slots
    nt, nr = txr.num_slots, rxr.num_slots
    w = Window()

    def step():
        n = min(txr.space(), w.room())
        h = txr.head
        for _ in range(n):
            tslots[h].len = size
            h = h + 1 if h + 1 < nt else 0
        txr.head = txr.cur = h
        tx.sync_tx()
        w.sent(n)
        wait = w.flight >= WINDOW - BATCH
        if rxr.empty():
            rx.poll(timeout=1.0 if wait else 0)
        got, h = 0, rxr.head
        for _ in range(rxr.space()):
            if rslots[h].len == size:
                got += 1
            h = h + 1 if h + 1 < nr else 0
        rxr.head = rxr.cur = h
        return w.got(got, wait)
    return timed(seconds, step)


def af_packet(a, b, frame, seconds):
    tx = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    tx.bind((a, 0))
    rx = socket.socket(socket.AF_PACKET, socket.SOCK_RAW,
                       socket.htons(0x0800))
    rx.bind((b, 0))
    rx.setsockopt(socket.SOL_SOCKET, 33, 64 << 20)  # SO_RCVBUFFORCE: no drops
    rx.settimeout(1.0)
    buf = bytearray(2048)

    def step():
        for _ in range(BATCH):
            tx.send(frame)
        n = 0
        try:
            while n < BATCH:
                rx.recv_into(buf)
                n += 1
        except socket.timeout:
            pass
        return n
    try:
        return timed(seconds, step)
    finally:
        tx.close()
        rx.close()


def scapy_row(a, b, frame, seconds):
    """sendp() of a list of packets while an AsyncSniffer counts them."""
    from scapy.all import AsyncSniffer, Ether, conf, sendp
    conf.verb = 0
    pkt = Ether(frame)
    count = 2000
    received = [0]

    def count_udp(p):
        if p.haslayer("UDP"):
            received[0] += 1
    sniffer = AsyncSniffer(iface=b, store=False, prn=count_udp)
    sniffer.start()
    time.sleep(0.5)  # until the sniffer's socket is bound
    start, cpu = time.perf_counter(), time.process_time()
    sent = 0
    while time.perf_counter() - start < seconds:
        sendp([pkt] * count, iface=a, verbose=False)
        sent += count
    deadline = time.perf_counter() + 5
    while received[0] < sent and time.perf_counter() < deadline:
        time.sleep(0.05)
    elapsed = time.perf_counter() - start
    cpu = time.process_time() - cpu
    sniffer.stop()
    return (received[0] / elapsed, received[0] / cpu), \
        (sent / elapsed, sent / cpu)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=2.0)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--len", type=int, default=60)
    ap.add_argument("--out", help="also write the table to this file")
    args = ap.parse_args()
    private_netns()
    import pktmap
    frame = udp_frame(args.len)
    rows = {}

    def rep(name, fn):
        rows.setdefault(name, []).append(fn())

    for r in range(args.reps):
        with pktmap.Port("netmap:lo{%d" % r) as m, \
                pktmap.Port("netmap:lo}%d" % r) as s:
            rep("pipe, batch helpers (send/recv)",
                lambda: pktmap_batch(m, s, frame, args.seconds))
            rep("pipe, raw ring access (per slot)",
                lambda: pktmap_raw(m, s, frame, args.seconds))
        with pktmap.Port("netmap:pyba") as a, pktmap.Port("netmap:pybb") as b:
            rep("veth, batch helpers (send/recv)",
                lambda: pktmap_batch(a, b, frame, args.seconds))
            rep("veth, raw ring access (per slot)",
                lambda: pktmap_raw(a, b, frame, args.seconds))
        # the ports are closed: the veth is back in the stack's hands
        rep("veth, socket.AF_PACKET loop",
            lambda: af_packet("pyba", "pybb", frame, args.seconds))
        rx, tx = scapy_row("pyba", "pybb", frame, args.seconds)
        rows.setdefault("veth, scapy sendp + AsyncSniffer", []).append(rx)
        rows.setdefault("veth, scapy sendp (frames sent/s)", []).append(tx)

    med = {k: (statistics.median(v[0] for v in vs),
               statistics.median(v[1] for v in vs)) for k, vs in rows.items()}
    scapy = med["veth, scapy sendp + AsyncSniffer"]
    afp = med["veth, socket.AF_PACKET loop"]
    lines = ["| %d-byte frames, one Python thread | frames/s | frames/CPU-s "
             "| × scapy (CPU) | × AF_PACKET (CPU) |" % args.len,
             "| --- | ---: | ---: | ---: | ---: |"]
    for name, (wall, cpu) in med.items():
        lines.append("| %s | %s | %s | %.1f | %.2f |" % (
            name, format(int(wall), ","), format(int(cpu), ","),
            cpu / scapy[1], cpu / afp[1]))
    lines.append("")
    lines.append("medians of %d runs of %g s; python %s, %s, %d CPUs, load "
                 "average %s before the last row" % (
                     args.reps, args.seconds, sys.version.split()[0],
                     pktmap.version(), os.cpu_count(),
                     open("/proc/loadavg").read().split()[0]))
    text = "\n".join(lines)
    print(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text + "\n")


if __name__ == "__main__":
    main()
