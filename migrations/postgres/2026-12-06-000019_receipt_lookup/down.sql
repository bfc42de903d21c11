DROP INDEX messages_receipt_idx;
