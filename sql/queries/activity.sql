-- Live sessions: every client backend that is not idle (idle in
-- transaction included), with who blocks it.  pgdeck's own pool sessions
-- ($1, an int[] of their pids) are left out: other pgdeck instances, and
-- their actions, stay visible.  Durations are seconds.  A role without
-- pg_read_all_stats sees other roles' sessions with no state, type or
-- times, and "<insufficient privilege>" as the query: those connected to a
-- database (as client backends are) are listed just as the server shows
-- them, not left out.  pid and backend_start together name a session (a
-- pid is reused by a later backend): the console keeps its selection and
-- starts cancel and terminate with both.
SELECT a.pid,
       a.datname                                         AS database,
       a.usename                                         AS username,
       a.application_name                                AS application,
       COALESCE(host(a.client_addr), CASE WHEN a.client_port = -1 THEN 'local' END) AS client,
       a.state,
       CASE WHEN a.wait_event IS NOT NULL
            THEN a.wait_event_type || ':' || a.wait_event END AS wait,
       array_to_string(pg_blocking_pids(a.pid), ',')     AS blocked_by,
       EXTRACT(EPOCH FROM now() - a.query_start)         AS duration,
       EXTRACT(EPOCH FROM now() - a.xact_start)          AS xact_duration,
       a.backend_type,
       a.query,
       a.backend_start
  FROM pg_stat_activity a
 WHERE a.pid <> pg_backend_pid()
   AND a.pid <> ALL ($1::int[])
   AND (a.backend_type = 'client backend' OR (a.backend_type IS NULL AND a.datname IS NOT NULL))
   AND a.state IS DISTINCT FROM 'idle'
 ORDER BY a.query_start NULLS LAST
