#!/bin/sh
# An action acts on the row the operator saw and confirmed, or on nothing:
#
#  (a) the queries pane's row order changes between what the screen shows
#      and the key press (a session listed before the selected one ends, a
#      new one appears): C still cancels the session that was highlighted.
#      The screen is held on its last frame by making the terminal too
#      small to draw (pgdeck then draws no pane), which is what the redraw
#      hold after each snapshot does for a few ms; the newer snapshot is
#      waited for on the server (pg_stat_statements counts pgdeck's
#      activity query);
#  (b) K previewed, the session ends before the yes: refused with the
#      reason, and no pg_terminate_backend reaches the server;
#  (c) x previewed on an INVALID index that is made valid (REINDEX) before
#      the yes: refused, the index stays;
#  (d) r previewed, the view dropped and created again under the same name
#      before the yes: refused, naming both OIDs; the new view is not
#      refreshed (the operator confirmed the old one: pressing r again
#      previews the new one).
# The journal records each refusal.
. tests/e2e/lib.sh

PGDECK=$(pgdeck_bin)
DB=e2e_selection_$$
S=e2e_sel
STATE=$(mktemp -d)
at_exit "rm -rf '$STATE'"
export XDG_STATE_HOME="$STATE" XDG_CONFIG_HOME="$STATE"
JOURNAL=$STATE/pgdeck/journal
PLAN=$STATE/plan.sql
echo "-- no planned index: the pane lists the catalog's" > "$PLAN"

q() { psql_q "$1" "dbname=$DB"; }
# The pid of the session running the query tagged $1 (the pattern is
# written so that this query's own text does not match it).
pid_of() { q "SELECT pid FROM pg_stat_activity WHERE query ~ 'sel[q]$1' AND state = 'active'"; }
running() { [ -n "$(pid_of "$1")" ]; }
gone() { [ -z "$(q "SELECT pid FROM pg_stat_activity WHERE pid = $1")" ]; }
# How many times pgdeck has run its activity query in the test database.
activity_runs() {
	psql_q "SELECT coalesce(sum(s.calls), 0) FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
	        WHERE d.datname = '$DB' AND s.query LIKE '%pg_blocking_pids%'"
}
ran_since() { [ "$(activity_runs)" -ge "$1" ]; }
# At least $1 lookups of a session for an action's preview.
session_lookups() {
	[ "$(psql_q "SELECT coalesce(sum(s.calls), 0) FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
	             WHERE d.datname = '$DB' AND s.query LIKE '%AS one%LEFT JOIN%'")" -ge "$1" ]
}
# The queries pane lists these pids on lines in this order.
listed_in_order() {
	_screen=$(tmux_capture main)
	_last=0
	for _p in "$@"; do
		_line=$(printf '%s\n' "$_screen" | grep -nE "(│|\|) +$_p " | head -1 | cut -d: -f1)
		[ -n "$_line" ] && [ "$_line" -gt "$_last" ] || return 1
		_last=$_line
	done
}
signals_sent() {
	psql_q "SELECT coalesce(sum(s.calls), 0) FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid
	        WHERE d.datname = '$DB' AND s.query ~* 'pg_$1_backend'"
}
sleeper() {
	psql -XAtq -d "$DB" -c "SELECT pg_sleep(120) /* selq$1 */" >/dev/null 2>&1 &
	at_exit "kill $! 2>/dev/null"
	wait_until 10 running "$1"
}
previews_session() {
	tmux_wait_for main "user postgres, application 'psql', database $DB" 2 &&
		tmux_wait_for main 'backend started [0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8}; active' 2
}
new_filter() {
	tmux_keys main /
	_i=0
	while [ $_i -lt ${#1} ]; do
		tmux_keys main BSpace
		_i=$((_i + 1))
	done
	tmux_keys main -l "$2"
	tmux_keys main Enter
}

psql_q "CREATE DATABASE $DB" >/dev/null || { not_ok "create the test database"; tap_done; }
at_exit "psql -XAtq -c 'DROP DATABASE IF EXISTS $DB WITH (FORCE)' >/dev/null 2>&1"
psql -Xq -v ON_ERROR_STOP=1 -d "$DB" >/dev/null <<EOF || { not_ok "create the fixtures"; tap_done; }
CREATE EXTENSION IF NOT EXISTS pg_stat_statements;
CREATE SCHEMA $S;
CREATE TABLE $S.t (id int);
INSERT INTO $S.t SELECT g % 5 FROM generate_series(1, 20) g;
CREATE MATERIALIZED VIEW $S.mv AS SELECT count(*) AS n FROM $S.t;
EOF
# A UNIQUE index built CONCURRENTLY over duplicates: an INVALID leftover.
q "CREATE UNIQUE INDEX CONCURRENTLY t_uniq ON $S.t (id)" >/dev/null 2>&1
check_eq "the fixture index is INVALID" f "$(q "SELECT indisvalid FROM pg_index WHERE indexrelid = '$S.t_uniq'::regclass")"
psql_q "SELECT pg_stat_statements_reset(0, (SELECT oid FROM pg_database WHERE datname = '$DB'), 0)" >/dev/null

# ---- (a) the row order changes under the selection
sleeper 0
sleeper 1
sleeper 2
pid0=$(pid_of 0) pid1=$(pid_of 1) pid2=$(pid_of 2)

tmux_start main 160 50 "$PGDECK" -d "$DB" --plan "$PLAN" --interval 0.5
check "the console is up" tmux_wait_for main 'primary: up' 10
tmux_keys main 1 /
tmux_keys main -l "selq"
tmux_keys main Enter
tmux_wait_for main "$pid2 .*selq2" 10 >/dev/null
check "the queries pane lists the three sessions, oldest first" listed_in_order "$pid0" "$pid1" "$pid2"
# The second row: the session tagged selq1.
tmux_keys main Home j Enter
check "the selection is on the second session" tmux_wait_for main "pid +$pid1" 5
tmux_keys main Escape
tmux_wait_gone main 'Queries: details' 5 >/dev/null

tmux_resize main 160 9
check "a terminal too small holds the screen on its last frame" tmux_wait_for main 'too small' 5
# The session listed before the selected one ends, a new one appears.
q "SELECT pg_cancel_backend($pid0)" >/dev/null
wait_until 10 gone "$pid0"
sleeper 3
pid3=$(pid_of 3)
# Runs of the activity query from here on: the one under way may predate
# the change, the next ones see it.  pgdeck then holds a snapshot in which
# the selected session is the first row, not the second.
runs=$(activity_runs)
wait_until 15 ran_since $((runs + 3)) ||
	diag "pgdeck did not run its activity query three times in 15 s"
tmux_keys main C
# The key is handled before the resize redraws: its preview's lookup of
# the session has reached the server.
wait_until 10 session_lookups 1 || diag "C did not look the session up"
tmux_resize main 160 50
check "C previews the cancel of the session that was highlighted" \
	tmux_wait_for main "Cancel the query running in pid $pid1;" 10
check "the preview names the session: user, application and backend start" \
	previews_session
tmux_keys main y
check "y cancels it" tmux_wait_for main "cancel pid $pid1: cancel sent in" 10
check "the highlighted session's query was cancelled" wait_until 10 gone "$pid1"
check "the session that took its place in the list was left alone" running 2
check "and so was the new one" running 3

# ---- (b) the session ends between the preview and the yes
sleeper 4
pid4=$(pid_of 4)
new_filter "selq" "selq4"
tmux_wait_for main "$pid4 .*selq4" 10 >/dev/null
tmux_keys main K
check "K previews the termination" tmux_wait_for main "Terminate the session pid $pid4:" 10
q "SELECT pg_cancel_backend($pid4)" >/dev/null
wait_until 10 gone "$pid4"
tmux_keys main y
check "y is refused: the session has ended, nothing is sent" \
	tmux_wait_for main "terminate pid $pid4 refused: pid $pid4 has ended since the preview, nothing sent" 10
check_eq "no pg_terminate_backend reached the server" 0 "$(signals_sent terminate)"
check_eq "the other session is still there" "$pid3" "$(pid_of 3)"

# ---- (c) the INVALID index is rebuilt between the preview and the yes
tmux_keys main 6 /
tmux_keys main -l "t_uniq"
tmux_keys main Enter
check "the index pane shows the INVALID index" tmux_wait_for main 't_uniq +INVALID' 20
tmux_keys main x
check "x previews the drop" tmux_wait_for main "DROP INDEX CONCURRENTLY \"$S\"\.\"t_uniq\"" 10
q "DELETE FROM $S.t a USING $S.t b WHERE a.id = b.id AND a.ctid > b.ctid; REINDEX INDEX $S.t_uniq" >/dev/null
check_eq "out of band, the index is valid now" t "$(q "SELECT indisvalid FROM pg_index WHERE indexrelid = '$S.t_uniq'::regclass")"
tmux_keys main y
check "y is refused: the index is valid now" \
	tmux_wait_for main "drop $S\.t_uniq refused: $S\.t_uniq is valid now \(rebuilt since the preview\): x drops only INVALID indexes, nothing sent" 15
check_eq "the valid index stays" t "$(q "SELECT indisvalid FROM pg_index WHERE indexrelid = '$S.t_uniq'::regclass")"

# ---- (d) the view is dropped and created again between the preview and the yes
tmux_keys main 5 /
tmux_keys main -l "$S.mv"
tmux_keys main Enter
check "the views pane lists the view" tmux_wait_for main "$S\.mv" 20
tmux_keys main r
check "r previews the refresh" tmux_wait_for main "REFRESH MATERIALIZED VIEW \"$S\"\.\"mv\"" 10
old_oid=$(q "SELECT '$S.mv'::regclass::oid")
q "DROP MATERIALIZED VIEW $S.mv; CREATE MATERIALIZED VIEW $S.mv AS SELECT count(*) AS n FROM $S.t WITH NO DATA" >/dev/null
new_oid=$(q "SELECT '$S.mv'::regclass::oid")
tmux_keys main y
check "y is refused, naming the OID previewed and the OID now" \
	tmux_wait_for main "refresh $S\.mv refused: $S\.mv was dropped and created again since the preview \(OID $old_oid then, $new_oid now\), nothing sent" 15
check_eq "the new view was not refreshed" f "$(q "SELECT relispopulated FROM pg_class WHERE oid = $new_oid")"
# Once the pane shows the new view (the refusal refreshed it), r is about it.
check "the views pane shows the new, unpopulated view" tmux_wait_for main "$S\.mv .*unpopulated" 15
tmux_keys main r
check "r again previews the refresh of the new view" tmux_wait_for main "REFRESH MATERIALIZED VIEW \"$S\"\.\"mv\"" 10
tmux_keys main y
check "and y refreshes it" tmux_wait_for main "refresh $S\.mv: refreshed in" 15
check_eq "the new view is populated" t "$(q "SELECT relispopulated FROM pg_class WHERE oid = $new_oid")"

# ---- the journal
check "the journal records the three refusals" sh -c "
	grep -q '\"action\":\"terminate\".*\"outcome\":\"refused\"' '$JOURNAL' &&
	grep -q '\"action\":\"drop\".*\"outcome\":\"refused\"' '$JOURNAL' &&
	grep -q '\"action\":\"refresh\".*\"outcome\":\"refused\"' '$JOURNAL'"

tmux_keys main q
check "q quits" tmux_wait_exit main 5
tap_done
