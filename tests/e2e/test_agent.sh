#!/bin/sh
# pgdeck agent and check --from against the harness's real servers:
#   - an agent (authenticated as a Redis ACL user) publishes a stream per
#     collector, in the --once JSON shape, agreeing with --once on the same
#     database (the same partitions and views);
#   - its heartbeat in pgdeck:fleet, its key with a TTL, the fleet hash;
#   - a second agent under a live name refuses; a Redis user with read
#     rights only cannot publish, and the agent says why (password unsaid);
#   - two agents of two clusters (the harness's second cluster): check
#     --from lists both, its exit code follows the worst (one agent made
#     WARNING by its thresholds), a killed agent is CRITICAL "silent since";
#   - Redis killed and restarted: the agent reconnects and publishes again;
#   - the primary stopped: the heartbeat says so;
#   - SIGTERM: exit 0, the name released, its last word "stopped".
#
# The fleet keys (pgdeck:*) of the harness's Redis are this test's: it
# clears them first.  Agent A watches a database of its own, so objects
# other tests leave in the pgdeck database cannot raise its alerts.
. tests/e2e/lib.sh

PGDECK=$(pgdeck_bin)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/pgdeck-agent.XXXXXX")
at_exit "rm -rf '$TMP'"
XDG_CONFIG_HOME=$TMP/xdg
export XDG_CONFIG_HOME

A=ta$$
B=tb$$
DB=pgdeck_agent_$$
SCHEMA=agent_t$$
AGENT_USER=pgdeck_agent_$$
VIEWER_USER=pgdeck_viewer_$$
AGENT_PW="agent-Pw-$$-secret"
VIEWER_PW="viewer-Pw-$$-secret"
RPORT=$PGDECK_REDIS_PORT
AURL="redis://$AGENT_USER:$AGENT_PW@127.0.0.1:$RPORT/0"
VURL="redis://$VIEWER_USER:$VIEWER_PW@127.0.0.1:$RPORT/0"
SOCKDB="host=$PGDECK_SOCKET_DIR port=$PGDECK_PG_PORT user=postgres"
ADB="$SOCKDB dbname=$DB"

# ---- Redis: a clean fleet and two ACL users
clear_fleet() {
	redis_q --scan --pattern 'pgdeck:*' | while read -r _k; do redis_q DEL "$_k" >/dev/null; done
}
make_users() {	# the README's two users, word for word
	redis_q ACL SETUSER "$AGENT_USER" reset on ">$AGENT_PW" resetkeys '~pgdeck:*' -@all +@read +@write \
		+@stream +@connection +eval +info >/dev/null &&
	redis_q ACL SETUSER "$VIEWER_USER" reset on ">$VIEWER_PW" resetkeys '~pgdeck:*' -@all +@read \
		+@connection >/dev/null
}
clear_fleet
check "ACL users for the agent and for a viewer" make_users
at_exit "redis_q ACL DELUSER '$AGENT_USER' '$VIEWER_USER' >/dev/null 2>&1; clear_fleet"

# ---- A's database: a partitioned table and a materialized view
psql_q "CREATE DATABASE $DB" "$SOCKDB dbname=postgres" >/dev/null
at_exit "psql_q 'DROP DATABASE IF EXISTS $DB WITH (FORCE)' '$SOCKDB dbname=postgres' >/dev/null 2>&1"
psql_q "CREATE SCHEMA $SCHEMA;
	CREATE TABLE $SCHEMA.events (at date NOT NULL, v int) PARTITION BY RANGE (at);
	CREATE TABLE $SCHEMA.events_old PARTITION OF $SCHEMA.events FOR VALUES FROM ('2000-01-01') TO ('2050-01-01');
	CREATE TABLE $SCHEMA.events_new PARTITION OF $SCHEMA.events FOR VALUES FROM ('2050-01-01') TO ('2100-01-01');
	INSERT INTO $SCHEMA.events SELECT current_date, g FROM generate_series(1, 100) g;
	CREATE MATERIALIZED VIEW $SCHEMA.mv AS SELECT count(*) AS n FROM $SCHEMA.events;" "$ADB" >/dev/null

# Every threshold out of reach (as test_once_check's): A has no alert of
# its own.  B's config makes pgdeck's own sessions a pool WARNING.
cat > "$TMP/neutral.ini" <<'EOF'
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
sed 's/^pool_percent = .*/pool_percent = 0/' "$TMP/neutral.ini" > "$TMP/warn.ini"

# ---- agent A
start_a() {
	"$PGDECK" agent --config "$TMP/neutral.ini" --publish "$AURL" --name "$A" --interval 0.5 "$ADB" \
		>> "$TMP/a.out" 2>> "$TMP/a.err" &
	APID=$!
}
start_a
at_exit "kill \$APID 2>/dev/null"

COLLECTORS=$("$PGDECK" --once --format json --config "$TMP/neutral.ini" "$ADB" 2>/dev/null |
	python3 -c 'import json, sys; print(" ".join(json.load(sys.stdin)["collectors"]))')
check "--once names the collectors" test -n "$COLLECTORS"
every_stream() {
	for _c in $COLLECTORS; do
		[ "$(redis_q EXISTS "pgdeck:{$A}:$_c")" = 1 ] || return 1
	done
}
if wait_until 30 every_stream; then ok "the agent publishes a stream for every collector"
else not_ok "the agent publishes a stream for every collector"; diag "$(cat "$TMP/a.err")"; fi

# ---- the shape of the entries
cat > "$TMP/streams.py" <<'EOF'
# Read streams with redis-cli: values are one line each (the snapshot is
# ASCII JSON, newlines escaped).  Usage: streams.py PORT NAME check|dump COLLECTORS...
import json, subprocess, sys
port, name, mode, collectors = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]

def last_entry(key):
    out = subprocess.run(["redis-cli", "-p", port, "XREVRANGE", key, "+", "-", "COUNT", "1"],
                         capture_output=True, text=True, check=True).stdout.split("\n")
    if out and out[-1] == "":
        out.pop()
    return out[0], out[1:]

problems = []
dump = {}
for c in collectors:
    key = "pgdeck:{%s}:%s" % (name, c)
    entry_id, kv = last_entry(key)
    fields = dict(zip(kv[0::2], kv[1::2]))
    if kv[0::2] != ["format", "collector", "cadence", "keepalive", "snapshot"]:
        problems.append("%s: fields %s" % (key, kv[0::2]))
        continue
    if fields["format"] != "1" or fields["collector"] != c:
        problems.append("%s: format %s collector %s" % (key, fields["format"], fields["collector"]))
    if float(fields["keepalive"]) < 10 or float(fields["cadence"]) <= 0:
        problems.append("%s: cadence %s keepalive %s" % (key, fields["cadence"], fields["keepalive"]))
    s = json.loads(fields["snapshot"])
    if list(s) != ["source", "taken_at", "elapsed_ms", "error", "columns", "rows"]:
        problems.append("%s: members %s" % (key, list(s)))
        continue
    if s["source"] not in ("primary", "replica", "pgbouncer", "redis"):
        problems.append("%s: source %r" % (key, s["source"]))
    if s["error"] is None:
        for r in s["rows"]:
            if len(r) != len(s["columns"]) or any(v is not None and not isinstance(v, str) for v in r):
                problems.append("%s: row %r" % (key, r))
                break
    elif s["rows"] or s["columns"]:
        problems.append("%s: an error with rows" % key)
    dump[c] = s
if mode == "dump":
    json.dump(dump, sys.stdout)
for p in problems:
    print(p, file=sys.stderr)
sys.exit(1 if problems else 0)
EOF
# shellcheck disable=SC2086
check "every stream's last entry: format, collector, cadence, keepalive and the --once shape" \
	python3 "$TMP/streams.py" "$RPORT" "$A" check $COLLECTORS
check_eq "the entries are plain printable ASCII" 0 \
	"$(redis-cli -p "$RPORT" XREVRANGE "pgdeck:{$A}:activity" + - COUNT 1 | LC_ALL=C grep -c '[^ -~]')"
# The catalog tier runs at [display] catalog_interval (the suite sets
# PGDECK_CATALOG_INTERVAL, lib.sh); the others keep their own cadences.
cadences() {
	for c in table_cache views indexes partitions database_cache; do
		printf '%s %s\n' "$c" "$(redis-cli -p "$RPORT" XREVRANGE "pgdeck:{$A}:$c" + - COUNT 1 |
			awk 'prev == "cadence" { print; exit } { prev = $0 }')"
	done
}
check_eq "the catalog tier's streams say its cadence, PGDECK_CATALOG_INTERVAL's $PGDECK_CATALOG_INTERVAL s" \
	"table_cache $PGDECK_CATALOG_INTERVAL
views $PGDECK_CATALOG_INTERVAL
indexes $PGDECK_CATALOG_INTERVAL
partitions $PGDECK_CATALOG_INTERVAL
database_cache 5" "$(cadences)"

# The same partitions and views as --once on the same database: the
# partitions and views collectors' columns and their rows' identities.
cat > "$TMP/agree.py" <<'EOF'
import json, sys
stream = json.load(open(sys.argv[1]))
once = json.load(open(sys.argv[2]))["collectors"]
schema = sys.argv[3]
bad = []
for c, keys in (("partitions", ("schema", "table")), ("views", ("schema", "view"))):
    s, o = stream[c], once[c]
    if s["error"] or o["error"]:
        bad.append("%s: error %r / %r" % (c, s["error"], o["error"]))
        continue
    if s["columns"] != o["columns"]:
        bad.append("%s: columns differ" % c)
        continue
    ix = [s["columns"].index(k) for k in keys if k in s["columns"]]
    ident = lambda rows: sorted(tuple(r[i] for i in ix) for r in rows)
    if ident(s["rows"]) != ident(o["rows"]):
        bad.append("%s: %r vs %r" % (c, ident(s["rows"]), ident(o["rows"])))
    if not any(schema in (r[ix[0]] or "") for r in s["rows"]):
        bad.append("%s: the test's %s objects are not there" % (c, schema))
for b in bad:
    print(b, file=sys.stderr)
sys.exit(1 if bad else 0)
EOF
python3 "$TMP/streams.py" "$RPORT" "$A" dump partitions views > "$TMP/stream.json" 2>"$TMP/dump.err"
"$PGDECK" --once --format json --config "$TMP/neutral.ini" "$ADB" > "$TMP/once.json" 2>/dev/null
check "the streams hold the same partitions and views as --once" \
	python3 "$TMP/agree.py" "$TMP/stream.json" "$TMP/once.json" "$SCHEMA"

# ---- heartbeat, agent key, fleet hash
cat > "$TMP/summary.py" <<'EOF'
import json, sys
a = json.loads(sys.stdin.read())
field = sys.argv[1]
print(a[field] if not isinstance(a[field], (dict, list)) else json.dumps(a[field]))
EOF
summary_of() {	# NAME FIELD: from the agent key
	redis_q GET "pgdeck:{$1}:agent" | python3 "$TMP/summary.py" "$2" 2>/dev/null
}
check_eq "the agent key holds A's summary, state up" up "$(summary_of "$A" state)"
ttl=$(redis_q PTTL "pgdeck:{$A}:agent")
check "the agent key has a TTL of a few intervals (0 < $ttl ms <= 3500)" test "$ttl" -gt 0 -a "$ttl" -le 3500
check "the lock key has a TTL too" test "$(redis_q PTTL "pgdeck:{$A}:lock")" -gt 0
fleet_has() {	# NAME STATE: the newest heartbeat of NAME in pgdeck:fleet has STATE
	redis-cli -p "$RPORT" XREVRANGE pgdeck:fleet + - COUNT 200 | python3 -c '
import sys
lines = sys.stdin.read().split("\n")
for i, l in enumerate(lines):
    if l == "name" and lines[i + 1] == sys.argv[1]:
        sys.exit(0 if lines[i + 3] == sys.argv[2] else 1)
sys.exit(1)' "$1" "$2"
}
check "a heartbeat of A in pgdeck:fleet says up" wait_until 5 fleet_has "$A" up
check "the fleet hash holds A's summary" sh -c "redis-cli -p $RPORT HGET pgdeck:fleet:agents $A | grep -q '\"name\":\"$A\"'"

# ---- one agent per name
out=$(timeout 20 "$PGDECK" agent --publish "$AURL" --name "$A" --interval 0.5 "$ADB" 2>&1)
rc=$?
check_eq "a second agent under a live name exits 1" 1 "$rc"
case $out in
*"the name '$A' is taken by a live agent (pid $APID on host"*) ok "... and says who holds it" ;;
*) not_ok "... and says who holds it"; diag "$out" ;;
esac
check_eq "A still holds its name" up "$(summary_of "$A" state)"

# ---- a read-only Redis user cannot publish, and the agent says why
out=$(timeout 20 "$PGDECK" agent --publish "$VURL" --name "${A}v" --interval 0.5 "$ADB" 2>&1)
rc=$?
check_eq "an agent whose Redis user may only read exits 1" 1 "$rc"
case $out in
*"Redis refused"*"for user '$VIEWER_USER'"*NOPERM*) ok "... and says Redis refused it (NOPERM) for that user" ;;
*) not_ok "... and says Redis refused it (NOPERM) for that user"; diag "$out" ;;
esac
case $out in
*"$VIEWER_PW"*) not_ok "... without printing the password"; diag "$out" ;;
*) ok "... without printing the password" ;;
esac
check_eq "... and took no name" 0 "$(redis_q EXISTS "pgdeck:{${A}v}:lock" "pgdeck:{${A}v}:agent")"
out=$("$PGDECK" agent --publish "redis://$AGENT_USER:wrong-$AGENT_PW@127.0.0.1:$RPORT/0" --name "${A}w" \
	--interval 0.5 "$ADB" 2>&1 & _p=$!; sleep 2; kill $_p; wait $_p)
case $out in
*"authentication as user '$AGENT_USER' failed"*) ok "a wrong password: the agent says whose authentication failed" ;;
*) not_ok "a wrong password: the agent says whose authentication failed"; diag "$out" ;;
esac
case $out in
*"wrong-$AGENT_PW"* | *"$AGENT_PW"*) not_ok "... and never prints the password"; diag "$out" ;;
*) ok "... and never prints the password" ;;
esac

# ---- check --from, by a viewer: one agent, OK
out=$("$PGDECK" check --from "$VURL" 2>&1)
rc=$?
check_eq "check --from with one healthy agent exits 0" 0 "$rc" || diag "$out"
check "... 'PGDECK OK - 1 agent' first, then A's line" sh -c "printf '%s\n' \"\$1\" | head -n 1 | grep -q '^PGDECK OK - 1 agent, no alerts |' &&
	printf '%s\n' \"\$1\" | grep -q '^OK $A: no alerts (up, PostgreSQL [0-9.]*; heartbeat [0-9:]*)\$'" sh "$out"

# ---- a second cluster, a second agent made WARNING by its thresholds
if harness start-second >/dev/null 2>&1; then
	ok "the harness starts its second cluster"
	at_exit "sh '$PGDECK_ROOT/tests/harness.sh' stop-second >/dev/null 2>&1"
	# shellcheck disable=SC1090
	. "$PGDECK_RUN/env.sh"
else
	not_ok "the harness starts its second cluster"
fi
DATABASE_READ_REPLICA_URL= PGBOUNCER_URL= REDIS_URL= \
	"$PGDECK" agent --config "$TMP/warn.ini" --publish "$AURL" --name "$B" --interval 0.5 "${DATABASE2_URL:-}" \
	> "$TMP/b.out" 2> "$TMP/b.err" &
BPID=$!
at_exit "kill -9 $BPID 2>/dev/null"
b_warns() { [ "$(summary_of "$B" worst)" = warning ]; }
if wait_until 20 b_warns; then ok "agent B of the second cluster publishes, worst alert WARNING"
else not_ok "agent B of the second cluster publishes, worst alert WARNING"; diag "$(cat "$TMP/b.err")"; fi
max_connections() {	# NAME: max_connections in the agent's settings stream
	redis-cli -p "$RPORT" XREVRANGE "pgdeck:{$1}:settings" + - COUNT 1 | tail -n 1 | python3 -c '
import json, sys
s = json.load(sys.stdin)
print(s["rows"][0][s["columns"].index("max_connections")])'
}
check_eq "B watches the second cluster (max_connections 100), A the first (400)" "100 400" \
	"$(max_connections "$B") $(max_connections "$A")"

out=$("$PGDECK" check --from "$VURL" 2>&1)
rc=$?
check_eq "check --from, A OK and B WARNING: exits 1" 1 "$rc" || diag "$out"
check "... the first line says WARNING and names B" sh -c "printf '%s\n' \"\$1\" | head -n 1 |
	grep -q '^PGDECK WARNING - 2 agents: $B: pool: .* | agents=2 ok=1 warning=1 critical=0 unknown=0 silent=0\$'" sh "$out"
check "... one line per agent, in name order" sh -c "printf '%s\n' \"\$1\" | sed -n '2,3p' | cut -d' ' -f1,2 | tr '\n' ' ' |
	grep -qx 'OK $A: WARNING $B: '" sh "$out"
out=$("$PGDECK" check --from "$VURL" --name "$A" 2>&1)
check_eq "check --from --name A: A only, exits 0" "0 2" "$? $(printf '%s\n' "$out" | wc -l | tr -d ' ')"

# ---- B killed: silent, CRITICAL, since when
{ kill -9 "$BPID"; wait "$BPID"; } 2>/dev/null
b_gone() { [ "$(redis_q EXISTS "pgdeck:{$B}:agent")" = 0 ]; }
check "B's key expires after its heartbeats stop" wait_until 10 b_gone
out=$("$PGDECK" check --from "$VURL" 2>&1)
rc=$?
check_eq "check --from with B silent exits 2" 2 "$rc" || diag "$out"
check "... CRITICAL $B: silent since HH:MM:SS" sh -c "printf '%s\n' \"\$1\" |
	grep -Eq '^CRITICAL $B: silent since [0-9]{2}:[0-9]{2}:[0-9]{2} \\(no heartbeat for [0-9]+ s; its key pgdeck:\\{$B\\}:agent expired\\)\$'" sh "$out"
check "... and the first line says so" sh -c "printf '%s\n' \"\$1\" | head -n 1 | grep -q '^PGDECK CRITICAL - 2 agents: $B silent since .*silent=1\$'" sh "$out"
out=$("$PGDECK" check --from "$VURL" --name nosuch$$ 2>&1)
check_eq "check --from --name of an unknown agent exits 2" 2 $?
out=$("$PGDECK" check --from "redis://127.0.0.1:1/0" 2>&1)
check_eq "check --from an unreachable Redis exits 3 UNKNOWN" 3 $?
check "... and says why" sh -c "printf '%s\n' \"\$1\" | grep -q '^PGDECK UNKNOWN - cannot read the fleet: .*refused'" sh "$out"

# ---- Redis killed and restarted: A comes back by itself
harness kill-redis
redis_said_down() { grep -q "Redis 127.0.0.1:$RPORT/0 is down" "$TMP/a.err"; }
check "A says Redis is down, and goes on collecting" wait_until 10 redis_said_down
harness start-redis
# A restarted Redis is empty: its ACL users too.
check "the ACL users again" make_users
republished() { [ "$(redis_q EXISTS "pgdeck:{$A}:activity" "pgdeck:{$A}:settings" "pgdeck:{$A}:agent")" = 3 ]; }
if wait_until 45 republished; then ok "A reconnects, takes its name again and publishes every stream"
else not_ok "A reconnects, takes its name again and publishes every stream"; diag "$(tail -n 5 "$TMP/a.err")"; fi
check "A is the same process" kill -0 "$APID"
check_eq "A said 'publishing' twice" 2 "$(grep -c "publishing to 127.0.0.1:$RPORT/0 (user $AGENT_USER) as '$A'" "$TMP/a.err")"

# ---- the primary stopped: the heartbeat says so
harness stop-primary fast
a_down() { [ "$(summary_of "$A" state)" = "primary down" ]; }
if wait_until 20 a_down; then ok "A's heartbeat says 'primary down'"
else not_ok "A's heartbeat says 'primary down'"; diag "$(redis_q GET "pgdeck:{$A}:agent")"; fi
check_eq "... its worst alert is critical" critical "$(summary_of "$A" worst)"
activity_failed() {
	redis-cli -p "$RPORT" XREVRANGE "pgdeck:{$A}:activity" + - COUNT 1 | tail -n 1 |
		python3 -c 'import json, sys; sys.exit(0 if json.load(sys.stdin)["error"] else 1)'
}
check "... and the activity stream's newest entry is the failure" wait_until 10 activity_failed
out=$("$PGDECK" check --from "$VURL" --name "$A" 2>&1)
check_eq "check --from --name A exits 2 while A's primary is down" 2 $?
check "... with A's primary_down alert" sh -c "printf '%s\n' \"\$1\" | grep -q '^CRITICAL $A: primary down since'" sh "$out"
harness start-primary
a_up() { [ "$(summary_of "$A" state)" = up ]; }
check "A's heartbeat says up again once the primary is back" wait_until 30 a_up

# ---- SIGTERM: a clean exit that releases the name
kill -TERM "$APID"
wait "$APID"
check_eq "SIGTERM: A exits 0" 0 $?
check_eq "... its lock and agent key are gone" 0 "$(redis_q EXISTS "pgdeck:{$A}:lock" "pgdeck:{$A}:agent")"
check "... its last word in the fleet is 'stopped'" fleet_has "$A" stopped
out=$("$PGDECK" check --from "$VURL" --name "$A" 2>&1)
check_eq "check --from --name A after a clean stop: WARNING" 1 $?
check "... 'stopped at'" sh -c "printf '%s\n' \"\$1\" | grep -q '^WARNING $A: stopped at [0-9:]* '" sh "$out"
out=$(timeout 20 "$PGDECK" agent --publish "$AURL" --name "$A" --interval 0.5 "$ADB" 2>&1 & _p=$!
	sleep 2; kill -TERM $_p; wait $_p)
case $out in
*"publishing to"*"stopped; the name is free"*) ok "the name is free again: a new agent A takes it" ;;
*) not_ok "the name is free again: a new agent A takes it"; diag "$out" ;;
esac

tap_done
