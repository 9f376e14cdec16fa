# Helpers for TAP shell tests and tmux end-to-end tests.  Source it:
#
#   . tests/e2e/lib.sh          (from the repo root, as run-all.sh runs tests)
#
# Works in bash and in POSIX sh.  It loads the harness's env.sh when the
# caller has not (so a test also runs by hand after `sh tests/harness.sh
# start`), and installs an EXIT trap that kills every tmux server the test
# started; add your own cleanup with `at_exit CMD` rather than `trap ... EXIT`.
#
# TAP:   ok DESC | not_ok DESC | skip DESC REASON | check DESC CMD... |
#        diag TEXT... | tap_done
# tmux:  tmux_start NAME COLS ROWS CMD... | tmux_keys NAME KEYS... |
#        tmux_capture NAME [-e] | tmux_wait_for NAME REGEX [TIMEOUT_S] |
#        tmux_wait_gone NAME REGEX [TIMEOUT_S] | tmux_wait_exit NAME [TIMEOUT_S] |
#        tmux_exit_status NAME | tmux_exit_signal NAME | tmux_resize NAME COLS ROWS |
#        tmux_pipe NAME FILE | tmux_kill NAME
# other: pgdeck_bin | psql_q SQL | replica_q SQL | bouncer_q SQL |
#        redis_q ARGS... | harness CMD... | wait_until TIMEOUT_S CMD...

# ------------------------------------------------------------ locations

if [ -z "${PGDECK_ROOT:-}" ]; then
	if [ -n "${BASH_VERSION:-}" ]; then
		eval 'PGDECK_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)'
	elif [ -f tests/e2e/lib.sh ]; then
		PGDECK_ROOT=$(pwd)
	else
		PGDECK_ROOT=$(git rev-parse --show-toplevel 2>/dev/null || pwd)
	fi
fi
export PGDECK_ROOT
PGDECK_BIN=${PGDECK_BIN:-$PGDECK_ROOT/pgdeck}
export PGDECK_BIN
# The suite reads the catalog tier (indexes, partitions, views, the busiest
# tables, the lock table while no wait is seen) every 10 s, not every 30 s
# as by default ([display] catalog_interval): a test that waits for a
# catalog change to show waits for one of its runs.  test_agent checks
# that the setting reaches those collectors.
PGDECK_CATALOG_INTERVAL=${PGDECK_CATALOG_INTERVAL:-10}
export PGDECK_CATALOG_INTERVAL

# Absolute path of the pgdeck binary under test.
pgdeck_bin() { printf '%s\n' "$PGDECK_BIN"; }

harness() { sh "$PGDECK_ROOT/tests/harness.sh" "$@"; }

if [ -z "${PGDECK_PG_PORT:-}" ]; then
	_lib_env=${PGDECK_RUN:-/tmp/pgdeck-run-$(id -u)}/env.sh
	# shellcheck disable=SC1090
	[ -f "$_lib_env" ] && . "$_lib_env"
fi

# ------------------------------------------------------------ TAP

TAP_COUNT=0
TAP_FAILED=0

# PGDECK_TAP_TIMES=1: each result is followed by the seconds since the test
# began ("# at 12.34 s"), to see where a slow test spends its time.
if [ -n "${PGDECK_TAP_TIMES:-}" ]; then _lib_t0=$(date +%s.%N); fi
_lib_at() {
	[ -n "${PGDECK_TAP_TIMES:-}" ] || return 0
	printf '# at %s s\n' "$(awk -v a="$_lib_t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')"
}

# A wait that ran out, on stderr (a wait whose output is thrown away
# still shows in the log): with PGDECK_TAP_TIMES only.
_lib_timed_out() {
	[ -n "${PGDECK_TAP_TIMES:-}" ] || return 0
	printf '# waited %s s in vain for %s\n' "$2" "$1" >&2
	_lib_at >&2
}

ok() {
	TAP_COUNT=$((TAP_COUNT + 1))
	printf 'ok %d - %s\n' "$TAP_COUNT" "$*"
	_lib_at
}

not_ok() {
	TAP_COUNT=$((TAP_COUNT + 1))
	TAP_FAILED=$((TAP_FAILED + 1))
	printf 'not ok %d - %s\n' "$TAP_COUNT" "$*"
	_lib_at
}

# skip DESC [REASON]: counted by run-all.sh as skipped, not passed.
skip() {
	TAP_COUNT=$((TAP_COUNT + 1))
	printf 'ok %d - %s # SKIP %s\n' "$TAP_COUNT" "$1" "${2:-}"
}

# diag TEXT...: each line as a TAP comment.
diag() { printf '%s\n' "$*" | sed 's/^/# /'; }

# check DESC CMD...: ok when CMD succeeds; otherwise not ok, with what CMD
# printed shown as comments.
check() {
	_desc=$1
	shift
	_out=$("$@" 2>&1)
	_rc=$?
	if [ $_rc -eq 0 ]; then
		ok "$_desc"
	else
		not_ok "$_desc"
		diag "command: $* (exit $_rc)"
		[ -n "$_out" ] && diag "$_out"
	fi
	return $_rc
}

# check_eq DESC EXPECTED ACTUAL
check_eq() {
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		not_ok "$1"
		diag "expected: $2"
		diag "     got: $3"
		return 1
	fi
}

# tap_done: print the plan and exit non-zero if anything failed.
tap_done() {
	printf '1..%d\n' "$TAP_COUNT"
	[ "$TAP_FAILED" -eq 0 ] && exit 0
	exit 1
}

# ------------------------------------------------------------ exit

_LIB_TMUX=""		# names of the tmux servers started, for the trap
_LIB_AT_EXIT=""		# commands added with at_exit
_LIB_TMP=$(mktemp -d "${TMPDIR:-/tmp}/pgdeck-e2e.XXXXXX")
# tmux leaves its socket files behind after kill-server: keep them in our
# temporary folder, which goes at exit.  A developer's own tmux is not ours.
TMUX_TMPDIR=$_LIB_TMP
export TMUX_TMPDIR
unset TMUX

at_exit() { _LIB_AT_EXIT="$_LIB_AT_EXIT
$*"; }

_lib_exit() {
	_rc=$?
	set +e
	# Every server whose socket is in our folder, including those started
	# in a subshell (check "..." tmux_start ...), which _LIB_TMUX misses.
	for _s in "$_LIB_TMP"/tmux-*/*; do
		[ -S "$_s" ] && tmux -S "$_s" kill-server 2>/dev/null
	done
	[ -n "$_LIB_AT_EXIT" ] && eval "$_LIB_AT_EXIT"
	rm -rf "$_LIB_TMP"
	# A script that forgot tap_done still fails when a check failed.
	[ $_rc -eq 0 ] && [ "$TAP_FAILED" -gt 0 ] && _rc=1
	exit $_rc
}
trap _lib_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# wait_until TIMEOUT_S CMD...: run CMD every 0.1 s until it succeeds.
wait_until() {
	_n=$(awk -v t="$1" 'BEGIN { printf "%d", t * 10 }')
	_lib_wt=$1
	shift
	_i=0
	while ! "$@" >/dev/null 2>&1; do
		if [ $_i -ge "$_n" ]; then
			_lib_timed_out "$*" "$_lib_wt"
			return 1
		fi
		sleep 0.1
		_i=$((_i + 1))
	done
	return 0
}

# ------------------------------------------------------------ databases

# psql_q SQL [CONNINFO]: one query, unaligned tuples only, against the
# primary's pgdeck database unless CONNINFO says otherwise.
psql_q() {
	if [ $# -gt 1 ]; then
		psql -XAtq -v ON_ERROR_STOP=1 -c "$1" "$2"
	else
		psql -XAtq -v ON_ERROR_STOP=1 -c "$1"
	fi
}
replica_q() { psql -XAtq -v ON_ERROR_STOP=1 -c "$1" "$DATABASE_READ_REPLICA_URL"; }
bouncer_q() { psql -XAtq -c "$1" "$PGBOUNCER_URL"; }
redis_q() { redis-cli -h 127.0.0.1 -p "$PGDECK_REDIS_PORT" "$@"; }

# ------------------------------------------------------------ tmux

_tmux() {
	_tn=$1
	shift
	tmux -L "pgdeck-$_tn-$$" "$@"
}

# tmux_start NAME COLS ROWS CMD...: a private tmux server with one pane of
# exactly COLS x ROWS (no status line) running CMD, TERM=tmux-256color
# inside, the pane kept after CMD exits so its exit status can be read.
# The environment (DATABASE_URL, LANG, ...) is passed on as it is.
tmux_start() {
	_tn=$1 _tc=$2 _tr=$3
	shift 3
	_conf=$_LIB_TMP/tmux.conf
	cat > "$_conf" <<'EOF'
set -g default-terminal tmux-256color
set -g remain-on-exit on
set -g status off
set -g history-limit 5000
set -g escape-time 0
set -g exit-empty off
EOF
	_LIB_TMUX="$_LIB_TMUX $_tn"
	# Quote each argument into one shell command, so CMD is run as given.
	_cmd=""
	for _a in "$@"; do
		_cmd="$_cmd '$(printf '%s' "$_a" | sed "s/'/'\\\\''/g")'"
	done
	tmux -L "pgdeck-$_tn-$$" -f "$_conf" new-session -d -s main -x "$_tc" -y "$_tr" \
		"exec$_cmd" </dev/null
}

# tmux_keys NAME KEYS...: tmux send-keys syntax (Enter, Escape, C-c, F10,
# Up, BTab, or literal text).  Use tmux_keys NAME -l TEXT for literal text.
tmux_keys() {
	_tn=$1
	shift
	_tmux "$_tn" send-keys -t main "$@"
}

# tmux_capture NAME [-e]: the visible screen (-e keeps colours/attributes).
tmux_capture() {
	_tmux "$1" capture-pane -p -t main ${2:-}
}

_lib_show_screen() {
	diag "---- screen of $1:"
	tmux_capture "$1" 2>&1 | sed 's/^/# | /'
	diag "----"
}

# tmux_wait_for NAME REGEX [TIMEOUT_S=10]: wait until the screen matches
# the extended regex; on timeout print the last screen as comments, return 1.
tmux_wait_for() {
	_n=$(awk -v t="${3:-10}" 'BEGIN { printf "%d", t * 10 }')
	_i=0
	while :; do
		tmux_capture "$1" 2>/dev/null | grep -Eq -- "$2" && return 0
		[ $_i -ge "$_n" ] && break
		sleep 0.1
		_i=$((_i + 1))
	done
	diag "timed out after ${3:-10}s waiting for /$2/ in $1"
	_lib_timed_out "/$2/ in $1" "${3:-10}"
	_lib_show_screen "$1"
	return 1
}

# tmux_wait_gone NAME REGEX [TIMEOUT_S=10]: wait until it no longer matches.
tmux_wait_gone() {
	_n=$(awk -v t="${3:-10}" 'BEGIN { printf "%d", t * 10 }')
	_i=0
	while tmux_capture "$1" 2>/dev/null | grep -Eq -- "$2"; do
		if [ $_i -ge "$_n" ]; then
			diag "timed out after ${3:-10}s waiting for /$2/ to go from $1"
			_lib_timed_out "/$2/ to go from $1" "${3:-10}"
			_lib_show_screen "$1"
			return 1
		fi
		sleep 0.1
		_i=$((_i + 1))
	done
	return 0
}

# The pane is dead when its pty closes; the exit status is known once tmux
# has reaped the child.  Debian's tmux 3.3a runs its utempter helper when a
# pane's pty closes, with SIGCHLD at its default meanwhile: if the program's
# SIGCHLD lands in that window it is lost, and the status never comes.  Any
# later child of the server makes tmux reap again, so when the pane is dead
# but unreaped, nudge it with a job that does nothing.
_lib_pane_reaped() {
	_st=$(_tmux "$1" display-message -p -t main '#{pane_dead}:#{pane_dead_status}#{pane_dead_signal}' 2>/dev/null)
	case $_st in
	1:?*) return 0 ;;
	1:) _tmux "$1" run-shell -b true 2>/dev/null ;;
	esac
	return 1
}

# tmux_wait_exit NAME [TIMEOUT_S=10]: wait until the program has exited
# and tmux knows its exit status.
tmux_wait_exit() {
	_n=$(awk -v t="${2:-10}" 'BEGIN { printf "%d", t * 10 }')
	_i=0
	while ! _lib_pane_reaped "$1"; do
		if [ $_i -ge "$_n" ]; then
			diag "timed out after ${2:-10}s waiting for $1 to exit"
			_lib_show_screen "$1"
			return 1
		fi
		sleep 0.1
		_i=$((_i + 1))
	done
	return 0
}

# tmux_exit_status NAME: the exit status of the dead pane's program (empty
# while it still runs, or when a signal killed it: tmux_exit_signal).
tmux_exit_status() {
	# Dead but not yet reaped: give tmux a moment (at most 2 s).
	if [ "$(_tmux "$1" display-message -p -t main '#{pane_dead}' 2>/dev/null)" = 1 ]; then
		_i=0
		while ! _lib_pane_reaped "$1" && [ $_i -lt 20 ]; do
			sleep 0.1
			_i=$((_i + 1))
		done
	fi
	_tmux "$1" display-message -p -t main '#{pane_dead_status}'
}

# tmux_exit_signal NAME: the signal number that killed the pane's program.
tmux_exit_signal() {
	_tmux "$1" display-message -p -t main '#{pane_dead_signal}'
}

# tmux_resize NAME COLS ROWS: the program gets SIGWINCH.
tmux_resize() {
	_tmux "$1" resize-window -t main -x "$2" -y "$3"
}

# tmux_pipe NAME FILE: append every byte the program writes to FILE.  Bytes
# written before this call are not seen; start the program a little later
# (tmux_start NAME C R sh -c 'sleep 0.3; exec ...') when that matters.
tmux_pipe() {
	_tmux "$1" pipe-pane -t main -o "cat >> '$2'"
}

tmux_kill() {
	_tmux "$1" kill-server 2>/dev/null
	_rest=""
	for _n in $_LIB_TMUX; do [ "$_n" = "$1" ] || _rest="$_rest $_n"; done
	_LIB_TMUX=$_rest
	return 0
}
