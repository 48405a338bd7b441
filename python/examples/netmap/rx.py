#!/usr/bin/env python3
"""UDP receiver on NetmapDesc (netmap's rx.py, for Python 3 on pktmap):
prints the UDP/IPv4 frames for port 9956 found on rx ring 0.

    pktmap-python rx.py [-c COUNT] [-t SECONDS] [-p PORT] IFNAME
"""
import argparse
import select
import time

import netmap


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("ifname", help="netmap:eth0, vale0:2, netmap:x}1, ...")
    ap.add_argument("-c", "--count", type=int, default=0,
                    help="stop after COUNT matching frames")
    ap.add_argument("-t", "--seconds", type=float, default=0)
    ap.add_argument("-p", "--port", type=int, default=9956)
    args = ap.parse_args()
    want = args.port.to_bytes(2, "big")

    d = netmap.NetmapDesc(args.ifname)
    rxr = d.receive_rings[d.getringid() if d.getflags() & 0xF ==
                          netmap.RegOneNic else 0]
    poller = select.poll()
    poller.register(d.getfd(), select.POLLIN)
    matched, start = 0, time.time()
    while not args.count or matched < args.count:
        if args.seconds and time.time() - start >= args.seconds:
            break
        if not poller.poll(1000):
            continue
        while not rxr.empty():
            i = rxr.cur
            slot = rxr.slots[i]
            flen = slot.len
            if flen <= rxr.nr_buf_size:
                with slot.buf as view:
                    fbuf = bytes(view[:flen])
                # IPv4, UDP, destination port
                if fbuf[12:14] == b"\x08\x00" and fbuf[23] == 0x11 and \
                        fbuf[36:38] == want:
                    matched += 1
                    print("udp/ip pkt on my port")
                    print("netmap len=%d" % flen)
                    print("actual len=%d" % len(fbuf))
                    print("first=%02x" % fbuf[0])
                    print("last=%02x" % fbuf[-1], flush=True)
            rxr.cur = rxr.head = 0 if i + 1 == rxr.num_slots else i + 1
    print("matched=%d" % matched)
    d.close()


if __name__ == "__main__":
    main()
