#!/bin/sh
# The console at 80x24, 120x40 and 250x70 on the kit's data (issue 17),
# each as a new user would try it:
#   - the title keeps the port, every server's state and the clock, even
#     with a long socket directory at 80x24, and the help's header lists
#     what it left out;
#   - no line of an overlay (help, a session's details, a confirmation,
#     the journal) is cut at the right edge without a mark, and a
#     confirmation is wrapped again after a resize;
#   - at 250x70 the pane with the most rows gets the most lines, the others
#     their minimum at least; z zooms the focused pane and back;
#   - a view name too long for its column ends in … (~ in ASCII), and
#     Enter shows it whole;
#   - a session's duration in its details is the one its row shows.
. tests/e2e/lib.sh

if [ -z "${PGDECK_PG_PORT:-}" ]; then
	not_ok "harness env.sh loaded (run: sh tests/harness.sh start)"
	tap_done
fi

PGDECK=$(pgdeck_bin)
TMP=$_LIB_TMP
SCREEN="python3 tests/e2e/sizes_screen.py"
T=sz$$
DB=pgdeck_sizes_$$
VIEW='Sensor Readings by Hour and Device Type'
MARK="sizes-$T"
UTF8="LC_ALL=C.UTF-8 LANG=C.UTF-8"
# A private journal and no developer's config.
XDG_STATE_HOME=$TMP/state XDG_CONFIG_HOME=$TMP/config
export XDG_STATE_HOME XDG_CONFIG_HOME
mkdir -p "$XDG_STATE_HOME" "$XDG_CONFIG_HOME"

cleanup() {
	[ -n "${SLEEPER:-}" ] && kill "$SLEEPER" 2>/dev/null
	psql_q "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%$MARK%' AND pid <> pg_backend_pid()" >/dev/null 2>&1
	psql_q "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1
}
at_exit cleanup

psql_q "CREATE DATABASE $DB" >/dev/null
if SCALE=0.02 PGDATABASE=$DB sh sql/kit/install.sh >"$TMP/kit.log" 2>&1; then
	ok "the kit installs at SCALE=0.02 into $DB"
else
	not_ok "the kit installs at SCALE=0.02 into $DB"
	diag "$(tail -n 20 "$TMP/kit.log")"
fi
psql_q "CREATE SCHEMA acc; CREATE MATERIALIZED VIEW acc.\"$VIEW\" AS SELECT 1 AS one" "dbname=$DB" >/dev/null

# A session that stays: its duration is compared between row and details.
psql -X -q -d "$DB" -c "SELECT pg_sleep(600) /* $MARK: a session whose text is long enough to wrap in the details of the queries pane at every size */" >/dev/null 2>&1 &
SLEEPER=$!
wait_until 10 sh -c "[ \"\$(psql -XAtq -d $DB -c \"SELECT count(*) FROM pg_stat_activity WHERE query LIKE '%$MARK: a%' AND pid <> pg_backend_pid()\")\" = 1 ]"
PID=$(psql_q "SELECT pid FROM pg_stat_activity WHERE query LIKE '%$MARK: a%' AND pid <> pg_backend_pid()")

# The primary through a socket directory with a long name (a symbolic
# link to the harness's): what the title must drop first at 80x24.
LONGSOCK=$TMP/a-socket-directory-whose-name-is-long-enough-to-crowd-the-title
ln -s "$PGDECK_SOCKET_DIR" "$LONGSOCK"
CONN="host=$LONGSOCK port=$PGDECK_PG_PORT user=postgres dbname=$DB"

line_of() { tmux_capture "$1" | sed -n "${2}p"; }

# ---- overlay NAME TITLE LABEL: every page of the overlay titled TITLE,
# read by PgDn; not ok for each line cut without a mark.  Leaves the text
# joined in $TMP/LABEL.text.
overlay() {
	_n=$1 _title=$2 _label=$3 _page=0 _pages=""
	_f=$TMP/$(printf '%s' "$_label" | tr ' ' _)
	while :; do
		_page=$((_page + 1))
		tmux_capture "$_n" > "$_f.$_page"
		_pages="$_pages $_f.$_page"
		_foot=$($SCREEN foot "$_title" "$_f.$_page")
		set -- $_foot
		[ $# -eq 3 ] && [ "$2" -lt "$3" ] && [ $_page -lt 20 ] || break
		tmux_keys "$_n" NPage
		# Until the next page is drawn.
		_i=0
		while [ $_i -lt 30 ]; do
			tmux_capture "$_n" > "$_f.next"
			[ "$($SCREEN foot "$_title" "$_f.next")" != "$_foot" ] && break
			sleep 0.1
			_i=$((_i + 1))
		done
	done
	# shellcheck disable=SC2086
	$SCREEN overlay "$_title" $_pages > "$_f.lines"
	# shellcheck disable=SC2086
	$SCREEN joined "$_title" $_pages > "$_f.text"
	if [ -s "$_f.lines" ] && ! grep -q '^#cut ' "$_f.lines"; then
		ok "$_label: no line cut at the right edge without a mark ($(grep -vc '^#cut ' "$_f.lines") lines)"
	else
		not_ok "$_label: no line cut at the right edge without a mark"
		diag "$(grep '^#cut ' "$_f.lines")"
		diag "$(cat "$_f.1")"
	fi
	tmux_keys "$_n" Home
}

# has LABEL TEXT: the overlay's joined text holds TEXT whole.
has() {
	if grep -qF -- "$2" "$TMP/$(printf '%s' "$1" | tr ' ' _).text"; then
		ok "$1: shows \"$2\" whole"
	else
		not_ok "$1: shows \"$2\" whole"
		diag "$(cat "$TMP/$(printf '%s' "$1" | tr ' ' _).text")"
	fi
}

for SIZE in 80x24 120x40 250x70; do
	COLS=${SIZE%x*} ROWS=${SIZE#*x}
	N=s$COLS
	tmux_start $N "$COLS" "$ROWS" env $UTF8 "$PGDECK" "$CONN"
	check "$SIZE: the console is up with the four servers" \
		tmux_wait_for $N 'primary: up.*replica: up.*pgbouncer: up.*redis: up' 15

	# ---- the title: the port, every state, the clock
	title=$(line_of $N 1)
	servers=$(line_of $N 2)
	case "$title" in
	*"port=$PGDECK_PG_PORT "*) ok "$SIZE: the title shows the port whole" ;;
	*) not_ok "$SIZE: the title shows the port whole"; diag "$title" ;;
	esac
	check "$SIZE: the title ends with the clock" sh -c "printf '%s\n' \"\$1\" | grep -Eq '[0-9]{2}:[0-9]{2}:[0-9]{2} ?\$'" sh "$title"
	check "$SIZE: the server line shows every state, the standby too" \
		sh -c "printf '%s\n' \"\$1\" | grep -Eq '^ primary: up.* replica: up( [0-9.]+)? \\(standby\\)  pgbouncer: up.*  redis: up'" sh "$servers"
	if [ "$SIZE" = 80x24 ]; then
		case "$title" in
		*"$LONGSOCK"*) not_ok "80x24: the long socket directory gives way" ;;
		*) ok "80x24: the long socket directory gives way" ;;
		esac
	fi

	# ---- help
	tmux_keys $N '?'
	tmux_wait_for $N 'pgdeck help' 5 >/dev/null
	overlay $N 'pgdeck help' "$SIZE help"
	has "$SIZE help" 'view older than 4 h'
	has "$SIZE help" 'disk full < 14 days'
	has "$SIZE help" 'refresh [VIEW|--stale] maintain TABLE index [NAME|--all] drop INDEX explain|cancel|terminate PID analyze TABLE journal'
	has "$SIZE help" 'R: refresh all stale views (CONCURRENTLY when possible)'
	[ "$SIZE" = 80x24 ] && has "$SIZE help" "not in the title for want of room: socket directory host=$LONGSOCK"
	tmux_keys $N Escape
	tmux_wait_gone $N 'pgdeck help' 5 >/dev/null

	# ---- a session's details: the query whole, its duration as the row's
	tmux_keys $N 1 p
	tmux_wait_for $N 'PAUSED' 5 >/dev/null
	tmux_keys $N /
	tmux_keys $N -l "$MARK"
	tmux_keys $N Enter
	tmux_wait_for $N "^.{0,3}[│|] *$PID " 5 >/dev/null
	row_duration=$(tmux_capture $N | grep -E "^.{0,3}[│|] *$PID " | grep -Eo ' [0-9]+(ms|\.[0-9]s|m[0-9]{2}s|h[0-9]{2}m) ' | head -n 1 | tr -d ' ')
	tmux_keys $N Enter
	tmux_wait_for $N 'Queries: details' 5 >/dev/null
	overlay $N 'Queries: details' "$SIZE details"
	has "$SIZE details" "$MARK: a session whose text is long enough to wrap in the details of the queries pane at every size"
	details_duration=$(grep -E '^duration ' "$TMP/${SIZE}_details.lines" | awk '{print $2}')
	check "$SIZE details: duration written as the pane writes it ($details_duration)" \
		sh -c "printf '%s\n' '$details_duration' | grep -Eq '^[0-9]+(ms|\\.[0-9]s|m[0-9]{2}s|h[0-9]{2}m)\$'"
	check_eq "$SIZE: the duration in the details is the row's" "$row_duration" "$details_duration"
	tmux_keys $N Escape
	tmux_wait_gone $N 'Queries: details' 5 >/dev/null
	tmux_keys $N Escape p

	# ---- a confirmation, and the journal that records its answer
	tmux_keys $N 5 /
	tmux_keys $N -l Sensor
	tmux_keys $N Enter
	tmux_wait_for $N 'Sensor Readings' 10 >/dev/null
	tmux_keys $N r
	tmux_wait_for $N 'refresh acc' 5 >/dev/null
	overlay $N 'refresh acc' "$SIZE confirmation"
	has "$SIZE confirmation" "REFRESH MATERIALIZED VIEW \"acc\".\"$VIEW\";"
	has "$SIZE confirmation" 'y runs it on a connection of its own (monitoring goes on); n or Esc changes nothing.'
	if [ "$SIZE" = 120x40 ]; then
		# Narrower while the question is open: it is wrapped again.
		tmux_resize $N 80 24
		tmux_wait_for $N '^ 1 Queries +2 Pool' 5 >/dev/null
		overlay $N 'refresh acc' "120x40 confirmation resized to 80x24"
		has "120x40 confirmation resized to 80x24" "REFRESH MATERIALIZED VIEW \"acc\".\"$VIEW\";"
		tmux_resize $N 120 40
	fi
	tmux_keys $N n
	tmux_wait_gone $N 'y runs it on' 5 >/dev/null	# the question (the status line names the view after it)
	tmux_keys $N L
	tmux_wait_for $N 'journal:' 5 >/dev/null
	overlay $N 'journal:' "$SIZE journal"
	tmux_keys $N Escape
	tmux_keys $N Escape

	# ---- the long view name: marked in its cell, whole in the details
	if [ "$SIZE" = 120x40 ]; then
		tmux_keys $N /
		tmux_keys $N -l Sensor
		tmux_keys $N Enter
		check "120x40: the long view name ends in … in its column" \
			tmux_wait_for $N '[│|]acc\.Sensor Readings[^│|]*… ' 5
		tmux_keys $N Enter
		tmux_wait_for $N 'Views: details' 5 >/dev/null
		overlay $N 'Views: details' "120x40 view details"
		has "120x40 view details" "acc.$VIEW (owner"
		tmux_keys $N Escape Escape
	fi

	# ---- the layout follows the rows; z zooms and back
	if [ "$SIZE" = 250x70 ]; then
		tmux_keys $N 1
		sleep 2     # a refresh or two: the panes' row counts are known
		tmux_capture $N > "$TMP/250.screen"
		$SCREEN boxes "$TMP/250.screen" > "$TMP/250.boxes"
		# The pane with the most rows, as --once counts them.
		most=$("$PGDECK" --once --format json "$CONN" 2>/dev/null | python3 -c '
import json, sys
c = json.load(sys.stdin)["collectors"]
def rows(name, skip=None):
    v = c.get(name) or {}
    return len(v.get("rows") or [])
panes = {"Queries": rows("activity"), "Pool": rows("connections") - 1, "Cache": rows("database_cache"),
         "Partitions": rows("partitions"), "Views": rows("views"), "Indexes": rows("indexes"),
         "Locks": rows("locks")}
print(max(panes, key=panes.get))')
		# The tallest box, alone in its height.
		tallest=$(awk -F '\t' -v most="$most" '
			{ h[$1] = $4; if ($4 > max) max = $4 }
			END { n = 0; for (t in h) if (h[t] == max) { n++; name = t } if (n == 1) print name }' "$TMP/250.boxes")
		case "$tallest" in
		*" $most"*) ok "250x70: the pane with the most rows ($most) gets the most lines" ;;
		*) not_ok "250x70: the pane with the most rows ($most) gets the most lines"; diag "$(cat "$TMP/250.boxes")" ;;
		esac
		check "250x70: every pane has its box" sh -c "[ \$(grep -c . '$TMP/250.boxes') -ge 7 ]"
		check "250x70: every other pane keeps its minimum (6 lines)" \
			awk -F '\t' '$4 < 6 { print; bad = 1 } END { exit bad }' "$TMP/250.boxes"
	fi
	if [ "$SIZE" = 120x40 ]; then
		tmux_keys $N 6 z
		check "120x40: z zooms the focused pane to the whole screen" tmux_wait_for $N '^┌ 6 Indexes \[zoomed' 5
		tmux_capture $N > "$TMP/zoom.screen"
		$SCREEN boxes "$TMP/zoom.screen" > "$TMP/zoom.boxes"
		check_eq "120x40 zoomed: one box, from line 3 to line 38" "6 Indexes [zoomed: z]	2	0	36	120" \
			"$(cat "$TMP/zoom.boxes")"
		tmux_keys $N z
		check "120x40: z again brings every pane back" tmux_wait_for $N '^┌ 1 Queries' 5
		tmux_capture $N > "$TMP/unzoom.screen"
		check "120x40 unzoomed: the seven panes are boxes again" \
			sh -c "[ \$($SCREEN boxes '$TMP/unzoom.screen' | grep -c .) -ge 7 ]"
	fi
	tmux_keys $N q
	tmux_wait_exit $N 5 >/dev/null
	tmux_kill $N
done

# ---- ASCII: the cut name ends in ~
tmux_start ascii 120 40 env LC_ALL=C LANG=C "$PGDECK" "$CONN"
tmux_wait_for ascii 'primary: up' 15 >/dev/null
tmux_keys ascii 5 /
tmux_keys ascii -l Sensor
tmux_keys ascii Enter
check "ASCII: the long view name ends in ~ in its column" tmux_wait_for ascii '\|acc\.Sensor Readings[^|]*~ ' 10
tmux_keys ascii q
tmux_kill ascii

tap_done
