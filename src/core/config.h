#ifndef PGDECK_CONFIG_H
#define PGDECK_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "net/conninfo.h"

/* Everything pgdeck is told, from four places in this order of precedence:
 * command-line options, then environment variables (the guide's names and
 * libpq's PG* ones, which libpq reads itself), then the INI file
 * ($XDG_CONFIG_HOME/pgdeck/config or --config FILE), then defaults.
 *
 * INI file sections and keys (all optional):
 *   [connection]  primary, replica, redis, pgbouncer   (conninfo / URI)
 *   [pool]        min, max, idle_timeout, connection_timeout,
 *                 statement_timeout, query_timeout      (ms, as the guide's
 *                                                        DB_* variables)
 *   [display]     interval (s), catalog_interval (s), theme, ascii, no_color, mouse
 *   [alerts]      slow_query_ms, pool_percent, cache_hit_percent,
 *                 view_age_hours, replica_lag_seconds, replica_lag_bytes,
 *                 partition_ahead_months, disk_full_days, lock_wait_seconds
 *   [actions]     lock_timeout (ms), premake, plan, journal
 *   [agent]       publish (redis URL), maxlen, accept_actions, metrics_file
 *   [retention]   <table> = <interval>  ("*" for every table), drop = yes|no
 *                 (<table>: an SQL identifier, see ident.h; "drop" quoted is a table)
 * Booleans take yes/no/true/false/on/off/1/0. */

enum config_command {
    COMMAND_CONSOLE,        /* the interactive screen */
    COMMAND_ONCE,           /* --once: one snapshot, then exit */
    COMMAND_CHECK,          /* check: alerts with plugin exit codes */
    COMMAND_RUN,            /* run refresh|partitions|indexes */
    COMMAND_AGENT,          /* agent: collect headless, publish to Redis */
    COMMAND_HELP,           /* --help was given: print usage, exit 0 */
    COMMAND_VERSION,        /* --version */
};

enum config_format { FORMAT_TEXT, FORMAT_JSON, FORMAT_OPENMETRICS };

enum config_run_kind { RUN_NONE, RUN_REFRESH, RUN_PARTITIONS, RUN_INDEXES, RUN_TRACK_VIEWS, RUN_UNTRACK_VIEWS };

/* A [retention] line.  The table is an SQL identifier (ident.h): `events`
 * is public.events, `archive."Events"` archive.Events; `*` is every table
 * without a line of its own (and what --retention sets). */
struct config_retention {
    char *table;            /* as written, for messages (sanitized) */
    char *schema, *name;    /* as the catalog spells them; NULL for "*" */
    char *interval;         /* a PostgreSQL interval, e.g. "12 months" */
    char *where;            /* "FILE:LINE" (sanitized), NULL from --retention */
};

struct config_thresholds {
    double slow_query_ms;           /* 1000 */
    double pool_percent;            /* 90 */
    double cache_hit_percent;       /* 70 (the guide's target is 85) */
    double view_age_hours;          /* 4 */
    double replica_lag_seconds;     /* 30 */
    double replica_lag_bytes;       /* 64 MB */
    double partition_ahead_months;  /* 1: next month must exist */
    double disk_full_days;          /* 14 */
    double lock_wait_seconds;       /* 5: the longest wait behind a blocker */
};

/* [display] catalog_interval when none is set (seconds). */
#define CONFIG_CATALOG_INTERVAL 30.0

struct config {
    enum config_command command;

    /* Connections.  `primary` already has -h -p -U -d applied on top of the
     * positional CONNINFO / DATABASE_URL / [connection] primary. */
    struct conninfo primary;
    char  *replica;             /* conninfo or URI, NULL when not configured */
    char  *redis;               /* redis URL, NULL when not configured */
    char  *pgbouncer;           /* conninfo of the admin console, or NULL */

    /* Pool (the guide's DB_* variables; times in milliseconds). */
    int    pool_min;                /* DB_POOL_MIN, default 2 */
    int    pool_max;                /* DB_POOL_MAX, default 4 */
    double idle_timeout_ms;         /* DB_IDLE_TIMEOUT, default 30000 */
    double connect_timeout_ms;      /* DB_CONNECTION_TIMEOUT, default 5000 */
    double statement_timeout_ms;    /* DB_STATEMENT_TIMEOUT, default 5000 */
    double query_timeout_ms;        /* DB_QUERY_TIMEOUT, default 10000 */

    /* Display. */
    double interval;            /* seconds, 0.2 .. 60, default 1 */
    double catalog_interval;    /* seconds, 1 .. 3600, default
                                   CONFIG_CATALOG_INTERVAL: the catalog
                                   tier's cadence (collector.h) */
    char  *theme;               /* name or file, default "default" */
    bool   ascii;               /* --ascii, or a non-UTF-8 locale */
    bool   no_color;            /* --no-color or NO_COLOR set */
    bool   mouse;               /* on unless --no-mouse */
    bool   read_only;           /* -R */

    /* Actions. */
    double lock_timeout_ms;     /* default 3000 */
    char  *plan_file;           /* --plan, NULL: the kit's index script */
    char  *journal_file;        /* NULL: $XDG_STATE_HOME/pgdeck/journal */
    int    premake;             /* partitions ahead, default 3 */
    struct config_retention *retention;  /* per table, from [retention] */
    int    retention_count;
    bool   retention_drop;      /* drop instead of detach */
    bool   create_hypopg;       /* run indexes --advise installs hypopg first */

    struct config_thresholds alerts;

    /* Front ends. */
    enum config_format   format;        /* --format, default text */
    enum config_run_kind run_kind;
    char **run_targets;         /* VIEW... or TABLE..., NULL-terminated */
    bool   run_stale;           /* run refresh --stale */
    bool   run_advise;          /* run indexes --advise */
    bool   dry_run;             /* --dry-run */

    /* The agent and the fleet (Redis Streams, core/stream.h). */
    char  *publish;             /* agent --publish URL, or NULL */
    char  *agent_name;          /* --name: the agent's, or the one check --from reads */
    int    stream_maxlen;       /* agent --maxlen: XADD MAXLEN ~ N, default 20 */
    bool   accept_actions;      /* agent --accept-actions: run requests from
                                   pgdeck:{NAME}:cmd through the gate */
    char  *metrics_file;        /* agent --metrics-file: OpenMetrics, rewritten
                                   each interval; NULL for none */
    char  *from;                /* --from URL: the Redis a viewer (the console)
                                   or check --from reads the agents from */

    char  *config_file;         /* the file that was read, or NULL */
    char  *stats_file;          /* --stats FILE: timings for benchmarks */
};

/* Fill cfg from argv, envp and the config file.  Returns 0, or -1 with a
 * message in err (for example "pgdeck: --interval: 'abc' is not a number
 * between 0.2 and 60" or "/root/.config/pgdeck/config:7: unknown key
 * 'intervall' in [display]").  Messages never contain a password. */
int  config_load(struct config *cfg, int argc, char **argv, char **envp,
                 char *err, size_t errlen);
void config_free(struct config *cfg);
/* The usage text printed by --help (stdout) and after an option error. */
const char *config_usage(void);
/* The retention interval configured for the table `schema`.`name` (as the
 * catalog spells them): its own line, else "*", else NULL. */
const char *config_retention_for(const struct config *cfg, const char *schema, const char *name);

#endif
