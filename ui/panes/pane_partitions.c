/* The partitions pane.  Every partitioned table (collector "partitions"),
 * nested ones indented under their parent: how many partitions, their
 * size and estimated rows, the oldest and newest bound, how far ahead the
 * time partitions reach, rows that fell into the default partition and,
 * when the pane is wide, what lies past the configured retention.  Enter
 * lists the table's partitions with their bounds, sizes and rows.  Tables
 * that miss next month's partition, have no partition for now or have
 * rows in their default partition stand out. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "subjects/partitions.h"
#include "draw.h"
#include "table.h"
#include "ui.h"
#include "base/clock.h"
#include "base/xalloc.h"

/* Narrow panes (the 120x36 grid gives each bottom pane about 38 columns)
 * keep the name, count, size and coverage; wider ones add the rest. */
static const struct column_def columns[] = {
    { "TABLE",     "display",                 0, false, FORMAT_AS_TEXT },
    { "KIND",      "strategy",                5, false, FORMAT_AS_TEXT, 120 },
    { "PARTS",     "partitions",              5, true,  FORMAT_AS_NUMBER },
    { "SIZE",      "size",                    8, true,  FORMAT_AS_BYTES },
    { "ROWS~",     "rows",                   10, true,  FORMAT_AS_NUMBER, 100 },
    { "OLDEST",    "oldest_short",           10, false, FORMAT_AS_TEXT, 72 },
    { "NEWEST",    "newest_short",           10, false, FORMAT_AS_TEXT, 56 },
    { "AHEAD",     "ahead",                   7, true,  FORMAT_AS_TEXT },
    { "DEFAULT~",  "default_rows",            8, true,  FORMAT_AS_NUMBER, 64 },
    { "RETAIN",    "retention",              10, false, FORMAT_AS_TEXT, 140 },
    { "PAST RET",  "outside_retention",       8, true,  FORMAT_AS_NUMBER, 110 },
    { "PROBLEMS",  "problems",               26, false, FORMAT_AS_TEXT, 160 },
};

static bool is_false(const struct snapshot *s, int row, const char *column)
{
    const char *v = snapshot_get(s, row, column);
    return v && strcmp(v, "f") == 0;
}

static int row_style(const struct ui *ui, const struct snapshot *s, int row)
{
    (void)ui;
    if (is_false(s, row, "now_covered"))
        return snapshot_true(s, row, "has_default") ? THEME_ROW_WARN : THEME_ROW_CRIT;
    if (is_false(s, row, "ahead_ok") || snapshot_true(s, row, "default_flag"))
        return THEME_ROW_WARN;
    return -1;
}

static const struct table_def tables[] = {
    { "partitions", columns, sizeof columns / sizeof columns[0], row_style, NULL },
};

/* One line above the table: the totals and what needs attention. */
static int draw_header(struct ui *ui, struct pane *p, WINDOW *w, int y, int x, int width, int height)
{
    (void)p;
    const struct snapshot *s = collectors_snapshot(ui->app, "partitions");
    if (!s || s->error || height < 6)
        return 0;
    double parts = 0, bytes = 0;
    int roots = 0, behind = 0, uncovered = 0, defaults = 0, past = 0;
    for (int r = 0; r < s->nrows; r++) {
        if (snapshot_number(s, r, "level", 0) == 0) {
            roots++;
            parts += snapshot_number(s, r, "leaves", 0);
            bytes += snapshot_number(s, r, "size", 0);
        }
        if (is_false(s, r, "now_covered"))
            uncovered++;
        else if (is_false(s, r, "ahead_ok"))
            behind++;
        defaults += snapshot_true(s, r, "default_flag");
        past += snapshot_number(s, r, "outside_retention", 0) > 0;
    }
    char size[32], line[256];
    format_bytes(size, sizeof size, bytes);
    char raw[32], count[32];
    snprintf(raw, sizeof raw, "%.0f", parts);
    format_value(count, sizeof count, raw, FORMAT_AS_NUMBER);
    int n = snprintf(line, sizeof line, "%d table%s, %s partitions, %s", roots, roots == 1 ? "" : "s",
                     count, size);
    bool trouble = uncovered || behind || defaults || past;
    if (uncovered)
        n += snprintf(line + n, sizeof line - (size_t)n, "; %d not covered now", uncovered);
    if (behind && n < (int)sizeof line)
        n += snprintf(line + n, sizeof line - (size_t)n, "; %d behind", behind);
    if (defaults && n < (int)sizeof line)
        n += snprintf(line + n, sizeof line - (size_t)n, "; %d default rows", defaults);
    if (past && n < (int)sizeof line)
        snprintf(line + n, sizeof line - (size_t)n, "; %d past retention", past);
    wattrset(w, ATTR(trouble ? THEME_ALERT : THEME_LABEL));
    mvwhline(w, y, x, ' ', width);
    draw_text(ui, w, y, x, width, line);
    return 1;
}

struct lines {
    char **v;
    int    n, cap;
};

static void push(struct lines *l, char *line)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 32;
        l->v = xrealloc(l->v, (size_t)l->cap * sizeof *l->v);
    }
    l->v[l->n++] = line;
}

static void bytes_text(char *buf, size_t len, double v)
{
    if (isnan(v))
        snprintf(buf, len, "?");
    else
        format_bytes(buf, len, v);
}

/* Enter: the table's facts, then one line per direct partition. */
static char **details(struct ui *ui, struct pane *p, const struct snapshot *s, int row, int *n)
{
    (void)p;
    struct lines l = { 0 };
    char a[32], b[32];
    const char *parent = snapshot_get(s, row, "parent");
    if (parent)
        push(&l, xasprintf("%s  (a partition of %s)", snapshot_text(s, row, "name"), parent));
    else
        push(&l, xasprintf("%s", snapshot_text(s, row, "name")));
    push(&l, xasprintf("key          %s  (%s)", snapshot_text(s, row, "partition_key"), snapshot_text(s, row, "key_type")));
    format_bytes(a, sizeof a, snapshot_number(s, row, "size", 0));
    double skipped = snapshot_number(s, row, "size_skipped", 0);
    push(&l, xasprintf("partitions   %s direct, %s leaves; %s%s; ~%s rows (estimated)",
                     snapshot_text(s, row, "partitions"), snapshot_text(s, row, "leaves"), a,
                     skipped > 0 ? " (some locked: not measured)" : "", snapshot_text(s, row, "rows")));
    if (snapshot_get(s, row, "oldest"))
        push(&l, xasprintf("bounds       %s .. %s", snapshot_text(s, row, "oldest"), snapshot_text(s, row, "newest")));
    const char *ahead = snapshot_get(s, row, "ahead");
    if (ahead) {
        double width = snapshot_number(s, row, "partition_seconds", NAN);
        double pa = snapshot_number(s, row, "partitions_ahead", NAN);
        char more[96] = "";
        if (!isnan(pa))
            snprintf(more, sizeof more, ": %.0f partition%s after the current", pa, pa == 1 ? "" : "s");
        push(&l, xasprintf("ahead        %s%s (needs %g %s)%s", ahead, more,
                         ui->app->cfg->alerts.partition_ahead_months,
                         !isnan(width) && width < 27 * 86400.0 ? "partitions" : "months",
                         is_false(s, row, "now_covered") ? "  NO PARTITION HOLDS NOW" : ""));
    }
    /* pg_partman's table: how it maintains it (m runs its maintenance). */
    int pm = partitions_partman_row(ui->app, snapshot_get(s, row, "schema"), snapshot_get(s, row, "table"));
    const struct snapshot *pms = collectors_snapshot(ui->app, "partman");
    if (pm >= 0)
        push(&l, xasprintf("pg_partman   interval %s, premake %s, retention %s%s; m runs %s.run_maintenance for it",
                           snapshot_text(pms, pm, "interval"), snapshot_text(pms, pm, "premake"),
                           snapshot_get(pms, pm, "retention") ? snapshot_text(pms, pm, "retention") : "none",
                           snapshot_get(pms, pm, "retention") ? (snapshot_true(pms, pm, "retention_keep_table")
                                                                 ? " (retention_keep_table: detached, kept)"
                                                                 : " (retention_keep_table off: dropped)") : "",
                           snapshot_text(pms, pm, "partman_schema")));
    else if (snapshot_get(s, row, "strategy") && strcmp(snapshot_get(s, row, "strategy"), "range") != 0)
        push(&l, xasprintf("maintenance  none: a %s tree has no time to keep ahead of (m does not apply)",
                           snapshot_text(s, row, "strategy")));
    const char *retention = snapshot_get(s, row, "retention");
    if (retention) {
        bytes_text(a, sizeof a, snapshot_number(s, row, "outside_retention_bytes", NAN));
        push(&l, xasprintf("retention    %s: %s partition(s) wholly past it (%s)", retention,
                         snapshot_text(s, row, "outside_retention"), a));
    } else if (ahead) {
        push(&l, xasprintf("retention    not configured (see [retention] in the config file)"));
    }
    if (snapshot_true(s, row, "has_default"))
        push(&l, xasprintf("default      %s: ~%s rows (estimated)", snapshot_text(s, row, "default_name"),
                         snapshot_text(s, row, "default_rows")));
    else
        push(&l, xasprintf("default      none"));
    double current = snapshot_number(s, row, "current_bytes", NAN);
    if (!isnan(current)) {
        format_bytes(a, sizeof a, current);
        bytes_text(b, sizeof b, snapshot_number(s, row, "growth_per_day", NAN));
        double ratio = snapshot_number(s, row, "growth_ratio", NAN);
        char r[64] = "";
        if (!isnan(ratio))
            snprintf(r, sizeof r, ", heading for %.1fx the largest before", ratio);
        push(&l, xasprintf("growth       current %s, %s/day%s", a, b, r));
    }
    const char *problems = snapshot_get(s, row, "problems");
    if (problems && *problems)
        push(&l, xasprintf("problems     %s", problems));

    /* The partitions, oldest first; > marks the one holding now.  The
     * columns fit the overlay (the screen's width less its frame, at most
     * 100), short of its last column, which the wrap keeps for a word
     * broken in two (wrap.h): a row as wide would be wrapped.  A name or
     * bound too long for its column ends in the mark. */
    int avail = (ui->cols - 4 < 100 ? ui->cols - 4 : 100) - 4;
    int bw = avail >= 90 ? 40 : 24;
    int nw = avail - 2 - bw - 8 - 9 - 3 - 1;
    if (nw < 12)
        nw = 12;
    const char *schema = snapshot_get(s, row, "schema");
    size_t slen = schema ? strlen(schema) : 0;
    push(&l, xstrdup(""));
    push(&l, xasprintf("  %-*s %-*s %8s %9s", nw, "PARTITION", bw, "BOUND", "SIZE", "ROWS~"));
    struct children ch;
    int nchildren = children_open(&ch, snapshot_text(s, row, "children"));
    double now = snapshot_number(s, row, "server_now", now_wall());
    int count = 0;
    for (int i = 0; i < nchildren; i++) {
        double from = children_number(&ch, i, CHILD_FROM), to = children_number(&ch, i, CHILD_TO);
        const char *mark = " ";
        if (!isnan(from) && !isnan(to) && from <= now && now < to)
            mark = ">";
        double size = children_number(&ch, i, CHILD_SIZE);
        if (!isnan(size))
            format_bytes(a, sizeof a, size);
        else
            snprintf(a, sizeof a, "locked");
        double rows = children_number(&ch, i, CHILD_ROWS);
        if (!isnan(rows)) {
            char raw[32];
            snprintf(raw, sizeof raw, "%.0f", rows);
            format_value(b, sizeof b, raw, FORMAT_AS_NUMBER);
        } else
            snprintf(b, sizeof b, "?");
        /* The table's own schema goes without saying. */
        const char *name = json_string_value(children_get(&ch, i, CHILD_NAME));
        if (name && schema && strncmp(name, schema, slen) == 0 && name[slen] == '.')
            name += slen + 1;
        char bound[256];
        derive_short_partition_bound(json_string_value(children_get(&ch, i, CHILD_BOUND)), bound, sizeof bound);
        bool sub = children_true(&ch, i, CHILD_PARTITIONED);
        char *fit_name = draw_fit(ui, name ? name : "?", nw), *fit_bound = draw_fit(ui, bound, bw);
        push(&l, xasprintf("%s %s %s %8s %9s%s", mark, fit_name, fit_bound, a, b, sub ? " (partitioned)" : ""));
        free(fit_name);
        free(fit_bound);
        count++;
    }
    children_close(&ch);
    if (!count)
        push(&l, xstrdup("  no partitions"));
    *n = l.n;
    return l.v;
}

const struct pane_class pane_partitions = {
    .subject = "partitions",
    .help = "Enter: partitions of the table  m: maintenance (create ahead, retention) with a DDL preview",
    .tables = tables,
    .ntables = 1,
    .draw_header = draw_header,
    .details = details,
    .key_field = "oid",
};
