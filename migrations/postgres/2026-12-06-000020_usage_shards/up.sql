-- A tenant's daily counters are split over shards: every send of a tenant added to one row, and
-- PostgreSQL keeps a row locked until the transaction that changed it commits, so a tenant's
-- concurrent sends committed one after another. A counter is the sum of its shards' amounts.
ALTER TABLE usage_daily ADD COLUMN shard SMALLINT NOT NULL DEFAULT 0;
ALTER TABLE usage_daily DROP CONSTRAINT usage_daily_pkey;
ALTER TABLE usage_daily ADD PRIMARY KEY (tenant_id, day, metric, shard);
