#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/numparse.h"
#include "base/quantity.h"
#include "base/sanitize.h"
#include "draw.h"
#include "ui.h"
#include "base/clock.h"
#include "base/xalloc.h"

/* n bytes of sanitized text at y, x in the window's attributes, the
 * cursor left after them as waddnstr leaves it.  The printable ASCII run
 * at its start (most of what pgdeck draws) goes in as cells with their
 * attributes (waddchnstr): the wide-character waddnstr decodes each byte
 * through the locale's multibyte state and renders it alone, about 300
 * instructions a character against 10, and was a tenth of the console's
 * instructions under pgbench (issue 14, callgrind).  The rest, from the
 * first other byte (a UTF-8 name, the cut mark), goes through waddnstr. */
static void put_text(WINDOW *w, int y, int x, const char *s, size_t n)
{
    chtype cells[256];
    attr_t attrs;
    short pair;
    size_t i = 0;
    if (wattr_get(w, &attrs, &pair, NULL) == OK && pair >= 0 && pair < 256) {
        chtype a = (attrs & ~A_COLOR) | (chtype)COLOR_PAIR(pair);
        while (i < n && i < sizeof cells / sizeof cells[0] &&
               (unsigned char)s[i] >= 0x20 && (unsigned char)s[i] < 0x7f) {
            cells[i] = (chtype)(unsigned char)s[i] | a;
            i++;
        }
        if (i > 0)
            mvwaddchnstr(w, y, x, cells, (int)i);
    }
    if (i < n)
        mvwaddnstr(w, y, x + (int)i, s + i, (int)(n - i));
    else if (x + (int)i <= getmaxx(w) - 1)
        wmove(w, y, x + (int)i);
}

/* The length of text when sanitize (without SANITIZE_FOLD) would leave
 * it as it is: printable ASCII, each byte one column; -1 otherwise. */
static long plain_text_length(const char *text)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t i = 0;
    for (; s[i]; i++)
        if (s[i] < 0x20 || s[i] >= 0x7f)
            return -1;
    return (long)i;
}

int draw_text(struct ui *ui, WINDOW *w, int y, int x, int width, const char *text)
{
    if (width <= 0 || !text)
        return 0;
    /* Plain ASCII (labels, figures, the header lines of the panes) is
     * drawn as sanitize and sanitize_fit would leave it, without their
     * allocation and per-character decoding (issue 14: the pool and cache
     * panes' lines, every frame). */
    long len = plain_text_length(text);
    if (len >= 0) {
        int n = len < width ? (int)len : width;
        put_text(w, y, x, text, (size_t)n);
        return n;
    }
    char *safe = sanitize(text, ui->ascii ? SANITIZE_ASCII : 0);
    size_t n = sanitize_fit(safe, width);
    put_text(w, y, x, safe, n);
    char saved = safe[n];
    safe[n] = '\0';
    int used = sanitize_width(safe);
    safe[n] = saved;
    free(safe);
    return used;
}

/* The mark that ends a text cut to fit. */
static const char *cut_mark(const struct ui *ui)
{
    return ui->ascii ? "~" : "\u2026";
}

/* Cut sanitized `safe` (in place, it may grow by the mark: the caller's
 * buffer is reallocated) to `width` columns, ending in the mark when
 * something was cut. */
static char *cut_to(const struct ui *ui, char *safe, int width)
{
    if (sanitize_width(safe) <= width)
        return safe;
    const char *mark = cut_mark(ui);
    size_t keep = sanitize_fit(safe, width - sanitize_width(mark));
    char *out = xasprintf("%.*s%s", (int)keep, safe, width >= sanitize_width(mark) ? mark : "");
    free(safe);
    return out;
}

char *draw_fit(const struct ui *ui, const char *text, int width)
{
    char *safe = cut_to(ui, sanitize(text ? text : "", ui->ascii ? SANITIZE_ASCII : 0), width);
    int pad = width - sanitize_width(safe);
    char *out = xasprintf("%s%*s", safe, pad > 0 ? pad : 0, "");
    free(safe);
    return out;
}

int draw_text_marked(struct ui *ui, WINDOW *w, int y, int x, int width, const char *text)
{
    if (width <= 0 || !text)
        return 0;
    /* Plain ASCII: as cut_to would cut it (width - 1 characters and the
     * mark), without sanitize's copy and the cut's (see draw_text). */
    long len = plain_text_length(text);
    if (len >= 0 && len < 1024) {
        if (len <= width) {
            put_text(w, y, x, text, (size_t)len);
            return (int)len;
        }
        char buf[1040];
        const char *mark = cut_mark(ui);
        size_t keep = (size_t)width - 1, ml = strlen(mark);
        memcpy(buf, text, keep);
        memcpy(buf + keep, mark, ml);
        buf[keep + ml] = '\0';
        put_text(w, y, x, buf, keep + ml);
        return width;
    }
    char *safe = cut_to(ui, sanitize(text, ui->ascii ? SANITIZE_ASCII : 0), width);
    int used = sanitize_width(safe);
    put_text(w, y, x, safe, strlen(safe));
    free(safe);
    return used;
}

/* The length of text when sanitizing it for a cell (SANITIZE_FOLD) would
 * leave it as it is: printable ASCII without two spaces in a row (each
 * byte then one column); -1 otherwise. */
static long plain_cell_length(const char *text)
{
    const unsigned char *s = (const unsigned char *)text;
    size_t i = 0;
    for (; s[i]; i++)
        if (s[i] < 0x20 || s[i] >= 0x7f || (s[i] == ' ' && s[i + 1] == ' '))
            return -1;
    return (long)i;
}

void draw_cell(struct ui *ui, WINDOW *w, int y, int x, int width, const char *text, bool right)
{
    if (width <= 0)
        return;
    /* Most cells are plain ASCII: drawn as sanitize, cut_to and the
     * widths below would draw them, without their allocations and
     * per-character decoding (4,000 instructions a cell; a table's cells
     * were 7% of the console's instructions under pgbench, issue 14). */
    long len = plain_cell_length(text ? text : "");
    if (len >= 0 && len < 1024) {
        char buf[1040];
        size_t n = (size_t)len;
        memcpy(buf, text ? text : "", n);
        int used = (int)len;
        if (used > width) {
            /* cut: width - 1 characters and the mark (one column) */
            const char *mark = cut_mark(ui);
            n = (size_t)width - 1;
            memcpy(buf + n, mark, strlen(mark));
            n += strlen(mark);
            used = width;
        }
        buf[n] = '\0';
        int pad = width - used;
        if (right) {
            if (pad > 0)
                mvwhline(w, y, x, ' ', pad);
            put_text(w, y, x + (pad > 0 ? pad : 0), buf, n);
        } else {
            put_text(w, y, x, buf, n);
            if (pad > 0)
                mvwhline(w, y, x + used, ' ', pad);
        }
        return;
    }
    /* A cell too narrow for its text says so: the name ends in the mark,
     * and Enter shows it whole. */
    char *safe = cut_to(ui, sanitize(text ? text : "", SANITIZE_FOLD | (ui->ascii ? SANITIZE_ASCII : 0)), width);
    int used = sanitize_width(safe);
    int pad = width - used;
    /* The padding as a line of blanks: printw formats, and hands curses
     * one character at a time (a third of a table's cost per frame). */
    if (right) {
        if (pad > 0)
            mvwhline(w, y, x, ' ', pad);
        put_text(w, y, x + (pad > 0 ? pad : 0), safe, strlen(safe));
    } else {
        put_text(w, y, x, safe, strlen(safe));
        if (pad > 0)
            mvwhline(w, y, x + used, ' ', pad);
    }
    free(safe);
}

void draw_wrap_lines(char ***lines, int *n, int *cap, const char *text, int indent, int flags)
{
    const char *p = text ? text : "";
    do {
        size_t len = strcspn(p, "\n");
        char *raw = xstrndup(p, len);
        char *safe = sanitize(raw, flags);
        free(raw);
        if (*n == *cap) {
            *cap = *cap * 2 + 16;
            *lines = xrealloc(*lines, (size_t)*cap * sizeof **lines);
        }
        (*lines)[(*n)++] = xasprintf("%*s%s", indent, "", safe);
        free(safe);
        p += len;
        if (*p == '\n')
            p++;
    } while (*p);
}

/* The panes' names for the one way to write a quantity (base/quantity.h). */
void format_bytes(char *buf, size_t len, double bytes)
{
    quantity_bytes(buf, len, bytes);
}

void format_seconds(char *buf, size_t len, double s)
{
    quantity_duration(buf, len, s);
}

/* snprintf(buf, len, "%s", text) without printf (600 instructions a
 * cell, and a table formats every cell of every row it draws). */
static void copy_text(char *buf, size_t len, const char *text)
{
    if (!len)
        return;
    size_t n = strlen(text);
    if (n >= len)
        n = len - 1;
    memcpy(buf, text, n);
    buf[n] = '\0';
}

void format_value(char *buf, size_t len, const char *value, enum cell_format fmt)
{
    if (!value) {
        copy_text(buf, len, "");
        return;
    }
    if (fmt == FORMAT_AS_BOOL) {
        copy_text(buf, len, strcmp(value, "t") == 0 ? "yes" : strcmp(value, "f") == 0 ? "no" : value);
        return;
    }
    /* Text, or a value that is not a number where one was expected: as
     * it is. */
    char *end;
    double v = fmt == FORMAT_AS_TEXT ? 0 : numparse_prefix(value, &end);
    if (fmt == FORMAT_AS_TEXT || end == value) {
        copy_text(buf, len, value);
        return;
    }
    switch (fmt) {
    case FORMAT_AS_NUMBER:         quantity_count(buf, len, v); break;
    case FORMAT_AS_BYTES:          format_bytes(buf, len, v); break;
    case FORMAT_AS_SECONDS:        format_seconds(buf, len, v); break;
    case FORMAT_AS_MS:             quantity_duration_ms(buf, len, v); break;
    case FORMAT_AS_PERCENT:        quantity_percent(buf, len, v); break;
    case FORMAT_AS_AGE:            quantity_age(buf, len, v); break;
    case FORMAT_AS_PERCENT_WHOLE:  quantity_percent_whole(buf, len, v); break;
    case FORMAT_AS_TEXT:
    case FORMAT_AS_BOOL:           break;   /* handled above */
    }
}

void draw_gauge(struct ui *ui, WINDOW *w, int y, int x, int width, double fraction,
                double warn, double crit, const char *label)
{
    if (width < 8)
        return;
    if (isnan(fraction))
        fraction = 0;
    if (fraction < 0)
        fraction = 0;
    char text[80], percent[QUANTITY_LEN];
    snprintf(text, sizeof text, "%s%s", label ? label : "", quantity_percent(percent, sizeof percent, fraction * 100));
    int bar = width - 2;
    int fill = (int)lround((fraction > 1 ? 1 : fraction) * bar);
    enum theme_element e = fraction >= crit ? THEME_GAUGE_CRIT
                         : fraction >= warn ? THEME_GAUGE_WARN : THEME_GAUGE_OK;
    wattrset(w, ATTR(THEME_BORDER));
    mvwaddch(w, y, x, '[');
    int tlen = (int)strlen(text);
    int tstart = bar - tlen;
    for (int i = 0; i < bar; i++) {
        bool filled = i < fill;
        wattrset(w, ATTR(filled ? e : THEME_GAUGE_EMPTY));
        char ch;
        if (i >= tstart)
            ch = text[i - tstart];
        else
            ch = filled ? '|' : ' ';
        mvwaddch(w, y, x + 1 + i, (chtype)(unsigned char)ch);
    }
    wattrset(w, ATTR(THEME_BORDER));
    mvwaddch(w, y, x + width - 1, ']');
    (void)ui;
}

void draw_sparkline(struct ui *ui, WINDOW *w, int y, int x, int width,
                    const struct series *s, double max)
{
    static const char *blocks[] = { " ", "\xe2\x96\x81", "\xe2\x96\x82", "\xe2\x96\x83",
                                    "\xe2\x96\x84", "\xe2\x96\x85", "\xe2\x96\x86",
                                    "\xe2\x96\x87", "\xe2\x96\x88" };
    static const char ascii[] = " .:-=+*#@";
    wattrset(w, ATTR(THEME_SPARKLINE));
    int n = s ? s->count : 0;
    if (max <= 0) {
        for (int i = 0; i < n && i < width; i++) {
            double v = series_at(s, i);
            if (!isnan(v) && v > max)
                max = v;
        }
    }
    for (int i = 0; i < width; i++) {
        /* The newest value is at the right edge. */
        int age = width - 1 - i;
        double v = age < n ? series_at(s, age) : NAN;
        int level = 0;
        if (!isnan(v) && max > 0) {
            level = (int)lround(v / max * 8);
            if (level < 0)
                level = 0;
            if (level > 8)
                level = 8;
            if (level == 0 && v > 0)
                level = 1;
        }
        if (ui->ascii)
            mvwaddch(w, y, x + i, (chtype)(unsigned char)ascii[level]);
        else
            mvwaddstr(w, y, x + i, blocks[level]);
    }
}

void draw_restyle(WINDOW *w, int y, int x, int width, enum theme_element e)
{
    if (width <= 0)
        return;
    attr_t a = ATTR(e);
    mvwchgat(w, y, x, width, a & ~A_COLOR, (short)PAIR_NUMBER(a), NULL);
}

const char *draw_as_of(char *buf, size_t len, double as_of)
{
    char when[16];
    if (as_of > 0)
        snprintf(buf, len, " as of %s", clock_time_local(as_of, when, sizeof when));
    else if (len)
        buf[0] = '\0';
    return buf;
}

void draw_box_top(struct ui *ui, WINDOW *w, int y, int x, int lines, int width, const char *title, bool focused)
{
    if (width < 4)
        return;
    wattrset(w, ATTR(focused ? THEME_BORDER_FOCUSED : THEME_BORDER));
    if (ui->ascii) {
        mvwaddch(w, y, x, '+');
        mvwhline(w, y, x + 1, '-', width - 2);
        mvwaddch(w, y, x + width - 1, '+');
        if (lines > 0) {
            mvwvline(w, y + 1, x, '|', lines);
            mvwvline(w, y + 1, x + width - 1, '|', lines);
        }
    } else {
        mvwaddch(w, y, x, ACS_ULCORNER);
        mvwhline(w, y, x + 1, ACS_HLINE, width - 2);
        mvwaddch(w, y, x + width - 1, ACS_URCORNER);
        if (lines > 0) {
            mvwvline(w, y + 1, x, ACS_VLINE, lines);
            mvwvline(w, y + 1, x + width - 1, ACS_VLINE, lines);
        }
    }
    if (title) {
        wattrset(w, ATTR(focused ? THEME_PANE_TITLE_FOCUSED : THEME_PANE_TITLE));
        mvwaddch(w, y, x + 1, ' ');
        draw_text_marked(ui, w, y, x + 2, width - 5, title);
        waddch(w, ' ');
    }
}

void draw_box(struct ui *ui, WINDOW *w, int y, int x, int h, int width, const char *title, bool focused)
{
    if (h < 2 || width < 4)
        return;
    draw_box_top(ui, w, y, x, h - 2, width, title, focused);
    wattrset(w, ATTR(focused ? THEME_BORDER_FOCUSED : THEME_BORDER));
    if (ui->ascii) {
        mvwaddch(w, y + h - 1, x, '+');
        mvwhline(w, y + h - 1, x + 1, '-', width - 2);
        mvwaddch(w, y + h - 1, x + width - 1, '+');
    } else {
        mvwaddch(w, y + h - 1, x, ACS_LLCORNER);
        mvwhline(w, y + h - 1, x + 1, ACS_HLINE, width - 2);
        mvwaddch(w, y + h - 1, x + width - 1, ACS_LRCORNER);
    }
}
