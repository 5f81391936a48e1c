#!/bin/bash
# System test of contrib/prometheus/cronguard.rules.yml:
# - promtool check rules, and promtool test rules with cronguard.rules.test.yml (each alert
#   firing and not firing);
# - the unit tests catch broken rules: mutants of the rules file must fail them;
# - every metric the rules read is one the Pushgateway/textfile sink writes (src/sink_pushgateway.c);
# - end to end: the built cronguard pushes real runs to a real Pushgateway and writes textfiles
#   for two real node_exporters; a real Prometheus scrapes them as the README says (honor_labels,
#   every second) and evaluates the rules every second: a job skipped on every host, an
#   exclusive job run on two hosts and a failing job fire their alerts (the failure clears with
#   the next success); a fleet-wide job run on three hosts fires none.
# Needs promtool, prometheus, prometheus-pushgateway and prometheus-node-exporter (Debian
# packages of those names; installed here when missing and root).
# Exit status: 0 all passed, 1 a check failed, 77 a tool is missing (a failure under CI=true).
set -u
top=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=tests/lib.sh
. "$top/tests/lib.sh"
# shellcheck source=tests/integration/fleet_lib.sh
. "$top/tests/integration/fleet_lib.sh"

need_tool promtool prometheus
need_tool prometheus prometheus
need_tool prometheus-pushgateway prometheus-pushgateway
[ -x "${CRONGUARD:-}" ] || skip_all "no cronguard binary (build first)"

RULES=$top/contrib/prometheus/cronguard.rules.yml
TESTS=$top/contrib/prometheus/cronguard.rules.test.yml

# ---- promtool
check "promtool check rules cronguard.rules.yml" \
	sh -c "promtool check rules '$RULES' >'$T_TMP/check.out' 2>&1"
sed 's/^/# /' "$T_TMP/check.out"
check "promtool test rules cronguard.rules.test.yml" \
	sh -c "promtool test rules '$TESTS' >'$T_TMP/test.out' 2>&1"
grep -v '^$' "$T_TMP/test.out" | sed 's/^/# /'

# ---- Mutants: each breaks one alert in a way the tests must notice (a perl -0 substitution
# over the whole rules file). They run in parallel; the results are read in order.
MUTANTS=()
MUTANT_PIDS=()
mutant() { # DESCRIPTION PERL-SUBSTITUTION
	local dir=$T_TMP/mutant${#MUTANTS[@]}
	mkdir -p "$dir"
	cp "$TESTS" "$dir/"
	perl -0pe "$2" "$RULES" >"$dir/cronguard.rules.yml"
	if cmp -s "$RULES" "$dir/cronguard.rules.yml"; then
		echo same >"$dir/result"
	else
		(promtool test rules "$dir/cronguard.rules.test.yml" >/dev/null 2>&1
		 echo $? >"$dir/result") &
		MUTANT_PIDS+=($!)
	fi
	MUTANTS+=("$1")
}
mutant "failed counts success too" 's/state!="success"/state=~".+"/'
mutant "missing takes the oldest success of the job's hosts" \
	's/time\(\) - max by \(job\) \(cronguard_last_success_timestamp_seconds\)/time() - min by (job) (cronguard_last_success_timestamp_seconds)/'
mutant "missing ignores a job that only ever skipped" \
	's/min by \(job\) \(cronguard_job_first_seen_timestamp_seconds\)/max by (job) (cronguard_last_success_timestamp_seconds)/'
mutant "missing ignores a job's own threshold" \
	's/max by \(job\) \(job:cronguard_max_success_age_seconds\)\n(\s+or on)/max by (job) (job:cronguard_max_success_age_seconds) * 1000\n$1/'
mutant "missing ignores the splay" 's/(\+ on \(job\)\n\s+job:cronguard_splay_seconds)/$1 * 0/'
mutant "missing allows one period, not two" \
	's/2 \* max by \(job\) \(cronguard_job_period_seconds > 0\)/1 * max by (job) (cronguard_job_period_seconds > 0)/'
mutant "jobs without a period get an hour, not 26" 's/job:cronguard_known \+ 26 \* 3600/job:cronguard_known + 3600/'
mutant "jobs without a period get a 12 h double-run window" 's/job:cronguard_known \+ 1800/job:cronguard_known + 43200/'
mutant "fleet-wide jobs count as doubles" 's/cronguard_job_exclusive == 1/cronguard_job_exclusive >= 0/'
mutant "a single host counts as a double run" 's/^          \) > 1$/          ) > 0/m'
mutant "late ignores its threshold" 's/cronguard_last_run_lateness_seconds > 900/cronguard_last_run_lateness_seconds > 0/'
mutant "slow ignores the one-minute floor" 's/^            > 60$/            > 0/m'
mutant "slow alerts on failed runs" 's/cronguard_last_run_success == 1/cronguard_last_run_success >= 0/'
wait "${MUTANT_PIDS[@]}"
for i in "${!MUTANTS[@]}"; do
	case $(cat "$T_TMP/mutant$i/result") in
	same) not_ok "mutant '${MUTANTS[i]}' changes nothing: the rules changed, update the mutant" ;;
	0) not_ok "the rule tests miss a mutant: ${MUTANTS[i]}" ;;
	*) ok "the rule tests catch a mutant: ${MUTANTS[i]}" ;;
	esac
done

# ---- The rules read only metrics the sink writes.
sink=$top/src/sink_pushgateway.c
missing=
for m in $(grep -oP '(?<![:\w])cronguard_[a-z_]+' "$RULES" | sort -u); do
	grep -q "\"$m\"" "$sink" || missing="$missing $m"
done
check "every metric in the rules is written by sink_pushgateway.c${missing:+ (not:$missing)}" \
	test -z "$missing"

# ---- End to end with the real servers: the built cronguard pushes to a real Pushgateway and
# writes textfiles that two real node_exporters (two "hosts") serve; a real Prometheus scrapes
# them all every second (honor_labels, as the README says) and evaluates the rules every second.
need_tool prometheus-node-exporter prometheus-node-exporter
start_pushgateway
NE=()
for h in 1 2; do
	mkdir -p "$T_TMP/tf$h"
	start_server node-exporter$h "http://127.0.0.1:PORT/metrics" \
		prometheus-node-exporter --web.listen-address=127.0.0.1:PORT --collector.disable-defaults \
		--collector.textfile --collector.textfile.directory="$T_TMP/tf$h"
	NE+=("127.0.0.1:$PORT")
done
PROM_NODES=("${NE[@]}")
start_prometheus "$RULES"
ok "pushgateway, two node_exporters and prometheus (rules loaded, honor_labels) started on 127.0.0.1"
check "prometheus scrapes all three targets" wait_for 30 prom_has 'count(up == 1)' '"value": "3"'

st=$T_TMP/state
pg() { "$CRONGUARD" --no-syslog --state-dir "$st/pg-$1" --pushgateway "$PG" --host "$1" "${@:2}"; }
tf() { "$CRONGUARD" --no-syslog --state-dir "$st/tf-$1" --textfile-dir "$T_TMP/tf$1" --host "tf$1" "${@:2}"; }
NOVIP=192.0.2.77   # TEST-NET-1: held nowhere, like a mistyped VIP
for h in h1 h2 h3; do
	pg $h -n pg-skipall --period 1s --vip $NOVIP -- true
	pg $h -n pg-fleet --period 1h -- true
done
pg h1 -n pg-double --vip 127.0.0.1 -- true
pg h2 -n pg-double --vip 127.0.0.1 -- true
pg h1 -n pg-fail --label role=db -- sh -c 'exit 3'
check "a failing run exits 3" test $? -eq 3
pg h1 -n pg-ok -- true
for h in 1 2; do
	tf $h -n tf-skipall --period 1s --vip $NOVIP -- true
	tf $h -n tf-fleet --period 1h -- true
	tf $h -n tf-double --vip 127.0.0.1 -- true
done
tf 1 -n tf-fail -- sh -c 'exit 4'
check "the runs reached the Pushgateway" \
	sh -c "curl -s '$PG/metrics' | grep -q 'cronguard_job_exclusive{.*job=\"pg-double\"'"

firing() { prom_has "ALERTS{alertstate=\"firing\",alertname=\"$1\"$2}" .; }
none() { # EXPR: the query works and returns nothing
	local out
	out=$(prom_query "$1") || return 1
	[ -z "$out" ] || { echo "$out" | sed 's/^/#   /'; return 1; }
}
for via in pg tf; do
	check "$via: CronguardJobMissing fires for a job skipped on every host" \
		wait_for 30 firing CronguardJobMissing ",job=\"$via-skipall\""
	check "$via: CronguardJobRanOnSeveralHosts fires for an exclusive job run on two hosts" \
		wait_for 30 firing CronguardJobRanOnSeveralHosts ",job=\"$via-double\""
	check "$via: CronguardJobFailed fires for the failing job" \
		wait_for 30 firing CronguardJobFailed ",job=\"$via-fail\""
done
check "pg: the failure alert carries the exit status, the state and the labels" \
	prom_has 'ALERTS{alertstate="firing",alertname="CronguardJobFailed",job="pg-fail"} * on (job, instance) group_left () cronguard_last_run_exit_code' \
	'"instance": "h1", "job": "pg-fail", "role": "db", "severity": "warning", "state": "failure"}, "value": "3"'
# The alerts above came from rule evaluations that also saw every other run.
check "a fleet-wide job run on three hosts (and on two exporters) is no double" \
	none 'ALERTS{alertname="CronguardJobRanOnSeveralHosts",job=~".*-fleet"}'
check "no double-run alert but for the exclusive jobs run twice" \
	none 'ALERTS{alertname="CronguardJobRanOnSeveralHosts",job!~".*-double"}'
check "no CronguardJobFailed for the healthy jobs" none 'ALERTS{alertname="CronguardJobFailed",job!~".*-fail"}'
check "no missing alert for jobs that just succeeded" none 'ALERTS{alertname="CronguardJobMissing",job!~".*-skipall"}'
check "no never-succeeded, slow or late alert" none 'ALERTS{alertname=~"CronguardJob(NeverSucceeded|Slow|Late)"}'
check "the skipped-everywhere job's limit is its two periods" \
	prom_has 'job:cronguard_success_age_limit_seconds{job="pg-skipall"}' '"value": "2"'
pg h1 -n pg-fail --label role=db -- true
tf 1 -n tf-fail -- true
for via in pg tf; do
	check "$via: CronguardJobFailed clears after the next successful run" \
		wait_for 30 none "ALERTS{alertname=\"CronguardJobFailed\",job=\"$via-fail\"}"
done

done_testing
