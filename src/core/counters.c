/* Cumulative counters across two snapshots (see counters.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/counters.h"
#include "core/snapshot.h"
#include "base/xalloc.h"

double counter_delta(double now, double prev)
{
    if (isnan(now) || isnan(prev) || now < prev)
        return NAN;
    return now - prev;
}

/* Seconds between two snapshots, NAN when there is no previous one. */
double counter_interval(const struct snapshot *now, const struct snapshot *prev)
{
    if (!prev)
        return NAN;
    double dt = now->taken_at - prev->taken_at;
    return dt > 0 ? dt : NAN;
}

struct keyed_row {
    const char *key;
    int row;
};

static int compare_keyed(const void *a, const void *b)
{
    const struct keyed_row *x = a, *y = b;
    return strcmp(x->key, y->key);
}

/* For each row of `now`, the row of `prev` with the same value in
 * `column`, or -1.  Sorted once and searched, so that a thousand tables
 * cost a thousand lookups and not a million comparisons.  NULL when there
 * is no previous snapshot; the caller frees the array. */
int *counter_match_rows(const struct snapshot *now, const struct snapshot *prev, const char *column)
{
    if (!prev || now->nrows == 0)
        return NULL;
    int *match = xcalloc((size_t)now->nrows, sizeof *match);
    struct keyed_row *index = xcalloc((size_t)(prev->nrows ? prev->nrows : 1), sizeof *index);
    int n = 0;
    for (int r = 0; r < prev->nrows; r++) {
        const char *k = snapshot_get(prev, r, column);
        if (k)
            index[n++] = (struct keyed_row){ k, r };
    }
    qsort(index, (size_t)n, sizeof *index, compare_keyed);
    for (int r = 0; r < now->nrows; r++) {
        const char *k = snapshot_get(now, r, column);
        struct keyed_row probe = { k, -1 }, *hit = NULL;
        if (k && n)
            hit = bsearch(&probe, index, (size_t)n, sizeof *index, compare_keyed);
        match[r] = hit ? hit->row : -1;
    }
    free(index);
    return match;
}
