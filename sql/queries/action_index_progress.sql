-- Actions: the progress of the CREATE INDEX an action runs, read while it
-- builds when the index_progress collector has nothing for it.
--   $1 int  the backend pid of the action's connection
-- No row until PostgreSQL reports the build (or after it ended).
SELECT p.phase,
       p.blocks_total, p.blocks_done,
       p.tuples_total, p.tuples_done,
       p.lockers_total, p.lockers_done,
       CASE WHEN p.blocks_total > 0 THEN pg_catalog.round(100.0 * p.blocks_done / p.blocks_total, 1)
            WHEN p.tuples_total > 0 THEN pg_catalog.round(100.0 * p.tuples_done / p.tuples_total, 1)
       END AS percent
  FROM pg_catalog.pg_stat_progress_create_index p
 WHERE p.pid = $1::int
