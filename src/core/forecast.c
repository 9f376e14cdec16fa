/* Capacity forecast: least squares over size samples, and the samples'
 * history in memory and on disk (see forecast.h). */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/forecast.h"
#include "base/statefile.h"
#include "base/xalloc.h"

#define HEADER "# pgdeck sizes v1: seconds since the epoch, kind, name, bytes\n"

/* ---- the line ------------------------------------------------------------ */

int forecast_fit(const struct forecast_sample *s, int n, struct forecast *out)
{
    memset(out, 0, sizeof *out);
    out->samples = n;
    out->slope = NAN;
    out->latest = NAN;
    if (n < FORECAST_MIN_SAMPLES)
        return -1;
    /* Times relative to the first sample keep the sums well inside a
     * double's precision (epoch seconds squared would not be). */
    int oldest = 0, newest = 0;
    for (int i = 1; i < n; i++) {
        if (s[i].at < s[oldest].at)
            oldest = i;
        if (s[i].at > s[newest].at)
            newest = i;
    }
    double first = s[oldest].at, last = s[newest].at, t0 = first;
    out->latest = s[newest].bytes;
    out->span = last - first;
    if (!(out->span > 0))
        return -1;
    double mean_t = 0, mean_y = 0;
    for (int i = 0; i < n; i++) {
        mean_t += s[i].at - t0;
        mean_y += s[i].bytes;
    }
    mean_t /= n;
    mean_y /= n;
    double stt = 0, sty = 0;
    for (int i = 0; i < n; i++) {
        double dt = s[i].at - t0 - mean_t;
        stt += dt * dt;
        sty += dt * (s[i].bytes - mean_y);
    }
    if (!(stt > 0))
        return -1;
    out->slope = sty / stt;
    return 0;
}

double forecast_days_to_full(const struct forecast *f, double free_bytes)
{
    if (!f || isnan(f->slope) || !(f->slope > 0) || isnan(free_bytes) || free_bytes < 0)
        return NAN;
    return free_bytes / f->slope / 86400.0;
}

/* ---- histories ----------------------------------------------------------- */

struct forecast_history *forecast_history_new(void)
{
    return xcalloc(1, sizeof(struct forecast_history));
}

static void series_free(struct forecast_series *s)
{
    free(s->kind);
    free(s->name);
    free(s->samples);
}

void forecast_history_free(struct forecast_history *h)
{
    if (!h)
        return;
    for (int i = 0; i < h->count; i++)
        series_free(&h->series[i]);
    free(h->series);
    free(h);
}

static int compare_key(const char *kind, const char *name, const struct forecast_series *s)
{
    int c = strcmp(kind, s->kind);
    return c ? c : strcmp(name, s->name);
}

/* Series are kept sorted by (kind, name): the index where this one is, or
 * where it would go (with *found false). */
static int series_search(const struct forecast_history *h, const char *kind, const char *name, bool *found)
{
    int lo = 0, hi = h->count;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        int c = compare_key(kind, name, &h->series[mid]);
        if (c == 0) {
            *found = true;
            return mid;
        }
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    *found = false;
    return lo;
}

static struct forecast_series *series_get(struct forecast_history *h, const char *kind, const char *name)
{
    bool found;
    int i = series_search(h, kind, name, &found);
    if (found)
        return &h->series[i];
    if (h->count == h->cap) {
        h->cap = h->cap ? h->cap * 2 : 16;
        h->series = xrealloc(h->series, (size_t)h->cap * sizeof *h->series);
    }
    memmove(&h->series[i + 1], &h->series[i], (size_t)(h->count - i) * sizeof *h->series);
    h->count++;
    struct forecast_series *s = &h->series[i];
    memset(s, 0, sizeof *s);
    s->kind = xstrdup(kind);
    s->name = xstrdup(name);
    return s;
}

static void series_push(struct forecast_series *s, double at, double bytes)
{
    if (s->count == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 16;
        s->samples = xrealloc(s->samples, (size_t)s->cap * sizeof *s->samples);
    }
    s->samples[s->count++] = (struct forecast_sample){ at, bytes };
}

int forecast_history_add(struct forecast_history *h, const char *kind, const char *name,
                         double at, double bytes)
{
    if (!kind || !name || isnan(at) || isnan(bytes))
        return 0;
    struct forecast_series *s = series_get(h, kind, name);
    if (s->count && s->samples[s->count - 1].at >= at)
        return 0;
    series_push(s, at, bytes);
    s->unsaved++;
    return 1;
}

const struct forecast_series *forecast_history_find(const struct forecast_history *h,
                                                    const char *kind, const char *name)
{
    bool found;
    int i = series_search(h, kind, name, &found);
    return found ? &h->series[i] : NULL;
}

static int compare_newest_first(const void *a, const void *b)
{
    const struct forecast_series *x = a, *y = b;
    double tx = x->count ? x->samples[x->count - 1].at : -INFINITY;
    double ty = y->count ? y->samples[y->count - 1].at : -INFINITY;
    return tx > ty ? -1 : tx < ty;
}

static int compare_series(const void *a, const void *b)
{
    const struct forecast_series *x = a, *y = b;
    return compare_key(x->kind, x->name, y);
}

int forecast_history_thin(struct forecast_history *h, double now)
{
    int dropped = 0;
    for (int i = 0; i < h->count; i++) {
        struct forecast_series *s = &h->series[i];
        int old = 0;
        while (old < s->count && s->samples[old].at < now - FORECAST_MAX_AGE)
            old++;
        if (old) {
            memmove(s->samples, s->samples + old, (size_t)(s->count - old) * sizeof *s->samples);
            s->count -= old;
            dropped += old;
        }
        /* Every other sample of the older half goes, until it fits. */
        while (s->count > FORECAST_KEEP) {
            int half = s->count / 2, w = 0;
            for (int r = 0; r < s->count; r++)
                if (r >= half || r % 2 == 0)
                    s->samples[w++] = s->samples[r];
            dropped += s->count - w;
            s->count = w;
        }
        if (s->unsaved > s->count)
            s->unsaved = s->count;
    }
    /* Empty series go; past the cap, the ones seen longest ago go. */
    int w = 0;
    for (int i = 0; i < h->count; i++) {
        if (h->series[i].count)
            h->series[w++] = h->series[i];
        else
            series_free(&h->series[i]);
    }
    h->count = w;
    if (h->count > FORECAST_MAX_SERIES) {
        qsort(h->series, (size_t)h->count, sizeof *h->series, compare_newest_first);
        for (int i = FORECAST_MAX_SERIES; i < h->count; i++) {
            dropped += h->series[i].count;
            series_free(&h->series[i]);
        }
        h->count = FORECAST_MAX_SERIES;
        qsort(h->series, (size_t)h->count, sizeof *h->series, compare_series);
    }
    h->dropped += dropped;
    return dropped;
}

/* ---- the file -------------------------------------------------------------- */

char *forecast_state_path(const char *key, char *err, size_t errlen)
{
    char safe[128];
    size_t n = 0;
    for (const char *p = key; *p && n < sizeof safe - 1; p++) {
        char c = *p;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '_' || c == '-';
        safe[n++] = ok ? c : '_';
    }
    safe[n] = '\0';
    if (!n || strcmp(safe, ".") == 0 || strcmp(safe, "..") == 0)
        snprintf(safe, sizeof safe, "default");
    char *name = xasprintf("sizes/%s.tsv", safe);
    char *path = statefile_path(name, err, errlen);
    free(name);
    if (!path && errlen)
        snprintf(err, errlen, "no place for the size history: set HOME or XDG_STATE_HOME");
    return path;
}

static void write_escaped(FILE *f, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '\t': fputs("\\t", f); break;
        case '\n': fputs("\\n", f); break;
        case '\r': fputs("\\r", f); break;
        case '\\': fputs("\\\\", f); break;
        default:   fputc(*s, f); break;
        }
    }
}

/* Undo write_escaped in place; -1 on a stray backslash. */
static int unescape(char *s)
{
    char *w = s;
    for (char *r = s; *r; r++) {
        if (*r != '\\') {
            *w++ = *r;
            continue;
        }
        r++;
        switch (*r) {
        case 't':  *w++ = '\t'; break;
        case 'n':  *w++ = '\n'; break;
        case 'r':  *w++ = '\r'; break;
        case '\\': *w++ = '\\'; break;
        default:   return -1;
        }
    }
    *w = '\0';
    return 0;
}

/* One line "at<TAB>kind<TAB>name<TAB>bytes" (no newline); -1 if bad. */
static int parse_line(char *line, double *at, char **kind, char **name, double *bytes)
{
    char *f[4] = { line, NULL, NULL, NULL };
    for (int i = 1; i < 4; i++) {
        char *tab = strchr(f[i - 1], '\t');
        if (!tab)
            return -1;
        *tab = '\0';
        f[i] = tab + 1;
    }
    if (strchr(f[3], '\t'))
        return -1;
    char *end;
    *at = strtod(f[0], &end);
    if (end == f[0] || *end || !isfinite(*at))
        return -1;
    *bytes = strtod(f[3], &end);
    if (end == f[3] || *end || !isfinite(*bytes) || *bytes < 0)
        return -1;
    if (!*f[1] || !*f[2] || unescape(f[1]) || unescape(f[2]))
        return -1;
    *kind = f[1];
    *name = f[2];
    return 0;
}

static int compare_samples(const void *a, const void *b)
{
    const struct forecast_sample *x = a, *y = b;
    return x->at < y->at ? -1 : x->at > y->at;
}

int forecast_history_load(struct forecast_history *h, const char *path, char *err, size_t errlen)
{
    h->loaded = true;
    FILE *f = fopen(path, "r");
    if (!f) {
        if (errno == ENOENT)
            return 0;
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    while ((len = getline(&line, &cap, f)) >= 0) {
        if (len > 0 && line[len - 1] == '\n')
            line[--len] = '\0';
        if (len == 0 || line[0] == '#')
            continue;
        double at, bytes;
        char *kind, *name;
        if (parse_line(line, &at, &kind, &name, &bytes) != 0) {
            h->rewrite = true;
            continue;
        }
        series_push(series_get(h, kind, name), at, bytes);
    }
    free(line);
    fclose(f);
    /* Two pgdecks may append to one file: put each series in time order
     * and keep one sample per moment. */
    for (int i = 0; i < h->count; i++) {
        struct forecast_series *s = &h->series[i];
        qsort(s->samples, (size_t)s->count, sizeof *s->samples, compare_samples);
        int w = 0;
        for (int r = 0; r < s->count; r++) {
            if (w && s->samples[w - 1].at == s->samples[r].at) {
                h->rewrite = true;
                continue;
            }
            s->samples[w++] = s->samples[r];
        }
        s->count = w;
        s->unsaved = 0;
    }
    return 0;
}

/* mkdir -p of path's directory, new directories 0700. */
static void write_sample(FILE *f, const struct forecast_series *s, const struct forecast_sample *x)
{
    fprintf(f, "%.3f\t", x->at);
    write_escaped(f, s->kind);
    fputc('\t', f);
    write_escaped(f, s->name);
    fprintf(f, "\t%.0f\n", x->bytes);
}

static int save_whole(struct forecast_history *h, const char *path, char *err, size_t errlen)
{
    char *tmp = xasprintf("%s.%ld.tmp", path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!f) {
        snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
        if (fd >= 0)
            close(fd);
        free(tmp);
        return -1;
    }
    fputs(HEADER, f);
    for (int i = 0; i < h->count; i++)
        for (int j = 0; j < h->series[i].count; j++)
            write_sample(f, &h->series[i], &h->series[i].samples[j]);
    bool failed = ferror(f) != 0;
    if (fclose(f) != 0)
        failed = true;
    if (failed || rename(tmp, path) != 0) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        unlink(tmp);
        free(tmp);
        return -1;
    }
    free(tmp);
    return 0;
}

static int append_unsaved(struct forecast_history *h, const char *path, char *err, size_t errlen)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    FILE *f = fd >= 0 ? fdopen(fd, "a") : NULL;
    if (!f) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) == 0 && st.st_size == 0)
        fputs(HEADER, f);
    for (int i = 0; i < h->count; i++) {
        const struct forecast_series *s = &h->series[i];
        for (int j = s->count - s->unsaved; j < s->count; j++)
            write_sample(f, s, &s->samples[j]);
    }
    bool failed = ferror(f) != 0;
    if (fclose(f) != 0 || failed) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

int forecast_history_persist(struct forecast_history *h, const char *path, char *err, size_t errlen)
{
    if (statefile_make_parents(path, err, errlen) != 0)
        return -1;
    int rc = h->rewrite || h->dropped ? save_whole(h, path, err, errlen)
                                      : append_unsaved(h, path, err, errlen);
    if (rc != 0)
        return -1;
    for (int i = 0; i < h->count; i++)
        h->series[i].unsaved = 0;
    h->rewrite = false;
    h->dropped = 0;
    return 0;
}
