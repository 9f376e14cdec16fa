/* ptykeys: run a terminal program on a pseudo-terminal and time it from
 * the outside, the way a user's terminal sees it.  Used by bench.sh.
 *
 *   ptykeys [options] -- CMD [ARG...]
 *
 *   -c COLS -r ROWS   terminal size (default 120x40)
 *   -m TEXT           a marker: the time from exec to the first output that
 *                     contains it is printed ("marker_ms N TEXT"); repeat -m
 *                     for several.  With -n, the first marker must appear
 *                     before the keys start.
 *   -n N              send N keys and time each one
 *   -k KEYS           the keys, used in turn (default "23")
 *   -q MS             quiet time before each key (default 150): the key is
 *                     sent only after the program has written nothing for
 *                     this long, so that its output after the key is the
 *                     answer to the key and not a refresh already under way
 *   -o FILE           write each key's latency in ms, one a line
 *   -b CMD            run CMD (sh -c) once the first marker is seen and
 *                     before the keys; the pty is drained while it runs
 *   -a CMD            run CMD after the keys, before quitting
 *   -x KEY            key that quits the program (default q)
 *   -t SECONDS        give up after this long in all (default 120)
 *   -w SECONDS        with no -n: keep running this long after the last
 *                     marker before quitting (default 0.3)
 *
 * A key's latency is the time from writing it to the pty to the first byte
 * the program writes after it.  The program's output is read all the time,
 * so it never blocks on a full terminal.  Prints on stdout:
 *   first_byte_ms N
 *   marker_ms N TEXT            (or "marker_ms - TEXT" when never seen)
 *   keys N p50_ms N p99_ms N max_ms N timeouts N
 *   exit_status N               (or "exit_signal N"; "exit_killed" when it
 *                                had to be killed)
 * and exits 0 when every marker was seen and the program exited by itself.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_MARKERS 8
#define TAIL 256            /* bytes kept to find a marker split by reads */
#define KEY_TIMEOUT_MS 5000.0
#define QUIET_GIVE_UP_MS 5000.0

static int master = -1;
static pid_t child = -1;
static double t_exec;
static double deadline;

static const char *markers[MAX_MARKERS];
static double marker_at[MAX_MARKERS];
static int nmarkers;
static double first_byte_at = -1;
static double last_output_at;
static char tail[TAIL];
static size_t tail_len;
static int child_status = -1;

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static void die(const char *msg)
{
    fprintf(stderr, "ptykeys: %s: %s\n", msg, strerror(errno));
    if (child > 0)
        kill(child, SIGKILL);
    exit(2);
}

/* Look for markers not seen yet.  A marker may be split between two
 * reads: the end of the previous read joined to the start of this one is
 * searched too.  Markers are shorter than TAIL. */
static void scan_markers(const char *buf, size_t n, double at)
{
    char joined[TAIL * 2];
    size_t head = n < TAIL ? n : TAIL;
    memcpy(joined, tail, tail_len);
    memcpy(joined + tail_len, buf, head);
    for (int i = 0; i < nmarkers; i++) {
        size_t len = strlen(markers[i]);
        if (marker_at[i] < 0 &&
            (memmem(joined, tail_len + head, markers[i], len) || memmem(buf, n, markers[i], len)))
            marker_at[i] = at;
    }
    if (n >= TAIL) {
        memcpy(tail, buf + n - TAIL, TAIL);
        tail_len = TAIL;
    } else {
        size_t keep = tail_len + n > TAIL ? TAIL - n : tail_len;
        memmove(tail, tail + tail_len - keep, keep);
        memcpy(tail + keep, buf, n);
        tail_len = keep + n;
    }
}

/* Read what the program wrote, waiting at most `wait_ms`.  Returns the
 * number of bytes read, 0 on timeout, -1 when the pty closed. */
static ssize_t pump(double wait_ms)
{
    struct pollfd p = { .fd = master, .events = POLLIN };
    int ms = wait_ms < 0 ? 0 : (int)(wait_ms + 0.999);
    int rc = poll(&p, 1, ms);
    if (rc < 0) {
        if (errno == EINTR)
            return 0;
        die("poll");
    }
    if (rc == 0)
        return 0;
    char buf[65536];
    ssize_t n = read(master, buf, sizeof buf);
    double at = now_ms();
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return 0;
    if (n <= 0)
        return -1;          /* EIO: the slave side is closed */
    if (first_byte_at < 0)
        first_byte_at = at;
    last_output_at = at;
    scan_markers(buf, (size_t)n, at);
    return n;
}

static int child_exited(void)
{
    if (child_status >= 0)
        return 1;
    int st;
    pid_t r = waitpid(child, &st, WNOHANG);
    if (r == child) {
        child_status = st;
        return 1;
    }
    return 0;
}

/* Run a shell command while draining the pty. */
static void run_hook(const char *cmd)
{
    pid_t h = fork();
    if (h < 0)
        die("fork");
    if (h == 0) {
        close(master);
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    for (;;) {
        int st;
        if (waitpid(h, &st, WNOHANG) == h)
            break;
        if (pump(20) < 0)
            break;
    }
}

static void send_key(char k)
{
    while (write(master, &k, 1) != 1)
        if (errno != EINTR && errno != EAGAIN)
            die("write");
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Nearest-rank percentile. */
static double percentile(const double *sorted, int n, double p)
{
    if (n == 0)
        return 0;
    int rank = (int)(p / 100.0 * n + 0.999999);
    if (rank < 1)
        rank = 1;
    if (rank > n)
        rank = n;
    return sorted[rank - 1];
}

static void usage(void)
{
    fprintf(stderr, "usage: ptykeys [-c COLS] [-r ROWS] [-m TEXT]... [-n N] [-k KEYS] [-q MS] "
                    "[-o FILE] [-b CMD] [-a CMD] [-x KEY] [-t S] [-w S] -- CMD [ARG...]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    int cols = 120, rows = 40, nkeys = 0;
    const char *keys = "23", *out_path = NULL, *before = NULL, *after = NULL;
    char quit_key = 'q';
    double quiet = 150, total = 120, linger = 0.3;
    int opt;
    while ((opt = getopt(argc, argv, "+c:r:m:n:k:q:o:b:a:x:t:w:")) != -1) {
        switch (opt) {
        case 'c': cols = atoi(optarg); break;
        case 'r': rows = atoi(optarg); break;
        case 'm':
            if (nmarkers == MAX_MARKERS)
                usage();
            markers[nmarkers++] = optarg;
            break;
        case 'n': nkeys = atoi(optarg); break;
        case 'k': keys = optarg; break;
        case 'q': quiet = atof(optarg); break;
        case 'o': out_path = optarg; break;
        case 'b': before = optarg; break;
        case 'a': after = optarg; break;
        case 'x': quit_key = optarg[0]; break;
        case 't': total = atof(optarg); break;
        case 'w': linger = atof(optarg); break;
        default: usage();
        }
    }
    if (optind >= argc || !*keys)
        usage();
    for (int i = 0; i < MAX_MARKERS; i++)
        marker_at[i] = -1;

    struct winsize ws = { .ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols };
    signal(SIGPIPE, SIG_IGN);
    t_exec = now_ms();
    deadline = t_exec + total * 1000;
    child = forkpty(&master, NULL, NULL, &ws);
    if (child < 0)
        die("forkpty");
    if (child == 0) {
        if (!getenv("PTYKEYS_KEEP_TERM"))
            setenv("TERM", "xterm-256color", 1);
        execvp(argv[optind], argv + optind);
        fprintf(stderr, "ptykeys: cannot run %s: %s\n", argv[optind], strerror(errno));
        _exit(127);
    }

    int closed = 0;
    /* Until every marker is seen (or, with keys, the first one). */
    int want = nkeys > 0 ? (nmarkers > 0 ? 1 : 0) : nmarkers;
    for (;;) {
        int seen = 0;
        for (int i = 0; i < want; i++)
            seen += marker_at[i] >= 0;
        if (seen == want)
            break;
        if (now_ms() > deadline || child_exited()) {
            closed = 1;
            break;
        }
        if (pump(50) < 0) {
            closed = 1;
            break;
        }
    }

    double *lat = nkeys > 0 ? calloc((size_t)nkeys, sizeof *lat) : NULL;
    int done = 0, timeouts = 0;
    if (!closed && nkeys > 0) {
        if (before)
            run_hook(before);
        FILE *out = out_path ? fopen(out_path, "w") : NULL;
        for (int k = 0; k < nkeys && !closed; k++) {
            /* Wait for a quiet moment, so the next output is the key's. */
            double start_wait = now_ms();
            while (now_ms() - last_output_at < quiet && now_ms() - start_wait < QUIET_GIVE_UP_MS) {
                if (pump(quiet - (now_ms() - last_output_at)) < 0) {
                    closed = 1;
                    break;
                }
            }
            if (closed || now_ms() > deadline)
                break;
            double sent = now_ms();
            send_key(keys[k % (int)strlen(keys)]);
            double got = -1;
            while (now_ms() - sent < KEY_TIMEOUT_MS) {
                ssize_t n = pump(KEY_TIMEOUT_MS - (now_ms() - sent));
                if (n < 0) {
                    closed = 1;
                    break;
                }
                if (n > 0) {
                    got = last_output_at;
                    break;
                }
            }
            if (closed)
                break;
            if (got < 0) {
                timeouts++;
                got = sent + KEY_TIMEOUT_MS;
            }
            lat[done++] = got - sent;
            if (out)
                fprintf(out, "%.3f\n", got - sent);
        }
        if (out)
            fclose(out);
        if (after)
            run_hook(after);
    } else if (!closed) {
        double until = now_ms() + linger * 1000;
        while (now_ms() < until)
            if (pump(until - now_ms()) < 0) {
                closed = 1;
                break;
            }
    }

    /* Quit the way a user does, then make sure. */
    int killed = 0;
    if (!child_exited()) {
        send_key(quit_key);
        double until = now_ms() + 10000;
        while (!child_exited() && now_ms() < until)
            if (pump(20) < 0)
                usleep(20000);
        if (!child_exited()) {
            killed = 1;
            kill(child, SIGTERM);
            usleep(500000);
            if (!child_exited()) {
                kill(child, SIGKILL);
                waitpid(child, &child_status, 0);
            }
        }
    }

    printf("first_byte_ms %.1f\n", first_byte_at < 0 ? -1.0 : first_byte_at - t_exec);
    int missing = 0;
    for (int i = 0; i < nmarkers; i++) {
        if (marker_at[i] < 0) {
            missing++;
            printf("marker_ms - %s\n", markers[i]);
        } else {
            printf("marker_ms %.1f %s\n", marker_at[i] - t_exec, markers[i]);
        }
    }
    if (nkeys > 0) {
        qsort(lat, (size_t)done, sizeof *lat, cmp_double);
        printf("keys %d p50_ms %.2f p99_ms %.2f max_ms %.2f timeouts %d\n", done,
               percentile(lat, done, 50), percentile(lat, done, 99),
               done ? lat[done - 1] : 0.0, timeouts);
    }
    if (killed)
        printf("exit_killed\n");
    else if (WIFEXITED(child_status))
        printf("exit_status %d\n", WEXITSTATUS(child_status));
    else if (WIFSIGNALED(child_status))
        printf("exit_signal %d\n", WTERMSIG(child_status));
    free(lat);
    return missing || killed || (nkeys > 0 && (done < nkeys || timeouts)) ? 1 : 0;
}
