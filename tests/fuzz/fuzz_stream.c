/* libFuzzer target for the stream readers (src/core/stream.c,
 * src/core/stream_cmd.c): a stream entry as a viewer reads it from Redis,
 * an agent's summary as check --from reads it, and the same entry read as
 * an action request (the agent's cmd stream) and as an agent's answer (the
 * viewer's reply stream).  Anyone who can write to Redis chooses these
 * bytes.
 *
 *   TARGETS=fuzz_stream sh tests/fuzz/build.sh run 60
 *
 * The input is either
 *   - bytes with no 0x1f in them: the value of the "snapshot" field of an
 *     entry whose other fields are right, and also a summary; or
 *   - parts separated by 0x1f: the field/value strings of an entry, as
 *     hiredis would hand them over (NUL bytes included); the last part is
 *     also read as a summary.
 * Besides not crashing (ASan, UBSan), what a reader accepts must keep its
 * promises: every string is valid UTF-8 without NUL, the limits hold, and
 * written again it reads back as the same data. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/stream.h"
#include "core/stream_cmd.h"
#include "base/xalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_PARTS (2 * STREAM_MAX_FIELDS + 2)

static int valid_utf8(const char *s)
{
    json_t *j = json_string(s);     /* jansson checks strictly */
    int ok = j != NULL;
    json_decref(j);
    return ok;
}

static void check_text(const char *s)
{
    if (s && (!valid_utf8(s) || strlen(s) > STREAM_MAX_TEXT))
        abort();
}

static void check_snapshot(const struct snapshot *s, const struct stream_meta *meta)
{
    if (s->ncols > STREAM_MAX_COLUMNS || s->nrows > STREAM_MAX_ROWS ||
        (long long)s->ncols * s->nrows > STREAM_MAX_CELLS)
        abort();
    if (!stream_collector_valid(meta->collector) || strcmp(s->source, meta->collector) != 0)
        abort();
    check_text(s->error);
    for (int c = 0; c < s->ncols; c++)
        check_text(s->columns[c]);
    for (int i = 0; i < s->ncols * s->nrows; i++)
        check_text(s->cells[i]);
    /* Written again, it reads back the same. */
    struct stream_fields f;
    stream_entry_encode(&f, s, meta->collector, meta->source, meta->cadence, meta->keepalive);
    const char *fields[STREAM_ENTRY_FIELDS], *values[STREAM_ENTRY_FIELDS];
    size_t flens[STREAM_ENTRY_FIELDS], vlens[STREAM_ENTRY_FIELDS];
    for (int i = 0; i < f.count; i++) {
        fields[i] = f.field[i];
        flens[i] = strlen(f.field[i]);
        values[i] = f.value[i];
        vlens[i] = strlen(f.value[i]);
    }
    struct snapshot *back;
    struct stream_meta meta2;
    char err[512];
    if (stream_entry_parse(f.count, fields, flens, values, vlens, &back, &meta2, err, sizeof err) != 0)
        abort();
    /* (A document near the byte limit can outgrow it written with every
     * non-ASCII character escaped: the writer then says so instead.) */
    if (!stream_same_data(s, back) && !(back->error && strstr(back->error, "too large")))
        abort();
    snapshot_unref(back);
    stream_fields_free(&f);
}

static void check_summary(const char *text, size_t len)
{
    struct stream_agent a;
    char err[512];
    if (stream_agent_parse(text, len, &a, err, sizeof err) != 0)
        return;
    if (!stream_name_valid(a.name) || a.nservers > STREAM_MAX_SERVERS || a.nalerts > STREAM_MAX_ALERTS ||
        a.worst < 0 || a.worst > 3)
        abort();
    char *again = stream_agent_text(&a);
    struct stream_agent b;
    if (!again || stream_agent_parse(again, strlen(again), &b, err, sizeof err) != 0)
        abort();
    if (strcmp(a.name, b.name) != 0 || a.nalerts != b.nalerts || a.nservers != b.nservers)
        abort();
    stream_agent_free(&b);
    free(again);
    stream_agent_free(&a);
}

static void check_text_max(const char *s, size_t max)
{
    if (s && (!valid_utf8(s) || strlen(s) > max))
        abort();
}

/* The entry as a request and as an answer: accepted, its strings are
 * valid UTF-8 without NUL and within their limits, written again it reads
 * back the same; refused, it says why. */
static void check_cmd(const redisReply *entry)
{
    struct stream_request rq;
    char err[512] = "";
    if (stream_request_parse(entry, &rq, err, sizeof err) == 0) {
        if (!stream_request_id_valid(rq.id) || !stream_user_valid(rq.user))
            abort();
        const char *texts[] = { rq.schema, rq.name, rq.text, rq.database, rq.role, rq.oid, rq.backend_start };
        for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
            check_text_max(texts[i], STREAM_CMD_TEXT_MAX);
        stream_request_free(&rq);
    } else if (!err[0]) {
        abort();
    }
    struct stream_reply rp;
    err[0] = '\0';
    if (stream_reply_entry_parse(entry, &rp, err, sizeof err) == 0) {
        if (!stream_request_id_valid(rp.id))
            abort();
        check_text_max(rp.title, STREAM_CMD_TEXT_MAX);
        check_text_max(rp.text, STREAM_CMD_TEXT_MAX);
        for (int i = 0; i < rp.nlines; i++)
            check_text_max(rp.lines[i], STREAM_CMD_TEXT_MAX);
        stream_reply_free(&rp);
    } else if (!err[0]) {
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    struct snapshot *s = NULL;
    struct stream_meta meta;
    char err[512];

    if (!memchr(data, 0x1f, size)) {
        const char *fields[] = { "format", "collector", "snapshot" };
        const char *values[] = { "1", "activity", text };
        size_t flens[] = { 6, 9, 8 };
        size_t vlens[] = { 1, 8, size };
        if (stream_entry_parse(3, fields, flens, values, vlens, &s, &meta, err, sizeof err) == 0) {
            check_snapshot(s, &meta);
            snapshot_unref(s);
        } else if (s || !err[0]) {
            abort();        /* a refusal leaves nothing and says why */
        }
        check_summary(text, size);
        return 0;
    }

    /* Parts: an entry [ID, [part0, part1, ...]] as hiredis builds it. */
    redisReply parts[MAX_PARTS], id, pairs, entry;
    redisReply *part_ptrs[MAX_PARTS], *entry_ptrs[2];
    size_t n = 0, start = 0;
    for (size_t i = 0; i <= size && n < MAX_PARTS; i++) {
        if (i == size || data[i] == 0x1f) {
            memset(&parts[n], 0, sizeof parts[n]);
            parts[n].type = REDIS_REPLY_STRING;
            parts[n].str = (char *)text + start;
            parts[n].len = i - start;
            part_ptrs[n] = &parts[n];
            n++;
            start = i + 1;
        }
    }
    memset(&id, 0, sizeof id);
    id.type = REDIS_REPLY_STRING;
    id.str = "1796495657170-0";
    id.len = strlen(id.str);
    memset(&pairs, 0, sizeof pairs);
    pairs.type = REDIS_REPLY_ARRAY;
    pairs.elements = n;
    pairs.element = part_ptrs;
    entry_ptrs[0] = &id;
    entry_ptrs[1] = &pairs;
    memset(&entry, 0, sizeof entry);
    entry.type = REDIS_REPLY_ARRAY;
    entry.elements = 2;
    entry.element = entry_ptrs;
    if (stream_reply_parse(&entry, &s, &meta, err, sizeof err) == 0) {
        check_snapshot(s, &meta);
        snapshot_unref(s);
    } else if (s || !err[0]) {
        abort();
    }
    check_summary(parts[n - 1].str, parts[n - 1].len);
    check_cmd(&entry);
    return 0;
}
