/* Looking subjects up in subjects[] (see subject.h). */
#include <string.h>

#include "core/subject.h"

const struct subject *subject_find(const char *name)
{
    for (int i = 0; name && i < nsubjects; i++)
        if (strcmp(subjects[i]->name, name) == 0)
            return subjects[i];
    return NULL;
}

int subject_pane_number(const char *name)
{
    int number = 0;
    for (int i = 0; i < nsubjects; i++) {
        if (!subjects[i]->has_pane || subjects[i]->fleet)
            continue;
        number++;
        if (strcmp(subjects[i]->name, name) == 0)
            return number;
    }
    return 0;
}
