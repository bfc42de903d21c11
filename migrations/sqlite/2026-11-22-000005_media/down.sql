DROP TABLE media;
ALTER TABLE messages DROP COLUMN media_ref;
