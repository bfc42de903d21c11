-- Running WARAS for customers. What the provider set for a tenant: when it was suspended, and its
-- own quotas (JSON; a quota it has none of falls back to the configured default).
CREATE TABLE tenant_controls (
    tenant_id    TEXT NOT NULL PRIMARY KEY REFERENCES tenants(id) ON DELETE CASCADE,
    suspended_at BIGINT,
    quotas       TEXT NOT NULL DEFAULT '{}'
);

-- The sessions a suspension stopped: they start again when the tenant is resumed.
CREATE TABLE suspended_sessions (
    session_id TEXT NOT NULL PRIMARY KEY REFERENCES sessions(id) ON DELETE CASCADE,
    tenant_id  TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE
);

-- Usage per tenant, UTC day (YYYY-MM-DD) and metric, added to in the transaction of what it
-- counts.
CREATE TABLE usage_daily (
    tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    day       TEXT NOT NULL,
    metric    TEXT NOT NULL,
    amount    BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, day, metric)
);

-- When each WORKING session turned WORKING, for session-hours.
CREATE TABLE session_working (
    session_id TEXT NOT NULL PRIMARY KEY REFERENCES sessions(id) ON DELETE CASCADE,
    since      BIGINT NOT NULL
);

CREATE INDEX media_by_tenant ON media (tenant_id);
