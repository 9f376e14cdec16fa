#!/bin/sh
# The console on the terminals it meets: an 80x24 SSH session (tabs), a big
# 200x60 screen (all seven panes), a C locale (not one byte above 127), no
# colour (NO_COLOR, --no-color), a resize while it runs, help on `?`, and
# `q`, after which the terminal must be as the shell left it.
. tests/e2e/lib.sh

PGDECK=$(pgdeck_bin)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/pgdeck-term.XXXXXX")
at_exit "rm -rf '$TMP'"
XDG_CONFIG_HOME=$TMP/xdg	# no developer's config or themes
export XDG_CONFIG_HOME
# run-all.sh runs everything under LC_ALL=C; the console's normal case is
# a UTF-8 terminal, so say so where it matters.
UTF8="LC_ALL=C.UTF-8 LANG=C.UTF-8"
PANES='1 Queries|2 Pool|3 Cache|4 Partitions|5 Views|6 Indexes|7 Locks'

tmux_fmt() { tmux -L "pgdeck-$1-$$" display-message -p -t main "$2"; }

# exit_status NAME: the dead pane's exit status.  tmux marks a pane dead
# when its pty closes and learns the status when it reaps the child, a
# moment later: wait for the status, not just for the death.
exit_status() {
	_i=0
	while [ -z "$(tmux_exit_status "$1")" ] && [ $_i -lt 30 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	tmux_exit_status "$1"
}

# screen_size NAME: the captured screen's width (in characters) and height.
screen_size() {
	tmux_capture "$1" | python3 -c '
import sys
lines = sys.stdin.buffer.read().decode("utf-8").split("\n")
if lines and lines[-1] == "":
    lines.pop()
print("%dx%d" % (max(len(l) for l in lines), len(lines)))'
}

# Every pane title on the screen, each as a box title ("┌ 3 Cache" or,
# in ASCII, "+ 3 Cache").
all_titles() {
	_scr=$(tmux_capture "$1")
	for _t in '1 Queries' '2 Pool' '3 Cache' '4 Partitions' '5 Views' '6 Indexes' '7 Locks'; do
		printf '%s\n' "$_scr" | grep -Eq -- "(┌|\\+) $_t( |\$)" || { echo "no box titled $_t"; return 1; }
	done
}

# A session whose query holds non-ASCII text, so the C-locale screen has
# something to fold to ASCII.
MARK=term$$
printf "SELECT pg_sleep(60) /* %s-caf\303\251\342\224\200\346\274\242 */;\n" "$MARK" > "$TMP/utf8.sql"
PGCLIENTENCODING=UTF8 psql -X -q -f "$TMP/utf8.sql" >/dev/null 2>&1 &
at_exit "kill $! 2>/dev/null; psql_q \"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%$MARK%' AND pid <> pg_backend_pid()\" >/dev/null 2>&1"

# ---- 80x24: one pane under a tab bar
tmux_start small 80 24 env $UTF8 "$PGDECK"
check "80x24: the tab bar names all seven panes" tmux_wait_for small '^ 1 Queries +2 Pool +3 Cache +4 Partitions +5 Views +6 Indexes +7 Locks' 10
check "80x24: the focused pane is boxed and titled" tmux_wait_for small '^┌ 1 Queries' 5
check "80x24: the servers line shows the primary up" tmux_wait_for small 'primary: up' 10
check_eq "80x24: the screen is exactly 80x24" 80x24 "$(screen_size small)"
check "80x24: the key hint is on the last line" sh -c "tmux -L pgdeck-small-$$ capture-pane -p -t main | tail -n 1 | grep -q '?:help'"
tmux_keys small 4
check "80x24: 4 shows the Partitions pane" tmux_wait_for small '^┌ 4 Partitions' 5
tmux_keys small Tab
check "80x24: Tab moves on to Views" tmux_wait_for small '^┌ 5 Views' 5
tmux_keys small 1

# ---- ? shows help; Esc closes it
tmux_keys small '?'
check "? opens the help" tmux_wait_for small 'pgdeck help' 5
check "the help lists q and the pane keys" sh -c "tmux -L pgdeck-small-$$ capture-pane -p -t main | grep -q 'quit' && tmux -L pgdeck-small-$$ capture-pane -p -t main | grep -Eq 'Tab|1-7'"
tmux_keys small Escape
check "Esc closes the help" tmux_wait_gone small 'pgdeck help' 5

# ---- resize while running
tmux_resize small 200 60
check "resize to 200x60: the seven panes are laid out as boxes" wait_until 5 all_titles small
check "resize to 200x60: the tab bar is gone" tmux_wait_gone small '^ 1 Queries +2 Pool' 5
check_eq "resize to 200x60: the screen is 200x60" 200x60 "$(screen_size small)"
check "resize to 200x60: the key hint moved to the new last line" \
	sh -c "tmux -L pgdeck-small-$$ capture-pane -p -t main | sed -n 60p | grep -q '?:help'"
tmux_resize small 100 30
check "resize to 100x30: tabs again" tmux_wait_for small '^ 1 Queries +2 Pool +3 Cache' 5
check "resize to 100x30: the key hint is on line 30" \
	sh -c "tmux -L pgdeck-small-$$ capture-pane -p -t main | sed -n 30p | grep -q '?:help'"
check "resize to 100x30: the pane's right border is in column 100" \
	sh -c "tmux -L pgdeck-small-$$ capture-pane -p -t main | sed -n 4p | grep -q '┐\$'"

# ---- q: exit 0, and the terminal as it was
tmux_kill small
cat > "$TMP/shell.sh" <<EOF
stty -g > '$TMP/stty.before'
'$PGDECK'
echo "pgdeck-exit=\$?"
stty -g > '$TMP/stty.after'
printf 'type here: '
read line
echo "read back: \$line"
exec sleep 60
EOF
tmux_start shell 120 40 env $UTF8 sh "$TMP/shell.sh"
check "the console comes up in a shell" tmux_wait_for shell 'primary: up' 10
check_eq "while running: the alternate screen is on" 1 "$(tmux_fmt shell '#{alternate_on}')"
# Controls for the checks after q: curses did change these.
check_eq "while running: cursor hidden, keypad and mouse modes on" 0111 \
	"$(tmux_fmt shell '#{cursor_flag}#{keypad_cursor_flag}#{keypad_flag}#{mouse_any_flag}')"
tmux_keys shell q
check "q leaves the console" tmux_wait_for shell 'pgdeck-exit=' 5
check "q exits with status 0" tmux_wait_for shell 'pgdeck-exit=0' 1
check_eq "after q: the alternate screen is off" 0 "$(tmux_fmt shell '#{alternate_on}')"
check_eq "after q: the cursor is visible" 1 "$(tmux_fmt shell '#{cursor_flag}')"
check_eq "after q: keypad (application) modes are off" 00 "$(tmux_fmt shell '#{keypad_cursor_flag}#{keypad_flag}')"
check_eq "after q: mouse reporting is off" 0 "$(tmux_fmt shell '#{mouse_any_flag}')"
check "after q: the terminal modes (stty) are as before" cmp -s "$TMP/stty.before" "$TMP/stty.after"
check "after q: the dashboard is gone from the screen" tmux_wait_gone shell 'primary: up' 2
tmux_keys shell -l 'hello there'
tmux_keys shell Enter
check "after q: typed text echoes and a line reads back" tmux_wait_for shell 'read back: hello there' 5
tmux_kill shell

# ---- LANG=C: not one byte above 127, written or shown
tmux_start clocale 200 50 env LC_ALL=C LANG=C sh -c "sleep 0.3; exec '$PGDECK'"
tmux_pipe clocale "$TMP/c.bytes"
check "C locale: the seven panes are laid out with ASCII boxes" wait_until 10 all_titles clocale
# One '?' per character, wide or not, so columns stay aligned.
check "C locale: the UTF-8 query shows folded to ASCII" tmux_wait_for clocale "$MARK-caf\\?\\?\\? \\*/" 10
tmux_capture clocale > "$TMP/c.screen"
check "C locale: capture-pane shows no byte above 127" sh -c "! LC_ALL=C grep -q '[^ -~]' '$TMP/c.screen'"
tmux_keys clocale q
tmux_wait_exit clocale 5 >/dev/null
check "C locale: pgdeck wrote something" test -s "$TMP/c.bytes"
check "C locale: pgdeck wrote no byte above 127" sh -c "! LC_ALL=C grep -q \"\$(printf '[\\200-\\377]')\" '$TMP/c.bytes'"
check_eq "C locale: q exits 0" 0 "$(exit_status clocale)"
tmux_kill clocale

# ---- colour: a control, then NO_COLOR=1 and --no-color
# SGR parameters that set a colour (30-37, 38;..., 40-47, 48;..., 90-97,
# 100-107); 39 and 49 only reset to the default.
cat > "$TMP/colours.py" <<'EOF'
import re, sys
data = open(sys.argv[1], "rb").read().decode("utf-8", "replace")
found = []
for params in re.findall(r"\x1b\[([0-9;:]*)m", data):
    for p in re.split(r"[;:]", params):
        if p and (30 <= int(p) <= 38 or 40 <= int(p) <= 48 or 90 <= int(p) <= 107):
            found.append(params)
            break
print("colour SGRs: %d %s" % (len(found), sorted(set(found))[:5]))
sys.exit(0 if found else 1)
EOF
has_colour() { python3 "$TMP/colours.py" "$1"; }

tmux_start colour 200 60 env $UTF8 "$PGDECK"
tmux_wait_for colour 'primary: up' 10 >/dev/null
check "started at 200x60: all seven panes' titles are shown" wait_until 5 all_titles colour
tmux_capture colour -e > "$TMP/colour.screen"
check "control: the default theme shows colours (capture-pane -e)" has_colour "$TMP/colour.screen"
tmux_kill colour

for how in "NO_COLOR=1" "--no-color"; do
	if [ "$how" = --no-color ]; then
		tmux_start nocolour 120 40 env $UTF8 sh -c "sleep 0.3; exec '$PGDECK' --no-color"
	else
		tmux_start nocolour 120 40 env $UTF8 NO_COLOR=1 sh -c "sleep 0.3; exec '$PGDECK'"
	fi
	: > "$TMP/nocolour.bytes"
	tmux_pipe nocolour "$TMP/nocolour.bytes"
	tmux_wait_for nocolour 'primary: up' 10 >/dev/null
	tmux_keys nocolour '?'
	tmux_wait_for nocolour 'pgdeck help' 5 >/dev/null
	tmux_keys nocolour Escape
	tmux_wait_gone nocolour 'pgdeck help' 5 >/dev/null
	tmux_capture nocolour -e > "$TMP/nocolour.screen"
	check "$how: the screen is drawn" grep -q '1 Queries' "$TMP/nocolour.screen"
	check "$how: capture-pane -e shows no colour" sh -c "! python3 '$TMP/colours.py' '$TMP/nocolour.screen'"
	check "$how: no colour escape was written" sh -c "! python3 '$TMP/colours.py' '$TMP/nocolour.bytes'"
	check "$how: the focused pane still stands out (attributes remain)" \
		grep -q "$(printf '\033')\\[[0-9;]*[1-7]" "$TMP/nocolour.screen"
	tmux_keys nocolour q
	check "$how: q exits 0" tmux_wait_exit nocolour 5
	check_eq "$how: exit status" 0 "$(exit_status nocolour)"
	tmux_kill nocolour
done

tap_done
