/* Pane 3: Cache (first cut: the main table of collector "database_cache"). */
#include "ui.h"

static const struct column_def columns[] = {
    { "NAME", "name", 0, false, FORMAT_AS_TEXT },
};

static const struct table_def tables[] = {
    { "database_cache", columns, 1, NULL, NULL },
};

const struct pane_class pane_cache = {
    .name = "Cache",
    .number = 3,
    .tables = tables,
    .ntables = 1,
};
