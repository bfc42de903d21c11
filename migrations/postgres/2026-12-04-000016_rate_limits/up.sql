-- Request rate limits shared by several instances (PostgreSQL): per bucket (a key or a tenant)
-- the theoretical arrival time of the next request, in ms (GCRA). A lone instance keeps its
-- buckets in memory and leaves this table empty.
CREATE TABLE rate_limits (
    bucket TEXT NOT NULL PRIMARY KEY,
    tat    BIGINT NOT NULL
);
