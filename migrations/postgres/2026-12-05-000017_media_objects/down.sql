DROP TRIGGER media_object_orphaned ON media;
DROP FUNCTION media_object_orphaned();
DROP TABLE orphan_objects;
ALTER TABLE media DROP COLUMN object_key;
