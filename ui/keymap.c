#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "colors.h"
#include "core/action.h"
#include "core/collector.h"
#include "core/stream_feed.h"
#include "keymap.h"
#include "overlay.h"
#include "table.h"
#include "base/numparse.h"
#include "base/quantity.h"
#include "base/textout.h"
#include "ui.h"
#include "ui_actions.h"
#include "base/xalloc.h"

static int quit(struct ui *ui, int ch)
{
    (void)ch;
    ui->quit = true;
    return KEY_HANDLED;
}

static int help(struct ui *ui, int ch)
{
    (void)ch;
    int n = 0;
    char **lines = keymap_help(ui, &n);
    overlay_show(ui, OVERLAY_HELP, "pgdeck help", lines, n, 0);
    return KEY_HANDLED;
}

static int focus_next(struct ui *ui, int ch)
{
    int step = ch == KEY_BTAB ? ui->npanes - 1 : 1;
    ui->focus = (ui->focus + step) % ui->npanes;
    return KEY_HANDLED | KEY_REDRAW;
}

/* `1`-`9`: the pane of that number, when there is one. */
static int focus_number(struct ui *ui, int ch)
{
    if (ch - '1' >= ui->npanes)
        return KEY_IGNORED;
    ui->focus = ch - '1';
    return KEY_HANDLED | KEY_REDRAW;
}

/* tmux's prefix-z: the focused pane alone on the screen, and back.
 * Tab and the numbers then show the next pane zoomed. */
static int zoom(struct ui *ui, int ch)
{
    (void)ch;
    ui->zoomed = !ui->zoomed;
    return KEY_HANDLED | KEY_REDRAW;
}

static int details(struct ui *ui, int ch)
{
    (void)ch;
    overlay_details(ui);
    return KEY_HANDLED;
}

static int start_filter(struct ui *ui, int ch)
{
    (void)ch;
    overlay_prompt_start(ui, '/');
    return KEY_HANDLED;
}

static int command(struct ui *ui, int ch)
{
    (void)ch;
    overlay_prompt_start(ui, ':');
    return KEY_HANDLED;
}

/* Esc: clears the filter; with none, a viewer of one agent of the fleet
 * goes back to the fleet. */
static int clear_filter(struct ui *ui, int ch)
{
    (void)ch;
    struct pane *p = ui_focused(ui);
    struct stream_feed *feed = ui->app->feed;
    if (p->table.filter) {
        free(p->table.filter);
        p->table.filter = NULL;
    } else if (feed && stream_feed_target(feed) && stream_feed_has_fleet(feed)) {
        char err[256];
        if (stream_feed_switch(feed, NULL, err, sizeof err) != 0)
            app_message(ui->app, true, "%s", err);
    }
    return KEY_HANDLED | KEY_REDRAW;
}

/* :target NAME watches another agent; :target alone goes back to the
 * fleet. */
static void target_command(struct ui *ui, const char *arg)
{
    struct stream_feed *feed = ui->app->feed;
    if (!feed) {
        app_message(ui->app, true, ":target is a viewer's (pgdeck --from REDIS_URL): this console reads its "
                                   "database itself");
        return;
    }
    char err[256];
    if (stream_feed_switch(feed, *arg ? arg : NULL, err, sizeof err) != 0)
        app_message(ui->app, true, ":target: %s", err);
}

static int pause_toggle(struct ui *ui, int ch)
{
    (void)ch;
    collectors_pause(ui->app, !ui->app->paused);
    return KEY_HANDLED | KEY_REDRAW;
}

static void set_interval(struct ui *ui, double interval)
{
    interval = collectors_set_interval(ui->app, interval);
    char every[QUANTITY_LEN];
    app_message(ui->app, false, "refresh every %s", quantity_duration(every, sizeof every, interval));
}

static int interval_change(struct ui *ui, int ch)
{
    double i = ui->app->interval;
    /* Steps an operator would choose: 0.2 0.5 1 2 5 10 30 60. */
    static const double steps[] = { 0.2, 0.5, 1, 2, 5, 10, 30, 60 };
    int n = sizeof steps / sizeof steps[0];
    double next = i;
    if (ch == '+') {
        for (int k = 0; k < n; k++)
            if (steps[k] > i + 1e-9) {
                next = steps[k];
                break;
            }
    } else {
        for (int k = n - 1; k >= 0; k--)
            if (steps[k] < i - 1e-9) {
                next = steps[k];
                break;
            }
    }
    set_interval(ui, next);
    return KEY_HANDLED | KEY_REDRAW;
}

static int redraw(struct ui *ui, int ch)
{
    (void)ui;
    (void)ch;
    clearok(curscr, TRUE);
    return KEY_HANDLED | KEY_REDRAW;
}

struct key_binding {
    int         key;
    int       (*fn)(struct ui *ui, int ch);
    const char *keys;       /* as shown in help; NULL: an alias of the row above */
    const char *help;
};

static const struct key_binding global_keys[] = {
    { 'q',        quit,            "q F10",         "quit (the terminal is always restored)" },
    { KEY_F(10),  quit,            NULL, NULL },
    { '?',        help,            "? F1",          "this help" },
    { KEY_F(1),   help,            NULL, NULL },
    { '\t',       focus_next,      "Tab S-Tab",     "next / previous pane" },
    { KEY_BTAB,   focus_next,      NULL, NULL },
    /* The panes' numbers: the help lists them (keymap_help). */
    { '1',        focus_number,    NULL, NULL },
    { '2',        focus_number,    NULL, NULL },
    { '3',        focus_number,    NULL, NULL },
    { '4',        focus_number,    NULL, NULL },
    { '5',        focus_number,    NULL, NULL },
    { '6',        focus_number,    NULL, NULL },
    { '7',        focus_number,    NULL, NULL },
    { '8',        focus_number,    NULL, NULL },
    { '9',        focus_number,    NULL, NULL },
    { 'z',        zoom,            "z",             "zoom the pane to the whole screen and back" },
    { '\r',       details,         "Enter",         "details of the selected row" },
    { '\n',       details,         NULL, NULL },
    { KEY_ENTER,  details,         NULL, NULL },
    { '/',        start_filter,    "/",             "filter the pane (Esc clears)" },
    { 27,         clear_filter,    "Esc",           "clear the filter; a viewer: back to the fleet" },
    { ':',        command,         ":",             "command line (:help lists the commands)" },
    { ' ',        pause_toggle,    "Space p",       "pause / resume refreshing" },
    { 'p',        pause_toggle,    NULL, NULL },
    { '+',        interval_change, "+ -",           "refresh interval longer / shorter" },
    { '-',        interval_change, NULL, NULL },
    { 12,         redraw,          "Ctrl-L",        "redraw the screen" },
};

/* A key while no overlay or prompt is up: the focused pane's own keys,
 * then the action keys, then the table's, then the global ones. */
static void dispatch(struct ui *ui, int ch)
{
    struct pane *p = ui_focused(ui);
    int r = KEY_IGNORED;
    if (p->cls->key)
        r = p->cls->key(ui, p, ch);
    if (!r)
        r = ui_action_key(ui, ch);
    if (!r && p->cls->ntables)
        r = table_key(ui, p, ch);
    for (size_t i = 0; !r && i < sizeof global_keys / sizeof global_keys[0]; i++)
        if (global_keys[i].key == ch)
            r = global_keys[i].fn(ui, ch);
    ui_dirty(ui);
}

void keymap_dispatch(struct ui *ui, int ch)
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
        if (overlay_prompt_key(ui, ch))
            keymap_command(ui, ui->prompt_buf);
        return;
    }
    if (ui->overlay != OVERLAY_NONE) {
        /* From a row's details, an action key acts on that row (e on a
         * session's details explains it): the details close first. */
        if (ui->overlay == OVERLAY_DETAILS && ch > 0 && ch < 128 && action_for_key(ch)) {
            overlay_close(ui);
            dispatch(ui, ch);
            return;
        }
        overlay_key(ui, ch);
        return;
    }
    /* A key clears a message it did not cause. */
    if (ui->app->message) {
        free(ui->app->message);
        ui->app->message = NULL;
        ui_dirty(ui);
    }
    dispatch(ui, ch);
}

static const char *const table_help[][2] = {
    { "Up Down j k", "move the selection" },
    { "PgUp PgDn", "a page up / down" },
    { "Home End", "first / last row" },
    { "< >", "sort by the previous / next column" },
    { "s", "reverse the sort" },
};

char **keymap_help(struct ui *ui, int *n)
{
    int cap = 128, count = 0;
    char **lines = xcalloc((size_t)cap, sizeof *lines);
#define ADD(...) do { if (count < cap) lines[count++] = xasprintf(__VA_ARGS__); } while (0)
    const struct config *cfg = ui->app->cfg;
    char every[QUANTITY_LEN];
    ADD("mode: %s, refresh every %s%s", cfg->read_only ? "READ-ONLY viewer" : "operator console",
        quantity_duration(every, sizeof every, ui->app->interval), ui->app->paused ? " (paused)" : "");
    /* What the title lines had no room for, whole. */
    if (ui->title_dropped)
        ADD("not in the title for want of room: %s", ui->title_dropped);
    ADD("%s", "");
    ADD("%s", "Alert thresholds");
    const struct config_thresholds *t = &cfg->alerts;
    ADD("  slow query > %.0f ms, pool > %.0f %%, cache hit < %.0f %%, view older than %.0f h",
        t->slow_query_ms, t->pool_percent, t->cache_hit_percent, t->view_age_hours);
    ADD("  replica lag > %.0f s or %.0f MB, partitions ahead < %.0f month(s), disk full < %.0f days",
        t->replica_lag_seconds, t->replica_lag_bytes / 1048576, t->partition_ahead_months, t->disk_full_days);
    ADD("  lock wait > %g s behind one blocker", t->lock_wait_seconds);
    ADD("%s", "");
    ADD("%s", "Everywhere");
    for (size_t i = 0; i < sizeof global_keys / sizeof global_keys[0]; i++) {
        if (global_keys[i].keys)
            ADD("  %-14s %s", global_keys[i].keys, global_keys[i].help);
        /* The pane numbers, after Tab: as many as there are panes. */
        if (global_keys[i].key == KEY_BTAB && ui->npanes > 1) {
            char keys[16], list[256] = "";
            int reach = ui->npanes < 9 ? ui->npanes : 9;
            snprintf(keys, sizeof keys, "1-%d", reach);
            for (int p = 0; p < reach; p++) {
                size_t len = strlen(list);
                snprintf(list + len, sizeof list - len, "%s%d %s", p ? " " : "", p + 1, ui->panes[p].subject->name);
            }
            ADD("  %-14s %s", keys, list);
        }
    }
    ADD("%s", "");
    ADD("%s", "Lists");
    for (size_t i = 0; i < sizeof table_help / sizeof table_help[0]; i++)
        ADD("  %-14s %s", table_help[i][0], table_help[i][1]);
    ADD("%s", "");
    ADD("%s", "Actions");
    int an = 0;
    const char *const (*rows)[2] = ui_action_help(&an);
    for (int i = 0; i < an; i++)
        ADD("  %-14s %s", rows[i][0], rows[i][1]);
    ADD("%s", "");
    ADD("%s", "Panes");
    for (int i = 0; i < ui->npanes; i++)
        ADD("  %d %-12s %s", i + 1, ui->panes[i].subject->title,
            ui->panes[i].cls->help ? ui->panes[i].cls->help : "");
    ADD("%s", "");
#undef ADD
    *n = count;
    return lines;
}

/* ":" commands that are not actions. */
void keymap_command(struct ui *ui, const char *line)
{
    while (isspace((unsigned char)*line))
        line++;
    char verb[32] = "";
    int len = 0;
    while (line[len] && !isspace((unsigned char)line[len]) && len < 31)
        len++;
    memcpy(verb, line, (size_t)len);
    verb[len] = '\0';
    const char *arg = line + len;
    while (isspace((unsigned char)*arg))
        arg++;
    if (!*verb)
        return;
    if (strcmp(verb, "q") == 0 || strcmp(verb, "quit") == 0) {
        ui->quit = true;
    } else if (strcmp(verb, "theme") == 0) {
        if (!*arg)
            app_message(ui->app, true, ":theme needs a name (default, light, high-contrast, mono) or a file");
        else
            colors_switch(ui, arg);
    } else if (strcmp(verb, "help") == 0) {
        help(ui, '?');
    } else if (strcmp(verb, "target") == 0) {
        target_command(ui, arg);
    } else if (strcmp(verb, "interval") == 0) {
        double v;
        if (numparse_double(arg, &v) != 0 || v < 0.2 || v > 60)
            app_message(ui->app, true, ":interval takes seconds between 0.2 and 60, not '%s'", arg);
        else
            set_interval(ui, v);
    } else if (!ui_action_command(ui, verb, arg)) {
        app_message(ui->app, true, "unknown command ':%s' (:help lists the keys and commands)", verb);
    }
    ui_dirty(ui);
}

void keymap_mouse(struct ui *ui)
{
    MEVENT ev;
    if (getmouse(&ev) != OK)
        return;
    for (int i = 0; i < ui->npanes; i++) {
        struct pane *p = &ui->panes[i];
        if (p->h > 0 && ev.y >= p->y && ev.y < p->y + p->h && ev.x >= p->x && ev.x < p->x + p->w) {
            ui->focus = i;
            /* Row clicks: the table starts two lines below the pane top
             * (border, header); panes with a header area are approximate. */
            int row = ev.y - p->y - 2;
            if (row >= 0 && !p->cls->draw_header)
                table_select(ui, p, p->table.top + row);
            ui_dirty(ui);
            return;
        }
    }
    if (ui->tabbed && ev.y == 2) {
        int x = 0;
        for (int i = 0; i < ui->npanes; i++) {
            int len = (int)strlen(ui->panes[i].subject->title) + 4;
            if (ev.x >= x && ev.x < x + len) {
                ui->focus = i;
                break;
            }
            x += len;
        }
        ui_dirty(ui);
    }
}

static int compare_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return x < y ? -1 : x > y;
}

void keymap_stats(struct ui *ui)
{
    const char *path = ui->app->cfg->stats_file;
    if (!path)
        return;
    FILE *f = fopen(path, "w");
    if (!f) {
        textout_line(stderr, "pgdeck: --stats %s: cannot write", path);
        return;
    }
    fprintf(f, "frames %lu\n", ui->frames);
    fprintf(f, "clock_frames %lu\n", ui->clock_frames);
    fprintf(f, "clock_waits %lu\n", ui->clock_waits);
    fprintf(f, "layout_moves %lu\n", ui->layout_moves);
    fprintf(f, "layout_held %lu\n", ui->layout_held);
    fprintf(f, "layout_data_moves %lu\n", ui->layout_data_moves);
    fprintf(f, "frame_last_ms %.3f\n", ui->frame_time * 1000);
    fprintf(f, "frame_max_ms %.3f\n", ui->frame_max * 1000);
    if (ui->frames) {
        /* The median and 99th percentile of the last frames (nearest rank). */
        size_t n = ui->frames < UI_FRAME_RECENT ? ui->frames : UI_FRAME_RECENT;
        float sorted[UI_FRAME_RECENT];
        memcpy(sorted, ui->frame_recent, n * sizeof sorted[0]);
        qsort(sorted, n, sizeof sorted[0], compare_float);
        fprintf(f, "frame_mean_ms %.3f\n", ui->frame_total / (double)ui->frames * 1000);
        fprintf(f, "frame_median_ms %.3f\n", sorted[(n + 1) / 2 - 1] * 1000.0);
        fprintf(f, "frame_p99_ms %.3f\n", sorted[(n * 99 + 99) / 100 - 1] * 1000.0);
    }
    if (ui->first_frame_at)
        fprintf(f, "first_complete_frame_ms %.1f\n", (ui->first_frame_at - ui->started_at) * 1000);
    stream_feed_stats(ui->app->feed, f);
    /* How often each pane was drawn (the repaint rule, screen.c): a pane
     * whose inputs did not change is left as it is; and of its table's
     * lines, how many were drawn and how many left as they were. */
    for (int i = 0; i < ui->npanes; i++)
        fprintf(f, "pane %s draws %lu lines_drawn %lu lines_kept %lu\n", ui->panes[i].subject->name,
                ui->panes[i].draws, ui->panes[i].lines_drawn, ui->panes[i].lines_kept);
    for (int i = 0; i < ui->app->ncollectors; i++) {
        const struct collector *c = &ui->app->collectors[i];
        fprintf(f, "collector %s runs %lu failures %lu mean_ms %.3f max_ms %.3f cadence_s %.1f\n",
                c->def->name, c->runs, c->failures,
                c->runs ? c->total_elapsed / (double)c->runs * 1000 : 0, c->max_elapsed * 1000,
                collector_cadence(c));
    }
    fclose(f);
}
