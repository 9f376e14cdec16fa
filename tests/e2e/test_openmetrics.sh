#!/bin/sh
# OpenMetrics: pgdeck --once --format openmetrics and pgdeck agent
# --metrics-file PATH, against the harness's real servers.  promtool is not
# available: tests/e2e/openmetrics_check.py checks the format (families
# whole and once, TYPE before samples, counters as NAME_total, UNIT a
# suffix of the name, label escapes, no label set twice, # EOF last).
#   - the exporters' names, with the servers' own figures;
#   - a hostile database name (quote, backslash, newline, ESC) stays one
#     valid label value;
#   - the primary unreachable: pg_up 0, still valid;
#   - the agent rewrites the file each interval by rename (a new inode,
#     no temporary file left), valid each time.
. tests/e2e/lib.sh

PGDECK=$(pgdeck_bin)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/pgdeck-om.XXXXXX")
at_exit "rm -rf '$TMP'"
XDG_CONFIG_HOME=$TMP/xdg
export XDG_CONFIG_HOME
CHECK="python3 $PGDECK_ROOT/tests/e2e/openmetrics_check.py"
SOCKDB="host=$PGDECK_SOCKET_DIR port=$PGDECK_PG_PORT user=postgres"

# A database whose name holds a quote, a backslash, a newline and an ESC.
HOSTILE=$(printf 'om"q\\x\ny\033[31m%s' $$)
psql -XAtq -v ON_ERROR_STOP=1 -v "n=$HOSTILE" "$SOCKDB dbname=postgres" <<'EOF'
CREATE DATABASE :"n";
EOF
at_exit "psql -XAtq -v 'n=$HOSTILE' '$SOCKDB dbname=postgres' -c 'DROP DATABASE IF EXISTS :\"n\"' >/dev/null 2>&1"
# pg_stat_database lists a database once something connected to it.
psql -XAtq -c "SELECT 1" "$SOCKDB dbname='$(printf '%s' "$HOSTILE" | sed "s/\\\\/\\\\\\\\/g; s/'/\\\\'/g")'" >/dev/null 2>&1

"$PGDECK" --once --format openmetrics > "$TMP/once.om" 2> "$TMP/once.err"
check_eq "--once --format openmetrics exits 0" 0 $?
check "the output is valid OpenMetrics" sh -c "$CHECK '$TMP/once.om' > '$TMP/once.samples'" ||
	diag "$($CHECK "$TMP/once.om" 2>&1 >/dev/null)"
for name in pg_up pg_stat_activity_count pg_settings_max_connections pg_stat_database_blks_hit_total \
	pg_stat_replication_pg_wal_lsn_diff pg_replication_lag_seconds pg_stat_statements_calls_total \
	pgbouncer_pools_client_active_connections pgbouncer_stats_queries_pooled_total redis_connected_clients \
	pgdeck_collector_up pgdeck_alerts; do
	check "a sample of $name" grep -q "^$name[{ ]" "$TMP/once.samples"
done
check_eq "pg_up is 1" "pg_up 1" "$(grep '^pg_up ' "$TMP/once.samples")"
check_eq "pg_settings_max_connections is the server's" \
	"pg_settings_max_connections $(psql_q 'SHOW max_connections')" \
	"$(grep '^pg_settings_max_connections ' "$TMP/once.samples")"
check "the replica's lag, a gauge with its unit" grep -q '^# UNIT pg_replication_lag_seconds seconds$' "$TMP/once.om"
check "pg_stat_statements_calls is a counter" grep -q '^# TYPE pg_stat_statements_calls counter$' "$TMP/once.om"
check "pgbouncer's pools by database and user" \
	grep -Eq '^pgbouncer_pools_client_active_connections\{database="pgbouncer",user="pgbouncer"\} [0-9]+$' \
	"$TMP/once.samples"
check "every collector up" sh -c "! grep -q '^pgdeck_collector_up.* 0\$' '$TMP/once.samples'"
check "the hostile database name is one label value: quote and backslash escaped, newline folded, ESC made visible" \
	grep -qF "pg_stat_database_blks_hit_total{datname=\"om\\\"q\\\\x y^[[31m$$\"}" "$TMP/once.samples"
check "no ESC byte anywhere" sh -c "! LC_ALL=C grep -q \"\$(printf '\\033')\" '$TMP/once.om'"

# ---- the primary unreachable
"$PGDECK" --once --format openmetrics "host=127.0.0.1 port=1 user=nobody dbname=nowhere connect_timeout=2" \
	> "$TMP/down.om" 2>/dev/null
check_eq "the primary unreachable: exit 2" 2 $?
check "... valid OpenMetrics all the same" sh -c "$CHECK '$TMP/down.om' > '$TMP/down.samples'"
check_eq "... pg_up 0" "pg_up 0" "$(grep '^pg_up ' "$TMP/down.samples")"
check "... no figure of the primary's" sh -c "! grep -q '^pg_settings_max_connections ' '$TMP/down.samples'"

# ---- the agent's --metrics-file
mkdir -p "$TMP/textfile"
REDIS_URL= "$PGDECK" agent --publish "redis://127.0.0.1:$PGDECK_REDIS_PORT/0" --name "om$$" --interval 0.5 \
	--metrics-file "$TMP/textfile/pgdeck.prom" > /dev/null 2> "$TMP/agent.err" &
APID=$!
at_exit "kill \$APID 2>/dev/null; redis_q DEL 'pgdeck:{om$$}:lock' 'pgdeck:{om$$}:agent' >/dev/null 2>&1"
has_figures() { grep -q '^pg_settings_max_connections ' "$TMP/textfile/pgdeck.prom"; }
if wait_until 20 has_figures; then ok "the agent writes its metrics file"
else not_ok "the agent writes its metrics file"; diag "$(cat "$TMP/agent.err")"; fi
check "... valid OpenMetrics" sh -c "$CHECK '$TMP/textfile/pgdeck.prom' >/dev/null"
inode1=$(stat -c %i "$TMP/textfile/pgdeck.prom")
replaced() { [ "$(stat -c %i "$TMP/textfile/pgdeck.prom")" != "$inode1" ]; }
check "... rewritten each interval by rename (a new inode)" wait_until 5 replaced
check "... still valid" sh -c "$CHECK '$TMP/textfile/pgdeck.prom' >/dev/null"
check_eq "... no temporary file left beside it" "pgdeck.prom" "$(ls "$TMP/textfile")"
kill "$APID"
wait "$APID" 2>/dev/null

# ---- a path it cannot write: said, and the agent goes on
REDIS_URL= "$PGDECK" agent --publish "redis://127.0.0.1:$PGDECK_REDIS_PORT/0" --name "om$$" --interval 0.5 \
	--metrics-file "$TMP/no/such/dir/pgdeck.prom" > /dev/null 2> "$TMP/agent2.err" &
APID=$!
said() { grep -q -- "--metrics-file: cannot write $TMP/no/such/dir/pgdeck.prom.$APID.tmp: No such file or directory" "$TMP/agent2.err"; }
check "a metrics file it cannot write: the agent says why" wait_until 10 said
check_eq "... once" 1 "$(grep -c -- '--metrics-file' "$TMP/agent2.err")"
check "... and goes on" kill -0 "$APID"
kill "$APID"
wait "$APID" 2>/dev/null

tap_done
