/* The host line: load, CPU, memory, the disks and the soonest forecast,
 * as pieces a front end fits on one line (see host.h). */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "core/app.h"
#include "core/collector.h"
#include "subjects/host.h"

void host_compact_bytes(char *buf, size_t len, double bytes)
{
    static const char units[] = "BKMGTPE";
    int u = 0;
    double v = bytes;
    if (isnan(v)) {
        snprintf(buf, len, "?");
        return;
    }
    while (fabs(v) >= 1024 && u < 6) {
        v /= 1024;
        u++;
    }
    if (u == 0)
        snprintf(buf, len, "%.0f", v);
    else
        snprintf(buf, len, fabs(v) < 10 ? "%.1f%c" : "%.0f%c", v, units[u]);
}

void host_compact_days(char *buf, size_t len, double days)
{
    if (days < 1)
        snprintf(buf, len, "%.0fh", days * 24);
    else if (days < 10)
        snprintf(buf, len, "%.1fd", days);
    else
        snprintf(buf, len, "%.0fd", days);
}

/* Pieces' priorities: the data disk (and its forecast) first, then what
 * the machine is doing, then the rest. */
enum { PRI_DATA, PRI_CPU, PRI_MEM, PRI_LOAD, PRI_DISK, PRI_SWAP, PRI_NOTE };

static struct host_piece *piece(struct host_piece *out, int *n, int max, int level, int priority)
{
    if (*n >= max)
        return NULL;
    struct host_piece *p = &out[(*n)++];
    p->level = level;
    p->priority = priority;
    p->text[0] = p->short_text[0] = '\0';
    return p;
}

/* "data 55%, 45G free" for a disks row, and ", full in 12d" when the
 * soonest forecast is for that filesystem (so the line names the disk
 * once and stays short at 80 columns). */
static void add_disk(const struct snapshot *d, int r, const char *label, int priority, const struct app *app,
                     const char *full_path, double full_days, struct host_piece *out, int *n, int max)
{
    double pct = snapshot_number(d, r, "used_percent", NAN);
    const char *error = snapshot_get(d, r, "error");
    struct host_piece *p;
    if (isnan(pct)) {
        if ((p = piece(out, n, max, -1, priority)))
            snprintf(p->text, sizeof p->text, "%s: %s", label, error ? error : "unknown");
        return;
    }
    int level = pct >= 95 ? 2 : pct >= 90 ? 1 : 0;
    const char *path = snapshot_get(d, r, "path");
    bool full = full_path && path && strcmp(full_path, path) == 0;
    if (full) {
        double horizon = app->cfg ? app->cfg->alerts.disk_full_days : 14;
        int f = full_days < horizon / 4 ? 2 : full_days < horizon ? 1 : 0;
        level = f > level ? f : level;
    }
    if (!(p = piece(out, n, max, level, priority)))
        return;
    char free_text[16], days[32] = "";
    host_compact_bytes(free_text, sizeof free_text, snapshot_number(d, r, "free", NAN));
    if (full) {
        char when[16];
        host_compact_days(when, sizeof when, full_days);
        snprintf(days, sizeof days, ", full in %s", when);
    }
    snprintf(p->text, sizeof p->text, "%s %.0f%%, %s free%s", label, pct, free_text, days);
    if (*days)
        snprintf(p->short_text, sizeof p->short_text, "%s %.0f%%%s", label, pct, days);
}

int host_summary(const struct app *app, struct host_piece *out, int max)
{
    int n = 0;
    struct host_piece *p;
    const char *why = host_unavailable(app);
    if (why) {
        if ((p = piece(out, &n, max, -1, PRI_DATA)))
            snprintf(p->text, sizeof p->text, "%s", *why ? why : "host: waiting for data...");
        return n;
    }
    const struct snapshot *h = collectors_snapshot(app, "host");
    if (h && !h->error && h->nrows) {
        double cpus = snapshot_number(h, 0, "cpus", NAN);
        double load = snapshot_number(h, 0, "load1", NAN);
        if ((p = piece(out, &n, max, !isnan(cpus) && load > cpus ? 1 : 0, PRI_LOAD))) {
            snprintf(p->text, sizeof p->text, "load %.2f %.2f %.2f", load,
                     snapshot_number(h, 0, "load5", NAN), snapshot_number(h, 0, "load15", NAN));
            snprintf(p->short_text, sizeof p->short_text, "load %.2f", load);
        }
        double cpu = snapshot_number(h, 0, "cpu_percent", NAN);
        if (!isnan(cpu) && (p = piece(out, &n, max, cpu >= 95 ? 2 : cpu >= 90 ? 1 : 0, PRI_CPU)))
            snprintf(p->text, sizeof p->text, "cpu %3.0f%%", cpu);   /* one width: 99% to 100% moves nothing after it */
        double total = snapshot_number(h, 0, "mem_total", NAN), used = snapshot_number(h, 0, "mem_used", NAN);
        if (total > 0 && (p = piece(out, &n, max, used / total >= 0.95 ? 2 : used / total >= 0.9 ? 1 : 0,
                                    PRI_MEM))) {
            char u[16], t[16];
            host_compact_bytes(u, sizeof u, used);
            host_compact_bytes(t, sizeof t, total);
            snprintf(p->text, sizeof p->text, "mem %s/%s", u, t);
        }
    } else if (h && h->error && (p = piece(out, &n, max, -1, PRI_CPU))) {
        snprintf(p->text, sizeof p->text, "host: %s", h->error);
    }

    /* The soonest forecast goes with the disk it is for. */
    const struct snapshot *s = collectors_snapshot(app, "sizes");
    const char *full_path = NULL;
    double full_days = INFINITY;
    for (int r = 0; s && !s->error && r < s->nrows; r++) {
        double days = snapshot_number(s, r, "days_to_full", NAN);
        if (!isnan(days) && days < full_days) {
            full_days = days;
            full_path = snapshot_get(s, r, "filesystem");
        }
    }
    bool full_shown = !full_path;

    /* The data directory, then the WAL and tablespaces on filesystems of
     * their own. */
    const struct snapshot *d = collectors_snapshot(app, "disks");
    const char *data_dev = NULL;
    if (d && !d->error) {
        for (int r = 0; r < d->nrows; r++) {
            const char *kind = snapshot_get(d, r, "kind");
            if (kind && strcmp(kind, "data_directory") == 0) {
                add_disk(d, r, "data", PRI_DATA, app, full_path, full_days, out, &n, max);
                data_dev = snapshot_get(d, r, "device");
                full_shown = full_shown || (full_path && snapshot_get(d, r, "path") &&
                                            strcmp(full_path, snapshot_get(d, r, "path")) == 0);
            }
        }
        for (int r = 0; r < d->nrows; r++) {
            const char *kind = snapshot_get(d, r, "kind");
            const char *dev = snapshot_get(d, r, "device");
            const char *path = snapshot_get(d, r, "path");
            bool has_full = full_path && path && strcmp(full_path, path) == 0;
            if (!kind || strcmp(kind, "data_directory") == 0)
                continue;
            if (dev && data_dev && strcmp(dev, data_dev) == 0 && !has_full)
                continue;       /* the same disk as the data directory */
            char label[80];
            if (strcmp(kind, "wal") == 0)
                snprintf(label, sizeof label, "wal");
            else
                snprintf(label, sizeof label, "ts %s", snapshot_get(d, r, "name"));
            add_disk(d, r, label, has_full ? PRI_DATA : PRI_DISK, app, full_path, full_days, out, &n, max);
            full_shown = full_shown || has_full;
        }
    } else if (d && d->error && (p = piece(out, &n, max, -1, PRI_DISK))) {
        snprintf(p->text, sizeof p->text, "disks: %s", d->error);
    }
    if (!full_shown && (p = piece(out, &n, max, 1, PRI_DATA))) {
        char when[16];
        host_compact_days(when, sizeof when, full_days);
        snprintf(p->text, sizeof p->text, "disk full in %s", when);
    }
    if (h && !h->error && h->nrows) {
        double total = snapshot_number(h, 0, "swap_total", 0), used = snapshot_number(h, 0, "swap_used", 0);
        if (total > 0 && (p = piece(out, &n, max, used / total >= 0.5 ? 1 : 0, PRI_SWAP))) {
            char u[16], t[16];
            host_compact_bytes(u, sizeof u, used);
            host_compact_bytes(t, sizeof t, total);
            snprintf(p->text, sizeof p->text, "swap %s/%s", u, t);
        }
        const char *note = snapshot_get(h, 0, "io_note");
        if (note && (p = piece(out, &n, max, -1, PRI_NOTE)))
            snprintf(p->text, sizeof p->text, "%s", note);
    }
    return n;
}
