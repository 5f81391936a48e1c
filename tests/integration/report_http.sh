#!/bin/bash
# System test of --ping, --webhook, an InfluxDB 2.x-style write, TLS and delivery faults: the
# built cronguard against the tests' own HTTP server (httpfake.py), which records every request
# and misbehaves on demand (refuse, hang, slow body, 500, 429 then 200, reset, 400).
#
# In every fault the command's exit status is unchanged, cronguard ends within the report
# timeout plus 2 s (T_SLOW times that under memcheck), the failure is logged, and spooled records reach the server on a later
# run, each exactly once. Exit status: 0 all passed, 1 a check failed, 77 python3 or openssl
# is missing (a failure instead under CI=true).

# Checks run through check(), and eval'd strings and the job's sh -c scripts expand later:
# shellcheck disable=SC2016,SC2317
# shellcheck source=tests/integration/report_lib.sh
. "$(dirname "$0")/report_lib.sh"

need_binary python3
need_binary openssl

TIMEOUT_S=2
LIMIT_MS=$((TIMEOUT_S * 1000 + $(t_slow 2000)))
UUID_RE='^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$'

# ---- servers ----


start_fake main
H=http://127.0.0.1:$PORT
LOG=$T_TMP/main.log

openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
	-addext subjectAltName=IP:127.0.0.1 -keyout "$T_TMP/key.pem" -out "$T_TMP/cert.pem" \
	>"$T_TMP/openssl.log" 2>&1 || bail_out "openssl makes a test certificate"
start_fake tls --tls "$T_TMP/cert.pem" "$T_TMP/key.pem"
HS=https://127.0.0.1:$PORT

setmode() { curl -s -o /dev/null -X POST "$H/_mode?key=$1&mode=$2"; }
q() { python3 "$HTTPFAKE" query "$@"; }
count() { q "$LOG" --key "$@" --print count; }
run_id_of() { python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["last_run"]["run_id"])' "$ST/$1.json"; }

ST=$T_TMP/state

# libcurl is opened at run time, by the runs that report: linking it would cost every run.
check "the binary does not link libcurl" eval '! ldd "$CRONGUARD" | grep -q libcurl'

# ---- ping: the healthchecks protocol ----

cg -n p1 --state-dir "$ST" --ping "$H/okping/check1" -- sh -c 'echo hello'
check "ping success: exit 0, nothing logged" eval 'rc_is 0 && no_diag'
mapfile -t PATHS < <(q "$LOG" --key okping --print path)
RID=$(run_id_of p1)
check "ping success: /start then /0, both with ?rid=RUN_ID" test \
	"${PATHS[*]}" = "/okping/check1/start?rid=$RID /okping/check1/0?rid=$RID"
check "ping: rid is a canonical UUID v4" grep -Eq "$UUID_RE" <<<"$RID"
check "ping: the start has no body, the final one is the output" eval \
	'q "$LOG" --key okping --print body | cmp -s - <(printf "hello\n")'
check "ping: POST with a cronguard User-Agent" test \
	"$(q "$LOG" --key okping --print json | python3 -c 'import json, sys; print(set((e["method"], e["headers"]["user-agent"].split("/")[0]) for e in map(json.loads, sys.stdin)))')" \
	= "{('POST', 'cronguard')}"

cg -n p2 --state-dir "$ST" --ping "$H/okping/check2/" -- sh -c 'exit 3'
check "ping failure: exit status 3 unchanged" rc_is 3
check "ping failure: /3" test "$(q "$LOG" --key okping --print path | tail -1)" = "/okping/check2/3?rid=$(run_id_of p2)"

cg -n p3 --state-dir "$ST" --success-exit 0,24 --ping "$H/okping/check3" -- sh -c 'exit 24'
check "--success-exit 0,24 and exit 24: exit status 24, pinged as a success (/0)" eval \
	'rc_is 24 && test "$(q "$LOG" --key okping --print path | tail -1)" = "/okping/check3/0?rid=$(run_id_of p3)"'

cg -n p4 --state-dir "$ST" --timeout 1 --ping "$H/okping/check4" -- sleep 30
check "timeout: exit 124, pinged /124" eval \
	'rc_is 124 && test "$(q "$LOG" --key okping --print path | tail -1)" = "/okping/check4/124?rid=$(run_id_of p4)"'

setmode lim limit:100
cg -n p5 --state-dir "$ST" --ping "$H/lim/check5" -- seq 1 500
BODY=$T_TMP/p5.body
q "$LOG" --key lim --print body >"$BODY"
check "Ping-Body-Limit 100 honoured: body of at most 100 bytes" test "$(wc -c <"$BODY")" -le 100
check "Ping-Body-Limit: head and tail kept, middle elided" eval \
	'head -c 2 "$BODY" | grep -q "^1$" && grep -q "bytes elided" "$BODY" && test "$(tail -c 4 "$BODY")" = "500"'

# ---- skips and --fail-after: the alerting sinks stay quiet ----

start_bg "$T_TMP/holder.log" "$CRONGUARD" --no-syslog -n holder --state-dir "$T_TMP/holder" \
	--lock-file "$T_TMP/job.lock" -- sh -c "touch '$T_TMP/held'; exec sleep 30"
HOLDER=$LAST_PID
check "lock holder is running" wait_for 10 test -e "$T_TMP/held"
cg -n skipper --state-dir "$ST" --lock-file "$T_TMP/job.lock" --ping "$H/skipkey/c" \
	--webhook "$H/skipkey/hook" -- true
stop_bg "$HOLDER"
check "skip: exit 0, nothing sent to ping nor webhook" eval 'rc_is 0 && no_diag && test "$(count skipkey)" = 0'

FA=(-n fa --state-dir "$ST" --fail-after 2 --ping "$H/fa/c" --webhook "$H/fahook/h")
cg "${FA[@]}" -- sh -c 'exit 3'
check "--fail-after 2, first failure: no ping, no webhook" eval 'rc_is 3 && test "$(count fa)$(count fahook)" = 00'
cg "${FA[@]}" -- sh -c 'exit 3'
check "--fail-after 2, second failure: /3 and a webhook" eval \
	'test "$(q "$LOG" --key fa --print path)" = "/fa/c/3?rid=$(run_id_of fa)" && test "$(count fahook)" = 1'
cg "${FA[@]}" -- true
check "--fail-after 2, then a success: /0 and a webhook" eval \
	'test "$(q "$LOG" --key fa --print path | tail -1)" = "/fa/c/0?rid=$(run_id_of fa)" && test "$(count fahook)" = 2'

# ---- webhook: one JSON document ----

cg -n w1 --state-dir "$ST" --label team=db --webhook "$H/okhook/w1" -- sh -c 'echo out; exit 2'
check "webhook: exit 2 unchanged, nothing logged" eval 'rc_is 2 && no_diag'
check "webhook: Content-Type application/json" test "$(q "$LOG" --key okhook --print header:content-type)" = application/json
check "webhook: every field of the record" python3 - "$(q "$LOG" --key okhook --print body)" "$(run_id_of w1)" <<'EOF'
import json, sys
d = json.loads(sys.argv[1])
want = {"job": "w1", "state": "failure", "success": False, "exit_code": 2, "run_id": sys.argv[2],
        "labels": {"team": "db"}, "output": "out\n", "consecutive_failures": 1, "signal": None,
        "reason": None, "last_success_us": None}
bad = {k: (d.get(k), v) for k, v in want.items() if d.get(k) != v}
for k in ("host", "start_us", "end_us", "duration_us", "maxrss_kb", "start_time", "end_time"):
    if k not in d:
        bad[k] = "missing"
if not d["end_us"] >= d["start_us"] > 1.6e15:
    bad["times"] = (d["start_us"], d["end_us"])
print("# " + repr(bad)) if bad else None
sys.exit(1 if bad else 0)
EOF

# ---- InfluxDB 2.x write (the token header), against the recorder ----

printf 'sekrit-token\n' >"$T_TMP/token"
chmod 600 "$T_TMP/token"   # readable by every user, it would be warned about
cg -n ix --state-dir "$ST" --influx "$H/v2ok/api/v2/write?org=o&bucket=b" \
	--influx-token-file "$T_TMP/token" -- true
check "influx 2.x: delivered, nothing logged" eval 'rc_is 0 && no_diag'
check "influx 2.x: Authorization: Token from the file" test "$(q "$LOG" --key v2ok --print header:authorization)" = "Token sekrit-token"
check "influx 2.x: precision=ms in the URL" test "$(q "$LOG" --key v2ok --print path)" = "/v2ok/api/v2/write?org=o&bucket=b&precision=ms"
check "influx 2.x: one point of measurement cronguard" grep -Eq '^cronguard,host=[^ ]+,job=ix,state=success exit_code=0i,.* [0-9]{13}$' \
	<<<"$(q "$LOG" --key v2ok --print body)"

printf 'pw\n' >"$T_TMP/pw"
cg -n ib --state-dir "$ST" --influx "$H/v1ok/write?db=x" --influx-user bob --influx-password-file "$T_TMP/pw" -- true
check "influx 1.x: Basic auth in a header, no u= nor p= in the URL (URLs reach logs)" eval \
	'rc_is 0 && test "$(q "$LOG" --key v1ok --print path)" = "/v1ok/write?db=x&precision=ms" && test "$(q "$LOG" --key v1ok --print header:authorization)" = "Basic Ym9iOnB3"'

# ---- faults: the exit status stays, the deadline holds, the failure is logged and spooled ----

declare -A SPOOLED   # run id -> the key its webhook was meant for
declare -A JOB_URL   # job -> its webhook URL, for the runs that deliver the spool

# A spooled record is resent only by a later run of its job. A record kept for later is
# logged to syslog only (spool.sh checks that stderr stays quiet): -v shows it here.
fault() { # NAME URL EXPECTED-LOG-TEXT [JOB]
	local name=$1 url=$2 why=$3 job=${4:-f_$1}
	cg -v -n "$job" --state-dir "$ST" --report-timeout "${TIMEOUT_S}s" --webhook "$url" -- sh -c 'exit 7'
	check "$name: exit status 7 unchanged" rc_is 7
	check "$name: done within the report timeout + $(t_slow 2) s" within_ms "$LIMIT_MS"
	check "$name: logged: $why" eval 'stderr_has "report to webhook (http://127.0.0.1:[0-9]*) failed: .*$why" && stderr_has "spooled for a later run"'
	SPOOLED[$(run_id_of "$job")]=$url
	JOB_URL[$job]=$url
}

DEAD_PORT=$(free_port)
fault refused "http://127.0.0.1:$DEAD_PORT/late/h" "Couldn't connect\|Failed to connect"
for k in hang slow err500 reset; do setmode "$k" "${k/err/}"; done
fault hang "$H/hang/h" "timed out\|no answer"
fault slow "$H/slow/h" "timed out\|no answer"
fault 500 "$H/err500/h" "HTTP 500"
check "500: retried with backoff inside the deadline" test "$(count err500)" -ge 3
fault reset "$H/reset/h" "reset\|Recv failure\|transfer closed\|partial"
# Two records for one URL, to see them delivered oldest first.
setmode down 503
fault down-1 "$H/down/h" "HTTP 503" f_down
RID_DOWN_1=$(run_id_of f_down)
# Records are independent: the second is tried on its own; the receiver is down, so the
# first is left alone by this run.
fault down-2 "$H/down/h" "HTTP 503" f_down
RID_DOWN_2=$(run_id_of f_down)

setmode w429 fail:1:429
cg -n f_429 --state-dir "$ST" --report-timeout "${TIMEOUT_S}s" --webhook "$H/w429/h" -- sh -c 'exit 7'
check "429 then 200: delivered on the retry, no failure logged, exit 7" eval \
	'rc_is 7 && stderr_lacks "report to webhook" && test "$(count w429)" = 2 && test "$(q "$LOG" --key w429 --ok --print count)" = 1'

setmode w400 400
cg -n f_400 --state-dir "$ST" --report-timeout "${TIMEOUT_S}s" --webhook "$H/w400/h" -- sh -c 'exit 7'
check "400: exit 7, logged as refused, not retried, not spooled" eval \
	'rc_is 7 && stderr_has "HTTP 400: answer 400" && stderr_has "the server refused it: record of run .* dropped" && test "$(count w400)" = 1 && test -z "$(find "$ST/spool" -name "*-f_400-*")"'

setmode pinghang hang
cg -v -n f_ping --state-dir "$ST" --report-timeout "${TIMEOUT_S}s" --ping "$H/pinghang/c" -- sh -c 'exit 7'
# The start ping and the final ping are each bounded by the report timeout.
check "hanging ping: exit 7, start and final ping logged, done within 2 timeouts + 2 s" eval \
	'rc_is 7 && within_ms $((LIMIT_MS + TIMEOUT_S * 1000)) && stderr_has "report to ping .* failed: .* (start)" && test "$(grep -c "report to ping" "$ERR_FILE")" = 2'

setmode v2down 503
cg -v -n f_influx --state-dir "$ST" --report-timeout "${TIMEOUT_S}s" --influx "$H/v2down/api/v2/write?org=o&bucket=b" \
	--influx-token-file "$T_TMP/token" -- sh -c 'exit 7'
check "influx 503: exit 7, logged and spooled" eval 'rc_is 7 && stderr_has "report to influx .* failed: HTTP 503" && stderr_has "spooled"'

# Killed while reporting: the record was written to the spool before it was sent, so the
# next run still delivers it.
setmode killhang hang
"$CRONGUARD" --no-syslog -n f_kill --state-dir "$ST" --report-timeout 30s --webhook "$H/killhang/h" \
	-- true >/dev/null 2>&1 &
KPID=$!
received() { [ "$(count killhang)" -ge 1 ]; }
wait_for 10 received
kill -KILL "$KPID"
wait "$KPID" 2>/dev/null
check "killed while reporting: its webhook record is already in the spool" \
	test -n "$(find "$ST/spool" -name '*-f_kill-*.webhook')"
SPOOLED[$(run_id_of f_kill)]=$H/killhang/h
JOB_URL[f_kill]=$H/killhang/h

# A refusal that counts (the 500) is in the name: .webhook.1.
check "spool: one file per undelivered timestamped record, none for pings" test \
	"$(find "$ST/spool" -type f -name '*.webhook*' | wc -l) $(find "$ST/spool" -type f -name '*.influx*' | wc -l) $(find "$ST/spool" -type f ! -name '*.webhook*' ! -name '*.influx*' | wc -l)" = "8 1 0"
check "spool: the directory is private (0700)" test "$(stat -c %a "$ST/spool")" = 700
check "secrets: the token is in no log line and no spool file" eval \
	'! grep -rq sekrit "$T_TMP"/run*.err "$ST/spool"'

# ---- the next runs deliver the spool: nothing lost, nothing twice ----

for k in hang slow err500 reset down v2down killhang; do setmode "$k" 200; done
start_fake late --port "$DEAD_PORT"
for job in "${!JOB_URL[@]}"; do
	cg -n "$job" --state-dir "$ST" --report-timeout 10s --webhook "${JOB_URL[$job]}" -- true
	check "next run of $job: exit 0, nothing logged" eval 'rc_is 0 && no_diag'
done
cg -n f_influx --state-dir "$ST" --report-timeout 10s \
	--influx "$H/v2down/api/v2/write?org=o&bucket=b" --influx-token-file "$T_TMP/token" -- true
check "next run of f_influx: exit 0, nothing logged" eval 'rc_is 0 && no_diag'
check "next runs: the spool is empty" test -z "$(ls -A "$ST/spool")"
delivered_once() { # RUN_ID URL
	local log=$LOG
	[[ $2 == *":$DEAD_PORT/"* ]] && log=$T_TMP/late.log
	local n
	n=$(q "$log" --ok --print run_id 2>/dev/null | grep -c "^$1$")
	[ "$n" = 1 ] || { echo "# $1 delivered $n times to $2"; return 1; }
}
for rid in "${!SPOOLED[@]}"; do
	check "spooled record ${SPOOLED[$rid]##*/127.0.0.1:} delivered exactly once" delivered_once "$rid" "${SPOOLED[$rid]}"
done
# Records are independent (each has its own timestamp and run id): no order is promised,
# both arrived.
check "both records for one URL delivered" test \
	"$(q "$LOG" --key down --ok --print run_id | grep -c -e "^$RID_DOWN_1$" -e "^$RID_DOWN_2$")" = 2
check "spooled influx point resent with the token read now" eval \
	'test "$(q "$LOG" --key v2down --ok --print header:authorization | sort -u)" = "Token sekrit-token" && test "$(q "$LOG" --key v2down --ok --print count)" = 2'
BEFORE=$(q "$LOG" --ok --print count)
cg -n flush2 --state-dir "$ST" --webhook "$H/okhook/flush2" -- true
check "a further run sends its own record and nothing else" test "$(q "$LOG" --ok --print count)" = $((BEFORE + 1))

# ---- TLS: verified unless told otherwise ----

# The /start ping has half of the deadline: under valgrind a TLS handshake needs more.
cg -n t1 --state-dir "$ST" --report-timeout "$(t_slow "$TIMEOUT_S")s" --ping "$HS/tlsok/c" -- true
check "TLS, self-signed: exit 0, refused with a certificate error" eval \
	'rc_is 0 && stderr_has "report to ping (https://127.0.0.1:[0-9]*) failed: .*certificate"'
check "TLS, self-signed: no request got through" test "$(q "$T_TMP/tls.log" --print count)" = 0
cg -n t2 --state-dir "$ST" --ca-file "$T_TMP/cert.pem" --ping "$HS/tlsok/c" -- true
check "TLS with --ca-file: delivered, nothing logged" eval 'rc_is 0 && no_diag && test "$(q "$T_TMP/tls.log" --ok --print count)" = 2'
cg -n t3 --state-dir "$ST" --insecure --ping "$HS/tlsok/c" -- true
check "TLS with --insecure: delivered" eval 'rc_is 0 && no_diag && test "$(q "$T_TMP/tls.log" --ok --print count)" = 4'

done_testing
