#!/bin/sh
# View freshness on a database without the kit (issue 16, part 2), checked
# in the catalog and on screen:
#  - untracked: the age is an estimate from the view file's time, marked ≈
#    and never given as a refresh time; the pane says tracking exists;
#  - run track-views --dry-run prints the install and changes nothing; a
#    role that is not a superuser is refused; run track-views installs it;
#  - a view refreshed from plain psql by another role then shows its true
#    age, from pgdeck's tracking;
#  - run untrack-views leaves nothing of pgdeck in the catalog.
. tests/e2e/lib.sh

PGDECK=$(pgdeck_bin)
DB=e2e_fresh_$$
ROLE=e2e_fresh_role_$$
STATE=$(mktemp -d)
at_exit "rm -rf '$STATE'"
export XDG_STATE_HOME="$STATE" XDG_CONFIG_HOME="$STATE"
OUT=$STATE/out
ERR=$STATE/err

q() { psql_q "$1" "dbname=$DB"; }
# cell VIEW COLUMN: the views collector's value (--once JSON).
cell() {
	"$PGDECK" -d "$DB" --once --format json 2>/dev/null | python3 -c "
import json, sys
v = json.load(sys.stdin)['collectors']['views']
cols = v['columns']
for row in v['rows']:
    if row[cols.index('name')] == sys.argv[1]:
        x = row[cols.index(sys.argv[2])]
        print('' if x is None else x)
" "$1" "$2"
}
leftovers() {
	q "SELECT (SELECT count(*) FROM pg_namespace WHERE nspname = 'pgdeck')
	        + (SELECT count(*) FROM pg_event_trigger)
	        + (SELECT count(*) FROM pg_proc WHERE proname = 'track_refresh')
	        + (SELECT count(*) FROM pg_class WHERE relname LIKE 'refresh_log%')"
}

psql_q "CREATE DATABASE $DB" >/dev/null || { not_ok "create the test database"; tap_done; }
at_exit "psql -XAtq -c 'DROP DATABASE IF EXISTS $DB WITH (FORCE)' >/dev/null 2>&1"
psql_q "CREATE ROLE $ROLE LOGIN" >/dev/null
at_exit "psql -XAtq -c 'DROP ROLE IF EXISTS $ROLE' >/dev/null 2>&1"
psql -Xq -v ON_ERROR_STOP=1 -d "$DB" >/dev/null <<EOF || { not_ok "create the fixtures"; tap_done; }
CREATE SCHEMA app AUTHORIZATION $ROLE;
SET ROLE $ROLE;
CREATE TABLE app.sales (day date, amount int);
INSERT INTO app.sales SELECT current_date - g % 30, g FROM generate_series(1, 1000) g;
CREATE MATERIALIZED VIEW app.daily AS SELECT day, sum(amount) AS total FROM app.sales GROUP BY day;
EOF

# ---- untracked: an estimate, marked
check_eq "untracked: no refresh time is claimed" "" "$(cell app.daily refresh_known_from)"
check_eq "untracked: the age is an estimate" estimate "$(cell app.daily age_source)"
check "untracked: shown with ≈" sh -c "cell_v='$(cell app.daily age_shown)'; case \"\$cell_v\" in '≈ '*' min') exit 0;; esac; exit 1"
tmux_start main 240 60 "$PGDECK" -d "$DB"
check "the console is up" tmux_wait_for main 'primary: up' 10
tmux_keys main 5
# (≈ reads ~ on a terminal that is not UTF-8, as the test's may be.)
check "the views pane shows the estimate with ≈" tmux_wait_for main 'app\.daily .* (≈|~) [0-9]+ min +ok' 15
check "the pane says where the times come from" tmux_wait_for main 'times: (≈|~) file times' 5
check "the pane tells an untracked database that tracking exists" \
	tmux_wait_for main 'refreshes are not tracked here: pgdeck run track-views' 5

# ---- track-views
"$PGDECK" -d "$DB" -U "$ROLE" run track-views > "$OUT" 2> "$ERR"
check_eq "a role that is not a superuser is refused (exit 1)" 1 "$?"
check "and told why" grep -q 'only a superuser may create an event trigger' "$ERR"
"$PGDECK" -d "$DB" run track-views --dry-run > "$OUT" 2> "$ERR"
check_eq "run track-views --dry-run exits 0" 0 "$?"
check "it prints the event trigger" grep -q 'CREATE EVENT TRIGGER pgdeck_track_refresh ON ddl_command_end' "$OUT"
check "its function is SECURITY DEFINER with search_path = pg_catalog" \
	grep -q 'LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog' "$OUT"
check_eq "--dry-run installed nothing" 0 "$(leftovers)"
"$PGDECK" -d "$DB" run track-views > "$OUT" 2> "$ERR"
check_eq "run track-views exits 0" 0 "$?"
check "it says so" grep -q 'track-views refresh tracking: installed' "$OUT"
check_eq "the event trigger is there" pgdeck_track_refresh "$(q "SELECT evtname FROM pg_event_trigger")"
"$PGDECK" -d "$DB" run track-views > "$OUT" 2> "$ERR"
check "a second install says it is there already" grep -q 'tracked in .* already' "$OUT"

# ---- a refresh by another role, from plain psql: its true age
psql -Xq -v ON_ERROR_STOP=1 -d "$DB" -U "$ROLE" -c "REFRESH MATERIALIZED VIEW app.daily" ||
	not_ok "the role refreshes its view"
check_eq "the refresh was logged by pgdeck's tracking, as that role" "$ROLE" \
	"$(q "SELECT refreshed_by FROM pgdeck.refresh_log WHERE view_oid = 'app.daily'::regclass")"
check_eq "the views pane's time comes from the tracking" tracking "$(cell app.daily refresh_known_from)"
age=$(cell app.daily age)
check "its age is the refresh's ($age s)" awk -v a="$age" 'BEGIN { exit !(a != "" && a + 0 >= 0 && a + 0 < 60) }'
check "the pane shows it, labelled" tmux_wait_for main 'times: tracking' 15
tmux_keys main /
tmux_keys main -l daily
tmux_keys main Enter
tmux_keys main Enter
check "details: from pgdeck's tracking" tmux_wait_for main "from pgdeck's tracking, pgdeck.refresh_log" 5
tmux_keys main Escape
tmux_keys main q
tmux_wait_exit main 10 >/dev/null

# ---- untrack-views: nothing left
"$PGDECK" -d "$DB" run untrack-views --dry-run > "$OUT" 2> "$ERR"
check "untrack-views --dry-run prints the drops" grep -q 'DROP EVENT TRIGGER IF EXISTS pgdeck_track_refresh' "$OUT"
"$PGDECK" -d "$DB" run untrack-views > "$OUT" 2> "$ERR"
check_eq "run untrack-views exits 0" 0 "$?"
check_eq "nothing of pgdeck is left in the catalog" 0 "$(leftovers)"
check_eq "the age is an estimate again" estimate "$(cell app.daily age_source)"
"$PGDECK" -d "$DB" run untrack-views > "$OUT" 2> "$ERR"
check "untracking again has nothing to do" grep -q 'nothing of pgdeck' "$OUT"

# ---- a pgdeck schema another role made: never read, never installed over
q "GRANT CREATE ON DATABASE $DB TO $ROLE" >/dev/null
psql -Xq -v ON_ERROR_STOP=1 -d "$DB" -U "$ROLE" >/dev/null <<SQL || not_ok "the role plants a pgdeck schema"
CREATE SCHEMA pgdeck;
CREATE TABLE pgdeck.refresh_log (view_oid oid, started_at timestamptz, finished_at timestamptz);
INSERT INTO pgdeck.refresh_log SELECT 'app.daily'::regclass, now() - interval '1 year', now() - interval '1 year';
SQL
check_eq "a planted pgdeck.refresh_log is not read" "" "$(cell app.daily refresh_known_from)"
check "and the views row says why" sh -c "'$PGDECK' -d '$DB' --once --format json 2>/dev/null | grep -q 'ignoring pgdeck.refresh_log: owned by $ROLE'"
"$PGDECK" -d "$DB" run track-views > "$OUT" 2> "$ERR"
check_eq "track-views refuses to install into it (exit 1)" 1 "$?"
check "and says whose it is" grep -q "a schema pgdeck owned by $ROLE" "$ERR"
"$PGDECK" -d "$DB" run untrack-views > "$OUT" 2> "$ERR"
check_eq "untrack-views does not drop it (exit 1)" 1 "$?"
check_eq "the role's schema is still there" 1 "$(q "SELECT count(*) FROM pg_namespace WHERE nspname = 'pgdeck'")"
q "DROP SCHEMA pgdeck CASCADE" >/dev/null 2>&1

tap_done
