#ifndef PGDECK_EMBEDDED_H
#define PGDECK_EMBEDDED_H

#include <stdbool.h>
#include <stddef.h>

/* Files compiled into the binary by src/base/embed.sh: the SQL in sql/ (named by
 * their path below sql/, "queries/activity.sql") and the themes (named
 * "default.theme").  The table ends with a zero row. */
struct embedded_file {
    const char *name;
    const char *text;   /* NUL-terminated */
    size_t      size;
};

extern const struct embedded_file embedded_files[];

/* The text of an embedded file, or NULL when there is none of that name. */
const char *embedded_find(const char *name);

/* Whether `text` is the very text of one of them (its address, not its
 * contents): such a text never changes and never moves. */
bool embedded_holds(const char *text);

#endif
