#!/bin/bash
# System test of --influx against a real InfluxDB 1.x (Debian's influxd) on free 127.0.0.1
# ports with authentication on: points written by cronguard (success, failure, timeout, skip)
# are read back with InfluxQL; a refused password and a server that is down are handled.
#
# Exit status: 0 all passed, 1 a check failed, 77 influxd is not installed (a failure instead
# under CI=true).

# Checks run through check(), and eval'd strings expand when they run:
# shellcheck disable=SC2016,SC2317
# shellcheck source=tests/integration/report_lib.sh
. "$(dirname "$0")/report_lib.sh"

need_binary influxd

PASSWORD=pw-s3cret-$$
printf '%s\n' "$PASSWORD" >"$T_TMP/password"
printf 'wrong-%s\n' "$PASSWORD" >"$T_TMP/badpassword"
chmod 600 "$T_TMP/password" "$T_TMP/badpassword"   # readable by all, they would be warned about

# ---- the server, with authentication on ----

start_influxd auth

influxql() { # QUERY [DB]: JSON answer on stdout
	curl -s --max-time 10 -G "$INFLUX/query" -u "admin:$PASSWORD" --data-urlencode "q=$1" \
		--data-urlencode "db=${2:-cg}" --data-urlencode epoch=ms
}

# With no user yet, InfluxDB lets the first admin be created without credentials.
curl -s -o /dev/null --max-time 10 -X POST "$INFLUX/query" \
	--data-urlencode "q=CREATE USER admin WITH PASSWORD '$PASSWORD' WITH ALL PRIVILEGES"
influxql "CREATE DATABASE cg" >/dev/null
check "database created" grep -q '"cg"' <(influxql "SHOW DATABASES")

ST=$T_TMP/state
COMMON=(-n ijob --host h1 --state-dir "$ST" --label 'zone=eu west' --label 'app=a,b=c'
	--label 'path=C:\dir' --influx "$INFLUX/write?db=cg" --influx-user admin
	--influx-password-file "$T_TMP/password")

declare -A START RUNID
remember() { # NAME: this run's start and run id, from the state file
	read -r "START[$1]" "RUNID[$1]" < <(python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))["last_run"]
print(r["start"], r["run_id"])' "$ST/ijob.json")
}

# ---- success, failure, timeout, skip ----

cg "${COMMON[@]}" -- true
check "success: exit 0, nothing logged" eval 'rc_is 0 && stderr_empty'
remember ok
cg "${COMMON[@]}" -- sh -c 'exit 3'
check "failure: exit 3, nothing logged" eval 'rc_is 3 && stderr_empty'
remember fail
cg "${COMMON[@]}" --timeout 1 -- sleep 30
check "timeout: exit 124, nothing logged" eval 'rc_is 124 && stderr_empty'
remember timeout

start_bg "$T_TMP/holder.log" "$CRONGUARD" --no-syslog -n holder --state-dir "$T_TMP/holder" \
	--lock-file "$T_TMP/job.lock" -- sh -c "touch '$T_TMP/held'; exec sleep 30"
HOLDER=$LAST_PID
check "lock holder is running" wait_for 10 test -e "$T_TMP/held"
cg "${COMMON[@]}" --lock-file "$T_TMP/job.lock" -- true
stop_bg "$HOLDER"
check "skip: exit 0, nothing logged" eval 'rc_is 0 && stderr_empty'
remember skip

influxql "SELECT * FROM cronguard" >"$T_TMP/points.json"
for name in ok fail timeout skip; do
	check "$name: point read back with its tags, fields and start time" python3 - "$T_TMP/points.json" \
		"$name" "${START[$name]}" "${RUNID[$name]}" <<'EOF'
import json, sys
path, name, start, run_id = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
series = json.load(open(path))["results"][0]["series"][0]
rows = [dict(zip(series["columns"], v)) for v in series["values"]]
row = [r for r in rows if r["run_id"] == run_id]
if len(row) != 1:
    sys.exit("# %d points with run_id %s" % (len(row), run_id))
r = row[0]
want = {"job": "ijob", "host": "h1", "zone": "eu west", "app": "a,b=c", "path": "C:\\dir"}
want.update({
    "ok": {"state": "success", "success": True, "exit_code": 0, "ran": 1},
    "fail": {"state": "failure", "success": False, "exit_code": 3, "ran": 1},
    "timeout": {"state": "timeout", "success": False, "exit_code": 124, "signal": 15, "ran": 1},
    # A skip is no failure: no success field at all, ran 0.
    "skip": {"state": "skipped_locked", "success": None, "exit_code": None, "ran": 0},
}[name])
bad = {k: (r.get(k), v) for k, v in want.items() if r.get(k) != v}
if abs(r["time"] / 1000 - start) > 0.002:
    bad["time"] = (r["time"], start)
if name == "skip" and "held" not in (r.get("reason") or ""):
    bad["reason"] = r.get("reason")
if name == "timeout" and not 0.9 < r["duration"] < 10:
    bad["duration"] = r["duration"]
# The command's own peak, or absent where it cannot be known: never a false zero.
if name != "skip" and "maxrss_kb" in r and r["maxrss_kb"] is not None and not r["maxrss_kb"] > 0:
    bad["maxrss_kb"] = r.get("maxrss_kb")
if bad:
    print("# " + repr(bad))
sys.exit(1 if bad else 0)
EOF
done
check "four points, one per run" test "$(python3 -c 'import json, sys; print(len(json.load(open(sys.argv[1]))["results"][0]["series"][0]["values"]))' "$T_TMP/points.json")" = 4
check "field types: exit_code integer, duration float, success boolean, reason string" python3 - \
	"$(influxql "SHOW FIELD KEYS FROM cronguard")" <<'EOF'
import json, sys
types = dict(json.loads(sys.argv[1])["results"][0]["series"][0]["values"])
want = {"exit_code": "integer", "duration": "float", "success": "boolean", "reason": "string",
        "run_id": "string"}
if "maxrss_kb" in types:
    want["maxrss_kb"] = "integer"
bad = {k: (types.get(k), v) for k, v in want.items() if types.get(k) != v}
print("# " + repr(bad)) if bad else None
sys.exit(1 if bad else 0)
EOF
check "state is a tag, so runs per state are one query" grep -q '"skipped_locked",1\]' \
	<(influxql 'SELECT count("ran") FROM cronguard GROUP BY "state"' | python3 -c '
import json, sys
for s in json.load(sys.stdin)["results"][0]["series"]:
    print(json.dumps([s["tags"]["state"], s["values"][0][1]], separators=(",", ":")))')

# ---- a refused password: logged, kept (401 is the configuration's fault, not the point's),
# never printed; a later run with the right password delivers it ----

cg -v -n ijob --host h1 --state-dir "$ST" --influx "$INFLUX/write?db=cg" --influx-user admin \
	--influx-password-file "$T_TMP/badpassword" -- sh -c 'exit 4'
check "bad password: exit 4 unchanged, refused (401) and spooled" eval \
	'rc_is 4 && stderr_has "report to influx (http://127.0.0.1:[0-9]*) failed: HTTP 401" && stderr_has "spooled for a later run"'
remember badpw
check "bad password: the password is not printed" stderr_lacks "$PASSWORD"

# ---- the server down: spooled, then delivered by the next run ----

stop_bg "$INFLUX_PID"
cg -v "${COMMON[@]}" --report-timeout 2s -- sh -c 'exit 6'
check "server down: exit 6 unchanged, within the deadline, logged and spooled" eval \
	'rc_is 6 && within_ms $((2000 + $(t_slow 2000))) && stderr_has "report to influx .* failed: .*connect" && stderr_has "spooled for a later run"'
remember down
check "server down: the spooled record holds no password" eval '! grep -rq "$PASSWORD" "$ST/spool"'
check "influxd restarts" influxd_run
cg "${COMMON[@]}" -- true
check "next run: exit 0, nothing logged, the spool emptied" eval 'rc_is 0 && stderr_empty && test -z "$(ls -A "$ST/spool")"'
remember after
influxql "SELECT * FROM cronguard" >"$T_TMP/points.json"
check "the spooled points (down, bad password) and the new one are all stored, once each" python3 - "$T_TMP/points.json" \
	"${RUNID[down]}" "${RUNID[after]}" "${START[down]}" "${RUNID[badpw]}" <<'EOF'
import json, sys
series = json.load(open(sys.argv[1]))["results"][0]["series"][0]
rows = [dict(zip(series["columns"], v)) for v in series["values"]]
ids = [r["run_id"] for r in rows]
down = [r for r in rows if r["run_id"] == sys.argv[2]]
ok = ids.count(sys.argv[2]) == 1 and ids.count(sys.argv[3]) == 1 and ids.count(sys.argv[5]) == 1
ok = ok and len(rows) == 7
ok = ok and down[0]["exit_code"] == 6 and abs(down[0]["time"] / 1000 - float(sys.argv[4])) < 0.002
print("# %d points: %r" % (len(rows), ids)) if not ok else None
sys.exit(0 if ok else 1)
EOF

done_testing
