#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "draw.h"
#include "pane_lines.h"

/* The label column: wide enough for "read replica", the longest label. */
#define LABEL_WIDTH 13
/* A line keeps at least this much of its own text beside " as of ...";
 * narrower, the grey alone says it is stale. */
#define STALE_MARK_MIN_ROOM 20

void pane_lines_init(struct pane_lines *l)
{
    /* Not the lines themselves: 18 kB zeroed every frame for the few a
     * pane adds (each is cleared as it is added). */
    l->n = 0;
    l->collector = NULL;
}

void pane_lines_add(struct pane_lines *l, int priority, int style, const char *label,
                    const char *fmt, ...)
{
    if (l->n >= PANE_LINES_MAX)
        return;
    struct pane_line *line = &l->line[l->n++];
    memset(line, 0, sizeof *line);
    line->priority = priority;
    line->style = style;
    line->collector = l->collector;
    snprintf(line->label, sizeof line->label, "%s", label ? label : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line->text, sizeof line->text, fmt, ap);
    va_end(ap);
}

void pane_lines_add_drawn(struct pane_lines *l, int priority,
                          void (*draw)(struct ui *, WINDOW *, int, int, int, const void *),
                          const void *arg)
{
    if (l->n >= PANE_LINES_MAX)
        return;
    struct pane_line *line = &l->line[l->n++];
    memset(line, 0, sizeof *line);
    line->priority = priority;
    line->draw = draw;
    line->arg = arg;
    line->collector = l->collector;
}

void pane_lines_from(struct pane_lines *l, const char *collector)
{
    l->collector = collector;
}

int pane_lines_budget(int height)
{
    int keep = height / 2 > 4 ? height / 2 : 4;
    int budget = height - keep;
    return budget > 0 ? budget : 1;
}

int pane_lines_room(int height, int table_rows)
{
    int budget = pane_lines_budget(height);
    int spare = height - 1 - (table_rows > 0 ? table_rows : 1);
    return spare > budget ? spare : budget;
}

int pane_lines_label(struct ui *ui, WINDOW *w, int y, int x, int width, const char *label)
{
    if (!label || !label[0])
        return 0;
    wattrset(w, ATTR(THEME_LABEL));
    int used = draw_text(ui, w, y, x, width, label);
    /* Wide panes align the texts in a column; narrow ones run on. */
    if (width >= 50 && used < LABEL_WIDTH)
        return LABEL_WIDTH;
    return used + 1;
}

int pane_lines_draw(struct ui *ui, WINDOW *w, int y, int x, int width, int budget,
                    const struct pane_lines *l)
{
    /* Which lines to keep: the `budget` lowest priorities, earlier lines
     * winning ties. */
    bool keep[PANE_LINES_MAX] = { false };
    int kept = 0;
    for (int priority = 0; kept < budget && kept < l->n; priority++)
        for (int i = 0; i < l->n && kept < budget; i++)
            if (l->line[i].priority == priority) {
                keep[i] = true;
                kept++;
            }
    int used = 0;
    const char *marked = NULL;      /* the collector whose "as of" is shown */
    for (int i = 0; i < l->n; i++) {
        if (!keep[i])
            continue;
        const struct pane_line *line = &l->line[i];
        int ly = y + used++;
        wattrset(w, ATTR(THEME_NORMAL));
        mvwhline(w, ly, x, ' ', width);
        /* Stale data: the first line of its collector says since when, at
         * the right end (room taken from the line), and all are greyed. */
        double as_of = line->collector ? collectors_stale_as_of(ui->app, line->collector) : 0;
        char mark[32] = "";
        if (as_of > 0 && (!marked || strcmp(marked, line->collector) != 0)) {
            marked = line->collector;
            draw_as_of(mark, sizeof mark, as_of);
            if (width - (int)strlen(mark) < STALE_MARK_MIN_ROOM)
                mark[0] = '\0';
        }
        int room = width - (int)strlen(mark);
        if (line->draw) {
            line->draw(ui, w, ly, x, room, line->arg);
        } else {
            int tx = x + pane_lines_label(ui, w, ly, x, room, line->label);
            wattrset(w, ATTR(line->style));
            draw_text_marked(ui, w, ly, tx, x + room - tx, line->text);
        }
        if (as_of > 0) {
            draw_restyle(w, ly, x, width, THEME_STALE);
            wattrset(w, ATTR(THEME_STALE));
            mvwaddstr(w, ly, x + room, mark);
        }
    }
    return used;
}
