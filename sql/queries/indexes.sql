-- Indexes as the catalog has them, for comparison with the index plan
-- (pgdeck joins them by schema and index name).  One row per index on a
-- user table, except the per-partition copies of a partitioned index
-- (their size and scans are summed into the partitioned index's row),
-- which appear only when INVALID (a failed CREATE INDEX CONCURRENTLY on a
-- partition leaves one behind).
--
--   valid, ready     pg_index.indisvalid / indisready: a CREATE INDEX
--                    CONCURRENTLY in progress or failed leaves valid = f
--   size             bytes; NULL while an AccessExclusiveLock is held or
--                    waited for on the index or its table
--   scans            idx_scan since the statistics were reset
--   enforces         the index backs a primary key, unique or exclusion
--                    constraint, or is unique: never "unused"
--   duplicate_of     other indexes of the same table with the same access
--                    method, columns (or expressions), operator classes,
--                    collations, options and predicate
--   redundant_of     other btree indexes of the same table whose leading key
--                    columns are this one's (a prefix: same columns, operator
--                    classes, collations and options, in order) with the
--                    same predicate: they answer its queries too.  Only for
--                    a plain btree index on columns (no expression, no
--                    INCLUDE) that enforces nothing
--   definition       pg_get_indexdef(); NULL while the index or its table is
--                    under an ACCESS EXCLUSIVE lock (it would wait for it)
WITH
idx AS (
    SELECT i.indexrelid AS oid, i.indrelid, n.nspname AS schema, ic.relname AS index_name,
           tn.nspname AS table_schema, tc.relname AS table_name, am.amname AS method,
           ic.relkind = 'I' AS partitioned, ic.relispartition,
           i.indisunique, i.indisprimary, i.indisexclusion, i.indisvalid, i.indisready,
           i.indnatts, i.indnkeyatts, i.indkey, i.indclass, i.indcollation, i.indoption, i.indexprs, i.indpred
      FROM pg_index i
      JOIN pg_class ic ON ic.oid = i.indexrelid
      JOIN pg_namespace n ON n.oid = ic.relnamespace
      JOIN pg_class tc ON tc.oid = i.indrelid
      JOIN pg_namespace tn ON tn.oid = tc.relnamespace
      JOIN pg_am am ON am.oid = ic.relam
     WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
       AND n.nspname !~ '^pg_toast'
       -- pgdeck's own refresh log (run track-views) is not the user's
       -- index health
       AND NOT (tn.nspname = 'pgdeck' AND tc.relname = 'refresh_log')
),
locked AS (
    SELECT DISTINCT l.relation
      FROM pg_locks l
     WHERE l.mode = 'AccessExclusiveLock' AND l.locktype = 'relation'
       AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
),
measured AS (
    SELECT x.oid,
           CASE WHEN x.partitioned THEN NULL
                WHEN EXISTS (SELECT 1 FROM locked k WHERE k.relation IN (x.oid, x.indrelid)) THEN NULL
                ELSE pg_relation_size(x.oid) END AS size,
           pg_stat_get_numscans(x.oid) AS scans
      FROM idx x
),
-- Per-partition indexes counted into every partitioned index above them.
rolled AS (
    SELECT a.relid AS top, sum(m.size) AS size, sum(m.scans) AS scans,
           count(*) FILTER (WHERE m.size IS NULL) AS skipped
      FROM idx x
      JOIN measured m ON m.oid = x.oid
      CROSS JOIN LATERAL pg_partition_ancestors(x.oid) a
     WHERE x.relispartition AND NOT x.partitioned AND a.relid <> x.oid
     GROUP BY a.relid
),
-- The shape of an index, to find duplicates: expressions and predicates
-- compared as stored node trees without their parse locations, because
-- pg_get_expr() would open (and wait for a lock on) the table.
listed AS (
    SELECT x.*,
           md5(concat_ws('|', x.indrelid, x.method, x.indkey::text, x.indclass::text,
                         x.indcollation::text, x.indoption::text,
                         regexp_replace(x.indexprs::text, ' :location -?[0-9]+', '', 'g'),
                         regexp_replace(x.indpred::text, ' :location -?[0-9]+', '', 'g'))) AS shape,
           EXISTS (SELECT 1 FROM locked k WHERE k.relation IN (x.oid, x.indrelid)) AS locked
      FROM idx x
     WHERE NOT x.relispartition OR NOT x.indisvalid
),
-- Duplicates among the valid indexes (an INVALID one is shown as such).
shapes AS (
    SELECT l.oid, array_agg(o.schema || '.' || o.index_name ORDER BY o.index_name) AS others
      FROM listed l
      JOIN listed o ON o.shape = l.shape AND o.oid <> l.oid AND o.indisvalid
     WHERE l.indisvalid
     GROUP BY l.oid
),
-- pg_constraint has no index on conindid: read it once.
constrained AS (
    SELECT DISTINCT c.conindid AS oid FROM pg_constraint c WHERE c.conindid <> 0
),
-- Redundant: the vectors compared as text with a trailing blank, so that
-- "1 " is a prefix of "1 2 " and not of "10 2 ".  Exact duplicates (the
-- same shape) are duplicate_of's, not these.
redundant AS (
    SELECT l.oid, array_agg(o.schema || '.' || o.index_name ORDER BY o.index_name) AS others
      FROM listed l
      JOIN listed o ON o.indrelid = l.indrelid AND o.oid <> l.oid AND o.indisvalid
                   AND o.shape <> l.shape AND o.method = 'btree'
     WHERE l.indisvalid AND l.method = 'btree' AND l.indexprs IS NULL
       AND l.indnatts = l.indnkeyatts
       AND NOT (l.indisunique OR l.indisprimary OR l.indisexclusion)
       AND NOT EXISTS (SELECT 1 FROM constrained k WHERE k.oid = l.oid)
       AND l.indnkeyatts <= o.indnkeyatts
       AND starts_with(o.indkey::text || ' ', l.indkey::text || ' ')
       AND starts_with(o.indclass::text || ' ', l.indclass::text || ' ')
       AND starts_with(o.indcollation::text || ' ', l.indcollation::text || ' ')
       AND starts_with(o.indoption::text || ' ', l.indoption::text || ' ')
       AND coalesce(regexp_replace(l.indpred::text, ' :location -?[0-9]+', '', 'g'), '')
         = coalesce(regexp_replace(o.indpred::text, ' :location -?[0-9]+', '', 'g'), '')
     GROUP BY l.oid
)
SELECT l.schema || '.' || l.index_name                          AS name,
       l.schema,
       l.index_name                                             AS index,
       l.table_schema || '.' || l.table_name                    AS table,
       l.oid                                                    AS index_oid,
       l.method,
       l.indisunique                                            AS is_unique,
       l.indisprimary                                           AS is_primary,
       l.indisunique OR l.indisprimary OR l.indisexclusion OR k.oid IS NOT NULL AS enforces,
       l.indisvalid                                             AS valid,
       l.indisready                                             AS ready,
       l.partitioned,
       l.relispartition                                         AS is_partition,
       CASE WHEN l.partitioned THEN r.size ELSE m.size END      AS size,
       CASE WHEN l.partitioned THEN coalesce(r.scans, 0) ELSE m.scans END AS scans,
       array_to_string(s.others, ', ')                          AS duplicate_of,
       array_to_string(rd.others, ', ')                         AS redundant_of,
       CASE WHEN NOT l.locked THEN pg_get_indexdef(l.oid) END   AS definition
  FROM listed l
  JOIN measured m ON m.oid = l.oid
  LEFT JOIN rolled r ON r.top = l.oid
  LEFT JOIN shapes s ON s.oid = l.oid
  LEFT JOIN constrained k ON k.oid = l.oid
  LEFT JOIN redundant rd ON rd.oid = l.oid
 ORDER BY l.table_schema, l.table_name, l.index_name
