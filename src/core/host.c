/* The database host: /proc parsers and readers, statvfs, and whether the
 * server is on this host at all (see host.h). */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <math.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "core/host.h"
#include "base/clock.h"
#include "base/xalloc.h"

/* How far the start time /proc gives a process may be from the one the
 * server gives its backend: /proc's boot time has a resolution of one
 * second, and the backend notes its start a moment after the fork. */
#define START_TOLERANCE 2.0

/* ---- parsers --------------------------------------------------------- */

/* The decimal number at p ("-" allowed before it: some fields of stat
 * are negative, and are not used); the byte after it, or NULL when there
 * is no digit.  By hand rather than strtoull or sscanf: a refresh parses
 * these for every backend, and the library's locale-aware conversions
 * were most of the host job's instructions (issue 14, callgrind). */
static const char *parse_number(const char *p, unsigned long long *out)
{
    bool negative = *p == '-';
    if (negative)
        p++;
    if (*p < '0' || *p > '9')
        return NULL;
    unsigned long long v = 0;
    for (; *p >= '0' && *p <= '9'; p++)
        v = v * 10 + (unsigned long long)(*p - '0');
    *out = negative ? 0 - v : v;
    return p;
}

int host_parse_stat(const char *text, struct host_proc_stat *out)
{
    /* "pid (comm) state ppid ...": comm may hold spaces and parentheses,
     * so the fields start after the last ')'. */
    const char *p = text ? strrchr(text, ')') : NULL;
    if (!p)
        return -1;
    memset(out, 0, sizeof *out);
    /* Fields numbered as in proc(5): 3 state, 4 ppid, 14 utime,
     * 15 stime, 22 starttime, 24 rss.  All but the state are numbers
     * (some may be negative: priority, nice). */
    int field = 2;
    for (p++; *p && *p != '\n' && field < 24;) {
        while (*p == ' ')
            p++;
        if (!*p || *p == '\n')
            break;
        field++;
        if (field == 3) {
            out->state = *p;
            p += strcspn(p, " \n");
            continue;
        }
        unsigned long long v;
        const char *end = parse_number(p, &v);
        if (!end || (*end && *end != ' ' && *end != '\n'))
            return -1;
        if (field == 4)
            out->ppid = (int)v;
        else if (field == 14)
            out->utime = v;
        else if (field == 15)
            out->stime = v;
        else if (field == 22)
            out->starttime = v;
        else if (field == 24)
            out->rss = v;
        p = end;
    }
    return field == 24 ? 0 : -1;
}

int host_parse_statm(const char *text, struct host_proc_statm *out)
{
    if (!text)
        return -1;
    unsigned long long v[3];
    const char *p = text;
    for (int i = 0; i < 3; i++) {
        while (*p == ' ')
            p++;
        if (!(p = parse_number(p, &v[i])))
            return -1;
    }
    out->size = v[0];
    out->resident = v[1];
    out->shared = v[2];
    return 0;
}

int host_parse_io(const char *text, struct host_proc_io *out)
{
    /* One pass over the lines, each "key: number". */
    static const char *const keys[] = { "rchar", "wchar", "read_bytes", "write_bytes" };
    unsigned long long v[4];
    unsigned found = 0;
    for (const char *line = text; line && *line;) {
        for (int k = 0; k < 4; k++) {
            size_t n = strlen(keys[k]);
            if (strncmp(line, keys[k], n) != 0 || (line[n] != ':' && line[n] != ' '))
                continue;
            const char *p = line + n + 1;
            while (*p == ' ')
                p++;
            if (!parse_number(p, &v[k]))
                return -1;
            found |= 1u << k;
            break;
        }
        line = strchr(line, '\n');
        if (line)
            line++;
    }
    if (found != 15)
        return -1;
    out->rchar = v[0];
    out->wchar = v[1];
    out->read_bytes = v[2];
    out->write_bytes = v[3];
    return 0;
}

int host_parse_loadavg(const char *text, double load[3])
{
    if (!text)
        return -1;
    /* strtod, as sscanf's %lf reads each (without sscanf's own cost,
     * every refresh). */
    const char *p = text;
    for (int i = 0; i < 3; i++) {
        char *end;
        load[i] = strtod(p, &end);
        if (end == p)
            return -1;
        p = end;
    }
    return 0;
}

int host_parse_proc_stat(const char *text, struct host_cpu_times *cpu, int *ncpu, double *btime)
{
    if (!text)
        return -1;
    bool have_cpu = false;
    *ncpu = 0;
    *btime = NAN;
    for (const char *line = text; line && *line;) {
        if (strncmp(line, "cpu ", 4) == 0) {
            /* user nice system idle iowait irq softirq steal guest guest_nice:
             * guest time is already counted in user, so it stops at steal. */
            unsigned long long v[8] = { 0 };
            /* Up to eight numbers after blanks, as sscanf's %llu would
             * read them (without its cost, every refresh). */
            int n = 0;
            for (const char *p = line + 4; n < 8; n++) {
                while (*p == ' ' || *p == '\t')
                    p++;
                if (!(p = parse_number(p, &v[n])))
                    break;
            }
            if (n >= 4) {
                cpu->total = 0;
                for (int i = 0; i < n; i++)
                    cpu->total += v[i];
                cpu->idle = v[3] + (n > 4 ? v[4] : 0);
                have_cpu = true;
            }
        } else if (strncmp(line, "cpu", 3) == 0 && line[3] >= '0' && line[3] <= '9') {
            (*ncpu)++;
        } else if (strncmp(line, "btime ", 6) == 0) {
            *btime = strtod(line + 6, NULL);
        }
        line = strchr(line, '\n');
        if (line)
            line++;
    }
    return have_cpu ? 0 : -1;
}

int host_parse_meminfo(const char *text, struct host_memory *out)
{
    /* One pass over the lines, for the seven keys used, stopping once
     * those needed with MemAvailable are in (SwapFree is the 16th of
     * some 55 lines; a kernel without MemAvailable is read whole): a
     * search from the top for each key was most of the host figures'
     * parsing, every refresh (issue 14). */
    enum { TOTAL, AVAIL, FREE, BUFFERS, CACHED, SWAP_TOTAL, SWAP_FREE, NKEYS };
    static const struct { const char *name; size_t len; } keys[NKEYS] = {
        { "MemTotal", 8 }, { "MemAvailable", 12 }, { "MemFree", 7 }, { "Buffers", 7 },
        { "Cached", 6 }, { "SwapTotal", 9 }, { "SwapFree", 8 },
    };
    const unsigned enough = 1u << TOTAL | 1u << AVAIL | 1u << SWAP_TOTAL | 1u << SWAP_FREE;
    double v[NKEYS] = { 0 };
    unsigned found = 0, seen = 0;
    for (const char *line = text; line && *line && (found & enough) != enough;) {
        for (int k = 0; k < NKEYS; k++) {
            size_t n = keys[k].len;
            if (line[0] != keys[k].name[0] || strncmp(line, keys[k].name, n) != 0 ||
                (line[n] != ':' && line[n] != ' '))
                continue;
            /* The first line of a key counts, as a search from the top
             * would find it; one without a number counts as missing. */
            if (seen & 1u << k)
                break;
            seen |= 1u << k;
            const char *p = line + n + 1;
            while (*p == ' ' || *p == '\t')
                p++;
            unsigned long long kb;
            if (!parse_number(p, &kb))
                break;
            v[k] = (double)kb;
            found |= 1u << k;
            break;
        }
        line = strchr(line, '\n');
        if (line)
            line++;
    }
    if (!(found & 1u << TOTAL))
        return -1;
    /* MemAvailable is the kernel's own estimate (3.14+); before it, free
     * plus buffers and page cache is the usual approximation. */
    double avail = v[AVAIL];
    if (!(found & 1u << AVAIL)) {
        if (!(found & 1u << FREE))
            return -1;
        avail = v[FREE] + v[BUFFERS] + v[CACHED];
    }
    out->mem_total = v[TOTAL] * 1024;
    out->mem_available = avail * 1024;
    out->swap_total = v[SWAP_TOTAL] * 1024;
    out->swap_free = v[SWAP_FREE] * 1024;
    return 0;
}

bool host_cmdline_is_postgres(const char *cmdline, size_t len)
{
    if (!cmdline || len == 0)
        return false;
    /* argv[0] is the first NUL-terminated piece (the title may have
     * overwritten it with spaces instead of NULs). */
    size_t n = strnlen(cmdline, len);
    if ((n >= 9 && strncmp(cmdline, "postgres:", 9) == 0) ||
        (n >= 11 && strncmp(cmdline, "postmaster:", 11) == 0))
        return true;
    size_t word = strcspn(cmdline, " ");
    if (word > n)
        word = n;
    const char *base = cmdline;
    for (size_t i = 0; i < word; i++)
        if (cmdline[i] == '/')
            base = cmdline + i + 1;
    size_t blen = (size_t)(cmdline + word - base);
    return (blen == 8 && strncmp(base, "postgres", 8) == 0) ||
           (blen == 10 && strncmp(base, "postmaster", 10) == 0);
}

/* ---- arithmetic -------------------------------------------------------- */

double host_cpu_percent(unsigned long long ticks, double seconds, long ticks_per_second)
{
    if (!(seconds > 0) || ticks_per_second <= 0)
        return NAN;
    return 100.0 * (double)ticks / (double)ticks_per_second / seconds;
}

double host_cpu_busy(const struct host_cpu_times *before, const struct host_cpu_times *after)
{
    if (after->total <= before->total || after->idle < before->idle)
        return NAN;
    double total = (double)(after->total - before->total);
    double idle = (double)(after->idle - before->idle);
    double busy = 100.0 * (total - idle) / total;
    return busy < 0 ? 0 : busy > 100 ? 100 : busy;
}

double host_rate(unsigned long long before, unsigned long long after, double seconds)
{
    if (!(seconds > 0) || after < before)
        return NAN;
    return (double)(after - before) / seconds;
}

/* ---- is the server here? ------------------------------------------------ */

static bool interface_has(int family, const void *addr)
{
    struct ifaddrs *list;
    if (getifaddrs(&list) != 0)
        return false;
    bool found = false;
    for (struct ifaddrs *i = list; i && !found; i = i->ifa_next) {
        if (!i->ifa_addr || i->ifa_addr->sa_family != family)
            continue;
        if (family == AF_INET)
            found = memcmp(&((struct sockaddr_in *)(void *)i->ifa_addr)->sin_addr, addr, 4) == 0;
        else
            found = memcmp(&((struct sockaddr_in6 *)(void *)i->ifa_addr)->sin6_addr, addr, 16) == 0;
    }
    freeifaddrs(list);
    return found;
}

bool host_address_is_local(const char *addr)
{
    if (!addr || !*addr)
        return true;                /* inet_server_addr() is NULL on a unix socket */
    char text[64];
    snprintf(text, sizeof text, "%s", addr);
    text[strcspn(text, "/%")] = '\0';       /* "127.0.0.1/32", "fe80::1%eth0" */
    struct in_addr v4;
    struct in6_addr v6;
    if (inet_pton(AF_INET, text, &v4) == 1) {
        if ((ntohl(v4.s_addr) >> 24) == 127)
            return true;
        return interface_has(AF_INET, &v4);
    }
    if (inet_pton(AF_INET6, text, &v6) == 1) {
        if (IN6_IS_ADDR_LOOPBACK(&v6))
            return true;
        if (IN6_IS_ADDR_V4MAPPED(&v6)) {
            memcpy(&v4, v6.s6_addr + 12, 4);
            if ((ntohl(v4.s_addr) >> 24) == 127)
                return true;
            return interface_has(AF_INET, &v4);
        }
        return interface_has(AF_INET6, &v6);
    }
    return false;
}

/* ---- readers ------------------------------------------------------------ */

const char *host_proc_root(void)
{
    const char *root = getenv("PGDECK_PROC_ROOT");
    return root && *root ? root : "/proc";
}

long host_ticks_per_second(void)
{
    long t = sysconf(_SC_CLK_TCK);
    return t > 0 ? t : 100;
}

long host_page_size(void)
{
    long p = sysconf(_SC_PAGESIZE);
    return p > 0 ? p : 4096;
}

/* Read the file at path into buf (NUL-terminated): the bytes read, or
 * -1 with errno set. */
static long read_path(const char *path, char *buf, size_t len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t got = 0;
    while (got + 1 < len) {
        ssize_t n = read(fd, buf + got, len - 1 - got);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            int saved = errno;
            close(fd);
            errno = saved;
            return -1;
        }
        if (n == 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    buf[got] = '\0';
    return (long)got;
}

long host_read_file(const char *root, const char *rel, char *buf, size_t len)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    return read_path(path, buf, len);
}

/* ---- files kept open ------------------------------------------------------
 * A refresh reads the same /proc files every second: each backend's stat
 * (and a busy one's statm and io every few seconds), and loadavg, stat and
 * meminfo.  Opening and closing them each time was four system calls a
 * file (open, a read, the read that sees the end, close) and a path lookup
 * in the kernel: most of what the host figures cost the console beyond
 * drawing (issue 14, strace -c).  A procfs file kept open gives its
 * current text to each pread from offset 0, so a refresh reads each in one
 * call.  Only procfs files are kept (fstatfs): a regular file (a test's
 * fake /proc) rewritten under a new inode would go on showing the old
 * text.  A backend's fds refer to that process only: once it has exited
 * pread of its stat fails (ESRCH) and all its fds are closed, so a reused
 * pid is opened afresh; the fds of pids not read in a pass are closed at
 * its end. */

#ifndef PROC_SUPER_MAGIC
#define PROC_SUPER_MAGIC 0x9fa0
#endif
/* Backends whose files are kept open at most; more are read as before. */
#define KEPT_MAX 256
/* statm and io fds kept at most (besides the stat ones): they are read
 * only for busy sessions, every few seconds, and the process's fd limit
 * (1024 by default) must not be reached on a server with many. */
#define KEPT_EXTRA_MAX 128

enum kept_file { KEPT_STAT, KEPT_STATM, KEPT_IO, KEPT_FILES };
static const char *const kept_names[KEPT_FILES] = { "stat", "statm", "io" };

struct kept_fd {
    int pid;
    int fd[KEPT_FILES];             /* -1: not kept */
    unsigned pass;                  /* the last pass that read it */
};

struct host_stat_fds {
    char     root[256];
    unsigned pass;
    int      n;
    int      extra;                 /* statm and io fds kept */
    struct kept_fd e[KEPT_MAX];     /* sorted by pid */
};

static pthread_mutex_t kept_lock = PTHREAD_MUTEX_INITIALIZER;
static struct host_stat_fds kept_backends = { .root = "" };

static bool on_procfs(int fd)
{
    struct statfs f;
    return fstatfs(fd, &f) == 0 && (unsigned long)f.f_type == PROC_SUPER_MAGIC;
}

/* The whole file at fd from offset 0 into buf (NUL-terminated).  A procfs
 * file gives its text in one read when buf holds it: a short read is the
 * end, and no second read is made to see it. */
static long pread_all(int fd, char *buf, size_t len)
{
    size_t got = 0;
    while (got + 1 < len) {
        ssize_t n = pread(fd, buf + got, len - 1 - got, (off_t)got);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (n == 0)
            break;
        got += (size_t)n;
        if (got + 1 < len)
            break;                  /* short: the end of a procfs file */
    }
    buf[got] = '\0';
    return (long)got;
}

/* The file at path through the fd kept in *fd (-1: none): pread it, or,
 * when that fails (its process is gone) or none is kept, open path afresh
 * and keep the new fd in *fd if `keep` and it is a procfs file.  The bytes
 * read, or -1 with errno set.  The one read-through-a-kept-fd of the
 * backends' and the host-wide files. */
static long kept_read(int *fd, const char *path, bool keep, char *buf, size_t len)
{
    if (*fd >= 0) {
        long n = pread_all(*fd, buf, len);
        if (n > 0)
            return n;
        close(*fd);
        *fd = -1;
    }
    int f = open(path, O_RDONLY | O_CLOEXEC);
    if (f < 0)
        return -1;
    long n = pread_all(f, buf, len);
    int saved = errno;
    if (n > 0 && keep && on_procfs(f))
        *fd = f;
    else
        close(f);
    errno = saved;
    return n;
}

static void kept_close_entry(struct host_stat_fds *k, struct kept_fd *e)
{
    for (int f = 0; f < KEPT_FILES; f++) {
        if (e->fd[f] < 0)
            continue;
        close(e->fd[f]);
        e->fd[f] = -1;
        if (f != KEPT_STAT)
            k->extra--;
    }
}

static void kept_close_all(struct host_stat_fds *k)
{
    for (int i = 0; i < k->n; i++)
        kept_close_entry(k, &k->e[i]);
    k->n = 0;
}

struct host_stat_fds *host_stat_fds_begin(const char *root)
{
    pthread_mutex_lock(&kept_lock);
    struct host_stat_fds *k = &kept_backends;
    if (strcmp(k->root, root) != 0) {
        kept_close_all(k);
        snprintf(k->root, sizeof k->root, "%s", root);
    }
    k->pass++;
    return k;
}

void host_stat_fds_end(struct host_stat_fds *k)
{
    if (!k)
        return;
    int w = 0;
    for (int i = 0; i < k->n; i++) {
        if (k->e[i].pass == k->pass)
            k->e[w++] = k->e[i];
        else
            kept_close_entry(k, &k->e[i]);
    }
    k->n = w;
    pthread_mutex_unlock(&kept_lock);
}

int host_stat_fds_count(void)
{
    pthread_mutex_lock(&kept_lock);
    int n = kept_backends.n;
    pthread_mutex_unlock(&kept_lock);
    return n;
}

static int kept_find(const struct host_stat_fds *k, int pid, bool *found)
{
    int lo = 0, hi = k->n;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (k->e[mid].pid < pid)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = lo < k->n && k->e[lo].pid == pid;
    return lo;
}

/* The entry of pid for this pass: its stat read into buf through the
 * kept fd.  When the old process is gone its fds are all closed (the pid
 * may be another's now) and stat opened afresh.  NULL when no entry could
 * be kept (too many, or not procfs): the read is done all the same, its
 * length in *got. */
static struct kept_fd *kept_stat(struct host_stat_fds *k, const char *path, int pid, char *buf, size_t len,
                                 long *got)
{
    bool found;
    int at = kept_find(k, pid, &found);
    if (found) {
        struct kept_fd *e = &k->e[at];
        *got = pread_all(e->fd[KEPT_STAT], buf, len);
        if (*got > 0) {
            e->pass = k->pass;
            return e;
        }
        kept_close_entry(k, e);     /* exited (ESRCH) */
        memmove(&k->e[at], &k->e[at + 1], (size_t)(k->n - at - 1) * sizeof k->e[0]);
        k->n--;
    }
    int fd = -1;
    *got = kept_read(&fd, path, k->n < KEPT_MAX, buf, len);
    if (fd < 0)
        return NULL;
    memmove(&k->e[at + 1], &k->e[at], (size_t)(k->n - at) * sizeof k->e[0]);
    k->e[at] = (struct kept_fd){ .pid = pid, .fd = { fd, -1, -1 }, .pass = k->pass };
    k->n++;
    return &k->e[at];
}

/* The host-wide files read every refresh, kept open likewise. */
static const char *const system_files[] = { "loadavg", "stat", "meminfo" };
#define NSYSTEM (sizeof system_files / sizeof system_files[0])
static struct {
    char root[256];
    int  fd[NSYSTEM];               /* -1: not kept */
    char path[NSYSTEM][288];
} kept_system = { .root = "" };

/* system_files[i] under root; the caller holds kept_lock. */
static long kept_read_system(const char *root, size_t i, char *buf, size_t len)
{
    if (strcmp(kept_system.root, root) != 0) {
        for (size_t f = 0; f < NSYSTEM; f++) {
            if (kept_system.root[0] && kept_system.fd[f] >= 0)
                close(kept_system.fd[f]);
            kept_system.fd[f] = -1;
            snprintf(kept_system.path[f], sizeof kept_system.path[f], "%s/%s", root, system_files[f]);
        }
        snprintf(kept_system.root, sizeof kept_system.root, "%s", root);
    }
    return kept_read(&kept_system.fd[i], kept_system.path[i], true, buf, len);
}

/* A backend's files: "root/PID/" is written once into path, and each
 * file's name after it (no printf per file and backend). */
struct backend_path {
    char   path[512];
    size_t dir;                     /* length of "root/PID/"; 0: too long */
};

static void backend_path_init(struct backend_path *bp, const char *root, int pid)
{
    char digits[16];
    int nd = 0;
    unsigned v = pid > 0 ? (unsigned)pid : 0;
    do {
        digits[nd++] = (char)('0' + v % 10);
        v /= 10;
    } while (v && nd < (int)sizeof digits);
    size_t rl = strlen(root);
    bp->dir = 0;
    if (rl + 1 + (size_t)nd + 1 + 16 > sizeof bp->path)
        return;
    memcpy(bp->path, root, rl);
    size_t at = rl;
    bp->path[at++] = '/';
    while (nd > 0)
        bp->path[at++] = digits[--nd];
    bp->path[at++] = '/';
    bp->dir = at;
}

static long backend_read(struct backend_path *bp, const char *name, char *buf, size_t len)
{
    size_t n = strlen(name);
    if (!bp->dir || bp->dir + n + 1 > sizeof bp->path) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(bp->path + bp->dir, name, n + 1);
    return read_path(bp->path, buf, len);
}

/* statm or io of a backend: through its entry's kept fd when it has one
 * (or may keep one more), else opened and closed. */
static long backend_read_kept(struct host_stat_fds *k, struct kept_fd *e, enum kept_file f,
                              struct backend_path *bp, char *buf, size_t len)
{
    if (!e)
        return backend_read(bp, kept_names[f], buf, len);
    size_t n = strlen(kept_names[f]);
    if (!bp->dir || bp->dir + n + 1 > sizeof bp->path) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(bp->path + bp->dir, kept_names[f], n + 1);
    bool had = e->fd[f] >= 0;
    long got = kept_read(&e->fd[f], bp->path, had || k->extra < KEPT_EXTRA_MAX, buf, len);
    k->extra += (e->fd[f] >= 0) - had;
    return got;
}

void host_read_backend(const char *root, struct host_backend *b, double btime)
{
    host_read_backend_kept(root, b, btime, NULL);
}

void host_read_backend_kept(const char *root, struct host_backend *b, double btime,
                            struct host_stat_fds *fds)
{
    char buf[1024];
    struct backend_path bp;
    backend_path_init(&bp, root, b->pid);
    b->found = b->same_process = b->io_readable = false;
    b->io_errno = 0;
    b->read_at = now_monotonic();
    long got;
    struct kept_fd *e = NULL;
    if (fds && bp.dir && bp.dir + sizeof "stat" <= sizeof bp.path) {
        memcpy(bp.path + bp.dir, "stat", sizeof "stat");
        e = kept_stat(fds, bp.path, b->pid, buf, sizeof buf, &got);
    } else {
        got = backend_read(&bp, "stat", buf, sizeof buf);
    }
    if (got < 0 || host_parse_stat(buf, &b->stat) != 0)
        return;
    b->found = true;
    bool postgres = b->known && b->known_start == b->stat.starttime;
    if (!postgres) {
        long n = backend_read(&bp, "cmdline", buf, sizeof buf);
        postgres = n > 0 && host_cmdline_is_postgres(buf, (size_t)n);
    }
    bool same_start = true;
    if (!isnan(btime) && !isnan(b->backend_start)) {
        double started = btime + (double)b->stat.starttime / (double)host_ticks_per_second();
        same_start = fabs(started - b->backend_start) <= START_TOLERANCE;
    }
    b->same_process = postgres && same_start;
    /* statm.size stays 0 when statm was not read: resident comes from
     * stat, shared is unknown. */
    memset(&b->statm, 0, sizeof b->statm);
    b->statm.resident = b->stat.rss;
    struct host_proc_statm m;
    if (b->want_statm && backend_read_kept(fds, e, KEPT_STATM, &bp, buf, sizeof buf) >= 0
        && host_parse_statm(buf, &m) == 0)
        b->statm = m;
    if (!b->want_io)
        return;
    if (backend_read_kept(fds, e, KEPT_IO, &bp, buf, sizeof buf) < 0)
        b->io_errno = errno;
    else if (host_parse_io(buf, &b->io) == 0)
        b->io_readable = true;
    else
        b->io_errno = EINVAL;
}

double host_boot_time(const char *root)
{
    char path[512];
    snprintf(path, sizeof path, "%s/stat", root);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NAN;
    /* A window of the file: the unfinished line at the end of one read
     * is moved to the front before the next.  Lines are read only as far
     * as needed to see their start; a longer one (the interrupts) is
     * skipped to its end. */
    char buf[8192];
    size_t have = 0;
    bool skipping = false;          /* inside a line too long for buf */
    double btime = NAN;
    for (;;) {
        ssize_t n = read(fd, buf + have, sizeof buf - 1 - have);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        have += (size_t)n;
        buf[have] = '\0';
        char *line = buf;
        for (;;) {
            char *nl = memchr(line, '\n', have - (size_t)(line - buf));
            if (!nl)
                break;
            if (!skipping && strncmp(line, "btime ", 6) == 0) {
                btime = strtod(line + 6, NULL);
                close(fd);
                return btime;
            }
            skipping = false;
            line = nl + 1;
        }
        size_t rest = have - (size_t)(line - buf);
        if (rest == sizeof buf - 1) {
            /* One line fills the window: not btime unless it starts so. */
            if (!skipping && strncmp(buf, "btime ", 6) == 0)
                btime = strtod(buf + 6, NULL);
            if (!isnan(btime))
                break;
            skipping = true;
            rest = 0;
        }
        memmove(buf, line, rest);
        have = rest;
    }
    if (isnan(btime) && have && !skipping) {
        buf[have] = '\0';
        if (strncmp(buf, "btime ", 6) == 0)
            btime = strtod(buf + 6, NULL);
    }
    close(fd);
    return btime;
}

static int compare_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

int host_list_processes(const char *root, int **pids)
{
    *pids = NULL;
    DIR *d = opendir(root);
    if (!d)
        return -1;
    int n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        char *end;
        long pid = strtol(e->d_name, &end, 10);
        if (end == e->d_name || *end || pid <= 0 || pid > 0x7fffffff)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 256;
            *pids = xrealloc(*pids, (size_t)cap * sizeof **pids);
        }
        (*pids)[n++] = (int)pid;
    }
    closedir(d);
    if (n > 1)
        qsort(*pids, (size_t)n, sizeof **pids, compare_int);
    return n;
}

static int read_system_locked(const char *root, struct host_system *out, char *buf, size_t len,
                              char *err, size_t errlen)
{
    if (kept_read_system(root, 0, buf, len) < 0 || host_parse_loadavg(buf, out->load) != 0) {
        snprintf(err, errlen, "cannot read %s/loadavg: %s", root, strerror(errno));
        return -1;
    }
    /* /proc/stat has a line per CPU and per interrupt source: on a big
     * machine it outgrows a small buffer, and the totals come first. */
    long n = kept_read_system(root, 1, buf, len);
    if (n < 0 || host_parse_proc_stat(buf, &out->cpu, &out->ncpu, &out->btime) != 0) {
        snprintf(err, errlen, "cannot read %s/stat", root);
        return -1;
    }
    if (kept_read_system(root, 2, buf, len) < 0 || host_parse_meminfo(buf, &out->mem) != 0) {
        snprintf(err, errlen, "cannot read %s/meminfo", root);
        return -1;
    }
    return 0;
}

int host_read_system(const char *root, struct host_system *out, char *err, size_t errlen)
{
    char buf[16384];
    memset(out, 0, sizeof *out);
    out->read_at = now_monotonic();
    /* The job on the thread pool and the first reading on the loop may
     * read at once: the kept fds are shared. */
    pthread_mutex_lock(&kept_lock);
    int rc = read_system_locked(root, out, buf, sizeof buf, err, errlen);
    pthread_mutex_unlock(&kept_lock);
    if (rc == 0 && isnan(out->btime))
        out->btime = host_boot_time(root);     /* past the buffer */
    return rc;
}

int host_statvfs(const char *path, struct host_disk *out, char *err, size_t errlen)
{
    struct statvfs v;
    struct stat st;
    memset(out, 0, sizeof *out);
    if (stat(path, &st) != 0 || statvfs(path, &v) != 0) {
        snprintf(err, errlen, "%s", strerror(errno));
        return -1;
    }
    double unit = v.f_frsize ? (double)v.f_frsize : (double)v.f_bsize;
    out->total = (double)v.f_blocks * unit;
    out->used = (double)(v.f_blocks - v.f_bfree) * unit;
    out->free = (double)v.f_bavail * unit;
    out->device = (unsigned long long)st.st_dev;
    return 0;
}
