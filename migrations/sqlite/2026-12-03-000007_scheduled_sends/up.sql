-- Scheduled sends: an outgoing message in status 'scheduled' waits for `send_at` (unix ms); when
-- it is due, its session's owner moves it into the outbox ('queued') and `late` records that it
-- went out more than a second after its time (the session was not WORKING then).
ALTER TABLE messages ADD COLUMN send_at BIGINT;
ALTER TABLE messages ADD COLUMN late BOOLEAN NOT NULL DEFAULT FALSE;
CREATE INDEX messages_due_idx ON messages (session_id, send_at) WHERE status = 'scheduled';
CREATE INDEX messages_overdue_idx ON messages (send_at) WHERE status = 'scheduled';
