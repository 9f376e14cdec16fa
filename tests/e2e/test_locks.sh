#!/bin/sh
# Pane 7, Locks, against the real server: a three-level chain (A holds
# SHARE on t1; B holds ACCESS EXCLUSIVE on t2 and waits for EXCLUSIVE on
# t1; C reads t2) and a two-session cycle that PostgreSQL has not yet
# called a deadlock (D and E each hold one table and want the other's, with
# deadlock_timeout raised for them).  The tree on screen and in --once
# JSON: the root first with its count, its waiters indented under it, the
# cycle shown once and marked; the alert past a low threshold (and not
# past a high one); check reports it; the cursor starts on the root; C on
# the waiter C cancels C's query, K on the root terminates A and B gets
# its lock; both journaled.
. tests/e2e/lib.sh

PGDECK=$(pgdeck_bin)
DB=e2e_locks_$$
S=e2e_lk
TMP=$(mktemp -d "${TMPDIR:-/tmp}/pgdeck-locks.XXXXXX")
at_exit "rm -rf '$TMP'"
export XDG_STATE_HOME="$TMP/state" XDG_CONFIG_HOME="$TMP/config"
JOURNAL=$XDG_STATE_HOME/pgdeck/journal
UTF8="LC_ALL=C.UTF-8 LANG=C.UTF-8"
# Slow queries are not this test's subject: their alert stays off the line.
printf '[alerts]\nlock_wait_seconds = 1\nslow_query_ms = 100000000\n' > "$TMP/low.ini"
printf '[alerts]\nlock_wait_seconds = 100000\n' > "$TMP/high.ini"

q() { psql_q "$1" "dbname=$DB"; }
# pid_of NAME: the backend of session NAME (its application_name).
pid_of() { q "SELECT pid FROM pg_stat_activity WHERE application_name = 'lk-$1'"; }
waits() { [ "$(q "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'lk-$1' AND wait_event_type = 'Lock'")" = 1 ]; }
holds() { [ "$(q "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid) WHERE a.application_name = 'lk-$1' AND l.relation = '$S.$2'::regclass AND l.granted")" = 1 ]; }

psql_q "CREATE DATABASE $DB" >/dev/null || { not_ok "create the test database"; tap_done; }
at_exit "psql -XAtq -c 'DROP DATABASE IF EXISTS $DB WITH (FORCE)' >/dev/null 2>&1"
q "CREATE SCHEMA $S; CREATE TABLE $S.t1 (id int); CREATE TABLE $S.t2 (id int);
   CREATE TABLE $S.c1 (id int); CREATE TABLE $S.c2 (id int); CREATE TABLE $S.t3 (id int)" >/dev/null || { not_ok "create the tables"; tap_done; }

# One psql per session, reading its fifo; fds 3-9 keep the fifos open.
for s in A B C D E F G; do
	mkfifo "$TMP/$s"
	psql -Xq -d "dbname=$DB application_name=lk-$s" <"$TMP/$s" >"$TMP/$s.out" 2>&1 &
	at_exit "kill $! 2>/dev/null"
done
exec 3>"$TMP/A" 4>"$TMP/B" 5>"$TMP/C" 6>"$TMP/D" 7>"$TMP/E" 8>"$TMP/F" 9>"$TMP/G"

echo "BEGIN; LOCK TABLE $S.t1 IN SHARE MODE;" >&3
check "A holds SHARE on t1" wait_until 10 holds A t1
echo "BEGIN; LOCK TABLE $S.t2 IN ACCESS EXCLUSIVE MODE; LOCK TABLE $S.t1 IN EXCLUSIVE MODE;" >&4
check "B waits for A" wait_until 10 waits B
echo "SELECT count(*) FROM $S.t2 /* lk-C */;" >&5
check "C waits for B" wait_until 10 waits C
# The cycle: deadlock_timeout (superuser-only) long enough that the
# server leaves it in place for the whole test.
echo "SET deadlock_timeout = '250s'; BEGIN; LOCK TABLE $S.c1 IN ACCESS EXCLUSIVE MODE;" >&6
echo "SET deadlock_timeout = '250s'; BEGIN; LOCK TABLE $S.c2 IN ACCESS EXCLUSIVE MODE;" >&7
check "D and E hold a table each" wait_until 10 sh -c "$(command -v psql) -XAtq -d 'dbname=$DB' -c \"SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid) WHERE a.application_name IN ('lk-D', 'lk-E') AND l.mode = 'AccessExclusiveLock' AND l.granted AND l.locktype = 'relation'\" | grep -qx 2"
echo "LOCK TABLE $S.c2 IN ACCESS EXCLUSIVE MODE;" >&6
check "D waits for E" wait_until 10 waits D
echo "LOCK TABLE $S.c1 IN ACCESS EXCLUSIVE MODE;" >&7
check "E waits for D: a cycle" wait_until 10 waits E
A=$(pid_of A) B=$(pid_of B) C=$(pid_of C) D=$(pid_of D) E=$(pid_of E)
at_exit "psql -XAtq -d 'dbname=$DB' -c \"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name LIKE 'lk-%'\" >/dev/null 2>&1"
if [ "$D" -lt "$E" ]; then LOW=$D HIGH=$E; else LOW=$E HIGH=$D; fi
check_eq "the server sees the chain and the cycle" "$A|$B|$D|$E" \
	"$(q "SELECT array_to_string(pg_blocking_pids($B), ',') || '|' || array_to_string(pg_blocking_pids($C), ',') || '|' ||
	          array_to_string(pg_blocking_pids($E), ',') || '|' || array_to_string(pg_blocking_pids($D), ',')")"
# Past the 1 s threshold of the low config.
sleep 1.5

# ---- --once JSON
"$PGDECK" -d "$DB" --config "$TMP/low.ini" --once --format json > "$TMP/once.json" 2> "$TMP/once.err"
check_eq "--once --format json exits 0" 0 $?
tree_check() {
	python3 - "$TMP/once.json" "$A" "$B" "$C" "$LOW" "$HIGH" <<'EOF'
import json, sys
doc = json.load(open(sys.argv[1]))
a, b, c, low, high = sys.argv[2:]
lk = doc["collectors"]["locks"]
rows = [dict(zip(lk["columns"], r)) for r in lk["rows"]]
mine = [r for r in rows if r["pid"] in (a, b, c, low, high)]
got = [(r["tree"], r["depth"], r["root"], r["parent"], r["waiters"], r["cycle"]) for r in mine]
want = [
    (a, "0", a, None, "2", "f"),
    ("| " + b, "1", a, a, None, "f"),
    ("| | " + c, "2", a, b, None, "f"),
    (low + " cycle", "0", low, None, "1", "t"),
    ("| " + high + " cycle", "1", low, low, None, "t"),
]
if got != want:
    sys.exit("tree %r, want %r" % (got, want))
if mine[3]["cycle_path"] != "%s > %s > %s" % (low, high, low):
    sys.exit("cycle_path %r" % mine[3]["cycle_path"])
b_row = mine[1]
if (b_row["lock_mode"], b_row["lock_type"], b_row["relation"]) != ("ExclusiveLock", "relation", "e2e_lk.t1"):
    sys.exit("B waits for %r" % ((b_row["lock_mode"], b_row["lock_type"], b_row["relation"]),))
# longest_wait is written to the millisecond, a row's wait to the microsecond
if float(b_row["wait"]) < 1 or float(mine[0]["longest_wait"]) < round(float(b_row["wait"]), 3) - 0.0005:
    sys.exit("waits: B %s, longest behind A %s" % (b_row["wait"], mine[0]["longest_wait"]))
if mine[0]["state"] != "idle in transaction" or not mine[0]["backend_start"]:
    sys.exit("root %r" % mine[0])
if mine[2]["query"] != "SELECT count(*) FROM e2e_lk.t2 /* lk-C */;":
    sys.exit("C's query %r" % mine[2]["query"])
texts = [x["text"] for x in doc["alerts"] if x["name"] == "lock_wait"]
if len(texts) != 1 or not texts[0].startswith("2 sessions wait behind pid %s for " % a) or "1 more blocker" not in texts[0]:
    sys.exit("lock_wait alert %r" % texts)
EOF
}
check "--once JSON: A's tree (B under A, C under B, A's count 2), the cycle once from its lower pid, marked, the lock_wait alert" tree_check
"$PGDECK" -d "$DB" --config "$TMP/high.ini" --once --format json > "$TMP/high.json" 2>&1
check "below the threshold: no lock_wait alert" sh -c "! grep -q '\"lock_wait\"' '$TMP/high.json' && grep -q '\"locks\"' '$TMP/high.json'"
"$PGDECK" -d "$DB" --config "$TMP/low.ini" check > "$TMP/check.out" 2>&1
rc=$?
check "check: exit 1 or 2, the lock_wait alert and its performance data" \
	sh -c "[ $rc -eq 1 -o $rc -eq 2 ] && grep -q '^\\(WARNING\\|CRITICAL\\) lock_wait: 2 sessions wait behind pid $A for' '$TMP/check.out' && grep -q 'longest_lock_wait=[0-9.]*s;1;10' '$TMP/check.out'"

# ---- the console: pane 7 at 100x30 (a pane at a time, the whole width)
tmux_start main 100 30 env $UTF8 "$PGDECK" -d "$DB" --config "$TMP/low.ini" --interval 0.5
check "the console is up" tmux_wait_for main 'primary: up' 10
tmux_keys main 7
check "7 shows the Locks pane" tmux_wait_for main '^┌ 7 Locks' 5
# pane_row N: the pane's Nth row under its column titles, blanks squeezed.
pane_row() { tmux_capture main | grep -A8 '^│PID ' | tail -n +2 | tr -s ' ' | sed -n "$1p"; }
row_is() { pane_row "$1" | grep -Eq -- "$2"; }
check "the root A first, with 2 waiting behind it" wait_until 5 row_is 1 "^│$A 2 "
check "under A, B indented, waiting for EXCLUSIVE on t1" row_is 2 "^│\\| $B [0-9.ms]+ ExclusiveLock e2e_lk\\.t1 "
check "under B, C indented again, waiting for ACCESS SHARE on t2" row_is 3 "^│\\| \\| $C [0-9.ms]+ AccessShareLock e2e_lk\\.t2 "
check "the cycle from its lower pid, marked, with 1 waiting" tmux_wait_for main "^│$LOW cycle +1 " 5
check "its other member under it, marked" tmux_wait_for main "^│\\| $HIGH cycle " 5
check_eq "each member of the cycle shown once" "1 1" \
	"$(tmux_capture main | grep -c "^│\\(| \\)*$LOW cycle") $(tmux_capture main | grep -c "^│\\(| \\)*$HIGH cycle")"
check "the header counts them and names the cycle" tmux_wait_for main "4 waiting behind 2 blockers, longest [0-9.]+s; cycle $LOW > $HIGH > $LOW" 5
check "the alert line says who waits behind whom" tmux_wait_for main "2 sessions wait behind pid $A for [0-9]+ s \\(> 1 s\\); 1 more blocker" 5

# A young wait: G holds SHARE on t3 and F asks for EXCLUSIVE.  The pane
# shows a blocker's tree once a wait in it has lasted 1 s (under an OLTP
# load waits of a few ms come and go every refresh): captured every 0.1 s
# from the moment F asks, the first capture that shows F shows a wait of
# 1 s or more.
echo "BEGIN; LOCK TABLE $S.t3 IN SHARE MODE;" >&9
check "G holds SHARE on t3" wait_until 10 holds G t3
G=$(pid_of G) F=$(pid_of F)
echo "BEGIN; LOCK TABLE $S.t3 IN EXCLUSIVE MODE;" >&8
first_wait=
i=0
while [ $i -lt 60 ]; do
	first_wait=$(tmux_capture main | tr -s ' ' | sed -n "s/^│| $F \([0-9.]*[a-z]*\) .*/\1/p" | head -1)
	[ -n "$first_wait" ] && break
	sleep 0.1
	i=$((i + 1))
done
check "F's wait behind G shows up" test -n "$first_wait"
check "no sooner than 1 s into it (first seen: $first_wait)" sh -c "echo '$first_wait' | grep -Eq '^[1-9][0-9]*(\.[0-9]+)?s\$'"
check "G is its root" sh -c "tmux -L pgdeck-main-$$ capture-pane -p -t main | tr -s ' ' | grep -q '^│$G 1 '"
echo "ROLLBACK;" >&9
echo "ROLLBACK;" >&8
check "the young tree is gone with its locks" tmux_wait_gone main "^│$G " 5

# The cursor starts on the root.
tmux_keys main Enter
check "Enter on the first row tells A's story" tmux_wait_for main "session pid $A: idle in transaction" 5
check "its waiter's query and lock are in it" tmux_wait_for main "wants ExclusiveLock on e2e_lk\\.t1 \\(a relation lock\\)" 5
tmux_keys main Escape

# ---- C on the waiter C
tmux_keys main j j Enter
check "two rows down is C" tmux_wait_for main "session pid $C: active" 5
check "C's story: its lock, and the query of B it waits for" sh -c "tmux -L pgdeck-main-$$ capture-pane -p -t main | grep -q 'waits for AccessShareLock on e2e_lk.t2 (a relation lock)' &&
	tmux -L pgdeck-main-$$ capture-pane -p -t main | grep -q 'LOCK TABLE e2e_lk.t1 IN EXCLUSIVE MODE;'"
tmux_keys main Escape
tmux_keys main C
check "C asks to cancel C's query" tmux_wait_for main "Cancel the query running in pid $C;" 5
tmux_keys main y
cancelled() { ! waits C && grep -q 'canceling statement due to user request' "$TMP/C.out"; }
check "the server cancelled C's query (C no longer waits; its client was told)" wait_until 10 cancelled
check "B still waits for A" waits B
check "C is gone from the tree" tmux_wait_gone main "^│\\| \\| $C " 5

# ---- K on the root A
tmux_keys main g Enter
check "Home: the root again" tmux_wait_for main "session pid $A: idle in transaction" 5
tmux_keys main Escape K
check "K asks to terminate A" tmux_wait_for main "Terminate the session pid $A:" 5
tmux_keys main y
a_gone() { [ -z "$(pid_of A)" ]; }
check "the server ended A" wait_until 10 a_gone
b_proceeds() { [ "$(q "SELECT state FROM pg_stat_activity WHERE application_name = 'lk-B' AND wait_event_type IS DISTINCT FROM 'Lock'")" = "idle in transaction" ]; }
check "B got its lock and went on" wait_until 10 b_proceeds
check "the chain is gone: the cycle is the first row now" wait_until 5 row_is 1 "^│$LOW cycle 1 "
check "A's row is gone" tmux_wait_gone main "^│$A " 5

check "the journal has the cancel of C" sh -c "grep '\"action\":\"cancel\"' '$JOURNAL' | grep -q 'pid $C.*\"outcome\":\"ok\"'"
check "the journal has the terminate of A" sh -c "grep '\"action\":\"terminate\"' '$JOURNAL' | grep -q 'pid $A.*\"outcome\":\"ok\"'"

tmux_keys main q
tmux_wait_exit main 5 && check_eq "q exits 0" 0 "$(tmux_exit_status main)"
exec 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&-
tap_done
