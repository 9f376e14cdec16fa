#!/bin/sh
# The console killed by a fatal signal (SIGSEGV, SIGABRT, and SIGABRT
# raised inside malloc with the allocator's lock held) puts the terminal
# back from its signal handler, which may use async-signal-safe calls only:
# the alternate screen left, the cursor shown, keypad and mouse modes off,
# the tty's modes as the shell had them; it prints what it held back from
# stderr and the signal's name, and dies of that very signal.
#
# The signals are real ones sent with kill; pgdeck has no way of crashing on
# purpose.  The malloc case uses a preloaded allocator (built here, never
# part of pgdeck) that aborts inside malloc while it holds its lock: a
# handler that calls free() or stdio (endwin, fclose) then waits for that
# lock forever, and the terminal stays as curses left it.
. tests/e2e/lib.sh

PGDECK=$(pgdeck_bin)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/pgdeck-fatal.XXXXXX")
at_exit "rm -rf '$TMP'"
XDG_CONFIG_HOME=$TMP/xdg	# no developer's config: mouse reporting on, the default
export XDG_CONFIG_HOME
UTF8="LC_ALL=C.UTF-8 LANG=C.UTF-8"

tmux_fmt() { tmux -L "pgdeck-$1-$$" display-message -p -t main "$2"; }
pane_pid() { tmux_fmt "$1" '#{pane_pid}'; }
# The pid of the pgdeck a wrapper shell in pane NAME runs.
child_pid() { ps -o pid= --ppid "$(pane_pid "$1")" | tr -d ' ' | head -n 1; }
# Kill whatever a failed run leaves hanging in its handler.
PIDS=""
at_exit 'for p in $PIDS; do kill -9 $p 2>/dev/null; done'

ASAN=""
if nm "$PGDECK" 2>/dev/null | grep -q '__asan_init'; then
	ASAN=1
fi

# The terminal as curses leaves it is the control: each check below would
# pass on a shell that never ran pgdeck.
running_modes() {
	check_eq "$1: while running, alternate screen on, cursor hidden, keypad and mouse on" 1/0111 \
		"$(tmux_fmt "$2" '#{alternate_on}/#{cursor_flag}#{keypad_cursor_flag}#{keypad_flag}#{mouse_any_flag}')"
}
restored_modes() {
	check_eq "$1: the alternate screen is left" 0 "$(tmux_fmt "$2" '#{alternate_on}')"
	check_eq "$1: the cursor is visible" 1 "$(tmux_fmt "$2" '#{cursor_flag}')"
	check_eq "$1: keypad (application) modes are off" 00 "$(tmux_fmt "$2" '#{keypad_cursor_flag}#{keypad_flag}')"
	check_eq "$1: mouse reporting is off" 0 "$(tmux_fmt "$2" '#{mouse_any_flag}')"
	check "$1: the dashboard is gone from the pane" tmux_wait_gone "$2" 'primary: up' 2
}

# ---- SIGSEGV and SIGABRT, pgdeck as the pane's program: tmux sees how it
# died.  (A dead pane's cursor and last lines are tmux's own business: those
# are checked in a shell below.)
for sig in SEGV ABRT; do
	num=$(kill -l "$sig")
	name=direct$sig
	tmux_start "$name" 120 40 env $UTF8 "$PGDECK" -i 0.5
	tmux_wait_for "$name" 'primary: up' 10 >/dev/null
	running_modes "SIG$sig" "$name"
	pid=$(pane_pid "$name")
	PIDS="$PIDS $pid"
	kill -"$sig" "$pid"
	if ! tmux_wait_exit "$name" 10; then
		not_ok "SIG$sig: pgdeck dies"
		continue
	fi
	got=$(tmux_exit_signal "$name")
	if [ "$sig" = SEGV ] && [ -n "$ASAN" ] && [ "$got" != "$num" ]; then
		# AddressSanitizer may keep SIGSEGV for itself (handle_segv) and
		# exit with its own report: not pgdeck's handler at work.
		skip "SIG$sig: pgdeck dies of the signal itself" \
			"this pgdeck is built with AddressSanitizer, which took SIGSEGV (exit ${got:-status $(tmux_exit_status "$name")})"
		ASAN_SEGV=1
		tmux_kill "$name"
		continue
	fi
	check_eq "SIG$sig: pgdeck dies of the signal itself (re-raised)" "$num" "$got"
	check_eq "SIG$sig: the alternate screen is left" 0 "$(tmux_fmt "$name" '#{alternate_on}')"
	check_eq "SIG$sig: keypad and mouse modes are off" 000 \
		"$(tmux_fmt "$name" '#{keypad_cursor_flag}#{keypad_flag}#{mouse_any_flag}')"
	check "SIG$sig: the dashboard is gone from the pane" tmux_wait_gone "$name" 'primary: up' 2
	tmux_kill "$name"
done

# ---- the same in a shell: the message, the cursor, the tty modes, the
# exit status the shell sees, typing after it
cat > "$TMP/shell.sh" <<EOF
stty -g > '$TMP/stty.before'
'$PGDECK' -i 0.5
echo "pgdeck-exit=\$?"
stty -g > '$TMP/stty.after'
printf 'type here: '
read line
echo "read back: \$line"
exec sleep 60
EOF
for sig in SEGV ABRT; do
	if [ "$sig" = SEGV ] && [ -n "${ASAN_SEGV:-}" ]; then
		skip "SIGSEGV in a shell" "AddressSanitizer takes SIGSEGV in this build"
		continue
	fi
	num=$(kill -l "$sig")
	name=shell$sig
	rm -f "$TMP/stty.before" "$TMP/stty.after"
	tmux_start "$name" 120 40 env $UTF8 sh "$TMP/shell.sh"
	tmux_wait_for "$name" 'primary: up' 10 >/dev/null
	running_modes "SIG$sig in a shell" "$name"
	pid=$(child_pid "$name")
	PIDS="$PIDS $pid"
	kill -"$sig" "$pid"
	check "SIG$sig in a shell: the shell sees status $((128 + num)) (128 + SIG$sig)" \
		tmux_wait_for "$name" "pgdeck-exit=$((128 + num))" 10
	check "SIG$sig in a shell: pgdeck says which signal, and that the terminal was restored" \
		tmux_wait_for "$name" "^pgdeck: fatal signal SIG$sig \\(.*\\); the terminal was restored" 2
	check "SIG$sig in a shell: the terminal modes (stty) are as before" cmp -s "$TMP/stty.before" "$TMP/stty.after"
	restored_modes "SIG$sig in a shell" "$name"
	tmux_keys "$name" -l 'hello there'
	tmux_keys "$name" Enter
	check "SIG$sig in a shell: typed text echoes and a line reads back" tmux_wait_for "$name" 'read back: hello there' 5
	tmux_kill "$name"
done

# ---- SIGABRT inside malloc, its lock held; stderr written under curses
if [ -n "$ASAN" ]; then
	skip "abort inside malloc: the handler needs no allocator" \
		"this pgdeck is built with AddressSanitizer, whose allocator a preloaded one cannot replace"
	tap_done
fi
cat > "$TMP/abort_in_malloc.c" <<'EOF'
/* For this test only: glibc's allocator behind one lock; SIGUSR2 makes the
 * next malloc abort() while it holds that lock, as glibc does when it finds
 * its heap corrupt.  SIGUSR1 writes a line to stderr. */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

extern void *__libc_malloc(size_t);
extern void  __libc_free(void *);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static volatile sig_atomic_t armed;

static void say(int sig)
{
    static const char msg[] = "e2e-fatal: written to stderr while curses ran\n";
    (void)sig;
    (void)!write(2, msg, sizeof msg - 1);
}

static void arm(int sig)
{
    (void)sig;
    armed = 1;
}

__attribute__((constructor)) static void init(void)
{
    signal(SIGUSR1, say);
    signal(SIGUSR2, arm);
}

void *malloc(size_t n)
{
    pthread_mutex_lock(&lock);
    if (armed)
        abort();
    void *p = __libc_malloc(n);
    pthread_mutex_unlock(&lock);
    return p;
}

void *realloc(void *old, size_t n)
{
    pthread_mutex_lock(&lock);
    if (armed)
        abort();
    void *p = __libc_realloc(old, n);
    pthread_mutex_unlock(&lock);
    return p;
}

void *calloc(size_t count, size_t n)
{
    pthread_mutex_lock(&lock);
    void *p = __libc_calloc(count, n);
    pthread_mutex_unlock(&lock);
    return p;
}

void free(void *p)
{
    pthread_mutex_lock(&lock);
    __libc_free(p);
    pthread_mutex_unlock(&lock);
}
EOF
if ! ${CC:-cc} -shared -fPIC -O1 -o "$TMP/abort_in_malloc.so" "$TMP/abort_in_malloc.c" -lpthread 2> "$TMP/cc.err"; then
	not_ok "build the test allocator"
	diag "$(cat "$TMP/cc.err")"
	tap_done
fi
cat > "$TMP/malloc.sh" <<EOF
stty -g > '$TMP/stty.before'
LD_PRELOAD='$TMP/abort_in_malloc.so' '$PGDECK' -i 0.5
echo "pgdeck-exit=\$?"
stty -g > '$TMP/stty.after'
exec sleep 60
EOF
rm -f "$TMP/stty.before" "$TMP/stty.after"
tmux_start malloc 120 40 env $UTF8 sh "$TMP/malloc.sh"
tmux_wait_for malloc 'primary: up' 10 >/dev/null
running_modes "abort inside malloc" malloc
pid=$(child_pid malloc)
PIDS="$PIDS $pid"
kill -USR1 "$pid"
sleep 0.2
check "control: a line written to stderr under curses is not on the screen" \
	sh -c "! tmux -L pgdeck-malloc-$$ capture-pane -p -t main | grep -q 'e2e-fatal: written to stderr'"
kill -USR2 "$pid"	# the next malloc (at the latest the clock's redraw) aborts
check "abort inside malloc: pgdeck dies, of SIGABRT (status 134), instead of hanging in its handler" \
	tmux_wait_for malloc 'pgdeck-exit=134' 10
restored_modes "abort inside malloc" malloc
check "abort inside malloc: the terminal modes (stty) are as before" cmp -s "$TMP/stty.before" "$TMP/stty.after"
check "abort inside malloc: what stderr got under curses is printed after the terminal is back" \
	tmux_wait_for malloc '^e2e-fatal: written to stderr while curses ran' 2
check "abort inside malloc: then the signal is named" \
	tmux_wait_for malloc '^pgdeck: fatal signal SIGABRT \(aborted\); the terminal was restored' 2
tmux_kill malloc

tap_done
