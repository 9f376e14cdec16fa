/* slowdns: an LD_PRELOAD shim whose getaddrinfo is slow for one name, for
 * the tests and the benchmark of connecting through a slow DNS server.
 * Built by tests/e2e/test_slow_dns.sh and tests/bench/bench.sh:
 *
 *   cc -shared -fPIC -o slowdns.so tests/e2e/slowdns.c -ldl
 *   LD_PRELOAD=./slowdns.so pgdeck -h slow.pgdeck.test ...
 *
 * A lookup of the name answers 127.0.0.1 (looked up by the real
 * getaddrinfo, so no /etc/hosts entry is needed) after a delay; every
 * other lookup goes straight to the real getaddrinfo.
 *
 *   PGDECK_SLOW_NAME     the slow name (default slow.pgdeck.test)
 *   PGDECK_SLOW_SECONDS  how long a lookup of it takes (default 3)
 *   PGDECK_SLOW_GATE     a file: the lookup ends as soon as it exists
 *                        (still at most PGDECK_SLOW_SECONDS), so a test can
 *                        hold the lookup for as long as it needs
 *   PGDECK_SLOW_LOG      a file: one line per lookup of the name, "main"
 *                        when it ran on the process's main thread (the
 *                        event loop's), "thread" otherwise
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

typedef int (*getaddrinfo_fn)(const char *, const char *, const struct addrinfo *,
                              struct addrinfo **);

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void note(const char *node)
{
    const char *path = getenv("PGDECK_SLOW_LOG");
    if (!path || !*path)
        return;
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd < 0)
        return;
    char line[512];
    int main_thread = (pid_t)syscall(SYS_gettid) == getpid();
    int n = snprintf(line, sizeof line, "%s %s\n", main_thread ? "main" : "thread", node);
    if (n > 0 && write(fd, line, (size_t)n) < 0) {
        /* nothing to do: the test will miss the line */
    }
    close(fd);
}

int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
                struct addrinfo **res)
{
    getaddrinfo_fn real = (getaddrinfo_fn)dlsym(RTLD_NEXT, "getaddrinfo");
    if (!real)
        return EAI_SYSTEM;
    const char *name = getenv("PGDECK_SLOW_NAME");
    if (!name || !*name)
        name = "slow.pgdeck.test";
    if (!node || strcasecmp(node, name) != 0)
        return real(node, service, hints, res);

    note(node);
    const char *s = getenv("PGDECK_SLOW_SECONDS");
    double delay = s && *s ? atof(s) : 3.0;
    const char *gate = getenv("PGDECK_SLOW_GATE");
    double until = now() + delay;
    while (now() < until) {
        if (gate && *gate && access(gate, F_OK) == 0)
            break;
        usleep(10000);
    }
    return real("127.0.0.1", service, hints, res);
}
