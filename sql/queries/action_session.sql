-- Actions: the session a cancel, terminate or EXPLAIN is about, read just
-- before the preview so that it shows what will be signalled.  Always one
-- row: the session's columns are NULL when there is no such backend.
--
--   $1 int  the backend pid (NULL: only the database is wanted, for an
--           EXPLAIN of a pg_stat_statements text)
SELECT current_database()                                    AS current_database,
       current_setting('server_version_num')::int            AS server_version,
       a.pid,
       a.datname                                             AS database,
       a.usename                                             AS username,
       a.application_name                                    AS application,
       a.backend_type,
       a.state,
       EXTRACT(EPOCH FROM now() - a.query_start)             AS duration,
       a.query
  FROM (SELECT 1) AS one
  LEFT JOIN pg_stat_activity a ON a.pid = $1::int
