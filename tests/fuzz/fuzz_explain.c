/* libFuzzer target for what EXPLAIN may plan (src/core/explain_guard.c on
 * libpg_query, src/base/sql.c): arbitrary bytes up to the first NUL as a
 * query text, as pg_stat_activity hands one over.
 *
 *   TARGETS=fuzz_explain sh tests/fuzz/build.sh run 60
 *
 * Besides not crashing, the guard must keep its promises:
 *   - a refusal says why; an accepted text is one statement of a known
 *     kind, its relations have names, and an unqualified one's place is
 *     inside the statement and spells a name;
 *   - writing every unqualified relation as "s"."name" gives a text that,
 *     read again, is accepted with the same relations, in the same order,
 *     all in schema s (pgdeck refuses when it does not: what it checked is
 *     what it plans);
 *   - the fingerprint never crashes either. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/sql.h"
#include "base/xalloc.h"
#include "core/explain_guard.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = xstrndup((const char *)data, size);
    uint64_t fp;
    (void)sql_fingerprint(text, &fp);

    struct explain_info info;
    if (explain_guard_check(text, &info) != 0) {
        if (!info.why[0])
            abort();
        explain_info_free(&info);
        free(text);
        return 0;
    }
    if (!info.kind[0] || !info.statement || info.params < 0)
        abort();
    size_t len = strlen(info.statement);
    char **qualified = xcalloc((size_t)info.nrelations + 1, sizeof *qualified);
    for (int i = 0; i < info.nrelations; i++) {
        const struct explain_relation *r = &info.relations[i];
        if (!r->name)
            abort();
        if (r->schema)
            continue;
        if (r->at < 0 || r->len <= 0 || (size_t)(r->at + r->len) > len)
            abort();
        /* A quoted name, or one folded to lower case. */
        size_t n = strlen(r->name);
        char *q = xmalloc(2 * n + 8);
        char *o = q;
        memcpy(o, "\"s\".\"", 5);
        o += 5;
        for (size_t k = 0; k < n; k++) {
            if (r->name[k] == '"')
                *o++ = '"';
            *o++ = r->name[k];
        }
        *o++ = '"';
        *o = '\0';
        qualified[i] = q;
    }
    char *out = explain_guard_qualify(&info, (const char *const *)qualified);
    struct explain_info again;
    if (explain_guard_check(out, &again) == 0) {
        if (again.nrelations != info.nrelations)
            abort();
        for (int i = 0; i < again.nrelations; i++) {
            if (!again.relations[i].schema || strcmp(again.relations[i].name, info.relations[i].name) != 0)
                abort();
            if (!info.relations[i].schema && strcmp(again.relations[i].schema, "s") != 0)
                abort();
        }
    }
    explain_info_free(&again);
    free(out);
    for (int i = 0; i < info.nrelations; i++)
        free(qualified[i]);
    free(qualified);
    explain_info_free(&info);
    free(text);
    return 0;
}
