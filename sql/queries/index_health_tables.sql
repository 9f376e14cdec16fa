-- The 'table' rows of index_health (src/subjects/indexes.c, health_run):
-- one row per table the index plan names ($1 schemas, $2 names, as the
-- catalog spells them): found, relkind.  The kit's plan applies only where
-- most of its tables exist, and a planned index whose table is not there
-- is "no table".  Apart from index_health.sql so that only this small
-- statement is planned at each run (it has parameters); the columns are
-- index_health.sql's.
SELECT 'table'::text AS kind, p.schema, p.name AS table, NULL::text AS name,
       c.relkind IS NOT NULL AS found, c.relkind::text AS relkind, NULL::text AS columns,
       NULL::text AS referenced, NULL::float8 AS rows, NULL::float8 AS stats_reset,
       NULL::float8 AS server_start, NULL::float8 AS server_now
  FROM unnest($1::text[], $2::text[]) AS p(schema, name)
  LEFT JOIN pg_namespace n ON n.nspname = p.schema
  LEFT JOIN pg_class c ON c.relnamespace = n.oid AND c.relname = p.name
                      AND c.relkind IN ('r', 'p', 'm', 'f')
