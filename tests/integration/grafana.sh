#!/bin/bash
# System test of contrib/grafana/cronguard.json, the Grafana dashboard:
# - it is valid JSON (python3 -m json.tool) with the layout Grafana needs (unique panel ids,
#   panels inside the 24-column grid and not overlapping, every query on the ${datasource}
#   variable) and the four views the README promises;
# - every query, with the dashboard's variables filled in, is valid PromQL (promtool);
# - with data from real runs (the built cronguard pushing to a real Pushgateway scraped by a
#   real Prometheus with honor_labels), every query returns data, and the job x host grid, the
#   last-success ages and the runs-per-period counts say what the runs did.
# Grafana itself is not in Debian, so the dashboard is not rendered here.
# Exit status: 0 all passed, 1 a check failed, 77 a tool is missing (a failure under CI=true).
set -u
top=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=tests/lib.sh
. "$top/tests/lib.sh"
# shellcheck source=tests/integration/fleet_lib.sh
. "$top/tests/integration/fleet_lib.sh"

DASH=$top/contrib/grafana/cronguard.json
need_tool promtool prometheus
need_tool prometheus prometheus
need_tool prometheus-pushgateway prometheus-pushgateway
[ -x "${CRONGUARD:-}" ] || skip_all "no cronguard binary (build first)"

check "cronguard.json is valid JSON (python3 -m json.tool)" \
	sh -c "python3 -m json.tool '$DASH' >/dev/null"

# The dashboard's queries, one per line as REFID<TAB>PANEL TITLE<TAB>EXPR with the variables
# filled in as Grafana would for "All" and one-hour periods.
python3 - "$DASH" >"$T_TMP/layout.out" 2>&1 <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
problems = []
need = lambda cond, what: cond or problems.append(what)
need(d.get("uid") == "cronguard" and d.get("title"), "uid and title")
names = [v["name"] for v in d["templating"]["list"]]
need(names == ["datasource", "job", "instance", "period"], "variables datasource, job, instance, period: %s" % names)
panels = [p for p in d["panels"] if p["type"] != "row"]
ids = [p["id"] for p in d["panels"]]
need(len(ids) == len(set(ids)), "unique panel ids")
cells = {}
for p in d["panels"]:
    g = p["gridPos"]
    need(g["x"] >= 0 and g["w"] > 0 and g["x"] + g["w"] <= 24, "panel %s inside the grid" % p["id"])
    for x in range(g["x"], g["x"] + g["w"]):
        for y in range(g["y"], g["y"] + g["h"]):
            need((x, y) not in cells, "panels %s and %s overlap" % (cells.get((x, y)), p["id"]))
            cells[(x, y)] = p["id"]
for p in panels:
    need(p.get("datasource", {}).get("uid") == "${datasource}", "panel %s uses ${datasource}" % p["id"])
    refs = [t["refId"] for t in p["targets"]]
    need(len(refs) == len(set(refs)), "panel %s: unique refIds" % p["id"])
    for t in p["targets"]:
        need(t.get("datasource", {}).get("uid") == "${datasource}", "panel %s %s uses ${datasource}" % (p["id"], t["refId"]))
kinds = {p["type"]: p for p in panels}
grid = [p for p in panels if p["type"] == "table" and any(t["id"] == "groupingToMatrix" and t["options"]["rowField"] == "job" and t["options"]["columnField"] == "instance" for t in p.get("transformations", []))]
need(grid, "a job x host grid (table with groupingToMatrix job/instance)")
need(any("cronguard_last_success_timestamp_seconds" in t["expr"] and "time()" in t["expr"] for p in panels for t in p["targets"]), "a last-success age panel")
need("state-timeline" in kinds and "cronguard_last_run_start_timestamp_seconds" in kinds["state-timeline"]["targets"][0]["expr"], "a runs-per-period state timeline")
need(any(p["type"] == "timeseries" and "cronguard_last_run_duration_seconds" in p["targets"][0]["expr"] for p in panels), "a duration time series")
for p in panels:
    for t in p["targets"]:
        e = t["expr"].replace("$job", ".*").replace("$instance", ".*").replace("$__interval_ms", "3600000")
        print("%s\t%s\t%s" % (t["refId"], p["title"].replace("$period", "1h"), e.replace("\n", " ")))
for v in d["templating"]["list"]:
    if v["type"] == "query":
        print("VAR\t%s\t%s" % (v["name"], v["definition"].replace("$job", ".*")))
if problems:
    print("PROBLEMS: " + "; ".join(problems), file=sys.stderr)
    sys.exit(1)
EOF
layout_rc=$?
grep -v $'\t' "$T_TMP/layout.out" | sed 's/^/#   /'
check "layout: ids, grid, \${datasource}, the grid/age/runs-per-period/duration panels" test "$layout_rc" = 0
grep $'\t' "$T_TMP/layout.out" | grep -v '^VAR' >"$T_TMP/queries"
check "$(wc -l <"$T_TMP/queries") queries found, every variable in them known" \
	sh -c "[ -s '$T_TMP/queries' ] && ! grep -q '[$]' '$T_TMP/queries'"

# Every query parses, as the expression of a recording rule.
{
	echo "groups: [{name: dashboard, rules: ["
	n=0
	while IFS=$'\t' read -r _ _ expr; do
		n=$((n + 1))
		printf '  {record: "dashboard:q%d", expr: %s},\n' "$n" "$(python3 -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$expr")"
	done <"$T_TMP/queries"
	echo "]}]"
} >"$T_TMP/queries.rules.yml"
check "every query is valid PromQL (promtool check rules)" \
	sh -c "promtool check rules '$T_TMP/queries.rules.yml' >'$T_TMP/promtool.out' 2>&1 || { cat '$T_TMP/promtool.out'; false; }"

# ---- Data from real runs.
start_pushgateway
start_prometheus
st=$T_TMP/state
run() { "$CRONGUARD" --no-syslog --state-dir "$st/$1" --pushgateway "$PG" "${@:2}"; }
run h1 -n e2e-grid --host h1 -- true
run h2 -n e2e-grid --host h2 -- sh -c 'exit 2'
run h1 -n e2e-double --host h1 -- true
run h2 -n e2e-double --host h2 -- true
run h1 -n e2e-once --host h1 -- sleep 0.2
# h2 is the standby for e2e-once: 192.0.2.1 (TEST-NET-1) is not assigned here, so it skips.
run h2 -n e2e-once --host h2 --vip 192.0.2.1 -- true
# e2e-skipall is skipped on both hosts (a VIP held nowhere): it must still be on the dashboard.
run h1 -n e2e-skipall --host h1 --period 1h --vip 192.0.2.1 -- true
run h2 -n e2e-skipall --host h2 --period 1h --vip 192.0.2.1 -- true
check "Prometheus scraped all the runs from the Pushgateway" \
	wait_for 30 prom_has 'count(cronguard_last_run_start_timestamp_seconds{job=~"e2e-.*"}) == 5 and count(cronguard_last_skip_timestamp_seconds) == 3' .

while IFS=$'\t' read -r ref title expr; do
	check "data for \"$title\" ($ref)" prom_has "$expr" .
done <"$T_TMP/queries"
while IFS=$'\t' read -r name query; do
	selector=$(sed -E 's/^label_values\((.*), *[a-z_]+\)$/\1/' <<<"$query")
	curl -s --max-time 5 -G --data-urlencode "match[]=$selector" "$PROM/api/v1/label/$name/values" >"$T_TMP/var.json"
	if [ "$name" = job ]; then want=(e2e-grid e2e-double e2e-once e2e-skipall); else want=(h1 h2); fi
	check "variable \$$name lists the runs' ${name}s" \
		python3 -c 'import json,sys; v=json.load(open(sys.argv[1]))["data"]; sys.exit(not set(sys.argv[2:]) <= set(v))' \
		"$T_TMP/var.json" "${want[@]}"
done < <(grep '^VAR' "$T_TMP/layout.out" | cut -f2-)

# The job x host grid, rendered as Grafana's groupingToMatrix would.
grid_expr=$(awk -F'\t' '$2 ~ /job × host/ { print $3 }' "$T_TMP/queries")
prom_query "$grid_expr" | python3 -c '
import json, sys
cells = {}
for line in sys.stdin:
    s = json.loads(line)["metric"]
    if s["job"].startswith("e2e-"):
        cells[(s["job"], s["instance"])] = s["state"]
jobs = sorted({j for j, _ in cells}); hosts = sorted({h for _, h in cells})
print("#   %-12s" % "job\\host" + "".join(" %-16s" % h for h in hosts))
for j in jobs:
    print("#   %-12s" % j + "".join(" %-16s" % cells.get((j, h), "") for h in hosts))
' >"$T_TMP/grid.txt"
cat "$T_TMP/grid.txt"
check "grid: e2e-grid is success on h1 and failure on h2" \
	grep -Eq '^#   e2e-grid +success +failure *$' "$T_TMP/grid.txt"
check "grid: e2e-once ran on h1; h2, the standby that never ran it, shows its skip" \
	grep -Eq '^#   e2e-once +success +skipped_standby *$' "$T_TMP/grid.txt"

runs_expr=$(awk -F'\t' '$2 ~ /Hosts that ran/ { print $3 }' "$T_TMP/queries")
check "runs per period: e2e-double ran on 2 hosts in the last hour" \
	prom_has "$runs_expr" '"job": "e2e-double"}, "value": "2"'
check "runs per period: e2e-once ran once (the standby's skip is no run)" \
	prom_has "$runs_expr" '"job": "e2e-once"}, "value": "1"'
check "runs per period: e2e-skipall, skipped on every host, is listed with 0 runs" \
	prom_has "$runs_expr" '"job": "e2e-skipall"}, "value": "0"'
check "grid: e2e-skipall shows its skip state on both hosts" \
	grep -Eq '^#   e2e-skipall +skipped_standby +skipped_standby *$' "$T_TMP/grid.txt"
age_expr=$(awk -F'\t' '$2 ~ /last success/ { print $3 }' "$T_TMP/queries")
check "last success age: every job succeeded less than a minute ago" \
	prom_has "($age_expr) < 60" '"job": "e2e-grid"'
check "last success age: the job that never succeeded is there too (age since first seen)" \
	prom_has "($age_expr) < 60" '"job": "e2e-skipall"'
late_expr=$(awk -F'\t' '$2 ~ /Lateness/ { print $3 }' "$T_TMP/queries")
check "lateness: every run's lateness is under a minute and a bit (started by hand)" \
	prom_has "($late_expr) < 61" '"job": "e2e-grid"'

done_testing
