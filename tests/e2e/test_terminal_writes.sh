#!/bin/sh
# A frame goes to the terminal in one write, not one per changed line
# (ui/screen.c: ncurses 6.4 writes its buffer out after every cursor move
# until endwin has been called once; issue 14).  Counted with strace: the
# write(2)s to the terminal over a run against the frames --stats counts.
# A count, not a time: load does not change it.
. tests/e2e/lib.sh

PGDECK=$(pgdeck_bin)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/pgdeck-writes.XXXXXX")
at_exit "rm -rf '$TMP'"
XDG_CONFIG_HOME=$TMP/xdg
export XDG_CONFIG_HOME

if ! command -v strace >/dev/null 2>&1 || ! strace -o /dev/null true >/dev/null 2>&1; then
	skip "frames are written whole" "strace is not installed or not allowed here"
	tap_done
	exit 0
fi

tmux_start wr 120 40 env LC_ALL=C.UTF-8 LANG=C.UTF-8 \
	strace -f -e trace=write -e signal=none -o "$TMP/writes" "$PGDECK" --stats "$TMP/stats"
check "the console is up with its panes" tmux_wait_for wr '7 Locks' 20
check "the indexes pane has its data" tmux_wait_for wr 'INDEX ' 20
sleep 3
tmux_keys wr q
tmux_wait_exit wr 15 >/dev/null

frames=$(awk '$1 == "frames" { print $2 }' "$TMP/stats" 2>/dev/null)
writes=$(grep -c 'write(1,' "$TMP/writes" 2>/dev/null)
diag "frames ${frames:-?}, write(2)s to the terminal ${writes:-?}"
check "--stats counted frames" test "${frames:-0}" -gt 0
# ncurses writes a frame out when its buffer ((lines + 2) x (columns + 6)
# bytes) fills, so a large first frame may take a few; the start and the
# end add a handful.  One write per changed line was more than 100.
check "at most two writes a frame, and ten for the start and the end" \
	test "${writes:-999}" -le $((frames * 2 + 10))
tap_done
