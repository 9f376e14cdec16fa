#ifndef PGDECK_ERRBUF_H
#define PGDECK_ERRBUF_H

#include <stddef.h>

/* pgdeck's error convention: a function that can fail returns -1 (or
 * false) and writes what went wrong into the caller's buffer `err` of
 * `errlen` bytes.  errbuf_set formats into it, cut to fit; a NULL buffer
 * or a zero length is allowed and writes nothing. */
void errbuf_set(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
