ALTER TABLE order_emails ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY;
SELECT setval(pg_get_serial_sequence('order_emails', 'id'), (SELECT coalesce(max(id), 0) + 1 FROM order_emails), false);
