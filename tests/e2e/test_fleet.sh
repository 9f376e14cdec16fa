#!/bin/sh
# pgdeck --from REDIS_URL without --name: the fleet pane, against two
# primaries (the harness's second cluster) each watched by an agent:
#   - one row per agent, with its state and server version;
#   - the filter keeps the matching rows;
#   - Enter opens the selected agent's screen (the viewer), Esc returns to
#     the fleet, :target NAME switches to another agent;
#   - an agent killed: the fleet says it is silent.
# The fleet keys (pgdeck:*) of the harness's Redis are this test's: it
# clears them first, as test_agent does.
. tests/e2e/lib.sh

PGDECK=$(pgdeck_bin)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/pgdeck-fleet.XXXXXX")
at_exit "rm -rf '$TMP'"
XDG_CONFIG_HOME=$TMP/xdg
export XDG_CONFIG_HOME

A=fa$$
B=fb$$
RPORT=$PGDECK_REDIS_PORT
URL="redis://127.0.0.1:$RPORT/0"

clear_fleet() {
	redis_q --scan --pattern 'pgdeck:*' | while read -r _k; do redis_q DEL "$_k" >/dev/null; done
}
clear_fleet
at_exit "clear_fleet"

if harness start-second >/dev/null 2>&1; then
	ok "the harness starts its second cluster"
	at_exit "sh '$PGDECK_ROOT/tests/harness.sh' stop-second >/dev/null 2>&1"
	# shellcheck disable=SC1090
	. "$PGDECK_RUN/env.sh"
else
	not_ok "the harness starts its second cluster"
fi

REDIS_URL= "$PGDECK" agent --publish "$URL" --name "$A" --interval 0.5 "$DATABASE_URL" > /dev/null 2> "$TMP/a.err" &
APID=$!
at_exit "kill \$APID 2>/dev/null"
DATABASE_READ_REPLICA_URL= PGBOUNCER_URL= REDIS_URL= \
	"$PGDECK" agent --publish "$URL" --name "$B" --interval 0.5 "${DATABASE2_URL:-}" > /dev/null 2> "$TMP/b.err" &
BPID=$!
at_exit "kill \$BPID 2>/dev/null"
both_up() {
	redis_q GET "pgdeck:{$A}:agent" | grep -q '"state":"up"' &&
		redis_q GET "pgdeck:{$B}:agent" | grep -q '"state":"up"'
}
if wait_until 30 both_up; then ok "two agents, one per primary, publish"
else not_ok "two agents, one per primary, publish"; diag "$(cat "$TMP/a.err" "$TMP/b.err")"; fi

tmux_start fleet 160 40 env PGHOST=/nonexistent PGPORT=1 DATABASE_URL= DATABASE_READ_REPLICA_URL= \
	PGBOUNCER_URL= REDIS_URL= "$PGDECK" --from "$URL"
check "the title says fleet via redis" tmux_wait_for fleet "fleet via redis 127\.0\.0\.1:$RPORT/0" 10
check "the fleet pane has a row for A, up, with its server version" \
	tmux_wait_for fleet "^(│|\|)$A +up +[0-9]+\.[0-9]+ " 15
check "... and one for B" tmux_wait_for fleet "^(│|\|)$B +up +[0-9]+\.[0-9]+ " 5
check "the summary line counts both" tmux_wait_for fleet "fleet: 2 agents, 2 up, 0 silent" 5

# The filter: B only.
tmux_keys fleet /
tmux_keys fleet -l "$B"
tmux_keys fleet Enter
check "the filter keeps B's row" tmux_wait_gone fleet "^(│|\|)$A " 5
check "... B's row is there" tmux_wait_for fleet "^(│|\|)$B +up" 5

# Enter: B's screen, the viewer of the second cluster.
tmux_keys fleet Enter
check "Enter opens the selected agent's screen: viewer of $B" tmux_wait_for fleet "viewer of $B via redis" 10
check "... with the panes of a console" tmux_wait_for fleet "1 Queries" 5
usable_b=$(psql_q "SELECT current_setting('max_connections')::int - current_setting('superuser_reserved_connections')::int" "$DATABASE2_URL")
usable_a=$(psql_q "SELECT current_setting('max_connections')::int - current_setting('superuser_reserved_connections')::int" "$DATABASE_URL")
check "the two clusters differ ($usable_a and $usable_b usable connections)" test "$usable_a" != "$usable_b"
check "... B's screen shows B's server (connections N/$usable_b)" \
	tmux_wait_for fleet "connections [0-9]+/$usable_b " 15
# Esc: back to the fleet (the filter cleared first if the pane has one).
tmux_keys fleet Escape
if ! tmux_wait_for fleet "fleet via redis" 3 >/dev/null 2>&1; then tmux_keys fleet Escape; fi
check "Esc returns to the fleet" tmux_wait_for fleet "fleet via redis" 5

# :target A switches straight to A.
tmux_keys fleet :
tmux_keys fleet -l "target $A"
tmux_keys fleet Enter
check ":target $A switches to A's screen" tmux_wait_for fleet "viewer of $A via redis" 10
check "... and paints A's data (connections N/$usable_a)" tmux_wait_for fleet "connections [0-9]+/$usable_a " 15
tmux_keys fleet :
tmux_keys fleet -l "target $B"
tmux_keys fleet Enter
check ":target $B switches to B's" tmux_wait_for fleet "viewer of $B via redis" 10
tmux_keys fleet Escape
if ! tmux_wait_for fleet "fleet via redis" 3 >/dev/null 2>&1; then tmux_keys fleet Escape; fi
check "Esc: the fleet again" tmux_wait_for fleet "fleet via redis" 5

# B killed: silent in the fleet.
{ kill -9 "$BPID"; wait "$BPID"; } 2>/dev/null
tmux_keys fleet /
tmux_keys fleet C-u
tmux_keys fleet Enter
check "B killed: its row says silent" tmux_wait_for fleet "^(│|\|)$B +silent" 15
check "... and the alert line names it" tmux_wait_for fleet "1 agent silent: $B" 5
check "A is still up" tmux_wait_for fleet "^(│|\|)$A +up" 5

tap_done
