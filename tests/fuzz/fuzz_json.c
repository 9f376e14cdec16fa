/* libFuzzer target for the JSON writers of untrusted text: --once's
 * (jsontext_new and jsontext_dump in src/base/jsontext.c, which src/front/once.c
 * uses for every string) and the action journal's (journal_format in
 * src/core/journal.c).  Arbitrary bytes up to the
 * first NUL are the text, as libpq hands over a value.
 *
 *   TARGETS=fuzz_json sh tests/fuzz/build.sh run 60
 *
 * Besides not crashing, both must keep their promises:
 *   - the repaired text is strictly valid UTF-8, a valid input comes out
 *     unchanged, and each invalid byte becomes exactly one U+FFFD;
 *   - the JSON written with JSON_ENSURE_ASCII is printable ASCII only (no
 *     control byte, DEL included, nothing above 127: safe to cat on any
 *     terminal) and reads back as the repaired text;
 *   - a journal line is one line of printable ASCII ending in a newline,
 *     parses as an object, and holds the repaired text in each field
 *     (the relations' names and the format-2 ids too). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "core/journal.h"
#include "base/jsontext.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Length of the strictly valid UTF-8 character at s, or 0 (RFC 3629). */
static size_t valid_char(const unsigned char *s, size_t n)
{
    uint32_t cp;
    size_t len;
    if (s[0] < 0x80)
        return 1;
    else if ((s[0] & 0xe0) == 0xc0)
        len = 2, cp = s[0] & 0x1f;
    else if ((s[0] & 0xf0) == 0xe0)
        len = 3, cp = s[0] & 0x0f;
    else if ((s[0] & 0xf8) == 0xf0)
        len = 4, cp = s[0] & 0x07;
    else
        return 0;
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    static const uint32_t min[5] = { 0, 0, 0x80, 0x800, 0x10000 };
    if (cp < min[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}

/* What the repair must give: valid characters kept, each other byte
 * U+FFFD.  Written independently of src/base/jsontext.c, as the oracle. */
static char *expected_repair(const char *text)
{
    size_t n = strlen(text), o = 0;
    char *out = malloc(n * 3 + 1);
    if (!out)
        abort();
    for (size_t i = 0; i < n;) {
        size_t len = valid_char((const unsigned char *)text + i, n - i);
        if (len) {
            memcpy(out + o, text + i, len);
            o += len;
            i += len;
        } else {
            memcpy(out + o, "\xEF\xBF\xBD", 3);
            o += 3;
            i++;
        }
    }
    out[o] = '\0';
    return out;
}

static void check_printable_ascii(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
            abort();
}

static void check_string_round_trip(json_t *j, const char *expected)
{
    if (!j || !json_is_string(j) || strcmp(json_string_value(j), expected) != 0)
        abort();
    json_t *arr = json_array();
    json_array_append(arr, j);
    char *doc = jsontext_dump(arr, JSON_COMPACT | JSON_ENSURE_ASCII);
    if (!doc)
        abort();
    check_printable_ascii(doc, strlen(doc));
    json_error_t err;
    json_t *back = json_loads(doc, 0, &err);
    if (!back || !json_is_array(back) || json_array_size(back) != 1 ||
        strcmp(json_string_value(json_array_get(back, 0)), expected) != 0)
        abort();
    json_decref(back);
    free(doc);
    json_decref(arr);
}

static void check_journal(const char *text, const char *expected)
{
    struct journal_entry e = {
        .time = 1.5e9,
        .os_user = text,
        .db_user = text,
        .database = text,
        .server = text,
        .front_end = "console",
        .action = "refresh",
        .target = text,
        .statement = text,
        .duration_ms = 12.3,
        .outcome = "failed",
        .detail = text,
        .id = text,
        .system_id = text,
        .relations = &(struct journal_relation){ text, 16390 },
        .nrelations = 1,
    };
    char *line = journal_format(&e);
    size_t n = strlen(line);
    if (n < 2 || line[n - 1] != '\n')
        abort();
    check_printable_ascii(line, n - 1);     /* one line: no other newline */
    json_error_t err;
    json_t *o = json_loads(line, 0, &err);
    if (!o || !json_is_object(o))
        abort();
    static const char *const fields[] = { "os_user", "db_user", "database", "server", "target",
                                          "statement", "detail", "id", "system_id" };
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        json_t *v = json_object_get(o, fields[i]);
        if (!json_is_string(v) || strcmp(json_string_value(v), expected) != 0)
            abort();
    }
    json_t *rel = json_array_get(json_object_get(o, "relations"), 0);
    json_t *name = json_object_get(rel, "name");
    if (!json_is_string(name) || strcmp(json_string_value(name), expected) != 0)
        abort();
    json_decref(o);
    free(line);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';          /* a libpq value ends at its first NUL */

    char *expected = expected_repair(text);
    char *repaired = jsontext_repair(text);
    if (strcmp(repaired, expected) != 0)
        abort();
    if (strlen(repaired) > 3 * strlen(text))
        abort();

    json_t *j = jsontext_new(text);
    check_string_round_trip(j, expected);
    json_decref(j);

    json_t *null = jsontext_new(NULL);
    if (!json_is_null(null))
        abort();

    check_journal(text, expected);

    free(repaired);
    free(expected);
    free(text);
    return 0;
}
