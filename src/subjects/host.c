/* The host subject: what the database server's processes cost the
 * machine, how full its disks are, and when they will be full (see
 * host.h).  It has no pane of its own: the host line shows in the queries
 * pane, each session's figures in its row (derive_activity_host,
 * queries.c).  Backends, host and disks read /proc and statvfs on libuv's
 * thread pool (host_job.h) and publish on the loop (but for the small
 * reads that cost less than the hand-off: pass_on_loop, host_system_run); sizes and the disk
 * alert are in host_sizes.c, the host line in host_summary.c. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/alerts.h"
#include "core/app.h"
#include "core/collector.h"
#include "core/subject.h"
#include "subjects/host.h"
#include "base/embedded.h"
#include "core/host.h"
#include "core/host_job.h"
#include "base/clock.h"
#include "base/xalloc.h"

/* The first reading of CPU counters has nothing to compare with: a
 * one-shot front end's first run reads twice, this far apart, on the
 * thread pool (so --once and check show rates too).  The console and the
 * agent publish the first reading at once, rates unknown: they fill in
 * at the next run (issue 14: the first complete frame waited 0.1 s for
 * them). */
#define FIRST_WINDOW_S 0.1
/* A server that is not on this host stays elsewhere: look again this
 * seldom rather than list its backends every refresh for nothing. */
#define NOT_HERE_RECHECK_S 30.0
/* /proc/PID/io of an idle session is read this seldom: its rates show
 * nowhere but in --once's JSON and the details of a session, and an idle
 * session reads and writes next to nothing.  Skipping it halves the files
 * a refresh opens on a server with hundreds of idle connections (issue
 * 14: 300 backends in <= 5 ms). */
#define IO_IDLE_EVERY_S 10.0
/* /proc/PID/io and statm of a session that is not idle are read this
 * often, stat (its CPU) every refresh: the I/O rates and the shared
 * memory show only in a session's details, --once's JSON and the
 * READ/s and WRITE/s columns of a terminal 190 wide or more, and a rate
 * over a few seconds reads better than one over a second.  Reading them
 * every refresh tripled the files opened per busy backend (issue 14:
 * the host job was half of the console's CPU under pgbench).  Between
 * readings the last rates and shared memory stand. */
#define IO_ACTIVE_EVERY_S 5.0
/* A reading due at t is taken at the refresh nearest t, not the one after. */
#define DUE_SLACK_S 0.5

const char *host_unavailable(const struct app *app)
{
    const struct snapshot *b = collectors_snapshot(app, "backends");
    if (!b)
        return "";
    return b->error;
}

/* ---- backends ----------------------------------------------------------- */

/* What the previous reading of a backend was, for rates.  io is read
 * less often than stat (IO_IDLE_EVERY_S): its counters carry their own
 * time, and the rates last computed are kept for the passes between. */
struct backend_reading {
    int    pid;
    unsigned long long starttime, ticks, read_bytes, write_bytes;
    unsigned long long shared;      /* statm's shared pages, when statm_at */
    bool   io;
    double at, io_at, statm_at;     /* statm_at NAN: statm not read */
    double read_bps, write_bps;     /* NAN: not known yet */
    int    row;                     /* its row in the snapshot published, or -1 */
};

/* A one-shot front end's first reading of the server's processes, taken
 * on the thread pool while the backends query is still under way, so that
 * the 0.1 s window for CPU shares overlaps the queries instead of
 * following them (issue 14: it was the last thing --once waited for).
 * Every process of the host is read, since the server's pids are not yet
 * known; only PostgreSQL's are kept. */
struct early_job {
    struct host_job base;
    char   *root;
    struct host_backend *b;         /* sorted by pid */
    int     n;
    double  at;                     /* monotonic, when the reading began */
};

struct backends_state {
    struct backend_reading *prev;   /* sorted by pid */
    int    nprev;
    double btime;                   /* boot time, once known */
    bool   early_started;
    struct early_job *early;        /* done and not used yet */
    /* The server address last found to be this host's ("" for a unix
     * socket), so that a pass does not list the interfaces again. */
    char  *local_addr;
};

/* pgdeck's own cost of reading /proc, for the host snapshot. */
static struct {
    int    backends;
    double read_ms, read_cpu_ms, merge_ms;
} backends_cost;

struct backends_job {
    struct host_job base;
    char   *root;
    struct backend_reading *known;  /* verified before (pid, starttime), by pid */
    int     nknown;
    char   *server_addr;            /* NULL: a unix socket */
    bool    address_checked;        /* address_local known before the pass */
    bool    address_local;
    double  btime;
    bool    first;                  /* read twice, FIRST_WINDOW_S apart */
    struct snapshot *rows;          /* the query's result */
    int     n;
    struct host_backend *before;    /* first run only */
    struct early_job *early;        /* first run: the reading taken before
                                       the query's result, or NULL */
    struct host_backend *now;
    double  read_ms;                /* the pass's wall time */
    double  read_cpu_ms;            /* and the CPU it ran */
};

static void early_job_free(struct early_job *e)
{
    if (!e)
        return;
    free(e->root);
    free(e->b);
    free(e);
}

static void host_backends_free(void *state)
{
    struct backends_state *st = state;
    if (!st)
        return;
    free(st->prev);
    early_job_free(st->early);
    free(st->local_addr);
    free(st);
}

static void backends_job_free(struct backends_job *j)
{
    free(j->root);
    free(j->known);
    free(j->server_addr);
    snapshot_unref(j->rows);
    early_job_free(j->early);
    free(j->before);
    free(j->now);
    free(j);
}

static int compare_reading(const void *a, const void *b)
{
    const struct backend_reading *x = a, *y = b;
    return (x->pid > y->pid) - (x->pid < y->pid);
}

static bool due(double now, double last, double every)
{
    return isnan(last) || now - last >= every - DUE_SLACK_S;
}

/* Whether row i of the backends query is a session that is not idle
 * (state_col: the query's column "state", looked up once a pass). */
static bool row_active(const struct snapshot *rows, int i, int state_col)
{
    const char *state = snapshot_cell(rows, i, state_col);
    return !state || strcmp(state, "idle") != 0;
}

/* One pass over every backend.  The command line is read only for a pid
 * not verified before (host_read_backend still checks its start time, so
 * a reused pid is not taken for the old one), statm only for sessions
 * that are not idle (the details show their shared memory), every
 * IO_ACTIVE_EVERY_S; io for those as often, and for an idle one first
 * seen or not read for IO_IDLE_EVERY_S.  A first run (two passes 0.1 s
 * apart, for --once) reads io of every session that is not idle in both,
 * so that its rates are there. */
static void read_all(struct backends_job *j, struct host_backend *out)
{
    double now = now_monotonic();
    struct host_stat_fds *fds = host_stat_fds_begin(j->root);
    /* The columns looked up once a pass, not by name for every backend. */
    int pid_col = snapshot_column(j->rows, "pid"), start_col = snapshot_column(j->rows, "backend_start");
    int state_col = snapshot_column(j->rows, "state");
    for (int i = 0; i < j->n; i++) {
        struct host_backend *b = &out[i];
        b->pid = (int)snapshot_cell_number(j->rows, i, pid_col, 0);
        b->backend_start = snapshot_cell_number(j->rows, i, start_col, NAN);
        bool active = row_active(j->rows, i, state_col);
        struct backend_reading probe = { .pid = b->pid };
        const struct backend_reading *k = j->nknown ?
            bsearch(&probe, j->known, (size_t)j->nknown, sizeof *j->known, compare_reading) : NULL;
        b->known = k != NULL;
        b->known_start = k ? k->starttime : 0;
        b->want_statm = active && (!k || j->first || due(now, k->statm_at, IO_ACTIVE_EVERY_S));
        b->want_io = !k || (active && j->first) ||
                     due(now, k->io_at, active ? IO_ACTIVE_EVERY_S : IO_IDLE_EVERY_S);
        host_read_backend_kept(j->root, b, j->btime, fds);
    }
    host_stat_fds_end(fds);
}

static struct backend_reading reading_of(const struct host_backend *b);
static int compare_reading(const void *a, const void *b);

static int compare_backend(const void *a, const void *b)
{
    const struct host_backend *x = a, *y = b;
    return (x->pid > y->pid) - (x->pid < y->pid);
}

/* The pids a pass verified, as the next pass's known ones (by pid). */
static void known_from(struct backends_job *j, const struct host_backend *b)
{
    free(j->known);
    j->known = xcalloc((size_t)(j->n ? j->n : 1), sizeof *j->known);
    j->nknown = 0;
    for (int i = 0; i < j->n; i++)
        if (b[i].same_process)
            j->known[j->nknown++] = reading_of(&b[i]);
    qsort(j->known, (size_t)j->nknown, sizeof *j->known, compare_reading);
}

static bool any_same(const struct host_backend *b, int n)
{
    for (int i = 0; i < n; i++)
        if (b[i].same_process)
            return true;
    return false;
}

static void backends_work(struct host_job *base)
{
    struct backends_job *j = (struct backends_job *)base;
    if (!j->address_checked)
        j->address_local = host_address_is_local(j->server_addr);
    if (!j->address_local)
        return;
    if (isnan(j->btime))
        j->btime = host_boot_time(j->root);
    double t0 = now_monotonic(), c0 = now_thread_cpu();
    if (j->first && j->early) {
        /* The first reading was taken while the query ran: the server's
         * backends in it are the "before" (a backend that started since
         * has none: no rate yet, as for any new session). */
        j->before = xcalloc((size_t)(j->n ? j->n : 1), sizeof *j->before);
        for (int i = 0; i < j->n; i++) {
            struct host_backend key = { .pid = (int)snapshot_number(j->rows, i, "pid", 0) };
            const struct host_backend *e = j->early->n ?
                bsearch(&key, j->early->b, (size_t)j->early->n, sizeof *j->early->b, compare_backend) : NULL;
            if (e)
                j->before[i] = *e;
            j->before[i].pid = key.pid;
        }
        known_from(j, j->before);
        double wait = FIRST_WINDOW_S - (now_monotonic() - j->early->at);
        if (wait > 0) {
            struct timespec ts = { (time_t)wait, (long)((wait - (double)(time_t)wait) * 1e9) };
            nanosleep(&ts, NULL);
        }
        t0 = now_monotonic();
        c0 = now_thread_cpu();
    } else if (j->first) {
        /* Rates need two readings: take the first now, unless the server
         * turns out not to be here at all. */
        j->before = xcalloc((size_t)(j->n ? j->n : 1), sizeof *j->before);
        read_all(j, j->before);
        if (!any_same(j->before, j->n)) {
            memcpy(j->now, j->before, (size_t)j->n * sizeof *j->now);
            j->read_ms = (now_monotonic() - t0) * 1000;
            j->read_cpu_ms = (now_thread_cpu() - c0) * 1000;
            return;
        }
        /* The second pass needs no command line: verified just now. */
        known_from(j, j->before);
        struct timespec ts = { 0, (long)(FIRST_WINDOW_S * 1e9) };
        nanosleep(&ts, NULL);
        t0 = now_monotonic();
        c0 = now_thread_cpu();
    }
    read_all(j, j->now);
    j->read_ms = (now_monotonic() - t0) * 1000;
    j->read_cpu_ms = (now_thread_cpu() - c0) * 1000;
}

static struct backend_reading reading_of(const struct host_backend *b)
{
    return (struct backend_reading){
        .pid = b->pid, .starttime = b->stat.starttime,
        .ticks = b->stat.utime + b->stat.stime,
        .read_bytes = b->io.read_bytes, .write_bytes = b->io.write_bytes,
        .shared = b->statm.shared,
        .io = b->io_readable, .at = b->read_at, .io_at = b->want_io ? b->read_at : NAN,
        .statm_at = b->statm.size ? b->read_at : NAN,
        .read_bps = NAN, .write_bps = NAN, .row = -1,
    };
}

/* Why the server is not here, from what the job found; NULL when it is. */
static char *not_here(const struct backends_job *j)
{
    if (!j->address_local)
        return xasprintf("%s: the server answers at %s, not an address of this host",
                         HOST_NEEDS_HOST, j->server_addr);
    int found = 0, same = 0, first_other = 0;
    for (int i = 0; i < j->n; i++) {
        if (!j->now[i].found)
            continue;
        found++;
        if (j->now[i].same_process)
            same++;
        else if (!first_other)
            first_other = j->now[i].pid;
    }
    if (same > 0 && same * 2 >= found)
        return NULL;
    if (found == 0)
        return xasprintf("%s: no server process is visible in %s", HOST_NEEDS_HOST, j->root);
    return xasprintf("%s: pid %d in %s is not the server's process (another host or pid namespace)",
                     HOST_NEEDS_HOST, first_other, j->root);
}

static const char *const backend_columns[] = {
    "pid", "backend_type", "cpu_percent", "rss", "shared_memory", "read_bps", "write_bps", "io_readable",
};

static void backends_done(struct host_job *base, struct collector *c)
{
    struct backends_job *j = (struct backends_job *)base;
    if (!c) {
        backends_job_free(j);
        return;
    }
    double t0 = now_monotonic();
    struct backends_state *st = c->state;
    if (!isnan(j->btime))
        st->btime = j->btime;
    free(st->local_addr);
    st->local_addr = j->address_local ? xstrdup(j->server_addr ? j->server_addr : "") : NULL;
    char *why = not_here(j);
    if (why) {
        free(st->prev);
        st->prev = NULL;
        st->nprev = 0;
        collector_publish(c, snapshot_failed(c->def->name, why));
        c->next_run = now_monotonic() + NOT_HERE_RECHECK_S;
        free(why);
        backends_job_free(j);
        host_job_kick_waiting(c->app);
        return;
    }

    /* The readings to compare with: the first run's own, or the last run's. */
    struct backend_reading *prev = st->prev;
    int nprev = st->nprev;
    struct backend_reading *first = NULL;
    if (j->before) {
        first = xcalloc((size_t)(j->n ? j->n : 1), sizeof *first);
        nprev = 0;
        for (int i = 0; i < j->n; i++)
            if (j->before[i].same_process)
                first[nprev++] = reading_of(&j->before[i]);
        qsort(first, (size_t)nprev, sizeof *first, compare_reading);
        prev = first;
    }

    long tps = host_ticks_per_second();
    double page = (double)host_page_size();
    enum { NCOLS = sizeof backend_columns / sizeof backend_columns[0] };
    struct snapshot *s = snapshot_new(c->def->name, NCOLS, backend_columns);
    /* The snapshot shown, whose row for the same backend lends the cells
     * whose text did not change (most of them: a session's pid, type,
     * memory and I/O rates stay for seconds): shared, not copied and freed
     * again every refresh (issue 14). */
    const struct snapshot *last = c->current && !c->current->error && c->current->ncols == NCOLS
                                ? c->current : NULL;
    int type_col = snapshot_column(j->rows, "backend_type"), state_col = snapshot_column(j->rows, "state");
    struct backend_reading *next = xcalloc((size_t)(j->n ? j->n : 1), sizeof *next);
    int nnext = 0;
    for (int i = 0; i < j->n; i++) {
        const struct host_backend *b = &j->now[i];
        if (!b->same_process)
            continue;
        struct backend_reading r = reading_of(b);
        const struct backend_reading *p = nprev ? bsearch(&r, prev, (size_t)nprev, sizeof *prev, compare_reading) : NULL;
        if (p && p->starttime != r.starttime)
            p = NULL;           /* the pid was reused */
        double dt = p ? r.at - p->at : NAN;
        if (p && r.io && p->io) {
            double io_dt = r.io_at - p->io_at;
            r.read_bps = host_rate(p->read_bytes, r.read_bytes, io_dt);
            r.write_bps = host_rate(p->write_bytes, r.write_bytes, io_dt);
        } else if (p && !b->want_io) {
            /* io not read this pass: the last reading and its rates stand. */
            r.io = p->io;
            r.io_at = p->io_at;
            r.read_bytes = p->read_bytes;
            r.write_bytes = p->write_bytes;
            r.read_bps = p->read_bps;
            r.write_bps = p->write_bps;
        }
        /* statm not read this pass: a session still busy keeps the last
         * reading's shared memory, an idle one shows none (as before). */
        if (p && !b->want_statm && row_active(j->rows, i, state_col) && !isnan(p->statm_at)) {
            r.shared = p->shared;
            r.statm_at = p->statm_at;
        }
        /* The row whole, in backend_columns' order: one copy of each text
         * rather than a lookup by name per figure (issue 14). */
        char pid[32], cpu[64], rss[64], shared[64], rd[64], wr[64];
        const char *row[] = {
            host_number_text(pid, sizeof pid, b->pid, 0),
            snapshot_cell(j->rows, i, type_col),
            host_number_text(cpu, sizeof cpu, p && r.ticks >= p->ticks
                             ? host_cpu_percent(r.ticks - p->ticks, dt, tps) : NAN, 1),
            host_number_text(rss, sizeof rss, (double)b->statm.resident * page, 0),
            host_number_text(shared, sizeof shared, !isnan(r.statm_at) ? (double)r.shared * page : NAN, 0),
            host_number_text(rd, sizeof rd, r.read_bps, 0),
            host_number_text(wr, sizeof wr, r.write_bps, 0),
            r.io ? "t" : "f",
        };
        _Static_assert(sizeof row / sizeof row[0] == NCOLS, "a text for each of backend_columns");
        int from_row = p && last && p->row >= 0 && p->row < last->nrows ? p->row : -1;
        int from_cols[NCOLS];
        for (int k = 0; k < NCOLS; k++) {
            const char *was = from_row >= 0 ? snapshot_cell(last, from_row, k) : NULL;
            from_cols[k] = was && row[k] && strcmp(was, row[k]) == 0 ? k : -1;
        }
        snapshot_add_row_from(s, row, last, from_row, from_cols);
        r.row = s->nrows - 1;
        next[nnext++] = r;
    }
    qsort(next, (size_t)nnext, sizeof *next, compare_reading);
    free(st->prev);
    free(first);
    st->prev = next;
    st->nprev = nnext;

    backends_cost.backends = j->n;
    backends_cost.read_ms = j->read_ms;
    backends_cost.read_cpu_ms = j->read_cpu_ms;
    backends_cost.merge_ms = (now_monotonic() - t0) * 1000;
    collector_publish(c, s);
    backends_job_free(j);
    host_job_kick_waiting(c->app);
}

/* Whether this pass is read here on the loop rather than on the thread
 * pool: a steady pass over a few backends, every one of them verified
 * before.  Such a pass is one pread of stat per backend (statm and io of
 * a few every few seconds), files procfs answers from counters without
 * taking any lock another process can hold (the command line, which
 * needs the process's memory lock, is read only for a pid not verified
 * before, and such a pass goes to the pool; a pid reused since the last
 * pass, by a process that started after it, is the one exception, read
 * here once): some 5 us a backend.  The
 * pool's hand-off cost more than that: a futex wake of a pool thread,
 * its sleep again, and a wake-up of the loop for the result (issue 14:
 * under pgbench -c 8 the pool threads ran 9 ms a minute and the loop
 * woke 2 times a second more with host figures on).  A first pass
 * (it waits FIRST_WINDOW_S) and a large one stay on the pool. */
#define LOOP_PASS_MAX 32

static bool pass_on_loop(const struct backends_job *j)
{
    if (j->first || j->early || j->n > LOOP_PASS_MAX || isnan(j->btime) || !j->address_checked)
        return false;
    int pid_col = snapshot_column(j->rows, "pid");
    for (int i = 0; i < j->n; i++) {
        struct backend_reading probe = { .pid = (int)snapshot_cell_number(j->rows, i, pid_col, 0) };
        if (!j->nknown || !bsearch(&probe, j->known, (size_t)j->nknown, sizeof *j->known, compare_reading))
            return false;
    }
    return true;
}

static void backends_result(void *arg, const PGresult *res, const char *error, double elapsed)
{
    (void)elapsed;
    struct collector *c = arg;
    if (!c->app->collectors)
        return;
    if (error) {
        collector_publish(c, snapshot_failed(c->def->name, error));
        return;
    }
    struct backends_state *st = c->state;
    struct backends_job *j = xcalloc(1, sizeof *j);
    j->root = xstrdup(host_proc_root());
    j->rows = snapshot_from_result(c->def->name, res);
    j->n = j->rows->nrows;
    const char *addr = j->n ? snapshot_get(j->rows, 0, "server_addr") : NULL;
    j->server_addr = addr ? xstrdup(addr) : NULL;
    j->address_checked = j->address_local =
        st->local_addr && strcmp(st->local_addr, j->server_addr ? j->server_addr : "") == 0;
    j->btime = st->btime;
    j->first = st->prev == NULL && !collectors_ticking(c->app);
    if (j->first && st->early) {
        j->early = st->early;
        st->early = NULL;
    }
    if (st->prev && st->nprev) {
        j->known = xmalloc((size_t)st->nprev * sizeof *j->known);
        memcpy(j->known, st->prev, (size_t)st->nprev * sizeof *j->known);
        j->nknown = st->nprev;
    }
    j->now = xcalloc((size_t)(j->n ? j->n : 1), sizeof *j->now);
    if (pass_on_loop(j)) {
        backends_work(&j->base);
        backends_done(&j->base, c);
        return;
    }
    if (host_job_start(&j->base, c, backends_work, backends_done) != 0) {
        backends_job_free(j);
        collector_publish(c, snapshot_failed(c->def->name, "cannot start a thread-pool job"));
    }
}

static void early_work(struct host_job *base)
{
    struct early_job *e = (struct early_job *)base;
    e->at = now_monotonic();
    int *pids;
    int n = host_list_processes(e->root, &pids);
    if (n <= 0) {
        free(pids);
        return;
    }
    e->b = xcalloc((size_t)n, sizeof *e->b);
    for (int i = 0; i < n; i++) {
        struct host_backend *b = &e->b[e->n];
        *b = (struct host_backend){ .pid = pids[i], .backend_start = NAN, .want_io = true };
        host_read_backend(e->root, b, NAN);
        if (b->same_process)
            e->n++;
    }
    free(pids);
}

static void early_done(struct host_job *base, struct collector *c)
{
    struct early_job *e = (struct early_job *)base;
    struct backends_state *st = c ? c->state : NULL;
    /* Too late for the first run (it read twice by itself): not needed. */
    if (!st || st->prev || st->early) {
        early_job_free(e);
        return;
    }
    st->early = e;
}

static int host_backends_run(struct collector *c)
{
    if (!c->state) {
        struct backends_state *st = xcalloc(1, sizeof *st);
        st->btime = NAN;
        c->state = st;
    }
    struct backends_state *st = c->state;
    if (!st->early_started && !st->prev && !collectors_ticking(c->app)) {
        st->early_started = true;
        struct early_job *e = xcalloc(1, sizeof *e);
        e->root = xstrdup(host_proc_root());
        if (host_job_start(&e->base, c, early_work, early_done) != 0)
            early_job_free(e);
    }
    const char *sql = embedded_find(c->def->query);
    if (!sql)
        return -1;
    /* It reads pg_stat_activity: in one transaction with the activity
     * and connections statements of the tick (collector_def.alone). */
    if (collector_shares_xact(c))
        return pgpool_send_shared(c->app->primary, c->def->name, sql, 0, NULL, backends_result, c);
    return pgpool_send_prepared(c->app->primary, c->def->name, sql, 0, NULL, 0, backends_result, c);
}

/* ---- host: load, CPU, memory ------------------------------------------------ */

/* The CPU figure is the busy share between two readings of /proc/stat.
 * The console and the agent do not wait for a short window: the first
 * figure is published without the CPU share, which fills in at the next
 * run (the machine's other figures are there at once).
 * The first is taken when the collector first comes up, on the loop (three
 * small files), even while it waits for the backends collector to say
 * whether the server is on this host: by the time that is known the window
 * has mostly passed, and the first figure costs no wait of its own (it
 * waited 0.2 s after the backends job's own 0.2 s window, 0.4 s in all
 * for --once).  A window shorter than SYSTEM_MIN_WINDOW_S is waited out on
 * the thread pool. */
#define SYSTEM_MIN_WINDOW_S 0.1

struct system_state {
    bool   primed;
    double primed_at;               /* monotonic, of the reading in cpu */
    struct host_cpu_times cpu;
};

struct system_job {
    struct host_job base;
    char  *root;
    double wait;                    /* seconds, before reading */
    struct host_system now;
    int    rc;
    char   err[256];
};

static void system_work(struct host_job *base)
{
    struct system_job *j = (struct system_job *)base;
    if (j->wait > 0) {
        struct timespec ts = { 0, (long)(j->wait * 1e9) };
        nanosleep(&ts, NULL);
    }
    j->rc = host_read_system(j->root, &j->now, j->err, sizeof j->err);
}

static struct system_state *system_state_of(struct collector *c)
{
    if (!c->state)
        c->state = xcalloc(1, sizeof(struct system_state));
    return c->state;
}

/* The first reading, on the loop; 0 or -1 (the job reads again and says
 * why). */
static int system_prime(struct collector *c)
{
    struct system_state *st = system_state_of(c);
    if (st->primed)
        return 0;
    struct host_system h;
    char err[256];
    if (host_read_system(host_proc_root(), &h, err, sizeof err) != 0)
        return -1;
    st->cpu = h.cpu;
    st->primed = true;
    st->primed_at = now_monotonic();
    return 0;
}

static const char *const system_columns[] = {
    "load1", "load5", "load15", "cpus", "cpu_percent", "mem_total", "mem_used",
    "swap_total", "swap_used", "io_note", "backends_read", "backends_read_ms", "backends_read_cpu_ms",
    "backends_merge_ms",
};

/* Say once, not per backend, that /proc/PID/io could not be read. */
static void io_note(const struct app *app, char *buf, size_t len)
{
    buf[0] = '\0';
    const struct snapshot *b = collectors_snapshot(app, "backends");
    if (!b || b->error)
        return;
    int unreadable = 0, col = snapshot_column(b, "io_readable");
    for (int r = 0; r < b->nrows; r++) {
        const char *v = snapshot_cell(b, r, col);
        if (!v || strcmp(v, "t") != 0)
            unreadable++;
    }
    if (unreadable)
        snprintf(buf, len, "I/O of %d backend%s unreadable: /proc/PID/io needs root or the server's user",
                 unreadable, unreadable == 1 ? "" : "s");
}

static void system_done(struct host_job *base, struct collector *c)
{
    struct system_job *j = (struct system_job *)base;
    if (!c) {
        free(j->root);
        free(j);
        return;
    }
    struct system_state *st = system_state_of(c);
    if (j->rc != 0 || !st->primed) {
        st->primed = false;
        collector_publish(c, snapshot_failed(c->def->name, j->rc != 0 ? j->err : "no first reading of /proc/stat"));
        free(j->root);
        free(j);
        return;
    }
    /* A window too short to mean much (a console's first run) gives no
     * figure yet and is kept open for the next run. */
    double busy = NAN;
    if (j->now.read_at - st->primed_at >= SYSTEM_MIN_WINDOW_S * 0.99) {
        busy = host_cpu_busy(&st->cpu, &j->now.cpu);
        st->cpu = j->now.cpu;
        st->primed_at = j->now.read_at;
    }

    /* The row whole, in system_columns' order: one copy of each text
     * rather than an empty row and a lookup by name per figure (issue 14:
     * the host figures' publish was half of their cost). */
    const struct host_system *h = &j->now;
    char note[160];
    io_note(c->app, note, sizeof note);
    char t[13][64];
    const char *row[] = {
        host_number_text(t[0], sizeof t[0], h->load[0], 2),
        host_number_text(t[1], sizeof t[1], h->load[1], 2),
        host_number_text(t[2], sizeof t[2], h->load[2], 2),
        host_number_text(t[3], sizeof t[3], h->ncpu, 0),
        host_number_text(t[4], sizeof t[4], busy, 1),
        host_number_text(t[5], sizeof t[5], h->mem.mem_total, 0),
        host_number_text(t[6], sizeof t[6], h->mem.mem_total - h->mem.mem_available, 0),
        host_number_text(t[7], sizeof t[7], h->mem.swap_total, 0),
        host_number_text(t[8], sizeof t[8], h->mem.swap_total - h->mem.swap_free, 0),
        *note ? note : NULL,
        host_number_text(t[9], sizeof t[9], backends_cost.backends, 0),
        host_number_text(t[10], sizeof t[10], backends_cost.read_ms, 3),
        host_number_text(t[11], sizeof t[11], backends_cost.read_cpu_ms, 3),
        host_number_text(t[12], sizeof t[12], backends_cost.merge_ms, 3),
    };
    _Static_assert(sizeof row / sizeof row[0] == sizeof system_columns / sizeof system_columns[0],
                   "a text for each of system_columns");
    struct snapshot *s = snapshot_new(c->def->name, (int)(sizeof system_columns / sizeof system_columns[0]),
                                      system_columns);
    snapshot_add_row(s, row);
    collector_publish(c, s);
    free(j->root);
    free(j);
}

static int host_system_run(struct collector *c)
{
    const char *why = host_unavailable(c->app);
    if (why && !*why) {
        system_prime(c);
        return host_job_defer(c);
    }
    if (why) {
        collector_publish(c, snapshot_failed(c->def->name, why));
        return 0;
    }
    system_prime(c);
    const struct system_state *st = c->state;
    struct system_job *j = xcalloc(1, sizeof *j);
    j->root = xstrdup(host_proc_root());
    j->wait = st->primed && !collectors_ticking(c->app) ? SYSTEM_MIN_WINDOW_S - (now_monotonic() - st->primed_at) : 0;
    /* Nothing to wait for (every run of a console or an agent): three
     * small procfs files, kept open, that no other process's lock can hold
     * up, are read here on the loop (6 us of CPU); a thread-pool job for
     * them cost more in waking a pool thread and then the loop (issue 14:
     * the pool threads were most of what host figures cost). */
    if (j->wait <= 0) {
        system_work(&j->base);
        system_done(&j->base, c);
        return 0;
    }
    if (host_job_start(&j->base, c, system_work, system_done) != 0) {
        free(j->root);
        free(j);
        collector_publish(c, snapshot_failed(c->def->name, "cannot start a thread-pool job"));
    }
    return 0;
}

/* ---- disks ----------------------------------------------------------------- */

struct disk_entry {
    char  *kind, *name, *path, *error;
    struct host_disk disk;
    bool   ok;
};

struct disks_job {
    struct host_job base;
    struct disk_entry *e;
    int    n;
};

static void disks_job_free(struct disks_job *j)
{
    for (int i = 0; i < j->n; i++) {
        free(j->e[i].kind);
        free(j->e[i].name);
        free(j->e[i].path);
        free(j->e[i].error);
    }
    free(j->e);
    free(j);
}

static void disks_work(struct host_job *base)
{
    struct disks_job *j = (struct disks_job *)base;
    for (int i = 0; i < j->n; i++) {
        struct disk_entry *e = &j->e[i];
        if (!e->path || e->error)
            continue;
        char err[256];
        if (host_statvfs(e->path, &e->disk, err, sizeof err) == 0)
            e->ok = true;
        else
            e->error = xstrdup(err);
    }
}

static const char *const disk_columns[] = {
    "kind", "name", "path", "total", "used", "free", "used_percent", "device", "error",
};

static void disks_done(struct host_job *base, struct collector *c)
{
    struct disks_job *j = (struct disks_job *)base;
    if (!c) {
        disks_job_free(j);
        return;
    }
    struct snapshot *s = snapshot_new(c->def->name, (int)(sizeof disk_columns / sizeof disk_columns[0]),
                                      disk_columns);
    for (int i = 0; i < j->n; i++) {
        const struct disk_entry *e = &j->e[i];
        const char *row[] = { e->kind, e->name, e->path, NULL, NULL, NULL, NULL, NULL, e->error };
        snapshot_add_row(s, row);
        if (!e->ok)
            continue;
        int r = s->nrows - 1;
        host_set_number(s, r, "total", e->disk.total, 0);
        host_set_number(s, r, "used", e->disk.used, 0);
        host_set_number(s, r, "free", e->disk.free, 0);
        /* As df: used against what the server could have (used + free). */
        double room = e->disk.used + e->disk.free;
        host_set_number(s, r, "used_percent", room > 0 ? 100.0 * e->disk.used / room : NAN, 1);
        char dev[32];
        snprintf(dev, sizeof dev, "%llu", e->disk.device);
        snapshot_set(s, r, "device", dev);
    }
    collector_publish(c, s);
    /* sizes waits for the disks. */
    host_job_kick_waiting(c->app);
    disks_job_free(j);
}

static int host_disks_run(struct collector *c)
{
    const char *why = host_unavailable(c->app);
    if (why && !*why)
        return host_job_defer(c);
    if (why) {
        collector_publish(c, snapshot_failed(c->def->name, why));
        return 0;
    }
    const struct snapshot *paths = collectors_snapshot(c->app, "host_paths");
    if (!paths)
        return host_job_defer(c);
    if (paths->error) {
        collector_publish(c, snapshot_failed(c->def->name, paths->error));
        return 0;
    }
    struct disks_job *j = xcalloc(1, sizeof *j);
    j->n = paths->nrows;
    j->e = xcalloc((size_t)(j->n ? j->n : 1), sizeof *j->e);
    for (int r = 0; r < j->n; r++) {
        const char *kind = snapshot_get(paths, r, "kind");
        const char *name = snapshot_get(paths, r, "name");
        const char *path = snapshot_get(paths, r, "path");
        const char *missing = snapshot_get(paths, r, "missing");
        j->e[r].kind = xstrdup(kind ? kind : "");
        j->e[r].name = xstrdup(name ? name : "");
        j->e[r].path = path && *path ? xstrdup(path) : NULL;
        if (missing && *missing)
            j->e[r].error = xstrdup(missing);
        else if (!j->e[r].path)
            j->e[r].error = xstrdup("no path reported");
    }
    if (host_job_start(&j->base, c, disks_work, disks_done) != 0) {
        disks_job_free(j);
        collector_publish(c, snapshot_failed(c->def->name, "cannot start a thread-pool job"));
    }
    return 0;
}

/* ---- the subject ---------------------------------------------------------------- */

/* backends decides whether the server is on this host at all; the others
 * wait for its verdict. */
static const struct collector_def collectors[] = {
    { .name = "backends",   .source = SERVER_PRIMARY, .query = "queries/host_backends.sql",
      .run = host_backends_run, .free_state = host_backends_free },
    { .name = "host",       .source = SERVER_PRIMARY, .run = host_system_run },
    { .name = "host_paths", .source = SERVER_PRIMARY, .query = "queries/host_paths.sql",
      .cadence = 60 },
    { .name = "disks",      .source = SERVER_PRIMARY, .cadence = 10, .run = host_disks_run },
    { .name = "sizes",      .source = SERVER_PRIMARY, .query = "queries/sizes.sql",
      .cadence = 60, .run = host_sizes_run, .free_state = host_sizes_free },
};

static const struct alert_rule alerts[] = {
    { alert_disk_full, { "sizes" } },
};

const struct subject subject_host = {
    .name = "host",
    .title = "Host",
    SUBJECT_COLLECTORS(collectors),
    SUBJECT_ALERTS(alerts),
    .perfdata = perf_host,
};
