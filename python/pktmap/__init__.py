"""netmap ports from Python 3, through libpktmap.

    with pktmap.Port("netmap:lo{1") as tx, pktmap.Port("netmap:lo}1") as rx:
        tx.send([frame] * 64)
        frames = rx.recv(max=64, timeout=1.0)

A Port's rings are objects over the shared memory (head, cur, tail,
slots); a slot's buf is a writable memoryview of its buffer, no copy.
send()/recv() copy frames in batches, forward() swaps buffers between two
ports of one memory region.  Errors are OSError with errno and the reason
libpktmap gave.  Syncs and polls release the GIL.
"""
from collections import namedtuple

from . import _pktmap
from ._pktmap import Ring, Slot, version, interposed, library
from .pcap import PcapWriter

for _name in dir(_pktmap):
    if _name.isupper():
        globals()[_name] = getattr(_pktmap, _name)

Info = namedtuple(
    "Info",
    "name tx_rings rx_rings tx_slots rx_slots buf_size mem_id memsize drops")
Info.__doc__ = """What a port registered: bound rings, slots per ring, buffer
size, memory region (id and bytes) and the frames the library dropped
because the rx rings were full."""


class Port(_pktmap.Port):
    """Port(name): a netmap port, e.g. "netmap:eth0", "vale0:a",
    "netmap:eth0{1" (a pipe), "netmap:eth0^" (host rings).  A context
    manager; fileno() for select/selectors/asyncio (libpktmap interposed).
    """

    @property
    def info(self):
        reg = self.registration()
        rings = self.rx_rings or self.tx_rings
        return Info(self.name, len(self.tx_rings), len(self.rx_rings),
                    reg["tx_slots"], reg["rx_slots"],
                    rings[0].nr_buf_size if rings else 0,
                    reg["mem_id"], reg["memsize"],
                    self.stats()["rx_drops"])

    def recv_packets(self, max=None, timeout=None):
        """recv() decoded by scapy: a list of scapy.layers.l2.Ether."""
        from scapy.layers.l2 import Ether
        frames = self.recv(timeout=timeout) if max is None else \
            self.recv(max=max, timeout=timeout)
        return [Ether(f) for f in frames]


__all__ = ["Port", "Ring", "Slot", "Info", "PcapWriter", "version",
           "interposed", "library"] + [n for n in dir(_pktmap) if n.isupper()]
