DROP TRIGGER media_object_orphaned;
DROP TABLE orphan_objects;
ALTER TABLE media DROP COLUMN object_key;
