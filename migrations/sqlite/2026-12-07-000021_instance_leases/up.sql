-- A session lease lives as long as its owner's instance row does: the heartbeat extends
-- `instances.lease_until` (one row) instead of every lease row of the instance, and a lease row
-- is written only when it changes hands. `session_leases.expires_at` is gone, so an instance of
-- an earlier version still running against this database fails its fenced writes and its
-- renewals (and stops its sessions) instead of acting on a lease it no longer holds.
--
-- An instance of the earlier version keeps its sessions until the latest expiry it renewed, as
-- it was promised; it stops them before then, when its next renewal fails.
ALTER TABLE instances ADD COLUMN lease_until BIGINT NOT NULL DEFAULT 0;
UPDATE instances SET lease_until = COALESCE(
    (SELECT MAX(l.expires_at) FROM session_leases l WHERE l.owner = instances.id), 0);
ALTER TABLE session_leases DROP COLUMN expires_at;
