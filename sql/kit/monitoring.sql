-- pgdeck SQL kit: monitoring views.
--
--   psql -X -v ON_ERROR_STOP=1 -f sql/kit/monitoring.sql      (after views.sql)
--
--   query_performance_monitor  statements of this database from pg_stat_statements
--                              (only when the extension can be created/used here)
--   index_effectiveness        every index: scans, size, validity, usage verdict
--   table_size_monitor         every table, partitioned tables summed over their
--                              partitions, with live/dead rows and maintenance times
--   mv_freshness               every materialized view: last refresh (mv_refresh_log),
--                              age, stale flag (older than 4 h, or never refreshed)
--
-- Thresholds are the guide's: slow query > 1000 ms, view older than 4 hours.

SET client_min_messages = warning;

-- query_performance_monitor -------------------------------------------------------
SET client_min_messages = notice;
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_stat_statements') THEN
        IF NOT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_stat_statements') THEN
            RAISE NOTICE 'pg_stat_statements is not available: query_performance_monitor not created';
            RETURN;
        END IF;
        BEGIN
            CREATE EXTENSION IF NOT EXISTS pg_stat_statements;
        EXCEPTION WHEN OTHERS THEN
            RAISE NOTICE 'cannot create extension pg_stat_statements (%): query_performance_monitor not created', SQLERRM;
            RETURN;
        END;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_settings WHERE name = 'shared_preload_libraries'
                   AND setting ~ '(^|[ ,])pg_stat_statements($|[ ,])') THEN
        RAISE NOTICE 'pg_stat_statements is not in shared_preload_libraries: query_performance_monitor will fail until it is';
    END IF;
    EXECUTE $v$
    CREATE OR REPLACE VIEW public.query_performance_monitor AS
    SELECT s.queryid,
           r.rolname                                              AS username,
           s.calls,
           round(s.total_exec_time::numeric, 2)                   AS total_exec_time_ms,
           round(s.mean_exec_time::numeric, 3)                    AS mean_exec_time_ms,
           round(s.max_exec_time::numeric, 3)                     AS max_exec_time_ms,
           round(s.stddev_exec_time::numeric, 3)                  AS stddev_exec_time_ms,
           s.rows,
           round(s.rows::numeric / nullif(s.calls, 0), 2)         AS rows_per_call,
           s.shared_blks_hit,
           s.shared_blks_read,
           round(100.0 * s.shared_blks_hit / nullif(s.shared_blks_hit + s.shared_blks_read, 0), 2) AS cache_hit_pct,
           round((100.0 * s.total_exec_time / nullif(sum(s.total_exec_time) OVER (), 0))::numeric, 2) AS pct_of_total_time,
           s.mean_exec_time > 1000                                AS is_slow,
           s.query
    FROM pg_stat_statements s
    LEFT JOIN pg_roles r ON r.oid = s.userid
    WHERE s.dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
    ORDER BY s.total_exec_time DESC
    $v$;
END
$$;
SET client_min_messages = warning;

-- index_effectiveness ----------------------------------------------------------------
CREATE OR REPLACE VIEW public.index_effectiveness AS
SELECT s.schemaname,
       s.relname                                    AS table_name,
       s.indexrelname                               AS index_name,
       s.idx_scan,
       s.idx_tup_read,
       s.idx_tup_fetch,
       pg_relation_size(s.indexrelid)               AS index_bytes,
       pg_size_pretty(pg_relation_size(s.indexrelid)) AS index_size,
       i.indisunique                                AS is_unique,
       i.indisprimary                               AS is_primary,
       i.indisvalid                                 AS is_valid,
       i.indpred IS NOT NULL                        AS is_partial,
       am.amname                                    AS method,
       t.seq_scan                                   AS table_seq_scans,
       round(100.0 * t.idx_scan / nullif(t.idx_scan + t.seq_scan, 0), 2) AS table_index_scan_pct,
       CASE WHEN NOT i.indisvalid                       THEN 'invalid'
            WHEN s.idx_scan = 0 AND (i.indisunique OR i.indisprimary) THEN 'unused (constraint)'
            WHEN s.idx_scan = 0                         THEN 'unused'
            WHEN s.idx_scan < 50                        THEN 'rarely used'
            ELSE 'in use' END                       AS usage
FROM pg_stat_user_indexes s
JOIN pg_index i        ON i.indexrelid = s.indexrelid
JOIN pg_class ic       ON ic.oid = s.indexrelid
JOIN pg_am am          ON am.oid = ic.relam
JOIN pg_stat_user_tables t ON t.relid = s.relid;

-- table_size_monitor -------------------------------------------------------------------
-- Partitions are folded into their top-level parent (the parent itself has no
-- storage); sizes and row counts are summed over pg_partition_tree.
CREATE OR REPLACE VIEW public.table_size_monitor AS
SELECT n.nspname                                         AS schemaname,
       c.relname                                         AS table_name,
       CASE c.relkind WHEN 'p' THEN 'partitioned' WHEN 'm' THEN 'materialized view' ELSE 'table' END AS kind,
       agg.partitions,
       agg.total_bytes,
       pg_size_pretty(agg.total_bytes)                   AS total_size,
       agg.table_bytes,
       agg.index_bytes,
       agg.total_bytes - agg.table_bytes - agg.index_bytes AS toast_bytes,
       agg.estimated_rows,
       agg.live_rows,
       agg.dead_rows,
       round(100.0 * agg.dead_rows / nullif(agg.live_rows + agg.dead_rows, 0), 2) AS dead_pct,
       agg.last_vacuum,
       agg.last_analyze
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
CROSS JOIN LATERAL (
    SELECT count(*) FILTER (WHERE pt.isleaf AND pt.relid <> c.oid)              AS partitions,
           coalesce(sum(pg_total_relation_size(pt.relid)), 0)::bigint             AS total_bytes,
           coalesce(sum(pg_relation_size(pt.relid)), 0)::bigint                   AS table_bytes,
           coalesce(sum(pg_indexes_size(pt.relid)), 0)::bigint                    AS index_bytes,
           coalesce(sum(greatest(pc.reltuples, 0)), 0)::bigint                    AS estimated_rows,
           coalesce(sum(st.n_live_tup), 0)::bigint                               AS live_rows,
           coalesce(sum(st.n_dead_tup), 0)::bigint                               AS dead_rows,
           max(greatest(st.last_vacuum, st.last_autovacuum))                      AS last_vacuum,
           max(greatest(st.last_analyze, st.last_autoanalyze))                    AS last_analyze
    FROM (SELECT t.relid, t.relid <> c.oid AS isleaf
          FROM pg_partition_tree(c.oid) t WHERE t.isleaf AND c.relkind = 'p'
          UNION ALL
          SELECT c.oid, false WHERE c.relkind <> 'p') pt
    JOIN pg_class pc ON pc.oid = pt.relid
    LEFT JOIN pg_stat_all_tables st ON st.relid = pt.relid
) agg
WHERE c.relkind IN ('r', 'p', 'm')
  AND NOT c.relispartition
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname !~ '^pg_toast'
ORDER BY agg.total_bytes DESC;

-- mv_freshness -----------------------------------------------------------------------
-- last_refresh comes from mv_refresh_log (successful refreshes only); a view
-- with no log entry has never been seen refreshed and counts as stale.
CREATE OR REPLACE VIEW public.mv_freshness AS
SELECT n.nspname                                   AS schemaname,
       c.relname                                   AS view_name,
       c.relispopulated                            AS is_populated,
       pg_total_relation_size(c.oid)               AS total_bytes,
       EXISTS (SELECT 1 FROM pg_index i
               WHERE i.indrelid = c.oid AND i.indisunique AND i.indisvalid
                 AND i.indpred IS NULL AND i.indexprs IS NULL) AS can_refresh_concurrently,
       l.finished_at                               AS last_refresh,
       l.duration_ms                               AS last_duration_ms,
       l.rows                                      AS last_rows,
       l.refreshed_by                              AS last_refreshed_by,
       l.source                                    AS last_source,
       now() - l.finished_at                       AS age,
       (l.finished_at IS NULL OR now() - l.finished_at > interval '4 hours' OR NOT c.relispopulated) AS is_stale
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN LATERAL (
    SELECT rl.finished_at, rl.duration_ms, rl.rows, rl.refreshed_by, rl.source
    FROM public.mv_refresh_log rl
    WHERE rl.view_name = format('%I.%I', n.nspname, c.relname)::text
      AND rl.success
    ORDER BY rl.finished_at DESC
    LIMIT 1
) l ON true
WHERE c.relkind = 'm';
