#!/bin/sh
# The first connect error is the one the operator reads (issue 12, "the
# first connect error is lost"): --once, check and run each print libpq's
# own reason (or the resolver's, in libpq's words) when the primary cannot
# be reached, for
#   - a host name that does not resolve,
#   - a port where nothing listens,
#   - a wrong password (role pgdeck_pw needs scram over TCP),
#   - options libpq refuses before it even tries (a port list that does not
#     match the hosts), which fail inside the first connect call itself;
# and the console's status line gives the same reason.
. tests/e2e/lib.sh

PGDECK=$(pgdeck_bin)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/pgdeck-connerr.XXXXXX")
at_exit "rm -rf '$TMP'"
XDG_CONFIG_HOME=$TMP/config
XDG_STATE_HOME=$TMP/state
export XDG_CONFIG_HOME XDG_STATE_HOME
# Only the primary: the others' states are not what is tested here.
unset DATABASE_READ_REPLICA_URL PGBOUNCER_URL REDIS_URL

PASSWORD=not-the-secret-$$
BAD_NAME='could not translate host name "db\.example\.invalid" to address: '
REFUSED='connection to server at "127\.0\.0\.1", port 1 failed: Connection refused'
BAD_PASSWORD='password authentication failed for user "pgdeck_pw"'
BAD_PORTS='could not match 2 port numbers to 1 hosts'

# case NAME REGEX ARGS...: the connection given by ARGS, through each front
# end; each must name the reason.
case_of() {
	_name=$1 _want=$2
	shift 2
	"$PGDECK" --once "$@" > "$TMP/$_name.once.out" 2> "$TMP/$_name.once.err"
	check_eq "$_name: --once fails with exit 2" 2 $?
	check "$_name: --once prints the reason" \
		grep -Eq "^pgdeck: cannot connect to the primary: $_want" "$TMP/$_name.once.err" ||
		diag "stderr: $(cat "$TMP/$_name.once.err")"

	"$PGDECK" check "$@" > "$TMP/$_name.check.out" 2> "$TMP/$_name.check.err"
	check_eq "$_name: check is CRITICAL (2): the primary is down" 2 $?
	# The alert gives libpq's reason without its "connection to server
	# ... failed: " preamble.
	_short=$(printf '%s' "$_want" | sed 's/^connection to server at .* failed: //')
	check "$_name: check prints CRITICAL with the reason" \
		grep -Eq "^PGDECK CRITICAL - primary down since [0-9:]{8} \\($_short" "$TMP/$_name.check.out" ||
		diag "stdout: $(cat "$TMP/$_name.check.out")"

	"$PGDECK" run partitions --dry-run "$@" > "$TMP/$_name.run.out" 2> "$TMP/$_name.run.err"
	check_eq "$_name: run fails with exit 2" 2 $?
	check "$_name: run prints the reason" \
		grep -Eq "^pgdeck: run: cannot connect to the primary: $_want" "$TMP/$_name.run.err"
}

case_of "unresolvable name" "$BAD_NAME" -h db.example.invalid -p "$PGDECK_PG_PORT" -U postgres -d pgdeck
case_of "refused port" "$REFUSED" "host=127.0.0.1 port=1 user=postgres dbname=pgdeck"
case_of "wrong password" "$BAD_PASSWORD" \
	"host=127.0.0.1 port=$PGDECK_PG_PORT user=pgdeck_pw password=$PASSWORD dbname=pgdeck"
case_of "ports that do not match the hosts" "$BAD_PORTS" "host=127.0.0.1 port=1,2 user=postgres dbname=pgdeck"

check "the wrong password is shown nowhere" sh -c "! grep -r -- '$PASSWORD' '$TMP' >/dev/null"

# ---- the console says it too
# Wide, so that the status line has room for the whole reason.
tmux_start bad 240 40 "$PGDECK" -h db.example.invalid -p "$PGDECK_PG_PORT"
check "the console's status line gives the resolver's reason" \
	tmux_wait_for bad 'primary: down \(could not translate host name "db\.example\.invalid"' 15
tmux_kill bad
tmux_start ports 240 40 "$PGDECK" "host=127.0.0.1 port=1,2 user=postgres dbname=pgdeck"
check "the console's status line gives libpq's refusal of the options" \
	tmux_wait_for ports "primary: down \\($BAD_PORTS" 10
tmux_kill ports

tap_done
