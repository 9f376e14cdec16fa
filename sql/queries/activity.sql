-- Live sessions: every client backend that is not idle (idle in
-- transaction included), with who blocks it.  pgdeck's own pool sessions
-- ($1, an int[] of their pids) are left out: other pgdeck instances, and
-- their actions, stay visible.  Durations are seconds.  A role without
-- pg_read_all_stats sees other roles' sessions with no state, type or
-- times, and "<insufficient privilege>" as the query: those connected to a
-- database (as client backends are) are listed just as the server shows
-- them, not left out.  pid and backend_start together name a session (a
-- pid is reused by a later backend): the console keeps its selection and
-- starts cancel and terminate with both.  A walsender taking a base
-- backup is listed too, with its progress.
--
--   query_id        pg_stat_activity.query_id (with compute_query_id): the
--                   session's statement in pg_stat_statements
--   progress_*      what pg_stat_progress_* says of the session (VACUUM,
--                   ANALYZE, CLUSTER / VACUUM FULL, CREATE INDEX / REINDEX,
--                   COPY FROM / TO, BASE_BACKUP): the command, its phase
--                   (for a COPY, its source or target: "from a program"), the
--                   relation, and a percent where the view gives a
--                   measure of the whole (blocks, tuples, bytes); NULL for
--                   a session that reports none.  The views read the
--                   backends' shared memory: no lock, one pass each
--   locks           JSON array of the session's locks (at most 20, those it
--                   waits for first): locktype, relation (as regclass
--                   prints it: no lock taken), mode, granted
WITH progress AS (
    SELECT p.pid, 'VACUUM' AS command, p.phase, p.relid,
           round(100.0 * p.heap_blks_scanned / nullif(p.heap_blks_total, 0), 1) AS percent
      FROM pg_stat_progress_vacuum p
    UNION ALL
    SELECT p.pid, 'ANALYZE', p.phase, p.relid,
           round(100.0 * p.sample_blks_scanned / nullif(p.sample_blks_total, 0), 1)
      FROM pg_stat_progress_analyze p
    UNION ALL
    SELECT p.pid, p.command, p.phase, p.relid,
           round(100.0 * p.heap_blks_scanned / nullif(p.heap_blks_total, 0), 1)
      FROM pg_stat_progress_cluster p
    UNION ALL
    SELECT p.pid, p.command, p.phase, p.relid,
           round(100.0 * coalesce(nullif(p.blocks_done, 0)::numeric / nullif(p.blocks_total, 0),
                                  p.tuples_done::numeric / nullif(p.tuples_total, 0)), 1)
      FROM pg_stat_progress_create_index p
    UNION ALL
    SELECT p.pid, p.command, 'from a ' || lower(p.type), p.relid,
           round(100.0 * p.bytes_processed / nullif(p.bytes_total, 0), 1)
      FROM pg_stat_progress_copy p
    UNION ALL
    SELECT p.pid, 'BASE_BACKUP', p.phase, NULL,
           round(100.0 * p.backup_streamed / nullif(p.backup_total, 0), 1)
      FROM pg_stat_progress_basebackup p
),
sessions AS (
    SELECT a.*
      FROM pg_stat_activity a
     WHERE a.pid <> pg_backend_pid()
       AND a.pid <> ALL ($1::int[])
       AND (((a.backend_type = 'client backend' OR (a.backend_type IS NULL AND a.datname IS NOT NULL))
             AND a.state IS DISTINCT FROM 'idle')
            OR (a.backend_type = 'walsender' AND a.pid IN (SELECT pid FROM progress WHERE command = 'BASE_BACKUP')))
),
held AS (
    SELECT l.pid,
           json_agg(json_build_object('locktype', l.locktype,
                                      'relation', CASE WHEN l.relation IS NOT NULL THEN l.relation::regclass::text END,
                                      'mode', l.mode, 'granted', l.granted)
                    ORDER BY l.granted, l.locktype, l.mode)::text AS locks
      FROM (SELECT l.*, row_number() OVER (PARTITION BY l.pid ORDER BY l.granted, l.locktype) AS n
              FROM pg_locks l
             WHERE l.pid IN (SELECT pid FROM sessions)
               AND (l.database IS NULL OR l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
                    OR NOT l.granted)) l
     WHERE l.n <= 20
     GROUP BY l.pid
)
SELECT a.pid,
       a.datname                                         AS database,
       a.usename                                         AS username,
       a.application_name                                AS application,
       COALESCE(host(a.client_addr), CASE WHEN a.client_port = -1 THEN 'local' END) AS client,
       a.state,
       CASE WHEN a.wait_event IS NOT NULL
            THEN a.wait_event_type || ':' || a.wait_event END AS wait,
       array_to_string(pg_blocking_pids(a.pid), ',')     AS blocked_by,
       EXTRACT(EPOCH FROM now() - a.query_start)         AS duration,
       EXTRACT(EPOCH FROM now() - a.xact_start)          AS xact_duration,
       a.backend_type,
       a.query,
       a.backend_start,
       a.query_id,
       p.command                                         AS progress_command,
       p.phase                                           AS progress_phase,
       CASE WHEN p.relid IS NOT NULL AND p.relid <> 0 THEN p.relid::regclass::text END AS progress_relation,
       p.percent                                         AS progress_percent,
       h.locks
  FROM sessions a
  LEFT JOIN LATERAL (SELECT * FROM progress p WHERE p.pid = a.pid LIMIT 1) p ON true
  LEFT JOIN held h ON h.pid = a.pid
 -- Oldest query first; those that have run less than a second (a busy
 -- OLTP's churn) after them by pid, or their rows would trade places at
 -- every refresh and the console rewrite them all.
 ORDER BY CASE WHEN now() - a.query_start >= interval '1 second' THEN a.query_start END NULLS LAST,
          a.query_start IS NULL, a.pid
