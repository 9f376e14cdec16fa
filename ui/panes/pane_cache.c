/* The cache pane.  PostgreSQL's buffer hit ratio (over the last interval,
 * from the deltas of pg_stat_database, and since the stats reset) and
 * Redis's keyspace hit ratio (over the interval and since start), each
 * with a sparkline of its history; Redis ops/s, memory against maxmemory,
 * keys, expirations and evictions.  The table lists databases, or with `t`
 * the busiest tables of the last interval. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "subjects/cache.h"
#include "base/quantity.h"
#include "pane_lines.h"
#include "draw.h"
#include "table.h"
#include "ui.h"

static const struct column_def database_columns[] = {
    { "DATABASE",   "database",          0, false, FORMAT_AS_TEXT },
    { "HIT%",       "hit_percent",       7, true,  FORMAT_AS_PERCENT },
    { "HIT%TOTAL",  "hit_percent_total", 9, true,  FORMAT_AS_PERCENT },
    { "HITS",       "blks_hit_delta",    9, true,  FORMAT_AS_NUMBER },
    { "READS",      "blks_read_delta",   8, true,  FORMAT_AS_NUMBER },
    { "READS/S",    "reads_per_second",  8, true,  FORMAT_AS_NUMBER, 60 },
    { "XACTS",      "xacts",            12, true,  FORMAT_AS_NUMBER, 100 },
    { "TEMP",       "temp_bytes",        9, true,  FORMAT_AS_BYTES, 110 },
};

static const struct column_def table_columns[] = {
    { "TABLE",      "table",             0, false, FORMAT_AS_TEXT },
    { "HIT%",       "hit_percent",       7, true,  FORMAT_AS_PERCENT },
    { "HIT%TOTAL",  "hit_percent_total", 9, true,  FORMAT_AS_PERCENT },
    { "HITS",       "blks_hit_delta",    9, true,  FORMAT_AS_NUMBER },
    { "READS",      "blks_read_delta",   8, true,  FORMAT_AS_NUMBER },
    { "TOTAL HITS", "blks_hit",         12, true,  FORMAT_AS_NUMBER, 90 },
    { "TOTAL READS", "blks_read",       12, true,  FORMAT_AS_NUMBER, 104 },
};

/* Redis's memory gauge turns yellow, then red, as eviction nears. */
#define MEMORY_WARN 0.80
#define MEMORY_CRIT 0.95

/* The theme element for a hit ratio, as the alert rules judge it. */
static int severity_style(const struct ui *ui, double hits, double misses, double min_lookups, int plain)
{
    static const int styles[] = { -1, THEME_ROW_WARN, THEME_ROW_CRIT };
    int e = styles[cache_hit_severity(hits, misses, min_lookups, ui->app->cfg->alerts.cache_hit_percent)];
    return e < 0 ? plain : e;
}

/* A ratio under the threshold over enough traffic to mean something. */
static int cache_style(const struct ui *ui, const struct snapshot *s, int row)
{
    return severity_style(ui, snapshot_number(s, row, "blks_hit_delta", NAN),
                          snapshot_number(s, row, "blks_read_delta", NAN), CACHE_MIN_BLOCKS, -1);
}

/* The derive step ranks tables busiest first; show the top ones. */
static bool table_hidden(const struct ui *ui, const struct snapshot *s, int row)
{
    (void)ui;
    return snapshot_number(s, row, "rank", 0) > CACHE_TOP_TABLES;
}

static const struct table_def tables[] = {
    { "database_cache", database_columns, sizeof database_columns / sizeof database_columns[0],
      cache_style, NULL },
    { "table_cache", table_columns, sizeof table_columns / sizeof table_columns[0],
      cache_style, table_hidden },
};

static const struct snapshot *good(const struct snapshot *s)
{
    return s && !s->error ? s : NULL;
}

static double number(const struct snapshot *s, const char *column)
{
    return snapshot_number(s, 0, column, NAN);
}

/* "80.0%", or what an unknown ratio means. */
static void percent_text(char *buf, size_t len, double v, const char *unknown)
{
    if (isnan(v))
        snprintf(buf, len, "%s", unknown);
    else
        quantity_percent(buf, len, v);
}

/* Text, then the series' sparkline in what is left of the line (right
 * aligned, so the newest value is always at the pane's edge). */
static void draw_with_sparkline(struct ui *ui, WINDOW *w, int y, int x, int width, int style,
                                const char *label, const char *line, const char *series)
{
    int used = pane_lines_label(ui, w, y, x, width, label);
    wattrset(w, ATTR(style));
    used += draw_text(ui, w, y, x + used, width - used, line);
    int room = width - used - 2;
    const struct series *s = app_series(ui->app, series);
    if (room >= 8 && s && s->count > 0) {
        int sw = room > SERIES_LEN ? SERIES_LEN : room;
        draw_sparkline(ui, w, y, x + width - sw, sw, s, 100);
    }
}

static void draw_postgres(struct ui *ui, WINDOW *w, int y, int x, int width, const void *arg)
{
    (void)arg;
    const struct snapshot *db = collectors_shown(ui->app, "database_cache");
    if (!good(db)) {
        wattrset(w, ATTR(THEME_DIM));
        draw_text(ui, w, y, x, width, db ? db->error : "postgresql: waiting for data...");
        return;
    }
    double hits = 0, reads = 0, total_hits = 0, total_reads = 0;
    bool known = cache_interval_totals(db, &hits, &reads);
    for (int r = 0; r < db->nrows; r++) {
        total_hits += snapshot_number(db, r, "blks_hit", 0);
        total_reads += snapshot_number(db, r, "blks_read", 0);
    }
    char now[32], all[32], line[160];
    percent_text(now, sizeof now, known ? hit_percent(hits, reads) : NAN, known ? "idle" : "-");
    percent_text(all, sizeof all, hit_percent(total_hits, total_reads), "-");
    snprintf(line, sizeof line, "hit %s last interval, %s since reset", now, all);
    int style = known ? severity_style(ui, hits, reads, CACHE_MIN_BLOCKS, THEME_VALUE) : THEME_VALUE;
    draw_with_sparkline(ui, w, y, x, width, style, "postgresql", line, SERIES_PG_HIT);
}

static void draw_redis(struct ui *ui, WINDOW *w, int y, int x, int width, const void *arg)
{
    (void)arg;
    const struct snapshot *r = collectors_shown(ui->app, "redis");
    if (!good(r) || r->nrows < 1) {
        int used = pane_lines_label(ui, w, y, x, width, "redis");
        wattrset(w, ATTR(THEME_DIM));
        draw_text(ui, w, y, x + used, width - used,
                  r ? (r->error ? r->error : "no data") : "waiting for data...");
        return;
    }
    char now[32], all[32], line[200];
    double lookups = number(r, "lookups");
    percent_text(now, sizeof now, number(r, "hit_percent"), isnan(lookups) ? "-" : "idle");
    percent_text(all, sizeof all, number(r, "hit_percent_total"), "no lookups");
    double ops = number(r, "ops_per_sec");
    char rate[QUANTITY_LEN];
    snprintf(line, sizeof line, "hit %s last interval, %s since start, %s", now, all,
             quantity_rate(rate, sizeof rate, isnan(ops) ? 0 : ops, "ops"));
    int style = severity_style(ui, number(r, "hits_delta"), number(r, "misses_delta"), CACHE_MIN_LOOKUPS,
                               THEME_VALUE);
    draw_with_sparkline(ui, w, y, x, width, style, "redis", line, SERIES_REDIS_HIT);
}

static void draw_redis_memory(struct ui *ui, WINDOW *w, int y, int x, int width, const void *arg)
{
    const struct snapshot *r = arg;
    char used[32], rest[200];
    format_bytes(used, sizeof used, number(r, "used_memory"));
    double maxmemory = number(r, "maxmemory");
    double evicted = number(r, "evicted_keys"), expired = number(r, "expired_keys");
    snprintf(rest, sizeof rest, "keys %.0f  expired %.0f  evicted %.0f%s",
             number(r, "keys"), isnan(expired) ? 0 : expired, isnan(evicted) ? 0 : evicted,
             number(r, "evicted_delta") > 0 ? " (evicting now)" : "");
    int gx = x + pane_lines_label(ui, w, y, x, width, "memory");
    int room = x + width - gx;
    if (maxmemory > 0) {
        char max[32];
        format_bytes(max, sizeof max, maxmemory);
        char label[80];
        snprintf(label, sizeof label, "%s / %s ", used, max);
        int gw = room >= 70 ? 34 : room / 2;
        double fraction = number(r, "memory_fraction");
        draw_gauge(ui, w, y, gx, gw, isnan(fraction) ? 0 : fraction, MEMORY_WARN, MEMORY_CRIT, label);
        wattrset(w, ATTR(THEME_VALUE));
        draw_text(ui, w, y, gx + gw + 2, room - gw - 2, rest);
    } else {
        char line[280];
        snprintf(line, sizeof line, "%s used, no maxmemory limit  %s", used, rest);
        wattrset(w, ATTR(THEME_VALUE));
        draw_text(ui, w, y, gx, room, line);
    }
}

/* While the table lists databases, the busiest tables of the interval take
 * what room the pane has left above it (a tall pane, a big screen). */
static void add_busiest_tables(struct pane_lines *l, const struct app *app)
{
    const struct snapshot *t = good(collectors_shown(app, "table_cache"));
    if (!t)
        return;
    int shown = 0;
    for (int r = 0; r < t->nrows && shown < 8; r++) {
        if (!(snapshot_number(t, r, "traffic", 0) > 0))
            break;      /* ranked busiest first: the rest had none */
        char hit[32], hits[32], reads[32];
        percent_text(hit, sizeof hit, snapshot_number(t, r, "hit_percent", NAN), "-");
        format_value(hits, sizeof hits, snapshot_get(t, r, "blks_hit_delta"), FORMAT_AS_NUMBER);
        format_value(reads, sizeof reads, snapshot_get(t, r, "blks_read_delta"), FORMAT_AS_NUMBER);
        pane_lines_add(l, 5 + shown, THEME_VALUE, shown ? " " : "busiest", "%s  hit %s  %s hits  %s reads",
                       snapshot_get(t, r, "table"), hit, hits, reads);
        shown++;
    }
    if (!shown)
        pane_lines_add(l, 5, THEME_DIM, "busiest", "no table traffic in the last interval (t: all tables)");
}

static int draw_header(struct ui *ui, struct pane *p, WINDOW *w, int y, int x, int width, int height)
{
    struct pane_lines lines;
    pane_lines_init(&lines);
    pane_lines_from(&lines, "database_cache");
    pane_lines_add_drawn(&lines, 0, draw_postgres, NULL);
    pane_lines_from(&lines, "redis");
    pane_lines_add_drawn(&lines, 1, draw_redis, NULL);
    const struct snapshot *r = good(collectors_shown(ui->app, "redis"));
    if (r && r->nrows > 0)
        pane_lines_add_drawn(&lines, 2, draw_redis_memory, r);
    pane_lines_from(&lines, "table_cache");
    if (p->mode == 0)
        add_busiest_tables(&lines, ui->app);
    p->header_want = lines.n;
    return pane_lines_draw(ui, w, y, x, width, pane_lines_room(height, table_rows_wanted(ui, p)), &lines);
}

static int key(struct ui *ui, struct pane *p, int ch)
{
    if (ch != 't')
        return KEY_IGNORED;
    p->mode = !p->mode;
    /* The busiest tables are read every 10 s while they are shown, in the
     * catalog tier (30 s) otherwise. */
    collector_want(ui->app, "table_cache", p->mode == 1);
    table_state_free(&p->table);
    p->table.sort_column = -1;
    return KEY_HANDLED | KEY_REDRAW;
}

/* The sparklines take a sample at every run, also one that brought the
 * same data as the last (the collector keeps its snapshot then): their
 * lengths go into the repaint rule's inputs (screen.c). */
static unsigned long cache_inputs(const struct ui *ui, const struct pane *p, unsigned long hash)
{
    (void)p;
    static const char *const names[] = { SERIES_PG_HIT, SERIES_REDIS_HIT };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        const struct series *s = app_series(ui->app, names[i]);
        unsigned long v = s ? (unsigned long)s->head << 16 | (unsigned long)s->count : 0;
        hash = (hash ^ v) * 1099511628211UL;
    }
    return hash;
}

const struct pane_class pane_cache = {
    .subject = "cache",
    .inputs = cache_inputs,
    .help = "t: databases / busiest tables (buffer hits and reads over the last interval)",
    .tables = tables,
    .ntables = 2,
    .draw_header = draw_header,
    .key = key,
    .key_field = "key",
};
