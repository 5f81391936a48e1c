#!/bin/bash
# End-to-end test under the real cron daemon: a crontab line with cronguard runs, and its state file and syslog line appear.
#
# A file is dropped into /etc/cron.d (system crontab format, with a user field) holding lines
# that fire every minute: a failing job (exit 3) whose output file, state file and syslog
# line are then checked, and a printf job that proves argument passthrough under cron: a `\%`
# escape, quoted arguments with a space, and a command found through cron's own PATH. Then
# the grammar of issue 15, under cron: two --command lines rendered by contrib/ansible's
# template (a skipped standby, --vip of an address not held, leaves the target of its
# `echo x > FILE` untouched; a failing first stage of a pipeline is a failure), --no-lock
# against a config file's lock (whose lock file this test holds) with --label merged into the
# config's labels, and the refusals: an abbreviation (--time) and a shell as the job's name.
# cron and a syslog receiver are used when they already run; otherwise the test starts them
# for its own duration (cron in the foreground, rsyslogd with a temporary config writing the
# cron facility to a temporary file) and stops only what it started.
# Exit status: 0 all passed, 1 a check failed, 77 skipped (not root, or cron/rsyslog missing;
# under CI=true those are failures instead).

# Helpers are called through poll_until() and the EXIT trap:
# shellcheck disable=SC2317

set -u

CRONGUARD=${CRONGUARD:-./src/cronguard}
case $CRONGUARD in
/*) ;;
*) CRONGUARD=$PWD/$CRONGUARD ;;
esac

# cron fires at the start of each minute: one full minute plus slack for a late first load.
DEADLINE_SECONDS=150
CRON_D=/etc/cron.d
SERIAL_LOCK=/run/lock/cronguard-e2e-cron.lock

FAILED=0
WORK=
CRON_FILE=
CRON_PID=
RSYSLOG_PID=
DEVLOG_CREATED=0
NAME=
ARGS_NAME=
RENDER_PY=/usr/bin/python3

ok() { echo "ok - $*"; }
not_ok() {
	echo "not ok - $*"
	FAILED=$((FAILED + 1))
}

skip_or_fail() { # REASON: skip (77), or fail under CI=true
	if [ "${CI:-}" = true ]; then
		echo "not ok - cron.sh: $1 (required under CI=true)"
		exit 1
	fi
	echo "# SKIP cron.sh: $1"
	exit 77
}

# Polls COMMAND every second until it succeeds or the deadline (in $SECONDS) passes.
poll_until() { # DEADLINE COMMAND...
	local deadline=$1
	shift
	until "$@"; do
		((SECONDS >= deadline)) && return 1
		sleep 1
	done
}

# True when something accepts datagrams on /dev/log, i.e. syslog(3) will be heard.
devlog_live() {
	[ -S /dev/log ] || return 1
	python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
try:
    s.connect("/dev/log")
except OSError:
    sys.exit(1)' 2>/dev/null
}

# The pid of a running cron daemon, if any (by its pid file, then by process name).
running_cron_pid() {
	local pid comm
	if [ -r /run/crond.pid ]; then
		read -r pid </run/crond.pid 2>/dev/null
		if [ -n "${pid:-}" ] && [ -r "/proc/$pid/comm" ]; then
			read -r comm <"/proc/$pid/comm"
			[ "$comm" = cron ] && { echo "$pid"; return 0; }
		fi
	fi
	pgrep -x cron | head -n 1 | grep .
}

cleanup() {
	[ -n "$CRON_FILE" ] && rm -f "$CRON_FILE"
	if [ -n "$CRON_PID" ]; then
		kill "$CRON_PID" 2>/dev/null
		wait "$CRON_PID" 2>/dev/null
		# cron leaves its pid file behind; it is ours only if it still names our cron.
		if [ -r /run/crond.pid ] && [ "$(cat /run/crond.pid 2>/dev/null)" = "$CRON_PID" ]; then
			rm -f /run/crond.pid
		fi
	fi
	if [ -n "$RSYSLOG_PID" ]; then
		kill "$RSYSLOG_PID" 2>/dev/null
		wait "$RSYSLOG_PID" 2>/dev/null
		if [ "$DEVLOG_CREATED" = 1 ] && [ -S /dev/log ] && ! devlog_live; then
			rm -f /dev/log
		fi
	fi
	[ -n "$NAME" ] && rm -f "/run/cronguard/$NAME.lock"
	[ -n "$WORK" ] && rm -rf "$WORK"
}

# ---- setup ----

if [ "$(id -u)" -ne 0 ]; then
	skip_or_fail "needs root (to install a system crontab and start cron)"
fi
[ -x /usr/sbin/cron ] || skip_or_fail "/usr/sbin/cron is not installed (apt-get install cron)"
command -v python3 >/dev/null || skip_or_fail "python3 is not installed"
# The --command lines are rendered by contrib/ansible's template, with Jinja2 as Ansible has it.
"$RENDER_PY" -c 'import jinja2' 2>/dev/null || skip_or_fail "python3-jinja2 is not installed (apt-get install python3-jinja2)"
if [ ! -x "$CRONGUARD" ]; then
	echo "not ok - cronguard binary $CRONGUARD is not executable"
	exit 1
fi
case $CRONGUARD in
*[!A-Za-z0-9_./+-]*)
	# It goes into a crontab line: cron turns % into newlines, and the shell reads quotes.
	echo "not ok - cronguard path $CRONGUARD has characters a crontab line cannot carry here"
	exit 1
	;;
esac

# Two copies of this test would share cron and /dev/log; the second waits for the first.
exec 9>"$SERIAL_LOCK"
if ! flock -w 150 9; then
	echo "not ok - another cron.sh held $SERIAL_LOCK for 150 s"
	exit 1
fi

trap cleanup EXIT
trap 'exit 1' INT TERM HUP

WORK=$(mktemp -d /tmp/cronguard-cron.XXXXXX) || exit 1
chmod 755 "$WORK"
RAND=$(od -An -N4 -tx4 /dev/urandom | tr -d ' \n')
NAME=cg-e2e-$RAND
ARGS_NAME=cg-e2e-args-$RAND
SYSLOG_FILES=()

# A syslog receiver: the running one, or a temporary rsyslogd that owns /dev/log for now.
if devlog_live; then
	SYSLOG_FILES=(/var/log/syslog /var/log/cron.log /var/log/messages /var/log/cron)
	ok "syslog receiver: using the one already on /dev/log"
else
	command -v rsyslogd >/dev/null || skip_or_fail "no syslog receiver on /dev/log and no rsyslogd (apt-get install rsyslog)"
	[ -e /dev/log ] || DEVLOG_CREATED=1
	mkdir "$WORK/rsyslog"
	cat >"$WORK/rsyslog.conf" <<-EOF
		global(workDirectory="$WORK/rsyslog")
		module(load="imuxsock" SysSock.Name="/dev/log" SysSock.RateLimit.Interval="0")
		cron.* action(type="omfile" file="$WORK/syslog")
	EOF
	rsyslogd -n -f "$WORK/rsyslog.conf" -i "$WORK/rsyslogd.pid" </dev/null >"$WORK/rsyslogd.log" 2>&1 &
	RSYSLOG_PID=$!
	if poll_until $((SECONDS + 10)) devlog_live; then
		ok "syslog receiver: started rsyslogd (pid $RSYSLOG_PID) writing cron.* to a temporary file"
	else
		not_ok "syslog receiver: rsyslogd did not come up on /dev/log"
		sed 's/^/# rsyslogd: /' "$WORK/rsyslogd.log"
		exit 1
	fi
	SYSLOG_FILES=("$WORK/syslog")
fi

# cron reloads a changed crontab at its next minute tick, comparing whole-second mtimes:
# a file written in the very second of a reload could be missed, so keep clear of :00.
EXISTING_CRON=$(running_cron_pid)
if [ -n "$EXISTING_CRON" ]; then
	while :; do
		s=$(date +%S)
		s=${s#0}
		((s >= 3 && s <= 56)) && break
		sleep 1
	done
fi

# ---- Issue 15 under cron.
# The lock that the config file asks for (lock-file = held.lock) is held by this shell, so a
# line that does not undo it with --no-lock is skipped_locked.
echo keep >"$WORK/standby.out"
cat >"$WORK/cg.conf" <<EOF
lock = yes
lock-file = $WORK/held.lock
label = team=db
label = tier=0
EOF
chmod 0644 "$WORK/cg.conf"
# 0600, as cronguard makes its lock files: one others could open is refused, not waited for.
install -m 600 /dev/null "$WORK/held.lock"
exec 8>"$WORK/held.lock"
flock -n 8 || { echo "not ok - cannot hold $WORK/held.lock"; exit 1; }
# Two lines as contrib/ansible's role renders them (its own template, through Jinja2).
render() { # NAME COMMAND [VIP]: the command part of the role's line for that job
	"$RENDER_PY" - "$top_srcdir/contrib/ansible/roles/cronguard/templates/cronguard_line.j2" \
		"$CRONGUARD" "$WORK/state" "$@" <<-'EOF'
		import sys, jinja2
		path, binary, state, name, command = sys.argv[1:6]
		env = jinja2.Environment(undefined=jinja2.StrictUndefined)
		env.filters["bool"] = lambda v: v in (True, 1, "1", "yes", "true", "True")
		item = {"name": name, "command": command, "options": ["--state-dir", state]}
		if len(sys.argv) > 6:
		    item["vip"] = [sys.argv[6]]
		t = env.from_string(open(path).read())
		print(t.render(item=item, cronguard_binary=binary, cronguard_environment={},
		               cronguard_splay_slot="").strip())
	EOF
}
top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
STANDBY_LINE=$(render "$NAME-standby" "echo x > $WORK/standby.out" 192.0.2.77) || exit 1
PIPE_LINE=$(render "$NAME-pipe" "false | cat > $WORK/pipe.out") || exit 1
echo "# rendered: $STANDBY_LINE"
echo "# rendered: $PIPE_LINE"

# In the memcheck mode, $CRONGUARD is tests/memcheck/cronguard, which takes its settings from
# the environment: cron hands the job none of ours, so the crontab sets them.
MEMCHECK_ENV=
if [ -n "${CG_MEMCHECK_DIR:-}" ]; then
	MEMCHECK_ENV="CG_MEMCHECK_DIR=$CG_MEMCHECK_DIR
CG_MEMCHECK_BINARY=$CG_MEMCHECK_BINARY"
fi

# The job lines. `\%` is cron's escape for a literal percent; printf is found through cron's
# PATH (set here, as a crontab would), and the quoted "a b" must arrive as one argument.
CRON_FILE=$CRON_D/$NAME
cat >"$CRON_D/.$NAME.tmp" <<-EOF
	# Temporary: cronguard's end-to-end test (tests/integration/cron.sh) removes this file.
	SHELL=/bin/sh
	PATH=/usr/bin:/bin
	$MEMCHECK_ENV
	* * * * * root $CRONGUARD -n $NAME --state-dir $WORK/state --lock -- /bin/sh -c 'echo ran >> $WORK/out; exit 3'
	* * * * * root $CRONGUARD -n $ARGS_NAME --state-dir $WORK/state -- printf '\%s|' "a b" c > $WORK/args
	* * * * * root $STANDBY_LINE
	* * * * * root $PIPE_LINE
	* * * * * root $CRONGUARD -c $WORK/cg.conf -n $NAME-nolock --no-lock --label tier=1 --label role=x --state-dir $WORK/state -- /bin/sh -c 'echo ran > $WORK/nolock.out'
	* * * * * root $CRONGUARD -c $WORK/cg.conf -n $NAME-locked --state-dir $WORK/state -- /bin/sh -c 'echo ran > $WORK/locked.out'
	* * * * * root $CRONGUARD --time 1h -n $NAME-abbrev --state-dir $WORK/state -- /bin/sh -c 'echo ran > $WORK/abbrev.out' 2> $WORK/abbrev.err
	* * * * * root $CRONGUARD --lock --state-dir $WORK/state -- sh -c 'echo ran > $WORK/sh.out' 2> $WORK/sh.err
EOF
chmod 0644 "$CRON_D/.$NAME.tmp"
# Renamed into place whole, so cron never reads half a file.
mv -f "$CRON_D/.$NAME.tmp" "$CRON_FILE"

if [ -n "$EXISTING_CRON" ]; then
	ok "cron: using the running daemon (pid $EXISTING_CRON)"
else
	/usr/sbin/cron -f -L 15 </dev/null >"$WORK/cron.log" 2>&1 8>&- &
	CRON_PID=$!
	# It is up once it has written its pid file (it locks it first, so it is the only cron).
	if poll_until $((SECONDS + 10)) grep -qx "$CRON_PID" /run/crond.pid 2>/dev/null; then
		ok "cron: started /usr/sbin/cron -f (pid $CRON_PID)"
	else
		not_ok "cron: /usr/sbin/cron did not start"
		sed 's/^/# cron: /' "$WORK/cron.log"
		exit 1
	fi
fi
echo "# job $NAME installed at $(date +%T); waiting for cron's next minute (deadline ${DEADLINE_SECONDS}s)"

# ---- checks ----

job_ran() { [ -s "$WORK/out" ] && grep -qx ran "$WORK/out"; }

state_is_failure_3() { # NAME
	python3 - "$WORK/state/$1.json" <<-'EOF' 2>/dev/null
		import json, sys
		with open(sys.argv[1]) as f:
		    doc = json.load(f)
		last = doc["last_run"]
		sys.exit(0 if last["state"] == "failure" and last["exit_code"] == 3 else 1)
	EOF
}

state_is_success() { # NAME
	python3 - "$WORK/state/$1.json" <<-'EOF' 2>/dev/null
		import json, sys
		with open(sys.argv[1]) as f:
		    doc = json.load(f)
		last = doc["last_run"]
		sys.exit(0 if last["state"] == "success" and last["exit_code"] == 0 else 1)
	EOF
}

SYSLOG_RE="cronguard\\[[0-9]+\\]: job=$NAME( | .* )state=failure exit=3( |\$)"
syslog_line() {
	local f
	for f in "${SYSLOG_FILES[@]}"; do
		[ -r "$f" ] && grep -E -m 1 "$SYSLOG_RE" "$f" && return 0
	done
	if [ -S /run/systemd/journal/socket ] && command -v journalctl >/dev/null; then
		journalctl -q -o short --no-pager -t cronguard --since "-5min" 2>/dev/null |
			grep -E -m 1 "$SYSLOG_RE" && return 0
	fi
	return 1
}
have_syslog_line() { syslog_line >/dev/null; }

args_written() { [ -f "$WORK/args" ] && [ "$(cat "$WORK/args")" = "a b|c|" ]; }

state_is() { # NAME STATE EXIT [LABELS-JSON]: the last run's state and exit code (and labels)
	python3 - "$WORK/state/$1.json" "$2" "$3" "${4:-}" <<-'EOF' 2>/dev/null
		import json, sys
		with open(sys.argv[1]) as f:
		    doc = json.load(f)
		last = doc["last_run"]
		ok = last["state"] == sys.argv[2] and last["exit_code"] == int(sys.argv[3])
		if sys.argv[4]:
		    ok = ok and doc["labels"] == json.loads(sys.argv[4])
		sys.exit(0 if ok else 1)
	EOF
}
LABELS='{"team": "db", "tier": "1", "role": "x"}'
refused() { # FILE TEXT: cronguard's one line of refusal, from cron's run of the line
	[ -s "$1" ] && grep -q "^cronguard: .*$2" "$1"
}

issue15_done() {
	state_is "$NAME-standby" skipped_standby 0 && state_is "$NAME-pipe" failure 1 &&
		state_is "$NAME-nolock" success 0 && state_is "$NAME-locked" skipped_locked 0 &&
		refused "$WORK/abbrev.err" "not spelled in full" && refused "$WORK/sh.err" "shell or a command runner"
}

all_done() {
	job_ran && state_is_failure_3 "$NAME" && have_syslog_line && args_written &&
		state_is_success "$ARGS_NAME" && issue15_done
}

START=$SECONDS
poll_until $((START + DEADLINE_SECONDS)) all_done
echo "# waited $((SECONDS - START)) s"

if job_ran; then
	ok "cron ran the job: $WORK/out has 'ran'"
else
	not_ok "cron did not run the job within ${DEADLINE_SECONDS}s ($WORK/out is missing or empty)"
fi
if state_is_failure_3 "$NAME"; then
	ok "state file $NAME.json: last_run.state=failure, exit_code=3"
else
	not_ok "state file $NAME.json: no last_run with state=failure and exit_code=3"
	[ -r "$WORK/state/$NAME.json" ] && sed 's/^/# /' "$WORK/state/$NAME.json"
fi
if line=$(syslog_line); then
	ok "syslog line: cronguard[${line#*cronguard\[}"
else
	not_ok "no syslog line matching /$SYSLOG_RE/ in ${SYSLOG_FILES[*]} (or the journal)"
fi
if args_written; then
	ok "arguments under cron: \\% escape, \"a b\" and PATH lookup gave exactly 'a b|c|'"
else
	not_ok "arguments under cron: $WORK/args is $(if [ -f "$WORK/args" ]; then printf "'%s'" "$(cat "$WORK/args")"; else echo missing; fi), expected 'a b|c|'"
fi
if state_is_success "$ARGS_NAME"; then
	ok "state file $ARGS_NAME.json: last_run.state=success, exit_code=0"
else
	not_ok "state file $ARGS_NAME.json: no successful last_run"
fi

# Issue 15.
if state_is "$NAME-standby" skipped_standby 0 && [ "$(cat "$WORK/standby.out")" = keep ]; then
	ok "--command on a standby (VIP not held): skipped_standby, and the target of its 'echo x >' untouched"
else
	not_ok "--command on a standby: state or $WORK/standby.out ('$(cat "$WORK/standby.out")') wrong"
fi
if state_is "$NAME-pipe" failure 1 && [ -f "$WORK/pipe.out" ]; then
	ok "--command 'false | cat > FILE': the failing first stage fails the run (failure, exit 1)"
else
	not_ok "--command 'false | cat > FILE': not recorded as failure, exit 1"
	[ -r "$WORK/state/$NAME-pipe.json" ] && sed 's/^/# /' "$WORK/state/$NAME-pipe.json"
fi
if state_is "$NAME-nolock" success 0 "$LABELS" && [ "$(cat "$WORK/nolock.out" 2>/dev/null)" = ran ]; then
	ok "--no-lock against the config's lock = yes ran the job; --label merged into the config's: $LABELS"
else
	not_ok "--no-lock / label merging: the job did not run, or its labels are not $LABELS"
	[ -r "$WORK/state/$NAME-nolock.json" ] && sed 's/^/# /' "$WORK/state/$NAME-nolock.json"
fi
if state_is "$NAME-locked" skipped_locked 0 && [ ! -e "$WORK/locked.out" ]; then
	ok "without --no-lock, the config's held lock skips the same line (skipped_locked)"
else
	not_ok "the control line without --no-lock was not skipped_locked"
fi
if refused "$WORK/abbrev.err" "option '--time' is not spelled in full: write --timeout" && [ ! -e "$WORK/abbrev.out" ]; then
	ok "an abbreviation (--time) is refused under cron: $(cat "$WORK/abbrev.err")"
else
	not_ok "the abbreviation --time was not refused ($WORK/abbrev.err: '$(cat "$WORK/abbrev.err" 2>/dev/null)')"
fi
if refused "$WORK/sh.err" "the command 'sh' is a shell or a command runner" && [ ! -e "$WORK/sh.out" ]; then
	ok "a shell as the job's name is refused under cron: $(cat "$WORK/sh.err")"
else
	not_ok "'cronguard --lock -- sh -c ...' without --name was not refused ($WORK/sh.err: '$(cat "$WORK/sh.err" 2>/dev/null)')"
fi

if ((FAILED > 0)); then
	# What cron itself said helps tell "never ran" from "ran and failed".
	for f in "${SYSLOG_FILES[@]}"; do
		[ -r "$f" ] && grep -E "CRON.*($NAME|cg-e2e)|cron\[" "$f" | tail -n 20 | sed 's/^/# syslog: /'
	done
	[ -n "$CRON_PID" ] && sed 's/^/# cron: /' "$WORK/cron.log"
	exit 1
fi
exit 0
