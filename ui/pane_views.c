/* Pane 5: Views (first cut: the main table of collector "views"). */
#include "ui.h"

static const struct column_def columns[] = {
    { "NAME", "name", 0, false, FORMAT_AS_TEXT },
};

static const struct table_def tables[] = {
    { "views", columns, 1, NULL, NULL },
};

const struct pane_class pane_views = {
    .name = "Views",
    .number = 5,
    .tables = tables,
    .ntables = 1,
};
