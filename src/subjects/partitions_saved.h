#ifndef PGDECK_SUBJECTS_PARTITIONS_SAVED_H
#define PGDECK_SUBJECTS_PARTITIONS_SAVED_H

#include <stdio.h>

#include "core/snapshot.h"

/* What the partitions collector keeps between runs of pgdeck
 * (partitions_saved.c), so that a new process (--once, check, a console
 * started again) reads only the trees whose signature changed since the
 * last run saved, instead of every tree (at 5,000 partitions the whole
 * read is most of --once's time, issue 14).  The file is one per server
 * (the signature query's server_id: database oid, postmaster start, user)
 * under the state directory, written whole by rename and read only when
 * this user owns it; a file that does not read exactly as written, or
 * that is of another server, is ignored (the run then reads everything). */

/* A partitioned table as the signature query gave it. */
struct part_sig {
    unsigned long oid, root;
    char         *signature;
};

/* A tree (by its root) as last read: when (in the collector, the
 * monotonic clock; saved, the wall clock) and its next bound. */
struct part_tree {
    unsigned long root;
    double        read_at;
    double        next_bound;   /* server epoch, NAN when none */
};

struct partitions_saved {
    char             *server;   /* server_id */
    struct part_sig  *sigs;     /* sorted by oid */
    int               nsigs;
    struct part_tree *trees;    /* sorted by root; read_at wall clock */
    int               ntrees;
    struct snapshot  *rows;     /* partitions.sql's columns and rows */
};

/* The file's text for `saved` (every field must be set). */
int  partitions_saved_write(FILE *f, const struct partitions_saved *saved);
/* Read `text` (len bytes) into *out.  Returns 0, or -1 when the text is
 * not exactly what partitions_saved_write writes or is of another server
 * than `server` (then *out is empty).  Oids and lengths are checked, the
 * sigs and trees must be sorted, every row has every column. */
int  partitions_saved_read(const char *text, size_t len, const char *server,
                           struct partitions_saved *out);
/* The same, for a text the caller frees right after (read from the state
 * file by malloc): its pages are given back to the system as they are
 * read, so the text can no longer be read afterwards. */
int  partitions_saved_take(char *text, size_t len, const char *server,
                           struct partitions_saved *out);
void partitions_saved_free(struct partitions_saved *saved);

/* The state file of `server` (caller frees), or NULL when there is no
 * state directory. */
char *partitions_saved_path(const char *server);

/* Remove the other files of `path`'s directory (other servers, a server
 * restarted: its id changed) not written for `max_age` seconds, so that
 * they do not pile up. */
void  partitions_saved_prune(const char *path, double max_age);

#endif
