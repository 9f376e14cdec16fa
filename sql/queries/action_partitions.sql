-- Actions: a partitioned table and its partitions, for partition
-- maintenance.  Read-only.
--
--   $1 text  schema, exactly as the catalog spells it
--   $2 text  table name, likewise (a name the operator typed was parsed
--            as an SQL identifier first: no search_path is used)
--
-- One row per partition (one row with NULL partition columns when there is
-- none; no row when the table does not exist).  Range bounds of a date or
-- timestamp key are given in UTC as 'YYYY-MM-DD HH24:MI:SS' (from_utc,
-- to_utc), MINVALUE / MAXVALUE as they are; now_utc is the server's clock.
WITH target AS (
    SELECT (SELECT c.oid
              FROM pg_class c
              JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = $1::text AND c.relname = $2::text) AS oid
),
parent AS (
    SELECT c.oid, n.nspname AS schema, c.relname AS name, c.relkind::text AS relkind,
           pt.partstrat::text AS strategy, pt.partnatts AS key_columns,
           a.attname AS key_column, format_type(a.atttypid, NULL) AS key_type,
           pg_get_partkeydef(c.oid) AS partition_key
      FROM target t
      JOIN pg_class c ON c.oid = t.oid
      JOIN pg_namespace n ON n.oid = c.relnamespace
      LEFT JOIN pg_partitioned_table pt ON pt.partrelid = c.oid
      LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = pt.partattrs[0]
                              AND pt.partattrs[0] <> 0
),
parts AS (
    SELECT i.inhparent, pn.nspname AS part_schema, pc.relname AS part_name, pc.relkind::text AS part_kind,
           pg_get_expr(pc.relpartbound, pc.oid) AS bound,
           -- inhdetachpending is PostgreSQL 14+: read it without naming it
           coalesce((to_jsonb(i) ->> 'inhdetachpending')::boolean, false) AS detach_pending
      FROM parent p
      JOIN pg_inherits i ON i.inhparent = p.oid
      JOIN pg_class pc ON pc.oid = i.inhrelid
      JOIN pg_namespace pn ON pn.oid = pc.relnamespace
),
split AS (
    SELECT parts.*,
           parts.bound = 'DEFAULT' AS is_default,
           btrim(m[1], '''') AS lo,
           btrim(m[2], '''') AS hi
      FROM parts
      LEFT JOIN LATERAL regexp_match(parts.bound, '^FOR VALUES FROM \((.*)\) TO \((.*)\)$') AS m ON true
)
SELECT p.schema, p.name, p.relkind, p.strategy, p.key_columns, p.key_column, p.key_type,
       p.partition_key,
       current_setting('server_version_num')::int AS server_version,
       to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') AS now_utc,
       s.part_schema, s.part_name, s.part_kind, s.bound, s.is_default, s.detach_pending,
       CASE WHEN s.lo IN ('MINVALUE', 'MAXVALUE') THEN s.lo
            WHEN p.key_type = 'date' THEN to_char(s.lo::date, 'YYYY-MM-DD') || ' 00:00:00'
            WHEN p.key_type = 'timestamp without time zone' THEN to_char(s.lo::timestamp, 'YYYY-MM-DD HH24:MI:SS')
            WHEN p.key_type = 'timestamp with time zone'
                 THEN to_char(s.lo::timestamptz AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS')
       END AS from_utc,
       CASE WHEN s.hi IN ('MINVALUE', 'MAXVALUE') THEN s.hi
            WHEN p.key_type = 'date' THEN to_char(s.hi::date, 'YYYY-MM-DD') || ' 00:00:00'
            WHEN p.key_type = 'timestamp without time zone' THEN to_char(s.hi::timestamp, 'YYYY-MM-DD HH24:MI:SS')
            WHEN p.key_type = 'timestamp with time zone'
                 THEN to_char(s.hi::timestamptz AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS')
       END AS to_utc,
       p.oid
  FROM parent p
  LEFT JOIN split s ON s.inhparent = p.oid
 ORDER BY s.is_default, s.lo, s.part_name
