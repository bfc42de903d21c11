-- Media bytes in an S3-compatible bucket: `object_key` names the object and `data` is then empty.
ALTER TABLE media ADD COLUMN object_key TEXT;

-- Objects in the bucket that no media row refers to: a file deleted (with its message, session or
-- tenant, by retention), moved back into the database, or an upload whose row was never written
-- (the key is noted before the upload and struck off in the transaction that writes the row).
-- The media sweeper deletes each object once `not_before` has passed.
CREATE TABLE orphan_objects (
    object_key TEXT NOT NULL PRIMARY KEY,
    not_before BIGINT NOT NULL
);

CREATE TRIGGER media_object_orphaned AFTER DELETE ON media
WHEN OLD.object_key IS NOT NULL
BEGIN
    INSERT OR IGNORE INTO orphan_objects (object_key, not_before)
    VALUES (OLD.object_key, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
END;
