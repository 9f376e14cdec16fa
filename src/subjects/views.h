#ifndef PGDECK_SUBJECTS_VIEWS_H
#define PGDECK_SUBJECTS_VIEWS_H

#include <stdbool.h>

#include "core/action.h"
#include "core/journal_views.h"
#include "core/snapshot.h"

/* The views subject (views.c).
 *
 * derive_views is the views collector's derive; it calls derive_views_at,
 * which takes everything it needs as arguments, so the unit tests can call
 * it on a hand-made snapshot.  Columns it adds: display (the name without
 * "public."), last_refresh (epoch), last_refresh_at (local time,
 * "2026-11-28 21:03"), refresh_duration (seconds), refresh_known_from
 * ("log", "journal" or NULL), refresh_note (a refresh by pgdeck whose
 * outcome is unknown: "pgdeck's refresh at 2026-11-28 21:03: outcome
 * unknown (pgdeck stopped)", else NULL), age (seconds), age_text ("2h05m",
 * "unknown", "never"), stale (t/f; NULL when unknown), state ("ok",
 * "STALE", "unpopulated", "never refreshed", "refreshing 12s", "failed",
 * "unknown"). */

struct alert;
struct app;

extern const struct action_def action_refresh;       /* r: one materialized view */
extern const struct action_def action_refresh_stale; /* R: every stale one */
/* views_track.c: run track-views / untrack-views (and :track-views). */
extern const struct action_def action_track_views;
extern const struct action_def action_untrack_views;

void derive_views(struct app *app, struct snapshot *now, const struct snapshot *prev);
/* The view is named by the views query's object_key (journal_views.h).
 * `lookup` is journal_views_find, or a test's own; it may be NULL.  `now`
 * is the wall clock; the server's clock (server_now) is preferred when the
 * snapshot has it. */
typedef bool (*view_refresh_lookup)(const struct app *app, const char *object_key,
                                    struct view_refresh_record *out);
void derive_views_at(struct snapshot *s, double max_age_hours, double now,
                     view_refresh_lookup lookup, const struct app *app);

/* The alert rule: views older than cfg->alerts.view_age_hours, never
 * refreshed, or not populated. */
int alert_stale_views(const struct app *app, struct alert *out, int max);

#endif
