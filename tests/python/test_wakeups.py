"""select, selectors and asyncio wake up on a port; the GIL is released
while a poll or a sync blocks.  Every wait is bounded (10 s, a bound and
not a timing assertion); a missed wake-up fails instead of hanging."""
import asyncio
import faulthandler
import os
import select
import selectors
import subprocess
import sys
import threading

import pktmap
from conftest import BUILD, frame, needs_interposition

BOUND = 10.0


def send_later(port, frames, started):
    """From another thread, once the main one is about to wait."""
    def run():
        started.wait()
        port.send(frames)
    t = threading.Thread(target=run)
    t.start()
    return t


@needs_interposition
def test_select(pipe):
    m, s = pipe
    assert select.select([s], [], [], 0)[0] == []
    ready = threading.Event()
    t = send_later(m, [frame(1)], ready)
    ready.set()
    r, _, _ = select.select([s], [], [], BOUND)
    t.join()
    assert r == [s]
    assert s.recv(timeout=0) == [frame(1)]
    assert select.select([s], [], [], 0)[0] == []


@needs_interposition
def test_selectors_vale(vale):
    a, b = vale
    with selectors.DefaultSelector() as sel:
        sel.register(b, selectors.EVENT_READ, "b")
        assert sel.select(0) == []
        a.send([frame(2), frame(3)])
        events = sel.select(BOUND)
        assert [(k.data, ev) for k, ev in events] == \
            [("b", selectors.EVENT_READ)]
        assert b.recv() == [frame(2), frame(3)]


@needs_interposition
def test_select_pollout(pipe):
    m, _ = pipe
    _, w, _ = select.select([], [m], [], BOUND)
    assert w == [m]


@needs_interposition
def test_asyncio_add_reader(veth):
    a, b = veth

    async def main():
        loop = asyncio.get_running_loop()
        got = loop.create_future()

        def on_readable():
            frames = b.recv(timeout=0)
            if frames and not got.done():
                got.set_result(frames)
        loop.add_reader(b, on_readable)
        try:
            loop.call_soon(a.send, [frame(i) for i in range(3)])
            return await asyncio.wait_for(got, BOUND)
        finally:
            loop.remove_reader(b)

    assert asyncio.run(main()) == [frame(i) for i in range(3)]


def test_gil_released_while_poll_blocks(pipe):
    """recv(timeout=None) blocks in poll; a second thread keeps running
    Python code (it counts), then sends the frame that wakes the first."""
    m, s = pipe
    count = 0

    def counter():
        nonlocal count
        while count < 200000:
            count += 1
        m.send([frame(5)])

    faulthandler.dump_traceback_later(60, exit=True)  # a held GIL hangs
    try:
        t = threading.Thread(target=counter)
        t.start()
        got = s.recv(timeout=None)
        t.join()
    finally:
        faulthandler.cancel_dump_traceback_later()
    assert count == 200000
    assert got == [frame(5)]


def test_gil_released_in_poll_method(vale):
    a, b = vale
    woke = []

    def waiter():
        woke.append(b.poll(pktmap.POLLIN, timeout=BOUND))
    t = threading.Thread(target=waiter)
    t.start()
    n = 0
    while n < 100000:  # runs while the waiter sits in poll
        n += 1
    a.send([frame(9)])
    t.join()
    assert woke == [pktmap.POLLIN]
    assert b.recv() == [frame(9)]


def test_recv_timeout_without_frames(pipe):
    _, s = pipe
    assert s.recv(timeout=0) == []
    assert s.recv(timeout=0.01) == []


def test_without_interposition():
    """Loaded without LD_PRELOAD, libpktmap is dlopen()ed with its own
    symbols first: ports work, fileno() says why select would not."""
    code = r"""
import errno, pktmap
assert not pktmap.interposed, pktmap.library
with pktmap.Port("netmap:lo{3") as m, pktmap.Port("netmap:lo}3") as s:
    m.send([b"x" * 60, b"y" * 5000])
    assert s.recv(timeout=5) == [b"x" * 60, b"y" * 5000]
    try:
        s.fileno()
    except OSError as e:
        assert "LD_PRELOAD" in str(e)
    else:
        raise SystemExit("fileno() did not raise")
print("ok")
"""
    env = dict(os.environ, PYTHONPATH=BUILD)
    env.pop("LD_PRELOAD", None)
    out = subprocess.run([sys.executable, "-c", code], env=env,
                         capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "ok", out.stderr
