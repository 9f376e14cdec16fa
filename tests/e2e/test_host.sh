#!/bin/sh
# The database host, as an operator on it sees it: a backend spinning on
# CPU tops the queries pane sorted by CPU%, a backend scanning a large
# table shows read bytes per second, the data directory's disk figures are
# df's, a partitioned table that grows across samples gets a "disk full in
# N days" forecast that --once, check and the console all carry (and whose
# slope is the least-squares line through the samples in the history
# file), and a server whose pids are not in /proc (PGDECK_PROC_ROOT at an
# empty directory, reached over TCP) is honestly "not on this host", with
# blanks rather than zeros.  A role without pg_read_all_settings is told
# what it lacks for the data directory.
. tests/e2e/lib.sh

if [ -z "${PGDECK_PG_PORT:-}" ]; then
	not_ok "harness env.sh loaded (run: sh tests/harness.sh start)"
	tap_done
fi

TMP=$_LIB_TMP
# A copy of the binary under test: a rebuild of ./pgdeck while this test
# runs (others share the tree) cannot pull it from under us.
cp "$(pgdeck_bin)" "$TMP/pgdeck"
PGDECK=$TMP/pgdeck
T=e2ehost$$
APP=app_$T
BIG=big_$T
EVENTS=events_$T
ROLE=role_$T
PIDS=$TMP/pids
# A history of our own: the forecast starts from nothing and the user's
# real state directory is left alone.
XDG_STATE_HOME=$TMP/state
export XDG_STATE_HOME

cleanup() {
	[ -f "$PIDS" ] && while read -r p; do kill "$p" 2>/dev/null; done < "$PIDS"
	psql_q "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
	         WHERE application_name LIKE '$APP%'" >/dev/null 2>&1
	psql_q "DROP TABLE IF EXISTS $BIG, $EVENTS" >/dev/null 2>&1
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		psql_q "DROP ROLE IF EXISTS $ROLE" >/dev/null 2>&1 && break
		sleep 0.3
	done
}
at_exit cleanup

# background NAME SQL...: a psql session with application_name APP_NAME
# running the statements, in the background.
background() {
	_name=$1
	shift
	( PGAPPNAME=${APP}_$_name psql -XAtq -v ON_ERROR_STOP=1 "$@" >/dev/null 2>&1 &
	  echo $! >> "$PIDS" )
}
pid_of() { psql_q "SELECT pid FROM pg_stat_activity WHERE application_name = '${APP}_$1' LIMIT 1"; }
active() { [ "$(psql_q "SELECT count(*) FROM pg_stat_activity WHERE application_name = '${APP}_$1' AND state = 'active'")" -ge 1 ]; }

# cell SCREEN PID TITLE WIDTH: the right-aligned cell under TITLE in the row
# of PID (pgdeck runs with --ascii, so columns are bytes).
cell() {
	printf '%s\n' "$1" | awk -v pid="$2" -v title="$3" -v width="$4" '
		!end && index($0, " PID ") && index($0, title) {
			end = index($0, title) + length(title) - 1
			c = substr($0, end + 1, 1)
			if (c == "v" || c == "^") end++
			next
		}
		end && $2 == pid { s = substr($0, end - width + 1, width); gsub(/^ +| +$/, "", s); print s; exit }'
}
# bytes TEXT: "1.5 MB" as a number of bytes (0 for blank).
bytes() {
	printf '%s\n' "$1" | awk '{ v = $1 + 0; u = $2
		if (u == "kB") v *= 1024; else if (u == "MB") v *= 1048576; else if (u == "GB") v *= 1073741824
		printf "%d\n", v }'
}

# The large table for part 2, made while part 1 runs (unlogged: no WAL to
# write for it; about 120 MB).
( psql_q "CREATE UNLOGGED TABLE $BIG AS SELECT g, repeat('x', 200) AS pad FROM generate_series(1, 500000) g" \
	>/dev/null 2>&1; echo done > "$TMP/big.done" ) &

# ---- 1. the CPU-bound backend has the highest CPU% ---------------------------

background cpu -c "SET statement_timeout = '50s'" \
	-c "DO \$\$ DECLARE i bigint := 0; BEGIN LOOP i := i + 1; END LOOP; END \$\$"
background sleep -c "SET statement_timeout = '50s'" -c "SELECT pg_sleep(45)"
both_active() { active cpu && active sleep; }
check "the CPU-bound and the sleeping sessions are active" wait_until 10 both_active
CPU_PID=$(pid_of cpu)
SLEEP_PID=$(pid_of sleep)

tmux_start cpu 200 50 "$PGDECK" --ascii --interval 0.5
tmux_wait_for cpu 'load [0-9.]+ [0-9.]+ [0-9.]+  cpu +[0-9]+%' 15 &&
	ok "the host line shows load and CPU" || not_ok "the host line shows load and CPU"
tmux_keys cpu /
tmux_keys cpu -l "$APP"
tmux_keys cpu Enter
# Sort by CPU%: the 10th column (">" from the server's order reaches PID first).
for _ in 1 2 3 4 5 6 7 8 9 10; do tmux_keys cpu '>'; done
tmux_wait_for cpu 'CPU%v' 5 && ok "CPU% is a sortable column (descending)" || not_ok "CPU% is a sortable column"
first_pid() { tmux_capture cpu | awk '/ PID .*CPU%v/ { getline; print $2; exit }'; }
# First, and with its figure in (the first /proc sample gives none: CPU%
# is a difference between two samples, so an empty column sorts in the
# server's order and would put it first by chance).
cpu_first() {
	[ "$(first_pid)" = "$CPU_PID" ] &&
		[ -n "$(cell "$(tmux_capture cpu)" "$CPU_PID" "CPU%" 6 | tr -d ' %')" ]
}
if wait_until 10 cpu_first; then
	ok "sorted by CPU%, the CPU-bound backend ($CPU_PID) comes first"
else
	not_ok "sorted by CPU%, the CPU-bound backend ($CPU_PID) comes first"
	_lib_show_screen cpu
fi
SCREEN=$(tmux_capture cpu)
spin=$(cell "$SCREEN" "$CPU_PID" "CPU%" 6 | tr -d %)
idle=$(cell "$SCREEN" "$SLEEP_PID" "CPU%" 6 | tr -d %)
if awk -v a="$spin" -v b="$idle" 'BEGIN { exit !(a + 0 >= 5 && a + 0 > b + 0) }'; then
	ok "its CPU% ($spin%) is well above the sleeper's ($idle%)"
else
	not_ok "its CPU% ($spin%) is well above the sleeper's ($idle%)"
	_lib_show_screen cpu
fi
rss=$(cell "$SCREEN" "$CPU_PID" "RSS" 7)
case $rss in
*MB|*kB|*GB) ok "its resident memory is shown ($rss)" ;;
*) not_ok "its resident memory is shown (got '$rss')" ;;
esac
# Enter: the details say the same, in words.
tmux_keys cpu Home Enter
tmux_wait_for cpu 'resident memory +[0-9.]+ [kMG]B' 5 && ok "the details show CPU, memory and I/O" ||
	not_ok "the details show CPU, memory and I/O"
tmux_keys cpu Escape
psql_q "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
         WHERE application_name IN ('${APP}_cpu', '${APP}_sleep')" >/dev/null

# ---- 2. a backend reading a large table shows read bytes per second ----------

check "the large table is there" wait_until 40 test -f "$TMP/big.done"
FILE=$PGDECK_PGDATA/$(psql_q "SELECT pg_relation_filepath('$BIG')")
# Reads that reach the disk (what /proc/PID/io's read_bytes counts) need the
# table out of the page cache: written out, then dropped, before each scan.
cat > "$TMP/evict.py" <<'EOF'
import os, sys
fd = os.open(sys.argv[1], os.O_RDONLY)
os.fsync(fd)
os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
os.close(fd)
EOF
{
	echo "SET max_parallel_workers_per_gather = 0;"
	echo "SET statement_timeout = '20s';"
	i=0
	while [ $i -lt 100 ]; do
		echo "\\! python3 '$TMP/evict.py' '$FILE'"
		echo "SELECT count(*) FROM $BIG;"
		i=$((i + 1))
	done
} > "$TMP/scan.sql"
background scan -f "$TMP/scan.sql"
check "the scanning session runs" wait_until 10 active scan
SCAN_PID=$(pid_of scan)
reading() {
	_r=$(cell "$(tmux_capture cpu)" "$SCAN_PID" "READ/s" 8)
	[ "$(bytes "$_r")" -gt 0 ]
}
if wait_until 25 reading; then
	ok "the scanning backend shows read bytes per second ($(cell "$(tmux_capture cpu)" "$SCAN_PID" "READ/s" 8))"
else
	not_ok "the scanning backend shows read bytes per second"
	_lib_show_screen cpu
	diag "$(grep bytes /proc/"$SCAN_PID"/io 2>&1)"
fi
psql_q "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = '${APP}_scan'" >/dev/null
psql_q "DROP TABLE $BIG" >/dev/null
tmux_kill cpu

# ---- 3. the data directory's disk, as df sees it ---------------------------------

"$PGDECK" --once --format json > "$TMP/once.json" 2> "$TMP/once.err"
jq -e '.collectors.backends.error == null and (.collectors.backends.rows | length) > 0' "$TMP/once.json" >/dev/null &&
	ok "--once: the server is local over the unix socket, its backends are read" ||
	{ not_ok "--once: the server is local over the unix socket"; diag "$(jq -c .collectors.backends.error "$TMP/once.json")"; }
# pgdeck's own cost of that reading: its wall time and the CPU it ran (a
# thread's CPU cannot exceed its wall time; 0.1 ms for the clocks' steps).
host_cell() { jq -r --arg k "$1" '.collectors.host as $h | $h.rows[0][$h.columns | index($k)]' "$TMP/once.json"; }
check "host: the CPU the backends' reading ran is a figure within its wall time ($(host_cell backends_read_cpu_ms) of $(host_cell backends_read_ms) ms)" \
	awk -v c="$(host_cell backends_read_cpu_ms)" -v w="$(host_cell backends_read_ms)" \
	'BEGIN { exit !(c ~ /^[0-9.]+$/ && w ~ /^[0-9.]+$/ && c + 0 > 0 && c + 0 <= w + 0.1) }'
disk() { jq -r --arg k "$1" '.collectors.disks as $d | $d.rows[] | select(.[0] == "data_directory")
	| .[$d.columns | index($k)]' "$TMP/once.json"; }
df -B1 --output=size,used,avail,pcent "$PGDECK_PGDATA" | tail -1 > "$TMP/df"
read -r DF_TOTAL DF_USED DF_AVAIL DF_PCENT < "$TMP/df"
check_eq "disks: the data directory is the server's" "$PGDECK_PGDATA" "$(disk path)"
check_eq "disks: total is df's size" "$DF_TOTAL" "$(disk total)"
# Other processes write to this disk meanwhile: within 1 % of its size.
near() { awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= t * 0.01) }'; }
check "disks: used is df's used (within 1% of the disk)" near "$(disk used)" "$DF_USED" "$DF_TOTAL"
check "disks: free is df's available (within 1% of the disk)" near "$(disk free)" "$DF_AVAIL" "$DF_TOTAL"
pct=$(disk used_percent)
check "disks: used% rounds to df's Use% ($pct vs $DF_PCENT)" awk -v a="$pct" -v b="${DF_PCENT%\%}" \
	'BEGIN { d = a - b; exit !(d > -1.01 && d < 1.01) }'

# ---- 4. a growing partitioned table gets a forecast ------------------------------

psql_q "CREATE TABLE $EVENTS (id int, payload text) PARTITION BY RANGE (id);
        CREATE TABLE ${EVENTS}_a PARTITION OF $EVENTS FOR VALUES FROM (0) TO (1000000);
        CREATE TABLE ${EVENTS}_b PARTITION OF $EVENTS FOR VALUES FROM (1000000) TO (2000000)" >/dev/null
grow() {
	psql_q "INSERT INTO $EVENTS SELECT g, repeat('y', 500) FROM generate_series($1, $1 + 3999) g" >/dev/null
}
sample_row() {
	jq -c --arg n "public.$EVENTS" '.collectors.sizes as $s | $s.rows[] | select(.[1] == $n)
		| [ .[$s.columns | index("samples")], .[$s.columns | index("growth_per_day")],
		    .[$s.columns | index("days_to_full")], .[$s.columns | index("forecast_note")] ]' "$1"
}
for round in 1 2 3; do
	grow $((round * 10000))
	"$PGDECK" --once --format json > "$TMP/sizes$round.json" 2> "$TMP/sizes$round.err" ||
		diag "--once exited $?: $(cat "$TMP/sizes$round.err")"
	sleep 0.3
done
diag "after 1 and 2 samples: $(sample_row "$TMP/sizes1.json") $(sample_row "$TMP/sizes2.json")"
jq -e --arg n "public.$EVENTS" '.collectors.sizes as $s | $s.rows[] | select(.[1] == $n)
	| .[$s.columns | index("days_to_full")] == null' "$TMP/sizes2.json" >/dev/null &&
	ok "two samples are not yet a forecast" || not_ok "two samples are not yet a forecast"
ROW=$(sample_row "$TMP/sizes3.json")
diag "after 3 samples (samples, growth/day, days to full, note): $ROW"
GROWTH=$(printf '%s' "$ROW" | jq -r '.[1]')
DAYS=$(printf '%s' "$ROW" | jq -r '.[2]')
check "three samples across runs (the history file) make a forecast" \
	awk -v g="$GROWTH" -v d="$DAYS" 'BEGIN { exit !(g + 0 > 0 && d != "null" && d + 0 > 0) }'
HIST=$(ls "$XDG_STATE_HOME"/pgdeck/sizes/*.tsv 2>/dev/null | head -1)
check "the history is kept under \$XDG_STATE_HOME/pgdeck/sizes/" test -s "$HIST"
# The slope, recomputed from the file's samples by least squares.
SLOPE=$(awk -F '\t' -v n="public.$EVENTS" 'BEGIN { k = 0 } $2 == "partitioned_table" && $3 == n {
		t[k] = $1; y[k] = $4; k++ }
	END { for (i = 0; i < k; i++) { mt += t[i] - t[0]; my += y[i] }; mt /= k; my /= k
	      for (i = 0; i < k; i++) { d = t[i] - t[0] - mt; stt += d * d; sty += d * (y[i] - my) }
	      printf "%.0f\n", sty / stt * 86400 }' "$HIST")
check "growth per day is the least-squares slope of the file's samples ($GROWTH vs $SLOPE)" \
	awk -v a="$GROWTH" -v b="$SLOPE" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= 1 + b * 1e-6) }'
FREE=$(jq -r --arg n "public.$EVENTS" '.collectors.sizes as $s | $s.rows[] | select(.[1] == $n)
	| .[$s.columns | index("free")]' "$TMP/sizes3.json")
check "days to full is free space over growth" \
	awk -v f="$FREE" -v g="$GROWTH" -v d="$DAYS" 'BEGIN { e = f / g; x = d - e; if (x < 0) x = -x; exit !(x <= 0.05 + e * 0.001) }'

# check carries it: with a horizon longer than any forecast, it is raised.
printf '[alerts]\ndisk_full_days = 100000000\n' > "$TMP/far.ini"
grow 40000
"$PGDECK" --config "$TMP/far.ini" check > "$TMP/check.out" 2>&1
grep -Eq '^(WARNING|CRITICAL) disk_full: disk full in [0-9.]+ days' "$TMP/check.out" &&
	ok "check raises disk_full under the configured horizon" ||
	{ not_ok "check raises disk_full under the configured horizon"; diag "$(cat "$TMP/check.out")"; }
grep -q 'disk_full_days=[0-9.]*;100000000;25000000' "$TMP/check.out" &&
	ok "check's performance data carries disk_full_days" || not_ok "check's performance data carries disk_full_days"

# The console after a restart: the forecast is on the host line, from the
# history it loaded, even at 80x24; and on the alert line (wide, since the
# shared servers may have other alerts of their own).
tmux_start small 80 24 "$PGDECK" --ascii --config "$TMP/far.ini"
tmux_wait_for small 'data [0-9]+%, [0-9.]+[KMGT] free, full in [0-9.]+[hd]' 20 &&
	ok "80x24: the host line shows the forecast with the data disk" ||
	not_ok "80x24: the host line shows the forecast with the data disk"
tmux_capture small | grep -q 'QUERY' && ok "80x24: the query column still fits" || not_ok "80x24: the query column still fits"
tmux_kill small
tmux_start wide 400 50 "$PGDECK" --ascii --config "$TMP/far.ini"
# The soonest to fill it is the table, or the database that holds it.
tmux_wait_for wide 'disk full in [0-9.]+ days < 100000000: [^ ]+ \((table public\.'"$EVENTS"'|database pgdeck) grows' 20 &&
	ok "the alert line names the disk and what grows" || not_ok "the alert line names the disk and what grows"
tmux_kill wide

# ---- 5. a server that is not on this host ---------------------------------------

mkdir -p "$TMP/noproc"
TCP="host=127.0.0.1 port=$PGDECK_PG_PORT user=postgres dbname=pgdeck"
PGDECK_PROC_ROOT=$TMP/noproc "$PGDECK" --once --format json "$TCP" > "$TMP/far.json" 2>/dev/null
jq -r '.collectors.backends.error' "$TMP/far.json" | grep -q '^host figures need pgdeck on the database host' &&
	ok "--once over TCP, pids not in /proc: backends say the host is needed" ||
	{ not_ok "--once over TCP, pids not in /proc: backends say the host is needed"; diag "$(jq -c .collectors.backends "$TMP/far.json")"; }
jq -e '[.collectors.host.error, .collectors.disks.error] | all(. != null and startswith("host figures need"))' \
	"$TMP/far.json" >/dev/null && ok "--once: host and disks carry the same message, no figures" ||
	not_ok "--once: host and disks carry the same message"
jq -e '.alerts | map(select(.name == "disk_full")) | length == 0' "$TMP/far.json" >/dev/null &&
	ok "--once: no disk_full alert from a guess" || not_ok "--once: no disk_full alert from a guess"
"$PGDECK" --once --format json "$TCP" > "$TMP/tcp.json" 2>/dev/null
jq -e '.collectors.backends.error == null' "$TMP/tcp.json" >/dev/null &&
	ok "--once over TCP to 127.0.0.1 with the real /proc: local" || not_ok "--once over TCP to 127.0.0.1: local"

tmux_start far 120 40 env PGDECK_PROC_ROOT="$TMP/noproc" "$PGDECK" --ascii "$TCP"
tmux_wait_for far 'host figures need pgdeck on the database host' 15 &&
	ok "console: the host line says pgdeck must run on the database host" ||
	not_ok "console: the host line says pgdeck must run on the database host"
tmux_capture far | grep -q 'CPU%' && ok "console: the CPU% column is there" || not_ok "console: the CPU% column is there"
if tmux_capture far | grep -Eq '^\| +[0-9]+ .* 0\.0% '; then
	not_ok "console: no zeros in place of host figures"
	_lib_show_screen far
else
	ok "console: no zeros in place of host figures"
fi
tmux_kill far

# ---- 6. a role that may not see data_directory --------------------------------------

psql_q "CREATE ROLE $ROLE LOGIN" >/dev/null
"$PGDECK" --once --format json "host=127.0.0.1 port=$PGDECK_PG_PORT user=$ROLE dbname=pgdeck" > "$TMP/np.json" 2>/dev/null
jq -r '.collectors.disks as $d | $d.rows[] | select(.[0] == "data_directory") | .[$d.columns | index("error")]' \
	"$TMP/np.json" | grep -q 'needs superuser or pg_read_all_settings' &&
	ok "without pg_read_all_settings the disks say what is missing" ||
	{ not_ok "without pg_read_all_settings the disks say what is missing"; diag "$(jq -c .collectors.disks "$TMP/np.json")"; }
jq -e '.collectors.backends.error == null and .collectors.host.error == null' "$TMP/np.json" >/dev/null &&
	ok "...while its own backend still proves the server local" || not_ok "...while its own backend still proves the server local"
# A member of pg_read_all_settings that is not a superuser reads the path
# (host_paths.sql asks current_setting() of such a role only).
psql_q "GRANT pg_read_all_settings TO $ROLE" >/dev/null
"$PGDECK" --once --format json "host=127.0.0.1 port=$PGDECK_PG_PORT user=$ROLE dbname=pgdeck" > "$TMP/rs.json" 2>/dev/null
check_eq "with pg_read_all_settings (not a superuser) the data directory is read" "$PGDECK_PGDATA" \
	"$(jq -r '.collectors.disks as $d | $d.rows[] | select(.[0] == "data_directory") | .[$d.columns | index("path")]' "$TMP/rs.json")"

tap_done
