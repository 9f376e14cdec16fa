-- Who blocks whom: the rows of the locks pane.
--
-- One row per session that waits for a heavyweight lock behind another,
-- and per session it waits behind (the blockers), nobody else; any
-- backend type (an autovacuum worker waits too).  The locks subject
-- (src/subjects/locks.c) makes the tree from the blocked_by edges; this
-- statement only reads them.  It runs at every refresh while the sessions
-- pane shows a session waiting behind another (or its last rows are not
-- yet gone), else on a slow cadence: on a calm server it is not run at
-- each refresh (issue 14: its nodes were 40 % of the sessions statement's
-- cost when the two were one).  No parameter, every name
-- schema-qualified, as in activity.sql.
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
-- Every backend: a blocker may be an idle session that holds an
-- advisory lock.  pg_stat_activity's own function, as in activity.sql.
act AS MATERIALIZED (
    SELECT a.pid, a.datid, a.usesysid, a.application_name, a.state, a.wait_event_type,
           a.query_start, a.xact_start, a.query, a.backend_start
      FROM pg_catalog.pg_stat_get_activity(NULL) a
     WHERE a.pid <> pg_catalog.pg_backend_pid()
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
-- for); not read at all when there are none (the one-time filter skips
-- the scan).
lk AS MATERIALIZED (
    SELECT l.pid, l.locktype, l.mode, l.granted, l.database, l.relation,
           CASE WHEN NOT l.granted THEN (pg_catalog.to_jsonb(l) ->> 'waitstart')::timestamptz END AS waitstart
      FROM pg_catalog.pg_locks l
     WHERE EXISTS (SELECT FROM slow_waits)
       AND l.pid IN (SELECT w.pid FROM slow_waits w)
)
SELECT i.pid,
       a.backend_start,
       d.datname                                                                AS database,
       pg_catalog.pg_get_userbyid(a.usesysid)                                   AS username,
       a.application_name                                                       AS application,
       CASE WHEN i.pid = 0 THEN 'prepared transaction' ELSE a.state END        AS state,
       EXTRACT(EPOCH FROM pg_catalog.now() - a.xact_start)                      AS xact_duration,
       pg_catalog.array_to_string(b.blockers, ',')                              AS blocked_by,
       w.mode                                                                   AS lock_mode,
       w.locktype                                                               AS lock_type,
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
       END                                                                      AS relation,
       CASE WHEN b.pid IS NOT NULL
            THEN EXTRACT(EPOCH FROM pg_catalog.now() - COALESCE(w.waitstart, a.query_start))
       END                                                                      AS wait,
       CASE WHEN i.pid = 0
            THEN '(a prepared transaction: COMMIT PREPARED or ROLLBACK PREPARED ends it; see pg_prepared_xacts)'
            ELSE a.query END                                                    AS query
  FROM involved i
  LEFT JOIN act a ON a.pid = i.pid
  LEFT JOIN pg_catalog.pg_database d ON d.oid = a.datid
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
 ORDER BY i.pid
