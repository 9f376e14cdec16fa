/* The queries pane.  Live sessions from pg_stat_activity (collector
 * "activity"), and with `t` the statement statistics from
 * pg_stat_statements (collector "statements").  Slow queries (over the
 * slow-query threshold) and sessions idle in a transaction stand out. */
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "subjects/host.h"
#include "subjects/queries.h"
#include "base/sanitize.h"
#include "draw.h"
#include "overlay.h"
#include "table.h"
#include "ui.h"
#include "base/xalloc.h"

static const struct column_def activity_columns[] = {
    { "PID",      "pid",         7, true,  FORMAT_AS_TEXT },
    { "DATABASE", "database",   12, false, FORMAT_AS_TEXT, 100 },
    { "USER",     "username",   10, false, FORMAT_AS_TEXT, 90 },
    { "APP",      "application", 12, false, FORMAT_AS_TEXT, 120 },
    { "CLIENT",   "client",     15, false, FORMAT_AS_TEXT, 140 },
    { "STATE",    "state",      11, false, FORMAT_AS_TEXT },
    { "WAIT",     "wait",       16, false, FORMAT_AS_TEXT, 110 },
    { "BLOCKED",  "blocked_by",  9, false, FORMAT_AS_TEXT, 70 },
    { "DURATION", "duration",    9, true,  FORMAT_AS_AGE },
    /* pg_stat_progress_*: "VACUUM 45%", blank for most sessions: the
     * column is there only while some session reports progress. */
    { "PROGRESS", "progress",   16, false, FORMAT_AS_TEXT, 100, true },
    /* From /proc when pgdeck runs on the database host (subjects/host.h);
     * blank otherwise.  CPU% still leaves the query 30 columns at 80 and
     * at 150; memory and I/O come in where the query keeps 50 or more. */
    { "CPU%",     "cpu_percent", 6, true,  FORMAT_AS_PERCENT_WHOLE, 78 },
    { "RSS",      "rss",         7, true,  FORMAT_AS_BYTES, 170 },
    { "READ/s",   "read_bps",    8, true,  FORMAT_AS_BYTES, 190 },
    { "WRITE/s",  "write_bps",   8, true,  FORMAT_AS_BYTES, 190 },
    { "QUERY",    "query",       0, false, FORMAT_AS_TEXT },
};

static const struct column_def statement_columns[] = {
    { "CALLS",    "calls",          10, true,  FORMAT_AS_NUMBER },
    { "TOTAL",    "total_exec_time", 10, true, FORMAT_AS_MS },
    { "MEAN",     "mean_exec_time",  9, true,  FORMAT_AS_MS },
    { "ROWS",     "rows",           10, true,  FORMAT_AS_NUMBER, 90 },
    { "HIT%",     "hit_percent",     7, true,  FORMAT_AS_PERCENT, 80 },
    { "DATABASE", "database",       12, false, FORMAT_AS_TEXT, 120 },
    { "QUERY",    "query",           0, false, FORMAT_AS_TEXT },
};

static int activity_style(const struct ui *ui, const struct snapshot *s, int row)
{
    double slow = ui->app->cfg->alerts.slow_query_ms / 1000.0;
    const char *state = snapshot_get(s, row, "state");
    double d = snapshot_number(s, row, "duration", 0);
    const char *blocked = snapshot_get(s, row, "blocked_by");
    /* A session blocked for less than the slow threshold is a busy OLTP's
     * ordinary row-lock wait (pgbench's branches: several a second): its
     * BLOCKED and WAIT cells say so, and the whole row turns critical
     * only once the wait has lasted; marking every short wait rewrote
     * the row twice, on and off, at nearly every refresh (issue 14: a
     * third of the queries pane's terminal bytes under pgbench -c 8). */
    if (blocked && *blocked && d > slow)
        return THEME_ROW_CRIT;
    if (state && strncmp(state, "idle in transaction", 19) == 0 && d > slow)
        return THEME_ROW_WARN;
    if (state && strcmp(state, "active") == 0 && d > slow)
        return d > 10 * slow ? THEME_ROW_CRIT : THEME_ROW_WARN;
    return -1;
}

static int statement_style(const struct ui *ui, const struct snapshot *s, int row)
{
    double mean = snapshot_number(s, row, "mean_exec_time", 0);
    return mean > ui->app->cfg->alerts.slow_query_ms ? THEME_ROW_WARN : -1;
}

static const struct table_def tables[] = {
    { "activity", activity_columns, sizeof activity_columns / sizeof activity_columns[0], activity_style, NULL },
    { "statements", statement_columns, sizeof statement_columns / sizeof statement_columns[0], statement_style, NULL },
};

static int key(struct ui *ui, struct pane *p, int ch)
{
    if (ch == 't') {
        p->mode = !p->mode;
        /* pg_stat_statements is read often only while it is shown. */
        collector_want(ui->app, "statements", p->mode == 1);
        table_state_free(&p->table);
        p->table.sort_column = -1;
        return KEY_HANDLED | KEY_REDRAW;
    }
    return KEY_IGNORED;
}

/* The host line: load, CPU, memory, disks and the forecast, as many
 * pieces as fit on one line (most important first); or why there are
 * none. */
static int draw_header(struct ui *ui, struct pane *p, WINDOW *w, int y, int x, int width, int height)
{
    (void)p;
    /* Room for the column titles and a row beside it: the layout sizes
     * the pane by what it wants (this line counted), so a list of one
     * row still has its host line. */
    if (height < 3)
        return 0;
    struct host_piece pieces[16];
    int n = host_summary(ui->app, pieces, 16);
    /* Choose by priority, long form if it fits, else the short one; then
     * draw what was chosen in reading order. */
    const char *chosen[16] = { NULL };
    int room = width;
    for (int pri = 0; pri <= 16; pri++) {
        for (int i = 0; i < n; i++) {
            if (pieces[i].priority != pri)
                continue;
            int need = room < width ? 2 : 0;
            int full = sanitize_width(pieces[i].text), brief = sanitize_width(pieces[i].short_text);
            if (need + full <= room || (n == 1 && room == width))
                chosen[i] = pieces[i].text;
            else if (*pieces[i].short_text && need + brief <= room)
                chosen[i] = pieces[i].short_text;
            if (chosen[i])
                room -= need + sanitize_width(chosen[i]);
        }
    }
    wattrset(w, ATTR(THEME_NORMAL));
    mvwhline(w, y, x, ' ', width);
    int used = 0;
    for (int i = 0; i < n; i++) {
        if (!chosen[i])
            continue;
        int gap = used ? 2 : 0;
        int e = pieces[i].level < 0 ? THEME_DIM : pieces[i].level == 2 ? THEME_ALERT_CRIT
              : pieces[i].level == 1 ? THEME_ALERT : THEME_VALUE;
        wattrset(w, ATTR(e));
        used += gap + draw_text(ui, w, y, x + used + gap, width - used - gap, chosen[i]);
    }
    return 1;
}

/* The host figures of a session, or why there are none. */
static void add_host_lines(struct ui *ui, char ***lines, int *n, int *cap, const char *pid)
{
    if (*n + 6 >= *cap) {
        *cap = *cap * 2 + 6;
        *lines = xrealloc(*lines, (size_t)*cap * sizeof **lines);
    }
    const char *why = host_unavailable(ui->app);
    if (why) {
        (*lines)[(*n)++] = xasprintf("%-18s %s", "host", *why ? why : "waiting for data...");
        return;
    }
    const struct snapshot *b = collectors_snapshot(ui->app, "backends");
    int r = pid ? snapshot_find(b, "pid", pid) : -1;
    if (r < 0) {
        (*lines)[(*n)++] = xasprintf("%-18s %s", "host", "this session is not in /proc (yet)");
        return;
    }
    char cpu[32], rss[32], shared[32], rd[32], wr[32];
    format_value(cpu, sizeof cpu, snapshot_get(b, r, "cpu_percent"), FORMAT_AS_PERCENT);
    format_value(rss, sizeof rss, snapshot_get(b, r, "rss"), FORMAT_AS_BYTES);
    format_value(shared, sizeof shared, snapshot_get(b, r, "shared_memory"), FORMAT_AS_BYTES);
    format_value(rd, sizeof rd, snapshot_get(b, r, "read_bps"), FORMAT_AS_BYTES);
    format_value(wr, sizeof wr, snapshot_get(b, r, "write_bps"), FORMAT_AS_BYTES);
    (*lines)[(*n)++] = xasprintf("%-18s %s", "cpu", *cpu ? cpu : "(measured from the next refresh)");
    if (*shared)
        (*lines)[(*n)++] = xasprintf("%-18s %s (%s of it shared: buffers and server memory)",
                                     "resident memory", rss, shared);
    else
        (*lines)[(*n)++] = xasprintf("%-18s %s", "resident memory", rss);
    if (snapshot_true(b, r, "io_readable"))
        (*lines)[(*n)++] = xasprintf("%-18s read %s/s, write %s/s (storage, not page cache)", "i/o",
                                     *rd ? rd : "-", *wr ? wr : "-");
    else
        (*lines)[(*n)++] = xasprintf("%-18s %s", "i/o", "unreadable: /proc/PID/io needs root or the server's user");
}

/* A live query's figures in pg_stat_statements: its text matched with the
 * statements' by fingerprint (subjects/queries.h), constants or not. */
static void add_statement_lines(struct ui *ui, char ***lines, int *n, int *cap, const struct snapshot *s, int row)
{
    if (*n + 2 >= *cap) {
        *cap = *cap * 2 + 2;
        *lines = xrealloc(*lines, (size_t)*cap * sizeof **lines);
    }
    const struct snapshot *st = collectors_snapshot(ui->app, "statements");
    if (!st || st->error) {
        (*lines)[(*n)++] = xasprintf("%-18s %s", "statement", st && st->error ? "pg_stat_statements is not readable"
                                                                           : "waiting for pg_stat_statements...");
        return;
    }
    /* By query_id first (compute_query_id): the very statement; else its
     * text's fingerprint. */
    const char *qid = snapshot_get(s, row, "query_id");
    int r = -1;
    bool by_id = false;
    for (int k = 0; qid && *qid && strcmp(qid, "0") != 0 && k < st->nrows && r < 0; k++) {
        const char *id = snapshot_get(st, k, "queryid"), *db = snapshot_get(st, k, "database");
        const char *mydb = snapshot_get(s, row, "database");
        if (id && strcmp(id, qid) == 0 && (!db || !mydb || strcmp(db, mydb) == 0))
            r = k, by_id = true;
    }
    if (r < 0)
        r = statements_find(st, snapshot_get(s, row, "query"), snapshot_get(s, row, "database"),
                            snapshot_get(s, row, "username"));
    if (r < 0) {
        (*lines)[(*n)++] = xasprintf("%-18s %s", "statement", r == -2
                                     ? "its text does not parse (cut at track_activity_query_size?): no figures"
                                     : "not among pg_stat_statements' busiest 500 (yet)");
        return;
    }
    char calls[32], mean[32], total[32], rows[32];
    format_value(calls, sizeof calls, snapshot_get(st, r, "calls"), FORMAT_AS_NUMBER);
    format_value(mean, sizeof mean, snapshot_get(st, r, "mean_exec_time"), FORMAT_AS_MS);
    format_value(total, sizeof total, snapshot_get(st, r, "total_exec_time"), FORMAT_AS_MS);
    format_value(rows, sizeof rows, snapshot_get(st, r, "rows"), FORMAT_AS_NUMBER);
    (*lines)[(*n)++] = xasprintf("%-18s calls %s, mean %s, total %s, rows %s, hit %s%% (%s)", "statement", calls, mean,
                                 total, rows, snapshot_text(st, r, "hit_percent"),
                                 by_id ? "by query_id" : "matched by its text's fingerprint");
}

/* The session's transaction and query ages, its progress and its locks
 * (the activity query's progress_* and locks).  A refresh does not read
 * the sessions' locks (issue 14): they are asked for now, and the details
 * are made again when they come. */
static void add_session_lines(struct ui *ui, char ***lines, int *n, int *cap, const struct snapshot *s, int row)
{
    const char *text = snapshot_get(s, row, "locks");
    json_t *locks = json_loads(text ? text : "[]", 0, NULL);
    size_t nl = json_array_size(locks);
    if (*n + 6 + (int)nl >= *cap) {
        *cap = *cap * 2 + 6 + (int)nl;
        *lines = xrealloc(*lines, (size_t)*cap * sizeof **lines);
    }
    char q[32], x[32];
    format_value(q, sizeof q, snapshot_get(s, row, "duration"), FORMAT_AS_SECONDS);
    format_value(x, sizeof x, snapshot_get(s, row, "xact_duration"), FORMAT_AS_SECONDS);
    (*lines)[(*n)++] = xasprintf("%-18s query %s, transaction %s", "ages", *q ? q : "-", *x ? x : "-");
    if (snapshot_get(s, row, "progress_command"))
        (*lines)[(*n)++] = xasprintf("%-18s %s%s%s%s%s", "progress", snapshot_text(s, row, "progress"),
                                     snapshot_get(s, row, "progress_phase") ? ", " : "",
                                     snapshot_text(s, row, "progress_phase"),
                                     snapshot_get(s, row, "progress_relation") ? " on " : "",
                                     snapshot_text(s, row, "progress_relation"));
    int waits = 0, held = 0;
    size_t i;
    json_t *l;
    json_array_foreach(locks, i, l) {
        bool granted = json_is_true(json_object_get(l, "granted"));
        const char *rel = json_string_value(json_object_get(l, "relation"));
        const char *type = json_string_value(json_object_get(l, "locktype"));
        const char *mode = json_string_value(json_object_get(l, "mode"));
        /* A transaction's own ids are no news: the relations and what it waits for are. */
        if (granted && type && (strcmp(type, "virtualxid") == 0 || strcmp(type, "transactionid") == 0))
            continue;
        char *text = sanitize(rel ? rel : type ? type : "?", 0);
        (*lines)[(*n)++] = xasprintf("%-18s %s %s", granted ? (held++ ? "" : "locks held") : (waits++ ? "" : "WAITS for"),
                                     mode ? mode : "?", text);
        free(text);
    }
    if (!text && !ui->app->fed) {
        overlay_details_wait(ui, "activity");
        (*lines)[(*n)++] = xasprintf("%-18s %s", "locks",
                                     ui->app->paused ? "read at the next refresh (paused: p resumes)" : "reading...");
    } else if (!text)
        (*lines)[(*n)++] = xasprintf("%-18s %s", "locks", "not in the agent's snapshot");
    else if (!held && !waits)
        (*lines)[(*n)++] = xasprintf("%-18s %s", "locks", "none besides its own transaction");
    json_decref(locks);
}

/* Fields of a session that no column shows, written as the columns write
 * theirs. */
static const struct column_def detail_fields[] = {
    { "XACT",     "xact_duration", 0, true, FORMAT_AS_SECONDS },
};

static bool host_column(const char *name)
{
    return strcmp(name, "cpu_percent") == 0 || strcmp(name, "rss") == 0 ||
           strcmp(name, "read_bps") == 0 || strcmp(name, "write_bps") == 0;
}

/* Enter: every field, then the whole query text as it was written. */
static char **details(struct ui *ui, struct pane *p, const struct snapshot *s, int row, int *n)
{
    int cap = 64;
    char **lines = xcalloc((size_t)cap, sizeof *lines);
    *n = 0;
    for (int c = 0; c < s->ncols; c++) {
        if (strcmp(s->columns[c], "query") == 0 || host_column(s->columns[c]) ||
            strcmp(s->columns[c], "locks") == 0 || strncmp(s->columns[c], "progress", 8) == 0)
            continue;
        const char *v = snapshot_cell(s, row, c);
        if (*n == cap) {
            cap *= 2;
            lines = xrealloc(lines, (size_t)cap * sizeof *lines);
        }
        char buf[256];
        table_format_field(p->cls, detail_fields, sizeof detail_fields / sizeof detail_fields[0],
                           s->columns[c], v, buf, sizeof buf);
        lines[(*n)++] = xasprintf("%-18s %s", s->columns[c], buf);
    }
    if (p->mode == 0) {
        add_session_lines(ui, &lines, n, &cap, s, row);
        add_statement_lines(ui, &lines, n, &cap, s, row);
        add_host_lines(ui, &lines, n, &cap, snapshot_get(s, row, "pid"));
    }
    if (*n + 2 >= cap) {
        cap *= 2;
        lines = xrealloc(lines, (size_t)cap * sizeof *lines);
    }
    lines[(*n)++] = xstrdup("");
    lines[(*n)++] = xstrdup("query:");
    const char *q = snapshot_get(s, row, "query");
    draw_wrap_lines(&lines, n, &cap, q, 2, ui->ascii ? SANITIZE_ASCII : 0);
    return lines;
}

/* The host line above the table is the host subject's (host_summary). */
static const char *const reads[] = { "host", NULL };

const struct pane_class pane_queries = {
    .subject = "queries",
    .reads = reads,
    .help = "t: live activity / pg_stat_statements  Enter: the session's story (e explains from there)  e: explain  C: cancel  K: terminate",
    .tables = tables,
    .ntables = 2,
    .draw_header = draw_header,
    .key = key,
    .details = details,
    .key_field = "pid,backend_start",
};
