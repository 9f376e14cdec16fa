/* The host subject's sizes collector: the database's size and its partitioned tables',
 * sampled on a slow cadence into a history kept in memory and on disk
 * (forecast.h), fitted to a growth rate and projected to "disk full in N
 * days" on the filesystem that holds each one (the disks collector's
 * free space).  The history is read and written on the thread pool. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alerts.h"
#include "core/app.h"
#include "core/collector.h"
#include "subjects/host.h"
#include "base/embedded.h"
#include "core/forecast.h"
#include "core/host_job.h"
#include "base/clock.h"
#include "base/xalloc.h"

struct sizes_state {
    struct forecast_history *history;   /* NULL while a job has it */
    char  *path;                        /* the history file, once known */
};

struct sizes_job {
    struct host_job base;
    struct forecast_history *history;
    char   *path;                       /* NULL: no history file */
    struct snapshot *s;                 /* the result, to be published */
    double  now;
    char    err[320];
};

void host_sizes_free(void *state)
{
    struct sizes_state *st = state;
    if (!st)
        return;
    forecast_history_free(st->history);
    free(st->path);
    free(st);
}

static void sizes_job_free(struct sizes_job *j)
{
    forecast_history_free(j->history);
    free(j->path);
    snapshot_unref(j->s);
    free(j);
}

/* A sample only when the size is whole: a locked leaf left out would
 * look like shrinkage. */
static bool sample_of(const struct snapshot *s, int r, double *at, double *bytes)
{
    *bytes = snapshot_number(s, r, "size", NAN);
    *at = snapshot_number(s, r, "sampled_at", NAN);
    return !isnan(*bytes) && !isnan(*at) && snapshot_number(s, r, "skipped", 0) == 0;
}

/* The partitioned tables' sizes come from the partitions collector, which
 * measures them anyway (see sizes.sql); the database's from the query.
 * Each row gets the moment its size was measured. */
static void fill_sizes(const struct app *app, struct snapshot *s)
{
    const struct snapshot *parts = collectors_snapshot(app, "partitions");
    char at[32];
    for (int r = 0; r < s->nrows; r++) {
        const char *kind = snapshot_get(s, r, "kind");
        if (kind && strcmp(kind, "partitioned_table") != 0) {
            snprintf(at, sizeof at, "%.3f", s->taken_at);
            snapshot_set(s, r, "sampled_at", at);
            continue;
        }
        if (!parts || parts->error) {
            snapshot_set(s, r, "forecast_note", parts ? parts->error : "no partition sizes yet");
            continue;
        }
        int p = snapshot_find(parts, "name", snapshot_get(s, r, "name"));
        if (p < 0)
            continue;
        snapshot_set(s, r, "size", snapshot_get(parts, p, "size"));
        snapshot_set(s, r, "skipped", snapshot_get(parts, p, "size_skipped"));
        snprintf(at, sizeof at, "%.3f", parts->taken_at);
        snapshot_set(s, r, "sampled_at", at);
    }
}

static void sizes_work(struct host_job *base)
{
    struct sizes_job *j = (struct sizes_job *)base;
    char err[256] = "";
    if (j->path && !j->history->loaded && forecast_history_load(j->history, j->path, err, sizeof err) != 0)
        snprintf(j->err, sizeof j->err, "%s", err);
    for (int r = 0; r < j->s->nrows; r++) {
        double at, bytes;
        if (sample_of(j->s, r, &at, &bytes))
            forecast_history_add(j->history, snapshot_get(j->s, r, "kind"), snapshot_get(j->s, r, "name"),
                                 at, bytes);
    }
    forecast_history_thin(j->history, j->now);
    if (j->path && forecast_history_persist(j->history, j->path, err, sizeof err) != 0 && !*j->err)
        snprintf(j->err, sizeof j->err, "%s", err);
}

/* The disks row of the filesystem that holds a tablespace, or -1. */
static int disk_of(const struct snapshot *d, const char *tablespace)
{
    if (!d || d->error || !tablespace)
        return -1;
    bool base = strcmp(tablespace, "pg_default") == 0 || strcmp(tablespace, "pg_global") == 0;
    for (int r = 0; r < d->nrows; r++) {
        const char *kind = snapshot_get(d, r, "kind");
        const char *name = snapshot_get(d, r, "name");
        if (!kind)
            continue;
        if (base ? strcmp(kind, "data_directory") == 0
                 : strcmp(kind, "tablespace") == 0 && name && strcmp(name, tablespace) == 0)
            return r;
    }
    return -1;
}

static void sizes_done(struct host_job *base, struct collector *c)
{
    struct sizes_job *j = (struct sizes_job *)base;
    if (!c) {
        sizes_job_free(j);
        return;
    }
    struct sizes_state *st = c->state;
    st->history = j->history;
    j->history = NULL;

    struct snapshot *s = j->s;
    j->s = NULL;
    const char *why = host_unavailable(c->app);
    const struct snapshot *disks = collectors_snapshot(c->app, "disks");
    for (int r = 0; r < s->nrows; r++) {
        const struct forecast_series *series =
            forecast_history_find(st->history, snapshot_get(s, r, "kind"), snapshot_get(s, r, "name"));
        struct forecast f;
        int fitted = series ? forecast_fit(series->samples, series->count, &f) : -1;
        int n = series ? series->count : 0;
        host_set_number(s, r, "samples", n, 0);
        host_set_number(s, r, "span_seconds", n > 1 ? series->samples[n - 1].at - series->samples[0].at : 0, 0);
        host_set_number(s, r, "growth_per_day", fitted == 0 ? f.slope * 86400 : NAN, 0);
        char note[256] = "";
        if (snapshot_get(s, r, "forecast_note"))
            snprintf(note, sizeof note, "%s", snapshot_get(s, r, "forecast_note"));
        int d = disk_of(disks, snapshot_get(s, r, "tablespace"));
        if (d >= 0) {
            snapshot_set(s, r, "filesystem", snapshot_get(disks, d, "path"));
            snapshot_set(s, r, "free", snapshot_get(disks, d, "free"));
        }
        double free_bytes = d >= 0 ? snapshot_number(disks, d, "free", NAN) : NAN;
        double days = fitted == 0 ? forecast_days_to_full(&f, free_bytes) : NAN;
        host_set_number(s, r, "days_to_full", days, 1);
        if (*note)
            ;                   /* already says why (no partition sizes) */
        else if (fitted != 0)
            snprintf(note, sizeof note, "needs %d samples over some time, has %d", FORECAST_MIN_SAMPLES, n);
        else if (!(f.slope > 0))
            snprintf(note, sizeof note, "not growing");
        else if (why && *why)
            snprintf(note, sizeof note, "%s", why);
        else if (d < 0)
            snprintf(note, sizeof note, "no disk figures for tablespace %s",
                     snapshot_get(s, r, "tablespace") ? snapshot_get(s, r, "tablespace") : "?");
        else if (isnan(free_bytes))
            snprintf(note, sizeof note, "%s", snapshot_get(disks, d, "error") ? snapshot_get(disks, d, "error")
                                                                                 : "free space unknown");
        snapshot_set(s, r, "forecast_note", *note ? note : NULL);
        snapshot_set(s, r, "history_file", st->path);
        snapshot_set(s, r, "history_error", *j->err ? j->err : NULL);
    }
    collector_publish(c, s);
    sizes_job_free(j);
}

/* The history file's name: the server's system identifier when the role
 * may read it, else a hash of how pgdeck reached it; and the database. */
static char *history_key(const struct app *app, const struct snapshot *s)
{
    const char *sysid = s->nrows ? snapshot_get(s, 0, "server_key") : NULL;
    const char *db = NULL;
    for (int r = 0; r < s->nrows && !db; r++)
        if (strcmp(snapshot_get(s, r, "kind") ? snapshot_get(s, r, "kind") : "", "database") == 0)
            db = snapshot_get(s, r, "name");
    if (sysid && *sysid)
        return xasprintf("%s-%s", sysid, db ? db : "db");
    unsigned long h = 5381;
    for (const char *p = app->primary_display ? app->primary_display : ""; *p; p++)
        h = h * 33 + (unsigned char)*p;
    return xasprintf("conn%08lx-%s", h & 0xffffffffUL, db ? db : "db");
}

static void sizes_result(void *arg, const PGresult *res, const char *error, double elapsed)
{
    (void)elapsed;
    struct collector *c = arg;
    if (!c->app->collectors)
        return;
    if (error) {
        collector_publish(c, snapshot_failed(c->def->name, error));
        return;
    }
    struct sizes_state *st = c->state;
    struct sizes_job *j = xcalloc(1, sizeof *j);
    j->s = snapshot_from_result(c->def->name, res);
    fill_sizes(c->app, j->s);
    if (!st->path && j->s->nrows) {
        char *key = history_key(c->app, j->s);
        char err[256];
        st->path = forecast_state_path(key, err, sizeof err);
        if (!st->path)
            snprintf(j->err, sizeof j->err, "%s", err);
        free(key);
    }
    j->path = st->path ? xstrdup(st->path) : NULL;
    j->history = st->history ? st->history : forecast_history_new();
    st->history = NULL;
    j->now = now_wall();
    if (host_job_start(&j->base, c, sizes_work, sizes_done) != 0) {
        st->history = j->history;
        j->history = NULL;
        sizes_job_free(j);
        collector_publish(c, snapshot_failed(c->def->name, "cannot start a thread-pool job"));
    }
}

int host_sizes_run(struct collector *c)
{
    if (!c->state)
        c->state = xcalloc(1, sizeof(struct sizes_state));
    /* Growth needs only the server, but "full in N days" needs the disks:
     * wait for them when they are coming, so the first run has both. */
    const char *why = host_unavailable(c->app);
    if (why && !*why)
        return host_job_defer(c);
    if (!why && !collectors_snapshot(c->app, "disks"))
        return host_job_defer(c);
    if (collector_find(c->app, "partitions") && !collectors_snapshot(c->app, "partitions"))
        return host_job_defer(c);
    const char *sql = embedded_find(c->def->query);
    if (!sql)
        return -1;
    return pgpool_send_prepared(c->app->primary, c->def->name, sql, 0, NULL, 0, sizes_result, c);
}

/* ---- the disk alert ---------------------------------------------------------- */

/* Alert rules about the database host: a disk that, at the growth rate of
 * what it holds, is full within cfg->alerts.disk_full_days (critical
 * within a quarter of that).  The forecast itself is the sizes collector's
 * (above, forecast.c); without host figures there is none, and
 * the rule stays silent rather than guess. */

/* The sizes row that fills its disk soonest, or -1. */
static int soonest(const struct snapshot *s, double *days)
{
    int best = -1;
    *days = INFINITY;
    for (int r = 0; r < s->nrows; r++) {
        double d = snapshot_number(s, r, "days_to_full", NAN);
        if (!isnan(d) && d < *days) {
            *days = d;
            best = r;
        }
    }
    return best;
}

int alert_disk_full(const struct app *app, struct alert *out, int max)
{
    const struct snapshot *s = collectors_snapshot(app, "sizes");
    if (!s || s->error || max < 1)
        return 0;
    double horizon = app->cfg->alerts.disk_full_days;
    double days;
    int r = soonest(s, &days);
    if (r < 0 || !(days < horizon))
        return 0;
    char growth[16];
    host_compact_bytes(growth, sizeof growth, snapshot_number(s, r, "growth_per_day", NAN));
    const char *kind = snapshot_get(s, r, "kind");
    alert_set(out, days < horizon / 4 ? ALERT_CRITICAL : ALERT_WARNING, "disk_full",
              "disk full in %.1f days < %.0f: %s (%s %s grows %sB/day)",
              days, horizon, snapshot_get(s, r, "filesystem") ? snapshot_get(s, r, "filesystem") : "?",
              kind && strcmp(kind, "database") == 0 ? "database" : "table",
              snapshot_get(s, r, "name"), growth);
    return 1;
}

int perf_host(const struct app *app, struct perfdata *out, int max)
{
    int n = 0;
    const struct snapshot *s = collectors_snapshot(app, "sizes");
    double days;
    if (s && !s->error && n < max && soonest(s, &days) >= 0) {
        struct perfdata *p = &out[n++];
        snprintf(p->label, sizeof p->label, "disk_full_days");
        p->value = days;
        p->unit[0] = '\0';
        p->warn = app->cfg->alerts.disk_full_days;
        p->crit = p->warn / 4;
    }
    const struct snapshot *d = collectors_snapshot(app, "disks");
    if (d && !d->error) {
        for (int r = 0; r < d->nrows && n < max; r++) {
            const char *kind = snapshot_get(d, r, "kind");
            double pct = snapshot_number(d, r, "used_percent", NAN);
            if (!kind || isnan(pct) || strcmp(kind, "tablespace") == 0)
                continue;
            struct perfdata *p = &out[n++];
            snprintf(p->label, sizeof p->label, "%s_used", strcmp(kind, "wal") == 0 ? "wal_disk" : "data_disk");
            p->value = pct;
            snprintf(p->unit, sizeof p->unit, "%%");
            p->warn = p->crit = NAN;
        }
    }
    return n;
}
