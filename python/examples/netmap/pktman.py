#!/usr/bin/env python3
"""Packet generator/receiver on NetmapDesc, one process per ring pair
(netmap's pktman.py, for Python 3 on pktmap).  Runs until Ctrl-C or for
-T SECONDS, then prints each worker's count and rate.

    pktman.py -i vale0:1 -f tx -T 2      pktman.py -i netmap:x}1 -f rx -T 2
"""
import argparse
import logging
import multiprocessing
import select
import signal
import time

import netmap

logging.getLogger("scapy.runtime").setLevel(logging.ERROR)


def build_packet(args):
    from scapy.all import IP, UDP, Ether
    src, dst = args.src.split(":"), args.dst.split(":")
    base = b"Hello from Python"
    room = args.length - (14 + 20 + 8)
    data = (base * (room // len(base) + 1))[:room]
    pkt = Ether(src=args.srcmac, dst=args.dstmac) / \
        IP(src=src[0], dst=dst[0]) / \
        UDP(sport=int(src[1]), dport=int(dst[1])) / data
    if args.dump:
        pkt.show2()
    return bytes(pkt)  # checksums are computed here


def stopped(t_start, args):
    return args.duration and time.time() - t_start >= args.duration


def transmit(idx, ifname, args, queue):
    nmd = netmap.NetmapDesc(ifname)
    time.sleep(args.wait_link)
    pkt = build_packet(args)
    txr = nmd.transmit_rings[idx]
    num_slots = txr.num_slots
    for slot in txr.slots:
        slot.buf[0:len(pkt)] = pkt
        slot.len = len(pkt)

    cnt = 0
    poller = select.poll()
    poller.register(nmd.getfd(), select.POLLOUT)
    t_start = time.time()
    try:
        cur = txr.cur
        while not stopped(t_start, args):
            if not poller.poll(2000):
                print("Timeout occurred")
                break
            n = (txr.tail - cur) % num_slots
            n = min(n, args.batch)
            cur = (cur + n) % num_slots
            txr.cur = txr.head = cur
            nmd.txsync()
            cnt += n
    except KeyboardInterrupt:
        pass
    queue.put([cnt, time.time() - t_start])


def receive(idx, ifname, args, queue):
    nmd = netmap.NetmapDesc(ifname)
    time.sleep(args.wait_link)
    rxr = nmd.receive_rings[idx]
    num_slots = rxr.num_slots
    cnt = 0
    poller = select.poll()
    poller.register(nmd.getfd(), select.POLLIN)
    t_start = None
    try:
        cur = rxr.cur
        while True:
            if t_start and stopped(t_start, args):
                break
            if not poller.poll(500):
                if t_start is None and args.duration:
                    continue
                if t_start is not None and not args.duration:
                    print("Timeout occurred")
                    break
                continue
            if t_start is None:
                t_start = time.time()  # from the first frame on
            n = (rxr.tail - cur) % num_slots
            cur = (cur + n) % num_slots
            rxr.cur = rxr.head = cur
            cnt += n
    except KeyboardInterrupt:
        pass
    queue.put([cnt, None if t_start is None else time.time() - t_start])


def main():
    handler = {"tx": transmit, "rx": receive}
    parser = argparse.ArgumentParser(
        description="Send or receive packets using the netmap API")
    parser.add_argument("-i", "--interface", required=True,
                        help="netmap:IF[EXT] or valeX:Y[EXT], EXT in the "
                        "nm_open() syntax (^, -5, {44, ...)")
    parser.add_argument("-f", "--function", choices=["tx", "rx"],
                        default="rx")
    parser.add_argument("-b", "--batchsize", type=int, default=512,
                        dest="batch", help="packets per TXSYNC")
    parser.add_argument("-l", "--length", type=int, default=60,
                        help="length of the Ethernet frames sent")
    parser.add_argument("-D", "--dstmac", default="ff:ff:ff:ff:ff:ff")
    parser.add_argument("-S", "--srcmac", default="00:00:00:00:00:00")
    parser.add_argument("-d", "--dst", default="198.18.0.2:54322",
                        metavar="IP:PORT")
    parser.add_argument("-s", "--src", default="198.18.0.1:54321",
                        metavar="IP:PORT")
    parser.add_argument("-w", "--wait-link", type=float, default=1,
                        help="seconds to wait for the link")
    parser.add_argument("-X", "--dump", action="store_true")
    parser.add_argument("-p", "--threads", type=int, default=1)
    parser.add_argument("-T", "--duration", type=float, default=0,
                        help="seconds to run (default: until Ctrl-C)")
    args = parser.parse_args()
    if args.length < 60 or args.threads < 1:
        parser.error("length must be >= 60 and threads >= 1")

    # ask the port how many ring pairs it has, or which one it names
    d = netmap.NetmapDesc(args.interface)
    mode = d.getflags() & 0xF
    if mode in (netmap.RegAllNic, netmap.RegNicSw):
        reg = d._port.registration()
        max_couples = min(reg["tx_rings"], reg["rx_rings"])
        ringid_offset, suffix_required = 0, max_couples > 1
    else:
        max_couples, ringid_offset, suffix_required = 1, d.getringid(), False
    d.close()
    if args.threads > max_couples:
        parser.error('no more than %d (tx,rx) ring couples with "%s"'
                     % (max_couples, args.interface))

    jobs, queues = [], []
    for i in range(args.threads):
        queue = multiprocessing.Queue()
        ring_id = i + ringid_offset
        ifname = args.interface + ("-%d" % ring_id if suffix_required else "")
        print("Run worker #%d on %s, ring_id %d" % (i, ifname, ring_id))
        job = multiprocessing.Process(name="worker-%d" % i,
                                      target=handler[args.function],
                                      args=(ring_id, ifname, args, queue))
        job.daemon = True
        jobs.append(job)
        queues.append(queue)
    for job in jobs:
        job.start()
    if not args.duration:
        try:
            signal.pause()
        except KeyboardInterrupt:
            pass

    tot_rate, failed = 0.0, 0
    for i, job in enumerate(jobs):
        job.join()
        if queues[i].empty():
            print("[%d] worker died (exit code %s)" % (i, job.exitcode))
            failed += 1
            continue
        cnt, delta = queues[i].get()
        rate = None if delta is None else 0.001 * cnt / max(delta, 1e-9)
        tot_rate += rate or 0
        print("[%d] Packets processed: %s, Avg rate %s Kpps" % (i, cnt, rate))
    print("Total rate: %s" % tot_rate)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
