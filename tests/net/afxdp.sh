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

# An interface another process's AF_XDP port has: refused; auto falls
# back to AF_PACKET.
test_error_interface_taken() {
	need "$TBIN/frames"
	xdp_hosts
	nsbg b "$TMPD/first.log" env PKTMAP_BACKEND=afxdp \
		"$TBIN/frames" recv "netmap:$B" 1 60 20
	wait_line "$TMPD/first.log" '^ready' 10 "$BG_PID"
	nsx b timeout 10 env PKTMAP_BACKEND=afxdp PKTMAP_DEBUG=1 \
		"$TBIN/frames" recv "netmap:$B" 1 60 1 \
		>"$TMPD/second.log" 2>&1 && fail "two ports on one interface"
	grep -q 'another process has an AF_XDP port on it' \
		"$TMPD/second.log" || fail "no reason given"
	grep -q '(afpacket, mem_id' "$TMPD/second.log" &&
		fail "afxdp fell back to afpacket"
	nsx b timeout 10 env PKTMAP_BACKEND=auto PKTMAP_DEBUG=1 \
		"$TBIN/frames" recv "netmap:$B" 1 60 1 \
		>"$TMPD/auto.log" 2>&1
	grep -q 'afxdp unavailable, using afpacket' "$TMPD/auto.log" ||
		fail "auto did not say it fell back"
	grep -q '(afpacket, mem_id' "$TMPD/auto.log" ||
		fail "auto did not open an AF_PACKET port"
}

# Another program on the interface's XDP hook: refused, the program named.
test_error_foreign_program() {
	need "$TBIN/frames"
	command -v clang >/dev/null || skip "needs clang"
	xdp_hosts
	cat >"$TMPD/pass.c" <<'EOC'
__attribute__((section("xdp"), used)) int pass(void *ctx)
{
	return 2; /* XDP_PASS */
}
char _license[] __attribute__((section("license"), used)) = "GPL";
EOC
	clang -O2 -target bpf -c "$TMPD/pass.c" -o "$TMPD/pass.o" ||
		fail "cannot build an XDP program"
	ip -n "$(ns b)" link set dev "$B" xdpdrv obj "$TMPD/pass.o" sec xdp ||
		skip "cannot attach an XDP program with ip"
	nsx b timeout 10 env PKTMAP_BACKEND=afxdp PKTMAP_DEBUG=1 \
		"$TBIN/frames" recv "netmap:$B" 1 60 1 \
		>"$TMPD/recv.log" 2>&1 && fail "opened beside another program"
	grep -qE 'an XDP program \(id [1-9][0-9]*\) is already attached' \
		"$TMPD/recv.log" || fail "the program is not named"
	# the foreign program is still there, alone
	ip -n "$(ns b)" link show "$B" | grep -q 'prog/xdp' ||
		fail "the foreign program went away"
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

# A 4-queue veth, AF_XDP on both ends, a thread per ring: tx ring i sends
# on queue i, which the veth delivers to the peer's queue i, which is rx
# ring i.  Each receiving thread checks its own sequence: every frame of
# its sender, in order, and no other.
test_multiqueue_rings() {
	local gen=$BIN/pktmap-gen rx i
	need "$gen"
	xdp_hosts queues=4
	nsbg b "$TMPD/rx.log" env PKTMAP_BACKEND=afxdp PKTMAP_DEBUG=1 \
		"$gen" -i "netmap:$B" -f rxseq -p 4 -n 20000 --idle 2 \
		--timeout 60 -T 0
	rx=$BG_PID
	wait_line "$TMPD/rx.log" ': ready' 10 "$rx"
	for i in 0 1 2 3; do
		grep -q "$B-$i: 1 XDP sockets, copy mode" "$TMPD/rx.log" ||
			grep -q "4 XDP sockets, copy mode" "$TMPD/rx.log" ||
			fail "no XDP socket for ring $i"
	done
	nsx a env PKTMAP_BACKEND=afxdp "$gen" -i "netmap:$A" -f txseq -p 4 \
		-n 20000 -R 40k -T 0 >"$TMPD/tx.log" 2>&1 ||
		fail "sender failed"
	expect_kv "$TMPD/tx.log" packets 20000
	wait_bg "$rx" 30
	[ "$BG_STATUS" = 0 ] || fail "receiver exited with $BG_STATUS"
	expect_kv "$TMPD/rx.log" packets 20000
	expect_kv "$TMPD/rx.log" missing 0
	info "$(grep "^packets=" "$TMPD/rx.log")"
}

# a --- b --- c with the bridge example in b on AF_XDP: the rx buffer of one
# port goes to the other's tx ring (NS_BUF_CHANGED), outside its UMEM, so
# both of the adapter's copy paths run (a sent buffer from outside, a
# released one from outside).  Every frame sent is received or counted as
# dropped (by the bridge's ports or the receiver), none damaged.
xdp_bridge_leg() { # FROM TX TO RX N LEN NAME
	nsbg "$3" "$TMPD/$7-recv.log" "$TBIN/frames" recv "netmap:$4" "$5" \
		"$6" 20
	local rpid=$BG_PID lost
	wait_line "$TMPD/$7-recv.log" '^ready' 10 "$rpid"
	nsx "$1" timeout 30 "$TBIN/frames" send "netmap:$2" "$5" "$6" \
		>"$TMPD/$7-send.log" 2>&1 || fail "$7: sender failed"
	wait_bg "$rpid" 30
	[ "$BG_STATUS" = 0 ] || [ "$BG_STATUS" = 1 ] ||
		fail "$7: receiver exited with $BG_STATUS"
	expect_kv "$TMPD/$7-recv.log" bad 0
	expect_kv "$TMPD/$7-recv.log" extra 0
	info "$7: $(grep received= "$TMPD/$7-recv.log")"
}

test_bridge_both_ways() {
	need "$TBIN/frames" "$BIN/example-bridge"
	ns_add a
	ns_add b
	ns_add c
	A=$(ifn a)
	local b1 b2 c ab ba da db
	b1=$(ifn b1)
	b2=$(ifn b2)
	c=$(ifn c)
	veth_add a "$A" b "$b1"
	veth_add b "$b2" c "$c"
	nsbg b "$TMPD/bridge.log" env PKTMAP_BACKEND=afxdp PKTMAP_DEBUG=1 \
		"$BIN/example-bridge" "netmap:$b1" "netmap:$b2" -t 60
	local br=$BG_PID
	wait_line "$TMPD/bridge.log" '<->' 10 "$br"
	[ "$(grep -c 'XDP sockets, copy mode' "$TMPD/bridge.log")" = 2 ] ||
		fail "the bridge's ports are not both on AF_XDP"
	xdp_bridge_leg a "$A" c "$c" 3000 60 a-to-c
	xdp_bridge_leg c "$c" a "$A" 2000 1514 c-to-a
	kill -TERM "$br"
	wait_bg "$br" 10
	[ "$BG_STATUS" = 0 ] || fail "bridge exited with $BG_STATUS"
	da=$(kv "$TMPD/bridge.log" drops_a)
	db=$(kv "$TMPD/bridge.log" drops_b)
	ab=$(kv "$TMPD/bridge.log" a_to_b)
	ba=$(kv "$TMPD/bridge.log" b_to_a)
	info "bridge: a_to_b=$ab b_to_a=$ba drops_a=$da drops_b=$db"
	[ "$ab" = $((3000 - da)) ] || fail "a_to_b=$ab with $da dropped"
	[ "$ba" = $((2000 - db)) ] || fail "b_to_a=$ba with $db dropped"
	expect_kv "$TMPD/a-to-c-recv.log" received \
		$((ab - $(kv "$TMPD/a-to-c-recv.log" kernel_drops)))
	expect_kv "$TMPD/c-to-a-recv.log" received \
		$((ba - $(kv "$TMPD/c-to-a-recv.log" kernel_drops)))
}

# An application that does not run: the kernel keeps 4096 frames for the
# ring (its free slots and the port's spares), drops the rest and counts
# them (XDP_STATISTICS), which pktmap_stats_get reports as rx_drops.
test_stats_drops() {
	need "$TBIN/holdrecv" "$TBIN/frames"
	local n=6000 pid veth_drops
	xdp_hosts
	mkfifo "$TMPD/go" || fail "mkfifo"
	exec 7<>"$TMPD/go"
	ip netns exec "$(ns b)" env PKTMAP_BACKEND=afxdp \
		"$TBIN/holdrecv" "netmap:$B" <"$TMPD/go" >"$TMPD/hold.log" 2>&1 &
	pid=$!
	NET_PIDS+=("$pid")
	wait_line "$TMPD/hold.log" '^ready' 10 "$pid"
	nsx a timeout 30 "$TBIN/frames" send "netmap:$A" "$n" 60 \
		>"$TMPD/send.log" 2>&1 || fail "sender failed"
	expect_kv "$TMPD/send.log" sent "$n"
	echo go >&7
	wait_bg "$pid" 10
	exec 7>&-
	[ "$BG_STATUS" = 0 ] || fail "holdrecv exited with $BG_STATUS"
	# frames the veth itself dropped never reached the socket
	veth_drops=$(nsx a cat "/sys/class/net/$A/statistics/tx_dropped")
	info "$(cat "$TMPD/hold.log") a_tx_dropped=$veth_drops" \
		"b_rx_dropped=$(nsx b cat "/sys/class/net/$B/statistics/rx_dropped")"
	expect_kv "$TMPD/hold.log" received 4096
	expect_kv "$TMPD/hold.log" kernel_drops $((n - 4096 - veth_drops))
}

# Zero-copy asked on a veth, which has none: copy mode, said in the log.
test_zerocopy_asked_falls_to_copy() {
	xdp_hosts
	nsbg b "$TMPD/recv.log" env PKTMAP_BACKEND=afxdp PKTMAP_XDP_ZEROCOPY=1 \
		PKTMAP_DEBUG=1 "$TBIN/frames" recv "netmap:$B" 1000 60 20
	local rpid=$BG_PID
	wait_line "$TMPD/recv.log" '^ready' 10 "$rpid"
	nsx a timeout 30 "$TBIN/frames" send "netmap:$A" 1000 60 \
		>"$TMPD/send.log" 2>&1 || fail "sender failed"
	wait_bg "$rpid" 30
	[ "$BG_STATUS" = 0 ] || fail "receiver exited with $BG_STATUS"
	expect_kv "$TMPD/recv.log" received 1000
	xdp_expect_mode "$TMPD/recv.log"
}

# A child receives on the descriptor and the mapping its parent registered:
# the XDP sockets, their rings and the UMEM came along with fork.
test_fork_child_receives() {
	need "$TBIN/forkrecv"
	xdp_hosts
	nsbg b "$TMPD/recv.log" env PKTMAP_BACKEND=afxdp \
		"$TBIN/forkrecv" "netmap:$B" 2000 1514 20
	local rpid=$BG_PID
	wait_line "$TMPD/recv.log" '^ready' 10 "$rpid"
	nsx a timeout 30 "$TBIN/frames" send "netmap:$A" 2000 1514 \
		>"$TMPD/send.log" 2>&1 || fail "sender failed"
	wait_bg "$rpid" 30
	[ "$BG_STATUS" = 0 ] || fail "forkrecv exited with $BG_STATUS"
	expect_kv "$TMPD/recv.log" received 2000
	expect_kv "$TMPD/recv.log" child_status 0
}

# The interface disappears under a receiver blocked in poll(): it notices
# (the kernel unbinds its socket) and exits with a clear error.
test_interface_deleted_while_polling() {
	xdp_hosts
	nsbg b "$TMPD/recv.log" env PKTMAP_BACKEND=afxdp \
		"$TBIN/frames" recv "netmap:$B" 1000 60 60
	local rpid=$BG_PID
	wait_line "$TMPD/recv.log" '^ready' 10 "$rpid"
	sleep 0.5
	ip -n "$(ns a)" link del "$A" || fail "cannot delete $A"
	wait_bg "$rpid" 10
	[ "$BG_STATUS" = 2 ] || fail "receiver exited with $BG_STATUS, want 2"
	grep -q 'port error' "$TMPD/recv.log" || fail "no clear error message"
}
