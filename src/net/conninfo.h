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
/* The same, one "key=value" at a time (the title bar drops some of them
 * when it is short of room): *n strings, each and the array the
 * caller's. */
char      **conninfo_display_pairs(const struct conninfo *ci, int *n);
/* Mask the password in an arbitrary conninfo string or URI (for messages
 * that quote what the user typed).  Caller frees. */
char       *conninfo_mask(const char *text);

/* Host names looked up before libpq connects (libpq would call getaddrinfo
 * on the loop's thread).  The host list is the conninfo's `host`, else
 * PGHOST, split on commas as libpq splits it; an empty entry (the default
 * socket directory), a socket path and a numeric address need no lookup.
 * Nothing is looked up when the caller gave hostaddr (or PGHOSTADDR), when
 * a service file is in play (it may set host, hostaddr or port itself), or
 * when the port list does not match the hosts (libpq says so itself).
 * Returns how many distinct names to look up (0: use ci as it is) and sets
 * *names, to be freed with conninfo_names_free. */
int   conninfo_host_names(const struct conninfo *ci, char ***names);
void  conninfo_names_free(char **names, int n);
/* `out` becomes a copy of `ci` whose host list has one entry per address
 * (a name with three addresses becomes three entries, in the resolver's
 * order, which is the order libpq tries them), with hostaddr beside each
 * and the port list spread to match.  `host` keeps the names, for TLS,
 * GSSAPI and .pgpass.  A name that found no address is left out.  Returns
 * the number of host entries; 0 when none is left (out is then empty). */
struct resolve_answer;
int   conninfo_with_addresses(struct conninfo *out, const struct conninfo *ci,
                              const struct resolve_answer *answers, int n);

/* redis://[[user]:password@]host[:port][/db] or unix:///path/to/sock[?db=N].
 * The one parser of Redis URLs (--redis, REDIS_URL, [connection] redis,
 * the agent's --publish and the fleet's --from).  A user names a Redis 6+
 * ACL user (AUTH user password); without one the password is the
 * default user's (AUTH password).  User and password are %-decoded.
 * Returns 0, or -1 with a message in err (never containing the password). */
struct redis_target {
    char *host;         /* NULL for a unix socket */
    int   port;         /* default 6379 */
    char *socket_path;  /* NULL for TCP */
    char *user;         /* ACL user, NULL when none */
    char *password;     /* NULL when none */
    int   db;           /* default 0 */
};
int   redis_target_parse(struct redis_target *t, const char *url, char *err, size_t errlen);
void  redis_target_free(struct redis_target *t);
/* "127.0.0.1:6379/0" or "/path/sock/0", no password.  Caller frees. */
char *redis_target_display(const struct redis_target *t);

#endif
