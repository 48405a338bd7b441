# shellcheck shell=bash
# The documentation: man pages render without a single troff warning.

# Runs groff with every warning on, and man-db as `man -l` would; any line
# on stderr is a warning.  Skips when neither is installed.
test_docs_man_pages_render() {
	local page out bad=0 n=0
	command -v groff >/dev/null || skip "needs groff (groff-base)"
	command -v man >/dev/null || skip "needs man (man-db)"
	for page in docs/man/*.[1-8]; do
		[ -e "$page" ] || continue
		n=$((n + 1))
		out=$({
			groff -man -Tutf8 -ww -z "$page"
			LC_ALL=C.UTF-8 MANWIDTH=80 \
				man --warnings=all -l -Tutf8 "$page" >/dev/null
		} 2>&1)
		if [ -n "$out" ]; then
			echo "$page:"
			echo "$out" | sed 's/^/    /'
			bad=1
		fi
		# the page says what it is: NAME is its first section
		grep -m1 '^\.SH' "$page" | grep -q '^\.SH NAME$' ||
			{ echo "$page: NAME is not its first section"; bad=1; }
	done
	[ "$n" -gt 0 ] || fail "no man pages in docs/man"
	[ "$bad" = 0 ] || fail "man pages with warnings"
	info "$n man pages render cleanly"
}
