#!/bin/sh
# What the console keeps resident for the whole run (issue 14, aim 3:
# peak RSS).  Counts, not sizes or times: load does not change them.
#   - of the locale, only the categories pgdeck uses are loaded: LC_CTYPE
#     (wide characters) and LC_MESSAGES; each other one was a file mapped
#     for the whole run (eleven with LC_ALL);
#   - libuv's pool has three threads (two for name lookups, one for the
#     host job: tests/e2e/test_slow_dns.sh), not libuv's four; a
#     UV_THREADPOOL_SIZE the user set is kept.
. tests/e2e/lib.sh

PGDECK=$(pgdeck_bin)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/pgdeck-resident.XXXXXX")
at_exit "rm -rf '$TMP'"
XDG_CONFIG_HOME=$TMP/xdg
export XDG_CONFIG_HOME

pane_pid() { _tmux "$1" display-message -p -t main '#{pane_pid}'; }
# Threads of PID: the main thread and libuv's pool, which starts whole at
# the first host job (the harness's servers are on this host).
threads() { ls "/proc/$1/task" | wc -l | tr -d ' '; }

tmux_start rs 120 40 env -u UV_THREADPOOL_SIZE LC_ALL=C.UTF-8 LANG=C.UTF-8 "$PGDECK"
check "the console is up with its panes" tmux_wait_for rs '7 Locks' 20
check "the host figures are in (the pool has run)" tmux_wait_for rs 'load' 20
PID=$(pane_pid rs)
sleep 1
grep -o '/LC_[A-Z_]*' "/proc/$PID/maps" | sort -u > "$TMP/categories"
check "the locale's character set is loaded" grep -qx '/LC_CTYPE' "$TMP/categories"
check_eq "no locale category but LC_CTYPE and LC_MESSAGES is mapped" \
	"" "$(grep -v -x -e '/LC_CTYPE' -e '/LC_MESSAGES' "$TMP/categories" | tr '\n' ' ')"
check_eq "the console runs its main thread and three pool threads" 4 "$(threads "$PID")"
tmux_keys rs q
tmux_wait_exit rs 15 >/dev/null

tmux_start rs4 120 40 env UV_THREADPOOL_SIZE=4 LC_ALL=C.UTF-8 LANG=C.UTF-8 "$PGDECK"
check "with UV_THREADPOOL_SIZE=4 the console is up" tmux_wait_for rs4 '7 Locks' 20
check "and its host figures are in" tmux_wait_for rs4 'load' 20
PID=$(pane_pid rs4)
sleep 1
check_eq "a UV_THREADPOOL_SIZE the user set is kept" 5 "$(threads "$PID")"
tmux_keys rs4 q
tmux_wait_exit rs4 15 >/dev/null

tap_done
