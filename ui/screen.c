#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "core/alerts.h"
#include "core/stream_feed.h"
#include "colors.h"
#include "crash.h"
#include "draw.h"
#include "keymap.h"
#include "layout.h"
#include "overlay.h"
#include "pane_registry.h"
#include "screen.h"
#include "table.h"
#include "title.h"
#include "base/quantity.h"
#include "base/sanitize.h"
#include "base/textout.h"
#include "base/utf8.h"
#include "ui.h"
#include "base/clock.h"
#include "base/loop.h"
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

/* A new snapshot waits COLLECTORS_COALESCE_MS for the others of its tick,
 * so that one frame shows them all rather than one frame each (measured
 * at 120x40 over 30 s: half the frames, a third less CPU, a quarter less
 * terminal output).  Keys, resizes, servers, actions and messages still
 * draw at once, and so does everything until the first complete frame.
 * The host's collectors (/proc read on a thread) and slower queries land
 * a little later than the rest of a tick: while a collector started in
 * the last second is still running, the frame waits a little longer for
 * it, up to COALESCE_MAX_MS after the first snapshot, rather than draw the
 * tick in two frames.  One that has been running longer (a stuck server)
 * does not hold the frame. */
#define COALESCE_STEP_MS 20
#define COALESCE_MAX_MS 300

static bool tick_running(const struct app *app, double now)
{
    for (int i = 0; i < app->ncollectors; i++) {
        const struct collector *c = &app->collectors[i];
        if (c->running && now - c->started < 1.0)
            return true;
    }
    return false;
}

static void coalesce_cb(uv_timer_t *t)
{
    struct ui *ui = t->data;
    double now = now_monotonic();
    if (tick_running(ui->app, now) && (now - ui->coalesce_since) * 1000 + COALESCE_STEP_MS <= COALESCE_MAX_MS) {
        uv_timer_start(&ui->coalesce, coalesce_cb, COALESCE_STEP_MS, 0);
        return;
    }
    ui_dirty_data(ui);
}

static void on_change(void *arg, unsigned what)
{
    struct ui *ui = arg;
    if (what & APP_CHANGED_VIEW)
        ui->view_changed = true;
    if (what & APP_CHANGED_VIEW) {
        ui_dirty(ui);
        return;
    }
    if (what & ~(unsigned)(APP_CHANGED_SNAPSHOT | APP_CHANGED_RECEIVED)) {
        ui_dirty_state(ui);
        return;
    }
    if ((what & APP_CHANGED_RECEIVED) || !ui->first_frame_at) {
        /* Until the first complete frame each collector's first data is
         * drawn at once, and a viewer's snapshot from its agent too (the
         * agent already gathered the tick): the panes it changed only. */
        ui_dirty_data(ui);
        return;
    }
    if (ui->dirty)
        return;
    if (!uv_is_active((uv_handle_t *)&ui->coalesce)) {
        ui->coalesce_since = now_monotonic();
        uv_timer_start(&ui->coalesce, coalesce_cb, COLLECTORS_COALESCE_MS, 0);
    } else if (!tick_running(ui->app, now_monotonic())) {
        /* The last of the tick's collectors: draw now, in this turn of
         * the loop, rather than wake again for the timer to find that
         * nothing is left running (issue 14: each wake-up costs). */
        ui_dirty_data(ui);
    }
}

/* ---- layout and drawing ------------------------------------------------ */

/* Hashing what a part of the screen is drawn from (the repaint rule,
 * below). */
static unsigned long mix(unsigned long h, unsigned long v)
{
    /* FNV-1a over the value's bytes. */
    for (size_t i = 0; i < sizeof v; i++) {
        h ^= (v >> (8 * i)) & 0xff;
        h *= 1099511628211UL;
    }
    return h;
}

static unsigned long mix_text(unsigned long h, const char *s)
{
    for (; s && *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211UL;
    }
    return mix(h, s ? 1 : 0);
}

static unsigned long mix_double(unsigned long h, double d)
{
    unsigned long v = 0;
    memcpy(&v, &d, sizeof d < sizeof v ? sizeof d : sizeof v);
    return mix(h, v);
}


/* The lines a pane would fill to show all it has: its border, its header
 * lines, the column titles and the rows (at least one: "none"). */
static int pane_want(struct ui *ui, struct pane *p)
{
    int lines = 2 + p->header_want;
    if (p->cls->ntables)
        lines += 1 + table_rows_wanted(ui, p);
    return lines;
}

/* True when the places in r cover every cell the panes cover now. */
static bool layout_covers(const struct ui *ui, const struct layout_rect *r)
{
    if (ui->rows <= 0 || ui->cols <= 0)
        return false;
    unsigned char *cell = xcalloc((size_t)ui->rows * (size_t)ui->cols, 1);
    for (int i = 0; i < ui->npanes; i++)
        for (int y = r[i].y; r[i].h > 0 && y < r[i].y + r[i].h && y < ui->rows; y++)
            for (int x = r[i].x; y >= 0 && x < r[i].x + r[i].w && x < ui->cols; x++)
                if (x >= 0)
                    cell[(size_t)y * (size_t)ui->cols + (size_t)x] = 1;
    bool covered = true;
    for (int i = 0; covered && i < ui->npanes; i++) {
        const struct pane *p = &ui->panes[i];
        for (int y = p->y; covered && p->h > 0 && y < p->y + p->h; y++)
            for (int x = p->x; covered && x < p->x + p->w; x++)
                if (y < 0 || y >= ui->rows || x < 0 || x >= ui->cols ||
                    !cell[(size_t)y * (size_t)ui->cols + (size_t)x])
                    covered = false;
    }
    free(cell);
    return covered;
}

/* Place the panes (layout.c): by what each has to show, from the last
 * layout (its hysteresis), for the screen's size, focus and zoom. */
static void layout(struct ui *ui)
{
    int *want = xcalloc((size_t)ui->npanes, sizeof *want);
    struct layout_rect *r = xcalloc((size_t)ui->npanes, sizeof *r);
    for (int i = 0; i < ui->npanes; i++)
        want[i] = pane_want(ui, &ui->panes[i]);
    struct layout_request rq = { .n = ui->npanes, .want = want, .focus = ui->focus, .zoom = ui->zoomed,
                                 .rows = ui->rows, .cols = ui->cols, .previous = ui->layout };
    ui->tabbed = layout_panes(&rq, r) == LAYOUT_TABS;
    bool moved = false, crowded = false;
    for (int i = 0; i < ui->npanes; i++) {
        struct pane *p = &ui->panes[i];
        if (p->y != r[i].y || p->x != r[i].x || p->h != r[i].h || p->w != r[i].w)
            moved = true;
        crowded |= r[i].h > 0 && r[i].h < want[i];
    }
    /* A move for the data alone, on a crowded screen, waits until the last
     * one is LAYOUT_SETTLE_S old (layout.h): the panes keep their places,
     * the layout's bookkeeping (wants, shrink counts) goes on.  Not before
     * the first complete frame: the panes find their sizes as the first
     * results come in. */
    double now = now_monotonic();
    if (moved && ui->layout && !ui->layout_now && crowded && ui->first_frame_at &&
        now - ui->layout_moved_at < LAYOUT_SETTLE_S) {
        for (int i = 0; i < ui->npanes; i++) {
            const struct pane *p = &ui->panes[i];
            r[i].y = p->y, r[i].x = p->x, r[i].h = p->h, r[i].w = p->w;
        }
        moved = false;
        ui->layout_held++;
    }
    if (moved)
        ui->layout_moved_at = now;
    if (moved && ui->layout && !ui->layout_now && ui->first_frame_at)
        ui->layout_data_moves++;
    /* A pane moved or resized is drawn again, whole, from its place in
     * its inputs (the repaint rule); the others stay as they are (under
     * pgbench the panes' heights follow the lock waiters, and drawing
     * every pane for it was a third of the frames).  Only when the new
     * places leave a cell of the old ones uncovered is everything drawn,
     * so that nothing of the old layout is left behind. */
    if (moved && ui->layout)
        ui->layout_moves++;
    if (moved && !ui->repaint_all && !layout_covers(ui, r))
        ui->repaint_all = true;
    for (int i = 0; i < ui->npanes; i++) {
        struct pane *p = &ui->panes[i];
        p->y = r[i].y;
        p->x = r[i].x;
        p->h = r[i].h;
        p->w = r[i].w;
    }
    free(ui->layout);
    ui->layout = r;
    free(want);
}

/* ---- the title lines ---------------------------------------------------- */

/* How a conninfo pair gives way on the title bar: the socket directory
 * first, then options, the user, the database, a host name; the port
 * never. */
static int pair_priority(const char *pair, const char **what)
{
    static const struct { const char *key; int priority; const char *what; } rows[] = {
        { "port=",     TITLE_KEEP,        NULL },
        { "user=",     TITLE_DROP_USER,   "user" },
        { "dbname=",   TITLE_DROP_DBNAME, "database" },
        { "hostaddr=", TITLE_DROP_HOST,   "host address" },
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
        if (strncmp(pair, rows[i].key, strlen(rows[i].key)) == 0) {
            *what = rows[i].what;
            return rows[i].priority;
        }
    if (strncmp(pair, "host=", 5) == 0) {
        /* A path (or a list starting with one) is a socket directory. */
        bool socket = pair[5] == '/' || (pair[5] == '\'' && pair[6] == '/') || pair[5] == '@';
        *what = socket ? "socket directory" : "host";
        return socket ? TITLE_DROP_SOCKET : TITLE_DROP_HOST;
    }
    *what = "connection option";
    return TITLE_DROP_OPTIONS;
}

/* Line 0: pgdeck, its version, the primary's conninfo pair by pair,
 * READ-ONLY; at the right PAUSED, the interval and the clock. */
static int build_title(struct ui *ui, struct title_line *l, const char *clock_text)
{
    struct app *app = ui->app;
    bool ro = app->cfg->read_only;
    int style = ro ? THEME_TITLE_READONLY : THEME_TITLE;
    title_add(l, TITLE_KEEP, style, 0, NULL, "pgdeck");
    title_add(l, TITLE_DROP_VERSION, style, 1, "pgdeck version", PGDECK_VERSION);
    struct title_part *p;
    if (app->feed) {
        /* A viewer: whose streams, through which Redis; cut, not dropped. */
        char feed[256];
        stream_feed_title(app->feed, feed, sizeof feed);
        if ((p = title_add(l, TITLE_DROP_HOST, style, 2, "source", feed)))
            p->cut = true;
    } else {
        int n = 0;
        char **pairs = conninfo_display_pairs(&app->cfg->primary, &n);
        for (int i = 0; i < n; i++) {
            const char *what = NULL;
            int priority = pair_priority(pairs[i], &what);
            title_add(l, priority, style, i ? 1 : 2, what, pairs[i]);
            free(pairs[i]);
        }
        free(pairs);
    }
    if (ro)
        title_add(l, TITLE_KEEP, style, 2, NULL, "READ-ONLY");
    char every[QUANTITY_LEN + 8], interval[QUANTITY_LEN];
    if (app->paused && (p = title_add(l, TITLE_KEEP, style, 0, NULL, "PAUSED")))
        p->right = true;
    snprintf(every, sizeof every, "every %s", quantity_duration(interval, sizeof interval, app->interval));
    if ((p = title_add(l, TITLE_DROP_INTERVAL, style, 1, "refresh", every)))
        p->right = true;
    if ((p = title_add(l, TITLE_KEEP, style, 2, NULL, clock_text))) {
        p->right = true;
        return l->n - 1;
    }
    return -1;
}

/* Line 1: each server's state, never cut ("replica: up (standby)"), its
 * version, and a down one's reason (cut first) and retry countdown. */
static void build_servers(struct ui *ui, struct title_line *l)
{
    if (ui->app->feed && !stream_feed_target(ui->app->feed)) {
        /* The fleet view has no servers of its own: how many agents, how
         * many are up. */
        const struct stream_fleet *fleet = stream_feed_fleet(ui->app->feed);
        double now = stream_feed_redis_now_ms(ui->app->feed);
        int up = 0, silent = 0;
        for (int i = 0; i < fleet->count; i++) {
            const char *state = stream_fleet_state(&fleet->members[i], now);
            up += strcmp(state, "up") == 0;
            silent += strcmp(state, "silent") == 0;
        }
        char line[160];
        snprintf(line, sizeof line, "fleet: %d agent%s, %d up, %d silent", fleet->count,
                 fleet->count == 1 ? "" : "s", up, silent);
        title_add(l, TITLE_KEEP, silent ? THEME_STATUS_DOWN : THEME_STATUS_OK, 0, NULL, line);
        return;
    }
    for (int i = 0; i < SERVER_COUNT; i++) {
        const struct server *s = app_server(ui->app, (enum server_id)i);
        const char *name = server_name(s), *version = server_version(s);
        char head[64], what[48];
        struct title_part *p;
        if (!server_configured(s)) {
            snprintf(head, sizeof head, "%s: not configured", name);
            p = title_add(l, TITLE_KEEP, THEME_DIM, 2, NULL, head);
            snprintf(head, sizeof head, "%s: none", name);
            title_brief(p, head);
        } else if (server_state(s) == PGCONN_UP) {
            snprintf(head, sizeof head, "%s: up", name);
            title_add(l, TITLE_KEEP, THEME_STATUS_OK, 2, NULL, head);
            snprintf(what, sizeof what, "%s version", name);
            title_add(l, TITLE_DROP_VERSION, THEME_STATUS_OK, 1, what, version);
            if (server_standby(s))
                title_add(l, TITLE_KEEP, THEME_STATUS_OK, 1, NULL, "(standby)");
        } else if (server_state(s) == PGCONN_CONNECTING) {
            snprintf(head, sizeof head, "%s: connecting", name);
            title_add(l, TITLE_KEEP, THEME_STATUS_WARN, 2, NULL, head);
        } else {
            snprintf(head, sizeof head, "%s: down", name);
            title_add(l, TITLE_KEEP, THEME_STATUS_DOWN, 2, NULL, head);
            char *reason = xasprintf("(%s)", server_error_reason(s));
            snprintf(what, sizeof what, "why %s is down:", name);
            if ((p = title_add(l, TITLE_DROP_REASON, THEME_STATUS_DOWN, 1, what, reason))) {
                p->cut = true;
                p->tail = ")";
            }
            free(reason);
            double retry_in = server_retry_in(s);
            if (retry_in > 0) {
                char retry[QUANTITY_LEN + 16], in[QUANTITY_LEN];
                snprintf(retry, sizeof retry, "retry in %s", quantity_duration(in, sizeof in, ceil(retry_in)));
                title_add(l, TITLE_DROP_RETRY, THEME_STATUS_DOWN, 1, "retry", retry);
            }
        }
    }
}

/* Draw a fitted line: its left parts from column `x`, its right parts
 * against the right edge. */
static void draw_title_line(struct ui *ui, int y, int x, int width, const struct title_line *l, int fill)
{
    attrset(ATTR(fill));
    mvhline(y, 0, ' ', ui->cols);
    int right = 0;
    for (int i = 0; i < l->n; i++)
        if (l->part[i].right && title_text(&l->part[i]))
            right += (right ? title_gap(l, i) : 0) + sanitize_width(title_text(&l->part[i]));
    int lx = x, rx = x + width - right, left_used = 0, right_used = 0;
    for (int i = 0; i < l->n; i++) {
        const struct title_part *p = &l->part[i];
        const char *t = title_text(p);
        if (!t)
            continue;
        int *used = p->right ? &right_used : &left_used;
        int *at = p->right ? &rx : &lx;
        if (*used)
            *at += title_gap(l, i);
        attrset(ATTR(p->style));
        int room = p->right ? x + width - *at : x + width - right - *at;
        int w = draw_text(ui, stdscr, y, *at, room, t);
        *at += w;
        *used = 1;
    }
}

/* The lines around the panes follow the repaint rule too: one is drawn
 * again when what it shows changed (`inputs`, a hash), or at a full
 * repaint.  True when it is to be drawn. */
enum { LINE_TITLE, LINE_SERVERS, LINE_ALERTS, LINE_KEYS };

static bool line_changed(struct ui *ui, int line, unsigned long inputs)
{
    inputs = mix(inputs, (unsigned long)ui->cols << 32 | (unsigned)ui->rows);
    inputs |= 1;    /* never 0, "not drawn" */
    if (!ui->repaint_all && ui->lines_drawn[line] == inputs)
        return false;
    ui->lines_drawn[line] = inputs;
    return true;
}

/* What a title line shows, but its part `skip` (-1: all of it). */
static unsigned long title_inputs_but(const struct title_line *l, int skip)
{
    unsigned long h = 14695981039346656037UL;
    for (int i = 0; i < l->n; i++) {
        if (i == skip)
            continue;
        h = mix_text(h, title_text(&l->part[i]));
        h = mix(h, (unsigned long)l->part[i].style << 8 | (unsigned long)l->part[i].right);
    }
    return h;
}

/* The title and the server line, each fitted to the screen; what they
 * drop is kept for the help overlay's header. */
/* The title line fitted to the screen, with the clock at `clock_text`:
 * the one kept from the last frame with the clock's text swapped in when
 * nothing else it is built from changed and the clock keeps its width
 * (building and fitting it was most of the title's cost, once a second,
 * for the clock; issue 14).  A viewer's title (its feed's) is built each
 * time. */
static struct title_line *title_now(struct ui *ui, const char *clock_text)
{
    const struct app *app = ui->app;
    unsigned long key = mix((unsigned long)ui->cols, (unsigned long)ui->ascii << 2 |
                            (unsigned long)app->paused << 1 | (unsigned long)app->cfg->read_only);
    unsigned long bits;
    memcpy(&bits, &app->interval, sizeof bits < sizeof app->interval ? sizeof bits : sizeof app->interval);
    key = mix(mix(key, bits), (unsigned long)(uintptr_t)app->cfg);
    struct title_line *l = ui->title_kept;
    if (l && !app->feed && key == ui->title_key && ui->title_clock >= 0 &&
        l->part[ui->title_clock].shown == TITLE_FULL) {
        struct title_part *p = &l->part[ui->title_clock];
        char *text = sanitize(clock_text, SANITIZE_FOLD | (l->ascii ? SANITIZE_ASCII : 0));
        if (sanitize_width(text) == sanitize_width(p->text)) {
            free(p->text);
            p->text = text;
            return l;
        }
        free(text);
    }
    if (!l)
        l = ui->title_kept = xcalloc(1, sizeof *l);
    title_free(l);
    l->ascii = ui->ascii;
    ui->title_clock = build_title(ui, l, clock_text);
    title_fit(l, ui->cols - 2);
    ui->title_key = key;
    return l;
}

static void draw_title_lines(struct ui *ui)
{
    struct title_line servers = { .ascii = ui->ascii };
    char clock[16];
    struct title_line *title = title_now(ui, clock_time_local(now_wall(), clock, sizeof clock));
    build_servers(ui, &servers);
    title_fit(&servers, ui->cols - 2);
    int title_fill = ui->app->cfg->read_only ? THEME_TITLE_READONLY : THEME_TITLE;
    /* A title on the screen that differs from the one to draw in its
     * clock alone gets its clock (the rightmost part, as wide as before). */
    unsigned long body = mix(mix(title_inputs_but(title, ui->title_clock), (unsigned long)title_fill),
                             (unsigned long)ui->cols << 32 | (unsigned)ui->rows);
    bool on_screen = ui->lines_drawn[LINE_TITLE] != 0 && !ui->repaint_all;
    if (line_changed(ui, LINE_TITLE, mix(title_inputs_but(title, -1), (unsigned long)title_fill))) {
        const struct title_part *clock_part = ui->title_clock >= 0 ? &title->part[ui->title_clock] : NULL;
        if (on_screen && body == ui->title_body_drawn && clock_part && clock_part->shown == TITLE_FULL) {
            int w = sanitize_width(clock_part->text);
            attrset(ATTR(clock_part->style));
            draw_text(ui, stdscr, 0, 1 + (ui->cols - 2) - w, w, clock_part->text);
        } else {
            draw_title_line(ui, 0, 1, ui->cols - 2, title, title_fill);
        }
        ui->title_body_drawn = body;
    }
    if (line_changed(ui, LINE_SERVERS, title_inputs_but(&servers, -1)))
        draw_title_line(ui, 1, 1, ui->cols - 2, &servers, THEME_STATUS);
    char dropped[1024] = "";
    title_dropped(title, dropped, sizeof dropped);
    title_dropped(&servers, dropped, sizeof dropped);
    free(ui->title_dropped);
    ui->title_dropped = *dropped ? xstrdup(dropped) : NULL;
    title_free(&servers);
}

static void draw_tabs(struct ui *ui)
{
    attrset(ATTR(THEME_TAB));
    mvhline(2, 0, ' ', ui->cols);
    int x = 0;
    for (int i = 0; i < ui->npanes; i++) {
        char buf[48];
        snprintf(buf, sizeof buf, " %d %s ", i + 1, ui->panes[i].subject->title);
        int len = (int)strlen(buf);
        if (x + len > ui->cols) {
            /* Too narrow for names: numbers still reach every pane. */
            snprintf(buf, sizeof buf, " %d ", i + 1);
            len = (int)strlen(buf);
            if (x + len > ui->cols)
                break;
        }
        attrset(ATTR(i == ui->focus ? THEME_TAB_ACTIVE : THEME_TAB));
        mvaddstr(2, x, buf);
        x += len;
    }
}

/* The texts one after another, in a new string (caller frees): a pane's
 * title is made for every pane at every frame, and xasprintf's two passes
 * of a 12-part format were 4 % of a steady console's instructions (issue
 * 14, callgrind). */
static char *join_texts(const char *const *parts, int n)
{
    size_t len[16], total = 0;
    for (int i = 0; i < n && i < 16; i++)
        total += len[i] = strlen(parts[i]);
    char *out = xmalloc(total + 1), *at = out;
    for (int i = 0; i < n && i < 16; i++) {
        memcpy(at, parts[i], len[i]);
        at += len[i];
    }
    *at = '\0';
    return out;
}

/* The pane's title line: its number and subject, the table shown, the
 * filter and zoom marks, and how old or stale its data is.  Caller frees. */
static char *pane_title(struct ui *ui, struct pane *p)
{
    char as_of[32];
    const struct table_def *t = p->cls->ntables ? &p->cls->tables[p->mode < p->cls->ntables ? p->mode : 0] : NULL;
    /* Stale rows (table_draw greys them) say in the title since when, and
     * why when the latest run failed ("primary not connected", "timed out
     * after 10 s"): the rows stay, so the reason goes here. */
    draw_as_of(as_of, sizeof as_of, t ? collectors_stale_as_of(ui->app, t->collector) : 0);
    const struct snapshot *latest = *as_of ? collectors_snapshot(ui->app, t->collector) : NULL;
    const char *why = latest && latest->error ? latest->error : NULL;
    /* A viewer's panes say how old their data is (the agent publishes on
     * change and at least every keep-alive). */
    char age[QUANTITY_LEN + 8] = "";
    double fed_age = ui->app->feed && t && !*as_of && !p->subject->fleet ? collectors_fed_age(ui->app, t->collector)
                                                                          : -1;
    if (fed_age >= 0) {
        char secs[QUANTITY_LEN];
        snprintf(age, sizeof age, " %s old", quantity_duration(secs, sizeof secs, fed_age));
    }
    char number[16];
    snprintf(number, sizeof number, "%d ", ui_pane_number(ui, p));
    const char *parts[] = {
        number, p->subject->title,
        t && p->cls->ntables > 1 ? " - " : "", t && p->cls->ntables > 1 ? t->collector : "",
        p->table.filter ? " [filtered]" : "", ui->zoomed ? " [zoomed: z]" : "", age,
        *as_of ? " " : "", as_of,
        why ? " (" : "", why ? why : "", why ? ")" : "",
    };
    return join_texts(parts, (int)(sizeof parts / sizeof parts[0]));
}

/* ---- the repaint rule ---------------------------------------------------
 *
 * A frame draws a pane again only when something it shows may have
 * changed; otherwise its cells stay on stdscr as the last frame left them
 * and cost nothing (curses sends only cells that differ, but filling them
 * in is most of a frame's work).  What a pane shows depends on:
 *   - the collectors of its subject and of the subjects it `reads`
 *     (pane_class): each one's change count (collector.h: a run that
 *     brings the same data keeps the count) and its stale mark;
 *   - its title (data age, stale time, why a run failed, filter, zoom):
 *     a title that alone changed redraws only the box around the pane;
 *   - where it is and its size, focus, table, selection, scroll, sort and
 *     filter;
 *   - state no collector publishes, through the class's `inputs` hook.
 * These are hashed into one number per pane; a frame for new data or the
 * clock (ui_dirty_data) draws a pane whose number is the one it was last
 * drawn with only if it is not on stdscr any more.  Anything else (a key,
 * a resize, an overlay, a message, a server's state: ui_dirty) draws
 * every pane, and so does a new layout. */

/* The collector found once by name, and one clock reading for the frame
 * (ui->frame_now): by name twice for each collector of each pane read,
 * at every frame, it was 4 % of a steady console's instructions (issue
 * 14, callgrind). */
static unsigned long mix_subject(const struct ui *ui, unsigned long h, const struct subject *s)
{
    for (int i = 0; s && i < s->ncollectors; i++) {
        const struct collector *c = collector_find(ui->app, s->collectors[i].name);
        if (!c)
            continue;
        h = mix(h, c->changes);
        h = mix_double(h, collector_stale_as_of(c, ui->frame_now));
    }
    return h;
}

/* Everything but the title: a title that alone changed (a viewer's
 * "2.0s old" every second) redraws the frame around the pane, not the
 * pane. */
static unsigned long pane_body_inputs(struct ui *ui, struct pane *p)
{
    const struct table_state *st = &p->table;
    unsigned long h = 14695981039346656037UL;
    h = mix_subject(ui, h, p->subject);
    for (const char *const *r = p->cls->reads; r && *r; r++)
        h = mix_subject(ui, h, subject_find(*r));
    h = mix(h, (unsigned long)p->y << 48 | (unsigned long)p->x << 32 | (unsigned long)p->h << 16 | (unsigned long)p->w);
    h = mix(h, (unsigned long)(p == ui_focused(ui)) << 40 | (unsigned long)p->mode << 32 | (unsigned)st->selected);
    h = mix(h, (unsigned long)(unsigned)st->top << 32 | (unsigned)(st->sort_column + 1) << 1 | st->sort_descending);
    h = mix_text(h, st->filter);
    h = mix_text(h, st->selected_key);
    if (p->cls->inputs)
        h = p->cls->inputs(ui, p, h);
    return h;
}

static void draw_pane(struct ui *ui, struct pane *p)
{
    if (p->h < 3 || p->w < 10)
        return;
    char *title = pane_title(ui, p);
    unsigned long body = pane_body_inputs(ui, p), inputs = mix_text(body, title);
    bool focused = p == ui_focused(ui);
    if (!ui->repaint_all && p->drawn && inputs == p->drawn_inputs) {
        free(title);
        return;
    }
    /* Its cells on stdscr are those of its last draw, in the same place:
     * only the box and the header are cleared, and the table leaves alone
     * the lines that would be drawn the same (table.c). */
    bool kept = !ui->repaint_all && p->drawn && p->drawn_y == p->y && p->drawn_x == p->x &&
                p->drawn_h == p->h && p->drawn_w == p->w;
    p->drawn_inputs = inputs;
    if (!ui->repaint_all && p->drawn && body == p->drawn_body) {
        /* The same place (in the body's inputs): the title's line alone. */
        draw_box_top(ui, stdscr, p->y, p->x, 0, p->w, title, focused);
        free(title);
        return;
    }
    p->drawn_body = body;
    p->drawn = true;
    p->drawn_y = p->y;
    p->drawn_x = p->x;
    p->drawn_h = p->h;
    p->drawn_w = p->w;
    p->draws++;
    for (int pass = 0; pass < 2; pass++) {
        attrset(ATTR(THEME_NORMAL));
        int clear_h = kept ? 1 + p->header_drawn : p->h;
        for (int y = p->y; y < p->y + clear_h && y < p->y + p->h; y++)
            mvhline(y, p->x, ' ', p->w);
        if (kept)
            draw_box_top(ui, stdscr, p->y, p->x, p->header_drawn < p->h - 2 ? p->header_drawn : p->h - 2, p->w,
                         title, focused);
        else
            draw_box(ui, stdscr, p->y, p->x, p->h, p->w, title, focused);
        int y = p->y + 1, x = p->x + 1, h = p->h - 2, w = p->w - 2;
        int used = 0;
        if (p->cls->draw_header) {
            /* A header that can use more lines says how many as it draws
             * (header_want); a one-line header is one. */
            p->header_want = -1;
            used = p->cls->draw_header(ui, p, stdscr, y, x, w, h);
            if (p->header_want < 0)
                p->header_want = used > 1 ? used : 1;
        }
        /* A header of another height than last time moves the table:
         * draw the whole pane again, from a cleared area. */
        if (kept && used != p->header_drawn) {
            p->header_drawn = used;
            kept = false;
            continue;
        }
        p->header_drawn = used;
        y += used;
        h -= used;
        p->table.kept = kept;
        if (h > 0)
            table_draw(ui, p, stdscr, y, x, h, w);
        break;
    }
    free(title);
}

/* An alert's text is whole (a reason, every name in it): cut here, to
 * the room left on the line, and say so with an ellipsis. */
static int draw_cut(struct ui *ui, int y, int x, int room, const char *text)
{
    const char *ellipsis = ui->ascii ? "..." : "\u2026";
    char *safe = sanitize(text, ui->ascii ? SANITIZE_ASCII : 0);
    int used;
    if (sanitize_width(safe) <= room || room <= sanitize_width(ellipsis)) {
        used = draw_text(ui, stdscr, y, x, room, safe);
    } else {
        int keep = room - sanitize_width(ellipsis);
        char *cut = xasprintf("%.*s%s", (int)sanitize_fit(safe, keep), safe, ellipsis);
        used = draw_text(ui, stdscr, y, x, room, cut);
        free(cut);
    }
    free(safe);
    return used;
}

static void draw_alerts(struct ui *ui)
{
    struct alert alerts[16];
    int n = alerts_evaluate(ui->app, alerts, 16);
    unsigned long inputs = mix_double(14695981039346656037UL, n ? 0 : alerts_as_of(ui->app));
    for (int i = 0; i < n; i++) {
        inputs = mix_text(inputs, alerts[i].text);
        inputs = mix(inputs, (unsigned long)alerts[i].level);
        inputs = mix_double(inputs, alerts[i].as_of);
    }
    if (!line_changed(ui, LINE_ALERTS, inputs)) {
        alerts_free(alerts, n);
        return;
    }
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
        int used = draw_cut(ui, y, x, ui->cols - x - 1, text);
        free(text);
        x += used;
        if (i + 1 < n && x < ui->cols - 4) {
            attrset(ATTR(THEME_STATUS));
            mvaddstr(y, x, " | ");
            x += 3;
        }
    }
    alerts_free(alerts, n);
}

static void draw_bottom(struct ui *ui)
{
    int y = ui->rows - 1;
    struct app *app = ui->app;
    /* The prompt is drawn every frame: it leaves the cursor at its end. */
    unsigned long inputs = mix_text(mix((unsigned long)app->message_is_error << 1 | ui->prompting, ui->npanes),
                                    app->message);
    if (!ui->prompting && !line_changed(ui, LINE_KEYS, inputs))
        return;
    if (ui->prompting)
        ui->lines_drawn[LINE_KEYS] = 0;
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
    char keys[16] = "";
    if (ui->npanes > 1)
        snprintf(keys, sizeof keys, "/1-%d", ui->npanes < 9 ? ui->npanes : 9);
    char hint[128];
    if (ui->cols >= 100)
        snprintf(hint, sizeof hint, " ?:help  q:quit  Tab%s:pane  z:zoom  /:filter  <>:sort  Enter:details"
                 "  p:pause  +/-:interval  ::command", keys);
    else
        snprintf(hint, sizeof hint, " ?:help q:quit Tab:pane /:filter Enter:details");
    draw_text(ui, stdscr, y, 0, ui->cols, hint);
}

static void remake_panes(struct ui *ui);
static void clock_cb(uv_timer_t *t);
static uint64_t clock_next_ms(const struct ui *ui);

static void draw(struct ui *ui)
{
    double t0 = now_monotonic();
    ui->frame_now = t0;
    /* This frame shows whatever a pending coalesced one would, and the
     * clock as it is now: the clock's own frame is due a second from
     * here, so a tick's frame every second is the only one (the clock
     * is never more than a second behind). */
    uv_timer_stop(&ui->coalesce);
    ui->clock_waited = false;
    if (uv_is_active((uv_handle_t *)&ui->clock))
        uv_timer_start(&ui->clock, clock_cb, clock_next_ms(ui), 1000);
    if (ui->view_changed)
        remake_panes(ui);
    getmaxyx(stdscr, ui->rows, ui->cols);
    bool was_tabbed = ui->tabbed;
    layout(ui);
    if (ui->tabbed != was_tabbed)
        ui->repaint_all = true;
    if (ui->rows < 10 || ui->cols < 40) {
        /* Nothing of the panes stays on the screen. */
        for (int i = 0; i < ui->npanes; i++)
            ui->panes[i].drawn = false;
        memset(ui->lines_drawn, 0, sizeof ui->lines_drawn);
        erase();
        attrset(ATTR(THEME_NORMAL));
        mvaddstr(0, 0, "pgdeck: terminal too small");
        mvaddstr(1, 0, "(40x10 at least; q quits)");
    } else {
        draw_title_lines(ui);
        if (ui->tabbed)
            draw_tabs(ui);
        for (int i = 0; i < ui->npanes; i++)
            if (ui->panes[i].h > 0)
                draw_pane(ui, &ui->panes[i]);
        draw_alerts(ui);
        draw_bottom(ui);
        overlay_follow(ui);
        overlay_draw(ui);
    }
    curs_set(ui->prompting ? 1 : 0);
    wnoutrefresh(stdscr);
    doupdate();
    /* Only a viewer has a feed: a console does not call into its code
     * (linked with the cold parts, Makefile). */
    if (ui->app->feed)
        stream_feed_drawn(ui->app->feed);
    ui->dirty = false;
    ui->repaint_all = false;
    ui->layout_now = false;
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
        keymap_dispatch(ui, ch);
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

/* A clock frame due while the tick's frame is about to come waits for
 * it, this long at most past the tick: the tick's frame shows the clock
 * too.  Drawn on its own it was a second frame in most seconds of a
 * steady console (the tick's collectors answer a few ms later or sooner
 * each second, the clock's timer runs a second from the last frame):
 * 38 of 98 frames a minute under pgbench, each a pass over every pane's
 * inputs, the alerts and a doupdate (issue 14, callgrind). */
#define CLOCK_WAIT_TICK_MS 200

/* Milliseconds to wait for the tick's frame, or 0 to draw the clock now:
 * a tick is under way (its frame comes within COALESCE_MAX_MS) or is due
 * within CLOCK_WAIT_TICK_MS. */
static uint64_t clock_wait_ms(const struct ui *ui)
{
    const struct app *app = ui->app;
    if (ui->clock_waited || app->paused || !collectors_ticking(app) || app->stopping || app->feed)
        return 0;
    if (tick_running(app, now_monotonic()))
        return COALESCE_MAX_MS;
    uint64_t due = uv_timer_get_due_in(&app->tick);
    if (uv_is_active((const uv_handle_t *)&app->tick) && due <= CLOCK_WAIT_TICK_MS)
        return due + COALESCE_MAX_MS;
    return 0;
}

/* When the clock's own frame is due after a frame: a second later, or
 * CLOCK_WAIT_TICK_MS past that when a tick comes within the second (its
 * frame shows the clock): the timer then does not wake the loop only to
 * find the tick's frame under way (issue 14: a wake-up a second). */
static uint64_t clock_next_ms(const struct ui *ui)
{
    const struct app *app = ui->app;
    if (app->paused || !collectors_ticking(app) || app->stopping || app->feed ||
        !uv_is_active((const uv_handle_t *)&app->tick) || uv_timer_get_due_in(&app->tick) > 1000)
        return 1000;
    return 1000 + CLOCK_WAIT_TICK_MS;
}

static void clock_cb(uv_timer_t *t)
{
    struct ui *ui = t->data;
    uint64_t wait = clock_wait_ms(ui);
    if (wait) {
        /* Once: if the tick's frame does not come (a stuck server), the
         * clock draws at the end of the wait. */
        ui->clock_waited = true;
        ui->clock_waits++;
        uv_timer_start(&ui->clock, clock_cb, wait, 1000);
        return;
    }
    ui->clock_frames++;
    /* The title's clock, ages and stale marks: the panes whose title or
     * stale mark changed are drawn again, the others stay. */
    ui_dirty_data(ui);
}

/* ---- lifecycle ---------------------------------------------------------- */

/* One pane per subject that has one, in subjects[] order, each drawn by
 * the pane class that names its subject (pane_registry.h).  A subject
 * without its class, or a class without its subject, is a build that
 * lost a file: say which, rather than show a pane short. */
static int make_panes(struct ui *ui)
{
    ui->panes = xcalloc((size_t)(nsubjects ? nsubjects : 1), sizeof *ui->panes);
    ui->npanes = 0;
    /* Another set of panes: the last layout (for the hysteresis) was for
     * the old one. */
    free(ui->layout);
    ui->layout = NULL;
    /* A viewer of the fleet shows the fleet's pane alone; everything else
     * shows every other subject's. */
    bool fleet_view = ui->app->feed && !stream_feed_target(ui->app->feed);
    for (int i = 0; i < nsubjects; i++) {
        if (!subjects[i]->has_pane || subjects[i]->fleet != fleet_view)
            continue;
        const struct pane_class *cls = pane_registry_find(subjects[i]->name);
        if (!cls) {
            fprintf(stderr, "pgdeck: no pane class for the subject %s (ui/panes/pane_%s.c)\n",
                    subjects[i]->name, subjects[i]->name);
            return -1;
        }
        struct pane *p = &ui->panes[ui->npanes++];
        p->subject = subjects[i];
        p->cls = cls;
        p->table.sort_column = -1;
        p->header_want = cls->draw_header ? 1 : 0;
        /* The way back to a view: its panes as they were left. */
        for (int k = 0; k < ui->nkept; k++) {
            if (ui->kept[k].subject == p->subject) {
                *p = ui->kept[k];
                memset(&ui->kept[k], 0, sizeof ui->kept[k]);
            }
        }
    }
    for (int i = 0; i < pane_registry_count; i++) {
        const struct subject *s = subject_find(pane_registry[i]->subject);
        if (!s || !s->has_pane) {
            fprintf(stderr, "pgdeck: the pane class pane_%s draws no subject with a pane (src/subjects/subjects.c)\n",
                    pane_registry[i]->subject);
            return -1;
        }
    }
    if (ui->npanes == 0) {
        fprintf(stderr, "pgdeck: no subject has a pane\n");
        return -1;
    }
    return 0;
}

/* A viewer turned to the fleet or to another agent: the panes of that
 * view, the ones left kept for the way back.  The snapshots a table
 * state holds were another agent's: dropped. */
static void remake_panes(struct ui *ui)
{
    ui->view_changed = false;
    overlay_decline(ui);
    for (int k = 0; k < ui->nkept; k++)
        table_state_free(&ui->kept[k].table);
    free(ui->kept);
    ui->kept = ui->panes;
    ui->nkept = ui->npanes;
    for (int k = 0; k < ui->nkept; k++) {
        snapshot_unref(ui->kept[k].table.shown);
        ui->kept[k].table.shown = NULL;
        ui->kept[k].table.norder = 0;
    }
    ui->panes = NULL;
    ui->npanes = 0;
    ui->focus = 0;
    if (make_panes(ui) != 0)
        ui->quit = true;
    clear();
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
    ui->ascii = app->cfg->ascii || !utf8_locale_active();

    if (make_panes(ui) != 0) {
        free(ui->panes);
        return 2;
    }

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
    /* ncurses 6.4 writes its buffer out after every cursor move until
     * endwin has been called once (it flushes there while it takes the
     * screen for "not started yet"): a frame of scattered changes was 40
     * write(2)s of 10 to 40 bytes each, a system call and a pass through
     * the pty per changed line (issue 14, strace -c: about 1,400 writes a
     * 35 s run).  Leaving and resuming at once, before anything is drawn,
     * makes doupdate send each frame in one write. */
    endwin();
    refresh();
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
    /* Rows that moved up or down (a session gone from the activity list)
     * are scrolled into place by the terminal rather than rewritten. */
    idlok(stdscr, TRUE);
    nodelay(stdscr, TRUE);
    set_escdelay(25);
    curs_set(0);
    if (app->cfg->mouse)
        mousemask(BUTTON1_CLICKED | BUTTON1_PRESSED, NULL);
    colors_use(ui, app->cfg->theme);
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

    overlay_decline(ui);
    restore_terminal();
    keymap_stats(ui);
    app->on_change = NULL;
    app->ui = NULL;
    for (int i = 0; i < ui->npanes; i++)
        table_state_free(&ui->panes[i].table);
    free(ui->panes);
    free(ui->layout);
    if (ui->title_kept)
        title_free(ui->title_kept);
    free(ui->title_kept);
    free(ui->title_dropped);
    for (int i = 0; i < ui->nkept; i++)
        table_state_free(&ui->kept[i].table);
    free(ui->kept);
    overlay_free(ui);
    collectors_stop(app);
    app_close(app);
    collectors_free(app);
    loop_close_all(ui->loop);
    return ui->exit_code;
}
