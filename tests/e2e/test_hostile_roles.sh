#!/bin/sh
# Another role lies in wait for pgdeck's superuser.  An unprivileged LOGIN
# role with CREATE on public plants objects pgdeck might touch, each of
# which, if pgdeck ever ran it, would write a row into the role's
# side-effect table and advance its sequence (nextval survives a rollback,
# so even a query that failed afterwards is caught):
#
#   round 1 (the default search_path, "$user", public):
#     - public.mv_refresh_log, a VIEW whose column calls the role's function
#     - public.partition_maintenance_log, a TABLE with row and statement
#       triggers
#     - functions that win over pg_catalog's through a closer signature:
#       array_position(text[], text) (connections.sql), array_to_string(
#       integer[], text) (activity.sql), format(text, name, name)
#       (views.sql), to_jsonb(pg_inherits) (action_partitions.sql),
#       to_json(text), to_json(oid), to_json(boolean) (partitions.sql:
#       to_json(anyelement) is polymorphic, an exact type is closer),
#       lower(varchar) and =(varchar, varchar) (the index plan's
#       expression and predicate on a varchar column)
#     - pg_stat_statements installed in a schema of its own, and a
#       public.pg_stat_statements(boolean) of the role's
#   round 2 (the database's search_path set to public, pg_catalog, as an
#   operator might): the same names swapped over (mv_refresh_log a TABLE
#   with triggers, partition_maintenance_log a VIEW with an INSTEAD OF
#   trigger), plus exact shadows of built-ins: now(), lower(text),
#   =(text, text), =(name, name), string_agg(text, text), ||(text, text).
#
# Each round first shows its traps are armed: a session that does not pin
# search_path reaches them.
#
# In each round the superuser runs the console (several refreshes, the views
# and partitions panes, a refresh r and a maintenance m confirmed),
# --once (text and JSON), check, and every run subcommand (refresh by name,
# --stale, --dry-run; partitions by name, all, --dry-run; indexes --dry-run
# and for real).  The side-effect table stays empty and the sequence is
# never called; where pgdeck meets a planted log it says once why it
# ignores it; the views pane, the refresh, the maintenance, the index
# build and the statements collector still work.  (=(oid, oid) is left
# out: a planted operator without hash or merge support would turn every
# catalog join of the old code into nested loops of function calls.)
. tests/e2e/lib.sh

PGDECK=$(pgdeck_bin)
DB=e2e_hostile_roles_$$
ROLE=e2e_mallory_$$
S=e2e_hr
M=e2e_mallory           # the role's own schema: its side-effect table
EXT=e2e_pgss            # where pg_stat_statements really is
STATE=$(mktemp -d)
at_exit "rm -rf '$STATE'"
export XDG_STATE_HOME="$STATE" XDG_CONFIG_HOME="$STATE"

# The test's own sessions search pg_catalog only, so that round 2's shadows
# never fire for them.
CONN="dbname=$DB options=-csearch_path=pg_catalog"
q() { psql_q "$1" "$CONN"; }
# as_role SQL: run SQL as the hostile role (stop at the first error).
as_role() { psql -Xq -v ON_ERROR_STOP=1 -d "dbname=$DB user=$ROLE options=-csearch_path=pg_catalog" >/dev/null; }

out=$(psql_q "CREATE DATABASE $DB" 2>&1) || { not_ok "create the test database"; diag "$out"; tap_done; }
psql_q "CREATE ROLE $ROLE LOGIN" >/dev/null || { not_ok "create the hostile role"; tap_done; }
at_exit "psql -XAtq -d postgres -c 'DROP DATABASE IF EXISTS $DB WITH (FORCE)' -c 'DROP ROLE IF EXISTS $ROLE' >/dev/null 2>&1"

psql -Xq -v ON_ERROR_STOP=1 -d "$CONN" >/dev/null <<EOF || { not_ok "create the fixtures"; tap_done; }
GRANT CREATE ON SCHEMA public TO $ROLE;
CREATE SCHEMA $M AUTHORIZATION $ROLE;
CREATE SCHEMA $EXT;
CREATE EXTENSION pg_stat_statements SCHEMA $EXT;
CREATE SCHEMA $S;
CREATE TABLE $S.src (id int PRIMARY KEY);
INSERT INTO $S.src SELECT generate_series(1, 10);
CREATE MATERIALIZED VIEW $S.mv AS SELECT count(*) AS n FROM $S.src;
CREATE UNIQUE INDEX mv_n ON $S.mv (n);
CREATE TABLE $S.codes (id int, code varchar(20));
INSERT INTO $S.codes SELECT i, 'c' || i FROM generate_series(1, 50) i;
EOF

as_role <<EOF || { not_ok "the role creates its side-effect table and functions"; tap_done; }
CREATE TABLE $M.side_effect (what text, who text, at timestamptz DEFAULT pg_catalog.clock_timestamp());
CREATE SEQUENCE $M.hits;
GRANT USAGE ON SCHEMA $M TO PUBLIC;
GRANT INSERT, SELECT ON $M.side_effect TO PUBLIC;
GRANT USAGE, SELECT, UPDATE ON SEQUENCE $M.hits TO PUBLIC;
-- SECURITY INVOKER (the default): it runs as whoever calls it.
CREATE FUNCTION $M.hit(what text) RETURNS boolean LANGUAGE plpgsql AS \$\$
BEGIN
    PERFORM pg_catalog.nextval('$M.hits');
    INSERT INTO $M.side_effect (what, who) VALUES (what, current_user);
    RETURN true;
END \$\$;
CREATE FUNCTION $M.hit_trigger() RETURNS trigger LANGUAGE plpgsql AS \$\$
BEGIN
    PERFORM $M.hit('trigger ' || TG_TABLE_NAME || ' ' || TG_LEVEL);
    RETURN NULL;
END \$\$;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA $M TO PUBLIC;
EOF

# plant_shadows: functions and operators that win over pg_catalog's
# through a closer signature, whatever the search_path.
plant_shadows() {
	as_role <<EOF
CREATE FUNCTION public.array_position(text[], text) RETURNS integer LANGUAGE plpgsql AS
  \$\$ BEGIN PERFORM $M.hit('array_position'); RETURN pg_catalog.array_position(\$1, \$2); END \$\$;
CREATE FUNCTION public.array_to_string(integer[], text) RETURNS text LANGUAGE plpgsql AS
  \$\$ BEGIN PERFORM $M.hit('array_to_string'); RETURN pg_catalog.array_to_string(\$1, \$2); END \$\$;
CREATE FUNCTION public.format(text, name, name) RETURNS text LANGUAGE plpgsql AS
  \$\$ BEGIN PERFORM $M.hit('format'); RETURN pg_catalog.format(\$1, \$2, \$3); END \$\$;
CREATE FUNCTION public.to_jsonb(pg_catalog.pg_inherits) RETURNS jsonb LANGUAGE plpgsql AS
  \$\$ BEGIN PERFORM $M.hit('to_jsonb'); RETURN pg_catalog.to_jsonb(\$1); END \$\$;
-- to_json(anyelement) is polymorphic: an exact type is closer
-- (partitions.sql writes each partition's fields with it).
CREATE FUNCTION public.to_json(text) RETURNS json LANGUAGE plpgsql STABLE AS
  \$\$ BEGIN PERFORM $M.hit('to_json(text)'); RETURN pg_catalog.to_json(\$1); END \$\$;
CREATE FUNCTION public.to_json(oid) RETURNS json LANGUAGE plpgsql STABLE AS
  \$\$ BEGIN PERFORM $M.hit('to_json(oid)'); RETURN pg_catalog.to_json(\$1); END \$\$;
CREATE FUNCTION public.to_json(boolean) RETURNS json LANGUAGE plpgsql STABLE AS
  \$\$ BEGIN PERFORM $M.hit('to_json(boolean)'); RETURN pg_catalog.to_json(\$1); END \$\$;
-- IMMUTABLE (a lie) so that an index expression or predicate accepts them.
CREATE FUNCTION public.lower(varchar) RETURNS text LANGUAGE plpgsql IMMUTABLE AS
  \$\$ BEGIN PERFORM $M.hit('lower(varchar)'); RETURN pg_catalog.lower(\$1::text); END \$\$;
CREATE FUNCTION $M.eq_varchar(varchar, varchar) RETURNS boolean LANGUAGE plpgsql IMMUTABLE AS
  \$\$ BEGIN PERFORM $M.hit('=(varchar,varchar)'); RETURN \$1::text OPERATOR(pg_catalog.=) \$2::text; END \$\$;
CREATE OPERATOR public.= (LEFTARG = varchar, RIGHTARG = varchar, FUNCTION = $M.eq_varchar);
-- pg_stat_statements(boolean) as the extension has it, where an unqualified
-- call would find it (the real one is in $EXT).
CREATE FUNCTION public.pg_stat_statements(showtext boolean,
    OUT userid oid, OUT dbid oid, OUT toplevel boolean, OUT queryid bigint, OUT query text,
    OUT calls bigint, OUT total_exec_time float8, OUT mean_exec_time float8, OUT rows bigint,
    OUT shared_blks_hit bigint, OUT shared_blks_read bigint)
  RETURNS SETOF record LANGUAGE plpgsql AS
  \$\$ BEGIN PERFORM $M.hit('pg_stat_statements'); RETURN; END \$\$;
EOF
}

# plant_exact: exact shadows of built-ins, for a search_path that puts
# public before pg_catalog.
plant_exact() {
	as_role <<EOF
CREATE FUNCTION public.now() RETURNS timestamptz LANGUAGE plpgsql STABLE AS
  \$\$ BEGIN PERFORM $M.hit('now()'); RETURN pg_catalog.now(); END \$\$;
CREATE FUNCTION public.lower(text) RETURNS text LANGUAGE plpgsql IMMUTABLE AS
  \$\$ BEGIN PERFORM $M.hit('lower(text)'); RETURN pg_catalog.lower(\$1); END \$\$;
CREATE FUNCTION $M.eq_text(text, text) RETURNS boolean LANGUAGE plpgsql IMMUTABLE AS
  \$\$ BEGIN PERFORM $M.hit('=(text,text)'); RETURN \$1 OPERATOR(pg_catalog.=) \$2; END \$\$;
CREATE OPERATOR public.= (LEFTARG = text, RIGHTARG = text, FUNCTION = $M.eq_text);
CREATE FUNCTION $M.eq_name(name, name) RETURNS boolean LANGUAGE plpgsql IMMUTABLE AS
  \$\$ BEGIN PERFORM $M.hit('=(name,name)'); RETURN \$1 OPERATOR(pg_catalog.=) \$2; END \$\$;
CREATE OPERATOR public.= (LEFTARG = name, RIGHTARG = name, FUNCTION = $M.eq_name);
CREATE FUNCTION $M.agg_step(text, text, text) RETURNS text LANGUAGE plpgsql IMMUTABLE AS
  \$\$ BEGIN PERFORM $M.hit('string_agg(text,text)'); RETURN pg_catalog.concat_ws(\$3, \$1, \$2); END \$\$;
CREATE AGGREGATE public.string_agg(text, text) (SFUNC = $M.agg_step, STYPE = text);
CREATE FUNCTION $M.cat_text(text, text) RETURNS text LANGUAGE plpgsql IMMUTABLE AS
  \$\$ BEGIN PERFORM $M.hit('||(text,text)'); RETURN pg_catalog.textcat(\$1, \$2); END \$\$;
CREATE OPERATOR public.|| (LEFTARG = text, RIGHTARG = text, FUNCTION = $M.cat_text);
EOF
}

# The kit's columns, so that reading and writing it would both work.
LOG_COLUMNS="view_name text, started_at timestamptz, finished_at timestamptz, duration_ms numeric,
             rows bigint, refreshed_by text, application_name text, concurrent boolean,
             source text, success boolean DEFAULT true, error text"

# A fresh partitioned table (this month, and a default partition), a
# missing index in the plan, and the view's data changed, for each round.
reset_targets() {
	psql -Xq -v ON_ERROR_STOP=1 -d "$CONN" >/dev/null <<EOF
SET client_min_messages = warning;
DROP TABLE IF EXISTS $S.ev;
CREATE TABLE $S.ev (id bigint, at timestamptz) PARTITION BY RANGE (at);
CREATE TABLE $S.ev_default PARTITION OF $S.ev DEFAULT;
DO \$\$
DECLARE m timestamptz := date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
BEGIN
    EXECUTE format('CREATE TABLE $S.ev_y%sm%s PARTITION OF $S.ev FOR VALUES FROM (%L) TO (%L)',
                   to_char(m, 'YYYY'), to_char(m, 'MM'), m, m + interval '1 month');
END
\$\$;
DROP INDEX IF EXISTS $S.codes_lower_idx;
INSERT INTO $S.src SELECT max(id) + 1 FROM $S.src;
EOF
}

PLAN=$STATE/plan.sql
cat > "$PLAN" <<EOF
-- an expression and a predicate on a varchar column
CREATE INDEX codes_lower_idx ON $S.codes (lower(code)) WHERE code = 'c7';
EOF

# Someone at work: the activity query lists it, with the sessions blocking
# it (array_to_string).  In another database, so that its snapshot does not
# hold up CREATE INDEX CONCURRENTLY in this one.
psql -XAtq -d "dbname=postgres user=$ROLE" -c "SELECT pg_sleep(600) /* e2e-hostile-roles */" >/dev/null 2>&1 &
sleeper=$!
at_exit "kill $sleeper 2>/dev/null"
# Killing psql does not end its backend while pg_sleep runs: end it too, or
# the tests after this one see a slow query of ours.
at_exit "psql -XAtq -d postgres -c \"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%e2e-hostile-roles%' AND pid <> pg_backend_pid()\" >/dev/null 2>&1"

hits() { q "SELECT count(*) FROM $M.side_effect"; }
# view_cell COLUMN FILE: the fixture view's COLUMN in a --once JSON document.
view_cell() {
	jq -r --arg c "$1" --arg n "$S.mv" '.collectors.views as $v | ($v.columns | index($c)) as $i
		| $v.rows[] | select(.[0] == $n) | .[$i] // "null"' "$2"
}
# "t" once the sequence was ever called (nextval survives rollbacks).
seq_called() { q "SELECT is_called FROM $M.hits"; }

# round N VIEWLOG_KIND PARTLOG_KIND: everything pgdeck does, as the superuser.
round() {
	n=$1 view_kind=$2 part_kind=$3
	OUT=$STATE/round$n
	mkdir -p "$OUT"
	reset_targets || { not_ok "round $n: reset the targets"; return; }
	q "TRUNCATE $M.side_effect; ALTER SEQUENCE $M.hits RESTART" >/dev/null

	# ---- the console
	tmux_start main 200 50 "$PGDECK" -d "$DB" -i 0.2 --plan "$PLAN"
	check "round $n: the console is up" tmux_wait_for main 'primary: up' 10
	check "round $n: the console says once why it ignores the planted refresh log" \
		tmux_wait_for main "ignoring public\.mv_refresh_log: a $view_kind owned by $ROLE, not a table owned by the database owner or a superuser" 15
	tmux_keys main 1
	check "round $n: the queries pane shows the role's session" tmux_wait_for main 'e2e-hostile-roles' 10
	tmux_keys main 5 /
	tmux_keys main -l "$S."
	tmux_keys main Enter
	check "round $n: the views pane lists the view" tmux_wait_for main "$S\.mv" 10
	tmux_keys main Enter
	check "round $n: the view's details say why the refresh log is not read" \
		tmux_wait_for main "refresh log  ignoring public\.mv_refresh_log: a $view_kind owned by $ROLE" 5
	tmux_keys main Escape
	tmux_wait_gone main "refresh log  ignoring" 5 >/dev/null
	tmux_keys main r
	tmux_wait_for main 'REFRESH MATERIALIZED VIEW' 5 >/dev/null
	tmux_keys main y
	check "round $n: r refreshes the view" tmux_wait_for main "refresh $S\.mv: refreshed CONCURRENTLY in" 10
	tmux_keys main 4 /
	tmux_keys main -l "$S.ev"
	tmux_keys main Enter
	check "round $n: the partitions pane lists the table" tmux_wait_for main "$S\.ev" 15
	tmux_keys main m
	tmux_wait_for main 'CREATE TABLE' 8 >/dev/null
	tmux_keys main y
	check "round $n: m creates the partitions ahead" tmux_wait_for main "maintain $S\.ev: 3 created, 0 detached in" 10
	tmux_keys main q
	tmux_wait_exit main 5 >/dev/null
	tmux_kill main

	# ---- the one-shot front ends
	"$PGDECK" -d "$DB" --once > "$OUT/once.txt" 2> "$OUT/once.err"
	check_eq "round $n: --once exits 0" 0 $?
	"$PGDECK" -d "$DB" --once --format json > "$OUT/once.json" 2> "$OUT/once-json.err"
	check_eq "round $n: --once --format json exits 0" 0 $?
	"$PGDECK" -d "$DB" check > "$OUT/check.txt" 2> "$OUT/check.err"
	"$PGDECK" -d "$DB" run refresh "$S.mv" --dry-run > "$OUT/refresh-dry.txt" 2> "$OUT/refresh-dry.err"
	"$PGDECK" -d "$DB" run refresh "$S.mv" > "$OUT/refresh.txt" 2> "$OUT/refresh.err"
	check_eq "round $n: run refresh exits 0" 0 $?
	"$PGDECK" -d "$DB" run refresh --stale > "$OUT/stale.txt" 2> "$OUT/stale.err"
	"$PGDECK" -d "$DB" run partitions "$S.ev" --premake 5 --dry-run > "$OUT/part-dry.txt" 2> "$OUT/part-dry.err"
	"$PGDECK" -d "$DB" run partitions "$S.ev" --premake 5 > "$OUT/part.txt" 2> "$OUT/part.err"
	check_eq "round $n: run partitions exits 0" 0 $?
	"$PGDECK" -d "$DB" run partitions > "$OUT/part-all.txt" 2> "$OUT/part-all.err"
	"$PGDECK" -d "$DB" run indexes --plan "$PLAN" --dry-run > "$OUT/idx-dry.txt" 2> "$OUT/idx-dry.err"
	"$PGDECK" -d "$DB" run indexes --plan "$PLAN" > "$OUT/idx.txt" 2> "$OUT/idx.err"
	check_eq "round $n: run indexes exits 0" 0 $? || diag "$(cat "$OUT/idx.txt" "$OUT/idx.err")"

	check_eq "round $n: the role's side-effect table is empty" 0 "$(hits)" ||
		diag "$(q "SELECT what || ' as ' || who || ': ' || count(*) FROM $M.side_effect GROUP BY what, who ORDER BY 1")"
	check_eq "round $n: the role's sequence was never called" f "$(seq_called)"

	view_msg="pgdeck: ignoring public.mv_refresh_log: a $view_kind owned by $ROLE, not a table owned by the database owner or a superuser"
	part_msg="pgdeck: ignoring public.partition_maintenance_log: a $part_kind owned by $ROLE, not a table owned by the database owner or a superuser"
	check_eq "round $n: --once says once why it ignores the refresh log" 1 "$(grep -cF "$view_msg" "$OUT/once.err")"
	check_eq "round $n: check says it too" 1 "$(grep -cF "$view_msg" "$OUT/check.err")"
	check_eq "round $n: run refresh --stale says it too" 1 "$(grep -cF "$view_msg" "$OUT/stale.err")"
	check_eq "round $n: run partitions says once why it does not log into the planted partition log" 1 \
		"$(grep -cF "$part_msg" "$OUT/part.err")"
	check_eq "round $n: --once JSON: the view's log is not installed as far as pgdeck is concerned" f \
		"$(view_cell log_installed "$OUT/once.json")"
	check_eq "round $n: --once JSON: the view says why" "${view_msg#pgdeck: }" "$(view_cell log_ignored "$OUT/once.json")"
	check_eq "round $n: --once JSON: its last refresh comes from pgdeck's journal instead" journal \
		"$(view_cell refresh_known_from "$OUT/once.json")"
	check "round $n: the statements collector reads the real pg_stat_statements" \
		sh -c "jq -e '.collectors.statements.error == null and (.collectors.statements.rows | length) > 0' '$OUT/once.json' >/dev/null"
	check_eq "round $n: the refreshes happened (the view counts the new row)" \
		"$(q "SELECT count(*) FROM $S.src")" "$(q "SELECT n FROM $S.mv")"
	check_eq "round $n: the partitions reach five months ahead" 7 \
		"$(q "SELECT count(*) FROM pg_inherits WHERE inhparent = '$S.ev'::regclass")"
	check_eq "round $n: the plan's index was built, valid" t \
		"$(q "SELECT indisvalid FROM pg_index WHERE indexrelid = '$S.codes_lower_idx'::regclass")"
	check_eq "round $n: its expression and predicate are pg_catalog's" \
		"CREATE INDEX codes_lower_idx ON $S.codes USING btree (lower((code)::text)) WHERE ((code)::text = 'c7'::text)" \
		"$(q "SELECT pg_get_indexdef('$S.codes_lower_idx'::regclass)")"
}

# ---- round 1: a view and a table with triggers; closer signatures
as_role <<EOF || not_ok "round 1: the role plants its log objects"
CREATE VIEW public.mv_refresh_log AS
  SELECT v.name::text AS view_name, pg_catalog.now() AS started_at, pg_catalog.now() AS finished_at,
         1::numeric AS duration_ms, 1::bigint AS rows, 'function'::text AS source,
         $M.hit('mv_refresh_log view') AS success, NULL::text AS error
    FROM (VALUES ('$S.mv')) AS v(name);
GRANT SELECT ON public.mv_refresh_log TO PUBLIC;
CREATE TABLE public.partition_maintenance_log (parent_table text, partition_name text, action text,
                                               range_from timestamptz, range_to timestamptz);
GRANT INSERT, SELECT ON public.partition_maintenance_log TO PUBLIC;
CREATE TRIGGER each_row AFTER INSERT ON public.partition_maintenance_log
  FOR EACH ROW EXECUTE FUNCTION $M.hit_trigger();
CREATE TRIGGER each_statement BEFORE INSERT ON public.partition_maintenance_log
  FOR EACH STATEMENT EXECUTE FUNCTION $M.hit_trigger();
EOF
plant_shadows || not_ok "round 1: the role plants its shadows"
# The traps are armed: a session that does not pin search_path reaches them.
armed() { psql_q "$1" "dbname=$DB" >/dev/null; q "SELECT count(DISTINCT what) FROM $M.side_effect"; }
check_eq "round 1: an unpinned session reaches the planted to_json(text), to_json(oid) and to_json(boolean)" 3 \
	"$(armed "SELECT to_json('x'::text), to_json(1::oid), to_json(true)")"
round 1 view table

# ---- round 2: a table with triggers and a view with an INSTEAD OF trigger;
# public before pg_catalog on the database's search_path, exact shadows
as_role <<EOF || not_ok "round 2: the role swaps its log objects"
DROP VIEW public.mv_refresh_log;
DROP TABLE public.partition_maintenance_log;
CREATE TABLE public.mv_refresh_log ($LOG_COLUMNS);
INSERT INTO public.mv_refresh_log (view_name, started_at, finished_at, duration_ms, rows, source)
  VALUES ('$S.mv', now(), now(), 1, 1, 'function');
GRANT INSERT, SELECT ON public.mv_refresh_log TO PUBLIC;
CREATE TRIGGER each_row AFTER INSERT ON public.mv_refresh_log
  FOR EACH ROW EXECUTE FUNCTION $M.hit_trigger();
CREATE TRIGGER each_statement BEFORE INSERT ON public.mv_refresh_log
  FOR EACH STATEMENT EXECUTE FUNCTION $M.hit_trigger();
CREATE VIEW public.partition_maintenance_log AS
  SELECT NULL::text AS parent_table, NULL::text AS partition_name, NULL::text AS action,
         NULL::timestamptz AS range_from, NULL::timestamptz AS range_to;
GRANT INSERT, SELECT ON public.partition_maintenance_log TO PUBLIC;
CREATE TRIGGER instead INSTEAD OF INSERT ON public.partition_maintenance_log
  FOR EACH ROW EXECUTE FUNCTION $M.hit_trigger();
EOF
plant_exact || not_ok "round 2: the role plants its exact shadows"
q "ALTER DATABASE $DB SET search_path = public, pg_catalog" >/dev/null
q "TRUNCATE $M.side_effect" >/dev/null
check_eq "round 2: an unpinned session reaches the planted string_agg(text, text) and ||(text, text)" 2 \
	"$(armed "SELECT string_agg('a' || 'b', ',') FROM (VALUES (1)) v")"
round 2 table view

# ---- round 3: the logs are the superuser's ordinary tables, but in schemas
# the role owns (public given to it; a schema pgdeck it made).  A schema's
# owner may drop any table in it and put anything in its place between
# pgdeck's trust check and its read, so neither log is read or written.
OUT=$STATE/round3
mkdir -p "$OUT"
SUPER=$(q "SELECT current_user")
as_role <<EOF || not_ok "round 3: the role drops its log objects"
DROP TABLE public.mv_refresh_log;
DROP VIEW public.partition_maintenance_log;
EOF
psql -Xq -v ON_ERROR_STOP=1 -d "$CONN" >/dev/null <<EOF || not_ok "round 3: the superuser's logs in the role's schemas"
CREATE TABLE public.mv_refresh_log ($LOG_COLUMNS);
CREATE TABLE public.partition_maintenance_log (parent_table text, partition_name text, action text,
                                               range_from timestamptz, range_to timestamptz);
ALTER SCHEMA public OWNER TO $ROLE;
GRANT CREATE ON DATABASE $DB TO $ROLE;
SET ROLE $ROLE;
CREATE SCHEMA pgdeck;
RESET ROLE;
CREATE TABLE pgdeck.refresh_log (view_oid oid, started_at timestamptz, finished_at timestamptz);
EOF
reset_targets || not_ok "round 3: reset the targets"
q "TRUNCATE $M.side_effect; ALTER SEQUENCE $M.hits RESTART" >/dev/null
"$PGDECK" -d "$DB" --once --format json > "$OUT/once.json" 2> "$OUT/once.err"
check_eq "round 3: --once --format json exits 0" 0 $?
check_eq "round 3: the kit's log in a schema the role owns is not read, and the view says why" \
	"ignoring public.mv_refresh_log: a table owned by $SUPER in a schema owned by $ROLE, not a table owned by the database owner or a superuser" \
	"$(view_cell log_ignored "$OUT/once.json")"
check_eq "round 3: nor is pgdeck.refresh_log in a schema pgdeck the role made" \
	"ignoring pgdeck.refresh_log: owned by $SUPER in a schema owned by $ROLE, not the database owner or a superuser, or not an ordinary table with the columns pgdeck writes" \
	"$(view_cell track_ignored "$OUT/once.json")"
"$PGDECK" -d "$DB" run partitions "$S.ev" --premake 5 > "$OUT/part.txt" 2> "$OUT/part.err"
check_eq "round 3: run partitions exits 0" 0 $?
check_eq "round 3: it writes nothing into the partition log in the role's schema" 0 \
	"$(q "SELECT count(*) FROM public.partition_maintenance_log")"
check_eq "round 3: and says why" 1 \
	"$(grep -cF "ignoring public.partition_maintenance_log: a table owned by $SUPER in a schema owned by $ROLE" "$OUT/part.err")"
check_eq "round 3: the role's side-effect table is empty" 0 "$(hits)"

tap_done
