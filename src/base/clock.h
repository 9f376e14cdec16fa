#ifndef PGDECK_CLOCK_H
#define PGDECK_CLOCK_H

#include <stddef.h>

/* The clocks, and how times are written.  Seconds as doubles throughout:
 * the collectors' cadences, ages and timeouts are fractions of seconds. */

/* Monotonic clock in seconds (for intervals and deadlines: it never jumps
 * when the wall clock is set), and wall clock in seconds since the epoch
 * (for what is shown or written down). */
double now_monotonic(void);
double now_wall(void);
/* The CPU time the calling thread has run, in seconds: what a piece of
 * work cost, where the monotonic clock would add the time the thread
 * waited for a CPU. */
double now_thread_cpu(void);
/* A wall-clock time as "2026-11-29T01:15:43.123Z" (UTC, milliseconds), in
 * buf, which it returns. */
const char *iso_time_utc(double wall, char *buf, size_t len);
/* A wall-clock time as the console's title clock shows it: "14:03:27",
 * local time ("--:--:--" when it cannot be shown), in buf, which it
 * returns. */
const char *clock_time_local(double wall, char *buf, size_t len);

#endif
