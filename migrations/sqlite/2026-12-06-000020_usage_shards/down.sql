CREATE TABLE usage_daily_old (
    tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    day       TEXT NOT NULL,
    metric    TEXT NOT NULL,
    amount    BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, day, metric)
);
INSERT INTO usage_daily_old (tenant_id, day, metric, amount)
    SELECT tenant_id, day, metric, SUM(amount) FROM usage_daily GROUP BY tenant_id, day, metric;
DROP TABLE usage_daily;
ALTER TABLE usage_daily_old RENAME TO usage_daily;
