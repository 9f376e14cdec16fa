/* Pane 4: Partitions (first cut: the main table of collector "partitions"). */
#include "ui.h"

static const struct column_def columns[] = {
    { "NAME", "name", 0, false, FORMAT_AS_TEXT },
};

static const struct table_def tables[] = {
    { "partitions", columns, 1, NULL, NULL },
};

const struct pane_class pane_partitions = {
    .name = "Partitions",
    .number = 4,
    .tables = tables,
    .ntables = 1,
};
