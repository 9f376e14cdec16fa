/* The stream format (see stream.h): the --once JSON of a snapshot, the
 * fields of a stream entry, the agent's summary, and their strict,
 * bounded readers. */
#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/stream.h"
#include "base/jsontext.h"
#include "base/numparse.h"
#include "base/clock.h"
#include "base/xalloc.h"
#include "base/errbuf.h"

static const char *const level_names[] = { "ok", "warning", "critical", "unknown" };
/* By enum stream_actions. */
static const char *const action_names[] = { "refused", "accepted", "read-only" };

/* ---- names and keys ---------------------------------------------------------- */

bool stream_name_valid(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n > STREAM_NAME_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)name[i]) && !strchr("._-", name[i]))
            return false;
    return true;
}

bool stream_collector_valid(const char *name)
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n > STREAM_COLLECTOR_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!(name[i] >= 'a' && name[i] <= 'z') && !(name[i] >= '0' && name[i] <= '9') && name[i] != '_')
            return false;
    return true;
}

char *stream_key(const char *name, const char *what)
{
    return xasprintf("pgdeck:{%s}:%s", name, what);
}

int stream_key_agent_name(const char *key, size_t len, char *out, size_t outlen)
{
    static const char head[] = "pgdeck:{", tail[] = "}:agent";
    size_t hn = sizeof head - 1, tn = sizeof tail - 1;
    if (!key || len <= hn + tn || memcmp(key, head, hn) != 0 || memcmp(key + len - tn, tail, tn) != 0)
        return -1;
    size_t n = len - hn - tn;
    if (n > STREAM_NAME_MAX || n + 1 > outlen)
        return -1;
    memcpy(out, key + hn, n);
    out[n] = '\0';
    return strlen(out) == n && stream_name_valid(out) ? 0 : -1;
}

const char *stream_level_name(int level)
{
    return level >= 0 && level <= 3 ? level_names[level] : "unknown";
}

/* ---- writing ------------------------------------------------------------------- */

static json_t *json_time(double wall)
{
    char buf[32];
    return wall > 0 ? json_string(iso_time_utc(wall, buf, sizeof buf)) : json_null();
}

/* The longest prefix of valid UTF-8 `s` of at most `max` bytes that does
 * not split a character. */
static size_t utf8_cut(const char *s, size_t len, size_t max)
{
    if (len <= max)
        return len;
    size_t n = max;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    return n;
}

/* A cell as a JSON string, repaired, and cut to `max` bytes (0: whole). */
static json_t *text_json(const char *text, size_t max)
{
    if (!text)
        return json_null();
    if (!max || strlen(text) <= max)
        return jsontext_new(text);
    char *clean = jsontext_repair(text);
    size_t len = strlen(clean);
    clean[utf8_cut(clean, len, max)] = '\0';
    json_t *j = json_string(clean);
    free(clean);
    return j ? j : json_string("\xEF\xBF\xBD");
}

static json_t *snapshot_json(const struct snapshot *s, const char *source, const char *missing, size_t max)
{
    json_t *columns = json_array(), *rows = json_array();
    json_t *error;
    if (!s) {
        error = jsontext_new(missing ? missing : "no result");
    } else {
        error = text_json(s->error, max);
        for (int col = 0; col < s->ncols; col++)
            json_array_append_new(columns, text_json(s->columns[col], max));
        for (int r = 0; r < s->nrows; r++) {
            json_t *row = json_array();
            for (int col = 0; col < s->ncols; col++)
                json_array_append_new(row, text_json(snapshot_cell(s, r, col), max));
            json_array_append_new(rows, row);
        }
    }
    return json_pack("{s:s, s:o, s:o, s:o, s:o, s:o}",
        "source", source ? source : "unknown",
        "taken_at", json_time(s ? s->taken_at : 0),
        "elapsed_ms", s && isfinite(s->elapsed) ? json_real(round(s->elapsed * 1e4) / 10) : json_null(),
        "error", error,
        "columns", columns,
        "rows", rows);
}

json_t *stream_snapshot_json(const struct snapshot *s, const char *source, const char *missing)
{
    return snapshot_json(s, source, missing, 0);
}

json_t *stream_server_json(const char *name, bool configured, const char *state,
                           const char *version, bool standby, const char *error)
{
    return json_pack("{s:s, s:b, s:o, s:o, s:b, s:o}",
        "name", name,
        "configured", configured,
        "state", configured && state && *state ? json_string(state) : json_null(),
        "version", jsontext_new(version),
        "standby", standby,
        "error", jsontext_new(error));
}

json_t *stream_alert_json(int level, const char *name, const char *text)
{
    return json_pack("{s:s, s:o, s:o}",
        "level", stream_level_name(level),
        "name", jsontext_new(name),
        "text", jsontext_new(text));
}

static char *dump(const json_t *doc)
{
    return jsontext_dump(doc, JSON_COMPACT | JSON_ENSURE_ASCII | JSON_PRESERVE_ORDER);
}

static char *number_text(double v)
{
    char buf[48];
    snprintf(buf, sizeof buf, "%.6g", isfinite(v) && v >= 0 ? v : 0);
    return xstrdup(buf);
}

void stream_entry_encode(struct stream_fields *out, const struct snapshot *s, const char *collector,
                         const char *source, double cadence, double keepalive)
{
    memset(out, 0, sizeof *out);
    char *text = NULL;
    /* What a reader would refuse is not sent: a snapshot that says why
     * takes its place (the limits are far above what any collector
     * returns, so this is for the pathological case only). */
    char why[160] = "";
    if (s && s->ncols > STREAM_MAX_COLUMNS)
        snprintf(why, sizeof why, "too many columns for the stream (%d > %d)", s->ncols, STREAM_MAX_COLUMNS);
    else if (s && s->nrows > STREAM_MAX_ROWS)
        snprintf(why, sizeof why, "too many rows for the stream (%d > %d)", s->nrows, STREAM_MAX_ROWS);
    else if (s && (long long)s->nrows * s->ncols > STREAM_MAX_CELLS)
        snprintf(why, sizeof why, "too many cells for the stream (%d rows x %d columns > %d)",
                 s->nrows, s->ncols, STREAM_MAX_CELLS);
    if (!*why) {
        json_t *doc = snapshot_json(s, source, "no result", STREAM_MAX_TEXT);
        text = doc ? dump(doc) : NULL;
        json_decref(doc);
        if (!text)
            snprintf(why, sizeof why, "the snapshot could not be written as JSON");
        else if (strlen(text) > STREAM_MAX_BYTES) {
            snprintf(why, sizeof why, "snapshot too large for the stream (%zu bytes of JSON > %u)",
                     strlen(text), STREAM_MAX_BYTES);
            free(text);
            text = NULL;
        }
    }
    if (!text) {
        struct snapshot *failed = snapshot_failed(collector, why);
        failed->taken_at = s ? s->taken_at : failed->taken_at;
        json_t *doc = snapshot_json(failed, source, NULL, STREAM_MAX_TEXT);
        text = dump(doc);
        json_decref(doc);
        snapshot_unref(failed);
    }
    out->field[0] = "format";
    out->value[0] = xasprintf("%d", STREAM_FORMAT);
    out->field[1] = "collector";
    out->value[1] = xstrdup(collector);
    out->field[2] = "cadence";
    out->value[2] = number_text(cadence);
    out->field[3] = "keepalive";
    out->value[3] = number_text(keepalive);
    out->field[4] = "snapshot";
    out->value[4] = text ? text : xstrdup("{}");
    out->count = 5;
}

void stream_fields_free(struct stream_fields *f)
{
    for (int i = 0; i < f->count; i++)
        free(f->value[i]);
    memset(f, 0, sizeof *f);
}

bool stream_same_data(const struct snapshot *a, const struct snapshot *b)
{
    return snapshot_same_data(a, b);
}

/* ---- reading: times and members ---------------------------------------------------- */

/* n digits at *p as a number, or -1. */
static int digits(const char **p, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9')
            return -1;
        v = v * 10 + (c - '0');
    }
    *p += n;
    return v;
}

double stream_parse_time(const char *text)
{
    const char *p = text;
    if (!p)
        return -1;
    int year = digits(&p, 4);
    if (year < 1970 || *p++ != '-')
        return -1;
    int mon = digits(&p, 2);
    if (mon < 1 || mon > 12 || *p++ != '-')
        return -1;
    int day = digits(&p, 2);
    if (day < 1 || day > 31 || *p++ != 'T')
        return -1;
    int hour = digits(&p, 2);
    if (hour < 0 || hour > 23 || *p++ != ':')
        return -1;
    int min = digits(&p, 2);
    if (min < 0 || min > 59 || *p++ != ':')
        return -1;
    int sec = digits(&p, 2);
    if (sec < 0 || sec > 60)
        return -1;
    double frac = 0, scale = 0.1;
    if (*p == '.') {
        p++;
        int n = 0;
        while (*p >= '0' && *p <= '9' && n < 9) {
            frac += (*p++ - '0') * scale;
            scale /= 10;
            n++;
        }
        if (n == 0)
            return -1;
    }
    if (p[0] != 'Z' || p[1] != '\0')
        return -1;
    struct tm tm = { .tm_year = year - 1900, .tm_mon = mon - 1, .tm_mday = day,
                     .tm_hour = hour, .tm_min = min, .tm_sec = sec };
    time_t t = timegm(&tm);
    if (t == (time_t)-1)
        return -1;
    /* timegm normalises 31 February into March: refuse what was not a date. */
    struct tm back;
    if (!gmtime_r(&t, &back) || back.tm_mday != day || back.tm_mon != mon - 1)
        return -1;
    return (double)t + frac;
}

/* What is wrong with a JSON value as a string member: not a string, more
 * than `max` bytes, or a NUL inside (jansson refuses \u0000 unless asked,
 * but say so here too).  No message is written: a snapshot has thousands
 * of cells, and the location is worth formatting only for an error. */
enum string_check { STRING_OK, STRING_NOT, STRING_LONG, STRING_NUL };

static enum string_check string_check(const json_t *j, size_t max)
{
    if (!json_is_string(j))
        return STRING_NOT;
    size_t len = json_string_length(j);
    if (len > max)
        return STRING_LONG;
    return memchr(json_string_value(j), '\0', len) ? STRING_NUL : STRING_OK;
}

/* A JSON string member's text, checked by string_check; NULL with a
 * message saying what and where when it is not one. */
static const char *string_value(const json_t *j, size_t max, const char *where, char *err, size_t errlen)
{
    switch (string_check(j, max)) {
    case STRING_OK:
        return json_string_value(j);
    case STRING_NOT:
        errbuf_set(err, errlen, "%s: expected a string", where);
        break;
    case STRING_LONG:
        errbuf_set(err, errlen, "%s: %zu bytes, more than %zu", where, json_string_length(j), max);
        break;
    case STRING_NUL:
        errbuf_set(err, errlen, "%s: holds a NUL character", where);
        break;
    }
    return NULL;
}

/* A member that must be there. */
static const json_t *member(const json_t *obj, const char *key, const char *where, char *err, size_t errlen)
{
    const json_t *j = json_object_get(obj, key);
    if (!j)
        errbuf_set(err, errlen, "%s: the member \"%s\" is missing", where, key);
    return j;
}

static json_t *load(const char *text, size_t len, size_t max, const char *where, char *err, size_t errlen)
{
    if (len > max) {
        errbuf_set(err, errlen, "%s: %zu bytes, more than %zu", where, len, max);
        return NULL;
    }
    if (len == 0) {
        errbuf_set(err, errlen, "%s: empty", where);
        return NULL;
    }
    json_error_t jerr;
    json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!doc) {
        errbuf_set(err, errlen, "%s: not JSON: %s at byte %d", where, jerr.text, jerr.position);
        return NULL;
    }
    if (!json_is_object(doc)) {
        errbuf_set(err, errlen, "%s: expected a JSON object", where);
        json_decref(doc);
        return NULL;
    }
    return doc;
}

/* A time member: a string as iso_time_utc writes it, or null (0). */
static int time_member(const json_t *obj, const char *key, double *out, const char *where,
                       char *err, size_t errlen)
{
    const json_t *j = member(obj, key, where, err, errlen);
    if (!j)
        return -1;
    if (json_is_null(j)) {
        *out = 0;
        return 0;
    }
    char at[96];
    snprintf(at, sizeof at, "%s: %s", where, key);
    const char *s = string_value(j, 40, at, err, errlen);
    double t = s ? stream_parse_time(s) : -1;
    if (s && t < 0)
        errbuf_set(err, errlen, "%s: not a time like 2026-11-29T01:15:43.123Z", at);
    if (t < 0)
        return -1;
    *out = t;
    return 0;
}

/* A number member within [min, max], or null (fallback) when allowed. */
static int number_member(const json_t *obj, const char *key, double min, double max, bool null_ok,
                         double fallback, double *out, const char *where, char *err, size_t errlen)
{
    const json_t *j = member(obj, key, where, err, errlen);
    if (!j)
        return -1;
    if (null_ok && json_is_null(j)) {
        *out = fallback;
        return 0;
    }
    double v = json_is_number(j) ? json_number_value(j) : NAN;
    if (!json_is_number(j) || !isfinite(v) || v < min || v > max) {
        errbuf_set(err, errlen, "%s: %s: expected a number between %g and %g%s", where, key, min, max,
                  null_ok ? " or null" : "");
        return -1;
    }
    *out = v;
    return 0;
}

/* A string member (or null, giving NULL, when allowed) copied into an
 * owned string. */
static int text_member(const json_t *obj, const char *key, size_t max, bool null_ok, char **out,
                       const char *where, char *err, size_t errlen)
{
    *out = NULL;
    const json_t *j = member(obj, key, where, err, errlen);
    if (!j)
        return -1;
    if (null_ok && json_is_null(j))
        return 0;
    char at[96];
    snprintf(at, sizeof at, "%s: %s", where, key);
    const char *s = string_value(j, max, at, err, errlen);
    if (!s)
        return -1;
    *out = xstrndup(s, json_string_length(j));
    return 0;
}

/* The same into a fixed buffer (cut on a character boundary). */
static int text_member_into(const json_t *obj, const char *key, size_t max, bool null_ok,
                            char *buf, size_t buflen, const char *where, char *err, size_t errlen)
{
    char *s;
    if (text_member(obj, key, max, null_ok, &s, where, err, errlen) != 0)
        return -1;
    size_t len = s ? strlen(s) : 0;
    size_t n = s ? utf8_cut(s, len, buflen - 1) : 0;
    memcpy(buf, s ? s : "", n);
    buf[n] = '\0';
    free(s);
    return 0;
}

/* ---- reading: a snapshot ---------------------------------------------------------------- */

static struct snapshot *snapshot_from_json(const json_t *doc, const char *collector, struct stream_meta *meta,
                                           char *err, size_t errlen)
{
    const char *where = "snapshot";
    double taken_at, elapsed_ms;
    char *error = NULL, source[16];
    if (text_member_into(doc, "source", 15, true, source, sizeof source, where, err, errlen) != 0 ||
        time_member(doc, "taken_at", &taken_at, where, err, errlen) != 0 ||
        number_member(doc, "elapsed_ms", 0, 1e12, true, 0, &elapsed_ms, where, err, errlen) != 0 ||
        text_member(doc, "error", STREAM_MAX_TEXT, true, &error, where, err, errlen) != 0)
        return NULL;
    const json_t *columns = member(doc, "columns", where, err, errlen);
    const json_t *rows = columns ? member(doc, "rows", where, err, errlen) : NULL;
    if (!rows) {
        free(error);
        return NULL;
    }
    if (!json_is_array(columns) || !json_is_array(rows)) {
        errbuf_set(err, errlen, "%s: %s: expected an array", where, json_is_array(columns) ? "rows" : "columns");
        free(error);
        return NULL;
    }
    size_t ncols = json_array_size(columns), nrows = json_array_size(rows);
    if (ncols > STREAM_MAX_COLUMNS || nrows > STREAM_MAX_ROWS ||
        (unsigned long long)ncols * nrows > STREAM_MAX_CELLS) {
        errbuf_set(err, errlen, "%s: %zu rows of %zu columns, more than the limits (%d columns, %d rows, "
                  "%d cells)", where, nrows, ncols, STREAM_MAX_COLUMNS, STREAM_MAX_ROWS, STREAM_MAX_CELLS);
        free(error);
        return NULL;
    }
    if (error && (ncols || nrows)) {
        errbuf_set(err, errlen, "%s: a failed snapshot (error set) carries no columns or rows", where);
        free(error);
        return NULL;
    }

    const char **names = xcalloc(ncols ? ncols : 1, sizeof *names);
    for (size_t c = 0; c < ncols; c++) {
        char at[64];
        snprintf(at, sizeof at, "%s: columns[%zu]", where, c);
        names[c] = string_value(json_array_get(columns, c), STREAM_MAX_TEXT, at, err, errlen);
        if (!names[c]) {
            free(names);
            free(error);
            return NULL;
        }
    }
    struct snapshot *s = snapshot_new(collector, (int)ncols, names);
    free(names);
    s->taken_at = taken_at;
    s->elapsed = elapsed_ms / 1000;
    s->error = error;
    s->cap_rows = (int)nrows;
    s->cells = xcalloc(nrows * ncols > 0 ? nrows * ncols : 1, sizeof *s->cells);
    for (size_t r = 0; r < nrows; r++) {
        const json_t *row = json_array_get(rows, r);
        if (!json_is_array(row) || json_array_size(row) != ncols) {
            errbuf_set(err, errlen, "%s: rows[%zu]: expected an array of %zu values", where, r, ncols);
            snapshot_unref(s);
            return NULL;
        }
        /* Counted as it fills, so an early return frees what is there. */
        s->nrows = (int)r + 1;
        for (size_t c = 0; c < ncols; c++) {
            const json_t *v = json_array_get(row, c);
            if (json_is_null(v))
                continue;
            if (string_check(v, STREAM_MAX_TEXT) != STRING_OK) {
                char at[64];
                snprintf(at, sizeof at, "%s: rows[%zu][%zu]", where, r, c);
                if (json_is_string(v))
                    string_value(v, STREAM_MAX_TEXT, at, err, errlen);
                else
                    errbuf_set(err, errlen, "%s: expected a string or null", at);
                snapshot_unref(s);
                return NULL;
            }
            snapshot_set_cell_n(s, (int)r, (int)c, json_string_value(v), json_string_length(v));
        }
    }
    snprintf(meta->source, sizeof meta->source, "%s", source);
    return s;
}

/* A short field's text, NUL-terminated into buf; -1 when too long or it
 * holds a NUL. */
static int short_field(const char *v, size_t len, char *buf, size_t buflen)
{
    if (len >= buflen || memchr(v, '\0', len))
        return -1;
    memcpy(buf, v, len);
    buf[len] = '\0';
    return 0;
}

static int number_field(const char *name, const char *v, size_t len, double min, double max,
                        double *out, char *err, size_t errlen)
{
    char buf[32];
    double d;
    if (short_field(v, len, buf, sizeof buf) != 0 || numparse_double(buf, &d) != 0 || d < min || d > max) {
        errbuf_set(err, errlen, "entry: the field \"%s\" is not a number between %g and %g", name, min, max);
        return -1;
    }
    *out = d;
    return 0;
}

int stream_entry_parse(int count, const char *const *fields, const size_t *field_lens,
                       const char *const *values, const size_t *value_lens,
                       struct snapshot **out, struct stream_meta *meta,
                       char *err, size_t errlen)
{
    static const char *const known[] = { "format", "collector", "cadence", "keepalive", "snapshot" };
    enum { F_FORMAT, F_COLLECTOR, F_CADENCE, F_KEEPALIVE, F_SNAPSHOT, F_KNOWN };
    int at[F_KNOWN] = { -1, -1, -1, -1, -1 };
    *out = NULL;
    memset(meta, 0, sizeof *meta);
    if (count < 0 || count > STREAM_MAX_FIELDS) {
        errbuf_set(err, errlen, "entry: %d fields, more than %d", count, STREAM_MAX_FIELDS);
        return -1;
    }
    for (int i = 0; i < count; i++) {
        for (int k = 0; k < F_KNOWN; k++) {
            if (field_lens[i] != strlen(known[k]) || memcmp(fields[i], known[k], field_lens[i]) != 0)
                continue;
            if (at[k] >= 0) {
                errbuf_set(err, errlen, "entry: the field \"%s\" is given twice", known[k]);
                return -1;
            }
            at[k] = i;
        }
    }
    for (int k = 0; k < F_KNOWN; k++) {
        /* cadence and keepalive are hints; the rest is needed */
        if (at[k] < 0 && k != F_CADENCE && k != F_KEEPALIVE) {
            errbuf_set(err, errlen, "entry: the field \"%s\" is missing", known[k]);
            return -1;
        }
    }
    char buf[40];
    long format;
    if (short_field(values[at[F_FORMAT]], value_lens[at[F_FORMAT]], buf, sizeof buf) != 0 ||
        numparse_long(buf, &format) != 0 || format < 1) {
        errbuf_set(err, errlen, "entry: the field \"format\" is not a format number");
        return -1;
    }
    if (format > STREAM_FORMAT) {
        errbuf_set(err, errlen, "entry: stream format %ld is newer than this pgdeck reads (%d)", format,
                  STREAM_FORMAT);
        return -1;
    }
    meta->format = (int)format;
    if (short_field(values[at[F_COLLECTOR]], value_lens[at[F_COLLECTOR]], meta->collector,
                    sizeof meta->collector) != 0 || !stream_collector_valid(meta->collector)) {
        meta->collector[0] = '\0';
        errbuf_set(err, errlen, "entry: the field \"collector\" is not a collector name ([a-z0-9_], 1 to %d)",
                  STREAM_COLLECTOR_MAX);
        return -1;
    }
    if (at[F_CADENCE] >= 0 && number_field("cadence", values[at[F_CADENCE]], value_lens[at[F_CADENCE]],
                                           0, 86400, &meta->cadence, err, errlen) != 0)
        return -1;
    if (at[F_KEEPALIVE] >= 0 && number_field("keepalive", values[at[F_KEEPALIVE]], value_lens[at[F_KEEPALIVE]],
                                             0, 86400, &meta->keepalive, err, errlen) != 0)
        return -1;
    json_t *doc = load(values[at[F_SNAPSHOT]], value_lens[at[F_SNAPSHOT]], STREAM_MAX_BYTES, "snapshot",
                       err, errlen);
    if (!doc)
        return -1;
    *out = snapshot_from_json(doc, meta->collector, meta, err, errlen);
    json_decref(doc);
    return *out ? 0 : -1;
}

double stream_id_ms(const char *id, size_t len)
{
    /* "1700000000000-0": the milliseconds before the dash */
    double ms = 0;
    size_t i = 0;
    for (; i < len && i < 16 && id[i] >= '0' && id[i] <= '9'; i++)
        ms = ms * 10 + (id[i] - '0');
    return i > 0 && i < len && id[i] == '-' ? ms : 0;
}

int stream_reply_parse(const redisReply *entry, struct snapshot **out, struct stream_meta *meta,
                       char *err, size_t errlen)
{
    *out = NULL;
    memset(meta, 0, sizeof *meta);
    if (!entry || entry->type != REDIS_REPLY_ARRAY || entry->elements != 2 ||
        !entry->element[0] || entry->element[0]->type != REDIS_REPLY_STRING ||
        !entry->element[1] || entry->element[1]->type != REDIS_REPLY_ARRAY) {
        errbuf_set(err, errlen, "entry: expected [ID, [field, value, ...]]");
        return -1;
    }
    const redisReply *pairs = entry->element[1];
    if (pairs->elements % 2 != 0 || pairs->elements / 2 > STREAM_MAX_FIELDS) {
        errbuf_set(err, errlen, "entry: %zu field and value strings (expected pairs, at most %d)",
                  pairs->elements, STREAM_MAX_FIELDS);
        return -1;
    }
    int count = (int)(pairs->elements / 2);
    const char *fields[STREAM_MAX_FIELDS], *values[STREAM_MAX_FIELDS];
    size_t flens[STREAM_MAX_FIELDS], vlens[STREAM_MAX_FIELDS];
    for (int i = 0; i < count; i++) {
        const redisReply *f = pairs->element[2 * i], *v = pairs->element[2 * i + 1];
        if (!f || !v || f->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING) {
            errbuf_set(err, errlen, "entry: field %d is not a string pair", i);
            return -1;
        }
        fields[i] = f->str;
        flens[i] = f->len;
        values[i] = v->str;
        vlens[i] = v->len;
    }
    int rc = stream_entry_parse(count, fields, flens, values, vlens, out, meta, err, errlen);
    meta->id_ms = stream_id_ms(entry->element[0]->str, entry->element[0]->len);
    return rc;
}

/* ---- the agent's summary ----------------------------------------------------------------- */

char *stream_agent_text(const struct stream_agent *a)
{
    json_t *servers = json_array(), *alerts = json_array();
    for (int i = 0; i < a->nservers; i++) {
        const struct stream_server *s = &a->servers[i];
        json_array_append_new(servers, stream_server_json(s->name, s->configured, s->state, s->version,
                                                          s->standby, s->error));
    }
    for (int i = 0; i < a->nalerts; i++)
        json_array_append_new(alerts, stream_alert_json(a->alerts[i].level, a->alerts[i].name,
                                                        a->alerts[i].text));
    json_t *figures = json_object();
    for (int i = 0; i < a->nfigures; i++)
        if (isfinite(a->figures[i].value))
            json_object_set_new(figures, a->figures[i].name, json_real(a->figures[i].value));
    json_t *doc = json_pack("{s:i, s:s, s:s, s:o, s:o, s:I, s:o, s:o, s:f, s:f, s:o, s:o, s:o, s:s, s:o}",
        "format", STREAM_FORMAT,
        "name", a->name,
        "state", a->state,
        "pgdeck", jsontext_new(a->pgdeck),
        "host", jsontext_new(a->host),
        "pid", (json_int_t)a->pid,
        "at", json_time(a->at),
        "started_at", json_time(a->started_at),
        "interval", a->interval,
        "ttl", a->ttl,
        "server_version", jsontext_new(a->server_version),
        "primary_down_since", json_time(a->primary_down_since),
        "servers", servers,
        "worst", stream_level_name(a->worst),
        "alerts", alerts);
    if (doc) {
        json_object_set_new(doc, "actions", json_string(action_names[a->actions]));
        json_object_set_new(doc, "figures", figures);
    } else {
        json_decref(figures);
    }
    char *text = doc ? dump(doc) : NULL;
    json_decref(doc);
    return text;
}

void stream_agent_free(struct stream_agent *a)
{
    free(a->pgdeck);
    free(a->host);
    free(a->server_version);
    for (int i = 0; i < a->nservers; i++) {
        free(a->servers[i].version);
        free(a->servers[i].error);
    }
    memset(a, 0, sizeof *a);
}

static int level_member(const json_t *obj, const char *key, int *out, const char *where, char *err, size_t errlen)
{
    char buf[16];
    if (text_member_into(obj, key, 15, false, buf, sizeof buf, where, err, errlen) != 0)
        return -1;
    for (int l = 0; l < 4; l++) {
        if (strcmp(buf, level_names[l]) == 0) {
            *out = l;
            return 0;
        }
    }
    errbuf_set(err, errlen, "%s: %s: expected ok, warning, critical or unknown", where, key);
    return -1;
}

/* The members later agents add ("actions", "figures"): absent is the
 * old agent's answer; present, they are read as strictly as the rest. */
static int optional_members(const json_t *doc, struct stream_agent *a, const char *where,
                            char *err, size_t errlen)
{
    a->actions = STREAM_ACTIONS_REFUSED;
    if (json_object_get(doc, "actions")) {
        char buf[16];
        if (text_member_into(doc, "actions", 15, false, buf, sizeof buf, where, err, errlen) != 0)
            return -1;
        int found = -1;
        for (int i = 0; i < (int)(sizeof action_names / sizeof action_names[0]); i++)
            if (strcmp(buf, action_names[i]) == 0)
                found = i;
        if (found < 0) {
            errbuf_set(err, errlen, "%s: actions: expected refused, accepted or read-only", where);
            return -1;
        }
        a->actions = (enum stream_actions)found;
    }
    const json_t *figures = json_object_get(doc, "figures");
    if (!figures)
        return 0;
    if (!json_is_object(figures) || json_object_size(figures) > STREAM_MAX_FIGURES) {
        errbuf_set(err, errlen, "%s: figures: expected an object of at most %d numbers", where, STREAM_MAX_FIGURES);
        return -1;
    }
    const char *key;
    const json_t *value;
    json_object_foreach((json_t *)figures, key, value) {
        double v = json_is_number(value) ? json_number_value(value) : NAN;
        if (strlen(key) >= sizeof a->figures[0].name || !isfinite(v) || fabs(v) > 1e18) {
            errbuf_set(err, errlen, "%s: figures: each a name of at most %zu bytes and a number", where,
                      sizeof a->figures[0].name - 1);
            return -1;
        }
        struct stream_figure *f = &a->figures[a->nfigures++];
        snprintf(f->name, sizeof f->name, "%s", key);
        f->value = v;
    }
    return 0;
}

double stream_agent_figure(const struct stream_agent *a, const char *name)
{
    for (int i = 0; i < a->nfigures; i++)
        if (strcmp(a->figures[i].name, name) == 0)
            return a->figures[i].value;
    return NAN;
}

static int summary_from_json(const json_t *doc, struct stream_agent *a, char *err, size_t errlen)
{
    const char *where = "summary";
    double format, pid;
    if (number_member(doc, "format", 1, 1e6, false, 0, &format, where, err, errlen) != 0)
        return -1;
    if (format > STREAM_FORMAT || format != floor(format)) {
        errbuf_set(err, errlen, "%s: format %g is not one this pgdeck reads (%d)", where, format, STREAM_FORMAT);
        return -1;
    }
    a->format = (int)format;
    if (text_member_into(doc, "name", STREAM_NAME_MAX, false, a->name, sizeof a->name, where, err, errlen) != 0)
        return -1;
    if (!stream_name_valid(a->name)) {
        errbuf_set(err, errlen, "%s: name: not an agent name ([A-Za-z0-9._-], 1 to %d)", where, STREAM_NAME_MAX);
        return -1;
    }
    if (text_member_into(doc, "state", 15, false, a->state, sizeof a->state, where, err, errlen) != 0 ||
        text_member(doc, "pgdeck", 64, true, &a->pgdeck, where, err, errlen) != 0 ||
        text_member(doc, "host", 256, true, &a->host, where, err, errlen) != 0 ||
        number_member(doc, "pid", 0, 4194304, true, 0, &pid, where, err, errlen) != 0 ||
        time_member(doc, "at", &a->at, where, err, errlen) != 0 ||
        time_member(doc, "started_at", &a->started_at, where, err, errlen) != 0 ||
        number_member(doc, "interval", 0, 86400, false, 0, &a->interval, where, err, errlen) != 0 ||
        number_member(doc, "ttl", 0, 864000, false, 0, &a->ttl, where, err, errlen) != 0 ||
        text_member(doc, "server_version", 256, true, &a->server_version, where, err, errlen) != 0 ||
        time_member(doc, "primary_down_since", &a->primary_down_since, where, err, errlen) != 0 ||
        level_member(doc, "worst", &a->worst, where, err, errlen) != 0)
        return -1;
    a->pid = (long)pid;

    const json_t *servers = member(doc, "servers", where, err, errlen);
    const json_t *alerts = servers ? member(doc, "alerts", where, err, errlen) : NULL;
    if (!alerts)
        return -1;
    if (!json_is_array(servers) || json_array_size(servers) > STREAM_MAX_SERVERS) {
        errbuf_set(err, errlen, "%s: servers: expected an array of at most %d", where, STREAM_MAX_SERVERS);
        return -1;
    }
    if (!json_is_array(alerts) || json_array_size(alerts) > STREAM_MAX_ALERTS) {
        errbuf_set(err, errlen, "%s: alerts: expected an array of at most %d", where, STREAM_MAX_ALERTS);
        return -1;
    }
    for (size_t i = 0; i < json_array_size(servers); i++) {
        const json_t *j = json_array_get(servers, i);
        char at[48];
        snprintf(at, sizeof at, "%s: servers[%zu]", where, i);
        if (!json_is_object(j)) {
            errbuf_set(err, errlen, "%s: expected an object", at);
            return -1;
        }
        struct stream_server *s = &a->servers[a->nservers++];
        const json_t *configured = member(j, "configured", at, err, errlen);
        const json_t *standby = configured ? member(j, "standby", at, err, errlen) : NULL;
        if (!standby)
            return -1;
        if (!json_is_boolean(configured) || !json_is_boolean(standby)) {
            errbuf_set(err, errlen, "%s: configured and standby: expected true or false", at);
            return -1;
        }
        s->configured = json_is_true(configured);
        s->standby = json_is_true(standby);
        if (text_member_into(j, "name", 15, false, s->name, sizeof s->name, at, err, errlen) != 0 ||
            text_member_into(j, "state", 15, true, s->state, sizeof s->state, at, err, errlen) != 0 ||
            text_member(j, "version", 256, true, &s->version, at, err, errlen) != 0 ||
            text_member(j, "error", 4096, true, &s->error, at, err, errlen) != 0)
            return -1;
    }
    for (size_t i = 0; i < json_array_size(alerts); i++) {
        const json_t *j = json_array_get(alerts, i);
        char at[48];
        snprintf(at, sizeof at, "%s: alerts[%zu]", where, i);
        if (!json_is_object(j)) {
            errbuf_set(err, errlen, "%s: expected an object", at);
            return -1;
        }
        struct stream_alert *al = &a->alerts[a->nalerts++];
        if (level_member(j, "level", &al->level, at, err, errlen) != 0 ||
            text_member_into(j, "name", 64, false, al->name, sizeof al->name, at, err, errlen) != 0 ||
            text_member_into(j, "text", 4096, false, al->text, sizeof al->text, at, err, errlen) != 0)
            return -1;
    }
    return optional_members(doc, a, where, err, errlen);
}

int stream_agent_parse(const char *text, size_t len, struct stream_agent *a, char *err, size_t errlen)
{
    memset(a, 0, sizeof *a);
    json_t *doc = load(text, len, STREAM_SUMMARY_MAX, "summary", err, errlen);
    if (!doc)
        return -1;
    int rc = summary_from_json(doc, a, err, errlen);
    json_decref(doc);
    if (rc != 0)
        stream_agent_free(a);
    return rc;
}
