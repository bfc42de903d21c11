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

CREATE FUNCTION media_object_orphaned() RETURNS trigger AS $$
BEGIN
    INSERT INTO orphan_objects (object_key, not_before)
    VALUES (OLD.object_key, (extract(epoch FROM clock_timestamp()) * 1000)::bigint)
    ON CONFLICT (object_key) DO NOTHING;
    RETURN OLD;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER media_object_orphaned AFTER DELETE ON media
FOR EACH ROW WHEN (OLD.object_key IS NOT NULL)
EXECUTE FUNCTION media_object_orphaned();
