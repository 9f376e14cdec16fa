-- What the indexes pane needs beside each index's own row, in one query
-- (rows of two kinds, told apart by `kind`; index_health_tables.sql adds
-- the third, 'table', for the plan's tables: that part has parameters,
-- and a statement with parameters is planned again at each of its first
-- five runs, which at one run a minute is every run: 0.85 ms of backend
-- CPU a run for this one, issue 14):
--
--   'stats'  one row: when the statistics that "unused" is judged on
--            began: stats_reset of this database (epoch; NULL when never
--            reset), and the server's start (PostgreSQL 15 keeps
--            statistics over a clean restart, so without a reset they are
--            at least that old); server_now
--   'fk'     one row per foreign key (not the copies on partitions) whose
--            columns lead no valid, non-partial index of its table: a
--            DELETE or key UPDATE on the referenced table then reads the
--            whole referencing table.  columns: a JSON array of the
--            column names, in the key's order; referenced: the table it
--            points at; name: the constraint; rows: the table's estimate
--
-- Catalog only, no lock taken or waited for.
WITH
fk AS (
    SELECT k.conname, k.conrelid, k.conkey, k.confrelid, n.nspname, t.relname, t.reltuples
      FROM pg_constraint k
      JOIN pg_class t ON t.oid = k.conrelid
      JOIN pg_namespace n ON n.oid = t.relnamespace
     WHERE k.contype = 'f' AND k.conparentid = 0
       AND n.nspname NOT IN ('pg_catalog', 'information_schema')
       AND n.nspname !~ '^pg_toast'
),
-- An index serves the key when its first key columns are the key's
-- columns, in any order.
unindexed AS (
    SELECT f.*
      FROM fk f
     WHERE NOT EXISTS (
           SELECT 1
             FROM pg_index i
            WHERE i.indrelid = f.conrelid AND i.indisvalid AND i.indpred IS NULL
              AND i.indnkeyatts >= cardinality(f.conkey)
              AND (string_to_array(i.indkey::text, ' ')::int2[])[1:cardinality(f.conkey)] @> f.conkey
              AND (string_to_array(i.indkey::text, ' ')::int2[])[1:cardinality(f.conkey)] <@ f.conkey)
)
SELECT 'stats'::text AS kind, NULL::text AS schema, NULL::text AS table, NULL::text AS name,
       NULL::boolean AS found, NULL::text AS relkind, NULL::text AS columns, NULL::text AS referenced,
       NULL::float8 AS rows,
       extract(epoch FROM d.stats_reset)::float8 AS stats_reset,
       extract(epoch FROM pg_postmaster_start_time())::float8 AS server_start,
       extract(epoch FROM now())::float8 AS server_now
  FROM (SELECT 1) AS one
  LEFT JOIN pg_stat_database d ON d.datname = current_database()
UNION ALL
SELECT 'fk', u.nspname, u.relname, u.conname, true, NULL,
       (SELECT json_agg(a.attname::text ORDER BY k.ord)::text
          FROM unnest(u.conkey) WITH ORDINALITY AS k(attnum, ord)
          JOIN pg_attribute a ON a.attrelid = u.conrelid AND a.attnum = k.attnum),
       (SELECT rn.nspname || '.' || r.relname FROM pg_class r JOIN pg_namespace rn ON rn.oid = r.relnamespace
         WHERE r.oid = u.confrelid),
       greatest(u.reltuples, 0)::float8, NULL, NULL, NULL
  FROM unindexed u
