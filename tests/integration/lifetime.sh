#!/usr/bin/env bash
# The whole job lives and dies inside the guard: cronguard SIGKILLed with a lock held, timeouts
# and leftovers of the process group, the state written under the lock, signals (pending before
# the start, to a stopped command, SIGXFSZ, SIGALRM and kin), a stalled stdout reader, a
# terminal, the command's own maxrss, and what the command inherits (descriptors, environment).
# Compound checks run through eval in single quotes, group members are word-split lists of
# pids, and a pipe into sleep is the stalled reader:
# shellcheck disable=SC2016,SC2086,SC2034,SC2216
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/lib.sh"
. "${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/etcd_lib.sh"

[ "$(id -u)" -eq 0 ] || skip_all "the lifetime tests look at every process of a group: run as root"
for tool in python3 script etcd etcdctl ss curl; do
	command -v "$tool" >/dev/null || skip_all "$tool is not installed"
done
HTTPFAKE=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}/tests/integration/httpfake.py
export CRONGUARD_NO_SYSLOG=yes
: >"$T_TMP/empty.conf"
export CRONGUARD_CONFIG="$T_TMP/empty.conf"
export CRONGUARD_STATE_DIR="$T_TMP/state"
ST=$T_TMP/state

# live PID: the process exists and is not a zombie (nobody may reap the killed ones here).
live() { [ -r "/proc/$1/stat" ] && ! awk '{ exit !($3 == "Z" || $3 == "X") }' "/proc/$1/stat" 2>/dev/null; }
none_live() {
	local p
	for p; do live "$p" && return 1; done
	return 0
}
# group_of PID: every process in PID's process group (zombies too).
group_of() { pgrep -g "$1" | tr '\n' ' '; }
# child_of PARENT NAME: the first child of PARENT called NAME.
child_of() { pgrep -P "$1" -x "$2" | head -n 1; }
state_of() { json_get "$ST/$1.json" 'd["last_run"]["state"]'; }
# reap_bg PID SECONDS: waits for a background cronguard; RC its status, 255 if still running.
reap_bg() {
	if wait_for "$2" sh -c "! kill -0 $1 2>/dev/null || awk '{ exit \$3 != \"Z\" }' /proc/$1/stat"; then
		wait "$1"
		RC=$?
	else
		kill -KILL "$1" 2>/dev/null
		wait "$1" 2>/dev/null
		RC=255
	fi
}
# kill_all PID...: ends what a failed check left behind.
kill_all() { kill -KILL "$@" 2>/dev/null || true; }

# --- A. cronguard SIGKILLed with the lock held: the whole group dies before the lock is free ----
L=$T_TMP/a.lock
"$CRONGUARD" -n kill3 --lock-file "$L" -- sh -c 'sleep 100 & sleep 100 & wait' &
cgp=$!
wait_for 5 sh -c "[ \$(pgrep -g \$(pgrep -P $cgp -x sh | head -n 1) 2>/dev/null | wc -l) -ge 3 ]"
leader=$(child_of "$cgp" sh)
members=$(group_of "$leader")
# The next run records, from inside its own command, which of the three still lived then.
kill -KILL "$cgp"
wait "$cgp" 2>/dev/null
for _ in $(seq 1 200); do
	"$CRONGUARD" -n kill3 --lock-file "$L" -- sh -c "for p in $members; do [ -r /proc/\$p/stat ] && awk '{ if (\$3 != \"Z\") print \$1 }' /proc/\$p/stat; done > '$T_TMP/a.seen'; echo ran >> '$T_TMP/a.seen'"
	[ -e "$T_TMP/a.seen" ] && break
	sleep 0.02
done
check "SIGKILL of cronguard: all three processes of the group die" wait_for 5 none_live $members
check "SIGKILL of cronguard: the next run on the lock started only after all three were dead" \
	[ "$(cat "$T_TMP/a.seen" 2>/dev/null)" = ran ]
kill_all $members

# The keeper itself is killed (the OOM killer picks from every process): cronguard starts a new
# one, so a later SIGKILL of cronguard still ends the group.
"$CRONGUARD" -n keeperkill --lock-file "$T_TMP/a2.lock" -- sh -c 'sleep 100 & wait' &
cgp=$!
wait_for 5 sh -c "[ \$(pgrep -g \$(pgrep -P $cgp -x sh | head -n 1) 2>/dev/null | wc -l) -ge 2 ]"
leader=$(child_of "$cgp" sh)
members=$(group_of "$leader")
keeper=$(pgrep -P "$cgp" | grep -vx "$leader" | head -n 1)
check "with a lock, a keeper runs beside the command" [ -n "$keeper" ]
[ -n "$keeper" ] && kill -KILL "$keeper"
wait_for 5 sh -c "k=\$(pgrep -P $cgp | grep -vx '$leader' | head -n 1); [ -n \"\$k\" ] && [ \"\$k\" != '$keeper' ]"
kill -KILL "$cgp"
wait "$cgp" 2>/dev/null
check "keeper killed, then cronguard: the group still dies" wait_for 5 none_live $members
kill_all $members

# --- A/B. What the command leaves in its group does not outlive the run -------------------------
cg -n leftover -- sh -c "sleep 100 & echo \$! > '$T_TMP/left.pid'; exit 0"
left=$(cat "$T_TMP/left.pid")
check "a process left in the group gets TERM when the command exits; exit 0, state success" eval '[ "$RC" -eq 0 ] && none_live "$left" && [ "$(state_of leftover)" = success ]'
kill_all "$left"
# One that escapes with setsid(2) is outside the guard, as documented.
cg -n escaped -- sh -c "setsid sleep 100 & echo \$! > '$T_TMP/esc.pid'; sleep 0.2"
esc=$(cat "$T_TMP/esc.pid")
check "a process that leaves the group with setsid is not killed" live "$esc"
kill_all "$esc"

# --- B. After --timeout, KILL reaches the group even when its leader is gone ----------------------
cg -n tgroup -t 1 --kill-after 1 -- sh -c "sh -c 'trap \"\" TERM; echo \$\$ > \"$T_TMP/ign.pid\"; while :; do sleep 0.1; done' & sleep 100"
ign=$(cat "$T_TMP/ign.pid")
check "timeout: a TERM-ignoring member is KILLed after --kill-after though the leader died at TERM" \
	none_live "$ign"
check "timeout: cronguard returned only then (exit 124, $MS ms >= 2000)" \
	[ "$RC" -eq 124 -a "$MS" -ge 2000 -a "$MS" -lt "$(t_slow 6000)" ]
kill_all "$ign"

# --- C. The state is written before the lock is released ---------------------------------------
# A slow failing run (its held output replays into a pipe nobody reads yet) and a later
# success waiting for the lock: the later success must be the last record.
mkfifo "$T_TMP/ord.fifo"
"$CRONGUARD" -n order --lock-file "$T_TMP/c.lock" -q -- sh -c 'head -c 300000 /dev/zero; exit 1' \
	>"$T_TMP/ord.fifo" 2>/dev/null &
slow=$!
exec 9<>"$T_TMP/ord.fifo"   # a reader that reads nothing until told
wait_for 5 grep -qs "pid=$slow" "$T_TMP/c.lock"
"$CRONGUARD" -n order --lock-file "$T_TMP/c.lock" --lock-wait 20s -- true &
fast=$!
reap_bg "$fast" 20
fast_rc=$RC
cat <&9 >/dev/null &
drainer=$!
reap_bg "$slow" 10
exec 9<&-
kill "$drainer" 2>/dev/null
wait "$drainer" 2>/dev/null
check "slow failure, then a later success: the success is the last run recorded" eval '[ "$fast_rc" -eq 0 ] && [ "$(state_of order)" = success ] &&
	[ "$(json_get "$ST/order.json" '\''d["consecutive_failures"]'\'')" -eq 0 ]'

# --- D. Signals -------------------------------------------------------------------------------
start_bg "$T_TMP/fake.out" python3 "$HTTPFAKE" serve --port-file "$T_TMP/fake.port" --log "$T_TMP/fake.log"
wait_for 10 test -s "$T_TMP/fake.port"
FAKE=http://127.0.0.1:$(cat "$T_TMP/fake.port")

# TERM to a stopped command: TERM and CONT, so it ends.
"$CRONGUARD" -n stopped -- sh -c 'kill -STOP $$; sleep 100' &
cgp=$!
wait_for 5 sh -c "p=\$(pgrep -P $cgp -x sh); [ -n \"\$p\" ] && awk '{ exit \$3 != \"T\" }' /proc/\$p/stat"
stopped_sh=$(child_of "$cgp" sh)
kill -TERM "$cgp"
reap_bg "$cgp" 5
check "TERM to a stopped command is followed by CONT: it ends, exit 143, state signaled" eval '[ "$RC" -eq 143 ] && [ "$(state_of stopped)" = signaled ]'
kill_all "$stopped_sh"

# A file-size limit with --quiet: the held output stops at the limit (EFBIG), cronguard lives on.
(ulimit -f 64 && exec "$CRONGUARD" -n xfsz -q -- sh -c 'head -c 200000 /dev/zero; exit 0') 2>"$T_TMP/xfsz.err"
RC=$?
check "ulimit -f with --quiet: no SIGXFSZ, exit 0, state success" eval '[ "$RC" -eq 0 ] && [ "$(state_of xfsz)" = success ]'
(ulimit -f 64 && exec "$CRONGUARD" -n xfsz -q -- sh -c 'head -c 200000 /dev/zero; exit 3') >"$T_TMP/xfsz.out" 2>"$T_TMP/xfsz.err"
RC=$?
check "ulimit -f with --quiet, failing: exit 3, state failure, the held output replayed up to the limit" eval '[ "$RC" -eq 3 -a "$(stat -c %s "$T_TMP/xfsz.out")" -eq 65536 ] && [ "$(state_of xfsz)" = failure ]'

# SIGALRM and the other signals whose default would end cronguard without a record.
# (valgrind treats a SEGV or BUS sent by kill as a fault of the program, whatever its mask:
# those two only run natively.)
sigs="ALRM VTALRM PROF IO PWR"
in_memcheck || sigs="$sigs SEGV BUS"
for sig in $sigs; do
	"$CRONGUARD" -n "sig$sig" -- sh -c "touch '$T_TMP/sig$sig.up'; sleep 0.5" &
	cgp=$!
	wait_for 5 test -e "$T_TMP/sig$sig.up"
	kill -"$sig" "$cgp"
	reap_bg "$cgp" 5
	check "SIG$sig to cronguard: the run goes on and is recorded (exit 0, state success)" eval '[ "$RC" -eq 0 ] && [ "$(state_of "sig$sig")" = success ]'
done

# --- E. A stalled stdout reader does not stop the timeout ----------------------------------------
t0=$(now_ms)
{
	"$CRONGUARD" -n y -t 2 --report-timeout 1s --webhook http://127.0.0.1:1/ -- yes 2>"$T_TMP/y.err"
	echo "$? $(($(now_ms) - t0))" >"$T_TMP/y.rc"
} | sleep 8 &
piper=$!
wait_for 10 test -s "$T_TMP/y.rc"
read -r y_rc y_ms <"$T_TMP/y.rc" || y_rc=none
check "stalled stdout reader: --timeout 2s still ends the run, exit 124 in $y_ms ms (< 5000)" eval '[ "$y_rc" = 124 ] && [ "$y_ms" -lt "$(t_slow 5000)" ] && [ "$(state_of y)" = timeout ]'
check "stalled stdout reader: one line says output was dropped" grep -q 'stdout was not read' "$T_TMP/y.err"
kill "$piper" 2>/dev/null
wait "$piper" 2>/dev/null
# A slow reader that keeps reading loses nothing.
"$CRONGUARD" -n slowreader --report-timeout 1s --webhook http://127.0.0.1:1/ -- head -c 3000000 /dev/zero 2>/dev/null |
	(sleep 1; wc -c) >"$T_TMP/slow.count"
check "slow stdout reader: every byte arrives" [ "$(cat "$T_TMP/slow.count")" -eq 3000000 ]

# --- F. Run by hand on a terminal ---------------------------------------------------------------
printf 'hello\nworld\n' | timeout 10 script -qec \
	"$CRONGUARD -n tty -- sh -c 'read x; echo got:\$x'; read y; echo after:\$y" /dev/null >"$T_TMP/tty.out" 2>&1
check "on a terminal: the command reads it (no SIGTTIN stop)" grep -q 'got:hello' "$T_TMP/tty.out"
check "on a terminal: the shell gets it back afterwards" grep -q 'after:world' "$T_TMP/tty.out"

# A stop from the terminal is noticed and passed up: cronguard stops too (a shell would show
# the job stopped) and, continued as by `fg`, continues the command.
# (A shell in between: script(1) itself reacts when its own child stops.)
cat >"$T_TMP/tstp.sh" <<EOF
"$CRONGUARD" -n tstp -- sh -c 'echo \$PPID > "$T_TMP/tstp.cg"; kill -TSTP \$\$; echo resumed'
echo after
EOF
timeout 20 script -qec "sh '$T_TMP/tstp.sh'" /dev/null >"$T_TMP/tstp.out" 2>&1 &
scr=$!
wait_for 5 test -s "$T_TMP/tstp.cg"
tstp_cg=$(cat "$T_TMP/tstp.cg")
check "a command stopped from the terminal is noticed: cronguard stops with it" \
	wait_for 5 sh -c "awk '{ exit \$3 != \"T\" }' /proc/$tstp_cg/stat"
kill -CONT "$tstp_cg"
wait_for 5 grep -q resumed "$T_TMP/tstp.out"
check "continued, cronguard gives the terminal back to the command and continues it" grep -q resumed "$T_TMP/tstp.out"
wait_for 5 grep -q after "$T_TMP/tstp.out"
check "and the shell has the terminal again afterwards" grep -q after "$T_TMP/tstp.out"
wait "$scr" 2>/dev/null
kill_all "$tstp_cg"

# A process that escaped the group and keeps writing to the copied output does not hold the
# run open.
cg -n escwriter --webhook http://127.0.0.1:1/ --report-timeout 1s -- \
	sh -c "setsid sh -c 'echo \$\$ > \"$T_TMP/escw.pid\"; exec yes' & sleep 0.3"
check "an escaped process writing on does not hold cronguard ($MS ms < 5000)" [ "$MS" -lt "$(t_slow 5000)" ]
kill_all "$(cat "$T_TMP/escw.pid")"

# --- G. maxrss_kb is the command's own -----------------------------------------------------------
cg -n rss --ping "$FAKE/200" --report-timeout 2s -- /bin/true
rss=$(json_get "$ST/rss.json" 'd["last_run"].get("maxrss_kb", 0)')
check "maxrss of /bin/true with a ping configured is small or absent ($rss kB < 4000)" [ "$rss" -lt 4000 ]
cg -n bigrss --ping "$FAKE/200" --report-timeout 2s -- python3 -c 'import time; x = bytearray(64 << 20); x[::4096] = b"x" * len(x[::4096]); time.sleep(1.5)'
rss=$(json_get "$ST/bigrss.json" 'd["last_run"].get("maxrss_kb", 0)')
check "maxrss of a command touching 64 MiB is its own ($rss kB in [65536, 100000])" [ "$rss" -ge 65536 -a "$rss" -lt 100000 ]

# --- H. Descriptors and environment -------------------------------------------------------------
etcd_cluster 1 || bail_out "etcd starts"
at_exit etcd_stop_all
# SIGKILL of cronguard holding the cluster lock: the group is dead at once, long before the
# lease (30 s) could expire and let another host in.
"$CRONGUARD" -n ckill --etcd "${ETCD_EP[1]}" --cluster-lock -- sh -c 'sleep 100 & sleep 100 & wait' &
cgp=$!
wait_for 10 sh -c "[ \$(pgrep -g \$(pgrep -P $cgp -x sh | head -n 1) 2>/dev/null | wc -l) -ge 3 ]"
members=$(group_of "$(child_of "$cgp" sh)")
kill -KILL "$cgp"
wait "$cgp" 2>/dev/null
check "SIGKILL of cronguard under --cluster-lock: the three processes die within a second" \
	wait_for 1 none_live $members
kill_all $members
cg -n fds --etcd "${ETCD_EP[1]}" --cluster-lock --lock-file "$T_TMP/h.lock" -- sh -c 'ls /proc/$$/fd' 7>"$T_TMP/seven"
check "the command gets descriptors 0, 1 and 2 only (etcd, lock, inherited 7: closed)" eval '[ "$RC" -eq 0 ] && [ "$(echo $OUT)" = "0 1 2" ]'
# A TERM that arrives while a gate's request is on its way and then succeeds (here etcd's
# --once-per claim, etcd frozen meanwhile): the command is not run, state error, 128+15.
kill -STOP "${ETCD_PID[1]}"
"$CRONGUARD" -n pending --etcd "${ETCD_EP[1]}" --once-per 1h -- sh -c "touch '$T_TMP/pending.ran'; sleep 1" 2>"$T_TMP/pending.err" &
cgp=$!
etcd_port=${ETCD_EP[1]##*:}
wait_for 5 sh -c "ss -tnpH state established '( dport = :$etcd_port )' | grep -q 'pid=$cgp,'"
kill -TERM "$cgp"
sleep 0.2
kill -CONT "${ETCD_PID[1]}"
reap_bg "$cgp" 15
check "TERM pending before the command starts: not run, exit 143, state error" eval '[ "$RC" -eq 143 -a ! -e "$T_TMP/pending.ran" ] && [ "$(state_of pending)" = error ]'

# The /start ping goes out beside the command: a black-holed endpoint (a listening socket that
# never answers) does not delay the start, and all the reporting stays within one deadline.
t0=$(now_ms)
cg -n blackhole --ping "$FAKE/hang" --report-timeout 4s -- sh -c "echo \$((\$(date +%s%N) / 1000000)) > '$T_TMP/bh.start'"
started=$(($(cat "$T_TMP/bh.start") - t0))
check "black-holed /start ping: the command started within $started ms (< 1000)" [ "$started" -lt "$(t_slow 1000)" ]
check "black-holed /start ping: the whole run took $MS ms, within one --report-timeout (< 5000)" \
	[ "$MS" -lt "$(t_slow 5000)" ]

# Under a cluster gate, CG_FENCING_TOKEN is the revision that created the lock key, and grows.
fence_cmd="echo \$CG_FENCING_TOKEN > \"$T_TMP/fence.\$1\"; ETCDCTL_API=3 etcdctl --endpoints=${ETCD_EP[1]} get /cronguard/lock/fence -w json > \"$T_TMP/fence.\$1.json\""
cg -n fence --etcd "${ETCD_EP[1]}" --cluster-lock -- sh -c "$fence_cmd" sh 1
cg -n fence --etcd "${ETCD_EP[1]}" --cluster-lock -- sh -c "$fence_cmd" sh 2
tok1=$(cat "$T_TMP/fence.1" 2>/dev/null)
tok2=$(cat "$T_TMP/fence.2" 2>/dev/null)
check "CG_FENCING_TOKEN is the lock key's create_revision ($tok1), and the next holder's is higher ($tok2)" eval '
	[ -n "$tok1" ] && [ "$tok1" = "$(json_get "$T_TMP/fence.1.json" '\''d["kvs"][0]["create_revision"]'\'')" ] &&
	[ "$tok2" = "$(json_get "$T_TMP/fence.2.json" '\''d["kvs"][0]["create_revision"]'\'')" ] && [ "$tok2" -gt "$tok1" ]'
cg -n fenceonce --etcd "${ETCD_EP[1]}" --once-per 1h -- sh -c 'echo "$CG_FENCING_TOKEN"'
check "under --once-per alone, CG_FENCING_TOKEN is the claim's revision ($OUT)" eval '[ "$RC" -eq 0 ] && [ "$OUT" -gt "$tok2" ]'
cg -n nofence -- sh -c 'echo "${CG_FENCING_TOKEN-unset}"'
check "without a cluster gate, no CG_FENCING_TOKEN" [ "$OUT" = unset ]
CRONGUARD_LOCK_FILE=$T_TMP/h2.lock CRONGUARD_TIMEOUT=1h cg -n outer -- sh -c "env > '$T_TMP/env.out'"
check "the command's environment has no CRONGUARD_* variables" eval '[ "$RC" -eq 0 ] && ! grep -q '\''^CRONGUARD_'\'' "$T_TMP/env.out"'
check "the command gets CG_JOB and CG_RUN_ID (the record's run id)" eval 'grep -qx '\''CG_JOB=outer'\'' "$T_TMP/env.out" &&
	grep -qx "CG_RUN_ID=$(json_get "$ST/outer.json" '\''d["last_run"]["run_id"]'\'')" "$T_TMP/env.out"'
CRONGUARD_LOCK_FILE=$T_TMP/h2.lock cg -n outer -- "$CRONGUARD" -n inner --state-dir "$ST" --no-syslog \
	-c "$T_TMP/empty.conf" -- touch "$T_TMP/inner.ran"
check "a nested cronguard inside a --lock-file job is not skipped" [ "$RC" -eq 0 -a -e "$T_TMP/inner.ran" ]

# --- I. etcd frozen while a TERM-ignoring command holds the cluster lock: it is KILLed before
# the lease can expire (TTL 3 s from the last renewal, which came before the freeze), however
# long --kill-after is.
"$CRONGUARD" -n frozen --etcd "${ETCD_EP[1]}" --cluster-lock --etcd-ttl 3s --kill-after 60s -- \
	sh -c "trap '' TERM; echo \$\$ > '$T_TMP/frozen.pid'; while :; do sleep 0.1; done" 2>"$T_TMP/frozen.err" &
cgp=$!
wait_for 10 test -s "$T_TMP/frozen.pid"
frozen=$(cat "$T_TMP/frozen.pid")
sleep 1.2   # a keepalive or two go through first
kill -STOP "${ETCD_PID[1]}"
t_freeze=$(now_ms)
wait_for 10 sh -c "! kill -0 $frozen 2>/dev/null || awk '{ exit !(\$3 == \"Z\") }' /proc/$frozen/stat"
t_dead=$(($(now_ms) - t_freeze))
kill -CONT "${ETCD_PID[1]}"
reap_bg "$cgp" 20
check "etcd frozen: the TERM-ignoring command was KILLed before the lease could expire ($t_dead ms < 3000)" \
	[ "$t_dead" -lt 3000 ]
check "etcd frozen: the run is a failure that names the lost lock" eval '[ "$RC" -eq 137 ] && grep -q "lost the cluster lock" "$ST/frozen.json"'
kill_all "$frozen"

# --- J. A keepalive that hangs (etcd frozen, TTL 9 s: the keepalive at 3 s waits up to 3 s)
# never holds up the run loop: a TERM to cronguard, or --timeout, reaches the command at once.
# hung_keepalive NAME ARGS...: the command writes its start and its TERM times (ms), with
# bash's clock, so that a second TERM cannot kill a date(1) half-way through the trap.
hung_keepalive() {
	local name=$1
	shift
	"$CRONGUARD" -n "$name" --etcd "${ETCD_EP[1]}" --cluster-lock --etcd-ttl 9s "$@" -- \
		bash -c 'ms() { local t=${EPOCHREALTIME/./}; echo "${t%???}"; }
			ms > "$0.start"
			trap '\''ms > "$0.term"; exit 0'\'' TERM
			while :; do sleep 0.05; done' "$T_TMP/$name" 2>"$T_TMP/$name.err" &
	cgp=$!
	wait_for 10 test -s "$T_TMP/$name.start"
	sleep 0.5
	kill -STOP "${ETCD_PID[1]}"
}
hung_keepalive katerm
sleep 3   # the keepalive of second 3 is on its way, and hangs
t_term=$(now_ms)
kill -TERM "$cgp"
wait_for 5 test -s "$T_TMP/katerm.term"
kill -CONT "${ETCD_PID[1]}"
reap_bg "$cgp" 10
delay=$(($(cat "$T_TMP/katerm.term" 2>/dev/null || echo 99999999999999) - t_term))
check "a hung keepalive does not hold up a TERM: forwarded in $delay ms (< 500)" [ "$delay" -lt "$(t_slow 500)" ]
hung_keepalive katime --timeout 3500ms
wait_for 8 test -s "$T_TMP/katime.term"
kill -CONT "${ETCD_PID[1]}"
reap_bg "$cgp" 10
ran=$(($(cat "$T_TMP/katime.term" 2>/dev/null || echo 99999999999999) - $(cat "$T_TMP/katime.start")))
check "a hung keepalive does not hold up --timeout 3500ms: TERM after $ran ms (< 4200)" \
	[ "$ran" -lt "$(t_slow 4200)" ]
check "... the run is a timeout (124)" [ "$RC" -eq 124 ]

# --- K. Two hosts on one cluster lock, one of them with a /start ping slower than the lease's
# TTL (2 s): the lease is kept while the ping is out, so the other host's command never runs
# beside this one's. Each command writes its host, start and end (ms) when it ends or is
# TERMed.
span_cmd='ms() { local t=${EPOCHREALTIME/./}; echo "${t%???}"; }
	s=$(ms); : >"$1.$0"; trap '\''echo "$0 $s $(ms)" >> "$1"; exit 0'\'' TERM
	sleep 4 & wait; echo "$0 $s $(ms)" >> "$1"'
"$CRONGUARD" -n twohosts --host hosta --etcd "${ETCD_EP[1]}" --cluster-lock --etcd-ttl 2s \
	--ping "$FAKE/delay:3000" --report-timeout 8s -- bash -c "$span_cmd" hosta "$T_TMP/spans" \
	2>"$T_TMP/hosta.err" &
cga=$!
wait_for "$(t_slow 10)" test -e "$T_TMP/spans.hosta"
"$CRONGUARD" -n twohosts --host hostb --etcd "${ETCD_EP[1]}" --cluster-lock --etcd-ttl 2s \
	--lock-wait 20s -- bash -c "$span_cmd" hostb "$T_TMP/spans" 2>"$T_TMP/hostb.err" &
cgb=$!
reap_bg "$cga" 30
reap_bg "$cgb" 30
overlap=$(sort -k2 -n "$T_TMP/spans" 2>/dev/null | awk 'NR > 1 && $2 < end { o = 1 } { if ($3 > end) end = $3 } END { print NR == 2 ? o + 0 : "runs: " NR }')
check "two hosts, a /start ping slower than the TTL: the commands never overlap ($(tr '\n' ';' <"$T_TMP/spans" 2>/dev/null))" \
	[ "$overlap" = 0 ]

done_testing
