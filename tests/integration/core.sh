#!/usr/bin/env bash
# System tests of the core: the built binary against real children, locks and signals.
. "${top_srcdir:-.}/tests/lib.sh"

export CRONGUARD_STATE_DIR="$T_TMP/state"
export CRONGUARD_NO_SYSLOG=yes
: >"$T_TMP/empty.conf"
chmod 600 "$T_TMP/empty.conf"
export CRONGUARD_CONFIG="$T_TMP/empty.conf"
L="$T_TMP/job.lock"

# --- exit statuses -------------------------------------------------------------------------
for c in 0 1 2 3 42 100 123 124 125 200 255; do
	cg -n sweep -- sh -c "exit $c"
	check "exit $c passes through" [ "$RC" -eq "$c" ]
done
check "a failure is recorded as failure" [ "$(json_get "$CRONGUARD_STATE_DIR/sweep.json" 'd["last_run"]["state"]')" = failure ]

for s in TERM KILL SEGV HUP; do
	n=$(kill -l "$s")
	cg -n sig -- sh -c "kill -$s \$\$"
	check "killed by SIG$s gives $((128 + n))" [ "$RC" -eq $((128 + n)) ]
done
check "a signal is recorded as signaled" [ "$(json_get "$CRONGUARD_STATE_DIR/sig.json" 'd["last_run"]["state"]')" = signaled ]

# --- exec failures ---------------------------------------------------------------------------
touch "$T_TMP/ran"; rm -f "$T_TMP/ran"
cg -n ex -- /nonexistent/command
check "missing command: 127" [ "$RC" -eq 127 ]
check "missing command: one stderr line naming it" [ "$(printf '%s\n' "$ERR" | wc -l)" -eq 1 -a -n "$(printf '%s' "$ERR" | grep -F '/nonexistent/command')" ]
cg -n ex -- no-such-command-in-path
check "command not in PATH: 127" [ "$RC" -eq 127 ]
printf 'echo hi\n' >"$T_TMP/noexec"
chmod 644 "$T_TMP/noexec"
cg -n ex -- "$T_TMP/noexec"
check "not executable: 126" [ "$RC" -eq 126 ]
cg -n ex -- /tmp
check "a directory: 126" [ "$RC" -eq 126 ]
check "exec failure is recorded as exec_failed" [ "$(json_get "$CRONGUARD_STATE_DIR/ex.json" 'd["last_run"]["state"]')" = exec_failed ]

# --- timeout ---------------------------------------------------------------------------------
cg -n to --timeout 300ms -- sleep 10
check "timeout: 124" [ "$RC" -eq 124 ]
check "timeout: ends between 300 and $(t_slow 1500) ms (took ${MS})" [ "$MS" -ge 300 -a "$MS" -lt "$(t_slow 1500)" ]
check "timeout is recorded as timeout" [ "$(json_get "$CRONGUARD_STATE_DIR/to.json" 'd["last_run"]["state"]')" = timeout ]
cg -n to --timeout 200ms --kill-after 500ms -- sh -c 'trap "" TERM; while :; do sleep 0.05; done'
check "timeout + KILL of a TERM-ignorer: 124" [ "$RC" -eq 124 ]
check "timeout + KILL: ends between 700 and $(t_slow 2500) ms (took ${MS})" [ "$MS" -ge 700 -a "$MS" -lt "$(t_slow 2500)" ]
marker="cg-grandchild-$$-$RANDOM"
cg -n to --timeout 300ms -- sh -c "bash -c 'exec -a $marker sleep 30' & wait"
check "timeout reaches the whole process group" wait_for 2 sh -c "! pgrep -f '^$marker' >/dev/null"

# --- argument passthrough --------------------------------------------------------------------
cg -n args -- printf '%s|' -a --foo "a b" "'q'" '"d"' '%' '100%' '$HOME' '*' ''
check "arguments reach the command unchanged" [ "$OUT" = "-a|--foo|a b|'q'|\"d\"|%|100%|\$HOME|*||" ]
cg -n args -s 0 -- printf '%s|' --splay 5m -n x
check "options after the command are the command's" [ "$OUT" = "--splay|5m|-n|x|" ]

# --- stdio pass-through and --quiet ----------------------------------------------------------
cg -n io -- sh -c 'echo out; echo err >&2'
check "stdout passes through" [ "$OUT" = out ]
check "stderr passes through" [ "$ERR" = err ]
echo piped | "$CRONGUARD" -n io -- cat >"$T_TMP/stdin.out"
check "stdin passes through" [ "$(cat "$T_TMP/stdin.out")" = piped ]
cg -n q -q -- sh -c 'echo out; echo err >&2'
check "--quiet: silent on success" [ -z "$OUT" -a -z "$ERR" -a "$RC" -eq 0 ]
cg -n q -q -- sh -c 'echo out; echo err >&2; exit 4'
check "--quiet: output shown on failure" [ "$OUT" = out -a "$(head -n 1 "$ERR_FILE")" = err -a "$RC" -eq 4 ]
cg -n q -q --success-exit 0,24 -- sh -c 'echo vanished; exit 24'
check "--quiet with --success-exit 0,24: exit 24 is a success, silent" [ -z "$OUT" -a "$RC" -eq 24 ]
check "--success-exit decides the state" [ "$(json_get "$CRONGUARD_STATE_DIR/q.json" 'd["last_run"]["state"]')" = success ]

# --- lock ------------------------------------------------------------------------------------
# The one that wins holds the lock until all the others have ended, however slowly they start.
rm -f "$T_TMP/runs"
pids=()
for i in $(seq 1 30); do
	"$CRONGUARD" -n contend --lock-file "$L" -- \
		sh -c "echo \$\$ >> '$T_TMP/runs'; until [ -e '$T_TMP/release' ]; do sleep 0.05; done" &
	pids+=($!)
done
wait_for 60 alive_at_most 1 "${pids[@]}"
touch "$T_TMP/release"
rcs=0
for p in "${pids[@]}"; do wait "$p" || rcs=$((rcs + 1)); done
check "30 concurrent invocations, one lock: exactly one ran" [ "$(wc -l <"$T_TMP/runs")" -eq 1 ]
check "the other 29 skipped with exit 0" [ "$rcs" -eq 0 ]

# The holder holds long enough for two more runs to start (under memcheck, seconds).
"$CRONGUARD" -n lk --lock-file "$L" -- sleep "$(t_slow 1)" &
holder=$!
# (The last holder's line stays after its release: wait for this holder's own.)
wait_for "$(t_slow 5)" grep -q "^pid=$holder " "$L"
check "the lock file names its holder" grep -q "^pid=$holder start=[0-9]* uid=$(id -u) host=" "$L"
cg -n lk --lock-file "$L" --skip-exit 75 -- touch "$T_TMP/should-not"
check "busy lock: --skip-exit 75" [ "$RC" -eq 75 -a ! -e "$T_TMP/should-not" ]
check "busy lock: silent (cron mails any output)" [ -z "$OUT" -a -z "$ERR" ]
check "a skip is recorded as skipped_locked" [ "$(json_get "$CRONGUARD_STATE_DIR/lk.json" 'd["last_run"]["state"]')" = skipped_locked ]
check "with the holder as the reason" grep -q "held by pid=$holder" "$CRONGUARD_STATE_DIR/lk.json"
cg -n lk --lock-file "$L" --lock-wait "$(t_slow 5)s" -- touch "$T_TMP/waited"
check "--lock-wait: ran once the holder finished" [ "$RC" -eq 0 -a -e "$T_TMP/waited" ]
wait "$holder"
cg -n lk --lock-file "$L" -- sh -c 'ls -l /proc/$$/fd | grep -c job.lock || true'
check "the command does not inherit the lock fd" [ "$OUT" = 0 ]
# The lock is free the moment a run returns, though its keeper (which holds a copy of the
# lock while the command runs) may not have exited yet: back-to-back runs never skip.
skips=0
b2b=100
in_memcheck && b2b=10   # a run there takes ~0.6 s; ten say the same
for i in $(seq 1 "$b2b"); do
	"$CRONGUARD" -n b2b --lock-file "$L" --skip-exit 75 -- true || skips=$((skips + 1))
done
check "back-to-back locked runs: none found the lock held ($skips skipped)" [ "$skips" -eq 0 ]
# Overlapping runs of one job without a lock: the long one read the state file as its command
# started, three others saved it meanwhile; its own save still counts every run.
cg -n overlap -- true
"$CRONGUARD" -n overlap -- sh -c "touch '$T_TMP/overlap-up'; until [ -e '$T_TMP/overlap-go' ]; do sleep 0.05; done" &
long=$!
wait_for "$(t_slow 5)" test -e "$T_TMP/overlap-up"
sleep 0.2
for i in 1 2 3; do cg -n overlap -- true; done
touch "$T_TMP/overlap-go"
wait "$long"
check "overlapping runs without a lock: every run counted" \
	[ "$(json_get "$CRONGUARD_STATE_DIR/overlap.json" 'd["runs"]')" -eq 5 ]
ln -s "$T_TMP/target" "$T_TMP/link.lock"
cg -n lk --lock-file "$T_TMP/link.lock" -- touch "$T_TMP/should-not"
check "a symlinked lock file is refused: 125, command not run" [ "$RC" -eq 125 -a ! -e "$T_TMP/should-not" -a ! -e "$T_TMP/target" ]

# The command never outlives cronguard's lock: KILL cronguard, the command dies too.
marker="cg-orphan-$$-$RANDOM"
"$CRONGUARD" -n orphan --lock-file "$L" -- bash -c "exec -a $marker sleep 30" &
cgpid=$!
wait_for 5 pgrep -f "^$marker" >/dev/null
kill -KILL "$cgpid"
check "cronguard KILLed: the command is KILLed too (parent-death signal)" wait_for 3 sh -c "! pgrep -f '^$marker' >/dev/null"
cg -n orphan --lock-file "$L" -- true
check "and the lock is free again" [ "$RC" -eq 0 ]

# --- signals ---------------------------------------------------------------------------------
for s in TERM INT HUP QUIT USR1 USR2; do
	rm -f "$T_TMP/got"
	"$CRONGUARD" -n fwd -- sh -c "trap 'echo $s > $T_TMP/got; exit 7' $s; echo > $T_TMP/ready; while :; do sleep 0.05; done" 2>/dev/null &
	cgpid=$!
	wait_for 5 test -e "$T_TMP/ready"
	rm -f "$T_TMP/ready"
	kill -"$s" "$cgpid"
	wait "$cgpid"
	rc=$?
	check "SIG$s to cronguard reaches the command, whose exit status is kept" [ "$rc" -eq 7 -a "$(cat "$T_TMP/got" 2>/dev/null)" = "$s" ]
done
# Started with signals ignored and blocked (as some cron daemons and shells leave them), the
# command still gets default dispositions and an empty mask.
python3 - "$CRONGUARD" "$T_TMP/sig" <<'PY'
import os, signal, subprocess, sys
for s in (signal.SIGINT, signal.SIGQUIT, signal.SIGUSR1, signal.SIGTERM):
    signal.signal(s, signal.SIG_IGN)
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGHUP, signal.SIGUSR2, signal.SIGALRM})
with open(sys.argv[2], "w") as f:
    subprocess.run([sys.argv[1], "-n", "sigstate", "--", "grep", "-E", "^Sig(Blk|Ign)", "/proc/self/status"],
                   stdout=f, restore_signals=False)
PY
check "the command starts with an empty signal mask" grep -q $'^SigBlk:\t0000000000000000$' "$T_TMP/sig"
check "the command starts with no ignored signals" grep -q $'^SigIgn:\t0000000000000000$' "$T_TMP/sig"

# --- splay -----------------------------------------------------------------------------------
cg -n backup --host app001 --splay 10m --dry-run -- true
check "--dry-run: documented vector app001/backup/10m = 459665 ms" grep -qx 'splay_ms=459665' <<<"$OUT"
a=$(sed -n 's/^splay_ms=//p' <<<"$OUT")
cg -n backup --host app001 --splay 10m --dry-run -- true
check "--dry-run: the same host always gets the same delay" [ "$(sed -n 's/^splay_ms=//p' <<<"$OUT")" = "$a" ]
cg -n backup --host app002 --splay 10m --dry-run -- true
check "--dry-run: another host gets another delay" [ "$(sed -n 's/^splay_ms=//p' <<<"$OUT")" != "$a" ]
cg -n backup --host app001 --splay 10m --splay-seed 2026 --dry-run -- true
check "--splay-seed reshuffles" [ "$(sed -n 's/^splay_ms=//p' <<<"$OUT")" != "$a" ]
cg -n backup --dry-run --lock -- touch "$T_TMP/should-not"
check "--dry-run: exit 0, nothing run, one key=value per line" [ "$RC" -eq 0 -a ! -e "$T_TMP/should-not" -a -z "$(grep -v '^[a-z_]*=' <<<"$OUT")" ]
check "--dry-run: shows the lock path" grep -q '^lock=/.*/backup.lock$' <<<"$OUT"
cg -n backup --dry-run -- true
check "--dry-run: lock=none without --lock" grep -qx 'lock=none' <<<"$OUT"

rm -f "$T_TMP/should-not"
"$CRONGUARD" -n sl --host app001 --splay 1h -- touch "$T_TMP/should-not" 2>"$T_TMP/sl.err" &
cgpid=$!
wait_for 5 grep -q sigtimedwait "/proc/$cgpid/wchan"
kill -TERM "$cgpid"
wait "$cgpid"
rc=$?
check "a signal during the splay ends cronguard (143), command not run" [ "$rc" -eq 143 -a ! -e "$T_TMP/should-not" ]
check "and it says so" grep -q 'during the splay' "$T_TMP/sl.err"

# --- configuration precedence ----------------------------------------------------------------
printf 'splay = 1m\n[pj]\nsplay = 2m\n' >"$T_TMP/p.conf"
chmod 644 "$T_TMP/p.conf"
cg -c "$T_TMP/p.conf" -n pj --dry-run -- true
check "config [job] section over global" grep -qx 'splay=hash' <<<"$OUT"
CRONGUARD_LOCK=yes cg -c "$T_TMP/p.conf" -n pj --dry-run -- true
check "environment CRONGUARD_LOCK=yes applies" grep -q '^lock=/' <<<"$OUT"
CRONGUARD_TIMEOUT=5m cg -c "$T_TMP/p.conf" -n pj --timeout 7s --dry-run -- true
check "command line over environment" grep -qx 'timeout_ms=7000' <<<"$OUT"

# --- bad input: one line on stderr, 125, nothing run -----------------------------------------
printf 'splay = 1m\nsplya = 2m\n' >"$T_TMP/bad.conf"
chmod 644 "$T_TMP/bad.conf"
printf 'splay = 1m\n' >"$T_TMP/ww.conf"
chmod 666 "$T_TMP/ww.conf"
while IFS='|' read -r desc env args; do
	rm -f "$T_TMP/should-not"
	eval "set -- $args"
	env $env "$CRONGUARD" "$@" -- touch "$T_TMP/should-not" >"$T_TMP/.out" 2>"$T_TMP/.err"
	rc=$?
	lines=$(wc -l <"$T_TMP/.err")
	check "bad input ($desc): 125, one stderr line, not run" [ "$rc" -eq 125 -a "$lines" -eq 1 -a ! -e "$T_TMP/should-not" ]
	grep -q '^cronguard: ' "$T_TMP/.err" || not_ok "bad input ($desc): message prefixed: $(cat "$T_TMP/.err")"
done <<EOF2
bad duration||--splay 5x
overflowing duration||--timeout 99999999999999999999
unknown option||--frobnicate
unknown short option||-Z
bad job name||-n 'a/b'
job name too long||-n aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
bad skip exit||--skip-exit 300
bad success exit||--success-exit 0,x
bad label||--label 'no equals'
bad url||--ping ftp://example.invalid/x
credentials in url||--webhook https://user:pw@example.invalid/x
unknown config key||-c $T_TMP/bad.conf
missing config||-c $T_TMP/missing.conf
world-writable config||-c $T_TMP/ww.conf
unknown env variable|CRONGUARD_SPALY=10m|-n x
bad env value|CRONGUARD_LOCK_WAIT=forever|-n x
abbreviated option||-n x --time 1h
ambiguous abbreviation||-n x --lo
empty list element||-n x --success-exit 0,,1
empty etcd endpoint||-n x --etcd http://a:2379,,http://b:2379 --cluster-lock --dry-run
empty VIP variable|CRONGUARD_VIP=|-n x
comma VIP variable|CRONGUARD_VIP=,|-n x
comma label variable|CRONGUARD_LABEL=,|-n x
empty flag variable|CRONGUARD_LOCK=|-n x
on is not a flag word|CRONGUARD_LOCK=on|-n x
hidden job name||-n .x
dot job name||-n .
dot-dot job name||-n ..
dash job name||-n -x
non-UTF-8 label||--label $'note=caf\xe9' -n x
EOF2
cg -n x --etcd http://a:2379,,http://b:2379 --cluster-lock -- true
check "an empty etcd endpoint: 125" [ "$RC" -eq 125 ]
check "an empty etcd endpoint is refused as such" grep -qx "cronguard: --etcd: empty element in 'http://a:2379,,http://b:2379'" "$ERR_FILE"
cg --status --lint-crontab /dev/null
check "--status with --lint-crontab: 125, nothing printed" [ "$RC" -eq 125 -a -z "$OUT" ]
check "--status with --lint-crontab: one line saying so" grep -qx 'cronguard: --status and --lint-crontab do not go together' "$ERR_FILE"
# A shell or a command runner as the command, and no --name: 125, one line, not run.
for runner in sh bash env nice nohup timeout flock setsid stdbuf; do
	rm -f "$T_TMP/should-not"
	case $runner in
	sh | bash) set -- "$runner" -c "touch '$T_TMP/should-not'" ;;
	timeout) set -- timeout 10 touch "$T_TMP/should-not" ;;
	flock) set -- flock "$T_TMP/f.lock" touch "$T_TMP/should-not" ;;
	*) set -- "$runner" touch "$T_TMP/should-not" ;;
	esac
	cg --lock -- "$@"
	check "no --name with $runner: 125, one stderr line, not run" \
		[ "$RC" -eq 125 -a "$(printf '%s\n' "$ERR" | wc -l)" -eq 1 -a ! -e "$T_TMP/should-not" ]
	check "no --name with $runner: says to give --name" grep -q "give the job its name with --name" <<<"$ERR"
done
cg -n wrapped --lock -- sh -c "touch '$T_TMP/should-not'"
check "with --name, a shell command runs" [ "$RC" -eq 0 -a -e "$T_TMP/should-not" ]
printf '#!/bin/sh\ntouch "%s/should-not"\n' "$T_TMP" >"$T_TMP/.hidden-job"
chmod 755 "$T_TMP/.hidden-job"
rm -f "$T_TMP/should-not"
cg -- "$T_TMP/.hidden-job"
check "a command named .hidden-job is no job name: 125, not run" [ "$RC" -eq 125 -a ! -e "$T_TMP/should-not" ]

# --- --no-FLAG, labels and the config file ----------------------------------------------------
printf 'lock = yes\nlabel = site=par1\nlabel = team=db\nlabel = note=a #b\n' >"$T_TMP/nl.conf"
chmod 644 "$T_TMP/nl.conf"
cg -c "$T_TMP/nl.conf" -n nl --dry-run -- true
check "config lock = yes applies" grep -q '^lock=/' <<<"$OUT"
check "an inline comment after white space is not part of the value" grep -qx 'label=note=a' <<<"$OUT"
cg -c "$T_TMP/nl.conf" -n nl --no-lock --label team=web --label x=1 --dry-run -- true
check "--no-lock undoes lock = yes" grep -qx 'lock=none' <<<"$OUT"
check "--label adds to the config's labels" [ "$(grep -c '^label=' "$OUT_FILE")" -eq 4 ]
check "--label keeps the config's other labels" grep -qx 'label=site=par1' "$OUT_FILE"
check "--label: the command line wins for the same key" grep -qx 'label=team=web' "$OUT_FILE"
check "--label: the config's value of that key is gone" [ "$(grep -c '^label=team=' "$OUT_FILE")" -eq 1 ]

# --- --lint-crontab on cronguard's own grammar ------------------------------------------------
# Each of these lines used to lint clean and then fail every night with exit 125.
cat >"$T_TMP/refused.crontab" <<'EOF3'
* * * * * /usr/bin/cronguard --fail-after 0 -n a -- /bin/true
* * * * * /usr/bin/cronguard --vip 10.0.0.300 -n a -- /bin/true
* * * * * /usr/bin/cronguard --ping ftp://x -n a -- /bin/true
* * * * * /usr/bin/cronguard --label job=x -n a -- /bin/true
* * * * * /usr/bin/cronguard --success-exit 0,,1 -n a -- /bin/true
* * * * * /usr/bin/cronguard --etcd http://x:2379 -n a -- /bin/true
* * * * * /usr/bin/cronguard --once-per 1500ms --etcd http://x:2379 -n a -- /bin/true
* * * * * /usr/bin/cronguard --standby -n a -- /bin/true
EOF3
cg --lint-crontab "$T_TMP/refused.crontab"
check "lint: refused lines make exit 1" [ "$RC" -eq 1 ]
n=0
while IFS= read -r line; do
	n=$((n + 1))
	eval "set -- ${line#\* \* \* \* \* /usr/bin/cronguard }"
	"$CRONGUARD" "$@" >/dev/null 2>"$T_TMP/.err"
	rc=$?
	want="$T_TMP/refused.crontab:$n: $(cat "$T_TMP/.err")"
	check "lint line $n: cronguard refuses it (125)" [ "$rc" -eq 125 ]
	check "lint line $n: cronguard's own message" grep -qxF -- "$want" <<<"$OUT"
done <"$T_TMP/refused.crontab"
cg -c "$T_TMP/bad.conf" -- true
check "config errors name FILE:LINE" grep -q "bad.conf:2: unknown key 'splya'" <<<"$ERR"
cg --splay
check "a missing value is named" [ "$RC" -eq 125 ] && grep -q "needs a value" <<<"$ERR"
cg -n x
check "no command: 125" [ "$RC" -eq 125 ]

# --- --status --------------------------------------------------------------------------------
export CRONGUARD_STATE_DIR="$T_TMP/status"
cg -n good -- true
cg --status
check "--status: all fine exits 0" [ "$RC" -eq 0 ]
check "--status: a row for the job" grep -q '^good .*success' <<<"$OUT"
cg -n bad -- false
cg --status
check "--status: a failing job exits 2 (critical)" [ "$RC" -eq 2 ]
check "--status: shows the failure" grep -q '^bad .*failure' <<<"$OUT"
cg -n bad -- true
cg --status
check "--status: fixed again exits 0" [ "$RC" -eq 0 ]
# A run that ends before its command (here a skip: the VIP is not held) keeps its standard
# input open to the end: while its report waits on an endpoint that never answers, fd 0 is
# still the file it was given (a descriptor left unset in main's state once closed it right
# after the record, and the report's socket took the number).
python3 -c 'import socket, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(8)
print(s.getsockname()[1], flush=True); time.sleep(120)' >"$T_TMP/hang.port" &
hang=$!
wait_for 10 test -s "$T_TMP/hang.port"
"$CRONGUARD" -n fd0 --vip 192.0.2.99 --pushgateway "http://127.0.0.1:$(cat "$T_TMP/hang.port")" \
	--report-timeout "$(t_slow 3)s" -- true <"$T_TMP/hang.port" 2>/dev/null &
skipper=$!
wait_for "$(t_slow 5)" grep -q '"state": "skipped_standby"' "$CRONGUARD_STATE_DIR/fd0.json"
sleep 0.3
check "a skipped run keeps its stdin open while it reports" \
	test "$(readlink "/proc/$skipper/fd/0")" = "$(readlink -f "$T_TMP/hang.port")"
wait "$skipper"
kill "$hang"
cg --help
check "--help exits 0 and lists --lock" [ "$RC" -eq 0 ] && grep -q -- '--lock' <<<"$OUT"
cg --version
check "--version" grep -q '^cronguard ' <<<"$OUT"

done_testing
