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

/* strtod for the numbers pgdeck reads from the server and draws (a cell,
 * a figure): the same value and the same *end as strtod (in the C
 * numeric locale pgdeck runs in), for any text.  A plain decimal ("42",
 * "-0.25", "1234.5": up to 15 significant digits and 22 after the
 * point, no exponent) is read here exactly (the integer of its digits
 * divided by a power of ten, both exact in a double: one correctly
 * rounded division); anything else (an exponent, "inf", a hex float,
 * blanks before it, more digits) goes to strtod.  strtod was a tenth of
 * a steady console's instructions: its general path costs ~500
 * instructions a number (issue 14, callgrind). */
double numparse_prefix(const char *text, char **end);

#endif
