# Helpers shared by the report_*.sh system tests; sourced, never run on its own. The checks,
# deadlines, servers and cleanup are tests/lib.sh's; this adds the checks of one run's output.

# shellcheck shell=bash disable=SC2034

set -u

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=tests/lib.sh
. "$top_srcdir/tests/lib.sh"
HTTPFAKE=$top_srcdir/tests/integration/httpfake.py
export CRONGUARD_NO_SYSLOG=yes

# start_fake NAME [ARGS...]: a loopback HTTP receiver (httpfake.py serve ARGS: --port N,
# --tls CERT KEY, ...) logging to $T_TMP/NAME.log; sets PORT.
start_fake() {
	local name=$1
	shift
	rm -f "$T_TMP/$name.port"
	start_bg "$T_TMP/$name.server.log" python3 "$HTTPFAKE" serve --port-file "$T_TMP/$name.port" \
		--log "$T_TMP/$name.log" "$@"
	if ! wait_for 10 test -s "$T_TMP/$name.port"; then
		sed 's/^/#   /' "$T_TMP/$name.server.log"
		bail_out "httpfake $name starts"
	fi
	PORT=$(cat "$T_TMP/$name.port")
}

# A missing server binary skips the script, except under CI=true where it is a failure.
need_binary() { command -v "$1" >/dev/null 2>&1 || skip_all "$1 not installed"; }

# Checks of the last cg run (tests/lib.sh): cronguard's own lines on stderr (the command's
# output passes through there too), its exit status, its duration.
no_diag() { ! grep -q '^cronguard:' "$ERR_FILE" || { sed 's/^/#   /' "$ERR_FILE"; return 1; }; }
stderr_empty() { [ ! -s "$ERR_FILE" ] || { sed 's/^/#   /' "$ERR_FILE"; return 1; }; }
stderr_has() { grep -q -- "$1" "$ERR_FILE" || { sed 's/^/#   /' "$ERR_FILE"; return 1; }; }
stderr_lacks() { ! grep -q -- "$1" "$ERR_FILE"; }
rc_is() { [ "$RC" = "$1" ] || { echo "# exit status $RC, want $1"; return 1; }; }
within_ms() { [ "$MS" -le "$1" ] || { echo "# took $MS ms, want <= $1"; return 1; }; }

if [ ! -x "$CRONGUARD" ]; then
	echo "not ok - no cronguard binary at $CRONGUARD"
	exit 1
fi
