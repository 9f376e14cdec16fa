#ifndef PGDECK_QUANTITY_H
#define PGDECK_QUANTITY_H

#include <stddef.h>

/* How pgdeck writes a quantity, in the console's panes and details, in
 * --once's text, in check's findings and in the alerts: one function per
 * kind, so a duration reads the same wherever it is shown.
 *
 *   duration     850ms  1.3s  59.9s  4m02s  2h10m  3d04h
 *   size         512 B  9.8 kB  1.2 MB  10 MB  1023 MB  1.0 GB
 *   byte rate    1.2 MB/s
 *   rate         0.5 queries/s  12 queries/s  1,234 queries/s
 *   percentage   97.3%  (never 100.0% short of 100, never 0.0% above 0)
 *   count        1,234,567
 *
 * A value is rounded to what is shown first, and the unit chosen from the
 * rounded value, so 59.96 s is 1m00s (not 60.0s), 119.5 s is 2m00s (never
 * 1m60s) and 1023.96 kB is 1.0 MB.  Sizes count in 1024s (as pg_size_pretty
 * and PostgreSQL's settings do).  NaN and infinities are "-".  Each writes
 * into buf (QUANTITY_LEN is always enough) and returns buf. */

#define QUANTITY_LEN 32

char *quantity_duration(char *buf, size_t len, double seconds);
char *quantity_duration_ms(char *buf, size_t len, double milliseconds);
char *quantity_bytes(char *buf, size_t len, double bytes);
char *quantity_byte_rate(char *buf, size_t len, double bytes_per_second);
/* `what` names what is counted: "queries" gives "1.3 queries/s"; NULL
 * gives "1.3/s". */
char *quantity_rate(char *buf, size_t len, double per_second, const char *what);
char *quantity_percent(char *buf, size_t len, double percent);
/* The forms of a table refreshed every second, where a digit that flips
 * at every refresh without telling anything rewrites the cell (issue 14:
 * terminal bytes).  A duration under a second in tenths ("0.3s", "0.0s"
 * for a query of a few ms, "-0.1s" for a clock a little behind the
 * server's), from a second as quantity_duration; a share of a CPU in
 * whole percent ("9%", "<1%" for some but less than half a percent). */
char *quantity_age(char *buf, size_t len, double seconds);
char *quantity_percent_whole(char *buf, size_t len, double percent);
/* v with `decimals` (0 to 9) digits after the point, exactly as printf's
 * "%.*f" writes it, without printf's cost (about 2,000 instructions a
 * number: the host job writes thousands of them a minute).  Values
 * printf must decide (a tie, a magnitude past 1e9, NaN, infinity) are
 * left to it. */
char *quantity_fixed(char *buf, size_t len, double v, int decimals);
char *quantity_count(char *buf, size_t len, double n);

#endif
