/* The stream format (src/core/stream.c): what the agent writes reads back
 * the same, and what anyone else could write into a stream (escapes,
 * huge fields, wrong types, truncated JSON, missing and extra members)
 * is refused with a message that says where, or read as plain text that
 * the sanitizer then makes harmless.  Never a crash. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/snapshot.h"
#include "core/stream.h"
#include "base/sanitize.h"
#include "base/clock.h"
#include "base/xalloc.h"

/* ---- helpers ------------------------------------------------------------------ */

static struct snapshot *sample(void)
{
    const char *cols[] = { "pid", "query", "empty", "nothing" };
    struct snapshot *s = snapshot_new("activity", 4, cols);
    const char *r1[] = { "4242", "SELECT 'h\xc3\xa9llo', \"x\" -- \\ /* \t */", "", NULL };
    const char *r2[] = { "7", "\x1b]0;pwned\x07 \x1b[2J", "\xe2\x80\xae", "z" };
    snapshot_add_row(s, r1);
    snapshot_add_row(s, r2);
    s->taken_at = 1796495657.123;
    s->elapsed = 0.0123;
    return s;
}

/* Parse the pairs of an encoded entry. */
static int parse_fields(const struct stream_fields *f, struct snapshot **out, struct stream_meta *meta,
                        char *err, size_t errlen)
{
    const char *fields[STREAM_ENTRY_FIELDS], *values[STREAM_ENTRY_FIELDS];
    size_t flens[STREAM_ENTRY_FIELDS], vlens[STREAM_ENTRY_FIELDS];
    for (int i = 0; i < f->count; i++) {
        fields[i] = f->field[i];
        flens[i] = strlen(f->field[i]);
        values[i] = f->value[i];
        vlens[i] = strlen(f->value[i]);
    }
    return stream_entry_parse(f->count, fields, flens, values, vlens, out, meta, err, errlen);
}

/* An entry whose snapshot field is `json` (the other fields right). */
static int parse_snapshot_text(const char *json, size_t len, struct snapshot **out, char *err, size_t errlen)
{
    const char *fields[] = { "format", "collector", "snapshot" };
    const char *values[] = { "1", "views", json };
    size_t flens[] = { 6, 9, 8 };
    size_t vlens[] = { 1, 5, len };
    struct stream_meta meta;
    return stream_entry_parse(3, fields, flens, values, vlens, out, &meta, err, errlen);
}

/* The snapshot JSON must be refused, with a message containing `says`. */
static void assert_refused(const char *json, const char *says)
{
    struct snapshot *s = (struct snapshot *)1;
    char err[512] = "";
    if (parse_snapshot_text(json, strlen(json), &s, err, sizeof err) != -1)
        fail_msg("accepted: %s", json);
    assert_null(s);
    if (!strstr(err, says))
        fail_msg("'%s' does not say '%s' (input %s)", err, says, json);
}

#define GOOD "{\"source\":\"primary\",\"taken_at\":\"2026-12-05T18:34:17.170Z\",\"elapsed_ms\":21.2," \
             "\"error\":null,\"columns\":[\"a\",\"b\"],\"rows\":[[\"1\",null],[\"x\",\"y\"]]}"

/* ---- round trips ---------------------------------------------------------------- */

static void test_stream_entry_round_trip_keeps_every_cell(void **state)
{
    (void)state;
    struct snapshot *s = sample();
    struct stream_fields f;
    stream_entry_encode(&f, s, "activity", "primary", 2, 10);
    assert_int_equal(f.count, 5);
    assert_string_equal(f.field[0], "format");
    assert_string_equal(f.value[0], "1");
    /* The JSON is printable ASCII: safe to read with redis-cli anywhere. */
    for (const char *p = f.value[4]; *p; p++)
        assert_true(*p >= 0x20 && *p < 0x7f);

    struct snapshot *back;
    struct stream_meta meta;
    char err[256];
    assert_int_equal(parse_fields(&f, &back, &meta, err, sizeof err), 0);
    assert_int_equal(meta.format, 1);
    assert_string_equal(meta.collector, "activity");
    assert_string_equal(meta.source, "primary");
    assert_true(fabs(meta.cadence - 2) < 1e-9);
    assert_true(fabs(meta.keepalive - 10) < 1e-9);
    assert_string_equal(back->source, "activity");
    assert_true(fabs(back->taken_at - s->taken_at) < 0.002);
    assert_true(fabs(back->elapsed - 0.0123) < 0.0001);
    assert_null(back->error);
    assert_true(stream_same_data(s, back));
    assert_null(snapshot_get(back, 0, "nothing"));
    assert_string_equal(snapshot_get(back, 0, "empty"), "");
    stream_fields_free(&f);
    snapshot_unref(back);
    snapshot_unref(s);
}

static void test_stream_failed_snapshot_round_trip(void **state)
{
    (void)state;
    struct snapshot *s = snapshot_failed("replica", "replica not connected");
    struct stream_fields f;
    stream_entry_encode(&f, s, "replica", "replica", 1, 10);
    struct snapshot *back;
    struct stream_meta meta;
    char err[256];
    assert_int_equal(parse_fields(&f, &back, &meta, err, sizeof err), 0);
    assert_string_equal(back->error, "replica not connected");
    assert_int_equal(back->nrows, 0);
    assert_int_equal(back->ncols, 0);
    stream_fields_free(&f);
    snapshot_unref(back);
    snapshot_unref(s);
}

static void test_stream_invalid_utf8_becomes_replacement_characters(void **state)
{
    (void)state;
    const char *cols[] = { "q" };
    struct snapshot *s = snapshot_new("statements", 1, cols);
    const char *row[] = { "a\xff\xfe" "b" };
    snapshot_add_row(s, row);
    struct stream_fields f;
    stream_entry_encode(&f, s, "statements", "primary", 2, 10);
    struct snapshot *back;
    struct stream_meta meta;
    char err[256];
    assert_int_equal(parse_fields(&f, &back, &meta, err, sizeof err), 0);
    assert_string_equal(snapshot_get(back, 0, "q"), "a\xEF\xBF\xBD\xEF\xBF\xBD" "b");
    stream_fields_free(&f);
    snapshot_unref(back);
    snapshot_unref(s);
}

static void test_stream_snapshot_json_is_the_once_shape(void **state)
{
    (void)state;
    json_t *j = stream_snapshot_json(NULL, "redis", "no result within 11 s");
    assert_string_equal(json_string_value(json_object_get(j, "error")), "no result within 11 s");
    assert_true(json_is_null(json_object_get(j, "taken_at")));
    assert_true(json_is_null(json_object_get(j, "elapsed_ms")));
    assert_string_equal(json_string_value(json_object_get(j, "source")), "redis");
    assert_int_equal(json_array_size(json_object_get(j, "columns")), 0);
    assert_int_equal(json_array_size(json_object_get(j, "rows")), 0);
    json_decref(j);
}

/* ---- hostile entries ---------------------------------------------------------------- */

static void test_stream_escapes_come_back_as_text_the_sanitizer_defuses(void **state)
{
    (void)state;
    const char *json = "{\"source\":\"primary\",\"taken_at\":null,\"elapsed_ms\":null,\"error\":null,"
                       "\"columns\":[\"q\\u001b[31m\"],\"rows\":[[\"\\u001b]0;pwned\\u0007\\u009b2J\\u202e\"]]}";
    struct snapshot *s;
    char err[256];
    assert_int_equal(parse_snapshot_text(json, strlen(json), &s, err, sizeof err), 0);
    const char *cell = snapshot_cell(s, 0, 0);
    assert_non_null(strchr(cell, 0x1b));        /* kept as the text it is */
    char *shown = sanitize(cell, SANITIZE_FOLD);
    char *name = sanitize(s->columns[0], SANITIZE_FOLD);
    assert_null(strchr(shown, 0x1b));
    assert_null(strchr(shown, 0x07));
    assert_null(strstr(shown, "\xc2\x9b"));
    assert_null(strstr(shown, "\xe2\x80\xae"));
    assert_null(strchr(name, 0x1b));
    free(shown);
    free(name);
    snapshot_unref(s);
}

static void test_stream_refuses_nul_and_invalid_utf8(void **state)
{
    (void)state;
    assert_refused("{\"source\":null,\"taken_at\":null,\"elapsed_ms\":null,\"error\":null,"
                   "\"columns\":[\"a\"],\"rows\":[[\"x\\u0000y\"]]}", "not JSON");
    assert_refused("{\"source\":null,\"taken_at\":null,\"elapsed_ms\":null,\"error\":null,"
                   "\"columns\":[\"a\"],\"rows\":[[\"\xff\"]]}", "not JSON");
    /* a raw NUL byte inside the field */
    struct snapshot *s;
    char err[256];
    assert_int_equal(parse_snapshot_text("{\"a\":\0}", 7, &s, err, sizeof err), -1);
    assert_null(s);
}

static void test_stream_refuses_wrong_types_and_says_where(void **state)
{
    (void)state;
    assert_refused("[]", "expected a JSON object");
    assert_refused("\"x\"", "snapshot: not JSON");
    assert_refused("{\"source\":\"primary\",\"taken_at\":17,\"elapsed_ms\":1,\"error\":null,\"columns\":[],\"rows\":[]}",
                   "taken_at: expected a string");
    assert_refused("{\"source\":\"primary\",\"taken_at\":\"yesterday\",\"elapsed_ms\":1,\"error\":null,"
                   "\"columns\":[],\"rows\":[]}", "taken_at: not a time");
    assert_refused("{\"source\":\"primary\",\"taken_at\":\"2026-02-31T00:00:00.000Z\",\"elapsed_ms\":1,"
                   "\"error\":null,\"columns\":[],\"rows\":[]}", "taken_at: not a time");
    assert_refused("{\"source\":\"primary\",\"taken_at\":null,\"elapsed_ms\":\"1\",\"error\":null,\"columns\":[],\"rows\":[]}",
                   "elapsed_ms: expected a number");
    assert_refused("{\"source\":\"primary\",\"taken_at\":null,\"elapsed_ms\":-4,\"error\":null,\"columns\":[],\"rows\":[]}",
                   "elapsed_ms: expected a number");
    assert_refused("{\"source\":\"primary\",\"taken_at\":null,\"elapsed_ms\":1,\"error\":5,\"columns\":[],\"rows\":[]}",
                   "error: expected a string");
    assert_refused("{\"source\":\"primary\",\"taken_at\":null,\"elapsed_ms\":1,\"error\":null,\"columns\":{},\"rows\":[]}",
                   "columns: expected an array");
    assert_refused("{\"source\":\"primary\",\"taken_at\":null,\"elapsed_ms\":1,\"error\":null,\"columns\":[1],\"rows\":[]}",
                   "columns[0]: expected a string");
    assert_refused("{\"source\":\"primary\",\"taken_at\":null,\"elapsed_ms\":1,\"error\":null,\"columns\":[\"a\",\"b\"],"
                   "\"rows\":[[\"1\",\"2\"],[\"1\",2]]}", "rows[1][1]: expected a string or null");
    assert_refused("{\"source\":\"primary\",\"taken_at\":null,\"elapsed_ms\":1,\"error\":null,\"columns\":[\"a\",\"b\"],"
                   "\"rows\":[[\"1\"]]}", "rows[0]: expected an array of 2 values");
    assert_refused("{\"source\":\"primary\",\"taken_at\":null,\"elapsed_ms\":1,\"error\":null,\"columns\":[\"a\"],"
                   "\"rows\":[\"1\"]}", "rows[0]: expected an array");
    assert_refused("{\"source\":\"primary\",\"taken_at\":null,\"elapsed_ms\":1,\"error\":\"down\",\"columns\":[\"a\"],"
                   "\"rows\":[]}", "a failed snapshot");
    assert_refused("{\"source\":\"primary\",\"source\":\"replica\",\"taken_at\":null,\"elapsed_ms\":1,\"error\":null,"
                   "\"columns\":[],\"rows\":[]}", "not JSON");
}

static void test_stream_missing_members_are_named(void **state)
{
    (void)state;
    static const char *const members[] = { "source", "taken_at", "elapsed_ms", "error", "columns", "rows" };
    for (size_t m = 0; m < 6; m++) {
        json_error_t jerr;
        json_t *doc = json_loads(GOOD, 0, &jerr);
        assert_non_null(doc);
        json_object_del(doc, members[m]);
        char *text = json_dumps(doc, JSON_COMPACT);
        char says[64];
        snprintf(says, sizeof says, "\"%s\" is missing", members[m]);
        assert_refused(text, says);
        free(text);
        json_decref(doc);
    }
}

static void test_stream_extra_members_and_fields_are_ignored(void **state)
{
    (void)state;
    const char *json = "{\"source\":\"primary\",\"taken_at\":null,\"elapsed_ms\":null,\"error\":null,"
                       "\"columns\":[\"a\"],\"rows\":[[\"1\"]],\"later\":{\"x\":[1,2,3]},\"more\":true}";
    struct snapshot *s;
    char err[256];
    assert_int_equal(parse_snapshot_text(json, strlen(json), &s, err, sizeof err), 0);
    assert_string_equal(snapshot_get(s, 0, "a"), "1");
    snapshot_unref(s);

    const char *fields[] = { "future", "format", "collector", "snapshot", "agent" };
    const char *values[] = { "?", "1", "views", GOOD, "db1" };
    size_t flens[] = { 6, 6, 9, 8, 5 };
    size_t vlens[] = { 1, 1, 5, strlen(GOOD), 3 };
    struct stream_meta meta;
    assert_int_equal(stream_entry_parse(5, fields, flens, values, vlens, &s, &meta, err, sizeof err), 0);
    assert_int_equal(s->nrows, 2);
    assert_float_equal(meta.cadence, 0, 0);
    snapshot_unref(s);
}

static void test_stream_entry_fields_are_checked(void **state)
{
    (void)state;
    static const struct {
        const char *format, *collector;
        const char *says;
    } bad[] = {
        { "2", "views", "stream format 2 is newer" },
        { "one", "views", "\"format\" is not a format number" },
        { "0", "views", "\"format\" is not a format number" },
        { "1", "../x", "\"collector\" is not a collector name" },
        { "1", "Views", "\"collector\" is not a collector name" },
        { "1", "", "\"collector\" is not a collector name" },
        { "1", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "\"collector\" is not a collector name" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *fields[] = { "format", "collector", "snapshot" };
        const char *values[] = { bad[i].format, bad[i].collector, GOOD };
        size_t flens[] = { 6, 9, 8 };
        size_t vlens[] = { strlen(bad[i].format), strlen(bad[i].collector), strlen(GOOD) };
        struct snapshot *s;
        struct stream_meta meta;
        char err[256] = "";
        assert_int_equal(stream_entry_parse(3, fields, flens, values, vlens, &s, &meta, err, sizeof err), -1);
        if (!strstr(err, bad[i].says))
            fail_msg("'%s' does not say '%s'", err, bad[i].says);
    }
    /* missing, twice, and a cadence that is no number */
    const char *fields[] = { "format", "snapshot", "format", "collector", "cadence" };
    const char *values[] = { "1", GOOD, "1", "views", "soon" };
    size_t flens[] = { 6, 8, 6, 9, 7 };
    size_t vlens[] = { 1, strlen(GOOD), 1, 5, 4 };
    struct snapshot *s;
    struct stream_meta meta;
    char err[256];
    assert_int_equal(stream_entry_parse(2, fields, flens, values, vlens, &s, &meta, err, sizeof err), -1);
    assert_non_null(strstr(err, "\"collector\" is missing"));
    assert_int_equal(stream_entry_parse(4, fields, flens, values, vlens, &s, &meta, err, sizeof err), -1);
    assert_non_null(strstr(err, "\"format\" is given twice"));
    const char *f2[] = { "format", "snapshot", "collector", "cadence" };
    const char *v2[] = { "1", GOOD, "views", "soon" };
    size_t fl2[] = { 6, 8, 9, 7 };
    size_t vl2[] = { 1, strlen(GOOD), 5, 4 };
    assert_int_equal(stream_entry_parse(4, f2, fl2, v2, vl2, &s, &meta, err, sizeof err), -1);
    assert_non_null(strstr(err, "\"cadence\" is not a number"));
}

static void test_stream_truncated_json_is_refused_at_every_length(void **state)
{
    (void)state;
    size_t n = strlen(GOOD);
    for (size_t len = 0; len < n; len++) {
        struct snapshot *s = (struct snapshot *)1;
        char err[256] = "";
        assert_int_equal(parse_snapshot_text(GOOD, len, &s, err, sizeof err), -1);
        assert_null(s);
        assert_true(err[0] != '\0');
    }
    struct snapshot *s;
    char err[256];
    assert_int_equal(parse_snapshot_text(GOOD, n, &s, err, sizeof err), 0);
    snapshot_unref(s);
}

static void test_stream_huge_fields_are_refused_by_the_limits(void **state)
{
    (void)state;
    struct snapshot *s;
    char err[256];
    /* The whole field over STREAM_MAX_BYTES: refused before parsing. */
    size_t big = STREAM_MAX_BYTES + 1;
    char *huge = xmalloc(big);
    memset(huge, ' ', big);
    assert_int_equal(parse_snapshot_text(huge, big, &s, err, sizeof err), -1);
    assert_non_null(strstr(err, "more than"));
    free(huge);

    /* One cell over STREAM_MAX_TEXT. */
    size_t cell = STREAM_MAX_TEXT + 1;
    char *json = xmalloc(cell + 200);
    int head = sprintf(json, "{\"source\":null,\"taken_at\":null,\"elapsed_ms\":null,\"error\":null,"
                             "\"columns\":[\"q\"],\"rows\":[[\"");
    memset(json + head, 'x', cell);
    strcpy(json + head + cell, "\"]]}");
    assert_refused(json, "rows[0][0]: 4194305 bytes, more than 4194304");
    free(json);

    /* Too many columns, too many rows. */
    size_t cap = 16 * (STREAM_MAX_ROWS + 2) + 200;
    char *wide = xmalloc(cap);
    size_t len = (size_t)sprintf(wide, "{\"source\":null,\"taken_at\":null,\"elapsed_ms\":null,\"error\":null,\"columns\":[");
    for (int i = 0; i <= STREAM_MAX_COLUMNS; i++)
        len += (size_t)sprintf(wide + len, "%s\"c\"", i ? "," : "");
    strcpy(wide + len, "],\"rows\":[]}");
    assert_refused(wide, "more than the limits");
    len = (size_t)sprintf(wide, "{\"source\":null,\"taken_at\":null,\"elapsed_ms\":null,\"error\":null,\"columns\":[],\"rows\":[");
    for (int i = 0; i <= STREAM_MAX_ROWS; i++)
        len += (size_t)sprintf(wide + len, "%s[]", i ? "," : "");
    strcpy(wide + len, "]}");
    assert_refused(wide, "more than the limits");
    free(wide);
}

static void test_stream_writer_keeps_within_the_limits(void **state)
{
    (void)state;
    /* A cell longer than a reader takes is cut, on a character boundary. */
    const char *cols[] = { "query" };
    struct snapshot *s = snapshot_new("statements", 1, cols);
    size_t n = STREAM_MAX_TEXT + 10;
    char *text = xmalloc(n + 1);
    for (size_t i = 0; i < n; i += 2)
        memcpy(text + i, "\xc3\xa9", 2);        /* é, two bytes each */
    text[n] = '\0';
    const char *row[] = { text };
    snapshot_add_row(s, row);
    struct stream_fields f;
    stream_entry_encode(&f, s, "statements", "primary", 2, 10);
    struct snapshot *back;
    struct stream_meta meta;
    char err[256];
    assert_int_equal(parse_fields(&f, &back, &meta, err, sizeof err), 0);
    const char *cell = snapshot_cell(back, 0, 0);
    assert_true(strlen(cell) <= STREAM_MAX_TEXT);
    assert_true(strlen(cell) >= STREAM_MAX_TEXT - 1);
    assert_int_equal(strlen(cell) % 2, 0);
    stream_fields_free(&f);
    snapshot_unref(back);
    snapshot_unref(s);
    free(text);

    /* Over the column limit: a failed snapshot that says so. */
    char **names = xcalloc(STREAM_MAX_COLUMNS + 1, sizeof *names);
    for (int i = 0; i <= STREAM_MAX_COLUMNS; i++)
        names[i] = xasprintf("c%d", i);
    s = snapshot_new("redis", STREAM_MAX_COLUMNS + 1, (const char *const *)names);
    stream_entry_encode(&f, s, "redis", "redis", 1, 10);
    assert_int_equal(parse_fields(&f, &back, &meta, err, sizeof err), 0);
    assert_non_null(strstr(back->error, "too many columns"));
    stream_fields_free(&f);
    snapshot_unref(back);
    snapshot_unref(s);
    for (int i = 0; i <= STREAM_MAX_COLUMNS; i++)
        free(names[i]);
    free(names);
}

/* ---- hiredis replies ------------------------------------------------------------------ */

static void test_stream_reply_parse_reads_an_xrange_entry(void **state)
{
    (void)state;
    struct stream_fields f;
    struct snapshot *s = sample();
    stream_entry_encode(&f, s, "activity", "primary", 1, 10);
    redisReply strs[1 + 2 * STREAM_ENTRY_FIELDS], pairs, entry;
    redisReply *pair_ptrs[2 * STREAM_ENTRY_FIELDS], *entry_ptrs[2];
    memset(strs, 0, sizeof strs);
    strs[0].type = REDIS_REPLY_STRING;
    strs[0].str = "1796495657170-3";
    strs[0].len = strlen(strs[0].str);
    for (int i = 0; i < f.count; i++) {
        redisReply *k = &strs[1 + 2 * i], *v = &strs[2 + 2 * i];
        k->type = v->type = REDIS_REPLY_STRING;
        k->str = (char *)f.field[i];
        k->len = strlen(k->str);
        v->str = f.value[i];
        v->len = strlen(v->str);
        pair_ptrs[2 * i] = k;
        pair_ptrs[2 * i + 1] = v;
    }
    memset(&pairs, 0, sizeof pairs);
    pairs.type = REDIS_REPLY_ARRAY;
    pairs.elements = (size_t)(2 * f.count);
    pairs.element = pair_ptrs;
    entry_ptrs[0] = &strs[0];
    entry_ptrs[1] = &pairs;
    memset(&entry, 0, sizeof entry);
    entry.type = REDIS_REPLY_ARRAY;
    entry.elements = 2;
    entry.element = entry_ptrs;

    struct snapshot *back;
    struct stream_meta meta;
    char err[256];
    assert_int_equal(stream_reply_parse(&entry, &back, &meta, err, sizeof err), 0);
    assert_true(stream_same_data(s, back));
    assert_float_equal(meta.id_ms, 1796495657170.0, 0.5);
    snapshot_unref(back);

    pairs.elements = 3;     /* odd: not pairs */
    assert_int_equal(stream_reply_parse(&entry, &back, &meta, err, sizeof err), -1);
    assert_non_null(strstr(err, "pairs"));
    entry.elements = 1;
    assert_int_equal(stream_reply_parse(&entry, &back, &meta, err, sizeof err), -1);
    assert_int_equal(stream_reply_parse(NULL, &back, &meta, err, sizeof err), -1);
    stream_fields_free(&f);
    snapshot_unref(s);
}

/* ---- names, keys, unchanged data --------------------------------------------------------- */

static void test_stream_names_and_keys(void **state)
{
    (void)state;
    assert_true(stream_name_valid("db1"));
    assert_true(stream_name_valid("prod-eu.db_2"));
    assert_false(stream_name_valid(""));
    assert_false(stream_name_valid("a b"));
    assert_false(stream_name_valid("a}b"));
    assert_false(stream_name_valid("a:b"));
    assert_false(stream_name_valid("a*"));
    char *k = stream_key("db1", "activity");
    assert_string_equal(k, "pgdeck:{db1}:activity");
    free(k);
    char name[STREAM_NAME_MAX + 1];
    const char *key = "pgdeck:{db1}:agent";
    assert_int_equal(stream_key_agent_name(key, strlen(key), name, sizeof name), 0);
    assert_string_equal(name, "db1");
    static const char *const bad[] = { "pgdeck:{a}b}:agent", "pgdeck:{}:agent", "pgdeck:{db1}:lock",
                                       "pgdeck:db1:agent", "pgdeck:{a b}:agent" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(stream_key_agent_name(bad[i], strlen(bad[i]), name, sizeof name), -1);
    assert_int_equal(stream_key_agent_name("pgdeck:{a\0b}:agent", 19, name, sizeof name), -1);
}

static void test_stream_same_data_ignores_time_only(void **state)
{
    (void)state;
    struct snapshot *a = sample(), *b = sample();
    b->taken_at += 5;
    b->elapsed = 1;
    assert_true(stream_same_data(a, b));
    snapshot_set(b, 1, "nothing", "changed");
    assert_false(stream_same_data(a, b));
    struct snapshot *c = snapshot_failed("activity", "primary not connected");
    assert_false(stream_same_data(a, c));
    snapshot_unref(a);
    snapshot_unref(b);
    snapshot_unref(c);
}

/* ---- the agent's summary ------------------------------------------------------------------ */

static void test_stream_summary_round_trip(void **state)
{
    (void)state;
    struct stream_agent a = { 0 };
    snprintf(a.name, sizeof a.name, "db1");
    snprintf(a.state, sizeof a.state, "primary down");
    a.pgdeck = "0.1.0";
    a.host = "dbhost";
    a.pid = 4242;
    a.at = 1796495657.5;
    a.started_at = 1796495600;
    a.interval = 1;
    a.ttl = 5;
    a.primary_down_since = 1796495650;
    a.nservers = 1;
    snprintf(a.servers[0].name, sizeof a.servers[0].name, "primary");
    a.servers[0].configured = true;
    snprintf(a.servers[0].state, sizeof a.servers[0].state, "down");
    a.servers[0].error = "Connection refused";
    a.worst = 2;
    a.nalerts = 1;
    a.alerts[0].level = 2;
    snprintf(a.alerts[0].name, sizeof a.alerts[0].name, "primary_down");
    snprintf(a.alerts[0].text, sizeof a.alerts[0].text, "primary down since 14:03:27 \x1b[2J");
    char *text = stream_agent_text(&a);
    assert_non_null(text);

    struct stream_agent b;
    char err[256];
    assert_int_equal(stream_agent_parse(text, strlen(text), &b, err, sizeof err), 0);
    assert_string_equal(b.name, "db1");
    assert_string_equal(b.state, "primary down");
    assert_string_equal(b.host, "dbhost");
    assert_int_equal(b.pid, 4242);
    assert_true(fabs(b.at - a.at) < 0.002);
    assert_true(fabs(b.primary_down_since - a.primary_down_since) < 0.002);
    assert_int_equal(b.worst, 2);
    assert_int_equal(b.nservers, 1);
    assert_string_equal(b.servers[0].error, "Connection refused");
    assert_null(b.servers[0].version);
    assert_int_equal(b.nalerts, 1);
    assert_string_equal(b.alerts[0].text, "primary down since 14:03:27 \x1b[2J");
    assert_null(b.server_version);
    stream_agent_free(&b);
    free(text);
}

static void test_stream_hostile_summaries_are_refused(void **state)
{
    (void)state;
    static const struct { const char *json, *says; } bad[] = {
        { "{}", "\"format\" is missing" },
        { "{\"format\":2}", "format 2 is not one" },
        { "{\"format\":1,\"name\":\"a b\"}", "not an agent name" },
        { "{\"format\":1,\"name\":\"db1\",\"state\":\"up\",\"pgdeck\":null,\"host\":null,\"pid\":1,"
          "\"at\":null,\"started_at\":null,\"interval\":1,\"ttl\":5,\"server_version\":null,"
          "\"primary_down_since\":null,\"servers\":[],\"worst\":\"fine\",\"alerts\":[]}", "worst: expected ok" },
        { "{\"format\":1,\"name\":\"db1\",\"state\":\"up\",\"pgdeck\":null,\"host\":null,\"pid\":1,"
          "\"at\":null,\"started_at\":null,\"interval\":1,\"ttl\":5,\"server_version\":null,"
          "\"primary_down_since\":null,\"servers\":{},\"worst\":\"ok\",\"alerts\":[]}", "servers: expected an array" },
        { "{\"format\":1,\"name\":\"db1\",\"state\":\"up\",\"pgdeck\":null,\"host\":null,\"pid\":1,"
          "\"at\":null,\"started_at\":null,\"interval\":1,\"ttl\":5,\"server_version\":null,"
          "\"primary_down_since\":null,\"servers\":[],\"worst\":\"ok\",\"alerts\":[{\"level\":\"ok\",\"name\":1,"
          "\"text\":\"x\"}]}", "alerts[0]: name: expected a string" },
        { "{\"format\":1,\"name\":\"db1\",\"state\":\"up\",\"pgdeck\":null,\"host\":null,\"pid\":1e99,"
          "\"at\":null,\"started_at\":null,\"interval\":1,\"ttl\":5,\"server_version\":null,"
          "\"primary_down_since\":null,\"servers\":[],\"worst\":\"ok\",\"alerts\":[]}", "pid: expected a number" },
        { "{\"format\":1,\"name\":\"db1\"", "not JSON" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct stream_agent a;
        char err[256] = "";
        assert_int_equal(stream_agent_parse(bad[i].json, strlen(bad[i].json), &a, err, sizeof err), -1);
        if (!strstr(err, bad[i].says))
            fail_msg("'%s' does not say '%s'", err, bad[i].says);
    }
    /* Too many alerts. */
    size_t cap = 64 * 1024, len = 0;
    char *json = xmalloc(cap);
    len += (size_t)snprintf(json, cap, "{\"format\":1,\"name\":\"db1\",\"state\":\"up\",\"pgdeck\":null,\"host\":null,"
                            "\"pid\":1,\"at\":null,\"started_at\":null,\"interval\":1,\"ttl\":5,\"server_version\":null,"
                            "\"primary_down_since\":null,\"servers\":[],\"worst\":\"ok\",\"alerts\":[");
    for (int i = 0; i <= STREAM_MAX_ALERTS; i++)
        len += (size_t)snprintf(json + len, cap - len, "%s{\"level\":\"ok\",\"name\":\"n\",\"text\":\"t\"}", i ? "," : "");
    snprintf(json + len, cap - len, "]}");
    struct stream_agent a;
    char err[256];
    assert_int_equal(stream_agent_parse(json, strlen(json), &a, err, sizeof err), -1);
    assert_non_null(strstr(err, "alerts: expected an array of at most"));
    free(json);
}

static void test_stream_time_parser_reads_what_the_writer_writes(void **state)
{
    (void)state;
    char buf[32];
    double t = 1796495657.123;
    assert_true(fabs(stream_parse_time(iso_time_utc(t, buf, sizeof buf)) - t) < 0.0015);
    assert_float_equal(stream_parse_time("1970-01-01T00:00:00Z"), 0, 0);
    assert_true(stream_parse_time("2026-13-01T00:00:00Z") < 0);
    assert_true(stream_parse_time("2026-12-05T18:34:17.Z") < 0);
    assert_true(stream_parse_time("2026-12-05T18:34:17.000") < 0);
    assert_true(stream_parse_time("2026-12-05T18:34:17.000Z ") < 0);
    assert_true(stream_parse_time("2026-12-05 18:34:17Z") < 0);
    assert_true(stream_parse_time("") < 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stream_entry_round_trip_keeps_every_cell),
        cmocka_unit_test(test_stream_failed_snapshot_round_trip),
        cmocka_unit_test(test_stream_invalid_utf8_becomes_replacement_characters),
        cmocka_unit_test(test_stream_snapshot_json_is_the_once_shape),
        cmocka_unit_test(test_stream_escapes_come_back_as_text_the_sanitizer_defuses),
        cmocka_unit_test(test_stream_refuses_nul_and_invalid_utf8),
        cmocka_unit_test(test_stream_refuses_wrong_types_and_says_where),
        cmocka_unit_test(test_stream_missing_members_are_named),
        cmocka_unit_test(test_stream_extra_members_and_fields_are_ignored),
        cmocka_unit_test(test_stream_entry_fields_are_checked),
        cmocka_unit_test(test_stream_truncated_json_is_refused_at_every_length),
        cmocka_unit_test(test_stream_huge_fields_are_refused_by_the_limits),
        cmocka_unit_test(test_stream_writer_keeps_within_the_limits),
        cmocka_unit_test(test_stream_reply_parse_reads_an_xrange_entry),
        cmocka_unit_test(test_stream_names_and_keys),
        cmocka_unit_test(test_stream_same_data_ignores_time_only),
        cmocka_unit_test(test_stream_summary_round_trip),
        cmocka_unit_test(test_stream_hostile_summaries_are_refused),
        cmocka_unit_test(test_stream_time_parser_reads_what_the_writer_writes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
