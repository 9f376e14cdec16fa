#ifndef PGDECK_SUBJECT_H
#define PGDECK_SUBJECT_H

#include <stdbool.h>

/* A subject is what a pane is about (queries, pool, cache, partitions,
 * views, indexes, ...): everything pgdeck knows of it in one file under
 * src/subjects/, described by one const struct subject.  The engines read
 * the table subjects[] (src/subjects/subjects.c) and nothing else:
 *   - the collector engine runs every subject's collector rows
 *     (collector.h), in subjects[] order;
 *   - the action gate finds actions by name and key among their action
 *     rows (action.h);
 *   - the alert engine evaluates their alert rules in subjects[] order
 *     (alerts.h), and asks each for its performance data;
 *   - the console gives each subject that has a pane its pane, numbered
 *     in subjects[] order: the pane class (ui/panes/pane_<name>.c) names
 *     its subject.
 * Adding a pane is a subject file, a pane file and one row in
 * subjects[]. */

struct app;
struct collector_def;
struct action_def;
struct alert_rule;
struct perfdata;

struct subject {
    const char *name;           /* "views": the pane class names its subject so */
    const char *title;          /* "Views": the pane's title, the help's, the tab's */
    /* Shown in a pane of its own (the host line, for one, shows inside
     * the queries pane, and ANALYZE's tables are every pane's). */
    bool        has_pane;
    /* The fleet of agents (a viewer started with --from and no --name):
     * its pane is the only one shown then and is shown nowhere else, its
     * collectors exist only in a viewer (fed by core/stream_feed.c, never
     * run), and it numbers no pane. */
    bool        fleet;
    const struct collector_def *collectors;
    int         ncollectors;
    /* Rows of the action table.  A row may be listed by several subjects
     * (ANALYZE acts on the tables every storage pane shows): the keys of
     * the focused pane are its subject's rows. */
    const struct action_def *const *actions;
    int         nactions;
    const struct alert_rule *alerts;
    int         nalerts;
    /* Performance data for `check` ("pool_used=63%;90;95"): fills up to
     * max entries, returns how many; NULL for none. */
    int       (*perfdata)(const struct app *app, struct perfdata *out, int max);
};

/* The length of a subject's const table, for its counts. */
#define SUBJECT_ROWS(table) ((int)(sizeof (table) / sizeof (table)[0]))

/* The subjects, in pane order (src/subjects/subjects.c). */
extern const struct subject *const subjects[];
extern const int nsubjects;

/* The subject of that name, or NULL. */
const struct subject *subject_find(const char *name);
/* The number of the subject's pane (1 for the first subject with a pane,
 * in subjects[] order), or 0 when it has none: what the `1`-`9` keys and
 * the messages that say "the views pane (5)" use. */
int subject_pane_number(const char *name);

#endif
