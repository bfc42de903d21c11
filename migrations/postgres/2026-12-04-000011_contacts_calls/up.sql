-- One identity per person a session knows: the phone-number JID and the LID, whichever WhatsApp
-- told (a row may start with one and learn the other), with the names the person uses.
CREATE TABLE contacts (
    id          TEXT NOT NULL PRIMARY KEY,
    session_id  TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    phone_jid   TEXT,
    lid         TEXT,
    name        TEXT,
    push_name   TEXT,
    business    BOOLEAN NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE UNIQUE INDEX contacts_phone_idx ON contacts (session_id, phone_jid) WHERE phone_jid IS NOT NULL;
CREATE UNIQUE INDEX contacts_lid_idx ON contacts (session_id, lid) WHERE lid IS NOT NULL;

-- Calls a session's account received: `status` is ringing, rejected, missed, accepted_elsewhere
-- or rejected_elsewhere. `peer` and `creator` are what a rejection must name.
CREATE TABLE calls (
    session_id  TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    call_id     TEXT NOT NULL,
    tenant_id   TEXT NOT NULL,
    peer        TEXT NOT NULL,
    creator     TEXT NOT NULL,
    from_phone  TEXT,
    from_lid    TEXT,
    video       BOOLEAN NOT NULL,
    status      TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    ended_at    BIGINT,
    PRIMARY KEY (session_id, call_id)
);
CREATE INDEX calls_recent_idx ON calls (session_id, created_at);
