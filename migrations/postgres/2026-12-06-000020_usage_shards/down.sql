CREATE TABLE usage_daily_summed AS
    SELECT tenant_id, day, metric, SUM(amount)::BIGINT AS amount
    FROM usage_daily GROUP BY tenant_id, day, metric;
DELETE FROM usage_daily;
ALTER TABLE usage_daily DROP CONSTRAINT usage_daily_pkey;
ALTER TABLE usage_daily DROP COLUMN shard;
INSERT INTO usage_daily (tenant_id, day, metric, amount)
    SELECT tenant_id, day, metric, amount FROM usage_daily_summed;
DROP TABLE usage_daily_summed;
ALTER TABLE usage_daily ADD PRIMARY KEY (tenant_id, day, metric);
