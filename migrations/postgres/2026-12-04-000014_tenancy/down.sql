DROP INDEX media_by_tenant;
DROP TABLE session_working;
DROP TABLE usage_daily;
DROP TABLE suspended_sessions;
DROP TABLE tenant_controls;
