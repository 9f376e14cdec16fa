-- Every process pg_stat_activity lists (idle sessions, background workers
-- and the server's own processes too), for pgdeck to read in /proc when it
-- runs on the database host.  The process's start time in /proc must match
-- backend_start: a pid that belongs to another pid namespace, or to another
-- host behind a tunnel, does not.  backend_start is NULL for other roles'
-- sessions without pg_read_all_stats; those are matched by command line
-- only.  state (NULL for the server's own processes) tells pgdeck which
-- sessions deserve the extra /proc reads.  server_addr is
-- inet_server_addr(): NULL over a unix socket, computed once.
--
-- Read every refresh while pgdeck is on the host: the function under the
-- view, without the view's joins to pg_database and pg_authid (names this
-- does not need).
SELECT a.pid,
       a.backend_type,
       a.state,
       extract(epoch FROM a.backend_start) AS backend_start,
       s.server_addr
  FROM pg_catalog.pg_stat_get_activity(NULL) a,
       (SELECT pg_catalog.host(pg_catalog.inet_server_addr()) AS server_addr) s
 ORDER BY a.pid
