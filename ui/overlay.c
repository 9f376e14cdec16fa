/* Overlays (see overlay.h): help, details, confirmations and texts above
 * the panes, one at a time, with the texts that wait for a question to be
 * answered; and the prompt on the bottom line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "draw.h"
#include "overlay.h"
#include "table.h"
#include "wrap.h"
#include "ui.h"
#include "base/xalloc.h"

static void free_wrapped(struct ui *ui)
{
    wrap_free(ui->overlay_wrapped, ui->overlay_wrapped_n);
    ui->overlay_wrapped = NULL;
    ui->overlay_wrapped_n = 0;
    ui->overlay_wrapped_width = 0;
}

/* Details that waited no longer do: the collector goes back to its plain
 * statement. */
static void details_release(struct ui *ui)
{
    if (ui->details_wait)
        collector_more(ui->app, ui->details_wait, false);
    ui->details_wait = NULL;
    free(ui->details_key);
    ui->details_key = NULL;
}

static void free_overlay(struct ui *ui)
{
    details_release(ui);
    free_wrapped(ui);
    for (int i = 0; i < ui->overlay_nlines; i++)
        free(ui->overlay_lines[i]);
    free(ui->overlay_lines);
    free(ui->overlay_title);
    ui->overlay_lines = NULL;
    ui->overlay_title = NULL;
    ui->overlay_nlines = 0;
    ui->overlay_top = 0;
}

/* Put a text overlay up now, in place of whatever text was up. */
static void set_overlay(struct ui *ui, enum overlay kind, char *title, char **lines, int n, int top)
{
    free_overlay(ui);
    ui->overlay = kind;
    ui->overlay_title = title;
    ui->overlay_lines = lines;
    ui->overlay_nlines = n;
    ui->overlay_top = top;
    ui_dirty(ui);
}

/* A text waits for the open question; `first` puts it before the others
 * (the text the question put aside comes back first). */
static void queue_overlay(struct ui *ui, bool first, enum overlay kind, char *title, char **lines, int n,
                          int top)
{
    struct queued_text *q = xcalloc(1, sizeof *q);
    q->kind = kind;
    q->title = title;
    q->lines = lines;
    q->n = n;
    q->top = top;
    struct queued_text **at = &ui->queued;
    while (!first && *at)
        at = &(*at)->next;
    q->next = *at;
    *at = q;
}

/* The oldest text that waited, once nothing is up. */
static void show_queued(struct ui *ui)
{
    struct queued_text *q = ui->queued;
    if (!q || ui->overlay != OVERLAY_NONE)
        return;
    ui->queued = q->next;
    set_overlay(ui, q->kind, q->title, q->lines, q->n, q->top);
    free(q);
}

static void free_queued(struct ui *ui)
{
    while (ui->queued) {
        struct queued_text *q = ui->queued;
        ui->queued = q->next;
        for (int i = 0; i < q->n; i++)
            free(q->lines[i]);
        free(q->lines);
        free(q->title);
        free(q);
    }
}

void overlay_close(struct ui *ui)
{
    free_overlay(ui);
    ui->overlay = OVERLAY_NONE;
    ui->confirm = NULL;
    ui->confirm_arg = NULL;
    ui_dirty(ui);
    show_queued(ui);
}

void overlay_show(struct ui *ui, enum overlay kind, const char *title, char **lines, int n, int top)
{
    if (ui->overlay == OVERLAY_CONFIRM)
        queue_overlay(ui, false, kind, xstrdup(title), lines, n, top);
    else
        set_overlay(ui, kind, xstrdup(title), lines, n, top);
}

void overlay_text(struct ui *ui, const char *title, char **lines, int n)
{
    overlay_show(ui, OVERLAY_TEXT, title, lines, n, 0);
}

void overlay_confirm(struct ui *ui, const char *title, char **lines, int n, confirm_cb cb, void *arg)
{
    /* A text that is up (a plan, the journal) comes back after the answer. */
    if (ui->overlay != OVERLAY_NONE && ui->overlay != OVERLAY_CONFIRM && ui->overlay_lines) {
        free_wrapped(ui);
        queue_overlay(ui, true, ui->overlay, ui->overlay_title, ui->overlay_lines, ui->overlay_nlines,
                      ui->overlay_top);
        ui->overlay_title = NULL;
        ui->overlay_lines = NULL;
        ui->overlay_nlines = 0;
    }
    free_wrapped(ui);
    set_overlay(ui, OVERLAY_CONFIRM, xstrdup(title), lines, n, 0);
    ui->confirm = cb;
    ui->confirm_arg = arg;
}

/* The console closes with a question open: the answer is no, so the
 * action it belongs to ends (and is journaled as declined). */
static void decline_open_question(struct ui *ui)
{
    if (ui->overlay != OVERLAY_CONFIRM)
        return;
    confirm_cb cb = ui->confirm;
    void *arg = ui->confirm_arg;
    ui->confirm = NULL;
    free_overlay(ui);
    ui->overlay = OVERLAY_NONE;
    if (cb)
        cb(ui, arg, false);
}

static char **details_lines(struct ui *ui, struct pane *p, const struct snapshot *s, int row, int *n)
{
    if (p->cls->details)
        return p->cls->details(ui, p, s, row, n);
    char **lines = xcalloc((size_t)(s->ncols ? s->ncols : 1), sizeof *lines);
    for (int c = 0; c < s->ncols; c++) {
        const char *v = snapshot_cell(s, row, c);
        char buf[512];
        table_format_field(p->cls, NULL, 0, s->columns[c], v, buf, sizeof buf);
        lines[c] = xasprintf("%-22s %s", s->columns[c], v ? buf : "(null)");
    }
    *n = s->ncols;
    return lines;
}

/* `held`: the collector whose detailed statement the details that were up
 * had asked for (overlay_follow), or NULL.  Details that ask for it again
 * keep the ask they had: the collector's next run at its cadence brings it
 * (no run now, so a run that brings no answer cannot loop). */
static void show_details(struct ui *ui, int top, const char *held)
{
    struct pane *p = ui_focused(ui);
    int row;
    const struct snapshot *s = table_focused_selection(ui, &row);
    if (!s || row < 0) {
        if (held)
            collector_more(ui->app, held, false);
        app_message(ui->app, false, "nothing selected");
        return;
    }
    int n = 0;
    ui->details_asked = NULL;
    char **lines = details_lines(ui, p, s, row, &n);
    const char *asked = ui->details_asked;
    ui->details_asked = NULL;
    char title[64];
    snprintf(title, sizeof title, "%s: details", p->subject->title);
    overlay_show(ui, OVERLAY_DETAILS, title, lines, n, top);
    if (ui->overlay != OVERLAY_DETAILS)
        asked = NULL;   /* queued behind a question: shown as it is */
    if (held && (!asked || strcmp(held, asked) != 0))
        collector_more(ui->app, held, false);
    /* Asked for only once the details are up (set_overlay released what
     * other details waited for). */
    if (asked) {
        const struct collector *c = collector_find(ui->app, asked);
        ui->details_wait = asked;
        ui->details_changes = c ? c->changes : 0;
        ui->details_key = p->table.selected_key ? xstrdup(p->table.selected_key) : NULL;
        if (!held || strcmp(held, asked) != 0)
            collector_more(ui->app, asked, true);
    }
}

void overlay_details_wait(struct ui *ui, const char *collector)
{
    ui->details_asked = collector;
}

void overlay_follow(struct ui *ui)
{
    if (ui->overlay != OVERLAY_DETAILS || !ui->details_wait)
        return;
    const struct collector *c = collector_find(ui->app, ui->details_wait);
    if (!c || c->changes == ui->details_changes)
        return;
    /* The selection is kept by key across snapshots: if it is not the row
     * the details show any more (that session ended), they stay as they
     * are. */
    const struct pane *p = ui_focused(ui);
    int row;
    const struct snapshot *s = table_focused_selection(ui, &row);
    if (!s || row < 0 || !ui->details_key || !p->table.selected_key ||
        strcmp(ui->details_key, p->table.selected_key) != 0) {
        details_release(ui);
        return;
    }
    /* Made again; the ask passes to the new details (not released by
     * set_overlay). */
    const char *held = ui->details_wait;
    ui->details_wait = NULL;
    show_details(ui, ui->overlay_top, held);
}

/* The overlay's width: the screen less a margin, at most 100 columns
 * (longer lines read badly). */
static int overlay_width(const struct ui *ui)
{
    return ui->cols - 4 < 100 ? ui->cols - 4 : 100;
}

void overlay_draw(struct ui *ui)
{
    if (ui->overlay == OVERLAY_NONE)
        return;
    int w = overlay_width(ui);
    int text_w = w - 4;
    if (w < 20)
        return;
    /* Wrapped once per width, not per frame. */
    if (!ui->overlay_wrapped || ui->overlay_wrapped_width != text_w) {
        free_wrapped(ui);
        ui->overlay_wrapped = wrap_lines(ui->overlay_lines, ui->overlay_nlines, text_w, ui->ascii,
                                         &ui->overlay_wrapped_n);
        ui->overlay_wrapped_width = text_w;
    }
    int n = ui->overlay_wrapped_n;
    int h = ui->rows - 4;
    if (ui->overlay == OVERLAY_CONFIRM && n + 4 < h)
        h = n + 4;
    if (h < 4)
        return;
    int y0 = (ui->rows - h) / 2, x0 = (ui->cols - w) / 2;
    attrset(ATTR(THEME_DIALOG));
    for (int y = y0; y < y0 + h; y++)
        mvhline(y, x0, ' ', w);
    draw_box(ui, stdscr, y0, x0, h, w, ui->overlay_title, true);
    int body = h - 3;
    ui->overlay_page = body;
    if (ui->overlay_top > n - body)
        ui->overlay_top = n - body;
    if (ui->overlay_top < 0)
        ui->overlay_top = 0;
    attrset(ATTR(THEME_DIALOG));
    for (int i = 0; i < body && ui->overlay_top + i < n; i++)
        draw_text(ui, stdscr, y0 + 1 + i, x0 + 2, text_w, ui->overlay_wrapped[ui->overlay_top + i]);
    /* The keys, and where in a text longer than the overlay it is. */
    char where[48] = "";
    if (n > body)
        snprintf(where, sizeof where, "   %d-%d of %d", ui->overlay_top + 1,
                 ui->overlay_top + body < n ? ui->overlay_top + body : n, n);
    char foot[128];
    if (ui->overlay == OVERLAY_CONFIRM)
        snprintf(foot, sizeof foot, " y: yes   n/Esc: no%s%s ", n > body ? "   Up/Down: scroll" : "", where);
    else
        snprintf(foot, sizeof foot, " Esc/q: close%s%s ", n > body ? "   Up/Down/PgUp/PgDn: scroll" : "", where);
    attrset(ATTR(THEME_HELP_KEY));
    draw_text(ui, stdscr, y0 + h - 2, x0 + 2, text_w, foot);
}

/* Scrolling keys, for every overlay: true when `ch` was one. */
static bool scroll_key(struct ui *ui, int ch)
{
    int page = ui->overlay_page > 1 ? ui->overlay_page - 1 : 1;
    switch (ch) {
    case KEY_UP: case 'k': ui->overlay_top--; break;
    case KEY_DOWN: case 'j': ui->overlay_top++; break;
    case KEY_PPAGE: ui->overlay_top -= page; break;
    case KEY_NPAGE: ui->overlay_top += page; break;
    case KEY_HOME: ui->overlay_top = 0; break;
    case KEY_END: ui->overlay_top = ui->overlay_wrapped_n > ui->overlay_nlines
                                    ? ui->overlay_wrapped_n : ui->overlay_nlines; break;
    default: return false;
    }
    ui_dirty(ui);
    return true;
}

void overlay_key(struct ui *ui, int ch)
{
    if (ui->overlay == OVERLAY_CONFIRM) {
        if (ch == 'y' || ch == 'Y') {
            confirm_cb cb = ui->confirm;
            void *arg = ui->confirm_arg;
            ui->confirm = NULL;
            overlay_close(ui);
            if (cb)
                cb(ui, arg, true);
        } else if (ch == 'n' || ch == 'N' || ch == 27 || ch == 'q') {
            confirm_cb cb = ui->confirm;
            void *arg = ui->confirm_arg;
            ui->confirm = NULL;
            overlay_close(ui);
            if (cb)
                cb(ui, arg, false);
        } else {
            scroll_key(ui, ch);
        }
        return;
    }
    switch (ch) {
    case 27: case 'q': case '?': case KEY_F(1): case '\n': case KEY_ENTER:
        overlay_close(ui);
        return;
    case ' ':
        scroll_key(ui, KEY_NPAGE);
        return;
    default:
        scroll_key(ui, ch);
    }
}

bool overlay_prompt_key(struct ui *ui, int ch)
{
    bool command = false;
    if (ch == 27) {
        /* Esc clears the filter: empty the prompt too, or the filter
         * would be set again from it below. */
        ui->prompt_len = 0;
        ui->prompt_buf[0] = '\0';
        ui->prompting = false;
    } else if (ch == '\n' || ch == '\r' || ch == KEY_ENTER) {
        ui->prompting = false;
        command = ui->prompt_kind == ':';
    } else if (ch == KEY_BACKSPACE || ch == 127 || ch == 8) {
        if (ui->prompt_len > 0) {
            /* Remove a whole UTF-8 character. */
            do {
                ui->prompt_len--;
            } while (ui->prompt_len > 0 && (ui->prompt_buf[ui->prompt_len] & 0xC0) == 0x80);
            ui->prompt_buf[ui->prompt_len] = '\0';
        } else {
            ui->prompting = false;
        }
    } else if (ch >= 32 && ch < 256 && ui->prompt_len < (int)sizeof ui->prompt_buf - 1) {
        ui->prompt_buf[ui->prompt_len++] = (char)ch;
        ui->prompt_buf[ui->prompt_len] = '\0';
    }
    if (ui->prompt_kind == '/') {
        /* The filter applies as it is typed. */
        struct pane *p = ui_focused(ui);
        free(p->table.filter);
        p->table.filter = ui->prompt_len ? xstrdup(ui->prompt_buf) : NULL;
        p->table.selected = 0;
    }
    ui_dirty(ui);
    return command;
}

void overlay_prompt_start(struct ui *ui, char kind)
{
    ui->prompting = true;
    ui->prompt_kind = kind;
    ui->prompt_len = 0;
    ui->prompt_buf[0] = '\0';
    struct pane *p = ui_focused(ui);
    if (kind == '/' && p->table.filter) {
        snprintf(ui->prompt_buf, sizeof ui->prompt_buf, "%s", p->table.filter);
        ui->prompt_len = (int)strlen(ui->prompt_buf);
    }
    app_message(ui->app, false, NULL);
    ui_dirty(ui);
}

void overlay_details(struct ui *ui)
{
    show_details(ui, 0, NULL);
}

void overlay_decline(struct ui *ui)
{
    decline_open_question(ui);
}

void overlay_free(struct ui *ui)
{
    free_overlay(ui);
    free_queued(ui);
}
