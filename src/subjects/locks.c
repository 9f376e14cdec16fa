/* The locks subject: who blocks whom.
 *   locks   the sessions that wait for a lock behind another and those
 *           they wait behind (sql/queries/locks.sql), made into a tree
 *           here (derive_locks, see locks.h);
 * the lock-wait alert; and C / K on any row's session, with the queries
 * subject's own action rows (the same gate, confirmation and journal).
 *
 * The tree is made in C rather than in a recursive SQL query: the edges
 * (pid -> the pids it waits for) are all the server has to give, the
 * query stays one cheap read, and the walk, its cycles and its order are
 * tested on hand-made snapshots.  Every walk marks what it has visited, so
 * a cycle of waits is found (Tarjan's strongly connected components) and
 * shown once, never followed round. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alerts.h"
#include "core/app.h"
#include "core/collector.h"
#include "core/config.h"
#include "core/subject.h"
#include "subjects/locks.h"
#include "subjects/queries.h"
#include "base/xalloc.h"

/* Indent levels the label shows; deeper rows keep the last one (depth
 * says how deep). */
#define LABEL_LEVELS 8
/* Pids a cycle_path names before it says "... (N sessions)". */
#define CYCLE_PIDS 16

/* ---- the graph ------------------------------------------------------------ */

/* A waiter as its blocker lists it, with what orders the list. */
struct edge {
    int    node;
    int    pid;
    double wait;            /* the waiter's, NAN when unknown */
};

struct node {
    int    row;             /* in the query's snapshot */
    int    pid;
    double wait;            /* seconds it has waited, NAN when it does not wait */
    int   *blockers;        /* nodes it waits for */
    int    nblockers;
    struct edge *waiters;   /* nodes waiting for it, longest wait first */
    int    nwaiters;
    bool   cycle;           /* in a cycle of waits */
    int    component;       /* its strongly connected component (a node's index) */
    bool   shown;           /* placed under an earlier root */
    /* Tarjan's walk */
    int    index, low;
    bool   on_stack;
    /* the walk of one root: when last met and when placed in its tree (a
     * group number each), and how deep */
    int    met, tree, depth;
    int    first_child, last_child, next_sibling;   /* tree of this root */
    int    first_repeat, last_repeat;               /* repeats under it */
};

struct graph {
    struct node *nodes;
    int    n;
    int   *by_pid;          /* nodes sorted by pid, for look-ups */
    /* Tarjan */
    int   *stack;
    int    sp, next_index;
    /* repeated rows of the current root: (node, next) in a pool */
    struct { int node, next; } *repeats;
    int    nrepeats, cap_repeats;
};

static int graph_find(const struct graph *g, int pid)
{
    int lo = 0, hi = g->n - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        int p = g->nodes[g->by_pid[mid]].pid;
        if (p == pid)
            return g->by_pid[mid];
        if (p < pid)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return -1;
}

/* qsort has no context: the pids are copied next to the indexes. */
struct pid_index {
    int pid, node;
};

static int compare_pid_index(const void *a, const void *b)
{
    const struct pid_index *x = a, *y = b;
    return x->pid < y->pid ? -1 : x->pid > y->pid ? 1 : x->node - y->node;
}

/* Longest wait first (unknown last), then the lower pid. */
static int compare_edges(const void *a, const void *b)
{
    const struct edge *x = a, *y = b;
    bool xn = isnan(x->wait), yn = isnan(y->wait);
    if (xn != yn)
        return xn ? 1 : -1;
    if (!xn && x->wait != y->wait)
        return x->wait > y->wait ? -1 : 1;
    return x->pid < y->pid ? -1 : x->pid > y->pid ? 1 : 0;
}

static void graph_build(struct graph *g, const struct snapshot *s)
{
    memset(g, 0, sizeof *g);
    g->n = s->nrows;
    g->nodes = xcalloc((size_t)(g->n ? g->n : 1), sizeof *g->nodes);
    g->by_pid = xcalloc((size_t)(g->n ? g->n : 1), sizeof *g->by_pid);
    g->stack = xcalloc((size_t)(g->n ? g->n : 1), sizeof *g->stack);
    struct pid_index *order = xcalloc((size_t)(g->n ? g->n : 1), sizeof *order);
    for (int i = 0; i < g->n; i++) {
        struct node *x = &g->nodes[i];
        x->row = i;
        x->pid = (int)snapshot_number(s, i, "pid", -1);
        x->wait = snapshot_number(s, i, "wait", NAN);
        x->index = -1;
        x->met = x->tree = -1;
        order[i] = (struct pid_index){ x->pid, i };
    }
    qsort(order, (size_t)g->n, sizeof *order, compare_pid_index);
    for (int i = 0; i < g->n; i++)
        g->by_pid[i] = order[i].node;
    free(order);

    /* Edges: blocked_by, each pid once, pids that have no row (the query
     * gives every blocker one, but a session may end between its reads)
     * and the session itself left out. */
    int col = snapshot_column(s, "blocked_by");
    for (int i = 0; i < g->n; i++) {
        struct node *x = &g->nodes[i];
        const char *list = snapshot_cell(s, i, col);
        for (const char *p = list; p && *p;) {
            char *end;
            long pid = strtol(p, &end, 10);
            if (end == p)
                break;
            int b = graph_find(g, (int)pid);
            bool dup = b < 0 || b == i;
            for (int k = 0; k < x->nblockers && !dup; k++)
                dup = x->blockers[k] == b;
            if (!dup) {
                x->blockers = xrealloc(x->blockers, (size_t)(x->nblockers + 1) * sizeof *x->blockers);
                x->blockers[x->nblockers++] = b;
                struct node *y = &g->nodes[b];
                y->waiters = xrealloc(y->waiters, (size_t)(y->nwaiters + 1) * sizeof *y->waiters);
                y->waiters[y->nwaiters++] = (struct edge){ i, x->pid, x->wait };
            }
            p = *end == ',' ? end + 1 : end;
        }
    }
    for (int i = 0; i < g->n; i++)
        if (g->nodes[i].nwaiters > 1)
            qsort(g->nodes[i].waiters, (size_t)g->nodes[i].nwaiters, sizeof (struct edge), compare_edges);
}

static void graph_free(struct graph *g)
{
    for (int i = 0; i < g->n; i++) {
        free(g->nodes[i].blockers);
        free(g->nodes[i].waiters);
    }
    free(g->nodes);
    free(g->by_pid);
    free(g->stack);
    free(g->repeats);
}

/* Tarjan's strongly connected components over "waits for": a component of
 * two or more sessions is a cycle of waits.  Recursion is as deep as the
 * longest path, at most one frame per session shown. */
static void tarjan_visit(struct graph *g, int v)
{
    struct node *x = &g->nodes[v];
    x->index = x->low = g->next_index++;
    g->stack[g->sp++] = v;
    x->on_stack = true;
    for (int k = 0; k < x->nblockers; k++) {
        struct node *y = &g->nodes[x->blockers[k]];
        if (y->index < 0) {
            tarjan_visit(g, x->blockers[k]);
            if (y->low < x->low)
                x->low = y->low;
        } else if (y->on_stack && y->index < x->low) {
            x->low = y->index;
        }
    }
    if (x->low != x->index)
        return;
    int size = 0, top = g->sp;
    do {
        size++;
        top--;
    } while (g->stack[top] != v);
    for (int k = top; k < g->sp; k++) {
        g->nodes[g->stack[k]].on_stack = false;
        g->nodes[g->stack[k]].cycle = size > 1;
        g->nodes[g->stack[k]].component = v;
    }
    g->sp = top;
}

static void graph_find_cycles(struct graph *g)
{
    for (int i = 0; i < g->n; i++)
        if (g->nodes[i].index < 0)
            tarjan_visit(g, i);
}

/* "590 > 592 > 590": the shortest cycle of waits through v (breadth first
 * along "waits for", inside v's component), for the pane and the JSON.
 * `queue` and `pred` are the caller's (n entries each); `group` marks what
 * this search met.  Caller frees. */
static char *cycle_path(struct graph *g, int v, int group, int *queue, int *pred)
{
    int head = 0, tail = 0, last = -1;
    queue[tail++] = v;
    g->nodes[v].met = group;
    pred[v] = -1;
    while (head < tail && last < 0) {
        int x = queue[head++];
        for (int k = 0; k < g->nodes[x].nblockers && last < 0; k++) {
            int y = g->nodes[x].blockers[k];
            if (y == v)
                last = x;
            else if (g->nodes[y].component == g->nodes[v].component && g->nodes[y].met != group) {
                g->nodes[y].met = group;
                pred[y] = x;
                queue[tail++] = y;
            }
        }
    }
    /* The path is v ... last, read backwards from last; a long one is
     * cut after CYCLE_PIDS pids (every row of it would carry it whole). */
    int len = 0;
    for (int x = last; x >= 0; x = pred[x])
        queue[len++] = x;
    char text[CYCLE_PIDS * 14 + 48];
    size_t used = 0;
    for (int k = len - 1; k >= 0 && k >= len - CYCLE_PIDS; k--)
        used += (size_t)snprintf(text + used, sizeof text - used, "%d > ", g->nodes[queue[k]].pid);
    if (len > CYCLE_PIDS)
        snprintf(text + used, sizeof text - used, "... (%d sessions)", len);
    else
        snprintf(text + used, sizeof text - used, "%d", g->nodes[v].pid);
    return xstrdup(text);
}

/* ---- one root's walk ---------------------------------------------------- */

/* Everything waiting behind `root`, breadth first (`group` marks what was
 * met): how many, and the longest wait among them (the root's own when it
 * waits, as in a cycle); and unless `count_only`, the tree to show.  A
 * session not shown under an earlier root hangs under the first session
 * of this tree it waits for, on a shortest path from the root; one shown
 * earlier is listed once as a repeat under the first session of this tree
 * that meets it, and not expanded: all that waits behind it was shown with
 * it (a walk shows everything it meets), and is only counted here.  The
 * queue is the caller's (n entries). */
static void walk(struct graph *g, int root, int group, bool count_only, int *queue, int *count, double *longest)
{
    int head = 0, tail = 0;
    struct node *r = &g->nodes[root];
    r->met = r->tree = group;
    r->depth = 0;
    r->first_child = r->last_child = r->first_repeat = r->last_repeat = -1;
    queue[tail++] = root;
    *count = 0;
    *longest = r->wait;
    while (head < tail) {
        int v = queue[head++];
        struct node *x = &g->nodes[v];
        bool in_tree = !count_only && x->tree == group;
        for (int k = 0; k < x->nwaiters; k++) {
            int w = x->waiters[k].node;
            struct node *y = &g->nodes[w];
            if (y->met == group)
                continue;
            y->met = group;
            queue[tail++] = w;
            (*count)++;
            if (!isnan(y->wait) && (isnan(*longest) || y->wait > *longest))
                *longest = y->wait;
            if (!in_tree)
                continue;
            if (y->shown) {
                if (g->nrepeats == g->cap_repeats) {
                    g->cap_repeats = g->cap_repeats ? g->cap_repeats * 2 : 16;
                    g->repeats = xrealloc(g->repeats, (size_t)g->cap_repeats * sizeof *g->repeats);
                }
                g->repeats[g->nrepeats].node = w;
                g->repeats[g->nrepeats].next = -1;
                if (x->last_repeat >= 0)
                    g->repeats[x->last_repeat].next = g->nrepeats;
                else
                    x->first_repeat = g->nrepeats;
                x->last_repeat = g->nrepeats++;
                continue;
            }
            y->tree = group;
            y->depth = x->depth + 1;
            y->first_child = y->last_child = y->next_sibling = -1;
            y->first_repeat = y->last_repeat = -1;
            if (x->last_child >= 0)
                g->nodes[x->last_child].next_sibling = w;
            else
                x->first_child = w;
            x->last_child = w;
        }
    }
}

/* ---- the tree as rows ----------------------------------------------------- */

#define TREE_COLUMNS 9
static const char *const tree_columns[TREE_COLUMNS] = {
    "tree", "depth", "root", "parent", "waiters", "longest_wait", "cycle", "cycle_path", "repeated",
};

struct rows {
    const struct snapshot *in;
    struct snapshot *out;
    int   *from;            /* out column -> in column, -1 for the tree's */
    const char **values;    /* one row being assembled */
    char **paths;           /* cycle_path of each node, or NULL */
};

static void add_row(struct rows *r, const struct graph *g, int v, int depth, int root, int parent, bool repeated,
                    int waiters, double longest)
{
    const struct node *x = &g->nodes[v];
    /* "| | 4244": the table folds runs of blanks into one, so a level is
     * drawn with a bar, in ASCII, which any terminal shows. */
    char label[2 * LABEL_LEVELS + 40], d[16], rt[16], pa[16], wa[16], lw[32];
    int len = 0;
    for (int k = 0; k < depth && k < LABEL_LEVELS; k++)
        len += snprintf(label + len, sizeof label - (size_t)len, "| ");
    snprintf(label + len, sizeof label - (size_t)len, "%d%s%s", x->pid, x->cycle ? " cycle" : "",
             repeated ? " (above)" : "");
    snprintf(d, sizeof d, "%d", depth);
    snprintf(rt, sizeof rt, "%d", g->nodes[root].pid);
    snprintf(pa, sizeof pa, "%d", parent >= 0 ? g->nodes[parent].pid : 0);
    snprintf(wa, sizeof wa, "%d", waiters);
    snprintf(lw, sizeof lw, "%.3f", longest);
    const char *tree[TREE_COLUMNS] = {
        label, d, rt, parent >= 0 ? pa : NULL, waiters >= 0 ? wa : NULL,
        waiters >= 0 && !isnan(longest) ? lw : NULL, x->cycle ? "t" : "f", r->paths[v], repeated ? "t" : "f",
    };
    for (int c = 0; c < r->out->ncols; c++)
        r->values[c] = r->from[c] < 0 ? tree[c] : snapshot_cell(r->in, x->row, r->from[c]);
    snapshot_add_row(r->out, r->values);
}

/* Rows of v's subtree, depth first in the order walk() built it: each
 * session, then what waits behind it, then its repeats. */
static void add_subtree(struct rows *r, struct graph *g, int v, int root, int parent, int waiters, double longest)
{
    struct node *x = &g->nodes[v];
    add_row(r, g, v, x->depth, root, parent, false, waiters, longest);
    x->shown = true;
    for (int c = x->first_child; c >= 0; c = g->nodes[c].next_sibling)
        add_subtree(r, g, c, root, v, -1, NAN);
    for (int k = x->first_repeat; k >= 0; k = g->repeats[k].next)
        add_row(r, g, g->repeats[k].node, x->depth + 1, root, v, true, -1, NAN);
}

/* A root in the order shown: the longest wait behind it first. */
struct root {
    int    node, pid, waiters;
    double longest;
};

static int compare_roots(const void *a, const void *b)
{
    const struct root *x = a, *y = b;
    bool xn = isnan(x->longest), yn = isnan(y->longest);
    if (xn != yn)
        return xn ? 1 : -1;
    if (!xn && x->longest != y->longest)
        return x->longest > y->longest ? -1 : 1;
    if (x->waiters != y->waiters)
        return x->waiters > y->waiters ? -1 : 1;
    return x->pid < y->pid ? -1 : x->pid > y->pid ? 1 : 0;
}

/* The new table's rows and columns take the place of the old in `s`,
 * which keeps its name, times and references. */
static void take_rows(struct snapshot *s, struct snapshot *from)
{
    struct snapshot old = *s;
    s->ncols = from->ncols;
    s->nrows = from->nrows;
    s->cap_rows = from->cap_rows;
    s->columns = from->columns;
    s->cells = from->cells;
    s->arena = from->arena;
    s->arena_len = from->arena_len;
    /* The old cells go with the block that holds them (snapshot.h). */
    from->ncols = old.ncols;
    from->nrows = old.nrows;
    from->cap_rows = old.cap_rows;
    from->columns = old.columns;
    from->cells = old.cells;
    from->arena = old.arena;
    from->arena_len = old.arena_len;
    snapshot_unref(from);
}

void derive_locks(struct app *app, struct snapshot *now, const struct snapshot *prev)
{
    (void)app;
    (void)prev;
    struct graph g;
    graph_build(&g, now);
    graph_find_cycles(&g);

    /* The columns: the tree's, then the query's (a query column of the
     * same name as a tree column is left out). */
    struct rows r = { .in = now };
    int ncols = TREE_COLUMNS;
    const char **names = xcalloc((size_t)(TREE_COLUMNS + now->ncols), sizeof *names);
    r.from = xcalloc((size_t)(TREE_COLUMNS + now->ncols), sizeof *r.from);
    for (int c = 0; c < TREE_COLUMNS; c++) {
        names[c] = tree_columns[c];
        r.from[c] = -1;
    }
    for (int c = 0; c < now->ncols; c++) {
        bool taken = false;
        for (int k = 0; k < TREE_COLUMNS && !taken; k++)
            taken = strcmp(now->columns[c], tree_columns[k]) == 0;
        if (taken)
            continue;
        names[ncols] = now->columns[c];
        r.from[ncols++] = c;
    }
    r.out = snapshot_new(now->source, ncols, names);
    r.values = xcalloc((size_t)ncols, sizeof *r.values);
    free(names);

    int *queue = xcalloc((size_t)(g.n ? g.n : 1), sizeof *queue);
    int *pred = xcalloc((size_t)(g.n ? g.n : 1), sizeof *pred);
    struct root *roots = xcalloc((size_t)(g.n ? g.n : 1), sizeof *roots);
    int nroots = 0, group = 0;
    r.paths = xcalloc((size_t)(g.n ? g.n : 1), sizeof *r.paths);
    for (int i = 0; i < g.n; i++)
        if (g.nodes[i].cycle)
            r.paths[i] = cycle_path(&g, i, group++, queue, pred);
    for (int i = 0; i < g.n; i++) {
        if (g.nodes[i].nblockers)
            continue;
        struct root *rt = &roots[nroots++];
        rt->node = i;
        rt->pid = g.nodes[i].pid;
        walk(&g, i, group++, true, queue, &rt->waiters, &rt->longest);
    }
    qsort(roots, (size_t)nroots, sizeof *roots, compare_roots);
    for (int k = 0; k < nroots; k++) {
        int count;
        double longest;
        walk(&g, roots[k].node, group++, false, queue, &count, &longest);
        add_subtree(&r, &g, roots[k].node, roots[k].node, -1, count, longest);
    }
    /* What no root leads to waits in a cycle, or behind one: each cycle
     * from its lowest pid (by_pid is in pid order). */
    for (int k = 0; k < g.n; k++) {
        int v = g.by_pid[k];
        if (g.nodes[v].shown || !g.nodes[v].cycle)
            continue;
        int count;
        double longest;
        walk(&g, v, group++, false, queue, &count, &longest);
        add_subtree(&r, &g, v, v, -1, count, longest);
    }
    /* Nothing should be left; should a session be, it is shown as a root
     * of its own rather than lost. */
    for (int k = 0; k < g.n; k++) {
        int v = g.by_pid[k];
        if (g.nodes[v].shown)
            continue;
        int count;
        double longest;
        walk(&g, v, group++, false, queue, &count, &longest);
        add_subtree(&r, &g, v, v, -1, count, longest);
    }
    for (int i = 0; i < g.n; i++)
        free(r.paths[i]);
    free(r.paths);
    free(pred);
    free(queue);
    free(roots);
    free(r.values);
    free(r.from);
    graph_free(&g);
    take_rows(now, r.out);
}

/* ---- the alert -------------------------------------------------------------- */

/* "3 sessions wait behind pid 4242 for 12 s": the root with the longest
 * wait behind it, once that wait passes [alerts] lock_wait_seconds;
 * critical at ten times it, as for slow queries. */
static int alert_lock_wait(const struct app *app, struct alert *out, int max)
{
    const struct snapshot *s = collectors_snapshot(app, "locks");
    if (!s || s->error || max < 1)
        return 0;
    double limit = app->cfg->alerts.lock_wait_seconds;
    int worst = -1, over = 0;
    double worst_wait = 0;
    for (int r = 0; r < s->nrows; r++) {
        /* A root nobody waits for (its own blocker has just gone) is no
         * one's problem. */
        if (snapshot_number(s, r, "depth", -1) != 0 || snapshot_number(s, r, "waiters", 0) < 1)
            continue;
        double w = snapshot_number(s, r, "longest_wait", 0);
        if (w <= limit)
            continue;
        over++;
        if (w > worst_wait) {
            worst_wait = w;
            worst = r;
        }
    }
    if (!over)
        return 0;
    int n = (int)snapshot_number(s, worst, "waiters", 0);
    const char *pid = snapshot_text(s, worst, "pid");
    char behind[64];
    if (strcmp(pid, "0") == 0)
        snprintf(behind, sizeof behind, "a prepared transaction");
    else
        snprintf(behind, sizeof behind, "pid %s", pid);
    char more[48] = "";
    if (over > 1)
        snprintf(more, sizeof more, "; %d more blocker%s", over - 1, over == 2 ? "" : "s");
    alert_set(out, worst_wait > 10 * limit ? ALERT_CRITICAL : ALERT_WARNING, "lock_wait",
              "%d session%s wait%s behind %s for %.0f s (> %g s)%s%s", n, n == 1 ? "" : "s", n == 1 ? "s" : "",
              behind, worst_wait, limit, snapshot_true(s, worst, "cycle") ? ", in a cycle (a deadlock in the making)" : "",
              more);
    return 1;
}

static int perf_locks(const struct app *app, struct perfdata *out, int max)
{
    const struct snapshot *s = collectors_snapshot(app, "locks");
    if (!s || s->error || max < 2)
        return 0;
    /* Each waiting session once, however many roots it is shown under. */
    int waiting = 0;
    double longest = 0;
    for (int r = 0; r < s->nrows; r++) {
        if (snapshot_true(s, r, "repeated") || !snapshot_get(s, r, "wait"))
            continue;
        waiting++;
        double w = snapshot_number(s, r, "wait", 0);
        if (w > longest)
            longest = w;
    }
    double limit = app->cfg->alerts.lock_wait_seconds;
    alert_perf(&out[0], "lock_waiting", waiting, "", NAN, NAN);
    alert_perf(&out[1], "longest_lock_wait", longest, "s", limit, 10 * limit);
    return 2;
}

/* ---- the subject ---------------------------------------------------------------- */

/* A wait younger than this does not make the lock table worth reading at
 * every refresh: the pane shows a wait from 1 s on, and under an OLTP load
 * some session nearly always waits a few ms for a row (pgbench -c 8: the
 * statement ran at 39 of 60 refreshes for waits the pane never showed,
 * issue 14). */
#define LOCK_WAIT_WANTED_S 0.5

/* Whether the sessions in `a` (activity.sql's rows: pid, blocked_by) wait
 * in a cycle: PostgreSQL ends one after deadlock_timeout (1 s by default),
 * so the pane must read it at once, young as it is. */
static bool waits_in_a_cycle(const struct snapshot *a)
{
    struct graph g;
    graph_build(&g, a);
    graph_find_cycles(&g);
    bool cycle = false;
    for (int i = 0; i < g.n && !cycle; i++)
        cycle = g.nodes[i].cycle;
    graph_free(&g);
    return cycle;
}

/* Whether the last locks read found a wait the pane shows or soon will
 * (its end must be seen), or a cycle. */
static bool locks_hold_a_wait(const struct snapshot *l)
{
    int wait = snapshot_column(l, "wait"), cycle = snapshot_column(l, "cycle");
    for (int r = 0; r < l->nrows; r++) {
        if (snapshot_cell_number(l, r, wait, 0) >= LOCK_WAIT_WANTED_S)
            return true;
        const char *c = snapshot_cell(l, r, cycle);
        if (c && strcmp(c, "t") == 0)
            return true;
    }
    return false;
}

/* Whether a session the sessions pane lists waits behind another, for
 * LOCK_WAIT_WANTED_S or more (its query has run that long), or in a
 * cycle. */
static bool sessions_wait(const struct snapshot *a)
{
    int by = snapshot_column(a, "blocked_by"), duration = snapshot_column(a, "duration");
    bool any = false;
    for (int r = 0; by >= 0 && r < a->nrows; r++) {
        const char *v = snapshot_cell(a, r, by);
        if (!v || !*v)
            continue;
        if (snapshot_cell_number(a, r, duration, 0) >= LOCK_WAIT_WANTED_S)
            return true;
        any = true;
    }
    return any && waits_in_a_cycle(a);
}

/* Whether the lock table is worth reading at this refresh: a session the
 * sessions pane lists has waited behind another for LOCK_WAIT_WANTED_S
 * (its blocked_by, from activity.sql's last run) or waits in a cycle, or
 * the last read found such a wait, whose end must be seen.  Otherwise the
 * statement runs on its slow cadence, which finds a wait no listed session
 * has (an autovacuum worker's).  A wait shows in this pane a refresh after
 * the sessions pane shows it old enough: the sessions statement that tells
 * is the one this tick's run goes out beside. */
bool locks_wanted(const struct snapshot *activity, const struct snapshot *locks)
{
    return (locks && !locks->error && locks_hold_a_wait(locks)) ||
           (activity && !activity->error && sessions_wait(activity));
}

/* The collector's wanted.  Asked at every frame (the stale marks): the
 * answer is kept for the snapshots it was found from. */
static bool lock_wait_seen(const struct app *app)
{
    static unsigned long seen_activity, seen_locks;
    static bool seen;
    const struct snapshot *l = collectors_snapshot(app, "locks");
    const struct snapshot *a = collectors_snapshot(app, "activity");
    unsigned long sa = a ? a->serial : 0, sl = l ? l->serial : 0;
    if (sa && sa == seen_activity && sl == seen_locks)
        return seen;
    seen = locks_wanted(a, l);
    seen_activity = sa;
    seen_locks = sl;
    return seen;
}

static const struct collector_def collectors[] = {
    /* Reading who blocks whom is 40 % of what reading the sessions costs
     * the server, and on a calm server there is nothing to read (issue
     * 14): in the catalog tier (30 s), and at every refresh while a wait
     * half a second old, or a cycle, is seen (lock_wait_seen). */
    { .name = "locks", .source = SERVER_PRIMARY, .query = "queries/locks.sql", .catalog = true,
      .wanted = lock_wait_seen, .derive = derive_locks },
};

/* A row is a session, as in the queries pane: C cancels its query, K ends
 * it, through the same rows (and so the same gate, confirmation, recheck
 * of pid and backend start, and journal). */
static const struct action_def *const actions[] = {
    &action_cancel,
    &action_terminate,
};

static const struct alert_rule alerts[] = {
    { alert_lock_wait, { "locks" } },
};

const struct subject subject_locks = {
    .name = "locks",
    .title = "Locks",
    .has_pane = true,
    SUBJECT_COLLECTORS(collectors),
    SUBJECT_ACTIONS(actions),
    SUBJECT_ALERTS(alerts),
    .perfdata = perf_locks,
};
