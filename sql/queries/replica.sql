-- The read replica pgdeck is told about (--replica), read on the replica
-- itself: is it in recovery, how far it has received and replayed, and how
-- long ago the last replayed transaction committed.  When everything
-- received has been replayed the delay is 0, not the time since the last
-- commit (an idle primary would otherwise look like a lagging replica).
-- The delay still grows while the primary runs one long transaction with
-- the replica caught up: the bytes behind are the figure to alert on.
SELECT pg_is_in_recovery()                                           AS in_recovery,
       pg_last_wal_receive_lsn()::text                               AS receive_lsn,
       pg_last_wal_replay_lsn()::text                                AS replay_lsn,
       CASE WHEN pg_is_in_recovery() THEN
            GREATEST(pg_wal_lsn_diff(pg_last_wal_receive_lsn(), pg_last_wal_replay_lsn()), 0)
       END                                                           AS replay_lag_bytes,
       CASE WHEN NOT pg_is_in_recovery() THEN NULL
            WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
            ELSE EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()) END
                                                                     AS replay_delay,
       CASE WHEN pg_is_in_recovery() THEN pg_is_wal_replay_paused() END AS replay_paused,
       w.status                                                      AS receiver_status,
       w.sender_host || ':' || w.sender_port                         AS sender
  FROM (SELECT 1) one LEFT JOIN pg_stat_wal_receiver w ON true
