-- An event is appended with one round trip instead of two: the function takes the event log's
-- shared lock (the key is the caller's, see `DbConn::event_horizon`) before the row takes its id
-- from the sequence, then inserts the row and returns the id. The lock is transaction-scoped, so
-- it is held until the caller's transaction ends, as when the two were separate statements.
-- PL/pgSQL keeps the insert's plan for the connection's lifetime.
CREATE FUNCTION waras_append_event(
    lock_key BIGINT,
    p_tenant_id TEXT,
    p_session_id TEXT,
    p_event_type TEXT,
    p_data TEXT,
    p_created_at BIGINT
) RETURNS BIGINT LANGUAGE plpgsql AS $$
DECLARE
    new_id BIGINT;
BEGIN
    PERFORM pg_advisory_xact_lock_shared(lock_key);
    INSERT INTO events (tenant_id, session_id, event_type, data, created_at)
        VALUES (p_tenant_id, p_session_id, p_event_type, p_data, p_created_at)
        RETURNING id INTO new_id;
    RETURN new_id;
END
$$;
