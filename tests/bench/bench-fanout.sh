#!/bin/sh
# Part 5 of pgdeck's benchmark, fan-out: one agent and 1, 10, 50 viewers
# (pgdeck --from), against one console on the same servers.
#
#   make bench-fanout   (= sh tests/bench/bench-fanout.sh)       about 5 min
#   sh tests/bench/bench-fanout.sh --quick                      about 1 min
#   make bench runs it as its part 5 (BENCH_FANOUT_OUT set).
#
# For one console, then for the agent with N viewers, each for a window of
# FANOUT_SECONDS at a 1 s refresh, all four servers watched, as role
# bench_fanout:
#   - database sessions the role holds at the end of the window
#     (pg_stat_activity) and pg_stat_statements calls per minute for the
#     role (reset before the window);
#   - Redis CPU (utime+stime of redis-server over the window, s/s);
#   - viewer CPU (mean over viewers, s/s) and RSS (VmRSS, mean and max);
#   - agent-to-screen latency: each viewer's --stats (from the entry's ID,
#     Redis's clock at XADD, to the frame that shows it, on Redis's clock
#     through the viewer's TIME offset): p50 and p99 over every frame of
#     every viewer, and the worst single viewer's p99;
#   - viewer key-to-screen latency: one more viewer under ptykeys, keys '2'
#     and '3' in turn while the others run (p50, p99).
# The viewers run in one tmux server, a window each (120x40).
#
# Environment: FANOUT_SECONDS=60 FANOUT_COUNTS="1 10 50" FANOUT_KEYS=100
#   BENCH_FANOUT_OUT (a directory; default build/bench/fanout-STAMP)
#   PGDECK_BIN=./pgdeck
set -u

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
HARNESS=$ROOT/tests/harness.sh
QUICK=0
case ${1:-} in
--quick) QUICK=1 ;;
'') ;;
-h | --help) sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
*) echo "usage: sh tests/bench/bench-fanout.sh [--quick]" >&2; exit 2 ;;
esac
if [ $QUICK = 1 ]; then
	SECS=${FANOUT_SECONDS:-8} COUNTS=${FANOUT_COUNTS:-1 10} KEYS=${FANOUT_KEYS:-20}
else
	SECS=${FANOUT_SECONDS:-60} COUNTS=${FANOUT_COUNTS:-1 10 50} KEYS=${FANOUT_KEYS:-100}
fi
RUN_DIR=/tmp/pgdeck-bench-fanout-$(id -u)
COLS=120 ROWS=40
LANG=C.UTF-8
LC_NUMERIC=C
export LANG LC_NUMERIC
unset LC_ALL

# shellcheck source=tests/bench/lib.sh
. "$ROOT/tests/bench/lib.sh"
T0=$(now)
say() { printf 'bench fan-out [%5s s]: %s\n' "$(since "$T0")" "$*" >&2; }
fail() { say "ERROR: $*"; exit 1; }

STAMP=$(date +%Y%m%d-%H%M%S)
OUT=${BENCH_FANOUT_OUT:-$ROOT/build/bench/fanout-$STAMP}
mkdir -p "$OUT" || exit 2

PGDECK_SRC=${PGDECK_BIN:-$ROOT/pgdeck}
[ -x "$PGDECK_SRC" ] || fail "no pgdeck binary at $PGDECK_SRC (run make)"
PGDECK=$OUT/pgdeck
cp "$PGDECK_SRC" "$PGDECK" || fail "cannot copy $PGDECK_SRC"
PTYKEYS=$OUT/ptykeys
${CC:-cc} -std=c11 -O2 -Wall -Wextra -o "$PTYKEYS" "$ROOT/tests/bench/ptykeys.c" -lutil \
	> "$OUT/ptykeys-build.log" 2>&1 || { cat "$OUT/ptykeys-build.log" >&2; fail "cannot build ptykeys"; }

TMUX_TMPDIR=$(mktemp -d /tmp/pgdeck-fanout-tmux.XXXXXX)
export TMUX_TMPDIR
unset TMUX
TSOCK=pgdeck-fanout-$$
AGENT_PID=""
cleanup() {
	set +e
	[ -n "$AGENT_PID" ] && kill -TERM "$AGENT_PID" 2>/dev/null
	tmux -L "$TSOCK" kill-server 2>/dev/null
	[ "${KEEP_SERVERS:-0}" != 1 ] && PGDECK_RUN=$RUN_DIR sh "$HARNESS" stop > /dev/null 2>&1
	rm -rf "$TMUX_TMPDIR"
	rm -f "$PGDECK" "$PTYKEYS"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

say "servers in $RUN_DIR"
bench_fresh_servers || fail "the harness did not start"
PGBIN=$PGDECK_PGBIN
REDIS_PID=$(cat "$RUN_DIR/redis/redis.pid")
q() { "$PGBIN/psql" -X -A -t -q -v ON_ERROR_STOP=1 -d pgdeck -c "$1"; }
q "CREATE ROLE bench_fanout LOGIN; GRANT pg_monitor TO bench_fanout" || fail "cannot create the role"
CONN="host=$PGHOST port=$PGPORT user=bench_fanout dbname=pgdeck"
CONN_REPLICA="host=127.0.0.1 port=$PGDECK_REPLICA_PORT user=bench_fanout dbname=pgdeck"
FROM="redis://127.0.0.1:$PGDECK_REDIS_PORT/0"
with_servers() {
	env DATABASE_URL="$CONN" DATABASE_READ_REPLICA_URL="$CONN_REPLICA" PGBOUNCER_URL="$PGBOUNCER_URL" \
		REDIS_URL="$REDIS_URL" "$@"
}
# A viewer knows no database: every PG* variable points nowhere.
as_viewer() {
	env PGHOST=/nonexistent PGPORT=1 PGUSER=nobody PGDATABASE=nowhere DATABASE_URL= \
		DATABASE_READ_REPLICA_URL= PGBOUNCER_URL= REDIS_URL= "$@"
}

proc_rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null; }
role_calls() { q "SELECT coalesce(sum(calls), 0) FROM pg_stat_statements WHERE userid = 'bench_fanout'::regrole"; }
role_reset() { q "SELECT pg_stat_statements_reset('bench_fanout'::regrole::oid)" > /dev/null; }
role_sessions() { q "SELECT count(*) FROM pg_stat_activity WHERE usename = 'bench_fanout'"; }
tm() { tmux -L "$TSOCK" "$@"; }
cat > "$OUT/tmux.conf" <<EOF
set -g default-terminal tmux-256color
set -g status off
set -g escape-time 0
set -g exit-empty off
set -g default-size ${COLS}x${ROWS}
EOF

# One window of SECS: database figures, Redis CPU.  Leaves "calls_per_min
# sessions redis_cpu_s_per_s" in $OUT/$1.db.
measure_window() {
	role_reset
	_r0=$(proc_cpu "$REDIS_PID")
	_t=$(now)
	sleep "$SECS"
	_calls=$(role_calls)
	_el=$(since "$_t")
	_r1=$(proc_cpu "$REDIS_PID")
	_rcpu=$(awk -v a="$_r0" -v b="$_r1" -v t="$_el" 'BEGIN { if (a == "" || b == "") print "-"; else printf "%.4f", (b - a) / t }')
	echo "$(calc "$_calls * 60 / $_el" %.1f) $(role_sessions) $_rcpu $(cut -d' ' -f1 /proc/loadavg)" > "$OUT/$1.db"
}

# ---- one console
say "one console, $SECS s"
tm -f "$OUT/tmux.conf" new-session -d -s console -x $COLS -y $ROWS \
	"exec env DATABASE_URL='$CONN' DATABASE_READ_REPLICA_URL='$CONN_REPLICA' PGBOUNCER_URL='$PGBOUNCER_URL' REDIS_URL='$REDIS_URL' '$PGDECK' --interval 1" ||
	fail "tmux did not start"
sleep 3
measure_window console
tm kill-session -t console
sleep 2

# ---- the agent
say "the agent"
# Not through with_servers: a function run in the background is a
# subshell, and $! its pid, not the agent's (killing it left the agent
# running after the bench, publishing into a stopped harness for good).
env DATABASE_URL="$CONN" DATABASE_READ_REPLICA_URL="$CONN_REPLICA" PGBOUNCER_URL="$PGBOUNCER_URL" \
	REDIS_URL="$REDIS_URL" "$PGDECK" agent --publish "$FROM" --name fan --interval 1 \
	> "$OUT/agent.out" 2> "$OUT/agent.err" &
AGENT_PID=$!
sleep 3
grep -q "publishing to" "$OUT/agent.err" || fail "the agent does not publish: $(cat "$OUT/agent.err")"

for n in $COUNTS; do
	say "the agent and $n viewer(s), $SECS s"
	tm -f "$OUT/tmux.conf" new-session -d -s v -x $COLS -y $ROWS \
		"exec env PGHOST=/nonexistent PGPORT=1 DATABASE_URL= DATABASE_READ_REPLICA_URL= PGBOUNCER_URL= REDIS_URL= '$PGDECK' --from '$FROM' --name fan --stats '$OUT/v$n-1.stats'"
	i=2
	while [ "$i" -le "$n" ]; do
		tm new-window -t v \
			"exec env PGHOST=/nonexistent PGPORT=1 DATABASE_URL= DATABASE_READ_REPLICA_URL= PGBOUNCER_URL= REDIS_URL= '$PGDECK' --from '$FROM' --name fan --stats '$OUT/v$n-$i.stats'"
		i=$((i + 1))
	done
	sleep 3
	pids=$(tm list-panes -s -t v -F '#{pane_pid}')
	for p in $pids; do echo "$p $(proc_cpu "$p")"; done > "$OUT/v$n.cpu0"
	# The key-to-screen latency of one more viewer, during the window.
	as_viewer "$PTYKEYS" -c $COLS -r $ROWS -m "viewer of fan" -n "$KEYS" -k 23 -q 150 -t 600 \
		-o "$OUT/keys-v$n.ms" -- "$PGDECK" --from "$FROM" --name fan > "$OUT/keys-v$n.pty" 2>&1 &
	KEYS_PID=$!
	measure_window "v$n"
	for p in $pids; do echo "$p $(proc_cpu "$p") $(proc_rss "$p")"; done > "$OUT/v$n.cpu1"
	wait "$KEYS_PID"
	for w in $(tm list-windows -t v -F '#{window_index}'); do tm send-keys -t "v:$w" q; done
	sleep 2
	tm kill-server 2>/dev/null
	sleep 1
done
kill -TERM "$AGENT_PID"
wait "$AGENT_PID" 2>/dev/null
AGENT_PID=""

# ---- the table
stat_of() { awk -v k="$2" '$1 == k { print $2; exit }' "$1" 2>/dev/null; }
{
	echo "Part 5 - fan-out: one agent and N viewers (pgdeck --from) against one console, all four servers, 1 s"
	echo "         refresh, $SECS s each; calls = pg_stat_statements calls/min of the role; CPU in s/s; latency ms"
	printf '%-14s %9s %8s %9s %10s %9s %9s %9s %9s %10s %9s %9s %6s\n' "" sessions calls/min "redis CPU" "viewer CPU" "RSS kB" \
		"RSS max" "feed p50" "feed p99" "worst p99" "key p50" "key p99" load
	set -- $(cat "$OUT/console.db")
	printf '%-14s %9s %8s %9s %10s %9s %9s %9s %9s %10s %9s %9s %6s\n' "one console" "$2" "$1" "$3" - - - - - - - - "${4:--}"
	for n in $COUNTS; do
		set -- $(cat "$OUT/v$n.db")
		_calls=$1 _sess=$2 _redis=$3 _load=${4:--}
		_cpu=$(awk -v s="$SECS" 'NR == FNR { c[$1] = $2; next } ($1 in c) { t += $2 - c[$1]; k++ }
			END { if (k) printf "%.4f", t / k / s; else print "-" }' "$OUT/v$n.cpu0" "$OUT/v$n.cpu1")
		_rss=$(awk '{ t += $3; if ($3 > m) m = $3; k++ } END { if (k) printf "%d %d", t / k, m; else print "- -" }' "$OUT/v$n.cpu1")
		# Every frame's latency of every viewer (nearest rank), and the
		# worst single viewer's p99.
		set -- $(awk '$1 == "feed_latency_all_ms" { for (i = 2; i <= NF; i++) print $i }' "$OUT"/v"$n"-*.stats |
			sort -g | awk '{ v[++k] = $1 } END { if (k) print v[int((k + 1) / 2)], v[int((k * 99 + 99) / 100)]; else print "- -" }')
		_p50=$1 _p99=$2
		_worst=$(for f in "$OUT"/v"$n"-*.stats; do stat_of "$f" feed_latency_p99_ms; done | sort -g | tail -n 1)
		_keys=$(awk '/^keys / { print $4, $6 }' "$OUT/keys-v$n.pty")
		printf '%-14s %9s %8s %9s %10s %9s %9s %9s %9s %10s %9s %9s %6s\n' "agent+$n" "$_sess" "$_calls" "$_redis" "$_cpu" \
			$_rss "${_p50:--}" "${_p99:--}" "${_worst:--}" ${_keys:-- -} "$_load"
		echo "$n $_calls $_sess ${_p99:--} $(echo "${_keys:-- -}" | cut -d' ' -f2) ${_worst:--}" >> "$OUT/aims.raw"
	done
	echo "         (sessions: the role's in pg_stat_activity at the end; the agent's are the console's pool)"
	echo "         (feed p50, p99: over every frame of every viewer, from the entry's XADD to the frame that shows it;"
	echo "          worst p99: the p99 of the viewer whose p99 is highest; the agent publishes a tick's snapshots"
	echo "          together, COLLECTORS_COALESCE_MS (60 ms) after the first, as a console's screen draws them)"
	echo "         (load: the machine's 1-minute load average at the end of the window, $(nproc) CPUs)"
	echo
	echo "Fan-out aims"
	_base=$(cut -d' ' -f1 "$OUT/console.db")
	while read -r n calls sess p99 kp99 worst; do
		_ok=$(awk -v a="$calls" -v b="$_base" 'BEGIN { d = a - b; if (d < 0) d = -d; print (b > 0 && d <= 0.05 * b) ? "met" : "MISSED" }')
		printf '%-62s %-13s %s\n' "calls/min with $n viewers within 5 % of one console's" "$_ok" "$calls vs $_base"
		_ok=$(awk -v a="$p99" 'BEGIN { print (a != "-" && a + 0 < 50) ? "met" : "MISSED" }')
		printf '%-62s %-13s %s\n' "agent-to-screen p99 < 50 ms ($n viewers)" "$_ok" "$p99 ms (worst viewer's p99 $worst ms)"
		_ok=$(awk -v a="$kp99" 'BEGIN { print (a != "-" && a + 0 < 50) ? "met" : "MISSED" }')
		printf '%-62s %-13s %s\n' "viewer key p99 < 50 ms ($n viewers)" "$_ok" "$kp99 ms"
	done < "$OUT/aims.raw"
	echo
} > "$OUT/table5.txt"
cat "$OUT/table5.txt"
say "done; raw data in $OUT"
