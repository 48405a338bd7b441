"""A small pcap writer (the classic format, LINKTYPE_ETHERNET by default)."""
import struct
import time

MAGIC_US = 0xA1B2C3D4
MAGIC_NS = 0xA1B23C4D
LINKTYPE_ETHERNET = 1


class PcapWriter:
    """PcapWriter(path_or_file, snaplen=65535, linktype=1, nanoseconds=False)

    write(frame, ts=None) appends one frame (any bytes-like object, e.g. a
    slot's memoryview or bytes(scapy_packet)), stamped now unless ts (a
    float of seconds) is given; frames longer than snaplen are cut and keep
    their original length in the record.
    """

    def __init__(self, dest, snaplen=65535, linktype=LINKTYPE_ETHERNET,
                 nanoseconds=False):
        self._own = isinstance(dest, (str, bytes)) or hasattr(dest, "__fspath__")
        self._f = open(dest, "wb") if self._own else dest
        self.snaplen = snaplen
        self._scale = 1_000_000_000 if nanoseconds else 1_000_000
        self._f.write(struct.pack("<IHHiIII",
                                  MAGIC_NS if nanoseconds else MAGIC_US,
                                  2, 4, 0, 0, snaplen, linktype))

    def write(self, frame, ts=None):
        data = memoryview(frame).cast("B")
        if ts is None:
            ts = time.time()
        sec = int(ts)
        frac = int(round((ts - sec) * self._scale))
        if frac >= self._scale:
            sec, frac = sec + 1, frac - self._scale
        cut = data[:self.snaplen]
        self._f.write(struct.pack("<IIII", sec, frac, len(cut), len(data)))
        self._f.write(cut)

    def close(self):
        if self._own:
            self._f.close()
        else:
            self._f.flush()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
