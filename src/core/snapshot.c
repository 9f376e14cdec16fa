#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/numparse.h"
#include "base/quantity.h"
#include "core/snapshot.h"
#include "base/clock.h"
#include "base/xalloc.h"

/* A cell allocated alone (not in a result's arena) carries a count of the
 * snapshots that hold it: a new snapshot that keeps a row of the one
 * before (snapshot_add_row_from) takes its cells by reference instead of
 * copying them, so that a large table that did not change is not held
 * twice while the new one is built and published (issue 14, aim 3: the
 * partitions snapshot at 5,000 partitions is 1.2 MB, nearly all of it
 * text that changes seldom).  Cells are never written in place, so a
 * shared cell is as immutable as the snapshots that hold it; snapshots,
 * and so the counts, belong to the loop's thread. */
struct cell {
    unsigned refs;
    char     text[];
};

static struct cell *cell_of(const char *text)
{
    return (struct cell *)(void *)(text - offsetof(struct cell, text));
}

static char *cell_new(const char *value, size_t len)
{
    struct cell *c = xmalloc(sizeof *c + len + 1);
    c->refs = 1;
    memcpy(c->text, value, len);
    c->text[len] = '\0';
    return c->text;
}

static char *cell_dup(const char *value)
{
    return value ? cell_new(value, strlen(value)) : NULL;
}

static unsigned long snapshot_serials;

struct snapshot *snapshot_new(const char *source, int ncols, const char *const *columns)
{
    struct snapshot *s = xcalloc(1, sizeof *s);
    s->refs = 1;
    s->serial = ++snapshot_serials;
    s->source = xstrdup(source);
    s->taken_at = now_wall();
    s->ncols = ncols;
    s->columns = xcalloc((size_t)(ncols ? ncols : 1), sizeof *s->columns);
    for (int i = 0; i < ncols; i++)
        s->columns[i] = xstrdup(columns[i]);
    return s;
}

/* Whether p is a cell of the snapshot's arena (not to be freed alone). */
static bool in_arena(const struct snapshot *s, const char *p)
{
    uintptr_t a = (uintptr_t)s->arena, x = (uintptr_t)p;
    return s->arena && x >= a && x < a + s->arena_len;
}

static void cell_free(struct snapshot *s, char *p)
{
    if (!p || in_arena(s, p))
        return;
    struct cell *c = cell_of(p);
    if (--c->refs == 0)
        free(c);
}

struct snapshot *snapshot_from_result(const char *source, const PGresult *res)
{
    return snapshot_from_result_without(source, res, NULL, 0);
}

/* Does row r's pid name one of the `ndrop` pids in `drop`? */
static bool dropped(const PGresult *res, int r, int pid_col, const int *drop, int ndrop)
{
    if (pid_col < 0 || PQgetisnull(res, r, pid_col))
        return false;
    int pid = atoi(PQgetvalue(res, r, pid_col));
    for (int k = 0; k < ndrop; k++)
        if (drop[k] == pid)
            return true;
    return false;
}

struct snapshot *snapshot_from_result_without(const char *source, const PGresult *res,
                                              const int *drop, int ndrop)
{
    int ncols = PQnfields(res), nrows = PQntuples(res);
    const char **names = xcalloc((size_t)(ncols ? ncols : 1), sizeof *names);
    for (int i = 0; i < ncols; i++)
        names[i] = PQfname(res, i);
    struct snapshot *s = snapshot_new(source, ncols, names);
    free(names);
    /* The rows kept, then their cells in one block. */
    int pid_col = ndrop > 0 ? PQfnumber(res, "pid") : -1;
    int *rows = xcalloc((size_t)(nrows ? nrows : 1), sizeof *rows);
    int nkept = 0;
    size_t total = 0;
    for (int r = 0; r < nrows; r++) {
        if (dropped(res, r, pid_col, drop, ndrop))
            continue;
        rows[nkept++] = r;
        for (int c = 0; c < ncols; c++)
            if (!PQgetisnull(res, r, c))
                total += (size_t)PQgetlength(res, r, c) + 1;
    }
    s->cap_rows = nkept;
    s->cells = xcalloc((size_t)(nkept * ncols > 0 ? nkept * ncols : 1), sizeof *s->cells);
    if (total) {
        s->arena = xmalloc(total);
        s->arena_len = total;
    }
    char *at = s->arena;
    for (int k = 0; k < nkept; k++) {
        for (int c = 0; c < ncols; c++) {
            if (PQgetisnull(res, rows[k], c))
                continue;
            size_t n = (size_t)PQgetlength(res, rows[k], c);
            memcpy(at, PQgetvalue(res, rows[k], c), n);
            at[n] = '\0';
            s->cells[k * ncols + c] = at;
            at += n + 1;
        }
    }
    s->nrows = nkept;
    free(rows);
    return s;
}

struct snapshot *snapshot_failed(const char *source, const char *error)
{
    struct snapshot *s = snapshot_new(source, 0, NULL);
    s->error = xstrdup(error ? error : "no data");
    return s;
}

void snapshot_add_row(struct snapshot *s, const char *const *values)
{
    snapshot_add_row_from(s, values, NULL, -1, NULL);
}

void snapshot_add_rows(struct snapshot *s, const struct snapshot *from, int first, int count)
{
    for (int r = first; r < first + count && r < from->nrows; r++)
        snapshot_add_row(s, (const char *const *)&from->cells[r * from->ncols]);
}

void snapshot_add_row_from(struct snapshot *s, const char *const *values,
                           const struct snapshot *from, int from_row, const int *from_cols)
{
    if (s->nrows == s->cap_rows) {
        s->cap_rows = s->cap_rows ? s->cap_rows * 2 : 16;
        s->cells = xrealloc(s->cells, (size_t)s->cap_rows * (size_t)(s->ncols ? s->ncols : 1) * sizeof *s->cells);
    }
    bool from_ok = from && from_row >= 0 && from_row < from->nrows;
    char **row = &s->cells[s->nrows * s->ncols];
    for (int c = 0; c < s->ncols; c++) {
        int fc = from_ok && from_cols ? from_cols[c] : -1;
        if (fc < 0 || fc >= from->ncols) {
            row[c] = cell_dup(values[c]);
            continue;
        }
        char *v = from->cells[from_row * from->ncols + fc];
        if (v && !in_arena(from, v)) {
            cell_of(v)->refs++;
            row[c] = v;
        } else {
            row[c] = cell_dup(v);
        }
    }
    s->nrows++;
}

char *snapshot_shared_new(const char *value)
{
    return cell_dup(value);
}

void snapshot_shared_free(char *text)
{
    if (text && --cell_of(text)->refs == 0)
        free(cell_of(text));
}

void snapshot_set_cell_shared(struct snapshot *s, int row, int col, char *text)
{
    if (row < 0 || row >= s->nrows || col < 0 || col >= s->ncols)
        return;
    char **cell = &s->cells[row * s->ncols + col];
    if (*cell == text)
        return;
    if (text)
        cell_of(text)->refs++;
    cell_free(s, *cell);
    *cell = text;
}

void snapshot_set_cell_n(struct snapshot *s, int row, int col, const char *value, size_t len)
{
    if (row < 0 || row >= s->nrows || col < 0 || col >= s->ncols)
        return;
    char **cell = &s->cells[row * s->ncols + col];
    cell_free(s, *cell);
    *cell = value ? cell_new(value, len) : NULL;
}

int snapshot_add_column(struct snapshot *s, const char *name)
{
    int col;
    snapshot_add_columns(s, &name, 1, &col);
    return col;
}

void snapshot_add_columns(struct snapshot *s, const char *const *names, int n, int *cols)
{
    int add = 0;
    for (int k = 0; k < n; k++) {
        cols[k] = snapshot_column(s, names[k]);
        for (int j = 0; j < k && cols[k] < 0; j++)
            if (strcmp(names[j], names[k]) == 0)
                cols[k] = cols[j];
        if (cols[k] < 0)
            cols[k] = s->ncols + add++;
    }
    if (!add)
        return;
    int ncols = s->ncols + add;
    /* Room for the rows there are: a row added later grows the table.
     * One copy of the table for all of them, not one a column. */
    if (s->cap_rows > s->nrows)
        s->cap_rows = s->nrows;
    char **cells = xcalloc((size_t)((s->cap_rows ? s->cap_rows : 1) * ncols), sizeof *cells);
    for (int r = 0; r < s->nrows; r++)
        for (int c = 0; c < s->ncols; c++)
            cells[r * ncols + c] = s->cells[r * s->ncols + c];
    free(s->cells);
    s->cells = cells;
    s->columns = xrealloc(s->columns, (size_t)ncols * sizeof *s->columns);
    int at = s->ncols;
    for (int k = 0; k < n; k++)
        if (cols[k] == at)
            s->columns[at++] = xstrdup(names[k]);
    s->ncols = ncols;
}

void snapshot_set_cell(struct snapshot *s, int row, int col, const char *value)
{
    if (row < 0 || row >= s->nrows || col < 0 || col >= s->ncols)
        return;
    char **cell = &s->cells[row * s->ncols + col];
    if (*cell && value && strcmp(*cell, value) == 0)
        return;
    cell_free(s, *cell);
    *cell = cell_dup(value);
}

void snapshot_set(struct snapshot *s, int row, const char *column, const char *value)
{
    int c = snapshot_add_column(s, column);
    snapshot_set_cell(s, row, c, value);
}

static bool same_text(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

bool snapshot_same_data(const struct snapshot *a, const struct snapshot *b)
{
    if (!a || !b)
        return a == b;
    if (!same_text(a->error, b->error) || a->ncols != b->ncols || a->nrows != b->nrows)
        return false;
    for (int c = 0; c < a->ncols; c++)
        if (!same_text(a->columns[c], b->columns[c]))
            return false;
    for (int i = 0; i < a->nrows * a->ncols; i++)
        if (!same_text(a->cells[i], b->cells[i]))
            return false;
    return true;
}

struct snapshot *snapshot_ref(struct snapshot *s)
{
    if (s)
        s->refs++;
    return s;
}

void snapshot_unref(struct snapshot *s)
{
    if (!s || --s->refs > 0)
        return;
    for (int i = 0; i < s->nrows * s->ncols; i++)
        cell_free(s, s->cells[i]);
    for (int i = 0; i < s->ncols; i++)
        free(s->columns[i]);
    free(s->arena);
    free(s->cells);
    free(s->columns);
    free(s->source);
    free(s->error);
    free(s);
}

int snapshot_column(const struct snapshot *s, const char *name)
{
    if (!s)
        return -1;
    /* The first byte first: most columns differ there, and this runs
     * for each cell a derive or a pane reads by name (issue 14). */
    for (int i = 0; i < s->ncols; i++)
        if (s->columns[i][0] == name[0] && strcmp(s->columns[i], name) == 0)
            return i;
    return -1;
}

const char *snapshot_cell(const struct snapshot *s, int row, int col)
{
    if (!s || row < 0 || row >= s->nrows || col < 0 || col >= s->ncols)
        return NULL;
    return s->cells[row * s->ncols + col];
}

const char *snapshot_get(const struct snapshot *s, int row, const char *column)
{
    return snapshot_cell(s, row, snapshot_column(s, column));
}

const char *snapshot_text(const struct snapshot *s, int row, const char *column)
{
    const char *v = snapshot_get(s, row, column);
    return v ? v : "";
}

double snapshot_number(const struct snapshot *s, int row, const char *column, double fallback)
{
    return snapshot_cell_number(s, row, snapshot_column(s, column), fallback);
}

double snapshot_cell_number(const struct snapshot *s, int row, int col, double fallback)
{
    const char *v = snapshot_cell(s, row, col);
    if (!v || !*v)
        return fallback;
    char *end;
    double d = numparse_prefix(v, &end);
    return end == v ? fallback : d;
}

bool snapshot_true(const struct snapshot *s, int row, const char *column)
{
    const char *v = snapshot_get(s, row, column);
    return v && (strcmp(v, "t") == 0 || strcmp(v, "true") == 0 || strcmp(v, "1") == 0);
}

int snapshot_find(const struct snapshot *s, const char *column, const char *value)
{
    int c = snapshot_column(s, column);
    if (c < 0)
        return -1;
    for (int r = 0; r < s->nrows; r++) {
        const char *v = snapshot_cell(s, r, c);
        if (v && strcmp(v, value) == 0)
            return r;
    }
    return -1;
}

void snapshot_set_number(struct snapshot *s, int row, const char *column, double v, int decimals)
{
    if (isnan(v)) {
        snapshot_set(s, row, column, NULL);
        return;
    }
    char buf[64];
    if (isinf(v))
        snprintf(buf, sizeof buf, "%s", v > 0 ? "Infinity" : "-Infinity");
    else
        quantity_fixed(buf, sizeof buf, v, decimals);
    snapshot_set(s, row, column, buf);
}

void snapshot_set_bool(struct snapshot *s, int row, const char *column, int v)
{
    snapshot_set(s, row, column, v < 0 ? NULL : v ? "t" : "f");
}
