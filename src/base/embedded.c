#include <string.h>

#include "base/embedded.h"

const char *embedded_find(const char *name)
{
    for (const struct embedded_file *f = embedded_files; f->name; f++)
        if (strcmp(f->name, name) == 0)
            return f->text;
    return NULL;
}

bool embedded_holds(const char *text)
{
    for (const struct embedded_file *f = embedded_files; f->name; f++)
        if (f->text == text)
            return true;
    return false;
}
