#ifndef PGDECK_PANE_REGISTRY_H
#define PGDECK_PANE_REGISTRY_H

struct pane_class;

/* Every pane class, one per ui/panes/pane_<subject>.c, each defining
 * `const struct pane_class pane_<subject>`: the build writes this table
 * (build/gen/panes.c, by ui/panes/registry.sh) from the file names, so a
 * new pane file is found without a list kept by hand.  NULL-ended. */
extern const struct pane_class *const pane_registry[];
extern const int pane_registry_count;

/* The class that draws the subject of that name, or NULL. */
const struct pane_class *pane_registry_find(const char *subject);

#endif
