#ifndef PGDECK_XALLOC_H
#define PGDECK_XALLOC_H

#include <stdarg.h>
#include <stddef.h>

/* Allocation that never returns NULL: out of memory aborts here, in one
 * place, with a message.  The caller owns what these return. */
void *xmalloc(size_t size);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *ptr, size_t size);
char *xstrdup(const char *s);           /* NULL in, NULL out */
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The same from a va_list (which it leaves used, as vsnprintf does). */
char *xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

#endif
