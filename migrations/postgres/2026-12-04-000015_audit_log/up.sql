-- Every mutating API call and admin action: who (the admin or a key), what (method and route),
-- on what (the path called), from which address, and the answer's status. Append-only; no
-- foreign keys, so the record outlives what it names.
CREATE TABLE audit_log (
    id         TEXT NOT NULL PRIMARY KEY,
    tenant_id  TEXT,
    at         BIGINT NOT NULL,
    actor_kind TEXT NOT NULL,
    key_id     TEXT,
    action     TEXT NOT NULL,
    target     TEXT NOT NULL,
    ip         TEXT NOT NULL,
    status     INTEGER NOT NULL
);
CREATE INDEX audit_log_by_tenant ON audit_log (tenant_id, id);
