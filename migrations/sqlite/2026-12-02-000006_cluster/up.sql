-- Several instances on one database: who is alive, and who runs which session.
CREATE TABLE instances (
    id            TEXT NOT NULL PRIMARY KEY,
    advertise_url TEXT NOT NULL,
    status        TEXT NOT NULL,
    max_sessions  INTEGER NOT NULL,
    started_at    BIGINT NOT NULL,
    last_seen_at  BIGINT NOT NULL
);

-- A session's owner: taken and renewed with conditional updates; `epoch` grows with every new
-- owner and fences the writes of an old one.
CREATE TABLE session_leases (
    session_id TEXT NOT NULL PRIMARY KEY REFERENCES sessions(id) ON DELETE CASCADE,
    owner      TEXT,
    epoch      BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX session_leases_owner_idx ON session_leases (owner);
