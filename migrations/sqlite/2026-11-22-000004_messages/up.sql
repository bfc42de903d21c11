-- The current linking QR of a session (rotated by the engine), readable by every API worker.
ALTER TABLE sessions ADD COLUMN qr_code TEXT;
ALTER TABLE sessions ADD COLUMN qr_expires_at BIGINT;

-- One row per message sent or received. Outgoing rows in status 'queued' are the outbox.
CREATE TABLE messages (
    id              TEXT NOT NULL PRIMARY KEY,
    session_id      TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    tenant_id       TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    from_me         BOOLEAN NOT NULL,
    chat_jid        TEXT NOT NULL,
    sender_jid      TEXT NOT NULL,
    sender_lid      TEXT,
    sender_phone    TEXT,
    wa_id           TEXT NOT NULL,
    msg_type        TEXT NOT NULL,
    body            TEXT NOT NULL,
    status          TEXT NOT NULL,
    error           TEXT,
    attempts        INTEGER NOT NULL,
    reply_to        TEXT,
    idempotency_key TEXT,
    request_hash    TEXT,
    wa_timestamp    BIGINT,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE UNIQUE INDEX messages_wa_key_idx ON messages (session_id, chat_jid, sender_jid, wa_id);
CREATE UNIQUE INDEX messages_idempotency_idx ON messages (session_id, idempotency_key);
CREATE INDEX messages_outbox_idx ON messages (session_id, status, created_at);
CREATE INDEX messages_chat_idx ON messages (session_id, chat_jid, id);
