# Helpers for the fleet system tests (Prometheus rules, Grafana dashboard, InfluxDB queries):
# real servers on free 127.0.0.1 ports in a temporary directory, stopped at exit. Sourced after
# tests/lib.sh (ok, not_ok, check, skip_all, at_exit, wait_for, T_TMP).
# shellcheck shell=bash

top=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
# The binary under test: the build's when make check runs us, else the one in this tree or PATH.
if [ -z "${CRONGUARD:-}" ] || [ ! -x "$CRONGUARD" ]; then
	for c in "${top_builddir:-$top}/src/cronguard" "$top/src/cronguard" "$(command -v cronguard)"; do
		[ -n "$c" ] && [ -x "$c" ] && CRONGUARD=$c && break
	done
fi

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

http_code() { curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$1"; }
answers() { [ "$(http_code "$1")" = "$2" ]; }

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

# start_server NAME READY_URL COMMAND...: starts COMMAND (whose arguments may use the word
# PORT, replaced by a free port) until READY_URL answers 200; sets PORT. Tries three ports.
start_server() {
	local name=$1 ready=$2 pid
	shift 2
	for _ in 1 2 3; do
		PORT=$(free_port)
		"${@//PORT/$PORT}" >"$T_TMP/$name.log" 2>&1 &
		pid=$!
		at_exit "kill $pid 2>/dev/null; wait $pid 2>/dev/null"
		if wait_for 20 answers "${ready//PORT/$PORT}" 200; then
			return 0
		fi
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	not_ok "$name starts"
	sed 's/^/#   /' "$T_TMP/$name.log" | tail -n 20
	done_testing
	exit 1
}

# start_pushgateway: a Pushgateway without persistence; sets PG (its base URL).
start_pushgateway() {
	start_server pushgateway "http://127.0.0.1:PORT/-/ready" \
		prometheus-pushgateway --web.listen-address=127.0.0.1:PORT --persistence.file=
	PG=http://127.0.0.1:$PORT
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

# start_influxd: an InfluxDB 1.x from influxd's own default config, with its directories in
# T_TMP and both of its ports free on 127.0.0.1; sets INFLUX (its base URL).
start_influxd() {
	local pid http rpc
	for _ in 1 2 3; do
		http=$(free_port)
		rpc=$(free_port)
		influxd config 2>/dev/null | python3 -c '
import sys
d, http, rpc = sys.argv[1:4]
section = ""
for line in sys.stdin:
    s = line.strip()
    if s.startswith("["):
        section = s
    key = s.split("=")[0].strip() if "=" in s else ""
    if section == "" and key == "bind-address":
        line = "bind-address = \"127.0.0.1:%s\"\n" % rpc
    elif section == "[meta]" and key == "dir":
        line = "  dir = \"%s/meta\"\n" % d
    elif section == "[data]" and key == "dir":
        line = "  dir = \"%s/data\"\n" % d
    elif section == "[data]" and key == "wal-dir":
        line = "  wal-dir = \"%s/wal\"\n" % d
    elif section == "[monitor]" and key == "store-enabled":
        line = "  store-enabled = false\n"
    elif section == "[http]" and key == "bind-address":
        line = "  bind-address = \"127.0.0.1:%s\"\n" % http
    elif section == "[http]" and key == "log-enabled":
        line = "  log-enabled = false\n"
    sys.stdout.write(line)
' "$T_TMP/influxdb" "$http" "$rpc" >"$T_TMP/influxdb.conf"
		influxd run -config "$T_TMP/influxdb.conf" >"$T_TMP/influxd.log" 2>&1 &
		pid=$!
		at_exit "kill $pid 2>/dev/null; wait $pid 2>/dev/null"
		INFLUX=http://127.0.0.1:$http
		if wait_for 20 answers "$INFLUX/ping" 204; then
			return 0
		fi
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	not_ok "influxd starts"
	tail -n 20 "$T_TMP/influxd.log" | sed 's/^/#   /'
	done_testing
	exit 1
}

# influxql DB QUERY: the query's JSON answer on stdout.
influxql() { curl -s --max-time 10 -G "$INFLUX/query" --data-urlencode "db=$1" --data-urlencode "q=$2"; }
