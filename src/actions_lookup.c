/* The views pane's fallback when the kit's refresh log is not installed:
 * when pgdeck itself last refreshed a view, from its own journal.
 *
 * derive_storage.c asks through a registered lookup, once per view and
 * refresh of the views collector; the journal is read again only when the
 * file changed (its size, time or inode), so a database with hundreds of
 * views costs one stat() a refresh.  The lookup is registered when the
 * program starts: wherever the action layer is linked in, the views pane
 * knows what it did. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "app.h"
#include "derive_storage.h"
#include "journal.h"
#include "xalloc.h"

static struct {
    char  *path;
    dev_t  dev;
    ino_t  ino;
    off_t  size;
    struct timespec mtime;
    struct journal_latest *list;
    int    n;
} cache;

static void reload(const char *path)
{
    struct stat st;
    bool exists = stat(path, &st) == 0;
    if (cache.path && strcmp(cache.path, path) == 0 && exists && st.st_dev == cache.dev &&
        st.st_ino == cache.ino && st.st_size == cache.size &&
        st.st_mtim.tv_sec == cache.mtime.tv_sec && st.st_mtim.tv_nsec == cache.mtime.tv_nsec)
        return;
    journal_latest_free(cache.list, cache.n);
    cache.list = NULL;
    cache.n = 0;
    free(cache.path);
    cache.path = xstrdup(path);
    if (!exists) {
        cache.size = -1;
        return;
    }
    cache.dev = st.st_dev;
    cache.ino = st.st_ino;
    cache.size = st.st_size;
    cache.mtime = st.st_mtim;
    char err[256];
    int n = journal_latest(path, "refresh", &cache.list, err, sizeof err);
    cache.n = n > 0 ? n : 0;
}

static bool journal_refresh_lookup(const struct app *app, const char *view, double *finished_at,
                                   double *duration)
{
    char err[256];
    char *path = journal_path(app && app->cfg ? app->cfg->journal_file : NULL, err, sizeof err);
    if (!path)
        return false;
    reload(path);
    free(path);
    for (int i = 0; i < cache.n; i++) {
        if (strcmp(cache.list[i].target, view) == 0) {
            *finished_at = cache.list[i].time;
            *duration = cache.list[i].duration_ms >= 0 ? cache.list[i].duration_ms / 1000 : NAN;
            return true;
        }
    }
    return false;
}

__attribute__((constructor)) static void register_lookup(void)
{
    derive_views_set_refresh_lookup(journal_refresh_lookup);
}
