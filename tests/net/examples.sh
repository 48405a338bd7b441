# shellcheck shell=bash
# The seed examples at work: hexdump, bridge, multiqueue.

# a --- b(bridge) --- c: veths A-B1 and B2-C; sets A B1 B2 C.
bridged_hosts() {
	need "$TBIN/frames" "$BIN/example-bridge"
	ns_add a
	ns_add b
	ns_add c
	A=$(ifn a)
	B1=$(ifn b1)
	B2=$(ifn b2)
	C=$(ifn c)
	veth_add a "$A" b "$B1" "$@"
	veth_add b "$B2" c "$C" "$@"
	nsbg b "$TMPD/bridge.log" "$BIN/example-bridge" \
		"netmap:$B1" "netmap:$B2" -t 60
	BRIDGE_PID=$BG_PID
	wait_line "$TMPD/bridge.log" '<->' 10 "$BRIDGE_PID"
}

# Sends N frames of LEN bytes from namespace FROM (port TX) to TO (RX).
send_across() { # FROM TX TO RX N LEN LOGNAME
	nsbg "$3" "$TMPD/$7-recv.log" "$TBIN/frames" recv "netmap:$4" "$5" \
		"$6" 20
	local rpid=$BG_PID
	wait_line "$TMPD/$7-recv.log" '^ready' 10 "$rpid"
	nsx "$1" timeout 30 "$TBIN/frames" send "netmap:$2" "$5" "$6" \
		>"$TMPD/$7-send.log" 2>&1 || fail "$7: sender failed"
	wait_bg "$rpid" 30
	[ "$BG_STATUS" = 0 ] || [ "$BG_STATUS" = 1 ] ||
		fail "$7: receiver exited with $BG_STATUS"
}

# The bridge can drop (its input's kernel ring full while a loaded machine
# does not run it) and counts what it drops: every frame sent is received
# or counted, by the bridge or the receiver, and nothing arrives damaged.
expect_bridged() { # LOGNAME SENT BRIDGE_DROPS
	local log=$TMPD/$1-recv.log lost
	lost=$(($3 + $(kv "$log" kernel_drops)))
	expect_kv "$log" received $(($2 - lost))
	expect_kv "$log" missing "$lost"
	expect_kv "$log" bad 0
	expect_kv "$log" extra 0
}

# What the bridge carried each way, and what it dropped, match what each
# receiver got.
expect_bridge_counts() { # LOG_AB SENT_AB LOG_BA SENT_BA
	local da db
	da=$(kv "$TMPD/bridge.log" drops_a)
	db=$(kv "$TMPD/bridge.log" drops_b)
	expect_bridged "$1" "$2" "$da"
	expect_bridged "$3" "$4" "$db"
	expect_kv "$TMPD/bridge.log" a_to_b $(($2 - da))
	expect_kv "$TMPD/bridge.log" b_to_a $(($4 - db))
}

stop_bridge() {
	kill -TERM "$BRIDGE_PID"
	wait_bg "$BRIDGE_PID" 10
	[ "$BG_STATUS" = 0 ] || fail "bridge exited with $BG_STATUS"
	info "bridge: $(grep a_to_b= "$TMPD/bridge.log")"
}

test_bridge_both_ways() {
	bridged_hosts
	send_across a "$A" c "$C" 3000 60 a-to-c
	send_across c "$C" a "$A" 2000 1514 c-to-a
	stop_bridge
	expect_bridge_counts a-to-c 3000 c-to-a 2000
}

# Chains of NS_MOREFRAG slots cross the bridge whole.
test_bridge_large_frames() {
	bridged_hosts mtu=9000
	send_across a "$A" c "$C" 2000 4000 a-to-c
	send_across c "$C" a "$A" 1000 9000 c-to-a
	stop_bridge
	expect_bridge_counts a-to-c 2000 c-to-a 1000
}

# Both directions at once; each end receives on its rx rings (/R) while
# another process transmits on its tx rings (/T).
test_bridge_simultaneous() {
	bridged_hosts
	local pa pc
	nsbg a "$TMPD/a-recv.log" "$TBIN/frames" recv "netmap:$A/R" 4000 60 20
	pa=$BG_PID
	nsbg c "$TMPD/c-recv.log" "$TBIN/frames" recv "netmap:$C/R" 4000 60 20
	pc=$BG_PID
	wait_line "$TMPD/a-recv.log" '^ready' 10 "$pa"
	wait_line "$TMPD/c-recv.log" '^ready' 10 "$pc"
	nsbg a "$TMPD/a-send.log" "$TBIN/frames" send "netmap:$A/T" 4000 60
	nsbg c "$TMPD/c-send.log" "$TBIN/frames" send "netmap:$C/T" 4000 60
	wait_bg "$pa" 30
	[ "$BG_STATUS" = 0 ] || [ "$BG_STATUS" = 1 ] ||
		fail "receiver in a exited with $BG_STATUS"
	wait_bg "$pc" 30
	[ "$BG_STATUS" = 0 ] || [ "$BG_STATUS" = 1 ] ||
		fail "receiver in c exited with $BG_STATUS"
	stop_bridge
	expect_bridge_counts c 4000 a 4000
}

# 64 UDP flows over a 4-queue veth: every flow on exactly one ring.
test_multiqueue_flows() {
	need "$TBIN/frames" "$BIN/example-multiqueue"
	local n=20000 flows=64 used
	ns_add a
	ns_add b
	A=$(ifn a)
	B=$(ifn b)
	veth_add a "$A" b "$B" queues=4
	nsbg b "$TMPD/mq.log" "$BIN/example-multiqueue" "netmap:$B" -p 4 -t 60
	local mq=$BG_PID
	wait_line "$TMPD/mq.log" '^ready' 10 "$mq"
	nsx a timeout 30 "$TBIN/frames" udp "netmap:$A" "$n" "$flows" \
		>"$TMPD/send.log" 2>&1 || fail "sender failed"
	sleep 1
	kill -TERM "$mq"
	wait_bg "$mq" 10
	[ "$BG_STATUS" = 0 ] || fail "example-multiqueue exited with $BG_STATUS"
	sed 's/^/# /' "$TMPD/mq.log"
	grep -q '^total ' "$TMPD/mq.log" || fail "no total line"
	grep '^total ' "$TMPD/mq.log" >"$TMPD/total"
	expect_kv "$TMPD/total" packets "$n"
	expect_kv "$TMPD/total" flows "$flows"
	expect_kv "$TMPD/mq.log" flows_on_several_rings 0
	[ "$(grep -c '^ring ' "$TMPD/mq.log")" = 4 ] || fail "not 4 rings"
	local sum
	sum=$(awk '/^ring /{sub("flows=","",$4); s+=$4} END{print s}' \
		"$TMPD/mq.log")
	[ "$sum" = "$flows" ] || fail "per-ring flows add up to $sum"
	used=$(grep -c '^ring .* packets=[1-9]' "$TMPD/mq.log")
	[ "$used" -ge 2 ] || fail "all flows on $used ring(s): no spreading"
}

# A known frame, printed byte for byte.
test_hexdump_known_frame() {
	need "$TBIN/frames" "$BIN/example-hexdump"
	local text hex i
	ns_add a
	ns_add b
	A=$(ifn a)
	B=$(ifn b)
	veth_add a "$A" b "$B"
	# broadcast, 02:70:6d:00:00:01, type 0x88b5, a text, zero padding
	text=$(printf 'hello, netmap!' | od -An -tx1 | tr -d ' \n')
	hex="ffffffffffff02706d00000188b5$text"
	while [ ${#hex} -lt 120 ]; do
		hex="${hex}00"
	done
	nsbg b "$TMPD/hexdump.log" "$BIN/example-hexdump" "netmap:$B" -n 1
	local hd=$BG_PID
	# Sent until printed: the dump has no "ready" line to wait for.
	for i in $(seq 50); do
		kill -0 "$hd" 2>/dev/null || break
		nsx a "$TBIN/frames" hex "netmap:$A" "$hex" >"$TMPD/send.log" 2>&1 ||
			fail "sender failed"
		sleep 0.2
	done
	wait_bg "$hd" 5
	[ "$BG_STATUS" = 0 ] || fail "example-hexdump exited with $BG_STATUS"
	cat "$TMPD/hexdump.log"
	grep -q '^frame 1: 60 bytes' "$TMPD/hexdump.log" || fail "no frame line"
	local dumped
	dumped=$(sed -n 's/^[0-9a-f]\{4\}  \(.*\)  |.*|$/\1/p' \
		"$TMPD/hexdump.log" | tr -d ' \n')
	[ "$dumped" = "$hex" ] || fail "dumped $dumped, sent $hex"
	grep -q '|llo, netmap!\.\.\.\.|$' "$TMPD/hexdump.log" ||
		fail "ASCII column wrong"
}
