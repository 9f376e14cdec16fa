/* Pane 6: Indexes (first cut: the main table of collector "indexes"). */
#include "ui.h"

static const struct column_def columns[] = {
    { "NAME", "name", 0, false, FORMAT_AS_TEXT },
};

static const struct table_def tables[] = {
    { "indexes", columns, 1, NULL, NULL },
};

const struct pane_class pane_indexes = {
    .name = "Indexes",
    .number = 6,
    .tables = tables,
    .ntables = 1,
};
