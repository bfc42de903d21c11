DROP INDEX messages_campaign_idx;
ALTER TABLE messages DROP COLUMN campaign_id;
DROP TABLE campaign_sessions;
DROP TABLE campaign_recipients;
DROP TABLE campaigns;
