#ifndef PGDECK_HOST_H
#define PGDECK_HOST_H

#include <stdbool.h>
#include <stddef.h>

/* The database host as Linux shows it: /proc for the server's backends
 * (CPU, memory, I/O), the load, CPU and memory of the machine, and
 * statvfs for the disks that hold the data directory, the WAL and the
 * tablespaces.
 *
 * These figures mean something only when pgdeck runs on the database
 * host, so "local" is detected, never assumed: the server is reached over
 * a unix socket or an address of this host, and the pid of a backend the
 * server names is a process here, with a postgres command line, started
 * when the server says that backend started.  A TCP tunnel to another
 * machine, or a server in a container with its own pid namespace, fails
 * the second test however local its address looks.
 *
 * The parsers take the text of one /proc file and are pure, so the unit
 * tests feed them samples.  The readers open files and call statvfs: they
 * may block (a hung NFS mount, a /proc under pressure), so the collectors
 * run them on libuv's thread pool, never on the loop.
 *
 * PGDECK_PROC_ROOT, when set, replaces /proc for every reader: the tests
 * point it at an empty directory to see what a server on another host
 * looks like.  It is for tests; nothing else should need it. */

/* /proc/PID/stat: the fields pgdeck uses. */
struct host_proc_stat {
    char   state;                   /* R, S, D, Z, ... */
    int    ppid;
    unsigned long long utime;       /* clock ticks in user mode */
    unsigned long long stime;       /* clock ticks in kernel mode */
    unsigned long long starttime;   /* clock ticks after boot */
    unsigned long long rss;         /* resident pages */
};

/* /proc/PID/statm, in pages (size 0: not read). */
struct host_proc_statm {
    unsigned long long size, resident, shared;
};

/* /proc/PID/io, in bytes.  read_bytes and write_bytes are what reached
 * the storage layer; rchar and wchar count every read() and write(),
 * page-cache hits included. */
struct host_proc_io {
    unsigned long long rchar, wchar, read_bytes, write_bytes;
};

/* The "cpu" line of /proc/stat, summed: all ticks, and the idle ones
 * (idle and iowait). */
struct host_cpu_times {
    unsigned long long total, idle;
};

/* /proc/meminfo, in bytes. */
struct host_memory {
    double mem_total, mem_available, swap_total, swap_free;
};

/* Parsers: 0 when the text held what is needed, -1 otherwise. */
int  host_parse_stat(const char *text, struct host_proc_stat *out);
int  host_parse_statm(const char *text, struct host_proc_statm *out);
int  host_parse_io(const char *text, struct host_proc_io *out);
int  host_parse_loadavg(const char *text, double load[3]);
/* /proc/stat: the cpu totals, the number of cpuN lines, and btime (the
 * boot time, seconds since the epoch). */
int  host_parse_proc_stat(const char *text, struct host_cpu_times *cpu, int *ncpu, double *btime);
int  host_parse_meminfo(const char *text, struct host_memory *out);
/* Whether /proc/PID/cmdline (NUL-separated, `len` bytes) is a PostgreSQL
 * process: the process title "postgres: ...", or a postgres/postmaster
 * binary when update_process_title is off. */
bool host_cmdline_is_postgres(const char *cmdline, size_t len);

/* Percent of one CPU used by `ticks` over `seconds` (100 = one core busy),
 * NAN when it cannot be known. */
double host_cpu_percent(unsigned long long ticks, double seconds, long ticks_per_second);
/* Percent of the machine's CPU time that was busy between two readings,
 * NAN when there is no interval. */
double host_cpu_busy(const struct host_cpu_times *before, const struct host_cpu_times *after);
/* Bytes per second between two counter readings, NAN when the counter
 * went backwards or there is no interval. */
double host_rate(unsigned long long before, unsigned long long after, double seconds);

/* Whether a server address (inet_server_addr(): NULL or "" for a unix
 * socket) is this host: a unix socket, a loopback address, or an address
 * of one of this host's interfaces. */
bool host_address_is_local(const char *addr);

/* The /proc to read: $PGDECK_PROC_ROOT or "/proc". */
const char *host_proc_root(void);
/* Clock ticks per second and the page size. */
long host_ticks_per_second(void);
long host_page_size(void);

/* Read /proc/<rel> ("1234/stat", "loadavg") under root into buf
 * (NUL-terminated).  Returns the bytes read, or -1 with errno set. */
long host_read_file(const char *root, const char *rel, char *buf, size_t len);

/* One backend as /proc shows it.  On a busy host /proc is not free (2 to
 * 70 microseconds a file here, more under load), so a reader asks for
 * what it needs: stat always, the command line only for a pid it has not
 * verified before, io and statm (shared memory) only when asked. */
struct host_backend {
    int    pid;                     /* in: the server's pid */
    double backend_start;           /* in: the server's start time (epoch), or NAN */
    bool   known;                   /* in: this pid was verified before, with */
    unsigned long long known_start; /* in: this /proc start time: if it still
                                       has it, skip the command line */
    bool   want_statm;              /* in: read statm (shared memory) too */
    bool   want_io;                 /* in: read io too (else io_readable is
                                       false and io_errno 0: not asked) */
    bool   found;                   /* out: /proc/PID/stat was read */
    bool   same_process;            /* out: a postgres process that started
                                       when the server says (within 2 s) */
    bool   io_readable;             /* out: /proc/PID/io was read */
    int    io_errno;                /* out: why not */
    double read_at;                 /* out: monotonic seconds of the reading */
    struct host_proc_stat  stat;
    struct host_proc_statm statm;
    struct host_proc_io    io;
};

/* Read stat of b->pid, and cmdline, io and statm as asked.  `btime` is
 * the boot time from /proc/stat (NAN: do not check start times).  A known
 * pid must still match its start time, so a reused pid is not taken for
 * the old one. */
void host_read_backend(const char *root, struct host_backend *b, double btime);

/* The backends' stat files kept open from one refresh to the next and
 * read with pread (one system call a backend, not four).  begin takes the
 * set (one pass at a time: it holds a lock until end) for root; end closes
 * the files of pids not read since begin.  Only procfs files are kept. */
struct host_stat_fds;
struct host_stat_fds *host_stat_fds_begin(const char *root);
void host_stat_fds_end(struct host_stat_fds *fds);
/* How many are open now (tests). */
int  host_stat_fds_count(void);
/* As host_read_backend, stat read through fds (NULL: opened and closed). */
void host_read_backend_kept(const char *root, struct host_backend *b, double btime,
                            struct host_stat_fds *fds);

/* The boot time (btime of root/stat, seconds since the epoch), read in
 * pieces: the line comes after one per CPU and a long interrupt line, so
 * on a big machine it is far into the file.  NAN when not found. */
double host_boot_time(const char *root);

/* Every process in root (the numeric entries), sorted by pid, into *pids
 * (the caller frees it).  The count, or -1 with errno set. */
int  host_list_processes(const char *root, int **pids);

/* The machine's figures. */
struct host_system {
    double load[3];
    int    ncpu;
    double btime;
    struct host_cpu_times cpu;
    struct host_memory mem;
    double read_at;                 /* monotonic seconds */
};
/* 0, or -1 with a message in err. */
int  host_read_system(const char *root, struct host_system *out, char *err, size_t errlen);

/* A filesystem as statvfs and stat show it, with the figures df prints:
 * total = f_blocks, used = f_blocks - f_bfree, free = f_bavail (what an
 * unprivileged process such as the server can still use), all in bytes. */
struct host_disk {
    double total, used, free;
    unsigned long long device;      /* st_dev of the path, to spot shared disks */
};
/* 0, or -1 with a message in err ("Permission denied"). */
int  host_statvfs(const char *path, struct host_disk *out, char *err, size_t errlen);

#endif
