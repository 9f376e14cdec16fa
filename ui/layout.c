/* Where the panes go (see layout.h).
 *
 * The grid: the first pane (queries) across the top; the others below it
 * in columns of stacked panes, in order, down the first column and then
 * the next: two columns from 120 screen columns, three from 330, the later
 * columns holding no more panes than the earlier ones (seven panes at
 * 250x70: pool, cache and partitions, then views, indexes and locks).  Which
 * pane sits where depends only on the screen's size, so the eye finds a
 * pane where it was; how many lines each gets follows what it has to
 * show:
 *
 *   - every pane gets LAYOUT_PANE_MIN_H lines at least;
 *   - when there is room for everything each pane wants, each gets it, and
 *     what is left is shared in proportion to the wants (a long list
 *     gets more of the spare lines than a short one);
 *   - when there is not, the focused pane gets what it wants first, up to
 *     half of the room it shares; then the smallest needs are met first
 *     (a short list is shown whole) and the longer lists share the rest
 *     evenly, the longest getting the most (and scrolling).
 *
 * The top pane and the columns below share the height that way, the
 * columns' want being their tallest stack's; then each column shares its
 * height among its panes.
 *
 * Hysteresis: a pane that wants more lines than it was laid out for gets
 * them at the next layout; one that wants fewer keeps its lines until it
 * has wanted fewer LAYOUT_SHRINK_AFTER layouts in a row; the lines kept
 * are lent, though: a pane whose list just got longer and is short of
 * lines gets them at once, and any pane short of lines after
 * LAYOUT_SHRINK_CROWDED layouts.  The previous layout carries what
 * each pane was laid out for.
 *
 * One at a time, under a tab bar, on a screen smaller than
 * LAYOUT_MIN_COLS x LAYOUT_MIN_ROWS, or where the panes' minimums do not
 * fit.  Zoomed, the focused pane alone, without the tab bar. */
#include <string.h>

#include "layout.h"

/* The most columns below the top pane; two from 2 * COLUMN_COLS screen
 * columns, three once each of three would be THIRD_COLUMN_COLS wide: the
 * pool's and the cache's lines (a replica's "in recovery, ... receiver
 * streaming from HOST:PORT") want about 110 columns, and a third column
 * narrower than that cuts them. */
#define MAX_COLUMNS        3
#define COLUMN_COLS        60
#define THIRD_COLUMN_COLS  110
/* The least width a pane of the grid needs for a table. */
#define PANE_MIN_W   30

static int max_int(int a, int b)
{
    return a > b ? a : b;
}

static int min_int(int a, int b)
{
    return a < b ? a : b;
}

/* Give out `extra` lines in proportion to weight[] (largest remainder,
 * earlier items first on a tie); items of weight 0 get none unless all
 * are 0, then they share evenly. */
static void spread(int extra, int n, const int *weight, int *out)
{
    long total = 0;
    for (int i = 0; i < n; i++)
        total += weight[i];
    if (extra <= 0 || n <= 0)
        return;
    int given = 0;
    long rest[16] = { 0 };
    for (int i = 0; i < n; i++) {
        long w = total > 0 ? weight[i] : 1;
        long sum = total > 0 ? total : n;
        int g = (int)(extra * w / sum);
        rest[i] = extra * w % sum;
        out[i] += g;
        given += g;
    }
    while (given < extra) {
        int best = -1;
        for (int i = 0; i < n; i++)
            if ((total == 0 || weight[i] > 0) && (best < 0 || rest[i] > rest[best]))
                best = i;
        if (best < 0)
            best = n - 1;
        out[best]++;
        rest[best] = -1;
        given++;
    }
}

/* Share `total` lines among n items with their minimums and wants (see
 * the top of the file); favoured is an item's index or -1.  False when
 * the minimums do not fit. */
static bool share(int total, int n, const int *min, const int *want, int favoured, int *out)
{
    int left = total;
    for (int i = 0; i < n; i++) {
        out[i] = min[i];
        left -= min[i];
    }
    if (left < 0)
        return false;
    if (favoured >= 0 && favoured < n) {
        int give = min_int(want[favoured] - out[favoured], total / 2 - out[favoured]);
        give = min_int(give, left);
        if (give > 0) {
            out[favoured] += give;
            left -= give;
        }
    }
    int missing[16], sum_missing = 0;
    for (int i = 0; i < n; i++) {
        missing[i] = max_int(want[i] - out[i], 0);
        sum_missing += missing[i];
    }
    if (sum_missing <= left) {
        for (int i = 0; i < n; i++)
            out[i] += missing[i];
        spread(left - sum_missing, n, want, out);
    } else {
        /* Short of lines: the smallest needs are met first, so a list of
         * a few rows is shown whole; what is left is shared evenly among
         * the longer lists, which scroll, the longest getting the most. */
        bool done[16] = { false };
        int open = 0;
        for (int i = 0; i < n; i++) {
            done[i] = missing[i] == 0;
            open += !done[i];
        }
        while (open > 0 && left > 0) {
            int level = left / open;
            bool met = false;
            for (int i = 0; i < n; i++)
                if (!done[i] && missing[i] <= level) {
                    out[i] += missing[i];
                    left -= missing[i];
                    done[i] = true;
                    open--;
                    met = true;
                }
            if (met)
                continue;
            for (int i = 0; i < n; i++)
                if (!done[i]) {
                    out[i] += level;
                    missing[i] -= level;
                    left -= level;
                }
            /* Fewer lines than open lists are left: one each to the
             * longest (the earlier on a tie). */
            while (left > 0) {
                int best = -1;
                for (int i = 0; i < n; i++)
                    if (!done[i] && (best < 0 || missing[i] > missing[best]))
                        best = i;
                out[best]++;
                done[best] = true;
                left--;
            }
            break;
        }
    }
    return true;
}

/* The want a pane is laid out for this time, and its shrink count. */
static void settle_want(const struct layout_request *rq, int i, struct layout_rect *out)
{
    int want = max_int(rq->want ? rq->want[i] : 0, LAYOUT_PANE_MIN_H);
    /* Read before writing: `previous` may be `out` itself. */
    int prev_want = rq->previous ? rq->previous[i].want : 0;
    int prev_shrinking = rq->previous ? rq->previous[i].shrinking : 0;
    out->shrinking = 0;
    out->want = want;
    if (prev_want <= 0 || want >= prev_want)
        return;
    if (prev_shrinking + 1 < LAYOUT_SHRINK_AFTER) {
        out->want = prev_want;
        out->shrinking = prev_shrinking + 1;
    }
}

/* How many columns below the top pane, and how many panes in each. */
static int columns_for(int below, int cols, int *count)
{
    int ncol = cols / 3 >= THIRD_COLUMN_COLS ? 3 : cols / 2 >= COLUMN_COLS ? 2 : 1;
    ncol = min_int(ncol, below);
    for (int c = 0; c < ncol; c++)
        count[c] = below / ncol + (c < below % ncol ? 1 : 0);
    return ncol;
}

static bool grid(const struct layout_request *rq, int top, int body, struct layout_rect *out)
{
    int n = rq->n, cols = rq->cols;
    if (n == 1) {
        out[0].y = top, out[0].x = 0, out[0].h = body, out[0].w = cols;
        return true;
    }
    int count[MAX_COLUMNS];
    int ncol = columns_for(n - 1, cols, count);
    if (cols / ncol < PANE_MIN_W)
        return false;

    /* The columns' minimum and want: their tallest stack's. */
    int area_min = 0, area_want = 0, focus_col = -1;
    for (int c = 0, first = 1; c < ncol; first += count[c], c++) {
        int sum = 0;
        for (int i = first; i < first + count[c]; i++) {
            sum += out[i].want;
            if (i == rq->focus)
                focus_col = c;
        }
        area_min = max_int(area_min, count[c] * LAYOUT_PANE_MIN_H);
        area_want = max_int(area_want, sum);
    }
    int min2[2] = { LAYOUT_PANE_MIN_H, area_min }, want2[2] = { out[0].want, area_want }, h2[2];
    if (!share(body, 2, min2, want2, rq->focus == 0 ? 0 : 1, h2))
        return false;
    out[0].y = top, out[0].x = 0, out[0].h = h2[0], out[0].w = cols;

    int x = 0, width = cols / ncol;
    for (int c = 0, first = 1; c < ncol; first += count[c], c++) {
        int k = count[c], min[16], want[16], h[16];
        for (int i = 0; i < k; i++) {
            min[i] = LAYOUT_PANE_MIN_H;
            want[i] = out[first + i].want;
        }
        if (!share(h2[1], k, min, want, c == focus_col ? rq->focus - first : -1, h))
            return false;
        int w = c == ncol - 1 ? cols - x : width;
        for (int i = 0, y = top + h2[0]; i < k; y += h[i], i++) {
            struct layout_rect *r = &out[first + i];
            r->y = y, r->x = x, r->h = h[i], r->w = w;
        }
        x += w;
    }
    return true;
}

static void clear(int n, struct layout_rect *out)
{
    for (int i = 0; i < n; i++)
        out[i].y = out[i].x = out[i].h = out[i].w = 0;
}

/* Lines a shrinking pane holds on to are lent, not owned.  They go back
 * (the holder's want becomes what it wants now, and the grid is laid out
 * again) when a pane that grew (wants more than at the last layout) was
 * laid out shorter than it wants, or when any pane is short of lines and
 * the holder has held them LAYOUT_SHRINK_CROWDED layouts: on a crowded
 * screen spare lines are not kept for long.  Returns whether anything was
 * given back. */
static bool give_back(const struct layout_request *rq, const bool *grew, struct layout_rect *out)
{
    bool grown_short = false, short_of = false, holding = false, held_long = false;
    for (int i = 0; i < rq->n; i++) {
        if (out[i].shrinking > 0) {
            holding = true;
            held_long |= out[i].shrinking >= LAYOUT_SHRINK_CROWDED;
        } else if (out[i].h < out[i].want) {
            short_of = true;
            grown_short |= grew[i];
        }
    }
    if (!holding || !(grown_short || (short_of && held_long)))
        return false;
    for (int i = 0; i < rq->n; i++)
        if (out[i].shrinking > 0) {
            out[i].want = max_int(rq->want ? rq->want[i] : 0, LAYOUT_PANE_MIN_H);
            out[i].shrinking = 0;
        }
    return true;
}

enum layout_mode layout_panes(const struct layout_request *rq, struct layout_rect *out)
{
    int n = rq->n;
    if (n <= 0)
        return LAYOUT_TABS;
    /* Which panes want more than last time (read before settle_want
     * writes: `previous` may be `out` itself). */
    bool grew[16 * MAX_COLUMNS + 1];
    for (int i = 0; i < n && i < 16 * MAX_COLUMNS + 1; i++)
        grew[i] = rq->previous && rq->want && rq->want[i] > rq->previous[i].want;
    for (int i = 0; i < n; i++)
        settle_want(rq, i, &out[i]);
    clear(n, out);
    int focus = rq->focus >= 0 && rq->focus < n ? rq->focus : 0;
    int top = LAYOUT_TOP_LINES;
    int body = rq->rows - LAYOUT_TOP_LINES - LAYOUT_BOTTOM_LINES;
    if (rq->zoom) {
        out[focus].y = top, out[focus].x = 0, out[focus].h = max_int(body, 3), out[focus].w = rq->cols;
        return LAYOUT_ZOOM;
    }
    /* A stack holds at most 16 panes (share's arrays): more than 48 panes
     * go to tabs, as they would on any screen. */
    bool small = rq->cols < LAYOUT_MIN_COLS || rq->rows < LAYOUT_MIN_ROWS || n - 1 > 16 * MAX_COLUMNS;
    if (!small && grid(rq, top, body, out)) {
        struct layout_rect first[16 * MAX_COLUMNS + 1];
        memcpy(first, out, (size_t)n * sizeof *out);
        if (!give_back(rq, grew, out))
            return LAYOUT_GRID;
        /* Kept only when a pane short of lines got more. */
        clear(n, out);
        bool gained = grid(rq, top, body, out);
        for (int i = 0; gained && i < n; i++)
            if (first[i].shrinking == 0 && first[i].h < first[i].want && out[i].h > first[i].h)
                return LAYOUT_GRID;
        memcpy(out, first, (size_t)n * sizeof *out);
        return LAYOUT_GRID;
    }
    clear(n, out);
    top = LAYOUT_TABBED_LINES;
    body = rq->rows - top - LAYOUT_BOTTOM_LINES;
    out[focus].y = top, out[focus].x = 0, out[focus].h = max_int(body, 3), out[focus].w = rq->cols;
    return LAYOUT_TABS;
}
