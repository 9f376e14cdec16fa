#!/bin/sh
# The journal written ahead, and the DDL session checked, on the real
# servers:
#   - pgdeck SIGKILLed while CREATE INDEX CONCURRENTLY waits for a writer:
#     the journal holds the intent naming the index and no outcome, and the
#     console's journal viewer (L) says "outcome unknown (pgdeck stopped)";
#     the same for a REFRESH, which the views pane (--once) reports;
#   - a changing action whose intent cannot be written (file size limit)
#     is refused and the index is not built;
#   - a SET the server refuses (a man in the middle turns lock_timeout's
#     value into one out of range: nothing pgdeck's config accepts is
#     refused by PostgreSQL) refuses the DDL; nothing else is sent;
#   - the primary reached through the harness's PgBouncer (transaction
#     mode): run indexes and run refresh are refused with the reason and
#     send nothing, while monitoring (--once) works;
#   - view freshness from the journal counts only for the same object: a
#     view dropped and created again under its name, and a record from
#     another cluster (another system identifier), get no refresh time.
. tests/e2e/lib.sh

PGDECK=$(pgdeck_bin)
DB=e2e_journal_$$
TMP=$(mktemp -d "${TMPDIR:-/tmp}/pgdeck-journal.XXXXXX")
at_exit "rm -rf '$TMP'"
XDG_STATE_HOME=$TMP/state
XDG_CONFIG_HOME=$TMP/config
export XDG_STATE_HOME XDG_CONFIG_HOME
JOURNAL=$TMP/state/pgdeck/journal
PLAN=$TMP/plan.sql
SOCKDB="host=$PGDECK_SOCKET_DIR port=$PGDECK_PG_PORT user=postgres"

q() { psql_q "$1" "$SOCKDB dbname=$DB"; }
# statements_seen REGEX: how many statements pg_stat_statements saw in the
# test database that match.
statements_seen() {
	psql_q "SELECT coalesce(sum(s.calls), 0) FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
	        WHERE d.datname = '$DB' AND s.query ~* '$1'"
}
# view_cell VIEW COLUMN: the views collector's cell for VIEW, from --once.
view_cell() {
	"$PGDECK" -d "$DB" --once --format json 2>/dev/null | python3 -c "
import json, sys
v = json.load(sys.stdin)['collectors']['views']
cols = v['columns']
for row in v['rows']:
    if row[cols.index('name')] == sys.argv[1]:
        print(row[cols.index(sys.argv[2])] or '')
" "$1" "$2"
}
writer_waits() {
	[ "$(q "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%e2e-journal-writer%' AND state = 'active' AND pid <> pg_backend_pid()")" = 1 ]
}
building() {
	[ "$(q "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'CREATE INDEX CONCURRENTLY t_a_idx%' AND application_name = 'pgdeck'")" = 1 ]
}
not_building() { ! building; }
refreshing() {
	[ "$(q "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'REFRESH MATERIALIZED VIEW%slow_mv%' AND application_name = 'pgdeck'")" = 1 ]
}
not_refreshing() { ! refreshing; }

psql_q "CREATE DATABASE $DB" "$SOCKDB dbname=postgres" >/dev/null || { not_ok "create the test database"; tap_done; }
at_exit "psql -XAtq -c 'DROP DATABASE IF EXISTS $DB WITH (FORCE)' '$SOCKDB dbname=postgres' >/dev/null 2>&1"
q "CREATE TABLE t (id int, a int, b int);
   INSERT INTO t SELECT g, g % 97, g % 89 FROM generate_series(1, 2000) g;
   CREATE TABLE knob (s float8);
   INSERT INTO knob VALUES (0);
   CREATE MATERIALIZED VIEW slow_mv AS SELECT 1 AS n FROM knob, LATERAL pg_sleep((SELECT s FROM knob));
   UPDATE knob SET s = 60;
   CREATE MATERIALIZED VIEW mv_j AS SELECT 1 AS n;" >/dev/null || { not_ok "create the fixtures"; tap_done; }
cat > "$PLAN" <<'EOF'
CREATE INDEX t_a_idx ON public.t (a);
EOF

# ---- SIGKILL while CREATE INDEX CONCURRENTLY waits
# A writer's open transaction makes the build wait ("waiting for writers"),
# under a lock_timeout long enough that it is still waiting when pgdeck is
# killed: nothing is left to its timing.
psql -XAtq -c "BEGIN; INSERT INTO t VALUES (0, 0, 0); SELECT pg_sleep(120) /* e2e-journal-writer */; COMMIT" \
	"$SOCKDB dbname=$DB" >/dev/null 2>&1 &
writer=$!
at_exit "kill $writer 2>/dev/null"
wait_until 10 writer_waits
"$PGDECK" -d "$DB" run indexes --plan "$PLAN" --lock-timeout 120000 > "$TMP/out" 2>&1 &
runner=$!
check "run indexes is building t_a_idx (waiting for the writer)" wait_until 15 building
kill -KILL "$runner"
wait "$runner" 2>/dev/null
check "SIGKILL: the journal has an intent naming the index, with its statement" python3 -c "
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
intents = [e for e in lines if e.get('record') == 'intent' and e['target'] == 'public.t_a_idx']
assert len(intents) == 1, lines
assert 'CREATE INDEX CONCURRENTLY t_a_idx ON public.t' in intents[0]['statement'], intents[0]
assert intents[0]['action'] == 'index-all' and intents[0]['outcome'] is None, intents[0]
" "$JOURNAL"
check "SIGKILL: ... and no outcome for it" python3 -c "
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
ids = {e['id'] for e in lines if e.get('record') == 'intent'}
assert not [e for e in lines if e.get('record') != 'intent' and e.get('id') in ids], lines
" "$JOURNAL"
check "SIGKILL: the server ends the build itself (client_connection_check_interval)" wait_until 10 not_building
# The writer's backend sleeps on whatever becomes of its psql: end it.
q "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
   WHERE query LIKE '%e2e-journal-writer%' AND pid <> pg_backend_pid()" >/dev/null
kill "$writer" 2>/dev/null
q "DROP INDEX IF EXISTS t_a_idx" >/dev/null

tmux_start main 200 50 "$PGDECK" -d "$DB" -i 0.5
tmux_wait_for main 'primary: up' 15 >/dev/null
tmux_keys main L
check "L: the journal viewer says the build's outcome is unknown" \
	tmux_wait_for main 'index-all public\.t_a_idx  outcome unknown \(pgdeck stopped\)' 5
check "L: ... with the statement it was running" tmux_wait_for main 'CREATE INDEX CONCURRENTLY t_a_idx ON public\.t' 2
tmux_keys main Escape

# ---- SIGKILL during a REFRESH: the views pane says so too
"$PGDECK" -d "$DB" run refresh public.slow_mv > "$TMP/out" 2>&1 &
runner=$!
check "run refresh is refreshing slow_mv (60 s of pg_sleep)" wait_until 15 refreshing
kill -KILL "$runner"
wait "$runner" 2>/dev/null
check "SIGKILL: the server ends the refresh itself" wait_until 10 not_refreshing
note=$(view_cell public.slow_mv refresh_note)
case $note in
*"outcome unknown (pgdeck stopped)") ok "SIGKILL: the views pane (--once) says pgdeck's refresh has an unknown outcome" ;;
*) not_ok "SIGKILL: the views pane (--once) says pgdeck's refresh has an unknown outcome"; diag "refresh_note: $note" ;;
esac
tmux_keys main q
tmux_wait_exit main 5 >/dev/null
tmux_kill main
# A console started now reads the journal as it is.
tmux_start views 200 50 "$PGDECK" -d "$DB" -i 0.5
tmux_wait_for views 'primary: up' 15 >/dev/null
tmux_keys views 5
tmux_wait_for views 'slow_mv' 15 >/dev/null
tmux_keys views /
tmux_keys views -l slow_mv
tmux_keys views Enter
# The filter shown applied before the row is opened.
tmux_wait_gone views 'mv_j' 5 >/dev/null
tmux_keys views Enter
check "the views pane's details say it too" tmux_wait_for views "pgdeck +pgdeck's refresh at .*: outcome unknown \\(pgdeck stopped\\)" 10
tmux_keys views Escape q
tmux_wait_exit views 5 >/dev/null
q "UPDATE knob SET s = 0" >/dev/null

# ---- an intent that cannot be written: refused, nothing built
# The journal opens (the gate's first look passes) but no line fits any
# more: the file size limit makes write() fail (EFBIG; SIGXFSZ ignored),
# as a full disk or a failed fsync would.
dd if=/dev/zero bs=1024 count=16 2>/dev/null | tr '\0' '\n' >> "$JOURNAL"
sh -c "trap '' XFSZ; ulimit -f 8; exec '$PGDECK' -d '$DB' run indexes --plan '$PLAN'" > "$TMP/out" 2> "$TMP/err"
rc=$?
check "an unwritable intent: run indexes exits non-zero" [ "$rc" -ne 0 ]
check "... saying the journal cannot be written and nothing was sent" \
	grep -q "refused: cannot write the journal .*File too large; changing actions are refused while the journal cannot be written, nothing was sent" "$TMP/err"
check_eq "... and the index was not built" "" "$(q "SELECT to_regclass('public.t_a_idx')")"
check_eq "... nor started (no CREATE INDEX reached the server)" 0 "$(statements_seen '^CREATE INDEX')"
# Each part below starts from no index, whatever happened here.
q "DROP INDEX IF EXISTS t_a_idx" >/dev/null
# Leave a journal that reads as JSON lines again.
python3 -c "
import sys
lines = [l for l in open(sys.argv[1]) if l.strip()]
open(sys.argv[1], 'w').writelines(lines)
" "$JOURNAL"

# ---- a SET the server refuses: the DDL is refused, nothing else sent
# Between pgdeck and the primary, a forwarder that changes the value of
# SET lock_timeout (3000) into -300 on the way: the real server refuses
# it ("outside the valid range") and the session stays up, as with any
# refused SET.  Without the check, SET statement_timeout would succeed
# and the build run with no lock_timeout.
cat > "$TMP/mitm.py" <<'EOF'
import socket, sys, threading
listen = socket.socket()
listen.bind(('127.0.0.1', 0))
listen.listen(16)
open(sys.argv[2], 'w').write(str(listen.getsockname()[1]))
def pump(src, dst, rewrite):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            if rewrite:
                data = data.replace(b'SET lock_timeout = 3000', b'SET lock_timeout = -300')
            dst.sendall(data)
    except OSError:
        pass
    for s in (src, dst):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
while True:
    client, _ = listen.accept()
    server = socket.create_connection(('127.0.0.1', int(sys.argv[1])))
    threading.Thread(target=pump, args=(client, server, True), daemon=True).start()
    threading.Thread(target=pump, args=(server, client, False), daemon=True).start()
EOF
python3 "$TMP/mitm.py" "$PGDECK_PG_PORT" "$TMP/mitm.port" &
mitm=$!
at_exit "kill $mitm 2>/dev/null"
wait_until 5 test -s "$TMP/mitm.port"
MITM="host=127.0.0.1 port=$(cat "$TMP/mitm.port") user=postgres dbname=$DB"
before_set=$(statements_seen '^SET statement_timeout = 0')
"$PGDECK" run indexes --plan "$PLAN" "$MITM" > "$TMP/out" 2> "$TMP/err"
rc=$?
check "a refused SET lock_timeout: run indexes exits non-zero" [ "$rc" -ne 0 ]
check "... with the server's reason, and nothing else sent" \
	grep -q 'SET lock_timeout = 3000 failed (.*outside the valid range.*): the DDL would run without it, so it was not sent' "$TMP/err" \
	|| diag "$(cat "$TMP/err")"
check_eq "... the index was not built" "" "$(q "SELECT to_regclass('public.t_a_idx')")"
check_eq "... no SET statement_timeout followed it" "$before_set" "$(statements_seen '^SET statement_timeout = 0')"
check "... and the journal has it refused, with no intent (no change was about to go out)" python3 -c "
import json, sys
last = [json.loads(l) for l in open(sys.argv[1])][-1]
assert last['outcome'] == 'refused' and 'lock_timeout' in last['detail'] and last['id'] is None, last
" "$JOURNAL"
kill "$mitm" 2>/dev/null
q "DROP INDEX IF EXISTS t_a_idx" >/dev/null

# ---- the primary through PgBouncer (transaction mode): DDL refused
BOUNCED="host=127.0.0.1 port=$PGDECK_BOUNCER_PORT user=postgres dbname=$DB"
before_index=$(statements_seen '^CREATE INDEX')
before_refresh=$(statements_seen '^REFRESH')
before_set=$(statements_seen '^SET lock_timeout')
for what in "indexes --plan $PLAN" "refresh public.mv_j"; do
	# shellcheck disable=SC2086
	"$PGDECK" run $what "$BOUNCED" > "$TMP/out" 2> "$TMP/err"
	rc=$?
	check "through PgBouncer: run ${what%% *} exits non-zero" [ "$rc" -ne 0 ]
	check "through PgBouncer: run ${what%% *} says why it refuses" \
		grep -q 'refused: pgdeck reaches the primary through a connection pooler .*does not keep session settings such as lock_timeout' "$TMP/err" \
		|| diag "$(cat "$TMP/err")"
done
check_eq "through PgBouncer: no CREATE INDEX reached the server" "$before_index" "$(statements_seen '^CREATE INDEX')"
check_eq "through PgBouncer: no REFRESH reached the server" "$before_refresh" "$(statements_seen '^REFRESH')"
check_eq "through PgBouncer: not even the SET lock_timeout" "$before_set" "$(statements_seen '^SET lock_timeout')"
check_eq "through PgBouncer: the index was not built" "" "$(q "SELECT to_regclass('public.t_a_idx')")"
"$PGDECK" --once --format json "$BOUNCED" > "$TMP/once.json" 2> "$TMP/err"
check "through PgBouncer: monitoring works (--once reads the views)" python3 -c "
import json, sys
v = json.load(open(sys.argv[1]))['collectors']['views']
assert not v['error'] and any('mv_j' in r[v['columns'].index('name')] for r in v['rows']), v
" "$TMP/once.json"

# ---- view freshness: only for the same view of the same cluster
"$PGDECK" -d "$DB" run refresh public.mv_j > "$TMP/out" 2> "$TMP/err"
check_eq "run refresh mv_j exits 0" 0 "$?"
check_eq "after pgdeck refreshed it, the views pane knows when (from the journal)" journal \
	"$(view_cell public.mv_j refresh_known_from)"
key=$(view_cell public.mv_j object_key)
check "the views row names the view by system identifier, database and OID" \
	sh -c "printf '%s\n' '$key' | grep -qE '^[0-9]+/[0-9]+/[0-9]+\$'" || diag "object_key: $key"
q "DROP MATERIALIZED VIEW mv_j; CREATE MATERIALIZED VIEW mv_j AS SELECT 1 AS n" >/dev/null
check_eq "dropped and created again: no refresh time is claimed" "" "$(view_cell public.mv_j refresh_known_from)"
# (Its age is then at best an estimate from its file's time, labelled so:
# pgdeck's role is a superuser here, which may read it.)
check "... its age is not from the journal (an estimate at best)" \
	sh -c "[ '$(view_cell public.mv_j age_source)' != journal ]"
# A record of the new view, written by another cluster: same database and
# view OIDs, another system identifier.
key=$(view_cell public.mv_j object_key)
record() {
	python3 -c "
import json, sys, datetime
sysid, db, oid = sys.argv[1].split('/')
now = datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%S.000Z')
print(json.dumps({'time': now, 'os_user': 'x', 'db_user': 'postgres', 'database': sys.argv[2], 'server': 'elsewhere',
                  'front_end': 'run', 'action': 'refresh', 'target': 'public.mv_j', 'statement': 'REFRESH ...',
                  'duration_ms': 5.0, 'outcome': 'ok', 'detail': 'refreshed', 'format': 2, 'record': 'outcome',
                  'id': None, 'system_id': sys.argv[3] or sysid, 'database_oid': int(db),
                  'relations': [{'name': 'public.mv_j', 'oid': int(oid)}]}, separators=(',', ':')))
" "$key" "$DB" "$1" >> "$JOURNAL"
}
record 1234567890123456789
check_eq "a record from another system identifier is ignored" "" "$(view_cell public.mv_j refresh_known_from)"
record ""
check_eq "the same record from this cluster counts (the check can pass)" journal \
	"$(view_cell public.mv_j refresh_known_from)"

tap_done
