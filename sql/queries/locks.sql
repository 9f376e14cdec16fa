-- Who blocks whom: one row per session that waits for a heavyweight lock
-- behind another, and per session it waits behind (the blockers), nobody
-- else.  The locks subject (src/subjects/locks.c) makes the tree from the
-- blocked_by edges; this query only reads them.
--
-- Cheap by construction: pg_stat_activity is read once; pg_blocking_pids,
-- which takes every lock-manager partition lock for a moment, is called
-- only for sessions whose wait_event_type is 'Lock' (none on a calm
-- server); pg_locks is read only when some session is blocked (the EXISTS
-- is a one-time filter, so the function scan never starts otherwise), and
-- only its rows of blocked sessions are kept.
--
--   blocked_by      pg_blocking_pids as "4242,4243" (NULL: waits for
--                   nobody); pid 0 is a prepared transaction, which has no
--                   session: its row says so in state
--   lock_mode       the mode the session waits for (its ungranted lock)
--   lock_type       relation, tuple, transactionid, virtualxid, advisory, ...
--   relation        the relation of that lock as schema.name, or for a row
--                   lock (which waits on the other transaction's id) the
--                   relation of the row it is after; "relation OID of
--                   database NAME" for a relation of another database,
--                   which this database's catalog cannot name
--   wait            seconds since the wait began (pg_locks.waitstart, 14+;
--                   read through to_jsonb so the query also runs on 13,
--                   where the query's start stands in for it)
--   xact_duration   seconds the session's transaction has been open
-- pid and backend_start together name a session (a pid is reused by a
-- later backend): cancel and terminate act on both, as from the queries
-- pane.  Every name is schema-qualified: nothing here depends on
-- search_path.
WITH
act AS MATERIALIZED (
    SELECT a.pid, a.backend_start, a.datname, a.usename, a.application_name, a.state,
           a.wait_event_type, a.xact_start, a.query_start, a.query
      FROM pg_catalog.pg_stat_activity a
),
blocked AS MATERIALIZED (
    SELECT w.pid, w.blockers
      FROM (SELECT a.pid, pg_catalog.pg_blocking_pids(a.pid) AS blockers
              FROM act a
             WHERE a.wait_event_type = 'Lock'
               AND a.pid <> pg_catalog.pg_backend_pid()) w
     WHERE pg_catalog.cardinality(w.blockers) > 0
),
involved AS (
    SELECT b.pid FROM blocked b
    UNION
    SELECT x.pid FROM blocked b, pg_catalog.unnest(b.blockers) AS x(pid)
),
locks AS MATERIALIZED (
    SELECT l.pid, l.locktype, l.mode, l.granted, l.database, l.relation,
           (pg_catalog.to_jsonb(l) ->> 'waitstart')::timestamptz AS waitstart
      FROM pg_catalog.pg_locks l
     WHERE EXISTS (SELECT 1 FROM blocked)
       AND l.pid IN (SELECT b.pid FROM blocked b)
       AND (NOT l.granted OR l.locktype = 'tuple')
),
-- A backend waits for one lock at a time: its one ungranted row.
wanted AS (
    SELECT DISTINCT ON (k.pid) k.pid, k.locktype, k.mode, k.database, k.relation, k.waitstart
      FROM locks k
     WHERE NOT k.granted
     ORDER BY k.pid
),
-- A row lock waits on the holder's transaction id; the tuple lock the
-- waiter holds meanwhile names the relation of the row.
row_held AS (
    SELECT DISTINCT ON (k.pid) k.pid, k.database, k.relation
      FROM locks k
     WHERE k.granted AND k.locktype = 'tuple'
     ORDER BY k.pid
),
target AS (
    SELECT i.pid,
           COALESCE(w.relation, r.relation) AS relation,
           CASE WHEN w.relation IS NOT NULL THEN w.database ELSE r.database END AS database
      FROM involved i
      LEFT JOIN wanted w ON w.pid = i.pid
      LEFT JOIN row_held r ON r.pid = i.pid
)
SELECT i.pid,
       a.backend_start,
       a.datname                                                   AS database,
       a.usename                                                   AS username,
       a.application_name                                          AS application,
       CASE WHEN i.pid = 0 THEN 'prepared transaction' ELSE a.state END AS state,
       EXTRACT(EPOCH FROM pg_catalog.now() - a.xact_start)         AS xact_duration,
       pg_catalog.array_to_string(b.blockers, ',')                 AS blocked_by,
       w.mode                                                      AS lock_mode,
       w.locktype                                                  AS lock_type,
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
       END                                                         AS relation,
       CASE WHEN b.pid IS NOT NULL
            THEN EXTRACT(EPOCH FROM pg_catalog.now() - COALESCE(w.waitstart, a.query_start))
       END                                                         AS wait,
       CASE WHEN i.pid = 0
            THEN '(a prepared transaction: COMMIT PREPARED or ROLLBACK PREPARED ends it; see pg_prepared_xacts)'
            ELSE a.query END                                       AS query
  FROM involved i
  JOIN target t ON t.pid = i.pid
  LEFT JOIN act a ON a.pid = i.pid
  LEFT JOIN blocked b ON b.pid = i.pid
  LEFT JOIN wanted w ON w.pid = i.pid
 ORDER BY i.pid
