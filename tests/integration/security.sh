#!/usr/bin/env bash
# Another local user against root's (and a user's) cronguard, written as the attacks of
# issue 12: holding root's lock (#1), making its lock directory first (#2), owning the state
# and spool directories a run trusts (#4), a lock file that differs between cron and a login
# shell (#11), and files that are missing only after the splay (#9). Then the holes a review
# of that work found (R1-R9): the state directory's lock held by anyone, sticky shared data
# directories, a trailing slash past O_NOFOLLOW, unchecked parents, a lock file through
# another user's symlink, a group-writable config, bad URLs, a missing textfile directory,
# and lint refusing <(crontab -l).
#
# Each case runs in a private mount namespace of its own, with tmpfs over /run (0755, as
# the real one), /run/lock and /tmp (1777) and /home, and a passwd file with one extra user
# bound over /etc/passwd, so the machine's own directories and users are never touched. The
# attacker is nobody (setpriv); the second victim is uid 4242 with a home in /home.

if [ "${1:-}" != --inside ]; then
	. "${top_srcdir:-.}/tests/lib.sh"
	[ "$(id -u)" -eq 0 ] || skip_all "the attacks need root (setpriv, mount namespaces)"
	for tool in setpriv unshare flock python3; do
		command -v "$tool" >/dev/null || skip_all "$tool not installed"
	done
	unshare -m --propagation private true 2>/dev/null || skip_all "cannot make a mount namespace"
	for c in hold_lock lock_dir state_fallback state_world_writable spool_target user_lock \
		preflight state_lock sticky_data trailing_slash parents lock_symlink config_group \
		bad_urls textfile_missing lint_descriptor; do
		echo "# case $c"
		out=$(unshare -m --propagation private -- "$BASH" "$0" --inside "$c" 2>&1)
		rc=$?
		printf '%s\n' "$out"
		T_PASS=$((T_PASS + $(grep -c '^ok - ' <<<"$out")))
		T_FAIL=$((T_FAIL + $(grep -c '^not ok - ' <<<"$out")))
		if [ "$rc" -ne 0 ] && ! grep -q '^not ok - ' <<<"$out"; then
			not_ok "case $c ended with status $rc"
		fi
	done
	done_testing
	exit
fi

# ---- inside one case's mount namespace ----
case_name=$2
# The trees under test may be in /tmp (a CI clone): they stay reachable through a bind of
# the real /tmp, made before the tmpfs hides it.
CRONGUARD=${CRONGUARD:-src/cronguard}
[ "${CRONGUARD#/}" != "$CRONGUARD" ] || CRONGUARD=$PWD/$CRONGUARD
top_srcdir=${top_srcdir:-.}
[ "${top_srcdir#/}" != "$top_srcdir" ] || top_srcdir=$PWD/$top_srcdir
here=$PWD
mount -t tmpfs -o mode=0755 tmpfs /run || exit 1
mkdir -p /run/lock /run/host-tmp
mount -t tmpfs -o mode=1777 tmpfs /run/lock || exit 1
mount --bind /tmp /run/host-tmp || exit 1
mount -t tmpfs -o mode=1777 tmpfs /tmp || exit 1
for v in CRONGUARD CG_MEMCHECK_BINARY CG_MEMCHECK_DIR top_srcdir here; do
	case ${!v:-} in
	/tmp/*) declare -x "$v=/run/host-tmp/${!v#/tmp/}" ;;
	esac
done
export CRONGUARD top_srcdir
cd "$here" || exit 1
mkdir -p /home
mount -t tmpfs -o mode=0755 tmpfs /home || exit 1
cp /etc/passwd /run/passwd
echo "cgvictim:x:4242:4242:cronguard test victim:/home/cgvictim:/bin/sh" >>/run/passwd
mount --bind /run/passwd /etc/passwd || exit 1
mkdir -m 0700 /home/cgvictim
chown 4242:4242 /home/cgvictim

. "$top_srcdir/tests/lib.sh"
HTTPFAKE=$top_srcdir/tests/integration/httpfake.py
export CRONGUARD_NO_SYSLOG=yes
: >/run/empty.conf
export CRONGUARD_CONFIG=/run/empty.conf
export CRONGUARD_STATE_DIR=$T_TMP/state

# The build tree may be private: the other users run a copy (of the binary itself under
# memcheck, where root's runs alone go through valgrind).
mkdir -m 0755 /run/bin
cp "${CG_MEMCHECK_BINARY:-$CRONGUARD}" /run/bin/cronguard
chmod 0755 /run/bin/cronguard
BIN=/run/bin/cronguard
# A directory every user can leave markers in.
PUB=/tmp/pub
mkdir -m 1777 "$PUB"

as_nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
as_victim() { setpriv --reuid=4242 --regid=4242 --clear-groups "$@"; }
# Under cron: no HOME, no XDG_RUNTIME_DIR, a bare PATH. In a login shell: both.
CRON_ENV=(env -i PATH=/usr/bin:/bin CRONGUARD_NO_SYSLOG=yes CRONGUARD_CONFIG=/run/empty.conf)
LOGIN_ENV=("${CRON_ENV[@]}" HOME=/home/cgvictim XDG_RUNTIME_DIR=/run/user/4242)
# that DESC EXPR: ok when the shell expression EXPR (a string, evaluated now) is true.
that() {
	if eval "$2"; then ok "$1"; else not_ok "$1"; fi
}
lines() { grep -c . "$ERR_FILE"; }
one_line() { [ "$(lines)" -eq 1 ] || { sed 's/^/#   /' "$ERR_FILE"; return 1; }; }
stderr_has() { grep -q -- "$1" "$ERR_FILE" || { sed 's/^/#   /' "$ERR_FILE"; return 1; }; }
# hold FILE MARKER: nobody holds an exclusive flock on FILE in the background, through a
# descriptor opened read-only (all flock(2) needs), in one process (HOLDER). True once it
# holds it, false when it could not even open the file.
hold() {
	setpriv --reuid=65534 --regid=65534 --clear-groups \
		sh -c 'exec 9<"$1" && flock -x -n 9 && touch "$2" && exec sleep 1000' sh "$1" "$2" \
		2>/dev/null &
	HOLDER=$!
	at_exit "kill $HOLDER 2>/dev/null"
	wait_for 5 sh -c "[ -e $2 ] || ! kill -0 $HOLDER 2>/dev/null"
	[ -e "$2" ]
}

# #1: nobody holds root's lock, which needs only a descriptor that can read the file.
case_hold_lock() {
	local L
	cg -n backup --lock -- true
	cg -n backup --lock --dry-run -- true
	L=$(sed -n 's/^lock=//p' <<<"$OUT")
	hold "$L" "$PUB/held"
	cg -n backup --lock -- touch "$T_TMP/ran"
	that "#1: nobody cannot hold root's default lock ($L): root's job runs" \
		'[ "$RC" -eq 0 ] && [ -e "$T_TMP/ran" ]'
	that "#1: root's lock file is 0600 in a 0700 directory of root's" \
		'[ "$(stat -c %a:%U "$L")" = 600:root ] && [ "$(stat -c %a:%U "${L%/*}")" = 700:root ]'

	# An explicit --lock-file in a directory anyone can write: nobody makes it first.
	setpriv --reuid=65534 --regid=65534 --clear-groups sh -c "umask 0; : >/run/lock/shared.lock"
	hold /run/lock/shared.lock "$PUB/held2"
	cg -n shared --lock-file /run/lock/shared.lock -- touch "$T_TMP/ran2"
	that "#1: a --lock-file nobody made and holds: 125 and one line saying what to remove, never a silent skip" \
		'[ "$RC" -eq 125 ] && [ ! -e "$T_TMP/ran2" ] && one_line && stderr_has "rm /run/lock/shared.lock"'

	# A lock file of root's left 0644 (by an older version), opened by nobody back then: a
	# chmod would not take the lock back from that descriptor.
	(umask 022 && : >/run/lock/legacy.lock)
	hold /run/lock/legacy.lock "$PUB/held3"
	cg -n legacy --lock-file /run/lock/legacy.lock -- touch "$T_TMP/ran3"
	that "#1: root's 0644 lock file held by nobody: 125 with one line naming it, not a skip" \
		'[ "$RC" -eq 125 ] && [ ! -e "$T_TMP/ran3" ] && one_line && stderr_has "rm /run/lock/legacy.lock"'
	kill "$HOLDER"
	wait "$HOLDER" 2>/dev/null
	cg -n legacy --lock-file /run/lock/legacy.lock -- touch "$T_TMP/ran3"
	that "#1: refused while nobody holds it too: the mode alone decides" \
		'[ "$RC" -eq 125 ] && [ ! -e "$T_TMP/ran3" ]'
	rm /run/lock/legacy.lock
	cg -n legacy --lock-file /run/lock/legacy.lock -- touch "$T_TMP/ran3"
	that "#1: once removed, the job runs and the new lock file is 0600" \
		'[ "$RC" -eq 0 ] && [ -e "$T_TMP/ran3" ] && [ "$(stat -c %a /run/lock/legacy.lock)" = 600 ]'
	that "#1: ... which nobody cannot open" '! hold /run/lock/legacy.lock "$PUB/held4"'
}

# #2: nobody makes root's lock directory before root's first run.
case_lock_dir() {
	as_nobody mkdir /run/lock/cronguard
	as_nobody mkdir /run/cronguard 2>/dev/null
	cg -n nightly --lock -- touch "$T_TMP/ran"
	that "#2: a lock directory nobody made first in /run/lock does not block root's job" \
		'[ "$RC" -eq 0 ] && [ -e "$T_TMP/ran" ]'
	that "#2: root's lock directory is root's alone" \
		'[ "$(stat -c %a:%U /run/cronguard 2>/dev/null)" = 700:root ]'

	# Where /run itself is writable by anyone (a container): nobody makes it first.
	rm -rf /run/cronguard
	chmod 1777 /run
	as_nobody mkdir /run/cronguard
	cg -n nightly --lock -- touch "$T_TMP/ran2"
	that "#2: a lock directory nobody made: 125, not run, one line saying what to remove" \
		'[ "$RC" -eq 125 ] && [ ! -e "$T_TMP/ran2" ] && one_line && stderr_has "rm -r /run/cronguard"'
	chmod 0755 /run

	# Another user's lock directory in /tmp, made first by nobody, blocks nothing either.
	as_nobody mkdir -m 0777 /tmp/cronguard-4242
	as_victim "${CRON_ENV[@]}" "$BIN" -n j --lock -- touch "$PUB/victim-ran" 2>"$T_TMP/v.err"
	RC=$?
	that "#2: nobody's /tmp/cronguard-4242 does not block uid 4242's --lock job" \
		'[ "$RC" -eq 0 ] && [ -e "$PUB/victim-ran" ]'
}

# A spool entry as cronguard writes one, in DIR for JOB's SINK, to be POSTed to URL, with N
# in its run id and body.
plant_entry() {
	printf 'cronguard-spool 1\nsink %s\nauth none\njob %s\nrun-id 0b1e5a9e-0000-4000-8000-00000000000%s\nstart-us 1700000000000000\nurl %s\ncontent-type application/json\n\n{"planted":%s}' \
		"$2" "$3" "$5" "$4" "$5" >"$1/00001700000000000000-$3-0b1e5a9e-0000-4000-8000-00000000000$5.$2"
}

start_fake() {
	start_bg "$T_TMP/fake.out" python3 "$HTTPFAKE" serve --port-file "$T_TMP/port" --log "$T_TMP/http.log"
	wait_for 10 test -s "$T_TMP/port" || bail_out "the fake HTTP server starts"
	U=http://127.0.0.1:$(cat "$T_TMP/port")
}
# How many requests the fake server has had for KEY (the URL's first path segment).
received() {
	if [ -s "$T_TMP/http.log" ]; then
		python3 "$HTTPFAKE" query "$T_TMP/http.log" --key "$1" --print count
	else
		echo 0
	fi
}
bodies() { [ ! -s "$T_TMP/http.log" ] || python3 "$HTTPFAKE" query "$T_TMP/http.log" --print body; }

# #4: uid 4242 under cron (no HOME, no XDG_STATE_HOME) falls back to /tmp/cronguard-state-4242;
# nobody makes it first, world-writable, with a spool holding planted records.
case_state_fallback() {
	local D=/tmp/cronguard-state-4242
	start_fake
	as_nobody mkdir -m 0777 "$D" "$D/spool"
	as_nobody bash -c "$(declare -f plant_entry); plant_entry $D/spool webhook nightly $U/steal/x 1;
		plant_entry $D/spool webhook nightly $U/hook/n 2"
	as_victim "${CRON_ENV[@]}" "$BIN" -n nightly --webhook "$U/hook/n" -- sh -c 'exit 3' 2>"$T_TMP/v.err"
	RC=$?
	ERR_FILE=$T_TMP/v.err
	that "#4: the victim's run goes on, its exit status 3 unchanged" '[ "$RC" -eq 3 ]'
	that "#4: one line refuses nobody's state dir $D" 'one_line && stderr_has "state dir $D"'
	that "#4: nothing is POSTed where the planted record says" '[ "$(received steal)" -eq 0 ]'
	that "#4: the victim's own webhook gets its run, and no planted body" \
		'[ "$(received hook)" -eq 1 ] && ! bodies | grep -q planted || { cat "$T_TMP/http.log" "$ERR_FILE"; false; }'
	that "#4: the victim wrote nothing into nobody's directory" '[ -z "$(find "$D" -uid 4242)" ]'
}

# #4: root's --state-dir is a world-writable directory nobody made, with a planted spool.
case_state_world_writable() {
	local D=/tmp/shared-state
	start_fake
	as_nobody mkdir -m 0777 "$D" "$D/spool"
	as_nobody bash -c "$(declare -f plant_entry); plant_entry $D/spool webhook nightly $U/steal/x 1"
	cg -n nightly --state-dir "$D" --webhook "$U/hook/n" -- sh -c 'exit 3'
	that "#4: root's run goes on, exit status 3 unchanged" '[ "$RC" -eq 3 ]'
	that "#4: one line refuses the state dir" 'one_line && stderr_has "state dir $D"'
	that "#4: the planted record is not sent" '[ "$(received steal)" -eq 0 ]'
	that "#4: root kept nothing there" '[ ! -e "$D/nightly.json" ] && [ -z "$(find "$D" -uid 0)" ]'

	# Root's own directory, but one every user can write to, not sticky.
	mkdir -m 0777 /tmp/root-ww
	cg -n nightly --state-dir /tmp/root-ww -- true
	that "#4: root's own state dir writable by others, not sticky: refused, one line, exit 0" \
		'[ "$RC" -eq 0 ] && [ ! -e /tmp/root-ww/nightly.json ] && one_line'
	mkdir -m 0777 /tmp/textfile
	cg -n nightly --textfile-dir /tmp/textfile -- true
	that "#4: a world-writable textfile dir is refused: one line, exit 0, no .prom" \
		'[ "$RC" -eq 0 ] && [ ! -e /tmp/textfile/cronguard_nightly.prom ] && one_line && stderr_has "textfile dir"'
}

# #4: a record in root's own spool goes only to the URL its job still has for its sink.
case_spool_target() {
	local D=$T_TMP/state
	start_fake
	mkdir -p "$D/spool"
	chmod 0700 "$D/spool"
	plant_entry "$D/spool" webhook nightly "$U/old/x" 1      # its job's URL before a change
	plant_entry "$D/spool" webhook other "$U/hook/n" 2       # another job's record
	plant_entry "$D/spool" influx nightly "$U/hook/n" 3      # another sink's record
	cg -n nightly --state-dir "$D" --webhook "$U/hook/n" -- true
	that "#4: the run delivers its own record" '[ "$RC" -eq 0 ] && [ "$(received hook)" -ge 1 ]'
	that "#4: a spooled record for a URL no longer configured is not sent there" \
		'[ "$(received old)" -eq 0 ]'
	that "#4: another job's and another sink's records are not sent to this job's webhook" \
		'! bodies | grep -q planted'
	plant_entry "$D/spool" webhook nightly "$U/hook/n" 4
	cg -n nightly --state-dir "$D" --webhook "$U/hook/n" -- true
	that "#4: a spooled record for this job's configured URL is sent" \
		'bodies | grep -q "\"planted\":4"'
}

# #11: uid 4242 runs a job by hand (a login shell: HOME, XDG_RUNTIME_DIR) while cron runs it
# (neither): both must lock the same file.
case_user_lock() {
	local a b hand
	mkdir -m 0700 -p /run/user/4242
	chown 4242:4242 /run/user/4242
	a=$(as_victim "${LOGIN_ENV[@]}" "$BIN" -n sync --lock --dry-run -- true | sed -n 's/^lock=//p')
	b=$(as_victim "${CRON_ENV[@]}" "$BIN" -n sync --lock --dry-run -- true | sed -n 's/^lock=//p')
	that "#11: by hand and under cron the lock path is the same ($a, $b)" '[ -n "$a" ] && [ "$a" = "$b" ]'
	as_victim "${LOGIN_ENV[@]}" "$BIN" -n sync --lock -- \
		sh -c "touch $PUB/hand; until [ -e $PUB/release ]; do sleep 0.05; done" &
	hand=$!
	at_exit "touch $PUB/release; kill $hand 2>/dev/null"
	wait_for 5 test -e "$PUB/hand"
	as_victim "${CRON_ENV[@]}" "$BIN" -n sync --lock -- touch "$PUB/cron-ran"
	RC=$?
	that "#11: the cron run skips (exit 0, not run) while the run by hand holds the lock" \
		'[ "$RC" -eq 0 ] && [ ! -e "$PUB/cron-ran" ]'
	touch "$PUB/release"
	wait "$hand"
	as_victim "${CRON_ENV[@]}" "$BIN" -n sync --lock -- touch "$PUB/cron-ran"
	that "#11: and runs once it is free" '[ -e "$PUB/cron-ran" ]'
	that "#11: the lock directory is the victim's alone" '[ "$(stat -c %a:%u "${b%/*}")" = 700:4242 ]'
	that "#11: nobody cannot open the victim's lock file" '! hold "$b" "$PUB/held"'
}

# #9: what is missing is found before the splay: 125, one line, nothing slept, nothing written.
case_preflight() {
	local opt job=""
	# A job whose splay of 30 s is at least 20 s, so a run that sleeps it is seen.
	for i in $(seq 0 40); do
		[ "$("$BIN" -n "pre$i" --host h --splay 30s --dry-run -- true | sed -n 's/^splay_ms=//p')" -ge 20000 ] &&
			job=pre$i && break
	done
	[ -n "$job" ] || bail_out "a job name with a long splay"
	for opt in "--etcd http://127.0.0.1:9 --cluster-lock --etcd-user u --etcd-password-file /nonexistent" \
		"--influx http://127.0.0.1:9/write?db=x --influx-token-file /nonexistent" \
		"--webhook https://127.0.0.1:9/ --ca-file /nonexistent"; do
		rm -rf "$T_TMP/state"
		# shellcheck disable=SC2086
		cg -n "$job" --host h --splay 30s --state-dir "$T_TMP/state" $opt -- touch "$T_TMP/ran"
		that "#9: ${opt##* --}: exit 125 at once (no splay slept), one line naming the file" \
			'[ "$RC" -eq 125 ] && [ "$MS" -lt 20000 ] && one_line && stderr_has /nonexistent'
		that "#9: ${opt##* --}: no record written, command not run" \
			'[ ! -e "$T_TMP/state/$job.json" ] && [ ! -e "$T_TMP/ran" ]'
	done
	printf 'secret\n' >"$T_TMP/token"
	chmod 0644 "$T_TMP/token"
	cg -n pre --state-dir "$T_TMP/state" --influx "http://127.0.0.1:9/write?db=x" \
		--influx-token-file "$T_TMP/token" --report-timeout 1s -- true
	that "#9: a world-readable secret file: one warning line naming it, the run goes on" \
		'[ "$RC" -eq 0 ] && stderr_has "$T_TMP/token is readable by every user"'
}

# A job with a splay of 30 s that is at least 20 s on host h, so a run that sleeps it is seen.
long_splay_job() {
	local i
	for i in $(seq 0 40); do
		[ "$("$BIN" -n "pre$i" --host h --splay 30s --dry-run -- true | sed -n 's/^splay_ms=//p')" -ge 20000 ] &&
			echo "pre$i" && return 0
	done
	return 1
}

# R1: the state directory is 0755 (monitoring users read it); nobody flocks the directory.
case_state_lock() {
	local D=/run/cgstate
	mkdir -m 0755 "$D"
	hold "$D" "$PUB/held" || bail_out "nobody opens and flocks a 0755 directory"
	cg -n bk --state-dir "$D" -- false
	that "R1: nobody's flock on the state directory: root's run keeps its state, at once, silently" \
		'[ "$RC" -eq 1 ] && [ "$MS" -lt 4000 ] && [ -s "$D/bk.json" ] && [ "$(lines)" -eq 0 ]'
	that "R1: the state lock is a 0600 file of root's" '[ "$(stat -c %a:%U "$D/.lock")" = 600:root ]'
	that "R1: ... which nobody cannot open to hold" '! hold "$D/.lock" "$PUB/held2"'
	that "R1: nobody can still read the state" 'as_nobody cat "$D/bk.json" >/dev/null'
}

# R2: a sticky directory every user can write to (/tmp, /run/lock, mkdir -m 1777) as root's
# state or textfile directory: nobody plants the files root would read and write through.
case_sticky_data() {
	local D=/tmp/shared T=/tmp/tf now
	mkdir -m 1777 "$D" "$T"
	now=$(date +%s)
	as_nobody sh -c "echo x >$D/.bk.json.prev; printf '{\"version\":1,\"job\":\"bk\",\"last_run\":{\"state\":\"success\",\"start\":$now,\"exit_code\":0,\"duration\":1},\"last_success\":{\"start\":$now,\"duration\":1},\"consecutive_failures\":0,\"runs\":9}\n' >$D/bk.json"
	cg -n bk --state-dir "$D" -- false
	that "R2: a sticky shared state dir is refused: one line, exit 1 unchanged" \
		'[ "$RC" -eq 1 ] && one_line && stderr_has "state dir $D"'
	that "R2: root wrote nothing there, and nobody's files are still nobody's" \
		'[ -z "$(find "$D" -uid 0 -mindepth 1)" ] && [ "$(stat -c %U "$D/bk.json")" = nobody ] &&
		 grep -q "\"runs\":9" "$D/bk.json"'
	cg --status --state-dir "$D"
	that "R2: --status does not show nobody's planted success as root's job: 3 (unusable), one line" \
		'[ "$RC" -eq 3 ] && ! grep -q success "$OUT_FILE" && one_line'
	as_nobody sh -c "printf 'cronguard_fake_metric{job=\"bk\"} 42\n' >$T/cronguard_bk.prom"
	cg -n bk --textfile-dir "$T" -- true
	that "R2: a sticky shared textfile dir is refused: one line, exit 0" \
		'[ "$RC" -eq 0 ] && one_line && stderr_has "textfile dir $T"'
	that "R2: nobody's .prom is not merged into root's" \
		'[ "$(stat -c %U "$T/cronguard_bk.prom")" = nobody ] && [ -z "$(find "$T" -uid 0 -mindepth 1)" ]'
}

# R3: "DIR/" makes the kernel follow the symlink DIR that O_NOFOLLOW refuses.
case_trailing_slash() {
	as_nobody ln -s /run/lock /tmp/cgstate
	cg -n s --state-dir /tmp/cgstate/ -- true
	that "R3: --state-dir through nobody's symlink with a trailing slash: refused, one line" \
		'[ "$RC" -eq 0 ] && one_line && stderr_has "/tmp/cgstate" && [ ! -e /run/lock/s.json ]'
	cg --status --state-dir /tmp/cgstate/
	that "R3: --status does not follow it either" '[ "$RC" -eq 3 ] && one_line'
	for opt in --state-dir --textfile-dir --lock-file --config; do
		(cd /tmp && "$BIN" -n s "$opt" rel/x -- touch "$T_TMP/ran" 2>"$T_TMP/rel.err")
		RC=$?
		ERR_FILE=$T_TMP/rel.err
		that "R3: a relative $opt: 125, one line, not run" \
			'[ "$RC" -eq 125 ] && one_line && stderr_has "absolute" && [ ! -e "$T_TMP/ran" ]'
	done
}

# R4: the state and textfile directories' parents: nobody's /tmp/cg, where root's dirs live.
case_parents() {
	as_nobody mkdir -m 0755 /tmp/cg
	cg -n fa --state-dir /tmp/cg/state -- false
	that "R4: a state dir under nobody's directory is refused: one line naming it, exit 1" \
		'[ "$RC" -eq 1 ] && one_line && stderr_has "/tmp/cg is owned by uid 65534" && [ ! -e /tmp/cg/state ]'
	mkdir -m 0755 /tmp/cg/tf
	cg -n fa --textfile-dir /tmp/cg/tf -- true
	that "R4: a textfile dir under nobody's directory is refused: one line, no .prom" \
		'[ "$RC" -eq 0 ] && one_line && stderr_has "textfile dir" && [ ! -e /tmp/cg/tf/cronguard_fa.prom ]'
	# Above a textfile dir, a directory of the collector's own (Debian's /var/lib/prometheus
	# is prometheus's) in root's tree: its owner can only make the sink fail, so it is used.
	mkdir -m 0755 /run/prom
	mkdir -m 0755 /run/prom/node-exporter
	chown 65534:65534 /run/prom
	cg -n fa --textfile-dir /run/prom/node-exporter -- true
	that "R4: a textfile dir below the collector's own directory in root's tree: written" \
		'[ "$RC" -eq 0 ] && [ "$(lines)" -eq 0 ] && [ -s /run/prom/node-exporter/cronguard_fa.prom ]'
	# Root's own tree, made by the run: fine.
	cg -n fa --state-dir /tmp/root-tree/a/state -- false
	that "R4: a missing state dir in root's tree is made, 0755, and used" \
		'[ "$RC" -eq 1 ] && [ -s /tmp/root-tree/a/state/fa.json ] && [ "$(lines)" -eq 0 ] &&
		 [ "$(stat -c %a:%U /tmp/root-tree)" = 755:root ]'
	# A symlink above it: root's in root's /run (as a /var/lib moved elsewhere) is followed;
	# nobody's in /tmp is not.
	mkdir -m 0755 /run/realvar
	ln -s realvar /run/varlib
	cg -n fa --state-dir /run/varlib/cg -- false
	that "R4: a state dir below root's symlink in root's directory: used" \
		'[ "$RC" -eq 1 ] && [ -s /run/realvar/cg/fa.json ] && [ "$(lines)" -eq 0 ]'
	as_nobody ln -s /run/realvar /tmp/nl
	cg -n fb --state-dir /tmp/nl/cg -- false
	that "R4: a state dir below nobody's symlink: refused, one line, nothing written" \
		'[ "$RC" -eq 1 ] && one_line && stderr_has "/tmp/nl is a symlink of another user" &&
		 [ ! -e /run/realvar/cg/fb.json ]'
}

# R5: --lock-file's directory part through a symlink nobody can flip between two runs.
case_lock_symlink() {
	mkdir -m 0755 /run/A /run/B
	as_nobody ln -s /run/A /tmp/lk
	cg -n r --lock-file /tmp/lk/r.lock -- touch "$T_TMP/ran"
	that "R5: a lock file through nobody's symlink: 125, one line, not run, nothing made" \
		'[ "$RC" -eq 125 ] && one_line && stderr_has "/tmp/lk is a symlink" && [ ! -e "$T_TMP/ran" ] &&
		 [ ! -e /run/A/r.lock ]'
	ln -s /run/A /tmp/rootlink
	cg -n r --lock-file /tmp/rootlink/r.lock -- touch "$T_TMP/ran"
	that "R5: root's symlink, but in a directory anyone can write: refused too" \
		'[ "$RC" -eq 125 ] && one_line && [ ! -e "$T_TMP/ran" ]'
	ln -s lock /run/varlock
	cg -n r --lock-file /run/varlock/r.lock -- touch "$T_TMP/ran"
	that "R5: root's symlink in root's /run (as /var/lock): followed, the job runs" \
		'[ "$RC" -eq 0 ] && [ -e "$T_TMP/ran" ] && [ -e /run/lock/r.lock ]'
}

# R6: a config file writable by a group other than root's.
case_config_group() {
	printf 'lock = yes\n' >/run/g.conf
	chgrp 65534 /run/g.conf
	chmod 0664 /run/g.conf
	cg -c /run/g.conf -n a -- touch "$T_TMP/ran"
	that "R6: a config writable by group nogroup: 125, one line naming it and chmod g-w" \
		'[ "$RC" -eq 125 ] && one_line && stderr_has "/run/g.conf" && stderr_has "chmod g-w" &&
		 [ ! -e "$T_TMP/ran" ]'
	chgrp 0 /run/g.conf
	cg -c /run/g.conf -n a -- touch "$T_TMP/ran"
	that "R6: writable by root's group only: accepted, as sudo has it" '[ "$RC" -eq 0 ] && [ -e "$T_TMP/ran" ]'
}

# R7: URLs that would fail in two stderr lines on every run are refused when loaded.
case_bad_urls() {
	local u
	for u in 'http://127.0.0.1:99999/x' 'http://[::1/x' 'http://:80/x' 'http://h:0/x'; do
		rm -f "$T_TMP/ran"
		cg -n a --ping "$u" -- touch "$T_TMP/ran"
		that "R7: --ping $u: 125, one line, not run" \
			'[ "$RC" -eq 125 ] && one_line && stderr_has "bad URL" && [ ! -e "$T_TMP/ran" ]'
	done
	printf '0 * * * * root cronguard -n a --ping http://[::1/x -- true\n' >/run/ct
	cg --lint-crontab /run/ct
	that "R7: lint says so too" '[ "$RC" -ne 0 ] && grep -q "bad URL" "$OUT_FILE" "$ERR_FILE"'
}

# R8: a missing textfile directory is found before the splay.
case_textfile_missing() {
	local job
	job=$(long_splay_job) || bail_out "a job name with a long splay"
	cg -n "$job" --host h --splay 30s --textfile-dir /nonexistent -- touch "$T_TMP/ran"
	that "R8: --textfile-dir /nonexistent: 125 at once (no splay slept), one line, not run" \
		'[ "$RC" -eq 125 ] && [ "$MS" -lt 20000 ] && one_line && stderr_has /nonexistent && [ ! -e "$T_TMP/ran" ]'
}

# R9: lint's crontab handed over as a descriptor: <(crontab -l), a pipe on /dev/stdin.
case_lint_descriptor() {
	local line='0 3 * * * root cronguard -n nightly -- true'
	T_RUNS=$((T_RUNS + 1))
	ERR_FILE=$T_TMP/lint$T_RUNS.err
	"$BIN" --lint-crontab <(printf '%s\n' "$line") >/dev/null 2>"$ERR_FILE"
	RC=$?
	that "R9: --lint-crontab <(...) (/dev/fd/N) is read, not refused as a symlink" \
		'[ "$RC" -le 1 ] && ! grep -q "symbolic link" "$ERR_FILE"'
	printf '%s\n' "$line" | "$BIN" --lint-crontab /dev/stdin >/dev/null 2>"$ERR_FILE"
	RC=$?
	that "R9: --lint-crontab /dev/stdin from a pipe is read" '[ "$RC" -le 1 ] && [ "$(lines)" -eq 0 ]'
	ln -s /run/ct-target /run/ctlink
	cg -c /run/ctlink -n a -- true
	that "R9: a config through a symlink stays refused" '[ "$RC" -eq 125 ] && one_line'
}

"case_$case_name"
done_testing
