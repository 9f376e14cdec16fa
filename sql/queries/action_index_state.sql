-- Actions: the state of planned indexes in the catalog, for creating the
-- missing ones.  Read-only.
--
--   $1 text[]  schemas (of the tables, where the indexes go)
--   $2 text[]  index names
--   $3 text[]  table names
--
-- One row per input, in input order (i):
--   index_kind   relkind of whatever has the index's name ('i' an index,
--                'I' a partitioned index, anything else: the name is
--                taken), NULL when it is free
--   index_valid  pg_index.indisvalid of that index
--   table_kind   relkind of the table ('r', 'p', 'm'), NULL when missing
WITH input AS (
    SELECT u.i, u.schema, u.index_name, u.table_name
      FROM ROWS FROM (pg_catalog.unnest($1::text[]), pg_catalog.unnest($2::text[]), pg_catalog.unnest($3::text[])) WITH ORDINALITY AS u(schema, index_name, table_name, i)
)
SELECT input.i,
       ic.relkind::text     AS index_kind,
       ix.indisvalid        AS index_valid,
       tc.relkind::text     AS table_kind
  FROM input
  LEFT JOIN pg_catalog.pg_namespace n ON n.nspname = input.schema
  LEFT JOIN pg_catalog.pg_class ic ON ic.relnamespace = n.oid AND ic.relname = input.index_name
  LEFT JOIN pg_catalog.pg_index ix ON ix.indexrelid = ic.oid
  LEFT JOIN pg_catalog.pg_class tc ON tc.relnamespace = n.oid AND tc.relname = input.table_name
 ORDER BY input.i
