#!/bin/bash
# System test of the Debian package: contrib/debian/build-deb builds it; it is installed on this
# machine and checked (binary, man page, conffile, state dir, a run, --status, lintian, the
# rules, dashboard, queries, Puppet module and Ansible role under /usr/share/cronguard); removed
# and installed again (a local change to the conffile survives); then purged.
#
# The machine is left as it was found: whatever the package would own (/usr/bin/cronguard,
# /etc/cronguard.conf, /var/lib/cronguard...) is moved aside first and put back at the end, and
# packages the install pulled in are purged with it. (So do not run it while cronguard jobs
# run as root from another installation: their state files are away for the half minute.) The build dependencies and lintian are
# installed with apt-get when missing (CI starts from a fresh machine) and are kept.
# Not in the memcheck mode (mk/fleet.am): the binary under test here is the package's, on purpose.
# Exit status: 0 all passed, 1 a check failed, 77 skipped (not root, not Debian, or the tools
# cannot be installed; under CI=true those are failures).
set -u
top=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
# shellcheck source=tests/lib.sh
. "$top/tests/lib.sh"

[ "$(id -u)" -eq 0 ] || skip_all "deb.sh needs root: it installs and purges a package"
command -v apt-get >/dev/null && command -v dpkg-query >/dev/null ||
	skip_all "not a Debian system (no apt-get, dpkg-query)"
status=$(dpkg-query -W -f='${Status}' cronguard 2>/dev/null)
case $status in
"" | *not-installed) ;;
*) skip_all "a cronguard package is on this machine ($status); not touching it" ;;
esac

export DEBIAN_FRONTEND=noninteractive
APT_LOG=$T_TMP/apt.log
# apt_get ARGS...: apt-get, after one `apt-get update` if the first try fails (stale lists).
apt_get() {
	apt-get -q -y -o Dpkg::Use-Pty=0 "$@" >>"$APT_LOG" 2>&1 && return 0
	apt-get -q update >>"$APT_LOG" 2>&1 && apt-get -q -y -o Dpkg::Use-Pty=0 "$@" >>"$APT_LOG" 2>&1
}

# ---- Tools: dpkg-dev, the build dependencies of contrib/debian/control, lintian, man-db.
command -v dpkg-checkbuilddeps >/dev/null || apt_get install --no-install-recommends dpkg-dev ||
	skip_all "cannot install dpkg-dev (see $APT_LOG)"
if ! dpkg-checkbuilddeps "$top/contrib/debian/control" >/dev/null 2>&1; then
	mkdir -p "$T_TMP/deps/debian"
	cp "$top/contrib/debian/control" "$T_TMP/deps/debian/"
	apt_get build-dep --no-install-recommends "$T_TMP/deps" ||
		skip_all "cannot install the build dependencies: $(tail -n 3 "$APT_LOG")"
fi
for tool in lintian:lintian man:man-db; do
	command -v "${tool%%:*}" >/dev/null || apt_get install --no-install-recommends "${tool#*:}" ||
		skip_all "cannot install ${tool#*:}: $(tail -n 3 "$APT_LOG")"
done
check "build dependencies of contrib/debian/control are installed" \
	dpkg-checkbuilddeps "$top/contrib/debian/control"

# ---- Build.
mkdir -p "$T_TMP/out"
if "$top/contrib/debian/build-deb" "$T_TMP/out" >"$T_TMP/build.out" 2>&1; then
	DEB=$(tail -n 1 "$T_TMP/build.out")
	ok "build-deb made $(basename "$DEB") ($(grep -c '^PASS: tests/unit/unit_tests' "$T_TMP/out/cronguard-build.log") unit suite passed in the build)"
else
	not_ok "build-deb failed:"
	sed 's/^/#   /' "$T_TMP/build.out"
	done_testing
	exit 1
fi
VERSION=$(dpkg-deb -f "$DEB" Version)

# ---- Lintian: report everything, fail on errors only.
lintian "$DEB" >"$T_TMP/lintian.out" 2>&1
grep -v 'running with root privileges is not recommended' "$T_TMP/lintian.out" | sed 's/^/# lintian: /'
if grep -q '^E: ' "$T_TMP/lintian.out"; then
	not_ok "lintian reports errors"
else
	ok "lintian: no errors ($(grep -c '^W: ' "$T_TMP/lintian.out") warnings)"
fi

# ---- Put aside what the package would own, and remember the installed packages.
ASIDE=$(mktemp -d /var/tmp/cronguard-deb-test.XXXXXX)
owned() {
	dpkg-deb -c "$DEB" | awk '$1 !~ /^d/ { sub(/^\./, "", $6); print $6 }'
	printf '%s\n' /var/lib/cronguard /usr/share/doc/cronguard
}
while read -r path; do
	if [ -e "$path" ] || [ -L "$path" ]; then
		mkdir -p "$ASIDE$(dirname "$path")"
		mv "$path" "$ASIDE$path"
		echo "$path" >>"$ASIDE/.moved"
		echo "# moved aside for the test: $path"
	fi
done < <(owned)
installed() { dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' | awk '$1 == "ii" { print $2 }' | sort; }
installed >"$T_TMP/before"

restore() {
	local path ok=1
	if dpkg-query -W -f='${Status}' cronguard 2>/dev/null | grep -qv not-installed; then
		dpkg --purge cronguard >>"$APT_LOG" 2>&1 || ok=0
	fi
	installed | comm -13 "$T_TMP/before" - >"$T_TMP/pulled"
	if [ -s "$T_TMP/pulled" ]; then
		xargs dpkg --purge <"$T_TMP/pulled" >>"$APT_LOG" 2>&1 || ok=0
	fi
	while read -r path; do
		rm -rf "$path"
		mkdir -p "$(dirname "$path")"
		mv "$ASIDE$path" "$path" || ok=0
	done < <(cat "$ASIDE/.moved" 2>/dev/null)
	if [ "$ok" = 1 ]; then
		rm -rf "$ASIDE"
	else
		echo "# deb.sh: could not restore everything; what was moved aside is in $ASIDE" >&2
	fi
}
at_exit restore

# ---- Install.
if apt_get install --no-install-recommends "$DEB"; then
	ok "apt-get install $(basename "$DEB")"
else
	not_ok "apt-get install $(basename "$DEB"): $(tail -n 5 "$APT_LOG")"
	done_testing
	exit 1
fi
check "dpkg says cronguard $VERSION is installed" \
	test "$(dpkg-query -W -f='${Status} ${Version}' cronguard)" = "install ok installed $VERSION"
out=$(/usr/bin/cronguard --version 2>&1)
check "/usr/bin/cronguard --version prints the package's version ($out)" test "$out" = "cronguard $VERSION"
out=$(man -wa cronguard 2>&1)
check "man -w cronguard finds the page ($out)" grep -qx /usr/share/man/man1/cronguard.1.gz <<<"$out"
check "man cronguard renders" sh -c 'MANPAGER=cat MANWIDTH=80 man cronguard 2>/dev/null | grep -q "EXIT STATUS"'
conffiles=$(dpkg-query -W -f='${Conffiles}' cronguard)
check "/etc/cronguard.conf is a conffile (${conffiles# })" \
	grep -Eq '^ /etc/cronguard.conf [0-9a-f]{32}$' <<<"$conffiles"
check "/etc/cronguard.conf is a root-owned regular file, mode 0644" \
	test "$(stat -c '%F %a %U:%G' /etc/cronguard.conf)" = "regular file 644 root:root"
check "/var/lib/cronguard is a root-owned directory, mode 0755" \
	test "$(stat -c '%F %a %U:%G' /var/lib/cronguard)" = "directory 755 root:root"

# The shipped file is read and valid as it is, and so is every example setting in it.
check "the shipped config is read and accepted (--dry-run)" \
	sh -c '/usr/bin/cronguard --dry-run -n debtest -- /bin/true | grep -qx config=/etc/cronguard.conf'
sed -E 's/^#([a-z[])/\1/' /etc/cronguard.conf >"$T_TMP/uncommented.conf"
check "every commented example in it is valid ($(grep -Ec '^[a-z[]' "$T_TMP/uncommented.conf") lines uncommented)" \
	sh -c "/usr/bin/cronguard -c '$T_TMP/uncommented.conf' --dry-run -n backup -- /bin/true >'$T_TMP/dry.out' 2>&1"

# A run and the status table, with the packaged paths.
/usr/bin/cronguard -n debtest -- true >"$T_TMP/run.out" 2>&1
check "cronguard -n debtest -- true exits 0 silently" test "$?-$(cat "$T_TMP/run.out")" = "0-"
check "it wrote /var/lib/cronguard/debtest.json with state success" \
	test "$(json_get /var/lib/cronguard/debtest.json 'd["last_run"]["state"]' 2>&1)" = success
/usr/bin/cronguard --status >"$T_TMP/status.out" 2>&1
rc=$?
check "cronguard --status exits 0 and lists debtest as success" \
	sh -c "[ $rc -eq 0 ] && grep -Eq '^debtest +success ' '$T_TMP/status.out'"

# The integration files (issue 16 #9), under /usr/share/cronguard, each the tree's own and
# usable where it lies.
SHARE=/usr/share/cronguard
for f in prometheus/cronguard.rules.yml prometheus/cronguard.rules.test.yml grafana/cronguard.json \
	influxdb/queries.md puppet/cronguard/manifests/job.pp puppet/cronguard/metadata.json \
	puppet/cronguard/functions/command.pp puppet/cronguard/functions/quote.pp ansible/example.yml \
	ansible/roles/cronguard/tasks/main.yml ansible/roles/cronguard/templates/cronguard_line.j2 \
	ansible/roles/cronguard/defaults/main.yml ansible/roles/cronguard/meta/main.yml; do
	check "the package installs $SHARE/$f, as in contrib/" cmp -s "$SHARE/$f" "$top/contrib/$f"
done
check "the installed files are root's and world-readable, none executable" \
	test -z "$(find "$SHARE" -type f \( ! -user root -o ! -perm -0444 -o -perm /0111 \) -print)"
if command -v promtool >/dev/null; then
	check "promtool test rules passes on the installed rules and their tests" \
		sh -c "cd '$SHARE/prometheus' && promtool test rules cronguard.rules.test.yml >'$T_TMP/promtool.out' 2>&1"
else
	not_ok "promtool is missing (Debian package prometheus): the installed rules cannot be tested"
fi
check "the installed dashboard is valid JSON" python3 -m json.tool "$SHARE/grafana/cronguard.json" /dev/null

# Remove (not purge): the locally changed conffile stays, and a new install keeps it.
echo "# local change" >>/etc/cronguard.conf
dpkg --remove cronguard >>"$APT_LOG" 2>&1
check "dpkg --remove takes the binary away" test ! -e /usr/bin/cronguard
check "... and keeps the changed conffile" grep -qx '# local change' /etc/cronguard.conf
dpkg -i "$DEB" >>"$APT_LOG" 2>&1
check "reinstalling keeps the local change without asking" \
	sh -c 'test -x /usr/bin/cronguard && grep -qx "# local change" /etc/cronguard.conf'

# Purge: nothing of the package is left.
dpkg --purge cronguard >>"$APT_LOG" 2>&1
check "dpkg --purge cronguard succeeds" test -z "$(dpkg-query -W -f='${Status}' cronguard 2>/dev/null | grep -v not-installed)"
left=
while read -r path; do
	[ -e "$path" ] && left="$left $path"
done < <(owned)
check "purge leaves nothing behind${left:+ (left:$left)}" test -z "$left"

done_testing
