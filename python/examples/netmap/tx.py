#!/usr/bin/env python3
"""Minimal generator on the low-level netmap classes (netmap's tx.py, for
Python 3 on pktmap): fill every tx slot once, then hand batches of slots
over with txsync until Ctrl-C, a poll timeout, or -t SECONDS / -c COUNT.

    pktmap-python tx.py [-t SECONDS] [-c COUNT] [IFNAME]   (default vale0:1)
"""
import argparse
import select
import struct
import time

import netmap


def build_packet():
    # broadcast Ethernet frame, IPv4 ethertype, zero payload: 60 bytes
    return struct.pack("!6s6sH46s", b"\xff" * 6, b"\x00" * 6, 0x0800,
                       b"\x00" * 46)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("ifname", nargs="?", default="vale0:1")
    ap.add_argument("-t", "--seconds", type=float, default=0)
    ap.add_argument("-c", "--count", type=int, default=0)
    ap.add_argument("-b", "--batch", type=int, default=256)
    args = ap.parse_args()
    pkt = build_packet()

    nm = netmap.Netmap()
    nm.open()
    nm.if_name = args.ifname
    nm.register()
    nfd = nm.getfd()

    txr = nm.transmit_rings[0]
    num_slots = txr.num_slots
    for slot in txr.slots:
        slot.buf[0:len(pkt)] = pkt
        slot.len = len(pkt)

    cnt = 0
    poller = select.poll()
    poller.register(nfd, select.POLLOUT)
    t_start = time.time()
    try:
        cur = txr.cur
        while not args.count or cnt < args.count:
            if args.seconds and time.time() - t_start >= args.seconds:
                break
            if not poller.poll(2000):
                print("Timeout occurred")
                break
            n = txr.tail - cur
            if n < 0:
                n += num_slots
            n = min(n, args.batch)
            if args.count:
                n = min(n, args.count - cnt)
            cur = (cur + n) % num_slots
            txr.cur = txr.head = cur
            nm.txsync()
            cnt += n
    except KeyboardInterrupt:
        pass
    t_end = time.time()
    print("Packets sent: %d, Avg rate %.1f Kpps"
          % (cnt, 0.001 * cnt / max(t_end - t_start, 1e-9)))
    nm.close()


if __name__ == "__main__":
    main()
