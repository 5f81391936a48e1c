# Shared helpers for the system tests: TAP-ish output, deadlines, temp dirs, skips, servers.
# Sourced by tests/integration/*.sh; $CRONGUARD is the binary under test.

# Variables set here for the scripts, such as RC, OUT and PG:
# shellcheck shell=bash disable=SC2034

# make check exports CRONGUARD; a relative path is taken from where the script started.
CRONGUARD=${CRONGUARD:-src/cronguard}
case $CRONGUARD in
/*) ;;
*) CRONGUARD=$PWD/$CRONGUARD ;;
esac
export LC_ALL=C
# with-devlog SOCKET CMD...: CMD in a private mount namespace whose /dev/log is SOCKET.
WITH_DEVLOG=$(cd "${top_srcdir:-.}" && pwd)/tests/with-devlog
T_PASS=0
T_FAIL=0
T_TMP=$(mktemp -d "${TMPDIR:-/tmp}/cg-test.XXXXXX")
T_CLEANUP=()
# Memcheck mode (tests/memcheck/run) runs cronguard under valgrind, where a run takes ~0.6 s
# instead of milliseconds and CPU-bound work ~30 times longer. T_SLOW (1 here, 10 there)
# stretches deadlines and upper bounds; lower bounds stay (a timeout must not fire early).
T_SLOW=${T_SLOW:-1}

t_cleanup() {
	local i
	for ((i = ${#T_CLEANUP[@]} - 1; i >= 0; i--)); do eval "${T_CLEANUP[i]}" || true; done
	rm -rf "$T_TMP"
}
trap t_cleanup EXIT
# make's timeout, ^C or a closed pipe must still stop what the script started: exit via the trap.
trap 'exit 1' INT TERM HUP PIPE

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

done_testing() {
	echo "# $T_PASS passed, $T_FAIL failed"
	[ "$T_FAIL" -eq 0 ]
}

# bail_out DESC: a failed check the rest of the script cannot do without; ends the script.
bail_out() {
	not_ok "$1"
	done_testing
	exit 1
}

# in_memcheck: true in the memcheck mode, where load tests run fewer processes.
in_memcheck() { [ -n "${CG_MEMCHECK_DIR:-}" ]; }

# t_slow N: N times T_SLOW, for a deadline or the upper bound of a duration.
t_slow() { echo $(($1 * T_SLOW)); }

# wait_for SECONDS CMD...: poll CMD every 50 ms until it succeeds or the deadline (SECONDS
# times T_SLOW) passes.
wait_for() {
	local end=$(($(date +%s%N) + $1 * T_SLOW * 1000000000))
	shift
	while ! "$@"; do
		[ "$(date +%s%N)" -lt "$end" ] || return 1
		sleep 0.05
	done
}

# alive_at_most N PID...: no more than N of the processes PID... still run.
alive_at_most() {
	local n=$1 p
	shift
	for p; do kill -0 "$p" 2>/dev/null && n=$((n - 1)); done
	[ "$n" -ge 0 ]
}

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# cg ARGS...: runs cronguard; sets RC, OUT and ERR (its output), MS (elapsed milliseconds), and
# OUT_FILE and ERR_FILE (the same output, kept as T_TMP/runN.out and runN.err).
T_RUNS=0
cg() {
	local t0
	T_RUNS=$((T_RUNS + 1))
	OUT_FILE=$T_TMP/run$T_RUNS.out
	ERR_FILE=$T_TMP/run$T_RUNS.err
	t0=$(now_ms)
	"$CRONGUARD" "$@" >"$OUT_FILE" 2>"$ERR_FILE"
	RC=$?
	MS=$(($(now_ms) - t0))
	OUT=$(cat "$OUT_FILE")
	ERR=$(cat "$ERR_FILE")
}

# json_get FILE EXPR: prints a value from a JSON file (EXPR indexes d, e.g. d["last_run"]["state"]).
json_get() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"; }

# ---- servers on 127.0.0.1, stopped when the script ends ----

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

http_code() { curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$1"; }   # 000: no answer
answers() { [ "$(http_code "$1")" = "$2" ]; }                                # URL CODE

# start_bg LOG COMMAND...: COMMAND in the background, output to LOG, stopped at exit; sets LAST_PID.
start_bg() {
	local log=$1
	shift
	"$@" >"$log" 2>&1 &
	LAST_PID=$!
	at_exit "stop_bg $LAST_PID"
}

stop_bg() { kill "$1" 2>/dev/null; wait "$1" 2>/dev/null; }

# start_server NAME READY_URL COMMAND...: starts COMMAND (whose arguments may use the word
# PORT, replaced by a free port) until READY_URL answers 200; sets PORT. Three tries with new
# ports (a free port may be taken before the server binds it), then the script ends.
start_server() {
	local name=$1 ready=$2
	shift 2
	for _ in 1 2 3; do
		PORT=$(free_port)
		start_bg "$T_TMP/$name.log" "${@//PORT/$PORT}"
		wait_for 20 answers "${ready//PORT/$PORT}" 200 && return 0
		stop_bg "$LAST_PID"
	done
	sed 's/^/#   /' "$T_TMP/$name.log" | tail -n 20
	bail_out "$name starts"
}

# start_pushgateway: a Pushgateway without persistence; sets PG (its base URL).
start_pushgateway() {
	start_server pushgateway "http://127.0.0.1:PORT/-/ready" \
		prometheus-pushgateway --web.listen-address=127.0.0.1:PORT --persistence.file=
	PG=http://127.0.0.1:$PORT
}

# start_influxd open|auth: an InfluxDB 1.x from influxd's own default config, its data in
# T_TMP/influxdb, both its ports free on 127.0.0.1, no usage reports, no request log, and
# authentication off or on. Sets INFLUX (its base URL) and INFLUX_PID. Three tries.
start_influxd() {
	local http
	for _ in 1 2 3; do
		http=$(free_port)
		INFLUX=http://127.0.0.1:$http
		influxd config 2>/dev/null | python3 -c '
import sys
d, http, rpc, auth = sys.argv[1:5]
want = {
    ("", "bind-address"): "\"127.0.0.1:%s\"" % rpc,
    ("", "reporting-enabled"): "false",
    ("[meta]", "dir"): "\"%s/meta\"" % d,
    ("[data]", "dir"): "\"%s/data\"" % d,
    ("[data]", "wal-dir"): "\"%s/wal\"" % d,
    ("[data]", "query-log-enabled"): "false",
    ("[monitor]", "store-enabled"): "false",
    ("[http]", "bind-address"): "\"127.0.0.1:%s\"" % http,
    ("[http]", "auth-enabled"): "true" if auth == "auth" else "false",
    ("[http]", "log-enabled"): "false",
    ("[http]", "pprof-enabled"): "false",
}
section = ""
for line in sys.stdin:
    s = line.strip()
    if s.startswith("["):
        section = s
    key = s.split("=", 1)[0].strip()
    if (section, key) in want:
        line = "  %s = %s\n" % (key, want[section, key])
    sys.stdout.write(line)
' "$T_TMP/influxdb" "$http" "$(free_port)" "$1" >"$T_TMP/influxdb.conf"
		influxd_run && return 0
		stop_bg "$INFLUX_PID"
	done
	tail -n 20 "$T_TMP/influxd.log" | sed 's/^/#   /'
	bail_out "influxd starts"
}

# influxd_run: (re)starts influxd on the config start_influxd wrote; true once it answers.
influxd_run() {
	start_bg "$T_TMP/influxd.log" influxd run -config "$T_TMP/influxdb.conf"
	INFLUX_PID=$LAST_PID
	wait_for 20 answers "$INFLUX/ping" 204
}
