-- What the indexes collector reads on most runs (src/subjects/indexes_read.c):
-- one row whose signature changes when indexes.sql's rows would change
-- other than by their sizes and scans, so that the full read (indexes.sql:
-- sizes, the lock table, definitions, duplicates) runs only then, and at
-- its exact cadence.  Catalog rows only: no relation opened, no size
-- function, no lock table read.
--
--   signature   changes when an index on a user table is created, dropped,
--               renamed, moved to another schema, rebuilt (REINDEX: a new
--               relfilenode), attached to a partitioned index, becomes
--               ready or valid (CREATE INDEX CONCURRENTLY), or its table or
--               either schema is renamed or altered (their row versions);
--               and with the server, database and role it is read on (the
--               database's oid, the postmaster's start, the user): a
--               restart or a failover reads in full
SELECT concat_ws(' ',
                 (SELECT d.oid FROM pg_database d WHERE d.datname = current_database()),
                 extract(epoch FROM pg_postmaster_start_time()), current_user,
                 count(*),
                 sum(hashtext(concat_ws(' ', i.indexrelid, i.xmin, i.indisvalid, i.indisready,
                                        ic.xmin, tc.xmin, n.xmin, tn.xmin))::int8)) AS signature
  FROM pg_namespace n
  JOIN pg_class ic ON ic.relnamespace = n.oid AND ic.relkind IN ('i', 'I')
  JOIN pg_index i ON i.indexrelid = ic.oid
  JOIN pg_class tc ON tc.oid = i.indrelid
  JOIN pg_namespace tn ON tn.oid = tc.relnamespace
 WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
   AND n.nspname !~ '^pg_toast'
