#!/usr/bin/env python3
"""02 nic2host: pass every frame between an interface and the host stack
by swapping buffers (NS_BUF_CHANGED): no byte is copied.

    python3 02_nic2host.py netmap:IF [-t SECONDS] [-c FRAMES]

Opens netmap:IF* (NIC and host rings in one port): IF is detached from the
stack while it runs, so all of IF's traffic crosses this loop.  Prints
wire_to_host=N host_to_wire=N at the end (Ctrl-C, SECONDS or FRAMES).
"""
import argparse
import time

import pktmap

MOREFRAG, CHANGED = pktmap.NS_MOREFRAG, pktmap.NS_BUF_CHANGED


def pass_frames(rx, tx):
    """Moves whole frames (NS_MOREFRAG chains) from rx to tx while tx has
    room; the rx slots get tx's spare buffers back."""
    frames = 0
    while not rx.empty():
        n, i = 1, rx.head
        while rx.slots[i].flags & MOREFRAG and n < rx.space():
            i, n = rx.next(i), n + 1
        if n > tx.space():
            break
        for _ in range(n):
            rs, ts = rx.slots[rx.head], tx.slots[tx.head]
            more = rs.flags & MOREFRAG
            ts.swap(rs)  # buffers and lengths change places
            ts.flags, rs.flags = more | CHANGED, CHANGED
            rx.head = rx.cur = rx.next(rx.head)
            tx.head = tx.cur = tx.next(tx.head)
        frames += 1
    return frames


def main():
    ap = argparse.ArgumentParser(description="wire <-> host stack, zero copy")
    ap.add_argument("port")
    ap.add_argument("-t", "--seconds", type=float, default=0)
    ap.add_argument("-c", "--count", type=int, default=0)
    args = ap.parse_args()
    to_host = to_wire = 0
    end = time.monotonic() + args.seconds if args.seconds else None
    with pktmap.Port(args.port + "*") as port:
        nic_rx, host_rx = port.rx_rings[:-1], port.rx_rings[-1]
        nic_tx, host_tx = port.tx_rings[:-1], port.tx_rings[-1]
        print("passing", flush=True)
        try:
            while not (end and time.monotonic() >= end) and \
                    not (args.count and to_host + to_wire >= args.count):
                port.poll(pktmap.POLLIN, timeout=0.1)
                for i, rx in enumerate(nic_rx):
                    to_host += pass_frames(rx, host_tx)
                    to_wire += pass_frames(host_rx, nic_tx[i % len(nic_tx)])
        except KeyboardInterrupt:
            pass
        port.sync_tx()
    print("wire_to_host=%d host_to_wire=%d" % (to_host, to_wire))


if __name__ == "__main__":
    main()
