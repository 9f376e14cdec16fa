#!/bin/sh
# Everything the non-curses front ends print goes through one sanitizing
# writer.  Objects are named with an OSC title (ESC ] 0;title BEL), a CSI
# clear (ESC [ 2J), an 8-bit CSI (U+009B) and DEL, and every `run`
# subcommand (refresh by name, refresh --stale, partitions by name and from
# the collector, indexes; dry runs, real runs, refusals), --once --format
# text, check, connection errors and option errors are captured: no ESC,
# BEL, DEL or C1 byte may reach stdout or stderr, and each payload must be
# there, made visible.  --once --format json keeps its own escaping.  A
# table named "or<U+200B>ders" shows the mark in a DROP confirmation, in
# --once and in run's output.
. tests/e2e/lib.sh

PGDECK=$(pgdeck_bin)
DB=e2e_out_$$
TMP=$(mktemp -d "${TMPDIR:-/tmp}/pgdeck-out.XXXXXX")
at_exit "rm -rf '$TMP'"
export XDG_STATE_HOME="$TMP/state" XDG_CONFIG_HOME="$TMP/config"
export LC_ALL=C.UTF-8 LANG=C.UTF-8

E=$(printf '\033')
BEL=$(printf '\007')
C1=$(printf '\302\233')         # U+009B, the 8-bit CSI, in UTF-8
DEL=$(printf '\177')
ZWSP=$(printf '\342\200\213')   # U+200B ZERO WIDTH SPACE
P="${E}]0;title${BEL}${E}[2J${C1}31m${DEL}"
# The payload as the sanitizer shows it, as a grep -F pattern.
SHOWN='^[]0;title^G^[[2J<9b>31m^?'
T="ev$P"                        # a monthly range-partitioned table
MV="mv$P"                       # a materialized view, never populated
SRC="src$P"                     # a table, and a planned index on it
IX="ix$P"
ZT="or${ZWSP}ders"              # a table whose name hides a U+200B
ZI="or${ZWSP}ders_idx"          # its INVALID index

q() { psql_q "$1" "dbname=$DB"; }

psql_q "CREATE DATABASE $DB" >/dev/null || { not_ok "create the test database"; tap_done; }
at_exit "psql -XAtq -c 'DROP DATABASE IF EXISTS $DB WITH (FORCE)' >/dev/null 2>&1"
M0=$(date -u +%Y-%m-01)
M1=$(date -u -d "$M0 -1 month" +%Y-%m-01)
M2=$(date -u -d "$M0 -2 month" +%Y-%m-01)
M3=$(date -u -d "$M0 -3 month" +%Y-%m-01)
MN=$(date -u -d "$M0 +1 month" +%Y-%m-01)
psql -Xq -v ON_ERROR_STOP=1 -d "$DB" -v t="$T" -v p3="${T}_a" -v p2="${T}_b" -v p1="${T}_c" -v p0="${T}_d" \
	-v mv="$MV" -v src="$SRC" -v zt="$ZT" \
	-v m0="$M0" -v m1="$M1" -v m2="$M2" -v m3="$M3" -v mn="$MN" >"$TMP/fixtures.log" 2>&1 <<'EOF' ||
CREATE TABLE public.:"t" (id bigint, at timestamptz) PARTITION BY RANGE (at);
CREATE TABLE public.:"p3" PARTITION OF public.:"t" FOR VALUES FROM (:'m3') TO (:'m2');
CREATE TABLE public.:"p2" PARTITION OF public.:"t" FOR VALUES FROM (:'m2') TO (:'m1');
CREATE TABLE public.:"p1" PARTITION OF public.:"t" FOR VALUES FROM (:'m1') TO (:'m0');
CREATE TABLE public.:"p0" PARTITION OF public.:"t" FOR VALUES FROM (:'m0') TO (:'mn');
CREATE MATERIALIZED VIEW public.:"mv" AS SELECT 1 AS n WITH NO DATA;
CREATE TABLE public.:"src" (v int);
INSERT INTO public.:"src" SELECT g FROM generate_series(1, 20) g;
CREATE TABLE public.:"zt" (v int);
INSERT INTO public.:"zt" VALUES (1), (1);
EOF
	{ not_ok "create the fixtures"; diag "$(cat "$TMP/fixtures.log")"; tap_done; }
# An INVALID index named with a U+200B: a UNIQUE build over duplicates fails.
printf '%s\n' 'CREATE UNIQUE INDEX CONCURRENTLY :"zi" ON public.:"zt" (v);' |
	psql -Xq -v zi="$ZI" -v zt="$ZT" -d "$DB" >/dev/null 2>&1
# The index plan: one index whose name and table carry the payload.
printf 'CREATE INDEX "%s" ON public."%s" (v);\n' "$IX" "$SRC" > "$TMP/plan.sql"

# clean FILE [WANT]: no ESC, BEL, DEL, other C0 but newline, C1 (raw or as
# UTF-8), format character U+200B or invalid UTF-8 in FILE; and, when WANT
# is given, WANT (a fixed string) is in it.
cat > "$TMP/clean.py" <<'EOF'
import sys
data = open(sys.argv[1], "rb").read()
problems = []
for byte, name in ((0x1b, "ESC"), (0x07, "BEL"), (0x7f, "DEL"), (0x9b, "raw CSI")):
    if byte in data:
        problems.append("%s byte at %d" % (name, data.index(byte)))
other = [b for b in data if b < 0x20 and b != 0x0a]
if other:
    problems.append("%d other control bytes, e.g. 0x%02x" % (len(other), other[0]))
try:
    text = data.decode("utf-8")
    c1 = [c for c in text if 0x80 <= ord(c) <= 0x9f]
    if c1:
        problems.append("C1 control U+%04X" % ord(c1[0]))
    if "\u200b" in text:
        problems.append("a raw U+200B")
except UnicodeDecodeError as e:
    problems.append("invalid UTF-8: %s" % e)
if len(sys.argv) > 2 and sys.argv[2].encode() not in data:
    problems.append("%r is missing" % sys.argv[2])
if problems:
    print("; ".join(problems))
    print(data.decode("utf-8", "replace")[:2000])
sys.exit(1 if problems else 0)
EOF
clean() { python3 "$TMP/clean.py" "$@"; }
# pg ARGS...: pgdeck on the test database, stdout in $TMP/out, stderr in
# $TMP/err, status in $rc.
pg() {
	"$PGDECK" -d "$DB" "$@" > "$TMP/out" 2> "$TMP/err"
	rc=$?
}

# ---- run partitions: by name, and every range-partitioned table
pg run partitions "public.\"$T\"" --retention '1 month' --dry-run
check_eq "run partitions NAME --dry-run exits 0" 0 "$rc"
check "run partitions NAME --dry-run: the statements show the names made visible" \
	clean "$TMP/out" "ALTER TABLE \"public\".\"ev$SHOWN\" DETACH PARTITION \"public\".\"ev${SHOWN}_a\""
check "run partitions NAME --dry-run: the CREATE names the new partition made visible" \
	grep -qF "PARTITION OF \"public\".\"ev$SHOWN\" FOR VALUES" "$TMP/out"
check "run partitions NAME --dry-run: the notes too" grep -qF -- "-- public.ev$SHOWN: 1 month partitions" "$TMP/out"
check "run partitions NAME --dry-run: stderr is clean" clean "$TMP/err"
pg run partitions --retention '1 month' --dry-run
check_eq "run partitions --dry-run (every table) exits 0" 0 "$rc"
check "run partitions --dry-run (every table): names made visible" clean "$TMP/out" "DETACH PARTITION \"public\".\"ev${SHOWN}_a\""
check "run partitions --dry-run (every table): stderr is clean" clean "$TMP/err"
pg run partitions "public.\"$T\"" --retention '1 month'
check_eq "run partitions NAME exits 0" 0 "$rc"
check "run partitions NAME: the outcome line shows the name made visible" \
	clean "$TMP/out" "maintain public.ev$SHOWN: 3 created, 2 detached"
check "run partitions NAME: stderr is clean" clean "$TMP/err"
pg run partitions "public.\"nosuch$P\""
check_eq "run partitions of a missing table exits 1" 1 "$rc"
check "run partitions of a missing table: the refusal is made visible" \
	clean "$TMP/err" "maintain public.nosuch$SHOWN refused: there is no table public.nosuch$SHOWN"

# ---- run refresh: by name, --stale, a refusal
pg run refresh "public.\"$MV\"" --dry-run
check_eq "run refresh NAME --dry-run exits 0" 0 "$rc"
check "run refresh NAME --dry-run: the statement shows the name made visible" \
	clean "$TMP/out" "REFRESH MATERIALIZED VIEW \"public\".\"mv$SHOWN\";"
pg run refresh --stale --dry-run
check_eq "run refresh --stale --dry-run exits 0" 0 "$rc"
check "run refresh --stale --dry-run: made visible" clean "$TMP/out" "REFRESH MATERIALIZED VIEW \"public\".\"mv$SHOWN\";"
check "run refresh --stale --dry-run: stderr is clean" clean "$TMP/err"
pg run refresh "public.\"$MV\""
check_eq "run refresh NAME exits 0" 0 "$rc"
check "run refresh NAME: the outcome line shows the name made visible" clean "$TMP/out" "refresh public.mv$SHOWN: refreshed"
pg run refresh "public.\"nosuch$P\""
check_eq "run refresh of a missing view exits 1" 1 "$rc"
check "run refresh of a missing view: the refusal is made visible" \
	clean "$TMP/err" "refresh public.nosuch$SHOWN refused: there is no relation public.nosuch$SHOWN"
check "run refresh of a missing view: stdout is clean" clean "$TMP/out"

# ---- run indexes
pg run indexes --plan "$TMP/plan.sql" --dry-run
check_eq "run indexes --dry-run exits 0" 0 "$rc"
check "run indexes --dry-run: the statement shows the names made visible" \
	clean "$TMP/out" "CREATE INDEX CONCURRENTLY \"ix$SHOWN\" ON public.\"src$SHOWN\" (v);"
check "run indexes --dry-run: stderr is clean" clean "$TMP/err"
pg run indexes --plan "$TMP/plan.sql"
check_eq "run indexes exits 0" 0 "$rc"
check "run indexes: stdout is clean" clean "$TMP/out" "1 index built"
check "run indexes: stderr is clean" clean "$TMP/err"
check_eq "the index was built" t "$(printf '%s\n' "SELECT indisvalid FROM pg_index WHERE indexrelid = (SELECT oid FROM pg_class WHERE relname = :'n')" | psql -XAtq -v n="$IX" -d "$DB")"

# ---- --once text and JSON, check
pg --once --plan "$TMP/plan.sql"
check "--once --format text: names made visible" clean "$TMP/out" "public.ev$SHOWN"
check "--once --format text: the U+200B shows as a mark" grep -qF "public.or<U+200B>ders" "$TMP/out"
check "--once --format text: stderr is clean" clean "$TMP/err"
pg --once --format json --plan "$TMP/plan.sql"
check "--once --format json: its own escaping, printable ASCII only" sh -c "! LC_ALL=C grep -q '[^ -~]' '$TMP/out'"
check "--once --format json: the name exact, as JSON escapes" \
	grep -qiF 'ev\u001b]0;title\u0007\u001b[2J\u009b31m\u007f' "$TMP/out"
pg check
check "check: clean" clean "$TMP/out"
check "check: stderr is clean" clean "$TMP/err"

# ---- connection errors echo the host (libpq names the socket): clean.
# (The message may only say "down" while the first connect error is
# lost, another item of the same issue.)
for cmd in "--once" "check" "run refresh --stale"; do
	# shellcheck disable=SC2086
	"$PGDECK" -h "/nonexistent/$P" -d "$DB" $cmd > "$TMP/out" 2> "$TMP/err"
	cat "$TMP/out" "$TMP/err" > "$TMP/both"
	check "$cmd: a connection error is clean" clean "$TMP/both"
done

# ---- option errors echo what was typed: made visible
"$PGDECK" --format "x$P" > "$TMP/out" 2> "$TMP/err"
check "--format with escapes: the error is clean" clean "$TMP/err" "--format: 'x$SHOWN' is not text, json or openmetrics"
"$PGDECK" "--nosuch$P" > "$TMP/out" 2> "$TMP/err"
check "an unknown option with escapes: the error is clean" clean "$TMP/err" "unknown option '--nosuch$SHOWN'"
"$PGDECK" run "bogus$P" > "$TMP/out" 2> "$TMP/err"
check "an unknown run kind with escapes: the error is clean" clean "$TMP/err" "unknown run kind 'bogus$SHOWN'"

# ---- the console's own messages: ncurses echoes a $TERM it does not know
tmux_start term 100 10 sh -c "sleep 0.3; exec env TERM='bad$P' '$PGDECK' -d '$DB'"
tmux_pipe term "$TMP/term.bytes"
tmux_wait_exit term 10 >/dev/null
tr -d '\r' < "$TMP/term.bytes" > "$TMP/term.txt"
check "an unknown \$TERM holding escapes is echoed made visible" clean "$TMP/term.txt" "bad$SHOWN"
tmux_kill term

# ---- the console: a U+200B in a name shows in the DROP confirmation
tmux_start main 160 45 "$PGDECK" -d "$DB" -i 0.5 --plan "$TMP/plan.sql"
tmux_wait_for main 'primary: up' 15 >/dev/null
tmux_keys main 6 /
tmux_keys main -l 'ders_idx'
tmux_keys main Enter
tmux_wait_for main 'INVALID' 15 >/dev/null
tmux_keys main x
check "x: the DROP confirmation shows the U+200B as a mark" \
	tmux_wait_for main 'DROP INDEX CONCURRENTLY "public"\."or<U\+200B>ders_idx"' 10
tmux_keys main Escape
check "Esc cancels: the index is still there" \
	[ "$(printf '%s\n' "SELECT count(*) FROM pg_class WHERE relname = :'n'" | psql -XAtq -v n="$ZI" -d "$DB")" = 1 ]
tmux_keys main q
tmux_wait_exit main 10 >/dev/null
tmux_kill main

tap_done
