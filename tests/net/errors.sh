# shellcheck shell=bash
# Bad input: each refused with a specific error, quickly, never a hang.

# One namespace a with a veth pair whose ends A and P are both up in it.
one_host() {
	need "$TBIN/badinput"
	ns_add a
	A=$(ifn a)
	veth_add a "$A" a "$(ifn p)"
}

# Runs badinput ARGS... in a; every result line must equal the next of
# EXPECTED (a space-separated list such as "OK EBUSY").
expect_results() { # EXPECTED ARGS...
	local want=$1 got
	shift
	nsx a timeout 10 "$TBIN/badinput" "$@" >"$TMPD/badinput.log" 2>&1
	local st=$?
	[ $st = 0 ] || fail "badinput $* exited with $st"
	got=$(sed -n 's/^result=//p' "$TMPD/badinput.log" | tr '\n' ' ')
	[ "${got% }" = "$want" ] || fail "badinput $*: got '${got% }', want '$want'"
	info "badinput $*: $want"
}

test_unknown_interface() {
	one_host
	expect_results ENXIO open "netmap:$(ifn nosuch)"
	expect_results ENXIO ctrl "$(ifn nosuch)"
}

test_malformed_names() {
	one_host
	local long
	long=$(printf 'x%.0s' $(seq 70))
	expect_results EINVAL open "netmap:"
	expect_results EINVAL open "netmap:$A-"
	expect_results EINVAL open "netmap:$A/q"
	expect_results EINVAL open "netmap:$long"
	# and the interface itself is fine
	expect_results OK open "netmap:$A"
}

test_wrong_api_version() {
	one_host
	expect_results EINVAL version "$A" 13
	expect_results EINVAL version "$A" 99
	expect_results OK version "$A" 14
}

test_second_register_on_one_fd() {
	one_host
	expect_results "OK EBUSY" register2 "$A"
}

# The interface disappears under a receiver blocked in poll(): it must
# notice and exit with a clear error, well before its own timeout.
test_interface_deleted_while_polling() {
	need "$TBIN/frames"
	ns_add a
	ns_add b
	A=$(ifn a)
	B=$(ifn b)
	veth_add a "$A" b "$B"
	nsbg b "$TMPD/recv.log" "$TBIN/frames" recv "netmap:$B" 1000 60 60
	local rpid=$BG_PID t0
	wait_line "$TMPD/recv.log" '^ready' 10 "$rpid"
	sleep 0.5
	t0=$(date +%s)
	ip -n "$(ns a)" link del "$A" || fail "cannot delete $A"
	wait_bg "$rpid" 10
	info "receiver exited $BG_STATUS after $(($(date +%s) - t0))s"
	[ "$BG_STATUS" = 2 ] || fail "receiver exited with $BG_STATUS, want 2"
	grep -q 'port error' "$TMPD/recv.log" || fail "no clear error message"
	cat "$TMPD/recv.log"
}
