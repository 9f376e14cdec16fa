-- Actions: whether pgdeck writes a row into one of the kit's log tables,
-- asked on the action's own connection just before the row would be
-- written (action_step_log's guard).  An INSERT fires the table's triggers
-- and rules as pgdeck's role, so a log is written only when it is what the
-- kit installs: an ordinary table in public owned by the database owner or
-- a superuser, in a public owned by them too (a schema's owner may drop
-- the table and put anything in its place).  A role allowed to create
-- objects in public could otherwise plant a view or a table with a
-- trigger under that name.
--
--   $1 text  the log: 'mv_refresh_log' or 'partition_maintenance_log'
--
-- One row:
--   write    pgdeck writes the row: the log is trusted, and (for the
--            refresh log) the kit's event trigger, which logs every
--            refresh itself, is not enabled with a trusted function
--   ignored  why a log that is there is not used (NULL otherwise); the
--            same words as views.sql's log_ignored
WITH db AS (
    SELECT datdba FROM pg_database WHERE datname = current_database()
),
log AS (
    SELECT n.nspname, c.relname,
           c.relkind = 'r' AND (c.relowner = (SELECT datdba FROM db) OR coalesce(r.rolsuper, false))
               AND schema_trusted AS trusted,
           CASE c.relkind WHEN 'r' THEN 'a table' WHEN 'p' THEN 'a partitioned table'
                          WHEN 'v' THEN 'a view' WHEN 'm' THEN 'a materialized view'
                          WHEN 'f' THEN 'a foreign table' WHEN 'S' THEN 'a sequence'
                          ELSE 'a relation of kind ' || c.relkind::text END
             || ' owned by ' || coalesce(r.rolname::text, 'a dropped role')
             || CASE WHEN schema_trusted THEN ''
                     ELSE ' in a schema owned by ' || coalesce(nr.rolname::text, 'a dropped role') END AS what
      FROM pg_class c
      JOIN pg_namespace n ON n.oid = c.relnamespace
      LEFT JOIN pg_roles r ON r.oid = c.relowner
      LEFT JOIN pg_roles nr ON nr.oid = n.nspowner
     CROSS JOIN LATERAL (SELECT n.nspowner IN ((SELECT datdba FROM db), 'pg_database_owner'::regrole)
                                OR coalesce(nr.rolsuper, false) AS schema_trusted) st
     WHERE n.nspname = 'public' AND c.relname = $1::text
),
-- The kit's refresh event trigger logs every REFRESH itself (whoever runs
-- it); it counts only when its function is owned by the database owner or
-- a superuser (only a superuser can create an event trigger at all).
refresh_trigger AS (
    SELECT EXISTS (SELECT 1
                     FROM pg_event_trigger e
                     JOIN pg_proc p ON p.oid = e.evtfoid
                     LEFT JOIN pg_roles r ON r.oid = p.proowner
                    WHERE e.evtname = 'kit_mv_refresh_log' AND e.evtenabled <> 'D'
                      AND (p.proowner = (SELECT datdba FROM db) OR coalesce(r.rolsuper, false))) AS enabled
)
SELECT coalesce(log.trusted, false)
         AND NOT ($1::text = 'mv_refresh_log' AND (SELECT enabled FROM refresh_trigger)) AS write,
       CASE WHEN NOT log.trusted
            THEN format('ignoring %I.%I: %s, not a table owned by the database owner or a superuser',
                        log.nspname, log.relname, log.what) END AS ignored
  FROM (SELECT 1) AS one
  LEFT JOIN log ON true
