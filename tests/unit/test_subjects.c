/* The one table, subjects[]: what the engines and the console read from
 * it holds together.  A subject with a pane has its pane class (and a
 * pane class draws a subject that has a pane), names are unique, every
 * alert rule reads collectors that exist, and the panes are numbered in
 * subjects[] order. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "core/action.h"
#include "core/alerts.h"
#include "core/collector.h"
#include "core/subject.h"
#include "pane_registry.h"
#include "ui.h"

static void test_every_pane_subject_has_its_pane_class_and_back(void **state)
{
    (void)state;
    int panes = 0;
    for (int i = 0; i < nsubjects; i++) {
        const struct pane_class *cls = pane_registry_find(subjects[i]->name);
        if (subjects[i]->has_pane) {
            panes++;
            assert_non_null(cls);
        } else {
            assert_null(cls);
        }
    }
    assert_int_equal(pane_registry_count, panes);
    for (int i = 0; i < pane_registry_count; i++) {
        const struct subject *s = subject_find(pane_registry[i]->subject);
        assert_non_null(s);
        assert_true(s->has_pane);
    }
    assert_null(pane_registry[pane_registry_count]);
}

static void test_names_are_unique_and_titles_given(void **state)
{
    (void)state;
    for (int i = 0; i < nsubjects; i++) {
        assert_non_null(subjects[i]->name);
        assert_true(subjects[i]->title && *subjects[i]->title);
        assert_ptr_equal(subject_find(subjects[i]->name), subjects[i]);
        for (int j = i + 1; j < nsubjects; j++)
            assert_string_not_equal(subjects[i]->name, subjects[j]->name);
    }
    assert_null(subject_find("no_such_subject"));
}

static bool collector_exists(const char *name)
{
    for (int s = 0; s < nsubjects; s++)
        for (int k = 0; k < subjects[s]->ncollectors; k++)
            if (strcmp(subjects[s]->collectors[k].name, name) == 0)
                return true;
    return false;
}

static void test_collectors_are_unique_and_alerts_read_real_ones(void **state)
{
    (void)state;
    for (int s = 0; s < nsubjects; s++) {
        for (int k = 0; k < subjects[s]->ncollectors; k++) {
            const char *name = subjects[s]->collectors[k].name;
            for (int t = s; t < nsubjects; t++)
                for (int m = t == s ? k + 1 : 0; m < subjects[t]->ncollectors; m++)
                    assert_string_not_equal(name, subjects[t]->collectors[m].name);
        }
        for (int a = 0; a < subjects[s]->nalerts; a++) {
            const struct alert_rule *r = &subjects[s]->alerts[a];
            assert_non_null(r->find);
            for (int k = 0; k < ALERT_RULE_READS && r->reads[k]; k++)
                assert_true(collector_exists(r->reads[k]));
        }
        for (int a = 0; a < subjects[s]->nactions; a++)
            assert_ptr_equal(action_find(subjects[s]->actions[a]->name), subjects[s]->actions[a]);
    }
}

static void test_panes_are_numbered_in_subjects_order(void **state)
{
    (void)state;
    static const char *const order[] = { "queries", "pool", "cache", "partitions", "views", "indexes", "locks" };
    for (int i = 0; i < 7; i++)
        assert_int_equal(subject_pane_number(order[i]), i + 1);
    assert_int_equal(subject_pane_number("host"), 0);
    assert_int_equal(subject_pane_number("tables"), 0);
    assert_int_equal(subject_pane_number("no_such_subject"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_pane_subject_has_its_pane_class_and_back),
        cmocka_unit_test(test_names_are_unique_and_titles_given),
        cmocka_unit_test(test_collectors_are_unique_and_alerts_read_real_ones),
        cmocka_unit_test(test_panes_are_numbered_in_subjects_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
