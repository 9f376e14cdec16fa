-- Actions: what pgdeck reads on the connection an action's statements run
-- on, before anything else is sent there.  Read-only.
--
--   $1 text[]  the relations the statements act on (quoted, qualified),
--              NULL for a statement about none
--
--   backend_pid   the server process this session runs in; pgdeck compares
--                 it with the pid the connection reported at startup, which
--                 a connection pooler makes up (see action.c)
--   system_id     pg_control_system()'s system identifier, NULL when the
--                 role may not call it (it is then called only through
--                 query_to_xml: a plain reference is refused when the query
--                 starts, whatever CASE says)
--   database_oid  this database
--   oids          each relation's OID, in input order, "," between; 0 when
--                 there is none by that name
SELECT pg_catalog.pg_backend_pid()                                     AS backend_pid,
       (SELECT CASE WHEN pg_catalog.has_function_privilege('pg_catalog.pg_control_system()', 'EXECUTE')
                    THEN substring(pg_catalog.query_to_xml(
                             'SELECT system_identifier AS s FROM pg_catalog.pg_control_system()',
                             false, false, '')::text FROM '<s>([0-9]+)</s>') END) AS system_id,
       (SELECT d.oid FROM pg_catalog.pg_database d
         WHERE d.datname = pg_catalog.current_database())              AS database_oid,
       -- By name in the catalog, which every role may read: to_regclass
       -- would need USAGE on the schema, and the server is the one to say
       -- no to the statement itself.
       (SELECT pg_catalog.string_agg(coalesce(
                   (SELECT c.oid::text
                      FROM pg_catalog.pg_class c
                      JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                     WHERE n.nspname = x.p[1] AND c.relname = x.p[2]), '0'), ',' ORDER BY u.i)
          FROM pg_catalog.unnest($1::text[]) WITH ORDINALITY AS u(r, i),
               LATERAL (SELECT pg_catalog.parse_ident(u.r) AS p) x) AS oids
