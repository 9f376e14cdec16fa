#!/bin/sh
# The Pool and Cache panes as an operator watches them: sessions opened by
# an application show up counted by state exactly as pg_stat_activity has
# them, a PgBouncer pool and the streaming replica are listed, pgdeck's own
# pool is shown, a Redis workload of 800 hits and 200 misses reads as an
# 80 % hit rate, and low thresholds raise the pool and cache alerts.  Then
# at 80x24, with no PgBouncer and no replica configured, both panes are
# readable and the absent servers are greyed, not errors.
. tests/e2e/lib.sh

if [ -z "${PGDECK_PG_PORT:-}" ]; then
	not_ok "harness env.sh loaded (run: sh tests/harness.sh start)"
	tap_done
fi

PGDECK=$(pgdeck_bin)
TMP=$_LIB_TMP
# One tag in every name: the "/" filter on it keeps the fixture's rows in
# view however many other sessions the server has.
T=e2epool$$
APP=app-$T
ROLE=role_$T
COLD=cold_$T
PIDS=$TMP/pids

# ---- fixtures: a role, seven sessions, a client through PgBouncer

cleanup() {
	[ -f "$PIDS" ] && while read -r p; do kill "$p" 2>/dev/null; done < "$PIDS"
	psql_q "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = '$APP'" >/dev/null 2>&1
	psql_q "DROP TABLE IF EXISTS $COLD" >/dev/null 2>&1
	# The role goes once its sessions have.
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		psql_q "DROP ROLE IF EXISTS $ROLE" >/dev/null 2>&1 && break
		sleep 0.3
	done
	[ -f "$TMP/redis.pid" ] && kill "$(cat "$TMP/redis.pid")" 2>/dev/null
}
at_exit cleanup

psql_q "CREATE ROLE $ROLE LOGIN" >/dev/null

# session INPUT...: a psql session of our role and application that reads
# INPUT and then stays connected (idle) until the test ends.
# (Quietly: the shell would report the sleeps killed at the end.)
session() {
	( { [ $# -gt 0 ] && printf '%s\n' "$@"; sh -c 'echo $$ >> "$1"; exec sleep 120' sh "$PIDS"; } 2>/dev/null |
		PGAPPNAME=$APP psql -XAtq -U "$ROLE" >/dev/null 2>&1 & )
}
for _ in 1 2 3 4 5; do session; done
for _ in 1 2; do session 'BEGIN;' 'SELECT 1;'; done
# A client of PgBouncer's "pgdeck" database: its pool appears.
( { echo 'SELECT 1;'; sh -c 'echo $$ >> "$1"; exec sleep 120' sh "$PIDS"; } 2>/dev/null |
	psql -XAtq "host=127.0.0.1 port=$PGDECK_BOUNCER_PORT dbname=pgdeck user=postgres" >/dev/null 2>&1 & )

marker_counts() {
	psql_q "SELECT count(*), count(*) FILTER (WHERE state = 'active'), count(*) FILTER (WHERE state = 'idle'),
	               count(*) FILTER (WHERE state LIKE 'idle in transaction%'),
	               count(*) FILTER (WHERE wait_event_type = 'Lock')
	          FROM pg_stat_activity WHERE application_name = '$APP'"
}
seven_settled() { [ "$(marker_counts)" = "7|0|5|2|0" ]; }
check "psql sees the 7 sessions: 5 idle, 2 idle in transaction" wait_until 10 seven_settled
bouncer_pool() { bouncer_q "SHOW POOLS" | grep -q '^pgdeck|postgres|'; }
check "PgBouncer lists a pool for pgdeck/postgres" wait_until 10 bouncer_pool

# A private Redis: FLUSHALL and CONFIG RESETSTAT touch nobody else's data,
# and its since-start figures are exactly this test's workload.
RSOCK=$TMP/redis.sock
redis-server --port 0 --unixsocket "$RSOCK" --unixsocketperm 700 --save '' --appendonly no \
	--daemonize yes --pidfile "$TMP/redis.pid" --dir "$TMP" >/dev/null
rcli() { redis-cli -s "$RSOCK" "$@"; }
check "the private Redis answers" wait_until 5 rcli ping
for i in 0 1 2 3 4 5 6 7 8 9; do rcli SET "e2e:key:$i" "v$i" >/dev/null; done
rcli FLUSHALL >/dev/null
for i in 0 1 2 3 4 5 6 7 8 9; do rcli SET "e2e:key:$i" "v$i" >/dev/null; done
rcli CONFIG RESETSTAT >/dev/null
# 300 misses before pgdeck starts: since start and the last interval then
# differ (61.5 % against 80 %), so neither can pass for the other.
i=0
while [ $i -lt 300 ]; do printf 'GET e2e:before:%d\r\n' $i; i=$((i + 1)); done | rcli --pipe >/dev/null 2>&1

# What the gauge must count against: max_connections less the reserved slots.
USABLE=$(psql_q "SELECT current_setting('max_connections')::int - current_setting('superuser_reserved_connections')::int
                        - COALESCE(current_setting('reserved_connections', true), '0')::int")

CONF=$TMP/config
cat > "$CONF" <<EOF
[alerts]
pool_percent = 1
cache_hit_percent = 100
EOF

# ---- a big screen: every pane laid out, 2 s refresh

tmux_start big 250 70 "$PGDECK" --config "$CONF" -i 2 --redis "unix://$RSOCK"
check "the Pool pane is drawn" tmux_wait_for big '2 Pool' 10
# The states in the order a session goes through them, not by count: the
# idle sessions outnumber the others here and still come last (ordered by
# count, the rows traded places at every refresh under an OLTP load).
# (The pane's border is a line drawing or, off UTF-8, a '|'.)
state_rows() { tmux_capture big | sed -E -n 's/.*(│|\|)state +([a-z][a-z ()]*[a-z)]).*/\2/p' | tr '\n' '|'; }
states_in_order() {
	case $(state_rows) in "active|idle in transact"*"|idle|"*) return 0 ;; esac
	return 1
}
check "the state rows come as active, idle in transaction, idle (not by count)" wait_until 6 states_in_order
tmux_keys big 2 /
tmux_keys big -l "$T"
tmux_keys big Enter

# The application's row: KIND NAME TOTAL ACTIVE IDLE IDLE-TX LOCK.
counts=$(marker_counts)
want=$(printf '%s' "$counts" | awk -F'|' '{ printf "%s +%s +%s +%s +%s", $1, $2, $3, $4, $5 }')
check "the application row shows psql's counts by state ($counts)" \
	tmux_wait_for big "application +$APP +$want" 10
check "the user row counts the role's 7 sessions" tmux_wait_for big "user +$ROLE +7 +0 +5 +2 +0" 5
check "state counts are shown beside the gauge" \
	tmux_wait_for big "connections [0-9]+/$USABLE +[0-9.]+%\] +active [0-9]+ +idle [0-9]+ +idle-tx [0-9]+" 5

# End two idle sessions: the row follows what psql then reads.
psql_q "SELECT pg_terminate_backend(pid) FROM (SELECT pid FROM pg_stat_activity
          WHERE application_name = '$APP' AND state = 'idle' LIMIT 2) s" >/dev/null
five_left() { [ "$(marker_counts)" = "5|0|3|2|0" ]; }
check "psql sees 5 sessions after two are terminated" wait_until 5 five_left
check "the application row follows: 5 = 3 idle + 2 idle in transaction" \
	tmux_wait_for big "application +$APP +5 +0 +3 +2 +0" 6

# ---- PgBouncer, replicas, pgdeck's own pool
sv=$(bouncer_q "SHOW POOLS" | awk -F'|' '$1 == "pgdeck" && $2 == "postgres" { print $3 }')
check "the PgBouncer pool pgdeck/postgres is listed with its clients (SHOW POOLS: cl_active $sv)" \
	tmux_wait_for big "pgdeck/postgres +cl_active [0-9]+ cl_waiting 0 +sv_active [0-9]+ sv_idle [0-9]+" 8
check "the PgBouncer summary counts pools" tmux_wait_for big 'pgbouncer +[1-9][0-9]* pools?, [0-9]+ clients? waiting' 5
check_eq "psql: the replica streams" streaming \
	"$(psql_q "SELECT state FROM pg_stat_replication WHERE application_name = 'pgdeck-replica'")"
check "the replica is listed streaming with its lag in bytes and seconds" \
	tmux_wait_for big 'replicas +pgdeck-replica 127\.0\.0\.1 streaming async +lag [0-9.]+ k?B, [0-9.]+m?s' 5
# (the receiver's address follows on the line: beyond a third of 250 columns)
check "the read replica reports its recovery" \
	tmux_wait_for big 'read replica +in recovery, [0-9.]+ k?B behind, delay [0-9.]+m?s, replayed [0-9A-F]+/[0-9A-F]+' 5
check "pgdeck's own pool line" \
	tmux_wait_for big 'pgdeck pool +primary open [1-9][0-9]* busy [0-9]+ waiting [0-9]+ \(min 2 max 4\) connects [1-9]' 5

# ---- alerts: pool over 1 %
check "the pool alert is raised over 1 %" \
	tmux_wait_for big "pool: [0-9]+ of $USABLE connections used \([0-9.]+% > 1%\)" 5

# ---- Redis: 800 hits and 200 misses inside one interval
check "the Redis line shows the 300 misses before the workload" \
	tmux_wait_for big 'redis +hit (-|idle) last interval, 0\.0% since start' 8
# Paused, no INFO is sent: the whole workload falls between two snapshots.
tmux_keys big p
check "refreshing pauses" tmux_wait_for big 'PAUSED' 3
sleep 0.5
{
	i=0
	while [ $i -lt 800 ]; do printf 'GET e2e:key:%d\r\n' $((i % 10)); i=$((i + 1)); done
	i=0
	while [ $i -lt 200 ]; do printf 'GET e2e:missing:%d\r\n' $i; i=$((i + 1)); done
} | rcli --pipe >/dev/null 2>&1
check_eq "Redis counted 800 hits" 800 "$(rcli INFO stats | tr -d '\r' | sed -n 's/^keyspace_hits://p')"
check_eq "Redis counted 200 misses (and 300 before)" 500 "$(rcli INFO stats | tr -d '\r' | sed -n 's/^keyspace_misses://p')"
tmux_keys big p
if tmux_wait_for big 'redis +hit [0-9.]+% last interval' 8; then
	screen=$(tmux_capture big)
	rate=$(printf '%s\n' "$screen" | sed -n 's/.*redis  *hit \([0-9.]*\)% last interval.*/\1/p' | head -n 1)
	if awk -v r="$rate" 'BEGIN { exit !(r >= 79 && r <= 81) }'; then
		ok "the interval hit rate is within a point of 80 % ($rate %)"
	else
		not_ok "the interval hit rate is within a point of 80 % ($rate %)"
	fi
	check "since start it is 800 / (800 + 300 + 200) = 61.5 %" sh -c "printf '%s\n' \"\$1\" | grep -Eq 'last interval, 61\.5% since start'" sh "$screen"
	check "the Redis hit alert is on the alert line" sh -c "printf '%s\n' \"\$1\" | grep -Eq 'redis hit: 80\.0% < 100%'" sh "$screen"
else
	not_ok "the interval hit rate is shown after the workload"
fi
# 80 % is the seventh of nine levels: a block, or "*" in ASCII.
check "the next interval, without lookups, is idle; since start stays" \
	tmux_wait_for big 'redis +hit idle last interval, 61\.5% since start' 6
check "the sparkline has the 80 % value" tmux_wait_for big 'redis +hit .* ops/s.*(▆|\*)' 5
check "keys counted from the keyspace line" tmux_wait_for big 'keys 10 +expired 0 +evicted 0' 5
check "no maxmemory is said so" tmux_wait_for big 'no maxmemory limit' 5

# ---- PostgreSQL: a table read cold misses shared_buffers
# A 40 MB table is written and scanned through small ring buffers, so most
# of its blocks are reads however often it is scanned.
psql_q "CREATE TABLE $COLD AS SELECT g, repeat('x', 20) AS filler FROM generate_series(1, 700000) g" >/dev/null
before=$(psql_q "SELECT blks_read FROM pg_stat_database WHERE datname = 'pgdeck'")
psql_q "SELECT count(*) FROM $COLD" >/dev/null
after=$(psql_q "SELECT blks_read FROM pg_stat_database WHERE datname = 'pgdeck'")
check "psql: the scan read over 1,000 blocks ($before -> $after)" test $((after - before)) -gt 1000
# scan_until REGEX: scan the table until the screen matches (what the
# screen shows of an interval lasts one interval).
scan_until() {
	psql_q "SELECT count(*) FROM $COLD" >/dev/null
	tmux_capture big | grep -Eq -- "$1"
}
check "the cache hit alert is raised" wait_until 10 scan_until 'cache hit: [^ ]+ [0-9.]+% < 100%'
check "the Cache pane shows pgdeck's reads in the interval" \
	wait_until 10 scan_until 'pgdeck +[0-9.]+% +[0-9.]+% +[0-9,]+ +[1-9][0-9,]* '
tmux_keys big 3 t
check "t shows the busiest tables, the cold table among them" wait_until 15 scan_until "public\.$COLD +[0-9.]+%"
tmux_keys big q
check "q exits" tmux_wait_exit big 10
tmux_kill big

# ---- 80x24, no PgBouncer and no replica configured
tmux_start small 80 24 env -u PGBOUNCER_URL -u DATABASE_READ_REPLICA_URL "$PGDECK" --redis "unix://$RSOCK"
check "80x24: tabs are shown" tmux_wait_for small '2 Pool' 10
tmux_keys small 2 /
tmux_keys small -l "$T"
tmux_keys small Enter
check "80x24: the gauge fits the pool pane" tmux_wait_for small "^(│|\\|)\\[\\|* *connections [0-9]+/$USABLE +[0-9.]+%\\]" 8
check "80x24: the connections table has its header" tmux_wait_for small 'KIND +NAME +TOTAL +ACTIVE +IDLE +IDLE-TX' 5
check "80x24: PgBouncer is greyed as not configured" tmux_wait_for small 'pgbouncer +no PgBouncer configured' 5
check "80x24: the read replica is greyed as not configured" tmux_wait_for small 'read replica +no replica configured' 5
check "80x24: the application row is there" tmux_wait_for small "application +$APP +5 " 5
tmux_keys small 3
check "80x24: PostgreSQL's hit ratio line" tmux_wait_for small 'postgresql +hit [0-9.%a-z-]+ last interval, [0-9.]+% since reset' 8
check "80x24: Redis's line" tmux_wait_for small 'redis +hit ' 5
check "80x24: the database table" tmux_wait_for small 'DATABASE +HIT% +HIT%TOTAL +HITS +READS' 5
check_eq "80x24: nothing is drawn past column 80" 80 \
	"$(tmux_capture small | python3 -c 'import sys; print(max(len(l.rstrip("\n")) for l in sys.stdin.buffer.read().decode().splitlines()))')"
tmux_keys small q
tmux_wait_exit small 5 >/dev/null

tap_done
