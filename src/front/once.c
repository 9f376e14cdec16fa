/* --once: one snapshot of every collector, as text or JSON, then exit.
 *
 * Text is for people and pipes: a header, the servers, then one section
 * per collector in the order of subjects[] and their rows, each an aligned table
 * with its column names on the first line, and the alerts at the end.
 * Every cell is sanitized and folded to one line before it is measured
 * (a newline in a query text must not break the table), and everything is
 * written through the sanitizing writer (textout.h), so nothing a client
 * put in a query can reach the terminal as an escape.
 *
 * JSON is for programs, and its shape is part of the interface (the man
 * page documents it):
 *
 *   { "pgdeck":     { "version", "taken_at", "read_only", "interval", "primary" },
 *     "servers":    [ { "name", "configured", "state", "version", "standby", "error" } ],
 *     "collectors": { NAME: { "source", "taken_at", "elapsed_ms", "error",
 *                             "columns": [ ... ], "rows": [ [ ... ], ... ] } },
 *     "alerts":     [ { "level", "name", "text" } ] }
 *
 * Rows are arrays in column order of strings exactly as the server sent
 * them (text format, numbers not converted) or null for SQL NULL.  Every
 * string goes through jsontext_new: each invalid UTF-8 byte becomes U+FFFD,
 * so a row is never dropped because of what a client wrote into it.  The
 * document is written with every non-ASCII character escaped, so it is
 * plain ASCII and safe on any terminal; control characters are JSON
 * escapes. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/alerts.h"
#include "core/app.h"
#include "core/collector.h"
#include "core/openmetrics.h"
#include "core/stream.h"
#include "front/frontend.h"
#include "front/frontend_loop.h"
#include "base/jsontext.h"
#include "base/quantity.h"
#include "base/sanitize.h"
#include "base/textout.h"
#include "base/clock.h"
#include "base/xalloc.h"

#define MAX_ALERTS 64
/* A column is padded to at most this many columns of screen; a longer cell
 * (a query text) runs over rather than being cut, so no data is lost. */
#define MAX_PAD 48
/* A single row with this many columns or more (Redis INFO) reads better as
 * "name  value" lines than as one very wide line. */
#define VERTICAL_COLUMNS 24

/* ---- JSON ---------------------------------------------------------------- */

/* The servers and each collector as the stream writes them (stream.h):
 * one writer, so --once and an agent's stream entries cannot differ. */
static json_t *json_servers(const struct app *app)
{
    json_t *arr = json_array();
    for (int i = 0; i < SERVER_COUNT; i++) {
        const struct server *s = app_server(app, (enum server_id)i);
        bool on = server_configured(s), up = on && server_state(s) == PGCONN_UP;
        json_array_append_new(arr, stream_server_json(server_name(s), on,
            on ? pgconn_state_name(server_state(s)) : NULL,
            up ? server_version(s) : NULL, on && server_standby(s), on && !up ? server_error(s) : NULL));
    }
    return arr;
}

static json_t *json_snapshot(const struct collector *c, double waited)
{
    char msg[96];
    snprintf(msg, sizeof msg, "no result within %.0f s", waited);
    return stream_snapshot_json(c->current, collector_source_name(c->def->source), msg);
}

static int print_json(const struct app *app, const struct alert *alerts, int nalerts, double waited)
{
    char when[32];
    const struct config *cfg = app->cfg;
    json_t *collectors = json_object();
    for (int i = 0; i < app->ncollectors; i++)
        json_object_set_new(collectors, app->collectors[i].def->name,
                            json_snapshot(&app->collectors[i], waited));
    json_t *list = json_array();
    for (int i = 0; i < nalerts; i++)
        json_array_append_new(list, stream_alert_json(alerts[i].level, alerts[i].name, alerts[i].text));
    json_t *doc = json_pack("{s:{s:s, s:s, s:b, s:f, s:o}, s:o, s:o, s:o}",
        "pgdeck",
            "version", PGDECK_VERSION,
            "taken_at", iso_time_utc(now_wall(), when, sizeof when),
            "read_only", cfg->read_only,
            "interval", app->interval,
            "primary", jsontext_new(app->primary_display),
        "servers", json_servers(app),
        "collectors", collectors,
        "alerts", list);
    if (!doc)
        return -1;
    char *text = jsontext_dump(doc, JSON_INDENT(2) | JSON_ENSURE_ASCII | JSON_PRESERVE_ORDER);
    json_decref(doc);
    int rc = text && fputs(text, stdout) >= 0 ? 0 : -1;
    free(text);
    fputc('\n', stdout);
    return rc;
}

/* ---- text ---------------------------------------------------------------- */

static int text_flags(const struct app *app)
{
    return SANITIZE_FOLD | (app->cfg->ascii ? SANITIZE_ASCII : 0);
}

/* Print s (sanitized) padded to width columns; no padding when width is 0,
 * so lines carry no trailing blanks. */
static void put_cell(const char *s, int width)
{
    textout_printf(stdout, "%s", s);
    for (int w = sanitize_width(s); w < width; w++)
        textout_printf(stdout, " ");
}

/* cells[r * ncols + c], already sanitized; row -1 is the header. */
static void print_table(char **head, char **cells, int ncols, int nrows)
{
    int *width = xcalloc((size_t)ncols, sizeof *width);
    for (int c = 0; c < ncols; c++) {
        width[c] = sanitize_width(head[c]);
        for (int r = 0; r < nrows; r++) {
            int w = sanitize_width(cells[r * ncols + c]);
            if (w > width[c])
                width[c] = w;
        }
        if (width[c] > MAX_PAD)
            width[c] = MAX_PAD;
    }
    for (int r = -1; r < nrows; r++) {
        char **line = r < 0 ? head : cells + r * ncols;
        /* The last non-empty cell ends the line. */
        int last = ncols - 1;
        while (last > 0 && !*line[last])
            last--;
        for (int c = 0; c <= last; c++) {
            put_cell(line[c], c < last ? width[c] : 0);
            if (c < last)
                textout_printf(stdout, "  ");
        }
        textout_printf(stdout, "\n");
    }
    free(width);
}

static void print_snapshot_text(const struct app *app, const struct collector *c, double waited)
{
    const struct snapshot *s = c->current;
    int flags = text_flags(app);
    if (!s) {
        char within[QUANTITY_LEN];
        textout_printf(stdout, "[%s] error: no result within %s\n\n", c->def->name,
                       quantity_duration(within, sizeof within, waited));
        return;
    }
    if (s->error) {
        char *why = sanitize(s->error, flags);
        textout_printf(stdout, "[%s] error: %s\n\n", c->def->name, why);
        free(why);
        return;
    }
    char took[QUANTITY_LEN];
    textout_printf(stdout, "[%s] %d row%s, %s\n", c->def->name, s->nrows, s->nrows == 1 ? "" : "s",
                   quantity_duration(took, sizeof took, s->elapsed));
    if (s->ncols == 0) {
        textout_printf(stdout, "\n");
        return;
    }
    bool vertical = s->nrows == 1 && s->ncols >= VERTICAL_COLUMNS;
    int ncols = vertical ? 2 : s->ncols;
    int nrows = vertical ? s->ncols : s->nrows;
    char **head = xcalloc((size_t)ncols, sizeof *head);
    char **cells = xcalloc((size_t)(ncols * nrows > 0 ? ncols * nrows : 1), sizeof *cells);
    if (vertical) {
        head[0] = xstrdup("column");
        head[1] = xstrdup("value");
        for (int i = 0; i < s->ncols; i++) {
            cells[i * 2] = sanitize(s->columns[i], flags);
            cells[i * 2 + 1] = sanitize(snapshot_cell(s, 0, i), flags);
        }
    } else {
        for (int col = 0; col < ncols; col++)
            head[col] = sanitize(s->columns[col], flags);
        for (int r = 0; r < nrows; r++)
            for (int col = 0; col < ncols; col++)
                cells[r * ncols + col] = sanitize(snapshot_cell(s, r, col), flags);
    }
    print_table(head, cells, ncols, nrows);
    textout_printf(stdout, "\n");
    for (int i = 0; i < ncols; i++)
        free(head[i]);
    for (int i = 0; i < ncols * nrows; i++)
        free(cells[i]);
    free(head);
    free(cells);
}

static void print_servers_text(const struct app *app)
{
    int flags = text_flags(app);
    int n = SERVER_COUNT;
    char *head[] = { "name", "state", "version", "error" };
    char **cells = xcalloc((size_t)n * 4, sizeof *cells);
    for (int i = 0; i < n; i++) {
        const struct server *s = app_server(app, (enum server_id)i);
        bool on = server_configured(s);
        bool up = server_state(s) == PGCONN_UP;
        const char *state = !on ? "not configured" : pgconn_state_name(server_state(s));
        cells[i * 4] = xstrdup(server_name(s));
        cells[i * 4 + 1] = xasprintf("%s%s", state, on && server_standby(s) ? " (standby)" : "");
        cells[i * 4 + 2] = sanitize(on && up ? server_version(s) : NULL, flags);
        cells[i * 4 + 3] = sanitize(on && !up ? server_error(s) : NULL, flags);
    }
    textout_printf(stdout, "[servers]\n");
    print_table(head, cells, 4, n);
    textout_printf(stdout, "\n");
    for (int i = 0; i < n * 4; i++)
        free(cells[i]);
    free(cells);
}

static void print_text(const struct app *app, const struct alert *alerts, int nalerts, double waited)
{
    int flags = text_flags(app);
    char when[32];
    char *primary = sanitize(app->primary_display, flags);
    textout_printf(stdout, "pgdeck %s  %s  %s%s\n\n", PGDECK_VERSION, iso_time_utc(now_wall(), when, sizeof when),
           primary, app->cfg->read_only ? "  read-only" : "");
    free(primary);
    print_servers_text(app);
    for (int i = 0; i < app->ncollectors; i++)
        print_snapshot_text(app, &app->collectors[i], waited);
    textout_printf(stdout, "[alerts] %d\n", nalerts);
    if (nalerts == 0)
        return;
    char *head[] = { "level", "name", "text" };
    char **cells = xcalloc((size_t)nalerts * 3, sizeof *cells);
    for (int i = 0; i < nalerts; i++) {
        cells[i * 3] = xstrdup(stream_level_name(alerts[i].level));
        cells[i * 3 + 1] = sanitize(alerts[i].name, flags);
        cells[i * 3 + 2] = sanitize(alerts[i].text, flags);
    }
    print_table(head, cells, 3, nalerts);
    for (int i = 0; i < nalerts * 3; i++)
        free(cells[i]);
    free(cells);
}

/* ---- the front end -------------------------------------------------------- */

int frontend_once(struct app *app)
{
    double deadline = frontend_deadline(app);
    double start = now_monotonic();
    /* The output lists every session's locks, not only those of the
     * sessions that wait or block (what the console reads each refresh). */
    collector_more(app, "activity", true);
    frontend_collect(app, deadline);
    double waited = now_monotonic() - start;

    struct alert alerts[MAX_ALERTS];
    int nalerts = alerts_evaluate(app, alerts, MAX_ALERTS);
    int rc = 0;
    if (app->cfg->format == FORMAT_JSON) {
        if (print_json(app, alerts, nalerts, waited) != 0) {
            textout_line(stderr, "pgdeck: cannot write the JSON document");
            rc = 2;
        }
    } else if (app->cfg->format == FORMAT_OPENMETRICS) {
        char *text = openmetrics_text(app);
        fputs(text, stdout);
        free(text);
    } else {
        print_text(app, alerts, nalerts, waited);
    }
    if (fflush(stdout) != 0 || ferror(stdout)) {
        textout_line(stderr, "pgdeck: write error on standard output");
        rc = 2;
    }
    const char *down = frontend_primary_down(app);
    if (down) {
        textout_line(stderr, "pgdeck: cannot connect to the primary: %s", down);
        rc = 2;
    }
    alerts_free(alerts, nalerts);
    frontend_close(app);
    return rc;
}
