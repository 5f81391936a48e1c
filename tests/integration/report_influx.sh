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
printf '%s\n' "$PASSWORD" >"$WORK/password"
printf 'wrong-%s\n' "$PASSWORD" >"$WORK/badpassword"

# ---- the server: a temporary config from influxd's own defaults ----

make_config() { # HTTP_PORT RPC_PORT
	influxd config 2>/dev/null | python3 -c '
import re, sys
work, http, rpc = sys.argv[1:4]
section, out = "", []
for line in sys.stdin:
    s = line.strip()
    if s.startswith("["):
        section = s
    key = s.split("=", 1)[0].strip()
    if section == "" and key == "bind-address":
        line = "bind-address = \"127.0.0.1:%s\"\n" % rpc
    elif section == "" and key == "reporting-enabled":
        line = "reporting-enabled = false\n"
    elif section == "[meta]" and key == "dir":
        line = "  dir = \"%s/meta\"\n" % work
    elif section == "[data]" and key == "dir":
        line = "  dir = \"%s/data\"\n" % work
    elif section == "[data]" and key == "wal-dir":
        line = "  wal-dir = \"%s/wal\"\n" % work
    elif section == "[data]" and key == "query-log-enabled":
        line = "  query-log-enabled = false\n"
    elif section == "[monitor]" and key == "store-enabled":
        line = "  store-enabled = false\n"
    elif section == "[http]" and key == "bind-address":
        line = "  bind-address = \"127.0.0.1:%s\"\n" % http
    elif section == "[http]" and key == "auth-enabled":
        line = "  auth-enabled = true\n"
    elif section == "[http]" and key == "log-enabled":
        line = "  log-enabled = false\n"
    elif section == "[http]" and key == "pprof-enabled":
        line = "  pprof-enabled = false\n"
    out.append(line)
sys.stdout.write("".join(out))
' "$WORK/influx" "$1" "$2" >"$WORK/influxdb.conf"
}

start_influx() { # uses $WORK/influxdb.conf; sets INFLUX_PID
	start_bg "$WORK/influxd.log" influxd run -config "$WORK/influxdb.conf"
	INFLUX_PID=$LAST_PID
	wait_until 20 answers "$I/ping" 204
}

mkdir -p "$WORK/influx"
for _ in 1 2 3; do
	HTTP_PORT=$(free_port)
	make_config "$HTTP_PORT" "$(free_port)"
	I=http://127.0.0.1:$HTTP_PORT
	start_influx && break
	stop_bg "$INFLUX_PID"
	I=
done
if [ -z "$I" ]; then
	not_ok "influxd starts"
	tail -20 "$WORK/influxd.log" | sed 's/^/#   /'
	finish
fi

influxql() { # QUERY [DB]: JSON answer on stdout
	curl -s --max-time 10 -G "$I/query" -u "admin:$PASSWORD" --data-urlencode "q=$1" \
		--data-urlencode "db=${2:-cg}" --data-urlencode epoch=ms
}

# With no user yet, InfluxDB lets the first admin be created without credentials.
curl -s -o /dev/null --max-time 10 -X POST "$I/query" \
	--data-urlencode "q=CREATE USER admin WITH PASSWORD '$PASSWORD' WITH ALL PRIVILEGES"
influxql "CREATE DATABASE cg" >/dev/null
check "database created" grep -q '"cg"' <(influxql "SHOW DATABASES")

ST=$WORK/state
COMMON=(-n ijob --host h1 --state-dir "$ST" --label 'zone=eu west' --label 'app=a,b=c'
	--label 'path=C:\dir' --influx "$I/write?db=cg" --influx-user admin
	--influx-password-file "$WORK/password")

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

start_bg "$WORK/holder.log" "$CRONGUARD" --no-syslog -n holder --state-dir "$WORK/holder" \
	--lock-file "$WORK/job.lock" -- sh -c "touch '$WORK/held'; exec sleep 30"
HOLDER=$LAST_PID
check "lock holder is running" wait_until 10 test -e "$WORK/held"
cg "${COMMON[@]}" --lock-file "$WORK/job.lock" -- true
stop_bg "$HOLDER"
check "skip: exit 0, nothing logged" eval 'rc_is 0 && stderr_empty'
remember skip

influxql "SELECT * FROM cronguard" >"$WORK/points.json"
for name in ok fail timeout skip; do
	check "$name: point read back with its tags, fields and start time" python3 - "$WORK/points.json" \
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
    "ok": {"state": "success", "success": True, "exit_code": 0},
    "fail": {"state": "failure", "success": False, "exit_code": 3},
    "timeout": {"state": "timeout", "success": False, "exit_code": 124, "signal": 15},
    "skip": {"state": "skipped_locked", "success": False, "exit_code": None},
}[name])
bad = {k: (r.get(k), v) for k, v in want.items() if r.get(k) != v}
if abs(r["time"] / 1000 - start) > 0.002:
    bad["time"] = (r["time"], start)
if name == "skip" and "held" not in (r.get("reason") or ""):
    bad["reason"] = r.get("reason")
if name == "timeout" and not 0.9 < r["duration"] < 10:
    bad["duration"] = r["duration"]
if name != "skip" and not r.get("maxrss_kb"):
    bad["maxrss_kb"] = r.get("maxrss_kb")
if bad:
    print("# " + repr(bad))
sys.exit(1 if bad else 0)
EOF
done
check "four points, one per run" test "$(python3 -c 'import json, sys; print(len(json.load(open(sys.argv[1]))["results"][0]["series"][0]["values"]))' "$WORK/points.json")" = 4
check "field types: exit_code integer, duration float, success boolean, reason string" python3 - \
	"$(influxql "SHOW FIELD KEYS FROM cronguard")" <<'EOF'
import json, sys
types = dict(json.loads(sys.argv[1])["results"][0]["series"][0]["values"])
want = {"exit_code": "integer", "duration": "float", "success": "boolean", "reason": "string",
        "maxrss_kb": "integer", "run_id": "string"}
bad = {k: (types.get(k), v) for k, v in want.items() if types.get(k) != v}
print("# " + repr(bad)) if bad else None
sys.exit(1 if bad else 0)
EOF
check "state is a tag, so runs per state are one query" grep -q '"skipped_locked",1\]' \
	<(influxql 'SELECT count("success") FROM cronguard GROUP BY "state"' | python3 -c '
import json, sys
for s in json.load(sys.stdin)["results"][0]["series"]:
    print(json.dumps([s["tags"]["state"], s["values"][0][1]], separators=(",", ":")))')

# ---- a refused password: logged, not spooled, never printed ----

cg -n ijob --host h1 --state-dir "$ST" --influx "$I/write?db=cg" --influx-user admin \
	--influx-password-file "$WORK/badpassword" -- sh -c 'exit 4'
check "bad password: exit 4 unchanged, refused (401) and not spooled" eval \
	'rc_is 4 && stderr_has "report to influx (http://127.0.0.1:[0-9]*) failed: HTTP 401" && stderr_has "not spooled"'
check "bad password: the password is not printed" stderr_lacks "$PASSWORD"

# ---- the server down: spooled, then delivered by the next run ----

stop_bg "$INFLUX_PID"
cg "${COMMON[@]}" --report-timeout 2s -- sh -c 'exit 6'
check "server down: exit 6 unchanged, within the deadline, logged and spooled" eval \
	'rc_is 6 && within_ms 4000 && stderr_has "report to influx .* failed: .*connect" && stderr_has "spooled for a later run"'
remember down
check "server down: the spooled record holds no password" eval '! grep -rq "$PASSWORD" "$ST/spool"'
check "influxd restarts" start_influx
cg "${COMMON[@]}" -- true
check "next run: exit 0, nothing logged, the spool emptied" eval 'rc_is 0 && stderr_empty && test -z "$(ls -A "$ST/spool")"'
remember after
influxql "SELECT * FROM cronguard" >"$WORK/points.json"
check "the spooled point and the new one are both stored, once each" python3 - "$WORK/points.json" \
	"${RUNID[down]}" "${RUNID[after]}" "${START[down]}" <<'EOF'
import json, sys
series = json.load(open(sys.argv[1]))["results"][0]["series"][0]
rows = [dict(zip(series["columns"], v)) for v in series["values"]]
ids = [r["run_id"] for r in rows]
down = [r for r in rows if r["run_id"] == sys.argv[2]]
ok = ids.count(sys.argv[2]) == 1 and ids.count(sys.argv[3]) == 1 and len(rows) == 6
ok = ok and down[0]["exit_code"] == 6 and abs(down[0]["time"] / 1000 - float(sys.argv[4])) < 0.002
print("# %d points: %r" % (len(rows), ids)) if not ok else None
sys.exit(0 if ok else 1)
EOF

finish
