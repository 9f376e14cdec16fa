#!/bin/sh
# One session, all of it (issue 16, part 4), on screen: a session that
# waits for a lock another holds; Enter on it shows its ages, the lock it
# waits for (and on the holder, the lock it holds), its statement's
# figures, its full text; e from a session's details explains it.  A COPY
# shows its progress in the PROGRESS column (pg_stat_progress_copy).
. tests/e2e/lib.sh

PGDECK=$(pgdeck_bin)
DB=e2e_story_$$
STATE=$(mktemp -d)
at_exit "rm -rf '$STATE'"
export XDG_STATE_HOME="$STATE" XDG_CONFIG_HOME="$STATE"

psql_q "CREATE DATABASE $DB" >/dev/null || { not_ok "create the test database"; tap_done; }
at_exit "psql -XAtq -c 'DROP DATABASE IF EXISTS $DB WITH (FORCE)' >/dev/null 2>&1"
psql -Xq -v ON_ERROR_STOP=1 -d "$DB" >/dev/null <<SQL || { not_ok "create the fixtures"; tap_done; }
CREATE EXTENSION pg_stat_statements;
CREATE TABLE accounts (id int PRIMARY KEY, balance int);
INSERT INTO accounts SELECT g, 0 FROM generate_series(1, 1000) g;
CREATE TABLE landing (n int);
SQL

# The holder: locks the table and sleeps; the waiter: an UPDATE behind it.
psql -Xq -d "$DB" -c "BEGIN; LOCK accounts IN SHARE MODE; SELECT pg_sleep(60); COMMIT" >/dev/null 2>&1 &
holder=$!
at_exit "kill $holder 2>/dev/null"
held() { [ "$(psql -XAt -d "$DB" -c "SELECT count(*) FROM pg_locks WHERE relation = 'accounts'::regclass AND mode = 'ShareLock' AND granted")" = 1 ]; }
wait_until 10 held
psql -Xq -d "$DB" -c "UPDATE accounts SET balance = balance + 1 WHERE id = 7" >/dev/null 2>&1 &
waiter=$!
at_exit "kill $waiter 2>/dev/null"
# A COPY that lasts: its progress row stays while the program sleeps.
psql -Xq -d "$DB" -c "COPY landing FROM PROGRAM 'sleep 30; echo 1'" >/dev/null 2>&1 &
copier=$!
at_exit "kill $copier 2>/dev/null"
# A plain SELECT that lasts, for e.
psql -Xq -d "$DB" -c "SELECT count(*), pg_sleep(60) FROM landing" >/dev/null 2>&1 &
sleeper=$!
at_exit "kill $sleeper 2>/dev/null"

# filter TEXT: only the activity rows that hold TEXT, the first selected.
# (Esc in the prompt clears the filter before.)
filter() {
	tmux_keys main /
	tmux_keys main Escape
	tmux_keys main /
	tmux_keys main -l "$1"
	tmux_keys main Enter
}

tmux_start main 220 50 "$PGDECK" -d "$DB"
check "the console is up" tmux_wait_for main 'primary: up' 10
check "the COPY shows its progress" tmux_wait_for main 'active .* COPY FROM ' 15
filter "balance"
check "the waiting session is listed" tmux_wait_for main 'UPDATE accounts SET balance' 10
tmux_keys main Enter
# (A session that began after the snapshot's now() reads a few ms below zero.)
check "its details give its ages" tmux_wait_for main 'ages +query -?[0-9.]+m?s, transaction -?[0-9.]+m?s' 5
check "and the lock it waits for" tmux_wait_for main 'WAITS for +RowExclusiveLock (public\.)?accounts' 5
# The statements collector reads pg_stat_statements every 30 s while its
# pane is hidden; its first read can come after the console is up (it
# queues behind the first refresh's statements on a loaded machine):
# wait one of its cadences for it.
check "and its statement's figures, or why there are none" \
	tmux_wait_for main 'statement +(calls|not among|its text)' 35
check "and its whole text" tmux_wait_for main 'UPDATE accounts SET balance = balance \+ 1 WHERE id = 7' 5
tmux_keys main Escape
filter "SHARE MODE"
tmux_keys main Enter
check "the holder's details give the lock it holds" tmux_wait_for main 'locks held +ShareLock (public\.)?accounts' 10
tmux_keys main Escape
filter "pg_sleep(60) FROM"
tmux_keys main Enter
check "a plain SELECT's details" tmux_wait_for main 'SELECT count\(\*\), pg_sleep\(60\) FROM landing' 10
# It neither waits nor blocks: a refresh does not read its locks (issue
# 14); the details ask for them and show them when they come.
check "and the locks of a session that neither waits nor blocks" \
	tmux_wait_for main 'locks held +AccessShareLock (public\.)?landing' 10
tmux_keys main e
check "e from the details explains it" tmux_wait_for main 'Aggregate|Seq Scan on landing' 10
tmux_keys main Escape
tmux_keys main q
tmux_wait_exit main 10 >/dev/null

tap_done
