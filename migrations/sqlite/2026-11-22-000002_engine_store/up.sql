-- The protocol engine's persistent store (src/engine/store): one row set per WARAS session.
-- Every table carries session_id in its primary key and cascades from sessions, so deleting a
-- session deletes all of its key material, including its sealing data key.
-- Columns named `sealed*` hold AES-256-GCM ciphertexts (src/engine/sealing.rs), never plaintext.
-- Engine timestamps are unix seconds (the engine's own unit), hence the `_secs` suffixes.

-- Wrapped per-session data keys; key_id is the first byte of every ciphertext sealed with it.
CREATE TABLE session_keys (
    session_id  TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    key_id      BIGINT NOT NULL,
    wrapped     BLOB NOT NULL,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (session_id, key_id)
);

-- A known plaintext sealed with the master key: opening it at start proves the key is right.
CREATE TABLE sealing_canary (
    id          TEXT NOT NULL PRIMARY KEY,
    sealed      BLOB NOT NULL,
    created_at  BIGINT NOT NULL
);

CREATE TABLE engine_device (
    session_id  TEXT NOT NULL PRIMARY KEY REFERENCES sessions(id) ON DELETE CASCADE,
    sealed      BLOB NOT NULL,
    updated_at  BIGINT NOT NULL
);

CREATE TABLE engine_identities (
    session_id  TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    address     TEXT NOT NULL,
    sealed      BLOB NOT NULL,
    PRIMARY KEY (session_id, address)
);

CREATE TABLE engine_signal_sessions (
    session_id  TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    address     TEXT NOT NULL,
    sealed      BLOB NOT NULL,
    PRIMARY KEY (session_id, address)
);

CREATE TABLE engine_prekeys (
    session_id  TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    id          BIGINT NOT NULL,
    sealed      BLOB NOT NULL,
    uploaded    BOOLEAN NOT NULL,
    PRIMARY KEY (session_id, id)
);

CREATE TABLE engine_signed_prekeys (
    session_id  TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    id          BIGINT NOT NULL,
    sealed      BLOB NOT NULL,
    PRIMARY KEY (session_id, id)
);

CREATE TABLE engine_sender_keys (
    session_id  TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    address     TEXT NOT NULL,
    sealed      BLOB NOT NULL,
    PRIMARY KEY (session_id, address)
);

-- seq orders keys by when they were set, for get_latest_sync_key_id.
CREATE TABLE engine_app_state_keys (
    session_id  TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    key_id      BLOB NOT NULL,
    sealed      BLOB NOT NULL,
    seq         BIGINT NOT NULL,
    PRIMARY KEY (session_id, key_id)
);

CREATE TABLE engine_app_state_versions (
    session_id  TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    sealed      BLOB NOT NULL,
    PRIMARY KEY (session_id, name)
);

CREATE TABLE engine_app_state_mutation_macs (
    session_id  TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    index_mac   BLOB NOT NULL,
    version     BIGINT NOT NULL,
    sealed      BLOB NOT NULL,
    PRIMARY KEY (session_id, name, index_mac)
);

CREATE TABLE engine_sender_key_devices (
    session_id  TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    group_jid   TEXT NOT NULL,
    device_jid  TEXT NOT NULL,
    has_key     BOOLEAN NOT NULL,
    PRIMARY KEY (session_id, group_jid, device_jid)
);
CREATE INDEX engine_sender_key_devices_device_idx ON engine_sender_key_devices (session_id, device_jid);

CREATE TABLE engine_lid_pn_mappings (
    session_id      TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    lid             TEXT NOT NULL,
    phone_number    TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    learning_source TEXT NOT NULL,
    seq             BIGINT NOT NULL,
    PRIMARY KEY (session_id, lid)
);
CREATE INDEX engine_lid_pn_mappings_pn_idx ON engine_lid_pn_mappings (session_id, phone_number);

CREATE TABLE engine_base_keys (
    session_id  TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    address     TEXT NOT NULL,
    message_id  TEXT NOT NULL,
    sealed      BLOB NOT NULL,
    PRIMARY KEY (session_id, address, message_id)
);

-- Device lists are public directory data (usync), stored as JSON.
CREATE TABLE engine_device_registry (
    session_id  TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    user_id     TEXT NOT NULL,
    record      TEXT NOT NULL,
    PRIMARY KEY (session_id, user_id)
);

CREATE TABLE engine_group_metadata (
    session_id  TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    group_jid   TEXT NOT NULL,
    sealed      BLOB NOT NULL,
    PRIMARY KEY (session_id, group_jid)
);

-- has_token is kept in clear so expiry and newer-wins merges run in SQL on sealed tokens.
CREATE TABLE engine_tc_tokens (
    session_id       TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    jid              TEXT NOT NULL,
    sealed           BLOB NOT NULL,
    has_token        BOOLEAN NOT NULL,
    token_timestamp  BIGINT NOT NULL,
    sender_timestamp BIGINT,
    PRIMARY KEY (session_id, jid)
);

CREATE TABLE engine_sent_messages (
    session_id   TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    chat_jid     TEXT NOT NULL,
    message_id   TEXT NOT NULL,
    sealed       BLOB NOT NULL,
    created_secs BIGINT NOT NULL,
    PRIMARY KEY (session_id, chat_jid, message_id)
);
CREATE INDEX engine_sent_messages_age_idx ON engine_sent_messages (session_id, created_secs);

CREATE TABLE engine_pending_inbound (
    session_id   TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    chat_jid     TEXT NOT NULL,
    sender_jid   TEXT NOT NULL,
    message_id   TEXT NOT NULL,
    sealed       BLOB NOT NULL,
    created_secs BIGINT NOT NULL,
    PRIMARY KEY (session_id, chat_jid, sender_jid, message_id)
);
CREATE INDEX engine_pending_inbound_age_idx ON engine_pending_inbound (session_id, created_secs);

CREATE TABLE engine_msg_secrets (
    session_id  TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    chat_jid    TEXT NOT NULL,
    sender_jid  TEXT NOT NULL,
    message_id  TEXT NOT NULL,
    sealed      BLOB NOT NULL,
    expires_at  BIGINT NOT NULL,
    message_ts  BIGINT NOT NULL,
    PRIMARY KEY (session_id, chat_jid, sender_jid, message_id)
);
CREATE INDEX engine_msg_secrets_expiry_idx ON engine_msg_secrets (session_id, expires_at);
