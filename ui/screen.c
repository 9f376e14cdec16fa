#include <errno.h>
#include <fcntl.h>
#include <langinfo.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "core/alerts.h"
#include "crash.h"
#include "keymap.h"
#include "base/sanitize.h"
#include "base/textout.h"
#include "ui.h"
#include "base/xalloc.h"

/* The screen: curses inside the libuv loop.  Keys arrive through a
 * uv_poll on stdin, the size through SIGWINCH, and the screen is drawn in
 * a prepare callback (once per loop turn, before the loop waits) only when
 * something changed.  While curses owns the terminal, stderr goes to a
 * temporary file that is printed after endwin, so a stray message cannot
 * corrupt the screen; after a fatal signal the handler (crash.c) prints it
 * the same way, once the terminal is back, before it says which signal
 * ended pgdeck. */

static int saved_stderr = -1;
static FILE *captured_stderr;
static bool curses_active;

static const struct pane_class *const pane_classes[] = {
    &pane_queries, &pane_pool, &pane_cache, &pane_partitions, &pane_views, &pane_indexes,
};

/* Terminal restoration: on every exit path, including a crash. */
static void restore_terminal(void)
{
    crash_guard_stop();
    if (curses_active) {
        curses_active = false;
        endwin();
    }
    if (saved_stderr >= 0) {
        fflush(stderr);
        dup2(saved_stderr, STDERR_FILENO);
        close(saved_stderr);
        saved_stderr = -1;
        if (captured_stderr) {
            /* What was written while curses owned the screen. */
            rewind(captured_stderr);
            char buf[4096];
            size_t n;
            /* ncurses and libraries write here too (ncurses echoes
             * $TERM): through the sanitizing writer, like every message. */
            while ((n = fread(buf, 1, sizeof buf - 1, captured_stderr)) > 0) {
                buf[n] = '\0';
                textout_printf(stderr, "%s", buf);
            }
            fclose(captured_stderr);
            captured_stderr = NULL;
        }
    }
}

static void capture_stderr(void)
{
    captured_stderr = tmpfile();
    if (!captured_stderr)
        return;
    fflush(stderr);
    saved_stderr = dup(STDERR_FILENO);
    dup2(fileno(captured_stderr), STDERR_FILENO);
}

void ui_dirty(struct ui *ui)
{
    ui->dirty = true;
}

/* The collectors of one tick publish one after another, a few ms apart:
 * a new snapshot waits this long for the others, so that one frame shows
 * them all rather than one frame each (measured at 120x40 over 30 s: half
 * the frames, a third less CPU, a quarter less terminal output).  Keys,
 * resizes, servers, actions and messages still draw at once, and so does
 * everything until the first complete frame. */
#define COALESCE_MS 60

static void coalesce_cb(uv_timer_t *t)
{
    ui_dirty(t->data);
}

static void on_change(void *arg, unsigned what)
{
    struct ui *ui = arg;
    if ((what & ~(unsigned)APP_CHANGED_SNAPSHOT) || !ui->first_frame_at) {
        ui_dirty(ui);
        return;
    }
    if (!ui->dirty && !uv_is_active((uv_handle_t *)&ui->coalesce))
        uv_timer_start(&ui->coalesce, coalesce_cb, COALESCE_MS, 0);
}

struct pane *ui_focused(struct ui *ui)
{
    return &ui->panes[ui->focus];
}

const struct snapshot *ui_selected(struct ui *ui, int *row)
{
    struct pane *p = ui_focused(ui);
    const struct snapshot *s = NULL;
    *row = -1;
    if (!p->cls->ntables)
        return NULL;
    *row = table_selected_row(ui, p, &s);
    return s;
}

/* ---- overlays ---------------------------------------------------------- */

static void free_overlay(struct ui *ui)
{
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

void ui_close_overlay(struct ui *ui)
{
    free_overlay(ui);
    ui->overlay = OVERLAY_NONE;
    ui->confirm = NULL;
    ui->confirm_arg = NULL;
    ui_dirty(ui);
    show_queued(ui);
}

void ui_show_overlay(struct ui *ui, enum overlay kind, const char *title, char **lines, int n, int top)
{
    if (ui->overlay == OVERLAY_CONFIRM)
        queue_overlay(ui, false, kind, xstrdup(title), lines, n, top);
    else
        set_overlay(ui, kind, xstrdup(title), lines, n, top);
}

void ui_show_text(struct ui *ui, const char *title, char **lines, int n)
{
    ui_show_overlay(ui, OVERLAY_TEXT, title, lines, n, 0);
}

void ui_confirm(struct ui *ui, const char *title, char **lines, int n, confirm_cb cb, void *arg)
{
    /* A text that is up (a plan, the journal) comes back after the answer. */
    if (ui->overlay != OVERLAY_NONE && ui->overlay != OVERLAY_CONFIRM && ui->overlay_lines) {
        queue_overlay(ui, true, ui->overlay, ui->overlay_title, ui->overlay_lines, ui->overlay_nlines,
                      ui->overlay_top);
        ui->overlay_title = NULL;
        ui->overlay_lines = NULL;
        ui->overlay_nlines = 0;
    }
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
        lines[c] = xasprintf("%-22s %s", s->columns[c], v ? v : "(null)");
    }
    *n = s->ncols;
    return lines;
}

static void show_details(struct ui *ui)
{
    struct pane *p = ui_focused(ui);
    int row;
    const struct snapshot *s = ui_selected(ui, &row);
    if (!s || row < 0) {
        app_message(ui->app, false, "nothing selected");
        return;
    }
    int n = 0;
    char **lines = details_lines(ui, p, s, row, &n);
    char title[64];
    snprintf(title, sizeof title, "%s: details", p->cls->name);
    ui_show_overlay(ui, OVERLAY_DETAILS, title, lines, n, 0);
}

/* ---- layout and drawing ------------------------------------------------ */

/* Small screens show one pane at a time under a tab bar; large ones lay
 * all six out: queries across the top, pool and cache in the middle,
 * partitions, views and indexes at the bottom. */
static void layout(struct ui *ui)
{
    int top = ui->tabbed ? 3 : 2;
    int bottom = 2;
    int body = ui->rows - top - bottom;
    ui->tabbed = ui->cols < 120 || ui->rows < 36;
    top = ui->tabbed ? 3 : 2;
    body = ui->rows - top - bottom;
    if (body < 3)
        body = 3;
    for (int i = 0; i < ui->npanes; i++)
        ui->panes[i].h = 0;
    if (ui->tabbed) {
        struct pane *p = &ui->panes[ui->focus];
        p->y = top;
        p->x = 0;
        p->h = body;
        p->w = ui->cols;
        return;
    }
    int h1 = body * 2 / 5, h2 = (body - h1) / 2, h3 = body - h1 - h2;
    int half = ui->cols / 2, third = ui->cols / 3;
    struct { int y, x, h, w; } r[6] = {
        { top, 0, h1, ui->cols },
        { top + h1, 0, h2, half },
        { top + h1, half, h2, ui->cols - half },
        { top + h1 + h2, 0, h3, third },
        { top + h1 + h2, third, h3, third },
        { top + h1 + h2, 2 * third, h3, ui->cols - 2 * third },
    };
    for (int i = 0; i < ui->npanes; i++) {
        ui->panes[i].y = r[i].y;
        ui->panes[i].x = r[i].x;
        ui->panes[i].h = r[i].h;
        ui->panes[i].w = r[i].w;
    }
}

static void draw_title(struct ui *ui)
{
    struct app *app = ui->app;
    bool ro = app->cfg->read_only;
    attr_t a = ATTR(ro ? THEME_TITLE_READONLY : THEME_TITLE);
    attrset(a);
    mvhline(0, 0, ' ', ui->cols);
    char left[512];
    snprintf(left, sizeof left, " pgdeck %s  %s%s", PGDECK_VERSION,
             app->primary_display ? app->primary_display : "", ro ? "  READ-ONLY" : "");
    draw_text(ui, stdscr, 0, 0, ui->cols - 30, left);
    char right[64], clock[16];
    snprintf(right, sizeof right, "%s every %.1fs  %s ",
             app->paused ? "PAUSED" : "", app->interval, clock_time_local(now_wall(), clock, sizeof clock));
    int len = (int)strlen(right);
    if (len < ui->cols)
        mvaddstr(0, ui->cols - len, right);
}

/* One server on the status line: "primary: up 15.4", or a down one's
 * "primary: down (" + reason + ") retry in 4s", whose reason is what gets
 * shortened when room is short. */
struct server_line {
    char  head[64];
    char *reason;               /* sanitized; NULL when not down */
    char  tail[32];
    enum theme_element elem;
    int   want, natural;        /* columns */
};

static void draw_servers(struct ui *ui)
{
    struct server_line line[SERVER_COUNT];
    int n = SERVER_COUNT;
    int flags = SANITIZE_FOLD | (ui->ascii ? SANITIZE_ASCII : 0);
    const char *ellipsis = ui->ascii ? "..." : "\u2026";
    attrset(ATTR(THEME_STATUS));
    mvhline(1, 0, ' ', ui->cols);
    for (int i = 0; i < n; i++) {
        struct server_line *l = &line[i];
        const struct server *s = app_server(ui->app, (enum server_id)i);
        const char *name = server_name(s), *version = server_version(s);
        memset(l, 0, sizeof *l);
        if (!server_configured(s)) {
            snprintf(l->head, sizeof l->head, "%s: not configured", name);
            l->elem = THEME_DIM;
        } else if (server_state(s) == PGCONN_UP) {
            snprintf(l->head, sizeof l->head, "%s: up %.20s%s", name,
                     version ? version : "", server_standby(s) ? " (standby)" : "");
            l->elem = THEME_STATUS_OK;
        } else if (server_state(s) == PGCONN_CONNECTING) {
            snprintf(l->head, sizeof l->head, "%s: connecting", name);
            l->elem = THEME_STATUS_WARN;
        } else {
            snprintf(l->head, sizeof l->head, "%s: down (", name);
            l->reason = sanitize(server_error_reason(s), flags);
            double retry_in = server_retry_in(s);
            if (retry_in > 0)
                snprintf(l->tail, sizeof l->tail, ") retry in %.0fs", retry_in);
            else
                snprintf(l->tail, sizeof l->tail, ")");
            l->elem = THEME_STATUS_DOWN;
        }
        l->natural = sanitize_width(l->head) + (l->reason ? sanitize_width(l->reason) : 0) +
                     sanitize_width(l->tail);
        l->want = l->natural;
    }
    /* Room by need, not in equal shares: a server that is up says little,
     * and a down one's reason gets what the others leave.  When it all
     * cannot fit, the longest give way first. */
    int room = ui->cols - 1 - 2 * (n > 0 ? n - 1 : 0), total = 0;
    for (int i = 0; i < n; i++)
        total += line[i].want;
    while (total > room) {
        int widest = 0;
        for (int i = 1; i < n; i++)
            if (line[i].want > line[widest].want)
                widest = i;
        if (line[widest].want <= 8)
            break;
        line[widest].want--;
        total--;
    }
    int x = 1;
    for (int i = 0; i < n; i++) {
        struct server_line *l = &line[i];
        int width = l->want < ui->cols - 1 - x ? l->want : ui->cols - 1 - x;
        if (width > 0) {
            /* Short of room, a reason is cut (with an ellipsis) rather than
             * the retry countdown after it. */
            int fixed = sanitize_width(l->head) + sanitize_width(l->tail) + sanitize_width(ellipsis);
            char *text;
            if (l->reason && width < l->natural && width - fixed >= 4)
                text = xasprintf("%s%.*s%s%s", l->head, (int)sanitize_fit(l->reason, width - fixed),
                                 l->reason, ellipsis, l->tail);
            else
                text = xasprintf("%s%s%s", l->head, l->reason ? l->reason : "", l->tail);
            attrset(ATTR(l->elem));
            x += draw_text(ui, stdscr, 1, x, width, text) + 2;
            free(text);
        }
        free(l->reason);
    }
}

static void draw_tabs(struct ui *ui)
{
    attrset(ATTR(THEME_TAB));
    mvhline(2, 0, ' ', ui->cols);
    int x = 0;
    for (int i = 0; i < ui->npanes; i++) {
        char buf[48];
        snprintf(buf, sizeof buf, " %d %s ", ui->panes[i].cls->number, ui->panes[i].cls->name);
        int len = (int)strlen(buf);
        if (x + len > ui->cols) {
            /* Too narrow for names: numbers still reach every pane. */
            snprintf(buf, sizeof buf, " %d ", ui->panes[i].cls->number);
            len = (int)strlen(buf);
            if (x + len > ui->cols)
                break;
        }
        attrset(ATTR(i == ui->focus ? THEME_TAB_ACTIVE : THEME_TAB));
        mvaddstr(2, x, buf);
        x += len;
    }
}

static void draw_pane(struct ui *ui, struct pane *p)
{
    if (p->h < 3 || p->w < 10)
        return;
    bool focused = p == ui_focused(ui);
    attrset(ATTR(THEME_NORMAL));
    for (int y = p->y; y < p->y + p->h; y++)
        mvhline(y, p->x, ' ', p->w);
    char as_of[32];
    const struct table_def *t = p->cls->ntables ? &p->cls->tables[p->mode < p->cls->ntables ? p->mode : 0] : NULL;
    /* Stale rows (table_draw greys them) say in the title since when, and
     * why when the latest run failed ("primary not connected", "timed out
     * after 10 s"): the rows stay, so the reason goes here. */
    draw_as_of(as_of, sizeof as_of, t ? app_stale_as_of(ui->app, t->collector) : 0);
    const struct snapshot *latest = *as_of ? app_snapshot(ui->app, t->collector) : NULL;
    const char *why = latest && latest->error ? latest->error : NULL;
    char *title = xasprintf("%d %s%s%s%s%s%s%s%s%s", p->cls->number, p->cls->name,
                            t && p->cls->ntables > 1 ? " - " : "", t && p->cls->ntables > 1 ? t->collector : "",
                            p->table.filter ? " [filtered]" : "", *as_of ? " " : "", as_of,
                            why ? " (" : "", why ? why : "", why ? ")" : "");
    draw_box(ui, stdscr, p->y, p->x, p->h, p->w, title, focused);
    free(title);
    int y = p->y + 1, x = p->x + 1, h = p->h - 2, w = p->w - 2;
    if (p->cls->draw_header) {
        int used = p->cls->draw_header(ui, p, stdscr, y, x, w, h);
        y += used;
        h -= used;
    }
    if (h > 0)
        table_draw(ui, p, stdscr, y, x, h, w);
}

static void draw_alerts(struct ui *ui)
{
    struct alert alerts[16];
    int n = alerts_evaluate(ui->app, alerts, 16);
    int y = ui->rows - 2;
    attrset(ATTR(THEME_STATUS));
    mvhline(y, 0, ' ', ui->cols);
    char as_of[32];
    if (n == 0) {
        /* Nothing found in old data is no news: say how old. */
        char text[48];
        snprintf(text, sizeof text, "no alerts%s", draw_as_of(as_of, sizeof as_of, alerts_as_of(ui->app)));
        attrset(ATTR(THEME_DIM));
        mvaddstr(y, 1, text);
        return;
    }
    int x = 1;
    for (int i = 0; i < n && x < ui->cols - 2; i++) {
        /* A critical alert says so in words too (no colour, a glance); one
         * found in stale data is greyed and says since when. */
        bool stale = alerts[i].as_of > 0;
        draw_as_of(as_of, sizeof as_of, alerts[i].as_of);
        char *text = xasprintf("%s%s%s%s", alerts[i].level == ALERT_CRITICAL ? "CRITICAL " : "",
                               stale ? as_of + 1 : "", stale ? ": " : "", alerts[i].text);
        attrset(ATTR(stale ? THEME_STALE : alerts[i].level >= ALERT_CRITICAL ? THEME_ALERT_CRIT : THEME_ALERT));
        int used = draw_text(ui, stdscr, y, x, ui->cols - x - 1, text);
        free(text);
        x += used;
        if (i + 1 < n && x < ui->cols - 4) {
            attrset(ATTR(THEME_STATUS));
            mvaddstr(y, x, " | ");
            x += 3;
        }
    }
}

static void draw_bottom(struct ui *ui)
{
    int y = ui->rows - 1;
    struct app *app = ui->app;
    attrset(ATTR(THEME_STATUS));
    mvhline(y, 0, ' ', ui->cols);
    if (ui->prompting) {
        attrset(ATTR(THEME_PROMPT));
        mvhline(y, 0, ' ', ui->cols);
        char buf[300];
        snprintf(buf, sizeof buf, "%c%s", ui->prompt_kind, ui->prompt_buf);
        int used = draw_text(ui, stdscr, y, 0, ui->cols - 1, buf);
        move(y, used);
        return;
    }
    if (app->message) {
        attrset(ATTR(app->message_is_error ? THEME_ALERT_CRIT : THEME_STATUS));
        draw_text(ui, stdscr, y, 1, ui->cols - 2, app->message);
        return;
    }
    attrset(ATTR(THEME_HELP_KEY));
    const char *hint = ui->cols >= 100
        ? " ?:help  q:quit  Tab/1-6:pane  /:filter  <>:sort  Enter:details  p:pause  +/-:interval  ::command"
        : " ?:help q:quit Tab:pane /:filter Enter:details";
    draw_text(ui, stdscr, y, 0, ui->cols, hint);
}

static void draw_overlay(struct ui *ui)
{
    if (ui->overlay == OVERLAY_NONE)
        return;
    int w = ui->cols - 4 < 100 ? ui->cols - 4 : 100;
    int h = ui->rows - 4;
    if (ui->overlay == OVERLAY_CONFIRM && ui->overlay_nlines + 4 < h)
        h = ui->overlay_nlines + 4;
    if (w < 20 || h < 4)
        return;
    int y0 = (ui->rows - h) / 2, x0 = (ui->cols - w) / 2;
    attrset(ATTR(THEME_DIALOG));
    for (int y = y0; y < y0 + h; y++)
        mvhline(y, x0, ' ', w);
    draw_box(ui, stdscr, y0, x0, h, w, ui->overlay_title, true);
    int body = h - 3;
    if (ui->overlay_top > ui->overlay_nlines - body)
        ui->overlay_top = ui->overlay_nlines - body;
    if (ui->overlay_top < 0)
        ui->overlay_top = 0;
    attrset(ATTR(THEME_DIALOG));
    for (int i = 0; i < body && ui->overlay_top + i < ui->overlay_nlines; i++)
        draw_text(ui, stdscr, y0 + 1 + i, x0 + 2, w - 4, ui->overlay_lines[ui->overlay_top + i]);
    attrset(ATTR(THEME_HELP_KEY));
    const char *foot = ui->overlay == OVERLAY_CONFIRM ? " y: yes   n/Esc: no "
                                                      : " Esc/q: close   Up/Down/PgUp/PgDn: scroll ";
    draw_text(ui, stdscr, y0 + h - 2, x0 + 2, w - 4, foot);
}

static void draw(struct ui *ui)
{
    double t0 = now_monotonic();
    /* This frame shows whatever a pending coalesced one would. */
    uv_timer_stop(&ui->coalesce);
    getmaxyx(stdscr, ui->rows, ui->cols);
    layout(ui);
    if (ui->rows < 10 || ui->cols < 40) {
        erase();
        attrset(ATTR(THEME_NORMAL));
        mvaddstr(0, 0, "pgdeck: terminal too small");
        mvaddstr(1, 0, "(40x10 at least; q quits)");
    } else {
        draw_title(ui);
        draw_servers(ui);
        if (ui->tabbed)
            draw_tabs(ui);
        for (int i = 0; i < ui->npanes; i++)
            if (ui->panes[i].h > 0)
                draw_pane(ui, &ui->panes[i]);
        draw_alerts(ui);
        draw_bottom(ui);
        draw_overlay(ui);
    }
    curs_set(ui->prompting ? 1 : 0);
    wnoutrefresh(stdscr);
    doupdate();
    ui->dirty = false;
    double dt = now_monotonic() - t0;
    ui->frame_time = dt;
    if (dt > ui->frame_max)
        ui->frame_max = dt;
    ui->frame_total += dt;
    ui->frame_recent[ui->frames % UI_FRAME_RECENT] = (float)dt;
    ui->frames++;
    if (!ui->first_frame_at && collectors_all_done(ui->app))
        ui->first_frame_at = now_monotonic();
}

static void prepare_cb(uv_prepare_t *h)
{
    struct ui *ui = h->data;
    if (ui->quit) {
        uv_stop(ui->loop);
        return;
    }
    if (ui->dirty)
        draw(ui);
}

/* ---- input ------------------------------------------------------------- */

static void key_overlay(struct ui *ui, int ch)
{
    if (ui->overlay == OVERLAY_CONFIRM) {
        if (ch == 'y' || ch == 'Y') {
            confirm_cb cb = ui->confirm;
            void *arg = ui->confirm_arg;
            ui->confirm = NULL;
            ui_close_overlay(ui);
            if (cb)
                cb(ui, arg, true);
        } else if (ch == 'n' || ch == 'N' || ch == 27 || ch == 'q') {
            confirm_cb cb = ui->confirm;
            void *arg = ui->confirm_arg;
            ui->confirm = NULL;
            ui_close_overlay(ui);
            if (cb)
                cb(ui, arg, false);
        }
        return;
    }
    int page = ui->rows - 8;
    switch (ch) {
    case 27: case 'q': case '?': case KEY_F(1): case '\n': case KEY_ENTER:
        ui_close_overlay(ui);
        return;
    case KEY_UP: case 'k': ui->overlay_top--; break;
    case KEY_DOWN: case 'j': ui->overlay_top++; break;
    case KEY_PPAGE: ui->overlay_top -= page; break;
    case KEY_NPAGE: case ' ': ui->overlay_top += page; break;
    case KEY_HOME: ui->overlay_top = 0; break;
    case KEY_END: ui->overlay_top = ui->overlay_nlines; break;
    default: return;
    }
    ui_dirty(ui);
}

static void key_prompt(struct ui *ui, int ch)
{
    if (ch == 27) {
        /* Esc clears the filter: empty the prompt too, or the filter
         * would be set again from it below. */
        ui->prompt_len = 0;
        ui->prompt_buf[0] = '\0';
        ui->prompting = false;
    } else if (ch == '\n' || ch == '\r' || ch == KEY_ENTER) {
        ui->prompting = false;
        if (ui->prompt_kind == ':')
            keymap_command(ui, ui->prompt_buf);
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
}

void ui_start_prompt(struct ui *ui, char kind)
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

void ui_show_details(struct ui *ui)
{
    show_details(ui);
}

static void handle_key(struct ui *ui, int ch)
{
    if (ch == KEY_RESIZE) {
        ui_dirty(ui);
        return;
    }
    if (ch == KEY_MOUSE) {
        keymap_mouse(ui);
        return;
    }
    if (ui->prompting) {
        key_prompt(ui, ch);
        return;
    }
    if (ui->overlay != OVERLAY_NONE) {
        key_overlay(ui, ch);
        return;
    }
    /* A key clears a message it did not cause. */
    if (ui->app->message) {
        free(ui->app->message);
        ui->app->message = NULL;
        ui_dirty(ui);
    }
    keymap_dispatch(ui, ch);
}

static void stdin_cb(uv_poll_t *h, int status, int events)
{
    (void)events;
    struct ui *ui = h->data;
    if (status < 0) {
        /* The terminal went away (hang-up): nothing left to draw on. */
        ui->quit = true;
        uv_stop(ui->loop);
        return;
    }
    int ch;
    int n = 0;
    while ((ch = getch()) != ERR) {
        handle_key(ui, ch);
        if (ui->quit)
            break;
        n++;
    }
    if (n == 0 && !ui->quit) {
        /* Readable but nothing read: end of file on stdin. */
        char c;
        if (read(STDIN_FILENO, &c, 0) < 0 && errno != EAGAIN) {
            ui->quit = true;
        }
    }
    if (ui->quit)
        uv_stop(ui->loop);
}

static void resize_cb(uv_signal_t *h, int sig)
{
    (void)sig;
    struct ui *ui = h->data;
    /* libuv's SIGWINCH handler replaces ncurses' own: read the size and
     * tell curses ourselves. */
    struct winsize ws;
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0) {
        resizeterm(ws.ws_row, ws.ws_col);
        clear();
    }
    ui_dirty(ui);
}

static void quit_signal_cb(uv_signal_t *h, int sig)
{
    struct ui *ui = h->data;
    ui->quit = true;
    ui->exit_code = 128 + sig;
    uv_stop(ui->loop);
}

static void clock_cb(uv_timer_t *t)
{
    struct ui *ui = t->data;
    ui_dirty(ui);
}

/* ---- lifecycle ---------------------------------------------------------- */

static bool locale_is_utf8(void)
{
    const char *cs = nl_langinfo(CODESET);
    return cs && (strcmp(cs, "UTF-8") == 0 || strcmp(cs, "utf8") == 0);
}

static int setup_theme(struct ui *ui, const char *name)
{
    struct theme theme;
    struct theme_warnings warn = { 0 };
    char err[512];
    if (theme_load(&theme, name ? name : "default", &warn, err, sizeof err) != 0) {
        app_message(ui->app, true, "%s", err);
        theme_load(&theme, "default", NULL, err, sizeof err);
    } else if (warn.count) {
        app_message(ui->app, true, "%s%s", warn.messages[0],
                    warn.count > 1 ? " (and more; see --theme)" : "");
    }
    theme_warnings_free(&warn);
    theme_apply(&theme, ui->color ? COLORS : 0, ui->color && can_change_color(), !ui->color);
    return 0;
}

int ui_set_theme(struct ui *ui, const char *name)
{
    int rc = setup_theme(ui, name);
    crash_guard_prepare(ui->app->cfg->mouse);
    clear();
    ui_dirty(ui);
    return rc;
}

static void close_walk(uv_handle_t *h, void *arg)
{
    (void)arg;
    if (!uv_is_closing(h))
        uv_close(h, NULL);
}

int ui_run(struct app *app)
{
    struct ui ui_storage;
    struct ui *ui = &ui_storage;
    memset(ui, 0, sizeof *ui);
    ui->app = app;
    ui->loop = app->loop;
    ui->started_at = now_monotonic();
    if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
        fprintf(stderr, "pgdeck: the console needs a terminal; use --once or check from scripts\n");
        return 2;
    }
    ui->ascii = app->cfg->ascii || !locale_is_utf8();

    for (int i = 0; i < 6; i++) {
        ui->panes[i].cls = pane_classes[i];
        ui->panes[i].table.sort_column = -1;
    }
    ui->npanes = 6;

    /* stdin's O_NONBLOCK is shared with stdout on a tty: libuv sets it in
     * uv_poll_init, and curses output would then fail with EAGAIN. */
    int flags = fcntl(STDIN_FILENO, F_GETFL);
    if (uv_poll_init(ui->loop, &ui->stdin_poll, STDIN_FILENO) != 0) {
        fprintf(stderr, "pgdeck: cannot watch the terminal\n");
        return 2;
    }
    fcntl(STDIN_FILENO, F_SETFL, flags);

    capture_stderr();
    atexit(restore_terminal);
    crash_guard_start(STDOUT_FILENO, saved_stderr, captured_stderr ? fileno(captured_stderr) : -1);

    if (!initscr()) {
        restore_terminal();
        textout_line(stderr, "pgdeck: cannot start curses on this terminal (TERM=%s)",
                     getenv("TERM") ? getenv("TERM") : "");
        return 2;
    }
    curses_active = true;
    ui->color = has_colors() && !app->cfg->no_color;
    if (ui->color) {
        start_color();
        use_default_colors();
    }
    cbreak();
    noecho();
    nonl();
    keypad(stdscr, TRUE);
    nodelay(stdscr, TRUE);
    set_escdelay(25);
    curs_set(0);
    if (app->cfg->mouse)
        mousemask(BUTTON1_CLICKED | BUTTON1_PRESSED, NULL);
    setup_theme(ui, app->cfg->theme);
    crash_guard_prepare(app->cfg->mouse);

    uv_timer_init(ui->loop, &ui->coalesce);
    ui->coalesce.data = ui;
    app->on_change = on_change;
    app->ui = ui;

    ui->stdin_poll.data = ui;
    uv_poll_start(&ui->stdin_poll, UV_READABLE, stdin_cb);
    uv_signal_init(ui->loop, &ui->sig_winch);
    uv_signal_init(ui->loop, &ui->sig_int);
    uv_signal_init(ui->loop, &ui->sig_term);
    uv_signal_init(ui->loop, &ui->sig_hup);
    ui->sig_winch.data = ui->sig_int.data = ui->sig_term.data = ui->sig_hup.data = ui;
    uv_signal_start(&ui->sig_winch, resize_cb, SIGWINCH);
    uv_signal_start(&ui->sig_int, quit_signal_cb, SIGINT);
    uv_signal_start(&ui->sig_term, quit_signal_cb, SIGTERM);
    uv_signal_start(&ui->sig_hup, quit_signal_cb, SIGHUP);
    uv_prepare_init(ui->loop, &ui->prepare);
    ui->prepare.data = ui;
    uv_prepare_start(&ui->prepare, prepare_cb);
    uv_timer_init(ui->loop, &ui->clock);
    ui->clock.data = ui;
    uv_timer_start(&ui->clock, clock_cb, 1000, 1000);

    collectors_start(app);
    ui->dirty = true;
    uv_run(ui->loop, UV_RUN_DEFAULT);

    decline_open_question(ui);
    restore_terminal();
    keymap_stats(ui);
    app->on_change = NULL;
    app->ui = NULL;
    for (int i = 0; i < ui->npanes; i++)
        table_state_free(&ui->panes[i].table);
    free_overlay(ui);
    free_queued(ui);
    app_close(app);
    uv_walk(ui->loop, close_walk, NULL);
    /* A cancel request stuck on a paused server would keep a blocking
     * uv_run going forever: give the close callbacks a few turns only. */
    for (int i = 0; i < 10; i++)
        uv_run(ui->loop, UV_RUN_NOWAIT);
    return ui->exit_code;
}
