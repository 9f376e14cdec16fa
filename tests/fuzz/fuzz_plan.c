/* libFuzzer target for the index plan parser (src/core/plan.c): arbitrary bytes
 * as a plan file.
 *
 *   TARGETS=fuzz_plan sh tests/fuzz/build.sh run 60
 *
 * Besides not crashing, the parser must keep its promises: every entry
 * has a name (at most 63 bytes), a schema, a table and a statement that
 * starts with CREATE; messages hold no control character and name the
 * file and a line that exists; and an entry's statement, parsed on its own, gives
 * the same index on the same table (the actions run that text). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/plan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_entry(const struct plan_entry *e, int lines)
{
    if (!e->name || !*e->name || strlen(e->name) > 63 || !e->schema || !*e->schema || !e->table ||
        !*e->table || !e->qualified_table || !e->method || !e->statement)
        abort();
    if (strncasecmp(e->statement, "create", 6) != 0)
        abort();
    if (e->line < 1 || e->line > lines)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    int lines = 1;
    for (size_t i = 0; i < size; i++)
        lines += data[i] == '\n';
    bool has_nul = memchr(data, 0, size) != NULL;

    struct plan p;
    int rc = plan_parse(&p, text, size, "fuzz.sql");
    if ((rc != 0) != (p.error_total > 0) || p.nerrors > PLAN_MAX_ERRORS || p.nerrors > p.error_total)
        abort();
    for (int i = 0; i < p.nerrors; i++) {
        if (strncmp(p.errors[i], "fuzz.sql:", 9) != 0)
            abort();
        if (atoi(p.errors[i] + 9) < 1 || atoi(p.errors[i] + 9) > lines)
            abort();
        for (const unsigned char *c = (const unsigned char *)p.errors[i]; *c; c++)
            if (*c < 0x20 || *c == 0x7f)
                abort();    /* sanitized: no control character */
    }
    for (int i = 0; i < p.count; i++) {
        const struct plan_entry *e = &p.entries[i];
        check_entry(e, lines);
        const struct plan_entry *f = plan_find(&p, e->schema, e->name);
        if (!f || f > e)
            abort();    /* the first of a name is the one kept */
        if (f != e)
            abort();    /* names are unique within a plan */
        if (has_nul)
            continue;
        struct plan again;
        plan_parse(&again, e->statement, strlen(e->statement), "again.sql");
        if (again.count != 1 || strcmp(again.entries[0].name, e->name) != 0 ||
            strcmp(again.entries[0].qualified_table, e->qualified_table) != 0 ||
            again.entries[0].unique != e->unique || again.entries[0].concurrently != e->concurrently ||
            strcmp(again.entries[0].statement, e->statement) != 0)
            abort();
        plan_free(&again);
    }
    plan_free(&p);
    return 0;
}
