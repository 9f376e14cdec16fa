-- Where the server keeps its files, for statvfs when pgdeck runs on the
-- database host: the data directory, the WAL directory (pg_wal, often a
-- symlink to a disk of its own) and each tablespace.  data_directory is
-- hidden from roles that are neither superuser nor members of
-- pg_read_all_settings: the path is then NULL and `missing` says what it
-- needs.  current_setting() of data_directory raises an error for such a
-- role, so it is asked only of a role that has pg_read_all_settings's
-- privileges (a superuser has them): pg_settings, which leaves the row
-- out, is a function scan of every setting, a hundred times the cost
-- (issue 14).
WITH dd AS (
    SELECT current_setting('data_directory') AS setting
     WHERE pg_has_role('pg_read_all_settings', 'USAGE')
),
hidden AS (
    SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM dd)
                THEN 'data_directory is hidden: needs superuser or pg_read_all_settings' END AS why
)
SELECT 'data_directory'                   AS kind,
       'pg_default'                       AS name,
       (SELECT setting FROM dd)           AS path,
       (SELECT why FROM hidden)           AS missing
UNION ALL
SELECT 'wal', 'pg_wal',
       (SELECT setting || '/pg_wal' FROM dd),
       (SELECT why FROM hidden)
UNION ALL
SELECT 'tablespace', t.spcname, pg_tablespace_location(t.oid), NULL
  FROM pg_tablespace t
 WHERE t.spcname NOT IN ('pg_default', 'pg_global')
