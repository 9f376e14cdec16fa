#define _GNU_SOURCE
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "draw.h"
#include "base/numparse.h"
#include "table.h"
#include "ui.h"
#include "base/xalloc.h"

/* The table widget: every list in pgdeck is a snapshot shown through
 * column definitions.  Filter and sort apply to the snapshot's rows; the
 * selection follows the selected row's key across refreshes, so a new
 * snapshot never makes the cursor jump to another session, and it is read
 * from the snapshot the screen shows (table_state.shown), so a key pressed
 * before a new snapshot is drawn acts on the row the operator saw. */

static const struct table_def *table_of(const struct pane *p)
{
    if (!p->cls->ntables)
        return NULL;
    int m = p->mode < p->cls->ntables ? p->mode : 0;
    return &p->cls->tables[m];
}

static bool row_matches(const struct snapshot *s, int row, const char *filter)
{
    if (!filter || !*filter)
        return true;
    for (int c = 0; c < s->ncols; c++) {
        const char *v = snapshot_cell(s, row, c);
        if (v && strcasestr(v, filter))
            return true;
    }
    return false;
}

/* qsort has no context argument; the sort runs on the loop thread only. */
static const struct snapshot *sort_snapshot;
static const struct column_def *sort_def;
static bool sort_desc;
static int sort_col;            /* sort_def's column in sort_snapshot */

static int compare_rows(const void *a, const void *b)
{
    int ra = *(const int *)a, rb = *(const int *)b;
    const char *va = snapshot_cell(sort_snapshot, ra, sort_col);
    const char *vb = snapshot_cell(sort_snapshot, rb, sort_col);
    int r;
    if (!va || !vb) {
        r = (va ? 1 : 0) - (vb ? 1 : 0);
    } else if (sort_def->format != FORMAT_AS_TEXT && sort_def->format != FORMAT_AS_BOOL) {
        double da = numparse_prefix(va, NULL), db = numparse_prefix(vb, NULL);
        r = da < db ? -1 : da > db ? 1 : 0;
    } else {
        r = strcasecmp(va, vb);
    }
    if (r == 0)
        r = ra - rb;        /* stable */
    return sort_desc ? -r : r;
}

/* A row's key is the values of the pane's key_field columns, each ended
 * by a unit separator (a NULL is a record separator, so NULL and "" differ).
 * The columns are looked up once per snapshot: a draw compares the key
 * with every row. */
#define KEY_FIELDS 4

struct key_columns {
    int col[KEY_FIELDS];        /* -1: the snapshot has no such column */
    int n;
};

/* False when the table has no key: no key_field, or none of its columns. */
static bool key_columns(const struct pane *p, const struct snapshot *s, struct key_columns *k)
{
    const char *f = p->cls->key_field;
    bool any = false;
    k->n = 0;
    if (!f || !s)
        return false;
    while (*f && k->n < KEY_FIELDS) {
        size_t n = strcspn(f, ",");
        char *name = xstrndup(f, n);
        int c = snapshot_column(s, name);
        free(name);
        k->col[k->n++] = c;
        any |= c >= 0;
        f += n;
        if (*f == ',')
            f++;
    }
    return any;
}

static const char *key_value(const struct snapshot *s, int row, int col)
{
    const char *v = col >= 0 ? snapshot_cell(s, row, col) : NULL;
    return v ? v : "\x1e";
}

/* Caller frees. */
static char *key_text(const struct snapshot *s, int row, const struct key_columns *k)
{
    size_t len = 1;
    for (int i = 0; i < k->n; i++)
        len += strlen(key_value(s, row, k->col[i])) + 1;
    char *key = xmalloc(len), *o = key;
    for (int i = 0; i < k->n; i++) {
        const char *v = key_value(s, row, k->col[i]);
        size_t n = strlen(v);
        memcpy(o, v, n);
        o[n] = '\x1f';
        o += n + 1;
    }
    *o = '\0';
    return key;
}

static bool key_matches(const struct snapshot *s, int row, const struct key_columns *k, const char *key)
{
    for (int i = 0; i < k->n; i++) {
        const char *v = key_value(s, row, k->col[i]);
        size_t n = strlen(v);
        if (strncmp(key, v, n) != 0 || key[n] != '\x1f')
            return false;
        key += n + 1;
    }
    return *key == '\0';
}

/* The index in the order shown of the row whose key is `key`, or -1. */
static int find_key(const struct pane *p, const struct snapshot *s, const int *order, int norder,
                    const char *key)
{
    struct key_columns k;
    if (!key || !key_columns(p, s, &k))
        return -1;
    for (int i = 0; i < norder; i++)
        if (key_matches(s, order[i], &k, key))
            return i;
    return -1;
}

/* Recompute which snapshot rows are shown, in which order. */
static void table_order(struct ui *ui, struct pane *p, const struct snapshot *s)
{
    const struct table_def *t = table_of(p);
    struct table_state *st = &p->table;
    free(st->order);
    st->order = NULL;
    st->norder = 0;
    if (st->shown != s) {
        snapshot_unref(st->shown);
        st->shown = s ? snapshot_ref((struct snapshot *)s) : NULL;
    }
    if (!s || s->error || !t)
        return;
    st->order = xcalloc((size_t)(s->nrows ? s->nrows : 1), sizeof *st->order);
    for (int r = 0; r < s->nrows; r++) {
        if (t->row_hidden && t->row_hidden(ui, s, r))
            continue;
        if (!row_matches(s, r, st->filter))
            continue;
        st->order[st->norder++] = r;
    }
    if (st->sort_column >= 0 && st->sort_column < t->ncolumns) {
        sort_snapshot = s;
        sort_def = &t->columns[st->sort_column];
        sort_col = snapshot_column(s, sort_def->field);
        sort_desc = st->sort_descending;
        qsort(st->order, (size_t)st->norder, sizeof *st->order, compare_rows);
    }
    /* Keep the selection on the same row (by key) if it is still there. */
    int i = find_key(p, s, st->order, st->norder, st->selected_key);
    if (i >= 0)
        st->selected = i;
    if (st->selected >= st->norder)
        st->selected = st->norder - 1;
    if (st->selected < 0)
        st->selected = 0;
}

/* The selection is the row at `selected` in the order shown. */
static void remember_key(struct pane *p)
{
    struct table_state *st = &p->table;
    free(st->selected_key);
    st->selected_key = NULL;
    struct key_columns k;
    if (st->selected >= 0 && st->selected < st->norder && key_columns(p, st->shown, &k))
        st->selected_key = key_text(st->shown, st->order[st->selected], &k);
}

int table_selected_row(struct ui *ui, struct pane *p, const struct snapshot **s)
{
    struct table_state *st = &p->table;
    *s = st->shown;
    if (!st->shown || st->shown->error)
        return -1;
    /* The rows of the snapshot shown as the filter now has them: a key
     * pressed right after a filter was typed, before the next frame, acts
     * on a row the filter keeps, not on the one it has just hidden. */
    table_order(ui, p, st->shown);
    /* By key: between a filter typed and the next frame, `selected` is
     * not yet where the key is. */
    int i = find_key(p, st->shown, st->order, st->norder, st->selected_key);
    if (i >= 0)
        return st->order[i];
    if (st->selected < 0 || st->selected >= st->norder)
        return -1;
    return st->order[st->selected];
}

void table_select(struct ui *ui, struct pane *p, int index)
{
    (void)ui;
    struct table_state *st = &p->table;
    st->selected = index < st->norder ? index : st->norder - 1;
    if (st->selected < 0)
        st->selected = 0;
    remember_key(p);
}

/* ---- lines drawn as they were are left alone (struct table_state) ---- */

static void lines_forget(struct table_state *st)
{
    for (int i = 0; i < st->nlines; i++) {
        free(st->lines[i]);
        st->lines[i] = NULL;
    }
}

/* Start a draw of `n` lines at y, x, width with these columns: the lines
 * remembered stay only if the area is as it was left. */
static void lines_begin(struct table_state *st, int n, int y, int x, int width, unsigned columns)
{
    if (!st->kept || st->lines_y != y || st->lines_x != x || st->lines_w != width || st->lines_columns != columns)
        lines_forget(st);
    if (n > st->nlines) {
        st->lines = xrealloc(st->lines, (size_t)n * sizeof *st->lines);
        st->memo = xrealloc(st->memo, (size_t)n * sizeof *st->memo);
        for (int i = st->nlines; i < n; i++)
            st->lines[i] = st->memo[i] = NULL;
        st->nlines = n;
    }
    st->lines_y = y;
    st->lines_x = x;
    st->lines_w = width;
    st->lines_columns = columns;
}

/* True when line i is to be drawn with `text` (then remembered); false
 * when it is on the screen as it would be drawn. */
static bool line_draw(struct pane *p, int i, const char *text)
{
    struct table_state *st = &p->table;
    if (st->lines[i] && strcmp(st->lines[i], text) == 0) {
        p->lines_kept++;
        return false;
    }
    free(st->lines[i]);
    st->lines[i] = xstrdup(text);
    p->lines_drawn++;
    return true;
}

/* A line on the screen as `previous` says, in the same attribute as
 * `text` (the part before the first unit separator), gets only the cells
 * whose text changed: under pgbench a session's row changes every second
 * in two or three of its cells (duration, CPU%, the query), and the rest
 * of it, rewritten into stdscr, was most of table_draw's work and made
 * curses compare the whole line at doupdate (issue 14).  True when the
 * line was handled so (then `text` is remembered); false when it is to be
 * drawn whole (no previous line, another attribute, or the same text). */
static bool cells_changed_draw(struct ui *ui, struct pane *p, WINDOW *w, int i, const char *text,
                               int ry, int x, const int *widths, int n, const struct table_def *t,
                               char cells[][512])
{
    struct table_state *st = &p->table;
    const char *old = st->lines[i];
    if (!old || strcmp(old, text) == 0)
        return false;
    size_t attr_len = strcspn(text, "\x1f");
    if (strncmp(old, text, attr_len + 1) != 0)
        return false;
    /* Cells are told apart by the separator: a text that holds one (a
     * control character the cell would show sanitized) is drawn whole. */
    int cells_shown = 0, separators = 0;
    for (int c = 0; c < n; c++) {
        if (!widths[c])
            continue;
        if (strchr(cells[c], '\x1f'))
            return false;
        cells_shown++;
    }
    for (const char *q = old; (q = strchr(q, '\x1f')); q++)
        separators++;
    if (separators != cells_shown + 1)
        return false;
    attr_t a = 0;
    bool set = false;
    const char *o = old + attr_len + 1;
    int cx = x;
    for (int c = 0; c < n; c++) {
        if (!widths[c])
            continue;
        size_t olen = strcspn(o, "\x1f");
        size_t nlen = strlen(cells[c]);
        if (olen != nlen || memcmp(o, cells[c], nlen) != 0) {
            if (!set) {
                a = (attr_t)strtoul(text, NULL, 16);
                wattrset(w, a);
                set = true;
            }
            draw_cell(ui, w, ry, cx, widths[c], cells[c], t->columns[c].right);
        }
        o += olen;
        if (*o)
            o++;
        cx += widths[c] + 1;
    }
    free(st->lines[i]);
    st->lines[i] = xstrdup(text);
    p->lines_drawn++;
    return true;
}

/* The memo of formatted cells (struct table_state) holds for table t
 * with these columns; it is dropped when either changed. */
static void memo_begin(struct table_state *st, const struct table_def *t, unsigned columns)
{
    if (st->memo_table == t && st->memo_columns == columns)
        return;
    for (int i = 0; i < st->nlines; i++) {
        free(st->memo[i]);
        st->memo[i] = NULL;
    }
    st->memo_table = t;
    st->memo_columns = columns;
}

/* Row line i's cells, formatted from the row's values; a cell whose
 * value is the one its text was formatted from last time (the line's
 * memo) is copied, not formatted again.  Plain text is copied either
 * way, so it is not remembered. */
static void cells_format(struct table_state *st, int i, const struct table_def *t, const struct snapshot *s,
                         int row, const int *cols, const int *widths, int n, char cells[][512])
{
    const char *m = st->memo[i];
    char memo[2048];
    size_t used = 0;
    bool fits = true, same = m != NULL;
    for (int c = 0; c < n; c++) {
        if (!widths[c])
            continue;
        enum cell_format f = t->columns[c].format;
        const char *v = snapshot_cell(s, row, cols[c]);
        if (f == FORMAT_AS_TEXT) {
            format_value(cells[c], sizeof cells[c], v, f);
            continue;
        }
        const char *value = v ? v : "";
        size_t vlen = strlen(value);
        if (m) {
            size_t mlen = strlen(m);
            const char *text = m + mlen + 1;
            size_t tlen = strlen(text);
            if (mlen == vlen && memcmp(m, value, vlen) == 0 && tlen < sizeof cells[c]) {
                memcpy(cells[c], text, tlen + 1);
            } else {
                format_value(cells[c], sizeof cells[c], v, f);
                same = false;
            }
            m = text + tlen + 1;
        } else {
            format_value(cells[c], sizeof cells[c], v, f);
        }
        size_t clen = strlen(cells[c]);
        if (fits && used + vlen + clen + 2 <= sizeof memo) {
            memcpy(memo + used, value, vlen + 1);
            memcpy(memo + used + vlen + 1, cells[c], clen + 1);
            used += vlen + clen + 2;
        } else {
            fits = false;
        }
    }
    /* A memo that changed is kept; one too long for the buffer is
     * dropped (its line is formatted whole next time). */
    if (same)
        return;
    free(st->memo[i]);
    st->memo[i] = NULL;
    if (fits && used) {
        st->memo[i] = xmalloc(used);
        memcpy(st->memo[i], memo, used);
    }
}

/* Append text and the unit separator to a line being built, as
 * snprintf would (the result is len or more when it did not fit, and the
 * line is then not compared) without printf's cost: 600 instructions a
 * cell, for every cell of every row drawn (issue 14, callgrind). */
static size_t line_append(char *line, size_t len, size_t used, const char *text)
{
    if (used >= len)
        return used;
    size_t n = strlen(text);
    if (used + n + 1 >= len)
        return len;
    memcpy(line + used, text, n);
    line[used + n] = '\x1f';
    line[used + n + 1] = '\0';
    return used + n + 1;
}

/* A row line's attribute in hex, then the separator (as "%lx\x1f"). */
static size_t line_start(char *line, size_t len, unsigned long a)
{
    char hex[2 * sizeof a + 1];
    int n = 0;
    do {
        hex[n++] = "0123456789abcdef"[a & 15];
        a >>= 4;
    } while (a);
    size_t used = 0;
    while (n > 0 && used + 2 < len)
        line[used++] = hex[--n];
    line[used++] = '\x1f';
    line[used] = '\0';
    return used;
}

/* A table that shows a message instead of rows: its area is cleared and
 * nothing is remembered. */
static void table_message(struct ui *ui, struct table_state *st, WINDOW *w, int y, int x, int h, int width,
                          const char *text)
{
    lines_forget(st);
    wattrset(w, ATTR(THEME_NORMAL));
    if (st->kept)
        for (int i = 0; i < h; i++)
            mvwhline(w, y + i, x, ' ', width);
    wattrset(w, ATTR(THEME_DIM));
    draw_text(ui, w, y, x, width, text);
}

void table_draw(struct ui *ui, struct pane *p, WINDOW *w, int y, int x, int h, int width)
{
    const struct table_def *t = table_of(p);
    if (!t || h < 1 || width < 4)
        return;
    /* A down server's last rows stay, greyed once they are stale; the
     * pane's title says since when (draw_pane). */
    const struct snapshot *s = collectors_shown(ui->app, t->collector);
    bool stale = collectors_stale_as_of(ui->app, t->collector) > 0;
    bool focused = &ui->panes[ui->focus] == p;
    if (!s) {
        table_message(ui, &p->table, w, y, x, h, width, "waiting for data...");
        return;
    }
    if (s->error) {
        table_message(ui, &p->table, w, y, x, h, width, s->error);
        return;
    }
    table_order(ui, p, s);
    struct table_state *st = &p->table;

    /* Column widths: fixed ones first, hide those that do not fit, the
     * flexible one takes the rest. */
    int widths[32] = { 0 };
    int n = t->ncolumns < 32 ? t->ncolumns : 32;
    int used = 0, flex = -1;
    for (int c = 0; c < n; c++) {
        const struct column_def *cd = &t->columns[c];
        if (cd->min_cols && width < cd->min_cols)
            continue;
        if (cd->when_any) {
            int col = snapshot_column(s, cd->field);
            bool any = false;
            for (int r = 0; col >= 0 && r < s->nrows && !any; r++)
                any = snapshot_cell(s, r, col) != NULL;
            if (!any)
                continue;
        }
        if (cd->width == 0 && flex < 0) {
            flex = c;
            continue;
        }
        int want = cd->width ? cd->width : 10;
        if (used + want + 1 > width)
            continue;
        widths[c] = want;
        used += want + 1;
    }
    if (flex >= 0)
        widths[flex] = width - used > 0 ? width - used : 0;
    st->columns_shown = 0;
    for (int c = 0; c < n; c++)
        if (widths[c])
            st->columns_shown |= 1u << c;

    /* Each shown column's place in the snapshot, looked up once per draw
     * rather than by name for every cell. */
    int cols[32];
    for (int c = 0; c < n; c++)
        cols[c] = widths[c] ? snapshot_column(s, t->columns[c].field) : -1;

    int rows = h - 1;
    lines_begin(st, h, y, x, width, st->columns_shown);
    memo_begin(st, t, st->columns_shown);
    /* A line is its attribute and its cells' texts, as drawn: the widths
     * are the same for every line (lines_begin). */
    char line[4096];
    size_t used_line;

    /* Header, with the sort column marked. */
    used_line = (size_t)snprintf(line, sizeof line, "%d\x1f", ui->ascii);
    for (int c = 0; c < n; c++) {
        if (!widths[c])
            continue;
        const char *mark = "";
        if (c == st->sort_column)
            mark = st->sort_descending ? (ui->ascii ? "v" : "\xe2\x96\xbe") : (ui->ascii ? "^" : "\xe2\x96\xb4");
        if (used_line < sizeof line)
            used_line += (size_t)snprintf(line + used_line, sizeof line - used_line, "%s%s\x1f", t->columns[c].title, mark);
    }
    int cx = x;
    if (used_line >= sizeof line || line_draw(p, 0, line)) {
        wattrset(w, ATTR(THEME_HEADER));
        mvwhline(w, y, x, ' ', width);
        for (int c = 0; c < n; c++) {
            if (!widths[c])
                continue;
            char title[64];
            const char *mark = "";
            if (c == st->sort_column)
                mark = st->sort_descending ? (ui->ascii ? "v" : "\xe2\x96\xbe") : (ui->ascii ? "^" : "\xe2\x96\xb4");
            snprintf(title, sizeof title, "%s%s", t->columns[c].title, mark);
            draw_cell(ui, w, y, cx, widths[c], title, t->columns[c].right);
            cx += widths[c] + 1;
        }
    }

    st->page = rows > 0 ? rows : 1;
    if (st->selected < st->top)
        st->top = st->selected;
    if (st->selected >= st->top + rows)
        st->top = st->selected - rows + 1;
    if (st->top > st->norder - rows)
        st->top = st->norder - rows;
    if (st->top < 0)
        st->top = 0;

    for (int i = 0; i < rows; i++) {
        int vi = st->top + i;
        int ry = y + 1 + i;
        if (vi >= st->norder) {
            /* The first line of an empty table says "none" (below). */
            if (line_draw(p, 1 + i, st->norder == 0 && i == 0 ? (st->filter ? "\x1fno match" : "\x1fnone") : "\x1f")) {
                wattrset(w, ATTR(THEME_ROW));
                mvwhline(w, ry, x, ' ', width);
                if (st->norder == 0 && i == 0) {
                    wattrset(w, ATTR(THEME_DIM));
                    draw_text(ui, w, ry, x, width, st->filter ? "no rows match the filter" : "none");
                }
            }
            continue;
        }
        int row = st->order[vi];
        int style = t->row_style ? t->row_style(ui, s, row) : -1;
        enum theme_element e = style >= 0 ? (enum theme_element)style
                             : (vi % 2 ? THEME_ROW_ALT : THEME_ROW);
        attr_t a;
        if (stale)      /* greyed, the selection still found by its bar */
            a = ATTR(THEME_STALE) | (vi != st->selected ? 0 : focused ? A_REVERSE : A_UNDERLINE);
        else if (vi == st->selected)
            a = ATTR(focused ? THEME_SELECTED : THEME_SELECTED_UNFOCUSED);
        else
            a = ATTR(e);
        /* The cells' texts first: a line the same as on the screen is
         * not drawn again. */
        char cells[32][512];
        used_line = line_start(line, sizeof line, (unsigned long)a);
        cells_format(st, 1 + i, t, s, row, cols, widths, n, cells);
        for (int c = 0; c < n; c++)
            if (widths[c])
                used_line = line_append(line, sizeof line, used_line, cells[c]);
        if (used_line < sizeof line && cells_changed_draw(ui, p, w, 1 + i, line, ry, x, widths, n, t, cells))
            continue;
        if (used_line < sizeof line && !line_draw(p, 1 + i, line))
            continue;
        if (used_line >= sizeof line) {
            free(st->lines[1 + i]);
            st->lines[1 + i] = NULL;
            p->lines_drawn++;
        }
        wattrset(w, a);
        mvwhline(w, ry, x, ' ', width);
        cx = x;
        for (int c = 0; c < n; c++) {
            if (!widths[c])
                continue;
            draw_cell(ui, w, ry, cx, widths[c], cells[c], t->columns[c].right);
            cx += widths[c] + 1;
        }
    }
    remember_key(p);
}

/* The next sort column in direction dir, among those drawn last time
 * (a column hidden for width or for having no values is skipped). */
static void sort_step(struct table_state *st, const struct table_def *t, int dir)
{
    int n = t->ncolumns, c = st->sort_column;
    for (int i = 0; i < n; i++) {
        c = dir > 0 ? (c + 1 >= n ? 0 : c + 1) : (c <= 0 ? n - 1 : c - 1);
        if (!st->columns_shown || c >= 32 || (st->columns_shown & (1u << c)))
            break;
    }
    st->sort_column = c;
    st->sort_descending = t->columns[c].right;
}

int table_key(struct ui *ui, struct pane *p, int ch)
{
    (void)ui;
    struct table_state *st = &p->table;
    const struct table_def *t = table_of(p);
    int page = st->page > 1 ? st->page - 1 : 1;
    switch (ch) {
    case KEY_UP: case 'k':
        st->selected--;
        break;
    case KEY_DOWN: case 'j':
        st->selected++;
        break;
    case KEY_PPAGE:
        st->selected -= page;
        break;
    case KEY_NPAGE:
        st->selected += page;
        break;
    case KEY_HOME: case 'g':
        st->selected = 0;
        break;
    case KEY_END: case 'G':
        st->selected = st->norder - 1;
        break;
    case '<':
    case '>':
        if (t && t->ncolumns)
            sort_step(st, t, ch == '>' ? 1 : -1);
        break;
    case 's':
        st->sort_descending = !st->sort_descending;
        if (st->sort_column < 0)
            st->sort_column = 0;
        break;
    default:
        return KEY_IGNORED;
    }
    if (st->selected >= st->norder)
        st->selected = st->norder - 1;
    if (st->selected < 0)
        st->selected = 0;
    remember_key(p);
    return KEY_HANDLED | KEY_REDRAW;
}

void table_format_field(const struct pane_class *cls, const struct column_def *extra, int nextra,
                        const char *field, const char *value, char *buf, size_t len)
{
    enum cell_format fmt = FORMAT_AS_TEXT;
    bool found = false;
    for (int t = 0; t < cls->ntables && !found; t++)
        for (int c = 0; c < cls->tables[t].ncolumns && !found; c++)
            if (strcmp(cls->tables[t].columns[c].field, field) == 0) {
                fmt = cls->tables[t].columns[c].format;
                found = true;
            }
    for (int c = 0; c < nextra && !found; c++)
        if (strcmp(extra[c].field, field) == 0) {
            fmt = extra[c].format;
            found = true;
        }
    format_value(buf, len, value, fmt);
}

int table_rows_wanted(struct ui *ui, struct pane *p)
{
    const struct table_def *t = table_of(p);
    struct table_state *st = &p->table;
    if (!t)
        return 0;
    const struct snapshot *s = collectors_shown(ui->app, t->collector);
    if (!s || s->error)
        return 1;
    bool same_filter = (!st->filter && !st->counted_filter) ||
                       (st->filter && st->counted_filter && strcmp(st->filter, st->counted_filter) == 0);
    if (s->serial == st->counted && same_filter && st->counted_mode == p->mode)
        return st->counted_rows > 0 ? st->counted_rows : 1;
    int rows = 0;
    for (int r = 0; r < s->nrows; r++)
        if ((!t->row_hidden || !t->row_hidden(ui, s, r)) && row_matches(s, r, st->filter))
            rows++;
    st->counted = s->serial;
    free(st->counted_filter);
    st->counted_filter = st->filter ? xstrdup(st->filter) : NULL;
    st->counted_mode = p->mode;
    st->counted_rows = rows;
    return rows > 0 ? rows : 1;
}

void table_state_free(struct table_state *t)
{
    free(t->counted_filter);
    free(t->filter);
    free(t->order);
    free(t->selected_key);
    snapshot_unref(t->shown);
    lines_forget(t);
    for (int i = 0; i < t->nlines; i++)
        free(t->memo[i]);
    free(t->memo);
    free(t->lines);
    memset(t, 0, sizeof *t);
}

const struct snapshot *table_focused_selection(struct ui *ui, int *row)
{
    struct pane *p = ui_focused(ui);
    const struct snapshot *s = NULL;
    *row = -1;
    if (!p->cls->ntables)
        return NULL;
    *row = table_selected_row(ui, p, &s);
    return s;
}
