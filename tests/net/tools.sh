# shellcheck shell=bash
# The tools end to end over veth: pktmap-gen (address ranges, ping/pong,
# replay), pktmap-bridge (zero copy and copy, both directions at once) and
# pktmap-capture (hex dump, pcap and pcapng read back by tcpdump, filter
# expressions, file rotation), with exact counts; the four tools' live
# lines, -a, -j and their summary when the interface is deleted under them.

GEN=$BIN/pktmap-gen
BRIDGE=$BIN/pktmap-bridge
CAPTURE=$BIN/pktmap-capture

# Namespaces a and b joined by a veth pair; sets A and B.
two_hosts() {
	ns_add a
	ns_add b
	A=$(ifn a)
	B=$(ifn b)
	veth_add a "$A" b "$B" "$@"
}

# a -- b -- c: b holds both ends in the middle; sets A, B1, B2, C.
three_hosts() {
	ns_add a
	ns_add b
	ns_add c
	A=$(ifn a)
	B1=$(ifn b1)
	B2=$(ifn b2)
	C=$(ifn c)
	veth_add a "$A" b "$B1"
	veth_add b "$B2" c "$C"
}

# Starts a tool in NS, logging to LOG, and waits for its "ready" line.
start_ready() { # NS LOG CMD...
	local log=$2
	nsbg "$@"
	wait_line "$log" ': ready' 10 "$BG_PID"
}

# Waits for PID and fails unless it exited with STATUS (default 0).
expect_exit() { # PID WHAT [STATUS]
	wait_bg "$1" 30
	[ "$BG_STATUS" = "${3:-0}" ] ||
		fail "$2 exited with $BG_STATUS, expected ${3:-0}"
}

# A forwarder between two packet sockets can drop (its input's kernel ring
# full while it does not run): every frame sent must be received or
# counted as dropped, at the forwarder or the receiver, and nothing may be
# corrupt, reordered or duplicated.  rxseq's status tells missing frames.
expect_accounted() { # RX_PID RX_LOG SENT FORWARDER_DROPS WHAT
	local lost
	wait_bg "$1" 30
	lost=$(($4 + $(kv "$2" drops)))
	[ "$BG_STATUS" = "$([ "$lost" = 0 ] && echo 0 || echo 1)" ] ||
		fail "$5 exited with $BG_STATUS ($lost frames counted dropped)"
	expect_kv "$2" packets $(($3 - lost))
	expect_kv "$2" missing "$lost"
	expect_kv "$2" corrupt 0
	expect_kv "$2" reordered 0
	expect_kv "$2" duplicates 0
}

# The frames of a capture file, one line each, without timestamps.
frames_of() { # FILE
	tcpdump -r "$1" -nn -xx 2>/dev/null |
		sed -E 's/^[0-9:.]+ //' || fail "tcpdump -r $1"
}

need_tcpdump() {
	command -v tcpdump >/dev/null || skip "needs tcpdump"
}

test_tools_usage() {
	need "$GEN" "$BRIDGE" "$CAPTURE"
	local t st
	for t in "$GEN" "$BRIDGE" "$CAPTURE"; do
		"$t" --help >"$TMPD/help" 2>&1 || fail "$t --help failed"
		grep -q '^Usage:' "$TMPD/help" || fail "$t --help: no usage"
		"$t" --no-such-option >/dev/null 2>&1
		st=$?
		[ $st = 2 ] || fail "$t --no-such-option: status $st, expected 2"
		"$t" -i nosuchif0 --timeout 1 >/dev/null 2>"$TMPD/err" -T 0 \
			-i nosuchif1
		st=$?
		[ $st = 1 ] || [ $st = 2 ] || fail "$t bad port: status $st"
	done
	"$GEN" -i nosuchif0 -f rx --timeout 1 >/dev/null 2>"$TMPD/err"
	st=$?
	[ $st = 1 ] || fail "gen on a missing interface: status $st, expected 1"
	grep -q 'nosuchif0' "$TMPD/err" || fail "error does not name the port"
	"$GEN" -i x -s 198.18.0.9-198.18.0.1 >/dev/null 2>&1
	[ $? = 2 ] || fail "backwards range accepted"
	"$GEN" -i x -f txseq -s 198.18.0.1-198.18.0.2 >/dev/null 2>&1
	[ $? = 2 ] || fail "txseq with a source range accepted"
	"$BRIDGE" -i x >/dev/null 2>&1
	[ $? = 2 ] || fail "bridge with one port accepted"
	"$CAPTURE" -i x 'udp and and' >/dev/null 2>"$TMPD/err"
	[ $? = 2 ] || fail "bad filter expression accepted"
	grep -q 'filter' "$TMPD/err" || fail "filter error not explained"
	"$CAPTURE" -i x -C 1 >/dev/null 2>&1
	[ $? = 2 ] || fail "capture -C without -w accepted"
}

# Every combination of the ranges, equally often, in odometer order.
test_gen_ranges() {
	need "$GEN" "$CAPTURE"
	need_tcpdump
	two_hosts
	local cap=$TMPD/ranges.pcap pid
	start_ready b "$TMPD/cap.log" "$CAPTURE" -i "netmap:$B" -w "$cap" \
		-c 160 --timeout 20 -T 0
	pid=$BG_PID
	nsx a "$GEN" -i "netmap:$A" -n 160 -T 0 \
		-s 198.18.0.1-198.18.0.4:1000-1001 \
		-d 198.18.1.1-198.18.1.2:2000-2001 >"$TMPD/gen.log" 2>&1 ||
		fail "gen failed"
	expect_kv "$TMPD/gen.log" packets 160
	expect_exit "$pid" capture
	expect_kv "$TMPD/cap.log" packets 160
	tcpdump -r "$cap" -nn 2>/dev/null | awk '{print $3, $5}' |
		sort | uniq -c >"$TMPD/combos"
	[ "$(wc -l <"$TMPD/combos")" = 32 ] ||
		fail "$(wc -l <"$TMPD/combos") combinations, expected 32"
	awk '$1 != 5 { exit 1 }' "$TMPD/combos" ||
		fail "combinations not sent 5 times each: $(head -3 "$TMPD/combos")"
	# the first frames step the source port, then the source address
	tcpdump -r "$cap" -nn -c 3 2>/dev/null | awk '{print $3}' |
		tr '\n' ' ' >"$TMPD/first"
	[ "$(cat "$TMPD/first")" = "198.18.0.1.1000 198.18.0.1.1001 198.18.0.2.1000 " ] ||
		fail "order: $(cat "$TMPD/first")"
}

test_gen_random() {
	need "$GEN" "$CAPTURE"
	need_tcpdump
	two_hosts
	local cap=$TMPD/random.pcap pid
	start_ready b "$TMPD/cap.log" "$CAPTURE" -i "netmap:$B" -w "$cap" \
		-c 500 --timeout 20 -T 0
	pid=$BG_PID
	nsx a "$GEN" -i "netmap:$A" -n 500 -T 0 --random \
		-s 198.18.0.10-198.18.0.19:3000-3009 -d 198.18.1.1:4000 \
		>"$TMPD/gen.log" 2>&1 || fail "gen failed"
	expect_exit "$pid" capture
	expect_kv "$TMPD/cap.log" packets 500
	tcpdump -r "$cap" -nn 2>/dev/null | awk '{print $3}' | sort -u \
		>"$TMPD/srcs"
	grep -vqE '^198\.18\.0\.1[0-9]\.300[0-9]$' "$TMPD/srcs" &&
		fail "a source outside the ranges: $(grep -vE '^198\.18\.0\.1[0-9]\.300[0-9]$' "$TMPD/srcs" | head -1)"
	[ "$(wc -l <"$TMPD/srcs")" -ge 50 ] ||
		fail "only $(wc -l <"$TMPD/srcs") distinct sources in 500 frames"
}

test_gen_ping_pong() {
	need "$GEN"
	two_hosts
	local pong
	start_ready b "$TMPD/pong.log" "$GEN" -i "netmap:$B" -f pong -n 200 \
		--timeout 30 -T 0
	pong=$BG_PID
	nsx a "$GEN" -i "netmap:$A" -f ping -n 200 -T 0 --timeout 30 \
		>"$TMPD/ping.log" 2>&1 || fail "ping failed"
	expect_kv "$TMPD/ping.log" sent 200
	expect_kv "$TMPD/ping.log" replies 200
	expect_kv "$TMPD/ping.log" lost 0
	expect_kv "$TMPD/ping.log" repeats 0
	expect_exit "$pong" pong
	expect_kv "$TMPD/pong.log" packets 200
	awk -v a="$(kv "$TMPD/ping.log" rtt_min_us)" \
		-v b="$(kv "$TMPD/ping.log" rtt_p50_us)" \
		-v c="$(kv "$TMPD/ping.log" rtt_p90_us)" \
		-v d="$(kv "$TMPD/ping.log" rtt_p99_us)" \
		-v e="$(kv "$TMPD/ping.log" rtt_max_us)" \
		'BEGIN { exit !(a > 0 && a <= b && b <= c && c <= d && d <= e) }' ||
		fail "rtt statistics out of order: $(grep -o 'rtt_.*' "$TMPD/ping.log")"
	info "$(grep -o 'rtt_min.*' "$TMPD/ping.log")"
}

# Rate-limited ping: open loop, still one reply per request.
test_gen_ping_rate() {
	need "$GEN"
	two_hosts
	local pong
	start_ready b "$TMPD/pong.log" "$GEN" -i "netmap:$B" -f pong \
		--idle 2 --timeout 30 -T 0
	pong=$BG_PID
	nsx a "$GEN" -i "netmap:$A" -f ping -n 1000 -R 5000 -T 0 \
		>"$TMPD/ping.log" 2>&1 || fail "ping failed"
	expect_kv "$TMPD/ping.log" replies 1000
	expect_kv "$TMPD/ping.log" lost 0
	expect_exit "$pong" pong
	expect_kv "$TMPD/pong.log" packets 1000
}

# Two threads, one ring pair each (PORT-0, PORT-1), on a 2-queue veth.
test_gen_threads() {
	need "$GEN"
	two_hosts queues=2
	local rx
	start_ready b "$TMPD/rx.log" "$GEN" -i "netmap:$B" -f rxseq -p 2 \
		-n 40000 --idle 2 --timeout 60 -T 0
	rx=$BG_PID
	nsx a "$GEN" -i "netmap:$A" -f txseq -p 2 -n 40000 -R 100k -T 0 \
		>"$TMPD/tx.log" 2>&1 || fail "sender failed"
	expect_kv "$TMPD/tx.log" packets 40000
	expect_exit "$rx" receiver
	expect_kv "$TMPD/rx.log" packets 40000
	expect_kv "$TMPD/rx.log" missing 0
}

# txseq both ways through the bridge at once, every frame checked.
bridge_test() { # zerocopy-expected BRIDGE-OPTIONS...
	need "$GEN" "$BRIDGE"
	three_hosts
	local zc=$1 br rc ra
	shift
	start_ready b "$TMPD/bridge.log" "$BRIDGE" -i "netmap:$B1" \
		-i "netmap:$B2" --idle 2 --timeout 60 "$@"
	br=$BG_PID
	start_ready c "$TMPD/rx-c.log" "$GEN" -i "netmap:$C" -f rxseq \
		-n 20000 --idle 2 --timeout 60 -T 0
	rc=$BG_PID
	start_ready a "$TMPD/rx-a.log" "$GEN" -i "netmap:$A" -f rxseq \
		-n 10000 --idle 2 --timeout 60 -T 0 -s 198.18.0.9
	ra=$BG_PID
	# rates a loaded machine keeps up with: the bridge is one thread
	nsbg c "$TMPD/tx-c.log" "$GEN" -i "netmap:$C" -f txseq -n 10000 \
		-R 10k -l 1000 -s 198.18.0.9 -T 0
	nsx a "$GEN" -i "netmap:$A" -f txseq -n 20000 -R 20k -T 0 \
		>"$TMPD/tx-a.log" 2>&1 || fail "sender in a failed"
	expect_exit "$br" bridge
	local ab=$((20000 - $(kv "$TMPD/bridge.log" a_drops)))
	local ba=$((10000 - $(kv "$TMPD/bridge.log" b_drops)))
	expect_accounted "$rc" "$TMPD/rx-c.log" 20000 $((20000 - ab)) \
		"receiver in c"
	expect_accounted "$ra" "$TMPD/rx-a.log" 10000 $((10000 - ba)) \
		"receiver in a"
	expect_kv "$TMPD/bridge.log" a_to_b_packets "$ab"
	expect_kv "$TMPD/bridge.log" a_to_b_bytes $((ab * 60))
	expect_kv "$TMPD/bridge.log" b_to_a_packets "$ba"
	expect_kv "$TMPD/bridge.log" b_to_a_bytes $((ba * 1000))
	expect_kv "$TMPD/bridge.log" zerocopy "$zc"
}

test_bridge_zerocopy() {
	bridge_test 1
}

test_bridge_copy() {
	bridge_test 0 --copy -b 64
}

# Frames chained over several buffers (NS_MOREFRAG) cross whole.
test_bridge_jumbo() {
	need "$GEN" "$BRIDGE"
	ns_add a
	ns_add b
	ns_add c
	A=$(ifn a) B1=$(ifn b1) B2=$(ifn b2) C=$(ifn c)
	veth_add a "$A" b "$B1" mtu=9000
	veth_add b "$B2" c "$C" mtu=9000
	local br rc
	start_ready b "$TMPD/bridge.log" "$BRIDGE" -i "netmap:$B1" \
		-i "netmap:$B2" --idle 2 --timeout 60
	br=$BG_PID
	start_ready c "$TMPD/rx.log" "$GEN" -i "netmap:$C" -f rxseq \
		-n 5000 --idle 2 --timeout 60 -T 0
	rc=$BG_PID
	nsx a "$GEN" -i "netmap:$A" -f txseq -n 5000 -l 5000 -R 50k -T 0 \
		>"$TMPD/tx.log" 2>&1 || fail "sender failed"
	expect_exit "$br" bridge
	local ab=$((5000 - $(kv "$TMPD/bridge.log" a_drops)))
	expect_accounted "$rc" "$TMPD/rx.log" 5000 $((5000 - ab)) receiver
	expect_kv "$TMPD/bridge.log" a_to_b_packets "$ab"
	expect_kv "$TMPD/bridge.log" a_to_b_bytes $((ab * 5000))
}

# A NIC and its host stack (netmap's "bridge -i X -i X^"): the stack in b
# still answers a's pings, through the bridge.
test_bridge_host_rings() {
	need "$BRIDGE"
	command -v ping >/dev/null || skip "needs ping"
	two_hosts addr1=198.18.0.1/24 addr2=198.18.0.2/24
	local br
	start_ready b "$TMPD/bridge.log" "$BRIDGE" -i "netmap:$B" \
		-i "netmap:$B^" --timeout 30 -T 0
	br=$BG_PID
	nsx a ping -c 5 -i 0.2 -W 2 198.18.0.2 >"$TMPD/ping.log" 2>&1 ||
		fail "no answer through the host rings"
	grep -q '5 received' "$TMPD/ping.log" || fail "pings lost"
	kill -TERM "$br"
	expect_exit "$br" bridge
	if [ "$(kv "$TMPD/bridge.log" a_to_b_packets)" -lt 5 ] ||
		[ "$(kv "$TMPD/bridge.log" b_to_a_packets)" -lt 5 ]; then
		fail "the bridge did not carry the pings"
	fi
}

test_capture_hexdump() {
	need "$GEN" "$CAPTURE"
	two_hosts
	local pid
	start_ready b "$TMPD/dump.log" "$CAPTURE" -i "netmap:$B" -c 2 \
		--timeout 20 -T 0
	pid=$BG_PID
	nsx a "$GEN" -i "netmap:$A" -n 2 -l 70 -T 0 >/dev/null 2>&1 ||
		fail "gen failed"
	expect_exit "$pid" capture
	expect_kv "$TMPD/dump.log" packets 2
	[ "$(grep -c ' len 70$' "$TMPD/dump.log")" = 2 ] ||
		fail "no frame header lines"
	# bytes 0x20..0x2f: end of the UDP header, then payload 42, 43, ...
	grep -qF '0020   00 02 04 d2 10 e1 00 24 00 00 2a 2b 2c 2d 2e 2f  |.......$..*+,-./|' \
		"$TMPD/dump.log" || fail "hex dump line 0x20 not as expected"
	grep -q '^0040   40 41 42 43 44 45  *|@ABCDE|$' "$TMPD/dump.log" ||
		fail "last, short hex dump line not as expected"
}

# pktmap-capture and tcpdump record the same traffic; the files must hold
# the same frames.  LENS: frame lengths, one gen run each.
capture_vs_tcpdump() { # FORMAT-OPTION FILE
	local opt=$1 file=$2 cap td len n=0
	start_ready b "$TMPD/cap.log" "$CAPTURE" -i "netmap:$B" -w "$file" \
		${opt:+"$opt"} --idle 2 --timeout 30 -T 0
	cap=$BG_PID
	nsbg b "$TMPD/tcpdump.log" tcpdump -i "$B" -nn -U -w "$TMPD/td.pcap" \
		-c 600 udp
	td=$BG_PID
	wait_line "$TMPD/tcpdump.log" 'listening on' 10 "$td"
	for len in 60 61 1000 1514; do
		nsx a "$GEN" -i "netmap:$A" -n 150 -l $len -T 0 -R 50k \
			-d "198.18.0.2:$((5000 + len))" >/dev/null 2>&1 ||
			fail "gen -l $len failed"
		n=$((n + 150))
	done
	expect_exit "$cap" capture
	expect_exit "$td" tcpdump
	expect_kv "$TMPD/cap.log" packets $n
	frames_of "$file" >"$TMPD/cap.txt"
	frames_of "$TMPD/td.pcap" >"$TMPD/td.txt"
	[ "$(grep -c '^IP ' "$TMPD/cap.txt")" = $n ] ||
		fail "tcpdump -r reads $(grep -c '^IP ' "$TMPD/cap.txt") frames"
	cmp -s "$TMPD/cap.txt" "$TMPD/td.txt" ||
		fail "frames differ from tcpdump's: $(diff "$TMPD/cap.txt" "$TMPD/td.txt" | head -5)"
}

test_capture_pcap_matches_tcpdump() {
	need "$GEN" "$CAPTURE"
	need_tcpdump
	two_hosts
	capture_vs_tcpdump "" "$TMPD/cap.pcap"
	[ "$(od -An -tx4 -N4 "$TMPD/cap.pcap" | tr -d ' ')" = a1b23c4d ] ||
		fail "not a nanosecond pcap file"
	tcpdump -r "$TMPD/cap.pcap" 2>&1 | grep -q 'snapshot length 262144' ||
		fail "snapshot length not recorded"
}

test_capture_pcapng_matches_tcpdump() {
	need "$GEN" "$CAPTURE"
	need_tcpdump
	two_hosts
	capture_vs_tcpdump --pcapng "$TMPD/cap.pcapng"
	[ "$(od -An -tx4 -N4 "$TMPD/cap.pcapng" | tr -d ' ')" = 0a0d0d0a ] ||
		fail "not a pcapng file"
	# nanosecond resolution: the fraction has 9 digits
	tcpdump -r "$TMPD/cap.pcapng" --nano -c 1 2>/dev/null |
		grep -qE '^[0-9:]+\.[0-9]{9} ' || fail "no nanosecond timestamps"
}

# Only the frames the expression matches pass; the rest are counted.
test_capture_filter() {
	need "$GEN" "$CAPTURE"
	two_hosts
	local pid
	start_ready b "$TMPD/cap.log" "$CAPTURE" -i "netmap:$B" \
		-w "$TMPD/f.pcap" --idle 2 --timeout 30 -T 0 \
		udp and dst port 1003 and src host 198.18.0.1
	pid=$BG_PID
	nsx a "$GEN" -i "netmap:$A" -n 1000 -T 0 -d 198.18.0.2:1000-1009 \
		>/dev/null 2>&1 || fail "gen failed"
	nsx a "$GEN" -i "netmap:$A" -n 100 -T 0 -s 198.18.0.5 \
		-d 198.18.0.2:1003 >/dev/null 2>&1 || fail "gen failed"
	expect_exit "$pid" capture
	expect_kv "$TMPD/cap.log" packets 100
	expect_kv "$TMPD/cap.log" seen 1100
	expect_kv "$TMPD/cap.log" filtered 1000
	if command -v tcpdump >/dev/null; then
		[ "$(tcpdump -r "$TMPD/f.pcap" -nn 2>/dev/null |
			grep -c '198.18.0.1.1234 > 198.18.0.2.1003:')" = 100 ] ||
			fail "the file does not hold the 100 matching frames"
	fi
}

# A capture replayed: the other side receives the same frames, byte for
# byte, at the recorded pace and at a given rate.
replay_test() { # GEN-OPTIONS...
	need "$GEN" "$CAPTURE"
	need_tcpdump
	two_hosts mtu=9000
	local pid len
	start_ready b "$TMPD/cap1.log" "$CAPTURE" -i "netmap:$B" \
		-w "$TMPD/orig.pcap" --idle 2 --timeout 30 -T 0
	pid=$BG_PID
	for len in 60 200 1514 4000; do
		nsx a "$GEN" -i "netmap:$A" -f txseq -n 100 -l $len -T 0 \
			-R 20k >/dev/null 2>&1 || fail "gen -l $len failed"
	done
	expect_exit "$pid" "first capture"
	expect_kv "$TMPD/cap1.log" packets 400
	start_ready a "$TMPD/cap2.log" "$CAPTURE" -i "netmap:$A" \
		-w "$TMPD/replayed.pcap" -c 400 --timeout 30 -T 0
	pid=$BG_PID
	nsx b "$GEN" -i "netmap:$B" --replay "$TMPD/orig.pcap" -T 0 "$@" \
		>"$TMPD/replay.log" 2>&1 || fail "replay failed"
	expect_kv "$TMPD/replay.log" packets 400
	expect_exit "$pid" "second capture"
	expect_kv "$TMPD/cap2.log" packets 400
	frames_of "$TMPD/orig.pcap" >"$TMPD/orig.txt"
	frames_of "$TMPD/replayed.pcap" >"$TMPD/replayed.txt"
	[ "$(grep -c '^IP ' "$TMPD/orig.txt")" = 400 ] ||
		fail "tcpdump -r reads $(grep -c '^IP ' "$TMPD/orig.txt") frames"
	cmp -s "$TMPD/orig.txt" "$TMPD/replayed.txt" ||
		fail "replayed frames differ: $(diff "$TMPD/orig.txt" "$TMPD/replayed.txt" | head -5)"
}

test_replay_recorded_pace() {
	replay_test
}

test_replay_rate() {
	replay_test -R 10000
}

# -C: new files past the size, FILE, FILE.1, ...; no frame lost or split.
test_capture_rotate_size() {
	need "$GEN" "$CAPTURE"
	need_tcpdump
	two_hosts
	local pid f total=0 n
	start_ready b "$TMPD/cap.log" "$CAPTURE" -i "netmap:$B" \
		-w "$TMPD/r.pcap" -C 1 -c 3000 --timeout 30 -T 0
	pid=$BG_PID
	nsx a "$GEN" -i "netmap:$A" -n 3000 -l 1000 -R 50k -T 0 \
		>/dev/null 2>&1 || fail "gen failed"
	expect_exit "$pid" capture
	expect_kv "$TMPD/cap.log" files 4
	for f in "$TMPD/r.pcap" "$TMPD/r.pcap.1" "$TMPD/r.pcap.2" \
		"$TMPD/r.pcap.3"; do
		[ -f "$f" ] || fail "$(basename "$f") missing"
		[ "$(stat -c %s "$f")" -le 1000000 ] ||
			fail "$(basename "$f") is over 1 MB"
		n=$(tcpdump -r "$f" -nn 2>/dev/null | wc -l)
		total=$((total + n))
	done
	[ -e "$TMPD/r.pcap.4" ] && fail "a fifth file"
	[ $total = 3000 ] || fail "the files hold $total frames, expected 3000"
}

# -G: a new file every second.
test_capture_rotate_time() {
	need "$GEN" "$CAPTURE"
	need_tcpdump
	two_hosts
	local pid f total=0 files
	start_ready b "$TMPD/cap.log" "$CAPTURE" -i "netmap:$B" \
		-w "$TMPD/t.pcap" -G 1 -c 2500 --timeout 30 -T 0
	pid=$BG_PID
	nsx a "$GEN" -i "netmap:$A" -n 2500 -R 1000 -T 0 >/dev/null 2>&1 ||
		fail "gen failed"
	expect_exit "$pid" capture
	files=$(kv "$TMPD/cap.log" files)
	if [ "$files" -lt 3 ] || [ "$files" -gt 5 ]; then
		fail "$files files for 2.5 s with -G 1"
	fi
	for f in "$TMPD"/t.pcap*; do
		total=$((total + $(tcpdump -r "$f" -nn 2>/dev/null | wc -l)))
	done
	[ $total = 2500 ] || fail "the files hold $total frames, expected 2500"
}


# Starts CMD in NS with stdout and stderr apart, TMPD/NAME.out and .err,
# and waits for its "ready" line; sets BG_PID.
start_split() { # NS NAME CMD...
	local n=$1 name=$2
	shift 2
	ip netns exec "$(ns "$n")" "$@" >"$TMPD/$name.out" 2>"$TMPD/$name.err" &
	BG_PID=$!
	NET_PIDS+=("$BG_PID")
	wait_line "$TMPD/$name.err" ': ready' 10 "$BG_PID"
}

# The four tools on one interface (the bridge forwards it to a second
# veth), each with -j and live lines every 100 ms; 100 frames come in and
# every live line shows them in its running total after a timestamp; then
# the interface is deleted under them.  Each prints its summary (JSON, the
# 100 frames), says in one line that the interface went away, and exits 1.
test_tools_interface_goes_away() {
	local LB=$BIN/pktmap-lb X Y t
	local -A pid
	need "$GEN" "$BRIDGE" "$CAPTURE" "$LB"
	command -v python3 >/dev/null || skip "needs python3"
	two_hosts
	X=$(ifn x)
	Y=$(ifn y)
	veth_add b "$X" b "$Y"
	start_split b capture "$CAPTURE" -i "netmap:$B" -j -T 100 -w "$TMPD/c.pcap"
	pid[capture]=$BG_PID
	start_split b gen "$GEN" -i "netmap:$B" -f rx -j -T 100
	pid[gen]=$BG_PID
	start_split b bridge "$BRIDGE" -i "netmap:$B" -i "netmap:$X" -j -T 100
	pid[bridge]=$BG_PID
	start_split b lb "$LB" -i "netmap:$B" -p 2 -w 0 -j -T 100
	pid[lb]=$BG_PID
	nsx a "$GEN" -i "netmap:$A" -f tx -n 100 -R 1000 -T 0 \
		>"$TMPD/send.log" 2>&1 || fail "the sender failed"
	expect_kv "$TMPD/send.log" packets 100
	for t in capture gen bridge lb; do
		wait_line "$TMPD/$t.err" \
			'^[0-2][0-9]:[0-5][0-9]:[0-5][0-9]\.[0-9]{3} .*total 100 pkts 6\.000KB' \
			20 "${pid[$t]}"
	done
	ip -n "$(ns a)" link del "$A" || fail "cannot delete $A"
	for t in capture gen bridge lb; do
		wait_bg "${pid[$t]}" 30
		[ "$BG_STATUS" = 1 ] || fail "$t exited with $BG_STATUS, expected 1"
		[ "$(tail -n 1 "$TMPD/$t.err")" = \
			"pktmap-$t: netmap:$B: the interface went away" ] ||
			fail "$t's last words: $(tail -n 1 "$TMPD/$t.err")"
		grep -q "^$([ $t = bridge ] && echo 'a->b' ||
			{ [ $t = lb ] && echo received; } ||
			{ [ $t = gen ] && echo rx; } || echo capture): 100 packets" \
			"$TMPD/$t.err" || fail "$t: no human summary"
	done
	python3 - "$TMPD" <<'PY' || fail "the JSON summaries are wrong"
import json, sys
d = sys.argv[1]
def load(t):
    with open(f"{d}/{t}.out") as f:
        return json.loads(f.read().splitlines()[-1])
c, g, b, l = map(load, ("capture", "gen", "bridge", "lb"))
assert (c["packets"], c["bytes"], c["seen"], c["filtered"], c["files"]) == \
    (100, 6000, 100, 0, 1), c
assert (g["packets"], g["bytes"], g["missing"], g["corrupt"]) == \
    (100, 6000, 0, 0), g
assert (b["a_to_b_packets"], b["a_to_b_bytes"], b["b_to_a_packets"],
        b["zerocopy"]) == (100, 6000, 0, True), b
assert (l["received"], l["forwarded"], l["dropped"], l["non_ip"]) == \
    (100, 100, 0, 0), l
assert l["pipe0"] + l["pipe1"] == 100 and l["pipe0_dropped"] == 0, l
for s in (c, g, b, l):
    assert isinstance(s["seconds"], float), s
PY
}

# -a: the process (or each worker thread) runs on the CPU named; a CPU it
# may not use, or no number, is bad usage.
test_tools_affinity() {
	local LB=$BIN/pktmap-lb t st cpus
	need "$GEN" "$BRIDGE" "$CAPTURE" "$LB"
	two_hosts
	start_split b capture "$CAPTURE" -i "netmap:$B" -a 0 -T 0
	cpus=$(sed -n 's/^Cpus_allowed_list:\s*//p' "/proc/$BG_PID/status")
	[ "$cpus" = 0 ] || fail "capture -a 0 runs on CPUs $cpus"
	start_split b gen "$GEN" -i "netmap:$B" -f rx -a 0 -T 0
	for t in /proc/"$BG_PID"/task/*; do
		[ "${t##*/}" = "$BG_PID" ] && continue
		cpus=$(sed -n 's/^Cpus_allowed_list:\s*//p' "$t/status")
		[ "$cpus" = 0 ] || fail "gen -a 0: a worker runs on CPUs $cpus"
	done
	for t in "$GEN" "$BRIDGE" "$CAPTURE" "$LB"; do
		"$t" -i x -i y -a zero >/dev/null 2>"$TMPD/err"
		st=$?
		[ $st = 2 ] || fail "$t -a zero: status $st"
		grep -q "invalid value 'zero' for --affinity: not a CPU number" "$TMPD/err" ||
			fail "$t -a zero said: $(cat "$TMPD/err")"
	done
	taskset -c 0 "$CAPTURE" -i x -a 1 >/dev/null 2>"$TMPD/err"
	st=$?
	[ $st = 2 ] || fail "capture -a 1 on CPU 0 only: status $st"
	[ "$(cat "$TMPD/err")" = "pktmap-capture: invalid value '1' for --affinity: CPU 1 is not one this process may run on (1 allowed)" ] ||
		fail "capture -a 1 on CPU 0 only said: $(cat "$TMPD/err")"
}
