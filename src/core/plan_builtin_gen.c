/* plan_gen: write the kit's index plan as C (build/gen/plan_builtin_table.c,
 * see core/plan_builtin.h).  Run by the build, not installed: it reads the
 * embedded kit/indexes.sql with plan_parse, the reader pgdeck would run at
 * start, and prints its entries and errors as initializers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/plan.h"
#include "base/embedded.h"

/* A C string literal of any bytes (NULL as NULL). */
static void literal(const char *s)
{
    if (!s) {
        fputs("NULL", stdout);
        return;
    }
    putchar('"');
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            printf("\\%c", *p);
        else if (*p == '\n')
            fputs("\\n", stdout);
        else if (*p < 0x20 || *p >= 0x7f || *p == '?')
            printf("\\%03o", *p);      /* '?': no trigraphs */
        else
            putchar(*p);
    }
    putchar('"');
}

int main(void)
{
    const char *text = embedded_find(PLAN_BUILTIN);
    if (!text) {
        fprintf(stderr, "plan_gen: %s is not embedded\n", PLAN_BUILTIN);
        return 1;
    }
    struct plan plan;
    plan_parse(&plan, text, strlen(text), PLAN_BUILTIN);
    printf("/* Written by build/gen/plan_gen from %s: do not edit. */\n", PLAN_BUILTIN);
    printf("#include <stddef.h>\n\n#include \"core/plan_builtin.h\"\n\n");
    for (int i = 0; i < plan.count; i++) {
        const struct plan_entry *e = &plan.entries[i];
        if (e->ncolumns <= 0)
            continue;
        printf("static char *columns_%d[] = {", i);
        for (int c = 0; c < e->ncolumns; c++) {
            printf(c ? ", " : " ");
            literal(e->columns[c]);
        }
        printf(" };\n");
    }
    printf("\nconst struct plan_entry plan_builtin_entries[] = {\n");
    for (int i = 0; i < plan.count; i++) {
        const struct plan_entry *e = &plan.entries[i];
        printf("    { .name = ");
        literal(e->name);
        printf(", .schema = ");
        literal(e->schema);
        printf(", .table = ");
        literal(e->table);
        printf(",\n      .qualified_table = ");
        literal(e->qualified_table);
        printf(", .method = ");
        literal(e->method);
        printf(",\n      .statement = ");
        literal(e->statement);
        printf(",\n      .table_at = %zu, .table_len = %zu,", e->table_at, e->table_len);
        if (e->ncolumns > 0)
            printf(" .columns = columns_%d, .ncolumns = %d,", i, e->ncolumns);
        printf("\n      .predicate = ");
        literal(e->predicate);
        printf(", .line = %d, .unique = %d, .concurrently = %d, .if_not_exists = %d, .only = %d },\n",
               e->line, e->unique, e->concurrently, e->if_not_exists, e->only);
    }
    if (plan.count == 0)
        printf("    { .name = NULL },\n");
    printf("};\nconst int plan_builtin_count = %d;\n\n", plan.count);
    printf("const char *const plan_builtin_errors[] = {\n");
    for (int i = 0; i < plan.nerrors; i++) {
        printf("    ");
        literal(plan.errors[i]);
        printf(",\n");
    }
    printf("    NULL,\n};\nconst int plan_builtin_nerrors = %d;\nconst int plan_builtin_error_total = %d;\n",
           plan.nerrors, plan.error_total);
    plan_free(&plan);
    return ferror(stdout) ? 1 : 0;
}
