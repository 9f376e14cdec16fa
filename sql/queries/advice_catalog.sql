-- The index advice: the relations its candidates are on ($1, an oid[]),
-- with what an index there could be built on and what is indexed already.
-- One row per relation.
--
--   columns    JSON object: column name -> whether a btree index can be
--              built on it (its type, a domain's base type or a type it is
--              binary-coercible to has a default btree operator class)
--   indexes    JSON array: for each valid index without a predicate, its
--              key columns in order (an expression as null): an advised
--              index is never one of these nor a prefix of one
--   rows       the planner's estimate
--   relkind    'r', 'p' or 'm' (what can be indexed)
WITH rel AS (
    SELECT c.oid, c.relkind, c.reltuples
      FROM pg_class c
     WHERE c.oid = ANY ($1::oid[]) AND c.relkind IN ('r', 'p', 'm')
),
btree_types AS (
    SELECT DISTINCT oc.opcintype AS typ
      FROM pg_opclass oc JOIN pg_am am ON am.oid = oc.opcmethod
     WHERE am.amname = 'btree' AND oc.opcdefault
)
SELECT r.oid,
       r.relkind::text AS relkind,
       greatest(r.reltuples, 0)::float8 AS rows,
       (SELECT json_object_agg(a.attname,
                   EXISTS (SELECT 1 FROM btree_types b
                            WHERE b.typ IN (a.atttypid, t.typbasetype)
                               OR b.typ IN (SELECT k.casttarget FROM pg_cast k
                                             WHERE k.castsource IN (a.atttypid, t.typbasetype)
                                               AND k.castmethod = 'b')
                               OR (b.typ = 'anyarray'::regtype AND t.typcategory = 'A')
                               OR (b.typ = 'anyenum'::regtype AND t.typtype = 'e')))::text
          FROM pg_attribute a
          JOIN pg_type t ON t.oid = a.atttypid
         WHERE a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped) AS columns,
       (SELECT coalesce(json_agg(k.cols), '[]')::text
          FROM (SELECT (SELECT json_agg(a.attname ORDER BY x.ord)
                          FROM unnest(string_to_array(i.indkey::text, ' ')::int2[]) WITH ORDINALITY AS x(attnum, ord)
                          LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = x.attnum
                         WHERE x.ord <= i.indnkeyatts) AS cols
                  FROM pg_index i
                 WHERE i.indrelid = r.oid AND i.indisvalid AND i.indpred IS NULL) k) AS indexes
  FROM rel r
