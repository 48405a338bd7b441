# shellcheck shell=bash
# Host rings: an application between an interface and its host stack.
#
# Hosts a and b joined by a veth pair; the program under test opens b's
# interface (netmap:B*), which detaches it from b's stack with two tcx
# programs, pktmap_in and pktmap_out.  Neighbours are permanent and IPv6
# is off, so the only frames on the link are the ones a test sends, and the
# counts of the program can be compared exactly with a's link counters.
# Checksum offloads are off on both ends: frames cross the application as
# they are, and the stack must find finished checksums in them.

HOST_A=198.18.4.1
HOST_B=198.18.4.2
HOST_IDS=

# Namespaces a and b, veth A-B, neighbours fixed; sets A and B.
host_pair() {
	need "$BIN/example-nic2host" "$TBIN/host-tcp"
	command -v ethtool >/dev/null || skip "needs ethtool"
	command -v bpftool >/dev/null || skip "needs bpftool"
	command -v ping >/dev/null || skip "needs ping"
	ns_add a
	ns_add b
	A=$(ifn a)
	B=$(ifn b)
	veth_add a "$A" b "$B" addr1=$HOST_A/24 addr2=$HOST_B/24
	host_offloads_off a "$A"
	host_offloads_off b "$B"
	host_neigh a "$A" "$HOST_B" "$(host_mac b "$B")"
	host_neigh b "$B" "$HOST_A" "$(host_mac a "$A")"
}

host_offloads_off() { # NS IF
	nsx "$1" ethtool -K "$2" tx off tso off gso off gro off >/dev/null 2>&1 ||
		fail "ethtool -K $2 tx off tso off gso off gro off"
}

host_mac() { # NS IF
	nsx "$1" cat "/sys/class/net/$2/address"
}

host_neigh() { # NS IF ADDR MAC
	ip -n "$(ns "$1")" neigh replace "$3" lladdr "$4" dev "$2" nud permanent ||
		fail "neighbour $3 on $2"
}

host_link_count() { # NS IF rx|tx
	nsx "$1" cat "/sys/class/net/$2/statistics/$3_packets"
}

# Until a's link counters stand still for 0.3 s (5 s at most).
host_wait_quiet() {
	local last='' now
	for _ in $(seq 17); do
		now="$(host_link_count a "$A" tx) $(host_link_count a "$A" rx)"
		[ "$now" = "$last" ] && return 0
		last=$now
		sleep 0.3
	done
	fail "traffic on $A does not stop"
}

# N pings from a to b, every one answered.
host_ping() { # N LOGNAME
	nsx a timeout 30 ping -n -q -c "$1" -i 0.05 -W 2 "$HOST_B" \
		>"$TMPD/$2.log" 2>&1 || fail "$2: not every ping was answered"
	grep -q " $1 received" "$TMPD/$2.log" || fail "$2: ping replies"
}

# N pings from a to b, none answered.
host_ping_none() { # N LOGNAME
	nsx a timeout 30 ping -n -q -c "$1" -i 0.05 -W 1 "$HOST_B" \
		>"$TMPD/$2.log" 2>&1 && fail "$2: a ping got through"
	grep -q " 0 received" "$TMPD/$2.log" || fail "$2: ping replies"
}

# A TCP connection from a to b's PORT echoes BYTES back, byte for byte.
host_tcp() { # PORT BYTES LOGNAME
	local spid
	nsbg b "$TMPD/$3-server.log" "$TBIN/host-tcp" serve "$HOST_B" "$1" 10
	spid=$BG_PID
	wait_line "$TMPD/$3-server.log" '^listening' 10 "$spid"
	nsx a timeout 20 "$TBIN/host-tcp" connect "$HOST_B" "$1" "$2" 10 \
		>"$TMPD/$3-client.log" 2>&1 || fail "$3: the client failed"
	wait_bg "$spid" 20
	[ "$BG_STATUS" = 0 ] || fail "$3: the server exited with $BG_STATUS"
	expect_kv "$TMPD/$3-client.log" match 1
	expect_kv "$TMPD/$3-server.log" echoed "$2"
}

# A TCP connection from a to b's PORT gets nowhere: the client gives up
# after 3 s, the server accepts nothing.
host_tcp_blocked() { # PORT LOGNAME
	local spid
	nsbg b "$TMPD/$2-server.log" "$TBIN/host-tcp" serve "$HOST_B" "$1" 5
	spid=$BG_PID
	wait_line "$TMPD/$2-server.log" '^listening' 10 "$spid"
	nsx a timeout 20 "$TBIN/host-tcp" connect "$HOST_B" "$1" 100 3 \
		>"$TMPD/$2-client.log" 2>&1 && fail "$2: the client connected"
	expect_kv "$TMPD/$2-client.log" connected 0
	wait_bg "$spid" 20
	[ "$BG_STATUS" = 0 ] || fail "$2: the server exited with $BG_STATUS"
	expect_kv "$TMPD/$2-server.log" accepted 0
}

# Traffic of every kind the tests use, no matter who carries it.
host_traffic() { # LOGNAME
	host_ping 3 "$1-ping"
	host_tcp 7002 20000 "$1-tcp"
}

# "link:prog" ids of the tcx links PID holds.
host_bpf_ids() { # PID
	local f
	for f in /proc/"$1"/fdinfo/*; do
		awk '/^link_type:[ \t]*tcx/ { t = 1 }
		     /^link_id:/ { l = $2 }
		     /^prog_id:/ { p = $2 }
		     END { if (t) print l ":" p }' "$f" 2>/dev/null
	done
}

# Until PID has opened its port: it has set its SIGINT and SIGTERM
# handlers, which both programs do right after nm_open returns, and holds
# the two tcx links.  Both are needed: until ip(8) has exec'd the program,
# PID is a forked shell that may still carry the test's own traps.  Sets
# HOST_IDS and checks bpftool lists the programs.
host_wait_open() { # PID
	local pid=$1 caught names='' id
	for _ in $(seq 200); do
		kill -0 "$pid" 2>/dev/null || fail "process $pid exited early"
		caught=$(awk '/^SigCgt:/ { print $2 }' "/proc/$pid/status")
		HOST_IDS=$(host_bpf_ids "$pid")
		[ $((0x$caught & 0x4002)) = $((0x4002)) ] &&
			[ "$(echo "$HOST_IDS" | wc -w)" = 2 ] && break
		sleep 0.05
	done
	[ $((0x$caught & 0x4002)) = $((0x4002)) ] ||
		fail "process $pid did not open its port within 10 s"
	[ "$(echo "$HOST_IDS" | wc -w)" = 2 ] ||
		fail "process $pid holds tcx links '$HOST_IDS', expected 2"
	for id in $HOST_IDS; do
		names="$names $(bpftool prog show id "${id#*:}" |
			grep -oE 'name pktmap_(in|out)')"
	done
	case $names in
	*pktmap_in*pktmap_out* | *pktmap_out*pktmap_in*) ;;
	*) fail "bpftool: programs of $HOST_IDS are '$names'" ;;
	esac
}

host_pktmap_progs() {
	bpftool prog show | awk '/name pktmap_(in|out)/ { print $1 }' |
		tr -d : | sort
}

# The links and programs of HOST_IDS are gone (5 s at most: the kernel
# frees them after the last descriptor closes).
host_no_residue() {
	local id left
	for _ in $(seq 50); do
		left=
		for id in $HOST_IDS; do
			bpftool link show id "${id%:*}" >/dev/null 2>&1 &&
				left="$left link ${id%:*}"
			bpftool prog show id "${id#*:}" >/dev/null 2>&1 &&
				left="$left prog ${id#*:}"
		done
		[ -z "$left" ] && return 0
		sleep 0.1
	done
	fail "left behind:$left"
}

host_start() { # LOGNAME PROGRAM ARGS...
	local log=$1
	shift
	nsbg b "$TMPD/$log.log" "$@"
	HOST_PID=$BG_PID
	host_wait_open "$HOST_PID"
}

host_stop() { # SIGNAL [expected status]
	kill "-$1" "$HOST_PID"
	wait_bg "$HOST_PID" 10
	[ "$BG_STATUS" = "${2:-0}" ] ||
		fail "process $HOST_PID exited with $BG_STATUS after SIG$1"
}

# Frames a sent and received since its counters read TX0 and RX0: sets
# TX_D and RX_D.  Call with the application stopped.
host_link_delta() { # TX0 RX0
	TX_D=$(($(host_link_count a "$A" tx) - $1))
	RX_D=$(($(host_link_count a "$A" rx) - $2))
	info "$A sent $TX_D frames, received $RX_D"
}

# ---- nic2host -----------------------------------------------------------

# ping -c 10: exactly 10 requests in, 10 replies out.
test_host_nic2host_ping() {
	host_pair
	host_start nic2host "$BIN/example-nic2host" "netmap:$B" -t 60
	host_ping 10 ping
	host_wait_quiet
	host_stop INT
	expect_kv "$TMPD/nic2host.log" wire_to_host 10
	expect_kv "$TMPD/nic2host.log" host_to_wire 10
}

# TCP both ways: every segment crossed the application, none was lost.
test_host_nic2host_tcp() {
	local tx0 rx0
	host_pair
	host_start nic2host "$BIN/example-nic2host" "netmap:$B" -t 60
	tx0=$(host_link_count a "$A" tx)
	rx0=$(host_link_count a "$A" rx)
	host_tcp 7002 200000 tcp
	host_ping 5 ping
	host_wait_quiet
	host_stop INT
	# every frame of a's link crossed the application
	host_link_delta "$tx0" "$rx0"
	expect_kv "$TMPD/nic2host.log" wire_to_host "$TX_D"
	expect_kv "$TMPD/nic2host.log" host_to_wire "$RX_D"
	# 200000 bytes each way: at least 139 full segments each way
	if [ "$TX_D" -lt 144 ] || [ "$RX_D" -lt 144 ]; then
		fail "fewer frames than the transfer needs"
	fi
}

# Before, between and after runs the stack is whole; SIGINT and SIGKILL
# both leave no tcx link or program behind, and free the interface.
test_host_nic2host_lifecycle() {
	local before after
	host_pair
	before=$(host_pktmap_progs)
	host_traffic direct-before
	host_start nic2host1 "$BIN/example-nic2host" "netmap:$B" -t 60
	host_traffic through-1
	host_stop INT
	host_no_residue
	grep -q 'wire_to_host=' "$TMPD/nic2host1.log" || fail "no counts"
	host_traffic direct-after-sigint
	host_start nic2host2 "$BIN/example-nic2host" "netmap:$B" -t 60
	host_traffic through-2
	host_stop KILL 137
	host_no_residue
	host_traffic direct-after-sigkill
	# the lock died with the killed process too
	host_start nic2host3 "$BIN/example-nic2host" "netmap:$B" -t 60
	host_ping 3 through-3
	host_stop TERM
	host_no_residue
	host_traffic direct-at-end
	after=$(host_pktmap_progs)
	info "pktmap programs before: $(echo "$before" | tr '\n' ' ')" \
		"after: $(echo "$after" | tr '\n' ' ')"
}

# One process at a time: the second gets EBUSY and disturbs nothing.
test_host_nic2host_ebusy() {
	host_pair
	need "$BIN/example-firewall"
	host_start nic2host "$BIN/example-nic2host" "netmap:$B" -t 60
	nsx b timeout 10 "$BIN/example-nic2host" "netmap:$B" -t 1 \
		>"$TMPD/second.log" 2>&1
	[ $? = 1 ] || fail "the second nic2host did not fail with status 1"
	grep -q "Device or resource busy" "$TMPD/second.log" ||
		fail "the second nic2host did not get EBUSY"
	echo "default pass" >"$TMPD/pass.rules"
	nsx b timeout 10 "$BIN/example-firewall" "netmap:$B" \
		-f "$TMPD/pass.rules" -t 1 >"$TMPD/second-fw.log" 2>&1
	[ $? = 1 ] || fail "the firewall did not fail with status 1"
	grep -q "Device or resource busy" "$TMPD/second-fw.log" ||
		fail "the firewall did not get EBUSY"
	[ "$(host_bpf_ids "$HOST_PID" | wc -w)" = 2 ] ||
		fail "the first process lost its links"
	host_ping 4 ping
	host_wait_quiet
	host_stop INT
	expect_kv "$TMPD/nic2host.log" wire_to_host 4
	expect_kv "$TMPD/nic2host.log" host_to_wire 4
}

# PKTMAP_DETACH=0: no host rings (EOPNOTSUPP), the stack stays attached.
test_host_nodetach() {
	host_pair
	nsx b env PKTMAP_DETACH=0 timeout 10 "$BIN/example-nic2host" \
		"netmap:$B" -t 1 >"$TMPD/nodetach.log" 2>&1
	[ $? = 1 ] || fail "nic2host did not fail with status 1"
	grep -q "Operation not supported" "$TMPD/nodetach.log" ||
		fail "nic2host did not get EOPNOTSUPP"
	host_traffic direct
}

# ---- the firewall -------------------------------------------------------

host_firewall() { # RULES...
	need "$BIN/example-firewall"
	printf '%s\n' "$@" >"$TMPD/fw.rules"
	host_start firewall "$BIN/example-firewall" "netmap:$B" \
		-f "$TMPD/fw.rules" -t 60
}

# TCP to port 7001 blocked inbound, 7002 passed.  Checks a's traffic with
# the firewall's counts, and the dumps of blocked SYNs to 7001 (0x1b59).
host_firewall_7001() { # LINE (of the blocking rule)
	local tx0 rx0 n log=$TMPD/firewall.log
	tx0=$(host_link_count a "$A" tx)
	rx0=$(host_link_count a "$A" rx)
	host_tcp_blocked 7001 port-7001
	host_tcp 7002 50000 port-7002
	host_wait_quiet
	host_stop INT
	# every frame a sent was judged; only passed ones came back
	host_link_delta "$tx0" "$rx0"
	n=$(kv "$log" blocked_in)
	[ "${n:-0}" -ge 1 ] || fail "blocked_in=${n:-<none>}, expected >= 1"
	expect_kv "$log" passed_in $((TX_D - n))
	expect_kv "$log" passed_out "$RX_D"
	expect_kv "$log" blocked_out 0
	[ "$(grep -c "^blocked in by line $1: " "$log")" = "$n" ] ||
		fail "not $n dumps of frames blocked by line $1"
	grep -qE '^  0020  ([0-9a-f]{2} ){4}1b 59' "$log" ||
		fail "no dump shows TCP port 7001"
}

test_host_firewall_port_rule() {
	host_pair
	host_firewall "# the wire may not reach port 7001" \
		"block in tcp from any to $HOST_B/32 port 7001" \
		"pass in tcp to any port 7002" \
		"default pass"
	host_firewall_7001 2
}

test_host_firewall_pcap_rule() {
	host_pair
	host_firewall "block in pcap tcp dst port 7001" "default pass"
	host_firewall_7001 1
}

# Out: the stack's echo replies blocked, exactly one per ping.
test_host_firewall_out() {
	host_pair
	host_firewall "block out pcap icmp[icmptype] == icmp-echoreply" \
		"pass any ip"
	host_ping_none 5 ping
	host_wait_quiet
	host_stop INT
	expect_kv "$TMPD/firewall.log" passed_in 5
	expect_kv "$TMPD/firewall.log" blocked_out 5
	expect_kv "$TMPD/firewall.log" passed_out 0
	expect_kv "$TMPD/firewall.log" blocked_in 0
	[ "$(grep -c '^blocked out by line 1: 98 bytes' \
		"$TMPD/firewall.log")" = 5 ] || fail "not 5 dumps of replies"
}

# default block: only what a rule passes gets through; -q dumps nothing.
test_host_firewall_default_block() {
	local log=$TMPD/firewall.log
	host_pair
	need "$BIN/example-firewall"
	printf '%s\n' "pass in tcp to $HOST_B port 7002" \
		"pass out tcp from $HOST_B port 7002 # the answers" \
		"default block" >"$TMPD/fw.rules"
	host_start firewall "$BIN/example-firewall" "netmap:$B" \
		-f "$TMPD/fw.rules" -t 60 -q
	host_tcp 7002 20000 tcp
	host_ping_none 4 ping
	host_wait_quiet
	host_stop INT
	expect_kv "$log" blocked_in 4
	expect_kv "$log" blocked_out 0
	grep -q '^blocked' "$log" && fail "-q, yet blocked frames were dumped"
	true
}

# Each bad line: status 2, the file and line named, nothing opened (the
# interface does not exist: opening it would fail with status 1).
host_bad_rules() { # LINE MESSAGE RULE
	local f=$TMPD/bad.rules st
	printf '%s\n' "# a good rule first" "pass in tcp to any port 80" \
		"$3" "default pass" >"$f"
	"$BIN/example-firewall" netmap:pmnosuchif0 -f "$f" -t 1 \
		>"$TMPD/bad.log" 2>&1
	st=$?
	[ $st = 2 ] || fail "'$3': status $st, expected 2"
	grep -qF "$f:$1: $2" "$TMPD/bad.log" ||
		fail "'$3': no '$f:$1: $2' in: $(cat "$TMPD/bad.log")"
	info "$(cat "$TMPD/bad.log")"
}

test_host_firewall_bad_rules() {
	need "$BIN/example-firewall"
	host_bad_rules 3 "unknown action 'allow'" "allow in tcp"
	host_bad_rules 3 "bad direction 'inward'" "pass inward tcp"
	host_bad_rules 3 "bad address '198.18.0.256'" \
		"pass in tcp from 198.18.0.256"
	host_bad_rules 3 "bad address 'example'" "block in ip to example"
	host_bad_rules 3 "bad mask '/33'" "block in ip to 198.18.0.0/33"
	host_bad_rules 3 "bad mask '/-1'" "block in ip to 198.18.0.0/-1"
	host_bad_rules 3 "bad port '65536'" "pass in udp to any port 65536"
	host_bad_rules 3 "bad port 'http'" "pass in tcp to any port http"
	host_bad_rules 3 "'port' needs tcp or udp" "pass in icmp to any port 7"
	host_bad_rules 3 "bad pcap expression 'tcp dst port'" \
		"block in pcap tcp dst port"
	host_bad_rules 3 "missing expression after 'pcap'" "block in pcap"
	host_bad_rules 3 "unexpected 'extra'" "pass in tcp to any extra"
	host_bad_rules 4 "a second 'default' (the first is on line 3)" \
		"default block"
	"$BIN/example-firewall" netmap:pmnosuchif0 -f "$TMPD/none.rules" \
		>"$TMPD/bad.log" 2>&1
	[ $? = 2 ] || fail "a missing rules file: not status 2"
	"$BIN/example-firewall" netmap:pmnosuchif0 >"$TMPD/bad.log" 2>&1
	[ $? = 2 ] || fail "no -f: not status 2"
	true
}
