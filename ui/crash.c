#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <curses.h>
#include <term.h>

#include "crash.h"

/* What the handler reads.  It is written only before the handlers are
 * installed, or (the restore bytes) into the buffer the handler is not
 * reading, which is then made current with one sig_atomic_t store: a
 * signal during crash_guard_prepare sees either the old bytes or the new,
 * never half of each. */
#define RESTORE_MAX 512
static struct {
    char   bytes[RESTORE_MAX];
    size_t len;
} restore[2];
static volatile sig_atomic_t restore_current;     /* 0 or 1 */

static int tty_fd = -1;
static struct termios tty_mode;
static bool tty_mode_known;
static int tty_flags = -1;
static int real_stderr = -1, captured_fd = -1;

static const int fatal_signals[] = { SIGSEGV, SIGBUS, SIGFPE, SIGABRT, SIGILL };
#define NFATAL (sizeof fatal_signals / sizeof fatal_signals[0])
/* What was installed before (the default, or a sanitizer's handler), put
 * back once curses is gone. */
static struct sigaction previous[NFATAL];
static bool installed;

/* ---- in the handler: async-signal-safe calls only ----------------------- */

static void write_all(int fd, const char *p, size_t n)
{
    /* A tty that cannot take it all (it should: the flags are blocking
     * again) gets what it takes; the loop is bounded either way. */
    for (int tries = 0; n > 0 && tries < 64; tries++) {
        ssize_t w = write(fd, p, n);
        if (w > 0) {
            p += w;
            n -= (size_t)w;
        } else if (w < 0 && errno != EINTR && errno != EAGAIN) {
            return;
        }
    }
}

#define SAY(fd, literal) write_all((fd), (literal), sizeof(literal) - 1)

static void say_signal(int fd, int sig)
{
    switch (sig) {
    case SIGSEGV: SAY(fd, "pgdeck: fatal signal SIGSEGV (segmentation fault)"); break;
    case SIGBUS:  SAY(fd, "pgdeck: fatal signal SIGBUS (bus error)"); break;
    case SIGFPE:  SAY(fd, "pgdeck: fatal signal SIGFPE (arithmetic exception)"); break;
    case SIGABRT: SAY(fd, "pgdeck: fatal signal SIGABRT (aborted)"); break;
    case SIGILL:  SAY(fd, "pgdeck: fatal signal SIGILL (illegal instruction)"); break;
    default:      SAY(fd, "pgdeck: fatal signal"); break;
    }
    SAY(fd, "; the terminal was restored\n");
}

static void crash_handler(int sig)
{
    int saved_errno = errno;
    if (tty_fd >= 0) {
        /* Blocking again first, as the shell left it, so the writes below
         * are not refused with EAGAIN. */
        if (tty_flags >= 0)
            fcntl(tty_fd, F_SETFL, tty_flags);
        /* CAN ends an escape sequence curses may have been cut off in the
         * middle of; then the prepared bytes, then the mode (echo, line
         * editing, CR-LF output). */
        const int which = restore_current;
        SAY(tty_fd, "\030");
        write_all(tty_fd, restore[which].bytes, restore[which].len);
        if (tty_mode_known)
            tcsetattr(tty_fd, TCSANOW, &tty_mode);
    }
    /* What was written to stderr while curses owned the screen goes where
     * a normal exit prints it: on the real stderr, now the screen is back. */
    if (real_stderr >= 0) {
        if (captured_fd >= 0 && lseek(captured_fd, 0, SEEK_SET) == 0) {
            char buf[4096];
            ssize_t n;
            while ((n = read(captured_fd, buf, sizeof buf)) > 0)
                write_all(real_stderr, buf, (size_t)n);
        }
        dup2(real_stderr, STDERR_FILENO);
    }
    say_signal(STDERR_FILENO, sig);
    /* SA_RESETHAND made the action the default one again, and SA_NODEFER
     * leaves the signal unblocked: this ends the process, by the signal. */
    signal(sig, SIG_DFL);
    errno = saved_errno;
    raise(sig);
}

/* ---- beforehand ---------------------------------------------------------- */

static char *collect_into;
static size_t collect_len;

static int collect(int c)
{
    if (collect_len < RESTORE_MAX)
        collect_into[collect_len++] = (char)c;
    return c;
}

/* Append a capability, its padding expanded by tputs, if the terminal has
 * it. */
static void put_cap(const char *name)
{
    const char *s = tigetstr(name);
    if (s && s != (const char *)-1)
        tputs(s, 1, collect);
}

static void put_bytes(const char *s)
{
    while (*s)
        collect(*s++);
}

/* Mouse reporting off, as ncurses turns it on: with the terminal's XM
 * string when it has one, else xterm's modes (SGR ones when the terminal
 * reports the mouse that way). */
static void put_mouse_off(void)
{
    const char *xm = tigetstr("XM");
    if (xm && xm != (const char *)-1) {
        tputs(tiparm(xm, 0), 1, collect);
        return;
    }
    const char *kmous = tigetstr("kmous");
    if (!kmous || kmous == (const char *)-1 || !*kmous)
        return;
    put_bytes(strstr(kmous, "[<") ? "\033[?1006;1000l" : "\033[?1000l");
}

void crash_guard_prepare(bool mouse)
{
    int next = !restore_current;
    collect_into = restore[next].bytes;
    collect_len = 0;
    put_cap("sgr0");
    put_cap("op");
    if (can_change_color())
        put_cap("oc");
    put_cap("cnorm");
    put_cap("rmkx");
    if (mouse)
        put_mouse_off();
    put_cap("rmcup");
    restore[next].len = collect_len;
    restore_current = next;
}

void crash_guard_start(int fd, int real, int captured)
{
    tty_fd = fd;
    tty_mode_known = tcgetattr(fd, &tty_mode) == 0;
    tty_flags = fcntl(fd, F_GETFL);
    real_stderr = real;
    captured_fd = real >= 0 ? captured : -1;
    restore[0].len = restore[1].len = 0;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = crash_handler;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESETHAND | SA_NODEFER;
    for (size_t i = 0; i < NFATAL; i++)
        sigaction(fatal_signals[i], &sa, &previous[i]);
    installed = true;
}

void crash_guard_stop(void)
{
    if (installed)
        for (size_t i = 0; i < NFATAL; i++)
            sigaction(fatal_signals[i], &previous[i], NULL);
    installed = false;
    tty_fd = real_stderr = captured_fd = -1;
}
