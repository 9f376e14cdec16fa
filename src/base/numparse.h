#ifndef PGDECK_NUMPARSE_H
#define PGDECK_NUMPARSE_H

/* Numbers a person typed: on the command line, in an environment variable,
 * in the config file, after ':' in the console.  One parser for all of
 * them, so that each refuses the same things: an empty text, trailing
 * garbage ("5abc"), "inf", "nan", hex ("0x10"), and a value out of the
 * type's range.  Blanks before and after are allowed.  Range checks
 * against a setting's own limits are the caller's.
 *
 * Each returns 0 with the value in *out, or -1 (and leaves *out alone). */

/* A finite decimal number: "2", "0.5", ".5", "-3", "1e3". */
int numparse_double(const char *text, double *out);
/* A whole decimal number that fits in a long: "42", "+7", "-1". */
int numparse_long(const char *text, long *out);

#endif
