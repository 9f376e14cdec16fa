#!/bin/sh
# The non-interactive front ends as scripts and monitoring systems use them:
#   --once --format json  parses, holds every collector, and survives query
#                         texts full of control bytes and invalid UTF-8;
#   --once (text)         has a section per collector and never writes an
#                         escape from a query to the terminal;
#   check                 exits 0 OK, 1 WARNING, 2 CRITICAL (a primary that
#                         cannot be reached too), 3 UNKNOWN (bad options), in
#                         monitoring-plugin format with performance data.
#
# The check fixtures run against a database of this test's own, with no
# replica, Redis or PgBouncer configured, and a config file that takes
# every cluster-wide threshold out of reach (others' sessions share the
# cluster): only this test's own slow query decides the verdict.
. tests/e2e/lib.sh

PGDECK=$(pgdeck_bin)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/pgdeck-once.XXXXXX")
at_exit "rm -rf '$TMP'"
# A developer's own config file must not change what is tested.
XDG_CONFIG_HOME=$TMP/xdg
export XDG_CONFIG_HOME

MARK=once$$
DB_UTF8=pgdeck_once_u$$
DB_ASCII=pgdeck_once_a$$
SOCKDB="host=$PGDECK_SOCKET_DIR port=$PGDECK_PG_PORT user=postgres"

cleanup_db() {
	psql_q "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%$MARK%' AND pid <> pg_backend_pid()" >/dev/null 2>&1
	for _d in "$DB_UTF8" "$DB_ASCII"; do
		# Statistics of a dropped database would linger in pg_stat_statements.
		psql_q "SELECT pg_stat_statements_reset(0, oid, 0) FROM pg_database WHERE datname = '$_d'" >/dev/null 2>&1
		psql_q "DROP DATABASE IF EXISTS $_d WITH (FORCE)" "$SOCKDB dbname=postgres" >/dev/null 2>&1
	done
}
at_exit cleanup_db

psql_q "CREATE DATABASE $DB_UTF8" "$SOCKDB dbname=postgres" >/dev/null
psql_q "CREATE DATABASE $DB_ASCII ENCODING 'SQL_ASCII' TEMPLATE template0 LOCALE 'C'" "$SOCKDB dbname=postgres" >/dev/null

# ---- hostile sessions
# UTF8 database: an OSC title, a screen clear and a C1 CSI (U+009B, which
# is valid UTF-8), all inside a comment.
printf 'SELECT pg_sleep(60) /* %s-utf8 \033]0;pwned\007 \033[2J \302\23331m */;\n' "$MARK" > "$TMP/utf8.sql"
# SQL_ASCII database: bytes that are no UTF-8 at all (0xff 0xfe), and a raw
# 8-bit CSI (0x9b).  A UTF8 database would refuse them.  Kept out of
# pg_stat_statements: one such text in the cluster-wide texts file makes
# pg_stat_statements(true) fail in every UTF8 database ("invalid byte
# sequence") until it is reset, which would break everyone's statements.
printf 'SET pg_stat_statements.track = none;\nSELECT pg_sleep(60) /* %s-ascii \377\376 \23331m \033[31m */;\n' "$MARK" > "$TMP/ascii.sql"
PGCLIENTENCODING=UTF8 psql -X -q -f "$TMP/utf8.sql" "$SOCKDB dbname=$DB_UTF8" >/dev/null 2>&1 &
at_exit "kill $! 2>/dev/null"
PGCLIENTENCODING=SQL_ASCII psql -X -q -f "$TMP/ascii.sql" "$SOCKDB dbname=$DB_ASCII" >/dev/null 2>&1 &
at_exit "kill $! 2>/dev/null"

sessions_running() {
	[ "$(psql_q "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query LIKE '%$MARK-%' AND pid <> pg_backend_pid()")" = 2 ]
}
check "the two hostile sessions are running" wait_until 10 sessions_running
check "pg_stat_statements texts still read in a UTF8 database" \
	psql_q "SELECT count(*) FROM pg_stat_statements(true)"

# ---- --once --format json, all four servers configured
"$PGDECK" --once --format json > "$TMP/once.json" 2> "$TMP/once.err"
check_eq "--once --format json exits 0" 0 $?
[ -s "$TMP/once.err" ] && diag "stderr: $(cat "$TMP/once.err")"

check "the JSON parses" python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$TMP/once.json"
check "the JSON is plain ASCII (no byte above 127)" sh -c "! LC_ALL=C grep -q '[^ -~	]' '$TMP/once.json'"
check "the JSON holds no raw control byte" sh -c "[ \$(LC_ALL=C tr -d '\n -~' < '$TMP/once.json' | wc -c) -eq 0 ]"

cat > "$TMP/shape.py" <<'EOF'
# The documented shape: every key present, every row as long as its
# columns, values strings or null.
import json, sys
d = json.load(open(sys.argv[1]))
problems = []
p = d["pgdeck"]
for k, t in (("version", str), ("taken_at", str), ("read_only", bool), ("interval", (int, float))):
    if not isinstance(p.get(k), t):
        problems.append("pgdeck.%s is %r" % (k, p.get(k)))
names = [s["name"] for s in d["servers"]]
if names != ["primary", "replica", "pgbouncer", "redis"]:
    problems.append("servers are %r" % names)
for s in d["servers"]:
    if s["configured"] and s["state"] != "up":
        problems.append("server %s is %s (%s)" % (s["name"], s["state"], s["error"]))
for name, c in d["collectors"].items():
    for k in ("source", "taken_at", "elapsed_ms", "error", "columns", "rows"):
        if k not in c:
            problems.append("%s has no %s" % (name, k))
    if c["error"] is None:
        if not c["columns"]:
            problems.append("%s has no columns" % name)
        for r in c["rows"]:
            if len(r) != len(c["columns"]) or any(v is not None and not isinstance(v, str) for v in r):
                problems.append("%s has a bad row %r" % (name, r))
    elif c["rows"]:
        problems.append("%s has an error and rows" % name)
for a in d["alerts"]:
    if a["level"] not in ("ok", "warning", "critical", "unknown") or not a["text"]:
        problems.append("bad alert %r" % a)
print("\n".join(problems))
sys.exit(1 if problems else 0)
EOF
check "the JSON has the documented shape" python3 "$TMP/shape.py" "$TMP/once.json"

# The same collectors, in the same order, as the text output's sections.
"$PGDECK" --once > "$TMP/once.txt" 2>&1
check_eq "--once (text) exits 0" 0 $?
json_names=$(python3 -c 'import json, sys; print(" ".join(json.load(open(sys.argv[1]))["collectors"]))' "$TMP/once.json")
text_names=$(sed -n 's/^\[\([a-z_]*\)\].*/\1/p' "$TMP/once.txt" | grep -Ev '^(servers|alerts)$' | tr '\n' ' ' | sed 's/ $//')
check_eq "the JSON holds every collector the text shows" "$text_names" "$json_names"
check "the JSON holds at least the six panes' main collectors" python3 -c '
import json, sys
c = json.load(open(sys.argv[1]))["collectors"]
need = ["activity", "statements", "connections", "database_cache", "redis", "partitions", "views", "indexes"]
missing = [n for n in need if n not in c]
print("missing:", missing)
sys.exit(1 if missing else 0)' "$TMP/once.json"

errors=$(python3 -c '
import json, sys
for n, c in json.load(open(sys.argv[1]))["collectors"].items():
    if c["error"] is not None:
        print("%s: %s" % (n, c["error"]))' "$TMP/once.json")
if [ -z "$errors" ]; then ok "every collector answered with data (all four servers up)"
else not_ok "every collector answered with data (all four servers up)"; diag "$errors"; fi
check "Redis and PgBouncer collectors hold rows" python3 -c '
import json, sys
c = json.load(open(sys.argv[1]))["collectors"]
bad = [n for n in ("redis", "pgbouncer_pools") if c[n]["error"] is not None or not c[n]["rows"]]
print("empty:", bad)
sys.exit(1 if bad else 0)' "$TMP/once.json"

cat > "$TMP/hostile.py" <<'EOF'
# The hostile rows are present and their text came through intact: control
# characters as they were (JSON escapes them), invalid bytes as U+FFFD.
import json, sys
mark = sys.argv[2]
a = json.load(open(sys.argv[1]))["collectors"]["activity"]
q = a["columns"].index("query")
texts = [r[q] for r in a["rows"] if r[q] and mark in r[q]]
utf8 = [t for t in texts if mark + "-utf8" in t]
ascii_ = [t for t in texts if mark + "-ascii" in t]
ok = True
def need(cond, what):
    global ok
    print(("ok: " if cond else "MISSING: ") + what)
    ok = ok and cond
need(len(utf8) == 1, "the UTF8 session's row")
need(len(ascii_) == 1, "the SQL_ASCII session's row")
if utf8:
    need("\x1b]0;pwned\x07" in utf8[0], "OSC title bytes kept as escapes")
    need("\x1b[2J" in utf8[0], "screen clear kept as an escape")
    need("\u009b31m" in utf8[0], "C1 CSI kept as \\u009b")
if ascii_:
    need("\ufffd\ufffd" in ascii_[0], "0xff 0xfe became two U+FFFD")
    need("\ufffd31m" in ascii_[0], "a raw 0x9b byte became U+FFFD")
    need("\x1b[31m" in ascii_[0], "the SQL_ASCII row keeps its ESC as an escape")
if not ok:
    print(texts)
sys.exit(0 if ok else 1)
EOF
check "JSON: hostile query texts are present, control bytes escaped, invalid UTF-8 as U+FFFD" \
	python3 "$TMP/hostile.py" "$TMP/once.json" "$MARK"

# ---- --once text: nothing from a query reaches the terminal
LC_ALL=C.UTF-8 "$PGDECK" --once > "$TMP/utf8.txt" 2>&1
check "text (UTF-8 locale): no ESC, BEL or raw 0x9b byte in the output" \
	sh -c "! LC_ALL=C grep -q \"\$(printf '[\033\007\233]')\" '$TMP/utf8.txt'"
check "text (UTF-8 locale): the C1 CSI is shown as <9b>, bytes 0xff 0xfe as <ff><fe>" \
	sh -c "grep -q '$MARK-utf8 ^\\[\\]0;pwned^G ^\\[\\[2J <9b>31m' '$TMP/utf8.txt' && grep -q '$MARK-ascii <ff><fe> <9b>31m ^\\[\\[31m' '$TMP/utf8.txt'"
# (In the activity section: with pg_stat_statements.track_planning on, a
# statement still running is in pg_stat_statements too, planned once, not
# yet called.)
check "text (UTF-8 locale): one line per session (no line break from a query)" \
	sh -c "[ \$(sed -n '/^\[activity\]/,/^\$/p' '$TMP/utf8.txt' | grep -c '$MARK-') -eq 2 ]"
LC_ALL=C LANG=C "$PGDECK" --once > "$TMP/c.txt" 2>&1
check "text (C locale): no byte above 127 and no control byte" \
	sh -c "[ \$(LC_ALL=C tr -d '\n -~' < '$TMP/c.txt' | wc -c) -eq 0 ]"
check "text (C locale): the hostile rows are there, as ASCII" \
	sh -c "grep -q '$MARK-ascii ?? ?31m' '$TMP/c.txt' && grep -q '$MARK-utf8 ^\\[\\]0;pwned^G' '$TMP/c.txt'"
check "text: a [servers] section and an [alerts] line" \
	sh -c "grep -q '^\\[servers\\]' '$TMP/once.txt' && grep -q '^\\[alerts\\] [0-9]' '$TMP/once.txt'"
check "text: a collector section starts with its name, row count and time" \
	grep -Eq '^\[activity\] [0-9]+ rows?, ([0-9]+ms|[0-9]+\.[0-9]s)$' "$TMP/once.txt"
check "text: column names head the activity table" \
	sh -c "sed -n '/^\\[activity\\]/{n;p;}' '$TMP/once.txt' | grep -Eq '^pid +database +'"

# ---- --once without a primary
"$PGDECK" --once -h 127.0.0.1 -p 1 > "$TMP/down.txt" 2> "$TMP/down.err"
check_eq "--once with the primary unreachable exits 2" 2 $?
check "... and says why on stderr" grep -q 'cannot connect to the primary: .*127.0.0.1.*port 1' "$TMP/down.err"
check "... and still prints the servers" grep -Eq '^primary +down' "$TMP/down.txt"

# ---- check
cat > "$TMP/neutral.ini" <<'EOF'
# Every threshold out of reach: the shared cluster's other sessions,
# caches and replicas cannot raise an alert.
[alerts]
slow_query_ms = 1000000000
pool_percent = 100
cache_hit_percent = 0
view_age_hours = 1000000
replica_lag_seconds = 1000000000
replica_lag_bytes = 1000000000000000
partition_ahead_months = 0
disk_full_days = 0.001
EOF
sed 's/^slow_query_ms = .*/slow_query_ms = 2500/' "$TMP/neutral.ini" > "$TMP/warn.ini"
sed 's/^slow_query_ms = .*/slow_query_ms = 100/' "$TMP/neutral.ini" > "$TMP/crit.ini"

# check against our own database, with nothing but the primary configured.
run_check() {	# CONFIG [ARGS...]
	_conf=$1
	shift
	DATABASE_READ_REPLICA_URL= REDIS_URL= PGBOUNCER_URL= \
		"$PGDECK" check --config "$_conf" "$@" "$SOCKDB dbname=$DB_UTF8"
}

run_check "$TMP/neutral.ini" > "$TMP/ok.out" 2>&1
rc=$?
check_eq "check: OK exits 0" 0 $rc || diag "$(cat "$TMP/ok.out")"
check "check: OK says 'PGDECK OK - ' on the first line" sh -c "head -n 1 '$TMP/ok.out' | grep -q '^PGDECK OK - '"
check "check: performance data after '|' (label=value[unit];warn;crit)" \
	sh -c "head -n 1 '$TMP/ok.out' | grep -Eq ' \\| ([a-z_]+=[0-9.]+[a-zA-Z%]*(;[0-9.]*;[0-9.]*)? ?)+\$'"
check "check: longest_query perfdata carries the slow-query thresholds" \
	sh -c "head -n 1 '$TMP/ok.out' | grep -Eq 'longest_query=[0-9.]+s;1000000;10000000( |\$)'"

# Our own slow query: running 3 s or more (and far less than 25 s) when
# checked.  It lives in our database, so only our config decides.
printf 'SELECT pg_sleep(60) /* %s-slow */;\n' "$MARK" > "$TMP/slow.sql"
psql -X -q -f "$TMP/slow.sql" "$SOCKDB dbname=$DB_UTF8" >/dev/null 2>&1 &
at_exit "kill $! 2>/dev/null"
slow_for_3s() {
	[ "$(psql_q "SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%$MARK-slow%' AND state = 'active' AND now() - query_start > interval '3 s' AND pid <> pg_backend_pid()")" = 1 ]
}
check "the slow fixture query has run for 3 s" wait_until 15 slow_for_3s

run_check "$TMP/warn.ini" > "$TMP/warn.out" 2>&1
rc=$?
check_eq "check: a query over slow_query_ms (2500) exits 1 WARNING" 1 $rc || diag "$(cat "$TMP/warn.out")"
check "check: WARNING first line names the slow query" \
	sh -c "head -n 1 '$TMP/warn.out' | grep -q '^PGDECK WARNING - .*slow quer.*> 2500 ms'"
check "check: one line per finding after the first" grep -q '^WARNING slow_query: ' "$TMP/warn.out"

run_check "$TMP/crit.ini" > "$TMP/crit.out" 2>&1
rc=$?
check_eq "check: a query over 10x slow_query_ms (100) exits 2 CRITICAL" 2 $rc || diag "$(cat "$TMP/crit.out")"
check "check: CRITICAL first line" sh -c "head -n 1 '$TMP/crit.out' | grep -q '^PGDECK CRITICAL - .*slow quer'"
check "check: CRITICAL finding line" grep -q '^CRITICAL slow_query: ' "$TMP/crit.out"

DATABASE_READ_REPLICA_URL= REDIS_URL= PGBOUNCER_URL= \
	"$PGDECK" check -h 127.0.0.1 -p 1 > "$TMP/unknown.out" 2>&1
rc=$?
check_eq "check: nothing listening on the port exits 2 CRITICAL: the primary is down" 2 $rc
check "check: CRITICAL says since when, and libpq's reason" \
	grep -Eq '^PGDECK CRITICAL - primary down since [0-9]{2}:[0-9]{2}:[0-9]{2} \(Connection refused\)$' "$TMP/unknown.out"
check "check: ... and so does the finding's line" \
	grep -Eq '^CRITICAL primary_down: primary down since [0-9:]{8} \(Connection refused\)$' "$TMP/unknown.out"
check_eq "check: those two lines, nothing from collectors that could not run" 2 "$(wc -l < "$TMP/unknown.out" | tr -d ' ')"

"$PGDECK" check --no-such-option > "$TMP/bad.out" 2>&1
check_eq "check: a bad option exits 3 UNKNOWN" 3 $?
printf '[alerts]\nslow_query_msec = 5\n' > "$TMP/bad.ini"
"$PGDECK" check --config "$TMP/bad.ini" > "$TMP/bad.out" 2>&1
check_eq "check: a bad config file exits 3 UNKNOWN" 3 $?
check "check: ... naming the file and line" grep -q "bad.ini:2" "$TMP/bad.out"
"$PGDECK" --once --no-such-option > /dev/null 2>&1
check_eq "--once: a bad option still exits 2" 2 $?

tap_done
