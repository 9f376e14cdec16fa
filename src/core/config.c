/* Configuration: command line, environment, INI file, defaults.
 *
 * Every setting that can come from more than one place is a row of one
 * table (INI section and key, environment variable, long option, kind and
 * range), so precedence and validation are written once.  Loading goes:
 *
 *   1. parse argv completely (getopt_long in order), checking each value as
 *      it comes, but only recording it: --config must be known before the
 *      file is read, and errors should be reported in the order typed;
 *   2. defaults, then the file, then the environment, then the recorded
 *      options are applied in turn, each overwriting the one before;
 *   3. the primary conninfo is parsed and -h -p -U -d are set on top, and
 *      the settings are checked against each other.
 *
 * Every message names where the bad value came from: "pgdeck: --interval",
 * "pgdeck: DB_POOL_MIN" or "/path/config:7: [display] interval".  Values
 * are quoted sanitized and cut short; connection strings are never quoted,
 * since they may hold a password. */

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "core/config.h"
#include "core/stream.h"
#include "net/conninfo.h"
#include "base/ident.h"
#include "base/ini.h"
#include "base/numparse.h"
#include "base/sanitize.h"
#include "base/utf8.h"
#include "base/xalloc.h"

/* ---- the settings table -------------------------------------------------- */

enum setting_kind {
    KIND_PRIMARY,       /* conninfo of the primary, parsed at the end */
    KIND_CONNINFO,      /* char *: a conninfo string or postgresql:// URI */
    KIND_REDIS,         /* char *: a redis:// or unix:// URL */
    KIND_INT,           /* int within [min, max] */
    KIND_NUMBER,        /* double within [min, max] */
    KIND_POSITIVE,      /* double > 0 */
    KIND_MS,            /* double milliseconds within [1, INT_MAX] */
    KIND_BOOL,
    KIND_STRING,        /* non-empty char * */
    KIND_PATH,          /* char *: ~/ expanded, relative to the file's directory */
};

/* Long-only options get codes above any character. */
enum {
    OPT_REPLICA = 256, OPT_REDIS, OPT_PGBOUNCER, OPT_PLAN, OPT_THEME,
    OPT_CONFIG, OPT_ASCII, OPT_NO_COLOR, OPT_NO_MOUSE, OPT_ONCE, OPT_FORMAT,
    OPT_DRY_RUN, OPT_STATS, OPT_LOCK_TIMEOUT, OPT_HELP, OPT_VERSION,
    OPT_STALE, OPT_PREMAKE, OPT_RETENTION, OPT_DROP, OPT_ADVISE,
    OPT_PUBLISH, OPT_NAME, OPT_MAXLEN, OPT_FROM, OPT_ACCEPT_ACTIONS, OPT_METRICS_FILE,
};

struct setting {
    const char *section;
    const char *key;
    const char *env;            /* environment variable, or NULL */
    int         opt;            /* getopt code of the option, or 0 */
    enum setting_kind kind;
    const char *option;         /* its name for messages */
    const char *flag_value;     /* the value a flag option stands for */
    double      min, max;       /* KIND_INT, KIND_NUMBER */
    size_t      offset;         /* of the field in struct config */
};

#define FIELD(name) offsetof(struct config, name)

static const struct setting settings[] = {
    { "connection", "primary", "DATABASE_URL", 0, KIND_PRIMARY, NULL, NULL, 0, 0, 0 },
    { "connection", "replica", "DATABASE_READ_REPLICA_URL", OPT_REPLICA, KIND_CONNINFO,
      "--replica", NULL, 0, 0, FIELD(replica) },
    { "connection", "redis", "REDIS_URL", OPT_REDIS, KIND_REDIS,
      "--redis", NULL, 0, 0, FIELD(redis) },
    { "connection", "pgbouncer", "PGBOUNCER_URL", OPT_PGBOUNCER, KIND_CONNINFO,
      "--pgbouncer", NULL, 0, 0, FIELD(pgbouncer) },

    { "pool", "min", "DB_POOL_MIN", 0, KIND_INT, NULL, NULL, 0, 1000, FIELD(pool_min) },
    { "pool", "max", "DB_POOL_MAX", 0, KIND_INT, NULL, NULL, 1, 1000, FIELD(pool_max) },
    { "pool", "idle_timeout", "DB_IDLE_TIMEOUT", 0, KIND_MS,
      NULL, NULL, 0, 0, FIELD(idle_timeout_ms) },
    { "pool", "connection_timeout", "DB_CONNECTION_TIMEOUT", 0, KIND_MS,
      NULL, NULL, 0, 0, FIELD(connect_timeout_ms) },
    { "pool", "statement_timeout", "DB_STATEMENT_TIMEOUT", 0, KIND_MS,
      NULL, NULL, 0, 0, FIELD(statement_timeout_ms) },
    { "pool", "query_timeout", "DB_QUERY_TIMEOUT", 0, KIND_MS,
      NULL, NULL, 0, 0, FIELD(query_timeout_ms) },

    { "display", "interval", NULL, 'i', KIND_NUMBER, "--interval", NULL, 0.2, 60, FIELD(interval) },
    { "display", "catalog_interval", "PGDECK_CATALOG_INTERVAL", 0, KIND_NUMBER, NULL, NULL, 1, 3600,
      FIELD(catalog_interval) },
    { "display", "theme", NULL, OPT_THEME, KIND_STRING, "--theme", NULL, 0, 0, FIELD(theme) },
    { "display", "ascii", NULL, OPT_ASCII, KIND_BOOL, "--ascii", "yes", 0, 0, FIELD(ascii) },
    { "display", "no_color", NULL, OPT_NO_COLOR, KIND_BOOL,
      "--no-color", "yes", 0, 0, FIELD(no_color) },
    { "display", "mouse", NULL, OPT_NO_MOUSE, KIND_BOOL, "--no-mouse", "no", 0, 0, FIELD(mouse) },

    { "alerts", "slow_query_ms", NULL, 0, KIND_POSITIVE,
      NULL, NULL, 0, 0, FIELD(alerts.slow_query_ms) },
    { "alerts", "pool_percent", NULL, 0, KIND_NUMBER,
      NULL, NULL, 0, 100, FIELD(alerts.pool_percent) },
    { "alerts", "cache_hit_percent", NULL, 0, KIND_NUMBER,
      NULL, NULL, 0, 100, FIELD(alerts.cache_hit_percent) },
    { "alerts", "view_age_hours", NULL, 0, KIND_POSITIVE,
      NULL, NULL, 0, 0, FIELD(alerts.view_age_hours) },
    { "alerts", "replica_lag_seconds", NULL, 0, KIND_POSITIVE,
      NULL, NULL, 0, 0, FIELD(alerts.replica_lag_seconds) },
    { "alerts", "replica_lag_bytes", NULL, 0, KIND_POSITIVE,
      NULL, NULL, 0, 0, FIELD(alerts.replica_lag_bytes) },
    { "alerts", "partition_ahead_months", NULL, 0, KIND_NUMBER,
      NULL, NULL, 0, 120, FIELD(alerts.partition_ahead_months) },
    { "alerts", "disk_full_days", NULL, 0, KIND_POSITIVE,
      NULL, NULL, 0, 0, FIELD(alerts.disk_full_days) },
    { "alerts", "lock_wait_seconds", NULL, 0, KIND_POSITIVE,
      NULL, NULL, 0, 0, FIELD(alerts.lock_wait_seconds) },

    { "actions", "lock_timeout", NULL, OPT_LOCK_TIMEOUT, KIND_MS,
      "--lock-timeout", NULL, 0, 0, FIELD(lock_timeout_ms) },
    { "actions", "premake", NULL, OPT_PREMAKE, KIND_INT,
      "--premake", NULL, 0, 120, FIELD(premake) },
    { "actions", "plan", NULL, OPT_PLAN, KIND_PATH, "--plan", NULL, 0, 0, FIELD(plan_file) },
    { "actions", "journal", NULL, 0, KIND_PATH, NULL, NULL, 0, 0, FIELD(journal_file) },
    /* run indexes --advise may install hypopg (a superuser) when told so. */
    { "actions", "create_hypopg", NULL, 0, KIND_BOOL, NULL, NULL, 0, 0, FIELD(create_hypopg) },

    /* The agent (front/agent.c).  The publish URL may hold a password:
     * the file or PGDECK_PUBLISH_URL keep it off the command line. */
    { "agent", "publish", "PGDECK_PUBLISH_URL", OPT_PUBLISH, KIND_REDIS,
      "--publish", NULL, 0, 0, FIELD(publish) },
    { "agent", "maxlen", NULL, OPT_MAXLEN, KIND_INT, "--maxlen", NULL, 1, 1000000, FIELD(stream_maxlen) },
    { "agent", "accept_actions", NULL, OPT_ACCEPT_ACTIONS, KIND_BOOL, "--accept-actions", "yes", 0, 0,
      FIELD(accept_actions) },
    { "agent", "metrics_file", NULL, OPT_METRICS_FILE, KIND_PATH, "--metrics-file", NULL, 0, 0,
      FIELD(metrics_file) },
};

#define SETTING_COUNT (sizeof settings / sizeof settings[0])

static const char *const sections[] = {
    "connection", "pool", "display", "alerts", "actions", "retention", "agent",
};

static const struct option long_options[] = {
    { "host",         required_argument, NULL, 'h' },
    { "port",         required_argument, NULL, 'p' },
    { "username",     required_argument, NULL, 'U' },
    { "dbname",       required_argument, NULL, 'd' },
    { "replica",      required_argument, NULL, OPT_REPLICA },
    { "redis",        required_argument, NULL, OPT_REDIS },
    { "pgbouncer",    required_argument, NULL, OPT_PGBOUNCER },
    { "read-only",    no_argument,       NULL, 'R' },
    { "plan",         required_argument, NULL, OPT_PLAN },
    { "interval",     required_argument, NULL, 'i' },
    { "theme",        required_argument, NULL, OPT_THEME },
    { "config",       required_argument, NULL, OPT_CONFIG },
    { "ascii",        no_argument,       NULL, OPT_ASCII },
    { "no-color",     no_argument,       NULL, OPT_NO_COLOR },
    { "no-mouse",     no_argument,       NULL, OPT_NO_MOUSE },
    { "once",         no_argument,       NULL, OPT_ONCE },
    { "format",       required_argument, NULL, OPT_FORMAT },
    { "dry-run",      no_argument,       NULL, OPT_DRY_RUN },
    { "stats",        required_argument, NULL, OPT_STATS },
    { "lock-timeout", required_argument, NULL, OPT_LOCK_TIMEOUT },
    { "help",         no_argument,       NULL, OPT_HELP },
    { "version",      no_argument,       NULL, OPT_VERSION },
    { "stale",        no_argument,       NULL, OPT_STALE },
    { "premake",      required_argument, NULL, OPT_PREMAKE },
    { "retention",    required_argument, NULL, OPT_RETENTION },
    { "drop",         no_argument,       NULL, OPT_DROP },
    { "advise",       no_argument,       NULL, OPT_ADVISE },
    { "publish",      required_argument, NULL, OPT_PUBLISH },
    { "name",         required_argument, NULL, OPT_NAME },
    { "maxlen",       required_argument, NULL, OPT_MAXLEN },
    { "from",         required_argument, NULL, OPT_FROM },
    { "accept-actions", no_argument,     NULL, OPT_ACCEPT_ACTIONS },
    { "metrics-file", required_argument, NULL, OPT_METRICS_FILE },
    { NULL, 0, NULL, 0 },
};

/* '-': hand back positional words in order (code 1) instead of permuting
 * them, whatever POSIXLY_CORRECT says, so that "run partitions --premake 2
 * foo" reads as typed.  ':': report a missing argument as ':'. */
static const char short_options[] = "-:h:p:U:d:Ri:";

static const char usage_text[] =
    "Usage: pgdeck [OPTIONS] [CONNINFO | postgresql://URI]\n"
    "  -h HOST  -p PORT  -U USER  -d DBNAME     as psql; libpq env and .pgpass apply\n"
    "  --replica CONNINFO        default $DATABASE_READ_REPLICA_URL\n"
    "  --redis URL               default $REDIS_URL       (redis://host:port/db)\n"
    "  --pgbouncer CONNINFO      default $PGBOUNCER_URL   (its admin database)\n"
    "  -R, --read-only           viewer mode\n"
    "  --plan FILE               index plan (default: the kit's index script, installed with pgdeck)\n"
    "  -i, --interval SECONDS    refresh interval, default 1 (0.2 .. 60)\n"
    "  --theme NAME|FILE  --config FILE  --ascii  --no-color (NO_COLOR too)\n"
    "  --once [--format text|json|openmetrics] one snapshot, then exit\n"
    "  check                                   alerts, exit 0 OK 1 WARN 2 CRIT 3 UNKNOWN\n"
    "  run refresh  [--stale | VIEW...] [--dry-run]\n"
    "  run partitions [TABLE...] [--premake N] [--retention INTERVAL] [--drop] [--dry-run]\n"
    "  run indexes  [--plan FILE | --advise] [--dry-run]\n"
    "  run track-views | untrack-views [--dry-run]   time every REFRESH (superuser)\n"
    "  agent --publish REDIS_URL --name NAME [--maxlen N]  collect, publish to Redis\n"
    "        [--accept-actions] [--metrics-file PATH]\n"
    "  --from REDIS_URL [--name NAME]          viewer of an agent, or the fleet; no database\n"
    "  check --from REDIS_URL [--name NAME]    the fleet of agents (as check)\n"
    "  --help  --version\n"
    "\n"
    "Also:\n"
    "  --no-mouse                leave the mouse to the terminal\n"
    "  --lock-timeout MS         lock_timeout of maintenance DDL, default 3000\n"
    "  --stats FILE              write timings, for benchmarks\n"
    "\n"
    "Environment: DATABASE_URL (the primary when no CONNINFO is given),\n"
    "  DATABASE_READ_REPLICA_URL, REDIS_URL, PGBOUNCER_URL, DB_POOL_MIN, DB_POOL_MAX,\n"
    "  DB_IDLE_TIMEOUT, DB_CONNECTION_TIMEOUT, DB_STATEMENT_TIMEOUT, DB_QUERY_TIMEOUT\n"
    "  (milliseconds), NO_COLOR, PGDECK_PUBLISH_URL (the agent's --publish),\n"
    "  and every PG* variable libpq reads.\n"
    "Configuration file: $XDG_CONFIG_HOME/pgdeck/config (~/.config/pgdeck/config),\n"
    "  sections [connection] [pool] [display] [alerts] [actions] [retention] [agent].\n"
    "Options win over the environment, the environment over the file.\n";

const char *config_usage(void)
{
    return usage_text;
}

/* ---- the loader ---------------------------------------------------------- */

struct loader {
    struct config *cfg;
    char   **envp;
    char    *err;
    size_t   errlen;

    /* what the command line said, applied last */
    const char *option_value[SETTING_COUNT];
    const char *positional_conninfo;
    const char *host, *port, *user, *dbname;
    const char *config_path;        /* --config */
    const char *retention;          /* --retention */
    const char **targets;
    int          target_count;
    const char  *name;              /* --name */
    const char  *from;              /* --from */
    bool once, stale, drop, advise, format_given;

    /* the primary, whichever source won so far */
    char *primary_text;
    char *primary_origin;
    char *pool_min_origin, *pool_max_origin;

    /* the INI file being read */
    char       *path_shown;         /* sanitized, for messages */
    char       *path_dir;           /* for relative paths in the file */
    int         lineno;             /* of the line being read */
    bool        failed;
};

static void fail(struct loader *ld, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void fail(struct loader *ld, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (ld->err && ld->errlen > 0)
        vsnprintf(ld->err, ld->errlen, fmt, ap);
    va_end(ap);
}

/* A value quoted in a message: made harmless and cut to 40 columns. */
static char *quoted(const char *value)
{
    char *clean = sanitize(value, SANITIZE_FOLD);
    if (sanitize_width(clean) <= 40)
        return clean;
    size_t keep = sanitize_fit(clean, 37);
    char *cut = xasprintf("%.*s...", (int)keep, clean);
    free(clean);
    return cut;
}

static const char *env_get(char **envp, const char *name)
{
    size_t n = strlen(name);
    for (char **e = envp; e && *e; e++)
        if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
            return *e + n + 1;
    return NULL;
}

/* Set and not empty: an empty variable means "not configured". */
static const char *env_value(char **envp, const char *name)
{
    const char *v = env_get(envp, name);
    return v && *v ? v : NULL;
}

/* ---- value parsing -------------------------------------------------------- */

/* Numbers: numparse.c, shared with the console's ':' commands. */
static bool parse_double(const char *s, double *out)
{
    return numparse_double(s, out) == 0;
}

static bool parse_long(const char *s, long *out)
{
    return numparse_long(s, out) == 0;
}

static bool parse_bool(const char *s, bool *out)
{
    static const char *const yes[] = { "yes", "true", "on", "1" };
    static const char *const no[] = { "no", "false", "off", "0" };
    for (size_t i = 0; i < 4; i++) {
        if (strcasecmp(s, yes[i]) == 0) {
            *out = true;
            return true;
        }
        if (strcasecmp(s, no[i]) == 0) {
            *out = false;
            return true;
        }
    }
    return false;
}

/* A PostgreSQL interval as people write them in a config: "12 months",
 * "1 year 6 mons", "P1Y", "90 days".  The server has the last word; this
 * only catches what cannot be one. */
static bool looks_like_interval(const char *s)
{
    bool digit = false;
    if (!*s || strlen(s) > 100)
        return false;
    for (const char *p = s; *p; p++) {
        if (isdigit((unsigned char)*p))
            digit = true;
        else if (!isalpha((unsigned char)*p) && !strchr(" .:+-@", *p))
            return false;
    }
    return digit;
}

static char *expand_path(struct loader *ld, const char *value, bool from_file)
{
    const char *home = env_value(ld->envp, "HOME");

    if (value[0] == '~' && value[1] == '/' && home)
        return xasprintf("%s%s", home, value + 1);
    if (from_file && value[0] != '/' && ld->path_dir)
        return xasprintf("%s/%s", ld->path_dir, value);
    return xstrdup(value);
}

static void store_string(char **field, char *value)
{
    free(*field);
    *field = value;
}

/* Check `value` for setting `s` and, when `store` is set, write it into the
 * config.  `where` names the source for messages ("pgdeck: --interval"). */
static int apply_setting(struct loader *ld, const struct setting *s, const char *value,
                         const char *where, bool from_file, bool store)
{
    struct config *cfg = ld->cfg;
    void *field = (char *)cfg + s->offset;
    char msg[512];
    long l;
    double d;
    bool b;

    switch (s->kind) {
    case KIND_PRIMARY:
    case KIND_CONNINFO: {
        struct conninfo ci;
        if (*value && conninfo_parse(&ci, value, msg, sizeof msg) < 0) {
            fail(ld, "%s: %s", where, msg);
            return -1;
        }
        if (*value)
            conninfo_free(&ci);
        if (!store)
            return 0;
        if (s->kind == KIND_PRIMARY) {
            store_string(&ld->primary_text, xstrdup(value));
            store_string(&ld->primary_origin, xstrdup(where));
        } else {
            store_string(field, *value ? xstrdup(value) : NULL);
        }
        return 0;
    }
    case KIND_REDIS: {
        struct redis_target t;
        if (*value) {
            if (redis_target_parse(&t, value, msg, sizeof msg) < 0) {
                fail(ld, "%s: %s", where, msg);
                return -1;
            }
            redis_target_free(&t);
        }
        if (store)
            store_string(field, *value ? xstrdup(value) : NULL);
        return 0;
    }
    case KIND_INT:
        if (!parse_long(value, &l) || (double)l < s->min || (double)l > s->max) {
            char *q = quoted(value);
            fail(ld, "%s: '%s' is not a whole number between %g and %g", where, q, s->min, s->max);
            free(q);
            return -1;
        }
        if (store)
            *(int *)field = (int)l;
        if (store && s->offset == FIELD(pool_min))
            store_string(&ld->pool_min_origin, xstrdup(where));
        if (store && s->offset == FIELD(pool_max))
            store_string(&ld->pool_max_origin, xstrdup(where));
        return 0;
    case KIND_NUMBER:
        if (!parse_double(value, &d) || d < s->min || d > s->max) {
            char *q = quoted(value);
            fail(ld, "%s: '%s' is not a number between %g and %g", where, q, s->min, s->max);
            free(q);
            return -1;
        }
        if (store)
            *(double *)field = d;
        return 0;
    case KIND_POSITIVE:
        if (!parse_double(value, &d) || !(d > 0)) {
            char *q = quoted(value);
            fail(ld, "%s: '%s' is not a number greater than 0", where, q);
            free(q);
            return -1;
        }
        if (store)
            *(double *)field = d;
        return 0;
    case KIND_MS:
        if (!parse_double(value, &d) || d < 1 || d > INT_MAX) {
            char *q = quoted(value);
            fail(ld, "%s: '%s' is not a number of milliseconds between 1 and %d", where, q, INT_MAX);
            free(q);
            return -1;
        }
        if (store)
            *(double *)field = d;
        return 0;
    case KIND_BOOL:
        if (!parse_bool(value, &b)) {
            char *q = quoted(value);
            fail(ld, "%s: '%s' is not yes/no, true/false, on/off or 1/0", where, q);
            free(q);
            return -1;
        }
        if (store)
            *(bool *)field = b;
        return 0;
    case KIND_STRING:
    case KIND_PATH:
        if (!*value) {
            fail(ld, "%s: empty value", where);
            return -1;
        }
        if (store)
            store_string(field, s->kind == KIND_PATH ? expand_path(ld, value, from_file)
                                                     : xstrdup(value));
        return 0;
    }
    return 0;
}

static const struct setting *setting_for_option(int opt)
{
    for (size_t i = 0; i < SETTING_COUNT; i++)
        if (settings[i].opt == opt)
            return &settings[i];
    return NULL;
}

/* ---- defaults --------------------------------------------------------------- */

static void set_defaults(struct config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->command = COMMAND_CONSOLE;
    cfg->pool_min = 2;
    cfg->pool_max = 4;
    cfg->idle_timeout_ms = 30000;
    cfg->connect_timeout_ms = 5000;
    cfg->statement_timeout_ms = 5000;
    cfg->query_timeout_ms = 10000;
    cfg->interval = 1;
    cfg->catalog_interval = CONFIG_CATALOG_INTERVAL;
    cfg->theme = xstrdup("default");
    cfg->mouse = true;
    cfg->lock_timeout_ms = 3000;
    cfg->premake = 3;
    cfg->alerts.slow_query_ms = 1000;
    cfg->alerts.pool_percent = 90;
    cfg->alerts.cache_hit_percent = 70;
    cfg->alerts.view_age_hours = 4;
    cfg->alerts.replica_lag_seconds = 30;
    cfg->alerts.replica_lag_bytes = 64.0 * 1024 * 1024;
    cfg->alerts.partition_ahead_months = 1;
    cfg->alerts.disk_full_days = 14;
    cfg->alerts.lock_wait_seconds = 5;
    cfg->format = FORMAT_TEXT;
    cfg->run_kind = RUN_NONE;
    cfg->stream_maxlen = 20;
    cfg->run_targets = xcalloc(1, sizeof *cfg->run_targets);
}

/* ---- the command line ------------------------------------------------------- */

static bool looks_like_conninfo(const char *arg)
{
    return strchr(arg, '=') || strncmp(arg, "postgres://", 11) == 0 ||
           strncmp(arg, "postgresql://", 13) == 0;
}

/* "--name" of the option at argv[index] (up to any '='), for messages. */
static char *long_option_name(const char *arg)
{
    char *name = xstrndup(arg, strcspn(arg, "="));
    char *q = quoted(name);
    free(name);
    return q;
}

static bool is_ambiguous(const char *arg)
{
    size_t n = strcspn(arg + 2, "=");
    int matches = 0;
    for (const struct option *o = long_options; o->name; o++) {
        if (strncmp(o->name, arg + 2, n) == 0) {
            if (strlen(o->name) == n)
                return false;
            matches++;
        }
    }
    return matches > 1;
}

static int positional(struct loader *ld, const char *arg)
{
    struct config *cfg = ld->cfg;

    if (looks_like_conninfo(arg)) {
        char msg[512];
        struct conninfo ci;
        if (ld->positional_conninfo) {
            fail(ld, "pgdeck: a second connection string was given "
                     "(pgdeck watches one primary; use --replica for a standby)");
            return -1;
        }
        if (conninfo_parse(&ci, arg, msg, sizeof msg) < 0) {
            fail(ld, "pgdeck: connection argument: %s", msg);
            return -1;
        }
        conninfo_free(&ci);
        ld->positional_conninfo = arg;
        return 0;
    }
    if (cfg->command == COMMAND_CONSOLE) {
        if (strcmp(arg, "check") == 0) {
            cfg->command = COMMAND_CHECK;
            return 0;
        }
        if (strcmp(arg, "run") == 0) {
            cfg->command = COMMAND_RUN;
            return 0;
        }
        if (strcmp(arg, "agent") == 0) {
            cfg->command = COMMAND_AGENT;
            return 0;
        }
        char *q = quoted(arg);
        fail(ld, "pgdeck: unknown command '%s' (expected check, run or agent; "
                 "a database name goes with -d NAME or dbname=NAME)", q);
        free(q);
        return -1;
    }
    if (cfg->command == COMMAND_RUN && cfg->run_kind == RUN_NONE) {
        if (strcmp(arg, "refresh") == 0)
            cfg->run_kind = RUN_REFRESH;
        else if (strcmp(arg, "partitions") == 0)
            cfg->run_kind = RUN_PARTITIONS;
        else if (strcmp(arg, "indexes") == 0)
            cfg->run_kind = RUN_INDEXES;
        else if (strcmp(arg, "track-views") == 0)
            cfg->run_kind = RUN_TRACK_VIEWS;
        else if (strcmp(arg, "untrack-views") == 0)
            cfg->run_kind = RUN_UNTRACK_VIEWS;
        else {
            char *q = quoted(arg);
            fail(ld, "pgdeck: unknown run kind '%s' (expected refresh, partitions, indexes, track-views or "
                 "untrack-views)", q);
            free(q);
            return -1;
        }
        return 0;
    }
    if (cfg->command == COMMAND_RUN && (cfg->run_kind == RUN_TRACK_VIEWS || cfg->run_kind == RUN_UNTRACK_VIEWS)) {
        char *q = quoted(arg);
        fail(ld, "pgdeck: run %s takes no names ('%s')", cfg->run_kind == RUN_TRACK_VIEWS ? "track-views"
             : "untrack-views", q);
        free(q);
        return -1;
    }
    if (cfg->command == COMMAND_RUN && cfg->run_kind != RUN_INDEXES) {
        if (!*arg) {
            fail(ld, "pgdeck: an empty name was given to run");
            return -1;
        }
        /* Names are SQL identifiers: a bad one is refused here, before
         * anything connects. */
        char *schema, *name, why[256];
        if (ident_parse_qualified(arg, "public", &schema, &name, why, sizeof why) != 0) {
            char *q = quoted(arg);
            fail(ld, "pgdeck: run %s: '%s' is not a name: %s", cfg->run_kind == RUN_REFRESH ? "refresh"
                 : "partitions", q, why);
            free(q);
            return -1;
        }
        free(schema);
        free(name);
        ld->targets = xrealloc(ld->targets, (size_t)(ld->target_count + 1) * sizeof *ld->targets);
        ld->targets[ld->target_count++] = arg;
        return 0;
    }
    char *q = quoted(arg);
    if (cfg->command == COMMAND_RUN)
        fail(ld, "pgdeck: run indexes takes no names, got '%s' (it follows the index plan: see --plan)", q);
    else
        fail(ld, "pgdeck: unexpected argument '%s' after '%s'", q,
             cfg->command == COMMAND_AGENT ? "agent" : "check");
    free(q);
    return -1;
}

static bool valid_port_list(const char *s)
{
    /* libpq takes one port per host: "5432" or "5432,5433" */
    if (!*s)
        return false;
    for (const char *p = s; *p; p++)
        if (!isdigit((unsigned char)*p) && *p != ',')
            return false;
    return true;
}

static int parse_options(struct loader *ld, int argc, char **argv)
{
    struct config *cfg = ld->cfg;

    if (argc < 1 || !argv)
        return 0;
    /* glibc: optind = 0 re-initialises getopt completely, so config_load
     * can run again (tests call it many times). */
    optind = 0;
    opterr = 0;
    for (;;) {
        int before = optind ? optind : 1;
        int c = getopt_long(argc, argv, short_options, long_options, NULL);
        if (c == -1)
            break;

        const char *arg = before < argc ? argv[before] : "";
        const struct setting *s = c > 1 ? setting_for_option(c) : NULL;
        if (s) {
            char *where = xasprintf("pgdeck: %s", s->option);
            const char *value = s->flag_value ? s->flag_value : optarg;
            int rc = apply_setting(ld, s, value, where, false, false);
            free(where);
            if (rc < 0)
                return -1;
            ld->option_value[s - settings] = value;
            continue;
        }
        switch (c) {
        case 1:
            if (positional(ld, optarg) < 0)
                return -1;
            break;
        case 'h':
            ld->host = optarg;
            break;
        case 'p':
            if (!valid_port_list(optarg)) {
                char *q = quoted(optarg);
                fail(ld, "pgdeck: -p: '%s' is not a port number", q);
                free(q);
                return -1;
            }
            ld->port = optarg;
            break;
        case 'U':
            ld->user = optarg;
            break;
        case 'd':
            ld->dbname = optarg;
            break;
        case 'R':
            cfg->read_only = true;
            break;
        case OPT_CONFIG:
            ld->config_path = optarg;
            break;
        case OPT_ONCE:
            ld->once = true;
            break;
        case OPT_FORMAT:
            if (strcmp(optarg, "text") == 0)
                cfg->format = FORMAT_TEXT;
            else if (strcmp(optarg, "json") == 0)
                cfg->format = FORMAT_JSON;
            else if (strcmp(optarg, "openmetrics") == 0)
                cfg->format = FORMAT_OPENMETRICS;
            else {
                char *q = quoted(optarg);
                fail(ld, "pgdeck: --format: '%s' is not text, json or openmetrics", q);
                free(q);
                return -1;
            }
            ld->format_given = true;
            break;
        case OPT_DRY_RUN:
            cfg->dry_run = true;
            break;
        case OPT_STATS:
            if (!*optarg) {
                fail(ld, "pgdeck: --stats: empty file name");
                return -1;
            }
            store_string(&cfg->stats_file, xstrdup(optarg));
            break;
        case OPT_STALE:
            ld->stale = true;
            break;
        case OPT_ADVISE:
            ld->advise = true;
            break;
        case OPT_RETENTION:
            if (!looks_like_interval(optarg)) {
                char *q = quoted(optarg);
                fail(ld, "pgdeck: --retention: '%s' is not an interval (for example '12 months')", q);
                free(q);
                return -1;
            }
            ld->retention = optarg;
            break;
        case OPT_DROP:
            ld->drop = true;
            break;
        case OPT_NAME:
            if (!stream_name_valid(optarg)) {
                char *q = quoted(optarg);
                fail(ld, "pgdeck: --name: '%s' is not an agent name (1 to %d letters, digits, "
                         "'.', '_' or '-')", q, STREAM_NAME_MAX);
                free(q);
                return -1;
            }
            ld->name = optarg;
            break;
        case OPT_FROM: {
            struct redis_target t;
            char msg[512];
            if (redis_target_parse(&t, optarg, msg, sizeof msg) < 0) {
                fail(ld, "pgdeck: --from: %s", msg);
                return -1;
            }
            redis_target_free(&t);
            ld->from = optarg;
            break;
        }
        case OPT_HELP:
            cfg->command = COMMAND_HELP;
            return 1;
        case OPT_VERSION:
            cfg->command = COMMAND_VERSION;
            return 1;
        case ':': {
            char *name = strncmp(arg, "--", 2) == 0 ? long_option_name(arg)
                                                     : xasprintf("-%c", optopt);
            fail(ld, "pgdeck: option '%s' needs an argument%s", name,
                 optopt == 'h' ? " (-h is the host, as in psql; help is --help)" : "");
            free(name);
            return -1;
        }
        case '?':
        default: {
            if (strncmp(arg, "--", 2) == 0) {
                char *name = long_option_name(arg);
                if (optopt)
                    fail(ld, "pgdeck: option '%s' takes no argument", name);
                else if (is_ambiguous(arg))
                    fail(ld, "pgdeck: option '%s' is ambiguous", name);
                else
                    fail(ld, "pgdeck: unknown option '%s'", name);
                free(name);
            } else if (isprint(optopt)) {
                fail(ld, "pgdeck: unknown option '-%c'", optopt);
            } else {
                fail(ld, "pgdeck: unknown option");
            }
            return -1;
        }
        }
    }
    /* after "--" everything is positional */
    for (int i = optind; i < argc; i++)
        if (positional(ld, argv[i]) < 0)
            return -1;
    return 0;
}

/* ---- the INI file ------------------------------------------------------------ */

static const struct setting *setting_for_key(const char *section, const char *key)
{
    for (size_t i = 0; i < SETTING_COUNT; i++)
        if (strcasecmp(settings[i].section, section) == 0 && strcasecmp(settings[i].key, key) == 0)
            return &settings[i];
    return NULL;
}

static bool known_section(const char *name)
{
    for (size_t i = 0; i < sizeof sections / sizeof sections[0]; i++)
        if (strcasecmp(sections[i], name) == 0)
            return true;
    return false;
}

static void file_fail(struct loader *ld, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void file_fail(struct loader *ld, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *message = ini_vmessage(ld->path_shown, ld->lineno, fmt, ap);
    va_end(ap);
    fail(ld, "%s", message);
    free(message);
    ld->failed = true;
}

static int retention_entry(struct loader *ld, const char *key, const char *value)
{
    struct config *cfg = ld->cfg;
    bool b;

    if (strcasecmp(key, "drop") == 0) {
        if (!parse_bool(value, &b)) {
            char *q = quoted(value);
            file_fail(ld, "[retention] drop: '%s' is not yes/no, true/false, on/off or 1/0", q);
            free(q);
            return -1;
        }
        cfg->retention_drop = b;
        return 0;
    }
    /* The key is a table as PostgreSQL would read it, never a suffix to
     * match: `events` is public.events, not archive.events nor
     * public."archive.events". */
    char *schema = NULL, *name = NULL;
    if (strcmp(key, "*") != 0) {
        char why[256];
        if (ident_parse_qualified(key, "public", &schema, &name, why, sizeof why) != 0) {
            char *q = quoted(key);
            file_fail(ld, "[retention] '%s' is not a table name: %s", q, why);
            free(q);
            return -1;
        }
    }
    if (!looks_like_interval(value)) {
        char *k = quoted(key), *q = quoted(value);
        file_fail(ld, "[retention] %s: '%s' is not an interval (for example '12 months')", k, q);
        free(k);
        free(q);
        free(schema);
        free(name);
        return -1;
    }
    for (int i = 0; i < cfg->retention_count; i++) {
        const struct config_retention *r = &cfg->retention[i];
        bool same = schema ? r->schema && strcmp(r->schema, schema) == 0 && strcmp(r->name, name) == 0
                           : !r->schema;
        if (same) {
            char *k = quoted(key);
            file_fail(ld, "[retention] %s: the table is already given at %s", k, r->where);
            free(k);
            free(schema);
            free(name);
            return -1;
        }
    }
    cfg->retention = xrealloc(cfg->retention, (size_t)(cfg->retention_count + 1) * sizeof *cfg->retention);
    struct config_retention *r = &cfg->retention[cfg->retention_count++];
    r->table = sanitize(key, SANITIZE_FOLD);
    r->schema = schema;
    r->name = name;
    r->interval = xstrdup(value);
    r->where = xasprintf("%s:%d", ld->path_shown, ld->lineno);
    return 0;
}

/* A section header: only the known sections. */
static int config_ini_section(struct loader *ld, const char *section)
{
    if (known_section(section))
        return 0;
    char *q = quoted(section);
    file_fail(ld, "unknown section [%s] (expected connection, pool, display, alerts, "
                  "actions, retention or agent)", q);
    free(q);
    return -1;
}

/* Called by the INI reader for every header and "key = value" line. */
static int config_ini_entry(void *user, const char *section, const char *name, const char *value,
                            int line)
{
    struct loader *ld = user;
    char *unquoted = NULL;
    int rc;

    ld->lineno = line;
    if (!name)
        return config_ini_section(ld, section);
    if (!value) {
        file_fail(ld, "syntax error: expected 'key = value', '[section]' or a comment");
        return -1;
    }
    if (!*name) {
        file_fail(ld, "syntax error: a key name is missing before '='");
        return -1;
    }
    if (!*section) {
        const char *home = NULL;
        for (size_t i = 0; i < SETTING_COUNT && !home; i++)
            if (strcasecmp(settings[i].key, name) == 0)
                home = settings[i].section;
        char *q = quoted(name);
        if (home)
            file_fail(ld, "'%s' is outside any section (it belongs under [%s])", q, home);
        else
            file_fail(ld, "'%s' is outside any section", q);
        free(q);
        return -1;
    }
    /* theme = "dark" is as good as theme = dark */
    size_t n = strlen(value);
    if (n >= 2 && value[0] == '"' && value[n - 1] == '"')
        value = unquoted = xstrndup(value + 1, n - 2);

    if (strcasecmp(section, "retention") == 0) {
        rc = retention_entry(ld, name, value);
        free(unquoted);
        return rc;
    }
    const struct setting *s = setting_for_key(section, name);
    if (!s) {
        char *q = quoted(name);
        file_fail(ld, "unknown key '%s' in [%s]", q, section);
        free(q);
        free(unquoted);
        return -1;
    }
    char *where = ini_message(ld->path_shown, ld->lineno, "[%s] %s", s->section, s->key);
    rc = apply_setting(ld, s, value, where, true, true);
    free(where);
    free(unquoted);
    if (rc < 0) {
        ld->failed = true;
        return -1;
    }
    return 0;
}

/* A line the INI reader cannot take: the first such line ends the file. */
static int config_ini_error(void *user, const char *message, int line)
{
    struct loader *ld = user;
    ld->lineno = line;
    fail(ld, "%s", message);
    ld->failed = true;
    return -1;
}

/* Read the file at `path`.  `required`: a missing file is an error (it was
 * named with --config), otherwise a missing default file is fine. */
static int load_file(struct loader *ld, const char *path, bool required)
{
    struct stat st;

    FILE *fp = fopen(path, "r");
    if (!fp) {
        if (!required && errno == ENOENT)
            return 0;
        char *q = quoted(path);
        if (required)
            fail(ld, "pgdeck: --config: cannot read '%s': %s", q, strerror(errno));
        else
            fail(ld, "pgdeck: cannot read '%s': %s", q, strerror(errno));
        free(q);
        return -1;
    }
    if (fstat(fileno(fp), &st) == 0 && S_ISDIR(st.st_mode)) {
        char *q = quoted(path);
        fail(ld, "pgdeck: %scannot read '%s': it is a directory", required ? "--config: " : "", q);
        free(q);
        fclose(fp);
        return -1;
    }

    store_string(&ld->cfg->config_file, xstrdup(path));
    ld->path_shown = sanitize(path, 0);
    const char *slash = strrchr(path, '/');
    ld->path_dir = slash ? xstrndup(path, slash == path ? 1 : (size_t)(slash - path)) : NULL;

    struct ini_callbacks cb = {
        .source = ld->path_shown, .entry = config_ini_entry, .error = config_ini_error, .user = ld,
    };
    ini_read_file(&cb, fp);
    if (!ld->failed && ferror(fp)) {
        char *q = quoted(path);
        fail(ld, "pgdeck: cannot read '%s': %s", q, strerror(errno));
        free(q);
        ld->failed = true;
    }
    fclose(fp);
    return ld->failed ? -1 : 0;
}

static int load_config_file(struct loader *ld)
{
    if (ld->config_path) {
        if (!*ld->config_path) {
            fail(ld, "pgdeck: --config: empty file name");
            return -1;
        }
        return load_file(ld, ld->config_path, true);
    }
    /* XDG says a relative $XDG_CONFIG_HOME is to be ignored */
    const char *xdg = env_value(ld->envp, "XDG_CONFIG_HOME");
    const char *home = env_value(ld->envp, "HOME");
    char *path;
    if (xdg && xdg[0] == '/')
        path = xasprintf("%s/pgdeck/config", xdg);
    else if (home)
        path = xasprintf("%s/.config/pgdeck/config", home);
    else
        return 0;
    int rc = load_file(ld, path, false);
    free(path);
    return rc;
}

/* ---- the environment ----------------------------------------------------------- */

static int load_environment(struct loader *ld)
{
    for (size_t i = 0; i < SETTING_COUNT; i++) {
        const struct setting *s = &settings[i];
        const char *value = s->env ? env_value(ld->envp, s->env) : NULL;
        if (!value)
            continue;
        char *where = xasprintf("pgdeck: %s", s->env);
        int rc = apply_setting(ld, s, value, where, false, true);
        free(where);
        if (rc < 0)
            return -1;
    }
    /* https://no-color.org: present and not empty */
    if (env_value(ld->envp, "NO_COLOR"))
        ld->cfg->no_color = true;
    if (!utf8_locale_wanted(ld->envp))
        ld->cfg->ascii = true;
    return 0;
}

/* ---- putting it together --------------------------------------------------------- */

static void config_retention_free(struct config *cfg)
{
    for (int i = 0; i < cfg->retention_count; i++) {
        free(cfg->retention[i].table);
        free(cfg->retention[i].schema);
        free(cfg->retention[i].name);
        free(cfg->retention[i].interval);
        free(cfg->retention[i].where);
    }
    free(cfg->retention);
    cfg->retention = NULL;
    cfg->retention_count = 0;
}

static int apply_options(struct loader *ld)
{
    struct config *cfg = ld->cfg;

    for (size_t i = 0; i < SETTING_COUNT; i++) {
        if (!ld->option_value[i])
            continue;
        char *where = xasprintf("pgdeck: %s", settings[i].option);
        int rc = apply_setting(ld, &settings[i], ld->option_value[i], where, false, true);
        free(where);
        if (rc < 0)
            return -1;
    }
    if (ld->positional_conninfo) {
        store_string(&ld->primary_text, xstrdup(ld->positional_conninfo));
        store_string(&ld->primary_origin, xstrdup("pgdeck: connection argument"));
    }
    if (ld->retention) {
        /* --retention is for this run: it replaces what the file says, for
         * every table */
        config_retention_free(cfg);
        cfg->retention = xcalloc(1, sizeof *cfg->retention);
        cfg->retention[0].table = xstrdup("*");
        cfg->retention[0].interval = xstrdup(ld->retention);
        cfg->retention_count = 1;
    }
    if (ld->drop)
        cfg->retention_drop = true;
    if (ld->stale)
        cfg->run_stale = true;
    if (ld->advise)
        cfg->run_advise = true;
    if (ld->name)
        store_string(&cfg->agent_name, xstrdup(ld->name));
    if (ld->from)
        store_string(&cfg->from, xstrdup(ld->from));

    free(cfg->run_targets);
    cfg->run_targets = xcalloc((size_t)ld->target_count + 1, sizeof *cfg->run_targets);
    for (int i = 0; i < ld->target_count; i++)
        cfg->run_targets[i] = xstrdup(ld->targets[i]);
    return 0;
}

static int build_primary(struct loader *ld)
{
    struct config *cfg = ld->cfg;
    char msg[512];

    if (conninfo_parse(&cfg->primary, ld->primary_text, msg, sizeof msg) < 0) {
        fail(ld, "%s: %s", ld->primary_origin ? ld->primary_origin : "pgdeck", msg);
        return -1;
    }
    if (ld->host)
        conninfo_set(&cfg->primary, "host", ld->host);
    if (ld->port)
        conninfo_set(&cfg->primary, "port", ld->port);
    if (ld->user)
        conninfo_set(&cfg->primary, "user", ld->user);
    if (ld->dbname)
        conninfo_set(&cfg->primary, "dbname", ld->dbname);
    return 0;
}

/* The agent's and the fleet's options go with their commands.  Only what
 * the command line says is checked: a config file's [agent] section is
 * read by every command and used by the agent alone. */
static int check_agent_options(struct loader *ld)
{
    struct config *cfg = ld->cfg;
    const struct setting *publish = setting_for_option(OPT_PUBLISH);
    const struct setting *maxlen = setting_for_option(OPT_MAXLEN);
    bool agent = cfg->command == COMMAND_AGENT;

    if (!agent && ld->option_value[publish - settings]) {
        fail(ld, "pgdeck: --publish applies to 'agent' only");
        return -1;
    }
    if (!agent && ld->option_value[maxlen - settings]) {
        fail(ld, "pgdeck: --maxlen applies to 'agent' only");
        return -1;
    }
    const struct setting *agent_only[] = { setting_for_option(OPT_ACCEPT_ACTIONS),
                                           setting_for_option(OPT_METRICS_FILE) };
    for (size_t i = 0; i < sizeof agent_only / sizeof agent_only[0]; i++) {
        if (!agent && ld->option_value[agent_only[i] - settings]) {
            fail(ld, "pgdeck: %s applies to 'agent' only", agent_only[i]->option);
            return -1;
        }
    }
    if (ld->from && cfg->command != COMMAND_CHECK && cfg->command != COMMAND_CONSOLE) {
        fail(ld, "pgdeck: --from applies to the console (a viewer of the agents) and 'check' only");
        return -1;
    }
    if (ld->name && !agent && !ld->from) {
        fail(ld, "pgdeck: --name applies to 'agent', '--from' and 'check --from' only");
        return -1;
    }
    if (agent && ld->format_given) {
        fail(ld, "pgdeck: --format does not apply to 'agent' (it publishes the JSON of --once --format json)");
        return -1;
    }
    if (agent && !cfg->publish) {
        fail(ld, "pgdeck: agent: say where to publish: --publish redis://[USER:PASSWORD@]HOST:PORT/DB "
                 "(or PGDECK_PUBLISH_URL, or [agent] publish)");
        return -1;
    }
    if (agent && !cfg->agent_name) {
        fail(ld, "pgdeck: agent: give it a name with --name NAME (the streams are pgdeck:{NAME}:...)");
        return -1;
    }
    return 0;
}

static int check_consistency(struct loader *ld)
{
    struct config *cfg = ld->cfg;

    if (cfg->pool_min > cfg->pool_max) {
        fail(ld, "pgdeck: pool min %d (%s) is greater than pool max %d (%s)",
             cfg->pool_min, ld->pool_min_origin ? ld->pool_min_origin : "default",
             cfg->pool_max, ld->pool_max_origin ? ld->pool_max_origin : "default");
        return -1;
    }
    if (ld->once) {
        if (cfg->command != COMMAND_CONSOLE) {
            fail(ld, "pgdeck: --once cannot be combined with '%s'",
                 cfg->command == COMMAND_CHECK ? "check" : cfg->command == COMMAND_AGENT ? "agent" : "run");
            return -1;
        }
        cfg->command = COMMAND_ONCE;
    }
    if (ld->format_given && cfg->command == COMMAND_CONSOLE) {
        fail(ld, "pgdeck: --format applies to --once, check and run, not to the console");
        return -1;
    }
    if (cfg->format == FORMAT_OPENMETRICS && cfg->command != COMMAND_ONCE) {
        fail(ld, "pgdeck: --format openmetrics applies to --once only (the agent writes it with --metrics-file)");
        return -1;
    }
    if (ld->from && ld->once) {
        fail(ld, "pgdeck: --from cannot be combined with --once (a viewer is the console; check --from reads the fleet)");
        return -1;
    }
    if (cfg->command == COMMAND_RUN && cfg->run_kind == RUN_NONE) {
        fail(ld, "pgdeck: run: say what to run: refresh, partitions, indexes, track-views or untrack-views");
        return -1;
    }
    if (ld->stale && cfg->run_kind != RUN_REFRESH) {
        fail(ld, "pgdeck: --stale applies to 'run refresh' only");
        return -1;
    }
    if (ld->advise && cfg->run_kind != RUN_INDEXES) {
        fail(ld, "pgdeck: --advise applies to 'run indexes' only");
        return -1;
    }
    if (ld->stale && ld->target_count > 0) {
        fail(ld, "pgdeck: run refresh: give --stale or view names, not both");
        return -1;
    }
    return check_agent_options(ld);
}

static void loader_free(struct loader *ld)
{
    free(ld->targets);
    free(ld->primary_text);
    free(ld->primary_origin);
    free(ld->pool_min_origin);
    free(ld->pool_max_origin);
    free(ld->path_dir);
    free(ld->path_shown);
}

int config_load(struct config *cfg, int argc, char **argv, char **envp, char *err, size_t errlen)
{
    struct loader ld;
    int rc;

    memset(&ld, 0, sizeof ld);
    ld.cfg = cfg;
    ld.envp = envp;
    ld.err = err;
    ld.errlen = errlen;
    if (err && errlen)
        err[0] = '\0';
    set_defaults(cfg);

    rc = parse_options(&ld, argc, argv);
    if (rc == 1) {          /* --help or --version: nothing else matters */
        loader_free(&ld);
        return 0;
    }
    if (rc < 0 || load_config_file(&ld) < 0 || load_environment(&ld) < 0 ||
        apply_options(&ld) < 0 || build_primary(&ld) < 0 || check_consistency(&ld) < 0) {
        loader_free(&ld);
        config_free(cfg);
        return -1;
    }
    loader_free(&ld);
    return 0;
}

void config_free(struct config *cfg)
{
    conninfo_free(&cfg->primary);
    free(cfg->replica);
    free(cfg->redis);
    free(cfg->pgbouncer);
    free(cfg->theme);
    free(cfg->plan_file);
    free(cfg->journal_file);
    config_retention_free(cfg);
    if (cfg->run_targets)
        for (char **t = cfg->run_targets; *t; t++)
            free(*t);
    free(cfg->run_targets);
    free(cfg->config_file);
    free(cfg->stats_file);
    free(cfg->publish);
    free(cfg->agent_name);
    free(cfg->from);
    free(cfg->metrics_file);
    memset(cfg, 0, sizeof *cfg);
}

const char *config_retention_for(const struct config *cfg, const char *schema, const char *name)
{
    const char *any = NULL;

    if (!schema || !name)
        return NULL;
    /* the table's own line, then "*" */
    for (int i = 0; i < cfg->retention_count; i++) {
        const struct config_retention *r = &cfg->retention[i];
        if (!r->schema)
            any = r->interval;
        else if (strcmp(r->schema, schema) == 0 && strcmp(r->name, name) == 0)
            return r->interval;
    }
    return any;
}
