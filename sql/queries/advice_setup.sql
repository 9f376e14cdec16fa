-- The index advice, before anything else (src/subjects/indexes_advice.c):
-- where hypopg is (the extension's schema, looked up like
-- pg_stat_statements': never assumed), whether it can be trusted, and
-- whether it could be installed.  One row.
--
--   database          current_database(): the statements read are this
--                     database's
--   server_version    server_version_num
--   hypopg_schema     the schema hypopg is installed in, or NULL
--   hypopg_trusted    every function of that schema named hypopg_* is owned
--                     by a superuser or the database owner (an overload
--                     another role planted there is never called)
--   hypopg_available  the server has the extension's files (Debian:
--                     postgresql-15-hypopg) though it is not installed here
--   superuser         pgdeck's role may CREATE EXTENSION hypopg (it is not a
--                     trusted extension: only a superuser may)
WITH db AS (
    SELECT datdba FROM pg_database WHERE datname = current_database()
),
ext AS (
    SELECT e.extnamespace, n.nspname
      FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
     WHERE e.extname = 'hypopg'
)
SELECT current_database()                                       AS database,
       current_setting('server_version_num')::int               AS server_version,
       (SELECT nspname FROM ext)                                AS hypopg_schema,
       NOT EXISTS (SELECT 1
                     FROM pg_proc p
                     LEFT JOIN pg_roles r ON r.oid = p.proowner
                    WHERE p.pronamespace = (SELECT extnamespace FROM ext)
                      AND p.proname LIKE 'hypopg%'
                      AND NOT (p.proowner = (SELECT datdba FROM db) OR coalesce(r.rolsuper, false)))
                                                                AS hypopg_trusted,
       EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'hypopg') AS hypopg_available,
       (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) AS superuser
