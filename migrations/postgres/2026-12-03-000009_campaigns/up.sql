-- Campaigns: one message (or a template's text, personalised per recipient) sent to many recipients
-- through one or more sessions, paced per session. A recipient is claimed by one session's owner,
-- which puts its message into that session's outbox (`message_id`); what happened to it after that
-- is the message's status.
CREATE TABLE campaigns (
    id               TEXT NOT NULL PRIMARY KEY,
    tenant_id        TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    name             TEXT NOT NULL,
    status           TEXT NOT NULL,
    msg_type         TEXT NOT NULL,
    body             TEXT NOT NULL,
    template_id      TEXT,
    template_source  TEXT,
    pacing           TEXT NOT NULL,
    skip_unregistered BOOLEAN NOT NULL DEFAULT FALSE,
    -- A media campaign's file (`media` table), kept while the campaign may still send it, and
    -- the reference every message of it carries to that file.
    media_id         TEXT,
    engine_ref       TEXT,
    total            INTEGER NOT NULL,
    stopped_reason   TEXT,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    started_at       BIGINT,
    finished_at      BIGINT
);
CREATE INDEX campaigns_tenant_idx ON campaigns (tenant_id, id);

-- Recipients in upload order; `status` is `pending` (not claimed yet), `checking` (claimed, its
-- number being looked up), `assigned` (its message is in `message_id`), `skipped` or `cancelled`.
CREATE TABLE campaign_recipients (
    campaign_id  TEXT NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    seq          INTEGER NOT NULL,
    recipient    TEXT NOT NULL,
    variables    TEXT,
    status       TEXT NOT NULL,
    session_id   TEXT,
    message_id   TEXT,
    error        TEXT,
    updated_at   BIGINT NOT NULL,
    PRIMARY KEY (campaign_id, seq)
);
CREATE INDEX campaign_recipients_pending_idx ON campaign_recipients (campaign_id, status, seq);
CREATE INDEX campaign_recipients_message_idx ON campaign_recipients (message_id);

-- The pace of each session of a campaign: when it may send next, and what it sent today (in the
-- campaign's time zone).
CREATE TABLE campaign_sessions (
    campaign_id  TEXT NOT NULL REFERENCES campaigns(id) ON DELETE CASCADE,
    session_id   TEXT NOT NULL,
    next_at      BIGINT NOT NULL,
    day          TEXT NOT NULL,
    day_count    INTEGER NOT NULL,
    PRIMARY KEY (campaign_id, session_id)
);
CREATE INDEX campaign_sessions_session_idx ON campaign_sessions (session_id);

-- A campaign's messages name it: its progress counts and its failure checks read them by campaign.
ALTER TABLE messages ADD COLUMN campaign_id TEXT;
CREATE INDEX messages_campaign_idx ON messages (campaign_id, updated_at) WHERE campaign_id IS NOT NULL;
