-- Statement statistics without their texts (pg_stat_statements(false));
-- texts come once per new queryid from statement_texts.sql.  The busiest
-- 500 by total time: enough for a screen, cheap with 5,000 entries.  The
-- 500 are chosen before the database and role names are joined, so the
-- joins cost 500 lookups rather than one per entry.  @extschema@ is the
-- schema the extension is installed in, looked up and quoted by pgdeck
-- (src/subjects/queries.c): pgdeck's sessions search pg_catalog only.
SELECT s.queryid,
       d.datname                      AS database,
       r.rolname                      AS username,
       s.calls,
       s.total_exec_time,
       s.mean_exec_time,
       s.rows,
       s.shared_blks_hit,
       s.shared_blks_read,
       round(100.0 * s.shared_blks_hit
             / NULLIF(s.shared_blks_hit + s.shared_blks_read, 0), 1) AS hit_percent
  FROM (SELECT queryid, dbid, userid, calls, total_exec_time, mean_exec_time, rows,
               shared_blks_hit, shared_blks_read
          FROM @extschema@.pg_stat_statements(false::boolean)
         WHERE queryid IS NOT NULL
         ORDER BY total_exec_time DESC
         LIMIT 500) s
  LEFT JOIN pg_database d ON d.oid = s.dbid
  LEFT JOIN pg_roles r ON r.oid = s.userid
 ORDER BY s.total_exec_time DESC
