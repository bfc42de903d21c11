ALTER TABLE session_leases ADD COLUMN expires_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE instances DROP COLUMN lease_until;
