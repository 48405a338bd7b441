#!/usr/bin/env python3
"""01 hexdump: print every frame a port receives as a hex dump.

    python3 01_hexdump.py netmap:IF [-c COUNT] [-t SECONDS]

The seed's loop: poll, then for each bound rx ring walk the slots from cur
to tail, dump each buffer (a memoryview: no copy), give the slots back by
moving head and cur.
"""
import argparse
import time

import pktmap


def hexdump(data):
    lines = []
    for off in range(0, len(data), 16):
        chunk = bytes(data[off:off + 16])
        text = "".join(chr(b) if 32 <= b < 127 else "." for b in chunk)
        lines.append("%04x  %-47s  %s" % (off, chunk.hex(" "), text))
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description="hex dump of received frames")
    ap.add_argument("port")
    ap.add_argument("-c", "--count", type=int, default=0)
    ap.add_argument("-t", "--seconds", type=float, default=0)
    args = ap.parse_args()
    end = time.monotonic() + args.seconds if args.seconds else None
    seen = 0
    with pktmap.Port(args.port) as port:
        while not (args.count and seen >= args.count) and \
                not (end and time.monotonic() >= end):
            port.poll(pktmap.POLLIN, timeout=0.1)
            for ring in port.rx_rings:
                cur = ring.cur
                for _ in range(ring.space()):
                    slot = ring.slots[cur]
                    with slot.buf as buf:
                        print("frame %d, %d bytes, ring %d\n%s" % (
                            seen, slot.len, ring.ringid,
                            hexdump(buf[:slot.len])), flush=True)
                    seen += 1
                    cur = ring.next(cur)
                ring.head = ring.cur = cur
    print("frames=%d" % seen)


if __name__ == "__main__":
    main()
