#!/usr/bin/env python3
"""04 firewall: a packet filter between an interface and the host stack.

    python3 04_firewall.py netmap:IF [-t SECONDS] [-c FRAMES] [-q]

As 02 (netmap:IF*, buffers swapped, no copy), but every IPv4 frame first
meets RULES, a table like the seed's filterrule[]: the first rule that
matches blocks it (its slot goes back to the ring: dropped), else it
passes.  Blocked frames are hex-dumped unless -q.  Prints
passed_in=N passed_out=N blocked_in=N blocked_out=N.
"""
import argparse
import ipaddress
import struct
import time

import pktmap

IN, OUT = 0, 1  # wire -> stack, stack -> wire
TCP, UDP, ICMP = 6, 17, 1
MOREFRAG, CHANGED = pktmap.NS_MOREFRAG, pktmap.NS_BUF_CHANGED

# dir, protocol (None: any), source net, destination net, source port,
# destination port (None: any): what matches is blocked
RULES = [
    (IN, UDP, "0.0.0.0/0", "0.0.0.0/0", None, 7001),
    (IN, TCP, "0.0.0.0/0", "198.18.0.0/24", None, 22),
    (OUT, ICMP, "0.0.0.0/0", "198.19.0.0/16", None, None),
]
RULES = [(d, p, ipaddress.ip_network(s), ipaddress.ip_network(t), sp, dp)
         for d, p, s, t, sp, dp in RULES]


def blocked(direction, frame):
    """True if a rule blocks this frame (a memoryview of its first slot)."""
    if len(frame) < 34 or frame[12:14] != b"\x08\x00" or frame[14] >> 4 != 4:
        return False
    ihl = (frame[14] & 15) * 4
    proto = frame[23]
    src = ipaddress.IPv4Address(bytes(frame[26:30]))
    dst = ipaddress.IPv4Address(bytes(frame[30:34]))
    ports = (None, None)
    if proto in (TCP, UDP) and len(frame) >= 14 + ihl + 4:
        ports = struct.unpack_from("!HH", frame, 14 + ihl)
    for d, p, snet, dnet, sport, dport in RULES:
        if d == direction and p in (None, proto) and src in snet and \
                dst in dnet and sport in (None, ports[0]) and \
                dport in (None, ports[1]):
            return True
    return False


def chain_length(rx):
    n, i = 1, rx.head
    while rx.slots[i].flags & MOREFRAG and n < rx.space():
        i, n = rx.next(i), n + 1
    return n


def filter_frames(direction, rx, tx, counts, quiet):
    while not rx.empty():
        n = chain_length(rx)
        first = rx.slots[rx.head]
        with first.buf as buf:
            view = buf[:first.len]
            drop = blocked(direction, view)
            if drop and not quiet:
                print("BLOCK:", bytes(view).hex(" "), flush=True)
        if drop:
            for _ in range(n):
                rx.head = rx.cur = rx.next(rx.head)
            counts["blocked_" + ("in", "out")[direction]] += 1
            continue
        if n > tx.space():
            break
        for _ in range(n):
            rs, ts = rx.slots[rx.head], tx.slots[tx.head]
            more = rs.flags & MOREFRAG
            ts.swap(rs)
            ts.flags, rs.flags = more | CHANGED, CHANGED
            rx.head = rx.cur = rx.next(rx.head)
            tx.head = tx.cur = tx.next(tx.head)
        counts["passed_" + ("in", "out")[direction]] += 1


def main():
    ap = argparse.ArgumentParser(description="filter between wire and stack")
    ap.add_argument("port")
    ap.add_argument("-t", "--seconds", type=float, default=0)
    ap.add_argument("-c", "--count", type=int, default=0,
                    help="stop after FRAMES verdicts")
    ap.add_argument("-q", "--quiet", action="store_true")
    args = ap.parse_args()
    counts = dict.fromkeys(("passed_in", "passed_out", "blocked_in",
                            "blocked_out"), 0)
    end = time.monotonic() + args.seconds if args.seconds else None
    with pktmap.Port(args.port + "*") as port:
        nic_rx, host_rx = port.rx_rings[:-1], port.rx_rings[-1]
        nic_tx, host_tx = port.tx_rings[:-1], port.tx_rings[-1]
        print("filtering", flush=True)
        try:
            while not (end and time.monotonic() >= end) and \
                    not (args.count and sum(counts.values()) >= args.count):
                port.poll(pktmap.POLLIN, timeout=0.1)
                for i, rx in enumerate(nic_rx):
                    filter_frames(IN, rx, host_tx, counts, args.quiet)
                    filter_frames(OUT, host_rx, nic_tx[i % len(nic_tx)],
                                  counts, args.quiet)
        except KeyboardInterrupt:
            pass
        port.sync_tx()
    print(" ".join("%s=%d" % kv for kv in counts.items()))


if __name__ == "__main__":
    main()
