#!/bin/sh
# The read-only viewer (-R): every action key and every ':' command that
# would change something is refused in the status line, and nothing
# reaches the server: afterwards the catalog is as it was, the pg_sleep
# backend still runs, and pg_stat_statements shows no pg_cancel_backend,
# pg_terminate_backend, REFRESH, CREATE/DROP INDEX, ANALYZE or partition
# DDL in the test database.  Each refusal is in the journal.  EXPLAIN,
# which changes nothing, still works.
. tests/e2e/lib.sh

PGDECK=$(pgdeck_bin)
DB=e2e_readonly_$$
S=e2e_ro
STATE=$(mktemp -d)
at_exit "rm -rf '$STATE'"
export XDG_STATE_HOME="$STATE" XDG_CONFIG_HOME="$STATE"
JOURNAL=$STATE/pgdeck/journal
PLAN=$STATE/plan.sql

q() { psql_q "$1" "dbname=$DB"; }

psql_q "CREATE DATABASE $DB" >/dev/null || { not_ok "create the test database"; tap_done; }
at_exit "psql -XAtq -c 'DROP DATABASE IF EXISTS $DB WITH (FORCE)' >/dev/null 2>&1"
psql -Xq -v ON_ERROR_STOP=1 -d "$DB" >/dev/null 2>&1 <<EOF || { not_ok "create the fixtures"; tap_done; }
CREATE SCHEMA $S;
CREATE TABLE $S.src (id int PRIMARY KEY, v int);
INSERT INTO $S.src SELECT g, g % 3 FROM generate_series(1, 10) g;
CREATE MATERIALIZED VIEW $S.mv AS SELECT count(*) AS n FROM $S.src;
CREATE UNIQUE INDEX mv_n ON $S.mv (n);
INSERT INTO $S.src SELECT g, g % 3 FROM generate_series(11, 20) g;
CREATE TABLE $S.ev (id bigint, at timestamptz) PARTITION BY RANGE (at);
DO \$\$
DECLARE m timestamptz := date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
BEGIN
    EXECUTE format('CREATE TABLE $S.ev_cur PARTITION OF $S.ev FOR VALUES FROM (%L) TO (%L)', m, m + interval '1 month');
END
\$\$;
EOF
# An INVALID index for x to refuse to drop.
q "CREATE UNIQUE INDEX CONCURRENTLY src_v_uniq ON $S.src (v)" >/dev/null 2>&1
cat > "$PLAN" <<EOF
CREATE INDEX src_v_idx ON $S.src (v);
EOF
# From here on, what pg_stat_statements records in the test database is
# pgdeck's (and these checks run from the pgdeck database).
psql_q "SELECT pg_stat_statements_reset(0, (SELECT oid FROM pg_database WHERE datname = '$DB'), 0)" >/dev/null

psql -XAtq -d "$DB" -c "SELECT pg_sleep(60) /* e2e-ro-sleeper */" >/dev/null 2>&1 &
sleeper=$!
at_exit "kill $sleeper 2>/dev/null"
wait_until 5 sh -c "[ \"\$(psql -XAtq -d '$DB' -c \"SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%e2e-ro-sleeper%' AND pid <> pg_backend_pid()\")\" = 1 ]"
sleeper_pid=$(q "SELECT pid FROM pg_stat_activity WHERE query LIKE '%e2e-ro-sleeper%' AND pid <> pg_backend_pid()")

tmux_start main 160 50 "$PGDECK" -R -d "$DB" --plan "$PLAN"
check "the title says READ-ONLY" tmux_wait_for main 'READ-ONLY' 10
tmux_wait_for main 'primary: up' 10 >/dev/null

refusals=0
# refused KEY NAME: the key is refused with the read-only message.
refused() {
	tmux_keys main "$1"
	if tmux_wait_for main "read-only console: $2 changes the database, nothing was sent" 5; then
		ok "$1 is refused: read-only"
	else
		not_ok "$1 is refused: read-only"
	fi
	refusals=$((refusals + 1))
	# A key clears the message it did not cause: make the next one new.
	tmux_keys main Down
	tmux_wait_gone main 'read-only console' 3 >/dev/null
}

# ---- queries pane: C and K refused, e allowed
tmux_keys main 1 /
tmux_keys main -l "e2e-ro-sleeper"
tmux_keys main Enter
tmux_wait_for main 'Timeout:PgSleep' 10 >/dev/null
refused C cancel
tmux_keys main Up
refused K terminate
tmux_keys main Up
tmux_keys main e
check "e still explains (it changes nothing)" tmux_wait_for main 'EXPLAIN pid [0-9]+ \(not executed\)' 5
tmux_keys main Escape
tmux_wait_gone main 'not executed' 3 >/dev/null

# ---- views, partitions, indexes, analyze
tmux_keys main 5
tmux_wait_for main "$S\.mv" 15 >/dev/null
refused r refresh
refused R refresh-stale
tmux_keys main 4
refused m maintain
tmux_keys main 6
refused i index
refused I index-all
refused x drop
refused a analyze

# ---- ':' commands
for cmd in "refresh $S.mv:refresh" "refresh --stale:refresh-stale" "maintain $S.ev:maintain" \
	"index src_v_idx:index" "index --all:index-all" "drop $S.src_v_uniq:drop" "analyze $S.src:analyze" \
	"cancel $sleeper_pid:cancel" "terminate $sleeper_pid:terminate"; do
	line=${cmd%:*}
	name=${cmd##*:}
	tmux_keys main :
	tmux_keys main -l "$line"
	tmux_keys main Enter
	if tmux_wait_for main "read-only console: $name changes the database, nothing was sent" 5; then
		ok ":$line is refused: read-only"
	else
		not_ok ":$line is refused: read-only"
	fi
	refusals=$((refusals + 1))
	tmux_keys main Down
	tmux_wait_gone main 'read-only console' 3 >/dev/null
done
tmux_keys main q
tmux_wait_exit main 5 >/dev/null

# ---- nothing changed
check_eq "the view still holds its old contents" 10 "$(q "SELECT n FROM $S.mv")"
check_eq "the partitioned table has its one partition" 1 "$(q "SELECT count(*) FROM pg_inherits WHERE inhparent = '$S.ev'::regclass")"
check_eq "the planned index was not created" "" "$(q "SELECT to_regclass('$S.src_v_idx')")"
check_eq "the INVALID index is still there" f \
	"$(q "SELECT indisvalid FROM pg_index WHERE indexrelid = '$S.src_v_uniq'::regclass")"
check_eq "the table was not analyzed" "" "$(q "SELECT last_analyze FROM pg_stat_user_tables WHERE relid = '$S.src'::regclass")"
check_eq "the pg_sleep backend still runs, unsignalled" "active" \
	"$(q "SELECT state FROM pg_stat_activity WHERE pid = $sleeper_pid")"
check_eq "pg_stat_statements has no change from pgdeck in the test database" 0 \
	"$(psql_q "SELECT count(*) FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
	           WHERE d.datname = '$DB'
	             AND (s.query ~* 'pg_(cancel|terminate)_backend'
	                  OR s.query ~* '^\\s*(REFRESH|ANALYZE|DROP|ALTER|CREATE)\\M')")"
check "pg_stat_statements did see pgdeck's monitoring there (the check can fail)" \
	[ "$(psql_q "SELECT count(*) FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = '$DB' AND s.query ILIKE '%pg_stat_activity%'")" -gt 0 ]

# ---- the journal records every refusal
check_eq "the journal has one refused line per attempt" "$refusals" \
	"$(grep -c '"outcome":"refused".*read-only console' "$JOURNAL")"
check "no refused line has a statement" sh -c "! grep '\"outcome\":\"refused\"' '$JOURNAL' | grep -qv '\"statement\":\"\"'"
tap_done
