#!/usr/bin/env bash
# System tests of what makes failures loud: configuration errors in syslog, --quiet's summary
# line, --status as a check (exit codes, JSON, --max-age, --forget) and --min-duration.
. "${top_srcdir:-.}/tests/lib.sh"

export CRONGUARD_STATE_DIR="$T_TMP/state"
export CRONGUARD_NO_SYSLOG=yes
: >"$T_TMP/empty.conf"
chmod 600 "$T_TMP/empty.conf"
export CRONGUARD_CONFIG="$T_TMP/empty.conf"

# --- configuration errors reach syslog (facility cron, level err) ---------------------------
# A datagram socket of our own is bound over /dev/log in a private mount namespace, so the
# machine's syslog never sees these lines and we see exactly what cronguard sent.
cat >"$T_TMP/capture.py" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print("ready", flush=True)
with open(sys.argv[2], "a") as f:
    while True:
        f.write(s.recv(65536).decode("utf-8", "replace") + "\n")
        f.flush()
PY
# in_logns CMD...: CMD in a private mount namespace whose /dev/log is our socket.
in_logns() { "$WITH_DEVLOG" "$SOCK" "$@"; }
if [ "$(id -u)" -ne 0 ] || ! unshare -m true 2>/dev/null; then
	skip_all "needs root and mount namespaces"
fi
SOCK=$T_TMP/log.sock
SYSLOG=$T_TMP/syslog
: >"$SYSLOG"
start_bg "$T_TMP/capture.out" python3 "$T_TMP/capture.py" "$SOCK" "$SYSLOG"
wait_for 10 grep -q ready "$T_TMP/capture.out" || bail_out "syslog capture starts"

printf 'lock = yes\nlokc-wait = 5s\n' >"$T_TMP/typo.conf"
chmod 600 "$T_TMP/typo.conf"
in_logns env -u CRONGUARD_NO_SYSLOG "$CRONGUARD" -c "$T_TMP/typo.conf" -n backup -- true \
	2>"$T_TMP/typo.err"
rc=$?
check "a config typo: exit 125" [ "$rc" -eq 125 ]
check "a config typo: one stderr line with FILE:LINE" grep -qF "$T_TMP/typo.conf:2: unknown key 'lokc-wait'" "$T_TMP/typo.err"
has_line() { grep -F "$1" "$SYSLOG" | grep -qF "$2"; }
check "a config typo reaches syslog at cron.err (<75>), naming FILE:LINE and the job" \
	wait_for 5 has_line "job backup: configuration error: $T_TMP/typo.conf:2: unknown key 'lokc-wait'" "<75>"
in_logns env -u CRONGUARD_NO_SYSLOG "$CRONGUARD" --timeout 5x -- true 2>/dev/null
check "a bad value on the command line also reaches syslog (the job from the command)" \
	wait_for 5 has_line "job true: configuration error: --timeout: " "<75>"
in_logns "$CRONGUARD" --no-syslog --timeout 5x -n quiet -- true 2>/dev/null
in_logns env -u CRONGUARD_NO_SYSLOG "$CRONGUARD" -n ok -- true 2>/dev/null
check "a good run logs its line" wait_for 5 has_line "job=ok" "state=success"
check "--no-syslog, when read, keeps a configuration error out of syslog" [ -z "$(grep -F 'job quiet' "$SYSLOG")" ]

# --- --quiet: one summary line after the held output of a run that did not succeed -----------
cg -n q -q -- sh -c 'exit 5'
check "-q, a silent exit 5: one summary line on stderr, so cron mails it" \
	[ "$RC" -eq 5 -a -z "$OUT" -a "$(wc -l <"$ERR_FILE")" -eq 1 ]
check "-q, exit 5: the line says state, exit status and duration" \
	grep -qE '^cronguard: job q: failure, exit 5, ran [0-9]+\.[0-9]{3} s$' "$ERR_FILE"
cg -n q -q -- sh -c 'echo out; echo err >&2; exit 3'
check "-q: the held output first, the summary last" \
	[ "$OUT" = out -a "$(head -n 1 "$ERR_FILE")" = err -a "$(wc -l <"$ERR_FILE")" -eq 2 ]
check "-q: ... the last line is the summary" grep -qE '^cronguard: job q: failure, exit 3, ran ' <(tail -n 1 "$ERR_FILE")
cg -n q -q --timeout 300ms -- sh -c 'echo partial; sleep 10'
check "-q, killed by --timeout: partial output, then a line that says so" \
	[ "$RC" -eq 124 -a "$OUT" = partial ]
check "-q, timeout: the line says killed after --timeout, the signal and exit 124" \
	grep -qE '^cronguard: job q: timeout, killed after --timeout 300ms, signal 15 \(Terminated\), exit 124, ran 0\.[0-9]{3} s$' "$ERR_FILE"
cg -n q -q -- sh -c 'kill -KILL $$'
check "-q, killed by a signal: the line names it" \
	grep -qE '^cronguard: job q: signaled, signal 9 \(Killed\), exit 137, ran ' "$ERR_FILE"
cg -n q -q -- sh -c 'echo fine'
check "-q: a success stays silent" [ "$RC" -eq 0 -a -z "$OUT" -a -z "$ERR" ]
cg -n q -q --lock-file "$T_TMP/q.lock" -- true
flock "$T_TMP/q.lock" "$CRONGUARD" -n q -q --lock-file "$T_TMP/q.lock" -- true >"$T_TMP/skip.out" 2>&1
check "-q: a skip stays silent (no summary for a run that did not run)" [ ! -s "$T_TMP/skip.out" ]

# --- --status as a check: 0 OK, 2 critical, 3 unknown ---------------------------------------
export CRONGUARD_STATE_DIR="$T_TMP/st2"
cg --status
check "--status with no state directory: 3 (unknown), never OK" [ "$RC" -eq 3 ]
check "... and says why" grep -qE "cannot (open|read) state dir $T_TMP/st2: No such file" "$ERR_FILE"
cg -n good --period 1h -- true
cg -n skipper --lock-file "$T_TMP/s.lock" -- true
flock "$T_TMP/s.lock" "$CRONGUARD" -n skipper --lock-file "$T_TMP/s.lock" -- true
cg --status
check "--status, every job OK (one skipped): 0" [ "$RC" -eq 0 ]
cg -n bad -q -- sh -c 'for i in $(seq 1 30); do echo "bad line $i"; done; exit 7'
cg --status
check "--status, a job failed: 2 (critical, not 1)" [ "$RC" -eq 2 ]
check "--status: the failed run's last lines of output" grep -qx '    | bad line 30' "$OUT_FILE"
check "--status: only the last ten" [ "$(grep -c '^    | bad line' "$OUT_FILE")" -eq 10 ] 
cg --status -n good
check "--status -n good: only that job, 0" [ "$RC" -eq 0 -a -z "$(grep '^bad ' "$OUT_FILE")" ]
cg --status -n good -n bad
check "--status -n good -n bad: 2" [ "$RC" -eq 2 ]
cg --status -n good -n nosuchjob
check "--status -n of an unknown job: 3" [ "$RC" -eq 3 ]
check "... its row says so" grep -qE '^nosuchjob .*UNKNOWN' "$OUT_FILE"
# "Just now" is a few runs ago: under valgrind, seconds.
cg --status -n good --max-age "$(t_slow 1)s"
check "--status --max-age $(t_slow 1)s, a run just now: 0" [ "$RC" -eq 0 ]
python3 - "$CRONGUARD_STATE_DIR/good.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["last_run"]["start"] -= 3 * 3600
json.dump(d, open(sys.argv[1], "w"))
PY
cg --status -n good
check "--status: a last run older than twice its --period (1h) is critical by default" [ "$RC" -eq 2 ]
check "... saying so" grep -qF 'older than the max age 2h' "$OUT_FILE"
cg --status -n good --max-age 4h
check "--status --max-age 4h: 0" [ "$RC" -eq 0 ]
cg --status --json -n bad -n good --max-age 4h
check "--status --json: 2" [ "$RC" -eq 2 ]
check "--status --json: a document with each job's verdict, reason, spool and output" python3 -c '
import json, sys
d = {j["job"]: j for j in json.load(open(sys.argv[1]))}
assert set(d) == {"bad", "good"}, d
assert d["bad"]["status"] == "CRITICAL" and d["bad"]["exit_code"] == 7, d
assert d["bad"]["output"].splitlines()[-1] == "bad line 30", d
assert d["bad"]["spool"] == 0
assert d["good"]["status"] == "OK" and d["good"]["period"] == 3600, d
' "$OUT_FILE"
cg --json
check "--json without --status: 125" [ "$RC" -eq 125 ]

# --forget: the state, the textfile and (with --pushgateway) the group.
start_pushgateway
mkdir -p "$T_TMP/prom"
cg -n gone --host h1 --textfile-dir "$T_TMP/prom" --pushgateway "$PG" -- true
group_pushed() { curl -s "$PG/metrics" | grep -q 'job="gone"'; }
check "a job pushed to the Pushgateway" group_pushed
check "... and wrote its textfile" [ -f "$T_TMP/prom/cronguard_gone.prom" ]
cg --forget gone --host h1 --textfile-dir "$T_TMP/prom" --pushgateway "$PG"
check "--forget: 0" [ "$RC" -eq 0 -a -z "$ERR" ]
check "--forget: the state file is gone" [ ! -e "$CRONGUARD_STATE_DIR/gone.json" ]
check "--forget: the textfile is gone" [ ! -e "$T_TMP/prom/cronguard_gone.prom" ]
check "--forget: the Pushgateway group is gone" wait_for 5 sh -c "! curl -s '$PG/metrics' | grep -q 'job=\"gone\"'"
cg --status -n gone
check "--status of a forgotten job: 3" [ "$RC" -eq 3 ]
cg --forget gone
check "--forget of a job without state: 3" [ "$RC" -eq 3 ]

# --- --min-duration: a success that came too soon is a failure, exit status unchanged -------
export CRONGUARD_STATE_DIR="$T_TMP/st3"
cg -n short --min-duration 1m -- true
check "--min-duration 1m, a run of milliseconds: exit status stays 0" [ "$RC" -eq 0 ]
check "... recorded as a failure" [ "$(json_get "$CRONGUARD_STATE_DIR/short.json" 'd["last_run"]["state"]')" = failure ]
check "... with the reason" grep -qE '^finished in 0\.[0-9]{3} s, under --min-duration 1m$' \
	<(json_get "$CRONGUARD_STATE_DIR/short.json" 'd["last_run"]["reason"]')
cg --status -n short
check "... and --status says critical" [ "$RC" -eq 2 ]
cg -n short -q --min-duration 1m -- sh -c 'echo done'
check "-q --min-duration: the held output and the summary line with the reason" \
	[ "$OUT" = done -a "$(wc -l <"$ERR_FILE")" -eq 1 ] && grep -qE '^cronguard: job short: failure \(finished in 0\.[0-9]+ s, under --min-duration 1m\), exit 0, ran ' "$ERR_FILE"
cg -n short --min-duration 200ms -- sleep 0.3
check "--min-duration 200ms, a run of 0.3 s: a success" [ "$RC" -eq 0 ] && [ "$(json_get "$CRONGUARD_STATE_DIR/short.json" 'd["last_run"]["state"]')" = success ]
cg -n short --min-duration 1m -- sh -c 'exit 3'
check "--min-duration: a failure stays a failure with its own status" [ "$RC" -eq 3 ] && \
	[ "$(json_get "$CRONGUARD_STATE_DIR/short.json" 'd["last_run"].get("reason")')" = None ]

# --- every sink carries the period, exclusivity, the slot, the splay and the lateness -------
export CRONGUARD_STATE_DIR="$T_TMP/st4"
mkdir -p "$T_TMP/tf"
cg -n facts --period 1h --splay 2s --vip 127.0.0.1 --textfile-dir "$T_TMP/tf" -- true
prom=$T_TMP/tf/cronguard_facts.prom
metric() { sed -n "s/^$1{job=\"facts\"} //p" "$prom"; }
check "a run gated by --vip: cronguard_job_exclusive 1" [ "$(metric cronguard_job_exclusive)" = 1 ]
check "--period 1h: cronguard_job_period_seconds 3600" [ "$(metric cronguard_job_period_seconds)" = 3600.000000 ]
check "start = slot + splay + lateness, the slot a whole minute, the splay under 2 s" python3 -c '
import sys
start, slot, splay, late = map(float, sys.argv[1:])
assert slot % 60 == 0 and 0 <= splay < 2 and abs(slot + splay + late - start) < 1e-5, sys.argv
assert 0 <= late < 61 + 1, late
' "$(metric cronguard_last_run_start_timestamp_seconds)" "$(metric cronguard_last_run_slot_timestamp_seconds)" \
	"$(metric cronguard_last_run_splay_seconds)" "$(metric cronguard_last_run_lateness_seconds)"
check "the state file keeps the period, exclusivity and the lateness" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["period"] == 3600 and d["exclusive"] is True and "lateness" in d["last_run"], d
' "$CRONGUARD_STATE_DIR/facts.json"
first=$(metric cronguard_job_first_seen_timestamp_seconds)
check "the first run: first seen is its start" [ "$first" = "$(metric cronguard_last_run_start_timestamp_seconds)" ]
cg -n facts --period 1h --vip 127.0.0.1 --standby --textfile-dir "$T_TMP/tf" -- true
check "a later skip keeps the first seen, from the state file" \
	[ "$(metric cronguard_job_first_seen_timestamp_seconds)" = "$first" -a "$(metric cronguard_last_seen_timestamp_seconds)" != "$first" ]
check "a skip (--standby) still pushes the job's period, exclusivity and last seen" \
	[ "$(metric cronguard_job_period_seconds)" = 3600.000000 -a "$(metric cronguard_job_exclusive)" = 0 -a -n "$(metric cronguard_last_seen_timestamp_seconds)" ]
cg -n fleet --period 1h --textfile-dir "$T_TMP/tf" -- true
check "a fleet-wide job (no gate): cronguard_job_exclusive 0" \
	grep -qx 'cronguard_job_exclusive{job="fleet"} 0' "$T_TMP/tf/cronguard_fleet.prom"

done_testing
