#!/bin/sh
# EXPLAIN must not run another role's code as pgdeck's role.  Planning a
# query runs code: constant folding calls IMMUTABLE functions, selectivity
# estimation STABLE ones, views are expanded, index expressions are
# folded.  A LOGIN role (the application's, say) plants functions that
# write to its side-effect table whenever anyone but itself calls them,
# and runs queries that call them: qualified (IMMUTABLE and STABLE),
# through a view it owns, and through an index expression on its table;
# and one on a materialized view it owns (not expanded, but LOCK TABLE
# cannot hold it against a swap for a view).  pgdeck, as the superuser,
# presses e on each: each is refused with the name and the reason, and the
# side-effect table stays empty (the sequence never called: nextval
# survives a rollback).
#
# What EXPLAIN is for still works: the application's queries on tables
# written without a schema, in public and in a schema on the role's own
# search_path (pgdeck's session searches pg_catalog only: the names are
# looked up as the role sees them and written qualified), a materialized
# view of the superuser's, and a pg_stat_statements text with $n (planned
# generically: PREPARE and force_generic_plan on PostgreSQL 15).  A table
# swapped for a view while pgdeck waits for its lock is caught by the
# check inside the EXPLAIN's transaction.  The journal has each refusal.
# And Enter on a live query shows its pg_stat_statements figures, found by
# fingerprint.
. tests/e2e/lib.sh

PGDECK=$(pgdeck_bin)
DB=e2e_explain_guard_$$
ROLE=e2e_eg_app_$$
M=e2e_eg_m              # the role's own schema: its functions and side effects
A=e2e_eg_app            # a schema on the role's search_path
STATE=$(mktemp -d)
at_exit "rm -rf '$STATE'"
export XDG_STATE_HOME="$STATE" XDG_CONFIG_HOME="$STATE"
JOURNAL=$STATE/pgdeck/journal

CONN="dbname=$DB options=-csearch_path=pg_catalog"
q() { psql_q "$1" "$CONN"; }
as_role() { psql -Xq -v ON_ERROR_STOP=1 -d "dbname=$DB user=$ROLE" >/dev/null; }

out=$(psql_q "CREATE DATABASE $DB" 2>&1) || { not_ok "create the test database"; diag "$out"; tap_done; }
psql_q "CREATE ROLE $ROLE LOGIN" >/dev/null || { not_ok "create the application's role"; tap_done; }
at_exit "psql -XAtq -d postgres -c 'DROP DATABASE IF EXISTS $DB WITH (FORCE)' -c 'DROP ROLE IF EXISTS $ROLE' >/dev/null 2>&1"

psql -Xq -v ON_ERROR_STOP=1 -d "$CONN" >/dev/null <<EOF || { not_ok "create the fixtures"; tap_done; }
GRANT CREATE ON SCHEMA public TO $ROLE;
CREATE SCHEMA $M AUTHORIZATION $ROLE;
CREATE SCHEMA $A AUTHORIZATION $ROLE;
CREATE EXTENSION pg_stat_statements SCHEMA public;
ALTER ROLE $ROLE IN DATABASE $DB SET search_path = "\$user", $A, public;
CREATE MATERIALIZED VIEW public.eg_trusted_mv AS SELECT 1 AS a;
GRANT SELECT ON public.eg_trusted_mv TO $ROLE;
EOF

as_role <<EOF || { not_ok "the role plants its functions, view and tables"; tap_done; }
CREATE TABLE $M.side_effect (what text, who text);
CREATE SEQUENCE $M.hits;
GRANT USAGE ON SCHEMA $M TO PUBLIC;
GRANT INSERT, SELECT ON $M.side_effect TO PUBLIC;
GRANT USAGE, SELECT, UPDATE ON SEQUENCE $M.hits TO PUBLIC;
-- Records every call but the role's own (its queries below run them too).
CREATE FUNCTION $M.hit(what text) RETURNS integer LANGUAGE plpgsql AS \$\$
BEGIN
    IF current_user <> '$ROLE' THEN
        PERFORM pg_catalog.nextval('$M.hits');
        INSERT INTO $M.side_effect VALUES (what, current_user);
    END IF;
    RETURN 1;
END \$\$;
CREATE FUNCTION $M.imm(integer) RETURNS integer LANGUAGE plpgsql IMMUTABLE AS
  \$\$ BEGIN RETURN $M.hit('imm') + \$1; END \$\$;
CREATE FUNCTION $M.stab(integer) RETURNS integer LANGUAGE plpgsql STABLE AS
  \$\$ BEGIN RETURN $M.hit('stab') + \$1; END \$\$;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA $M TO PUBLIC;
CREATE VIEW $M.v AS SELECT $M.imm(1) AS x;
CREATE MATERIALIZED VIEW $M.mv AS SELECT 1 AS a;
CREATE TABLE $M.indexed (a integer);
CREATE INDEX indexed_imm ON $M.indexed (($M.imm(1) + a));
CREATE TABLE public.eg_public (id integer, a integer);
CREATE TABLE $A.eg_orders (id integer, total integer);
INSERT INTO public.eg_public SELECT g, g FROM generate_series(1, 100) g;
INSERT INTO $A.eg_orders SELECT g, g FROM generate_series(1, 100) g;
EOF

# The role's sessions, each at work long enough to be selected.
run_as_role() {
	psql -XAtq -d "dbname=$DB user=$ROLE" -c "$1" >/dev/null 2>&1 &
	at_exit "kill $! 2>/dev/null"
}
at_exit "psql -XAtq -d postgres -c \"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%eg-%' AND pid <> pg_backend_pid()\" >/dev/null 2>&1"
run_as_role "SELECT pg_sleep(120), $M.imm(1) /* eg-imm */"
run_as_role "SELECT pg_sleep(120), (SELECT count(*) FROM eg_public WHERE a > $M.stab(1)) /* eg-stab */"
run_as_role "SELECT pg_sleep(120), x FROM $M.v /* eg-view */"
run_as_role "SELECT pg_sleep(120), (SELECT count(*) FROM $M.indexed WHERE a > 1) /* eg-index */"
run_as_role "SELECT pg_sleep(120), (SELECT count(*) FROM eg_public WHERE a > 10) /* eg-public */"
run_as_role "SELECT pg_sleep(120), (SELECT sum(total) FROM eg_orders WHERE id > 10) /* eg-path */"
run_as_role "SELECT pg_sleep(120), (SELECT count(*) FROM $M.mv) /* eg-mv */"
run_as_role "SELECT pg_sleep(120), (SELECT count(*) FROM public.eg_trusted_mv) /* eg-tmv */"
# A statement pg_stat_statements keeps as "... WHERE id = \$2" (a second
# of sleep puts it among the busiest that pgdeck reads, whatever else the
# suite left there).
psql -XAtq -d "dbname=$DB user=$ROLE" -c "SELECT count(*), pg_sleep(1) FROM eg_orders WHERE id = 42 /* eg-pgss-$$ */" >/dev/null ||
	not_ok "the role runs the statement pg_stat_statements records"
running() { [ "$(q "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%/* eg-%' AND state = 'active' AND pid <> pg_backend_pid()")" = 8 ]; }
check "the role's eight queries are running" wait_until 10 running
q "TRUNCATE $M.side_effect; ALTER SEQUENCE $M.hits RESTART" >/dev/null

tmux_start main 220 50 "$PGDECK" -d "$DB" -i 0.5
check "the console is up" tmux_wait_for main 'primary: up' 10

# explain_pid TAG: select the session running the query tagged TAG, press e.
explain_pid() {
	tmux_keys main Escape 1 /
	tmux_keys main -l "$1"
	tmux_keys main Enter
	# The session's row, by pid: the tag is at the end of the query, which
	# a long query's column cuts off.
	tmux_wait_for main "^(│|\\|) +$(pid_of "$1") " 10 >/dev/null
	tmux_keys main e
}
# (the pattern has _ for -, so that this lookup's own text, active while the
# console refreshes, does not match the console's filter for TAG)
pid_of() { q "SELECT pid FROM pg_stat_activity WHERE query LIKE '%/* $(printf %s "$1" | tr - _) */%' AND usename = '$ROLE'"; }

explain_pid eg-imm
check "an IMMUTABLE function of the role's is refused, by name" \
	tmux_wait_for main "explain pid $(pid_of eg-imm) refused: the query names the function $M\.imm outside pg_catalog" 10
explain_pid eg-stab
check "a STABLE function of the role's is refused, by name" \
	tmux_wait_for main "explain pid $(pid_of eg-stab) refused: the query names the function $M\.stab outside pg_catalog" 10
explain_pid eg-view
check "a view the role owns is refused: it would be expanded" \
	tmux_wait_for main "refused: view $M\.v is owned by role $ROLE, which is neither a superuser nor the database owner" 10
explain_pid eg-index
check "a table whose index expression calls the role's function is refused, with the index" \
	tmux_wait_for main "refused: planning table $M\.indexed would run function $M\.imm\(integer\), owned by role $ROLE" 10

explain_pid eg-mv
check "a materialized view the role owns is refused: it cannot be locked against a swap" \
	tmux_wait_for main "refused: materialized view $M\.mv is owned by role $ROLE, .*pgdeck cannot lock it" 10

check_eq "nothing of the role's ran as pgdeck's role: the side-effect table is empty" 0 \
	"$(q "SELECT count(*) FROM $M.side_effect")"

explain_pid eg-public
check "a query on a table written without a schema (in public) explains" \
	tmux_wait_for main "EXPLAIN pid $(pid_of eg-public) \(not executed\)" 10
check "its plan reads the table, written qualified" tmux_wait_for main 'Seq Scan on eg_public' 2
check "the text shown is the one planned" tmux_wait_for main '-- SELECT pg_sleep\(120\), \(SELECT count\(\*\) FROM "public"\."eg_public"' 2
tmux_keys main Escape
explain_pid eg-path
check "a table found on the role's own search_path explains" \
	tmux_wait_for main "EXPLAIN pid $(pid_of eg-path) \(not executed\)" 10
check "written with the schema it is in" tmux_wait_for main "FROM \"$A\"\.\"eg_orders\"" 2
check "its plan reads it" tmux_wait_for main 'Seq Scan on eg_orders' 2
tmux_keys main Escape
explain_pid eg-tmv
check "a materialized view of the superuser's explains" \
	tmux_wait_for main "EXPLAIN pid $(pid_of eg-tmv) \(not executed\)" 10
check "its plan reads it" tmux_wait_for main 'Seq Scan on eg_trusted_mv' 2
tmux_keys main Escape

# pg_stat_statements: the t view of the queries pane.
tmux_keys main 1 t /
tmux_keys main -l "eg-pgss-$$"
tmux_keys main Enter
check "the statement is in pg_stat_statements with \$n" tmux_wait_for main "WHERE id = \\\$2 /\\* eg-pgss-$$" 15
tmux_keys main e
check "its text with \$n explains" tmux_wait_for main 'EXPLAIN statement \(not executed\)' 10
check "as a generic plan" tmux_wait_for main 'a generic plan: \$1\.\.\$2 have no values' 2
check "with the parameter left in the plan" tmux_wait_for main 'Filter: \(id = \$2\)' 2
tmux_keys main Escape t

# ---- a live query's figures in pg_stat_statements: its text (constants
# and all) matched with the statement's ($n) by libpg_query's fingerprint.
psql -XAtq -d "dbname=$DB user=$ROLE" -c "SELECT count(*), pg_sleep(0.5) FROM eg_orders WHERE id > 7 /* eg-fp-$$ */" >/dev/null
run_as_role "SELECT count(*), pg_sleep(120) FROM eg_orders WHERE id > 8 /* eg-fp-$$ */"
tmux_keys main 1 t /
tmux_keys main -l "eg-fp-$$"
tmux_keys main Enter
check "the finished one is in pg_stat_statements" tmux_wait_for main "WHERE id > \\\$2 /\\* eg-fp-$$" 15
tmux_keys main Escape t /
tmux_keys main -l "eg-fp-$$"
tmux_keys main Enter
check "the running one is in the queries pane" tmux_wait_for main "pg_sleep\(120\) FROM eg_orders WHERE id > 8" 10
tmux_keys main Enter
check "Enter on it shows the statement's figures" tmux_wait_for main 'statement +calls 1, mean [0-9.]+ ?m?s' 5
tmux_keys main Escape

# ---- a table swapped for a view between the check and the EXPLAIN.  The
# role holds ACCESS EXCLUSIVE on its table while its own query waits for
# it; pgdeck checks the table (a table: fine), then waits for its lock;
# meanwhile the role drops the table and creates a view of the same name
# that calls its function.  What pgdeck plans must be what it checked.
echo "CREATE TABLE public.eg_swap (a integer);" | as_role || not_ok "the role creates the table it will swap"
swap_fifo=$STATE/swap
mkfifo "$swap_fifo"
psql -Xq -d "dbname=$DB user=$ROLE" <"$swap_fifo" >/dev/null 2>&1 &
at_exit "kill $! 2>/dev/null"
exec 7>"$swap_fifo"
echo "BEGIN; LOCK TABLE public.eg_swap IN ACCESS EXCLUSIVE MODE;" >&7
locked() { [ "$(q "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE c.relname = 'eg_swap' AND l.mode = 'AccessExclusiveLock' AND l.granted")" = 1 ]; }
check "the role holds its table" wait_until 10 locked
run_as_role "SELECT count(*) FROM public.eg_swap /* eg-swap */"
swap_waits() { [ "$(q "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%/* eg-swap */%' AND wait_event_type = 'Lock'")" = 1 ]; }
check "its query waits for it" wait_until 10 swap_waits
swap_pid=$(pid_of eg-swap)
explain_pid eg-swap
pgdeck_waits() { [ "$(q "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pgdeck' AND wait_event_type = 'Lock'")" = 1 ]; }
check "pgdeck's EXPLAIN waits for the table too" wait_until 10 pgdeck_waits
echo "DROP TABLE public.eg_swap; CREATE VIEW public.eg_swap AS SELECT $M.imm(1) AS a; COMMIT;" >&7
check "the swap is found: the view is refused, nothing is planned" \
	tmux_wait_for main "explain pid $swap_pid refused: view public\.eg_swap is owned by role $ROLE" 10
exec 7>&-

check_eq "still nothing of the role's ran as pgdeck's role" 0 "$(q "SELECT count(*) FROM $M.side_effect")"
check_eq "and its sequence was never called" f "$(q "SELECT is_called FROM $M.hits")"
check_eq "no pgdeck session is left inside a transaction" 0 \
	"$(q "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'pgdeck' AND state LIKE 'idle in transaction%'")"
check "each refusal is in the journal" sh -c "[ \$(grep -c '\"action\":\"explain\".*\"outcome\":\"refused\"' '$JOURNAL') -eq 6 ]"
tmux_keys main q
tap_done
