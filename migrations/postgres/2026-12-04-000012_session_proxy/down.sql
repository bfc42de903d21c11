ALTER TABLE sessions DROP COLUMN proxy_sealed;
ALTER TABLE sessions DROP COLUMN proxy;
