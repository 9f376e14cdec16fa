-- Live sessions: the one statement pgdeck runs every refresh that reads
-- pg_stat_activity.  pg_blocking_pids is called only for sessions that
-- wait for a lock (none on a calm server; it takes every lock-manager
-- partition lock), and pg_locks is read only in the variant every_lock.
-- Who blocks whom, as a tree, is the locks collector's statement
-- (locks.sql), which runs at every refresh only while some session waits
-- behind another (src/subjects/locks.c).  No parameter: the plan is made
-- once per connection, not every refresh (pgdeck's own pool sessions are
-- left out by pgdeck itself, by pid).  Every name is schema-qualified.
--
-- One row per client backend that is not idle (idle in transaction
-- included), with who blocks it.  Other pgdeck instances, and their
-- actions, stay visible.  Durations are seconds.  A role without
-- pg_read_all_stats sees other roles' sessions with no state, type or
-- times, and "<insufficient privilege>" as the query: those connected to
-- a database (as client backends are) are listed just as the server shows
-- them, not left out.  pid and backend_start together name a session (a
-- pid is reused by a later backend): the console keeps its selection and
-- starts cancel and terminate with both.  A walsender taking a base
-- backup is listed too, with its progress.  Oldest query first; those
-- that have run less than a second (a busy OLTP's churn) after them by
-- pid, or their rows would trade places at every refresh and the console
-- rewrite them all.
--
--   blocked_by      pg_blocking_pids as "4242,4243" ('' when it waits for
--                   nobody)
--   query_id        pg_stat_activity.query_id (with compute_query_id): the
--                   session's statement in pg_stat_statements
--   progress_*      what pg_stat_progress_* says of the session (VACUUM,
--                   ANALYZE, CLUSTER / VACUUM FULL, CREATE INDEX / REINDEX,
--                   COPY FROM / TO, BASE_BACKUP): the command, its phase
--                   (for a COPY, its source or target: "from a program"), the
--                   relation, and a percent where the view gives a
--                   measure of the whole (blocks, tuples, bytes); NULL for
--                   a session that reports none.  Read from the backends'
--                   shared memory: no lock, one pass for each command
--   locks           JSON array of the session's locks (at most 20, those it
--                   waits for first): locktype, relation (as regclass
--                   prints it: no lock taken), mode, granted; only in
--                   the variant every_lock (see held below), NULL (not
--                   read) in this one
WITH
-- pg_stat_activity's own function, not the view: the view joins
-- pg_database and pg_authid by hash, three nodes each for the executor to
-- set up at every run and two catalog scans (issue 14).  Idle sessions
-- are neither listed nor wait for a lock: with hundreds of them, this is
-- a handful of rows.
act AS MATERIALIZED (
    SELECT a.pid, a.datid, a.usesysid, a.application_name, a.client_addr, a.client_port,
           a.state, a.wait_event_type, a.wait_event, a.query_start, a.xact_start,
           a.backend_type, a.query, a.backend_start, a.query_id
      FROM pg_catalog.pg_stat_get_activity(NULL) a
     WHERE a.pid <> pg_catalog.pg_backend_pid()
       AND a.state IS DISTINCT FROM 'idle'
),
-- Progress, from the function behind the six pg_stat_progress_* views,
-- called once per command (VALUES) by one node: each view is a function
-- scan whose result type the executor rebuilds from pg_proc at every run,
-- six of them a third of this statement's cost (issue 14).  The numbers
-- mean what those views say they mean (system_views.sql; the phases, and
-- which param holds what, are the same in PostgreSQL 14 to 17); a phase
-- number this list does not know is shown as no phase.
progress AS (
    SELECT s.pid,
           CASE c.command
                WHEN 'CLUSTER'      THEN (ARRAY['CLUSTER', 'VACUUM FULL'])[s.param1]
                WHEN 'CREATE INDEX' THEN (ARRAY['CREATE INDEX', 'CREATE INDEX CONCURRENTLY', 'REINDEX',
                                                'REINDEX CONCURRENTLY'])[s.param1]
                WHEN 'COPY'         THEN (ARRAY['COPY FROM', 'COPY TO'])[s.param5]
                WHEN 'BASEBACKUP'   THEN 'BASE_BACKUP'
                ELSE c.command END AS command,
           CASE c.command
                WHEN 'VACUUM'       THEN (ARRAY['initializing', 'scanning heap', 'vacuuming indexes',
                                                'vacuuming heap', 'cleaning up indexes', 'truncating heap',
                                                'performing final cleanup'])[s.param1 + 1]
                WHEN 'ANALYZE'      THEN (ARRAY['initializing', 'acquiring sample rows',
                                                'acquiring inherited sample rows', 'computing statistics',
                                                'computing extended statistics', 'finalizing analyze'])[s.param1 + 1]
                WHEN 'CLUSTER'      THEN (ARRAY['initializing', 'seq scanning heap', 'index scanning heap',
                                                'sorting tuples', 'writing new heap', 'swapping relation files',
                                                'rebuilding index', 'performing final cleanup'])[s.param2 + 1]
                WHEN 'CREATE INDEX' THEN CASE WHEN s.param10 = 2
                                              THEN 'building index'
                                                   || COALESCE(': ' || pg_catalog.pg_indexam_progress_phasename(s.param9::oid, s.param11), '')
                                              ELSE (ARRAY['initializing', 'waiting for writers before build', NULL,
                                                          'waiting for writers before validation',
                                                          'index validation: scanning index',
                                                          'index validation: sorting tuples',
                                                          'index validation: scanning table',
                                                          'waiting for old snapshots',
                                                          'waiting for readers before marking dead',
                                                          'waiting for readers before dropping'])[s.param10 + 1] END
                -- Its source or target: "from a program".
                WHEN 'COPY'         THEN 'from a ' || (ARRAY['file', 'program', 'pipe', 'callback'])[s.param6]
                WHEN 'BASEBACKUP'   THEN (ARRAY['initializing', 'waiting for checkpoint to finish',
                                                'estimating backup size', 'streaming database files',
                                                'waiting for wal archiving to finish', 'transferring wal files'])[s.param1 + 1]
           END AS phase,
           CASE WHEN c.command <> 'BASEBACKUP' THEN s.relid END AS relid,
           -- Of a measure of the whole: blocks, tuples or bytes (a base
           -- backup's total is -1 while it is not estimated).
           pg_catalog.round(100.0 * CASE c.command
                WHEN 'VACUUM'       THEN s.param3::numeric / NULLIF(s.param2, 0)
                WHEN 'ANALYZE'      THEN s.param3::numeric / NULLIF(s.param2, 0)
                WHEN 'CLUSTER'      THEN s.param7::numeric / NULLIF(s.param6, 0)
                WHEN 'CREATE INDEX' THEN COALESCE(NULLIF(s.param17, 0)::numeric / NULLIF(s.param16, 0),
                                                  s.param13::numeric / NULLIF(s.param12, 0))
                WHEN 'COPY'         THEN s.param1::numeric / NULLIF(s.param2, 0)
                WHEN 'BASEBACKUP'   THEN s.param3::numeric / NULLIF(NULLIF(s.param2, -1), 0)
           END, 1) AS percent
      FROM (VALUES ('VACUUM'), ('ANALYZE'), ('CLUSTER'), ('CREATE INDEX'), ('COPY'), ('BASEBACKUP')) c(command),
           LATERAL pg_catalog.pg_stat_get_progress_info(c.command) s
),
sessions AS MATERIALIZED (
    SELECT a.*
      FROM act a
     WHERE a.backend_type = 'client backend' OR (a.backend_type IS NULL AND a.datid IS NOT NULL)
        OR (a.backend_type = 'walsender' AND a.pid IN (SELECT p.pid FROM progress p WHERE p.command = 'BASE_BACKUP'))
),
blocked AS (
    SELECT w.pid, w.blockers
      FROM (SELECT a.pid, pg_catalog.pg_blocking_pids(a.pid) AS blockers
              FROM act a
             WHERE a.wait_event_type = 'Lock') w
     WHERE pg_catalog.cardinality(w.blockers) > 0
)
-- Every listed session's locks, as JSON: only in the variant every_lock
-- (embedded as "queries/activity.sql:every_lock", see src/base/embed.sh),
-- which --once, the agent (its viewers open a session's details) and the
-- console while a session's details wait for them send instead.  Two
-- statements, one plan each: no parameter picks the rows, and the plain
-- one, which the console runs every refresh and whose rows show no
-- locks, sets up none of these nodes (issue 14: building the JSON was
-- ~40 % of this statement's CPU, and under load most sessions wait or
-- block).
--[every_lock] , held AS (
--[every_lock]     SELECT l.pid,
--[every_lock]            pg_catalog.json_agg(pg_catalog.json_build_object(
--[every_lock]                                    'locktype', l.locktype,
--[every_lock]                                    'relation', CASE WHEN l.relation IS NOT NULL THEN l.relation::pg_catalog.regclass::text END,
--[every_lock]                                    'mode', l.mode, 'granted', l.granted)
--[every_lock]                                ORDER BY l.granted, l.locktype, l.mode)::text AS locks
--[every_lock]       FROM (SELECT l.*, pg_catalog.row_number() OVER (PARTITION BY l.pid ORDER BY l.granted, l.locktype) AS n
--[every_lock]               FROM pg_catalog.pg_locks l
--[every_lock]              WHERE l.pid IN (SELECT s.pid FROM sessions s)
--[every_lock]                AND (l.database IS NULL
--[every_lock]                     OR l.database = (SELECT d.oid FROM pg_catalog.pg_database d
--[every_lock]                                       WHERE d.datname = pg_catalog.current_database())
--[every_lock]                     OR NOT l.granted)) l
--[every_lock]      WHERE l.n <= 20
--[every_lock]      GROUP BY l.pid
--[every_lock] )
SELECT a.pid,
       -- The names for the listed rows only: the database by one join (one
       -- scan of pg_database a run, however many rows), the role from the
       -- syscache (pg_get_userbyid, as pg_authid is not readable by every
       -- role).
       d.datname                                                   AS database,
       pg_catalog.pg_get_userbyid(a.usesysid)                      AS username,
       a.application_name                                          AS application,
       COALESCE(pg_catalog.host(a.client_addr), CASE WHEN a.client_port = -1 THEN 'local' END) AS client,
       a.state,
       CASE WHEN a.wait_event IS NOT NULL
            THEN a.wait_event_type || ':' || a.wait_event END       AS wait,
       COALESCE(pg_catalog.array_to_string(b.blockers, ','), '')   AS blocked_by,
       EXTRACT(EPOCH FROM pg_catalog.now() - a.query_start)        AS duration,
       EXTRACT(EPOCH FROM pg_catalog.now() - a.xact_start)         AS xact_duration,
       a.backend_type,
       a.query,
       a.backend_start,
       a.query_id,
       p.command                                                   AS progress_command,
       p.phase                                                     AS progress_phase,
       CASE WHEN p.relid IS NOT NULL AND p.relid <> 0
            THEN p.relid::pg_catalog.regclass::text END            AS progress_relation,
       p.percent                                                   AS progress_percent,
       NULL::text                                                  AS locks  --[not every_lock]
--[every_lock]        COALESCE(h.locks, '[]')                                     AS locks
  FROM sessions a
  LEFT JOIN pg_catalog.pg_database d ON d.oid = a.datid
  LEFT JOIN LATERAL (SELECT * FROM progress p WHERE p.pid = a.pid LIMIT 1) p ON true
--[every_lock]   LEFT JOIN held h ON h.pid = a.pid
  LEFT JOIN blocked b ON b.pid = a.pid
 ORDER BY CASE WHEN pg_catalog.now() - a.query_start >= interval '1 second' THEN a.query_start END NULLS LAST,
          a.query_start IS NULL, a.pid
