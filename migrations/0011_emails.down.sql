ALTER TABLE orders DROP COLUMN disputed, DROP COLUMN dispute_reason, DROP COLUMN dispute_amount;
DROP TABLE order_emails;
