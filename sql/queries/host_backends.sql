-- Every process pg_stat_activity lists (idle sessions, background workers
-- and the server's own processes too), for pgdeck to read in /proc when it
-- runs on the database host.  The process's start time in /proc must match
-- backend_start: a pid that belongs to another pid namespace, or to another
-- host behind a tunnel, does not.  backend_start is NULL for other roles'
-- sessions without pg_read_all_stats; those are matched by command line
-- only.  state (NULL for the server's own processes) tells pgdeck which
-- sessions deserve the extra /proc reads.  server_addr is
-- inet_server_addr(): NULL over a unix socket.
SELECT a.pid,
       a.backend_type,
       a.state,
       extract(epoch FROM a.backend_start) AS backend_start,
       host(inet_server_addr())            AS server_addr
  FROM pg_stat_activity a
 ORDER BY a.pid
