#!/bin/sh
# pgdeck run, as cron runs it, checked in the catalog: --dry-run prints the
# exact statements and changes nothing; without it the same statements run
# (what `m` does); retention detaches and keeps the table, and drops only
# with --drop; run refresh and run indexes do their work; a failure or a
# refusal exits non-zero with the reason on stderr; -R refuses; the journal
# gets one line per action, and never the password of the connection
# string (the pgdeck_pw role, over TCP with a password).
. tests/e2e/lib.sh

PGDECK=$(pgdeck_bin)
DB=e2e_run_$$
S=e2e_run
STATE=$(mktemp -d)
at_exit "rm -rf '$STATE'"
export XDG_STATE_HOME="$STATE" XDG_CONFIG_HOME="$STATE"
JOURNAL=$STATE/pgdeck/journal
PLAN=$STATE/plan.sql
OUT=$STATE/out
ERR=$STATE/err

q() { psql_q "$1" "dbname=$DB"; }
parts() { q "SELECT string_agg(c.relname, ' ' ORDER BY c.relname) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = '$S.ev'::regclass"; }
# run ARGS...: pgdeck run against the test database; status in $rc.
run() {
	"$PGDECK" -d "$DB" run "$@" > "$OUT" 2> "$ERR"
	rc=$?
}

psql_q "CREATE DATABASE $DB" >/dev/null || { not_ok "create the test database"; tap_done; }
at_exit "psql -XAtq -c 'DROP DATABASE IF EXISTS $DB WITH (FORCE)' >/dev/null 2>&1"
psql -Xq -v ON_ERROR_STOP=1 -d "$DB" >/dev/null 2>&1 <<EOF || { not_ok "create the fixtures"; tap_done; }
CREATE SCHEMA $S;
-- monthly: three months back to this month, and a default partition
CREATE TABLE $S.ev (id bigint, at timestamptz) PARTITION BY RANGE (at);
CREATE TABLE $S.ev_default PARTITION OF $S.ev DEFAULT;
DO \$\$
DECLARE m timestamptz := date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
BEGIN
    FOR k IN 0..3 LOOP
        EXECUTE format('CREATE TABLE $S.ev_y%sm%s PARTITION OF $S.ev FOR VALUES FROM (%L) TO (%L)',
                       to_char(m - make_interval(months => k), 'YYYY'), to_char(m - make_interval(months => k), 'MM'),
                       m - make_interval(months => k), m - make_interval(months => k - 1));
    END LOOP;
END
\$\$;
CREATE TABLE $S.src (id int PRIMARY KEY, v int);
INSERT INTO $S.src SELECT g, g FROM generate_series(1, 10) g;
CREATE MATERIALIZED VIEW $S.mv AS SELECT count(*) AS n FROM $S.src;
CREATE MATERIALIZED VIEW $S.mv_empty AS SELECT 1 AS one WITH NO DATA;
INSERT INTO $S.src SELECT g, g FROM generate_series(11, 30) g;
EOF
cat > "$PLAN" <<EOF
CREATE INDEX src_v_idx ON $S.src (v);
EOF
before=$(parts)

# ---- partitions: dry run, then for real
run partitions "$S.ev" --dry-run
check_eq "run partitions --dry-run exits 0" 0 "$rc"
check "it prints the session settings" grep -qx 'SET lock_timeout = 3000;' "$OUT"
check_eq "it prints three CREATE TABLE ... PARTITION OF statements" 3 \
	"$(grep -c "^CREATE TABLE \"$S\"\.\"ev_y[0-9]*m[0-9]*\" PARTITION OF \"$S\"\.\"ev\" FOR VALUES FROM ('.*') TO ('.*');\$" "$OUT")"
check_eq "the dry run changed nothing" "$before" "$(parts)"
grep '^CREATE TABLE' "$OUT" | sed 's/^CREATE TABLE "[^"]*"\."\([^"]*\)".*/\1/' | sort > "$STATE/planned"

run partitions "$S.ev"
check_eq "run partitions exits 0" 0 "$rc"
check "it says what it did" grep -q "maintain $S.ev: 3 created, 0 detached in" "$OUT"
check "the partitions the dry run printed now exist" sh -c "
	for p in \$(cat '$STATE/planned'); do
		[ -n \"\$(psql -XAtq -d '$DB' -c \"SELECT to_regclass('$S.\$p')\")\" ] || exit 1
	done"
check_eq "a second run has nothing to do" 0 "$(run partitions "$S.ev"; echo $rc)"
check "and says so" grep -q "maintain $S.ev: nothing to do" "$OUT"

# ---- retention: detach (the table stays), drop only with --drop
oldest=$(q "SELECT 'ev_y' || to_char(date_trunc('month', now() AT TIME ZONE 'UTC') - interval '3 months', 'YYYY\"m\"MM')")
run partitions "$S.ev" --retention '2 months' --dry-run
check "the retention dry run prints the DETACH" grep -q "^ALTER TABLE \"$S\"\.\"ev\" DETACH PARTITION \"$S\"\.\"$oldest\";" "$OUT"
check "a dry run without --drop prints no DROP" sh -c "! grep -q '^DROP' '$OUT'"
run partitions "$S.ev" --retention '2 months'
check_eq "run partitions --retention exits 0" 0 "$rc"
check_eq "the old partition is detached" "" \
	"$(q "SELECT inhparent FROM pg_inherits WHERE inhrelid = '$S.$oldest'::regclass")"
check_eq "and kept as a table" "$S.$oldest" "$(q "SELECT to_regclass('$S.$oldest')")"
# Attach it again, then drop it with --drop.
q "ALTER TABLE $S.ev ATTACH PARTITION $S.$oldest FOR VALUES FROM ('$(q "SELECT date_trunc('month', now() AT TIME ZONE 'UTC') - interval '3 months'")+00') TO ('$(q "SELECT date_trunc('month', now() AT TIME ZONE 'UTC') - interval '2 months'")+00')" >/dev/null
run partitions "$S.ev" --retention '2 months' --drop
check_eq "run partitions --drop exits 0" 0 "$rc"
check_eq "with --drop the old partition is gone" "" "$(q "SELECT to_regclass('$S.$oldest')")"

# ---- a range with rows in the default partition: refused, nothing changes
q "INSERT INTO $S.ev VALUES (1, date_trunc('month', now()) + interval '5 months 2 days')" >/dev/null
before=$(parts)
run partitions "$S.ev" --premake 6
check_eq "a default-partition conflict exits 1" 1 "$rc"
check "the reason is on stderr" grep -q "pgdeck: maintain $S.ev refused: the default partition $S.ev_default already holds 1 row" "$ERR"
check_eq "nothing was created" "$before" "$(parts)"

# ---- refresh: --stale takes what the views pane calls stale (here the
# unpopulated view; the other one's age is unknown, so it is left alone)
run refresh --stale
check_eq "run refresh --stale exits 0" 0 "$rc"
check "it refreshed the one stale view" grep -q "refresh-stale 1 stale view: 1 view refreshed in" "$OUT"
check_eq "the unpopulated view is populated now" t "$(q "SELECT relispopulated FROM pg_class WHERE oid = '$S.mv_empty'::regclass")"
check_eq "the view of unknown age was left alone" 10 "$(q "SELECT n FROM $S.mv")"
run refresh "$S.mv"
check_eq "run refresh exits 0" 0 "$rc"
check_eq "the view was refreshed" 30 "$(q "SELECT n FROM $S.mv")"
check "it says it could not go CONCURRENTLY" grep -q "refresh $S.mv: refreshed in" "$OUT"
run refresh "$S.nosuchview"
check_eq "refreshing a missing view exits 1" 1 "$rc"
check "the reason is on stderr" grep -q "refresh $S.nosuchview refused: there is no relation" "$ERR"

# ---- indexes
"$PGDECK" -d "$DB" run indexes --plan "$PLAN" --dry-run > "$OUT" 2> "$ERR"
check "run indexes --dry-run prints CREATE INDEX CONCURRENTLY" grep -qx "CREATE INDEX CONCURRENTLY src_v_idx ON $S.src (v);" "$OUT"
check_eq "and creates nothing" "" "$(q "SELECT to_regclass('$S.src_v_idx')")"
"$PGDECK" -d "$DB" run indexes --plan "$PLAN" > "$OUT" 2> "$ERR"
check_eq "run indexes exits 0" 0 "$?"
check_eq "the index exists and is valid" t \
	"$(q "SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass('$S.src_v_idx')")"

# ---- read-only
"$PGDECK" -R -d "$DB" run refresh "$S.mv" > "$OUT" 2> "$ERR"
check_eq "run under -R exits 1" 1 "$?"
check "and says the console is read-only" grep -q "read-only console: refresh changes the database, nothing was sent" "$ERR"

# ---- the journal, and a password that never shows
q "GRANT USAGE ON SCHEMA $S TO pgdeck_pw; GRANT SELECT ON $S.src TO pgdeck_pw; ALTER MATERIALIZED VIEW $S.mv OWNER TO pgdeck_pw" >/dev/null
"$PGDECK" run refresh "$S.mv" "host=127.0.0.1 port=$PGDECK_PG_PORT user=pgdeck_pw password=pgdeck-secret dbname=$DB" > "$OUT" 2> "$ERR"
rc=$?
check_eq "run refresh as pgdeck_pw with a password exits 0" 0 "$rc" || diag "$(cat "$ERR")"
check "the password is nowhere in the journal" sh -c "! grep -q 'pgdeck-secret' '$JOURNAL'"
check "nor in what run printed" sh -c "! grep -q 'pgdeck-secret' '$OUT' '$ERR'"
check "the journal names the role and the database" \
	grep -q "\"db_user\":\"pgdeck_pw\",\"database\":\"$DB\",\"server\":\"host=127.0.0.1 port=$PGDECK_PG_PORT user=pgdeck_pw" "$JOURNAL"
check "every journal line has every field, front_end run" python3 -c "
import json
n = 0
for line in open('$JOURNAL'):
    e = json.loads(line)
    assert set(e) >= {'time', 'os_user', 'db_user', 'database', 'server', 'front_end', 'action', 'target',
                      'statement', 'duration_ms', 'outcome', 'detail'}, e
    assert e['front_end'] == 'run', e
    n += e.get('record') != 'intent'
assert n == 14, n  # one outcome per run above
"
check "dry runs, refusals and failures are journaled too" sh -c "
	grep -q '\"outcome\":\"dry-run\"' '$JOURNAL' && grep -q '\"outcome\":\"refused\"' '$JOURNAL' &&
	grep -q '\"outcome\":\"nothing\"' '$JOURNAL'"
tap_done
