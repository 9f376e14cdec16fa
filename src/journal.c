/* The action journal (see journal.h for the format). */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "action_sql.h"
#include "journal.h"
#include "statefile.h"
#include "jsontext.h"
#include "sanitize.h"
#include "xalloc.h"

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

/* A JSON string of text, with any illegal UTF-8 byte replaced by U+FFFD
 * (jansson refuses invalid UTF-8). */
static json_t *json_text(const char *text)
{
    if (!text)
        return json_null();
    size_t len = strlen(text);
    if (sql_valid_utf8(text, len))
        return json_string(text);
    char *out = xmalloc(len * 3 + 1);
    size_t o = 0;
    for (size_t i = 0; i < len;) {
        size_t n = sql_utf8_char(text + i, len - i);
        if (n == 0) {
            memcpy(out + o, "\xEF\xBF\xBD", 3);
            o += 3;
            i++;
        } else {
            memcpy(out + o, text + i, n);
            o += n;
            i += n;
        }
    }
    out[o] = '\0';
    json_t *j = json_string(out);
    free(out);
    return j ? j : json_string("\xEF\xBF\xBD");
}

char *journal_format(const struct journal_entry *e)
{
    char when[40];
    iso_time_utc(e->time, when, sizeof when);
    json_t *o = json_object();
    json_object_set_new(o, "time", json_string(when));
    json_object_set_new(o, "os_user", json_text(e->os_user));
    json_object_set_new(o, "db_user", json_text(e->db_user));
    json_object_set_new(o, "database", json_text(e->database));
    json_object_set_new(o, "server", json_text(e->server));
    json_object_set_new(o, "front_end", json_text(e->front_end));
    json_object_set_new(o, "action", json_text(e->action));
    json_object_set_new(o, "target", json_text(e->target));
    json_object_set_new(o, "statement", json_text(e->statement));
    json_object_set_new(o, "duration_ms", e->duration_ms >= 0
                        ? json_real(round(e->duration_ms * 10) / 10) : json_null());
    json_object_set_new(o, "outcome", json_text(e->outcome));
    json_object_set_new(o, "detail", json_text(e->detail));
    /* ASCII only: `cat journal` can never send a terminal anything but
     * printable text, whatever the statements held. */
    char *line = jsontext_dump(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
    json_decref(o);
    char *out = xasprintf("%s\n", line ? line : "{}");
    free(line);
    return out;
}

int journal_append(const char *path, const struct journal_entry *e, char *err, size_t errlen)
{
    int fd = open_for_append(path, err, errlen);
    if (fd < 0)
        return -1;
    char *line = journal_format(e);
    size_t len = strlen(line);
    /* One write with O_APPEND: lines from two pgdeck processes never mix. */
    ssize_t n = write(fd, line, len);
    int saved = errno;
    free(line);
    if (close(fd) != 0 && n == (ssize_t)len) {
        snprintf(err, errlen, "cannot write the journal %s: %s", path, strerror(errno));
        return -1;
    }
    if (n != (ssize_t)len) {
        snprintf(err, errlen, "cannot write the journal %s: %s", path,
                 n < 0 ? strerror(saved) : "short write");
        return -1;
    }
    return 0;
}

static const char *field(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_string(v) ? json_string_value(v) : "";
}

/* One journal line as readable text (two lines when it ran statements). */
static int readable(const char *line, char **out, int room)
{
    json_error_t jerr;
    json_t *o = json_loads(line, 0, &jerr);
    if (!o || !json_is_object(o)) {
        json_decref(o);
        if (room > 0)
            out[0] = sanitize(line, SANITIZE_FOLD);
        return room > 0;
    }
    char duration[32] = "";
    json_t *d = json_object_get(o, "duration_ms");
    if (json_is_number(d)) {
        double ms = json_number_value(d);
        if (ms >= 10000)
            snprintf(duration, sizeof duration, " %.1f s", ms / 1000);
        else
            snprintf(duration, sizeof duration, " %.0f ms", ms);
    }
    const char *detail = field(o, "detail"), *statement = field(o, "statement");
    int n = 0;
    if (room > n)
        out[n++] = xasprintf("%s  %s@%s  %s %s  %s%s%s%s", field(o, "time"), field(o, "os_user"),
                             field(o, "db_user"), field(o, "action"), field(o, "target"),
                             field(o, "outcome"), duration, *detail ? ": " : "", detail);
    if (*statement && room > n)
        out[n++] = xasprintf("    %s", statement);
    json_decref(o);
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

char **journal_tail(const char *path, int max, int *n, char *err, size_t errlen)
{
    *n = 0;
    FILE *f = open_for_reading(path, err, errlen);
    if (!f) {
        if (errno == ENOENT)
            return xcalloc(1, sizeof(char *));
        return NULL;
    }
    bool partial = false;
    if (fseek(f, 0, SEEK_END) == 0) {
        long size = ftell(f);
        if (size > TAIL_BYTES) {
            fseek(f, size - TAIL_BYTES, SEEK_SET);
            partial = true;
        } else {
            fseek(f, 0, SEEK_SET);
        }
    }
    /* Keep the last `max` raw lines in a ring. */
    char **ring = xcalloc((size_t)max, sizeof *ring);
    int count = 0, head = 0;
    char *line = NULL;
    size_t cap = 0;
    ssize_t got;
    bool first = true;
    while ((got = getline(&line, &cap, f)) >= 0) {
        if (first && partial) {
            first = false;      /* the cut line */
            continue;
        }
        first = false;
        while (got > 0 && (line[got - 1] == '\n' || line[got - 1] == '\r'))
            line[--got] = '\0';
        if (!got)
            continue;
        free(ring[head]);
        ring[head] = xstrdup(line);
        head = (head + 1) % max;
        if (count < max)
            count++;
    }
    free(line);
    fclose(f);
    char **out = xcalloc((size_t)count * 2 + 1, sizeof *out);
    int o = 0;
    for (int i = 0; i < count; i++) {
        char *raw = ring[(head - count + i + max) % max];
        o += readable(raw, out + o, count * 2 - o);
    }
    for (int i = 0; i < max; i++)
        free(ring[i]);
    free(ring);
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

static void latest_add(struct journal_latest **list, int *n, const char *target, double when, double ms)
{
    for (int i = 0; i < *n; i++) {
        if (strcmp((*list)[i].target, target) == 0) {
            if (when >= (*list)[i].time) {
                (*list)[i].time = when;
                (*list)[i].duration_ms = ms;
            }
            return;
        }
    }
    *list = xrealloc(*list, (size_t)(*n + 1) * sizeof **list);
    (*list)[*n].target = xstrdup(target);
    (*list)[*n].time = when;
    (*list)[*n].duration_ms = ms;
    (*n)++;
}

int journal_latest(const char *path, const char *action, struct journal_latest **out,
                   char *err, size_t errlen)
{
    *out = NULL;
    FILE *f = open_for_reading(path, err, errlen);
    if (!f)
        return errno == ENOENT ? 0 : -1;
    bool partial = false;
    if (fseek(f, 0, SEEK_END) == 0) {
        long size = ftell(f);
        partial = size > TAIL_BYTES;
        fseek(f, partial ? size - TAIL_BYTES : 0, SEEK_SET);
    }
    int n = 0;
    char *line = NULL;
    size_t cap = 0;
    bool first = true;
    while (getline(&line, &cap, f) >= 0) {
        if (first && partial) {
            first = false;
            continue;
        }
        first = false;
        /* Cheap test before parsing. */
        if (!strstr(line, "\"outcome\":\"ok\""))
            continue;
        json_error_t jerr;
        json_t *o = json_loads(line, 0, &jerr);
        if (!o)
            continue;
        const char *act = field(o, "action");
        if (strcmp(act, action) == 0 || (strcmp(action, "refresh") == 0 && strcmp(act, "refresh-stale") == 0)) {
            double when = parse_time(field(o, "time"));
            json_t *d = json_object_get(o, "duration_ms");
            double ms = json_is_number(d) ? json_number_value(d) : -1;
            char *targets = xstrdup(field(o, "target")), *save = NULL;
            /* The duration is the whole action's: for several targets
             * nobody knows each one's. */
            if (strchr(targets, ','))
                ms = -1;
            for (char *t = strtok_r(targets, ",", &save); t && when >= 0; t = strtok_r(NULL, ",", &save)) {
                while (*t == ' ')
                    t++;
                if (*t)
                    latest_add(out, &n, t, when, ms);
            }
            free(targets);
        }
        json_decref(o);
    }
    free(line);
    fclose(f);
    return n;
}

void journal_latest_free(struct journal_latest *list, int n)
{
    for (int i = 0; i < n; i++)
        free(list[i].target);
    free(list);
}
