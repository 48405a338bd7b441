# shellcheck shell=bash
# VALE switches and netmap pipes, with exact counts and byte-exact frames
# (frames.c is the judge): an ephemeral port and a persistent one (vale-ctl
# -n, -a, then netmap:NAME), the two ends of a pipe, a veth attached to a
# switch carrying frames to another namespace and back, its host rings
# (-h) carrying a ping to the stack, detach giving the veth back to the
# stack; vale-ctl's listing, port information and errors; exclusive opens.

VCTL=$BIN/vale-ctl
FRAMES=$TBIN/frames
GEN=$BIN/pktmap-gen
BRIDGE=$BIN/pktmap-bridge
# Frames per length: 10000-byte frames are chains of five slots.  A pass
# fits in one 1024-slot ring: a switch drops what finds a receiver's ring
# full (as netmap's does), and on a loaded machine a receiver, or the
# attach agent between switch and wire, may not run at all during a pass.
declare -A VALE_N=([60]=1000 [1514]=1000 [10000]=200)

vale_need() {
	need "$VCTL" "$FRAMES" "$GEN" "$BRIDGE"
}

# Sends N frames of LEN bytes on TX_PORT in NS_TX; RX_PORT in NS_RX must
# get exactly those, in order, byte for byte.
vale_pass() { # NS_RX RX_PORT NS_TX TX_PORT N LEN
	local nsr=$1 rx=$2 nst=$3 tx=$4 n=$5 len=$6 rpid
	nsbg "$nsr" "$TMPD/recv.log" "$FRAMES" recv "$rx" "$n" "$len" 20
	rpid=$BG_PID
	wait_line "$TMPD/recv.log" '^ready' 10 "$rpid"
	nsx "$nst" timeout 30 "$FRAMES" send "$tx" "$n" "$len" \
		>"$TMPD/send.log" 2>&1 || fail "sender on $tx failed"
	expect_kv "$TMPD/send.log" sent "$n"
	wait_bg "$rpid" 30
	[ "$BG_STATUS" = 0 ] || fail "receiver on $rx exited with $BG_STATUS"
	expect_kv "$TMPD/recv.log" received "$n"
	expect_kv "$TMPD/recv.log" bad 0
	expect_kv "$TMPD/recv.log" extra 0
	info "$tx -> $rx, $len bytes: $(grep received= "$TMPD/recv.log")"
}

# Every length, both ways between PORT_A in NS_A and PORT_B in NS_B.
vale_both_ways() { # NS_A PORT_A NS_B PORT_B
	local len
	for len in 60 1514 10000; do
		vale_pass "$3" "$4" "$1" "$2" "${VALE_N[$len]}" "$len"
		vale_pass "$1" "$2" "$3" "$4" "${VALE_N[$len]}" "$len"
	done
}

# An ephemeral port of SWITCH held open in the background: the switch
# exists while it runs.
vale_hold() { # NS SWITCH
	nsbg "$1" "$TMPD/hold-$2.log" "$GEN" -i "$2:hold" -f rx -T 0 \
		--timeout 120
	wait_line "$TMPD/hold-$2.log" ': ready' 10 "$BG_PID"
}

# Persistent ports outlive the namespace's processes and are kept in
# /dev/shm until deleted: whatever happens, the test deletes its own
# (after stopping its processes, which may have them open) before the
# namespaces go.
VALE_PERSISTENT=()
forget_on_exit() { # NS SWITCH NAME
	VALE_PERSISTENT+=("$1 $2 $3")
	trap 'VALE_ST=$?; vale_forget; (exit $VALE_ST); net_cleanup' EXIT
}

vale_persistent() { # NS SWITCH NAME [-C SPEC]: vale-ctl -n NAME -a SWITCH:NAME
	forget_on_exit "$1" "$2" "$3"
	vctl "$1" -n "$3" "${@:4}"
	vctl "$1" -a "$2:$3"
}

vale_forget() {
	local pid p n sw name
	for pid in "${NET_PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null
	done
	for pid in "${NET_PIDS[@]}"; do
		timeout 5 tail --pid="$pid" -f /dev/null 2>/dev/null
	done
	for p in "${VALE_PERSISTENT[@]}"; do
		read -r n sw name <<<"$p"
		nsx "$n" "$VCTL" -d "$sw:$name" >/dev/null 2>&1
		nsx "$n" "$VCTL" -r "$name" >/dev/null 2>&1
	done
}

# Runs vale-ctl ARGS in NS; fails unless it exits with STATUS and, when
# given, prints a line matching REGEX (stdout and stderr together).
vctl_expect() { # NS STATUS REGEX ARGS...
	local n=$1 want=$2 re=$3 st
	shift 3
	nsx "$n" "$VCTL" "$@" >"$TMPD/vctl.log" 2>&1
	st=$?
	[ "$st" = "$want" ] ||
		fail "vale-ctl $*: exit $st, expected $want: $(cat "$TMPD/vctl.log")"
	[ -z "$re" ] || grep -qE "$re" "$TMPD/vctl.log" ||
		fail "vale-ctl $*: no '$re' in: $(cat "$TMPD/vctl.log")"
}

vctl() { # NS ARGS...: must succeed
	local n=$1
	shift
	vctl_expect "$n" 0 '' "$@"
}

# Two namespaces a and b joined by a veth pair: VB in a, VA in b.
vale_two_hosts() {
	ns_add a
	ns_add b
	VB=$(ifn vb)
	VA=$(ifn va)
	veth_add a "$VB" b "$VA" mtu=10000 "$@"
	offload a "$VB" off
	offload b "$VA" off
}

test_vale_ephemeral_to_persistent() {
	vale_need
	ns_add a
	vale_persistent a vale0 pers -C 1024
	vale_both_ways a vale0:e a netmap:pers
	vctl_expect a 0 '^bridge:[0-9]+ port:[0-9]+ vale0:pers$' -l
	vctl_expect a 0 '^vale0:pers at bridge:[0-9]+ port:[0-9]+$' -l vale0:pers
	vctl a -d vale0:pers
	vctl a -r pers
	vctl_expect a 0 '' -l
	! grep -q pers "$TMPD/vctl.log" || fail "pers still listed"
}

test_vale_pipe() {
	vale_need
	ns_add a
	local p q
	p=$(ifn p)
	q=$(ifn q)
	veth_add a "$p" a "$q"
	vale_both_ways a "netmap:$p{1" a "netmap:$p}1"
}

# vale0:p in a, through vb attached to vale0, over the wire to va in b.
test_vale_attach_veth() {
	vale_need
	vale_two_hosts
	vctl a -a "vale0:$VB"
	vctl_expect a 0 "^bridge:[0-9]+ port:[0-9]+ vale0:$VB\$" -l
	vale_both_ways a vale0:p b "netmap:$VA"
	vctl a -d "vale0:$VB"
	vctl_expect a 0 '' -l
	[ ! -s "$TMPD/vctl.log" ] || fail "ports left: $(cat "$TMPD/vctl.log")"
}

# -h: the stack of a is reached through the switch (vale0:vb^); -a takes
# vb away from the stack; -d gives it back.
test_vale_attach_host_ping() {
	vale_need
	vale_two_hosts addr1=198.18.7.1/24 addr2=198.18.7.2/24
	nsx b ping -c 1 -W 2 198.18.7.1 >/dev/null || fail "no ping before"
	vctl a -h "vale0:$VB"
	vctl_expect a 0 "^bridge:[0-9]+ port:[0-9]+ vale0:$VB\^\$" -l
	nsx b ping -c 3 -W 2 198.18.7.1 >"$TMPD/ping.log" 2>&1 ||
		fail "no ping through vale0:$VB^"
	info "through the switch: $(grep -E 'received' "$TMPD/ping.log")"
	vctl a -d "vale0:$VB"
	nsx b ping -c 1 -W 2 198.18.7.1 >/dev/null || fail "no ping after -d"
	vctl a -a "vale0:$VB"
	! nsx b ping -c 1 -W 1 198.18.7.1 >/dev/null ||
		fail "ping reached a stack detached by -a"
	vctl a -d "vale0:$VB"
	nsx b ping -c 1 -W 2 198.18.7.1 >/dev/null ||
		fail "no ping after the second -d"
}

test_vale_ctl_info() {
	vale_need
	ns_add a
	vale_persistent a vale0 pinfo -C 512,512,2
	vale_hold a vale1
	vctl_expect a 0 '^vale0:pinfo: 2 queues\.$' -g vale0:pinfo
	expect_kv "$TMPD/vctl.log" tx_slots 512
	expect_kv "$TMPD/vctl.log" rx_rings 2
	local m0 m1
	m0=$(kv "$TMPD/vctl.log" mem_id)
	vctl_expect a 0 '^pinfo: 2 queues\.$' -g netmap:pinfo
	vctl_expect a 0 '' -g vale1:hold
	m1=$(kv "$TMPD/vctl.log" mem_id)
	if [ "$m0" -lt 2 ] || [ "$m1" -lt 2 ] || [ "$m0" = "$m1" ]; then
		fail "memory ids of vale0 and vale1: $m0 and $m1"
	fi
	vctl_expect a 0 'mem_id=1 ' -g lo
	expect_kv "$TMPD/vctl.log" buf_objsize 2048
	vctl a -d vale0:pinfo -r pinfo
}

test_vale_ctl_errors() {
	vale_need
	vale_two_hosts
	local busy='Device or resource busy' nodev='No such device or address'
	forget_on_exit a vale0 perr
	vctl a -n perr
	vctl_expect a 1 'unable to create perr: File exists' -n perr
	vctl_expect a 1 "unable to create lo: File exists" -n lo
	vctl_expect a 1 "unable to attach vale0:nosuch: $nodev" -a vale0:nosuch
	vctl_expect a 1 "unable to detach vale0:nosuch: $nodev" -d vale0:nosuch
	vctl_expect a 1 "unable to delete nosuch: $nodev" -r nosuch
	vctl_expect a 1 "unable to obtain info for vale0:nosuch: $nodev" \
		-l vale0:nosuch
	vctl a -a vale0:perr
	vctl_expect a 1 "unable to attach vale0:perr: $busy" -a vale0:perr
	vctl_expect a 1 "unable to delete perr: $busy" -r perr
	vctl a -a "vale0:$VB"
	vctl_expect a 1 "unable to attach vale0:$VB: $busy" -a "vale0:$VB"
	vctl_expect a 1 'Operation not supported' -p "vale0:$VB"
	vctl_expect a 1 'Operation not supported' -P "vale0:$VB"
	vctl_expect a 2 'usage' -x
	vctl a -d "vale0:$VB" -d vale0:perr -r perr
}

# Fails unless the open exited 1 saying PORT is busy (EBUSY).
expect_busy() { # STATUS PORT WHAT
	[ "$1" = 1 ] || fail "$3: exit $1, expected 1"
	grep -q "$2: Device or resource busy" "$TMPD/excl.log" ||
		fail "$3: no EBUSY for $2: $(cat "$TMPD/excl.log")"
}

test_vale_exclusive() {
	vale_need
	ns_add a
	nsx a "$BRIDGE" -T 0 --timeout 0.2 -i vale0:x/x -i vale0:x \
		>"$TMPD/excl.log" 2>&1
	expect_busy $? vale0:x "a second open of vale0:x/x"
	nsx a "$BRIDGE" -T 0 --timeout 0.2 -i vale0:x -i vale0:x/x \
		>"$TMPD/excl.log" 2>&1
	expect_busy $? vale0:x/x "an exclusive open of a busy vale0:x"
	nsx a "$BRIDGE" -T 0 --timeout 0.2 -i vale0:x -i vale0:x \
		>"$TMPD/excl.log" 2>&1 || fail "two opens of vale0:x refused"
	# one owner process per port
	nsbg a "$TMPD/owner.log" "$GEN" -i vale0:y -f rx -T 0 --timeout 60
	wait_line "$TMPD/owner.log" ': ready' 10 "$BG_PID"
	nsx a "$GEN" -i vale0:y -f rx -T 0 --timeout 0.2 >"$TMPD/excl.log" 2>&1
	expect_busy $? vale0:y "a second process opening vale0:y"
	nsx a "$GEN" -i vale0:y/x -f rx -T 0 --timeout 0.2 \
		>"$TMPD/excl.log" 2>&1
	expect_busy $? vale0:y/x "a second process opening vale0:y/x"
}

# netmap's persistent ports live until -r, whoever has them open.
test_vale_newif_outlives_vale_ctl() {
	vale_need
	ns_add a
	forget_on_exit a vale0 plive
	vctl a -n plive
	! nsx a "$VCTL" -n plive >"$TMPD/vctl.log" 2>&1 ||
		fail "persistent port plive was gone once vale-ctl exited:" \
			"a second -n plive succeeded (pktmap removes memory" \
			"id 1, which lists NEWIF ports, at its last close)"
	vctl a -a vale0:plive
	nsx a "$VCTL" -l vale0:plive >"$TMPD/vctl.log" 2>&1 ||
		fail "vale0:plive was gone once vale-ctl exited (pktmap" \
			"removes a switch's region at its last close)"
	vctl a -d vale0:plive -r plive
}
