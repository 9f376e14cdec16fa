#!/bin/sh
# pgdeck as roles with less than a superuser's rights, against objects and
# sessions that belong to postgres:
#   - a role with only pg_monitor: every pane works; where it lacks a right
#     (a schema without USAGE) it says so; each action fails with the
#     server's own reason, is journaled as failed, and changes nothing
#     (ANALYZE of a table it does not own only warns and skips it: that is
#     a failure too, not "analyzed");
#   - a role without pg_monitor: other roles' sessions are listed as the
#     server shows them ("<insufficient privilege>"), counted in the pool
#     pane, never shown with their text; a replica whose state it may not
#     see is said to be hidden, not missing.
. tests/e2e/lib.sh

PGDECK=$(pgdeck_bin)
DB=e2e_priv_$$
MON=e2e_mon_$$
PLAIN=e2e_plain_$$
MARK=privsecret$$
TMP=$(mktemp -d "${TMPDIR:-/tmp}/pgdeck-priv.XXXXXX")
at_exit "rm -rf '$TMP'"
XDG_STATE_HOME=$TMP/state
XDG_CONFIG_HOME=$TMP/config
export XDG_STATE_HOME XDG_CONFIG_HOME
JOURNAL=$TMP/state/pgdeck/journal
SOCKDB="host=$PGDECK_SOCKET_DIR port=$PGDECK_PG_PORT user=postgres"

q() { psql_q "$1" "$SOCKDB dbname=$DB"; }

cleanup() {
	psql -XAtq "$SOCKDB dbname=postgres" >/dev/null 2>&1 <<EOF
SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%$MARK%' AND pid <> pg_backend_pid();
SELECT pg_stat_statements_reset(0, oid, 0) FROM pg_database WHERE datname = '$DB';
DROP DATABASE IF EXISTS $DB WITH (FORCE);
DROP ROLE IF EXISTS $MON;
DROP ROLE IF EXISTS $PLAIN;
EOF
}
at_exit cleanup

psql -Xq -v ON_ERROR_STOP=1 "$SOCKDB dbname=postgres" >/dev/null <<EOF || { not_ok "create the database and roles"; tap_done; }
CREATE DATABASE $DB;
CREATE ROLE $MON LOGIN IN ROLE pg_monitor;
CREATE ROLE $PLAIN LOGIN;
EOF
psql -Xq -v ON_ERROR_STOP=1 "$SOCKDB dbname=$DB" >/dev/null <<EOF || { not_ok "create the fixtures"; tap_done; }
CREATE EXTENSION IF NOT EXISTS pg_stat_statements;
CREATE SCHEMA s;
GRANT USAGE ON SCHEMA s TO PUBLIC;
CREATE TABLE s.t (id int, v int);
INSERT INTO s.t SELECT g, g FROM generate_series(1, 100) g;
CREATE MATERIALIZED VIEW s.mv AS SELECT count(*) AS n FROM s.t;
INSERT INTO s.t VALUES (101, 101);
CREATE TABLE s.ev (at timestamptz) PARTITION BY RANGE (at);
DO \$\$
DECLARE m timestamptz := date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
BEGIN
    EXECUTE format('CREATE TABLE s.ev_y%sm%s PARTITION OF s.ev FOR VALUES FROM (%L) TO (%L)',
                   to_char(m, 'YYYY'), to_char(m, 'MM'), m, m + interval '1 month');
END
\$\$;
-- a schema the roles may not even look into
CREATE SCHEMA hidden;
CREATE MATERIALIZED VIEW hidden.mv AS SELECT 1 AS n;
EOF
printf 'CREATE INDEX t_v_idx ON s.t (v);\n' > "$TMP/plan.sql"
# Another role's statement, finished (pg_stat_statements has it), and
# another role's session, running.
# (The table makes its queryid this database's own: pg_stat_statements
# ignores comments and aliases, and pgdeck shows one text per queryid.)
# pg_sleep gives it enough total time to rank among the 500 busiest
# statements the pane reads, however many a long suite has left behind.
q "SELECT count(*) AS answer FROM s.t /* $MARK-done */ , pg_sleep(0.4)" >/dev/null
psql -XAtq -c "SELECT pg_sleep(600) /* $MARK-running */" "$SOCKDB dbname=$DB" >/dev/null 2>&1 &
at_exit "kill $! 2>/dev/null"
running() { q "SELECT pid FROM pg_stat_activity WHERE query LIKE '%$MARK-running%' AND pid <> pg_backend_pid()"; }
wait_until 10 sh -c "[ -n \"\$(psql -XAtq -c \"SELECT 1 FROM pg_stat_activity WHERE query LIKE '%$MARK-running%' AND pid <> pg_backend_pid()\" '$SOCKDB dbname=$DB')\" ]"
PID=$(running)
check "postgres's session runs (pid $PID)" [ -n "$PID" ]

# ---- a role with only pg_monitor
tmux_start mon 250 60 "$PGDECK" -U "$MON" -d "$DB" -i 0.5 --plan "$TMP/plan.sql"
check "pg_monitor: the console is up as $MON" tmux_wait_for mon "user=$MON .*|primary: up" 15
tmux_wait_for mon 'primary: up' 10 >/dev/null
# (The database column ends in the cut mark when the name is longer.)
check "pg_monitor: the queries pane shows postgres's running query" \
	tmux_wait_for mon "$PID +e2e_priv_[0-9]*(~|…)? +postgres .*SELECT pg_sleep\\(600\\) /\\* $MARK-running" 15
check "pg_monitor: the pool pane counts by state and user" tmux_wait_for mon "user +postgres +[1-9]" 10
check "pg_monitor: the replica is streaming, with its lag" tmux_wait_for mon 'replicas +pgdeck-replica .*streaming' 10
check "pg_monitor: the cache pane lists the database" tmux_wait_for mon "$DB +[0-9.]+%" 10
# (A pane wide enough shows the partitions' KIND and the indexes' TABLE.)
check "pg_monitor: the partitions pane lists s.ev" tmux_wait_for mon 's\.ev +(range +)?1 ' 15
check "pg_monitor: the views pane lists s.mv" tmux_wait_for mon 's\.mv +yes' 10
check "pg_monitor: the indexes pane shows the planned index missing" tmux_wait_for mon 's\.t_v_idx .*missing' 10
tmux_keys mon 1 t /
tmux_keys mon -l "$MARK-done"
tmux_keys mon Enter
check "pg_monitor: pg_stat_statements shows postgres's statement, text and all" \
	tmux_wait_for mon "SELECT count\\(\\*\\) AS answer FROM s\\.t /\\* $MARK-done" 15
tmux_keys mon /
sleep 0.2
tmux_keys mon Escape
tmux_keys mon t

# action COMMAND RESULT-REGEX: type :COMMAND, answer y to a preview if one
# comes, and wait for the outcome on the status line.
action() {
	tmux_keys "$S" :
	tmux_keys "$S" -l "$1"
	tmux_keys "$S" Enter
	# A preview waits for y; a refusal comes straight away.
	tmux_wait_for "$S" "y: yes|$2" 10 >/dev/null
	tmux_capture "$S" | grep -q 'y: yes' && tmux_keys "$S" y
	tmux_wait_for "$S" "$2" 15
}
S=mon
check "pg_monitor: REFRESH fails with the server's reason" action "refresh s.mv" 'refresh s\.mv failed: must be owner of materialized view mv'
check "pg_monitor: ANALYZE, which the server skips with a warning, is a failure" \
	action "analyze s.t" 'analyze s\.t failed: skipping "t" --- only table or database owner can analyze it'
check "pg_monitor: CREATE INDEX fails with the server's reason" action "index s.t_v_idx" 'index s\.t_v_idx failed: must be owner of table t'
check "pg_monitor: partition maintenance fails with the server's reason" \
	action "maintain s.ev" 'maintain s\.ev failed[^:]*: (permission denied for schema s|must be owner of table ev)'
check "pg_monitor: cancelling postgres's query fails with the server's reason" \
	action "cancel $PID" "cancel pid $PID failed: .*superuser"
check "pg_monitor: terminating it fails likewise" action "terminate $PID" "terminate pid $PID failed: .*superuser"
# (Names are looked up in the catalog, which pg_monitor may read: the
# server itself says no, when the refresh is sent.)
check "pg_monitor: a view in a schema without USAGE: fails, and why" \
	action "refresh hidden.mv" 'refresh hidden\.mv (refused|failed): permission denied for schema hidden'
tmux_keys mon q
tmux_wait_exit mon 10 >/dev/null

check_eq "nothing changed: the view holds the old count" 100 "$(q "SELECT n FROM s.mv")"
check_eq "nothing changed: the table was not analyzed" "" \
	"$(q "SELECT last_analyze FROM pg_stat_user_tables WHERE relid = 's.t'::regclass")"
check_eq "nothing changed: no index was made" "" "$(q "SELECT to_regclass('s.t_v_idx')")"
check_eq "nothing changed: s.ev has its one partition" 1 \
	"$(q "SELECT count(*) FROM pg_inherits WHERE inhparent = 's.ev'::regclass")"
check_eq "nothing changed: postgres's query still runs" active "$(q "SELECT state FROM pg_stat_activity WHERE pid = $PID")"
check "the journal has each attempt as failed or refused, with the server's reason, as $MON" python3 -c "
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
want = {'refresh': 'must be owner', 'analyze': 'skipping', 'index': 'must be owner', 'maintain': '',
        'cancel': 'superuser', 'terminate': 'superuser'}
bad = []
for action, reason in want.items():
    got = [l for l in lines if l['action'] == action and l['db_user'] == sys.argv[2]]
    if not any(l['outcome'] in ('failed', 'refused') and reason in l['detail'] for l in got):
        bad.append((action, [(l['outcome'], l['detail']) for l in got]))
    if any(l['outcome'] == 'ok' for l in got):
        bad.append((action, 'journaled ok'))
print(bad or 'all failed with a reason')
sys.exit(1 if bad else 0)
" "$JOURNAL" "$MON"

# ---- a role without pg_monitor
tmux_start plain 250 60 "$PGDECK" -U "$PLAIN" -d "$DB" -i 0.5 --plan "$TMP/plan.sql"
tmux_wait_for plain 'primary: up' 15 >/dev/null
check "no pg_monitor: postgres's session is listed as the server shows it" \
	tmux_wait_for plain "$PID +e2e_priv_[0-9]*(~|…)? +postgres .*<insufficient privilege>" 15
check "no pg_monitor: its query text is nowhere on the screen" sh -c "! tmux -L pgdeck-plain-$$ capture-pane -p -t main | grep -q '$MARK'"
check "no pg_monitor: the pool pane counts the session it may not see (state unknown)" \
	tmux_wait_for plain 'state +unknown +[1-9]' 10
check "no pg_monitor: the replica's state is said to be hidden, not made up" \
	tmux_wait_for plain 'replicas +pgdeck-replica .*\(hidden: needs pg_monitor\)' 10
check "no pg_monitor: no alert calls the replica missing" sh -c "! tmux -L pgdeck-plain-$$ capture-pane -p -t main | grep -q 'missing from pg_stat_replication'"
tmux_keys plain 1 t
check "no pg_monitor: the statements view works (its own statements)" tmux_wait_for plain "CALLS +TOTAL .*|[0-9] +[0-9.]+m?s .* e2e_priv_" 10
check "no pg_monitor: postgres's statement text is not shown" sh -c "! tmux -L pgdeck-plain-$$ capture-pane -p -t main | grep -q '$MARK-done'"
tmux_keys plain t
S=plain
check "no pg_monitor: cancelling postgres's query fails with the server's reason" \
	action "cancel $PID" "cancel pid $PID failed: .*superuser"
tmux_keys plain q
tmux_wait_exit plain 10 >/dev/null
check_eq "postgres's query still runs" active "$(q "SELECT state FROM pg_stat_activity WHERE pid = $PID")"

tap_done
