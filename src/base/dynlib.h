#ifndef PGDECK_DYNLIB_H
#define PGDECK_DYNLIB_H

#include <stdbool.h>
#include <stddef.h>

/* A library loaded with dlopen(3) at its first use, not linked: a linked
 * library is mapped, relocated and resident for the whole run, and most
 * runs never call libpg_query (base/sql.c) or hiredis (net/redisconn.c)
 * (issue 14, aim 3).  The build names each by the soname of the one it
 * was compiled against. */
struct dynlib {
    const char *soname;     /* what dlopen loads */
    const char *what;       /* what it is, for the message: "hiredis" */
    bool tried, loaded;
    char error[200];
};

/* One function to look up, and where its pointer goes. */
struct dynlib_symbol {
    const char *name;
    void *fn;               /* a pointer to the function pointer */
    size_t size;            /* sizeof that function pointer */
};
#define DYNLIB_SYMBOL(name, var) { (name), &(var), sizeof(var) }

/* Load `lib` and its `n` symbols at the first call.  0, or -1 with why in
 * err ("cannot load hiredis (libhiredis.so.0.14): ..."); every later call
 * gives the same answer without trying again. */
int dynlib_load(struct dynlib *lib, const struct dynlib_symbol *syms, size_t n, char *err, size_t errlen);

#endif
