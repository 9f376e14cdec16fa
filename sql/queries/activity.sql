-- Live sessions, and who blocks whom: the one statement pgdeck runs every
-- refresh that reads pg_stat_activity.  It feeds two collectors (see
-- collector.h, .feeds): each row's feed says which ('activity' or
-- 'locks'), and a column "activity:pid" belongs to the activity
-- collector's snapshot as its column pid.  pg_stat_activity is read once,
-- pg_blocking_pids is called only for sessions that wait for a lock (none
-- on a calm server; it takes every lock-manager partition lock), and
-- pg_locks is read once, for the sessions that wait (and every session
-- listed in the variant every_lock), and not at all when none do.
-- No parameter: the plan is made once per connection, not every refresh
-- (pgdeck's own pool sessions are left out of the activity rows by pgdeck
-- itself, by pid).  Every name is schema-qualified.
--
-- activity rows: every client backend that is not idle (idle in
-- transaction included), with who blocks it.  Other pgdeck instances,
-- and their actions, stay visible.  Durations are seconds.  A role
-- without pg_read_all_stats sees other roles' sessions with no state,
-- type or times, and "<insufficient privilege>" as the query: those
-- connected to a database (as client backends are) are listed just as
-- the server shows them, not left out.  pid and backend_start together
-- name a session (a pid is reused by a later backend): the console keeps
-- its selection and starts cancel and terminate with both.  A walsender
-- taking a base backup is listed too, with its progress.
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
--                   prints it: no lock taken), mode, granted; only in
--                   the variant every_lock (see scope below), NULL (not
--                   read) in this one
--
-- locks rows: one per session that waits for a heavyweight lock behind
-- another, and per session it waits behind (the blockers), nobody else.
-- The locks subject (src/subjects/locks.c) makes the tree from the
-- blocked_by edges; this statement only reads them.
--
--   blocked_by      pg_blocking_pids as "4242,4243" (NULL: waits for
--                   nobody); pid 0 is a prepared transaction, which has no
--                   session: its row says so in state
--   lock_mode       the mode the session waits for (its ungranted lock);
--                   NULL (with lock_type and relation) while its statement
--                   has run less than a second (see slow_waits)
--   lock_type       relation, tuple, transactionid, virtualxid, advisory, ...
--   relation        the relation of that lock as schema.name, or for a row
--                   lock (which waits on the other transaction's id) the
--                   relation of the row it is after; "relation OID of
--                   database NAME" for a relation of another database,
--                   which this database's catalog cannot name
--   wait            seconds since the wait began (pg_locks.waitstart, 14+;
--                   read through to_jsonb, for the waiting rows only, so
--                   the locks rows also come on 13, where the query's
--                   start stands in for it, as it does for a statement
--                   younger than a second)
--   xact_duration   seconds the session's transaction has been open
WITH
-- pg_stat_activity's own function, not the view: the view joins
-- pg_database and pg_authid by hash, three nodes each for the executor to
-- set up at every run and two catalog scans (issue 14).  A session's
-- database is one index look-up; its role's name comes from the syscache
-- (pg_get_userbyid, as pg_authid is not readable by every role).
act AS MATERIALIZED (
    SELECT a.pid,
           (SELECT d.datname FROM pg_catalog.pg_database d WHERE d.oid = a.datid) AS datname,
           pg_catalog.pg_get_userbyid(a.usesysid) AS usename,
           a.application_name, a.client_addr, a.client_port,
           a.state, a.wait_event_type, a.wait_event, a.query_start, a.xact_start,
           a.backend_type, a.query, a.backend_start, a.query_id, a.datid
      FROM pg_catalog.pg_stat_get_activity(NULL) a
     WHERE a.pid <> pg_catalog.pg_backend_pid()
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
     WHERE ((a.backend_type = 'client backend' OR (a.backend_type IS NULL AND a.datname IS NOT NULL))
            AND a.state IS DISTINCT FROM 'idle')
        OR (a.backend_type = 'walsender' AND a.pid IN (SELECT p.pid FROM progress p WHERE p.command = 'BASE_BACKUP'))
),
blocked AS MATERIALIZED (
    SELECT w.pid, w.blockers
      FROM (SELECT a.pid, pg_catalog.pg_blocking_pids(a.pid) AS blockers
              FROM act a
             WHERE a.wait_event_type = 'Lock') w
     WHERE pg_catalog.cardinality(w.blockers) > 0
),
involved AS (
    SELECT b.pid FROM blocked b
    UNION
    SELECT x.pid FROM blocked b, pg_catalog.unnest(b.blockers) AS x(pid)
),
-- Whose locks go into the activity rows as JSON (issue 14: that was ~40 %
-- of this statement's CPU, and under load most sessions wait or block):
-- nobody's in this statement, which the console runs every refresh and
-- whose rows show no locks; every listed session's in the variant
-- every_lock (embedded as "queries/activity.sql:every_lock", see
-- src/base/embed.sh): --once, the agent (its viewers open a session's
-- details) and the console while a session's details wait for them.  Two
-- statements, one plan each: no parameter picks the rows.  The CTEs that
-- build the JSON (scope, held) are in the variant only: in the plain
-- statement they read nothing, but the executor still set up their ~12
-- nodes at every run, ~15 % of its CPU (issue 14, measured by schedstat
-- over 1,500 runs under pgbench).
--[every_lock] scope AS MATERIALIZED (
--[every_lock]     SELECT s.pid FROM sessions s
--[every_lock] ),
-- The waits whose lock is looked up in pg_locks: those of statements that
-- have run a second or more.  Reading the lock table copies all of it
-- under every lock-manager partition lock: under an OLTP load (pgbench)
-- some session nearly always waits a few ms for a row, and that read was
-- half of this statement's cost at every refresh (issue 14).  A wait of
-- a younger statement still has its row, its blockers and its wait (from
-- the statement's start), without its lock's mode and relation.
slow_waits AS MATERIALIZED (
    SELECT b.pid
      FROM blocked b
      JOIN act a ON a.pid = b.pid
     WHERE a.query_start <= pg_catalog.now() - interval '1 second'
),
-- The lock table, read once: the rows of those waits (what they wait
-- for) and of the sessions in scope; not read at all when there are none
-- (a calm server: the one-time filter skips the scan).
lk AS MATERIALIZED (
    SELECT l.pid, l.locktype, l.mode, l.granted, l.database, l.relation,
           CASE WHEN NOT l.granted THEN (pg_catalog.to_jsonb(l) ->> 'waitstart')::timestamptz END AS waitstart
      FROM pg_catalog.pg_locks l
     WHERE EXISTS (SELECT FROM slow_waits)                                 --[not every_lock]
       AND l.pid IN (SELECT w.pid FROM slow_waits w)                       --[not every_lock]
--[every_lock]      WHERE (EXISTS (SELECT FROM slow_waits) OR EXISTS (SELECT FROM scope))
--[every_lock]        AND l.pid IN (SELECT w.pid FROM slow_waits w UNION ALL SELECT x.pid FROM scope x)
)
--[every_lock] , held AS (
--[every_lock]     SELECT l.pid,
--[every_lock]            pg_catalog.json_agg(pg_catalog.json_build_object(
--[every_lock]                                    'locktype', l.locktype,
--[every_lock]                                    'relation', CASE WHEN l.relation IS NOT NULL THEN l.relation::pg_catalog.regclass::text END,
--[every_lock]                                    'mode', l.mode, 'granted', l.granted)
--[every_lock]                                ORDER BY l.granted, l.locktype, l.mode)::text AS locks
--[every_lock]       FROM (SELECT l.*, pg_catalog.row_number() OVER (PARTITION BY l.pid ORDER BY l.granted, l.locktype) AS n
--[every_lock]               FROM lk l
--[every_lock]              WHERE l.pid IN (SELECT x.pid FROM scope x)
--[every_lock]                AND (l.database IS NULL
--[every_lock]                     OR l.database = (SELECT d.oid FROM pg_catalog.pg_database d
--[every_lock]                                       WHERE d.datname = pg_catalog.current_database())
--[every_lock]                     OR NOT l.granted)) l
--[every_lock]      WHERE l.n <= 20
--[every_lock]      GROUP BY l.pid
--[every_lock] )
SELECT 'activity'                                                  AS feed,
       -- Oldest query first; those that have run less than a second (a
       -- busy OLTP's churn) after them by pid, or their rows would trade
       -- places at every refresh and the console rewrite them all.  The
       -- order's keys are columns of their own (no feed's), sorted by the
       -- one ORDER BY at the end: a row_number() window in each branch
       -- cost two window and two sort nodes more to set up at every run
       -- (issue 14).
       CASE WHEN pg_catalog.now() - a.query_start >= interval '1 second'
            THEN a.query_start END                                  AS ord_start,
       a.query_start IS NULL                                       AS ord_unstarted,
       a.pid                                                       AS ord_pid,
       a.pid                                                       AS "activity:pid",
       a.datname                                                   AS "activity:database",
       a.usename                                                   AS "activity:username",
       a.application_name                                          AS "activity:application",
       COALESCE(pg_catalog.host(a.client_addr), CASE WHEN a.client_port = -1 THEN 'local' END) AS "activity:client",
       a.state                                                     AS "activity:state",
       CASE WHEN a.wait_event IS NOT NULL
            THEN a.wait_event_type || ':' || a.wait_event END       AS "activity:wait",
       COALESCE(pg_catalog.array_to_string(b.blockers, ','), '')   AS "activity:blocked_by",
       EXTRACT(EPOCH FROM pg_catalog.now() - a.query_start)        AS "activity:duration",
       EXTRACT(EPOCH FROM pg_catalog.now() - a.xact_start)         AS "activity:xact_duration",
       a.backend_type                                              AS "activity:backend_type",
       a.query                                                     AS "activity:query",
       a.backend_start                                             AS "activity:backend_start",
       a.query_id                                                  AS "activity:query_id",
       p.command                                                   AS "activity:progress_command",
       p.phase                                                     AS "activity:progress_phase",
       CASE WHEN p.relid IS NOT NULL AND p.relid <> 0
            THEN p.relid::pg_catalog.regclass::text END            AS "activity:progress_relation",
       p.percent                                                   AS "activity:progress_percent",
       NULL::text                                                  AS "activity:locks",  --[not every_lock]
--[every_lock]        CASE WHEN a.pid IN (SELECT x.pid FROM scope x)
--[every_lock]             THEN COALESCE(h.locks, '[]') END                       AS "activity:locks",
       NULL AS "locks:pid", NULL AS "locks:backend_start", NULL AS "locks:database",
       NULL AS "locks:username", NULL AS "locks:application", NULL AS "locks:state",
       NULL AS "locks:xact_duration", NULL AS "locks:blocked_by", NULL AS "locks:lock_mode",
       NULL AS "locks:lock_type", NULL AS "locks:relation", NULL AS "locks:wait", NULL AS "locks:query"
  FROM sessions a
  LEFT JOIN LATERAL (SELECT * FROM progress p WHERE p.pid = a.pid LIMIT 1) p ON true
--[every_lock]   LEFT JOIN held h ON h.pid = a.pid
  LEFT JOIN blocked b ON b.pid = a.pid
UNION ALL
SELECT 'locks',
       NULL, NULL, i.pid,
       NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
       NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
       i.pid,
       a.backend_start,
       a.datname,
       a.usename,
       a.application_name,
       CASE WHEN i.pid = 0 THEN 'prepared transaction' ELSE a.state END,
       EXTRACT(EPOCH FROM pg_catalog.now() - a.xact_start),
       pg_catalog.array_to_string(b.blockers, ','),
       w.mode,
       w.locktype,
       CASE WHEN t.relation IS NULL THEN NULL
            -- pg_class names only this database's relations (and shared
            -- ones, of database 0): another database's OID may be another
            -- relation here.  Looked up row by row (an index scan each):
            -- a join would read all of pg_class.
            WHEN t.database IN (0, (SELECT x.oid FROM pg_catalog.pg_database x
                                     WHERE x.datname = pg_catalog.current_database()))
            THEN COALESCE((SELECT n.nspname || '.' || c.relname
                             FROM pg_catalog.pg_class c
                             JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                            WHERE c.oid = t.relation),
                          'relation ' || t.relation)
            ELSE 'relation ' || t.relation || ' of database '
                 || COALESCE((SELECT x.datname FROM pg_catalog.pg_database x WHERE x.oid = t.database),
                             t.database::text)
       END,
       CASE WHEN b.pid IS NOT NULL
            THEN EXTRACT(EPOCH FROM pg_catalog.now() - COALESCE(w.waitstart, a.query_start))
       END,
       CASE WHEN i.pid = 0
            THEN '(a prepared transaction: COMMIT PREPARED or ROLLBACK PREPARED ends it; see pg_prepared_xacts)'
            ELSE a.query END
  FROM involved i
  LEFT JOIN act a ON a.pid = i.pid
  LEFT JOIN blocked b ON b.pid = i.pid
  -- A backend waits for one lock at a time: its one ungranted row.  A
  -- row lock waits on the holder's transaction id; the tuple lock the
  -- waiter holds meanwhile names the relation of the row.  Each a
  -- lateral look-up, not a DISTINCT ON table joined by merge: fewer
  -- nodes for the executor to set up at every run (issue 14).
  LEFT JOIN LATERAL (SELECT k.locktype, k.mode, k.database, k.relation, k.waitstart
                       FROM lk k
                      WHERE k.pid = i.pid AND NOT k.granted AND b.pid IS NOT NULL
                      LIMIT 1) w ON true
  LEFT JOIN LATERAL (SELECT k.database, k.relation
                       FROM lk k
                      WHERE k.pid = i.pid AND k.granted AND k.locktype = 'tuple' AND b.pid IS NOT NULL
                      LIMIT 1) r ON true
  -- The relation of the wait: that of its lock, or for a row lock that of
  -- the tuple lock (one join here, not a CTE of its own: fewer nodes for
  -- the executor to set up at every run, issue 14).
  CROSS JOIN LATERAL (SELECT COALESCE(w.relation, r.relation) AS relation,
                             CASE WHEN w.relation IS NOT NULL THEN w.database ELSE r.database END AS database) t
 ORDER BY feed, ord_start NULLS LAST, ord_unstarted, ord_pid
