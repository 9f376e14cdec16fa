#!/bin/sh
# The partitions collector reads again only the trees that changed
# (issue 14): a headless agent on a database of its own with three trees,
# A (range partitioned, three partitions and a default), B (list
# partitioned, one of its partitions itself partitioned) and C (one
# partition, never changed).  pg_stat_statements counts the rows the
# partitions query returned: one row per partitioned table it read.
#   - the first run reads every tree (4 rows: A, B, B's nested table, C);
#   - a partition added to A: A is read again alone (1 row more), the
#     published snapshot has A with its new partition and B as it was;
#   - a partition detached from B and rows inserted into A's default
#     partition: B's tree and A's (3 rows more, not C's), and the snapshot
#     has them (sizes and rows follow the statistics counters);
#   - nothing changed: a run reads the signature only;
#   - between processes: --once saves what it read (state directory), the
#     next --once reads no tree, one after a change reads that tree, and
#     one with a damaged state file reads them all.
. tests/e2e/lib.sh

PGDECK=$(pgdeck_bin)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/pgdeck-partinc.XXXXXX")
at_exit "rm -rf '$TMP'"
XDG_CONFIG_HOME=$TMP/xdg
export XDG_CONFIG_HOME

NAME=partinc$$
DB=pgdeck_partinc_$$
SOCKDB="host=$PGDECK_SOCKET_DIR port=$PGDECK_PG_PORT user=postgres"
TDB="$SOCKDB dbname=$DB"
clear_keys() {
	redis_q --scan --pattern "pgdeck:{$NAME}:*" | while read -r _k; do redis_q DEL "$_k" >/dev/null; done
}
psql_q "CREATE DATABASE $DB"
at_exit "psql -XAtq -c 'DROP DATABASE IF EXISTS $DB WITH (FORCE)' >/dev/null 2>&1; clear_keys"

psql_q "
CREATE TABLE a_events (at date NOT NULL, v int) PARTITION BY RANGE (at);
CREATE TABLE a_events_2025 PARTITION OF a_events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE a_events_2026 PARTITION OF a_events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
CREATE TABLE a_events_2027 PARTITION OF a_events FOR VALUES FROM ('2027-01-01') TO ('2028-01-01');
CREATE TABLE a_events_default PARTITION OF a_events DEFAULT;
CREATE TABLE b_regions (region text NOT NULL, at date NOT NULL) PARTITION BY LIST (region);
CREATE TABLE b_regions_eu PARTITION OF b_regions FOR VALUES IN ('eu') PARTITION BY RANGE (at);
CREATE TABLE b_regions_eu_all PARTITION OF b_regions_eu FOR VALUES FROM (MINVALUE) TO (MAXVALUE);
CREATE TABLE b_regions_us PARTITION OF b_regions FOR VALUES IN ('us');
CREATE TABLE b_regions_uk PARTITION OF b_regions FOR VALUES IN ('uk');
CREATE TABLE c_logs (at date NOT NULL) PARTITION BY RANGE (at);
CREATE TABLE c_logs_all PARTITION OF c_logs FOR VALUES FROM (MINVALUE) TO (MAXVALUE);
" "$TDB"
DBID=$(psql_q "SELECT oid FROM pg_database WHERE datname = '$DB'")
psql_q "SELECT pg_stat_statements_reset(0, $DBID, 0)" >/dev/null

# calls and rows of the partitions query (its text has the per_table
# step; the signature query's has not) in the test database.
reads() {
	psql_q "SELECT coalesce(sum(calls), 0) || ' ' || coalesce(sum(rows), 0) FROM pg_stat_statements
	         WHERE dbid = $DBID AND query LIKE '%per_table AS (%'"
}
signatures() {
	psql_q "SELECT coalesce(sum(calls), 0) FROM pg_stat_statements
	         WHERE dbid = $DBID AND query LIKE '%kids AS (%'"
}

cat > "$TMP/part.py" <<'PY'
# The last partitions snapshot the agent published: "name partitions
# default_rows" for each row.  Usage: part.py PORT NAME
import json, subprocess, sys
out = subprocess.run(["redis-cli", "-p", sys.argv[1], "XREVRANGE", "pgdeck:{%s}:partitions" % sys.argv[2],
                      "+", "-", "COUNT", "1"], capture_output=True, text=True, check=True).stdout.split("\n")
kv = out[1:]
fields = dict(zip(kv[0::2], kv[1::2]))
snap = json.loads(fields["snapshot"])
cols = snap["columns"]
for row in snap["rows"]:
    r = dict(zip(cols, row)) if isinstance(row, list) else row
    print(r["name"], r["partitions"], "" if r["default_rows"] is None else r["default_rows"])
PY
# C is never changed: it is shown (first run) and left out of the rest.
part_all() { python3 "$TMP/part.py" "$PGDECK_REDIS_PORT" "$NAME" 2>/dev/null; }
part() { part_all | grep -v '^public\.c_logs '; }
shows() { part | grep -qx "$1"; }

"$PGDECK" agent --publish "$REDIS_URL" --name "$NAME" --interval 0.5 "$TDB" > "$TMP/agent.out" 2> "$TMP/agent.err" &
APID=$!
at_exit "kill \$APID 2>/dev/null"

if wait_until 30 shows "public.a_events 4 0"; then ok "the first run shows A with its 4 partitions"
else not_ok "the first run shows A with its 4 partitions"; diag "$(part)"; diag "$(cat "$TMP/agent.err")"; fi
check_eq "... and B's tree: B and its nested table" "public.b_regions 3 
public.b_regions_eu 1 " "$(part | grep b_regions)"
check_eq "... and C, which nothing changes" "public.c_logs 1 " "$(part_all | grep c_logs)"
check_eq "the first run read every tree: 4 rows" "1 4" "$(reads)"

psql_q "CREATE TABLE a_events_2028 PARTITION OF a_events FOR VALUES FROM ('2028-01-01') TO ('2029-01-01')" "$TDB"
if wait_until 40 shows "public.a_events 5 0"; then ok "a partition added to A: A shows 5 partitions"
else not_ok "a partition added to A: A shows 5 partitions"; diag "$(part)"; fi
check_eq "... B is still shown as it was" "public.b_regions 3 
public.b_regions_eu 1 " "$(part | grep b_regions)"
check_eq "... and only A's tree was read again: 1 row more" "2 5" "$(reads)"

# B's catalog and A's statistics change together (one run of the collector
# every 15 s: each wait here is one).  The statistics may reach the
# signature a run after the catalog, so the number of runs that read a
# tree is 1 or 2; the rows they returned are B's two and A's one, either
# way.
psql_q "ALTER TABLE b_regions DETACH PARTITION b_regions_uk" "$TDB"
psql_q "INSERT INTO a_events SELECT '2030-01-01', g FROM generate_series(1, 40) g" "$TDB"
if wait_until 40 shows "public.b_regions 2 "; then ok "a partition detached from B: B shows 2 partitions"
else not_ok "a partition detached from B: B shows 2 partitions"; diag "$(part)"; fi
if wait_until 40 shows "public.a_events 5 40"; then ok "rows inserted into A's default partition are shown"
else not_ok "rows inserted into A's default partition are shown"; diag "$(part)"; fi
check_eq "... B's tree (B and its nested table) and A's were read again, not C's: 3 rows more" 8 \
	"$(reads | awk '{ print $2 }')"

# One more run with nothing changed: the signature only.
S=$(signatures)
more_runs() { [ "$(signatures)" -gt "$S" ]; }
if wait_until 25 more_runs; then ok "the collector keeps running (one more signature)"
else not_ok "the collector keeps running (one more signature)"; fi
check_eq "... and with nothing changed no tree is read again: 8 rows in all" 8 "$(reads | awk '{ print $2 }')"
check_eq "... the snapshot is unchanged" "public.a_events 5 40
public.b_regions 2 
public.b_regions_eu 1 " "$(part)"

# Between processes: a run saves what it read in the state directory, and
# the next process (--once here) starts from it and reads only the trees
# that changed since.  The agent is stopped so that the counts are the
# one-shot runs' own.
kill $APID 2>/dev/null
wait $APID 2>/dev/null
STATE=$TMP/state
once() {
	XDG_STATE_HOME=$STATE "$PGDECK" --once --format json "$TDB" 2>> "$TMP/once.err" | python3 -c '
import json, sys
snap = json.load(sys.stdin)["collectors"]["partitions"]
for row in snap["rows"]:
    r = dict(zip(snap["columns"], row)) if isinstance(row, list) else row
    print(r["name"], r["partitions"], "" if r["default_rows"] is None else r["default_rows"])' |
		grep -v '^public\.c_logs '
}
R=$(reads)
check_eq "a first --once with no state file shows every tree" "public.a_events 5 40
public.b_regions 2 
public.b_regions_eu 1 " "$(once)"
check_eq "... it read every tree: 4 rows" "$(echo "$R" | awk '{ print $1 + 1, $2 + 4 }')" "$(reads)"
FILES=$(find "$STATE/pgdeck/partitions" -type f 2>/dev/null)
check_eq "... and saved them in one file of the state directory, mode 600" "1 600" \
	"$(echo "$FILES" | grep -c . ) $(stat -c %a $FILES 2>/dev/null | head -n 1)"
R=$(reads)
check_eq "a second --once shows the same" "public.a_events 5 40
public.b_regions 2 
public.b_regions_eu 1 " "$(once)"
check_eq "... without reading any tree (the signature only)" "$R" "$(reads)"

psql_q "CREATE TABLE b_regions_fr PARTITION OF b_regions FOR VALUES IN ('fr')" "$TDB"
check_eq "a partition added to B since: the next --once shows it" "public.a_events 5 40
public.b_regions 3 
public.b_regions_eu 1 " "$(once)"
check_eq "... it read B's tree alone: 2 rows" "$(echo "$R" | awk '{ print $1 + 1, $2 + 2 }')" "$(reads)"

# A file saved in format 1 (children as one JSON object per partition,
# before the fields were named once): not read, every tree read whole,
# and the children shown are the new run's.
R=$(reads)
sed -i '1s/^pgdeck partitions 2$/pgdeck partitions 1/' $FILES
check_eq "a state file of format 1 is not read: --once shows every tree" "public.a_events 5 40
public.b_regions 3 
public.b_regions_eu 1 " "$(once)"
check_eq "... read whole: 4 rows" "$(echo "$R" | awk '{ print $1 + 1, $2 + 4 }')" "$(reads)"
check_eq "... and saved again in format 2" "pgdeck partitions 2" "$(head -n 1 $FILES)"

R=$(reads)
printf 'pgdeck partitions 2\nserver 3\nabc\n' > $FILES
check_eq "a damaged state file is ignored: --once shows every tree" "public.a_events 5 40
public.b_regions 3 
public.b_regions_eu 1 " "$(once)"
check_eq "... read whole: 4 rows" "$(echo "$R" | awk '{ print $1 + 1, $2 + 4 }')" "$(reads)"
check_eq "... and nothing on stderr" "" "$(cat "$TMP/once.err")"

# children (per partitioned table) is a JSON array whose first element
# names the fields and each next one is a direct partition (issue 14, aim
# 3: the names once, not in every partition; it is most of the partitions
# snapshot and of the state file), without spaces outside its strings,
# and with the values it had: each direct partition's name, oid, bound and
# whether it is partitioned, in bound order, the default last.
children() {
	XDG_STATE_HOME=$STATE "$PGDECK" --once --format json "$TDB" 2>> "$TMP/once.err" | python3 -c '
import json, sys
snap = json.load(sys.stdin)["collectors"]["partitions"]
for row in snap["rows"]:
    r = dict(zip(snap["columns"], row)) if isinstance(row, list) else row
    if r["name"] != sys.argv[1]:
        continue
    table = json.loads(r["children"])
    same = json.dumps(table, separators=(",", ":"), ensure_ascii=False) == r["children"]
    print("compact" if same else "spaced: " + r["children"][:80])
    print(" ".join(table[0]))
    for values in table[1:]:
        k = dict(zip(table[0], values))
        print(k["name"], k["oid"], k["bound"], k["is_default"], k["partitioned"])' "$1"
}
want_children() {
	echo compact
	echo name oid bound size rows from to is_default partitioned
	psql_q "SELECT n.nspname || '.' || c.relname, c.oid, pg_get_expr(c.relpartbound, 0),
	               CASE WHEN pg_get_expr(c.relpartbound, 0) = 'DEFAULT' THEN 'True' ELSE 'False' END,
	               CASE WHEN c.relkind = 'p' THEN 'True' ELSE 'False' END
	          FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_namespace n ON n.oid = c.relnamespace
	         WHERE i.inhparent = '$1'::regclass
	         ORDER BY pg_get_expr(c.relpartbound, 0) = 'DEFAULT', c.relname" "$TDB" | tr '|' ' '
}
check_eq "children of A: compact JSON, its partitions and bounds, the default last" \
	"$(want_children public.a_events)" "$(children public.a_events)"
check_eq "children of B: the nested table is partitioned" \
	"$(want_children public.b_regions)" "$(children public.b_regions)"
check_eq "... and nothing on stderr" "" "$(cat "$TMP/once.err")"

tap_done
