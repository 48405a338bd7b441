# shellcheck shell=bash
# A newcomer's first steps: the README's commands, install-deps, tests/run
# as a user and with names, the tools' --version, make install/uninstall
# and the installed pkg-config file.  No network: the namespaces of
# lib.sh are not needed, only its logs and cleanup.

VERSION=$(sed -n 's/^VERSION := //p' Makefile)
NOBODY=(setpriv --reuid 65534 --regid 65534 --clear-groups)

# The README opens with the two commands, as a root shell runs them.
test_newcomer_readme_commands() {
	local first
	first=$(grep -m2 '^    ' README.md | awk '{print $1, $2}')
	[ "$first" = "make demo
make test" ] || fail "the README's first commands are: $first"
	grep -q 'prefix `sudo`' README.md || fail "the README does not say when to use sudo"
}

# install-deps with stubs of dpkg-query (debhelper missing) and apt-get
# (records its arguments): root installs with apt-get waiting for the
# lock; a user is told what is missing and nothing runs.
test_newcomer_install_deps_waits_for_lock() {
	local stubs=$TMPD/stubs out st
	mkdir "$stubs"
	cat >"$stubs/dpkg-query" <<'EOF'
#!/bin/sh
for last; do :; done
[ "$last" = debhelper ] && exit 1
printf 'install ok installed'
EOF
	printf '#!/bin/sh\necho "$*" >>"%s"\n' "$TMPD/apt-get.calls" >"$stubs/apt-get"
	chmod 755 "$stubs"/*
	PATH=$stubs:$PATH scripts/install-deps >"$TMPD/root.out" 2>&1 ||
		fail "install-deps as root failed"
	[ "$(cat "$TMPD/apt-get.calls")" = "-o DPkg::Lock::Timeout=600 update -qq
-o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends debhelper" ] ||
		fail "apt-get ran as: $(cat "$TMPD/apt-get.calls")"
	PATH=$stubs:$PATH scripts/install-deps build >/dev/null 2>&1 ||
		fail "install-deps build wants debhelper"
	chmod 755 "$TMPD"
	rm "$TMPD/apt-get.calls"
	out=$(PATH=$stubs:$PATH "${NOBODY[@]}" scripts/install-deps 2>&1)
	st=$?
	[ $st = 1 ] || fail "install-deps as a user: status $st"
	[ "$out" = "install-deps: missing Debian packages: debhelper
install-deps: run as root (or with sudo) to install them" ] ||
		fail "install-deps as a user said: $out"
	[ ! -e "$TMPD/apt-get.calls" ] || fail "install-deps as a user ran apt-get"
}

# tests/run as a user: one line on stderr, nothing on stdout, status 2.
test_newcomer_run_refuses_without_root() {
	local st
	"${NOBODY[@]}" test -x tests/run ||
		skip "the tree is not readable by uid 65534"
	"${NOBODY[@]}" tests/run >"$TMPD/out" 2>"$TMPD/err"
	st=$?
	[ $st = 2 ] || fail "tests/run as a user: status $st, expected 2"
	[ ! -s "$TMPD/out" ] || fail "tests/run as a user wrote on stdout"
	[ "$(cat "$TMPD/err")" = "tests/run: needs root (namespaces, packet sockets, BPF): run it as root or with sudo" ] ||
		fail "tests/run as a user said: $(cat "$TMPD/err")"
}

# A pattern runs exactly the tests it matches; a word matching none is
# refused before anything runs.
test_newcomer_run_selects_by_pattern() {
	local st
	need build/tests/unit/nmport_grammar
	tests/run 'unit/nmport_gram*' >"$TMPD/out" 2>&1
	st=$?
	[ $st = 0 ] || fail "tests/run 'unit/nmport_gram*': status $st"
	[ "$(cat "$TMPD/out")" = "PASS unit/nmport_grammar
1 passed, 0 failed, 0 skipped" ] || fail "tests/run printed: $(cat "$TMPD/out")"
	tests/run 'unit/nmport_gram*' unit/no-such-test >"$TMPD/out" 2>&1
	st=$?
	[ $st = 2 ] || fail "tests/run with an unknown name: status $st"
	[ "$(head -1 "$TMPD/out")" = "tests/run: no test matches 'unit/no-such-test'" ] ||
		fail "tests/run with an unknown name printed: $(cat "$TMPD/out")"
	grep -q '^PASS' "$TMPD/out" && fail "tests/run ran tests before refusing"
	true
}

# A failing test whose log is binary (a pcap header, a NUL, an escape):
# tests/run shows it with '?' for each unprintable byte.
test_newcomer_run_shows_no_binary() {
	local name=newcomer-binary-$$ st bad
	local fake=build/tests/unit/$name
	printf '#!/bin/sh\nprintf "pcap \\324\\303\\262\\241\\000\\033[2J end\\n"\nexit 1\n' >"$fake"
	chmod 755 "$fake"
	tests/run "unit/$name" >"$TMPD/out" 2>&1
	st=$?
	rm -f "$fake" "build/tests/$name.log"
	[ $st = 1 ] || fail "the failing test: status $st, expected 1"
	bad=$(LC_ALL=C tr -d '[:print:]\n' <"$TMPD/out" | wc -c)
	[ "$bad" = 0 ] || fail "tests/run printed $bad unprintable bytes"
	[ "$(cat "$TMPD/out")" = "    pcap ??????[2J end
FAIL unit/$name (status 1)
failed: unit/$name
0 passed, 1 failed, 0 skipped" ] || fail "tests/run printed: $(LC_ALL=C tr -c '[:print:]\n' '?' <"$TMPD/out")"
}

# Every tool: `NAME --version` prints exactly "NAME (pktmap) VERSION".
test_newcomer_tools_version() {
	local dir t out n=0
	for dir in tools/*/; do
		t=$(basename "$dir")
		[ "$t" = lib ] && continue
		need "$BIN/$t"
		out=$("$BIN/$t" --version) || fail "$t --version: status $?"
		[ "$out" = "$t (pktmap) $VERSION" ] ||
			fail "$t --version printed '$out'"
		n=$((n + 1))
	done
	[ $n -ge 5 ] || fail "only $n tools"
	info "$n tools print their version"
}

# make install into a scratch DESTDIR with a non-default PREFIX: the
# pkg-config file links static programs with libbpf, the real root's
# ld.so.conf.d is left alone; make uninstall leaves no file behind.
test_newcomer_install_uninstall() {
	local root=$TMPD/root prefix=/opt/pktmap libs had_conf=0
	[ -e /etc/ld.so.conf.d/pktmap.conf ] && had_conf=1
	timeout 300 make -s install DESTDIR="$root" PREFIX=$prefix \
		>"$TMPD/install.log" 2>&1 || fail "make install"
	[ "$(readlink "$root$prefix/lib/libpktmap.so.0")" = "libpktmap.so.$VERSION" ] ||
		fail "libpktmap.so.0 is not a link to libpktmap.so.$VERSION"
	[ -x "$root$prefix/bin/vale-ctl" ] || fail "vale-ctl is not installed"
	[ -e "$root$prefix/share/man/man1/vale-ctl.1" ] ||
		fail "vale-ctl.1 is not installed"
	libs=$(PKG_CONFIG_SYSROOT_DIR=$root PKG_CONFIG_PATH=$root$prefix/lib/pkgconfig \
		pkg-config --static --libs pktmap) || fail "pkg-config --static"
	[[ " $libs " == *" -lpktmap "*" -lbpf "* ]] ||
		fail "pkg-config --static --libs: $libs"
	[ "$(PKG_CONFIG_PATH=$root$prefix/lib/pkgconfig pkg-config --variable=libdir pktmap)" = "$prefix/lib" ] ||
		fail "pktmap.pc's libdir is not $prefix/lib"
	[ $had_conf = 1 ] || [ ! -e /etc/ld.so.conf.d/pktmap.conf ] ||
		fail "make install with DESTDIR wrote /etc/ld.so.conf.d/pktmap.conf"
	timeout 120 make -s uninstall DESTDIR="$root" PREFIX=$prefix \
		>>"$TMPD/install.log" 2>&1 || fail "make uninstall"
	[ -z "$(find "$root" ! -type d)" ] ||
		fail "left after make uninstall: $(find "$root" ! -type d | tr '\n' ' ')"
}
