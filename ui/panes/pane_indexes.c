/* The indexes pane.  The index plan (the kit's index script, or --plan
 * FILE) against the catalog (collector "indexes", merged with the plan by
 * src/subjects/indexes.c): planned indexes that are missing, present, INVALID
 * (a failed CREATE INDEX CONCURRENTLY) or being built, with their size and
 * scans, and every other index that is unused or a duplicate.  A summary
 * line counts them; builds in progress get a line each with their phase
 * and percent, refreshed at the refresh interval (collector
 * "index_progress") rather than at the catalog's slower cadence. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "subjects/indexes.h"
#include "core/plan.h"
#include "draw.h"
#include "table.h"
#include "ui.h"
#include "base/xalloc.h"

static const struct column_def columns[] = {
    { "INDEX",   "display",    0, false, FORMAT_AS_TEXT },
    { "TABLE",   "table",     24, false, FORMAT_AS_TEXT, 110 },
    { "METHOD",  "method",     6, false, FORMAT_AS_TEXT, 130 },
    { "STATUS",  "status",    13, false, FORMAT_AS_TEXT },   /* "building 100%" */
    { "PLAN",    "planned",    4, false, FORMAT_AS_BOOL, 90 },
    { "SIZE",    "size",       8, true,  FORMAT_AS_BYTES, 50 },
    { "SCANS",   "scans",     10, true,  FORMAT_AS_NUMBER, 64 },
    { "NOTE",    "note",      11, false, FORMAT_AS_TEXT, 72 },
};

static int row_style(const struct ui *ui, const struct snapshot *s, int row)
{
    (void)ui;
    const char *status = snapshot_get(s, row, "status");
    if (status && strcmp(status, "INVALID") == 0)
        return THEME_ROW_CRIT;
    if (status && (strcmp(status, "missing") == 0 || strncmp(status, "building", 8) == 0))
        return THEME_ROW_WARN;
    if (status && (strcmp(status, "advised") == 0 || strcmp(status, "fk no index") == 0))
        return THEME_ROW_WARN;
    return -1;
}

static const struct table_def tables[] = {
    { "indexes", columns, sizeof columns / sizeof columns[0], row_style, NULL },
};

static bool status_is(const struct snapshot *s, int row, const char *want)
{
    const char *v = snapshot_get(s, row, "status");
    return v && strncmp(v, want, strlen(want)) == 0;
}

/* The summary, the plan's own trouble, and one line per build, within
 * half the pane so the table keeps room at 80x24. */
static int draw_header(struct ui *ui, struct pane *p, WINDOW *w, int y, int x, int width, int height)
{
    const struct snapshot *s = collectors_snapshot(ui->app, "indexes");
    if (!s || s->error || height < 6)
        return 0;
    int budget = height / 2 - 1;
    int used = 0;
    int planned = 0, present = 0, missing = 0, invalid = 0, building = 0, unused = 0, dup = 0;
    int advised = 0, fk = 0, redundant = 0, no_table = 0;
    for (int r = 0; r < s->nrows; r++) {
        advised += status_is(s, r, "advised");
        fk += status_is(s, r, "fk no index");
        no_table += status_is(s, r, "no table");
        redundant += snapshot_true(s, r, "redundant");
        planned += snapshot_true(s, r, "planned");
        present += status_is(s, r, "present");
        missing += status_is(s, r, "missing");
        invalid += status_is(s, r, "INVALID");
        building += status_is(s, r, "building");
        unused += snapshot_true(s, r, "unused");
        dup += snapshot_true(s, r, "duplicate");
    }
    const char *plan_error = NULL;
    const struct plan *plan = derive_index_plan_loaded(&plan_error);
    struct index_plan_fit fit;
    indexes_plan_status(ui->app, &fit);
    char line[512];
    int n;
    if (fit.verdict == PLAN_FIT_NOT_HERE || fit.verdict == PLAN_FIT_NONE) {
        /* Not the kit's database: index health and advice alone. */
        n = snprintf(line, sizeof line, "no plan here, advised %d, fk %d, invalid %d, unused %d, redundant %d",
                     advised, fk, invalid, unused, redundant + dup);
        if (n > width)
            n = snprintf(line, sizeof line, "adv %d, fk %d, inv %d, unused %d, red %d", advised, fk, invalid,
                         unused, redundant + dup);
        wattrset(w, ATTR(invalid ? THEME_ALERT : THEME_LABEL));
        mvwhline(w, y, x, ' ', width);
        draw_text(ui, w, y + used++, x, width, line);
        if (fit.verdict == PLAN_FIT_NOT_HERE && used < budget) {
            snprintf(line, sizeof line, "the kit's index plan: %d of its %d tables here, not applied (--plan FILE "
                     "applies one)", fit.found, fit.tables);
            wattrset(w, ATTR(THEME_LABEL));
            mvwhline(w, y + used, x, ' ', width);
            draw_text(ui, w, y + used++, x, width, line);
        }
        plan = NULL;
        plan_error = NULL;
        goto advice;
    }
    n = snprintf(line, sizeof line, "planned %d, present %d, missing %d, invalid %d", planned, present,
                 missing, invalid);
    if (building)
        n += snprintf(line + n, sizeof line - (size_t)n, ", building %d", building);
    if (n < (int)sizeof line)
        n += snprintf(line + n, sizeof line - (size_t)n, ", unused %d", unused);
    if (dup && n < (int)sizeof line)
        n += snprintf(line + n, sizeof line - (size_t)n, ", duplicate %d", dup);
    /* A narrow pane (the 120x36 grid) gets the same counts, shorter. */
    if (n > width)
        n = snprintf(line, sizeof line, "plan %d: ok %d, miss %d, inv %d%s, unused %d", planned, present,
                     missing, invalid, building ? ", bld" : "", unused);
    /* The plan's file, when there is room for it. */
    if (plan && plan->file && n + 8 + (int)strlen(plan->file) <= width && n < (int)sizeof line)
        snprintf(line + n, sizeof line - (size_t)n, "  (plan %s)", plan->file);
    wattrset(w, ATTR(missing || invalid ? THEME_ALERT : THEME_LABEL));
    mvwhline(w, y, x, ' ', width);
    draw_text(ui, w, y + used++, x, width, line);

    /* Why the plan, or some of it, could not be read (budget >= 2). */
    if (plan_error || (plan && plan->nerrors)) {
        if (plan_error)
            snprintf(line, sizeof line, "plan: %s", plan_error);
        else if (plan->error_total > 1)
            snprintf(line, sizeof line, "plan: %s (+%d more)", plan->errors[0], plan->error_total - 1);
        else
            snprintf(line, sizeof line, "plan: %s", plan->errors[0]);
        wattrset(w, ATTR(THEME_ALERT));
        mvwhline(w, y + used, x, ' ', width);
        draw_text(ui, w, y + used++, x, width, line);
    }

    if (no_table && used < budget) {
        snprintf(line, sizeof line, "%d planned index%s without a table here: not missing, not built", no_table,
                 no_table == 1 ? "" : "es");
        wattrset(w, ATTR(THEME_LABEL));
        mvwhline(w, y + used, x, ' ', width);
        draw_text(ui, w, y + used++, x, width, line);
    }

advice:
    /* What the workload's advice did last, or why there is none. */
    if (used < budget) {
        const struct snapshot *adv = collectors_snapshot(ui->app, "advice");
        double ran_at = 0;
        const char *summary = indexes_advice_summary(ui->app, &ran_at);
        line[0] = '\0';
        if (adv && adv->error)
            snprintf(line, sizeof line, "advice: %s", adv->error);
        else if (summary)
            snprintf(line, sizeof line, "advice: %s", summary);
        if (line[0]) {
            wattrset(w, ATTR(adv && adv->error ? THEME_ALERT : THEME_LABEL));
            mvwhline(w, y + used, x, ' ', width);
            draw_text(ui, w, y + used++, x, width, line);
        }
    }

    const struct snapshot *progress = collectors_snapshot(ui->app, "index_progress");
    for (int r = 0; progress && !progress->error && r < progress->nrows && used < budget; r++) {
        const char *index = snapshot_get(progress, r, "index");
        const char *phase = snapshot_get(progress, r, "phase");
        double percent = snapshot_number(progress, r, "percent", NAN);
        double bt = snapshot_number(progress, r, "blocks_total", 0);
        double bd = snapshot_number(progress, r, "blocks_done", 0);
        double tt = snapshot_number(progress, r, "tuples_total", 0);
        double td = snapshot_number(progress, r, "tuples_done", 0);
        char took[32], pct[16] = "", amount[64] = "";
        format_seconds(took, sizeof took, snapshot_number(progress, r, "seconds", NAN));
        if (!isnan(percent))
            snprintf(pct, sizeof pct, " %.0f%%", percent);
        if (tt > 0 && phase && !strstr(phase, "scanning table"))
            snprintf(amount, sizeof amount, ", tuples %.0f/%.0f", td, tt);
        else if (bt > 0)
            snprintf(amount, sizeof amount, ", blocks %.0f/%.0f", bd, bt);
        /* Short enough for 80 columns: "building idx: scanning table
         * 33%, blocks 3/9, 12.0s" (the phase without its "building
         * index: " part; REINDEX says so). */
        const char *command = snapshot_get(progress, r, "command");
        const char *what = index ? index : snapshot_get(progress, r, "table");
        if (what && strncmp(what, "public.", 7) == 0)
            what += 7;
        if (phase && strncmp(phase, "building index: ", 16) == 0)
            phase += 16;
        snprintf(line, sizeof line, "%s %s: %s%s%s, %s",
                 command && strncmp(command, "REINDEX", 7) == 0 ? "reindexing" : "building",
                 what ? what : "?", phase ? phase : "starting", pct, amount, took);
        wattrset(w, ATTR(THEME_ROW_WARN));
        mvwhline(w, y + used, x, ' ', width);
        draw_text(ui, w, y + used++, x, width, line);
    }
    /* The summary, the plan's trouble and a line per build, given room. */
    p->header_want = 1 + (plan_error || (plan && plan->nerrors)) +
                     (progress && !progress->error ? progress->nrows : 0);
    return used;
}

static char **details(struct ui *ui, struct pane *p, const struct snapshot *s, int row, int *n)
{
    (void)ui;
    (void)p;
    int cap = 16;
    char **l = xcalloc((size_t)cap, sizeof *l);
    int k = 0;
    const char *status = snapshot_get(s, row, "status");
    l[k++] = xasprintf("%s on %s", snapshot_text(s, row, "name"), snapshot_text(s, row, "table"));
    l[k++] = xasprintf("status       %s%s", status && *status ? status : "not in the plan",
                     status && strcmp(status, "INVALID") == 0
                     ? ": a failed or running CREATE INDEX CONCURRENTLY; x drops it" : "");
    const char *plan_error = NULL;
    const struct plan *plan = derive_index_plan_loaded(&plan_error);
    if (snapshot_true(s, row, "planned"))
        l[k++] = xasprintf("plan         %s, line %s", plan && plan->file ? plan->file : "?",
                         snapshot_text(s, row, "plan_line"));
    const char *kind = snapshot_get(s, row, "kind");
    bool suggested = snapshot_true(s, row, "suggested");
    if (status && strcmp(status, "no table") == 0)
        l[k++] = xstrdup("no table     its table is not in this database: not missing, and i does not build it");
    if (kind && strcmp(kind, "advice") == 0) {
        l[k++] = xasprintf("advised      planner's cost %s -> %s, %s statement(s), %s calls",
                           snapshot_text(s, row, "cost_before"), snapshot_text(s, row, "cost_after"),
                           snapshot_text(s, row, "statements"), snapshot_text(s, row, "calls"));
        l[k++] = xasprintf("columns      %s (%s)", snapshot_text(s, row, "columns"), snapshot_text(s, row, "why"));
        /* The statements it helps: [{queryid, calls, before, after, query}]. */
        json_t *helps = json_loads(snapshot_text(s, row, "helps"), 0, NULL);
        size_t i;
        json_t *h;
        json_array_foreach(helps, i, h) {
            char *q = xasprintf("  %.0f -> %.0f  %.0f calls  %s", json_number_value(json_object_get(h, "before")),
                                json_number_value(json_object_get(h, "after")),
                                json_number_value(json_object_get(h, "calls")),
                                json_string_value(json_object_get(h, "query")) ? json_string_value(json_object_get(h, "query")) : "");
            /* Room for this line and the dozen that may follow. */
            if (k + 12 >= cap) {
                cap *= 2;
                l = xrealloc(l, (size_t)cap * sizeof *l);
            }
            l[k++] = q;
        }
        json_decref(helps);
    } else if (kind && strcmp(kind, "fk") == 0) {
        l[k++] = xasprintf("foreign key  %s (%s) references %s, and no index leads with its columns: a DELETE or key "
                           "UPDATE there reads all of %s", snapshot_text(s, row, "constraint"),
                           snapshot_text(s, row, "columns"), snapshot_text(s, row, "referenced"),
                           snapshot_text(s, row, "table"));
    }
    if (suggested)
        l[k++] = xstrdup("i builds it CONCURRENTLY:");
    if ((!status || strcmp(status, "missing") != 0) && !suggested && (!status || strcmp(status, "no table") != 0)) {
        char size[32], scans[32];
        format_value(size, sizeof size, snapshot_get(s, row, "size"), FORMAT_AS_BYTES);
        format_value(scans, sizeof scans, snapshot_get(s, row, "scans"), FORMAT_AS_NUMBER);
        l[k++] = xasprintf("usage        %s, %s scans since the statistics were reset%s", *size ? size : "size unknown",
                         scans, snapshot_true(s, row, "partitioned") ? " (summed over its partitions)" : "");
        if (snapshot_true(s, row, "unused")) {
            double age = snapshot_number(s, row, "stats_age", NAN);
            const char *from = snapshot_get(s, row, "stats_from");
            char took[32] = "";
            if (!isnan(age))
                format_seconds(took, sizeof took, age);
            if (*took)
                l[k++] = xasprintf("unused       never scanned in %s of statistics (since %s), and it enforces no "
                                   "constraint", took, from && strcmp(from, "reset") == 0 ? "their last reset"
                                   : "the server started, at least");
            else
                l[k++] = xasprintf("unused       never scanned, and it enforces no constraint");
        }
        if (snapshot_true(s, row, "redundant"))
            l[k++] = xasprintf("redundant    its columns lead %s (same operator classes and predicate): that one "
                               "answers its queries too", snapshot_text(s, row, "redundant_of"));
        if (snapshot_true(s, row, "duplicate"))
            l[k++] = xasprintf("duplicate of %s (same columns, operator classes and predicate)",
                             snapshot_text(s, row, "duplicate_of"));
    }
    l[k++] = xstrdup("");
    /* The overlay wraps it to its width. */
    const char *definition = snapshot_text(s, row, "definition");
    if (suggested && strncmp(definition, "CREATE INDEX ", 13) == 0)
        /* What i runs: the same statement, CONCURRENTLY. */
        l[k++] = xasprintf("CREATE INDEX CONCURRENTLY %s", definition + 13);
    else
        l[k++] = xstrdup(definition);
    *n = k;
    return l;
}

const struct pane_class pane_indexes = {
    .subject = "indexes",
    .help = "Enter: definition  i: create the selected missing, advised or fk index  I: all missing  x: drop an INVALID index",
    .tables = tables,
    .ntables = 1,
    .draw_header = draw_header,
    .details = details,
    .key_field = "index_oid,name",
};
