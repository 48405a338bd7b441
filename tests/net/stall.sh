# shellcheck shell=bash
# A receiver stopped mid-stream loses nothing: the kernel's ring of an
# interface port (PKTMAP_RX_FRAMES, 32768 frames by default) holds what
# arrives meanwhile, and the receiver finds every frame, in order, after.

# Frames that reached IF, taken or not, as seen from PID's namespace
# (read without starting a process, to stop the receiver soon after).
arrived() { # PID IF
	awk -v i="$2" 'split($0, f, ":") == 2 && f[1] ~ "^ *" i "$" {
		split(f[2], n, " "); print n[2] }' "/proc/$1/net/dev"
}

# Waits up to SECONDS until IF has received at least N frames.
wait_arrived() { # PID IF N SECONDS
	local _
	for _ in $(seq $(($4 * 100))); do
		[ "$(arrived "$1" "$2")" -ge "$3" ] && return 0
		sleep 0.01
	done
	fail "$2: fewer than $3 frames arrived within ${4}s"
}

# 32000 frames at 100 kpps; the receiver is stopped once 2000 arrived and
# stays stopped for at least 200 ms and until 20000 more arrived (200 ms
# of the stream), so a slow sender only makes the stop longer; the test
# fails if fewer than 20000 arrived while it was stopped.  The whole
# stream fits in the default kernel ring (32768 frames): no scheduling can
# make a frame miss it.
test_stall_200ms_at_100kpps() {
	local n=32000 rpid spid base c0 c1 state
	need "$TBIN/frames"
	ns_add a
	ns_add b
	A=$(ifn a)
	B=$(ifn b)
	veth_add a "$A" b "$B"
	nsbg b "$TMPD/recv.log" "$TBIN/frames" recv "netmap:$B" $n 60 60
	rpid=$BG_PID
	wait_line "$TMPD/recv.log" '^ready' 10 "$rpid"
	base=$(arrived "$rpid" "$B")
	nsbg a "$TMPD/send.log" timeout 60 "$TBIN/frames" send \
		"netmap:$A" $n 60 100000
	spid=$BG_PID
	wait_arrived "$rpid" "$B" $((base + 2000)) 30
	kill -STOP "$rpid" || fail "cannot stop the receiver"
	c0=$(arrived "$rpid" "$B")
	sleep 0.2
	wait_arrived "$rpid" "$B" $((c0 + 20000)) 60
	c1=$(arrived "$rpid" "$B")
	state=$(awk '{print $3}' "/proc/$rpid/stat")
	kill -CONT "$rpid"
	[ "$state" = T ] || fail "the receiver was not stopped (state $state)"
	[ $((c1 - c0)) -ge 20000 ] ||
		fail "only $((c1 - c0)) frames arrived while it was stopped"
	wait_bg "$spid" 60
	[ "$BG_STATUS" = 0 ] || fail "sender exited with $BG_STATUS"
	expect_kv "$TMPD/send.log" sent $n
	wait_bg "$rpid" 60
	[ "$BG_STATUS" = 0 ] || fail "receiver exited with $BG_STATUS"
	expect_kv "$TMPD/recv.log" received $n
	expect_kv "$TMPD/recv.log" bad 0
	expect_kv "$TMPD/recv.log" kernel_drops 0
	info "$((c1 - c0)) frames arrived while the receiver was stopped;" \
		"$(grep received= "$TMPD/recv.log")"
}
