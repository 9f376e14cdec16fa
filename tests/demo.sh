#!/bin/sh
# make demo: pgdeck on a live learning-platform database.
#
# Starts a harness of its own (PGDECK_DEMO_RUN, default
# /tmp/pgdeck-demo-UID, apart from the tests'), loads the SQL kit once
# (sql/kit/install.sh, SCALE=PGDECK_DEMO_SCALE or 1), starts a live workload
# (pgbench over the kit's sql/kit/workload/*.sql through PgBouncer, and
# tests/workload-redis.sh on the cache), then runs ./pgdeck with the
# harness's DATABASE_URL, DATABASE_READ_REPLICA_URL, PGBOUNCER_URL and
# REDIS_URL.  Arguments are passed on to pgdeck.  When pgdeck exits the
# workload stops; the servers keep running for the next demo.
#
#   PGDECK_DEMO_TPS=N          pgbench transactions a second (default 30)
#   PGDECK_DEMO_SCALE=N        kit data scale on the first load (default 1)
#   PGDECK_DEMO_WORKLOAD_DIR   pgbench scripts (default sql/kit/workload)
#   PGDECK_DEMO_SETUP_ONLY=1   servers and kit only, no workload, no pgdeck
set -u

cd "$(dirname "$0")/.." || exit 2
ROOT=$(pwd)
PGDECK_RUN=${PGDECK_DEMO_RUN:-/tmp/pgdeck-demo-$(id -u)}
export PGDECK_RUN
SETUP_ONLY=${PGDECK_DEMO_SETUP_ONLY:-0}
TPS=${PGDECK_DEMO_TPS:-30}
STOP_HINT="PGDECK_RUN=$PGDECK_RUN sh tests/harness.sh stop"

say() { printf 'demo: %s\n' "$*"; }

if [ "$SETUP_ONLY" != 1 ] && ! [ -t 0 ]; then
	say "standard input is not a terminal: pgdeck is interactive, so the demo"
	say "needs one.  Run 'make demo' from a terminal (PGDECK_DEMO_SETUP_ONLY=1"
	say "prepares the servers and data without opening pgdeck)."
	exit 1
fi
if [ "$SETUP_ONLY" != 1 ] && [ ! -x "$ROOT/pgdeck" ]; then
	say "./pgdeck is not built: run 'make demo' (or 'make pgdeck' first)"
	exit 1
fi

say "starting the servers in $PGDECK_RUN"
sh tests/harness.sh start || { say "the harness did not start"; exit 1; }
# shellcheck disable=SC1090
. "$(sh tests/harness.sh env)"
export PGAPPNAME=pgdeck-demo-setup

# ---- the kit, once per run dir
if [ -f sql/kit/install.sh ]; then
	if [ -f "$PGDECK_RUN/.kit-loaded" ]; then
		say "learning-platform kit already loaded"
	else
		say "loading the learning-platform kit (SCALE=${PGDECK_DEMO_SCALE:-1}); this takes a little while"
		if SCALE=${PGDECK_DEMO_SCALE:-1} sh sql/kit/install.sh </dev/null; then
			touch "$PGDECK_RUN/.kit-loaded"
		else
			say "the kit did not install completely; carrying on with what is there"
		fi
	fi
else
	say "sql/kit/install.sh not found: no learning-platform data, pgdeck shows an empty database"
fi
unset PGAPPNAME

if [ "$SETUP_ONLY" = 1 ]; then
	say "set up; connection settings: . $PGDECK_RUN/env.sh"
	say "stop the servers with: $STOP_HINT"
	exit 0
fi

# ---- the live workload
PGBENCH_PID=""
REDIS_PID=""
stop_workload() {
	for p in $PGBENCH_PID $REDIS_PID; do
		kill -TERM "$p" 2>/dev/null
	done
	PGBENCH_PID=""
	REDIS_PID=""
}
trap 'stop_workload' EXIT
trap 'stop_workload; exit 130' INT
trap 'stop_workload; exit 143' TERM
trap 'stop_workload; exit 129' HUP

scripts=""
for f in "${PGDECK_DEMO_WORKLOAD_DIR:-sql/kit/workload}"/*.sql; do
	[ -f "$f" ] && scripts="$scripts -f $f"
done
if [ -n "$scripts" ]; then
	# Through PgBouncer, so its pools have something to show, unless the
	# scripts need a session of their own (a quick trial run tells).
	target="-h 127.0.0.1 -p $PGDECK_BOUNCER_PORT -U postgres pgdeck"
	# shellcheck disable=SC2086
	scripts="-D scale=${PGDECK_DEMO_SCALE:-1} $scripts"
	if ! PGAPPNAME=pgdeck-demo-workload pgbench -n -c 1 -t 2 $scripts $target \
		</dev/null > "$PGDECK_LOG_DIR/workload-trial.log" 2>&1; then
		target="-h $PGDECK_SOCKET_DIR -p $PGDECK_PG_PORT -U postgres pgdeck"
	fi
	say "workload: pgbench at $TPS tps over$(echo "$scripts" | sed -e 's/^-D [^ ]*//' -e 's/ -f / /g') (log: $PGDECK_LOG_DIR/workload.log)"
	# shellcheck disable=SC2086
	PGAPPNAME=pgdeck-demo-workload pgbench -n -c 4 -j 2 -T 3600 -R "$TPS" $scripts $target \
		</dev/null > "$PGDECK_LOG_DIR/workload.log" 2>&1 &
	PGBENCH_PID=$!
else
	say "no sql/kit/workload/*.sql: no database workload"
fi
PGDECK_WORKLOAD_PARENT=$$ sh tests/workload-redis.sh "$PGDECK_REDIS_PORT" </dev/null >/dev/null 2>&1 &
REDIS_PID=$!
say "workload: Redis cache reads and writes (TTL tiers 5 min .. 24 h, ~80 % hits)"

# ---- pgdeck
sleep 1
"$ROOT/pgdeck" "$@"
rc=$?
stop_workload
trap - EXIT INT TERM HUP
echo
say "pgdeck exited ($rc); the workload is stopped, the servers keep running."
say "run 'make demo' again to come back, or stop them with:"
say "  $STOP_HINT"
exit $rc
