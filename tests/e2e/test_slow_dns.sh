#!/bin/sh
# Connecting through a DNS server that is slow to answer (issue 12, medium
# 4).  An LD_PRELOAD shim (tests/e2e/slowdns.c) holds every getaddrinfo of
# slow.pgdeck.test until the test opens a gate file, then answers
# 127.0.0.1.  With the primary and Redis addressed by that name:
#   - the console is drawn and answers keys (help opens) while both are
#     still connecting, and no lookup of the name ran on pgdeck's main
#     thread (the event loop's);
#   - the held name takes one lookup however many connections want it, so
#     the replica, addressed by a name that answers (localhost), comes up
#     meanwhile (libuv gives lookups only two of its four pool threads);
#   - once the lookups answer, both come up and the panes fill;
#   - q quits at once while a lookup is still out;
#   - a lookup slower than the connect timeout is a failed connect, said in
#     libpq's words, and --once does not wait for the lookup to end.
. tests/e2e/lib.sh

PGDECK=$(pgdeck_bin)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/pgdeck-dns.XXXXXX")
at_exit "rm -rf '$TMP'"
XDG_CONFIG_HOME=$TMP/config
XDG_STATE_HOME=$TMP/state
export XDG_CONFIG_HOME XDG_STATE_HOME

SHIM=$TMP/slowdns.so
if ! ${CC:-cc} -shared -fPIC -O2 -Wall -Wextra -o "$SHIM" "$PGDECK_ROOT/tests/e2e/slowdns.c" -ldl \
	> "$TMP/cc.log" 2>&1; then
	not_ok "the slow DNS shim builds"
	diag "$(cat "$TMP/cc.log")"
	tap_done
fi
# An ASan build of pgdeck wants its runtime first in the library list.
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
export ASAN_OPTIONS

SLOW_PRIMARY="host=slow.pgdeck.test port=$PGDECK_PG_PORT user=postgres dbname=pgdeck"
SLOW_REDIS="redis://slow.pgdeck.test:$PGDECK_REDIS_PORT/0"
LOOKUPS=$TMP/lookups

# ---- the console while the lookups are out
# A connect timeout longer than the test's waits, so that "connecting" is
# what the status line says throughout (the timeout has its own test below).
: > "$LOOKUPS"
tmux_start main 180 40 env DB_CONNECTION_TIMEOUT=60000 DATABASE_URL="$SLOW_PRIMARY" REDIS_URL="$SLOW_REDIS" \
	DATABASE_READ_REPLICA_URL="host=localhost port=$PGDECK_REPLICA_PORT user=postgres dbname=pgdeck" \
	LD_PRELOAD="$SHIM" PGDECK_SLOW_SECONDS=60 PGDECK_SLOW_GATE="$TMP/gate" PGDECK_SLOW_LOG="$LOOKUPS" "$PGDECK"
check "the console is drawn while the primary and Redis are still connecting" \
	tmux_wait_for main 'primary: connecting .*redis: connecting' 10
check "the replica, by a name that answers, comes up meanwhile" tmux_wait_for main 'replica: up 15\.' 10
tmux_keys main '?'
check "? opens the help while the lookups are still out" tmux_wait_for main 'pgdeck help' 10
screen=$(tmux_capture main)
if printf '%s\n' "$screen" | grep -q 'pgdeck help' && printf '%s\n' "$screen" | grep -q 'primary: connecting'; then
	ok "the help and 'primary: connecting' are on one screen"
else
	not_ok "the help and 'primary: connecting' are on one screen"
	diag "$screen"
fi
check_eq "one lookup of the held name, for the primary's connections and Redis" 1 \
	"$(grep -c 'slow\.pgdeck\.test' "$LOOKUPS")"
check "no lookup ran on pgdeck's main thread (the event loop's)" sh -c "! grep -q '^main ' '$LOOKUPS'"
tmux_keys main Escape
check "Esc closes the help" tmux_wait_gone main 'pgdeck help' 5

touch "$TMP/gate"
check "the primary comes up once the lookup answers" tmux_wait_for main 'primary: up 15\.' 15
check "Redis comes up once the lookup answers" tmux_wait_for main 'redis: up [0-9]' 15
check "the pool pane fills from the primary" tmux_wait_for main 'connections [0-9]+/[0-9]+' 10
check "the cache pane fills from Redis" tmux_wait_for main 'memory +[0-9.]+ [kMG]?B used' 10
check "still no lookup on the main thread" sh -c "! grep -q '^main ' '$LOOKUPS'"
tmux_keys main q
check "q quits" tmux_wait_exit main 10
check_eq "exit status 0" 0 "$(tmux_exit_status main)"
tmux_kill main

# ---- q while a lookup is still out
# The lookup cannot be stopped on its thread; quitting must not wait for it.
tmux_start quit 120 40 env DB_CONNECTION_TIMEOUT=60000 DATABASE_URL="$SLOW_PRIMARY" REDIS_URL="$SLOW_REDIS" \
	LD_PRELOAD="$SHIM" PGDECK_SLOW_SECONDS=60 PGDECK_SLOW_GATE="$TMP/never" PGDECK_SLOW_LOG="$LOOKUPS" "$PGDECK"
check "connecting again, the lookup held" tmux_wait_for quit 'primary: connecting' 10
tmux_keys quit q
check "q quits while the lookup is still out (the shim holds it 60 s)" tmux_wait_exit quit 15
check_eq "exit status 0" 0 "$(tmux_exit_status quit)"
tmux_kill quit

# ---- a lookup slower than the connect timeout
timeout 40 env -u DATABASE_READ_REPLICA_URL -u PGBOUNCER_URL -u REDIS_URL DB_CONNECTION_TIMEOUT=1000 \
	LD_PRELOAD="$SHIM" PGDECK_SLOW_SECONDS=60 PGDECK_SLOW_GATE="$TMP/never" PGDECK_SLOW_LOG="$LOOKUPS" \
	"$PGDECK" --once "$SLOW_PRIMARY" > "$TMP/once.out" 2> "$TMP/once.err"
rc=$?
check "--once gives up at the connect timeout, not when the 60 s lookup ends" test "$rc" != 124
check "--once says the name did not resolve in time, in libpq's words" \
	grep -q 'cannot connect to the primary: could not translate host name "slow.pgdeck.test" to address: no answer in 1.0 s' "$TMP/once.err"
[ -s "$TMP/once.err" ] && diag "stderr: $(cat "$TMP/once.err")"

tap_done
