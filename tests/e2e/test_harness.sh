#!/bin/sh
# The service harness itself: the four servers answer, are configured as the
# tests expect, and the fault helpers take them down and bring them back;
# the second cluster comes on demand only, and stop takes it down too.
. tests/e2e/lib.sh

if [ -z "${PGDECK_PG_PORT:-}" ]; then
	not_ok "harness env.sh loaded (run: sh tests/harness.sh start)"
	tap_done
fi

# ---- environment
for v in PGDECK_RUN PGDECK_PG_PORT PGDECK_REPLICA_PORT PGDECK_BOUNCER_PORT PGDECK_REDIS_PORT \
	PGDECK_SOCKET_DIR PGDECK_PGDATA PGDECK_REPLICA_PGDATA PGHOST PGPORT PGUSER PGDATABASE \
	DATABASE_URL DATABASE_READ_REPLICA_URL PGBOUNCER_URL REDIS_URL; do
	eval "_val=\${$v:-}"
	[ -n "$_val" ] || { not_ok "env.sh sets $v"; continue; }
done
check_eq "env.sh sets every variable" 0 "$TAP_FAILED"
check_eq "the four ports are distinct" 4 \
	"$(printf '%s\n' "$PGDECK_PG_PORT" "$PGDECK_REPLICA_PORT" "$PGDECK_BOUNCER_PORT" "$PGDECK_REDIS_PORT" | sort -u | wc -l | tr -d ' ')"
check "harness status says all four are up" harness status

# ---- primary
check_eq "primary answers on the unix socket (libpq env)" "pgdeck|postgres" \
	"$(psql_q 'SELECT current_database(), current_user')"
check_eq "primary answers on DATABASE_URL" 1 "$(psql_q 'SELECT 1' "$DATABASE_URL")"
check_eq "primary is not in recovery" f "$(psql_q 'SELECT pg_is_in_recovery()')"
check_eq "primary listens on 127.0.0.1 only" 127.0.0.1 "$(psql_q 'SHOW listen_addresses')"
check_eq "max_connections is 400" 400 "$(psql_q 'SHOW max_connections')"
check_eq "track_io_timing is on" on "$(psql_q 'SHOW track_io_timing')"
check_eq "pg_stat_statements is preloaded" pg_stat_statements "$(psql_q 'SHOW shared_preload_libraries')"
check_eq "pg_stat_statements extension in pgdeck" 1 \
	"$(psql_q "SELECT count(*) FROM pg_extension WHERE extname = 'pg_stat_statements'")"
check_eq "pg_stat_statements extension in postgres" 1 \
	"$(psql_q "SELECT count(*) FROM pg_extension WHERE extname = 'pg_stat_statements'" \
		"host=$PGDECK_SOCKET_DIR port=$PGDECK_PG_PORT dbname=postgres")"
check "pg_stat_statements(false) can be read" psql_q 'SELECT count(*) FROM pg_stat_statements(false)'

# ---- authentication
out=$(PGPASSWORD=wrong-password psql -XAtq -c 'SELECT 1' \
	"host=127.0.0.1 port=$PGDECK_PG_PORT user=pgdeck_pw dbname=pgdeck connect_timeout=5" 2>&1)
case $out in
*"password authentication failed for user \"pgdeck_pw\""*) ok "a wrong password for pgdeck_pw is refused" ;;
*) not_ok "a wrong password for pgdeck_pw is refused"; diag "$out" ;;
esac
check_eq "the right password for pgdeck_pw is accepted" pgdeck_pw \
	"$(PGPASSWORD=pgdeck-secret psql_q 'SELECT current_user' \
		"host=127.0.0.1 port=$PGDECK_PG_PORT user=pgdeck_pw dbname=pgdeck")"

# ---- replica
check_eq "replica is in recovery" t "$(replica_q 'SELECT pg_is_in_recovery()')"
check_eq "replica is streaming from the primary" streaming \
	"$(psql_q "SELECT state FROM pg_stat_replication WHERE application_name = 'pgdeck-replica'")"
psql_q 'SET client_min_messages = warning; DROP TABLE IF EXISTS harness_probe; CREATE TABLE harness_probe AS SELECT 42 AS answer' >/dev/null
replica_has_probe() { [ "$(replica_q 'SELECT answer FROM harness_probe' 2>/dev/null)" = 42 ]; }
if wait_until 10 replica_has_probe; then ok "a table made on the primary reaches the replica"
else not_ok "a table made on the primary reaches the replica"; fi
psql_q 'DROP TABLE harness_probe' >/dev/null

# ---- pgbouncer
pools=$(psql -XA -F'|' -c 'SHOW POOLS' "$PGBOUNCER_URL" 2>&1)
case $pools in
database\|user\|cl_active*) ok "SHOW POOLS on the PgBouncer admin console" ;;
*) not_ok "SHOW POOLS on the PgBouncer admin console"; diag "$pools" ;;
esac
check_eq "a query through PgBouncer reaches the pgdeck database" pgdeck \
	"$(psql_q 'SELECT current_database()' "host=127.0.0.1 port=$PGDECK_BOUNCER_PORT user=postgres dbname=pgdeck")"
check_eq "PgBouncer pools in transaction mode" transaction \
	"$(bouncer_q 'SHOW POOLS' | awk -F'|' '$1 == "pgdeck" { print $NF; exit }')"

# ---- redis
check_eq "redis answers PING" PONG "$(redis_q ping)"
redis_q set pgdeck:harness:probe 1 EX 60 >/dev/null
check_eq "redis keeps a key" 1 "$(redis_q get pgdeck:harness:probe)"
redis_q del pgdeck:harness:probe >/dev/null

# ---- fault helpers
check "kill-bouncer" harness kill-bouncer
if psql_q 'SELECT 1' "$PGBOUNCER_URL connect_timeout=2" >/dev/null 2>&1; then
	not_ok "PgBouncer is down after kill-bouncer"
else ok "PgBouncer is down after kill-bouncer"; fi
check "start-bouncer" harness start-bouncer
check "PgBouncer answers again" bouncer_q 'SHOW VERSION'

check "kill-redis" harness kill-redis
if redis_q ping >/dev/null 2>&1; then not_ok "redis is down after kill-redis"
else ok "redis is down after kill-redis"; fi
check "start-redis" harness start-redis
check_eq "redis answers again" PONG "$(redis_q ping)"

check "stop-primary immediate" harness stop-primary immediate
if psql_q 'SELECT 1' >/dev/null 2>&1; then not_ok "the primary is down after stop-primary"
else ok "the primary is down after stop-primary"; fi
check "start-primary" harness start-primary
check_eq "the primary answers again" 1 "$(psql_q 'SELECT 1')"
check_eq "the replica streams again" streaming \
	"$(psql_q "SELECT state FROM pg_stat_replication WHERE application_name = 'pgdeck-replica'")"
check "restart-primary" harness restart-primary
check "harness status says all four are up at the end" harness status

# ---- a second harness of its own: start twice, then stop leaves nothing
other=/tmp/pgdeck-selftest-$$
at_exit "PGDECK_RUN=$other sh '$PGDECK_ROOT/tests/harness.sh' stop >/dev/null 2>&1"
if PGDECK_RUN=$other harness start >/dev/null 2>&1; then
	ok "a second harness starts beside the first"
	check_eq "its ports differ from the first's" 8 \
		"$(cat "$PGDECK_RUN/ports" "$other/ports" | grep -v PG2_PORT | cut -d= -f2 | sort -u | wc -l | tr -d ' ')"
	ports_before=$(cat "$other/ports")
	check "start again on a running harness succeeds" env PGDECK_RUN="$other" sh "$PGDECK_ROOT/tests/harness.sh" start
	check_eq "and keeps its ports" "$ports_before" "$(cat "$other/ports")"

	# ---- the second cluster, on demand
	check_eq "a plain start does not start the second cluster" "no" \
		"$(if [ -e "$other/second" ] || grep -q PG2 "$other/env.sh"; then echo yes; else echo no; fi)"
	check "start-second" env PGDECK_RUN="$other" sh "$PGDECK_ROOT/tests/harness.sh" start-second
	pg2=$(sed -n 's/^PG2_PORT=//p' "$other/ports")
	check_eq "its port is a fifth, distinct one" 5 "$(cut -d= -f2 "$other/ports" | sort -u | wc -l | tr -d ' ')"
	second_url=$(sed -n 's/^export DATABASE2_URL="\(.*\)"$/\1/p' "$other/env.sh")
	check_eq "env.sh gains DATABASE2_URL" "host=$other/sock2 port=$pg2 user=postgres dbname=pgdeck" "$second_url"
	check_eq "env.sh gains PGDECK_PG2_PORT" 1 "$(grep -c "PGDECK_PG2_PORT=$pg2 " "$other/env.sh")"
	check_eq "the second cluster is a primary named pgdeck-second" "pgdeck-second|f" \
		"$(psql_q "SELECT current_setting('cluster_name'), pg_is_in_recovery()" "$second_url")"
	check "pg_stat_statements can be read in its pgdeck database" psql_q "SELECT count(*) FROM pg_stat_statements(false)" "$second_url"
	other_url=$(sed -n 's/^export DATABASE_URL="\(.*\)"$/\1/p' "$other/env.sh")
	sysid() { psql_q "SELECT system_identifier FROM pg_control_system()" "$1"; }
	if [ "$(sysid "$second_url")" != "$(sysid "$other_url")" ]; then ok "it is another cluster than the primary"
	else not_ok "it is another cluster than the primary"; fi
	check "stop-second" env PGDECK_RUN="$other" sh "$PGDECK_ROOT/tests/harness.sh" stop-second
	if psql_q 'SELECT 1' "$second_url connect_timeout=2" >/dev/null 2>&1; then not_ok "the second cluster is down after stop-second"
	else ok "the second cluster is down after stop-second"; fi
	check "status still says all is up (the second runs on demand)" env PGDECK_RUN="$other" sh "$PGDECK_ROOT/tests/harness.sh" status
	check "start-second brings it back" env PGDECK_RUN="$other" sh "$PGDECK_ROOT/tests/harness.sh" start-second
	check_eq "with its data and its port" "pgdeck-second" "$(psql_q "SELECT current_setting('cluster_name')" "$second_url")"

	pids="$(head -n 1 "$other/primary/postmaster.pid") $(head -n 1 "$other/replica/postmaster.pid") $(cat "$other/pgbouncer/pgbouncer.pid") $(cat "$other/redis/redis.pid") $(head -n 1 "$other/second/postmaster.pid")"
	shm=$(awk '{ print $1 }' "$other/shm" | sort -u)
	check "stop" env PGDECK_RUN="$other" sh "$PGDECK_ROOT/tests/harness.sh" stop
	left=""
	for p in $pids; do
		case $(ps -o stat= -p "$p" 2>/dev/null) in '' | Z*) ;; *) left="$left $p" ;; esac
	done
	check_eq "stop leaves no server process" "" "$left"
	leftshm=""
	for s in $shm; do
		ipcs -m | awk -v id="$s" '$2 == id { found = 1 } END { exit !found }' && leftshm="$leftshm $s"
	done
	check_eq "stop leaves no shared memory segment" "" "$leftshm"
	if [ -e "$other" ]; then not_ok "stop removes the run dir"; else ok "stop removes the run dir"; fi
else
	not_ok "a second harness starts beside the first"
fi

tap_done
