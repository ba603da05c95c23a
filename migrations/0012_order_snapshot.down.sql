ALTER TABLE orders DROP COLUMN shipping_options;
ALTER TABLE order_lines DROP COLUMN image;
