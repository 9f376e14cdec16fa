#ifndef PGDECK_STATEFILE_H
#define PGDECK_STATEFILE_H

#include <stddef.h>

/* Files pgdeck keeps between runs (the action journal, the size history)
 * live under $XDG_STATE_HOME/pgdeck/, or ~/.local/state/pgdeck/ when it is
 * unset or not absolute. */

/* The path of `name` below that directory (caller frees), or NULL with a
 * message in err when there is no home directory to put it in. */
char *statefile_path(const char *name, char *err, size_t errlen);
/* mkdir -p of the directory part of path; new directories are 0700.
 * Returns 0, or -1 with "cannot create DIR: reason" in err. */
int   statefile_make_parents(const char *path, char *err, size_t errlen);

#endif
