-- Actions: the tables the config's [retention] lines name, looked up
-- exactly as the catalog spells them (no search_path: a name nobody meant
-- cannot stand in).  Read-only.
--
--   $1 text[]  schemas
--   $2 text[]  names
--
-- One row per input, in input order (i); found = false when there is no
-- such relation.
SELECT u.i,
       c.oid IS NOT NULL AS found,
       c.relkind::text   AS relkind
  FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS u(in_schema, in_name, i)
  LEFT JOIN pg_catalog.pg_namespace n ON n.nspname = u.in_schema
  LEFT JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = u.in_name
 ORDER BY u.i
