# shellcheck shell=bash
# The `pktmap` status command: what a namespace holds (interfaces detached
# and by whom, a switch with an ephemeral, a persistent and an attached
# port, an unattached persistent port, a pipe, a monitor, the regions and
# their users) in text and JSON, checked field by field; and a user's
# bookkeeping overwritten at random, read without a crash or a hang.

# STATUS_PKTMAP: another build of it, e.g. one under ASan+UBSan
PKTMAP=${STATUS_PKTMAP:-$BIN/pktmap}
VCTL=$BIN/vale-ctl
GEN=$BIN/pktmap-gen

status_need() {
	need "$PKTMAP" "$VCTL" "$GEN"
	command -v python3 >/dev/null || skip "needs python3"
}

# Persistent ports outlive the processes: removed before the namespace goes.
status_forget() { # NS
	local pid
	for pid in "${NET_PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null
	done
	for pid in "${NET_PIDS[@]}"; do
		timeout 5 tail --pid="$pid" -f /dev/null 2>/dev/null
	done
	nsx "$1" "$VCTL" -d "vale0:$STATUS_IFB" >/dev/null 2>&1
	nsx "$1" "$VCTL" -d vale0:pa >/dev/null 2>&1
	nsx "$1" "$VCTL" -r pa >/dev/null 2>&1
	nsx "$1" "$VCTL" -r pb >/dev/null 2>&1
}

# A held port: the generator receiving on PORT until the test ends.
status_hold() { # NS LOG PORT
	nsbg "$1" "$TMPD/$2.log" "$GEN" -i "$3" -f rx -T 0 --timeout 120
	wait_line "$TMPD/$2.log" ': ready' 10 "$BG_PID"
}

test_status_shows_ports_and_holders() {
	local ifa ifb gen_nic gen_vale gen_pipe agent netns
	status_need
	ns_add a
	ifa=$(ifn a)
	ifb=$(ifn b)
	STATUS_IFB=$ifb
	veth_add a "$ifa" a "$ifb"
	trap 'STATUS_ST=$?; status_forget a; (exit $STATUS_ST); net_cleanup' EXIT
	# nothing yet: empty lists, exit 0
	nsx a "$PKTMAP" -j >"$TMPD/empty.json" || fail "pktmap -j: status $?"
	python3 - "$TMPD/empty.json" <<'EOF' || fail "empty state: $(cat "$TMPD/empty.json")"
import json, sys
s = json.load(open(sys.argv[1]))
assert all(s[k] == [] for k in ("detached", "switches", "ports",
           "persistent_ports", "pipes", "monitors", "regions")), s
assert s["invalid"] == 0
EOF
	[ -z "$(nsx a "$PKTMAP")" ] || fail "pktmap printed something for nothing"

	nsx a "$VCTL" -n pa -C 512 >/dev/null || fail "vale-ctl -n pa"
	nsx a "$VCTL" -a vale0:pa >/dev/null || fail "vale-ctl -a vale0:pa"
	nsx a "$VCTL" -n pb -C 256,256,2 >/dev/null || fail "vale-ctl -n pb"
	nsx a "$VCTL" -a "vale0:$ifb" >/dev/null || fail "vale-ctl -a vale0:$ifb"
	status_hold a vale vale0:g
	gen_vale=$BG_PID
	status_hold a nic "netmap:$ifa"
	gen_nic=$BG_PID
	status_hold a pipe "netmap:$ifa{3"
	gen_pipe=$BG_PID
	status_hold a mon vale0:g/r
	agent=$(nsx a "$PKTMAP" -j | python3 -c \
		'import json,sys; print([p["agent"]["pid"] for p in json.load(sys.stdin)["ports"] if p["agent"]][0])') ||
		fail "no agent in the JSON"
	netns=$(nsx a stat -L -c %i /proc/self/ns/net)

	nsx a "$PKTMAP" -j >"$TMPD/status.json" || fail "pktmap -j: status $?"
	python3 -m json.tool "$TMPD/status.json" >/dev/null ||
		fail "pktmap -j is not JSON: $(cat "$TMPD/status.json")"
	python3 - "$TMPD/status.json" "$ifa" "$ifb" "$gen_vale" "$gen_nic" \
		"$gen_pipe" "$agent" "$netns" <<'EOF' || fail "pktmap -j: $(cat "$TMPD/status.json")"
import json, sys
s = json.load(open(sys.argv[1]))
ifa, ifb = sys.argv[2], sys.argv[3]
gen_vale, gen_nic, gen_pipe, agent, netns = map(int, sys.argv[4:9])
def proc(p, pid, cmd):
    assert p == {"pid": pid, "uid": 0, "command": cmd}, (p, pid, cmd)
for k in ("detached", "switches", "ports", "persistent_ports", "pipes",
          "monitors", "regions"):
    for e in s[k]:
        assert (e["uid"], e["netns"]) == (0, netns), e
det = {d["ifname"]: d for d in s["detached"]}
assert sorted(det) == sorted([ifa, ifb]), det
proc(det[ifa]["holder"], gen_nic, "pktmap-gen")
proc(det[ifb]["holder"], agent, "vale-ctl")
assert [(w["name"], w["mem_id"], w["ports"]) for w in s["switches"]] == \
    [("vale0", 2, 3)], s["switches"]
ports = {p["name"]: p for p in s["ports"]}
assert sorted(ports) == sorted(["vale0:g", "vale0:pa", "vale0:" + ifb])
g, pa, nic = ports["vale0:g"], ports["vale0:pa"], ports["vale0:" + ifb]
assert (g["rings"], g["slots"], g["persistent"], g["agent"]) == \
    (1, 1024, False, None), g
proc(g["holder"], gen_vale, "pktmap-gen")
assert (pa["slots"], pa["persistent"], pa["agent"], pa["holder"]) == \
    (512, True, None, None), pa
assert nic["persistent"] is False
proc(nic["agent"], agent, "vale-ctl")
proc(nic["holder"], agent, "vale-ctl")
for p in s["ports"]:
    assert (p["switch"], p["rx_drops"], p["stalled_rings"]) == \
        ("vale0", 0, 0), p
assert [(n["name"], n["rings"], n["slots"], n["switch"])
        for n in s["persistent_ports"]] == \
    [("pa", 1, 512, "vale0"), ("pb", 2, 256, None)], s["persistent_ports"]
assert [(p["name"], p["mem_id"], p["master"], p["slave"], p["rings"])
        for p in s["pipes"]] == [(ifa + "{3", 1, True, False, 1)], s["pipes"]
assert [(m["port"], m["mem_id"], m["rx"], m["tx"], m["zcopy"], m["rings"],
         m["drops"]) for m in s["monitors"]] == \
    [("vale0:g", 2, True, False, False, 1, 0)], s["monitors"]
r = {r["mem_id"]: r for r in s["regions"]}
assert sorted(r) == [1, 2], r
users = {m: sorted(u["pid"] for u in r[m]["users"]) for m in r}
# memory 1: the NIC port, the pipe, the agent's NIC port and its switch
# registry, the generator on vale0 (its registry); memory 2: the switch's
assert users[1] == sorted([gen_nic, gen_pipe, agent, gen_vale]), users
assert r[1]["nusers"] == 4 and r[1]["persistent_ports"] == 2, r[1]
assert r[2]["persistent_ports"] == 1, r[2]
assert agent in users[2] and gen_vale in users[2], users
for m in r.values():
    assert m["size"] > 0 and m["buffer_size"] == 2048, m
    assert 0 < m["buffers_used"] <= m["buffers"] == 524288, m
    assert 0 < m["rings_used"] <= m["rings"], m
assert s["invalid"] == 0
EOF
	# the text: one line per thing, the holders named
	nsx a "$PKTMAP" >"$TMPD/status.txt" || fail "pktmap: status $?"
	grep -qx "user root (uid 0), network namespace $netns:" "$TMPD/status.txt" ||
		fail "no user line: $(cat "$TMPD/status.txt")"
	grep -qx "  detached $ifa ifindex [0-9]*: pid $gen_nic (pktmap-gen)" "$TMPD/status.txt" ||
		fail "no detached $ifa: $(cat "$TMPD/status.txt")"
	grep -qx "  switch vale0: memory 2, 3 ports" "$TMPD/status.txt" ||
		fail "no switch line: $(cat "$TMPD/status.txt")"
	grep -qx "    port vale0:g: 1 rings, 1024 slots, pid $gen_vale (pktmap-gen)" "$TMPD/status.txt" ||
		fail "no vale0:g line: $(cat "$TMPD/status.txt")"
	grep -qx "    port vale0:$ifb: 1 rings, 1024 slots, interface $ifb, agent pid $agent (vale-ctl)" "$TMPD/status.txt" ||
		fail "no vale0:$ifb line: $(cat "$TMPD/status.txt")"
	grep -qx "  persistent pb: 2 rings, 256 slots, not attached" "$TMPD/status.txt" ||
		fail "no pb line: $(cat "$TMPD/status.txt")"
	grep -qx "  pipe $ifa{3: memory 1, 1 rings, 1024 slots, ends master" "$TMPD/status.txt" ||
		fail "no pipe line: $(cat "$TMPD/status.txt")"
	grep -qx "  monitor vale0:g/r: memory 2, 1 rings, 0 drops" "$TMPD/status.txt" ||
		fail "no monitor line: $(cat "$TMPD/status.txt")"
	[ "$(nsx a "$PKTMAP" show sw | grep -c '^    port ')" = 3 ] ||
		fail "pktmap show sw: $(nsx a "$PKTMAP" show sw)"
	[ "$(nsx a "$PKTMAP" show pipes | wc -l)" = 2 ] ||
		fail "pktmap show pipes: $(nsx a "$PKTMAP" show pipes)"
	# another namespace sees none of it, -A does
	[ -z "$("$PKTMAP" | grep "namespace $netns:")" ] ||
		fail "pktmap outside the namespace shows it"
	"$PKTMAP" -A | grep -qx "user root (uid 0), network namespace $netns:" ||
		fail "pktmap -A does not show the namespace"
	info "$(grep -c . "$TMPD/status.txt") lines, every field as expected"
}

# Usage: an unknown command or object is refused; -a needs root.
test_status_usage() {
	local out st
	status_need
	out=$("$PKTMAP" frob 2>&1)
	st=$?
	[ $st = 2 ] || fail "pktmap frob: status $st"
	echo "$out" | grep -q "unknown command 'frob'" || fail "pktmap frob: $out"
	out=$("$PKTMAP" show frob 2>&1)
	[ $? = 2 ] || fail "pktmap show frob: status not 2"
	out=$(setpriv --reuid 65534 --regid 65534 --clear-groups "$PKTMAP" -a 2>&1)
	st=$?
	[ $st = 1 ] && [ "$out" = "pktmap: -a (every user's state) needs root" ] ||
		fail "pktmap -a as a user: status $st: $out"
	[ "$("$PKTMAP" --version)" = "pktmap (pktmap) $(sed -n 's/^VERSION := //p' Makefile)" ] ||
		fail "pktmap --version: $("$PKTMAP" --version)"
	"$PKTMAP" -h | grep -q '^Usage: pktmap' || fail "pktmap -h"
}

# A user of its own (no other test uses it) leaves a switch with a
# persistent port in /dev/shm; its bookkeeping is then overwritten at
# random (seeded: the same bytes each run), and a FIFO, a symlink and a
# short file take region names.  pktmap, as that user, always answers
# with JSON, at once, and counts what it left out.
test_status_survives_garbage() {
	local uid=$((3000000 + $$ % 100000)) dir netns i st
	setpriv --reuid 65534 --regid 65534 --clear-groups test -x "$PKTMAP" ||
		skip "the tree is not readable by other users"
	status_need
	command -v setpriv >/dev/null || skip "needs setpriv"
	dir=/dev/shm/pktmap-$uid
	ns_add g
	trap 'STATUS_ST=$?; rm -rf "'"$dir"'"; (exit $STATUS_ST); net_cleanup' EXIT
	as_user() { nsx g setpriv --reuid "$uid" --regid "$uid" --clear-groups "$@"; }
	as_user "$VCTL" -n px >/dev/null || fail "vale-ctl -n px as uid $uid"
	as_user "$VCTL" -a vale0:px >/dev/null || fail "vale-ctl -a vale0:px as uid $uid"
	netns=$(nsx g stat -L -c %i /proc/self/ns/net)
	as_user timeout 10 "$PKTMAP" >"$TMPD/clean.txt" || fail "pktmap as uid $uid"
	grep -qx "  persistent px: 1 rings, 1024 slots, on vale0" "$TMPD/clean.txt" ||
		fail "clean state: $(cat "$TMPD/clean.txt")"
	mkfifo "$dir/$netns.mem5" && printf 'short' >"$dir/$netns.mem6" &&
		ln -s /etc/passwd "$dir/$netns.mem7" &&
		chown -h "$uid:$uid" "$dir/$netns.mem5" "$dir/$netns.mem6" "$dir/$netns.mem7" ||
		fail "cannot make the fake objects"
	as_user timeout 10 "$PKTMAP" -j >"$TMPD/fake.json" || fail "pktmap -j with a FIFO: status $?"
	python3 -c 'import json,sys; s=json.load(open(sys.argv[1])); assert s["invalid"] == 2, s' \
		"$TMPD/fake.json" || fail "FIFO and short file: $(cat "$TMPD/fake.json")"
	for i in $(seq 40); do
		python3 - "$dir/$netns.mem1" "$dir/$netns.mem2" "$i" <<'EOF' || fail "cannot scribble"
import random, sys
rnd = random.Random(int(sys.argv[3]))
for path in sys.argv[1:3]:
    with open(path, "r+b") as f:
        for _ in range(200):
            # the bookkeeping: allocators, pipes, switches, ports, monitors
            at = rnd.randrange(0, 3 << 20)
            f.seek(at)
            f.write(bytes(rnd.randrange(256) for _ in range(rnd.choice((1, 4, 8, 64)))))
EOF
		as_user timeout 10 "$PKTMAP" -j >"$TMPD/g.json"
		st=$?
		[ $st = 0 ] || fail "round $i: pktmap -j status $st"
		python3 -m json.tool "$TMPD/g.json" >/dev/null || fail "round $i: not JSON: $(head -c 2000 "$TMPD/g.json")"
		as_user timeout 10 "$PKTMAP" >/dev/null || fail "round $i: pktmap status $?"
	done
	info "40 rounds of garbage: JSON every time, last invalid=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["invalid"])' "$TMPD/g.json")"
}
