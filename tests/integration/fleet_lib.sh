# Helpers for the fleet system tests (Prometheus rules, Grafana dashboard, InfluxDB queries):
# tools installed when missing, a Prometheus and queries to it and to InfluxDB. Sourced after
# tests/lib.sh (checks, deadlines, T_TMP, and the servers: start_pushgateway, start_influxd).
# shellcheck shell=bash

top=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
# The binary under test: the build's when make check runs us, else the one in this tree or PATH.
if [ -z "${CRONGUARD:-}" ] || [ ! -x "$CRONGUARD" ]; then
	for c in "${top_builddir:-$top}/src/cronguard" "$top/src/cronguard" "$(command -v cronguard)"; do
		[ -n "$c" ] && [ -x "$c" ] && CRONGUARD=$c && break
	done
fi

# apt_install PACKAGE: installs it when root on Debian (after an update if the lists are stale).
apt_install() {
	[ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null || return 1
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$1" \
		>>"$T_TMP/apt.log" 2>&1 && return 0
	apt-get update -q >>"$T_TMP/apt.log" 2>&1 &&
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$1" \
			>>"$T_TMP/apt.log" 2>&1
}

# need_tool COMMAND PACKAGE: COMMAND, installed from Debian's PACKAGE when missing.
need_tool() {
	command -v "$1" >/dev/null && return 0
	apt_install "$2"
	command -v "$1" >/dev/null || skip_all "$1 is not installed (Debian package $2)"
}

# need_file PATH PACKAGE: PATH, installed from Debian's PACKAGE when missing.
need_file() {
	[ -e "$1" ] && return 0
	apt_install "$2"
	[ -e "$1" ] || skip_all "$1 is missing (Debian package $2)"
}

# start_prometheus RULES...: a Prometheus scraping $PG every second with honor_labels, as the
# README asks, evaluating RULES every second; sets PROM (its base URL). PROM_NODES (an array
# of HOST:PORT, optional) adds node_exporters scraped the same way, for --textfile-dir.
PROM_NODES=()
start_prometheus() {
	local rules="" r nodes=""
	for r in "$@"; do rules="$rules, \"$r\""; done
	for r in "${PROM_NODES[@]}"; do nodes="$nodes, \"$r\""; done
	cat >"$T_TMP/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files: [${rules#, }]
scrape_configs:
  - job_name: pushgateway
    honor_labels: true
    static_configs:
      - targets: ["${PG#http://}"]
EOF
	[ -z "$nodes" ] || cat >>"$T_TMP/prometheus.yml" <<EOF
  - job_name: node
    honor_labels: true
    static_configs:
      - targets: [${nodes#, }]
EOF
	mkdir -p "$T_TMP/tsdb"
	start_server prometheus "http://127.0.0.1:PORT/-/ready" \
		prometheus --config.file="$T_TMP/prometheus.yml" --storage.tsdb.path="$T_TMP/tsdb" \
		--web.listen-address=127.0.0.1:PORT --log.level=warn
	PROM=http://127.0.0.1:$PORT
}

# prom_query EXPR: the instant query's result as compact JSON lines, one per series:
# {"metric": {...}, "value": "..."}. Fails when the query does.
prom_query() {
	curl -s --max-time 5 --data-urlencode "query=$1" "$PROM/api/v1/query" | python3 -c '
import json, sys
d = json.load(sys.stdin)
if d.get("status") != "success":
    print(d, file=sys.stderr)
    sys.exit(1)
r = d["data"]["result"]
if d["data"]["resultType"] == "scalar":
    r = [{"metric": {}, "value": r}]
for s in r:
    print(json.dumps({"metric": s["metric"], "value": s["value"][1]}, sort_keys=True))
'
}

# prom_has EXPR PATTERN: the query has a result line matching the extended regex PATTERN.
prom_has() { prom_query "$1" 2>/dev/null | grep -Eq -- "$2"; }

# influxql DB QUERY: the query's JSON answer on stdout.
influxql() { curl -s --max-time 10 -G "$INFLUX/query" --data-urlencode "db=$1" --data-urlencode "q=$2"; }

# check_string_jobs SLOT-SETTING: runs the string-form jobs that Puppet or Ansible rendered
# into $FAKE_CRONTAB as cron runs them (pipe, firstfails, standby, slotted: see the callers'
# job tables), and lints the rendered lines. SLOT-SETTING names the tool's splay-slot setting.
runjob() { python3 "$top/tests/integration/crontab_check.py" "$FAKE_CRONTAB" run "$1"; }
check_string_jobs() {
	local ms
	runjob pipe
	RC=$?
	printf 'A\n%s\n' "$(date +%F)" >"$T_TMP/pipe.want"
	check "string form: the pipeline, its redirection and the %F ran inside the guard (exit $RC)" \
		sh -c "[ $RC = 0 ] && cmp -s '$T_TMP/pipe.want' '$T_TMP/pipe.out'"
	runjob firstfails
	RC=$?
	check "string form: a failing first stage of a pipeline fails the run (exit $RC)" test "$RC" = 1
	runjob standby
	RC=$?
	check "string form: a skipped standby (VIP not held) leaves the redirection's file untouched (exit $RC)" \
		sh -c "[ $RC = 0 ] && [ \"\$(cat '$T_TMP/standby.out')\" = keep ]"
	runjob slotted >"$T_TMP/slotted.out"
	ms=$(sed -n 's/^splay_ms=//p' "$T_TMP/slotted.out")
	check "$1: host 3 of 10 waits (3 + h) / 10 of the splay (splay_ms=$ms)" \
		sh -c "grep -qx splay=slot '$T_TMP/slotted.out' && [ '$ms' -ge 180000 ] && [ '$ms' -lt 240000 ]"
	"$CRONGUARD" --lint-crontab "$FAKE_CRONTAB" --format json >"$T_TMP/lint.json"
	check "lint finds nothing outside the guard in the rendered lines" \
		python3 -c 'import json, sys
bad = [x["message"] for x in json.load(open(sys.argv[1])) if "cronguard skips" in x["message"]]
print("".join("# " + m + "\n" for m in bad), end="")
sys.exit(1 if bad else 0)' "$T_TMP/lint.json"
}
