/* Requests and answers of actions through an agent (see stream_cmd.h):
 * their fields, written and read strictly. */
#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/stream.h"
#include "core/stream_cmd.h"
#include "base/jsontext.h"
#include "base/numparse.h"
#include "base/utf8.h"
#include "base/xalloc.h"

static void set_error(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void set_error(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || !errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

void stream_cmd_fields_free(struct stream_cmd_fields *f)
{
    for (int i = 0; i < f->count; i++)
        free(f->value[i]);
    memset(f, 0, sizeof *f);
}

static void add(struct stream_cmd_fields *f, const char *field, char *value)
{
    if (!value || f->count == STREAM_CMD_FIELDS) {
        free(value);
        return;
    }
    f->field[f->count] = field;
    f->value[f->count++] = value;
}

/* ---- names ------------------------------------------------------------------------- */

bool stream_request_id_valid(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > STREAM_REQUEST_ID_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && !strchr("._:-", s[i]))
            return false;
    return true;
}

bool stream_user_valid(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > STREAM_USER_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (s[i] <= ' ' || s[i] > '~')
            return false;
    return true;
}

bool stream_action_name_valid(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > STREAM_ACTION_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!(s[i] >= 'a' && s[i] <= 'z') && s[i] != '-')
            return false;
    return true;
}

static const char *const outcomes[] = { "ok", "failed", "refused", "declined", "nothing", "dry-run" };

bool stream_outcome_valid(const char *name)
{
    for (size_t i = 0; name && i < sizeof outcomes / sizeof outcomes[0]; i++)
        if (strcmp(name, outcomes[i]) == 0)
            return true;
    return false;
}

/* ---- reading an entry's fields ---------------------------------------------------------- */

/* The fields a reader knows, found in an entry: index of each in the
 * entry's pairs, -1 when absent. */
struct found {
    const redisReply *pairs;
    const char *const *names;
    int   nnames;
    int   at[STREAM_CMD_FIELDS];
};

static int read_fields(const redisReply *entry, struct found *f, double *id_ms, char *err, size_t errlen)
{
    for (int k = 0; k < f->nnames; k++)
        f->at[k] = -1;
    if (!entry || entry->type != REDIS_REPLY_ARRAY || entry->elements != 2 || !entry->element[0] ||
        entry->element[0]->type != REDIS_REPLY_STRING || !entry->element[1] ||
        entry->element[1]->type != REDIS_REPLY_ARRAY) {
        set_error(err, errlen, "entry: expected [ID, [field, value, ...]]");
        return -1;
    }
    const redisReply *pairs = entry->element[1];
    if (pairs->elements % 2 != 0 || pairs->elements / 2 > STREAM_MAX_FIELDS) {
        set_error(err, errlen, "entry: %zu field and value strings (expected pairs, at most %d)", pairs->elements,
                  STREAM_MAX_FIELDS);
        return -1;
    }
    for (size_t i = 0; i < pairs->elements; i += 2) {
        const redisReply *k = pairs->element[i], *v = pairs->element[i + 1];
        if (!k || !v || k->type != REDIS_REPLY_STRING || v->type != REDIS_REPLY_STRING) {
            set_error(err, errlen, "entry: field %zu is not a string pair", i / 2);
            return -1;
        }
        for (int n = 0; n < f->nnames; n++) {
            if (k->len != strlen(f->names[n]) || memcmp(k->str, f->names[n], k->len) != 0)
                continue;
            if (f->at[n] >= 0) {
                set_error(err, errlen, "entry: the field \"%s\" is given twice", f->names[n]);
                return -1;
            }
            f->at[n] = (int)i + 1;
        }
    }
    f->pairs = pairs;
    *id_ms = stream_id_ms(entry->element[0]->str, entry->element[0]->len);
    return 0;
}

static const redisReply *value_of(const struct found *f, int k)
{
    return f->at[k] >= 0 ? f->pairs->element[f->at[k]] : NULL;
}

/* A field's text: valid UTF-8, no NUL, at most max bytes; copied into an
 * owned string (NULL when absent).  -1 with a message when present and
 * not text. */
static int text_field(const struct found *f, int k, size_t max, char **out, char *err, size_t errlen)
{
    *out = NULL;
    const redisReply *v = value_of(f, k);
    if (!v)
        return 0;
    if (v->len > max) {
        set_error(err, errlen, "entry: the field \"%s\" is %zu bytes, more than %zu", f->names[k], v->len, max);
        return -1;
    }
    if (memchr(v->str, '\0', v->len) || !utf8_valid(v->str, v->len)) {
        set_error(err, errlen, "entry: the field \"%s\" is not text (UTF-8 without NUL)", f->names[k]);
        return -1;
    }
    *out = xstrndup(v->str, v->len);
    return 0;
}

/* The same into a buffer, checked by `valid`; required or not. */
static int word_field(const struct found *f, int k, bool required, bool (*valid)(const char *), char *buf,
                      size_t buflen, const char *what, char *err, size_t errlen)
{
    const redisReply *v = value_of(f, k);
    buf[0] = '\0';
    if (!v) {
        if (required)
            set_error(err, errlen, "entry: the field \"%s\" is missing", f->names[k]);
        return required ? -1 : 0;
    }
    if (v->len >= buflen || memchr(v->str, '\0', v->len)) {
        set_error(err, errlen, "entry: the field \"%s\" is not %s", f->names[k], what);
        return -1;
    }
    memcpy(buf, v->str, v->len);
    buf[v->len] = '\0';
    if (valid && !valid(buf)) {
        buf[0] = '\0';
        set_error(err, errlen, "entry: the field \"%s\" is not %s", f->names[k], what);
        return -1;
    }
    return 0;
}

static bool format_valid(const char *s)
{
    long v;
    return numparse_long(s, &v) == 0 && v >= 1;
}

static int check_format(const struct found *f, int k, char *err, size_t errlen)
{
    char buf[16];
    if (word_field(f, k, true, format_valid, buf, sizeof buf, "a format number", err, errlen) != 0)
        return -1;
    long v = 0;
    numparse_long(buf, &v);
    if (v > STREAM_CMD_FORMAT) {
        set_error(err, errlen, "entry: format %ld is newer than this pgdeck reads (%d)", v, STREAM_CMD_FORMAT);
        return -1;
    }
    return 0;
}

static bool digest_valid(const char *s)
{
    if (strlen(s) != STREAM_DIGEST_LEN)
        return false;
    for (const char *p = s; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
            return false;
    return true;
}

/* ---- requests ------------------------------------------------------------------------- */

static const char *const op_names[] = { "plan", "confirm", "decline" };

void stream_request_encode(struct stream_cmd_fields *out, const struct stream_request *r)
{
    memset(out, 0, sizeof *out);
    add(out, "format", xasprintf("%d", STREAM_CMD_FORMAT));
    add(out, "id", xstrdup(r->id));
    add(out, "op", xstrdup(op_names[r->op]));
    add(out, "user", xstrdup(r->user));
    if (r->op == STREAM_OP_PLAN) {
        add(out, "action", xstrdup(r->action));
        add(out, "schema", r->schema ? jsontext_repair(r->schema) : NULL);
        add(out, "name", r->name ? jsontext_repair(r->name) : NULL);
        add(out, "pid", r->pid > 0 ? xasprintf("%d", r->pid) : NULL);
        add(out, "text", r->text ? jsontext_repair(r->text) : NULL);
        add(out, "database", r->database ? jsontext_repair(r->database) : NULL);
        add(out, "role", r->role ? jsontext_repair(r->role) : NULL);
        add(out, "oid", r->oid ? jsontext_repair(r->oid) : NULL);
        add(out, "backend_start", r->backend_start ? jsontext_repair(r->backend_start) : NULL);
    }
    if (r->op == STREAM_OP_CONFIRM)
        add(out, "digest", xstrdup(r->digest));
}

void stream_request_free(struct stream_request *r)
{
    free(r->schema);
    free(r->name);
    free(r->text);
    free(r->database);
    free(r->role);
    free(r->oid);
    free(r->backend_start);
    r->schema = r->name = r->text = r->database = r->role = r->oid = r->backend_start = NULL;
}

static bool op_valid(const char *s)
{
    for (size_t i = 0; i < sizeof op_names / sizeof op_names[0]; i++)
        if (strcmp(s, op_names[i]) == 0)
            return true;
    return false;
}

static bool pid_valid(const char *s)
{
    long v;
    return numparse_long(s, &v) == 0 && v > 0 && v <= 0x7fffffff;
}

int stream_request_parse(const redisReply *entry, struct stream_request *r, char *err, size_t errlen)
{
    static const char *const names[] = { "format", "id", "op", "user", "action", "schema", "name", "pid",
                                         "text", "database", "role", "oid", "backend_start", "digest" };
    enum { F_FORMAT, F_ID, F_OP, F_USER, F_ACTION, F_SCHEMA, F_NAME, F_PID, F_TEXT, F_DATABASE, F_ROLE,
           F_OID, F_BACKEND_START, F_DIGEST };
    memset(r, 0, sizeof *r);
    struct found f = { .names = names, .nnames = (int)(sizeof names / sizeof names[0]) };
    if (read_fields(entry, &f, &r->id_ms, err, errlen) != 0)
        return -1;
    /* The id first: a refusal can then be answered. */
    if (word_field(&f, F_ID, true, stream_request_id_valid, r->id, sizeof r->id,
                   "a request id ([A-Za-z0-9._:-], 1 to 64)", err, errlen) != 0 ||
        check_format(&f, F_FORMAT, err, errlen) != 0)
        return -1;
    char op[16], pid[16];
    if (word_field(&f, F_OP, true, op_valid, op, sizeof op, "plan, confirm or decline", err, errlen) != 0 ||
        word_field(&f, F_USER, true, stream_user_valid, r->user, sizeof r->user,
                   "a Redis user name (printable ASCII, no space, 1 to 128)", err, errlen) != 0)
        return -1;
    for (size_t i = 0; i < sizeof op_names / sizeof op_names[0]; i++)
        if (strcmp(op, op_names[i]) == 0)
            r->op = (enum stream_op)i;
    if (r->op == STREAM_OP_CONFIRM &&
        word_field(&f, F_DIGEST, true, digest_valid, r->digest, sizeof r->digest,
                   "a preview digest (16 hex digits)", err, errlen) != 0)
        return -1;
    if (r->op != STREAM_OP_PLAN)
        return 0;
    if (word_field(&f, F_ACTION, true, stream_action_name_valid, r->action, sizeof r->action,
                   "an action name ([a-z-], 1 to 32)", err, errlen) != 0 ||
        word_field(&f, F_PID, false, pid_valid, pid, sizeof pid, "a backend pid", err, errlen) != 0)
        return -1;
    if (*pid) {
        long v = 0;
        numparse_long(pid, &v);
        r->pid = (int)v;
    }
    char **targets[] = { &r->schema, &r->name, &r->text, &r->database, &r->role, &r->oid, &r->backend_start };
    int fields[] = { F_SCHEMA, F_NAME, F_TEXT, F_DATABASE, F_ROLE, F_OID, F_BACKEND_START };
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        /* A query text to EXPLAIN may be long; names are not. */
        size_t max = fields[i] == F_TEXT ? STREAM_MAX_TEXT : STREAM_CMD_TEXT_MAX;
        if (text_field(&f, fields[i], max, targets[i], err, errlen) != 0) {
            stream_request_free(r);
            return -1;
        }
    }
    return 0;
}

/* ---- answers ------------------------------------------------------------------------------ */

static const char *const kind_names[] = { "preview", "progress", "show", "done" };

static char *lines_json(char *const *lines, int n)
{
    json_t *a = json_array();
    for (int i = 0; i < n; i++)
        json_array_append_new(a, jsontext_new(lines[i]));
    char *text = jsontext_dump(a, JSON_COMPACT | JSON_ENSURE_ASCII);
    json_decref(a);
    return text ? text : xstrdup("[]");
}

void stream_reply_encode(struct stream_cmd_fields *out, const struct stream_reply *r)
{
    memset(out, 0, sizeof *out);
    add(out, "format", xasprintf("%d", STREAM_CMD_FORMAT));
    add(out, "id", xstrdup(r->id));
    add(out, "kind", xstrdup(kind_names[r->kind]));
    add(out, "title", r->title ? jsontext_repair(r->title) : NULL);
    add(out, "text", r->text ? jsontext_repair(r->text) : NULL);
    if (r->kind == STREAM_REPLY_PREVIEW || r->kind == STREAM_REPLY_SHOW)
        add(out, "lines", lines_json(r->lines, r->nlines));
    if (r->kind == STREAM_REPLY_PREVIEW) {
        add(out, "digest", xstrdup(r->digest));
        add(out, "ddl", xstrdup(r->ddl ? "1" : "0"));
    }
    if (r->kind == STREAM_REPLY_DONE)
        add(out, "outcome", xstrdup(r->outcome));
}

void stream_reply_free(struct stream_reply *r)
{
    free(r->title);
    free(r->text);
    for (int i = 0; i < r->nlines; i++)
        free(r->lines[i]);
    free(r->lines);
    r->title = r->text = NULL;
    r->lines = NULL;
    r->nlines = 0;
}

static bool kind_valid(const char *s)
{
    for (size_t i = 0; i < sizeof kind_names / sizeof kind_names[0]; i++)
        if (strcmp(s, kind_names[i]) == 0)
            return true;
    return false;
}

static bool ddl_valid(const char *s)
{
    return strcmp(s, "0") == 0 || strcmp(s, "1") == 0;
}

static int read_lines(const struct found *f, int k, struct stream_reply *r, char *err, size_t errlen)
{
    const redisReply *v = value_of(f, k);
    if (!v) {
        set_error(err, errlen, "entry: the field \"lines\" is missing");
        return -1;
    }
    if (v->len > STREAM_CMD_LINES_BYTES) {
        set_error(err, errlen, "entry: the field \"lines\" is %zu bytes, more than %u", v->len, STREAM_CMD_LINES_BYTES);
        return -1;
    }
    json_error_t jerr;
    json_t *a = json_loadb(v->str, v->len, JSON_DECODE_ANY, &jerr);
    if (!a || !json_is_array(a) || json_array_size(a) > STREAM_CMD_LINES_MAX) {
        set_error(err, errlen, "entry: the field \"lines\" is not a JSON array of at most %d strings%s%s",
                  STREAM_CMD_LINES_MAX, a ? "" : ": ", a ? "" : jerr.text);
        json_decref(a);
        return -1;
    }
    size_t n = json_array_size(a);
    r->lines = xcalloc(n ? n : 1, sizeof *r->lines);
    for (size_t i = 0; i < n; i++) {
        const json_t *s = json_array_get(a, i);
        size_t len = json_is_string(s) ? json_string_length(s) : 0;
        if (!json_is_string(s) || memchr(json_string_value(s), '\0', len)) {
            set_error(err, errlen, "entry: lines[%zu]: expected a string without NUL", i);
            json_decref(a);
            return -1;
        }
        r->lines[r->nlines++] = xstrndup(json_string_value(s), len);
    }
    json_decref(a);
    return 0;
}

int stream_reply_entry_parse(const redisReply *entry, struct stream_reply *r, char *err, size_t errlen)
{
    static const char *const names[] = { "format", "id", "kind", "title", "text", "lines", "digest", "ddl",
                                         "outcome" };
    enum { F_FORMAT, F_ID, F_KIND, F_TITLE, F_TEXT, F_LINES, F_DIGEST, F_DDL, F_OUTCOME };
    memset(r, 0, sizeof *r);
    struct found f = { .names = names, .nnames = (int)(sizeof names / sizeof names[0]) };
    double id_ms;
    if (read_fields(entry, &f, &id_ms, err, errlen) != 0)
        return -1;
    char kind[16], ddl[4];
    if (word_field(&f, F_ID, true, stream_request_id_valid, r->id, sizeof r->id,
                   "a request id ([A-Za-z0-9._:-], 1 to 64)", err, errlen) != 0 ||
        check_format(&f, F_FORMAT, err, errlen) != 0 ||
        word_field(&f, F_KIND, true, kind_valid, kind, sizeof kind, "preview, progress, show or done",
                   err, errlen) != 0)
        return -1;
    for (size_t i = 0; i < sizeof kind_names / sizeof kind_names[0]; i++)
        if (strcmp(kind, kind_names[i]) == 0)
            r->kind = (enum stream_reply_kind)i;
    if (text_field(&f, F_TITLE, STREAM_CMD_TEXT_MAX, &r->title, err, errlen) != 0 ||
        text_field(&f, F_TEXT, STREAM_CMD_TEXT_MAX, &r->text, err, errlen) != 0)
        goto bad;
    if ((r->kind == STREAM_REPLY_PREVIEW || r->kind == STREAM_REPLY_SHOW) && read_lines(&f, F_LINES, r, err, errlen) != 0)
        goto bad;
    if (r->kind == STREAM_REPLY_PREVIEW &&
        (word_field(&f, F_DIGEST, true, digest_valid, r->digest, sizeof r->digest, "a preview digest (16 hex digits)",
                    err, errlen) != 0 ||
         word_field(&f, F_DDL, true, ddl_valid, ddl, sizeof ddl, "0 or 1", err, errlen) != 0))
        goto bad;
    r->ddl = r->kind == STREAM_REPLY_PREVIEW && ddl[0] == '1';
    if (r->kind == STREAM_REPLY_DONE &&
        word_field(&f, F_OUTCOME, true, stream_outcome_valid, r->outcome, sizeof r->outcome,
                   "an outcome (ok, failed, refused, declined, nothing, dry-run)", err, errlen) != 0)
        goto bad;
    return 0;
bad:
    stream_reply_free(r);
    return -1;
}

/* ---- the digest ----------------------------------------------------------------------------- */

/* FNV-1a, 64 bits: not a secret, a name for exactly these bytes.  Each
 * part ends with a NUL so "ab"+"c" and "a"+"bc" differ. */
static uint64_t fnv(uint64_t h, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p; p++) {
        h ^= *p;
        h *= 1099511628211ULL;
    }
    h ^= 0;
    h *= 1099511628211ULL;
    return h;
}

void stream_preview_digest(const char *title, char *const *lines, int n, char out[STREAM_DIGEST_LEN + 1])
{
    uint64_t h = 14695981039346656037ULL;
    h = fnv(h, title);
    for (int i = 0; i < n; i++)
        h = fnv(h, lines[i]);
    snprintf(out, STREAM_DIGEST_LEN + 1, "%016" PRIx64, h);
}
