#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "pane_lines.h"

/* The label column: wide enough for "read replica", the longest label. */
#define LABEL_WIDTH 13

void pane_lines_add(struct pane_lines *l, int priority, int style, const char *label,
                    const char *fmt, ...)
{
    if (l->n >= PANE_LINES_MAX)
        return;
    struct pane_line *line = &l->line[l->n++];
    memset(line, 0, sizeof *line);
    line->priority = priority;
    line->style = style;
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
}

int pane_lines_budget(int height)
{
    int keep = height / 2 > 4 ? height / 2 : 4;
    int budget = height - keep;
    return budget > 0 ? budget : 1;
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
    for (int i = 0; i < l->n; i++) {
        if (!keep[i])
            continue;
        const struct pane_line *line = &l->line[i];
        int ly = y + used++;
        wattrset(w, ATTR(THEME_NORMAL));
        mvwhline(w, ly, x, ' ', width);
        if (line->draw) {
            line->draw(ui, w, ly, x, width, line->arg);
            continue;
        }
        int tx = x + pane_lines_label(ui, w, ly, x, width, line->label);
        wattrset(w, ATTR(line->style));
        draw_text(ui, w, ly, tx, x + width - tx, line->text);
    }
    return used;
}
