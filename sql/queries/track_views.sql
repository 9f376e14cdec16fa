-- pgdeck's refresh tracking (pgdeck run track-views / untrack-views,
-- src/subjects/views_track.c): what of it is in this database, and
-- whether what is there can be trusted.  One row.
--
--   database        current_database()
--   superuser       pgdeck's role is a superuser (only one may create an
--                   event trigger)
--   schema_owner    the owner of a schema named pgdeck, NULL when none
--   schema_trusted  that owner is a superuser or the database owner
--   has_table       pgdeck.refresh_log is there (an ordinary table)
--   has_function    pgdeck.track_refresh() is there
--   has_trigger     the event trigger pgdeck_track_refresh is there
--   trigger_ours    it runs pgdeck.track_refresh()
--   others          what else schema pgdeck holds (relations, functions and
--                   types other than pgdeck's, the log's indexes, row type
--                   and identity sequence aside), as a list of names
WITH db AS (
    SELECT datdba FROM pg_database WHERE datname = current_database()
),
s AS (
    SELECT n.oid, n.nspowner FROM pg_namespace n WHERE n.nspname = 'pgdeck'
),
tbl AS (
    SELECT c.oid FROM pg_class c WHERE c.relnamespace = (SELECT oid FROM s)
       AND c.relname = 'refresh_log' AND c.relkind = 'r'
),
fn AS (
    SELECT p.oid FROM pg_proc p WHERE p.pronamespace = (SELECT oid FROM s)
       AND p.proname = 'track_refresh' AND p.pronargs = 0
),
others AS (
    SELECT c.relname::text AS name FROM pg_class c
     WHERE c.relnamespace = (SELECT oid FROM s)
       AND c.oid NOT IN (SELECT oid FROM tbl)
       AND NOT EXISTS (SELECT 1 FROM pg_index i WHERE i.indexrelid = c.oid AND i.indrelid IN (SELECT oid FROM tbl))
       AND NOT EXISTS (SELECT 1 FROM pg_depend d
                        WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                          AND d.refobjid IN (SELECT oid FROM tbl) AND d.deptype IN ('a', 'i'))
    UNION ALL
    SELECT p.proname::text || '()' FROM pg_proc p
     WHERE p.pronamespace = (SELECT oid FROM s) AND p.oid NOT IN (SELECT oid FROM fn)
    UNION ALL
    SELECT t.typname::text FROM pg_type t
     WHERE t.typnamespace = (SELECT oid FROM s) AND t.typrelid = 0 AND t.typelem = 0
)
SELECT current_database()                                              AS database,
       (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)    AS superuser,
       (SELECT pg_get_userbyid(nspowner) FROM s)                       AS schema_owner,
       (SELECT s.nspowner = (SELECT datdba FROM db)
               OR coalesce((SELECT rolsuper FROM pg_roles r WHERE r.oid = s.nspowner), false) FROM s)
                                                                       AS schema_trusted,
       EXISTS (SELECT 1 FROM tbl)                                      AS has_table,
       EXISTS (SELECT 1 FROM fn)                                       AS has_function,
       EXISTS (SELECT 1 FROM pg_event_trigger WHERE evtname = 'pgdeck_track_refresh') AS has_trigger,
       EXISTS (SELECT 1 FROM pg_event_trigger e WHERE e.evtname = 'pgdeck_track_refresh'
                  AND e.evtfoid IN (SELECT oid FROM fn))               AS trigger_ours,
       (SELECT string_agg(name, ', ' ORDER BY name) FROM others)       AS others
