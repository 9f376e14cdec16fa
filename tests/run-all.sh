#!/bin/sh
# pgdeck's suite runner (make check runs it after building).
#
# Runs, in this order, every
#   build/tests/unit/test_*          cmocka binaries, no servers needed
#   build/tests/integration/test_*   cmocka binaries, against the harness
#   tests/sql/test_*.sh              TAP shell scripts, against the harness
#   tests/e2e/test_*.sh              TAP shell scripts (tmux), against the harness
# each under `timeout`, its output shown and kept in a log, and ends with the
# line "N passed, N failed".  Exit status 0 only when nothing failed and
# something passed.
#
# Environment:
#   PGDECK_TESTS=REGEX       run only the files whose path matches (grep -E)
#   PGDECK_KEEP_HARNESS=1    reuse a running harness and leave it running
#   PGDECK_RUN=DIR           the harness's run dir (default: a new
#                            /tmp/pgdeck-run-UID-PID for this run, or
#                            /tmp/pgdeck-run-UID with PGDECK_KEEP_HARNESS=1)
#   PGDECK_BUILD=DIR         where the test binaries are (default build)
#   PGDECK_TEST_TIMEOUT=S    per test file (default 300)
#   PGDECK_SCRIPTS=DIR       where sql/ and e2e/ scripts are (default tests)
set -u
LC_ALL=C
export LC_ALL

cd "$(dirname "$0")/.." || exit 2
PGDECK_ROOT=$(pwd)
export PGDECK_ROOT
BUILD=${PGDECK_BUILD:-build}
SCRIPTS=${PGDECK_SCRIPTS:-tests}	# another tree of sql/ and e2e/ (to test this runner)
KEEP=${PGDECK_KEEP_HARNESS:-0}
# Each run gets a harness of its own, so that two suites (two developers on
# one machine, or a suite beside a demo) never stop each other's servers.
# With PGDECK_KEEP_HARNESS=1 the shared default run dir is used and kept.
if [ -z "${PGDECK_RUN:-}" ]; then
	if [ "$KEEP" = 1 ]; then PGDECK_RUN=/tmp/pgdeck-run-$(id -u)
	else PGDECK_RUN=/tmp/pgdeck-run-$(id -u)-$$; fi
fi
export PGDECK_RUN
TIMEOUT=${PGDECK_TEST_TIMEOUT:-300}
FILTER=${PGDECK_TESTS:-}
HARNESS="$PGDECK_ROOT/tests/harness.sh"

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
t0=$(now)

# ---------------------------------------------------------------- the list

# Executables only: a build dir may also hold .d or .o files beside them.
binaries() {
	for f in "$1"/test_*; do
		case $f in *.*) continue ;; esac
		[ -f "$f" ] && [ -x "$f" ] && echo "$f"
	done
}
scripts() {
	for f in "$1"/test_*.sh; do
		[ -f "$f" ] && echo "$f"
	done
}
select_tests() {
	if [ -n "$FILTER" ]; then grep -E -- "$FILTER"; else cat; fi
}

UNIT=$(binaries "$BUILD/tests/unit" | select_tests)
INTEGRATION=$(binaries "$BUILD/tests/integration" | select_tests)
SQL=$(scripts "$SCRIPTS/sql" | select_tests)
E2E=$(scripts "$SCRIPTS/e2e" | select_tests)

if [ -z "$UNIT$INTEGRATION$SQL$E2E" ]; then
	if [ -n "$FILTER" ]; then echo "run-all: no test file matches PGDECK_TESTS='$FILTER'"
	else echo "run-all: no test found (is the build done? make test-bin)"; fi
	echo "0 passed, 0 failed"
	exit 1
fi

# ---------------------------------------------------------------- harness

HARNESS_STARTED=0	# 1 once we started it and must stop it
HARNESS_STATE=none	# none | up | failed
LOGDIR=$PGDECK_RUN/test-logs

harness_start() {
	[ $HARNESS_STATE = up ] && return 0
	[ $HARNESS_STATE = failed ] && return 1
	echo "# ---- starting the harness ($PGDECK_RUN)"
	_t=$(now)
	if sh "$HARNESS" start > "$LOGDIR/harness-start.log" 2>&1; then
		[ "$KEEP" = 1 ] || HARNESS_STARTED=1
		HARNESS_STATE=up
		sed 's/^/# /' "$LOGDIR/harness-start.log"
		echo "# harness up in $(elapsed "$_t") s"
		# shellcheck disable=SC1090
		. "$(sh "$HARNESS" env)"
		return 0
	fi
	[ "$KEEP" = 1 ] || HARNESS_STARTED=1
	HARNESS_STATE=failed
	sed 's/^/# /' "$LOGDIR/harness-start.log"
	return 1
}

# A test that took a server down and did not bring it back must not spoil
# the tests after it.
harness_heal() {
	[ $HARNESS_STATE = up ] || return 0
	sh "$HARNESS" status > /dev/null 2>&1 && return 0
	echo "# harness: a server was left down after $1; starting it again"
	if ! sh "$HARNESS" start >> "$LOGDIR/harness-start.log" 2>&1; then
		tail -n 20 "$LOGDIR/harness-start.log" | sed 's/^/# /'
		HARNESS_STATE=failed
	fi
}

save_logs() {
	mkdir -p "$BUILD/test-logs" 2>/dev/null || return 0
	rm -f "$BUILD/test-logs"/*.log
	cp "$LOGDIR"/*.log "$BUILD/test-logs/" 2>/dev/null
	if [ -d "$PGDECK_RUN/log" ]; then
		mkdir -p "$BUILD/test-logs/servers"
		cp "$PGDECK_RUN/log"/*.log "$BUILD/test-logs/servers/" 2>/dev/null
	fi
	return 0
}

finish_harness() {
	save_logs
	if [ $HARNESS_STARTED = 1 ]; then
		HARNESS_STARTED=0
		sh "$HARNESS" stop > /dev/null 2>&1
	elif [ $HARNESS_STATE = none ] && [ "$KEEP" != 1 ]; then
		# Only our logs are in the run dir: leave nothing behind.
		rm -rf "$LOGDIR"
		rmdir "$PGDECK_RUN" 2>/dev/null
	fi
	return 0
}

FAILURES=$(mktemp "${TMPDIR:-/tmp}/pgdeck-failures.XXXXXX") || exit 2
CURRENT_PID=""
on_signal() {
	[ -n "$CURRENT_PID" ] && kill -TERM "$CURRENT_PID" 2>/dev/null
	echo "run-all: interrupted"
	exit 130
}
trap on_signal INT TERM HUP
trap 'finish_harness; rm -f "$FAILURES"' EXIT

# Run dirs of earlier runs that were killed before they could stop their
# servers (the PID in the name is no longer a run-all.sh): stop them now.
for d in /tmp/pgdeck-run-"$(id -u)"-*; do
	[ -d "$d" ] || continue
	pid=${d##*-}
	case $pid in '' | *[!0-9]*) continue ;; esac
	ps -o args= -p "$pid" 2>/dev/null | grep -q run-all && continue
	echo "# stopping the servers of an earlier run that was killed ($d)"
	PGDECK_RUN=$d sh "$HARNESS" stop > /dev/null 2>&1
done

# A fresh harness for every run, unless told to keep one.
if [ -n "$INTEGRATION$SQL$E2E" ] && [ "$KEEP" != 1 ]; then
	sh "$HARNESS" stop > /dev/null 2>&1
fi
mkdir -p "$LOGDIR" || exit 2

# ---------------------------------------------------------------- running

PASSED=0
FAILED=0
SKIPPED=0
FILES=0

fail_note() { printf '%s\n' "$*" >> "$FAILURES"; }

# run_test KIND FILE: KIND is cmocka or tap.
run_test() {
	_kind=$1 _file=$2
	_log=$LOGDIR/$(printf '%s' "$_file" | tr '/' '_').log
	FILES=$((FILES + 1))
	echo "# ---- $_file"
	_t=$(now)
	: > "$_log"
	_p=0 _f=0 _s=0 _seen=0
	# The test writes to its log; tail shows it as it comes and stops when
	# the test is done, even if a daemon the test started keeps the log
	# open.  timeout puts the test in its own process group and ends all of
	# it.  Nothing may read our stdin (CI has none).
	if [ "$_kind" = cmocka ]; then
		CMOCKA_MESSAGE_OUTPUT=STDOUT timeout -k 10 "$TIMEOUT" "$_file" </dev/null >"$_log" 2>&1 &
	else
		timeout -k 10 "$TIMEOUT" bash "$_file" </dev/null >"$_log" 2>&1 &
	fi
	CURRENT_PID=$!
	tail -n +1 -s 0.1 -f --pid="$CURRENT_PID" "$_log"
	wait "$CURRENT_PID"
	_rc=$?
	CURRENT_PID=""
	case $_rc in
	124 | 137) _why="timed out after ${TIMEOUT}s" ;;
	*) _why="exited with status $_rc" ;;
	esac

	if [ "$_kind" = cmocka ]; then
		# [  PASSED  ] N test(s).   [  FAILED  ] N test(s), listed below:
		# followed by one "[  FAILED  ] name" line per failed test.
		eval "$(awk '
			/^\[  PASSED  \] [0-9]+ test/ { p += $4 }
			/^\[  SKIPPED \] [0-9]+ test/ { s += $4 }
			/^\[  FAILED  \] [0-9]+ test\(s\), listed below/ { f += $4; names = 1; next }
			names && /^\[  FAILED  \] / { printf "fail_note \"%s: %s\"\n", FILENAME_, $4; next }
			{ names = 0 }
			END { seen = p + f + s > 0 ? 1 : 0
			      printf "_p=%d _f=%d _s=%d _seen=%d\n", p, f, s, seen }
		' FILENAME_="$_file" "$_log")"
		if [ "$_seen" = 0 ]; then
			_f=$((_f + 1))
			fail_note "$_file: printed no cmocka result ($_why)"
		elif [ $_rc -ne 0 ] && [ "$_f" = 0 ]; then
			_f=1
			fail_note "$_file: $_why"
		fi
	else
		_all=$(grep -cE '^ok( |$)' "$_log")
		_s=$(grep -cE '^ok( |$).*#[[:space:]]*[Ss][Kk][Ii][Pp]' "$_log")
		_p=$((_all - _s))
		_f=$(grep -cE '^not ok( |$)' "$_log")
		grep -E '^not ok( |$)' "$_log" | while IFS= read -r _l; do
			fail_note "$_file: $_l"
		done
		if [ $_rc -ne 0 ] && [ "$_f" = 0 ]; then
			_f=1
			fail_note "$_file: $_why"
		elif [ $_rc -eq 0 ] && [ $((_all + _f)) = 0 ]; then
			_f=1
			fail_note "$_file: ran no test"
		elif [ $_rc -eq 124 ] || [ $_rc -eq 137 ]; then
			fail_note "$_file: $_why"
		fi
	fi
	PASSED=$((PASSED + _p))
	FAILED=$((FAILED + _f))
	SKIPPED=$((SKIPPED + _s))
	echo "# ---- $_file: ok=$_p fail=$_f skip=$_s ($(elapsed "$_t") s)"
}

for t in $UNIT; do
	run_test cmocka "$t"
done

server_tests() {	# KIND FILES...
	_k=$1
	shift
	for t in "$@"; do
		if ! harness_start; then
			echo "# ---- $t: not run, the harness did not start"
			fail_note "$t: not run, the harness did not start"
			continue
		fi
		run_test "$_k" "$t"
		harness_heal "$t"
	done
}
# shellcheck disable=SC2086
server_tests cmocka $INTEGRATION
# shellcheck disable=SC2086
server_tests tap $SQL $E2E
if [ $HARNESS_STATE = failed ]; then
	FAILED=$((FAILED + 1))
	fail_note "tests/harness.sh start: failed (log: $BUILD/test-logs/harness-start.log)"
fi

# ---------------------------------------------------------------- summary

finish_harness
trap - EXIT
echo "# ==== $FILES test files in $(elapsed "$t0") s; logs in $BUILD/test-logs/"
if [ -s "$FAILURES" ]; then
	echo "# failures:"
	sed 's/^/#   /' "$FAILURES"
fi
[ "$SKIPPED" -gt 0 ] && echo "# skipped: $SKIPPED"
rm -f "$FAILURES"
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ] && [ "$PASSED" -gt 0 ]
