#!/bin/sh
# The console as an operator first meets it: the status line shows the four
# servers, help opens and closes, a resize redraws at the new size, keys
# answer while a long query holds a pool connection, `q` and signals leave
# the terminal restored, and a query's escape sequences stay harmless text.
# Numbers (-i, :interval, :cancel) refuse NaN, infinity and trailing
# garbage.
. tests/e2e/lib.sh

PGDECK=$(pgdeck_bin)

# ---- a number on the command line: -i inf is refused before anything starts
out=$("$PGDECK" -i inf 2>&1)
check_eq "-i inf exits 2" 2 "$?"
check "-i inf says which option and what it takes" sh -c "printf '%s' \"\$1\" | grep -qF \"pgdeck: --interval: 'inf' is not a number between 0.2 and 60\"" sh "$out"

# ---- the first screen: four servers up
tmux_start main 120 40 "$PGDECK"
check "status line shows the primary up with its version" tmux_wait_for main 'primary: up 15\.' 10
check "status line shows the replica up as a standby" tmux_wait_for main 'replica: up 15\.[0-9]+ \(standby\)' 10
check "status line shows PgBouncer up" tmux_wait_for main 'pgbouncer: up 1\.' 10
check "status line shows Redis up" tmux_wait_for main 'redis: up [0-9]' 10
check "all seven panes are laid out at 120x40" sh -c "tmux -L pgdeck-main-$$ capture-pane -p -t main | grep -q '1 Queries' && tmux -L pgdeck-main-$$ capture-pane -p -t main | grep -q '6 Indexes' && tmux -L pgdeck-main-$$ capture-pane -p -t main | grep -q '7 Locks'"

# ---- help
tmux_keys main '?'
check "? opens the help overlay" tmux_wait_for main 'pgdeck help' 5
check "help lists the alert thresholds" tmux_wait_for main 'slow query > 1000 ms' 5
tmux_keys main Escape
check "Esc closes the help" tmux_wait_gone main 'pgdeck help' 5

# ---- numbers typed after ':' are checked: no NaN, no trailing garbage
tmux_keys main :
tmux_keys main -l 'interval nan'
tmux_keys main Enter
check ":interval nan is refused in the status line" \
	tmux_wait_for main ":interval takes seconds between 0\.2 and 60, not 'nan'" 5
check "... and the interval stays 1 s" tmux_wait_for main 'every 1\.0s' 2
tmux_keys main :
tmux_keys main -l 'interval 5abc'
tmux_keys main Enter
check ":interval 5abc is refused in the status line" \
	tmux_wait_for main ":interval takes seconds between 0\.2 and 60, not '5abc'" 5
check "... and the interval stays 1 s" tmux_wait_for main 'every 1\.0s' 2
tmux_keys main :
tmux_keys main -l 'interval 2'
tmux_keys main Enter
check ":interval 2 is taken" tmux_wait_for main 'every 2\.0s' 5
tmux_keys main :
tmux_keys main -l 'interval 1'
tmux_keys main Enter
tmux_keys main :
tmux_keys main -l 'cancel 12x'
tmux_keys main Enter
check ":cancel 12x is refused: a pid is a number" tmux_wait_for main ":cancel takes a backend pid \(a number\), not '12x'" 5

# ---- resize
tmux_resize main 80 24
check "a resize to 80x24 switches to tabs" tmux_wait_for main '1 Queries +2 Pool +3 Cache' 5
check_eq "the screen is 80 columns wide after the resize" 80 \
	"$(tmux_capture main | while IFS= read -r l; do printf '%s' "$l" | LC_ALL=C.UTF-8 wc -m; done | sort -n | tail -1)"
tmux_resize main 150 45
check "a resize back to 150x45 lays out all panes again" tmux_wait_for main '┌ 7 Locks|\+ 7 Locks' 5

# ---- keys answer while a 10 s query holds a connection
psql_q "SELECT /* e2e-long-query */ pg_sleep(10)" >/dev/null 2>&1 &
sleeper=$!
at_exit "kill $sleeper 2>/dev/null"
check "the long query shows in the queries pane" tmux_wait_for main 'e2e-long-query' 5
# The pool's connections are busy with monitoring at most; help must open
# at once.  (Seen within a second: the wait polls every 0.1 s.)
tmux_keys main '?'
check "help opens while a pg_sleep(10) runs" tmux_wait_for main 'pgdeck help' 1
tmux_keys main Escape

# ---- hostile query text: no escape reaches the terminal
tmux_kill main
bytes=$(mktemp)
at_exit "rm -f '$bytes'"
tmux_start hostile 120 40 sh -c "sleep 0.3; exec '$PGDECK'"
tmux_pipe hostile "$bytes"
psql_q "SELECT /* hostile $(printf '\033]0;pwned\007') $(printf '\033[2J') $(printf '\033[31m')red $(printf '\033P1;2q')dcs */ pg_sleep(8)" >/dev/null 2>&1 &
h=$!
at_exit "kill $h 2>/dev/null"
# (The query column at 120 columns ends in the cut mark at ^G.)
check "the hostile query is shown" tmux_wait_for hostile 'hostile \^\[\]0;pwned\^?(G|…|~)' 8
check "no OSC title sequence was written to the terminal" sh -c "! grep -q \"\$(printf '\033]0;pwned')\" '$bytes'"
check "no screen clear from the query was written" sh -c "! grep -q \"\$(printf '\033\\[2J')\" '$bytes' || [ \$(grep -c \"\$(printf '\033\\[2J')\" '$bytes') -le 1 ]"
check "no DCS from the query was written" sh -c "! grep -q \"\$(printf '\033P1;2q')\" '$bytes'"
tmux_keys hostile q
check "q exits" tmux_wait_exit hostile 5
check_eq "q exits with status 0" 0 "$(tmux_exit_status hostile)"
tmux_kill hostile

# ---- signals restore the terminal
for sig in TERM HUP INT; do
	tmux_start "sig$sig" 100 30 "$PGDECK"
	tmux_wait_for "sig$sig" 'primary: up' 10 >/dev/null
	pid=$(tmux -L "pgdeck-sig$sig-$$" display-message -p -t main '#{pane_pid}')
	kill -"$sig" "$pid"
	check "SIG$sig ends pgdeck" tmux_wait_exit "sig$sig" 5
	# After endwin the alternate screen is gone: the pane no longer shows
	# the dashboard.
	check "SIG$sig restores the terminal (dashboard gone from the screen)" tmux_wait_gone "sig$sig" 'primary: up' 3
	tmux_kill "sig$sig"
done

tap_done
