# shellcheck shell=bash
# Host rx ring against frames it cannot take: a GSO frame cut into more
# segments than the ring has slots is dropped and counted, the ring keeps
# moving, and poll() keeps its timeout (pktmap-bridge's --timeout ends it).
#
# pktmap-bridge joins B's NIC rings and its host rings (netmap:B and
# netmap:B^) the way netmap's kernel would; the hosts and helpers are those
# of host.sh, whose own tests are not run again from here.

# shellcheck source=tests/net/host.sh
. tests/net/host.sh
for _f in $(declare -F | awk '$3 ~ /^test_host_/ { print $3 }'); do
	unset -f "$_f"
done

# pktmap-bridge between B's NIC and host rings, ending by itself after
# SECONDS; extra environment for it in ENV (PKTMAP_SLOTS=N).
gso_bridge() { # SECONDS [ENV...]
	local t=$1
	shift
	need "$BIN/pktmap-bridge" "$TBIN/host-gso"
	nsbg b "$TMPD/bridge.log" env "$@" "$BIN/pktmap-bridge" \
		-i "netmap:$B" -i "netmap:$B^" --timeout "$t" -T 0
	HOST_PID=$BG_PID
	wait_line "$TMPD/bridge.log" 'ready' 20 "$HOST_PID"
}

# The bridge ends at its --timeout: its poll() returned; then its counts.
gso_bridge_ends() { # SECONDS
	wait_bg "$HOST_PID" "$1"
	[ "$BG_STATUS" = 0 ] ||
		fail "pktmap-bridge did not end by its --timeout ($BG_STATUS)"
}

# GSO frames from b's stack towards a, cut at 1 and 8 bytes: 3000 and
# 1125 segments, more than a ring of the default 1024 slots (or the most
# there can be, 2048) ever holds.  Each is dropped, counted once, and the
# pings after them all pass both ways.
test_host_gso_tiny_segments() {
	host_pair
	gso_bridge 20
	host_ping 3 before
	nsx b "$TBIN/host-gso" "$B" "$(host_mac a "$A")" $HOST_B $HOST_A \
		1 3000 2 >"$TMPD/gso1.log" 2>&1 || fail "sending gso_size 1"
	nsx b "$TBIN/host-gso" "$B" "$(host_mac a "$A")" $HOST_B $HOST_A \
		8 9000 1 >"$TMPD/gso8.log" 2>&1 || fail "sending gso_size 8"
	host_ping 5 after
	gso_bridge_ends 60
	info "$(grep b_drops "$TMPD/bridge.log")"
	expect_kv "$TMPD/bridge.log" b_drops 3
	expect_kv "$TMPD/bridge.log" a_to_b_packets 8
	expect_kv "$TMPD/bridge.log" b_to_a_packets 8
}

# TCP with TCP_MAXSEG=88 and TSO on b: b's stack hands tc egress GSO
# frames of up to 64 KB cut at 76 bytes, up to ~800 segments, through host
# rings of 64 slots.  Those that cannot fit are dropped, TCP sends them
# again in pieces that fit, the echo completes byte for byte, and later
# traffic still passes.
test_host_gso_small_mss() {
	local spid
	host_pair
	nsx b ethtool -K "$B" tx on tso on gso on >/dev/null 2>&1 ||
		fail "ethtool -K $B tx on tso on gso on"
	gso_bridge 40 PKTMAP_SLOTS=64
	nsbg b "$TMPD/server.log" "$TBIN/host-tcp" serve "$HOST_B" 7003 30
	spid=$BG_PID
	wait_line "$TMPD/server.log" '^listening' 10 "$spid"
	nsx a timeout 40 "$TBIN/host-tcp" connect "$HOST_B" 7003 300000 30 88 \
		>"$TMPD/client.log" 2>&1 || fail "the client failed"
	wait_bg "$spid" 40
	expect_kv "$TMPD/client.log" match 1
	expect_kv "$TMPD/server.log" echoed 300000
	host_ping 5 after
	gso_bridge_ends 90
	info "host rx drops: $(kv "$TMPD/bridge.log" b_drops)"
}
