#!/bin/sh
# Index actions from the console, checked in the catalog: `i` builds a
# missing planned index CONCURRENTLY on a table big enough that its
# progress (phase and percent) shows on screen; a UNIQUE index that fails
# on duplicate rows leaves an INVALID index, which the index pane shows and
# `x` drops with DROP INDEX CONCURRENTLY.
. tests/e2e/lib.sh

PGDECK=$(pgdeck_bin)
DB=e2e_indexes_$$
S=e2e_idx
STATE=$(mktemp -d)
at_exit "rm -rf '$STATE'"
export XDG_STATE_HOME="$STATE" XDG_CONFIG_HOME="$STATE"
PLAN=$STATE/plan.sql

q() { psql_q "$1" "dbname=$DB"; }
valid() { q "SELECT x.indisvalid FROM pg_index x JOIN pg_class c ON c.oid = x.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = '$S' AND c.relname = '$1'"; }

psql_q "CREATE DATABASE $DB" >/dev/null || { not_ok "create the test database"; tap_done; }
at_exit "psql -XAtq -c 'DROP DATABASE IF EXISTS $DB WITH (FORCE)' >/dev/null 2>&1"
# Three million narrow rows: a build that takes long enough to be watched.
psql -Xq -v ON_ERROR_STOP=1 -d "$DB" >/dev/null <<EOF || { not_ok "create the fixtures"; tap_done; }
CREATE SCHEMA $S;
CREATE TABLE $S.other (id int PRIMARY KEY);
CREATE TABLE $S.big AS SELECT g AS a, g % 1000 AS b FROM generate_series(1, 3000000) g;
EOF
cat > "$PLAN" <<EOF
-- the test's index plan
CREATE INDEX big_a_idx ON $S.big (a);
CREATE UNIQUE INDEX big_b_uniq ON $S.big (b);
EOF

tmux_start main 160 50 "$PGDECK" -d "$DB" --plan "$PLAN"
check "the console is up" tmux_wait_for main 'primary: up' 10
tmux_keys main 6 /
tmux_keys main -l "big_a_idx"
tmux_keys main Enter
check "the index pane shows the planned index as missing" tmux_wait_for main 'big_a_idx +missing' 20

tmux_keys main i
check "i previews CREATE INDEX CONCURRENTLY" tmux_wait_for main "CREATE INDEX CONCURRENTLY big_a_idx ON $S\.big \(a\)" 8
check "the preview says writes go on" tmux_wait_for main 'writes go on while it builds' 2
tmux_keys main y
check "the build's progress shows on screen (phase and percent)" \
	tmux_wait_for main "building $S\.big_a_idx: [a-z: ]+ [0-9]+%" 30
check "the build ends and says so" tmux_wait_for main "index $S\.big_a_idx: built CONCURRENTLY in" 90
check_eq "the index exists and is valid" t "$(valid big_a_idx)"
check "the index pane shows it present" tmux_wait_for main 'big_a_idx +present' 20

# ---- a UNIQUE index over duplicates: INVALID, then x drops it
tmux_keys main /
for _ in 1 2 3 4 5 6 7 8 9; do tmux_keys main BSpace; done
tmux_keys main -l "big_b_uniq"
tmux_keys main Enter
tmux_wait_for main 'big_b_uniq +missing' 10 >/dev/null
tmux_keys main i
tmux_wait_for main "CREATE UNIQUE INDEX CONCURRENTLY big_b_uniq" 8 >/dev/null
tmux_keys main y
check "the failed build says why and what to do" \
	tmux_wait_for main "index $S\.big_b_uniq failed: could not create unique index \"big_b_uniq\"; a failed CONCURRENTLY build leaves an INVALID index" 60
check_eq "an INVALID index is left in the catalog" f "$(valid big_b_uniq)"
check "the index pane shows it INVALID" tmux_wait_for main 'big_b_uniq +INVALID' 20
tmux_keys main x
check "x previews DROP INDEX CONCURRENTLY" tmux_wait_for main "DROP INDEX CONCURRENTLY \"$S\"\.\"big_b_uniq\"" 8
tmux_keys main y
check "x drops it" tmux_wait_for main "drop $S\.big_b_uniq: dropped in" 20
check_eq "the INVALID index is gone" "" "$(valid big_b_uniq)"

# x on a valid index is refused, and nothing changes
tmux_keys main :
tmux_keys main -l "drop $S.big_a_idx"
tmux_keys main Enter
check "x refuses a valid index" tmux_wait_for main "drop $S\.big_a_idx refused: $S\.big_a_idx is valid" 8
check_eq "the valid index stays" t "$(valid big_a_idx)"

check "the journal has the build, the failure and the drop" sh -c "
	grep -q '\"action\":\"index\",\"target\":\"$S.big_a_idx\".*\"outcome\":\"ok\"' '$STATE/pgdeck/journal' &&
	grep -q '\"action\":\"index\",\"target\":\"$S.big_b_uniq\".*\"outcome\":\"failed\"' '$STATE/pgdeck/journal' &&
	grep -q '\"action\":\"drop\",\"target\":\"$S.big_b_uniq\".*\"outcome\":\"ok\"' '$STATE/pgdeck/journal'"
tmux_keys main q
check "q quits" tmux_wait_exit main 5
tap_done
