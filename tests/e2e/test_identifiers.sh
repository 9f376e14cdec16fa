#!/bin/sh
# Names are SQL identifiers, looked up by exact schema and name:
#   - [retention] `events = 30 days` is public.events only: run partitions
#     leaves public."archive.events" and archive.events alone; a line
#     whose table does not exist is refused with its file:line; a line that
#     is no identifier is a config error at once;
#   - names given to run (refresh, partitions) and typed at the console
#     (:refresh, :maintain) follow SQL: quoted keep their case and dots,
#     unquoted fold to lower case, the schema is public unless given, and
#     the session's search_path plays no part;
#   - the ANALYZE target of a cache-pane row is the row's own table, not a
#     guess from splitting "a.b.c" at a dot.
. tests/e2e/lib.sh

PGDECK=$(pgdeck_bin)
DB=e2e_ident_$$
TMP=$(mktemp -d "${TMPDIR:-/tmp}/pgdeck-ident.XXXXXX")
at_exit "rm -rf '$TMP'"
export XDG_STATE_HOME="$TMP/state" XDG_CONFIG_HOME="$TMP/config"
CONF=$TMP/pgdeck.conf

q() { psql_q "$1" "dbname=$DB"; }
pg() {
	"$PGDECK" -d "$DB" "$@" > "$TMP/out" 2> "$TMP/err"
	rc=$?
}

psql_q "CREATE DATABASE $DB" >/dev/null || { not_ok "create the test database"; tap_done; }
at_exit "psql -XAtq -c 'DROP DATABASE IF EXISTS $DB WITH (FORCE)' >/dev/null 2>&1"
psql -Xq -v ON_ERROR_STOP=1 -d "$DB" >"$TMP/fixtures.log" 2>&1 <<'EOF' ||
CREATE SCHEMA archive;
CREATE SCHEMA other;
CREATE SCHEMA "a.b";
CREATE SCHEMA a;
-- three monthly range-partitioned tables, each with partitions from three
-- months back to next month: public.events, public."archive.events" and
-- archive.events
DO $$
DECLARE
    m timestamptz := date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
    t record;
BEGIN
    FOR t IN SELECT * FROM (VALUES ('public', 'events', 'ev'), ('public', 'archive.events', 'aev'),
                                   ('archive', 'events', 'xev')) AS v(s, n, p) LOOP
        EXECUTE format('CREATE TABLE %I.%I (id bigint, at timestamptz) PARTITION BY RANGE (at)', t.s, t.n);
        FOR k IN -1..3 LOOP
            EXECUTE format('CREATE TABLE %I.%I PARTITION OF %I.%I FOR VALUES FROM (%L) TO (%L)',
                           t.s, t.p || '_m' || (k + 1), t.s, t.n,
                           m - make_interval(months => k), m - make_interval(months => k - 1));
        END LOOP;
    END LOOP;
END
$$;
CREATE MATERIALIZED VIEW public."MixedCase" AS SELECT 1 AS n WITH NO DATA;
CREATE MATERIALIZED VIEW public.mv AS SELECT 1 AS n WITH NO DATA;
CREATE MATERIALIZED VIEW other.mv AS SELECT 1 AS n WITH NO DATA;
-- "a.b".c and a."b.c" both read as a.b.c; only the first has traffic
CREATE TABLE "a.b".c (v int);
CREATE TABLE a."b.c" (v int);
INSERT INTO "a.b".c SELECT g FROM generate_series(1, 100) g;
EOF
	{ not_ok "create the fixtures"; diag "$(cat "$TMP/fixtures.log")"; tap_done; }
detached() {	# SCHEMA TABLE: how many partitions the dry run detaches from it
	grep -c "^ALTER TABLE \"$1\"\.\"$2\" DETACH PARTITION" "$TMP/out"
}

# ---- [retention]: `events` is public.events, nothing else
printf '[retention]\nevents = 30 days\n' > "$CONF"
pg --config "$CONF" run partitions --dry-run
check_eq "run partitions --dry-run with 'events = 30 days' exits 0" 0 "$rc"
check_eq "public.events: its old partitions are detached" 2 "$(detached public events)"
check_eq "public.\"archive.events\": nothing is detached" 0 "$(detached public archive.events)"
check_eq "archive.events: nothing is detached" 0 "$(detached archive events)"
check "public.\"archive.events\" is said to have no retention" \
	grep -qF -- '-- No retention is configured for public.archive.events' "$TMP/out"

printf '[retention]\narchive.events = 30 days\npublic."archive.events" = 60 days\n' > "$CONF"
pg --config "$CONF" run partitions --dry-run
check_eq "archive.events = 30 days: archive.events loses two partitions" 2 "$(detached archive events)"
check_eq "public.\"archive.events\" = 60 days: one" 1 "$(detached public archive.events)"
check_eq "and public.events none" 0 "$(detached public events)"

# Unquoted names fold to lower case, quoted ones do not.
printf '[retention]\nEVENTS = 30 days\n' > "$CONF"
pg --config "$CONF" run partitions --dry-run
check_eq "EVENTS is public.events" 2 "$(detached public events)"

# A line whose table does not exist: refused with file:line, nothing done.
printf '[retention]\nevents = 30 days\n"Events" = 30 days\n' > "$CONF"
pg --config "$CONF" run partitions --dry-run
check_eq "a [retention] table that does not exist: run exits 1" 1 "$rc"
check "the error names the file and line, and the table" \
	grep -qF "$CONF:3: [retention] there is no table public.Events in this database" "$TMP/err"
check "nothing was planned" sh -c "! grep -q '^ALTER TABLE' '$TMP/out'"
q "SELECT 1" >/dev/null
before=$(q "SELECT count(*) FROM pg_inherits")
pg --config "$CONF" run partitions public.events
check_eq "without --dry-run: exits 1" 1 "$rc"
check_eq "without --dry-run: no partition was created or detached" "$before" "$(q "SELECT count(*) FROM pg_inherits")"

# A line that is no identifier: a config error before anything connects.
printf '[retention]\nevents = 30 days\npublic.archive.events = 30 days\n' > "$CONF"
pg --config "$CONF" run partitions --dry-run
check_eq "a [retention] name with too many dots: exits 2" 2 "$rc"
check "the error names the file and line" \
	grep -qF "$CONF:3: [retention] 'public.archive.events' is not a table name: too many dots" "$TMP/err"

# ---- names given to run
pg run partitions '"archive.events"' --retention '30 days' --dry-run
check_eq "run partitions '\"archive.events\"': exits 0" 0 "$rc"
check_eq "it is public.\"archive.events\"" 2 "$(detached public archive.events)"
check_eq "not archive.events" 0 "$(detached archive events)"
pg run partitions archive.events --retention '30 days' --dry-run
check_eq "run partitions archive.events is the table events in schema archive" 2 "$(detached archive events)"
pg run partitions 'a.b.c' --dry-run
check_eq "run partitions a.b.c: refused before connecting (exit 2)" 2 "$rc"
check "with the reason" grep -q "run partitions: 'a.b.c' is not a name: too many dots" "$TMP/err"

pg run refresh MixedCase
check_eq "run refresh MixedCase (folded to mixedcase) finds nothing: exit 1" 1 "$rc"
check "it names the folded name" grep -q "there is no relation public.mixedcase" "$TMP/err"
pg run refresh '"MixedCase"'
check_eq "run refresh '\"MixedCase\"' exits 0" 0 "$rc"
check_eq "public.\"MixedCase\" is populated" t "$(q "SELECT relispopulated FROM pg_class WHERE oid = 'public.\"MixedCase\"'::regclass")"
# search_path plays no part: mv is public.mv whatever the database's
# sessions start with.
q "ALTER DATABASE $DB SET search_path = other, public" >/dev/null
pg run refresh mv
check_eq "run refresh mv with search_path = other, public exits 0" 0 "$rc"
check_eq "public.mv was refreshed" t "$(q "SELECT relispopulated FROM pg_class WHERE oid = 'public.mv'::regclass")"
check_eq "other.mv was not" f "$(q "SELECT relispopulated FROM pg_class WHERE oid = 'other.mv'::regclass")"

# ---- the console: typed names, and a cache-pane row's table
q "SELECT count(*) FROM \"a.b\".c" >/dev/null
tmux_start main 160 45 "$PGDECK" -d "$DB" -i 0.5
tmux_wait_for main 'primary: up' 15 >/dev/null
tmux_keys main :
tmux_keys main -l 'refresh other.mv'
tmux_keys main Enter
check ":refresh other.mv previews the view in schema other" \
	tmux_wait_for main 'REFRESH MATERIALIZED VIEW "other"\."mv"' 10
tmux_keys main n
tmux_keys main :
tmux_keys main -l 'maintain "archive.events"'
tmux_keys main Enter
check ":maintain \"archive.events\" previews public.\"archive.events\"" \
	tmux_wait_for main 'PARTITION OF "public"\."archive\.events"' 10
tmux_keys main n
tmux_keys main :
tmux_keys main -l 'refresh a.b.c'
tmux_keys main Enter
check ":refresh a.b.c is refused in the status line" tmux_wait_for main ":refresh: 'a\.b\.c' is not a name: too many dots" 5
# The cache pane lists "a.b".c as a.b.c; a on it analyzes that table.
tmux_keys main 3 t /
tmux_keys main -l 'a.b.c'
tmux_keys main Enter
check "the cache pane lists the table read" tmux_wait_for main '[│|]a\.b\.c  ' 20
tmux_keys main a
check "a on the row previews ANALYZE of \"a.b\".\"c\", not a.\"b.c\"" tmux_wait_for main 'ANALYZE "a\.b"\."c"' 10
tmux_keys main n
tmux_keys main q
tmux_wait_exit main 10 >/dev/null
tmux_kill main

tap_done
