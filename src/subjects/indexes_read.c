/* The indexes collector's run: a cheap signature first, the full read
 * only when it changed or at the exact cadence (issue 14).
 *
 * indexes.sql reads the lock table (a size or a definition must not wait
 * for an ACCESS EXCLUSIVE lock), every index's size and definition and
 * compares the indexes' shapes: about three times the backend CPU of
 * indexes_signature.sql, which reads the catalog rows those rows come from
 * (their row versions).  So a run sends the signature (in the tick's
 * shared transaction: it locks nothing), and
 *   - when it is the last full read's and that read is younger than
 *     INDEXES_EXACT, publishes that read's rows again: the derive joins
 *     them with the plan, the build progress, index_health and the advice
 *     as they are now (collector_run_now("indexes") after those change
 *     needs no read of the catalog);
 *   - otherwise sends indexes.sql (alone, as before) and keeps its rows.
 * Between full reads the sizes and scans are those of the last one (README:
 * "every 60 s"); a new, dropped, renamed, rebuilt or newly valid index
 * shows at the next run.  --once, the first run and the one after it
 * read in full. */
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "base/embedded.h"
#include "base/xalloc.h"
#include "core/app.h"
#include "core/collector.h"
#include "net/pgconn.h"
#include "net/pgpool.h"
#include "net/server.h"
#include "subjects/indexes.h"

struct indexes_state {
    struct snapshot *raw;       /* the last full read's rows, before the
                                   derive (a ref) */
    char            *signature; /* the signature read just before it */
    char            *pending;   /* this run's, until its full read is in */
    double           read_at;   /* monotonic: when that read's run started */
};

void indexes_read_free(void *state)
{
    struct indexes_state *st = state;
    if (!st)
        return;
    snapshot_unref(st->raw);
    free(st->signature);
    free(st->pending);
    free(st);
}

static struct indexes_state *state_of(struct collector *c)
{
    if (!c->state)
        c->state = xcalloc(1, sizeof(struct indexes_state));
    return c->state;
}

/* A new snapshot with the rows of `raw` (the derive changes the one it is
 * given). */
static struct snapshot *copy_of(const struct snapshot *raw)
{
    struct snapshot *s = snapshot_new(raw->source, raw->ncols, (const char *const *)raw->columns);
    snapshot_add_rows(s, raw, 0, raw->nrows);
    return s;
}

static void fail(struct collector *c, const char *error)
{
    struct indexes_state *st = state_of(c);
    free(st->pending);
    st->pending = NULL;
    collector_publish(c, snapshot_failed(c->def->name, error));
}

static struct pgpool *pool_of(const struct collector *c)
{
    return server_pool(app_server(c->app, c->def->source));
}

static void full_done(void *arg, const PGresult *res, const char *error, double elapsed)
{
    (void)elapsed;
    struct collector *c = arg;
    if (!c->app->collectors)
        return;     /* shutting down */
    if (error) {
        fail(c, error);
        return;
    }
    struct indexes_state *st = state_of(c);
    snapshot_unref(st->raw);
    st->raw = snapshot_from_result(c->def->name, res);
    free(st->signature);
    st->signature = st->pending;
    st->pending = NULL;
    st->read_at = c->started;
    collector_publish(c, copy_of(st->raw));
}

static int send_full(struct collector *c)
{
    const char *sql = embedded_find(c->def->query);
    if (!sql)
        return -1;
    return pgpool_send_prepared(pool_of(c), c->def->name, sql, 0, NULL, 0, full_done, c);
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
    struct indexes_state *st = state_of(c);
    const char *sig = PQntuples(res) == 1 ? pgres_get(res, 0, "signature") : NULL;
    /* Ages from run start to run start; a second of slack for the timer,
     * so that the run INDEXES_EXACT after a full read is the next one. */
    bool same = sig && st->raw && st->signature && strcmp(sig, st->signature) == 0 &&
                c->started - st->read_at < INDEXES_EXACT - 1.0;
    if (same) {
        collector_publish(c, copy_of(st->raw));
        return;
    }
    free(st->pending);
    st->pending = sig ? xstrdup(sig) : NULL;
    if (send_full(c) != 0) {
        const char *why = pgpool_error(pool_of(c));
        fail(c, why ? why : "the primary is not connected");
    }
}

int indexes_read_run(struct collector *c)
{
    struct indexes_state *st = state_of(c);
    struct pgpool *pool = pool_of(c);
    if (!pool)
        return -1;
    /* A one-shot front end reads once: in full, without the signature.
     * So do the first run (the signature's first plan in a new session
     * would hold up the first tick's shared statements behind it, and with
     * them the first complete frame; the next run reads in full again, its
     * signature being the first) and a run after a failed one. */
    if (!collectors_ticking(c->app) || !st->raw || (c->current && c->current->error)) {
        free(st->pending);
        st->pending = NULL;
        return send_full(c);
    }
    const char *sql = embedded_find("queries/indexes_signature.sql");
    if (!sql)
        return -1;
    return pgpool_send_shared(pool, "indexes_signature", sql, 0, NULL, signature_done, c);
}
