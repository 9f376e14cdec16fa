#ifndef PGDECK_CONNINFO_H
#define PGDECK_CONNINFO_H

#include <stddef.h>

/* A libpq connection description as keyword/value pairs, built from a
 * conninfo string ("host=x port=5432") or a URI (postgresql://u:p@h/db),
 * with options layered on top (-h -p -U -d, application_name, ...).
 * pgdeck never pastes strings together to make a conninfo: it hands the
 * pairs to PQconnectStartParams. */
struct conninfo {
    int    count;
    char **keywords;    /* owned */
    char **values;      /* owned */
};

/* Parse `text` (NULL or "" gives an empty set: libpq defaults and PG*
 * variables apply).  Returns 0, or -1 with a message in err that names what
 * is wrong and never contains a password. */
int         conninfo_parse(struct conninfo *ci, const char *text, char *err, size_t errlen);
/* Set (replace or add) a keyword; a NULL value removes it. */
void        conninfo_set(struct conninfo *ci, const char *keyword, const char *value);
const char *conninfo_get(const struct conninfo *ci, const char *keyword);
void        conninfo_copy(struct conninfo *dst, const struct conninfo *src);
void        conninfo_free(struct conninfo *ci);
/* NULL-terminated arrays for PQconnectStartParams; they point into ci. */
void        conninfo_arrays(const struct conninfo *ci, const char ***keywords, const char ***values);
/* A one-line description safe to show or log: "host=h port=p user=u
 * dbname=d", with any password shown as "********".  Caller frees. */
char       *conninfo_display(const struct conninfo *ci);
/* Mask the password in an arbitrary conninfo string or URI (for messages
 * that quote what the user typed).  Caller frees. */
char       *conninfo_mask(const char *text);

/* redis://[[user]:password@]host[:port][/db] or unix:///path/to/sock[?db=N].
 * Returns 0, or -1 with a message in err (never containing the password). */
struct redis_target {
    char *host;         /* NULL for a unix socket */
    int   port;         /* default 6379 */
    char *socket_path;  /* NULL for TCP */
    char *password;     /* NULL when none */
    int   db;           /* default 0 */
};
int   redis_target_parse(struct redis_target *t, const char *url, char *err, size_t errlen);
void  redis_target_free(struct redis_target *t);
/* "127.0.0.1:6379/0" or "/path/sock/0", no password.  Caller frees. */
char *redis_target_display(const struct redis_target *t);

#endif
