#!/bin/sh
# What the host figures cost pgdeck, with local mode on and off under the
# same load:
#
#   sh tests/bench/bench-host.sh [BACKENDS=300] [SECONDS=60]
#
# Opens BACKENDS sessions with pgbench (select-only, rate-limited to two
# transactions a second each, so the load is the same in both runs), then
# for each mode runs the console (120x40, 1 s refresh) for SECONDS and
# reports its CPU time, the time one refresh spends reading /proc on the
# thread pool and merging on the loop (the host snapshot's
# backends_read_ms and backends_merge_ms, read with --once), the
# collectors' mean run times (--stats), and key latency (ptykeys, when
# it builds).  "off" points PGDECK_PROC_ROOT at an empty directory: the
# server then looks remote, as it does to pgdeck on another machine.
#
# Needs the PG* environment and DATABASE_URL of a server that allows
# BACKENDS more connections (the harness allows 400; raise max_connections
# on a private harness for more: PGDECK_RUN=/tmp/x sh tests/harness.sh start).
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
N=${1:-300}
SECS=${2:-60}
PGDECK=$ROOT/pgdeck
OUT=${BENCH_OUT:-$ROOT/build/bench-host}
mkdir -p "$OUT"
EMPTY=$(mktemp -d)
SOCK=bench-host-$$
trap 'kill $LOAD 2>/dev/null; tmux -L $SOCK kill-server 2>/dev/null; rmdir "$EMPTY"' EXIT

pgbench -n -S -c "$N" -j 4 -R $((N * 2)) -T $((SECS * 2 + 60)) >"$OUT/pgbench.log" 2>&1 &
LOAD=$!
i=0
while [ "$(psql -XAtq -c "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pgbench'")" -lt "$N" ]; do
	i=$((i + 1))
	[ $i -gt 600 ] && { echo "pgbench did not open $N sessions"; exit 1; }
	sleep 0.1
done
echo "backends: $(psql -XAtq -c 'SELECT count(*) FROM pg_stat_activity')"

cc -O2 -std=c11 -D_DEFAULT_SOURCE -I"$ROOT/src" -o "$OUT/proc_read" "$ROOT/tests/bench/proc_read.c" \
	"$ROOT/build/src/core/host.o" "$ROOT/build/src/base/xalloc.o" "$ROOT/build/src/base/clock.o" -lm || exit 1
PTYKEYS=""
if cc -O2 -o "$OUT/ptykeys" "$ROOT/tests/bench/ptykeys.c" -lutil 2>/dev/null; then
	PTYKEYS=$OUT/ptykeys
fi

for mode in on off; do
	if [ $mode = on ]; then ENVSET="PGDECK_BENCH_MODE=on"; else ENVSET="PGDECK_PROC_ROOT=$EMPTY"; fi
	# What one refresh spends reading /proc (the thread pool's work, cold
	# and steady), and merging the result on the loop (from --once).
	if [ $mode = on ]; then
		psql -XAtq -F ' ' -c "SELECT pid, extract(epoch FROM backend_start), state FROM pg_stat_activity" |
			"$OUT/proc_read" 30 | sed 's/^/on:  \/proc: /'
		for _ in 1 2 3 4 5; do
			"$PGDECK" --once --format json 2>/dev/null |
				jq -r '.collectors.host as $h | $h.rows[0] as $r | $r[$h.columns | index("backends_merge_ms")]'
		done | awk '{ n++; m += $1; if ($1 > x) x = $1 } END { printf "on:  merge on the loop: mean %.3f ms, max %.3f ms\n", m / n, x }'
	fi
	tmux -L $SOCK new-session -d -x 120 -y 40 "env $ENVSET $PGDECK --stats $OUT/stats-$mode.txt --interval 1"
	sleep 1
	PID=$(tmux -L $SOCK display -p '#{pane_pid}')
	T0=$(awk '{ print $14 + $15 }' /proc/"$PID"/stat)
	sleep "$SECS"
	T1=$(awk '{ print $14 + $15 }' /proc/"$PID"/stat)
	RSS=$(awk '/VmHWM/ { print $2 }' /proc/"$PID"/status)
	tmux -L $SOCK send-keys q
	sleep 1
	tmux -L $SOCK kill-server 2>/dev/null
	TCK=$(getconf CLK_TCK)
	awk -v a="$T0" -v b="$T1" -v t="$TCK" -v s="$SECS" -v m="$mode" -v rss="$RSS" \
		'BEGIN { printf "%-4s client CPU %.2f s in %d s (%.2f %%), peak RSS %.1f MB\n", m ":", (b - a) / t, s, 100 * (b - a) / t / s, rss / 1024 }'
	grep -E '^(frame_max_ms|collector (activity|backends|host|disks|sizes) )' "$OUT/stats-$mode.txt" | sed 's/^/      /'
	if [ -n "$PTYKEYS" ]; then
		env $ENVSET "$PTYKEYS" -c 120 -r 40 -m 'Queries' -n 60 -k 12 -q 30 -t 60 -- \
			"$PGDECK" --interval 0.2 2>/dev/null | grep '^keys' | sed "s/^/      $mode: /"
	fi
done
