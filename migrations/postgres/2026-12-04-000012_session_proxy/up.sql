-- A session's proxy: the URL sealed with the master key (`proxy_sealed`, it may hold a password)
-- and the same URL with the password hidden (`proxy`), which the API shows.
ALTER TABLE sessions ADD COLUMN proxy TEXT;
ALTER TABLE sessions ADD COLUMN proxy_sealed TEXT;
