#!/bin/sh
# make soak: pgdeck for 10 minutes at a 0.2 s interval under pgbench load,
# with the primary restarted every minute and Redis killed and started
# again every 90 s.  It passes when pgdeck never dies, its resident memory
# grows by less than 1 MB after a warm-up, and it holds no more open file
# descriptors at the end than after the warm-up.
#
#   sh tests/soak.sh
#
# Environment:
#   SOAK_SECONDS=600       how long (the warm-up is the first fifth, at most 120 s)
#   SOAK_INTERVAL=0.2      pgdeck's refresh interval
#   SOAK_PRIMARY_EVERY=60  seconds between primary restarts
#   SOAK_REDIS_EVERY=90    seconds between Redis restarts
#   PGDECK_RUN             the harness's run dir (default /tmp/pgdeck-soak-UID,
#                          its own, started and stopped here; PGDECK_KEEP_HARNESS=1
#                          leaves it running)
#
# Figures (RSS and fd count sampled every 5 s from /proc, reconnects read
# from the pool pane, restarts done, pgbench transactions) are printed at
# the end and kept in build/soak/.
set -u
cd "$(dirname "$0")/.." || exit 2
PGDECK_RUN=${PGDECK_RUN:-/tmp/pgdeck-soak-$(id -u)}
export PGDECK_RUN
SECONDS_TOTAL=${SOAK_SECONDS:-600}
INTERVAL=${SOAK_INTERVAL:-0.2}
PRIMARY_EVERY=${SOAK_PRIMARY_EVERY:-60}
REDIS_EVERY=${SOAK_REDIS_EVERY:-90}
WARMUP=$((SECONDS_TOTAL / 5))
[ $WARMUP -gt 120 ] && WARMUP=120
OUT=$(pwd)/build/soak
rm -rf "$OUT"
mkdir -p "$OUT"

HARNESS="sh $(pwd)/tests/harness.sh"
echo "# soak: ${SECONDS_TOTAL}s at ${INTERVAL}s, primary restarted every ${PRIMARY_EVERY}s, Redis every ${REDIS_EVERY}s (run dir $PGDECK_RUN)"
$HARNESS start > "$OUT/harness.log" 2>&1 || { cat "$OUT/harness.log"; echo "not ok - the harness starts"; exit 1; }
# shellcheck disable=SC1090
. "$($HARNESS env)"
. tests/e2e/lib.sh
if [ "${PGDECK_KEEP_HARNESS:-0}" != 1 ]; then
	at_exit "$HARNESS stop >/dev/null 2>&1"
fi

DB=soak
SOCKDB="host=$PGDECK_SOCKET_DIR port=$PGDECK_PG_PORT user=postgres"
psql -XAtq -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" "$SOCKDB dbname=postgres" >/dev/null 2>&1
psql -XAtq -c "CREATE DATABASE $DB" "$SOCKDB dbname=postgres" >/dev/null || { not_ok "create the soak database"; tap_done; }
pgbench -i -q -s 5 "$SOCKDB dbname=$DB" > "$OUT/pgbench-init.log" 2>&1 || { not_ok "pgbench -i"; tap_done; }
psql -XAtq -c "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" "$SOCKDB dbname=$DB" >/dev/null
psql -XAtq -c "CREATE MATERIALIZED VIEW branch_totals AS SELECT bid, sum(abalance) FROM pgbench_accounts GROUP BY bid" \
	"$SOCKDB dbname=$DB" >/dev/null

END=$(( $(date +%s) + SECONDS_TOTAL ))
# The load: pgbench over the soak database, started again whenever a
# primary restart ends it; a Redis cache workload, likewise.
(
	child=""
	trap 'kill $child 2>/dev/null; exit 0' TERM
	while [ "$(date +%s)" -lt "$END" ]; do
		left=$(( END - $(date +%s) ))
		[ $left -lt 1 ] && break
		pgbench -n -c 4 -j 2 -R 150 -T "$left" "$SOCKDB dbname=$DB application_name=soak-pgbench" \
			>> "$OUT/pgbench.log" 2>&1 &
		child=$!
		wait $child
		sleep 1
	done
) &
LOAD_PG=$!
# (The Redis workload ends by itself when this script does.)
(
	while [ "$(date +%s)" -lt "$END" ]; do
		PGDECK_WORKLOAD_PARENT=$$ PGDECK_REDIS_DURATION=$(( END - $(date +%s) )) \
			sh tests/workload-redis.sh "$PGDECK_REDIS_PORT" >/dev/null 2>&1
		sleep 1
	done
) &
LOAD_REDIS=$!
at_exit "kill $LOAD_PG $LOAD_REDIS 2>/dev/null"

tmux_start soak 200 50 env XDG_STATE_HOME="$OUT/state" XDG_CONFIG_HOME="$OUT/config" \
	"$(pgdeck_bin)" -d "$DB" -i "$INTERVAL" --stats "$OUT/stats.txt"
check "pgdeck is up on all four servers" tmux_wait_for soak 'primary: up .*replica: up .*pgbouncer: up .*redis: up' 20
PID=$(tmux -L "pgdeck-soak-$$" display-message -p -t main '#{pane_pid}')

rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$PID/status" 2>/dev/null; }
fds() { ls "/proc/$PID/fd" 2>/dev/null | wc -l; }
connects() { tmux_capture soak | sed -En 's/.*pgdeck pool +primary .*connects ([0-9]+).*/\1/p' | head -n 1; }
alive() { [ -d "/proc/$PID" ] && [ "$(tmux -L "pgdeck-soak-$$" display-message -p -t main '#{pane_dead}')" = 0 ]; }

START=$(date +%s)
next_primary=$((START + PRIMARY_EVERY))
next_redis=$((START + REDIS_EVERY))
primary_restarts=0 redis_restarts=0 redis_reconnects=0
echo "t_s rss_kb fds event" > "$OUT/samples.txt"
warm_rss="" warm_fds="" last_rss="" last_fds=""
dead=0
next_sample=$START
while :; do
	now=$(date +%s)
	[ "$now" -ge "$END" ] && break
	if ! alive; then dead=1; break; fi
	event=""
	if [ "$now" -ge "$next_primary" ]; then
		# Figures are taken just before a restart, when every connection
		# has been up for a while: the same moment each time.
		r=$(rss) f=$(fds)
		echo "$((now - START)) $r $f before-primary-restart" >> "$OUT/samples.txt"
		if [ $((now - START)) -ge "$WARMUP" ]; then
			[ -z "$warm_rss" ] && warm_rss=$r warm_fds=$f
			last_rss=$r last_fds=$f
		fi
		$HARNESS restart-primary fast >> "$OUT/faults.log" 2>&1
		primary_restarts=$((primary_restarts + 1))
		next_primary=$((next_primary + PRIMARY_EVERY))
		event=primary-restarted
	fi
	if [ "$now" -ge "$next_redis" ]; then
		# A reconnect counts when pgdeck saw Redis go and then come back.
		$HARNESS kill-redis >> "$OUT/faults.log" 2>&1
		saw_down=0
		tmux_wait_for soak 'redis: (down|connecting)' 10 >/dev/null && saw_down=1
		$HARNESS start-redis >> "$OUT/faults.log" 2>&1
		if tmux_wait_for soak 'redis: up' 30 >/dev/null && [ $saw_down = 1 ]; then
			redis_reconnects=$((redis_reconnects + 1))
		fi
		redis_restarts=$((redis_restarts + 1))
		next_redis=$((next_redis + REDIS_EVERY))
		event="$event redis-restarted"
	fi
	if [ "$now" -ge "$next_sample" ]; then
		echo "$((now - START)) $(rss) $(fds) $event" >> "$OUT/samples.txt"
		next_sample=$((next_sample + 5))
	fi
	sleep 1
done

if [ $dead = 1 ]; then
	not_ok "pgdeck ran the whole soak (it died after $(( $(date +%s) - START )) s; signal $(tmux_exit_signal soak), status $(tmux_exit_status soak))"
	tmux_capture soak | sed 's/^/# | /'
	tap_done
fi
ok "pgdeck ran the whole ${SECONDS_TOTAL}s"
check "all four servers are up again at the end" tmux_wait_for soak 'primary: up .*replica: up .*pgbouncer: up .*redis: up' 60
end_rss=$(rss) end_fds=$(fds) primary_connects=$(connects)
echo "$(( $(date +%s) - START )) $end_rss $end_fds end" >> "$OUT/samples.txt"
tmux_keys soak q
check "q exits" tmux_wait_exit soak 10
check_eq "with status 0" 0 "$(tmux_exit_status soak)"
wait $LOAD_PG 2>/dev/null

growth=$(( ${last_rss:-0} - ${warm_rss:-0} ))
tx=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$OUT/pgbench.log" | awk '{ s += $1 } END { print s + 0 }')
{
	row() { printf '%-40s %s\n' "$1" "$2"; }
	row figure value
	row duration "${SECONDS_TOTAL} s at ${INTERVAL} s"
	row "primary restarts / Redis restarts" "$primary_restarts / $redis_restarts"
	row "pgbench transactions" "$tx"
	row "RSS after the warm-up (${WARMUP} s)" "${warm_rss:-?} kB"
	row "RSS at the last restart" "${last_rss:-?} kB (growth ${growth} kB)"
	row "RSS at the end" "${end_rss:-?} kB"
	row "open fds after warm-up / last / end" "${warm_fds:-?} / ${last_fds:-?} / ${end_fds:-?}"
	row "primary pool sessions opened" "${primary_connects:-?} (4 at the start: $(( ${primary_connects:-4} - 4 )) reconnects)"
	row "Redis reconnects (seen down, then up)" "$redis_reconnects"
	[ -f "$OUT/stats.txt" ] && sed -n 's/^collector \([a-z_]*\) runs \([0-9]*\) failures \([0-9]*\).*/collector \1: \2 runs, \3 failures/p' "$OUT/stats.txt" | head -n 30
} > "$OUT/figures.txt"
sed 's/^/# /' "$OUT/figures.txt"

if [ -n "$warm_rss" ] && [ "$growth" -lt 1024 ]; then ok "RSS grew by less than 1 MB after the warm-up (${growth} kB)"
else not_ok "RSS grew by less than 1 MB after the warm-up (${growth} kB)"; fi
if [ -n "$warm_fds" ] && [ "$last_fds" -le "$warm_fds" ]; then ok "no more open fds than after the warm-up ($warm_fds -> $last_fds)"
else not_ok "no more open fds than after the warm-up (${warm_fds:-?} -> ${last_fds:-?})"; fi
check "pgdeck reconnected to the primary after each restart" [ "${primary_connects:-0}" -ge $((4 + primary_restarts)) ]
check "pgdeck saw Redis come back after each restart" [ "$redis_reconnects" -ge "$redis_restarts" ]
tap_done
