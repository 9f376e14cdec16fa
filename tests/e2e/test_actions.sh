#!/bin/sh
# Actions from the console, checked in the database afterwards: refresh a
# view (n and Esc change nothing, y refreshes, the kit's log gets its row,
# with and without the kit's event trigger), partition maintenance (the DDL
# preview, the partitions exist after y; a range with rows in the default
# partition is refused with its reason and nothing changes), a lock held by
# another session makes the DDL give up after lock_timeout while the screen
# keeps refreshing, EXPLAIN shows a plan, C cancels and K terminates a
# pg_sleep backend, and the journal has a line for each.
. tests/e2e/lib.sh

PGDECK=$(pgdeck_bin)
DB=e2e_actions_$$
S=e2e_act
STATE=$(mktemp -d)
at_exit "rm -rf '$STATE'"
export XDG_STATE_HOME="$STATE" XDG_CONFIG_HOME="$STATE"
JOURNAL=$STATE/pgdeck/journal

q() { psql_q "$1" "dbname=$DB"; }
# new_filter OLD NEW: replace the focused pane's filter OLD by NEW (the
# prompt opens with OLD; each BSpace takes a character off).
new_filter() {
	tmux_keys main /
	_i=0
	while [ $_i -lt ${#1} ]; do
		tmux_keys main BSpace
		_i=$((_i + 1))
	done
	tmux_keys main -l "$2"
	tmux_keys main Enter
}

psql_q "CREATE DATABASE $DB" >/dev/null || { not_ok "create the test database"; tap_done; }
at_exit "psql -XAtq -c 'DROP DATABASE IF EXISTS $DB WITH (FORCE)' >/dev/null 2>&1"
# The kit's schema and views bring its refresh log and event trigger.
psql -Xq -v ON_ERROR_STOP=1 -d "$DB" -f sql/kit/schema.sql -f sql/kit/views.sql >/dev/null 2>&1 ||
	{ not_ok "install the kit's schema and views"; tap_done; }
psql -Xq -v ON_ERROR_STOP=1 -d "$DB" >/dev/null <<EOF || { not_ok "create the fixtures"; tap_done; }
CREATE EXTENSION IF NOT EXISTS pg_stat_statements;
CREATE SCHEMA $S;
CREATE TABLE $S.src (id int PRIMARY KEY);
INSERT INTO $S.src SELECT generate_series(1, 10);
CREATE MATERIALIZED VIEW $S.mv_fresh AS SELECT count(*) AS n FROM $S.src;
CREATE UNIQUE INDEX mv_fresh_n ON $S.mv_fresh (n);
INSERT INTO $S.src SELECT generate_series(11, 20);
-- monthly, this month and the last one, and a default partition
CREATE TABLE $S.ev (id bigint, at timestamptz) PARTITION BY RANGE (at);
CREATE TABLE $S.ev_default PARTITION OF $S.ev DEFAULT;
DO \$\$
DECLARE m timestamptz := date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
BEGIN
    EXECUTE format('CREATE TABLE $S.ev_y%sm%s PARTITION OF $S.ev FOR VALUES FROM (%L) TO (%L)',
                   to_char(m - interval '1 month', 'YYYY'), to_char(m - interval '1 month', 'MM'),
                   m - interval '1 month', m);
    EXECUTE format('CREATE TABLE $S.ev_y%sm%s PARTITION OF $S.ev FOR VALUES FROM (%L) TO (%L)',
                   to_char(m, 'YYYY'), to_char(m, 'MM'), m, m + interval '1 month');
END
\$\$;
-- the same, with a row next month already in the default partition
CREATE TABLE $S.conflict (id bigint, at timestamptz) PARTITION BY RANGE (at);
CREATE TABLE $S.conflict_default PARTITION OF $S.conflict DEFAULT;
DO \$\$
DECLARE m timestamptz := date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
BEGIN
    EXECUTE format('CREATE TABLE $S.conflict_cur PARTITION OF $S.conflict FOR VALUES FROM (%L) TO (%L)',
                   m, m + interval '1 month');
END
\$\$;
INSERT INTO $S.conflict VALUES (1, date_trunc('month', now()) + interval '1 month 3 days');
EOF

# What pg_stat_statements records in the test database from here on is
# pgdeck's (and the few psql sessions below).
psql_q "SELECT pg_stat_statements_reset(0, (SELECT oid FROM pg_database WHERE datname = '$DB'), 0)" >/dev/null

tmux_start main 160 50 "$PGDECK" -d "$DB"
check "the console is up on the test database" tmux_wait_for main 'primary: up' 10

# ---- refresh: n and Esc change nothing, y refreshes
tmux_keys main 5 /
tmux_keys main -l "$S."
tmux_keys main Enter
check "the views pane lists the fixture view" tmux_wait_for main "$S\.mv_fresh" 15
tmux_keys main r
check "r previews the refresh with the exact statement" tmux_wait_for main "REFRESH MATERIALIZED VIEW CONCURRENTLY \"$S\"\.\"mv_fresh\"" 5
check "the preview says it runs with lock_timeout" tmux_wait_for main 'SET lock_timeout = 3000; SET statement_timeout = 0' 2
tmux_keys main n
check "n cancels: nothing changed" tmux_wait_for main "refresh $S\.mv_fresh: cancelled, nothing changed" 5
check_eq "after n the view still holds the old count" 10 "$(q "SELECT n FROM $S.mv_fresh")"
tmux_keys main r
tmux_wait_for main 'REFRESH MATERIALIZED VIEW' 5 >/dev/null
tmux_keys main Escape
check "Esc cancels too" tmux_wait_for main "refresh $S\.mv_fresh: cancelled, nothing changed" 5
check_eq "after Esc the view still holds the old count" 10 "$(q "SELECT n FROM $S.mv_fresh")"
tmux_keys main r
tmux_wait_for main 'REFRESH MATERIALIZED VIEW' 5 >/dev/null
tmux_keys main y
check "y refreshes the view CONCURRENTLY" tmux_wait_for main "refresh $S\.mv_fresh: refreshed CONCURRENTLY in" 10
check_eq "the view holds the new count" 20 "$(q "SELECT n FROM $S.mv_fresh")"
check_eq "the kit's event trigger logged pgdeck's refresh" 1 \
	"$(q "SELECT count(*) FROM public.mv_refresh_log WHERE view_name = '$S.mv_fresh' AND application_name = 'pgdeck' AND source = 'event_trigger'")"

# Without the event trigger (a kit installed by a non-superuser) pgdeck
# writes the log row itself, on the same connection.
q "ALTER EVENT TRIGGER kit_mv_refresh_log DISABLE; INSERT INTO $S.src SELECT generate_series(21, 25)" >/dev/null
tmux_keys main r
tmux_wait_for main 'REFRESH MATERIALIZED VIEW' 5 >/dev/null
tmux_keys main y
tmux_wait_for main "refresh $S\.mv_fresh: refreshed CONCURRENTLY in" 10 >/dev/null
check_eq "the second refresh changed the view" 25 "$(q "SELECT n FROM $S.mv_fresh")"
check_eq "pgdeck logged it in mv_refresh_log itself" 1 \
	"$(q "SELECT count(*) FROM public.mv_refresh_log WHERE view_name = '$S.mv_fresh' AND application_name = 'pgdeck' AND source = 'function' AND concurrent")"

# ---- a lock held elsewhere: the DDL gives up, the screen keeps going
# (LOCK TABLE refuses a materialized view; a refresh in an open
# transaction holds its ACCESS EXCLUSIVE lock just as well.)
psql -XAtq -d "$DB" -c "BEGIN; REFRESH MATERIALIZED VIEW $S.mv_fresh; SELECT pg_sleep(12); COMMIT" >/dev/null 2>&1 &
locker=$!
at_exit "kill $locker 2>/dev/null"
wait_until 5 sh -c "[ \"\$(psql -XAtq -d '$DB' -c \"SELECT count(*) FROM pg_locks WHERE relation = '$S.mv_fresh'::regclass AND granted AND mode = 'AccessExclusiveLock'\")\" = 1 ]"
clock() { tmux_capture main | head -1 | grep -oE '[0-9]{2}:[0-9]{2}:[0-9]{2}' | tail -1; }
tmux_keys main r
tmux_wait_for main 'REFRESH MATERIALIZED VIEW' 5 >/dev/null
tmux_keys main y
# While the DDL waits (3 s), the screen must go on: sample the title clock.
clocks=$STATE/clocks
: > "$clocks"
_i=0
while [ $_i -lt 40 ] && ! tmux_capture main | grep -q 'gave up after lock_timeout'; do
	clock >> "$clocks"
	sleep 0.25
	_i=$((_i + 1))
done
check "the refresh gives up after lock_timeout and says who holds the lock" \
	tmux_wait_for main "gave up after lock_timeout 3000 ms: another session holds a lock on $S\.mv_fresh \(pid [0-9]+\)" 3
# A frozen screen shows one time for the whole wait.  Two at least: while
# a tick waits behind the DDL's lock request, the clock's frame comes 1.5 s
# after the last (clock_cb waits for the tick's frame once), so a 3 s wait
# can hold only two.
seen=$(sort -u "$clocks" | grep -c .)
if [ "$seen" -ge 2 ]; then
	ok "the title clock kept advancing while the DDL waited ($seen different times)"
else
	not_ok "the title clock kept advancing while the DDL waited ($seen different times)"
	diag "$(tr '\n' ' ' < "$clocks")"
fi
check_eq "the view is unchanged after the lock timeout" 25 "$(q "SELECT n FROM $S.mv_fresh")"
kill $locker 2>/dev/null

# ---- R: only the stale views (the kit's five, never refreshed as far as
# its log knows; not the fixture, refreshed a moment ago)
q "INSERT INTO $S.src SELECT generate_series(26, 30)" >/dev/null
tmux_keys main R
check "R previews the stale views' refreshes" \
	tmux_wait_for main 'REFRESH MATERIALIZED VIEW CONCURRENTLY "public"."mv_course_performance"' 8
check "R's preview leaves the fresh view out" sh -c "! tmux -L pgdeck-main-$$ capture-pane -p -t main | grep -q 'CONCURRENTLY \"$S\"'"
tmux_keys main y
check "R refreshes the five stale views" tmux_wait_for main "refresh-stale 5 stale views: 5 views refreshed in" 20
check_eq "the kit's log has a row from pgdeck for each" 5 \
	"$(q "SELECT count(DISTINCT view_name) FROM public.mv_refresh_log WHERE view_name LIKE 'public.mv_%' AND application_name = 'pgdeck'")"
check_eq "the fresh view was left alone" 25 "$(q "SELECT n FROM $S.mv_fresh")"

# ---- partition maintenance
tmux_keys main 4 /
tmux_keys main -l "$S.ev"
tmux_keys main Enter
check "the partitions pane lists the fixture table" tmux_wait_for main "$S\.ev" 20
tmux_keys main m
check "m previews the DDL" tmux_wait_for main "CREATE TABLE \"$S\"\.\"ev_y[0-9]{4}m[0-9]{2}\" PARTITION OF \"$S\"\.\"ev\"" 8
check "the preview says monthly and 3 ahead" tmux_wait_for main "1 month partitions; keep the current one and 3 ahead" 2
check "the preview says retention is off" tmux_wait_for main "No retention is configured for $S\.ev" 2
tmux_keys main y
check "y creates them" tmux_wait_for main "maintain $S\.ev: 3 created, 0 detached in" 10
check_eq "five monthly partitions and the default exist" 6 \
	"$(q "SELECT count(*) FROM pg_inherits WHERE inhparent = '$S.ev'::regclass")"
check_eq "they reach three months past the current one" 1 \
	"$(q "SELECT count(*) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = '$S.ev'::regclass AND pg_get_expr(c.relpartbound, c.oid) LIKE '%' || to_char(date_trunc('month', now() AT TIME ZONE 'UTC') + interval '4 months', 'YYYY-MM-DD') || '%'")"

# ---- the default partition already holds a row in the range
new_filter "$S.ev" "$S.conflict"
tmux_wait_for main "$S\.conflict" 10 >/dev/null
tmux_keys main m
check "a range with rows in the default partition is refused with its reason" \
	tmux_wait_for main "maintain $S\.conflict refused: the default partition $S\.conflict_default already holds 1 row" 8
check_eq "nothing was created" 2 "$(q "SELECT count(*) FROM pg_inherits WHERE inhparent = '$S.conflict'::regclass")"

# ---- EXPLAIN, cancel, terminate
psql -XAtq -d "$DB" -c "SELECT pg_sleep(40) /* e2e-act-cancel */" >/dev/null 2>&1 &
cancelled=$!
psql -XAtq -d "$DB" -c "SELECT pg_sleep(40) /* e2e-act-kill */" >/dev/null 2>&1 &
killed=$!
at_exit "kill $cancelled $killed 2>/dev/null"
sleeping() { q "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%e2e-act-$1%' AND pid <> pg_backend_pid()"; }
wait_until 5 sh -c "[ \"\$(psql -XAtq -d '$DB' -c \"SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%e2e-act-%' AND pid <> pg_backend_pid()\")\" = 2 ]"
tmux_keys main 1 /
tmux_keys main -l "e2e-act-cancel"
tmux_keys main Enter
check "the sleeping query shows in the queries pane" tmux_wait_for main 'Timeout:PgSleep' 10
tmux_keys main e
check "e shows the plan without running the query" tmux_wait_for main 'EXPLAIN pid [0-9]+ \(not executed\)' 5
check "the plan has PostgreSQL's Result node" tmux_wait_for main 'Result  \(cost=' 2
tmux_keys main Escape
tmux_keys main C
check "C previews the cancel with the session's query" tmux_wait_for main 'Cancel the query running in pid [0-9]+' 5
tmux_keys main y
check "y sends the cancel" tmux_wait_for main 'cancel pid [0-9]+: cancel sent in' 5
check "the cancelled query is gone from the server" wait_until 5 sh -c "[ \"\$(psql -XAtq -d '$DB' -c \"SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%e2e-act-cancel%' AND state = 'active' AND pid <> pg_backend_pid()\")\" = 0 ]"

new_filter "e2e-act-cancel" "e2e-act-kill"
tmux_wait_for main 'Timeout:PgSleep' 10 >/dev/null
tmux_keys main K
check "K previews the termination" tmux_wait_for main 'Terminate the session pid [0-9]+' 5
tmux_keys main y
check "y terminates it" tmux_wait_for main 'terminate pid [0-9]+: session terminated in' 5
check "the terminated session is gone from the server" wait_until 5 sh -c "[ \"\$(psql -XAtq -d '$DB' -c \"SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%e2e-act-kill%' AND pid <> pg_backend_pid()\")\" = 0 ]"

# ---- EXPLAIN of a query sent with $1 parameters (as pg_stat_statements
# also shows them): a generic plan (PostgreSQL 15: PREPARE, then EXPLAIN
# EXECUTE under force_generic_plan).  pgbench's extended protocol sends the
# value apart, so pg_stat_activity shows the $1.
printf '\\set s 20\nSELECT pg_sleep(:s) /* e2e-act-param */;\n' > "$STATE/param.sql"
pgbench -n -t 1 -M extended -f "$STATE/param.sql" "$DB" >/dev/null 2>&1 &
param=$!
at_exit "kill $param 2>/dev/null"
wait_until 5 sh -c "[ -n \"\$(psql -XAtq -d '$DB' -c \"SELECT pid FROM pg_stat_activity WHERE query LIKE '%e2e-act-param%' AND pid <> pg_backend_pid()\")\" ]"
param_pid=$(q "SELECT pid FROM pg_stat_activity WHERE query LIKE '%e2e-act-param%' AND pid <> pg_backend_pid()")
tmux_keys main :
tmux_keys main -l "explain $param_pid"
tmux_keys main Enter
check "EXPLAIN of a query with \$1 parameters shows a generic plan" \
	tmux_wait_for main 'a generic plan: \$1\.\.\$1 have no values' 5
tmux_keys main Escape
q "SELECT pg_cancel_backend($param_pid)" >/dev/null

# ---- :commands and the journal viewer
tmux_keys main : 
tmux_keys main -l "analyze $S.src"
tmux_keys main Enter
tmux_wait_for main 'ANALYZE "e2e_act"."src"' 5 >/dev/null
tmux_keys main y
check ":analyze TABLE runs ANALYZE" tmux_wait_for main "analyze $S\.src: analyzed in" 5
check "the table has been analyzed" sh -c "[ -n \"\$(psql -XAtq -d '$DB' -c \"SELECT last_analyze FROM pg_stat_user_tables WHERE relid = '$S.src'::regclass\")\" ]"
tmux_keys main L
check "L shows the journal" tmux_wait_for main "journal: $STATE/pgdeck/journal" 5
check "the journal viewer shows the last action" tmux_wait_for main "analyze $S\.src +ok" 2
tmux_keys main Escape

# ---- the journal: one outcome line per action, every field
lines=$(grep -vc '"record":"intent"' "$JOURNAL")
check "the journal holds one outcome line per action (3 refreshes, 2 declined, R, maintain x2, explain x2, cancel, terminate, analyze)" \
	[ "$lines" -eq 13 ] || diag "$lines lines: $(cut -c1-200 "$JOURNAL")"
check "each change that ran was journaled ahead: an intent, then its outcome with the same id" python3 -c "
import json
lines = [json.loads(l) for l in open('$JOURNAL')]
intents = [i for i, e in enumerate(lines) if e.get('record') == 'intent']
ran = [e for e in lines if e.get('record') == 'outcome' and e['outcome'] in ('ok', 'failed') and e['action'] != 'explain']
assert len(intents) == len(ran) >= 6, (len(intents), len(ran))
for i in intents:
    later = [e for e in lines[i + 1:] if e.get('id') == lines[i]['id']]
    assert len(later) == 1 and later[0]['record'] == 'outcome', lines[i]
"
check "every journal line is JSON with every field" python3 -c "
import json, re, sys
for line in open('$JOURNAL'):
    e = json.loads(line)
    for k in ('time', 'os_user', 'db_user', 'database', 'server', 'front_end', 'action', 'target', 'statement', 'duration_ms', 'outcome', 'detail'):
        assert k in e, (k, e)
    assert re.match(r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$', e['time']), e['time']
    assert e['front_end'] == 'console'
"
check "the journal records the declined, failed and refused ones" sh -c "
	grep -c '\"outcome\":\"declined\"' '$JOURNAL' | grep -qx 2 &&
	grep -q '\"outcome\":\"failed\".*lock_timeout' '$JOURNAL' &&
	grep -q '\"action\":\"maintain\",\"target\":\"$S.conflict\".*\"outcome\":\"refused\"' '$JOURNAL'"
# The same regular expressions test_readonly.sh relies on to see nothing.
check "pg_stat_statements saw the actions' statements (what test_readonly.sh looks for)" \
	[ "$(psql_q "SELECT count(*) FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
	             WHERE d.datname = '$DB' AND (s.query ~* 'pg_(cancel|terminate)_backend'
	                   OR s.query ~* '^\\s*(ANALYZE|CREATE TABLE .* PARTITION OF)\\M')")" -ge 4 ]
check "the journal file is private (0600)" sh -c "[ \"\$(stat -c %a '$JOURNAL')\" = 600 ]"

tmux_keys main q
check "q quits" tmux_wait_exit main 5
tap_done
