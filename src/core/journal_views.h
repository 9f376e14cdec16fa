#ifndef PGDECK_JOURNAL_VIEWS_H
#define PGDECK_JOURNAL_VIEWS_H

#include <stdbool.h>

/* What pgdeck's own journal knows about the refreshes of one materialized
 * view: the views pane's fallback when the kit's refresh log is not
 * installed (journal_views.c). */

struct app;

struct view_refresh_record {
    double finished_at;     /* its last successful refresh by pgdeck (epoch),
                               NAN when none */
    double duration;        /* of that refresh, seconds; NAN when unknown */
    double unfinished_at;   /* a later refresh by pgdeck whose outcome is
                               unknown (its pgdeck stopped), NAN when none */
    bool   running;         /* that refresh's pgdeck still runs */
};

/* The view is named by the views query's object_key, "system
 * identifier/database OID/view OID": a record counts only for the same
 * view of the same database of the same cluster.  Reads the journal of
 * app->cfg (journal_path) when it changed since the last call.  Returns
 * true and fills *out when the journal has a refresh of that view. */
bool journal_views_find(const struct app *app, const char *object_key, struct view_refresh_record *out);

#endif
