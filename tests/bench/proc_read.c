/* proc_read: time what the backends collector does on the thread pool
 * each refresh, reading /proc for every backend the server lists.
 *
 *   psql -XAt -F ' ' -c "SELECT pid, extract(epoch FROM backend_start), state
 *                         FROM pg_stat_activity" | proc_read [PASSES]
 *
 * The first pass is a cold one (every command line and io file read, as
 * when pgdeck starts); the others are steady refreshes (pids already
 * verified, statm and io only for sessions that are not idle: pgdeck
 * reads an idle session's io every 10 s, not in these passes).  Prints the cold pass and the
 * mean, p50 and max of the steady ones, in milliseconds.  Built by
 * tests/bench/bench-host.sh against build/src/core/host.o, base/xalloc.o and
 * base/clock.o. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/host.h"
#include "base/clock.h"
#include "base/xalloc.h"

#define MAX_BACKENDS 20000

static int compare_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    int passes = argc > 1 ? atoi(argv[1]) : 20;
    if (passes < 2)
        passes = 2;
    static struct host_backend b[MAX_BACKENDS];
    static bool idle[MAX_BACKENDS];
    int n = 0;
    char line[256], state[64];
    while (n < MAX_BACKENDS && fgets(line, sizeof line, stdin)) {
        double start;
        state[0] = '\0';
        if (sscanf(line, "%d %lf %63s", &b[n].pid, &start, state) < 2)
            continue;
        b[n].backend_start = start;
        idle[n] = strcmp(state, "idle") == 0;
        n++;
    }
    const char *root = host_proc_root();
    struct host_system sys;
    char err[256];
    if (host_read_system(root, &sys, err, sizeof err) != 0) {
        fprintf(stderr, "proc_read: %s\n", err);
        return 1;
    }
    double *ms = xcalloc((size_t)passes, sizeof *ms);
    int same = 0;
    for (int p = 0; p < passes; p++) {
        double t0 = now_monotonic();
        for (int i = 0; i < n; i++) {
            b[i].want_statm = !idle[i];
            b[i].want_io = p == 0 || !idle[i];
            host_read_backend(root, &b[i], sys.btime);
        }
        ms[p] = (now_monotonic() - t0) * 1000;
        same = 0;
        for (int i = 0; i < n; i++) {
            /* Verified now: the next pass skips the command line. */
            b[i].known = b[i].same_process;
            b[i].known_start = b[i].stat.starttime;
            same += b[i].same_process;
        }
    }
    double sum = 0;
    for (int p = 1; p < passes; p++)
        sum += ms[p];
    double cold = ms[0];
    qsort(ms + 1, (size_t)(passes - 1), sizeof *ms, compare_double);
    printf("backends %d (server's: %d)  cold pass %.2f ms  steady: mean %.2f ms  p50 %.2f ms  max %.2f ms"
           "  (%d passes, %.1f us a backend)\n",
           n, same, cold, sum / (passes - 1), ms[1 + (passes - 1) / 2], ms[passes - 1], passes - 1,
           n ? sum / (passes - 1) / n * 1000 : 0);
    free(ms);
    return 0;
}
