#!/bin/sh
# The queries pane's row styles (issue 14, terminal bytes): a session
# blocked behind another is marked critical (the theme's row_crit, bright
# red) only once its query has run longer than slow_query_ms.  Under a
# busy OLTP (pgbench's branches) row-lock waits of a few ms come and go
# every second: marking each one rewrote the whole row twice, on and off.
# The blocker still shows in the BLOCKED cell either way.
. tests/e2e/lib.sh

PGDECK=$(pgdeck_bin)
DB=e2e_rowstyle_$$
S=e2e_rs
TMP=$(mktemp -d "${TMPDIR:-/tmp}/pgdeck-rowstyle.XXXXXX")
at_exit "rm -rf '$TMP'"
export XDG_STATE_HOME="$TMP/state" XDG_CONFIG_HOME="$TMP/config"
UTF8="LC_ALL=C.UTF-8 LANG=C.UTF-8"
printf '[alerts]\nslow_query_ms = 100000000\nlock_wait_seconds = 100000\n' > "$TMP/patient.ini"
printf '[alerts]\nslow_query_ms = 200\nlock_wait_seconds = 100000\n' > "$TMP/quick.ini"

q() { psql_q "$1" "dbname=$DB"; }
pid_of() { q "SELECT pid FROM pg_stat_activity WHERE application_name = 'rs-$1'"; }
waits() { [ "$(q "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'rs-$1' AND wait_event_type = 'Lock'")" = 1 ]; }

psql_q "CREATE DATABASE $DB" >/dev/null || { not_ok "create the test database"; tap_done; }
at_exit "psql -XAtq -c 'DROP DATABASE IF EXISTS $DB WITH (FORCE)' >/dev/null 2>&1"
q "CREATE SCHEMA $S; CREATE TABLE $S.t (id int)" >/dev/null || { not_ok "create the table"; tap_done; }

for s in A B; do
	mkfifo "$TMP/$s"
	psql -Xq -d "dbname=$DB application_name=rs-$s" <"$TMP/$s" >"$TMP/$s.out" 2>&1 &
	at_exit "kill $! 2>/dev/null"
done
exec 3>"$TMP/A" 4>"$TMP/B"
holds() { [ "$(q "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid) WHERE a.application_name = 'rs-A' AND l.relation = '$S.t'::regclass AND l.granted")" = 1 ]; }
echo "BEGIN; LOCK TABLE $S.t IN ACCESS EXCLUSIVE MODE;" >&3
check "A holds the table" wait_until 10 holds
echo "SELECT count(*) FROM $S.t;" >&4
check "B waits for A" wait_until 10 waits B
A=$(pid_of A) B=$(pid_of B)

# B's row as tmux shows it, with its attributes: the line with B's pid
# and its blocker's.
b_row() { tmux_capture "$1" -e | grep -F " $B " | grep -F " $A " | head -n 1; }
crit() { b_row "$1" | grep -q '\[[0-9;]*91[;m]'; }

tmux_start patient 120 40 env $UTF8 "$PGDECK" -d "$DB" --config "$TMP/patient.ini" --interval 0.5
check "the console is up" tmux_wait_for patient 'primary: up' 10
check "B's row names its blocker" tmux_wait_for patient "^│ +$B .* $A " 10
sleep 1.5
if crit patient; then
	not_ok "B, blocked for less than slow_query_ms, is not marked critical"
	diag "$(b_row patient | cat -v)"
else
	ok "B, blocked for less than slow_query_ms, is not marked critical"
fi
tmux_kill patient

tmux_start quick 120 40 env $UTF8 "$PGDECK" -d "$DB" --config "$TMP/quick.ini" --interval 0.5
check "the console is up (slow_query_ms = 200)" tmux_wait_for quick 'primary: up' 10
check "B's row names its blocker (slow_query_ms = 200)" tmux_wait_for quick "^│ +$B .* $A " 10
if wait_until 5 crit quick; then
	ok "B, blocked for longer than slow_query_ms, is marked critical"
else
	not_ok "B, blocked for longer than slow_query_ms, is marked critical"
	diag "$(b_row quick | cat -v)"
fi
tmux_kill quick

tap_done
