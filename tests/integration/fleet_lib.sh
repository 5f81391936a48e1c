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
# README asks, evaluating RULES every second; sets PROM (its base URL).
start_prometheus() {
	local rules="" r
	for r in "$@"; do rules="$rules, \"$r\""; done
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
