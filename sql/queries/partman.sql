-- pg_partman's parents (src/subjects/partitions.c): one row per table in
-- its part_config, with how pg_partman maintains it.  pg_partman's schema
-- is looked up (like pg_stat_statements'), never assumed, and its
-- configuration is read only when part_config is an ordinary table owned
-- by the database owner or a superuser, in a schema owned by one, and
-- every run_maintenance there is owned by one too (`m` calls it: another role's function would run as
-- pgdeck's role).  part_config is read through query_to_xml, since its
-- schema is known only here.  No row when pg_partman is not installed.
--
--   schema, table      the parent, as the catalog spells it
--   partman_schema     where pg_partman is installed
--   trusted            false: part_config or run_maintenance is another
--                      role's (the row says so, `m` does not call it)
--   interval, premake, retention, retention_keep_table, partition_type
--                      part_config's own values
WITH db AS (
    SELECT datdba FROM pg_database WHERE datname = current_database()
),
-- The schema's owner must be trusted too: it may drop part_config and put
-- anything in its place between the check and the read.
ext AS (
    SELECT e.extnamespace, n.nspname,
           n.nspowner IN ((SELECT datdba FROM db), 'pg_database_owner'::regrole)
               OR coalesce(nr.rolsuper, false) AS schema_trusted
      FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
      LEFT JOIN pg_roles nr ON nr.oid = n.nspowner
     WHERE e.extname = 'pg_partman'
),
cfg AS (
    SELECT c.oid,
           c.relkind = 'r' AND (c.relowner = (SELECT datdba FROM db) OR coalesce(r.rolsuper, false))
               AND ext.schema_trusted AND has_table_privilege(c.oid, 'SELECT') AS trusted
      FROM pg_class c
      JOIN ext ON c.relnamespace = ext.extnamespace
      LEFT JOIN pg_roles r ON r.oid = c.relowner
     WHERE c.relname = 'part_config'
),
fn AS (
    SELECT coalesce(bool_and(p.proowner = (SELECT datdba FROM db) OR coalesce(r.rolsuper, false)), false) AS trusted
      FROM pg_proc p
      JOIN ext ON p.pronamespace = ext.extnamespace
      LEFT JOIN pg_roles r ON r.oid = p.proowner
     WHERE p.proname = 'run_maintenance'
),
doc AS (
    SELECT query_to_xml(format($q$
               SELECT json_agg(json_build_object(
                          'parent', parent_table, 'interval', partition_interval, 'premake', premake,
                          'retention', retention, 'keep_table', retention_keep_table,
                          'type', partition_type))::text AS j
                 FROM ONLY %I.part_config
           $q$, ext.nspname), false, false, '')::text AS x
      FROM ext, cfg
     WHERE cfg.trusted
),
rows AS (
    SELECT e->>'parent' AS parent, e->>'interval' AS interval, (e->>'premake')::int AS premake,
           e->>'retention' AS retention, (e->>'keep_table')::boolean AS keep_table, e->>'type' AS type
      FROM doc,
           json_array_elements(replace(replace(replace(replace(
                   substring(x FROM '<j>(.*)</j>'),
                   '&lt;', '<'), '&gt;', '>'), '&#x0d;', chr(13)), '&amp;', '&')::json) AS e
     WHERE x LIKE '%<j>%'
)
SELECT n.nspname                                            AS schema,
       c.relname                                            AS table,
       r.parent,
       (SELECT nspname FROM ext)                            AS partman_schema,
       (SELECT trusted FROM fn)                             AS trusted,
       r.interval,
       r.premake,
       r.retention,
       r.keep_table                                         AS retention_keep_table,
       r.type                                               AS partition_type
  FROM rows r
  JOIN pg_class c ON c.oid = to_regclass(r.parent)
  JOIN pg_namespace n ON n.oid = c.relnamespace
UNION ALL
SELECT NULL, NULL, NULL, (SELECT nspname FROM ext), false, NULL, NULL, NULL, NULL,
       'part_config is not an ordinary table owned by the database owner or a superuser: not read'
  FROM cfg WHERE NOT cfg.trusted
