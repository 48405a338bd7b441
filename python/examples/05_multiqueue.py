#!/usr/bin/env python3
"""05 multiqueue: one thread per hardware ring.

    python3 05_multiqueue.py netmap:IF [-t SECONDS] [-c FRAMES]

Opens netmap:IF once to learn how many rx rings it has, then thread i
opens netmap:IF-i (ring pair i alone) and counts the frames and the UDP or
TCP flows (IPv4 5-tuples) its ring receives.  The threads wait in poll()
without the GIL.  A multi-queue port spreads frames over its rings by
flow, so each flow is seen on one ring only.  Prints one line per ring
(ring I packets=N flows=M), then total packets=N flows_on_several_rings=K.
"""
import argparse
import threading
import time

import pktmap


def flow_of(frame):
    if len(frame) < 38 or frame[12:14] != b"\x08\x00":
        return None
    ihl = (frame[14] & 15) * 4
    return bytes(frame[23:24]) + bytes(frame[26:34]) + \
        bytes(frame[14 + ihl:14 + ihl + 4])


def count_ring(name, stop, result):
    result["packets"], result["flows"] = 0, set()
    with pktmap.Port(name) as port:
        result["ready"].release()
        while not stop.is_set():
            for frame in port.recv(timeout=0.1):
                result["flows"].add(flow_of(frame))
                result["packets"] += 1


def main():
    ap = argparse.ArgumentParser(description="a thread per ring")
    ap.add_argument("port")
    ap.add_argument("-t", "--seconds", type=float, default=0)
    ap.add_argument("-c", "--count", type=int, default=0)
    args = ap.parse_args()
    with pktmap.Port(args.port) as probe:
        nrings = len(probe.rx_rings)
    stop = threading.Event()
    ready = threading.Semaphore(0)
    results = [{"ready": ready} for _ in range(nrings)]
    threads = [threading.Thread(target=count_ring, args=(
        "%s-%d" % (args.port, i), stop, results[i])) for i in range(nrings)]
    for t in threads:
        t.start()
    for _ in threads:
        ready.acquire()
    print("counting on %d rings" % nrings, flush=True)
    end = time.monotonic() + args.seconds if args.seconds else None
    try:
        while not (end and time.monotonic() >= end) and not (
                args.count and sum(r["packets"] for r in results) >=
                args.count):
            time.sleep(0.05)
    except KeyboardInterrupt:
        pass
    stop.set()
    for t in threads:
        t.join()
    seen = {}
    for i, r in enumerate(results):
        print("ring %d packets=%d flows=%d" % (i, r["packets"], len(r["flows"])))
        for f in r["flows"]:
            seen[f] = seen.get(f, 0) + 1
    print("total packets=%d flows_on_several_rings=%d" % (
        sum(r["packets"] for r in results),
        sum(1 for n in seen.values() if n > 1)))


if __name__ == "__main__":
    main()
