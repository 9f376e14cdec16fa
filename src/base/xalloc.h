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

/* Give the whole pages inside buf[0, len) back to the system (they read
 * as zeros afterwards, and take memory again only when written): for a
 * large buffer, allocated by malloc, whose start the caller has read and
 * will never read again, so that what it is copied into is not held
 * beside all of it (a peak is what VmHWM counts).  The first 64 bytes are
 * left alone (malloc's own use of a block it frees). */
void xalloc_release_pages(void *buf, size_t len);
/* Give the free pages inside malloc's heap back to the system (glibc's
 * malloc_trim; nothing with another C library). */
void xalloc_trim(void);

#endif
