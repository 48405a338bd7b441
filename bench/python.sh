#!/bin/sh
# bench/python.sh -- frames per second from Python (pktmap's bindings, scapy,
# socket.AF_PACKET), in the same run; options go to bench/python/bench.py.
# Run as root.  Builds with make, runs in a network namespace of its own.
set -e
cd "$(dirname "$0")/.."
make -s all >/dev/null
exec env PYTHONPATH=build/python "${PYTHON:-/usr/bin/python3}" \
	bench/python/bench.py "$@"
