#!/bin/bash
# Checks that --help and the man page tell the same story: every long option of the built
# binary is documented in doc/cronguard.1, every option the man page mentions exists, both
# state the wrapper exit statuses, the man page has its first-class sections, and it
# formats without a warning.
#
# Environment: CRONGUARD, the built binary; top_srcdir, the source tree (where doc/ is).
# Output: one "ok - ..." or "not ok - ..." line per check. Exit status: 0 all passed,
# 1 a check failed.

set -u
export LC_ALL=C

top_srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
CRONGUARD=${CRONGUARD:-$top_srcdir/src/cronguard}
MAN=$top_srcdir/doc/cronguard.1
FAILED=0

ok() { echo "ok - $*"; }
not_ok() {
	echo "not ok - $*"
	FAILED=$((FAILED + 1))
}

if [ ! -x "$CRONGUARD" ]; then
	not_ok "binary $CRONGUARD is executable"
	exit 1
fi
if [ ! -r "$MAN" ]; then
	not_ok "man page $MAN is readable"
	exit 1
fi

if ! help=$("$CRONGUARD" --help); then
	not_ok "cronguard --help exits 0"
	exit 1
fi
ok "cronguard --help exits 0"

# The long options of --help, from the option lines only ("  -n, --name NAME   ...",
# "      --host NAME   ..."), one per line.
help_opts=$(printf '%s\n' "$help" |
	sed -nE 's/^ +(-[A-Za-z0-9], )?--([a-z][a-z0-9-]*).*/\2/p' | sort -u)
if [ -z "$help_opts" ]; then
	not_ok "--help lists long options"
	exit 1
fi
ok "--help lists $(printf '%s\n' "$help_opts" | wc -l) long options"
# The flags among them (no value after the name), each of which also has a --no-FLAG form.
help_flags=$(printf '%s\n' "$help" |
	sed -nE 's/^ +(-[A-Za-z0-9], )?--([a-z][a-z0-9-]*)  .*/\2/p' | sort -u)
# known OPT: OPT is an option of --help, or no-FLAG for one of its flags.
known() {
	printf '%s\n' "$help_opts" | grep -qxF -- "$1" ||
		{ [ "${1#no-}" != "$1" ] && printf '%s\n' "$help_flags" | grep -qxF -- "${1#no-}"; }
}

# The man page as plain text for matching: \- is a dash; \% (no hyphenation), \& and
# font changes are dropped.
plain() {
	sed -E -e 's/\\-/-/g' -e 's/\\[%&]//g' -e 's/\\f(\[[A-Z]*\]|[BIRP])//g' "$@"
}
man_all=$(plain "$MAN")
# The OPTIONS section: from ".SH OPTIONS" up to the next ".SH".
man_options=$(printf '%s\n' "$man_all" | sed -n '/^\.SH "*OPTIONS"*$/,/^\.SH/p' | sed '$d')
if [ -z "$man_options" ]; then
	not_ok "the man page has an OPTIONS section"
fi

# Long options mentioned in some text, without the leading dashes.
mentioned() {
	printf '%s\n' "$1" | grep -oE -- '--[a-z][a-z0-9]*(-[a-z0-9]+)*' | sed 's/^--//' | sort -u
}

# 1. Every option of --help is documented in the man page, and in its OPTIONS section.
missing=
missing_opt=
for o in $help_opts; do
	printf '%s\n' "$man_all" | grep -qE -- "--$o([^a-z0-9-]|\$)" || missing="$missing --$o"
	printf '%s\n' "$man_options" | grep -qE -- "--$o([^a-z0-9-]|\$)" || missing_opt="$missing_opt --$o"
done
if [ -z "$missing" ]; then
	ok "every long option of --help appears in doc/cronguard.1"
else
	not_ok "options of --help missing from doc/cronguard.1:$missing"
fi
if [ -z "$missing_opt" ]; then
	ok "every long option of --help is documented in the OPTIONS section"
else
	not_ok "options of --help missing from the OPTIONS section:$missing_opt"
fi

# 2. Short options: "-n, --name" in --help is "-n, --name" in the man page too.
bad_short=
while read -r s l; do
	[ -n "$s" ] || continue
	printf '%s\n' "$man_options" | grep -qE -- "(^|[^a-z0-9-])-$s, --$l([^a-z0-9-]|\$)" ||
		bad_short="$bad_short -$s/--$l"
done < <(printf '%s\n' "$help" | sed -nE 's/^ +-([A-Za-z0-9]), --([a-z][a-z0-9-]*).*/\1 \2/p')
if [ -z "$bad_short" ]; then
	ok "every short option of --help is documented with its long name"
else
	not_ok "short options not documented as in --help:$bad_short"
fi

# 3. Conversely, every option the OPTIONS section documents exists in --help...
unknown=
for o in $(mentioned "$man_options"); do
	known "$o" || unknown="$unknown --$o"
done
if [ -z "$unknown" ]; then
	ok "every option documented in the OPTIONS section exists in --help"
else
	not_ok "options documented in the OPTIONS section but not in --help:$unknown"
fi

# ...and so does every option mentioned anywhere else (EXAMPLES, FILES...), so a crontab
# line copied from the man page never fails on a misspelt option.
unknown=
for o in $(mentioned "$man_all"); do
	known "$o" || unknown="$unknown --$o"
done
if [ -z "$unknown" ]; then
	ok "every option mentioned anywhere in the man page exists in --help"
else
	not_ok "options mentioned in the man page but not in --help:$unknown"
fi

# 4. The wrapper exit statuses, in --help and in the man page's EXIT STATUS section.
man_exit=$(printf '%s\n' "$man_all" | sed -n '/^\.SH "*EXIT STATUS"*$/,/^\.SH/p')
for code in 124 125 126 127; do
	if printf '%s\n' "$help" | grep -qw -- "$code"; then
		ok "--help mentions exit status $code"
	else
		not_ok "--help mentions exit status $code"
	fi
	if printf '%s\n' "$man_exit" | grep -qw -- "$code"; then
		ok "EXIT STATUS section mentions $code"
	else
		not_ok "EXIT STATUS section mentions $code"
	fi
done

# 5. The sections users and the issue tracker rely on.
for section in NAME SYNOPSIS DESCRIPTION OPTIONS "EXIT STATUS" ENVIRONMENT FILES EXAMPLES "SEE ALSO"; do
	if grep -qE "^\.SH \"?$section\"?\$" "$MAN"; then
		ok "man page has section $section"
	else
		not_ok "man page has section $section"
	fi
done

# 6. It formats cleanly.
if command -v groff >/dev/null 2>&1; then
	if out=$(groff -ww -man -z "$MAN" 2>&1) && [ -z "$out" ]; then
		ok "groff -ww -man -z doc/cronguard.1 is clean"
	else
		not_ok "groff -ww -man -z doc/cronguard.1 is clean:"
		printf '#   %s\n' "$out"
	fi
elif command -v man >/dev/null 2>&1; then
	if out=$(man --warnings -l "$MAN" 2>&1 >/dev/null) && [ -z "$out" ]; then
		ok "man --warnings -l doc/cronguard.1 is clean"
	else
		not_ok "man --warnings -l doc/cronguard.1 is clean:"
		printf '#   %s\n' "$out"
	fi
else
	ok "# SKIP formatting check: neither groff nor man is installed"
fi

# 7. The man page's --dry-run example is what the binary prints for that line, word for word
# (the example once lacked the vip= line and showed an old lock path).
example=$(python3 - "$MAN" <<'PY'
import sys
lines = open(sys.argv[1]).read().split("\n")
un = lambda t: t.replace("\\%", "").replace("\\-", "-").replace("\\e", "\\")
for i, l in enumerate(lines):
    if l.startswith("$ cronguard \\%\\-\\-dry\\-run"):
        print(un(l[2:]))
        for m in lines[i + 1:]:
            if m == ".EE":
                break
            print(un(m))
        break
PY
)
if [ -z "$example" ]; then
	not_ok "the man page has a --dry-run example"
else
	cmd=$(head -n 1 <<<"$example")
	want=$(tail -n +2 <<<"$example")
	# shellcheck disable=SC2086 # the example's words, as a shell would split them
	empty=$(mktemp)
	got=$(env -u CRONGUARD_CONFIG "$CRONGUARD" --config "$empty" ${cmd#cronguard } 2>&1 | sed "s|^config=$empty\$|config=none|")
	rm -f "$empty"
	if [ "$got" = "$want" ]; then
		ok "the man page's --dry-run example is the binary's output"
	else
		not_ok "the man page's --dry-run example is the binary's output:"
		diff <(echo "$want") <(echo "$got") | sed 's/^/#   /'
	fi
fi

[ "$FAILED" -eq 0 ] || exit 1
exit 0
