/* The locks pane: who blocks whom (collector "locks", made a tree by the
 * locks subject, subjects/locks.h).  Each root blocker first, the longest
 * wait behind it first, with the sessions waiting behind it under it; a
 * cycle of waits marked.  The cursor starts on the first root.  A row is
 * a session: C cancels its query, K terminates it, as in the queries
 * pane; Enter tells the whole story of the row: its query and the
 * queries of the sessions it waits for, or of those waiting for it. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/sanitize.h"
#include "base/xalloc.h"
#include "draw.h"
#include "table.h"
#include "ui.h"

static const struct column_def columns[] = {
    { "PID",      "tree",          14, false, FORMAT_AS_TEXT },
    { "WAITERS",  "waiters",        7, true,  FORMAT_AS_NUMBER },
    { "WAITED",   "wait",           7, true,  FORMAT_AS_AGE },
    { "LOCK",     "lock_mode",     19, false, FORMAT_AS_TEXT, 70 },
    { "RELATION", "relation",      20, false, FORMAT_AS_TEXT, 90 },
    { "USER",     "username",      10, false, FORMAT_AS_TEXT, 110 },
    { "APP",      "application",   12, false, FORMAT_AS_TEXT, 130 },
    { "STATE",    "state",         11, false, FORMAT_AS_TEXT, 100 },
    { "XACT",     "xact_duration",  7, true,  FORMAT_AS_AGE, 60 },
    { "QUERY",    "query",          0, false, FORMAT_AS_TEXT },
};

/* A cycle is the worst (nothing ends it but deadlock_timeout or an
 * operator); then waits past the threshold, critical at ten times it. */
static int row_style(const struct ui *ui, const struct snapshot *s, int row)
{
    if (snapshot_true(s, row, "cycle"))
        return THEME_ROW_CRIT;
    double limit = ui->app->cfg->alerts.lock_wait_seconds;
    double wait = snapshot_number(s, row, snapshot_get(s, row, "longest_wait") ? "longest_wait" : "wait", 0);
    if (wait > 10 * limit)
        return THEME_ROW_CRIT;
    if (wait > limit)
        return THEME_ROW_WARN;
    return -1;
}

/* The pane shows a blocker and those behind it once one of them has
 * waited SHOWN_WAIT_S: under an OLTP load some session nearly always
 * waits a few ms for a row, and such a wait, gone by the next refresh,
 * made the pane flip between its rows and "none" every second (issue
 * 14: most of the terminal's bytes it did not need).  The same second as
 * the statement that reads the sessions asks before it reads pg_locks
 * (sql/queries/activity.sql), so a row shown has its lock mode and
 * relation.  A cycle is shown at once.  The alert, --once and the agent
 * see every wait. */
#define SHOWN_WAIT_S 1.0

/* The root row of row r: rows come as trees, each root first. */
static int root_of(const struct snapshot *s, int r)
{
    while (r > 0 && snapshot_number(s, r, "depth", 0) > 0)
        r--;
    return r;
}

static bool tree_shown(const struct snapshot *s, int root)
{
    for (int r = root; r < s->nrows && (r == root || snapshot_number(s, r, "depth", 0) > 0); r++)
        if (snapshot_true(s, r, "cycle"))
            return true;
    double wait = snapshot_number(s, root, snapshot_get(s, root, "longest_wait") ? "longest_wait" : "wait", 0);
    return wait >= SHOWN_WAIT_S;
}

static bool row_hidden(const struct ui *ui, const struct snapshot *s, int row)
{
    (void)ui;
    return !tree_shown(s, root_of(s, row));
}

static const struct table_def tables[] = {
    { "locks", columns, sizeof columns / sizeof columns[0], row_style, row_hidden },
};

/* One line: how many block, how many wait and how long, and a cycle. */
static int draw_header(struct ui *ui, struct pane *p, WINDOW *w, int y, int x, int width, int height)
{
    (void)p;
    const struct snapshot *s = collectors_snapshot(ui->app, "locks");
    if (!s || s->error || height < 6)
        return 0;
    int roots = 0, waiting = 0;
    double longest = 0;
    const char *cycle = NULL;
    bool shown = false;
    for (int r = 0; r < s->nrows; r++) {
        if (snapshot_number(s, r, "depth", -1) == 0) {
            shown = tree_shown(s, r);
            if (shown)
                roots++;
        }
        if (!shown)
            continue;
        if (snapshot_true(s, r, "repeated") || !snapshot_get(s, r, "wait"))
            continue;
        waiting++;
        double wait = snapshot_number(s, r, "wait", 0);
        if (wait > longest)
            longest = wait;
        if (!cycle)
            cycle = snapshot_get(s, r, "cycle_path");
    }
    char line[320], took[32];
    if (!roots) {
        snprintf(line, sizeof line, "no session has waited 1 s or more for a lock");
    } else {
        format_seconds(took, sizeof took, longest);
        int n = snprintf(line, sizeof line, "%d waiting behind %d blocker%s, longest %s", waiting, roots,
                         roots == 1 ? "" : "s", took);
        if (cycle && n > 0 && n < (int)sizeof line)
            snprintf(line + n, sizeof line - (size_t)n, "; cycle %s", cycle);
    }
    double limit = ui->app->cfg->alerts.lock_wait_seconds;
    wattrset(w, ATTR(cycle || longest > 10 * limit ? THEME_ALERT_CRIT : longest > limit ? THEME_ALERT : THEME_LABEL));
    mvwhline(w, y, x, ' ', width);
    draw_text(ui, w, y, x, width, line);
    return 1;
}

/* ---- Enter: the story of a row ---------------------------------------------- */

struct story {
    char **lines;
    int    n, cap;
    int    flags;           /* sanitize flags of the terminal */
};

static void say(struct story *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct story *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *line = xvasprintf(fmt, ap);
    va_end(ap);
    if (t->n == t->cap) {
        t->cap = t->cap * 2 + 16;
        t->lines = xrealloc(t->lines, (size_t)t->cap * sizeof *t->lines);
    }
    t->lines[t->n++] = line;
}

/* A session's query, whole, wrapped. */
static void say_query(struct story *t, const struct snapshot *s, int row)
{
    const char *q = snapshot_get(s, row, "query");
    draw_wrap_lines(&t->lines, &t->n, &t->cap, q && *q ? q : "(no query text: another role's session?)",
                    4, t->flags);
}

static void seconds(char *buf, size_t len, const struct snapshot *s, int row, const char *column)
{
    double v = snapshot_number(s, row, column, NAN);
    if (isnan(v))
        snprintf(buf, len, "unknown");
    else
        format_seconds(buf, len, v);
}

/* "idle in transaction, transaction open 12.0s, user app, application x" */
static void say_session(struct story *t, const char *head, const struct snapshot *s, int row)
{
    char xact[32];
    seconds(xact, sizeof xact, s, row, "xact_duration");
    say(t, "%s pid %s: %s, transaction open %s", head, snapshot_text(s, row, "pid"),
        snapshot_get(s, row, "state") ? snapshot_text(s, row, "state") : "state not visible", xact);
    say(t, "    user %s, application '%s', database %s", snapshot_text(s, row, "username"),
        snapshot_text(s, row, "application"), snapshot_text(s, row, "database"));
    if (snapshot_get(s, row, "backend_start"))
        say(t, "    backend started %s", snapshot_text(s, row, "backend_start"));
}

/* "ExclusiveLock on public.lk1 (relation lock), for 12.0s" */
static void say_wait(struct story *t, const char *head, const struct snapshot *s, int row)
{
    char waited[32];
    seconds(waited, sizeof waited, s, row, "wait");
    const char *relation = snapshot_get(s, row, "relation");
    say(t, "%s %s on %s%s (a %s lock), for %s", head, snapshot_text(s, row, "lock_mode"),
        relation ? relation : "no relation", relation && strcmp(snapshot_text(s, row, "lock_type"), "relation") != 0
        ? "'s row" : "", snapshot_text(s, row, "lock_type"), waited);
}

/* The first row of the session with that pid that is not a repeat. */
static int row_of(const struct snapshot *s, const char *pid)
{
    for (int r = 0; r < s->nrows; r++)
        if (strcmp(snapshot_text(s, r, "pid"), pid) == 0 && !snapshot_true(s, r, "repeated"))
            return r;
    return snapshot_find(s, "pid", pid);
}

/* Whether `pid` is in the comma list `list`. */
static bool listed(const char *list, const char *pid)
{
    size_t n = strlen(pid);
    for (const char *p = list; p && *p;) {
        size_t len = strcspn(p, ",");
        if (len == n && strncmp(p, pid, n) == 0)
            return true;
        p += len;
        if (*p == ',')
            p++;
    }
    return false;
}

static char **details(struct ui *ui, struct pane *p, const struct snapshot *s, int row, int *n)
{
    (void)p;
    struct story t = { .flags = ui->ascii ? SANITIZE_ASCII : 0 };
    const char *pid = snapshot_text(s, row, "pid");
    bool waits = snapshot_get(s, row, "wait") != NULL;

    say_session(&t, "session", s, row);
    if (waits)
        say_wait(&t, "waits for", s, row);
    else
        say(&t, "waits for nothing: it holds what the sessions below wait for");
    if (snapshot_get(s, row, "waiters")) {
        char longest[32];
        seconds(longest, sizeof longest, s, row, "longest_wait");
        bool one = strcmp(snapshot_text(s, row, "waiters"), "1") == 0;
        say(&t, "behind it %s session%s wait%s, directly or not, the longest for %s",
            snapshot_text(s, row, "waiters"), one ? "" : "s", one ? "s" : "", longest);
    }
    if (snapshot_true(s, row, "cycle"))
        say(&t, "CYCLE     %s: each waits for the next, so none can go on until deadlock_timeout "
            "cancels one of them, or an operator does (C / K)", snapshot_text(s, row, "cycle_path"));
    if (snapshot_true(s, row, "repeated"))
        say(&t, "(shown in full under an earlier root: it waits behind more than one)");
    say(&t, "%s", "");
    say(&t, "its query:");
    say_query(&t, s, row);

    /* The other side: whom it waits for, or who waits for it. */
    const char *blocked_by = snapshot_get(s, row, "blocked_by");
    for (const char *b = blocked_by; b && *b;) {
        size_t len = strcspn(b, ",");
        char other[32];
        snprintf(other, sizeof other, "%.*s", (int)(len < 31 ? len : 31), b);
        b += len;
        if (*b == ',')
            b++;
        int o = row_of(s, other);
        say(&t, "%s", "");
        if (o < 0) {
            say(&t, "it waits for pid %s, which has ended or is not visible", other);
            continue;
        }
        say_session(&t, "it waits for", s, o);
        if (snapshot_get(s, o, "wait"))
            say_wait(&t, "    which itself waits for", s, o);
        say(&t, "    its query:");
        say_query(&t, s, o);
    }
    for (int r = 0; r < s->nrows; r++) {
        if (snapshot_true(s, r, "repeated") || !listed(snapshot_get(s, r, "blocked_by"), pid))
            continue;
        say(&t, "%s", "");
        say_session(&t, "waiting for it:", s, r);
        say_wait(&t, "    wants", s, r);
        say(&t, "    its query:");
        say_query(&t, s, r);
    }
    *n = t.n;
    return t.lines;
}

const struct pane_class pane_locks = {
    .subject = "locks",
    .help = "Enter: the whole story (both sides' queries, lock, relation, waits)  C: cancel the selected "
            "session's query  K: terminate it",
    .tables = tables,
    .ntables = 1,
    .draw_header = draw_header,
    .details = details,
    /* A session may be shown under two roots: the root tells the rows apart. */
    .key_field = "root,pid,backend_start",
};
