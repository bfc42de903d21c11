-- A tenant's daily counters are split over shards (the same schema as on PostgreSQL, where one
-- row per counter made a tenant's concurrent sends commit one after another). A counter is the
-- sum of its shards' amounts.
CREATE TABLE usage_daily_new (
    tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    day       TEXT NOT NULL,
    metric    TEXT NOT NULL,
    shard     SMALLINT NOT NULL DEFAULT 0,
    amount    BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, day, metric, shard)
);
INSERT INTO usage_daily_new (tenant_id, day, metric, shard, amount)
    SELECT tenant_id, day, metric, 0, amount FROM usage_daily;
DROP TABLE usage_daily;
ALTER TABLE usage_daily_new RENAME TO usage_daily;
