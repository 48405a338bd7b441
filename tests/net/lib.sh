# shellcheck shell=bash
# tests/net/lib.sh -- helpers of the net tests, sourced by tests/run before
# each test file; tests/run calls net_setup_traps before each test function.
#
# A test makes its own hosts: namespaces named pm-<pid>-<short name>, veth
# pairs between them with names from `ifn`, addresses from 198.18.0.0/15.
# Whatever it made -- namespaces, links, background processes -- is removed
# by the EXIT trap, on every exit path (success, fail, skip, signal).
#
#   ns_add SHORT                     make namespace pm-<pid>-SHORT, lo up
#   ns SHORT                         its full name
#   ifn SHORT                        a unique interface name: pm<pid>SHORT
#   veth_add NS1 IF1 NS2 IF2 [mtu=N] [queues=N] [addr1=CIDR] [addr2=CIDR]
#   addr_add NS IF CIDR              only inside 198.18.0.0/15
#   offload NS IF on|off             GRO, GSO, TSO together
#   nsx NS CMD...                    run CMD in NS, in the foreground
#   nsbg NS LOG CMD...               run CMD in NS in the background; BG_PID
#   wait_line LOG REGEX [SECONDS] [PID]  until LOG has a matching line, or
#                                    fail (at once if PID exits)
#   wait_bg PID [SECONDS]            until PID exits, or fail; BG_STATUS
#   kv FILE KEY                      the last value of KEY=value in FILE
#   expect_kv FILE KEY VALUE         fail unless it equals VALUE
#   need FILE...                     skip unless built
#   skip MESSAGE / fail MESSAGE      exit 77 / exit 1, showing the logs
#
# Binaries: $BIN (tools and examples), $TBIN (helpers of these tests);
# logs go to $TMPD, a directory of the test's own.

BIN=build/bin
TBIN=build/tests/net
LIBPKTMAP=build/lib/libpktmap.so
NET_ID=$$
NET_NAMESPACES=()
NET_PIDS=()
TMPD=
BG_PID=
BG_STATUS=

skip() {
	echo "SKIP: $*"
	exit 77
}

# Prints the logs of the test, then fails.
fail() {
	echo "FAIL: $*"
	local f
	for f in "$TMPD"/*; do
		[ -s "$f" ] || continue
		echo "--- $(basename "$f")"
		tail -n 15 "$f"
	done
	exit 1
}

info() {
	echo "# $*"
}

net_setup_traps() {
	[ "$(id -u)" = 0 ] || skip "needs root"
	command -v ip >/dev/null || skip "needs ip (iproute2)"
	TMPD=$(mktemp -d "/tmp/pm-$NET_ID-XXXXXX") || fail "mktemp"
	trap net_cleanup EXIT
	trap 'exit 129' HUP
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

# Kills every process the test started, then removes its namespaces
# (which takes their veths along) and its log directory.
net_cleanup() {
	local st=$? pid ns i
	trap - EXIT HUP INT TERM
	for pid in "${NET_PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null
	done
	for ns in "${NET_NAMESPACES[@]}"; do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill -TERM "$pid" 2>/dev/null
		done
	done
	for i in $(seq 20); do
		net_any_alive || break
		sleep 0.1
	done
	for pid in "${NET_PIDS[@]}"; do
		kill -KILL "$pid" 2>/dev/null
	done
	for ns in "${NET_NAMESPACES[@]}"; do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill -KILL "$pid" 2>/dev/null
		done
	done
	wait 2>/dev/null
	for ns in "${NET_NAMESPACES[@]}"; do
		ip netns del "$ns" 2>/dev/null
	done
	[ -n "$TMPD" ] && rm -rf "$TMPD"
	exit "$st"
}

net_any_alive() {
	local pid ns
	for pid in "${NET_PIDS[@]}"; do
		kill -0 "$pid" 2>/dev/null && return 0
	done
	for ns in "${NET_NAMESPACES[@]}"; do
		[ -n "$(ip netns pids "$ns" 2>/dev/null)" ] && return 0
	done
	return 1
}

ns() {
	echo "pm-$NET_ID-$1"
}

# At most 15 characters: "pm", the pid (7 digits at most), SHORT.
ifn() {
	local name="pm$NET_ID$1"
	[ ${#name} -le 15 ] || fail "interface name $name too long"
	echo "$name"
}

ns_add() {
	local name
	name=$(ns "$1")
	ip netns add "$name" || fail "cannot create namespace $name"
	NET_NAMESPACES+=("$name")
	# No IPv6 anywhere: no router solicitations or DAD on the test links.
	nsx "$1" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 2>/dev/null
	nsx "$1" sysctl -qw net.ipv6.conf.default.disable_ipv6=1 2>/dev/null
	ip -n "$name" link set lo up || fail "lo up in $name"
}

nsx() {
	local n=$1
	shift
	ip netns exec "$(ns "$n")" "$@"
}

nsbg() {
	local n=$1 log=$2
	shift 2
	# ip netns exec execs the command: $! is its pid.
	ip netns exec "$(ns "$n")" "$@" >"$log" 2>&1 &
	BG_PID=$!
	NET_PIDS+=("$BG_PID")
}

addr_add() {
	case $3 in
	198.1[89].*) ;;
	*) fail "address $3 is outside 198.18.0.0/15" ;;
	esac
	ip -n "$(ns "$1")" addr add "$3" dev "$2" || fail "addr $3 on $2"
}

# Creates IF1 in NS1 and its peer IF2 in NS2, up, IPv6 off.
veth_add() {
	local ns1=$1 if1=$2 ns2=$3 if2=$4 mtu='' q=1 a1='' a2='' opt
	shift 4
	for opt in "$@"; do
		case $opt in
		mtu=*) mtu=${opt#mtu=} ;;
		queues=*) q=${opt#queues=} ;;
		addr1=*) a1=${opt#addr1=} ;;
		addr2=*) a2=${opt#addr2=} ;;
		*) fail "veth_add: unknown option $opt" ;;
		esac
	done
	ip link add "$if1" numtxqueues "$q" numrxqueues "$q" netns "$(ns "$ns1")" \
		type veth peer name "$if2" numtxqueues "$q" numrxqueues "$q" \
		netns "$(ns "$ns2")" || fail "cannot create veth $if1-$if2"
	veth_side_up "$ns1" "$if1" "$mtu" "$a1"
	veth_side_up "$ns2" "$if2" "$mtu" "$a2"
}

veth_side_up() { # NS IF MTU ADDR
	nsx "$1" sysctl -qw "net.ipv6.conf.$2.disable_ipv6=1" 2>/dev/null
	[ -z "$3" ] || ip -n "$(ns "$1")" link set "$2" mtu "$3" ||
		fail "mtu $3 on $2"
	[ -z "$4" ] || addr_add "$1" "$2" "$4"
	ip -n "$(ns "$1")" link set "$2" up || fail "$2 up"
}

offload() {
	command -v ethtool >/dev/null || skip "needs ethtool"
	nsx "$1" ethtool -K "$2" gro "$3" gso "$3" tso "$3" ||
		fail "ethtool -K $2 gro/gso/tso $3"
}

wait_line() {
	local log=$1 re=$2 t=${3:-10} pid=${4:-} i
	for i in $(seq $((t * 20))); do
		grep -qE "$re" "$log" 2>/dev/null && return 0
		[ -z "$pid" ] || kill -0 "$pid" 2>/dev/null ||
			fail "process $pid exited before printing '$re'"
		sleep 0.05
	done
	fail "no line matching '$re' in $(basename "$log") within ${t}s"
}

wait_bg() {
	local pid=$1 t=${2:-30} i
	for i in $(seq $((t * 10))); do
		if ! kill -0 "$pid" 2>/dev/null; then
			wait "$pid"
			BG_STATUS=$?
			return 0
		fi
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null
	fail "process $pid still running after ${t}s"
}

kv() {
	grep -oE "(^|[[:space:]])$2=[^[:space:]]*" "$1" 2>/dev/null | tail -n 1 |
		sed "s/^[[:space:]]*$2=//"
}

expect_kv() {
	local got
	got=$(kv "$1" "$2")
	[ "$got" = "$3" ] ||
		fail "$(basename "$1"): $2=${got:-<none>}, expected $3"
}

need() {
	local f
	for f in "$@"; do
		[ -e "$f" ] || skip "$f is not built"
	done
}
