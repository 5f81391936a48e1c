#!/usr/bin/env bash
# The unit suites and representative cronguard runs under valgrind memcheck: no errors, no
# leaks. Run by tests/run-all on the plain (not sanitized) build: BUILD is its directory.
set -u
build=${1:?usage: tests/valgrind.sh BUILD_DIR}
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/tests/lib.sh"
CRONGUARD=$build/src/cronguard
vg=(valgrind --quiet --error-exitcode=99 --leak-check=full --show-leak-kinds=definite,indirect
	--errors-for-leak-kinds=definite,indirect --track-fds=no)
command -v valgrind >/dev/null || skip_all "valgrind is not installed"

# Check forks each test by default; in-process, valgrind sees every test's memory.
(cd "$build" && CK_FORK=no CK_DEFAULT_TIMEOUT=120 "${vg[@]}" tests/unit/unit_tests >"$T_TMP/unit.log" 2>&1)
rc=$?
check "unit suites under memcheck (exit $rc)" [ "$rc" -eq 0 ]
[ "$rc" -eq 0 ] || tail -n 40 "$T_TMP/unit.log"

export CRONGUARD_NO_SYSLOG=yes CRONGUARD_STATE_DIR=$T_TMP/state
: >"$T_TMP/empty.conf"
export CRONGUARD_CONFIG=$T_TMP/empty.conf
while IFS='|' read -r desc want args; do
	eval "set -- $args"
	"${vg[@]}" "$CRONGUARD" "$@" >"$T_TMP/out" 2>"$T_TMP/err"
	rc=$?
	check "memcheck: $desc (exit $rc, want $want)" [ "$rc" -eq "$want" ]
	[ "$rc" -eq "$want" ] || head -n 30 "$T_TMP/err"
done <<EOF2
a successful run|0|-n ok -- true
a failing run with --quiet|3|-n q -q -- sh -c 'echo out; exit 3'
a timeout|124|-n to --timeout 200ms -- sleep 5
a missing command|127|-n ex -- /nonexistent
the lock, labels and success codes|24|-n lk --lock-file $T_TMP/l --label team=db --success-exit 0,24 -- sh -c 'exit 24'
the VIP gate, held|0|-n v --vip 127.0.0.1 --vip-dev lo -- true
the VIP gate, not held|0|-n v --vip 192.0.2.77 -- true
a dry run|0|-n d --splay 10m --lock --dry-run -- true
--status (the quiet run failed: 1)|1|--status
a bad option|125|--splay nonsense -- true
--help|0|--help
sinks that refuse, a spool (libcurl loaded)|0|-n rep --report-timeout 1s --spool-max 1 --webhook http://127.0.0.1:1/x --pushgateway http://127.0.0.1:1 -- true
etcd out of reach, failing open|0|-n cl --etcd http://127.0.0.1:1 --once-per 1d --etcd-fail-open -- true
EOF2
done_testing
