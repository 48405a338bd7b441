# shellcheck shell=bash
# Datapath: frames sent on one end of a veth pair arrive at the other end,
# exactly as many, in order, byte for byte (frames.c is the judge).

FRAMES_N=5000

# Two namespaces a and b joined by a veth pair of MTU 9000; sets A and B.
two_hosts() {
	need "$TBIN/frames"
	ns_add a
	ns_add b
	A=$(ifn a)
	B=$(ifn b)
	veth_add a "$A" b "$B" mtu=9000
}

# Receives N frames of LEN bytes in b with RECEIVER... while a sends them.
roundtrip() { # N LEN RECEIVER...
	local n=$1 len=$2 rpid
	shift 2
	nsbg b "$TMPD/recv.log" "$@" "netmap:$B" "$n" "$len" 20
	rpid=$BG_PID
	wait_line "$TMPD/recv.log" '^ready' 10 "$rpid"
	nsx a timeout 30 "$TBIN/frames" send "netmap:$A" "$n" "$len" \
		>"$TMPD/send.log" 2>&1 || fail "sender failed"
	expect_kv "$TMPD/send.log" sent "$n"
	wait_bg "$rpid" 30
	[ "$BG_STATUS" = 0 ] || fail "receiver exited with $BG_STATUS"
	expect_kv "$TMPD/recv.log" received "$n"
	expect_kv "$TMPD/recv.log" bad 0
	info "$len-byte frames: $(grep received= "$TMPD/recv.log")"
}

frames_test() { # LEN on|off
	two_hosts
	offload a "$A" "$2"
	offload b "$B" "$2"
	roundtrip "$FRAMES_N" "$1" "$TBIN/frames" recv
}

test_frames_60_offload_on() {
	frames_test 60 on
}

test_frames_60_offload_off() {
	frames_test 60 off
}

test_frames_1514_offload_on() {
	frames_test 1514 on
}

test_frames_1514_offload_off() {
	frames_test 1514 off
}

# 4000 bytes: two buffers each, NS_MOREFRAG chains both ways.
test_frames_4000_offload_on() {
	frames_test 4000 on
}

test_frames_4000_offload_off() {
	frames_test 4000 off
}

# An application built without libpktmap, against netmap's API only, runs
# under LD_PRELOAD.
test_preload_receive() {
	need "$TBIN/nolink-frames" "$LIBPKTMAP"
	two_hosts
	roundtrip 2000 1514 env "LD_PRELOAD=$PWD/$LIBPKTMAP" \
		"$TBIN/nolink-frames" recv
}

# A child receives on the descriptor and mapping its parent registered.
test_fork_child_receives() {
	need "$TBIN/forkrecv"
	two_hosts
	roundtrip 2000 1514 "$TBIN/forkrecv"
	expect_kv "$TMPD/recv.log" child_status 0
}
