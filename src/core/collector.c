/* The collector engine (see collector.h): every subject's collector rows
 * (subjects[]), run on the engine's own timer at their cadence, each
 * result published as a snapshot; the interval and the pause are the
 * engine's, and a server that comes up gets its collectors run at once. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis.h>

#include "core/app.h"
#include "core/collector.h"
#include "core/subject.h"
#include "base/embedded.h"
#include "base/clock.h"
#include "base/xalloc.h"

/* A run that takes more than a quarter of its cadence doubles the cadence,
 * up to this factor; cheap runs bring it back down. */
#define MAX_BACKOFF 8.0

static void servers_changed(struct app *app);

void collectors_init(struct app *app)
{
    if (app->cfg && app->cfg->interval > 0)
        app->interval = app->cfg->interval;
    app->on_servers = servers_changed;
    /* The fleet's collectors are a viewer's only (--from): --once, check
     * and the agent never list them. */
    bool viewer = app->cfg && app->cfg->from;
    int n = 0;
    for (int s = 0; s < nsubjects; s++)
        if (viewer || !subjects[s]->fleet)
            n += subjects[s]->ncollectors;
    static unsigned generations;
    app->collectors = xcalloc((size_t)(n ? n : 1), sizeof *app->collectors);
    app->ncollectors = n;
    app->collectors_generation = ++generations;
    int i = 0;
    for (int s = 0; s < nsubjects; s++) {
        if (!viewer && subjects[s]->fleet)
            continue;
        for (int k = 0; k < subjects[s]->ncollectors; k++, i++) {
            app->collectors[i].def = &subjects[s]->collectors[k];
            app->collectors[i].app = app;
            app->collectors[i].backoff = 1;
        }
    }
}

void collectors_free(struct app *app)
{
    if (!app->collectors)
        return;
    for (int i = 0; i < app->ncollectors; i++) {
        struct collector *c = &app->collectors[i];
        snapshot_unref(c->current);
        snapshot_unref(c->last_good);
        snapshot_unref(c->held);
        if (c->def->free_state)
            c->def->free_state(c->state);
        else
            free(c->state);
    }
    free(app->collectors);
    app->collectors = NULL;
    app->ncollectors = 0;
}

static bool is_wanted(const struct collector *c)
{
    return c->shown || (c->def->wanted && c->def->wanted(c->app));
}

static double catalog_interval(const struct app *app)
{
    return app->cfg && app->cfg->catalog_interval > 0 ? app->cfg->catalog_interval : CONFIG_CATALOG_INTERVAL;
}

double collector_cadence(const struct collector *c)
{
    double base = c->def->catalog ? catalog_interval(c->app)
                : c->def->cadence > 0 ? c->def->cadence : c->app->interval;
    /* While wanted: its cadence_wanted, or the refresh interval. */
    if ((c->def->wanted || c->def->cadence_wanted > 0) && is_wanted(c)) {
        double wanted = c->def->cadence_wanted > 0 ? c->def->cadence_wanted : c->app->interval;
        if (wanted < base)
            base = wanted;
    }
    if (base < c->app->interval)
        base = c->app->interval;
    return base * c->backoff;
}

static void run_one(struct collector *c);

/* A first snapshot may be what others wait for (collector_defer): run
 * them now.  Not again from inside such a run (a run that publishes at
 * once would come back here).  Not for `pgdeck run`: it runs its
 * collectors itself, in its own order (the advice after the action that
 * installs hypopg). */
static void run_waiting(struct app *app)
{
    static bool in_progress;
    if (in_progress || collectors_closing(app) || app->fed ||
        (app->cfg && app->cfg->command == COMMAND_RUN))
        return;
    in_progress = true;
    for (int i = 0; i < app->ncollectors; i++) {
        struct collector *w = &app->collectors[i];
        if (w->waiting && !w->running && !w->current)
            run_one(w);
    }
    in_progress = false;
}

int collector_defer(struct collector *c)
{
    c->running = false;
    c->waiting = true;
    c->next_run = now_monotonic() + 0.1;
    return 0;
}

/* A snapshot replaced leaves its blocks free inside malloc's heap, and
 * glibc gives back only the heap's top: free pages below live blocks stay
 * resident, and the heap ratchets up (at 5,000 partitions a console's RSS
 * grew from 12.7 to 13.6 MB in 20 s, VmRSS read every 50 ms).  A trim
 * after a snapshot is replaced gives those pages back (issue 14, aim 3).
 * At most every 5 s: peak RSS at that scale in 60 s was 13.58 MB without
 * a trim, 13.46 with one every 5 s and 13.35 with one every second, but
 * every second cost 4-8 ms of CPU a minute (the pages given back fault
 * in again when used: +650-850 minor faults a minute), every 5 s nothing
 * measurable (three consoles run side by side, /proc/PID/schedstat). */
static void trim_heap(double now)
{
    static double last;
    if (now - last >= 5.0) {
        xalloc_trim();
        last = now;
    }
}

void collector_publish(struct collector *c, struct snapshot *s)
{
    double now = now_monotonic();
    c->running = false;
    c->last_elapsed = now - c->started;
    c->total_elapsed += c->last_elapsed;
    if (c->last_elapsed > c->max_elapsed)
        c->max_elapsed = c->last_elapsed;
    c->runs++;
    if (s->error)
        c->failures++;
    s->elapsed = c->last_elapsed;

    double cadence = collector_cadence(c);
    if (c->last_elapsed > cadence / 4 && c->backoff < MAX_BACKOFF)
        c->backoff *= 2;
    else if (c->last_elapsed < cadence / 16 && c->backoff > 1)
        c->backoff /= 2;
    c->next_run = c->started + collector_cadence(c);

    if (!s->error && c->def->derive)
        c->def->derive(c->app, s, c->current && !c->current->error ? c->current : NULL);
    /* The same data as shown: keep the snapshot there is (with this run's
     * time) rather than hold two copies of it, and the panes see by its
     * pointer that nothing changed.  Derives run first: rates and ages
     * computed from the clock make a new snapshot differ when they do. */
    if (c->current && snapshot_same_data(s, c->current)) {
        c->current->taken_at = s->taken_at;
        c->current->elapsed = s->elapsed;
        snapshot_unref(s);
        s = c->current;
    } else {
        snapshot_unref(c->current);
        c->current = s;
        c->changes++;
        trim_heap(now);
    }
    if (!s->error) {
        if (c->last_good != s) {
            snapshot_unref(c->last_good);
            c->last_good = snapshot_ref(s);
        }
        c->good_at = now;
        c->good_cadence = collector_cadence(c);
    }
    app_changed(c->app, APP_CHANGED_SNAPSHOT);
    if (c->runs == 1)
        run_waiting(c->app);
}

static void take_received(struct collector *c, struct snapshot *s, double fresh_for, double published_at)
{
    double now = now_monotonic();
    c->runs++;
    if (s->error)
        c->failures++;
    if (!s->error && c->def->received)
        c->def->received(c->app, s);
    snapshot_unref(c->current);
    c->current = s;
    c->changes++;
    if (!s->error) {
        snapshot_unref(c->last_good);
        c->last_good = snapshot_ref(s);
        c->good_at = now;
        c->good_published = published_at;
        /* Never 0: that means "not fed". */
        c->good_until = now + (fresh_for > 0 ? fresh_for : 0) + 1e-6;
    } else if (!(c->good_until > 0)) {
        c->good_until = now + 1e-6;
    }
    app_changed(c->app, APP_CHANGED_SNAPSHOT | APP_CHANGED_RECEIVED);
}

void collector_receive(struct collector *c, struct snapshot *s, double fresh_for, double published_at)
{
    if (c->app->paused) {
        /* A paused console shows what it showed; the newest waits. */
        snapshot_unref(c->held);
        c->held = s;
        c->held_until = now_monotonic() + fresh_for;
        c->held_at = published_at;
        return;
    }
    take_received(c, s, fresh_for, published_at);
}

void collectors_forget(struct app *app)
{
    for (int i = 0; i < app->ncollectors; i++) {
        struct collector *c = &app->collectors[i];
        snapshot_unref(c->current);
        snapshot_unref(c->last_good);
        snapshot_unref(c->held);
        c->current = c->last_good = c->held = NULL;
        c->good_until = c->good_published = c->good_at = 0;
        c->changes++;
    }
    app->nseries = 0;
    app_changed(app, APP_CHANGED_SNAPSHOT | APP_CHANGED_RECEIVED);
}

double collector_fed_age(const struct collector *c, double now)
{
    if (!(c->good_until > 0) || !c->last_good || !(c->good_published > 0))
        return -1;
    double age = now - c->good_published;
    return age > 0 ? age : 0;
}

double collectors_fed_age(const struct app *app, const char *name)
{
    const struct collector *c = name ? collector_find(app, name) : NULL;
    return c ? collector_fed_age(c, now_wall()) : -1;
}

/* pgdeck's own pool sessions out of a result (collector_def.own_pids). */
static struct snapshot *result_without_own(struct collector *c, const PGresult *res)
{
    int pids[64];
    int n = pgpool_backend_pids(server_pool(app_server(c->app, c->def->source)), pids, 64);
    return snapshot_from_result_without(c->def->name, res, pids, n > 0 ? n : 0);
}

static void pg_done(void *arg, const PGresult *res, const char *error, double elapsed)
{
    (void)elapsed;
    struct collector *c = arg;
    if (!c->app->collectors)
        return;     /* shutting down */
    struct snapshot *s = error ? snapshot_failed(c->def->name, error)
                       : c->def->own_pids ? result_without_own(c, res)
                       : snapshot_from_result(c->def->name, res);
    collector_publish(c, s);
}

bool collector_shares_xact(const struct collector *c)
{
    return !c->def->alone && !(c->current && c->current->error);
}

int collector_send(struct collector *c, const char *sql, int nparams, const char *const *params)
{
    const struct server *server = app_server(c->app, c->def->source);
    struct pgpool *pool = server_pool(server);
    if (!sql || !pool)
        return -1;
    if (collector_shares_xact(c))
        return pgpool_send_shared(pool, c->def->name, sql, nparams, params, pg_done, c);
    return pgpool_send_prepared(pool, c->def->name, sql, nparams, params, 0, pg_done, c);
}

/* Whether the INFO line's key (its first `len` bytes) is one of `keep`
 * (NULL: all are). */
static bool info_key_kept(const char *const *keep, const char *key, size_t len)
{
    if (!keep)
        return true;
    for (; *keep; keep++) {
        size_t n = strlen(*keep);
        if (n && (*keep)[n - 1] == '*' ? len >= n - 1 && memcmp(key, *keep, n - 1) == 0
                                        : len == n && memcmp(key, *keep, n) == 0)
            return true;
    }
    return false;
}

/* Redis INFO is "key:value" lines in "# Section" blocks: one row with a
 * column per key kept, so panes and deltas read it like any other
 * snapshot. */
static struct snapshot *snapshot_from_info(const char *name, const char *info, const char *const *keep)
{
    /* Count the keys first: the table is made once with all its columns
     * (INFO has about 150), not grown a column at a time. */
    int nkeys = 0;
    for (const char *line = info; line && *line;) {
        size_t n = strcspn(line, "\r\n");
        const char *colon = memchr(line, ':', n);
        if (line[0] != '#' && colon && info_key_kept(keep, line, (size_t)(colon - line)))
            nkeys++;
        line += n;
        while (*line == '\r' || *line == '\n')
            line++;
    }
    char **keys = xcalloc((size_t)(nkeys ? nkeys : 1), sizeof *keys);
    char **values = xcalloc((size_t)(nkeys ? nkeys : 1), sizeof *values);
    int k = 0;
    for (const char *line = info; line && *line && k < nkeys;) {
        size_t n = strcspn(line, "\r\n");
        const char *colon = memchr(line, ':', n);
        if (line[0] != '#' && colon && info_key_kept(keep, line, (size_t)(colon - line))) {
            keys[k] = xstrndup(line, (size_t)(colon - line));
            values[k] = xstrndup(colon + 1, n - (size_t)(colon - line) - 1);
            k++;
        }
        line += n;
        while (*line == '\r' || *line == '\n')
            line++;
    }
    /* A key said twice keeps its last value, as snapshot_set did. */
    int ncols = 0;
    for (int i = 0; i < nkeys; i++) {
        int j = 0;
        while (j < ncols && strcmp(keys[j], keys[i]) != 0)
            j++;
        if (j < ncols) {
            free(values[j]);
            values[j] = values[i];
            free(keys[i]);
        } else {
            keys[ncols] = keys[i];
            values[ncols] = values[i];
            ncols++;
        }
    }
    struct snapshot *s = snapshot_new(name, ncols, (const char *const *)keys);
    snapshot_add_row(s, (const char *const *)values);
    for (int i = 0; i < ncols; i++) {
        free(keys[i]);
        free(values[i]);
    }
    free(keys);
    free(values);
    return s;
}

static void redis_done(void *arg, const redisReply *reply, const char *error)
{
    struct collector *c = arg;
    if (!c->app->collectors)
        return;
    struct snapshot *s;
    if (error)
        s = snapshot_failed(c->def->name, error);
    else if (reply->type != REDIS_REPLY_STRING)
        s = snapshot_failed(c->def->name, "unexpected reply to INFO");
    else
        s = snapshot_from_info(c->def->name, reply->str, c->def->info_keys);
    collector_publish(c, s);
}

/* NULL when up; "" while the first connect is under way (wait for it
 * rather than publish a failure); otherwise why the source is down. */
static const char *state_reason(enum pgconn_state st, const char *down)
{
    if (st == PGCONN_UP)
        return NULL;
    return st == PGCONN_CONNECTING ? "" : down;
}

/* What a collector publishes while its server is absent or not up. */
static const struct {
    const char *absent, *down;
} source_reasons[SERVER_COUNT] = {
    [SERVER_PRIMARY]   = { "no primary", "primary not connected" },
    [SERVER_REPLICA]   = { "no replica configured (--replica or DATABASE_READ_REPLICA_URL)",
                           "replica not connected" },
    [SERVER_PGBOUNCER] = { "no PgBouncer configured (--pgbouncer or PGBOUNCER_URL)",
                           "PgBouncer not connected" },
    [SERVER_REDIS]     = { "no Redis configured (--redis or REDIS_URL)", "Redis not connected" },
};

static const char *source_down(const struct app *app, enum server_id src)
{
    if (src < 0 || src >= SERVER_COUNT)
        return "unknown source";
    const struct server *s = app_server(app, src);
    if (!server_configured(s))
        return source_reasons[src].absent;
    return state_reason(server_state(s), source_reasons[src].down);
}

/* The source a collector sends to, for a standard run. */
static int send_query(struct collector *c)
{
    struct app *app = c->app;
    const struct collector_def *d = c->def;
    const struct server *server = app_server(app, d->source);
    if (server_redis(server)) {
        const char *argv[] = { d->query };
        return redisconn_command(server_redis(server), redis_done, c, 1, argv);
    }
    if (server_conn(server))
        return pgconn_send(server_conn(server), d->query, 0, NULL, 0, pg_done, c);
    /* Each statement is prepared under its own name: the detailed one
     * under its file's name ("queries/activity.sql:every_lock"). */
    bool more = collector_sends_more(c);
    const char *sql = embedded_find(more ? d->query_more : d->query);
    if (!sql) {
        collector_publish(c, snapshot_failed(d->name, "query file missing from the build"));
        return 0;
    }
    struct pgpool *pool = server_pool(server);
    if (collector_shares_xact(c))
        return pgpool_send_shared(pool, more ? d->query_more : d->name, sql, 0, NULL, pg_done, c);
    return pgpool_send_prepared(pool, more ? d->query_more : d->name, sql, 0, NULL, 0, pg_done, c);
}

static void run_one(struct collector *c)
{
    struct app *app = c->app;
    /* A viewer's collectors are fed (collector_receive), never run. */
    if (app->fed)
        return;
    const char *down = source_down(app, c->def->source);
    double now = now_monotonic();
    if (down && !*down) {
        c->next_run = now + 0.1;
        return;
    }
    if (down) {
        /* Publish the reason once, then stay quiet until the source is up:
         * a down server is shown as down, not as an error loop. */
        if (!c->current || !c->current->error || strcmp(c->current->error, down) != 0) {
            c->started = now;
            collector_publish(c, snapshot_failed(c->def->name, down));
        }
        c->next_run = now + app->interval;
        return;
    }
    int min_version = c->def->min_version;
    if (min_version && c->def->source == SERVER_PRIMARY &&
        pgpool_server_version(app->primary) < min_version) {
        c->started = now;
        char msg[96];
        snprintf(msg, sizeof msg, "needs PostgreSQL %d or later", min_version / 10000);
        collector_publish(c, snapshot_failed(c->def->name, msg));
        c->next_run = now + 60;
        return;
    }
    c->running = true;
    c->waiting = false;
    c->started = now;
    int rc = c->def->run ? c->def->run(c) : send_query(c);
    if (rc != 0) {
        c->running = false;
        c->next_run = now + app->interval;
    }
}

void collectors_tick(struct app *app)
{
    if (!app->collectors || app->fed)
        return;
    double now = now_monotonic();
    for (int i = 0; i < app->ncollectors; i++) {
        struct collector *c = &app->collectors[i];
        /* A little slack so a collector due a hair after the tick is not
         * pushed back a whole interval. */
        /* A collector that is needed now runs at the refresh interval
         * whatever its idle cadence. */
        if (!c->running && (c->def->wanted || c->def->cadence_wanted > 0)) {
            double soon = c->def->cadence_wanted > app->interval ? c->def->cadence_wanted : app->interval;
            if (c->next_run > c->started + soon + 0.05 && is_wanted(c))
                c->next_run = c->started + soon;
        }
        if (!c->running && c->next_run <= now + 0.05)
            run_one(c);
    }
}

static void tick_cb(uv_timer_t *t)
{
    struct app *app = t->data;
    if (!app->paused)
        collectors_tick(app);
    /* Until every collector has published once, tick every 100 ms so the
     * first complete frame waits for the servers, not for the interval. */
    if (!app->warmed_up && collectors_all_done(app)) {
        app->warmed_up = true;
        uv_timer_set_repeat(&app->tick, (uint64_t)(app->interval * 1000));
    }
}

void collectors_start(struct app *app)
{
    if (app->fed)
        return;
    uv_timer_init(app->loop, &app->tick);
    app->tick.data = app;
    app->ticking = true;
    uint64_t ms = (uint64_t)(app->interval * 1000);
    /* The first tick comes soon: connections are usually up in a few ms. */
    uv_timer_start(&app->tick, tick_cb, 20, app->warmed_up ? ms : 100);
}

bool collectors_ticking(const struct app *app)
{
    return app->ticking;
}

void collectors_stop(struct app *app)
{
    app->stopping = true;
    if (app->ticking && !uv_is_closing((uv_handle_t *)&app->tick)) {
        uv_timer_stop(&app->tick);
        uv_close((uv_handle_t *)&app->tick, NULL);
    }
}

bool collectors_closing(const struct app *app)
{
    return !app->collectors || app->stopping;
}

double collectors_set_interval(struct app *app, double seconds)
{
    if (!(seconds >= COLLECTORS_MIN_INTERVAL))
        seconds = COLLECTORS_MIN_INTERVAL;
    if (seconds > COLLECTORS_MAX_INTERVAL)
        seconds = COLLECTORS_MAX_INTERVAL;
    app->interval = seconds;
    if (app->ticking && !app->stopping) {
        uint64_t ms = (uint64_t)(seconds * 1000);
        uv_timer_start(&app->tick, tick_cb, ms, ms);
    }
    return seconds;
}

void collectors_pause(struct app *app, bool paused)
{
    app->paused = paused;
    if (paused)
        return;
    /* What came while paused is shown now; the time it was held counts
     * against how long it stays current. */
    for (int i = 0; i < app->ncollectors; i++) {
        struct collector *c = &app->collectors[i];
        struct snapshot *s = c->held;
        c->held = NULL;
        if (s)
            take_received(c, s, c->held_until - now_monotonic(), c->held_at);
    }
    /* What was missed while paused is due now. */
    collectors_refresh_all(app);
}

void collectors_refresh_all(struct app *app)
{
    for (int i = 0; i < app->ncollectors; i++)
        app->collectors[i].next_run = 0;
    if (app->ticking && !app->stopping) {
        uint64_t ms = (uint64_t)(app->interval * 1000);
        uv_timer_start(&app->tick, tick_cb, 0, ms);
    }
}

/* A source came up: run its collectors now rather than at the next tick. */
static void source_up(struct app *app, enum server_id source)
{
    for (int i = 0; i < app->ncollectors; i++)
        if (app->collectors[i].def->source == source && !app->collectors[i].running)
            run_one(&app->collectors[i]);
}

/* A server's state changed (app_changed): each source seen up now that was
 * not up when last seen gets its collectors run at once. */
static void servers_changed(struct app *app)
{
    if (!app->collectors)
        return;
    for (int i = 0; i < SERVER_COUNT; i++) {
        unsigned bit = 1u << i;
        bool up = source_down(app, (enum server_id)i) == NULL;
        bool was = app->sources_up & bit;
        app->sources_up = up ? app->sources_up | bit : app->sources_up & ~bit;
        if (up && !was)
            source_up(app, (enum server_id)i);
    }
}

void collector_want(struct app *app, const char *name, bool shown)
{
    struct collector *c = collector_find(app, name);
    if (!c || c->shown == shown)
        return;
    c->shown = shown;
    if (shown && !c->running && c->next_run > now_monotonic())
        run_one(c);
}

void collector_more(struct app *app, const char *name, bool on)
{
    struct collector *c = collector_find(app, name);
    if (!c || !c->def->query_more || (!on && c->more == 0))
        return;
    c->more += on ? 1 : -1;
    /* Asked before the first run (a front end starting), the first run
     * sends it anyway; asked while paused, the run after the resume (a
     * paused console shows what it showed). */
    if (on && c->more == 1 && c->current && !app->paused)
        collector_run_now(app, c->def->name);
}

bool collector_sends_more(const struct collector *c)
{
    return c->more > 0 && c->def->query_more;
}

void collector_run_now(struct app *app, const char *name)
{
    /* Closing: a callback the closing connections fail (an action's, a
     * derive's) must not send a new query into a pool being freed. */
    if (collectors_closing(app))
        return;
    struct collector *c = collector_find(app, name);
    if (c && !c->running)
        run_one(c);
}

struct collector *collector_find(const struct app *app, const char *name)
{
    /* The panes, derives and alert rules name a collector by a literal
     * that the linker keeps once for the whole program (the def's name
     * itself, most of the time): the same pointer is found without a
     * string compare per collector before it (issue 14: strcmp was 9 % of
     * a steady console's instructions, most of it in lookups by name). */
    for (int i = 0; app->collectors && i < app->ncollectors; i++)
        if (app->collectors[i].def->name == name)
            return &app->collectors[i];
    for (int i = 0; app->collectors && i < app->ncollectors; i++)
        if (strcmp(app->collectors[i].def->name, name) == 0)
            return &app->collectors[i];
    return NULL;
}

const struct snapshot *collectors_snapshot(const struct app *app, const char *name)
{
    const struct collector *c = collector_find(app, name);
    return c ? c->current : NULL;
}

const struct snapshot *collectors_shown(const struct app *app, const char *name)
{
    const struct collector *c = collector_find(app, name);
    return c ? collector_shown(c) : NULL;
}

double collectors_stale_as_of(const struct app *app, const char *name)
{
    const struct collector *c = name ? collector_find(app, name) : NULL;
    return c ? collector_stale_as_of(c, now_monotonic()) : 0;
}

bool collector_source_up(const struct collector *c)
{
    return c->app && c->def && source_down(c->app, c->def->source) == NULL;
}

const struct snapshot *collector_shown(const struct collector *c)
{
    if (c->current && !c->current->error)
        return c->current;
    return c->last_good ? c->last_good : c->current;
}

double collector_stale_as_of(const struct collector *c, double now)
{
    const struct snapshot *s = collector_shown(c);
    if (!s || s->error || s != c->last_good || !c->app || !c->def)
        return 0;
    /* Fed: current while the agent's next entry is not yet overdue. */
    if (c->good_until > 0)
        return now > c->good_until ? s->taken_at : 0;
    double cadence = collector_cadence(c);
    if (c->good_cadence > cadence)
        cadence = c->good_cadence;
    if (now - c->good_at <= COLLECTOR_STALE_CADENCES * cadence)
        return 0;
    return s->taken_at;
}

bool collectors_all_done(const struct app *app)
{
    /* A collector asked to run again by another's derive (the indexes
     * when index_health has learnt the plan's tables) is not done until
     * that run is in: a one-shot front end shows them agreeing. */
    for (int i = 0; i < app->ncollectors; i++)
        if (!app->collectors[i].current || app->collectors[i].running)
            return false;
    return true;
}

const char *collector_source_name(enum server_id source)
{
    switch (source) {
    case SERVER_PRIMARY:   return "primary";
    case SERVER_REPLICA:   return "replica";
    case SERVER_PGBOUNCER: return "pgbouncer";
    case SERVER_REDIS:     return "redis";
    case SERVER_COUNT:     break;
    }
    return "unknown";
}
