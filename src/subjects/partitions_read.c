/* The partitions collector's run: incremental.  At 5,000 partitions the
 * whole-database read (partitions.sql: every bound parsed, every leaf's
 * pg_total_relation_size) takes seconds; most runs nothing has changed.
 * So each run first reads a signature per partitioned table
 * (partitions_signature.sql: catalog row versions, direct partitions, their
 * statistics counters; no relation opened), and then reads again only the
 * trees whose signature changed, whose next bound the server's clock has
 * passed, or whose last read is older than PARTITIONS_REREAD seconds (the
 * exact sizes of a tree that is only ever written to through paths the
 * counters do not see).  The rows of the other trees are taken from the
 * current snapshot, with the server's clock of this run.  A first run or
 * one after a failed run reads everything.  (After a failover the other
 * server's tables have other row versions: their signatures differ.)
 *
 * The signatures, trees and rows are also saved in the state directory
 * after every run that read something (partitions_saved.c), and a new
 * process's first run starts from the file of its server when there is
 * one: --once, check or a console started again read only the trees that
 * changed since, not all 5,000 partitions. */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <stdint.h>
#include <time.h>

#include "core/app.h"
#include "core/collector.h"
#include "net/pgconn.h"
#include "net/pgpool.h"
#include "subjects/partitions.h"
#include "subjects/partitions_saved.h"
#include "base/statefile.h"
#include "base/clock.h"
#include "base/embedded.h"
#include "base/xalloc.h"

/* An unchanged tree is read whole again after this many seconds. */
#define PARTITIONS_REREAD 600.0
/* ... and from this age on, an eighth of the trees a run, the oldest
 * first.  Trees read together (the first run reads all of them) would
 * otherwise all be due in the same run: a whole read again, whose result,
 * its copy and the snapshot shown are then held at once (3 x 1.2 MB at
 * 5,000 partitions; a console's RSS went from 13.3 to 15.3 MB in the run
 * that read them, issue 14, aim 3).  Spread, a run reads a few trees and
 * keeps the rest by reference. */
#define PARTITIONS_REREAD_EARLY 480.0
#define PARTITIONS_REREAD_SHARE 8

/* The state file is read whole; more than this is not one pgdeck wrote
 * for a database it can show. */
#define PARTITIONS_SAVED_MAX (256u << 20)
/* Another server's file (or this one's before a restart) is removed when
 * it has not been written for a week. */
#define PARTITIONS_SAVED_KEEP (7 * 86400.0)

struct partitions_state {
    bool             valid;     /* sigs and trees describe `current` */
    struct part_sig *sigs;      /* the last read, sorted by oid */
    int              nsigs;
    struct part_tree *trees;    /* sorted by root */
    int              ntrees;
    char           **columns;   /* partitions.sql's, from the last read */
    int              ncolumns;
    /* The rows of the state file, kept until the run that started from
     * it merges them; whether this process has looked for the file; the
     * server the signatures are of. */
    struct snapshot *saved_rows;
    bool             tried_saved;
    char            *server_id;
    /* The run under way: the signatures in display order, the server's
     * clock, and which roots are read again. */
    struct part_sig *next;
    int              nnext;
    char            *server_now;
    unsigned long   *reread;    /* sorted */
    int              nreread;
    bool             full;
};

static void sigs_free(struct part_sig *sigs, int n)
{
    for (int i = 0; i < n; i++)
        free(sigs[i].signature);
    free(sigs);
}

static void run_clear(struct partitions_state *st)
{
    sigs_free(st->next, st->nnext);
    st->next = NULL;
    st->nnext = 0;
    free(st->server_now);
    st->server_now = NULL;
    free(st->reread);
    st->reread = NULL;
    st->nreread = 0;
    st->full = false;
    if (st->saved_rows)
        snapshot_unref(st->saved_rows);
    st->saved_rows = NULL;
}

static void columns_free(struct partitions_state *st)
{
    for (int i = 0; i < st->ncolumns; i++)
        free(st->columns[i]);
    free(st->columns);
    st->columns = NULL;
    st->ncolumns = 0;
}

void partitions_free_state(void *state)
{
    struct partitions_state *st = state;
    if (!st)
        return;
    run_clear(st);
    sigs_free(st->sigs, st->nsigs);
    free(st->trees);
    columns_free(st);
    free(st->server_id);
    free(st);
}

static struct partitions_state *state_of(struct collector *c)
{
    if (!c->state)
        c->state = xcalloc(1, sizeof(struct partitions_state));
    return c->state;
}

static int cmp_ulong(const void *a, const void *b)
{
    unsigned long x = *(const unsigned long *)a, y = *(const unsigned long *)b;
    return x < y ? -1 : x > y;
}

static int cmp_sig(const void *a, const void *b)
{
    return cmp_ulong(&((const struct part_sig *)a)->oid, &((const struct part_sig *)b)->oid);
}

static int cmp_tree(const void *a, const void *b)
{
    return cmp_ulong(&((const struct part_tree *)a)->root, &((const struct part_tree *)b)->root);
}

static const struct part_sig *sig_find(const struct partitions_state *st, unsigned long oid)
{
    struct part_sig key = { .oid = oid };
    return st->nsigs ? bsearch(&key, st->sigs, (size_t)st->nsigs, sizeof key, cmp_sig) : NULL;
}

static struct part_tree *tree_find(const struct partitions_state *st, unsigned long root)
{
    struct part_tree key = { .root = root };
    return st->ntrees ? bsearch(&key, st->trees, (size_t)st->ntrees, sizeof key, cmp_tree) : NULL;
}

static bool rereads(const struct partitions_state *st, unsigned long root)
{
    return st->full || (st->nreread &&
                        bsearch(&root, st->reread, (size_t)st->nreread, sizeof root, cmp_ulong));
}

static unsigned long oid_of(const char *v)
{
    return v ? strtoul(v, NULL, 10) : 0;
}

/* (oid, row) of a table of rows, sorted by oid, to find rows by oid. */
struct oid_row {
    unsigned long oid;
    int           row;
};

static int cmp_oid_row(const void *a, const void *b)
{
    return cmp_ulong(&((const struct oid_row *)a)->oid, &((const struct oid_row *)b)->oid);
}

static int row_of(const struct oid_row *index, int n, unsigned long oid)
{
    struct oid_row key = { .oid = oid };
    const struct oid_row *hit = n ? bsearch(&key, index, (size_t)n, sizeof key, cmp_oid_row) : NULL;
    return hit ? hit->row : -1;
}

/* ---- the second query's result, merged with the rows kept --------------- */

static void tree_touch(struct partitions_state *st, struct part_tree **trees, int *n, int *cap,
                       unsigned long root, double next_bound, double now)
{
    /* A tree's rows come together (ordered by root). */
    if (*n > 0 && (*trees)[*n - 1].root == root) {
        struct part_tree *t = &(*trees)[*n - 1];
        if (!isnan(next_bound) && (isnan(t->next_bound) || next_bound < t->next_bound))
            t->next_bound = next_bound;
        return;
    }
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 16;
        *trees = xrealloc(*trees, (size_t)*cap * sizeof **trees);
    }
    const struct part_tree *old = rereads(st, root) ? NULL : tree_find(st, root);
    (*trees)[(*n)++] = old ? *old : (struct part_tree){ root, now, next_bound };
}

/* ---- the state file ------------------------------------------------------ */

static int save_write(FILE *f, void *arg)
{
    return partitions_saved_write(f, arg);
}

/* Save the signatures, trees and rows of this run (`rows`: the query's
 * columns only).  A file that cannot be written costs the next process a
 * whole read, nothing else: the reason is not shown. */
static void save(const struct partitions_state *st, const struct snapshot *rows)
{
    if (!st->server_id)
        return;
    char *path = partitions_saved_path(st->server_id);
    if (!path)
        return;
    /* read_at is monotonic here, the wall clock in the file. */
    double mono = now_monotonic(), wall = now_wall();
    struct part_tree *trees = xcalloc((size_t)(st->ntrees ? st->ntrees : 1), sizeof *trees);
    for (int i = 0; i < st->ntrees; i++) {
        trees[i] = st->trees[i];
        trees[i].read_at = wall - (mono - st->trees[i].read_at);
    }
    struct partitions_saved saved = {
        .server = st->server_id, .sigs = st->sigs, .nsigs = st->nsigs,
        .trees = trees, .ntrees = st->ntrees, .rows = (struct snapshot *)rows,
    };
    char err[512];
    if (statefile_write(path, save_write, &saved, err, sizeof err) == 0)
        partitions_saved_prune(path, PARTITIONS_SAVED_KEEP);
    free(trees);
    free(path);
}

/* What a state file must have been written for: the server (its
 * server_id) and the texts of both queries, so that rows saved by another
 * version of partitions.sql (other columns, other meanings) are never
 * merged with this one's.  NULL when the server gave no id. */
static char *server_key(const struct collector *c, const char *server_id)
{
    if (!server_id)
        return NULL;
    uint64_t h = 1469598103934665603ULL;
    const char *texts[] = { embedded_find(c->def->query), embedded_find("queries/partitions_signature.sql") };
    for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
        for (const char *p = texts[i] ? texts[i] : ""; *p; p++)
            h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    return xasprintf("%s %016llx", server_id, (unsigned long long)h);
}

/* A first run: take the signatures, trees and rows the state file of
 * this server holds, as if this process had made them.  Returns whether
 * it did (a missing, foreign or damaged file: no, and the run reads
 * everything). */
static bool load(struct partitions_state *st)
{
    char *path = partitions_saved_path(st->server_id);
    if (!path)
        return false;
    char err[512];
    size_t len = 0;
    char *text = statefile_read(path, PARTITIONS_SAVED_MAX, &len, err, sizeof err);
    free(path);
    struct partitions_saved saved;
    int rc = text ? partitions_saved_take(text, len, st->server_id, &saved) : -1;
    free(text);
    if (rc != 0)
        return false;
    double mono = now_monotonic(), wall = now_wall();
    for (int i = 0; i < saved.ntrees; i++) {
        double age = wall - saved.trees[i].read_at;
        saved.trees[i].read_at = mono - (age > 0 ? age : 0);
    }
    sigs_free(st->sigs, st->nsigs);
    free(st->trees);
    columns_free(st);
    st->sigs = saved.sigs;
    st->nsigs = saved.nsigs;
    st->trees = saved.trees;
    st->ntrees = saved.ntrees;
    st->ncolumns = saved.rows->ncols;
    st->columns = xcalloc((size_t)st->ncolumns, sizeof *st->columns);
    for (int i = 0; i < st->ncolumns; i++)
        st->columns[i] = xstrdup(saved.rows->columns[i]);
    st->saved_rows = saved.rows;
    free(saved.server);
    st->valid = true;
    return true;
}

/* `res`: partitions.sql's rows for the trees read again, or NULL when
 * none is (every row then comes from the current snapshot). */
static void merge_and_publish(struct collector *c, const PGresult *res)
{
    struct partitions_state *st = state_of(c);
    /* The rows kept: the state file's on a first run that started from
     * it, else the ones shown. */
    const struct snapshot *cur = st->saved_rows ? st->saved_rows : c->current;
    if (res) {
        /* The query's columns: the current snapshot also has the ones
         * derive added, which derive sets again. */
        columns_free(st);
        st->ncolumns = PQnfields(res);
        st->columns = xcalloc((size_t)(st->ncolumns ? st->ncolumns : 1), sizeof *st->columns);
        for (int i = 0; i < st->ncolumns; i++)
            st->columns[i] = xstrdup(PQfname(res, i));
    }
    int ncols = st->ncolumns, nres = res ? PQntuples(res) : 0;
    int *from = xcalloc((size_t)(ncols ? ncols : 1), sizeof *from);
    int oidcol = -1, nowcol = -1, boundcol = -1;
    for (int i = 0; i < ncols; i++) {
        from[i] = st->full || !cur ? -1 : snapshot_column(cur, st->columns[i]);
        if (strcmp(st->columns[i], "oid") == 0)
            oidcol = i;
        else if (strcmp(st->columns[i], "server_now") == 0)
            nowcol = i;
        if (i == nowcol)
            from[i] = -1;   /* this run's clock, not the kept row's */
        else if (strcmp(st->columns[i], "next_bound") == 0)
            boundcol = i;
    }
    struct snapshot *s = snapshot_new(c->def->name, ncols, (const char *const *)st->columns);

    struct oid_row *got = xcalloc((size_t)(nres ? nres : 1), sizeof *got);
    for (int r = 0; r < nres; r++)
        got[r] = (struct oid_row){ oidcol < 0 ? 0 : oid_of(PQgetvalue(res, r, oidcol)), r };
    qsort(got, (size_t)nres, sizeof *got, cmp_oid_row);
    bool *used = xcalloc((size_t)(nres ? nres : 1), sizeof *used);
    int nkept = 0;
    struct oid_row *kept = NULL;
    if (!st->full && cur) {
        int curoid = snapshot_column(cur, "oid");
        kept = xcalloc((size_t)(cur->nrows ? cur->nrows : 1), sizeof *kept);
        for (int r = 0; r < cur->nrows; r++)
            kept[nkept++] = (struct oid_row){ oid_of(snapshot_cell(cur, r, curoid)), r };
        qsort(kept, (size_t)nkept, sizeof *kept, cmp_oid_row);
    }

    const char **values = xcalloc((size_t)ncols, sizeof *values);
    struct part_tree *trees = NULL;
    int ntrees = 0, cap = 0;
    struct part_sig *sigs = xcalloc((size_t)(st->nnext ? st->nnext : 1), sizeof *sigs);
    int nsigs = 0;
    double now = now_monotonic();
    /* In the signature query's order, which is partitions.sql's. */
    for (int i = 0; i < st->nnext; i++) {
        const struct part_sig *g = &st->next[i];
        bool fresh = rereads(st, g->root);
        int row = fresh ? row_of(got, nres, g->oid) : row_of(kept, nkept, g->oid);
        if (row < 0)
            continue;   /* created or dropped between the two queries:
                           its tree is read again next run */
        /* A row kept shares its cells with the snapshot it comes from
         * (its `children` are most of the snapshot), but for the server's
         * clock of this run. */
        for (int k = 0; k < ncols; k++) {
            if (fresh)
                values[k] = PQgetisnull(res, row, k) ? NULL : PQgetvalue(res, row, k);
            else
                values[k] = k == nowcol ? st->server_now : NULL;
        }
        if (fresh)
            snapshot_add_row(s, values);
        else
            snapshot_add_row_from(s, values, cur, row, from);
        if (fresh)
            used[row] = true;
        double bound = fresh && boundcol >= 0 && !PQgetisnull(res, row, boundcol)
                     ? strtod(PQgetvalue(res, row, boundcol), NULL) : NAN;
        tree_touch(st, &trees, &ntrees, &cap, g->root, bound, now);
        sigs[nsigs++] = (struct part_sig){ g->oid, g->root, xstrdup(g->signature) };
    }
    /* A table the second query saw and the first did not (created between
     * them): shown, and its tree read again next run (no signature). */
    for (int r = 0; r < nres; r++)
        if (!used[r]) {
            for (int k = 0; k < ncols; k++)
                values[k] = PQgetisnull(res, r, k) ? NULL : PQgetvalue(res, r, k);
            snapshot_add_row(s, values);
        }

    if (nsigs > 1)
        qsort(sigs, (size_t)nsigs, sizeof *sigs, cmp_sig);
    if (ntrees > 1)
        qsort(trees, (size_t)ntrees, sizeof *trees, cmp_tree);
    sigs_free(st->sigs, st->nsigs);
    free(st->trees);
    st->sigs = sigs;
    st->nsigs = nsigs;
    st->trees = trees;
    st->ntrees = ntrees;
    st->valid = true;
    run_clear(st);
    free(values);
    free(kept);
    free(used);
    free(got);
    free(from);
    /* Saved when something was read (the rows kept came from the file
     * or the run before, which saved them), before derive adds its
     * columns: the file holds what the queries gave. */
    if (res)
        save(st, s);
    collector_publish(c, s);
}

static void fail(struct collector *c, const char *error)
{
    struct partitions_state *st = state_of(c);
    run_clear(st);
    st->valid = false;
    collector_publish(c, snapshot_failed(c->def->name, error));
}

static void trees_done(void *arg, const PGresult *res, const char *error, double elapsed)
{
    (void)elapsed;
    struct collector *c = arg;
    if (!c->app->collectors)
        return;
    if (error)
        fail(c, error);
    else
        merge_and_publish(c, res);
}

/* ---- the signature, and which trees to read again ------------------------ */

static int cmp_tree_age(const void *a, const void *b)
{
    const struct part_tree *x = *(const struct part_tree *const *)a, *y = *(const struct part_tree *const *)b;
    if (x->read_at != y->read_at)
        return x->read_at < y->read_at ? -1 : 1;
    return x->root < y->root ? -1 : x->root > y->root;
}

int partitions_pick_early(const struct part_tree *trees, int ntrees, double now, double age,
                          int most, unsigned long *out)
{
    const struct part_tree **due = xcalloc((size_t)(ntrees ? ntrees : 1), sizeof *due);
    int ndue = 0;
    for (int i = 0; i < ntrees; i++)
        if (now - trees[i].read_at >= age)
            due[ndue++] = &trees[i];
    qsort(due, (size_t)ndue, sizeof *due, cmp_tree_age);
    int n = ndue < most ? ndue : most;
    for (int i = 0; i < n; i++)
        out[i] = due[i]->root;
    free(due);
    return n < 0 ? 0 : n;
}

/* The tables of the trees to read again, as an oid[] literal. */
static char *tables_of_rereads(const struct partitions_state *st)
{
    size_t cap = 64, len = 0;
    char *list = xmalloc(cap);
    list[len++] = '{';
    for (int i = 0; i < st->nnext; i++) {
        if (!rereads(st, st->next[i].root))
            continue;
        if (len + 24 > cap) {
            cap *= 2;
            list = xrealloc(list, cap);
        }
        len += (size_t)snprintf(list + len, cap - len, "%s%lu", len > 1 ? "," : "", st->next[i].oid);
    }
    list[len++] = '}';
    list[len] = '\0';
    return list;
}

static void signature_done(void *arg, const PGresult *res, const char *error, double elapsed)
{
    (void)elapsed;
    struct collector *c = arg;
    if (!c->app->collectors)
        return;
    if (error) {
        fail(c, error);
        return;
    }
    struct partitions_state *st = state_of(c);
    int n = PQntuples(res);
    free(st->server_id);
    st->server_id = NULL;
    st->next = xcalloc((size_t)(n ? n : 1), sizeof *st->next);
    st->nnext = n;
    st->reread = xcalloc((size_t)(n ? n : 1), sizeof *st->reread);
    double now = now_monotonic(), server_now = NAN;
    for (int r = 0; r < n; r++) {
        const char *sig = pgres_get(res, r, "signature");
        struct part_sig *g = &st->next[r];
        g->oid = oid_of(pgres_get(res, r, "oid"));
        g->root = oid_of(pgres_get(res, r, "root_oid"));
        g->signature = xstrdup(sig ? sig : "");
        if (r == 0) {
            const char *v = pgres_get(res, r, "server_now");
            st->server_now = xstrdup(v);
            server_now = v ? strtod(v, NULL) : NAN;
            st->server_id = server_key(c, pgres_get(res, r, "server_id"));
        }
    }
    /* A process's first run starts from the state file when there is
     * one of this server. */
    if (st->full && !st->tried_saved && st->server_id) {
        st->tried_saved = true;
        if (load(st))
            st->full = false;
    }
    if (!st->full) {
        for (int r = 0; r < n; r++) {
            const struct part_sig *g = &st->next[r];
            const struct part_sig *old = sig_find(st, g->oid);
            const struct part_tree *t = tree_find(st, g->root);
            bool changed = !old || old->root != g->root || strcmp(old->signature, g->signature) != 0 ||
                           !t || now - t->read_at >= PARTITIONS_REREAD ||
                           (!isnan(t->next_bound) && !(server_now < t->next_bound));
            if (changed)
                st->reread[st->nreread++] = g->root;
        }
        /* A few of the trees that will soon be due, so that they come due
         * apart (PARTITIONS_REREAD_EARLY). */
        int most = st->ntrees / PARTITIONS_REREAD_SHARE > 0 ? st->ntrees / PARTITIONS_REREAD_SHARE : 1;
        if (most > n - st->nreread)
            most = n - st->nreread;
        if (most > 0)
            st->nreread += partitions_pick_early(st->trees, st->ntrees, now, PARTITIONS_REREAD_EARLY, most,
                                                 st->reread + st->nreread);
        if (st->nreread > 1)
            qsort(st->reread, (size_t)st->nreread, sizeof *st->reread, cmp_ulong);
        /* Every table of a tree read again is in the list: a tree is read
         * whole.  Every tree read again: that is a full read. */
        int trees = 0, again = 0;
        for (int r = 0; r < n; r++)
            if (r == 0 || !st->next[r].root || st->next[r].root != st->next[r - 1].root) {
                trees++;
                again += rereads(st, st->next[r].root);
            }
        if (trees > 0 && again == trees)
            st->full = true;
    }
    const char *sql = embedded_find(c->def->query);
    if (!sql) {
        fail(c, "query file missing from the build");
        return;
    }
    if (!st->full && st->nreread == 0) {
        merge_and_publish(c, NULL);
        return;
    }
    int rc;
    if (st->full) {
        const char *params[] = { NULL };
        rc = pgpool_send_prepared(c->app->primary, c->def->name, sql, 1, params, 0, trees_done, c);
    } else {
        char *list = tables_of_rereads(st);
        const char *params[] = { list };
        rc = pgpool_send_prepared(c->app->primary, "partitions_trees", sql, 1, params, 0, trees_done, c);
        free(list);
    }
    if (rc != 0)
        fail(c, pgpool_error(c->app->primary) ? pgpool_error(c->app->primary) : "the primary is not connected");
}

int partitions_run(struct collector *c)
{
    struct partitions_state *st = state_of(c);
    const struct snapshot *cur = c->current;
    run_clear(st);
    st->full = !st->valid || !st->ncolumns || !cur || cur->error;
    const char *sql = embedded_find("queries/partitions_signature.sql");
    if (!sql)
        return -1;
    return pgpool_send_prepared(c->app->primary, "partitions_signature", sql, 0, NULL, 0, signature_done, c);
}
