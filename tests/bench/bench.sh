#!/bin/sh
# pgdeck's benchmark: what it costs the client, the server and the terminal,
# beside its peers, at scale, and how fast it answers.
#
#   make bench          (= sh tests/bench/bench.sh)          about 15-20 min
#   make bench-quick    (= sh tests/bench/bench.sh --quick)  about 1 min,
#                        the same tables on a small scale (a smoke test)
#
# Part 1  peers side by side: pgdeck, pg_activity and pg_top against the
#         same primary under pgbench -c 8, each alone in a 120x40 tmux pane
#         at a 1 s refresh, in rotating order, 3 rounds; medians.  Each
#         tool runs 15 s first (BENCH_WARMUP: its start, which part 4
#         measures), then the aims' window of 60 s is measured; the whole
#         run, start included, is measured too and printed beside it.
#         Client CPU (utime+stime from /proc/PID/stat just before it quits),
#         peak RSS (VmHWM), terminal bytes/s (tmux pipe-pane), sessions
#         opened (server log, log_connections=on, counted by the tool's own
#         role), server time of its queries (pg_stat_statements, plan+exec,
#         summed for that role, reset for the role before each window), and
#         its backends' CPU (the time run within the window by exactly the
#         pids its role held: /proc/PID/schedstat for open ones, taskstats,
#         tests/bench/taskstats.py, for those that exited; see srv_cpu_end).
# Part 2  scale: 5,000 partitions (50 tables x 100), 300 idle connections,
#         200 materialized views, 5,000 distinct statements.  Per collector
#         the server time of a run (pg_stat_statements sampled every 0.5 s
#         for pgdeck's role; queryids matched to the collectors' SQL files by
#         running each file once under a probe role), whole refresh cycle,
#         client CPU, frame time and peak RSS (pgdeck --stats).
# Part 3  key-to-screen latency through a pseudo-terminal (ptykeys.c): '2'
#         and '3' in turn, the time from the key to pgdeck's first output
#         byte after it; with the database idle, then with the primary
#         stopped (SIGSTOP of its postmaster and every backend) so that every
#         collector's query is stuck; and while the primary and Redis are
#         connecting through a DNS server that does not answer (the
#         LD_PRELOAD shim tests/e2e/slowdns.c holds every lookup of their
#         name, slow.pgdeck.test, for 10 minutes).
# Part 4  start: exec to the first complete frame with the servers up
#         (pgdeck --stats first_complete_frame_ms; exec to the title through
#         the pty), and exec to the first frame that shows the primary down
#         when it points at a closed port.
# Part 5  fan-out: one agent and 1, 10, 50 viewers against one console
#         (tests/bench/bench-fanout.sh, its own servers; see there).
#
# Every part prints one table; the tables, the aims (met / missed) and the
# machine's description go to build/bench/results-YYYYMMDD-HHMMSS.txt, the
# raw measurements to build/bench/run-YYYYMMDD-HHMMSS/.
#
# The benchmark runs its own servers (tests/harness.sh with PGDECK_RUN=
# /tmp/pgdeck-bench-UID, or ...-quick), never the test harness others use,
# and stops them at the end.  Missing peers (Debian pg-activity, pgtop) are
# installed with apt-get when run as root, otherwise part 1 runs pgdeck only.
#
# Environment (defaults for the full run; --quick makes them small):
#   BENCH_ROUNDS=3 BENCH_SECONDS=60 BENCH_WARMUP=15 BENCH_PGBENCH_SCALE=10 BENCH_TABLES=50
#   BENCH_PARTITIONS=100 BENCH_IDLE=300 BENCH_MVIEWS=200 BENCH_STATEMENTS=5000
#   BENCH_SCALE_SECONDS=120 BENCH_KEYS=200 BENCH_STARTS=10
#   BENCH_OUT=build/bench   PGDECK_BIN=./pgdeck
#   BENCH_PARTS="1 2 3 4 5"  the parts to run (e.g. BENCH_PARTS="1 2"); the
#                            tables and aims of the others are left out
#   BENCH_PART=1 runs part 1 alone (its table and its aims, 1 and 4);
#   BENCH_TOOLS="pgdeck pg_top" picks part 1's tools (default: all of them)
#   BENCH_RUN_DIR=/tmp/pgdeck-bench-NAME: the servers' run dir
set -u

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
HARNESS=$ROOT/tests/harness.sh
QUICK=0
case ${1:-} in
--quick) QUICK=1 ;;
'') ;;
-h | --help) sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
*) echo "usage: sh tests/bench/bench.sh [--quick]" >&2; exit 2 ;;
esac

if [ $QUICK = 1 ]; then
	ROUNDS=${BENCH_ROUNDS:-1} SECS=${BENCH_SECONDS:-3} PGB_SCALE=${BENCH_PGBENCH_SCALE:-1}
	WARMUP=${BENCH_WARMUP:-1}
	TABLES=${BENCH_TABLES:-5} PARTS=${BENCH_PARTITIONS:-20} IDLE=${BENCH_IDLE:-30}
	MVIEWS=${BENCH_MVIEWS:-20} STATEMENTS=${BENCH_STATEMENTS:-100}
	SCALE_SECS=${BENCH_SCALE_SECONDS:-5} KEYS=${BENCH_KEYS:-10} STARTS=${BENCH_STARTS:-1}
	LINGER=1.5 SETTLE=0.5
	RUN_DIR=/tmp/pgdeck-bench-$(id -u)-quick
else
	ROUNDS=${BENCH_ROUNDS:-3} SECS=${BENCH_SECONDS:-60} PGB_SCALE=${BENCH_PGBENCH_SCALE:-10}
	WARMUP=${BENCH_WARMUP:-15}
	TABLES=${BENCH_TABLES:-50} PARTS=${BENCH_PARTITIONS:-100} IDLE=${BENCH_IDLE:-300}
	MVIEWS=${BENCH_MVIEWS:-200} STATEMENTS=${BENCH_STATEMENTS:-5000}
	SCALE_SECS=${BENCH_SCALE_SECONDS:-120} KEYS=${BENCH_KEYS:-200} STARTS=${BENCH_STARTS:-10}
	LINGER=3 SETTLE=3
	RUN_DIR=/tmp/pgdeck-bench-$(id -u)
fi
# BENCH_RUN_DIR: another run dir, so that helpers can bench side by side.
RUN_DIR=${BENCH_RUN_DIR:-$RUN_DIR}
POOL_MAX=${DB_POOL_MAX:-4}
# BENCH_PART=1 is BENCH_PARTS=1 with part 1's own short results (below).
ONLY_PARTS=${BENCH_PARTS:-${BENCH_PART:-1 2 3 4 5}}
part_on() { case " $ONLY_PARTS " in *" $1 "*) return 0 ;; esac; return 1; }
COLS=120 ROWS=40

# pgdeck draws box characters in a UTF-8 locale; numbers are printed by awk.
LANG=C.UTF-8
LC_NUMERIC=C
export LANG LC_NUMERIC
unset LC_ALL

STAMP=$(date +%Y%m%d-%H%M%S)
BASE=${BENCH_OUT:-$ROOT/build/bench}
case $BASE in /*) ;; *) BASE=$ROOT/$BASE ;; esac
OUT=$BASE/run-$STAMP
RESULTS=$BASE/results-$STAMP.txt
[ $QUICK = 1 ] && RESULTS=$BASE/results-$STAMP-quick.txt
mkdir -p "$OUT" || exit 2
TABLES_FILE=$OUT/tables.txt
AIMS_FILE=$OUT/aims.txt
: > "$TABLES_FILE"
: > "$AIMS_FILE"

# shellcheck source=tests/bench/lib.sh
. "$ROOT/tests/bench/lib.sh"
T0=$(now)
say() { printf 'bench [%5s s]: %s\n' "$(since "$T0")" "$*" >&2; }
fail() { say "ERROR: $*"; exit 1; }

# ------------------------------------------------------------ one at a time

# Two benchmarks on one run dir would stop each other's servers.
LOCK=$RUN_DIR.lock
if ! mkdir "$LOCK" 2>/dev/null; then
	_other=$(cat "$LOCK/pid" 2>/dev/null)
	if [ -n "$_other" ] && ps -o args= -p "$_other" 2>/dev/null | grep -q bench.sh; then
		fail "another benchmark (pid $_other) is using $RUN_DIR"
	fi
	rm -rf "$LOCK"
	mkdir "$LOCK" || fail "cannot take $LOCK"
fi
echo $$ > "$LOCK/pid"

# ------------------------------------------------------------ tools

PGDECK_SRC=${PGDECK_BIN:-$ROOT/pgdeck}
[ -x "$PGDECK_SRC" ] || fail "no pgdeck binary at $PGDECK_SRC (run make)"
# Others rebuild ./pgdeck while they work: benchmark one fixed copy.
PGDECK=$OUT/pgdeck
cp "$PGDECK_SRC" "$PGDECK" || fail "cannot copy $PGDECK_SRC"
# The query files of that binary, to tell its queries apart in part 2.
QUERIES=$OUT/queries
mkdir -p "$QUERIES" && cp "$ROOT"/sql/queries/*.sql "$QUERIES"/ || fail "cannot copy sql/queries"
PTYKEYS=$OUT/ptykeys
${CC:-cc} -std=c11 -O2 -Wall -Wextra -o "$PTYKEYS" "$ROOT/tests/bench/ptykeys.c" -lutil \
	> "$OUT/ptykeys-build.log" 2>&1 || { cat "$OUT/ptykeys-build.log" >&2; fail "cannot build ptykeys"; }
SLOWDNS=$OUT/slowdns.so
${CC:-cc} -shared -fPIC -O2 -Wall -Wextra -o "$SLOWDNS" "$ROOT/tests/e2e/slowdns.c" -ldl \
	> "$OUT/slowdns-build.log" 2>&1 || { cat "$OUT/slowdns-build.log" >&2; fail "cannot build slowdns.so"; }
command -v tmux > /dev/null || fail "tmux is missing (make deps)"

# The peers, from Debian, installed when missing.
install_peers() {
	_need=""
	command -v pg_activity > /dev/null || _need="$_need pg-activity"
	command -v pg_top > /dev/null || _need="$_need pgtop"
	[ -z "$_need" ] && return 0
	if [ "$(id -u)" != 0 ]; then
		say "peers missing:$_need; install them with: sudo apt-get install -y$_need"
		return 1
	fi
	say "installing the peers:$_need (log: $OUT/apt.log)"
	# shellcheck disable=SC2086
	{ apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $_need; } \
		</dev/null > "$OUT/apt.log" 2>&1 || { tail -n 20 "$OUT/apt.log" >&2; return 1; }
}
install_peers || say "part 1 will measure pgdeck only"
PEERS=""
command -v pg_activity > /dev/null && PEERS="$PEERS pg_activity"
command -v pg_top > /dev/null && PEERS="$PEERS pg_top"

# ------------------------------------------------------------ servers

TMUX_TMPDIR=$(mktemp -d /tmp/pgdeck-bench-tmux.XXXXXX)
export TMUX_TMPDIR
unset TMUX
TSOCK=pgdeck-bench-$$
BG_PIDS=""

cleanup() {
	set +e
	# Part 3 stops the primary: never leave it stopped.
	[ -f "$OUT/stopped.pids" ] && kill -CONT $(cat "$OUT/stopped.pids") 2>/dev/null
	for _p in $BG_PIDS; do kill -TERM "$_p" 2>/dev/null; done
	tmux -L "$TSOCK" kill-server 2>/dev/null
	if [ "${KEEP_SERVERS:-0}" != 1 ]; then
		PGDECK_RUN=$RUN_DIR sh "$HARNESS" stop > /dev/null 2>&1
	fi
	rm -rf "$TMUX_TMPDIR" "$LOCK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

say "servers in $RUN_DIR (a fresh harness: stop, start)"
bench_fresh_servers || fail "the harness did not start"
PGBIN=$PGDECK_PGBIN
SERVER_LOG=$PGDECK_LOG_DIR/primary.log

q() { "$PGBIN/psql" -X -A -t -q -v ON_ERROR_STOP=1 -d "${DB:-postgres}" -c "$1"; }
# The same on the replica's bench database.
qr() { "$PGBIN/psql" -X -A -t -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PGDECK_REPLICA_PORT" -d bench -c "$1"; }

# pg_stat_statements must hold the 5,000 statements of part 2 and the
# benchmark's own; planning time counts as server time; every session is
# logged so that sessions can be counted by role.
q "ALTER SYSTEM SET pg_stat_statements.max = 20000" &&
	q "ALTER SYSTEM SET pg_stat_statements.track_planning = on" &&
	q "ALTER SYSTEM SET log_connections = on" || fail "cannot configure the primary"
sh "$HARNESS" restart-primary >> "$OUT/harness.log" 2>&1 || fail "the primary did not restart"
q "CREATE DATABASE bench" || fail "cannot create the bench database"
for r in bench_pgdeck bench_pgactivity bench_pgtop bench_probe; do
	q "CREATE ROLE $r LOGIN; GRANT pg_monitor TO $r" || fail "cannot create role $r"
done
DB=bench q "CREATE EXTENSION pg_stat_statements" || fail "no pg_stat_statements in bench"
say "pgbench -i -s $PGB_SCALE"
"$PGBIN/pgbench" -i -q -s "$PGB_SCALE" bench > "$OUT/pgbench-init.log" 2>&1 || fail "pgbench -i failed"
PM_PID=$(head -n 1 "$PGDECK_PGDATA/postmaster.pid")

CONN_PRIMARY="host=$PGHOST port=$PGPORT user=bench_pgdeck dbname=bench"
CONN_REPLICA="host=127.0.0.1 port=$PGDECK_REPLICA_PORT user=bench_pgdeck dbname=bench"

# CMD... in the environment of pgdeck as an operator runs it: all four
# servers, as role bench_pgdeck.
with_servers() {
	env DATABASE_URL="$CONN_PRIMARY" DATABASE_READ_REPLICA_URL="$CONN_REPLICA" \
		PGBOUNCER_URL="$PGBOUNCER_URL" REDIS_URL="$REDIS_URL" "$@"
}

# ------------------------------------------------------------ helpers

# stats FILE...: "median min max mean" of the numbers (one a line) in FILEs.
stats() {
	sort -g "$@" | awk '{ v[++n] = $1; s += $1 }
		END { if (!n) { print "- - - -"; exit }
		      m = n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
		      printf "%.6g %.6g %.6g %.6g\n", m, v[1], v[n], s / n }'
}
med() { stats "$1" | cut -d' ' -f1; }
rng() { stats "$1" | awk -v f="${2:-%s}" '{ printf f "-" f, $2, $3 }'; }
# cell FILE FORMAT: "median (min-max)", or the median alone for one round.
cell() {
	stats "$1" | awk -v f="$2" '$1 == "-" { print "-"; next }
		{ if ($2 == $3) printf f, $1; else printf f " (" f "-" f ")", $1, $2, $3 }'
}
# pct P FILE: nearest-rank percentile.
pct() {
	sort -g "$2" | awk -v p="$1" '{ v[++n] = $1 }
		END { if (!n) { print "-"; exit }
		      r = int(p / 100 * n); if (r < p / 100 * n) r++; if (r < 1) r = 1
		      print v[r] }'
}
loadavg() { cut -d' ' -f1 /proc/loadavg; }

# The server's CPU for a tool (issue 14): exactly its own backends' CPU
# time, counted the same way for every tool.  Its backends are the pids its
# role holds: those open at the start of the window (pg_stat_activity by
# usename) and those whose "connection authorized: user=ROLE" line the
# server log (log_line_prefix has [%p]) shows within it.  A backend still
# open at the end is read from /proc/PID/schedstat (the nanoseconds it has
# run), less what it had run at the start; one that exited within the
# window (pg_top forks one per refresh) is read from the kernel's taskstats
# record of its exit (tests/bench/taskstats.py: the same clock, with its
# pid and parent), less the same.  Not utime+stime (/proc/PID/stat, process
# accounting): they are sampled at the timer tick and count a backend that
# lives a few milliseconds as next to nothing (taskstats.py says by how
# much).  Nobody else's CPU is counted: not the autovacuum workers under
# pgbench, not the benchmark's own psql sessions.  Without taskstats (not
# root) the exited backends are counted through the postmaster's
# cutime+cstime instead, which also holds its other reaped children and is
# tick-sampled; the results file says which.  Seconds.
TSTATS=$OUT/taskstats
TSTATS_ON=0
if [ "${BENCH_TASKSTATS:-1}" = 1 ]; then
	python3 "$ROOT/tests/bench/taskstats.py" listen "$TSTATS" > "$OUT/taskstats.ready" 2> "$OUT/taskstats.log" &
	TSTATS_PID=$!
	BG_PIDS="$BG_PIDS $TSTATS_PID"
	_i=0
	while [ $_i -lt 30 ] && ! grep -q ready "$OUT/taskstats.ready" 2>/dev/null && kill -0 "$TSTATS_PID" 2>/dev/null; do
		sleep 0.1
		_i=$((_i + 1))
	done
	grep -q ready "$OUT/taskstats.ready" 2>/dev/null && TSTATS_ON=1
fi
pm_children_cpu() {
	awk -v tck="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); split($0, f, " ")
		printf "%.3f\n", (f[14] + f[15]) / tck }' "/proc/$PM_PID/stat" 2>/dev/null
}
role_backends_cpu() {	# ROLE -> "pid seconds" of each of the role's open backends
	for _p in $(q "SELECT pid FROM pg_stat_activity WHERE usename = '$1'"); do
		awk -v p="$_p" '{ printf "%s %.6f\n", p, $1 / 1e9 }' "/proc/$_p/schedstat" 2>/dev/null
	done
}
srv_cpu_start() {
	role_backends_cpu "$SRV_ROLE" > "$OUT/$1.live0"
	# pg_stat_statements as it stands, per statement, for a window that
	# does not start at the reset (PANE_WARMUP).
	q "SELECT queryid, calls, plans, total_plan_time, total_exec_time FROM pg_stat_statements
	   WHERE userid = '$SRV_ROLE'::regrole" > "$OUT/$1.pss0"
	log_size > "$OUT/$1.log0"
	wc -c < "$TSTATS" 2>/dev/null | tr -d ' ' > "$OUT/$1.acct0"
	pm_children_cpu > "$OUT/$1.pmcpu0"
}
srv_cpu_end() {
	_c1=$(pm_children_cpu)
	# The role's pids that connected within the window (read before the
	# open ones: one that connects in between is then open, not lost).
	tail -c +"$(($(cat "$OUT/$1.log0") + 1))" "$SERVER_LOG" |
		sed -n "s/^[^[]*\[\([0-9]*\)\] .*connection authorized: user=$SRV_ROLE .*/\1/p" > "$OUT/$1.newpids"
	role_backends_cpu "$SRV_ROLE" > "$OUT/$1.live1"
	# Open at the end: CPU now less CPU at the start (0 for a new one).
	_live=$(awk 'FILENAME ~ /live0$/ { c0[$1] = $2; next } { s += $2 - (($1 in c0) ? c0[$1] : 0) }
		END { printf "%.6f", s }' "$OUT/$1.live0" "$OUT/$1.live1")
	# Exited within the window: open at the start or new, not open now.
	_gone=$(awk 'FILENAME ~ /live1$/ { now[$1] = 1; next } !($1 in now) && !($1 in seen) { seen[$1] = 1; print $1 }' \
		"$OUT/$1.live1" "$OUT/$1.live0" "$OUT/$1.newpids" | tr '\n' ' ')
	if [ "$TSTATS_ON" = 1 ]; then
		sleep 0.2	# a backend that just quit is written as it exits
		set -- "$1" $(python3 "$ROOT/tests/bench/taskstats.py" cpu "$TSTATS" "$(cat "$OUT/$1.acct0")" "$PM_PID" $_gone)
		_before=$(awk -v g=" $_gone " 'index(g, " " $1 " ") { s += $2 } END { printf "%.6f", s }' "$OUT/$1.live0")
		echo "taskstats: $3 records of $(echo $_gone | wc -w) exited backends, ${2}s" > "$OUT/$1.srvcpu-how"
		awk -v l="$_live" -v g="$2" -v b="$_before" 'BEGIN { printf "%.6f\n", l + g - b }' > "$OUT/$1.srvcpu"
	else
		echo "postmaster cutime+cstime (no taskstats)" > "$OUT/$1.srvcpu-how"
		awk -v a="$(cat "$OUT/$1.pmcpu0")" -v b="$_c1" -v l="$_live" 'BEGIN { printf "%.3f\n", b - a + l }' > "$OUT/$1.srvcpu"
	fi
}
proc_hwm() {	# PID -> peak RSS in kB
	awk '/^VmHWM:/ { print $2 }' "/proc/$1/status" 2>/dev/null
}
log_size() { wc -c < "$SERVER_LOG" | tr -d ' '; }
# sessions_since OFFSET ROLE: sessions the role opened since OFFSET.
sessions_since() {
	tail -c +"$(($1 + 1))" "$SERVER_LOG" | grep -c "connection authorized: user=$2 "
}
role_reset() { q "SELECT pg_stat_statements_reset('$1'::regrole::oid)" > /dev/null; }
role_server() {	# ROLE -> "ms calls" in pg_stat_statements (plan + exec)
	q "SELECT round(coalesce(sum(total_exec_time + total_plan_time), 0)::numeric, 3) || ' ' ||
	          coalesce(sum(calls), 0) FROM pg_stat_statements WHERE userid = '$1'::regrole"
}
bench_sessions() { q "SELECT sessions FROM pg_stat_database WHERE datname = 'bench'"; }

TMUX_CONF=$OUT/tmux.conf
cat > "$TMUX_CONF" <<'EOF'
set -g default-terminal tmux-256color
set -g remain-on-exit on
set -g status off
set -g escape-time 0
set -g exit-empty off
EOF
tm() { tmux -L "$TSOCK" "$@"; }

# pane_run NAME SECONDS CMD: run CMD alone in a 120x40 tmux pane for
# SECONDS, recording its terminal output; then read its CPU and peak RSS
# from /proc, quit it with q and wait for it.  Leaves in $OUT/NAME.*:
# tty (bytes), and "elapsed cpu_s hwm_kb" in NAME.proc.
pane_run() {
	_name=$1 _secs=$2 _cmd=$3
	: > "$OUT/$_name.tty"
	tm -f "$TMUX_CONF" new-session -d -s main -x $COLS -y $ROWS "sleep 0.5; exec $_cmd" </dev/null ||
		fail "tmux did not start"
	tm pipe-pane -t main -o "cat >> '$OUT/$_name.tty'"
	_pid=$(tm display-message -p -t main '#{pane_pid}')
	sleep 0.5
	_t=$(now)
	[ -n "${PANE_START_HOOK:-}" ] && $PANE_START_HOOK "$_name"
	# PANE_WARMUP=S: a steady window of SECONDS follows S seconds of
	# warm-up, measured apart (NAME.steady.*): what the tool costs while it
	# runs, its start left out; the whole run is measured too.
	_wu=${PANE_WARMUP:-0}
	if [ "$_wu" != 0 ]; then
		sleep "$_wu"
		[ -n "${PANE_START_HOOK:-}" ] && $PANE_START_HOOK "$_name.steady"
		_cpu0=$(proc_cpu "$_pid") _tty0=$(wc -c < "$OUT/$_name.tty" | tr -d ' ') _t1=$(now)
	fi
	sleep "$_secs"
	[ -n "${PANE_END_HOOK:-}" ] && $PANE_END_HOOK "$_name"
	[ "$_wu" != 0 ] && [ -n "${PANE_END_HOOK:-}" ] && $PANE_END_HOOK "$_name.steady"
	_cpu=$(proc_cpu "$_pid")
	_hwm=$(proc_hwm "$_pid")
	_comm=$(cat "/proc/$_pid/comm" 2>/dev/null)
	tm pipe-pane -t main
	_el=$(since "$_t")
	echo "${_el} ${_cpu:--} ${_hwm:--} $_comm" > "$OUT/$_name.proc"
	if [ "$_wu" != 0 ]; then
		_tty1=$(wc -c < "$OUT/$_name.tty" | tr -d ' ')
		awk -v el="$(since "$_t1")" -v c0="${_cpu0:--}" -v c1="${_cpu:--}" -v b="$((_tty1 - _tty0))" -v h="${_hwm:--}" \
			'BEGIN { printf "%s %s %s %s\n", el, (c0 == "-" || c1 == "-") ? "-" : sprintf("%.3f", c1 - c0), h, b }' \
			> "$OUT/$_name.steady.proc"
	fi
	tm capture-pane -p -t main > "$OUT/$_name.screen" 2>/dev/null
	tm send-keys -t main q
	_i=0
	while [ "$(tm display-message -p -t main '#{pane_dead}' 2>/dev/null)" != 1 ] && [ $_i -lt 100 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	[ $_i -ge 100 ] && say "$_name did not quit on q; killed" && kill -TERM "$_pid" 2>/dev/null
	# tmux 3.3a can miss the pane's SIGCHLD (see tests/e2e/lib.sh): any
	# later child of the server makes it reap, so nudge it.
	_i=0
	while _st=$(tm display-message -p -t main '#{pane_dead_status}#{pane_dead_signal}' 2>/dev/null) &&
		[ -z "$_st" ] && [ $_i -lt 20 ]; do
		tm run-shell -b true 2>/dev/null
		sleep 0.1
		_i=$((_i + 1))
	done
	_st=$(tm display-message -p -t main '#{?pane_dead_signal,signal #{pane_dead_signal},#{pane_dead_status}}' 2>/dev/null)
	echo "$_name ${_st:-unknown}" >> "$OUT/exits.txt"
	tm kill-server 2>/dev/null
	sleep 0.2
}

aim() {	# aim TEXT MET(1/0) FIGURE
	if [ "$2" = 1 ]; then _v=PASS; elif [ "$2" = 0 ]; then _v=MISS; else _v="-"; fi
	printf '%-64s %-5s %s\n' "$1" "$_v" "$3" >> "$AIMS_FILE"
}
lt() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || a == "" || b == "") print "-"; else print (a + 0 < b + 0) ? 1 : 0 }'; }
le() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || a == "" || b == "") print "-"; else print (a + 0 <= b + 0) ? 1 : 0 }'; }

# time_runs NAME N CMD...: wall ms of N runs of CMD (with the four
# servers, output discarded) into $OUT/NAME.ms, one a line.
time_runs() {
	_n=$1 _k=$2
	shift 2
	: > "$OUT/$_n.ms"
	with_servers "$@" > /dev/null 2>&1	# unmeasured: the page cache
	_j=0
	while [ $_j -lt "$_k" ]; do
		_j=$((_j + 1))
		_s=$(now)
		with_servers "$@" > /dev/null 2>&1
		awk -v a="$_s" -v b="$(now)" 'BEGIN { printf "%.1f\n", (b - a) * 1000 }' >> "$OUT/$_n.ms"
	done
}

# ------------------------------------------------------------ part 4: start

if part_on 4; then
say "part 4: start, $STARTS times with the servers up and with the primary down"
LOAD_P4=$(loadavg)
: > "$OUT/start-up.first" ; : > "$OUT/start-up.title" ; : > "$OUT/start-up.complete"
: > "$OUT/start-down.first"; : > "$OUT/start-down.title"; : > "$OUT/start-down.down"; : > "$OUT/start-down.complete"
# One start unmeasured: the binary and its libraries into the page cache.
with_servers "$PTYKEYS" -c $COLS -r $ROWS -w 0.5 -m "primary: up" -- "$PGDECK" > /dev/null 2>&1
i=0
while [ $i -lt "$STARTS" ]; do
	i=$((i + 1))
	rm -f "$OUT/start.stats"
	# Through the pty: first byte, the title, then 3 s for the first
	# complete frame (--stats).
	with_servers "$PTYKEYS" -c $COLS -r $ROWS -w $LINGER -m "pgdeck " -m "primary: up" -- \
		"$PGDECK" --stats "$OUT/start.stats" > "$OUT/start-up-$i.pty" 2>&1
	awk '/^first_byte_ms/ { print $2 }' "$OUT/start-up-$i.pty" >> "$OUT/start-up.first"
	awk '$1 == "marker_ms" && $3 == "pgdeck" { print ($2 == "-" ? 99999 : $2) }' "$OUT/start-up-$i.pty" >> "$OUT/start-up.title"
	_c=$(awk '/^first_complete_frame_ms/ { print $2 }' "$OUT/start.stats" 2>/dev/null)
	echo "${_c:-99999}" >> "$OUT/start-up.complete"
	cp "$OUT/start.stats" "$OUT/start-up-$i.stats" 2>/dev/null
	# The primary on a closed port (nothing listens on port 1).
	env DATABASE_URL="host=127.0.0.1 port=1 user=bench_pgdeck dbname=bench connect_timeout=5" \
		DATABASE_READ_REPLICA_URL="$CONN_REPLICA" PGBOUNCER_URL="$PGBOUNCER_URL" REDIS_URL="$REDIS_URL" \
		"$PTYKEYS" -c $COLS -r $ROWS -w 1 -m "pgdeck " -m "primary: down" -- \
		"$PGDECK" --stats "$OUT/start.stats" > "$OUT/start-down-$i.pty" 2>&1
	awk '/^first_byte_ms/ { print $2 }' "$OUT/start-down-$i.pty" >> "$OUT/start-down.first"
	awk '$1 == "marker_ms" && $3 == "pgdeck" { print ($2 == "-" ? 99999 : $2) }' "$OUT/start-down-$i.pty" >> "$OUT/start-down.title"
	awk '$1 == "marker_ms" && $3 == "primary:" && $4 == "down" { print ($2 == "-" ? 99999 : $2) }' "$OUT/start-down-$i.pty" >> "$OUT/start-down.down"
	_c=$(awk '/^first_complete_frame_ms/ { print $2 }' "$OUT/start.stats" 2>/dev/null)
	echo "${_c:-99999}" >> "$OUT/start-down.complete"
done

say "part 4: pgdeck --once and pgdeck check, $STARTS times each (small database)"
time_runs once-small "$STARTS" "$PGDECK" --once
time_runs check-small "$STARTS" "$PGDECK" check

fi

# ------------------------------------------------------------ part 3: keys

if part_on 3; then
PRIMARY_PIDS() { echo "$PM_PID $(pgrep -P "$PM_PID" | tr '\n' ' ')"; }
say "part 3: $KEYS keys with the database idle"
LOAD_P3=$(loadavg)
pgdeck_keys() {	# NAME [ptykeys options...]
	_n=$1
	shift
	with_servers "$PTYKEYS" -c $COLS -r $ROWS -m "primary: up" -n "$KEYS" -k 23 -q 150 -t 600 \
		-o "$OUT/keys-$_n.ms" "$@" -- "$PGDECK" --stats "$OUT/keys-$_n.stats" > "$OUT/keys-$_n.pty" 2>&1
}
pgdeck_keys idle
say "part 3: $KEYS keys with the primary stopped (SIGSTOP)"
# The hooks run inside ptykeys, which keeps reading the pty meanwhile.  The
# stop waits 2 s so that the collectors' next queries are sent and stuck.
echo "$PM_PID" > "$OUT/postmaster.pid"
pgdeck_keys stuck \
	-b "pids=\"$PM_PID \$(pgrep -P $PM_PID | tr '\n' ' ')\"; echo \$pids > '$OUT/stopped.pids'; kill -STOP \$pids; sleep 2" \
	-a "kill -CONT \$(cat '$OUT/stopped.pids')"
# Belt and braces: whatever happened, the primary runs again.
kill -CONT $(PRIMARY_PIDS) 2>/dev/null
sleep 1
say "part 3: $KEYS keys while the primary and Redis are connecting through a silent DNS server"
# Their lookups never answer while the keys are sent (connect timeout,
# down, retry, and round again); the replica and PgBouncer are up.
DATABASE_URL="host=slow.pgdeck.test port=$PGPORT user=bench_pgdeck dbname=bench" \
	REDIS_URL="redis://slow.pgdeck.test:$PGDECK_REDIS_PORT/0" LD_PRELOAD="$SLOWDNS" PGDECK_SLOW_SECONDS=600 \
	DATABASE_READ_REPLICA_URL="$CONN_REPLICA" PGBOUNCER_URL="$PGBOUNCER_URL" \
	"$PTYKEYS" -c $COLS -r $ROWS -m "primary: connecting" -n "$KEYS" -k 23 -q 150 -t 600 \
	-o "$OUT/keys-connecting.ms" -- "$PGDECK" --stats "$OUT/keys-connecting.stats" > "$OUT/keys-connecting.pty" 2>&1

fi

# ------------------------------------------------------------ part 1: peers

if part_on 1; then
say "part 1: $ROUNDS round(s) of pgdeck${PEERS} x ${SECS} s under pgbench -c 8"
"$PGBIN/pgbench" -n -c 8 -j 2 -T 100000 bench > "$OUT/pgbench-load.log" 2>&1 &
LOAD_PID=$!
BG_PIDS="$BG_PIDS $LOAD_PID"
sleep $SETTLE
# pgdeck_nohost: pgdeck with its host figures off (PGDECK_PROC_ROOT at a
# directory with no /proc in it: the server is "not on this host").
TOOLS="pgdeck pgdeck_nohost$PEERS"
if [ -n "${BENCH_TOOLS:-}" ]; then
	TOOLS=$BENCH_TOOLS
	PEERS=$(for t in $TOOLS; do case $t in pgdeck*) ;; *) printf ' %s' "$t" ;; esac; done)
fi
: > "$OUT/peers.tsv"
echo "tool round elapsed_s cpu_s hwm_kb bytes sessions_log sessions_stat server_ms server_calls load1 backend_cpu_s" > "$OUT/peers.tsv"
head -1 "$OUT/peers.tsv" > "$OUT/peers-steady.tsv"
# A monitor runs for hours: its cost is what it costs while it runs.  Each
# tool warms up for WARMUP s (its start: connecting, first reads, first
# frame; aim 6 measures that), then the aims' window of SECS s is measured
# (peers-steady.tsv); the whole run, start included, is measured as well
# and printed beside it (peers.tsv).
PANE_WARMUP=$WARMUP
PANE_START_HOOK=srv_cpu_start
PANE_END_HOOK=srv_cpu_end
round=0
while [ $round -lt "$ROUNDS" ]; do
	round=$((round + 1))
	# Rotate the order each round so that drift in the machine's load is
	# spread over the tools.
	set -- $TOOLS
	_rot=$(((round - 1) % $#))
	_k=0
	while [ $_k -lt $_rot ]; do _f=$1; shift; set -- "$@" "$_f"; _k=$((_k + 1)); done
	for tool in "$@"; do
		case $tool in
		pgdeck) role=bench_pgdeck
			cmd="env -u DATABASE_URL -u DATABASE_READ_REPLICA_URL -u PGBOUNCER_URL -u REDIS_URL '$PGDECK' --stats '$OUT/peer-pgdeck-$round.stats' '$CONN_PRIMARY'" ;;
		pgdeck_nohost) role=bench_pgdeck
			cmd="env -u DATABASE_URL -u DATABASE_READ_REPLICA_URL -u PGBOUNCER_URL -u REDIS_URL PGDECK_PROC_ROOT=/nonexistent '$PGDECK' --stats '$OUT/peer-pgdeck_nohost-$round.stats' '$CONN_PRIMARY'" ;;
		pg_activity) role=bench_pgactivity
			cmd="pg_activity --refresh 1 -h '$PGHOST' -p $PGPORT -U $role -d bench" ;;
		pg_top) role=bench_pgtop
			cmd="pg_top -s 1 -h '$PGHOST' -p $PGPORT -U $role -d bench" ;;
		esac
		say "  round $round: $tool"
		role_reset $role
		SRV_ROLE=$role
		s0=$(bench_sessions)
		off=$(log_size)
		pane_run "peer-$tool-$round" "$SECS" "$cmd"
		sleep 0.5	# backends flush their statistics on exit
		read -r el cpu hwm _ < "$OUT/peer-$tool-$round.proc"
		bytes=$(wc -c < "$OUT/peer-$tool-$round.tty" | tr -d ' ')
		sess=$(sessions_since "$off" $role)
		s1=$(bench_sessions)
		q "SELECT calls, round((total_exec_time + total_plan_time)::numeric, 3),
		          regexp_replace(left(query, 70), '\s+', ' ', 'g')
		   FROM pg_stat_statements WHERE userid = '$role'::regrole
		   ORDER BY 2 DESC" > "$OUT/peer-$tool-$round.queries"
		# pgdeck's own statements, plan and exec apart (issue 14: where
		# its server time goes; the table under table 1).
		case $tool in pgdeck*)
			q "SELECT calls, plans, round(total_plan_time::numeric, 2), round(total_exec_time::numeric, 2),
			          regexp_replace(left(query, 64), '\s+', ' ', 'g')
			   FROM pg_stat_statements WHERE userid = '$role'::regrole
			   ORDER BY total_plan_time + total_exec_time DESC" > "$OUT/peer-$tool-$round.statements" ;;
		esac
		set -- $(role_server $role)
		load1=$(cut -d' ' -f1 /proc/loadavg)
		echo "$tool $round $el $cpu $hwm $bytes $sess $((s1 - s0)) $1 $2 $load1 $(cat "$OUT/peer-$tool-$round.srvcpu" 2>/dev/null || echo -)" >> "$OUT/peers.tsv"
		# The steady window (after WARMUP s): the same figures, each
		# statement's share being what it has now less what it had at the
		# window's start; sessions are the whole run's.
		_sf=$OUT/peer-$tool-$round.steady
		if [ "$WARMUP" != 0 ] && [ -f "$_sf.proc" ]; then
			read -r sel scpu shwm sbytes < "$_sf.proc"
			q "SELECT queryid, calls, plans, total_plan_time, total_exec_time,
			          regexp_replace(left(query, 64), '\s+', ' ', 'g')
			   FROM pg_stat_statements WHERE userid = '$role'::regrole" > "$_sf.pss1"
			awk -F'|' 'FILENAME ~ /pss0$/ { c[$1] = $2; p[$1] = $3; pt[$1] = $4; et[$1] = $5; next }
				{ t = $0; for (i = 0; i < 5; i++) sub(/^[^|]*[|]/, "", t)
				  dc = $2 - c[$1]; dp = $3 - p[$1]; dt = $4 - pt[$1]; de = $5 - et[$1]
				  if (dc > 0 || dp > 0) printf "%.3f|%d|%d|%.2f|%.2f|%s\n", dt + de, dc, dp, dt, de, t }' \
				"$_sf.pss0" "$_sf.pss1" | sort -t'|' -k1,1gr | cut -d'|' -f2- > "$_sf.statements"
			set -- $(awk -F'|' '{ ms += $3 + $4; n += $1 } END { printf "%.3f %d\n", ms, n }' "$_sf.statements")
			echo "$tool $round $sel $scpu $shwm $sbytes $sess - $1 $2 $load1 $(cat "$_sf.srvcpu" 2>/dev/null || echo -)" >> "$OUT/peers-steady.tsv"
		fi
	done
done
kill -TERM "$LOAD_PID" 2>/dev/null
wait "$LOAD_PID" 2>/dev/null
PANE_START_HOOK=
PANE_END_HOOK=
PANE_WARMUP=0

# Per tool: per-60 s CPU and server time, RSS in MB, bytes/s; p1-TOOL.* of
# the aims' window (the steady one with a warm-up), p1all-TOOL.* of the
# whole run.
P1_TSV=$OUT/peers.tsv
[ "$WARMUP" != 0 ] && P1_TSV=$OUT/peers-steady.tsv
# compare PREFIX LABEL ENTRY...: each ENTRY "TEXT|TOOL|WHAT|PEER|DIV|UNIT"
# sets the median of PREFIX-TOOL.WHAT against PEER's divided by DIV.  With
# LABEL empty it is an aim with its verdict; otherwise it is a line for
# reference, LABEL before TEXT, with no verdict.
compare() {
	_pre=$1 _label=$2
	shift 2
	for _a; do
		_text=${_a%%|*} _r=${_a#*|}
		_tool=${_r%%|*} _r=${_r#*|}
		_what=${_r%%|*} _r=${_r#*|}
		_peer=${_r%%|*} _r=${_r#*|}
		_div=${_r%%|*} _unit=${_r#*|}
		[ -s "$OUT/$_pre-$_tool.$_what" ] && [ -s "$OUT/$_pre-$_peer.$_what" ] || continue
		_f=$(med "$OUT/$_pre-$_tool.$_what") _b=$(calc "$(med "$OUT/$_pre-$_peer.$_what") / $_div" %.4f)
		_fig="$(calc "$_f" %.4g) vs $(calc "$_b" %.4g) $_unit (ratio $(calc "$_f / $_b" %.2f))"
		if [ -z "$_label" ]; then aim "$_text" "$(le "$_f" "$_b")" "$_fig"
		else aim "  $_label $_text" - "$_fig"; fi
	done
}
# The aims' comparisons again over the whole run, start included: shown
# for reference, so that what the warm-up leaves out is seen.
whole_run_figures() {
	[ "$WARMUP" != 0 ] || return 0
	compare p1all "(whole run)" "1 client CPU vs pg_top's (host figures on)|pgdeck|cpu|pg_top|1|s/60s" \
		"1 client CPU vs 1/2 of pg_top's (host figures off)|pgdeck_nohost|cpu|pg_top|2|s/60s" \
		"2 server CPU (backends) vs 1/5 of pg_activity's|pgdeck|bcpu|pg_activity|5|ms/60s" \
		"2 server CPU (backends) vs 1/5 of pg_top's|pgdeck|bcpu|pg_top|5|ms/60s" \
		"2 server time (plan+exec) vs 1/5 of pg_activity's|pgdeck|srv|pg_activity|5|ms/60s" \
		"2 server time (plan+exec) vs 1/5 of pg_top's|pgdeck|srv|pg_top|5|ms/60s" \
		"4 terminal bytes/s vs pg_top's|pgdeck|bps|pg_top|1|bytes/s"
}
peer_col() {	# TOOL AWK-EXPR [TSV] -> one value per round
	awk -v t="$1" "NR > 1 && \$1 == t { print $2 }" "${3:-$P1_TSV}"
}
summarise_tool() {	# TOOL [PREFIX TSV]
	_t=$1 _p=${2:-p1} _f=${3:-$P1_TSV}
	peer_col "$_t" '$4 * 60 / $3' "$_f" > "$OUT/$_p-$_t.cpu"
	peer_col "$_t" '$5 / 1024' "$_f" > "$OUT/$_p-$_t.rss"
	peer_col "$_t" '$6 / $3' "$_f" > "$OUT/$_p-$_t.bps"
	peer_col "$_t" '$7' "$_f" > "$OUT/$_p-$_t.sess"
	peer_col "$_t" '$9 * 60 / $3' "$_f" > "$OUT/$_p-$_t.srv"
	peer_col "$_t" '$10 * 60 / $3' "$_f" > "$OUT/$_p-$_t.calls"
	peer_col "$_t" '$12 * 1000 * 60 / $3' "$_f" > "$OUT/$_p-$_t.bcpu"
}
{
	echo "Part 1 - peers side by side: ${COLS}x${ROWS} tmux pane, 1 s refresh, ${SECS} s each, alone,"
	echo "         under pgbench -c 8 -j 2 (scale $PGB_SCALE), $ROUNDS round(s) in rotating order; median (min-max)"
	echo "         CPU and server time scaled to 60 s; sessions opened per run; server time = plan + exec"
	echo "         (pg_stat_statements); backend CPU = the time run within the window by exactly the tool's own"
	if [ "$TSTATS_ON" = 1 ]; then
	echo "         backends (its role's pids: open ones from /proc/PID/schedstat, exited ones from the kernel's"
	echo "         taskstats record of their exit; both in nanoseconds, not tick-sampled utime+stime);"
	else
	echo "         backends (open ones from /proc/PID/schedstat; exited ones through the postmaster's cutime+cstime,"
	echo "         tick-sampled, which also holds its other reaped children: no taskstats here);"
	fi
	echo "         pgdeck_nohost = host figures off"
	if [ "$WARMUP" != 0 ]; then
	echo "         Each tool runs ${WARMUP} s (its start) before the ${SECS} s window measured; peak RSS is the whole"
	echo "         run's, sessions are those opened over the whole run; the whole run, start included, follows"
	fi
	row() { printf '%-26s %-21s %-17s %-19s %-10s %-21s %-21s %s\n' "$@"; }
	p1_table() {	# PREFIX: the table of p1-* (the aims' window) or p1all-* (the whole run)
		row tool "client CPU s/60s" "peak RSS MB" "terminal bytes/s" sessions "server ms/60s" "backend CPU ms/60s" "queries/60s"
		for t in $TOOLS; do
			row "$t" "$(cell "$OUT/$1-$t.cpu" %.3f)" "$(cell "$OUT/$1-$t.rss" %.1f)" "$(cell "$OUT/$1-$t.bps" %.0f)" \
				"$(cell "$OUT/$1-$t.sess" %d)" "$(cell "$OUT/$1-$t.srv" %.1f)" "$(cell "$OUT/$1-$t.bcpu" %.0f)" "$(cell "$OUT/$1-$t.calls" %.0f)"
		done
		ratio() { calc "$(med "$OUT/$1-${3:-pgdeck}.$2") / $(med "$OUT/$1-$4.$2")" %.3f 2>/dev/null || echo -; }
		for t in $PEERS; do
			for d in pgdeck pgdeck_nohost; do
				row "$d/$t" "$(ratio "$1" cpu "$d" "$t")" "$(ratio "$1" rss "$d" "$t")" "$(ratio "$1" bps "$d" "$t")" \
					"$(ratio "$1" sess "$d" "$t")" "$(ratio "$1" srv "$d" "$t")" "$(ratio "$1" bcpu "$d" "$t")" "$(ratio "$1" calls "$d" "$t")"
			done
		done
	}
	for t in $TOOLS; do
		summarise_tool "$t"
		summarise_tool "$t" p1all "$OUT/peers.tsv"
	done
	p1_table p1
	if [ "$WARMUP" != 0 ]; then
		echo "         the whole run (${WARMUP} s of start and the ${SECS} s window, scaled to 60 s):"
		p1_table p1all
	fi
	echo "         pgdeck's pool: min ${DB_POOL_MIN:-2}, max $POOL_MAX; pgdeck watched the primary only, as the peers do"
	awk 'NR > 1 { print $11 }' "$OUT/peers.tsv" > "$OUT/p1-load"
	echo "         machine load (1-min average) at the end of the windows: $(cell "$OUT/p1-load" %.2f)"
	echo
	# Per statement, the round with the median server time of each pgdeck.
	for t in pgdeck pgdeck_nohost; do
		_r=$(awk -v t="$t" 'NR > 1 && $1 == t { print $9, $2 }' "$P1_TSV" | sort -g |
			awk '{ r[NR] = $2 } END { if (NR) print r[int((NR + 1) / 2)] }')
		[ -n "$_r" ] && [ -f "$OUT/peer-$t-$_r.statements" ] || continue
		for _w in steady whole; do
			_sf=$OUT/peer-$t-$_r.statements _what="over the whole run"
			if [ $_w = steady ]; then
				[ "$WARMUP" != 0 ] || continue
				_sf=$OUT/peer-$t-$_r.steady.statements _what="over its ${SECS} s window after ${WARMUP} s"
			fi
			echo "$t's statements, round $_r (its median server time), $_what (pg_stat_statements):"
			printf '  %6s %6s %9s %9s %9s  %s\n' calls plans "plan ms" "exec ms" "ms/call" "statement (its first words)"
			awk -F'|' '{ t = $0; for (i = 0; i < 4; i++) sub(/^[^|]*[|]/, "", t)
				printf "  %6d %6d %9.2f %9.2f %9.3f  %s\n", $1, $2, $3, $4, ($1 ? ($3 + $4) / $1 : 0), t }' "$_sf"
			echo
		done
	done
} > "$OUT/table1.txt"

# BENCH_PART=1: table 1 and the aims it measures, then stop.
if [ "${BENCH_PART:-}" = 1 ]; then
	compare p1 "" "1 client CPU <= pg_top's (host figures on)|pgdeck|cpu|pg_top|1|s/60s" \
		"1 client CPU <= 1/2 of pg_top's (host figures off)|pgdeck_nohost|cpu|pg_top|2|s/60s" \
		"4 terminal bytes/s <= pg_top's|pgdeck|bps|pg_top|1|bytes/s"
	whole_run_figures
	{
		echo "pgdeck benchmark, part 1 alone (BENCH_PART=1), $(date '+%Y-%m-%d %H:%M:%S %Z'); load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
		echo "versions:   pgdeck ($(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null)$(git -C "$ROOT" diff --quiet HEAD 2>/dev/null || echo ', working tree modified')); raw data in $OUT"
		echo
		cat "$OUT/table1.txt"
		echo "Aims"
		cat "$AIMS_FILE"
	} > "$RESULTS"
	rm -f "$PGDECK" "$PTYKEYS" "$SLOWDNS"
	cat "$RESULTS"
	echo "results: $RESULTS"
	exit 0
fi
fi

# ------------------------------------------------------------ part 2: scale

if part_on 2; then
NPART=$((TABLES * PARTS))
say "part 2: fixture: $TABLES x $PARTS partitions, $MVIEWS materialized views, $STATEMENTS statements, $IDLE idle connections"
_t=$(now)
DB=bench q "DO \$\$
DECLARE t int; p int;
BEGIN
  FOR t IN 1..$TABLES LOOP
    EXECUTE format('CREATE TABLE bench_scale_%s (id bigint NOT NULL, created date NOT NULL, v int) PARTITION BY RANGE (created)', t);
    FOR p IN 0..$((PARTS - 1)) LOOP
      EXECUTE format('CREATE TABLE bench_scale_%s_%s PARTITION OF bench_scale_%s FOR VALUES FROM (%L) TO (%L)',
                     t, p, t, date '2018-01-01' + make_interval(months => p), date '2018-01-01' + make_interval(months => p + 1));
    END LOOP;
    EXECUTE format('INSERT INTO bench_scale_%s SELECT g, date ''2018-01-01'' + (g * 7 %% ($PARTS * 28)), g FROM generate_series(1, 1000) g', t);
    COMMIT;
  END LOOP;
END \$\$" || fail "cannot create the partitions"
DB=bench q "DO \$\$
DECLARE m int;
BEGIN
  FOR m IN 1..$MVIEWS LOOP
    EXECUTE format('CREATE MATERIALIZED VIEW bench_mv_%s AS SELECT v %% 10 AS k, count(*) AS n FROM bench_scale_%s_%s GROUP BY 1',
                   m, 1 + (m - 1) % $TABLES, (m - 1) % $PARTS);
    IF m % 2 = 0 THEN
      EXECUTE format('CREATE UNIQUE INDEX ON bench_mv_%s (k)', m);
    END IF;
    IF m % 20 = 0 THEN COMMIT; END IF;
  END LOOP;
END \$\$" || fail "cannot create the materialized views"
DB=bench q "VACUUM ANALYZE" > /dev/null 2>&1
# Distinct statements: one query per partition (the relation is part of the
# queryid, constants are not).
"$PGBIN/psql" -X -A -t -q -d bench > /dev/null 2> "$OUT/statements.log" <<EOF
SELECT format('SELECT count(*) FROM %I', relname) FROM pg_class
WHERE relname ~ '^bench_scale_[0-9]+_[0-9]+\$' ORDER BY relname LIMIT $STATEMENTS
\gexec
EOF
NSTAT=$(q "SELECT count(*) FROM pg_stat_statements")
printf '\\sleep 100000 s\n' > "$OUT/idle.sql"
PGAPPNAME=bench_idle "$PGBIN/pgbench" -n -c "$IDLE" -j 2 -T 100000 -f "$OUT/idle.sql" bench > "$OUT/pgbench-idle.log" 2>&1 &
IDLE_PID=$!
BG_PIDS="$BG_PIDS $IDLE_PID"
_i=0
while [ "$(q "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'bench_idle'")" -lt "$IDLE" ]; do
	[ $_i -gt 600 ] && fail "the $IDLE idle connections did not open"
	sleep 0.1
	_i=$((_i + 1))
done
NIDLE=$(q "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'bench_idle' AND state = 'idle'")
NPARTS_REAL=$(DB=bench q "SELECT count(*) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE c.relname LIKE 'bench_scale_%'")
NMV=$(DB=bench q "SELECT count(*) FROM pg_matviews")
say "  fixture in $(since "$_t") s: $NPARTS_REAL partitions, $NMV matviews, $NSTAT statements, $NIDLE idle"

# Which collector sent which queryid: run each collector's SQL file once
# under a probe role and read the queryid back (the queryid depends on the
# parse tree, not on the role).  $1 of activity.sql / statement_texts.sql
# is an array literal.
awk -F'"' '/\.name *= *"/ && /\.query *= *"queries\// {
	for (i = 1; i < NF; i++) { if ($i ~ /\.name *= *$/) n = $(i + 1); if ($i ~ /\.query *= *$/) f = $(i + 1) }
	sub(/^queries\//, "", f); print f, n }' "$ROOT"/src/subjects/*.c > "$OUT/collector-files.txt"
echo "statement_texts.sql statements" >> "$OUT/collector-files.txt"
# The partitions collector runs its signature query every run and reads
# partitions.sql only for the trees that changed.
echo "partitions_signature.sql partitions" >> "$OUT/collector-files.txt"
# The indexes collector reads its signature on most runs, indexes.sql
# when that changed or every 60 s.
echo "indexes_signature.sql indexes" >> "$OUT/collector-files.txt"
# index_health's tables have their own statement (it has parameters).
echo "index_health_tables.sql index_health" >> "$OUT/collector-files.txt"
: > "$OUT/queryids.txt"
# pgdeck writes the extension's schema into @extschema@ (looked up, quoted).
EXTSCHEMA=$(DB=bench q "SELECT quote_ident(n.nspname) FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
	WHERE e.extname = 'pg_stat_statements'")
while read -r file coll; do
	[ -f "$QUERIES/$file" ] || continue
	role_reset bench_probe
	arg=""
	grep -q '\$1' "$QUERIES/$file" && arg="('{}')"
	{ printf 'PREPARE bench_probe AS\n'; sed -e 's/;[[:space:]]*$//' -e "s/@extschema@/${EXTSCHEMA:-public}/g" "$QUERIES/$file"; printf '\n;\nEXECUTE bench_probe%s;\n' "$arg"; } |
		"$PGBIN/psql" -X -q -U bench_probe -d bench -v ON_ERROR_STOP=1 > /dev/null 2>> "$OUT/probe.log" ||
		echo "probe of $file failed" >> "$OUT/probe.log"
	case $file in statement_texts.sql | partitions.sql) main=extra ;; *) main=main ;; esac
	q "SELECT queryid FROM pg_stat_statements WHERE userid = 'bench_probe'::regrole
	   AND query !~* '^\\s*(DEALLOCATE|SELECT pg_stat_statements_reset)'" |
		while read -r qid; do echo "$qid $coll $main"; done >> "$OUT/queryids.txt"
done < "$OUT/collector-files.txt"

say "part 2: pgdeck --once and pgdeck check at scale, $STARTS times each"
time_runs once-scale "$STARTS" "$PGDECK" --once
time_runs check-scale "$STARTS" "$PGDECK" check
# Reading /proc for the backends (300 idle ones): the host collector's
# second reading in --once, in 5 runs; the median (one run is one sample,
# and one sample of a 5 ms read is noise).  The aim is judged on the CPU
# that reading ran (backends_read_cpu_ms, the pool thread's CPU clock):
# its wall time (backends_read_ms, printed beside) adds whatever else
# wants the 2 CPUs at that moment (--once's own main thread and the
# server's backends answering it), 3 to 60 ms for the same 3-5 ms of work.
: > "$OUT/proc-read.all"
for _i in 1 2 3 4 5; do
	with_servers "$PGDECK" --once --format json 2> /dev/null | python3 -c '
import json, sys
h = json.load(sys.stdin)["collectors"]["host"]
row = h["rows"][0]
r = dict(zip(h["columns"], row)) if isinstance(row, list) else row
print(r.get("backends_read") or "-", r.get("backends_read_cpu_ms") or "-", r.get("backends_read_ms") or "-")' >> "$OUT/proc-read.all" 2>> "$OUT/probe.log"
done
_ms=$(awk '$2 != "-" { print $2 }' "$OUT/proc-read.all" > "$OUT/proc-read.ms"; med "$OUT/proc-read.ms")
awk '$3 != "-" { print $3 }' "$OUT/proc-read.all" > "$OUT/proc-read.wall"
_n=$(awk '$1 != "-" { n = $1 } END { print n ? n : "-" }' "$OUT/proc-read.all")
echo "$_n $_ms" > "$OUT/proc-read.txt"

say "part 2: pgdeck at scale for $SCALE_SECS s (all four servers)"
role_reset bench_pgdeck
qr "SELECT pg_stat_statements_reset('bench_pgdeck'::regrole::oid)" > /dev/null 2>&1
printf '%s\n\\watch 0.5\n' "SELECT extract(epoch FROM clock_timestamp()), queryid, calls, total_exec_time + total_plan_time
 FROM pg_stat_statements(false) WHERE userid = 'bench_pgdeck'::regrole" |
	"$PGBIN/psql" -X -A -t -q -F ' ' -d postgres > "$OUT/scale-samples.txt" 2> "$OUT/sampler.log" &
SAMPLER_PID=$!
BG_PIDS="$BG_PIDS $SAMPLER_PID"
off=$(log_size)
SRV_ROLE=bench_pgdeck PANE_START_HOOK=srv_cpu_start PANE_END_HOOK=srv_cpu_end
pane_run scale "$SCALE_SECS" "env DATABASE_URL='$CONN_PRIMARY' DATABASE_READ_REPLICA_URL='$CONN_REPLICA' PGBOUNCER_URL='$PGBOUNCER_URL' REDIS_URL='$REDIS_URL' '$PGDECK' --stats '$OUT/scale.stats'"
PANE_START_HOOK=
PANE_END_HOOK=
sleep 1
kill -TERM "$SAMPLER_PID" 2>/dev/null
wait "$SAMPLER_PID" 2>/dev/null
SCALE_SESS=$(sessions_since "$off" bench_pgdeck)
q "SELECT queryid, calls, total_exec_time + total_plan_time, max_exec_time + max_plan_time,
          regexp_replace(left(query, 60), '\\s+', ' ', 'g')
   FROM pg_stat_statements WHERE userid = 'bench_pgdeck'::regrole" | tr '|' '\t' > "$OUT/scale-final.tsv"
# A queryid the probe did not see (a file edited since the binary was
# built, or a probe that failed): match the statement's first line, which
# is the file's opening comment, against the files.
while IFS='	' read -r qid _ _ _ first; do
	grep -q "^$qid " "$OUT/queryids.txt" && continue
	while read -r file coll; do
		[ -f "$QUERIES/$file" ] || continue
		line=$(head -n 1 "$QUERIES/$file" | tr -s ' \t' '  ' | cut -c1-40)
		case "$first" in "$line"*)
			case $file in statement_texts.sql | partitions.sql) main=extra ;; *) main=main ;; esac
			echo "$qid $coll $main" >> "$OUT/queryids.txt"
			echo "matched $qid to $file by its first line" >> "$OUT/probe.log"
			break ;;
		esac
	done < "$OUT/collector-files.txt"
done < "$OUT/scale-final.tsv"
REPLICA_SRV=$(qr "SELECT round(coalesce(sum(total_exec_time + total_plan_time), 0)::numeric, 3) || ' ' || coalesce(sum(calls), 0)
	   || ' ' || round(coalesce(max(max_exec_time + max_plan_time), 0)::numeric, 3)
	   FROM pg_stat_statements WHERE userid = 'bench_pgdeck'::regrole" 2>/dev/null)
kill -TERM "$IDLE_PID" 2>/dev/null
wait "$IDLE_PID" 2>/dev/null

# Per-run server time per collector from the samples: between two samples a
# collector ran d times (the calls of its main query) and its queries took
# t ms: d runs of t/d ms each.
awk -v qids="$OUT/queryids.txt" '
	BEGIN { while ((getline l < qids) > 0) { split(l, f, " "); coll[f[1]] = f[2]; kind[f[1]] = f[3] } }
	NF == 4 {
		if ($1 != ts) { flush(); ts = $1 }
		id = $2; c = (id in coll) ? coll[id] : "other"
		dc = $3 - pc[id]; dt = $4 - pt[id]; pc[id] = $3; pt[id] = $4
		acc[c] += dt
		if (c == "other" || kind[id] == "main") runs[c] += dc
	}
	function flush(  k, i) {
		for (k in acc) {
			if (runs[k] > 0) { for (i = 0; i < runs[k]; i++) print k, acc[k] / runs[k]; acc[k] = 0 }
			runs[k] = 0
		}
	}
	END { flush() }' "$OUT/scale-samples.txt" > "$OUT/scale-runs.txt"

LOAD_P2=$(loadavg)
read -r SC_EL SC_CPU SC_HWM _ < "$OUT/scale.proc"
SC_BYTES=$(wc -c < "$OUT/scale.tty" | tr -d ' ')
stat_of() { awk -v k="$1" '$1 == k { print $2; exit }' "$OUT/scale.stats" 2>/dev/null; }
coll_stat() {	# NAME FIELD -> from "collector NAME runs R failures F mean_ms M max_ms X cadence_s C"
	awk -v n="$1" -v f="$2" '$1 == "collector" && $2 == n { for (i = 3; i < NF; i += 2) if ($i == f) print $(i + 1) }' "$OUT/scale.stats" 2>/dev/null
}
: > "$OUT/scale-means.txt"
{
	echo "Part 2 - scale: $NPARTS_REAL partitions ($TABLES tables x $PARTS), $NIDLE idle connections, $NMV materialized views,"
	echo "         $NSTAT statements in pg_stat_statements; pgdeck with all four servers, ${COLS}x${ROWS}, 1 s, ${SCALE_SECS} s"
	echo "         server ms per run (plan + exec) from pg_stat_statements sampled every 0.5 s for pgdeck's role;"
	echo "         client ms = pgdeck's own send-to-result time (--stats); cadence = effective at exit"
	printf '%-16s %6s %9s %10s %10s %10s %12s %12s\n' collector runs "cadence s" "srv med" "srv max" "srv mean" "client mean" "client max"
	for c in $(awk '$1 == "collector" { print $2 }' "$OUT/scale.stats"); do
		grep "^$c " "$OUT/scale-runs.txt" | cut -d' ' -f2 > "$OUT/scale-$c.ms"
		set -- $(stats "$OUT/scale-$c.ms")
		_calls=$(awk -v qf="$OUT/queryids.txt" -v c="$c" 'BEGIN { while ((getline l < qf) > 0) { split(l, f, " "); if (f[2] == c) { w[f[1]] = f[3] } } }
			($1 in w) { if (w[$1] == "main") n += $2; t += $3 } END { if (n) printf "%.3f", t / n; else print "-" }' "$OUT/scale-final.tsv")
		if [ "$c" = replica ] && [ -n "$REPLICA_SRV" ]; then
			set -- $REPLICA_SRV
			_calls=$(awk -v t="$1" -v n="$2" 'BEGIN { if (n > 0) printf "%.3f", t / n; else print "-" }')
			set -- "-" "-" "$3" "-"
		fi
		printf '%-16s %6s %9s %10s %10s %10s %12s %12s\n' "$c" "$(coll_stat "$c" runs)" "$(coll_stat "$c" cadence_s)" \
			"$(calc "${1:--}" %.2f 2>/dev/null || echo -)" "$(calc "${3:--}" %.2f 2>/dev/null || echo -)" "$_calls" \
			"$(coll_stat "$c" mean_ms)" "$(coll_stat "$c" max_ms)"
		echo "$c ${_calls}" >> "$OUT/scale-means.txt"
	done
	_other=$(grep -c "^other " "$OUT/scale-runs.txt")
	_total=$(awk -F'\t' '{ t += $3 } END { printf "%.1f", t }' "$OUT/scale-final.tsv")
	CYCLE=$(awk '$2 != "-" { s += $2 } END { printf "%.2f", s }' "$OUT/scale-means.txt")
	CYCLE_MED=$(for c in $(awk '$1 == "collector" { print $2 }' "$OUT/scale.stats"); do med "$OUT/scale-$c.ms"; done |
		awk '$1 != "-" { s += $1 } END { printf "%.2f", s }')
	echo "$CYCLE" > "$OUT/scale-cycle.txt"
	echo "whole refresh cycle (every collector once): server $CYCLE ms (sum of means), $CYCLE_MED ms (sum of medians)"
	echo "server time in ${SC_EL} s: $_total ms on the primary ($(calc "$_total / $SC_EL" %.1f) ms/s); queries not from a collector: $_other"
	echo "client: CPU $SC_CPU s in $SC_EL s = $(calc "$SC_CPU / $SC_EL" %.4f) s/s; peak RSS $(calc "$SC_HWM / 1024" %.1f) MB; terminal $(calc "$SC_BYTES / $SC_EL" %.0f) bytes/s; sessions opened $SCALE_SESS"
	echo "machine load (1-min average) at the end: $LOAD_P2"
	echo "frames $(stat_of frames): mean $(stat_of frame_mean_ms) ms, median $(stat_of frame_median_ms) ms, p99 $(stat_of frame_p99_ms) ms, max $(stat_of frame_max_ms) ms"
	echo
} > "$OUT/table2.txt"

fi

# ------------------------------------------------------------ tables 3, 4

if part_on 3 && part_on 4; then
{
	echo "Part 3 - key-to-screen latency: '2' and '3' in turn through a pty (${COLS}x${ROWS}), each sent after 150 ms"
	echo "         without output; the time to pgdeck's first output byte after the key; ms; machine load $LOAD_P3"
	printf '%-34s %6s %8s %8s %8s %9s\n' condition keys p50 p99 max timeouts
	for k in idle stuck connecting; do
		case $k in idle) _d="database idle" ;; stuck) _d="primary stopped (SIGSTOP), stuck" ;;
		connecting) _d="connecting, DNS does not answer" ;; esac
		set -- $(awk '/^keys / { print $2, $4, $6, $8, $10 }' "$OUT/keys-$k.pty")
		printf '%-34s %6s %8s %8s %8s %9s\n' "$_d" "${1:-0}" "${2:--}" "${3:--}" "${4:--}" "${5:--}"
	done
	echo
	echo "Part 4 - start, $STARTS times each; ms from exec, median (max); machine load $LOAD_P4"
	printf '%-34s %16s %16s %22s %20s\n' condition "first byte" "title drawn" "primary shown up/down" "first complete frame"
	for k in up down; do
		case $k in up) _d="servers up" _m=title ;; down) _d="primary on a closed port" _m=down ;; esac
		_s() { set -- $(stats "$1"); printf '%s (%s)' "$1" "$3"; }
		if [ $k = up ]; then _pd="-"; else _pd=$(_s "$OUT/start-down.down"); fi
		printf '%-34s %16s %16s %22s %20s\n' "$_d" "$(_s "$OUT/start-$k.first")" "$(_s "$OUT/start-$k.title")" "$_pd" "$(_s "$OUT/start-$k.complete")"
	done
	echo "         (first complete frame = pgdeck --stats first_complete_frame_ms, from the start of its screen;"
	echo "          99999 = not within $LINGER s)"
	printf '%-34s %16s %16s\n' "wall ms, median (max)" "small database" "at scale"
	for k in once check; do
		_s() { set -- $(stats "$1"); printf '%s (%s)' "$1" "$3"; }
		printf '%-34s %16s %16s\n' "pgdeck $( [ $k = once ] && echo --once || echo check)" "$(_s "$OUT/$k-small.ms")" "$(_s "$OUT/$k-scale.ms")"
	done
	echo "reading /proc for the backends at scale (host collector, --once, median of 5 runs): $(cut -d' ' -f2 "$OUT/proc-read.txt") ms of CPU for $(cut -d' ' -f1 "$OUT/proc-read.txt") backends ($(rng "$OUT/proc-read.ms") ms); wall $(med "$OUT/proc-read.wall") ms ($(rng "$OUT/proc-read.wall") ms)"
	echo
	# Every run of pgdeck and the peers should end with exit status 0.
	for f in "$OUT"/start-*.pty "$OUT"/keys-*.pty; do
		[ -f "$f" ] || continue
		echo "$(basename "$f" .pty) $(awk '/^exit_status/ { print $2 } /^exit_signal/ { print "signal " $2 } /^exit_killed/ { print "killed" }' "$f")"
	done >> "$OUT/exits.txt"
	_bad=$(awk '$2 != "0" { printf "%s%s: %s", n++ ? ", " : "", $1, substr($0, length($1) + 2) }' "$OUT/exits.txt")
	if [ -z "$_bad" ]; then
		echo "Exits: all $(wc -l < "$OUT/exits.txt") runs of pgdeck and the peers ended with status 0"
	else
		echo "Exits: NOT CLEAN: $_bad (of $(wc -l < "$OUT/exits.txt") runs)"
	fi
	echo
} > "$OUT/table34.txt"
fi

# ------------------------------------------------------------ aims

m() { med "$OUT/p1-$1.$2"; }
# The aims of issue 14, each with its figure and the ratio to its bound
# (<= 1 passes).
goal() {	# goal TEXT FIGURE BOUND UNIT
	_r=$(calc "$2 / $3" %.2f 2>/dev/null || echo -)
	aim "$1" "$(le "$2" "$3")" "$(calc "$2" %.4g) vs $(calc "$3" %.4g) $4 (ratio $_r)"
}
if ! part_on 1; then
	:
elif [ -n "$PEERS" ] && echo "$PEERS" | grep -q pg_top && echo "$PEERS" | grep -q pg_activity; then
	goal "1 client CPU <= pg_top's (host figures on)" "$(m pgdeck cpu)" "$(m pg_top cpu)" s/60s
	goal "1 client CPU <= 1/2 of pg_top's (host figures off)" "$(m pgdeck_nohost cpu)" "$(calc "$(m pg_top cpu) / 2" %.4f)" s/60s
	goal "2 server CPU (backends, /proc) <= 1/5 of pg_activity's" "$(m pgdeck bcpu)" "$(calc "$(m pg_activity bcpu) / 5" %.2f)" ms/60s
	goal "2 server CPU (backends, /proc) <= 1/5 of pg_top's" "$(m pgdeck bcpu)" "$(calc "$(m pg_top bcpu) / 5" %.2f)" ms/60s
	goal "2 server time (plan+exec) <= 1/5 of pg_activity's" "$(m pgdeck srv)" "$(calc "$(m pg_activity srv) / 5" %.2f)" ms/60s
	goal "2 server time (plan+exec) <= 1/5 of pg_top's" "$(m pgdeck srv)" "$(calc "$(m pg_top srv) / 5" %.2f)" ms/60s
	goal "3 peak RSS <= pg_top's" "$(m pgdeck rss)" "$(m pg_top rss)" MB
	goal "4 terminal bytes/s <= pg_top's" "$(m pgdeck bps)" "$(m pg_top bps)" bytes/s
	whole_run_figures
else
	aim "comparisons with the peers" - "peers not installed"
fi
if part_on 1; then
_smax=$(stats "$OUT/p1-pgdeck.sess" | cut -d' ' -f3)
aim "  sessions opened = pool size (<= $POOL_MAX, no reconnects)" "$(le "$_smax" "$POOL_MAX")" "$(rng "$OUT/p1-pgdeck.sess" %d) per run"
fi
if part_on 2; then
goal "3 scale: peak RSS <= 12 MB" "$(calc "$SC_HWM / 1024" %.4f)" 12 MB	# not rounded to 12.00 first: 12,292 kB is over
goal "5 scale: pgdeck's server time <= 1 s per minute (primary)" "$(calc "$_total * 60 / $SC_EL" %.1f)" 1000 ms/min
_scpu=$(cat "$OUT/scale.srvcpu" 2>/dev/null || echo -)
aim "  scale: pgdeck's backends' CPU (/proc), for reference" - "$(calc "$_scpu * 1000 * 60 / $SC_EL" %.1f) ms/min"
goal "5 scale: partitions collector <= 50 ms mean per run" "$(awk '$1 == "partitions" { print $2 }' "$OUT/scale-means.txt")" 50 ms
# The first run reads every tree (a new session also fills its catalog
# caches); the runs after it read the signature and the trees that changed.
tail -n +2 "$OUT/scale-partitions.ms" > "$OUT/scale-partitions-later.ms" 2>/dev/null
goal "  scale: the same, the runs after the first" "$(stats "$OUT/scale-partitions-later.ms" | cut -d' ' -f4)" 50 ms
goal "5 scale: frame <= 1 ms (mean)" "$(stat_of frame_mean_ms)" 1 ms
fi
if part_on 4; then
goal "6 first complete frame <= 100 ms, servers up (median)" "$(med "$OUT/start-up.complete")" 100 ms
goal "6 pgdeck --once <= 150 ms, small database (median)" "$(med "$OUT/once-small.ms")" 150 ms
goal "6 pgdeck check <= 150 ms, small database (median)" "$(med "$OUT/check-small.ms")" 150 ms
fi
if part_on 2 && part_on 4; then
goal "6 pgdeck --once <= 300 ms at scale (median)" "$(med "$OUT/once-scale.ms")" 300 ms
goal "6 pgdeck check <= 300 ms at scale (median)" "$(med "$OUT/check-scale.ms")" 300 ms
fi
if part_on 2; then
goal "7 /proc for the backends <= 5 ms per sample ($(cut -d' ' -f1 "$OUT/proc-read.txt") backends, CPU)" "$(cut -d' ' -f2 "$OUT/proc-read.txt")" 5 ms
aim "  the same, wall time (for reference)" - "$(med "$OUT/proc-read.wall") ms ($(rng "$OUT/proc-read.wall") ms)"
fi
if part_on 3; then
for k in idle stuck connecting; do
	_p99=$(awk '/^keys / { print $6 }' "$OUT/keys-$k.pty")
	_n=$(awk '/^keys / { print $2 }' "$OUT/keys-$k.pty")
	[ "${_n:-0}" -ge 1 ] || _p99=-
	goal "8 key-to-screen p99 < 50 ms ($k, ${_n:-0} keys)" "${_p99:--}" 50 ms
done
fi
part_on 4 &&
aim "  first frame < 100 ms, primary down (median)" "$(lt "$(med "$OUT/start-down.down")" 100)" "$(med "$OUT/start-down.down") ms to 'primary: down'"

# ------------------------------------------------------------ part 5: fan-out

# Not with --quick, which must stay quick: sh tests/bench/bench-fanout.sh
# --quick is its smoke test.
if [ $QUICK = 0 ] && part_on 5; then
	say "part 5: fan-out (tests/bench/bench-fanout.sh)"
	PGDECK_BIN=$PGDECK BENCH_FANOUT_OUT=$OUT/fanout sh "$ROOT/tests/bench/bench-fanout.sh" \
		> /dev/null 2> "$OUT/fanout.log" || say "part 5 failed: see $OUT/fanout.log"
fi

# ------------------------------------------------------------ report

mem=$(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
cpu=$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)
{
	echo "pgdeck benchmark$( [ $QUICK = 1 ] && echo ' (quick: small scale, a smoke test, not for comparison)'), $(date '+%Y-%m-%d %H:%M:%S %Z')"
	echo "machine:    $(uname -srvmo)"
	echo "            $(nproc) CPUs ($cpu), $mem memory; load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "versions:   pgdeck $("$PGDECK" --version 2>/dev/null | head -n 1) ($(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null)$(git -C "$ROOT" diff --quiet HEAD 2>/dev/null || echo ', working tree modified'))"
	echo "            PostgreSQL $(q 'SHOW server_version'), $(pg_activity --version 2>/dev/null | head -n 1), $(pg_top -V 2>/dev/null | head -n 1), $(tmux -V), pgbench $("$PGBIN/pgbench" -V | awk '{ print $NF }')"
	echo "command:    sh tests/bench/bench.sh$( [ $QUICK = 1 ] && echo ' --quick'); raw data in $OUT"
	echo
	cat "$OUT/table1.txt" "$OUT/table2.txt" "$OUT/table34.txt" 2>/dev/null
	[ "$ONLY_PARTS" = "1 2 3 4 5" ] || printf 'Parts run: %s (BENCH_PARTS)\n\n' "$ONLY_PARTS"
	if ! part_on 5; then
		:
	elif [ $QUICK = 1 ]; then
		printf 'Part 5 - fan-out: not run with --quick (sh tests/bench/bench-fanout.sh --quick)\n\n'
	else
		cat "$OUT/fanout/table5.txt" 2>/dev/null || printf 'Part 5 - fan-out: failed, see %s\n\n' "$OUT/fanout.log"
	fi
	echo "Aims"
	cat "$AIMS_FILE"
	echo
	echo "took $(since "$T0") s"
} > "$RESULTS"
# The copy of the binary is not worth keeping; the raw figures are.
rm -f "$PGDECK" "$PTYKEYS" "$SLOWDNS"
cat "$RESULTS"
echo "results: $RESULTS"
