/* The partitions collector's rows kept between runs (see
 * partitions_saved.h).  The format is lines of text with every string
 * given by its length first, so any byte a name or a bound holds is kept
 * as it was (no escaping, no encoding to repair), and a reader checks
 * each length against what is left:
 *
 *   pgdeck partitions 2
 *   server LEN\n BYTES\n
 *   columns N\n  then N times  LEN\n BYTES\n
 *   sigs N\n     then N times  OID ROOT LEN\n BYTES\n
 *   trees N\n    then N times  ROOT READ_AT NEXT_BOUND|-\n
 *   rows N\n     then N rows of one cell a column:  -\n (NULL) or LEN\n BYTES\n
 *   end\n
 */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "subjects/partitions_saved.h"
#include "base/statefile.h"
#include "base/xalloc.h"

/* 2: the children column became a table of arrays, its fields named once
 * (partitions.sql).  A file of another format is not read: the trees are
 * read whole, as with no file. */
#define SAVED_MAGIC "pgdeck partitions 2\n"

static void put_bytes(FILE *f, const char *s)
{
    size_t n = strlen(s);
    fprintf(f, "%zu\n", n);
    fwrite(s, 1, n, f);
    fputc('\n', f);
}

int partitions_saved_write(FILE *f, const struct partitions_saved *saved)
{
    const struct snapshot *rows = saved->rows;
    fputs(SAVED_MAGIC, f);
    fputs("server ", f);
    put_bytes(f, saved->server);
    fprintf(f, "columns %d\n", rows->ncols);
    for (int c = 0; c < rows->ncols; c++)
        put_bytes(f, rows->columns[c]);
    fprintf(f, "sigs %d\n", saved->nsigs);
    for (int i = 0; i < saved->nsigs; i++) {
        fprintf(f, "%lu %lu ", saved->sigs[i].oid, saved->sigs[i].root);
        put_bytes(f, saved->sigs[i].signature);
    }
    fprintf(f, "trees %d\n", saved->ntrees);
    for (int i = 0; i < saved->ntrees; i++) {
        const struct part_tree *t = &saved->trees[i];
        fprintf(f, "%lu %.17g ", t->root, t->read_at);
        if (isnan(t->next_bound))
            fputs("-\n", f);
        else
            fprintf(f, "%.17g\n", t->next_bound);
    }
    fprintf(f, "rows %d\n", rows->nrows);
    for (int r = 0; r < rows->nrows; r++)
        for (int c = 0; c < rows->ncols; c++) {
            const char *v = snapshot_cell(rows, r, c);
            if (v)
                put_bytes(f, v);
            else
                fputs("-\n", f);
        }
    fputs("end\n", f);
    return ferror(f) ? -1 : 0;
}

/* ---- reading: every step checks what is left --------------------------- */

struct cursor {
    const char *at, *end;
    bool        ok;
    char       *consumed;   /* partitions_saved_take: the text, whose pages
                               read are given back as the rows are copied */
    size_t      released;
};

/* The rows are nearly all of the file (the `children` of 5,000
 * partitions: 1.2 MB), and each is copied into the snapshot: the pages
 * of text already read go back to the system as the copy grows, so the
 * file and its copy are not both held whole (issue 14, aim 3: it was the
 * peak of a console started at that scale). */
static void release_read(struct cursor *k)
{
    size_t read = (size_t)(k->at - k->consumed);
    if (k->consumed && read - k->released >= 65536) {
        xalloc_release_pages(k->consumed, read);
        k->released = read;
    }
}

static bool literal(struct cursor *k, const char *word)
{
    size_t n = strlen(word);
    if (!k->ok || (size_t)(k->end - k->at) < n || memcmp(k->at, word, n) != 0)
        return k->ok = false;
    k->at += n;
    return true;
}

/* A decimal number of at most 19 digits (no sign), then `after`. */
static unsigned long long number(struct cursor *k, char after)
{
    unsigned long long v = 0;
    int digits = 0;
    while (k->ok && k->at < k->end && *k->at >= '0' && *k->at <= '9' && digits < 19) {
        v = v * 10 + (unsigned long long)(*k->at - '0');
        k->at++;
        digits++;
    }
    if (!k->ok || digits == 0 || k->at >= k->end || *k->at != after) {
        k->ok = false;
        return 0;
    }
    k->at++;
    return v;
}

/* A count of entries, each taking at least 2 bytes of what is left. */
static int count(struct cursor *k)
{
    unsigned long long n = number(k, '\n');
    if (!k->ok || n > (unsigned long long)(k->end - k->at) / 2 || n > INT32_MAX) {
        k->ok = false;
        return 0;
    }
    return (int)n;
}

/* A real as printf's %.17g writes a finite one, then `after`. */
static double real(struct cursor *k, char after)
{
    char buf[40];
    size_t n = 0;
    while (k->ok && k->at + n < k->end && k->at[n] != after && n < sizeof buf - 1) {
        if (!strchr("0123456789.-+eE", k->at[n])) {
            k->ok = false;
            return 0;
        }
        buf[n] = k->at[n];
        n++;
    }
    if (!k->ok || n == 0 || k->at + n >= k->end || k->at[n] != after)
        return k->ok = false, 0;
    buf[n] = '\0';
    char *stop;
    errno = 0;
    double v = strtod(buf, &stop);
    if (*stop || errno || !isfinite(v))
        return k->ok = false, 0;
    k->at += n + 1;
    return v;
}

/* LEN\n BYTES\n: a copy (caller frees), or NULL when `null_ok` and the
 * line is "-".  A NUL among the bytes is refused (cells are C strings). */
static char *bytes(struct cursor *k, bool null_ok)
{
    if (null_ok && k->ok && k->end - k->at >= 2 && k->at[0] == '-' && k->at[1] == '\n') {
        k->at += 2;
        return NULL;
    }
    unsigned long long n = number(k, '\n');
    if (!k->ok || n >= (unsigned long long)(k->end - k->at) || k->at[n] != '\n' ||
        memchr(k->at, '\0', (size_t)n)) {
        k->ok = false;
        return NULL;
    }
    char *s = xstrndup(k->at, (size_t)n);
    k->at += n + 1;
    return s;
}

void partitions_saved_free(struct partitions_saved *saved)
{
    free(saved->server);
    for (int i = 0; i < saved->nsigs; i++)
        free(saved->sigs[i].signature);
    free(saved->sigs);
    free(saved->trees);
    if (saved->rows)
        snapshot_unref(saved->rows);
    memset(saved, 0, sizeof *saved);
}

static int saved_read(struct cursor k, const char *server, struct partitions_saved *out)
{
    memset(out, 0, sizeof *out);
    literal(&k, SAVED_MAGIC);
    literal(&k, "server ");
    out->server = bytes(&k, false);
    if (!k.ok || strcmp(out->server, server) != 0)
        goto refused;

    literal(&k, "columns ");
    int ncols = count(&k);
    if (!k.ok || ncols == 0)
        goto refused;
    char **columns = xcalloc((size_t)ncols, sizeof *columns);
    for (int c = 0; c < ncols && k.ok; c++)
        columns[c] = bytes(&k, false);
    if (k.ok)
        out->rows = snapshot_new("partitions", ncols, (const char *const *)columns);
    for (int c = 0; c < ncols; c++)
        free(columns[c]);
    free(columns);
    if (!k.ok)
        goto refused;

    literal(&k, "sigs ");
    int nsigs = count(&k);
    out->sigs = xcalloc((size_t)(nsigs ? nsigs : 1), sizeof *out->sigs);
    for (int i = 0; i < nsigs && k.ok; i++) {
        struct part_sig *g = &out->sigs[i];
        g->oid = (unsigned long)number(&k, ' ');
        g->root = (unsigned long)number(&k, ' ');
        g->signature = bytes(&k, false);
        out->nsigs = i + 1;
        if (k.ok && i > 0 && !(out->sigs[i - 1].oid < g->oid))
            k.ok = false;
    }

    literal(&k, "trees ");
    int ntrees = count(&k);
    out->trees = xcalloc((size_t)(ntrees ? ntrees : 1), sizeof *out->trees);
    for (int i = 0; i < ntrees && k.ok; i++) {
        struct part_tree *t = &out->trees[i];
        t->root = (unsigned long)number(&k, ' ');
        t->read_at = real(&k, ' ');
        if (k.ok && k.end - k.at >= 2 && k.at[0] == '-' && k.at[1] == '\n') {
            k.at += 2;
            t->next_bound = NAN;
        } else {
            t->next_bound = real(&k, '\n');
        }
        out->ntrees = i + 1;
        if (k.ok && i > 0 && !(out->trees[i - 1].root < t->root))
            k.ok = false;
    }

    literal(&k, "rows ");
    int nrows = count(&k);
    char **values = xcalloc((size_t)ncols, sizeof *values);
    for (int r = 0; r < nrows && k.ok; r++) {
        for (int c = 0; c < ncols; c++)
            values[c] = bytes(&k, true);
        if (k.ok)
            snapshot_add_row(out->rows, (const char *const *)values);
        for (int c = 0; c < ncols; c++)
            free(values[c]);
        release_read(&k);
    }
    free(values);
    literal(&k, "end\n");
    if (k.ok && k.at == k.end)
        return 0;
refused:
    partitions_saved_free(out);
    return -1;
}

int partitions_saved_read(const char *text, size_t len, const char *server,
                          struct partitions_saved *out)
{
    return saved_read((struct cursor){ text, text + len, true, NULL, 0 }, server, out);
}

int partitions_saved_take(char *text, size_t len, const char *server, struct partitions_saved *out)
{
    return saved_read((struct cursor){ text, text + len, true, text, 0 }, server, out);
}

char *partitions_saved_path(const char *server)
{
    /* One file a server, named by a hash of its id (the id itself is in
     * the file and compared). */
    uint64_t h = 1469598103934665603ULL;
    for (const char *s = server; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    char name[64], err[256];
    snprintf(name, sizeof name, "partitions/%016llx", (unsigned long long)h);
    return statefile_path(name, err, sizeof err);
}

void partitions_saved_prune(const char *path, double max_age)
{
    char *dir = xstrdup(path);
    char *slash = strrchr(dir, '/');
    if (!slash) {
        free(dir);
        return;
    }
    *slash = '\0';
    DIR *d = opendir(dir);
    if (!d) {
        free(dir);
        return;
    }
    time_t now = time(NULL);
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char *file = xasprintf("%s/%s", dir, e->d_name);
        struct stat st;
        if (strcmp(file, path) != 0 && lstat(file, &st) == 0 && S_ISREG(st.st_mode) &&
            st.st_uid == geteuid() && difftime(now, st.st_mtime) > max_age)
            unlink(file);
        free(file);
    }
    closedir(d);
    free(dir);
}
