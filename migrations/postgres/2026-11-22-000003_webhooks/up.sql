CREATE TABLE webhooks (
    id                         TEXT NOT NULL PRIMARY KEY,
    tenant_id                  TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    session_id                 TEXT REFERENCES sessions(id) ON DELETE CASCADE,
    url                        TEXT NOT NULL,
    event_types                TEXT NOT NULL,
    headers                    TEXT NOT NULL,
    secret_sealed              TEXT NOT NULL,
    previous_secret_sealed     TEXT,
    previous_secret_expires_at BIGINT,
    ordered                    BOOLEAN NOT NULL,
    enabled                    BOOLEAN NOT NULL,
    disabled_reason            TEXT,
    failing_since              BIGINT,
    created_at                 BIGINT NOT NULL,
    updated_at                 BIGINT NOT NULL
);
CREATE INDEX webhooks_tenant_idx ON webhooks (tenant_id, id);

CREATE TABLE webhook_deliveries (
    id               TEXT NOT NULL PRIMARY KEY,
    webhook_id       TEXT NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
    event_id         BIGINT NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    session_id       TEXT,
    status           TEXT NOT NULL,
    attempts         INTEGER NOT NULL,
    next_attempt_at  BIGINT NOT NULL,
    locked_until     BIGINT,
    last_status_code INTEGER,
    last_error       TEXT,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    delivered_at     BIGINT
);
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (status, next_attempt_at);
CREATE INDEX webhook_deliveries_webhook_idx ON webhook_deliveries (webhook_id, id);
CREATE INDEX webhook_deliveries_order_idx ON webhook_deliveries (webhook_id, session_id, event_id);
