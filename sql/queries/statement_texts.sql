-- The texts of statements pgdeck has not seen yet ($1: bigint[] literal).
SELECT DISTINCT ON (s.queryid) s.queryid, s.query
  FROM pg_stat_statements(true) s
 WHERE s.queryid = ANY ($1::bigint[])
