/* The database host's figures, without a server: /proc files parsed from
 * samples, CPU and I/O rates, whether a server is local, a fake /proc
 * tree read like the real one, the forecast's arithmetic checked from its
 * samples, the size history's file, the disk_full alert and the host
 * line. */

#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "core/alerts.h"
#include "core/app.h"
#include "core/collector.h"
#include "subjects/host.h"
#include "subjects/queries.h"
#include "core/forecast.h"
#include "core/host.h"
#include "base/xalloc.h"

static void assert_near(double got, double want, double tolerance)
{
    if (!(fabs(got - want) <= tolerance))
        fail_msg("got %.6f, want %.6f (+/- %g)", got, want, tolerance);
}

/* ---- /proc parsers --------------------------------------------------------- */

/* A real /proc/PID/stat line of a backend, with a process title that has
 * spaces and parentheses in it. */
static const char *const STAT_SAMPLE =
    "24358 (postgres: postgres pgdeck [local] SELECT (x)) R 18092 24358 24358 0 -1 4194560 "
    "2154 0 0 0 1234 56 0 0 20 0 1 0 104286 238927872 2069 18446744073709551615 1 1 0 0 0 0 "
    "4194304 24145920 536873479 0 0 0 17 1 0 0 0 0 0\n";

static void test_stat_fields_are_read_after_the_last_parenthesis(void **state)
{
    (void)state;
    struct host_proc_stat st;
    assert_int_equal(host_parse_stat(STAT_SAMPLE, &st), 0);
    assert_int_equal(st.state, 'R');
    assert_int_equal(st.ppid, 18092);
    assert_int_equal(st.utime, 1234);
    assert_int_equal(st.stime, 56);
    assert_int_equal(st.starttime, 104286);
    assert_int_equal(st.rss, 2069);
}

static void test_truncated_stat_is_refused(void **state)
{
    (void)state;
    struct host_proc_stat st;
    assert_int_equal(host_parse_stat("123 (postgres) S 1 2 3", &st), -1);
    assert_int_equal(host_parse_stat("no parenthesis here", &st), -1);
    assert_int_equal(host_parse_stat(NULL, &st), -1);
}

static void test_statm_gives_resident_and_shared_pages(void **state)
{
    (void)state;
    struct host_proc_statm m;
    assert_int_equal(host_parse_statm("58332 2138 1534 1333 0 461 0\n", &m), 0);
    assert_int_equal(m.size, 58332);
    assert_int_equal(m.resident, 2138);
    assert_int_equal(m.shared, 1534);
}

static void test_io_gives_storage_and_syscall_bytes(void **state)
{
    (void)state;
    struct host_proc_io io;
    const char *sample = "rchar: 1000\nwchar: 401424\nsyscr: 3\nsyscw: 53\n"
                         "read_bytes: 237568\nwrite_bytes: 536576\ncancelled_write_bytes: 0\n";
    assert_int_equal(host_parse_io(sample, &io), 0);
    assert_int_equal(io.rchar, 1000);
    assert_int_equal(io.wchar, 401424);
    assert_int_equal(io.read_bytes, 237568);
    assert_int_equal(io.write_bytes, 536576);
    assert_int_equal(host_parse_io("rchar: 1\n", &io), -1);
}

/* The parsers read numbers by hand (issue 14): a field that is not a
 * number is refused as strtoull's end check refused it, negative fields
 * (priority, nice) pass, io's keys may come in any order. */
static void test_hand_parsers_refuse_what_is_not_a_number(void **state)
{
    (void)state;
    struct host_proc_stat st;
    const char *bad = "1 (p) S 1 2 3 4 5 6 7 8 9 10 12x 13 14 15 16 17 18 19 20 21\n";
    assert_int_equal(host_parse_stat(bad, &st), -1);
    const char *negative = "1 (p) S 7 2 3 4 -1 6 7 8 9 10 11 12 13 14 -20 -5 17 18 19 20 21\n";
    assert_int_equal(host_parse_stat(negative, &st), 0);
    assert_int_equal(st.ppid, 7);
    assert_int_equal(st.utime, 11);
    assert_int_equal(st.stime, 12);
    assert_int_equal(st.starttime, 19);
    assert_int_equal(st.rss, 21);
    struct host_proc_statm m;
    assert_int_equal(host_parse_statm("58332 2138\n", &m), -1);
    assert_int_equal(host_parse_statm("58332 x 1\n", &m), -1);
    assert_int_equal(host_parse_statm("", &m), -1);
    struct host_proc_io io;
    assert_int_equal(host_parse_io("write_bytes: 4\nread_bytes: 3\nwchar: 2\nrchar: 1\n", &io), 0);
    assert_int_equal(io.rchar, 1);
    assert_int_equal(io.wchar, 2);
    assert_int_equal(io.read_bytes, 3);
    assert_int_equal(io.write_bytes, 4);
    assert_int_equal(host_parse_io("rchar: 1\nwchar: 2\nread_bytes: none\nwrite_bytes: 4\n", &io), -1);
    assert_int_equal(host_parse_io(NULL, &io), -1);
}

static void test_loadavg_and_cpu_lines(void **state)
{
    (void)state;
    double load[3];
    assert_int_equal(host_parse_loadavg("4.89 5.54 3.84 7/227 10566\n", load), 0);
    assert_near(load[0], 4.89, 1e-9);
    assert_near(load[2], 3.84, 1e-9);

    const char *stat = "cpu  100 0 50 800 50 0 0 0 20 0\n"
                       "cpu0 50 0 25 400 25 0 0 0 10 0\n"
                       "cpu1 50 0 25 400 25 0 0 0 10 0\n"
                       "intr 12345 0 0\nctxt 999\nbtime 1795904903\nprocesses 10\n";
    struct host_cpu_times cpu;
    int ncpu;
    double btime;
    assert_int_equal(host_parse_proc_stat(stat, &cpu, &ncpu, &btime), 0);
    /* Guest time is inside user time already: the total stops at steal. */
    assert_int_equal(cpu.total, 1000);
    assert_int_equal(cpu.idle, 850);
    assert_int_equal(ncpu, 2);
    assert_near(btime, 1795904903, 0);
    /* A kernel with four fields only (before iowait): no more read. */
    assert_int_equal(host_parse_proc_stat("cpu  100 0 50 800\n", &cpu, &ncpu, &btime), 0);
    assert_int_equal(cpu.total, 950);
    assert_int_equal(cpu.idle, 800);
    assert_int_equal(host_parse_proc_stat("cpu  100 0 50\n", &cpu, &ncpu, &btime), -1);
    assert_int_equal(host_parse_loadavg("0.50 1.25\n", load), -1);
    assert_int_equal(host_parse_loadavg("", load), -1);
}

static void test_cpu_busy_is_the_share_of_non_idle_ticks(void **state)
{
    (void)state;
    struct host_cpu_times a = { 1000, 850 }, b = { 1200, 900 };
    assert_near(host_cpu_busy(&a, &b), 75.0, 1e-9);     /* 150 of 200 ticks busy */
    assert_true(isnan(host_cpu_busy(&b, &a)));
    assert_true(isnan(host_cpu_busy(&a, &a)));
}

static void test_meminfo_uses_available_memory(void **state)
{
    (void)state;
    struct host_memory m;
    const char *sample = "MemTotal:       1000 kB\nMemFree:         100 kB\nMemAvailable:    600 kB\n"
                         "Buffers: 10 kB\nCached: 20 kB\nSwapTotal: 2048 kB\nSwapFree: 1024 kB\n";
    assert_int_equal(host_parse_meminfo(sample, &m), 0);
    assert_near(m.mem_total, 1000 * 1024.0, 0);
    assert_near(m.mem_total - m.mem_available, 400 * 1024.0, 0);
    assert_near(m.swap_total - m.swap_free, 1024 * 1024.0, 0);
    /* An old kernel without MemAvailable: free + buffers + cache. */
    assert_int_equal(host_parse_meminfo("MemTotal: 1000 kB\nMemFree: 100 kB\nBuffers: 10 kB\nCached: 20 kB\n", &m), 0);
    assert_near(m.mem_available, 130 * 1024.0, 0);
    /* Any order; the first line of a key counts; a lookalike key is not
     * the key; a line without a number is a key missing. */
    assert_int_equal(host_parse_meminfo("SwapFree: 1 kB\nMemTotalX: 7 kB\nMemTotal: 1000 kB\n"
                                        "MemAvailable: x kB\nMemFree: 100 kB\nMemTotal: 5 kB\n"
                                        "Cached: 20 kB\nBuffers: 10 kB\nSwapTotal: 4 kB\n", &m), 0);
    assert_near(m.mem_total, 1000 * 1024.0, 0);
    assert_near(m.mem_available, 130 * 1024.0, 0);
    assert_near(m.swap_total, 4 * 1024.0, 0);
    assert_near(m.swap_free, 1 * 1024.0, 0);
    assert_int_equal(host_parse_meminfo("MemFree: 100 kB\n", &m), -1);
    assert_int_equal(host_parse_meminfo("MemTotal: 100 kB\n", &m), -1);
    /* The machine's own. */
    FILE *f = fopen("/proc/meminfo", "r");
    if (f) {
        char text[8192];
        size_t n = fread(text, 1, sizeof text - 1, f);
        fclose(f);
        text[n] = '\0';
        assert_int_equal(host_parse_meminfo(text, &m), 0);
        assert_true(m.mem_total > 0 && m.mem_available > 0 && m.mem_available <= m.mem_total);
    }
}

static void test_postgres_command_lines_are_recognised(void **state)
{
    (void)state;
    const char title[] = "postgres: postgres pgdeck [local] idle";
    assert_true(host_cmdline_is_postgres(title, sizeof title));
    const char cluster[] = "postgres: 15/main: checkpointer";
    assert_true(host_cmdline_is_postgres(cluster, sizeof cluster));
    /* update_process_title = off: the binary's own argv. */
    const char argv[] = "/usr/lib/postgresql/15/bin/postgres\0-D\0/var/lib/postgresql/15/main";
    assert_true(host_cmdline_is_postgres(argv, sizeof argv));
    const char other[] = "/usr/bin/python3\0postgres.py";
    assert_false(host_cmdline_is_postgres(other, sizeof other));
    const char lookalike[] = "/opt/postgres-exporter\0--web";
    assert_false(host_cmdline_is_postgres(lookalike, sizeof lookalike));
    assert_false(host_cmdline_is_postgres("", 0));
}

static void test_rates_per_second(void **state)
{
    (void)state;
    /* 50 ticks of 100 per second over 1 s: half a CPU. */
    assert_near(host_cpu_percent(50, 1.0, 100), 50.0, 1e-9);
    assert_near(host_cpu_percent(300, 2.0, 100), 150.0, 1e-9);
    assert_true(isnan(host_cpu_percent(10, 0, 100)));
    assert_near(host_rate(1000, 3000, 0.5), 4000, 1e-9);
    assert_true(isnan(host_rate(3000, 1000, 1)));       /* a counter that went back */
}

static void test_unix_sockets_and_loopback_are_local(void **state)
{
    (void)state;
    assert_true(host_address_is_local(NULL));
    assert_true(host_address_is_local(""));
    assert_true(host_address_is_local("127.0.0.1"));
    assert_true(host_address_is_local("127.0.0.1/32"));
    assert_true(host_address_is_local("127.3.4.5"));
    assert_true(host_address_is_local("::1"));
    assert_true(host_address_is_local("::ffff:127.0.0.1"));
    /* TEST-NET addresses are nobody's interface. */
    assert_false(host_address_is_local("192.0.2.17"));
    assert_false(host_address_is_local("2001:db8::5"));
    assert_false(host_address_is_local("not an address"));
}

/* ---- a fake /proc ------------------------------------------------------------ */

static char proc_root[256];

static void write_file(const char *rel, const char *text, size_t len)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", proc_root, rel);
    char dir[512];
    snprintf(dir, sizeof dir, "%s", path);
    *strrchr(dir, '/') = '\0';
    mkdir(dir, 0700);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fwrite(text, 1, len, f);
    fclose(f);
}

static int make_proc(void **state)
{
    (void)state;
    snprintf(proc_root, sizeof proc_root, "/tmp/pgdeck-test-proc-%d", (int)getpid());
    mkdir(proc_root, 0700);
    write_file("4242/stat", STAT_SAMPLE, strlen(STAT_SAMPLE));
    const char cmd[] = "postgres: postgres pgdeck [local] SELECT";
    write_file("4242/cmdline", cmd, sizeof cmd);
    write_file("4242/statm", "58332 2138 1534 1333 0 461 0\n", 29);
    /* 4243: a process that is not the server's (a shell). */
    write_file("4243/stat", STAT_SAMPLE, strlen(STAT_SAMPLE));
    const char sh[] = "/bin/bash";
    write_file("4243/cmdline", sh, sizeof sh);
    return 0;
}

static int remove_proc(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", proc_root);
    return system(cmd) == 0 ? 0 : -1;
}

static void test_backend_matches_by_command_line_and_start_time(void **state)
{
    (void)state;
    long tps = host_ticks_per_second();
    double btime = 1795904903;
    struct host_backend b = { .pid = 4242, .backend_start = btime + 104286.0 / (double)tps + 0.4,
                              .want_statm = true, .want_io = true };
    host_read_backend(proc_root, &b, btime);
    assert_true(b.found);
    assert_true(b.same_process);
    assert_int_equal(b.statm.resident, 2138);
    assert_int_equal(b.statm.shared, 1534);
    /* No io file: unreadable, said so, not a failure of the backend. */
    assert_false(b.io_readable);
    /* Without statm, resident memory comes from stat and shared is unknown. */
    b.want_statm = false;
    host_read_backend(proc_root, &b, btime);
    assert_int_equal(b.statm.resident, 2069);
    assert_int_equal(b.statm.size, 0);

    /* The server says it started an hour later: another process. */
    b.backend_start += 3600;
    host_read_backend(proc_root, &b, btime);
    assert_true(b.found);
    assert_false(b.same_process);

    struct host_backend shell = { .pid = 4243, .backend_start = NAN };
    host_read_backend(proc_root, &shell, btime);
    assert_true(shell.found);
    assert_false(shell.same_process);
    /* Known before under another start time: the pid was reused, so the
     * command line is read again, and it is not postgres. */
    shell.known = true;
    shell.known_start = 99;
    host_read_backend(proc_root, &shell, btime);
    assert_false(shell.same_process);
    /* Known with this very start time: verified already, no second look. */
    shell.known_start = 104286;
    host_read_backend(proc_root, &shell, btime);
    assert_true(shell.same_process);

    struct host_backend gone = { .pid = 4244, .backend_start = NAN };
    host_read_backend(proc_root, &gone, btime);
    assert_false(gone.found);
}

/* An idle session's io is read every few seconds, not every refresh: a
 * reader that did not ask for io opens no io file and says "not asked"
 * (io_errno 0), not "unreadable". */
static void test_backend_io_is_read_only_when_asked(void **state)
{
    (void)state;
    const char io[] = "rchar: 100\nwchar: 200\nsyscr: 1\nsyscw: 2\nread_bytes: 4096\nwrite_bytes: 8192\n"
                      "cancelled_write_bytes: 0\n";
    write_file("4242/io", io, strlen(io));
    struct host_backend b = { .pid = 4242, .backend_start = NAN, .want_io = true };
    host_read_backend(proc_root, &b, NAN);
    assert_true(b.same_process);
    assert_true(b.io_readable);
    assert_int_equal(b.io.read_bytes, 4096);
    assert_int_equal(b.io.write_bytes, 8192);

    struct host_backend idle = { .pid = 4242, .backend_start = NAN, .want_io = false };
    host_read_backend(proc_root, &idle, NAN);
    assert_true(idle.found);
    assert_true(idle.same_process);
    assert_false(idle.io_readable);
    assert_int_equal(idle.io_errno, 0);
    assert_int_equal(idle.io.read_bytes, 0);
}

static int open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    assert_non_null(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(d));)
        if (e->d_name[0] != '.')
            n++;
    closedir(d);
    return n - 1;                   /* the directory's own */
}

static void read_kept(const char *root, struct host_backend *b)
{
    struct host_stat_fds *fds = host_stat_fds_begin(root);
    host_read_backend_kept(root, b, NAN, fds);
    host_stat_fds_end(fds);
}

/* A backend's /proc/PID/stat is kept open between passes and read again
 * with pread: each read shows the process as it is now (stopped: state T),
 * and the fd is closed once the process is gone, or not read in a pass.
 * A fake /proc of regular files is never kept. */
static void test_kept_stat_shows_the_process_now_and_closes_when_gone(void **state)
{
    (void)state;
    int before = open_fds();
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        for (;;)
            pause();
    }
    struct host_backend b = { .pid = child, .backend_start = NAN };
    read_kept("/proc", &b);
    assert_true(b.found);
    assert_true(b.stat.state == 'S' || b.stat.state == 'R');
    assert_int_equal(host_stat_fds_count(), 1);
    assert_int_equal(open_fds(), before + 1);

    kill(child, SIGSTOP);
    int status;
    assert_int_equal(waitpid(child, &status, WUNTRACED), child);
    read_kept("/proc", &b);
    assert_true(b.found);
    assert_int_equal(b.stat.state, 'T');
    assert_int_equal(host_stat_fds_count(), 1);
    assert_int_equal(open_fds(), before + 1);

    kill(child, SIGKILL);
    assert_int_equal(waitpid(child, &status, 0), child);
    read_kept("/proc", &b);
    assert_false(b.found);
    assert_int_equal(host_stat_fds_count(), 0);
    assert_int_equal(open_fds(), before);

    /* A pass that does not read a pid closes its fd. */
    struct host_backend self = { .pid = (int)getpid(), .backend_start = NAN };
    read_kept("/proc", &self);
    assert_true(self.found);
    assert_int_equal(host_stat_fds_count(), 1);
    host_stat_fds_end(host_stat_fds_begin("/proc"));
    assert_int_equal(host_stat_fds_count(), 0);
    assert_int_equal(open_fds(), before);

    /* Regular files: read, not kept (a rewritten file shows its new text). */
    struct host_backend fake = { .pid = 4242, .backend_start = NAN };
    read_kept(proc_root, &fake);
    assert_true(fake.found);
    assert_int_equal(host_stat_fds_count(), 0);
    assert_int_equal(open_fds(), before);
}

/* A busy backend's statm and io are kept open beside its stat and read
 * again with pread: each read shows the process as it is now (memory it
 * touched since, bytes it wrote since), and all three fds close once the
 * process is gone. */
static void test_kept_statm_and_io_show_the_process_now_and_close_when_gone(void **state)
{
    (void)state;
    int before = open_fds();
    int to_child[2], from_child[2];
    assert_int_equal(pipe(to_child), 0);
    assert_int_equal(pipe(from_child), 0);
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        close(to_child[1]);
        close(from_child[0]);
        char c;
        if (read(to_child[0], &c, 1) != 1)
            _exit(1);
        /* 8 MB touched, and 1 MB written. */
        size_t size = 8u << 20;
        volatile char *mem = malloc(size);
        for (size_t i = 0; mem && i < size; i += 4096)
            mem[i] = 1;
        char block[4096] = { 0 };
        int fd = open("/dev/null", O_WRONLY);
        for (int i = 0; i < 256; i++)
            if (write(fd, block, sizeof block) < 0)
                _exit(1);
        if (write(from_child[1], "x", 1) != 1)
            _exit(1);
        /* Until killed, or the test is gone (a failed assertion). */
        while (read(to_child[0], &c, 1) > 0)
            ;
        _exit(0);
    }
    close(to_child[0]);
    close(from_child[1]);
    int base = open_fds();
    struct host_backend b = { .pid = child, .backend_start = NAN, .want_statm = true, .want_io = true };
    read_kept("/proc", &b);
    assert_true(b.found);
    assert_true(b.io_readable);
    unsigned long long resident = b.statm.resident, written = b.io.wchar;
    assert_int_equal(host_stat_fds_count(), 1);
    assert_int_equal(open_fds(), base + 3);

    char c = 'x';
    assert_int_equal(write(to_child[1], &c, 1), 1);
    assert_int_equal(read(from_child[0], &c, 1), 1);
    read_kept("/proc", &b);
    assert_true(b.io_readable);
    assert_true(b.statm.resident >= resident + (4u << 20) / (unsigned long long)sysconf(_SC_PAGESIZE));
    assert_true(b.io.wchar >= written + (1u << 20));
    assert_int_equal(open_fds(), base + 3);

    kill(child, SIGKILL);
    int status;
    assert_int_equal(waitpid(child, &status, 0), child);
    read_kept("/proc", &b);
    assert_false(b.found);
    assert_int_equal(host_stat_fds_count(), 0);
    assert_int_equal(open_fds(), base);
    close(to_child[1]);
    close(from_child[0]);
    assert_int_equal(open_fds(), before);
}

/* The host-wide files (loadavg, stat, meminfo) kept open give the figures
 * of each reading, not the first one's. */
static void test_system_files_read_again_give_new_figures(void **state)
{
    (void)state;
    struct host_system h;
    char err[256];
    assert_int_equal(host_read_system("/proc", &h, err, sizeof err), 0);
    int kept = open_fds();
    unsigned long long total = h.cpu.total;
    /* Burn some CPU so that /proc/stat's counters move. */
    volatile unsigned long spin = 0;
    for (int round = 0; round < 50 && h.cpu.total == total; round++) {
        for (unsigned long i = 0; i < 20000000ul; i++)
            spin += i;
        assert_int_equal(host_read_system("/proc", &h, err, sizeof err), 0);
    }
    assert_true(h.cpu.total > total);
    assert_true(h.mem.mem_total > 0);
    assert_int_equal(open_fds(), kept);     /* no more fds for the rereads */
}

static void test_processes_are_the_numeric_entries_in_pid_order(void **state)
{
    (void)state;
    write_file("loadavg", "0.1 0.2 0.3 1/100 4242\n", 23);
    write_file("17/stat", STAT_SAMPLE, strlen(STAT_SAMPLE));
    write_file("self/stat", STAT_SAMPLE, strlen(STAT_SAMPLE));
    int *pids;
    int n = host_list_processes(proc_root, &pids);
    assert_int_equal(n, 3);
    assert_int_equal(pids[0], 17);
    assert_int_equal(pids[1], 4242);
    assert_int_equal(pids[2], 4243);
    free(pids);
    assert_int_equal(host_list_processes("/nonexistent/proc", &pids), -1);
    assert_null(pids);
}

/* btime comes after a line per CPU and the interrupts line, which runs
 * to tens of kB on a big machine: it is found however far in it is, and
 * whatever the reads' boundaries. */
static void test_boot_time_is_found_past_a_long_interrupts_line(void **state)
{
    (void)state;
    for (size_t intr = 10; intr < 40000; intr = intr * 3 + 4091) {
        size_t cap = intr + 4096;
        char *text = malloc(cap);
        assert_non_null(text);
        int n = snprintf(text, cap, "cpu  1 2 3 4 5 6 7 8 0 0\ncpu0 1 2 3 4 5 6 7 8 0 0\nintr 1");
        while ((size_t)n < intr)
            n += snprintf(text + n, cap - (size_t)n, " 0");
        n += snprintf(text + n, cap - (size_t)n, "\nctxt 99\nbtime 1795904903\nprocesses 5\n");
        write_file("stat", text, (size_t)n);
        assert_true(host_boot_time(proc_root) == 1795904903.0);
        free(text);
    }
    write_file("stat", "cpu  1 2 3 4\nbtime 17", 22);
    assert_true(host_boot_time(proc_root) == 17.0);
    write_file("stat", "cpu  1 2 3 4\n", 13);
    assert_true(isnan(host_boot_time(proc_root)));
    assert_true(isnan(host_boot_time("/nonexistent/proc")));
}

static void test_proc_root_follows_the_environment(void **state)
{
    (void)state;
    setenv("PGDECK_PROC_ROOT", proc_root, 1);
    assert_string_equal(host_proc_root(), proc_root);
    unsetenv("PGDECK_PROC_ROOT");
    assert_string_equal(host_proc_root(), "/proc");
}

static void test_statvfs_of_a_directory(void **state)
{
    (void)state;
    struct host_disk d;
    char err[128];
    assert_int_equal(host_statvfs("/", &d, err, sizeof err), 0);
    assert_true(d.total > 0);
    assert_true(d.used + d.free <= d.total);
    assert_int_equal(host_statvfs("/no/such/dir", &d, err, sizeof err), -1);
    assert_non_null(strstr(err, "No such file"));
}

/* ---- the forecast ----------------------------------------------------------- */

static void test_forecast_fits_a_straight_line_exactly(void **state)
{
    (void)state;
    /* 1 GB at noon, growing 2 GB a day, sampled every 6 hours. */
    struct forecast_sample s[5];
    for (int i = 0; i < 5; i++)
        s[i] = (struct forecast_sample){ 1717243200 + i * 21600.0, 1e9 + i * 0.5e9 };
    struct forecast f;
    assert_int_equal(forecast_fit(s, 5, &f), 0);
    assert_near(f.slope * 86400, 2e9, 1);
    assert_near(f.span, 86400, 0);
    assert_near(f.latest, 3e9, 0);
    /* 10 GB free at 2 GB a day: 5 days. */
    assert_near(forecast_days_to_full(&f, 10e9), 5.0, 1e-6);
}

static void test_forecast_is_least_squares_over_noisy_samples(void **state)
{
    (void)state;
    /* t = 0, 1, 2, 3 days; sizes 10, 12, 11, 15 (GB).  By hand:
     * mean t = 1.5, mean y = 12,
     *   sum (t - 1.5)(y - 12) = (-1.5)(-2) + (-0.5)(0) + (0.5)(-1) + (1.5)(3) = 3 + 0 - 0.5 + 4.5 = 7
     *   sum (t - 1.5)^2 = 2.25 + 0.25 + 0.25 + 2.25 = 5
     * slope = 7 / 5 = 1.4 GB a day. */
    double gb = 1e9, day = 86400;
    struct forecast_sample s[] = {
        { 3 * day, 15 * gb }, { 0, 10 * gb }, { 2 * day, 11 * gb }, { 1 * day, 12 * gb },
    };
    struct forecast f;
    assert_int_equal(forecast_fit(s, 4, &f), 0);
    assert_near(f.slope * day / gb, 1.4, 1e-9);
    assert_near(f.latest, 15 * gb, 0);          /* the newest, whatever the order */
    assert_near(forecast_days_to_full(&f, 7 * gb), 5.0, 1e-9);
}

static void test_forecast_needs_three_samples_over_time(void **state)
{
    (void)state;
    struct forecast f;
    struct forecast_sample two[] = { { 0, 1 }, { 10, 2 } };
    assert_int_equal(forecast_fit(two, 2, &f), -1);
    struct forecast_sample same_time[] = { { 5, 1 }, { 5, 2 }, { 5, 3 } };
    assert_int_equal(forecast_fit(same_time, 3, &f), -1);
    assert_true(isnan(forecast_days_to_full(&f, 1e9)));
}

static void test_a_shrinking_or_flat_table_never_fills_the_disk(void **state)
{
    (void)state;
    struct forecast f;
    struct forecast_sample flat[] = { { 0, 5 }, { 10, 5 }, { 20, 5 } };
    assert_int_equal(forecast_fit(flat, 3, &f), 0);
    assert_near(f.slope, 0, 1e-12);
    assert_true(isnan(forecast_days_to_full(&f, 1e9)));
    struct forecast_sample shrink[] = { { 0, 9 }, { 10, 5 }, { 20, 1 } };
    assert_int_equal(forecast_fit(shrink, 3, &f), 0);
    assert_true(f.slope < 0);
    assert_true(isnan(forecast_days_to_full(&f, 1e9)));
}

static void test_history_ignores_samples_that_are_not_newer(void **state)
{
    (void)state;
    struct forecast_history *h = forecast_history_new();
    assert_int_equal(forecast_history_add(h, "database", "db", 100, 1), 1);
    assert_int_equal(forecast_history_add(h, "database", "db", 100, 2), 0);
    assert_int_equal(forecast_history_add(h, "database", "db", 50, 2), 0);
    assert_int_equal(forecast_history_add(h, "database", "db", 101, 2), 1);
    const struct forecast_series *s = forecast_history_find(h, "database", "db");
    assert_non_null(s);
    assert_int_equal(s->count, 2);
    assert_null(forecast_history_find(h, "partitioned_table", "db"));
    forecast_history_free(h);
}

static void test_thinning_keeps_the_recent_past_and_bounds_the_series(void **state)
{
    (void)state;
    struct forecast_history *h = forecast_history_new();
    double now = 1e9;
    int added = 1000;
    for (int i = 0; i < added; i++)
        forecast_history_add(h, "database", "db", now - (added - i) * 60.0, i);
    /* and one from before the age limit */
    struct forecast_history *old = forecast_history_new();
    forecast_history_add(old, "database", "old", now - FORECAST_MAX_AGE - 1, 1);
    forecast_history_thin(old, now);
    assert_null(forecast_history_find(old, "database", "old"));
    forecast_history_free(old);

    int dropped = forecast_history_thin(h, now);
    const struct forecast_series *s = forecast_history_find(h, "database", "db");
    assert_true(s->count <= FORECAST_KEEP);
    assert_int_equal(dropped, added - s->count);
    /* The newest sample and the oldest survive; order is kept. */
    assert_near(s->samples[s->count - 1].bytes, added - 1, 0);
    assert_near(s->samples[0].bytes, 0, 0);
    for (int i = 1; i < s->count; i++)
        assert_true(s->samples[i].at > s->samples[i - 1].at);
    /* The newest quarter is at full resolution. */
    for (int i = s->count - FORECAST_KEEP / 4; i < s->count; i++)
        assert_near(s->samples[i].at - s->samples[i - 1].at, 60, 1e-6);
    forecast_history_free(h);
}

static void test_history_file_survives_a_restart(void **state)
{
    (void)state;
    char dir[256], err[256];
    snprintf(dir, sizeof dir, "/tmp/pgdeck-test-state-%d", (int)getpid());
    setenv("XDG_STATE_HOME", dir, 1);
    char *path = forecast_state_path("7713356787122100043-pg/deck", err, sizeof err);
    assert_non_null(path);
    char want[400];
    snprintf(want, sizeof want, "%s/pgdeck/sizes/7713356787122100043-pg_deck.tsv", dir);
    assert_string_equal(path, want);

    struct forecast_history *h = forecast_history_new();
    const char *odd = "public.\"we\tird\\name\n\"";
    forecast_history_add(h, "partitioned_table", odd, 1000, 10);
    forecast_history_add(h, "database", "db", 1000, 100);
    assert_int_equal(forecast_history_persist(h, path, err, sizeof err), 0);
    forecast_history_add(h, "partitioned_table", odd, 2000, 20);
    assert_int_equal(forecast_history_persist(h, path, err, sizeof err), 0);   /* an append */
    forecast_history_add(h, "partitioned_table", odd, 3000, 30);
    assert_int_equal(forecast_history_persist(h, path, err, sizeof err), 0);
    forecast_history_free(h);

    /* A line a crash cut short is skipped. */
    FILE *f = fopen(path, "a");
    fputs("3500\tdatabase\tdb", f);
    fclose(f);

    struct forecast_history *again = forecast_history_new();
    assert_int_equal(forecast_history_load(again, path, err, sizeof err), 0);
    const struct forecast_series *s = forecast_history_find(again, "partitioned_table", odd);
    assert_non_null(s);
    assert_int_equal(s->count, 3);
    struct forecast fc;
    assert_int_equal(forecast_fit(s->samples, s->count, &fc), 0);
    assert_near(fc.slope, 0.01, 1e-12);                 /* 10 bytes per 1,000 s */
    assert_int_equal(forecast_history_find(again, "database", "db")->count, 1);
    /* The bad line makes the next write a rewrite, which drops it. */
    assert_true(again->rewrite);
    assert_int_equal(forecast_history_persist(again, path, err, sizeof err), 0);
    forecast_history_free(again);
    f = fopen(path, "r");
    char line[256];
    int lines = 0;
    while (fgets(line, sizeof line, f))
        lines += line[0] != '#';
    fclose(f);
    assert_int_equal(lines, 4);

    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
    unsetenv("XDG_STATE_HOME");
    free(path);
}

/* ---- the alert and the host line, on hand-made snapshots ---------------------- */

static struct config test_cfg;

static struct app *fake_app(void)
{
    struct app *app = xcalloc(1, sizeof *app);
    memset(&test_cfg, 0, sizeof test_cfg);
    test_cfg.alerts.disk_full_days = 14;
    app->cfg = &test_cfg;
    collectors_init(app);
    return app;
}

static void fake_free(struct app *app)
{
    collectors_free(app);
    free(app);
}

static void put(struct app *app, struct snapshot *s)
{
    struct collector *c = collector_find(app, s->source);
    assert_non_null(c);
    snapshot_unref(c->current);
    c->current = s;
}

static struct snapshot *sizes_with(double days)
{
    static const char *const cols[] = { "kind", "name", "filesystem", "growth_per_day", "days_to_full" };
    struct snapshot *s = snapshot_new("sizes", 5, cols);
    char d[32];
    snprintf(d, sizeof d, "%.2f", days);
    const char *db[] = { "database", "pgdeck", "/data", "1073741824", NULL };
    const char *t[] = { "partitioned_table", "public.analytics_events", "/data", "2147483648", d };
    snapshot_add_row(s, db);
    snapshot_add_row(s, t);
    return s;
}

static void test_disk_full_alert_under_the_horizon(void **state)
{
    (void)state;
    struct app *app = fake_app();
    struct alert a[4];
    put(app, sizes_with(30));
    assert_int_equal(alert_disk_full(app, a, 4), 0);
    put(app, sizes_with(10));
    assert_int_equal(alert_disk_full(app, a, 4), 1);
    assert_int_equal(a[0].level, ALERT_WARNING);
    assert_string_equal(a[0].name, "disk_full");
    assert_non_null(strstr(a[0].text, "public.analytics_events"));
    assert_non_null(strstr(a[0].text, "/data"));
    alerts_free(a, 1);
    put(app, sizes_with(2));
    assert_int_equal(alert_disk_full(app, a, 4), 1);
    assert_int_equal(a[0].level, ALERT_CRITICAL);
    alerts_free(a, 1);
    test_cfg.alerts.disk_full_days = 1;                 /* the horizon is configurable */
    assert_int_equal(alert_disk_full(app, a, 4), 0);
    struct perfdata p[4];
    assert_true(perf_host(app, p, 4) >= 1);
    assert_string_equal(p[0].label, "disk_full_days");
    assert_near(p[0].value, 2, 1e-9);
    fake_free(app);
}

static void test_host_line_says_why_when_the_server_is_elsewhere(void **state)
{
    (void)state;
    struct app *app = fake_app();
    struct host_piece pieces[8];
    assert_int_equal(host_summary(app, pieces, 8), 1);
    assert_non_null(strstr(pieces[0].text, "waiting"));
    put(app, snapshot_failed("backends", HOST_NEEDS_HOST ": no server process is visible in /x"));
    assert_int_equal(host_summary(app, pieces, 8), 1);
    assert_non_null(strstr(pieces[0].text, HOST_NEEDS_HOST));
    /* No zeros pretending to be figures, and no alert from a guess. */
    struct alert a[4];
    assert_int_equal(alert_disk_full(app, a, 4), 0);
    fake_free(app);
}

static void test_host_line_puts_load_cpu_memory_data_and_forecast_first(void **state)
{
    (void)state;
    struct app *app = fake_app();
    static const char *const bcols[] = { "pid", "io_readable" };
    struct snapshot *b = snapshot_new("backends", 2, bcols);
    const char *row[] = { "42", "f" };
    snapshot_add_row(b, row);
    put(app, b);
    static const char *const hcols[] = { "load1", "load5", "load15", "cpus", "cpu_percent",
                                         "mem_total", "mem_used", "swap_total", "swap_used", "io_note" };
    struct snapshot *h = snapshot_new("host", 10, hcols);
    const char *hrow[] = { "1.50", "1.00", "0.50", "2", "45.0", "8589934592", "4294967296", "0", "0",
                           "I/O of 1 backend unreadable" };
    snapshot_add_row(h, hrow);
    put(app, h);
    static const char *const dcols[] = { "kind", "name", "path", "free", "used_percent", "device" };
    struct snapshot *d = snapshot_new("disks", 6, dcols);
    const char *data[] = { "data_directory", "pg_default", "/data", "53687091200", "55.0", "1" };
    const char *wal[] = { "wal", "pg_wal", "/data/pg_wal", "53687091200", "55.0", "1" };
    const char *ts[] = { "tablespace", "fast", "/ssd", "1073741824", "96.0", "2" };
    snapshot_add_row(d, data);
    snapshot_add_row(d, wal);
    snapshot_add_row(d, ts);
    put(app, d);
    put(app, sizes_with(10));

    struct host_piece p[16];
    int n = host_summary(app, p, 16);
    assert_int_equal(n, 6);
    assert_string_equal(p[0].text, "load 1.50 1.00 0.50");
    assert_string_equal(p[0].short_text, "load 1.50");
    assert_int_equal(p[0].level, 0);
    assert_string_equal(p[1].text, "cpu  45%");
    assert_string_equal(p[2].text, "mem 4.0G/8.0G");
    /* The forecast goes with the disk it is for, in the horizon's colour. */
    assert_string_equal(p[3].text, "data 55%, 50G free, full in 10d");
    assert_string_equal(p[3].short_text, "data 55%, full in 10d");
    assert_int_equal(p[3].level, 1);
    /* At 80 columns the data disk and its forecast outrank the load. */
    assert_true(p[3].priority < p[0].priority);
    /* The WAL shares the data directory's disk: not repeated. */
    assert_string_equal(p[4].text, "ts fast 96%, 1.0G free");
    assert_int_equal(p[4].level, 2);
    assert_string_equal(p[5].text, "I/O of 1 backend unreadable");
    fake_free(app);
}

/* The cells of the backends query read by hand: the same value strtod
 * gives, the fallback when there is no number. */
static void test_compact_figures_for_one_line(void **state)
{
    (void)state;
    char buf[16];
    host_compact_bytes(buf, sizeof buf, 512);
    assert_string_equal(buf, "512");
    host_compact_bytes(buf, sizeof buf, 1.5 * 1073741824);
    assert_string_equal(buf, "1.5G");
    host_compact_bytes(buf, sizeof buf, 73.4 * 1073741824);
    assert_string_equal(buf, "73G");
    host_compact_days(buf, sizeof buf, 0.4);
    assert_string_equal(buf, "10h");
    host_compact_days(buf, sizeof buf, 3.46);
    assert_string_equal(buf, "3.5d");
    host_compact_days(buf, sizeof buf, 12.4);
    assert_string_equal(buf, "12d");
}

static void test_activity_rows_get_their_backends_figures(void **state)
{
    (void)state;
    struct app *app = fake_app();
    static const char *const bcols[] = { "pid", "cpu_percent", "rss", "read_bps", "write_bps" };
    struct snapshot *b = snapshot_new("backends", 5, bcols);
    const char *r1[] = { "100", "1.0", "1000", "0", "0" };
    const char *r2[] = { "200", "99.5", "2000", "4096", "0" };
    const char *r3[] = { "300", NULL, "3000", NULL, NULL };
    snapshot_add_row(b, r1);
    snapshot_add_row(b, r2);
    snapshot_add_row(b, r3);
    put(app, b);
    static const char *const acols[] = { "pid", "state" };
    struct snapshot *a = snapshot_new("activity", 2, acols);
    const char *a1[] = { "300", "active" };
    const char *a2[] = { "200", "active" };
    const char *a3[] = { "999", "active" };
    snapshot_add_row(a, a1);
    snapshot_add_row(a, a2);
    snapshot_add_row(a, a3);
    derive_activity_host(app, a, NULL);
    assert_string_equal(snapshot_get(a, 1, "cpu_percent"), "99.5");
    assert_string_equal(snapshot_get(a, 1, "read_bps"), "4096");
    assert_string_equal(snapshot_get(a, 0, "rss"), "3000");
    assert_null(snapshot_get(a, 0, "cpu_percent"));
    assert_null(snapshot_get(a, 2, "rss"));             /* not seen in /proc */
    snapshot_unref(a);
    fake_free(app);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stat_fields_are_read_after_the_last_parenthesis),
        cmocka_unit_test(test_truncated_stat_is_refused),
        cmocka_unit_test(test_statm_gives_resident_and_shared_pages),
        cmocka_unit_test(test_io_gives_storage_and_syscall_bytes),
        cmocka_unit_test(test_hand_parsers_refuse_what_is_not_a_number),
        cmocka_unit_test(test_loadavg_and_cpu_lines),
        cmocka_unit_test(test_cpu_busy_is_the_share_of_non_idle_ticks),
        cmocka_unit_test(test_meminfo_uses_available_memory),
        cmocka_unit_test(test_postgres_command_lines_are_recognised),
        cmocka_unit_test(test_rates_per_second),
        cmocka_unit_test(test_unix_sockets_and_loopback_are_local),
        cmocka_unit_test_setup_teardown(test_backend_matches_by_command_line_and_start_time, make_proc, remove_proc),
        cmocka_unit_test_setup_teardown(test_backend_io_is_read_only_when_asked, make_proc, remove_proc),
        cmocka_unit_test_setup_teardown(test_kept_stat_shows_the_process_now_and_closes_when_gone, make_proc, remove_proc),
        cmocka_unit_test(test_kept_statm_and_io_show_the_process_now_and_close_when_gone),
        cmocka_unit_test(test_system_files_read_again_give_new_figures),
        cmocka_unit_test_setup_teardown(test_processes_are_the_numeric_entries_in_pid_order, make_proc, remove_proc),
        cmocka_unit_test_setup_teardown(test_boot_time_is_found_past_a_long_interrupts_line, make_proc, remove_proc),
        cmocka_unit_test_setup_teardown(test_proc_root_follows_the_environment, make_proc, remove_proc),
        cmocka_unit_test(test_statvfs_of_a_directory),
        cmocka_unit_test(test_forecast_fits_a_straight_line_exactly),
        cmocka_unit_test(test_forecast_is_least_squares_over_noisy_samples),
        cmocka_unit_test(test_forecast_needs_three_samples_over_time),
        cmocka_unit_test(test_a_shrinking_or_flat_table_never_fills_the_disk),
        cmocka_unit_test(test_history_ignores_samples_that_are_not_newer),
        cmocka_unit_test(test_thinning_keeps_the_recent_past_and_bounds_the_series),
        cmocka_unit_test(test_history_file_survives_a_restart),
        cmocka_unit_test(test_disk_full_alert_under_the_horizon),
        cmocka_unit_test(test_host_line_says_why_when_the_server_is_elsewhere),
        cmocka_unit_test(test_host_line_puts_load_cpu_memory_data_and_forecast_first),
        cmocka_unit_test(test_compact_figures_for_one_line),
        cmocka_unit_test(test_activity_rows_get_their_backends_figures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
