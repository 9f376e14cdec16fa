#!/bin/sh
# Faults the console lives through, each injected into the harness's real
# servers while pgdeck runs in tmux, and each checked on the screen and in
# the database:
#   - the primary stopped fast and immediate, while idle (down is shown, the
#     keys still answer, it reconnects by itself) and while CREATE INDEX
#     CONCURRENTLY waits (the failure is reported as it is, and the INVALID
#     index it leaves is shown);
#   - every primary process paused with SIGSTOP for 20 s (the screen answers
#     keys, queries time out, q still quits, it recovers after SIGCONT);
#   - PgBouncer killed, Redis killed and restarted (only their parts grey,
#     keeping their last data "as of" when it was taken);
#   - a replica promoted (it stops being called a standby);
#   - max_connections exhausted (a clear "too many connections", retried);
#   - the terminal resized many times quickly;
#   - the journal that cannot be written (changes refused, the reason shown);
#   - SIGTERM and SIGHUP while a change runs (terminal restored, the journal
#     intact and honest, and the server ends the statement).
# Every server it stops is started again; the runner heals what is left.
. tests/e2e/lib.sh

PGDECK=$(pgdeck_bin)
DB=e2e_faults_$$
TMP=$(mktemp -d "${TMPDIR:-/tmp}/pgdeck-faults.XXXXXX")
at_exit "rm -rf '$TMP'"
XDG_STATE_HOME=$TMP/state
XDG_CONFIG_HOME=$TMP/config
export XDG_STATE_HOME XDG_CONFIG_HOME
JOURNAL=$TMP/state/pgdeck/journal
PLAN=$TMP/plan.sql
SOCKDB="host=$PGDECK_SOCKET_DIR port=$PGDECK_PG_PORT user=postgres"

q() { psql_q "$1" "$SOCKDB dbname=$DB"; }
pane_pid() { tmux -L "pgdeck-$1-$$" display-message -p -t main '#{pane_pid}'; }
primary_answers() { psql -XAtq -c 'SELECT 1' "$SOCKDB dbname=postgres" >/dev/null 2>&1; }
# as_pg CMD...: as the user that owns the servers (root runs them as postgres).
as_pg() {
	if [ "$(id -u)" = 0 ]; then (cd / && runuser -u postgres -- "$@"); else (cd / && "$@"); fi
}

# Whatever happens, leave the primary running and unpaused.
PAUSED=""
heal() {
	[ -n "$PAUSED" ] && kill -CONT $PAUSED 2>/dev/null
	primary_answers || harness start-primary >/dev/null 2>&1
}
at_exit heal
at_exit "psql -XAtq -c 'DROP DATABASE IF EXISTS $DB WITH (FORCE)' '$SOCKDB dbname=postgres' >/dev/null 2>&1"

psql_q "CREATE DATABASE $DB" "$SOCKDB dbname=postgres" >/dev/null || { not_ok "create the test database"; tap_done; }
q "CREATE TABLE t (id int, a int, b int);
   INSERT INTO t SELECT g, g % 97, g % 89 FROM generate_series(1, 2000) g;
   CREATE TABLE knob (s float8);
   INSERT INTO knob VALUES (0);
   CREATE MATERIALIZED VIEW slow_mv AS SELECT 1 AS n FROM knob, LATERAL pg_sleep((SELECT s FROM knob));
   UPDATE knob SET s = 60;" >/dev/null || { not_ok "create the fixtures"; tap_done; }
cat > "$PLAN" <<'EOF'
CREATE INDEX t_a_idx ON public.t (a);
CREATE INDEX t_b_idx ON public.t (b);
EOF

# A lock timeout long enough that CREATE INDEX CONCURRENTLY waits for the
# writer below until the primary is stopped under it.
tmux_start main 200 50 "$PGDECK" -d "$DB" -i 0.5 --plan "$PLAN" --lock-timeout 120000
check "the console is up with the four servers" tmux_wait_for main 'primary: up .*replica: up .*pgbouncer: up .*redis: up' 15

# ---- the primary stopped while idle, fast then immediate
for mode in fast immediate; do
	harness stop-primary "$mode"
	check "primary stopped $mode while idle: the status line says down and why" \
		tmux_wait_for main 'primary: down \(' 10
	check "primary stopped $mode: the replica, PgBouncer and Redis stay up" \
		tmux_wait_for main 'replica: up .*pgbouncer: up .*redis: up' 2
	tmux_keys main '?'
	check "primary stopped $mode: keys still answer (help opens)" tmux_wait_for main 'pgdeck help' 2
	tmux_keys main Escape
	tmux_wait_gone main 'pgdeck help' 2 >/dev/null
	harness start-primary
	check "primary started again after a $mode stop: pgdeck reconnects by itself" \
		tmux_wait_for main 'primary: up' 30
	check "... and the pool pane counts connections again" tmux_wait_for main 'connections [0-9]+/[0-9]+' 15
done

# ---- the primary stopped while CREATE INDEX CONCURRENTLY waits
# A writer's open transaction makes the build wait ("waiting for writers")
# after it has made its catalog entry: stopping the server then leaves the
# INVALID index a real failed build leaves.
n=0
for mode in fast immediate; do
	n=$((n + 1))
	idx=$(sed -n "${n}s/^CREATE INDEX \\([a-z_]*\\) .*/\\1/p" "$PLAN")
	# A prepared transaction holds its lock through any shutdown: the build
	# is still waiting when the server ends it (an open session's lock would
	# go with the session, racing the build's own end).
	gid="e2e_faults_${mode}_$$"
	check "$mode: a writer's prepared transaction holds t" \
		q "BEGIN; INSERT INTO t VALUES (0, 0, 0); PREPARE TRANSACTION '$gid'"
	at_exit "psql -XAtq -c \"ROLLBACK PREPARED '$gid'\" '$SOCKDB dbname=$DB' >/dev/null 2>&1"
	tmux_keys main :
	tmux_keys main -l "index $idx"
	tmux_keys main Enter
	tmux_wait_for main "CREATE INDEX CONCURRENTLY $idx ON public\\.t" 10 >/dev/null
	tmux_keys main y
	check "$mode: the build shows it waits for the writer" \
		tmux_wait_for main "building public\\.$idx: waiting for writers" 15
	harness stop-primary "$mode"
	check "primary stopped $mode during the build: the failure is reported and the INVALID leftover named" \
		tmux_wait_for main "index public\\.$idx failed: .*INVALID index" 15
	harness start-primary
	q "ROLLBACK PREPARED '$gid'" >/dev/null
	check_eq "$mode: the catalog holds $idx INVALID" f \
		"$(q "SELECT indisvalid FROM pg_index WHERE indexrelid = 'public.$idx'::regclass")"
	check "$mode: the index pane shows it INVALID once reconnected" tmux_wait_for main "$idx +INVALID" 30
	check "$mode: the journal has the failed build with its reason" \
		sh -c "tail -n 1 '$JOURNAL' | grep -q '\"action\":\"index\",\"target\":\"public.$idx\".*\"outcome\":\"failed\".*INVALID'"
done
q "DROP INDEX IF EXISTS t_a_idx; DROP INDEX IF EXISTS t_b_idx" >/dev/null

# ---- every primary process paused with SIGSTOP for 20 s
# A second console, to quit while the server is still paused.
tmux_start quitter 100 30 "$PGDECK" -d "$DB" -i 0.5
tmux_wait_for quitter 'primary: up' 15 >/dev/null
postmaster=$(head -n 1 "$PGDECK_PGDATA/postmaster.pid")
PAUSED="$postmaster $(ps -o pid= --ppid "$postmaster" | tr '\n' ' ')"
clock() { tmux_capture main | head -n 1 | grep -oE '[0-9]{2}:[0-9]{2}:[0-9]{2}' | tail -n 1; }
# shellcheck disable=SC2086
kill -STOP $PAUSED
paused_at=$(date +%s)
c1=$(clock)
tmux_keys main '?'
check "paused: keys answer at once (help opens)" tmux_wait_for main 'pgdeck help' 2
tmux_keys main Escape
check "paused: Esc closes the help" tmux_wait_gone main 'pgdeck help' 2
check "paused: the queries time out, and the screen says so" \
	tmux_wait_for main 'timed out after|no answer from the server|primary: (down|connecting)' 17
c2=$(clock)
if [ -n "$c1" ] && [ "$c1" != "$c2" ]; then ok "paused: the title clock goes on ($c1 -> $c2)"
else not_ok "paused: the title clock goes on ($c1 -> $c2)"; fi
tmux_keys quitter q
check "paused: q still quits at once" tmux_wait_exit quitter 5
check_eq "paused: and exits 0" 0 "$(tmux_exit_status quitter)"
tmux_kill quitter
left=$((20 - ($(date +%s) - paused_at)))
[ $left -gt 0 ] && sleep $left
# shellcheck disable=SC2086
kill -CONT $PAUSED
PAUSED=""
check "resumed with SIGCONT: the primary answers psql" wait_until 20 primary_answers
check "resumed: pgdeck is up again by itself" tmux_wait_for main 'primary: up' 30
check "resumed: the pool pane is back" tmux_wait_for main 'pgdeck pool +primary open [1-9]' 15

# ---- PgBouncer killed
harness kill-bouncer
check "PgBouncer killed: the status line says down" tmux_wait_for main 'pgbouncer: down' 10
check "PgBouncer killed: its part of the pool pane keeps its last data, greyed 'as of'" \
	tmux_wait_for main 'pgbouncer +[0-9]+ pools?, .* as of [0-9]{2}:[0-9]{2}:[0-9]{2}' 10
check "PgBouncer killed: the primary stays up" tmux_wait_for main 'primary: up' 2
harness start-bouncer
check "PgBouncer back: up again by itself" tmux_wait_for main 'pgbouncer: up' 30
check "PgBouncer back: its part is current again (no 'as of')" \
	tmux_wait_gone main 'pgbouncer +[0-9]+ pools?, .* as of [0-9]{2}:' 10

# ---- Redis killed and restarted
harness kill-redis
check "Redis killed: the status line says down" tmux_wait_for main 'redis: down' 10
check "Redis killed: the cache pane's Redis line keeps its last data, greyed 'as of'" \
	tmux_wait_for main 'redis +hit .* as of [0-9]{2}:[0-9]{2}:[0-9]{2}' 10
check "Redis killed: the PostgreSQL cache line is still there" tmux_wait_for main 'postgresql +hit ' 2
harness start-redis
check "Redis restarted: up again by itself" tmux_wait_for main 'redis: up' 30
check "Redis restarted: the cache pane reads it again (no 'as of')" tmux_wait_gone main 'redis +hit .* as of [0-9]{2}:' 15
check "Redis restarted: the cache pane reads it again" tmux_wait_for main 'memory +[0-9.]+ [kMG]?B used' 15

# ---- the terminal resized many times quickly
i=0
for size in 80x24 200x60 100x30 60x15 150x45 90x25 130x40 70x20 180x50 40x10 120x36 81x24; do
	for _ in 1 2 3 4 5; do
		tmux_resize main "${size%x*}" "${size#*x}"
		i=$((i + 1))
	done
done
tmux_resize main 100 30
check "after $i quick resizes pgdeck still runs" [ "$(tmux -L "pgdeck-main-$$" display-message -p -t main '#{pane_dead}')" = 0 ]
check "after the resizes: tabs at the final 100x30" tmux_wait_for main '^ 1 Queries +2 Pool +3 Cache' 5
check "after the resizes: the key hint is on the last line (30)" \
	wait_until 5 sh -c "tmux -L pgdeck-main-$$ capture-pane -p -t main | sed -n 30p | grep -q '?:help'"
tmux_keys main q
check "q exits after all that" tmux_wait_exit main 10
check_eq "with status 0" 0 "$(tmux_exit_status main)"
tmux_kill main

# ---- a replica promoted: a streaming replica of our own on a private socket
REP=$(mktemp -d /tmp/pgdeck-promote.XXXXXX)
chmod 755 "$REP"
mkdir "$REP/sock"
[ "$(id -u)" = 0 ] && chown postgres: "$REP" "$REP/sock"
at_exit "[ -f '$REP/data/postmaster.pid' ] && (cd / && $( [ "$(id -u)" = 0 ] && echo 'runuser -u postgres --') '$PGDECK_PGBIN/pg_ctl' -D '$REP/data' -m immediate -w stop) >/dev/null 2>&1; rm -rf '$REP'"
if as_pg "$PGDECK_PGBIN/pg_basebackup" -D "$REP/data" -h "$PGDECK_SOCKET_DIR" -p "$PGDECK_PG_PORT" -U postgres \
	-R -X stream -c fast --no-sync >"$REP/basebackup.log" 2>&1; then
	# No TCP port: the socket's directory alone makes it ours.
	cat >> "$REP/data/postgresql.auto.conf" <<EOF
listen_addresses = ''
unix_socket_directories = '$REP/sock'
cluster_name = 'e2e-promote'
EOF
	as_pg "$PGDECK_PGBIN/pg_ctl" -D "$REP/data" -l "$REP/log" -w -s start >/dev/null 2>&1
	REPLICA="host=$REP/sock port=$PGDECK_PG_PORT user=postgres dbname=$DB"
	tmux_start promo 120 40 "$PGDECK" -d "$DB" -i 0.5 --replica "$REPLICA"
	check "the new replica is shown as a standby" tmux_wait_for promo 'replica: up [0-9.]+ \(standby\)' 15
	as_pg "$PGDECK_PGBIN/pg_ctl" -D "$REP/data" -w -s promote >/dev/null 2>&1
	check_eq "psql: the replica is promoted" f "$(psql -XAtq -c 'SELECT pg_is_in_recovery()' "$REPLICA")"
	check "promoted: the status line stops calling it a standby" tmux_wait_for promo 'replica: up [0-9.]+  pgbouncer' 10
	check "promoted: the pool pane says it is not in recovery" tmux_wait_for promo 'read replica +not in recovery' 10
	tmux_keys promo q
	tmux_wait_exit promo 10 >/dev/null
	tmux_kill promo
	as_pg "$PGDECK_PGBIN/pg_ctl" -D "$REP/data" -m immediate -w -s stop >/dev/null 2>&1
else
	not_ok "pg_basebackup of a second replica"
	diag "$(tail -5 "$REP/basebackup.log")"
fi

# ---- max_connections exhausted
# pgbench holds every slot left (superusers' reserved ones too), then a
# new console comes up against a full server.
printf '\\sleep 200 ms\n' > "$TMP/idle.sql"
max=$(q "SHOW max_connections")
full() { psql -XAtq -c 'SELECT 1' "$SOCKDB dbname=postgres" 2>&1 | grep -q 'too many clients'; }
# A backend still exiting (the consoles just quit) holds its slot after
# pg_stat_activity has stopped listing it: pgbench then finds one slot
# fewer than counted and gives up.  Counted again and tried again, up to
# three times.
for try in 1 2 3; do
	used=$(q "SELECT count(*) - 1 FROM pg_stat_activity WHERE backend_type = 'client backend'")
	fill=$((max - used))
	pgbench -n -c "$fill" -j 2 -T 60 -f "$TMP/idle.sql" "$SOCKDB dbname=$DB" >"$TMP/pgbench.log" 2>&1 &
	filler=$!
	at_exit "kill $filler 2>/dev/null"
	wait_until 40 full && break
	kill $filler 2>/dev/null
	wait $filler 2>/dev/null
	sleep 1
done
if check "pgbench holds all $max connections ($fill of them)" full; then
	tmux_start full 200 40 "$PGDECK" -d "$DB" -i 0.5
	check "a full server: the status line says too many connections" \
		tmux_wait_for full 'primary: down \(too many connections' 15
	check "... and when it retries" tmux_wait_for full 'primary: down \(too many connections[^)]*\) retry in [0-9]+(\.[0-9])?s' 10
	kill $filler 2>/dev/null
	wait $filler 2>/dev/null
	check "slots free again: pgdeck connects on a later retry" tmux_wait_for full 'primary: up' 30
	tmux_keys full q
	tmux_wait_exit full 10 >/dev/null
	tmux_kill full
else
	diag "$(tail -5 "$TMP/pgbench.log")"
fi
kill $filler 2>/dev/null
wait_until 20 primary_answers

# ---- the journal cannot be written: changes are refused, with the reason
: > "$TMP/not-a-dir"
tmux_start nojournal 200 40 env XDG_STATE_HOME="$TMP/not-a-dir" "$PGDECK" -d "$DB" -i 0.5
tmux_wait_for nojournal 'primary: up' 15 >/dev/null
tmux_keys nojournal :
tmux_keys nojournal -l "analyze public.t"
tmux_keys nojournal Enter
check "an unwritable journal: ANALYZE is refused and the reason shown" \
	tmux_wait_for nojournal 'analyze refused: cannot create .*not-a-dir/pgdeck: Not a directory; changing actions are refused while the journal cannot be written' 15
tmux_keys nojournal q
tmux_wait_exit nojournal 5 >/dev/null
tmux_kill nojournal
mkdir -p "$TMP/config/pgdeck"
printf '[actions]\njournal = /dev/full\n' > "$TMP/config/pgdeck/config"
tmux_start devfull 120 40 "$PGDECK" -d "$DB" -i 0.5
tmux_wait_for devfull 'primary: up' 15 >/dev/null
tmux_keys devfull :
tmux_keys devfull -l "analyze public.t"
tmux_keys devfull Enter
check "a journal on /dev/full: ANALYZE is refused before it runs" \
	tmux_wait_for devfull 'analyze refused: the journal /dev/full is not a regular file' 15
# Reading it back (the journal viewer, the views pane's refresh times) must
# not read /dev/full's endless zeros into memory.
tmux_keys devfull 5
sleep 1
tmux_keys devfull L
check "a journal on /dev/full: the viewer says it is not a regular file" \
	tmux_wait_for devfull 'the journal /dev/full is not a regular file' 5
rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$(pane_pid devfull)/status" 2>/dev/null)
check "a journal on /dev/full: pgdeck did not read it into memory (RSS ${rss:-?} kB)" [ "${rss:-999999}" -lt 102400 ]
tmux_keys devfull q
tmux_wait_exit devfull 5 >/dev/null
tmux_kill devfull
rm -f "$TMP/config/pgdeck/config"
check_eq "nothing was analyzed" "" "$(q "SELECT last_analyze FROM pg_stat_user_tables WHERE relid = 'public.t'::regclass")"

# ---- SIGTERM and SIGHUP while a REFRESH runs (60 s of pg_sleep)
for sig in TERM HUP; do
	tmux_start "sig$sig" 120 40 "$PGDECK" -d "$DB" -i 0.5
	tmux_wait_for "sig$sig" 'primary: up' 15 >/dev/null
	tmux_keys "sig$sig" :
	tmux_keys "sig$sig" -l "refresh public.slow_mv"
	tmux_keys "sig$sig" Enter
	tmux_wait_for "sig$sig" 'REFRESH MATERIALIZED VIEW "public"."slow_mv"' 10 >/dev/null
	tmux_keys "sig$sig" y
	not_refreshing() { ! refreshing; }
	refreshing() { [ "$(q "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'REFRESH MATERIALIZED VIEW%slow_mv%' AND pid <> pg_backend_pid()")" = 1 ]; }
	wait_until 10 refreshing
	kill -"$sig" "$(pane_pid "sig$sig")"
	check "SIG$sig during a refresh: pgdeck exits" tmux_wait_exit "sig$sig" 10
	check "SIG$sig: the terminal is restored (the dashboard is gone)" tmux_wait_gone "sig$sig" 'primary: up' 3
	check "SIG$sig: every journal line is whole JSON" python3 -c "
import json, sys
for line in open(sys.argv[1]):
    json.loads(line)
" "$JOURNAL"
	check "SIG$sig: the journal's last line is the interrupted refresh, failed" \
		sh -c "tail -n 1 '$JOURNAL' | grep -q '\"action\":\"refresh\",\"target\":\"public.slow_mv\".*\"outcome\":\"failed\".*interrupted: pgdeck stopped while it ran'"
	check "SIG$sig: the server ends the refresh too (client_connection_check_interval)" \
		wait_until 5 not_refreshing
	tmux_kill "sig$sig"
done

tap_done
