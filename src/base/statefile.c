#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/statefile.h"
#include "base/xalloc.h"

char *statefile_path(const char *name, char *err, size_t errlen)
{
    const char *state = getenv("XDG_STATE_HOME");
    if (state && *state == '/')
        return xasprintf("%s/pgdeck/%s", state, name);
    const char *home = getenv("HOME");
    if (!home || !*home) {
        struct passwd *pw = getpwuid(geteuid());
        home = pw ? pw->pw_dir : NULL;
    }
    if (!home || !*home) {
        snprintf(err, errlen, "no place for %s: set HOME or XDG_STATE_HOME", name);
        return NULL;
    }
    return xasprintf("%s/.local/state/pgdeck/%s", home, name);
}

int statefile_make_parents(const char *path, char *err, size_t errlen)
{
    char *dir = xstrdup(path);
    char *slash = strrchr(dir, '/');
    if (!slash || slash == dir) {
        free(dir);
        return 0;
    }
    *slash = '\0';
    for (char *p = dir + 1;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char c = *p;
        *p = '\0';
        if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
            snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
            free(dir);
            return -1;
        }
        *p = c;
        if (!c)
            break;
    }
    free(dir);
    return 0;
}

int file_replace(const char *path, mode_t mode, int (*write)(FILE *f, void *arg), void *arg,
                 char *err, size_t errlen)
{
    char *tmp = xasprintf("%s.%ld.tmp", path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!f) {
        snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
        if (fd >= 0) {
            close(fd);
            unlink(tmp);
        }
        free(tmp);
        return -1;
    }
    bool failed = write(f, arg) != 0;
    int saved = errno;
    failed |= ferror(f) != 0;
    if (fclose(f) != 0)
        failed = true, saved = errno;
    if (failed || rename(tmp, path) != 0) {
        if (!failed)
            saved = errno;
        snprintf(err, errlen, "cannot write %s: %s", path, saved ? strerror(saved) : "not written");
        unlink(tmp);
        free(tmp);
        return -1;
    }
    free(tmp);
    return 0;
}

int statefile_write(const char *path, int (*write)(FILE *f, void *arg), void *arg,
                    char *err, size_t errlen)
{
    if (statefile_make_parents(path, err, errlen) != 0)
        return -1;
    return file_replace(path, 0600, write, arg, err, errlen);
}

char *statefile_read(const char *path, size_t max, size_t *len, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
        return NULL;
    }
    struct stat st;
    const char *why = NULL;
    if (fstat(fd, &st) != 0)
        why = strerror(errno);
    else if (!S_ISREG(st.st_mode))
        why = "not a regular file";
    else if (st.st_uid != geteuid())
        why = "owned by another user";
    else if ((unsigned long long)st.st_size > max)
        why = "too large";
    if (why) {
        snprintf(err, errlen, "cannot read %s: %s", path, why);
        close(fd);
        return NULL;
    }
    size_t size = (size_t)st.st_size, got = 0;
    char *buf = xmalloc(size + 1);
    while (got < size) {
        ssize_t n = read(fd, buf + got, size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            snprintf(err, errlen, "cannot read %s: %s", path, n < 0 ? strerror(errno) : "cut short");
            close(fd);
            free(buf);
            return NULL;
        }
        got += (size_t)n;
    }
    close(fd);
    buf[size] = '\0';
    *len = size;
    return buf;
}
