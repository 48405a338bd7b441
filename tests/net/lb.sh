# shellcheck shell=bash
# pktmap-lb end to end: traffic from namespace a over a veth into B, where
# pktmap-lb spreads it over the pipes B{0..N-1 and consumer processes read
# B}0..B}N-1.  Exact counts: every flow on exactly one pipe (both of its
# directions too), the pipes' frames add up to what was sent, each pipe's
# count equals the lb's; a stalled consumer costs drops on its pipe only,
# and -B extra buffers hold its frames until it reads again.

LB=$BIN/pktmap-lb
GEN=$BIN/pktmap-gen
CAPTURE=$BIN/pktmap-capture

# Namespaces a and b joined by a veth pair; sets A and B.
lb_hosts() { # [veth_add OPTION...]
	ns_add a
	ns_add b
	A=$(ifn a)
	B=$(ifn b)
	veth_add a "$A" b "$B" "$@"
}

need_lb() {
	need "$LB" "$GEN" "$CAPTURE" "$TBIN/frames"
	command -v tcpdump >/dev/null || skip "needs tcpdump"
}

# A consumer: pktmap-capture on the slave end B}I into $TMPD/pipeI.pcap,
# stopping 2 s after its last frame; its pid in CONS[I].
CONS=()
start_consumer() { # I
	nsbg b "$TMPD/cons$1.log" "$CAPTURE" -i "netmap:$B}$1" \
		-w "$TMPD/pipe$1.pcap" -T 0 --idle 2 --timeout 90
	CONS[$1]=$BG_PID
	wait_line "$TMPD/cons$1.log" ': ready' 10 "$BG_PID"
}

# The balancer on B with N pipes and more options; its pid in LB_PID.
start_lb() { # N [OPTION...]
	local n=$1
	shift
	nsbg b "$TMPD/lb.log" "$LB" -i "netmap:$B" -p "$n" -w 0 \
		--timeout 90 "$@"
	LB_PID=$BG_PID
	wait_line "$TMPD/lb.log" ': ready' 10 "$LB_PID"
}

expect_exit() { # PID WHAT
	wait_bg "$1" 60
	[ "$BG_STATUS" = 0 ] || fail "$2 exited with $BG_STATUS"
}

# The directed flows of a capture, "SRC > DST" with ports, one a frame.
flows_of() { # PCAP
	tcpdump -r "$1" -nn 2>/dev/null | awk '{ sub(/:$/, "", $5);
		print $3, ">", $5 }'
}

# Every line "CONVERSATION PIPE" for the frames of pipes 0..N-1, where a
# conversation names its two ends in a fixed order.
conversations() { # N
	local i
	for ((i = 0; i < $1; i++)); do
		flows_of "$TMPD/pipe$i.pcap" | awk -v p="$i" '{
			a = $1; b = $3
			print (a < b ? a " " b : b " " a), p }'
	done
}

# The lb's input can drop (its kernel ring full while a loaded machine
# does not run it): of SENT frames, each was received or counted in
# rx_drops.  Sets RECEIVED.
expect_lb_received() { # SENT
	RECEIVED=$(kv "$TMPD/lb.log" received)
	[ $((RECEIVED + $(kv "$TMPD/lb.log" rx_drops))) = "$1" ] ||
		fail "lb: received=$RECEIVED + rx_drops is not the $1 sent"
}

# Checks the lb's counters and the consumers' captures against each
# other: SENT frames received (or counted as rx drops), each forwarded or
# counted as dropped at a full pipe, each pipe's capture as long as the lb
# says, no flow on two pipes, FLOWS flows (when nothing was dropped).
check_spread() { # N SENT FLOWS
	local n=$1 sent=$2 flows=$3 i got sum=0 split fwd
	expect_lb_received "$sent"
	fwd=$((RECEIVED - $(kv "$TMPD/lb.log" dropped)))
	expect_kv "$TMPD/lb.log" forwarded "$fwd"
	expect_kv "$TMPD/lb.log" non_ip 0
	for ((i = 0; i < n; i++)); do
		got=$(flows_of "$TMPD/pipe$i.pcap" | wc -l)
		expect_kv "$TMPD/lb.log" "pipe$i" "$got"
		expect_kv "$TMPD/cons$i.log" packets "$got"
		[ "$got" -gt 0 ] || fail "pipe $i got nothing"
		sum=$((sum + got))
		info "pipe $i: $got frames, $(flows_of "$TMPD/pipe$i.pcap" |
			sort -u | wc -l) flows"
	done
	[ "$sum" = "$fwd" ] ||
		fail "the pipes got $sum frames, the lb forwarded $fwd"
	conversations "$n" | sort -u >"$TMPD/conv"
	split=$(awk '{print $1, $2}' "$TMPD/conv" | uniq -d | head -3)
	[ -z "$split" ] || fail "flows on two pipes: $split"
	got=$(awk '{print $1, $2}' "$TMPD/conv" | sort -u | wc -l)
	[ "$got" = "$flows" ] || { [ "$fwd" != "$sent" ] &&
		[ "$got" -lt "$flows" ]; } || fail "$got flows, expected $flows"
}

# 8 sources x 8 ports x 2 destinations = 128 UDP flows, 60 frames each.
spread_test() { # N
	local n=$1 i
	need_lb
	lb_hosts
	for ((i = 0; i < n; i++)); do
		start_consumer "$i"
	done
	start_lb "$n" --idle 2
	nsx a "$GEN" -i "netmap:$A" -n 7680 -R 40k -T 0 \
		-s 198.18.0.1-198.18.0.8:20000-20007 \
		-d 198.18.1.1-198.18.1.2:30000 >"$TMPD/gen.log" 2>&1 ||
		fail "gen failed"
	expect_kv "$TMPD/gen.log" packets 7680
	expect_exit "$LB_PID" lb
	for ((i = 0; i < n; i++)); do
		expect_exit "${CONS[$i]}" "consumer $i"
	done
	check_spread "$n" 7680 128
}

test_lb_two_pipes() {
	spread_test 2
}

test_lb_four_pipes() {
	spread_test 4
}

# 4000-byte frames arrive as NS_MOREFRAG chains and move whole.
test_lb_jumbo() {
	need_lb
	lb_hosts mtu=9000
	local i sizes
	for i in 0 1; do
		start_consumer "$i"
	done
	start_lb 2 --idle 2
	nsx a "$GEN" -i "netmap:$A" -l 4000 -n 1600 -R 10k -T 0 \
		-s 198.18.0.1-198.18.0.4:20000-20007 -d 198.18.1.1:30000 \
		>"$TMPD/gen.log" 2>&1 || fail "gen failed"
	expect_exit "$LB_PID" lb
	for i in 0 1; do
		expect_exit "${CONS[$i]}" "consumer $i"
	done
	check_spread 2 1600 32
	sizes=$(for i in 0 1; do
		tcpdump -r "$TMPD/pipe$i.pcap" -nn -e 2>/dev/null |
			grep -o 'length [0-9]*:' | sort -u
	done | sort -u)
	[ "$sizes" = "length 4000:" ] || fail "frame lengths: $sizes"
}

# An IPv6/TCP frame (IPv4-mapped addresses within 198.18.0.0/15), as hex.
ipv6_tcp_hex() { # SRC_HEX32 SPORT DST_HEX32 DPORT
	printf 'ffffffffffff027000000001''86dd''60000000001406ff'
	printf '00000000000000000000ffff%s' "$1"
	printf '00000000000000000000ffff%s' "$3"
	printf '%04x%04x000000010000000050020400''00000000' "$2" "$4"
}

# A VLAN-tagged (id 5) IPv4/TCP frame, as hex.
vlan_tcp_hex() { # SRC_HEX32 SPORT DST_HEX32 DPORT
	printf 'ffffffffffff027000000001''81000005''0800'
	printf '4500002800004000400600%s%s' "00" "$1$3"
	printf '%04x%04x000000010000000050020400''00000000' "$2" "$4"
}

# Both directions of a conversation go to the same pipe: UDP/IPv4 with
# ranges, one IPv6/TCP and one VLAN-tagged TCP conversation.
test_lb_symmetric() {
	need_lb
	lb_hosts
	local i n=4 h
	for ((i = 0; i < n; i++)); do
		start_consumer "$i"
	done
	start_lb "$n" --idle 2
	nsx a "$GEN" -i "netmap:$A" -n 320 -R 20k -T 0 \
		-s 198.18.0.1-198.18.0.4:20000-20003 -d 198.18.1.1:30000 \
		>"$TMPD/gen1.log" 2>&1 || fail "gen (forward) failed"
	nsx a "$GEN" -i "netmap:$A" -n 320 -R 20k -T 0 \
		-s 198.18.1.1:30000 -d 198.18.0.1-198.18.0.4:20000-20003 \
		>"$TMPD/gen2.log" 2>&1 || fail "gen (reverse) failed"
	for h in "$(ipv6_tcp_hex c6120001 40000 c6120101 443)" \
		"$(ipv6_tcp_hex c6120101 443 c6120001 40000)" \
		"$(vlan_tcp_hex c6120002 40001 c6120102 8080)" \
		"$(vlan_tcp_hex c6120102 8080 c6120002 40001)"; do
		nsx a "$TBIN/frames" hex "netmap:$A" "$h" >/dev/null 2>&1 ||
			fail "frames hex failed"
	done
	expect_exit "$LB_PID" lb
	for ((i = 0; i < n; i++)); do
		expect_exit "${CONS[$i]}" "consumer $i"
	done
	# 16 UDP conversations + IPv6 + VLAN, each seen both ways on one pipe
	check_spread "$n" 644 18
	for ((i = 0; i < n; i++)); do
		flows_of "$TMPD/pipe$i.pcap"
	done | sort -u >"$TMPD/directed"
	[ "$(wc -l <"$TMPD/directed")" = 36 ] ||
		fail "$(wc -l <"$TMPD/directed") directed flows, expected 36"
	grep -q '^::ffff:198.18.0.1.40000 > ::ffff:198.18.1.1.443$' \
		"$TMPD/directed" || fail "the IPv6 frame is missing"
	# the VLAN frames kept their tag: the hash looked past it
	for ((i = 0; i < n; i++)); do
		tcpdump -e -r "$TMPD/pipe$i.pcap" -nn 2>/dev/null
	done | grep -c 'vlan 5' >"$TMPD/vlans"
	[ "$(cat "$TMPD/vlans")" = 2 ] ||
		fail "$(cat "$TMPD/vlans") tagged frames, expected 2"
}

# Consumer 1 stops reading (SIGSTOP): its pipe fills, the lb drops and
# counts its frames, pipe 0 goes on.  Resumed, consumer 1 gets exactly
# what the lb forwarded to it.
test_lb_stalled_consumer() {
	need_lb
	lb_hosts
	local sent=8000 p0 p1 d0 d1 slots
	start_consumer 0
	start_consumer 1
	kill -STOP "${CONS[1]}"
	start_lb 2 --idle 2
	nsx a "$TBIN/frames" udp "netmap:$A" "$sent" 64 40000 \
		>"$TMPD/gen.log" 2>&1 || fail "frames udp failed"
	expect_exit "$LB_PID" lb
	kill -CONT "${CONS[1]}"
	expect_exit "${CONS[0]}" "consumer 0"
	expect_exit "${CONS[1]}" "consumer 1"
	expect_lb_received "$sent"
	p0=$(kv "$TMPD/lb.log" pipe0)
	p1=$(kv "$TMPD/lb.log" pipe1)
	d0=$(kv "$TMPD/lb.log" pipe0_dropped)
	d1=$(kv "$TMPD/lb.log" pipe1_dropped)
	info "pipe0=$p0 pipe0_dropped=$d0 pipe1=$p1 pipe1_dropped=$d1"
	[ "$d1" -gt 0 ] || fail "no drops on the stalled pipe"
	# consumer 0 runs but may be descheduled on a loaded machine: its
	# drops are counted too, never assumed to be 0
	expect_kv "$TMPD/lb.log" dropped "$((d0 + d1))"
	[ $((p0 + d0 + p1 + d1)) = "$RECEIVED" ] ||
		fail "pipes + drops = $((p0 + d0 + p1 + d1)), received $RECEIVED"
	slots=1024 # a pipe ring holds one frame less than its slots
	[ "$p1" -lt "$slots" ] || fail "pipe1=$p1: more than the ring holds"
	# pipe 0 went on: it moved more than its ring holds while pipe 1 stood
	[ "$p0" -ge "$slots" ] || fail "pipe0=$p0: pipe 0 stopped with pipe 1"
	expect_kv "$TMPD/cons0.log" packets "$p0"
	expect_kv "$TMPD/cons1.log" packets "$p1"
	[ "$(flows_of "$TMPD/pipe0.pcap" | wc -l)" = "$p0" ] ||
		fail "pipe0.pcap does not hold $p0 frames"
}

# With -B the stalled pipe's frames wait in extra buffers: once its
# consumer reads again, it gets every one, and nothing is dropped.
test_lb_extra_buffers() {
	need_lb
	lb_hosts
	local sent=4000 p1 i
	start_consumer 0
	start_consumer 1
	kill -STOP "${CONS[1]}"
	start_lb 2 -B 4096
	grep -q '(4096 extra buffers)' "$TMPD/lb.log" ||
		fail "extra buffers not granted"
	nsx a "$TBIN/frames" udp "netmap:$A" "$sent" 64 40000 \
		>"$TMPD/gen.log" 2>&1 || fail "frames udp failed"
	sleep 1
	kill -CONT "${CONS[1]}"
	expect_exit "${CONS[0]}" "consumer 0"
	expect_exit "${CONS[1]}" "consumer 1"
	kill -TERM "$LB_PID"
	expect_exit "$LB_PID" lb
	expect_lb_received "$sent"
	expect_kv "$TMPD/lb.log" forwarded "$RECEIVED"
	expect_kv "$TMPD/lb.log" dropped 0
	p1=$(kv "$TMPD/lb.log" pipe1)
	[ "$p1" -ge 1024 ] || fail "pipe1=$p1: the test did not overflow it"
	for i in 0 1; do
		expect_kv "$TMPD/cons$i.log" packets "$(kv "$TMPD/lb.log" "pipe$i")"
	done
}

# Too few extra buffers: the stalled pipe's backlog gives up its oldest
# frames as drops and keeps the newest 256, which its consumer gets after
# the 1023 its ring held; pipe 0 loses nothing.
test_lb_extra_buffers_exhausted() {
	need_lb
	lb_hosts
	local sent=8000 p0 p1 d1
	start_consumer 0
	start_consumer 1
	kill -STOP "${CONS[1]}"
	start_lb 2 -B 256
	nsx a "$TBIN/frames" udp "netmap:$A" "$sent" 64 40000 \
		>"$TMPD/gen.log" 2>&1 || fail "frames udp failed"
	sleep 1
	kill -CONT "${CONS[1]}"
	expect_exit "${CONS[0]}" "consumer 0"
	expect_exit "${CONS[1]}" "consumer 1"
	kill -TERM "$LB_PID"
	expect_exit "$LB_PID" lb
	expect_lb_received "$sent"
	expect_kv "$TMPD/lb.log" pipe0_dropped 0
	p0=$(kv "$TMPD/lb.log" pipe0)
	p1=$(kv "$TMPD/lb.log" pipe1)
	d1=$(kv "$TMPD/lb.log" pipe1_dropped)
	info "pipe0=$p0 pipe1=$p1 pipe1_dropped=$d1"
	[ "$p1" = $((1023 + 256)) ] || fail "pipe1=$p1, expected 1023 + 256"
	[ $((p0 + p1 + d1)) = "$RECEIVED" ] ||
		fail "pipe0 + pipe1 + drops = $((p0 + p1 + d1)), received $RECEIVED"
	expect_kv "$TMPD/cons0.log" packets "$p0"
	expect_kv "$TMPD/cons1.log" packets "$p1"
}

test_lb_usage() {
	need "$LB"
	local st
	"$LB" --help >"$TMPD/help" 2>&1 || fail "--help failed"
	grep -q '^Usage:' "$TMPD/help" || fail "--help: no usage"
	for args in "-p 2" "-i x -p 0" "-i x -p 65" "-i x -p a:0" \
		"-i x -p 2x" "-i x -p -1" "-i x -b 0" "-i x extra"; do
		# shellcheck disable=SC2086
		"$LB" $args >/dev/null 2>&1
		st=$?
		[ $st = 2 ] || fail "'$args': status $st, expected 2"
	done
	ns_add b
	nsx b "$LB" -i nosuchif0 -w 0 >/dev/null 2>"$TMPD/err"
	st=$?
	[ $st = 1 ] || fail "missing interface: status $st, expected 1"
	grep -q nosuchif0 "$TMPD/err" || fail "the error does not name the port"
}
