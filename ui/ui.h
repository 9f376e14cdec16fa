#ifndef PGDECK_UI_H
#define PGDECK_UI_H

#include <stdbool.h>

#include <curses.h>
#include <uv.h>

#include "core/app.h"
#include "core/collector.h"
#include "theme.h"

/* The curses front end.  One pane per file (pane_*.c), each a const
 * struct pane_class; the screen lays them out, routes keys, and draws once
 * per loop turn when something changed.  curses itself sends only the
 * cells that differ from what the terminal shows. */

struct ui;
struct pane;

/* What a key handler did, as htop's reaction flags. */
enum {
    KEY_IGNORED  = 0,
    KEY_HANDLED  = 1 << 0,
    KEY_REDRAW   = 1 << 1,
};

/* A column of a table pane. */
enum cell_format {
    FORMAT_AS_TEXT,         /* sanitized text */
    FORMAT_AS_NUMBER,       /* integer with thousands grouping */
    FORMAT_AS_BYTES,        /* 1.2 GB */
    FORMAT_AS_SECONDS,      /* duration given in seconds: 850ms, 12s, 3m04s, 2h05m, 3d4h */
    FORMAT_AS_MS,           /* duration given in milliseconds */
    FORMAT_AS_PERCENT,      /* 97.3% */
    FORMAT_AS_BOOL,         /* yes / no from t/f */
};

struct column_def {
    const char *title;      /* header text */
    const char *field;      /* snapshot column */
    int         width;      /* columns wanted; 0 = takes what is left */
    bool        right;      /* right-aligned (numbers) */
    enum cell_format format;
    int         min_cols;   /* hide this column when the pane is narrower */
};

/* One table a pane shows: which snapshot, which columns. */
struct table_def {
    const char *collector;
    const struct column_def *columns;
    int ncolumns;
    /* Theme element (THEME_ROW_WARN ...) for a row, or -1 for plain. */
    int (*row_style)(const struct ui *ui, const struct snapshot *s, int row);
    /* Rows to hide (NULL shows all). */
    bool (*row_hidden)(const struct ui *ui, const struct snapshot *s, int row);
};

/* Selection, scrolling, filter and sort over a snapshot: what the operator
 * is doing in a pane survives each new snapshot.
 *
 * The selection is the selected row's key (the pane's key_field values),
 * not its index: a new snapshot may list the rows in another order before
 * the screen shows it (the redraw waits a few ms for the other collectors
 * of a tick), and a key pressed then must act on the row the operator saw
 * highlighted.  `shown` is the snapshot the screen last drew, the one
 * `order` indexes; the selection is read from it, by key. */
struct table_state {
    int   selected;         /* index into the visible (filtered, sorted) rows */
    int   top;              /* first visible row */
    char *filter;           /* case-insensitive substring, or NULL */
    int   sort_column;      /* index into columns, -1 = server order */
    bool  sort_descending;
    char *selected_key;     /* the selected row's key, kept across refreshes */
    /* Filled at draw time: the order of rows as shown. */
    struct snapshot *shown; /* a reference: the snapshot drawn */
    int  *order;
    int   norder;
    int   page;             /* rows that fit */
};

struct pane_class {
    const char *name;       /* "Queries" */
    const char *help;       /* one line for the help overlay: the pane's keys */
    int         number;     /* 1 .. 6 */
    /* Tables the pane can show; `mode` picks one (t flips queries). */
    const struct table_def *tables;
    int         ntables;
    /* Lines drawn above the table (gauges, sparklines, summaries); the
     * pane returns how many it used.  NULL for a plain table. */
    int  (*draw_header)(struct ui *ui, struct pane *p, WINDOW *w, int y, int x, int width, int height);
    /* Pane keys beyond the common ones; return KEY_* flags. */
    int  (*key)(struct ui *ui, struct pane *p, int ch);
    /* Lines of the details overlay for the selected row (Enter): row `row`
     * of snapshot `s`, the one the screen shows; NULL uses every column of
     * the row.  Returns a malloc'd array of malloc'd strings, count in *n. */
    char **(*details)(struct ui *ui, struct pane *p, const struct snapshot *s, int row, int *n);
    /* Columns whose values together identify a row across refreshes, comma
     * separated ("pid,backend_start": a pid alone is reused).  A table
     * that has none of them keeps its selection by position. */
    const char *key_field;
};

struct pane {
    const struct pane_class *cls;
    int   mode;                 /* which of cls->tables */
    struct table_state table;
    int   y, x, h, w;           /* where it was last drawn */
};

/* Overlays, drawn above the panes; one at a time. */
enum overlay {
    OVERLAY_NONE,
    OVERLAY_HELP,
    OVERLAY_DETAILS,
    OVERLAY_CONFIRM,
    OVERLAY_TEXT,               /* a scrollable text: plan, journal, DDL */
};

/* Called when a confirmation is answered. */
typedef void (*confirm_cb)(struct ui *ui, void *arg, bool yes);

/* A text overlay that came while a confirmation was open (an EXPLAIN's
 * plan): it waits for the answer rather than take the question's place. */
struct queued_text {
    struct queued_text *next;
    enum overlay kind;          /* OVERLAY_TEXT, _HELP or _DETAILS */
    char  *title;
    char **lines;
    int    n;
    int    top;
};

#define UI_FRAME_RECENT 1024

struct ui {
    struct app  *app;
    uv_loop_t   *loop;
    struct pane  panes[6];
    int          npanes;
    int          focus;
    bool         tabbed;        /* one pane at a time (small screens) */
    bool         ascii;
    bool         color;
    bool         dirty;
    bool         quit;
    int          exit_code;
    int          rows, cols;

    enum overlay overlay;
    char       **overlay_lines;
    int          overlay_nlines;
    int          overlay_top;
    char        *overlay_title;
    confirm_cb   confirm;
    void        *confirm_arg;
    struct queued_text *queued; /* shown, oldest first, once no question is open */

    /* The prompt: "/" filter or ":" command line. */
    bool         prompting;
    char         prompt_kind;   /* '/' or ':' */
    char         prompt_buf[256];
    int          prompt_len;

    uv_poll_t    stdin_poll;
    uv_signal_t  sig_winch, sig_int, sig_term, sig_hup;
    uv_prepare_t prepare;
    uv_timer_t   clock;         /* the title bar's clock and ages */
    uv_timer_t   coalesce;      /* gathers a tick's snapshots into one frame */

    double       frame_time;    /* seconds spent in the last draw */
    double       frame_max;
    double       frame_total;   /* seconds, over every frame */
    /* The last UI_FRAME_RECENT frame times (seconds), a ring indexed by
     * frames % UI_FRAME_RECENT: --stats reports their median. */
    float        frame_recent[UI_FRAME_RECENT];
    unsigned long frames;
    double       first_frame_at;    /* monotonic, 0 until drawn */
    double       started_at;
};

extern const struct pane_class pane_queries, pane_pool, pane_cache,
                               pane_partitions, pane_views, pane_indexes;

/* Run the console until the operator quits.  Returns the exit code. */
int  ui_run(struct app *app);
void ui_dirty(struct ui *ui);

/* The pane with focus, and the snapshot/row selected in it (row = -1 when
 * nothing is selected): the row the screen shows selected, found by its
 * key in the snapshot drawn, which may be older than the newest one. */
struct pane *ui_focused(struct ui *ui);
const struct snapshot *ui_selected(struct ui *ui, int *row);

/* Overlays.  A text shown while a confirmation is open waits until it is
 * answered, and a confirmation puts an open text aside until then: a
 * question is never lost, so every action that asks gets its answer. */
void ui_show_text(struct ui *ui, const char *title, char **lines, int n);  /* takes lines */
/* The same, as `kind` (OVERLAY_HELP, OVERLAY_DETAILS), scrolled to `top`. */
void ui_show_overlay(struct ui *ui, enum overlay kind, const char *title, char **lines, int n, int top);
void ui_confirm(struct ui *ui, const char *title, char **lines, int n, confirm_cb cb, void *arg);
void ui_close_overlay(struct ui *ui);

/* Start the "/" filter or ":" command prompt. */
void ui_start_prompt(struct ui *ui, char kind);
/* Enter: the details overlay of the selected row. */
void ui_show_details(struct ui *ui);
/* Switch theme live (":theme NAME"). */
int  ui_set_theme(struct ui *ui, const char *name);

/* Drawing helpers shared by the panes (ui/draw.c). */
/* Print sanitized text at (y, x) in at most `width` columns; returns the
 * columns used.  Never splits a character. */
int  draw_text(struct ui *ui, WINDOW *w, int y, int x, int width, const char *text);
/* Print text padded to `width`, right-aligned if `right`. */
void draw_cell(struct ui *ui, WINDOW *w, int y, int x, int width, const char *text, bool right);
/* Format a snapshot value for display into buf. */
void format_value(char *buf, size_t len, const char *value, enum cell_format fmt);
void format_bytes(char *buf, size_t len, double bytes);
void format_seconds(char *buf, size_t len, double seconds);
/* A gauge: [||||||      ] 63%. */
void draw_gauge(struct ui *ui, WINDOW *w, int y, int x, int width, double fraction,
                double warn, double crit, const char *label);
/* A sparkline of the newest `width` values of a series, scaled to max. */
void draw_sparkline(struct ui *ui, WINDOW *w, int y, int x, int width,
                    const struct series *s, double max);
/* Give what is drawn from (y, x) on, `width` columns, the look of theme
 * element e, keeping the characters: a stale line greyed as a whole,
 * gauges and labels too. */
void draw_restyle(WINDOW *w, int y, int x, int width, enum theme_element e);
/* " as of 14:03:27" for stale data taken at wall-clock `as_of`, or "" when
 * as_of is 0 (fresh). */
const char *draw_as_of(char *buf, size_t len, double as_of);
/* Draw a box with a title; focused panes use the focused border element. */
void draw_box(struct ui *ui, WINDOW *w, int y, int x, int h, int width, const char *title, bool focused);

/* Table widget (ui/table.c): draws tables[mode] of the pane in the given
 * rectangle, keeping selection, filter and sort. */
void table_draw(struct ui *ui, struct pane *p, WINDOW *w, int y, int x, int h, int width);
/* Common table keys: movement, sort, Enter.  Returns KEY_* flags. */
int  table_key(struct ui *ui, struct pane *p, int ch);
/* The snapshot drawn (*s, NULL before the first draw) and the row of the
 * selection in it, or -1. */
int  table_selected_row(struct ui *ui, struct pane *p, const struct snapshot **s);
/* Select the `index`th row as shown (a mouse click). */
void table_select(struct ui *ui, struct pane *p, int index);
void table_state_free(struct table_state *t);

/* The attributes of a theme element (enum theme_element). */
#define ATTR(e) theme_attr(e)

#endif
