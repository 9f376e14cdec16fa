#ifndef PGDECK_PARTITION_PLAN_H
#define PGDECK_PARTITION_PLAN_H

#include <stdbool.h>

#include "base/calendar.h"

/* Partition maintenance, worked out from the bounds that exist: the
 * interval is inferred from the newest range partition (a whole number of
 * calendar months, else a fixed number of seconds: daily, weekly, hourly),
 * partitions are created to cover the period holding "now" and `premake`
 * periods after it, and partitions wholly older than the retention cutoff
 * are detached (and dropped only when told to).  New partitions are named
 * after the newest one (its date part replaced), or <parent>_yYYYYmMM,
 * <parent>_yYYYY, <parent>_pYYYYMMDD when its name shows no date.
 *
 * Pure: the caller reads the catalog (bounds converted to UTC by the
 * server) and runs the statements; this file only decides and writes DDL,
 * with every identifier quoted, so it is unit-tested without a server. */

enum partition_key_type {
    PARTITION_KEY_DATE,
    PARTITION_KEY_TIMESTAMP,        /* without time zone */
    PARTITION_KEY_TIMESTAMPTZ,
};

/* One partition as it exists. */
struct partition_bound {
    const char *schema, *name;
    bool is_default;
    bool detach_pending;        /* an interrupted DETACH ... CONCURRENTLY */
    bool has_range;             /* a range partition with readable bounds */
    bool from_minvalue, to_maxvalue;
    struct civil_time from, to; /* UTC; meaningful unless MINVALUE/MAXVALUE */
};

struct partition_input {
    const char *schema, *table;     /* the partitioned table */
    enum partition_key_type key;
    const struct partition_bound *parts;
    int   nparts;
    struct civil_time now;          /* UTC */
    int   premake;                  /* periods ahead of the current one */
    bool  has_cutoff;               /* a retention applies */
    struct civil_time cutoff;       /* now - retention, UTC */
    bool  drop;                     /* drop what is detached */
    bool  detach_concurrently;      /* PostgreSQL 14+ and no default partition */
    int   max_create;               /* refuse a plan creating more (0: 120) */
};

enum partition_op {
    PARTITION_CREATE,
    PARTITION_DETACH,
    PARTITION_FINALIZE,             /* finish an interrupted concurrent detach */
    PARTITION_DROP,
};

struct partition_step {
    enum partition_op op;
    char *schema, *name;            /* the partition, unquoted */
    struct civil_time from, to;     /* its range (create, detach) */
    char *from_literal, *to_literal;    /* as written in the DDL, quoted */
    char *statement;
};

#define PARTITION_MAX_NOTES 8

struct partition_plan {
    char *interval;                 /* "1 month", "1 day", "7 days", ... */
    int   months;                   /* the step in months, or 0 */
    long long seconds;              /* the step in seconds when months == 0 */
    struct partition_step *steps;
    int   nsteps;
    int   creates, detaches, drops;
    /* The span of the partitions to create, for the default-partition
     * check: [create_from, create_to), literals as in the DDL. */
    char *create_from_literal, *create_to_literal;
    struct civil_time covered_to;   /* how far partitions reach afterwards */
    char *refusal;                  /* why nothing can be planned, or NULL */
    char *notes[PARTITION_MAX_NOTES];   /* things the preview should say */
    int   nnotes;
};

/* Work out the plan.  Returns 0, or -1 with plan->refusal set (no steps).
 * The plan is the caller's to free with partition_plan_free. */
int  partition_plan_build(struct partition_plan *plan, const struct partition_input *in);
void partition_plan_free(struct partition_plan *plan);
/* The bound literal for a UTC moment and a key type: '2024-05-01',
 * '2024-05-01 00:00:00' or '2024-05-01 00:00:00+00'.  Caller frees. */
char *partition_literal(enum partition_key_type key, const struct civil_time *t);

#endif
