#!/usr/bin/env python3
"""03 bridge: forward every frame between two interfaces, zero copy.

    python3 03_bridge.py netmap:IF1 netmap:IF2 [-t SECONDS]

All NIC ports live in one memory region (as the seed's NM_OPEN_NO_MMAP
makes them share one), so Port.forward() moves frames by swapping buffer
indexes.  One thread per direction, each with its own receive-only (/R)
and transmit-only (/T) ports: no ring is synced by two threads, and each
thread waits in poll() without the GIL.  Put both interfaces in promiscuous
mode first (ip link set IF promisc on).  Prints IF1_to_IF2=N IF2_to_IF1=N.
"""
import argparse
import threading
import time

import pktmap


def one_way(rx, tx, stop, counts, key):
    while not stop.is_set():
        if rx.poll(pktmap.POLLIN, timeout=0.1) & pktmap.POLLIN:
            counts[key] += rx.forward(tx)
            tx.sync_tx()


def main():
    ap = argparse.ArgumentParser(description="a two-port bridge, zero copy")
    ap.add_argument("port1")
    ap.add_argument("port2")
    ap.add_argument("-t", "--seconds", type=float, default=0)
    args = ap.parse_args()
    stop, counts = threading.Event(), {"a": 0, "b": 0}
    rx1, tx1 = pktmap.Port(args.port1 + "/R"), pktmap.Port(args.port1 + "/T")
    rx2, tx2 = pktmap.Port(args.port2 + "/R"), pktmap.Port(args.port2 + "/T")
    threads = [threading.Thread(target=one_way, args=(rx1, tx2, stop, counts,
                                                      "a")),
               threading.Thread(target=one_way, args=(rx2, tx1, stop, counts,
                                                      "b"))]
    for t in threads:
        t.start()
    print("bridging", flush=True)
    try:
        if args.seconds:
            time.sleep(args.seconds)
        else:
            threading.Event().wait()
    except KeyboardInterrupt:
        pass
    stop.set()
    for t in threads:
        t.join()
    for p in (rx1, tx1, rx2, tx2):
        p.close()
    n1, n2 = (p.split(":", 1)[-1] for p in (args.port1, args.port2))
    print("%s_to_%s=%d %s_to_%s=%d" % (n1, n2, counts["a"], n2, n1,
                                       counts["b"]))


if __name__ == "__main__":
    main()
