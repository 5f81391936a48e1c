# Shared helpers for the system tests: TAP-ish output, deadlines, temp dirs, skips.
# Sourced by tests/integration/*.sh; $CRONGUARD is the binary under test.

: "${CRONGUARD:=$(pwd)/src/cronguard}"
export LC_ALL=C
T_PASS=0
T_FAIL=0
T_TMP=$(mktemp -d "${TMPDIR:-/tmp}/cg-test.XXXXXX")
T_CLEANUP=()

t_cleanup() {
	local i
	for ((i = ${#T_CLEANUP[@]} - 1; i >= 0; i--)); do eval "${T_CLEANUP[i]}" || true; done
	rm -rf "$T_TMP"
}
trap t_cleanup EXIT

# at_exit CMD: run CMD when the script ends, last registered first.
at_exit() { T_CLEANUP+=("$1"); }

ok() { T_PASS=$((T_PASS + 1)); echo "ok - $*"; }
not_ok() { T_FAIL=$((T_FAIL + 1)); echo "not ok - $*"; }

# check DESC CMD...: ok when CMD succeeds.
check() {
	local desc=$1
	shift
	if "$@"; then ok "$desc"; else not_ok "$desc"; fi
}

# skip_all REASON: exit 77 when run by hand; under CI a skip is a failure.
skip_all() {
	if [ "${CI:-}" = true ]; then
		echo "not ok - cannot run under CI: $*"
		exit 1
	fi
	echo "SKIP: $*"
	exit 77
}

# wait_for SECONDS CMD...: poll CMD every 50 ms until it succeeds or the deadline passes.
wait_for() {
	local end=$(($(date +%s%N) + $1 * 1000000000))
	shift
	while ! "$@"; do
		[ "$(date +%s%N)" -lt "$end" ] || return 1
		sleep 0.05
	done
}

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# cg ARGS...: runs cronguard; sets RC, OUT, ERR, MS (elapsed milliseconds).
cg() {
	local t0
	t0=$(now_ms)
	"$CRONGUARD" "$@" >"$T_TMP/.out" 2>"$T_TMP/.err"
	RC=$?
	MS=$(($(now_ms) - t0))
	OUT=$(cat "$T_TMP/.out")
	ERR=$(cat "$T_TMP/.err")
}

# json_get FILE EXPR: prints a value from a JSON file (EXPR indexes d, e.g. d["last_run"]["state"]).
json_get() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"; }

done_testing() {
	echo "# $T_PASS passed, $T_FAIL failed"
	[ "$T_FAIL" -eq 0 ]
}
