-- What is needed to act on a message again, never shown to API users: the encrypted-media
-- descriptor of received media (to download it on demand), the id of a sent message's stored
-- file, a poll's secret (to decrypt its votes).
ALTER TABLE messages ADD COLUMN engine_ref TEXT;

-- Media files WARAS holds: uploads waiting in the outbox (and kept with their message) and
-- received media once downloaded.
CREATE TABLE media (
    id          TEXT NOT NULL PRIMARY KEY,
    session_id  TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    tenant_id   TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    message_id  TEXT REFERENCES messages(id) ON DELETE CASCADE,
    mimetype    TEXT NOT NULL,
    filename    TEXT,
    size        BIGINT NOT NULL,
    sha256      TEXT NOT NULL,
    data        BLOB NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE INDEX media_message_idx ON media (message_id);
CREATE INDEX media_session_idx ON media (session_id);
