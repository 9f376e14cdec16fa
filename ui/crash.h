#ifndef PGDECK_CRASH_H
#define PGDECK_CRASH_H

#include <stdbool.h>

/* The terminal after a fatal signal (SIGSEGV, SIGBUS, SIGFPE, SIGABRT,
 * SIGILL).  The handler of such a signal may run in the middle of curses,
 * stdio or malloc, so it may call only async-signal-safe functions: not
 * endwin, not printf.  Everything it needs is therefore prepared while
 * nothing is wrong, and the handler itself only write(2)s bytes, sets the
 * terminal's mode back with tcsetattr, says what happened on stderr, and
 * re-raises the signal with its default action, so the exit status (and a
 * core dump) is the signal's. */

/* Install the handlers.  tty_fd is the terminal curses draws on; its mode
 * and file status flags are remembered now, before curses (and libuv's
 * O_NONBLOCK) change them.  While curses owns the screen stderr goes to a
 * file: real_stderr is a descriptor of the real one and captured_fd that
 * file's (-1 and -1 when stderr is not captured). */
void crash_guard_start(int tty_fd, int real_stderr, int captured_fd);
/* Compute the bytes that put the terminal back (from terminfo: attributes
 * off, colours and cursor back, keypad and mouse reporting off, leave the
 * alternate screen).  Call once curses has started, and again when the
 * theme or the terminal changes. */
void crash_guard_prepare(bool mouse);
/* The normal way out has begun (endwin is next): the actions installed
 * before crash_guard_start (the defaults, or a sanitizer's) are back. */
void crash_guard_stop(void);

#endif
