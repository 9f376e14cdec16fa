-- EXPLAIN's catalog check (explain.c), read before the EXPLAIN and again,
-- inside its transaction, once the relations are locked: the relations a
-- query text names, found where the session's role finds them, and whether
-- planning them could run code of a role pgdeck does not trust.
--
--   $1 text    the role the query runs as (NULL: not known)
--   $2 text[]  each relation's schema as written, NULL when not written
--   $3 text[]  each relation's name
--
-- An unqualified name is looked up on the role's search_path setting
-- (pg_db_role_setting: the role in this database, the role anywhere, this
-- database; else PostgreSQL's default "$user", public), with pg_catalog
-- first unless the path places it, by exact schema and name in pg_class:
-- never through pgdeck's own search_path, and only in schemas the role may
-- use.  A server-wide search_path in postgresql.conf is not visible here.
--
-- Trusted: a superuser or the database owner.  Planning a relation expands
-- a view (its rule) and reads the code attached to a table: index
-- expressions and predicates, column defaults, constraints, policies,
-- rules, extended statistics, the partition key, and its columns' types
-- (a domain's constraints, a range's functions).  That is followed from
-- the relations named through partitions, inheritance children and what
-- views and rules read; a view or materialized view owned by another role,
-- or a function or operator of another role met on the way, is the reason
-- to refuse.  (A materialized view is not expanded, but LOCK TABLE cannot
-- take one: it could be replaced by a view between this check and the
-- EXPLAIN.)
--
-- One row per input relation, in order: ord, schema, name, oid, kind
-- (where it was found; NULL when not found), refusal (why planning it is
-- not safe, or NULL), search_path (the path used, for messages).
WITH RECURSIVE
input AS (
    SELECT i.ord, i.schema, i.name
      FROM ROWS FROM (pg_catalog.unnest($2::text[]), pg_catalog.unnest($3::text[])) WITH ORDINALITY AS i(schema, name, ord)
),
role AS (
    SELECT r.oid, r.rolname FROM pg_catalog.pg_roles r WHERE r.rolname = $1::text
),
db AS (
    SELECT d.oid, d.datdba FROM pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database()
),
trusted AS (
    SELECT r.oid FROM pg_catalog.pg_roles r WHERE r.rolsuper OR r.oid = (SELECT datdba FROM db)
),
setting AS (
    SELECT s.setconfig,
           CASE WHEN s.setrole <> 0 AND s.setdatabase <> 0 THEN 1
                WHEN s.setrole <> 0 THEN 2 ELSE 3 END AS rank
      FROM pg_catalog.pg_db_role_setting s
     WHERE (s.setrole = (SELECT oid FROM role) AND s.setdatabase IN (0, (SELECT oid FROM db)))
        OR (s.setrole = 0 AND s.setdatabase = (SELECT oid FROM db))
),
path_text AS (
    SELECT COALESCE((SELECT pg_catalog.substr(c, 13)
                       FROM setting, pg_catalog.unnest(setting.setconfig) AS c
                      WHERE c LIKE 'search\_path=%'
                      ORDER BY setting.rank
                      LIMIT 1),
                    '"$user", public') AS path
),
-- The path's items as the server splits them: quoted ones unquoted (""
-- for a quote), others folded to lower case (ASCII only, as PostgreSQL).
item AS (
    SELECT m.ord,
           CASE WHEN m.part[1] LIKE '"%'
                THEN pg_catalog.replace(pg_catalog.substr(m.part[1], 2, pg_catalog.length(m.part[1]) - 2), '""', '"')
                ELSE pg_catalog.translate(m.part[1], 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')
           END AS name
      FROM path_text,
           pg_catalog.regexp_matches(path_text.path, '("(?:[^"]|"")*"|[^,\s]+)', 'g') WITH ORDINALITY AS m(part, ord)
),
path AS (
    SELECT 0::bigint AS ord, 'pg_catalog'::text AS nspname
     WHERE NOT EXISTS (SELECT 1 FROM item WHERE item.name = 'pg_catalog')
    UNION ALL
    SELECT item.ord, CASE WHEN item.name = '$user' THEN (SELECT rolname FROM role)::text ELSE item.name END
      FROM item
),
found AS (
    SELECT i.ord, f.oid, f.nspname, f.relname, f.relkind
      FROM input i
      LEFT JOIN LATERAL (
          SELECT c.oid, n.nspname, c.relname, c.relkind
            FROM pg_catalog.pg_class c
            JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            LEFT JOIN path p ON p.nspname = n.nspname::text AND i.schema IS NULL
           WHERE c.relname = i.name
             AND (n.nspname = i.schema
                  OR (i.schema IS NULL AND p.ord IS NOT NULL
                      AND ((SELECT oid FROM role) IS NULL
                           OR pg_catalog.has_schema_privilege((SELECT oid FROM role), n.oid, 'USAGE'))))
           ORDER BY p.ord
           LIMIT 1
      ) f ON true
),
-- Every relation planning reaches from each one named.
reach(root, oid, depth) AS (
    SELECT found.ord, found.oid, 0 FROM found WHERE found.oid IS NOT NULL
  UNION
    SELECT r.root, x.oid, r.depth + 1
      FROM reach r
      JOIN pg_catalog.pg_class rc ON rc.oid = r.oid
     CROSS JOIN LATERAL (
          SELECT h.inhrelid AS oid FROM pg_catalog.pg_inherits h WHERE h.inhparent = r.oid
          UNION ALL
          SELECT d.refobjid
            FROM pg_catalog.pg_rewrite w
            JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_rewrite'::regclass AND d.objid = w.oid
                            AND d.refclassid = 'pg_catalog.pg_class'::regclass AND d.refobjid <> r.oid
           WHERE w.ev_class = r.oid AND rc.relkind <> 'm'
      ) x
     WHERE r.depth < 16
),
-- The objects planned with each relation reached.
part(root, rel, classid, objid) AS (
    SELECT r.root, r.oid, 'pg_catalog.pg_class'::regclass, r.oid FROM reach r
    UNION ALL
    SELECT r.root, r.oid, 'pg_catalog.pg_class'::regclass, i.indexrelid FROM reach r JOIN pg_catalog.pg_index i ON i.indrelid = r.oid
    UNION ALL
    SELECT r.root, r.oid, 'pg_catalog.pg_constraint'::regclass, c.oid FROM reach r JOIN pg_catalog.pg_constraint c ON c.conrelid = r.oid
    UNION ALL
    SELECT r.root, r.oid, 'pg_catalog.pg_attrdef'::regclass, a.oid FROM reach r JOIN pg_catalog.pg_attrdef a ON a.adrelid = r.oid
    UNION ALL
    SELECT r.root, r.oid, 'pg_catalog.pg_rewrite'::regclass, w.oid
      FROM reach r JOIN pg_catalog.pg_class c ON c.oid = r.oid JOIN pg_catalog.pg_rewrite w ON w.ev_class = r.oid
     WHERE c.relkind <> 'm'
    UNION ALL
    SELECT r.root, r.oid, 'pg_catalog.pg_policy'::regclass, p.oid FROM reach r JOIN pg_catalog.pg_policy p ON p.polrelid = r.oid
    UNION ALL
    SELECT r.root, r.oid, 'pg_catalog.pg_statistic_ext'::regclass, s.oid FROM reach r JOIN pg_catalog.pg_statistic_ext s ON s.stxrelid = r.oid
),
code(root, rel, classid, objid, objsubid, refclassid, refobjid) AS (
    SELECT p.root, p.rel, p.classid, p.objid, d.objsubid, d.refclassid, d.refobjid
      FROM part p
      JOIN pg_catalog.pg_depend d ON d.classid = p.classid AND d.objid = p.objid
     WHERE d.refclassid IN ('pg_catalog.pg_proc'::regclass, 'pg_catalog.pg_operator'::regclass, 'pg_catalog.pg_type'::regclass)
),
-- Types: what they are built on, and the code that runs for their values.
types(root, rel, classid, objid, objsubid, oid, depth) AS (
    SELECT c.root, c.rel, c.classid, c.objid, c.objsubid, c.refobjid, 0 FROM code c WHERE c.refclassid = 'pg_catalog.pg_type'::regclass
  UNION
    SELECT t.root, t.rel, t.classid, t.objid, t.objsubid, d.refobjid, t.depth + 1
      FROM types t
      JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_type'::regclass AND d.objid = t.oid
                      AND d.refclassid = 'pg_catalog.pg_type'::regclass
     WHERE t.depth < 8
),
calls(root, rel, classid, objid, objsubid, refclassid, refobjid) AS (
    SELECT c.root, c.rel, c.classid, c.objid, c.objsubid, c.refclassid, c.refobjid
      FROM code c WHERE c.refclassid <> 'pg_catalog.pg_type'::regclass
    UNION ALL
    SELECT t.root, t.rel, t.classid, t.objid, t.objsubid, d.refclassid, d.refobjid
      FROM types t
      JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_type'::regclass AND d.objid = t.oid
     WHERE d.refclassid IN ('pg_catalog.pg_proc'::regclass, 'pg_catalog.pg_operator'::regclass)
    UNION ALL
    SELECT t.root, t.rel, t.classid, t.objid, t.objsubid, d.refclassid, d.refobjid
      FROM types t
      JOIN pg_catalog.pg_constraint k ON k.contypid = t.oid
      JOIN pg_catalog.pg_depend d ON d.classid = 'pg_catalog.pg_constraint'::regclass AND d.objid = k.oid
     WHERE d.refclassid IN ('pg_catalog.pg_proc'::regclass, 'pg_catalog.pg_operator'::regclass)
),
reason(root, rank, why) AS (
    SELECT r.root, 1,
           pg_catalog.format('%s is owned by role %s, which is neither a superuser nor the database owner: %s',
                  pg_catalog.pg_describe_object('pg_catalog.pg_class'::regclass, c.oid, 0), pg_catalog.pg_get_userbyid(c.relowner),
                  CASE c.relkind WHEN 'v' THEN 'planning expands it and would run its code as pgdeck''s role'
                       ELSE 'pgdeck cannot lock it, and it could be replaced by a view before the plan is made' END)
      FROM reach r JOIN pg_catalog.pg_class c ON c.oid = r.oid
     WHERE c.relkind IN ('v', 'm') AND c.relowner NOT IN (SELECT oid FROM trusted)
    UNION ALL
    SELECT k.root, 2,
           pg_catalog.format('planning %s would run %s, owned by role %s, which is neither a superuser nor the database owner (through %s)',
                  pg_catalog.pg_describe_object('pg_catalog.pg_class'::regclass, k.rel, 0),
                  pg_catalog.pg_describe_object(k.refclassid, k.refobjid, 0), pg_catalog.pg_get_userbyid(o.owner),
                  pg_catalog.pg_describe_object(k.classid, k.objid, k.objsubid))
      FROM calls k
     CROSS JOIN LATERAL (
          SELECT p.proowner AS owner FROM pg_catalog.pg_proc p WHERE k.refclassid = 'pg_catalog.pg_proc'::regclass AND p.oid = k.refobjid
          UNION ALL
          SELECT o.oprowner FROM pg_catalog.pg_operator o WHERE k.refclassid = 'pg_catalog.pg_operator'::regclass AND o.oid = k.refobjid
      ) o
     WHERE o.owner NOT IN (SELECT oid FROM trusted)
)
SELECT i.ord,
       f.nspname AS schema,
       f.relname AS name,
       f.oid,
       f.relkind AS kind,
       (SELECT reason.why FROM reason WHERE reason.root = i.ord ORDER BY reason.rank, reason.why LIMIT 1) AS refusal,
       (SELECT path FROM path_text) AS search_path
  FROM input i
  JOIN found f ON f.ord = i.ord
 ORDER BY i.ord
