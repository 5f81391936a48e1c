# Helpers shared by the report_*.sh system tests; sourced, never run on its own.
#
# Every check prints "ok - NAME" or "not ok - NAME"; finish exits 1 if any failed. Servers
# started with start_bg are stopped by the EXIT trap. Waits poll with a deadline.

# shellcheck shell=bash disable=SC2034

set -u

CRONGUARD=${CRONGUARD:-./src/cronguard}
case $CRONGUARD in
/*) ;;
*) CRONGUARD=$PWD/$CRONGUARD ;;
esac
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
HTTPFAKE=$top_srcdir/tests/integration/httpfake.py

FAILED=0
BG_PIDS=()
WORK=$(mktemp -d /tmp/cg-report-XXXXXX)

cleanup() {
	local p
	for p in "${BG_PIDS[@]}"; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	rm -rf "$WORK"
}
trap cleanup EXIT
# A signal (make's timeout, a closed pipe) must still stop the servers: exit through the trap.
trap 'exit 1' INT TERM HUP PIPE

ok() { echo "ok - $*"; }
not_ok() {
	echo "not ok - $*"
	FAILED=$((FAILED + 1))
}
check() { # NAME COMMAND...: one line per check
	local name=$1
	shift
	if "$@"; then ok "$name"; else not_ok "$name"; fi
}

finish() {
	if ((FAILED > 0)); then
		echo "# $FAILED check(s) failed"
		exit 1
	fi
	exit 0
}

# A missing server binary skips the script, except under CI=true where it is a failure.
need_binary() { # NAME
	command -v "$1" >/dev/null 2>&1 && return 0
	if [ "${CI:-}" = true ]; then
		echo "not ok - $1 is required under CI=true"
		exit 1
	fi
	echo "# SKIP $(basename "$0"): $1 not installed"
	exit 77
}

# Polls COMMAND until it succeeds or SECONDS_MAX pass.
wait_until() { # SECONDS_MAX COMMAND...
	local deadline=$((SECONDS + $1))
	shift
	until "$@"; do
		((SECONDS >= deadline)) && return 1
		sleep 0.05
	done
}

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start_bg() { # LOGFILE COMMAND...: runs COMMAND in the background, stopped at exit
	local log=$1
	shift
	"$@" >"$log" 2>&1 &
	BG_PIDS+=($!)
	LAST_PID=$!
}

stop_bg() { # PID
	kill "$1" 2>/dev/null
	wait "$1" 2>/dev/null
}

http_code() { # URL: the status of a GET, 000 when nothing answered
	curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$1"
}

answers() { # URL CODE: for wait_until, which must re-run the GET each time
	[ "$(http_code "$1")" = "$2" ]
}

now_ms() { date +%s%3N; }

# Runs cronguard with ARGS; sets RC, ELAPSED_MS, and OUT/ERR to files holding its output.
RUN_N=0
cg() { # ARGS...
	local t0
	RUN_N=$((RUN_N + 1))
	OUT=$WORK/run$RUN_N.out
	ERR=$WORK/run$RUN_N.err
	t0=$(now_ms)
	"$CRONGUARD" --no-syslog "$@" >"$OUT" 2>"$ERR"
	RC=$?
	ELAPSED_MS=$(($(now_ms) - t0))
}

# cronguard's own lines on stderr (the command's output passes through there too).
no_diag() { ! grep -q '^cronguard:' "$ERR" || { sed 's/^/#   /' "$ERR"; return 1; }; }
stderr_empty() { [ ! -s "$ERR" ] || { sed 's/^/#   /' "$ERR"; return 1; }; }
stderr_has() { grep -q -- "$1" "$ERR" || { sed 's/^/#   /' "$ERR"; return 1; }; }
stderr_lacks() { ! grep -q -- "$1" "$ERR"; }
rc_is() { [ "$RC" = "$1" ] || { echo "# exit status $RC, want $1"; return 1; }; }
within_ms() { [ "$ELAPSED_MS" -le "$1" ] || { echo "# took $ELAPSED_MS ms, want <= $1"; return 1; }; }

if [ ! -x "$CRONGUARD" ]; then
	echo "not ok - no cronguard binary at $CRONGUARD"
	exit 1
fi
