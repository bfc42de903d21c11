-- Message templates of a tenant: a named text (or a media caption) with {{variable}} placeholders.
CREATE TABLE templates (
    id          TEXT NOT NULL PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    msg_type    TEXT NOT NULL,
    text        TEXT,
    caption     TEXT,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE UNIQUE INDEX templates_name_idx ON templates (tenant_id, name);
