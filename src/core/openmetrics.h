#ifndef PGDECK_OPENMETRICS_H
#define PGDECK_OPENMETRICS_H

struct app;

/* The app's latest snapshots as OpenMetrics 1.0 text: what `pgdeck --once
 * --format openmetrics` prints and `pgdeck agent --metrics-file PATH`
 * writes each interval (for node_exporter's textfile collector, or any
 * scraper that reads a file).
 *
 * Names are postgres_exporter's, pgbouncer_exporter's and
 * redis_exporter's where one of them exports the figure (pg_up,
 * pg_stat_activity_count, pg_settings_max_connections,
 * pg_stat_database_blks_hit, pg_stat_replication_pg_wal_lsn_diff,
 * pg_replication_lag_seconds, pg_stat_statements_calls,
 * pgbouncer_pools_client_active_connections, redis_keyspace_hits, ...),
 * so their dashboards and alert rules apply; pgdeck's own figures
 * (materialized views, partitions, the index plan, alerts, collectors)
 * are pgdeck_*.  A counter's samples are NAME_total, as OpenMetrics
 * wants (postgres_exporter's pg_stat_database_blks_hit is
 * pg_stat_database_blks_hit_total when scraped as OpenMetrics).
 *
 * Every family is announced (TYPE, HELP, UNIT where it has one) even with
 * no sample; a collector that failed gives no sample of its figures and
 * pgdeck_collector_up 0.  Label values are the server's text made
 * printable by sanitize.c (ESC as ^[, newlines folded, invalid UTF-8
 * bytes as <ff>), then \ and " escaped: nothing in a label can end it
 * early or reach a terminal as an escape.  A row whose labels repeat an
 * earlier row's in the same family is left out.  The text ends with
 * "# EOF".  Owned by the caller. */
char *openmetrics_text(const struct app *app);

/* That text written to `path` atomically: written to PATH.tmp.PID beside
 * it, then renamed over it (node_exporter's textfile collector reads the
 * old file or the new one, never a half-written one).  0, or -1 with the
 * reason in err (the temporary file removed). */
int openmetrics_write_file(const struct app *app, const char *path, char *err, size_t errlen);

#endif
