-- What the partitions collector reads first on every run: one row per
-- partitioned table with its root and a signature of its place in the
-- catalog and of its direct partitions' activity, so that only the trees
-- whose signature changed since the last run are read again
-- (partitions.sql with their tables in $1).  Cheap at 5,000 partitions:
-- one pass over pg_inherits and pg_class, no relation opened, no size
-- function called.
--
--   oid, root_oid  the partitioned table and the root of its tree
--   signature      changes when the table's own pg_class row does (a
--                  rename, a new key), its schema is renamed, an ACCESS
--                  EXCLUSIVE lock is taken or awaited on it, or one of its
--                  direct partitions is created, attached, detached (the
--                  first step of DETACH CONCURRENTLY too), dropped,
--                  renamed, vacuumed or analyzed (relpages), or has rows
--                  inserted, updated or deleted (the statistics counters:
--                  sizes and row counts change then)
--   server_now     the server's clock, against which the bounds are
--                  compared (a tree is read again when now passes one)
--   server_id      which server, database and role these rows are of (the
--                  database's oid, the postmaster's start, the user): the
--                  rows a run saves for the next one (partitions_saved.c)
--                  are used only by a run that reads the same one; a
--                  restart or a failover starts afresh
--
-- The rows come in the order partitions.sql gives them (root, level,
-- name), so that the trees read again and the ones kept merge in it.
WITH
parted AS (
    SELECT c.oid, n.nspname, c.relname, c.xmin::text AS row_version,
           pg_partition_root(c.oid)::oid AS root,
           EXISTS (SELECT FROM pg_locks l
                    WHERE l.locktype = 'relation' AND l.relation = c.oid
                      AND l.mode = 'AccessExclusiveLock'
                      AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()))
               AS locked
      FROM pg_partitioned_table pt
      JOIN pg_class c ON c.oid = pt.partrelid
      JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind = 'p'
       AND n.nspname NOT IN ('pg_catalog', 'information_schema')
       AND n.nspname !~ '^pg_toast'
),
kids AS (
    SELECT i.inhparent AS oid,
           sum(hashtext(concat_ws(' ', c.oid, i.xmin, c.xmin, c.relpages,
                                  pg_stat_get_tuples_inserted(c.oid),
                                  pg_stat_get_tuples_updated(c.oid),
                                  pg_stat_get_tuples_deleted(c.oid)))::int8) AS signature
      FROM pg_inherits i
      JOIN pg_class c ON c.oid = i.inhrelid
     WHERE i.inhparent IN (SELECT oid FROM parted)
     GROUP BY i.inhparent
)
SELECT p.oid,
       p.root                                              AS root_oid,
       hashtext(concat_ws(' ', p.nspname, p.row_version, p.locked, k.signature)) AS signature,
       extract(epoch FROM now())::float8                   AS server_now,
       concat_ws(' ', (SELECT d.oid FROM pg_database d WHERE d.datname = current_database()),
                 extract(epoch FROM pg_postmaster_start_time()), current_user) AS server_id
  FROM parted p
  LEFT JOIN kids k ON k.oid = p.oid
  LEFT JOIN pg_class rn ON rn.oid = p.root
  LEFT JOIN pg_namespace rnn ON rnn.oid = rn.relnamespace
 ORDER BY rnn.nspname, rn.relname,
          (SELECT count(*) FROM pg_partition_ancestors(p.oid)), p.nspname, p.relname
