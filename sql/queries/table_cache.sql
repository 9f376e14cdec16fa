-- Buffer cache hits and reads per table (heap, indexes and TOAST together)
-- since the statistics were reset, for the tables with any traffic at all.
-- pgdeck ranks them by the traffic of the last interval from the deltas;
-- the 1,000 busiest by cumulative traffic bound the cost on databases with
-- thousands of partitions.  "schema" beside "table" tells an action which
-- part of "table" is the schema (either may hold a dot).
SELECT key, schema, "table", blks_hit, blks_read,
       round(100.0 * blks_hit / NULLIF(blks_hit + blks_read, 0), 2) AS hit_percent_total,
       key AS oid
  FROM (SELECT t.relid::text                                        AS key,
               t.schemaname                                         AS schema,
               t.schemaname || '.' || t.relname                     AS "table",
               t.heap_blks_hit + COALESCE(t.idx_blks_hit, 0)
                 + COALESCE(t.toast_blks_hit, 0) + COALESCE(t.tidx_blks_hit, 0)   AS blks_hit,
               t.heap_blks_read + COALESCE(t.idx_blks_read, 0)
                 + COALESCE(t.toast_blks_read, 0) + COALESCE(t.tidx_blks_read, 0) AS blks_read
          FROM pg_statio_user_tables t) s
 WHERE blks_hit + blks_read > 0
 ORDER BY blks_hit + blks_read DESC, "table"
 LIMIT 1000
