-- The server settings the pool pane and its alert need: how many client
-- connections may be open (max_connections less the slots reserved for
-- superusers and, from PostgreSQL 16, for pg_use_reserved_connections),
-- and whether this server is a standby.  current_setting(name, true) is
-- NULL for a setting this version does not have.
SELECT current_setting('max_connections')::int                              AS max_connections,
       current_setting('superuser_reserved_connections')::int               AS superuser_reserved_connections,
       COALESCE(current_setting('reserved_connections', true), '0')::int    AS reserved_connections,
       current_setting('max_connections')::int
         - current_setting('superuser_reserved_connections')::int
         - COALESCE(current_setting('reserved_connections', true), '0')::int AS usable_connections,
       current_setting('max_wal_senders')::int                              AS max_wal_senders,
       pg_size_bytes(current_setting('shared_buffers'))                     AS shared_buffers,
       current_setting('server_version_num')::int                           AS server_version_num,
       pg_is_in_recovery()                                                  AS in_recovery
