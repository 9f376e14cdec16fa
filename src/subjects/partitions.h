#ifndef PGDECK_SUBJECTS_PARTITIONS_H
#define PGDECK_SUBJECTS_PARTITIONS_H

#include <stdbool.h>
#include <stddef.h>

#include "core/action.h"
#include "core/snapshot.h"

/* The partitions subject (partitions.c, partitions_derive.c,
 * partitions_actions.c).
 *
 * derive_partitions is the partitions collector's derive; it calls
 * derive_partitions_at, which takes everything it needs as arguments, so
 * the unit tests can call it on a hand-made snapshot.  Columns it adds:
 * display (the name without "public.", indented under its parent when
 * nested), oldest_short, newest_short (bounds without a midnight time or a
 * zero offset), ahead (text: "2 mo", "3 d", "forever", "none"),
 * ahead_seconds, months_ahead, ahead_ok (t/f; NULL when the table is not
 * range partitioned on time), now_covered (t/f/NULL), retention (the
 * configured interval), outside_retention (partitions wholly older than
 * now - retention) and outside_retention_bytes, current_bytes (the
 * partition holding now), growth_per_day (its bytes per day since it
 * started), projected_bytes (its size projected to its end), growth_ratio
 * (that over the largest earlier partition of the same width),
 * default_flag (t when the default partition has rows), problems (a short
 * list for the row: "no next month, default rows"). */

struct alert;
struct app;
struct config;

/* m: create ahead, detach past retention (partitions_actions.c). */
extern const struct action_def action_maintain;

void derive_partitions(struct app *app, struct snapshot *now, const struct snapshot *prev);

/* The partitions collector's run (partitions_read.c): a signature per
 * partitioned table first, then only the trees that changed read again;
 * and its state's destructor. */
struct collector;
int  partitions_run(struct collector *c);
void partitions_free_state(void *state);
/* Trees read again before they must be: of the `ntrees` trees (root and
 * monotonic read_at), up to `most` roots into out[] of those read at
 * least `age` seconds before `now`, the oldest first.  Returns how many. */
struct part_tree;
int  partitions_pick_early(const struct part_tree *trees, int ntrees, double now, double age,
                           int most, unsigned long *out);
/* `now` is the wall clock in seconds; the server's clock (server_now) is
 * preferred when the snapshot has it. */
void derive_partitions_at(struct snapshot *s, const struct config *cfg, double now);

/* The alert rule: no partition for now or next month, rows in a default
 * partition, a partition growing much faster than the ones before it. */
int alert_partitions(const struct app *app, struct alert *out, int max);

/* A partitioned table's children column (partitions.sql): a JSON array
 * whose first element names the fields and each next one is a direct
 * partition, its values in that order.  The names are said once, not in
 * every partition (36 % of the column at 5,000 partitions; issue 14, aim
 * 3), and the readers find each field by its name, so a field added later
 * does not move the others.  children_open reads `json` (NULL, unreadable
 * or without its names: no partition) and returns how many partitions;
 * children_get gives partition i's field (NULL when it has none). */
enum child_field {
    CHILD_NAME, CHILD_OID, CHILD_BOUND, CHILD_SIZE, CHILD_ROWS, CHILD_FROM, CHILD_TO,
    CHILD_IS_DEFAULT, CHILD_PARTITIONED, CHILD_FIELDS
};
struct json_t;
struct children {
    struct json_t *all;         /* the parsed array, owned */
    int            n;           /* partitions */
    int            at[CHILD_FIELDS];    /* each field's place, -1: absent */
};
int            children_open(struct children *ch, const char *json);
struct json_t *children_get(const struct children *ch, int i, enum child_field f);
/* The field as a number; NAN when it is absent or not a number. */
double         children_number(const struct children *ch, int i, enum child_field f);
bool           children_true(const struct children *ch, int i, enum child_field f);
void           children_close(struct children *ch);

/* A bound as pgdeck shows it: "2026-06-01 00:00:00+00" -> "2026-06-01",
 * "2026-06-01 06:00:00+00" -> "2026-06-01 06:00"; anything else
 * (MINVALUE, 42, eu) as it is. */
void derive_short_bound(const char *bound, char *out, size_t len);
/* A partition's bound expression made short: "FOR VALUES FROM
 * ('2026-01-01 00:00:00+00') TO ('2026-02-01 00:00:00+00')" ->
 * "2026-01-01 .. 2026-02-01"; "FOR VALUES IN ('eu', 'uk')" -> "IN ('eu',
 * 'uk')"; "DEFAULT" as it is. */
void derive_short_partition_bound(const char *bound, char *out, size_t len);

/* A PostgreSQL interval as written in [retention] ("12 months", "1 year 6
 * mons", "90 days", "2 weeks", "36 hours"): calendar months and seconds.
 * Returns 0, or -1 when it is not an interval pgdeck can read. */
int  derive_interval_parse(const char *text, int *months, double *seconds);
/* `t` moved back by months (calendar, UTC) and seconds. */
double derive_time_minus(double t, int months, double seconds);
/* Whole calendar months (UTC) covered after the month of `now` when
 * partitions reach `covered_until` (epoch).  0 when not even next month is
 * covered; a large number for infinity. */
int  derive_months_ahead(double now, double covered_until);

/* The row of the "partman" snapshot (pg_partman's part_config) for the
 * table schema.table, or -1: a table pg_partman maintains, whose `m`
 * calls its run_maintenance instead of pgdeck's own DDL. */
struct app;
int partitions_partman_row(const struct app *app, const char *schema, const char *table);

#endif
