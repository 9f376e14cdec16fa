/* The subjects, in pane order: the one table the collector engine, the
 * action gate, the alert engine and the console read (subject.h).  The
 * panes are numbered, and `1`-`9` reach them, in this order; subjects
 * without a pane (host, tables) may stand anywhere.  Adding a subject is
 * its file under src/subjects/ and a line here. */
#include "core/subject.h"

extern const struct subject subject_queries, subject_pool, subject_cache, subject_partitions,
                            subject_views, subject_indexes, subject_locks, subject_host, subject_tables,
                            subject_fleet;

const struct subject *const subjects[] = {
    &subject_queries,
    &subject_pool,
    &subject_cache,
    &subject_partitions,
    &subject_views,
    &subject_indexes,
    &subject_locks,
    &subject_host,
    &subject_tables,
    &subject_fleet,
};
const int nsubjects = SUBJECT_ROWS(subjects);
