#!/bin/sh
# An EXPLAIN's plan that arrives while a confirmation is open waits behind
# it: the question stays on screen and answerable, the plan is shown after
# the answer, and both actions end (the journal has a line for each).
#
# The plan is made to arrive late by a lock: EXPLAIN does not run the
# query, but planning it takes ACCESS SHARE on the table (pgdeck takes it
# first, with LOCK TABLE, before it checks the table again and plans), so
# it waits while another session holds ACCESS EXCLUSIVE.  The lock is let
# go once the confirmation is open.
. tests/e2e/lib.sh

PGDECK=$(pgdeck_bin)
DB=e2e_confirm_queue_$$
S=e2e_cq
STATE=$(mktemp -d)
at_exit "rm -rf '$STATE'"
export XDG_STATE_HOME="$STATE" XDG_CONFIG_HOME="$STATE"
JOURNAL=$STATE/pgdeck/journal
# The EXPLAIN waits on the lock on a monitoring connection: give it more
# than the default 5 s statement_timeout, so the test does not race it.
export DB_STATEMENT_TIMEOUT=60000

q() { psql_q "$1" "dbname=$DB"; }
pid_of() { q "SELECT pid FROM pg_stat_activity WHERE query ~ '$1' AND pid <> pg_backend_pid()"; }
explain_waiting() {
	[ "$(q "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pgdeck' AND query LIKE 'LOCK TABLE %' AND wait_event_type = 'Lock'")" = 1 ]
}
explain_done() {
	[ "$(q "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pgdeck' AND (query LIKE 'EXPLAIN %' OR query LIKE 'LOCK TABLE %') AND state LIKE '%active%'")" = 0 ]
}
journaled() { [ -f "$JOURNAL" ] && grep -q "\"action\":\"$1\".*\"outcome\":\"$2\"" "$JOURNAL"; }

psql_q "CREATE DATABASE $DB" >/dev/null || { not_ok "create the test database"; tap_done; }
at_exit "psql -XAtq -c 'DROP DATABASE IF EXISTS $DB WITH (FORCE)' >/dev/null 2>&1"
q "CREATE SCHEMA $S; CREATE TABLE $S.lk AS SELECT g AS id FROM generate_series(1, 100) g" >/dev/null ||
	{ not_ok "create the fixtures"; tap_done; }

# The lock holder, and a query that waits behind it (the one EXPLAINed).
psql -XAtq -d "$DB" -c "BEGIN; LOCK TABLE $S.lk IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(120) /* cq-holder */" >/dev/null 2>&1 &
holder=$!
at_exit "kill $holder 2>/dev/null"
wait_until 10 sh -c "[ -n \"\$(psql -XAtq -d '$DB' -c \"SELECT pid FROM pg_stat_activity WHERE query ~ 'cq-h[o]lder'\")\" ]"
holder_pid=$(pid_of 'cq-h[o]lder')
psql -XAtq -d "$DB" -c "SELECT count(*) FROM $S.lk /* cq-waiter */" >/dev/null 2>&1 &
at_exit "kill $! 2>/dev/null"
wait_until 10 sh -c "[ -n \"\$(psql -XAtq -d '$DB' -c \"SELECT pid FROM pg_stat_activity WHERE query ~ 'cq-w[a]iter' AND wait_event_type = 'Lock'\")\" ]"
waiter_pid=$(pid_of 'cq-w[a]iter')

tmux_start main 160 50 "$PGDECK" -d "$DB" --interval 0.5
check "the console is up" tmux_wait_for main 'primary: up' 10
tmux_keys main 1 /
tmux_keys main -l "cq-waiter"
tmux_keys main Enter
check "the waiting query shows in the queries pane" tmux_wait_for main "$waiter_pid .*Lock:relation" 10

tmux_keys main e
check "the EXPLAIN waits for the lock on the server" wait_until 10 explain_waiting
tmux_keys main C
check "C opens its confirmation meanwhile" tmux_wait_for main "Cancel the query running in pid $waiter_pid;" 10

q "SELECT pg_cancel_backend($holder_pid)" >/dev/null
check "the lock is let go and the EXPLAIN ends on the server" wait_until 10 explain_done
check "pgdeck has the plan (the EXPLAIN is journaled)" wait_until 10 journaled explain ok
check "the confirmation is still on screen" tmux_wait_for main "Cancel the query running in pid $waiter_pid;" 2
check "and still asks" tmux_wait_for main "y: yes   n/Esc: no" 2
tmux_keys main n
check "n answers it: the cancel is declined" tmux_wait_for main "cancel pid $waiter_pid: cancelled, nothing changed" 5
check "then the plan is shown" tmux_wait_for main "EXPLAIN pid $waiter_pid \(not executed\)" 5
check "with PostgreSQL's plan" tmux_wait_for main "Aggregate  \(cost=" 2
tmux_keys main Escape
check "Esc closes it" tmux_wait_gone main "not executed" 5
check "the journal has the declined cancel" journaled cancel declined
check_eq "nothing is left running or waiting for an answer: q quits without asking" 0 \
	"$(tmux_keys main q; tmux_wait_exit main 5 && tmux_exit_status main)"
tap_done
