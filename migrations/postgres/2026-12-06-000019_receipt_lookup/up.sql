-- A receipt names the messages it acknowledges by their WhatsApp ids; without this index each
-- receipt read every message of its session (messages_wa_key_idx starts with the chat).
CREATE INDEX messages_receipt_idx ON messages (session_id, wa_id);
