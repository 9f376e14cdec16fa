#!/bin/sh
# The man page (src/pgdeck.1) renders, and documents what --help offers:
# every long option, every command, every configuration section and
# every environment variable the usage text names.
. tests/e2e/lib.sh

PGDECK=$(pgdeck_bin)
PAGE=$PGDECK_ROOT/src/pgdeck.1
TMP=$(mktemp -d "${TMPDIR:-/tmp}/pgdeck-man.XXXXXX")
at_exit "rm -rf '$TMP'"

"$PGDECK" --help > "$TMP/help.txt"
check_eq "pgdeck --help exits 0" 0 $?

# Rendered as a reader sees it, wide enough that nothing wraps inside a
# name, in ASCII.
if command -v man >/dev/null 2>&1; then
	MANWIDTH=200 LC_ALL=C man -l "$PAGE" 2> "$TMP/man.err" | col -b > "$TMP/man.txt"
	check "man -l src/pgdeck.1 renders without complaint" sh -c "[ -s '$TMP/man.txt' ] && [ ! -s '$TMP/man.err' ]"
else
	# Without man: the source with roff's escaped hyphens undone.
	sed 's/\\-/-/g; s/\\f[BIRP]//g' "$PAGE" > "$TMP/man.txt"
	skip "man -l src/pgdeck.1 renders without complaint" "man is not installed"
fi
if command -v groff >/dev/null 2>&1; then
	check "groff -man -ww reports no warning" sh -c "[ -z \"\$(groff -man -ww -z '$PAGE' 2>&1)\" ]"
fi

for section in NAME SYNOPSIS DESCRIPTION OPTIONS COMMANDS KEYS 'ONE SNAPSHOT' CHECK \
	CONFIGURATION ENVIRONMENT 'EXIT STATUS' FILES EXAMPLES; do
	check "the man page has a $section section" grep -q "^$section\$" "$TMP/man.txt"
done

options=$(grep -o -- '--[a-z][a-z-]*' "$TMP/help.txt" | sort -u)
[ -n "$options" ] || not_ok "--help names long options"
missing=""
for o in $options; do
	grep -q -- "$o\\b" "$TMP/man.txt" || missing="$missing $o"
done
check_eq "every long option of --help is in the man page" "" "$missing"
check_eq "--help names at least 20 long options" 1 "$([ "$(echo "$options" | wc -l)" -ge 20 ] && echo 1)"

missing=""
for o in -h -p -U -d -R -i; do
	grep -q -- "$o " "$TMP/man.txt" || missing="$missing $o"
done
check_eq "every short option is in the man page" "" "$missing"

missing=""
for c in check 'run refresh' 'run partitions' 'run indexes'; do
	grep -q -- "$c" "$TMP/man.txt" || missing="$missing '$c'"
done
check_eq "every command is in the man page" "" "$missing"

vars=$(grep -oE '\b(DATABASE_[A-Z_]*URL|[A-Z]+_URL|DB_[A-Z_]+|NO_COLOR)\b' "$TMP/help.txt" | sort -u)
missing=""
for v in $vars; do
	grep -q -- "$v" "$TMP/man.txt" || missing="$missing $v"
done
check_eq "every environment variable of --help is in the man page" "" "$missing"

sections=$(grep -oE '\[[a-z]+\]' "$TMP/help.txt" | sort -u)
missing=""
for s in $sections; do
	grep -qF -- "$s" "$TMP/man.txt" || missing="$missing $s"
done
check_eq "every configuration section of --help is in the man page" "" "$missing"

# The keys of config.h's INI comment, each described.
keys=$(sed -n '/INI file sections and keys/,/Booleans take/p' "$PGDECK_ROOT/src/core/config.h" |
	sed 's/([^)]*)//g; s/(.*//; s/^[^)]*)//; s/^.*\]//; s/^ \*//' | tr ',' '\n' | tr -d ' ' | grep -E '^[a-z_]+$' | sort -u)
missing=""
for k in $keys; do
	grep -q -- "\\b$k\\b" "$TMP/man.txt" || missing="$missing $k"
done
[ "$(echo "$keys" | wc -l)" -ge 25 ] || diag "only $(echo "$keys" | wc -l) keys read from config.h"
check_eq "every configuration key of config.h is in the man page" "" "$missing"

tap_done
