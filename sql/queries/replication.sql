-- Streaming replicas of the server pgdeck is connected to (a primary, or a
-- standby that cascades), with their lag in bytes and seconds; and, when
-- that server is itself a standby, one row of kind 'recovery' about its own
-- replay.  The position replicas are measured against is the server's
-- current WAL position, or on a standby the last replayed one.  Lags are
-- plain numbers (bytes, seconds); PostgreSQL leaves the *_lag intervals
-- NULL when a replica has caught up and nothing is being written.  A
-- standby cannot measure its own lag in seconds: replay_delay is how long
-- ago the last replayed transaction committed, which also grows while the
-- primary runs one long transaction and the standby is quite caught up, so
-- it is shown but not alerted on (lag_seconds stays NULL).  A role
-- without pg_monitor sees each replica's name but not its address, state
-- or positions: the state then says so and the lags stay NULL (GREATEST
-- would make a hidden lag 0).
WITH self AS (
    SELECT pg_is_in_recovery() AS standby,
           CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn()
                ELSE pg_current_wal_lsn() END AS lsn
)
SELECT 'replica'                                                  AS kind,
       r.pid::text                                                AS key,
       COALESCE(NULLIF(r.application_name, ''), 'pid ' || r.pid)  AS name,
       COALESCE(host(r.client_addr), CASE WHEN r.client_port = -1 THEN 'local' END) AS client,
       COALESCE(r.state, '(hidden: needs pg_monitor)')            AS state,
       r.sync_state,
       CASE WHEN r.sent_lsn IS NOT NULL
            THEN GREATEST(pg_wal_lsn_diff(self.lsn, r.sent_lsn), 0) END   AS send_lag_bytes,
       CASE WHEN r.replay_lsn IS NOT NULL
            THEN GREATEST(pg_wal_lsn_diff(self.lsn, r.replay_lsn), 0) END AS lag_bytes,
       EXTRACT(EPOCH FROM r.write_lag)                            AS write_lag,
       EXTRACT(EPOCH FROM r.flush_lag)                            AS flush_lag,
       EXTRACT(EPOCH FROM r.replay_lag)                           AS lag_seconds,
       NULL::numeric                                              AS replay_delay
  FROM pg_stat_replication r, self
UNION ALL
SELECT 'recovery',
       'recovery',
       'this server (standby)',
       COALESCE(w.sender_host || ':' || w.sender_port, 'no WAL receiver'),
       CASE WHEN pg_is_wal_replay_paused() THEN 'replay paused'
            ELSE COALESCE(w.status, 'no receiver') END,
       NULL,
       NULL,
       GREATEST(pg_wal_lsn_diff(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn()), 0),
       NULL,
       NULL,
       NULL,
       CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
            ELSE EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()) END
  FROM self LEFT JOIN pg_stat_wal_receiver w ON true
 WHERE self.standby
