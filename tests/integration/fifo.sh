#!/usr/bin/env bash
# A FIFO where cronguard opens a file (issue 12, #3): the state file, its spare, a spool entry,
# a textfile .prom, the config, a secret file, a --status entry. Each used to hang cronguard
# forever, holding the state directory's lock with SIGTERM blocked. Now each is refused at once
# with the documented outcome; the state directory's lock is waited for at most 5 s, and a
# TERM during that wait ends it. Every run has a deadline: a hang is a failure, not a stall.
. "${top_srcdir:-.}/tests/lib.sh"

[ "$(id -u)" -eq 0 ] || skip_all "needs root: the lock holder runs as nobody against root's state"
command -v setpriv >/dev/null && command -v flock >/dev/null || skip_all "needs setpriv and flock"

# Others may reach it: the lock holder below is nobody, as an attacker on the machine would be.
W=$(mktemp -d /tmp/cg-fifo.XXXXXX) && chmod 755 "$W" && at_exit "rm -rf '$W'"
S=$W/state
mkdir -m 755 "$S"
export CRONGUARD_STATE_DIR=$S
export CRONGUARD_NO_SYSLOG=yes
: >"$W/empty.conf"
chmod 600 "$W/empty.conf"
export CRONGUARD_CONFIG="$W/empty.conf"
LIMIT=$(t_slow 10)

# bounded ARGS...: cg under a deadline; a KILL from timeout(1) (RC 137) means it hung.
bounded() { cg "$@"; }
CG_REAL=$CRONGUARD
CRONGUARD=$W/bounded
printf '#!/bin/sh\nexec timeout -s KILL %s "%s" "$@"\n' "$LIMIT" "$CG_REAL" >"$CRONGUARD"
chmod 755 "$CRONGUARD"

# not_hung DESC: the last run ended on its own, before the deadline.
not_hung() { check "$1: finishes on its own (rc $RC, ${MS} ms)" [ "$RC" -ne 137 -a "$MS" -lt $((LIMIT * 1000)) ]; }
is_regular() { [ -f "$1" ] && [ ! -p "$1" ] && [ ! -L "$1" ]; }

# --- the state file ----------------------------------------------------------------------------
mkfifo "$S/st.json"
bounded -n st -- sh -c 'exit 3'
not_hung "FIFO as the state file"
check "FIFO as the state file: the command's exit status" [ "$RC" -eq 3 ]
check "FIFO as the state file: one line says it was not a regular file" \
	grep -q "state file $S/st.json was unreadable (not a regular file); starting it afresh" "$ERR_FILE"
check "FIFO as the state file: a real state file in its place" is_regular "$S/st.json"
check "FIFO as the state file: the run is recorded" sh -c "[ -f '$S/st.json' ] && grep -q '\"exit_code\": 3' '$S/st.json'"

# --- its spare ----------------------------------------------------------------------------------
bounded -n sp -- true
rm -f "$S/.sp.json.prev"
mkfifo "$S/.sp.json.prev"
bounded -n sp -- true
not_hung "FIFO as the spare"
check "FIFO as the spare: exit 0" [ "$RC" -eq 0 ]
check "FIFO as the spare: said, and replaced" grep -q "its spare .sp.json.prev was not a plain file of its own (not a regular file); replaced it" "$ERR_FILE"
check "FIFO as the spare: both runs counted" grep -q '"runs": 2' "$S/sp.json"
check "FIFO as the spare: a regular spare now" is_regular "$S/.sp.json.prev"

# --- a spool entry ------------------------------------------------------------------------------
port=$(free_port)   # nobody listens: the webhook's record is spooled
mkdir -p -m 700 "$S/spool"
mkfifo "$S/spool/00000000000000000001-sw-00000000-0000-4000-8000-000000000000.webhook"
bounded -n sw --webhook "http://127.0.0.1:$port/hook" --report-timeout 1s -- true
not_hung "FIFO as a spool entry"
check "FIFO as a spool entry: exit 0" [ "$RC" -eq 0 ]
check "FIFO as a spool entry: set aside as unreadable" grep -q "00000000000000000001-sw-.* is not a readable record; moved to .*/dead" "$ERR_FILE"
check "FIFO as a spool entry: gone from the spool" [ ! -p "$S/spool/00000000000000000001-sw-00000000-0000-4000-8000-000000000000.webhook" ]

# --- a textfile .prom ---------------------------------------------------------------------------
mkdir -m 755 "$W/prom"
mkfifo "$W/prom/cronguard_tf.prom"
bounded -n tf --textfile-dir "$W/prom" -- true
not_hung "FIFO as the textfile"
check "FIFO as the textfile: exit 0" [ "$RC" -eq 0 ]
check "FIFO as the textfile: metrics written in its place" sh -c "[ -f '$W/prom/cronguard_tf.prom' ] && grep -q '^cronguard_last_run_exit_code{' '$W/prom/cronguard_tf.prom'"

# --- the config ---------------------------------------------------------------------------------
mkfifo -m 600 "$W/fifo.conf"
bounded -c "$W/fifo.conf" -n cf -- true
not_hung "FIFO as the config"
check "FIFO as the config: 125, nothing run" [ "$RC" -eq 125 ]
check "FIFO as the config: one line naming it" [ "$ERR" = "cronguard: config $W/fifo.conf: not a regular file" ]
CRONGUARD_CONFIG=$W/fifo.conf bounded -n cf -- true
not_hung "FIFO as the config from the environment"
check "FIFO as the config from the environment: 125" [ "$RC" -eq 125 ]

# --- a secret file ------------------------------------------------------------------------------
mkfifo -m 600 "$W/password"
bounded -n se --etcd "http://127.0.0.1:$port" --cluster-lock --etcd-user u \
	--etcd-password-file "$W/password" -- true
not_hung "FIFO as the etcd password file"
check "FIFO as the etcd password file: 125, nothing run" [ "$RC" -eq 125 ]
check "FIFO as the etcd password file: says so" grep -q "cannot read $W/password: not a regular file" "$ERR_FILE"
mkfifo -m 600 "$W/token"
bounded -n se --influx "http://127.0.0.1:$port/write?db=x" --influx-token-file "$W/token" \
	--report-timeout 1s -- true
not_hung "FIFO as the influx token file"
# Checked before the splay, as every file a run needs: 125 at once, nothing run.
check "FIFO as the influx token file: 125, nothing run" [ "$RC" -eq 125 ]

# --- a --status entry ---------------------------------------------------------------------------
mkfifo "$S/zz.json"
bounded --status
not_hung "FIFO as a --status entry"
check "FIFO as a --status entry: exit 3 (unknown)" [ "$RC" -eq 3 ]
check "FIFO as a --status entry: an unknown row" grep -q '^zz  *unknown .*UNKNOWN: no readable state file' "$OUT_FILE"
check "FIFO as a --status entry: the other jobs listed" grep -q '^st  *failure ' "$OUT_FILE"
rm -f "$S/zz.json"

# --- the state directory's lock ----------------------------------------------------------------
# Any user who can open the directory can flock it, which holds nothing: the lock is the 0600
# file .lock in it, which nobody cannot open.
setpriv --reuid=nobody --regid=nogroup --clear-groups flock -x "$S" sleep 60 &
nholder=$!
at_exit "kill $nholder 2>/dev/null"
wait_for 5 sh -c "! flock -n -x '$S' true" || bail_out "nobody flocks the state directory"
bounded -n lk -- sh -c 'exit 4'
not_hung "state directory flocked by nobody"
check "state directory flocked by nobody: no wait, state kept, silent" \
	[ "$RC" -eq 4 -a "$MS" -lt 4000 -a -s "$S/lk.json" -a ! -s "$ERR_FILE" ]
kill "$nholder" 2>/dev/null
wait "$nholder" 2>/dev/null
# A stuck process of root's holds the state lock: the run gives up after 5 s.
flock -x "$S/.lock" sleep 60 &
holder=$!
at_exit "kill $holder 2>/dev/null"
wait_for 5 sh -c "! flock -n -x '$S/.lock' true" || bail_out "a root process holds the state lock"
bounded -n lk -- sh -c 'exit 4'
not_hung "state directory locked"
check "state directory locked: the command's exit status" [ "$RC" -eq 4 ]
check "state directory locked: gave up after about 5 s (${MS} ms)" [ "$MS" -ge 4900 -a "$MS" -lt $(t_slow 8000) ]
check "state directory locked: one line says so" \
	grep -q "state dir $S stayed locked by another process for 5 s; state not saved" "$ERR_FILE"

# A TERM while waiting for it ends the wait at once (timeout(1) and systemd can stop us).
# TERMs are sent every 100 ms from when the command has run: one that lands while cronguard
# still reaps the command is passed on to it, the next finds the wait.
rm -f "$W/ran"
"$CRONGUARD" -n tm -- touch "$W/ran" >"$W/tm.out" 2>"$W/tm.err" &
cgpid=$!
wait_for 5 [ -e "$W/ran" ] || not_ok "TERM: the command ran"
gone() { case $(ps -o stat= -p "$cgpid") in '' | Z*) true ;; *) false ;; esac; }
t0=$(now_ms)
while ! gone && [ $(($(now_ms) - t0)) -lt $((LIMIT * 1000)) ]; do
	kill -TERM "$cgpid" 2>/dev/null
	sleep 0.1
done
wait "$cgpid"
RC=$?
MS=$(($(now_ms) - t0))
check "TERM during the state lock wait: ends it (rc $RC, ${MS} ms)" [ "$RC" -ne 137 -a "$MS" -lt $(t_slow 3000) ]
check "TERM during the state lock wait: one line says so" \
	grep -q "Terminated while waiting for the lock on state dir $S; state not saved" "$W/tm.err"
kill "$holder" 2>/dev/null
wait "$holder" 2>/dev/null

done_testing
