#!/bin/sh
# On a crowded screen (120x36: every pane wants more lines than it gets)
# the panes move for their data at most once in LAYOUT_SETTLE_S (30 s,
# ui/layout.h): each move rewrites most of the terminal and only trades
# one pane's cut for another's.  Sessions that come and go every second
# make the queries pane's list swing between none and six; the console
# holds its layout (--stats: layout_held, and no move for data alone
# after the first complete frame), keeps showing the sessions as they
# come, and a key (Tab) still lays the panes out at once.
. tests/e2e/lib.sh

PGDECK=$(pgdeck_bin)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/pgdeck-settle.XXXXXX")
at_exit "rm -rf '$TMP'"
XDG_CONFIG_HOME=$TMP/xdg
XDG_STATE_HOME=$TMP/state
export XDG_CONFIG_HOME XDG_STATE_HOME
STATS=$TMP/stats
MARK=settle$$

tmux_start ls 120 36 env LC_ALL=C.UTF-8 LANG=C.UTF-8 "$PGDECK" --stats "$STATS"
check "the console is up with its panes" tmux_wait_for ls '7 Locks' 15
check "the indexes pane has its data" tmux_wait_for ls 'INDEX ' 15
sleep 2

# Six sessions for a second, then none for a second, six times.
i=0
while [ $i -lt 6 ]; do
	for k in 1 2 3 4 5 6; do
		psql -X -q -c "SELECT /* $MARK */ pg_sleep(1)" >/dev/null 2>&1 &
	done
	if [ $i = 2 ]; then
		check "the sessions are shown while the layout holds" tmux_wait_for ls "$MARK" 5
	fi
	wait
	sleep 1
	i=$((i + 1))
done

# A key lays the panes out at once: Tab moves the focus, the focused pane
# is served first.
tmux_keys ls Tab
sleep 1
tmux_keys ls q
tmux_wait_exit ls 10 >/dev/null
diag "$(grep -E '^(frames|layout_)' "$STATS" 2>/dev/null)"
held=$(awk '$1 == "layout_held" { print $2 }' "$STATS" 2>/dev/null)
data_moves=$(awk '$1 == "layout_data_moves" { print $2 }' "$STATS" 2>/dev/null)
check "moves for the swinging list were held (layout_held $held)" test "${held:-0}" -ge 1
check "at most one move for data alone in the 12 s after the first frame ($data_moves)" \
	test "${data_moves:-99}" -le 1
tap_done
