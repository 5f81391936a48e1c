#!/usr/bin/env bash
# The unit suites under valgrind memcheck: no errors, no leaks. Run by tests/run-all on the
# plain (not sanitized) build: BUILD is its directory. The built binary goes through memcheck
# in every system test that runs it: `make check-memcheck` (tests/memcheck/run).
set -u
build=${1:?usage: tests/valgrind.sh BUILD_DIR}
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/tests/lib.sh"
vg=(valgrind --quiet --error-exitcode=99 --leak-check=full --show-leak-kinds=definite,indirect
	--errors-for-leak-kinds=definite,indirect --track-fds=no)
command -v valgrind >/dev/null || skip_all "valgrind is not installed"

# Check forks each test by default; in-process, valgrind sees every test's memory.
(cd "$build" && CK_FORK=no CK_DEFAULT_TIMEOUT=120 "${vg[@]}" tests/unit/unit_tests >"$T_TMP/unit.log" 2>&1)
rc=$?
check "unit suites under memcheck (exit $rc)" [ "$rc" -eq 0 ]
[ "$rc" -eq 0 ] || tail -n 40 "$T_TMP/unit.log"
done_testing
