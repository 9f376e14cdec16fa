/* The partitions collector's state file (issue 14): what it writes reads
 * back exactly; a file of another server, cut short, or with any byte
 * changed is refused or read as some valid state, never a crash; the file
 * is written whole (rename), 0600, and read only when this user owns it. */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "subjects/partitions.h"
#include "subjects/partitions_saved.h"
#include "base/statefile.h"
#include "base/xalloc.h"

#define SERVER "16449 1796525356.364834 postgres 01fd25b75a743feb"

/* Two trees: a root with a nested table, and a plain one; cells with a
 * NULL, an empty string, a newline and bytes that are not UTF-8. */
static void sample(struct partitions_saved *s)
{
    static const char *cols[] = { "name", "oid", "root", "partitions" };
    memset(s, 0, sizeof *s);
    s->server = xstrdup(SERVER);
    s->nsigs = 3;
    s->sigs = xcalloc(3, sizeof *s->sigs);
    s->sigs[0] = (struct part_sig){ 100, 100, xstrdup("-12345") };
    s->sigs[1] = (struct part_sig){ 101, 100, xstrdup("777") };
    s->sigs[2] = (struct part_sig){ 200, 200, xstrdup("") };
    s->ntrees = 2;
    s->trees = xcalloc(2, sizeof *s->trees);
    s->trees[0] = (struct part_tree){ 100, 1796525356.25, 1798761600 };
    s->trees[1] = (struct part_tree){ 200, 1796525357.5, NAN };
    s->rows = snapshot_new("partitions", 4, cols);
    const char *r1[] = { "public.a", "100", "100", "[{\"name\": \"a_1\"}]\nsecond line" };
    const char *r2[] = { "public.a_sub", "101", "100", NULL };
    const char *r3[] = { "odd \xff\xfe name", "200", "200", "" };
    snapshot_add_row(s->rows, r1);
    snapshot_add_row(s->rows, r2);
    snapshot_add_row(s->rows, r3);
}

static char *encode(const struct partitions_saved *s, size_t *len)
{
    char *text = NULL;
    FILE *f = open_memstream(&text, len);
    assert_non_null(f);
    assert_int_equal(partitions_saved_write(f, s), 0);
    fclose(f);
    return text;
}

static void same_cell(const char *a, const char *b)
{
    if (!a || !b)
        assert_ptr_equal(a, b);
    else
        assert_string_equal(a, b);
}

static void test_saved_state_reads_back_exactly(void **state)
{
    (void)state;
    struct partitions_saved s, back;
    sample(&s);
    size_t len;
    char *text = encode(&s, &len);
    assert_int_equal(partitions_saved_read(text, len, SERVER, &back), 0);
    assert_string_equal(back.server, SERVER);
    assert_int_equal(back.nsigs, 3);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(back.sigs[i].oid, s.sigs[i].oid);
        assert_int_equal(back.sigs[i].root, s.sigs[i].root);
        assert_string_equal(back.sigs[i].signature, s.sigs[i].signature);
    }
    assert_int_equal(back.ntrees, 2);
    assert_true(back.trees[0].read_at == s.trees[0].read_at);
    assert_true(back.trees[0].next_bound == s.trees[0].next_bound);
    assert_true(isnan(back.trees[1].next_bound));
    assert_int_equal(back.rows->ncols, 4);
    assert_int_equal(back.rows->nrows, 3);
    for (int c = 0; c < 4; c++)
        assert_string_equal(back.rows->columns[c], s.rows->columns[c]);
    for (int r = 0; r < 3; r++)
        for (int c = 0; c < 4; c++)
            same_cell(snapshot_cell(back.rows, r, c), snapshot_cell(s.rows, r, c));
    partitions_saved_free(&back);
    partitions_saved_free(&s);
    free(text);
}

static void test_saved_state_of_another_server_is_refused(void **state)
{
    (void)state;
    struct partitions_saved s, back;
    sample(&s);
    size_t len;
    char *text = encode(&s, &len);
    assert_int_equal(partitions_saved_read(text, len, "16450 1796525356.364834 postgres 01fd25b75a743feb", &back), -1);
    assert_null(back.rows);
    assert_int_equal(partitions_saved_read(text, len, "16449 1796525356.364834 postgres", &back), -1);
    partitions_saved_free(&s);
    free(text);
}

/* Every prefix of a valid file (a write cut short) is refused. */
static void test_saved_state_cut_anywhere_is_refused(void **state)
{
    (void)state;
    struct partitions_saved s, back;
    sample(&s);
    size_t len;
    char *text = encode(&s, &len);
    for (size_t n = 0; n < len; n++) {
        char *cut = xmalloc(n + 1);
        memcpy(cut, text, n);
        cut[n] = '\0';
        if (partitions_saved_read(cut, n, SERVER, &back) == 0)
            fail_msg("a file cut at %zu of %zu bytes was read", n, len);
        free(cut);
    }
    partitions_saved_free(&s);
    free(text);
}

/* Any byte changed to any of a few values, and random garbage: read or
 * refused, never a crash or a read past the end (the sanitizer build
 * checks that), and a state that is read is consistent. */
static void test_saved_state_damaged_is_refused_or_consistent(void **state)
{
    (void)state;
    struct partitions_saved s, back;
    sample(&s);
    size_t len;
    char *text = encode(&s, &len);
    static const char subst[] = { '\0', '\n', ' ', '-', '0', '9', 'x', (char)0xff };
    for (size_t i = 0; i < len; i++)
        for (size_t k = 0; k < sizeof subst; k++) {
            char *bad = xmalloc(len);
            memcpy(bad, text, len);
            bad[i] = subst[k];
            if (partitions_saved_read(bad, len, SERVER, &back) == 0) {
                assert_non_null(back.rows);
                assert_true(back.rows->ncols > 0);
                for (int j = 1; j < back.nsigs; j++)
                    assert_true(back.sigs[j - 1].oid < back.sigs[j].oid);
                for (int j = 1; j < back.ntrees; j++)
                    assert_true(back.trees[j - 1].root < back.trees[j].root);
                partitions_saved_free(&back);
            }
            free(bad);
        }
    srand(14);
    for (int t = 0; t < 2000; t++) {
        size_t n = (size_t)(rand() % 200);
        char *junk = xmalloc(n + 1);
        memcpy(junk, text, n < len ? n : len);
        for (size_t i = n / 2; i < n; i++)
            junk[i] = (char)(rand() % 256);
        if (partitions_saved_read(junk, n, SERVER, &back) == 0)
            partitions_saved_free(&back);
        free(junk);
    }
    partitions_saved_free(&s);
    free(text);
}

static int write_text(FILE *f, void *arg)
{
    fputs(arg, f);
    return 0;
}

static int write_refused(FILE *f, void *arg)
{
    (void)arg;
    fputs("half", f);
    return -1;
}

/* Written by rename, 0600, in a directory made 0700; a failed write
 * leaves the old file and no temporary one; a symbolic link or a file
 * of another owner is not read. */
static void test_statefile_written_whole_and_read_only_when_ours(void **state)
{
    (void)state;
    char dir[] = "/tmp/pgdeck-saved-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *path = xasprintf("%s/sub/state", dir);
    char err[512];
    assert_int_equal(statefile_write(path, write_text, "first\n", err, sizeof err), 0);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    char *sub = xasprintf("%s/sub", dir);
    assert_int_equal(stat(sub, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);

    assert_int_equal(statefile_write(path, write_refused, NULL, err, sizeof err), -1);
    size_t len;
    char *text = statefile_read(path, 1024, &len, err, sizeof err);
    assert_non_null(text);
    assert_string_equal(text, "first\n");
    free(text);
    char *tmp = xasprintf("%s.%ld.tmp", path, (long)getpid());
    assert_int_not_equal(access(tmp, F_OK), 0);

    assert_null(statefile_read(path, 3, &len, err, sizeof err));
    assert_non_null(strstr(err, "too large"));
    char *link = xasprintf("%s/link", dir);
    assert_int_equal(symlink(path, link), 0);
    assert_null(statefile_read(link, 1024, &len, err, sizeof err));
    if (geteuid() == 0) {
        assert_int_equal(chown(path, 1, 1), 0);
        assert_null(statefile_read(path, 1024, &len, err, sizeof err));
        assert_non_null(strstr(err, "another user"));
    }
    unlink(link);
    unlink(path);
    rmdir(sub);
    rmdir(dir);
    free(link);
    free(tmp);
    free(sub);
    free(path);
}

/* Trees read together come due together: a few of them are read again
 * early, the oldest first, so that no run reads them all again. */
static void test_trees_nearly_due_are_read_again_a_few_at_a_time_oldest_first(void **state)
{
    (void)state;
    struct part_tree trees[5] = {
        { 10, 1000.0, NAN }, { 11, 400.0, NAN }, { 12, 500.0, NAN }, { 13, 400.0, NAN }, { 14, 1400.0, NAN },
    };
    unsigned long out[5] = { 0 };
    /* At 1500 with 480 s: 11 and 13 (read at 400) first, then 12 (500),
     * then 10 (1000, 500 s old); 14 (1400) is not due. */
    assert_int_equal(partitions_pick_early(trees, 5, 1500.0, 480.0, 2, out), 2);
    assert_int_equal(out[0], 11);
    assert_int_equal(out[1], 13);
    assert_int_equal(partitions_pick_early(trees, 5, 1500.0, 480.0, 5, out), 4);
    assert_int_equal(out[2], 12);
    assert_int_equal(out[3], 10);
    /* None old enough, or no room: none. */
    assert_int_equal(partitions_pick_early(trees, 5, 800.0, 480.0, 5, out), 0);
    assert_int_equal(partitions_pick_early(trees, 5, 1500.0, 480.0, 0, out), 0);
    assert_int_equal(partitions_pick_early(NULL, 0, 1500.0, 480.0, 3, out), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_saved_state_reads_back_exactly),
        cmocka_unit_test(test_trees_nearly_due_are_read_again_a_few_at_a_time_oldest_first),
        cmocka_unit_test(test_saved_state_of_another_server_is_refused),
        cmocka_unit_test(test_saved_state_cut_anywhere_is_refused),
        cmocka_unit_test(test_saved_state_damaged_is_refused_or_consistent),
        cmocka_unit_test(test_statefile_written_whole_and_read_only_when_ours),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
