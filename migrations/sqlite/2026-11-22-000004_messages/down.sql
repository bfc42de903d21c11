DROP TABLE messages;
ALTER TABLE sessions DROP COLUMN qr_expires_at;
ALTER TABLE sessions DROP COLUMN qr_code;
