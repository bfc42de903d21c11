-- Event sinks: a tenant's events published to a broker (NATS JetStream, RabbitMQ, Redis Streams).
-- Each is a cursor over the event log: `cursor` is the id of the last event it published (or
-- passed over as not selected); one instance at a time runs it (`owner` until `lease_until`, a new
-- owner raising `epoch`, which fences the cursor writes of an old one).
CREATE TABLE sinks (
    id                TEXT NOT NULL PRIMARY KEY,
    tenant_id         TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    kind              TEXT NOT NULL,
    -- The broker URL sealed (it may carry credentials), and as shown (password redacted).
    url_sealed        TEXT NOT NULL,
    url_shown         TEXT NOT NULL,
    session_id        TEXT,
    event_types       TEXT NOT NULL,
    -- NATS subject prefix, RabbitMQ exchange or Redis stream.
    destination       TEXT NOT NULL,
    max_len           BIGINT,
    secret_sealed     TEXT NOT NULL,
    enabled           BOOLEAN NOT NULL,
    cursor            BIGINT NOT NULL,
    delivered         BIGINT NOT NULL,
    failing_since     BIGINT,
    last_error        TEXT,
    last_delivered_at BIGINT,
    owner             TEXT,
    lease_until       BIGINT NOT NULL,
    epoch             BIGINT NOT NULL,
    created_at        BIGINT NOT NULL,
    updated_at        BIGINT NOT NULL
);
CREATE INDEX sinks_tenant_idx ON sinks (tenant_id);
