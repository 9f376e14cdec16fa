#!/bin/sh
# pgdeck's service harness: a private PostgreSQL 15 primary, a streaming
# replica, PgBouncer and Redis, all under one run directory, on free ports.
#
#   sh tests/harness.sh start | stop | status | env | psql [ARGS...]
#   sh tests/harness.sh restart-primary | stop-primary [fast|immediate] |
#                       start-primary | stop-replica | start-replica |
#                       kill-bouncer | start-bouncer | kill-redis | start-redis
#   sh tests/harness.sh start-second | stop-second
#
# start-second brings up, on demand, a second primary of its own (another
# cluster: its own data dir, port and socket directory, pg_stat_statements,
# no replica) for tests that watch two clusters; a plain start never starts
# it, so the other tests do not pay for it.  stop stops it with the rest.
#
# The run directory is ${PGDECK_RUN:-/tmp/pgdeck-run-$(id -u)}.  It lives
# under /tmp so that the postgres user can reach it whatever folder the repo
# was cloned into.  Nothing is written to /etc and the packaged cluster is
# never touched.  As root, the PostgreSQL programs and PgBouncer (which both
# refuse root) run as the postgres user; as anyone else they run as that user.
#
# start is idempotent: it brings up whatever is down (everything, the first
# time) and prints the status.  stop leaves no process, file or shared memory
# segment behind.  After start, <rundir>/env.sh holds the connection
# variables; `env` prints its path.
set -u

RUN=${PGDECK_RUN:-/tmp/pgdeck-run-$(id -u)}
case $RUN in /*) ;; *) RUN=$(pwd)/$RUN ;; esac
RUN=${RUN%/}
HARNESS=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")

PGBIN=${PGDECK_PGBIN:-/usr/lib/postgresql/15/bin}
if [ ! -x "$PGBIN/initdb" ]; then
	for d in /usr/lib/postgresql/*/bin; do
		[ -x "$d/initdb" ] && PGBIN=$d
	done
fi
WAIT=${PGDECK_HARNESS_TIMEOUT:-30}	# seconds any server may take to come up

SOCK=$RUN/sock
LOG=$RUN/log
PRIMARY=$RUN/primary
REPLICA=$RUN/replica
BOUNCER_DIR=$RUN/pgbouncer
REDIS_DIR=$RUN/redis
SECOND=$RUN/second
SOCK2=$RUN/sock2
ENV_FILE=$RUN/env.sh

# Whatever libpq variables the caller has set (a test's PGOPTIONS, a
# developer's PGHOST) must not leak into the harness's own connections.
for v in $(env | sed -n 's/^\(PG[A-Z0-9_]*\)=.*/\1/p'); do
	case $v in PGDECK_*) ;; *) unset "$v" ;; esac
done

if [ "$(id -u)" = 0 ]; then ROOT=1; else ROOT=0; fi

say() { printf 'harness: %s\n' "$*"; }
warn() { printf 'harness: %s\n' "$*" >&2; }

# fail MESSAGE [LOGFILE...]: the loud way out, with the end of the logs.
fail() {
	warn "ERROR: $1"
	shift
	for _f in "$@"; do
		[ -s "$_f" ] || continue
		warn "---- last lines of $_f"
		tail -n 30 "$_f" >&2
		warn "----"
	done
	warn "(run dir: $RUN; 'sh $HARNESS stop' cleans it up)"
	exit 1
}

# Run a command as the user that owns the servers.  From / so that the
# postgres user never trips over an unreadable working directory.
as_pg() {
	if [ $ROOT = 1 ]; then
		(cd / && runuser -u postgres -- "$@" 8<&- 9<&-)
	else
		(cd / && "$@" 8<&- 9<&-)
	fi
}

# alive PID: kill -0 succeeds on a zombie, and daemons that died linger as
# zombies for a while in containers without a reaping init, so ask ps.
alive() {
	[ -n "${1:-}" ] || return 1
	_st=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
	case $_st in '' | Z*) return 1 ;; esac
	return 0
}

# wait_gone PID SECONDS: 0 when the process is gone (or a zombie).
wait_gone() {
	_i=0
	while alive "$1"; do
		[ $_i -ge $(($2 * 10)) ] && return 1
		sleep 0.1
		_i=$((_i + 1))
	done
	return 0
}

# ---------------------------------------------------------------- ports

# Local TCP ports from /proc (no ss or netstat needed on a minimal
# machine): every one in any state with no argument, listeners only (state
# 0A) with "listen".  A server's port sits in TIME_WAIT after it is killed,
# and the servers bind with SO_REUSEADDR, so only a listener is in the way.
used_ports() {
	awk -v only="${1:-}" 'function hex(s,  i, n) { n = 0
		for (i = 1; i <= length(s); i++)
			n = n * 16 + index("0123456789ABCDEF", toupper(substr(s, i, 1))) - 1
		return n }
	     FNR > 1 && (only == "" || $4 == "0A") { n = split($2, a, ":"); print hex(a[n]) }' \
		/proc/net/tcp /proc/net/tcp6 2>/dev/null | sort -un
}

port_in_use() {
	used_ports listen | grep -qx "$1"
}

# Four free ports below the ephemeral range, so that an outgoing connection
# cannot take the primary's port while a fault test has it stopped.
allocate_ports() {
	_eph=$(awk '{print $1}' /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null)
	_hi=$((${_eph:-32768} - 100))
	_lo=15000
	[ $_hi -gt $((_lo + 1000)) ] || { _lo=40000; _hi=60000; }
	_used=$(used_ports; cat /tmp/pgdeck-*/.ports-claimed 2>/dev/null)
	_p=$(shuf -i "$_lo-$_hi" -n 1)
	_got=""
	_n=0
	while [ $_n -lt 4 ]; do
		_p=$((_p + 1))
		[ $_p -gt $_hi ] && _p=$_lo
		if ! printf '%s\n' "$_used" | grep -qx "$_p"; then
			_got="$_got $_p"
			_n=$((_n + 1))
		fi
	done
	# shellcheck disable=SC2086
	set -- $_got
	PG_PORT=$1 REPLICA_PORT=$2 BOUNCER_PORT=$3 REDIS_PORT=$4
	printf 'PG_PORT=%s\nREPLICA_PORT=%s\nBOUNCER_PORT=%s\nREDIS_PORT=%s\n' \
		"$PG_PORT" "$REPLICA_PORT" "$BOUNCER_PORT" "$REDIS_PORT" > "$RUN/ports"
	# Other run dirs (a demo beside the tests) must not pick these while our
	# servers happen to be down.
	printf '%s\n' $_got > "$RUN/.ports-claimed"
}

load_ports() {
	[ -f "$RUN/ports" ] || return 1
	PG2_PORT=""
	. "$RUN/ports"
}

# One more free port, for the second cluster, claimed like the first four.
allocate_second_port() {
	_eph=$(awk '{print $1}' /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null)
	_hi=$((${_eph:-32768} - 100))
	_lo=15000
	[ $_hi -gt $((_lo + 1000)) ] || { _lo=40000; _hi=60000; }
	_used=$(used_ports; cat /tmp/pgdeck-*/.ports-claimed 2>/dev/null)
	_p=$(shuf -i "$_lo-$_hi" -n 1)
	while printf '%s\n' "$_used" | grep -qx "$_p"; do
		_p=$((_p + 1))
		[ $_p -gt $_hi ] && _p=$_lo
	done
	PG2_PORT=$_p
	printf 'PG2_PORT=%s\n' "$PG2_PORT" >> "$RUN/ports"
	printf '%s\n' "$PG2_PORT" >> "$RUN/.ports-claimed"
}

# ---------------------------------------------------------------- state

pg_pid() { [ -f "$1/postmaster.pid" ] && head -n 1 "$1/postmaster.pid"; }
bouncer_pid() { [ -f "$BOUNCER_DIR/pgbouncer.pid" ] && cat "$BOUNCER_DIR/pgbouncer.pid"; }
redis_pid() { [ -f "$REDIS_DIR/redis.pid" ] && cat "$REDIS_DIR/redis.pid"; }

pg_up() { alive "$(pg_pid "$1")" && "$PGBIN/pg_isready" -q -h "$SOCK" -p "$2" -t 2; }
primary_up() { pg_up "$PRIMARY" "$PG_PORT"; }
second_up() { alive "$(pg_pid "$SECOND")" && "$PGBIN/pg_isready" -q -h "$SOCK2" -p "$PG2_PORT" -t 2; }
replica_up() { pg_up "$REPLICA" "$REPLICA_PORT"; }
bouncer_up() {
	alive "$(bouncer_pid)" &&
		"$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$BOUNCER_PORT" -U postgres -d pgbouncer -t 2
}
redis_up() {
	alive "$(redis_pid)" &&
		[ "$(timeout 2 redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" = PONG ]
}

psql_primary() {
	"$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$SOCK" -p "$PG_PORT" -U postgres "$@"
}

streaming_count() {
	psql_primary -d postgres -At -c \
		"SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'" 2>/dev/null
}

# The small System V segment each postmaster holds (PostgreSQL's main memory
# is anonymous mmap and its dynamic segments live in the data directory, see
# dynamic_shared_memory_type below).  Remember it with the postmaster's pid
# so stop can remove exactly ours if a crash left it behind.
record_shm() {
	[ -f "$1/postmaster.pid" ] || return 0
	_rpid=$(head -n 1 "$1/postmaster.pid")
	_shmid=$(sed -n 7p "$1/postmaster.pid" | awk '{print $2}')
	[ -n "$_shmid" ] && echo "$_shmid $_rpid" >> "$RUN/shm"
	return 0
}

remove_our_shm() {
	[ -f "$RUN/shm" ] || return 0
	sort -u "$RUN/shm" | while read -r _id _cpid; do
		# ipcs -m -p: shmid owner cpid lpid; remove only an unattached
		# segment that our postmaster created.
		_row=$(ipcs -m -p 2>/dev/null | awk -v id="$_id" '$1 == id')
		[ -n "$_row" ] || continue
		[ "$(echo "$_row" | awk '{print $3}')" = "$_cpid" ] || continue
		_natt=$(ipcs -m 2>/dev/null | awk -v id="$_id" '$2 == id {print $6}')
		[ "${_natt:-1}" = 0 ] && ipcrm -m "$_id" 2>/dev/null
	done
	return 0
}

# ---------------------------------------------------------------- setup

make_run_dir() {
	mkdir -p "$RUN" "$SOCK" "$LOG" "$BOUNCER_DIR" "$REDIS_DIR" || fail "cannot create $RUN"
	if [ $ROOT = 1 ]; then
		chown postgres: "$RUN" "$SOCK" "$LOG" "$BOUNCER_DIR" || fail "cannot chown $RUN to postgres"
		runuser -u postgres -- test -w "$RUN" ||
			fail "the postgres user cannot write $RUN (set PGDECK_RUN to a folder under /tmp)"
	fi
	chmod 755 "$RUN"
}

write_primary_conf() {
	cat >> "$PRIMARY/postgresql.conf" <<EOF

# ---- pgdeck test harness
port = $PG_PORT
listen_addresses = '127.0.0.1'
unix_socket_directories = '$SOCK'
cluster_name = 'pgdeck-primary'
shared_preload_libraries = 'pg_stat_statements'
pg_stat_statements.track_planning = on
track_io_timing = on
wal_level = replica
max_wal_senders = 10
wal_keep_size = '256MB'
hot_standby = on
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 400
# test_faults holds a lock with a prepared transaction: a fast shutdown
# cannot end it before the build that waits on it is ended.
max_prepared_transactions = 10
dynamic_shared_memory_type = mmap
logging_collector = off
log_line_prefix = '%m [%p] %q%a@%d '
log_checkpoints = off
EOF
	cat > "$PRIMARY/pg_hba.conf" <<EOF
# pgdeck test harness
local   all          all                       trust
local   replication  all                       trust
host    all          pgdeck_pw  127.0.0.1/32   scram-sha-256
host    all          all        127.0.0.1/32   trust
host    replication  all        127.0.0.1/32   trust
EOF
}

# pg_start DATADIR NAME PORT
pg_start() {
	port_in_use "$3" && ! alive "$(pg_pid "$1")" &&
		fail "port $3 for the $2 is taken by another program"
	as_pg "$PGBIN/pg_ctl" -D "$1" -l "$LOG/$2.log" -w -t "$WAIT" -s start \
		</dev/null >> "$LOG/pg_ctl.log" 2>&1 ||
		fail "the $2 did not start" "$LOG/$2.log"
	record_shm "$1"
}

# pg_stop DATADIR MODE: stop and wait until the postmaster is really gone.
pg_stop() {
	_pid=$(pg_pid "$1")
	alive "$_pid" || return 0
	record_shm "$1"
	as_pg "$PGBIN/pg_ctl" -D "$1" -m "$2" -w -t "$WAIT" -s stop \
		</dev/null >> "$LOG/pg_ctl.log" 2>&1
	if ! wait_gone "$_pid" 10; then
		warn "postmaster $_pid did not stop, killing it"
		kill -9 "$_pid" 2>/dev/null
		wait_gone "$_pid" 5
	fi
}

wait_streaming() {
	_i=0
	while [ "$(streaming_count)" != 1 ]; do
		[ $_i -ge $((WAIT * 10)) ] && fail "the replica is not streaming after ${WAIT}s" "$LOG/replica.log"
		sleep 0.1
		_i=$((_i + 1))
	done
}

ensure_primary() {
	if [ ! -f "$RUN/.primary-ready" ]; then
		# A half-made cluster from an interrupted start: begin again.
		pg_stop "$PRIMARY" immediate
		rm -rf "$PRIMARY"
		as_pg "$PGBIN/initdb" -D "$PRIMARY" -U postgres --auth=trust --encoding=UTF8 \
			--locale=C.UTF-8 --no-sync --no-instructions \
			</dev/null > "$LOG/initdb.log" 2>&1 || fail "initdb failed" "$LOG/initdb.log"
		write_primary_conf
		pg_start "$PRIMARY" primary "$PG_PORT"
		psql_primary -d postgres > "$LOG/setup.log" 2>&1 <<'EOF' || fail "setting up the primary failed" "$LOG/setup.log"
CREATE ROLE pgdeck_pw LOGIN PASSWORD 'pgdeck-secret';
CREATE ROLE pgdeck LOGIN;
GRANT pg_monitor TO pgdeck;
CREATE EXTENSION pg_stat_statements;
CREATE DATABASE pgdeck;
\c pgdeck
CREATE EXTENSION pg_stat_statements;
EOF
		touch "$RUN/.primary-ready"
	elif ! primary_up; then
		pg_start "$PRIMARY" primary "$PG_PORT"
	fi
}

# The second cluster: a primary like the first (pg_stat_statements, the
# pgdeck database and role), on its own port and socket directory.
ensure_second() {
	mkdir -p "$SOCK2" || fail "cannot create $SOCK2"
	[ $ROOT = 1 ] && chown postgres: "$SOCK2"
	if [ ! -f "$RUN/.second-ready" ]; then
		pg_stop "$SECOND" immediate
		rm -rf "$SECOND"
		as_pg "$PGBIN/initdb" -D "$SECOND" -U postgres --auth=trust --encoding=UTF8 \
			--locale=C.UTF-8 --no-sync --no-instructions \
			</dev/null > "$LOG/initdb-second.log" 2>&1 || fail "initdb of the second cluster failed" "$LOG/initdb-second.log"
		cat >> "$SECOND/postgresql.conf" <<EOF

# ---- pgdeck test harness: the second cluster
port = $PG2_PORT
listen_addresses = '127.0.0.1'
unix_socket_directories = '$SOCK2'
cluster_name = 'pgdeck-second'
shared_preload_libraries = 'pg_stat_statements'
pg_stat_statements.track_planning = on
track_io_timing = on
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 100
dynamic_shared_memory_type = mmap
logging_collector = off
log_line_prefix = '%m [%p] %q%a@%d '
EOF
		pg_start "$SECOND" second "$PG2_PORT"
		"$PGBIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$SOCK2" -p "$PG2_PORT" -U postgres -d postgres \
			> "$LOG/setup-second.log" 2>&1 <<'EOF' || fail "setting up the second cluster failed" "$LOG/setup-second.log"
CREATE ROLE pgdeck LOGIN;
GRANT pg_monitor TO pgdeck;
CREATE EXTENSION pg_stat_statements;
CREATE DATABASE pgdeck;
\c pgdeck
CREATE EXTENSION pg_stat_statements;
EOF
		touch "$RUN/.second-ready"
	elif ! second_up; then
		pg_start "$SECOND" second "$PG2_PORT"
	fi
}

ensure_replica() {
	if [ ! -f "$RUN/.replica-ready" ]; then
		pg_stop "$REPLICA" immediate
		rm -rf "$REPLICA"
		as_pg "$PGBIN/pg_basebackup" -D "$REPLICA" -h 127.0.0.1 -p "$PG_PORT" -U postgres \
			-R -X stream -c fast --no-sync \
			</dev/null > "$LOG/basebackup.log" 2>&1 || fail "pg_basebackup failed" "$LOG/basebackup.log"
		# The copy inherits the primary's port; the last setting wins.
		cat >> "$REPLICA/postgresql.auto.conf" <<EOF
port = $REPLICA_PORT
cluster_name = 'pgdeck-replica'
wal_retrieve_retry_interval = '500ms'
EOF
		pg_start "$REPLICA" replica "$REPLICA_PORT"
		wait_streaming
		touch "$RUN/.replica-ready"
	elif ! replica_up; then
		pg_start "$REPLICA" replica "$REPLICA_PORT"
		wait_streaming
	else
		# Up, but maybe still reconnecting after the primary came back.
		wait_streaming
	fi
}

write_bouncer_conf() {
	cat > "$BOUNCER_DIR/userlist.txt" <<EOF
"postgres" ""
"pgdeck" ""
EOF
	cat > "$BOUNCER_DIR/pgbouncer.ini" <<EOF
; pgdeck test harness
[databases]
pgdeck = host=127.0.0.1 port=$PG_PORT dbname=pgdeck
* = host=127.0.0.1 port=$PG_PORT

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $BOUNCER_PORT
unix_socket_dir = $SOCK
auth_type = trust
auth_file = $BOUNCER_DIR/userlist.txt
admin_users = postgres
stats_users = postgres, pgdeck
pool_mode = transaction
max_client_conn = 500
default_pool_size = 20
ignore_startup_parameters = extra_float_digits, options
server_login_retry = 1
logfile = $LOG/pgbouncer.log
pidfile = $BOUNCER_DIR/pgbouncer.pid
EOF
	[ $ROOT = 1 ] && chown postgres: "$BOUNCER_DIR"/*
	return 0
}

wait_up() {	# wait_up NAME CHECK LOGFILE...
	_i=0
	until $2; do
		[ $_i -ge $((WAIT * 10)) ] && fail "$1 did not come up in ${WAIT}s" "$3" "${4:-}"
		sleep 0.1
		_i=$((_i + 1))
	done
}

ensure_bouncer() {
	bouncer_up && return 0
	[ -f "$BOUNCER_DIR/pgbouncer.ini" ] || write_bouncer_conf
	port_in_use "$BOUNCER_PORT" && ! alive "$(bouncer_pid)" &&
		fail "port $BOUNCER_PORT for pgbouncer is taken by another program"
	# A pidfile or socket left by a killed pgbouncer would stop a new one.
	alive "$(bouncer_pid)" || rm -f "$BOUNCER_DIR/pgbouncer.pid" "$SOCK/.s.PGSQL.$BOUNCER_PORT"
	# Its own log is opened by pgbouncer as postgres: what it says before
	# that goes to a second file, created by us.
	as_pg pgbouncer -d -q "$BOUNCER_DIR/pgbouncer.ini" </dev/null >> "$LOG/pgbouncer-start.log" 2>&1 ||
		fail "pgbouncer did not start" "$LOG/pgbouncer.log" "$LOG/pgbouncer-start.log"
	wait_up pgbouncer bouncer_up "$LOG/pgbouncer.log" "$LOG/pgbouncer-start.log"
}

ensure_redis() {
	redis_up && return 0
	port_in_use "$REDIS_PORT" && ! alive "$(redis_pid)" &&
		fail "port $REDIS_PORT for redis is taken by another program"
	rm -f "$REDIS_DIR/redis.pid"
	redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no \
		--daemonize yes --pidfile "$REDIS_DIR/redis.pid" --dir "$REDIS_DIR" \
		--logfile "$LOG/redis.log" </dev/null >> "$LOG/redis.log" 2>&1 8<&- 9<&- ||
		fail "redis-server did not start" "$LOG/redis.log"
	wait_up redis redis_up "$LOG/redis.log"
}

write_env() {
	cat > "$ENV_FILE.tmp" <<EOF
# written by tests/harness.sh start; source it: . $ENV_FILE
export PGDECK_RUN=$RUN PGDECK_PG_PORT=$PG_PORT PGDECK_REPLICA_PORT=$REPLICA_PORT PGDECK_BOUNCER_PORT=$BOUNCER_PORT PGDECK_REDIS_PORT=$REDIS_PORT PGDECK_SOCKET_DIR=$SOCK PGDECK_PGDATA=$PRIMARY PGDECK_REPLICA_PGDATA=$REPLICA
export PGDECK_HARNESS=$HARNESS PGDECK_LOG_DIR=$LOG PGDECK_PGBIN=$PGBIN
export PGHOST=$SOCK PGPORT=$PG_PORT PGUSER=postgres PGDATABASE=pgdeck
export DATABASE_URL="host=$SOCK port=$PG_PORT user=postgres dbname=pgdeck"
export DATABASE_READ_REPLICA_URL="host=127.0.0.1 port=$REPLICA_PORT user=postgres dbname=pgdeck"
export PGBOUNCER_URL="host=127.0.0.1 port=$BOUNCER_PORT user=postgres dbname=pgbouncer"
export REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
EOF
	# The second cluster, once start-second has given it a port.
	if [ -n "${PG2_PORT:-}" ]; then
		cat >> "$ENV_FILE.tmp" <<EOF
export PGDECK_PG2_PORT=$PG2_PORT PGDECK_PG2_SOCKET_DIR=$SOCK2 PGDECK_PG2DATA=$SECOND
export DATABASE2_URL="host=$SOCK2 port=$PG2_PORT user=postgres dbname=pgdeck"
EOF
	fi
	mv "$ENV_FILE.tmp" "$ENV_FILE"
	chmod 644 "$ENV_FILE"
}

# ---------------------------------------------------------------- commands

# Every command that starts or stops something holds a lock on its run dir,
# so two callers (a test and the runner healing the harness) never race on
# one.  A first start also holds a lock on harness.sh itself while it chooses
# the ports and until they are claimed where other harnesses look
# (/tmp/pgdeck-*/.ports-claimed) or, for a run dir elsewhere, until the
# servers listen on them, so that two harnesses never pick the same ones.  Daemons are started with fds 8 and 9 closed, or they
# would hold the locks forever.
lock() {
	[ -d "$RUN" ] || mkdir -p "$RUN" || fail "cannot create $RUN"
	exec 9< "$RUN"
	flock -w 300 9 || fail "could not lock $RUN"
}

lock_ports() {
	exec 8< "$HARNESS"
	flock -w 300 8 || fail "could not take the port allocation lock"
}

need_setup() {
	[ -f "$ENV_FILE" ] && load_ports && return 0
	warn "not started ($RUN has no env.sh): run 'sh $HARNESS start'"
	exit 3
}

cmd_start() {
	lock
	make_run_dir
	if ! load_ports; then
		lock_ports
		allocate_ports
		# Other harnesses see our claim from now on if they can find it.
		case $RUN in /tmp/pgdeck-*) exec 8<&- ;; esac
	fi
	# Redis and PgBouncer are quick and need nothing else up: start them
	# while initdb is the long pole.
	ensure_redis
	ensure_bouncer
	ensure_primary
	exec 8<&-
	ensure_replica
	write_env
	cmd_status
}

cmd_stop() {
	[ -d "$RUN" ] || { say "nothing to stop ($RUN does not exist)"; return 0; }
	lock
	load_ports 2>/dev/null
	_b=$(bouncer_pid) _r=$(redis_pid)
	alive "$_b" && kill -TERM "$_b" 2>/dev/null
	alive "$_r" && kill -TERM "$_r" 2>/dev/null
	pg_stop "$REPLICA" fast
	pg_stop "$PRIMARY" fast
	pg_stop "$SECOND" fast
	for _p in $_b $_r; do
		wait_gone "$_p" 5 || { kill -9 "$_p" 2>/dev/null; wait_gone "$_p" 5; }
	done
	# Safety net: a postmaster or pgbouncer still running from this run dir
	# (its path is in the command line of every one we start).
	_stray=$(ps -eo pid=,comm=,args= |
		awk -v run="$RUN/" '($2 == "postgres" || $2 == "pgbouncer") && index($0, run) { print $1 }')
	for _p in $_stray; do
		kill -9 "$_p" 2>/dev/null
	done
	remove_our_shm
	rm -rf "$RUN"
	say "stopped; removed $RUN"
}

cmd_status() {
	need_setup
	_all=0
	_line() { printf '%-10s %-5s port %-6s %s\n' "$1" "$2" "$3" "$4"; }
	if primary_up; then _line primary up "$PG_PORT" "pid $(pg_pid "$PRIMARY")"
	else _line primary down "$PG_PORT" ""; _all=1; fi
	if replica_up; then
		if [ "$(streaming_count)" = 1 ]; then _s=streaming; else _s="in recovery, not streaming"; fi
		_line replica up "$REPLICA_PORT" "$_s"
	else _line replica down "$REPLICA_PORT" ""; _all=1; fi
	if bouncer_up; then _line pgbouncer up "$BOUNCER_PORT" "pid $(bouncer_pid)"
	else _line pgbouncer down "$BOUNCER_PORT" ""; _all=1; fi
	if redis_up; then _line redis up "$REDIS_PORT" "pid $(redis_pid)"
	else _line redis down "$REDIS_PORT" ""; _all=1; fi
	# The second cluster runs on demand: shown, never counted.
	if [ -n "${PG2_PORT:-}" ]; then
		if second_up; then _line second up "$PG2_PORT" "pid $(pg_pid "$SECOND")"
		else _line second down "$PG2_PORT" "(on demand: start-second)"; fi
	fi
	return $_all
}

cmd_stop_primary() {
	need_setup; lock
	pg_stop "$PRIMARY" "${1:-fast}"
}

cmd_start_primary() {
	need_setup; lock
	primary_up || pg_start "$PRIMARY" primary "$PG_PORT"
	# The replica reconnects by itself (wal_retrieve_retry_interval); wait
	# for it so the next test starts from a whole harness.
	replica_up && wait_streaming
	return 0
}

cmd_start_second() {
	need_setup; lock
	if [ -z "${PG2_PORT:-}" ]; then
		lock_ports
		allocate_second_port
		exec 8<&-
	fi
	ensure_second
	write_env
	second_up
}

usage() {
	cat <<EOF
usage: sh tests/harness.sh COMMAND
  start            start whatever is down (idempotent), write env.sh, print status
  stop             stop everything, remove shared memory and the run dir
  status           each server up/down (exit 0 when all are up, 3 when not started)
  env              print the path of env.sh (source it)
  psql [ARGS]      psql to the primary's pgdeck database
  restart-primary | stop-primary [fast|immediate] | start-primary
  stop-replica | start-replica | kill-bouncer | start-bouncer | kill-redis | start-redis
  start-second     start the second cluster (on demand; env.sh gains PGDECK_PG2_PORT,
                   PGDECK_PG2_SOCKET_DIR, PGDECK_PG2DATA, DATABASE2_URL)
  stop-second      stop it (start-second brings it back with its data)
run dir: $RUN
EOF
}

case ${1:-} in
start) cmd_start ;;
stop) cmd_stop ;;
status) cmd_status ;;
env)
	need_setup
	echo "$ENV_FILE"
	;;
psql)
	need_setup
	shift
	exec "$PGBIN/psql" -X -h "$SOCK" -p "$PG_PORT" -U postgres -d pgdeck "$@"
	;;
stop-primary)
	cmd_stop_primary "${2:-fast}"
	;;
start-primary) cmd_start_primary ;;
restart-primary)
	cmd_stop_primary "${2:-fast}"
	cmd_start_primary
	;;
stop-replica)
	need_setup; lock
	pg_stop "$REPLICA" "${2:-fast}"
	;;
start-replica)
	need_setup; lock
	replica_up || { pg_start "$REPLICA" replica "$REPLICA_PORT"; primary_up && wait_streaming; }
	;;
kill-bouncer)
	need_setup; lock
	_p=$(bouncer_pid)
	if alive "$_p"; then kill -9 "$_p"; wait_gone "$_p" 10; fi
	rm -f "$BOUNCER_DIR/pgbouncer.pid" "$SOCK/.s.PGSQL.$BOUNCER_PORT"
	;;
start-bouncer)
	need_setup; lock
	ensure_bouncer
	;;
kill-redis)
	need_setup; lock
	_p=$(redis_pid)
	if alive "$_p"; then kill -9 "$_p"; wait_gone "$_p" 10; fi
	rm -f "$REDIS_DIR/redis.pid"
	;;
start-redis)
	need_setup; lock
	ensure_redis
	;;
start-second) cmd_start_second ;;
stop-second)
	need_setup; lock
	pg_stop "$SECOND" "${2:-fast}"
	;;
-h | --help | help) usage ;;
*)
	usage >&2
	exit 2
	;;
esac
