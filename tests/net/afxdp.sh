# shellcheck shell=bash
# The AF_XDP backend (PKTMAP_BACKEND=afxdp) on veth: native XDP, copy mode.
# Frames arrive exactly, byte for byte and in order (frames.c judges); a
# port that cannot have AF_XDP fails with an error, never silently on
# AF_PACKET; a killed process leaves no XDP program behind.

# Namespaces a and b joined by a veth pair; sets A and B.
xdp_hosts() {
	need "$TBIN/frames"
	ns_add a
	ns_add b
	A=$(ifn a)
	B=$(ifn b)
	veth_add a "$A" b "$B" "$@"
}

# N frames of LEN bytes from a (backend SBACK) to b (backend RBACK).
xdp_roundtrip() { # N LEN SBACK RBACK
	local n=$1 len=$2 rpid
	nsbg b "$TMPD/recv.log" env PKTMAP_BACKEND="$4" PKTMAP_DEBUG=1 \
		"$TBIN/frames" recv "netmap:$B" "$n" "$len" 20
	rpid=$BG_PID
	wait_line "$TMPD/recv.log" '^ready' 10 "$rpid"
	nsx a timeout 30 env PKTMAP_BACKEND="$3" PKTMAP_DEBUG=1 \
		"$TBIN/frames" send "netmap:$A" "$n" "$len" \
		>"$TMPD/send.log" 2>&1 || fail "sender failed"
	expect_kv "$TMPD/send.log" sent "$n"
	wait_bg "$rpid" 30
	[ "$BG_STATUS" = 0 ] || fail "receiver exited with $BG_STATUS"
	expect_kv "$TMPD/recv.log" received "$n"
	expect_kv "$TMPD/recv.log" bad 0
	expect_kv "$TMPD/recv.log" missing 0
	info "$len-byte frames $3 -> $4: $(grep received= "$TMPD/recv.log")"
}

# The log says which backend and which mode each afxdp side got.
xdp_expect_mode() { # LOG
	grep -q 'XDP sockets, copy mode' "$1" ||
		fail "$(basename "$1"): no AF_XDP port in copy mode"
	grep -q 'XDP program attached (native)' "$1" ||
		fail "$(basename "$1"): XDP not native"
}

test_rx_60() {
	xdp_hosts
	xdp_roundtrip 3000 60 afpacket afxdp
	xdp_expect_mode "$TMPD/recv.log"
}

test_rx_1514() {
	xdp_hosts
	xdp_roundtrip 3000 1514 afpacket afxdp
	xdp_expect_mode "$TMPD/recv.log"
}

test_tx_60() {
	xdp_hosts
	xdp_roundtrip 3000 60 afxdp afpacket
	xdp_expect_mode "$TMPD/send.log"
}

test_tx_1514() {
	xdp_hosts
	xdp_roundtrip 3000 1514 afxdp afpacket
	xdp_expect_mode "$TMPD/send.log"
}

# Both ends on AF_XDP.
test_both_1514() {
	xdp_hosts
	xdp_roundtrip 3000 1514 afxdp afxdp
	xdp_expect_mode "$TMPD/send.log"
	xdp_expect_mode "$TMPD/recv.log"
}

# A 4000-byte MTU: 2048-byte frames fill a buffer exactly (the largest an
# rx chunk holds), and arrive whole.
test_rx_2048() {
	xdp_hosts mtu=4000
	xdp_roundtrip 2000 2048 afpacket afxdp
}

# The port fails, with the reason in the debug log; it does not fall back.
test_error_no_interface() {
	need "$TBIN/frames"
	ns_add a
	PKTMAP_BACKEND=afxdp PKTMAP_DEBUG=1 nsx a timeout 10 \
		"$TBIN/frames" recv netmap:pmnosuchif0 1 60 1 \
		>"$TMPD/recv.log" 2>&1 && fail "opened a missing interface"
	grep -q 'no such interface' "$TMPD/recv.log" ||
		fail "no reason given"
}

# Another XDP program on the interface: afxdp cannot have the hook.
test_error_program_attached() {
	need "$TBIN/frames"
	command -v bpftool >/dev/null || skip "needs bpftool"
	xdp_hosts
	# a first afxdp port holds the hook; a second process is refused
	nsbg b "$TMPD/first.log" env PKTMAP_BACKEND=afxdp \
		"$TBIN/frames" recv "netmap:$B" 1 60 20
	wait_line "$TMPD/first.log" '^ready' 10 "$BG_PID"
	nsx b timeout 10 env PKTMAP_BACKEND=afxdp PKTMAP_DEBUG=1 \
		"$TBIN/frames" recv "netmap:$B" 1 60 1 \
		>"$TMPD/second.log" 2>&1 && fail "two ports on one XDP hook"
	grep -q 'is already attached' "$TMPD/second.log" ||
		fail "no reason given"
	# auto falls back to AF_PACKET, and says so
	nsx b timeout 10 env PKTMAP_BACKEND=auto PKTMAP_DEBUG=1 \
		"$TBIN/frames" recv "netmap:$B" 1 60 1 \
		>"$TMPD/auto.log" 2>&1
	grep -q 'afxdp unavailable, using afpacket' "$TMPD/auto.log" ||
		fail "auto did not say it fell back"
	grep -q '(afpacket, mem_id' "$TMPD/auto.log" ||
		fail "auto did not open an AF_PACKET port"
}

# Without CAP_NET_RAW and CAP_BPF: refused, never on AF_PACKET either.
test_error_no_capability() {
	need "$TBIN/frames"
	command -v setpriv >/dev/null || skip "needs setpriv"
	xdp_hosts
	nsx b timeout 10 setpriv --reuid=65534 --regid=65534 --clear-groups \
		--inh-caps=-all --bounding-set=-all \
		env PKTMAP_BACKEND=afxdp PKTMAP_DEBUG=1 \
		"$TBIN/frames" recv "netmap:$B" 1 60 1 \
		>"$TMPD/recv.log" 2>&1 && fail "opened without privileges"
	grep -qE 'needs CAP_|CAP_BPF' "$TMPD/recv.log" ||
		fail "no capability named"
	grep -q 'afpacket' "$TMPD/recv.log" && fail "fell back to afpacket"
	return 0
}

# SIGKILL: the kernel detaches the program with the process's last
# descriptor of its link.
test_killed_leaves_no_program() {
	xdp_hosts
	nsbg b "$TMPD/recv.log" env PKTMAP_BACKEND=afxdp \
		"$TBIN/frames" recv "netmap:$B" 1000000 60 60
	wait_line "$TMPD/recv.log" '^ready' 10 "$BG_PID"
	ip -n "$(ns b)" link show "$B" | grep -q 'xdp' ||
		fail "no XDP program while the port is open"
	kill -KILL "$BG_PID"
	wait_bg "$BG_PID" 10
	local i
	for i in $(seq 50); do
		ip -n "$(ns b)" link show "$B" | grep -q 'xdp' || break
		sleep 0.1
	done
	ip -n "$(ns b)" link show "$B" | grep -q 'xdp' &&
		fail "an XDP program is left: $(ip -n "$(ns b)" link show "$B")"
	if command -v ss >/dev/null && ss --help 2>&1 | grep -q -- --xdp; then
		[ -z "$(nsx b ss --xdp -H 2>/dev/null)" ] ||
			fail "XDP sockets left: $(nsx b ss --xdp -H)"
	fi
	return 0
}
