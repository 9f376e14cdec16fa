/* The title lines (ui/title.c): parts give way in a fixed order of
 * importance, never a port, a state or the clock, and what was dropped
 * can be listed. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "title.h"

/* The line as shown: parts joined with their gaps, the right side after
 * two blanks. */
static void shown(const struct title_line *l, char *out, size_t len)
{
    char left[512] = "", right[512] = "";
    for (int i = 0; i < l->n; i++) {
        const char *t = title_text(&l->part[i]);
        if (!t)
            continue;
        char *side = l->part[i].right ? right : left;
        size_t n = strlen(side);
        snprintf(side + n, 512 - n, "%*s%s", n ? title_gap(l, i) : 0, "", t);
    }
    snprintf(out, len, "%s%s%s", left, *right ? "  " : "", right);
}

/* The demo's title at 80 columns (issue 17): a long socket directory. */
static void demo_title(struct title_line *l)
{
    title_add(l, TITLE_KEEP, 0, 0, NULL, "pgdeck");
    title_add(l, TITLE_DROP_VERSION, 0, 1, "pgdeck version", "0.1.0");
    title_add(l, TITLE_DROP_SOCKET, 0, 2, "socket directory", "host=/tmp/pgdeck-demo-0/sock");
    title_add(l, TITLE_KEEP, 0, 1, NULL, "port=22512");
    title_add(l, TITLE_DROP_USER, 0, 1, "user", "user=postgres");
    title_add(l, TITLE_DROP_DBNAME, 0, 1, "database", "dbname=pgdeck");
    title_add(l, TITLE_DROP_INTERVAL, 0, 1, "refresh", "every 1.0s")->right = true;
    title_add(l, TITLE_KEEP, 0, 2, NULL, "19:48:36")->right = true;
}

static void demo_servers(struct title_line *l)
{
    title_add(l, TITLE_KEEP, 0, 2, NULL, "primary: up");
    title_add(l, TITLE_DROP_VERSION, 0, 1, "primary version", "15.18");
    title_add(l, TITLE_KEEP, 0, 2, NULL, "replica: up");
    title_add(l, TITLE_DROP_VERSION, 0, 1, "replica version", "15.18");
    title_add(l, TITLE_KEEP, 0, 1, NULL, "(standby)");
    title_add(l, TITLE_KEEP, 0, 2, NULL, "pgbouncer: up");
    title_add(l, TITLE_DROP_VERSION, 0, 1, "pgbouncer version", "1.18.0");
    title_add(l, TITLE_KEEP, 0, 2, NULL, "redis: up");
    title_add(l, TITLE_DROP_VERSION, 0, 1, "redis version", "7.0.15");
}

static void test_the_socket_directory_goes_first_never_the_port(void **state)
{
    (void)state;
    struct title_line l = { 0 };
    char line[512], dropped[512] = "";
    demo_title(&l);
    title_fit(&l, 78);
    shown(&l, line, sizeof line);
    assert_true(title_width(&l) <= 78);
    assert_string_equal(line, "pgdeck 0.1.0  port=22512 user=postgres dbname=pgdeck  every 1.0s  19:48:36");
    assert_int_equal(title_dropped(&l, dropped, sizeof dropped), 1);
    assert_string_equal(dropped, "socket directory host=/tmp/pgdeck-demo-0/sock");
    /* Narrower: the user, then the versions, then the interval go; the
     * port and the clock stay at any width. */
    title_fit(&l, 60);
    shown(&l, line, sizeof line);
    assert_string_equal(line, "pgdeck 0.1.0  port=22512 dbname=pgdeck  every 1.0s  19:48:36");
    title_fit(&l, 42);
    shown(&l, line, sizeof line);
    assert_string_equal(line, "pgdeck  port=22512 dbname=pgdeck  19:48:36");
    title_fit(&l, 10);
    shown(&l, line, sizeof line);
    assert_string_equal(line, "pgdeck  port=22512  19:48:36");
    title_free(&l);
}

static void test_every_state_stays_whole_and_versions_give_way(void **state)
{
    (void)state;
    struct title_line l = { 0 };
    char line[512], dropped[512] = "";
    demo_servers(&l);
    title_fit(&l, 200);
    shown(&l, line, sizeof line);
    assert_string_equal(line, "primary: up 15.18  replica: up 15.18 (standby)  pgbouncer: up 1.18.0  redis: up 7.0.15");
    /* 80 columns less the margins: versions go from the right, whole. */
    title_fit(&l, 78);
    shown(&l, line, sizeof line);
    assert_string_equal(line, "primary: up 15.18  replica: up 15.18 (standby)  pgbouncer: up  redis: up");
    assert_int_equal(title_dropped(&l, dropped, sizeof dropped), 2);
    assert_string_equal(dropped, "pgbouncer version 1.18.0, redis version 7.0.15");
    title_fit(&l, 50);
    shown(&l, line, sizeof line);
    assert_string_equal(line, "primary: up  replica: up (standby)  pgbouncer: up  redis: up");
    title_free(&l);
}

static void test_a_down_servers_reason_is_cut_with_a_mark_then_dropped(void **state)
{
    (void)state;
    struct title_line l = { 0 };
    char line[512];
    title_add(&l, TITLE_KEEP, 0, 2, NULL, "primary: down");
    struct title_part *r = title_add(&l, TITLE_DROP_REASON, 0, 1, "why primary is down:",
                                     "(Connection refused by the server at 127.0.0.1)");
    r->cut = true;
    r->tail = ")";
    title_add(&l, TITLE_DROP_RETRY, 0, 1, "retry", "retry in 4.0s");
    title_add(&l, TITLE_KEEP, 0, 2, NULL, "redis: up");
    title_fit(&l, 60);
    shown(&l, line, sizeof line);
    assert_string_equal(line, "primary: down (Connection refused by the server…)  redis: up");
    assert_true(title_width(&l) <= 60);
    title_fit(&l, 30);
    shown(&l, line, sizeof line);
    assert_string_equal(line, "primary: down  redis: up");
    l.ascii = true;
    title_fit(&l, 40);
    shown(&l, line, sizeof line);
    assert_string_equal(line, "primary: down (Connection r~)  redis: up");
    title_free(&l);
}

static void test_brief_forms_come_before_the_edge(void **state)
{
    (void)state;
    struct title_line l = { 0 };
    char line[512];
    const char *names[] = { "primary", "replica", "pgbouncer", "redis" };
    for (int i = 0; i < 4; i++) {
        char full[64], brief[64];
        snprintf(full, sizeof full, "%s: not configured", names[i]);
        snprintf(brief, sizeof brief, "%s: none", names[i]);
        title_brief(title_add(&l, TITLE_KEEP, 0, 2, NULL, full), brief);
    }
    title_fit(&l, 78);
    shown(&l, line, sizeof line);
    assert_true(title_width(&l) <= 78);
    assert_non_null(strstr(line, "primary: not configured"));
    assert_non_null(strstr(line, "redis: none"));
    title_free(&l);
}

static void test_what_is_added_is_sanitized(void **state)
{
    (void)state;
    struct title_line l = { 0 };
    title_add(&l, TITLE_KEEP, 0, 0, NULL, "a\x1b]0;owned\x07\nb");
    assert_null(strchr(l.part[0].text, '\x1b'));
    assert_null(strchr(l.part[0].text, '\n'));
    assert_null(title_add(&l, TITLE_KEEP, 0, 0, NULL, ""));
    title_free(&l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_the_socket_directory_goes_first_never_the_port),
        cmocka_unit_test(test_every_state_stays_whole_and_versions_give_way),
        cmocka_unit_test(test_a_down_servers_reason_is_cut_with_a_mark_then_dropped),
        cmocka_unit_test(test_brief_forms_come_before_the_edge),
        cmocka_unit_test(test_what_is_added_is_sanitized),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
