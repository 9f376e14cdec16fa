-- Partitioned tables: one row per partitioned table, nested ones too (a
-- partition that is itself partitioned has its own row, with its parent
-- and root named).  One query for the whole database, no per-table loop;
-- or, with $1 (an oid[]), for those partitioned tables only: the
-- partitions collector reads everything once, then only the trees whose
-- signature changed (partitions_signature.sql), each tree whole ($1 holds
-- all its partitioned tables).
--
--   partitions       direct partitions (the default one included)
--   leaves           leaf partitions in the whole tree below the table
--   size             bytes, pg_total_relation_size summed over the leaves
--                    (the parent has no storage); leaves that hold or wait
--                    for an AccessExclusiveLock are skipped (size_skipped)
--                    because the size functions would queue behind the lock
--   rows             estimated: live tuples from the statistics, else
--                    reltuples, summed over the leaves
--   oldest, newest   lowest lower bound and highest upper bound of the
--                    direct range partitions, as PostgreSQL prints them
--                    (MINVALUE / MAXVALUE included); first key column only
--   *_epoch          the same as seconds since the epoch when the first key
--                    column is a date or a timestamp
--   covered_until    end (epoch) of the run of contiguous range partitions
--                    that contains now(); NULL when no partition holds now
--   current_to       upper bound (epoch) of the partition that holds now
--   partitions_ahead partitions wholly after that one in the same run
--   partition_seconds median width of the finite time partitions
--   default_rows     estimated rows in the default partition (its tree)
--   children         the direct partitions as a JSON array of arrays: the
--                    first names the fields (name, oid, bound, size, rows,
--                    from/to (epoch), is_default, partitioned), each next
--                    one is a partition (see struct children in
--                    src/subjects/partitions.h)
--   next_bound       the first bound (epoch) of a time partition after now:
--                    coverage and the partition holding now change then
--   root_oid         oid of the root (of the table itself for a root)
--
-- Nothing here may wait on a lock: in PostgreSQL 15 pg_get_expr(expr, relid)
-- and pg_get_partkeydef() open the relation (and so queue behind an
-- ACCESS EXCLUSIVE lock, held by DETACH, DROP, a plain REFRESH ...).
-- Partition bounds hold no column references, so pg_get_expr(bound, 0)
-- needs no relation; the key of a locked table is left NULL.
WITH
parted AS (
    SELECT c.oid, n.nspname AS schema, c.relname AS table_name, c.relispartition,
           pt.partstrat, pt.partnatts,
           CASE WHEN pt.partattrs[0] <> 0 THEN
                (SELECT a.atttypid FROM pg_attribute a
                  WHERE a.attrelid = c.oid AND a.attnum = pt.partattrs[0]) END AS key_type
      FROM pg_partitioned_table pt
      JOIN pg_class c ON c.oid = pt.partrelid
      JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind = 'p'
       AND n.nspname NOT IN ('pg_catalog', 'information_schema')
       AND n.nspname !~ '^pg_toast'
       AND ($1::oid[] IS NULL OR c.oid = ANY ($1::oid[]))
),
-- Every partition, with its own parent.
part AS (
    SELECT c.oid, i.inhparent AS parent, c.relname, n.nspname, c.relkind, c.reltuples,
           pg_get_expr(c.relpartbound, 0) AS bound
      FROM pg_inherits i
      JOIN pg_class c ON c.oid = i.inhrelid AND c.relispartition
      JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind IN ('r', 'p', 'f')
       AND ($1::oid[] IS NULL OR i.inhparent = ANY ($1::oid[]))
),
-- Relations under an ACCESS EXCLUSIVE lock, held or awaited, and the
-- tables of indexes under one (pg_total_relation_size opens the indexes).
exclusive AS (
    SELECT l.relation
      FROM pg_locks l
     WHERE l.mode = 'AccessExclusiveLock' AND l.locktype = 'relation'
       AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
),
locked AS (
    SELECT relation FROM exclusive
    UNION
    SELECT i.indrelid FROM exclusive e JOIN pg_index i ON i.indexrelid = e.relation
),
-- Leaves with their size (NULL when locked or foreign) and row estimate.
leaf AS (
    SELECT p.oid,
           CASE WHEN p.relkind = 'r' AND k.relation IS NULL
                THEN pg_total_relation_size(p.oid) END AS size,
           p.relkind = 'r' AND k.relation IS NOT NULL AS skipped,
           CASE WHEN pg_stat_get_live_tuples(p.oid) > 0 THEN pg_stat_get_live_tuples(p.oid)::float8
                ELSE greatest(p.reltuples, 0)::float8 END AS rows
      FROM part p
      LEFT JOIN locked k ON k.relation = p.oid
     WHERE p.relkind <> 'p'
),
-- (ancestor, leaf) for every partitioned table and every leaf below it.
-- pg_partition_ancestors reads pg_inherits without taking locks (unlike
-- pg_partition_tree, which locks every partition) and keeps the planner's
-- estimates sane where a recursive CTE would not.
tree AS (
    SELECT a.relid AS top, l.oid
      FROM leaf l, pg_partition_ancestors(l.oid) a
     WHERE a.relid <> l.oid
),
subtree AS (
    SELECT t.top, count(*) AS leaves, sum(l.size) AS size, sum(l.rows) AS rows,
           count(*) FILTER (WHERE l.skipped) AS skipped
      FROM tree t JOIN leaf l ON l.oid = t.oid
     GROUP BY t.top
),
-- Direct partitions with their bounds taken apart (first key column).
child AS (
    SELECT p.oid, p.parent, p.relname, p.nspname, p.relkind, p.bound,
           p.bound = 'DEFAULT' AS is_default,
           pr.key_type, pr.partstrat,
           m.lo_raw, m.hi_raw,
           CASE WHEN p.relkind = 'p' THEN s.size ELSE l.size END AS size,
           CASE WHEN p.relkind = 'p' THEN s.rows ELSE l.rows END AS rows
      FROM part p
      JOIN parted pr ON pr.oid = p.parent
      LEFT JOIN leaf l ON l.oid = p.oid
      LEFT JOIN subtree s ON s.top = p.oid
      LEFT JOIN LATERAL (
          SELECT substring(r[1] FROM '^(''(?:[^'']|'''')*''|[^,]+)') AS lo_raw,
                 substring(r[2] FROM '^(''(?:[^'']|'''')*''|[^,]+)') AS hi_raw
            FROM regexp_match(p.bound, '^FOR VALUES FROM \((.*)\) TO \((.*)\)$') r
      ) m ON pr.partstrat = 'r'
),
-- The bounds as text and, for date/timestamp keys, as epoch seconds.
bounds AS (
    SELECT ch.*,
           CASE WHEN lo_raw LIKE '''%' THEN replace(substr(lo_raw, 2, length(lo_raw) - 2), '''''', '''')
                ELSE lo_raw END AS lo,
           CASE WHEN hi_raw LIKE '''%' THEN replace(substr(hi_raw, 2, length(hi_raw) - 2), '''''', '''')
                ELSE hi_raw END AS hi,
           ch.key_type IN ('date'::regtype, 'timestamp'::regtype, 'timestamptz'::regtype) AS timed,
           ch.key_type IN ('int2'::regtype, 'int4'::regtype, 'int8'::regtype, 'numeric'::regtype) AS numbered
      FROM child ch
),
ranged AS (
    SELECT b.*,
           CASE WHEN lo = 'MINVALUE' THEN '-Infinity'::float8
                WHEN timed THEN extract(epoch FROM lo::timestamptz)::float8
                WHEN numbered THEN lo::numeric::float8 END AS lo_sort,
           CASE WHEN hi = 'MAXVALUE' THEN 'Infinity'::float8
                WHEN timed THEN extract(epoch FROM hi::timestamptz)::float8
                WHEN numbered THEN hi::numeric::float8 END AS hi_sort
      FROM bounds b
),
-- Runs of contiguous time partitions ("islands"): a run breaks where a
-- partition starts after everything before it has ended.
runs AS (
    SELECT parent, lo_sort, hi_sort,
           sum(CASE WHEN prev_hi IS NULL OR lo_sort > prev_hi THEN 1 ELSE 0 END)
               OVER (PARTITION BY parent ORDER BY lo_sort, hi_sort) AS run
      FROM (SELECT parent, lo_sort, hi_sort,
                   max(hi_sort) OVER (PARTITION BY parent ORDER BY lo_sort, hi_sort
                                      ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_hi
              FROM ranged WHERE timed AND NOT is_default AND lo_sort IS NOT NULL) x
),
clock AS (
    SELECT extract(epoch FROM now())::float8 AS now
),
-- The partition that holds now, the run it belongs to, how far that run
-- reaches and how many partitions of it lie wholly after the one holding
-- now.  (Partitions never overlap, so each table has at most one holder.)
holder AS MATERIALIZED (
    SELECT r.parent, r.run, r.hi_sort AS current_to
      FROM runs r, clock
     WHERE r.lo_sort <= clock.now AND clock.now < r.hi_sort
),
ahead AS (
    SELECT h.parent, h.current_to, max(r.hi_sort) AS covered_until,
           count(*) FILTER (WHERE r.lo_sort >= h.current_to) AS partitions_ahead
      FROM holder h
      JOIN runs r ON r.parent = h.parent AND r.run = h.run
     GROUP BY h.parent, h.current_to
),
per_table AS (
    SELECT r.parent,
           count(*) AS partitions,
           bool_or(is_default) AS has_default,
           max(relname) FILTER (WHERE is_default) AS default_name,
           sum(rows) FILTER (WHERE is_default) AS default_rows,
           (array_agg(lo ORDER BY lo_sort NULLS LAST, lo) FILTER (WHERE lo IS NOT NULL))[1] AS oldest,
           (array_agg(hi ORDER BY hi_sort DESC NULLS LAST, hi DESC) FILTER (WHERE hi IS NOT NULL))[1] AS newest,
           min(lo_sort) FILTER (WHERE timed) AS oldest_epoch,
           max(hi_sort) FILTER (WHERE timed) AS newest_epoch,
           percentile_cont(0.5) WITHIN GROUP (ORDER BY hi_sort - lo_sort)
               FILTER (WHERE timed AND lo_sort > '-Infinity' AND hi_sort < 'Infinity') AS partition_seconds,
           least(min(lo_sort) FILTER (WHERE timed AND lo_sort > (SELECT now FROM clock)),
                 min(hi_sort) FILTER (WHERE timed AND hi_sort > (SELECT now FROM clock)
                                      AND hi_sort < 'Infinity')) AS next_bound,
           -- A table of JSON arrays: first the fields' names, then one
           -- array per partition, each value by to_json.  The names said
           -- once instead of in every partition's object: 74 bytes less a
           -- partition, 36 % of children, which is most of this result, of
           -- the snapshot kept from it and of the state file (1.03 MB at
           -- 5,000 partitions; issue 14, aim 3).
           '[["name","oid","bound","size","rows","from","to","is_default","partitioned"],' || string_agg(
               '[' || to_json(nspname || '.' || relname)::text ||
               ',' || to_json(oid)::text ||
               ',' || coalesce(to_json(bound)::text, 'null') ||
               ',' || coalesce(to_json(size)::text, 'null') ||
               ',' || coalesce(to_json(round(rows::numeric))::text, 'null') ||
               ',' || coalesce(to_json(CASE WHEN timed OR numbered THEN lo_sort END)::text, 'null') ||
               ',' || coalesce(to_json(CASE WHEN timed OR numbered THEN hi_sort END)::text, 'null') ||
               ',' || coalesce(to_json(is_default)::text, 'null') ||
               ',' || coalesce(to_json(relkind = 'p')::text, 'null') || ']',
               ',' ORDER BY is_default, lo_sort NULLS LAST, lo, relname) || ']' AS children
      FROM ranged r
     GROUP BY r.parent
),
-- Each partitioned table's root and depth (0 for a root).
ancestry AS (
    SELECT p.oid, pg_partition_root(p.oid) AS root,
           (SELECT count(*) - 1 FROM pg_partition_ancestors(p.oid)) AS level
      FROM parted p
)
SELECT p.schema || '.' || p.table_name                     AS name,
       p.schema,
       p.table_name                                        AS table,
       ppn.nspname || '.' || pp.relname                    AS parent,
       rnn.nspname || '.' || rn.relname                    AS root,
       coalesce(a.level, 0)                                AS level,
       CASE p.partstrat WHEN 'r' THEN 'range' WHEN 'l' THEN 'list' WHEN 'h' THEN 'hash' END AS strategy,
       CASE WHEN NOT EXISTS (SELECT 1 FROM locked k WHERE k.relation = p.oid)
            THEN pg_get_partkeydef(p.oid) END                AS partition_key,
       format_type(p.key_type, NULL)                       AS key_type,
       coalesce(t.partitions, 0)                           AS partitions,
       coalesce(s.leaves, 0)                               AS leaves,
       coalesce(s.size, 0)                                 AS size,
       coalesce(s.skipped, 0)                              AS size_skipped,
       round(coalesce(s.rows, 0)::numeric)                 AS rows,
       t.oldest,
       t.newest,
       t.oldest_epoch,
       t.newest_epoch,
       ah.covered_until,
       ah.current_to,
       ah.partitions_ahead,
       t.partition_seconds,
       coalesce(t.has_default, false)                      AS has_default,
       t.default_name,
       round(t.default_rows::numeric)                      AS default_rows,
       (SELECT now FROM clock)                             AS server_now,
       coalesce(t.children, '[["name","oid","bound","size","rows","from","to","is_default","partitioned"]]')
                                                           AS children,
       t.next_bound,
       coalesce(a.root::oid, p.oid)                        AS root_oid,
       p.oid                                               AS oid
  FROM parted p
  LEFT JOIN per_table t ON t.parent = p.oid
  LEFT JOIN subtree s ON s.top = p.oid
  LEFT JOIN ahead ah ON ah.parent = p.oid
  LEFT JOIN ancestry a ON a.oid = p.oid
  LEFT JOIN pg_inherits pi ON pi.inhrelid = p.oid
  LEFT JOIN pg_class pp ON pp.oid = pi.inhparent
  LEFT JOIN pg_namespace ppn ON ppn.oid = pp.relnamespace
  LEFT JOIN pg_class rn ON rn.oid = a.root
  LEFT JOIN pg_namespace rnn ON rnn.oid = rn.relnamespace
 ORDER BY rnn.nspname, rn.relname, coalesce(a.level, 0), p.schema, p.table_name
