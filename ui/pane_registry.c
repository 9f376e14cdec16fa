/* Finding a subject's pane class in the generated registry (see
 * pane_registry.h). */
#include <stddef.h>
#include <string.h>

#include "pane_registry.h"
#include "ui.h"

const struct pane_class *pane_registry_find(const char *subject)
{
    for (int i = 0; i < pane_registry_count; i++)
        if (strcmp(pane_registry[i]->subject, subject) == 0)
            return pane_registry[i];
    return NULL;
}
