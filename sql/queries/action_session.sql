-- Actions: the session a cancel, terminate or EXPLAIN is about, read just
-- before the preview so that it shows what will be signalled, and again
-- just before a signal is sent.  Always one row: the session's columns are
-- NULL when there is no such backend.
--
--   $1 int          the backend pid (NULL: only the database is wanted,
--                   for an EXPLAIN of a pg_stat_statements text)
--   $2 timestamptz  the backend_start the operator's selection had, or
--                   NULL when the pid was typed: a pid is reused by a later
--                   backend, and same_backend tells the two apart
SELECT pg_catalog.current_database()                         AS current_database,
       pg_catalog.current_setting('server_version_num')::int AS server_version,
       a.pid,
       a.datname                                             AS database,
       a.usename                                             AS username,
       a.application_name                                    AS application,
       a.backend_type,
       a.state,
       EXTRACT(EPOCH FROM pg_catalog.now() - a.query_start)  AS duration,
       a.query,
       a.backend_start,
       pg_catalog.to_char(a.backend_start, 'YYYY-MM-DD HH24:MI:SS') AS started,
       $2::timestamptz IS NULL OR a.backend_start = $2::timestamptz AS same_backend
  FROM (SELECT 1) AS one
  LEFT JOIN pg_catalog.pg_stat_activity a ON a.pid = $1::int
