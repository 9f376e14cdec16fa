/* Pane 2: Pool (first cut: the main table of collector "connections"). */
#include "ui.h"

static const struct column_def columns[] = {
    { "NAME", "name", 0, false, FORMAT_AS_TEXT },
};

static const struct table_def tables[] = {
    { "connections", columns, 1, NULL, NULL },
};

const struct pane_class pane_pool = {
    .name = "Pool",
    .number = 2,
    .tables = tables,
    .ntables = 1,
};
