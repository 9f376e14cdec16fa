#!/bin/sh
# The indexes pane on databases that are not the kit's (issue 16, part 1),
# checked on screen and in the catalog:
#  - a schema of its own and a pgbench script hammering a predicate that
#    has no index: the kit's plan is not applied (nothing "missing"), the
#    advice names that table and column with a lower planner's cost (tested
#    with hypopg, EXPLAIN only), `run indexes --advise --dry-run` prints its
#    CREATE INDEX CONCURRENTLY and builds nothing, `run indexes --advise`
#    builds it, and the next advice does not name it again;
#  - without hypopg the advice says how to get it; `create_hypopg = yes`
#    in [actions] lets run install it first;
#  - pgbench's own partitioned database shows 0 missing;
#  - a --plan naming a table that is not there: "no table", not counted as
#    missing, and run indexes does not build it;
#  - a foreign key without an index is shown as such.
. tests/e2e/lib.sh

PGDECK=$(pgdeck_bin)
DB=e2e_advice_$$
BENCH=e2e_bench_$$
BARE=e2e_bare_$$
STATE=$(mktemp -d)
at_exit "rm -rf '$STATE'"
export XDG_STATE_HOME="$STATE" XDG_CONFIG_HOME="$STATE"
OUT=$STATE/out
ERR=$STATE/err

q() { psql_q "$1" "dbname=$DB"; }
index_on() { q "SELECT string_agg(c.relname || ':' || x.indisvalid, ' ') FROM pg_index x JOIN pg_class c ON c.oid = x.indexrelid WHERE x.indrelid = 'shop.orders'::regclass AND NOT x.indisprimary"; }
# run DB ARGS...: pgdeck run; status in $rc.
run() {
	_db=$1
	shift
	"$PGDECK" -d "$_db" run "$@" > "$OUT" 2> "$ERR"
	rc=$?
}

for d in $DB $BENCH $BARE; do
	psql_q "CREATE DATABASE $d" >/dev/null || { not_ok "create the test database $d"; tap_done; }
	at_exit "psql -XAtq -c 'DROP DATABASE IF EXISTS $d WITH (FORCE)' >/dev/null 2>&1"
done
psql -Xq -v ON_ERROR_STOP=1 -d "$DB" >/dev/null <<EOF || { not_ok "create the fixtures"; tap_done; }
CREATE EXTENSION pg_stat_statements;
CREATE EXTENSION hypopg;
CREATE SCHEMA shop;
CREATE TABLE shop.orders (id bigserial PRIMARY KEY, customer_id int NOT NULL, status text,
                          created_at timestamptz DEFAULT now());
INSERT INTO shop.orders (customer_id, status) SELECT g % 5000, 'new' FROM generate_series(1, 200000) g;
CREATE TABLE shop.lines (id bigserial PRIMARY KEY, order_id bigint REFERENCES shop.orders, qty int);
ANALYZE shop.orders;
EOF
cat > "$STATE/hammer.sql" <<EOF
\set c random(1, 5000)
SELECT id, status FROM shop.orders WHERE customer_id = :c;
EOF
pgbench -n -M prepared -c 2 -t 150 -f "$STATE/hammer.sql" "$DB" >/dev/null 2>&1 ||
	{ not_ok "pgbench hammers shop.orders.customer_id"; tap_done; }

# ---- the console: no kit here, the advice and the foreign key
tmux_start main 240 60 "$PGDECK" -d "$DB"
check "the console is up" tmux_wait_for main 'primary: up' 10
# Wide: each of the bottom panes gets a third, and the summary a line.
tmux_keys main 6
check "the kit's plan is not applied here" tmux_wait_for main "kit's index plan: 0 of its [0-9]+ tables here" 20
check "nothing is missing" tmux_wait_for main 'no plan here, advised' 5
# (The indexes pane, wide enough, shows each index's TABLE before its status.)
check "the foreign key without an index is shown" tmux_wait_for main 'lines_order_id_idx .*fk no index' 10
check "the advice names shop.orders (customer_id)" \
	tmux_wait_for main 'orders_customer_id_idx .*advised' 60
check "the advice says what it did" tmux_wait_for main 'advice: [0-9]+ statements read, [0-9]+ planned' 5
tmux_keys main /
tmux_keys main -l "orders_customer"
tmux_keys main Enter
tmux_keys main Enter
check "its details give the cost before and after" \
	tmux_wait_for main "advised +planner's cost [0-9.]+ -> [0-9.]+, 1 statement" 5
check "and the statement it helps" tmux_wait_for main 'WHERE customer_id = \$1' 5
check "and the statement i runs" tmux_wait_for main 'CREATE INDEX CONCURRENTLY "orders_customer_id_idx"' 5
tmux_keys main Escape
tmux_keys main q
tmux_wait_exit main 10 >/dev/null

# ---- run indexes --advise
run "$DB" indexes --advise --dry-run
check_eq "run indexes --advise --dry-run exits 0" 0 "$rc"
[ "$rc" = 0 ] || diag "$(cat "$ERR")"
check "it names the table and column, with a lower cost" \
	grep -Eq "^advised: shop\.orders_customer_id_idx \(customer_id\): planner's cost ([0-9.]+) -> ([0-9.]+)" "$OUT"
before=$(sed -n "s/^advised: shop\.orders_customer_id_idx.*cost \([0-9.]*\) -> \([0-9.]*\).*/\1 \2/p" "$OUT")
check "the cost after is lower than before ($before)" awk -v b="${before% *}" -v a="${before#* }" 'BEGIN { exit !(a + 0 < b + 0) }'
check "it prints the CONCURRENTLY build" \
	grep -q 'CREATE INDEX CONCURRENTLY "orders_customer_id_idx" ON "shop"."orders" USING btree ("customer_id");' "$OUT"
check_eq "--dry-run built nothing" "" "$(index_on)"

run "$DB" indexes --advise
check_eq "run indexes --advise exits 0" 0 "$rc"
[ "$rc" = 0 ] || diag "$(cat "$OUT" "$ERR")"
check "it says it built the index" grep -q 'orders_customer_id_idx.*built CONCURRENTLY' "$OUT"
check_eq "the index exists and is valid" "orders_customer_id_idx:true" "$(index_on)"

# The statement again, now with its index: nothing to advise on it.
psql_q "SELECT pg_stat_statements_reset()" "dbname=$DB" >/dev/null
pgbench -n -M prepared -c 1 -t 50 -f "$STATE/hammer.sql" "$DB" >/dev/null 2>&1
run "$DB" indexes --advise
check_eq "the next advice exits 0" 0 "$rc"
check "it does not advise what exists" sh -c "! grep -q '^advised:' '$OUT'"
check "it says there is nothing to build" grep -q 'no index to build' "$OUT"

# ---- without hypopg: says how; create_hypopg = yes installs it
psql -Xq -v ON_ERROR_STOP=1 -d "$BARE" >/dev/null <<EOF
CREATE EXTENSION pg_stat_statements;
CREATE TABLE t (a int, b int);
INSERT INTO t SELECT g, g FROM generate_series(1, 50000) g;
ANALYZE t;
EOF
printf '\\set v random(1, 50000)\nSELECT b FROM t WHERE a = :v;\n' > "$STATE/bare.sql"
pgbench -n -M prepared -t 100 -f "$STATE/bare.sql" "$BARE" >/dev/null 2>&1
run "$BARE" indexes --advise
check_eq "without hypopg run --advise fails (exit 2)" 2 "$rc"
check "and says how to install it" grep -q 'CREATE EXTENSION hypopg' "$ERR"
check_eq "hypopg was not installed" "" "$(psql_q "SELECT extname FROM pg_extension WHERE extname = 'hypopg'" "dbname=$BARE")"
mkdir -p "$STATE/pgdeck"
printf '[actions]\ncreate_hypopg = yes\n' > "$STATE/pgdeck/config"
run "$BARE" indexes --advise
check_eq "with create_hypopg = yes it exits 0" 0 "$rc"
[ "$rc" = 0 ] || diag "$(cat "$OUT" "$ERR")"
check "it installed hypopg" grep -q 'hypopg.*installed' "$OUT"
check "then advised and built t (a)" grep -q 't_a_idx.*built CONCURRENTLY' "$OUT"
rm -f "$STATE/pgdeck/config"

# ---- pgbench's own partitioned database: 0 missing
pgbench -i -q -s 1 --partitions=4 "$BENCH" >/dev/null 2>&1 || not_ok "pgbench -i --partitions=4"
"$PGDECK" -d "$BENCH" --once > "$OUT" 2> "$ERR"
check "--once lists pgbench's indexes" grep -q 'pgbench_accounts_pkey' "$OUT"
check "pgbench's database shows 0 missing" sh -c "! grep -Eq '^status +missing' '$OUT'"
tmux_start bench 240 60 "$PGDECK" -d "$BENCH"
tmux_wait_for bench 'primary: up' 10 >/dev/null
tmux_keys bench 6
check "the pane on pgbench's database: no plan, nothing missing" tmux_wait_for bench 'no plan here, advised 0' 20
tmux_keys bench q
tmux_wait_exit bench 10 >/dev/null

# ---- --plan naming a table that is not here: "no table"
cat > "$STATE/plan.sql" <<EOF
CREATE INDEX accounts_bid_idx ON public.pgbench_accounts (bid);
CREATE INDEX ghost_x_idx ON public.ghost (x);
EOF
"$PGDECK" -d "$BENCH" --plan "$STATE/plan.sql" --once --format json > "$OUT" 2> "$ERR"
check "a planned index without its table is 'no table'" \
	python3 -c "
import json, sys
c = json.load(open('$OUT'))['collectors']['indexes']
rows = [dict(zip(c['columns'], r)) for r in c['rows']]
st = {r['index']: r['status'] for r in rows}
sys.exit(0 if st.get('ghost_x_idx') == 'no table' and st.get('accounts_bid_idx') == 'missing' else 1)"
run "$BENCH" indexes --plan "$STATE/plan.sql" --dry-run
check_eq "run indexes with that plan exits 0" 0 "$rc"
# (pgbench_accounts is partitioned: not CONCURRENTLY there.)
check "it builds the index whose table is here" grep -q 'CREATE INDEX accounts_bid_idx ON public.pgbench_accounts' "$OUT"
check "and not the one without a table" sh -c "! grep -q 'ghost_x_idx ON' '$OUT'"
check "and says so" grep -q '1 planned index has no table in this database: not built' "$OUT"

tap_done
