-- Sizes for the capacity forecast, on a slow cadence: the current
-- database, and the partitioned tables that are not themselves partitions.
--
-- A partitioned table's size is not measured here: the partitions
-- collector already sums pg_total_relation_size over every leaf (skipping
-- locked ones) every 15 s, and pgdeck takes it from there, so a database
-- with 5,000 partitions pays for those size calls once, not twice.  This
-- query only names the tables and where their new partitions go: the
-- table's own tablespace (which new partitions inherit), else the
-- database's.  The forecast uses that filesystem.
--
-- pg_database_size walks the database's directory (about 0.1 s for 10,000
-- files) and takes no lock.  server_key names the server (its system
-- identifier, when this role may read it) so that each server keeps a
-- history of its own.
WITH db AS (
    SELECT d.oid, d.dattablespace FROM pg_database d WHERE d.datname = current_database()
),
server AS (
    SELECT CASE WHEN has_function_privilege('pg_control_system()', 'execute')
                THEN (SELECT system_identifier::text FROM pg_control_system()) END AS sysid
)
SELECT 'database'                                AS kind,
       current_database()                        AS name,
       ts.spcname                                AS tablespace,
       pg_database_size(db.oid)                  AS size,
       (SELECT sysid FROM server)                AS server_key
  FROM db
  JOIN pg_tablespace ts ON ts.oid = db.dattablespace
UNION ALL
SELECT 'partitioned_table',
       n.nspname || '.' || c.relname,
       ts.spcname,
       NULL,
       (SELECT sysid FROM server)
  FROM pg_partitioned_table pt
  JOIN pg_class c ON c.oid = pt.partrelid AND NOT c.relispartition
  JOIN pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_tablespace ts ON ts.oid = COALESCE(NULLIF(c.reltablespace, 0), (SELECT dattablespace FROM db))
 WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
   AND n.nspname !~ '^pg_toast'
