#!/bin/sh
# pgdeck --from REDIS_URL --name NAME: the console fed by an agent's
# streams, against the harness's real servers, in tmux:
#   - an agent and two viewers (a Redis viewer user each, PG* variables
#     pointing nowhere) show the same partitions and views as a direct
#     console on the same database, title "viewer of NAME via redis", each
#     pane its data's age;
#   - the viewers hold no database session (pg_stat_activity);
#   - hostile stream entries (terminal escapes, a huge field, wrong types,
#     truncated JSON) are refused or shown sanitized: no crash, no escape;
#   - a viewer user's action is refused (NOPERM), the agent runs nothing;
#   - an operator user's refresh through an --accept-actions agent shows
#     the agent's preview, runs on y, and is journaled with the Redis user;
#   - an agent without --accept-actions: the action key says why nothing
#     is sent;
#   - Redis restarted: agent and viewers recover and repaint;
#   - the agent killed: "agent NAME silent since HH:MM:SS".
. tests/e2e/lib.sh

PGDECK=$(pgdeck_bin)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/pgdeck-viewer.XXXXXX")
at_exit "rm -rf '$TMP'"
XDG_CONFIG_HOME=$TMP/xdg
XDG_STATE_HOME=$TMP/state
export XDG_CONFIG_HOME XDG_STATE_HOME

A=va$$
N=vn$$
DB=pgdeck_viewer_$$
S=viewer_t$$
AGENT_USER=pgdeck_agent_v$$
VIEWER_USER=pgdeck_viewer_v$$
OPER_USER=pgdeck_oper_v$$
PW="v-Pw-$$-secret"
RPORT=$PGDECK_REDIS_PORT
AURL="redis://$AGENT_USER:$PW@127.0.0.1:$RPORT/0"
VURL="redis://$VIEWER_USER:$PW@127.0.0.1:$RPORT/0"
OURL="redis://$OPER_USER:$PW@127.0.0.1:$RPORT/0"
SOCKDB="host=$PGDECK_SOCKET_DIR port=$PGDECK_PG_PORT user=postgres"
ADB="$SOCKDB dbname=$DB"

# ---- Redis: the README's three users, word for word
make_users() {
	redis_q ACL SETUSER "$AGENT_USER" reset on ">$PW" resetkeys '~pgdeck:*' -@all +@read +@write \
		+@stream +@connection +eval +info +time >/dev/null &&
	redis_q ACL SETUSER "$VIEWER_USER" reset on ">$PW" resetkeys '~pgdeck:*' -@all +@read \
		+@connection +time '+acl|whoami' >/dev/null &&
	redis_q ACL SETUSER "$OPER_USER" reset on ">$PW" resetkeys '%R~pgdeck:*' '%RW~pgdeck:*:cmd' -@all +@read \
		+@connection +time '+acl|whoami' +xadd >/dev/null
}
check "ACL users for the agent, a viewer and an operator" make_users
at_exit "redis_q ACL DELUSER '$AGENT_USER' '$VIEWER_USER' '$OPER_USER' >/dev/null 2>&1"

# ---- the database: a partitioned table and a materialized view
psql_q "CREATE DATABASE $DB" "$SOCKDB dbname=postgres" >/dev/null
at_exit "psql_q 'DROP DATABASE IF EXISTS $DB WITH (FORCE)' '$SOCKDB dbname=postgres' >/dev/null 2>&1"
psql_q "CREATE SCHEMA $S;
	CREATE TABLE $S.events (at date NOT NULL, v int) PARTITION BY RANGE (at);
	CREATE TABLE $S.events_old PARTITION OF $S.events FOR VALUES FROM ('2000-01-01') TO ('2050-01-01');
	CREATE TABLE $S.events_new PARTITION OF $S.events FOR VALUES FROM ('2050-01-01') TO ('2100-01-01');
	INSERT INTO $S.events SELECT current_date, g FROM generate_series(1, 10) g;
	CREATE MATERIALIZED VIEW $S.mv AS SELECT count(*) AS n FROM $S.events;
	CREATE UNIQUE INDEX mv_n ON $S.mv (n);" "$ADB" >/dev/null

# ---- the agent, taking actions
start_agent() {
	REDIS_URL= "$PGDECK" agent --publish "$AURL" --name "$A" --interval 0.5 --accept-actions "$ADB" \
		>> "$TMP/a.out" 2>> "$TMP/a.err" &
	APID=$!
}
start_agent
at_exit "kill \$APID 2>/dev/null"
agent_up() { redis_q GET "pgdeck:{$A}:agent" | grep -q '"state":"up"'; }
if wait_until 30 agent_up; then ok "the agent publishes"
else not_ok "the agent publishes"; diag "$(cat "$TMP/a.err")"; fi

# ---- a direct console and two viewers, the viewers with no database
viewer() {	# TMUX_NAME URL [NAME]: a viewer with PG* pointing nowhere
	_vn=$1 _vu=$2
	shift 2
	tmux_start "$_vn" 160 50 env PGHOST=/nonexistent PGPORT=1 PGDATABASE=nowhere PGUSER=nobody \
		DATABASE_URL= DATABASE_READ_REPLICA_URL= PGBOUNCER_URL= REDIS_URL= \
		"$PGDECK" --from "$_vu" "$@"
}
tmux_start direct 160 50 env REDIS_URL= "$PGDECK" "$ADB"
viewer v1 "$VURL" --name "$A"
viewer v2 "$OURL" --name "$A"

check "the viewer's title says 'viewer of $A via redis'" tmux_wait_for v1 "viewer of $A via redis" 10
for t in direct v1 v2; do
	tmux_keys "$t" 4
	check "$t: the partitions pane lists $S.events" tmux_wait_for "$t" "$S\.events +2 " 20
	tmux_keys "$t" 5
	check "$t: the views pane lists $S.mv" tmux_wait_for "$t" "$S\.mv " 20
done
check "each viewer pane says how old its data is" tmux_wait_for v1 "5 Views [0-9.]+s old" 5
rows_of() {	# TMUX_NAME: the partitions and views lines of the test's schema
	tmux_capture "$1" | grep -oE "$S\.(events|mv) +[^ ]+" | sort | tr -s ' '
}
check_eq "viewer 1 shows the same partitions and views as the direct console" "$(rows_of direct)" "$(rows_of v1)"
check_eq "viewer 2 too" "$(rows_of direct)" "$(rows_of v2)"

# A viewer's pane titles say how old the data is: a title that changes
# every second while the views' data does not (the agent reads them every
# 10 s).  Those frames redraw the title, not the pane (the repaint rule,
# ui/screen.c): a third viewer left alone for 8 s draws its views pane
# far fewer times than it draws frames (--stats, written at its exit).
viewer v3 "$VURL" --name "$A" --stats "$TMP/v3.stats"
check "viewer 3 shows the views pane's age" tmux_wait_for v3 "5 Views [0-9.]+s old" 10
sleep 8
tmux_keys v3 q
tmux_wait_exit v3 10 >/dev/null
frames=$(awk '$1 == "frames" { print $2 }' "$TMP/v3.stats" 2>/dev/null)
views=$(awk '$1 == "pane" && $2 == "views" { print $4 }' "$TMP/v3.stats" 2>/dev/null)
diag "$(grep -E '^(frames|pane) ' "$TMP/v3.stats" 2>/dev/null)"
check "viewer 3: the views pane was not drawn again for its age ($views draws, $frames frames)" \
	test "${views:-999999}" -le $((${frames:-0} - 5))

# The agent holds its sessions (application_name pgdeck); the viewers none.
sessions() {
	psql_q "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'pgdeck%' AND datname = '$DB'" "$ADB"
}
with_viewers=$(sessions)
tmux_kill direct
direct_gone() { [ "$(sessions)" -lt "$with_viewers" ]; }
wait_until 10 direct_gone
agent_only=$(sessions)
tmux_kill v1
tmux_kill v2
sleep 1
check_eq "the viewers hold no database session (pg_stat_activity without them: the same)" "$agent_only" "$(sessions)"
check "no session from any client but the agent's and psql's" test "$(psql_q "SELECT count(*) FROM pg_stat_activity
	WHERE datname = '$DB' AND application_name NOT LIKE 'pgdeck%' AND application_name <> 'psql' AND backend_type = 'client backend'" "$ADB")" = 0
viewer v1 "$VURL" --name "$A"
viewer v2 "$OURL" --name "$A"
check "the viewers paint again" tmux_wait_for v1 "primary: up" 10

# ---- actions: a viewer user is refused, an operator's runs through the agent
tmux_keys v1 5 /
tmux_keys v1 -l "$S."
tmux_keys v1 Enter
tmux_wait_for v1 "$S\.mv " 10 >/dev/null
tmux_keys v1 r
check "a viewer user's refresh: Redis refused the request (NOPERM), nothing was run" \
	tmux_wait_for v1 "Redis refused the request for user '$VIEWER_USER' \(NOPERM" 10
check "... and the agent heard of no request" sh -c "! grep -q 'requested by redis user' '$TMP/a.err'"

psql_q "INSERT INTO $S.events SELECT current_date, g FROM generate_series(1, 5) g" "$ADB"
tmux_keys v2 5 /
tmux_keys v2 -l "$S."
tmux_keys v2 Enter
tmux_wait_for v2 "$S\.mv " 10 >/dev/null
tmux_keys v2 r
check "an operator's refresh: the agent's preview with the exact statement" \
	tmux_wait_for v2 "REFRESH MATERIALIZED VIEW CONCURRENTLY \"$S\"\.\"mv\"" 10
check_eq "nothing ran before y" 10 "$(psql_q "SELECT n FROM $S.mv" "$ADB")"
tmux_keys v2 y
check "y: the agent refreshes it and the viewer shows the answer" \
	tmux_wait_for v2 "refresh $S\.mv: refreshed CONCURRENTLY in [0-9.]+m?s \(agent $A\)" 15
check_eq "the view holds the new count" 15 "$(psql_q "SELECT n FROM $S.mv" "$ADB")"
journaled() { grep -q "\"redis_user\": *\"$OPER_USER\"" "$XDG_STATE_HOME/pgdeck/journal"; }
check "the agent journals it with the operator's Redis user" journaled
check "... front end 'agent'" grep -q '"front_end": *"agent"' "$XDG_STATE_HOME/pgdeck/journal"
check "the agent says who asked" grep -q "refresh requested by redis user $OPER_USER" "$TMP/a.err"

# An agent without --accept-actions: the viewer says why nothing is sent.
REDIS_URL= "$PGDECK" agent --publish "$AURL" --name "$N" --interval 0.5 "$ADB" > /dev/null 2> "$TMP/n.err" &
NPID=$!
at_exit "kill $NPID 2>/dev/null"
viewer vn "$OURL" --name "$N"
tmux_keys vn 5 /
tmux_keys vn -l "$S."
tmux_keys vn Enter
tmux_wait_for vn "$S\.mv " 20 >/dev/null
tmux_keys vn r
check "an agent without --accept-actions: the key says why nothing is sent" \
	tmux_wait_for vn "agent $N does not take actions \(it was started without --accept-actions\)" 10
tmux_kill vn
kill "$NPID" 2>/dev/null
wait "$NPID" 2>/dev/null

# A read-only agent, even with --accept-actions: nothing that changes is sent.
REDIS_URL= "$PGDECK" agent -R --accept-actions --publish "$AURL" --name "$N" --interval 0.5 "$ADB" \
	> /dev/null 2> "$TMP/r.err" &
RPID=$!
at_exit "kill $RPID 2>/dev/null"
viewer vr "$OURL" --name "$N"
tmux_keys vr 5 /
tmux_keys vr -l "$S."
tmux_keys vr Enter
tmux_wait_for vr "$S\.mv " 20 >/dev/null
tmux_keys vr r
check "a read-only agent: the key says so and sends nothing" \
	tmux_wait_for vr "agent $N is read-only \(-R\): refresh changes the database; nothing was sent" 10
check "... the agent heard of no request" sh -c "! grep -q 'requested by' '$TMP/r.err'"
tmux_kill vr
kill "$RPID" 2>/dev/null

# ---- hostile stream entries
hostile() {	# FIELD VALUE pairs after the key
	redis_q XADD "pgdeck:{$A}:views" '*' "$@" >/dev/null
}
ESC=$(printf '\033')
BEL=$(printf '\007')
hostile format 1 collector views cadence 1 keepalive 10000 snapshot \
	"{\"source\":\"primary\",\"taken_at\":1,\"elapsed_ms\":1,\"error\":null,\"columns\":[\"schema\",\"view\"],\"rows\":[[\"${ESC}]0;pwned${BEL}evil${ESC}[31m\",\"v\"]]}"
hostile format 1 collector views cadence 1 keepalive 10 snapshot '{"source":"primary","taken_at":1,"error":null,"columns":["schema"],"rows":[[1,2,3]]}'
hostile format 1 collector views cadence 1 keepalive 10 snapshot '{"source":"primary","taken_at":1,"error":null,"columns":["sch'
hostile format 1 collector views cadence '"x"' keepalive '[]' snapshot '{}'
python3 -c 'print("{\"source\":\"primary\",\"taken_at\":1,\"error\":null,\"columns\":[\"schema\"],\"rows\":[[\"" + "A" * 3000000 + "\"]]}")' > "$TMP/huge.json"
redis-cli -h 127.0.0.1 -p "$RPORT" -x XADD "pgdeck:{$A}:views" '*' format 1 collector views cadence 1 keepalive 10 snapshot < "$TMP/huge.json" >/dev/null
hostile format 1 collector views
sleep 2
check "hostile entries: viewer 1 still runs" tmux_wait_for v1 "viewer of $A via redis" 5
check "hostile entries: viewer 2 still runs" tmux_wait_for v2 "viewer of $A via redis" 5
check "... they say which entries were refused" tmux_wait_for v1 "stream entries refused" 10
check_eq "... no escape reached the terminal (the pane title is not set)" no \
	"$(_tmux v1 display -p -t main '#{pane_title}' | grep -q pwned && echo yes || echo no)"
check "... and the agent's next entry is shown again" tmux_wait_for v1 "$S\.mv " 20

# ---- Redis restarted: everyone recovers and repaints
harness kill-redis
check "the viewers say Redis is down, and since when" \
	tmux_wait_for v1 "redis 127\.0\.0\.1:$RPORT/0 down since [0-9]{2}:[0-9]{2}:[0-9]{2}" 15
harness start-redis
check "the ACL users again (a restarted Redis is empty)" make_users
check "viewer 1 reconnects" tmux_wait_gone v1 "redis 127\.0\.0\.1:$RPORT/0 down since" 60
check "... and repaints from the republished streams" tmux_wait_for v1 "5 Views( \[filtered\])? [0-9](\.[0-9])?s old" 30
check "... with the view" tmux_wait_for v1 "$S\.mv " 10
check "viewer 2 too" tmux_wait_for v2 "$S\.mv " 10
check "the agent is the same process" kill -0 "$APID"

# ---- the agent killed: the viewers say since when
{ kill -9 "$APID"; wait "$APID"; } 2>/dev/null
check "the agent killed: viewer 1 says 'agent $A silent since HH:MM:SS'" \
	tmux_wait_for v1 "agent $A silent since [0-9]{2}:[0-9]{2}:[0-9]{2}" 15
check "viewer 2 too" tmux_wait_for v2 "agent $A silent since [0-9]{2}:[0-9]{2}:[0-9]{2}" 5

tap_done
