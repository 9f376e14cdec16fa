-- Client connections, counted by state, database, user and application:
-- one row per (kind, name) with its split by state, plus one row of kind
-- 'all' that is every connection (what holds max_connections slots).
-- Only client backends take those slots: walsenders, autovacuum and
-- background workers have reserves of their own.  A role that may not see
-- other roles' sessions gets NULL states for them: counted as 'unknown'
-- (its backend_type is NULL too: such a session counts when it is connected
-- to a database, as client backends are and walsenders and workers are not).
-- At most 50 names per kind (an application name per client would
-- otherwise make thousands of rows).  pg_stat_activity's own function, not
-- the view, as in activity.sql: the view's two hash joins were a tenth of
-- this statement's cost (issue 14).  Every name is schema-qualified.
WITH c AS (
    SELECT COALESCE(a.state, 'unknown')                          AS state,
           a.datid,
           a.usesysid,
           COALESCE(NULLIF(a.application_name, ''), '(none)')    AS application,
           a.wait_event_type = 'Lock'                            AS waiting
      FROM pg_catalog.pg_stat_get_activity(NULL) a
     WHERE a.backend_type = 'client backend' OR (a.backend_type IS NULL AND a.datid IS NOT NULL)
), g AS (
    -- Counted by the database's and the role's OIDs, named after: one
    -- look-up a database or role, not one a session (hundreds of idle
    -- sessions at scale).
    SELECT CASE WHEN GROUPING(state) = 0       THEN 'state'
                WHEN GROUPING(datid) = 0       THEN 'database'
                WHEN GROUPING(usesysid) = 0    THEN 'user'
                WHEN GROUPING(application) = 0 THEN 'application'
                ELSE 'all' END                                    AS kind,
           CASE WHEN GROUPING(state) = 0       THEN state
                WHEN GROUPING(datid) = 0
                THEN COALESCE((SELECT d.datname::text FROM pg_catalog.pg_database d WHERE d.oid = datid), '')
                WHEN GROUPING(usesysid) = 0    THEN COALESCE(pg_catalog.pg_get_userbyid(usesysid)::text, '')
                WHEN GROUPING(application) = 0 THEN application
                ELSE 'all connections' END                        AS name,
           pg_catalog.count(*)                                               AS total,
           pg_catalog.count(*) FILTER (WHERE state = 'active')               AS active,
           pg_catalog.count(*) FILTER (WHERE state = 'idle')                 AS idle,
           pg_catalog.count(*) FILTER (WHERE state LIKE 'idle in transaction%') AS idle_in_transaction,
           pg_catalog.count(*) FILTER (WHERE waiting)                        AS waiting
      FROM c
     GROUP BY GROUPING SETS ((state), (datid), (usesysid), (application), ())
), ranked AS (
    SELECT g.*, pg_catalog.row_number() OVER (PARTITION BY kind ORDER BY total DESC, name) AS rank
      FROM g
)
SELECT kind, kind || ':' || name AS key, name, total, active, idle, idle_in_transaction, waiting
  FROM ranked
 WHERE rank <= 50
 ORDER BY pg_catalog.array_position(ARRAY['all', 'state', 'database', 'user', 'application'], kind),
          -- The states in the order a session goes through them, not by
          -- count: under an OLTP load the counts of active, idle and idle
          -- in transaction trade places every refresh, and rows ordered
          -- by them jumped (and were rewritten whole on the terminal).
          CASE WHEN kind = 'state'
               THEN pg_catalog.array_position(ARRAY['active', 'idle in transaction',
                                                    'idle in transaction (aborted)',
                                                    'fastpath function call', 'idle', 'disabled'], name) END,
          total DESC, name
