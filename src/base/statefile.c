#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/statefile.h"
#include "base/xalloc.h"

char *statefile_path(const char *name, char *err, size_t errlen)
{
    const char *state = getenv("XDG_STATE_HOME");
    if (state && *state == '/')
        return xasprintf("%s/pgdeck/%s", state, name);
    const char *home = getenv("HOME");
    if (!home || !*home) {
        struct passwd *pw = getpwuid(geteuid());
        home = pw ? pw->pw_dir : NULL;
    }
    if (!home || !*home) {
        snprintf(err, errlen, "no place for %s: set HOME or XDG_STATE_HOME", name);
        return NULL;
    }
    return xasprintf("%s/.local/state/pgdeck/%s", home, name);
}

int statefile_make_parents(const char *path, char *err, size_t errlen)
{
    char *dir = xstrdup(path);
    char *slash = strrchr(dir, '/');
    if (!slash || slash == dir) {
        free(dir);
        return 0;
    }
    *slash = '\0';
    for (char *p = dir + 1;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char c = *p;
        *p = '\0';
        if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
            snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
            free(dir);
            return -1;
        }
        *p = c;
        if (!c)
            break;
    }
    free(dir);
    return 0;
}
