#!/bin/sh
# SIGPIPE is ignored in every front end (issue 12, "ignore SIGPIPE"):
# hiredis 0.14 writes to its socket with plain write(), so a Redis that
# goes away while pgdeck writes would kill pgdeck with SIGPIPE.  Read from
# /proc/PID/status (SigIgn, bit 13) of the console with all four servers
# up, and of --once, check and run held while connecting (the slow DNS
# shim, tests/e2e/slowdns.c, holds the primary's lookup).
. tests/e2e/lib.sh

PGDECK=$(pgdeck_bin)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/pgdeck-sigpipe.XXXXXX")
at_exit "rm -rf '$TMP'"
XDG_CONFIG_HOME=$TMP/config
XDG_STATE_HOME=$TMP/state
export XDG_CONFIG_HOME XDG_STATE_HOME

# ignores_sigpipe PID: SigIgn holds signal 13 (bit 12 of the mask).
ignores_sigpipe() {
	_mask=$(awk '/^SigIgn:/ { print $2 }' "/proc/$1/status" 2>/dev/null)
	[ -n "$_mask" ] || return 1
	[ $((0x$_mask & 0x1000)) -ne 0 ]
}

# ---- the console
tmux_start main 120 40 "$PGDECK"
check "the console is up" tmux_wait_for main 'redis: up [0-9]' 10
pid=$(tmux -L "pgdeck-main-$$" display-message -p -t main '#{pane_pid}')
check "the console ignores SIGPIPE" ignores_sigpipe "$pid"
# The Redis it writes to goes away and comes back: pgdeck lives on.
harness kill-redis > /dev/null 2>&1
check "Redis killed: shown down" tmux_wait_for main 'redis: down' 10
harness start-redis > /dev/null 2>&1
check "Redis back: shown up again" tmux_wait_for main 'redis: up [0-9]' 40
check "the console is still running" kill -0 "$pid"
tmux_keys main q
check "q quits" tmux_wait_exit main 10
check_eq "exit status 0" 0 "$(tmux_exit_status main)"
tmux_kill main

# ---- the front ends that run for a while
SHIM=$TMP/slowdns.so
if ! ${CC:-cc} -shared -fPIC -O2 -Wall -Wextra -o "$SHIM" "$PGDECK_ROOT/tests/e2e/slowdns.c" -ldl \
	> "$TMP/cc.log" 2>&1; then
	not_ok "the slow DNS shim builds"
	diag "$(cat "$TMP/cc.log")"
	tap_done
fi
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
export ASAN_OPTIONS

for front in "--once" "check" "run partitions --dry-run"; do
	: > "$TMP/lookups"
	# shellcheck disable=SC2086
	env -u DATABASE_READ_REPLICA_URL -u PGBOUNCER_URL -u REDIS_URL DB_CONNECTION_TIMEOUT=60000 \
		LD_PRELOAD="$SHIM" PGDECK_SLOW_SECONDS=60 PGDECK_SLOW_GATE="$TMP/never" PGDECK_SLOW_LOG="$TMP/lookups" \
		"$PGDECK" $front "host=slow.pgdeck.test port=$PGDECK_PG_PORT user=postgres dbname=pgdeck" \
		> /dev/null 2>&1 &
	pid=$!
	check "$front: held while connecting (its lookup is out)" wait_until 10 test -s "$TMP/lookups"
	check "$front ignores SIGPIPE" ignores_sigpipe "$pid"
	kill -TERM "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
done

tap_done
