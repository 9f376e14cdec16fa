-- Buffer cache hits and reads per database since the statistics were
-- reset; pgdeck turns the cumulative counters into rates and an interval
-- hit ratio from one snapshot to the next.  A block "read" may still have
-- come from the operating system's cache: it missed shared_buffers.
SELECT d.datid::text                                                      AS key,
       d.datname                                                          AS database,
       d.blks_hit,
       d.blks_read,
       round(100.0 * d.blks_hit / NULLIF(d.blks_hit + d.blks_read, 0), 2) AS hit_percent_total,
       d.xact_commit + d.xact_rollback                                    AS xacts,
       d.temp_bytes,
       EXTRACT(EPOCH FROM d.stats_reset)                                  AS stats_reset
  FROM pg_stat_database d
 WHERE d.datname IS NOT NULL
 ORDER BY d.blks_hit + d.blks_read DESC, d.datname
