-- CREATE INDEX / REINDEX in progress in this database, from
-- pg_stat_progress_create_index, with the phase's progress as a percent:
-- blocks while a table is scanned, tuples while they are sorted, loaded or
-- validated, lockers while waiting for them, partitions for a partitioned
-- table.  Cheap: the view has one row per build, usually none.
SELECT p.pid,
       p.index_relid                                           AS index_oid,
       CASE WHEN p.index_relid <> 0 THEN
            (SELECT n.nspname || '.' || c.relname FROM pg_class c
               JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = p.index_relid) END AS index,
       (SELECT n.nspname || '.' || c.relname FROM pg_class c
          JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = p.relid) AS table,
       p.command,
       p.phase,
       p.blocks_total, p.blocks_done,
       p.tuples_total, p.tuples_done,
       p.lockers_total, p.lockers_done,
       p.partitions_total, p.partitions_done,
       round(100.0 * CASE
             WHEN p.phase LIKE '%scanning table%' AND p.blocks_total > 0
                  THEN p.blocks_done::numeric / p.blocks_total
             WHEN p.phase LIKE 'waiting for%' AND p.lockers_total > 0
                  THEN p.lockers_done::numeric / p.lockers_total
             WHEN p.tuples_total > 0 THEN p.tuples_done::numeric / p.tuples_total
             WHEN p.blocks_total > 0 THEN p.blocks_done::numeric / p.blocks_total END, 1) AS percent,
       extract(epoch FROM now() - a.query_start)::float8      AS seconds
  FROM pg_stat_progress_create_index p
  LEFT JOIN pg_stat_activity a ON a.pid = p.pid
 WHERE p.datid = (SELECT oid FROM pg_database WHERE datname = current_database())
 ORDER BY a.query_start
