#!/bin/sh
# The primary down, and data that is no longer current:
#   - the console: the alert line says "CRITICAL primary down since
#     HH:MM:SS (libpq's reason)" and nothing from the old snapshots; after
#     two refreshes the panes keep their last rows, dimmed, and their titles
#     say "as of HH:MM:SS"; the parts of servers that are still up stay as
#     they were; with the primary back all of it goes;
#   - check exits 2 CRITICAL with that finding, and --once lists it among
#     its alerts (JSON and text);
#   - a paused console: its alerts and panes say "as of" too.
. tests/e2e/lib.sh

PGDECK=$(pgdeck_bin)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/pgdeck-down.XXXXXX")
at_exit "rm -rf '$TMP'"
XDG_CONFIG_HOME=$TMP/xdg	# no developer's config
XDG_STATE_HOME=$TMP/state
export XDG_CONFIG_HOME XDG_STATE_HOME
MARK=e2e-down-$$
CLOCK='[0-9]{2}:[0-9]{2}:[0-9]{2}'

primary_answers() { psql -XAtq -c 'SELECT 1' >/dev/null 2>&1; }
at_exit 'primary_answers || harness start-primary >/dev/null 2>&1'
at_exit "psql_q \"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%$MARK%' AND pid <> pg_backend_pid()\" >/dev/null 2>&1"

# A session that shows in the activity pane until the primary stops.
sleeper() {
	psql -XAtq -c "SELECT pg_sleep(600) /* $MARK-$1 */" >/dev/null 2>&1 &
}

# attrs_at FILE REGEX: "dim" when the first text matching REGEX in a
# `capture-pane -e` screen is drawn dim (SGR 2), else "normal"; "absent"
# when nothing matches.
cat > "$TMP/attrs.py" <<'EOF'
import re, sys
data = open(sys.argv[1], "rb").read().decode("utf-8", "replace")
pattern = re.compile(sys.argv[2])
for line in data.split("\n"):
    text, dims, dim = [], [], False
    for m in re.finditer(r"\x1b\[([0-9;:]*)m|([^\x1b])", line):
        if m.group(2) is not None:
            text.append(m.group(2))
            dims.append(dim)
            continue
        params = [p for p in re.split(r"[;:]", m.group(1))] or ["0"]
        i = 0
        while i < len(params):
            p = int(params[i]) if params[i] else 0
            if p in (38, 48, 58):           # 38;5;N or 38;2;R;G;B
                i += 3 if i + 1 < len(params) and params[i + 1] == "5" else 5
                continue
            if p == 0:
                dim = False
            elif p == 2:
                dim = True
            elif p == 22:
                dim = False
            i += 1
    found = pattern.search("".join(text))
    if found:
        print("dim" if dims[found.start()] else "normal")
        sys.exit(0)
print("absent")
EOF
attrs_at() { python3 "$TMP/attrs.py" "$@"; }
# The seconds of the day of HH:MM:SS, to compare clock times.
seconds_of() { echo "$1" | awk -F: '{ print $1 * 3600 + $2 * 60 + $3 }'; }
alert_line() { tmux_capture "$1" | tail -n 2 | head -n 1; }
regex_quote() { printf '%s' "$1" | sed 's/[][\\.*^$(){}?+|/]/\\&/g'; }

# ---- the console, the primary up: the controls
sleeper 1
tmux_start main 200 50 "$PGDECK" -i 0.5
check "the console is up with the primary" tmux_wait_for main 'primary: up' 15
check "the activity pane lists the marked session" tmux_wait_for main "$MARK-1" 10
tmux_capture main -e > "$TMP/up.ans"
check_eq "control: the session's row is not dimmed while the data is fresh" normal "$(attrs_at "$TMP/up.ans" "$MARK-1")"
check "control: no pane says 'as of'" sh -c "! grep -Eq 'as of $CLOCK' '$TMP/up.ans'"
check "control: the alert line says nothing about the primary" sh -c "! printf '%s\n' \"\$1\" | grep -q 'primary down'" sh "$(alert_line main)"

# ---- the primary stopped
stopped_at=$(date +%H:%M:%S)
harness stop-primary fast
reason=$(psql -XAtq -c 'SELECT 1' 2>&1 | sed -n 's/.* failed: //p' | head -n 1)
check "psql: libpq's reason the primary cannot be reached is '$reason'" test -n "$reason"
check "the alert line says CRITICAL primary down since HH:MM:SS, with libpq's reason" \
	tmux_wait_for main "^ CRITICAL primary down since $CLOCK \\($(regex_quote "$reason")\\)" 10
line=$(alert_line main)
since=$(printf '%s\n' "$line" | grep -oE "since $CLOCK" | grep -oE "$CLOCK")
now=$(date +%H:%M:%S)
s=$(seconds_of "$since") a=$(seconds_of "$stopped_at") b=$(seconds_of "$now")
if [ "$a" -le "$b" ]; then
	check "the time is local, between the stop ($stopped_at) and now ($now): $since" \
		sh -c "[ '$s' -ge '$a' ] && [ '$s' -le '$b' ]"
else
	skip "the time is between the stop and now" "midnight passed during the test"
fi
# The last snapshots from before the stop (a slow query: the marked
# session) may still be read until the next refresh fails: then they say
# how old they are.
printf '%s\n' "$line" | sed 's/^ //; s/ | /\n/g' | tail -n +2 > "$TMP/others"
check "nothing else on the alert line passes for current (each says 'as of'): $(tr '\n' '/' < "$TMP/others")" \
	sh -c "! grep -Evq '^as of $CLOCK: ' '$TMP/others'"
check "after two refreshes the activity pane's title says 'as of HH:MM:SS'" \
	tmux_wait_for main "1 Queries - activity  as of $CLOCK" 5
as_of=$(tmux_capture main | grep -oE "1 Queries - activity  as of $CLOCK" | grep -oE "$CLOCK")
check "the data is as of before the primary was found down ($as_of <= $since)" \
	sh -c "[ -n '$as_of' ] && [ -n '$since' ] && [ '$(seconds_of "$as_of")' -le '$s' ]"
check "the pane keeps its last rows: the marked session is still listed" tmux_wait_for main "$MARK-1" 1
tmux_capture main -e > "$TMP/down.ans"
tmux_capture main > "$TMP/down.txt"
check_eq "its rows are drawn dimmed (capture-pane -e)" dim "$(attrs_at "$TMP/down.ans" "$MARK-1")"
check "the Pool pane (a 2 s cadence) says 'as of' too, after 4 s" tmux_wait_for main "2 Pool  as of $CLOCK" 10
check "the PgBouncer part (its server is up) is not marked" \
	sh -c "grep -E 'pgbouncer +[0-9]+ pools?, ' '$TMP/down.txt' | grep -vq 'as of'"
check "... nor the Redis line" sh -c "grep -E '[│|]redis +hit ' '$TMP/down.txt' | grep -vq 'as of'"

# ---- check and --once while it is down
"$PGDECK" check > "$TMP/check.out" 2>&1
check_eq "check with the primary down exits 2 (CRITICAL), not 3 (UNKNOWN)" 2 $? || diag "$(cat "$TMP/check.out")"
check "check: the first line is CRITICAL and names it" \
	grep -Eq "^PGDECK CRITICAL - primary down since $CLOCK \\(.+\\)" "$TMP/check.out"
check "check: the finding's line" grep -Eq "^CRITICAL primary_down: primary down since $CLOCK \\(.+\\)$" "$TMP/check.out"
"$PGDECK" --once --format json > "$TMP/once.json" 2> "$TMP/once.err"
check "--once JSON: the alerts list has primary_down, critical" python3 -c '
import json, sys
alerts = json.load(open(sys.argv[1]))["alerts"]
sys.exit(0 if any(a["name"] == "primary_down" and a["level"] == "critical"
                  and a["text"].startswith("primary down since ") for a in alerts) else 1)
' "$TMP/once.json"
"$PGDECK" --once > "$TMP/once.txt" 2>/dev/null
check "--once text: the alerts table has it too" grep -Eq "^critical +primary_down +primary down since $CLOCK" "$TMP/once.txt"

# ---- the primary back
harness start-primary
check "the primary back: pgdeck reconnects" tmux_wait_for main 'primary: up' 30
check "the primary-down alert clears" tmux_wait_gone main 'primary down since' 10
check "no pane says 'as of' any more" tmux_wait_gone main "as of $CLOCK" 20
sleeper 2
check "a new session is listed" tmux_wait_for main "$MARK-2" 10
tmux_capture main -e > "$TMP/back.ans"
check_eq "its row is not dimmed" normal "$(attrs_at "$TMP/back.ans" "$MARK-2")"
tmux_keys main q
tmux_wait_exit main 5 >/dev/null
tmux_kill main

# ---- a paused console: its alerts and panes say how old they are
psql_q "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%$MARK%' AND pid <> pg_backend_pid()" >/dev/null
mkdir -p "$TMP/xdg/pgdeck"
printf '[alerts]\npool_percent = 0.1\n' > "$TMP/xdg/pgdeck/config"
tmux_start paused 200 50 "$PGDECK" -i 0.5
check "an alert is raised (pool over 0.1 %)" tmux_wait_for paused '(^ | \| )pool: [0-9]+ of [0-9]+ connections used' 15
tmux_keys paused p
# The pool alert's data (connections) is read every 3 s: stale after two
# of those, 6 s.
check "paused: after two refreshes the alert says 'as of HH:MM:SS'" \
	tmux_wait_for paused "(^ | \\| )as of $CLOCK: pool: [0-9]+ of" 10
tmux_capture paused -e > "$TMP/paused.ans"
check_eq "paused: the alert is greyed (dim)" dim "$(attrs_at "$TMP/paused.ans" 'pool: [0-9]+ of')"
check "paused: the activity pane's title says 'as of'" grep -Eq "1 Queries - activity  as of $CLOCK" "$TMP/paused.ans"
tmux_keys paused p
check "resumed: the alert is current again" tmux_wait_for paused '(^ | \| )pool: [0-9]+ of' 5
check "resumed: no 'as of' left" tmux_wait_gone paused "as of $CLOCK" 5
tmux_keys paused q
tmux_wait_exit paused 5 >/dev/null
tmux_kill paused

tap_done
