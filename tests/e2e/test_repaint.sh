#!/bin/sh
# The repaint rule (ui/screen.c): a frame draws again only the panes whose
# data (or title, place, selection, ...) changed.  Paused, nothing new
# comes in, yet the title's clock still ticks a frame each second: those
# frames must leave every pane as it is.  --stats says how many frames
# were drawn and how often each pane was.  After the pause the data that
# changed is drawn again (a new session shows up).
. tests/e2e/lib.sh

PGDECK=$(pgdeck_bin)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/pgdeck-repaint.XXXXXX")
at_exit "rm -rf '$TMP'"
XDG_CONFIG_HOME=$TMP/xdg
export XDG_CONFIG_HOME
STATS=$TMP/stats

tmux_start rp 120 40 env LC_ALL=C.UTF-8 LANG=C.UTF-8 "$PGDECK" --stats "$STATS"
check "the console is up with its panes" tmux_wait_for rp '7 Locks' 15
# Every collector in once (the first complete frame), then pause.
check "the indexes pane has its data" tmux_wait_for rp 'INDEX ' 15
sleep 2
tmux_keys rp p
check "p pauses: PAUSED in the title" tmux_wait_for rp 'PAUSED' 5

# Count the clock's ticks while paused: each one is a frame.
clock() { tmux_capture rp | head -n 1 | grep -Eo '[0-9]{2}:[0-9]{2}:[0-9]{2} *$'; }
# The rest of the title, blanks included: a tick draws the clock alone
# (ui/screen.c), and the line must read as a whole title drawn then would.
title_rest() { tmux_capture rp | head -n 1 | sed -E 's/[0-9]{2}:[0-9]{2}:[0-9]{2} *$//'; }
rest0=$(title_rest)
ticks=0
last=$(clock)
i=0
while [ $ticks -lt 5 ] && [ $i -lt 200 ]; do
	sleep 0.1
	now=$(clock)
	[ "$now" != "$last" ] && ticks=$((ticks + 1)) && last=$now
	i=$((i + 1))
done
check_eq "the clock ticked 5 times while paused" 5 "$ticks"
check_eq "the title around the clock is as it was" "$rest0" "$(title_rest)"
line0=$(tmux_capture rp | head -n 1 | sed -E 's/ *$//')
check_eq "the clock ends where a whole title puts it (column 119 of 120)" 119 "${#line0}"

# A session that starts while paused is not shown until the resume.
MARK=repaint$$
psql -X -q -c "SELECT /* $MARK */ pg_sleep(60)" >/dev/null 2>&1 &
at_exit "kill $! 2>/dev/null; psql_q \"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%$MARK%' AND pid <> pg_backend_pid()\" >/dev/null 2>&1"
wait_until 10 sh -c "psql -XAtq -c \"SELECT 1 FROM pg_stat_activity WHERE query LIKE '%/* $MARK */%' AND pid <> pg_backend_pid()\" | grep -q 1"
tmux_keys rp p
check "after the resume the new session is drawn" tmux_wait_for rp "$MARK" 10
# Two refreshes more: the sleeping session's duration changes, the other
# rows of the queries pane do not.
sleep 2.5
check "the sleeping session is still drawn" tmux_wait_for rp "$MARK" 5
tmux_keys rp q
tmux_wait_exit rp 10 >/dev/null

frames=$(awk '$1 == "frames" { print $2 }' "$STATS" 2>/dev/null)
diag "$(grep -E '^(frames|pane) ' "$STATS" 2>/dev/null)"
check "--stats counts the frames" test -n "$frames"
npanes=$(grep -c '^pane .* draws ' "$STATS" 2>/dev/null)
check_eq "--stats counts the draws of all seven panes" 7 "$npanes"
# Five clock frames while paused, and the frames of the resume: a pane
# drawn at every frame would have as many draws as there are frames.
for p in queries pool cache partitions views indexes locks; do
	draws=$(awk -v p=$p '$1 == "pane" && $2 == p { print $4 }' "$STATS" 2>/dev/null)
	check "the $p pane was not drawn at the paused clock's frames ($draws draws, $frames frames)" \
		test "${draws:-999999}" -le $((${frames:-0} - 4))
done

# Inside a pane drawn again, a line of its table that would be drawn the
# same (the column titles, a session that did not change) is left as it
# is: --stats counts the lines drawn and the lines kept.
kept=$(awk '$1 == "pane" && $2 == "queries" && $5 == "lines_drawn" { print $8 }' "$STATS" 2>/dev/null)
drawn=$(awk '$1 == "pane" && $2 == "queries" && $5 == "lines_drawn" { print $6 }' "$STATS" 2>/dev/null)
check "the queries pane drew lines (${drawn:-none})" test "${drawn:-0}" -gt 0
check "the queries pane left unchanged lines alone (${kept:-none} kept)" test "${kept:-0}" -gt 0

tap_done
