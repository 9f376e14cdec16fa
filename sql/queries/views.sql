-- Materialized views: one row each, with what PostgreSQL knows (populated,
-- size, rows, a unique index that allows REFRESH ... CONCURRENTLY, a
-- refresh running now) and what the kit's refresh log knows (the last
-- refresh, how long it took, the last attempt if it failed).
--
-- PostgreSQL records no refresh time.  The kit's public.mv_refresh_log is
-- read when it exists and can be trusted (see kit_log); a plain query cannot name a table that may not
-- exist, so the log is read through query_to_xml() on a query built here,
-- which returns its rows as one JSON text (no libxml needed).  Without the
-- log every log_* column is NULL and log_installed is false; pgdeck then
-- looks in its own journal, and says "unknown" when nothing is known.
-- The log names views as format('%I.%I') does (public."My View").
-- The log is read with one index lookup per view (its index on
-- (view_name, finished_at DESC)), so its length does not matter.
--
--   size            bytes; NULL while an AccessExclusiveLock is held or
--                   waited for on the view or one of its indexes (a plain
--                   REFRESH holds one)
--   rows            estimated (statistics, else reltuples, else the count
--                   the refresh log took: a refresh leaves both at zero)
--   can_concurrently a valid unique index on plain columns with no WHERE
--   refreshing      a session holds or waits for the lock a refresh takes
--   log_*           epoch seconds, seconds, rows of the last successful
--                   refresh; log_failed_* the newest attempt when it failed
--   log_ignored     why a public.mv_refresh_log that is there is not read
--                   (NULL when it is read or absent)
--   track_*         pgdeck's own tracking (pgdeck run track-views): its
--                   pgdeck.refresh_log, written by an event trigger at the
--                   end of every REFRESH MATERIALIZED VIEW, read when it is
--                   an ordinary table owned by the database owner or a
--                   superuser (track_ignored says why not), by view OID:
--                   track_installed, track_finished and track_started
--                   (epoch) of the view's last refresh
--   file_mtime      the estimate: when the view's relation file was last
--                   written (epoch), through pg_stat_file where pgdeck's
--                   role may call it (a superuser, or granted EXECUTE);
--                   NULL otherwise.  A REFRESH writes a new file; a
--                   CONCURRENTLY one writes into it; a checkpoint or a
--                   VACUUM may write it later: an estimate, never exact
--   filepath        pg_relation_filepath(), relative to the data
--                   directory (pgdeck stats it itself when it runs on the
--                   database host)
WITH
mv AS (
    SELECT c.oid, n.nspname AS schema, c.relname AS view_name, c.relispopulated,
           c.reltuples, c.relowner
      FROM pg_class c
      JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind = 'm'
       AND n.nspname NOT IN ('pg_catalog', 'information_schema')
       AND n.nspname !~ '^pg_toast'
),
locks AS (
    SELECT l.relation, l.pid, l.mode, l.granted
      FROM pg_locks l
     WHERE l.locktype = 'relation'
       AND l.mode IN ('AccessExclusiveLock', 'ExclusiveLock')
       AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
       AND l.relation IN (SELECT oid FROM mv)
),
-- A refresh in progress: a session holding or waiting for the lock a
-- REFRESH takes on the view (ACCESS EXCLUSIVE, or EXCLUSIVE when
-- CONCURRENTLY) while running a query that mentions a refresh (directly or
-- through a function such as refresh_all_analytics_views()).
refreshing AS (
    SELECT DISTINCT ON (k.relation) k.relation, k.pid, NOT k.granted AS waiting,
           NOT EXISTS (SELECT 1 FROM locks x WHERE x.relation = k.relation AND x.pid = k.pid
                           AND x.mode = 'AccessExclusiveLock') AS concurrently,
           extract(epoch FROM now() - a.query_start)::float8 AS seconds
      FROM locks k
      JOIN pg_stat_activity a ON a.pid = k.pid
     WHERE a.query ~* 'refresh'
     ORDER BY k.relation, k.granted DESC, a.query_start
),
-- The kit's log: public.mv_refresh_log, used only when it is an ordinary
-- table owned by the database owner or a superuser (as the kit installs
-- it), readable, and with the columns read below (anything else would make
-- this query fail on every run).  Another role able to create objects in
-- public could otherwise put a view or a table with triggers there, and
-- its functions would run as pgdeck's role; such an object is ignored and
-- `ignored` says why (pgdeck says it once).  The schema must be the
-- database owner's (pg_database_owner's) or a superuser's too: its owner
-- may drop the table and put anything in its place between this check and
-- the read below.
kit_log AS (
    SELECT c.oid, n.nspname, c.relname,
           c.relkind = 'r' AND (c.relowner = d.datdba OR coalesce(r.rolsuper, false))
               AND (n.nspowner IN (d.datdba, 'pg_database_owner'::regrole) OR coalesce(nr.rolsuper, false)) AS trusted,
           CASE c.relkind WHEN 'r' THEN 'a table' WHEN 'p' THEN 'a partitioned table'
                          WHEN 'v' THEN 'a view' WHEN 'm' THEN 'a materialized view'
                          WHEN 'f' THEN 'a foreign table' WHEN 'S' THEN 'a sequence'
                          ELSE 'a relation of kind ' || c.relkind::text END
             || ' owned by ' || coalesce(r.rolname::text, 'a dropped role')
             || CASE WHEN n.nspowner IN (d.datdba, 'pg_database_owner'::regrole) OR coalesce(nr.rolsuper, false)
                     THEN '' ELSE ' in a schema owned by ' || coalesce(nr.rolname::text, 'a dropped role') END AS what
      FROM pg_class c
      JOIN pg_namespace n ON n.oid = c.relnamespace
      LEFT JOIN pg_roles r ON r.oid = c.relowner
      LEFT JOIN pg_roles nr ON nr.oid = n.nspowner
     CROSS JOIN (SELECT datdba FROM pg_database WHERE datname = current_database()) d
     WHERE n.nspname = 'public' AND c.relname = 'mv_refresh_log'
),
log AS (
    SELECT CASE WHEN k.trusted AND has_table_privilege(k.oid, 'SELECT')
                 AND (SELECT count(*) FROM pg_attribute a
                       WHERE a.attrelid = k.oid AND NOT a.attisdropped
                         AND a.attname IN ('view_name', 'started_at', 'finished_at', 'duration_ms',
                                           'rows', 'source', 'success', 'error')) = 8
                THEN format('%I.%I', k.nspname, k.relname) END AS rel,
           CASE WHEN NOT k.trusted
                THEN format('ignoring %I.%I: %s, not a table owned by the database owner or a superuser',
                            k.nspname, k.relname, k.what) END AS ignored
      FROM (SELECT 1) AS one
      LEFT JOIN kit_log k ON true
),
-- The log is read by name (schema-qualified, ONLY: no inheritance child
-- is read), its rows as one JSON text, through query_to_xml; the query
-- names nothing but that table and pg_catalog's functions.
log_json AS (
    SELECT CASE WHEN log.rel IS NULL THEN NULL ELSE
           query_to_xml(format($q$
               SELECT json_agg(json_build_object(
                          'view', v.name,
                          'finished', extract(epoch FROM ok.finished_at),
                          'started', extract(epoch FROM ok.started_at),
                          'duration', ok.duration_ms / 1000.0,
                          'rows', ok.rows,
                          'source', ok.source,
                          'failed_at', CASE WHEN NOT last.success THEN extract(epoch FROM last.finished_at) END,
                          'failed_error', CASE WHEN NOT last.success THEN last.error END))::text AS j
                 FROM unnest(%L::text[]) AS v(name)
                 LEFT JOIN LATERAL (SELECT * FROM ONLY %s l WHERE l.view_name = v.name AND l.success
                                     ORDER BY l.finished_at DESC LIMIT 1) ok ON true
                 LEFT JOIN LATERAL (SELECT * FROM ONLY %s l WHERE l.view_name = v.name
                                     ORDER BY l.finished_at DESC LIMIT 1) last ON true
               $q$, (SELECT coalesce(array_agg(format('%I.%I', schema, view_name)), '{}') FROM mv), log.rel, log.rel),
               false, false, '')::text END AS doc
      FROM log
),
log_rows AS (
    SELECT e->>'view' AS name,
           (e->>'finished')::float8 AS finished, (e->>'started')::float8 AS started,
           (e->>'duration')::float8 AS duration, (e->>'rows')::float8 AS rows,
           e->>'source' AS source,
           (e->>'failed_at')::float8 AS failed_at, e->>'failed_error' AS failed_error
      FROM log_json,
           json_array_elements(
               replace(replace(replace(replace(
                   substring(doc FROM '<j>(.*)</j>'),
                   '&lt;', '<'), '&gt;', '>'), '&#x0d;', chr(13)), '&amp;', '&')::json) AS e
     WHERE doc LIKE '%<j>%'
),
-- pgdeck's own tracking: pgdeck.refresh_log, trusted as the kit's log is
-- (an ordinary table owned by the database owner or a superuser), read
-- the same way, by the view's OID (a view dropped and created again under
-- its name is another view), in a schema pgdeck owned by the database
-- owner or a superuser (the schema's owner could swap the table).
track_log AS (
    SELECT c.oid, c.relkind = 'r' AND (c.relowner = d.datdba OR coalesce(r.rolsuper, false))
                  AND (n.nspowner = d.datdba OR coalesce(nr.rolsuper, false))
                  AND has_table_privilege(c.oid, 'SELECT')
                  AND (SELECT count(*) FROM pg_attribute a
                        WHERE a.attrelid = c.oid AND NOT a.attisdropped
                          AND a.attname IN ('view_oid', 'started_at', 'finished_at')) = 3 AS trusted,
           coalesce(r.rolname::text, 'a dropped role')
             || CASE WHEN n.nspowner = d.datdba OR coalesce(nr.rolsuper, false) THEN ''
                     ELSE ' in a schema owned by ' || coalesce(nr.rolname::text, 'a dropped role') END AS owner
      FROM pg_class c
      JOIN pg_namespace n ON n.oid = c.relnamespace
      LEFT JOIN pg_roles r ON r.oid = c.relowner
      LEFT JOIN pg_roles nr ON nr.oid = n.nspowner
     CROSS JOIN (SELECT datdba FROM pg_database WHERE datname = current_database()) d
     WHERE n.nspname = 'pgdeck' AND c.relname = 'refresh_log'
),
track_json AS (
    SELECT CASE WHEN t.trusted THEN
           query_to_xml(format($q$
               SELECT json_agg(json_build_object(
                          'oid', v.oid,
                          'finished', extract(epoch FROM l.finished_at),
                          'started', extract(epoch FROM l.started_at)))::text AS j
                 FROM unnest(%L::oid[]) AS v(oid)
                 JOIN LATERAL (SELECT * FROM ONLY pgdeck.refresh_log l WHERE l.view_oid = v.oid
                                ORDER BY l.finished_at DESC LIMIT 1) l ON true
               $q$, (SELECT coalesce(array_agg(oid), '{}') FROM mv)), false, false, '')::text END AS doc
      FROM track_log t
),
track_rows AS (
    SELECT (e->>'oid')::oid AS oid, (e->>'finished')::float8 AS finished, (e->>'started')::float8 AS started
      FROM track_json,
           json_array_elements(replace(replace(replace(replace(
                   substring(doc FROM '<j>(.*)</j>'),
                   '&lt;', '<'), '&gt;', '>'), '&#x0d;', chr(13)), '&amp;', '&')::json) AS e
     WHERE doc LIKE '%<j>%'
),
-- The estimate: pg_stat_file is revoked from PUBLIC; a plain call would be
-- refused when the query starts, so it is made through query_to_xml, and
-- only when pgdeck's role may execute it.
file_times AS (
    SELECT m.oid, pg_relation_filepath(m.oid) AS filepath,
           CASE WHEN has_function_privilege('pg_catalog.pg_stat_file(text, boolean)', 'EXECUTE')
                 AND pg_relation_filepath(m.oid) IS NOT NULL
                THEN substring(query_to_xml(format(
                         'SELECT extract(epoch FROM modification)::float8 AS t FROM pg_catalog.pg_stat_file(%L, true)',
                         pg_relation_filepath(m.oid)), false, false, '')::text FROM '<t>([-0-9.e+]+)</t>')::float8
           END AS mtime
      FROM mv m
),
-- Views whose index is under an ACCESS EXCLUSIVE lock (REINDEX, DROP
-- INDEX): pg_total_relation_size would wait for it too.
index_locked AS (
    SELECT DISTINCT i.indrelid
      FROM pg_locks l
      JOIN pg_index i ON i.indexrelid = l.relation
     WHERE l.locktype = 'relation' AND l.mode = 'AccessExclusiveLock'
       AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
       AND i.indrelid IN (SELECT oid FROM mv)
),
uniq AS (
    SELECT i.indrelid, true AS can_concurrently
      FROM pg_index i
     WHERE i.indrelid IN (SELECT oid FROM mv)
       AND i.indisunique AND i.indisvalid AND i.indpred IS NULL AND i.indexprs IS NULL
     GROUP BY i.indrelid
)
SELECT m.schema || '.' || m.view_name                          AS name,
       m.schema,
       m.view_name                                             AS view,
       pg_get_userbyid(m.relowner)                             AS owner,
       m.relispopulated                                        AS populated,
       CASE WHEN NOT EXISTS (SELECT 1 FROM locks k
                              WHERE k.relation = m.oid AND k.mode = 'AccessExclusiveLock')
             AND NOT EXISTS (SELECT 1 FROM index_locked x WHERE x.indrelid = m.oid)
            THEN pg_total_relation_size(m.oid) END             AS size,
       CASE WHEN pg_stat_get_live_tuples(m.oid) > 0 THEN pg_stat_get_live_tuples(m.oid)
            WHEN m.reltuples > 0 THEN m.reltuples::bigint
            ELSE coalesce(l.rows::bigint, 0) END               AS rows,
       coalesce(u.can_concurrently, false)                     AS can_concurrently,
       r.pid IS NOT NULL                                       AS refreshing,
       r.pid                                                   AS refresh_pid,
       r.seconds                                               AS refresh_seconds,
       r.waiting                                               AS refresh_waiting,
       r.concurrently                                          AS refresh_concurrently,
       (SELECT rel IS NOT NULL FROM log)                       AS log_installed,
       (SELECT ignored FROM log)                               AS log_ignored,
       l.finished                                              AS log_finished,
       l.started                                               AS log_started,
       l.duration                                              AS log_duration,
       l.rows                                                  AS log_rows,
       l.source                                                AS log_source,
       l.failed_at                                             AS log_failed_at,
       l.failed_error                                          AS log_failed_error,
       EXISTS (SELECT 1 FROM track_log WHERE trusted)          AS track_installed,
       (SELECT format('ignoring pgdeck.refresh_log: owned by %s, not the database owner or a superuser, or not '
                      'an ordinary table with the columns pgdeck writes', owner)
          FROM track_log WHERE NOT trusted)                    AS track_ignored,
       tr.finished                                             AS track_finished,
       tr.started                                              AS track_started,
       ft.mtime                                                AS file_mtime,
       ft.filepath                                             AS filepath,
       extract(epoch FROM now())::float8                       AS server_now,
       m.oid                                                   AS oid,
       -- The view as pgdeck's journal names it, "system identifier/database
       -- OID/view OID", so a journal record counts only for this very view
       -- of this cluster.  pg_control_system() may be revoked from the role:
       -- it is then called only through query_to_xml (a plain reference is
       -- refused when the query starts, whatever CASE says) and the first
       -- part is empty, which pgdeck reads as "cannot tell".
       pg_catalog.concat_ws('/',
           coalesce((SELECT CASE WHEN pg_catalog.has_function_privilege('pg_catalog.pg_control_system()', 'EXECUTE')
                                 THEN substring(pg_catalog.query_to_xml(
                                          'SELECT system_identifier AS s FROM pg_catalog.pg_control_system()',
                                          false, false, '')::text FROM '<s>([0-9]+)</s>') END), ''),
           (SELECT d.oid FROM pg_catalog.pg_database d WHERE d.datname = pg_catalog.current_database()),
           m.oid)                                              AS object_key
  FROM mv m
  LEFT JOIN uniq u ON u.indrelid = m.oid
  LEFT JOIN refreshing r ON r.relation = m.oid
  LEFT JOIN log_rows l ON l.name = format('%I.%I', m.schema, m.view_name)
  LEFT JOIN track_rows tr ON tr.oid = m.oid
  LEFT JOIN file_times ft ON ft.oid = m.oid
 ORDER BY m.schema, m.view_name
