#!/bin/bash
# System test of contrib/prometheus/cronguard.rules.yml:
# - promtool check rules, and promtool test rules with cronguard.rules.test.yml (each alert
#   firing and not firing);
# - the unit tests catch broken rules: mutants of the rules file must fail them;
# - every metric the rules read is one the Pushgateway/textfile sink writes (src/sink_pushgateway.c);
# - end to end: the built cronguard pushes real runs to a real Pushgateway, a real Prometheus
#   scrapes it as the README says (honor_labels) and evaluates the rules: a failing job and a
#   job run on two hosts fire their alerts, a healthy job fires none.
# Needs promtool, prometheus and prometheus-pushgateway (Debian: prometheus,
# prometheus-pushgateway; installed here when missing and root).
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
	's/max by \(job\) \(cronguard_last_success_timestamp_seconds\)\)/min by (job) (cronguard_last_success_timestamp_seconds))/'
mutant "missing ignores a job's own threshold" \
	's/max by \(job\) \(job:cronguard_max_success_age_seconds\)$/max by (job) (job:cronguard_max_success_age_seconds) * 1000/m'
mutant "unlabelled jobs get the hourly threshold" \
	's/(max_success_age_seconds\n\s+expr: )vector\(26 \* 3600\)\n\n/${1}vector(2 * 3600)\n\n/'
mutant "unlabelled jobs get the daily double-run window" \
	's/(double_run_window_seconds\n\s+expr: )vector\(1800\)\n\n/${1}vector(12 * 3600)\n\n/'
mutant "a single host counts as a double run" 's/^          \) > 1$/          ) > 0/m'
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

# ---- End to end with the real servers.
start_pushgateway
start_prometheus "$RULES"
ok "pushgateway and prometheus (rules loaded, honor_labels) started on 127.0.0.1"
st=$T_TMP/state
run() { "$CRONGUARD" --no-syslog --state-dir "$st/$1" --pushgateway "$PG" "${@:2}"; }
run h1 -n e2e-fail --host h1 --label role=db -- sh -c 'exit 3'
check "a failing run exits 3" test $? -eq 3
run h1 -n e2e-ok --host h1 -- true
run h1 -n e2e-double --host h1 --label period=daily -- true
run h2 -n e2e-double --host h2 --label period=daily -- true
run h1 -n e2e-hourly --host h1 --label period=hourly -- true
check "the runs reached the Pushgateway" \
	sh -c "curl -s '$PG/metrics' | grep -q 'cronguard_last_run_start_timestamp_seconds{.*job=\"e2e-double\"'"

firing() { prom_has "ALERTS{alertstate=\"firing\",alertname=\"$1\"$2}" .; }
none() { # EXPR: the query works and returns nothing
	local out
	out=$(prom_query "$1") || return 1
	[ -z "$out" ] || { echo "$out" | sed 's/^/#   /'; return 1; }
}
check "CronguardJobFailed fires for the failing job, with its exit status and state" \
	wait_for 30 prom_has 'ALERTS{alertstate="firing",alertname="CronguardJobFailed"} * on (job, instance) group_left () cronguard_last_run_exit_code' \
	'"instance": "h1", "job": "e2e-fail", "role": "db", "severity": "warning", "state": "failure"}, "value": "3"'
check "CronguardJobRanOnSeveralHosts fires for the job run on h1 and h2" \
	wait_for 30 firing CronguardJobRanOnSeveralHosts ',job="e2e-double"'
# The alerts above came from a rule evaluation that also saw every other run.
check "no CronguardJobFailed for the healthy jobs" none 'ALERTS{alertname="CronguardJobFailed",job!="e2e-fail"}'
check "no double-run alert for jobs run on one host" \
	none 'ALERTS{alertname="CronguardJobRanOnSeveralHosts",job!="e2e-double"}'
check "no missing, never-succeeded or slow alert for jobs that just succeeded" \
	none 'ALERTS{alertname=~"CronguardJob(Missing|Slow|NeverSucceeded)"}'

done_testing
