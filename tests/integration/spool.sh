#!/bin/bash
# System test of the spool's delivery rules and of the HTTP client's wire behaviour: the built
# cronguard against the tests' own HTTP server (httpfake.py), which records every request and
# misbehaves on purpose (slow, 500 for one body, 404 for a while then 200, a redirect loop,
# 500 then 200, a 307 from https to http).
#
# Each numbered case of the spool's issue has its section: (1) no record sent by two runs,
# (2) one refused record holds back no other and is set aside after 5 refusals, (3) a 404 or
# 401 drops nothing, (4) a large spool is flushed in one run and costs one request while the
# receiver is down, (5) an outage is syslog only, (6) each sink's own answer table. Then the
# regressions (a retry resends the whole body, an empty body is Content-Length: 0), a
# directory named like an entry, the https-to-http redirect, and a stress test of overlapping
# runs. Exit status: 0 all passed, 1 a check failed, 77 python3, openssl or strace is missing
# (a failure instead under CI=true).

# Checks run through check(), and eval'd strings expand later:
# shellcheck disable=SC2016,SC2317
# shellcheck source=tests/integration/report_lib.sh
. "$(dirname "$0")/report_lib.sh"

need_binary python3
need_binary openssl
need_binary strace
need_binary unshare


start_fake main
HPORT=$PORT
H=http://127.0.0.1:$PORT
LOG=$T_TMP/main.log
setmode() { curl -s -o /dev/null -X POST "$H/_mode?key=$1&mode=$2"; }
q() { python3 "$HTTPFAKE" query "$@"; }
count() { q "$LOG" --key "$1" --print count; }
run_id_of() { python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["last_run"]["run_id"])' "$2/$1.json"; }
# How often run id $2 reached key $1 (requests received, answered or not).
received() { q "$LOG" --key "$1" --print run_id | grep -c "^$2$"; }
delivered() { q "$LOG" --key "$1" --ok --print run_id | grep -c "^$2$"; }
spooled() { find "$1/spool" -maxdepth 1 -type f -name '0*' | wc -l; }
deadn() { find "$1/spool/dead" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }

# ---- (1) a record is owned by one run at a time ----
# A sends and holds its record for 1.5 s; B starts meanwhile and sends its own; C starts when
# A has ended, while B's record is still in flight: C must leave it to B.

S1=$T_TMP/s1
setmode one delay:1500
W1=(--state-dir "$S1" --report-timeout 10s --webhook "$H/one/h")
"$CRONGUARD" -n dup "${W1[@]}" -- true >"$T_TMP/a.err" 2>&1 &
A=$!
wait_for 10 test "$(count one)" -ge 1
"$CRONGUARD" -n dup "${W1[@]}" -- true >"$T_TMP/b.err" 2>&1 &
B=$!
wait_for 10 test "$(count one)" -ge 2
wait "$A"
"$CRONGUARD" -n dup "${W1[@]}" -- true >"$T_TMP/c.err" 2>&1 &
C=$!
wait "$B"
wait "$C"
check "(1) three overlapping runs: three records received, each once" test \
	"$(q "$LOG" --key one --print run_id | sort | uniq -c | awk '{ print $1 }' | sort -u | tr '\n' ' ')$(count one)" = "1 3"
check "(1) and the spool is empty" test "$(spooled "$S1")" = 0

# A killed sender's record is picked up by a later run, once.
setmode kill hang
"$CRONGUARD" -n killed --state-dir "$S1" --report-timeout 30s --webhook "$H/kill/h" -- true >/dev/null 2>&1 &
K=$!
wait_for 10 test "$(count kill)" -ge 1
kill -KILL "$K"
wait "$K" 2>/dev/null
RID_K=$(run_id_of killed "$S1")
setmode kill 200
cg -n killed --state-dir "$S1" --webhook "$H/kill/h" -- true
check "(1) a killed sender's record is sent by the next run, and delivered once" eval \
	'rc_is 0 && stderr_empty && test "$(delivered kill "$RID_K")" = 1 && test "$(spooled "$S1")" = 0'

# ---- (2) no head-of-line blocking; dead letters ----
# The receiver answers 500 to any body holding POISON (a document it cannot take), 200 to
# others; a second receiver loops its redirects for one body.

S2=$T_TMP/s2
setmode hol poison:POISON:500
cg -n hol --state-dir "$S2" --report-timeout "$(t_slow 3)s" --webhook "$H/hol/h" -- echo POISON
RID_P=$(run_id_of hol "$S2")
check "(2) the refused record is kept for later, quietly" eval 'rc_is 0 && stderr_empty && test "$(spooled "$S2")" = 1'
DEAD_LINES=0
for i in 1 2 3 4; do
	cg -n hol --state-dir "$S2" --report-timeout "$(t_slow 3)s" --webhook "$H/hol/h" -- echo "fine $i"
	RID=$(run_id_of hol "$S2")
	check "(2) run $i after it: its own record is delivered at once" eval \
		'rc_is 0 && test "$(delivered hol "$RID")" = 1'
	DEAD_LINES=$((DEAD_LINES + $(grep -c "refused 5 times .* moved to .*/dead" "$ERR_FILE")))
	[ "$i" -lt 4 ] && check "(2) run $i: stderr quiet while the record waits" stderr_empty
done
check "(2) after 5 refusals the record is in the dead-letter directory, said once on stderr" eval \
	'test "$DEAD_LINES" = 1 && test "$(deadn "$S2")" = 1 && test "$(spooled "$S2")" = 0 && ls "$S2/spool/dead" | grep -q "$RID_P"'
TRIES_P=$(received hol "$RID_P")
cg -n hol --state-dir "$S2" --webhook "$H/hol/h" -- echo "fine 5"
check "(2) the dead letter is tried no more" eval 'stderr_empty && test "$(received hol "$RID_P")" = "$TRIES_P"'

S2B=$T_TMP/s2b
setmode loop poison:LOOP:307
cg -v -n loop --state-dir "$S2B" --report-timeout "$(t_slow 3)s" --webhook "$H/loop/h" -- echo LOOP
RID_L=$(run_id_of loop "$S2B")
check "(2) a redirect loop: not followed, one request, kept" eval \
	'stderr_has "HTTP 307 (redirects are not followed" && test "$(received loop "$RID_L")" = 1 && test "$(spooled "$S2B")" = 1'
cg -n loop --state-dir "$S2B" --report-timeout "$(t_slow 3)s" --webhook "$H/loop/h" -- echo next
RID=$(run_id_of loop "$S2B")
check "(2) a redirect loop: the next record is delivered at once" eval 'rc_is 0 && stderr_empty && test "$(delivered loop "$RID")" = 1'

# ---- (3) an answer that may be transient drops nothing ----
# Three failures spooled while the receiver is down (503), then 404 for a while, then 200.

S3=$T_TMP/s3
setmode nf 503
RIDS3=()
for i in 1 2 3; do
	cg -n nf --state-dir "$S3" --report-timeout 1s --webhook "$H/nf/h" -- sh -c 'exit 1'
	RIDS3+=("$(run_id_of nf "$S3")")
done
check "(3) three failures spooled while the receiver is down" test "$(spooled "$S3")" = 3
setmode nf fail:3:404
cg -n nf --state-dir "$S3" --report-timeout "$(t_slow 3)s" --webhook "$H/nf/h" -- sh -c 'exit 1'
RIDS3+=("$(run_id_of nf "$S3")")
check "(3) a 404 drops nothing" eval 'test "$(spooled "$S3")" -ge 1 && test "$(( $(spooled "$S3") + $(q "$LOG" --key nf --ok --print count) ))" = 4'
setmode nf fail:1:401
cg -n nf --state-dir "$S3" --report-timeout "$(t_slow 3)s" --webhook "$H/nf/h" -- sh -c 'exit 1'
RIDS3+=("$(run_id_of nf "$S3")")
cg -n nf --state-dir "$S3" --report-timeout "$(t_slow 3)s" --webhook "$H/nf/h" -- true
RIDS3+=("$(run_id_of nf "$S3")")
ALL1=1
for rid in "${RIDS3[@]}"; do [ "$(delivered nf "$rid")" = 1 ] || { ALL1=0; echo "# $rid delivered $(delivered nf "$rid") times"; }; done
check "(3) after 404 and 401 for a while, every record delivered exactly once, none dropped" eval \
	'test "$ALL1" = 1 && test "$(spooled "$S3")" = 0 && test "$(deadn "$S3")" = 0'

# ---- (4) a large spool: flushed in one run; one request while the receiver is down ----
# Against httpsink.py, which answers at once (httpfake.py manages a few hundred a second).

rm -f "$T_TMP/sink.port"
start_bg "$T_TMP/sink.log" python3 "$top_srcdir/tests/integration/httpsink.py" --port-file "$T_TMP/sink.port"
wait_for 10 test -s "$T_TMP/sink.port" || bail_out "httpsink starts"
HK=http://127.0.0.1:$(cat "$T_TMP/sink.port")
sink_count() { curl -s "$HK/_count"; }
S4=$T_TMP/s4
N4=2000
in_memcheck && N4=300   # under valgrind a run's CPU is ~30 times dearer
python3 "$top_srcdir/tests/integration/spoolgen.py" "$S4/spool" big "$N4" "$HK/big/h"
curl -s -o /dev/null -X POST "$HK/_status/503"
strace -f -qq -e trace=openat,open -o "$T_TMP/s4.strace" \
	"$CRONGUARD" -n big --state-dir "$S4" --spool-max 100000 --report-timeout 2s --webhook "$HK/big/h" -- true 2>"$T_TMP/s4.err"
read -r _ _ _ ALL4 < <(sink_count)
check "(4) receiver down, $N4 pending: one record tried (this run's, with its retries)" test "$ALL4" -le 5
check "(4) receiver down, $N4 pending: at most 2 spool records opened, not all" test \
	"$(grep -c 'open[at]*([^"]*"[^"]*0[0-9]\{19\}-big-' "$T_TMP/s4.strace")" -le 2
curl -s -o /dev/null -X POST "$HK/_status/204"
cg -n big --state-dir "$S4" --spool-max 100000 --report-timeout "$(t_slow 10)s" --webhook "$HK/big/h" -- true
read -r OK4 DISTINCT4 DUP4 _ < <(sink_count)
check "(4) receiver back: all $((N4 + 2)) records delivered once, in one run, within the deadline" eval \
	'rc_is 0 && stderr_empty && within_ms $(t_slow 10000) && test "$(spooled "$S4")" = 0 && test "$OK4 $DISTINCT4 $DUP4" = "$((N4 + 2)) $((N4 + 2)) 0"'

# ---- (5) a monitoring outage is quiet: syslog only ----
# The run's /dev/log is a socket of ours, in a private mount namespace.

python3 - "$T_TMP/devlog" "$T_TMP/syslog.txt" >"$T_TMP/devlog.out" 2>&1 <<'EOF' &
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
os.chmod(sys.argv[1], 0o666)
with open(sys.argv[2], "ab", buffering=0) as f:
    while True:
        f.write(s.recv(65536).replace(b"\n", b" ") + b"\n")
EOF
SYSLOGD=$!
at_exit "stop_bg $SYSLOGD"
wait_for 10 test -S "$T_TMP/devlog"
cat >"$T_TMP/with-syslog" <<EOF
#!/bin/sh
exec "$WITH_DEVLOG" "$T_TMP/devlog" env CRONGUARD_NO_SYSLOG=no "$CRONGUARD" "\$@"
EOF
chmod +x "$T_TMP/with-syslog"
S5=$T_TMP/s5
setmode out 503
CRONGUARD_REAL=$CRONGUARD
CRONGUARD=$T_TMP/with-syslog
# The /start ping has half of the deadline: under valgrind the rest must still see the 503s.
cg -n outage --state-dir "$S5" --report-timeout "$(t_slow 1)s" --webhook "$H/out/h" --pushgateway "$H/out" \
	--ping "$H/out/ping" -- true
CRONGUARD=$CRONGUARD_REAL
check "(5) receivers down: exit 0 and not a byte on stderr (cron mails none)" eval 'rc_is 0 && stderr_empty'
check "(5) the failures and the spooling are in syslog" eval \
	'wait_for 5 grep -q "report to webhook .*failed: HTTP 503.*spooled for a later run" "$T_TMP/syslog.txt" && grep -q "report to pushgateway .*HTTP 503" "$T_TMP/syslog.txt"'
cg -v -n outage --state-dir "$S5" --report-timeout 1s --webhook "$H/out/h" -- true
check "(5) with -v they are on stderr too" stderr_has "report to webhook .*failed: HTTP 503.*spooled for a later run"
setmode drop 422
cg -n dropped --state-dir "$S5" --webhook "$H/drop/h" -- true
check "(5) a record dropped is said on stderr, once" eval \
	'test "$(grep -c "refused it: record of run .* dropped" "$ERR_FILE")" = 1'

# ---- (6) each sink's table ----

S6=$T_TMP/s6
setmode ix500 500
cg -v -n ix --state-dir "$S6" --report-timeout "$(t_slow 3)s" --influx "$H/ix500/write?db=x" -- true
check "(6) influx 500 (a missing retention policy): not retried, kept, never dropped" eval \
	'test "$(count ix500)" = 1 && stderr_has "HTTP 500" && test "$(spooled "$S6")" = 1'
setmode wh500 fail:1:500
cg -n wh --state-dir "$S6" --report-timeout "$(t_slow 3)s" --webhook "$H/wh500/h" -- true
check "(6) webhook 500 then 200: retried inside the run, delivered" eval \
	'rc_is 0 && stderr_empty && test "$(count wh500)" = 2 && test "$(q "$LOG" --key wh500 --ok --print count)" = 1'
setmode ix400 400
cg -n ix4 --state-dir "$S6" --report-timeout "$(t_slow 3)s" --influx "$H/ix400/write?db=x" -- true
check "(6) influx 400 (a bad line): dropped, said on stderr" eval \
	'stderr_has "record of run .* dropped" && test -z "$(find "$S6/spool" -name "*-ix4-*")"'

# ---- the runitor regressions: whole bodies on retries, Content-Length: 0 ----

setmode retry fail:2:500
cg -n retry --state-dir "$T_TMP/s7" --report-timeout "$(t_slow 5)s" --webhook "$H/retry/h" -- echo some output
check "a retried request resends the whole body, Content-Length matching, never chunked" python3 - "$LOG" <<'EOF'
import json, sys
ev = [e for e in map(json.loads, open(sys.argv[1])) if e["key"] == "retry" and e["event"] == "recv"]
ok = len(ev) == 3 and len({e["body"] for e in ev}) == 1 and len(ev[0]["body"]) > 100
ok = ok and all(int(e["headers"].get("content-length", -1)) == len(e["body"].encode("latin-1"))
                and not e["chunked"] for e in ev)
print("# %r" % [(e["headers"].get("content-length"), len(e["body"]), e["chunked"]) for e in ev]) if not ok else None
sys.exit(0 if ok else 1)
EOF
setmode empty 200
cg -n empty --state-dir "$T_TMP/s7" --ping "$H/empty/c" -- true
check "an empty body (the /start ping) is sent with Content-Length: 0, not chunked" python3 - "$LOG" <<'EOF'
import json, sys
ev = [e for e in map(json.loads, open(sys.argv[1])) if e["key"] == "empty" and e["event"] == "recv"]
start = [e for e in ev if "/start" in e["path"]]
ok = len(start) == 1 and start[0]["headers"].get("content-length") == "0" and not start[0]["chunked"] \
    and "transfer-encoding" not in start[0]["headers"]
print("# %r" % start) if not ok else None
sys.exit(0 if ok else 1)
EOF

# ---- a directory named like an entry: set aside once, then quiet ----

S8=$T_TMP/s8
mkdir -p "$S8/spool/00000000000000000001-dirjob-x.webhook"
chmod 700 "$S8/spool"
cg -n d8 --state-dir "$S8" --webhook "$H/okd8/h" -- true
check "a directory named like an entry: said once, moved to the dead-letter directory" eval \
	'stderr_has "00000000000000000001-dirjob-x.webhook is not a readable record; moved to" && test -d "$S8/spool/dead/00000000000000000001-dirjob-x.webhook"'
cg -n d8 --state-dir "$S8" --webhook "$H/okd8/h" -- true
check "a directory named like an entry: the next run is quiet, the spool clear of it" eval \
	'rc_is 0 && stderr_empty && test ! -e "$S8/spool/00000000000000000001-dirjob-x.webhook"'

# ---- https never redirects to http ----

openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
	-addext subjectAltName=IP:127.0.0.1 -keyout "$T_TMP/key.pem" -out "$T_TMP/cert.pem" \
	>"$T_TMP/openssl.log" 2>&1 || bail_out "openssl makes a test certificate"
start_fake tls --tls "$T_TMP/cert.pem" "$T_TMP/key.pem"
HS=https://127.0.0.1:$PORT
curl -s -o /dev/null --cacert "$T_TMP/cert.pem" -X POST "$HS/_mode?key=down&mode=goto:$HPORT"
S9=$T_TMP/s9
cg -v -n tls --state-dir "$S9" --ca-file "$T_TMP/cert.pem" --report-timeout "$(t_slow 3)s" \
	--webhook "$HS/down/h" -- echo secret output
check "https answering 307 to http://: nothing reaches the http server" test "$(count down)" = 0
check "https answering 307 to http://: not counted delivered, the record kept" eval \
	'test "$(q "$T_TMP/tls.log" --key down --print count)" = 1 && stderr_has "HTTP 307" && test "$(spooled "$S9")" = 1'

# ---- libcurl's sockets are close-on-exec: the command inherits none ----
# The etcd gate keeps its connection open while the command runs.

if command -v etcd >/dev/null 2>&1; then
	# shellcheck source=tests/integration/etcd_lib.sh
	. "$top_srcdir/tests/integration/etcd_lib.sh"
	at_exit "etcd_stop_all; rm -rf '$ETCD_WORK'"
	etcd_cluster 1 || bail_out "etcd starts"
	# The command itself looks its sockets up in /proc/net while they are open: a TCP one is
	# etcd's connection (libcurl's wakeup socketpair is AF_UNIX, closed by run.c's
	# close_range).
	cg -n fds --state-dir "$T_TMP/s10" --etcd "${ETCD_EP[1]}" --cluster-lock -- sh -c '
		for f in /proc/$$/fd/*; do
			l=$(readlink "$f")
			case $l in socket:*) i=${l#socket:[}; i=${i%]}
				grep -qs " $i " /proc/net/tcp /proc/net/tcp6 && echo "tcp ${f##*/} $l" ;;
			esac
		done
		echo checked'
	check "the command inherits no TCP socket of libcurl's (etcd's connection)" eval \
		'rc_is 0 && test "$OUT" = checked || { echo "$OUT" | sed "s/^/#   /"; false; }'
elif [ "${CI:-}" = true ]; then
	not_ok "etcd is not installed: the close-on-exec check cannot run"
fi

# ---- stress: 20 overlapping runs of one job against a slow receiver, 10 rounds ----

ROUNDS=10 NRUNS=20
# Under valgrind 20 runs take a minute, and 20 at once queue on the state directory's lock
# for longer than its 5 s bound: fewer, once.
in_memcheck && ROUNDS=1 NRUNS=6
SS=$T_TMP/ss
setmode stress delay:300
T0=$(now_ms)
for ((r = 0; r < ROUNDS; r++)); do
	pids=()
	for ((i = 0; i < NRUNS; i++)); do
		"$CRONGUARD" -n stress --state-dir "$SS" --report-timeout "$(t_slow 20)s" \
			--webhook "$H/stress/h" -- true >>"$T_TMP/stress.err" 2>&1 &
		pids+=($!)
		[ $((i % 5)) = 4 ] && sleep 0.05   # overlapping, not all at one instant
	done
	wait "${pids[@]}"
done
cg -n stress --state-dir "$SS" --webhook "$H/stress/h" -- true
check "stress: $((ROUNDS * NRUNS + 1)) runs, each record received exactly once, none left" python3 - "$LOG" "$((ROUNDS * NRUNS + 1))" "$(spooled "$SS")" <<'EOF'
import collections, json, sys
ev = [e for e in map(json.loads, open(sys.argv[1])) if e["key"] == "stress" and e["event"] == "recv"]
c = collections.Counter(json.loads(e["body"])["run_id"] for e in ev)
ok = len(c) == int(sys.argv[2]) and set(c.values()) == {1} and sys.argv[3] == "0"
print("# %d run ids, counts %r, %s left" % (len(c), collections.Counter(c.values()), sys.argv[3])) if not ok else None
sys.exit(0 if ok else 1)
EOF
check "stress: no run printed anything" eval '[ ! -s "$T_TMP/stress.err" ] || { sed "s/^/#   /" "$T_TMP/stress.err" | head -n 20; false; }'
echo "# stress took $(($(now_ms) - T0)) ms"

done_testing
