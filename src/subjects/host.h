#ifndef PGDECK_SUBJECTS_HOST_H
#define PGDECK_SUBJECTS_HOST_H

#include <stddef.h>

/* The host subject: what the server's processes cost the machine, how
 * full its disks are, and when they will be full.  It has no pane: the
 * host line shows in the queries pane.  Backends, host and disks live in
 * host.c, sizes and the disk alert in host_sizes.c, the host line in
 * host_summary.c; their thread-pool plumbing in core/host_job.c.
 *
 *   backends    (every refresh) pg_stat_activity's pids, read in /proc:
 *               pid, backend_type, cpu_percent (of one CPU), rss and
 *               shared_memory (bytes), read_bps and write_bps (bytes per
 *               second that reached storage), io_readable.  This is also
 *               where "local" is decided: when the server is not on this
 *               host the snapshot fails with HOST_NEEDS_HOST and why.
 *   host        (every refresh) one row: load1/5/15, cpus, cpu_percent
 *               (busy), mem_total, mem_used, swap_total, swap_used,
 *               io_note (once, when /proc/PID/io is unreadable), and
 *               pgdeck's own cost: backends_read, backends_read_ms (the
 *               pass's wall time, on the thread pool or, for a steady
 *               pass over a few backends, on the loop), backends_read_cpu_ms
 *               (the CPU that pass ran), backends_merge_ms (on the loop).
 *   host_paths  (60 s, plain SQL) the data directory, WAL and tablespace
 *               paths the server reports, or what is missing to see them.
 *   disks       (10 s) statvfs of those paths: kind, name, path, total,
 *               used, free (as df's Avail), used_percent, device, error.
 *   sizes       (60 s) the database's size (pg_database_size) and each
 *               root partitioned table's (taken from the partitions
 *               collector, which measures them anyway), sampled_at, kept
 *               as a history (forecast.h), with samples, span_seconds,
 *               growth_per_day, filesystem, free, days_to_full,
 *               forecast_note, history_file, history_error.
 *
 * /proc and statvfs are read on libuv's thread pool (uv_queue_work) and
 * the result is published on the loop, so a thousand backends never hold
 * up a key (a steady pass over at most 32 backends, all verified before,
 * and the three host-wide files are read on the loop: host.c says why) (measured: tests/bench/bench-host.sh).  Each collector waits
 * for the one it depends on (backends first: nothing is read before the
 * server is known to be here; sizes also waits for the partitions
 * collector's sizes and for the disks).  A server found not to be here is
 * looked at again every 30 s, not every refresh.
 *
 * Tests make a local server look remote with PGDECK_PROC_ROOT pointing at
 * an empty directory (host.h); the size history goes under
 * $XDG_STATE_HOME/pgdeck/sizes/ (forecast.h). */

struct app;
struct collector;
struct snapshot;

#define HOST_NEEDS_HOST "host figures need pgdeck on the database host"

struct alert;
struct perfdata;

/* The sizes collector's run and state (host_sizes.c). */
int  host_sizes_run(struct collector *c);
void host_sizes_free(void *state);

/* A disk that, at the growth rate of what it holds, is full within
 * cfg->alerts.disk_full_days (critical within a quarter of that); and the
 * subject's performance data (host_sizes.c). */
int  alert_disk_full(const struct app *app, struct alert *out, int max);
int  perf_host(const struct app *app, struct perfdata *out, int max);

/* NULL when the host figures can be read, "" while that is not known yet,
 * otherwise why not (HOST_NEEDS_HOST and the reason).  Borrowed. */
const char *host_unavailable(const struct app *app);

/* The host line, as pieces in the order they read; a front end keeps the
 * most important ones that fit (priority 0 first), in their short form
 * when the long one does not fit, and shows them in this order.
 * level: -1 secondary, 0 plain, 1 warning, 2 critical. */
struct host_piece {
    int  level;
    int  priority;
    char text[160];
    char short_text[64];    /* "" when there is no shorter form */
};
int  host_summary(const struct app *app, struct host_piece *out, int max);

/* "45G", "1.2T", "512M", "0": compact sizes for one-line summaries. */
void host_compact_bytes(char *buf, size_t len, double bytes);
/* "9h", "3.5d", "12d": how soon, for the same lines. */
void host_compact_days(char *buf, size_t len, double days);

#endif
