#!/usr/bin/env bash
# Fault drills: what the operator sees when the disk, the lock directory, the config or the
# processes fail, and that nothing is lost or run twice. Also the load drills: 500
# concurrent invocations on one lock (fewer under memcheck), and --status over thousands of jobs.
. "${top_srcdir:-.}/tests/lib.sh"

[ "$(id -u)" -eq 0 ] || skip_all "the drills mount file systems and change owners: run as root"
export CRONGUARD_NO_SYSLOG=yes
: >"$T_TMP/empty.conf"
export CRONGUARD_CONFIG="$T_TMP/empty.conf"
export CRONGUARD_STATE_DIR="$T_TMP/state"

# --- the state dir's disk is full: the command still runs, its status is kept, one line says why
mkdir -p "$T_TMP/full"
mount -t tmpfs -o size=16k tmpfs "$T_TMP/full"
at_exit "umount -l '$T_TMP/full'"
dd if=/dev/zero of="$T_TMP/full/fill" bs=4k count=64 2>/dev/null
cg -n diskfull --state-dir "$T_TMP/full/state" -- sh -c 'echo ran > "$0"; exit 3' "$T_TMP/diskfull.ran"
check "disk full: the command ran and its exit status 3 is kept" [ "$RC" -eq 3 -a -s "$T_TMP/diskfull.ran" ]
check "disk full: one stderr line names the state file problem" \
	eval '[ "$(grep -c . <<<"$ERR")" -eq 1 ] && grep -q "state" <<<"$ERR"'
rm -f "$T_TMP/full/fill"
cg -n diskfull --state-dir "$T_TMP/full/state" -- true
check "disk freed: the next run records again" [ "$RC" -eq 0 -a -s "$T_TMP/full/state/diskfull.json" ]

# --- the state dir is read-only ---------------------------------------------------------------
mkdir -p "$T_TMP/ro/state"
mount -t tmpfs -o size=1m,ro,mode=0755 tmpfs "$T_TMP/ro/state"
at_exit "umount -l '$T_TMP/ro/state'"
cg -n ro --state-dir "$T_TMP/ro/state" -- sh -c 'exit 0'
check "read-only state dir: the command ran, exit 0, one line says why" \
	eval '[ "$RC" -eq 0 -a "$(grep -c . <<<"$ERR")" -eq 1 ] && grep -q '\''Read-only file system'\'' <<<"$ERR"'

# --- a corrupt state file is rebuilt, with a warning -----------------------------------------
mkdir -p "$CRONGUARD_STATE_DIR"
printf '{"truncated' >"$CRONGUARD_STATE_DIR/corrupt.json"
cg -n corrupt -- true
check "corrupt state file: run goes on, a warning, the file is whole again" \
	eval '[ "$RC" -eq 0 ] && grep -q unreadable <<<"$ERR" && json_get "$CRONGUARD_STATE_DIR/corrupt.json" '\''d["last_run"]["state"]'\'' | grep -qx success'

# --- the lock directory -----------------------------------------------------------------------
# Root's default lock directory is /run/cronguard; tests use their own job names in it. (The
# attacks on it by another user are in security.sh.)
job="drill-$$-$RANDOM"
if [ -d /run/cronguard ]; then
	mv /run/cronguard "$T_TMP/saved-lockdir"
	at_exit "rm -rf /run/cronguard; mv '$T_TMP/saved-lockdir' /run/cronguard"
else
	at_exit "rm -rf /run/cronguard"
fi
cg -n "$job" --lock -- true
check "lock directory missing (tmpfs after reboot): created 0700, the run goes on" \
	[ "$RC" -eq 0 -a -d /run/cronguard ] && [ "$(stat -c %a /run/cronguard)" = 700 ]
chown nobody /run/cronguard
cg -n "$job" --lock -- touch "$T_TMP/should-not"
check "lock directory owned by another user: 125, one line, not run" \
	[ "$RC" -eq 125 -a ! -e "$T_TMP/should-not" -a "$(grep -c . <<<"$ERR")" -eq 1 ] && grep -q 'owned by uid 65534.*rm -r /run/cronguard' <<<"$ERR"
chown root /run/cronguard
chmod 777 /run/cronguard
cg -n "$job" --lock -- touch "$T_TMP/should-not"
check "lock directory writable by others: 125, not run" [ "$RC" -eq 125 -a ! -e "$T_TMP/should-not" ]
chmod 755 /run/cronguard
cg -n "$job" --lock -- true
check "lock directory others can enter: made 0700 again, the run goes on" \
	[ "$RC" -eq 0 ] && [ "$(stat -c %a /run/cronguard)" = 700 ]
rm -f "/run/cronguard/$job.lock"
ln -s "$T_TMP/victim" "/run/cronguard/$job.lock"
cg -n "$job" --lock -- touch "$T_TMP/should-not"
check "a symlink planted as the lock file: 125, not run, its target untouched" \
	[ "$RC" -eq 125 -a ! -e "$T_TMP/should-not" -a ! -e "$T_TMP/victim" ]
rm -f "/run/cronguard/$job.lock"

# --- the config file --------------------------------------------------------------------------
printf 'influx-password-file = /etc/secret\nsplay = 1m\n' >"$T_TMP/ww.conf"
chmod 666 "$T_TMP/ww.conf"
cg -c "$T_TMP/ww.conf" -n x -- touch "$T_TMP/should-not"
check "world-writable config with a secret path: refused, 125, not run" \
	[ "$RC" -eq 125 -a ! -e "$T_TMP/should-not" ] && grep -q 'writable by any user' <<<"$ERR"
chmod 644 "$T_TMP/ww.conf"
chown nobody "$T_TMP/ww.conf"
cg -c "$T_TMP/ww.conf" -n x -- touch "$T_TMP/should-not"
check "config owned by another user: refused, 125, not run" [ "$RC" -eq 125 -a ! -e "$T_TMP/should-not" ]

# --- the command is killed as the OOM killer would -------------------------------------------
cg -n oom -- sh -c 'kill -KILL $$'
check "OOM-style SIGKILL of the command: exit 137, state signaled" \
	eval '[ "$RC" -eq 137 ] && json_get "$CRONGUARD_STATE_DIR/oom.json" '\''d["last_run"]["state"]'\'' | grep -qx signaled'

# --- cronguard itself killed at each step -----------------------------------------------------
L=$T_TMP/k.lock
# During the splay: nothing ran, nothing left behind, the next run is normal.
"$CRONGUARD" -n ks --host h --splay 1h --lock-file "$L" -- touch "$T_TMP/should-not" &
p=$!
wait_for 5 grep -q sigtimedwait "/proc/$p/wchan"
kill -KILL "$p"
wait "$p" 2>/dev/null
check "KILLed during the splay: the command never ran" [ ! -e "$T_TMP/should-not" ]
cg -n ks --lock-file "$L" -- true
check "and the next run takes the lock at once" [ "$RC" -eq 0 ]
# While waiting for the lock: the holder keeps it, the waiter's command never runs.
"$CRONGUARD" -n kw --lock-file "$L" -- sh -c "until [ -e '$T_TMP/kw.release' ]; do sleep 0.05; done" &
holder=$!
wait_for 5 grep -q "pid=$holder" "$L"
"$CRONGUARD" -n kw --lock-file "$L" --lock-wait 30s -- touch "$T_TMP/should-not" &
p=$!
wait_for 5 grep -q sigtimedwait "/proc/$p/wchan"
kill -KILL "$p"
wait "$p" 2>/dev/null
touch "$T_TMP/kw.release"
wait "$holder"
check "KILLed while waiting for the lock: its command never ran" [ ! -e "$T_TMP/should-not" ]
# During the run: the command dies with it (parent-death signal), no run without the lock.
marker="cg-drill-$$-$RANDOM"
"$CRONGUARD" -n kr --lock-file "$L" -- bash -c "exec -a $marker sleep 60" 2>/dev/null &
p=$!
wait_for 5 pgrep -f "^$marker" >/dev/null
kill -KILL "$p"
check "KILLed during the run: the command is gone too" wait_for 3 sh -c "! pgrep -f '^$marker' >/dev/null"
cg -n kr --lock-file "$L" -- true
check "and no stale lock is left" [ "$RC" -eq 0 ]

# --- load: LOAD concurrent invocations on one lock -------------------------------------------
# The one that wins holds the lock until every other invocation has finished, however slowly
# they start on this machine (under ASan, seconds). 500 of them; under memcheck 20, since
# each valgrind holds ~50 MiB and takes ~0.6 s of CPU (500 would want 25 GiB, and minutes).
LOAD=500
in_memcheck && LOAD=20
: >"$T_TMP/load.runs"
pids=()
for i in $(seq 1 "$LOAD"); do
	"$CRONGUARD" -n load --lock-file "$T_TMP/load.lock" -- \
		sh -c "echo \$\$ >> '$T_TMP/load.runs'; while [ ! -e '$T_TMP/load.release' ]; do sleep 0.05; done" \
		>/dev/null 2>>"$T_TMP/load.err" &
	pids+=($!)
done
wait_for 180 alive_at_most 1 "${pids[@]}"
touch "$T_TMP/load.release"
fails=0
for p in "${pids[@]}"; do wait "$p" || fails=$((fails + 1)); done
check "$LOAD concurrent invocations: exactly one ran" [ "$(wc -l <"$T_TMP/load.runs")" -eq 1 ]
check "$LOAD concurrent invocations: the other $((LOAD - 1)) skipped cleanly (exit 0, silent)" \
	[ "$fails" -eq 0 -a ! -s "$T_TMP/load.err" ]
cg -n load --lock-file "$T_TMP/load.lock" -- true
check "$LOAD concurrent invocations: no stale lock afterwards" [ "$RC" -eq 0 ]
check "the state file counts the skips out: runs=2" \
	[ "$(json_get "$CRONGUARD_STATE_DIR/load.json" 'd["runs"]')" -eq 2 ]

# --- --status over thousands of jobs ----------------------------------------------------------
python3 - "$T_TMP/many" <<'PY'
import json, os, sys
d = sys.argv[1]
os.makedirs(d)
for i in range(5000):
    st = "failure" if i == 4321 else "success"
    doc = {"version": 1, "job": f"job{i:05d}", "host": "h", "runs": 1,
           "consecutive_failures": 1 if st == "failure" else 0,
           "last_run": {"run_id": "x", "state": st, "exit_code": 0 if st == "success" else 1,
                        "start": 1.7e9, "end": 1.7e9 + 1, "duration": 1.0},
           "last_success": None}
    json.dump(doc, open(f"{d}/job{i:05d}.json", "w"))
PY
cg --status --state-dir "$T_TMP/many"
check "--status over 5000 jobs: every row, the failing one flagged, exit 2 ($MS ms)" \
	eval '[ "$RC" -eq 2 -a "$(grep -c '\''^job'\'' <<<"$OUT")" -eq 5000 ] && grep -q '\''^job04321 .*failure'\'' <<<"$OUT"'
check "--status over 5000 jobs takes under $(t_slow 1000) ms" [ "$MS" -lt "$(t_slow 1000)" ]

done_testing
