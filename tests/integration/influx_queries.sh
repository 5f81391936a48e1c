#!/bin/bash
# System test of the InfluxQL queries in contrib/influxdb/queries.md, taken from the document
# itself, against a real InfluxDB 1.6 (Debian's influxd) on free 127.0.0.1 ports:
# - four nights of points written with curl in line protocol, as cronguard writes them (role db
#   runs once, twice, not at all, once; role web once a night; role dr only skips; skips,
#   errors and another job that must not count): the exact answers of the per-night, alert and
#   per-host queries, every role with its count, zeros included, in UTC and with
#   tz('Europe/Paris');
# - points written by real cronguard runs (--influx, --label role=...): two hosts of one role
#   in the same night are flagged, one host of another role is not, a standby's skip is no run,
#   and a role whose two nodes only skipped is listed with 0 and flagged.
# The Flux queries are not run: Debian 12 has no InfluxDB 2.x.
# Exit status: 0 all passed, 1 a check failed, 77 influxd is missing (a failure under CI=true).
set -u
top=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=tests/lib.sh
. "$top/tests/lib.sh"
# shellcheck source=tests/integration/fleet_lib.sh
. "$top/tests/integration/fleet_lib.sh"

DOC=$top/contrib/influxdb/queries.md
need_tool influxd influxdb
need_file /usr/share/zoneinfo/Europe/Paris tzdata
[ -x "${CRONGUARD:-}" ] || skip_all "no cronguard binary (build first)"

# query NAME: the ```sql block after "<!-- test: NAME -->" in the document.
query() {
	awk -v m="<!-- test: $1 -->" '$0 == m { on = 1; next } on && /^```sql$/ { in_q = 1; next }
		in_q && /^```$/ { exit } in_q { print }' "$DOC"
}
# between QUERY FROM TO: QUERY over [FROM, TO) instead of the last week.
between() {
	local q=${1//"time >= now() - 7d"/"time >= '$2' AND time < '$3'"}
	[ "$q" != "$1" ] && printf '%s' "$q"
}
# answer JSON: the series of an InfluxQL answer, compact and sorted, one line each.
answer() {
	python3 -c '
import json, sys
d = json.loads(sys.stdin.read())
r = d["results"][0]
if "error" in r:
    print("error: " + r["error"])
for s in r.get("series", []):
    print(json.dumps({"tags": s.get("tags", {}), "values": s["values"]}, sort_keys=True))
'
}
# same_answer DESCRIPTION GOT-FILE WANT-LINES: exact comparison, with both shown on failure.
same_answer() {
	if [ "$(cat "$2")" = "$3" ]; then
		ok "$1"
	else
		not_ok "$1"
		echo "#   got:"
		sed 's/^/#     /' "$2"
		echo "#   want:"
		sed 's/^/#     /' <<<"$3"
	fi
}

for name in per-night alert hosts; do
	check "queries.md has the '$name' query, over 'time >= now() - 7d'" \
		test -n "$(between "$(query "$name")" a b)"
done

start_influxd open
check "influxd 1.x answers /ping on 127.0.0.1" answers "$INFLUX/ping" 204
influxql cron "CREATE DATABASE cron" >/dev/null

# ---- Four nights, in line protocol. Night n runs from noon of day n to noon of day n+1 (UTC);
# the jobs fire at 01:00 plus a splay.
night() { date -u -d "2026-11-0$1T01:00:00Z + $2 sec" +%s; }
cat >"$T_TMP/points.lp" <<EOF
cronguard,host=db1,job=backup,role=db,state=success exit_code=0i,duration=61.5,success=true,ran=1i $(night 1 120)
cronguard,host=db2,job=backup,role=db,state=skipped_standby duration=0.001,ran=0i $(night 1 60)
cronguard,host=web1,job=backup,role=web,state=success exit_code=0i,duration=10.2,success=true,ran=1i $(night 1 30)
cronguard,host=db1,job=other,role=db,state=success exit_code=0i,duration=1,success=true,ran=1i $(night 1 30)
cronguard,host=dr1,job=backup,role=dr,state=skipped_standby duration=0.001,ran=0i $(night 1 40)
cronguard,host=dr2,job=backup,role=dr,state=skipped_standby duration=0.001,ran=0i $(night 1 50)
cronguard,host=db1,job=backup,role=db,state=success exit_code=0i,duration=60.1,success=true,ran=1i $(night 2 120)
cronguard,host=db2,job=backup,role=db,state=timeout exit_code=124i,duration=3600,success=false,ran=1i $(night 2 300)
cronguard,host=web1,job=backup,role=web,state=success exit_code=0i,duration=9.8,success=true,ran=1i $(night 2 30)
cronguard,host=dr1,job=backup,role=dr,state=skipped_standby duration=0.001,ran=0i $(night 2 40)
cronguard,host=dr2,job=backup,role=dr,state=skipped_standby duration=0.001,ran=0i $(night 2 50)
cronguard,host=db1,job=backup,role=db,state=skipped_standby duration=0.001,ran=0i $(night 3 120)
cronguard,host=db2,job=backup,role=db,state=skipped_locked duration=0.001,ran=0i $(night 3 300)
cronguard,host=db2,job=backup,role=db,state=exec_failed exit_code=127i,duration=0.001,success=false,ran=0i $(night 3 310)
cronguard,host=web1,job=backup,role=web,state=signaled exit_code=137i,duration=10.0,success=false,signal=9i,ran=1i $(night 3 30)
cronguard,host=dr1,job=backup,role=dr,state=skipped_standby duration=0.001,ran=0i $(night 3 40)
cronguard,host=dr2,job=backup,role=dr,state=skipped_standby duration=0.001,ran=0i $(night 3 50)
cronguard,host=db1,job=backup,role=db,state=failure exit_code=1i,duration=3.2,success=false,ran=1i $(night 4 120)
cronguard,host=db2,job=backup,role=db,state=error exit_code=125i,duration=0.01,success=false,ran=0i $(night 4 120)
cronguard,host=web1,job=backup,role=web,state=success exit_code=0i,duration=10.0,success=true,ran=1i $(night 4 30)
cronguard,host=dr1,job=backup,role=dr,state=skipped_standby duration=0.001,ran=0i $(night 4 40)
cronguard,host=dr2,job=backup,role=dr,state=skipped_standby duration=0.001,ran=0i $(night 4 50)
EOF
code=$(curl -s -o "$T_TMP/write.out" -w '%{http_code}' --data-binary @"$T_TMP/points.lp" "$INFLUX/write?db=cron&precision=s")
check "22 points written in line protocol (HTTP $code)" test "$code" = 204

FROM=2026-10-31T12:00:00Z
TO=2026-11-04T12:00:00Z
influxql cron "$(between "$(query per-night)" "$FROM" "$TO")" | answer >"$T_TMP/per-night"
same_answer "per night: db ran 1, 2, 0, 1 times; dr, whose nodes only skipped, 0 every night; web once a night (skips, exec_failed, error and other jobs do not count)" \
	"$T_TMP/per-night" \
	'{"tags": {"role": "db"}, "values": [["2026-10-31T12:00:00Z", 1], ["2026-11-01T12:00:00Z", 2], ["2026-11-02T12:00:00Z", 0], ["2026-11-03T12:00:00Z", 1]]}
{"tags": {"role": "dr"}, "values": [["2026-10-31T12:00:00Z", 0], ["2026-11-01T12:00:00Z", 0], ["2026-11-02T12:00:00Z", 0], ["2026-11-03T12:00:00Z", 0]]}
{"tags": {"role": "web"}, "values": [["2026-10-31T12:00:00Z", 1], ["2026-11-01T12:00:00Z", 1], ["2026-11-02T12:00:00Z", 1], ["2026-11-03T12:00:00Z", 1]]}'

influxql cron "$(between "$(query alert)" "$FROM" "$TO")" | answer >"$T_TMP/alert"
same_answer "alert: db's double night (2) and empty night (0), dr's four empty nights, nothing for web" "$T_TMP/alert" \
	'{"tags": {"role": "db"}, "values": [["2026-11-01T12:00:00Z", 2], ["2026-11-02T12:00:00Z", 0]]}
{"tags": {"role": "dr"}, "values": [["2026-10-31T12:00:00Z", 0], ["2026-11-01T12:00:00Z", 0], ["2026-11-02T12:00:00Z", 0], ["2026-11-03T12:00:00Z", 0]]}'

influxql cron "$(between "$(query hosts)" "$FROM" "$TO")" | answer >"$T_TMP/hosts"
same_answer "hosts: db1 and db2 both ran on the double night" "$T_TMP/hosts" \
	'{"tags": {"host": "db1", "role": "db"}, "values": [["2026-10-31T12:00:00Z", 1], ["2026-11-01T12:00:00Z", 1], ["2026-11-02T12:00:00Z", 0], ["2026-11-03T12:00:00Z", 1]]}
{"tags": {"host": "db2", "role": "db"}, "values": [["2026-10-31T12:00:00Z", 0], ["2026-11-01T12:00:00Z", 1], ["2026-11-02T12:00:00Z", 0], ["2026-11-03T12:00:00Z", 0]]}
{"tags": {"host": "dr1", "role": "dr"}, "values": [["2026-10-31T12:00:00Z", 0], ["2026-11-01T12:00:00Z", 0], ["2026-11-02T12:00:00Z", 0], ["2026-11-03T12:00:00Z", 0]]}
{"tags": {"host": "dr2", "role": "dr"}, "values": [["2026-10-31T12:00:00Z", 0], ["2026-11-01T12:00:00Z", 0], ["2026-11-02T12:00:00Z", 0], ["2026-11-03T12:00:00Z", 0]]}
{"tags": {"host": "web1", "role": "web"}, "values": [["2026-10-31T12:00:00Z", 1], ["2026-11-01T12:00:00Z", 1], ["2026-11-02T12:00:00Z", 1], ["2026-11-03T12:00:00Z", 1]]}'

# Local nights open at local noon, 11:00 UTC in November: ask for whole local nights.
influxql cron "$(between "$(query alert)" 2026-10-31T11:00:00Z 2026-11-04T11:00:00Z | sed "s/GROUP BY time(1d, 12h), \"role\" fill(0)/& tz('Europe\/Paris')/; \$s/\$/ tz('Europe\/Paris')/")" |
	answer >"$T_TMP/alert-tz"
same_answer "alert with tz('Europe/Paris'): the same nights, from local noon" "$T_TMP/alert-tz" \
	'{"tags": {"role": "db"}, "values": [["2026-11-01T12:00:00+01:00", 2], ["2026-11-02T12:00:00+01:00", 0]]}
{"tags": {"role": "dr"}, "values": [["2026-10-31T12:00:00+01:00", 0], ["2026-11-01T12:00:00+01:00", 0], ["2026-11-02T12:00:00+01:00", 0], ["2026-11-03T12:00:00+01:00", 0]]}'

# ---- Real runs: db1 and db2 both run the db backup (a double), web1 runs web's, web2 skips.
st=$T_TMP/state
run() { "$CRONGUARD" --no-syslog --state-dir "$st/$1" --influx "$INFLUX/write?db=live" --host "$@"; }
influxql live "CREATE DATABASE live" >/dev/null
run db1 -n backup --label role=db -- true
run db2 -n backup --label role=db -- true
run web1 -n backup --label role=web -- sh -c 'exit 3'
run web2 -n backup --label role=web --vip 192.0.2.1 -- true
# dr: both nodes are standbys (the VIP is held nowhere): the role must show 0, not vanish.
run dr1 -n backup --label role=dr --vip 192.0.2.1 -- true
run dr2 -n backup --label role=dr --vip 192.0.2.1 -- true
influxql live 'SELECT count("duration"), count("exit_code"), count("success"), sum("ran") FROM "cronguard" GROUP BY "host", "state"' |
	answer | sed -E 's/\["[^"]*", /[/' >"$T_TMP/live-points"
same_answer "the real runs wrote one point each; a skip has ran 0 and neither exit_code nor success" "$T_TMP/live-points" \
'{"tags": {"host": "db1", "state": "success"}, "values": [[1, 1, 1, 1]]}
{"tags": {"host": "db2", "state": "success"}, "values": [[1, 1, 1, 1]]}
{"tags": {"host": "dr1", "state": "skipped_standby"}, "values": [[1, null, null, 0]]}
{"tags": {"host": "dr2", "state": "skipped_standby"}, "values": [[1, null, null, 0]]}
{"tags": {"host": "web1", "state": "failure"}, "values": [[1, 1, 1, 1]]}
{"tags": {"host": "web2", "state": "skipped_standby"}, "values": [[1, null, null, 0]]}'
now=$(date +%s)
start=$(((now - 43200) / 86400 * 86400 + 43200))
FROM=$(date -u -d "@$start" +%Y-%m-%dT%H:%M:%SZ)
TO=$(date -u -d "@$((start + 86400))" +%Y-%m-%dT%H:%M:%SZ)
influxql live "$(between "$(query per-night)" "$FROM" "$TO")" | answer >"$T_TMP/live-per-night"
same_answer "real runs, tonight: db ran twice, dr (only skips) 0, web once (the failure counts, the skip does not)" \
	"$T_TMP/live-per-night" \
	"{\"tags\": {\"role\": \"db\"}, \"values\": [[\"$FROM\", 2]]}
{\"tags\": {\"role\": \"dr\"}, \"values\": [[\"$FROM\", 0]]}
{\"tags\": {\"role\": \"web\"}, \"values\": [[\"$FROM\", 1]]}"
influxql live "$(between "$(query alert)" "$FROM" "$TO")" | answer >"$T_TMP/live-alert"
same_answer "real runs, tonight: the alert flags db's double and dr's missing run" "$T_TMP/live-alert" \
	"{\"tags\": {\"role\": \"db\"}, \"values\": [[\"$FROM\", 2]]}
{\"tags\": {\"role\": \"dr\"}, \"values\": [[\"$FROM\", 0]]}"

done_testing
