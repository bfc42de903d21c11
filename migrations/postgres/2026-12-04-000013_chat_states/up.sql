-- A chat's state as the account's devices share it through app state: archived, pinned, muted
-- (until a time; -1 for ever) and marked unread.
CREATE TABLE chat_states (
    session_id     TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    chat_jid       TEXT NOT NULL,
    archived       BOOLEAN NOT NULL,
    pinned         BOOLEAN NOT NULL,
    muted_until    BIGINT,
    marked_unread  BOOLEAN NOT NULL,
    updated_at     BIGINT NOT NULL,
    PRIMARY KEY (session_id, chat_jid)
);
