#!/bin/bash
# System test of --pushgateway and --textfile-dir: the built cronguard against a real
# prometheus-pushgateway on a free 127.0.0.1 port, metrics read back from its /metrics.
#
# Exit status: 0 all passed, 1 a check failed, 77 prometheus-pushgateway is not installed
# (a failure instead under CI=true).

# Checks run through check(), and eval'd strings expand when they run:
# shellcheck disable=SC2016,SC2317
# shellcheck source=tests/integration/report_lib.sh
. "$(dirname "$0")/report_lib.sh"

need_binary prometheus-pushgateway

start_pushgateway

STATE=$T_TMP/state
TF=$T_TMP/textfile
mkdir -p "$TF"
COMMON=(-n pgjob --host h1 --state-dir "$STATE" --label team=db --pushgateway "$PG"
	--textfile-dir "$TF")

scrape() { curl -s --max-time 5 "$PG/metrics" >"$T_TMP/metrics"; }

# The value of NAME's sample whose labels include every LABEL="VALUE" given.
value() { # NAME LABEL=VALUE...
	local name=$1
	shift
	python3 - "$T_TMP/metrics" "$name" "$@" <<'EOF'
import re, sys
path, name, want = sys.argv[1], sys.argv[2], sys.argv[3:]
for line in open(path):
    m = re.match(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)$', line.strip())
    if not m or m.group(1) != name:
        continue
    labels = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(2) or ""))
    if all(labels.get(k) == v for k, v in (w.split("=", 1) for w in want)):
        print(m.group(3))
        break
EOF
}

value_is() { # WANT NAME LABEL=VALUE...
	local want=$1 got
	shift
	got=$(value "$@")
	python3 -c 'import sys; sys.exit(0 if sys.argv[1] and float(sys.argv[1]) == float(sys.argv[2]) else 1)' \
		"$got" "$want" 2>/dev/null || { echo "# $1: got '$got', want $want"; return 1; }
}

absent() { [ -z "$(value "$@")" ]; }

state_last_success() {
	python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["last_success"]["start"])' "$STATE/pgjob.json"
}

same_time() { # A B: equal to the millisecond
	python3 -c 'import sys; sys.exit(0 if abs(float(sys.argv[1]) - float(sys.argv[2])) < 0.002 else 1)' "$1" "$2" ||
		{ echo "# $1 != $2"; return 1; }
}

G=(instance=h1 job=pgjob team=db)

# ---- a failure first: nothing succeeded yet ----

cg "${COMMON[@]}" -- sh -c 'exit 3'
check "failing run: exit status 3 unchanged" rc_is 3
check "failing run: nothing on stderr (push accepted)" stderr_empty
scrape
check "failure: last_run_exit_code 3" value_is 3 cronguard_last_run_exit_code "${G[@]}"
check "failure: last_run_success 0" value_is 0 cronguard_last_run_success "${G[@]}"
check "failure: state set says failure" value_is 1 cronguard_last_run_state "${G[@]}" state=failure
check "failure: state set says not success" value_is 0 cronguard_last_run_state "${G[@]}" state=success
check "failure: consecutive_failures 1" value_is 1 cronguard_consecutive_failures "${G[@]}"
check "failure: no last success yet" absent cronguard_last_success_timestamp_seconds "${G[@]}"
check "failure: start timestamp is recent" python3 -c 'import sys, time; sys.exit(0 if abs(float(sys.argv[1]) - time.time()) < 60 else 1)' \
	"$(value cronguard_last_run_start_timestamp_seconds "${G[@]}")"
# The command's own peak, or absent where it cannot be known (a short command): never 0.
check "failure: max RSS in bytes is the command's or absent" python3 -c 'import sys; sys.exit(0 if sys.argv[1] == "" or float(sys.argv[1]) >= 1024 else 1)' \
	"$(value cronguard_last_run_max_rss_bytes "${G[@]}")"

# ---- a success ----

cg "${COMMON[@]}" -- sh -c 'sleep 0.2'
check "succeeding run: exit status 0" rc_is 0
check "succeeding run: nothing on stderr" stderr_empty
scrape
LAST_OK=$(value cronguard_last_success_timestamp_seconds "${G[@]}")
check "success: last_run_exit_code 0" value_is 0 cronguard_last_run_exit_code "${G[@]}"
check "success: last_run_success 1" value_is 1 cronguard_last_run_success "${G[@]}"
check "success: consecutive_failures 0" value_is 0 cronguard_consecutive_failures "${G[@]}"
check "success: last success is this run's start" same_time "$LAST_OK" "$(state_last_success)"
check "success: duration about 0.2 s" python3 -c 'import sys; sys.exit(0 if 0.15 < float(sys.argv[1]) < 5 else 1)' \
	"$(value cronguard_last_run_duration_seconds "${G[@]}")"

# ---- a failure again: the last success survives the POST ----

cg "${COMMON[@]}" -- sh -c 'exit 5'
check "second failure: exit status 5" rc_is 5
scrape
check "second failure: last_run_exit_code 5" value_is 5 cronguard_last_run_exit_code "${G[@]}"
check "second failure: last success survives" value_is "$LAST_OK" cronguard_last_success_timestamp_seconds "${G[@]}"
check "second failure: consecutive_failures 1" value_is 1 cronguard_consecutive_failures "${G[@]}"

# ---- a skip: counted on its own, the last run's metrics untouched ----

start_bg "$T_TMP/holder.log" "$CRONGUARD" --no-syslog -n holder --state-dir "$T_TMP/holder" \
	--lock-file "$T_TMP/job.lock" -- sh -c "touch '$T_TMP/held'; exec sleep 30"
HOLDER=$LAST_PID
check "lock holder is running" wait_for 10 test -e "$T_TMP/held"
cg "${COMMON[@]}" --lock-file "$T_TMP/job.lock" -- sh -c 'exit 9'
stop_bg "$HOLDER"
check "skipped run: exit status 0 (--skip-exit)" rc_is 0
check "skipped run: nothing on stderr" stderr_empty
scrape
check "skip: last skip timestamp pushed" python3 -c 'import sys, time; sys.exit(0 if abs(float(sys.argv[1]) - time.time()) < 60 else 1)' \
	"$(value cronguard_last_skip_timestamp_seconds "${G[@]}")"
check "skip: skip state says skipped_locked" value_is 1 cronguard_last_skip_state "${G[@]}" state=skipped_locked
check "skip: last run's exit code kept" value_is 5 cronguard_last_run_exit_code "${G[@]}"
check "skip: last run's state kept" value_is 1 cronguard_last_run_state "${G[@]}" state=failure

# ---- the textfile: same metrics, one file, replaced whole ----

PROM=$TF/cronguard_pgjob.prom
check "textfile written" test -f "$PROM"
check "textfile is mode 0644" test "$(stat -c %a "$PROM")" = 644
check "no temporary file left" test "$(find "$TF" -type f | wc -l)" = 1
cp "$PROM" "$T_TMP/metrics"
T=(job=pgjob team=db)
check "textfile: last run's exit code 5" value_is 5 cronguard_last_run_exit_code "${T[@]}"
check "textfile: last success from the state file, after a failure" same_time \
	"$(value cronguard_last_success_timestamp_seconds "${T[@]}")" "$(state_last_success)"
check "textfile: the skip kept the last run and added itself" value_is 1 cronguard_last_skip_state "${T[@]}" state=skipped_locked
check "textfile: HELP and TYPE lines" grep -q '^# TYPE cronguard_last_run_exit_code gauge$' "$PROM"
check "textfile: no sample carries a timestamp" python3 -c '
import re, sys
bad = [l for l in open(sys.argv[1]) if not l.startswith("#") and len(re.sub(r"\{.*\}", "", l).split()) != 2]
sys.exit(1 if bad else 0)' "$PROM"
check "textfile parses as Prometheus text (the gateway takes it)" test \
	"$(curl -s -o /dev/null -w '%{http_code}' --data-binary @"$PROM" "$PG/metrics/job/pgjob/instance/textfile-check")" = 200

# ---- grouping values that need base64 in the path ----

cg -n pgjob --host 'rack/7' --state-dir "$STATE" --pushgateway "$PG/" -- true
check "instance with a slash: pushed" stderr_empty
scrape
check "instance with a slash: grouping key intact" value_is 0 cronguard_last_run_exit_code instance=rack/7 job=pgjob

done_testing
