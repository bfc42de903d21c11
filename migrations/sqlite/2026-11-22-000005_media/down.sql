DROP TABLE media;
ALTER TABLE messages DROP COLUMN engine_ref;
