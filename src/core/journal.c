/* The action journal (see journal.h for the format). */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "core/journal.h"
#include "base/statefile.h"
#include "base/jsontext.h"
#include "base/quantity.h"
#include "base/sanitize.h"
#include "base/clock.h"
#include "base/xalloc.h"

/* Bytes of the file's end read for the viewer. */
#define TAIL_BYTES (1024L * 1024)

const char *journal_os_user(void)
{
    static char name[64];
    if (!name[0]) {
        struct passwd *pw = getpwuid(geteuid());
        if (pw && pw->pw_name)
            snprintf(name, sizeof name, "%s", pw->pw_name);
        else
            snprintf(name, sizeof name, "uid %u", (unsigned)geteuid());
    }
    return name;
}

char *journal_path(const char *configured, char *err, size_t errlen)
{
    if (configured && *configured)
        return xstrdup(configured);
    char *path = statefile_path("journal", err, errlen);
    if (!path && errlen)
        snprintf(err, errlen, "no journal file: set HOME, XDG_STATE_HOME or [actions] journal");
    return path;
}

static int open_for_append(const char *path, char *err, size_t errlen)
{
    if (statefile_make_parents(path, err, errlen) != 0)
        return -1;
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        snprintf(err, errlen, "cannot write the journal %s: %s", path, strerror(errno));
        return -1;
    }
    return fd;
}

int journal_check(const char *path, char *err, size_t errlen)
{
    int fd = open_for_append(path, err, errlen);
    if (fd < 0)
        return -1;
    /* Opening is not writing: /dev/null takes the line and keeps nothing,
     * /dev/full and a full disk refuse it only after the action ran.
     * Catch what can be seen beforehand. */
    struct stat st;
    struct statvfs vfs;
    int rc = 0;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "the journal %s is not a regular file", path);
        rc = -1;
    } else if (fstatvfs(fd, &vfs) == 0 && vfs.f_blocks > 0 &&
               (geteuid() == 0 ? vfs.f_bfree : vfs.f_bavail) == 0) {
        snprintf(err, errlen, "cannot write the journal %s: %s", path, strerror(ENOSPC));
        rc = -1;
    }
    close(fd);
    return rc;
}

/* ---- who writes ------------------------------------------------------------ */

static const char *host_name(void)
{
    static char name[HOST_NAME_MAX + 1];
    if (!name[0] && gethostname(name, sizeof name - 1) != 0)
        snprintf(name, sizeof name, "localhost");
    return name;
}

/* When process `pid` started, in clock ticks since boot (field 22 of
 * /proc/PID/stat), or 0 where that cannot be read.  With the pid it names
 * one process: a pid reused after pgdeck died has another start. */
static unsigned long long process_start(long pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    FILE *f = fopen(path, "re");
    if (!f)
        return 0;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* The command name, in parentheses, may hold spaces and ')'. */
    char *p = strrchr(buf, ')');
    if (!p)
        return 0;
    p++;
    /* Fields from 3 (the state) on; the start time is field 22. */
    for (int field = 3; field < 22 && p; field++) {
        p = strchr(p + 1, ' ');
    }
    return p ? strtoull(p + 1, NULL, 10) : 0;
}

/* Whether the pgdeck that wrote line `o` still runs: same host, the pid
 * alive, and (where it was recorded) started at the same tick. */
static bool writer_alive(json_t *o)
{
    json_t *host = json_object_get(o, "host"), *pid = json_object_get(o, "pid");
    json_t *start = json_object_get(o, "pid_start");
    if (!json_is_string(host) || !json_is_integer(pid) || strcmp(json_string_value(host), host_name()) != 0)
        return false;
    json_int_t p = json_integer_value(pid);
    if (p <= 0 || p > INT_MAX || (kill((pid_t)p, 0) != 0 && errno != EPERM))
        return false;
    if (json_is_integer(start) && json_integer_value(start) > 0)
        return process_start((long)p) == (unsigned long long)json_integer_value(start);
    return true;
}

char *journal_new_id(void)
{
    static unsigned counter;
    return xasprintf("%s:%ld:%.0f:%u", host_name(), (long)getpid(), now_wall() * 1000, ++counter);
}

/* ---- writing --------------------------------------------------------------- */

char *journal_format(const struct journal_entry *e)
{
    char when[40];
    iso_time_utc(e->time, when, sizeof when);
    json_t *o = json_object();
    json_object_set_new(o, "time", json_string(when));
    json_object_set_new(o, "os_user", jsontext_new(e->os_user));
    json_object_set_new(o, "db_user", jsontext_new(e->db_user));
    json_object_set_new(o, "database", jsontext_new(e->database));
    json_object_set_new(o, "server", jsontext_new(e->server));
    json_object_set_new(o, "front_end", jsontext_new(e->front_end));
    json_object_set_new(o, "action", jsontext_new(e->action));
    json_object_set_new(o, "target", jsontext_new(e->target));
    json_object_set_new(o, "statement", jsontext_new(e->statement));
    json_object_set_new(o, "duration_ms", e->duration_ms >= 0 && !e->intent
                        ? json_real(round(e->duration_ms * 10) / 10) : json_null());
    json_object_set_new(o, "outcome", e->intent ? json_null() : jsontext_new(e->outcome));
    json_object_set_new(o, "detail", jsontext_new(e->detail));
    /* Format 2 comes after format 1's fields, which keep their order. */
    json_object_set_new(o, "format", json_integer(2));
    json_object_set_new(o, "record", json_string(e->intent ? "intent" : "outcome"));
    json_object_set_new(o, "id", jsontext_new(e->id));
    json_object_set_new(o, "host", jsontext_new(host_name()));
    json_object_set_new(o, "pid", json_integer((json_int_t)getpid()));
    json_object_set_new(o, "pid_start", json_integer((json_int_t)process_start((long)getpid())));
    json_object_set_new(o, "system_id", jsontext_new(e->system_id));
    json_object_set_new(o, "database_oid", e->database_oid ? json_integer((json_int_t)e->database_oid)
                                                           : json_null());
    json_t *rels = json_array();
    for (int i = 0; i < e->nrelations; i++) {
        const struct journal_relation *r = &e->relations[i];
        json_array_append_new(rels, json_pack("{s:o, s:o}", "name", jsontext_new(r->name),
                                              "oid", r->oid ? json_integer((json_int_t)r->oid) : json_null()));
    }
    json_object_set_new(o, "relations", rels);
    if (e->redis_user)
        json_object_set_new(o, "redis_user", jsontext_new(e->redis_user));
    /* ASCII only: `cat journal` can never send a terminal anything but
     * printable text, whatever the statements held. */
    char *line = jsontext_dump(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
    json_decref(o);
    char *out = xasprintf("%s\n", line ? line : "{}");
    free(line);
    return out;
}

/* fsync of the directory holding path: a file just created is on disk
 * only once its directory entry is. */
static int sync_directory(const char *path)
{
    char *dir = xstrdup(path);
    char *slash = strrchr(dir, '/');
    if (slash == dir)
        slash[1] = '\0';
    else if (slash)
        *slash = '\0';
    else
        strcpy(dir, ".");
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int rc = fd < 0 ? -1 : fsync(fd);
    int saved = errno;
    if (fd >= 0)
        close(fd);
    free(dir);
    errno = saved;
    return rc;
}

int journal_append(const char *path, const struct journal_entry *e, char *err, size_t errlen)
{
    struct stat st;
    bool existed = stat(path, &st) == 0;
    int fd = open_for_append(path, err, errlen);
    if (fd < 0)
        return -1;
    char *line = journal_format(e);
    size_t len = strlen(line);
    /* One write with O_APPEND: lines from two pgdeck processes never mix. */
    ssize_t n = write(fd, line, len);
    int saved = errno;
    free(line);
    if (n != (ssize_t)len) {
        close(fd);
        snprintf(err, errlen, "cannot write the journal %s: %s", path,
                 n < 0 ? strerror(saved) : "short write");
        return -1;
    }
    /* Written ahead means on disk: a line still in the page cache is lost
     * with the machine, and the intent with it. */
    if (fsync(fd) != 0) {
        saved = errno;
        close(fd);
        snprintf(err, errlen, "cannot write the journal %s: fsync: %s", path, strerror(saved));
        return -1;
    }
    if (close(fd) != 0) {
        snprintf(err, errlen, "cannot write the journal %s: %s", path, strerror(errno));
        return -1;
    }
    if (!existed && sync_directory(path) != 0) {
        snprintf(err, errlen, "cannot write the journal %s: fsync of its directory: %s", path,
                 strerror(errno));
        return -1;
    }
    return 0;
}

/* ---- reading --------------------------------------------------------------- */

static const char *field(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_string(v) ? json_string_value(v) : "";
}

/* One entry as readable text, two lines: what and how it ended, then who
 * and the statements.  An intent's outcome is `outcome` (what became of
 * it). */
static int readable(json_t *o, const char *outcome, char **out, int room)
{
    char duration[32] = "";
    json_t *d = json_object_get(o, "duration_ms");
    if (json_is_number(d)) {
        char took[QUANTITY_LEN];
        snprintf(duration, sizeof duration, " %s", quantity_duration_ms(took, sizeof took, json_number_value(d)));
    }
    const char *detail = field(o, "detail"), *statement = field(o, "statement");
    int n = 0;
    /* What happened first, on a line of its own: the viewer cuts long
     * lines at its edge, and the outcome is what one looks for. */
    if (room > n)
        out[n++] = xasprintf("%s  %s %s  %s%s%s%s", field(o, "time"), field(o, "action"), field(o, "target"),
                             outcome ? outcome : field(o, "outcome"), duration, *detail ? ": " : "", detail);
    const char *redis_user = field(o, "redis_user");
    if (room > n)
        out[n++] = xasprintf("    by %s@%s%s%s%s%s", field(o, "os_user"), field(o, "db_user"),
                             *redis_user ? " for redis user " : "", redis_user,
                             *statement ? ": " : "", statement);
    return n;
}

/* The journal opened for reading, or NULL with errno (ENOENT: there is
 * none yet) or with err set.  Only a regular file: /dev/full or /dev/zero
 * configured as the journal would hand getline an endless line. */
static FILE *open_for_reading(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (errno != ENOENT)
            snprintf(err, errlen, "cannot read the journal %s: %s", path, strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(f);
        snprintf(err, errlen, "the journal %s is not a regular file", path);
        errno = EINVAL;
        return NULL;
    }
    return f;
}

/* The lines of the journal's last TAIL_BYTES (a cut first line left
 * out, empty lines too), oldest first, in *lines (caller frees each and
 * the array).  Returns how many. */
static int read_tail(FILE *f, char ***lines)
{
    bool partial = false;
    if (fseek(f, 0, SEEK_END) == 0) {
        long size = ftell(f);
        partial = size > TAIL_BYTES;
        fseek(f, partial ? size - TAIL_BYTES : 0, SEEK_SET);
    }
    int n = 0, cap = 0;
    *lines = NULL;
    char *line = NULL;
    size_t linecap = 0;
    ssize_t got;
    bool first = true;
    while ((got = getline(&line, &linecap, f)) >= 0) {
        if (first && partial) {
            first = false;      /* the cut line */
            continue;
        }
        first = false;
        while (got > 0 && (line[got - 1] == '\n' || line[got - 1] == '\r'))
            line[--got] = '\0';
        if (!got)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 256;
            *lines = xrealloc(*lines, (size_t)cap * sizeof **lines);
        }
        (*lines)[n++] = xstrndup(line, (size_t)got);
    }
    free(line);
    return n;
}

static void free_lines(char **lines, int n)
{
    for (int i = 0; i < n; i++)
        free(lines[i]);
    free(lines);
}

/* A set of ids (the outcomes seen), small: a journal's tail holds a few
 * thousand lines at most. */
struct idset {
    const char **ids;
    int n, cap;
};

static void idset_add(struct idset *set, const char *id)
{
    if (set->n == set->cap) {
        set->cap = set->cap ? set->cap * 2 : 64;
        set->ids = xrealloc(set->ids, (size_t)set->cap * sizeof *set->ids);
    }
    set->ids[set->n++] = id;
}

static bool idset_has(const struct idset *set, const char *id)
{
    /* Newest first: an outcome follows its intent closely. */
    for (int i = set->n - 1; i >= 0; i--)
        if (strcmp(set->ids[i], id) == 0)
            return true;
    return false;
}

/* What became of an intent that has no outcome line. */
static char *intent_fate(json_t *o)
{
    if (writer_alive(o))
        return xasprintf("running (pgdeck pid %lld)", (long long)json_integer_value(json_object_get(o, "pid")));
    return xstrdup(JOURNAL_OUTCOME_UNKNOWN);
}

static bool is_intent(json_t *o)
{
    return strcmp(field(o, "record"), "intent") == 0;
}

char **journal_tail(const char *path, int max, int *n, char *err, size_t errlen)
{
    *n = 0;
    FILE *f = open_for_reading(path, err, errlen);
    if (!f) {
        if (errno == ENOENT)
            return xcalloc(1, sizeof(char *));
        return NULL;
    }
    char **lines;
    int count = read_tail(f, &lines);
    fclose(f);
    /* From the newest back: an outcome's id pairs it with its intent,
     * which is older, so the intent is known to be answered when it is
     * met.  The entries are gathered newest first, then turned round. */
    struct idset answered = { 0 };
    json_t **parsed = xcalloc((size_t)count + 1, sizeof *parsed);
    char **rev = xcalloc((size_t)max * 2 + 1, sizeof *rev);
    int o = 0, entries = 0;
    for (int i = count - 1; i >= 0 && entries < max; i--) {
        json_error_t jerr;
        json_t *obj = json_loads(lines[i], 0, &jerr);
        if (!obj || !json_is_object(obj)) {
            json_decref(obj);
            rev[o++] = sanitize(lines[i], SANITIZE_FOLD);
            entries++;
            continue;
        }
        parsed[i] = obj;
        const char *id = field(obj, "id");
        char *fate = NULL;
        if (is_intent(obj)) {
            if (*id && idset_has(&answered, id))
                continue;
            fate = intent_fate(obj);
        } else if (*id) {
            idset_add(&answered, id);
        }
        char *entry[2];
        int k = readable(obj, fate, entry, 2);
        free(fate);
        /* Reversed below, so the statement goes in first. */
        for (int j = k - 1; j >= 0; j--)
            rev[o++] = entry[j];
        entries++;
    }
    char **out = xcalloc((size_t)o + 1, sizeof *out);
    for (int i = 0; i < o; i++)
        out[i] = rev[o - 1 - i];
    free(rev);
    free(answered.ids);
    for (int i = 0; i < count; i++)
        json_decref(parsed[i]);
    free(parsed);
    free_lines(lines, count);
    *n = o;
    return out;
}

/* "2025-05-01T12:00:00.123Z" as seconds since the epoch, or -1. */
static double parse_time(const char *text)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    int ms = 0, n = 0;
    if (sscanf(text, "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
               &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms, &n) != 7 || n == 0)
        return -1;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return (double)timegm(&tm) + ms / 1000.0;
}

/* One object a line acted on. */
struct object {
    const char   *name;
    const char   *system_id;        /* NULL: not recorded */
    unsigned long database_oid, oid;
};

static unsigned long oid_of(json_t *v)
{
    return json_is_integer(v) && json_integer_value(v) > 0 ? (unsigned long)json_integer_value(v) : 0;
}

/* The objects of line `o`: its relations (format 2), else each name of
 * its target.  `buf` holds the split target (caller frees).  Returns how
 * many, their array in *out (caller frees). */
static int line_objects(json_t *o, struct object **out, char **buf)
{
    *out = NULL;
    *buf = NULL;
    json_t *rels = json_object_get(o, "relations");
    json_t *sys = json_object_get(o, "system_id");
    unsigned long db = oid_of(json_object_get(o, "database_oid"));
    int n = 0;
    if (json_is_array(rels) && json_array_size(rels) > 0) {
        *out = xcalloc(json_array_size(rels), sizeof **out);
        size_t i;
        json_t *r;
        json_array_foreach(rels, i, r) {
            const char *name = field(r, "name");
            if (!*name)
                continue;
            (*out)[n++] = (struct object){ name, json_is_string(sys) ? json_string_value(sys) : NULL, db,
                                           oid_of(json_object_get(r, "oid")) };
        }
        return n;
    }
    *buf = xstrdup(field(o, "target"));
    size_t cap = 1;
    for (const char *p = *buf; *p; p++)
        cap += *p == ',';
    *out = xcalloc(cap, sizeof **out);
    char *save = NULL;
    for (char *t = strtok_r(*buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        while (*t == ' ')
            t++;
        if (*t)
            (*out)[n++] = (struct object){ t, NULL, 0, 0 };
    }
    return n;
}

static bool same_text(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

/* The entry of object `obj`: by its identity when it has one (a view
 * renamed since is still the same view), else by its name. */
static struct journal_latest *latest_entry(struct journal_latest **list, int *n, const struct object *obj)
{
    for (int i = 0; i < *n; i++) {
        struct journal_latest *l = &(*list)[i];
        bool same = obj->oid ? l->oid == obj->oid && l->database_oid == obj->database_oid &&
                               same_text(l->system_id, obj->system_id)
                             : !l->oid && strcmp(l->target, obj->name) == 0;
        if (same)
            return l;
    }
    *list = xrealloc(*list, (size_t)(*n + 1) * sizeof **list);
    struct journal_latest *l = &(*list)[(*n)++];
    *l = (struct journal_latest){ .target = xstrdup(obj->name), .system_id = xstrdup(obj->system_id),
                                  .database_oid = obj->database_oid, .oid = obj->oid,
                                  .time = NAN, .duration_ms = -1, .unfinished = NAN };
    return l;
}

static bool wanted_action(json_t *o, const char *action)
{
    const char *act = field(o, "action");
    return strcmp(act, action) == 0 || (strcmp(action, "refresh") == 0 && strcmp(act, "refresh-stale") == 0);
}

int journal_latest(const char *path, const char *action, struct journal_latest **out,
                   char *err, size_t errlen)
{
    *out = NULL;
    FILE *f = open_for_reading(path, err, errlen);
    if (!f)
        return errno == ENOENT ? 0 : -1;
    char **lines;
    int count = read_tail(f, &lines);
    fclose(f);
    /* Cheap test before parsing: the action's name starts the value. */
    char *needle = xasprintf("\"action\":\"%s", action);
    int n = 0;
    json_t **intents = NULL;
    int nintents = 0;
    for (int i = 0; i < count; i++) {
        if (!strstr(lines[i], needle))
            continue;
        json_error_t jerr;
        json_t *o = json_loads(lines[i], 0, &jerr);
        if (!o || !json_is_object(o) || !wanted_action(o, action)) {
            json_decref(o);
            continue;
        }
        const char *id = field(o, "id");
        if (is_intent(o)) {
            intents = xrealloc(intents, (size_t)(nintents + 1) * sizeof *intents);
            intents[nintents++] = o;
            continue;
        }
        /* Its intent is answered. */
        for (int k = 0; *id && k < nintents; k++)
            if (strcmp(field(intents[k], "id"), id) == 0) {
                json_decref(intents[k]);
                intents[k] = intents[--nintents];
                break;
            }
        double when = parse_time(field(o, "time"));
        if (strcmp(field(o, "outcome"), "ok") == 0 && when >= 0) {
            json_t *d = json_object_get(o, "duration_ms");
            double ms = json_is_number(d) ? json_number_value(d) : -1;
            struct object *objs;
            char *buf;
            int k = line_objects(o, &objs, &buf);
            /* The duration is the whole action's: for several objects
             * nobody knows each one's. */
            if (k > 1)
                ms = -1;
            for (int j = 0; j < k; j++) {
                struct journal_latest *l = latest_entry(out, &n, &objs[j]);
                if (isnan(l->time) || when >= l->time) {
                    l->time = when;
                    l->duration_ms = ms;
                    free(l->target);
                    l->target = xstrdup(objs[j].name);
                }
            }
            free(objs);
            free(buf);
        }
        json_decref(o);
    }
    /* What is left are intents nobody answered: newer than the last "ok"
     * of an object, they make its fate unknown. */
    for (int i = 0; i < nintents; i++) {
        double when = parse_time(field(intents[i], "time"));
        struct object *objs;
        char *buf;
        int k = when >= 0 ? line_objects(intents[i], &objs, &buf) : 0;
        bool running = k > 0 && writer_alive(intents[i]);
        for (int j = 0; j < k; j++) {
            struct journal_latest *l = latest_entry(out, &n, &objs[j]);
            if ((isnan(l->time) || when > l->time) && (isnan(l->unfinished) || when > l->unfinished)) {
                l->unfinished = when;
                l->running = running;
            }
        }
        if (when >= 0) {
            free(objs);
            free(buf);
        }
        json_decref(intents[i]);
    }
    free(intents);
    free(needle);
    free_lines(lines, count);
    return n;
}

void journal_latest_free(struct journal_latest *list, int n)
{
    for (int i = 0; i < n; i++) {
        free(list[i].target);
        free(list[i].system_id);
    }
    free(list);
}
