-- The texts of statements pgdeck has not seen yet ($1: bigint[] literal).
-- @extschema@: the extension's schema, as in statements.sql.
SELECT DISTINCT ON (s.queryid) s.queryid, s.query
  FROM @extschema@.pg_stat_statements(true::boolean) s
 WHERE s.queryid = ANY ($1::bigint[])
