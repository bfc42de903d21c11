DROP INDEX messages_overdue_idx;
DROP INDEX messages_due_idx;
ALTER TABLE messages DROP COLUMN late;
ALTER TABLE messages DROP COLUMN send_at;
