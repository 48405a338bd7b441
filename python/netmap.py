"""netmap: the classes of netmap's Python extension, for Python 3 on pktmap.

Same names and meaning as netmap's extra/python module: Netmap (a
registration request and its result), NetmapDesc (an nm_open()-style
descriptor), NetmapInterface (struct netmap_if), NetmapRing (struct
netmap_ring) and NetmapSlot (struct netmap_slot), whose fields are read and
written directly in the shared memory.  A slot's buf is a writable
memoryview of its whole buffer (nr_buf_size bytes).

transmit_rings and receive_rings list every ring of the interface, host
rings last, indexed as in the netmap_if; the bound ones are those of the
registration.  select.poll() on getfd() needs libpktmap interposed
(LD_PRELOAD=libpktmap.so or pktmap-python), as for any netmap program.
"""
import struct

import pktmap

NetmapRing = pktmap.Ring
NetmapSlot = pktmap.Slot


class error(OSError):
    """netmap.error: an OSError (errno and reason) from the netmap API."""


# ringid (legacy) and nr_flags values, as netmap's module names them
AllHwRings = 0
HwRing = 0x4000
SwRing = 0x2000
NoTxPoll = 0x1000
DoRxPoll = 0x8000
RegDefault = 0
RegAllNic = 1
RegSw = 2
RegNicSw = 3
RegOneNic = 4
RegPipeMaster = 5
RegPipeSlave = 6
RegOneSw = 8
RegMonitorTx = 0x100
RegMonitorRx = 0x200
RegZcopyMon = 0x400
RegExclusive = 0x800
RegPTNetmapHost = 0x1000
NrTimestamp = pktmap.NR_TIMESTAMP
NrForward = pktmap.NR_FORWARD
NsBufChanged = pktmap.NS_BUF_CHANGED
NsReport = pktmap.NS_REPORT
NsForward = pktmap.NS_FORWARD
NsNoLearn = pktmap.NS_NO_LEARN
NsIndirect = pktmap.NS_INDIRECT
NsMorefrag = pktmap.NS_MOREFRAG
BdgAttach, BdgDetach, BdgRegOps, BdgList, BdgVnetHdr = 1, 2, 3, 4, 5
BdgNewIf, BdgDelIf, PtHostCreate, PtHostDelete = 6, 7, 8, 9
BdgHost = 1

_MODE_SUFFIX = {RegAllNic: "", RegSw: "^", RegNicSw: "*", RegOneNic: "-%d",
                RegPipeMaster: "{%d", RegPipeSlave: "}%d", RegOneSw: "^%d"}
_FLAG_SUFFIX = ((RegMonitorTx, "t"), (RegMonitorRx, "r"), (RegZcopyMon, "z"),
                (RegExclusive, "x"))


def _portspec(if_name, ringid, flags):
    """The nmport name of a legacy (name, nr_ringid, nr_flags) request."""
    name = if_name if if_name.startswith(("netmap:", "vale")) \
        else "netmap:" + if_name
    mode, ring = flags & 0xF, ringid & 0x0FFF
    if mode == RegDefault:  # the mode is in the ringid
        mode = RegSw if ringid & SwRing else \
            RegOneNic if ringid & HwRing else RegAllNic
    if mode not in _MODE_SUFFIX:
        raise error(22, "unknown registration mode %d" % mode)
    suffix = _MODE_SUFFIX[mode]
    name += suffix % ring if "%" in suffix else suffix
    letters = "".join(c for bit, c in _FLAG_SUFFIX if flags & bit)
    return name + ("/" + letters if letters else "")


def _open(spec):
    try:
        return pktmap.Port(spec)
    except OSError as e:
        raise error(e.errno, e.strerror) from None


def _rings(port, tx):
    reg = port.registration()
    n = reg["tx_rings" if tx else "rx_rings"] + \
        reg["host_tx_rings" if tx else "host_rx_rings"]
    return [port.ring(i, tx=tx) for i in range(n)]


class NetmapInterface:
    """struct netmap_if of a registered port, read and written in place."""
    _FIELDS = {"version": 16, "flags": 20, "tx_rings": 24, "rx_rings": 28,
               "bufs_head": 32}

    def __init__(self, port):
        self._view = port.nifp()

    def _release(self):
        self._view.release()

    @property
    def name(self):
        return bytes(self._view[:16]).split(b"\0", 1)[0].decode()

    @name.setter
    def name(self, value):
        raw = value.encode()[:15]
        self._view[:16] = raw + b"\0" * (16 - len(raw))

    def __getattr__(self, field):
        off = NetmapInterface._FIELDS.get(field)
        if off is None:
            raise AttributeError(field)
        return struct.unpack_from("=I", self._view, off)[0]

    def __setattr__(self, field, value):
        off = NetmapInterface._FIELDS.get(field)
        if off is None:
            object.__setattr__(self, field, value)
        else:
            struct.pack_into("=I", self._view, off, value)

    def __repr__(self):
        return "name: '%s'\nversion: %u\nflags: 0x%08x\ntx_rings: %u\n" \
            "rx_rings: %u\nbufs_head: %u\n" % (
                self.name, self.version, self.flags, self.tx_rings,
                self.rx_rings, self.bufs_head)


class _Registered:
    """What NetmapDesc and Netmap share once a port is registered."""
    _port = None
    interface = transmit_rings = receive_rings = None

    def _attach(self, port):
        self._port = port
        self.interface = NetmapInterface(port)
        self.transmit_rings = _rings(port, True)
        self.receive_rings = _rings(port, False)

    def _detach(self):
        if self._port is not None:
            self.interface._release()
            self.interface = self.transmit_rings = self.receive_rings = None
            self._port.close()
            self._port = None

    def _registered(self):
        if self._port is None:
            raise error(22, "netmap interface is not registered")
        return self._port

    def txsync(self):
        """NIOCTXSYNC on the registered rings"""
        self._registered().sync_tx()

    def rxsync(self):
        """NIOCRXSYNC on the registered rings"""
        self._registered().sync_rx()


class NetmapDesc(_Registered):
    """NetmapDesc(ifname, flags=0): open and register in one step, with the
    extended names of nm_open() ("netmap:eth0*", "vale1:a", "netmap:x{3").
    flags (NM_OPEN_*) are accepted and ignored: pktmap shares one mapping
    per memory region already."""

    def __init__(self, ifname, flags=0):
        self._attach(_open(ifname))

    def getfd(self):
        return self._registered().fd

    def getringid(self):
        return self._registered().registration()["ringid"]

    def getflags(self):
        reg = self._registered().registration()
        return reg["mode"] | reg["flags"]

    def close(self):
        self._detach()

    def __del__(self):
        if self._port is not None:
            self._detach()

    def __repr__(self):
        reg = self._registered().registration()
        return "if_name: '%s'\nringid: %d\nflags: 0x%x\n" % (
            reg["name"], reg["ringid"], reg["mode"] | reg["flags"])


class Netmap(_Registered):
    """Netmap(dev_name='/dev/netmap', version=14): a registration request.

        n = netmap.Netmap(); n.open(); n.if_name = 'vale0:1'
        n.register(); ... n.transmit_rings[0] ...; n.close()

    ringid and flags are the legacy nmreq fields (RegAllNic, RegOneNic with
    ringid N, RegPipeMaster, ...); getinfo() fills tx/rx_rings and slots.
    Bridge commands (cmd) are not supported here: use vale-ctl.
    """
    _CLOSED, _OPENED, _REGISTERED = range(3)

    def __init__(self, dev_name="/dev/netmap", version=14):
        self.dev_name = dev_name
        self.if_name = ""
        self.version = version
        self._state = Netmap._CLOSED
        self.clear()

    def clear(self):
        """reset the request fields to their defaults"""
        self.tx_slots = self.rx_slots = self.tx_rings = self.rx_rings = 0
        self.ringid = self.cmd = self.arg1 = self.arg2 = self.arg3 = 0
        self.flags = RegDefault
        self.spare2 = 0

    def open(self):
        """open the netmap device"""
        if self._state != Netmap._CLOSED:
            raise error(16, "cannot open netmap device twice")
        self._state = Netmap._OPENED

    def close(self):
        """close the netmap device (and the registration)"""
        if self._state == Netmap._CLOSED:
            raise error(9, "netmap device is not opened")
        self._detach()
        self._state = Netmap._CLOSED

    def _spec(self):
        if self.cmd:
            raise error(95, "bridge commands are not supported: use vale-ctl")
        return _portspec(self.if_name, self.ringid, self.flags)

    def _take(self, reg):
        self.tx_slots, self.rx_slots = reg["tx_slots"], reg["rx_slots"]
        self.tx_rings, self.rx_rings = reg["tx_rings"], reg["rx_rings"]

    def register(self):
        """register if_name (NIOCREGIF) and map its rings"""
        if self._state != Netmap._OPENED:
            raise error(22, "netmap device is not opened" if self._state ==
                        Netmap._CLOSED else "interface already registered")
        port = _open(self._spec())
        self._take(port.registration())
        self._attach(port)
        self._state = Netmap._REGISTERED

    regif = register

    def getinfo(self):
        """ask for the interface's rings and slots (NIOCGINFO)"""
        if self._state == Netmap._CLOSED:
            raise error(9, "netmap device is not opened")
        if self._port is not None:
            self._take(self._port.registration())
            return
        port = _open(self._spec())
        try:
            self._take(port.registration())
        finally:
            port.close()

    def getfd(self):
        return self._registered().fd

    def __repr__(self):
        return ("dev_name: '%s'\nif_name: '%s'\nversion: %d\ntx_slots: %d\n"
                "rx_slots: %d\ntx_rings: %d\nrx_rings: %d\nringid: %d\n"
                "flags: 0x%x\n" % (self.dev_name, self.if_name, self.version,
                                   self.tx_slots, self.rx_slots, self.tx_rings,
                                   self.rx_rings, self.ringid, self.flags))
