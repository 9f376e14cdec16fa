-- Actions: the relations an action names, and what the action needs to
-- know about them.  Read-only; run on the monitoring pool before the
-- preview.
--
--   $1 text[]  schemas, exactly as the catalog spells them
--   $2 text[]  names, the exact relnames (a name the operator typed was
--              parsed as an SQL identifier first: no search_path is used)
--
-- One row per input, in input order (i), found = false when there is no
-- such relation.  For an index, table_* describe its table.
--   unique_index     a valid UNIQUE index on plain columns without WHERE:
--                    what REFRESH MATERIALIZED VIEW CONCURRENTLY needs
-- (Whether the kit's log tables may be written is asked right before each
-- row is written: kit_log.sql.)
WITH input AS (
    SELECT u.i, u.in_schema, u.in_name
      FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS u(in_schema, in_name, i)
),
target AS (
    SELECT input.i, input.in_schema, input.in_name,
           (SELECT c.oid
              FROM pg_class c
              JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = input.in_schema AND c.relname = input.in_name) AS oid
      FROM input
)
SELECT t.i,
       t.in_schema,
       t.in_name,
       c.oid IS NOT NULL                                   AS found,
       c.oid,
       n.nspname                                           AS schema,
       c.relname                                           AS name,
       c.relkind::text                                     AS relkind,
       c.relispopulated                                    AS populated,
       EXISTS (SELECT 1 FROM pg_index x
                WHERE x.indrelid = c.oid AND x.indisunique AND x.indisvalid
                  AND x.indpred IS NULL AND x.indexprs IS NULL) AS unique_index,
       ix.indisvalid                                       AS index_valid,
       tn.nspname                                          AS table_schema,
       tc.relname                                          AS table_name,
       tc.relkind::text                                    AS table_kind
  FROM target t
  LEFT JOIN pg_class c ON c.oid = t.oid
  LEFT JOIN pg_namespace n ON n.oid = c.relnamespace
  LEFT JOIN pg_index ix ON ix.indexrelid = c.oid
  LEFT JOIN pg_class tc ON tc.oid = ix.indrelid
  LEFT JOIN pg_namespace tn ON tn.oid = tc.relnamespace
 ORDER BY t.i
