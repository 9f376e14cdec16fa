#ifndef PGDECK_STATEFILE_H
#define PGDECK_STATEFILE_H

#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

/* Files pgdeck keeps between runs (the action journal, the size history)
 * live under $XDG_STATE_HOME/pgdeck/, or ~/.local/state/pgdeck/ when it is
 * unset or not absolute. */

/* The path of `name` below that directory (caller frees), or NULL with a
 * message in err when there is no home directory to put it in. */
char *statefile_path(const char *name, char *err, size_t errlen);
/* mkdir -p of the directory part of path; new directories are 0700.
 * Returns 0, or -1 with "cannot create DIR: reason" in err. */
int   statefile_make_parents(const char *path, char *err, size_t errlen);

/* Replace the file at `path` in one step: `write` fills a new file beside
 * it (`mode` before the umask, made with O_EXCL and O_NOFOLLOW, so nothing
 * planted under the temporary name is written through), which then
 * replaces `path` by rename(2), so a reader sees the old file or the new
 * one whole, never a part.  `write` returns 0, or -1 when the file is not
 * to be kept.  Returns 0, or -1 with the reason in err (nothing is left
 * behind).  The OpenMetrics file (0644, for a scraper) is written so. */
int   file_replace(const char *path, mode_t mode, int (*write)(FILE *f, void *arg), void *arg,
                   char *err, size_t errlen);
/* A state file: its parents made 0700, then file_replace with mode 0600. */
int   statefile_write(const char *path, int (*write)(FILE *f, void *arg), void *arg,
                      char *err, size_t errlen);
/* The whole of the state file at `path`, NUL-terminated (caller frees),
 * with its length in *len; NULL with the reason in err when it is absent,
 * not a regular file (a symbolic link is not followed), not owned by this
 * user, or larger than `max` bytes. */
char *statefile_read(const char *path, size_t max, size_t *len, char *err, size_t errlen);

#endif
