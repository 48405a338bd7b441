#!/bin/bash
# bench/vale.sh -- VALE and pipe throughput between two processes, next to
# the ceiling: a bare shared-memory ring (bench/shmring.c).
#
#   bench/vale.sh [--quick] [--reps N] [--no-results]
#
# Run as root.  For each frame length (60 and 1514 bytes) and each path,
# pktmap-gen -f tx sends on one port and pktmap-gen -f rx counts on the
# other, each pinned to a CPU of its own when there are two:
#   VALE   vale0:a -> vale0:b   (the sender's sync copies into b's ring;
#                               a full ring drops, as netmap's switch does)
#   pipe   netmap:IF{1 -> netmap:IF}1   (zero copy, back-pressure)
#   shm    shmring: the producer copies frames into a memfd ring, the
#          consumer reads them (no library, no system call)
# Prints a Markdown table of medians over the repetitions; received Mpps is
# frames counted by the receiver over the time from its first frame to its
# last.  The table also replaces the results in bench/VALE.md unless
# --no-results.  Everything runs in a namespace of its own, removed on exit.
set -u
cd "$(dirname "$0")/.." || exit 1

REPS=3
WRITE=1
declare -A COUNT=([60]=5000000 [1514]=2000000)
LENS="60 1514"

while [ $# -gt 0 ]; do
	case $1 in
	--quick)
		REPS=1
		COUNT=([60]=1000000 [1514]=400000)
		;;
	--reps) REPS=$2; shift ;;
	--no-results) WRITE=0 ;;
	*) sed -n '5p' "$0" | sed 's/^# *//' >&2; exit 2 ;;
	esac
	shift
done
case $REPS in '' | *[!0-9]* | 0) echo "bench/vale.sh: bad --reps" >&2; exit 2 ;; esac

GEN=build/bin/pktmap-gen
SHM=build/bench/shmring
NS=pm-vbench-$$
IF=pmvb$$
TMPD=
PIDS=()

die() {
	echo "bench/vale.sh: $*" >&2
	exit 1
}

cleanup() {
	local st=$? pid
	trap - EXIT INT TERM HUP
	for pid in "${PIDS[@]}" $(ip netns pids "$NS" 2>/dev/null); do
		kill -TERM "$pid" 2>/dev/null
	done
	sleep 0.2
	for pid in $(ip netns pids "$NS" 2>/dev/null); do
		kill -KILL "$pid" 2>/dev/null
	done
	wait 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	[ -n "$TMPD" ] && rm -rf "$TMPD"
	exit "$st"
}

[ "$(id -u)" = 0 ] || die "run as root"
make -s "$GEN" "$SHM" >/dev/null || die "build failed"
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP
TMPD=$(mktemp -d /tmp/pm-vbench-XXXXXX) || die mktemp
ip netns add "$NS" || die "ip netns add"
ip -n "$NS" link set lo up
ip link add "$IF" netns "$NS" type veth peer name "${IF}p" netns "$NS" ||
	die "veth"
ip -n "$NS" link set "$IF" up

# Pinning: sender on CPU 0, receiver on CPU 1 (none with one CPU).
if [ "$(nproc)" -ge 2 ]; then
	PIN_TX="taskset -c 0" PIN_RX="taskset -c 1" SHM_PIN="-c 0,1"
else
	PIN_TX='' PIN_RX='' SHM_PIN=''
fi

kv() { # FILE KEY
	grep -oE "(^|[[:space:]])$2=[^[:space:]]*" "$1" | tail -n 1 |
		sed "s/^[[:space:]]*$2=//"
}

# One run of pktmap-gen from TX_PORT to RX_PORT: "tx_pps rx_pps received".
gen_run() { # TX_PORT RX_PORT LEN N
	local rx=$TMPD/rx.log tx=$TMPD/tx.log rpid
	# shellcheck disable=SC2086
	ip netns exec "$NS" $PIN_RX "$GEN" -i "$2" -f rx -l "$3" -T 0 \
		--idle 1 --timeout 60 >"$rx" 2>&1 &
	rpid=$!
	PIDS+=("$rpid")
	for _ in $(seq 100); do
		grep -q ': ready' "$rx" && break
		sleep 0.05
	done
	# shellcheck disable=SC2086
	ip netns exec "$NS" $PIN_TX "$GEN" -i "$1" -f tx -l "$3" -n "$4" \
		-T 0 >"$tx" 2>&1 || die "sender on $1: $(tail -n 3 "$tx")"
	wait "$rpid" || die "receiver on $2: $(tail -n 3 "$rx")"
	echo "$(kv "$tx" pps) $(kv "$rx" pps) $(kv "$rx" packets)"
}

shm_run() { # LEN N
	local out=$TMPD/shm.log
	# shellcheck disable=SC2086
	"$SHM" -l "$1" -n "$2" $SHM_PIN >"$out" 2>&1 || die "shmring failed"
	echo "- $(kv "$out" pps) $(kv "$out" packets)"
}

median() { # values...
	printf '%s\n' "$@" | sort -g | awk '{v[NR] = $1}
		END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'
}

mpps() { # pps
	[ "$1" = - ] && { echo -; return; }
	awk -v p="$1" 'BEGIN {printf "%.2f", p / 1e6}'
}

declare -A ROW
measure() { # NAME LEN N CMD...
	local name=$1 len=$2 n=$3 r txs=() rxs=() losses=() out
	shift 3
	for r in $(seq "$REPS"); do
		out=$("$@") || exit 1
		read -r tx rx got <<<"$out"
		txs+=("${tx:--}")
		rxs+=("${rx:-0}")
		losses+=("$(awk -v n="$n" -v g="${got:-0}" \
			'BEGIN {printf "%.1f", 100 * (n - g) / n}')")
		echo "  $name $len B rep $r: tx=${tx:--} rx=${rx:-0} pps, received ${got:-0}/$n" >&2
	done
	local tx_m=-
	[ "${txs[0]}" = - ] || tx_m=$(median "${txs[@]}")
	ROW[$name,$len]="$(mpps "$tx_m") | $(mpps "$(median "${rxs[@]}")") | $(median "${losses[@]}") %"
	ROW[$name,$len,rx]=$(median "${rxs[@]}")
}

for len in $LENS; do
	n=${COUNT[$len]}
	measure vale "$len" "$n" gen_run vale0:a vale0:b "$len" "$n"
	measure pipe "$len" "$n" gen_run "netmap:$IF{1" "netmap:$IF}1" "$len" "$n"
	measure shm "$len" "$n" shm_run "$len" "$n"
done

table() {
	local len name ceil
	echo "| path | frame | sent Mpps | received Mpps | lost | of the ceiling |"
	echo "|---|---:|---:|---:|---:|---:|"
	for len in $LENS; do
		ceil=${ROW[shm,$len,rx]}
		for name in vale pipe shm; do
			local label
			# shellcheck disable=SC2016 # Markdown code, not expansions
			case $name in
			vale) label='VALE `vale0:a` → `vale0:b`' ;;
			pipe) label='pipe `IF{1` → `IF}1`' ;;
			shm) label='shared-memory ring (ceiling)' ;;
			esac
			echo "| $label | $len | ${ROW[$name,$len]} | $(awk -v a="${ROW[$name,$len,rx]}" -v c="$ceil" \
				'BEGIN {printf "%.0f %%", (c > 0 ? 100 * a / c : 0)}') |"
		done
	done
}

TABLE=$(table)
HOSTINFO="$(date -u +%Y-%m-%d), $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')), kernel $(uname -r), $REPS repetitions, medians"
echo
echo "$HOSTINFO"
echo
echo "$TABLE"

if [ "$WRITE" = 1 ] && [ -f bench/VALE.md ]; then
	BODY="$HOSTINFO"$'\n\n'"$TABLE" awk '
		/<!-- results begin -->/ {print; print ""; print ENVIRON["BODY"]; print ""; skip = 1; next}
		/<!-- results end -->/ {skip = 0}
		!skip' bench/VALE.md >"$TMPD/VALE.md" && cp "$TMPD/VALE.md" bench/VALE.md
fi
