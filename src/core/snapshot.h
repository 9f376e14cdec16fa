#ifndef PGDECK_SNAPSHOT_H
#define PGDECK_SNAPSHOT_H

#include <stdbool.h>

#include <libpq-fe.h>

/* One collector's result at one moment: a table of text cells read by
 * column name, immutable once published and shared by reference count
 * between the panes, the JSON writer and the alert rules.  A snapshot that
 * failed carries `error` (what is missing or what went wrong) and no rows:
 * the pane shows that message instead of a table.
 *
 * Keeping every result as named text columns is what makes a snapshot
 * serialisable as it is (--once --format json, and later a Redis channel
 * that read-only viewers subscribe to). */
struct snapshot {
    int     refs;
    unsigned long serial;   /* unique in the process: a snapshot's identity
                               for a cache that must not hold it (a freed
                               snapshot's address can be reused) */
    char   *source;         /* collector name: "activity" */
    double  taken_at;       /* wall clock, seconds since the epoch */
    double  elapsed;        /* server round trip, seconds */
    char   *error;          /* NULL, or why there is no data */
    int     ncols, nrows;
    char  **columns;        /* ncols names */
    char  **cells;          /* nrows * ncols, NULL for SQL NULL */
    int     cap_rows;
    /* The text of a query result's cells, in one block (snapshot_from_result):
     * one allocation instead of one per cell, which is most of a big
     * snapshot's memory and of its time to copy and free.  Cells set later
     * are allocated one by one, with a count of the snapshots that share
     * them (snapshot_add_row_from); the functions below tell them apart.
     * Write cells only through these functions. */
    char   *arena;
    size_t  arena_len;
};

/* An empty table with these columns, to be filled with snapshot_add_row. */
struct snapshot *snapshot_new(const char *source, int ncols, const char *const *columns);
/* A copy of a query result (all columns, all rows). */
struct snapshot *snapshot_from_result(const char *source, const PGresult *res);
/* The same without the rows whose column "pid" is one of the `ndrop` pids
 * in `drop`. */
struct snapshot *snapshot_from_result_without(const char *source, const PGresult *res,
                                              const int *drop, int ndrop);
/* A snapshot that only says what went wrong. */
struct snapshot *snapshot_failed(const char *source, const char *error);
/* Append a row of ncols values (copied; NULL allowed). */
void snapshot_add_row(struct snapshot *s, const char *const *values);
/* Append copies of `count` rows of `from` from row `first` on (its
 * columns are s's, in s's order). */
void snapshot_add_rows(struct snapshot *s, const struct snapshot *from, int first, int count);
/* Append a row: cell c is the cell of `from` at (from_row, from_cols[c])
 * when from_cols[c] >= 0 (values[c] is not read), else a copy of
 * values[c].  A cell of `from` that
 * was allocated alone is shared, not copied (it lives as long as a
 * snapshot holds it); one of `from`'s arena is copied. */
void snapshot_add_row_from(struct snapshot *s, const char *const *values,
                           const struct snapshot *from, int from_row, const int *from_cols);
/* Set the cell at (row, col) to a copy of the `len` bytes at value (no NUL
 * among them; NULL for SQL NULL). */
void snapshot_set_cell_n(struct snapshot *s, int row, int col, const char *value, size_t len);
/* Text counted like a cell, for a cache whose texts feed a column (the
 * statements' texts): snapshot_set_cell_shared puts one in a snapshot
 * without a copy, and it lives as long as the cache or a snapshot holds
 * it.  snapshot_shared_new: NULL in, NULL out; snapshot_shared_free drops
 * the caller's count. */
char *snapshot_shared_new(const char *value);
void  snapshot_shared_free(char *text);
void  snapshot_set_cell_shared(struct snapshot *s, int row, int col, char *text);
/* Set one cell (copied), for derived columns computed after the query. */
void snapshot_set(struct snapshot *s, int row, const char *column, const char *value);
/* Set a derived number: NAN becomes SQL NULL (a blank in a pane, last in
 * a sort, as for any unknown value), an infinity "Infinity" as PostgreSQL
 * writes it. */
void snapshot_set_number(struct snapshot *s, int row, const char *column, double v, int decimals);
/* Set a derived boolean: "t" or "f", or NULL when v < 0 (unknown). */
void snapshot_set_bool(struct snapshot *s, int row, const char *column, int v);
/* Set the cell at (row, col) to a copy of value (NULL allowed). */
void snapshot_set_cell(struct snapshot *s, int row, int col, const char *value);
/* Cell (row, col) as a number, read as strtod reads it (numparse_prefix:
 * plain decimals on a fast path); `fallback` for NULL, "" or no number. */
double snapshot_cell_number(const struct snapshot *s, int row, int col, double fallback);
/* Add a column (all NULL) and return its index; existing index if present. */
int  snapshot_add_column(struct snapshot *s, const char *name);
/* The same for n columns at once (one copy of the table, not n), their
 * indexes into cols. */
void snapshot_add_columns(struct snapshot *s, const char *const *names, int n, int *cols);
/* Whether two snapshots hold the same error, columns and cells (times
 * aside): a collector whose new result equals the one it shows keeps the
 * one it has (collector_publish), so nothing is held twice. */
bool snapshot_same_data(const struct snapshot *a, const struct snapshot *b);

struct snapshot *snapshot_ref(struct snapshot *s);
void snapshot_unref(struct snapshot *s);

int         snapshot_column(const struct snapshot *s, const char *name);
const char *snapshot_cell(const struct snapshot *s, int row, int col);
const char *snapshot_get(const struct snapshot *s, int row, const char *column);
/* As snapshot_get, but "" for NULL: for text that is shown as it is. */
const char *snapshot_text(const struct snapshot *s, int row, const char *column);
/* The cell as a number; `fallback` when NULL, absent or not a number. */
double      snapshot_number(const struct snapshot *s, int row, const char *column, double fallback);
bool        snapshot_true(const struct snapshot *s, int row, const char *column);
/* The row whose `column` equals `value`, or -1. */
int         snapshot_find(const struct snapshot *s, const char *column, const char *value);

#endif
