/* The views pane's fallback when the kit's refresh log is not installed:
 * when pgdeck itself last refreshed a view, from its own journal.
 *
 * The views subject's derive asks, once per view and refresh of the views
 * collector; the journal is read again only when the file changed (its
 * size, time or inode), so a database with hundreds of views costs one
 * stat() a refresh.
 *
 * A record counts only for the very view it was written about: the same
 * cluster (pg_control_system()'s system identifier), the same database
 * and the same OID, as the views query's object_key names them.  A view
 * dropped and created again under its name, or a namesake in another
 * cluster, is another object and gets no refresh time from the journal.
 * So does every view when the system identifier cannot be read (a DBA
 * revoked pg_control_system() from pgdeck's role; PUBLIC may call it by
 * default), and every record written before pgdeck journaled OIDs: pgdeck
 * cannot tell then, and says "unknown" rather than guess. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/app.h"
#include "core/journal.h"
#include "core/journal_views.h"
#include "base/xalloc.h"

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

/* "system id/database OID/OID" into its parts; false when any is missing. */
static bool parse_key(const char *key, char **system_id, unsigned long *database_oid, unsigned long *oid)
{
    const char *slash1 = strchr(key, '/');
    const char *slash2 = slash1 ? strchr(slash1 + 1, '/') : NULL;
    if (!slash1 || !slash2 || slash1 == key)
        return false;
    char *end;
    *database_oid = strtoul(slash1 + 1, &end, 10);
    if (end != slash2 || !*database_oid)
        return false;
    *oid = strtoul(slash2 + 1, &end, 10);
    if (*end || !*oid)
        return false;
    *system_id = xstrndup(key, (size_t)(slash1 - key));
    return true;
}

bool journal_views_find(const struct app *app, const char *object_key, struct view_refresh_record *out)
{
    char *system_id;
    unsigned long database_oid, oid;
    if (!object_key || !parse_key(object_key, &system_id, &database_oid, &oid))
        return false;
    char err[256];
    char *path = journal_path(app && app->cfg ? app->cfg->journal_file : NULL, err, sizeof err);
    bool found = false;
    if (path) {
        reload(path);
        free(path);
        for (int i = 0; i < cache.n && !found; i++) {
            const struct journal_latest *l = &cache.list[i];
            if (!l->oid || l->oid != oid || l->database_oid != database_oid || !l->system_id ||
                strcmp(l->system_id, system_id) != 0)
                continue;
            out->finished_at = l->time;
            out->duration = l->duration_ms >= 0 ? l->duration_ms / 1000 : NAN;
            out->unfinished_at = l->unfinished;
            out->running = l->running;
            found = true;
        }
    }
    free(system_id);
    return found;
}
