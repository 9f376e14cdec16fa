#!/bin/sh
# Partitions as people manage them (issue 16, part 3), in the catalog and
# on screen: a daily table managed by pg_partman shows pg_partman's
# interval, premake and retention, and m / run partitions call its
# run_maintenance (previewed, schema-qualified) rather than pgdeck's DDL;
# a hand-made yearly table counts "ahead" in years and gets yearly
# partitions; a list-partitioned table is shown and never maintained.
. tests/e2e/lib.sh

PGDECK=$(pgdeck_bin)
DB=e2e_partman_$$
STATE=$(mktemp -d)
at_exit "rm -rf '$STATE'"
export XDG_STATE_HOME="$STATE" XDG_CONFIG_HOME="$STATE"
OUT=$STATE/out
ERR=$STATE/err

q() { psql_q "$1" "dbname=$DB"; }
nparts() { q "SELECT count(*) FROM pg_inherits WHERE inhparent = '$1'::regclass"; }
cell() {
	"$PGDECK" -d "$DB" --once --format json 2>/dev/null | python3 -c "
import json, sys
v = json.load(sys.stdin)['collectors'][sys.argv[3]]
cols = v['columns']
for row in v['rows']:
    if row[cols.index('name' if 'name' in cols else 'parent')] == sys.argv[1]:
        x = row[cols.index(sys.argv[2])]
        print('' if x is None else x)
" "$1" "$2" "${3:-partitions}"
}

psql_q "CREATE DATABASE $DB" >/dev/null || { not_ok "create the test database"; tap_done; }
at_exit "psql -XAtq -c 'DROP DATABASE IF EXISTS $DB WITH (FORCE)' >/dev/null 2>&1"
y=$(date -u +%Y)
psql -Xq -v ON_ERROR_STOP=1 -d "$DB" >/dev/null <<SQL || { not_ok "create the fixtures (pg_partman)"; tap_done; }
CREATE SCHEMA partman;
CREATE EXTENSION pg_partman SCHEMA partman;
CREATE TABLE public.ev (id int, at timestamptz NOT NULL) PARTITION BY RANGE (at);
SELECT partman.create_parent('public.ev', 'at', 'native', 'daily', p_premake := 3);
UPDATE partman.part_config SET retention = '30 days', retention_keep_table = true WHERE parent_table = 'public.ev';
CREATE TABLE public.yearly (id int, day date NOT NULL) PARTITION BY RANGE (day);
CREATE TABLE public.yearly_$y PARTITION OF public.yearly FOR VALUES FROM ('$y-01-01') TO ('$((y + 1))-01-01');
CREATE TABLE public.yearly_$((y + 1)) PARTITION OF public.yearly FOR VALUES FROM ('$((y + 1))-01-01') TO ('$((y + 2))-01-01');
CREATE TABLE public.bylist (id int, region text NOT NULL) PARTITION BY LIST (region);
CREATE TABLE public.bylist_eu PARTITION OF public.bylist FOR VALUES IN ('eu');
SQL

# ---- pg_partman's daily table
check_eq "pg_partman's table is recognised, with its interval" "1 day" "$(cell public.ev interval partman)"
check_eq "and its premake" 3 "$(cell public.ev premake partman)"
check_eq "and its retention" "30 days" "$(cell public.ev retention partman)"
check_eq "and retention_keep_table" t "$(cell public.ev retention_keep_table partman)"
"$PGDECK" -d "$DB" run partitions public.ev --dry-run > "$OUT" 2> "$ERR"
check_eq "run partitions on it --dry-run exits 0" 0 "$?"
check "m calls pg_partman's run_maintenance, qualified" \
	grep -q "^SELECT \"partman\".run_maintenance(p_parent_table := 'public.ev');" "$OUT"
check "and no DDL of pgdeck's own" sh -c "! grep -q 'CREATE TABLE' '$OUT'"
check "the preview says pg_partman maintains it" grep -q 'maintained by pg_partman (interval 1 day, premake 3' "$OUT"
before=$(nparts public.ev)
# (pg_partman creates nothing for a table without rows unless told to.)
q "UPDATE partman.part_config SET premake = 6, infinite_time_partitions = true WHERE parent_table = 'public.ev'" >/dev/null
"$PGDECK" -d "$DB" run partitions public.ev > "$OUT" 2> "$ERR"
check_eq "run partitions on it exits 0" 0 "$?"
after=$(nparts public.ev)
check "pg_partman made the partitions its premake asks for ($before -> $after)" test "$after" -gt "$before"

tmux_start main 200 50 "$PGDECK" -d "$DB"
check "the console is up" tmux_wait_for main 'primary: up' 10
tmux_keys main 4 /
tmux_keys main -l "public.ev"
tmux_keys main Enter
# Enter opens the details of the row selected: wait for the filter to
# leave it (a loaded machine draws the filtered pane a while later).
tmux_wait_for main '\|ev +[0-9]+ ' 15 > /dev/null
tmux_keys main Enter
# (The overlay wraps the line at its width: "kept)" may go to the next line.)
check "the details show pg_partman's settings" \
	tmux_wait_for main 'pg_partman +interval 1 day, premake 6, retention 30 days \(retention_keep_table: detached,' 15
check "... retention_keep_table whole, and what m runs" tmux_wait_for main 'kept\); m runs partman\.run_maintenance' 5
tmux_keys main Escape
tmux_keys main m
check "m previews pg_partman's run_maintenance" tmux_wait_for main 'SELECT "partman".run_maintenance\(p_parent_table := .public.ev.\)' 10
tmux_keys main n
tmux_keys main q
tmux_wait_exit main 10 >/dev/null

# ---- a hand-made yearly table: ahead in years, yearly partitions
check_eq "the yearly table is ahead by a year, in years" "1 y" "$(cell public.yearly ahead)"
"$PGDECK" -d "$DB" run partitions public.yearly --premake 3 --dry-run > "$OUT" 2> "$ERR"
check_eq "run partitions on it exits 0" 0 "$?"
check "m creates the next partition a year wide" \
	grep -Eq "FOR VALUES FROM \('$((y + 2))-01-01'\) TO \('$((y + 3))-01-01'\)" "$OUT"

# ---- a list tree: shown, never maintained
check_eq "the list tree is shown" list "$(cell public.bylist strategy)"
check_eq "with no ahead" "" "$(cell public.bylist ahead)"
"$PGDECK" -d "$DB" run partitions public.bylist > "$OUT" 2> "$ERR"
check_eq "run partitions on it is refused (exit 1)" 1 "$?"
check "and says why" grep -q 'partitioned by RANGE on one date or timestamp' "$ERR"

tap_done
