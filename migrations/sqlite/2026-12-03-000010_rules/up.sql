-- Reply rules: an incoming message that matches (`match_spec`, JSON) gets the rule's `action` (JSON:
-- a reply, a template reply, a forward, a webhook call), the rules of a session and of its tenant
-- tried in `position` order.
CREATE TABLE rules (
    id             TEXT NOT NULL PRIMARY KEY,
    tenant_id      TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    session_id     TEXT,
    name           TEXT NOT NULL,
    position       INTEGER NOT NULL,
    match_spec     TEXT NOT NULL,
    action         TEXT NOT NULL,
    cooldown_secs  INTEGER NOT NULL,
    stop           BOOLEAN NOT NULL,
    enabled        BOOLEAN NOT NULL,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);
CREATE INDEX rules_tenant_idx ON rules (tenant_id, position);

-- When a rule last answered a chat (its cooldown), and the loop guard's count of automatic
-- answers to a chat in the current minute (`scope` is a rule id or `guard:` and a session id).
CREATE TABLE rule_firings (
    scope         TEXT NOT NULL,
    chat_jid      TEXT NOT NULL,
    fired_at      BIGINT NOT NULL,
    window_start  BIGINT NOT NULL,
    window_count  INTEGER NOT NULL,
    PRIMARY KEY (scope, chat_jid)
);
