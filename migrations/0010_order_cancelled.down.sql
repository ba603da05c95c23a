ALTER TABLE orders DROP COLUMN cancelled_at;
