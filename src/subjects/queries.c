/* The queries subject: what the server is running now.
 *   activity     pg_stat_activity's sessions (pgdeck's own left out), each
 *                with its backend's CPU, memory and I/O when pgdeck runs on
 *                the database host (the host subject's backends collector);
 *   statements   pg_stat_statements, its texts fetched once per queryid;
 * the slow-query alert, and the session actions (C K e, in
 * queries_actions.c).  The host line (host.c) shows in this pane too. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/sql.h"
#include "core/action_sql.h"
#include "core/alerts.h"
#include "core/app.h"
#include "core/collector.h"
#include "core/subject.h"
#include "subjects/queries.h"
#include "base/embedded.h"
#include "base/quantity.h"
#include "base/clock.h"
#include "base/xalloc.h"

/* ---- statements ------------------------------------------------------------- */

/* The statements collector: pg_stat_statements without the query texts
 * (pg_stat_statements(false): the texts live in a file the server would
 * read and send on every call), then the texts of the queryids seen for
 * the first time, once each.  With 5,000 statements that is the difference
 * between kilobytes and megabytes a refresh. */

/* queryid -> text, open addressing; cleared when it grows past the cap
 * (texts are fetched again as they are seen). */
#define TEXTS_CAP 16384

struct text_entry {
    char *queryid;
    char *text;         /* counted (snapshot_shared_new): published without a copy */
};

struct statements_state {
    struct text_entry *slots;
    int                size;        /* power of two */
    int                used;
    struct snapshot   *pending;     /* stats waiting for their texts */
    char              *texts_error; /* why the last text fetch failed */
    double             texts_retry_at;
    char              *schema;      /* where the extension lives, or NULL
                                       until looked up */
    unsigned long      connects;    /* the pool's connects at the look-up */
};

/* Where pg_stat_statements is installed.  pgdeck's sessions search
 * pg_catalog only, so the extension's functions are named with their
 * schema: looked up here (never assumed to be public), once, and again
 * after a reconnect or an error (ALTER EXTENSION ... SET SCHEMA, a new
 * server behind the same address). */
static const char *const extension_sql =
    "SELECT n.nspname AS schema FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
    "WHERE e.extname = 'pg_stat_statements'";

static const char *const not_available =
    "pg_stat_statements is not available here: add it to shared_preload_libraries "
    "and run CREATE EXTENSION pg_stat_statements in this database";

static unsigned long hash(const char *s)
{
    unsigned long h = 5381;
    while (*s)
        h = h * 33 + (unsigned char)*s++;
    return h;
}

static void texts_clear(struct statements_state *st)
{
    for (int i = 0; i < st->size; i++) {
        free(st->slots[i].queryid);
        snapshot_shared_free(st->slots[i].text);
    }
    free(st->slots);
    st->size = 1024;
    st->used = 0;
    st->slots = xcalloc((size_t)st->size, sizeof *st->slots);
}

static struct text_entry *texts_slot(struct statements_state *st, const char *queryid)
{
    unsigned long i = hash(queryid) & (unsigned long)(st->size - 1);
    while (st->slots[i].queryid && strcmp(st->slots[i].queryid, queryid) != 0)
        i = (i + 1) & (unsigned long)(st->size - 1);
    return &st->slots[i];
}

static void texts_put(struct statements_state *st, const char *queryid, const char *text)
{
    if (st->used >= TEXTS_CAP)
        texts_clear(st);
    if ((st->used + 1) * 2 > st->size) {
        struct text_entry *old = st->slots;
        int old_size = st->size;
        st->size *= 2;
        st->slots = xcalloc((size_t)st->size, sizeof *st->slots);
        for (int i = 0; i < old_size; i++)
            if (old[i].queryid)
                *texts_slot(st, old[i].queryid) = old[i];
        free(old);
    }
    struct text_entry *e = texts_slot(st, queryid);
    if (!e->queryid) {
        e->queryid = xstrdup(queryid);
        st->used++;
    } else {
        snapshot_shared_free(e->text);
    }
    /* Counted: the snapshots published take it without a copy. */
    e->text = snapshot_shared_new(text);
}

static char *texts_get(struct statements_state *st, const char *queryid)
{
    struct text_entry *e = texts_slot(st, queryid);
    return e->queryid ? e->text : NULL;
}

static struct statements_state *state_of(struct collector *c)
{
    if (!c->state) {
        struct statements_state *st = xcalloc(1, sizeof *st);
        texts_clear(st);
        c->state = st;
    }
    return c->state;
}

static void statements_free_state(void *state)
{
    struct statements_state *st = state;
    if (!st)
        return;
    for (int i = 0; i < st->size; i++) {
        free(st->slots[i].queryid);
        snapshot_shared_free(st->slots[i].text);
    }
    free(st->slots);
    snapshot_unref(st->pending);
    free(st->texts_error);
    free(st->schema);
    free(st);
}

/* A missing extension is a message, not an error loop: say what to do. */
static const char *explain_error(const char *error)
{
    if (strstr(error, "pg_stat_statements") &&
        (strstr(error, "does not exist") || strstr(error, "must be loaded")))
        return not_available;
    return error;
}

static void publish_with_texts(struct collector *c)
{
    struct statements_state *st = state_of(c);
    struct snapshot *s = st->pending;
    st->pending = NULL;
    int qcol = snapshot_add_column(s, "query");
    int idcol = snapshot_column(s, "queryid");
    for (int r = 0; r < s->nrows; r++) {
        const char *id = snapshot_cell(s, r, idcol);
        char *text = id ? texts_get(st, id) : NULL;
        if (text)
            snapshot_set_cell_shared(s, r, qcol, text);
        else
            snapshot_set_cell(s, r, qcol, st->texts_error ? st->texts_error : "(text not available)");
    }
    collector_publish(c, s);
}

static void texts_done(void *arg, const PGresult *res, const char *error, double elapsed)
{
    (void)elapsed;
    struct collector *c = arg;
    if (!c->app->collectors)
        return;
    struct statements_state *st = state_of(c);
    free(st->texts_error);
    st->texts_error = NULL;
    if (error) {
        /* One undecodable text (a statement from a SQL_ASCII database)
         * makes pg_stat_statements(true) fail for every database: say so
         * on the rows rather than hide the reason, and ask again only
         * once a minute. */
        st->texts_error = xasprintf("(text not available: %s)", error);
        st->texts_retry_at = now_monotonic() + 60;
    } else {
        for (int r = 0; r < PQntuples(res); r++) {
            const char *id = pgres_get(res, r, "queryid");
            const char *q = pgres_get(res, r, "query");
            if (id)
                texts_put(st, id, q ? q : "(hidden: needs pg_read_all_stats)");
        }
    }
    publish_with_texts(c);
}

static void stats_done(void *arg, const PGresult *res, const char *error, double elapsed)
{
    (void)elapsed;
    struct collector *c = arg;
    if (!c->app->collectors)
        return;
    struct statements_state *st = state_of(c);
    if (error) {
        /* Look the extension up again: it may have moved or gone. */
        free(st->schema);
        st->schema = NULL;
        collector_publish(c, snapshot_failed(c->def->name, explain_error(error)));
        return;
    }
    snapshot_unref(st->pending);
    st->pending = snapshot_from_result(c->def->name, res);

    /* The queryids never seen before, as a bigint[] literal. */
    size_t cap = 64, len = 0;
    char *ids = xmalloc(cap);
    ids[len++] = '{';
    int missing = 0;
    for (int r = 0; r < PQntuples(res); r++) {
        const char *id = pgres_get(res, r, "queryid");
        if (!id || texts_get(st, id))
            continue;
        size_t n = strlen(id);
        if (len + n + 3 > cap) {
            cap = (cap + n + 3) * 2;
            ids = xrealloc(ids, cap);
        }
        if (missing++)
            ids[len++] = ',';
        memcpy(ids + len, id, n);
        len += n;
    }
    ids[len++] = '}';
    ids[len] = '\0';
    if (!missing || now_monotonic() < st->texts_retry_at) {
        free(ids);
        publish_with_texts(c);
        return;
    }
    char *sql = sql_in_schema(embedded_find("queries/statement_texts.sql"), st->schema);
    const char *params[] = { ids };
    if (!sql || pgpool_send_prepared(c->app->primary, "statement_texts", sql, 1, params, 0, texts_done, c) != 0)
        publish_with_texts(c);
    free(sql);
    free(ids);
}

static int send_stats(struct collector *c)
{
    struct statements_state *st = state_of(c);
    char *sql = sql_in_schema(embedded_find(c->def->query), st->schema);
    if (!sql)
        return -1;
    int rc = pgpool_send_prepared(c->app->primary, c->def->name, sql, 0, NULL, 0, stats_done, c);
    free(sql);
    return rc;
}

static void schema_found(void *arg, const PGresult *res, const char *error, double elapsed)
{
    (void)elapsed;
    struct collector *c = arg;
    if (!c->app->collectors)
        return;
    struct statements_state *st = state_of(c);
    if (error) {
        collector_publish(c, snapshot_failed(c->def->name, error));
        return;
    }
    const char *schema = PQntuples(res) > 0 ? pgres_get(res, 0, "schema") : NULL;
    char *quoted = sql_quote_identifier(schema);
    if (!quoted) {
        collector_publish(c, snapshot_failed(c->def->name, schema ? "the schema of pg_stat_statements "
                                             "has a name that is not valid UTF-8" : not_available));
        return;
    }
    free(quoted);
    free(st->schema);
    st->schema = xstrdup(schema);
    if (send_stats(c) != 0) {
        free(st->schema);
        st->schema = NULL;
        collector_publish(c, snapshot_failed(c->def->name, "the primary is not connected"));
    }
}

static unsigned long pool_connects(struct pgpool *pool)
{
    struct pgpool_stats stats;
    pgpool_stats(pool, &stats);
    return stats.connects;
}

static int statements_run(struct collector *c)
{
    struct statements_state *st = state_of(c);
    unsigned long connects = pool_connects(c->app->primary);
    if (st->schema && connects == st->connects)
        return send_stats(c);
    free(st->schema);
    st->schema = NULL;
    st->connects = connects;
    return pgpool_send(c->app->primary, extension_sql, 0, NULL, 0, schema_found, c);
}

/* Fingerprints of statement texts, computed when a session's details ask
 * for them rather than for every text as it arrives (at 5,000 statements
 * that was most of pgdeck's CPU, and it brought libpg_query's parser into
 * memory at start): a small cache by the text's 64-bit hash. */
#define FP_CACHE 2048

struct fp_entry {
    uint64_t text_hash;
    uint64_t fingerprint;
    bool     used, parses;
};

static uint64_t text_hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    while (*s)
        h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
    return h;
}

static int fingerprint_cached(const char *text, uint64_t *fp)
{
    static struct fp_entry *cache;
    if (!cache)
        cache = xcalloc(FP_CACHE, sizeof *cache);
    uint64_t h = text_hash(text);
    struct fp_entry *e = &cache[h % FP_CACHE];
    if (!e->used || e->text_hash != h) {
        e->used = true;
        e->text_hash = h;
        e->parses = sql_fingerprint(text, &e->fingerprint) == 0;
    }
    *fp = e->fingerprint;
    return e->parses ? 0 : -1;
}

int statements_find(const struct snapshot *statements, const char *query, const char *database,
                    const char *user)
{
    uint64_t fp;
    if (!query || sql_fingerprint(query, &fp) != 0)
        return -2;
    if (!statements)
        return -1;
    int qcol = snapshot_column(statements, "query");
    int dcol = snapshot_column(statements, "database");
    int ucol = snapshot_column(statements, "username");
    for (int r = 0; r < statements->nrows; r++) {
        const char *d = snapshot_cell(statements, r, dcol);
        const char *u = snapshot_cell(statements, r, ucol);
        if ((database && (!d || strcmp(d, database) != 0)) || (user && (!u || strcmp(u, user) != 0)))
            continue;
        const char *text = snapshot_cell(statements, r, qcol);
        uint64_t row_fp;
        if (text && fingerprint_cached(text, &row_fp) == 0 && row_fp == fp)
            return r;
    }
    return -1;
}

/* ---- activity: the backends' figures by pid ------------------------------- */

/* "VACUUM 45%", "CREATE INDEX", "COPY FROM": a session's progress for its
 * row, from the activity query's progress_* columns, into column `into`. */
static void derive_progress(struct snapshot *now, int into)
{
    int command_col = snapshot_column(now, "progress_command");
    int percent_col = snapshot_column(now, "progress_percent");
    for (int r = 0; r < now->nrows; r++) {
        const char *command = snapshot_cell(now, r, command_col);
        if (!command) {
            snapshot_set_cell(now, r, into, NULL);
            continue;
        }
        double percent = snapshot_cell_number(now, r, percent_col, NAN);
        char buf[64];
        if (isnan(percent))
            snprintf(buf, sizeof buf, "%s", command);
        else
            snprintf(buf, sizeof buf, "%s %.0f%%", command, percent);
        snapshot_set_cell(now, r, into, buf);
    }
}

/* The row of pid in the backends snapshot (in pid order, as the backends
 * query sorts them), or -1. */
static int backend_row(const struct snapshot *b, int pid_col, double pid)
{
    int lo = 0, hi = b->nrows - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        double v = snapshot_cell_number(b, mid, pid_col, 0);
        if (v == pid)
            return mid;
        if (v < pid)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return -1;
}

void derive_activity_host(struct app *app, struct snapshot *now, const struct snapshot *prev)
{
    (void)prev;
    if (now->nrows == 0)
        return;
    const struct snapshot *b = app ? collectors_snapshot(app, "backends") : NULL;
    if (b && (b->error || b->nrows == 0))
        b = NULL;
    /* Each session's row in the backends snapshot, found first, so that
     * the columns are added all at once (one copy of the table: a column
     * at a time was five copies a refresh; issue 14).  The pids are read
     * by hand, not with strtod: log2(backends) + 1 of them a session. */
    int *found = NULL, nfound = 0;
    int pid_col = b ? snapshot_column(b, "pid") : -1, now_pid = snapshot_column(now, "pid");
    if (b) {
        found = xmalloc((size_t)now->nrows * sizeof *found);
        for (int r = 0; r < now->nrows; r++) {
            double pid = snapshot_cell_number(now, r, now_pid, NAN);
            found[r] = isnan(pid) ? -1 : backend_row(b, pid_col, pid);
            nfound += found[r] >= 0;
        }
    }
    /* The host's columns only when a session has figures, as before. */
    static const char *const names[] = { "progress", "cpu_percent", "rss", "read_bps", "write_bps" };
    int into[5];
    snapshot_add_columns(now, names, nfound ? 5 : 1, into);
    derive_progress(now, into[0]);
    if (nfound) {
        int cols[4];
        for (int k = 0; k < 4; k++)
            cols[k] = snapshot_column(b, names[k + 1]);
        for (int r = 0; r < now->nrows; r++)
            if (found[r] >= 0)
                for (int k = 0; k < 4; k++)
                    snapshot_set_cell(now, r, into[k + 1], snapshot_cell(b, found[r], cols[k]));
    }
    free(found);
}

/* ---- alerts ------------------------------------------------------------------- */

/* Slow queries. */
static int alert_slow_queries(const struct app *app, struct alert *out, int max)
{
    const struct snapshot *a = collectors_snapshot(app, "activity");
    if (!a || a->error || max < 1)
        return 0;
    double limit = app->cfg->alerts.slow_query_ms / 1000.0;
    int slow = 0, worst = -1;
    double worst_d = 0;
    int state_col = snapshot_column(a, "state"), type_col = snapshot_column(a, "backend_type"),
        duration_col = snapshot_column(a, "duration");
    for (int r = 0; r < a->nrows; r++) {
        const char *state = snapshot_cell(a, r, state_col);
        const char *type = snapshot_cell(a, r, type_col);
        double d = snapshot_cell_number(a, r, duration_col, 0);
        /* A base backup's walsender is listed for its progress, not as a
         * query. */
        if (type && strcmp(type, "walsender") == 0)
            continue;
        if (state && strcmp(state, "active") == 0 && d > limit) {
            slow++;
            if (d > worst_d) {
                worst_d = d;
                worst = r;
            }
        }
    }
    if (!slow)
        return 0;
    /* Ten times the threshold is an outage in the making. */
    /* The threshold as configured (milliseconds), the time as every
     * duration is written. */
    char running[QUANTITY_LEN];
    alert_set(out, worst_d > 10 * limit ? ALERT_CRITICAL : ALERT_WARNING, "slow_query",
              "%d slow quer%s (pid %s running %s > %.0f ms)", slow, slow == 1 ? "y" : "ies",
              snapshot_get(a, worst, "pid"), quantity_duration(running, sizeof running, worst_d),
              app->cfg->alerts.slow_query_ms);
    return 1;
}

static int perf_queries(const struct app *app, struct perfdata *out, int max)
{
    const struct snapshot *a = collectors_snapshot(app, "activity");
    if (!a || a->error || max < 2)
        return 0;
    double longest = 0;
    int active = 0;
    for (int r = 0; r < a->nrows; r++) {
        const char *state = snapshot_get(a, r, "state");
        const char *type = snapshot_get(a, r, "backend_type");
        if (state && strcmp(state, "active") == 0 && !(type && strcmp(type, "walsender") == 0)) {
            active++;
            double d = snapshot_number(a, r, "duration", 0);
            if (d > longest)
                longest = d;
        }
    }
    struct perfdata *p = &out[0];
    snprintf(p->label, sizeof p->label, "active_queries");
    p->value = active;
    p->unit[0] = '\0';
    p->warn = p->crit = NAN;
    p = &out[1];
    snprintf(p->label, sizeof p->label, "longest_query");
    p->value = longest;
    snprintf(p->unit, sizeof p->unit, "s");
    p->warn = app->cfg->alerts.slow_query_ms / 1000.0;
    p->crit = p->warn * 10;
    return 2;
}

/* ---- the subject ---------------------------------------------------------------- */

/* activity.sql reads pg_stat_activity once a refresh.  Its sessions hold
 * no locks as JSON; its variant every_lock (query_more) reads every
 * session's, while --once, the agent or a session's details ask
 * (collector_more).  Who blocks whom is the locks collector's own
 * statement, run while a session here waits behind another (locks.c). */
static const struct collector_def collectors[] = {
    { .name = "activity",   .source = SERVER_PRIMARY, .query = "queries/activity.sql",
      .query_more = "queries/activity.sql:every_lock",
      .own_pids = true, .derive = derive_activity_host },
    /* pg_stat_statements is read every 2 s while the pane shows it (t),
     * every 30 s otherwise: its 5,000 rows at scale were a third of
     * pgdeck's server time, for a view that is mostly not on screen. */
    { .name = "statements", .source = SERVER_PRIMARY, .query = "queries/statements.sql",
      .cadence = 30, .cadence_wanted = 2, .run = statements_run, .free_state = statements_free_state },
};

static const struct action_def *const actions[] = {
    &action_cancel,
    &action_terminate,
    &action_explain,
};

static const struct alert_rule alerts[] = {
    { alert_slow_queries, { "activity" } },
};

const struct subject subject_queries = {
    .name = "queries",
    .title = "Queries",
    .has_pane = true,
    SUBJECT_COLLECTORS(collectors),
    SUBJECT_ACTIONS(actions),
    SUBJECT_ALERTS(alerts),
    .perfdata = perf_queries,
};
