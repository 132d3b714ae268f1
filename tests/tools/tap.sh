# tap.sh - TAP output helpers for the shell test suites (source it)
#
#   ok NAME                 record a pass
#   not_ok NAME [DIAG...]   record a failure; DIAG lines are printed as "# ..."
#   check NAME CMD...       run CMD; pass when it exits 0
#   skip NAME WHY           record a skip
#   tap_end                 exit 0 when nothing failed, 1 otherwise
TAP_N=0
TAP_FAILED=0
ok() { TAP_N=$((TAP_N + 1)); echo "ok $TAP_N - $1"; }
not_ok() {
	TAP_N=$((TAP_N + 1)); TAP_FAILED=$((TAP_FAILED + 1))
	echo "not ok $TAP_N - $1"; shift
	local l; for l in "$@"; do printf '%s\n' "$l" | sed 's/^/#   /'; done
}
check() {
	local name=$1; shift
	local out
	if out=$("$@" 2>&1); then ok "$name"; else not_ok "$name" "command: $*" "$out"; fi
}
skip() { TAP_N=$((TAP_N + 1)); echo "ok $TAP_N - $1 # SKIP $2"; }
tap_end() { echo "1..$TAP_N"; [ "$TAP_FAILED" -eq 0 ]; }
